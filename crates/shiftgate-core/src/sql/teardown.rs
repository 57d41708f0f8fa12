//! Undoing things: the teardown script that mirrors `setup` (redshift.md §1.9), and the cleanup of
//! what the vendor's original script left behind (§1.7 and the PostgreSQL 15 probe).
//!
//! Revokes come first and the drops last, because `DROP GROUP`/`DROP ROLE`/`DROP USER` fail while
//! any privilege (including a default-privilege entry) still names them.

use super::applied::{AppliedPlan, FoundBefore};
use super::ddl::{self, AccessTarget, Grantee, SystemSchema};
use super::ident::{Ident, SqlTextError};
use super::live::Principal;
use super::plan::{
    Access, Dialect, ExistingState, PlanError, SchemaKind, SetupPlan, is_system_schema, names_clash,
};
use super::script::{Block, Script, StatementKind};
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
        vendor_leftover_grants(d, user_name, who_ran_it, schemas, existing, &grantee, &mut script)?;
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

/// What statement 6 has granted since it ran (there is no `DROP OWNED` on Redshift): SELECT on
/// every table the vendor-script runner created later, in every schema; plus any other default
/// privilege or table grant still naming the user in the live catalogs. After this the user holds
/// nothing in this database and can be dropped.
fn vendor_leftover_grants(
    d: Dialect,
    user_name: &str,
    who_ran_it: &[String],
    listed: &[String],
    existing: &ExistingState,
    grantee: &Grantee,
    script: &mut Script,
) -> Result<(), SqlTextError> {
    let is_user = |p: &Principal| p.is_user(d, user_name);
    let mut b = Block::commented(
        "Tables created since by whoever ran statement 6 got SELECT for the user, in every schema:",
    );
    b.note("revoke it wherever that creator owns tables, and wherever the catalogs still show a grant.");
    let mut schemas: Vec<&str> = existing
        .schema_object_owners
        .iter()
        .filter(|(_, owners)| owners.iter().any(|o| who_ran_it.contains(o)))
        .map(|(s, _)| s.as_str())
        .collect();
    schemas.extend(existing.acl.table_privileges_of(is_user).map(|p| p.schema.as_str()));
    let mut schemas = dedup_str(schemas);
    schemas.retain(|s| !is_system_schema(s));
    if d == Dialect::Postgres {
        schemas.retain(|s| !listed.iter().any(|l| l == s));
    }
    for s in schemas {
        b.push(ddl::revoke_select_on_all_tables(&Ident::new(s, "schema name")?, grantee));
    }
    script.push_nonempty(b);
    let mut b =
        Block::commented("Other default privileges still naming the user (pg_default_acl).");
    for p in existing.acl.default_privileges_of(is_user) {
        if p.schema.is_none() && who_ran_it.contains(&p.owner) {
            continue;
        }
        let o = Ident::new(&p.owner, "owner name")?;
        let sc = p.schema.as_deref().map(|x| Ident::new(x, "schema name")).transpose()?;
        b.push(ddl::revoke_default_all(&o, sc.as_ref(), p.objects.keyword(), grantee));
    }
    script.push_nonempty(b);
    Ok(())
}

/// Choices beside the plan that change a live teardown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TeardownOptions {
    /// Keep the catalog user and remove only the grants that make it a catalog user.
    pub keep_user: bool,
}

/// What a live teardown will remove, decided once (in the database setup ran in) and applied to
/// every database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeardownDecision {
    /// Drop the catalog user.
    pub drop_user: bool,
    /// Drop the group/role.
    pub drop_access: bool,
    /// Remove the user from the group/role (when the group/role stays).
    pub remove_membership: bool,
    /// Revoke only what the setup record says setup added (the group/role predates setup).
    pub access_reused: bool,
    /// A setup record with the state before setup was available.
    pub recorded: bool,
    /// What predates setup or is kept, and why — said before any SQL.
    pub notes: Vec<String>,
}

/// A live teardown for one database: the revokes, and the drops (run once, last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeardownPlan {
    /// The decision it was built from.
    pub decision: TeardownDecision,
    /// Revokes in this database.
    pub revoke: Script,
    /// Membership and drops (run once, after the revokes of every database).
    pub drop: Script,
}

impl TeardownPlan {
    /// Nothing is left to remove (a second run of a finished teardown).
    pub fn nothing_left(&self) -> bool {
        self.revoke.statements().next().is_none() && self.drop.statements().next().is_none()
    }

    /// Revokes then drops as one script (one database).
    pub fn combined(&self) -> Script {
        let mut s = self.revoke.clone();
        s.title = self.drop.title.clone();
        if self.drop.statements().next().is_some() {
            for b in &self.drop.blocks {
                // The case-sensitivity SET is already in the revoke part.
                if !(b.statements.iter().any(|st| st.kind() == StatementKind::SetSession)
                    && s.blocks.contains(b))
                {
                    s.push(b.clone());
                }
            }
        }
        s
    }
}

/// Decide what teardown removes, from the setup record (if any) and the live state of the
/// database setup ran in. Never drops a user or group/role that existed before setup.
pub fn teardown_decide(
    plan: &SetupPlan,
    applied: Option<&AppliedPlan>,
    live: &ExistingState,
    options: TeardownOptions,
) -> TeardownDecision {
    let d = plan.dialect;
    let found = applied.and_then(|a| a.found.as_ref());
    let is_access = |p: &Principal| p.is_access(d, &plan.access);
    let is_user = |p: &Principal| p.is_user(d, &plan.user);
    let user_exists = live.has_user(&plan.user);
    let access_exists = live.has_access(d, &plan.access);
    let kind = plan.access.kind_word();
    let (user, access) = (&plan.user, plan.access.name());
    let members = live.acl.members_of(is_access);
    let others: Vec<&String> = members.iter().filter(|m| *m != user).collect();
    let mut notes = Vec::new();

    let (user_predates, access_predates) = match (found, applied) {
        (Some(f), Some(a)) => {
            notes.push(format!(
                "Setup record of {} in database {} found: removing only what that setup added.",
                a.applied_at, a.database
            ));
            (f.user_existed, f.access_existed)
        }
        _ => {
            notes.push(format!(
                "No setup record for user {user:?} in this database: Shiftgate read the live catalogs instead."
            ));
            let planned = |s: &str| plan.schemas.iter().any(|g| g.name == s);
            let outside: Vec<String> = live
                .acl
                .schema_privileges_of(is_access)
                .filter(|p| !planned(&p.schema))
                .map(|p| p.schema.clone())
                .chain(
                    live.acl
                        .default_privileges_of(is_access)
                        .filter(|p| p.schema.as_deref().is_none_or(|s| !planned(s)))
                        .map(|p| p.schema.clone().unwrap_or_else(|| "(all schemas)".into())),
                )
                .collect();
            let access_predates = access_exists && (!others.is_empty() || !outside.is_empty());
            if access_predates {
                let mut why = Vec::new();
                if !others.is_empty() {
                    let list: Vec<&str> = others.iter().map(|s| s.as_str()).collect();
                    why.push(format!("other members: {}", list.join(", ")));
                }
                if !outside.is_empty() {
                    why.push(format!("grants outside the plan: {}", dedup(outside).join(", ")));
                }
                notes.push(format!(
                    "The {kind} {access:?} predates setup ({}): it is kept, with its grants.",
                    why.join("; ")
                ));
            }
            let owns = live.schema_object_owners.iter().any(|(_, o)| o.iter().any(|x| x == user));
            let direct = live.acl.schema_privileges_of(is_user).next().is_some()
                || live.acl.table_privileges_of(is_user).next().is_some();
            let user_predates = user_exists && (owns || direct);
            if user_predates {
                notes.push(format!(
                    "User {user:?} owns objects or holds direct grants, so it predates setup: it is kept."
                ));
            }
            (user_predates, access_predates)
        }
    };
    if found.is_some() && user_exists && user_predates {
        notes.push(format!("User {user:?} existed before setup: it is kept."));
    }
    if found.is_some() && access_exists && access_predates {
        let kept = if others.is_empty() {
            String::new()
        } else {
            format!(
                " (members kept: {})",
                others.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )
        };
        notes.push(format!(
            "The {kind} {access:?} existed before setup: it is kept with its earlier grants and members{kept}."
        ));
    }
    if options.keep_user && user_exists && !user_predates {
        notes.push(format!("User {user:?} is kept: only the catalog grants are removed."));
    }
    let drop_user = user_exists && !user_predates && !options.keep_user;
    let drop_access = access_exists && !access_predates;
    let user_was_member = found.is_some_and(|f| f.user_was_member);
    let remove_membership =
        !drop_access && access_exists && user_exists && members.contains(user) && !user_was_member;
    if !user_exists {
        notes.push(format!("User {user:?} does not exist (any more)."));
    }
    if !access_exists {
        notes.push(format!("The {kind} {access:?} does not exist (any more)."));
    }
    TeardownDecision {
        drop_user,
        drop_access,
        remove_membership,
        access_reused: access_exists && access_predates,
        recorded: found.is_some(),
        notes,
    }
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// The live teardown of one database: revokes of what is left there, and the drops.
pub fn teardown_live(
    plan: &SetupPlan,
    applied: Option<&AppliedPlan>,
    live: &ExistingState,
    decision: &TeardownDecision,
) -> Result<TeardownPlan, Vec<PlanError>> {
    let errors = plan.structural_errors();
    if !errors.is_empty() {
        return Err(errors);
    }
    build_live(plan, applied, live, decision).map_err(|e| vec![PlanError::Text(e)])
}

fn build_live(
    plan: &SetupPlan,
    applied: Option<&AppliedPlan>,
    live: &ExistingState,
    decision: &TeardownDecision,
) -> Result<TeardownPlan, SqlTextError> {
    let d = plan.dialect;
    let user = Ident::new(&plan.user, "user name")?;
    let target = AccessTarget::new(d, &plan.access)?;
    let grantee = target.grantee();
    let kind = target.kind_word();
    let is_access = |p: &Principal| p.is_access(d, &plan.access);
    let is_user = |p: &Principal| p.is_user(d, &plan.user);
    let found = applied.and_then(|a| a.found.as_ref());
    let case = super::setup::case_block(plan, live);

    let mut revoke = Script::titled(format!(
        "Shiftgate teardown (revokes in this database) for catalog user {user}, {kind} {}",
        target.name()
    ));
    let mut b =
        Block::commented("Read from the live catalogs: only what is still granted is revoked.");
    for n in &decision.notes {
        b.note(n.clone());
    }
    revoke.push(b);
    if let Some(c) = case.clone() {
        revoke.push(c);
    }
    let before = revoke.blocks.len();
    if decision.drop_access {
        revoke_everything(
            plan,
            live,
            &is_access,
            &grantee,
            &format!("{kind} {}", target.name()),
            true,
            &mut revoke,
        )?;
    } else if decision.access_reused {
        match found {
            Some(f) if f.privileges_read => {
                revoke_setup_additions(plan, live, f, &grantee, &mut revoke)?
            }
            _ => {
                let mut b = Block::commented(format!(
                    "{kind} {} is kept and Shiftgate has no record of what setup added to it:",
                    target.name()
                ));
                b.note(
                    "its grants are left as they are; revoke by hand what you know setup added.",
                );
                revoke.push(b);
            }
        }
    } else if live.has_access(d, &plan.access) {
        // Exists, not dropped, not reused: cannot happen (decide drops or keeps it).
    }
    if decision.drop_user {
        revoke_everything(
            plan,
            live,
            &is_user,
            &Grantee::User(user.clone()),
            &format!("user {user}"),
            false,
            &mut revoke,
        )?;
    }
    if revoke.blocks.len() == before {
        revoke.blocks.truncate(before.saturating_sub(usize::from(case.is_some())));
    }

    let mut drop = Script::titled(format!(
        "Shiftgate teardown for catalog user {user}, {kind} {} on {}",
        target.name(),
        d.label()
    ));
    drop.push(Block::commented(
        "Run once, after the revokes in every database: the drops fail while a privilege names them.",
    ));
    let mut statements = Vec::new();
    let member = live.acl.members_of(is_access).iter().any(|m| m == &plan.user);
    if member && (decision.remove_membership || decision.drop_access) {
        statements.push(target.remove_member(&user));
    }
    if decision.drop_access {
        statements.push(target.drop());
    }
    if decision.drop_user {
        statements.push(ddl::drop_user(&user));
    }
    if !statements.is_empty() {
        if let Some(c) = case {
            drop.push(c);
        }
        let mut what = Vec::new();
        if statements.iter().any(|s| s.kind() == StatementKind::RemoveMember) {
            what.push(format!("the user leaves the {kind}"));
        }
        if decision.drop_access {
            what.push(format!("the {kind} is dropped"));
        }
        if decision.drop_user {
            what.push("the user is dropped".to_owned());
        }
        let mut b = Block::commented(format!("Last, in this order: {}.", what.join(", then ")));
        for s in statements {
            b.push(s);
        }
        drop.push(b);
    }
    let plan_out = TeardownPlan { decision: decision.clone(), revoke, drop };
    if plan_out.nothing_left() {
        let mut revoke = plan_out.revoke.clone();
        let mut b = Block::commented(format!(
            "Nothing left: no grant, default privilege, {kind} or user of this setup remains here."
        ));
        b.note("Teardown already ran (or setup never did); there is nothing to run.");
        revoke.push(b);
        return Ok(TeardownPlan { revoke, ..plan_out });
    }
    Ok(plan_out)
}

fn is_system(schema: &str) -> bool {
    is_system_schema(schema)
}

/// Revoke every privilege `is` holds in this database (it is about to be dropped).
fn revoke_everything(
    plan: &SetupPlan,
    live: &ExistingState,
    is: &dyn Fn(&Principal) -> bool,
    grantee: &Grantee,
    who: &str,
    plan_objects: bool,
    script: &mut Script,
) -> Result<(), SqlTextError> {
    let d = plan.dialect;
    let external =
        |s: &str| plan.schemas.iter().any(|g| g.name == s && g.kind == SchemaKind::External);
    let mut b = Block::commented(format!(
        "Default privileges naming {who}, for every (owner, schema) pair in pg_default_acl{}.",
        if d == Dialect::Redshift { " and svv_default_privileges" } else { "" }
    ));
    let mut seen = Vec::new();
    for p in live.acl.default_privileges_of(is) {
        let key = (p.owner.clone(), p.schema.clone(), p.objects);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let o = Ident::new(&p.owner, "owner name")?;
        let s = p.schema.as_deref().map(|s| Ident::new(s, "schema name")).transpose()?;
        b.push(ddl::revoke_default_all(&o, s.as_ref(), p.objects.keyword(), grantee));
    }
    script.push_nonempty(b);

    let mut b = Block::commented(format!("Table and view privileges of {who}."));
    let mut schemas: Vec<&str> = Vec::new();
    for p in live.acl.table_privileges_of(is) {
        if is_system(&p.schema) {
            let s = Ident::new(&p.schema, "schema name")?;
            let t = Ident::new(&p.table, "table name")?;
            let st = ddl::revoke_on_table(true, &s, &t, grantee);
            if !b.statements.contains(&st) {
                b.push(st);
            }
        } else if !schemas.contains(&p.schema.as_str()) {
            schemas.push(&p.schema);
        }
    }
    for s in schemas {
        let tx = !external(s) || ddl::external_grants_transactional(d);
        b.push(
            ddl::revoke_all_on_all_tables(&Ident::new(s, "schema name")?, grantee)
                .transactional_if(tx),
        );
    }
    script.push_nonempty(b);

    let mut b = Block::commented(format!("Schema privileges of {who}."));
    let mut schemas: Vec<&str> = Vec::new();
    for p in live.acl.schema_privileges_of(is) {
        if !schemas.contains(&p.schema.as_str()) {
            schemas.push(&p.schema);
        }
    }
    for s in schemas {
        let tx = !external(s) || ddl::external_grants_transactional(d);
        b.push(
            ddl::revoke_all_on_schema(&Ident::new(s, "schema name")?, grantee).transactional_if(tx),
        );
    }
    script.push_nonempty(b);

    if plan_objects {
        revoke_shared_objects(plan, live, grantee, script)?;
    }
    let mut b =
        Block::commented(format!("Database privileges of {who} (datashare consumer databases)."));
    let mut dbs: Vec<String> =
        live.acl.database_privileges_of(is).map(|p| p.database.clone()).collect();
    if plan_objects && !live.acl.read {
        dbs.extend(plan.datashare_databases.iter().cloned());
    }
    for db in dedup(dbs) {
        let tx = ddl::external_grants_transactional(d);
        b.push(
            ddl::revoke_usage_on_database(&Ident::new(&db, "database name")?, grantee)
                .transactional_if(tx),
        );
    }
    script.push_nonempty(b);
    Ok(())
}

/// Object grants on datashare databases created WITH PERMISSIONS (plan's databases only).
fn revoke_shared_objects(
    plan: &SetupPlan,
    live: &ExistingState,
    grantee: &Grantee,
    script: &mut Script,
) -> Result<(), SqlTextError> {
    let tx = ddl::external_grants_transactional(plan.dialect);
    let mut b = Block::commented(
        "Shared tables and schemas of datashare databases created WITH PERMISSIONS.",
    );
    for name in &plan.datashare_databases {
        if !live.datashares_with_permissions.contains(name) {
            continue;
        }
        let db = Ident::new(name, "datashare database name")?;
        let mut schemas: Vec<&str> = Vec::new();
        for (d, s, t) in &live.shared_tables {
            if d != name {
                continue;
            }
            let (s_id, t_id) = (Ident::new(s, "schema name")?, Ident::new(t, "table name")?);
            b.push(ddl::revoke_shared(&db, &s_id, Some(&t_id), grantee).transactional_if(tx));
            if !schemas.contains(&s.as_str()) {
                schemas.push(s);
            }
        }
        for s in schemas {
            b.push(
                ddl::revoke_shared(&db, &Ident::new(s, "schema name")?, None, grantee)
                    .transactional_if(tx),
            );
        }
    }
    script.push_nonempty(b);
    Ok(())
}

/// Revoke what setup added to a group/role that existed before it, per the setup record.
fn revoke_setup_additions(
    plan: &SetupPlan,
    live: &ExistingState,
    f: &FoundBefore,
    grantee: &Grantee,
    script: &mut Script,
) -> Result<(), SqlTextError> {
    let d = plan.dialect;
    let is_access = |p: &Principal| p.is_access(d, &plan.access);
    let had_schema = |s: &str, privilege: &str| {
        f.schema_privileges.iter().any(|(x, p)| x == s && p == privilege)
    };
    for g in &plan.schemas {
        let s = Ident::new(&g.name, "schema name")?;
        let mut b = Block::commented(format!(
            "Schema {s}: only what setup added (earlier grants of the reused {} stay).",
            plan.access.kind_word()
        ));
        if g.kind == SchemaKind::Local {
            for o in distinct_owners(&g.owners)? {
                let live_entry = live
                    .acl
                    .default_privileges_of(is_access)
                    .any(|p| p.owner == o.as_str() && p.schema.as_deref() == Some(g.name.as_str()));
                let earlier =
                    f.default_privileges.iter().any(|(ow, sc)| ow == o.as_str() && sc == &g.name);
                if live_entry && !earlier {
                    b.push(ddl::revoke_default_select(Some(&o), Some(&s), grantee));
                }
            }
            let earlier_tables: Vec<&str> = f
                .table_grants
                .iter()
                .filter(|(x, _)| x == &g.name)
                .map(|(_, t)| t.as_str())
                .collect();
            let live_tables: Vec<&str> = dedup_str(
                live.acl
                    .table_privileges_of(is_access)
                    .filter(|p| p.schema == g.name && p.privilege == "SELECT")
                    .map(|p| p.table.as_str())
                    .collect(),
            );
            if earlier_tables.is_empty() {
                if !live_tables.is_empty() {
                    b.push(ddl::revoke_select_on_all_tables(&s, grantee));
                }
            } else {
                for t in live_tables.iter().filter(|t| !earlier_tables.contains(t)) {
                    b.push(ddl::revoke_on_table(false, &s, &Ident::new(t, "table name")?, grantee));
                }
            }
        }
        let has_usage = live
            .acl
            .schema_privileges_of(is_access)
            .any(|p| p.schema == g.name && p.privilege == "USAGE");
        if has_usage && !had_schema(&g.name, "USAGE") {
            let tx = g.kind == SchemaKind::Local || ddl::external_grants_transactional(d);
            b.push(ddl::revoke_usage_on_schema(&s, grantee).transactional_if(tx));
        }
        script.push_nonempty(b);
    }
    revoke_shared_objects(plan, live, grantee, script)?;
    let mut b = Block::commented("Datashare consumer databases setup granted.");
    for db in &plan.datashare_databases {
        let held = live.acl.database_privileges_of(is_access).any(|p| &p.database == db);
        if held || !live.acl.read {
            let tx = ddl::external_grants_transactional(d);
            b.push(
                ddl::revoke_usage_on_database(&Ident::new(db, "datashare database name")?, grantee)
                    .transactional_if(tx),
            );
        }
    }
    script.push_nonempty(b);
    if plan.grant_svv_table_info {
        let mut b = Block::commented("Table size and skew statistics.");
        b.push(ddl::revoke_select_svv_table_info(grantee));
        script.push(b);
    }
    Ok(())
}

fn dedup_str(mut v: Vec<&str>) -> Vec<&str> {
    v.sort_unstable();
    v.dedup();
    v
}

/// What still names `name` (a user, group or role) in this database, in words: privileges on
/// schemas, tables and databases, default-privilege entries, objects it owns. For the diagnosis
/// of a refused DROP (2BP01 / 55006).
pub fn dependents_of(dialect: Dialect, existing: &ExistingState, name: &str) -> Vec<String> {
    let is = |p: &Principal| names_clash(dialect, &p.name, name) || p.name == name;
    let mut out: Vec<String> = Vec::new();
    for p in existing.acl.schema_privileges_of(is) {
        out.push(format!("{} on schema {:?}", p.privilege, p.schema));
    }
    let mut tables: Vec<String> = Vec::new();
    for p in existing.acl.table_privileges_of(is) {
        tables.push(format!("{} on {:?}.{:?}", p.privilege, p.schema, p.table));
    }
    out.extend(dedup(tables));
    for p in existing.acl.default_privileges_of(is) {
        out.push(format!(
            "default privileges FOR USER {:?}{} ON {}",
            p.owner,
            p.schema.as_deref().map(|s| format!(" IN SCHEMA {s:?}")).unwrap_or_default(),
            p.objects.keyword()
        ));
    }
    for p in existing.acl.database_privileges_of(is) {
        out.push(format!("{} on database {:?}", p.privilege, p.database));
    }
    for (schema, owners) in &existing.schema_object_owners {
        if owners.iter().any(|o| o == name) {
            out.push(format!("owns tables or views in schema {schema:?}"));
        }
    }
    out
}
