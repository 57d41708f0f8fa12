//! SSH client authentication for one hop: private key file (+ passphrase), agent, password — in
//! the order the hop's plan lists them, after a `none` probe that tells which methods the server
//! allows (so a rejection can say "the server accepts only publickey").
//!
//! RSA keys sign with SHA-2 (`rsa-sha2-512`/`-256`, whichever the server lists in
//! `server-sig-algs`; SHA-256 when it lists nothing) — never `ssh-rsa`/SHA-1.
//! An explicit key or password never falls back to the agent (pgAdmin #9814: probing the agent
//! anyway pops up 1Password/Secretive prompts).

use super::credentials::Password;
use russh::MethodSet;
use russh::client::{AuthResult, Handle, Handler};
use russh::keys::agent::client::{AgentClient, AgentStream};
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKey};
use shiftgate_core::diagnose::SshProblem;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};

/// A byte stream a hop can run over (TCP, or a channel of the previous hop).
pub trait Duplex: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Duplex for T {}

/// One way to authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthPlan {
    Key {
        path: PathBuf,
    },
    /// Agent keys; `only`: restrict to keys whose `<file>.pub` is listed (`IdentitiesOnly`).
    Agent {
        only: Option<Vec<PathBuf>>,
    },
    Password,
}

/// The hop's secrets, from [`super::credentials::Credentials`].
#[derive(Default)]
pub struct HopSecrets {
    pub passphrase: Option<Password>,
    pub password: Option<Password>,
}

/// Why authentication failed, for the report.
#[derive(Debug, Clone)]
pub struct AuthFailure {
    pub problem: SshProblem,
    pub text: String,
}

fn method_names(set: &MethodSet) -> Vec<String> {
    set.iter().map(|m| <&str>::from(m).to_string()).filter(|m| m != "none").collect()
}

/// Read a private key, telling a missing/wrong passphrase apart from an unreadable file.
pub fn load_key(path: &Path, passphrase: Option<&Password>) -> Result<PrivateKey, Box<SshProblem>> {
    let shown = path.display().to_string();
    let unreadable =
        |reason: String| Box::new(SshProblem::KeyUnreadable { path: shown.clone(), reason });
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    let first = match russh::keys::decode_secret_key(&text, None) {
        Ok(k) => return Ok(k),
        Err(e) => e,
    };
    let encrypted =
        matches!(first, russh::keys::Error::KeyIsEncrypted) || text.contains("ENCRYPTED");
    match passphrase {
        None if encrypted => {
            Err(Box::new(SshProblem::KeyPassphrase { path: shown.clone(), missing: true }))
        }
        None => Err(unreadable(first.to_string())),
        Some(p) => russh::keys::decode_secret_key(&text, Some(p.as_str())).map_err(|e| {
            if encrypted {
                Box::new(SshProblem::KeyPassphrase { path: shown.clone(), missing: false })
            } else {
                unreadable(e.to_string())
            }
        }),
    }
}

type Agent = AgentClient<Box<dyn AgentStream + Send + Unpin + 'static>>;

#[cfg(unix)]
async fn connect_agent(socket: Option<&Path>) -> Result<Agent, String> {
    let path = match socket {
        Some(p) => p.to_path_buf(),
        None => std::env::var_os("SSH_AUTH_SOCK")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .ok_or_else(|| {
                "SSH_AUTH_SOCK is not set (no agent running in this session)".to_string()
            })?,
    };
    AgentClient::connect_uds(&path)
        .await
        .map(|a| a.dynamic())
        .map_err(|e| format!("could not connect to the agent at {}: {e}", path.display()))
}

#[cfg(windows)]
async fn connect_agent(socket: Option<&Path>) -> Result<Agent, String> {
    let pipe = socket
        .map(|p| p.as_os_str().to_os_string())
        .unwrap_or_else(|| r"\\.\pipe\openssh-ssh-agent".into());
    AgentClient::connect_named_pipe(&pipe)
        .await
        .map(|a| a.dynamic())
        .map_err(|e| format!("could not connect to the agent at {}: {e}", pipe.to_string_lossy()))
}

#[cfg(not(any(unix, windows)))]
async fn connect_agent(_socket: Option<&Path>) -> Result<Agent, String> {
    Err("SSH agents are not supported on this platform".into())
}

/// SHA-2 hash for RSA signatures; never `None` (which would mean SHA-1).
async fn rsa_hash<H: Handler>(handle: &Handle<H>, cached: &mut Option<HashAlg>) -> HashAlg {
    if let Some(h) = cached {
        return *h;
    }
    let h = match handle.best_supported_rsa_hash().await {
        Ok(Some(Some(h))) => h,
        // No server-sig-algs, or only ssh-rsa: still offer SHA-256 (RFC 8332), never SHA-1.
        _ => HashAlg::Sha256,
    };
    *cached = Some(h);
    h
}

fn rsa_label(hash: Option<HashAlg>) -> &'static str {
    match hash {
        Some(HashAlg::Sha512) => " rsa-sha2-512",
        Some(HashAlg::Sha256) => " rsa-sha2-256",
        _ => "",
    }
}

/// Authenticate `user` with the plan; returns a description of the method that worked.
pub async fn authenticate<H: Handler>(
    handle: &mut Handle<H>,
    user: &str,
    plans: &[AuthPlan],
    secrets: &HopSecrets,
    agent_socket: Option<&Path>,
) -> Result<String, AuthFailure> {
    let transport = |e: russh::Error| AuthFailure {
        text: format!("the connection failed during authentication: {e}"),
        problem: SshProblem::AuthRejected {
            hop_host: String::new(),
            user: user.to_string(),
            tried: Vec::new(),
            allowed: Vec::new(),
        },
    };
    let mut allowed = match handle.authenticate_none(user).await.map_err(transport)? {
        AuthResult::Success => return Ok("no authentication (the server asked for none)".into()),
        AuthResult::Failure { remaining_methods, .. } => method_names(&remaining_methods),
    };
    let mut tried: Vec<String> = Vec::new();
    let mut problems: Vec<SshProblem> = Vec::new();
    let mut hash_cache = None;
    for plan in plans {
        match plan {
            AuthPlan::Key { path } => {
                let key = match load_key(path, secrets.passphrase.as_ref()) {
                    Ok(k) => k,
                    Err(p) => {
                        problems.push(*p);
                        continue;
                    }
                };
                let hash = if key.algorithm().is_rsa() {
                    Some(rsa_hash(handle, &mut hash_cache).await)
                } else {
                    None
                };
                let desc = format!(
                    "publickey ({}{} key {})",
                    key.algorithm().as_str(),
                    rsa_label(hash),
                    path.display()
                );
                match handle
                    .authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
                    .await
                    .map_err(transport)?
                {
                    AuthResult::Success => return Ok(desc),
                    AuthResult::Failure { remaining_methods, .. } => {
                        allowed = method_names(&remaining_methods);
                        tried.push(desc);
                    }
                }
            }
            AuthPlan::Agent { only } => {
                let mut agent = match connect_agent(agent_socket).await {
                    Ok(a) => a,
                    Err(reason) => {
                        problems.push(SshProblem::AgentUnavailable { reason });
                        continue;
                    }
                };
                let identities = match agent.request_identities().await {
                    Ok(ids) => ids,
                    Err(e) => {
                        problems.push(SshProblem::AgentUnavailable {
                            reason: format!("the agent did not list its keys: {e}"),
                        });
                        continue;
                    }
                };
                let wanted: Option<Vec<PublicKey>> = only.as_ref().map(|files| {
                    files
                        .iter()
                        .filter_map(|f| {
                            let mut p = f.clone().into_os_string();
                            p.push(".pub");
                            russh::keys::load_public_key(PathBuf::from(p)).ok()
                        })
                        .collect()
                });
                let keys: Vec<(PublicKey, String)> = identities
                    .iter()
                    .filter(|id| matches!(id, russh::keys::agent::AgentIdentity::PublicKey { .. }))
                    .map(|id| (id.public_key().into_owned(), id.comment().to_string()))
                    .filter(|(k, _)| {
                        wanted
                            .as_ref()
                            .is_none_or(|w| w.iter().any(|x| x.key_data() == k.key_data()))
                    })
                    .collect();
                if keys.is_empty() {
                    let reason = if identities.is_empty() {
                        "the agent holds no keys (add one with ssh-add)".to_string()
                    } else {
                        "none of the agent's keys matches the IdentityFile (IdentitiesOnly yes)"
                            .to_string()
                    };
                    problems.push(SshProblem::AgentUnavailable { reason });
                    continue;
                }
                for (key, comment) in keys {
                    let hash = if key.algorithm().is_rsa() {
                        Some(rsa_hash(handle, &mut hash_cache).await)
                    } else {
                        None
                    };
                    let desc = format!(
                        "agent key ({}{} {comment})",
                        key.algorithm().as_str(),
                        rsa_label(hash)
                    );
                    match handle.authenticate_publickey_with(user, key, hash, &mut agent).await {
                        Ok(AuthResult::Success) => return Ok(desc),
                        Ok(AuthResult::Failure { remaining_methods, .. }) => {
                            allowed = method_names(&remaining_methods);
                            tried.push(desc);
                        }
                        Err(e) => problems.push(SshProblem::AgentUnavailable {
                            reason: format!("the agent could not sign with {comment}: {e}"),
                        }),
                    }
                }
            }
            AuthPlan::Password => {
                let Some(pw) = secrets.password.as_ref() else {
                    tried.push("password (none entered)".into());
                    continue;
                };
                match handle.authenticate_password(user, pw.as_str()).await.map_err(transport)? {
                    AuthResult::Success => return Ok("password".into()),
                    AuthResult::Failure { remaining_methods, .. } => {
                        allowed = method_names(&remaining_methods);
                        tried.push("password".into());
                    }
                }
            }
        }
    }
    // The most actionable reason first: a locked key beats "rejected".
    let passphrase =
        problems.iter().find(|p| matches!(p, SshProblem::KeyPassphrase { .. })).cloned();
    let problem = match passphrase {
        Some(p) => p,
        None if tried.is_empty() && !problems.is_empty() => problems.remove(0),
        None => SshProblem::AuthRejected {
            hop_host: String::new(),
            user: user.to_string(),
            tried: tried.clone(),
            allowed: allowed.clone(),
        },
    };
    let text = match &problem {
        SshProblem::AuthRejected { .. } => format!(
            "rejected; tried {}; server accepts {}",
            if tried.is_empty() { "nothing".to_string() } else { tried.join(", ") },
            if allowed.is_empty() {
                "nothing it would name".to_string()
            } else {
                allowed.join(",")
            }
        ),
        SshProblem::KeyPassphrase { path, missing: true } => {
            format!("key {path} is encrypted; no passphrase given")
        }
        SshProblem::KeyPassphrase { path, .. } => format!("wrong passphrase for key {path}"),
        SshProblem::KeyUnreadable { path, reason } => format!("key {path} unusable: {reason}"),
        SshProblem::AgentUnavailable { reason } => reason.clone(),
        other => format!("{other:?}"),
    };
    Err(AuthFailure { problem, text })
}
