//! Catalog queries as data: an id, the SQL text, and the simple-query text rows that come back.
//!
//! `discovery` and `verify` produce [`CatalogQuery`] lists and parse [`QueryResults`]; the runner
//! only executes each query and stores rows or the server's error text under the query's id.
//! Every query stays inside the simulator's subset: `SELECT … FROM <one relation> [WHERE …]
//! [ORDER BY …]`, optionally joined by `UNION ALL` (then without ORDER BY); no JOIN, subquery, CTE.

use std::collections::BTreeMap;
use std::fmt;

use super::ident::{Literal, SqlTextError, literal_list};

/// Identifies a catalog query and, through it, how its rows are read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QueryId {
    /// Discovery: every schema with its owner (`pg_namespace`).
    Schemas,
    /// Discovery: owner of every table and view (`pg_tables` ∪ `pg_views`).
    ObjectOwners,
    /// Discovery: external schemas (`svv_external_schemas`, Redshift).
    ExternalSchemas,
    /// Discovery: datashare consumer databases (`svv_redshift_databases`, Redshift).
    DatashareDatabases,
    /// Discovery: users (`pg_user`).
    Users,
    /// Discovery: groups (`pg_group`).
    Groups,
    /// Discovery: roles (`svv_roles` on Redshift, NOLOGIN `pg_roles` on PostgreSQL).
    Roles,
    /// Audit (as the admin): one query per kind of privilege fact.
    Audit(super::audit::AuditQuery),
    /// Verify: visibility and USAGE of each chosen schema.
    SchemaUsage,
    /// Verify: SELECT on every table and view of the chosen local schemas.
    RelationPrivileges,
    /// Verify: late-binding view columns (Redshift).
    LateBindingColumns,
    /// Verify: tables of the chosen external schemas (Redshift).
    ExternalTables,
    /// Verify: which planned datashare databases the user can see (Redshift).
    VisibleDatashares,
    /// Verify: SELECT on `pg_catalog.svv_table_info` (Redshift, when granted).
    SvvTableInfo,
    /// Verify: the relation check again, `has_table_privilege` only where the user has USAGE
    /// (run when the first one failed: a name in a schema without USAGE aborts it on Redshift).
    RelationPrivilegesByUsage,
    /// Verify and audit: default SELECT privileges on tables (`pg_default_acl` /
    /// `svv_default_privileges`).
    DefaultPrivileges,
    /// Verify: the catalog tool's own definitions query, counted per schema.
    InspectorCounts,
    /// Verify: `SELECT 1 FROM "s"."t" LIMIT 0` on one relation of a local schema.
    Probe {
        /// The schema probed.
        schema: String,
    },
    /// Live state: explicit schema privileges per grantee.
    SchemaPrivileges,
    /// Live state: explicit table and view privileges per grantee.
    TablePrivileges,
    /// Live state: default-privilege entries (`aclexplode` / `svv_default_privileges`).
    LiveDefaultPrivileges,
    /// Live state (Redshift): raw `pg_default_acl` rows.
    DefaultAcl,
    /// Live state (Redshift): schema oids, to name `pg_default_acl.defaclnamespace`.
    NamespaceOids,
    /// Live state (Redshift): database privileges (`svv_database_privileges`).
    DatabasePrivileges,
    /// Live state: group members (PostgreSQL: every role membership).
    GroupMembers,
    /// Live state (Redshift): RBAC role members (`svv_user_grants`).
    RoleMembers,
    /// Live state: superuser / CREATEDB / CREATEROLE per login.
    UserFlags,
    /// Live state (Redshift): `SHOW enable_case_sensitive_identifier`.
    CaseSensitivity,
    /// Discovery phase two: CREATE on the schema for each (schema, owner) pair.
    OwnerCreate {
        /// Which chunk of pairs.
        chunk: usize,
    },
    /// Teardown: what still names a group, role or user after a failed DROP (2BP01 / 55006).
    Dependents,
    /// Discovery (Redshift): `database_options` of datashare consumer databases.
    DatashareOptions,
    /// Discovery phase two (Redshift): tables of datashare databases created WITH PERMISSIONS.
    SharedTables,
    /// Verify (Redshift): tables the user sees in the planned datashare databases
    /// (`svv_redshift_tables`).
    DatashareTables,
    /// Verify: `SELECT 1 FROM "db"."s"."t" LIMIT 0` on one shared table of a datashare database.
    DatashareProbe {
        /// The datashare consumer database probed.
        database: String,
    },
}

impl fmt::Display for QueryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryId::Schemas => f.write_str("schema list"),
            QueryId::ObjectOwners => f.write_str("table and view owners"),
            QueryId::ExternalSchemas => f.write_str("external schema list"),
            QueryId::DatashareDatabases => f.write_str("datashare database list"),
            QueryId::Users => f.write_str("user list"),
            QueryId::Groups => f.write_str("group list"),
            QueryId::Roles => f.write_str("role list"),
            QueryId::Audit(q) => write!(f, "audit {q}"),
            QueryId::SchemaUsage => f.write_str("schema USAGE check"),
            QueryId::RelationPrivileges => f.write_str("table SELECT check"),
            QueryId::LateBindingColumns => f.write_str("late-binding view columns"),
            QueryId::ExternalTables => f.write_str("external table list"),
            QueryId::VisibleDatashares => f.write_str("datashare visibility check"),
            QueryId::SvvTableInfo => f.write_str("svv_table_info check"),
            QueryId::RelationPrivilegesByUsage => f.write_str("table SELECT check (by USAGE)"),
            QueryId::DefaultPrivileges => f.write_str("default privileges list"),
            QueryId::InspectorCounts => f.write_str("catalog tool's definitions query"),
            QueryId::Probe { schema } => write!(f, "read probe of schema {schema:?}"),
            QueryId::SchemaPrivileges => f.write_str("schema privilege list"),
            QueryId::TablePrivileges => f.write_str("table privilege list"),
            QueryId::LiveDefaultPrivileges => f.write_str("default privilege list (live state)"),
            QueryId::DefaultAcl => f.write_str("pg_default_acl read"),
            QueryId::NamespaceOids => f.write_str("schema oid list"),
            QueryId::DatabasePrivileges => f.write_str("database privilege list"),
            QueryId::GroupMembers => f.write_str("group membership list"),
            QueryId::RoleMembers => f.write_str("role membership list"),
            QueryId::UserFlags => f.write_str("user attribute list"),
            QueryId::CaseSensitivity => f.write_str("case-sensitive identifier setting"),
            QueryId::OwnerCreate { chunk } => write!(f, "owner CREATE check #{}", chunk + 1),
            QueryId::Dependents => f.write_str("dependent privilege list"),
            QueryId::DatashareOptions => f.write_str("datashare database options"),
            QueryId::SharedTables => f.write_str("shared table list"),
            QueryId::DatashareTables => f.write_str("datashare table list"),
            QueryId::DatashareProbe { database } => {
                write!(f, "read probe of datashare database {database:?}")
            }
        }
    }
}

/// One query to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogQuery {
    /// Key under which the runner stores the outcome.
    pub id: QueryId,
    /// Text to send with the simple-query protocol.
    pub sql: String,
}

/// One result row: columns in select order, text format (`"t"`/`"f"` for booleans), NULL as `None`.
pub type Row = Vec<Option<String>>;
/// Rows, or the server's error text.
pub type QueryOutcome = Result<Vec<Row>, String>;
/// Everything the runner collected, by query id.
pub type QueryResults = BTreeMap<QueryId, QueryOutcome>;

/// A row that doesn't have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    /// Fewer columns than the query selects.
    #[error("{query}: row {row} has no column {column}")]
    MissingColumn {
        /// The query.
        query: QueryId,
        /// Row index.
        row: usize,
        /// Column index.
        column: usize,
    },
    /// NULL where a value is required.
    #[error("{query}: row {row} column {column} is NULL")]
    Null {
        /// The query.
        query: QueryId,
        /// Row index.
        row: usize,
        /// Column index.
        column: usize,
    },
    /// A boolean column holding something other than t/f/true/false.
    #[error("{query}: row {row} column {column} is {value:?}, expected a boolean")]
    NotBoolean {
        /// The query.
        query: QueryId,
        /// Row index.
        row: usize,
        /// Column index.
        column: usize,
        /// What was there.
        value: String,
    },
    /// A count column holding something other than a non-negative integer.
    #[error("{query}: row {row} column {column} is {value:?}, expected a count")]
    NotCount {
        /// The query.
        query: QueryId,
        /// Row index.
        row: usize,
        /// Column index.
        column: usize,
        /// What was there.
        value: String,
    },
}

/// Column `column` of row `row` as text.
pub(crate) fn text<'a>(
    query: &QueryId,
    rows: &'a [Row],
    row: usize,
    column: usize,
) -> Result<&'a str, RowError> {
    let cell = rows
        .get(row)
        .and_then(|r| r.get(column))
        .ok_or_else(|| RowError::MissingColumn { query: query.clone(), row, column })?;
    cell.as_deref().ok_or_else(|| RowError::Null { query: query.clone(), row, column })
}

/// Column `column` of row `row` as a boolean.
pub(crate) fn flag(
    query: &QueryId,
    rows: &[Row],
    row: usize,
    column: usize,
) -> Result<bool, RowError> {
    match text(query, rows, row, column)? {
        "t" | "true" | "TRUE" | "1" => Ok(true),
        "f" | "false" | "FALSE" | "0" => Ok(false),
        other => {
            Err(RowError::NotBoolean { query: query.clone(), row, column, value: other.to_owned() })
        }
    }
}

/// `column IN ('a', 'b')` for the given values, or `None` when there are none.
pub(crate) fn in_list(
    column: &str,
    values: &[&str],
    what: &'static str,
) -> Result<Option<String>, SqlTextError> {
    let lits = values.iter().map(|v| Literal::new(v, what)).collect::<Result<Vec<_>, _>>()?;
    Ok(literal_list(&lits).map(|list| format!("{column} IN {list}")))
}
