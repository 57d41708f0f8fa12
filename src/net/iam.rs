//! IAM temporary credentials: the *AWS identity* and *IAM credentials* stages of the connect.
//!
//! AWS credentials come from `aws-config`'s default provider chain (environment, `~/.aws`
//! profiles with `credential_process`, SSO and assume-role, web identity, container and instance
//! metadata), never from Shiftgate's files; `sts:GetCallerIdentity` goes through the STS client
//! that `aws-config` already contains. The Redshift calls (`GetClusterCredentials`,
//! `GetClusterCredentialsWithIAM`, Serverless `GetCredentials`) are signed with `aws-sigv4` and
//! sent by [`super::aws_http`]: the generated Redshift SDK crates would cost minutes of compile
//! (README, "IAM: build cost"). Endpoint overrides: `AWS_ENDPOINT_URL_REDSHIFT`,
//! `AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS`, `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`.
//!
//! The temporary password is cached in memory (per profile settings and AWS environment) until
//! shortly before it expires; it is never written anywhere.

// The stages fail with the facts for diagnosis, like the rest of the connect (one value per
// failed connect: its size does not matter).
#![allow(clippy::result_large_err)]

use super::aws_http::{self, Endpoint};
use super::credentials::Password;
use super::stage::{Stage, base_facts};
use aws_credential_types::Credentials as AwsCredentials;
use aws_credential_types::provider::ProvideCredentials;
use shiftgate_core::diagnose::{AwsProblem, FailureFacts};
use shiftgate_core::endpoint::redshift_host;
use shiftgate_core::profile::{AuthMethod, Profile};
use shiftgate_core::report::{IamInfo, StepKind, StepStatus};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::{Instant as TokioInstant, timeout_at};

/// A cached login is reused until this long before it expires.
const REUSE_MARGIN: Duration = Duration::from_secs(120);

/// The database login IAM gave: user (`IAM:…` / `IAMA:…` / `IAMR:…`) and temporary password.
#[derive(Clone)]
pub struct IamLogin {
    pub db_user: String,
    pub password: Password,
    pub expires_at: SystemTime,
    /// The API that issued it (`GetClusterCredentials`, …).
    pub api: &'static str,
}

impl std::fmt::Debug for IamLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IamLogin")
            .field("db_user", &self.db_user)
            .field("password", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("api", &self.api)
            .finish()
    }
}

/// Who the AWS credentials belong to.
#[derive(Debug, Clone)]
struct Identity {
    account: String,
    arn: String,
}

/// What the identity stage hands to the credentials stage.
pub(crate) struct AwsSession {
    identity: Identity,
    credentials: Option<AwsCredentials>,
    cached: Option<IamLogin>,
    key: String,
}

static CACHE: LazyLock<Mutex<HashMap<String, (Identity, IamLogin)>>> =
    LazyLock::new(Default::default);

/// Forget every cached login (tests; a user switching AWS accounts restarts the app).
pub fn clear_cache() {
    if let Ok(mut c) = CACHE.lock() {
        c.clear();
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The AWS profile name in effect: the profile's, else `AWS_PROFILE`, else `default`.
fn aws_profile_name(profile: &Profile) -> String {
    let p = profile.auth.aws_profile.trim();
    if !p.is_empty() {
        return p.to_string();
    }
    env("AWS_PROFILE").unwrap_or_else(|| "default".into())
}

/// The service endpoint: `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`, else AWS's.
fn service_endpoint(method: AuthMethod, region: &str) -> Result<Endpoint, String> {
    let (var, service) = match method {
        AuthMethod::IamServerless => {
            ("AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS", "redshift-serverless")
        }
        _ => ("AWS_ENDPOINT_URL_REDSHIFT", "redshift"),
    };
    let suffix = if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
    let url = env(var)
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| format!("https://{service}.{region}.{suffix}"));
    Endpoint::parse(&url)
}

/// The cache key: every setting and environment value that changes the answer.
fn cache_key(profile: &Profile) -> String {
    let a = &profile.auth;
    let envs: Vec<String> = [
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_REDSHIFT",
        "AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS",
        "AWS_ENDPOINT_URL_STS",
    ]
    .iter()
    .map(|n| env(n).unwrap_or_default())
    .collect();
    format!(
        "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
        a.method,
        a.target(),
        a.region,
        a.db_user,
        a.db_groups.join(","),
        a.auto_create,
        a.duration_secs,
        a.aws_profile,
        profile.database,
        envs.join("|")
    )
}

fn cached(key: &str) -> Option<(Identity, IamLogin)> {
    let cache = CACHE.lock().ok()?;
    let (identity, login) = cache.get(key)?;
    let left = login.expires_at.duration_since(SystemTime::now()).ok()?;
    (left > REUSE_MARGIN).then(|| (identity.clone(), login.clone()))
}

fn facts(profile: &Profile, stage: StepKind, problem: AwsProblem, text: String) -> FailureFacts {
    let mut f = base_facts(profile);
    f.stage = Some(stage);
    f.aws = Some(problem);
    f.text = text;
    f
}

/// "14m 59s".
pub fn countdown(left: Duration) -> String {
    let s = left.as_secs();
    if s >= 60 { format!("{}m {:02}s", s / 60, s % 60) } else { format!("{s}s") }
}

fn utc_clock(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let day = secs % 86_400;
    format!("{:02}:{:02}:{:02} UTC", day / 3600, day % 3600 / 60, day % 60)
}

fn expiry_text(expires_at: SystemTime) -> String {
    let left = expires_at.duration_since(SystemTime::now()).unwrap_or_default();
    format!("expires in {} (at {})", countdown(left), utc_clock(expires_at))
}

/// The sources of the default credential chain, in the order it tries them.
fn sources_tried(profile_name: &str) -> Vec<String> {
    let home = directories::BaseDirs::new()
        .map(|b| b.home_dir().display().to_string())
        .unwrap_or_else(|| "~".into());
    let creds =
        env("AWS_SHARED_CREDENTIALS_FILE").unwrap_or_else(|| format!("{home}/.aws/credentials"));
    let config = env("AWS_CONFIG_FILE").unwrap_or_else(|| format!("{home}/.aws/config"));
    vec![
        "environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)".into(),
        format!(
            "profile \"{profile_name}\" in {creds} and {config} (keys, credential_process, SSO, assume-role)"
        ),
        "web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)".into(),
        "ECS container credentials".into(),
        "EC2 instance metadata (IMDS)".into(),
    ]
}

/// Classify a credential-chain failure.
fn credentials_problem(profile: &Profile, text: &str) -> AwsProblem {
    let name = aws_profile_name(profile);
    let lower = text.to_ascii_lowercase();
    if lower.contains("sso") && (lower.contains("expired") || lower.contains("unauthorized")) {
        return AwsProblem::SsoExpired { profile: name };
    }
    let detail = if lower.contains("no providers in chain") || lower.contains("not loaded") {
        String::new()
    } else {
        text.lines().next().unwrap_or_default().chars().take(300).collect()
    };
    AwsProblem::NoCredentials { tried: sources_tried(&name), detail }
}

/// Classify an AWS error code and message from any of the three APIs.
fn api_problem(profile: &Profile, code: &str, message: &str, identity: &str) -> AwsProblem {
    let a = &profile.auth;
    let host_region = redshift_host(&profile.host).map(|h| h.region);
    match code {
        "ClusterNotFound" | "ClusterNotFoundFault" => AwsProblem::ClusterNotFound {
            cluster: a.cluster_id.clone(),
            region: a.region.clone(),
            host_region,
        },
        "ResourceNotFoundException" | "ResourceNotFound" => AwsProblem::WorkgroupNotFound {
            workgroup: a.workgroup.clone(),
            region: a.region.clone(),
            host_region,
        },
        c if c.starts_with("AccessDenied") || c == "UnauthorizedOperation" => {
            let (action, resource) = denied_action(profile, message, identity);
            AwsProblem::AccessDenied { action, resource, identity: identity.to_string() }
        }
        "ExpiredToken"
        | "ExpiredTokenException"
        | "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "InvalidSignatureException"
        | "MissingAuthenticationToken" => AwsProblem::CredentialsRejected { code: code.into() },
        other => AwsProblem::Other { code: other.into() },
    }
}

/// The action and resource an AccessDenied names ("… is not authorized to perform:
/// redshift:GetClusterCredentials on resource: arn:aws:redshift:…"), else the ones this call
/// needs.
fn denied_action(profile: &Profile, message: &str, identity_arn: &str) -> (String, String) {
    let after = |marker: &str| {
        message.find(marker).map(|i| {
            message[i + marker.len()..]
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .trim_end_matches(['.', ',', ';'])
                .to_string()
        })
    };
    if let (Some(action), Some(resource)) = (after("perform: "), after("on resource: ")) {
        return (action, resource);
    }
    let a = &profile.auth;
    let account = identity_arn.split(':').nth(4).unwrap_or("ACCOUNT");
    let partition = if a.region.starts_with("cn-") { "aws-cn" } else { "aws" };
    match a.method {
        AuthMethod::IamServerless => (
            "redshift-serverless:GetCredentials".into(),
            format!(
                "arn:{partition}:redshift-serverless:{}:{account}:workgroup/{}",
                a.region, a.workgroup
            ),
        ),
        _ if a.db_user.is_empty() => (
            "redshift:GetClusterCredentialsWithIAM".into(),
            format!(
                "arn:{partition}:redshift:{}:{account}:dbname:{}/{}",
                a.region, a.cluster_id, profile.database
            ),
        ),
        _ => (
            "redshift:GetClusterCredentials".into(),
            format!(
                "arn:{partition}:redshift:{}:{account}:dbuser:{}/{}",
                a.region, a.cluster_id, a.db_user
            ),
        ),
    }
}

async fn load_config(profile: &Profile) -> aws_config::SdkConfig {
    use aws_smithy_http_client::{Builder, tls};
    let http = Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .region(aws_config::Region::new(profile.auth.region.trim().to_string()));
    let name = profile.auth.aws_profile.trim();
    if !name.is_empty() {
        loader = loader.profile_name(name);
    }
    loader.load().await
}

/// The *AWS identity* stage: resolve the credentials through the chain and ask STS who they are.
/// A still-valid cached login skips the calls.
pub(crate) async fn identity_step(
    profile: &Profile,
    stage: &mut Stage<'_>,
    deadline: TokioInstant,
) -> Result<AwsSession, FailureFacts> {
    let kind = StepKind::AwsIdentity;
    let t = stage.start(kind.clone());
    let key = cache_key(profile);
    if let Some((identity, login)) = cached(&key) {
        stage.finish(
            kind,
            StepStatus::Ok,
            t,
            format!("account {}, {} (cached)", identity.account, identity.arn),
        );
        return Ok(AwsSession { identity, credentials: None, cached: Some(login), key });
    }
    let fail = |stage: &mut Stage<'_>, detail: String, f: FailureFacts| {
        stage.finish(StepKind::AwsIdentity, StepStatus::Failed, t, detail);
        Err(f)
    };
    let config = match timeout_at(deadline, load_config(profile)).await {
        Ok(c) => c,
        Err(_) => {
            return fail(
                stage,
                "timed out reading the AWS configuration".into(),
                timeout_facts(profile, kind),
            );
        }
    };
    let Some(provider) = config.credentials_provider() else {
        let p = credentials_problem(profile, "no providers in chain");
        return fail(
            stage,
            "no credential provider".into(),
            facts(profile, kind, p, String::new()),
        );
    };
    let credentials = match timeout_at(deadline, provider.provide_credentials()).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            let text = aws_sdk_sts::error::DisplayErrorContext(&e).to_string();
            let p = credentials_problem(profile, &text);
            let detail = match &p {
                AwsProblem::SsoExpired { profile } => format!("SSO session of {profile} expired"),
                _ => "no AWS credentials found".into(),
            };
            return fail(stage, detail, facts(profile, kind, p, text));
        }
        Err(_) => {
            return fail(
                stage,
                "timed out looking for AWS credentials".into(),
                timeout_facts(profile, kind),
            );
        }
    };
    let sts_config = aws_sdk_sts::config::Builder::from(&config)
        .credentials_provider(credentials.clone())
        .build();
    let sts = aws_sdk_sts::Client::from_conf(sts_config);
    let answer = match timeout_at(deadline, sts.get_caller_identity().send()).await {
        Ok(a) => a,
        Err(_) => {
            return fail(
                stage,
                "sts:GetCallerIdentity timed out".into(),
                timeout_facts(profile, kind),
            );
        }
    };
    match answer {
        Ok(out) => {
            let identity = Identity {
                account: out.account().unwrap_or_default().to_string(),
                arn: out.arn().unwrap_or_default().to_string(),
            };
            stage.finish(
                kind,
                StepStatus::Ok,
                t,
                format!("account {}, {}", identity.account, identity.arn),
            );
            Ok(AwsSession { identity, credentials: Some(credentials), cached: None, key })
        }
        Err(e) => {
            use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
            let text = aws_sdk_sts::error::DisplayErrorContext(&e).to_string();
            let problem = match &e {
                SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                    AwsProblem::Unreachable {
                        endpoint: env("AWS_ENDPOINT_URL_STS")
                            .or_else(|| env("AWS_ENDPOINT_URL"))
                            .unwrap_or_else(|| {
                                format!("sts.{}.amazonaws.com", profile.auth.region)
                            }),
                        region: profile.auth.region.clone(),
                    }
                }
                _ => api_problem(
                    profile,
                    e.code().unwrap_or("Unknown"),
                    e.message().unwrap_or(""),
                    "",
                ),
            };
            let mut f = facts(profile, kind, problem, text.clone());
            f.server_message = e.message().map(str::to_string);
            fail(stage, e.code().map(str::to_string).unwrap_or(text), f)
        }
    }
}

fn timeout_facts(profile: &Profile, kind: StepKind) -> FailureFacts {
    let mut f = base_facts(profile);
    f.stage = Some(kind);
    f.timed_out = true;
    f.aws = Some(AwsProblem::Unreachable {
        endpoint: service_endpoint(profile.auth.method, &profile.auth.region)
            .map(|e| e.url())
            .unwrap_or_default(),
        region: profile.auth.region.clone(),
    });
    f
}

/// Percent-encode for `application/x-www-form-urlencoded` the way AWS query APIs sign it.
fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The request one IAM profile needs: API name, signing service, headers, body.
pub struct IamRequest {
    pub api: &'static str,
    pub service: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Build the request for `profile` (pure: what is sent, before signing).
pub fn build_request(profile: &Profile) -> IamRequest {
    let a = &profile.auth;
    match a.method {
        AuthMethod::IamServerless => {
            let body = serde_json::json!({
                "workgroupName": a.workgroup,
                "dbName": profile.database,
                "durationSeconds": a.duration_secs,
            });
            IamRequest {
                api: "GetCredentials",
                service: "redshift-serverless",
                headers: vec![
                    ("Content-Type".into(), "application/x-amz-json-1.1".into()),
                    ("X-Amz-Target".into(), "RedshiftServerless.GetCredentials".into()),
                ],
                body: body.to_string(),
            }
        }
        _ => {
            let with_user = !a.db_user.trim().is_empty();
            let api =
                if with_user { "GetClusterCredentials" } else { "GetClusterCredentialsWithIAM" };
            let mut params: Vec<(String, String)> = vec![
                ("Action".into(), api.into()),
                ("Version".into(), "2012-12-01".into()),
                ("ClusterIdentifier".into(), a.cluster_id.trim().into()),
                ("DbName".into(), profile.database.clone()),
                ("DurationSeconds".into(), a.duration_secs.to_string()),
            ];
            if with_user {
                params.push(("DbUser".into(), a.db_user.trim().into()));
                params.push(("AutoCreate".into(), a.auto_create.to_string()));
                for (i, g) in a.db_groups.iter().enumerate() {
                    params.push((format!("DbGroups.DbGroup.{}", i + 1), g.clone()));
                }
            }
            let body = params
                .iter()
                .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
                .collect::<Vec<_>>()
                .join("&");
            IamRequest {
                api,
                service: "redshift",
                headers: vec![(
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded; charset=utf-8".into(),
                )],
                body,
            }
        }
    }
}

/// Sign `request` for `endpoint` with SigV4: the headers to send (`Host` excluded).
fn sign(
    request: &IamRequest,
    endpoint: &Endpoint,
    credentials: &AwsCredentials,
    region: &str,
) -> Result<Vec<(String, String)>, String> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let identity = credentials.clone().into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(request.service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let url = endpoint.url();
    let mut headers: Vec<(&str, &str)> = vec![("host", endpoint.authority.as_str())];
    headers.extend(request.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let signable = SignableRequest::new(
        "POST",
        url.as_str(),
        headers.into_iter(),
        SignableBody::Bytes(request.body.as_bytes()),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params).map_err(|e| e.to_string())?.into_parts();
    let mut out = request.headers.clone();
    out.extend(instructions.headers().map(|(k, v)| (k.to_string(), v.to_string())));
    Ok(out)
}

/// The text of the first `<tag>…</tag>`, XML entities decoded.
fn xml_tag(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&close)? + start;
    Some(xml_unescape(&body[start..end]))
}

fn xml_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => {
                u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32)
            }
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn parse_time(text: &str) -> Option<SystemTime> {
    use time::format_description::well_known::Rfc3339;
    let t = text.trim();
    let parsed = time::OffsetDateTime::parse(t, &Rfc3339)
        .or_else(|_| time::OffsetDateTime::parse(&format!("{t}Z"), &Rfc3339))
        .ok()?;
    let secs = u64::try_from(parsed.unix_timestamp()).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_nanos(parsed.nanosecond() as u64))
}

/// What an answer said: a login, or an AWS error code and message.
#[derive(Debug)]
pub enum IamAnswer {
    Login(IamLogin),
    Error { code: String, message: String },
}

/// Parse an answer of `api` (XML for Redshift, JSON for Serverless).
pub fn parse_answer(api: &'static str, status: u16, body: &[u8], duration_secs: u32) -> IamAnswer {
    let text = String::from_utf8_lossy(body);
    let fallback_expiry = SystemTime::now() + Duration::from_secs(duration_secs as u64);
    if api == "GetCredentials" {
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if status == 200
            && let (Some(user), Some(pw)) = (json["dbUser"].as_str(), json["dbPassword"].as_str())
        {
            let expires_at = json["expiration"]
                .as_f64()
                .map(|s| UNIX_EPOCH + Duration::from_secs_f64(s.max(0.0)))
                .or_else(|| json["expiration"].as_str().and_then(parse_time))
                .unwrap_or(fallback_expiry);
            return IamAnswer::Login(IamLogin {
                db_user: user.into(),
                password: Password::new(pw.into()),
                expires_at,
                api,
            });
        }
        let raw_code = json["__type"].as_str().or(json["code"].as_str()).unwrap_or("");
        let code = raw_code.rsplit('#').next().unwrap_or("").split(':').next().unwrap_or("");
        let message = json["message"].as_str().or(json["Message"].as_str()).unwrap_or("");
        return IamAnswer::Error {
            code: if code.is_empty() { format!("HTTP {status}") } else { code.into() },
            message: if message.is_empty() {
                text.chars().take(300).collect()
            } else {
                message.into()
            },
        };
    }
    if status == 200
        && let (Some(user), Some(pw)) = (xml_tag(&text, "DbUser"), xml_tag(&text, "DbPassword"))
    {
        let expires_at =
            xml_tag(&text, "Expiration").and_then(|e| parse_time(&e)).unwrap_or(fallback_expiry);
        return IamAnswer::Login(IamLogin {
            db_user: user,
            password: Password::new(pw),
            expires_at,
            api,
        });
    }
    IamAnswer::Error {
        code: xml_tag(&text, "Code").unwrap_or_else(|| format!("HTTP {status}")),
        message: xml_tag(&text, "Message").unwrap_or_else(|| text.chars().take(300).collect()),
    }
}

/// The *IAM credentials* stage: ask Redshift (or Redshift Serverless) for a temporary login.
pub(crate) async fn credentials_step(
    profile: &Profile,
    session: AwsSession,
    stage: &mut Stage<'_>,
    deadline: TokioInstant,
) -> Result<IamLogin, FailureFacts> {
    let kind = StepKind::IamCredentials;
    let t = stage.start(kind.clone());
    let info = |login: &IamLogin, cached: bool| IamInfo {
        api: login.api.to_string(),
        db_user: login.db_user.clone(),
        expires_at_unix: login
            .expires_at
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        account: session.identity.account.clone(),
        arn: session.identity.arn.clone(),
        cached,
    };
    if let Some(login) = &session.cached {
        stage.report.iam = Some(info(login, true));
        stage.finish(
            kind,
            StepStatus::Ok,
            t,
            format!("{}: {} (cached), {}", login.api, login.db_user, expiry_text(login.expires_at)),
        );
        return Ok(login.clone());
    }
    let fail = |stage: &mut Stage<'_>, detail: String, f: FailureFacts| {
        stage.finish(StepKind::IamCredentials, StepStatus::Failed, t, detail);
        Err(f)
    };
    let region = profile.auth.region.trim();
    let endpoint = match service_endpoint(profile.auth.method, region) {
        Ok(e) => e,
        Err(e) => {
            let p = AwsProblem::Other { code: "InvalidEndpoint".into() };
            return fail(stage, e.clone(), facts(profile, kind, p, e));
        }
    };
    let Some(credentials) = &session.credentials else {
        return fail(stage, "no AWS credentials".into(), base_facts(profile));
    };
    let request = build_request(profile);
    let headers = match sign(&request, &endpoint, credentials, region) {
        Ok(h) => h,
        Err(e) => {
            let p = AwsProblem::Other { code: "SigningFailed".into() };
            return fail(stage, e.clone(), facts(profile, kind, p, e));
        }
    };
    let sent =
        timeout_at(deadline, aws_http::post(&endpoint, &headers, request.body.as_bytes())).await;
    let response = match sent {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            let p = AwsProblem::Unreachable { endpoint: endpoint.url(), region: region.into() };
            let text = format!("{}: {e}", endpoint.url());
            return fail(stage, text.clone(), facts(profile, kind, p, text));
        }
        Err(_) => return fail(stage, "timed out".into(), timeout_facts(profile, kind)),
    };
    match parse_answer(request.api, response.status, &response.body, profile.auth.duration_secs) {
        IamAnswer::Login(login) => {
            stage.report.iam = Some(info(&login, false));
            stage.finish(
                kind,
                StepStatus::Ok,
                t,
                format!("{}: {}, {}", login.api, login.db_user, expiry_text(login.expires_at)),
            );
            if let Ok(mut cache) = CACHE.lock() {
                cache.insert(session.key.clone(), (session.identity.clone(), login.clone()));
            }
            Ok(login)
        }
        IamAnswer::Error { code, message } => {
            let p = api_problem(profile, &code, &message, &session.identity.arn);
            let mut f = facts(profile, kind, p, format!("{code}: {message}"));
            f.server_message = Some(format!("{code}: {message}"));
            fail(stage, format!("{}: {code}", request.api), f)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftgate_core::profile::Engine;

    fn profile(method: AuthMethod) -> Profile {
        let mut p = Profile::new(Engine::Redshift);
        p.host = "examplecluster.abc123.us-west-2.redshift.amazonaws.com".into();
        p.auth.method = method;
        p.auth.cluster_id = "examplecluster".into();
        p.auth.workgroup = "wg".into();
        p.auth.region = "us-east-1".into();
        p
    }

    #[test]
    fn requests_carry_the_documented_parameters() {
        let mut p = profile(AuthMethod::Iam);
        p.auth.db_user = "etl user".into();
        p.auth.db_groups = vec!["analysts".into(), "r&d".into()];
        p.auth.auto_create = true;
        p.auth.duration_secs = 900;
        let r = build_request(&p);
        assert_eq!((r.api, r.service), ("GetClusterCredentials", "redshift"));
        assert_eq!(
            r.body,
            "Action=GetClusterCredentials&Version=2012-12-01&ClusterIdentifier=examplecluster&DbName=dev&DurationSeconds=900&DbUser=etl%20user&AutoCreate=true&DbGroups.DbGroup.1=analysts&DbGroups.DbGroup.2=r%26d"
        );
        p.auth.db_user.clear();
        p.auth.db_groups.clear();
        let r = build_request(&p);
        assert_eq!(r.api, "GetClusterCredentialsWithIAM");
        assert!(!r.body.contains("DbUser") && !r.body.contains("AutoCreate"), "{}", r.body);
        let r = build_request(&profile(AuthMethod::IamServerless));
        assert_eq!((r.api, r.service), ("GetCredentials", "redshift-serverless"));
        let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"workgroupName": "wg", "dbName": "dev", "durationSeconds": 3600})
        );
    }

    #[test]
    fn answers_and_errors_parse() {
        let xml = b"<GetClusterCredentialsResponse><GetClusterCredentialsResult><DbUser>IAM:etl</DbUser><Expiration>2030-01-02T03:04:05.383Z</Expiration><DbPassword>a&amp;b&lt;c</DbPassword></GetClusterCredentialsResult></GetClusterCredentialsResponse>";
        let IamAnswer::Login(l) = parse_answer("GetClusterCredentials", 200, xml, 900) else {
            panic!("not a login")
        };
        assert_eq!((l.db_user.as_str(), l.password.as_str()), ("IAM:etl", "a&b<c"));
        assert_eq!(l.expires_at.duration_since(UNIX_EPOCH).unwrap().as_secs(), 1_893_553_445);
        let err = b"<ErrorResponse><Error><Type>Sender</Type><Code>ClusterNotFound</Code><Message>Cluster x not found.</Message></Error></ErrorResponse>";
        let IamAnswer::Error { code, message } =
            parse_answer("GetClusterCredentials", 400, err, 900)
        else {
            panic!("not an error")
        };
        assert_eq!((code.as_str(), message.as_str()), ("ClusterNotFound", "Cluster x not found."));
        let json = br#"{"dbUser":"IAMR:admin","dbPassword":"p","expiration":1893553445.0,"nextRefreshTime":1893550000}"#;
        let IamAnswer::Login(l) = parse_answer("GetCredentials", 200, json, 900) else { panic!() };
        assert_eq!(l.db_user, "IAMR:admin");
        assert_eq!(l.expires_at.duration_since(UNIX_EPOCH).unwrap().as_secs(), 1_893_553_445);
        let json = br#"{"__type":"com.amazonaws.redshiftserverless#ResourceNotFoundException","message":"Workgroup wg not found"}"#;
        let IamAnswer::Error { code, .. } = parse_answer("GetCredentials", 400, json, 900) else {
            panic!()
        };
        assert_eq!(code, "ResourceNotFoundException");
    }

    #[test]
    fn access_denied_names_action_and_resource() {
        let mut p = profile(AuthMethod::Iam);
        p.auth.db_user = "etl".into();
        let msg = "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: redshift:JoinGroup on resource: arn:aws:redshift:us-east-1:123456789012:dbgroup:examplecluster/analysts because no identity-based policy allows it";
        assert_eq!(
            denied_action(&p, msg, ""),
            (
                "redshift:JoinGroup".into(),
                "arn:aws:redshift:us-east-1:123456789012:dbgroup:examplecluster/analysts".into()
            )
        );
        assert_eq!(
            denied_action(&p, "Access denied", "arn:aws:iam::123456789012:user/alice"),
            (
                "redshift:GetClusterCredentials".into(),
                "arn:aws:redshift:us-east-1:123456789012:dbuser:examplecluster/etl".into()
            )
        );
        let problem = api_problem(&p, "ClusterNotFound", "Cluster examplecluster not found.", "");
        let d = shiftgate_core::diagnose::diagnose(&FailureFacts {
            aws: Some(problem),
            ..Default::default()
        });
        assert_eq!(d.cause, shiftgate_core::diagnose::Cause::AwsWrongRegion, "{d:?}");
        assert!(d.hint.contains("--region us-west-2"), "{}", d.hint);
        assert!(matches!(
            credentials_problem(&p, "the SSO token has expired and cannot be refreshed"),
            AwsProblem::SsoExpired { .. }
        ));
        assert_eq!(countdown(Duration::from_secs(899)), "14m 59s");
    }
}
