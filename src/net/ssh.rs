//! The SSH tunnel (russh 0.65): open a chain of hops — jump hosts in order, then the bastion, each
//! next hop reached over a `direct-tcpip` channel of the previous one — check every hop's host
//! key, authenticate, and open `direct-tcpip` channels from the last hop to the database. A channel
//! is handed straight to `tokio_postgres::Config::connect_raw`: no local listening port is opened.
//!
//! Each hop reports its steps live: `SshTcp` (TCP to the first hop, or the channel through the
//! previous hop), `SshBanner` (the server's identification line, read off the wire), `SshHostKey`
//! (type, SHA256 fingerprint, known / accepted / refused), `SshAuth` (method used); the database
//! channel is `SshChannel` (the target name is resolved on the bastion side).
//!
//! Host keys: checked against the user's `~/.ssh/known_hosts` and the app's file (see
//! [`super::known_hosts`]). An unknown key is never accepted silently: [`HostKeyPolicy`] decides
//! (ask the user, accept-new for `--accept-new-host-key`, or refuse). A changed key is refused.
//!
//! Timeouts: every TCP connect, handshake, authentication and channel open is bounded by
//! `SshSettings::connect_timeout_secs` (russh #329: an open can hang until the remote connect
//! fails); the clock stops while the user is being asked about a host key. Keepalives every
//! `keepalive_secs` (0 = off) keep the tunnel up through idle NAT/firewall timeouts.
//!
//! Must not: read secrets from anywhere but [`Credentials`], write the user's OpenSSH files, or
//! offer RSA signatures with SHA-1 (`ssh-rsa`).

use super::connect::Stage;
use super::credentials::{Credentials, SshSecret};
use super::known_hosts::{self, HostKeyStatus, KnownHostsFiles, KnownHostsLine};
use super::ssh_auth::{self, AuthPlan};
use super::ssh_config;
use russh::client::{self, Handle, Msg};
use russh::keys::PublicKeyOrCertificate;
use russh::{Channel, ChannelOpenFailure};
use shiftgate_core::diagnose::{IoKind, SshProblem};
use shiftgate_core::profile::{Profile, SshAuth, SshHop};
use shiftgate_core::report::{StepKind, StepStatus};
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, oneshot};

/// What the user is asked when a hop presents a key no file knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyQuestion {
    /// Hop number in connection order (0 = first), as in the report's SSH steps.
    pub hop: usize,
    pub host: String,
    pub port: u16,
    pub key_type: String,
    pub fingerprint_sha256: String,
    /// Key types recorded for this host that the server did not present, if any.
    pub other_types: Vec<String>,
    /// Known-hosts files that could not be read.
    pub problems: Vec<String>,
}

/// Asks the user; the answer (`true` = trust and remember) arrives on the receiver. A dropped
/// sender counts as "no".
pub type HostKeyAsk = Arc<dyn Fn(HostKeyQuestion) -> oneshot::Receiver<bool> + Send + Sync>;

/// What to do with a host key that is not known yet. A changed key is always refused.
#[derive(Clone)]
pub enum HostKeyPolicy {
    /// Ask (GUI dialog); the tunnel waits for the answer.
    Ask(HostKeyAsk),
    /// Trust and remember unknown keys (CLI `--accept-new-host-key`, like OpenSSH `accept-new`).
    AcceptNew,
    /// Refuse unknown keys.
    Refuse,
}

impl std::fmt::Debug for HostKeyPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HostKeyPolicy::Ask(_) => "Ask",
            HostKeyPolicy::AcceptNew => "AcceptNew",
            HostKeyPolicy::Refuse => "Refuse",
        })
    }
}

/// Where the tunnel finds its files and agent, and how it treats new host keys.
#[derive(Debug, Clone)]
pub struct TunnelOptions {
    pub host_keys: HostKeyPolicy,
    /// The app's known-hosts file (accepted keys are appended here). `None`: accepted keys are
    /// trusted for this run only.
    pub app_known_hosts: Option<PathBuf>,
    /// The user's OpenSSH known-hosts file (read only); `None` = not consulted.
    pub user_known_hosts: Option<PathBuf>,
    /// The SSH config used for `config_alias`; `None` = `~/.ssh/config`.
    pub ssh_config: Option<PathBuf>,
    /// Agent socket; `None` = `$SSH_AUTH_SOCK` (on Windows: the OpenSSH agent pipe).
    pub agent_socket: Option<PathBuf>,
}

impl TunnelOptions {
    /// Standard locations: `<config_dir>/known_hosts`, `~/.ssh/known_hosts`, `~/.ssh/config`,
    /// `$SSH_AUTH_SOCK`.
    pub fn standard(config_dir: Option<&std::path::Path>, host_keys: HostKeyPolicy) -> Self {
        let home_ssh = directories::BaseDirs::new().map(|d| d.home_dir().join(".ssh"));
        TunnelOptions {
            host_keys,
            app_known_hosts: config_dir.map(|d| d.join("known_hosts")),
            user_known_hosts: home_ssh.map(|d| d.join("known_hosts")),
            ssh_config: None,
            agent_socket: None,
        }
    }
}

impl Default for TunnelOptions {
    /// Standard locations in the default config dir; unknown host keys refused.
    fn default() -> Self {
        let dir = crate::store::profiles::default_config_dir().ok();
        TunnelOptions::standard(dir.as_deref(), HostKeyPolicy::Refuse)
    }
}

/// Why the tunnel could not be opened (the step is already reported as failed).
#[derive(Debug, Clone)]
pub struct SshFailure {
    pub stage: StepKind,
    pub problem: Option<SshProblem>,
    /// Library or server text.
    pub text: String,
    pub timeout_secs: u32,
}

/// One planned hop.
#[derive(Debug, Clone)]
struct HopPlan {
    host: String,
    port: u16,
    user: String,
    auth: Vec<AuthPlan>,
    /// Index for [`SshSecret`] (0 = bastion, i = i-th jump host).
    secret_slot: usize,
}

impl HopPlan {
    fn label(&self) -> String {
        if self.host.contains(':') { format!("[{}]:{}", self.host, self.port) } else { format!("{}:{}", self.host, self.port) }
    }
}

fn local_user() -> String {
    ["USER", "LOGNAME", "USERNAME"].iter().find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty())).unwrap_or_default()
}

fn explicit_auth(auth: &SshAuth) -> Vec<AuthPlan> {
    match auth {
        SshAuth::Key { path } => vec![AuthPlan::Key { path: path.clone() }],
        SshAuth::Password => vec![AuthPlan::Password],
        SshAuth::Agent => vec![AuthPlan::Agent { only: None }],
    }
}

fn from_config(hop: &ssh_config::ConfigHop, slot: usize) -> HopPlan {
    let mut auth = vec![AuthPlan::Agent { only: hop.identities_only.then(|| hop.identity_files.clone()) }];
    auth.extend(hop.identity_files.iter().map(|p| AuthPlan::Key { path: p.clone() }));
    HopPlan { host: hop.host.clone(), port: hop.port, user: hop.user.clone().unwrap_or_else(local_user), auth, secret_slot: slot }
}

fn from_profile(hop: &SshHop, slot: usize) -> HopPlan {
    let user = if hop.user.trim().is_empty() { local_user() } else { hop.user.trim().to_string() };
    HopPlan { host: hop.host.trim().to_string(), port: hop.port, user, auth: explicit_auth(&hop.auth), secret_slot: slot }
}

/// The hops in connection order (jump hosts, then the bastion), plus notes for the report.
fn plan(profile: &Profile, opts: &TunnelOptions) -> Result<(Vec<HopPlan>, Vec<String>), String> {
    let s = &profile.ssh;
    let alias = s.config_alias.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let Some(alias) = alias else {
        let mut hops: Vec<HopPlan> = s.jump_hosts.iter().enumerate().map(|(i, h)| from_profile(h, i + 1)).collect();
        hops.push(from_profile(&s.bastion, 0));
        return Ok((hops, Vec::new()));
    };
    let path = opts.ssh_config.clone().or_else(ssh_config::default_config_path).ok_or("no home directory, so no ~/.ssh/config")?;
    let resolved = ssh_config::resolve(&path, alias)?;
    // Fields set in the profile win over the config (the profile's defaults count as "not set").
    let mut bastion = from_config(&resolved.target, 0);
    let b = &s.bastion;
    if !b.host.trim().is_empty() {
        bastion.host = b.host.trim().to_string();
    }
    if b.port != 22 {
        bastion.port = b.port;
    }
    if !b.user.trim().is_empty() {
        bastion.user = b.user.trim().to_string();
    }
    if b.auth != SshAuth::Agent {
        bastion.auth = explicit_auth(&b.auth);
    }
    let mut hops: Vec<HopPlan> = if s.jump_hosts.is_empty() {
        resolved.jumps.iter().enumerate().map(|(i, h)| from_config(h, i + 1)).collect()
    } else {
        s.jump_hosts.iter().enumerate().map(|(i, h)| from_profile(h, i + 1)).collect()
    };
    hops.push(bastion);
    let mut notes = resolved.notes;
    notes.insert(0, format!("hops from SSH config alias \"{alias}\" in {}", path.display()));
    Ok((hops, notes))
}

/// An open tunnel: every hop's connection, kept alive as long as the database session.
pub struct Tunnel {
    hops: Vec<OpenHop>,
    timeout: Duration,
}

struct OpenHop {
    handle: Handle<HopHandler>,
    label: String,
    shared: Arc<Mutex<HopShared>>,
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        // Last hop first: each inner connection rides on the previous hop's channel.
        while let Some(hop) = self.hops.pop() {
            drop(hop.handle);
        }
    }
}

impl std::fmt::Debug for Tunnel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tunnel").field("hops", &self.hops.iter().map(|h| h.label.as_str()).collect::<Vec<_>>()).finish()
    }
}

/// The channel to the database, ready for `connect_raw`.
pub type TunnelStream = russh::ChannelStream<Msg>;

impl Tunnel {
    /// Open a `direct-tcpip` channel from the last hop to `host:port`, reported as `SshChannel`.
    pub(crate) async fn open_channel(&self, host: &str, port: u16, stage: &mut Stage<'_>) -> Result<Channel<Msg>, SshFailure> {
        let last = self.hops.len().saturating_sub(1);
        let target = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
        let kind = StepKind::SshChannel { hop: last, target: target.clone() };
        let t = stage.start(kind.clone());
        let Some(hop) = self.hops.last() else {
            return Err(SshFailure { stage: kind, problem: None, text: "the tunnel has no hops".into(), timeout_secs: 0 });
        };
        match open_direct(hop, host, port, self.timeout).await {
            Ok(ch) => {
                stage.finish(kind, StepStatus::Ok, t, format!("direct-tcpip from {} to {target}", hop.label));
                Ok(ch)
            }
            Err(e) => {
                let problem = e.problem(&hop.label, &target, None);
                stage.finish(kind.clone(), StepStatus::Failed, t, e.to_string());
                Err(SshFailure { stage: kind, problem: Some(problem), text: e.to_string(), timeout_secs: self.timeout.as_secs() as u32 })
            }
        }
    }
}

/// Why a `direct-tcpip` open failed.
#[derive(Debug)]
enum ChannelError {
    Refused { reason: ChannelOpenFailure, description: Option<String> },
    TimedOut(Duration),
    Other(String),
}

impl std::fmt::Display for ChannelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChannelError::Refused { reason, description } => {
                let what = match reason {
                    ChannelOpenFailure::AdministrativelyProhibited => "administratively prohibited".to_string(),
                    ChannelOpenFailure::ConnectFailed => "connect failed".to_string(),
                    ChannelOpenFailure::UnknownChannelType => "unknown channel type".to_string(),
                    ChannelOpenFailure::ResourceShortage => "resource shortage".to_string(),
                    ChannelOpenFailure::Other { code, reason } => format!("code {code}: {reason}"),
                };
                match description.as_deref().filter(|d| !d.is_empty()) {
                    Some(d) => write!(f, "channel open failed: {what}: {d}"),
                    None => write!(f, "channel open failed: {what}"),
                }
            }
            ChannelError::TimedOut(d) => write!(f, "no answer to the channel open within {} s", d.as_secs()),
            ChannelError::Other(t) => f.write_str(t),
        }
    }
}

impl ChannelError {
    /// `through`: set when the target is the next hop (then an unreachable target is that hop's problem).
    fn problem(&self, hop_label: &str, target: &str, through: Option<(&str, u16)>) -> SshProblem {
        match (self, through) {
            (ChannelError::Refused { reason: ChannelOpenFailure::AdministrativelyProhibited, .. }, _) => {
                SshProblem::ForwardingRefused { hop_host: hop_label.into(), target: target.into() }
            }
            (ChannelError::TimedOut(_), Some((host, port))) => {
                SshProblem::HopUnreachable { hop_host: host.into(), hop_port: port, io: None, timed_out: true, through: Some(hop_label.into()) }
            }
            (ChannelError::Refused { description, .. }, Some((host, port))) => {
                let io = description.as_deref().map(|d| d.to_ascii_lowercase()).map(|d| {
                    if d.contains("refused") {
                        IoKind::Refused
                    } else if d.contains("name") || d.contains("resolve") {
                        IoKind::NotFound
                    } else if d.contains("unreachable") || d.contains("no route") {
                        IoKind::Unreachable
                    } else {
                        IoKind::Other
                    }
                });
                SshProblem::HopUnreachable { hop_host: host.into(), hop_port: port, io, timed_out: false, through: Some(hop_label.into()) }
            }
            (_, _) => SshProblem::TargetUnreachable { hop_host: hop_label.into(), target: target.into(), reason: self.to_string() },
        }
    }
}

async fn open_direct(hop: &OpenHop, host: &str, port: u16, timeout: Duration) -> Result<Channel<Msg>, ChannelError> {
    if let Ok(mut s) = hop.shared.lock() {
        s.channel_failure = None;
    }
    match tokio::time::timeout(timeout, hop.handle.channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0)).await {
        Ok(Ok(ch)) => Ok(ch),
        Ok(Err(russh::Error::ChannelOpenFailure(reason))) => {
            let description = hop.shared.lock().ok().and_then(|s| s.channel_failure.clone());
            Err(ChannelError::Refused { reason, description })
        }
        Ok(Err(e)) => {
            let disconnect = hop.shared.lock().ok().and_then(|s| s.disconnect.clone());
            Err(ChannelError::Other(match disconnect {
                Some(d) => format!("{e} (server: {d})"),
                None => e.to_string(),
            }))
        }
        Err(_) => Err(ChannelError::TimedOut(timeout)),
    }
}

/// State a hop's handler shares with the tunnel after the handshake.
#[derive(Debug, Default)]
struct HopShared {
    /// Description of the last channel-open failure (e.g. sshd's "Connection refused").
    channel_failure: Option<String>,
    /// Text of a server DISCONNECT message.
    disconnect: Option<String>,
}

/// What the handshake tells the driver while it runs.
#[derive(Debug)]
enum HopSignal {
    Banner(String),
    PromptOpen,
    PromptClosed,
    HostKey(HostKeyVerdict),
}

#[derive(Debug, Clone)]
struct HostKeyVerdict {
    key_type: String,
    fingerprint: String,
    outcome: HostKeyOutcome,
}

#[derive(Debug, Clone)]
enum HostKeyOutcome {
    Known(KnownHostsLine),
    Accepted { remembered: Result<PathBuf, String> },
    RefusedUnknown,
    Changed { recorded: KnownHostsLine, recorded_fingerprint: String },
    Certificate,
}

struct HopHandler {
    hop: usize,
    host: String,
    port: u16,
    files: KnownHostsFiles,
    remember: bool,
    policy: HostKeyPolicy,
    signals: mpsc::UnboundedSender<HopSignal>,
    shared: Arc<Mutex<HopShared>>,
}

impl HopHandler {
    async fn decide(&mut self, key: &russh::keys::PublicKey) -> HostKeyOutcome {
        match self.files.check(&self.host, self.port, key) {
            HostKeyStatus::Known(at) => HostKeyOutcome::Known(at),
            HostKeyStatus::Changed { recorded, recorded_fingerprint } => HostKeyOutcome::Changed { recorded, recorded_fingerprint },
            HostKeyStatus::Unknown { other_types, problems } => {
                let accepted = match &self.policy {
                    HostKeyPolicy::Refuse => false,
                    HostKeyPolicy::AcceptNew => true,
                    HostKeyPolicy::Ask(ask) => {
                        let question = HostKeyQuestion {
                            hop: self.hop,
                            host: self.host.clone(),
                            port: self.port,
                            key_type: known_hosts::key_type(key),
                            fingerprint_sha256: known_hosts::fingerprint(key),
                            other_types,
                            problems,
                        };
                        let answer = ask(question);
                        let _ = self.signals.send(HopSignal::PromptOpen);
                        let yes = answer.await.unwrap_or(false);
                        let _ = self.signals.send(HopSignal::PromptClosed);
                        yes
                    }
                };
                if !accepted {
                    return HostKeyOutcome::RefusedUnknown;
                }
                let remembered = if self.remember {
                    self.files.learn(&self.host, self.port, key).map(|_| self.files.app.clone())
                } else {
                    Err("no app known-hosts file configured; trusted for this run only".into())
                };
                HostKeyOutcome::Accepted { remembered }
            }
        }
    }
}

impl client::Handler for HopHandler {
    type Error = russh::Error;

    async fn check_server_key(&mut self, server_key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let verdict = match server_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => {
                let outcome = self.decide(key).await;
                HostKeyVerdict { key_type: known_hosts::key_type(key), fingerprint: known_hosts::fingerprint(key), outcome }
            }
            PublicKeyOrCertificate::Certificate(cert) => HostKeyVerdict {
                key_type: cert.algorithm().as_str().to_string(),
                fingerprint: cert.public_key().fingerprint(russh::keys::HashAlg::Sha256).to_string(),
                outcome: HostKeyOutcome::Certificate,
            },
        };
        let ok = matches!(verdict.outcome, HostKeyOutcome::Known(_) | HostKeyOutcome::Accepted { .. });
        let _ = self.signals.send(HopSignal::HostKey(verdict));
        Ok(ok)
    }

    async fn channel_open_failure(
        &mut self,
        _channel: russh::ChannelId,
        _reason: ChannelOpenFailure,
        description: &str,
        _language: &str,
        _session: &mut client::Session,
    ) -> Result<(), Self::Error> {
        if let Ok(mut s) = self.shared.lock() {
            s.channel_failure = Some(description.to_string());
        }
        Ok(())
    }

    async fn disconnected(&mut self, reason: client::DisconnectReason<Self::Error>) -> Result<(), Self::Error> {
        match reason {
            client::DisconnectReason::ReceivedDisconnect(info) => {
                if let Ok(mut s) = self.shared.lock() {
                    s.disconnect = Some(info.message);
                }
                Ok(())
            }
            client::DisconnectReason::Error(e) => Err(e),
        }
    }
}

/// Transport wrapper that reads (never alters) the server's identification line.
struct BannerSniffer<S> {
    inner: S,
    buf: Vec<u8>,
    done: bool,
    signals: mpsc::UnboundedSender<HopSignal>,
}

impl<S> BannerSniffer<S> {
    fn observe(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        while let Some(end) = self.buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line).trim_end().to_string();
            if text.starts_with("SSH-") {
                let _ = self.signals.send(HopSignal::Banner(text));
                self.done = true;
                self.buf = Vec::new();
                return;
            }
        }
        if self.buf.len() > 8192 {
            self.done = true;
            self.buf = Vec::new();
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for BannerSniffer<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &res {
            if !self.done && buf.filled().len() > before {
                let new = buf.filled()[before..].to_vec();
                self.observe(&new);
            }
        }
        res
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for BannerSniffer<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn io_kind(e: &io::Error) -> IoKind {
    use io::ErrorKind as K;
    match e.kind() {
        K::NotFound => IoKind::NotFound,
        K::ConnectionRefused => IoKind::Refused,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => IoKind::Reset,
        K::TimedOut => IoKind::TimedOut,
        K::HostUnreachable | K::NetworkUnreachable | K::AddrNotAvailable => IoKind::Unreachable,
        _ => IoKind::Other,
    }
}

/// TCP to the first hop: every resolved address in turn, within `timeout`.
async fn tcp_to(host: &str, port: u16, timeout: Duration) -> Result<(tokio::net::TcpStream, std::net::SocketAddr), (Option<IoKind>, bool, String)> {
    let work = async {
        let addrs: Vec<std::net::SocketAddr> = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => vec![std::net::SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| (Some(IoKind::NotFound), false, format!("could not resolve {host}: {e}")))?
                .collect(),
        };
        let mut last = (Some(IoKind::NotFound), false, format!("no addresses for {host}"));
        for addr in addrs {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(s) => return Ok((s, addr)),
                Err(e) => last = (Some(io_kind(&e)), false, format!("{addr}: {e}")),
            }
        }
        Err(last)
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err((Some(IoKind::TimedOut), true, format!("no answer within {} s", timeout.as_secs()))),
    }
}

type HopStream = Box<dyn ssh_auth::Duplex>;

/// Open every hop of the profile's tunnel, reporting each step. The returned tunnel opens
/// channels to the database with [`Tunnel::open_channel`].
pub(crate) async fn open_tunnel(profile: &Profile, credentials: &Credentials, opts: &TunnelOptions, stage: &mut Stage<'_>) -> Result<Tunnel, SshFailure> {
    let secs = profile.ssh.connect_timeout_secs.clamp(1, 600);
    let timeout = Duration::from_secs(u64::from(secs));
    let fail = |stage: StepKind, problem: Option<SshProblem>, text: String| SshFailure { stage, problem, text, timeout_secs: secs };
    let (hops, notes) = match plan(profile, opts) {
        Ok(p) => p,
        Err(reason) => {
            let kind = StepKind::SshTcp { hop: 0, host: profile.ssh.config_alias.clone().unwrap_or_default() };
            let t = stage.start(kind.clone());
            stage.finish(kind.clone(), StepStatus::Failed, t, reason.clone());
            return Err(fail(kind, Some(SshProblem::ConfigUnusable { reason: reason.clone() }), reason));
        }
    };
    let config = Arc::new(client::Config {
        keepalive_interval: (profile.ssh.keepalive_secs > 0).then(|| Duration::from_secs(u64::from(profile.ssh.keepalive_secs))),
        keepalive_max: 3,
        nodelay: true,
        ..Default::default()
    });
    let files = KnownHostsFiles {
        user: opts.user_known_hosts.clone(),
        app: opts.app_known_hosts.clone().unwrap_or_else(|| PathBuf::from("/nonexistent/shiftgate-known_hosts")),
    };
    let mut open: Vec<OpenHop> = Vec::new();
    for (i, hop) in hops.iter().enumerate() {
        let label = hop.label();
        // Transport: TCP to the first hop, a channel through the previous one for the others.
        let tcp_kind = StepKind::SshTcp { hop: i, host: label.clone() };
        let t = stage.start(tcp_kind.clone());
        let stream: HopStream = match open.last() {
            None => match tcp_to(&hop.host, hop.port, timeout).await {
                Ok((s, addr)) => {
                    let _ = s.set_nodelay(true);
                    let mut detail = format!("connected to {addr}");
                    if !notes.is_empty() {
                        detail.push_str(&format!(" ({})", notes.join("; ")));
                    }
                    stage.finish(tcp_kind.clone(), StepStatus::Ok, t, detail);
                    Box::new(s)
                }
                Err((io, timed_out, text)) => {
                    stage.finish(tcp_kind.clone(), StepStatus::Failed, t, text.clone());
                    let problem = SshProblem::HopUnreachable { hop_host: hop.host.clone(), hop_port: hop.port, io, timed_out, through: None };
                    return Err(fail(tcp_kind, Some(problem), text));
                }
            },
            Some(prev) => match open_direct(prev, &hop.host, hop.port, timeout).await {
                Ok(ch) => {
                    stage.finish(tcp_kind.clone(), StepStatus::Ok, t, format!("through hop {} ({}): direct-tcpip to {label}", i, prev.label));
                    Box::new(ch.into_stream())
                }
                Err(e) => {
                    let problem = e.problem(&prev.label, &label, Some((&hop.host, hop.port)));
                    stage.finish(tcp_kind.clone(), StepStatus::Failed, t, format!("through {}: {e}", prev.label));
                    return Err(fail(tcp_kind, Some(problem), e.to_string()));
                }
            },
        };
        let (handle, shared) = handshake(i, hop, stream, &files, opts, config.clone(), timeout, stage).await.map_err(|(k, p, text)| fail(k, p, text))?;
        let mut handle = handle;
        let auth_kind = StepKind::SshAuth { hop: i };
        let t = stage.start(auth_kind.clone());
        let secrets = ssh_auth::HopSecrets {
            passphrase: credentials.ssh_secret(SshSecret::KeyPassphrase { hop: hop.secret_slot }).cloned(),
            password: credentials.ssh_secret(SshSecret::Password { hop: hop.secret_slot }).cloned(),
        };
        let agent = opts.agent_socket.clone();
        match tokio::time::timeout(timeout, ssh_auth::authenticate(&mut handle, &hop.user, &hop.auth, &secrets, agent.as_deref())).await {
            Ok(Ok(method)) => stage.finish(auth_kind, StepStatus::Ok, t, format!("as {} using {method}", hop.user)),
            Ok(Err(mut failure)) => {
                if let SshProblem::AuthRejected { hop_host, .. } = &mut failure.problem {
                    *hop_host = label.clone();
                }
                stage.finish(auth_kind.clone(), StepStatus::Failed, t, failure.text.clone());
                return Err(fail(auth_kind, Some(failure.problem), failure.text));
            }
            Err(_) => {
                let text = format!("no answer within {secs} s during authentication");
                stage.finish(auth_kind.clone(), StepStatus::Failed, t, text.clone());
                let problem = SshProblem::HopUnreachable { hop_host: hop.host.clone(), hop_port: hop.port, io: None, timed_out: true, through: None };
                return Err(fail(auth_kind, Some(problem), text));
            }
        }
        open.push(OpenHop { handle, label, shared });
    }
    Ok(Tunnel { hops: open, timeout })
}

type HandshakeError = (StepKind, Option<SshProblem>, String);

/// Banner, key exchange and host-key check of one hop over `stream`.
#[allow(clippy::too_many_arguments)]
async fn handshake(
    i: usize,
    hop: &HopPlan,
    stream: HopStream,
    files: &KnownHostsFiles,
    opts: &TunnelOptions,
    config: Arc<client::Config>,
    timeout: Duration,
    stage: &mut Stage<'_>,
) -> Result<(Handle<HopHandler>, Arc<Mutex<HopShared>>), HandshakeError> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Mutex::new(HopShared::default()));
    let handler = HopHandler {
        hop: i,
        host: hop.host.clone(),
        port: hop.port,
        files: files.clone(),
        remember: opts.app_known_hosts.is_some(),
        policy: opts.host_keys.clone(),
        signals: tx.clone(),
        shared: shared.clone(),
    };
    let sniffer = BannerSniffer { inner: stream, buf: Vec::new(), done: false, signals: tx };
    let banner_kind = StepKind::SshBanner { hop: i };
    let key_kind = StepKind::SshHostKey { hop: i };
    let mut t_banner = Some(stage.start(banner_kind.clone()));
    let mut t_key: Option<Instant> = None;
    let mut verdict: Option<HostKeyVerdict> = None;
    let connect = client::connect_stream(config, sniffer, handler);
    tokio::pin!(connect);
    let mut deadline = tokio::time::Instant::now() + timeout;
    let mut prompting = false;
    let result = loop {
        let sleep = tokio::time::sleep_until(deadline);
        tokio::select! {
            r = &mut connect => break Some(r),
            Some(signal) = rx.recv() => match signal {
                HopSignal::Banner(text) => {
                    if let Some(t) = t_banner.take() {
                        stage.finish(banner_kind.clone(), StepStatus::Ok, t, text);
                    }
                    t_key = Some(stage.start(key_kind.clone()));
                }
                HopSignal::PromptOpen => prompting = true,
                HopSignal::PromptClosed => {
                    prompting = false;
                    deadline = tokio::time::Instant::now() + timeout;
                }
                HopSignal::HostKey(v) => verdict = Some(v),
            },
            _ = sleep, if !prompting => break None,
        }
    };
    while let Ok(signal) = rx.try_recv() {
        match signal {
            HopSignal::Banner(text) => {
                if let Some(t) = t_banner.take() {
                    stage.finish(banner_kind.clone(), StepStatus::Ok, t, text);
                }
            }
            HopSignal::HostKey(v) => verdict = Some(v),
            HopSignal::PromptOpen | HopSignal::PromptClosed => {}
        }
    }
    let server_said = shared.lock().ok().and_then(|s| s.disconnect.clone());
    let error_text = |e: &russh::Error| match &server_said {
        Some(d) => format!("{e} (server: {d})"),
        None => e.to_string(),
    };
    // The banner never came: the failure belongs to the banner step.
    if let Some(t) = t_banner.take() {
        let text = match &result {
            None => format!("no SSH identification from {} within {} s", hop.label(), timeout.as_secs()),
            Some(Err(e)) => format!("no SSH identification: {}", error_text(e)),
            Some(Ok(_)) => "identification not seen".into(),
        };
        if result.as_ref().is_some_and(|r| r.is_ok()) {
            stage.finish(banner_kind.clone(), StepStatus::Warning, t, text);
        } else {
            stage.finish(banner_kind.clone(), StepStatus::Failed, t, text.clone());
            let problem = SshProblem::HopUnreachable {
                hop_host: hop.host.clone(),
                hop_port: hop.port,
                io: if result.is_none() { Some(IoKind::TimedOut) } else { Some(IoKind::Other) },
                timed_out: result.is_none(),
                through: None,
            };
            return Err((banner_kind, Some(problem), text));
        }
    }
    let t_key = t_key.unwrap_or_else(|| stage.start(key_kind.clone()));
    let label = hop.label();
    let describe = |v: &HostKeyVerdict| format!("{} {}", v.key_type, v.fingerprint);
    match (&result, &verdict) {
        (Some(Ok(_)), Some(v)) => {
            let detail = match &v.outcome {
                HostKeyOutcome::Known(at) => format!("{}: known ({at})", describe(v)),
                HostKeyOutcome::Accepted { remembered: Ok(path) } => format!("{}: new, accepted and remembered in {}", describe(v), path.display()),
                HostKeyOutcome::Accepted { remembered: Err(e) } => format!("{}: new, accepted for this run ({e})", describe(v)),
                other => format!("{}: {other:?}", describe(v)),
            };
            let status = if matches!(v.outcome, HostKeyOutcome::Accepted { remembered: Err(_) }) { StepStatus::Warning } else { StepStatus::Ok };
            stage.finish(key_kind, status, t_key, detail);
            match result {
                Some(Ok(handle)) => Ok((handle, shared)),
                _ => Err((StepKind::SshHostKey { hop: i }, None, "internal: handshake result lost".into())),
            }
        }
        (_, Some(v)) if !matches!(v.outcome, HostKeyOutcome::Known(_) | HostKeyOutcome::Accepted { .. }) => {
            let (detail, problem) = match &v.outcome {
                HostKeyOutcome::Changed { recorded, recorded_fingerprint } => (
                    format!("{}: CHANGED — {recorded} holds {recorded_fingerprint}; refused", describe(v)),
                    SshProblem::HostKeyChanged {
                        hop_host: hop.host.clone(),
                        hop_port: hop.port,
                        key_type: v.key_type.clone(),
                        fingerprint: v.fingerprint.clone(),
                        recorded_at: recorded.to_string(),
                        recorded_fingerprint: recorded_fingerprint.clone(),
                    },
                ),
                HostKeyOutcome::Certificate => (
                    format!("{}: the server presented a host certificate, which is not supported", describe(v)),
                    SshProblem::HostKeyUnknown { hop_host: hop.host.clone(), hop_port: hop.port, key_type: v.key_type.clone(), fingerprint: v.fingerprint.clone() },
                ),
                _ => (
                    format!("{}: not known, not confirmed; refused", describe(v)),
                    SshProblem::HostKeyUnknown { hop_host: hop.host.clone(), hop_port: hop.port, key_type: v.key_type.clone(), fingerprint: v.fingerprint.clone() },
                ),
            };
            stage.finish(key_kind.clone(), StepStatus::Failed, t_key, detail.clone());
            Err((key_kind, Some(problem), detail))
        }
        (None, _) => {
            let text = format!("key exchange with {label} did not finish within {} s", timeout.as_secs());
            stage.finish(key_kind.clone(), StepStatus::Failed, t_key, text.clone());
            let problem = SshProblem::HopUnreachable { hop_host: hop.host.clone(), hop_port: hop.port, io: None, timed_out: true, through: None };
            Err((key_kind, Some(problem), text))
        }
        (Some(Err(e)), _) => {
            let text = format!("key exchange with {label} failed: {}", error_text(e));
            stage.finish(key_kind.clone(), StepStatus::Failed, t_key, text.clone());
            let problem = SshProblem::HopUnreachable { hop_host: hop.host.clone(), hop_port: hop.port, io: Some(IoKind::Reset), timed_out: false, through: None };
            Err((key_kind, Some(problem), text))
        }
        (Some(Ok(_)), None) => {
            let text = "internal: the host key was accepted without a check".to_string();
            stage.finish(key_kind.clone(), StepStatus::Failed, t_key, text.clone());
            Err((key_kind, None, text))
        }
    }
}
