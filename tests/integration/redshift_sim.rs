//! Shiftgate's Redshift-only paths against the Redshift simulator (no cluster is reachable here):
//! detection and version, auth code 13, "SSL off", discovery of local / external / datashare
//! schemas, the Redshift-dialect setup, verify with late-binding views and external schemas,
//! the vendor's original script, and a teardown that leaves nothing.

use crate::support::{self, target};
use redshift_sim::{ADMIN_PASSWORD, LEGACY_SHA_PASSWORD, RunningSimulator, Simulator, Warehouse};
use shiftgate::diagnose::Cause;
use shiftgate::net::connect::Password;
use shiftgate::profile::{Engine, Profile, SslMode};
use shiftgate::sql::{self, Access, Dialect, SchemaKind, SetupPlan};
use shiftgate::tasks::provision;
use shiftgate::tasks::test_connection::test_connection;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

struct Sim {
    sim: RunningSimulator,
    ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

fn start(require_ssl: bool, tls: bool) -> Sim {
    let sim = support::rt()
        .block_on(
            Simulator::builder()
                .warehouse(Warehouse::sample())
                .tls(tls)
                .require_ssl(require_ssl)
                .bind("127.0.0.1:0")
                .start(),
        )
        .expect("simulator starts");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("sim-ca.pem");
    std::fs::write(&ca_file, sim.ca_cert_pem().unwrap_or("")).unwrap();
    Sim { sim, ca_file, _dir: dir }
}

impl Sim {
    fn profile(&self, user: &str) -> Profile {
        let mut p = Profile::new(Engine::Redshift);
        p.host = "localhost".into();
        p.port = self.sim.port();
        p.user = user.into();
        p.sslmode = SslMode::VerifyFull;
        p.ca_file = Some(self.ca_file.clone());
        p
    }
}

fn nothing(_: shiftgate::report::Step) {}

/// The staged test of `profile` with only a database password.
fn test_as(profile: &Profile, password: &str) -> shiftgate::report::Report {
    support::rt().block_on(test_connection(
        profile,
        &shiftgate::net::credentials::Credentials::db_only(Some(Password::new(password.into()))),
        &shiftgate::net::ssh::TunnelOptions::default(),
        &nothing,
        &CancellationToken::new(),
    ))
}

#[test]
fn redshift_is_detected_with_its_version() {
    let s = start(false, true);
    let r = test_as(&s.profile("admin"), ADMIN_PASSWORD);
    assert!(r.succeeded(), "{}", r.render_text());
    let server = r.server.as_ref().unwrap();
    assert!(server.is_redshift);
    assert!(server.redshift_version.as_deref().unwrap_or("").starts_with("1.0."), "{server:?}");
    assert_eq!(server.server_version_param.as_deref(), Some("8.0.2"));
    assert_eq!(server.auth_method.as_deref(), Some("md5"));
    assert_eq!(server.current_database, "dev");
    assert!(r.render_text().contains("Amazon Redshift 1.0."));
}

#[test]
fn sha256_password_user_gets_the_auth_13_diagnosis() {
    let s = start(false, true);
    let r = test_as(&s.profile("legacy_sha"), LEGACY_SHA_PASSWORD);
    let d = r.diagnosis.as_ref().expect("fails");
    assert_eq!(d.cause, Cause::Sha256Password, "{}", r.render_text());
    assert!(d.hint.contains("plain text"));
}

#[test]
fn require_ssl_cluster_without_tls_gets_the_ssl_off_diagnosis() {
    let s = start(true, true);
    let mut p = s.profile("admin");
    p.sslmode = SslMode::Disable;
    let r = test_as(&p, ADMIN_PASSWORD);
    let d = r.diagnosis.as_ref().expect("fails");
    assert_eq!(d.cause, Cause::ServerRequiresTls, "{}", r.render_text());
    assert!(d.server_text.as_deref().unwrap_or("").ends_with("SSL off"), "{d:?}");
    assert!(d.hint.contains("require_ssl"), "Redshift-specific hint: {d:?}");
}

#[test]
fn wrong_password_on_redshift_is_28000() {
    let s = start(false, true);
    let r = test_as(&s.profile("admin"), "Wrong-Pass-1");
    assert_eq!(r.diagnosis.as_ref().unwrap().cause, Cause::WrongPassword, "{}", r.render_text());
}

#[test]
fn unknown_database_hint_mentions_dev() {
    let s = start(false, true);
    let mut p = s.profile("admin");
    p.database = "prod".into();
    let r = test_as(&p, ADMIN_PASSWORD);
    let d = r.diagnosis.as_ref().unwrap();
    assert_eq!(d.cause, Cause::UnknownDatabase);
    assert!(d.hint.contains("\"dev\""));
}

fn catalog_plan(discovery: &sql::Discovery, access: Access) -> SetupPlan {
    let chosen: Vec<&str> = discovery.schemas.iter().map(|s| s.name.as_str()).collect();
    SetupPlan {
        dialect: Dialect::Redshift,
        user: "catalog_reader".into(),
        password: "Catalog1234x".into(),
        access,
        schemas: discovery.schema_grants(&chosen).expect("grants"),
        datashare_databases: discovery.datashare_databases.clone(),
        connection_limit: Some(5),
        grant_svv_table_info: true,
    }
}

fn full_cycle(access: Access) {
    let s = start(false, true);
    let rt = support::rt();
    let cancel = CancellationToken::new();
    let admin = s.profile("admin");
    let admin_pw = Password::new(ADMIN_PASSWORD.into());

    let found = rt
        .block_on(provision::discover(target(&admin, Some(&admin_pw)), &nothing, &cancel))
        .expect("discovery");
    assert_eq!(found.dialect, Dialect::Redshift);
    let d = &found.discovery;
    assert!(d.rbac_available);
    assert!(
        d.schemas.iter().any(|x| x.name == "sales"
            && x.kind == SchemaKind::Local
            && x.object_owners.contains(&"etl_loader".to_string())),
        "{d:#?}"
    );
    assert!(
        d.schemas.iter().any(|x| x.name == "spectrum_events" && x.kind == SchemaKind::External),
        "{d:#?}"
    );
    assert_eq!(d.datashare_databases, vec!["partner_share".to_string()]);

    let plan = catalog_plan(d, access);
    let script = sql::setup_script(&plan, &d.existing_state()).expect("script");
    let run = rt
        .block_on(provision::run_script(
            target(&admin, Some(&admin_pw)),
            &script,
            &nothing,
            &|_| {},
            &cancel,
        ))
        .expect("run");
    assert!(run.succeeded(), "{run:?}\n{}", script.render(false));

    let cat = s.profile("catalog_reader");
    let cat_pw = Password::new(plan.password.clone());
    let report = rt
        .block_on(provision::verify(target(&cat, Some(&cat_pw)), &plan, &nothing, &cancel))
        .expect("verify");
    assert!(report.passed(), "{report:#?}");
    let sales = report.schemas.iter().find(|v| v.name == "sales").unwrap();
    assert!(sales.late_binding_cols > 0, "late-binding view columns were read: {sales:#?}");
    let ext = report.schemas.iter().find(|v| v.name == "spectrum_events").unwrap();
    assert!(ext.tables_total > 0, "external tables visible via svv_external_tables: {ext:#?}");

    let teardown = sql::teardown_script(&plan).expect("teardown");
    let run = rt
        .block_on(provision::run_script(
            target(&admin, Some(&admin_pw)),
            &teardown,
            &nothing,
            &|_| {},
            &cancel,
        ))
        .expect("teardown run");
    assert!(run.succeeded(), "{run:?}\n{}", teardown.render(false));
    let w = s.sim.catalog();
    assert!(!w.users().iter().any(|u| u.name == "catalog_reader"));
    assert!(!w.groups().iter().any(|g| g.name == "catalog_reader_ro"));
    assert!(!w.roles().iter().any(|r| r.name == "catalog_reader_role"));
    assert_eq!(w.default_acls().count(), 0, "no default ACL left");
}

#[test]
fn redshift_group_setup_verify_teardown() {
    full_cycle(Access::Group { name: "catalog_reader_ro".into() });
}

#[test]
fn redshift_rbac_setup_verify_teardown() {
    full_cycle(Access::Role { name: "catalog_reader_role".into() });
}

#[test]
fn vendor_original_script_fails_where_redshift_md_predicts() {
    use sql::vendor::{StepResult, VendorVariant, expected_outcomes, vendor_original_script};
    let s = start(false, true);
    let rt = support::rt();
    let admin = s.profile("admin");
    let admin_pw = Password::new(ADMIN_PASSWORD.into());
    let script = vendor_original_script("metamapper", "sales").unwrap();
    let expected = expected_outcomes(VendorVariant::AsWritten, Dialect::Redshift, "metamapper");
    // Run each statement on its own (the vendor's guide has no transaction), as a user would paste it.
    for (stmt, exp) in script.statements().zip(&expected) {
        let one = sql::Script {
            title: "one".into(),
            blocks: vec![sql::Block { comment: vec![], statements: vec![stmt.clone()] }],
        };
        let run = rt
            .block_on(provision::run_script(
                target(&admin, Some(&admin_pw)),
                &one,
                &nothing,
                &|_| {},
                &CancellationToken::new(),
            ))
            .expect("connects");
        match &exp.result {
            StepResult::Succeeds => assert!(run.succeeded(), "step {}: {run:?}", exp.step),
            StepResult::Fails { error_contains } => {
                let (_, d) =
                    run.failed.clone().unwrap_or_else(|| panic!("step {} should fail", exp.step));
                if let Some(t) = error_contains {
                    assert!(
                        d.server_text.as_deref().unwrap_or("").contains(t.as_str()),
                        "step {}: {d:?}",
                        exp.step
                    );
                }
            }
        }
    }
}
