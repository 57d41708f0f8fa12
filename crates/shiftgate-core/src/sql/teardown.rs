//! Undoing things: the teardown script that mirrors `setup` (redshift.md §1.9), and the cleanup of
//! what the vendor's original script left behind (§1.7 and the PostgreSQL 15 probe).
//!
//! Revokes come first and the drops last, because `DROP GROUP`/`DROP ROLE`/`DROP USER` fail while
//! any privilege (including a default-privilege entry) still names them.

use super::ddl::{self, AccessTarget, Grantee, SystemSchema};
use super::ident::{Ident, SqlTextError};
use super::plan::{
    Access, Dialect, ExistingState, PlanError, SchemaKind, SetupPlan, is_system_schema, names_clash,
};
use super::script::{Block, Script};
use super::setup::distinct_owners;

/// The teardown script for a plan that was set up. Needs no password and no server state.
pub fn teardown_script(plan: &SetupPlan) -> Result<Script, Vec<PlanError>> {
    let errors = plan.structural_errors();
    if !errors.is_empty() {
        return Err(errors);
    }
    build_teardown(plan).map_err(|e| vec![PlanError::Text(e)])
}

fn build_teardown(plan: &SetupPlan) -> Result<Script, SqlTextError> {
    let d = plan.dialect;
    let user = Ident::new(&plan.user, "user name")?;
    let target = AccessTarget::new(d, &plan.access)?;
    let grantee = target.grantee();
    let kind = target.kind_word();
    let mut script = Script::titled(format!(
        "Shiftgate teardown: remove catalog user {user} and {kind} {} from {}",
        target.name(),
        d.label()
    ));
    let mut b =
        Block::commented("Run as a superuser. Revoke in every database where setup granted,");
    b.note(
        "then run the last two blocks once: the drops fail while any privilege still names them.",
    );
    if d == Dialect::Redshift {
        b.note("Redshift checks only the current database before DROP USER, so revoke everywhere first.");
    }
    script.push(b);

    for schema in &plan.schemas {
        let s = Ident::new(&schema.name, "schema name")?;
        match schema.kind {
            SchemaKind::Local => {
                let mut b = Block::commented(format!(
                    "Schema {s}: default privileges per creator, then SELECT and USAGE."
                ));
                for o in distinct_owners(&schema.owners)? {
                    b.push(ddl::revoke_default_select(Some(&o), Some(&s), &grantee));
                }
                b.push(ddl::revoke_select_on_all_tables(&s, &grantee));
                b.push(ddl::revoke_usage_on_schema(&s, &grantee));
                script.push(b);
            }
            SchemaKind::External => {
                let tx = ddl::external_grants_transactional(d);
                let mut b = Block::commented(format!("External schema {s}: USAGE only."));
                if !tx {
                    b.note("Runs outside a transaction block: REVOKE on external resources can't run inside one.");
                }
                b.push(ddl::revoke_usage_on_schema(&s, &grantee).transactional_if(tx));
                script.push(b);
            }
        }
    }

    if !plan.datashare_databases.is_empty() {
        let tx = ddl::external_grants_transactional(d);
        let mut b = Block::commented("Datashare consumer databases.");
        if !tx {
            b.note("Runs outside a transaction block, like other revokes on external resources.");
        }
        for db in &plan.datashare_databases {
            let db = Ident::new(db, "datashare database name")?;
            b.push(ddl::revoke_usage_on_database(&db, &grantee).transactional_if(tx));
        }
        script.push(b);
    }

    if plan.grant_svv_table_info {
        let mut b = Block::commented("Table size and skew statistics.");
        b.push(ddl::revoke_select_svv_table_info(&grantee));
        script.push(b);
    }

    let mut b = Block::commented(format!("Membership, then the {kind} itself."));
    b.push(target.remove_member(&user));
    b.push(target.drop());
    script.push(b);

    let mut b = Block::commented(
        "The user last: it fails if the user still owns objects or holds privileges.",
    );
    b.push(ddl::drop_user(&user));
    script.push(b);
    Ok(script)
}

/// Cleanup of what the vendor's original script (see `vendor`) left, in the current database.
///
/// `user` is the name used in that script, `who_ran_it` the users that ran it (their default
/// privileges name the user; empty = run this as that same user), `schemas` the `<schema>` values
/// it was run for, and `existing` decides which leftovers can exist:
///
/// * Redshift, user exists (statement 1 was fixed by hand): statements 6–8 succeeded — revoke the
///   default privileges and the `pg_catalog`/`information_schema` grants. The user is kept.
/// * Redshift, an RBAC role with that name exists (statement 1 failed as written): statement 2
///   created it and nothing could be granted to it — `DROP ROLE`.
/// * PostgreSQL: statements 4–8 granted to the role with that name (`GROUP` is a noise word there):
///   revoke schema, default and system-schema grants. A `NOLOGIN` role (statement 1 failed,
///   statement 2 created it) is then removed with `DROP OWNED BY` + `DROP ROLE`; a login user is kept.
pub fn cleanup_vendor_script(
    dialect: Dialect,
    user: &str,
    who_ran_it: &[String],
    schemas: &[String],
    existing: &ExistingState,
) -> Result<Script, Vec<PlanError>> {
    let mut errors = Vec::new();
    for s in schemas {
        if is_system_schema(s) {
            errors.push(PlanError::SystemSchema { schema: s.clone() });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    build_cleanup(dialect, user, who_ran_it, schemas, existing)
        .map_err(|e| vec![PlanError::Text(e)])
}

fn build_cleanup(
    d: Dialect,
    user_name: &str,
    who_ran_it: &[String],
    schemas: &[String],
    existing: &ExistingState,
) -> Result<Script, SqlTextError> {
    let user = Ident::new(user_name, "user name")?;
    let grantee = Grantee::User(user.clone());
    let user_exists = existing.has_user(user_name);
    let role_exists = existing
        .roles
        .iter()
        .chain(if d == Dialect::Postgres { existing.groups.iter() } else { [].iter() })
        .any(|r| names_clash(d, r, user_name));
    let mut script = Script::titled(format!(
        "Shiftgate cleanup: what the vendor's original script left for {user} on {}",
        d.label()
    ));
    let mut b = Block::commented("Run as a superuser in every database the vendor script ran in.");
    b.note(format!(
        "Found: {}.",
        match (user_exists, role_exists) {
            (true, true) => format!("user {user} and a role of the same name"),
            (true, false) => format!("user {user}"),
            (false, true) => format!("role {user} (no user of that name)"),
            (false, false) =>
                format!("neither a user nor a role named {user}; nothing to clean up"),
        }
    ));
    script.push(b);

    // Grants that landed somewhere: on Redshift only on a real user, on PostgreSQL on whichever
    // role carries the name.
    let grants_landed = match d {
        Dialect::Redshift => user_exists,
        Dialect::Postgres => user_exists || role_exists,
    };
    if grants_landed {
        if d == Dialect::Postgres && !schemas.is_empty() {
            let mut b = Block::commented(
                "Statements 4-5 granted these schemas straight to the role (GROUP is a noise word on PostgreSQL).",
            );
            for s in schemas {
                let s = Ident::new(s, "schema name")?;
                b.push(ddl::revoke_select_on_all_tables(&s, &grantee));
                b.push(ddl::revoke_usage_on_schema(&s, &grantee));
            }
            script.push(b);
        }
        let mut b = Block::commented(
            "Statement 6: default privileges without FOR USER / IN SCHEMA, for every schema.",
        );
        if who_ran_it.is_empty() {
            b.note("No FOR USER given: run this block as the user who ran the vendor script.");
            b.push(ddl::revoke_default_select(None, None, &grantee));
        } else {
            for who in who_ran_it {
                let who = Ident::new(who, "owner name")?;
                b.push(ddl::revoke_default_select(Some(&who), None, &grantee));
            }
        }
        script.push(b);
        let mut b = Block::commented(
            "Statements 7-8: over-broad system schema grants (pg_catalog opens superuser-only tables).",
        );
        b.push(ddl::revoke_select_on_system_schema(SystemSchema::InformationSchema, &grantee));
        b.push(ddl::revoke_select_on_system_schema(SystemSchema::PgCatalog, &grantee));
        script.push(b);
    }

    if role_exists && !(d == Dialect::Postgres && user_exists) {
        let role = AccessTarget::new(d, &Access::Role { name: user_name.to_owned() })?;
        let mut b =
            Block::commented(format!("Statement 2 created role {user}; nobody can log in as it."));
        if d == Dialect::Postgres {
            b.note("DROP OWNED BY revokes whatever is still granted to it in this database (it owns nothing).");
            b.push(ddl::drop_owned_by(&user));
        }
        b.push(role.drop());
        script.push(b);
    }
    Ok(script)
}
