//! Real clients against the simulator (issue 18): AWS's Python driver `redshift_connector` (plain
//! and bound-parameter queries, its metadata API, TLS verify-ca with the simulator's CA), `psql`
//! (`\dn`, `\dt sales.*`, `\d sales.orders`), the seed vendor's inspector definitions query run as a
//! catalog user (metamapper.md §4.1), the extended protocol with parameters through tokio-postgres,
//! and serializable isolation between two writing sessions.
//!
//! The Python venv comes from `scripts/py-venv.sh` (PyPI); without it the Python test fails and
//! says which command creates it.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn write_ca(sim: &redshift_sim::RunningSimulator, tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("redshift-sim-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("ca.pem");
    std::fs::write(&path, sim.ca_cert_pem().expect("TLS on")).expect("write CA");
    path
}

const PY_CLIENT: &str = r#"
import json, os, sys, redshift_connector
port, ca = int(sys.argv[1]), sys.argv[2]
def connect():
    return redshift_connector.connect(host="localhost", port=port, database="dev", user="admin",
                                      password=sys.argv[3], ssl=True, sslmode="verify-ca")
out = {}
# The driver trusts its bundled AWS CAs plus the system store: the simulator's CA must be added.
os.environ["SSL_CERT_FILE"] = os.devnull
try:
    connect()
    out["untrusted"] = "connected"
except Exception as e:
    out["untrusted"] = type(e).__name__ + ": " + str(e)
os.environ["SSL_CERT_FILE"] = ca
conn = connect()
cur = conn.cursor()
cur.execute("select current_user, version(), pg_backend_pid() > 0")
out["plain"] = [list(map(str, r)) for r in cur.fetchall()]
cur.execute("select count(*), sum(order_id) from sales.orders where customer_id = %s and order_id < %s",
            (5, 1000))
out["bound"] = [list(map(str, r)) for r in cur.fetchall()]
cur.execute("select nspname from pg_namespace where nspname like %s order by 1", ("s%",))
out["bound_text"] = [r[0] for r in cur.fetchall()]
out["schemas"] = sorted(r[0] for r in cur.get_schemas())
out["tables"] = sorted(r[2] for r in cur.get_tables(schema_pattern="sales", table_name_pattern="%"))
out["columns"] = [[r[3], r[5]] for r in cur.get_columns(schema_pattern="sales", tablename_pattern="orders")]
conn.close()
print(json.dumps(out))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redshift_connector_queries_parameters_and_metadata_over_verify_ca() {
    let python = repo_root().join("target/py-venv/bin/python");
    assert!(
        python.exists(),
        "FAIL: {} is missing — create it with `scripts/py-venv.sh` (redshift_connector from PyPI)",
        python.display()
    );
    let sim = start_sample().await;
    let ca = write_ca(&sim, "py");
    let port = sim.port().to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args(["-c", PY_CLIENT, &port, ca.to_str().unwrap_or_default(), ADMIN_PASSWORD])
            .output()
            .expect("python runs")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "redshift_connector failed:\n{stderr}\n{stdout}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON from the client");
    let untrusted = v["untrusted"].as_str().unwrap_or_default();
    assert!(untrusted.contains("CERTIFICATE_VERIFY_FAILED"), "untrusted CA accepted: {untrusted}");
    assert_eq!(v["plain"][0][0], "admin");
    assert!(v["plain"][0][1].as_str().unwrap_or_default().contains("Redshift 1.0."));
    assert_eq!(v["plain"][0][2], "True");
    // customer_id = order_id * 31 % 97 + 1 in the sample data: a real filter, not every row.
    let count: i64 = v["bound"][0][0].as_str().unwrap_or("0").parse().unwrap_or(0);
    assert!(count > 0 && count < 300, "bound-parameter query counted {count}");
    assert_eq!(v["bound_text"], serde_json::json!(["sales", "spectrum_events"]));
    let schemas: Vec<&str> =
        v["schemas"].as_array().unwrap().iter().filter_map(|s| s.as_str()).collect();
    for s in ["finance data", "marketing", "public", "sales"] {
        assert!(schemas.contains(&s), "get_schemas lacks {s}: {schemas:?}");
    }
    assert_eq!(v["tables"], serde_json::json!(["customers", "orders", "v_orders_lb"]));
    let columns = v["columns"].as_array().unwrap();
    let names: Vec<&str> = columns.iter().filter_map(|c| c[0].as_str()).collect();
    assert_eq!(names, ["order_id", "customer_id", "amount", "ordered_at"]);
}

fn psql(port: u16, ca: &std::path::Path, command: &str) -> (bool, String) {
    let out = Command::new("psql")
        .args([
            &format!(
                "host=localhost port={port} user=admin dbname=dev sslmode=verify-full sslrootcert={}",
                ca.display()
            ),
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            command,
        ])
        .env("PGPASSWORD", ADMIN_PASSWORD)
        .output()
        .expect("psql runs");
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_describes_schemas_tables_and_columns() {
    let sim = start_sample().await;
    let ca = write_ca(&sim, "psql");
    let port = sim.port();
    let results = tokio::task::spawn_blocking(move || {
        ["\\dn", "\\dt sales.*", "\\d sales.orders"].map(|c| (c, psql(port, &ca, c)))
    })
    .await
    .expect("join");
    for (cmd, (ok, text)) in &results {
        assert!(ok, "psql {cmd} failed:\n{text}");
    }
    let dn = &results[0].1.1;
    for s in ["sales", "marketing", "finance data", "etl_loader"] {
        assert!(dn.contains(s), "\\dn lacks {s}:\n{dn}");
    }
    let dt = &results[1].1.1;
    assert!(dt.contains("orders") && dt.contains("customers"), "\\dt sales.*:\n{dt}");
    assert!(!dt.contains("campaigns"), "\\dt sales.* shows another schema:\n{dt}");
    let d = &results[2].1.1;
    for needle in
        ["order_id", "integer", "numeric(12,2)", "timestamp without time zone", "getdate()"]
    {
        assert!(d.contains(needle), "\\d sales.orders lacks {needle}:\n{d}");
    }
}

/// metamapper.md §4.1: the inspector's definitions query, as a catalog user that was only granted
/// USAGE on the schemas (the catalogs are readable by everyone, redshift.md §1.5).
const DEFINITIONS_SQL: &str = "
    SELECT ns.nspname as table_schema, ns.oid::varchar as schema_object_id,
           c.relname as table_name, c.oid::varchar as table_object_id,
           CASE WHEN c.relkind = 'r' THEN 'base table' WHEN c.relkind IN ('v', 'm') THEN 'view' END AS table_type,
           a.attname AS column_name, pgd.description AS column_description,
           c.oid || '/' || a.attnum as column_object_id, a.attnum AS ordinal_position,
           t.typname AS data_type,
           CASE WHEN NULLIF(a.atttypmod, -1) IS NOT NULL THEN NULLIF(a.atttypmod, -1)
                WHEN t.typname = 'timestamp' THEN NULL ELSE a.attlen END as max_length,
           NULL as numeric_scale,
           CASE WHEN a.attnotnull = true THEN FALSE ELSE TRUE END AS is_nullable,
           FALSE AS is_primary, COALESCE(d.adsrc, '') AS default_value
      FROM pg_class c
      JOIN pg_attribute a ON a.attrelid = c.oid
      JOIN pg_type t ON a.atttypid = t.oid
      JOIN pg_catalog.pg_namespace AS ns ON c.relnamespace = ns.oid
 LEFT JOIN pg_attrdef d ON c.oid = d.adrelid AND a.attnum = d.adnum
 LEFT JOIN pg_catalog.pg_description pgd ON pgd.objsubid = a.attnum AND pgd.objoid = c.oid
     WHERE ns.nspname NOT IN ('information_schema','pg_catalog','pg_internal')
       AND ns.nspname NOT LIKE 'pg_temp%' AND ns.nspname NOT LIKE 'pg_am%'
       AND a.attnum > 0 AND c.relkind in ('r', 'v', 'm')
  ORDER BY ns.nspname, c.relname, a.attnum";

#[tokio::test]
async fn inspector_definitions_query_runs_as_the_catalog_user() {
    let sim = start_sample().await;
    let admin = admin(&sim).await;
    exec(
        &admin,
        "CREATE USER catalog_ro PASSWORD 'CatalogRo1!'; \
         GRANT USAGE ON SCHEMA sales TO catalog_ro; GRANT USAGE ON SCHEMA marketing TO catalog_ro",
    )
    .await;
    let ro = connect_tls(&sim, "catalog_ro", "CatalogRo1!", "dev").await.expect("catalog user");
    let rows = rows(&ro, DEFINITIONS_SQL).await;
    let find = |schema: &str, table: &str, col: &str| {
        rows.iter()
            .find(|r| {
                r[0].as_deref() == Some(schema)
                    && r[2].as_deref() == Some(table)
                    && r[5].as_deref() == Some(col)
            })
            .cloned()
            .unwrap_or_else(|| panic!("{schema}.{table}.{col} missing from {rows:?}"))
    };
    let amount = find("sales", "orders", "amount");
    assert_eq!(amount[4].as_deref(), Some("base table"));
    assert_eq!(amount[6].as_deref(), Some("Order total in USD"));
    assert_eq!(amount[9].as_deref(), Some("numeric"));
    assert_eq!(amount[10].as_deref(), Some(&*(((12 << 16) | 2) + 4).to_string()));
    assert_eq!(amount[14].as_deref(), Some("0"));
    let ordered_at = find("sales", "orders", "ordered_at");
    assert_eq!(ordered_at[10], None, "timestamp max_length is NULL");
    let view = find("marketing", "v_active_campaigns", "name");
    assert_eq!(view[4].as_deref(), Some("view"));
    assert!(rows.iter().all(|r| r[0].as_deref() != Some("pg_catalog")));
    // Ordered by schema, table, attnum.
    let keys: Vec<(String, String, i64)> = rows
        .iter()
        .map(|r| {
            (
                r[0].clone().unwrap_or_default(),
                r[2].clone().unwrap_or_default(),
                r[8].as_deref().unwrap_or("0").parse().unwrap_or(0),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // Reading the data still needs SELECT: the catalog user is denied, the owner is not.
    let denied = ro.simple_query("select count(*) from sales.orders").await.unwrap_err();
    assert_eq!(db_error(&denied).0, "42501");
    assert_eq!(scalar(&admin, "select count(*) from sales.orders").await, "300");
}

#[tokio::test]
async fn extended_protocol_binds_text_and_binary_parameters() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    // tokio-postgres sends parameters in binary with the types the server describes.
    let rows = c
        .query(
            "select c.relname, n.nspname from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             where n.nspname = $1 and c.relname like $2 order by 1",
            &[&"sales", &"%o%"],
        )
        .await
        .expect("bound query");
    let names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(names, ["customers", "orders", "v_orders_lb"]);
    let n: i64 = c
        .query_one("select count(*) from sales.orders where order_id <= $1::int", &[&10i32])
        .await
        .expect("int parameter")
        .get(0);
    assert_eq!(n, 10);
    let pid: i32 = c.query_one("select pg_backend_pid()", &[]).await.expect("pid").get(0);
    assert!(pid > 0);
    // Portals: a prepared statement runs twice with different values.
    let stmt = c
        .prepare("select count(*) from sales.customers where customer_id > $1::int")
        .await
        .unwrap();
    let a: i64 = c.query_one(&stmt, &[&100i32]).await.unwrap().get(0);
    let b: i64 = c.query_one(&stmt, &[&110i32]).await.unwrap().get(0);
    assert_eq!((a, b), (20, 10));
    // Unsupported statements still say so.
    let err = c.query("select * from generate_series(1, 3)", &[]).await.unwrap_err();
    assert_eq!(db_error(&err).0, "0A000");
}

#[tokio::test]
async fn select_engine_joins_groups_subqueries_and_ctes() {
    let sim = start_sample().await;
    let c = admin(&sim).await;
    let got = rows(
        &c,
        "with per_customer as (
            select o.customer_id, count(*) as n, sum(o.amount) as total
              from sales.orders o left join sales.customers cu on cu.customer_id = o.customer_id
             group by o.customer_id having count(*) >= 3)
         select customer_id, n from per_customer
          where customer_id in (select customer_id from sales.customers where name ilike 'NAME%')
            and exists (select 1 from sales.orders x where x.customer_id = per_customer.customer_id)
          order by n desc, customer_id limit 3 offset 1",
    )
    .await;
    assert_eq!(got.len(), 3);
    let counts: Vec<i64> = got.iter().map(|r| r[1].as_deref().unwrap().parse().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "ordered by n desc: {counts:?}");
    assert_eq!(
        column(
            &c,
            "select nspname from pg_namespace where nspname ~ '^s' union select 'zz' order by 1"
        )
        .await,
        ["sales", "spectrum_events", "zz"]
    );
    assert_eq!(
        scalar(&c, "select case when (select count(*) from sales.customers) != 120 then 'no' else coalesce(nullif('', ''), 'yes') end").await,
        "yes"
    );
    assert_eq!(
        scalar(&c, "select format_type(atttypid, atttypmod) from pg_attribute a join pg_class c on c.oid = a.attrelid where c.relname = 'customers' and a.attname = 'email'").await,
        "character varying(256)"
    );
    assert_eq!(scalar(&c, "select current_setting('server_version')").await, "8.0.2");
    // has_*_privilege with a user table: Redshift's leader-node rule.
    let (code, _) = expect_err(
        &c,
        "select has_table_privilege('analyst', 'sales.orders', 'select') from sales.orders",
    )
    .await;
    assert_eq!(code, "0A000");
}

#[tokio::test]
async fn concurrent_writers_never_lose_a_change() {
    let sim = start_sample().await;
    let a = admin(&sim).await;
    let b = admin(&sim).await;
    exec(&a, "BEGIN; CREATE USER writer_a PASSWORD 'WriterA123!'").await;
    exec(&b, "BEGIN; CREATE USER writer_b PASSWORD 'WriterB123!'").await;
    // Uncommitted work is invisible to the other session.
    assert_eq!(scalar(&b, "select count(*) from pg_user where usename = 'writer_a'").await, "0");
    exec(&a, "COMMIT").await;
    let (code, message) = expect_err(&b, "COMMIT").await;
    assert_eq!((code.as_str(), message.as_str()), ("XX000", "1023"));
    // A's change is committed and visible; B's transaction was rolled back, not merged blindly.
    let users = column(&b, "select usename from pg_user order by 1").await;
    assert!(users.contains(&"writer_a".to_string()) && !users.contains(&"writer_b".to_string()));
    // Retrying B's change after the failure works.
    exec(&b, "CREATE USER writer_b PASSWORD 'WriterB123!'").await;
    assert_eq!(
        scalar(&a, "select count(*) from pg_user where usename in ('writer_a', 'writer_b')").await,
        "2"
    );
}
