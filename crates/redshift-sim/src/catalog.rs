//! The warehouse state: databases, users, groups, RBAC roles, schemas, relations, external tables,
//! grants and default ACLs, with Redshift's privilege rules (redshift.md §1.2–§1.6). Mutations here are
//! primitives that keep the state consistent; statement semantics and error wording for DDL/DCL live in
//! `exec::dcl`. Knows nothing about the wire protocol or SQL text.

use std::collections::{BTreeMap, BTreeSet};

use crate::auth::StoredPassword;
use crate::error::SqlError;

/// `rdsdb`, the internal superuser that owns system schemas (redshift.md §2, usesysid 1).
pub const RDSDB: u32 = 1;

/// Who a privilege is granted to. Users, groups and roles are separate namespaces (redshift.md §1.2).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grantee {
    Public,
    User(u32),
    Group(u32),
    Role(u32),
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: u32,
    /// Case preserved when created quoted (redshift.md §1.1).
    pub name: String,
    pub password: StoredPassword,
    pub superuser: bool,
    pub createdb: bool,
    /// `None` = UNLIMITED (the default).
    pub connection_limit: Option<u32>,
    pub syslog_unrestricted: bool,
    /// RBAC roles granted directly to the user.
    pub roles: BTreeSet<u32>,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: u32,
    pub name: String,
    pub members: BTreeSet<u32>,
}

#[derive(Debug, Clone)]
pub struct Role {
    pub id: u32,
    pub name: String,
    pub owner: u32,
    /// Roles granted to this role (`GRANT ROLE a TO ROLE this`); roles nest, groups don't (§1.2).
    pub roles: BTreeSet<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseKind {
    Local,
    /// A datashare consumer database: read-only, can't be connected to (redshift.md §1.6).
    Shared {
        producer_namespace: String,
    },
}

#[derive(Debug, Clone)]
pub struct SharedSchema {
    pub name: String,
    pub tables: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Database {
    pub name: String,
    pub owner: u32,
    pub kind: DatabaseKind,
    /// `GRANT USAGE ON DATABASE` holders (datashares only, §1.3).
    pub usage: BTreeSet<Grantee>,
    /// Schemas of a shared database (metadata only, for `svv_redshift_*` / `svv_all_*`).
    pub shared_schemas: Vec<SharedSchema>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaKind {
    /// `pg_catalog`, `information_schema`: owned by rdsdb, USAGE for PUBLIC.
    System,
    Local,
    /// Spectrum / federated / cross-database reference (redshift.md §1.6).
    External {
        source_database: String,
        eskind: i32,
    },
}

#[derive(Debug, Clone)]
pub struct Schema {
    pub oid: u32,
    pub name: String,
    pub owner: u32,
    pub kind: SchemaKind,
    pub usage: BTreeSet<Grantee>,
    pub create: BTreeSet<Grantee>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    Table,
    View,
    /// `CREATE VIEW … WITH NO SCHEMA BINDING` (redshift.md §1.6).
    LateBindingView,
    /// A relation in `pg_catalog`; `public_read` = readable by everyone (catalog tables, self-filtering
    /// SVV views) versus superuser-only (svv_table_info, stv_*, …; §1.5).
    System {
        public_read: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// Redshift type name as `format_type` prints it, e.g. `integer`, `character varying(256)`.
    pub type_name: String,
    /// Default expression as `pg_attrdef.adsrc` shows it.
    pub default: Option<String>,
    /// `COMMENT ON COLUMN` text (`pg_description`, `col_description`).
    pub comment: Option<String>,
}

impl Column {
    pub fn new(name: &str, type_name: &str) -> Self {
        Column {
            name: name.to_string(),
            type_name: type_name.to_string(),
            default: None,
            comment: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Relation {
    pub oid: u32,
    pub schema: u32,
    pub name: String,
    pub kind: RelationKind,
    pub owner: u32,
    pub columns: Vec<Column>,
    pub select: BTreeSet<Grantee>,
    /// Holders of the other table privileges (`INSERT`, `UPDATE`, … as in `TABLE_PRIVILEGES`).
    pub other_privileges: BTreeMap<&'static str, BTreeSet<Grantee>>,
    /// Deterministic sample rows the table holds (0 for tables created by SQL: they start empty).
    pub sample_rows: u32,
    /// `COMMENT ON TABLE` text (`pg_description`, `obj_description`).
    pub comment: Option<String>,
}

/// A Spectrum table: not in `pg_class`, only in `svv_external_*` (redshift.md §1.6).
#[derive(Debug, Clone)]
pub struct ExternalTable {
    pub schema: u32,
    pub name: String,
    pub location: String,
    pub columns: Vec<Column>,
}

/// Table privileges besides SELECT that GRANT accepts (r_GRANT.md), with the `relacl` letter of
/// those PostgreSQL 8.0 knows (`D` is Redshift's DROP; TRUNCATE and ALTER have none there).
pub const TABLE_PRIVILEGES: [(&str, Option<char>); 7] = [
    ("INSERT", Some('a')),
    ("UPDATE", Some('w')),
    ("DELETE", Some('d')),
    ("REFERENCES", Some('x')),
    ("DROP", Some('D')),
    ("TRUNCATE", None),
    ("ALTER", None),
];

/// What `ALL [PRIVILEGES]` on a table grants besides SELECT.
pub const TABLE_ALL: [&str; 4] = ["INSERT", "UPDATE", "DELETE", "REFERENCES"];

/// `ALTER DEFAULT PRIVILEGES FOR USER owner [IN SCHEMA s] GRANT SELECT ON TABLES TO grantee`
/// (redshift.md §1.4); `schema: None` = database-wide.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DefaultAcl {
    pub owner: u32,
    pub schema: Option<u32>,
    pub grantee: Grantee,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaPrivilege {
    Usage,
    Create,
}

/// The whole simulated cluster. One local database's catalog (all local databases share it).
#[derive(Debug, Clone)]
pub struct Warehouse {
    /// The `<N>` of `Redshift 1.0.<N>` in `version()` (redshift.md §3.2).
    pub cluster_version: String,
    /// The parameter group's `enable_case_sensitive_identifier` (sessions start from it).
    pub case_sensitive_identifiers: bool,
    pub(crate) users: Vec<User>,
    pub(crate) groups: Vec<Group>,
    pub(crate) roles: Vec<Role>,
    pub(crate) databases: Vec<Database>,
    pub(crate) schemas: Vec<Schema>,
    pub(crate) relations: Vec<Relation>,
    pub(crate) external_tables: Vec<ExternalTable>,
    pub(crate) default_acls: BTreeSet<DefaultAcl>,
    next_id: u32,
    next_oid: u32,
}

pub const PG_CATALOG_OID: u32 = 11;
pub const PUBLIC_OID: u32 = 2200;
pub const INFORMATION_SCHEMA_OID: u32 = 100_039;

impl Warehouse {
    /// A cluster with `rdsdb`, the `dev` database, `pg_catalog`, `information_schema` and `public`,
    /// and nothing else.
    pub fn empty() -> Self {
        let mut w = Warehouse {
            cluster_version: "1.0.52943".to_string(),
            case_sensitive_identifiers: false,
            users: Vec::new(),
            groups: Vec::new(),
            roles: Vec::new(),
            databases: Vec::new(),
            schemas: Vec::new(),
            relations: Vec::new(),
            external_tables: Vec::new(),
            default_acls: BTreeSet::new(),
            next_id: 100,
            next_oid: 100_100,
        };
        w.users.push(User {
            id: RDSDB,
            name: "rdsdb".into(),
            password: StoredPassword::Disabled,
            superuser: true,
            createdb: true,
            connection_limit: None,
            syslog_unrestricted: true,
            roles: BTreeSet::new(),
        });
        w.databases.push(Database {
            name: "dev".into(),
            owner: RDSDB,
            kind: DatabaseKind::Local,
            usage: BTreeSet::new(),
            shared_schemas: Vec::new(),
        });
        let public_usage: BTreeSet<Grantee> = [Grantee::Public].into();
        for (oid, name) in
            [(PG_CATALOG_OID, "pg_catalog"), (INFORMATION_SCHEMA_OID, "information_schema")]
        {
            w.schemas.push(Schema {
                oid,
                name: name.into(),
                owner: RDSDB,
                kind: SchemaKind::System,
                usage: public_usage.clone(),
                create: BTreeSet::new(),
            });
        }
        // redshift.md §1.1: all users have CREATE and USAGE on schema public via PUBLIC.
        w.schemas.push(Schema {
            oid: PUBLIC_OID,
            name: "public".into(),
            owner: RDSDB,
            kind: SchemaKind::Local,
            usage: public_usage.clone(),
            create: public_usage,
        });
        crate::query::system::register_system_relations(&mut w);
        w
    }

    fn alloc_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    pub(crate) fn alloc_oid(&mut self) -> u32 {
        self.next_oid += 1;
        self.next_oid
    }

    // ---- read access -------------------------------------------------------------------------

    pub fn users(&self) -> &[User] {
        &self.users
    }
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }
    pub fn databases(&self) -> &[Database] {
        &self.databases
    }
    pub fn schemas(&self) -> &[Schema] {
        &self.schemas
    }
    pub fn relations(&self) -> &[Relation] {
        &self.relations
    }
    pub fn external_tables(&self) -> &[ExternalTable] {
        &self.external_tables
    }
    pub fn default_acls(&self) -> impl Iterator<Item = &DefaultAcl> {
        self.default_acls.iter()
    }

    pub fn user(&self, id: u32) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }
    pub fn user_by_name(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }
    pub fn group_by_name(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }
    pub fn role_by_name(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }
    pub fn database(&self, name: &str) -> Option<&Database> {
        self.databases.iter().find(|d| d.name == name)
    }
    pub fn schema(&self, oid: u32) -> Option<&Schema> {
        self.schemas.iter().find(|s| s.oid == oid)
    }
    pub fn schema_by_name(&self, name: &str) -> Option<&Schema> {
        self.schemas.iter().find(|s| s.name == name)
    }
    pub fn relation(&self, schema: u32, name: &str) -> Option<&Relation> {
        self.relations.iter().find(|r| r.schema == schema && r.name == name)
    }
    pub fn relation_by_oid(&self, oid: u32) -> Option<&Relation> {
        self.relations.iter().find(|r| r.oid == oid)
    }

    pub fn user_name(&self, id: u32) -> String {
        self.user(id).map(|u| u.name.clone()).unwrap_or_else(|| "unknown".to_string())
    }

    /// `name` as it appears in an ACL item (`group g`, `role r`, or the user name; PUBLIC is empty).
    pub fn grantee_acl_name(&self, g: &Grantee) -> String {
        match g {
            Grantee::Public => String::new(),
            Grantee::User(id) => self.user_name(*id),
            Grantee::Group(id) => format!(
                "group {}",
                self.groups.iter().find(|x| x.id == *id).map(|x| x.name.as_str()).unwrap_or("?")
            ),
            Grantee::Role(id) => format!(
                "role {}",
                self.roles.iter().find(|x| x.id == *id).map(|x| x.name.as_str()).unwrap_or("?")
            ),
        }
    }

    // ---- privilege logic (redshift.md §1.3: effective = PUBLIC + groups + roles + direct) --------

    pub fn is_superuser(&self, user: u32) -> bool {
        self.user(user).is_some_and(|u| u.superuser)
    }

    /// All roles a user holds, directly or through nested roles.
    pub fn role_closure(&self, user: u32) -> BTreeSet<u32> {
        let mut out = BTreeSet::new();
        let mut todo: Vec<u32> =
            self.user(user).map(|u| u.roles.iter().copied().collect()).unwrap_or_default();
        while let Some(r) = todo.pop() {
            if out.insert(r)
                && let Some(role) = self.roles.iter().find(|x| x.id == r)
            {
                todo.extend(role.roles.iter().copied());
            }
        }
        out
    }

    /// Whether any of `holders` applies to `user`.
    pub fn holds(&self, user: u32, holders: &BTreeSet<Grantee>) -> bool {
        if holders.is_empty() {
            return false;
        }
        let roles = self.role_closure(user);
        holders.iter().any(|g| match g {
            Grantee::Public => true,
            Grantee::User(id) => *id == user,
            Grantee::Group(id) => {
                self.groups.iter().any(|x| x.id == *id && x.members.contains(&user))
            }
            Grantee::Role(id) => roles.contains(id),
        })
    }

    pub fn schema_privilege(&self, user: u32, schema: &Schema, p: SchemaPrivilege) -> bool {
        if self.is_superuser(user) || schema.owner == user {
            return true;
        }
        match p {
            SchemaPrivilege::Usage => self.holds(user, &schema.usage),
            SchemaPrivilege::Create => self.holds(user, &schema.create),
        }
    }

    /// SELECT on a relation (not counting schema USAGE, like `has_table_privilege`).
    pub fn table_select(&self, user: u32, rel: &Relation) -> bool {
        self.is_superuser(user)
            || rel.owner == user
            || matches!(rel.kind, RelationKind::System { public_read: true })
            || self.holds(user, &rel.select)
    }

    /// A table privilege other than SELECT (owner and superuser hold them all).
    pub fn table_privilege(&self, user: u32, rel: &Relation, privilege: &str) -> bool {
        self.is_superuser(user)
            || rel.owner == user
            || rel.other_privileges.get(privilege).is_some_and(|h| self.holds(user, h))
    }

    pub fn database_usage(&self, user: u32, db: &Database) -> bool {
        self.is_superuser(user)
            || db.owner == user
            || db.kind == DatabaseKind::Local
            || self.holds(user, &db.usage)
    }

    /// Whether `g` is named by any grant or default ACL (blocks DROP GROUP / DROP USER, §1.2, §1.9).
    pub fn grantee_has_privileges(&self, g: &Grantee) -> bool {
        self.schemas.iter().any(|s| s.usage.contains(g) || s.create.contains(g))
            || self
                .relations
                .iter()
                .any(|r| r.select.contains(g) || r.other_privileges.values().any(|h| h.contains(g)))
            || self.databases.iter().any(|d| d.usage.contains(g))
            || self.default_acls.iter().any(|d| &d.grantee == g)
    }

    /// Objects owned by a user (schemas, relations, roles, databases) or default ACLs it defines.
    pub fn owns_objects(&self, user: u32) -> bool {
        self.schemas.iter().any(|s| s.owner == user)
            || self.relations.iter().any(|r| r.owner == user)
            || self.databases.iter().any(|d| d.owner == user)
    }

    pub fn defines_default_acls(&self, user: u32) -> bool {
        self.default_acls.iter().any(|d| d.owner == user)
    }

    /// Removes every grant and default ACL naming `g` (used by DROP ROLE).
    pub fn forget_grantee(&mut self, g: &Grantee) {
        for s in &mut self.schemas {
            s.usage.remove(g);
            s.create.remove(g);
        }
        for r in &mut self.relations {
            r.select.remove(g);
            for h in r.other_privileges.values_mut() {
                h.remove(g);
            }
        }
        for d in &mut self.databases {
            d.usage.remove(g);
        }
        self.default_acls.retain(|d| &d.grantee != g);
    }

    // ---- mutation primitives (also the builder API for tests) -------------------------------

    /// Adds a user with a clear-text password (stored as MD5, no policy check: a test fixture).
    pub fn add_user(&mut self, name: &str, password: &str, superuser: bool) -> u32 {
        let stored = StoredPassword::Md5(crate::auth::md5_hash(password, name));
        self.add_user_stored(name, stored, superuser)
    }

    pub fn add_user_stored(
        &mut self,
        name: &str,
        password: StoredPassword,
        superuser: bool,
    ) -> u32 {
        let id = self.alloc_id();
        self.users.push(User {
            id,
            name: name.to_string(),
            password,
            superuser,
            createdb: superuser,
            connection_limit: None,
            syslog_unrestricted: false,
            roles: BTreeSet::new(),
        });
        id
    }

    pub(crate) fn user_mut(&mut self, id: u32) -> Option<&mut User> {
        self.users.iter_mut().find(|u| u.id == id)
    }

    pub(crate) fn remove_user(&mut self, id: u32) {
        self.users.retain(|u| u.id != id);
        for g in &mut self.groups {
            g.members.remove(&id);
        }
    }

    pub fn add_group(&mut self, name: &str, members: &[&str]) -> u32 {
        let id = self.alloc_id();
        let members = members.iter().filter_map(|m| self.user_by_name(m).map(|u| u.id)).collect();
        self.groups.push(Group { id, name: name.to_string(), members });
        id
    }

    pub(crate) fn group_mut(&mut self, name: &str) -> Option<&mut Group> {
        self.groups.iter_mut().find(|g| g.name == name)
    }

    pub(crate) fn remove_group(&mut self, id: u32) {
        self.groups.retain(|g| g.id != id);
    }

    pub fn add_role(&mut self, name: &str, owner: u32) -> u32 {
        let id = self.alloc_id();
        self.roles.push(Role { id, name: name.to_string(), owner, roles: BTreeSet::new() });
        id
    }

    pub(crate) fn role_mut(&mut self, id: u32) -> Option<&mut Role> {
        self.roles.iter_mut().find(|r| r.id == id)
    }

    pub(crate) fn remove_role(&mut self, id: u32) {
        let g = Grantee::Role(id);
        self.forget_grantee(&g);
        self.roles.retain(|r| r.id != id);
        for r in &mut self.roles {
            r.roles.remove(&id);
        }
        for u in &mut self.users {
            u.roles.remove(&id);
        }
    }

    pub fn add_schema(&mut self, name: &str, owner: u32) -> u32 {
        let oid = self.alloc_oid();
        self.schemas.push(Schema {
            oid,
            name: name.to_string(),
            owner,
            kind: SchemaKind::Local,
            usage: BTreeSet::new(),
            create: BTreeSet::new(),
        });
        oid
    }

    pub fn add_external_schema(&mut self, name: &str, owner: u32, source_database: &str) -> u32 {
        let oid = self.add_schema(name, owner);
        if let Some(s) = self.schema_mut(oid) {
            s.kind =
                SchemaKind::External { source_database: source_database.to_string(), eskind: 1 };
        }
        oid
    }

    pub(crate) fn schema_mut(&mut self, oid: u32) -> Option<&mut Schema> {
        self.schemas.iter_mut().find(|s| s.oid == oid)
    }

    pub fn add_external_table(
        &mut self,
        schema: u32,
        name: &str,
        location: &str,
        columns: Vec<Column>,
    ) {
        self.external_tables.push(ExternalTable {
            schema,
            name: name.to_string(),
            location: location.to_string(),
            columns,
        });
    }

    pub fn add_shared_database(
        &mut self,
        name: &str,
        producer_namespace: &str,
        schemas: Vec<SharedSchema>,
    ) {
        self.databases.push(Database {
            name: name.to_string(),
            owner: RDSDB,
            kind: DatabaseKind::Shared { producer_namespace: producer_namespace.to_string() },
            usage: BTreeSet::new(),
            shared_schemas: schemas,
        });
    }

    pub(crate) fn database_mut(&mut self, name: &str) -> Option<&mut Database> {
        self.databases.iter_mut().find(|d| d.name == name)
    }

    /// Creates a relation owned by `owner` and applies that owner's default ACLs (global and for this
    /// schema) — default privileges only follow the creator (redshift.md §1.4).
    pub fn add_relation(
        &mut self,
        schema: u32,
        name: &str,
        kind: RelationKind,
        owner: u32,
        columns: Vec<Column>,
    ) -> u32 {
        let oid = self.alloc_oid();
        let select = self
            .default_acls
            .iter()
            .filter(|d| d.owner == owner && d.schema.is_none_or(|s| s == schema))
            .map(|d| d.grantee.clone())
            .collect();
        self.relations.push(Relation {
            oid,
            schema,
            name: name.to_string(),
            kind,
            owner,
            columns,
            select,
            other_privileges: BTreeMap::new(),
            sample_rows: 0,
            comment: None,
        });
        oid
    }

    pub(crate) fn relation_mut(&mut self, oid: u32) -> Option<&mut Relation> {
        self.relations.iter_mut().find(|r| r.oid == oid)
    }

    pub(crate) fn remove_relation(&mut self, oid: u32) {
        self.relations.retain(|r| r.oid != oid);
    }

    pub(crate) fn default_acls_mut(&mut self) -> &mut BTreeSet<DefaultAcl> {
        &mut self.default_acls
    }

    /// Looks a name up as a user, returning the standard Redshift error when missing.
    pub fn require_user(&self, name: &str) -> Result<&User, SqlError> {
        self.user_by_name(name)
            .ok_or_else(|| SqlError::undefined_object(format!("user \"{name}\" does not exist")))
    }

    /// redshift.md §1.2: `group "x" does not exist` (expected text, unverified §6).
    pub fn require_group(&self, name: &str) -> Result<&Group, SqlError> {
        self.group_by_name(name)
            .ok_or_else(|| SqlError::undefined_object(format!("group \"{name}\" does not exist")))
    }

    pub fn require_role(&self, name: &str) -> Result<&Role, SqlError> {
        self.role_by_name(name)
            .ok_or_else(|| SqlError::undefined_object(format!("role \"{name}\" does not exist")))
    }

    pub fn require_schema(&self, name: &str) -> Result<&Schema, SqlError> {
        self.schema_by_name(name)
            .ok_or_else(|| SqlError::new("3F000", format!("schema \"{name}\" does not exist")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileges_flow_through_groups_and_nested_roles() {
        let mut w = Warehouse::empty();
        let u = w.add_user("reader", "Reader123", false);
        let s = w.add_schema("sales", RDSDB);
        let g = w.add_group("readers", &["reader"]);
        let r1 = w.add_role("r1", RDSDB);
        let r2 = w.add_role("r2", RDSDB);
        let schema = w.schema(s).cloned().expect("just added");
        assert!(!w.schema_privilege(u, &schema, SchemaPrivilege::Usage));
        w.schema_mut(s).expect("exists").usage.insert(Grantee::Group(g));
        let schema = w.schema(s).cloned().expect("just added");
        assert!(w.schema_privilege(u, &schema, SchemaPrivilege::Usage));
        w.role_mut(r1).expect("exists").roles.insert(r2);
        w.user_mut(u).expect("exists").roles.insert(r1);
        assert!(w.role_closure(u).contains(&r2));
        assert!(w.grantee_has_privileges(&Grantee::Group(g)));
    }
}
