//! dbt `profiles.yml`: `profile → outputs → target` entries of `type: postgres` or `type: redshift`.
//!
//! Values may use `{{ env_var('X') }}` or `{{ env_var('X', 'default') }}` (with `| int`,
//! `| as_number`, `| as_text`, `| string`, `| trim` filters); they are resolved through the env
//! lookup the caller passes. A variable that is unset and has no default fails the import, naming
//! the variable. Other Jinja is not evaluated: that field is left empty with a warning. Targets of
//! other types are skipped and listed.

use super::{
    EnvLookup, ImportBatch, ImportError, ImportedProfile, fresh_profile, line_at, line_of,
};
use crate::profile::{AuthMethod, Engine, SslMode};
use serde_norway::{Mapping, Value};
use std::path::PathBuf;

fn yaml_error(e: serde_norway::Error) -> ImportError {
    let message = format!("not valid YAML: {e}");
    match e.location() {
        Some(loc) => ImportError::at(loc.line(), message),
        None => ImportError::whole_file(message),
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar(&t.value),
        _ => None,
    }
}

/// Best-effort line of `keys` nested in order (`profile`, `outputs`, `target`, `field`).
fn locate(text: &str, keys: &[&str]) -> Option<usize> {
    let mut from = 0;
    for key in keys {
        let needle = format!("{key}:");
        let found = text[from..].find(&needle)?;
        from += found + needle.len();
    }
    Some(line_at(text, from))
}

/// A string literal `'…'` or `"…"` at the start of `s`; returns it and the rest.
fn string_literal(s: &str) -> Option<(String, &str)> {
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &s[1..];
    let end = body.find(quote)?;
    Some((body[..end].to_string(), &body[end + 1..]))
}

/// What `{{ expr }}` evaluates to: a value, an env var that is not set, or something not supported.
enum Eval {
    Value(String),
    Missing(String),
    Unsupported,
}

fn eval(expr: &str, env: EnvLookup<'_>) -> Eval {
    let Some(args) =
        expr.trim().strip_prefix("env_var").map(str::trim_start).and_then(|s| s.strip_prefix('('))
    else {
        return Eval::Unsupported;
    };
    let Some((name, rest)) = string_literal(args.trim_start()) else {
        return Eval::Unsupported;
    };
    let rest = rest.trim_start();
    let (default, rest) = match rest.strip_prefix(',') {
        Some(d) => {
            let d = d.trim_start();
            match string_literal(d) {
                Some((v, r)) => (Some(v), r),
                None => {
                    let end = d.find(')').unwrap_or(d.len());
                    (Some(d[..end].trim().to_string()), &d[end..])
                }
            }
        }
        None => (None, rest),
    };
    let Some(filters) = rest.trim_start().strip_prefix(')') else {
        return Eval::Unsupported;
    };
    let Some(mut value) = env(&name).or(default) else {
        return Eval::Missing(name);
    };
    for filter in filters.split('|').map(str::trim).filter(|f| !f.is_empty()) {
        match filter {
            "int" | "as_number" | "as_text" | "string" | "as_native" => {}
            "trim" => value = value.trim().to_string(),
            _ => return Eval::Unsupported,
        }
    }
    Eval::Value(value)
}

/// One target being read: where it is, for messages, and what went wrong so far.
struct Target<'a> {
    text: &'a str,
    env: EnvLookup<'a>,
    keys: [&'a str; 3],
    warnings: Vec<String>,
}

impl Target<'_> {
    fn path(&self, field: &str) -> String {
        format!("{}.outputs.{}.{field}", self.keys[0], self.keys[2])
    }

    fn line(&self, field: &str) -> Option<usize> {
        let [profile, outputs, target] = self.keys;
        locate(self.text, &[profile, outputs, target, field])
    }

    fn error(&self, field: &str, message: String) -> ImportError {
        ImportError { line: self.line(field), message }
    }

    /// The rendered value of the first of `names` present; `None` when absent or not evaluable.
    fn get(&mut self, map: &Mapping, names: &[&str]) -> Result<Option<String>, ImportError> {
        let Some((field, raw)) =
            names.iter().find_map(|n| map.get(*n).and_then(scalar).map(|v| (*n, v)))
        else {
            return Ok(None);
        };
        let mut out = String::new();
        let mut rest = raw.as_str();
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else { break };
            match eval(&after[..end], self.env) {
                Eval::Value(v) => out.push_str(&v),
                Eval::Missing(var) => {
                    let message = format!(
                        "environment variable {var} is not set (used by {}); set it and import again, or edit profiles.yml",
                        self.path(field)
                    );
                    let line = line_of(self.text, &var).or_else(|| self.line(field));
                    return Err(ImportError { line, message });
                }
                Eval::Unsupported => {
                    self.warnings.push(format!(
                        "{}: \"{{{{{}}}}}\" is not something Shiftgate evaluates; left empty",
                        self.path(field),
                        &after[..end]
                    ));
                    return Ok(None);
                }
            }
            rest = &after[end + 2..];
        }
        if rest.contains("{{") || rest.contains("{%") {
            self.warnings.push(format!(
                "{}: Jinja Shiftgate does not evaluate; left empty",
                self.path(field)
            ));
            return Ok(None);
        }
        out.push_str(rest);
        Ok(Some(out))
    }
}

/// One profile per postgres / redshift target, named `profile.target`.
pub fn parse(text: &str, env: EnvLookup<'_>) -> Result<ImportBatch, ImportError> {
    let mut root: Value = serde_norway::from_str(text).map_err(yaml_error)?;
    root.apply_merge().map_err(yaml_error)?;
    let mut batch = ImportBatch::default();
    let profiles = match root {
        Value::Mapping(m) => m,
        Value::Null => return Ok(batch),
        _ => {
            return Err(ImportError::whole_file(
                "expected dbt profiles at the top level (my_profile: {target: dev, outputs: {dev: …}})",
            ));
        }
    };
    for (key, body) in &profiles {
        let Some(profile_name) = key.as_str() else {
            continue;
        };
        if profile_name == "config" {
            continue; // dbt < 1.0 global settings, not a profile
        }
        let Some(outputs) = body.get("outputs").and_then(Value::as_mapping) else {
            batch.skipped.push(format!("{profile_name}: no outputs"));
            continue;
        };
        let default_target = body.get("target").and_then(scalar);
        for (tkey, output) in outputs {
            let Some(target_name) = scalar(tkey) else {
                continue;
            };
            let Some(output) = output.as_mapping() else {
                batch.skipped.push(format!(
                    "{profile_name}.outputs.{target_name}: not a mapping of settings"
                ));
                continue;
            };
            let kind = output.get("type").and_then(scalar).unwrap_or_default().to_ascii_lowercase();
            let engine = match kind.as_str() {
                "postgres" => Engine::Postgres,
                "redshift" => Engine::Redshift,
                other => {
                    let what = if other.is_empty() {
                        "no type".to_string()
                    } else {
                        format!("type {other}")
                    };
                    batch.skipped.push(format!(
                        "{profile_name}.outputs.{target_name}: {what}, not PostgreSQL or Redshift"
                    ));
                    continue;
                }
            };
            let mut target = Target {
                text,
                env,
                keys: [profile_name, "outputs", &target_name],
                warnings: Vec::new(),
            };
            let is_default = default_target.as_deref() == Some(&target_name);
            match read_target(&mut target, output, engine, is_default) {
                Ok(imported) => batch.profiles.push(imported),
                // One bad target does not keep the others out.
                Err(e) => batch
                    .skipped
                    .push(format!("{e}; target {profile_name}.{target_name} not imported")),
            }
        }
    }
    Ok(batch)
}

fn read_target(
    t: &mut Target<'_>,
    out: &Mapping,
    engine: Engine,
    is_default: bool,
) -> Result<ImportedProfile, ImportError> {
    let [profile_name, _, target_name] = t.keys;
    let mut profile = fresh_profile(engine, format!("{profile_name}.{target_name}"), None);
    if let Some(host) = t.get(out, &["host"])? {
        profile.host = host.trim().to_string();
    }
    if let Some(port) = t.get(out, &["port"])? {
        profile.port = match port.trim().parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => {
                return Err(t.error(
                    "port",
                    format!("{} \"{port}\" is not a number between 1 and 65535", t.path("port")),
                ));
            }
        };
    }
    if let Some(user) = t.get(out, &["user"])? {
        profile.user = user;
    }
    if let Some(db) = t.get(out, &["dbname", "database"])? {
        profile.database = db;
    }
    if let Some(mode) = t.get(out, &["sslmode"])? {
        profile.sslmode = SslMode::parse(&mode).ok_or_else(|| {
            t.error("sslmode", format!("{} \"{mode}\" is not disable, allow, prefer, require, verify-ca or verify-full", t.path("sslmode")))
        })?;
    }
    if let Some(ca) = t.get(out, &["sslrootcert"])?.filter(|c| !c.is_empty() && c != "system") {
        profile.ca_file = Some(PathBuf::from(ca));
    }
    if let Some(secs) = t.get(out, &["connect_timeout"])? {
        match secs.trim().parse::<u32>() {
            Ok(0) => {}
            Ok(s) => profile.connect_timeout_secs = s,
            Err(_) => {
                return Err(t.error(
                    "connect_timeout",
                    format!("{} \"{secs}\" is not a number of seconds", t.path("connect_timeout")),
                ));
            }
        }
    }
    let method = t.get(out, &["method"])?.unwrap_or_default().to_ascii_lowercase();
    if method == "iam" || method == "iam_role" {
        // dbt-redshift's IAM fields; `user` is the DbUser (iam_role: the IAM identity itself).
        let a = &mut profile.auth;
        a.method = AuthMethod::Iam;
        if let Some(c) = t.get(out, &["cluster_id"])? {
            a.cluster_id = c.trim().to_string();
        }
        if let Some(r) = t.get(out, &["region"])? {
            a.region = r.trim().to_string();
        }
        if let Some(p) = t.get(out, &["iam_profile"])? {
            a.aws_profile = p.trim().to_string();
        }
        if let Some(v) = t.get(out, &["autocreate"])? {
            a.auto_create = v.trim().eq_ignore_ascii_case("true");
        }
        if let Some(d) = t.get(out, &["iam_duration_seconds"])?
            && let Ok(d) = d.trim().parse::<u32>()
        {
            a.duration_secs = d;
        }
        a.db_groups = match out.get("db_groups") {
            Some(Value::Sequence(seq)) => seq.iter().filter_map(scalar).collect(),
            Some(v) => scalar(v)
                .map(|g| {
                    g.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        };
        if method == "iam" {
            a.db_user = profile.user.trim().to_string();
        }
        let host = profile.host.clone();
        if profile.auth.fill_from_host(&host) == Some(AuthMethod::IamServerless)
            && profile.auth.cluster_id.is_empty()
        {
            profile.auth.method = AuthMethod::IamServerless;
        }
        if profile.host.is_empty()
            && let Some(cluster) = t.get(out, &["cluster_id"])?
        {
            t.warnings.push(format!(
                "no host: enter the endpoint of cluster \"{cluster}\" from the Redshift console"
            ));
        }
    }
    for unsupported in ["sslcert", "sslkey", "sslpassword"] {
        if out.get(unsupported).is_some() {
            t.warnings.push(format!(
                "{}: client certificates are not supported yet",
                t.path(unsupported)
            ));
        }
    }
    if profile.host.is_empty() && !t.warnings.iter().any(|w| w.starts_with("no host")) {
        t.warnings.push("no host in this target; enter one".into());
    }
    let password = t.get(out, &["password", "pass"])?.filter(|p| !p.is_empty());
    let default = if is_default { " (default target)" } else { "" };
    let mut imported = ImportedProfile::new(
        profile,
        format!("profiles.yml {profile_name} → {target_name}{default}"),
    );
    imported.password = password;
    imported.warnings = std::mem::take(&mut t.warnings);
    Ok(imported)
}
