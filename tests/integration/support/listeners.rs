//! Local listeners standing in for broken servers: one that accepts and never answers (timeouts),
//! one that refuses TLS ('N' to SSLRequest). Loopback only.

use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Accepts connections and holds them open without ever writing.
pub async fn silent_listener() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    addr
}

/// Answers 'N' to SSLRequest, then closes after reading the startup packet.
pub async fn no_tls_listener() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 8];
                if s.read_exact(&mut buf).await.is_ok() {
                    let _ = s.write_all(b"N").await;
                    let mut rest = [0u8; 256];
                    let _ = s.read(&mut rest).await;
                }
            });
        }
    });
    addr
}

/// A port with nothing listening (bound then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}
