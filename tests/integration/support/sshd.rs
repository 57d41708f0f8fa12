//! Throwaway OpenSSH servers (`/usr/sbin/sshd`) and an `ssh-agent` for the tunnel tests.
//!
//! Each server listens on a random loopback port with its own ed25519 host key in a temp dir,
//! `UsePAM no`, `StrictModes no`, `LogLevel VERBOSE`, and one shared `authorized_keys` holding
//! every client key made here. Like the PostgreSQL harness, each process is started by a thread
//! that lives as long as the test process, under `setpriv --pdeathsig=KILL`, so it dies with the
//! tests.
//!
//! Users: key logins use the user running the tests (root in CI: `PermitRootLogin
//! prohibit-password`). Password login needs sshd to read `/etc/shadow`, which only works when
//! the tests (hence sshd) run as root; then a throwaway system user [`PASSWORD_USER`] is created
//! once (`useradd -M` + `chpasswd`) and reused.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const KEY_PASSPHRASE: &str = "correct horse battery";
pub const PASSWORD_USER: &str = "shiftgate-ssh-test";
pub const PASSWORD_USER_PASSWORD: &str = "Tunnel-Pass-42";

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The user key logins use: whoever runs the tests.
pub fn login_user() -> String {
    let out = Command::new("id").arg("-un").output().expect("run id -un");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn base_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("shiftgate-ssh-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("mkdir ssh base");
    d
}

fn keygen(path: &Path, kind: &[&str], passphrase: &str, comment: &str) {
    let _ = std::fs::remove_file(path);
    let out = Command::new("ssh-keygen")
        .args(["-q"])
        .args(kind)
        .args(["-N", passphrase, "-C", comment, "-f"])
        .arg(path)
        .output()
        .expect("run ssh-keygen");
    assert!(
        out.status.success(),
        "ssh-keygen {kind:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path:?}: {e}"))
}

/// Client keys, all authorized on every server.
pub struct Keys {
    pub ed25519: PathBuf,
    pub rsa: PathBuf,
    /// ed25519, encrypted with [`KEY_PASSPHRASE`].
    pub encrypted: PathBuf,
    /// Loaded into the agent only (no file is given to the tunnel).
    pub agent_only: PathBuf,
    pub authorized_keys: PathBuf,
}

pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = base_dir().join("client");
        std::fs::create_dir_all(&dir).expect("mkdir client keys");
        let k = Keys {
            ed25519: dir.join("id_ed25519"),
            rsa: dir.join("id_rsa"),
            encrypted: dir.join("id_encrypted"),
            agent_only: dir.join("id_agent"),
            authorized_keys: dir.join("authorized_keys"),
        };
        keygen(&k.ed25519, &["-t", "ed25519"], "", "test-ed25519");
        keygen(&k.rsa, &["-t", "rsa", "-b", "3072"], "", "test-rsa");
        keygen(&k.encrypted, &["-t", "ed25519"], KEY_PASSPHRASE, "test-encrypted");
        keygen(&k.agent_only, &["-t", "ed25519"], "", "test-agent");
        let mut auth = String::new();
        for key in [&k.ed25519, &k.rsa, &k.encrypted, &k.agent_only] {
            auth.push_str(&read(&key.with_extension("pub")));
        }
        std::fs::write(&k.authorized_keys, auth).expect("write authorized_keys");
        k
    })
}

/// One running sshd.
pub struct Sshd {
    pub port: u16,
    pub dir: PathBuf,
    /// `ssh-ed25519 AAAA…` of the host key.
    pub host_key: String,
    pub log: PathBuf,
}

impl Sshd {
    /// A known_hosts line for this server as reached at 127.0.0.1.
    pub fn known_hosts_line(&self) -> String {
        format!("[127.0.0.1]:{} {}\n", self.port, self.host_key)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Start a process as a child of a thread that never ends (PR_SET_PDEATHSIG fires when the
/// forking thread exits), stderr to `log`.
fn spawn_for_life(program: &str, args: Vec<String>, log: &Path) {
    let (tx, rx) = std::sync::mpsc::channel();
    let log_path = log.to_path_buf();
    let program = program.to_string();
    std::thread::spawn(move || {
        let result = std::fs::File::create(&log_path).and_then(|logf| {
            Command::new("setpriv")
                .args(["--pdeathsig=KILL", "--", &program])
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(logf)
                .spawn()
        });
        let _ = tx.send(result.map(|c| c.id()));
        loop {
            std::thread::park();
        }
    });
    rx.recv().expect("spawn thread").unwrap_or_else(|e| panic!("start {log:?}: {e}"));
}

fn start_sshd(name: &str, password_auth: bool, forwarding: &str) -> Sshd {
    if is_root() {
        std::fs::create_dir_all("/run/sshd").expect("mkdir /run/sshd (privilege separation dir)");
    }
    let keys = keys();
    let dir = base_dir().join(name);
    std::fs::create_dir_all(&dir).expect("mkdir sshd dir");
    let hostkey = dir.join("hostkey");
    keygen(&hostkey, &["-t", "ed25519"], "", name);
    let host_key =
        read(&dir.join("hostkey.pub")).split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    let port = free_port();
    let config = dir.join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nPidFile {dir}/sshd.pid\nAuthorizedKeysFile {ak}\n\
             PasswordAuthentication {pw}\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n\
             PermitRootLogin prohibit-password\nAllowTcpForwarding {forwarding}\nMaxAuthTries 20\nLogLevel VERBOSE\n",
            hk = hostkey.display(),
            dir = dir.display(),
            ak = keys.authorized_keys.display(),
            pw = if password_auth { "yes" } else { "no" },
        ),
    )
    .expect("write sshd_config");
    let log = dir.join("sshd.log");
    spawn_for_life(
        "/usr/sbin/sshd",
        vec!["-D".into(), "-e".into(), "-f".into(), config.display().to_string()],
        &log,
    );
    let server = Sshd { port, dir, host_key, log };
    // Ready when it sends its identification line.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 4];
            if s.read_exact(&mut buf).is_ok() && &buf == b"SSH-" {
                return server;
            }
        }
        if Instant::now() > deadline {
            panic!("sshd {name} did not start within 20 s; log:\n{}", server.log_text());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Password and key login, forwarding allowed.
pub fn main_server() -> &'static Sshd {
    static S: OnceLock<Sshd> = OnceLock::new();
    S.get_or_init(|| start_sshd("main", true, "local"))
}

/// Keys only, `AllowTcpForwarding no`.
pub fn no_forwarding_server() -> &'static Sshd {
    static S: OnceLock<Sshd> = OnceLock::new();
    S.get_or_init(|| start_sshd("nofwd", false, "no"))
}

/// A second server, reached through [`main_server`] in chain tests.
pub fn inner_server() -> &'static Sshd {
    static S: OnceLock<Sshd> = OnceLock::new();
    S.get_or_init(|| start_sshd("inner", false, "local"))
}

/// The throwaway password user (created once). Needs root: sshd must read /etc/shadow.
pub fn password_user() -> &'static str {
    static U: OnceLock<()> = OnceLock::new();
    U.get_or_init(|| {
        assert!(
            is_root(),
            "password login needs the tests to run as root (sshd must read /etc/shadow)"
        );
        let exists = Command::new("id")
            .arg(PASSWORD_USER)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !exists {
            let st = Command::new("useradd")
                .args(["-M", "-s", "/bin/sh", PASSWORD_USER])
                .status()
                .expect("run useradd");
            assert!(st.success(), "useradd {PASSWORD_USER} failed");
        }
        let mut child =
            Command::new("chpasswd").stdin(Stdio::piped()).spawn().expect("run chpasswd");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("chpasswd stdin");
            writeln!(stdin, "{PASSWORD_USER}:{PASSWORD_USER_PASSWORD}").expect("write chpasswd");
        }
        assert!(child.wait().expect("wait chpasswd").success(), "chpasswd failed");
    });
    PASSWORD_USER
}

/// A running ssh-agent holding [`Keys::agent_only`]; give `socket` to the tunnel explicitly.
pub struct Agent {
    pub socket: PathBuf,
}

pub fn agent() -> &'static Agent {
    static A: OnceLock<Agent> = OnceLock::new();
    A.get_or_init(|| {
        let dir = base_dir().join("agent");
        std::fs::create_dir_all(&dir).expect("mkdir agent dir");
        let socket = dir.join("agent.sock");
        let _ = std::fs::remove_file(&socket);
        // Debian's ssh-agent is set-group-ID, and exec of such a program clears PDEATHSIG: run a
        // plain copy so the agent dies with the tests.
        let agent_bin = dir.join("ssh-agent");
        std::fs::copy("/usr/bin/ssh-agent", &agent_bin).expect("copy ssh-agent");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&agent_bin, std::fs::Permissions::from_mode(0o755))
                .expect("chmod ssh-agent copy");
        }
        spawn_for_life(
            &agent_bin.display().to_string(),
            vec!["-D".into(), "-a".into(), socket.display().to_string()],
            &dir.join("agent.log"),
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "ssh-agent did not create {socket:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = Command::new("ssh-add")
            .arg(&keys().agent_only)
            .env("SSH_AUTH_SOCK", &socket)
            .output()
            .expect("run ssh-add");
        assert!(out.status.success(), "ssh-add failed: {}", String::from_utf8_lossy(&out.stderr));
        Agent { socket }
    })
}
