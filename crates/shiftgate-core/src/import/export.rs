//! Shiftgate's own profile export (TOML or JSON) and its exact re-import.
//!
//! A [`Profile`] holds no secrets, so an export holds none either: passwords, SSH passphrases and
//! tokens stay in each machine's keychain. `password_command` is kept on purpose: it is a command
//! that prints a password (e.g. `aws redshift get-cluster-credentials …`), not a password, and a team
//! sharing profiles wants it. Re-import gives back the same profiles: same ids, same fields.
//!
//! TOML has no null, and a profile's `application_name` defaults to `Some("shiftgate")`, so a field
//! that is `None` where the default is not is listed in an `unset = ["application_name"]` key of
//! that profile. Non-UTF-8 file paths are exported lossily (TOML and JSON hold only text).

use super::pgadmin::json_error;
use super::{ImportError, line_at};
use crate::profile::{Profile, SshAuth, SshHop};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// `format = "shiftgate-profiles"` marks an export; `version` is the layout version.
pub(crate) const FORMAT_TAG: &str = "shiftgate-profiles";
const VERSION: u32 = 1;

const TOML_HEADER: &str = "\
# Shiftgate connection profiles.
# No passwords or other secrets are in this file: they stay in each machine's keychain.
# password_command is kept: it is a command that prints a password, not a password.

";

#[derive(Serialize)]
struct Document<P> {
    format: &'static str,
    version: u32,
    profiles: Vec<P>,
}

#[derive(Serialize)]
struct TomlProfile {
    #[serde(flatten)]
    profile: Profile,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unset: Vec<String>,
}

fn lossless_path(p: &Path) -> PathBuf {
    PathBuf::from(p.to_string_lossy().into_owned())
}

/// A copy whose paths are valid UTF-8, so serialisation cannot fail.
fn exportable(p: &Profile) -> Profile {
    let mut p = p.clone();
    p.ca_file = p.ca_file.as_deref().map(lossless_path);
    let fix_hop = |hop: &mut SshHop| {
        if let SshAuth::Key { path } = &mut hop.auth {
            *path = lossless_path(path);
        }
    };
    fix_hop(&mut p.ssh.bastion);
    p.ssh.jump_hosts.iter_mut().for_each(fix_hop);
    p
}

fn to_json(p: &Profile) -> Value {
    serde_json::to_value(p)
        .expect("a profile with UTF-8 paths serialises to JSON (only strings, numbers, arrays)")
}

/// Dotted paths of fields that are null in `value` but not in `default`.
fn unset_paths(value: &Value, default: &Value, prefix: &str, out: &mut Vec<String>) {
    let (Value::Object(fields), Value::Object(defaults)) = (value, default) else {
        return;
    };
    for (key, v) in fields {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        let d = defaults.get(key).unwrap_or(&Value::Null);
        if v.is_null() && !d.is_null() {
            out.push(path);
        } else {
            unset_paths(v, d, &path, out);
        }
    }
}

/// TOML export, with a header comment saying no secrets are inside.
pub fn export_toml(profiles: &[Profile]) -> String {
    let profiles = profiles
        .iter()
        .map(|p| {
            let profile = exportable(p);
            let mut unset = Vec::new();
            unset_paths(&to_json(&profile), &to_json(&Profile::new(p.engine)), "", &mut unset);
            TomlProfile { profile, unset }
        })
        .collect();
    let doc = Document { format: FORMAT_TAG, version: VERSION, profiles };
    let body = toml::to_string_pretty(&doc)
        .expect("profiles with UTF-8 paths serialise to TOML (nulls are listed in `unset`)");
    format!("{TOML_HEADER}{body}")
}

/// JSON export (pretty-printed).
pub fn export_json(profiles: &[Profile]) -> String {
    let doc = Document {
        format: FORMAT_TAG,
        version: VERSION,
        profiles: profiles.iter().map(exportable).collect(),
    };
    serde_json::to_string_pretty(&doc).expect("profiles with UTF-8 paths serialise to JSON")
}

fn set_null(value: &mut Value, path: &str) {
    let mut node = value;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let Value::Object(map) = node else { return };
        if parts.peek().is_none() {
            map.insert(part.to_string(), Value::Null);
            return;
        }
        node = map.entry(part.to_string()).or_insert_with(|| Value::Object(Default::default()));
    }
}

/// Read back what [`export_toml`] or [`export_json`] wrote (JSON when the text starts with `{`).
pub fn import_export(text: &str) -> Result<Vec<Profile>, ImportError> {
    let body = text.trim_start_matches('\u{feff}');
    let is_json = body.trim_start().starts_with('{');
    let doc: Value = if is_json {
        serde_json::from_str(body).map_err(json_error)?
    } else {
        let table: toml::Table = toml::from_str(body).map_err(|e| {
            let message = format!("not valid TOML: {}", e.message());
            match e.span() {
                Some(span) => ImportError::at(line_at(body, span.start), message),
                None => ImportError::whole_file(message),
            }
        })?;
        serde_json::to_value(&table)
            .map_err(|e| ImportError::whole_file(format!("unreadable TOML value: {e}")))?
    };
    match doc.get("format").and_then(Value::as_str) {
        Some(FORMAT_TAG) => {}
        _ => {
            return Err(ImportError::whole_file(format!(
                "not a Shiftgate export: it lacks format = \"{FORMAT_TAG}\""
            )));
        }
    }
    match doc.get("version").and_then(Value::as_u64) {
        Some(v) if v <= u64::from(VERSION) => {}
        Some(v) => {
            return Err(ImportError::whole_file(format!(
                "written by a newer Shiftgate (export version {v}; this one reads up to {VERSION}): update Shiftgate"
            )));
        }
        None => return Err(ImportError::whole_file("the export has no version number")),
    }
    let entries = match doc.get("profiles") {
        Some(Value::Array(a)) => a.clone(),
        None => Vec::new(),
        Some(_) => return Err(ImportError::whole_file("\"profiles\" must be a list")),
    };
    let header_lines: Vec<usize> =
        body.match_indices("[[profiles]]").map(|(i, _)| line_at(body, i)).collect();
    let mut ids = HashSet::new();
    let mut profiles = Vec::with_capacity(entries.len());
    for (i, mut entry) in entries.into_iter().enumerate() {
        let line = if is_json { None } else { header_lines.get(i).copied() };
        if let Some(Value::Array(unset)) = entry.as_object_mut().and_then(|o| o.remove("unset")) {
            for path in unset.iter().filter_map(Value::as_str) {
                set_null(&mut entry, path);
            }
        }
        let profile: Profile = serde_json::from_value(entry)
            .map_err(|e| ImportError { line, message: format!("profile {}: {e}", i + 1) })?;
        if !ids.insert(profile.id.clone()) {
            return Err(ImportError {
                line,
                message: format!("profile {}: id {} is used twice", i + 1, profile.id),
            });
        }
        profiles.push(profile);
    }
    Ok(profiles)
}
