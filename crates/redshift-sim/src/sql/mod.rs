//! SQL front end: tokenizer, syntax tree and a small hand-written parser for the statement shapes the
//! simulator supports. Parsing only; semantics live in `exec`.

pub mod ast;
pub mod lexer;
pub mod parser;
mod select;

pub use parser::parse_script;

use std::cell::{Cell, RefCell};

thread_local! {
    static CASE_SENSITIVE: Cell<bool> = const { Cell::new(false) };
    static DATABASE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The session state parsing and evaluation depend on, set by the session on its thread before it
/// parses or runs statements (both are synchronous, so nothing else runs in between):
/// `enable_case_sensitive_identifier` (quoted identifiers keep their case, r_names.md) and the
/// connected database (three-part names).
pub fn enter_session(case_sensitive: bool, database: &str) {
    CASE_SENSITIVE.with(|c| c.set(case_sensitive));
    DATABASE.with(|d| {
        let mut d = d.borrow_mut();
        d.clear();
        d.push_str(database);
    });
}

/// Whether quoted identifiers keep their case (`SET enable_case_sensitive_identifier TO true`).
pub fn case_sensitive() -> bool {
    CASE_SENSITIVE.with(Cell::get)
}

pub(crate) fn set_case_sensitive(on: bool) {
    CASE_SENSITIVE.with(|c| c.set(on));
}

/// The database the session is connected to ("" outside a session).
pub fn current_database() -> String {
    DATABASE.with(|d| d.borrow().clone())
}

/// An identifier as Redshift stores it: folded to lower case unless quoted on a session with
/// `enable_case_sensitive_identifier` on.
pub fn fold_identifier(value: &str, quoted: bool) -> String {
    if quoted && case_sensitive() { value.to_string() } else { value.to_ascii_lowercase() }
}
