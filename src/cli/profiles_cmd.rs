//! `shiftgate profiles add|list|show|edit|rm`.

use super::args::{ConnectionFields, IamFields, ProfilesAction, SshFields};
use super::{CliError, CliResult, open_store};
use crate::store::profiles::StoreError;
use shiftgate_core::profile::{AuthMethod, Engine, Profile, SecretMode, SshAuth, SshHop, SslMode};
use std::path::PathBuf;

/// Apply command-line fields onto a profile (engine first, so defaults follow it).
pub fn apply_fields(p: &mut Profile, f: &ConnectionFields) -> Result<(), CliError> {
    if let Some(e) = &f.engine {
        let engine = Engine::parse(e).ok_or_else(|| {
            CliError::new(format!("unknown engine \"{e}\" (use redshift or postgres)"))
        })?;
        p.set_engine(engine);
    }
    if let Some(h) = &f.host {
        p.host = h.clone();
    }
    if let Some(port) = f.port {
        p.port = port;
    }
    if let Some(d) = &f.database {
        p.database = d.clone();
    }
    if let Some(u) = &f.user {
        p.user = u.clone();
    }
    if let Some(m) = &f.sslmode {
        p.sslmode = SslMode::parse(m).ok_or_else(|| {
            CliError::new(format!(
                "unknown sslmode \"{m}\" (one of: {})",
                SslMode::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })?;
    }
    if let Some(ca) = &f.ca_file {
        p.ca_file = if ca.as_os_str().is_empty() { None } else { Some(ca.clone()) };
    }
    if let Some(t) = f.timeout {
        p.connect_timeout_secs = t;
    }
    if let Some(a) = &f.application_name {
        p.application_name = if a.is_empty() { None } else { Some(a.clone()) };
    }
    Ok(())
}

/// Apply the SSH tunnel and password-command flags (see [`SshFields`]).
pub fn apply_ssh_fields(p: &mut Profile, f: &SshFields) -> Result<(), CliError> {
    if let Some(cmd) = &f.password_command {
        p.password_command = Some(cmd.trim().to_string()).filter(|c| !c.is_empty());
    }
    let s = &mut p.ssh;
    if let Some(alias) = &f.ssh_alias {
        s.enabled = true;
        s.config_alias = Some(alias.trim().to_string());
        // The alias supplies the hops; hop fields left in the profile would override it.
        s.bastion = SshHop::default();
        s.jump_hosts.clear();
    }
    if let Some(host) = &f.ssh_host {
        s.enabled = true;
        s.config_alias = None;
        s.bastion.host = host.trim().to_string();
    }
    if let Some(port) = f.ssh_port {
        s.bastion.port = port;
    }
    if let Some(user) = &f.ssh_user {
        s.bastion.user = user.trim().to_string();
    }
    let method = f.ssh_auth.as_deref().map(|m| m.trim().to_ascii_lowercase());
    s.bastion.auth = match (method.as_deref(), &f.ssh_key) {
        (None | Some("key"), Some(path)) => SshAuth::Key { path: path.clone() },
        (Some("key"), None) => match &s.bastion.auth {
            SshAuth::Key { path } => SshAuth::Key { path: path.clone() },
            _ => return Err(CliError::new("--ssh-auth key needs --ssh-key FILE")),
        },
        (Some("password"), None) => SshAuth::Password,
        (Some("agent"), None) => SshAuth::Agent,
        (Some("password" | "agent"), Some(_)) => {
            return Err(CliError::new("--ssh-key goes with --ssh-auth key only"));
        }
        (Some(other), _) => {
            return Err(CliError::new(format!(
                "unknown --ssh-auth \"{other}\" (use key, password or agent)"
            )));
        }
        (None, None) => s.bastion.auth.clone(),
    };
    if !f.jump.is_empty() {
        s.jump_hosts = f.jump.iter().map(|j| parse_jump(j)).collect::<Result<_, _>>()?;
        s.config_alias = None;
        s.enabled = true;
    }
    if f.no_jump {
        s.jump_hosts.clear();
    }
    if let Some(k) = f.ssh_keepalive {
        s.keepalive_secs = k;
    }
    if let Some(t) = f.ssh_timeout {
        s.connect_timeout_secs = t;
    }
    if f.ssh_ask_every_time {
        s.secret_mode = SecretMode::AskEveryTime;
    }
    if f.no_ssh {
        s.enabled = false;
    }
    Ok(())
}

/// `[user@]host[:port][,key=FILE|,password|,agent]` (IPv6 in brackets).
fn parse_jump(spec: &str) -> Result<SshHop, CliError> {
    let bad = |why: &str| {
        CliError::new(format!(
            "--jump \"{spec}\": {why} (expected [user@]host[:port][,key=FILE|,password|,agent])"
        ))
    };
    let mut parts = spec.trim().splitn(2, ',');
    let target = parts.next().unwrap_or("");
    let auth = match parts.next().map(str::trim) {
        None | Some("agent") => SshAuth::Agent,
        Some("password") => SshAuth::Password,
        Some(opt) => match opt.strip_prefix("key=") {
            Some(path) if !path.is_empty() => SshAuth::Key { path: PathBuf::from(path) },
            _ => return Err(bad("unknown auth")),
        },
    };
    let (user, rest) = match target.rsplit_once('@') {
        Some((u, r)) => (u.to_string(), r),
        None => (String::new(), target),
    };
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        let (h, after) = inner.split_once(']').ok_or_else(|| bad("unclosed ["))?;
        match after.strip_prefix(':') {
            Some(p) => (h, Some(p)),
            None if after.is_empty() => (h, None),
            None => return Err(bad("text after ]")),
        }
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    let port = match port {
        Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| bad("bad port"))?,
        None => 22,
    };
    Ok(SshHop { host: host.to_string(), port, user, auth })
}

/// One hop in words: `user@host:port (key FILE)`.
fn hop_text(h: &SshHop) -> String {
    let auth = match &h.auth {
        SshAuth::Key { path } => format!("key {}", path.display()),
        SshAuth::Password => "password".to_string(),
        SshAuth::Agent => "agent".to_string(),
    };
    let user = if h.user.is_empty() { String::new() } else { format!("{}@", h.user) };
    let host = if h.host.contains(':') { format!("[{}]", h.host) } else { h.host.clone() };
    format!("{user}{host}:{} ({auth})", h.port)
}

/// The tunnel part of `profiles show`.
fn tunnel_text(p: &Profile) -> String {
    let s = &p.ssh;
    if !s.enabled {
        return "  connect:  direct\n".to_string();
    }
    let mut out = String::new();
    match s.config_alias.as_deref() {
        Some(alias) => out.push_str(&format!(
            "  connect:  SSH config alias \"{alias}\" (hops from ~/.ssh/config)\n"
        )),
        None => {
            out.push_str("  connect:  SSH tunnel, hops in connection order:\n");
            for (i, hop) in s.jump_hosts.iter().enumerate() {
                out.push_str(&format!("    {}. jump host {}: {}\n", i + 1, i + 1, hop_text(hop)));
            }
            out.push_str(&format!(
                "    {}. bastion: {}\n",
                s.jump_hosts.len() + 1,
                hop_text(&s.bastion)
            ));
        }
    }
    out.push_str(&format!(
        "  ssh:      keepalive {} s, timeout {} s, secrets {}\n",
        s.keepalive_secs,
        s.connect_timeout_secs,
        match s.secret_mode {
            SecretMode::Keychain => "saved in the OS keychain",
            SecretMode::AskEveryTime => "asked every time",
        }
    ));
    out
}

fn check(p: &Profile) -> Result<(), CliError> {
    let issues = p.validate();
    if issues.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = issues.iter().map(|i| format!("  - {}", i.message)).collect();
    Err(CliError::new(format!("the profile is not valid:\n{}", lines.join("\n"))))
}

/// Apply the auth flags. Switching to IAM fills the cluster / workgroup and region from an AWS
/// host name where they are not given.
pub fn apply_iam_fields(p: &mut Profile, f: &IamFields) -> Result<(), CliError> {
    if let Some(m) = &f.auth {
        p.auth.method = AuthMethod::parse(m).ok_or_else(|| {
            CliError::new(format!("unknown --auth \"{m}\" (use password, iam or iam-serverless)"))
        })?;
    }
    let a = &mut p.auth;
    if let Some(v) = &f.cluster_id {
        a.cluster_id = v.trim().to_string();
    }
    if let Some(v) = &f.workgroup {
        a.workgroup = v.trim().to_string();
    }
    if let Some(v) = &f.region {
        a.region = v.trim().to_string();
    }
    if let Some(v) = &f.db_user {
        a.db_user = v.trim().to_string();
    }
    if let Some(v) = &f.db_groups {
        a.db_groups =
            v.split(',').map(|g| g.trim().to_string()).filter(|g| !g.is_empty()).collect();
    }
    if f.auto_create {
        a.auto_create = true;
    }
    if f.no_auto_create {
        a.auto_create = false;
    }
    if let Some(d) = f.duration {
        a.duration_secs = d;
    }
    if let Some(v) = &f.aws_profile {
        a.aws_profile = v.trim().to_string();
    }
    if a.is_iam() {
        let host = p.host.clone();
        p.auth.fill_from_host(&host);
    }
    Ok(())
}

pub fn show_text(p: &Profile) -> String {
    let mut s = format!(
        "{name}  [{engine}]\n  id:       {id}\n  host:     {host}\n  port:     {port}\n  database: {db}\n  user:     {user}\n  sslmode:  {ssl}\n",
        name = p.display_name(),
        engine = p.engine,
        id = p.id,
        host = p.host,
        port = p.port,
        db = p.database,
        user = p.user,
        ssl = p.sslmode
    );
    if let Some(ca) = &p.ca_file {
        s.push_str(&format!("  CA file:  {}\n", ca.display()));
    }
    s.push_str(&format!("  timeout:  {} s\n", p.connect_timeout_secs));
    if p.auth.is_iam() {
        s.push_str(&format!("  auth:     {}\n", p.auth.describe()));
    } else {
        s.push_str(&format!(
            "  password: {}\n",
            match p.password_mode {
                SecretMode::Keychain => "saved in the OS keychain",
                SecretMode::AskEveryTime => "asked every time",
            }
        ));
    }
    if let Some(cmd) = &p.password_command {
        s.push_str(&format!("  password command: {cmd}\n"));
    }
    s.push_str(&tunnel_text(p));
    if !p.notes.is_empty() {
        s.push_str(&format!("  notes:    {}\n", p.notes.replace('\n', "\n            ")));
    }
    s
}

pub fn run(config_dir: &Option<PathBuf>, action: ProfilesAction) -> CliResult {
    let mut store = open_store(config_dir)?;
    match action {
        ProfilesAction::Add { name, fields, ssh, iam, notes, ask_every_time } => {
            let engine = match &fields.engine {
                Some(e) => Engine::parse(e)
                    .ok_or_else(|| CliError::new(format!("unknown engine \"{e}\"")))?,
                None => Engine::Redshift,
            };
            let mut p = Profile::new(engine);
            p.name = name;
            apply_fields(&mut p, &fields)?;
            apply_ssh_fields(&mut p, &ssh)?;
            apply_iam_fields(&mut p, &iam)?;
            if let Some(n) = notes {
                p.notes = n;
            }
            if ask_every_time {
                p.password_mode = SecretMode::AskEveryTime;
            }
            check(&p)?;
            let id = p.id.clone();
            store.upsert(p)?;
            println!("added profile {id} to {}", store.path().display());
        }
        ProfilesAction::List { json } => {
            if json {
                println!("{}", serde_json::to_string_pretty(store.profiles())?);
            } else if store.profiles().is_empty() {
                println!("no profiles yet (add one with `shiftgate profiles add NAME --host …`)");
            } else {
                for p in store.profiles() {
                    println!(
                        "{:<24} {:<10} {}@{}:{}/{}  sslmode={}",
                        p.display_name(),
                        p.engine.label(),
                        p.user,
                        p.host,
                        p.port,
                        p.database,
                        p.sslmode
                    );
                }
            }
        }
        ProfilesAction::Show { name, json } => {
            let p = store
                .find(&name)
                .ok_or_else(|| CliError::new(format!("no profile named \"{name}\"")))?;
            if json {
                println!("{}", serde_json::to_string_pretty(p)?);
            } else {
                print!("{}", show_text(p));
            }
        }
        ProfilesAction::Edit { name, rename, fields, ssh, iam, notes } => {
            // Applied to the profile as the file holds it now, under the store's lock, so edits
            // of other fields made meanwhile (another terminal, the window) are kept.
            store
                .update(&name, |p| {
                    apply_fields(p, &fields).map_err(|e| e.message)?;
                    apply_ssh_fields(p, &ssh).map_err(|e| e.message)?;
                    apply_iam_fields(p, &iam).map_err(|e| e.message)?;
                    if let Some(n) = rename {
                        p.name = n;
                    }
                    if let Some(n) = notes {
                        p.notes = n;
                    }
                    check(p).map_err(|e| e.message)
                })
                .map_err(|e| match e {
                    StoreError::NotFound(_) => {
                        CliError::new(format!("no profile named \"{name}\""))
                    }
                    other => CliError::from(other),
                })?;
            println!("saved");
        }
        ProfilesAction::Rm { name } => {
            // Like `edit`: the name is looked up in the file as it is now, under the store's
            // lock, so the profile removed is the current version, never a stale copy.
            store.remove_named(&name).map_err(|e| match e {
                StoreError::NotFound(_) => CliError::new(format!("no profile named \"{name}\"")),
                other => CliError::from(other),
            })?;
            println!("removed profile \"{name}\"");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_flags_set_the_auth_and_prefill_from_the_host() {
        let mut p = Profile::new(Engine::Redshift);
        p.host = "examplecluster.abc123.us-west-2.redshift.amazonaws.com".into();
        let f = IamFields {
            auth: Some("iam".into()),
            db_user: Some("etl".into()),
            db_groups: Some("analysts, readers".into()),
            auto_create: true,
            duration: Some(900),
            aws_profile: Some("prod".into()),
            ..IamFields::default()
        };
        apply_iam_fields(&mut p, &f).unwrap();
        assert_eq!(
            (p.auth.cluster_id.as_str(), p.auth.region.as_str()),
            ("examplecluster", "us-west-2")
        );
        assert_eq!(p.auth.db_groups, vec!["analysts".to_string(), "readers".to_string()]);
        assert!(p.validate().is_empty(), "{:?}", p.validate());
        let text = show_text(&p);
        assert!(
            text.contains("auth:     IAM, cluster examplecluster in us-west-2, as DbUser etl, groups analysts,readers, auto-create, 900 s, AWS profile prod"),
            "{text}"
        );
        let off = IamFields {
            no_auto_create: true,
            db_groups: Some(String::new()),
            ..IamFields::default()
        };
        apply_iam_fields(&mut p, &off).unwrap();
        assert!(!p.auth.auto_create && p.auth.db_groups.is_empty());
        let bad = IamFields { auth: Some("kerberos".into()), ..IamFields::default() };
        assert!(apply_iam_fields(&mut p, &bad).unwrap_err().message.contains("kerberos"));
    }

    #[test]
    fn jump_specs_parse_with_auth_and_ipv6() {
        let h = parse_jump("ec2-user@jump.example.com:2222,key=/k/id").unwrap();
        assert_eq!(
            (h.user.as_str(), h.host.as_str(), h.port, h.auth),
            ("ec2-user", "jump.example.com", 2222, SshAuth::Key { path: "/k/id".into() })
        );
        let h = parse_jump("[::1]").unwrap();
        assert_eq!((h.host.as_str(), h.port, h.auth), ("::1", 22, SshAuth::Agent));
        assert_eq!(parse_jump("a@b,password").unwrap().auth, SshAuth::Password);
        for bad in ["", "u@", "h:0", "h:x", "h,key=", "h,magic"] {
            assert!(parse_jump(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ssh_flags_build_the_tunnel_and_show_prints_it() {
        let mut p = Profile::new(Engine::Postgres);
        let f = SshFields {
            ssh_host: Some("bastion".into()),
            ssh_user: Some("ec2-user".into()),
            ssh_key: Some("/k/id".into()),
            jump: vec!["j@jump1".into(), "jump2:2200,password".into()],
            password_command: Some("pass show db".into()),
            ..SshFields::default()
        };
        apply_ssh_fields(&mut p, &f).unwrap();
        assert!(p.ssh.enabled);
        let text = show_text(&p);
        assert!(text.contains("1. jump host 1: j@jump1:22 (agent)"), "{text}");
        assert!(text.contains("2. jump host 2: jump2:2200 (password)"), "{text}");
        assert!(text.contains("3. bastion: ec2-user@bastion:22 (key /k/id)"), "{text}");
        assert!(text.contains("password command: pass show db"), "{text}");
        let off = SshFields { no_ssh: true, ..SshFields::default() };
        apply_ssh_fields(&mut p, &off).unwrap();
        assert!(show_text(&p).contains("connect:  direct"));
        assert_eq!(p.ssh.jump_hosts.len(), 2, "settings kept for later");
        let bad = SshFields {
            ssh_auth: Some("password".into()),
            ssh_key: Some("/k".into()),
            ..SshFields::default()
        };
        assert!(apply_ssh_fields(&mut p, &bad).is_err());
    }
}
