//! `information_schema.tables / columns / schemata`: the standard views clients read, with what
//! the user may see (tables they can select from, schemas they can use).

use crate::catalog::{Column, SchemaPrivilege, Warehouse};
use crate::exec::Value;
use crate::protocol::WireType::{self, Int4, Text};

use super::system::{relkind, type_oid, typmod_of, visible_tables};

/// information_schema.columns-shaped row (table_catalog … numeric_scale).
pub(super) fn info_column_row(
    database: &str,
    schema: &str,
    table: &str,
    i: usize,
    c: &Column,
) -> Vec<Value> {
    let oid = type_oid(&c.type_name);
    let typmod = typmod_of(&c.type_name);
    let (len, precision, scale) = match oid {
        1042 | 1043 => (Value::Int(typmod - 4), Value::Null, Value::Null),
        1700 if typmod >= 4 => {
            (Value::Null, Value::Int((typmod - 4) >> 16), Value::Int((typmod - 4) & 0xffff))
        }
        20 => (Value::Null, Value::Int(64), Value::Int(0)),
        23 => (Value::Null, Value::Int(32), Value::Int(0)),
        21 => (Value::Null, Value::Int(16), Value::Int(0)),
        _ => (Value::Null, Value::Null, Value::Null),
    };
    let data_type = c.type_name.split('(').next().unwrap_or("").trim().to_string();
    vec![
        Value::text(database),
        Value::text(schema),
        Value::text(table),
        Value::text(&c.name),
        Value::Int(i as i64 + 1),
        Value::opt_text(c.default.clone()),
        Value::text("YES"),
        Value::text(data_type),
        len,
        precision,
        scale,
    ]
}

/// Columns of the information_schema views the simulator implements.
pub fn columns(name: &str) -> Option<Vec<(String, WireType)>> {
    let cols: &[(&str, WireType)] = match name {
        "tables" => &[
            ("table_catalog", Text),
            ("table_schema", Text),
            ("table_name", Text),
            ("table_type", Text),
        ],
        "columns" => &[
            ("table_catalog", Text),
            ("table_schema", Text),
            ("table_name", Text),
            ("column_name", Text),
            ("ordinal_position", Int4),
            ("column_default", Text),
            ("is_nullable", Text),
            ("data_type", Text),
            ("character_maximum_length", Int4),
            ("numeric_precision", Int4),
            ("numeric_scale", Int4),
        ],
        "schemata" => &[("catalog_name", Text), ("schema_name", Text), ("schema_owner", Text)],
        _ => return None,
    };
    Some(cols.iter().map(|(n, t)| (n.to_string(), *t)).collect())
}

/// Rows of an information_schema view for `user`: only objects the user owns or has a privilege on.
pub fn rows(name: &str, w: &Warehouse, user: u32, database: &str) -> Vec<Vec<Value>> {
    match name {
        "tables" => visible_tables(w, user)
            .map(|(s, r)| {
                let ty = if relkind(r.kind, &r.name) == "v" { "VIEW" } else { "BASE TABLE" };
                vec![
                    Value::text(database),
                    Value::text(&s.name),
                    Value::text(&r.name),
                    Value::text(ty),
                ]
            })
            .collect(),
        "columns" => visible_tables(w, user)
            .flat_map(|(s, r)| {
                r.columns
                    .iter()
                    .enumerate()
                    .map(move |(i, c)| info_column_row(database, &s.name, &r.name, i, c))
            })
            .collect(),
        "schemata" => {
            let su = w.is_superuser(user);
            w.schemas()
                .iter()
                .filter(|s| {
                    su || s.owner == user
                        || w.schema_privilege(user, s, SchemaPrivilege::Usage)
                        || w.schema_privilege(user, s, SchemaPrivilege::Create)
                })
                .map(|s| {
                    vec![
                        Value::text(database),
                        Value::text(&s.name),
                        Value::text(w.user_name(s.owner)),
                    ]
                })
                .collect()
        }
        _ => Vec::new(),
    }
}
