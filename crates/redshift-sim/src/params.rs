//! SQL text scanning that must respect quoting: splitting a script into statements at top-level
//! `;`, finding `$n` placeholders, and substituting bound parameters (decoded from the text or
//! binary wire format by their declared type OID) as SQL literals before parsing.

use crate::error::SqlError;
use crate::exec::Value;

/// A decoded bind parameter, rendered into the statement as a typed literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Null,
    /// A number literal (already validated).
    Number(String),
    Bool(bool),
    /// A string literal, optionally with a cast (`'…'::timestamp`).
    Text(String, Option<&'static str>),
}

impl Param {
    fn to_sql(&self) -> String {
        match self {
            Param::Null => "NULL".into(),
            Param::Number(n) if n.starts_with('-') => format!("({n})"),
            Param::Number(n) => n.clone(),
            Param::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
            Param::Text(s, cast) => {
                let lit = format!("'{}'", s.replace('\'', "''"));
                match cast {
                    Some(t) => format!("CAST({lit} AS {t})"),
                    None => lit,
                }
            }
        }
    }
}

/// One lexical piece of SQL text that matters for scanning.
enum Piece {
    /// Ordinary text (including quoted strings and comments), copied as is.
    Text(usize, usize),
    /// `$n` placeholder.
    Placeholder(usize),
    /// Top-level `;`.
    Semicolon,
}

fn scan(sql: &str) -> Vec<Piece> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' => {
                // E'…' strings honour backslash escapes.
                let escaped = i > 0 && (b[i - 1] == b'E' || b[i - 1] == b'e');
                i += 1;
                while i < b.len() {
                    if escaped && b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b[i] == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'$' if b.get(i + 1).is_some_and(u8::is_ascii_digit)
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                let mut j = i + 1;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                out.push(Piece::Text(start, i));
                let n = sql[i + 1..j].parse().unwrap_or(usize::MAX);
                out.push(Piece::Placeholder(n));
                i = j;
                start = j;
            }
            b';' => {
                out.push(Piece::Text(start, i));
                out.push(Piece::Semicolon);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    out.push(Piece::Text(start, b.len().min(sql.len())));
    out
}

/// The top-level statements of a script (text between `;` outside quotes and comments), blank ones
/// dropped.
pub fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for p in scan(sql) {
        match p {
            Piece::Text(a, b) => cur.push_str(sql.get(a..b).unwrap_or("")),
            Piece::Placeholder(n) => cur.push_str(&format!("${n}")),
            Piece::Semicolon => out.push(std::mem::take(&mut cur)),
        }
    }
    out.push(cur);
    out.retain(|s| !only_comments(s));
    out
}

/// Whether the text holds nothing but whitespace and comments.
fn only_comments(s: &str) -> bool {
    let mut rest = s.trim_start();
    loop {
        if rest.is_empty() {
            return true;
        }
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.split_once('\n').map(|(_, r)| r).unwrap_or("").trim_start();
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map(|(_, r)| r).unwrap_or("").trim_start();
        } else {
            return false;
        }
    }
}

/// The highest `$n` in the statement (the number of parameters it takes).
pub fn count(sql: &str) -> Result<usize, SqlError> {
    let mut max = 0;
    for p in scan(sql) {
        if let Piece::Placeholder(n) = p {
            if n == 0 || n > 32_767 {
                return Err(SqlError::new("42P02", format!("there is no parameter ${n}")));
            }
            max = max.max(n);
        }
    }
    Ok(max)
}

/// Types a client left unspecified, inferred from `$n::type` casts in the statement (PostgreSQL
/// infers them from context; a cast is the common case, e.g. `where id = $1::int`).
pub fn infer_types(sql: &str, types: &mut [u32]) {
    let b = sql.as_bytes();
    let mut offset = 0;
    for p in scan(sql) {
        match p {
            Piece::Text(a, end) => offset = end.max(a),
            Piece::Placeholder(n) => {
                // The placeholder text `$n` starts at `offset`.
                let mut i = offset + 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                offset = i;
                let rest = sql[i..].trim_start();
                let Some(cast) = rest.strip_prefix("::") else {
                    continue;
                };
                let name: String = cast
                    .trim_start()
                    .trim_start_matches("pg_catalog.")
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
                    .to_ascii_lowercase();
                let oid = match name.as_str() {
                    "int" | "integer" | "int4" => 23,
                    "smallint" | "int2" => 21,
                    "bigint" | "int8" => 20,
                    "oid" => 26,
                    "bool" | "boolean" => 16,
                    "float8" | "double" => 701,
                    "float4" | "real" => 700,
                    "numeric" | "decimal" => 1700,
                    "date" => 1082,
                    "timestamp" => 1114,
                    "text" => 25,
                    "varchar" | "character" => 1043,
                    "name" => 19,
                    _ => continue,
                };
                if let Some(t) = n.checked_sub(1).and_then(|i| types.get_mut(i))
                    && *t == 0
                {
                    *t = oid;
                }
            }
            Piece::Semicolon => offset += 1,
        }
    }
}

/// Replaces each `$n` with the literal of parameter `n`.
pub fn substitute(sql: &str, params: &[Param]) -> Result<String, SqlError> {
    let mut out = String::with_capacity(sql.len());
    for p in scan(sql) {
        match p {
            Piece::Text(a, b) => out.push_str(sql.get(a..b).unwrap_or("")),
            Piece::Placeholder(n) => {
                let param = n
                    .checked_sub(1)
                    .and_then(|i| params.get(i))
                    .ok_or_else(|| SqlError::new("42P02", format!("there is no parameter ${n}")))?;
                out.push_str(&param.to_sql());
            }
            Piece::Semicolon => out.push(';'),
        }
    }
    Ok(out)
}

fn invalid(what: &str, oid: u32) -> SqlError {
    SqlError::new(
        "22P03",
        format!("incorrect binary data format in bind parameter ({what}, type oid {oid})"),
    )
}

/// Decodes one bind parameter of declared type `oid` (0 = unspecified) from its wire bytes.
pub fn decode(raw: Option<&[u8]>, oid: u32, binary: bool) -> Result<Param, SqlError> {
    let Some(raw) = raw else {
        return Ok(Param::Null);
    };
    if !binary {
        let text = std::str::from_utf8(raw)
            .map_err(|_| SqlError::new("22021", "invalid byte sequence for encoding \"UTF8\""))?;
        return Ok(match oid {
            20 | 21 | 23 | 26 | 700 | 701 | 1700 => {
                let t = text.trim();
                let plain = t.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.'));
                if !plain || t.parse::<f64>().is_err() {
                    return Err(SqlError::new(
                        "22P02",
                        format!("invalid input syntax for type numeric: \"{text}\""),
                    ));
                }
                Param::Number(t.to_string())
            }
            16 => match Value::text(text).truth() {
                Some(b) => Param::Bool(b),
                None => {
                    return Err(SqlError::new(
                        "22P02",
                        format!("invalid input syntax for type boolean: \"{text}\""),
                    ));
                }
            },
            1082 => Param::Text(text.to_string(), Some("date")),
            1114 | 1184 => Param::Text(text.to_string(), Some("timestamp")),
            _ => Param::Text(text.to_string(), None),
        });
    }
    let fixed = |n: usize, what: &str| -> Result<&[u8], SqlError> {
        if raw.len() == n { Ok(raw) } else { Err(invalid(what, oid)) }
    };
    Ok(match oid {
        16 => Param::Bool(fixed(1, "bool")?[0] != 0),
        21 => {
            let b = fixed(2, "int2")?;
            Param::Number(i16::from_be_bytes([b[0], b[1]]).to_string())
        }
        23 => {
            let b = fixed(4, "int4")?;
            Param::Number(i32::from_be_bytes([b[0], b[1], b[2], b[3]]).to_string())
        }
        26 => {
            let b = fixed(4, "oid")?;
            Param::Number(u32::from_be_bytes([b[0], b[1], b[2], b[3]]).to_string())
        }
        20 => {
            let b: [u8; 8] = fixed(8, "int8")?.try_into().map_err(|_| invalid("int8", oid))?;
            Param::Number(i64::from_be_bytes(b).to_string())
        }
        700 => {
            let b = fixed(4, "float4")?;
            let f = f32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            if !f.is_finite() {
                return Err(SqlError::unsupported("non-finite float parameters"));
            }
            Param::Number(format!("{f:?}"))
        }
        701 => {
            let b: [u8; 8] = fixed(8, "float8")?.try_into().map_err(|_| invalid("float8", oid))?;
            let f = f64::from_be_bytes(b);
            if !f.is_finite() {
                return Err(SqlError::unsupported("non-finite float parameters"));
            }
            Param::Number(format!("{f:?}"))
        }
        0 | 18 | 19 | 25 | 705 | 1042 | 1043 => Param::Text(
            String::from_utf8(raw.to_vec()).map_err(|_| {
                SqlError::new("22021", "invalid byte sequence for encoding \"UTF8\"")
            })?,
            None,
        ),
        1114 | 1184 => {
            let b: [u8; 8] =
                fixed(8, "timestamp")?.try_into().map_err(|_| invalid("timestamp", oid))?;
            Param::Text(format_timestamp(i64::from_be_bytes(b)), Some("timestamp"))
        }
        1082 => {
            let b = fixed(4, "date")?;
            let days = i64::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            Param::Text(format_timestamp(days * 86_400_000_000)[..10].to_string(), Some("date"))
        }
        other => {
            return Err(SqlError::unsupported(format!(
                "binary bind parameters of type oid {other}"
            )));
        }
    })
}

/// Microseconds since 2000-01-01 → `YYYY-MM-DD HH:MM:SS[.ffffff]`.
fn format_timestamp(us: i64) -> String {
    let days = us.div_euclid(86_400_000_000) + 10_957;
    let rem = us.rem_euclid(86_400_000_000);
    // civil_from_days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let secs = rem / 1_000_000;
    let frac = rem % 1_000_000;
    let base =
        format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if frac == 0 { base } else { format!("{base}.{frac:06}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_outside_quotes_only() {
        let sql = "select '$1', \"$2\", $1 -- $3\n, $2 /* $9 */";
        assert_eq!(count(sql).unwrap(), 2);
        let out = substitute(sql, &[Param::Text("it's".into(), None), Param::Number("-4".into())])
            .unwrap();
        assert_eq!(out, "select '$1', \"$2\", 'it''s' -- $3\n, (-4) /* $9 */");
        assert_eq!(
            split_statements("select 1; select ';' ; -- x\n"),
            vec!["select 1", " select ';' "]
        );
    }

    #[test]
    fn binary_parameters_decode_by_type() {
        assert_eq!(decode(Some(&7i32.to_be_bytes()), 23, true).unwrap(), Param::Number("7".into()));
        assert_eq!(decode(Some(&[1]), 16, true).unwrap(), Param::Bool(true));
        assert!(decode(Some(&[1, 2]), 23, true).is_err());
        assert_eq!(
            decode(Some(&86_401_000_000i64.to_be_bytes()), 1114, true).unwrap(),
            Param::Text("2000-01-02 00:00:01".into(), Some("timestamp"))
        );
        assert!(decode(Some(b"1; drop"), 23, false).is_err());
    }
}
