//! The `shiftgate` binary end to end: profiles, test (human and --json), exit codes, import /
//! export round trip, setup → verify → teardown against the real PostgreSQL.

use crate::support::{self, pg};
use std::path::Path;
use std::process::{Command, Output};

fn shiftgate(config: &Path, args: &[&str], pgpassword: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_shiftgate"));
    c.arg("--config-dir")
        .arg(config)
        .args(args)
        .stdin(std::process::Stdio::null())
        .env_remove("PGPASSWORD");
    if let Some(pw) = pgpassword {
        c.env("PGPASSWORD", pw);
    }
    c.output().expect("run shiftgate")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn all(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn add_pg_profile(config: &Path, name: &str, user: &str, db: &str) {
    let s = pg::server();
    let port = s.port.to_string();
    let ca = s.ca_file.to_string_lossy().into_owned();
    let o = shiftgate(
        config,
        &[
            "profiles",
            "add",
            name,
            "--engine",
            "postgres",
            "--host",
            "localhost",
            "--port",
            &port,
            "--user",
            user,
            "-d",
            db,
            "--sslmode",
            "verify-full",
            "--ca-file",
            &ca,
        ],
        None,
    );
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn profiles_crud_and_validation() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path();
    let o = shiftgate(
        c,
        &[
            "profiles",
            "add",
            "prod",
            "--host",
            "examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com",
            "--user",
            "admin",
        ],
        None,
    );
    assert!(o.status.success(), "{}", all(&o));
    let o = shiftgate(c, &["profiles", "show", "prod", "--json"], None);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["port"], 5439);
    assert_eq!(v["database"], "dev");
    assert_eq!(v["sslmode"], "verify-full");
    let o = shiftgate(
        c,
        &["profiles", "edit", "prod", "--sslmode", "verify-ca", "--rename", "production"],
        None,
    );
    assert!(o.status.success(), "{}", all(&o));
    assert!(stdout(&shiftgate(c, &["profiles", "list"], None)).contains("production"));
    // A pasted endpoint in --host is refused with a suggestion, nothing written.
    let o = shiftgate(
        c,
        &[
            "profiles",
            "add",
            "bad",
            "--host",
            "c.abc.us-west-2.redshift.amazonaws.com:5439/dev",
            "--user",
            "x",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(all(&o).contains("pasted endpoint"), "{}", all(&o));
    assert!(!stdout(&shiftgate(c, &["profiles", "list"], None)).contains("bad"));
    let o = shiftgate(c, &["profiles", "rm", "production"], None);
    assert!(o.status.success());
    assert!(stdout(&shiftgate(c, &["profiles", "list"], None)).contains("no profiles yet"));
}

#[test]
fn test_command_reports_stages_and_exit_codes() {
    let s = pg::server();
    static USER: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    USER.get_or_init(|| s.create_user("sg_cli", "Cli-Pass-123", false));
    let dir = tempfile::tempdir().unwrap();
    add_pg_profile(dir.path(), "local", "sg_cli", "postgres");
    let o = shiftgate(dir.path(), &["test", "local"], Some("Cli-Pass-123"));
    let out = all(&o);
    assert!(o.status.success(), "{out}");
    for needle in [
        "✓ Resolve host",
        "✓ TCP connect",
        "✓ TLS",
        "✓ Authenticate",
        "✓ Query",
        "PostgreSQL 15",
        "md5",
        "OK in",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    let o = shiftgate(dir.path(), &["test", "local", "--json"], Some("Cli-Pass-123"));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
    assert_eq!(v["server"]["current_user"], "sg_cli");
    assert!(v["tls"]["verified_host"].as_bool().unwrap());
    let o = shiftgate(dir.path(), &["test", "local"], Some("wrong"));
    assert_eq!(o.status.code(), Some(1));
    assert!(all(&o).contains("Wrong password"), "{}", all(&o));
    // Without a saved profile.
    let port = s.port.to_string();
    let o = shiftgate(
        dir.path(),
        &[
            "test",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--user",
            "sg_cli",
            "--sslmode",
            "require",
        ],
        Some("Cli-Pass-123"),
    );
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn export_then_import_round_trips_without_secrets() {
    let a = tempfile::tempdir().unwrap();
    add_pg_profile(a.path(), "one", "u1", "db1");
    add_pg_profile(a.path(), "two", "u2", "db2");
    let file = a.path().join("export.toml");
    let o = shiftgate(a.path(), &["export", "-o", file.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", all(&o));
    let b = tempfile::tempdir().unwrap();
    let o = shiftgate(b.path(), &["import", file.to_str().unwrap(), "--dry-run"], None);
    assert!(stdout(&o).contains("+ create"), "{}", all(&o));
    assert!(!b.path().join("profiles.toml").exists(), "dry run writes nothing");
    let o = shiftgate(b.path(), &["import", file.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", all(&o));
    let list_a = stdout(&shiftgate(a.path(), &["profiles", "list", "--json"], None));
    let list_b = stdout(&shiftgate(b.path(), &["profiles", "list", "--json"], None));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&list_a).unwrap(),
        serde_json::from_str::<serde_json::Value>(&list_b).unwrap()
    );
    // Importing again changes nothing.
    let o = shiftgate(b.path(), &["import", file.to_str().unwrap()], None);
    assert!(stdout(&o).contains("= skip"), "{}", all(&o));
}

#[test]
fn pgpass_import_keeps_passwords_out_of_the_profile_file() {
    let dir = tempfile::tempdir().unwrap();
    let pgpass = dir.path().join("pgpass");
    std::fs::write(&pgpass, "db.example.com:5432:sales:analyst:S3cret-From-Pgpass\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let config = dir.path().join("config");
    let o = shiftgate(&config, &["import", pgpass.to_str().unwrap(), "--format", "pgpass"], None);
    assert!(o.status.success(), "{}", all(&o));
    let text = std::fs::read_to_string(config.join("profiles.toml")).unwrap();
    assert!(text.contains("db.example.com"));
    for entry in std::fs::read_dir(&config).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            let bytes = std::fs::read(&p).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains("S3cret-From-Pgpass"),
                "secret found in {}",
                p.display()
            );
        }
    }
}

/// `setup --iam-login`: no password at all (PostgreSQL: PASSWORD NULL, so a password login
/// fails), the IAM policy printed as SQL comments after the script and written with
/// `--iam-policy-out`; without a cluster the policy is refused with the flag to give.
#[test]
fn setup_iam_login_from_the_command_line() {
    let s = pg::server();
    let db = support::unique("iamdb");
    s.create_database(&db);
    s.sql_in(&db, "CREATE SCHEMA reporting; CREATE TABLE reporting.kpis (id int);").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path();
    add_pg_profile(c, "admin", pg::SUPERUSER, &db);
    let user = support::unique("iamcat");
    let base = ["setup", "--profile", "admin", "--user", &user, "--schemas", "reporting"];
    let o = shiftgate(c, &[&base[..], &["--iam-login"]].concat(), Some(pg::SUPERUSER_PASSWORD));
    assert!(!o.status.success(), "no cluster known for the policy");
    assert!(all(&o).contains("--cluster-id"), "{}", all(&o));

    let policy_file = c.join("policy.json");
    let flags = [
        "--iam-login",
        "--cluster-id",
        "analytics",
        "--region",
        "us-west-2",
        "--iam-policy-out",
        policy_file.to_str().unwrap(),
    ];
    let o = shiftgate(c, &[&base[..], &flags[..]].concat(), Some(pg::SUPERUSER_PASSWORD));
    assert!(o.status.success(), "{}", all(&o));
    let out = stdout(&o);
    assert!(out.contains(&format!("CREATE USER \"{user}\" PASSWORD NULL")), "{out}");
    assert!(!out.contains("PASSWORD '"), "{out}");
    assert!(
        out.contains(&format!("-- arn:aws:redshift:us-west-2:*:dbuser:analytics/{user}"))
            || out.contains(&format!("\"arn:aws:redshift:us-west-2:*:dbuser:analytics/{user}\"")),
        "{out}"
    );
    let printed: String = out
        .lines()
        .skip_while(|l| !l.starts_with("-- IAM policy"))
        .skip(1)
        .map(|l| l.trim_start_matches("-- "))
        .collect::<Vec<_>>()
        .join("\n");
    let v: serde_json::Value = serde_json::from_str(&printed).expect("printed policy is JSON");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&policy_file).unwrap()).unwrap();
    assert_eq!(v, written);
    assert_eq!(v["Statement"][0]["Action"], "redshift:GetClusterCredentials");
    assert_eq!(v["Statement"][1]["Action"], "redshift:JoinGroup");

    // Applied: the user exists and cannot log in with any password.
    let o =
        shiftgate(c, &[&base[..], &flags[..], &["--apply"]].concat(), Some(pg::SUPERUSER_PASSWORD));
    assert!(o.status.success(), "{}", all(&o));
    assert_eq!(
        s.sql_in(
            &db,
            &format!("SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = '{user}'")
        )
        .unwrap(),
        "t"
    );
}

#[test]
fn setup_verify_teardown_from_the_command_line() {
    let s = pg::server();
    let db = support::unique("clidb");
    s.create_database(&db);
    s.sql_in(
        &db,
        "CREATE SCHEMA reporting; CREATE TABLE reporting.kpis (id int); CREATE VIEW reporting.v AS SELECT id FROM reporting.kpis;",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path();
    add_pg_profile(c, "admin", pg::SUPERUSER, &db);
    let user = support::unique("clicat");
    // Print: masked password, correct statements.
    let o = shiftgate(
        c,
        &[
            "setup",
            "--profile",
            "admin",
            "--user",
            &user,
            "--schemas",
            "reporting",
            "--password-env",
            "CAT_PW",
        ],
        Some(pg::SUPERUSER_PASSWORD),
    );
    assert!(!o.status.success(), "CAT_PW unset is an error");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shiftgate"));
    cmd.arg("--config-dir").arg(c).args([
        "setup",
        "--profile",
        "admin",
        "--user",
        &user,
        "--schemas",
        "reporting",
        "--password-env",
        "CAT_PW",
    ]);
    cmd.env("PGPASSWORD", pg::SUPERUSER_PASSWORD)
        .env("CAT_PW", "Catalog-Pw-77")
        .stdin(std::process::Stdio::null());
    let o = cmd.output().unwrap();
    let sql = stdout(&o);
    assert!(o.status.success(), "{}", all(&o));
    assert!(sql.contains(&format!("CREATE USER \"{user}\" PASSWORD '********'")), "{sql}");
    assert!(sql.contains("GRANT SELECT ON ALL TABLES IN SCHEMA \"reporting\""), "{sql}");
    assert!(!sql.contains("Catalog-Pw-77"));
    // Apply.
    let o = cmd.arg("--apply").output().unwrap();
    assert!(o.status.success(), "{}", all(&o));
    assert!(stdout(&o).contains("✓"), "{}", all(&o));
    // Verify as the new user.
    add_pg_profile(c, "catalog", &user, &db);
    let o = shiftgate(
        c,
        &["verify", "--profile", "catalog", "--schemas", "reporting", "--json"],
        Some("Catalog-Pw-77"),
    );
    assert!(o.status.success(), "{}", all(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["passed"], true);
    assert_eq!(v["schemas"][0]["tables_total"], 2);
    // What the catalog tool's query returns, and tomorrow's table by the schema's creator.
    assert_eq!(v["schemas"][0]["catalog_view"]["tables"], 2, "{v:#}");
    assert_eq!(v["schemas"][0]["catalog_view"]["columns"], 2, "{v:#}");
    assert_eq!(v["schemas"][0]["forecast"][0]["creator"], pg::SUPERUSER, "{v:#}");
    assert_eq!(v["schemas"][0]["forecast"][0]["readable"], true, "{v:#}");
    assert_eq!(v["default_privileges"], "complete");
    assert_eq!(v["fix_sql"], "");
    // Teardown.
    let o = shiftgate(
        c,
        &["teardown", "--profile", "admin", "--user", &user, "--schemas", "reporting", "--apply"],
        Some(pg::SUPERUSER_PASSWORD),
    );
    assert!(o.status.success(), "{}", all(&o));
    assert_eq!(
        s.sql_in(&db, &format!("SELECT count(*) FROM pg_roles WHERE rolname LIKE '{user}%'"))
            .unwrap(),
        "0"
    );
    // A second teardown: nothing left (from the live catalogs, no --schemas needed).
    let o = shiftgate(
        c,
        &["teardown", "--profile", "admin", "--user", &user, "--apply"],
        Some(pg::SUPERUSER_PASSWORD),
    );
    assert!(o.status.success(), "{}", all(&o));
    assert!(stdout(&o).contains("nothing left"), "{}", all(&o));
}

#[test]
fn setup_records_and_teardown_grants_only_keeps_the_user() {
    let s = pg::server();
    let db = support::unique("cligo");
    s.create_database(&db);
    s.sql_in(&db, "CREATE SCHEMA app; CREATE TABLE app.t (id int);").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path();
    add_pg_profile(c, "admin", pg::SUPERUSER, &db);
    let user = support::unique("cligo");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shiftgate"));
    cmd.arg("--config-dir").arg(c).args([
        "setup",
        "--profile",
        "admin",
        "--user",
        &user,
        "--schemas",
        "app",
        "--password-env",
        "CAT_PW",
        "--revoke-public-create",
        "--apply",
    ]);
    cmd.env("PGPASSWORD", pg::SUPERUSER_PASSWORD)
        .env("CAT_PW", "Catalog-Pw-78")
        .stdin(std::process::Stdio::null());
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", all(&o));
    let file = std::fs::read_to_string(c.join("profiles.toml")).unwrap();
    assert!(file.contains("applied_plans") && file.contains(&user), "{file}");
    assert!(!file.contains("Catalog-Pw-78"), "no password on disk");
    // Print first: the record is used, the group is dropped, the user is kept.
    let o = shiftgate(
        c,
        &["teardown", "--profile", "admin", "--user", &user, "--grants-only"],
        Some(pg::SUPERUSER_PASSWORD),
    );
    assert!(o.status.success(), "{}", all(&o));
    let sql = stdout(&o);
    assert!(sql.contains(&format!("DROP GROUP \"{user}_ro\"")), "{sql}");
    assert!(!sql.contains("DROP USER IF EXISTS"), "{sql}");
    assert!(all(&o).contains("using the setup record"), "{}", all(&o));
    let o = shiftgate(
        c,
        &["teardown", "--profile", "admin", "--user", &user, "--grants-only", "--apply"],
        Some(pg::SUPERUSER_PASSWORD),
    );
    assert!(o.status.success(), "{}", all(&o));
    let count = |name: &str| {
        s.sql_in(&db, &format!("SELECT count(*) FROM pg_roles WHERE rolname = '{name}'")).unwrap()
    };
    assert_eq!((count(&user), count(&format!("{user}_ro"))), ("1".into(), "0".into()));
    let file = std::fs::read_to_string(c.join("profiles.toml")).unwrap();
    assert!(!file.contains(&user), "the record is removed after teardown: {file}");
}

/// `shiftgate demo --no-gui` prints a ready connection string and the CA path; psql connects
/// with exactly that string and verify-full (issue 18 item 6).
#[test]
fn demo_no_gui_prints_a_working_connection_string() {
    use std::io::{BufRead, BufReader};
    let config = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_shiftgate"))
        .arg("--config-dir")
        .arg(config.path())
        .args(["demo", "--no-gui", "--port", "0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start demo");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut conn = None;
    let mut ca = None;
    for line in lines.by_ref() {
        let line = line.expect("line");
        if let Some(c) = line.strip_prefix("Connection string: ") {
            conn = Some(c.to_string());
        }
        if let Some(c) = line.strip_prefix("CA certificate: ") {
            ca = Some(c.to_string());
        }
        if line.starts_with("Press Ctrl+C") {
            break;
        }
    }
    let (conn, ca) = (conn.expect("connection string printed"), ca.expect("CA path printed"));
    assert!(Path::new(&ca).is_file(), "CA file {ca} exists");
    assert!(conn.contains("sslmode=verify-full") && conn.contains(&ca), "{conn}");
    let out = Command::new("psql")
        .args([conn.as_str(), "-X", "-At", "-c", "select current_user, count(*) from sales.orders"])
        .env("PGPASSWORD", redshift_sim::ADMIN_PASSWORD)
        .output()
        .expect("psql runs");
    let _ = child.kill();
    let _ = child.wait();
    assert!(out.status.success(), "psql failed: {}", all(&out));
    assert_eq!(stdout(&out).trim(), "admin|300");
}
