//! Walks over a statement's syntax tree: one expression and its operands (`walk`, not into
//! subqueries), and a whole query or SELECT with every expression and table name in it, subqueries
//! included (`QueryWalk`). Hand-written instead of sqlparser's `visitor` feature, whose derived
//! walk over every kind of syntax node cost the app about 0.2 MB; a construct `QueryWalk` does not
//! look into is reported (`incomplete`) so that callers assume the worst.

use sqlparser::ast as sp;

use super::{argument_exprs, join::join_kind};

/// Calls `visit` on `e` and its sub-expressions, not descending into subqueries. False when it
/// met a kind of expression whose operands it does not know (they were not visited).
pub(super) fn walk<'e>(e: &'e sp::Expr, visit: &mut dyn FnMut(&'e sp::Expr)) -> bool {
    visit(e);
    use sp::Expr as E;
    let mut known = true;
    let mut go = |x: &'e sp::Expr| known &= walk(x, visit);
    match e {
        E::BinaryOp { left, right, .. }
        | E::AnyOp { left, right, .. }
        | E::AllOp { left, right, .. }
        | E::IsDistinctFrom(left, right)
        | E::IsNotDistinctFrom(left, right) => {
            go(left);
            go(right);
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
        | E::InSubquery { expr, .. } => go(expr),
        E::InList { expr, list, .. } => {
            go(expr);
            list.iter().for_each(go);
        }
        E::Between { expr, low, high, .. } => {
            go(expr);
            go(low);
            go(high);
        }
        E::Like { expr, pattern, .. } | E::ILike { expr, pattern, .. } => {
            go(expr);
            go(pattern);
        }
        E::Case { operand, conditions, else_result, .. } => {
            operand.iter().for_each(|o| go(o));
            for c in conditions {
                go(&c.condition);
                go(&c.result);
            }
            else_result.iter().for_each(|x| go(x));
        }
        E::Function(f) => match argument_exprs(f) {
            Ok(args) => args.for_each(go),
            Err(_) => return false,
        },
        E::Substring { expr, substring_from, substring_for, .. } => {
            go(expr);
            substring_from.iter().chain(substring_for.iter()).for_each(|x| go(x));
        }
        E::Trim { expr, trim_what, .. } => {
            go(expr);
            trim_what.iter().for_each(|x| go(x));
        }
        E::Position { expr, r#in } => {
            go(expr);
            go(r#in);
        }
        E::Tuple(items) => items.iter().for_each(go),
        // Leaves (a subquery's own expressions are its query's).
        E::Identifier(_)
        | E::CompoundIdentifier(_)
        | E::Value(_)
        | E::TypedString { .. }
        | E::Subquery(_)
        | E::Exists { .. } => {}
        // (Field access reads its root only.)
        E::CompoundFieldAccess { root, .. } => {
            go(root);
            return false;
        }
        _ => return false,
    }
    known
}

/// Calls `on_expr` for every expression (and sub-expression) and `on_table` for every table name
/// of a query, descending into CTEs, derived tables, joins and subqueries.
pub(super) struct QueryWalk<'f> {
    pub(super) on_expr: &'f mut dyn FnMut(&sp::Expr),
    pub(super) on_table: &'f mut dyn FnMut(&sp::ObjectName),
    /// A construct was not looked into: some expression or table may have been missed.
    pub(super) incomplete: bool,
}

impl QueryWalk<'_> {
    pub(super) fn query(&mut self, q: &sp::Query) {
        if let Some(with) = &q.with {
            for cte in &with.cte_tables {
                self.query(&cte.query);
            }
        }
        self.set_expr(&q.body);
        if let Some(o) = &q.order_by
            && let sp::OrderByKind::Expressions(v) = &o.kind
        {
            v.iter().for_each(|o| self.expr(&o.expr));
        }
        match &q.limit_clause {
            None => {}
            Some(sp::LimitClause::LimitOffset { limit, offset, limit_by }) => {
                limit.iter().chain(offset.iter().map(|o| &o.value)).for_each(|e| self.expr(e));
                limit_by.iter().for_each(|e| self.expr(e));
            }
            Some(sp::LimitClause::OffsetCommaLimit { offset, limit }) => {
                self.expr(offset);
                self.expr(limit);
            }
        }
        if let Some(f) = &q.fetch {
            f.quantity.iter().for_each(|e| self.expr(e));
        }
    }

    fn set_expr(&mut self, s: &sp::SetExpr) {
        match s {
            sp::SetExpr::Select(select) => self.select(select),
            sp::SetExpr::Query(q) => self.query(q),
            sp::SetExpr::SetOperation { left, right, .. } => {
                self.set_expr(left);
                self.set_expr(right);
            }
            sp::SetExpr::Values(v) => v.rows.iter().flatten().for_each(|e| self.expr(e)),
            _ => self.incomplete = true,
        }
    }

    /// Every expression and table of one SELECT (ORDER BY belongs to the enclosing query).
    pub(super) fn select(&mut self, s: &sp::Select) {
        for item in &s.projection {
            match item {
                sp::SelectItem::UnnamedExpr(e) | sp::SelectItem::ExprWithAlias { expr: e, .. } => {
                    self.expr(e)
                }
                sp::SelectItem::QualifiedWildcard(
                    sp::SelectItemQualifiedWildcardKind::Expr(e),
                    _,
                ) => self.expr(e),
                sp::SelectItem::QualifiedWildcard(..) | sp::SelectItem::Wildcard(_) => {}
            }
        }
        for twj in &s.from {
            self.table_with_joins(twj);
        }
        if let Some(sp::Distinct::On(v)) = &s.distinct {
            v.iter().for_each(|e| self.expr(e));
        }
        for e in [&s.prewhere, &s.selection, &s.having, &s.qualify].into_iter().flatten() {
            self.expr(e);
        }
        if let sp::GroupByExpr::Expressions(v, _) = &s.group_by {
            v.iter().for_each(|e| self.expr(e));
        }
        s.cluster_by.iter().chain(&s.distribute_by).for_each(|e| self.expr(e));
        s.sort_by.iter().for_each(|o| self.expr(&o.expr));
        if !s.named_window.is_empty() || !s.lateral_views.is_empty() || s.connect_by.is_some() {
            self.incomplete = true;
        }
    }

    fn table_with_joins(&mut self, twj: &sp::TableWithJoins) {
        self.table_factor(&twj.relation);
        for j in &twj.joins {
            self.table_factor(&j.relation);
            match join_kind(&j.join_operator) {
                Ok((_, sp::JoinConstraint::On(e))) => self.expr(e),
                Ok(_) => {}
                Err(_) => self.incomplete = true,
            }
        }
    }

    fn table_factor(&mut self, t: &sp::TableFactor) {
        match t {
            sp::TableFactor::Table { name, args, .. } => {
                (self.on_table)(name);
                if let Some(a) = args {
                    self.function_args(&a.args);
                }
            }
            sp::TableFactor::Derived { subquery, .. } => self.query(subquery),
            sp::TableFactor::NestedJoin { table_with_joins, .. } => {
                self.table_with_joins(table_with_joins)
            }
            sp::TableFactor::TableFunction { expr, .. } => self.expr(expr),
            sp::TableFactor::Function { args, .. } => self.function_args(args),
            sp::TableFactor::UNNEST { array_exprs, .. } => {
                array_exprs.iter().for_each(|e| self.expr(e))
            }
            _ => self.incomplete = true,
        }
    }

    fn function_args(&mut self, args: &[sp::FunctionArg]) {
        for a in args {
            match a {
                sp::FunctionArg::Named { arg, .. }
                | sp::FunctionArg::ExprNamed { arg, .. }
                | sp::FunctionArg::Unnamed(arg) => {
                    if let sp::FunctionArgExpr::Expr(e) = arg {
                        self.expr(e);
                    }
                }
            }
        }
    }

    /// An expression with its operands (`walk`), then into the subqueries among them.
    pub(super) fn expr<'e>(&mut self, e: &'e sp::Expr) {
        let mut subqueries: Vec<&'e sp::Query> = Vec::new();
        let mut filters: Vec<&'e sp::Expr> = Vec::new();
        let mut incomplete = false;
        let known = walk(e, &mut |x| {
            (self.on_expr)(x);
            use sp::Expr as E;
            match x {
                E::Subquery(q)
                | E::Exists { subquery: q, .. }
                | E::InSubquery { subquery: q, .. } => subqueries.push(q),
                E::Function(f) => {
                    incomplete |= f.over.is_some();
                    if let sp::FunctionArguments::Subquery(q) = &f.args {
                        subqueries.push(q);
                    }
                    if let Some(filter) = &f.filter {
                        filters.push(filter); // not an operand for `walk`
                    }
                }
                _ => {}
            }
        });
        self.incomplete |= incomplete || !known;
        for q in subqueries {
            self.query(q);
        }
        for f in filters {
            self.expr(f);
        }
    }
}
