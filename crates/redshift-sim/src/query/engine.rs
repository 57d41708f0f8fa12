//! The query engine for SELECT statements parsed by `sqlparser` (Redshift dialect): FROM with
//! inner/left/right/full/cross joins (hash join on an equality), derived tables and CTEs, WHERE,
//! GROUP BY with aggregates and HAVING, DISTINCT, UNION [ALL] / INTERSECT / EXCEPT, ORDER BY,
//! LIMIT/OFFSET, scalar / IN / EXISTS subqueries (correlated too), CASE, casts, LIKE/ILIKE/regex,
//! and the catalog functions clients call at connect and introspection time. Relations are the
//! system relations of `system`, information_schema views, and user tables with their sample
//! rows, read under Redshift's privilege checks and leader-node rule (redshift.md §1.5).

use std::borrow::Cow;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use sqlparser::ast as sp;

use super::fast_hash::FastMap as IntMap;
use super::system;
use crate::catalog::Warehouse;
use crate::catalog::{PG_CATALOG_OID, PUBLIC_OID, RelationKind, SchemaKind, SchemaPrivilege};
use crate::error::SqlError;
use crate::exec::{ExecContext, Outcome, Value};
use crate::protocol::{FieldDescription, WireType};

mod join;

/// One column of an intermediate result: the name that may qualify it and base-table metadata.
#[derive(Debug, Clone)]
struct Col {
    qual: Option<String>,
    name: String,
    ty: WireType,
    table_oid: u32,
    attnum: i16,
    schema: String,
    table: String,
}

impl Col {
    fn plain(name: impl Into<String>, ty: WireType) -> Self {
        Col {
            qual: None,
            name: name.into(),
            ty,
            table_oid: 0,
            attnum: 0,
            schema: String::new(),
            table: String::new(),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Rel {
    cols: Vec<Col>,
    rows: Vec<Vec<Value>>,
}

type Ctes = HashMap<String, Rel>;

/// One output row's input: a representative row and, when aggregating, the rows of its group.
type Unit<'r> = (&'r [Value], Option<Vec<Vec<Value>>>);

/// Where column references are looked up: the current row, the rows of the current group (for
/// aggregates), and the enclosing query's scope (correlated subqueries).
#[derive(Clone, Copy)]
struct Scope<'s> {
    cols: &'s [Col],
    row: &'s [Value],
    group: Option<&'s [Vec<Value>]>,
    parent: Option<&'s Scope<'s>>,
    /// Select-list aliases usable in WHERE (Redshift's lateral column alias reference).
    aliases: Option<&'s [(String, sp::Expr)]>,
    /// Column references of the query already resolved against `cols` (names resolved once per
    /// query, not once per row).
    bound: Option<&'s Bindings>,
}

/// Column references resolved once: expression node (by address; the statement's syntax tree
/// outlives the evaluation) → index in the columns the bindings were made for.
struct Bindings {
    cols_addr: usize,
    cols_len: usize,
    map: IntMap<usize, usize>,
}

impl Bindings {
    fn addr<T>(x: &T) -> usize {
        x as *const T as usize
    }

    /// Resolves every column reference in `exprs` (not inside subqueries) against `cols`.
    fn new<'e>(
        engine: &Engine<'_>,
        cols: &[Col],
        exprs: impl IntoIterator<Item = &'e sp::Expr>,
    ) -> Self {
        let mut map = HashMap::default();
        for e in exprs {
            walk(e, &mut |x| {
                if matches!(x, sp::Expr::Identifier(_) | sp::Expr::CompoundIdentifier(_))
                    && let Ok(i) = engine.resolve(x, cols)
                {
                    map.insert(Self::addr(x), i);
                }
            });
        }
        Bindings { cols_addr: cols.as_ptr() as usize, cols_len: cols.len(), map }
    }

    fn get(&self, e: &sp::Expr, cols: &[Col]) -> Option<usize> {
        if cols.as_ptr() as usize != self.cols_addr || cols.len() != self.cols_len {
            return None;
        }
        self.map.get(&Self::addr(e)).copied()
    }
}

const AGGREGATES: [&str; 9] =
    ["count", "sum", "avg", "min", "max", "listagg", "string_agg", "bool_and", "bool_or"];

/// Functions SQL spells without parentheses.
const NILADIC: [&str; 8] = [
    "current_user",
    "session_user",
    "user",
    "current_schema",
    "current_database",
    "current_date",
    "current_timestamp",
    "sysdate",
];

/// Nesting bound for subqueries/CTEs (sqlparser bounds expression depth itself).
const MAX_DEPTH: usize = 32;

/// What a cast's type name means, worked out once per cast node.
#[derive(Clone, Copy)]
struct CastTarget {
    regclass: bool,
    ty: WireType,
    /// `varchar(n)` / `char(n)`: explicit casts truncate to n characters.
    char_length: Option<usize>,
}

struct Engine<'a> {
    w: &'a Warehouse,
    user: u32,
    session_user: u32,
    db: &'a str,
    pid: i32,
    regexes: RefCell<HashMap<(String, bool), regex::Regex>>,
    /// Cast targets by syntax-tree node (a cast in a SELECT list is evaluated once per row).
    /// (The node is kept to check a hit: a node built during planning may reuse an address.)
    casts: RefCell<IntMap<usize, (sp::DataType, CastTarget)>>,
    /// String literals by syntax-tree node, shared instead of copied per row (node kept to check).
    literals: RefCell<IntMap<usize, (sp::Value, Value)>>,
    /// `format_type` results by (type oid, typmod): a catalog query asks once per column.
    type_names: RefCell<HashMap<(i64, Option<i64>), Value>>,
    depth: RefCell<usize>,
    /// Describe only (Parse of a prepared statement): relations are scanned with no rows, so the
    /// result columns come out without the work of the query.
    describe_only: bool,
    /// Set when, describing, an output column's type could only have come from a value.
    type_from_value: std::cell::Cell<bool>,
}

fn ident(i: &sp::Ident) -> String {
    // Redshift folds quoted identifiers to lower case too (redshift.md §1.1), unless the session
    // set enable_case_sensitive_identifier.
    crate::sql::fold_identifier(&i.value, i.quote_style == Some('"'))
}

fn name_parts(n: &sp::ObjectName) -> Result<Vec<String>, SqlError> {
    n.0.iter()
        .map(|p| match p {
            sp::ObjectNamePart::Identifier(i) => Ok(ident(i)),
            other => Err(SqlError::unsupported(format!("name part {other}"))),
        })
        .collect()
}

fn wire_type(dt: &sp::DataType) -> WireType {
    let s = dt.to_string().to_ascii_lowercase();
    let base = s.split('(').next().unwrap_or("").trim().trim_start_matches("pg_catalog.");
    match base {
        "int" | "integer" | "int4" => WireType::Int4,
        "smallint" | "int2" => WireType::Int2,
        "bigint" | "int8" => WireType::Int8,
        "oid" | "regproc" | "xid" => WireType::Oid,
        "bool" | "boolean" => WireType::Bool,
        "real" | "float4" | "float" | "float8" | "double precision" | "double" => WireType::Float8,
        "numeric" | "decimal" | "dec" => WireType::Numeric,
        "name" => WireType::Name,
        "\"char\"" => WireType::Char,
        "text" => WireType::Text,
        "date" => WireType::Date,
        b if b.starts_with("timestamp") => WireType::Timestamp,
        _ => WireType::Varchar,
    }
}

fn type_label(ty: WireType) -> &'static str {
    match ty {
        WireType::Bool => "boolean",
        WireType::Int2 => "smallint",
        WireType::Int4 => "integer",
        WireType::Int8 => "bigint",
        WireType::Oid => "oid",
        WireType::Float8 => "double precision",
        WireType::Numeric => "numeric",
        WireType::Text => "text",
        WireType::Varchar => "character varying",
        WireType::Name => "name",
        WireType::Char => "\"char\"",
        WireType::Date => "date",
        WireType::Timestamp => "timestamp without time zone",
    }
}

/// Static type of a value when the expression has no declared type (first non-null wins).
fn value_type(v: &Value) -> Option<WireType> {
    match v {
        Value::Null => None,
        Value::Int(_) => Some(WireType::Int8),
        Value::Float(_) => Some(WireType::Numeric),
        Value::Bool(_) => Some(WireType::Bool),
        Value::Text(_) => Some(WireType::Text),
    }
}

fn literal(v: &sp::Value) -> Result<Value, SqlError> {
    Ok(match v {
        sp::Value::Number(n, _) => match n.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => n.parse::<f64>().map(Value::Float).map_err(|_| SqlError::syntax_near(n))?,
        },
        sp::Value::SingleQuotedString(s)
        | sp::Value::EscapedStringLiteral(s)
        | sp::Value::NationalStringLiteral(s) => Value::text(s.clone()),
        sp::Value::DollarQuotedString(d) => Value::text(d.value.clone()),
        sp::Value::Boolean(b) => Value::Bool(*b),
        sp::Value::Null => Value::Null,
        sp::Value::Placeholder(p) => {
            return Err(SqlError::new("42P02", format!("there is no parameter {p}")));
        }
        other => return Err(SqlError::unsupported(format!("literal {other}"))),
    })
}

fn literal_type(v: &sp::Value) -> Option<WireType> {
    match v {
        sp::Value::Number(n, _) if n.parse::<i32>().is_ok() => Some(WireType::Int4),
        sp::Value::Number(n, _) if n.parse::<i64>().is_ok() => Some(WireType::Int8),
        sp::Value::Number(..) => Some(WireType::Numeric),
        sp::Value::Boolean(_) => Some(WireType::Bool),
        sp::Value::Null => None,
        _ => Some(WireType::Text),
    }
}

/// An identifier folded as `ident` does, borrowed when it folds to itself (unquoted lower case).
fn folded(i: &sp::Ident) -> Cow<'_, str> {
    if i.quote_style.is_none() && !i.value.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Borrowed(i.value.as_str())
    } else {
        Cow::Owned(ident(i))
    }
}

fn name_part(p: &sp::ObjectNamePart) -> Option<&sp::Ident> {
    match p {
        sp::ObjectNamePart::Identifier(i) => Some(i),
        _ => None,
    }
}

/// A function's name (no allocation for the usual spelling: it is looked up once per row).
fn function_name(f: &sp::Function) -> Result<Cow<'_, str>, SqlError> {
    match f.name.0.as_slice() {
        [n] if let Some(n) = name_part(n) => Ok(folded(n)),
        [s, n]
            if let (Some(s), Some(n)) = (name_part(s), name_part(n))
                && folded(s) == "pg_catalog" =>
        {
            Ok(folded(n))
        }
        _ => Err(SqlError::new("42883", format!("function {} does not exist", f.name))),
    }
}

/// The argument expressions of a call (`*` → empty, as for `count(*)`), and whether DISTINCT.
fn function_args(f: &sp::Function) -> Result<(Vec<&sp::Expr>, bool, bool), SqlError> {
    match &f.args {
        sp::FunctionArguments::None => Ok((Vec::new(), false, false)),
        sp::FunctionArguments::Subquery(_) => Err(SqlError::unsupported("subquery as argument")),
        sp::FunctionArguments::List(list) => {
            let distinct =
                matches!(list.duplicate_treatment, Some(sp::DuplicateTreatment::Distinct));
            let mut out = Vec::new();
            let mut star = false;
            for a in &list.args {
                match a {
                    sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(e)) => out.push(e),
                    sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Wildcard) => star = true,
                    other => return Err(SqlError::unsupported(format!("argument {other}"))),
                }
            }
            Ok((out, distinct, star))
        }
    }
}

fn is_aggregate(f: &sp::Function) -> bool {
    f.over.is_none()
        && function_name(f).is_ok_and(|n| AGGREGATES.contains(&n.as_ref()))
        && !matches!(f.args, sp::FunctionArguments::None)
}

/// Calls `visit` on `e` and its sub-expressions, not descending into subqueries.
fn walk(e: &sp::Expr, visit: &mut dyn FnMut(&sp::Expr)) {
    visit(e);
    use sp::Expr as E;
    match e {
        E::BinaryOp { left, right, .. }
        | E::AnyOp { left, right, .. }
        | E::AllOp { left, right, .. }
        | E::IsDistinctFrom(left, right)
        | E::IsNotDistinctFrom(left, right) => {
            walk(left, visit);
            walk(right, visit);
        }
        E::UnaryOp { expr, .. }
        | E::Nested(expr)
        | E::Cast { expr, .. }
        | E::IsNull(expr)
        | E::IsNotNull(expr)
        | E::IsTrue(expr)
        | E::IsFalse(expr)
        | E::IsNotTrue(expr)
        | E::IsNotFalse(expr)
        | E::Collate { expr, .. }
        | E::InSubquery { expr, .. } => walk(expr, visit),
        E::InList { expr, list, .. } => {
            walk(expr, visit);
            list.iter().for_each(|x| walk(x, visit));
        }
        E::Between { expr, low, high, .. } => {
            walk(expr, visit);
            walk(low, visit);
            walk(high, visit);
        }
        E::Like { expr, pattern, .. } | E::ILike { expr, pattern, .. } => {
            walk(expr, visit);
            walk(pattern, visit);
        }
        E::Case { operand, conditions, else_result, .. } => {
            if let Some(o) = operand {
                walk(o, visit);
            }
            for c in conditions {
                walk(&c.condition, visit);
                walk(&c.result, visit);
            }
            if let Some(x) = else_result {
                walk(x, visit);
            }
        }
        E::Function(f) => {
            if let Ok((args, _, _)) = function_args(f) {
                args.into_iter().for_each(|a| walk(a, visit));
            }
        }
        E::Substring { expr, substring_from, substring_for, .. } => {
            walk(expr, visit);
            substring_from.iter().chain(substring_for.iter()).for_each(|x| walk(x, visit));
        }
        E::Trim { expr, trim_what, .. } => {
            walk(expr, visit);
            trim_what.iter().for_each(|x| walk(x, visit));
        }
        E::Position { expr, r#in } => {
            walk(expr, visit);
            walk(r#in, visit);
        }
        E::CompoundFieldAccess { root, .. } => walk(root, visit),
        E::Tuple(items) => items.iter().for_each(|x| walk(x, visit)),
        _ => {}
    }
}

fn contains_aggregate(e: &sp::Expr) -> bool {
    let mut found = false;
    walk(e, &mut |x| {
        if let sp::Expr::Function(f) = x
            && is_aggregate(f)
        {
            found = true;
        }
    });
    found
}

/// PostgreSQL's output name of a select-list expression.
fn output_name(e: &sp::Expr) -> String {
    match e {
        sp::Expr::Identifier(i) => ident(i),
        sp::Expr::CompoundIdentifier(parts) => parts.last().map(ident).unwrap_or_default(),
        sp::Expr::Function(f) => {
            function_name(f).map_or_else(|_| "?column?".to_string(), Cow::into_owned)
        }
        sp::Expr::Cast { expr, data_type, .. } => match output_name(expr).as_str() {
            "?column?" => data_type.to_string().to_lowercase(),
            n => n.to_string(),
        },
        sp::Expr::Nested(inner) => output_name(inner),
        sp::Expr::Case { .. } => "case".into(),
        sp::Expr::Exists { .. } => "exists".into(),
        sp::Expr::Substring { .. } => "substring".into(),
        sp::Expr::Trim { .. } => "btrim".into(),
        sp::Expr::Position { .. } => "strpos".into(),
        _ => "?column?".into(),
    }
}

fn const_int(e: &sp::Expr, what: &str) -> Result<Option<i64>, SqlError> {
    match e {
        sp::Expr::Value(v) => match literal(&v.value)? {
            Value::Int(i) if i >= 0 => Ok(Some(i)),
            Value::Null => Ok(None),
            _ => Err(SqlError::new("2201W", format!("{what} must not be negative"))),
        },
        _ => Err(SqlError::unsupported(format!("non-constant {what}"))),
    }
}

/// Parses a PostgreSQL array literal `{a,b}` into its elements.
fn array_elements(s: &str) -> Vec<String> {
    let inner = s.trim().trim_start_matches('{').trim_end_matches('}');
    if inner.is_empty() {
        return Vec::new();
    }
    inner.split(',').map(|x| x.trim_matches('"').to_string()).collect()
}

impl<'a> Engine<'a> {
    // ---- relations --------------------------------------------------------------------------

    fn with_alias(
        mut rel: Rel,
        alias: Option<&sp::TableAlias>,
        default: &str,
    ) -> Result<Rel, SqlError> {
        let qual = alias.map(|a| ident(&a.name)).unwrap_or_else(|| default.to_string());
        if let Some(a) = alias
            && !a.columns.is_empty()
        {
            if a.columns.len() > rel.cols.len() {
                return Err(SqlError::new(
                    "42P10",
                    format!(
                        "table \"{qual}\" has {} columns available but {} columns specified",
                        rel.cols.len(),
                        a.columns.len()
                    ),
                ));
            }
            for (c, def) in rel.cols.iter_mut().zip(&a.columns) {
                c.name = ident(&def.name);
                if let Some(dt) = &def.data_type {
                    c.ty = wire_type(dt);
                }
            }
        }
        for c in &mut rel.cols {
            c.qual = Some(qual.clone());
        }
        Ok(rel)
    }

    fn usage(&self, schema_oid: u32, schema: &str) -> Result<(), SqlError> {
        match self.w.schema(schema_oid) {
            Some(s) if self.w.schema_privilege(self.user, s, SchemaPrivilege::Usage) => Ok(()),
            _ => Err(SqlError::permission_denied(format!("for schema {schema}"))),
        }
    }

    /// A system relation's columns and rows; with `want`, only the columns it names (the rest are
    /// never built).
    fn system_relation(
        &self,
        name: &str,
        want: Option<&HashSet<String>>,
    ) -> Result<Option<Rel>, SqlError> {
        let Some(cols) = system::columns(name) else {
            if system::is_known(name) {
                return Err(SqlError::unsupported(format!("system relation {name}")));
            }
            return Ok(None);
        };
        if let Some(r) = self.w.relation(PG_CATALOG_OID, name)
            && !self.w.table_select(self.user, r)
        {
            return Err(SqlError::permission_denied(format!("for relation {name}")));
        }
        let oid = self.w.relation(PG_CATALOG_OID, name).map_or(0, |r| r.oid);
        let keep: Option<Vec<usize>> = want
            .map(|want| (0..cols.len()).filter(|i| want.contains(cols[*i].0.as_str())).collect());
        let cols: Vec<Col> = cols
            .into_iter()
            .enumerate()
            .map(|(i, (n, t))| Col {
                table_oid: oid,
                attnum: i as i16 + 1,
                schema: "pg_catalog".into(),
                table: name.to_string(),
                ..Col::plain(n, t)
            })
            .collect();
        let rows = if self.describe_only {
            Vec::new()
        } else {
            system::projected_rows(name, self.w, self.user, self.db, keep.as_deref())
        };
        let cols = match &keep {
            Some(keep) => keep.iter().map(|&i| cols[i].clone()).collect(),
            None => cols,
        };
        Ok(Some(Rel { cols, rows }))
    }

    fn named_relation(
        &self,
        parts: &[String],
        ctes: &Ctes,
        want: Option<&HashSet<String>>,
    ) -> Result<Rel, SqlError> {
        let missing =
            || SqlError::new("42P01", format!("relation \"{}\" does not exist", parts.join(".")));
        let (schema, name) = match parts {
            [n] => (None, n.as_str()),
            [s, n] => (Some(s.as_str()), n.as_str()),
            [d, s, n] if d == self.db => (Some(s.as_str()), n.as_str()),
            [d, _, _] => {
                return Err(SqlError::unsupported(format!("cross-database reference to {d}")));
            }
            _ => return Err(missing()),
        };
        if schema.is_none()
            && let Some(rel) = ctes.get(name)
        {
            return Ok(rel.clone());
        }
        if (schema.is_none() || schema == Some("pg_catalog"))
            && let Some(rel) = self.system_relation(name, want)?
        {
            return Ok(rel);
        }
        if schema == Some("pg_catalog") {
            return Err(missing());
        }
        if schema == Some("information_schema") {
            let cols = system::information_schema_columns(name)
                .ok_or_else(|| SqlError::unsupported(format!("information_schema.{name}")))?;
            return Ok(Rel {
                cols: cols.into_iter().map(|(n, t)| Col::plain(n, t)).collect(),
                rows: if self.describe_only {
                    Vec::new()
                } else {
                    system::information_schema_rows(name, self.w, self.user, self.db)
                },
            });
        }
        let s = match schema {
            None => self.w.schema(PUBLIC_OID),
            Some(s) => self.w.schema_by_name(s),
        }
        .ok_or_else(missing)?;
        if let SchemaKind::External { .. } = s.kind {
            let t = self
                .w
                .external_tables()
                .iter()
                .find(|t| t.schema == s.oid && t.name == name)
                .ok_or_else(missing)?;
            self.usage(s.oid, &s.name)?;
            return Ok(Rel {
                cols: t
                    .columns
                    .iter()
                    .map(|c| Col::plain(&c.name, wire_type_of_name(&c.type_name)))
                    .collect(),
                rows: Vec::new(),
            });
        }
        let r = self.w.relation(s.oid, name).ok_or_else(missing)?;
        self.usage(s.oid, &s.name)?;
        if !self.w.table_select(self.user, r) {
            return Err(SqlError::permission_denied(format!("for relation {name}")));
        }
        let cols = r
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| Col {
                table_oid: r.oid,
                attnum: i as i16 + 1,
                schema: s.name.clone(),
                table: r.name.clone(),
                ..Col::plain(&c.name, wire_type_of_name(&c.type_name))
            })
            .collect();
        let rows = match r.kind {
            RelationKind::Table if !self.describe_only => system::sample_rows(r),
            _ => Vec::new(),
        };
        Ok(Rel { cols, rows })
    }

    fn table_function(
        &self,
        parts: &[String],
        args: &sp::TableFunctionArgs,
        alias: Option<&sp::TableAlias>,
        outer: Option<&Scope<'_>>,
        ctes: &Ctes,
    ) -> Result<Rel, SqlError> {
        let name = parts.last().cloned().unwrap_or_default();
        match name.as_str() {
            "pg_get_late_binding_view_cols" => {
                if alias.is_none_or(|a| a.columns.len() != 5) {
                    return Err(SqlError::new(
                        "42601",
                        "a column definition list is required for functions returning \"record\"",
                    ));
                }
                Ok(Rel {
                    cols: ["view_schema", "view_name", "col_name", "col_type", "col_num"]
                        .iter()
                        .enumerate()
                        .map(|(i, n)| {
                            Col::plain(*n, if i == 4 { WireType::Int4 } else { WireType::Text })
                        })
                        .collect(),
                    rows: system::late_binding_view_cols(self.w),
                })
            }
            _ => {
                // A scalar function in FROM: one row, one column named after the function.
                let empty = Scope {
                    cols: &[],
                    row: &[],
                    group: None,
                    parent: outer,
                    aliases: None,
                    bound: None,
                };
                let mut vals = Vec::new();
                for a in &args.args {
                    match a {
                        sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(e)) => {
                            vals.push(self.eval(e, &empty, ctes)?)
                        }
                        other => return Err(SqlError::unsupported(format!("argument {other}"))),
                    }
                }
                let v = self.call(&name, &vals, &empty)?;
                let ty = value_type(&v).unwrap_or(WireType::Text);
                let ty = if name == "current_database" { WireType::Name } else { ty };
                Ok(Rel { cols: vec![Col::plain(name, ty)], rows: vec![vec![v]] })
            }
        }
    }

    /// One FROM item. `want`: the column names the query mentions (columns named nowhere else may
    /// be left out of a system relation's scan; `None`: every column).
    fn table_factor(
        &self,
        tf: &sp::TableFactor,
        outer: Option<&Scope<'_>>,
        ctes: &Ctes,
        want: Option<&HashSet<String>>,
    ) -> Result<Rel, SqlError> {
        match tf {
            sp::TableFactor::Table { name, alias, args, .. } => {
                let parts = name_parts(name)?;
                let default = parts.last().cloned().unwrap_or_default();
                // Column aliases rename by position: the scan keeps every column then.
                let want = want.filter(|_| alias.as_ref().is_none_or(|a| a.columns.is_empty()));
                let rel = match args {
                    Some(args) => self.table_function(&parts, args, alias.as_ref(), outer, ctes)?,
                    None => self.named_relation(&parts, ctes, want)?,
                };
                Self::with_alias(rel, alias.as_ref(), &default)
            }
            sp::TableFactor::Derived { subquery, alias, .. } => {
                let rel = self.query(subquery, outer, ctes)?;
                let default = alias.as_ref().map(|a| ident(&a.name)).unwrap_or_default();
                Self::with_alias(rel, alias.as_ref(), &default)
            }
            sp::TableFactor::NestedJoin { table_with_joins, alias } => {
                let rel = self.join_tree(table_with_joins, outer, ctes)?;
                match alias {
                    Some(a) => Self::with_alias(rel, Some(a), ""),
                    None => Ok(rel),
                }
            }
            other => Err(SqlError::unsupported(format!("FROM item {other}"))),
        }
    }

    // ---- queries ----------------------------------------------------------------------------

    fn query(
        &self,
        q: &sp::Query,
        outer: Option<&Scope<'_>>,
        ctes: &Ctes,
    ) -> Result<Rel, SqlError> {
        {
            let mut d = self.depth.borrow_mut();
            *d += 1;
            if *d > MAX_DEPTH {
                *d -= 1;
                return Err(SqlError::new("54001", "stack depth limit exceeded"));
            }
        }
        let result = self.query_inner(q, outer, ctes);
        *self.depth.borrow_mut() -= 1;
        result
    }

    fn query_inner(
        &self,
        q: &sp::Query,
        outer: Option<&Scope<'_>>,
        ctes: &Ctes,
    ) -> Result<Rel, SqlError> {
        let local;
        let ctes = match &q.with {
            Some(with) => {
                if with.recursive {
                    return Err(SqlError::unsupported("WITH RECURSIVE"));
                }
                let mut map = ctes.clone();
                for cte in &with.cte_tables {
                    let name = ident(&cte.alias.name);
                    let rel = self.query(&cte.query, outer, &map)?;
                    let mut rel = Self::with_alias(rel, Some(&cte.alias), &name)?;
                    for c in &mut rel.cols {
                        c.qual = None;
                    }
                    map.insert(name, rel);
                }
                local = map;
                &local
            }
            None => ctes,
        };
        if q.fetch.is_some() || !q.locks.is_empty() {
            return Err(SqlError::unsupported("FETCH / FOR UPDATE"));
        }
        let order: &[sp::OrderByExpr] = match &q.order_by {
            None => &[],
            Some(o) => match &o.kind {
                sp::OrderByKind::Expressions(v) => v,
                sp::OrderByKind::All(_) => return Err(SqlError::unsupported("ORDER BY ALL")),
            },
        };
        let mut rel = match q.body.as_ref() {
            sp::SetExpr::Select(s) => self.select(s, order, outer, ctes)?,
            other => {
                let mut rel = self.set_expr(other, outer, ctes)?;
                if !order.is_empty() {
                    self.order_output(&mut rel, order)?;
                }
                rel
            }
        };
        let (limit, offset) = match &q.limit_clause {
            None => (None, None),
            Some(sp::LimitClause::LimitOffset { limit, offset, .. }) => (
                limit.as_ref().map(|l| const_int(l, "LIMIT")).transpose()?.flatten(),
                offset.as_ref().map(|o| const_int(&o.value, "OFFSET")).transpose()?.flatten(),
            ),
            Some(sp::LimitClause::OffsetCommaLimit { offset, limit }) => {
                (const_int(limit, "LIMIT")?, const_int(offset, "OFFSET")?)
            }
        };
        if let Some(off) = offset {
            let off = usize::try_from(off).unwrap_or(usize::MAX).min(rel.rows.len());
            rel.rows.drain(..off);
        }
        if let Some(n) = limit {
            rel.rows.truncate(usize::try_from(n).unwrap_or(usize::MAX));
        }
        Ok(rel)
    }

    /// ORDER BY over a result's output columns (set operations): names or positions only.
    fn order_output(&self, rel: &mut Rel, order: &[sp::OrderByExpr]) -> Result<(), SqlError> {
        let mut idx = Vec::new();
        for o in order {
            let i = match &o.expr {
                sp::Expr::Value(v) => match literal(&v.value)? {
                    Value::Int(n) if n >= 1 && (n as usize) <= rel.cols.len() => n as usize - 1,
                    _ => {
                        return Err(SqlError::new(
                            "42P10",
                            format!("ORDER BY position {} is not in select list", v.value),
                        ));
                    }
                },
                sp::Expr::Identifier(id) => {
                    let n = ident(id);
                    rel.cols.iter().position(|c| c.name == n).ok_or_else(|| {
                        SqlError::new("42703", format!("column \"{n}\" does not exist"))
                    })?
                }
                _ => {
                    return Err(SqlError::new(
                        "0A000",
                        "ORDER BY on a UNION/INTERSECT/EXCEPT result must be on one of the result columns",
                    ));
                }
            };
            idx.push((i, o.options.asc == Some(false), o.options.nulls_first));
        }
        rel.rows.sort_by(|a, b| {
            for (i, desc, nulls_first) in &idx {
                let c = compare_sort(&a[*i], &b[*i], *desc, *nulls_first);
                if c != Ordering::Equal {
                    return c;
                }
            }
            Ordering::Equal
        });
        Ok(())
    }

    fn set_expr(
        &self,
        s: &sp::SetExpr,
        outer: Option<&Scope<'_>>,
        ctes: &Ctes,
    ) -> Result<Rel, SqlError> {
        match s {
            sp::SetExpr::Select(sel) => self.select(sel, &[], outer, ctes),
            sp::SetExpr::Query(q) => self.query(q, outer, ctes),
            sp::SetExpr::Values(v) => {
                let empty = Scope {
                    cols: &[],
                    row: &[],
                    group: None,
                    parent: outer,
                    aliases: None,
                    bound: None,
                };
                let mut rows = Vec::new();
                for r in &v.rows {
                    rows.push(
                        r.iter()
                            .map(|e| self.eval(e, &empty, ctes))
                            .collect::<Result<Vec<_>, _>>()?,
                    );
                }
                let width = rows.first().map_or(0, Vec::len);
                let cols = (0..width)
                    .map(|i| {
                        let ty =
                            rows.iter().find_map(|r| value_type(&r[i])).unwrap_or(WireType::Text);
                        Col::plain(format!("column{}", i + 1), ty)
                    })
                    .collect();
                Ok(Rel { cols, rows })
            }
            sp::SetExpr::SetOperation { op, set_quantifier, left, right } => {
                let mut l = self.set_expr(left, outer, ctes)?;
                let r = self.set_expr(right, outer, ctes)?;
                if l.cols.len() != r.cols.len() {
                    return Err(SqlError::new(
                        "42601",
                        "each UNION query must have the same number of columns",
                    ));
                }
                for (a, b) in l.cols.iter_mut().zip(&r.cols) {
                    if a.ty != b.ty {
                        a.ty = unify(a.ty, b.ty);
                    }
                    a.qual = None;
                }
                let all = matches!(set_quantifier, sp::SetQuantifier::All);
                match op {
                    sp::SetOperator::Union => {
                        l.rows.extend(r.rows);
                        if !all {
                            dedup(&mut l.rows);
                        }
                    }
                    sp::SetOperator::Intersect => {
                        l.rows.retain(|row| r.rows.contains(row));
                        if !all {
                            dedup(&mut l.rows);
                        }
                    }
                    sp::SetOperator::Except | sp::SetOperator::Minus => {
                        l.rows.retain(|row| !r.rows.contains(row));
                        if !all {
                            dedup(&mut l.rows);
                        }
                    }
                }
                Ok(l)
            }
            other => Err(SqlError::unsupported(format!("query form {other}"))),
        }
    }

    fn select(
        &self,
        s: &sp::Select,
        order: &[sp::OrderByExpr],
        outer: Option<&Scope<'_>>,
        ctes: &Ctes,
    ) -> Result<Rel, SqlError> {
        if s.into.is_some() {
            return Err(SqlError::unsupported("SELECT INTO"));
        }
        if s.top.is_some() || s.qualify.is_some() || !s.lateral_views.is_empty() {
            return Err(SqlError::unsupported("TOP / QUALIFY / LATERAL VIEW"));
        }
        if s.selection.as_ref().is_some_and(contains_aggregate) {
            return Err(SqlError::new("42803", "aggregate functions are not allowed in WHERE"));
        }
        // FROM (comma-separated items are cross-joined), with the WHERE conjuncts that can be
        // applied earlier pushed into the scans and joins; `residual` is what is left to check.
        let referenced = self.referenced_names(s, order);
        let (src, residual) =
            self.plan_from(&s.from, s.selection.as_ref(), referenced.as_ref(), outer, ctes)?;
        let cols = &src.cols;
        // Projection list (wildcards expanded).
        let mut items: Vec<(String, sp::Expr)> = Vec::new();
        for item in &s.projection {
            match item {
                sp::SelectItem::UnnamedExpr(e) => items.push((output_name(e), e.clone())),
                sp::SelectItem::ExprWithAlias { expr, alias } => {
                    items.push((ident(alias), expr.clone()))
                }
                sp::SelectItem::Wildcard(_) => {
                    if cols.is_empty() {
                        return Err(SqlError::new(
                            "42601",
                            "SELECT * with no tables specified is not valid",
                        ));
                    }
                    for c in cols.iter() {
                        items.push((c.name.clone(), column_ref(c)));
                    }
                }
                sp::SelectItem::QualifiedWildcard(kind, _) => {
                    let q = match kind {
                        sp::SelectItemQualifiedWildcardKind::ObjectName(n) => {
                            name_parts(n)?.last().cloned().unwrap_or_default()
                        }
                        sp::SelectItemQualifiedWildcardKind::Expr(e) => {
                            return Err(SqlError::unsupported(format!("{e}.*")));
                        }
                    };
                    let mine: Vec<&Col> =
                        cols.iter().filter(|c| c.qual.as_deref() == Some(&q)).collect();
                    if mine.is_empty() {
                        return Err(SqlError::new(
                            "42P01",
                            format!("missing FROM-clause entry for table \"{q}\""),
                        ));
                    }
                    for c in mine {
                        items.push((c.name.clone(), column_ref(c)));
                    }
                }
            }
        }
        let group_exprs: &[sp::Expr] = match &s.group_by {
            sp::GroupByExpr::Expressions(v, mods) if mods.is_empty() => v,
            _ => return Err(SqlError::unsupported("GROUP BY ALL / ROLLUP / CUBE")),
        };
        let aggregate = !group_exprs.is_empty()
            || items.iter().any(|(_, e)| contains_aggregate(e))
            || s.having.as_ref().is_some_and(contains_aggregate);
        // GROUP BY may name output columns or positions.
        let group_exprs: Vec<sp::Expr> = group_exprs
            .iter()
            .map(|g| match g {
                sp::Expr::Value(v) => match literal(&v.value) {
                    Ok(Value::Int(n)) if n >= 1 && (n as usize) <= items.len() => {
                        Ok(items[n as usize - 1].1.clone())
                    }
                    _ => Err(SqlError::new(
                        "42P10",
                        format!("GROUP BY position {} is not in select list", v.value),
                    )),
                },
                sp::Expr::Identifier(i) if !cols.iter().any(|c| c.name == ident(i)) => Ok(items
                    .iter()
                    .find(|(n, _)| *n == ident(i))
                    .map(|(_, e)| e.clone())
                    .unwrap_or_else(|| g.clone())),
                other => Ok(other.clone()),
            })
            .collect::<Result<_, _>>()?;

        // Every column reference of this SELECT resolved once against the FROM columns.
        let bindings = Bindings::new(
            self,
            cols,
            residual
                .iter()
                .copied()
                .chain(items.iter().map(|(_, e)| e))
                .chain(group_exprs.iter())
                .chain(s.having.iter())
                .chain(order.iter().map(|o| &o.expr)),
        );
        let bound = Some(&bindings);
        // WHERE (what the scans and joins did not already check).
        let mut rows = Vec::with_capacity(src.rows.len());
        'rows: for row in &src.rows {
            let sc = Scope { cols, row, group: None, parent: outer, aliases: Some(&items), bound };
            for f in &residual {
                if self.eval(f, &sc, ctes)?.truth() != Some(true) {
                    continue 'rows;
                }
            }
            rows.push(row);
        }
        // Each output "unit": a representative row plus, when aggregating, its group.
        let null_row = vec![Value::Null; cols.len()];
        let mut units: Vec<Unit<'_>> = Vec::new();
        if aggregate {
            let mut index: HashMap<Vec<Value>, usize> = HashMap::new();
            let mut groups: Vec<(&[Value], Vec<Vec<Value>>)> = Vec::new();
            for row in &rows {
                let sc = Scope { cols, row, group: None, parent: outer, aliases: None, bound };
                let key = group_exprs
                    .iter()
                    .map(|g| self.eval(g, &sc, ctes).map(|v| normalize_key(&v)))
                    .collect::<Result<Vec<_>, _>>()?;
                match index.get(&key) {
                    Some(&i) => groups[i].1.push(row.to_vec()),
                    None => {
                        index.insert(key, groups.len());
                        groups.push((row, vec![row.to_vec()]));
                    }
                }
            }
            if groups.is_empty() && group_exprs.is_empty() {
                groups.push((&null_row, Vec::new()));
            }
            units = groups.into_iter().map(|(r, g)| (r, Some(g))).collect();
        } else {
            for row in &rows {
                units.push((row, None));
            }
        }
        if self.describe_only && units.is_empty() {
            // No row reaches the expressions: check their names as PostgreSQL's parse analysis
            // does (a missing column or function fails the Parse, not the first Execute).
            let sc = Scope {
                cols,
                row: &null_row,
                group: aggregate.then_some(&[][..]),
                parent: outer,
                aliases: Some(&items),
                bound,
            };
            let exprs = items.iter().map(|(_, e)| e).chain(residual.iter().copied());
            let exprs =
                exprs.chain(&group_exprs).chain(&s.having).chain(order.iter().map(|o| &o.expr));
            self.check_names(exprs, &sc, ctes)?;
        }
        // Output types: declared where known, else from the first non-null value.
        let empty_scope =
            Scope { cols, row: &null_row, group: None, parent: outer, aliases: None, bound };
        let mut types: Vec<Option<WireType>> =
            items.iter().map(|(_, e)| self.static_type(e, &empty_scope)).collect();
        let mut out_rows: Vec<(Vec<Value>, Vec<Value>)> = Vec::with_capacity(units.len());
        let out_names: Vec<String> = items.iter().map(|(n, _)| n.clone()).collect();
        // ORDER BY keys that are output columns (position or name) are read from the output row;
        // only other expressions are evaluated into per-row keys.
        let mut order_src: Vec<Option<usize>> = Vec::with_capacity(order.len());
        for o in order {
            order_src.push(match &o.expr {
                sp::Expr::Value(v) => match literal(&v.value)? {
                    Value::Int(n) if n >= 1 && (n as usize) <= items.len() => Some(n as usize - 1),
                    _ => {
                        return Err(SqlError::new(
                            "42P10",
                            format!("ORDER BY position {} is not in select list", v.value),
                        ));
                    }
                },
                sp::Expr::Identifier(i) => out_names.iter().position(|x| *x == ident(i)),
                _ => None,
            });
        }
        // Items that are a plain column of the FROM row are copied by position.
        let item_columns: Vec<Option<usize>> = items
            .iter()
            .map(|(_, e)| match e {
                sp::Expr::Identifier(_) | sp::Expr::CompoundIdentifier(_) if !aggregate => {
                    bindings.get(e, cols)
                }
                _ => None,
            })
            .collect();
        for (row, group) in &units {
            let sc = Scope {
                cols,
                row,
                group: group.as_deref(),
                parent: outer,
                aliases: Some(&items),
                bound,
            };
            if let Some(h) = &s.having
                && self.eval(h, &sc, ctes)?.truth() != Some(true)
            {
                continue;
            }
            let mut out = Vec::with_capacity(items.len());
            for ((_, e), column) in items.iter().zip(&item_columns) {
                out.push(match column {
                    Some(i) => row[*i].clone(),
                    None => self.eval(e, &sc, ctes)?,
                });
            }
            let mut keys = Vec::new();
            for (o, src) in order.iter().zip(&order_src) {
                if src.is_none() {
                    keys.push(self.eval(&o.expr, &sc, ctes)?);
                }
            }
            out_rows.push((out, keys));
        }
        for (i, t) in types.iter_mut().enumerate() {
            if t.is_none() {
                *t = out_rows.iter().find_map(|(r, _)| value_type(&r[i]));
                if self.describe_only {
                    self.type_from_value.set(true);
                }
            }
        }
        let types: Vec<WireType> = types.into_iter().map(|t| t.unwrap_or(WireType::Text)).collect();
        for (r, _) in &mut out_rows {
            for (v, t) in r.iter_mut().zip(&types) {
                let taken = std::mem::replace(v, Value::Null);
                *v = taken.coerce(*t);
            }
        }
        match &s.distinct {
            None => {}
            Some(sp::Distinct::Distinct) => {
                let mut seen = std::collections::HashSet::new();
                out_rows.retain(|(r, _)| seen.insert(r.clone()));
            }
            Some(sp::Distinct::On(_)) => return Err(SqlError::unsupported("DISTINCT ON")),
        }
        if !order.is_empty() {
            out_rows.sort_by(|(ra, ka), (rb, kb)| {
                let mut k = 0;
                for (o, src) in order.iter().zip(&order_src) {
                    let (x, y) = match src {
                        Some(i) => (&ra[*i], &rb[*i]),
                        None => {
                            k += 1;
                            (&ka[k - 1], &kb[k - 1])
                        }
                    };
                    let c = compare_sort(x, y, o.options.asc == Some(false), o.options.nulls_first);
                    if c != Ordering::Equal {
                        return c;
                    }
                }
                Ordering::Equal
            });
        }
        let out_cols = items
            .iter()
            .zip(&types)
            .map(|((name, e), ty)| {
                let base = match e {
                    sp::Expr::Identifier(_) | sp::Expr::CompoundIdentifier(_) => {
                        self.resolve(e, cols).ok().map(|i| cols[i].clone())
                    }
                    _ => None,
                };
                match base {
                    Some(c) => Col { qual: None, name: name.clone(), ty: *ty, ..c },
                    None => Col::plain(name.clone(), *ty),
                }
            })
            .collect();
        Ok(Rel { cols: out_cols, rows: out_rows.into_iter().map(|(r, _)| r).collect() })
    }

    /// Evaluates each expression once on a row of NULLs and reports only what parse analysis
    /// would: a column that does not exist or is ambiguous, a function that does not exist.
    /// (Positions such as `ORDER BY 2` are literals and evaluate to themselves.)
    fn check_names<'e>(
        &self,
        exprs: impl Iterator<Item = &'e sp::Expr>,
        sc: &Scope<'_>,
        ctes: &Ctes,
    ) -> Result<(), SqlError> {
        for e in exprs {
            match self.eval(e, sc, ctes) {
                Err(err) if ["42703", "42702", "42P01", "42883"].contains(&err.code) => {
                    return Err(err);
                }
                _ => {}
            }
        }
        Ok(())
    }

    // ---- expressions ------------------------------------------------------------------------

    /// Index of a column reference in `cols` (None-qualified names must be unambiguous).
    fn resolve(&self, e: &sp::Expr, cols: &[Col]) -> Result<usize, SqlError> {
        let (qual, name) = match e {
            sp::Expr::Identifier(i) => (None, ident(i)),
            sp::Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [q, n] => (Some(ident(q)), ident(n)),
                [_, q, n] | [_, _, q, n] => (Some(ident(q)), ident(n)),
                _ => return Err(SqlError::unsupported(format!("name {e}"))),
            },
            _ => return Err(SqlError::new("XX000", "not a column reference")),
        };
        let mut found = None;
        for (i, c) in cols.iter().enumerate() {
            if c.name == name && qual.as_ref().is_none_or(|q| c.qual.as_ref() == Some(q)) {
                if found.is_some() {
                    return Err(SqlError::new(
                        "42702",
                        format!("column reference \"{name}\" is ambiguous"),
                    ));
                }
                found = Some(i);
            }
        }
        found.ok_or_else(|| match &qual {
            Some(q) if !cols.iter().any(|c| c.qual.as_ref() == Some(q)) => {
                SqlError::new("42P01", format!("missing FROM-clause entry for table \"{q}\""))
            }
            Some(q) => SqlError::new("42703", format!("column {q}.{name} does not exist")),
            None => SqlError::new("42703", format!("column \"{name}\" does not exist")),
        })
    }

    /// Looks a column reference up in the scope chain; SQL's parameterless functions
    /// (`current_user`, …) when no column has the name.
    fn column(&self, e: &sp::Expr, sc: &Scope<'_>) -> Result<Value, SqlError> {
        match self.column_in_chain(e, sc) {
            Err(err) if err.code == "42703" => {
                let sp::Expr::Identifier(i) = e else {
                    return Err(err);
                };
                let name = ident(i);
                if let Some((_, expr)) = sc.aliases.and_then(|a| a.iter().find(|(n, _)| *n == name))
                {
                    let inner = Scope { aliases: None, ..*sc };
                    return self.eval(expr, &inner, &Ctes::new());
                }
                if NILADIC.contains(&name.as_str()) {
                    return self.call(&name, &[], sc);
                }
                Err(err)
            }
            other => other,
        }
    }

    fn column_in_chain(&self, e: &sp::Expr, sc: &Scope<'_>) -> Result<Value, SqlError> {
        if let Some(i) = sc.bound.and_then(|b| b.get(e, sc.cols)) {
            return Ok(sc.row.get(i).cloned().unwrap_or(Value::Null));
        }
        match self.resolve(e, sc.cols) {
            Ok(i) => Ok(sc.row.get(i).cloned().unwrap_or(Value::Null)),
            Err(err) => match sc.parent {
                Some(p) if err.code != "42702" => self.column_in_chain(e, p).map_err(|_| err),
                _ => Err(err),
            },
        }
    }

    fn column_type(&self, e: &sp::Expr, sc: &Scope<'_>) -> Option<WireType> {
        match self.resolve(e, sc.cols) {
            Ok(i) => Some(sc.cols[i].ty),
            Err(_) => match sc.parent {
                Some(p) => self.column_type(e, p),
                None => match e {
                    sp::Expr::Identifier(i) if NILADIC.contains(&ident(i).as_str()) => {
                        Some(WireType::Name)
                    }
                    _ => None,
                },
            },
        }
    }

    /// The declared type of an expression where it is known without evaluating.
    fn static_type(&self, e: &sp::Expr, sc: &Scope<'_>) -> Option<WireType> {
        use sp::Expr as E;
        match e {
            E::Identifier(_) | E::CompoundIdentifier(_) => self.column_type(e, sc),
            E::Value(v) => literal_type(&v.value),
            E::Cast { data_type, .. } => Some(cast_type(data_type)),
            E::Nested(inner) => self.static_type(inner, sc),
            E::UnaryOp { op: sp::UnaryOperator::Not, .. } => Some(WireType::Bool),
            E::UnaryOp { expr, .. } => self.static_type(expr, sc),
            E::BinaryOp { left, op, right } => {
                use sp::BinaryOperator as B;
                match op {
                    B::StringConcat => Some(WireType::Text),
                    B::Plus | B::Minus | B::Multiply | B::Divide | B::Modulo => {
                        match (self.static_type(left, sc)?, self.static_type(right, sc)?) {
                            (a, b) if a.is_integer() && b.is_integer() => Some(unify(a, b)),
                            _ => Some(WireType::Numeric),
                        }
                    }
                    _ => Some(WireType::Bool),
                }
            }
            E::IsNull(_)
            | E::IsNotNull(_)
            | E::IsTrue(_)
            | E::IsFalse(_)
            | E::IsNotTrue(_)
            | E::IsNotFalse(_)
            | E::IsDistinctFrom(..)
            | E::IsNotDistinctFrom(..)
            | E::InList { .. }
            | E::InSubquery { .. }
            | E::Between { .. }
            | E::Like { .. }
            | E::ILike { .. }
            | E::SimilarTo { .. }
            | E::AnyOp { .. }
            | E::AllOp { .. }
            | E::Exists { .. } => Some(WireType::Bool),
            E::Case { conditions, else_result, .. } => conditions
                .iter()
                .map(|c| &c.result)
                .chain(else_result.iter().map(|b| b.as_ref()))
                .find_map(|r| self.static_type(r, sc)),
            E::Substring { .. } | E::Trim { .. } => Some(WireType::Text),
            E::Position { .. } => Some(WireType::Int4),
            E::Function(f) => {
                let name = function_name(f).ok()?;
                let (args, _, _) = function_args(f).ok()?;
                let first = || args.first().and_then(|a| self.static_type(a, sc));
                match name.as_ref() {
                    "count" | "row_number" => Some(WireType::Int8),
                    "sum" => match first() {
                        Some(t) if t.is_integer() => Some(WireType::Int8),
                        _ => Some(WireType::Numeric),
                    },
                    "avg" | "round" => Some(WireType::Numeric),
                    "min" | "max" | "coalesce" | "nullif" | "greatest" | "least" | "abs" => {
                        args.iter().find_map(|a| self.static_type(a, sc))
                    }
                    "bool_and" | "bool_or" => Some(WireType::Bool),
                    n if n.starts_with("has_") || n == "user_is_member_of" => Some(WireType::Bool),
                    "pg_backend_pid" | "strpos" | "length" | "char_length" | "len"
                    | "octet_length" => Some(WireType::Int4),
                    "current_database" | "current_schema" | "current_user" | "session_user"
                    | "pg_get_userbyid" | "user" => Some(WireType::Name),
                    _ => Some(WireType::Text),
                }
            }
            E::Subquery(_) | E::CompoundFieldAccess { .. } => None,
            _ => None,
        }
    }

    fn regex_match(&self, s: &str, pattern: &str, insensitive: bool) -> Result<bool, SqlError> {
        let key = (pattern.to_string(), insensitive);
        if let Some(r) = self.regexes.borrow().get(&key) {
            return Ok(r.is_match(s));
        }
        let re = regex::RegexBuilder::new(pattern)
            .case_insensitive(insensitive)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| SqlError::new("2201B", format!("invalid regular expression: {e}")))?;
        let hit = re.is_match(s);
        self.regexes.borrow_mut().insert(key, re);
        Ok(hit)
    }

    fn subquery_rows(&self, q: &sp::Query, sc: &Scope<'_>, ctes: &Ctes) -> Result<Rel, SqlError> {
        self.query(q, Some(sc), ctes)
    }

    fn eval(&self, e: &sp::Expr, sc: &Scope<'_>, ctes: &Ctes) -> Result<Value, SqlError> {
        use sp::Expr as E;
        Ok(match e {
            E::Identifier(_) | E::CompoundIdentifier(_) => self.column(e, sc)?,
            E::Value(v) => self.literal_value(&v.value)?,
            E::Nested(inner) => self.eval(inner, sc, ctes)?,
            E::TypedString(t) => {
                let v = match &t.value.value {
                    sp::Value::SingleQuotedString(s) => Value::text(s.clone()),
                    other => literal(other)?,
                };
                self.cast(v, &t.data_type)?
            }
            E::Cast { expr, data_type, .. } => {
                let v = self.eval(expr, sc, ctes)?;
                self.cast(v, data_type)?
            }
            E::Collate { expr, .. } => self.eval(expr, sc, ctes)?,
            E::UnaryOp { op, expr } => {
                let v = self.eval(expr, sc, ctes)?;
                match op {
                    sp::UnaryOperator::Not => match v.truth() {
                        Some(b) => Value::Bool(!b),
                        None => Value::Null,
                    },
                    sp::UnaryOperator::Minus => match v {
                        Value::Int(i) => Value::Int(-i),
                        Value::Null => Value::Null,
                        other => other.as_f64().map(|f| Value::Float(-f)).unwrap_or(Value::Null),
                    },
                    sp::UnaryOperator::Plus => v,
                    other => return Err(SqlError::unsupported(format!("operator {other}"))),
                }
            }
            E::BinaryOp { left, op, right } => self.binary(left, op, right, sc, ctes)?,
            E::IsNull(x) => Value::Bool(self.eval(x, sc, ctes)?.is_null()),
            E::IsNotNull(x) => Value::Bool(!self.eval(x, sc, ctes)?.is_null()),
            E::IsTrue(x) => Value::Bool(self.eval(x, sc, ctes)?.truth() == Some(true)),
            E::IsFalse(x) => Value::Bool(self.eval(x, sc, ctes)?.truth() == Some(false)),
            E::IsNotTrue(x) => Value::Bool(self.eval(x, sc, ctes)?.truth() != Some(true)),
            E::IsNotFalse(x) => Value::Bool(self.eval(x, sc, ctes)?.truth() != Some(false)),
            E::IsDistinctFrom(a, b) | E::IsNotDistinctFrom(a, b) => {
                let (x, y) = (self.eval(a, sc, ctes)?, self.eval(b, sc, ctes)?);
                let same = match (x.is_null(), y.is_null()) {
                    (true, true) => true,
                    (false, false) => x.compare(&y) == Some(Ordering::Equal),
                    _ => false,
                };
                Value::Bool(same == matches!(e, E::IsNotDistinctFrom(..)))
            }
            E::InList { expr, list, negated } => {
                let v = self.eval(expr, sc, ctes)?;
                let mut vals = Vec::with_capacity(list.len());
                for item in list {
                    vals.push(self.eval(item, sc, ctes)?);
                }
                in_values(&v, vals.iter(), *negated)
            }
            E::InSubquery { expr, subquery, negated } => {
                let v = self.eval(expr, sc, ctes)?;
                let rel = self.subquery_rows(subquery, sc, ctes)?;
                if rel.cols.len() != 1 {
                    return Err(SqlError::new("42601", "subquery has too many columns"));
                }
                in_values(&v, rel.rows.iter().map(|r| &r[0]), *negated)
            }
            E::Exists { subquery, negated } => {
                let rel = self.subquery_rows(subquery, sc, ctes)?;
                Value::Bool(rel.rows.is_empty() == *negated)
            }
            E::Subquery(q) => {
                let rel = self.subquery_rows(q, sc, ctes)?;
                if rel.cols.len() != 1 {
                    return Err(SqlError::new("42601", "subquery must return only one column"));
                }
                match rel.rows.len() {
                    0 => Value::Null,
                    1 => rel.rows[0][0].clone(),
                    _ => {
                        return Err(SqlError::new(
                            "21000",
                            "more than one row returned by a subquery used as an expression",
                        ));
                    }
                }
            }
            E::Between { expr, negated, low, high } => {
                let v = self.eval(expr, sc, ctes)?;
                let lo = v.compare(&self.eval(low, sc, ctes)?);
                let hi = v.compare(&self.eval(high, sc, ctes)?);
                match (lo, hi) {
                    (Some(a), Some(b)) => {
                        Value::Bool((a != Ordering::Less && b != Ordering::Greater) != *negated)
                    }
                    _ => Value::Null,
                }
            }
            E::Like { negated, expr, pattern, any: false, .. }
            | E::ILike { negated, expr, pattern, any: false, .. } => {
                let insensitive = matches!(e, E::ILike { .. });
                match (self.eval(expr, sc, ctes)?.render(), self.eval(pattern, sc, ctes)?.render())
                {
                    (Some(s), Some(p)) => {
                        let hit = if insensitive {
                            super::like(&s.to_lowercase(), &p.to_lowercase())
                        } else {
                            super::like(&s, &p)
                        };
                        Value::Bool(hit != *negated)
                    }
                    _ => Value::Null,
                }
            }
            E::Case { operand, conditions, else_result, .. } => {
                let base = match operand {
                    Some(o) => Some(self.eval(o, sc, ctes)?),
                    None => None,
                };
                for c in conditions {
                    let hit = match &base {
                        Some(b) => {
                            b.compare(&self.eval(&c.condition, sc, ctes)?) == Some(Ordering::Equal)
                        }
                        None => self.eval(&c.condition, sc, ctes)?.truth() == Some(true),
                    };
                    if hit {
                        return self.eval(&c.result, sc, ctes);
                    }
                }
                match else_result {
                    Some(x) => self.eval(x, sc, ctes)?,
                    None => Value::Null,
                }
            }
            E::Substring { expr, substring_from, substring_for, .. } => {
                let s = self.eval(expr, sc, ctes)?;
                let from = match substring_from {
                    Some(f) => Some(self.eval(f, sc, ctes)?),
                    None => None,
                };
                let len = match substring_for {
                    Some(f) => Some(self.eval(f, sc, ctes)?),
                    None => None,
                };
                substr(&s, from.as_ref(), len.as_ref())
            }
            E::Trim { expr, trim_where, trim_what, .. } => {
                let s = self.eval(expr, sc, ctes)?;
                let what = match trim_what {
                    Some(w) => self.eval(w, sc, ctes)?.render(),
                    None => Some(" ".to_string()),
                };
                match (s.render(), what) {
                    (Some(s), Some(w)) => {
                        let set: Vec<char> = w.chars().collect();
                        Value::text(match trim_where {
                            Some(sp::TrimWhereField::Leading) => s.trim_start_matches(&set[..]),
                            Some(sp::TrimWhereField::Trailing) => s.trim_end_matches(&set[..]),
                            _ => s.trim_matches(&set[..]),
                        })
                    }
                    _ => Value::Null,
                }
            }
            E::Position { expr, r#in } => {
                match (self.eval(expr, sc, ctes)?.render(), self.eval(r#in, sc, ctes)?.render()) {
                    (Some(needle), Some(hay)) => Value::Int(strpos(&hay, &needle)),
                    _ => Value::Null,
                }
            }
            E::CompoundFieldAccess { root, access_chain } => {
                let mut v = self.eval(root, sc, ctes)?;
                for a in access_chain {
                    match a {
                        sp::AccessExpr::Subscript(sp::Subscript::Index { index }) => {
                            let i = self.eval(index, sc, ctes)?;
                            v = match (v.render(), i) {
                                (Some(arr), Value::Int(i)) if i >= 1 => array_elements(&arr)
                                    .get(i as usize - 1)
                                    .map(|x| Value::text(x.clone()))
                                    .unwrap_or(Value::Null),
                                _ => Value::Null,
                            };
                        }
                        other => return Err(SqlError::unsupported(format!("access {other}"))),
                    }
                }
                v
            }
            E::Function(f) => self.function(f, sc, ctes)?,
            E::AnyOp { left, compare_op, right, .. } | E::AllOp { left, compare_op, right } => {
                self.any_all(matches!(e, E::AnyOp { .. }), left, compare_op, right, sc, ctes)?
            }
            other => return Err(SqlError::unsupported(format!("expression {other}"))),
        })
    }

    /// `x op ANY (array | subquery)` / `x op ALL (…)` with SQL's three-valued logic; an array is
    /// PostgreSQL's text form (`pg_group.grolist`).
    fn any_all(
        &self,
        any: bool,
        left: &sp::Expr,
        op: &sp::BinaryOperator,
        right: &sp::Expr,
        sc: &Scope<'_>,
        ctes: &Ctes,
    ) -> Result<Value, SqlError> {
        use sp::BinaryOperator as B;
        if !matches!(op, B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq) {
            return Err(SqlError::unsupported(format!("operator {op} with ANY / ALL")));
        }
        let v = self.eval(left, sc, ctes)?;
        let items: Vec<Value> = match right {
            sp::Expr::Subquery(q) => {
                let rel = self.subquery_rows(q, sc, ctes)?;
                if rel.cols.len() != 1 {
                    return Err(SqlError::new("42601", "subquery has too many columns"));
                }
                rel.rows.into_iter().map(|mut r| r.swap_remove(0)).collect()
            }
            other => match self.eval(other, sc, ctes)?.render() {
                None => return Ok(Value::Null),
                Some(text) => array_elements(&text).into_iter().map(Value::text).collect(),
            },
        };
        let mut saw_null = false;
        for item in &items {
            let hit = v.compare(item).map(|o| match op {
                B::Eq => o == Ordering::Equal,
                B::NotEq => o != Ordering::Equal,
                B::Lt => o == Ordering::Less,
                B::LtEq => o != Ordering::Greater,
                B::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            });
            match hit {
                None => saw_null = true,
                Some(true) if any => return Ok(Value::Bool(true)),
                Some(false) if !any => return Ok(Value::Bool(false)),
                _ => {}
            }
        }
        Ok(if saw_null { Value::Null } else { Value::Bool(!any) })
    }

    /// A literal's value; string literals are made once per node and shared.
    fn literal_value(&self, v: &sp::Value) -> Result<Value, SqlError> {
        if !matches!(v, sp::Value::SingleQuotedString(_)) {
            return literal(v);
        }
        let key = Bindings::addr(v);
        if let Some((node, value)) = self.literals.borrow().get(&key)
            && node == v
        {
            return Ok(value.clone());
        }
        let value = literal(v)?;
        self.literals.borrow_mut().insert(key, (v.clone(), value.clone()));
        Ok(value)
    }

    fn cast_target(&self, dt: &sp::DataType) -> CastTarget {
        let key = Bindings::addr(dt);
        if let Some((node, t)) = self.casts.borrow().get(&key)
            && node == dt
        {
            return *t;
        }
        let label = dt.to_string().to_lowercase();
        let t = CastTarget {
            regclass: label.trim_start_matches("pg_catalog.") == "regclass",
            ty: cast_type(dt),
            char_length: char_length_of(&label),
        };
        self.casts.borrow_mut().insert(key, (dt.clone(), t));
        t
    }

    fn cast(&self, v: Value, dt: &sp::DataType) -> Result<Value, SqlError> {
        let target = self.cast_target(dt);
        if target.regclass {
            return Ok(match v {
                Value::Null => Value::Null,
                Value::Int(oid) => {
                    match u32::try_from(oid).ok().and_then(|o| self.w.relation_by_oid(o)) {
                        Some(r) => Value::text(super::quote_ident(&r.name)),
                        None => Value::text(oid.to_string()),
                    }
                }
                other => {
                    let text = other.render().unwrap_or_default();
                    let parts: Vec<&str> = text.split('.').collect();
                    let rel = match parts.as_slice() {
                        [n] => self
                            .w
                            .relation(PG_CATALOG_OID, n)
                            .or_else(|| self.w.relation(PUBLIC_OID, n)),
                        [s, n] => self.w.schema_by_name(s).and_then(|s| self.w.relation(s.oid, n)),
                        _ => None,
                    };
                    match rel {
                        Some(r) => Value::Int(i64::from(r.oid)),
                        None => {
                            return Err(SqlError::new(
                                "42P01",
                                format!("relation \"{text}\" does not exist"),
                            ));
                        }
                    }
                }
            });
        }
        let ty = target.ty;
        if v.is_null() {
            return Ok(Value::Null);
        }
        let original = v.clone();
        let out = match (ty, v) {
            (WireType::Numeric | WireType::Float8, Value::Text(s)) => {
                s.trim().parse::<f64>().map(Value::Float).unwrap_or(Value::Null)
            }
            (t, Value::Float(f)) if t.is_integer() => Value::Int(f.round() as i64),
            (t, v) => v.coerce(t),
        };
        if out.is_null() {
            return Err(SqlError::new(
                "22P02",
                format!(
                    "invalid input syntax for type {}: \"{}\"",
                    type_label(ty),
                    original.render().unwrap_or_default()
                ),
            ));
        }
        // Character types with a length truncate (Redshift/PostgreSQL explicit cast).
        if let (Value::Text(s), Some(len)) = (&out, target.char_length) {
            return Ok(Value::text(s.chars().take(len).collect::<String>()));
        }
        Ok(out)
    }

    fn binary(
        &self,
        left: &sp::Expr,
        op: &sp::BinaryOperator,
        right: &sp::Expr,
        sc: &Scope<'_>,
        ctes: &Ctes,
    ) -> Result<Value, SqlError> {
        use sp::BinaryOperator as B;
        // AND/OR with SQL three-valued logic.
        if matches!(op, B::And | B::Or) {
            let a = self.eval(left, sc, ctes)?.truth();
            if *op == B::And && a == Some(false) {
                return Ok(Value::Bool(false));
            }
            if *op == B::Or && a == Some(true) {
                return Ok(Value::Bool(true));
            }
            let b = self.eval(right, sc, ctes)?.truth();
            return Ok(match (op, a, b) {
                (B::And, _, Some(false)) => Value::Bool(false),
                (B::And, Some(true), Some(true)) => Value::Bool(true),
                (B::Or, _, Some(true)) => Value::Bool(true),
                (B::Or, Some(false), Some(false)) => Value::Bool(false),
                _ => Value::Null,
            });
        }
        let a = self.eval(left, sc, ctes)?;
        let b = self.eval(right, sc, ctes)?;
        Ok(match op {
            B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq => match a.compare(&b) {
                None => Value::Null,
                Some(o) => Value::Bool(match op {
                    B::Eq => o == Ordering::Equal,
                    B::NotEq => o != Ordering::Equal,
                    B::Lt => o == Ordering::Less,
                    B::LtEq => o != Ordering::Greater,
                    B::Gt => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                }),
            },
            B::StringConcat => match (a.render(), b.render()) {
                (Some(x), Some(y)) => Value::text(x + &y),
                _ => Value::Null,
            },
            B::PGRegexMatch | B::PGRegexIMatch | B::PGRegexNotMatch | B::PGRegexNotIMatch => {
                match (a.render(), b.render()) {
                    (Some(s), Some(p)) => {
                        let insensitive = matches!(op, B::PGRegexIMatch | B::PGRegexNotIMatch);
                        let negated = matches!(op, B::PGRegexNotMatch | B::PGRegexNotIMatch);
                        Value::Bool(self.regex_match(&s, &p, insensitive)? != negated)
                    }
                    _ => Value::Null,
                }
            }
            B::PGLikeMatch | B::PGNotLikeMatch | B::PGILikeMatch | B::PGNotILikeMatch => {
                match (a.render(), b.render()) {
                    (Some(s), Some(p)) => {
                        let (s, p) = if matches!(op, B::PGILikeMatch | B::PGNotILikeMatch) {
                            (s.to_lowercase(), p.to_lowercase())
                        } else {
                            (s, p)
                        };
                        let negated = matches!(op, B::PGNotLikeMatch | B::PGNotILikeMatch);
                        Value::Bool(super::like(&s, &p) != negated)
                    }
                    _ => Value::Null,
                }
            }
            B::Plus | B::Minus | B::Multiply | B::Divide | B::Modulo => arithmetic(op, &a, &b)?,
            B::PGBitwiseShiftRight | B::PGBitwiseShiftLeft | B::BitwiseAnd | B::BitwiseOr => {
                match (a.as_f64(), b.as_f64()) {
                    (Some(x), Some(y)) => {
                        let (x, y) = (x as i64, y as i64);
                        Value::Int(match op {
                            B::PGBitwiseShiftRight => x.checked_shr(y as u32).unwrap_or(0),
                            B::PGBitwiseShiftLeft => x.checked_shl(y as u32).unwrap_or(0),
                            B::BitwiseAnd => x & y,
                            _ => x | y,
                        })
                    }
                    _ => Value::Null,
                }
            }
            other => return Err(SqlError::unsupported(format!("operator {other}"))),
        })
    }

    fn aggregate(
        &self,
        name: &str,
        f: &sp::Function,
        sc: &Scope<'_>,
        ctes: &Ctes,
    ) -> Result<Value, SqlError> {
        let Some(group) = sc.group else {
            return Err(SqlError::new(
                "42803",
                format!("aggregate function {name} used outside of a grouped query"),
            ));
        };
        let (args, distinct, star) = function_args(f)?;
        if star {
            return Ok(Value::Int(group.len() as i64));
        }
        let Some(arg) = args.first() else {
            return Err(SqlError::new("42883", format!("function {name}() does not exist")));
        };
        let mut vals = Vec::with_capacity(group.len());
        for row in group {
            let inner = Scope {
                cols: sc.cols,
                row,
                group: None,
                parent: sc.parent,
                aliases: None,
                bound: sc.bound,
            };
            let v = self.eval(arg, &inner, ctes)?;
            if !v.is_null() {
                vals.push(v);
            }
        }
        if distinct {
            let mut seen = std::collections::HashSet::new();
            vals.retain(|v| seen.insert(normalize_key(v)));
        }
        Ok(match name {
            "count" => Value::Int(vals.len() as i64),
            "sum" if vals.is_empty() => Value::Null,
            "sum" => {
                if vals.iter().all(|v| matches!(v, Value::Int(_))) {
                    Value::Int(
                        vals.iter().map(|v| if let Value::Int(i) = v { *i } else { 0 }).sum(),
                    )
                } else {
                    Value::Float(vals.iter().filter_map(Value::as_f64).sum())
                }
            }
            "avg" if vals.is_empty() => Value::Null,
            "avg" => {
                let s: f64 = vals.iter().filter_map(Value::as_f64).sum();
                Value::Float(s / vals.len() as f64)
            }
            "min" => vals.into_iter().min_by(|a, b| a.sort_cmp(b)).unwrap_or(Value::Null),
            "max" => vals.into_iter().max_by(|a, b| a.sort_cmp(b)).unwrap_or(Value::Null),
            "bool_and" => Value::Bool(vals.iter().all(|v| v.truth() == Some(true))),
            "bool_or" => Value::Bool(vals.iter().any(|v| v.truth() == Some(true))),
            _ => {
                // listagg / string_agg (expr, delimiter)
                let delim = match args.get(1) {
                    Some(d) => {
                        let empty = Scope {
                            cols: sc.cols,
                            row: sc.row,
                            group: None,
                            parent: sc.parent,
                            aliases: None,
                            bound: sc.bound,
                        };
                        self.eval(d, &empty, ctes)?.render().unwrap_or_default()
                    }
                    None => String::new(),
                };
                if vals.is_empty() {
                    Value::Null
                } else {
                    Value::text(
                        vals.iter().filter_map(Value::render).collect::<Vec<_>>().join(&delim),
                    )
                }
            }
        })
    }

    fn function(&self, f: &sp::Function, sc: &Scope<'_>, ctes: &Ctes) -> Result<Value, SqlError> {
        let name = function_name(f)?;
        if f.over.is_some() {
            return Err(SqlError::unsupported(format!("window function {name}")));
        }
        if AGGREGATES.contains(&name.as_ref()) && !matches!(f.args, sp::FunctionArguments::None) {
            return self.aggregate(&name, f, sc, ctes);
        }
        // Arguments are evaluated into a buffer on the stack (a call per row allocates nothing).
        let mut buf: [Value; 4] = Default::default();
        let mut len = 0;
        let mut more = Vec::new();
        if let sp::FunctionArguments::List(list) = &f.args {
            for a in &list.args {
                let sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(e)) = a else {
                    function_args(f)?; // reports the unsupported argument
                    continue;
                };
                let v = self.eval(e, sc, ctes)?;
                if len < buf.len() {
                    buf[len] = v;
                    len += 1;
                } else {
                    more.push(v);
                }
            }
        } else {
            function_args(f)?;
        }
        if more.is_empty() {
            self.call(&name, &buf[..len], sc)
        } else {
            let mut all: Vec<Value> = buf.into_iter().collect();
            all.append(&mut more);
            self.call(&name, &all, sc)
        }
    }

    fn call(&self, name: &str, args: &[Value], _sc: &Scope<'_>) -> Result<Value, SqlError> {
        let text = |i: usize| args.get(i).and_then(Value::render);
        let int = |i: usize| args.get(i).and_then(Value::as_f64).map(|f| f as i64);
        let arity = |n: &[usize]| -> Result<(), SqlError> {
            if n.contains(&args.len()) {
                Ok(())
            } else {
                Err(SqlError::new(
                    "42883",
                    format!("function {name} with {} argument(s) does not exist", args.len()),
                ))
            }
        };
        Ok(match name {
            "pg_backend_pid" => {
                arity(&[0])?;
                Value::Int(i64::from(self.pid))
            }
            "current_schemas" => {
                arity(&[1])?;
                let implicit = args[0].truth() == Some(true);
                Value::text(if implicit { "{pg_catalog,public}" } else { "{public}" })
            }
            "user" => Value::text(self.w.user_name(self.user)),
            "current_setting" => {
                arity(&[1, 2])?;
                let setting = text(0).unwrap_or_default().to_ascii_lowercase();
                Value::text(match setting.as_str() {
                    "search_path" => "$user, public",
                    "server_version" => "8.0.2",
                    "server_version_num" => "80002",
                    "datestyle" => "ISO, MDY",
                    "timezone" => "UTC",
                    "client_encoding" | "server_encoding" => "UNICODE",
                    "integer_datetimes" => "on",
                    "standard_conforming_strings" => "off",
                    "max_identifier_length" => "127",
                    "query_group" => "default",
                    "statement_timeout" => "0",
                    "enable_case_sensitive_identifier" => "off",
                    "is_superuser" => {
                        if self.w.is_superuser(self.user) {
                            "on"
                        } else {
                            "off"
                        }
                    }
                    _ => {
                        return Err(SqlError::new(
                            "42704",
                            format!("unrecognized configuration parameter \"{setting}\""),
                        ));
                    }
                })
            }
            "format_type" => {
                arity(&[2])?;
                match int(0) {
                    None => Value::Null,
                    Some(oid) => {
                        let key = (oid, int(1));
                        let known = self.type_names.borrow().get(&key).cloned();
                        known.unwrap_or_else(|| {
                            let name = system::format_type(oid, key.1);
                            let v = Value::text(name.as_deref().unwrap_or("???"));
                            self.type_names.borrow_mut().insert(key, v.clone());
                            v
                        })
                    }
                }
            }
            "pg_get_expr" => {
                arity(&[2, 3])?;
                Value::opt_text(text(0))
            }
            "pg_get_viewdef" => {
                arity(&[1, 2])?;
                let rel = match &args[0] {
                    Value::Int(oid) => {
                        u32::try_from(*oid).ok().and_then(|o| self.w.relation_by_oid(o))
                    }
                    other => {
                        let t = other.render().unwrap_or_default();
                        match t.split_once('.') {
                            Some((s, n)) => {
                                self.w.schema_by_name(s).and_then(|s| self.w.relation(s.oid, n))
                            }
                            None => self.w.relation(PUBLIC_OID, &t),
                        }
                    }
                };
                match rel {
                    Some(r) if !matches!(r.kind, RelationKind::Table) => {
                        let cols: Vec<String> =
                            r.columns.iter().map(|c| super::quote_ident(&c.name)).collect();
                        let schema =
                            self.w.schema(r.schema).map(|s| s.name.clone()).unwrap_or_default();
                        let tail = if r.kind == RelationKind::LateBindingView {
                            " WITH NO SCHEMA BINDING"
                        } else {
                            ""
                        };
                        Value::text(format!(
                            "SELECT {} FROM {}.{}{tail};",
                            cols.join(", "),
                            super::quote_ident(&schema),
                            super::quote_ident(&r.name)
                        ))
                    }
                    Some(_) => Value::Null,
                    None => Value::Null,
                }
            }
            "obj_description" => {
                arity(&[1, 2])?;
                match int(0)
                    .and_then(|o| u32::try_from(o).ok())
                    .and_then(|o| self.w.relation_by_oid(o))
                {
                    Some(r) if text(1).is_none_or(|c| c == "pg_class") => {
                        Value::opt_text(r.comment.clone())
                    }
                    _ => Value::Null,
                }
            }
            "col_description" => {
                arity(&[2])?;
                let rel = int(0)
                    .and_then(|o| u32::try_from(o).ok())
                    .and_then(|o| self.w.relation_by_oid(o));
                match (rel, int(1)) {
                    (Some(r), Some(n)) if n >= 1 => r
                        .columns
                        .get(n as usize - 1)
                        .map(|c| Value::opt_text(c.comment.clone()))
                        .unwrap_or(Value::Null),
                    _ => Value::Null,
                }
            }
            "pg_table_is_visible" => {
                arity(&[1])?;
                let rel = int(0)
                    .and_then(|o| u32::try_from(o).ok())
                    .and_then(|o| self.w.relation_by_oid(o));
                Value::Bool(
                    rel.is_some_and(|r| r.schema == PUBLIC_OID || r.schema == PG_CATALOG_OID),
                )
            }
            "nullif" => {
                arity(&[2])?;
                if args[0].compare(&args[1]) == Some(Ordering::Equal) {
                    Value::Null
                } else {
                    args[0].clone()
                }
            }
            "greatest" | "least" => {
                let vals = args.iter().filter(|v| !v.is_null());
                let pick = if name == "greatest" {
                    vals.max_by(|a, b| a.sort_cmp(b))
                } else {
                    vals.min_by(|a, b| a.sort_cmp(b))
                };
                pick.cloned().unwrap_or(Value::Null)
            }
            "length" | "char_length" | "character_length" | "len" => {
                arity(&[1])?;
                text(0).map(|s| Value::Int(s.chars().count() as i64)).unwrap_or(Value::Null)
            }
            "octet_length" => {
                arity(&[1])?;
                text(0).map(|s| Value::Int(s.len() as i64)).unwrap_or(Value::Null)
            }
            "substring" | "substr" => {
                arity(&[2, 3])?;
                substr(&args[0], args.get(1), args.get(2))
            }
            "strpos" => {
                arity(&[2])?;
                match (text(0), text(1)) {
                    (Some(h), Some(n)) => Value::Int(strpos(&h, &n)),
                    _ => Value::Null,
                }
            }
            "replace" => {
                arity(&[3])?;
                match (text(0), text(1), text(2)) {
                    (Some(s), Some(a), Some(b)) if !a.is_empty() => Value::text(s.replace(&a, &b)),
                    (Some(s), Some(_), Some(_)) => Value::text(s),
                    _ => Value::Null,
                }
            }
            "concat" => Value::text(args.iter().filter_map(Value::render).collect::<String>()),
            "btrim" | "trim" | "ltrim" | "rtrim" => {
                arity(&[1, 2])?;
                let set: Vec<char> = text(1).unwrap_or_else(|| " ".into()).chars().collect();
                match text(0) {
                    Some(s) => Value::text(match name {
                        "ltrim" => s.trim_start_matches(&set[..]),
                        "rtrim" => s.trim_end_matches(&set[..]),
                        _ => s.trim_matches(&set[..]),
                    }),
                    None => Value::Null,
                }
            }
            "left" | "right" => {
                arity(&[2])?;
                match (text(0), int(1)) {
                    (Some(s), Some(n)) => {
                        let chars: Vec<char> = s.chars().collect();
                        let n = if n < 0 {
                            chars.len().saturating_sub(n.unsigned_abs() as usize)
                        } else {
                            (n as usize).min(chars.len())
                        };
                        Value::text(if name == "left" {
                            chars[..n].iter().collect::<String>()
                        } else {
                            chars[chars.len() - n..].iter().collect::<String>()
                        })
                    }
                    _ => Value::Null,
                }
            }
            "split_part" => {
                arity(&[3])?;
                match (text(0), text(1), int(2)) {
                    (Some(s), Some(d), Some(n)) if n >= 1 => Value::text(
                        s.split(d.as_str()).nth(n as usize - 1).unwrap_or("").to_string(),
                    ),
                    (Some(_), Some(_), Some(_)) => {
                        return Err(SqlError::new(
                            "22023",
                            "field position must be greater than zero",
                        ));
                    }
                    _ => Value::Null,
                }
            }
            "lpad" | "rpad" => {
                arity(&[2, 3])?;
                match (text(0), int(1)) {
                    (Some(s), Some(n)) => {
                        let fill: Vec<char> =
                            text(2).unwrap_or_else(|| " ".into()).chars().collect();
                        let n = n.clamp(0, 10_000) as usize;
                        let mut chars: Vec<char> = s.chars().collect();
                        if chars.len() >= n || fill.is_empty() {
                            chars.truncate(n);
                        } else {
                            let pad: Vec<char> =
                                fill.iter().cycle().take(n - chars.len()).copied().collect();
                            if name == "lpad" {
                                chars = pad.into_iter().chain(chars).collect();
                            } else {
                                chars.extend(pad);
                            }
                        }
                        Value::text(chars.into_iter().collect::<String>())
                    }
                    _ => Value::Null,
                }
            }
            "quote_literal" => {
                arity(&[1])?;
                text(0)
                    .map(|s| Value::text(format!("'{}'", s.replace('\'', "''"))))
                    .unwrap_or(Value::Null)
            }
            "initcap" => {
                arity(&[1])?;
                text(0)
                    .map(|s| {
                        let mut out = String::new();
                        let mut start = true;
                        for c in s.chars() {
                            if start {
                                out.extend(c.to_uppercase());
                            } else {
                                out.extend(c.to_lowercase());
                            }
                            start = !c.is_alphanumeric();
                        }
                        Value::text(out)
                    })
                    .unwrap_or(Value::Null)
            }
            "abs" => {
                arity(&[1])?;
                match &args[0] {
                    Value::Int(i) => Value::Int(i.abs()),
                    v => v.as_f64().map(|f| Value::Float(f.abs())).unwrap_or(Value::Null),
                }
            }
            "round" => {
                arity(&[1, 2])?;
                let digits = int(1).unwrap_or(0).clamp(-20, 20) as i32;
                match args[0].as_f64() {
                    Some(f) => {
                        let m = 10f64.powi(digits);
                        Value::Float((f * m).round() / m)
                    }
                    None => Value::Null,
                }
            }
            "regexp_replace" => {
                arity(&[2, 3])?;
                match (text(0), text(1)) {
                    (Some(s), Some(p)) => {
                        self.regex_match("", &p, false)?;
                        let with = text(2).unwrap_or_default();
                        let out = self
                            .regexes
                            .borrow()
                            .get(&(p, false))
                            .map(|r| r.replace_all(&s, regex::NoExpand(&with)).into_owned());
                        Value::opt_text(out)
                    }
                    _ => Value::Null,
                }
            }
            "regexp_substr" => {
                arity(&[2, 3])?;
                match (text(0), text(1)) {
                    (Some(s), Some(p)) => {
                        let from = int(2).unwrap_or(1).max(1) as usize - 1;
                        let tail: String = s.chars().skip(from).collect();
                        self.regex_match(&tail, &p, false)?;
                        let key = (p, false);
                        let found = self
                            .regexes
                            .borrow()
                            .get(&key)
                            .and_then(|r| r.find(&tail).map(|m| m.as_str().to_string()));
                        Value::text(found.unwrap_or_default())
                    }
                    _ => Value::Null,
                }
            }
            "now" | "getdate" | "sysdate" | "current_timestamp" => {
                Value::text("2024-06-01 12:00:00")
            }
            "current_date" => Value::text("2024-06-01"),
            "pg_sleep" => {
                return Err(SqlError::unsupported("pg_sleep inside a larger query"));
            }
            other => {
                return super::call_builtin(
                    self.w,
                    self.user,
                    self.session_user,
                    self.db,
                    other,
                    args,
                );
            }
        })
    }
}

fn column_ref(c: &Col) -> sp::Expr {
    let name = sp::Ident::with_quote('"', c.name.clone());
    match &c.qual {
        Some(q) => sp::Expr::CompoundIdentifier(vec![sp::Ident::with_quote('"', q.clone()), name]),
        None => sp::Expr::Identifier(name),
    }
}

fn cast_type(dt: &sp::DataType) -> WireType {
    let label = dt.to_string().to_lowercase();
    if label.trim_start_matches("pg_catalog.") == "regclass" {
        return WireType::Text;
    }
    wire_type(dt)
}

/// `varchar(n)` / `char(n)` length of a cast target.
fn char_length_of(label: &str) -> Option<usize> {
    let (base, rest) = label.split_once('(')?;
    let base = base.trim();
    if !(base.contains("char") || base == "character") {
        return None;
    }
    rest.trim_end_matches(')').trim().parse().ok()
}

/// The result type of mixing two types (UNION branches, arithmetic).
fn unify(a: WireType, b: WireType) -> WireType {
    if a == b {
        return a;
    }
    if a.is_integer() && b.is_integer() {
        return if a == WireType::Int8 || b == WireType::Int8 {
            WireType::Int8
        } else {
            WireType::Int4
        };
    }
    if (a.is_integer() || matches!(a, WireType::Numeric | WireType::Float8))
        && (b.is_integer() || matches!(b, WireType::Numeric | WireType::Float8))
    {
        return WireType::Numeric;
    }
    if a.is_text() && b.is_text() {
        return WireType::Varchar;
    }
    WireType::Text
}

fn wire_type_of_name(type_name: &str) -> WireType {
    match system::type_oid(type_name) {
        16 => WireType::Bool,
        18 => WireType::Char,
        19 => WireType::Name,
        20 => WireType::Int8,
        21 => WireType::Int2,
        23 => WireType::Int4,
        26 => WireType::Oid,
        700 | 701 => WireType::Float8,
        1700 => WireType::Numeric,
        1082 => WireType::Date,
        1114 | 1184 => WireType::Timestamp,
        1042 | 1043 => WireType::Varchar,
        _ => WireType::Text,
    }
}

fn normalize_key(v: &Value) -> Value {
    match v {
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Value::Int(*f as i64),
        other => other.clone(),
    }
}

fn in_values<'v>(v: &Value, items: impl Iterator<Item = &'v Value>, negated: bool) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    let mut saw_null = false;
    for item in items {
        match v.compare(item) {
            Some(Ordering::Equal) => return Value::Bool(!negated),
            None => saw_null = true,
            _ => {}
        }
    }
    if saw_null { Value::Null } else { Value::Bool(negated) }
}

fn compare_sort(a: &Value, b: &Value, desc: bool, nulls_first: Option<bool>) -> Ordering {
    // PostgreSQL: NULLs are larger than any value (last ascending, first descending).
    let nulls_first = nulls_first.unwrap_or(desc);
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => {
            if nulls_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (false, true) => {
            if nulls_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        _ => {
            let c = a.compare(b).unwrap_or(Ordering::Equal);
            if desc { c.reverse() } else { c }
        }
    }
}

fn dedup(rows: &mut Vec<Vec<Value>>) {
    let mut seen = std::collections::HashSet::new();
    rows.retain(|r| seen.insert(r.iter().map(normalize_key).collect::<Vec<_>>()));
}

fn strpos(hay: &str, needle: &str) -> i64 {
    match hay.find(needle) {
        Some(byte) => hay[..byte].chars().count() as i64 + 1,
        None => 0,
    }
}

fn substr(s: &Value, from: Option<&Value>, len: Option<&Value>) -> Value {
    let Some(s) = s.render() else {
        return Value::Null;
    };
    let chars: Vec<char> = s.chars().collect();
    let start = from.and_then(Value::as_f64).map(|f| f as i64).unwrap_or(1);
    let end = match len.map(|l| l.as_f64()) {
        Some(Some(l)) => start.saturating_add(l.max(0.0) as i64),
        Some(None) => return Value::Null,
        None => i64::MAX,
    };
    let lo = start.max(1) as usize - 1;
    let hi = (end.max(1) as usize - 1).min(chars.len());
    if lo >= hi {
        return Value::text("");
    }
    Value::text(chars[lo..hi].iter().collect::<String>())
}

fn arithmetic(op: &sp::BinaryOperator, a: &Value, b: &Value) -> Result<Value, SqlError> {
    use sp::BinaryOperator as B;
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    let div_zero = || SqlError::new("22012", "division by zero");
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        let (x, y) = (*x, *y);
        return Ok(Value::Int(
            match op {
                B::Plus => x.checked_add(y),
                B::Minus => x.checked_sub(y),
                B::Multiply => x.checked_mul(y),
                B::Divide if y == 0 => return Err(div_zero()),
                B::Divide => x.checked_div(y),
                B::Modulo if y == 0 => return Err(div_zero()),
                _ => x.checked_rem(y),
            }
            .ok_or_else(|| SqlError::new("22003", "bigint out of range"))?,
        ));
    }
    let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
        return Err(SqlError::new(
            "42883",
            format!(
                "operator does not exist: {} {op} {}",
                a.render().unwrap_or_default(),
                b.render().unwrap_or_default()
            ),
        ));
    };
    Ok(Value::Float(match op {
        B::Plus => x + y,
        B::Minus => x - y,
        B::Multiply => x * y,
        B::Divide if y == 0.0 => return Err(div_zero()),
        B::Divide => x / y,
        B::Modulo if y == 0.0 => return Err(div_zero()),
        _ => x % y,
    }))
}

/// redshift.md §1.5/§2: leader-node-only functions can't be combined with user tables or
/// STL/STV/SVL/SVV views (checked on the whole statement before it runs).
fn check_leader_node(q: &sp::Query, w: &Warehouse) -> Result<(), SqlError> {
    use std::ops::ControlFlow;
    let mut leader = false;
    let _ = sp::visit_expressions(q, |e: &sp::Expr| {
        if let sp::Expr::Function(f) = e
            && function_name(f).is_ok_and(|n| super::LEADER_ONLY.contains(&n.as_ref()))
        {
            leader = true;
        }
        ControlFlow::<()>::Continue(())
    });
    if !leader {
        return Ok(());
    }
    let mut compute = false;
    let _ = sp::visit_relations(q, |n: &sp::ObjectName| {
        if let Ok(parts) = name_parts(n) {
            compute |= match parts.as_slice() {
                [name] => {
                    system::is_compute_view(name)
                        || (system::columns(name).is_none()
                            && w.relation(PUBLIC_OID, name).is_some())
                }
                [s, name] if s == "pg_catalog" => system::is_compute_view(name),
                [s, _] if s == "information_schema" => false,
                [_, _] | [_, _, _] => true,
                _ => false,
            };
        }
        ControlFlow::<()>::Continue(())
    });
    if compute {
        return Err(SqlError::new(
            "0A000",
            "Specified types or functions (one per INFO message) not supported on Redshift tables.",
        ));
    }
    Ok(())
}

/// `SELECT pg_sleep(n)` on its own: the session waits (cancellable).
fn sleep_request(q: &sp::Query) -> Result<Option<f64>, SqlError> {
    let sp::SetExpr::Select(s) = q.body.as_ref() else {
        return Ok(None);
    };
    if !s.from.is_empty() || s.projection.len() != 1 {
        return Ok(None);
    }
    let e = match &s.projection[0] {
        sp::SelectItem::UnnamedExpr(e) | sp::SelectItem::ExprWithAlias { expr: e, .. } => e,
        _ => return Ok(None),
    };
    let sp::Expr::Function(f) = e else {
        return Ok(None);
    };
    if function_name(f).ok().as_deref() != Some("pg_sleep") {
        return Ok(None);
    }
    let (args, _, _) = function_args(f)?;
    let secs = match args.as_slice() {
        [sp::Expr::Value(v)] => match literal(&v.value)? {
            Value::Int(i) => i as f64,
            Value::Float(f) => f,
            Value::Text(t) => t.parse().unwrap_or(0.0),
            _ => 0.0,
        },
        _ => return Err(SqlError::new("42883", "function pg_sleep() does not exist")),
    };
    Ok(Some(secs.max(0.0)))
}

/// Runs a SELECT for the session.
pub fn run(q: &sp::Query, ctx: &mut ExecContext<'_>) -> Result<Outcome, SqlError> {
    if let Some(seconds) = sleep_request(q)? {
        return Ok(Outcome::Sleep { seconds });
    }
    Ok(execute(q, ctx, false)?.unwrap_or(Outcome::Rows { fields: Vec::new(), rows: Vec::new() }))
}

/// The result columns of a SELECT without running it (Parse / Describe of a prepared statement):
/// the same checks and column types as `run`, over relations with no rows. `None` when a column's
/// type would come from the values (the caller then runs the query).
pub fn describe(q: &sp::Query, ctx: &mut ExecContext<'_>) -> Result<Option<Outcome>, SqlError> {
    if sleep_request(q)?.is_some() {
        return Ok(None);
    }
    execute(q, ctx, true)
}

fn execute(
    q: &sp::Query,
    ctx: &mut ExecContext<'_>,
    describe_only: bool,
) -> Result<Option<Outcome>, SqlError> {
    let w: &Warehouse = ctx.wh;
    check_leader_node(q, w)?;
    let engine = Engine {
        w,
        user: ctx.user,
        session_user: ctx.session_user,
        db: ctx.database,
        pid: ctx.pid,
        regexes: RefCell::new(HashMap::new()),
        casts: RefCell::new(HashMap::default()),
        literals: RefCell::new(HashMap::default()),
        type_names: RefCell::new(HashMap::new()),
        depth: RefCell::new(0),
        describe_only,
        type_from_value: std::cell::Cell::new(false),
    };
    let rel = engine.query(q, None, &Ctes::new())?;
    if describe_only && engine.type_from_value.get() {
        return Ok(None);
    }
    let fields = rel
        .cols
        .iter()
        .map(|c| FieldDescription {
            name: c.name.clone(),
            ty: c.ty,
            table_oid: c.table_oid,
            column: c.attnum,
            schema: c.schema.clone(),
            table: c.table.clone(),
        })
        .collect();
    Ok(Some(Outcome::Rows { fields, rows: rel.rows }))
}
