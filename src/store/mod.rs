//! Everything Shiftgate keeps on disk (profiles) or in the OS keychain (secrets).
pub mod atomic;
pub mod profiles;
pub mod secrets;
pub mod keychain;
pub mod password_command;
pub mod password_source;
pub mod secret_choice;
