//! The system relations of `pg_catalog` (pg_* catalogs and SVV views) with Redshift's columns and
//! per-user visibility (redshift.md §1.5, §2): pg_* catalogs show every row, svv_external_* /
//! svv_redshift_* / svv_all_* / pg_external_schema only what the user can use, pg_default_acl only the
//! user's own rows. Also `pg_get_late_binding_view_cols()` (§1.6). Row generation only: privilege
//! checks on the relations themselves and the leader-node rule live in `query`.

use crate::catalog::{
    Column, DatabaseKind, Grantee, PG_CATALOG_OID, RDSDB, RelationKind, SchemaKind,
    SchemaPrivilege, Warehouse,
};
use crate::protocol::WireType::{self, Bool, Int4, Text};

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
    // Known Redshift relations the simulator does not generate rows for (SELECT → not supported).
    rel("pg_table_def", true, false, &[]),
    rel("pg_class_info", true, false, &[]),
    rel("pg_attribute_info", true, false, &[]),
    rel("pg_type", true, false, &[]),
    rel("pg_description", true, false, &[]),
    rel("svv_tables", true, false, &[]),
    rel("svv_columns", true, false, &[]),
    rel("svv_all_tables", true, false, &[]),
    rel("svv_all_columns", true, false, &[]),
    rel("svv_redshift_tables", true, false, &[]),
    rel("svv_redshift_columns", true, false, &[]),
    rel("svv_schema_privileges", true, false, &[]),
    rel("svv_relation_privileges", true, false, &[]),
    rel("svv_default_privileges", true, false, &[]),
    rel("svv_user_grants", true, false, &[]),
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
        Bool => "boolean",
        Int4 => "integer",
        Text => "name",
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

/// PostgreSQL 8.0 type OID for a `format_type` name.
fn type_oid(type_name: &str) -> i64 {
    let base = type_name.split('(').next().unwrap_or("").trim();
    match base {
        "boolean" => 16,
        "name" => 19,
        "bigint" => 20,
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
        "pg_class" => w
            .relations()
            .iter()
            .map(|r| {
                let entries: Vec<(&Grantee, String)> =
                    r.select.iter().map(|g| (g, "r".to_string())).collect();
                vec![
                    int(r.oid),
                    Value::text(&r.name),
                    int(r.schema),
                    Value::text(relkind(r.kind, &r.name)),
                    int(r.owner),
                    acl_text(w, r.owner, &entries),
                ]
            })
            .collect(),
        // Late-binding views have no pg_attribute rows: their columns come from the function (§1.6).
        "pg_attribute" => w
            .relations()
            .iter()
            .filter(|r| r.kind != RelationKind::LateBindingView)
            .flat_map(|r| {
                r.columns.iter().enumerate().map(move |(i, c)| {
                    vec![
                        int(r.oid),
                        Value::text(&c.name),
                        Value::Int(type_oid(&c.type_name)),
                        Value::Int(i as i64 + 1),
                        Value::Bool(false),
                    ]
                })
            })
            .collect(),
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
        _ => Vec::new(),
    }
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
