//! SQL tokenizer for the statement subset the simulator understands: identifiers (unquoted or
//! `"quoted"` with `""` doubling), `'strings'` with `''` doubling, integers, operators and punctuation;
//! `--` and `/* */` comments are skipped. Produces tokens with their source text for error messages;
//! does not fold case (the parser decides, because user names keep case, redshift.md §1.1).

use crate::error::SqlError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// `quoted` tells whether it was written in double quotes.
    Ident {
        value: String,
        quoted: bool,
    },
    Str(String),
    Number(String),
    /// Punctuation and operators: `( ) , ; . = <> != < > <= >= || * :: + -`.
    Symbol(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    /// The source text, for `syntax error at or near "<text>"`.
    pub text: String,
}

impl Token {
    /// True for an unquoted identifier equal (case-insensitively) to `kw`.
    pub fn is_keyword(&self, kw: &str) -> bool {
        matches!(&self.kind, TokenKind::Ident { value, quoted: false } if value.eq_ignore_ascii_case(kw))
    }

    pub fn is_symbol(&self, sym: &str) -> bool {
        matches!(&self.kind, TokenKind::Symbol(s) if *s == sym)
    }
}

const SYMBOLS: [&str; 18] = [
    "<>", "!=", "<=", ">=", "||", "::", "(", ")", ",", ";", ".", "=", "<", ">", "*", "+", "-", "/",
];

pub fn tokenize(sql: &str) -> Result<Vec<Token>, SqlError> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            let mut depth = 0usize;
            loop {
                if i >= chars.len() {
                    return Err(SqlError::new("42601", "unterminated /* comment"));
                }
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '\'' || c == '"' {
            let start = i;
            let mut value = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(if c == '\'' {
                            SqlError::new("42601", "unterminated quoted string")
                        } else {
                            SqlError::new("42601", "unterminated quoted identifier")
                        });
                    }
                    Some(&q) if q == c => {
                        if chars.get(i + 1) == Some(&c) {
                            value.push(c);
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    }
                    Some(&other) => {
                        value.push(other);
                        i += 1;
                    }
                }
            }
            let text: String = chars[start..i].iter().collect();
            let kind = if c == '\'' {
                TokenKind::Str(value)
            } else {
                if value.is_empty() {
                    return Err(SqlError::new("42601", "zero-length delimited identifier"));
                }
                TokenKind::Ident { value, quoted: true }
            };
            out.push(Token { kind, text });
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            out.push(Token { kind: TokenKind::Number(text.clone()), text });
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            out.push(Token { kind: TokenKind::Ident { value: text.clone(), quoted: false }, text });
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let sym = SYMBOLS
                .iter()
                .find(|s| rest.starts_with(**s))
                .ok_or_else(|| SqlError::syntax_near(&c.to_string()))?;
            i += sym.chars().count();
            out.push(Token { kind: TokenKind::Symbol(sym), text: sym.to_string() });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let t =
            tokenize("SELECT \"Finance \"\"Data\"\"\" , 'it''s' -- c\n <> 12 /* x */ ||").unwrap();
        assert!(t[0].is_keyword("select"));
        assert_eq!(t[1].kind, TokenKind::Ident { value: "Finance \"Data\"".into(), quoted: true });
        assert_eq!(t[3].kind, TokenKind::Str("it's".into()));
        assert!(t[4].is_symbol("<>"));
        assert!(t[6].is_symbol("||"));
        assert!(tokenize("'open").is_err());
    }
}
