//! One hop of an SSH tunnel: read the server's identification line, run the key exchange, and
//! decide about its host key (known → go on; unknown → ask / accept-new / refuse per
//! [`HostKeyPolicy`]; changed → refuse). The hop's handler stays with the connection afterwards
//! to catch channel-open failure texts and the server's DISCONNECT message.
//!
//! Reports `SshBanner` and `SshHostKey` live; the handshake is bounded by the SSH timeout, whose
//! clock stops while the user is being asked about a key.

use super::known_hosts::{self, HostKeyStatus, KnownHostsFiles, KnownHostsLine};
use super::ssh::HopPlan;
use super::ssh_auth::Duplex;
use super::stage::Stage;
use russh::ChannelOpenFailure;
use russh::client::{self, Handle};
use russh::keys::PublicKeyOrCertificate;
use shiftgate_core::diagnose::{IoKind, SshProblem};
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

/// A hop after its handshake (authenticated by the caller afterwards).
pub(super) struct OpenHop {
    pub(super) handle: Handle<HopHandler>,
    /// `host:port` as shown in the report.
    pub(super) label: String,
    pub(super) shared: Arc<Mutex<HopShared>>,
    /// Descriptions of channel-open failures, as the handler sees them.
    pub(super) failures: tokio::sync::Mutex<mpsc::UnboundedReceiver<String>>,
}

/// What every hop's handshake shares.
pub(super) struct HopContext {
    pub(super) files: KnownHostsFiles,
    /// Whether accepted keys can be written to the app's file.
    pub(super) remember: bool,
    pub(super) policy: HostKeyPolicy,
    pub(super) config: Arc<client::Config>,
    pub(super) timeout: Duration,
}

/// State a hop's handler shares with the tunnel after the handshake.
#[derive(Debug, Default)]
pub(super) struct HopShared {
    /// Text of a server DISCONNECT message.
    pub(super) disconnect: Option<String>,
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

/// The russh handler of one hop.
pub(super) struct HopHandler {
    hop: usize,
    host: String,
    port: u16,
    files: KnownHostsFiles,
    remember: bool,
    policy: HostKeyPolicy,
    signals: mpsc::UnboundedSender<HopSignal>,
    shared: Arc<Mutex<HopShared>>,
    /// Channel-open failure descriptions (e.g. sshd's "Connection refused").
    failures: mpsc::UnboundedSender<String>,
}

impl HopHandler {
    async fn decide(&mut self, key: &russh::keys::PublicKey) -> HostKeyOutcome {
        match self.files.check(&self.host, self.port, key) {
            HostKeyStatus::Known(at) => HostKeyOutcome::Known(at),
            HostKeyStatus::Changed { recorded, recorded_fingerprint } => {
                HostKeyOutcome::Changed { recorded, recorded_fingerprint }
            }
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

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let verdict = match server_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => {
                let outcome = self.decide(key).await;
                HostKeyVerdict {
                    key_type: known_hosts::key_type(key),
                    fingerprint: known_hosts::fingerprint(key),
                    outcome,
                }
            }
            PublicKeyOrCertificate::Certificate(cert) => HostKeyVerdict {
                key_type: cert.algorithm().as_str().to_string(),
                fingerprint: cert
                    .public_key()
                    .fingerprint(russh::keys::HashAlg::Sha256)
                    .to_string(),
                outcome: HostKeyOutcome::Certificate,
            },
        };
        let ok =
            matches!(verdict.outcome, HostKeyOutcome::Known(_) | HostKeyOutcome::Accepted { .. });
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
        let _ = self.failures.send(description.to_string());
        Ok(())
    }

    async fn disconnected(
        &mut self,
        reason: client::DisconnectReason<Self::Error>,
    ) -> Result<(), Self::Error> {
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
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &res
            && !self.done
            && buf.filled().len() > before
        {
            let new = buf.filled()[before..].to_vec();
            self.observe(&new);
        }
        res
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for BannerSniffer<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The failed step, the problem and the text for the report.
pub(super) type HandshakeError = (StepKind, Option<SshProblem>, String);

/// Banner, key exchange and host-key check of hop `i` (connection order) over `stream`.
pub(super) async fn handshake(
    i: usize,
    hop: &HopPlan,
    stream: Box<dyn Duplex>,
    ctx: &HopContext,
    stage: &mut Stage<'_>,
) -> Result<OpenHop, HandshakeError> {
    let timeout = ctx.timeout;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (failures_tx, failures_rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Mutex::new(HopShared::default()));
    let handler = HopHandler {
        hop: i,
        host: hop.host.clone(),
        port: hop.port,
        files: ctx.files.clone(),
        remember: ctx.remember,
        policy: ctx.policy.clone(),
        signals: tx.clone(),
        shared: shared.clone(),
        failures: failures_tx,
    };
    let sniffer = BannerSniffer { inner: stream, buf: Vec::new(), done: false, signals: tx };
    let banner_kind = StepKind::SshBanner { hop: i };
    let key_kind = StepKind::SshHostKey { hop: i };
    let mut t_banner = Some(stage.start(banner_kind.clone()));
    let mut t_key: Option<Instant> = None;
    let mut verdict: Option<HostKeyVerdict> = None;
    let connect = client::connect_stream(ctx.config.clone(), sniffer, handler);
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
            None => {
                format!("no SSH identification from {} within {} s", hop.label(), timeout.as_secs())
            }
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
                HostKeyOutcome::Accepted { remembered: Ok(path) } => {
                    format!("{}: new, accepted and remembered in {}", describe(v), path.display())
                }
                HostKeyOutcome::Accepted { remembered: Err(e) } => {
                    format!("{}: new, accepted for this run ({e})", describe(v))
                }
                other => format!("{}: {other:?}", describe(v)),
            };
            let status = if matches!(v.outcome, HostKeyOutcome::Accepted { remembered: Err(_) }) {
                StepStatus::Warning
            } else {
                StepStatus::Ok
            };
            stage.finish(key_kind, status, t_key, detail);
            match result {
                Some(Ok(handle)) => Ok(OpenHop {
                    handle,
                    label,
                    shared,
                    failures: tokio::sync::Mutex::new(failures_rx),
                }),
                _ => Err((
                    StepKind::SshHostKey { hop: i },
                    None,
                    "internal: handshake result lost".into(),
                )),
            }
        }
        (_, Some(v))
            if !matches!(v.outcome, HostKeyOutcome::Known(_) | HostKeyOutcome::Accepted { .. }) =>
        {
            let (detail, problem) = match &v.outcome {
                HostKeyOutcome::Changed { recorded, recorded_fingerprint } => (
                    format!(
                        "{}: CHANGED — {recorded} holds {recorded_fingerprint}; refused",
                        describe(v)
                    ),
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
                    format!(
                        "{}: the server presented a host certificate, which is not supported",
                        describe(v)
                    ),
                    SshProblem::HostKeyUnknown {
                        hop_host: hop.host.clone(),
                        hop_port: hop.port,
                        key_type: v.key_type.clone(),
                        fingerprint: v.fingerprint.clone(),
                    },
                ),
                _ => (
                    format!("{}: not known, not confirmed; refused", describe(v)),
                    SshProblem::HostKeyUnknown {
                        hop_host: hop.host.clone(),
                        hop_port: hop.port,
                        key_type: v.key_type.clone(),
                        fingerprint: v.fingerprint.clone(),
                    },
                ),
            };
            stage.finish(key_kind.clone(), StepStatus::Failed, t_key, detail.clone());
            Err((key_kind, Some(problem), detail))
        }
        (None, _) => {
            let text =
                format!("key exchange with {label} did not finish within {} s", timeout.as_secs());
            stage.finish(key_kind.clone(), StepStatus::Failed, t_key, text.clone());
            let problem = SshProblem::HopUnreachable {
                hop_host: hop.host.clone(),
                hop_port: hop.port,
                io: None,
                timed_out: true,
                through: None,
            };
            Err((key_kind, Some(problem), text))
        }
        (Some(Err(e)), _) => {
            let text = format!("key exchange with {label} failed: {}", error_text(e));
            stage.finish(key_kind.clone(), StepStatus::Failed, t_key, text.clone());
            let problem = SshProblem::HopUnreachable {
                hop_host: hop.host.clone(),
                hop_port: hop.port,
                io: Some(IoKind::Reset),
                timed_out: false,
                through: None,
            };
            Err((key_kind, Some(problem), text))
        }
        (Some(Ok(_)), None) => {
            let text = "internal: the host key was accepted without a check".to_string();
            stage.finish(key_kind.clone(), StepStatus::Failed, t_key, text.clone());
            Err((key_kind, None, text))
        }
    }
}
