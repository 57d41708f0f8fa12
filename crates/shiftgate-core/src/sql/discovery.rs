//! Discovery, run as the admin before setup: which schemas exist (local or external), who creates
//! objects in each, which datashare databases, users, groups and roles exist, and whether Redshift
//! RBAC is available. Queries are data ([`queries`]); parsing is pure ([`evaluate`]).
//!
//! Filtering of system schemas happens here in Rust rather than with `NOT LIKE 'pg\_%'`, because a
//! backslash in a string literal means different things on Redshift and PostgreSQL.

use std::collections::BTreeSet;

use super::ident::SqlTextError;
use super::live::{self, LiveAcl};
use super::plan::{
    Dialect, ExistingState, SchemaGrant, SchemaKind, SkipReason, SkippedOwner, is_system_schema,
};
use super::query::{CatalogQuery, QueryId, QueryResults, Row, RowError, text};

/// Owners that are the server's own, never named in `ALTER DEFAULT PRIVILEGES FOR USER`:
/// Redshift's internal superuser `rdsdb` and PostgreSQL 15's `pg_database_owner` (owner of `public`).
pub const SYSTEM_OWNERS: &[&str] = &["rdsdb", "pg_database_owner"];

/// A schema found in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredSchema {
    /// `pg_namespace.nspname`.
    pub name: String,
    /// External when listed by `svv_external_schemas`.
    pub kind: SchemaKind,
    /// `pg_get_userbyid(nspowner)`.
    pub owner: String,
    /// Sorted distinct owners of its tables and views plus the schema owner, without
    /// [`SYSTEM_OWNERS`]; empty for external schemas.
    pub object_owners: Vec<String>,
}

/// What discovery found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Discovery {
    /// Non-system schemas, sorted by name.
    pub schemas: Vec<DiscoveredSchema>,
    /// Datashare consumer databases (Redshift).
    pub datashare_databases: Vec<String>,
    /// User names.
    pub users: Vec<String>,
    /// Group names.
    pub groups: Vec<String>,
    /// Role names (Redshift RBAC roles; PostgreSQL NOLOGIN roles other than `pg_…`).
    pub roles: Vec<String>,
    /// Redshift RBAC is usable (the `svv_roles` query succeeded). Always false on PostgreSQL,
    /// where `Access::Role` maps to a plain role anyway.
    pub rbac_available: bool,
    /// Optional queries that failed, with the server's words.
    pub notes: Vec<String>,
    /// Live privileges, memberships, user powers and the case setting (see [`live`]).
    pub acl: LiveAcl,
    /// Object creators setup must skip (no CREATE on the schema, or gone).
    pub skipped_owners: Vec<SkippedOwner>,
    /// Datashare databases created `WITH PERMISSIONS` (object-level grants needed).
    pub datashares_with_permissions: Vec<String>,
    /// Tables of those databases: (database, schema, table).
    pub shared_tables: Vec<(String, String, String)>,
}

/// Discovery could not be completed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    /// The runner did not store a required query's outcome.
    #[error("the {0} was not run")]
    Missing(QueryId),
    /// A required query failed.
    #[error("the {query} failed: {error}")]
    Failed {
        /// The query.
        query: QueryId,
        /// The server's words.
        error: String,
    },
    /// A row did not have the expected shape.
    #[error(transparent)]
    BadRow(#[from] RowError),
    /// A chosen schema was not discovered.
    #[error("schema {0:?} was not found in this database")]
    UnknownSchema(String),
}

const SCHEMAS_SQL: &str = "SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace \
     WHERE nspname <> 'information_schema' ORDER BY nspname";
const OBJECT_OWNERS_SQL: &str = "SELECT schemaname, tableowner AS owner FROM pg_tables \
     WHERE schemaname NOT IN ('pg_catalog', 'information_schema') \
     UNION ALL SELECT schemaname, viewowner AS owner FROM pg_views \
     WHERE schemaname NOT IN ('pg_catalog', 'information_schema')";
const EXTERNAL_SCHEMAS_SQL: &str =
    "SELECT schemaname FROM svv_external_schemas ORDER BY schemaname";
const DATASHARES_SQL: &str = "SELECT database_name FROM svv_redshift_databases \
     WHERE database_type = 'shared' ORDER BY database_name";
/// `database_options` of a consumer database created `WITH PERMISSIONS` mentions permissions
/// (the documented column holds "the properties of the database"; the exact text is unverified).
const DATASHARE_OPTIONS_SQL: &str = "SELECT database_name, database_options \
     FROM svv_redshift_databases WHERE database_type = 'shared' ORDER BY database_name";
const USERS_SQL: &str = "SELECT usename FROM pg_user ORDER BY usename";
const GROUPS_SQL: &str = "SELECT groname FROM pg_group ORDER BY groname";
const REDSHIFT_ROLES_SQL: &str = "SELECT role_name FROM svv_roles ORDER BY role_name";
const POSTGRES_ROLES_SQL: &str =
    "SELECT rolname FROM pg_roles WHERE rolcanlogin = 'f' ORDER BY rolname";

/// The discovery queries for `dialect`, in the order to run them (each independent of the others).
pub fn queries(dialect: Dialect) -> Vec<CatalogQuery> {
    let q = |id, sql: &str| CatalogQuery { id, sql: sql.to_owned() };
    let mut out =
        vec![q(QueryId::Schemas, SCHEMAS_SQL), q(QueryId::ObjectOwners, OBJECT_OWNERS_SQL)];
    if dialect == Dialect::Redshift {
        out.push(q(QueryId::ExternalSchemas, EXTERNAL_SCHEMAS_SQL));
        out.push(q(QueryId::DatashareDatabases, DATASHARES_SQL));
    }
    out.push(q(QueryId::Users, USERS_SQL));
    out.push(q(QueryId::Groups, GROUPS_SQL));
    out.push(q(
        QueryId::Roles,
        match dialect {
            Dialect::Redshift => REDSHIFT_ROLES_SQL,
            Dialect::Postgres => POSTGRES_ROLES_SQL,
        },
    ));
    out
}

/// Optional discovery queries beyond [`queries`]: the live privilege state ([`live::queries`])
/// and, on Redshift, which datashare databases were created WITH PERMISSIONS. A server (or the
/// simulator) that can't answer them leaves a note; teardown then mirrors the plan.
pub fn optional_queries(dialect: Dialect) -> Vec<CatalogQuery> {
    let mut out = live::queries(dialect);
    if dialect == Dialect::Redshift {
        out.push(CatalogQuery {
            id: QueryId::DatashareOptions,
            sql: DATASHARE_OPTIONS_SQL.to_owned(),
        });
    }
    out
}

fn required(results: &QueryResults, id: QueryId) -> Result<&[Row], DiscoveryError> {
    match results.get(&id) {
        None => Err(DiscoveryError::Missing(id)),
        Some(Err(error)) => Err(DiscoveryError::Failed { query: id, error: error.clone() }),
        Some(Ok(rows)) => Ok(rows),
    }
}

/// `Some(rows)` on success; on failure records a note and returns `None`.
fn optional<'a>(
    results: &'a QueryResults,
    id: QueryId,
    notes: &mut Vec<String>,
) -> Option<&'a [Row]> {
    match results.get(&id) {
        Some(Ok(rows)) => Some(rows),
        Some(Err(error)) => {
            notes.push(format!("the {id} failed: {error}"));
            None
        }
        None => None,
    }
}

fn first_column(id: &QueryId, rows: &[Row]) -> Result<Vec<String>, RowError> {
    let mut out = (0..rows.len())
        .map(|i| text(id, rows, i, 0).map(str::to_owned))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort();
    out.dedup();
    Ok(out)
}

/// Reads the discovery results.
pub fn evaluate(dialect: Dialect, results: &QueryResults) -> Result<Discovery, DiscoveryError> {
    let mut notes = Vec::new();
    let schema_rows = required(results, QueryId::Schemas)?;
    let owner_rows = required(results, QueryId::ObjectOwners)?;
    let users = first_column(&QueryId::Users, required(results, QueryId::Users)?)?;
    let groups = first_column(&QueryId::Groups, required(results, QueryId::Groups)?)?;

    let (external, datashare_databases) = if dialect == Dialect::Redshift {
        let ext = match optional(results, QueryId::ExternalSchemas, &mut notes) {
            Some(rows) => first_column(&QueryId::ExternalSchemas, rows)?,
            None => Vec::new(),
        };
        let ds = match optional(results, QueryId::DatashareDatabases, &mut notes) {
            Some(rows) => first_column(&QueryId::DatashareDatabases, rows)?,
            None => Vec::new(),
        };
        (ext, ds)
    } else {
        (Vec::new(), Vec::new())
    };

    let (mut roles, rbac_available) = match optional(results, QueryId::Roles, &mut notes) {
        Some(rows) => (first_column(&QueryId::Roles, rows)?, dialect == Dialect::Redshift),
        None => (Vec::new(), false),
    };
    if dialect == Dialect::Postgres {
        roles.retain(|r| !r.starts_with("pg_"));
    }

    let owner_id = QueryId::ObjectOwners;
    let mut owned: Vec<(String, String)> = Vec::new();
    for i in 0..owner_rows.len() {
        owned.push((
            text(&owner_id, owner_rows, i, 0)?.to_owned(),
            text(&owner_id, owner_rows, i, 1)?.to_owned(),
        ));
    }

    let schema_id = QueryId::Schemas;
    let mut schemas = Vec::new();
    for i in 0..schema_rows.len() {
        let name = text(&schema_id, schema_rows, i, 0)?;
        if is_system_schema(name) {
            continue;
        }
        let owner = text(&schema_id, schema_rows, i, 1)?.to_owned();
        let kind = if external.iter().any(|e| e == name) {
            SchemaKind::External
        } else {
            SchemaKind::Local
        };
        let object_owners = match kind {
            SchemaKind::External => Vec::new(),
            SchemaKind::Local => {
                let set: BTreeSet<&str> = owned
                    .iter()
                    .filter(|(s, _)| s == name)
                    .map(|(_, o)| o.as_str())
                    .chain(std::iter::once(owner.as_str()))
                    .filter(|o| !SYSTEM_OWNERS.contains(o))
                    .collect();
                set.into_iter().map(str::to_owned).collect()
            }
        };
        schemas.push(DiscoveredSchema { name: name.to_owned(), kind, owner, object_owners });
    }
    schemas.sort_by(|a, b| a.name.cmp(&b.name));

    let acl = live::evaluate(dialect, results, &mut notes)?;
    // An owner that is no user, group or role any more (Redshift keeps objects of dropped users).
    let known = |o: &str| {
        users.iter().chain(groups.iter()).chain(roles.iter()).any(|u| u == o) || users.is_empty()
    };
    let mut skipped_owners = Vec::new();
    for s in &schemas {
        for o in &s.object_owners {
            if !known(o) {
                skipped_owners.push(SkippedOwner {
                    schema: s.name.clone(),
                    owner: o.clone(),
                    reason: SkipReason::Missing,
                });
            }
        }
    }
    let mut datashares_with_permissions = Vec::new();
    if dialect == Dialect::Redshift
        && let Some(rows) = optional(results, QueryId::DatashareOptions, &mut notes)
    {
        let id = QueryId::DatashareOptions;
        for i in 0..rows.len() {
            let name = text(&id, rows, i, 0)?;
            let options = rows.get(i).and_then(|r| r.get(1)).cloned().flatten().unwrap_or_default();
            if options.to_ascii_lowercase().contains("permission") {
                datashares_with_permissions.push(name.to_owned());
            }
        }
    }
    Ok(Discovery {
        schemas,
        datashare_databases,
        users,
        groups,
        roles,
        rbac_available,
        notes,
        acl,
        skipped_owners,
        datashares_with_permissions,
        shared_tables: Vec::new(),
    })
}

impl Discovery {
    /// The names that exist, for [`super::plan::SetupPlan::validate`] and script generation.
    pub fn existing_state(&self) -> ExistingState {
        ExistingState {
            users: self.users.clone(),
            groups: self.groups.clone(),
            roles: self.roles.clone(),
            acl: self.acl.clone(),
            skipped_owners: self.skipped_owners.clone(),
            datashares_with_permissions: self.datashares_with_permissions.clone(),
            shared_tables: self.shared_tables.clone(),
            schema_object_owners: self
                .schemas
                .iter()
                .filter(|s| s.kind == SchemaKind::Local)
                .map(|s| (s.name.clone(), s.object_owners.clone()))
                .collect(),
        }
    }

    /// Phase two: the tables of datashare databases created WITH PERMISSIONS (Redshift).
    pub fn shared_table_queries(&self) -> Result<Vec<CatalogQuery>, SqlTextError> {
        let dbs: Vec<&str> = self.datashares_with_permissions.iter().map(String::as_str).collect();
        Ok(match super::query::in_list("database_name", &dbs, "database name")? {
            Some(cond) => vec![CatalogQuery {
                id: QueryId::SharedTables,
                sql: format!(
                    "SELECT database_name, schema_name, table_name FROM svv_redshift_tables \
                     WHERE {cond} ORDER BY 1, 2, 3"
                ),
            }],
            None => Vec::new(),
        })
    }

    /// Records the shared tables phase two found (a failure becomes a note).
    pub fn apply_shared_tables(&mut self, results: &QueryResults) -> Result<(), RowError> {
        let id = QueryId::SharedTables;
        if let Some(rows) = optional(results, id.clone(), &mut self.notes) {
            for i in 0..rows.len() {
                self.shared_tables.push((
                    text(&id, rows, i, 0)?.to_owned(),
                    text(&id, rows, i, 1)?.to_owned(),
                    text(&id, rows, i, 2)?.to_owned(),
                ));
            }
        }
        Ok(())
    }

    /// Phase two: the CREATE check for every (local schema, existing object owner) pair.
    pub fn owner_create_queries(&self) -> Result<Vec<CatalogQuery>, SqlTextError> {
        let pairs: Vec<(String, String)> = self
            .schemas
            .iter()
            .filter(|s| s.kind == SchemaKind::Local)
            .flat_map(|s| s.object_owners.iter().map(move |o| (s.name.clone(), o.clone())))
            .filter(|(s, o)| !self.skipped_owners.iter().any(|k| &k.schema == s && &k.owner == o))
            .collect();
        live::owner_create_queries(&pairs)
    }

    /// Records the owners phase two found without CREATE (failures become notes).
    pub fn apply_owner_checks(&mut self, results: &QueryResults) -> Result<(), RowError> {
        for (schema, owner) in live::owners_without_create(results, &mut self.notes)? {
            self.skipped_owners.push(SkippedOwner { schema, owner, reason: SkipReason::NoCreate });
        }
        Ok(())
    }

    /// The chosen schemas (in the order given) as grants pre-filled with kind and object owners.
    pub fn schema_grants(&self, chosen: &[&str]) -> Result<Vec<SchemaGrant>, DiscoveryError> {
        chosen
            .iter()
            .map(|name| {
                self.schemas
                    .iter()
                    .find(|s| s.name == *name)
                    .map(|s| SchemaGrant {
                        name: s.name.clone(),
                        kind: s.kind,
                        owners: s.object_owners.clone(),
                    })
                    .ok_or_else(|| DiscoveryError::UnknownSchema((*name).to_owned()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &[&[&str]]) -> Result<Vec<Row>, String> {
        Ok(data.iter().map(|r| r.iter().map(|c| Some((*c).to_owned())).collect()).collect())
    }

    fn redshift_results() -> QueryResults {
        let mut r = QueryResults::new();
        r.insert(
            QueryId::Schemas,
            rows(&[
                &["pg_catalog", "rdsdb"],
                &["public", "rdsdb"],
                &["sales", "admin"],
                &["spectrum", "admin"],
                &["pg_temp_1", "rdsdb"],
            ]),
        );
        r.insert(
            QueryId::ObjectOwners,
            rows(&[
                &["sales", "ETL_Loader"],
                &["sales", "etl"],
                &["sales", "etl"],
                &["public", "admin"],
                &["sales", "admin"],
            ]),
        );
        r.insert(QueryId::ExternalSchemas, rows(&[&["spectrum"]]));
        r.insert(QueryId::DatashareDatabases, rows(&[&["sales_share"]]));
        r.insert(QueryId::Users, rows(&[&["rdsdb"], &["admin"], &["etl"]]));
        r.insert(QueryId::Groups, rows(&[&["analysts"]]));
        r.insert(QueryId::Roles, Err("permission denied for relation svv_roles".into()));
        r
    }

    #[test]
    fn redshift_discovery_parses_and_filters() {
        let d = evaluate(Dialect::Redshift, &redshift_results()).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = d.schemas.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["public", "sales", "spectrum"]);
        assert_eq!(d.schemas[0].object_owners, vec!["admin"]);
        assert_eq!(d.schemas[1].object_owners, vec!["ETL_Loader", "admin", "etl"]);
        assert_eq!(d.schemas[2].kind, SchemaKind::External);
        assert!(d.schemas[2].object_owners.is_empty());
        assert_eq!(d.datashare_databases, vec!["sales_share"]);
        assert_eq!(d.users, vec!["admin", "etl", "rdsdb"]);
        assert!(!d.rbac_available);
        assert_eq!(d.notes.len(), 1);
        let grants = d.schema_grants(&["spectrum", "sales"]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(grants[0].kind, SchemaKind::External);
        assert_eq!(grants[1].owners, vec!["ETL_Loader", "admin", "etl"]);
        assert_eq!(d.schema_grants(&["nope"]), Err(DiscoveryError::UnknownSchema("nope".into())));
    }

    #[test]
    fn postgres_discovery_drops_predefined_roles() {
        let mut r = redshift_results();
        r.remove(&QueryId::ExternalSchemas);
        r.insert(QueryId::Roles, rows(&[&["pg_read_all_data"], &["readers"]]));
        let d = evaluate(Dialect::Postgres, &r).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.roles, vec!["readers"]);
        assert!(!d.rbac_available);
        assert!(d.schemas.iter().all(|s| s.kind == SchemaKind::Local));
        assert!(d.datashare_databases.is_empty());
    }

    #[test]
    fn required_failures_and_bad_rows_are_errors() {
        let mut r = redshift_results();
        r.insert(QueryId::Users, Err("boom".into()));
        assert_eq!(
            evaluate(Dialect::Redshift, &r),
            Err(DiscoveryError::Failed { query: QueryId::Users, error: "boom".into() })
        );
        r.remove(&QueryId::Users);
        assert_eq!(evaluate(Dialect::Redshift, &r), Err(DiscoveryError::Missing(QueryId::Users)));
        let mut r = redshift_results();
        r.insert(QueryId::Groups, Ok(vec![vec![None]]));
        assert!(matches!(
            evaluate(Dialect::Redshift, &r),
            Err(DiscoveryError::BadRow(RowError::Null { .. }))
        ));
    }

    #[test]
    fn query_set_per_dialect() {
        let ids = |d| queries(d).into_iter().map(|q| q.id).collect::<Vec<_>>();
        assert_eq!(
            ids(Dialect::Postgres),
            [
                QueryId::Schemas,
                QueryId::ObjectOwners,
                QueryId::Users,
                QueryId::Groups,
                QueryId::Roles
            ]
        );
        assert_eq!(ids(Dialect::Redshift).len(), 7);
        assert_eq!(optional_queries(Dialect::Redshift).len(), 11);
        assert!(queries(Dialect::Postgres).iter().all(|q| !q.sql.contains("svv_")));
    }
}
