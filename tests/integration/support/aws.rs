//! AWS stand-ins for the IAM tests: moto in server mode (a real AWS-API mock from PyPI, made by
//! `scripts/py-venv.sh`) on a loopback port, and a small loopback HTTP test double for the two
//! APIs moto does not implement (GetClusterCredentialsWithIAM, Serverless GetCredentials).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Example key pair from the AWS documentation; moto accepts any.
pub const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `moto_server`, killed on drop.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    pub fn start() -> Moto {
        let bin = repo_root().join("target/py-venv/bin/moto_server");
        assert!(
            bin.exists(),
            "FAIL: {} is missing — create it with `scripts/py-venv.sh` (moto[server] from PyPI)",
            bin.display()
        );
        let port = free_port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Moto { child, port };
        let until = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < until, "moto_server did not listen within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// POST a query-protocol request for `service`, as an SDK would (moto routes by the
    /// credential scope of the Authorization header and does not check the signature).
    pub fn query(&self, service: &str, body: &str) -> (u16, String) {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00"
        );
        http_post(
            self.port,
            "/",
            &[
                ("Authorization", auth.as_str()),
                ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            ],
            body,
        )
    }

    /// `POST /moto-api/seed?a=N`: moto's random values (passwords, request ids) repeat after it.
    pub fn seed(&self, a: u32) {
        let (status, _) = http_post(self.port, &format!("/moto-api/seed?a={a}"), &[], "");
        assert_eq!(status, 200, "seed");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking HTTP/1.1 POST on loopback; the status and the body.
pub fn http_post(port: u16, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// The text of `<tag>…</tag>`.
pub fn xml(body: &str, tag: &str) -> Option<String> {
    let start = body.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    Some(body[start..end].to_string())
}

/// One request the double received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// The answer the double gives: status, content type, body.
pub type Answer = (u16, &'static str, String);

/// A loopback HTTP server answering each request with `answer` and keeping what it received.
pub struct Double {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl Double {
    pub fn start(answer: impl Fn(&Received) -> Answer + Send + 'static) -> Double {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received: Arc<Mutex<Vec<Received>>> = Default::default();
        let log = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { continue };
                let Some(req) = read_request(&mut s) else { continue };
                let (status, ctype, body) = answer(&req);
                log.lock().unwrap().push(req);
                let reply = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(reply.as_bytes());
            }
        });
        Double { port, received }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn read_request(s: &mut TcpStream) -> Option<Received> {
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&raw).into_owned();
        let Some((head, body)) = text.split_once("\r\n\r\n") else { continue };
        let mut lines = head.split("\r\n");
        let path = lines.next()?.split_whitespace().nth(1)?.to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        if body.len() >= len {
            return Some(Received { path, headers, body: body[..len].to_string() });
        }
    }
}

/// Check a SigV4 Authorization header: algorithm, credential scope (key, date, region,
/// service), the signed headers that must be covered, and a 64-hex-digit signature.
pub fn check_sigv4(req: &Received, region: &str, service: &str, must_sign: &[&str]) {
    let auth = req.header("authorization").expect("Authorization header");
    let date = req.header("x-amz-date").expect("X-Amz-Date header");
    assert_eq!(date.len(), 16, "X-Amz-Date is yyyymmddThhmmssZ: {date}");
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ").expect("SigV4 algorithm");
    let field = |name: &str| {
        rest.split(", ")
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} missing in {auth}"))
            .to_string()
    };
    assert_eq!(
        field("Credential"),
        format!("{ACCESS_KEY}/{}/{region}/{service}/aws4_request", &date[..8]),
        "credential scope"
    );
    let signed: Vec<String> = field("SignedHeaders").split(';').map(str::to_string).collect();
    for h in must_sign {
        assert!(signed.iter().any(|s| s == h), "{h} not signed: {signed:?}");
    }
    let sig = field("Signature");
    assert!(sig.len() == 64 && sig.chars().all(|c| c.is_ascii_hexdigit()), "signature {sig}");
}
