//! PostgreSQL v3 wire-protocol codec: decodes frontend messages (startup packets and typed messages)
//! and encodes the backend messages the simulator sends. Knows nothing about SQL, users or catalogs;
//! every length read from the client is bounds-checked so a malformed message is an error, not a panic.

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::error::SqlError;

/// Largest frontend message the simulator accepts (the real limit is 1 GB; our SQL is tiny).
const MAX_MESSAGE_LEN: usize = 1 << 20;

pub const PROTOCOL_V3: i32 = 196_608;
const SSL_REQUEST: i32 = 80_877_103;
const GSSENC_REQUEST: i32 = 80_877_104;
const CANCEL_REQUEST: i32 = 80_877_102;

/// A malformed or truncated message: the session is closed.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed message: {0}")]
    Malformed(&'static str),
}

/// The first packet of a connection (no type byte).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartupPacket {
    SslRequest,
    GssEncRequest,
    Cancel { pid: i32, secret: i32 },
    Startup { version: i32, params: Vec<(String, String)> },
}

/// A typed frontend message after startup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrontendMessage {
    Query(String),
    Parse {
        name: String,
        query: String,
        param_types: Vec<u32>,
    },
    Bind {
        portal: String,
        statement: String,
        /// Format code per parameter (none = all text, one = applies to all).
        param_formats: Vec<i16>,
        params: Vec<Option<Vec<u8>>>,
        result_formats: Vec<i16>,
    },
    Describe {
        kind: u8,
        name: String,
    },
    Execute {
        portal: String,
        max_rows: i32,
    },
    Close {
        kind: u8,
        name: String,
    },
    Sync,
    Flush,
    Terminate,
    /// `p`: PasswordMessage (also SASL responses, which the simulator never requests).
    Password(Vec<u8>),
    /// `d`: the reply to Redshift's AUTH_REQ_DIGEST (code 13) during authentication.
    Digest(Vec<u8>),
    /// Any other tag; the session reports it as unsupported.
    Unknown(u8),
}

/// Cursor over a message body with checked reads.
pub struct Body<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Body<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Body { buf, pos: 0 }
    }

    pub fn i16(&mut self) -> Result<i16, ProtocolError> {
        let b = self.bytes(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    pub fn i32(&mut self) -> Result<i32, ProtocolError> {
        let b = self.bytes(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or(ProtocolError::Malformed("message shorter than its fields"))?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// A NUL-terminated UTF-8 string.
    pub fn cstr(&mut self) -> Result<String, ProtocolError> {
        let rest = &self.buf[self.pos.min(self.buf.len())..];
        let nul = rest
            .iter()
            .position(|b| *b == 0)
            .ok_or(ProtocolError::Malformed("unterminated string"))?;
        let s = std::str::from_utf8(&rest[..nul])
            .map_err(|_| ProtocolError::Malformed("string is not UTF-8"))?
            .to_string();
        self.pos += nul + 1;
        Ok(s)
    }

    /// A length-prefixed byte string (`Int32 len` + bytes).
    pub fn len_prefixed(&mut self) -> Result<Vec<u8>, ProtocolError> {
        let len = self.i32()?;
        let len = usize::try_from(len).map_err(|_| ProtocolError::Malformed("negative length"))?;
        Ok(self.bytes(len)?.to_vec())
    }
}

async fn read_body<R: AsyncRead + Unpin>(
    r: &mut R,
    len_field: i32,
) -> Result<Vec<u8>, ProtocolError> {
    let len = usize::try_from(len_field)
        .ok()
        .and_then(|l| l.checked_sub(4))
        .ok_or(ProtocolError::Malformed("invalid message length"))?;
    if len > MAX_MESSAGE_LEN {
        return Err(ProtocolError::Malformed("message too long"));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).await?;
    Ok(body)
}

/// Reads the untyped first packet of a connection.
pub async fn read_startup<R: AsyncRead + Unpin>(r: &mut R) -> Result<StartupPacket, ProtocolError> {
    let len = r.read_i32().await?;
    let body = read_body(r, len).await?;
    let mut b = Body::new(&body);
    let code = b.i32()?;
    match code {
        SSL_REQUEST => Ok(StartupPacket::SslRequest),
        GSSENC_REQUEST => Ok(StartupPacket::GssEncRequest),
        CANCEL_REQUEST => Ok(StartupPacket::Cancel { pid: b.i32()?, secret: b.i32()? }),
        version => {
            let mut params = Vec::new();
            loop {
                let key = b.cstr()?;
                if key.is_empty() {
                    break;
                }
                let value = b.cstr()?;
                params.push((key, value));
            }
            Ok(StartupPacket::Startup { version, params })
        }
    }
}

/// Reads one typed message; `Ok(None)` at a clean end of stream.
pub async fn read_message<R: AsyncRead + Unpin>(
    r: &mut R,
) -> Result<Option<FrontendMessage>, ProtocolError> {
    let mut tag = [0u8; 1];
    match r.read_exact(&mut tag).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = r.read_i32().await?;
    let body = read_body(r, len).await?;
    decode(tag[0], &body).map(Some)
}

fn decode(tag: u8, body: &[u8]) -> Result<FrontendMessage, ProtocolError> {
    let mut b = Body::new(body);
    Ok(match tag {
        b'Q' => FrontendMessage::Query(b.cstr()?),
        b'P' => {
            let name = b.cstr()?;
            let query = b.cstr()?;
            let n = b.i16()?;
            let mut param_types = Vec::new();
            for _ in 0..n.max(0) {
                param_types.push(b.i32()? as u32);
            }
            FrontendMessage::Parse { name, query, param_types }
        }
        b'B' => {
            let portal = b.cstr()?;
            let statement = b.cstr()?;
            let nf = b.i16()?;
            let mut param_formats = Vec::new();
            for _ in 0..nf.max(0) {
                param_formats.push(b.i16()?);
            }
            let np = b.i16()?;
            let mut params = Vec::new();
            for _ in 0..np.max(0) {
                let len = b.i32()?;
                if len < 0 {
                    params.push(None);
                } else {
                    params.push(Some(b.bytes(len as usize)?.to_vec()));
                }
            }
            let nr = b.i16()?;
            let mut result_formats = Vec::new();
            for _ in 0..nr.max(0) {
                result_formats.push(b.i16()?);
            }
            FrontendMessage::Bind { portal, statement, param_formats, params, result_formats }
        }
        b'D' => FrontendMessage::Describe { kind: b.bytes(1)?[0], name: b.cstr()? },
        b'E' => FrontendMessage::Execute { portal: b.cstr()?, max_rows: b.i32()? },
        b'C' => FrontendMessage::Close { kind: b.bytes(1)?[0], name: b.cstr()? },
        b'S' => FrontendMessage::Sync,
        b'H' => FrontendMessage::Flush,
        b'X' => FrontendMessage::Terminate,
        b'p' => FrontendMessage::Password(body.to_vec()),
        b'd' => FrontendMessage::Digest(body.to_vec()),
        other => FrontendMessage::Unknown(other),
    })
}

/// Wire type of a result column. Only built-in OIDs, so clients need no type lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WireType {
    Bool,
    Int2,
    Int4,
    Int8,
    Oid,
    Float8,
    Numeric,
    #[default]
    Text,
    Varchar,
    Name,
    Char,
    Date,
    Timestamp,
}

impl WireType {
    pub fn oid(self) -> i32 {
        match self {
            WireType::Bool => 16,
            WireType::Int2 => 21,
            WireType::Int4 => 23,
            WireType::Int8 => 20,
            WireType::Oid => 26,
            WireType::Float8 => 701,
            WireType::Numeric => 1700,
            WireType::Text => 25,
            WireType::Varchar => 1043,
            WireType::Name => 19,
            WireType::Char => 18,
            WireType::Date => 1082,
            WireType::Timestamp => 1114,
        }
    }

    fn size(self) -> i16 {
        match self {
            WireType::Bool | WireType::Char => 1,
            WireType::Int2 => 2,
            WireType::Int4 | WireType::Oid | WireType::Date => 4,
            WireType::Int8 | WireType::Float8 | WireType::Timestamp => 8,
            WireType::Name => 64,
            WireType::Numeric | WireType::Text | WireType::Varchar => -1,
        }
    }

    /// Integer-valued types (evaluated as `Value::Int`).
    pub fn is_integer(self) -> bool {
        matches!(self, WireType::Int2 | WireType::Int4 | WireType::Int8 | WireType::Oid)
    }

    /// Character types (evaluated as `Value::Text`).
    pub fn is_text(self) -> bool {
        matches!(self, WireType::Text | WireType::Varchar | WireType::Name | WireType::Char)
    }
}

/// One column of a RowDescription. `table_oid`/`column` identify a base-table column (0 if none);
/// `schema`/`table` fill redshift_connector's extended result metadata (protocol version ≥ 1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldDescription {
    pub name: String,
    pub ty: WireType,
    pub table_oid: u32,
    pub column: i16,
    pub schema: String,
    pub table: String,
}

impl FieldDescription {
    pub fn new(name: impl Into<String>, ty: WireType) -> Self {
        FieldDescription { name: name.into(), ty, ..FieldDescription::default() }
    }
}

/// Builds a batch of backend messages to write in one go.
#[derive(Default)]
pub struct Outbox {
    buf: Vec<u8>,
}

impl Outbox {
    pub fn new() -> Self {
        Outbox::default()
    }

    /// The batch to write.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Empties the batch once written. Its memory is kept for the next batch (a large result is
    /// not grown and page-faulted afresh on every query) unless it is over `KEEP_BYTES`.
    pub fn clear(&mut self) {
        const KEEP_BYTES: usize = 16 << 20;
        self.buf.clear();
        if self.buf.capacity() > KEEP_BYTES {
            self.buf = Vec::new();
        }
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn message(&mut self, tag: u8, body: impl FnOnce(&mut Vec<u8>)) {
        self.buf.push(tag);
        let len_at = self.buf.len();
        self.buf.extend_from_slice(&[0, 0, 0, 0]);
        body(&mut self.buf);
        let len = (self.buf.len() - len_at) as i32;
        self.buf[len_at..len_at + 4].copy_from_slice(&len.to_be_bytes());
    }

    /// A single raw byte (the answer to SSLRequest / GSSENCRequest).
    pub fn raw_byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    pub fn auth_ok(&mut self) {
        self.message(b'R', |b| b.extend_from_slice(&0i32.to_be_bytes()));
    }

    pub fn auth_md5(&mut self, salt: [u8; 4]) {
        self.message(b'R', |b| {
            b.extend_from_slice(&5i32.to_be_bytes());
            b.extend_from_slice(&salt);
        });
    }

    /// redshift.md §3.4: AUTH_REQ_DIGEST = 13; payload = algo index, salt, server nonce, each
    /// length-prefixed (layout as parsed by redshift_connector `core.py`).
    pub fn auth_digest(&mut self, salt: &[u8], server_nonce: &[u8]) {
        self.message(b'R', |b| {
            b.extend_from_slice(&13i32.to_be_bytes());
            b.extend_from_slice(&0i32.to_be_bytes());
            b.extend_from_slice(&(salt.len() as i32).to_be_bytes());
            b.extend_from_slice(salt);
            b.extend_from_slice(&(server_nonce.len() as i32).to_be_bytes());
            b.extend_from_slice(server_nonce);
        });
    }

    pub fn parameter_status(&mut self, name: &str, value: &str) {
        self.message(b'S', |b| {
            put_cstr(b, name);
            put_cstr(b, value);
        });
    }

    pub fn backend_key(&mut self, pid: i32, secret: i32) {
        self.message(b'K', |b| {
            b.extend_from_slice(&pid.to_be_bytes());
            b.extend_from_slice(&secret.to_be_bytes());
        });
    }

    pub fn ready(&mut self, status: u8) {
        self.message(b'Z', |b| b.push(status));
    }

    /// RowDescription; `binary(i)` tells whether column `i` is sent in binary format.
    /// `extended` adds Redshift's extended result metadata (server_protocol_version ≥ 1: schema,
    /// table, column and catalog names and a flags word, as redshift_connector `core.py` reads them).
    pub fn row_description(
        &mut self,
        fields: &[FieldDescription],
        binary: impl Fn(usize) -> bool,
        extended: Option<&str>,
    ) {
        self.message(b'T', |b| {
            b.extend_from_slice(&(fields.len() as i16).to_be_bytes());
            for (i, f) in fields.iter().enumerate() {
                put_cstr(b, &f.name);
                b.extend_from_slice(&f.table_oid.to_be_bytes());
                b.extend_from_slice(&f.column.to_be_bytes());
                b.extend_from_slice(&f.ty.oid().to_be_bytes());
                b.extend_from_slice(&f.ty.size().to_be_bytes());
                b.extend_from_slice(&(-1i32).to_be_bytes());
                b.extend_from_slice(&(i16::from(binary(i))).to_be_bytes());
                if let Some(catalog) = extended {
                    put_cstr(b, &f.schema);
                    put_cstr(b, &f.table);
                    put_cstr(b, if f.table.is_empty() { "" } else { &f.name });
                    put_cstr(b, catalog);
                    // nullable (bit 0) and searchable (bit 12); not autoincrement, not read-only.
                    b.extend_from_slice(&0x1001i16.to_be_bytes());
                }
            }
        });
    }

    pub fn portal_suspended(&mut self) {
        self.message(b's', |_| {});
    }

    /// One DataRow; `write_field` appends each field (length and bytes) to the message.
    pub fn data_row(&mut self, fields: i16, write_fields: impl FnOnce(&mut Vec<u8>)) {
        self.message(b'D', |b| {
            b.extend_from_slice(&fields.to_be_bytes());
            write_fields(b);
        });
    }

    pub fn command_complete(&mut self, tag: &str) {
        self.message(b'C', |b| put_cstr(b, tag));
    }

    pub fn empty_query(&mut self) {
        self.message(b'I', |_| {});
    }

    pub fn error(&mut self, err: &SqlError) {
        self.message(b'E', |b| {
            b.push(b'S');
            put_cstr(b, err.severity.as_str());
            b.push(b'V');
            put_cstr(b, err.severity.as_str());
            b.push(b'C');
            put_cstr(b, err.code);
            b.push(b'M');
            put_cstr(b, &err.message);
            if let Some(d) = &err.detail {
                b.push(b'D');
                put_cstr(b, d);
            }
            b.push(0);
        });
    }

    pub fn parse_complete(&mut self) {
        self.message(b'1', |_| {});
    }

    pub fn bind_complete(&mut self) {
        self.message(b'2', |_| {});
    }

    pub fn close_complete(&mut self) {
        self.message(b'3', |_| {});
    }

    pub fn no_data(&mut self) {
        self.message(b'n', |_| {});
    }

    pub fn parameter_description(&mut self, types: &[u32]) {
        self.message(b't', |b| {
            b.extend_from_slice(&(types.len() as i16).to_be_bytes());
            for t in types {
                b.extend_from_slice(&t.to_be_bytes());
            }
        });
    }
}

fn put_cstr(b: &mut Vec<u8>, s: &str) {
    // A NUL inside a value would corrupt framing; PostgreSQL strings cannot contain one.
    b.extend(s.bytes().filter(|c| *c != 0));
    b.push(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn decodes_startup_and_rejects_truncated() {
        let mut pkt = Vec::new();
        let body = b"\0\x03\0\0user\0bob\0\0";
        pkt.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
        pkt.extend_from_slice(body);
        let got = read_startup(&mut pkt.as_slice()).await.unwrap();
        assert_eq!(
            got,
            StartupPacket::Startup {
                version: PROTOCOL_V3,
                params: vec![("user".into(), "bob".into())]
            }
        );
        let bad = [0u8, 0, 0, 2];
        assert!(read_startup(&mut bad.as_slice()).await.is_err());
        let bind = [b'B', 0, 0, 0, 8, 0, 0, 0, 9];
        assert!(read_message(&mut bind.as_slice()).await.is_err());
    }
}
