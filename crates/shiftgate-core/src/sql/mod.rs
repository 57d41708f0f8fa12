//! SQL generation for the catalog user: quoting, password policy, the setup plan and its rules,
//! setup/teardown/cleanup scripts, the vendor's original script, and the catalog queries (with pure
//! parsers) for discovery and verification.
//!
//! Pure: no I/O, no async. Every identifier and literal goes through [`ident`]; statements come
//! from the typed builders in `ddl`; the grammar followed is redshift.md §1 and §4.1.

pub mod applied;
pub mod audit;
pub mod discovery;
pub mod drift;
pub mod forecast;
pub mod iam_policy;
pub mod ident;
pub mod inspector;
pub mod live;
pub mod password;
pub mod plan;
pub mod query;
pub mod script;
pub mod setup;
pub mod teardown;
pub mod vendor;
pub mod verify;

mod ddl;

#[cfg(test)]
mod golden_tests;

pub use applied::{AppliedPlan, FoundBefore, baselines_for, find_applied, record_applied};
pub use discovery::{DiscoveredSchema, Discovery, DiscoveryError};
pub use ident::{Ident, Literal, SqlTextError};
pub use password::{PasswordViolation, check_password, generate_password};
pub use plan::{
    Access, Dialect, ExistingState, PlanError, PlanWarning, SchemaGrant, SchemaKind, SetupPlan,
    SkipReason, SkippedOwner,
};
pub use query::{CatalogQuery, QueryId, QueryOutcome, QueryResults, Row};
pub use script::{Block, Script, Statement, StatementKind};
pub use setup::{SetupOptions, setup_script, setup_script_with};
pub use teardown::{
    TeardownDecision, TeardownOptions, TeardownPlan, cleanup_vendor_script, dependents_of,
    teardown_decide, teardown_live, teardown_script,
};
pub use verify::{SchemaVerdict, Verdict, VerifyDrift, VerifyReport};
