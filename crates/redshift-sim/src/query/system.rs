//! The system relations of `pg_catalog` (pg_* catalogs and SVV views) with Redshift's columns and
//! per-user visibility (redshift.md §1.5, §2): pg_* catalogs show every row, svv_external_* /
//! svv_redshift_* / svv_all_* / pg_external_schema only what the user can use, pg_default_acl only the
//! user's own rows. Also `pg_get_late_binding_view_cols()` (§1.6). Row generation only: privilege
//! checks on the relations themselves and the leader-node rule live in `query`.

use crate::catalog::{
    Column, DatabaseKind, Grantee, PG_CATALOG_OID, RDSDB, RelationKind, SchemaKind,
    SchemaPrivilege, Warehouse,
};
use crate::protocol::WireType::{self, Bool, Char, Float8, Int2, Int4, Name, Oid, Text};

use super::fast_hash::FastMap;
use super::privileges;
use crate::exec::Value;

type Cols = &'static [(&'static str, WireType)];

struct SystemRelation {
    name: &'static str,
    /// Readable by everyone (catalogs, self-filtering SVV views) vs superuser-only (§1.5).
    public_read: bool,
    /// Whether the simulator can produce its rows (others exist for GRANT/has_table_privilege only).
    implemented: bool,
    columns: Cols,
}

const fn rel(
    name: &'static str,
    public_read: bool,
    implemented: bool,
    columns: Cols,
) -> SystemRelation {
    SystemRelation { name, public_read, implemented, columns }
}

const SYSTEM_RELATIONS: &[SystemRelation] = &[
    rel(
        "pg_namespace",
        true,
        true,
        &[("oid", Int4), ("nspname", Text), ("nspowner", Int4), ("nspacl", Text)],
    ),
    rel(
        "pg_class",
        true,
        true,
        &[
            ("oid", Int4),
            ("relname", Text),
            ("relnamespace", Int4),
            ("relkind", Text),
            ("relowner", Int4),
            ("relacl", Text),
            ("reltype", Oid),
            ("relam", Oid),
            ("relfilenode", Oid),
            ("reltuples", Float8),
            ("relpages", Int4),
            ("relhasindex", Bool),
            ("relisshared", Bool),
            ("relnatts", Int2),
            ("relchecks", Int2),
            ("reltriggers", Int2),
            ("relhasrules", Bool),
            ("relhaspkey", Bool),
            ("relhasoids", Bool),
            ("relhassubclass", Bool),
            ("reldiststyle", Int2),
            ("reltoastrelid", Oid),
            ("relhastriggers", Bool),
            ("reltablespace", Oid),
            ("reloftype", Oid),
            ("relpersistence", Char),
            ("relrowsecurity", Bool),
            ("relforcerowsecurity", Bool),
            ("relreplident", Char),
            ("relispartition", Bool),
            ("reloptions", Text),
        ],
    ),
    rel(
        "pg_attribute",
        true,
        true,
        &[
            ("attrelid", Int4),
            ("attname", Text),
            ("atttypid", Int4),
            ("attnum", Int4),
            ("attisdropped", Bool),
            ("attlen", Int2),
            ("atttypmod", Int4),
            ("attnotnull", Bool),
            ("atthasdef", Bool),
            ("attstattarget", Int4),
            ("attndims", Int4),
            ("attisdistkey", Bool),
            ("attsortkeyord", Int4),
            ("attencodingtype", Int2),
            ("attcollation", Oid),
        ],
    ),
    rel("pg_collation", true, true, &[("oid", Oid), ("collname", Name), ("collnamespace", Oid)]),
    // Redshift has no indexes, triggers, inheritance or rules on user tables: empty catalogs.
    rel(
        "pg_index",
        true,
        true,
        &[("indexrelid", Oid), ("indrelid", Oid), ("indisunique", Bool), ("indisprimary", Bool)],
    ),
    rel(
        "pg_constraint",
        true,
        true,
        &[
            ("oid", Oid),
            ("conname", Name),
            ("connamespace", Oid),
            ("contype", Char),
            ("conrelid", Oid),
            ("confrelid", Oid),
            ("conkey", Text),
        ],
    ),
    rel("pg_trigger", true, true, &[("oid", Oid), ("tgrelid", Oid), ("tgname", Name)]),
    rel("pg_inherits", true, true, &[("inhrelid", Oid), ("inhparent", Oid), ("inhseqno", Int4)]),
    rel("pg_rewrite", true, true, &[("oid", Oid), ("rulename", Name), ("ev_class", Oid)]),
    rel(
        "pg_type",
        true,
        true,
        &[
            ("oid", Oid),
            ("typname", Name),
            ("typnamespace", Oid),
            ("typowner", Int4),
            ("typlen", Int2),
            ("typbyval", Bool),
            ("typtype", Char),
            ("typisdefined", Bool),
            ("typdelim", Char),
            ("typrelid", Oid),
            ("typelem", Oid),
            ("typnotnull", Bool),
            ("typbasetype", Oid),
            ("typtypmod", Int4),
            ("typndims", Int4),
            ("typdefault", Text),
            ("typcollation", Oid),
        ],
    ),
    rel(
        "pg_attrdef",
        true,
        true,
        &[("oid", Oid), ("adrelid", Oid), ("adnum", Int2), ("adbin", Text), ("adsrc", Text)],
    ),
    rel(
        "pg_description",
        true,
        true,
        &[("objoid", Oid), ("classoid", Oid), ("objsubid", Int4), ("description", Text)],
    ),
    rel(
        "pg_proc",
        true,
        true,
        &[
            ("oid", Oid),
            ("proname", Name),
            ("pronamespace", Oid),
            ("proowner", Int4),
            ("prolang", Oid),
            ("proisagg", Bool),
            ("proretset", Bool),
            ("provolatile", Char),
            ("pronargs", Int2),
            ("prorettype", Oid),
            ("prosrc", Text),
        ],
    ),
    rel(
        "svv_tables",
        true,
        true,
        &[
            ("table_catalog", Text),
            ("table_schema", Text),
            ("table_name", Text),
            ("table_type", Text),
            ("remarks", Text),
        ],
    ),
    rel(
        "svv_columns",
        true,
        true,
        &[
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
            ("remarks", Text),
        ],
    ),
    rel(
        "pg_tables",
        true,
        true,
        &[("schemaname", Text), ("tablename", Text), ("tableowner", Text)],
    ),
    rel(
        "pg_views",
        true,
        true,
        &[("schemaname", Text), ("viewname", Text), ("viewowner", Text), ("definition", Text)],
    ),
    rel(
        "pg_user",
        true,
        true,
        &[
            ("usename", Text),
            ("usesysid", Int4),
            ("usecreatedb", Bool),
            ("usesuper", Bool),
            ("passwd", Text),
            ("valuntil", Text),
            ("useconfig", Text),
        ],
    ),
    rel("pg_group", true, true, &[("groname", Text), ("grosysid", Int4), ("grolist", Text)]),
    rel("pg_database", true, true, &[("datname", Text), ("datdba", Int4)]),
    rel(
        "pg_default_acl",
        true,
        true,
        &[
            ("defacluser", Int4),
            ("defaclnamespace", Int4),
            ("defaclobjtype", Text),
            ("defaclacl", Text),
        ],
    ),
    rel(
        "pg_external_schema",
        true,
        true,
        &[
            ("esoid", Int4),
            ("eskind", Int4),
            ("esname", Text),
            ("esowner", Int4),
            ("esdbname", Text),
            ("esoptions", Text),
        ],
    ),
    rel(
        "svv_roles",
        true,
        true,
        &[("role_id", Int4), ("role_name", Text), ("role_owner", Text), ("external_id", Text)],
    ),
    rel(
        "svv_external_schemas",
        true,
        true,
        &[
            ("esoid", Int4),
            ("eskind", Int4),
            ("schemaname", Text),
            ("esowner", Int4),
            ("databasename", Text),
            ("esoptions", Text),
        ],
    ),
    rel(
        "svv_external_tables",
        true,
        true,
        &[("schemaname", Text), ("tablename", Text), ("location", Text)],
    ),
    rel(
        "svv_external_columns",
        true,
        true,
        &[
            ("schemaname", Text),
            ("tablename", Text),
            ("columnname", Text),
            ("external_type", Text),
            ("columnnum", Int4),
            ("part_key", Int4),
            ("is_nullable", Text),
        ],
    ),
    rel(
        "svv_redshift_databases",
        true,
        true,
        &[
            ("database_name", Text),
            ("database_owner", Int4),
            ("database_type", Text),
            ("database_options", Text),
        ],
    ),
    rel(
        "svv_redshift_schemas",
        true,
        true,
        &[
            ("database_name", Text),
            ("schema_name", Text),
            ("schema_owner", Int4),
            ("schema_type", Text),
            ("schema_acl", Text),
            ("schema_option", Text),
        ],
    ),
    rel(
        "svv_all_schemas",
        true,
        true,
        &[
            ("database_name", Text),
            ("schema_name", Text),
            ("schema_owner", Int4),
            ("schema_type", Text),
            ("schema_acl", Text),
            ("source_database", Text),
            ("schema_option", Text),
        ],
    ),
    rel(
        "svv_table_info",
        false,
        true,
        &[
            ("database", Text),
            ("schema", Text),
            ("table_id", Int4),
            ("table", Text),
            ("tbl_rows", Int4),
        ],
    ),
    rel("svv_schema_privileges", true, true, privileges::SCHEMA_PRIVILEGES),
    rel("svv_relation_privileges", true, true, privileges::RELATION_PRIVILEGES),
    rel("svv_column_privileges", true, true, privileges::COLUMN_PRIVILEGES),
    rel("svv_default_privileges", true, true, privileges::DEFAULT_PRIVILEGES),
    rel("svv_database_privileges", true, true, privileges::DATABASE_PRIVILEGES),
    rel("svv_user_grants", true, true, privileges::USER_GRANTS),
    rel("svv_role_grants", true, true, privileges::ROLE_GRANTS),
    // Superuser-only (r_SVL_USER_INFO.md).
    rel("svl_user_info", false, true, privileges::USER_INFO),
    // Known Redshift relations the simulator does not generate rows for (SELECT → not supported).
    rel("pg_table_def", true, false, &[]),
    rel("pg_class_info", true, false, &[]),
    rel("pg_attribute_info", true, false, &[]),
    rel("svv_all_tables", true, false, &[]),
    rel("svv_all_columns", true, false, &[]),
    rel("svv_redshift_tables", true, false, &[]),
    rel("svv_redshift_columns", true, false, &[]),
    rel("svv_datashares", true, false, &[]),
    rel("stl_query", true, false, &[]),
    rel("stv_sessions", true, false, &[]),
    rel("pg_user_info", false, false, &[]),
    rel("stl_connection_log", false, false, &[]),
    rel("stl_userlog", false, false, &[]),
    rel("stv_tbl_perm", false, false, &[]),
    rel("svv_diskusage", false, false, &[]),
];

fn lookup(name: &str) -> Option<&'static SystemRelation> {
    SYSTEM_RELATIONS.iter().find(|r| r.name == name)
}

/// Columns of an implemented system relation.
pub fn columns(name: &str) -> Option<Vec<(String, WireType)>> {
    lookup(name)
        .filter(|r| r.implemented)
        .map(|r| r.columns.iter().map(|(n, t)| (n.to_string(), *t)).collect())
}

pub fn is_known(name: &str) -> bool {
    lookup(name).is_some()
}

/// STL/STV/SVL/SVV/SYS views: subject to the leader-node rule (redshift.md §1.5).
pub fn is_compute_view(name: &str) -> bool {
    ["svv_", "stl_", "stv_", "svl_", "sys_"].iter().any(|p| name.starts_with(p))
}

fn type_name(t: WireType) -> &'static str {
    match t {
        WireType::Bool => "boolean",
        WireType::Int2 => "smallint",
        WireType::Int4 => "integer",
        WireType::Int8 => "bigint",
        WireType::Oid => "oid",
        WireType::Float8 => "double precision",
        WireType::Numeric => "numeric",
        WireType::Text | WireType::Name => "name",
        WireType::Varchar => "character varying",
        WireType::Char => "\"char\"",
        WireType::Date => "date",
        WireType::Timestamp => "timestamp without time zone",
    }
}

/// Adds every known system relation to `pg_catalog` (so `GRANT … ON ALL TABLES IN SCHEMA pg_catalog`
/// has something to snapshot, redshift.md §1.5).
pub fn register_system_relations(w: &mut Warehouse) {
    for r in SYSTEM_RELATIONS {
        let cols = r.columns.iter().map(|(n, t)| Column::new(n, type_name(*t))).collect();
        w.add_relation(
            PG_CATALOG_OID,
            r.name,
            RelationKind::System { public_read: r.public_read },
            RDSDB,
            cols,
        );
    }
}

/// `pg_class.relkind`: `v` for views (user views, late-binding views, SVV/STL… views), else `r`.
pub fn relkind(kind: RelationKind, name: &str) -> &'static str {
    match kind {
        RelationKind::View | RelationKind::LateBindingView => "v",
        RelationKind::System { .. } if is_compute_view(name) => "v",
        _ => "r",
    }
}

/// Built-in types: (oid, typname, typlen, format_type name).
pub const TYPES: [(i64, &str, i64, &str); 16] = [
    (16, "bool", 1, "boolean"),
    (18, "char", 1, "\"char\""),
    (19, "name", 64, "name"),
    (20, "int8", 8, "bigint"),
    (21, "int2", 2, "smallint"),
    (23, "int4", 4, "integer"),
    (25, "text", -1, "text"),
    (26, "oid", 4, "oid"),
    (700, "float4", 4, "real"),
    (701, "float8", 8, "double precision"),
    (1042, "bpchar", -1, "character"),
    (1043, "varchar", -1, "character varying"),
    (1082, "date", 4, "date"),
    (1114, "timestamp", 8, "timestamp without time zone"),
    (1184, "timestamptz", 8, "timestamp with time zone"),
    (1700, "numeric", -1, "numeric"),
];

/// `format_type(oid, typmod)`: the SQL name of a type with its modifier.
pub fn format_type(oid: i64, typmod: Option<i64>) -> Option<String> {
    let (_, _, _, name) = TYPES.iter().find(|t| t.0 == oid)?;
    let m = typmod.filter(|m| *m >= 4).map(|m| m - 4);
    Some(match (oid, m) {
        (1042 | 1043, Some(len)) => format!("{name}({len})"),
        (1700, Some(m)) => format!("{name}({},{})", m >> 16, m & 0xffff),
        _ => name.to_string(),
    })
}

/// `pg_attribute.atttypmod` of a `format_type` name: length + 4 for character types,
/// `(precision << 16 | scale) + 4` for numeric, else -1.
pub fn typmod_of(type_name: &str) -> i64 {
    let Some((_, args)) = type_name.split_once('(') else {
        return -1;
    };
    let mut nums =
        args.trim_end_matches(')').split(',').filter_map(|n| n.trim().parse::<i64>().ok());
    match (type_oid(type_name), nums.next(), nums.next(), nums.next()) {
        (1042 | 1043, Some(len), None, None) => len + 4,
        (1700, Some(p), None, None) => (p << 16) + 4,
        (1700, Some(p), Some(s), None) => ((p << 16) | s) + 4,
        _ => -1,
    }
}

/// `typlen` of a type OID.
pub fn type_len(oid: i64) -> i64 {
    TYPES.iter().find(|t| t.0 == oid).map(|t| t.2).unwrap_or(-1)
}

/// Functions the engine implements, listed in `pg_proc` (name, result type oid, is aggregate).
pub const FUNCTIONS: [(&str, i64, bool); 24] = [
    ("count", 20, true),
    ("sum", 1700, true),
    ("avg", 1700, true),
    ("min", 25, true),
    ("max", 25, true),
    ("current_database", 19, false),
    ("current_schema", 19, false),
    ("current_schemas", 25, false),
    ("current_setting", 25, false),
    ("current_user", 19, false),
    ("format_type", 25, false),
    ("has_database_privilege", 16, false),
    ("has_schema_privilege", 16, false),
    ("has_table_privilege", 16, false),
    ("obj_description", 25, false),
    ("col_description", 25, false),
    ("pg_backend_pid", 23, false),
    ("pg_get_expr", 25, false),
    ("pg_get_userbyid", 19, false),
    ("pg_get_viewdef", 25, false),
    ("quote_ident", 25, false),
    ("version", 25, false),
    ("lower", 25, false),
    ("upper", 25, false),
];

/// PostgreSQL 8.0 type OID for a `format_type` name.
pub fn type_oid(type_name: &str) -> i64 {
    let base = type_name.split('(').next().unwrap_or("").trim();
    match base {
        "boolean" => 16,
        "name" => 19,
        "bigint" => 20,
        "oid" => 26,
        "\"char\"" => 18,
        "smallint" => 21,
        "integer" => 23,
        "text" => 25,
        "real" => 700,
        "double precision" => 701,
        "character" => 1042,
        "character varying" => 1043,
        "date" => 1082,
        "timestamp without time zone" => 1114,
        "timestamp with time zone" => 1184,
        "numeric" => 1700,
        _ => 25,
    }
}

/// ACL text like `{admin=UC/admin,"group readers=U/admin"}`; NULL when nothing was granted.
fn acl_text(w: &Warehouse, owner: u32, entries: &[(&Grantee, String)]) -> Value {
    if entries.is_empty() {
        return Value::Null;
    }
    let owner_name = w.user_name(owner);
    let items: Vec<String> = entries
        .iter()
        .map(|(g, privs)| {
            let item = format!("{}={privs}/{owner_name}", w.grantee_acl_name(g));
            if item.contains(' ') { format!("\"{item}\"") } else { item }
        })
        .collect();
    Value::text(format!("{{{}}}", items.join(",")))
}

fn schema_acl(w: &Warehouse, s: &crate::catalog::Schema) -> Value {
    let mut grantees: Vec<&Grantee> = s.usage.iter().chain(s.create.iter()).collect();
    grantees.sort();
    grantees.dedup();
    let entries: Vec<(&Grantee, String)> = grantees
        .into_iter()
        .map(|g| {
            let mut p = String::new();
            if s.usage.contains(g) {
                p.push('U');
            }
            if s.create.contains(g) {
                p.push('C');
            }
            (g, p)
        })
        .collect();
    acl_text(w, s.owner, &entries)
}

/// Rows of an implemented system relation, as seen by `user` connected to `database`.
/// The rows of a system relation with only the columns at `keep` (in that order; `None`: all).
/// The two relations that grow with the warehouse (one row per relation, one per column) build
/// only the kept cells; the others are built whole and then cut down.
pub fn projected_rows(
    name: &str,
    w: &Warehouse,
    user: u32,
    database: &str,
    keep: Option<&[usize]>,
) -> Vec<Vec<Value>> {
    match (name, keep) {
        ("pg_class", _) => class_rows(w, keep),
        ("pg_attribute", _) => attribute_rows(keep, w),
        (_, None) => rows(name, w, user, database),
        (_, Some(keep)) => rows(name, w, user, database)
            .into_iter()
            .map(|mut row| {
                keep.iter().map(|&i| std::mem::replace(&mut row[i], Value::Null)).collect()
            })
            .collect(),
    }
}

/// One pg_class row's cell `col` (in the column order of `SYSTEM_RELATIONS`).
fn class_cell(w: &Warehouse, r: &crate::catalog::Relation, col: usize) -> Value {
    let int = |v: u32| Value::Int(i64::from(v));
    match col {
        0 | 8 => int(r.oid),
        1 => Value::text(&r.name),
        2 => int(r.schema),
        3 => Value::text(relkind(r.kind, &r.name)),
        4 => int(r.owner),
        5 => acl_text(w, r.owner, &privileges::relation_acl(r)),
        9 => Value::Float(f64::from(r.sample_rows)),
        10 => Value::Int(i64::from(r.sample_rows.div_ceil(100))),
        13 => Value::Int(r.columns.len() as i64),
        20 => Value::Int(if relkind(r.kind, &r.name) == "r" { 0 } else { 1 }),
        25 => Value::text("p"),
        28 => Value::text("d"),
        6 | 7 | 14 | 15 | 21 | 23 | 24 => Value::Int(0),
        30 => Value::Null,
        _ => Value::Bool(false),
    }
}

/// Every column index of a system relation.
fn all_columns(name: &str) -> Vec<usize> {
    (0..lookup(name).map_or(0, |r| r.columns.len())).collect()
}

fn class_rows(w: &Warehouse, keep: Option<&[usize]>) -> Vec<Vec<Value>> {
    let all = all_columns("pg_class");
    let keep = keep.unwrap_or(&all);
    w.relations().iter().map(|r| keep.iter().map(|&c| class_cell(w, r, c)).collect()).collect()
}

/// One pg_attribute row's cell `col`: column `i` (0-based) of relation `r`.
fn attribute_cell(r: &crate::catalog::Relation, i: usize, c: &Column, col: usize) -> Value {
    match col {
        0 => Value::Int(i64::from(r.oid)),
        1 => Value::text(&c.name),
        2 => Value::Int(type_oid(&c.type_name)),
        3 => Value::Int(i as i64 + 1),
        5 => Value::Int(type_len(type_oid(&c.type_name))),
        6 => Value::Int(typmod_of(&c.type_name)),
        7 => Value::Bool(i == 0 && r.kind == RelationKind::Table),
        8 => Value::Bool(c.default.is_some()),
        9 => Value::Int(-1),
        10 | 12 | 13 | 14 => Value::Int(0),
        _ => Value::Bool(false),
    }
}

// Late-binding views have no pg_attribute rows: their columns come from the function (§1.6).
fn attribute_rows(keep: Option<&[usize]>, w: &Warehouse) -> Vec<Vec<Value>> {
    let all = all_columns("pg_attribute");
    let keep = keep.unwrap_or(&all);
    // Column names and types repeat across tables: each distinct one is made once and shared.
    let mut names: FastMap<&str, Value> = FastMap::default();
    let mut types: FastMap<&str, [Value; 3]> = FastMap::default();
    let mut rows = Vec::new();
    for r in w.relations().iter().filter(|r| r.kind != RelationKind::LateBindingView) {
        for (i, c) in r.columns.iter().enumerate() {
            let row = keep
                .iter()
                .map(|&col| match col {
                    1 => names.entry(&c.name).or_insert_with(|| Value::text(&c.name)).clone(),
                    2 | 5 | 6 => {
                        let t = types.entry(&c.type_name).or_insert_with(|| {
                            let oid = type_oid(&c.type_name);
                            [
                                Value::Int(oid),
                                Value::Int(type_len(oid)),
                                Value::Int(typmod_of(&c.type_name)),
                            ]
                        });
                        t[match col {
                            2 => 0,
                            5 => 1,
                            _ => 2,
                        }]
                        .clone()
                    }
                    _ => attribute_cell(r, i, c, col),
                })
                .collect();
            rows.push(row);
        }
    }
    rows
}

pub fn rows(name: &str, w: &Warehouse, user: u32, database: &str) -> Vec<Vec<Value>> {
    let su = w.is_superuser(user);
    let uses = |s: &crate::catalog::Schema| w.schema_privilege(user, s, SchemaPrivilege::Usage);
    let schema_name = |oid: u32| w.schema(oid).map(|s| s.name.clone()).unwrap_or_default();
    let int = |v: u32| Value::Int(i64::from(v));
    match name {
        "pg_namespace" => w
            .schemas()
            .iter()
            .map(|s| vec![int(s.oid), Value::text(&s.name), int(s.owner), schema_acl(w, s)])
            .collect(),
        "pg_class" => class_rows(w, None),
        // Late-binding views have no pg_attribute rows: their columns come from the function (§1.6).
        "pg_attribute" => attribute_rows(None, w),
        "pg_tables" | "pg_views" => {
            let want_views = name == "pg_views";
            w.relations()
                .iter()
                .filter(|r| (relkind(r.kind, &r.name) == "v") == want_views)
                .map(|r| {
                    let mut row = vec![
                        Value::text(schema_name(r.schema)),
                        Value::text(&r.name),
                        Value::text(w.user_name(r.owner)),
                    ];
                    if want_views {
                        row.push(Value::Null);
                    }
                    row
                })
                .collect()
        }
        "pg_type" => TYPES
            .iter()
            .map(|(oid, name, len, _)| {
                vec![
                    Value::Int(*oid),
                    Value::text(*name),
                    int(PG_CATALOG_OID),
                    int(RDSDB),
                    Value::Int(*len),
                    Value::Bool(*len > 0 && *len <= 8),
                    Value::text("b"),
                    Value::Bool(true),
                    Value::text(","),
                    Value::Int(0),
                    Value::Int(0),
                    Value::Bool(false),
                    Value::Int(0),
                    Value::Int(-1),
                    Value::Int(0),
                    Value::Null,
                    Value::Int(0),
                ]
            })
            .collect(),
        "pg_collation" => vec![vec![Value::Int(100), Value::text("default"), int(PG_CATALOG_OID)]],
        "pg_attrdef" => w
            .relations()
            .iter()
            .flat_map(|r| {
                r.columns.iter().enumerate().filter_map(move |(i, c)| {
                    let d = c.default.as_ref()?;
                    Some(vec![
                        Value::Int(i64::from(r.oid) * 1000 + i as i64),
                        int(r.oid),
                        Value::Int(i as i64 + 1),
                        Value::text(d),
                        Value::text(d),
                    ])
                })
            })
            .collect(),
        "pg_description" => {
            let class_oid = w.relation(PG_CATALOG_OID, "pg_class").map_or(1259, |r| r.oid);
            let mut out = Vec::new();
            for r in w.relations() {
                if let Some(c) = &r.comment {
                    out.push(vec![int(r.oid), int(class_oid), Value::Int(0), Value::text(c)]);
                }
                for (i, col) in r.columns.iter().enumerate() {
                    if let Some(c) = &col.comment {
                        out.push(vec![
                            int(r.oid),
                            int(class_oid),
                            Value::Int(i as i64 + 1),
                            Value::text(c),
                        ]);
                    }
                }
            }
            out
        }
        "pg_proc" => FUNCTIONS
            .iter()
            .enumerate()
            .map(|(i, (name, ret, agg))| {
                vec![
                    Value::Int(5000 + i as i64),
                    Value::text(*name),
                    int(PG_CATALOG_OID),
                    int(RDSDB),
                    Value::Int(12),
                    Value::Bool(*agg),
                    Value::Bool(false),
                    Value::text(if *agg { "i" } else { "s" }),
                    Value::Int(i64::from(!name.starts_with("current_") && *name != "version")),
                    Value::Int(*ret),
                    Value::text(*name),
                ]
            })
            .collect(),
        "svv_tables" => visible_tables(w, user)
            .map(|(s, r)| {
                vec![
                    Value::text(database),
                    Value::text(&s.name),
                    Value::text(&r.name),
                    Value::text(if relkind(r.kind, &r.name) == "v" {
                        "VIEW"
                    } else {
                        "BASE TABLE"
                    }),
                    Value::opt_text(r.comment.clone()),
                ]
            })
            .collect(),
        "svv_columns" => visible_tables(w, user)
            .flat_map(|(s, r)| {
                r.columns.iter().enumerate().map(move |(i, c)| {
                    let mut row = super::information_schema::info_column_row(
                        database, &s.name, &r.name, i, c,
                    );
                    row.push(Value::opt_text(c.comment.clone()));
                    row
                })
            })
            .collect(),
        "pg_user" => w
            .users()
            .iter()
            .map(|u| {
                vec![
                    Value::text(&u.name),
                    int(u.id),
                    Value::Bool(u.createdb),
                    Value::Bool(u.superuser),
                    Value::text("********"),
                    Value::Null,
                    Value::Null,
                ]
            })
            .collect(),
        "pg_group" => w
            .groups()
            .iter()
            .map(|g| {
                let ids: Vec<String> = g.members.iter().map(u32::to_string).collect();
                vec![Value::text(&g.name), int(g.id), Value::text(format!("{{{}}}", ids.join(",")))]
            })
            .collect(),
        "pg_database" => w
            .databases()
            .iter()
            .filter(|d| d.kind == DatabaseKind::Local)
            .map(|d| vec![Value::text(&d.name), int(d.owner)])
            .collect(),
        // "regular users see only their own rows" (r_PG_DEFAULT_ACL.md, §1.4/§1.5).
        "pg_default_acl" => {
            let mut keys: Vec<(u32, Option<u32>)> = w
                .default_acls()
                .filter(|d| su || d.owner == user)
                .map(|d| (d.owner, d.schema))
                .collect();
            keys.dedup();
            keys.into_iter()
                .map(|(owner, schema)| {
                    let grantees: Vec<&Grantee> = w
                        .default_acls()
                        .filter(|d| d.owner == owner && d.schema == schema)
                        .map(|d| &d.grantee)
                        .collect();
                    let entries: Vec<(&Grantee, String)> =
                        grantees.into_iter().map(|g| (g, "r".to_string())).collect();
                    vec![
                        int(owner),
                        int(schema.unwrap_or(0)),
                        Value::text("r"),
                        acl_text(w, owner, &entries),
                    ]
                })
                .collect()
        }
        "pg_external_schema" | "svv_external_schemas" => w
            .schemas()
            .iter()
            .filter(|s| matches!(s.kind, SchemaKind::External { .. }) && uses(s))
            .map(|s| {
                let (db, kind) = match &s.kind {
                    SchemaKind::External { source_database, eskind } => {
                        (source_database.clone(), *eskind)
                    }
                    _ => (String::new(), 0),
                };
                vec![
                    int(s.oid),
                    Value::Int(i64::from(kind)),
                    Value::text(&s.name),
                    int(s.owner),
                    Value::text(db),
                    Value::Null,
                ]
            })
            .collect(),
        "svv_roles" => {
            let mine = w.role_closure(user);
            w.roles()
                .iter()
                .filter(|r| su || mine.contains(&r.id))
                .map(|r| {
                    vec![
                        int(r.id),
                        Value::text(&r.name),
                        Value::text(w.user_name(r.owner)),
                        Value::Null,
                    ]
                })
                .collect()
        }
        "svv_external_tables" | "svv_external_columns" => {
            let mut out = Vec::new();
            for t in w.external_tables() {
                let Some(s) = w.schema(t.schema).filter(|s| uses(s)) else {
                    continue;
                };
                if name == "svv_external_tables" {
                    out.push(vec![
                        Value::text(&s.name),
                        Value::text(&t.name),
                        Value::text(&t.location),
                    ]);
                } else {
                    for (i, c) in t.columns.iter().enumerate() {
                        out.push(vec![
                            Value::text(&s.name),
                            Value::text(&t.name),
                            Value::text(&c.name),
                            Value::text(&c.type_name),
                            Value::Int(i as i64 + 1),
                            Value::Int(0),
                            Value::text("true"),
                        ]);
                    }
                }
            }
            out
        }
        "svv_redshift_databases" => w
            .databases()
            .iter()
            .filter(|d| w.database_usage(user, d))
            .map(|d| {
                let kind = if d.kind == DatabaseKind::Local { "local" } else { "shared" };
                vec![Value::text(&d.name), int(d.owner), Value::text(kind), Value::Null]
            })
            .collect(),
        "svv_redshift_schemas" | "svv_all_schemas" => {
            let all = name == "svv_all_schemas";
            let mut out = Vec::new();
            for s in w.schemas() {
                let external = matches!(s.kind, SchemaKind::External { .. });
                if (external && !all) || !uses(s) {
                    continue;
                }
                let (ty, source) = match &s.kind {
                    SchemaKind::External { source_database, .. } => {
                        ("external", Value::text(source_database))
                    }
                    _ => ("local", Value::Null),
                };
                let mut row = vec![
                    Value::text(database),
                    Value::text(&s.name),
                    int(s.owner),
                    Value::text(ty),
                    schema_acl(w, s),
                ];
                if all {
                    row.push(source);
                }
                row.push(Value::Null);
                out.push(row);
            }
            for d in w.databases().iter().filter(|d| matches!(d.kind, DatabaseKind::Shared { .. }))
            {
                if !w.database_usage(user, d) {
                    continue;
                }
                for s in &d.shared_schemas {
                    let mut row = vec![
                        Value::text(&d.name),
                        Value::text(&s.name),
                        int(d.owner),
                        Value::text("shared"),
                        Value::Null,
                    ];
                    if all {
                        row.push(Value::Null);
                    }
                    row.push(Value::Null);
                    out.push(row);
                }
            }
            out
        }
        "svv_table_info" => w
            .relations()
            .iter()
            .filter(|r| r.kind == RelationKind::Table)
            .map(|r| {
                vec![
                    Value::text(database),
                    Value::text(schema_name(r.schema)),
                    int(r.oid),
                    Value::text(&r.name),
                    Value::Int(0),
                ]
            })
            .collect(),
        other => super::privileges::rows(other, w, user).unwrap_or_default(),
    }
}

/// Relations the user may see in information_schema / SVV_TABLES: owned, readable, or superuser
/// (PostgreSQL's "has some privilege" rule).
pub fn visible_tables(
    w: &Warehouse,
    user: u32,
) -> impl Iterator<Item = (&crate::catalog::Schema, &crate::catalog::Relation)> {
    let su = w.is_superuser(user);
    w.relations().iter().filter_map(move |r| {
        let s = w.schema(r.schema)?;
        (su || r.owner == user || w.table_select(user, r)).then_some((s, r))
    })
}

/// Deterministic sample rows of a user table: `sample_rows` rows whose values follow from the
/// column types and the row number (ids count up, amounts and timestamps vary, text is readable).
pub fn sample_rows(r: &crate::catalog::Relation) -> Vec<Vec<Value>> {
    (0..i64::from(r.sample_rows))
        .map(|i| {
            r.columns
                .iter()
                .enumerate()
                .map(|(c, col)| {
                    let oid = type_oid(&col.type_name);
                    let seed = i * 31 + c as i64 * 17;
                    match oid {
                        20 | 21 | 23 if c == 0 => Value::Int(i + 1),
                        20 | 21 | 23 => Value::Int(seed % 97 + 1),
                        700 | 701 | 1700 => Value::Float(((seed * 7919) % 100_000) as f64 / 100.0),
                        16 => Value::Bool(i % 3 != 0),
                        1082 => Value::text(format!("2024-{:02}-{:02}", i % 12 + 1, i % 28 + 1)),
                        1114 | 1184 => Value::text(format!(
                            "2024-{:02}-{:02} {:02}:{:02}:00",
                            i % 12 + 1,
                            i % 28 + 1,
                            i % 24,
                            (i * 7) % 60
                        )),
                        _ if col.name.contains("email") => {
                            Value::text(format!("user{}@example.com", i + 1))
                        }
                        _ => Value::text(format!("{} {}", col.name, i + 1)),
                    }
                })
                .collect()
        })
        .collect()
}

/// `pg_get_late_binding_view_cols()`: (view_schema, view_name, col_name, col_type, col_num) of every
/// late-binding view, with no privilege filter (redshift.md §2).
pub fn late_binding_view_cols(w: &Warehouse) -> Vec<Vec<Value>> {
    w.relations()
        .iter()
        .filter(|r| r.kind == RelationKind::LateBindingView)
        .flat_map(|r| {
            let schema = w.schema(r.schema).map(|s| s.name.clone()).unwrap_or_default();
            r.columns.iter().enumerate().map(move |(i, c)| {
                vec![
                    Value::text(&schema),
                    Value::text(&r.name),
                    Value::text(&c.name),
                    Value::text(&c.type_name),
                    Value::Int(i as i64 + 1),
                ]
            })
        })
        .collect()
}
