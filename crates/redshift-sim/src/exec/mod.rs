//! Statement execution against a `Warehouse`: dispatches parsed statements to `dcl` (DDL/DCL with
//! Redshift semantics) or `crate::query` (the query engine). Owns the value model and the outcome type the
//! session turns into wire messages; does not touch sockets or transactions (the session does).

pub mod dcl;
pub mod value;

pub use value::Value;

use crate::catalog::Warehouse;
use crate::error::SqlError;
use crate::protocol::FieldDescription;
use crate::query;
use crate::sql::ast::Statement;

/// Who is running a statement, where.
pub struct ExecContext<'a> {
    pub wh: &'a mut Warehouse,
    /// `current_user` (changed by SET SESSION AUTHORIZATION).
    pub user: u32,
    /// The user that logged in.
    pub session_user: u32,
    pub database: &'a str,
    /// Backend process id (`pg_backend_pid()`).
    pub pid: i32,
}

/// What a statement produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Rows {
        fields: Vec<FieldDescription>,
        rows: Vec<Vec<Value>>,
    },
    /// A command tag such as `CREATE USER`.
    Command(&'static str),
    /// `SELECT pg_sleep(n)`: the session waits (cancellable) and returns one empty row.
    Sleep {
        seconds: f64,
    },
    /// `SET SESSION AUTHORIZATION`: the session switches `current_user`.
    SetUser(u32),
}

/// The result of a query without running it where the engine can tell (`None`: run it instead).
pub fn describe(stmt: &Statement, ctx: &mut ExecContext<'_>) -> Result<Option<Outcome>, SqlError> {
    match stmt {
        Statement::Select(q) => query::engine::describe(q, ctx),
        _ => Ok(None),
    }
}

/// Executes one non-transaction-control statement.
pub fn execute(stmt: &Statement, ctx: &mut ExecContext<'_>) -> Result<Outcome, SqlError> {
    match stmt {
        Statement::Query(q) => query::run(q, ctx),
        Statement::Select(q) => query::engine::run(q, ctx),
        Statement::Begin | Statement::Commit | Statement::Rollback => {
            Err(SqlError::new("XX000", "transaction control reached the executor (session bug)"))
        }
        Statement::Set { .. } => Ok(Outcome::Command("SET")),
        Statement::SetCaseSensitive(on) => {
            crate::sql::set_case_sensitive(*on);
            Ok(Outcome::Command("SET"))
        }
        Statement::Show(name) => match name.as_str() {
            "enable_case_sensitive_identifier" => Ok(Outcome::Rows {
                fields: vec![FieldDescription::new(name.clone(), crate::protocol::WireType::Text)],
                rows: vec![vec![Value::text(if crate::sql::case_sensitive() {
                    "on"
                } else {
                    "off"
                })]],
            }),
            other => Err(crate::error::SqlError::unsupported(format!("SHOW {other}"))),
        },
        Statement::SetSessionAuthorization(target) => {
            // PostgreSQL 8.0 semantics: only a superuser session may switch (unverified on Redshift).
            if !ctx.wh.is_superuser(ctx.session_user) {
                return Err(SqlError::permission_denied("to set session authorization"));
            }
            match target {
                None => Ok(Outcome::SetUser(ctx.session_user)),
                Some(name) => Ok(Outcome::SetUser(ctx.wh.require_user(name)?.id)),
            }
        }
        other => dcl::run(other, ctx),
    }
}
