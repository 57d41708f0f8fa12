//! Typed builders for every DDL/DCL statement Shiftgate emits, one function per grammar form in
//! redshift.md §1.1–§1.4 and §4.1 (PostgreSQL variants). Inputs are [`Ident`]/[`Literal`] only, so
//! no user text reaches SQL unquoted. Deciding *which* statements to emit belongs to `setup`,
//! `teardown` and `verify`; this module never grants anything on `pg_catalog` wholesale.

use std::fmt;

use super::ident::{Ident, Literal, SqlTextError};
use super::plan::{Access, Dialect};
use super::script::{MASKED_SECRET, Statement, StatementKind as K};

/// Who receives (or loses) a privilege.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Grantee {
    /// `GROUP "g"` (both dialects).
    Group(Ident),
    /// `ROLE "r"` (Redshift RBAC).
    RedshiftRole(Ident),
    /// `"r"` (PostgreSQL role, no keyword).
    PostgresRole(Ident),
    /// `"u"` (a user, no keyword).
    User(Ident),
}

impl fmt::Display for Grantee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Grantee::Group(g) => write!(f, "GROUP {g}"),
            Grantee::RedshiftRole(r) => write!(f, "ROLE {r}"),
            Grantee::PostgresRole(r) | Grantee::User(r) => write!(f, "{r}"),
        }
    }
}

/// The plan's group or role, with the statements that manage it on one dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccessTarget {
    dialect: Dialect,
    name: Ident,
    is_role: bool,
}

impl AccessTarget {
    pub(crate) fn new(dialect: Dialect, access: &Access) -> Result<Self, SqlTextError> {
        let is_role = matches!(access, Access::Role { .. });
        let what = if is_role { "role name" } else { "group name" };
        Ok(Self { dialect, name: Ident::new(access.name(), what)?, is_role })
    }

    /// The quoted name.
    pub(crate) fn name(&self) -> &Ident {
        &self.name
    }

    /// "group" or "role".
    pub(crate) fn kind_word(&self) -> &'static str {
        if self.is_role { "role" } else { "group" }
    }

    pub(crate) fn grantee(&self) -> Grantee {
        match (self.is_role, self.dialect) {
            (false, _) => Grantee::Group(self.name.clone()),
            (true, Dialect::Redshift) => Grantee::RedshiftRole(self.name.clone()),
            (true, Dialect::Postgres) => Grantee::PostgresRole(self.name.clone()),
        }
    }

    /// `CREATE GROUP "g"` | `CREATE ROLE "r"` (Redshift RBAC) | `CREATE ROLE "r" NOLOGIN` (PostgreSQL).
    pub(crate) fn create(&self) -> Statement {
        let n = &self.name;
        let sql = match (self.is_role, self.dialect) {
            (false, _) => format!("CREATE GROUP {n}"),
            (true, Dialect::Redshift) => format!("CREATE ROLE {n}"),
            (true, Dialect::Postgres) => format!("CREATE ROLE {n} NOLOGIN"),
        };
        Statement::new(K::CreateAccess, sql)
    }

    /// `ALTER GROUP "g" ADD USER "u"` | `GRANT ROLE "r" TO "u"` | `GRANT "r" TO "u"`.
    pub(crate) fn add_member(&self, user: &Ident) -> Statement {
        let n = &self.name;
        let sql = match (self.is_role, self.dialect) {
            (false, _) => format!("ALTER GROUP {n} ADD USER {user}"),
            (true, Dialect::Redshift) => format!("GRANT ROLE {n} TO {user}"),
            (true, Dialect::Postgres) => format!("GRANT {n} TO {user}"),
        };
        Statement::new(K::AddMember, sql)
    }

    /// `ALTER GROUP "g" DROP USER "u"` | `REVOKE ROLE "r" FROM "u"` | `REVOKE "r" FROM "u"`.
    pub(crate) fn remove_member(&self, user: &Ident) -> Statement {
        let n = &self.name;
        let sql = match (self.is_role, self.dialect) {
            (false, _) => format!("ALTER GROUP {n} DROP USER {user}"),
            (true, Dialect::Redshift) => format!("REVOKE ROLE {n} FROM {user}"),
            (true, Dialect::Postgres) => format!("REVOKE {n} FROM {user}"),
        };
        Statement::new(K::RemoveMember, sql)
    }

    /// `DROP GROUP "g"` | `DROP ROLE "r"` (RESTRICT, the default: fails while still granted).
    pub(crate) fn drop(&self) -> Statement {
        let n = &self.name;
        let sql = if self.is_role { format!("DROP ROLE {n}") } else { format!("DROP GROUP {n}") };
        Statement::new(K::DropAccess, sql)
    }
}

/// `CREATE USER "u" PASSWORD '…' [CONNECTION LIMIT n]` — no `=` (§1.1), never SYSLOG ACCESS.
pub(crate) fn create_user(user: &Ident, password: &Literal, limit: Option<u32>) -> Statement {
    let tail = limit.map(|n| format!(" CONNECTION LIMIT {n}")).unwrap_or_default();
    Statement::with_secret(
        K::CreateUser,
        format!("CREATE USER {user} PASSWORD {password}{tail}"),
        format!("CREATE USER {user} PASSWORD {MASKED_SECRET}{tail}"),
    )
}

/// `ALTER USER "u" PASSWORD '…'` (one option per statement: unambiguous on both dialects).
pub(crate) fn alter_user_password(user: &Ident, password: &Literal) -> Statement {
    Statement::with_secret(
        K::AlterUser,
        format!("ALTER USER {user} PASSWORD {password}"),
        format!("ALTER USER {user} PASSWORD {MASKED_SECRET}"),
    )
}

/// `CREATE USER "u" PASSWORD DISABLE` (Redshift) / `PASSWORD NULL` (PostgreSQL): a user that
/// cannot log in with a password (IAM temporary credentials only, redshift.md §1).
pub(crate) fn create_user_password_disabled(
    d: Dialect,
    user: &Ident,
    limit: Option<u32>,
) -> Statement {
    let tail = limit.map(|n| format!(" CONNECTION LIMIT {n}")).unwrap_or_default();
    Statement::new(K::CreateUser, format!("CREATE USER {user} {}{tail}", no_password(d)))
}

/// `ALTER USER "u" PASSWORD DISABLE` (Redshift) / `PASSWORD NULL` (PostgreSQL).
pub(crate) fn alter_user_password_disabled(d: Dialect, user: &Ident) -> Statement {
    Statement::new(K::AlterUser, format!("ALTER USER {user} {}", no_password(d)))
}

fn no_password(d: Dialect) -> &'static str {
    match d {
        Dialect::Redshift => "PASSWORD DISABLE",
        Dialect::Postgres => "PASSWORD NULL",
    }
}

/// `ALTER USER "u" CONNECTION LIMIT n`.
pub(crate) fn alter_user_connection_limit(user: &Ident, limit: u32) -> Statement {
    Statement::new(K::AlterUser, format!("ALTER USER {user} CONNECTION LIMIT {limit}"))
}

/// `DROP USER IF EXISTS "u"` (§1.9).
pub(crate) fn drop_user(user: &Ident) -> Statement {
    Statement::new(K::DropUser, format!("DROP USER IF EXISTS {user}"))
}

/// `DROP OWNED BY "r"` (PostgreSQL only): revokes every privilege granted to `r` in this
/// database, including default-privilege entries, and drops objects it owns.
pub(crate) fn drop_owned_by(role: &Ident) -> Statement {
    Statement::new(K::DropOwned, format!("DROP OWNED BY {role}"))
}

/// `GRANT USAGE ON SCHEMA "s" TO …`.
pub(crate) fn grant_usage_on_schema(schema: &Ident, to: &Grantee) -> Statement {
    Statement::new(K::Grant, format!("GRANT USAGE ON SCHEMA {schema} TO {to}"))
}

/// `REVOKE USAGE ON SCHEMA "s" FROM …`.
pub(crate) fn revoke_usage_on_schema(schema: &Ident, from: &Grantee) -> Statement {
    Statement::new(K::Revoke, format!("REVOKE USAGE ON SCHEMA {schema} FROM {from}"))
}

/// `GRANT SELECT ON ALL TABLES IN SCHEMA "s" TO …` (tables and views existing now).
pub(crate) fn grant_select_on_all_tables(schema: &Ident, to: &Grantee) -> Statement {
    Statement::new(K::Grant, format!("GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {to}"))
}

/// `REVOKE SELECT ON ALL TABLES IN SCHEMA "s" FROM …`.
pub(crate) fn revoke_select_on_all_tables(schema: &Ident, from: &Grantee) -> Statement {
    Statement::new(K::Revoke, format!("REVOKE SELECT ON ALL TABLES IN SCHEMA {schema} FROM {from}"))
}

/// `REVOKE SELECT ON ALL TABLES IN SCHEMA pg_catalog|information_schema FROM …` — cleanup of the
/// vendor script's over-grant only; there is deliberately no GRANT counterpart.
pub(crate) fn revoke_select_on_system_schema(schema: SystemSchema, from: &Grantee) -> Statement {
    let s = schema.keyword();
    Statement::new(K::Revoke, format!("REVOKE SELECT ON ALL TABLES IN SCHEMA {s} FROM {from}"))
}

/// The two system schemas the vendor script granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SystemSchema {
    PgCatalog,
    InformationSchema,
}

impl SystemSchema {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            SystemSchema::PgCatalog => "pg_catalog",
            SystemSchema::InformationSchema => "information_schema",
        }
    }
}

fn default_privileges_prefix(owner: Option<&Ident>, schema: Option<&Ident>) -> String {
    let mut sql = String::from("ALTER DEFAULT PRIVILEGES");
    if let Some(o) = owner {
        sql.push_str(&format!(" FOR USER {o}"));
    }
    if let Some(s) = schema {
        sql.push_str(&format!(" IN SCHEMA {s}"));
    }
    sql
}

/// `ALTER DEFAULT PRIVILEGES [FOR USER "o"] [IN SCHEMA "s"] GRANT SELECT ON TABLES TO …` (§1.4).
pub(crate) fn grant_default_select(
    owner: Option<&Ident>,
    schema: Option<&Ident>,
    to: &Grantee,
) -> Statement {
    let p = default_privileges_prefix(owner, schema);
    Statement::new(K::GrantDefault, format!("{p} GRANT SELECT ON TABLES TO {to}"))
}

/// `ALTER DEFAULT PRIVILEGES [FOR USER "o"] [IN SCHEMA "s"] REVOKE SELECT ON TABLES FROM …`.
pub(crate) fn revoke_default_select(
    owner: Option<&Ident>,
    schema: Option<&Ident>,
    from: &Grantee,
) -> Statement {
    let p = default_privileges_prefix(owner, schema);
    Statement::new(K::RevokeDefault, format!("{p} REVOKE SELECT ON TABLES FROM {from}"))
}

/// `GRANT USAGE ON DATABASE "d" TO …` (datashare consumer database, §1.3/§1.6).
pub(crate) fn grant_usage_on_database(database: &Ident, to: &Grantee) -> Statement {
    Statement::new(K::Grant, format!("GRANT USAGE ON DATABASE {database} TO {to}"))
}

/// `REVOKE USAGE ON DATABASE "d" FROM …`.
pub(crate) fn revoke_usage_on_database(database: &Ident, from: &Grantee) -> Statement {
    Statement::new(K::Revoke, format!("REVOKE USAGE ON DATABASE {database} FROM {from}"))
}

/// The single system view Shiftgate may grant: `pg_catalog.svv_table_info` (§1.5, §1.8).
pub(crate) const SVV_TABLE_INFO: &str = "pg_catalog.svv_table_info";

/// `GRANT SELECT ON pg_catalog.svv_table_info TO …`.
pub(crate) fn grant_select_svv_table_info(to: &Grantee) -> Statement {
    Statement::new(K::Grant, format!("GRANT SELECT ON {SVV_TABLE_INFO} TO {to}"))
}

/// `REVOKE SELECT ON pg_catalog.svv_table_info FROM …`.
pub(crate) fn revoke_select_svv_table_info(from: &Grantee) -> Statement {
    Statement::new(K::Revoke, format!("REVOKE SELECT ON {SVV_TABLE_INFO} FROM {from}"))
}

/// `ALTER USER "u" NOCREATEDB` (a reused catalog user must not create databases).
pub(crate) fn alter_user_nocreatedb(user: &Ident) -> Statement {
    Statement::new(K::AlterUser, format!("ALTER USER {user} NOCREATEDB"))
}

/// `ALTER USER "u" SYSLOG ACCESS RESTRICTED` (Redshift, §1.1).
pub(crate) fn alter_user_syslog_restricted(user: &Ident) -> Statement {
    Statement::new(K::AlterUser, format!("ALTER USER {user} SYSLOG ACCESS RESTRICTED"))
}

/// `REVOKE CREATE ON SCHEMA public FROM …` (the unquoted keyword-like name of the default schema).
pub(crate) fn revoke_create_on_public(from: &Grantee) -> Statement {
    Statement::new(K::Revoke, format!("REVOKE CREATE ON SCHEMA public FROM {from}"))
}

/// `REVOKE ALL ON SCHEMA "s" FROM …` (USAGE and CREATE).
pub(crate) fn revoke_all_on_schema(schema: &Ident, from: &Grantee) -> Statement {
    Statement::new(K::Revoke, format!("REVOKE ALL ON SCHEMA {schema} FROM {from}"))
}

/// `REVOKE ALL ON ALL TABLES IN SCHEMA "s" FROM …`.
pub(crate) fn revoke_all_on_all_tables(schema: &Ident, from: &Grantee) -> Statement {
    Statement::new(K::Revoke, format!("REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {from}"))
}

/// `REVOKE SELECT|ALL ON "s"."t" FROM …`.
pub(crate) fn revoke_on_table(
    all: bool,
    schema: &Ident,
    table: &Ident,
    from: &Grantee,
) -> Statement {
    let what = if all { "ALL" } else { "SELECT" };
    Statement::new(K::Revoke, format!("REVOKE {what} ON {schema}.{table} FROM {from}"))
}

/// `GRANT SELECT ON "db"."s"."t" TO …` (datashare created WITH PERMISSIONS: object grants).
pub(crate) fn grant_select_on_shared_table(
    database: &Ident,
    schema: &Ident,
    table: &Ident,
    to: &Grantee,
) -> Statement {
    Statement::new(K::Grant, format!("GRANT SELECT ON {database}.{schema}.{table} TO {to}"))
}

/// `GRANT USAGE ON SCHEMA "db"."s" TO …` (datashare created WITH PERMISSIONS).
pub(crate) fn grant_usage_on_shared_schema(
    database: &Ident,
    schema: &Ident,
    to: &Grantee,
) -> Statement {
    Statement::new(K::Grant, format!("GRANT USAGE ON SCHEMA {database}.{schema} TO {to}"))
}

/// `REVOKE SELECT ON "db"."s"."t" FROM …` and `REVOKE USAGE ON SCHEMA "db"."s" FROM …`.
pub(crate) fn revoke_shared(
    database: &Ident,
    schema: &Ident,
    table: Option<&Ident>,
    from: &Grantee,
) -> Statement {
    let sql = match table {
        Some(t) => format!("REVOKE SELECT ON {database}.{schema}.{t} FROM {from}"),
        None => format!("REVOKE USAGE ON SCHEMA {database}.{schema} FROM {from}"),
    };
    Statement::new(K::Revoke, sql)
}

/// `ALTER DEFAULT PRIVILEGES FOR USER "o" [IN SCHEMA "s"] REVOKE ALL ON <objects> FROM …`.
pub(crate) fn revoke_default_all(
    owner: &Ident,
    schema: Option<&Ident>,
    objects: &str,
    from: &Grantee,
) -> Statement {
    let p = default_privileges_prefix(Some(owner), schema);
    Statement::new(K::RevokeDefault, format!("{p} REVOKE ALL ON {objects} FROM {from}"))
}

/// `SET enable_case_sensitive_identifier TO true` (Redshift, session only).
pub(crate) fn set_case_sensitive_identifiers() -> Statement {
    Statement::new(K::SetSession, "SET enable_case_sensitive_identifier TO true".to_owned())
}

/// Whether grants/revokes on external schemas and datashare databases may run in a transaction
/// block: not on Redshift ("GRANT on external resources can't run inside a transaction block",
/// §1.3 — applied to datashare databases too, conservatively); yes on PostgreSQL.
pub(crate) fn external_grants_transactional(dialect: Dialect) -> bool {
    dialect == Dialect::Postgres
}

/// `REVOKE INSERT, UPDATE, … ON "s"."t" FROM …` — privileges beyond a plan (drift).
pub(crate) fn revoke_privileges_on_table(
    schema: &Ident,
    table: &Ident,
    privileges: &[super::audit::Privilege],
    from: &Grantee,
) -> Statement {
    let list: Vec<&str> = privileges.iter().map(|p| p.keyword()).collect();
    Statement::new(K::Revoke, format!("REVOKE {} ON {schema}.{table} FROM {from}", list.join(", ")))
}

/// `REVOKE CREATE ON SCHEMA "s" FROM …`.
pub(crate) fn revoke_create_on_schema(schema: &Ident, from: &Grantee) -> Statement {
    Statement::new(K::Revoke, format!("REVOKE CREATE ON SCHEMA {schema} FROM {from}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Ident {
        Ident::new(s, "test").unwrap_or_else(|e| panic!("test ident {s:?}: {e}"))
    }

    #[test]
    fn access_statements_per_dialect() {
        let cases = [
            (
                Dialect::Redshift,
                Access::Group { name: "g".into() },
                [
                    "CREATE GROUP \"g\"",
                    "ALTER GROUP \"g\" ADD USER \"u\"",
                    "ALTER GROUP \"g\" DROP USER \"u\"",
                    "DROP GROUP \"g\"",
                    "GROUP \"g\"",
                ],
            ),
            (
                Dialect::Postgres,
                Access::Group { name: "g".into() },
                [
                    "CREATE GROUP \"g\"",
                    "ALTER GROUP \"g\" ADD USER \"u\"",
                    "ALTER GROUP \"g\" DROP USER \"u\"",
                    "DROP GROUP \"g\"",
                    "GROUP \"g\"",
                ],
            ),
            (
                Dialect::Redshift,
                Access::Role { name: "r".into() },
                [
                    "CREATE ROLE \"r\"",
                    "GRANT ROLE \"r\" TO \"u\"",
                    "REVOKE ROLE \"r\" FROM \"u\"",
                    "DROP ROLE \"r\"",
                    "ROLE \"r\"",
                ],
            ),
            (
                Dialect::Postgres,
                Access::Role { name: "r".into() },
                [
                    "CREATE ROLE \"r\" NOLOGIN",
                    "GRANT \"r\" TO \"u\"",
                    "REVOKE \"r\" FROM \"u\"",
                    "DROP ROLE \"r\"",
                    "\"r\"",
                ],
            ),
        ];
        for (d, a, want) in cases {
            let t = AccessTarget::new(d, &a).unwrap_or_else(|e| panic!("{e}"));
            let u = id("u");
            assert_eq!(
                [
                    t.create().sql(),
                    t.add_member(&u).sql(),
                    t.remove_member(&u).sql(),
                    t.drop().sql(),
                    &t.grantee().to_string()
                ],
                want
            );
        }
    }

    #[test]
    fn create_user_masks_password_and_never_uses_equals() {
        let pw = Literal::new("Secret_Pass1", "password").unwrap_or_else(|e| panic!("{e}"));
        let s = create_user(&id("u"), &pw, Some(5));
        assert_eq!(s.sql(), "CREATE USER \"u\" PASSWORD 'Secret_Pass1' CONNECTION LIMIT 5");
        assert_eq!(s.masked_sql(), "CREATE USER \"u\" PASSWORD '********' CONNECTION LIMIT 5");
        assert!(!s.sql().contains('='));
    }

    #[test]
    fn default_privileges_forms() {
        let g = Grantee::Group(id("g"));
        assert_eq!(
            grant_default_select(Some(&id("ETL_Loader")), Some(&id("s")), &g).sql(),
            "ALTER DEFAULT PRIVILEGES FOR USER \"ETL_Loader\" IN SCHEMA \"s\" GRANT SELECT ON TABLES TO GROUP \"g\""
        );
        assert_eq!(
            revoke_default_select(None, None, &Grantee::User(id("u"))).sql(),
            "ALTER DEFAULT PRIVILEGES REVOKE SELECT ON TABLES FROM \"u\""
        );
    }
}
