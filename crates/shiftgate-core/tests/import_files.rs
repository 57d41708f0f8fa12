//! Importing the files users already have: real-world samples of each format, malformed files
//! (error with the right line), huge input, unicode, and the create / update / skip plan.

use proptest::prelude::*;
use shiftgate_core::import::{
    self, ImportBatch, ImportError, ImportFormat, ImportedProfile, dbeaver, dbt, pg_service,
    pgadmin, pgpass,
};
use shiftgate_core::profile::{Engine, Profile, SshAuth, SslMode};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn by_name<'a>(batch: &'a ImportBatch, name: &str) -> &'a ImportedProfile {
    batch
        .profiles
        .iter()
        .find(|p| p.profile.name == name)
        .unwrap_or_else(|| panic!("no {name} in {batch:?}"))
}

#[test]
fn pgpass_sample() {
    let batch = pgpass::parse(&fixture("pgpass")).unwrap();
    let names: Vec<&str> = batch.profiles.iter().map(|p| p.profile.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "postgres@localhost/postgres",
            "app_rw@db.internal.example.com/app",
            "awsuser@examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com/dev",
            "postgres@::1/postgres",
            "jürgen@münchen.example.de/daten",
        ]
    );
    let app = &batch.profiles[1];
    assert_eq!(app.password.as_deref(), Some("s3cr:et\\x"));
    assert_eq!(
        (app.profile.port, app.profile.engine, app.source.as_str()),
        (5432, Engine::Postgres, ".pgpass line 3")
    );
    let rs = &batch.profiles[2];
    assert_eq!((rs.profile.engine, rs.password.as_deref()), (Engine::Redshift, Some("Red:shift1")));
    assert_eq!(batch.profiles[3].profile.host, "::1");
    assert_eq!(batch.profiles[4].password.as_deref(), Some("pässwört"));
    assert_eq!(batch.skipped.len(), 3, "{:?}", batch.skipped);
    assert!(batch.skipped[0].starts_with("line 5: *:*:*:replicator has a * wildcard"));
    assert!(batch.skipped[1].starts_with("line 7: same server as line 3"));
    assert!(batch.skipped[2].contains("Unix socket"));
    assert!(!format!("{batch:?}").contains("devpass"), "Debug must not show passwords");
}

#[test]
fn pgpass_lookup_first_match_wins_with_wildcards() {
    let entries = pgpass::parse_entries(&fixture("pgpass")).unwrap();
    let look = |h: &str, port: u16, db: &str, u: &str| pgpass::lookup(&entries, h, port, db, u);
    assert_eq!(
        look("db.internal.example.com", 5432, "app", "app_rw").as_deref(),
        Some("s3cr:et\\x")
    );
    assert_eq!(look("anything.example.com", 6000, "x", "replicator").as_deref(), Some("replpass"));
    assert_eq!(look("db.internal.example.com", 5433, "app", "app_rw"), None);
    let entries =
        pgpass::parse_entries("h:*:*:u:first\nh:5432:db:u:second\n\\*:*:*:*:literal-star\n")
            .unwrap();
    assert_eq!(pgpass::lookup(&entries, "h", 5432, "db", "u").as_deref(), Some("first"));
    assert_eq!(pgpass::lookup(&entries, "*", 1, "d", "x").as_deref(), Some("literal-star"));
    assert_eq!(
        pgpass::lookup(&entries, "other", 1, "d", "x"),
        None,
        "an escaped \\* is a literal host"
    );
    let entries = pgpass::parse_entries("h:5432:db:u:pw:extra:fields\n").unwrap();
    assert_eq!(
        entries[0].password, "pw",
        "the password ends at the next unescaped colon, like libpq"
    );
    assert!(entries[0].password_cut);
    let batch = pgpass::parse("h:5432:db:u:pw:extra\nh:5432:db2:u:p\\:q\n").unwrap();
    assert_eq!(batch.profiles[0].password.as_deref(), Some("pw"));
    assert!(
        batch.profiles[0]
            .warnings
            .iter()
            .any(|w| w.starts_with("line 1:") && w.contains("unescaped")),
        "{:?}",
        batch.profiles[0].warnings
    );
    assert_eq!(batch.profiles[1].password.as_deref(), Some("p:q"));
    assert!(batch.profiles[1].warnings.is_empty(), "an escaped colon is no warning");
}

#[test]
fn pgpass_malformed_lines_are_skipped_with_their_line_number() {
    let text = "# comment\nh:5432:db:u:pw\n\nh:5432:db\nh2:5432:db:u:pw2\n";
    let err = pgpass::parse_entries(text).unwrap_err();
    assert_eq!(err.line, Some(4));
    assert!(
        err.to_string()
            .starts_with("line 4: expected host:port:database:username:password, found 3 fields"),
        "{err}"
    );
    // Importing keeps the good lines, as libpq does, and names the bad one.
    let batch = pgpass::parse(text).unwrap();
    let hosts: Vec<&str> = batch.profiles.iter().map(|p| p.profile.host.as_str()).collect();
    assert_eq!(hosts, ["h", "h2"]);
    assert_eq!(batch.skipped.len(), 1);
    assert!(batch.skipped[0].starts_with("line 4: expected host:port"), "{:?}", batch.skipped);
    let batch = pgpass::parse("h:port:db:u:pw").unwrap();
    assert!(batch.profiles.is_empty());
    assert!(batch.skipped[0].starts_with("line 1: port \"port\""), "{:?}", batch.skipped);
    assert!(
        pgpass::parse("ok:1:d:u:p\nh:70000:db:u:pw").unwrap().skipped[0].starts_with("line 2:")
    );
    assert_eq!(pgpass::parse("h:5432:db:u:pw\r\nh2:5432:db:u:pw2\r\n").unwrap().profiles.len(), 2);
}

#[test]
fn pgpass_huge_file_parses_in_linear_time() {
    let mut text = String::with_capacity(6_000_000);
    for i in 0..100_000 {
        text.push_str(&format!("host{i}.example.com:5432:db{}:user\\:{i}:pass\\\\{i}\n", i % 7));
    }
    let start = Instant::now();
    let batch = pgpass::parse(&text).unwrap();
    assert_eq!(batch.profiles.len(), 100_000);
    assert_eq!(batch.profiles[99_999].password.as_deref(), Some("pass\\99999"));
    let plan = import::plan(&[], batch.profiles);
    assert_eq!(plan.create.len(), 100_000);
    assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
}

#[test]
fn pgpass_permissions_and_paths() {
    assert_eq!(pgpass::permission_warning(0o100600), None);
    assert_eq!(pgpass::permission_warning(0o600), None);
    let warn = pgpass::permission_warning(0o100644).unwrap();
    assert!(warn.contains("0644") && warn.contains("chmod 0600"), "{warn}");
    assert!(pgpass::permission_warning(0o040700).unwrap().contains("not a plain file"));
    let env = |k: &str| (k == "PGPASSFILE").then(|| "/secure/pgpass".to_string());
    assert_eq!(
        pgpass::candidate_paths(&env, Some(Path::new("/home/me"))),
        [PathBuf::from("/secure/pgpass")]
    );
    assert_eq!(
        pgpass::candidate_paths(&no_env, Some(Path::new("/home/me"))),
        [PathBuf::from("/home/me/.pgpass")]
    );
}

#[test]
fn pg_service_sample() {
    let batch = pg_service::parse(&fixture("pg_service.conf")).unwrap();
    let names: Vec<&str> = batch.profiles.iter().map(|p| p.profile.name.as_str()).collect();
    assert_eq!(names, ["sales", "warehouse", "local"]);
    let sales = by_name(&batch, "sales");
    assert_eq!(sales.source, "pg_service.conf [sales]");
    assert_eq!(
        (sales.profile.host.as_str(), sales.profile.port, sales.profile.engine),
        ("sales-db.example.com", 5432, Engine::Postgres)
    );
    assert_eq!(sales.profile.ca_file, Some(PathBuf::from("/etc/ssl/certs/corp-root.pem")));
    assert_eq!(sales.profile.application_name.as_deref(), Some("sales-reports"));
    let wh = by_name(&batch, "warehouse");
    assert_eq!(
        (wh.profile.engine, wh.profile.connect_timeout_secs, wh.password.as_deref()),
        (Engine::Redshift, 15, Some("wh-secret"))
    );
    assert!(wh.warnings.iter().any(|w| w.starts_with("options=")), "{:?}", wh.warnings);
    let local = by_name(&batch, "local");
    assert!(local.warnings.iter().any(|w| w.contains("no host")));
    assert!(batch.skipped.iter().any(|s| s.contains("[sales] appears again")));
}

#[test]
fn pg_service_errors_and_paths() {
    // A malformed section is listed with its line; the others are imported.
    let batch = pg_service::parse("[a]\nhost=h\nport=fifty\n[b]\nhost=hb\n").unwrap();
    assert_eq!(batch.profiles.len(), 1);
    assert_eq!(batch.profiles[0].profile.host, "hb");
    assert!(batch.skipped[0].starts_with("line 3: "), "{:?}", batch.skipped);
    assert!(
        batch.skipped[0].contains("\"fifty\"") && batch.skipped[0].contains("[a] not imported")
    );
    let batch = pg_service::parse("[a]\njust some words\n").unwrap();
    assert!(batch.profiles.is_empty() && batch.skipped[0].starts_with("line 2: "));
    let batch = pg_service::parse("[a\nhost=h\n[c]\nhost=hc\n").unwrap();
    assert!(batch.skipped[0].starts_with("line 1: "), "{:?}", batch.skipped);
    assert_eq!(batch.profiles.len(), 1);
    assert_eq!(batch.profiles[0].profile.name, "c");
    let env = |k: &str| match k {
        "PGSYSCONFDIR" => Some("/opt/pg/etc".to_string()),
        _ => None,
    };
    assert_eq!(
        pg_service::candidate_paths(&env, Some(Path::new("/home/me"))),
        [PathBuf::from("/home/me/.pg_service.conf"), PathBuf::from("/opt/pg/etc/pg_service.conf")]
    );
    let env = |k: &str| (k == "PGSERVICEFILE").then(|| "/x/services".to_string());
    assert_eq!(pg_service::candidate_paths(&env, None)[0], PathBuf::from("/x/services"));
}

fn dbt_env(k: &str) -> Option<String> {
    match k {
        "DBT_PG_PASSWORD" => Some("pg-pw".into()),
        "DBT_ENV_SECRET_RS_PASSWORD" => Some("rs-pw".into()),
        _ => None,
    }
}

#[test]
fn dbt_profiles_sample() {
    let batch = dbt::parse(&fixture("profiles.yml"), &dbt_env).unwrap();
    let names: Vec<&str> = batch.profiles.iter().map(|p| p.profile.name.as_str()).collect();
    assert_eq!(
        names,
        ["jaffle_shop.dev", "jaffle_shop.prod", "jaffle_shop.iam", "anchored.base", "anchored.dev"]
    );
    let dev = by_name(&batch, "jaffle_shop.dev");
    assert_eq!(
        (dev.profile.engine, dev.profile.host.as_str(), dev.profile.database.as_str()),
        (Engine::Postgres, "localhost", "jaffle_shop")
    );
    assert_eq!(
        (dev.password.as_deref(), dev.source.as_str()),
        (Some("pg-pw"), "profiles.yml jaffle_shop → dev (default target)")
    );
    let prod = by_name(&batch, "jaffle_shop.prod");
    assert_eq!(prod.profile.host, "prod.abc123xyz789.us-east-1.redshift.amazonaws.com");
    assert_eq!(
        (prod.profile.port, prod.profile.sslmode, prod.password.as_deref()),
        (5439, SslMode::Require, Some("rs-pw"))
    );
    let iam = by_name(&batch, "jaffle_shop.iam");
    assert!(iam.warnings.is_empty(), "{:?}", iam.warnings);
    let a = &iam.profile.auth;
    assert_eq!(a.method, shiftgate_core::profile::AuthMethod::Iam);
    assert_eq!((a.cluster_id.as_str(), a.region.as_str()), ("examplecluster", "us-west-2"));
    assert_eq!((a.db_user.as_str(), a.aws_profile.as_str()), ("alice", "data-eng"));
    assert!(iam.profile.validate().is_empty(), "{:?}", iam.profile.validate());
    assert_eq!(iam.profile.engine, Engine::Redshift);
    let anchored = by_name(&batch, "anchored.dev");
    assert_eq!(
        (anchored.profile.host.as_str(), anchored.profile.database.as_str()),
        ("pg.example.com", "dev_db")
    );
    assert_eq!(anchored.profile.user, "", "{{ var() }} is not evaluated");
    assert!(
        anchored.warnings.iter().any(|w| w.contains("var('dev_user')")),
        "{:?}",
        anchored.warnings
    );
    assert_eq!(
        batch.skipped,
        ["jaffle_shop.outputs.snow: type snowflake, not PostgreSQL or Redshift"]
    );
}

#[test]
fn dbt_missing_env_var_names_it() {
    let env = |k: &str| (k == "DBT_PG_PASSWORD").then(|| "x".to_string());
    let batch = dbt::parse(&fixture("profiles.yml"), &env).unwrap();
    let err = batch.skipped.iter().find(|s| s.contains("prod")).expect("prod is skipped");
    assert!(err.contains("DBT_ENV_SECRET_RS_PASSWORD"), "{err}");
    assert!(err.contains("jaffle_shop.outputs.prod.pass"), "{err}");
    assert!(err.starts_with("line 24: "), "{err}");
    assert!(!batch.profiles.is_empty(), "the other targets are imported");
    let text = "p:\n  outputs:\n    t:\n      type: postgres\n      host: \"{{ env_var('H', 'fallback.example.com') }}\"\n      port: \"{{ env_var('PORT') | int }}\"\n";
    let env = |k: &str| (k == "PORT").then(|| "6543".to_string());
    let batch = dbt::parse(text, &env).unwrap();
    assert_eq!(
        (batch.profiles[0].profile.host.as_str(), batch.profiles[0].profile.port),
        ("fallback.example.com", 6543)
    );
}

#[test]
fn dbt_malformed_yaml_reports_the_line() {
    let err = dbt::parse(
        "p:\n  outputs:\n    t:\n      type: postgres\n     host: bad-indent\n",
        &no_env,
    )
    .unwrap_err();
    assert_eq!(err.line, Some(5), "{err}");
    let batch =
        dbt::parse("p:\n  outputs:\n    t:\n      type: postgres\n      port: fifty\n", &no_env)
            .unwrap();
    assert!(batch.profiles.is_empty());
    let err = &batch.skipped[0];
    assert!(err.starts_with("line 5: "), "{err}");
    assert!(err.contains("p.outputs.t.port \"fifty\""), "{err}");
    assert_eq!(dbt::parse("", &no_env).unwrap(), ImportBatch::default());
    assert!(dbt::parse("- a\n- b\n", &no_env).is_err());
}

#[test]
fn pgadmin_servers_sample() {
    let batch = pgadmin::parse(&fixture("servers.json")).unwrap();
    let prod = by_name(&batch, "Production");
    assert_eq!(
        (prod.profile.host.as_str(), prod.profile.engine, prod.profile.sslmode),
        ("pg-prod.example.com", Engine::Postgres, SslMode::VerifyFull)
    );
    assert_eq!(
        (prod.profile.notes.as_str(), prod.profile.color),
        ("Main OLTP cluster", Some([0xFF, 0x88, 0x00]))
    );
    assert_eq!(prod.profile.ca_file, Some(PathBuf::from("/home/me/.postgresql/root.crt")));
    let wh = by_name(&batch, "Warehouse (Redshift)");
    assert_eq!(
        (wh.profile.engine, wh.profile.sslmode, wh.profile.connect_timeout_secs),
        (Engine::Redshift, SslMode::Require, 20)
    );
    assert!(
        wh.profile
            .password_command
            .as_deref()
            .unwrap()
            .starts_with("aws redshift get-cluster-credentials")
    );
    assert!(wh.warnings.iter().any(|w| w.contains("group \"Analytics\"")));
    let tunnel = &by_name(&batch, "Behind bastion").profile.ssh;
    assert!(tunnel.enabled);
    assert_eq!(
        (tunnel.bastion.host.as_str(), tunnel.bastion.port, tunnel.bastion.user.as_str()),
        ("bastion.example.com", 22, "ec2-user")
    );
    assert_eq!(tunnel.bastion.auth, SshAuth::Key { path: "/home/me/.ssh/id_ed25519".into() });
    assert!(batch.profiles.iter().all(|p| p.password.is_none()));
}

#[test]
fn dbeaver_data_sources_sample() {
    let batch = dbeaver::parse(&fixture("data-sources.json")).unwrap();
    assert_eq!(batch.profiles.len(), 2);
    let billing = by_name(&batch, "billing");
    assert_eq!(
        (billing.profile.host.as_str(), billing.profile.port, billing.profile.database.as_str()),
        ("db.example.com", 5433, "billing")
    );
    assert_eq!(
        (billing.profile.sslmode, billing.profile.ca_file.clone()),
        (SslMode::VerifyFull, Some(PathBuf::from("/certs/ca.pem")))
    );
    assert_eq!(
        (billing.profile.ssh.bastion.host.as_str(), billing.profile.ssh.bastion.port),
        ("bastion.example.com", 2222)
    );
    let wh = by_name(&batch, "warehouse");
    assert_eq!(wh.profile.engine, Engine::Redshift);
    assert_eq!(
        (wh.profile.host.as_str(), wh.profile.user.as_str()),
        ("wg.123456789012.us-east-1.redshift-serverless.amazonaws.com", "analyst")
    );
    assert_eq!(batch.skipped, ["\"shop\": provider mysql is not PostgreSQL or Redshift"]);
}

#[test]
fn json_errors_carry_the_line() {
    let err =
        pgadmin::parse("{\n  \"Servers\": {\n    \"1\": {\"Name\": \"x\",}\n  }\n}").unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
    assert!(pgadmin::parse("{}").unwrap_err().message.contains("\"Servers\""));
    let batch = dbeaver::parse("{\"connections\": {\n\"a\": {\"provider\": \"postgresql\", \"configuration\": {\"port\": \"x\"}},\n\"b\": {\"provider\": \"postgresql\", \"configuration\": {\"host\": \"hb\"}}}}").unwrap();
    assert_eq!(batch.profiles.len(), 1, "the good connection is imported");
    assert!(batch.skipped[0].starts_with("line 2: "), "{:?}", batch.skipped);
    assert!(batch.skipped[0].contains("port \"x\""), "{:?}", batch.skipped);
    let batch = pgadmin::parse("{\"Servers\": {\n \"1\": {\"Name\": \"bad\", \"Port\": \"x\"},\n \"2\": {\"Name\": \"good\", \"Host\": \"h\"}}}").unwrap();
    assert_eq!(batch.profiles.len(), 1);
    assert!(batch.skipped[0].starts_with("line 2: "), "{:?}", batch.skipped);
}

#[test]
fn detect_format_by_name_then_content() {
    let cases = [
        ("/home/me/.pgpass", "", ImportFormat::Pgpass),
        ("C:\\Users\\me\\AppData\\Roaming\\postgresql\\pgpass.conf", "", ImportFormat::Pgpass),
        ("pg_service.conf", "", ImportFormat::PgService),
        ("profiles.yml", "", ImportFormat::DbtProfiles),
        ("servers.json", "", ImportFormat::PgAdminServers),
        ("data-sources-2.json", "", ImportFormat::DbeaverDataSources),
        ("export.txt", "{\"Servers\": {}}", ImportFormat::PgAdminServers),
        ("export.txt", "{\"connections\": {}}", ImportFormat::DbeaverDataSources),
        ("a.conf", "# x\n[svc]\nhost=h\n", ImportFormat::PgService),
        ("a.txt", "h:5432:db:u:pw\n", ImportFormat::Pgpass),
        ("a.txt", "p:\n  outputs:\n    t: {}\n", ImportFormat::DbtProfiles),
        ("team.toml", "format = \"shiftgate-profiles\"\n", ImportFormat::ShiftgateExport),
    ];
    for (name, text, want) in cases {
        assert_eq!(import::detect_format(name, text), Some(want), "{name}");
    }
    assert_eq!(import::detect_format("notes.txt", "hello"), None);
}

#[test]
fn parse_dispatches_by_format() {
    let env = |k: &str| dbt_env(k);
    for (format, file) in [
        (ImportFormat::Pgpass, "pgpass"),
        (ImportFormat::PgService, "pg_service.conf"),
        (ImportFormat::DbtProfiles, "profiles.yml"),
        (ImportFormat::PgAdminServers, "servers.json"),
        (ImportFormat::DbeaverDataSources, "data-sources.json"),
    ] {
        let text = fixture(file);
        assert_eq!(import::detect_format(file, &text), Some(format));
        assert!(!import::parse(format, &text, &env).unwrap().profiles.is_empty(), "{file}");
    }
}

#[test]
fn plan_sorts_create_update_skip() {
    let mut prod = Profile::new(Engine::Postgres);
    prod.name = "prod".into();
    prod.host = "sales-db.example.com".into();
    prod.database = "sales".into();
    prod.user = "report".into();
    prod.notes = "keep me".into();
    let mut same = Profile::new(Engine::Postgres);
    same.name = "local".into();
    same.database = "postgres".into();
    let existing = vec![prod.clone(), same];

    let batch = pg_service::parse(&fixture("pg_service.conf")).unwrap();
    let plan = import::plan(&existing, batch.profiles);
    assert_eq!(
        plan.create.iter().map(|c| c.profile.name.as_str()).collect::<Vec<_>>(),
        ["warehouse"]
    );
    assert_eq!(plan.update.len(), 1);
    let update = &plan.update[0];
    assert_eq!(update.existing, prod.id);
    assert_eq!(update.reason, "same host, port, database and user as \"prod\"");
    assert_eq!((update.merged.name.as_str(), update.merged.notes.as_str()), ("prod", "keep me"));
    assert!(
        update.changes.contains(&"CA file: (none) → /etc/ssl/certs/corp-root.pem".to_string()),
        "{:?}",
        update.changes
    );
    assert_eq!(plan.skip.len(), 1);
    assert_eq!(plan.skip[0].reason, "identical to \"local\"");

    let again = pgpass::parse("h.example.com:5432:db:u:pw1\n").unwrap().profiles;
    let mut existing = Profile::new(Engine::Postgres);
    (existing.host, existing.database, existing.user) =
        ("H.example.com".into(), "db".into(), "u".into());
    let plan = import::plan(&[existing], again);
    assert_eq!(
        plan.update[0].changes,
        ["host: H.example.com → h.example.com", "password: saved to the keychain"]
    );
}

#[test]
fn import_error_display_has_the_line() {
    assert_eq!(ImportError::at(7, "bad").to_string(), "line 7: bad");
    assert_eq!(ImportError::whole_file("bad").to_string(), "bad");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn pgpass_never_panics(text in "([a-z*:\\\\#\n ]|ü|\r){0,120}") {
        let _ = pgpass::parse(&text);
        if let Ok(entries) = pgpass::parse_entries(&text) {
            let _ = pgpass::lookup(&entries, "a", 5432, "b", "c");
        }
    }

    #[test]
    fn pg_service_never_panics(text in "([a-z=\\[\\]#;\n ]|port|host|sslmode|5432|ü){0,120}") {
        let _ = pg_service::parse(&text);
    }

    #[test]
    fn dbt_never_panics(text in "([a-z:{}'()|\\-\n ]|  |outputs|type|postgres|env_var|\\{\\{|\\}\\}|&a|\\*a|<<){0,80}") {
        let env: HashMap<String, String> = HashMap::new();
        let _ = dbt::parse(&text, &|k| env.get(k).cloned());
    }

    #[test]
    fn json_importers_never_panic(text in "([{}\\[\\]:,\" ]|Servers|connections|Host|Port|configuration|provider|postgres|[a-z0-9]){0,80}") {
        let _ = pgadmin::parse(&text);
        let _ = dbeaver::parse(&text);
        let _ = import::detect_format("x", &text);
    }

    #[test]
    fn arbitrary_text_never_panics_anywhere(text in proptest::collection::vec(any::<char>(), 0..100).prop_map(|c| c.into_iter().collect::<String>())) {
        for format in ImportFormat::ALL {
            let _ = import::parse(format, &text, &no_env);
        }
        let _ = import::detect_format(&text, &text);
    }
}
