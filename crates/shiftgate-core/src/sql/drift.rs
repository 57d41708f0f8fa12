//! Drift: the live state (an [`AccessMatrix`] from the audit) compared with the plan setup applied
//! ([`AppliedPlan`]), and the script that converges them.
//!
//! Found: planned grants that went missing (USAGE, SELECT, default privileges for a creator the
//! plan did not name), schemas with tables that the plan does not cover (new since setup, or left
//! out), and grants beyond the plan — write privileges, CREATE, USAGE/SELECT on schemas outside
//! the plan, and the vendor guide's `pg_catalog` / `information_schema` grants. Only grants held
//! by the plan's user or its group/role are revoked; ones held by PUBLIC or another group are
//! listed without SQL (revoking them would change other users' access).
//!
//! Pure. Statements come from the typed builders in `ddl`; every name goes through [`Ident`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::applied::AppliedPlan;
use super::audit::{AccessMatrix, Principal, PrincipalKind, Privilege, SchemaAccess};
use super::ddl::{self, AccessTarget, Grantee, SystemSchema};
use super::discovery::SYSTEM_OWNERS;
use super::ident::{Ident, SqlTextError};
use super::plan::{Access, Dialect, SchemaGrant, SchemaKind, SetupPlan};
use super::script::{Block, Script};

/// Choices the admin makes about what converging means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DriftOptions {
    /// Grant schemas the plan does not cover (and add them to the plan); otherwise they are
    /// only reported.
    pub adopt_new_schemas: bool,
}

/// One difference between the live state and the applied plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DriftItem {
    /// The catalog user no longer exists.
    UserMissing {
        /// The user.
        user: String,
    },
    /// The user is no longer in the plan's group / role.
    NotMember {
        /// The user.
        user: String,
        /// The group or role.
        access: String,
    },
    /// A planned schema no longer exists.
    PlannedSchemaMissing {
        /// The schema.
        schema: String,
    },
    /// A planned schema lost USAGE.
    UsageMissing {
        /// The schema.
        schema: String,
    },
    /// Tables of a planned schema the user can't read.
    TablesUnreadable {
        /// The schema.
        schema: String,
        /// The tables, by name.
        tables: Vec<String>,
    },
    /// A creator in a planned schema without default privileges: its next table is unreadable.
    UncoveredOwner {
        /// The schema.
        schema: String,
        /// The creator.
        owner: String,
    },
    /// A schema with tables that the plan does not cover and nobody granted.
    NewSchema {
        /// The schema.
        schema: String,
        /// How many relations it holds.
        tables: usize,
        /// Its owner and table owners.
        owners: Vec<String>,
        /// Granted by the converge script (and added to the plan).
        adopted: bool,
    },
    /// Write privileges on a table.
    WriteGrant {
        /// The schema.
        schema: String,
        /// The table.
        table: String,
        /// What is held.
        privileges: Vec<Privilege>,
        /// Who holds it.
        holder: Principal,
        /// Revoked by the converge script.
        revocable: bool,
    },
    /// CREATE on a schema.
    CreateOnSchema {
        /// The schema.
        schema: String,
        /// Who holds it.
        holder: Principal,
        /// Revoked by the converge script.
        revocable: bool,
    },
    /// USAGE or SELECT on a schema outside the plan.
    ExtraSchema {
        /// The schema.
        schema: String,
        /// Who holds it.
        holder: Principal,
        /// Readable relations there through this holder.
        readable: usize,
        /// Revoked by the converge script.
        revocable: bool,
    },
    /// SELECT on system catalog relations (the vendor guide's `GRANT … IN SCHEMA pg_catalog`).
    SystemSchemaGrant {
        /// `pg_catalog` or `information_schema`.
        schema: String,
        /// Who holds it.
        holder: Principal,
        /// How many relations.
        tables: usize,
        /// Revoked by the converge script.
        revocable: bool,
    },
    /// A planned datashare database the user can't use.
    DatashareMissing {
        /// The database.
        database: String,
    },
}

impl DriftItem {
    /// Whether the converge script changes this item.
    pub fn converged(&self) -> bool {
        match self {
            DriftItem::UserMissing { .. } | DriftItem::PlannedSchemaMissing { .. } => false,
            DriftItem::NewSchema { adopted, .. } => *adopted,
            DriftItem::WriteGrant { revocable, .. }
            | DriftItem::CreateOnSchema { revocable, .. }
            | DriftItem::ExtraSchema { revocable, .. }
            | DriftItem::SystemSchemaGrant { revocable, .. } => *revocable,
            _ => true,
        }
    }

    /// One line for a person.
    pub fn describe(&self) -> String {
        let by = |holder: &Principal, revocable: bool| {
            if revocable {
                format!("held by {holder}")
            } else {
                format!("held by {holder} (not revoked here: it affects others)")
            }
        };
        match self {
            DriftItem::UserMissing { user } => {
                format!("user {user:?} no longer exists; run setup again")
            }
            DriftItem::NotMember { user, access } => {
                format!("user {user:?} is no longer a member of {access:?}")
            }
            DriftItem::PlannedSchemaMissing { schema } => {
                format!("planned schema {schema:?} no longer exists")
            }
            DriftItem::UsageMissing { schema } => format!("USAGE on {schema:?} is missing"),
            DriftItem::TablesUnreadable { schema, tables } => format!(
                "{} relation(s) in {schema:?} are not readable: {}",
                tables.len(),
                tables.join(", ")
            ),
            DriftItem::UncoveredOwner { schema, owner } => format!(
                "tables {owner:?} creates in {schema:?} will not be readable (no default privileges)"
            ),
            DriftItem::NewSchema { schema, tables, adopted, .. } => format!(
                "schema {schema:?} ({tables} relation(s)) is not in the plan and not granted{}",
                if *adopted { "; the converge script grants it" } else { "" }
            ),
            DriftItem::WriteGrant { schema, table, privileges, holder, revocable } => format!(
                "{} on {schema:?}.{table:?} {}",
                privileges.iter().map(|p| p.keyword()).collect::<Vec<_>>().join(", "),
                by(holder, *revocable)
            ),
            DriftItem::CreateOnSchema { schema, holder, revocable } => {
                format!("CREATE on schema {schema:?} {}", by(holder, *revocable))
            }
            DriftItem::ExtraSchema { schema, holder, readable, revocable } => format!(
                "schema {schema:?} is outside the plan but open ({readable} readable) — {}",
                by(holder, *revocable)
            ),
            DriftItem::SystemSchemaGrant { schema, holder, tables, revocable } => format!(
                "SELECT on {tables} {schema} relation(s) {} (the vendor guide's grant)",
                by(holder, *revocable)
            ),
            DriftItem::DatashareMissing { database } => {
                format!("datashare database {database:?} is not usable")
            }
        }
    }
}

/// Drift of one applied plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftReport {
    /// The catalog user.
    pub user: String,
    /// Database of the record.
    pub database: String,
    /// When setup was applied.
    pub applied_at: String,
    /// Differences, in converge order.
    pub items: Vec<DriftItem>,
    /// SQL for the admin that converges (comment-only when there is nothing to run).
    pub converge: Script,
    /// The plan after converging (adopted schemas and newly covered creators added, vanished
    /// schemas removed): record it once the script ran.
    pub converged_plan: SetupPlan,
}

impl DriftReport {
    /// No difference at all.
    pub fn is_clean(&self) -> bool {
        self.items.is_empty()
    }
}

fn principal_grantee(dialect: Dialect, p: &Principal) -> Result<Option<Grantee>, SqlTextError> {
    let id = || Ident::new(&p.name, "grantee name");
    Ok(match (p.kind, dialect) {
        (PrincipalKind::Public, _) => None,
        (PrincipalKind::User, _) => Some(Grantee::User(id()?)),
        (PrincipalKind::Group, _) => Some(Grantee::Group(id()?)),
        (PrincipalKind::Role, Dialect::Redshift) => Some(Grantee::RedshiftRole(id()?)),
        (PrincipalKind::Role, Dialect::Postgres) => Some(Grantee::PostgresRole(id()?)),
    })
}

/// The plan's group / role as the audit names it (PostgreSQL: one role namespace).
fn access_principal(dialect: Dialect, access: &Access) -> Principal {
    let kind = match (dialect, access) {
        (Dialect::Postgres, _) => PrincipalKind::Role,
        (Dialect::Redshift, Access::Group { .. }) => PrincipalKind::Group,
        (Dialect::Redshift, Access::Role { .. }) => PrincipalKind::Role,
    };
    Principal { kind, name: access.name().to_owned() }
}

/// Compares `matrix` (which must report `applied.plan.user`) with the applied plan.
/// `scoped_schemas` is the audit's schema filter (empty = every schema was audited).
pub fn drift(
    matrix: &AccessMatrix,
    applied: &AppliedPlan,
    scoped_schemas: &[String],
    options: DriftOptions,
) -> Result<DriftReport, SqlTextError> {
    let plan = &applied.plan;
    let d = matrix.dialect;
    let target = AccessTarget::new(d, &plan.access)?;
    let grantee = target.grantee();
    let user = Ident::new(&plan.user, "user name")?;
    let user_p = Principal { kind: PrincipalKind::User, name: plan.user.clone() };
    let access_p = access_principal(d, &plan.access);
    let revocable = |h: &Principal| *h == user_p || *h == access_p;
    // The plan's own group / role is named as setup named it (`GROUP "g"` / `ROLE "r"`).
    let to_grantee = |h: &Principal| -> Result<Option<Grantee>, SqlTextError> {
        if *h == access_p { Ok(Some(grantee.clone())) } else { principal_grantee(d, h) }
    };
    let mut items = Vec::new();
    let mut converged = plan.clone();
    let mut script = Script::titled(format!(
        "Shiftgate converge: catalog user {user} back to the plan applied {} in database {:?}",
        applied.applied_at, applied.database
    ));
    let report = |items, script, converged_plan| DriftReport {
        user: plan.user.clone(),
        database: applied.database.clone(),
        applied_at: applied.applied_at.clone(),
        items,
        converge: script,
        converged_plan,
    };
    let Some(ga) = matrix.grantees.iter().find(|g| g.principal == user_p) else {
        items.push(DriftItem::UserMissing { user: plan.user.clone() });
        script.push(Block::commented("The user is gone: review the plan and run setup again."));
        return Ok(report(items, script, converged));
    };

    let mut membership =
        Block::commented(format!("Membership in {} {}.", target.kind_word(), target.name()));
    if !ga.closure.contains(&access_p) {
        items.push(DriftItem::NotMember {
            user: plan.user.clone(),
            access: plan.access.name().into(),
        });
        membership.push(target.add_member(&user));
    }
    script.push(only_with_statements(membership));

    let in_scope = |s: &str| scoped_schemas.is_empty() || scoped_schemas.iter().any(|x| x == s);
    let access_of = |name: &str| -> Option<(usize, &SchemaAccess)> {
        ga.schemas.iter().enumerate().find(|(_, s)| s.schema == name)
    };

    // Planned schemas: what went missing.
    for sg in &plan.schemas {
        if !in_scope(&sg.name) {
            continue;
        }
        let Some((si, sa)) = access_of(&sg.name) else {
            items.push(DriftItem::PlannedSchemaMissing { schema: sg.name.clone() });
            converged.schemas.retain(|x| x.name != sg.name);
            continue;
        };
        let s = Ident::new(&sg.name, "schema name")?;
        let mut b = Block::commented(format!("Planned schema {s}: restore what the plan grants."));
        let tx = sg.kind == SchemaKind::Local || ddl::external_grants_transactional(d);
        if !sa.usage {
            items.push(DriftItem::UsageMissing { schema: sg.name.clone() });
            b.push(ddl::grant_usage_on_schema(&s, &grantee).transactional_if(tx));
        }
        if sg.kind == SchemaKind::Local && !matrix.schemas[si].external {
            let unreadable: Vec<String> =
                sa.tables.iter().filter(|t| !t.select).map(|t| t.name.clone()).collect();
            if !unreadable.is_empty() {
                items.push(DriftItem::TablesUnreadable {
                    schema: sg.name.clone(),
                    tables: unreadable,
                });
                b.push(ddl::grant_select_on_all_tables(&s, &grantee));
            }
            for owner in &sa.uncovered_creators {
                items.push(DriftItem::UncoveredOwner {
                    schema: sg.name.clone(),
                    owner: owner.clone(),
                });
                let o = Ident::new(owner, "owner name")?;
                b.push(ddl::grant_default_select(Some(&o), Some(&s), &grantee));
                if let Some(c) = converged.schemas.iter_mut().find(|x| x.name == sg.name)
                    && !c.owners.contains(owner)
                {
                    c.owners.push(owner.clone());
                }
            }
        }
        script.push(only_with_statements(b));
    }

    // Schemas outside the plan: open ones are beyond it, closed ones with tables are new.
    let planned = |name: &str| plan.schemas.iter().any(|s| s.name == name);
    let mut revokes = Vec::new();
    for (si, entry) in matrix.schemas.iter().enumerate() {
        if planned(&entry.name) {
            continue;
        }
        let sa = &ga.schemas[si];
        let mut holders: BTreeMap<Principal, usize> = BTreeMap::new();
        for h in sa.grants.iter().filter(|h| h.privilege == Privilege::Usage) {
            holders.entry(h.holder.clone()).or_default();
        }
        for t in &sa.tables {
            for h in t.grants.iter().filter(|h| h.privilege == Privilege::Select) {
                *holders.entry(h.holder.clone()).or_default() += 1;
            }
        }
        holders.retain(|h, _| h.kind != PrincipalKind::Public);
        let owned_here = sa.tables.iter().any(|t| t.owned);
        if !holders.is_empty() {
            for (holder, readable) in holders {
                let rev = revocable(&holder);
                items.push(DriftItem::ExtraSchema {
                    schema: entry.name.clone(),
                    holder: holder.clone(),
                    readable,
                    revocable: rev,
                });
                if rev && let Some(g) = to_grantee(&holder)? {
                    let s = Ident::new(&entry.name, "schema name")?;
                    let mut b = Block::commented(format!(
                        "Schema {s} is not in the plan: close it to {g}."
                    ));
                    let tx = !entry.external || ddl::external_grants_transactional(d);
                    let mut owners: Vec<&str> = sa
                        .default_privileges
                        .iter()
                        .filter(|p| !p.global && p.holder == holder)
                        .map(|p| p.owner.as_str())
                        .collect();
                    owners.dedup();
                    for o in owners {
                        let o = Ident::new(o, "owner name")?;
                        b.push(ddl::revoke_default_select(Some(&o), Some(&s), &g));
                    }
                    if !entry.external {
                        b.push(ddl::revoke_select_on_all_tables(&s, &g));
                    }
                    b.push(ddl::revoke_usage_on_schema(&s, &g).transactional_if(tx));
                    revokes.push(b);
                }
            }
        } else if !entry.external && !entry.tables.is_empty() && !owned_here && !ga.superuser {
            let mut owners: Vec<String> = Vec::new();
            for o in std::iter::once(&entry.owner).chain(entry.tables.iter().map(|t| &t.owner)) {
                if !SYSTEM_OWNERS.contains(&o.as_str()) && !owners.contains(o) {
                    owners.push(o.clone());
                }
            }
            let adopted = options.adopt_new_schemas;
            items.push(DriftItem::NewSchema {
                schema: entry.name.clone(),
                tables: entry.tables.len(),
                owners: owners.clone(),
                adopted,
            });
            if adopted {
                let s = Ident::new(&entry.name, "schema name")?;
                let mut b = Block::commented(format!(
                    "New schema {s}: USAGE, SELECT on its tables, default privileges per creator."
                ));
                b.push(ddl::grant_usage_on_schema(&s, &grantee));
                b.push(ddl::grant_select_on_all_tables(&s, &grantee));
                for o in &owners {
                    let o = Ident::new(o, "owner name")?;
                    b.push(ddl::grant_default_select(Some(&o), Some(&s), &grantee));
                }
                script.push(b);
                converged.schemas.push(SchemaGrant {
                    name: entry.name.clone(),
                    kind: SchemaKind::Local,
                    owners,
                });
            }
        }
    }

    // Grants beyond the plan, in every audited schema.
    for (si, entry) in matrix.schemas.iter().enumerate() {
        let sa = &ga.schemas[si];
        let s = Ident::new(&entry.name, "schema name")?;
        let mut b = Block::commented(format!("Schema {s}: privileges beyond read-only."));
        for h in sa.grants.iter().filter(|h| h.privilege == Privilege::Create) {
            if h.holder.kind == PrincipalKind::Public {
                continue;
            }
            let rev = revocable(&h.holder);
            items.push(DriftItem::CreateOnSchema {
                schema: entry.name.clone(),
                holder: h.holder.clone(),
                revocable: rev,
            });
            if rev && let Some(g) = to_grantee(&h.holder)? {
                b.push(ddl::revoke_create_on_schema(&s, &g));
            }
        }
        for t in sa.tables.iter().filter(|t| !t.owned) {
            let mut by_holder: BTreeMap<&Principal, Vec<Privilege>> = BTreeMap::new();
            for h in t.grants.iter().filter(|h| h.privilege.is_write()) {
                by_holder.entry(&h.holder).or_default().push(h.privilege);
            }
            for (holder, mut privileges) in by_holder {
                privileges.sort();
                privileges.dedup();
                let rev = revocable(holder);
                if rev && let Some(g) = to_grantee(holder)? {
                    let tname = Ident::new(&t.name, "table name")?;
                    b.push(ddl::revoke_privileges_on_table(&s, &tname, &privileges, &g));
                }
                items.push(DriftItem::WriteGrant {
                    schema: entry.name.clone(),
                    table: t.name.clone(),
                    privileges,
                    holder: holder.clone(),
                    revocable: rev,
                });
            }
        }
        revokes.push(b);
    }
    for b in revokes {
        script.push(only_with_statements(b));
    }

    // The vendor guide's system-schema grants.
    let mut system: BTreeMap<(String, Principal), usize> = BTreeMap::new();
    for g in &matrix.system_grants {
        let planned_svv = plan.grant_svv_table_info && g.table == "svv_table_info";
        if g.privilege == Privilege::Select && ga.closure.contains(&g.holder) && !planned_svv {
            *system.entry((g.schema.clone(), g.holder.clone())).or_default() += 1;
        }
    }
    let mut b = Block::commented("System catalogs: metadata is readable without grants.");
    for ((schema, holder), tables) in system {
        let rev = revocable(&holder);
        let which = match schema.as_str() {
            "pg_catalog" => Some(SystemSchema::PgCatalog),
            "information_schema" => Some(SystemSchema::InformationSchema),
            _ => None,
        };
        if rev && let (Some(which), Some(g)) = (which, to_grantee(&holder)?) {
            b.push(ddl::revoke_select_on_system_schema(which, &g));
            if plan.grant_svv_table_info && which == SystemSchema::PgCatalog && g == grantee {
                b.push(ddl::grant_select_svv_table_info(&grantee));
            }
        }
        items.push(DriftItem::SystemSchemaGrant { schema, holder, tables, revocable: rev });
    }
    script.push(only_with_statements(b));

    // Datashares (Redshift).
    let mut b = Block::commented("Datashare consumer databases.");
    b.note("Runs outside a transaction block, like other grants on external resources.");
    for db in &plan.datashare_databases {
        if matrix.datashare_databases.contains(db) && !ga.datashares.contains(db) {
            items.push(DriftItem::DatashareMissing { database: db.clone() });
            let id = Ident::new(db, "datashare database name")?;
            b.push(
                ddl::grant_usage_on_database(&id, &grantee)
                    .transactional_if(ddl::external_grants_transactional(d)),
            );
        }
    }
    script.push(only_with_statements(b));

    if script.statements().next().is_none() {
        script.push(Block::commented(if items.is_empty() {
            "Nothing to converge: the live state matches the plan."
        } else {
            "Nothing this script can change; see the drift list."
        }));
    }
    Ok(report(items, script, converged))
}

/// A block only when it has statements (its comment alone says nothing to run).
fn only_with_statements(b: Block) -> Block {
    if b.statements.is_empty() { Block::default() } else { b }
}

/// Drift for every record of `records` that is for `database` (the audited one).
pub fn drift_all(
    matrix: &AccessMatrix,
    records: &[AppliedPlan],
    database: &str,
    scoped_schemas: &[String],
    options: DriftOptions,
) -> Result<Vec<DriftReport>, SqlTextError> {
    records
        .iter()
        .filter(|r| r.database == database)
        .map(|r| drift(matrix, r, scoped_schemas, options))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::audit::{AuditQuery, AuditScope, evaluate};
    use super::super::query::{QueryId, QueryResults, Row};
    use super::*;

    fn row(cells: &[Option<&str>]) -> Row {
        cells.iter().map(|c| c.map(str::to_owned)).collect()
    }

    /// A PostgreSQL audit after setup of `cat` (group `cat_ro`) on "Sales EU", then: INSERT
    /// granted by hand, a table by an unplanned owner, a new schema, the vendor's pg_catalog grant.
    fn drifted() -> (AccessMatrix, AppliedPlan) {
        let mut r = QueryResults::new();
        let mut put = |id, rows: Vec<Row>| {
            r.insert(QueryId::Audit(id), Ok(rows));
        };
        put(
            AuditQuery::Identities,
            vec![
                row(&[Some("cat"), Some("user"), Some("f"), Some("f"), Some("t"), None]),
                row(&[Some("cat_ro"), Some("role"), Some("f"), Some("f"), Some("t"), None]),
                row(&[Some("etl"), Some("user"), Some("f"), Some("f"), Some("t"), None]),
                row(&[Some("O'Brien"), Some("user"), Some("f"), Some("f"), Some("t"), None]),
            ],
        );
        put(
            AuditQuery::Memberships,
            vec![row(&[Some("cat"), Some("role"), Some("cat_ro"), Some("role")])],
        );
        put(
            AuditQuery::Schemas,
            vec![
                row(&[Some("Sales EU"), Some("etl"), Some("{etl=UC/etl,cat_ro=U/etl}")]),
                row(&[Some("late"), Some("etl"), None]),
            ],
        );
        put(
            AuditQuery::Relations,
            vec![
                row(&[
                    Some("Sales EU"),
                    Some("orders"),
                    Some("r"),
                    Some("etl"),
                    Some("{etl=arwdDxt/etl,cat_ro=ra/etl}"),
                ]),
                row(&[Some("Sales EU"), Some("by_obrien"), Some("r"), Some("O'Brien"), None]),
                row(&[Some("late"), Some("t"), Some("r"), Some("etl"), None]),
            ],
        );
        put(AuditQuery::ColumnGrants, vec![]);
        put(
            AuditQuery::DefaultAcl,
            vec![row(&[Some("etl"), Some("Sales EU"), Some("r"), Some("{cat_ro=r/etl}")])],
        );
        put(
            AuditQuery::SystemGrants,
            vec![row(&[
                Some("pg_catalog"),
                Some("pg_class"),
                Some("postgres"),
                Some("{postgres=arwdDxt/postgres,=r/postgres,cat_ro=r/postgres}"),
            ])],
        );
        let m = evaluate(Dialect::Postgres, &AuditScope::default(), &r)
            .unwrap_or_else(|e| panic!("{e}"));
        let applied = AppliedPlan {
            database: "db".into(),
            applied_at: "2026-12-01T00:00:00Z".into(),
            plan: SetupPlan {
                dialect: Dialect::Postgres,
                user: "cat".into(),
                access: Access::Group { name: "cat_ro".into() },
                schemas: vec![SchemaGrant {
                    name: "Sales EU".into(),
                    kind: SchemaKind::Local,
                    owners: vec!["etl".into()],
                }],
                ..Default::default()
            },
            ..Default::default()
        };
        (m, applied)
    }

    #[test]
    fn drift_lists_and_converges_every_kind() {
        let (m, applied) = drifted();
        let r = drift(&m, &applied, &[], DriftOptions { adopt_new_schemas: true })
            .unwrap_or_else(|e| panic!("{e}"));
        let kinds: Vec<String> = r
            .items
            .iter()
            .map(|i| {
                serde_json::to_value(i)
                    .ok()
                    .and_then(|v| v["kind"].as_str().map(String::from))
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                "tables_unreadable",
                "uncovered_owner",
                "new_schema",
                "write_grant",
                "system_schema_grant"
            ],
            "{:#?}",
            r.items
        );
        let sql = r.converge.render(false);
        assert_eq!(
            sql,
            "-- Shiftgate converge: catalog user \"cat\" back to the plan applied 2026-12-01T00:00:00Z in database \"db\"\n\
             \n-- Planned schema \"Sales EU\": restore what the plan grants.\n\
             GRANT SELECT ON ALL TABLES IN SCHEMA \"Sales EU\" TO GROUP \"cat_ro\";\n\
             ALTER DEFAULT PRIVILEGES FOR USER \"O'Brien\" IN SCHEMA \"Sales EU\" GRANT SELECT ON TABLES TO GROUP \"cat_ro\";\n\
             \n-- New schema \"late\": USAGE, SELECT on its tables, default privileges per creator.\n\
             GRANT USAGE ON SCHEMA \"late\" TO GROUP \"cat_ro\";\n\
             GRANT SELECT ON ALL TABLES IN SCHEMA \"late\" TO GROUP \"cat_ro\";\n\
             ALTER DEFAULT PRIVILEGES FOR USER \"etl\" IN SCHEMA \"late\" GRANT SELECT ON TABLES TO GROUP \"cat_ro\";\n\
             \n-- Schema \"Sales EU\": privileges beyond read-only.\n\
             REVOKE INSERT ON \"Sales EU\".\"orders\" FROM GROUP \"cat_ro\";\n\
             \n-- System catalogs: metadata is readable without grants.\n\
             REVOKE SELECT ON ALL TABLES IN SCHEMA pg_catalog FROM GROUP \"cat_ro\";\n"
        );
        let names: Vec<&str> = r.converged_plan.schemas.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["Sales EU", "late"]);
        assert_eq!(r.converged_plan.schemas[0].owners, vec!["etl", "O'Brien"]);
    }

    #[test]
    fn new_schema_only_reported_unless_adopted() {
        let (m, applied) = drifted();
        let r = drift(&m, &applied, &[], DriftOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(r.items.iter().any(|i| matches!(i, DriftItem::NewSchema { adopted: false, .. })));
        assert!(!r.converge.render(false).contains("\"late\""));
        assert_eq!(r.converged_plan.schemas.len(), 1);
    }

    #[test]
    fn missing_user_is_reported_without_sql() {
        let (m, mut applied) = drifted();
        applied.plan.user = "gone".into();
        let r = drift(&m, &applied, &[], DriftOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.items, vec![DriftItem::UserMissing { user: "gone".into() }]);
        assert_eq!(r.converge.statements().count(), 0);
    }
}
