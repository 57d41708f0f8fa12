//! Shiftgate's integration suite: one test binary (one link) for every real-part test.
mod support;

mod cli;
mod connect;
mod provision_pg;
mod redshift_sim;
mod secrets;
mod ssh_tunnel;
mod store;
mod ui_app;
mod ui_import;
mod ui_provision;
mod ui_store;
