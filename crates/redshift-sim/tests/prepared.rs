//! Prepared statements and the engine's shortcuts (issue 18's catalog-query budget): Parse
//! describes a query over empty relations yet reports what PostgreSQL's parse analysis reports,
//! the described columns are those the rows come with, system relations scanned with only the
//! named columns give the same answers, and COALESCE reads no further than its first non-NULL.

mod common;

use common::catalog_queries::COLUMNS;
use common::*;
use tokio_postgres::types::Type;

#[tokio::test]
async fn parse_rejects_a_missing_column_although_the_relation_has_rows() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    for (sql, code) in [
        ("select relname, no_such_column from pg_class", "42703"),
        ("select c.relname from pg_class c where x.oid = 1", "42P01"),
        // (Functions it does not know are "not supported by the simulator", as at Execute.)
        ("select no_such_function(relname) from pg_class", "0A000"),
        ("select format_type(oid) from pg_type", "42883"),
        ("select oid from pg_class c join pg_namespace n on n.oid = c.relnamespace", "42702"),
    ] {
        match c.prepare(sql).await {
            Ok(_) => panic!("prepare of {sql} succeeded"),
            Err(e) => assert_eq!(db_error(&e).0, code, "{sql}: {:?}", db_error(&e)),
        }
    }
    // A parameter the rows never see still types the statement.
    let st = c.prepare("select relname from pg_class where relname = $1").await.expect("prepare");
    assert_eq!(st.columns()[0].name(), "relname");
}

#[tokio::test]
async fn described_columns_are_the_columns_the_rows_come_with() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    let st = c.prepare(COLUMNS).await.expect("prepare");
    let types: Vec<Type> = st.columns().iter().map(|col| col.type_().clone()).collect();
    assert_eq!(types[3], Type::INT4, "attnum: {types:?}");
    let rows = c.query(&st, &[&"sales"]).await.expect("query");
    assert!(rows.len() >= 7, "sales has two tables with columns: {}", rows.len());
    for r in &rows {
        let described: Vec<&Type> = r.columns().iter().map(|col| col.type_()).collect();
        assert_eq!(described, types.iter().collect::<Vec<_>>());
    }
    // Binary text and integers decode; the order is the ORDER BY's.
    let first: (String, String, i32, String) =
        (rows[0].get(1), rows[0].get(2), rows[0].get(3), rows[0].get(5));
    assert_eq!(first.0, "customers");
    assert_eq!(first.2, 1);
    let amount = rows.iter().find(|r| r.get::<_, String>(2) == "amount").expect("amount");
    assert_eq!(amount.get::<_, String>(5), "numeric(12,2)");
    assert_eq!(amount.get::<_, String>(6), "0");
}

#[tokio::test]
async fn scans_with_named_columns_answer_as_full_scans() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    // With a column alias list every column is scanned (aliases rename by position).
    let by_alias = column(&c, "select x from pg_class as c(x) where c.relname = 'orders'").await;
    let by_name = column(&c, "select oid from pg_class where relname = 'orders'").await;
    assert_eq!(by_alias, by_name);
    assert_eq!(by_name.len(), 1);
    // The same rows through a join that names a few columns and through `*`.
    let joined = rows(
        &c,
        "select c.relname, a.attname from pg_class c join pg_attribute a on a.attrelid = c.oid
          where c.relname = 'orders' and a.attnum > 0 order by a.attnum",
    )
    .await;
    let starred = rows(
        &c,
        "select * from pg_attribute where attrelid = (select oid from pg_class where relname = 'orders')
          and attnum > 0 order by attnum",
    )
    .await;
    assert_eq!(joined.len(), starred.len());
    assert_eq!(
        joined.iter().map(|r| r[1].clone()).collect::<Vec<_>>(),
        starred.iter().map(|r| r[1].clone()).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn coalesce_stops_at_the_first_value() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    assert_eq!(scalar(&c, "select coalesce(null, 7, 1/0)").await, "7");
    assert_eq!(expect_err(&c, "select coalesce(null, 1/0)").await.0, "22012");
    assert_eq!(scalar(&c, "select coalesce(null, null, 'x')").await, "x");
}

/// The engine reads the syntax tree itself (no printing, no copies, its own walk): casts name
/// their column after PostgreSQL's type name and truncate to their length, join conditions taken
/// apart and put back still all apply, columns named only inside a subquery are still scanned, and
/// the leader-node rule sees functions and tables however deep they sit.
#[tokio::test]
async fn casts_joins_and_subqueries_read_from_the_syntax_tree() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    let st = c
        .prepare("select 1::integer, 'abcdef'::varchar(3), 'x'::\"char\", 2::bigint as n")
        .await
        .expect("prepare");
    let names: Vec<&str> = st.columns().iter().map(|col| col.name()).collect();
    assert_eq!(names, ["int4", "varchar", "char", "n"]);
    let types: Vec<&Type> = st.columns().iter().map(|col| col.type_()).collect();
    assert_eq!(types, [&Type::INT4, &Type::VARCHAR, &Type::CHAR, &Type::INT8]);
    assert_eq!(scalar(&c, "select 'abcdef'::character varying(3)").await, "abc");
    // Types spelled with their schema, as psql writes them.
    let st = c.prepare("select 'x'::pg_catalog.text, 1::pg_catalog.int8").await.expect("prepare");
    let types: Vec<&Type> = st.columns().iter().map(|col| col.type_()).collect();
    assert_eq!(types, [&Type::TEXT, &Type::INT8]);
    // `~*` folds case beyond ASCII too.
    assert_eq!(scalar(&c, "select 'ÄRGER' ~* '^är' and 'Straße' ~* 'STRASSE' = false").await, "t");
    // Three conditions on one join: the hashed equality and the two others all apply.
    let joined = column(
        &c,
        "select c.relname from pg_class c join pg_namespace n
           on n.oid = c.relnamespace and n.nspname = 'sales' and c.relname like 'o%'
         order by 1",
    )
    .await;
    assert_eq!(joined, ["orders"]);
    // `relnamespace` is named only inside the correlated subquery.
    let correlated = column(
        &c,
        "select c.relname from pg_class c
          where c.relkind = 'r' and exists (select 1 from pg_namespace n
                                             where n.oid = c.relnamespace and n.nspname = 'sales')
          order by 1",
    )
    .await;
    assert_eq!(correlated, ["customers", "orders"]);
    let leader = expect_err(
        &c,
        "select * from (select version() as v) x, sales.orders o where o.order_id = 1",
    )
    .await;
    assert_eq!(leader.0, "0A000", "{leader:?}");
    let nested = expect_err(
        &c,
        "select 1 where exists (select 1 from sales.orders where has_table_privilege('sales.orders', 'select'))",
    )
    .await;
    assert_eq!(nested.0, "0A000", "{nested:?}");
}

/// Rows of an Execute go out in chunks as they are encoded: a result of several chunks arrives
/// whole and in order, also through a portal read a few hundred rows at a time.
#[tokio::test]
async fn large_results_arrive_whole_in_chunks() {
    let sim = start_sample().await;
    let mut c = admin(&sim).await;
    let sql = "select a.attrelid, a.attnum, rpad(a.attname, 8000, '.') as padded
                 from pg_attribute a order by 1, 2";
    let count: i64 =
        c.query_one("select count(*) from pg_attribute", &[]).await.expect("count").get(0);
    let rows = c.query(sql, &[]).await.expect("query");
    assert_eq!(rows.len() as i64, count);
    let bytes: usize = rows.iter().map(|r| r.get::<_, String>(2).len()).sum();
    assert!(bytes > 3 * (256 << 10), "only {bytes} bytes: not several chunks");
    assert!(rows.iter().all(|r| r.get::<_, String>(2).len() == 8000));
    let keys: Vec<(i32, i32)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "out of order");
    // The same through a portal, 150 rows per Execute (PortalSuspended between them).
    let t = c.transaction().await.expect("begin");
    let portal = t.bind(sql, &[]).await.expect("bind");
    let mut seen = Vec::new();
    loop {
        let part = t.query_portal(&portal, 150).await.expect("execute");
        if part.is_empty() {
            break;
        }
        assert!(part.len() <= 150);
        seen.extend(part.iter().map(|r| (r.get::<_, i32>(0), r.get::<_, i32>(1))));
    }
    assert_eq!(seen, keys);
    t.commit().await.expect("commit");
}
