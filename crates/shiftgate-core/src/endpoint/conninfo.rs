//! libpq connection strings: `key = value` pairs, as in `PQconnectdb`.

use super::{EndpointError, EndpointFormat, ParsedEndpoint};

/// C `isspace` in the C locale, which libpq and POSIX shells use.
pub(crate) fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
}

/// libpq conninfo: `key = value` pairs; values unquoted (`\` escapes) or in `'…'` with `\'`, `\\`.
pub(super) fn conninfo_pairs(text: &str) -> Result<Vec<(String, String)>, EndpointError> {
    let chars: Vec<char> = text.chars().collect();
    let skip_space = |mut i: usize| {
        while i < chars.len() && is_c_space(chars[i]) {
            i += 1;
        }
        i
    };
    let mut pairs = Vec::new();
    let mut i = skip_space(0);
    while i < chars.len() {
        let key_start = i;
        while i < chars.len() && chars[i] != '=' && !is_c_space(chars[i]) {
            i += 1;
        }
        let key: String = chars[key_start..i].iter().collect();
        i = skip_space(i);
        if key.is_empty() || chars.get(i) != Some(&'=') {
            let message = if key.is_empty() {
                "\"=\" without a setting name before it".to_string()
            } else {
                format!("missing \"=\" after \"{key}\"")
            };
            return Err(EndpointError::Syntax { position: key_start + 1, message });
        }
        i = skip_space(i + 1);
        let mut value = String::new();
        if chars.get(i) == Some(&'\'') {
            let open = i;
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(EndpointError::UnterminatedQuote {
                            quote: '\'',
                            position: open + 1,
                        });
                    }
                    Some('\\') if i + 1 < chars.len() => {
                        value.push(chars[i + 1]);
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        value.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            while i < chars.len() && !is_c_space(chars[i]) {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                }
                value.push(chars[i]);
                i += 1;
            }
        }
        pairs.push((key, value));
        i = skip_space(i);
    }
    Ok(pairs)
}

pub(super) fn parse_conninfo(text: &str) -> Result<ParsedEndpoint, EndpointError> {
    let mut out = ParsedEndpoint::new_libpq(EndpointFormat::KeyValue);
    for (key, value) in conninfo_pairs(text)? {
        out.set_param(&key.to_ascii_lowercase(), &key, &value)?;
    }
    Ok(out)
}

/// A value in libpq conninfo syntax, quoted only when needed.
pub(super) fn conninfo_quote(v: &str) -> String {
    if !v.is_empty() && !v.chars().any(|c| is_c_space(c) || c == '\'' || c == '\\') {
        return v.to_string();
    }
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conninfo_pairs_follow_libpq() {
        let pairs = conninfo_pairs(r"host = h  password='it\'s \\ ok' user=a\ b").unwrap();
        assert_eq!(pairs[1], ("password".into(), r"it's \ ok".into()));
        assert_eq!(pairs[2], ("user".into(), "a b".into()));
        assert!(matches!(conninfo_pairs("host"), Err(EndpointError::Syntax { position: 1, .. })));
    }
}
