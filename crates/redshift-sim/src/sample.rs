//! `Warehouse::sample()`: the demo/test warehouse — local schemas with different owners, a name that
//! needs quoting, a late-binding view, a Spectrum schema, a datashare database and users with MD5 and
//! SHA-256 passwords (redshift.md §1.1, §1.6, §3.4). Data only; no behaviour.

use crate::auth::store_password;
use crate::catalog::{Column, Grantee, RelationKind, SharedSchema, Warehouse};

/// Passwords of the sample users (all satisfy the §1.1 policy).
pub const ADMIN_PASSWORD: &str = "Admin1234!";
pub const ETL_PASSWORD: &str = "EtlLoader1!";
pub const ANALYST_PASSWORD: &str = "Analyst123!";
pub const LEGACY_SHA_PASSWORD: &str = "LegacySha1!";

impl Warehouse {
    /// The sample warehouse described in the crate docs.
    pub fn sample() -> Self {
        let mut w = Warehouse::empty();
        let admin = w.add_user("admin", ADMIN_PASSWORD, true);
        let etl = w.add_user("etl_loader", ETL_PASSWORD, false);
        w.add_user("analyst", ANALYST_PASSWORD, false);
        // `PASSWORD 'sha256|…'` → this user gets AUTH_REQ_DIGEST (code 13) at login (§3.4).
        match store_password("legacy_sha", &format!("sha256|{LEGACY_SHA_PASSWORD}")) {
            Ok(stored) => {
                w.add_user_stored("legacy_sha", stored, false);
            }
            Err(e) => unreachable!("sample password violates the policy: {e}"),
        }
        let analysts = w.add_group("analysts", &["analyst"]);
        w.add_role("auditor", admin);

        let int = |n: &str| Column::new(n, "integer");
        let varchar = |n: &str, len: u32| Column::new(n, &format!("character varying({len})"));

        let sales = w.add_schema("sales", etl);
        let mut amount = Column::new("amount", "numeric(12,2)");
        amount.default = Some("0".into());
        amount.comment = Some("Order total in USD".into());
        let mut ordered_at = Column::new("ordered_at", "timestamp without time zone");
        ordered_at.default = Some("getdate()".into());
        let orders = w.add_relation(
            sales,
            "orders",
            RelationKind::Table,
            etl,
            vec![int("order_id"), int("customer_id"), amount, ordered_at],
        );
        let customers = w.add_relation(
            sales,
            "customers",
            RelationKind::Table,
            etl,
            vec![int("customer_id"), varchar("name", 256), varchar("email", 256)],
        );
        for (oid, rows, comment) in [
            (orders, 300, "One row per customer order"),
            (customers, 120, "Customers of the demo shop"),
        ] {
            if let Some(r) = w.relation_mut(oid) {
                r.sample_rows = rows;
                r.comment = Some(comment.into());
            }
        }
        w.add_relation(
            sales,
            "v_orders_lb",
            RelationKind::LateBindingView,
            etl,
            vec![int("order_id"), Column::new("amount", "numeric(12,2)")],
        );

        let marketing = w.add_schema("marketing", admin);
        let campaigns = w.add_relation(
            marketing,
            "campaigns",
            RelationKind::Table,
            admin,
            vec![int("campaign_id"), varchar("name", 128)],
        );
        w.add_relation(
            marketing,
            "v_active_campaigns",
            RelationKind::View,
            admin,
            vec![int("campaign_id"), varchar("name", 128)],
        );
        if let Some(s) = w.schema_mut(marketing) {
            s.usage.insert(Grantee::Group(analysts));
        }
        if let Some(r) = w.relation_mut(campaigns) {
            r.select.insert(Grantee::Group(analysts));
            r.sample_rows = 40;
        }

        // `"Finance Data"` folds to `finance data` (quoted identifiers fold too, §1.1/§1.8).
        let finance = w.add_schema("finance data", admin);
        let ledger = w.add_relation(
            finance,
            "ledger",
            RelationKind::Table,
            admin,
            vec![int("entry_id"), Column::new("amount", "numeric(18,2)")],
        );
        if let Some(r) = w.relation_mut(ledger) {
            r.sample_rows = 250;
        }

        let spectrum = w.add_external_schema("spectrum_events", admin, "events_lake");
        w.add_external_table(
            spectrum,
            "clicks",
            "s3://redshift-sim-bucket/events/clicks/",
            vec![Column::new("event_id", "bigint"), varchar("url", 2048)],
        );
        w.add_external_table(
            spectrum,
            "page_views",
            "s3://redshift-sim-bucket/events/page_views/",
            vec![Column::new("view_id", "bigint"), Column::new("viewed_at", "timestamp")],
        );

        w.add_shared_database(
            "partner_share",
            "4f6b3f0c-9a7e-4d2b-8c51-0b1e2d3c4a5f",
            vec![SharedSchema { name: "public".into(), tables: vec!["partner_orders".into()] }],
        );
        w
    }
}
