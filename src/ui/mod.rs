//! One file per panel or dialog. Each draws from state it is given and returns what the user asked
//! for as [`crate::app::command::UiCommand`]s; none touches the store, secrets or the backend.
pub mod audit_panel;
pub mod auth_section;
pub mod confirm_dialog;
pub mod conflict_dialog;
pub mod connection_form;
pub mod first_run;
pub mod host_key_dialog;
pub mod import_dialog;
pub mod log_panel;
pub mod password_prompt;
pub mod profiles_panel;
pub mod report_panel;
pub mod setup_panel;
pub mod sql_review;
pub mod ssh_section;
pub mod status_bar;
pub mod teardown_panel;
pub mod verify_panel;
