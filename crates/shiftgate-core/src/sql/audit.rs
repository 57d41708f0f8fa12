//! Access audit, run as the ADMIN: who can read and write what. For each grantee (user, group,
//! RBAC role) its identity closure (user → groups → roles → PUBLIC), and per schema USAGE /
//! CREATE, readable and writable tables, column-only grants, default privileges per owner; plus
//! external schemas, datashare databases and the superuser / CREATEDB / SYSLOG flags.
//!
//! One catalog query per kind of fact (never one per table or per grantee): identities,
//! memberships, schemas, relations, column grants, default privileges, and on Redshift the
//! `svv_*` privilege views (redshift.md §2) with the `pg_*` ACL columns as fallback. Effective
//! access is computed here, from explicit grants and ownership, so the same code serves both
//! dialects. Leader-node rule (redshift.md §1.5): no `has_*_privilege` at all, and no query mixes
//! an SVV view with a `pg_*` catalog.
//!
//! Pure: run [`queries`], store each outcome under its [`QueryId`], call [`evaluate`].

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::forecast;
use super::ident::SqlTextError;
use super::plan::Dialect;
use super::query::{CatalogQuery, QueryId, QueryResults, Row, RowError, in_list, text};

/// The catalog queries of an audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuditQuery {
    /// Users (PostgreSQL: every role) with their flags.
    Identities,
    /// Redshift: `pg_user` when `svl_user_info` (SYSLOG ACCESS) is not readable.
    IdentitiesFallback,
    /// Redshift: groups (`pg_group`).
    Groups,
    /// Redshift: RBAC roles (`svv_roles`).
    Roles,
    /// Membership edges: PostgreSQL `pg_auth_members`; Redshift group lists.
    Memberships,
    /// Redshift: roles granted to users (`svv_user_grants`).
    UserRoleGrants,
    /// Redshift: roles granted to roles (`svv_role_grants`).
    RoleRoleGrants,
    /// Schemas with owner and ACL (`pg_namespace`).
    Schemas,
    /// Redshift: external schemas (`svv_external_schemas`).
    ExternalSchemas,
    /// Redshift: `svv_schema_privileges`.
    SchemaPrivileges,
    /// Tables and views with owner and ACL (`pg_class`).
    Relations,
    /// Redshift: `svv_relation_privileges`.
    RelationPrivileges,
    /// Column-level grants (`pg_attribute.attacl`; Redshift `svv_column_privileges`).
    ColumnGrants,
    /// Default privileges (`pg_default_acl`).
    DefaultAcl,
    /// Redshift: `svv_default_privileges`.
    DefaultPrivileges,
    /// Redshift: datashare consumer databases (`svv_redshift_databases`).
    Datashares,
    /// Redshift: `svv_database_privileges` (datashare USAGE).
    DatabasePrivileges,
    /// Explicit grants on `pg_catalog` / `information_schema` relations (the vendor guide's).
    SystemGrants,
}

impl std::fmt::Display for AuditQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AuditQuery::Identities => "identity list",
            AuditQuery::IdentitiesFallback => "user list (pg_user)",
            AuditQuery::Groups => "group list",
            AuditQuery::Roles => "role list",
            AuditQuery::Memberships => "membership list",
            AuditQuery::UserRoleGrants => "role grants to users",
            AuditQuery::RoleRoleGrants => "role grants to roles",
            AuditQuery::Schemas => "schema privileges (catalog)",
            AuditQuery::ExternalSchemas => "external schema list",
            AuditQuery::SchemaPrivileges => "svv_schema_privileges",
            AuditQuery::Relations => "relation privileges (catalog)",
            AuditQuery::RelationPrivileges => "svv_relation_privileges",
            AuditQuery::ColumnGrants => "column grants",
            AuditQuery::DefaultAcl => "default privileges (catalog)",
            AuditQuery::DefaultPrivileges => "svv_default_privileges",
            AuditQuery::Datashares => "datashare database list",
            AuditQuery::DatabasePrivileges => "svv_database_privileges",
            AuditQuery::SystemGrants => "system schema grants",
        })
    }
}

/// What to audit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditScope {
    /// Grantees to report (users, groups, roles); empty = every identity that is not a superuser.
    pub grantees: Vec<String>,
    /// Schemas to report; empty = every schema except the system ones.
    pub schemas: Vec<String>,
}

/// What kind of identity a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A login user.
    User,
    /// A Redshift user group.
    Group,
    /// A Redshift RBAC role, or a PostgreSQL role that cannot log in.
    Role,
    /// Everyone.
    Public,
}

impl PrincipalKind {
    /// "user", "group", "role", "public".
    pub fn word(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Group => "group",
            PrincipalKind::Role => "role",
            PrincipalKind::Public => "public",
        }
    }
}

/// A holder of privileges.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Principal {
    /// User, group, role or PUBLIC.
    pub kind: PrincipalKind,
    /// Name as stored (`PUBLIC` for everyone).
    pub name: String,
}

impl Principal {
    /// Everyone.
    pub fn public() -> Self {
        Principal { kind: PrincipalKind::Public, name: "PUBLIC".into() }
    }
}

impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            PrincipalKind::Public => f.write_str("PUBLIC"),
            PrincipalKind::User => write!(f, "{}", self.name),
            k => write!(f, "{} {}", k.word(), self.name),
        }
    }
}

/// A privilege on a schema, table, column or database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Privilege {
    /// SELECT.
    Select,
    /// INSERT.
    Insert,
    /// UPDATE.
    Update,
    /// DELETE.
    Delete,
    /// TRUNCATE.
    Truncate,
    /// REFERENCES.
    References,
    /// TRIGGER.
    Trigger,
    /// RULE (Redshift).
    Rule,
    /// DROP (Redshift).
    Drop,
    /// ALTER (Redshift).
    Alter,
    /// USAGE.
    Usage,
    /// CREATE.
    Create,
    /// TEMP.
    Temp,
    /// CONNECT.
    Connect,
    /// EXECUTE.
    Execute,
    /// MAINTAIN (PostgreSQL 17).
    Maintain,
}

impl Privilege {
    /// The SQL keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Privilege::Select => "SELECT",
            Privilege::Insert => "INSERT",
            Privilege::Update => "UPDATE",
            Privilege::Delete => "DELETE",
            Privilege::Truncate => "TRUNCATE",
            Privilege::References => "REFERENCES",
            Privilege::Trigger => "TRIGGER",
            Privilege::Rule => "RULE",
            Privilege::Drop => "DROP",
            Privilege::Alter => "ALTER",
            Privilege::Usage => "USAGE",
            Privilege::Create => "CREATE",
            Privilege::Temp => "TEMP",
            Privilege::Connect => "CONNECT",
            Privilege::Execute => "EXECUTE",
            Privilege::Maintain => "MAINTAIN",
        }
    }

    /// Privileges that change table contents (the catalog user must hold none).
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Privilege::Insert | Privilege::Update | Privilege::Delete | Privilege::Truncate
        )
    }

    /// From a keyword as the `svv_*` views spell it.
    pub fn from_keyword(word: &str) -> Option<Privilege> {
        let all = [
            Privilege::Select,
            Privilege::Insert,
            Privilege::Update,
            Privilege::Delete,
            Privilege::Truncate,
            Privilege::References,
            Privilege::Trigger,
            Privilege::Rule,
            Privilege::Drop,
            Privilege::Alter,
            Privilege::Usage,
            Privilege::Create,
            Privilege::Temp,
            Privilege::Connect,
            Privilege::Execute,
            Privilege::Maintain,
        ];
        let w = word.trim().to_ascii_uppercase();
        let w = if w == "TEMPORARY" { "TEMP".to_owned() } else { w };
        all.into_iter().find(|p| p.keyword() == w)
    }

    /// From an aclitem letter (PostgreSQL `aclitem` text; Redshift's `D` is DROP).
    fn from_acl_letter(dialect: Dialect, c: char) -> Option<Privilege> {
        Some(match c {
            'r' => Privilege::Select,
            'a' => Privilege::Insert,
            'w' => Privilege::Update,
            'd' => Privilege::Delete,
            'D' if dialect == Dialect::Redshift => Privilege::Drop,
            'D' => Privilege::Truncate,
            'x' => Privilege::References,
            't' => Privilege::Trigger,
            'R' => Privilege::Rule,
            'U' => Privilege::Usage,
            'C' => Privilege::Create,
            'T' => Privilege::Temp,
            'c' => Privilege::Connect,
            'X' => Privilege::Execute,
            'm' => Privilege::Maintain,
            _ => return None,
        })
    }
}

/// What a grantee can do in one schema, as one matrix cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellLevel {
    /// No USAGE on the schema.
    None,
    /// USAGE but no table readable.
    Usage,
    /// USAGE and at least one table readable, none writable.
    Read,
    /// USAGE and at least one table writable.
    Write,
}

impl CellLevel {
    /// "none" | "usage" | "read" | "write".
    pub fn word(self) -> &'static str {
        match self {
            CellLevel::None => "none",
            CellLevel::Usage => "usage",
            CellLevel::Read => "read",
            CellLevel::Write => "write",
        }
    }
}

/// A table or view as the catalog lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableEntry {
    /// Relation name.
    pub name: String,
    /// Owner.
    pub owner: String,
    /// "table", "view", "materialized_view", "partitioned_table", "foreign_table".
    pub kind: &'static str,
}

/// A schema as the catalog lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaEntry {
    /// Schema name.
    pub name: String,
    /// Owner.
    pub owner: String,
    /// Redshift external schema (USAGE only; its tables are not in `pg_class`).
    pub external: bool,
    /// Relations, by name.
    pub tables: Vec<TableEntry>,
}

/// An explicit privilege and the principal of the closure that holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldPrivilege {
    /// The privilege.
    pub privilege: Privilege,
    /// Who holds it (the grantee itself, one of its groups / roles, or PUBLIC).
    pub holder: Principal,
}

/// One table for one grantee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableAccess {
    /// Relation name.
    pub name: String,
    /// SELECT (explicit, by ownership, or as superuser).
    pub select: bool,
    /// INSERT / UPDATE / DELETE / TRUNCATE held.
    pub write: Vec<Privilege>,
    /// The grantee's closure owns it.
    pub owned: bool,
    /// Explicit grants that reach the grantee.
    pub grants: Vec<HeldPrivilege>,
}

/// A column-level grant on a table (no table-level privilege implied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnGrant {
    /// Relation name.
    pub table: String,
    /// Column name.
    pub column: String,
    /// The privilege.
    pub privilege: Privilege,
    /// Holder within the grantee's closure.
    pub holder: Principal,
}

/// A default privilege that reaches the grantee: tables later created by `owner` get it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefaultPrivilege {
    /// Creator whose future tables are covered.
    pub owner: String,
    /// `false` = set for this schema (`IN SCHEMA`); `true` = database-wide.
    pub global: bool,
    /// The privilege.
    pub privilege: Privilege,
    /// Holder within the grantee's closure.
    pub holder: Principal,
}

/// One schema for one grantee (a matrix cell and its details).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaAccess {
    /// Schema name.
    pub schema: String,
    /// USAGE (explicit, by ownership, or as superuser).
    pub usage: bool,
    /// CREATE.
    pub create: bool,
    /// The matrix cell.
    pub level: CellLevel,
    /// Explicit schema grants reaching the grantee.
    pub grants: Vec<HeldPrivilege>,
    /// Every relation of the schema, readable or not, by name.
    pub tables: Vec<TableAccess>,
    /// Column-only grants.
    pub column_grants: Vec<ColumnGrant>,
    /// Default privileges for tables created later (database-wide ones included).
    pub default_privileges: Vec<DefaultPrivilege>,
    /// Owners of relations here and the schema owner without a default SELECT for the grantee:
    /// their next table will not be readable.
    pub uncovered_creators: Vec<String>,
}

impl SchemaAccess {
    /// Readable relations.
    pub fn readable(&self) -> usize {
        self.tables.iter().filter(|t| t.select).count()
    }
    /// Writable relations.
    pub fn writable(&self) -> usize {
        self.tables.iter().filter(|t| !t.write.is_empty()).count()
    }
}

/// Everything about one grantee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GranteeAccess {
    /// Who.
    pub principal: Principal,
    /// Superuser: bypasses every check.
    pub superuser: bool,
    /// May create databases.
    pub createdb: bool,
    /// Redshift `SYSLOG ACCESS UNRESTRICTED` (`None` when unknown or not Redshift).
    pub syslog_unrestricted: Option<bool>,
    /// Identity closure: itself, its groups and roles (transitively), then PUBLIC.
    pub closure: Vec<Principal>,
    /// Per schema, in the matrix's schema order.
    pub schemas: Vec<SchemaAccess>,
    /// Datashare databases it can use.
    pub datashares: Vec<String>,
}

/// An explicit grant on a `pg_catalog` / `information_schema` relation to a named principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SystemGrant {
    /// `pg_catalog` or `information_schema`.
    pub schema: String,
    /// Relation.
    pub table: String,
    /// Holder.
    pub holder: Principal,
    /// Privilege.
    pub privilege: Privilege,
}

/// The audit's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessMatrix {
    /// Server dialect.
    pub dialect: Dialect,
    /// Schemas reported, by name.
    pub schemas: Vec<SchemaEntry>,
    /// Grantees reported, by kind then name.
    pub grantees: Vec<GranteeAccess>,
    /// Datashare consumer databases (Redshift).
    pub datashare_databases: Vec<String>,
    /// Explicit grants on system schemas to named principals.
    pub system_grants: Vec<SystemGrant>,
    /// Queries that failed and what was used instead.
    pub notes: Vec<String>,
}

impl AccessMatrix {
    /// The grantee named `name` (any kind; users first).
    pub fn grantee(&self, name: &str) -> Option<&GranteeAccess> {
        self.grantees.iter().find(|g| g.principal.name == name)
    }

    /// The matrix as CSV: `grantee,kind,schema,level,usage,create,readable,writable,tables`.
    pub fn to_csv(&self) -> String {
        let mut out =
            String::from("grantee,kind,schema,level,usage,create,readable,writable,tables\n");
        for g in &self.grantees {
            for s in &g.schemas {
                let cells = [
                    csv_field(&g.principal.name),
                    g.principal.kind.word().to_owned(),
                    csv_field(&s.schema),
                    s.level.word().to_owned(),
                    s.usage.to_string(),
                    s.create.to_string(),
                    s.readable().to_string(),
                    s.writable().to_string(),
                    s.tables.len().to_string(),
                ];
                out.push_str(&cells.join(","));
                out.push('\n');
            }
        }
        out
    }
}

/// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Why the audit could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// A query the audit can't do without failed.
    #[error("the {query} failed: {error}")]
    Required {
        /// Which.
        query: AuditQuery,
        /// The server's words.
        error: String,
    },
    /// A row had an unexpected shape.
    #[error(transparent)]
    Row(#[from] RowError),
    /// A scope name can't be quoted.
    #[error(transparent)]
    Text(#[from] SqlTextError),
}

// ---------------------------------------------------------------------------------------------
// Queries

/// System schemas are left out (`left()` rather than `LIKE 'pg\_%'`: Redshift and PostgreSQL read
/// a backslash in a literal differently).
const SYSTEM_SCHEMA_FILTER: &str =
    "left(n.nspname, 3) <> 'pg_' AND n.nspname <> 'information_schema'";

fn q(id: AuditQuery, sql: String) -> CatalogQuery {
    CatalogQuery { id: QueryId::Audit(id), sql }
}

/// `AND <column> IN (…)` for the scope's schemas, or nothing.
fn schema_filter(column: &str, scope: &AuditScope) -> Result<String, SqlTextError> {
    let names: Vec<&str> = scope.schemas.iter().map(String::as_str).collect();
    Ok(in_list(column, &names, "schema name")?.map(|p| format!(" AND {p}")).unwrap_or_default())
}

/// The audit's catalog queries for `dialect`, each independent of the others.
pub fn queries(dialect: Dialect, scope: &AuditScope) -> Result<Vec<CatalogQuery>, SqlTextError> {
    let nsp = schema_filter("n.nspname", scope)?;
    let mut out = Vec::new();
    let relkinds = match dialect {
        Dialect::Redshift => "('r', 'v')",
        Dialect::Postgres => "('r', 'v', 'm', 'p', 'f')",
    };
    match dialect {
        Dialect::Postgres => {
            out.push(q(
                AuditQuery::Identities,
                "SELECT rolname, CASE WHEN rolcanlogin THEN 'user' ELSE 'role' END, rolsuper, \
                 rolcreatedb, rolinherit, NULL FROM pg_catalog.pg_roles \
                 WHERE left(rolname, 3) <> 'pg_' ORDER BY rolname"
                    .into(),
            ));
            out.push(q(
                AuditQuery::Memberships,
                "SELECT m.rolname, 'role', r.rolname, 'role' FROM pg_catalog.pg_auth_members a \
                 JOIN pg_catalog.pg_roles r ON r.oid = a.roleid \
                 JOIN pg_catalog.pg_roles m ON m.oid = a.member"
                    .into(),
            ));
        }
        Dialect::Redshift => {
            out.push(q(
                AuditQuery::Identities,
                "SELECT usename, 'user', usesuper, usecreatedb, 't', syslogaccess \
                 FROM svl_user_info ORDER BY usename"
                    .into(),
            ));
            out.push(q(
                AuditQuery::IdentitiesFallback,
                "SELECT usename, 'user', usesuper, usecreatedb, 't', NULL \
                 FROM pg_catalog.pg_user ORDER BY usename"
                    .into(),
            ));
            out.push(q(
                AuditQuery::Groups,
                "SELECT groname FROM pg_catalog.pg_group ORDER BY groname".into(),
            ));
            out.push(q(
                AuditQuery::Roles,
                "SELECT role_name FROM svv_roles ORDER BY role_name".into(),
            ));
            out.push(q(
                AuditQuery::Memberships,
                "SELECT u.usename, 'user', g.groname, 'group' FROM pg_catalog.pg_group g, \
                 pg_catalog.pg_user u WHERE u.usesysid = ANY (g.grolist)"
                    .into(),
            ));
            out.push(q(
                AuditQuery::UserRoleGrants,
                "SELECT user_name, 'user', role_name, 'role' FROM svv_user_grants".into(),
            ));
            out.push(q(
                AuditQuery::RoleRoleGrants,
                "SELECT role_name, 'role', granted_role_name, 'role' FROM svv_role_grants".into(),
            ));
        }
    }
    out.push(q(
        AuditQuery::Schemas,
        format!(
            "SELECT n.nspname, pg_catalog.pg_get_userbyid(n.nspowner), n.nspacl \
             FROM pg_catalog.pg_namespace n WHERE {SYSTEM_SCHEMA_FILTER}{nsp} ORDER BY n.nspname"
        ),
    ));
    out.push(q(
        AuditQuery::Relations,
        format!(
            "SELECT n.nspname, c.relname, c.relkind, pg_catalog.pg_get_userbyid(c.relowner), c.relacl \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN {relkinds} AND {SYSTEM_SCHEMA_FILTER}{nsp} ORDER BY n.nspname, c.relname"
        ),
    ));
    let owner_col = match dialect {
        Dialect::Postgres => "d.defaclrole",
        Dialect::Redshift => "d.defacluser",
    };
    out.push(q(
        AuditQuery::DefaultAcl,
        format!(
            "SELECT pg_catalog.pg_get_userbyid({owner_col}), n.nspname, d.defaclobjtype, d.defaclacl \
             FROM pg_catalog.pg_default_acl d \
             LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace"
        ),
    ));
    out.push(q(
        AuditQuery::SystemGrants,
        format!(
            "SELECT n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner), c.relacl \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname IN ('pg_catalog', 'information_schema') AND c.relkind IN {relkinds} \
             AND c.relacl IS NOT NULL"
        ),
    ));
    match dialect {
        Dialect::Postgres => out.push(q(
            AuditQuery::ColumnGrants,
            format!(
                "SELECT n.nspname, c.relname, a.attname, a.attacl FROM pg_catalog.pg_attribute a \
                 JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped \
                 AND {SYSTEM_SCHEMA_FILTER}{nsp}"
            ),
        )),
        Dialect::Redshift => {
            let names: Vec<&str> = scope.schemas.iter().map(String::as_str).collect();
            let ns = in_list("namespace_name", &names, "schema name")?
                .map(|p| format!(" WHERE {p}"))
                .unwrap_or_default();
            out.push(q(
                AuditQuery::ExternalSchemas,
                "SELECT schemaname FROM svv_external_schemas ORDER BY schemaname".into(),
            ));
            out.push(q(
                AuditQuery::SchemaPrivileges,
                format!(
                    "SELECT namespace_name, privilege_type, identity_name, identity_type \
                     FROM svv_schema_privileges{ns}"
                ),
            ));
            out.push(q(
                AuditQuery::RelationPrivileges,
                format!(
                    "SELECT namespace_name, relation_name, privilege_type, identity_name, identity_type \
                     FROM svv_relation_privileges{ns}"
                ),
            ));
            out.push(q(
                AuditQuery::ColumnGrants,
                format!(
                    "SELECT namespace_name, relation_name, column_name, privilege_type, identity_name, \
                     identity_type FROM svv_column_privileges{ns}"
                ),
            ));
            out.push(q(
                AuditQuery::DefaultPrivileges,
                "SELECT owner_name, schema_name, object_type, privilege_type, grantee_name, grantee_type \
                 FROM svv_default_privileges"
                    .into(),
            ));
            out.push(q(
                AuditQuery::Datashares,
                "SELECT database_name FROM svv_redshift_databases WHERE database_type = 'shared' \
                 ORDER BY database_name"
                    .into(),
            ));
            out.push(q(
                AuditQuery::DatabasePrivileges,
                "SELECT database_name, privilege_type, identity_name, identity_type \
                 FROM svv_database_privileges"
                    .into(),
            ));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// ACL text

/// One `aclitem`: grantee (`None` = PUBLIC, with Redshift's `group ` prefix kept apart), privileges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AclItem {
    pub(crate) grantee: Option<String>,
    /// Redshift's unquoted `group ` / `role ` prefix, when present.
    pub(crate) kind: Option<PrincipalKind>,
    pub(crate) privileges: Vec<Privilege>,
}

/// Elements of a PostgreSQL array literal (`{a,"b c",…}`): double quotes with backslash escapes.
fn array_elements(text: &str) -> Vec<String> {
    let inner = text.trim();
    let inner = inner.strip_prefix('{').and_then(|s| s.strip_suffix('}')).unwrap_or(inner);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = inner.chars();
    let mut quoted = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ',' if !quoted => {
                out.push(std::mem::take(&mut cur));
                any = false;
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `grantee=privs/grantor`, where a name may be double-quoted with `""` for a quote.
fn parse_aclitem(dialect: Dialect, item: &str) -> Option<AclItem> {
    // The prefix is outside any quotes: a PostgreSQL role named "group x" is quoted whole.
    let (kind, item) = match dialect {
        Dialect::Redshift => match (item.strip_prefix("group "), item.strip_prefix("role ")) {
            (Some(rest), _) => (Some(PrincipalKind::Group), rest),
            (None, Some(rest)) => (Some(PrincipalKind::Role), rest),
            (None, None) => (None, item),
        },
        Dialect::Postgres => (None, item),
    };
    let mut chars = item.chars().peekable();
    let mut name = String::new();
    let mut quoted = false;
    loop {
        let c = chars.next()?;
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                name.push('"');
            }
            '"' => quoted = !quoted,
            '=' if !quoted => break,
            c => name.push(c),
        }
    }
    let privs: String = chars.take_while(|c| *c != '/').collect();
    let privileges = privs.chars().filter_map(|c| Privilege::from_acl_letter(dialect, c)).collect();
    Some(AclItem { grantee: (!name.is_empty()).then_some(name), kind, privileges })
}

/// Every item of an ACL column's text (`{…}`); NULL/empty → none.
pub(crate) fn parse_acl(dialect: Dialect, text: &str) -> Vec<AclItem> {
    array_elements(text).iter().filter_map(|e| parse_aclitem(dialect, e)).collect()
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// A grant of one privilege to one principal.
#[derive(Debug, Clone)]
struct Grant {
    principal: Principal,
    privilege: Privilege,
}

#[derive(Debug, Clone)]
struct DefaultAclEntry {
    owner: String,
    schema: Option<String>,
    tables: bool,
    principal: Principal,
    privilege: Privilege,
}

#[derive(Debug, Clone)]
struct IdentityRow {
    principal: Principal,
    superuser: bool,
    createdb: bool,
    inherit: bool,
    syslog: Option<bool>,
}

/// Name → principal resolution: PostgreSQL has one role namespace; Redshift three.
struct Names {
    dialect: Dialect,
    by_name: BTreeMap<String, PrincipalKind>,
}

impl Names {
    fn resolve(&self, name: &str) -> Principal {
        let kind = match self.dialect {
            Dialect::Postgres => self.by_name.get(name).copied().unwrap_or(PrincipalKind::Role),
            // Plain names in Redshift ACLs are users (groups and roles carry a prefix).
            Dialect::Redshift => PrincipalKind::User,
        };
        Principal { kind, name: name.to_owned() }
    }

    /// From an `identity_type` column of the svv views.
    fn typed(&self, name: &str, kind: &str) -> Principal {
        match kind.trim().to_ascii_lowercase().as_str() {
            "public" => Principal::public(),
            "group" => Principal { kind: PrincipalKind::Group, name: name.to_owned() },
            "role" => Principal { kind: PrincipalKind::Role, name: name.to_owned() },
            "user" => Principal { kind: PrincipalKind::User, name: name.to_owned() },
            _ => self.resolve(name),
        }
    }
}

fn acl_grants(names: &Names, acl: Option<&str>) -> Vec<Grant> {
    let Some(acl) = acl else { return Vec::new() };
    parse_acl(names.dialect, acl)
        .into_iter()
        .flat_map(|item| {
            let principal = match &item.grantee {
                None => Principal::public(),
                Some(n) => match item.kind {
                    Some(kind) => Principal { kind, name: n.clone() },
                    None => names.resolve(n),
                },
            };
            item.privileges
                .into_iter()
                .map(move |privilege| Grant { principal: principal.clone(), privilege })
        })
        .collect()
}

fn rows(results: &QueryResults, id: AuditQuery) -> Option<Result<&[Row], &str>> {
    results.get(&QueryId::Audit(id)).map(|r| match r {
        Ok(rows) => Ok(rows.as_slice()),
        Err(e) => Err(e.as_str()),
    })
}

fn required(results: &QueryResults, id: AuditQuery) -> Result<&[Row], AuditError> {
    match rows(results, id) {
        Some(Ok(r)) => Ok(r),
        Some(Err(e)) => Err(AuditError::Required { query: id, error: e.to_owned() }),
        None => Err(AuditError::Required { query: id, error: "not run".into() }),
    }
}

/// Rows of an optional query; a failure is noted (with what replaces it) and gives `None`.
fn optional<'a>(
    results: &'a QueryResults,
    id: AuditQuery,
    instead: &str,
    notes: &mut Vec<String>,
) -> Option<&'a [Row]> {
    match rows(results, id)? {
        Ok(r) => Some(r),
        Err(e) => {
            notes.push(format!("the {id} failed ({e}); {instead}"));
            None
        }
    }
}

fn truthy(s: Option<&str>) -> bool {
    matches!(s, Some("t" | "true" | "TRUE" | "1"))
}

fn cell(row: &Row, i: usize) -> Option<&str> {
    row.get(i).and_then(|c| c.as_deref())
}

fn qid(id: AuditQuery) -> QueryId {
    QueryId::Audit(id)
}

fn relkind_word(k: &str) -> &'static str {
    match k {
        "v" => "view",
        "m" => "materialized_view",
        "p" => "partitioned_table",
        "f" => "foreign_table",
        _ => "table",
    }
}

/// Reads every stored outcome and computes the matrix.
pub fn evaluate(
    dialect: Dialect,
    scope: &AuditScope,
    results: &QueryResults,
) -> Result<AccessMatrix, AuditError> {
    let mut notes = Vec::new();

    // Identities.
    let ident_rows = match (dialect, rows(results, AuditQuery::Identities)) {
        (Dialect::Redshift, Some(Err(e))) => {
            notes.push(format!(
                "svl_user_info failed ({e}); users from pg_user, SYSLOG ACCESS unknown"
            ));
            required(results, AuditQuery::IdentitiesFallback)?
        }
        _ => required(results, AuditQuery::Identities)?,
    };
    let id = qid(AuditQuery::Identities);
    let mut identities: Vec<IdentityRow> = Vec::new();
    for (i, r) in ident_rows.iter().enumerate() {
        let name = text(&id, ident_rows, i, 0)?.to_owned();
        let kind = match text(&id, ident_rows, i, 1)? {
            "user" => PrincipalKind::User,
            _ => PrincipalKind::Role,
        };
        let syslog = match dialect {
            Dialect::Redshift => cell(r, 5).map(|s| s.trim().eq_ignore_ascii_case("UNRESTRICTED")),
            Dialect::Postgres => None,
        };
        identities.push(IdentityRow {
            principal: Principal { kind, name },
            superuser: truthy(cell(r, 2)),
            createdb: truthy(cell(r, 3)),
            inherit: cell(r, 4).is_none_or(|v| truthy(Some(v))),
            syslog,
        });
    }
    if dialect == Dialect::Redshift {
        for (qid_, kind) in
            [(AuditQuery::Groups, PrincipalKind::Group), (AuditQuery::Roles, PrincipalKind::Role)]
        {
            let instead = format!("{}s are not listed", kind.word());
            if let Some(rs) = optional(results, qid_, &instead, &mut notes) {
                for (i, _) in rs.iter().enumerate() {
                    let name = text(&qid(qid_), rs, i, 0)?.to_owned();
                    identities.push(IdentityRow {
                        principal: Principal { kind, name },
                        superuser: false,
                        createdb: false,
                        inherit: true,
                        syslog: None,
                    });
                }
            }
        }
    }
    let names = Names {
        dialect,
        by_name: identities.iter().map(|i| (i.principal.name.clone(), i.principal.kind)).collect(),
    };

    // Membership edges member → parent, followed only from members that inherit.
    let no_inherit: BTreeSet<Principal> =
        identities.iter().filter(|i| !i.inherit).map(|i| i.principal.clone()).collect();
    let mut parents: BTreeMap<Principal, Vec<Principal>> = BTreeMap::new();
    for qm in [AuditQuery::Memberships, AuditQuery::UserRoleGrants, AuditQuery::RoleRoleGrants] {
        let Some(rs) = optional(results, qm, "those memberships are not followed", &mut notes)
        else {
            continue;
        };
        let idq = qid(qm);
        for i in 0..rs.len() {
            let member = names.typed(text(&idq, rs, i, 0)?, text(&idq, rs, i, 1)?);
            let parent = names.typed(text(&idq, rs, i, 2)?, text(&idq, rs, i, 3)?);
            let (member, parent) = if dialect == Dialect::Postgres {
                (names.resolve(&member.name), names.resolve(&parent.name))
            } else {
                (member, parent)
            };
            parents.entry(member).or_default().push(parent);
        }
    }

    // Schemas.
    let external: BTreeSet<String> = match dialect {
        Dialect::Redshift => optional(
            results,
            AuditQuery::ExternalSchemas,
            "external schemas are shown as local",
            &mut notes,
        )
        .map(|rs| rs.iter().filter_map(|r| cell(r, 0).map(str::to_owned)).collect())
        .unwrap_or_default(),
        Dialect::Postgres => BTreeSet::new(),
    };
    let srows = required(results, AuditQuery::Schemas)?;
    let sid = qid(AuditQuery::Schemas);
    let mut schemas: Vec<SchemaEntry> = Vec::new();
    let mut schema_grants: BTreeMap<String, Vec<Grant>> = BTreeMap::new();
    for (i, row) in srows.iter().enumerate() {
        let name = text(&sid, srows, i, 0)?.to_owned();
        let owner = text(&sid, srows, i, 1)?.to_owned();
        schema_grants.insert(name.clone(), acl_grants(&names, cell(row, 2)));
        schemas.push(SchemaEntry {
            external: external.contains(&name),
            name,
            owner,
            tables: Vec::new(),
        });
    }
    if dialect == Dialect::Redshift
        && let Some(rs) = optional(
            results,
            AuditQuery::SchemaPrivileges,
            "schema privileges from pg_namespace.nspacl (users and groups only)",
            &mut notes,
        )
    {
        let idq = qid(AuditQuery::SchemaPrivileges);
        for g in schema_grants.values_mut() {
            g.clear();
        }
        for (i, row) in rs.iter().enumerate() {
            let schema = text(&idq, rs, i, 0)?;
            let Some(privilege) = Privilege::from_keyword(text(&idq, rs, i, 1)?) else {
                continue;
            };
            let principal = names.typed(cell(row, 2).unwrap_or("PUBLIC"), text(&idq, rs, i, 3)?);
            if let Some(g) = schema_grants.get_mut(schema) {
                g.push(Grant { principal, privilege });
            }
        }
    }
    let schema_index: BTreeMap<String, usize> =
        schemas.iter().enumerate().map(|(i, s)| (s.name.clone(), i)).collect();

    // Relations.
    let rrows = required(results, AuditQuery::Relations)?;
    let rid = qid(AuditQuery::Relations);
    let mut table_grants: BTreeMap<(usize, String), Vec<Grant>> = BTreeMap::new();
    for (i, row) in rrows.iter().enumerate() {
        let schema = text(&rid, rrows, i, 0)?;
        let Some(&si) = schema_index.get(schema) else { continue };
        let name = text(&rid, rrows, i, 1)?.to_owned();
        let kind = relkind_word(text(&rid, rrows, i, 2)?);
        let owner = text(&rid, rrows, i, 3)?.to_owned();
        table_grants.insert((si, name.clone()), acl_grants(&names, cell(row, 4)));
        schemas[si].tables.push(TableEntry { name, owner, kind });
    }
    for s in &mut schemas {
        s.tables.sort_by(|a, b| a.name.cmp(&b.name));
    }
    if dialect == Dialect::Redshift
        && let Some(rs) = optional(
            results,
            AuditQuery::RelationPrivileges,
            "table privileges from pg_class.relacl (users and groups only)",
            &mut notes,
        )
    {
        let idq = qid(AuditQuery::RelationPrivileges);
        for g in table_grants.values_mut() {
            g.clear();
        }
        for (i, row) in rs.iter().enumerate() {
            let Some(&si) = schema_index.get(text(&idq, rs, i, 0)?) else { continue };
            let Some(privilege) = Privilege::from_keyword(text(&idq, rs, i, 2)?) else {
                continue;
            };
            let principal = names.typed(cell(row, 3).unwrap_or("PUBLIC"), text(&idq, rs, i, 4)?);
            if let Some(g) = table_grants.get_mut(&(si, text(&idq, rs, i, 1)?.to_owned())) {
                g.push(Grant { principal, privilege });
            }
        }
    }
    // By position, aligned with each schema's (sorted) tables: no lookup per grantee × table.
    let table_grants: Vec<Vec<Vec<Grant>>> = schemas
        .iter()
        .enumerate()
        .map(|(si, s)| {
            s.tables
                .iter()
                .map(|t| table_grants.remove(&(si, t.name.clone())).unwrap_or_default())
                .collect()
        })
        .collect();

    // Column grants: (schema index, table, column, grant).
    let mut column_grants: Vec<(usize, String, String, Grant)> = Vec::new();
    if let Some(rs) =
        optional(results, AuditQuery::ColumnGrants, "column grants are not shown", &mut notes)
    {
        let idq = qid(AuditQuery::ColumnGrants);
        for (i, row) in rs.iter().enumerate() {
            let Some(&si) = schema_index.get(text(&idq, rs, i, 0)?) else { continue };
            let table = text(&idq, rs, i, 1)?.to_owned();
            let column = text(&idq, rs, i, 2)?.to_owned();
            let grants = match dialect {
                Dialect::Postgres => acl_grants(&names, cell(row, 3)),
                Dialect::Redshift => Privilege::from_keyword(text(&idq, rs, i, 3)?)
                    .map(|privilege| Grant {
                        principal: names
                            .typed(cell(row, 4).unwrap_or("PUBLIC"), cell(row, 5).unwrap_or("")),
                        privilege,
                    })
                    .into_iter()
                    .collect(),
            };
            for g in grants {
                column_grants.push((si, table.clone(), column.clone(), g));
            }
        }
    }

    // Default privileges.
    let mut defaults: Vec<DefaultAclEntry> = Vec::new();
    let svv_defaults = match dialect {
        Dialect::Redshift => optional(
            results,
            AuditQuery::DefaultPrivileges,
            "default privileges from pg_default_acl",
            &mut notes,
        ),
        Dialect::Postgres => None,
    };
    if let Some(rs) = svv_defaults {
        let idq = qid(AuditQuery::DefaultPrivileges);
        for (i, row) in rs.iter().enumerate() {
            let Some(privilege) = Privilege::from_keyword(text(&idq, rs, i, 3)?) else {
                continue;
            };
            let obj = cell(row, 2).unwrap_or("").to_ascii_uppercase();
            defaults.push(DefaultAclEntry {
                owner: text(&idq, rs, i, 0)?.to_owned(),
                schema: cell(row, 1).filter(|s| !s.is_empty()).map(str::to_owned),
                tables: matches!(obj.as_str(), "RELATION" | "TABLE" | "TABLES" | "R"),
                principal: names
                    .typed(cell(row, 4).unwrap_or("PUBLIC"), cell(row, 5).unwrap_or("")),
                privilege,
            });
        }
    } else {
        let rs = required(results, AuditQuery::DefaultAcl)?;
        let idq = qid(AuditQuery::DefaultAcl);
        for (i, row) in rs.iter().enumerate() {
            let owner = text(&idq, rs, i, 0)?.to_owned();
            let schema = cell(row, 1).map(str::to_owned);
            let tables = text(&idq, rs, i, 2)? == "r";
            for g in acl_grants(&names, cell(row, 3)) {
                defaults.push(DefaultAclEntry {
                    owner: owner.clone(),
                    schema: schema.clone(),
                    tables,
                    principal: g.principal,
                    privilege: g.privilege,
                });
            }
        }
    }

    // System schema grants to named principals other than the owner.
    let mut system_grants = Vec::new();
    if let Some(rs) =
        optional(results, AuditQuery::SystemGrants, "system schema grants unknown", &mut notes)
    {
        let idq = qid(AuditQuery::SystemGrants);
        for (i, row) in rs.iter().enumerate() {
            let schema = text(&idq, rs, i, 0)?;
            let table = text(&idq, rs, i, 1)?;
            let owner = text(&idq, rs, i, 2)?;
            for g in acl_grants(&names, cell(row, 3)) {
                if g.principal.kind == PrincipalKind::Public || g.principal.name == owner {
                    continue;
                }
                system_grants.push(SystemGrant {
                    schema: schema.to_owned(),
                    table: table.to_owned(),
                    holder: g.principal,
                    privilege: g.privilege,
                });
            }
        }
    }

    // Datashares.
    let mut datashare_databases = Vec::new();
    let mut database_grants: Vec<(String, Grant)> = Vec::new();
    if dialect == Dialect::Redshift {
        if let Some(rs) = optional(
            results,
            AuditQuery::Datashares,
            "datashare databases are not listed",
            &mut notes,
        ) {
            datashare_databases = rs.iter().filter_map(|r| cell(r, 0).map(str::to_owned)).collect();
        }
        if let Some(rs) = optional(
            results,
            AuditQuery::DatabasePrivileges,
            "datashare USAGE is not shown",
            &mut notes,
        ) {
            let idq = qid(AuditQuery::DatabasePrivileges);
            for (i, row) in rs.iter().enumerate() {
                let Some(privilege) = Privilege::from_keyword(text(&idq, rs, i, 1)?) else {
                    continue;
                };
                database_grants.push((
                    text(&idq, rs, i, 0)?.to_owned(),
                    Grant {
                        principal: names
                            .typed(cell(row, 2).unwrap_or("PUBLIC"), cell(row, 3).unwrap_or("")),
                        privilege,
                    },
                ));
            }
        }
    }

    // Which identities to report.
    let chosen: Vec<&IdentityRow> = if scope.grantees.is_empty() {
        identities.iter().filter(|i| !i.superuser).collect()
    } else {
        identities.iter().filter(|i| scope.grantees.contains(&i.principal.name)).collect()
    };
    for wanted in &scope.grantees {
        if !identities.iter().any(|i| &i.principal.name == wanted) {
            notes.push(format!("grantee {wanted:?} does not exist"));
        }
    }

    let facts = Facts {
        schemas: &schemas,
        schema_grants: &schema_grants,
        table_grants: &table_grants,
        column_grants: &column_grants,
        defaults: &defaults,
        database_grants: &database_grants,
        datashare_databases: &datashare_databases,
    };
    let mut grantees: Vec<GranteeAccess> = chosen
        .into_iter()
        .map(|ident| {
            let closure = closure_of(&ident.principal, &parents, &no_inherit);
            facts.grantee_access(ident, closure)
        })
        .collect();
    grantees.sort_by(|a, b| {
        (a.principal.kind, &a.principal.name).cmp(&(b.principal.kind, &b.principal.name))
    });
    Ok(AccessMatrix { dialect, schemas, grantees, datashare_databases, system_grants, notes })
}

/// The principal, every group / role it reaches (breadth first, each once), then PUBLIC.
fn closure_of(
    start: &Principal,
    parents: &BTreeMap<Principal, Vec<Principal>>,
    no_inherit: &BTreeSet<Principal>,
) -> Vec<Principal> {
    let mut out = vec![start.clone()];
    let mut i = 0;
    while i < out.len() {
        let cur = out[i].clone();
        i += 1;
        if no_inherit.contains(&cur) {
            continue;
        }
        for p in parents.get(&cur).into_iter().flatten() {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
    }
    out.push(Principal::public());
    out
}

struct Facts<'a> {
    schemas: &'a [SchemaEntry],
    schema_grants: &'a BTreeMap<String, Vec<Grant>>,
    table_grants: &'a [Vec<Vec<Grant>>],
    column_grants: &'a [(usize, String, String, Grant)],
    defaults: &'a [DefaultAclEntry],
    database_grants: &'a [(String, Grant)],
    datashare_databases: &'a [String],
}

impl Facts<'_> {
    fn grantee_access(&self, ident: &IdentityRow, closure: Vec<Principal>) -> GranteeAccess {
        let member: BTreeSet<&Principal> = closure.iter().collect();
        // Ownership counts for any named member of the closure (PostgreSQL inherits it; on
        // Redshift owners are users, so only the user itself matches).
        let owns = |owner: &str| {
            closure.iter().any(|p| p.kind != PrincipalKind::Public && p.name == owner)
        };
        let held = |grants: &[Grant]| -> Vec<HeldPrivilege> {
            grants
                .iter()
                .filter(|g| member.contains(&g.principal))
                .map(|g| HeldPrivilege { privilege: g.privilege, holder: g.principal.clone() })
                .collect()
        };
        let su = ident.superuser;
        // "Will tomorrow's table be readable?" is the forecast module's question: the default
        // SELECTs on tables that reach the closure, complete evidence (the admin reads them all).
        let evidence = forecast::Evidence::Complete(
            self.defaults
                .iter()
                .filter(|d| {
                    d.tables && d.privilege == Privilege::Select && member.contains(&d.principal)
                })
                .map(|d| forecast::DefaultSelect {
                    owner: d.owner.clone(),
                    schema: d.schema.clone(),
                    grantee: d.principal.name.clone(),
                })
                .collect(),
        );
        let receivers: Vec<&str> = closure
            .iter()
            .filter(|p| p.kind != PrincipalKind::Public)
            .map(|p| p.name.as_str())
            .collect();
        let reader = forecast::Reader { user: &ident.principal.name, grantees: &receivers };
        let schemas = self
            .schemas
            .iter()
            .enumerate()
            .map(|(si, s)| {
                let grants = held(self.schema_grants.get(&s.name).map_or(&[][..], Vec::as_slice));
                let has =
                    |p: Privilege| su || owns(&s.owner) || grants.iter().any(|h| h.privilege == p);
                let usage = has(Privilege::Usage);
                let create = !s.external && has(Privilege::Create);
                let tables: Vec<TableAccess> = s
                    .tables
                    .iter()
                    .enumerate()
                    .map(|(ti, t)| {
                        let grants = held(
                            self.table_grants
                                .get(si)
                                .and_then(|ts| ts.get(ti))
                                .map_or(&[][..], Vec::as_slice),
                        );
                        let owned = owns(&t.owner);
                        let all = su || owned;
                        let select = all || grants.iter().any(|h| h.privilege == Privilege::Select);
                        let mut write: Vec<Privilege> = if all {
                            vec![
                                Privilege::Insert,
                                Privilege::Update,
                                Privilege::Delete,
                                Privilege::Truncate,
                            ]
                        } else {
                            grants.iter().map(|h| h.privilege).filter(|p| p.is_write()).collect()
                        };
                        write.sort();
                        write.dedup();
                        TableAccess { name: t.name.clone(), select, write, owned, grants }
                    })
                    .collect();
                let column_grants: Vec<ColumnGrant> = self
                    .column_grants
                    .iter()
                    .filter(|(i, _, _, g)| *i == si && member.contains(&g.principal))
                    .map(|(_, table, column, g)| ColumnGrant {
                        table: table.clone(),
                        column: column.clone(),
                        privilege: g.privilege,
                        holder: g.principal.clone(),
                    })
                    .collect();
                let default_privileges: Vec<DefaultPrivilege> = self
                    .defaults
                    .iter()
                    .filter(|d| {
                        d.tables
                            && member.contains(&d.principal)
                            && d.schema.as_ref().is_none_or(|x| x == &s.name)
                    })
                    .map(|d| DefaultPrivilege {
                        owner: d.owner.clone(),
                        global: d.schema.is_none(),
                        privilege: d.privilege,
                        holder: d.principal.clone(),
                    })
                    .collect();
                let uncovered_creators = if s.external || su {
                    Vec::new()
                } else {
                    // Creators: table owners and the schema owner, minus system owners and
                    // members of the closure (they own, so read, what they create).
                    let mut skip: Vec<&str> = super::discovery::SYSTEM_OWNERS.to_vec();
                    skip.extend(receivers.iter().copied());
                    let creators = forecast::creators(
                        s.tables
                            .iter()
                            .map(|t| (t.owner.as_str(), forecast::CreatorSource::TableOwner))
                            .chain([(s.owner.as_str(), forecast::CreatorSource::SchemaOwner)]),
                        &skip,
                    );
                    // USAGE is judged apart (a missing one is its own finding).
                    let mut uncovered: Vec<String> =
                        forecast::forecast_schema(&s.name, true, &creators, &reader, &evidence)
                            .into_iter()
                            .filter(|f| f.outcome == forecast::Outcome::No)
                            .map(|f| f.creator)
                            .collect();
                    uncovered.sort();
                    uncovered
                };
                let level = if !usage {
                    CellLevel::None
                } else if tables.iter().any(|t| !t.write.is_empty()) {
                    CellLevel::Write
                } else if tables.iter().any(|t| t.select) {
                    CellLevel::Read
                } else {
                    CellLevel::Usage
                };
                SchemaAccess {
                    schema: s.name.clone(),
                    usage,
                    create,
                    level,
                    grants,
                    tables,
                    column_grants,
                    default_privileges,
                    uncovered_creators,
                }
            })
            .collect();
        let datashares = self
            .datashare_databases
            .iter()
            .filter(|db| {
                su || self.database_grants.iter().any(|(d, g)| {
                    d == *db && g.privilege == Privilege::Usage && member.contains(&g.principal)
                })
            })
            .cloned()
            .collect();
        GranteeAccess {
            principal: ident.principal.clone(),
            superuser: ident.superuser,
            createdb: ident.createdb,
            syslog_unrestricted: ident.syslog,
            closure,
            schemas,
            datashares,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[Option<&str>]) -> Row {
        cells.iter().map(|c| c.map(str::to_owned)).collect()
    }

    #[test]
    fn acl_text_with_quoted_names_and_groups() {
        let items = parse_acl(
            Dialect::Postgres,
            r#"{postgres=arwdDxt/postgres,"\"Sales Team\"=r/postgres",=r/postgres,"\"we\"\"ird\"=a*/x"}"#,
        );
        assert_eq!(items.len(), 4, "{items:?}");
        assert_eq!(items[1].grantee.as_deref(), Some("Sales Team"));
        assert_eq!(items[1].privileges, vec![Privilege::Select]);
        assert_eq!(items[2].grantee, None, "empty grantee is PUBLIC");
        assert_eq!(items[3].grantee.as_deref(), Some("we\"ird"));
        assert_eq!(items[3].privileges, vec![Privilege::Insert]);
        assert!(items[0].privileges.contains(&Privilege::Truncate));
        let rs = parse_acl(Dialect::Redshift, r#"{rdsdb=arwdRxtD/rdsdb,"group analysts=r/rdsdb"}"#);
        assert_eq!(rs[1].kind, Some(PrincipalKind::Group));
        assert_eq!(rs[1].grantee.as_deref(), Some("analysts"));
        assert!(rs[0].privileges.contains(&Privilege::Drop));
        assert!(!rs[0].privileges.contains(&Privilege::Truncate));
        assert!(parse_acl(Dialect::Postgres, "{}").is_empty());
        let pg = parse_acl(Dialect::Postgres, r#"{"\"group x\"=r/o"}"#);
        assert_eq!((pg[0].grantee.as_deref(), pg[0].kind), (Some("group x"), None));
        let role = parse_acl(Dialect::Redshift, r#"{"role \"Ops\"\"\"=U/o"}"#);
        assert_eq!(
            (role[0].grantee.as_deref(), role[0].kind),
            (Some("Ops\""), Some(PrincipalKind::Role))
        );
    }

    fn pg_results() -> QueryResults {
        let mut r = QueryResults::new();
        let put = |r: &mut QueryResults, id, rows: Vec<Row>| {
            r.insert(QueryId::Audit(id), Ok(rows));
        };
        put(
            &mut r,
            AuditQuery::Identities,
            vec![
                row(&[Some("admin"), Some("user"), Some("t"), Some("t"), Some("t"), None]),
                row(&[Some("cat"), Some("user"), Some("f"), Some("f"), Some("t"), None]),
                row(&[Some("Readers \"EU\""), Some("role"), Some("f"), Some("f"), Some("t"), None]),
                row(&[Some("etl"), Some("user"), Some("f"), Some("f"), Some("t"), None]),
            ],
        );
        put(
            &mut r,
            AuditQuery::Memberships,
            vec![row(&[Some("cat"), Some("role"), Some("Readers \"EU\""), Some("role")])],
        );
        put(
            &mut r,
            AuditQuery::Schemas,
            vec![
                row(&[
                    Some("Sales EU"),
                    Some("etl"),
                    Some(r#"{etl=UC/etl,"\"Readers \"\"EU\"\"\"=U/etl"}"#),
                ]),
                row(&[Some("hr"), Some("admin"), None]),
            ],
        );
        put(
            &mut r,
            AuditQuery::Relations,
            vec![
                row(&[
                    Some("Sales EU"),
                    Some("orders"),
                    Some("r"),
                    Some("etl"),
                    Some(r#"{etl=arwdDxt/etl,"\"Readers \"\"EU\"\"\"=r/etl",cat=a/etl}"#),
                ]),
                row(&[Some("Sales EU"), Some("later"), Some("r"), Some("admin"), None]),
                row(&[Some("hr"), Some("people"), Some("r"), Some("admin"), None]),
            ],
        );
        put(
            &mut r,
            AuditQuery::ColumnGrants,
            vec![row(&[Some("hr"), Some("people"), Some("name"), Some("{cat=r/admin}")])],
        );
        put(
            &mut r,
            AuditQuery::DefaultAcl,
            vec![row(&[
                Some("etl"),
                Some("Sales EU"),
                Some("r"),
                Some(r#"{"\"Readers \"\"EU\"\"\"=r/etl"}"#),
            ])],
        );
        put(
            &mut r,
            AuditQuery::SystemGrants,
            vec![row(&[
                Some("pg_catalog"),
                Some("pg_class"),
                Some("admin"),
                Some(r#"{admin=arwdDxt/admin,=r/admin,"\"Readers \"\"EU\"\"\"=r/admin"}"#),
            ])],
        );
        r
    }

    #[test]
    fn group_member_sees_the_group_grants_and_defaults() {
        let m = evaluate(Dialect::Postgres, &AuditScope::default(), &pg_results())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(m.grantee("admin").is_none(), "superusers are left out by default");
        let cat = m.grantee("cat").unwrap_or_else(|| panic!("cat reported"));
        assert_eq!(
            cat.closure.iter().map(ToString::to_string).collect::<Vec<_>>(),
            vec!["cat", "role Readers \"EU\"", "PUBLIC"]
        );
        let sales = &cat.schemas[0];
        assert_eq!(sales.schema, "Sales EU");
        assert!(sales.usage && !sales.create);
        assert_eq!(sales.level, CellLevel::Write, "cat holds INSERT on orders directly");
        let orders = sales.tables.iter().find(|t| t.name == "orders").unwrap_or_else(|| panic!());
        assert!(orders.select);
        assert_eq!(orders.write, vec![Privilege::Insert]);
        let later = sales.tables.iter().find(|t| t.name == "later").unwrap_or_else(|| panic!());
        assert!(!later.select, "admin's table was never granted");
        assert_eq!(sales.default_privileges.len(), 1);
        assert_eq!(sales.uncovered_creators, vec!["admin".to_owned()]);
        let hr = &cat.schemas[1];
        assert_eq!(hr.level, CellLevel::None);
        assert_eq!(hr.column_grants.len(), 1);
        assert_eq!(hr.tables.len(), 1, "every table is named, readable or not");
        assert_eq!(m.system_grants.len(), 1);
        assert_eq!(m.system_grants[0].holder.name, "Readers \"EU\"");
        let etl = m.grantee("etl").unwrap_or_else(|| panic!());
        assert_eq!(etl.schemas[0].level, CellLevel::Write, "owner");
        let csv = m.to_csv();
        assert!(
            csv.contains("\"Readers \"\"EU\"\"\",role,Sales EU,read,true,false,1,0,2"),
            "{csv}"
        );
    }

    /// "Will tomorrow's table be readable?" comes from the forecast module: a creator is uncovered
    /// exactly when the forecast, given the closure's default SELECTs, says no. Covered: by a
    /// database-wide default to the group, by a default to PUBLIC; skipped: a closure member
    /// (owns what it creates) and a system owner; uncovered: a default in another schema only.
    #[test]
    fn uncovered_creators_are_the_forecasts_no() {
        let mut r = pg_results();
        let put = |r: &mut QueryResults, id, rows: Vec<Row>| {
            r.insert(QueryId::Audit(id), Ok(rows));
        };
        put(
            &mut r,
            AuditQuery::Schemas,
            vec![
                row(&[
                    Some("Sales EU"),
                    Some("etl"),
                    Some(r#"{etl=UC/etl,"\"Readers \"\"EU\"\"\"=U/etl"}"#),
                ]),
                row(&[Some("ops"), Some("loader"), Some(r#"{loader=UC/loader,cat=U/loader}"#)]),
            ],
        );
        let table =
            |owner: &str, name: &str| row(&[Some("ops"), Some(name), Some("r"), Some(owner), None]);
        put(
            &mut r,
            AuditQuery::Relations,
            vec![
                table("loader", "a"),
                table("etl", "b"),
                table("admin", "c"),
                table("cat", "d"),
                table("rdsdb", "e"),
                table("Readers \"EU\"", "f"),
            ],
        );
        put(
            &mut r,
            AuditQuery::DefaultAcl,
            vec![
                row(&[Some("etl"), None, Some("r"), Some(r#"{"\"Readers \"\"EU\"\"\"=r/etl"}"#)]),
                row(&[Some("loader"), Some("ops"), Some("r"), Some("{=r/loader}")]),
                row(&[Some("admin"), Some("Sales EU"), Some("r"), Some("{cat=r/admin}")]),
            ],
        );
        let m = evaluate(Dialect::Postgres, &AuditScope::default(), &r)
            .unwrap_or_else(|e| panic!("{e}"));
        let cat = m.grantee("cat").unwrap_or_else(|| panic!("cat reported"));
        let ops = cat.schemas.iter().find(|s| s.schema == "ops").unwrap_or_else(|| panic!("ops"));
        assert_eq!(ops.uncovered_creators, vec!["admin".to_owned()]);
        // The same question put to the forecast directly, creator by creator.
        let evidence = forecast::Evidence::Complete(vec![
            forecast::DefaultSelect {
                owner: "etl".into(),
                schema: None,
                grantee: "Readers \"EU\"".into(),
            },
            forecast::DefaultSelect {
                owner: "loader".into(),
                schema: Some("ops".into()),
                grantee: "PUBLIC".into(),
            },
            forecast::DefaultSelect {
                owner: "admin".into(),
                schema: Some("Sales EU".into()),
                grantee: "cat".into(),
            },
        ]);
        let reader = forecast::Reader { user: "cat", grantees: &["cat", "Readers \"EU\""] };
        let creators = forecast::creators(
            ["loader", "etl", "admin"].map(|c| (c, forecast::CreatorSource::TableOwner)),
            &[],
        );
        let no: Vec<String> = forecast::forecast_schema("ops", true, &creators, &reader, &evidence)
            .into_iter()
            .filter(|f| f.outcome == forecast::Outcome::No)
            .map(|f| f.creator)
            .collect();
        assert_eq!(no, ops.uncovered_creators);
    }

    #[test]
    fn redshift_uses_svv_views_and_falls_back_to_acls() {
        let mut r = QueryResults::new();
        let put = |r: &mut QueryResults, id, rows: Vec<Row>| {
            r.insert(QueryId::Audit(id), Ok(rows));
        };
        r.insert(QueryId::Audit(AuditQuery::Identities), Err("42501: permission denied".into()));
        put(
            &mut r,
            AuditQuery::IdentitiesFallback,
            vec![row(&[Some("cat"), Some("user"), Some("f"), Some("f"), Some("t"), None])],
        );
        put(&mut r, AuditQuery::Groups, vec![row(&[Some("cat_ro")])]);
        put(&mut r, AuditQuery::Roles, vec![row(&[Some("reader")])]);
        put(
            &mut r,
            AuditQuery::Memberships,
            vec![row(&[Some("cat"), Some("user"), Some("cat_ro"), Some("group")])],
        );
        put(
            &mut r,
            AuditQuery::UserRoleGrants,
            vec![row(&[Some("cat"), Some("user"), Some("reader"), Some("role")])],
        );
        put(
            &mut r,
            AuditQuery::Schemas,
            vec![
                row(&[Some("sales"), Some("etl"), None]),
                row(&[Some("spectrum"), Some("etl"), None]),
            ],
        );
        put(&mut r, AuditQuery::ExternalSchemas, vec![row(&[Some("spectrum")])]);
        put(
            &mut r,
            AuditQuery::SchemaPrivileges,
            vec![
                row(&[Some("sales"), Some("USAGE"), Some("cat_ro"), Some("group")]),
                row(&[Some("spectrum"), Some("USAGE"), Some("reader"), Some("role")]),
            ],
        );
        put(
            &mut r,
            AuditQuery::Relations,
            vec![row(&[
                Some("sales"),
                Some("orders"),
                Some("r"),
                Some("etl"),
                Some(r#"{etl=arwdRxtD/etl,"group cat_ro=r/etl"}"#),
            ])],
        );
        r.insert(QueryId::Audit(AuditQuery::RelationPrivileges), Err("not supported".into()));
        put(
            &mut r,
            AuditQuery::DefaultPrivileges,
            vec![row(&[
                Some("etl"),
                Some("sales"),
                Some("RELATION"),
                Some("SELECT"),
                Some("cat_ro"),
                Some("group"),
            ])],
        );
        put(&mut r, AuditQuery::Datashares, vec![row(&[Some("shared_db")])]);
        put(
            &mut r,
            AuditQuery::DatabasePrivileges,
            vec![row(&[Some("shared_db"), Some("USAGE"), Some("reader"), Some("role")])],
        );
        let m = evaluate(
            Dialect::Redshift,
            &AuditScope { grantees: vec!["cat".into()], ..Default::default() },
            &r,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let cat = m.grantee("cat").unwrap_or_else(|| panic!());
        assert_eq!(cat.syslog_unrestricted, None);
        assert_eq!(cat.schemas[0].level, CellLevel::Read, "group grant via relacl fallback");
        assert!(cat.schemas[0].uncovered_creators.is_empty());
        assert!(m.schemas[1].external);
        assert_eq!(cat.schemas[1].level, CellLevel::Usage, "external schema through the role");
        assert_eq!(cat.datashares, vec!["shared_db".to_owned()]);
        assert!(m.notes.iter().any(|n| n.contains("svv_relation_privileges")), "{:?}", m.notes);
    }

    /// The whole text of every audit query, per dialect, for a reviewer.
    #[test]
    fn golden_sql_audit_queries() {
        let scope = AuditScope { schemas: vec!["Sales EU".into()], grantees: vec![] };
        let mut out = String::new();
        for (title, d) in [("Redshift", Dialect::Redshift), ("PostgreSQL", Dialect::Postgres)] {
            out.push_str(&format!("-- ==== audit ({title}, --schemas 'Sales EU')\n"));
            for q in queries(d, &scope).unwrap_or_else(|e| panic!("{e}")) {
                out.push_str(&format!("-- {}\n{};\n", q.id, q.sql));
            }
            out.push('\n');
        }
        super::super::golden_tests::check_golden("audit_queries.sql", &out);
    }

    #[test]
    fn queries_quote_scope_and_never_use_has_privilege() {
        let scope = AuditScope { schemas: vec!["it's".into()], grantees: vec![] };
        for d in [Dialect::Postgres, Dialect::Redshift] {
            let qs = queries(d, &scope).unwrap_or_else(|e| panic!("{e}"));
            assert!(qs.iter().any(|q| q.sql.contains("'it''s'")));
            assert!(qs.iter().all(|q| !q.sql.contains("has_")));
            for q in &qs {
                let svv = q.sql.contains("svv_") || q.sql.contains("svl_");
                assert!(!(svv && q.sql.contains("pg_catalog.")), "{}", q.sql);
            }
        }
    }
}
