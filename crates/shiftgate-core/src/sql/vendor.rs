//! The vendor's original setup script (seed-redshift-guide.md, statements 1–8, copied from
//! Metamapper's guide) and what each statement is expected to do on each dialect, as data.
//!
//! It exists so tests (and the simulator) can replay the wrong script and assert the failures
//! documented in redshift.md §1.7 and observed in the PostgreSQL 15 probe. Shiftgate never offers
//! to run it; its leftovers are removed by `teardown::cleanup_vendor_script`.

use super::ident::{Ident, Literal, SqlTextError};
use super::plan::Dialect;
use super::script::{Block, MASKED_SECRET, Script, Statement, StatementKind as K};

/// Which text of statement 1 was run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VendorVariant {
    /// `CREATE USER u PASSWORD = '…'` exactly as published.
    AsWritten,
    /// The same script with the `=` removed by hand (what an admin does after the syntax error).
    PasswordFixed,
}

/// How sure the expected outcome is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Evidence {
    /// Observed on PostgreSQL 15.18 (pg15-probe/README.md).
    VerifiedPg15,
    /// Follows from the AWS documentation; exact error wording not verified.
    Documented,
    /// Inferred (same code path as a verified case, or PostgreSQL documentation); not executed.
    Inferred,
}

/// Whether a statement succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepResult {
    /// The statement succeeds.
    Succeeds,
    /// The statement fails; `error_contains` is the expected message text when known.
    Fails {
        /// Substring of the server's message, or `None` when the wording is unknown.
        error_contains: Option<String>,
    },
}

/// The expected outcome of one vendor statement on one dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedOutcome {
    /// Statement number, 1–8.
    pub step: u8,
    /// Success or failure.
    pub result: StepResult,
    /// How sure this is.
    pub evidence: Evidence,
    /// What it leaves behind or why it fails, in one line.
    pub effect: &'static str,
}

/// The vendor script as published (`PASSWORD = '<redacted>'`), for `user` and one `schema`.
pub fn vendor_original_script(user: &str, schema: &str) -> Result<Script, SqlTextError> {
    vendor_script(VendorVariant::AsWritten, user, schema, "<redacted>")
}

/// The vendor script in either variant, with `password` in statement 1 (masked when rendered).
pub fn vendor_script(
    variant: VendorVariant,
    user: &str,
    schema: &str,
    password: &str,
) -> Result<Script, SqlTextError> {
    let u = Ident::new(user, "user name")?;
    let s = Ident::new(schema, "schema name")?;
    let pw = Literal::new(password, "password")?;
    let eq = match variant {
        VendorVariant::AsWritten => " =",
        VendorVariant::PasswordFixed => "",
    };
    let mut script = Script::titled(
        "Vendor's original Redshift setup (Metamapper guide) — for replay in tests only; do not run",
    );
    let mut b = Block::commented("1. Create user");
    b.push(Statement::with_secret(
        K::CreateUser,
        format!("CREATE USER {u} PASSWORD{eq} {pw}"),
        format!("CREATE USER {u} PASSWORD{eq} {MASKED_SECRET}"),
    ));
    script.push(b);
    let mut b = Block::commented(
        "2-3. \"Group of users\" (really an RBAC role), then add the user to a group",
    );
    b.push(Statement::new(K::CreateAccess, format!("CREATE ROLE {u}")));
    b.push(Statement::new(K::AddMember, format!("ALTER GROUP {u} ADD USER {u}")));
    script.push(b);
    let mut b = Block::commented("4-5. Per schema");
    b.push(Statement::new(K::Grant, format!("GRANT USAGE ON SCHEMA {s} TO GROUP {u}")));
    b.push(Statement::new(
        K::Grant,
        format!("GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO GROUP {u}"),
    ));
    script.push(b);
    let mut b = Block::commented("6. Future tables (only those created by whoever runs this)");
    b.push(Statement::new(
        K::GrantDefault,
        format!("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO {u}"),
    ));
    script.push(b);
    let mut b = Block::commented("7-8. System tables (over-broad)");
    b.push(Statement::new(
        K::Grant,
        format!("GRANT SELECT ON ALL TABLES IN SCHEMA information_schema TO {u}"),
    ));
    b.push(Statement::new(
        K::Grant,
        format!("GRANT SELECT ON ALL TABLES IN SCHEMA pg_catalog TO {u}"),
    ));
    script.push(b);
    Ok(script)
}

/// Expected outcome of statements 1–8 run in order on a fresh server (no user or role named
/// `user` yet), per redshift.md §1.7 and the PostgreSQL 15 probe.
pub fn expected_outcomes(
    variant: VendorVariant,
    dialect: Dialect,
    user: &str,
) -> Vec<ExpectedOutcome> {
    use Evidence::{Documented, Inferred, VerifiedPg15};
    let ok = |step, evidence, effect| ExpectedOutcome {
        step,
        result: StepResult::Succeeds,
        evidence,
        effect,
    };
    let fail = |step, text: Option<String>, evidence, effect| ExpectedOutcome {
        step,
        result: StepResult::Fails { error_contains: text },
        evidence,
        effect,
    };
    let syntax = Some("syntax error at or near \"=\"".to_owned());
    let no_group = Some(format!("group \"{user}\" does not exist"));
    let self_member = Some(format!("role \"{user}\" is a member of role \"{user}\""));
    match (dialect, variant) {
        (Dialect::Redshift, VendorVariant::AsWritten) => vec![
            fail(
                1,
                syntax,
                Documented,
                "`=` is not in the CREATE USER grammar; no user is created",
            ),
            ok(2, Documented, "creates an RBAC role (not a group) named like the intended user"),
            fail(3, no_group.clone(), Documented, "a role is not a group; no group exists"),
            fail(4, no_group.clone(), Documented, "no group to grant to"),
            fail(5, no_group, Documented, "no group to grant to"),
            fail(6, None, Inferred, "grantee is a user name and no such user exists"),
            fail(7, None, Inferred, "grantee is a user name and no such user exists"),
            fail(8, None, Inferred, "grantee is a user name and no such user exists"),
        ],
        (Dialect::Redshift, VendorVariant::PasswordFixed) => vec![
            ok(1, Documented, "creates the user"),
            fail(2, None, Documented, "a role can't have the same name as any user"),
            fail(3, no_group.clone(), Documented, "no group exists"),
            fail(4, no_group.clone(), Documented, "no group to grant to"),
            fail(5, no_group, Documented, "no group to grant to"),
            ok(
                6,
                Documented,
                "default privilege for the admin's future tables in every schema, granted to the user",
            ),
            ok(7, Documented, "needless grant to the user (information_schema is readable by all)"),
            ok(8, Documented, "opens every superuser-only system table in pg_catalog to the user"),
        ],
        (Dialect::Postgres, VendorVariant::AsWritten) => vec![
            fail(1, syntax, VerifiedPg15, "syntax error; no user is created"),
            ok(2, VerifiedPg15, "creates a NOLOGIN role named like the intended user"),
            fail(3, self_member, VerifiedPg15, "the role can't be made a member of itself"),
            ok(4, VerifiedPg15, "USAGE lands on the NOLOGIN role"),
            ok(5, VerifiedPg15, "SELECT lands on the NOLOGIN role"),
            ok(
                6,
                VerifiedPg15,
                "default privilege for the admin's future tables, to the NOLOGIN role",
            ),
            ok(7, VerifiedPg15, "needless grant to the NOLOGIN role"),
            ok(8, VerifiedPg15, "exposes pg_authid password hashes to members of the role"),
        ],
        (Dialect::Postgres, VendorVariant::PasswordFixed) => vec![
            ok(1, VerifiedPg15, "creates the user"),
            fail(
                2,
                Some(format!("role \"{user}\" already exists")),
                Inferred,
                "users and roles share one namespace",
            ),
            fail(3, self_member, Inferred, "the user can't be made a member of itself"),
            ok(4, Inferred, "GROUP is a noise word: USAGE lands on the user directly"),
            ok(5, Inferred, "GROUP is a noise word: SELECT lands on the user directly"),
            ok(6, Inferred, "default privilege for the admin's future tables, to the user"),
            ok(7, Inferred, "needless grant to the user"),
            ok(8, Inferred, "exposes pg_authid password hashes to the user"),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn original_text_matches_the_guide() {
        let script =
            vendor_original_script("metamapper", "sales").unwrap_or_else(|e| panic!("{e}"));
        let sql: Vec<&str> = script.statements().map(|s| s.sql()).collect();
        assert_eq!(
            sql,
            vec![
                "CREATE USER \"metamapper\" PASSWORD = '<redacted>'",
                "CREATE ROLE \"metamapper\"",
                "ALTER GROUP \"metamapper\" ADD USER \"metamapper\"",
                "GRANT USAGE ON SCHEMA \"sales\" TO GROUP \"metamapper\"",
                "GRANT SELECT ON ALL TABLES IN SCHEMA \"sales\" TO GROUP \"metamapper\"",
                "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO \"metamapper\"",
                "GRANT SELECT ON ALL TABLES IN SCHEMA information_schema TO \"metamapper\"",
                "GRANT SELECT ON ALL TABLES IN SCHEMA pg_catalog TO \"metamapper\"",
            ]
        );
        let fixed =
            vendor_script(VendorVariant::PasswordFixed, "metamapper", "sales", "Secret_Pass1")
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            fixed.statements().next().map(|s| s.masked_sql()),
            Some("CREATE USER \"metamapper\" PASSWORD '********'")
        );
    }

    #[test]
    fn outcomes_cover_eight_steps_per_case() {
        for d in [Dialect::Redshift, Dialect::Postgres] {
            for v in [VendorVariant::AsWritten, VendorVariant::PasswordFixed] {
                let steps: Vec<u8> =
                    expected_outcomes(v, d, "metamapper").iter().map(|o| o.step).collect();
                assert_eq!(steps, (1..=8).collect::<Vec<u8>>());
            }
        }
        let pg = expected_outcomes(VendorVariant::AsWritten, Dialect::Postgres, "metamapper");
        assert_eq!(
            pg[0].result,
            StepResult::Fails { error_contains: Some("syntax error at or near \"=\"".into()) }
        );
        assert_eq!(
            pg[2].result,
            StepResult::Fails {
                error_contains: Some(
                    "role \"metamapper\" is a member of role \"metamapper\"".into()
                )
            }
        );
        assert!(pg.iter().all(|o| o.evidence == Evidence::VerifiedPg15));
    }
}
