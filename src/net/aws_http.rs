//! A minimal HTTP/1.1 client for the two signed AWS calls Shiftgate makes by hand (Redshift's
//! GetClusterCredentials[WithIAM] and Redshift Serverless' GetCredentials): one POST per
//! connection (`Connection: close`), HTTPS with rustls (*ring*, webpki roots) or plain HTTP for a
//! loopback endpoint override. The AWS SDK's own client carries the STS call.

use std::io;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest response accepted (the answers are a few hundred bytes).
const MAX_RESPONSE: usize = 1 << 20;

/// An endpoint split into what the request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub https: bool,
    pub host: String,
    pub port: u16,
    /// `host` or `host:port` when the port is not the scheme's default: the `Host` header and the
    /// signed host.
    pub authority: String,
    /// The path, `/` when empty.
    pub path: String,
}

impl Endpoint {
    /// Parse `https://host[:port][/path]` or `http://…`.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let url = url.trim();
        let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(format!("endpoint URL \"{url}\" must start with https:// or http://"));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let default_port = if https { 443 } else { 80 };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => match p.parse::<u16>() {
                Ok(port) => (h.to_string(), port),
                Err(_) => return Err(format!("endpoint URL \"{url}\" has a bad port")),
            },
            _ => (authority.to_string(), default_port),
        };
        if host.is_empty() {
            return Err(format!("endpoint URL \"{url}\" has no host"));
        }
        let authority = if port == default_port { host.clone() } else { format!("{host}:{port}") };
        Ok(Endpoint { https, host, port, authority, path: path.to_string() })
    }

    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.authority, self.path)
    }
}

/// A response: status code, headers (names lower-cased) and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// POST `body` with `headers` (the `Host` header is added) and read the whole response.
pub async fn post(
    endpoint: &Endpoint,
    headers: &[(String, String)],
    body: &[u8],
) -> io::Result<Response> {
    let tcp = TcpStream::connect((endpoint.host.trim_matches(['[', ']']), endpoint.port)).await?;
    let _ = tcp.set_nodelay(true);
    let mut request =
        format!("POST {} HTTP/1.1\r\nHost: {}\r\n", endpoint.path, endpoint.authority);
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    if endpoint.https {
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(endpoint.host.clone())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await?;
        exchange(tls, &bytes).await
    } else {
        exchange(tcp, &bytes).await
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    request: &[u8],
) -> io::Result<Response> {
    s.write_all(request).await?;
    s.flush().await?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = match s.read(&mut buf).await {
            Ok(n) => n,
            // Servers that close without close_notify: what was read is the response.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && !raw.is_empty() => 0,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if raw.len() > MAX_RESPONSE {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "response too large"));
        }
        if let Some(r) = parse_response(&raw, false)? {
            return Ok(r);
        }
    }
    parse_response(&raw, true)?.ok_or_else(|| {
        io::Error::new(io::ErrorKind::UnexpectedEof, "the connection closed mid-response")
    })
}

/// A complete response in `raw`, `None` while more bytes are needed.
fn parse_response(raw: &[u8], at_eof: bool) -> io::Result<Option<Response>> {
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_string());
    let Some(head_end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&raw[..head_end]).map_err(|_| bad("response head not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| bad("bad HTTP status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[head_end + 4..];
    let header = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let body = if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        match dechunk(rest)? {
            Some(b) => b,
            None => return Ok(None),
        }
    } else if let Some(len) = header("content-length") {
        let len: usize = len.parse().map_err(|_| bad("bad Content-Length"))?;
        if rest.len() < len {
            return Ok(None);
        }
        rest[..len].to_vec()
    } else {
        // No length: the body runs until the connection closes.
        if !at_eof {
            return Ok(None);
        }
        rest.to_vec()
    };
    Ok(Some(Response { status, headers, body }))
}

/// The body of a chunked message, `None` while incomplete.
fn dechunk(mut rest: &[u8]) -> io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let size_text = std::str::from_utf8(&rest[..line_end]).unwrap_or("");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(Some(out));
        }
        if rest.len() < size + 2 {
            return Ok(None);
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_responses_parse() {
        let e = Endpoint::parse("http://127.0.0.1:5000").unwrap();
        assert_eq!(
            (e.https, e.host.as_str(), e.port, e.path.as_str()),
            (false, "127.0.0.1", 5000, "/")
        );
        assert_eq!(e.authority, "127.0.0.1:5000");
        let e = Endpoint::parse("https://redshift.us-east-1.amazonaws.com").unwrap();
        assert_eq!((e.port, e.authority.as_str()), (443, "redshift.us-east-1.amazonaws.com"));
        assert!(Endpoint::parse("ftp://x").is_err());
        assert!(Endpoint::parse("http://x:notaport").is_err());
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
        let r = parse_response(raw, false).unwrap().unwrap();
        assert_eq!((r.status, r.body.as_slice(), r.header("x-a")), (200, &b"hello"[..], Some("b")));
        assert!(parse_response(&raw[..raw.len() - 1], false).unwrap().is_none());
        let open = b"HTTP/1.0 200 OK\r\n\r\nbody";
        assert!(parse_response(open, false).unwrap().is_none());
        assert_eq!(parse_response(open, true).unwrap().unwrap().body, b"body");
        let chunked = b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let r = parse_response(chunked, false).unwrap().unwrap();
        assert_eq!((r.status, r.body.as_slice()), (400, &b"abcde"[..]));
    }
}
