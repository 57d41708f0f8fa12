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

use super::credentials::{Credentials, SecretKind};
use super::known_hosts::KnownHostsFiles;
use super::ssh_auth::{self, AuthPlan};
use super::ssh_config;
use super::ssh_hop::{HopContext, OpenHop, handshake};
use super::stage::{Stage, io_kind};
use russh::client::{self, Msg};
use russh::{Channel, ChannelOpenFailure};
use shiftgate_core::diagnose::{IoKind, SshProblem};
use shiftgate_core::profile::{Profile, SshAuth, SshHop};
use shiftgate_core::report::{StepKind, StepStatus};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use super::ssh_hop::{HostKeyAsk, HostKeyPolicy, HostKeyQuestion};

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
pub(super) struct HopPlan {
    pub(super) host: String,
    pub(super) port: u16,
    user: String,
    auth: Vec<AuthPlan>,
    /// Index for [`SecretKind`] (0 = bastion, i = i-th jump host).
    secret_slot: usize,
}

impl HopPlan {
    /// `host:port` (`[v6]:port`) as shown in the report.
    pub(super) fn label(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn local_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .unwrap_or_default()
}

fn explicit_auth(auth: &SshAuth) -> Vec<AuthPlan> {
    match auth {
        SshAuth::Key { path } => vec![AuthPlan::Key { path: path.clone() }],
        SshAuth::Password => vec![AuthPlan::Password],
        SshAuth::Agent => vec![AuthPlan::Agent { only: None }],
    }
}

fn from_config(hop: &ssh_config::ConfigHop, slot: usize) -> HopPlan {
    let mut auth =
        vec![AuthPlan::Agent { only: hop.identities_only.then(|| hop.identity_files.clone()) }];
    auth.extend(hop.identity_files.iter().map(|p| AuthPlan::Key { path: p.clone() }));
    HopPlan {
        host: hop.host.clone(),
        port: hop.port,
        user: hop.user.clone().unwrap_or_else(local_user),
        auth,
        secret_slot: slot,
    }
}

fn from_profile(hop: &SshHop, slot: usize) -> HopPlan {
    let user = if hop.user.trim().is_empty() { local_user() } else { hop.user.trim().to_string() };
    HopPlan {
        host: hop.host.trim().to_string(),
        port: hop.port,
        user,
        auth: explicit_auth(&hop.auth),
        secret_slot: slot,
    }
}

/// The hops in connection order (jump hosts, then the bastion), plus notes for the report.
fn plan(profile: &Profile, opts: &TunnelOptions) -> Result<(Vec<HopPlan>, Vec<String>), String> {
    let s = &profile.ssh;
    let alias = s.config_alias.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let Some(alias) = alias else {
        let mut hops: Vec<HopPlan> =
            s.jump_hosts.iter().enumerate().map(|(i, h)| from_profile(h, i + 1)).collect();
        hops.push(from_profile(&s.bastion, 0));
        return Ok((hops, Vec::new()));
    };
    let path = opts
        .ssh_config
        .clone()
        .or_else(ssh_config::default_config_path)
        .ok_or("no home directory, so no ~/.ssh/config")?;
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
        f.debug_struct("Tunnel")
            .field("hops", &self.hops.iter().map(|h| h.label.as_str()).collect::<Vec<_>>())
            .finish()
    }
}

/// The channel to the database, ready for `connect_raw`.
pub type TunnelStream = russh::ChannelStream<Msg>;

impl Tunnel {
    /// Open a `direct-tcpip` channel from the last hop to `host:port`, reported as `SshChannel`.
    pub(crate) async fn open_channel(
        &self,
        host: &str,
        port: u16,
        stage: &mut Stage<'_>,
    ) -> Result<Channel<Msg>, SshFailure> {
        let last = self.hops.len().saturating_sub(1);
        let target =
            if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
        let kind = StepKind::SshChannel { hop: last, target: target.clone() };
        let t = stage.start(kind.clone());
        let Some(hop) = self.hops.last() else {
            return Err(SshFailure {
                stage: kind,
                problem: None,
                text: "the tunnel has no hops".into(),
                timeout_secs: 0,
            });
        };
        match open_direct(hop, host, port, self.timeout).await {
            Ok(ch) => {
                stage.finish(
                    kind,
                    StepStatus::Ok,
                    t,
                    format!("direct-tcpip from {} to {target}", hop.label),
                );
                Ok(ch)
            }
            Err(e) => {
                let problem = e.problem(&hop.label, &target, None);
                stage.finish(kind.clone(), StepStatus::Failed, t, e.to_string());
                Err(SshFailure {
                    stage: kind,
                    problem: Some(problem),
                    text: e.to_string(),
                    timeout_secs: self.timeout.as_secs() as u32,
                })
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
                    ChannelOpenFailure::AdministrativelyProhibited => {
                        "administratively prohibited".to_string()
                    }
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
            ChannelError::TimedOut(d) => {
                write!(f, "no answer to the channel open within {} s", d.as_secs())
            }
            ChannelError::Other(t) => f.write_str(t),
        }
    }
}

impl ChannelError {
    /// `through`: set when the target is the next hop (then an unreachable target is that hop's problem).
    fn problem(&self, hop_label: &str, target: &str, through: Option<(&str, u16)>) -> SshProblem {
        match (self, through) {
            (
                ChannelError::Refused {
                    reason: ChannelOpenFailure::AdministrativelyProhibited,
                    ..
                },
                _,
            ) => {
                SshProblem::ForwardingRefused { hop_host: hop_label.into(), target: target.into() }
            }
            (ChannelError::TimedOut(_), Some((host, port))) => SshProblem::HopUnreachable {
                hop_host: host.into(),
                hop_port: port,
                io: None,
                timed_out: true,
                through: Some(hop_label.into()),
            },
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
                SshProblem::HopUnreachable {
                    hop_host: host.into(),
                    hop_port: port,
                    io,
                    timed_out: false,
                    through: Some(hop_label.into()),
                }
            }
            (_, _) => SshProblem::TargetUnreachable {
                hop_host: hop_label.into(),
                target: target.into(),
                reason: self.to_string(),
            },
        }
    }
}

async fn open_direct(
    hop: &OpenHop,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<Channel<Msg>, ChannelError> {
    let mut failures = hop.failures.lock().await;
    while failures.try_recv().is_ok() {}
    match tokio::time::timeout(
        timeout,
        hop.handle.channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0),
    )
    .await
    {
        Ok(Ok(ch)) => Ok(ch),
        Ok(Err(russh::Error::ChannelOpenFailure(reason))) => {
            // russh hands the failure to the channel before the handler sees its description.
            let description = tokio::time::timeout(Duration::from_millis(500), failures.recv())
                .await
                .ok()
                .flatten();
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

/// TCP to the first hop: every resolved address in turn, within `timeout`.
async fn tcp_to(
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<(tokio::net::TcpStream, std::net::SocketAddr), (Option<IoKind>, bool, String)> {
    let work = async {
        let addrs: Vec<std::net::SocketAddr> = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => vec![std::net::SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| {
                    (Some(IoKind::NotFound), false, format!("could not resolve {host}: {e}"))
                })?
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
        Err(_) => {
            Err((Some(IoKind::TimedOut), true, format!("no answer within {} s", timeout.as_secs())))
        }
    }
}

/// Open every hop of the profile's tunnel, reporting each step. The returned tunnel opens
/// channels to the database with [`Tunnel::open_channel`].
pub(crate) async fn open_tunnel(
    profile: &Profile,
    credentials: &Credentials,
    opts: &TunnelOptions,
    stage: &mut Stage<'_>,
) -> Result<Tunnel, SshFailure> {
    let secs = profile.ssh.connect_timeout_secs.clamp(1, 600);
    let timeout = Duration::from_secs(u64::from(secs));
    let fail = |stage: StepKind, problem: Option<SshProblem>, text: String| SshFailure {
        stage,
        problem,
        text,
        timeout_secs: secs,
    };
    let (hops, notes) = match plan(profile, opts) {
        Ok(p) => p,
        Err(reason) => {
            let kind = StepKind::SshTcp {
                hop: 0,
                host: profile.ssh.config_alias.clone().unwrap_or_default(),
            };
            let t = stage.start(kind.clone());
            stage.finish(kind.clone(), StepStatus::Failed, t, reason.clone());
            return Err(fail(
                kind,
                Some(SshProblem::ConfigUnusable { reason: reason.clone() }),
                reason,
            ));
        }
    };
    let config = Arc::new(client::Config {
        keepalive_interval: (profile.ssh.keepalive_secs > 0)
            .then(|| Duration::from_secs(u64::from(profile.ssh.keepalive_secs))),
        keepalive_max: 3,
        nodelay: true,
        ..Default::default()
    });
    let ctx = HopContext {
        files: KnownHostsFiles {
            user: opts.user_known_hosts.clone(),
            // Without an app file nothing is remembered; the placeholder is only ever read (and missing).
            app: opts
                .app_known_hosts
                .clone()
                .unwrap_or_else(|| PathBuf::from("/nonexistent/shiftgate-known_hosts")),
        },
        remember: opts.app_known_hosts.is_some(),
        policy: opts.host_keys.clone(),
        config,
        timeout,
    };
    let mut open: Vec<OpenHop> = Vec::new();
    for (i, hop) in hops.iter().enumerate() {
        let label = hop.label();
        // Transport: TCP to the first hop, a channel through the previous one for the others.
        let tcp_kind = StepKind::SshTcp { hop: i, host: label.clone() };
        let t = stage.start(tcp_kind.clone());
        let stream: Box<dyn ssh_auth::Duplex> = match open.last() {
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
                    let problem = SshProblem::HopUnreachable {
                        hop_host: hop.host.clone(),
                        hop_port: hop.port,
                        io,
                        timed_out,
                        through: None,
                    };
                    return Err(fail(tcp_kind, Some(problem), text));
                }
            },
            Some(prev) => match open_direct(prev, &hop.host, hop.port, timeout).await {
                Ok(ch) => {
                    stage.finish(
                        tcp_kind.clone(),
                        StepStatus::Ok,
                        t,
                        format!("through hop {} ({}): direct-tcpip to {label}", i, prev.label),
                    );
                    Box::new(ch.into_stream())
                }
                Err(e) => {
                    let problem = e.problem(&prev.label, &label, Some((&hop.host, hop.port)));
                    stage.finish(
                        tcp_kind.clone(),
                        StepStatus::Failed,
                        t,
                        format!("through {}: {e}", prev.label),
                    );
                    return Err(fail(tcp_kind, Some(problem), e.to_string()));
                }
            },
        };
        let mut open_hop = handshake(i, hop, stream, &ctx, stage)
            .await
            .map_err(|(k, p, text)| fail(k, p, text))?;
        let auth_kind = StepKind::SshAuth { hop: i };
        let t = stage.start(auth_kind.clone());
        let secrets = ssh_auth::HopSecrets {
            passphrase: credentials
                .ssh_secret(SecretKind::SshPassphrase { hop: hop.secret_slot })
                .cloned(),
            password: credentials
                .ssh_secret(SecretKind::SshPassword { hop: hop.secret_slot })
                .cloned(),
        };
        let agent = opts.agent_socket.clone();
        match tokio::time::timeout(
            timeout,
            ssh_auth::authenticate(
                &mut open_hop.handle,
                &hop.user,
                &hop.auth,
                &secrets,
                agent.as_deref(),
            ),
        )
        .await
        {
            Ok(Ok(method)) => stage.finish(
                auth_kind,
                StepStatus::Ok,
                t,
                format!("as {} using {method}", hop.user),
            ),
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
                let problem = SshProblem::HopUnreachable {
                    hop_host: hop.host.clone(),
                    hop_port: hop.port,
                    io: None,
                    timed_out: true,
                    through: None,
                };
                return Err(fail(auth_kind, Some(problem), text));
            }
        }
        open.push(open_hop);
    }
    Ok(Tunnel { hops: open, timeout })
}
