//! The staged connect: resolve → TCP → TLS → authenticate (→ query → detect for a test), every
//! stage timed and reported as it happens, the whole bounded by the profile's timeout and
//! cancellable. With an SSH tunnel the resolve/TCP stages are replaced by the tunnel's steps
//! (see [`super::ssh`]) and each attempt rides a `direct-tcpip` channel; TLS still names the
//! database host. The same code opens the connection for setup, verify and teardown.

use super::credentials::Credentials;
use super::ssh::{self, Tunnel, TunnelOptions};
use super::stage::{
    Phase, Stage, base_facts, cancelled, fail, io_kind, new_report, pipeline, ssh_facts,
};
use super::tls::{self, SharedCertRecord};
use super::wire::{Observed, ObservingTlsConnect, SharedWireLog, WireLog};
use shiftgate_core::diagnose::{FailureFacts, IoKind, TlsProblem};
use shiftgate_core::profile::{Profile, SslMode};
use shiftgate_core::report::{Report, ServerInfo, Step, StepKind, StepStatus};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::time::timeout_at;
use tokio_util::sync::CancellationToken;

pub use super::credentials::Password;
pub use super::stage::StepSink;

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
enum Transport {
    /// TCP to these addresses, in turn.
    Direct(Vec<SocketAddr>),
    /// A fresh `direct-tcpip` channel of the tunnel per attempt.
    Tunnel(Arc<Tunnel>),
}

/// What the phases before the database hand on to it.
#[derive(Default)]
struct Carried {
    transport: Option<Transport>,
    /// The AWS identity, for the IAM credentials phase.
    aws: Option<super::iam::AwsSession>,
    /// The database user and temporary password from IAM (replacing the profile's).
    iam: Option<super::iam::IamLogin>,
}

/// Run the pipeline's phases ([`super::stage::pipeline`]) in order; the first failure ends it
/// with its diagnosis in the report.
async fn staged(
    profile: &Profile,
    credentials: &Credentials,
    tunnel_opts: &TunnelOptions,
    sink: StepSink<'_>,
    report: &mut Report,
    started: Instant,
) -> Option<Session> {
    let mut stage = Stage { sink, report };
    let mut carried = Carried::default();
    let timeout = Duration::from_secs(profile.connect_timeout_secs.max(1) as u64);
    let deadline = || tokio::time::Instant::now() + timeout;
    for phase in pipeline(profile) {
        let outcome = match phase {
            Phase::Path => path_phase(profile, credentials, tunnel_opts, &mut stage)
                .await
                .map(|t| carried.transport = Some(t)),
            Phase::AwsIdentity => super::iam::identity_step(profile, &mut stage, deadline())
                .await
                .map(|s| carried.aws = Some(s)),
            Phase::IamCredentials => match carried.aws.take() {
                Some(aws) => super::iam::credentials_step(profile, aws, &mut stage, deadline())
                    .await
                    .map(|login| carried.iam = Some(login)),
                None => return None,
            },
            Phase::Database => {
                let transport = carried.transport.take()?;
                return database_phase(
                    profile,
                    credentials,
                    carried.iam.take(),
                    transport,
                    &mut stage,
                    started,
                )
                .await;
            }
        };
        if let Err(facts) = outcome {
            fail(stage.report, facts, started);
            return None;
        }
    }
    None
}

/// The path to the database: the SSH tunnel's hops, or DNS resolution.
async fn path_phase(
    profile: &Profile,
    credentials: &Credentials,
    tunnel_opts: &TunnelOptions,
    stage: &mut Stage<'_>,
) -> Result<Transport, FailureFacts> {
    if profile.ssh.enabled {
        return match ssh::open_tunnel(profile, credentials, tunnel_opts, stage).await {
            Ok(t) => Ok(Transport::Tunnel(Arc::new(t))),
            Err(f) => Err(ssh_facts(profile, f)),
        };
    }
    let timeout = Duration::from_secs(profile.connect_timeout_secs.max(1) as u64);
    let deadline = tokio::time::Instant::now() + timeout;
    let t = stage.start(StepKind::Resolve);
    match timeout_at(deadline, resolve(&profile.host, profile.port)).await {
        Ok(Ok(a)) => {
            let list: Vec<String> = a.iter().map(|s| s.ip().to_string()).collect();
            stage.finish(StepKind::Resolve, StepStatus::Ok, t, list.join(", "));
            Ok(Transport::Direct(a))
        }
        Ok(Err(e)) => {
            stage.finish(StepKind::Resolve, StepStatus::Failed, t, e.to_string());
            let mut f = base_facts(profile);
            f.stage = Some(StepKind::Resolve);
            f.io_kind = Some(IoKind::NotFound);
            f.text = e.to_string();
            Err(f)
        }
        Err(_) => {
            stage.finish(StepKind::Resolve, StepStatus::Failed, t, "timed out");
            let mut f = base_facts(profile);
            f.stage = Some(StepKind::Resolve);
            f.timed_out = true;
            Err(f)
        }
    }
}

/// TCP (or a channel), TLS and authentication; with sslmode=allow plain first, TLS only if the
/// server insists (libpq semantics). An IAM login replaces the profile's user and password.
async fn database_phase(
    profile: &Profile,
    credentials: &Credentials,
    iam: Option<super::iam::IamLogin>,
    transport: Transport,
    stage: &mut Stage<'_>,
    started: Instant,
) -> Option<Session> {
    // The database's own timeout starts once the path to it (direct or tunnelled) is there.
    let timeout = Duration::from_secs(profile.connect_timeout_secs.max(1) as u64);
    let deadline = tokio::time::Instant::now() + timeout;
    let iam_profile;
    let (profile, password) = match &iam {
        Some(login) => {
            let mut p = profile.clone();
            p.user = login.db_user.clone();
            iam_profile = p;
            (&iam_profile, Some(&login.password))
        }
        None => (profile, credentials.db_password.as_ref()),
    };
    let attempts: Vec<SslMode> = match profile.sslmode {
        SslMode::Allow => vec![SslMode::Disable, SslMode::Require],
        m => vec![m],
    };
    let last = attempts.len() - 1;
    for (i, mode) in attempts.into_iter().enumerate() {
        match attempt(profile, password, &transport, mode, stage, started, deadline).await {
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
    transport: &Transport,
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
