//! Runtime values of the query engine and their text/binary wire encodings (TEXT 25, BOOL 16,
//! INT4 23 — built-in types, so clients need no type lookup). No evaluation logic here.

use std::cmp::Ordering;

use crate::protocol::WireType;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    Null,
    Text(String),
    Bool(bool),
    Int(i64),
}

impl Value {
    pub fn text(s: impl Into<String>) -> Self {
        Value::Text(s.into())
    }

    pub fn opt_text(s: Option<impl Into<String>>) -> Self {
        s.map(|s| Value::Text(s.into())).unwrap_or(Value::Null)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Text rendering (PostgreSQL output format).
    pub fn render(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Text(s) => Some(s.clone()),
            Value::Bool(b) => Some(if *b { "t" } else { "f" }.to_string()),
            Value::Int(i) => Some(i.to_string()),
        }
    }

    /// Converts to the declared column type (e.g. an INT4 column fed a text literal).
    pub fn coerce(self, ty: WireType) -> Value {
        match (ty, self) {
            (_, Value::Null) => Value::Null,
            (WireType::Text, v) => Value::Text(v.render().unwrap_or_default()),
            (WireType::Int4, Value::Text(s)) => {
                s.trim().parse().map(Value::Int).unwrap_or(Value::Null)
            }
            (WireType::Int4, Value::Bool(b)) => Value::Int(i64::from(b)),
            (WireType::Bool, Value::Text(s)) => match s.as_str() {
                "t" | "true" | "y" | "yes" | "1" | "on" => Value::Bool(true),
                "f" | "false" | "n" | "no" | "0" | "off" => Value::Bool(false),
                _ => Value::Null,
            },
            (WireType::Bool, Value::Int(i)) => Value::Bool(i != 0),
            (_, v) => v,
        }
    }

    /// Wire bytes in text (format 0) or binary (format 1) form.
    pub fn encode(&self, ty: WireType, binary: bool) -> Option<Vec<u8>> {
        let v = self.clone().coerce(ty);
        if !binary {
            return v.render().map(String::into_bytes);
        }
        match (ty, v) {
            (_, Value::Null) => None,
            (WireType::Bool, Value::Bool(b)) => Some(vec![u8::from(b)]),
            (WireType::Int4, Value::Int(i)) => Some((i as i32).to_be_bytes().to_vec()),
            (_, other) => other.render().map(String::into_bytes),
        }
    }

    /// SQL comparison; `None` when either side is NULL. Text vs integer compares numerically when
    /// the text is a number (implicit cast of a literal), otherwise as text.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Null, _) | (_, Value::Null) => None,
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
            (Value::Int(a), Value::Text(b)) => b.trim().parse::<i64>().ok().map(|b| a.cmp(&b)),
            (Value::Text(a), Value::Int(b)) => a.trim().parse::<i64>().ok().map(|a| a.cmp(b)),
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
            _ => None,
        }
    }
}
