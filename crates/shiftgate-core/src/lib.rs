//! Shiftgate's pure core: the profile model, pasted-endpoint parsing, SQL generation for the catalog
//! user, failure diagnosis and the staged test report.
//!
//! Nothing here does network or UI work: this crate depends on neither tokio nor egui, so every rule
//! the product relies on (sslmode meaning, quoting, grants, hints) is unit-testable in isolation.

pub mod diagnose;
pub mod endpoint;
pub mod import;
pub mod profile;
pub mod report;
pub mod sql;
