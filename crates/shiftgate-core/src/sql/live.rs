//! The live privilege state of one database, read by the admin during discovery: which grantee
//! holds what on schemas, tables and databases, which default-privilege entries name whom, who is a
//! member of which group or role, which users are superusers, and whether Redshift treats quoted
//! identifiers case-sensitively. Setup records from it what existed before; teardown reads it to
//! remove exactly what is left (redshift.md §1.4, §1.9, §2).
//!
//! Queries are data and parsing is pure. PostgreSQL is read through `aclexplode` on the catalogs;
//! Redshift through its `svv_*_privileges` views plus `pg_default_acl` (whose ACL text is parsed
//! here, because regular tools only show `svv_default_privileges`).

use serde::{Deserialize, Serialize};

use super::ident::{Literal, SqlTextError};
use super::plan::{Access, Dialect, names_clash};
use super::query::{CatalogQuery, QueryId, QueryResults, Row, RowError, flag, text};

/// What kind of principal a grantee is. PostgreSQL has one role namespace (`Role`); Redshift keeps
/// users, groups and RBAC roles apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A Redshift user.
    User,
    /// A user group (`GROUP g`).
    Group,
    /// A Redshift RBAC role, or any PostgreSQL role (user, group and role are one namespace).
    Role,
}

impl PrincipalKind {
    fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "user" => PrincipalKind::User,
            "group" => PrincipalKind::Group,
            _ => PrincipalKind::Role,
        }
    }
}

/// A grantee as the catalogs name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Principal {
    /// The name (as stored).
    pub name: String,
    /// The kind.
    pub kind: PrincipalKind,
}

impl Principal {
    /// Whether this is the plan's group/role on `dialect`.
    pub fn is_access(&self, dialect: Dialect, access: &Access) -> bool {
        let kind_ok = match (dialect, access) {
            (Dialect::Postgres, _) => true,
            (Dialect::Redshift, Access::Group { .. }) => self.kind == PrincipalKind::Group,
            (Dialect::Redshift, Access::Role { .. }) => self.kind == PrincipalKind::Role,
        };
        kind_ok && names_clash(dialect, &self.name, access.name())
    }

    /// Whether this is the user `name` (user names keep their case on both dialects).
    pub fn is_user(&self, dialect: Dialect, name: &str) -> bool {
        let kind_ok = match dialect {
            Dialect::Postgres => true,
            Dialect::Redshift => self.kind == PrincipalKind::User,
        };
        kind_ok && self.name == name
    }
}

/// A privilege on a schema (`USAGE`, `CREATE`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SchemaPrivilege {
    /// Schema name.
    pub schema: String,
    /// Who holds it.
    pub grantee: Principal,
    /// `USAGE` or `CREATE` (upper case).
    pub privilege: String,
}

/// A privilege on one table or view.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TablePrivilege {
    /// Schema name.
    pub schema: String,
    /// Table or view name.
    pub table: String,
    /// Who holds it.
    pub grantee: Principal,
    /// `SELECT`, `INSERT`, … (upper case).
    pub privilege: String,
}

/// What a default-privilege entry applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultObjects {
    /// Tables and views (`ON TABLES`).
    Tables,
    /// Functions (`ON FUNCTIONS`).
    Functions,
    /// Stored procedures (Redshift, `ON PROCEDURES`).
    Procedures,
    /// Sequences (PostgreSQL, `ON SEQUENCES`).
    Sequences,
    /// Types (PostgreSQL, `ON TYPES`).
    Types,
    /// Schemas (PostgreSQL, `ON SCHEMAS`; never with `IN SCHEMA`).
    Schemas,
}

impl DefaultObjects {
    /// From `pg_default_acl.defaclobjtype` or `svv_default_privileges.object_type`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "r" | "RELATION" | "relation" | "TABLE" | "table" => DefaultObjects::Tables,
            "f" | "FUNCTION" | "function" => DefaultObjects::Functions,
            "p" | "PROCEDURE" | "procedure" => DefaultObjects::Procedures,
            "S" | "SEQUENCE" | "sequence" => DefaultObjects::Sequences,
            "T" | "TYPE" | "type" => DefaultObjects::Types,
            "n" | "SCHEMA" | "schema" => DefaultObjects::Schemas,
            _ => return None,
        })
    }

    /// The keyword after `ON` in `ALTER DEFAULT PRIVILEGES … REVOKE ALL ON …`.
    pub fn keyword(self) -> &'static str {
        match self {
            DefaultObjects::Tables => "TABLES",
            DefaultObjects::Functions => "FUNCTIONS",
            DefaultObjects::Procedures => "PROCEDURES",
            DefaultObjects::Sequences => "SEQUENCES",
            DefaultObjects::Types => "TYPES",
            DefaultObjects::Schemas => "SCHEMAS",
        }
    }
}

/// One default-privilege entry: objects `objects` created later by `owner` (in `schema`, or in
/// every schema when `None`) get privileges for `grantee`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DefaultPrivilege {
    /// `FOR USER` target.
    pub owner: String,
    /// `IN SCHEMA`, or `None` for a database-wide entry.
    pub schema: Option<String>,
    /// Object type.
    pub objects: DefaultObjects,
    /// Who is named.
    pub grantee: Principal,
}

/// A privilege on a database (Redshift datashare consumer databases: `USAGE`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DatabasePrivilege {
    /// Database name.
    pub database: String,
    /// Who holds it.
    pub grantee: Principal,
    /// `USAGE`, `CREATE`, `TEMP`.
    pub privilege: String,
}

/// `member` belongs to group/role `of`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Membership {
    /// The group or role.
    pub of: Principal,
    /// The member's name (a user).
    pub member: String,
}

/// A login user's powers that matter for a read-only catalog user.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserFlags {
    /// User name.
    pub name: String,
    /// Superuser (Redshift: also what `CREATEUSER` grants).
    pub superuser: bool,
    /// May create databases.
    pub createdb: bool,
    /// May create users/roles (PostgreSQL `CREATEROLE`; Redshift `CREATEUSER` = superuser).
    pub createrole: bool,
}

/// Everything read about privileges in one database. Each part is empty when its query failed
/// (discovery notes say which).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LiveAcl {
    /// Explicit schema privileges (owners' implicit ones excluded).
    pub schema_privileges: Vec<SchemaPrivilege>,
    /// Explicit table and view privileges (owners' implicit ones excluded).
    pub table_privileges: Vec<TablePrivilege>,
    /// Default-privilege entries (both `pg_default_acl` and, on Redshift, `svv_default_privileges`).
    pub default_privileges: Vec<DefaultPrivilege>,
    /// Database privileges (Redshift).
    pub database_privileges: Vec<DatabasePrivilege>,
    /// Group and role memberships.
    pub memberships: Vec<Membership>,
    /// Login users with their powers.
    pub user_flags: Vec<UserFlags>,
    /// Redshift `enable_case_sensitive_identifier`; `None` when unknown or on PostgreSQL.
    pub case_sensitive_identifiers: Option<bool>,
    /// Whether the privilege queries succeeded (so an empty list means "none").
    pub read: bool,
}

const PG_SCHEMA_PRIVS: &str = "SELECT n.nspname, pg_get_userbyid(a.grantee), 'role', \
     a.privilege_type FROM pg_namespace n, aclexplode(n.nspacl) a \
     WHERE a.grantee <> 0 AND a.grantee <> n.nspowner ORDER BY 1, 2, 4";
const PG_TABLE_PRIVS: &str = "SELECT n.nspname, c.relname, pg_get_userbyid(a.grantee), 'role', \
     a.privilege_type FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, \
     aclexplode(c.relacl) a WHERE a.grantee <> 0 AND a.grantee <> c.relowner \
     AND c.relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY 1, 2, 3, 5";
const PG_DEFAULT_PRIVS: &str = "SELECT pg_get_userbyid(d.defaclrole), \
     COALESCE(n.nspname, ''), d.defaclobjtype, pg_get_userbyid(a.grantee), 'role' \
     FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace, \
     aclexplode(d.defaclacl) a WHERE a.grantee <> 0 AND a.grantee <> d.defaclrole \
     ORDER BY 1, 2, 4";
const PG_MEMBERSHIPS: &str = "SELECT pg_get_userbyid(roleid), 'role', pg_get_userbyid(member) \
     FROM pg_auth_members ORDER BY 1, 3";
const PG_USER_FLAGS: &str =
    "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles ORDER BY rolname";

const RS_SCHEMA_PRIVS: &str = "SELECT namespace_name, identity_name, identity_type, \
     privilege_type FROM svv_schema_privileges ORDER BY 1, 2, 4";
const RS_TABLE_PRIVS: &str = "SELECT namespace_name, relation_name, identity_name, \
     identity_type, privilege_type FROM svv_relation_privileges ORDER BY 1, 2, 3, 5";
const RS_DEFAULT_PRIVS: &str = "SELECT owner_name, COALESCE(schema_name, ''), object_type, \
     grantee_name, grantee_type FROM svv_default_privileges ORDER BY 1, 2, 4";
const RS_DEFAULT_ACL: &str = "SELECT pg_get_userbyid(defacluser), defaclnamespace, \
     defaclobjtype, defaclacl FROM pg_default_acl";
const RS_NAMESPACE_OIDS: &str = "SELECT oid, nspname FROM pg_namespace";
const RS_DATABASE_PRIVS: &str = "SELECT database_name, identity_name, identity_type, \
     privilege_type FROM svv_database_privileges ORDER BY 1, 2, 4";
const RS_GROUP_MEMBERS: &str = "SELECT g.groname, 'group', u.usename FROM pg_group g, pg_user u \
     WHERE u.usesysid = ANY (g.grolist) ORDER BY 1, 3";
const RS_ROLE_MEMBERS: &str =
    "SELECT role_name, 'role', user_name FROM svv_user_grants ORDER BY 1, 3";
const RS_USER_FLAGS: &str =
    "SELECT usename, usesuper, usecreatedb, usesuper FROM pg_user ORDER BY usename";
const RS_CASE_SENSITIVE: &str = "SHOW enable_case_sensitive_identifier";

/// The privilege queries for `dialect` (each independent; all optional).
pub fn queries(dialect: Dialect) -> Vec<CatalogQuery> {
    let q = |id, sql: &str| CatalogQuery { id, sql: sql.to_owned() };
    match dialect {
        Dialect::Postgres => vec![
            q(QueryId::SchemaPrivileges, PG_SCHEMA_PRIVS),
            q(QueryId::TablePrivileges, PG_TABLE_PRIVS),
            q(QueryId::LiveDefaultPrivileges, PG_DEFAULT_PRIVS),
            q(QueryId::GroupMembers, PG_MEMBERSHIPS),
            q(QueryId::UserFlags, PG_USER_FLAGS),
        ],
        Dialect::Redshift => vec![
            q(QueryId::SchemaPrivileges, RS_SCHEMA_PRIVS),
            q(QueryId::TablePrivileges, RS_TABLE_PRIVS),
            q(QueryId::LiveDefaultPrivileges, RS_DEFAULT_PRIVS),
            q(QueryId::DefaultAcl, RS_DEFAULT_ACL),
            q(QueryId::NamespaceOids, RS_NAMESPACE_OIDS),
            q(QueryId::DatabasePrivileges, RS_DATABASE_PRIVS),
            q(QueryId::GroupMembers, RS_GROUP_MEMBERS),
            q(QueryId::RoleMembers, RS_ROLE_MEMBERS),
            q(QueryId::UserFlags, RS_USER_FLAGS),
            q(QueryId::CaseSensitivity, RS_CASE_SENSITIVE),
        ],
    }
}

fn rows_of<'a>(results: &'a QueryResults, id: QueryId, notes: &mut Vec<String>) -> &'a [Row] {
    match results.get(&id) {
        Some(Ok(rows)) => rows,
        Some(Err(e)) => {
            notes.push(format!("the {id} failed: {e}"));
            &[]
        }
        None => &[],
    }
}

fn principal(id: &QueryId, rows: &[Row], i: usize, col: usize) -> Result<Principal, RowError> {
    Ok(Principal {
        name: text(id, rows, i, col)?.to_owned(),
        kind: PrincipalKind::parse(text(id, rows, i, col + 1)?),
    })
}

/// Reads the privilege query results; failures become `notes`.
pub fn evaluate(
    dialect: Dialect,
    results: &QueryResults,
    notes: &mut Vec<String>,
) -> Result<LiveAcl, RowError> {
    let mut acl = LiveAcl {
        read: matches!(results.get(&QueryId::SchemaPrivileges), Some(Ok(_)))
            && matches!(results.get(&QueryId::TablePrivileges), Some(Ok(_)))
            && matches!(results.get(&QueryId::LiveDefaultPrivileges), Some(Ok(_))),
        ..LiveAcl::default()
    };
    let id = QueryId::SchemaPrivileges;
    let rows = rows_of(results, id.clone(), notes);
    for i in 0..rows.len() {
        acl.schema_privileges.push(SchemaPrivilege {
            schema: text(&id, rows, i, 0)?.to_owned(),
            grantee: principal(&id, rows, i, 1)?,
            privilege: text(&id, rows, i, 3)?.to_ascii_uppercase(),
        });
    }
    let id = QueryId::TablePrivileges;
    let rows = rows_of(results, id.clone(), notes);
    for i in 0..rows.len() {
        acl.table_privileges.push(TablePrivilege {
            schema: text(&id, rows, i, 0)?.to_owned(),
            table: text(&id, rows, i, 1)?.to_owned(),
            grantee: principal(&id, rows, i, 2)?,
            privilege: text(&id, rows, i, 4)?.to_ascii_uppercase(),
        });
    }
    let id = QueryId::LiveDefaultPrivileges;
    let rows = rows_of(results, id.clone(), notes);
    for i in 0..rows.len() {
        let Some(objects) = DefaultObjects::parse(text(&id, rows, i, 2)?) else { continue };
        let schema = text(&id, rows, i, 1)?;
        push_default(
            &mut acl.default_privileges,
            DefaultPrivilege {
                owner: text(&id, rows, i, 0)?.to_owned(),
                schema: (!schema.is_empty()).then(|| schema.to_owned()),
                objects,
                grantee: principal(&id, rows, i, 3)?,
            },
        );
    }
    if dialect == Dialect::Redshift {
        read_redshift_extras(results, notes, &mut acl)?;
    }
    for id in [QueryId::GroupMembers, QueryId::RoleMembers] {
        let rows = rows_of(results, id.clone(), notes);
        for i in 0..rows.len() {
            acl.memberships.push(Membership {
                of: principal(&id, rows, i, 0)?,
                member: text(&id, rows, i, 2)?.to_owned(),
            });
        }
    }
    let id = QueryId::UserFlags;
    let rows = rows_of(results, id.clone(), notes);
    for i in 0..rows.len() {
        acl.user_flags.push(UserFlags {
            name: text(&id, rows, i, 0)?.to_owned(),
            superuser: flag(&id, rows, i, 1)?,
            createdb: flag(&id, rows, i, 2)?,
            createrole: flag(&id, rows, i, 3)?,
        });
    }
    Ok(acl)
}

fn read_redshift_extras(
    results: &QueryResults,
    notes: &mut Vec<String>,
    acl: &mut LiveAcl,
) -> Result<(), RowError> {
    let id = QueryId::NamespaceOids;
    let rows = rows_of(results, id.clone(), notes);
    let mut oids: Vec<(String, String)> = Vec::new();
    for i in 0..rows.len() {
        oids.push((text(&id, rows, i, 0)?.to_owned(), text(&id, rows, i, 1)?.to_owned()));
    }
    let id = QueryId::DefaultAcl;
    let rows = rows_of(results, id.clone(), notes);
    for i in 0..rows.len() {
        let owner = text(&id, rows, i, 0)?.to_owned();
        let ns = text(&id, rows, i, 1)?;
        let Some(objects) = DefaultObjects::parse(text(&id, rows, i, 2)?) else { continue };
        let schema = if ns == "0" {
            None
        } else {
            match oids.iter().find(|(o, _)| o == ns) {
                Some((_, name)) => Some(name.clone()),
                None => continue,
            }
        };
        let Some(acl_text) = rows.get(i).and_then(|r| r.get(3)).and_then(|c| c.as_deref()) else {
            continue;
        };
        for grantee in parse_acl_grantees(acl_text) {
            if grantee.name == owner && grantee.kind == PrincipalKind::User {
                continue;
            }
            push_default(
                &mut acl.default_privileges,
                DefaultPrivilege { owner: owner.clone(), schema: schema.clone(), objects, grantee },
            );
        }
    }
    let id = QueryId::DatabasePrivileges;
    let rows = rows_of(results, id.clone(), notes);
    for i in 0..rows.len() {
        acl.database_privileges.push(DatabasePrivilege {
            database: text(&id, rows, i, 0)?.to_owned(),
            grantee: principal(&id, rows, i, 1)?,
            privilege: text(&id, rows, i, 3)?.to_ascii_uppercase(),
        });
    }
    if let Some(Ok(rows)) = results.get(&QueryId::CaseSensitivity) {
        let id = QueryId::CaseSensitivity;
        if !rows.is_empty() {
            let v = text(&id, rows, 0, 0)?.to_ascii_lowercase();
            acl.case_sensitive_identifiers = Some(matches!(v.as_str(), "on" | "true" | "t"));
        }
    } else if let Some(Err(e)) = results.get(&QueryId::CaseSensitivity) {
        notes.push(format!("the {} failed: {e}", QueryId::CaseSensitivity));
    }
    Ok(())
}

fn push_default(list: &mut Vec<DefaultPrivilege>, entry: DefaultPrivilege) {
    if !list.contains(&entry) {
        list.push(entry);
    }
}

/// Grantees of an ACL array as text (`{"group g=r/admin",u=r/admin,=r/admin}`); PUBLIC (empty
/// grantee) is skipped. Redshift prefixes groups with `group ` and roles with `role `.
pub fn parse_acl_grantees(acl: &str) -> Vec<Principal> {
    let inner = acl.trim().trim_start_matches('{').trim_end_matches('}');
    let mut out = Vec::new();
    for item in split_acl_items(inner) {
        let Some((grantee, _)) = item.split_once('=') else { continue };
        let (kind, name) = if let Some(n) = grantee.strip_prefix("group ") {
            (PrincipalKind::Group, n)
        } else if let Some(n) = grantee.strip_prefix("role ") {
            (PrincipalKind::Role, n)
        } else {
            (PrincipalKind::User, grantee)
        };
        let name = unquote_ident(name);
        if !name.is_empty() {
            out.push(Principal { name, kind });
        }
    }
    out
}

/// Splits `a,"b,c",d` at commas outside double quotes and removes the array quoting of items.
fn split_acl_items(inner: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '"' => quoted = !quoted,
            ',' if !quoted => items.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        items.push(cur);
    }
    items
}

fn unquote_ident(s: &str) -> String {
    let s = s.trim();
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        s[1..s.len() - 1].replace("\"\"", "\"")
    } else {
        s.to_owned()
    }
}

/// Phase-two discovery: `has_schema_privilege(owner, schema, 'CREATE')` for each pair, as
/// `SELECT 's', 'o', has_schema_privilege(…)` rows joined by `UNION ALL` (leader-node functions
/// with literals only, no tables: valid on Redshift). At most 100 pairs per query.
pub fn owner_create_queries(pairs: &[(String, String)]) -> Result<Vec<CatalogQuery>, SqlTextError> {
    let mut out = Vec::new();
    for (n, chunk) in pairs.chunks(100).enumerate() {
        let mut parts = Vec::new();
        for (schema, owner) in chunk {
            let s = Literal::new(schema, "schema name")?;
            let o = Literal::new(owner, "owner name")?;
            parts.push(format!("SELECT {s}, {o}, has_schema_privilege({o}, {s}, 'CREATE')"));
        }
        out.push(CatalogQuery {
            id: QueryId::OwnerCreate { chunk: n },
            sql: parts.join(" UNION ALL "),
        });
    }
    Ok(out)
}

/// Pairs `(schema, owner)` whose owner lacks CREATE, from [`owner_create_queries`] results.
pub fn owners_without_create(
    results: &QueryResults,
    notes: &mut Vec<String>,
) -> Result<Vec<(String, String)>, RowError> {
    let mut out = Vec::new();
    for (id, outcome) in results.iter() {
        if !matches!(id, QueryId::OwnerCreate { .. }) {
            continue;
        }
        match outcome {
            Err(e) => notes.push(format!("the {id} failed: {e}")),
            Ok(rows) => {
                for i in 0..rows.len() {
                    if !flag(id, rows, i, 2)? {
                        out.push((
                            text(id, rows, i, 0)?.to_owned(),
                            text(id, rows, i, 1)?.to_owned(),
                        ));
                    }
                }
            }
        }
    }
    Ok(out)
}

impl LiveAcl {
    /// Schema privileges held by `p`.
    pub fn schema_privileges_of<'a>(
        &'a self,
        is: impl Fn(&Principal) -> bool + 'a,
    ) -> impl Iterator<Item = &'a SchemaPrivilege> + 'a {
        self.schema_privileges.iter().filter(move |x| is(&x.grantee))
    }

    /// Table privileges held by `p`.
    pub fn table_privileges_of<'a>(
        &'a self,
        is: impl Fn(&Principal) -> bool + 'a,
    ) -> impl Iterator<Item = &'a TablePrivilege> + 'a {
        self.table_privileges.iter().filter(move |x| is(&x.grantee))
    }

    /// Default-privilege entries naming `p`.
    pub fn default_privileges_of<'a>(
        &'a self,
        is: impl Fn(&Principal) -> bool + 'a,
    ) -> impl Iterator<Item = &'a DefaultPrivilege> + 'a {
        self.default_privileges.iter().filter(move |x| is(&x.grantee))
    }

    /// Database privileges held by `p`.
    pub fn database_privileges_of<'a>(
        &'a self,
        is: impl Fn(&Principal) -> bool + 'a,
    ) -> impl Iterator<Item = &'a DatabasePrivilege> + 'a {
        self.database_privileges.iter().filter(move |x| is(&x.grantee))
    }

    /// Members of the group/role matched by `is`.
    pub fn members_of(&self, is: impl Fn(&Principal) -> bool) -> Vec<String> {
        let mut m: Vec<String> =
            self.memberships.iter().filter(|x| is(&x.of)).map(|x| x.member.clone()).collect();
        m.sort();
        m.dedup();
        m
    }

    /// Flags of user `name`.
    pub fn flags_of(&self, name: &str) -> Option<&UserFlags> {
        self.user_flags.iter().find(|u| u.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &[&[&str]]) -> Result<Vec<Row>, String> {
        Ok(data.iter().map(|r| r.iter().map(|c| Some((*c).to_owned())).collect()).collect())
    }

    #[test]
    fn acl_text_grantees() {
        let g = parse_acl_grantees(
            r#"{"group catalog_ro=r/admin",etl=r/admin,=r/admin,"Sales EU"=r/x,"role \"q\"=r/a"}"#,
        );
        assert_eq!(
            g,
            vec![
                Principal { name: "catalog_ro".into(), kind: PrincipalKind::Group },
                Principal { name: "etl".into(), kind: PrincipalKind::User },
                Principal { name: "Sales EU".into(), kind: PrincipalKind::User },
                Principal { name: "q".into(), kind: PrincipalKind::Role },
            ]
        );
    }

    #[test]
    fn redshift_evaluate_merges_default_sources() {
        let mut r = QueryResults::new();
        r.insert(QueryId::SchemaPrivileges, rows(&[&["sales", "ro", "group", "usage"]]));
        r.insert(QueryId::TablePrivileges, rows(&[&["sales", "t", "ro", "group", "SELECT"]]));
        r.insert(
            QueryId::LiveDefaultPrivileges,
            rows(&[&["etl", "sales", "RELATION", "ro", "group"]]),
        );
        r.insert(QueryId::NamespaceOids, rows(&[&["100", "sales"], &["101", "hr"]]));
        r.insert(
            QueryId::DefaultAcl,
            rows(&[
                &["etl", "100", "r", "{\"group ro=r/etl\"}"],
                &["later", "101", "r", "{\"group ro=r/later\"}"],
                &["admin", "0", "r", "{admin=arwdRxt/admin,mm=r/admin}"],
            ]),
        );
        r.insert(QueryId::GroupMembers, rows(&[&["ro", "group", "catalog"]]));
        r.insert(
            QueryId::UserFlags,
            rows(&[&["admin", "t", "t", "t"], &["catalog", "f", "f", "f"]]),
        );
        r.insert(QueryId::CaseSensitivity, rows(&[&["on"]]));
        r.insert(QueryId::DatabasePrivileges, Err("permission denied".into()));
        let mut notes = Vec::new();
        let acl = evaluate(Dialect::Redshift, &r, &mut notes).unwrap_or_else(|e| panic!("{e}"));
        assert!(acl.read);
        assert_eq!(acl.schema_privileges[0].privilege, "USAGE");
        let ro = Access::Group { name: "ro".into() };
        let pairs: Vec<(String, Option<String>)> = acl
            .default_privileges_of(|p| p.is_access(Dialect::Redshift, &ro))
            .map(|d| (d.owner.clone(), d.schema.clone()))
            .collect();
        assert_eq!(
            pairs,
            vec![("etl".into(), Some("sales".into())), ("later".into(), Some("hr".into()))]
        );
        let mm: Vec<_> =
            acl.default_privileges_of(|p| p.is_user(Dialect::Redshift, "mm")).collect();
        assert_eq!(mm.len(), 1);
        assert_eq!(mm[0].schema, None);
        assert_eq!(acl.members_of(|p| p.is_access(Dialect::Redshift, &ro)), vec!["catalog"]);
        assert_eq!(acl.case_sensitive_identifiers, Some(true));
        assert!(acl.flags_of("admin").is_some_and(|f| f.superuser));
        assert_eq!(notes.len(), 1, "{notes:?}");
    }

    #[test]
    fn owner_create_pairs_round_trip() {
        let pairs = vec![("Sales EU".to_string(), "o'brien".to_string())];
        let q = owner_create_queries(&pairs).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            q[0].sql,
            "SELECT 'Sales EU', 'o''brien', has_schema_privilege('o''brien', 'Sales EU', 'CREATE')"
        );
        let mut r = QueryResults::new();
        r.insert(q[0].id.clone(), rows(&[&["Sales EU", "o'brien", "f"]]));
        let mut notes = Vec::new();
        assert_eq!(owners_without_create(&r, &mut notes), Ok(pairs));
    }
}
