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
