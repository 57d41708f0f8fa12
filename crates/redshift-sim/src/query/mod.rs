//! Evaluation of the catalog-query subset (redshift.md §2): one relation per branch (a system
//! relation, a user table/view — always empty —, an external table, or
//! `pg_get_late_binding_view_cols()`), WHERE, UNION [ALL], ORDER BY, LIMIT, and the scalar functions
//! Shiftgate uses. Enforces schema USAGE / relation SELECT and the leader-node rule (§1.5).

use std::cmp::Ordering;

pub mod engine;
mod fast_hash;
pub mod information_schema;
pub mod privileges;
pub mod system;

use crate::catalog::{
    Column, PG_CATALOG_OID, PUBLIC_OID, RelationKind, SchemaKind, SchemaPrivilege, Warehouse,
};
use crate::error::SqlError;
use crate::exec::{ExecContext, Outcome, Value};
use crate::protocol::{FieldDescription, WireType};
use crate::sql::ast::{CmpOp, Expr, FromItem, ObjectName, Query, Select, SelectItem};
use crate::sql::lexer::tokenize;
use crate::sql::parser::Parser;

/// Leader-node-only functions (redshift.md §1.5, `c_SQL_functions_leader_node_only.md`).
pub(crate) const LEADER_ONLY: [&str; 5] = [
    "has_schema_privilege",
    "has_table_privilege",
    "has_database_privilege",
    "version",
    "current_schemas",
];

#[derive(Debug, Clone, PartialEq)]
enum SourceKind {
    Nothing,
    System(String),
    /// A user table/view (schema name, relation name) — runs on compute nodes.
    User {
        schema: String,
        name: String,
        oid: u32,
        schema_oid: u32,
    },
    External {
        schema_oid: u32,
        schema: String,
    },
    LateBindingCols,
}

/// The FROM item resolved: what it is, the names that may qualify its columns, and its columns.
struct Input {
    kind: SourceKind,
    qualifiers: Vec<String>,
    columns: Vec<(String, WireType, String)>,
}

fn wire_type_of(type_name: &str) -> WireType {
    let base = type_name.split('(').next().unwrap_or("").trim();
    match base {
        "integer" | "int" | "int4" | "smallint" | "int2" => WireType::Int4,
        "boolean" | "bool" => WireType::Bool,
        _ => WireType::Text,
    }
}

fn type_name_of(t: WireType) -> &'static str {
    match t {
        WireType::Int2 => "smallint",
        WireType::Int4 | WireType::Oid => "integer",
        WireType::Int8 => "bigint",
        WireType::Bool => "boolean",
        WireType::Float8 => "double precision",
        WireType::Numeric => "numeric",
        WireType::Date => "date",
        WireType::Timestamp => "timestamp without time zone",
        _ => "character varying(256)",
    }
}

fn undefined_relation(name: &ObjectName) -> SqlError {
    let full = match &name.schema {
        Some(s) => format!("{s}.{}", name.name),
        None => name.name.clone(),
    };
    SqlError::new("42P01", format!("relation \"{full}\" does not exist"))
}

fn resolve(from: Option<&FromItem>, w: &Warehouse) -> Result<Input, SqlError> {
    let Some(from) = from else {
        return Ok(Input {
            kind: SourceKind::Nothing,
            qualifiers: Vec::new(),
            columns: Vec::new(),
        });
    };
    match from {
        FromItem::Function { name, alias, columns } => {
            if name != "pg_get_late_binding_view_cols" {
                return Err(SqlError::unsupported(format!("function {name} in FROM")));
            }
            if columns.len() != 5 {
                return Err(SqlError::new(
                    "42601",
                    "a column definition list is required for functions returning \"record\"",
                ));
            }
            Ok(Input {
                kind: SourceKind::LateBindingCols,
                qualifiers: vec![alias.clone()],
                columns: columns
                    .iter()
                    .map(|c| (c.name.clone(), wire_type_of(&c.type_name), c.type_name.clone()))
                    .collect(),
            })
        }
        FromItem::Relation { name, alias } => {
            let mut qualifiers = vec![name.name.clone()];
            if let Some(a) = alias {
                qualifiers = vec![a.clone()];
            }
            let schema = name.schema.as_deref();
            if schema.is_none() || schema == Some("pg_catalog") {
                if let Some(cols) = system::columns(&name.name) {
                    return Ok(Input {
                        kind: SourceKind::System(name.name.clone()),
                        qualifiers,
                        columns: cols
                            .into_iter()
                            .map(|(n, t)| (n, t, type_name_of(t).to_string()))
                            .collect(),
                    });
                }
                if system::is_known(&name.name) {
                    return Err(SqlError::unsupported(format!("system relation {}", name.name)));
                }
                if schema.is_some() {
                    return Err(undefined_relation(name));
                }
            }
            if schema == Some("information_schema") {
                return Err(SqlError::unsupported(format!("information_schema.{}", name.name)));
            }
            let s = match schema {
                None => w.schema(PUBLIC_OID),
                Some(s) => w.schema_by_name(s),
            }
            .ok_or_else(|| undefined_relation(name))?;
            if let SchemaKind::External { .. } = s.kind {
                let t = w
                    .external_tables()
                    .iter()
                    .find(|t| t.schema == s.oid && t.name == name.name)
                    .ok_or_else(|| undefined_relation(name))?;
                return Ok(Input {
                    kind: SourceKind::External { schema_oid: s.oid, schema: s.name.clone() },
                    qualifiers,
                    columns: t.columns.iter().map(col_triple).collect(),
                });
            }
            let r = w.relation(s.oid, &name.name).ok_or_else(|| undefined_relation(name))?;
            Ok(Input {
                kind: SourceKind::User {
                    schema: s.name.clone(),
                    name: r.name.clone(),
                    oid: r.oid,
                    schema_oid: s.oid,
                },
                qualifiers,
                columns: r.columns.iter().map(col_triple).collect(),
            })
        }
    }
}

fn col_triple(c: &Column) -> (String, WireType, String) {
    (c.name.clone(), wire_type_of(&c.type_name), c.type_name.clone())
}

/// Rows of the FROM item, after the privilege checks Redshift makes (redshift.md §3.5 42501 texts).
fn load(input: &Input, w: &Warehouse, user: u32, db: &str) -> Result<Vec<Vec<Value>>, SqlError> {
    let usage = |schema_oid: u32, schema: &str| -> Result<(), SqlError> {
        match w.schema(schema_oid) {
            Some(s) if w.schema_privilege(user, s, SchemaPrivilege::Usage) => Ok(()),
            _ => Err(SqlError::permission_denied(format!("for schema {schema}"))),
        }
    };
    match &input.kind {
        SourceKind::Nothing => Ok(vec![Vec::new()]),
        SourceKind::LateBindingCols => Ok(system::late_binding_view_cols(w)),
        SourceKind::System(name) => {
            let rel = w.relation(PG_CATALOG_OID, name);
            if let Some(r) = rel
                && !w.table_select(user, r)
            {
                return Err(SqlError::permission_denied(format!("for relation {name}")));
            }
            Ok(system::rows(name, w, user, db))
        }
        SourceKind::User { schema, name, oid, schema_oid } => {
            usage(*schema_oid, schema)?;
            match w.relation_by_oid(*oid) {
                Some(r) if w.table_select(user, r) => Ok(Vec::new()),
                _ => Err(SqlError::permission_denied(format!("for relation {name}"))),
            }
        }
        SourceKind::External { schema_oid, schema } => {
            usage(*schema_oid, schema)?;
            Ok(Vec::new())
        }
    }
}

struct Env<'a> {
    w: &'a Warehouse,
    user: u32,
    session_user: u32,
    db: &'a str,
    input: &'a Input,
}

impl Env<'_> {
    fn column_index(&self, qualifier: Option<&str>, name: &str) -> Result<usize, SqlError> {
        if let Some(q) = qualifier
            && !self.input.qualifiers.iter().any(|x| x == q)
        {
            return Err(SqlError::new(
                "42P01",
                format!("missing FROM-clause entry for table \"{q}\""),
            ));
        }
        self.input
            .columns
            .iter()
            .position(|(n, _, _)| n == name)
            .ok_or_else(|| SqlError::new("42703", format!("column \"{name}\" does not exist")))
    }

    fn expr_type(&self, e: &Expr) -> Result<WireType, SqlError> {
        Ok(match e {
            Expr::Column { qualifier, name } => {
                self.input.columns[self.column_index(qualifier.as_deref(), name)?].1
            }
            Expr::Int(_) => WireType::Int4,
            Expr::Bool(_) => WireType::Bool,
            Expr::Str(_) | Expr::Null | Expr::Concat(..) => WireType::Text,
            Expr::Cast { type_name, .. } => wire_type_of(type_name),
            Expr::Call { name, .. } => match name.as_str() {
                n if n.starts_with("has_") || n == "user_is_member_of" => WireType::Bool,
                "pg_backend_pid" | "strpos" | "length" => WireType::Int4,
                _ => WireType::Text,
            },
            _ => WireType::Bool,
        })
    }

    fn user_arg(&self, v: &Value) -> Result<u32, SqlError> {
        match v {
            Value::Int(id) => {
                u32::try_from(*id).ok().filter(|id| self.w.user(*id).is_some()).ok_or_else(|| {
                    SqlError::undefined_object(format!("user with ID {id} does not exist"))
                })
            }
            other => {
                let name = other.render().unwrap_or_default();
                Ok(self.w.require_user(&name)?.id)
            }
        }
    }

    fn call(&self, name: &str, args: &[Value]) -> Result<Value, SqlError> {
        let text = |i: usize| args.get(i).and_then(Value::render).unwrap_or_default();
        let arity = |allowed: &[usize]| check_arity(name, args.len(), allowed);
        match name {
            "current_user" => Ok(Value::text(self.w.user_name(self.user))),
            "session_user" => Ok(Value::text(self.w.user_name(self.session_user))),
            "current_database" => Ok(Value::text(self.db)),
            "current_schema" => Ok(Value::text("public")),
            "current_schemas" => Ok(Value::text("{public}")),
            // redshift.md §3.2
            "version" => Ok(Value::text(format!(
                "PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 (Red Hat 3.4.2-6.fc3), Redshift {}",
                self.w.cluster_version
            ))),
            "pg_get_userbyid" => {
                arity(&[1])?;
                let id = args[0].clone().coerce(WireType::Int4);
                Ok(match id {
                    Value::Int(i) => match u32::try_from(i).ok().and_then(|i| self.w.user(i)) {
                        Some(u) => Value::text(&u.name),
                        None => Value::text(format!("unknown (UID={i})")),
                    },
                    _ => Value::Null,
                })
            }
            "quote_ident" => {
                arity(&[1])?;
                Ok(args[0].render().map(|s| Value::text(quote_ident(&s))).unwrap_or(Value::Null))
            }
            "lower" => {
                Ok(Value::opt_text(args.first().and_then(Value::render).map(|s| s.to_lowercase())))
            }
            "upper" => {
                Ok(Value::opt_text(args.first().and_then(Value::render).map(|s| s.to_uppercase())))
            }
            "coalesce" => Ok(args.iter().find(|v| !v.is_null()).cloned().unwrap_or(Value::Null)),
            "has_schema_privilege" => {
                arity(&[2, 3])?;
                let (user, rest) =
                    if args.len() == 3 { (self.user_arg(&args[0])?, 1) } else { (self.user, 0) };
                let schema = self.w.require_schema(&text(rest))?;
                let p = match text(rest + 1).to_ascii_uppercase().as_str() {
                    "USAGE" => SchemaPrivilege::Usage,
                    "CREATE" => SchemaPrivilege::Create,
                    other => {
                        return Err(SqlError::new(
                            "22023",
                            format!("unrecognized privilege type: \"{other}\""),
                        ));
                    }
                };
                Ok(Value::Bool(self.w.schema_privilege(user, schema, p)))
            }
            "has_table_privilege" => {
                arity(&[2, 3])?;
                let (user, rest) =
                    if args.len() == 3 { (self.user_arg(&args[0])?, 1) } else { (self.user, 0) };
                let rel = lookup_relation_text(self.w, &text(rest))?;
                let p = text(rest + 1).to_ascii_uppercase();
                match p.as_str() {
                    "SELECT" => Ok(Value::Bool(self.w.table_select(user, rel))),
                    "INSERT" | "UPDATE" | "DELETE" | "REFERENCES" => {
                        Ok(Value::Bool(self.w.table_privilege(user, rel, &p)))
                    }
                    other => Err(SqlError::new(
                        "22023",
                        format!("unrecognized privilege type: \"{other}\""),
                    )),
                }
            }
            "has_database_privilege" => {
                arity(&[2, 3])?;
                let (user, rest) =
                    if args.len() == 3 { (self.user_arg(&args[0])?, 1) } else { (self.user, 0) };
                let dbname = text(rest);
                let db = self.w.database(&dbname).ok_or_else(|| {
                    SqlError::new("3D000", format!("database \"{dbname}\" does not exist"))
                })?;
                let su = self.w.is_superuser(user) || db.owner == user;
                Ok(Value::Bool(match text(rest + 1).to_ascii_uppercase().as_str() {
                    "TEMP" | "TEMPORARY" => true,
                    "USAGE" => self.w.database_usage(user, db),
                    "CREATE" => su,
                    other => {
                        return Err(SqlError::new(
                            "22023",
                            format!("unrecognized privilege type: \"{other}\""),
                        ));
                    }
                }))
            }
            "user_is_member_of" => {
                arity(&[2])?;
                let user = self.user_arg(&args[0])?;
                let target = text(1);
                if let Some(g) = self.w.group_by_name(&target) {
                    return Ok(Value::Bool(g.members.contains(&user)));
                }
                let role = self.w.require_role(&target)?;
                Ok(Value::Bool(self.w.role_closure(user).contains(&role.id)))
            }
            _ => Err(SqlError::unsupported(format!("function {name}()"))),
        }
    }

    fn eval(&self, e: &Expr, row: &[Value]) -> Result<Value, SqlError> {
        Ok(match e {
            Expr::Column { qualifier, name } => {
                let i = self.column_index(qualifier.as_deref(), name)?;
                row.get(i).cloned().unwrap_or(Value::Null)
            }
            Expr::Str(s) => Value::text(s),
            Expr::Int(i) => Value::Int(*i),
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Null => Value::Null,
            Expr::Call { name, args } => {
                let vals = args.iter().map(|a| self.eval(a, row)).collect::<Result<Vec<_>, _>>()?;
                self.call(name, &vals)?
            }
            Expr::Concat(a, b) => {
                match (self.eval(a, row)?.render(), self.eval(b, row)?.render()) {
                    (Some(a), Some(b)) => Value::text(a + &b),
                    _ => Value::Null,
                }
            }
            Expr::Cmp(op, a, b) => {
                let ord = self.eval(a, row)?.compare(&self.eval(b, row)?);
                match ord {
                    None => Value::Null,
                    Some(o) => Value::Bool(match op {
                        CmpOp::Eq => o == Ordering::Equal,
                        CmpOp::Ne => o != Ordering::Equal,
                        CmpOp::Lt => o == Ordering::Less,
                        CmpOp::Le => o != Ordering::Greater,
                        CmpOp::Gt => o == Ordering::Greater,
                        CmpOp::Ge => o != Ordering::Less,
                    }),
                }
            }
            Expr::InList { expr, list, negated } => {
                let v = self.eval(expr, row)?;
                if v.is_null() {
                    return Ok(Value::Null);
                }
                let mut saw_null = false;
                for item in list {
                    match v.compare(&self.eval(item, row)?) {
                        Some(Ordering::Equal) => return Ok(Value::Bool(!negated)),
                        None => saw_null = true,
                        _ => {}
                    }
                }
                if saw_null { Value::Null } else { Value::Bool(*negated) }
            }
            Expr::Like { expr, pattern, negated } => {
                match (self.eval(expr, row)?.render(), self.eval(pattern, row)?.render()) {
                    (Some(s), Some(p)) => Value::Bool(like(&s, &p) != *negated),
                    _ => Value::Null,
                }
            }
            Expr::IsNull { expr, negated } => {
                Value::Bool(self.eval(expr, row)?.is_null() != *negated)
            }
            Expr::And(a, b) => match (self.eval(a, row)?.truth(), self.eval(b, row)?.truth()) {
                (Some(false), _) | (_, Some(false)) => Value::Bool(false),
                (Some(true), Some(true)) => Value::Bool(true),
                _ => Value::Null,
            },
            Expr::Or(a, b) => match (self.eval(a, row)?.truth(), self.eval(b, row)?.truth()) {
                (Some(true), _) | (_, Some(true)) => Value::Bool(true),
                (Some(false), Some(false)) => Value::Bool(false),
                _ => Value::Null,
            },
            Expr::Not(a) => match self.eval(a, row)?.truth() {
                Some(b) => Value::Bool(!b),
                None => Value::Null,
            },
            Expr::Cast { expr, type_name } => self.eval(expr, row)?.coerce(wire_type_of(type_name)),
        })
    }
}

/// The scalar functions shared with the sqlparser-based engine (`engine`): session functions,
/// `pg_get_userbyid`, `quote_ident`, `lower`/`upper`, and the privilege inquiry functions.
/// A function called with an argument count it does not take fails as PostgreSQL's lookup does.
pub(crate) fn check_arity(name: &str, given: usize, allowed: &[usize]) -> Result<(), SqlError> {
    if allowed.contains(&given) {
        Ok(())
    } else {
        Err(SqlError::new(
            "42883",
            format!("function {name} with {given} argument(s) does not exist"),
        ))
    }
}

pub(crate) fn call_builtin(
    w: &Warehouse,
    user: u32,
    session_user: u32,
    db: &str,
    name: &str,
    args: &[Value],
) -> Result<Value, SqlError> {
    let input = Input { kind: SourceKind::Nothing, qualifiers: Vec::new(), columns: Vec::new() };
    Env { w, user, session_user, db, input: &input }.call(name, args)
}

/// Resolves the text argument of `has_table_privilege` (`schema.table`, quoted parts allowed;
/// unqualified names searched in pg_catalog then public).
fn lookup_relation_text<'w>(
    w: &'w Warehouse,
    text: &str,
) -> Result<&'w crate::catalog::Relation, SqlError> {
    let missing = || SqlError::new("42P01", format!("relation \"{text}\" does not exist"));
    let tokens = tokenize(text).map_err(|_| missing())?;
    let mut p = Parser::new(&tokens);
    let name = p.object_name().map_err(|_| missing())?;
    if p.peek().is_some() {
        return Err(missing());
    }
    match &name.schema {
        Some(s) => w.schema_by_name(s).and_then(|s| w.relation(s.oid, &name.name)),
        None => {
            w.relation(PG_CATALOG_OID, &name.name).or_else(|| w.relation(PUBLIC_OID, &name.name))
        }
    }
    .ok_or_else(missing)
}

/// PostgreSQL's quote_ident: quotes unless the name is a lower-case simple identifier.
pub fn quote_ident(s: &str) -> String {
    let simple = s.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    const KEYWORDS: [&str; 12] = [
        "select", "from", "where", "table", "user", "group", "order", "all", "and", "or", "not",
        "default",
    ];
    if simple && !KEYWORDS.contains(&s) {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

/// LIKE with `%`, `_` and `\` as the escape character.
pub(crate) fn like(s: &str, p: &str) -> bool {
    let s: Vec<char> = s.chars().collect();
    let p: Vec<char> = p.chars().collect();
    // dp[j] = pattern[..i] matches s[..j]
    let mut tokens: Vec<(char, bool)> = Vec::new(); // (char, is_literal)
    let mut i = 0;
    while i < p.len() {
        if p[i] == '\\' && i + 1 < p.len() {
            tokens.push((p[i + 1], true));
            i += 2;
        } else {
            tokens.push((p[i], false));
            i += 1;
        }
    }
    let mut dp = vec![false; s.len() + 1];
    dp[0] = true;
    for (c, literal) in tokens {
        let mut next = vec![false; s.len() + 1];
        if c == '%' && !literal {
            let mut any = false;
            for j in 0..=s.len() {
                any |= dp[j];
                next[j] = any;
            }
        } else {
            for j in 1..=s.len() {
                next[j] = dp[j - 1] && ((c == '_' && !literal) || s[j - 1] == c);
            }
        }
        dp = next;
    }
    dp[s.len()]
}

fn walk(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    match e {
        Expr::Call { args, .. } => args.iter().for_each(|a| walk(a, f)),
        Expr::Concat(a, b) | Expr::Cmp(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
            walk(a, f);
            walk(b, f);
        }
        Expr::InList { expr, list, .. } => {
            walk(expr, f);
            list.iter().for_each(|a| walk(a, f));
        }
        Expr::Like { expr, pattern, .. } => {
            walk(expr, f);
            walk(pattern, f);
        }
        Expr::IsNull { expr, .. } | Expr::Not(expr) | Expr::Cast { expr, .. } => walk(expr, f),
        _ => {}
    }
}

fn branch_exprs(s: &Select) -> Vec<&Expr> {
    let mut out: Vec<&Expr> = s
        .items
        .iter()
        .filter_map(|i| match i {
            SelectItem::Expr { expr, .. } => Some(expr),
            SelectItem::Wildcard => None,
        })
        .collect();
    out.extend(s.filter.iter());
    out
}

/// redshift.md §1.5/§2: leader-node-only functions can't be combined with user tables or
/// STL/STV/SVL/SVV views. Real Redshift answers with INFO lines naming each function, then this
/// ERROR (SQLSTATE 0A000) — wording as commonly reported by Redshift users.
fn check_leader_node(q: &Query, inputs: &[Input]) -> Result<(), SqlError> {
    let mut uses = false;
    for e in q.branches.iter().flat_map(branch_exprs).chain(q.order_by.iter().map(|o| &o.expr)) {
        walk(e, &mut |x| {
            if let Expr::Call { name, .. } = x
                && LEADER_ONLY.contains(&name.as_str())
            {
                uses = true;
            }
        });
    }
    let compute = inputs.iter().any(|i| match &i.kind {
        SourceKind::User { .. } | SourceKind::External { .. } => true,
        SourceKind::System(n) => system::is_compute_view(n),
        _ => false,
    });
    if uses && compute {
        return Err(SqlError::new(
            "0A000",
            "Specified types or functions (one per INFO message) not supported on Redshift tables.",
        ));
    }
    Ok(())
}

fn output_name(item: &SelectItem, expr: &Expr) -> String {
    if let SelectItem::Expr { alias: Some(a), .. } = item {
        return a.clone();
    }
    match expr {
        Expr::Column { name, .. } => name.clone(),
        Expr::Call { name, .. } => name.clone(),
        Expr::Cast { expr, .. } => output_name(&SelectItem::Wildcard, expr),
        _ => "?column?".to_string(),
    }
}

/// The projection of one branch: (output name, type, expression). Wildcards expand to input columns.
fn projection(s: &Select, env: &Env<'_>) -> Result<Vec<(String, WireType, Expr)>, SqlError> {
    let mut out = Vec::new();
    for item in &s.items {
        match item {
            SelectItem::Wildcard => {
                if env.input.columns.is_empty() {
                    return Err(SqlError::new(
                        "42601",
                        "SELECT * with no tables specified is not valid",
                    ));
                }
                for (n, t, _) in &env.input.columns {
                    out.push((n.clone(), *t, Expr::Column { qualifier: None, name: n.clone() }));
                }
            }
            SelectItem::Expr { expr, .. } => {
                out.push((output_name(item, expr), env.expr_type(expr)?, expr.clone()));
            }
        }
    }
    Ok(out)
}

struct Planned {
    fields: Vec<FieldDescription>,
    inputs: Vec<Input>,
    projections: Vec<Vec<(String, WireType, Expr)>>,
}

fn plan(
    q: &Query,
    w: &Warehouse,
    user: u32,
    session_user: u32,
    db: &str,
) -> Result<Planned, SqlError> {
    let inputs =
        q.branches.iter().map(|b| resolve(b.from.as_ref(), w)).collect::<Result<Vec<_>, _>>()?;
    check_leader_node(q, &inputs)?;
    let mut projections = Vec::new();
    for (b, input) in q.branches.iter().zip(&inputs) {
        let env = Env { w, user, session_user, db, input };
        projections.push(projection(b, &env)?);
    }
    let first = &projections[0];
    let mut fields: Vec<FieldDescription> =
        first.iter().map(|(n, t, _)| FieldDescription::new(n.clone(), *t)).collect();
    for p in &projections[1..] {
        if p.len() != fields.len() {
            return Err(SqlError::new(
                "42601",
                "each UNION query must have the same number of columns",
            ));
        }
        for (f, (_, t, _)) in fields.iter_mut().zip(p) {
            if f.ty != *t {
                f.ty = WireType::Text;
            }
        }
    }
    Ok(Planned { fields, inputs, projections })
}

/// Columns of a view defined by `q` (types kept from base columns where they are plain references).
pub fn view_columns(q: &Query, w: &Warehouse, user: u32) -> Result<Vec<Column>, SqlError> {
    let planned = plan(q, w, user, user, "dev")?;
    Ok(planned.projections[0]
        .iter()
        .map(|(name, ty, expr)| {
            let base = match expr {
                Expr::Column { name: c, .. } => planned.inputs[0]
                    .columns
                    .iter()
                    .find(|(n, _, _)| n == c)
                    .map(|(_, _, tn)| tn.clone()),
                _ => None,
            };
            Column::new(name, &base.unwrap_or_else(|| type_name_of(*ty).to_string()))
        })
        .collect())
}

fn sleep_field(q: &Query) -> Option<FieldDescription> {
    match q.branches.as_slice() {
        [b] if b.from.is_none() => match b.items.as_slice() {
            [SelectItem::Expr { expr: Expr::Call { name, .. }, alias }] if name == "pg_sleep" => {
                Some(FieldDescription::new(
                    alias.clone().unwrap_or_else(|| "pg_sleep".into()),
                    WireType::Text,
                ))
            }
            _ => None,
        },
        _ => None,
    }
}

pub fn run(q: &Query, ctx: &mut ExecContext<'_>) -> Result<Outcome, SqlError> {
    if sleep_field(q).is_some() {
        // Test-only helper so there is something to cancel (pg_sleep exists on the leader node).
        if let Some(SelectItem::Expr { expr: Expr::Call { args, .. }, .. }) =
            q.branches[0].items.first()
        {
            let secs = match args.first() {
                Some(Expr::Int(i)) => *i as f64,
                Some(Expr::Str(s)) => s.parse().unwrap_or(0.0),
                _ => return Err(SqlError::new("42883", "function pg_sleep() does not exist")),
            };
            return Ok(Outcome::Sleep { seconds: secs.max(0.0) });
        }
    }
    let w: &Warehouse = ctx.wh;
    let planned = plan(q, w, ctx.user, ctx.session_user, ctx.database)?;
    let union = q.branches.len() > 1;
    let out_names: Vec<&str> = planned.fields.iter().map(|f| f.name.as_str()).collect();
    let mut rows: Vec<(Vec<Value>, Vec<Value>)> = Vec::new();
    for ((b, input), proj) in q.branches.iter().zip(&planned.inputs).zip(&planned.projections) {
        let env =
            Env { w, user: ctx.user, session_user: ctx.session_user, db: ctx.database, input };
        let mut branch_rows = Vec::new();
        for row in load(input, w, ctx.user, ctx.database)? {
            if let Some(f) = &b.filter
                && env.eval(f, &row)?.truth() != Some(true)
            {
                continue;
            }
            let out: Vec<Value> = proj
                .iter()
                .zip(&planned.fields)
                .map(|((_, _, e), f)| env.eval(e, &row).map(|v| v.coerce(f.ty)))
                .collect::<Result<_, _>>()?;
            let mut keys = Vec::new();
            for o in &q.order_by {
                keys.push(match &o.expr {
                    Expr::Int(n) => out
                        .get((*n as usize).wrapping_sub(1))
                        .cloned()
                        .ok_or_else(|| SqlError::new("42P10", format!("ORDER BY position {n} is not in select list")))?,
                    Expr::Column { qualifier: None, name } if out_names.contains(&name.as_str()) => {
                        out[out_names.iter().position(|n| n == name).unwrap_or(0)].clone()
                    }
                    _ if union => {
                        return Err(SqlError::new(
                            "0A000",
                            "ORDER BY on a UNION/INTERSECT/EXCEPT result must be on one of the result columns",
                        ));
                    }
                    other => env.eval(other, &row)?,
                });
            }
            branch_rows.push((out, keys));
        }
        if b.distinct {
            dedup(&mut branch_rows);
        }
        rows.extend(branch_rows);
    }
    if q.union_distinct.iter().any(|d| *d) {
        dedup(&mut rows);
    }
    if !q.order_by.is_empty() {
        rows.sort_by(|(_, a), (_, b)| {
            for ((x, y), o) in a.iter().zip(b).zip(&q.order_by) {
                let c = x.sort_cmp(y);
                let c = if o.descending { c.reverse() } else { c };
                if c != Ordering::Equal {
                    return c;
                }
            }
            Ordering::Equal
        });
    }
    if let Some(n) = q.limit {
        rows.truncate(usize::try_from(n).unwrap_or(usize::MAX));
    }
    Ok(Outcome::Rows { fields: planned.fields, rows: rows.into_iter().map(|(r, _)| r).collect() })
}

fn dedup(rows: &mut Vec<(Vec<Value>, Vec<Value>)>) {
    let mut seen: Vec<Vec<Value>> = Vec::new();
    rows.retain(|(r, _)| {
        if seen.contains(r) {
            false
        } else {
            seen.push(r.clone());
            true
        }
    });
}

/// Whether a relation kind may be read with `SELECT` as a user relation (tables and views).
pub fn is_user_relation(kind: RelationKind) -> bool {
    !matches!(kind, RelationKind::System { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_and_quote_ident() {
        assert!(like("pg_catalog", "pg\\_%"));
        assert!(!like("pgx", "pg\\_%"));
        assert!(like("abc", "a_c"));
        assert!(like("abc", "%"));
        assert_eq!(quote_ident("Finance Data"), "\"Finance Data\"");
        assert_eq!(quote_ident("sales"), "sales");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
