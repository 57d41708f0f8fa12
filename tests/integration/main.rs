//! Shiftgate's integration suite: one test binary (one link) for every real-part test.
mod support;

mod audit_pg;
mod audit_sim;
mod cli;
mod connect;
mod iam;
mod provision_pg;
mod redshift_sim;
mod script_batch;
mod secrets;
mod ssh_tunnel;
mod store;
mod teardown_pg;
mod ui_app;
mod ui_audit;
mod ui_auth;
mod ui_import;
mod ui_provision;
mod ui_ssh;
mod ui_store;
mod ui_teardown;
