//! What the catalog tool will see: the seed vendor's own definitions query (metamapper.md §4.1
//! for Redshift — `pg_class`/`pg_attribute`/`pg_type`/`pg_namespace`/`pg_attrdef`/
//! `pg_description`; §4.2 for PostgreSQL — `information_schema.columns`/`tables` with a
//! primary-key CTE, `regnamespace` and `to_regclass` ids), written out here from that description,
//! and a count query wrapped around it so verify learns, per schema, how many tables and columns
//! the tool would index without shipping every row.
//!
//! The wrapper counts `table_object_id`, which forces the id expressions to be evaluated the way
//! the tool evaluates them: on PostgreSQL `'Sales EU'::regnamespace` fails for the whole query and
//! `to_regclass` yields NULL for names needing quotes — both things the admin should see. Pure.

use std::collections::BTreeMap;

use super::plan::Dialect;
use super::query::{CatalogQuery, QueryId, Row, RowError, text};

/// Which inspector's query, and how a column default is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InspectorFlavor {
    /// §4.1. `adsrc: false` reads defaults with `pg_get_expr(adbin, adrelid)`, for a PostgreSQL
    /// 12+ stand-in where `pg_attrdef.adsrc` no longer exists.
    Redshift {
        /// `pg_attrdef.adsrc` exists (Redshift, PostgreSQL < 12).
        adsrc: bool,
    },
    /// §4.2.
    Postgres,
}

impl InspectorFlavor {
    /// The flavor the tool uses against `dialect`.
    pub fn for_dialect(dialect: Dialect) -> Self {
        match dialect {
            Dialect::Redshift => InspectorFlavor::Redshift { adsrc: true },
            Dialect::Postgres => InspectorFlavor::Postgres,
        }
    }

    /// Schemas the tool leaves out (its `sys_schemas`).
    fn excluded(self) -> &'static str {
        match self {
            InspectorFlavor::Redshift { .. } => "'information_schema', 'pg_catalog', 'pg_internal'",
            InspectorFlavor::Postgres => "'information_schema', 'pg_catalog', 'pg_toast'",
        }
    }
}

/// The definitions query without its ORDER BY (the tool orders by schema, table, ordinal).
fn definitions_body(flavor: InspectorFlavor) -> String {
    let excluded = flavor.excluded();
    match flavor {
        InspectorFlavor::Redshift { adsrc } => {
            let default = if adsrc { "d.adsrc" } else { "pg_get_expr(d.adbin, d.adrelid)" };
            format!(
                "SELECT ns.nspname AS table_schema, ns.oid AS schema_object_id, \
                 c.relname AS table_name, c.oid AS table_object_id, \
                 CASE WHEN c.relkind = 'r' THEN 'table' WHEN c.relkind IN ('v', 'm') THEN 'view' END AS table_type, \
                 a.attname AS column_name, pgd.description AS column_description, \
                 c.oid || '/' || a.attnum AS column_object_id, a.attnum AS ordinal_position, \
                 t.typname AS data_type, \
                 CASE WHEN NULLIF(a.atttypmod, -1) IS NOT NULL THEN NULLIF(a.atttypmod, -1) \
                 WHEN t.typname = 'timestamp' THEN NULL ELSE a.attlen END AS max_length, \
                 NULL AS numeric_scale, NOT a.attnotnull AS is_nullable, FALSE AS is_primary, \
                 COALESCE({default}, '') AS default_value \
                 FROM pg_class c \
                 JOIN pg_attribute a ON a.attrelid = c.oid \
                 JOIN pg_type t ON a.atttypid = t.oid \
                 JOIN pg_catalog.pg_namespace ns ON c.relnamespace = ns.oid \
                 LEFT JOIN pg_attrdef d ON c.oid = d.adrelid AND a.attnum = d.adnum \
                 LEFT JOIN pg_catalog.pg_description pgd ON pgd.objsubid = a.attnum AND pgd.objoid = t.oid \
                 WHERE ns.nspname NOT IN ({excluded}) \
                 AND ns.nspname NOT LIKE 'pg_temp%' AND ns.nspname NOT LIKE 'pg_am%' \
                 AND a.attnum > 0 AND c.relkind IN ('r', 'v', 'm')"
            )
        }
        InspectorFlavor::Postgres => format!(
            "WITH primary_key AS (\
             SELECT c.table_schema, c.table_name, c.column_name \
             FROM information_schema.table_constraints tc \
             JOIN information_schema.constraint_column_usage ccu USING (constraint_schema, constraint_name) \
             JOIN information_schema.columns c ON c.table_schema = tc.constraint_schema \
             AND c.table_name = tc.table_name AND c.column_name = ccu.column_name \
             WHERE tc.constraint_type = 'PRIMARY KEY') \
             SELECT c.table_schema, c.table_schema::regnamespace::oid AS schema_object_id, \
             c.table_name, to_regclass(c.table_schema || '.' || c.table_name)::oid AS table_object_id, \
             lower(t.table_type) AS table_type, \
             to_regclass(c.table_schema || '.' || c.table_name)::oid || '/' || c.ordinal_position AS column_object_id, \
             c.column_name, \
             pg_catalog.col_description(to_regclass(c.table_schema || '.' || c.table_name)::oid, c.ordinal_position) AS column_description, \
             c.ordinal_position, c.data_type, \
             COALESCE(c.character_maximum_length, c.numeric_precision) AS max_length, c.numeric_scale, \
             upper(c.is_nullable) = 'YES' AS is_nullable, pk.column_name IS NOT NULL AS is_primary, \
             COALESCE(c.column_default, '') AS default_value \
             FROM information_schema.columns c \
             JOIN information_schema.tables t ON c.table_schema = t.table_schema AND c.table_name = t.table_name \
             LEFT JOIN primary_key pk ON c.table_schema = pk.table_schema AND c.table_name = pk.table_name \
             AND c.column_name = pk.column_name \
             WHERE c.table_schema NOT IN ({excluded})"
        ),
    }
}

/// The definitions query as the tool runs it (one row per column, ordered).
pub fn definitions_sql(flavor: InspectorFlavor) -> String {
    let order = match flavor {
        InspectorFlavor::Redshift { .. } => "ns.nspname, c.relname, a.attnum",
        InspectorFlavor::Postgres => "c.table_schema, c.table_name, c.ordinal_position",
    };
    format!("{} ORDER BY {order}", definitions_body(flavor))
}

/// Per schema: tables, columns, and columns whose table id the tool could not resolve.
pub fn counts_query(flavor: InspectorFlavor) -> CatalogQuery {
    CatalogQuery {
        id: QueryId::InspectorCounts,
        sql: format!(
            "SELECT table_schema, count(DISTINCT table_name) AS tables, count(*) AS columns, \
             count(*) - count(table_object_id) AS unresolved \
             FROM ({}) definitions GROUP BY table_schema ORDER BY table_schema",
            definitions_body(flavor)
        ),
    }
}

/// What the tool indexes in one schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CatalogView {
    /// Tables and views it lists.
    pub tables: usize,
    /// Columns it lists.
    pub columns: usize,
    /// Columns whose table id is NULL (`to_regclass` could not resolve the name).
    pub unresolved: usize,
}

fn count(rows: &[Row], i: usize, column: usize) -> Result<usize, RowError> {
    let id = QueryId::InspectorCounts;
    let t = text(&id, rows, i, column)?;
    t.parse().map_err(|_| RowError::NotCount { query: id, row: i, column, value: t.to_owned() })
}

/// Rows of [`counts_query`], by schema name.
pub fn parse_counts(rows: &[Row]) -> Result<BTreeMap<String, CatalogView>, RowError> {
    let id = QueryId::InspectorCounts;
    (0..rows.len())
        .map(|i| {
            Ok((
                text(&id, rows, i, 0)?.to_owned(),
                CatalogView {
                    tables: count(rows, i, 1)?,
                    columns: count(rows, i, 2)?,
                    unresolved: count(rows, i, 3)?,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redshift_flavor_reads_adsrc_and_postgres_12_stand_in_reads_pg_get_expr() {
        let rs = definitions_sql(InspectorFlavor::Redshift { adsrc: true });
        assert!(rs.contains("COALESCE(d.adsrc, '')"), "{rs}");
        assert!(
            rs.contains("'pg_internal'")
                && rs.ends_with("ORDER BY ns.nspname, c.relname, a.attnum")
        );
        let pg12 = definitions_sql(InspectorFlavor::Redshift { adsrc: false });
        assert!(pg12.contains("pg_get_expr(d.adbin, d.adrelid)") && !pg12.contains("adsrc"));
        let pg = definitions_sql(InspectorFlavor::Postgres);
        assert!(pg.starts_with("WITH primary_key AS (") && pg.contains("::regnamespace::oid"));
        assert!(pg.contains("'pg_toast'"));
        assert_eq!(
            InspectorFlavor::for_dialect(Dialect::Redshift),
            InspectorFlavor::Redshift { adsrc: true }
        );
    }

    #[test]
    fn counts_wrap_the_body_without_its_order_by() {
        let q = counts_query(InspectorFlavor::Postgres);
        assert_eq!(q.id, QueryId::InspectorCounts);
        assert!(q.sql.contains("FROM (WITH primary_key AS ("), "{}", q.sql);
        assert!(q.sql.ends_with(") definitions GROUP BY table_schema ORDER BY table_schema"));
        assert!(!q.sql.contains("ORDER BY c.table_schema"));
    }

    #[test]
    fn counts_parse_and_bad_numbers_are_errors() {
        let rows: Vec<Row> = vec![
            vec![Some("Sales EU".into()), Some("2".into()), Some("5".into()), Some("0".into())],
            vec![Some("hr".into()), Some("1".into()), Some("3".into()), Some("3".into())],
        ];
        let m = parse_counts(&rows).expect("parses");
        assert_eq!(m["Sales EU"], CatalogView { tables: 2, columns: 5, unresolved: 0 });
        assert_eq!(m["hr"].unresolved, 3);
        let bad: Vec<Row> =
            vec![vec![Some("x".into()), Some("two".into()), Some("1".into()), Some("0".into())]];
        assert!(parse_counts(&bad).is_err());
    }
}
