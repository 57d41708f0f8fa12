//! A throwaway PostgreSQL 15 server for the whole test binary.
//!
//! initdb runs as a non-root user (`postgres` when the tests run as root, via `setpriv`), with
//! `password_encryption=md5` and md5 in pg_hba, `ssl=on` with a certificate from [`super::certs`],
//! on a random free loopback port in a temp directory. The postmaster is started by a thread that
//! lives as long as the test process, with `--pdeathsig KILL`, so it dies with the tests.
//!
//! pg_hba: every user may connect over TLS; only members of `plain_ok` may connect without it, so
//! a user outside that role gets PostgreSQL's real "no pg_hba.conf entry … no encryption".

use super::certs::{self, TestPki};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const SUPERUSER: &str = "postgres";
pub const SUPERUSER_PASSWORD: &str = "Sup3rSecret-Admin";

pub struct PgServer {
    pub port: u16,
    pub dir: PathBuf,
    pub socket_dir: PathBuf,
    pub bin: PathBuf,
    pub pki: TestPki,
    pub ca_file: PathBuf,
    pub other_ca_file: PathBuf,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn pg_bin() -> PathBuf {
    if let Ok(dir) = std::env::var("SHIFTGATE_PG_BIN") {
        return PathBuf::from(dir);
    }
    for v in ["15", "16", "17"] {
        let p = PathBuf::from(format!("/usr/lib/postgresql/{v}/bin"));
        if p.join("initdb").exists() {
            return p;
        }
    }
    panic!(
        "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; run scripts/test.sh (it installs postgresql-15) or set SHIFTGATE_PG_BIN"
    );
}

/// A command that runs as the non-root database user.
fn as_db_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=postgres", "--regid=postgres", "--clear-groups", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn chown_to_db_user(path: &Path) {
    if is_root() {
        let st = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(path)
            .status()
            .expect("chown");
        assert!(st.success(), "chown {path:?} failed");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {path:?}: {e}"));
}

impl PgServer {
    fn start() -> PgServer {
        let bin = pg_bin();
        let base = std::env::temp_dir().join(format!("shiftgate-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).expect("mkdir base");
        let data = base.join("data");
        let socket_dir = base.join("sock");
        std::fs::create_dir_all(&socket_dir).expect("mkdir sock");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755))
                .expect("chmod base");
        }
        let pki = certs::make();
        write(&base.join("pwfile"), SUPERUSER_PASSWORD);
        write(&base.join("server.crt"), &pki.server_cert_pem);
        write(&base.join("server.key"), &pki.server_key_pem);
        let ca_file = base.join("ca.pem");
        let other_ca_file = base.join("other-ca.pem");
        write(&ca_file, &pki.ca_pem);
        write(&other_ca_file, &pki.other_ca_pem);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                base.join("server.key"),
                std::fs::Permissions::from_mode(0o600),
            )
            .expect("chmod key");
        }
        chown_to_db_user(&base);

        let out = as_db_user(&bin.join("initdb"))
            .args(["-D"])
            .arg(&data)
            .args([
                "-A",
                "md5",
                "-U",
                SUPERUSER,
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--pwfile",
            ])
            .arg(base.join("pwfile"))
            .env("LC_ALL", "C")
            .output()
            .expect("run initdb");
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));

        let port = free_port();
        let conf = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{sock}'\nssl = on\nssl_cert_file = '{base}/server.crt'\nssl_key_file = '{base}/server.key'\npassword_encryption = md5\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 60\nshared_buffers = 32MB\nlog_min_messages = warning\n",
            sock = socket_dir.display(),
            base = base.display()
        );
        let mut pgconf =
            std::fs::read_to_string(data.join("postgresql.conf")).expect("read postgresql.conf");
        pgconf.push_str(&conf);
        write(&data.join("postgresql.conf"), &pgconf);
        write(
            &data.join("pg_hba.conf"),
            "local all all trust\n\
             hostssl all all 127.0.0.1/32 md5\n\
             hostnossl all +plain_ok 127.0.0.1/32 md5\n\
             hostssl all all ::1/128 md5\n\
             hostnossl all +plain_ok ::1/128 md5\n",
        );
        chown_to_db_user(&data);

        // The postmaster is a child of a thread that never ends: PR_SET_PDEATHSIG fires when the
        // forking thread exits, so this thread outlives every test and dies with the process.
        let log = base.join("server.log");
        let (tx, rx) = std::sync::mpsc::channel();
        let postgres = bin.join("postgres");
        let data2 = data.clone();
        std::thread::spawn(move || {
            let logf = std::fs::File::create(&log).expect("log file");
            let mut cmd = if is_root() {
                let mut c = Command::new("setpriv");
                c.args([
                    "--reuid=postgres",
                    "--regid=postgres",
                    "--clear-groups",
                    "--pdeathsig=KILL",
                    "--",
                ])
                .arg(&postgres);
                c
            } else {
                let mut c = Command::new("setpriv");
                c.args(["--pdeathsig=KILL", "--"]).arg(&postgres);
                c
            };
            let child = cmd
                .arg("-D")
                .arg(&data2)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(logf)
                .spawn();
            let _ = tx.send(child.map(|c| c.id()));
            loop {
                std::thread::park();
            }
        });
        rx.recv().expect("spawn thread").expect("start postgres");

        let server =
            PgServer { port, dir: base.clone(), socket_dir, bin, pki, ca_file, other_ca_file };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ok = Command::new(server.bin.join("pg_isready"))
                .args(["-q", "-h"])
                .arg(&server.socket_dir)
                .args(["-p", &port.to_string()])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                break;
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(base.join("server.log")).unwrap_or_default();
                panic!("PostgreSQL did not start within 30 s; log:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        server.admin_sql("CREATE ROLE plain_ok NOLOGIN;");
        server
    }

    /// Run SQL as the superuser over the Unix socket (psql, trust); panics with psql's output on error.
    pub fn admin_sql(&self, sql: &str) -> String {
        self.sql_in("postgres", sql).unwrap_or_else(|e| panic!("admin SQL failed: {e}\nSQL: {sql}"))
    }

    /// Run SQL as the superuser in `db`; returns stdout (unaligned, tuples only) or stderr.
    pub fn sql_in(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(&self.socket_dir)
            .args(["-p", &self.port.to_string(), "-U", SUPERUSER, "-d", db, "-c", sql])
            .output()
            .map_err(|e| format!("run psql: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Create a login user with a password (md5-stored); `plain` also allows non-TLS connections.
    pub fn create_user(&self, name: &str, password: &str, plain: bool) {
        let mut sql = format!("CREATE USER \"{name}\" PASSWORD '{password}';");
        if plain {
            sql.push_str(&format!("GRANT plain_ok TO \"{name}\";"));
        }
        self.admin_sql(&sql);
    }

    pub fn create_database(&self, name: &str) {
        self.admin_sql(&format!("CREATE DATABASE \"{name}\";"));
    }
}

/// The shared server, started on first use.
pub fn server() -> &'static PgServer {
    static PG: OnceLock<PgServer> = OnceLock::new();
    PG.get_or_init(PgServer::start)
}

/// A PostgreSQL profile for `user` in `db` on the harness server: TLS verify-full against the
/// harness CA.
pub fn profile(user: &str, db: &str) -> shiftgate::profile::Profile {
    let s = server();
    let mut p = shiftgate::profile::Profile::new(shiftgate::profile::Engine::Postgres);
    p.host = "localhost".into();
    p.port = s.port;
    p.user = user.into();
    p.database = db.into();
    p.sslmode = shiftgate::profile::SslMode::VerifyFull;
    p.ca_file = Some(s.ca_file.clone());
    p
}
