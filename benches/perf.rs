//! Shiftgate's performance figures, each printed with its anchor measured in the same run:
//!
//! 1. test connection (TLS verify-full + md5 + `select version()`): CLI vs `psql`, and the engine
//!    in-process; median of N runs each.
//! 2. setup for S schemas × 3 owners: Shiftgate's runner vs `psql -f` of the same script.
//! 3. verify with T tables across 200 schemas: wall time and number of statements sent.
//! 4. profile store: save and load P profiles.
//!
//! `cargo bench --bench perf` (full) or `BENCH_QUICK=1 cargo bench --bench perf` (CI smoke,
//! seconds). Uses the same throwaway PostgreSQL 15 as the tests. No assertion on speed here: the
//! figures go in the README's Performance table.

#[path = "../tests/integration/support/mod.rs"]
mod support;

use shiftgate::net::connect::{Password, test_connection};
use shiftgate::net::credentials::Credentials;
use shiftgate::net::ssh::TunnelOptions;
use shiftgate::profile::{Engine, Profile, SslMode};
use shiftgate::sql::{self, Access, Dialect, SchemaGrant, SchemaKind, SetupPlan};
use shiftgate::store::profiles::ProfileStore;
use shiftgate::tasks::provision;
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
    println!(
        "{name:<52} {:>9.1} ms   {anchor_name:<22} {:>9.1} ms   ratio {:.2}×",
        ms(ours),
        ms(anchor),
        ours.as_secs_f64() / anchor.as_secs_f64().max(1e-9)
    );
}

fn admin_profile(db: &str) -> Profile {
    let s = pg::server();
    let mut p = Profile::new(Engine::Postgres);
    p.name = "bench".into();
    p.host = "localhost".into();
    p.port = s.port;
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
    let s = pg::server();
    format!(
        "host=localhost port={} user={} dbname={db} sslmode=verify-full sslrootcert={}",
        s.port,
        pg::SUPERUSER,
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

fn bench_setup(scale: &Scale) {
    let rt = support::rt();
    let db = support::unique("bench_setup");
    let (grants, _) = setup_fixture(&db, scale.schemas);
    let profile = admin_profile(&db);
    let creds = Credentials::db_only(Some(Password::new(pg::SUPERUSER_PASSWORD.into())));
    let tunnel = TunnelOptions::default();
    let target = provision::Target { profile: &profile, credentials: &creds, tunnel: &tunnel };
    let existing = sql::ExistingState::default();
    // Same script shape for both, different user names so both create from scratch.
    let ours_plan = plan(&support::unique("bench_ours"), grants.clone());
    let psql_plan = plan(&support::unique("bench_psql"), grants);
    let ours_script = sql::setup_script(&ours_plan, &existing).expect("script");
    let psql_script = sql::setup_script(&psql_plan, &existing).expect("script");
    let statements = ours_script.statements().count();
    let file = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(file.path(), psql_script.render(true)).expect("write");

    let t = Instant::now();
    let o = psql(&conninfo(&db), &["-f"]).arg(file.path()).output().expect("psql");
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
        &format!("setup {} schemas × 3 owners ({statements} statements)", scale.schemas),
        ours,
        "psql -f same script",
        psql_time,
    );
}

fn bench_verify(scale: &Scale) {
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
    let mut cat = admin_profile(&db);
    cat.user = user.clone();
    let cat_creds = Credentials::db_only(Some(Password::new(p.password.clone())));
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
    assert!(report.passed());
    let phase1 = sql::verify::plan_queries(&p).expect("queries").len();
    println!(
        "{:<52} {:>9.1} ms   round trips: {} catalog queries + 1 batched message of {schemas} read probes (not one per table)",
        format!("verify {} tables in {schemas} schemas", schemas * per),
        ms(took),
        phase1
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
    println!(
        "Shiftgate benchmarks ({}), PostgreSQL 15 on loopback, {} cores",
        if quick { "quick smoke" } else { "full" },
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    bench_test_connection(&scale);
    bench_tunnel(&scale);
    bench_setup(&scale);
    bench_verify(&scale);
    bench_store(&scale);
    bench_gui(&scale);
}
