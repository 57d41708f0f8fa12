//! Import connection profiles from files users already have, and plan what an import changes.
//!
//! Formats: `~/.pgpass`, `pg_service.conf`, dbt `profiles.yml`, pgAdmin `servers.json`, DBeaver
//! `data-sources.json`, and Shiftgate's own export ([`export`]). Every parser takes the file's text
//! (the caller reads files). A malformed entry (a pgpass line, a pg_service section, a dbt target,
//! a pgAdmin or DBeaver connection) is listed in [`ImportBatch::skipped`] with its line number and
//! the other entries are imported, as libpq skips bad lines; only a file that cannot be read as a
//! whole (broken YAML or JSON, the wrong kind of file) is an [`ImportError`] with the line.
//!
//! Must not: read files or the environment (an env lookup is passed in), or put a password into a
//! [`Profile`]: a password found in a file comes back in [`ImportedProfile::password`] for the
//! caller to hand to the secret store.

pub mod apply;
pub mod dbeaver;
pub mod dbt;
pub mod export;
pub mod pg_service;
pub mod pgadmin;
pub mod pgpass;

use crate::endpoint::redshift_host;
use crate::profile::{Engine, Profile, ProfileId, SslMode};
use std::collections::HashMap;
use std::fmt;

/// Looks an environment variable up (`std::env::var(..).ok()` in the app, a map in tests).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Why a file could not be imported. `line` is 1-based when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub line: Option<usize>,
    pub message: String,
}

impl ImportError {
    pub fn at(line: usize, message: impl Into<String>) -> Self {
        ImportError { line: Some(line), message: message.into() }
    }

    pub fn whole_file(message: impl Into<String>) -> Self {
        ImportError { line: None, message: message.into() }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// One profile found in a file.
#[derive(Clone, PartialEq)]
pub struct ImportedProfile {
    /// A fresh id (or the exported id for Shiftgate's own files) and a name derived from the source.
    pub profile: Profile,
    /// A SECRET: route it to the secret store.
    pub password: Option<String>,
    /// Where it came from, e.g. `pg_service.conf [sales]`.
    pub source: String,
    pub warnings: Vec<String>,
}

impl fmt::Debug for ImportedProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportedProfile")
            .field("profile", &self.profile)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("source", &self.source)
            .field("warnings", &self.warnings)
            .finish()
    }
}

impl ImportedProfile {
    pub(crate) fn new(profile: Profile, source: impl Into<String>) -> Self {
        ImportedProfile { profile, password: None, source: source.into(), warnings: Vec::new() }
    }
}

/// What one file yielded: profiles, and entries that could not become profiles (with why).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportBatch {
    pub profiles: Vec<ImportedProfile>,
    /// e.g. "line 3: *:*:*:admin has a * wildcard; kept for password look-up only".
    pub skipped: Vec<String>,
}

/// The file formats [`parse`] understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportFormat {
    Pgpass,
    PgService,
    DbtProfiles,
    PgAdminServers,
    DbeaverDataSources,
    /// Shiftgate's own export, TOML or JSON.
    ShiftgateExport,
}

impl ImportFormat {
    pub const ALL: [ImportFormat; 6] = [
        ImportFormat::Pgpass,
        ImportFormat::PgService,
        ImportFormat::DbtProfiles,
        ImportFormat::PgAdminServers,
        ImportFormat::DbeaverDataSources,
        ImportFormat::ShiftgateExport,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ImportFormat::Pgpass => "~/.pgpass",
            ImportFormat::PgService => "pg_service.conf",
            ImportFormat::DbtProfiles => "dbt profiles.yml",
            ImportFormat::PgAdminServers => "pgAdmin servers.json",
            ImportFormat::DbeaverDataSources => "DBeaver data-sources.json",
            ImportFormat::ShiftgateExport => "Shiftgate export",
        }
    }
}

/// Guess the format from the file name, then from the content. `None`: ask the user.
pub fn detect_format(file_name: &str, text: &str) -> Option<ImportFormat> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name).to_ascii_lowercase();
    match base.as_str() {
        ".pgpass" | "pgpass" | "pgpass.conf" => return Some(ImportFormat::Pgpass),
        "pg_service.conf" | ".pg_service.conf" => return Some(ImportFormat::PgService),
        "profiles.yml" | "profiles.yaml" => return Some(ImportFormat::DbtProfiles),
        "servers.json" => return Some(ImportFormat::PgAdminServers),
        b if b.starts_with("data-sources") && b.ends_with(".json") => {
            return Some(ImportFormat::DbeaverDataSources);
        }
        _ => {}
    }
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(body).ok()?;
        return if value.get("Servers").is_some() {
            Some(ImportFormat::PgAdminServers)
        } else if value.get("connections").is_some() {
            Some(ImportFormat::DbeaverDataSources)
        } else if value.get("profiles").is_some() {
            Some(ImportFormat::ShiftgateExport)
        } else {
            None
        };
    }
    let lines: Vec<&str> =
        body.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    if lines.iter().any(|l| l.starts_with("[[profiles]]")) || body.contains(export::FORMAT_TAG) {
        return Some(ImportFormat::ShiftgateExport);
    }
    if base.ends_with(".yml") || base.ends_with(".yaml") || lines.contains(&"outputs:") {
        return Some(ImportFormat::DbtProfiles);
    }
    if lines.first().is_some_and(|l| l.starts_with('[') && l.ends_with(']')) {
        return Some(ImportFormat::PgService);
    }
    if !lines.is_empty() && lines.iter().all(|l| pgpass::unescaped_colons(l) >= 4) {
        return Some(ImportFormat::Pgpass);
    }
    None
}

/// Parse `text` as `format`. `env` resolves dbt's `env_var()`.
pub fn parse(
    format: ImportFormat,
    text: &str,
    env: EnvLookup<'_>,
) -> Result<ImportBatch, ImportError> {
    match format {
        ImportFormat::Pgpass => pgpass::parse(text),
        ImportFormat::PgService => pg_service::parse(text),
        ImportFormat::DbtProfiles => dbt::parse(text, env),
        ImportFormat::PgAdminServers => pgadmin::parse(text),
        ImportFormat::DbeaverDataSources => dbeaver::parse(text),
        ImportFormat::ShiftgateExport => {
            let profiles = export::import_export(text)?
                .into_iter()
                .map(|p| {
                    let source = format!("Shiftgate export \"{}\"", p.display_name());
                    ImportedProfile::new(p, source)
                })
                .collect();
            Ok(ImportBatch { profiles, skipped: Vec::new() })
        }
    }
}

/// Redshift when the host or port says so, else PostgreSQL (files from libpq tools).
pub(crate) fn engine_for(host: &str, port: Option<u16>) -> Engine {
    if redshift_host(host).is_some() || port == Some(5439) {
        Engine::Redshift
    } else {
        Engine::Postgres
    }
}

/// 1-based line of the first occurrence of `needle` in `text`.
pub(crate) fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.find(needle).map(|i| line_at(text, i))
}

/// 1-based line of byte offset `index`.
pub(crate) fn line_at(text: &str, index: usize) -> usize {
    text.as_bytes()[..index.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// What an import would do, for a preview dialog.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportPlan {
    pub create: Vec<ImportedProfile>,
    pub update: Vec<ImportUpdate>,
    pub skip: Vec<ImportSkip>,
}

/// An imported profile that matches an existing one.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportUpdate {
    pub existing: ProfileId,
    /// The existing profile as it was when planned: an import writes `merged` only while the
    /// store still holds this version.
    pub before: Profile,
    /// The existing profile with the imported values applied (its id; its name unless matched by id).
    pub merged: Profile,
    pub imported: ImportedProfile,
    /// e.g. `same host, port, database and user as "prod"`.
    pub reason: String,
    /// e.g. `port: 5432 → 5439`; `password: saved to the keychain` when the file had one.
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportSkip {
    pub imported: ImportedProfile,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ServerKey(String, u16, String, String);

fn server_key(p: &Profile) -> Option<ServerKey> {
    let host = p.host.trim().to_ascii_lowercase();
    (!host.is_empty()).then(|| ServerKey(host, p.port, p.database.clone(), p.user.clone()))
}

fn name_key(p: &Profile) -> Option<String> {
    let name = p.name.trim().to_lowercase();
    (!name.is_empty()).then_some(name)
}

/// Sort imported profiles into create / update / skip against `existing`.
///
/// Match order: same id (Shiftgate exports), then same host+port+database+user, then same name.
/// A match whose merged result equals the existing profile, with no password to store, is skipped;
/// an imported profile for the same server as an earlier one in the list is skipped too (libpq's
/// first-match rule).
pub fn plan(existing: &[Profile], imported: Vec<ImportedProfile>) -> ImportPlan {
    let by_id: HashMap<&ProfileId, &Profile> = existing.iter().map(|p| (&p.id, p)).collect();
    let mut by_server: HashMap<ServerKey, &Profile> = HashMap::new();
    let mut by_name: HashMap<String, &Profile> = HashMap::new();
    for p in existing {
        if let Some(k) = server_key(p) {
            by_server.entry(k).or_insert(p);
        }
        if let Some(k) = name_key(p) {
            by_name.entry(k).or_insert(p);
        }
    }
    let mut seen: HashMap<ServerKey, String> = HashMap::new();
    let mut plan = ImportPlan::default();
    for imp in imported {
        let key = server_key(&imp.profile);
        if let Some(earlier) = key.as_ref().and_then(|k| seen.get(k)) {
            let reason = format!("same server as {earlier}, which comes first");
            plan.skip.push(ImportSkip { imported: imp, reason });
            continue;
        }
        if let Some(k) = key.clone() {
            seen.insert(k, imp.source.clone());
        }
        let matched = by_id
            .get(&imp.profile.id)
            .map(|p| (*p, "same id as", true))
            .or_else(|| {
                key.as_ref()
                    .and_then(|k| by_server.get(k))
                    .map(|p| (*p, "same host, port, database and user as", false))
            })
            .or_else(|| {
                name_key(&imp.profile)
                    .and_then(|k| by_name.get(&k))
                    .map(|p| (*p, "same name as", false))
            });
        let Some((old, why, by_id)) = matched else {
            plan.create.push(imp);
            continue;
        };
        let merged = if by_id { imp.profile.clone() } else { merge_into(old, &imp.profile) };
        let mut changes = changes(old, &merged);
        if changes.is_empty() && imp.password.is_none() {
            let reason = format!("identical to \"{}\"", old.display_name());
            plan.skip.push(ImportSkip { imported: imp, reason });
            continue;
        }
        if imp.password.is_some() {
            changes.push("password: saved to the keychain".into());
        }
        let reason = format!("{why} \"{}\"", old.display_name());
        plan.update.push(ImportUpdate {
            existing: old.id.clone(),
            before: old.clone(),
            merged,
            imported: imp,
            reason,
            changes,
        });
    }
    plan
}

/// `old` with what the import says. Fields an import left at the engine default, and empty ones, do
/// not overwrite a value the user set (imports rarely carry notes, colours or SSH).
fn merge_into(old: &Profile, new: &Profile) -> Profile {
    let defaults = Profile::new(new.engine);
    let mut m = old.clone();
    m.engine = new.engine;
    if !new.host.is_empty() {
        m.host = new.host.clone();
    }
    m.port = new.port;
    if !new.database.is_empty() {
        m.database = new.database.clone();
    }
    if !new.user.is_empty() {
        m.user = new.user.clone();
    }
    if new.sslmode != defaults.sslmode {
        m.sslmode = new.sslmode;
    }
    if new.ca_file.is_some() {
        m.ca_file = new.ca_file.clone();
    }
    if new.connect_timeout_secs != defaults.connect_timeout_secs {
        m.connect_timeout_secs = new.connect_timeout_secs;
    }
    if new.application_name != defaults.application_name {
        m.application_name = new.application_name.clone();
    }
    if !new.notes.is_empty() {
        m.notes = new.notes.clone();
    }
    if new.color.is_some() {
        m.color = new.color;
    }
    if new.password_command.is_some() {
        m.password_command = new.password_command.clone();
    }
    if new.ssh.enabled {
        m.ssh = new.ssh.clone();
    }
    m
}

/// Human lines for each field that differs.
fn changes(old: &Profile, new: &Profile) -> Vec<String> {
    let mut out = Vec::new();
    let mut diff = |label: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{label}: {a} → {b}"));
        }
    };
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "(none)".into());
    let path = |o: &Option<std::path::PathBuf>| {
        o.as_ref().map_or("(none)".into(), |p| p.display().to_string())
    };
    diff("name", old.name.clone(), new.name.clone());
    diff("engine", old.engine.to_string(), new.engine.to_string());
    diff("host", old.host.clone(), new.host.clone());
    diff("port", old.port.to_string(), new.port.to_string());
    diff("database", old.database.clone(), new.database.clone());
    diff("user", old.user.clone(), new.user.clone());
    diff("sslmode", old.sslmode.to_string(), new.sslmode.to_string());
    diff("CA file", path(&old.ca_file), path(&new.ca_file));
    diff(
        "connect timeout",
        old.connect_timeout_secs.to_string(),
        new.connect_timeout_secs.to_string(),
    );
    diff("application name", opt(&old.application_name), opt(&new.application_name));
    diff("password command", opt(&old.password_command), opt(&new.password_command));
    diff("colour", format!("{:?}", old.color), format!("{:?}", new.color));
    if old.notes != new.notes {
        out.push("notes: replaced".into());
    }
    if old.ssh != new.ssh {
        out.push(format!(
            "SSH: {}",
            if new.ssh.enabled { format!("via {}", new.ssh.bastion.host) } else { "off".into() }
        ));
    }
    if old.password_mode != new.password_mode {
        out.push("password mode changed".into());
    }
    out
}

/// A fresh profile named `name` for `engine`, with `sslmode` when the source gave one.
pub(crate) fn fresh_profile(engine: Engine, name: String, sslmode: Option<SslMode>) -> Profile {
    let mut p = Profile::new(engine);
    p.name = name;
    if let Some(m) = sslmode {
        p.sslmode = m;
    }
    p
}
