//! FROM items of the query engine: system relations (scanned with only the columns a query names),
//! information_schema views, user tables with their sample rows under Redshift's privilege checks,
//! table functions, derived tables and aliases.

use super::*;

impl Engine<'_> {
    // ---- relations --------------------------------------------------------------------------

    pub(super) fn with_alias(
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
                    c.ty = type_facts(dt).ty;
                }
            }
        }
        for c in &mut rel.cols {
            c.qual = Some(qual.clone());
        }
        Ok(rel)
    }

    pub(super) fn usage(&self, schema_oid: u32, schema: &str) -> Result<(), SqlError> {
        match self.w.schema(schema_oid) {
            Some(s) if self.w.schema_privilege(self.user, s, SchemaPrivilege::Usage) => Ok(()),
            _ => Err(SqlError::permission_denied(format!("for schema {schema}"))),
        }
    }

    /// A system relation's columns and rows; with `want`, only the columns it names (the rest are
    /// never built).
    pub(super) fn system_relation(
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

    pub(super) fn named_relation(
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
            let cols = super::super::information_schema::columns(name)
                .ok_or_else(|| SqlError::unsupported(format!("information_schema.{name}")))?;
            return Ok(Rel {
                cols: cols.into_iter().map(|(n, t)| Col::plain(n, t)).collect(),
                rows: if self.describe_only {
                    Vec::new()
                } else {
                    super::super::information_schema::rows(name, self.w, self.user, self.db)
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

    pub(super) fn table_function(
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
                let empty = Scope::empty(outer);
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
    pub(super) fn table_factor(
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
}
