//! Functions of the query engine: aggregates and the scalar / catalog functions clients call at
//! connect and introspection time (the rest fall through to `query::call_builtin`).

use super::*;

impl Engine<'_> {
    pub(super) fn aggregate(
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

    pub(super) fn function(
        &self,
        f: &sp::Function,
        sc: &Scope<'_>,
        ctes: &Ctes,
    ) -> Result<Value, SqlError> {
        let name = function_name(f)?;
        if f.over.is_some() {
            return Err(SqlError::unsupported(format!("window function {name}")));
        }
        if AGGREGATES.contains(&name.as_ref()) && !matches!(f.args, sp::FunctionArguments::None) {
            return self.aggregate(&name, f, sc, ctes);
        }
        if name == "coalesce" {
            // Evaluated lazily, as SQL defines it: the first non-NULL argument, later ones unread.
            for a in argument_exprs(f)? {
                let v = self.eval(a, sc, ctes)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            return Ok(Value::Null);
        }
        // Arguments are evaluated into a buffer on the stack (a call per row allocates nothing).
        let mut buf: [Value; 4] = Default::default();
        let mut count = 0;
        let mut rest = Vec::new();
        for e in argument_exprs(f)? {
            let v = self.eval(e, sc, ctes)?;
            match buf.get_mut(count) {
                Some(slot) => *slot = v,
                None => rest.push(v),
            }
            count += 1;
        }
        if rest.is_empty() {
            self.call(&name, &buf[..count], sc)
        } else {
            let all: Vec<Value> = buf.into_iter().chain(rest).collect();
            self.call(&name, &all, sc)
        }
    }

    pub(super) fn call(
        &self,
        name: &str,
        args: &[Value],
        _sc: &Scope<'_>,
    ) -> Result<Value, SqlError> {
        let text = |i: usize| args.get(i).and_then(Value::render);
        let int = |i: usize| args.get(i).and_then(Value::as_f64).map(|f| f as i64);
        let arity = |allowed: &[usize]| crate::query::check_arity(name, args.len(), allowed);
        Ok(match name {
            // Catalog queries call this once per column: first in the match.
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
                            r.columns.iter().map(|c| crate::query::quote_ident(&c.name)).collect();
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
                            crate::query::quote_ident(&schema),
                            crate::query::quote_ident(&r.name)
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
                    (Some(s), Some(d), Some(n)) if n >= 1 => {
                        Value::text(s.split(d.as_str()).nth(n as usize - 1).unwrap_or(""))
                    }
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
                        let out =
                            self.regexes.borrow().get(&(p, false)).map(|r| {
                                r.replace_all(&s, regex_lite::NoExpand(&with)).into_owned()
                            });
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
                return crate::query::call_builtin(
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
