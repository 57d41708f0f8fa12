//! Shared helpers for the simulator's integration tests: start a simulator, connect with
//! tokio-postgres over TLS (trusting the generated CA, verify-full against `localhost`) or in plain
//! text, and read SQLSTATE + message out of errors.
#![allow(dead_code, unused_imports)]

pub mod catalog_queries;

use std::sync::Arc;

use redshift_sim::{RunningSimulator, Simulator, Warehouse};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, Config, NoTls};

pub use redshift_sim::{ADMIN_PASSWORD, ANALYST_PASSWORD, ETL_PASSWORD, LEGACY_SHA_PASSWORD};

pub async fn start_sample() -> RunningSimulator {
    start(Simulator::builder().warehouse(Warehouse::sample())).await
}

pub async fn start(builder: redshift_sim::SimulatorBuilder) -> RunningSimulator {
    builder.start().await.expect("simulator starts")
}

fn config(sim: &RunningSimulator, user: &str, password: &str, db: &str) -> Config {
    let mut c = Config::new();
    c.host("localhost")
        .port(sim.port())
        .user(user)
        .password(password)
        .dbname(db)
        .application_name("redshift-sim-tests");
    c
}

/// Connects over TLS with verify-full semantics (rustls checks the chain and the host name).
pub async fn connect_tls(
    sim: &RunningSimulator,
    user: &str,
    password: &str,
    db: &str,
) -> Result<Client, tokio_postgres::Error> {
    let pem = sim.ca_cert_pem().expect("simulator has TLS");
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        roots.add(cert.expect("CA PEM parses")).expect("CA is a valid root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut c = config(sim, user, password, db);
    c.ssl_mode(SslMode::Require);
    let (client, conn) = c.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls)).await?;
    tokio::spawn(conn);
    Ok(client)
}

pub async fn connect_plain(
    sim: &RunningSimulator,
    user: &str,
    password: &str,
    db: &str,
) -> Result<Client, tokio_postgres::Error> {
    let mut c = config(sim, user, password, db);
    c.ssl_mode(SslMode::Disable);
    let (client, conn) = c.connect(NoTls).await?;
    tokio::spawn(conn);
    Ok(client)
}

pub async fn admin(sim: &RunningSimulator) -> Client {
    connect_tls(sim, "admin", ADMIN_PASSWORD, "dev").await.expect("admin connects")
}

/// `(SQLSTATE, message)` of a server error.
pub fn db_error(e: &tokio_postgres::Error) -> (String, String) {
    match e.as_db_error() {
        Some(d) => (d.code().code().to_string(), d.message().to_string()),
        None => ("client".to_string(), e.to_string()),
    }
}

/// Runs one statement with the simple protocol and returns its error.
pub async fn expect_err(client: &Client, sql: &str) -> (String, String) {
    match client.batch_execute(sql).await {
        Ok(()) => panic!("expected an error from {sql}"),
        Err(e) => db_error(&e),
    }
}

pub async fn exec(client: &Client, sql: &str) {
    if let Err(e) = client.batch_execute(sql).await {
        panic!("{sql} failed: {:?}", db_error(&e));
    }
}

/// All rows of a simple query as text.
pub async fn rows(client: &Client, sql: &str) -> Vec<Vec<Option<String>>> {
    let msgs = match client.simple_query(sql).await {
        Ok(m) => m,
        Err(e) => panic!("{sql} failed: {:?}", db_error(&e)),
    };
    msgs.into_iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
            }
            _ => None,
        })
        .collect()
}

/// First column of every row.
pub async fn column(client: &Client, sql: &str) -> Vec<String> {
    rows(client, sql)
        .await
        .into_iter()
        .map(|r| r.into_iter().next().flatten().unwrap_or_default())
        .collect()
}

pub async fn scalar(client: &Client, sql: &str) -> String {
    column(client, sql).await.into_iter().next().expect("one row")
}
