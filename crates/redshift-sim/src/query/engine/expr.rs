//! Expressions of the query engine: column resolution (once per query through `Bindings`), static
//! types, evaluation of operators, CASE, subqueries, casts and literals.

use super::*;

impl Engine<'_> {
    // ---- expressions ------------------------------------------------------------------------

    /// Index of a column reference in `cols` (None-qualified names must be unambiguous).
    pub(super) fn resolve(&self, e: &sp::Expr, cols: &[Col]) -> Result<usize, SqlError> {
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
    pub(super) fn column(&self, e: &sp::Expr, sc: &Scope<'_>) -> Result<Value, SqlError> {
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

    pub(super) fn column_in_chain(&self, e: &sp::Expr, sc: &Scope<'_>) -> Result<Value, SqlError> {
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

    pub(super) fn column_type(&self, e: &sp::Expr, sc: &Scope<'_>) -> Option<WireType> {
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
    pub(super) fn static_type(&self, e: &sp::Expr, sc: &Scope<'_>) -> Option<WireType> {
        use sp::Expr as E;
        match e {
            E::Identifier(_) | E::CompoundIdentifier(_) => self.column_type(e, sc),
            E::Value(v) => literal_type(&v.value),
            E::Cast { data_type, .. } => Some(type_facts(data_type).ty),
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

    /// POSIX-style match (`~`, `~*`, `regexp_*`) with compiled patterns cached per query.
    /// regex-lite folds case for ASCII only, so for `~*` letters outside ASCII are lowered in the
    /// pattern and the text first (escapes such as `\W` are ASCII and untouched).
    pub(super) fn regex_match(
        &self,
        s: &str,
        pattern: &str,
        insensitive: bool,
    ) -> Result<bool, SqlError> {
        let pattern = if insensitive { fold_non_ascii(pattern) } else { Cow::Borrowed(pattern) };
        let s = if insensitive { fold_non_ascii(s) } else { Cow::Borrowed(s) };
        let key = (pattern.into_owned(), insensitive);
        if let Some(r) = self.regexes.borrow().get(&key) {
            return Ok(r.is_match(&s));
        }
        let re = regex_lite::RegexBuilder::new(&key.0)
            .case_insensitive(insensitive)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| SqlError::new("2201B", format!("invalid regular expression: {e}")))?;
        let hit = re.is_match(&s);
        self.regexes.borrow_mut().insert(key, re);
        Ok(hit)
    }

    pub(super) fn subquery_rows(
        &self,
        q: &sp::Query,
        sc: &Scope<'_>,
        ctes: &Ctes,
    ) -> Result<Rel, SqlError> {
        self.query(q, Some(sc), ctes)
    }

    pub(super) fn eval(
        &self,
        e: &sp::Expr,
        sc: &Scope<'_>,
        ctes: &Ctes,
    ) -> Result<Value, SqlError> {
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
                            crate::query::like(&s.to_lowercase(), &p.to_lowercase())
                        } else {
                            crate::query::like(&s, &p)
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
    pub(super) fn any_all(
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
    pub(super) fn literal_value(&self, v: &sp::Value) -> Result<Value, SqlError> {
        if !matches!(v, sp::Value::SingleQuotedString(_)) {
            return literal(v);
        }
        let key = Bindings::addr(v);
        if let Some(value) = self.literals.borrow().get(&key) {
            return Ok(value.clone());
        }
        let value = literal(v)?;
        self.literals.borrow_mut().insert(key, value.clone());
        Ok(value)
    }

    pub(super) fn cast_target(&self, dt: &sp::DataType) -> CastTarget {
        let key = Bindings::addr(dt);
        if let Some(t) = self.casts.borrow().get(&key) {
            return *t;
        }
        let t = type_facts(dt);
        self.casts.borrow_mut().insert(key, t);
        t
    }

    pub(super) fn cast(&self, v: Value, dt: &sp::DataType) -> Result<Value, SqlError> {
        let target = self.cast_target(dt);
        if target.regclass {
            return Ok(match v {
                Value::Null => Value::Null,
                Value::Int(oid) => {
                    match u32::try_from(oid).ok().and_then(|o| self.w.relation_by_oid(o)) {
                        Some(r) => Value::text(crate::query::quote_ident(&r.name)),
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

    pub(super) fn binary(
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
                        Value::Bool(crate::query::like(&s, &p) != negated)
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
}

/// Lower-cases the characters outside ASCII (ASCII case is folded by the regex itself).
fn fold_non_ascii(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if ch.is_ascii() {
            out.push(ch);
        } else {
            out.extend(ch.to_lowercase());
        }
    }
    Cow::Owned(out)
}
