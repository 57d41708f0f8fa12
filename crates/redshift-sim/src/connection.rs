//! One client connection: SSL/GSSENC negotiation, CancelRequest, StartupMessage checks, password
//! authentication (md5 code 5 or Redshift's AUTH_REQ_DIGEST code 13, redshift.md §3.4), the FATAL
//! errors a Redshift login can end with (§3.5, §4.3), then the message loop that hands queries to
//! `session`. A malformed message ends this session only.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

use crate::auth::{self, StoredPassword};
use crate::catalog::DatabaseKind;
use crate::error::SqlError;
use crate::protocol::{
    FrontendMessage, Outbox, PROTOCOL_V3, ProtocolError, StartupPacket, read_message, read_startup,
};
use crate::session::Session;
use crate::shared::{Backend, Shared, lock};

pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Highest Redshift `server_protocol_version` the simulator speaks (2: binary transfer of
/// numeric/date/time columns, as redshift_connector requests by default).
const MAX_SERVER_PROTOCOL_VERSION: u32 = 2;

/// Startup parameters PostgreSQL accepts and that clients send (tokio-postgres, libpq, JDBC).
const KNOWN_STARTUP_PARAMS: [&str; 12] = [
    "user",
    "database",
    "client_encoding",
    "application_name",
    "options",
    "datestyle",
    "timezone",
    "extra_float_digits",
    "search_path",
    "geqo",
    "statement_timeout",
    "replication",
];

pub(crate) async fn serve(tcp: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let _ = tcp.set_nodelay(true);
    let mut stream: Box<dyn Stream> = Box::new(tcp);
    match run(&mut stream, peer, &shared).await {
        Ok(()) => {}
        Err(e) => tracing::debug!(%peer, error = %e, "session ended with an error"),
    }
    let _ = stream.shutdown().await;
}

async fn send(stream: &mut Box<dyn Stream>, out: &mut Outbox) -> Result<(), ProtocolError> {
    if !out.is_empty() {
        stream.write_all(out.bytes()).await?;
        out.clear();
        stream.flush().await?;
    }
    Ok(())
}

async fn fatal(stream: &mut Box<dyn Stream>, err: SqlError) -> Result<(), ProtocolError> {
    let mut out = Outbox::new();
    out.error(&SqlError::fatal(err.code, err.message));
    send(stream, &mut out).await
}

async fn run(
    stream: &mut Box<dyn Stream>,
    peer: SocketAddr,
    shared: &Arc<Shared>,
) -> Result<(), ProtocolError> {
    let mut ssl = false;
    let mut out = Outbox::new();
    let params = loop {
        match read_startup(stream).await? {
            StartupPacket::SslRequest => {
                if ssl {
                    return Err(ProtocolError::Malformed("SSLRequest inside TLS"));
                }
                match (&shared.tls, shared.config.tls) {
                    (Some(acceptor), true) => {
                        stream.write_all(b"S").await?;
                        stream.flush().await?;
                        let plain = std::mem::replace(
                            stream,
                            Box::new(tokio::io::join(tokio::io::empty(), tokio::io::sink())),
                        );
                        let tls = acceptor.accept(plain).await?;
                        *stream = Box::new(tls);
                        ssl = true;
                    }
                    _ => {
                        out.raw_byte(b'N');
                        send(stream, &mut out).await?;
                    }
                }
            }
            StartupPacket::GssEncRequest => {
                out.raw_byte(b'N');
                send(stream, &mut out).await?;
            }
            StartupPacket::Cancel { pid, secret } => {
                shared.cancel(pid, secret);
                return Ok(());
            }
            StartupPacket::Startup { version, params } => {
                if version != PROTOCOL_V3 {
                    let (major, minor) = (version >> 16, version & 0xffff);
                    return fatal(
                        stream,
                        SqlError::new("0A000", format!("unsupported frontend protocol {major}.{minor}: server supports 3.0 to 3.0")),
                    )
                    .await;
                }
                break params;
            }
        }
    };
    let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let Some(user_name) = param("user").filter(|u| !u.is_empty()) else {
        return fatal(
            stream,
            SqlError::new("28000", "no PostgreSQL user name specified in startup packet"),
        )
        .await;
    };
    let database = param("database").filter(|d| !d.is_empty()).unwrap_or_else(|| user_name.clone());

    // require_ssl behaves like a `hostssl` pg_hba line: checked before authentication (§3.5).
    if shared.config.require_ssl && !ssl {
        return fatal(
            stream,
            SqlError::new(
                "28000",
                format!("no pg_hba.conf entry for host \"{}\", user \"{user_name}\", database \"{database}\", SSL off", peer.ip()),
            ),
        )
        .await;
    }

    let user = if crate::iam::is_iam_login(&user_name) {
        // IAM logins: SSL only, the issued temporary password, the mapped (maybe new) user.
        match crate::iam::authenticate_iam(stream, shared, &user_name, ssl).await? {
            Ok(user) => Some(user),
            Err(e) => return fatal(stream, e).await,
        }
    } else {
        lock(&shared.warehouse).warehouse.user_by_name(&user_name).cloned()
    };
    if !crate::iam::is_iam_login(&user_name)
        && (!authenticate(stream, user.as_ref().map(|u| &u.password)).await? || user.is_none())
    {
        // Redshift reports a failed password as 28000, not PostgreSQL's 28P01 (§4.3).
        return fatal(
            stream,
            SqlError::new(
                "28000",
                format!("password authentication failed for user \"{user_name}\""),
            ),
        )
        .await;
    }
    let Some(user) = user else {
        return Ok(());
    };
    out.auth_ok();

    let db_kind = lock(&shared.warehouse).warehouse.database(&database).map(|d| d.kind.clone());
    match db_kind {
        Some(DatabaseKind::Local) => {}
        // Datashare consumer databases can't be connected to (§1.6, §3.5); exact text [unverified].
        Some(DatabaseKind::Shared { .. }) | None => {
            send(stream, &mut out).await?;
            return fatal(
                stream,
                SqlError::new("3D000", format!("database \"{database}\" does not exist")),
            )
            .await;
        }
    }
    if shared.config.reject_unknown_startup_params
        && let Some((name, _)) = params
            .iter()
            .find(|(n, _)| !KNOWN_STARTUP_PARAMS.contains(&n.to_ascii_lowercase().as_str()))
    {
        // pg15-probe README: what PostgreSQL answers to AWS drivers' `driver_version`.
        send(stream, &mut out).await?;
        return fatal(
            stream,
            SqlError::new("42704", format!("unrecognized configuration parameter \"{name}\"")),
        )
        .await;
    }

    let pid = shared.next_pid();
    let secret: i32 = rand::random();
    let cancel = Arc::new(Notify::new());
    let over_limit = {
        let mut backends = lock(&shared.backends);
        // CONNECTION LIMIT is not enforced for superusers (§1.1). Text [unverified].
        let over = user.connection_limit.filter(|_| !user.superuser).is_some_and(|limit| {
            backends.values().filter(|b| b.user == user.id).count() >= limit as usize
        });
        if !over {
            backends.insert(pid, Backend { secret, user: user.id, cancel: cancel.clone() });
        }
        over
    };
    if over_limit {
        send(stream, &mut out).await?;
        return fatal(
            stream,
            SqlError::new("53300", format!("too many connections for user \"{user_name}\"")),
        )
        .await;
    }

    // ParameterStatus as Redshift reports it (server_version 8.0.2, §3.2). client_encoding
    // `UNICODE` is PostgreSQL 8.0's name for UTF8 [unverified for Redshift].
    if let Some(app) = param("application_name") {
        out.parameter_status("application_name", &app);
    }
    out.parameter_status("client_encoding", "UNICODE");
    out.parameter_status("DateStyle", "ISO, MDY");
    out.parameter_status("integer_datetimes", "on");
    out.parameter_status("is_superuser", if user.superuser { "on" } else { "off" });
    out.parameter_status("server_encoding", "UNICODE");
    out.parameter_status("server_version", "8.0.2");
    out.parameter_status("session_authorization", &user.name);
    // AWS drivers send `client_protocol_version` (redshift_connector core.py: 0 base, 1 extended
    // result metadata, 2 binary); Redshift answers with the version it will speak. Without the
    // answer the driver falls back to 0. No `show_discovery` / `datashare_enabled`: the driver then
    // uses its pg_catalog metadata queries, which the simulator answers.
    let protocol_version = param("client_protocol_version")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .map(|v| v.min(MAX_SERVER_PROTOCOL_VERSION));
    if let Some(v) = protocol_version {
        out.parameter_status("server_protocol_version", &v.to_string());
    }
    out.backend_key(pid, secret);
    out.ready(b'I');
    send(stream, &mut out).await?;

    let mut session =
        Session::new(shared.clone(), user.id, database, pid, protocol_version.unwrap_or(0), cancel);
    let result = message_loop(stream, &mut session).await;
    lock(&shared.backends).remove(&pid);
    result
}

/// Runs the password exchange; `stored` is `None` for an unknown user (still challenged, like
/// PostgreSQL, so the failure looks the same).
pub(crate) async fn authenticate(
    stream: &mut Box<dyn Stream>,
    stored: Option<&StoredPassword>,
) -> Result<bool, ProtocolError> {
    let mut out = Outbox::new();
    match stored {
        Some(stored @ StoredPassword::Sha256 { salt, .. }) => {
            let nonce: [u8; 32] = rand::random();
            out.auth_digest(salt, &nonce);
            send(stream, &mut out).await?;
            match read_message(stream).await? {
                Some(FrontendMessage::Digest(body)) => {
                    Ok(auth::verify_digest(stored, &nonce, &body))
                }
                Some(_) => Ok(false),
                // Clients that don't know code 13 just hang up (tokio-postgres: "unknown authentication tag 13").
                None => Err(ProtocolError::Malformed("client closed during AUTH_REQ_DIGEST")),
            }
        }
        other => {
            let salt: [u8; 4] = rand::random();
            out.auth_md5(salt);
            send(stream, &mut out).await?;
            match read_message(stream).await? {
                Some(FrontendMessage::Password(body)) => {
                    Ok(other.is_some_and(|s| auth::verify_md5(s, salt, &body)))
                }
                Some(_) => Ok(false),
                None => Err(ProtocolError::Malformed("client closed during authentication")),
            }
        }
    }
}

async fn message_loop(
    stream: &mut Box<dyn Stream>,
    session: &mut Session,
) -> Result<(), ProtocolError> {
    let mut out = Outbox::new();
    loop {
        let Some(msg) = read_message(stream).await? else {
            return Ok(());
        };
        match msg {
            FrontendMessage::Query(sql) => {
                session.simple_query(&sql, &mut out).await;
                out.ready(session.status());
                send(stream, &mut out).await?;
            }
            FrontendMessage::Sync => {
                session.sync(&mut out);
                out.ready(session.status());
                send(stream, &mut out).await?;
            }
            FrontendMessage::Flush => send(stream, &mut out).await?,
            FrontendMessage::Terminate => return Ok(()),
            FrontendMessage::Password(_)
            | FrontendMessage::Digest(_)
            | FrontendMessage::Unknown(_) => {
                out.error(&SqlError::fatal("08P01", "invalid frontend message type"));
                send(stream, &mut out).await?;
                return Ok(());
            }
            extended => {
                session.extended(extended, &mut out).await;
                // A large Execute goes out chunk by chunk as it is encoded.
                while session.is_sending() {
                    send(stream, &mut out).await?;
                    session.write_more(&mut out);
                }
            }
        }
    }
}
