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

mod expr;
mod functions;
mod join;
mod relations;
mod scalar;
mod walk;

use scalar::*;
use walk::{QueryWalk, walk};

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

/// Where column references are looked up: the current row, the rows of the current group (for
/// aggregates), and the enclosing query's scope (correlated subqueries).
#[derive(Clone, Copy)]
struct Scope<'s> {
    cols: &'s [Col],
    row: &'s [Value],
    group: Option<&'s [Vec<Value>]>,
    parent: Option<&'s Scope<'s>>,
    /// Select-list aliases usable in WHERE (Redshift's lateral column alias reference).
    aliases: Option<&'s [(String, &'s sp::Expr)]>,
    /// Column references of the query already resolved against `cols` (names resolved once per
    /// query, not once per row).
    bound: Option<&'s Bindings>,
}

impl<'s> Scope<'s> {
    /// No FROM row (VALUES, a function in FROM): only the enclosing query's columns are visible.
    fn empty(parent: Option<&'s Scope<'s>>) -> Self {
        Scope { cols: &[], row: &[], group: None, parent, aliases: None, bound: None }
    }
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

/// What a cast's type name means (`scalar::type_facts`), worked out once per cast node.
#[derive(Clone, Copy)]
struct CastTarget {
    regclass: bool,
    ty: WireType,
    /// `varchar(n)` / `char(n)`: explicit casts truncate to n characters.
    char_length: Option<usize>,
    /// PostgreSQL's name of the type (`int4`, `varchar`): a cast's output column name.
    name: &'static str,
}

struct Engine<'a> {
    w: &'a Warehouse,
    user: u32,
    session_user: u32,
    db: &'a str,
    pid: i32,
    regexes: RefCell<HashMap<(String, bool), regex_lite::Regex>>,
    /// Cast targets by syntax-tree node (a cast in a SELECT list is evaluated once per row).
    /// Nodes are known by address: the engine evaluates the nodes of the statement it was made
    /// for, which outlives it, and never copies them (the only nodes it builds are the column
    /// references of an expanded `*`, which hold no cast or literal).
    casts: RefCell<IntMap<usize, CastTarget>>,
    /// String literals by syntax-tree node (by address, as `casts`), shared instead of copied.
    literals: RefCell<IntMap<usize, Value>>,
    /// `format_type` results by (type oid, typmod): a catalog query asks once per column.
    type_names: RefCell<IntMap<(i64, Option<i64>), Value>>,
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
        parts => {
            // Spelled from the identifiers: printing the name would link sqlparser's printer.
            let spelled: Vec<&str> =
                parts.iter().map(|p| name_part(p).map_or("?", |i| i.value.as_str())).collect();
            Err(SqlError::new("42883", format!("function {} does not exist", spelled.join("."))))
        }
    }
}

/// The argument expressions of a call (`*` is left out, as for `count(*)`), checked first and
/// then read without allocating: scalar functions are evaluated once per row.
fn argument_exprs(f: &sp::Function) -> Result<impl Iterator<Item = &sp::Expr>, SqlError> {
    use sp::{FunctionArg as A, FunctionArgExpr as X};
    let args: &[A] = match &f.args {
        sp::FunctionArguments::None => &[],
        sp::FunctionArguments::Subquery(_) => {
            return Err(SqlError::unsupported("subquery as argument"));
        }
        sp::FunctionArguments::List(list) => &list.args,
    };
    if let Some(other) =
        args.iter().find(|a| !matches!(a, A::Unnamed(X::Expr(_)) | A::Unnamed(X::Wildcard)))
    {
        return Err(SqlError::unsupported(format!("argument {other}")));
    }
    Ok(args.iter().filter_map(|a| match a {
        A::Unnamed(X::Expr(e)) => Some(e),
        _ => None,
    }))
}

/// The argument expressions of a call, whether DISTINCT, and whether `*`.
fn function_args(f: &sp::Function) -> Result<(Vec<&sp::Expr>, bool, bool), SqlError> {
    let exprs = argument_exprs(f)?.collect();
    Ok(match &f.args {
        sp::FunctionArguments::List(list) => (
            exprs,
            matches!(list.duplicate_treatment, Some(sp::DuplicateTreatment::Distinct)),
            list.args
                .iter()
                .any(|a| matches!(a, sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Wildcard))),
        ),
        _ => (exprs, false, false),
    })
}

fn is_aggregate(f: &sp::Function) -> bool {
    f.over.is_none()
        && function_name(f).is_ok_and(|n| AGGREGATES.contains(&n.as_ref()))
        && !matches!(f.args, sp::FunctionArguments::None)
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

/// The columns a `*` or `t.*` select item stands for, as column references (none for other
/// items).
fn wildcard_columns(
    item: &sp::SelectItem,
    cols: &[Col],
) -> Result<Vec<(String, sp::Expr)>, SqlError> {
    let mine: Vec<&Col> = match item {
        sp::SelectItem::UnnamedExpr(_) | sp::SelectItem::ExprWithAlias { .. } => Vec::new(),
        sp::SelectItem::Wildcard(_) => {
            if cols.is_empty() {
                return Err(SqlError::new(
                    "42601",
                    "SELECT * with no tables specified is not valid",
                ));
            }
            cols.iter().collect()
        }
        sp::SelectItem::QualifiedWildcard(kind, _) => {
            let q = match kind {
                sp::SelectItemQualifiedWildcardKind::ObjectName(n) => {
                    name_parts(n)?.last().cloned().unwrap_or_default()
                }
                sp::SelectItemQualifiedWildcardKind::Expr(_) => {
                    return Err(SqlError::unsupported("expression.* in a select list"));
                }
            };
            let mine: Vec<&Col> = cols.iter().filter(|c| c.qual.as_deref() == Some(&q)).collect();
            if mine.is_empty() {
                return Err(SqlError::new(
                    "42P01",
                    format!("missing FROM-clause entry for table \"{q}\""),
                ));
            }
            mine
        }
    };
    Ok(mine.into_iter().map(|c| (c.name.clone(), column_ref(c))).collect())
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
            "?column?" => type_facts(data_type).name.to_string(),
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
                let empty = Scope::empty(outer);
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
        let (mut src, residual) =
            self.plan_from(&s.from, s.selection.as_ref(), referenced.as_ref(), outer, ctes)?;
        let src_rows = std::mem::take(&mut src.rows);
        let cols = &src.cols;
        // Projection list. Wildcards expand to column references made here; every other item is
        // borrowed from the statement (expressions are never copied: the engine's caches know
        // nodes by address).
        let expanded: Vec<Vec<(String, sp::Expr)>> = s
            .projection
            .iter()
            .map(|item| wildcard_columns(item, cols))
            .collect::<Result<_, _>>()?;
        let mut items: Vec<(String, &sp::Expr)> = Vec::new();
        for (item, columns) in s.projection.iter().zip(&expanded) {
            match item {
                sp::SelectItem::UnnamedExpr(e) => items.push((output_name(e), e)),
                sp::SelectItem::ExprWithAlias { expr, alias } => items.push((ident(alias), expr)),
                sp::SelectItem::Wildcard(_) | sp::SelectItem::QualifiedWildcard(..) => {
                    items.extend(columns.iter().map(|(name, e)| (name.clone(), e)))
                }
            }
        }
        let group_by: &[sp::Expr] = match &s.group_by {
            sp::GroupByExpr::Expressions(v, mods) if mods.is_empty() => v,
            _ => return Err(SqlError::unsupported("GROUP BY ALL / ROLLUP / CUBE")),
        };
        let aggregate = !group_by.is_empty()
            || items.iter().any(|(_, e)| contains_aggregate(e))
            || s.having.as_ref().is_some_and(contains_aggregate);
        // GROUP BY may name output columns or positions.
        let group_exprs: Vec<&sp::Expr> = group_by
            .iter()
            .map(|g| match g {
                sp::Expr::Value(v) => match literal(&v.value) {
                    Ok(Value::Int(n)) if n >= 1 && (n as usize) <= items.len() => {
                        Ok(items[n as usize - 1].1)
                    }
                    _ => Err(SqlError::new(
                        "42P10",
                        format!("GROUP BY position {} is not in select list", v.value),
                    )),
                },
                sp::Expr::Identifier(i) if !cols.iter().any(|c| c.name == ident(i)) => {
                    Ok(items.iter().find(|(n, _)| *n == ident(i)).map(|(_, e)| *e).unwrap_or(g))
                }
                other => Ok(other),
            })
            .collect::<Result<_, _>>()?;

        // Every column reference of this SELECT resolved once against the FROM columns.
        let bindings = Bindings::new(
            self,
            cols,
            residual
                .iter()
                .copied()
                .chain(items.iter().map(|(_, e)| *e))
                .chain(group_exprs.iter().copied())
                .chain(s.having.iter())
                .chain(order.iter().map(|o| &o.expr)),
        );
        let bound = Some(&bindings);
        let null_row = vec![Value::Null; cols.len()];
        // Output types: declared where known, else from the first non-null value.
        let empty_scope =
            Scope { cols, row: &null_row, group: None, parent: outer, aliases: None, bound };
        let types: Vec<Option<WireType>> =
            items.iter().map(|(_, e)| self.static_type(e, &empty_scope)).collect();
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
        // One output row (and its ORDER BY keys) from a FROM row or a group, unless HAVING
        // rejects it.
        let project = |sc: &Scope<'_>,
                       out: &mut Vec<Value>,
                       keys: &mut Vec<Value>|
         -> Result<bool, SqlError> {
            if let Some(h) = &s.having
                && self.eval(h, sc, ctes)?.truth() != Some(true)
            {
                return Ok(false);
            }
            for (((_, e), column), ty) in items.iter().zip(&item_columns).zip(&types) {
                let v = match column {
                    Some(i) => sc.row[*i].clone(),
                    None => self.eval(e, sc, ctes)?,
                };
                // Declared types are applied here; the others once all rows are known.
                out.push(match ty {
                    Some(t) => v.coerce(*t),
                    None => v,
                });
            }
            for (o, src) in order.iter().zip(&order_src) {
                if src.is_none() {
                    keys.push(self.eval(&o.expr, sc, ctes)?);
                }
            }
            Ok(true)
        };
        let passes_where = |row: &[Value]| -> Result<bool, SqlError> {
            let sc = Scope { cols, row, group: None, parent: outer, aliases: Some(&items), bound };
            self.all_true(&residual, &sc, ctes)
        };
        let mut out_rows: Vec<(Vec<Value>, Vec<Value>)> = Vec::new();
        // Rows (or groups) that reached the select list.
        let mut units = 0;
        if aggregate {
            // Each group: a representative row and its rows.
            let mut index: HashMap<Vec<Value>, usize> = HashMap::new();
            let mut groups: Vec<(&[Value], Vec<Vec<Value>>)> = Vec::new();
            for row in &src_rows {
                if !passes_where(row)? {
                    continue;
                }
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
            units = groups.len();
            for (row, group) in &groups {
                let sc = Scope {
                    cols,
                    row,
                    group: Some(group),
                    parent: outer,
                    aliases: Some(&items),
                    bound,
                };
                let (mut out, mut keys) = (Vec::with_capacity(items.len()), Vec::new());
                if project(&sc, &mut out, &mut keys)? {
                    out_rows.push((out, keys));
                }
            }
        } else {
            // Each FROM row becomes its output row in place (no allocation per row).
            out_rows.reserve(src_rows.len());
            let mut out = Vec::with_capacity(items.len());
            for mut row in src_rows {
                if !passes_where(&row)? {
                    continue;
                }
                units += 1;
                let sc = Scope {
                    cols,
                    row: &row,
                    group: None,
                    parent: outer,
                    aliases: Some(&items),
                    bound,
                };
                let mut keys = Vec::new();
                if project(&sc, &mut out, &mut keys)? {
                    row.clear();
                    row.append(&mut out);
                    out_rows.push((row, keys));
                } else {
                    out.clear();
                }
            }
        }
        if self.describe_only && units == 0 {
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
            let exprs = items.iter().map(|(_, e)| *e).chain(residual.iter().copied());
            let exprs = exprs
                .chain(group_exprs.iter().copied())
                .chain(&s.having)
                .chain(order.iter().map(|o| &o.expr));
            self.check_names(exprs, &sc, ctes)?;
        }
        // Types no declaration gives come from the first non-null value.
        let undeclared: Vec<usize> = (0..types.len()).filter(|i| types[*i].is_none()).collect();
        let types: Vec<WireType> = types
            .iter()
            .enumerate()
            .map(|(i, t)| match t {
                Some(t) => *t,
                None => {
                    if self.describe_only {
                        self.type_from_value.set(true);
                    }
                    out_rows.iter().find_map(|(r, _)| value_type(&r[i])).unwrap_or(WireType::Text)
                }
            })
            .collect();
        if !undeclared.is_empty() {
            for (r, _) in &mut out_rows {
                for &i in &undeclared {
                    let taken = std::mem::take(&mut r[i]);
                    r[i] = taken.coerce(types[i]);
                }
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

    /// Every condition is true on the scope's row (a NULL or false stops at once): WHERE and ON
    /// conjuncts.
    fn all_true(&self, conds: &[&sp::Expr], sc: &Scope<'_>, ctes: &Ctes) -> Result<bool, SqlError> {
        for c in conds {
            if self.eval(c, sc, ctes)?.truth() != Some(true) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Evaluates each expression once on a row of NULLs and reports only what parse analysis
    /// would: a column that does not exist or is ambiguous, a function that does not exist — or
    /// that the simulator does not implement (0A000, which every row would raise).
    /// (Positions such as `ORDER BY 2` are literals and evaluate to themselves.)
    fn check_names<'e>(
        &self,
        exprs: impl Iterator<Item = &'e sp::Expr>,
        sc: &Scope<'_>,
        ctes: &Ctes,
    ) -> Result<(), SqlError> {
        for e in exprs {
            match self.eval(e, sc, ctes) {
                Err(err) if ["42703", "42702", "42P01", "42883", "0A000"].contains(&err.code) => {
                    return Err(err);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// redshift.md §1.5/§2: leader-node-only functions can't be combined with user tables or
/// STL/STV/SVL/SVV views (checked on the whole statement before it runs).
fn check_leader_node(q: &sp::Query, w: &Warehouse) -> Result<(), SqlError> {
    let mut leader = false;
    QueryWalk {
        on_expr: &mut |e: &sp::Expr| {
            if let sp::Expr::Function(f) = e
                && function_name(f).is_ok_and(|n| super::LEADER_ONLY.contains(&n.as_ref()))
            {
                leader = true;
            }
        },
        on_table: &mut |_| {},
        incomplete: false,
    }
    .query(q);
    if !leader {
        return Ok(());
    }
    // Only then the tables (most statements call no leader-only function).
    let mut compute = false;
    QueryWalk {
        on_expr: &mut |_| {},
        on_table: &mut |n: &sp::ObjectName| {
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
        },
        incomplete: false,
    }
    .query(q);
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
    execute(q, ctx, false).map(|(outcome, _)| outcome)
}

/// The result columns of a SELECT without running it (Parse / Describe of a prepared statement):
/// the same checks and column types as `run`, over relations with no rows. `None` when a column's
/// type would come from the values (the caller then runs the query).
pub fn describe(q: &sp::Query, ctx: &mut ExecContext<'_>) -> Result<Option<Outcome>, SqlError> {
    if sleep_request(q)?.is_some() {
        return Ok(None);
    }
    let (outcome, type_from_value) = execute(q, ctx, true)?;
    Ok((!type_from_value).then_some(outcome))
}

/// Runs (or, `describe_only`, describes) a SELECT; also says whether an output column's type was
/// taken from a value (which a description over no rows cannot do).
fn execute(
    q: &sp::Query,
    ctx: &mut ExecContext<'_>,
    describe_only: bool,
) -> Result<(Outcome, bool), SqlError> {
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
        type_names: RefCell::new(IntMap::default()),
        depth: RefCell::new(0),
        describe_only,
        type_from_value: std::cell::Cell::new(false),
    };
    let rel = engine.query(q, None, &Ctes::new())?;
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
    Ok((Outcome::Rows { fields, rows: rel.rows }, engine.type_from_value.get()))
}
