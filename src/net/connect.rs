//! The staged connect: resolve → TCP → TLS → authenticate (→ query → detect for a test), every
//! stage timed and reported as it happens, the whole bounded by the profile's timeout and
//! cancellable. With an SSH tunnel the resolve/TCP stages are replaced by the tunnel's steps
//! (see [`super::ssh`]) and each attempt rides a `direct-tcpip` channel; TLS still names the
//! database host. The same code opens the connection for setup, verify and teardown.

use super::credentials::Credentials;
use super::ssh::{self, SshFailure, Tunnel, TunnelOptions};
use super::tls::{self, SharedCertRecord};
use super::wire::{Observed, ObservingTlsConnect, SharedWireLog, WireLog};
use shiftgate_core::diagnose::{FailureFacts, IoKind, TlsProblem, diagnose};
use shiftgate_core::profile::{Profile, SslMode};
use shiftgate_core::report::{Report, ServerInfo, Step, StepKind, StepStatus};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::time::timeout_at;
use tokio_util::sync::CancellationToken;

pub use super::credentials::Password;

/// Receives every step update (Running, then a final status).
pub type StepSink<'a> = &'a (dyn Fn(Step) + Send + Sync);

/// An open, authenticated connection with the report of how it was opened.
pub struct Session {
    pub client: tokio_postgres::Client,
    pub report: Report,
    pub is_redshift: bool,
    connection: tokio::task::JoinHandle<()>,
    /// The SSH hops carrying this session, if tunnelled: dropping them would cut the connection.
    tunnel: Option<Arc<Tunnel>>,
    /// How to reach the server again for a cancel request.
    cancel_route: CancelRoute,
}

/// The session's path to the server, for a cancel request on a fresh connection: the address its
/// TCP connection reached (none when tunnelled: a new channel of the same tunnel), and its TLS.
struct CancelRoute {
    addr: Option<SocketAddr>,
    host: String,
    port: u16,
    tls: ObservingTlsConnect,
}

impl Session {
    /// Token to cancel the running statement server-side.
    pub fn cancel_token(&self) -> tokio_postgres::CancelToken {
        self.client.cancel_token()
    }

    /// Ask the server to cancel what this session is running: a CancelRequest on a fresh
    /// connection along the session's own path (the same address, or a new channel of the same
    /// SSH tunnel), with the session's TLS settings, within 10 s. tokio-postgres'
    /// `CancelToken::cancel_query` can't do this for a `connect_raw` session: it knows no socket.
    pub async fn cancel_running(&self) -> Result<(), String> {
        let route = &self.cancel_route;
        let request = async {
            let stream = match (&self.tunnel, route.addr) {
                (Some(tunnel), _) => {
                    let mut scratch = Report::default();
                    let mut stage = Stage { sink: &|_: Step| {}, report: &mut scratch };
                    let channel = tunnel
                        .open_channel(&route.host, route.port, &mut stage)
                        .await
                        .map_err(|f| format!("{f:?}"))?;
                    DbStream::Ssh(channel.into_stream())
                }
                (None, Some(addr)) => {
                    DbStream::Tcp(TcpStream::connect(addr).await.map_err(|e| e.to_string())?)
                }
                (None, None) => return Err("no route to the server".to_string()),
            };
            self.cancel_token()
                .cancel_query_raw(stream, route.tls.clone())
                .await
                .map_err(|e| e.to_string())
        };
        tokio::time::timeout(Duration::from_secs(10), request)
            .await
            .unwrap_or_else(|_| Err("the cancel request timed out".into()))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.connection.abort();
        // The tunnel goes after the connection task that uses its channel.
        self.tunnel.take();
    }
}

/// Reports steps into the report and the live sink.
pub(crate) struct Stage<'a> {
    pub(crate) sink: StepSink<'a>,
    pub(crate) report: &'a mut Report,
}

impl Stage<'_> {
    pub(crate) fn start(&mut self, kind: StepKind) -> Instant {
        let step = Step { kind, status: StepStatus::Running, elapsed_ms: 0, detail: String::new() };
        self.report.upsert_step(step.clone());
        (self.sink)(step);
        Instant::now()
    }

    pub(crate) fn finish(
        &mut self,
        kind: StepKind,
        status: StepStatus,
        started: Instant,
        detail: impl Into<String>,
    ) {
        let step = Step {
            kind,
            status,
            elapsed_ms: started.elapsed().as_millis() as u64,
            detail: detail.into(),
        };
        self.report.upsert_step(step.clone());
        (self.sink)(step);
    }

    pub(crate) fn finish_ms(
        &mut self,
        kind: StepKind,
        status: StepStatus,
        elapsed: Duration,
        detail: impl Into<String>,
    ) {
        let step =
            Step { kind, status, elapsed_ms: elapsed.as_millis() as u64, detail: detail.into() };
        self.report.upsert_step(step.clone());
        (self.sink)(step);
    }
}

fn base_facts(profile: &Profile) -> FailureFacts {
    FailureFacts {
        host: profile.host.clone(),
        port: profile.port,
        database: profile.database.clone(),
        user: profile.user.clone(),
        engine: Some(profile.engine),
        sslmode: Some(profile.sslmode),
        timeout_secs: profile.connect_timeout_secs,
        ..Default::default()
    }
}

/// Classify an I/O error for diagnosis (shared with the SSH tunnel).
pub(crate) fn io_kind(e: &std::io::Error) -> IoKind {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => IoKind::NotFound,
        K::ConnectionRefused => IoKind::Refused,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
            IoKind::Reset
        }
        K::TimedOut => IoKind::TimedOut,
        K::HostUnreachable | K::NetworkUnreachable | K::AddrNotAvailable => IoKind::Unreachable,
        _ => IoKind::Other,
    }
}

/// Describe a tokio-postgres error as facts for diagnosis.
pub fn facts_from_pg_error(
    profile: &Profile,
    e: &tokio_postgres::Error,
    stage: StepKind,
) -> FailureFacts {
    let mut f = base_facts(profile);
    f.stage = Some(stage);
    f.text = e.to_string();
    if let Some(db) = e.as_db_error() {
        f.sqlstate = Some(db.code().code().to_string());
        f.server_message = Some(db.message().to_string());
    } else if let Some(code) = e.code() {
        f.sqlstate = Some(code.code().to_string());
    }
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            f.io_kind = Some(io_kind(io));
            if f.text.len() < 200 {
                f.text = format!("{}: {io}", f.text);
            }
        }
        src = s.source();
    }
    f
}

fn fail(report: &mut Report, facts: FailureFacts, started: Instant) {
    report.diagnosis = Some(diagnose(&facts));
    report.total_ms = started.elapsed().as_millis() as u64;
}

/// Resolve `host:port` into socket addresses (IP literals skip DNS).
async fn resolve(host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::NotFound, e.to_string()))?
        .collect();
    if addrs.is_empty() {
        return Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no addresses found"));
    }
    Ok(addrs)
}

fn ssh_facts(profile: &Profile, f: SshFailure) -> FailureFacts {
    let mut facts = base_facts(profile);
    facts.stage = Some(f.stage);
    facts.ssh = f.problem;
    facts.text = f.text;
    facts.timeout_secs = f.timeout_secs;
    facts
}

fn new_report(profile: &Profile) -> Report {
    let via = if profile.ssh.enabled { " via SSH" } else { "" };
    Report {
        target: format!(
            "{}@{}:{}/{}{via}",
            profile.user, profile.host, profile.port, profile.database
        ),
        sslmode: profile.sslmode.to_string(),
        ..Default::default()
    }
}

/// Mark running steps cancelled and diagnose the cancellation.
fn cancelled(
    profile: &Profile,
    mut report: Report,
    sink: StepSink<'_>,
    started: Instant,
) -> Report {
    for s in report.steps.iter_mut().filter(|s| s.status == StepStatus::Running) {
        s.status = StepStatus::Cancelled;
        sink(s.clone());
    }
    let mut f = base_facts(profile);
    f.cancelled = true;
    fail(&mut report, f, started);
    report
}

/// Open a connection through the stages, reporting each. `Err` carries the report with the
/// diagnosis (failed or cancelled). `tunnel` is used only when the profile enables SSH.
pub async fn open_session(
    profile: &Profile,
    credentials: &Credentials,
    tunnel: &TunnelOptions,
    sink: StepSink<'_>,
    cancel: &CancellationToken,
) -> Result<Session, Report> {
    let started = Instant::now();
    let mut report = new_report(profile);
    let result = tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(Cancelled),
        r = staged(profile, credentials, tunnel, sink, &mut report, started) => Ok(r),
    };
    match result {
        Ok(Some(session)) => Ok(session),
        Ok(None) => Err(report),
        Err(Cancelled) => Err(cancelled(profile, report, sink, started)),
    }
}

struct Cancelled;

/// How an attempt reaches the database.
enum Transport<'a> {
    /// TCP to these addresses, in turn.
    Direct(&'a [SocketAddr]),
    /// A fresh `direct-tcpip` channel of the tunnel per attempt.
    Tunnel(&'a Arc<Tunnel>),
}

async fn staged(
    profile: &Profile,
    credentials: &Credentials,
    tunnel_opts: &TunnelOptions,
    sink: StepSink<'_>,
    report: &mut Report,
    started: Instant,
) -> Option<Session> {
    let mut stage = Stage { sink, report };
    let timeout = Duration::from_secs(profile.connect_timeout_secs.max(1) as u64);
    let addrs;
    let tunnel;
    let transport = if profile.ssh.enabled {
        match ssh::open_tunnel(profile, credentials, tunnel_opts, &mut stage).await {
            Ok(t) => {
                tunnel = Arc::new(t);
                Transport::Tunnel(&tunnel)
            }
            Err(f) => {
                fail(stage.report, ssh_facts(profile, f), started);
                return None;
            }
        }
    } else {
        // Resolve.
        let deadline = tokio::time::Instant::now() + timeout;
        let t = stage.start(StepKind::Resolve);
        addrs = match timeout_at(deadline, resolve(&profile.host, profile.port)).await {
            Ok(Ok(a)) => {
                let list: Vec<String> = a.iter().map(|s| s.ip().to_string()).collect();
                stage.finish(StepKind::Resolve, StepStatus::Ok, t, list.join(", "));
                a
            }
            Ok(Err(e)) => {
                stage.finish(StepKind::Resolve, StepStatus::Failed, t, e.to_string());
                let mut f = base_facts(profile);
                f.stage = Some(StepKind::Resolve);
                f.io_kind = Some(IoKind::NotFound);
                f.text = e.to_string();
                fail(stage.report, f, started);
                return None;
            }
            Err(_) => {
                stage.finish(StepKind::Resolve, StepStatus::Failed, t, "timed out");
                let mut f = base_facts(profile);
                f.stage = Some(StepKind::Resolve);
                f.timed_out = true;
                fail(stage.report, f, started);
                return None;
            }
        };
        Transport::Direct(&addrs)
    };
    // The database's own timeout starts once the path to it (direct or tunnelled) is there.
    let deadline = tokio::time::Instant::now() + timeout;

    // sslmode=allow: plain first, TLS only if the server insists (libpq semantics).
    let attempts: Vec<SslMode> = match profile.sslmode {
        SslMode::Allow => vec![SslMode::Disable, SslMode::Require],
        m => vec![m],
    };
    let last = attempts.len() - 1;
    for (i, mode) in attempts.into_iter().enumerate() {
        match attempt(
            profile,
            credentials.db_password.as_ref(),
            &transport,
            mode,
            &mut stage,
            started,
            deadline,
        )
        .await
        {
            AttemptResult::Connected(session) => return Some(session),
            AttemptResult::Failed(facts) => {
                let retry = i < last
                    && facts.sqlstate.as_deref() == Some("28000")
                    && facts.server_message.as_deref().is_some_and(|m| m.contains("pg_hba.conf"));
                if retry {
                    continue;
                }
                fail(stage.report, facts, started);
                return None;
            }
        }
    }
    None
}

// One value per attempt, moved once: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
enum AttemptResult {
    Connected(Session),
    Failed(FailureFacts),
}

/// The byte stream to the database: TCP, or a tunnel channel.
enum DbStream {
    Tcp(TcpStream),
    Ssh(ssh::TunnelStream),
}

impl tokio::io::AsyncRead for DbStream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            DbStream::Tcp(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            DbStream::Ssh(s) => std::pin::Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl tokio::io::AsyncWrite for DbStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            DbStream::Tcp(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            DbStream::Ssh(s) => std::pin::Pin::new(s).poll_write(cx, buf),
        }
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            DbStream::Tcp(s) => std::pin::Pin::new(s).poll_flush(cx),
            DbStream::Ssh(s) => std::pin::Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            DbStream::Tcp(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            DbStream::Ssh(s) => std::pin::Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// TCP to the first address that answers, reported as the `Tcp` step.
async fn tcp_transport(
    profile: &Profile,
    addrs: &[SocketAddr],
    stage: &mut Stage<'_>,
    deadline: tokio::time::Instant,
) -> Result<DbStream, FailureFacts> {
    let t = stage.start(StepKind::Tcp);
    let mut last_err: Option<std::io::Error> = None;
    let mut timed_out = false;
    for addr in addrs {
        match timeout_at(deadline, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                stage.finish(StepKind::Tcp, StepStatus::Ok, t, format!("connected to {addr}"));
                return Ok(DbStream::Tcp(s));
            }
            Ok(Err(e)) => last_err = Some(e),
            Err(_) => {
                timed_out = true;
                break;
            }
        }
    }
    let mut f = base_facts(profile);
    f.stage = Some(StepKind::Tcp);
    f.timed_out = timed_out;
    if let Some(e) = &last_err {
        f.io_kind = Some(io_kind(e));
        f.text = e.to_string();
    }
    let detail = if timed_out { "timed out".to_string() } else { f.text.clone() };
    stage.finish(StepKind::Tcp, StepStatus::Failed, t, detail);
    Err(f)
}

async fn attempt(
    profile: &Profile,
    password: Option<&Password>,
    transport: &Transport<'_>,
    mode: SslMode,
    stage: &mut Stage<'_>,
    started: Instant,
    deadline: tokio::time::Instant,
) -> AttemptResult {
    let (stream, tunnel): (DbStream, Option<Arc<Tunnel>>) = match transport {
        Transport::Direct(addrs) => match tcp_transport(profile, addrs, stage, deadline).await {
            Ok(s) => (s, None),
            Err(f) => return AttemptResult::Failed(f),
        },
        Transport::Tunnel(t) => match t.open_channel(&profile.host, profile.port, stage).await {
            Ok(ch) => (DbStream::Ssh(ch.into_stream()), Some(Arc::clone(t))),
            Err(f) => return AttemptResult::Failed(ssh_facts(profile, f)),
        },
    };
    let tcp_done = Instant::now();
    let peer = match &stream {
        DbStream::Tcp(s) => s.peer_addr().ok(),
        DbStream::Ssh(_) => None,
    };

    // TLS + authentication happen inside connect_raw; the wire log tells us where it got to.
    let log: SharedWireLog = Default::default();
    let cert: SharedCertRecord = Default::default();
    let mut config = tokio_postgres::Config::new();
    config.user(&profile.user).dbname(&profile.database);
    if let Some(pw) = password {
        config.password(pw.as_bytes());
    }
    if let Some(app) = profile.application_name.as_deref().filter(|a| !a.is_empty()) {
        config.application_name(app);
    }
    config.ssl_mode(match mode {
        SslMode::Disable => tokio_postgres::config::SslMode::Disable,
        SslMode::Allow | SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
        _ => tokio_postgres::config::SslMode::Require,
    });
    let tls_step_running = mode != SslMode::Disable;
    let t_tls = if tls_step_running { Some(stage.start(StepKind::Tls)) } else { None };
    let (tls_config, roots_label) =
        match tls::client_config(mode, profile.ca_file.as_deref(), cert.clone()) {
            Ok(c) => c,
            Err(problem) => {
                let mut f = base_facts(profile);
                f.stage = Some(StepKind::Tls);
                f.tls = Some(problem);
                stage.finish(
                    StepKind::Tls,
                    StepStatus::Failed,
                    t_tls.unwrap_or_else(Instant::now),
                    "CA file unusable",
                );
                return AttemptResult::Failed(f);
            }
        };
    let host_for_sni = profile.host.trim_start_matches('[').trim_end_matches(']').to_string();
    let server_name = match rustls::pki_types::ServerName::try_from(host_for_sni) {
        Ok(n) => n,
        Err(e) => {
            let mut f = base_facts(profile);
            f.stage = Some(StepKind::Tls);
            f.text = format!("host is not a valid TLS server name: {e}");
            return AttemptResult::Failed(f);
        }
    };
    let connector = ObservingTlsConnect { config: tls_config, server_name, log: log.clone() };
    let cancel_route = CancelRoute {
        addr: peer,
        host: profile.host.clone(),
        port: profile.port,
        tls: ObservingTlsConnect { log: Default::default(), ..connector.clone() },
    };
    let observed = Observed::new(stream, mode != SslMode::Disable, log.clone());
    let t_auth_fallback = Instant::now();
    let result = timeout_at(deadline, config.connect_raw(observed, connector)).await;
    let wire: WireLog = log.lock().map(|l| l.clone()).unwrap_or_default();
    let cert_rec = cert.lock().map(|c| c.clone()).unwrap_or_default();

    // Where did it get to?
    let tls_attempted = wire.ssl_response == Some(b'S');
    let tls_ok = tls_attempted && wire.tls_done.is_some();
    let tls_refused = wire.ssl_response == Some(b'N');
    let auth_start = wire.tls_done.unwrap_or(tcp_done);

    let finish_tls = |stage: &mut Stage<'_>, failed: bool| {
        let Some(t0) = t_tls else {
            stage.report.upsert_step(Step {
                kind: StepKind::Tls,
                status: StepStatus::Skipped,
                elapsed_ms: 0,
                detail: "sslmode=disable: not encrypted".into(),
            });
            (stage.sink)(stage.report.steps.last().cloned().unwrap_or_else(|| Step {
                kind: StepKind::Tls,
                status: StepStatus::Skipped,
                elapsed_ms: 0,
                detail: String::new(),
            }));
            return;
        };
        if tls_ok {
            let started = wire.tls_started.unwrap_or(t0);
            let took = wire.tls_done.map(|d| d.duration_since(started)).unwrap_or_default();
            let info = tls::tls_info(
                &cert_rec,
                wire.tls_protocol.clone().unwrap_or_default(),
                wire.tls_cipher.clone().unwrap_or_default(),
                &roots_label,
            );
            let verified = match (info.verified_chain, info.verified_host) {
                (true, true) => "certificate and host name verified".to_string(),
                (true, false) => {
                    "certificate chain verified, host name not checked (verify-ca)".to_string()
                }
                _ => "encrypted, certificate NOT verified".to_string(),
            };
            let status = if info.verified_chain { StepStatus::Ok } else { StepStatus::Warning };
            stage.finish_ms(
                StepKind::Tls,
                status,
                took,
                format!("{} {}; {verified}", info.protocol, info.cipher),
            );
            stage.report.tls = Some(info);
        } else if tls_refused {
            let status = if failed && mode.requires_tls() {
                StepStatus::Failed
            } else {
                StepStatus::Warning
            };
            stage.finish(StepKind::Tls, status, t0, "server does not offer TLS; not encrypted");
        } else if failed {
            let detail = match &cert_rec.problem {
                Some(TlsProblem::HostnameMismatch { names }) => {
                    format!("certificate is for {}", names.join(", "))
                }
                Some(TlsProblem::UntrustedCertificate) => {
                    format!("certificate not trusted (issuer {})", cert_rec.issuer)
                }
                Some(p) => format!("{p:?}"),
                None => "handshake failed".into(),
            };
            stage.finish(StepKind::Tls, StepStatus::Failed, t0, detail);
        }
    };

    match result {
        Ok(Ok((client, connection))) => {
            finish_tls(stage, false);
            let auth_took = wire
                .auth_ok
                .map(|ok| ok.duration_since(auth_start))
                .unwrap_or_else(|| t_auth_fallback.elapsed());
            let method = wire.auth_method().unwrap_or_else(|| "trust".into());
            stage.finish_ms(
                StepKind::Authenticate,
                StepStatus::Ok,
                auth_took,
                format!("as {} using {method}", profile.user),
            );
            let conn_task = tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "connection closed with error");
                }
            });
            let server_version = wire.parameter("server_version").map(str::to_string);
            let mut server = ServerInfo {
                server_version_param: server_version.clone(),
                auth_method: wire.auth_method(),
                ..Default::default()
            };
            server.is_redshift = server_version.as_deref() == Some("8.0.2");
            stage.report.server = Some(server);
            let _ = started;
            AttemptResult::Connected(Session {
                client,
                report: stage.report.clone(),
                is_redshift: false,
                connection: conn_task,
                tunnel,
                cancel_route,
            })
        }
        Ok(Err(e)) => {
            let failed_in_tls = (tls_attempted && !tls_ok) || (tls_refused && mode.requires_tls());
            let kind = if failed_in_tls { StepKind::Tls } else { StepKind::Authenticate };
            let mut f = facts_from_pg_error(profile, &e, kind.clone());
            if failed_in_tls {
                f.tls = Some(if tls_refused {
                    TlsProblem::ServerRefusedTls
                } else {
                    cert_rec.problem.clone().unwrap_or(TlsProblem::Other)
                });
                finish_tls(stage, true);
            } else {
                finish_tls(stage, false);
                let t = stage.start(StepKind::Authenticate);
                let detail = f.server_message.clone().unwrap_or_else(|| f.text.clone());
                stage.finish_ms(
                    StepKind::Authenticate,
                    StepStatus::Failed,
                    t.duration_since(auth_start.min(t)),
                    detail,
                );
            }
            AttemptResult::Failed(f)
        }
        Err(_) => {
            let in_tls = wire.tls_started.is_some() && wire.tls_done.is_none();
            let kind = if in_tls || (t_tls.is_some() && wire.ssl_response.is_none()) {
                StepKind::Tls
            } else {
                StepKind::Authenticate
            };
            let mut f = base_facts(profile);
            f.stage = Some(kind.clone());
            f.timed_out = true;
            if kind == StepKind::Tls {
                if let Some(t0) = t_tls {
                    stage.finish(StepKind::Tls, StepStatus::Failed, t0, "no answer (timed out)");
                }
            } else {
                finish_tls(stage, false);
                let t = Instant::now();
                stage.finish_ms(
                    StepKind::Authenticate,
                    StepStatus::Failed,
                    t.duration_since(auth_start.min(t)),
                    "no answer (timed out)",
                );
            }
            AttemptResult::Failed(f)
        }
    }
}

/// The full staged test: open a session, run `select version(), current_user, current_database()`
/// by simple query, detect Redshift. Returns the finished report.
pub async fn test_connection(
    profile: &Profile,
    credentials: &Credentials,
    tunnel: &TunnelOptions,
    sink: StepSink<'_>,
    cancel: &CancellationToken,
) -> Report {
    let started = Instant::now();
    let mut session = match open_session(profile, credentials, tunnel, sink, cancel).await {
        Ok(s) => s,
        Err(report) => return report,
    };
    let deadline = tokio::time::Instant::now()
        + Duration::from_secs(profile.connect_timeout_secs.max(1) as u64);
    let mut report = std::mem::take(&mut session.report);
    let mut stage = Stage { sink, report: &mut report };
    let t = stage.start(StepKind::Query);
    let query = session.client.simple_query("select version(), current_user, current_database()");
    let outcome = tokio::select! {
        biased;
        _ = cancel.cancelled() => None,
        r = timeout_at(deadline, query) => Some(r),
    };
    let rows = match outcome {
        None => {
            if let Err(e) = session.cancel_running().await {
                tracing::warn!(%e, "the cancel request did not reach the server");
            }
            stage.finish(StepKind::Query, StepStatus::Cancelled, t, "cancelled");
            let mut f = base_facts(profile);
            f.cancelled = true;
            fail(&mut report, f, started);
            return report;
        }
        Some(Err(_)) => {
            stage.finish(StepKind::Query, StepStatus::Failed, t, "timed out");
            let mut f = base_facts(profile);
            f.stage = Some(StepKind::Query);
            f.timed_out = true;
            fail(&mut report, f, started);
            return report;
        }
        Some(Ok(Err(e))) => {
            let f = facts_from_pg_error(profile, &e, StepKind::Query);
            stage.finish(
                StepKind::Query,
                StepStatus::Failed,
                t,
                f.server_message.clone().unwrap_or_else(|| f.text.clone()),
            );
            fail(&mut report, f, started);
            return report;
        }
        Some(Ok(Ok(rows))) => rows,
    };
    let row = rows.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(r) => Some(r),
        _ => None,
    });
    let Some(row) = row else {
        stage.finish(StepKind::Query, StepStatus::Failed, t, "the query returned no row");
        let mut f = base_facts(profile);
        f.stage = Some(StepKind::Query);
        f.text = "select version() returned no row".into();
        fail(&mut report, f, started);
        return report;
    };
    let get = |i: usize| row.get(i).unwrap_or("").to_string();
    stage.finish(
        StepKind::Query,
        StepStatus::Ok,
        t,
        "select version(), current_user, current_database()",
    );
    let t = stage.start(StepKind::Detect);
    let mut server = stage.report.server.take().unwrap_or_default();
    server.version_string = get(0);
    server.current_user = get(1);
    server.current_database = get(2);
    server.detect();
    let mut detail = server.product_line();
    if let Some(v) = &server.server_version_param {
        detail.push_str(&format!(" (server_version {v})"));
    }
    stage.finish(StepKind::Detect, StepStatus::Ok, t, detail);
    stage.report.server = Some(server);
    report.total_ms = started.elapsed().as_millis() as u64;
    report
}

/// "Test tunnel": only the SSH steps, then a `direct-tcpip` channel to the database host and
/// port (the bastion's TCP connect to it is the reachability check), closed again at once. No
/// TLS, no login. A profile without SSH gets a report saying so.
pub async fn test_tunnel(
    profile: &Profile,
    credentials: &Credentials,
    tunnel: &TunnelOptions,
    sink: StepSink<'_>,
    cancel: &CancellationToken,
) -> Report {
    let started = Instant::now();
    let mut report = new_report(profile);
    report.sslmode = "n/a (tunnel test)".into();
    if !profile.ssh.enabled {
        let mut f = base_facts(profile);
        f.ssh = Some(shiftgate_core::diagnose::SshProblem::ConfigUnusable {
            reason: "SSH is turned off for this profile".into(),
        });
        f.text = "SSH is turned off for this profile".into();
        fail(&mut report, f, started);
        return report;
    }
    let outcome = {
        let mut stage = Stage { sink, report: &mut report };
        let work = async {
            let t = ssh::open_tunnel(profile, credentials, tunnel, &mut stage).await?;
            let ch = t.open_channel(&profile.host, profile.port, &mut stage).await?;
            let _ = ch.close().await;
            Ok::<(), SshFailure>(())
        };
        tokio::select! {
            biased;
            _ = cancel.cancelled() => None,
            r = work => Some(r),
        }
    };
    match outcome {
        None => return cancelled(profile, report, sink, started),
        Some(Err(f)) => fail(&mut report, ssh_facts(profile, f), started),
        Some(Ok(())) => report.total_ms = started.elapsed().as_millis() as u64,
    }
    report
}
