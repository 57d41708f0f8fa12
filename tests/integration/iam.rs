//! IAM temporary credentials end to end through the `shiftgate` binary: moto (server mode) for
//! STS and the provisioned GetClusterCredentials, a loopback test double for
//! GetClusterCredentialsWithIAM and Serverless GetCredentials, and the Redshift simulator
//! accepting the temporary `IAM:`/`IAMA:`/`IAMR:` login over TLS. AWS keys are only ever in the
//! environment; afterwards neither they nor a temporary password is found under HOME or the
//! config dir.

use crate::support::aws::{self, ACCESS_KEY, Double, Moto, Received, SECRET_KEY};
use crate::support::rt;
use redshift_sim::{RunningSimulator, Simulator, Warehouse};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Sim {
    sim: RunningSimulator,
    ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

fn sim() -> Sim {
    let sim = rt()
        .block_on(
            Simulator::builder()
                .warehouse(Warehouse::sample())
                .tls(true)
                .bind("127.0.0.1:0")
                .start(),
        )
        .expect("simulator starts");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("sim-ca.pem");
    std::fs::write(&ca_file, sim.ca_cert_pem().unwrap_or("")).unwrap();
    Sim { sim, ca_file, _dir: dir }
}

/// A HOME and a config dir of their own, and the AWS environment of one run.
struct Env {
    home: tempfile::TempDir,
    config: tempfile::TempDir,
    vars: Vec<(String, String)>,
}

impl Env {
    fn new(vars: &[(&str, &str)]) -> Env {
        Env {
            home: tempfile::tempdir().unwrap(),
            config: tempfile::tempdir().unwrap(),
            vars: vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    /// Static keys from the environment, every AWS call to `url`.
    fn keys_and_endpoint(url: &str) -> Env {
        Env::new(&[
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
            ("AWS_ENDPOINT_URL", url),
        ])
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_shiftgate"));
        c.arg("--config-dir").arg(self.config.path()).args(args);
        c.stdin(std::process::Stdio::null()).env("HOME", self.home.path());
        for (k, _) in std::env::vars() {
            if k.starts_with("AWS_") || k == "PGPASSWORD" {
                c.env_remove(k);
            }
        }
        // No instance metadata service here: don't wait for one.
        c.env("AWS_EC2_METADATA_DISABLED", "true");
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c.output().expect("run shiftgate")
    }

    fn add(&self, name: &str, sim: &Sim, extra: &[&str]) {
        let port = sim.sim.port().to_string();
        let ca = sim.ca_file.to_string_lossy().into_owned();
        let mut args = vec![
            "profiles",
            "add",
            name,
            "--host",
            "localhost",
            "--port",
            &port,
            "-d",
            "dev",
            "--sslmode",
            "verify-full",
            "--ca-file",
            &ca,
        ];
        args.extend_from_slice(extra);
        let o = self.run(&args);
        assert!(o.status.success(), "{}", all(&o));
    }

    /// Every file under HOME and the config dir that contains one of `secrets`.
    fn files_containing(&self, secrets: &[&str]) -> Vec<String> {
        let mut hits = Vec::new();
        for root in [self.home.path(), self.config.path()] {
            walk(root, &mut |path, bytes| {
                for s in secrets {
                    if bytes.windows(s.len()).any(|w| w == s.as_bytes()) {
                        hits.push(format!("{} contains {s}", path.display()));
                    }
                }
            });
        }
        hits
    }
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path, &[u8])) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, f);
        } else if let Ok(bytes) = std::fs::read(&p) {
            f(&p, &bytes);
        }
    }
}

fn all(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn json_report(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", all(o)))
}

fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn create_cluster(moto: &Moto, id: &str) {
    let (status, body) = moto.query(
        "redshift",
        &format!(
            "Action=CreateCluster&Version=2012-12-01&ClusterIdentifier={id}&NodeType=dc2.large&MasterUsername=admin&MasterUserPassword=Passw0rd1"
        ),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn provisioned_cluster_via_moto_logs_in_with_the_temporary_password() {
    let moto = Moto::start();
    create_cluster(&moto, "examplecluster");
    // What Shiftgate will receive: moto's randomness repeats after a seed, so the same two calls
    // (GetCallerIdentity, then GetClusterCredentials) made here first give the same password.
    moto.seed(4242);
    let (status, _) = moto.query("sts", "Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(status, 200);
    let (status, body) = moto.query(
        "redshift",
        "Action=GetClusterCredentials&Version=2012-12-01&ClusterIdentifier=examplecluster&DbName=dev&DurationSeconds=900&DbUser=etl_iam&AutoCreate=true",
    );
    assert_eq!(status, 200, "{body}");
    let password = aws::xml(&body, "DbPassword").expect("a password");
    assert_eq!(aws::xml(&body, "DbUser").as_deref(), Some("IAMA:etl_iam"));
    let sim = sim();
    sim.sim.issue_iam_credentials("IAMA:etl_iam", &password, "etl_iam", true);
    assert!(sim.sim.catalog().user_by_name("etl_iam").is_none());

    let env = Env::keys_and_endpoint(&moto.url());
    env.add(
        "iam",
        &sim,
        &[
            "--auth",
            "iam",
            "--cluster-id",
            "examplecluster",
            "--region",
            "us-east-1",
            "--db-user",
            "etl_iam",
            "--auto-create",
            "--duration",
            "900",
        ],
    );
    let shown = env.run(&["profiles", "show", "iam"]);
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains(
            "auth:     IAM, cluster examplecluster in us-east-1, as DbUser etl_iam, auto-create, 900 s"
        ),
        "{}",
        all(&shown)
    );
    moto.seed(4242);
    let o = env.run(&["test", "iam", "--json"]);
    assert!(o.status.success(), "{}", all(&o));
    let r = json_report(&o);
    let steps: Vec<&str> = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"]["kind"].as_str().unwrap_or(""))
        .collect();
    let pos =
        |k: &str| steps.iter().position(|s| *s == k).unwrap_or_else(|| panic!("{k}: {steps:?}"));
    assert!(pos("resolve") < pos("aws_identity"), "{steps:?}");
    assert!(pos("aws_identity") < pos("iam_credentials") && pos("iam_credentials") < pos("tls"));
    assert_eq!(r["iam"]["api"], "GetClusterCredentials");
    assert_eq!(r["iam"]["db_user"], "IAMA:etl_iam");
    assert_eq!(r["iam"]["account"], "123456789012");
    let expires = r["iam"]["expires_at_unix"].as_u64().unwrap();
    let now = now_unix();
    assert!(expires > now + 800 && expires <= now + 901, "900 s asked: {expires} vs {now}");
    assert_eq!(r["server"]["current_user"], "etl_iam", "logged in as the mapped user");
    assert!(sim.sim.catalog().user_by_name("etl_iam").is_some(), "AutoCreate made the user");

    // The human report names the identity and the countdown.
    moto.seed(4242);
    let o = env.run(&["test", "iam"]);
    let text = all(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("AWS identity") && text.contains("arn:aws:sts::123456789012:user/moto"),
        "{text}"
    );
    assert!(text.contains("GetClusterCredentials: IAMA:etl_iam, expires in 1"), "{text}");

    assert_eq!(env.files_containing(&[SECRET_KEY, ACCESS_KEY, &password]), Vec::<String>::new());
}

#[test]
fn moto_errors_are_diagnosed_and_the_duration_is_bounded() {
    let moto = Moto::start();
    create_cluster(&moto, "realcluster");
    let sim = sim();
    let env = Env::keys_and_endpoint(&moto.url());
    let base = ["--auth", "iam", "--region", "us-east-1", "--db-user", "etl"];
    let mut args = base.to_vec();
    args.extend(["--cluster-id", "missingcluster"]);
    env.add("missing", &sim, &args);
    let o = env.run(&["test", "missing", "--json"]);
    assert!(!o.status.success());
    let r = json_report(&o);
    assert_eq!(r["diagnosis"]["cause"], "cluster_not_found", "{r}");
    let summary = r["diagnosis"]["summary"].as_str().unwrap();
    assert!(summary.contains("\"missingcluster\" in region us-east-1"), "{summary}");
    assert!(r["diagnosis"]["server_text"].as_str().unwrap().contains("ClusterNotFound"), "{r}");

    // The duration stays within 900–3600 s: refused before anything is sent.
    let mut args = base.to_vec();
    args.extend(["--cluster-id", "realcluster", "--duration", "899"]);
    let port = sim.sim.port().to_string();
    let mut add = vec!["profiles", "add", "short", "--host", "localhost", "--port", &port];
    add.extend(args.iter());
    let o = env.run(&add);
    assert!(!o.status.success());
    assert!(all(&o).contains("Duration must be between 900 and 3600 seconds"), "{}", all(&o));
    let o = env.run(&[
        "profiles",
        "add",
        "long",
        "--host",
        "h",
        "--auth",
        "iam",
        "--cluster-id",
        "c",
        "--region",
        "us-east-1",
        "--duration",
        "3601",
    ]);
    assert!(all(&o).contains("Duration must be between 900 and 3600 seconds"), "{}", all(&o));
}

#[test]
fn missing_credentials_and_expired_sso_are_diagnosed() {
    let sim = sim();
    let env = Env::new(&[]);
    env.add("nocreds", &sim, &["--auth", "iam", "--cluster-id", "c1", "--region", "us-east-1"]);
    let o = env.run(&["test", "nocreds", "--json"]);
    assert!(!o.status.success());
    let r = json_report(&o);
    assert_eq!(r["diagnosis"]["cause"], "aws_no_credentials", "{r}");
    let summary = r["diagnosis"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("environment variables") && summary.contains("profile \"default\""),
        "{summary}"
    );
    assert!(summary.contains("EC2 instance metadata"), "{summary}");

    // An SSO profile whose cached token has expired.
    let aws_dir = env.home.path().join(".aws");
    std::fs::create_dir_all(aws_dir.join("sso/cache")).unwrap();
    std::fs::write(
        aws_dir.join("config"),
        "[profile dev-sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\nregion = us-east-1\n\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
    )
    .unwrap();
    // The cache file is named after sha1("corp"), the session name.
    std::fs::write(
        aws_dir.join("sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json"),
        r#"{"accessToken":"expired-token","expiresAt":"2020-01-01T00:00:00Z","region":"us-east-1","startUrl":"https://example.awsapps.com/start"}"#,
    )
    .unwrap();
    let o = env.run(&["profiles", "edit", "nocreds", "--aws-profile", "dev-sso"]);
    assert!(o.status.success(), "{}", all(&o));
    let o = env.run(&["test", "nocreds", "--json"]);
    let r = json_report(&o);
    assert_eq!(r["diagnosis"]["cause"], "aws_sso_expired", "{r}");
    assert!(
        r["diagnosis"]["hint"].as_str().unwrap().contains("aws sso login --profile dev-sso"),
        "{r}"
    );
}

/// The double's answers, as the AWS API reference shows them.
fn double_answer(req: &Received, password: &str, account_ok: bool) -> aws::Answer {
    let exp = now_unix() + 900;
    if req.header("x-amz-target") == Some("RedshiftServerless.GetCredentials") {
        let body: serde_json::Value = serde_json::from_str(&req.body).unwrap_or_default();
        if body["workgroupName"] != "analytics-wg" {
            return (
                400,
                "application/x-amz-json-1.1",
                r#"{"__type":"ResourceNotFoundException","message":"Workgroup not found"}"#.into(),
            );
        }
        let json = serde_json::json!({
            "dbUser": "IAMR:analyst",
            "dbPassword": password,
            "expiration": exp as f64,
            "nextRefreshTime": (exp - 300) as f64,
        });
        return (200, "application/x-amz-json-1.1", json.to_string());
    }
    if !account_ok {
        return (
            403,
            "text/xml",
            "<ErrorResponse xmlns=\"http://redshift.amazonaws.com/doc/2012-12-01/\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:user/moto is not authorized to perform: redshift:GetClusterCredentialsWithIAM on resource: arn:aws:redshift:us-east-1:123456789012:dbname:examplecluster/dev because no identity-based policy allows the redshift:GetClusterCredentialsWithIAM action</Message></Error><RequestId>r1</RequestId></ErrorResponse>".into(),
        );
    }
    let iso = time::OffsetDateTime::from_unix_timestamp(exp as i64)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    (
        200,
        "text/xml",
        format!(
            "<GetClusterCredentialsWithIAMResponse xmlns=\"http://redshift.amazonaws.com/doc/2012-12-01/\"><GetClusterCredentialsWithIAMResult><DbUser>IAM:moto</DbUser><Expiration>{iso}</Expiration><NextRefreshTime>{iso}</NextRefreshTime><DbPassword>{password}</DbPassword></GetClusterCredentialsWithIAMResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></GetClusterCredentialsWithIAMResponse>"
        ),
    )
}

fn form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn serverless_and_with_iam_through_the_signed_test_double() {
    let moto = Moto::start();
    const PW: &str = "Tmp-Pw-From-The-Double-7";
    let double = Double::start(|r| double_answer(r, PW, true));
    let sim = sim();
    sim.sim.issue_iam_credentials("IAMR:analyst", PW, "IAMR:analyst", true);
    sim.sim.issue_iam_credentials("IAM:moto", PW, "IAM:moto", true);
    let env = Env::new(&[
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_ENDPOINT_URL_STS", &moto.url()),
        ("AWS_ENDPOINT_URL_REDSHIFT", &double.url()),
        ("AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS", &double.url()),
    ]);

    // Serverless GetCredentials.
    env.add(
        "sl",
        &sim,
        &[
            "--auth",
            "iam-serverless",
            "--workgroup",
            "analytics-wg",
            "--region",
            "us-east-1",
            "--duration",
            "1200",
        ],
    );
    let o = env.run(&["test", "sl", "--json"]);
    assert!(o.status.success(), "{}", all(&o));
    let r = json_report(&o);
    assert_eq!(
        (r["iam"]["api"].as_str(), r["iam"]["db_user"].as_str()),
        (Some("GetCredentials"), Some("IAMR:analyst"))
    );
    assert_eq!(r["server"]["current_user"], "IAMR:analyst");
    let req = double.received.lock().unwrap().last().cloned().expect("a request");
    assert_eq!(req.header("content-type"), Some("application/x-amz-json-1.1"));
    aws::check_sigv4(
        &req,
        "us-east-1",
        "redshift-serverless",
        &["content-type", "host", "x-amz-date", "x-amz-target"],
    );
    let body: serde_json::Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"workgroupName": "analytics-wg", "dbName": "dev", "durationSeconds": 1200})
    );

    // GetClusterCredentialsWithIAM: no DbUser.
    env.add(
        "withiam",
        &sim,
        &["--auth", "iam", "--cluster-id", "examplecluster", "--region", "us-east-1"],
    );
    let o = env.run(&["test", "withiam", "--json"]);
    assert!(o.status.success(), "{}", all(&o));
    let r = json_report(&o);
    assert_eq!(r["iam"]["api"], "GetClusterCredentialsWithIAM");
    assert_eq!(r["server"]["current_user"], "IAM:moto");
    let req = double.received.lock().unwrap().last().cloned().unwrap();
    assert_eq!(req.header("x-amz-target"), None);
    aws::check_sigv4(&req, "us-east-1", "redshift", &["content-type", "host", "x-amz-date"]);
    let f = form(&req.body);
    let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("Action"), Some("GetClusterCredentialsWithIAM"));
    assert_eq!(get("Version"), Some("2012-12-01"));
    assert_eq!(get("ClusterIdentifier"), Some("examplecluster"));
    assert_eq!(get("DbName"), Some("dev"));
    assert_eq!(get("DurationSeconds"), Some("3600"));
    assert_eq!(get("DbUser"), None);

    // GetClusterCredentials with groups: DbGroups.DbGroup.N.
    env.run(&[
        "profiles",
        "edit",
        "withiam",
        "--db-user",
        "etl",
        "--db-groups",
        "analysts,readers",
    ]);
    let _ = env.run(&["test", "withiam", "--json"]);
    let req = double.received.lock().unwrap().last().cloned().unwrap();
    let f = form(&req.body);
    let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("Action"), Some("GetClusterCredentials"));
    assert_eq!((get("DbUser"), get("AutoCreate")), (Some("etl"), Some("false")));
    assert_eq!(
        (get("DbGroups.DbGroup.1"), get("DbGroups.DbGroup.2")),
        (Some("analysts"), Some("readers"))
    );

    // A workgroup that does not exist.
    env.run(&["profiles", "edit", "sl", "--workgroup", "nope-wg"]);
    let r = json_report(&env.run(&["test", "sl", "--json"]));
    assert_eq!(r["diagnosis"]["cause"], "cluster_not_found", "{r}");
    assert!(r["diagnosis"]["summary"].as_str().unwrap().contains("workgroup \"nope-wg\""), "{r}");

    // AccessDenied names the action and the resource.
    let denied = Double::start(|r| double_answer(r, PW, false));
    let env2 = Env::new(&[
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_ENDPOINT_URL_STS", &moto.url()),
        ("AWS_ENDPOINT_URL_REDSHIFT", &denied.url()),
    ]);
    env2.add(
        "denied",
        &sim,
        &["--auth", "iam", "--cluster-id", "examplecluster", "--region", "us-east-1"],
    );
    let r = json_report(&env2.run(&["test", "denied", "--json"]));
    assert_eq!(r["diagnosis"]["cause"], "aws_access_denied", "{r}");
    let summary = r["diagnosis"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("redshift:GetClusterCredentialsWithIAM on arn:aws:redshift:us-east-1:123456789012:dbname:examplecluster/dev"),
        "{summary}"
    );

    for e in [&env, &env2] {
        assert_eq!(e.files_containing(&[SECRET_KEY, ACCESS_KEY, PW]), Vec::<String>::new());
    }
}
