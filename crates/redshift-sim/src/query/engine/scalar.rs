//! Scalar helpers of the query engine: type names to wire types, casts' lengths, type unification,
//! sort and IN comparisons, and the string / arithmetic primitives the functions share.

use super::*;

/// What a type name in a cast or a column-alias list means to the simulator: its wire type,
/// whether it is `regclass`, its character length and PostgreSQL's name for it (a cast's output
/// column name). Read from the syntax tree: printing the type would link sqlparser's printer for
/// the whole syntax tree into the app. Types the simulator does not model travel as varchar.
pub(super) fn type_facts(dt: &sp::DataType) -> CastTarget {
    const REGCLASS: CastTarget =
        CastTarget { regclass: true, ty: WireType::Text, char_length: None, name: "regclass" };
    use WireType as W;
    use sp::DataType as D;
    let length = |l: &Option<sp::CharacterLength>| match l {
        Some(sp::CharacterLength::IntegerLength { length, .. }) => usize::try_from(*length).ok(),
        _ => None,
    };
    let (ty, name, char_length) = match dt {
        D::Int(_) | D::Integer(_) | D::Int4(_) => (W::Int4, "int4", None),
        D::SmallInt(_) | D::Int2(_) => (W::Int2, "int2", None),
        D::BigInt(_) | D::Int8(_) => (W::Int8, "int8", None),
        D::Bool | D::Boolean => (W::Bool, "bool", None),
        D::Real | D::Float4 => (W::Float8, "float4", None),
        D::Float(_) | D::Float8 | D::Double(_) | D::DoublePrecision => (W::Float8, "float8", None),
        D::Numeric(_) | D::Decimal(_) | D::Dec(_) => (W::Numeric, "numeric", None),
        D::Text => (W::Text, "text", None),
        D::Date => (W::Date, "date", None),
        D::Timestamp(_, sp::TimezoneInfo::WithTimeZone | sp::TimezoneInfo::Tz) => {
            (W::Timestamp, "timestamptz", None)
        }
        D::Timestamp(..) | D::TimestampNtz => (W::Timestamp, "timestamp", None),
        D::Character(l) | D::Char(l) => (W::Varchar, "bpchar", length(l)),
        D::CharacterVarying(l) | D::CharVarying(l) | D::Varchar(l) | D::Nvarchar(l) => {
            (W::Varchar, "varchar", length(l))
        }
        D::Regclass => return REGCLASS,
        // Names sqlparser has no keyword for, and any type spelled with its schema
        // (`pg_catalog.text`, as psql writes them).
        D::Custom(object, _) => {
            let last = object.0.last().and_then(name_part);
            let lower = last.map(|i| i.value.to_ascii_lowercase()).unwrap_or_default();
            if last.is_some_and(|i| i.quote_style.is_some() && i.value == "char") {
                (W::Char, "char", None)
            } else {
                match lower.as_str() {
                    "regclass" => return REGCLASS,
                    "oid" => (W::Oid, "oid", None),
                    "regproc" => (W::Oid, "regproc", None),
                    "xid" => (W::Oid, "xid", None),
                    "name" => (W::Name, "name", None),
                    "int" | "integer" | "int4" => (W::Int4, "int4", None),
                    "smallint" | "int2" => (W::Int2, "int2", None),
                    "bigint" | "int8" => (W::Int8, "int8", None),
                    "bool" | "boolean" => (W::Bool, "bool", None),
                    "real" | "float4" => (W::Float8, "float4", None),
                    "float8" => (W::Float8, "float8", None),
                    "numeric" | "decimal" => (W::Numeric, "numeric", None),
                    "text" => (W::Text, "text", None),
                    "date" => (W::Date, "date", None),
                    "timestamp" => (W::Timestamp, "timestamp", None),
                    "timestamptz" => (W::Timestamp, "timestamptz", None),
                    "varchar" => (W::Varchar, "varchar", None),
                    "bpchar" => (W::Varchar, "bpchar", None),
                    _ => (W::Varchar, "?column?", None),
                }
            }
        }
        _ => (W::Varchar, "?column?", None),
    };
    CastTarget { regclass: false, ty, char_length, name }
}

pub(super) fn type_label(ty: WireType) -> &'static str {
    match ty {
        WireType::Bool => "boolean",
        WireType::Int2 => "smallint",
        WireType::Int4 => "integer",
        WireType::Int8 => "bigint",
        WireType::Oid => "oid",
        WireType::Float8 => "double precision",
        WireType::Numeric => "numeric",
        WireType::Text => "text",
        WireType::Varchar => "character varying",
        WireType::Name => "name",
        WireType::Char => "\"char\"",
        WireType::Date => "date",
        WireType::Timestamp => "timestamp without time zone",
    }
}

/// Static type of a value when the expression has no declared type (first non-null wins).
pub(super) fn value_type(v: &Value) -> Option<WireType> {
    match v {
        Value::Null => None,
        Value::Int(_) => Some(WireType::Int8),
        Value::Float(_) => Some(WireType::Numeric),
        Value::Bool(_) => Some(WireType::Bool),
        Value::Text(_) => Some(WireType::Text),
    }
}

pub(super) fn literal(v: &sp::Value) -> Result<Value, SqlError> {
    Ok(match v {
        sp::Value::Number(n, _) => match n.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => n.parse::<f64>().map(Value::Float).map_err(|_| SqlError::syntax_near(n))?,
        },
        sp::Value::SingleQuotedString(s)
        | sp::Value::EscapedStringLiteral(s)
        | sp::Value::NationalStringLiteral(s) => Value::text(s.clone()),
        sp::Value::DollarQuotedString(d) => Value::text(d.value.clone()),
        sp::Value::Boolean(b) => Value::Bool(*b),
        sp::Value::Null => Value::Null,
        sp::Value::Placeholder(p) => {
            return Err(SqlError::new("42P02", format!("there is no parameter {p}")));
        }
        other => return Err(SqlError::unsupported(format!("literal {other}"))),
    })
}

pub(super) fn literal_type(v: &sp::Value) -> Option<WireType> {
    match v {
        sp::Value::Number(n, _) if n.parse::<i32>().is_ok() => Some(WireType::Int4),
        sp::Value::Number(n, _) if n.parse::<i64>().is_ok() => Some(WireType::Int8),
        sp::Value::Number(..) => Some(WireType::Numeric),
        sp::Value::Boolean(_) => Some(WireType::Bool),
        sp::Value::Null => None,
        _ => Some(WireType::Text),
    }
}

pub(super) fn column_ref(c: &Col) -> sp::Expr {
    let name = sp::Ident::with_quote('"', c.name.clone());
    match &c.qual {
        Some(q) => sp::Expr::CompoundIdentifier(vec![sp::Ident::with_quote('"', q.clone()), name]),
        None => sp::Expr::Identifier(name),
    }
}

/// The result type of mixing two types (UNION branches, arithmetic).
pub(super) fn unify(a: WireType, b: WireType) -> WireType {
    if a == b {
        return a;
    }
    if a.is_integer() && b.is_integer() {
        return if a == WireType::Int8 || b == WireType::Int8 {
            WireType::Int8
        } else {
            WireType::Int4
        };
    }
    if (a.is_integer() || matches!(a, WireType::Numeric | WireType::Float8))
        && (b.is_integer() || matches!(b, WireType::Numeric | WireType::Float8))
    {
        return WireType::Numeric;
    }
    if a.is_text() && b.is_text() {
        return WireType::Varchar;
    }
    WireType::Text
}

pub(super) fn wire_type_of_name(type_name: &str) -> WireType {
    match system::type_oid(type_name) {
        16 => WireType::Bool,
        18 => WireType::Char,
        19 => WireType::Name,
        20 => WireType::Int8,
        21 => WireType::Int2,
        23 => WireType::Int4,
        26 => WireType::Oid,
        700 | 701 => WireType::Float8,
        1700 => WireType::Numeric,
        1082 => WireType::Date,
        1114 | 1184 => WireType::Timestamp,
        1042 | 1043 => WireType::Varchar,
        _ => WireType::Text,
    }
}

pub(super) fn normalize_key(v: &Value) -> Value {
    match v {
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Value::Int(*f as i64),
        other => other.clone(),
    }
}

pub(super) fn in_values<'v>(
    v: &Value,
    items: impl Iterator<Item = &'v Value>,
    negated: bool,
) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    let mut saw_null = false;
    for item in items {
        match v.compare(item) {
            Some(Ordering::Equal) => return Value::Bool(!negated),
            None => saw_null = true,
            _ => {}
        }
    }
    if saw_null { Value::Null } else { Value::Bool(negated) }
}

pub(super) fn compare_sort(
    a: &Value,
    b: &Value,
    desc: bool,
    nulls_first: Option<bool>,
) -> Ordering {
    // PostgreSQL: NULLs are larger than any value (last ascending, first descending).
    let nulls_first = nulls_first.unwrap_or(desc);
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => {
            if nulls_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (false, true) => {
            if nulls_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        _ => {
            let c = a.compare(b).unwrap_or(Ordering::Equal);
            if desc { c.reverse() } else { c }
        }
    }
}

pub(super) fn dedup(rows: &mut Vec<Vec<Value>>) {
    let mut seen = std::collections::HashSet::new();
    rows.retain(|r| seen.insert(r.iter().map(normalize_key).collect::<Vec<_>>()));
}

pub(super) fn strpos(hay: &str, needle: &str) -> i64 {
    match hay.find(needle) {
        Some(byte) => hay[..byte].chars().count() as i64 + 1,
        None => 0,
    }
}

pub(super) fn substr(s: &Value, from: Option<&Value>, len: Option<&Value>) -> Value {
    let Some(s) = s.render() else {
        return Value::Null;
    };
    let chars: Vec<char> = s.chars().collect();
    let start = from.and_then(Value::as_f64).map(|f| f as i64).unwrap_or(1);
    let end = match len.map(|l| l.as_f64()) {
        Some(Some(l)) => start.saturating_add(l.max(0.0) as i64),
        Some(None) => return Value::Null,
        None => i64::MAX,
    };
    let lo = start.max(1) as usize - 1;
    let hi = (end.max(1) as usize - 1).min(chars.len());
    if lo >= hi {
        return Value::text("");
    }
    Value::text(chars[lo..hi].iter().collect::<String>())
}

pub(super) fn arithmetic(op: &sp::BinaryOperator, a: &Value, b: &Value) -> Result<Value, SqlError> {
    use sp::BinaryOperator as B;
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    let div_zero = || SqlError::new("22012", "division by zero");
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        let (x, y) = (*x, *y);
        return Ok(Value::Int(
            match op {
                B::Plus => x.checked_add(y),
                B::Minus => x.checked_sub(y),
                B::Multiply => x.checked_mul(y),
                B::Divide if y == 0 => return Err(div_zero()),
                B::Divide => x.checked_div(y),
                B::Modulo if y == 0 => return Err(div_zero()),
                _ => x.checked_rem(y),
            }
            .ok_or_else(|| SqlError::new("22003", "bigint out of range"))?,
        ));
    }
    let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
        return Err(SqlError::new(
            "42883",
            format!(
                "operator does not exist: {} {op} {}",
                a.render().unwrap_or_default(),
                b.render().unwrap_or_default()
            ),
        ));
    };
    Ok(Value::Float(match op {
        B::Plus => x + y,
        B::Minus => x - y,
        B::Multiply => x * y,
        B::Divide if y == 0.0 => return Err(div_zero()),
        B::Divide => x / y,
        B::Modulo if y == 0.0 => return Err(div_zero()),
        _ => x % y,
    }))
}
