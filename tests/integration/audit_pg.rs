//! Access audit and drift on the real PostgreSQL 15: a group member sees its group's grants;
//! after setup the drift is empty; a write grant added by hand, a schema created later, a table
//! by an unplanned owner and the vendor guide's pg_catalog grant all show as drift; the converge
//! script applied → drift empty. Names needing quotes throughout. Plus the CLI's --json / --csv.

use crate::support::{self, pg, target};
use shiftgate::net::connect::Password;
use shiftgate::profile::{Engine, Profile, SslMode};
use shiftgate::sql::audit::{AuditScope, CellLevel, PrincipalKind, Privilege};
use shiftgate::sql::drift::{DriftItem, DriftOptions};
use shiftgate::sql::{self, Access, AppliedPlan, Dialect, SetupPlan};
use shiftgate::tasks::audit::{AuditOutcome, AuditRequest, audit};
use shiftgate::tasks::provision;
use std::process::Command;
use tokio_util::sync::CancellationToken;

fn admin(db: &str) -> (Profile, Password) {
    let s = pg::server();
    let mut p = Profile::new(Engine::Postgres);
    p.host = "localhost".into();
    p.port = s.port;
    p.user = pg::SUPERUSER.into();
    p.database = db.into();
    p.sslmode = SslMode::VerifyFull;
    p.ca_file = Some(s.ca_file.clone());
    (p, Password::new(pg::SUPERUSER_PASSWORD.into()))
}

fn run_audit(p: &Profile, pw: &Password, request: &AuditRequest) -> AuditOutcome {
    support::rt()
        .block_on(audit(target(p, Some(pw)), request, &|_| {}, &CancellationToken::new()))
        .unwrap_or_else(|e| panic!("audit: {}", e.summary()))
}

fn run_script(p: &Profile, pw: &Password, script: &sql::Script) {
    let run = support::rt()
        .block_on(provision::run_script(
            target(p, Some(pw)),
            script,
            &|_| {},
            &|_| {},
            &CancellationToken::new(),
        ))
        .unwrap_or_else(|e| panic!("run: {}", e.summary()));
    assert!(run.succeeded(), "{run:?}\n{}", script.render(false));
}

/// Quote for the psql fixtures (the app itself never builds SQL this way).
fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[test]
fn group_member_sees_the_group_grants() {
    let s = pg::server();
    let db = support::unique("aud_grp");
    let member = format!("Member {}", support::unique("m"));
    let group = format!("Readers \"{}\"", support::unique("g"));
    s.create_database(&db);
    s.sql_in(
        &db,
        &format!(
            "CREATE USER {m} PASSWORD 'Member-Pass-1'; CREATE ROLE {g} NOLOGIN; GRANT {g} TO {m};
             CREATE SCHEMA \"Sales EU\"; CREATE TABLE \"Sales EU\".orders (id int, secret text);
             CREATE TABLE \"Sales EU\".\"Closed\" (id int);
             GRANT USAGE ON SCHEMA \"Sales EU\" TO {g}; GRANT SELECT ON \"Sales EU\".orders TO {g};
             GRANT UPDATE ON \"Sales EU\".orders TO {g}; GRANT SELECT (id) ON \"Sales EU\".\"Closed\" TO {m};",
            m = q(&member),
            g = q(&group)
        ),
    )
    .expect("fixture");
    let (p, pw) = admin(&db);
    let request = AuditRequest {
        scope: AuditScope { grantees: vec![member.clone()], schemas: vec!["Sales EU".into()] },
        drift: DriftOptions::default(),
    };
    let out = run_audit(&p, &pw, &request);
    assert_eq!(
        out.round_trips, 8,
        "one query per kind (7) + server detection, whatever the table count"
    );
    assert_eq!(out.matrix.grantees.len(), 1, "only the grantee asked for");
    let g = out.matrix.grantee(&member).expect("member reported");
    assert_eq!(g.principal.kind, PrincipalKind::User);
    let closure: Vec<&str> = g.closure.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(closure, vec![member.as_str(), group.as_str(), "PUBLIC"]);
    let sales = &g.schemas[0];
    assert!(sales.usage, "USAGE through the group");
    assert_eq!(sales.level, CellLevel::Write, "UPDATE through the group");
    let orders = sales.tables.iter().find(|t| t.name == "orders").expect("orders");
    assert!(orders.select);
    assert_eq!(orders.write, vec![Privilege::Update]);
    assert!(orders.grants.iter().all(|h| h.holder.name == group));
    let closed = sales.tables.iter().find(|t| t.name == "Closed").expect("unreadable still named");
    assert!(!closed.select);
    assert_eq!(sales.column_grants.len(), 1);
    assert_eq!(sales.column_grants[0].column, "id");
    assert!(out.drift.is_empty(), "no applied plan on this profile");
}

fn plan(found: &sql::Discovery, user: &str, group: &str, schemas: &[&str]) -> SetupPlan {
    SetupPlan {
        dialect: Dialect::Postgres,
        user: user.into(),
        password: "Catalog-Pass-42".into(),
        access: Access::Group { name: group.into() },
        schemas: found.schema_grants(schemas).expect("chosen schemas exist"),
        ..Default::default()
    }
}

fn kinds(items: &[DriftItem]) -> Vec<String> {
    items
        .iter()
        .map(|i| serde_json::to_value(i).ok().and_then(|v| v["kind"].as_str().map(String::from)))
        .map(Option::unwrap_or_default)
        .collect()
}

#[test]
fn drift_after_setup_then_converge_to_empty() {
    let s = pg::server();
    let db = support::unique("aud_drift");
    let etl = format!("ETL {}", support::unique("loader"));
    let outsider = format!("O'Brien {}", support::unique("x"));
    let user = format!("Cat {}", support::unique("reader"));
    let group = format!("{user}_ro");
    s.create_database(&db);
    s.sql_in(
        &db,
        &format!(
            "CREATE USER {e} PASSWORD 'Etl-Pass-1'; CREATE USER {o} PASSWORD 'Out-Pass-1';
             CREATE SCHEMA \"Sales EU\" AUTHORIZATION {e}; CREATE SCHEMA \"we\"\"ird\";
             GRANT CREATE, USAGE ON SCHEMA \"Sales EU\" TO {o};
             SET ROLE {e}; CREATE TABLE \"Sales EU\".\"Orders\" (id int); RESET ROLE;
             CREATE TABLE \"we\"\"ird\".t (id int);",
            e = q(&etl),
            o = q(&outsider)
        ),
    )
    .expect("fixture");
    let (mut p, pw) = admin(&db);
    let rt = support::rt();
    let cancel = CancellationToken::new();
    let found = rt
        .block_on(provision::discover(target(&p, Some(&pw)), &|_| {}, &cancel))
        .unwrap_or_else(|e| panic!("discover: {}", e.summary()));
    let plan = plan(&found.discovery, &user, &group, &["Sales EU", "we\"ird"]);
    let script = sql::setup_script(&plan, &found.discovery.existing_state()).expect("script");
    run_script(&p, &pw, &script);
    p.applied_plans.push(AppliedPlan {
        database: db.clone(),
        applied_at: "2026-12-02T00:00:00Z".into(),
        plan: plan.clone(),
        ..Default::default()
    });

    // Right after setup: the live state is the plan.
    let request = AuditRequest::default();
    let out = run_audit(&p, &pw, &request);
    assert_eq!(out.drift.len(), 1);
    assert!(out.drift[0].is_clean(), "{:#?}", out.drift[0].items);
    let g = out.matrix.grantee(&user).expect("catalog user reported");
    let level = |name: &str| {
        g.schemas.iter().find(|x| x.schema == name).map(|x| x.level).expect("schema reported")
    };
    assert_eq!(level("Sales EU"), CellLevel::Read);
    assert_eq!(level("we\"ird"), CellLevel::Read);

    // Drift by hand: a write grant, a new schema, a table by an unplanned owner, the vendor's
    // pg_catalog grant.
    s.sql_in(
        &db,
        &format!(
            "GRANT INSERT, DELETE ON \"Sales EU\".\"Orders\" TO {g};
             CREATE SCHEMA \"New Stuff\"; CREATE TABLE \"New Stuff\".\"Later\" (id int);
             SET ROLE {o}; CREATE TABLE \"Sales EU\".by_outsider (id int); RESET ROLE;
             GRANT SELECT ON ALL TABLES IN SCHEMA pg_catalog TO {g};",
            g = q(&group),
            o = q(&outsider)
        ),
    )
    .expect("drift by hand");
    let request =
        AuditRequest { drift: DriftOptions { adopt_new_schemas: true }, ..Default::default() };
    let out = run_audit(&p, &pw, &request);
    let d = &out.drift[0];
    assert_eq!(
        kinds(&d.items),
        vec![
            "tables_unreadable",
            "uncovered_owner",
            "new_schema",
            "write_grant",
            "system_schema_grant"
        ],
        "{:#?}",
        d.items
    );
    assert!(d.items.iter().any(|i| matches!(i,
        DriftItem::WriteGrant { table, privileges, revocable: true, .. }
            if table == "Orders" && privileges == &vec![Privilege::Insert, Privilege::Delete])));
    assert!(d.items.iter().any(|i| matches!(i,
        DriftItem::UncoveredOwner { owner, .. } if owner == &outsider)));
    // The audit's "uncovered creators" is the forecast's "no": verify, as the catalog user on the
    // same catalog, forecasts exactly those creators' next table unreadable.
    let g = out.matrix.grantee(&user).expect("catalog user reported");
    let sales = g.schemas.iter().find(|x| x.schema == "Sales EU").expect("Sales EU");
    assert_eq!(sales.uncovered_creators, vec![outsider.clone()]);
    let cat = pg::profile(&user, &db);
    let cat_pw = Password::new(plan.password.clone());
    let report = rt
        .block_on(provision::verify(target(&cat, Some(&cat_pw)), &plan, &|_| {}, &cancel))
        .unwrap_or_else(|e| panic!("verify: {}", e.summary()));
    let verified = report.schemas.iter().find(|v| v.name == "Sales EU").expect("verified");
    let mut no: Vec<String> = verified
        .forecast
        .iter()
        .filter(|f| f.outcome == sql::forecast::Outcome::No)
        .map(|f| f.creator.clone())
        .collect();
    no.sort();
    assert_eq!(no, sales.uncovered_creators, "{:#?}", verified.forecast);
    let sql_text = d.converge.render(false);
    assert!(sql_text.contains(&format!(
        "ALTER DEFAULT PRIVILEGES FOR USER {} IN SCHEMA \"Sales EU\" GRANT SELECT ON TABLES TO GROUP {}",
        q(&outsider),
        q(&group)
    )), "{sql_text}");
    assert!(sql_text.contains("GRANT USAGE ON SCHEMA \"New Stuff\""), "{sql_text}");

    // Converge, record the converged plan, audit again: nothing left.
    run_script(&p, &pw, &d.converge);
    let converged = d.converged_plan.clone();
    assert!(converged.schemas.iter().any(|x| x.name == "New Stuff"));
    sql::record_applied(
        &mut p.applied_plans,
        AppliedPlan {
            database: db.clone(),
            applied_at: "later".into(),
            plan: converged,
            ..Default::default()
        },
    );
    let out = run_audit(&p, &pw, &request);
    assert!(out.drift[0].is_clean(), "{:#?}", out.drift[0].items);
    let g = out.matrix.grantee(&user).expect("catalog user");
    let new_stuff = g.schemas.iter().find(|x| x.schema == "New Stuff").expect("new schema");
    assert_eq!(new_stuff.level, CellLevel::Read);
    assert!(g.schemas.iter().all(|x| x.writable() == 0));
    // The next table by the outsider is readable: its default privileges were added.
    s.sql_in(
        &db,
        &format!("SET ROLE {}; CREATE TABLE \"Sales EU\".next_one (id int);", q(&outsider)),
    )
    .expect("later table");
    let out = run_audit(&p, &pw, &request);
    assert!(out.drift[0].is_clean(), "{:#?}", out.drift[0].items);
}

fn shiftgate(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    shiftgate_with(config, args, pg::SUPERUSER_PASSWORD)
}

fn shiftgate_with(config: &std::path::Path, args: &[&str], password: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_shiftgate"))
        .arg("--config-dir")
        .arg(config)
        .args(args)
        .stdin(std::process::Stdio::null())
        .env("PGPASSWORD", password)
        .output()
        .expect("run shiftgate")
}

/// A config dir with the superuser as profile "admin" on `db` (password from PGPASSWORD).
fn admin_config(db: &str) -> tempfile::TempDir {
    let s = pg::server();
    let dir = tempfile::tempdir().expect("tempdir");
    let (port, ca) = (s.port.to_string(), s.ca_file.to_string_lossy().into_owned());
    let args = ["profiles", "add", "admin", "--engine", "postgres", "--host", "localhost"];
    let conn = ["--port", &port, "--user", pg::SUPERUSER, "-d", db, "--sslmode", "verify-full"];
    let tail = ["--ca-file", &ca, "--ask-every-time"];
    let o = shiftgate(dir.path(), &[&args[..], &conn, &tail].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir
}

#[test]
fn cli_audit_json_and_csv_shape() {
    let s = pg::server();
    let db = support::unique("aud_cli");
    let reader = support::unique("reader");
    s.create_database(&db);
    s.sql_in(
        &db,
        &format!(
            "CREATE USER {r} PASSWORD 'Reader-Pass-1'; CREATE SCHEMA \"Sales, EU\";
             CREATE TABLE \"Sales, EU\".open (id int); CREATE TABLE \"Sales, EU\".shut (id int);
             GRANT USAGE ON SCHEMA \"Sales, EU\" TO {r}; GRANT SELECT ON \"Sales, EU\".open TO {r};",
            r = q(&reader)
        ),
    )
    .expect("fixture");
    let dir = admin_config(&db);
    let args = ["audit", "--profile", "admin", "--grantee", &reader, "--schemas", "Sales, EU"];
    let o = shiftgate(dir.path(), &[&args[..], &["--json"]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    // `--schemas` splits on commas, so "Sales, EU" is two names that don't exist: nothing.
    assert_eq!(v["schemas"].as_array().map(Vec::len), Some(0), "{v}");

    let o = shiftgate(dir.path(), &["audit", "--profile", "admin", "--grantee", &reader, "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let schema = v["schemas"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == "Sales, EU"))
        .unwrap_or_else(|| panic!("schema named: {v}"));
    let names: Vec<&str> = schema["tables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, vec!["open", "shut"]);
    let grantee = &v["grantees"][0];
    assert_eq!(grantee["principal"]["name"], reader.as_str());
    let cell = grantee["schemas"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["schema"] == "Sales, EU"))
        .unwrap_or_else(|| panic!("cell: {grantee}"));
    assert_eq!(cell["level"], "read");
    assert_eq!(cell["tables"][0]["select"], true);
    assert_eq!(cell["tables"][1]["name"], "shut");
    assert_eq!(cell["tables"][1]["select"], false, "unreadable tables are named too");
    assert!(v["round_trips"].as_u64().is_some_and(|n| n >= 7));

    let o = shiftgate(dir.path(), &["audit", "--profile", "admin", "--grantee", &reader, "--csv"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = String::from_utf8_lossy(&o.stdout);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("grantee,kind,schema,level,usage,create,readable,writable,tables")
    );
    assert!(
        csv.lines().any(|l| l == format!("{reader},user,\"Sales, EU\",read,true,false,1,0,2")),
        "{csv}"
    );
}

#[test]
fn cli_audit_print_sql_then_apply_converges_and_records() {
    let s = pg::server();
    let db = support::unique("aud_apply");
    let user = support::unique("cat");
    let group = format!("{user} Readers");
    s.create_database(&db);
    s.sql_in(
        &db,
        &format!(
            "CREATE USER {u} PASSWORD 'Cat-Pass-1'; CREATE ROLE {g} NOLOGIN; GRANT {g} TO {u};
             CREATE SCHEMA \"Sales EU\"; CREATE TABLE \"Sales EU\".orders (id int);
             GRANT USAGE ON SCHEMA \"Sales EU\" TO {g};
             GRANT SELECT ON ALL TABLES IN SCHEMA \"Sales EU\" TO {g};
             ALTER DEFAULT PRIVILEGES FOR USER {su} IN SCHEMA \"Sales EU\" GRANT SELECT ON TABLES TO {g};
             GRANT INSERT ON \"Sales EU\".orders TO {g};",
            u = q(&user),
            g = q(&group),
            su = q(pg::SUPERUSER)
        ),
    )
    .expect("fixture");
    let dir = admin_config(&db);
    // What setup records (setup --apply fills this; here it is written as the store would).
    let mut store = shiftgate::store::profiles::ProfileStore::open(dir.path()).expect("store");
    let mut admin = store.find("admin").cloned().expect("admin profile");
    admin.applied_plans.push(AppliedPlan {
        database: db.clone(),
        applied_at: "2026-12-02T00:00:00Z".into(),
        plan: SetupPlan {
            dialect: Dialect::Postgres,
            user: user.clone(),
            access: Access::Group { name: group.clone() },
            schemas: vec![sql::SchemaGrant {
                name: "Sales EU".into(),
                kind: sql::SchemaKind::Local,
                owners: vec![pg::SUPERUSER.into()],
            }],
            ..Default::default()
        },
        ..Default::default()
    });
    store.upsert(admin.clone()).expect("record plan");

    let text = |o: &std::process::Output| {
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
    };
    let o = shiftgate(dir.path(), &["audit", "--profile", "admin", "--grantee", &user]);
    assert_eq!(o.status.code(), Some(1), "drift found is a failed check: {}", text(&o));
    assert!(text(&o).contains(&format!("Drift for catalog user \"{user}\"")), "{}", text(&o));
    assert!(text(&o).contains("INSERT on \"Sales EU\".\"orders\""), "{}", text(&o));

    let o = shiftgate(dir.path(), &["audit", "--profile", "admin", "--print-sql"]);
    let want = format!("REVOKE INSERT ON \"Sales EU\".\"orders\" FROM GROUP {};", q(&group));
    assert!(String::from_utf8_lossy(&o.stdout).contains(&want), "{}", text(&o));

    // Verify, logged in as the catalog user, shows the same drift (the baseline is the record
    // saved with the admin's profile on the same server) and its converge script.
    let (port, ca) = (s.port.to_string(), s.ca_file.to_string_lossy().into_owned());
    let add = ["profiles", "add", "cat", "--engine", "postgres", "--host", "localhost"];
    let conn = ["--port", &port, "--user", &user, "-d", &db, "--sslmode", "verify-full"];
    let o =
        shiftgate(dir.path(), &[&add[..], &conn, &["--ca-file", &ca, "--ask-every-time"]].concat());
    assert!(o.status.success(), "{}", text(&o));
    let verify = ["verify", "--profile", "cat", "--schemas", "Sales EU", "--group", &group];
    let o = shiftgate_with(dir.path(), &[&verify[..], &["--json"]].concat(), "Cat-Pass-1");
    assert!(o.status.success(), "reads everything planned: {}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["schemas"][0]["name"], "Sales EU", "existing fields kept: {v}");
    assert_eq!(v["drift"]["status"], "drifted", "{v}");
    let plan = &v["drift"]["plans"][0];
    assert!(
        plan["items"].as_array().into_iter().flatten().any(|i| i["kind"] == "write_grant"),
        "{v}"
    );
    assert!(plan["converge_sql"].as_str().unwrap_or("").contains(&want), "{v}");
    let o = shiftgate_with(dir.path(), &verify, "Cat-Pass-1");
    assert!(
        text(&o).contains("Drift against the setup applied 2026-12-02T00:00:00Z"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("-- Converge (run as an admin"), "{}", text(&o));

    let o = shiftgate(dir.path(), &["audit", "--profile", "admin", "--apply"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = shiftgate(dir.path(), &["audit", "--profile", "admin", "--grantee", &user, "--json"]);
    assert!(o.status.success(), "converged: {}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["drift"][0]["clean"], true, "{v}");
    let o = shiftgate_with(dir.path(), &[&verify[..], &["--json"]].concat(), "Cat-Pass-1");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["drift"]["status"], "clean", "verify agrees after converging: {v}");
    let store = shiftgate::store::profiles::ProfileStore::open(dir.path()).expect("store");
    let recorded = &store.get(&admin.id).expect("admin").applied_plans;
    assert_eq!(recorded.len(), 1);
    assert_ne!(recorded[0].applied_at, "2026-12-02T00:00:00Z", "the converged plan was recorded");
}
