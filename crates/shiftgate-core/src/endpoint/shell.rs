//! Shell text: POSIX word splitting, `psql` command lines and environment-variable blocks.
//!
//! Nothing is expanded or executed: a value that would need `$VAR` or `$(…)` expansion is reported
//! as not used.

use super::{
    EndpointError, EndpointFormat, ParsedEndpoint, conninfo::is_c_space, conninfo::parse_conninfo,
};
use super::{is_pg_scheme, parse_url, scheme_of, shown, strip_wrapping_quotes};

/// One shell word, or an operator (`\n ; | & < >`) when `op` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Word {
    text: String,
    /// 1-based character position of the word's first character.
    start: usize,
    op: Option<char>,
    /// Byte offsets in `text` of unquoted-or-double-quoted `$` (variable or command expansion).
    dollars: Vec<usize>,
}

/// POSIX shell word splitting: `'…'`, `"…"` (with `\" \\ \$ \``), `\` escapes, `\`-newline
/// continuations and `#` comments. No expansion is performed; `$` positions are recorded.
pub(super) fn shell_words(text: &str) -> Result<Vec<Word>, EndpointError> {
    let chars: Vec<char> = text.chars().collect();
    let mut words = Vec::new();
    let mut cur: Option<Word> = None;
    let new_word = |start: usize| Word {
        text: String::new(),
        start: start + 1,
        op: None,
        dollars: Vec::new(),
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => match chars.get(i + 1) {
                Some('\n') => i += 1,
                Some('\r') if chars.get(i + 2) == Some(&'\n') => i += 2,
                Some(&next) => {
                    cur.get_or_insert_with(|| new_word(i)).text.push(next);
                    i += 1;
                }
                None => {}
            },
            '\'' => {
                let w = cur.get_or_insert_with(|| new_word(i));
                let close = (i + 1..chars.len())
                    .find(|&j| chars[j] == '\'')
                    .ok_or(EndpointError::UnterminatedQuote { quote: '\'', position: i + 1 })?;
                w.text.extend(&chars[i + 1..close]);
                i = close;
            }
            '"' => {
                let open = i;
                let w = cur.get_or_insert_with(|| new_word(i));
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(EndpointError::UnterminatedQuote {
                                quote: '"',
                                position: open + 1,
                            });
                        }
                        Some('"') => break,
                        Some('\\') if matches!(chars.get(i + 1), Some('$' | '`' | '"' | '\\')) => {
                            w.text.push(chars[i + 1]);
                            i += 1;
                        }
                        Some('\\') if chars.get(i + 1) == Some(&'\n') => i += 1,
                        Some(&ch) => {
                            if ch == '$' {
                                w.dollars.push(w.text.len());
                            }
                            w.text.push(ch);
                        }
                    }
                    i += 1;
                }
            }
            '#' if cur.is_none() => {
                while i + 1 < chars.len() && chars[i + 1] != '\n' {
                    i += 1;
                }
            }
            '\n' | ';' | '|' | '&' | '<' | '>' => {
                words.extend(cur.take());
                words.push(Word {
                    text: c.to_string(),
                    start: i + 1,
                    op: Some(c),
                    dollars: Vec::new(),
                });
            }
            c if is_c_space(c) => words.extend(cur.take()),
            c => {
                let w = cur.get_or_insert_with(|| new_word(i));
                if c == '$' {
                    w.dollars.push(w.text.len());
                }
                w.text.push(c);
            }
        }
        i += 1;
    }
    words.extend(cur);
    Ok(words)
}

/// `NAME=value` with a shell variable name, and whether the value would be expanded by the shell.
struct Assignment {
    name: String,
    value: String,
    expands: bool,
}

fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn assignment(word: &Word) -> Option<Assignment> {
    let (name, value) = word.text.split_once('=')?;
    if !is_var_name(name) || word.op.is_some() {
        return None;
    }
    let expands = word.dollars.iter().any(|&d| d > name.len());
    Some(Assignment { name: name.to_string(), value: value.to_string(), expands })
}

/// Apply one environment variable: `PG*` through the libpq keywords, `*_URL=postgres://…` as a URL.
fn apply_env(out: &mut ParsedEndpoint, a: &Assignment) -> Result<(), EndpointError> {
    if a.expands {
        out.ignored.push(format!(
            "{}: refers to a shell variable or command ($…), not expanded; enter the value",
            a.name
        ));
        return Ok(());
    }
    let key = match a.name.as_str() {
        "PGHOST" => "host",
        "PGHOSTADDR" => "hostaddr",
        "PGPORT" => "port",
        "PGDATABASE" => "dbname",
        "PGUSER" => "user",
        "PGPASSWORD" => "password",
        "PGSSLMODE" => "sslmode",
        "PGSSLROOTCERT" => "sslrootcert",
        "PGAPPNAME" => "application_name",
        "PGCONNECT_TIMEOUT" => "connect_timeout",
        "PGSERVICE" => "service",
        "PGPASSFILE" => "passfile",
        "PGREQUIRESSL" => "requiressl",
        name if name.starts_with("PG") => {
            out.ignored.push(format!("{}: not a setting Shiftgate uses", shown(name, &a.value)));
            return Ok(());
        }
        name => {
            match scheme_of(a.value.trim()) {
                Some((scheme, rest)) if is_pg_scheme(&scheme) => {
                    out.merge(parse_url(&scheme, rest)?);
                    out.recognised.push(format!("{name}: a connection URL"));
                }
                _ => out
                    .ignored
                    .push(format!("{}: not a PostgreSQL variable", shown(name, &a.value))),
            }
            return Ok(());
        }
    };
    out.set_param(key, &a.name, &a.value)
}

/// Environment lines (POSIX `export`, `declare -x`, csh `setenv`, cmd `set`, PowerShell `$env:`).
/// `Ok(None)` when some line is not an assignment.
pub(super) fn parse_env_block(text: &str) -> Result<Option<ParsedEndpoint>, EndpointError> {
    let mut found = Vec::new();
    let mut offset = 0;
    for line in text.split('\n') {
        let line_offset = offset;
        offset += line.chars().count() + 1;
        let trimmed = line.trim();
        if trimmed.is_empty()
            || trimmed.starts_with('#')
            || trimmed.starts_with("REM ")
            || trimmed.starts_with("::")
        {
            continue;
        }
        let unquote = |v: &str| {
            let v = v.trim();
            strip_wrapping_quotes(v).to_string()
        };
        let lower = trimmed.to_ascii_lowercase();
        if lower.starts_with("set ") && !lower.starts_with("set -") {
            let body = unquote(&trimmed[4..]);
            let Some((name, value)) = body.split_once('=').filter(|(n, _)| is_var_name(n.trim()))
            else {
                return Ok(None);
            };
            found.push(Assignment {
                name: name.trim().to_string(),
                value: unquote(value),
                expands: value.contains('%'),
            });
            continue;
        }
        if lower.starts_with("$env:") {
            let Some((name, value)) =
                trimmed[5..].split_once('=').filter(|(n, _)| is_var_name(n.trim()))
            else {
                return Ok(None);
            };
            found.push(Assignment {
                name: name.trim().to_string(),
                value: unquote(value),
                expands: value.contains('$'),
            });
            continue;
        }
        let looks_like_env = lower.starts_with("export ")
            || trimmed.split_once('=').is_some_and(|(n, _)| is_var_name(n));
        let words = match shell_words(line) {
            Ok(w) => w,
            Err(EndpointError::UnterminatedQuote { quote, position }) if looks_like_env => {
                return Err(EndpointError::UnterminatedQuote {
                    quote,
                    position: position + line_offset,
                });
            }
            Err(_) => return Ok(None),
        };
        let mut words = words.iter().filter(|w| w.op.is_none()).peekable();
        while let Some(w) = words.next() {
            match w.text.as_str() {
                "export" | "declare" | "typeset" | "readonly" | "local" | "env" => {}
                flag if flag.starts_with('-') => {}
                "setenv" => {
                    let (Some(name), value) = (words.next(), words.next()) else {
                        return Ok(None);
                    };
                    if !is_var_name(&name.text) {
                        return Ok(None);
                    }
                    let value = value.map_or(String::new(), |v| v.text.clone());
                    found.push(Assignment { name: name.text.clone(), value, expands: false });
                }
                _ => match assignment(w) {
                    Some(a) => found.push(a),
                    None => return Ok(None),
                },
            }
        }
    }
    if found.is_empty() {
        return Ok(None);
    }
    let mut out = ParsedEndpoint::new_libpq(EndpointFormat::EnvBlock);
    for a in &found {
        apply_env(&mut out, a)?;
    }
    Ok(Some(out))
}

/// psql options that take a value: short letters and long names.
const PSQL_SHORT_WITH_VALUE: &str = "cdfhLopPRTUvF";
const PSQL_LONG_WITH_VALUE: &[&str] = &[
    "command",
    "dbname",
    "file",
    "host",
    "log-file",
    "output",
    "port",
    "pset",
    "record-separator",
    "table-attr",
    "username",
    "set",
    "variable",
    "field-separator",
];

fn is_psql(word: &str) -> bool {
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word).to_ascii_lowercase();
    base == "psql" || base == "psql.exe"
}

/// `-d` / positional database: psql expands a URI or a `key=value` string there.
fn psql_dbname(out: &mut ParsedEndpoint, value: &str) -> Result<(), EndpointError> {
    if let Some((scheme, rest)) = scheme_of(value) {
        out.merge(parse_url(&scheme, rest)?);
    } else if value.contains('=') {
        out.merge(parse_conninfo(value)?);
    } else {
        out.set_param("dbname", "dbname", value)?;
    }
    Ok(())
}

pub(super) fn parse_psql(words: &[Word]) -> Result<Option<ParsedEndpoint>, EndpointError> {
    let end =
        words.iter().position(|w| matches!(w.op, Some(c) if c != '\n')).unwrap_or(words.len());
    let command: Vec<&Word> = words[..end].iter().filter(|w| w.op.is_none()).collect();
    let Some(at) = command.iter().position(|w| is_psql(&w.text)) else {
        return Ok(None);
    };
    let mut out = ParsedEndpoint::new_libpq(EndpointFormat::PsqlCommand);
    for w in &command[..at] {
        match assignment(w) {
            Some(a) => apply_env(&mut out, &a)?,
            None => out.ignored.push(format!("\"{}\" before psql: not used", w.text)),
        }
    }
    if end < words.len() {
        out.ignored.push(format!("shell text from \"{}\" on: not used", words[end].text));
    }
    // psql passes host, port and user before the (expandable) database, so a conninfo wins.
    let (mut simple, mut dbnames, mut positional) = (Vec::new(), Vec::new(), 0);
    let mut args = command[at + 1..].iter();
    let mut options_done = false;
    while let Some(w) = args.next() {
        let arg = w.text.as_str();
        let (name, inline): (String, Option<String>) =
            if options_done || !arg.starts_with('-') || arg == "-" {
                positional += 1;
                match positional {
                    1 => dbnames.push(arg.to_string()),
                    2 => simple.push(("user", arg.to_string())),
                    _ => out.ignored.push(format!("extra argument \"{arg}\": not used")),
                }
                continue;
            } else if arg == "--" {
                options_done = true;
                continue;
            } else if let Some(long) = arg.strip_prefix("--") {
                match long.split_once('=') {
                    Some((n, v)) => (n.to_string(), Some(v.to_string())),
                    None => (long.to_string(), None),
                }
            } else {
                // getopt: flags may be grouped; the first letter that takes a value ends the group.
                let letters: Vec<char> = arg[1..].chars().collect();
                match letters.iter().position(|c| PSQL_SHORT_WITH_VALUE.contains(*c)) {
                    Some(p) => {
                        for flag in &letters[..p] {
                            note_psql_flag(&mut out, &flag.to_string());
                        }
                        let rest: String = letters[p + 1..].iter().collect();
                        (letters[p].to_string(), (!rest.is_empty()).then_some(rest))
                    }
                    None => {
                        for flag in &letters {
                            note_psql_flag(&mut out, &flag.to_string());
                        }
                        continue;
                    }
                }
            };
        let takes_value = if name.len() == 1 {
            PSQL_SHORT_WITH_VALUE.contains(&name)
        } else {
            PSQL_LONG_WITH_VALUE.contains(&name.as_str())
        };
        if !takes_value {
            note_psql_flag(&mut out, &name);
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => args
                .next()
                .map(|w| w.text.clone())
                .ok_or_else(|| EndpointError::MissingValue { option: arg.to_string() })?,
        };
        match name.as_str() {
            "h" | "host" => simple.push(("host", value)),
            "p" | "port" => simple.push(("port", value)),
            "U" | "username" => simple.push(("user", value)),
            "d" | "dbname" => dbnames.push(value),
            other => out.ignored.push(format!(
                "psql option {}{other}: not a connection setting",
                if other.len() == 1 { "-" } else { "--" }
            )),
        }
    }
    for (key, value) in simple {
        out.set_param(key, key, &value)?;
    }
    for db in dbnames {
        psql_dbname(&mut out, &db)?;
    }
    Ok(Some(out))
}

fn note_psql_flag(out: &mut ParsedEndpoint, flag: &str) {
    match flag {
        "W" | "password" => out
            .recognised
            .push("-W: psql would prompt for the password; enter it in Shiftgate".into()),
        "w" | "no-password" => {}
        f => out.ignored.push(format!(
            "psql option {}{f}: not a connection setting",
            if f.len() == 1 { "-" } else { "--" }
        )),
    }
}

/// A word for a POSIX shell: bare when safe, else single-quoted (`'` as `'\''`).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c)) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_handle_quotes_escapes_and_continuations() {
        let words = shell_words("psql -h 'a b' \"c\\\"d\" e\\ f \\\n -p5439 # comment").unwrap();
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["psql", "-h", "a b", "c\"d", "e f", "-p5439"]);
        assert_eq!(
            shell_words("x 'open").unwrap_err(),
            EndpointError::UnterminatedQuote { quote: '\'', position: 3 }
        );
    }
}
