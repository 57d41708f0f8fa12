//! Pasting connection text: every accepted format, the errors a user sees, and rendering a profile
//! back as a URL or psql command that parses to the same fields.

use proptest::prelude::*;
use shiftgate_core::endpoint::{
    EndpointError, EndpointFormat, ParsedEndpoint, RedshiftKind, parse_pasted, profile_url,
    psql_command,
};
use shiftgate_core::profile::{Engine, Profile, SslMode};
use std::path::PathBuf;

fn paste(text: &str) -> ParsedEndpoint {
    parse_pasted(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

fn fields(p: &ParsedEndpoint) -> (Option<&str>, Option<u16>, Option<&str>, Option<&str>) {
    (p.host.as_deref(), p.port, p.database.as_deref(), p.user.as_deref())
}

const CLUSTER: &str = "examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com";

#[test]
fn redshift_console_endpoint_with_and_without_port_and_database() {
    let p = paste(&format!("{CLUSTER}:5439/dev"));
    assert_eq!(p.format, EndpointFormat::RedshiftEndpoint);
    assert_eq!(p.engine, Some(Engine::Redshift));
    assert_eq!(fields(&p), (Some(CLUSTER), Some(5439), Some("dev"), None));
    let rs = p.redshift.as_ref().unwrap();
    assert_eq!(
        (rs.kind, rs.name.as_str(), rs.region.as_str()),
        (RedshiftKind::Provisioned, "examplecluster", "us-west-2")
    );
    assert!(
        p.recognised
            .iter()
            .any(|l| l.contains("provisioned cluster \"examplecluster\" in us-west-2")),
        "{:?}",
        p.recognised
    );

    let p = paste(CLUSTER);
    assert_eq!((p.format, p.engine), (EndpointFormat::RedshiftEndpoint, Some(Engine::Redshift)));
    assert_eq!(fields(&p), (Some(CLUSTER), None, None, None));
}

#[test]
fn serverless_and_china_endpoints() {
    let p = paste("wg.123456789012.us-east-1.redshift-serverless.amazonaws.com:5439/dev");
    let rs = p.redshift.as_ref().unwrap();
    assert_eq!((rs.kind, rs.name.as_str(), rs.china), (RedshiftKind::Serverless, "wg", false));
    let p = paste("analytics.abc123.cn-north-1.redshift.amazonaws.com.cn:5439/dev");
    assert_eq!(p.engine, Some(Engine::Redshift));
    assert!(p.redshift.as_ref().unwrap().china);
    assert_eq!(p.host.as_deref(), Some("analytics.abc123.cn-north-1.redshift.amazonaws.com.cn"));
}

#[test]
fn plain_host_port_database_and_ipv6() {
    let p = paste("db.example.com:5432/app");
    assert_eq!((p.format, p.engine), (EndpointFormat::HostPort, Some(Engine::Postgres)));
    assert_eq!(fields(&p), (Some("db.example.com"), Some(5432), Some("app"), None));
    let p = paste("[::1]:5432/db");
    assert_eq!(fields(&p), (Some("::1"), Some(5432), Some("db"), None));
    let p = paste("[2001:db8::17]:6000");
    assert_eq!((fields(&p), p.engine), ((Some("2001:db8::17"), Some(6000), None, None), None));
    assert_eq!(paste("fe80::1").host.as_deref(), Some("fe80::1"));
    let p = paste("alice@db.example.com:6543/app");
    assert_eq!(fields(&p), (Some("db.example.com"), Some(6543), Some("app"), Some("alice")));
}

#[test]
fn postgres_uri_with_encoded_password_and_params() {
    let p = paste(
        "postgresql://alice:p%40ss%3Aw0rd@db.example.com:6432/sales?sslmode=verify-ca&sslrootcert=%2Fetc%2Fca.pem&application_name=etl&connect_timeout=7&target_session_attrs=read-write&foo=bar",
    );
    assert_eq!(p.format, EndpointFormat::Uri);
    assert_eq!(fields(&p), (Some("db.example.com"), Some(6432), Some("sales"), Some("alice")));
    assert_eq!(p.password.as_deref(), Some("p@ss:w0rd"));
    assert_eq!(p.sslmode, Some(SslMode::VerifyCa));
    assert_eq!(p.ca_file, Some(PathBuf::from("/etc/ca.pem")));
    assert_eq!((p.application_name.as_deref(), p.connect_timeout_secs), (Some("etl"), Some(7)));
    assert!(
        p.ignored.iter().any(|l| l.starts_with("target_session_attrs=read-write: not supported")),
        "{:?}",
        p.ignored
    );
    assert!(p.ignored.iter().any(|l| l.starts_with("foo=bar: unknown")), "{:?}", p.ignored);
    // No port in a postgres URI means libpq's 5432.
    assert_eq!(paste("postgres://u@localhost/app").engine, Some(Engine::Postgres));
    assert_eq!(paste("redshift://u@10.0.0.5:5440/dev").engine, Some(Engine::Redshift));
    let p = paste("postgresql://[2001:db8::1]:5433/x?ssl=true");
    assert_eq!((p.host.as_deref(), p.sslmode), (Some("2001:db8::1"), Some(SslMode::Require)));
}

#[test]
fn password_never_shows_in_preview_lines_or_debug() {
    let p = paste("postgresql://alice:TopSecret42@db.example.com/app?password=TopSecret42");
    assert_eq!(p.password.as_deref(), Some("TopSecret42"));
    let shown = format!("{:?} {:?} {:?}", p.recognised, p.ignored, p);
    assert!(!shown.contains("TopSecret42"), "{shown}");
    let p = paste("jdbc:redshift://h.example.com:5439/dev;SecretAccessKey=AKIAXXSECRET");
    assert!(!format!("{p:?}").contains("AKIAXXSECRET"));
}

#[test]
fn at_signs_and_unicode_in_urls() {
    let p = paste("postgresql://h.example.com/db?application_name=a@b");
    assert_eq!((p.host.as_deref(), p.user.as_deref()), (Some("h.example.com"), None));
    assert_eq!(p.application_name.as_deref(), Some("a@b"));
    let p = paste("postgres://bob:p@ss/w0rd@h.example.com:5433/db");
    assert_eq!(
        p.password.as_deref(),
        Some("p@ss/w0rd"),
        "an unencoded @ or / in the password still parses"
    );
    assert_eq!((p.host.as_deref(), p.port), (Some("h.example.com"), Some(5433)));
    let p = paste(
        "postgresql://j%C3%BCrgen@m%C3%BCnchen.example.de/caf%C3%A9?application_name=%E2%98%81",
    );
    assert_eq!(fields(&p), (Some("münchen.example.de"), None, Some("café"), Some("jürgen")));
    assert_eq!(p.application_name.as_deref(), Some("☁"));
    let p = paste("jdbc:redshift://h.example.com:5439/dev;PWD=pa;ss");
    assert!(p.ignored.iter().all(|l| !l.contains("ss")), "{:?}", p.ignored);
}

#[test]
fn multi_host_uri_uses_the_first_host() {
    let p = paste("postgresql://u@a.example.com:5433,b.example.com:5434/db");
    assert_eq!((p.host.as_deref(), p.port), (Some("a.example.com"), Some(5433)));
    assert!(p.ignored.iter().any(|l| l.contains("b.example.com:5434")));
}

#[test]
fn jdbc_redshift_urls() {
    let p = paste(&format!(
        "jdbc:redshift://{CLUSTER}:5439/dev;UID=awsuser;PWD=pa;ss?ssl=true&ApplicationName=bi"
    ));
    assert_eq!(p.format, EndpointFormat::Jdbc);
    assert_eq!(fields(&p), (Some(CLUSTER), Some(5439), Some("dev"), Some("awsuser")));
    assert_eq!(p.password.as_deref(), Some("pa"), "a ; ends a JDBC property");
    assert_eq!(p.application_name.as_deref(), Some("bi"));
    assert!(!p.iam);

    let p = paste(&format!(
        "jdbc:redshift:iam://{CLUSTER}:5439/dev?DbUser=analyst&AutoCreate=true&Profile=dev"
    ));
    assert!(p.iam);
    assert_eq!(p.user.as_deref(), Some("analyst"));
    let mut prof = shiftgate_core::profile::Profile::default();
    p.apply_to(&mut prof);
    assert_eq!(prof.auth.method, shiftgate_core::profile::AuthMethod::Iam);
    assert_eq!((prof.auth.db_user.as_str(), prof.auth.aws_profile.as_str()), ("analyst", "dev"));
    assert!(prof.auth.auto_create);
    assert_eq!(prof.auth.cluster_id, CLUSTER.split('.').next().unwrap(), "from the host");

    let p = paste("jdbc:redshift:iam://examplecluster:us-west-2/dev");
    assert_eq!((p.host.as_deref(), p.database.as_deref()), (None, Some("dev")));
    assert!(p.ignored.iter().any(|l| l.contains("cluster \"examplecluster\" in us-west-2")));
    let mut prof = shiftgate_core::profile::Profile::default();
    p.apply_to(&mut prof);
    assert_eq!(
        (prof.auth.cluster_id.as_str(), prof.auth.region.as_str()),
        ("examplecluster", "us-west-2")
    );

    let p = paste("jdbc:postgresql://db.example.com/app?user=bob&password=x&loginTimeout=5");
    assert_eq!(
        (p.user.as_deref(), p.connect_timeout_secs, p.engine),
        (Some("bob"), Some(5), Some(Engine::Postgres))
    );
}

#[test]
fn libpq_key_value_strings() {
    let p = paste(
        r"host=db.example.com port=5439 dbname='my db' user=admin password='it\'s a \\ secret' sslmode=require application_name=x",
    );
    assert_eq!(p.format, EndpointFormat::KeyValue);
    assert_eq!(fields(&p), (Some("db.example.com"), Some(5439), Some("my db"), Some("admin")));
    assert_eq!(p.password.as_deref(), Some(r"it's a \ secret"));
    assert_eq!((p.sslmode, p.engine), (Some(SslMode::Require), Some(Engine::Redshift)));
    let p = paste("hostaddr=10.1.2.3 dbname=x connect_timeout=0");
    assert_eq!(p.host.as_deref(), Some("10.1.2.3"));
    assert!(p.ignored.iter().any(|l| l.contains("wait forever")));
    let p = paste("host=h.example.com hostaddr=10.1.2.3 service=sales");
    assert_eq!(p.host.as_deref(), Some("h.example.com"));
    assert!(p.ignored.iter().any(|l| l.starts_with("hostaddr=10.1.2.3")));
    assert!(p.ignored.iter().any(|l| l.contains("pg_service.conf")));
}

#[test]
fn psql_command_lines() {
    let p = paste("psql -h db.example.com -p 5433 -U alice -d sales");
    assert_eq!(p.format, EndpointFormat::PsqlCommand);
    assert_eq!(fields(&p), (Some("db.example.com"), Some(5433), Some("sales"), Some("alice")));

    let p = paste(
        "psql --host=db.example.com --port 5439 --username='Mary O'\\''Neil' --dbname=\"dev db\" -X -c 'select 1'",
    );
    assert_eq!(
        fields(&p),
        (Some("db.example.com"), Some(5439), Some("dev db"), Some("Mary O'Neil"))
    );
    assert!(
        p.ignored.iter().any(|l| l.contains("-X")) && p.ignored.iter().any(|l| l.contains("-c"))
    );

    let p = paste(
        "PGPASSWORD=s3cret PGSSLMODE=verify-full /usr/bin/psql -hdb.example.com -Ubob analytics",
    );
    assert_eq!(fields(&p), (Some("db.example.com"), None, Some("analytics"), Some("bob")));
    assert_eq!((p.password.as_deref(), p.sslmode), (Some("s3cret"), Some(SslMode::VerifyFull)));

    let p = paste(
        "psql \\\n  -h db.example.com \\\n  -W \\\n  \"postgresql://carol@other.example.com:6000/x\" | tee out.log",
    );
    assert_eq!(
        fields(&p),
        (Some("other.example.com"), Some(6000), Some("x"), Some("carol")),
        "a conninfo dbname wins, like psql"
    );
    assert!(p.recognised.iter().any(|l| l.contains("prompt")));
    assert!(p.ignored.iter().any(|l| l.contains("shell text from \"|\"")));

    let p = paste("$ psql 'host=h.example.com port=5439 dbname=dev user=admin sslmode=require'");
    assert_eq!(fields(&p), (Some("h.example.com"), Some(5439), Some("dev"), Some("admin")));
}

#[test]
fn environment_variable_blocks() {
    let p = paste(
        "# from the wiki\nexport PGHOST=db.example.com\nexport PGPORT=\"5433\"\nexport PGDATABASE='sales'\nPGUSER=alice\n\
         export PGPASSWORD='p@ss word'\nexport PGSSLMODE=verify-ca\nexport PGSSLROOTCERT=~/ca.pem\nexport PGAPPNAME=etl\nexport EDITOR=vim\n",
    );
    assert_eq!(p.format, EndpointFormat::EnvBlock);
    assert_eq!(fields(&p), (Some("db.example.com"), Some(5433), Some("sales"), Some("alice")));
    assert_eq!((p.password.as_deref(), p.sslmode), (Some("p@ss word"), Some(SslMode::VerifyCa)));
    assert_eq!(
        (p.ca_file.clone(), p.application_name.as_deref()),
        (Some(PathBuf::from("~/ca.pem")), Some("etl"))
    );
    assert!(p.ignored.iter().any(|l| l.starts_with("EDITOR=vim")));

    let p = paste("$env:PGHOST = \"win.example.com\"\r\n$env:PGPORT=\"5439\"\r\n");
    assert_eq!((p.host.as_deref(), p.port), (Some("win.example.com"), Some(5439)));
    let p = paste("set PGHOST=cmd.example.com\nset PGSSLROOTCERT=C:\\certs\\ca.pem");
    assert_eq!(p.ca_file, Some(PathBuf::from("C:\\certs\\ca.pem")));
    let p = paste("DATABASE_URL=postgres://u:pw@h.example.com:5432/app\nPGPASSWORD=$DB_PASS");
    assert_eq!((p.host.as_deref(), p.password.as_deref()), (Some("h.example.com"), Some("pw")));
    assert!(p.ignored.iter().any(|l| l.contains("not expanded")));
}

#[test]
fn errors_say_what_is_wrong() {
    assert_eq!(parse_pasted("  \n\t"), Err(EndpointError::Empty));
    let e = parse_pasted("hello there world").unwrap_err();
    assert!(matches!(e, EndpointError::UnknownFormat { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("psql") && msg.contains("jdbc:redshift://") && msg.contains("PGHOST"),
        "{msg}"
    );
    assert!(parse_pasted("mysql://u@h/db").unwrap_err().to_string().contains("mysql://"));
    assert_eq!(
        parse_pasted("db.example.com:99999/x"),
        Err(EndpointError::InvalidPort { value: "99999".into() })
    );
    assert_eq!(
        parse_pasted("host=h port=abc"),
        Err(EndpointError::InvalidPort { value: "abc".into() })
    );
    assert!(parse_pasted("postgres://h:0/db").unwrap_err().to_string().contains("\"0\""));
    assert_eq!(
        parse_pasted("host=h password='abc"),
        Err(EndpointError::UnterminatedQuote { quote: '\'', position: 17 })
    );
    assert_eq!(
        parse_pasted("psql -h \"db"),
        Err(EndpointError::UnterminatedQuote { quote: '"', position: 9 })
    );
    assert_eq!(
        parse_pasted("export PGHOST=a\nexport PGUSER='bob"),
        Err(EndpointError::UnterminatedQuote { quote: '\'', position: 31 })
    );
    assert!(matches!(
        parse_pasted("host=h sslmode=maybe"),
        Err(EndpointError::InvalidValue { .. })
    ));
    assert!(matches!(parse_pasted("psql -h"), Err(EndpointError::MissingValue { .. })));
    assert!(matches!(
        parse_pasted("postgres://u:%FF@h/db"),
        Err(EndpointError::InvalidEncoding { .. })
    ));
    assert!(parse_pasted("fe80::1::5432").unwrap_err().to_string().contains("brackets"));
}

#[test]
fn apply_to_sets_engine_first_then_present_fields() {
    let mut profile = Profile::new(Engine::Postgres);
    profile.user = "kept".into();
    paste(&format!("{CLUSTER}/analytics")).apply_to(&mut profile);
    assert_eq!(profile.engine, Engine::Redshift);
    assert_eq!(
        (profile.port, profile.database.as_str(), profile.user.as_str()),
        (5439, "analytics", "kept")
    );
    assert_eq!(paste("db.example.com:5432").suggested_name().as_deref(), Some("db.example.com"));
    assert_eq!(
        paste(&format!("{CLUSTER}:5439/dev")).suggested_name().as_deref(),
        Some("examplecluster (dev)")
    );
}

fn sample_profile() -> Profile {
    let mut p = Profile::new(Engine::Redshift);
    p.host = CLUSTER.into();
    p.user = "ana lyst@corp".into();
    p.database = "dev".into();
    p.ca_file = Some("/etc/ssl/redshift ca.pem".into());
    p.connect_timeout_secs = 20;
    p
}

#[test]
fn profile_url_and_psql_command_render_without_password() {
    let p = sample_profile();
    assert_eq!(
        profile_url(&p),
        format!(
            "postgresql://ana%20lyst%40corp@{CLUSTER}:5439/dev?sslmode=verify-full&sslrootcert=%2Fetc%2Fssl%2Fredshift%20ca.pem&connect_timeout=20"
        )
    );
    assert_eq!(
        psql_command(&p),
        format!(
            "psql 'host={CLUSTER} port=5439 dbname=dev user='\\''ana lyst@corp'\\'' sslmode=verify-full sslrootcert='\\''/etc/ssl/redshift ca.pem'\\'' connect_timeout=20'"
        )
    );
    let mut plain = Profile::new(Engine::Postgres);
    plain.host = "::1".into();
    plain.user = "bob".into();
    assert_eq!(
        psql_command(&plain),
        "psql 'host=::1 port=5432 dbname=postgres user=bob sslmode=verify-full'"
    );
    assert_eq!(profile_url(&plain), "postgresql://bob@[::1]:5432/postgres?sslmode=verify-full");
}

/// The engine the paste rules infer for a host and port, when they infer one.
fn inferred_engine(host: &str, port: u16) -> Option<Engine> {
    if shiftgate_core::endpoint::redshift_host(host).is_some() || port == 5439 {
        Some(Engine::Redshift)
    } else if port == 5432 {
        Some(Engine::Postgres)
    } else {
        None
    }
}

fn arb_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..max).prop_map(|c| c.into_iter().collect())
}

prop_compose! {
    fn arb_profile()(
        host in prop_oneof![
            "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\\.[a-z0-9-]{1,10}){0,3}",
            any::<std::net::Ipv6Addr>().prop_map(|a| a.to_string()),
            "[a-z][a-z0-9-]{0,8}\\.[a-z0-9]{6,12}\\.(us-west-2|eu-central-1|cn-north-1)\\.redshift(-serverless)?\\.amazonaws\\.com(\\.cn)?",
        ],
        port in prop_oneof![Just(5439u16), Just(5432u16), 1u16..],
        database in arb_text(16).prop_filter("database is required", |d| !d.is_empty()),
        user in arb_text(16),
        mode in 0..6usize,
        ca in proptest::option::of(arb_text(20).prop_filter("libpq gives these a meaning", |c| !c.is_empty() && c != "system")),
        timeout in 1u32..=600,
        app in prop_oneof![Just("shiftgate".to_string()), arb_text(12)],
        redshift in any::<bool>(),
    ) -> Profile {
        let mut p = Profile::new(if redshift { Engine::Redshift } else { Engine::Postgres });
        p.host = host;
        p.port = port;
        p.database = database;
        p.user = user;
        p.sslmode = SslMode::ALL[mode];
        p.ca_file = ca.map(PathBuf::from);
        p.connect_timeout_secs = timeout;
        p.application_name = Some(app);
        p
    }
}

fn assert_round_trip(original: &Profile, rendered: &str) -> Result<(), TestCaseError> {
    let parsed =
        parse_pasted(rendered).map_err(|e| TestCaseError::fail(format!("{rendered:?}: {e}")))?;
    prop_assert_eq!(parsed.password.as_deref(), None);
    let mut back = Profile::new(original.engine);
    parsed.apply_to(&mut back);
    prop_assert_eq!(
        (&back.engine, &back.host, back.port, &back.database, &back.user),
        (&original.engine, &original.host, original.port, &original.database, &original.user),
        "rendered: {}",
        rendered
    );
    prop_assert_eq!(
        (back.sslmode, &back.ca_file),
        (original.sslmode, &original.ca_file),
        "rendered: {}",
        rendered
    );
    prop_assert_eq!(
        (back.connect_timeout_secs, &back.application_name),
        (original.connect_timeout_secs, &original.application_name),
        "rendered: {}",
        rendered
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in arb_text(200)) {
        let _ = parse_pasted(&text);
    }

    #[test]
    fn connection_shaped_text_never_panics(
        text in "(psql |export |PGHOST=|PGPORT=|postgres://|jdbc:redshift:iam://|jdbc:redshift://|host=|-h |--port=|'|\"|\\\\|:|@|/|\\[|\\]|%[0-9A-F]{0,2}|=|;|\\?|&| |\n|[a-z0-9]{1,5})*"
    ) {
        let _ = parse_pasted(&text);
    }

    #[test]
    fn profile_url_round_trips(p in arb_profile()) {
        prop_assume!(inferred_engine(&p.host, p.port).is_none_or(|e| e == p.engine));
        assert_round_trip(&p, &profile_url(&p))?;
    }

    #[test]
    fn psql_command_round_trips(p in arb_profile()) {
        prop_assume!(inferred_engine(&p.host, p.port).is_none_or(|e| e == p.engine));
        assert_round_trip(&p, &psql_command(&p))?;
    }
}
