//! Shiftgate: connection profiles, staged connection diagnosis and catalog-user provisioning for
//! Amazon Redshift and PostgreSQL.
pub use shiftgate_core::{diagnose, endpoint, profile, report, sql};

pub mod app;
pub mod cli;
pub mod gui;
pub mod net;
pub mod store;
pub mod tasks;
pub mod ui;
