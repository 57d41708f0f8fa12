//! Wire observation and the TLS connector handed to tokio-postgres.
//!
//! tokio-postgres performs TLS negotiation and authentication inside `connect_raw` and reports
//! neither the TLS session nor the authentication method. To give the report its stages we wrap
//! the transport in [`Observed`], which reads (never alters) the backend's first messages: the
//! SSLRequest answer, `AuthenticationRequest` codes, `ParameterStatus` and `ReadyForQuery`, and we
//! use our own [`ObservingTlsConnect`] (tokio-rustls) so the negotiated protocol and cipher are known.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, TlsConnect};

/// What was seen on the wire during one connection attempt.
#[derive(Debug, Default, Clone)]
pub struct WireLog {
    /// 'S' or 'N' answer to SSLRequest.
    pub ssl_response: Option<u8>,
    pub tls_started: Option<Instant>,
    pub tls_done: Option<Instant>,
    pub tls_protocol: Option<String>,
    pub tls_cipher: Option<String>,
    /// First authentication request code (3 cleartext, 5 md5, 10 SASL, 13 Redshift digest…).
    pub auth_code: Option<u32>,
    pub sasl_mechanisms: Vec<String>,
    pub auth_requested: Option<Instant>,
    pub auth_ok: Option<Instant>,
    pub parameters: Vec<(String, String)>,
    pub ready: Option<Instant>,
}

impl WireLog {
    pub fn auth_method(&self) -> Option<String> {
        self.auth_code.map(|c| match c {
            0 => "trust (no password asked)".to_string(),
            3 => "cleartext password".to_string(),
            5 => "md5".to_string(),
            10 => {
                if self.sasl_mechanisms.is_empty() {
                    "SASL".to_string()
                } else {
                    format!("SASL ({})", self.sasl_mechanisms.join(", "))
                }
            }
            13 => "Redshift SHA-256 digest (code 13)".to_string(),
            14 => "Redshift identity-provider token (code 14)".to_string(),
            other => format!("method code {other}"),
        })
    }

    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

pub type SharedWireLog = Arc<Mutex<WireLog>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Expect the single-byte SSLRequest answer next.
    SslAnswer,
    /// Bytes are TLS records (the inner, decrypted stream is observed separately).
    Opaque,
    /// Bytes are backend messages.
    Messages,
    Done,
}

/// A transport wrapper that observes backend messages until the first ReadyForQuery.
pub struct Observed<S> {
    inner: S,
    phase: Phase,
    buf: Vec<u8>,
    log: SharedWireLog,
}

const MAX_OBSERVED: usize = 1 << 20;

impl<S> Observed<S> {
    /// `expects_ssl_answer`: the client will send SSLRequest first (sslmode other than disable).
    pub fn new(inner: S, expects_ssl_answer: bool, log: SharedWireLog) -> Self {
        let phase = if expects_ssl_answer { Phase::SslAnswer } else { Phase::Messages };
        Observed { inner, phase, buf: Vec::new(), log }
    }

    fn observe(&mut self, bytes: &[u8]) {
        let mut bytes = bytes;
        if self.phase == Phase::SslAnswer && !bytes.is_empty() {
            let answer = bytes[0];
            if let Ok(mut log) = self.log.lock() {
                log.ssl_response = Some(answer);
            }
            self.phase = if answer == b'S' { Phase::Opaque } else { Phase::Messages };
            bytes = &bytes[1..];
        }
        if self.phase != Phase::Messages {
            return;
        }
        self.buf.extend_from_slice(bytes);
        if self.buf.len() > MAX_OBSERVED {
            self.phase = Phase::Done;
            self.buf = Vec::new();
            return;
        }
        loop {
            if self.buf.len() < 5 {
                return;
            }
            let tag = self.buf[0];
            let len =
                u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]) as usize;
            if len < 4 {
                self.phase = Phase::Done;
                return;
            }
            if self.buf.len() < 1 + len {
                return;
            }
            let body: Vec<u8> = self.buf[5..1 + len].to_vec();
            self.buf.drain(..1 + len);
            let now = Instant::now();
            let Ok(mut log) = self.log.lock() else { return };
            match tag {
                b'R' if body.len() >= 4 => {
                    let code = u32::from_be_bytes([body[0], body[1], body[2], body[3]]);
                    if code == 0 {
                        log.auth_ok.get_or_insert(now);
                        log.auth_code.get_or_insert(0);
                    } else if log.auth_code.is_none() {
                        log.auth_code = Some(code);
                        log.auth_requested = Some(now);
                        if code == 10 {
                            log.sasl_mechanisms = body[4..]
                                .split(|b| *b == 0)
                                .filter(|m| !m.is_empty())
                                .map(|m| String::from_utf8_lossy(m).into_owned())
                                .collect();
                        }
                    }
                }
                b'S' => {
                    let mut parts = body.split(|b| *b == 0);
                    if let (Some(k), Some(v)) = (parts.next(), parts.next()) {
                        log.parameters.push((
                            String::from_utf8_lossy(k).into_owned(),
                            String::from_utf8_lossy(v).into_owned(),
                        ));
                    }
                }
                b'Z' => {
                    log.ready = Some(now);
                    drop(log);
                    self.phase = Phase::Done;
                    self.buf = Vec::new();
                    return;
                }
                _ => {}
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Observed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &res
            && self.phase != Phase::Done
            && buf.filled().len() > before
        {
            let new = buf.filled()[before..].to_vec();
            self.observe(&new);
        }
        res
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Observed<S> {
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

impl<S: AsyncRead + AsyncWrite + Unpin> tokio_postgres::tls::TlsStream
    for Observed<tokio_rustls::client::TlsStream<S>>
{
    fn channel_binding(&self) -> ChannelBinding {
        // SCRAM-SHA-256-PLUS is not offered; plain SCRAM and md5 work (Redshift uses md5).
        ChannelBinding::none()
    }
}

/// TLS connector for tokio-postgres that records the handshake in the wire log.
#[derive(Clone)]
pub struct ObservingTlsConnect {
    pub config: Arc<rustls::ClientConfig>,
    pub server_name: rustls::pki_types::ServerName<'static>,
    pub log: SharedWireLog,
}

impl<S> TlsConnect<S> for ObservingTlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = Observed<tokio_rustls::client::TlsStream<S>>;
    type Error = io::Error;
    type Future =
        Pin<Box<dyn std::future::Future<Output = Result<Self::Stream, io::Error>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            if let Ok(mut log) = self.log.lock() {
                log.tls_started = Some(Instant::now());
            }
            let connector = tokio_rustls::TlsConnector::from(self.config);
            let tls = connector.connect(self.server_name, stream).await?;
            if let Ok(mut log) = self.log.lock() {
                log.tls_done = Some(Instant::now());
                let (_, conn) = tls.get_ref();
                log.tls_protocol =
                    conn.protocol_version().map(|v| format!("{v:?}").replace('_', "."));
                log.tls_cipher = conn.negotiated_cipher_suite().map(|c| format!("{:?}", c.suite()));
            }
            Ok(Observed::new(tls, false, self.log))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        v.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn observes_auth_code_parameters_and_ready_across_split_reads() {
        let log: SharedWireLog = Default::default();
        let mut o = Observed::new(tokio::io::empty(), true, log.clone());
        let mut bytes = vec![b'N'];
        bytes.extend(msg(
            b'R',
            &5u32.to_be_bytes().iter().chain([1, 2, 3, 4].iter()).copied().collect::<Vec<_>>(),
        ));
        bytes.extend(msg(b'R', &0u32.to_be_bytes()));
        bytes.extend(msg(b'S', b"server_version\x008.0.2\x00"));
        bytes.extend(msg(b'Z', b"I"));
        for chunk in bytes.chunks(3) {
            o.observe(chunk);
        }
        let l = log.lock().unwrap();
        assert_eq!(l.ssl_response, Some(b'N'));
        assert_eq!(l.auth_code, Some(5));
        assert_eq!(l.auth_method().as_deref(), Some("md5"));
        assert_eq!(l.parameter("server_version"), Some("8.0.2"));
        assert!(l.auth_ok.is_some() && l.ready.is_some());
    }

    #[test]
    fn sasl_mechanisms_are_listed() {
        let log: SharedWireLog = Default::default();
        let mut o = Observed::new(tokio::io::empty(), false, log.clone());
        let mut body = 10u32.to_be_bytes().to_vec();
        body.extend_from_slice(b"SCRAM-SHA-256\x00\x00");
        o.observe(&msg(b'R', &body));
        assert_eq!(log.lock().unwrap().auth_method().as_deref(), Some("SASL (SCRAM-SHA-256)"));
    }
}
