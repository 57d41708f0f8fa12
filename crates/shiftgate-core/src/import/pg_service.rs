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
    duplicate: bool,
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
            let name = rest
                .strip_suffix(']')
                .ok_or_else(|| {
                    ImportError::at(line_no, format!("section header \"{line}\" has no closing ]"))
                })?
                .trim();
            if name.is_empty() {
                return Err(ImportError::at(line_no, "empty section name []"));
            }
            let duplicate = !names.insert(name.to_string());
            if duplicate {
                batch.skipped.push(format!(
                    "line {line_no}: [{name}] appears again; libpq uses the first one"
                ));
            }
            let parsed = ParsedEndpoint::new_libpq(EndpointFormat::KeyValue);
            sections.push(Section { name: name.to_string(), parsed, duplicate });
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(ImportError::at(
                line_no,
                format!("expected key=value or [service], found \"{line}\""),
            ));
        };
        let (key, value) = (key.trim(), value.trim());
        let Some(section) = sections.last_mut() else {
            batch.skipped.push(format!(
                "line {line_no}: {key}= comes before any [service] section; libpq ignores it"
            ));
            continue;
        };
        if key == "service" {
            return Err(ImportError::at(
                line_no,
                "nested service specifications are not allowed (libpq rejects them too)",
            ));
        }
        section
            .parsed
            .set_param(&key.to_ascii_lowercase(), key, value)
            .map_err(|e| ImportError::at(line_no, format!("[{}] {e}", section.name)))?;
    }
    for section in sections {
        if section.duplicate {
            continue;
        }
        batch.profiles.push(section.into_imported());
    }
    Ok(batch)
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
