//! Parser for the catalog-query subset Shiftgate issues (redshift.md §2): `SELECT <expr>[, …]
//! [FROM <one relation or pg_get_late_binding_view_cols() alias(cols)>] [WHERE …]`, branches joined by
//! `UNION [ALL]`, then `ORDER BY` and `LIMIT`. No joins, subqueries or CTEs: those are reported as
//! unsupported rather than misparsed.

use super::ast::*;
use super::lexer::TokenKind;
use super::parser::Parser;
use crate::error::SqlError;

/// Words that end a select item / FROM item instead of being taken as an alias.
const RESERVED: [&str; 16] = [
    "from", "where", "order", "limit", "union", "group", "having", "join", "inner", "left",
    "right", "full", "cross", "on", "with", "as",
];

impl Parser<'_> {
    pub fn query(&mut self) -> Result<Query, SqlError> {
        if self.at_keyword("with") {
            return Err(SqlError::unsupported("WITH (common table expressions)"));
        }
        let mut branches = vec![self.select()?];
        let mut union_distinct = Vec::new();
        while self.eat_keyword("union") {
            let all = self.eat_keyword("all");
            union_distinct.push(!all);
            branches.push(self.select()?);
        }
        if self.at_keyword("intersect") || self.at_keyword("except") || self.at_keyword("minus") {
            return Err(SqlError::unsupported("INTERSECT/EXCEPT"));
        }
        let mut order_by = Vec::new();
        if self.eat_keyword("order") {
            self.expect_keyword("by")?;
            loop {
                let expr = self.expr()?;
                let descending = if self.eat_keyword("desc") {
                    true
                } else {
                    self.eat_keyword("asc");
                    false
                };
                order_by.push(OrderItem { expr, descending });
                if !self.eat_symbol(",") {
                    break;
                }
            }
        }
        let mut limit = None;
        if self.eat_keyword("limit") {
            match self.peek().map(|t| &t.kind) {
                Some(TokenKind::Number(n)) => {
                    limit = Some(n.parse().map_err(|_| self.error_here())?);
                    self.next();
                }
                _ if self.eat_keyword("all") => {}
                _ => return Err(self.error_here()),
            }
        }
        if self.at_keyword("offset") {
            return Err(SqlError::unsupported("OFFSET"));
        }
        Ok(Query { branches, union_distinct, order_by, limit })
    }

    fn select(&mut self) -> Result<Select, SqlError> {
        if self.eat_symbol("(") {
            return Err(SqlError::unsupported("parenthesized query"));
        }
        self.expect_keyword("select")?;
        let distinct = self.eat_keyword("distinct");
        self.eat_keyword("all");
        let mut items = Vec::new();
        loop {
            if self.eat_symbol("*") {
                items.push(SelectItem::Wildcard);
            } else if matches!(self.peek().map(|t| &t.kind), Some(TokenKind::Ident { .. }))
                && self.peek_at(1).is_some_and(|t| t.is_symbol("."))
                && self.peek_at(2).is_some_and(|t| t.is_symbol("*"))
            {
                self.pos += 3;
                items.push(SelectItem::Wildcard);
            } else {
                let expr = self.expr()?;
                let alias = self.alias()?;
                items.push(SelectItem::Expr { expr, alias });
            }
            if !self.eat_symbol(",") {
                break;
            }
        }
        let from = if self.eat_keyword("from") { Some(self.relation_item()?) } else { None };
        if self.at_symbol(",")
            || self.at_keyword("join")
            || self.at_keyword("inner")
            || self.at_keyword("left")
            || self.at_keyword("cross")
            || self.at_keyword("right")
            || self.at_keyword("full")
        {
            return Err(SqlError::unsupported("JOIN"));
        }
        let filter = if self.eat_keyword("where") { Some(self.expr()?) } else { None };
        if self.at_keyword("group") || self.at_keyword("having") {
            return Err(SqlError::unsupported("GROUP BY"));
        }
        Ok(Select { distinct, items, from, filter })
    }

    fn alias(&mut self) -> Result<Option<String>, SqlError> {
        if self.eat_keyword("as") {
            return Ok(Some(self.ident()?));
        }
        match self.peek() {
            Some(t) if matches!(&t.kind, TokenKind::Ident { value, quoted } if *quoted || !RESERVED.contains(&value.to_ascii_lowercase().as_str())) => {
                Ok(Some(self.ident()?))
            }
            _ => Ok(None),
        }
    }

    fn relation_item(&mut self) -> Result<FromItem, SqlError> {
        if self.at_symbol("(") {
            return Err(SqlError::unsupported("subquery in FROM"));
        }
        let name = self.object_name()?;
        if self.eat_symbol("(") {
            self.expect_symbol(")")?;
            let fname = name.name.clone();
            if name.schema.as_deref().is_some_and(|s| s != "pg_catalog") {
                return Err(SqlError::unsupported(format!("function {fname} in FROM")));
            }
            self.eat_keyword("as");
            let alias = self.ident()?;
            let columns = if self.eat_symbol("(") {
                let c = self.column_defs()?;
                self.expect_symbol(")")?;
                c
            } else {
                Vec::new()
            };
            return Ok(FromItem::Function { name: fname, alias, columns });
        }
        let alias = self.alias()?;
        Ok(FromItem::Relation { name, alias })
    }

    pub fn expr(&mut self) -> Result<Expr, SqlError> {
        self.depth += 1;
        let result = if self.depth > 64 {
            Err(SqlError::new("54001", "stack depth limit exceeded"))
        } else {
            self.or_expr()
        };
        self.depth -= 1;
        result
    }

    fn or_expr(&mut self) -> Result<Expr, SqlError> {
        let mut left = self.and_expr()?;
        while self.eat_keyword("or") {
            let right = self.and_expr()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, SqlError> {
        let mut left = self.not_expr()?;
        while self.eat_keyword("and") {
            let right = self.not_expr()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not_expr(&mut self) -> Result<Expr, SqlError> {
        if self.eat_keyword("not") {
            return Ok(Expr::Not(Box::new(self.expr_no_or()?)));
        }
        self.predicate()
    }

    /// `NOT` binds tighter than AND/OR; nested NOTs go through the depth guard.
    fn expr_no_or(&mut self) -> Result<Expr, SqlError> {
        self.depth += 1;
        let result = if self.depth > 64 {
            Err(SqlError::new("54001", "stack depth limit exceeded"))
        } else {
            self.not_expr()
        };
        self.depth -= 1;
        result
    }

    fn predicate(&mut self) -> Result<Expr, SqlError> {
        let left = self.concat()?;
        let op = match self.peek() {
            Some(t) if t.is_symbol("=") => Some(CmpOp::Eq),
            Some(t) if t.is_symbol("<>") || t.is_symbol("!=") => Some(CmpOp::Ne),
            Some(t) if t.is_symbol("<") => Some(CmpOp::Lt),
            Some(t) if t.is_symbol("<=") => Some(CmpOp::Le),
            Some(t) if t.is_symbol(">") => Some(CmpOp::Gt),
            Some(t) if t.is_symbol(">=") => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.next();
            if self.at_keyword("any") || self.at_keyword("all") {
                return Err(SqlError::unsupported("ANY/ALL"));
            }
            let right = self.concat()?;
            return Ok(Expr::Cmp(op, Box::new(left), Box::new(right)));
        }
        if self.eat_keyword("is") {
            let negated = self.eat_keyword("not");
            self.expect_keyword("null")?;
            return Ok(Expr::IsNull { expr: Box::new(left), negated });
        }
        let negated = self.at_keyword("not")
            && self.peek_at(1).is_some_and(|t| {
                t.is_keyword("in") || t.is_keyword("like") || t.is_keyword("ilike")
            });
        if negated {
            self.next();
        }
        if self.eat_keyword("in") {
            self.expect_symbol("(")?;
            if self.at_keyword("select") {
                return Err(SqlError::unsupported("subquery in IN"));
            }
            let mut list = vec![self.expr()?];
            while self.eat_symbol(",") {
                list.push(self.expr()?);
            }
            self.expect_symbol(")")?;
            return Ok(Expr::InList { expr: Box::new(left), list, negated });
        }
        if self.eat_keyword("like") {
            let pattern = self.concat()?;
            if self.at_keyword("escape") {
                return Err(SqlError::unsupported("LIKE … ESCAPE"));
            }
            return Ok(Expr::Like { expr: Box::new(left), pattern: Box::new(pattern), negated });
        }
        if self.at_keyword("ilike") || self.at_keyword("similar") || self.at_keyword("between") {
            return Err(SqlError::unsupported(
                self.peek().map(|t| t.text.to_ascii_uppercase()).unwrap_or_default(),
            ));
        }
        if negated {
            return Err(self.error_here());
        }
        Ok(left)
    }

    fn concat(&mut self) -> Result<Expr, SqlError> {
        let mut left = self.postfix()?;
        while self.eat_symbol("||") {
            let right = self.postfix()?;
            left = Expr::Concat(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn postfix(&mut self) -> Result<Expr, SqlError> {
        let mut e = self.primary()?;
        while self.eat_symbol("::") {
            let type_name = self.ident()?;
            e = Expr::Cast { expr: Box::new(e), type_name };
        }
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, SqlError> {
        let Some(tok) = self.peek() else {
            return Err(self.error_here());
        };
        match &tok.kind {
            TokenKind::Str(s) => {
                self.next();
                Ok(Expr::Str(s.clone()))
            }
            TokenKind::Number(n) => {
                self.next();
                n.parse()
                    .map(Expr::Int)
                    .map_err(|_| SqlError::unsupported(format!("numeric literal {n}")))
            }
            TokenKind::Symbol("(") => {
                self.next();
                if self.at_keyword("select") {
                    return Err(SqlError::unsupported("scalar subquery"));
                }
                let e = self.expr()?;
                self.expect_symbol(")")?;
                Ok(e)
            }
            TokenKind::Symbol("-") => {
                self.next();
                match self.expr_no_or()? {
                    Expr::Int(i) => Ok(Expr::Int(-i)),
                    _ => Err(SqlError::unsupported("unary minus")),
                }
            }
            TokenKind::Ident { value, quoted } => {
                let quoted = *quoted;
                let lower = value.to_ascii_lowercase();
                if !quoted {
                    match lower.as_str() {
                        "true" => {
                            self.next();
                            return Ok(Expr::Bool(true));
                        }
                        "false" => {
                            self.next();
                            return Ok(Expr::Bool(false));
                        }
                        "null" => {
                            self.next();
                            return Ok(Expr::Null);
                        }
                        "current_user" | "session_user" | "user" | "current_schema"
                            if !self.peek_at(1).is_some_and(|t| t.is_symbol("(")) =>
                        {
                            self.next();
                            let name = if lower == "user" { "current_user".into() } else { lower };
                            return Ok(Expr::Call { name, args: Vec::new() });
                        }
                        "case" | "exists" | "array" | "cast" | "interval" => {
                            return Err(SqlError::unsupported(lower.to_ascii_uppercase()));
                        }
                        kw if RESERVED.contains(&kw) => return Err(self.error_here()),
                        _ => {}
                    }
                }
                let first = self.ident()?;
                let (qualifier, name) =
                    if self.eat_symbol(".") { (Some(first), self.ident()?) } else { (None, first) };
                if self.eat_symbol("(") {
                    if qualifier.as_deref().is_some_and(|q| q != "pg_catalog") {
                        return Err(SqlError::unsupported(format!("function {name}")));
                    }
                    let mut args = Vec::new();
                    if self.eat_symbol("*") {
                        args.push(Expr::Str("*".into()));
                    } else if !self.at_symbol(")") {
                        args.push(self.expr()?);
                        while self.eat_symbol(",") {
                            args.push(self.expr()?);
                        }
                    }
                    self.expect_symbol(")")?;
                    if self.at_keyword("over") {
                        return Err(SqlError::unsupported("window functions"));
                    }
                    return Ok(Expr::Call { name, args });
                }
                Ok(Expr::Column { qualifier, name })
            }
            _ => Err(self.error_here()),
        }
    }
}
