//! The privilege views of Redshift's catalog, as the Database Developer Guide documents them:
//! `svv_schema_privileges`, `svv_relation_privileges`, `svv_column_privileges`,
//! `svv_default_privileges`, `svv_database_privileges`, `svv_user_grants`, `svv_role_grants`
//! (r_SVV_*.md) and `svl_user_info`. Superusers and users with SYSLOG ACCESS UNRESTRICTED see every
//! row; other users only the identities they are or belong to (for `svv_default_privileges`: the
//! entries granted to them). Row generation only; `system` lists the columns.

use crate::catalog::{Grantee, TABLE_PRIVILEGES, Warehouse};
use crate::exec::Value;
use crate::protocol::WireType::{self, Bool, Int4, Text};

type Cols = &'static [(&'static str, WireType)];

pub const SCHEMA_PRIVILEGES: Cols = &[
    ("namespace_name", Text),
    ("privilege_type", Text),
    ("identity_id", Int4),
    ("identity_name", Text),
    ("identity_type", Text),
    ("admin_option", Bool),
];

pub const RELATION_PRIVILEGES: Cols = &[
    ("namespace_name", Text),
    ("relation_name", Text),
    ("privilege_type", Text),
    ("identity_id", Int4),
    ("identity_name", Text),
    ("identity_type", Text),
    ("admin_option", Bool),
];

pub const COLUMN_PRIVILEGES: Cols = &[
    ("namespace_name", Text),
    ("relation_name", Text),
    ("column_name", Text),
    ("privilege_type", Text),
    ("identity_id", Int4),
    ("identity_name", Text),
    ("identity_type", Text),
];

pub const DEFAULT_PRIVILEGES: Cols = &[
    ("schema_name", Text),
    ("object_type", Text),
    ("owner_id", Int4),
    ("owner_name", Text),
    ("owner_type", Text),
    ("privilege_type", Text),
    ("grantee_id", Int4),
    ("grantee_name", Text),
    ("grantee_type", Text),
    ("admin_option", Bool),
];

pub const DATABASE_PRIVILEGES: Cols = &[
    ("database_name", Text),
    ("privilege_type", Text),
    ("identity_id", Int4),
    ("identity_name", Text),
    ("identity_type", Text),
    ("admin_option", Bool),
];

pub const USER_GRANTS: Cols = &[
    ("user_id", Int4),
    ("user_name", Text),
    ("role_id", Int4),
    ("role_name", Text),
    ("admin_option", Bool),
];

pub const ROLE_GRANTS: Cols = &[
    ("role_id", Int4),
    ("role_name", Text),
    ("granted_role_id", Int4),
    ("granted_role_name", Text),
];

pub const USER_INFO: Cols = &[
    ("usename", Text),
    ("usesysid", Int4),
    ("usecreatedb", Bool),
    ("usesuper", Bool),
    ("usecatupd", Bool),
    ("useconnlimit", Text),
    ("syslogaccess", Text),
    ("last_ddl_ts", Text),
    ("sessiontimeout", Int4),
    ("external_user_id", Text),
];

/// (identity_id, identity_name, identity_type) of a grantee.
fn identity(w: &Warehouse, g: &Grantee) -> [Value; 3] {
    let (id, name, kind) = match g {
        Grantee::Public => (0, "public".to_string(), "public"),
        Grantee::User(id) => (*id, w.user_name(*id), "user"),
        Grantee::Group(id) => (
            *id,
            w.groups().iter().find(|x| x.id == *id).map(|x| x.name.clone()).unwrap_or_default(),
            "group",
        ),
        Grantee::Role(id) => (
            *id,
            w.roles().iter().find(|x| x.id == *id).map(|x| x.name.clone()).unwrap_or_default(),
            "role",
        ),
    };
    [Value::Int(i64::from(id)), Value::text(name), Value::text(kind)]
}

/// Whether `g` is `user` or an identity `user` belongs to.
fn applies(w: &Warehouse, user: u32, g: &Grantee) -> bool {
    w.holds(user, &[g.clone()].into())
}

fn sees_all(w: &Warehouse, user: u32) -> bool {
    w.is_superuser(user) || w.user(user).is_some_and(|u| u.syslog_unrestricted)
}

/// Rows of a privilege view, or `None` when `name` is not one of them.
pub fn rows(name: &str, w: &Warehouse, user: u32) -> Option<Vec<Vec<Value>>> {
    let all = sees_all(w, user);
    let visible = |g: &Grantee| all || applies(w, user, g);
    let mut out = Vec::new();
    match name {
        "svv_schema_privileges" => {
            for s in w.schemas() {
                for (privilege, holders) in [("USAGE", &s.usage), ("CREATE", &s.create)] {
                    for g in holders.iter().filter(|g| visible(g)) {
                        let mut row = vec![Value::text(&s.name), Value::text(privilege)];
                        row.extend(identity(w, g));
                        row.push(Value::Bool(false));
                        out.push(row);
                    }
                }
            }
        }
        "svv_relation_privileges" => {
            for r in w.relations() {
                let Some(s) = w.schema(r.schema) else { continue };
                let mut held: Vec<(&str, &Grantee)> =
                    r.select.iter().map(|g| ("SELECT", g)).collect();
                for (p, _) in TABLE_PRIVILEGES {
                    if let Some(h) = r.other_privileges.get(p) {
                        held.extend(h.iter().map(|g| (p, g)));
                    }
                }
                for (privilege, g) in held.into_iter().filter(|(_, g)| visible(g)) {
                    let mut row =
                        vec![Value::text(&s.name), Value::text(&r.name), Value::text(privilege)];
                    row.extend(identity(w, g));
                    row.push(Value::Bool(false));
                    out.push(row);
                }
            }
        }
        // The simulator has no column-level grants (GRANT SELECT (c) is not supported).
        "svv_column_privileges" => {}
        "svv_default_privileges" => {
            for d in w.default_acls().filter(|d| visible(&d.grantee)) {
                let schema = d.schema.and_then(|s| w.schema(s)).map(|s| s.name.clone());
                let mut row = vec![
                    Value::opt_text(schema),
                    Value::text("RELATION"),
                    Value::Int(i64::from(d.owner)),
                    Value::text(w.user_name(d.owner)),
                    Value::text("user"),
                    Value::text("SELECT"),
                ];
                row.extend(identity(w, &d.grantee));
                row.push(Value::Bool(false));
                out.push(row);
            }
        }
        "svv_database_privileges" => {
            for db in w.databases() {
                for g in db.usage.iter().filter(|g| visible(g)) {
                    let mut row = vec![Value::text(&db.name), Value::text("USAGE")];
                    row.extend(identity(w, g));
                    row.push(Value::Bool(false));
                    out.push(row);
                }
            }
        }
        "svv_user_grants" => {
            for u in w.users().iter().filter(|u| all || u.id == user) {
                for r in &u.roles {
                    let role = w.roles().iter().find(|x| x.id == *r);
                    out.push(vec![
                        Value::Int(i64::from(u.id)),
                        Value::text(&u.name),
                        Value::Int(i64::from(*r)),
                        Value::opt_text(role.map(|x| x.name.clone())),
                        Value::Bool(false),
                    ]);
                }
            }
        }
        "svv_role_grants" => {
            let mine = w.role_closure(user);
            for role in w.roles().iter().filter(|r| all || mine.contains(&r.id)) {
                for granted in &role.roles {
                    let g = w.roles().iter().find(|x| x.id == *granted);
                    out.push(vec![
                        Value::Int(i64::from(role.id)),
                        Value::text(&role.name),
                        Value::Int(i64::from(*granted)),
                        Value::opt_text(g.map(|x| x.name.clone())),
                    ]);
                }
            }
        }
        "svl_user_info" => {
            for u in w.users() {
                out.push(vec![
                    Value::text(&u.name),
                    Value::Int(i64::from(u.id)),
                    Value::Bool(u.createdb),
                    Value::Bool(u.superuser),
                    Value::Bool(u.superuser),
                    Value::text(
                        u.connection_limit.map_or("UNLIMITED".to_string(), |l| l.to_string()),
                    ),
                    Value::text(if u.syslog_unrestricted { "UNRESTRICTED" } else { "RESTRICTED" }),
                    Value::Null,
                    Value::Int(0),
                    Value::Null,
                ]);
            }
        }
        _ => return None,
    }
    Some(out)
}

/// `relacl` entries of a relation: each holder with its letters (`r` SELECT, then `a w d x D`).
pub fn relation_acl(r: &crate::catalog::Relation) -> Vec<(&Grantee, String)> {
    let mut holders: Vec<&Grantee> = r.select.iter().collect();
    holders.extend(r.other_privileges.values().flatten());
    holders.sort();
    holders.dedup();
    holders
        .into_iter()
        .map(|g| {
            let mut letters = String::new();
            if r.select.contains(g) {
                letters.push('r');
            }
            for (p, letter) in TABLE_PRIVILEGES {
                if let Some(c) = letter
                    && r.other_privileges.get(p).is_some_and(|h| h.contains(g))
                {
                    letters.push(c);
                }
            }
            (g, letters)
        })
        .filter(|(_, l)| !l.is_empty())
        .collect()
}
