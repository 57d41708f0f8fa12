//! The Teardown tab across two databases on the real PostgreSQL 15, by mouse (issue 20: "for
//! several databases, one revoke script per database and one final drop script, run in that
//! order"), as `shiftgate teardown --databases` does it: each other database's live privileges
//! are read and revoked first; this database's revokes and the drops wait until then.

use crate::support::ui::{pg_admin_window, press, press_and_step, set_field, step_until};
use crate::support::{self, pg};
use crate::teardown_pg::{discover, plan, q, setup};
use egui_kittest::kittest::{NodeT, Queryable};
use shiftgate::sql::SetupOptions;
use shiftgate::store::profiles::ProfileStore;

#[test]
fn ui_e2e_teardown_in_two_databases_revokes_the_other_first_then_drops() {
    let s = pg::server();
    let (db1, db2) = (support::unique("uitd_a"), support::unique("uitd_b"));
    s.create_database(&db1);
    s.create_database(&db2);
    let etl = support::unique("uitd_etl");
    let user = support::unique("uitd_cat");
    let group = format!("{user}_ro");
    s.admin_sql(&format!("CREATE USER {etl} PASSWORD 'Etl-Pass-1';"));
    for db in [&db1, &db2] {
        s.sql_in(
            db,
            &format!(
                "CREATE SCHEMA sales AUTHORIZATION {etl};
                 SET ROLE {etl}; CREATE TABLE sales.orders (id int); RESET ROLE;"
            ),
        )
        .unwrap();
    }
    // Setup granted in both databases (recorded with the admin profile, as setup --apply does).
    let p = plan(&discover(&db1), &user, &group, &["sales"]);
    let applied1 = setup(&db1, &p, SetupOptions::default());
    let applied2 = setup(&db2, &p, SetupOptions::default());

    let mut admin = pg::profile(pg::SUPERUSER, &db1);
    admin.name = "two db admin".into();
    admin.applied_plans = vec![applied1, applied2];
    let admin_id = admin.id.clone();
    let (fx, mut h) = pg_admin_window(admin, [1400.0, 1600.0]);
    press(&mut h, "Setup");
    press_and_step(&mut h, "Discover");
    step_until(&mut h, "discovery", 60, |h| {
        h.query_by_label_contains("Server: PostgreSQL").is_some()
    });

    press(&mut h, "Teardown");
    press(&mut h, "a user typed here");
    set_field(&mut h, "User name", &user);
    set_field(&mut h, "Group name", &group);
    set_field(&mut h, "Schemas", "sales");
    set_field(&mut h, "Other databases setup granted in", &db2);
    h.get_by_label_contains(&format!("Database {db2}: revokes"));
    h.get_by_label_contains("Not read yet");
    press_and_step(&mut h, "Read other databases");
    step_until(&mut h, "the other database's live state", 60, |h| {
        h.state().state().teardown.others.first().is_some_and(|o| o.live.is_some())
    });

    // Two scripts under review: db2's revokes (first), then this database's revokes and drops.
    let revoke = h.get_by_label("Revoke script").value().unwrap_or_default();
    assert!(revoke.contains("REVOKE"), "{revoke}");
    assert!(!revoke.contains("DROP"), "the drops run once, in this database: {revoke}");
    let home = h.get_by_label("Teardown script").value().unwrap_or_default();
    assert!(home.contains(&format!("DROP GROUP \"{group}\"")), "{home}");
    for i in 0..2 {
        h.get_all_by_label("I have reviewed this script").nth(i).unwrap().click_accesskit();
        h.run();
    }
    let enabled = |h: &egui_kittest::Harness<'_, shiftgate::app::App>, i: usize| {
        !h.get_all_by_label("Run as admin").nth(i).unwrap().accesskit_node().is_disabled()
    };
    assert!(enabled(&h, 0), "db2's revokes can run");
    assert!(!enabled(&h, 1), "this database's drops wait for db2's revokes");

    h.get_all_by_label("Run as admin").next().unwrap().click_accesskit();
    step_until(&mut h, "db2's revokes", 60, |h| {
        h.state().state().teardown.others[0].pane.run.as_ref().is_some_and(|r| !r.running())
    });
    let r = h.state().state().teardown.others[0].pane.run.as_ref().unwrap();
    assert!(r.succeeded(), "{}", r.summary());
    assert_eq!(q(&db2, "SELECT count(*) FROM pg_default_acl"), "0");
    assert!(enabled(&h, 1), "db2 is done: this database's teardown may run");

    h.get_all_by_label("Run as admin").nth(1).unwrap().click_accesskit();
    step_until(&mut h, "the teardown", 60, |h| {
        h.state().state().teardown.pane.run.as_ref().is_some_and(|r| !r.running())
    });
    let r = h.state().state().teardown.pane.run.as_ref().unwrap();
    assert!(r.succeeded(), "{}", r.summary());
    assert_eq!(
        q(&db1, &format!("SELECT count(*) FROM pg_roles WHERE rolname IN ('{user}', '{group}')")),
        "0"
    );
    for db in [&db1, &db2] {
        assert_eq!(q(db, "SELECT count(*) FROM pg_default_acl"), "0", "{db}");
        assert_eq!(
            q(
                db,
                &format!(
                    "SELECT count(*) FROM information_schema.role_table_grants \
                     WHERE grantee IN ('{user}', '{group}')"
                )
            ),
            "0",
            "{db}"
        );
    }
    // Both setup records are gone with the user (as teardown --apply removes them).
    let saved = ProfileStore::open(fx.dir.path()).unwrap().get(&admin_id).cloned().unwrap();
    assert!(saved.applied_plans.iter().all(|r| r.plan.user != user), "{:?}", saved.applied_plans);
}
