//! `pg_service.conf`: INI sections `[name]` holding libpq `key=value` settings.
//!
//! Keys go through the same libpq mapping as pasted `key=value` text ([`crate::endpoint`]), so
//! `sslmode`, `sslrootcert`, `connect_timeout` … mean the same everywhere. Like libpq, the first
//! section of a name wins; keys before any section are reported and skipped.

use super::{EnvLookup, ImportBatch, ImportError, ImportedProfile};
use crate::endpoint::{EndpointFormat, ParsedEndpoint};
use crate::profile::{Engine, Profile};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

struct Section {
    name: String,
    parsed: ParsedEndpoint,
    /// A repeated name (libpq uses the first) or a malformed line inside: not imported.
    skip: bool,
}

impl Section {
    fn into_imported(self) -> ImportedProfile {
        let parsed = self.parsed.finish();
        let mut profile = Profile::new(parsed.engine.unwrap_or(Engine::Postgres));
        parsed.apply_to(&mut profile);
        profile.name = self.name.clone();
        let mut imported =
            ImportedProfile::new(profile, format!("pg_service.conf [{}]", self.name));
        imported.password = parsed.password.clone();
        imported.warnings = parsed.ignored;
        if parsed.host.is_none() {
            imported
                .warnings
                .push("no host: libpq would use the local socket; enter a host name".into());
        }
        imported
    }
}

/// One profile per `[service]`, named after it.
pub fn parse(text: &str) -> Result<ImportBatch, ImportError> {
    let mut batch = ImportBatch::default();
    let mut sections: Vec<Section> = Vec::new();
    let mut names = HashSet::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let name = match rest.strip_suffix(']').map(str::trim) {
                None => Err(format!("section header \"{line}\" has no closing ]")),
                Some("") => Err("empty section name []".to_string()),
                Some(name) => Ok(name),
            };
            let (name, skip) = match name {
                Ok(name) => {
                    let duplicate = !names.insert(name.to_string());
                    if duplicate {
                        batch.skipped.push(format!(
                            "line {line_no}: [{name}] appears again; libpq uses the first one"
                        ));
                    }
                    (name.to_string(), duplicate)
                }
                Err(why) => {
                    batch.skipped.push(format!(
                        "line {line_no}: {why}; the lines up to the next [service] are skipped"
                    ));
                    (String::new(), true)
                }
            };
            let parsed = ParsedEndpoint::new_libpq(EndpointFormat::KeyValue);
            sections.push(Section { name, parsed, skip });
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            bad_line(
                &mut batch,
                sections.last_mut(),
                line_no,
                format!("expected key=value or [service], found \"{line}\""),
            );
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        let Some(section) = sections.last_mut() else {
            batch.skipped.push(format!(
                "line {line_no}: {key}= comes before any [service] section; libpq ignores it"
            ));
            continue;
        };
        if section.skip && section.name.is_empty() {
            continue; // inside a malformed header, already reported
        }
        if key == "service" {
            bad_line(
                &mut batch,
                Some(section),
                line_no,
                "nested service specifications are not allowed (libpq rejects them too)".into(),
            );
            continue;
        }
        let name = section.name.clone();
        if let Err(e) = section.parsed.set_param(&key.to_ascii_lowercase(), key, value) {
            bad_line(&mut batch, Some(section), line_no, format!("[{name}] {e}"));
        }
    }
    for section in sections {
        if section.skip {
            continue;
        }
        batch.profiles.push(section.into_imported());
    }
    Ok(batch)
}

/// A malformed line inside a section: listed with its line, and the section is not imported (a
/// half-read service would connect somewhere else than the user meant).
fn bad_line(batch: &mut ImportBatch, section: Option<&mut Section>, line_no: usize, why: String) {
    match section {
        Some(s) if !s.skip => {
            s.skip = true;
            batch.skipped.push(format!("line {line_no}: {why}; [{}] not imported", s.name));
        }
        Some(_) => batch.skipped.push(format!("line {line_no}: {why}")),
        None => batch.skipped.push(format!("line {line_no}: {why}; line ignored")),
    }
}

/// Where libpq looks, in order: `PGSERVICEFILE` or `~/.pg_service.conf` (Windows:
/// `%APPDATA%\postgresql\.pg_service.conf`), then `PGSYSCONFDIR/pg_service.conf` or the usual
/// system file. Builds paths only; the caller checks which exist.
pub fn candidate_paths(env: EnvLookup<'_>, home: Option<&Path>) -> Vec<PathBuf> {
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    let mut paths = Vec::new();
    if let Some(file) = set("PGSERVICEFILE") {
        paths.push(PathBuf::from(file));
    } else {
        if let Some(home) = home {
            paths.push(home.join(".pg_service.conf"));
        }
        if let Some(appdata) = set("APPDATA") {
            paths.push(Path::new(&appdata).join("postgresql").join(".pg_service.conf"));
        }
    }
    match set("PGSYSCONFDIR") {
        Some(dir) => paths.push(Path::new(&dir).join("pg_service.conf")),
        None => {
            paths.push(PathBuf::from("/etc/postgresql-common/pg_service.conf"));
            paths.push(PathBuf::from("/etc/pg_service.conf"));
        }
    }
    paths
}
