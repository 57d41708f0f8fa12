//! Runtime values of the query engine and their text/binary wire encodings for the built-in types
//! of `WireType` (so clients need no type lookup). No evaluation logic here.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::protocol::WireType;

/// Days from 1970-01-01 to 2000-01-01, PostgreSQL's binary epoch.
const PG_EPOCH_DAYS: i64 = 10_957;

/// A value of the engine. Text is shared (`Arc<str>`): copying a row through scans, joins and
/// projections copies pointers, not strings.
#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Null,
    Text(Arc<str>),
    Bool(bool),
    Int(i64),
    /// float8 and numeric.
    Float(f64),
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Text(a), Value::Text(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Value::Null => {}
            Value::Text(s) => s.hash(state),
            Value::Bool(b) => b.hash(state),
            Value::Int(i) => i.hash(state),
            Value::Float(f) => f.to_bits().hash(state),
        }
    }
}

/// The decimal text of `i` in `buf` (no allocation).
fn int_text(i: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut n = i.unsigned_abs();
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    &buf[at..]
}

fn render_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

impl Value {
    pub fn text(s: impl AsRef<str>) -> Self {
        Value::Text(Arc::from(s.as_ref()))
    }

    pub fn opt_text(s: Option<impl AsRef<str>>) -> Self {
        s.map(Value::text).unwrap_or(Value::Null)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Text rendering (PostgreSQL output format).
    pub fn render(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Text(s) => Some(s.to_string()),
            Value::Bool(b) => Some(if *b { "t" } else { "f" }.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(render_float(*f)),
        }
    }

    /// Numeric view of the value (integers, floats, numeric text).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Text(s) => s.trim().parse().ok(),
            Value::Bool(_) | Value::Null => None,
        }
    }

    /// Converts to the declared column type (e.g. an INT4 column fed a text literal).
    pub fn coerce(self, ty: WireType) -> Value {
        match (ty, self) {
            (_, Value::Null) => Value::Null,
            (t, v @ Value::Text(_))
                if t.is_text() || matches!(t, WireType::Date | WireType::Timestamp) =>
            {
                v
            }
            (t, v) if t.is_text() || matches!(t, WireType::Date | WireType::Timestamp) => {
                Value::text(v.render().unwrap_or_default())
            }
            (t, Value::Text(s)) if t.is_integer() => match s.trim().parse() {
                Ok(i) => Value::Int(i),
                Err(_) => {
                    s.trim().parse::<f64>().map(|f| Value::Int(f as i64)).unwrap_or(Value::Null)
                }
            },
            (t, Value::Float(f)) if t.is_integer() => Value::Int(f.round() as i64),
            (t, Value::Bool(b)) if t.is_integer() => Value::Int(i64::from(b)),
            (WireType::Float8 | WireType::Numeric, v @ (Value::Text(_) | Value::Int(_))) => {
                v.as_f64().map(Value::Float).unwrap_or(Value::Null)
            }
            (WireType::Bool, Value::Text(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "t" | "true" | "y" | "yes" | "1" | "on" => Value::Bool(true),
                "f" | "false" | "n" | "no" | "0" | "off" => Value::Bool(false),
                _ => Value::Null,
            },
            (WireType::Bool, Value::Int(i)) => Value::Bool(i != 0),
            (_, v) => v,
        }
    }

    /// Appends the value as one DataRow field: its length (-1 for NULL) and its bytes in text
    /// (format 0) or binary (format 1) form, written straight into the message buffer.
    pub fn write_wire(self, ty: WireType, binary: bool, buf: &mut Vec<u8>) {
        fn put(buf: &mut Vec<u8>, bytes: &[u8]) {
            buf.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
            buf.extend_from_slice(bytes);
        }
        fn null(buf: &mut Vec<u8>) {
            buf.extend_from_slice(&(-1i32).to_be_bytes());
        }
        let v = self.coerce(ty);
        match (binary, ty, v) {
            (_, _, Value::Null) => null(buf),
            (false, _, Value::Int(i)) => {
                let mut digits = [0u8; 20];
                put(buf, int_text(i, &mut digits))
            }
            (true, WireType::Bool, Value::Bool(b)) => put(buf, &[u8::from(b)]),
            (true, WireType::Int2, Value::Int(i)) => put(buf, &(i as i16).to_be_bytes()),
            (true, WireType::Int4, Value::Int(i)) => put(buf, &(i as i32).to_be_bytes()),
            (true, WireType::Oid, Value::Int(i)) => put(buf, &(i as u32).to_be_bytes()),
            (true, WireType::Int8, Value::Int(i)) => put(buf, &i.to_be_bytes()),
            (true, WireType::Float8, Value::Float(f)) => put(buf, &f.to_be_bytes()),
            (true, WireType::Numeric, Value::Float(f)) if f.is_finite() => {
                put(buf, &numeric_binary(&render_float(f)))
            }
            (true, WireType::Date, Value::Text(s)) => match parse_date(&s) {
                Some(d) => put(buf, &((d - PG_EPOCH_DAYS) as i32).to_be_bytes()),
                None => null(buf),
            },
            (true, WireType::Timestamp, Value::Text(s)) => match parse_timestamp_micros(&s) {
                Some(us) => put(buf, &us.to_be_bytes()),
                None => null(buf),
            },
            // Text is the same in both formats (binary text/varchar/name/char are the bytes).
            (_, _, Value::Text(s)) => put(buf, s.as_bytes()),
            (_, _, other) => match other.render() {
                Some(text) => put(buf, text.as_bytes()),
                None => null(buf),
            },
        }
    }

    /// SQL comparison; `None` when either side is NULL. Text vs number compares numerically when
    /// the text is a number (implicit cast of a literal), otherwise as text.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Null, _) | (_, Value::Null) => None,
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            // Rows share text values (a relation's name in each of its column rows): the same
            // string is equal without reading it.
            (Value::Text(a), Value::Text(b)) => {
                Some(if Arc::ptr_eq(a, b) { Ordering::Equal } else { a.cmp(b) })
            }
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                self.as_f64()?.partial_cmp(&other.as_f64()?)
            }
            (Value::Int(_) | Value::Float(_), Value::Text(_))
            | (Value::Text(_), Value::Int(_) | Value::Float(_)) => {
                match (self.as_f64(), other.as_f64()) {
                    (Some(a), Some(b)) => a.partial_cmp(&b),
                    _ => Some(self.render().cmp(&other.render())),
                }
            }
            (Value::Bool(b), Value::Text(_)) => {
                Value::Bool(*b).compare(&other.clone().coerce(WireType::Bool))
            }
            (Value::Text(_), Value::Bool(_)) => self.clone().coerce(WireType::Bool).compare(other),
            (a, b) => Some(a.render().cmp(&b.render())),
        }
    }

    /// Ordering for ORDER BY: NULLs sort last ascending (PostgreSQL default).
    pub fn sort_cmp(&self, other: &Value) -> Ordering {
        match (self.is_null(), other.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => self.compare(other).unwrap_or(Ordering::Equal),
        }
    }

    /// `Some(bool)` for a boolean, `None` for NULL or a non-boolean.
    pub fn truth(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Text(_) => self.clone().coerce(WireType::Bool).truth(),
            _ => None,
        }
    }
}

/// `YYYY-MM-DD` → days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.trim().get(..10)?.split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// `YYYY-MM-DD[ HH:MM:SS[.ffffff]]` → microseconds since 2000-01-01 (PostgreSQL's binary epoch).
pub fn parse_timestamp_micros(s: &str) -> Option<i64> {
    let days = parse_date(s)? - PG_EPOCH_DAYS;
    let mut micros = days * 86_400_000_000;
    if let Some(time) = s.trim().get(11..) {
        let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
        let mut parts = hms.split(':');
        let h: i64 = parts.next()?.parse().ok()?;
        let m: i64 = parts.next().unwrap_or("0").parse().ok()?;
        let sec: i64 = parts.next().unwrap_or("0").parse().ok()?;
        let frac: String = frac.chars().take(6).collect();
        let frac_us: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<6}").parse().ok()? };
        micros += ((h * 60 + m) * 60 + sec) * 1_000_000 + frac_us;
    }
    Some(micros)
}

/// PostgreSQL's binary NUMERIC: base-10000 digit groups with weight, sign and display scale.
fn numeric_binary(text: &str) -> Vec<u8> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    let int_part = int_part.trim_start_matches('0');
    let dscale = frac_part.len() as i16;
    // Pad the integer part on the left and the fraction on the right to multiples of 4.
    let int_pad = format!("{}{int_part}", "0".repeat((4 - int_part.len() % 4) % 4));
    let frac_pad = format!("{frac_part}{}", "0".repeat((4 - frac_part.len() % 4) % 4));
    let mut groups: Vec<i16> = Vec::new();
    for chunk in int_pad.as_bytes().chunks(4).chain(frac_pad.as_bytes().chunks(4)) {
        let g = chunk.iter().fold(0i16, |acc, c| acc * 10 + i16::from(c.saturating_sub(b'0') % 10));
        groups.push(g);
    }
    let mut weight = (int_pad.len() / 4) as i16 - 1;
    while groups.first() == Some(&0) && !groups.is_empty() {
        groups.remove(0);
        weight -= 1;
    }
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    let mut out = Vec::with_capacity(8 + groups.len() * 2);
    out.extend_from_slice(&(groups.len() as i16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&(if neg && !groups.is_empty() { 0x4000u16 } else { 0 }).to_be_bytes());
    out.extend_from_slice(&dscale.to_be_bytes());
    for g in groups {
        out.extend_from_slice(&g.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_numeric_encode_like_postgres() {
        assert_eq!(parse_date("2000-01-01"), Some(PG_EPOCH_DAYS));
        assert_eq!(parse_timestamp_micros("2000-01-02 00:00:01.5"), Some(86_401_500_000));
        // 12.5 → groups [12, 5000], weight 0, dscale 1
        assert_eq!(numeric_binary("12.5"), vec![0, 2, 0, 0, 0, 0, 0, 1, 0, 12, 0x13, 0x88]);
        assert_eq!(numeric_binary("0"), vec![0, 0, 0, 0, 0, 0, 0, 0]);
    }
}
