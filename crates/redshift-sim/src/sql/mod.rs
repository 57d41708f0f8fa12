//! SQL front end: tokenizer, syntax tree and a small hand-written parser for the statement shapes the
//! simulator supports. Parsing only; semantics live in `exec`.

pub mod ast;
pub mod lexer;
pub mod parser;
mod select;

pub use parser::parse_script;
