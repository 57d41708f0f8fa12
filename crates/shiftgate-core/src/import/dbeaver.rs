//! DBeaver `data-sources.json` (workspace `.dbeaver/` folder): non-secret fields only.
//!
//! Reads `connections` → `{ provider, driver, name, folder, configuration: { host, port, database,
//! user, url, handlers: { postgre_ssl, ssh_tunnel } } }`. Credentials live in DBeaver's encrypted
//! `credentials-config.json`, which is not read. PostgreSQL and Redshift connections are imported
//! (provider or driver naming them); others are skipped and listed.

use super::pgadmin::{json_error, port, text};
use super::{ImportBatch, ImportError, ImportedProfile, engine_for, fresh_profile};
use crate::endpoint::parse_pasted;
use crate::profile::{Engine, SshAuth, SshHop, SslMode};
use serde_json::Value;
use std::path::PathBuf;

pub fn parse(text_in: &str) -> Result<ImportBatch, ImportError> {
    let root: Value =
        serde_json::from_str(text_in.trim_start_matches('\u{feff}')).map_err(json_error)?;
    let connections = root.get("connections").and_then(Value::as_object).ok_or_else(|| {
        ImportError::whole_file(
            "no \"connections\" object: this is not a DBeaver data-sources.json",
        )
    })?;
    let mut batch = ImportBatch::default();
    for (id, conn) in connections {
        let name = text(conn.get("name")).unwrap_or_else(|| id.clone());
        let kind = format!(
            "{} {}",
            text(conn.get("provider")).unwrap_or_default(),
            text(conn.get("driver")).unwrap_or_default()
        )
        .to_ascii_lowercase();
        let redshift = kind.contains("redshift");
        if !redshift && !kind.contains("postgres") {
            let provider = text(conn.get("provider")).unwrap_or_else(|| "unknown".into());
            batch
                .skipped
                .push(format!("\"{name}\": provider {provider} is not PostgreSQL or Redshift"));
            continue;
        }
        match read_connection(&name, redshift, conn) {
            Ok(imported) => batch.profiles.push(imported),
            // One bad connection does not keep the others out.
            Err(e) => {
                let line = super::pgadmin::key_line(text_in, "\"connections\"", id);
                let at = line.map(|l| format!("line {l}: ")).unwrap_or_default();
                batch.skipped.push(format!("{at}{}; not imported", e.message));
            }
        }
    }
    Ok(batch)
}

fn read_connection(
    name: &str,
    redshift: bool,
    conn: &Value,
) -> Result<ImportedProfile, ImportError> {
    let what = format!("connection \"{name}\"");
    let empty = Value::Null;
    let config = conn.get("configuration").unwrap_or(&empty);
    let mut warnings = Vec::new();
    let mut host = text(config.get("host")).unwrap_or_default();
    let mut port = port(config.get("port"), &what)?;
    let mut database = text(config.get("database"));
    let mut user = text(config.get("user"));
    if host.is_empty()
        && let Some(url) = text(config.get("url"))
    {
        match parse_pasted(&url) {
            Ok(parsed) => {
                host = parsed.host.clone().unwrap_or_default();
                port = port.or(parsed.port);
                database = database.or(parsed.database.clone());
                user = user.or(parsed.user.clone());
                warnings.extend(parsed.ignored);
            }
            Err(e) => warnings.push(format!("its URL could not be read: {e}")),
        }
    }
    let engine = if redshift { Engine::Redshift } else { engine_for(&host, port) };
    let mut profile = fresh_profile(engine, name.to_string(), None);
    profile.host = host.trim().to_string();
    if let Some(p) = port {
        profile.port = p;
    }
    if let Some(db) = database {
        profile.database = db;
    }
    if let Some(u) = user {
        profile.user = u;
    }
    if let Some(handlers) = config.get("handlers").and_then(Value::as_object) {
        for (handler_id, handler) in handlers {
            let enabled = handler.get("enabled").and_then(Value::as_bool).unwrap_or(false);
            let props = handler.get("properties");
            let prop = |k: &str| props.and_then(|p| p.get(k));
            if !enabled {
                continue;
            }
            if handler_id.contains("ssl") {
                if let Some(mode) = text(prop("sslMode")).or_else(|| text(prop("ssl.mode"))) {
                    profile.sslmode = SslMode::parse(&mode).ok_or_else(|| {
                        ImportError::whole_file(format!("{what}: unknown SSL mode \"{mode}\""))
                    })?;
                }
                if let Some(ca) = text(prop("ssl.ca.cert")).or_else(|| text(prop("sslRootCert"))) {
                    profile.ca_file = Some(PathBuf::from(ca));
                }
                if text(prop("ssl.client.cert")).is_some() {
                    warnings.push("client certificates are not supported yet".into());
                }
            } else if handler_id == "ssh_tunnel" {
                profile.ssh.enabled = true;
                let mut hop =
                    SshHop { host: text(prop("host")).unwrap_or_default(), ..SshHop::default() };
                if let Some(p) = super::pgadmin::port(prop("port"), &format!("{what} SSH tunnel"))?
                {
                    hop.port = p;
                }
                hop.user = text(prop("user")).unwrap_or_default();
                hop.auth = match text(prop("authType")).unwrap_or_default().as_str() {
                    "PUBLIC_KEY" => SshAuth::Key {
                        path: PathBuf::from(text(prop("keyPath")).unwrap_or_default()),
                    },
                    "AGENT" => SshAuth::Agent,
                    _ => SshAuth::Password,
                };
                profile.ssh.bastion = hop;
            } else {
                warnings.push(format!("DBeaver network handler \"{handler_id}\" is not supported"));
            }
        }
    }
    if let Some(folder) = text(conn.get("folder")) {
        warnings
            .push(format!("DBeaver folder \"{folder}\" is not kept (Shiftgate has no folders)"));
    }
    if profile.host.is_empty() {
        warnings.push("no host; enter one".into());
    }
    let mut imported =
        ImportedProfile::new(profile, format!("DBeaver data-sources.json \"{name}\""));
    imported.warnings = warnings;
    Ok(imported)
}
