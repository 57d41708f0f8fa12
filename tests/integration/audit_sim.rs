//! The access audit on Redshift through the simulator (issue 16 item 7): real grants made with
//! GRANT / ALTER DEFAULT PRIVILEGES / GRANT ROLE, then the audit task reads them back through
//! `svl_user_info` and the `svv_*_privileges` views (no catalog fallback) and the matrix says who
//! can use, read and write what — group and RBAC role closures, a write grant, default privileges,
//! an external schema and a datashare database.

use crate::support::{self, target};
use redshift_sim::{ADMIN_PASSWORD, RunningSimulator, Simulator, Warehouse};
use shiftgate::net::connect::Password;
use shiftgate::profile::{Engine, Profile, SslMode};
use shiftgate::sql::Dialect;
use shiftgate::sql::audit::{AuditScope, CellLevel, PrincipalKind, Privilege};
use shiftgate::sql::drift::DriftOptions;
use shiftgate::tasks::audit::{AuditOutcome, AuditRequest, audit};
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

struct Sim {
    sim: RunningSimulator,
    ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

fn start() -> Sim {
    let sim = support::rt()
        .block_on(
            Simulator::builder()
                .warehouse(Warehouse::sample())
                .tls(true)
                .require_ssl(false)
                .bind("127.0.0.1:0")
                .start(),
        )
        .expect("simulator starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_file = dir.path().join("sim-ca.pem");
    std::fs::write(&ca_file, sim.ca_cert_pem().unwrap_or("")).expect("CA file");
    Sim { sim, ca_file, _dir: dir }
}

impl Sim {
    fn admin_profile(&self) -> Profile {
        let mut p = Profile::new(Engine::Redshift);
        p.host = "localhost".into();
        p.port = self.sim.port();
        p.user = "admin".into();
        p.sslmode = SslMode::VerifyFull;
        p.ca_file = Some(self.ca_file.clone());
        p
    }

    /// Runs fixture SQL as the admin (plain connection; the simulator allows it here).
    fn sql(&self, sql: &str) {
        let port = self.sim.port();
        support::rt().block_on(async {
            let (c, conn) = tokio_postgres::Config::new()
                .host("127.0.0.1")
                .port(port)
                .user("admin")
                .password(ADMIN_PASSWORD)
                .dbname("dev")
                .connect(tokio_postgres::NoTls)
                .await
                .expect("admin connects");
            tokio::spawn(conn);
            c.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        });
    }

    fn audit(&self, scope: AuditScope) -> AuditOutcome {
        let p = self.admin_profile();
        let pw = Password::new(ADMIN_PASSWORD.into());
        let request = AuditRequest { scope, drift: DriftOptions::default() };
        support::rt()
            .block_on(audit(target(&p, Some(&pw)), &request, &|_| {}, &CancellationToken::new()))
            .unwrap_or_else(|e| panic!("audit: {}", e.summary()))
    }
}

const FIXTURE: &str = "
    CREATE USER reader PASSWORD 'Reader1234';
    CREATE GROUP readers WITH USER reader;
    GRANT USAGE ON SCHEMA sales TO GROUP readers;
    GRANT SELECT ON ALL TABLES IN SCHEMA sales TO GROUP readers;
    ALTER DEFAULT PRIVILEGES FOR USER etl_loader IN SCHEMA sales GRANT SELECT ON TABLES TO GROUP readers;
    GRANT USAGE ON DATABASE partner_share TO GROUP readers;
    GRANT USAGE ON SCHEMA spectrum_events TO reader;
    CREATE USER writer PASSWORD 'Writer1234';
    GRANT USAGE ON SCHEMA marketing TO writer;
    GRANT SELECT, INSERT ON marketing.campaigns TO writer;
    CREATE USER role_user PASSWORD 'RoleUser12';
    CREATE ROLE finance_ro;
    GRANT ROLE finance_ro TO role_user;
    GRANT USAGE ON SCHEMA \"finance data\" TO ROLE finance_ro;
    ALTER USER writer SYSLOG ACCESS UNRESTRICTED;
";

#[test]
fn audit_on_the_simulator_reads_the_svv_views() {
    let sim = start();
    sim.sql(FIXTURE);
    let out = sim.audit(AuditScope::default());
    assert_eq!(out.dialect, Dialect::Redshift);
    assert!(out.matrix.notes.is_empty(), "every audit query answered: {:?}", out.matrix.notes);
    let schemas: Vec<&str> = out.matrix.schemas.iter().map(|s| s.name.as_str()).collect();
    for s in ["sales", "marketing", "finance data", "spectrum_events"] {
        assert!(schemas.contains(&s), "{schemas:?}");
    }
    assert_eq!(out.matrix.datashare_databases, vec!["partner_share".to_string()]);
    // Superusers are not reported by default; everyone else is.
    assert!(out.matrix.grantee("admin").is_none());

    let reader = out.matrix.grantee("reader").expect("reader");
    assert_eq!(reader.principal.kind, PrincipalKind::User);
    assert_eq!(reader.syslog_unrestricted, Some(false));
    let closure: Vec<&str> = reader.closure.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(closure, vec!["reader", "readers", "PUBLIC"]);
    let cell = |g: &shiftgate::sql::audit::GranteeAccess, s: &str| {
        g.schemas.iter().find(|x| x.schema == s).unwrap_or_else(|| panic!("{s}")).clone()
    };
    let sales = cell(reader, "sales");
    assert_eq!(sales.level, CellLevel::Read, "{sales:#?}");
    assert_eq!(sales.tables.len(), 3, "{sales:#?}");
    assert_eq!(sales.readable(), 3);
    assert_eq!(sales.writable(), 0);
    assert!(sales.tables.iter().all(|t| t.grants.iter().all(|h| h.holder.name == "readers")));
    assert!(
        sales.default_privileges.iter().any(|d| d.owner == "etl_loader" && !d.global),
        "{:?}",
        sales.default_privileges
    );
    assert_eq!(cell(reader, "marketing").level, CellLevel::None);
    assert_eq!(cell(reader, "spectrum_events").level, CellLevel::Usage);
    assert_eq!(reader.datashares, vec!["partner_share".to_string()]);

    let writer = out.matrix.grantee("writer").expect("writer");
    assert_eq!(writer.syslog_unrestricted, Some(true));
    let marketing = cell(writer, "marketing");
    assert_eq!(marketing.level, CellLevel::Write, "{marketing:#?}");
    let campaigns = marketing.tables.iter().find(|t| t.name == "campaigns").expect("campaigns");
    assert!(campaigns.select);
    assert_eq!(campaigns.write, vec![Privilege::Insert]);
    let view = marketing.tables.iter().find(|t| t.name == "v_active_campaigns").expect("view");
    assert!(!view.select && view.write.is_empty(), "named though unreadable");

    let role_user = out.matrix.grantee("role_user").expect("role_user");
    let closure: Vec<&str> = role_user.closure.iter().map(|p| p.name.as_str()).collect();
    assert!(closure.contains(&"finance_ro"), "{closure:?}");
    assert_eq!(cell(role_user, "finance data").level, CellLevel::Usage);

    // The sample's analyst reads marketing through group analysts.
    let analyst = out.matrix.grantee("analyst").expect("analyst");
    assert_eq!(cell(analyst, "marketing").level, CellLevel::Read);
    assert_eq!(cell(analyst, "sales").level, CellLevel::None);

    // Scoped to one grantee and one schema, the same answer for that cell.
    let one =
        sim.audit(AuditScope { grantees: vec!["reader".into()], schemas: vec!["sales".into()] });
    assert!(one.matrix.notes.is_empty(), "{:?}", one.matrix.notes);
    assert_eq!(one.matrix.grantees.len(), 1);
    assert_eq!(one.matrix.grantees[0].schemas.len(), 1);
    assert_eq!(one.matrix.grantees[0].schemas[0].readable(), 3);
}
