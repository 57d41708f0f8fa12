//! Shiftgate's performance figures, each printed with its anchor measured in the same run:
//!
//! 1. test connection (TLS verify-full + md5 + `select version()`): CLI vs `psql`, and the engine
//!    in-process; median of N runs each.
//! 2. setup for S schemas × 3 owners: Shiftgate's runner vs `psql -f` of the same script.
//! 3. verify with T tables across 200 schemas: wall time and number of statements sent.
//! 4. audit of the same T tables × 20 grantees: wall time and round trips, next to verify's.
//! 5. profile store: save and load P profiles.
//! 6. the same over a WAN-shaped link: a TCP relay in this process holds every chunk
//!    `BENCH_DELAY_MS` (25) ms each way before passing it on (no root, no kernel module); test
//!    connection, setup and verify through it, each beside `psql` through the same relay.
//!
//! `cargo bench --bench perf` (full) or `BENCH_QUICK=1 cargo bench --bench perf` (CI smoke,
//! seconds). Uses the same throwaway PostgreSQL 15 as the tests. No assertion on speed here: the
//! figures go in the README's Performance table.

#[path = "../tests/integration/support/mod.rs"]
mod support;

use shiftgate::net::connect::Password;
use shiftgate::net::credentials::Credentials;
use shiftgate::net::ssh::TunnelOptions;
use shiftgate::profile::{Engine, Profile, SslMode};
use shiftgate::sql::{self, Access, Dialect, SchemaGrant, SchemaKind, SetupPlan};
use shiftgate::store::profiles::ProfileStore;
use shiftgate::tasks::provision;
use shiftgate::tasks::test_connection::test_connection;
use std::process::Command;
use std::time::{Duration, Instant};
use support::{pg, sshd};
use tokio_util::sync::CancellationToken;

struct Scale {
    runs: usize,
    schemas: usize,
    tables: usize,
    profiles: usize,
}

/// Run `f` `runs` times and return each wall time.
fn timed(runs: usize, mut f: impl FnMut()) -> Vec<Duration> {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn line(name: &str, ours: Duration, anchor_name: &str, anchor: Duration) {
    let ratio = ours.as_secs_f64() / anchor.as_secs_f64().max(1e-9);
    // Small ratios (the WAN figures) keep three significant decimals.
    let digits = if ratio < 0.1 { 3 } else { 2 };
    println!(
        "{name:<60} {:>9.1} ms   {anchor_name:<22} {:>9.1} ms   ratio {ratio:.digits$}×",
        ms(ours),
        ms(anchor),
    );
}

fn admin_profile(db: &str) -> Profile {
    admin_profile_at(db, pg::server().port)
}

/// The superuser on `db`, reached at `port` (the server's, or the relay's).
fn admin_profile_at(db: &str, port: u16) -> Profile {
    let s = pg::server();
    let mut p = Profile::new(Engine::Postgres);
    p.name = "bench".into();
    p.host = "localhost".into();
    p.port = port;
    p.user = pg::SUPERUSER.into();
    p.database = db.into();
    p.sslmode = SslMode::VerifyFull;
    p.ca_file = Some(s.ca_file.clone());
    p
}

fn psql(conninfo: &str, extra: &[&str]) -> Command {
    let s = pg::server();
    let mut c = Command::new(s.bin.join("psql"));
    c.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo])
        .args(extra)
        .env("PGPASSWORD", pg::SUPERUSER_PASSWORD);
    c
}

fn conninfo(db: &str) -> String {
    conninfo_at(db, pg::server().port, pg::SUPERUSER)
}

/// libpq connection string for `user` on `db` at `port` (the server's, or the relay's).
fn conninfo_at(db: &str, port: u16, user: &str) -> String {
    let s = pg::server();
    format!(
        "host=localhost port={port} user={user} dbname={db} sslmode=verify-full sslrootcert={}",
        s.ca_file.display()
    )
}

fn bench_test_connection(scale: &Scale) {
    let rt = support::rt();
    let profile = admin_profile("postgres");
    let creds = Credentials::db_only(Some(Password::new(pg::SUPERUSER_PASSWORD.into())));
    let tunnel = TunnelOptions::default();
    let engine = timed(scale.runs, || {
        let r = rt.block_on(test_connection(
            &profile,
            &creds,
            &tunnel,
            &|_| {},
            &CancellationToken::new(),
        ));
        assert!(r.succeeded(), "{}", r.render_text());
    });
    let psql_runs = timed(scale.runs, || {
        let o = psql(
            &conninfo("postgres"),
            &["-c", "select version(), current_user, current_database()"],
        )
        .output()
        .expect("psql");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    });
    let config = tempfile::tempdir().expect("tmp");
    let s = pg::server();
    let cli_runs = timed(scale.runs, || {
        let o = Command::new(env!("CARGO_BIN_EXE_shiftgate"))
            .arg("--config-dir")
            .arg(config.path())
            .args([
                "test",
                "--engine",
                "postgres",
                "--host",
                "localhost",
                "--port",
                &s.port.to_string(),
                "--user",
                pg::SUPERUSER,
            ])
            .args(["--sslmode", "verify-full", "--ca-file"])
            .arg(&s.ca_file)
            .env("PGPASSWORD", pg::SUPERUSER_PASSWORD)
            .env("DBUS_SESSION_BUS_ADDRESS", "disabled:")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("shiftgate");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    });
    let startup = timed(scale.runs, || {
        let o = Command::new(env!("CARGO_BIN_EXE_shiftgate"))
            .arg("--version")
            .output()
            .expect("shiftgate");
        assert!(o.status.success());
    });
    let version = timed(scale.runs, || {
        let o = psql("", &["--version"]).output().expect("psql");
        assert!(o.status.success());
    });
    line("process start (`--version`)", median(startup), "psql --version", median(version));
    let p = median(psql_runs);
    line(
        &format!("test connection, CLI process (median of {})", scale.runs),
        median(cli_runs),
        "psql -c (same TLS)",
        p,
    );
    line(
        &format!("test connection, engine in-process (median of {})", scale.runs),
        median(engine),
        "psql -c (same TLS)",
        p,
    );
}

/// Test connection through an SSH bastion (real sshd, ed25519 key): the engine's in-process
/// tunnel (russh channel straight into the driver) vs `ssh -N -L` + `psql`, each run from scratch.
fn bench_tunnel(scale: &Scale) {
    use shiftgate::profile::{SshAuth, SshHop};
    let rt = support::rt();
    let s = pg::server();
    let bastion = sshd::main_server();
    let keys = sshd::keys();
    let user = sshd::login_user();
    let dir = tempfile::tempdir().expect("tmp");
    let known = dir.path().join("known_hosts");
    std::fs::write(&known, bastion.known_hosts_line()).expect("known_hosts");
    let mut profile = admin_profile("postgres");
    profile.ssh.enabled = true;
    profile.ssh.bastion = SshHop {
        host: "127.0.0.1".into(),
        port: bastion.port,
        user: user.clone(),
        auth: SshAuth::Key { path: keys.ed25519.clone() },
    };
    let creds = Credentials::db_only(Some(Password::new(pg::SUPERUSER_PASSWORD.into())));
    let tunnel = TunnelOptions {
        user_known_hosts: Some(known.clone()),
        app_known_hosts: Some(dir.path().join("app_known_hosts")),
        ssh_config: Some(dir.path().join("no_ssh_config")),
        agent_socket: Some(dir.path().join("no_agent")),
        ..TunnelOptions::default()
    };
    let ours = timed(scale.runs, || {
        let r = rt.block_on(test_connection(
            &profile,
            &creds,
            &tunnel,
            &|_| {},
            &CancellationToken::new(),
        ));
        assert!(r.succeeded(), "{}", r.render_text());
    });
    let anchor: Vec<Duration> = (0..scale.runs)
        .map(|_| {
            let local = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
            let t = Instant::now();
            let mut ssh = Command::new("ssh")
                .args(["-N", "-o", "ExitOnForwardFailure=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"])
                .arg("-o")
                .arg(format!("UserKnownHostsFile={}", known.display()))
                .arg("-i")
                .arg(&keys.ed25519)
                .arg("-L")
                .arg(format!("127.0.0.1:{local}:localhost:{}", s.port))
                .args(["-p", &bastion.port.to_string(), &format!("{user}@127.0.0.1")])
                .stdin(std::process::Stdio::null())
                .spawn()
                .expect("ssh");
            // Wait until the forward accepts (what a tool wrapping `ssh -L` has to do).
            let deadline = Instant::now() + Duration::from_secs(10);
            while std::net::TcpStream::connect(("127.0.0.1", local)).is_err() {
                assert!(Instant::now() < deadline, "ssh -L did not come up");
                std::thread::sleep(Duration::from_millis(2));
            }
            let info = format!(
                "host=localhost hostaddr=127.0.0.1 port={local} user={} dbname=postgres sslmode=verify-full sslrootcert={}",
                pg::SUPERUSER,
                s.ca_file.display()
            );
            let o = psql(&info, &["-c", "select version(), current_user, current_database()"]).output().expect("psql");
            let took = t.elapsed();
            let _ = ssh.kill();
            let _ = ssh.wait();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            took
        })
        .collect();
    line(
        &format!("test through SSH bastion, engine (median of {})", scale.runs),
        median(ours),
        "ssh -L + psql",
        median(anchor),
    );
}

/// A database with `n` schemas, each with tables by 3 owner roles.
fn setup_fixture(db: &str, n: usize) -> (Vec<SchemaGrant>, Vec<String>) {
    let s = pg::server();
    s.create_database(db);
    let owners: Vec<String> = (0..3).map(|i| format!("{db}_owner{i}")).collect();
    let mut ddl = String::new();
    for o in &owners {
        ddl.push_str(&format!("CREATE ROLE {o};"));
    }
    s.admin_sql(&ddl);
    let mut ddl = String::new();
    let mut grants = Vec::new();
    for i in 0..n {
        ddl.push_str(&format!("CREATE SCHEMA s{i}; CREATE TABLE s{i}.t (id int);"));
        for o in &owners {
            ddl.push_str(&format!("GRANT CREATE, USAGE ON SCHEMA s{i} TO {o};"));
        }
        grants.push(SchemaGrant {
            name: format!("s{i}"),
            kind: SchemaKind::Local,
            owners: owners.clone(),
        });
    }
    s.sql_in(db, &ddl).expect("fixture");
    (grants, owners)
}

fn plan(user: &str, schemas: Vec<SchemaGrant>) -> SetupPlan {
    SetupPlan {
        dialect: Dialect::Postgres,
        user: user.into(),
        password: "Bench-Pass-123".into(),
        access: Access::Group { name: format!("{user}_ro") },
        schemas,
        datashare_databases: vec![],
        connection_limit: None,
        grant_svv_table_info: false,
    }
}

/// Where a figure is measured: straight to the server, or through the delaying relay.
#[derive(Clone, Copy)]
enum Link {
    Loopback,
    Relay { port: u16, delay_ms: u64 },
}

impl Link {
    fn port(self) -> u16 {
        match self {
            Link::Loopback => pg::server().port,
            Link::Relay { port, .. } => port,
        }
    }

    fn label(self) -> String {
        match self {
            Link::Loopback => "loopback".into(),
            Link::Relay { delay_ms, .. } => format!("relay {delay_ms} ms each way"),
        }
    }
}

fn bench_setup(scale: &Scale, links: &[Link]) {
    let rt = support::rt();
    let db = support::unique("bench_setup");
    let (grants, _) = setup_fixture(&db, scale.schemas);
    let creds = Credentials::db_only(Some(Password::new(pg::SUPERUSER_PASSWORD.into())));
    let tunnel = TunnelOptions::default();
    let existing = sql::ExistingState::default();
    for &link in links {
        let profile = admin_profile_at(&db, link.port());
        let target = provision::Target { profile: &profile, credentials: &creds, tunnel: &tunnel };
        // Same script shape for both, different user names so both create from scratch.
        let ours_plan = plan(&support::unique("bench_ours"), grants.clone());
        let psql_plan = plan(&support::unique("bench_psql"), grants.clone());
        let ours_script = sql::setup_script(&ours_plan, &existing).expect("script");
        let psql_script = sql::setup_script(&psql_plan, &existing).expect("script");
        let statements = ours_script.statements().count();
        let file = tempfile::NamedTempFile::new().expect("tmp");
        std::fs::write(file.path(), psql_script.render(true)).expect("write");

        let t = Instant::now();
        let o = psql(&conninfo_at(&db, link.port(), pg::SUPERUSER), &["-f"])
            .arg(file.path())
            .output()
            .expect("psql");
        let psql_time = t.elapsed();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let t = Instant::now();
        let run = rt
            .block_on(provision::run_script(
                target,
                &ours_script,
                &|_| {},
                &|_| {},
                &CancellationToken::new(),
            ))
            .expect("run");
        let ours = t.elapsed();
        assert!(run.succeeded(), "{run:?}");
        line(
            &format!(
                "setup {} schemas × 3 owners ({statements} stmts), {}",
                scale.schemas,
                link.label()
            ),
            ours,
            "psql -f same script",
            psql_time,
        );
        let goal = match link {
            Link::Loopback => 0.5,
            Link::Relay { .. } => 0.05,
        };
        let ratio = ours.as_secs_f64() / psql_time.as_secs_f64().max(1e-9);
        println!(
            "{:<60} goal ≤ {goal}× psql -f: {}",
            "",
            if ratio <= goal { "met" } else { "MISSED" }
        );
    }
}

/// Returns the database it built (reused by the audit bench), verify's loopback wall time and the
/// catalog user.
fn bench_verify(scale: &Scale, links: &[Link]) -> (String, Duration, String) {
    let rt = support::rt();
    let s = pg::server();
    let db = support::unique("bench_verify");
    s.create_database(&db);
    let schemas = 200.min(scale.tables);
    let per = scale.tables / schemas;
    // One psql call per schema: 10,000 CREATE TABLEs in one argument exceed the kernel's limit.
    for i in 0..schemas {
        let mut ddl = format!("CREATE SCHEMA v{i};");
        for j in 0..per {
            ddl.push_str(&format!("CREATE TABLE v{i}.t{j} (id int);"));
        }
        s.sql_in(&db, &ddl).expect("fixture");
    }
    let user = support::unique("bench_cat");
    let grants: Vec<SchemaGrant> = (0..schemas)
        .map(|i| SchemaGrant {
            name: format!("v{i}"),
            kind: SchemaKind::Local,
            owners: vec![pg::SUPERUSER.into()],
        })
        .collect();
    let p = plan(&user, grants);
    let admin = admin_profile(&db);
    let creds = Credentials::db_only(Some(Password::new(pg::SUPERUSER_PASSWORD.into())));
    let tunnel = TunnelOptions::default();
    let script = sql::setup_script(&p, &sql::ExistingState::default()).expect("script");
    let run = rt
        .block_on(provision::run_script(
            provision::Target { profile: &admin, credentials: &creds, tunnel: &tunnel },
            &script,
            &|_| {},
            &|_| {},
            &CancellationToken::new(),
        ))
        .expect("setup");
    assert!(run.succeeded());
    // Anchor: psql -f with the same statements as the same user, each its own statement, as a DBA
    // would run them: the checks with one read probe per schema, and the insights (default
    // privileges, the catalog tool's own query) timed apart.
    let checks = sql::verify::plan_queries(&p).expect("queries");
    let insights = sql::verify::insight_queries(&p).expect("queries");
    let probes: String =
        (0..schemas).map(|i| format!("SELECT 1 FROM \"v{i}\".\"t0\" LIMIT 0;\n")).collect();
    let script =
        |qs: &[sql::CatalogQuery]| qs.iter().map(|q| format!("{};\n", q.sql)).collect::<String>();
    let cat_creds = Credentials::db_only(Some(Password::new(p.password.clone())));
    let mut loopback_time = Duration::ZERO;
    for &link in links {
        let mut cat = admin_profile_at(&db, link.port());
        cat.user = user.clone();
        let t = Instant::now();
        let report = rt
            .block_on(provision::verify(
                provision::Target { profile: &cat, credentials: &cat_creds, tunnel: &tunnel },
                &p,
                &|_| {},
                &CancellationToken::new(),
            ))
            .expect("verify");
        let took = t.elapsed();
        assert!(report.passed(), "{report:#?}");
        if matches!(link, Link::Loopback) {
            loopback_time = took;
        }
        let psql_f = |text: String| {
            let file = tempfile::NamedTempFile::new().expect("tmp");
            std::fs::write(file.path(), text).expect("write");
            let t = Instant::now();
            let o = psql(&conninfo_at(&db, link.port(), &user), &["-o", "/dev/null", "-f"])
                .arg(file.path())
                .env("PGPASSWORD", &p.password)
                .output()
                .expect("psql");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            t.elapsed()
        };
        let anchor_checks = psql_f(script(&checks) + &probes);
        let anchor_insights = psql_f(script(&insights));
        line(
            &format!("verify {} tables in {schemas} schemas, {}", schemas * per, link.label()),
            took,
            &format!("psql -f {} statements", checks.len() + schemas + insights.len()),
            anchor_checks + anchor_insights,
        );
        println!(
            "{:<60} psql: checks + probes {:.1} ms, insights {:.1} ms",
            "",
            ms(anchor_checks),
            ms(anchor_insights)
        );
    }
    println!(
        "{:<60} round trips: {} check queries + {} insight queries + 1 batched message of {schemas} read probes (not one per table)",
        "verify",
        checks.len(),
        insights.len(),
    );
    (db, loopback_time, user)
}

/// Audit of the verify database (same tables) for 20 grantees: the catalog user and 19 users in
/// three groups with USAGE + SELECT on a share of the schemas; anchored on verify's time.
fn bench_audit(scale: &Scale, db: &str, verify_time: Duration, catalog_user: &str) {
    let rt = support::rt();
    let s = pg::server();
    let schemas = 200.min(scale.tables);
    let groups: Vec<String> = (0..3).map(|g| format!("{db}_grp{g}")).collect();
    let mut ddl = String::new();
    for g in &groups {
        ddl.push_str(&format!("CREATE ROLE {g} NOLOGIN;"));
    }
    let mut grantees = vec![catalog_user.to_string()];
    for u in 0..19 {
        let name = format!("{db}_u{u}");
        ddl.push_str(&format!(
            "CREATE USER {name} PASSWORD 'Bench-Pass-1'; GRANT {} TO {name};",
            groups[u % 3]
        ));
        grantees.push(name);
    }
    s.admin_sql(&ddl);
    let mut ddl = String::new();
    for i in (0..schemas).step_by(3) {
        let g = &groups[i % 3];
        ddl.push_str(&format!(
            "GRANT USAGE ON SCHEMA v{i} TO {g}; GRANT SELECT ON ALL TABLES IN SCHEMA v{i} TO {g};"
        ));
    }
    s.sql_in(db, &ddl).expect("grants");
    let admin = admin_profile(db);
    let creds = Credentials::db_only(Some(Password::new(pg::SUPERUSER_PASSWORD.into())));
    let tunnel = TunnelOptions::default();
    let request = shiftgate::tasks::audit::AuditRequest {
        scope: sql::audit::AuditScope { grantees, schemas: vec![] },
        ..Default::default()
    };
    let target = provision::Target { profile: &admin, credentials: &creds, tunnel: &tunnel };
    let t = Instant::now();
    let out = rt
        .block_on(shiftgate::tasks::audit::audit(
            target,
            &request,
            &|_| {},
            &CancellationToken::new(),
        ))
        .expect("audit");
    let took = t.elapsed();
    let tables: usize = out.matrix.schemas.iter().map(|s| s.tables.len()).sum();
    assert_eq!(out.matrix.grantees.len(), 20);
    line(
        &format!(
            "audit {tables} tables × {} grantees ({} round trips)",
            out.matrix.grantees.len(),
            out.round_trips
        ),
        took,
        "verify, same tables",
        verify_time,
    );
}

/// Test connection through the relay: the engine in-process vs `psql -c`, median of N each.
fn bench_test_connection_via(scale: &Scale, link: Link) {
    let rt = support::rt();
    let profile = admin_profile_at("postgres", link.port());
    let creds = Credentials::db_only(Some(Password::new(pg::SUPERUSER_PASSWORD.into())));
    let tunnel = TunnelOptions::default();
    let engine = timed(scale.runs, || {
        let r = rt.block_on(test_connection(
            &profile,
            &creds,
            &tunnel,
            &|_| {},
            &CancellationToken::new(),
        ));
        assert!(r.succeeded(), "{}", r.render_text());
    });
    let psql_runs = timed(scale.runs, || {
        let o = psql(
            &conninfo_at("postgres", link.port(), pg::SUPERUSER),
            &["-c", "select version(), current_user, current_database()"],
        )
        .output()
        .expect("psql");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    });
    line(
        &format!("test connection, engine (median of {}), {}", scale.runs, link.label()),
        median(engine),
        "psql -c (same TLS)",
        median(psql_runs),
    );
}

fn bench_store(scale: &Scale) {
    let dir = tempfile::tempdir().expect("tmp");
    let profiles: Vec<Profile> = (0..scale.profiles)
        .map(|i| {
            let mut p = Profile::new(if i % 2 == 0 { Engine::Redshift } else { Engine::Postgres });
            p.name = format!("profile {i:05}");
            p.host = format!("host{i}.example.com");
            p.user = "admin".into();
            p
        })
        .collect();
    let mut store = ProfileStore::open(dir.path()).expect("open");
    let t = Instant::now();
    store.upsert_all(profiles).expect("save");
    let save_all = t.elapsed();
    let size = std::fs::metadata(store.path()).map(|m| m.len()).unwrap_or(0);
    let runs = scale.runs.clamp(3, 9);
    // One profile saved into the full store: lock, fresh read, change, atomic write, unlock.
    let mut edited = store.profiles()[scale.profiles / 2].clone();
    let save_one = median(timed(runs, || {
        edited.port = edited.port.wrapping_add(1).max(1);
        store.upsert(edited.clone()).expect("save one");
    }));
    // The lock alone: take and release, many times.
    let locks = 1000u32;
    let t = Instant::now();
    for _ in 0..locks {
        drop(store.lock().expect("lock"));
    }
    let lock = t.elapsed() / locks;
    let load = median(timed(runs, || {
        let loaded = ProfileStore::open(dir.path()).expect("load");
        assert_eq!(loaded.profiles().len(), scale.profiles);
    }));
    // Anchors on the same bytes: the generic TOML parse into a table, and the file read alone.
    let text = std::fs::read_to_string(store.path()).expect("read");
    let table = median(timed(runs, || {
        let t: toml::Table = toml::from_str(&text).expect("parse");
        assert!(t.contains_key("profile"));
    }));
    let read = median(timed(runs, || {
        assert_eq!(std::fs::read(store.path()).expect("read").len() as u64, size);
    }));
    println!(
        "{:<52} {:>9.1} ms   save all at once {:.1} ms   file {} KiB",
        format!("profile store: save 1 of {} profiles", scale.profiles),
        ms(save_one),
        ms(save_all),
        size / 1024
    );
    println!(
        "{:<52} {:>9.3} ms   {:.1}% of saving 1 profile",
        "  of which the lock (take + release)",
        ms(lock),
        100.0 * lock.as_secs_f64() / save_one.as_secs_f64().max(1e-9)
    );
    line(
        &format!("profile store: load {} profiles", scale.profiles),
        load,
        "toml::Table parse",
        table,
    );
    println!("{:<52} {:>9.1} ms", "  of which reading the file", ms(read));
}

/// GUI frame time (CPU: layout + tessellation, no GPU) with `n` profiles, idle and while the search
/// box filters. Anchor: the same with 10 profiles.
fn gui_frame_times(n: usize) -> (Duration, Duration) {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use shiftgate::app::file_picker::FilePicker;
    use shiftgate::app::{App, AppDeps};
    struct NoBackend;
    impl shiftgate::tasks::Backend for NoBackend {
        fn submit(&mut self, _: shiftgate::tasks::Command) {}
    }
    struct NoPicker;
    impl FilePicker for NoPicker {
        fn pick_ca_file(&mut self, _: Option<&std::path::Path>) -> Option<std::path::PathBuf> {
            None
        }
        fn save_file(&mut self, _: &str) -> Option<std::path::PathBuf> {
            None
        }
    }
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = ProfileStore::open(dir.path()).expect("store");
    let profiles = (0..n)
        .map(|i| {
            let mut p = Profile::new(Engine::Redshift);
            p.name = format!("warehouse {i:05}");
            p.host = format!("wh{i}.example.com");
            p.user = "admin".into();
            p
        })
        .collect();
    store.upsert_all(profiles).expect("save");
    let mut h = Harness::builder().with_size(egui::vec2(1280.0, 900.0)).build_eframe(move |_cc| {
        let (_tx, rx) = std::sync::mpsc::channel();
        let deps = AppDeps {
            store: ProfileStore::open(dir.path()).expect("store"),
            secrets: std::sync::Arc::new(shiftgate::store::secrets::MemorySecretStore::default()),
            backend: Box::new(NoBackend),
            events: rx,
            file_picker: Box::new(NoPicker),
        };
        App::new(None, deps)
    });
    h.run();
    let frames = 60;
    let t = Instant::now();
    for _ in 0..frames {
        h.step();
    }
    let idle = t.elapsed() / frames;
    h.get_by_label("Search").click();
    h.run();
    let t = Instant::now();
    let mut typed = 0u32;
    for c in "warehouse 0999".chars() {
        h.get_by_label("Search").type_text(&c.to_string());
        h.step();
        typed += 1;
    }
    let filtering = t.elapsed() / typed;
    (idle, filtering)
}

fn bench_gui(scale: &Scale) {
    let (idle, filter) = gui_frame_times(scale.profiles);
    let (idle_small, filter_small) = gui_frame_times(10);
    line(
        &format!("GUI frame, {} profiles, idle (CPU, no GPU)", scale.profiles),
        idle,
        "10 profiles",
        idle_small,
    );
    line(
        &format!("GUI frame, {} profiles, typing in search", scale.profiles),
        filter,
        "10 profiles",
        filter_small,
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would run us too: only bench on --bench.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let scale = if quick {
        Scale { runs: 3, schemas: 20, tables: 400, profiles: 1_000 }
    } else {
        Scale { runs: 21, schemas: 500, tables: 10_000, profiles: 10_000 }
    };
    let delay_ms: u64 =
        std::env::var("BENCH_DELAY_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(25);
    println!(
        "Shiftgate benchmarks ({}), PostgreSQL 15 on loopback and through a relay adding {delay_ms} ms \
         each way, {} cores",
        if quick { "quick smoke" } else { "full" },
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    // BENCH_ONLY=setup,gui runs only those sections (all when unset).
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let run = |section: &str| only.is_empty() || only.split(',').any(|s| s.trim() == section);
    let relay = relay::Relay::start(pg::server().port, Duration::from_millis(delay_ms));
    let wan = Link::Relay { port: relay.port(), delay_ms };
    let links = [Link::Loopback, wan];
    if run("connect") {
        bench_test_connection(&scale);
    }
    if run("tunnel") {
        bench_tunnel(&scale);
    }
    if run("wan") {
        bench_test_connection_via(&scale, wan);
    }
    if run("setup") {
        bench_setup(&scale, &links);
    }
    if run("verify") || run("audit") {
        let (db, verify_time, catalog_user) = bench_verify(&scale, &links);
        if run("audit") {
            bench_audit(&scale, &db, verify_time, &catalog_user);
        }
    }
    if run("store") {
        bench_store(&scale);
    }
    if run("gui") {
        bench_gui(&scale);
    }
}

/// A WAN on loopback without root: a TCP relay that holds every chunk it reads for a fixed delay
/// before writing it on, in each direction, so a round trip costs 2 × delay while bandwidth stays
/// loopback's. The TCP handshake to the relay itself is not delayed (psql and Shiftgate alike).
mod relay {
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
    use tokio::net::{TcpListener, TcpStream};

    pub struct Relay {
        port: u16,
        /// Its own runtime, so relaying never waits behind the code under test.
        _rt: tokio::runtime::Runtime,
    }

    impl Relay {
        /// Relay `127.0.0.1:<port>` to `127.0.0.1:upstream`, `delay` each way.
        pub fn start(upstream: u16, delay: Duration) -> Relay {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("relay runtime");
            let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("relay bind");
            let port = listener.local_addr().expect("relay address").port();
            rt.spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    tokio::spawn(async move {
                        let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                            return;
                        };
                        let _ = (client.set_nodelay(true), server.set_nodelay(true));
                        let (client_r, client_w) = client.into_split();
                        let (server_r, server_w) = server.into_split();
                        tokio::spawn(delayed_copy(client_r, server_w, delay));
                        tokio::spawn(delayed_copy(server_r, client_w, delay));
                    });
                }
            });
            Relay { port, _rt: rt }
        }

        pub fn port(&self) -> u16 {
            self.port
        }
    }

    /// Copy `from` to `to`, each chunk written `delay` after it was read (a delay line: chunks
    /// in flight overlap, as on a real link).
    async fn delayed_copy(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, delay: Duration) {
        let (tx, mut rx) =
            tokio::sync::mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
        let writer = tokio::spawn(async move {
            while let Some((read_at, chunk)) = rx.recv().await {
                tokio::time::sleep_until(read_at + delay).await;
                if to.write_all(&chunk).await.is_err() {
                    return;
                }
            }
            let _ = to.shutdown().await;
        });
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = from.read(&mut buf).await {
            if n == 0 || tx.send((tokio::time::Instant::now(), buf[..n].to_vec())).is_err() {
                break;
            }
        }
        drop(tx);
        let _ = writer.await;
    }
}
