//! `~/.pgpass` (`pgpass.conf` on Windows): `host:port:database:username:password` lines.
//!
//! Follows libpq: `\` escapes the next character (`\:`, `\\`), a field that is exactly `*` matches
//! anything, lines starting with `#` are comments, the first matching line wins, and the password
//! ends at the next unescaped `:`. Entries with a wildcard cannot become profiles; they stay
//! available to [`lookup`] a password for a profile.

use super::{EnvLookup, ImportBatch, ImportError, ImportedProfile, engine_for, fresh_profile};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// One field of an entry: `*` or a literal value (escapes removed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PgpassField {
    Any,
    Exact(String),
}

impl PgpassField {
    fn matches(&self, value: &str) -> bool {
        match self {
            PgpassField::Any => true,
            PgpassField::Exact(v) => v == value,
        }
    }

    fn exact(&self) -> Option<&str> {
        match self {
            PgpassField::Any => None,
            PgpassField::Exact(v) => Some(v),
        }
    }
}

impl fmt::Display for PgpassField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PgpassField::Any => f.write_str("*"),
            PgpassField::Exact(v) => f.write_str(v),
        }
    }
}

/// One non-comment line. The password is a secret and is not shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct PgpassEntry {
    /// 1-based line in the file.
    pub line: usize,
    pub host: PgpassField,
    pub port: PgpassField,
    pub database: PgpassField,
    pub user: PgpassField,
    pub password: String,
    /// The password went on after an unescaped `:`; like libpq, only the part before it is kept.
    pub password_cut: bool,
}

impl fmt::Debug for PgpassEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PgpassEntry(line {}: {}:{}:{}:{}:<redacted>)",
            self.line, self.host, self.port, self.database, self.user
        )
    }
}

impl PgpassEntry {
    fn has_wildcard(&self) -> bool {
        [&self.host, &self.port, &self.database, &self.user].iter().any(|f| **f == PgpassField::Any)
    }

    fn describe(&self) -> String {
        format!("{}:{}:{}:{}", self.host, self.port, self.database, self.user)
    }
}

/// How many `:` on the line are not escaped (used to sniff the format).
pub(crate) fn unescaped_colons(line: &str) -> usize {
    let mut count = 0;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            ':' => count += 1,
            _ => {}
        }
    }
    count
}

/// Split one line into its four match fields and the password, libpq-style.
fn parse_line(line_no: usize, line: &str) -> Result<PgpassEntry, ImportError> {
    let mut fields: Vec<(String, bool)> = Vec::with_capacity(5);
    let (mut value, mut escaped_any) = (String::new(), false);
    let mut password_cut = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) => {
                    value.push(next);
                    escaped_any = true;
                }
                None => value.push('\\'),
            },
            ':' if fields.len() < 4 => {
                fields.push((std::mem::take(&mut value), std::mem::take(&mut escaped_any)))
            }
            // libpq: the password ends at the next unescaped colon; anything after is ignored.
            ':' => {
                password_cut = true;
                break;
            }
            c => value.push(c),
        }
    }
    if fields.len() < 4 {
        return Err(ImportError::at(
            line_no,
            format!(
                "expected host:port:database:username:password, found {} field{} (escape a literal : as \\:)",
                fields.len() + 1,
                if fields.is_empty() { "" } else { "s" }
            ),
        ));
    }
    let field = |(v, escaped): (String, bool)| {
        if v == "*" && !escaped { PgpassField::Any } else { PgpassField::Exact(v) }
    };
    let mut it = fields.into_iter().map(field);
    let mut next = || it.next().unwrap_or(PgpassField::Any);
    let (host, port, database, user) = (next(), next(), next(), next());
    if let PgpassField::Exact(p) = &port
        && !matches!(p.parse::<u16>(), Ok(n) if n > 0)
    {
        return Err(ImportError::at(
            line_no,
            format!("port \"{p}\" is not a number between 1 and 65535 or *"),
        ));
    }
    Ok(PgpassEntry { line: line_no, host, port, database, user, password: value, password_cut })
}

/// Every entry of the file, in order. A malformed line fails the whole file with its line number.
pub fn parse_entries(text: &str) -> Result<Vec<PgpassEntry>, ImportError> {
    let (entries, mut bad) = parse_entries_lenient(text);
    if bad.is_empty() { Ok(entries) } else { Err(bad.remove(0)) }
}

/// Every well-formed entry, in order, and one error (with its line) per malformed line; libpq
/// itself skips such lines.
pub fn parse_entries_lenient(text: &str) -> (Vec<PgpassEntry>, Vec<ImportError>) {
    let mut entries = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line = if i == 0 { line.trim_start_matches('\u{feff}') } else { line };
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        match parse_line(i + 1, line) {
            Ok(entry) => entries.push(entry),
            Err(e) => bad.push(e),
        }
    }
    (entries, bad)
}

/// The password libpq would use: the first entry whose four fields match (`*` matches anything).
pub fn lookup(
    entries: &[PgpassEntry],
    host: &str,
    port: u16,
    database: &str,
    user: &str,
) -> Option<String> {
    entries
        .iter()
        .find(|e| {
            e.host.matches(host)
                && e.port.exact().is_none_or(|p| p.parse::<u16>() == Ok(port))
                && e.database.matches(database)
                && e.user.matches(user)
        })
        .map(|e| e.password.clone())
}

/// One profile per entry without wildcards; the rest, and malformed lines (with their line
/// number), are listed in `skipped`. Never fails: a file of nothing but bad lines imports nothing.
pub fn parse(text: &str) -> Result<ImportBatch, ImportError> {
    let (entries, bad) = parse_entries_lenient(text);
    let mut batch = ImportBatch::default();
    for e in bad {
        batch.skipped.push(format!("{e}; line skipped (libpq skips it too)"));
    }
    let mut first_line: HashMap<(String, String, String, String), usize> = HashMap::new();
    for e in entries {
        if e.has_wildcard() {
            batch.skipped.push(format!(
                "line {}: {} has a * wildcard; kept for password look-up, not imported as a profile",
                e.line,
                e.describe()
            ));
            continue;
        }
        let text_of = |f: &PgpassField| f.exact().unwrap_or_default().to_string();
        let (host, port, database, user) =
            (text_of(&e.host), text_of(&e.port), text_of(&e.database), text_of(&e.user));
        if host.starts_with('/') {
            batch.skipped.push(format!(
                "line {}: host {host} is a Unix socket directory; Shiftgate connects over TCP",
                e.line
            ));
            continue;
        }
        let key = (host.clone(), port.clone(), database.clone(), user.clone());
        if let Some(first) = first_line.get(&key) {
            batch.skipped.push(format!(
                "line {}: same server as line {first}, which libpq uses first",
                e.line
            ));
            continue;
        }
        first_line.insert(key, e.line);
        let port: u16 = port.parse().unwrap_or_default();
        let engine = engine_for(&host, Some(port));
        let mut profile = fresh_profile(engine, format!("{user}@{host}/{database}"), None);
        profile.host = host;
        profile.port = port;
        profile.database = database;
        profile.user = user;
        let mut imported = ImportedProfile::new(profile, format!(".pgpass line {}", e.line));
        if e.password_cut {
            imported.warnings.push(format!(
                "line {}: the password has an unescaped \":\"; like libpq, only the part before it \
                 is used (write \\: for a literal colon)",
                e.line
            ));
        }
        if e.password.is_empty() {
            imported
                .warnings
                .push("the password field is empty; libpq treats that as no password".into());
        } else {
            imported.password = Some(e.password);
        }
        batch.profiles.push(imported);
    }
    Ok(batch)
}

/// libpq ignores a password file that group or others can read (or that is not a plain file);
/// `mode` is `st_mode` from `stat`. `None` when the file is fine.
pub fn permission_warning(mode: u32) -> Option<String> {
    const TYPE_MASK: u32 = 0o170000;
    const REGULAR: u32 = 0o100000;
    if mode & TYPE_MASK != 0 && mode & TYPE_MASK != REGULAR {
        return Some("The password file is not a plain file; libpq ignores it.".into());
    }
    let perms = mode & 0o777;
    if perms & 0o077 != 0 {
        return Some(format!(
            "The password file has permissions {perms:04o}, readable by group or others; libpq ignores it. \
             Run: chmod 0600 ~/.pgpass"
        ));
    }
    None
}

/// Where libpq looks: `PGPASSFILE`, else `~/.pgpass` (`%APPDATA%\postgresql\pgpass.conf` on
/// Windows). Builds paths only; the caller checks which exist.
pub fn candidate_paths(env: EnvLookup<'_>, home: Option<&Path>) -> Vec<PathBuf> {
    if let Some(file) = env("PGPASSFILE").filter(|f| !f.is_empty()) {
        return vec![PathBuf::from(file)];
    }
    let mut paths = Vec::new();
    if let Some(home) = home {
        paths.push(home.join(".pgpass"));
    }
    if let Some(appdata) = env("APPDATA").filter(|a| !a.is_empty()) {
        paths.push(Path::new(&appdata).join("postgresql").join("pgpass.conf"));
    }
    paths
}
