//! Long operations as tasks: each has an id, reports steps and log lines as [`Event`]s, honours
//! cancellation and is bounded by a timeout. The GUI and the CLI drive the same task code.
pub mod audit;
pub mod backend;
pub mod events;
pub mod provision;
pub mod script_run;
pub mod secrets;
pub mod test_connection;

pub use backend::{Backend, EventSink, TokioBackend};
pub use events::{Command, Event, Outcome, TaskId};
