//! pgAdmin 4 `servers.json` (`setup.py dump-servers` / Tools → Export Servers).
//!
//! Reads `Servers` → `{ Name, Group, Host, HostAddr, Port, MaintenanceDB, Username, SSLMode,
//! Comment, BGColor, PasswordExecCommand, Use/Tunnel* }`; pgAdmin 7+ keeps `sslmode`,
//! `sslrootcert`, `connect_timeout` in `ConnectionParameters`. pgAdmin never exports passwords.

use super::{ImportBatch, ImportError, ImportedProfile, engine_for, fresh_profile};
use crate::profile::{SshAuth, SshHop, SslMode};
use serde_json::Value;
use std::path::PathBuf;

/// 1-based line of `"key":` inside the object that follows `section` (e.g. `"Servers"`).
pub(crate) fn key_line(text: &str, section: &str, key: &str) -> Option<usize> {
    let start = text.find(section)? + section.len();
    let quoted = serde_json::to_string(key).ok()?;
    let mut from = start;
    while let Some(i) = text[from..].find(&quoted) {
        let at = from + i;
        let after = text[at + quoted.len()..].trim_start();
        if after.starts_with(':') {
            return Some(super::line_at(text, at));
        }
        from = at + quoted.len();
    }
    None
}

pub(crate) fn json_error(e: serde_json::Error) -> ImportError {
    ImportError::at(e.line().max(1), format!("not valid JSON: {e}"))
}

/// A JSON string, or a number written as text.
pub(crate) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
    .filter(|s| !s.trim().is_empty())
}

/// A port given as a number or a string; `what` names it in the error.
pub(crate) fn port(v: Option<&Value>, what: &str) -> Result<Option<u16>, ImportError> {
    let Some(raw) = text(v) else { return Ok(None) };
    match raw.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok(Some(p)),
        _ => Err(ImportError::whole_file(format!(
            "{what}: port \"{raw}\" is not a number between 1 and 65535"
        ))),
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true"),
        _ => false,
    }
}

/// `#rrggbb` → RGB.
fn colour(v: Option<&Value>) -> Option<[u8; 3]> {
    let hex = text(v)?;
    let hex = hex.trim().strip_prefix('#')?;
    if hex.len() != 6 || !hex.is_ascii() {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

pub fn parse(text_in: &str) -> Result<ImportBatch, ImportError> {
    let root: Value =
        serde_json::from_str(text_in.trim_start_matches('\u{feff}')).map_err(json_error)?;
    let servers = root.get("Servers").and_then(Value::as_object).ok_or_else(|| {
        ImportError::whole_file("no \"Servers\" object: this is not a pgAdmin servers.json export")
    })?;
    let mut batch = ImportBatch::default();
    for (key, server) in servers {
        match read_server(key, server) {
            Ok(imported) => batch.profiles.push(imported),
            // One bad server does not keep the others out.
            Err(e) => {
                let line = key_line(text_in, "\"Servers\"", key);
                let at = line.map(|l| format!("line {l}: ")).unwrap_or_default();
                batch.skipped.push(format!("{at}{}; not imported", e.message));
            }
        }
    }
    Ok(batch)
}

fn read_server(key: &str, server: &Value) -> Result<ImportedProfile, ImportError> {
    let name = text(server.get("Name")).unwrap_or_else(|| format!("pgAdmin server {key}"));
    let what = format!("server {key} (\"{name}\")");
    let params = server.get("ConnectionParameters");
    let param = |k: &str| params.and_then(|p| p.get(k));
    let host = text(server.get("Host"))
        .or_else(|| text(server.get("HostAddr")))
        .or_else(|| text(param("host")))
        .unwrap_or_default();
    let port = port(server.get("Port").or_else(|| param("port")), &what)?;
    let sslmode =
        match text(server.get("SSLMode")).or_else(|| text(param("sslmode"))) {
            Some(m) => Some(SslMode::parse(&m).ok_or_else(|| {
                ImportError::whole_file(format!("{what}: unknown SSL mode \"{m}\""))
            })?),
            None => None,
        };
    let mut profile = fresh_profile(engine_for(&host, port), name.clone(), sslmode);
    let mut warnings = Vec::new();
    profile.host = host.trim().to_string();
    if let Some(p) = port {
        profile.port = p;
    }
    if let Some(db) = text(server.get("MaintenanceDB")).or_else(|| text(param("dbname"))) {
        profile.database = db;
    }
    if let Some(user) = text(server.get("Username")).or_else(|| text(param("user"))) {
        profile.user = user;
    }
    if let Some(ca) = text(server.get("SSLRootCert")).or_else(|| text(param("sslrootcert"))) {
        profile.ca_file = Some(PathBuf::from(ca));
    }
    if let Some(secs) =
        text(param("connect_timeout")).and_then(|s| s.trim().parse::<u32>().ok()).filter(|s| *s > 0)
    {
        profile.connect_timeout_secs = secs;
    }
    profile.notes = text(server.get("Comment")).unwrap_or_default();
    profile.color = colour(server.get("BGColor"));
    profile.password_command = text(server.get("PasswordExecCommand"));
    if let Some(group) = text(server.get("Group")).filter(|g| g != "Servers") {
        warnings.push(format!("pgAdmin group \"{group}\" is not kept (Shiftgate has no groups)"));
    }
    if let Some(service) = text(server.get("Service")).or_else(|| text(param("service"))) {
        warnings.push(format!(
            "uses pg_service.conf entry \"{service}\"; import that file for its settings"
        ));
    }
    if truthy(server.get("KerberosAuthentication")) {
        warnings.push("Kerberos authentication is not supported; enter a password".into());
    }
    if truthy(server.get("UseSSHTunnel")) {
        read_tunnel(server, &mut profile.ssh, &mut warnings, &what)?;
    }
    if profile.host.is_empty() {
        warnings.push("no host; enter one".into());
    }
    let mut imported = ImportedProfile::new(profile, format!("pgAdmin servers.json \"{name}\""));
    imported.warnings = warnings;
    Ok(imported)
}

fn read_tunnel(
    server: &Value,
    ssh: &mut crate::profile::SshSettings,
    warnings: &mut Vec<String>,
    what: &str,
) -> Result<(), ImportError> {
    ssh.enabled = true;
    let mut hop =
        SshHop { host: text(server.get("TunnelHost")).unwrap_or_default(), ..SshHop::default() };
    if let Some(p) = port(server.get("TunnelPort"), &format!("{what} SSH tunnel"))? {
        hop.port = p;
    }
    hop.user = text(server.get("TunnelUsername")).unwrap_or_default();
    // pgAdmin: TunnelAuthentication 0 = password, 1 = identity file.
    hop.auth = if truthy(server.get("TunnelAuthentication")) {
        match text(server.get("TunnelIdentityFile")) {
            Some(path) => SshAuth::Key { path: PathBuf::from(path) },
            None => {
                warnings
                    .push("SSH tunnel uses an identity file but none is named; choose one".into());
                SshAuth::Key { path: PathBuf::new() }
            }
        }
    } else {
        SshAuth::Password
    };
    if let Some(secs) =
        text(server.get("TunnelKeepAlive")).and_then(|s| s.parse::<u32>().ok()).filter(|s| *s > 0)
    {
        ssh.keepalive_secs = secs;
    }
    ssh.bastion = hop;
    Ok(())
}
