//! Wire-level behaviour: TLS with the generated CA, ParameterStatus, version(), md5 and code-13
//! authentication, the FATAL texts of redshift.md §3.5/§4.3, startup parameters, connection limits,
//! cancel requests, the extended protocol and shutdown.

mod common;

use std::time::Duration;

use common::*;
use redshift_sim::{Simulator, Warehouse};
use tokio_postgres::NoTls;

#[tokio::test]
async fn tls_login_reports_redshift_version_and_server_version() {
    let sim = start_sample().await;
    let client = admin(&sim).await;
    let v = scalar(&client, "select version()").await;
    assert!(
        v.starts_with(
            "PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 (Red Hat 3.4.2-6.fc3), Redshift 1.0."
        ),
        "{v}"
    );
    // Extended protocol: typed columns without any pg_type lookup.
    let row = client
        .query_one("select version(), current_user, current_database()", &[])
        .await
        .expect("extended query");
    assert_eq!(row.get::<_, String>(1), "admin");
    assert_eq!(row.get::<_, String>(2), "dev");
    assert_eq!(client.query_one("select 1 as one", &[]).await.expect("int").get::<_, i32>(0), 1);
    assert!(
        client
            .query_one("select has_schema_privilege('sales', 'USAGE')", &[])
            .await
            .expect("bool")
            .get::<_, bool>(0)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn server_version_parameter_is_8_0_2() {
    let sim = start_sample().await;
    // tokio-postgres exposes ParameterStatus only through the raw connection; check via a raw socket.
    let mut stream = tokio::net::TcpStream::connect(sim.addr()).await.expect("connect");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = b"\0\x03\0\0user\0nosuch\0database\0dev\0\0";
    let mut pkt = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    pkt.extend_from_slice(body);
    stream.write_all(&pkt).await.expect("write");
    let mut buf = [0u8; 13];
    stream.read_exact(&mut buf).await.expect("auth request");
    assert_eq!(buf[0], b'R');
    assert_eq!(i32::from_be_bytes([buf[5], buf[6], buf[7], buf[8]]), 5, "md5 request");

    let client = connect_plain(&sim, "admin", ADMIN_PASSWORD, "dev").await.expect("plain login");
    // `SHOW` is not supported, but the parameter reaches the client library: check with a query
    // the library answers from its parameter cache.
    drop(client);
    let (client, mut conn) = {
        let mut c = tokio_postgres::Config::new();
        c.host("127.0.0.1").port(sim.port()).user("admin").password(ADMIN_PASSWORD).dbname("dev");
        c.connect(NoTls).await.expect("connect")
    };
    let version = conn.parameter("server_version").map(str::to_string);
    tokio::spawn(async move {
        let _ = futures_util::future::poll_fn(|cx| conn.poll_message(cx)).await;
    });
    assert_eq!(version.as_deref(), Some("8.0.2"));
    drop(client);
}

#[tokio::test]
async fn wrong_password_is_28000() {
    let sim = start_sample().await;
    let err = connect_tls(&sim, "admin", "Wrong1234!", "dev").await.expect_err("must fail");
    assert_eq!(
        db_error(&err),
        ("28000".into(), "password authentication failed for user \"admin\"".into())
    );
    let err = connect_plain(&sim, "nobody", "Whatever1", "dev").await.expect_err("must fail");
    assert_eq!(db_error(&err).1, "password authentication failed for user \"nobody\"");
}

#[tokio::test]
async fn unknown_database_is_3d000() {
    let sim = start_sample().await;
    let err = connect_tls(&sim, "admin", ADMIN_PASSWORD, "nosuchdb").await.expect_err("must fail");
    assert_eq!(db_error(&err), ("3D000".into(), "database \"nosuchdb\" does not exist".into()));
    // A datashare consumer database can't be connected to (§1.6).
    let err =
        connect_tls(&sim, "admin", ADMIN_PASSWORD, "partner_share").await.expect_err("must fail");
    assert_eq!(db_error(&err).0, "3D000");
}

#[tokio::test]
async fn sha256_user_gets_auth_code_13() {
    let sim = start_sample().await;
    let err = connect_tls(&sim, "legacy_sha", LEGACY_SHA_PASSWORD, "dev")
        .await
        .expect_err("tokio-postgres can't do 13");
    assert!(format!("{err:?}").contains("unknown authentication tag `13`"), "{err:?}");
    // A user created with `PASSWORD 'sha256|…'` through SQL behaves the same.
    let client = admin(&sim).await;
    exec(&client, "CREATE USER sha_new PASSWORD 'sha256|Mypassword1'").await;
    let err = connect_tls(&sim, "sha_new", "Mypassword1", "dev").await.expect_err("code 13");
    assert!(format!("{err:?}").contains("unknown authentication tag `13`"), "{err:?}");
}

#[tokio::test]
async fn require_ssl_rejects_plaintext_with_ssl_off_text() {
    let sim = start(Simulator::builder().warehouse(Warehouse::sample()).require_ssl(true)).await;
    let err = connect_plain(&sim, "admin", ADMIN_PASSWORD, "dev").await.expect_err("must fail");
    assert_eq!(
        db_error(&err),
        ("28000".into(), "no pg_hba.conf entry for host \"127.0.0.1\", user \"admin\", database \"dev\", SSL off".into())
    );
    connect_tls(&sim, "admin", ADMIN_PASSWORD, "dev").await.expect("TLS login still works");
}

#[tokio::test]
async fn without_tls_the_server_answers_n_to_ssl_request() {
    let sim = start(Simulator::builder().tls(false)).await;
    assert!(sim.ca_cert_pem().is_none());
    let mut c = tokio_postgres::Config::new();
    c.host("127.0.0.1").port(sim.port()).user("admin").password(ADMIN_PASSWORD).dbname("dev");
    c.ssl_mode(tokio_postgres::config::SslMode::Prefer);
    // Prefer + NoTls never sends SSLRequest; use a raw SSLRequest to see the 'N'.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(sim.addr()).await.expect("connect");
    s.write_all(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]).await.expect("ssl request");
    let mut b = [0u8; 1];
    s.read_exact(&mut b).await.expect("answer");
    assert_eq!(b[0], b'N');
    let (client, conn) = c.connect(NoTls).await.expect("plain connect");
    tokio::spawn(conn);
    assert_eq!(scalar(&client, "select current_user").await, "admin");
}

#[tokio::test]
async fn unknown_startup_parameter_policy() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    async fn startup(sim: &redshift_sim::RunningSimulator, extra: &[u8]) -> Vec<u8> {
        let mut body = b"\0\x03\0\0user\0admin\0database\0dev\0application_name\0x\0".to_vec();
        body.extend_from_slice(extra);
        body.push(0);
        let mut pkt = ((body.len() + 4) as i32).to_be_bytes().to_vec();
        pkt.extend_from_slice(&body);
        let mut s = tokio::net::TcpStream::connect(sim.addr()).await.expect("connect");
        s.write_all(&pkt).await.expect("startup");
        let mut req = [0u8; 13];
        s.read_exact(&mut req).await.expect("md5 request");
        let salt = [req[9], req[10], req[11], req[12]];
        // md5(md5(password || user) || salt) — computed with the simulator's own formula.
        let inner = md5_hex(format!("{ADMIN_PASSWORD}admin").as_bytes());
        let mut outer_in = inner.into_bytes();
        outer_in.extend_from_slice(&salt);
        let answer = format!("md5{}\0", md5_hex(&outer_in));
        let mut msg = vec![b'p'];
        msg.extend_from_slice(&((answer.len() + 4) as i32).to_be_bytes());
        msg.extend_from_slice(answer.as_bytes());
        s.write_all(&msg).await.expect("password");
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_millis(500), s.read_to_end(&mut out)).await;
        out
    }
    fn md5_hex(data: &[u8]) -> String {
        use md5::Digest;
        md5::Md5::digest(data).iter().map(|b| format!("{b:02x}")).collect()
    }
    let sim = start_sample().await;
    let accepted = startup(&sim, b"driver_version\x002.1.0\0").await;
    assert!(accepted.windows(6).any(|w| w == b"8.0.2\0"), "Redshift accepts driver_version");
    let strict = start(Simulator::builder().reject_unknown_startup_params(true)).await;
    let rejected = startup(&strict, b"driver_version\x002.1.0\0").await;
    let text = String::from_utf8_lossy(&rejected);
    assert!(
        text.contains("42704")
            && text.contains("unrecognized configuration parameter \"driver_version\""),
        "{text}"
    );
    let ok = startup(&strict, b"").await;
    assert!(ok.windows(6).any(|w| w == b"8.0.2\0"), "application_name alone is accepted");
}

#[tokio::test]
async fn connection_limit_is_enforced_for_regular_users() {
    let sim = start_sample().await;
    let client = admin(&sim).await;
    exec(&client, "CREATE USER limited PASSWORD 'Limited123' CONNECTION LIMIT 1").await;
    let first = connect_tls(&sim, "limited", "Limited123", "dev").await.expect("first session");
    let err = connect_tls(&sim, "limited", "Limited123", "dev").await.expect_err("second session");
    assert_eq!(
        db_error(&err),
        ("53300".into(), "too many connections for user \"limited\"".into())
    );
    drop(first);
    tokio::time::sleep(Duration::from_millis(200)).await;
    connect_tls(&sim, "limited", "Limited123", "dev").await.expect("slot freed");
}

#[tokio::test]
async fn cancel_request_stops_a_running_query() {
    let sim = start_sample().await;
    let client = connect_plain(&sim, "admin", ADMIN_PASSWORD, "dev").await.expect("plain login");
    let token = client.cancel_token();
    let running =
        tokio::spawn(async move { client.simple_query("select pg_sleep(30)").await.map(|_| ()) });
    tokio::time::sleep(Duration::from_millis(300)).await;
    token.cancel_query(NoTls).await.expect("cancel sent");
    let result = tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("cancelled quickly")
        .expect("task");
    let err = result.expect_err("query was cancelled");
    assert_eq!(db_error(&err), ("57014".into(), "canceling statement due to user request".into()));
}

#[tokio::test]
async fn malformed_message_closes_only_that_session() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sim = start_sample().await;
    let mut s = tokio::net::TcpStream::connect(sim.addr()).await.expect("connect");
    s.write_all(&[0, 0, 0, 2, 1, 2, 3]).await.expect("garbage");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut out)).await;
    let client = admin(&sim).await;
    assert_eq!(scalar(&client, "select current_user").await, "admin");
}

#[tokio::test]
async fn shutdown_closes_sessions() {
    let sim = start_sample().await;
    let client = admin(&sim).await;
    assert_eq!(sim.active_sessions(), 1);
    sim.shutdown().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(client.simple_query("select 1").await.is_err());
}
