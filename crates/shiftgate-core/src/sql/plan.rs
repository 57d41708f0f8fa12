//! What the admin asked for (`SetupPlan`), what the server already has (`ExistingState`), and the
//! rules that decide whether the plan can be turned into SQL (`PlanError`) or deserves a second
//! look (`PlanWarning`).
//!
//! Rules come from redshift.md §1.1–§1.2 (names, password policy, groups vs RBAC roles) and §4
//! (what PostgreSQL 15 accepts). This module builds no SQL text.
//!
//! Decision — RBAC roles on PostgreSQL: `Access::Role` maps to a plain `NOLOGIN` role
//! (`CREATE ROLE r NOLOGIN; GRANT r TO u; … TO r`, redshift.md §4.1), so the same plan shape works
//! on both dialects; on PostgreSQL a group and a role differ only in the statements used.

use serde::{Deserialize, Serialize};

use super::ident::{Ident, Literal, SqlTextError};
use super::live::LiveAcl;
use super::password::{PasswordViolation, check_password};

/// Which server the SQL is for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    /// Amazon Redshift (provisioned or Serverless).
    #[default]
    Redshift,
    /// PostgreSQL (15 is the tested stand-in).
    Postgres,
}

impl Dialect {
    /// Longest identifier in bytes: Redshift 127 (`r_names.md`); PostgreSQL 63 (`NAMEDATALEN - 1`,
    /// longer names are silently truncated, which could make two names collide).
    pub fn max_identifier_bytes(self) -> usize {
        match self {
            Dialect::Redshift => 127,
            Dialect::Postgres => 63,
        }
    }

    /// Human name for messages and script titles.
    pub fn label(self) -> &'static str {
        match self {
            Dialect::Redshift => "Amazon Redshift",
            Dialect::Postgres => "PostgreSQL",
        }
    }
}

/// How the catalog user receives its privileges.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Access {
    /// A user group (`CREATE GROUP`, `TO GROUP g`): the default; runs unchanged on PostgreSQL.
    Group {
        /// Group name; must differ from the user name.
        name: String,
    },
    /// A Redshift RBAC role (`CREATE ROLE`, `GRANT ROLE r TO u`, `TO ROLE r`); on PostgreSQL a
    /// plain `NOLOGIN` role.
    Role {
        /// Role name; must differ from every user name.
        name: String,
    },
}

impl Access {
    /// The group or role name.
    pub fn name(&self) -> &str {
        match self {
            Access::Group { name } | Access::Role { name } => name,
        }
    }

    /// "group" or "role", for messages and comments.
    pub fn kind_word(&self) -> &'static str {
        match self {
            Access::Group { .. } => "group",
            Access::Role { .. } => "role",
        }
    }
}

impl Default for Access {
    fn default() -> Self {
        Access::Group { name: String::new() }
    }
}

/// Where a schema's tables live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaKind {
    /// Tables in this database: USAGE + SELECT + default privileges.
    #[default]
    Local,
    /// Spectrum / federated / cross-database external schema (Redshift): USAGE only.
    External,
}

/// One schema to open to the catalog user.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SchemaGrant {
    /// Schema name as stored in `pg_namespace.nspname`.
    pub name: String,
    /// Local or external.
    pub kind: SchemaKind,
    /// Users that create objects in the schema (incl. its owner): one `ALTER DEFAULT PRIVILEGES
    /// FOR USER` each. Must be empty for external schemas.
    pub owners: Vec<String>,
}

/// Everything needed to generate the setup, teardown and verification SQL.
///
/// `password` is never serialised (`#[serde(skip)]`) and never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SetupPlan {
    /// Target server.
    pub dialect: Dialect,
    /// Login name of the catalog user.
    pub user: String,
    /// Clear-text password (stored as MD5 by the server; redshift.md §0.6).
    #[serde(skip)]
    pub password: String,
    /// Group or role carrying the privileges.
    pub access: Access,
    /// Schemas to open, in script order.
    pub schemas: Vec<SchemaGrant>,
    /// Datashare consumer databases (Redshift only): `GRANT USAGE ON DATABASE`.
    pub datashare_databases: Vec<String>,
    /// `CONNECTION LIMIT n`; `None` leaves the server default (UNLIMITED).
    pub connection_limit: Option<u32>,
    /// `GRANT SELECT ON pg_catalog.svv_table_info` (Redshift only; table size/skew statistics).
    pub grant_svv_table_info: bool,
}

impl std::fmt::Debug for SetupPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupPlan")
            .field("dialect", &self.dialect)
            .field("user", &self.user)
            .field("password", &"<hidden>")
            .field("access", &self.access)
            .field("schemas", &self.schemas)
            .field("datashare_databases", &self.datashare_databases)
            .field("connection_limit", &self.connection_limit)
            .field("grant_svv_table_info", &self.grant_svv_table_info)
            .finish()
    }
}

/// Names that already exist on the server (from discovery).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ExistingState {
    /// `pg_user.usename`.
    pub users: Vec<String>,
    /// `pg_group.groname`.
    pub groups: Vec<String>,
    /// Redshift `svv_roles.role_name`; PostgreSQL `pg_roles` that can't log in.
    pub roles: Vec<String>,
    /// Live privileges, memberships and user powers (empty when not read).
    pub acl: LiveAcl,
    /// Object creators that can't take `ALTER DEFAULT PRIVILEGES … IN SCHEMA`: setup skips them.
    pub skipped_owners: Vec<SkippedOwner>,
    /// Per local schema, the users owning its tables and views (for cleanup and reused users).
    pub schema_object_owners: Vec<(String, Vec<String>)>,
    /// Datashare databases created `WITH PERMISSIONS` (Redshift): object-level grants needed.
    pub datashares_with_permissions: Vec<String>,
    /// Tables of those databases: (database, schema, table).
    pub shared_tables: Vec<(String, String, String)>,
}

/// An object creator setup must not name in `ALTER DEFAULT PRIVILEGES FOR USER … IN SCHEMA`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SkippedOwner {
    /// The schema.
    pub schema: String,
    /// The owner.
    pub owner: String,
    /// Why.
    pub reason: SkipReason,
}

/// Why an owner is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The owner lacks CREATE on the schema (Redshift requires it for `IN SCHEMA`).
    NoCreate,
    /// The owner no longer exists (Redshift shows objects of dropped users as owned by unknown).
    Missing,
}

impl SkipReason {
    /// Human words for comments.
    pub fn words(self) -> &'static str {
        match self {
            SkipReason::NoCreate => "lacks CREATE on the schema",
            SkipReason::Missing => "no longer exists",
        }
    }
}

impl ExistingState {
    /// Whether the catalog user already exists (exact match: user-name case is preserved).
    pub fn has_user(&self, name: &str) -> bool {
        self.users.iter().any(|u| u == name)
    }

    /// Why setup skips `owner` in `schema`, if it does.
    pub fn skip_reason(&self, schema: &str, owner: &str) -> Option<SkipReason> {
        self.skipped_owners
            .iter()
            .find(|s| s.schema == schema && s.owner == owner)
            .map(|s| s.reason)
    }

    /// Why `user` may not serve as a read-only catalog user (superuser, CREATEUSER/CREATEROLE).
    pub fn privileged_reason(&self, user: &str) -> Option<&'static str> {
        let f = self.acl.flags_of(user)?;
        if f.superuser {
            Some(
                "is a superuser (on Redshift CREATEUSER also makes a superuser), which bypasses every privilege check",
            )
        } else if f.createrole {
            Some("may create users and roles (CREATEROLE), which lets it grant itself more")
        } else {
            None
        }
    }

    /// Whether the plan's group/role already exists.
    pub fn has_access(&self, dialect: Dialect, access: &Access) -> bool {
        let name = access.name();
        let hit = |list: &[String]| list.iter().any(|n| names_clash(dialect, n, name));
        match (dialect, access) {
            (Dialect::Redshift, Access::Group { .. }) => hit(&self.groups),
            (Dialect::Redshift, Access::Role { .. }) => hit(&self.roles),
            // One role namespace on PostgreSQL: pg_group and NOLOGIN pg_roles overlap.
            (Dialect::Postgres, _) => hit(&self.groups) || hit(&self.roles),
        }
    }
}

/// Whether two names denote the same server object. Redshift folds ASCII letters of group and
/// role names (even quoted) unless case-sensitive identifiers are on, so compare conservatively.
pub(crate) fn names_clash(dialect: Dialect, a: &str, b: &str) -> bool {
    match dialect {
        Dialect::Redshift => a.eq_ignore_ascii_case(b),
        Dialect::Postgres => a == b,
    }
}

/// A plan that can't be turned into SQL as it stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A name or value can't be quoted (NUL, empty identifier, backslash in a literal).
    #[error(transparent)]
    Text(#[from] SqlTextError),
    /// Identifier longer than the dialect allows.
    #[error("{what} {name:?} is {bytes} bytes long; {max} is the maximum")]
    NameTooLong {
        /// What the name is.
        what: &'static str,
        /// The name.
        name: String,
        /// Its length in bytes.
        bytes: usize,
        /// The dialect's limit.
        max: usize,
    },
    /// `public` (both dialects), `none` and `pg_…` (PostgreSQL roles) are reserved.
    #[error("{what} {name:?} is reserved by the server; choose another name")]
    ReservedName {
        /// What the name is.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// The group or role has the same name as the catalog user.
    #[error(
        "the {kind} name {name:?} equals the user name; choose a distinct name such as \"{name}_ro\""
    )]
    AccessNameEqualsUser {
        /// "group" or "role".
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// Redshift RBAC role names can't start with `sys:` or `ds:`.
    #[error("role name {name:?} starts with the reserved prefix {prefix:?}")]
    RoleReservedPrefix {
        /// The name.
        name: String,
        /// `sys:` or `ds:`.
        prefix: &'static str,
    },
    /// Redshift RBAC role names can't contain `:`, `/` or a newline.
    #[error("role name {name:?} contains {ch:?}, which Redshift does not allow in role names")]
    RoleForbiddenChar {
        /// The name.
        name: String,
        /// The offending character.
        ch: char,
    },
    /// Redshift reserves group names starting with `__`.
    #[error("group name {name:?} starts with \"__\", which Redshift reserves")]
    GroupReservedPrefix {
        /// The name.
        name: String,
    },
    /// The role (Redshift) or group/role (PostgreSQL, one namespace) is already a user's name.
    #[error("the {kind} name {name:?} is already used by a user; choose a name no user has")]
    AccessNameIsExistingUser {
        /// "group" or "role".
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// The user exists and is too powerful to be a read-only catalog user.
    #[error(
        "user {name:?} {reason}; a read-only catalog user must not be — choose another user name"
    )]
    PrivilegedUser {
        /// The name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// The user name is taken by an existing role (Redshift) or group/role (PostgreSQL).
    #[error("user name {name:?} is already used by an existing {kind}; choose another user name")]
    UserNameIsExistingAccess {
        /// "group" or "role".
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// Redshift's clear-text password policy.
    #[error("{0}")]
    Password(PasswordViolation),
    /// The password is empty.
    #[error("a password is required")]
    PasswordMissing,
    /// Connection limit 0 would lock the catalog user out.
    #[error("a connection limit of 0 would prevent the catalog user from logging in")]
    ConnectionLimitZero,
    /// External schemas take USAGE only, so creators listed for them have no effect.
    #[error(
        "external schema {schema:?} lists object owners; external schemas take USAGE only — remove them"
    )]
    ExternalSchemaWithOwners {
        /// The schema.
        schema: String,
    },
    /// PostgreSQL has no Redshift external schemas.
    #[error("schema {schema:?} is marked external, which only exists on Redshift")]
    ExternalSchemaOnPostgres {
        /// The schema.
        schema: String,
    },
    /// `pg_catalog`, `information_schema` and other `pg_…` schemas are never granted wholesale
    /// (redshift.md §0.4: opens superuser-only system tables / `pg_authid` hashes).
    #[error(
        "schema {schema:?} is a system schema; catalog metadata is readable without grants, and granting it opens superuser-only tables"
    )]
    SystemSchema {
        /// The schema.
        schema: String,
    },
    /// The same schema appears twice.
    #[error("schema {schema:?} is listed twice")]
    DuplicateSchema {
        /// The schema.
        schema: String,
    },
    /// `svv_table_info` exists only on Redshift.
    #[error("svv_table_info exists only on Redshift; turn that option off for PostgreSQL")]
    SvvTableInfoOnPostgres,
    /// Datashares exist only on Redshift (`invalid privilege type USAGE for database` on PG15).
    #[error(
        "datashare database {database:?} can't be granted on PostgreSQL (datashares are Redshift-only)"
    )]
    DatashareOnPostgres {
        /// The database.
        database: String,
    },
}

/// A plan that works but may not do what the admin expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanWarning {
    /// Redshift preserves the case of quoted user names, so the login name would be case-sensitive.
    #[error(
        "user name {name:?} is not all lower case; Redshift keeps its case, so every client must type it exactly"
    )]
    UserNameNotLowercase {
        /// The name.
        name: String,
    },
    /// Redshift folds quoted group/role names to lower case, PostgreSQL does not.
    #[error(
        "{kind} name {name:?} is not all lower case; Redshift folds it to lower case, PostgreSQL keeps it"
    )]
    AccessNameNotLowercase {
        /// "group" or "role".
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// PostgreSQL has no password policy; the Redshift one is checked for portability.
    #[error("{0} (Redshift would refuse it; PostgreSQL accepts it)")]
    PasswordPolicy(PasswordViolation),
    /// The user exists: its password is reset instead of creating it.
    #[error("user {name:?} already exists: its password will be reset instead of CREATE USER")]
    UserExists {
        /// The name.
        name: String,
    },
    /// The group/role exists: it is reused and may already hold other members or privileges.
    #[error(
        "{kind} {name:?} already exists: it is reused and may already have other members or privileges"
    )]
    AccessExists {
        /// "group" or "role".
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// No creators listed: tables created later in this schema won't be readable.
    #[error(
        "schema {schema:?} lists no object creators: tables created after setup will not be readable until setup is re-run"
    )]
    LocalSchemaWithoutOwners {
        /// The schema.
        schema: String,
    },
    /// A folding Redshift cluster stores this name in lower case.
    #[error(
        "{what} {name:?} has capitals; this cluster folds identifiers, so Redshift will use {folded:?}"
    )]
    NameFolded {
        /// What the name is.
        what: &'static str,
        /// As typed.
        name: String,
        /// As Redshift stores it.
        folded: String,
    },
    /// Redshift keeps users and groups apart (unverified), but a shared name confuses people.
    #[error(
        "group name {name:?} is also a user's name; Redshift allows it but PostgreSQL would not"
    )]
    GroupNameIsExistingUser {
        /// The name.
        name: String,
    },
}

impl SetupPlan {
    /// Every reason this plan can't be generated against `existing`; empty when it can.
    pub fn validate(&self, existing: &ExistingState) -> Vec<PlanError> {
        self.validate_with(existing, super::SetupOptions::default())
    }

    /// [`Self::validate`] for a setup with `options`: with `iam_login` the catalog user has no
    /// password, so no password rule applies.
    pub fn validate_with(
        &self,
        existing: &ExistingState,
        options: super::SetupOptions,
    ) -> Vec<PlanError> {
        let mut errors = self.structural_errors();
        if !options.iam_login {
            self.password_errors(&mut errors);
        }
        self.existing_state_errors(existing, &mut errors);
        errors
    }

    /// Things worth confirming with the admin; never blocks generation.
    pub fn warnings(&self, existing: &ExistingState) -> Vec<PlanWarning> {
        let mut out = Vec::new();
        let kind = self.access.kind_word();
        if self.user.chars().any(|c| c.is_ascii_uppercase()) {
            out.push(PlanWarning::UserNameNotLowercase { name: self.user.clone() });
        }
        if self.access.name().chars().any(|c| c.is_ascii_uppercase()) {
            out.push(PlanWarning::AccessNameNotLowercase {
                kind,
                name: self.access.name().to_owned(),
            });
        }
        if self.dialect == Dialect::Postgres && !self.password.is_empty() {
            out.extend(check_password(&self.password).into_iter().map(PlanWarning::PasswordPolicy));
        }
        if existing.has_user(&self.user) {
            out.push(PlanWarning::UserExists { name: self.user.clone() });
        }
        if existing.has_access(self.dialect, &self.access) {
            out.push(PlanWarning::AccessExists { kind, name: self.access.name().to_owned() });
        }
        if let (Dialect::Redshift, Access::Group { name }) = (self.dialect, &self.access)
            && name != &self.user
            && existing.users.iter().any(|u| names_clash(self.dialect, u, name))
        {
            out.push(PlanWarning::GroupNameIsExistingUser { name: name.clone() });
        }
        for s in &self.schemas {
            if s.kind == SchemaKind::Local && s.owners.is_empty() {
                out.push(PlanWarning::LocalSchemaWithoutOwners { schema: s.name.clone() });
            }
        }
        if self.dialect == Dialect::Redshift
            && existing.acl.case_sensitive_identifiers == Some(false)
        {
            let mut names: Vec<(&'static str, &str)> = vec![(kind, self.access.name())];
            names.extend(self.schemas.iter().map(|s| ("schema", s.name.as_str())));
            for (what, name) in names {
                if name.chars().any(|c| c.is_ascii_uppercase()) {
                    out.push(PlanWarning::NameFolded {
                        what,
                        name: name.to_owned(),
                        folded: name.to_ascii_lowercase(),
                    });
                }
            }
        }
        out
    }

    /// Whether scripts must `SET enable_case_sensitive_identifier TO true` first: Redshift, a
    /// case-sensitive cluster, and a schema, group/role or owner name with ASCII capitals.
    pub fn needs_case_sensitive_session(&self, existing: &ExistingState) -> bool {
        self.dialect == Dialect::Redshift
            && existing.acl.case_sensitive_identifiers == Some(true)
            && std::iter::once(self.access.name())
                .chain(self.schemas.iter().map(|s| s.name.as_str()))
                .any(|n| n.chars().any(|c| c.is_ascii_uppercase()))
    }

    /// Rules that need neither the password nor the server state (used by teardown too).
    pub(crate) fn structural_errors(&self) -> Vec<PlanError> {
        let d = self.dialect;
        let mut errors = Vec::new();
        check_ident(d, "user name", &self.user, &mut errors);
        check_reserved(d, "user name", &self.user, &mut errors);
        let access = self.access.name();
        let kind = self.access.kind_word();
        check_ident(
            d,
            if kind == "group" { "group name" } else { "role name" },
            access,
            &mut errors,
        );
        check_reserved(d, kind, access, &mut errors);
        if !access.is_empty() && names_clash(d, access, &self.user) {
            errors.push(PlanError::AccessNameEqualsUser { kind, name: access.to_owned() });
        }
        match (&self.access, d) {
            (Access::Role { name }, Dialect::Redshift) => {
                for prefix in ["sys:", "ds:"] {
                    if name.to_ascii_lowercase().starts_with(prefix) {
                        errors.push(PlanError::RoleReservedPrefix { name: name.clone(), prefix });
                    }
                }
                for ch in [':', '/', '\n'] {
                    if name.contains(ch) {
                        errors.push(PlanError::RoleForbiddenChar { name: name.clone(), ch });
                    }
                }
            }
            (Access::Group { name }, Dialect::Redshift) if name.starts_with("__") => {
                errors.push(PlanError::GroupReservedPrefix { name: name.clone() });
            }
            _ => {}
        }
        if self.connection_limit == Some(0) {
            errors.push(PlanError::ConnectionLimitZero);
        }
        let mut seen: Vec<&str> = Vec::new();
        for s in &self.schemas {
            check_ident(d, "schema name", &s.name, &mut errors);
            if is_system_schema(&s.name) {
                errors.push(PlanError::SystemSchema { schema: s.name.clone() });
            }
            if seen.iter().any(|n| names_clash(d, n, &s.name)) {
                errors.push(PlanError::DuplicateSchema { schema: s.name.clone() });
            }
            seen.push(&s.name);
            if s.kind == SchemaKind::External {
                if d == Dialect::Postgres {
                    errors.push(PlanError::ExternalSchemaOnPostgres { schema: s.name.clone() });
                }
                if !s.owners.is_empty() {
                    errors.push(PlanError::ExternalSchemaWithOwners { schema: s.name.clone() });
                }
            }
            for o in &s.owners {
                check_ident(d, "owner name", o, &mut errors);
            }
        }
        for db in &self.datashare_databases {
            check_ident(d, "datashare database name", db, &mut errors);
            if d == Dialect::Postgres {
                errors.push(PlanError::DatashareOnPostgres { database: db.clone() });
            }
        }
        if self.grant_svv_table_info && d == Dialect::Postgres {
            errors.push(PlanError::SvvTableInfoOnPostgres);
        }
        errors
    }

    fn password_errors(&self, errors: &mut Vec<PlanError>) {
        if self.password.is_empty() {
            errors.push(PlanError::PasswordMissing);
            return;
        }
        if let Err(e) = Literal::new(&self.password, "password") {
            errors.push(PlanError::Text(e));
        }
        if self.dialect == Dialect::Redshift {
            errors.extend(check_password(&self.password).into_iter().map(PlanError::Password));
        }
    }

    fn existing_state_errors(&self, existing: &ExistingState, errors: &mut Vec<PlanError>) {
        let d = self.dialect;
        let kind = self.access.kind_word();
        let access = self.access.name();
        let clash = |list: &[String], name: &str| list.iter().any(|n| names_clash(d, n, name));
        let access_vs_users = match (d, &self.access) {
            (Dialect::Redshift, Access::Role { .. }) | (Dialect::Postgres, _) => true,
            (Dialect::Redshift, Access::Group { .. }) => false,
        };
        // The user's own name is reported once, as AccessNameEqualsUser.
        if access_vs_users && !names_clash(d, access, &self.user) && clash(&existing.users, access)
        {
            errors.push(PlanError::AccessNameIsExistingUser { kind, name: access.to_owned() });
        }
        let user_taken_by = match d {
            Dialect::Redshift if clash(&existing.roles, &self.user) => Some("role"),
            Dialect::Postgres if clash(&existing.groups, &self.user) => Some("group"),
            Dialect::Postgres if clash(&existing.roles, &self.user) => Some("role"),
            _ => None,
        };
        if let Some(kind) = user_taken_by {
            errors.push(PlanError::UserNameIsExistingAccess { kind, name: self.user.clone() });
        }
        if let Some(reason) = existing.privileged_reason(&self.user) {
            errors.push(PlanError::PrivilegedUser { name: self.user.clone(), reason });
        }
    }
}

/// `pg_catalog`, `information_schema` and every `pg_…` schema (`pg_toast`, `pg_temp_n`,
/// `pg_internal`, `pg_automv`, …), compared case-insensitively because Redshift folds.
pub fn is_system_schema(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "information_schema" || lower.starts_with("pg_")
}

fn check_ident(dialect: Dialect, what: &'static str, name: &str, errors: &mut Vec<PlanError>) {
    if let Err(e) = Ident::new(name, what) {
        errors.push(PlanError::Text(e));
        return;
    }
    let max = dialect.max_identifier_bytes();
    if name.len() > max {
        errors.push(PlanError::NameTooLong { what, name: name.to_owned(), bytes: name.len(), max });
    }
}

fn check_reserved(dialect: Dialect, what: &'static str, name: &str, errors: &mut Vec<PlanError>) {
    let lower = name.to_ascii_lowercase();
    let reserved = lower == "public"
        || (dialect == Dialect::Postgres && (lower == "none" || name.starts_with("pg_")));
    if reserved {
        errors.push(PlanError::ReservedName { what, name: name.to_owned() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(dialect: Dialect) -> SetupPlan {
        SetupPlan {
            dialect,
            user: "metamapper".into(),
            password: "Secret_Pass1".into(),
            access: Access::Group { name: "metamapper_ro".into() },
            schemas: vec![SchemaGrant {
                name: "sales".into(),
                kind: SchemaKind::Local,
                owners: vec!["etl".into()],
            }],
            datashare_databases: vec![],
            connection_limit: Some(5),
            grant_svv_table_info: false,
        }
    }

    #[test]
    fn iam_login_needs_no_password_and_disables_it() {
        use crate::sql::{SetupOptions, setup_script_with};
        let iam = SetupOptions { iam_login: true, ..SetupOptions::default() };
        let mut p = plan(Dialect::Redshift);
        p.password = String::new();
        let none = ExistingState::default();
        assert_eq!(p.validate(&none), vec![PlanError::PasswordMissing]);
        assert_eq!(p.validate_with(&none, iam), vec![]);
        let sql = setup_script_with(&p, &none, iam).map(|s| s.render(true)).unwrap_or_default();
        assert!(sql.contains("CREATE USER \"metamapper\" PASSWORD DISABLE CONNECTION LIMIT 5"));
        assert!(!sql.contains("PASSWORD '"), "no password literal at all: {sql}");
        assert!(sql.contains("logs in only with IAM temporary credentials"));
        // A user that exists keeps its name and loses its password.
        let existing = ExistingState { users: vec!["metamapper".into()], ..Default::default() };
        let sql = setup_script_with(&p, &existing, iam).map(|s| s.render(true)).unwrap_or_default();
        assert!(sql.contains("ALTER USER \"metamapper\" PASSWORD DISABLE"));
        // PostgreSQL has no PASSWORD DISABLE: PASSWORD NULL makes password logins fail.
        let mut pg = plan(Dialect::Postgres);
        pg.password = String::new();
        let sql = setup_script_with(&pg, &none, iam).map(|s| s.render(true)).unwrap_or_default();
        assert!(sql.contains("CREATE USER \"metamapper\" PASSWORD NULL"));
    }

    #[test]
    fn good_plan_validates_on_both_dialects() {
        assert_eq!(plan(Dialect::Redshift).validate(&ExistingState::default()), vec![]);
        assert_eq!(plan(Dialect::Postgres).validate(&ExistingState::default()), vec![]);
    }

    #[test]
    fn user_name_rules() {
        let mut p = plan(Dialect::Redshift);
        p.user = String::new();
        assert!(
            p.validate(&ExistingState::default())
                .contains(&PlanError::Text(SqlTextError::EmptyIdentifier { what: "user name" }))
        );
        p.user = "u".repeat(128);
        assert!(matches!(
            p.validate(&ExistingState::default()).as_slice(),
            [PlanError::NameTooLong { bytes: 128, max: 127, .. }]
        ));
        p.user = "u".repeat(127);
        assert_eq!(p.validate(&ExistingState::default()), vec![]);
        p.user = "PUBLIC".into();
        assert_eq!(
            p.validate(&ExistingState::default()),
            vec![PlanError::ReservedName { what: "user name", name: "PUBLIC".into() }]
        );
        let mut pg = plan(Dialect::Postgres);
        pg.user = "u".repeat(64);
        assert!(matches!(
            pg.validate(&ExistingState::default()).as_slice(),
            [PlanError::NameTooLong { max: 63, .. }]
        ));
    }

    #[test]
    fn access_name_equal_to_user_is_an_error_for_groups_and_roles() {
        for access in [
            Access::Group { name: "metamapper".into() },
            Access::Role { name: "MetaMapper".into() },
        ] {
            let mut p = plan(Dialect::Redshift);
            p.access = access.clone();
            let kind = access.kind_word();
            assert!(
                p.validate(&ExistingState::default()).contains(&PlanError::AccessNameEqualsUser {
                    kind,
                    name: access.name().into()
                })
            );
        }
        let mut p = plan(Dialect::Postgres);
        p.access = Access::Group { name: "metamapper".into() };
        assert_eq!(
            p.validate(&ExistingState::default()),
            vec![PlanError::AccessNameEqualsUser { kind: "group", name: "metamapper".into() }]
        );
    }

    #[test]
    fn redshift_role_name_rules() {
        let mut p = plan(Dialect::Redshift);
        p.access = Access::Role { name: "sys:reader".into() };
        let e = p.validate(&ExistingState::default());
        assert!(e.contains(&PlanError::RoleReservedPrefix {
            name: "sys:reader".into(),
            prefix: "sys:"
        }));
        assert!(e.contains(&PlanError::RoleForbiddenChar { name: "sys:reader".into(), ch: ':' }));
        p.access = Access::Role { name: "ds:x".into() };
        assert!(
            p.validate(&ExistingState::default())
                .contains(&PlanError::RoleReservedPrefix { name: "ds:x".into(), prefix: "ds:" })
        );
        p.access = Access::Role { name: "a/b".into() };
        assert_eq!(
            p.validate(&ExistingState::default()),
            vec![PlanError::RoleForbiddenChar { name: "a/b".into(), ch: '/' }]
        );
        p.access = Access::Role { name: "a\nb".into() };
        assert_eq!(
            p.validate(&ExistingState::default()),
            vec![PlanError::RoleForbiddenChar { name: "a\nb".into(), ch: '\n' }]
        );
    }

    #[test]
    fn role_name_equal_to_any_existing_user_is_an_error() {
        let existing = ExistingState { users: vec!["alice".into()], ..Default::default() };
        let mut p = plan(Dialect::Redshift);
        p.access = Access::Role { name: "alice".into() };
        assert_eq!(
            p.validate(&existing),
            vec![PlanError::AccessNameIsExistingUser { kind: "role", name: "alice".into() }]
        );
        // Redshift groups live in their own namespace: only a warning.
        p.access = Access::Group { name: "alice".into() };
        assert_eq!(p.validate(&existing), vec![]);
        assert!(
            p.warnings(&existing)
                .contains(&PlanWarning::GroupNameIsExistingUser { name: "alice".into() })
        );
        // PostgreSQL: one role namespace, so a group can't take a user's name either.
        let mut pg = plan(Dialect::Postgres);
        pg.access = Access::Group { name: "alice".into() };
        assert_eq!(
            pg.validate(&existing),
            vec![PlanError::AccessNameIsExistingUser { kind: "group", name: "alice".into() }]
        );
    }

    #[test]
    fn user_name_taken_by_role() {
        let existing = ExistingState { roles: vec!["metamapper".into()], ..Default::default() };
        assert_eq!(
            plan(Dialect::Redshift).validate(&existing),
            vec![PlanError::UserNameIsExistingAccess { kind: "role", name: "metamapper".into() }]
        );
    }

    #[test]
    fn group_reserved_prefix() {
        let mut p = plan(Dialect::Redshift);
        p.access = Access::Group { name: "__x".into() };
        assert_eq!(
            p.validate(&ExistingState::default()),
            vec![PlanError::GroupReservedPrefix { name: "__x".into() }]
        );
    }

    #[test]
    fn password_policy_is_an_error_on_redshift_and_a_warning_on_postgres() {
        let mut p = plan(Dialect::Redshift);
        p.password = "abcdefgh1".into();
        assert_eq!(
            p.validate(&ExistingState::default()),
            vec![PlanError::Password(PasswordViolation::MissingUppercase)]
        );
        let mut pg = plan(Dialect::Postgres);
        pg.password = "abcdefgh1".into();
        assert_eq!(pg.validate(&ExistingState::default()), vec![]);
        assert!(
            pg.warnings(&ExistingState::default())
                .contains(&PlanWarning::PasswordPolicy(PasswordViolation::MissingUppercase))
        );
        pg.password = String::new();
        assert_eq!(pg.validate(&ExistingState::default()), vec![PlanError::PasswordMissing]);
        pg.password = r"Abc\defg1".into();
        assert_eq!(
            pg.validate(&ExistingState::default()),
            vec![PlanError::Text(SqlTextError::Backslash { what: "password" })]
        );
    }

    #[test]
    fn schema_rules() {
        let mut p = plan(Dialect::Redshift);
        p.schemas.push(SchemaGrant {
            name: "spectrum".into(),
            kind: SchemaKind::External,
            owners: vec!["x".into()],
        });
        p.schemas.push(SchemaGrant { name: "PG_CATALOG".into(), ..Default::default() });
        p.schemas.push(SchemaGrant { name: "information_schema".into(), ..Default::default() });
        p.schemas.push(SchemaGrant {
            name: "Sales".into(),
            owners: vec!["etl".into()],
            ..Default::default()
        });
        assert_eq!(
            p.validate(&ExistingState::default()),
            vec![
                PlanError::ExternalSchemaWithOwners { schema: "spectrum".into() },
                PlanError::SystemSchema { schema: "PG_CATALOG".into() },
                PlanError::SystemSchema { schema: "information_schema".into() },
                PlanError::DuplicateSchema { schema: "Sales".into() },
            ]
        );
    }

    #[test]
    fn redshift_only_features_are_errors_on_postgres() {
        let mut pg = plan(Dialect::Postgres);
        pg.grant_svv_table_info = true;
        pg.datashare_databases = vec!["share".into()];
        pg.schemas.push(SchemaGrant {
            name: "ext".into(),
            kind: SchemaKind::External,
            owners: vec![],
        });
        assert_eq!(
            pg.validate(&ExistingState::default()),
            vec![
                PlanError::ExternalSchemaOnPostgres { schema: "ext".into() },
                PlanError::DatashareOnPostgres { database: "share".into() },
                PlanError::SvvTableInfoOnPostgres,
            ]
        );
    }

    #[test]
    fn connection_limit_zero_is_refused() {
        let mut p = plan(Dialect::Redshift);
        p.connection_limit = Some(0);
        assert_eq!(p.validate(&ExistingState::default()), vec![PlanError::ConnectionLimitZero]);
    }

    #[test]
    fn warnings_for_case_and_existing_objects() {
        let mut p = plan(Dialect::Redshift);
        p.user = "MetaMapper".into();
        p.access = Access::Group { name: "Readers".into() };
        p.schemas[0].owners.clear();
        let existing = ExistingState {
            users: vec!["MetaMapper".into()],
            groups: vec!["readers".into()],
            roles: vec![],
            ..Default::default()
        };
        assert_eq!(
            p.warnings(&existing),
            vec![
                PlanWarning::UserNameNotLowercase { name: "MetaMapper".into() },
                PlanWarning::AccessNameNotLowercase { kind: "group", name: "Readers".into() },
                PlanWarning::UserExists { name: "MetaMapper".into() },
                PlanWarning::AccessExists { kind: "group", name: "Readers".into() },
                PlanWarning::LocalSchemaWithoutOwners { schema: "sales".into() },
            ]
        );
    }

    #[test]
    fn debug_and_serde_never_carry_the_password() {
        let p = plan(Dialect::Redshift);
        assert!(!format!("{p:?}").contains("Secret_Pass1"));
        let json = serde_json::to_string(&p).unwrap_or_default();
        assert!(!json.contains("Secret_Pass1"));
        assert!(json.contains("metamapper_ro"));
    }
}
