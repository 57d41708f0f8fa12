//! The setup script: create (or reset) the catalog user, its group or role, and the per-schema
//! grants of redshift.md §1.8 (variant A groups, variant B RBAC) and §4.1 (PostgreSQL).
//!
//! Idempotence: `CREATE USER` becomes `ALTER USER … PASSWORD` when the user exists; `CREATE
//! GROUP/ROLE` is replaced by a comment when it exists; GRANTs and ALTER DEFAULT PRIVILEGES are
//! idempotent and always emitted. Nothing is ever granted `ON ALL TABLES IN SCHEMA pg_catalog`
//! or `information_schema` (validation refuses system schemas).

use super::ddl::{self, AccessTarget};
use super::ident::{Ident, Literal, SqlTextError};
use super::plan::{Dialect, ExistingState, PlanError, SchemaKind, SetupPlan};
use super::script::{Block, Script};
use serde::{Deserialize, Serialize};

/// Choices beside the plan that change the setup script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SetupOptions {
    /// `REVOKE CREATE ON SCHEMA public FROM` the group/role (PUBLIC has CREATE on `public` by
    /// default on Redshift).
    pub revoke_public_create: bool,
    /// The catalog tool logs in with IAM temporary credentials (Redshift
    /// `GetClusterCredentials`): the user gets `PASSWORD DISABLE` (PostgreSQL: `PASSWORD NULL`),
    /// so there is no password to keep or rotate. See [`super::iam_policy`] for the policy.
    pub iam_login: bool,
}

/// The setup script for `plan`, or every reason it can't be generated.
pub fn setup_script(plan: &SetupPlan, existing: &ExistingState) -> Result<Script, Vec<PlanError>> {
    setup_script_with(plan, existing, SetupOptions::default())
}

/// [`setup_script`] with options.
pub fn setup_script_with(
    plan: &SetupPlan,
    existing: &ExistingState,
    options: SetupOptions,
) -> Result<Script, Vec<PlanError>> {
    let errors = plan.validate_with(existing, options);
    if !errors.is_empty() {
        return Err(errors);
    }
    build(plan, existing, options).map_err(|e| vec![PlanError::Text(e)])
}

/// The `SET enable_case_sensitive_identifier` block, when the names need it.
pub(crate) fn case_block(plan: &SetupPlan, existing: &ExistingState) -> Option<Block> {
    if !plan.needs_case_sensitive_session(existing) {
        return None;
    }
    let mut b = Block::commented(
        "This cluster has enable_case_sensitive_identifier on and some names below hold capitals:",
    );
    b.note("set it for this session too, or Redshift would fold them to lower case and miss them.");
    b.push(ddl::set_case_sensitive_identifiers());
    Some(b)
}

fn build(
    plan: &SetupPlan,
    existing: &ExistingState,
    options: SetupOptions,
) -> Result<Script, SqlTextError> {
    let d = plan.dialect;
    let user = Ident::new(&plan.user, "user name")?;
    let password =
        if options.iam_login { None } else { Some(Literal::new(&plan.password, "password")?) };
    let target = AccessTarget::new(d, &plan.access)?;
    let grantee = target.grantee();
    let kind = target.kind_word();

    let mut script = Script::titled(format!(
        "Shiftgate setup: read-only catalog user {user} on {} ({kind} {})",
        d.label(),
        target.name()
    ));
    script.push(header(d));
    if let Some(b) = case_block(plan, existing) {
        script.push(b);
    }

    let login = if options.iam_login {
        "logs in only with IAM temporary credentials (no password)"
    } else {
        "logs in with a password"
    };
    let mut b = Block::commented(format!(
        "Catalog user {user}: {login} and reads only through {kind} {}.",
        target.name()
    ));
    if d == Dialect::Redshift {
        b.note("SYSLOG ACCESS stays RESTRICTED (the default): the user sees only its own rows in system log views.");
    }
    if existing.has_user(&plan.user) {
        b.note(match password {
            Some(_) => format!("user {user} exists: password reset instead of CREATE USER,"),
            None => format!("user {user} exists: password disabled instead of CREATE USER,"),
        });
        b.note("and made read-only: no database creation, no other users' rows in system logs.");
        for line in reused_user_notes(plan, existing) {
            b.note(line);
        }
        b.push(match &password {
            Some(pw) => ddl::alter_user_password(&user, pw),
            None => ddl::alter_user_password_disabled(d, &user),
        });
        if let Some(n) = plan.connection_limit {
            b.push(ddl::alter_user_connection_limit(&user, n));
        }
        b.push(ddl::alter_user_nocreatedb(&user));
        if d == Dialect::Redshift {
            b.push(ddl::alter_user_syslog_restricted(&user));
        }
    } else {
        b.push(match &password {
            Some(pw) => ddl::create_user(&user, pw, plan.connection_limit),
            None => ddl::create_user_password_disabled(d, &user, plan.connection_limit),
        });
    }
    script.push(b);

    let mut b = Block::commented(access_comment(d, &target));
    if existing.has_access(d, &plan.access) {
        let verb = if kind == "group" { "CREATE GROUP" } else { "CREATE ROLE" };
        b.note(format!("{kind} {} exists: {verb} skipped", target.name()));
    } else {
        b.push(target.create());
    }
    b.push(target.add_member(&user));
    script.push(b);

    for schema in &plan.schemas {
        let s = Ident::new(&schema.name, "schema name")?;
        match schema.kind {
            SchemaKind::Local => {
                let all_owners = distinct_owners(&schema.owners)?;
                let mut skipped = Vec::new();
                let mut owners = Vec::new();
                for o in all_owners {
                    match existing.skip_reason(&schema.name, o.as_str()) {
                        Some(r) => skipped.push((o, r)),
                        None => owners.push(o),
                    }
                }
                let mut b = Block::commented(format!(
                    "Schema {s}: USAGE to reach it, SELECT on the tables and views that exist now,"
                ));
                if owners.is_empty() {
                    b.note("no object creators listed: tables created later stay unreadable until setup is re-run.");
                } else {
                    let list: Vec<String> = owners.iter().map(Ident::to_string).collect();
                    b.note(format!(
                        "and default privileges for tables created later by {}.",
                        list.join(", ")
                    ));
                }
                b.push(ddl::grant_usage_on_schema(&s, &grantee));
                b.push(ddl::grant_select_on_all_tables(&s, &grantee));
                for (o, r) in &skipped {
                    b.note(format!(
                        "skipped: {o} {}, so ALTER DEFAULT PRIVILEGES FOR USER {o} IN SCHEMA {s} would fail.",
                        r.words()
                    ));
                }
                for o in &owners {
                    b.push(ddl::grant_default_select(Some(o), Some(&s), &grantee));
                }
                script.push(b);
            }
            SchemaKind::External => {
                let mut b = Block::commented(format!(
                    "External schema {s}: USAGE only (external tables take no grants of their own)."
                ));
                let tx = ddl::external_grants_transactional(d);
                if !tx {
                    b.note("Runs outside a transaction block: GRANT on external resources can't run inside one.");
                }
                b.push(ddl::grant_usage_on_schema(&s, &grantee).transactional_if(tx));
                script.push(b);
            }
        }
    }

    if !plan.datashare_databases.is_empty() {
        let tx = ddl::external_grants_transactional(d);
        let mut b = Block::commented(
            "Datashare consumer databases: USAGE on the database exposes its shared objects",
        );
        b.note("(for databases created from a datashare without WITH PERMISSIONS).");
        if !tx {
            b.note("Runs outside a transaction block, like other grants on external resources.");
        }
        for db in &plan.datashare_databases {
            let db = Ident::new(db, "datashare database name")?;
            b.push(ddl::grant_usage_on_database(&db, &grantee).transactional_if(tx));
        }
        script.push(b);
        for name in &plan.datashare_databases {
            if !existing.datashares_with_permissions.contains(name) {
                continue;
            }
            let db = Ident::new(name, "datashare database name")?;
            let mut b = Block::commented(format!(
                "Datashare database {db} was created WITH PERMISSIONS: USAGE on the database shows nothing"
            ));
            b.note("until the shared schemas and tables are granted one by one.");
            let mut schemas: Vec<&str> = Vec::new();
            for (d, s, _) in &existing.shared_tables {
                if d == name && !schemas.contains(&s.as_str()) {
                    schemas.push(s);
                }
            }
            for s in schemas {
                let s_id = Ident::new(s, "schema name")?;
                b.push(
                    ddl::grant_usage_on_shared_schema(&db, &s_id, &grantee).transactional_if(tx),
                );
                for (_, _, t) in
                    existing.shared_tables.iter().filter(|(d, x, _)| d == name && x == s)
                {
                    let t = Ident::new(t, "table name")?;
                    b.push(
                        ddl::grant_select_on_shared_table(&db, &s_id, &t, &grantee)
                            .transactional_if(tx),
                    );
                }
            }
            if b.statements.is_empty() {
                b.note("Discovery found no shared table in it yet: re-run setup once the producer adds some.");
            }
            script.push(b);
        }
    }

    if plan.grant_svv_table_info {
        let mut b = Block::commented(
            "Optional: table size and skew statistics; svv_table_info is superuser-only unless granted.",
        );
        b.push(ddl::grant_select_svv_table_info(&grantee));
        script.push(b);
    }

    if options.revoke_public_create {
        let mut b = Block::commented(format!(
            "Read-only: no CREATE on schema public through {kind} {}.",
            target.name()
        ));
        b.note("PUBLIC itself holds CREATE on public by default (Redshift); to close that for every user");
        b.note("an admin would run REVOKE CREATE ON SCHEMA public FROM PUBLIC, which Shiftgate leaves to you.");
        b.push(ddl::revoke_create_on_public(&grantee));
        script.push(b);
    }

    let mut b = Block::commented("Not granted on purpose: pg_catalog and information_schema.");
    b.note("Catalog metadata is readable by every user; granting those schemas opens superuser-only system tables.");
    script.push(b);
    Ok(script)
}

/// For a reused user: what it holds directly and owns, for the admin to keep or revoke.
fn reused_user_notes(plan: &SetupPlan, existing: &ExistingState) -> Vec<String> {
    let d = plan.dialect;
    let is_user = |p: &super::live::Principal| p.is_user(d, &plan.user);
    let mut grants: Vec<String> = existing
        .acl
        .schema_privileges_of(is_user)
        .map(|p| format!("{} ON SCHEMA {}", p.privilege, p.schema))
        .collect();
    let mut tables: Vec<String> = Vec::new();
    for p in existing.acl.table_privileges_of(is_user) {
        let t = format!("{} ON {}.{}", p.privilege, p.schema, p.table);
        if !tables.contains(&t) {
            tables.push(t);
        }
    }
    grants.extend(tables);
    for p in existing.acl.default_privileges_of(is_user) {
        grants.push(format!(
            "default privileges FOR USER {}{} ON {}",
            p.owner,
            p.schema.as_deref().map(|s| format!(" IN SCHEMA {s}")).unwrap_or_default(),
            p.objects.keyword()
        ));
    }
    let owned: Vec<&str> = existing
        .schema_object_owners
        .iter()
        .filter(|(_, owners)| owners.iter().any(|o| o == &plan.user))
        .map(|(s, _)| s.as_str())
        .collect();
    let mut out = Vec::new();
    if !existing.acl.read {
        out.push(
            "Its direct grants were not read (discovery could not list privileges).".to_owned(),
        );
    } else if grants.is_empty() {
        out.push("It holds no direct grants.".to_owned());
    } else {
        out.push("Direct grants it already holds (keep them or revoke them by hand):".to_owned());
        out.extend(grants.into_iter().take(50).map(|g| format!("  {g}")));
    }
    if !owned.is_empty() {
        out.push(format!(
            "It owns tables or views in: {} (an owner can read and change them).",
            owned.join(", ")
        ));
    }
    out
}

/// Comment lines shared by setup and teardown headers.
fn header(dialect: Dialect) -> Block {
    let mut b = Block::commented(
        "Run as a superuser. Users are cluster-wide; privileges are per database:",
    );
    b.note("run this in the database that holds the schemas below.");
    b.note("ALTER DEFAULT PRIVILEGES FOR USER o IN SCHEMA s requires o to hold CREATE on s.");
    if dialect == Dialect::Redshift {
        b.note("Statements noted as outside a transaction block must not be wrapped in BEGIN ... COMMIT.");
    }
    b
}

fn access_comment(dialect: Dialect, target: &AccessTarget) -> String {
    let n = target.name();
    match (target.kind_word(), dialect) {
        ("group", _) => format!(
            "Group {n} carries every privilege below, so the user can be replaced without re-granting."
        ),
        (_, Dialect::Redshift) => {
            format!(
                "RBAC role {n} carries every privilege below; its name differs from every user name, as Redshift requires."
            )
        }
        _ => format!(
            "Role {n} (NOLOGIN) carries every privilege below, so the user can be replaced without re-granting."
        ),
    }
}

/// Owners in plan order, each once.
pub(crate) fn distinct_owners(owners: &[String]) -> Result<Vec<Ident>, SqlTextError> {
    let mut out: Vec<Ident> = Vec::new();
    for o in owners {
        let id = Ident::new(o, "owner name")?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}
