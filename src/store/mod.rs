//! Everything Shiftgate keeps on disk (profiles) or in the OS keychain (secrets).
pub mod atomic;
pub mod config_dir;
pub mod keychain;
pub mod password_command;
pub mod password_source;
pub mod profiles;
pub mod secret_choice;
pub mod secrets;
