//! A logged-in session's query cycle: the simple query protocol (several statements per message, an
//! implicit transaction around them, stop at the first error), the extended protocol
//! (Parse/Bind/Describe/Execute/Close, no parameters), explicit BEGIN/COMMIT/ROLLBACK with the
//! failed-transaction state 25P02, and cancellable `pg_sleep`. Statements run on a private copy of
//! the warehouse that is published on commit, so ROLLBACK undoes catalog changes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::catalog::Warehouse;
use crate::error::SqlError;
use crate::exec::{self, ExecContext, Outcome, Value};
use crate::protocol::{FieldDescription, FrontendMessage, Outbox, WireType};
use crate::shared::{Shared, lock};
use crate::sql::ast::Statement;
use crate::sql::parse_script;

struct Transaction {
    work: Warehouse,
    explicit: bool,
    failed: bool,
    dirty: bool,
}

struct Portal {
    statement: Option<Statement>,
    result_formats: Vec<i16>,
}

pub(crate) struct Session {
    shared: Arc<Shared>,
    user: u32,
    session_user: u32,
    database: String,
    cancel: Arc<Notify>,
    tx: Option<Transaction>,
    prepared: HashMap<String, Option<Statement>>,
    portals: HashMap<String, Portal>,
    /// After an error in the extended protocol, messages are skipped until Sync.
    skip_until_sync: bool,
}

fn binary_format(formats: &[i16], i: usize) -> bool {
    match formats {
        [] => false,
        [one] => *one == 1,
        many => many.get(i) == Some(&1),
    }
}

impl Session {
    pub fn new(shared: Arc<Shared>, user: u32, database: String, cancel: Arc<Notify>) -> Self {
        Session {
            shared,
            user,
            session_user: user,
            database,
            cancel,
            tx: None,
            prepared: HashMap::new(),
            portals: HashMap::new(),
            skip_until_sync: false,
        }
    }

    /// ReadyForQuery status: I idle, T in a transaction block, E in a failed block.
    pub fn status(&self) -> u8 {
        match &self.tx {
            Some(t) if t.explicit && t.failed => b'E',
            Some(t) if t.explicit => b'T',
            _ => b'I',
        }
    }

    fn begin_implicit(&mut self) {
        if self.tx.is_none() {
            self.tx = Some(Transaction {
                work: lock(&self.shared.warehouse).clone(),
                explicit: false,
                failed: false,
                dirty: false,
            });
        }
    }

    fn commit(&mut self) {
        if let Some(t) = self.tx.take()
            && !t.failed
            && t.dirty
        {
            *lock(&self.shared.warehouse) = t.work;
        }
    }

    /// Ends an implicit transaction (end of a Query message or Sync) or fails an explicit one.
    fn finish_implicit(&mut self, ok: bool) {
        match &mut self.tx {
            Some(t) if t.explicit && !ok => t.failed = true,
            Some(t) if t.explicit => {}
            Some(_) if ok => self.commit(),
            Some(_) => self.tx = None,
            None => {}
        }
    }

    /// Runs one statement inside the current (implicit or explicit) transaction.
    async fn execute(&mut self, stmt: &Statement) -> Result<Outcome, SqlError> {
        match stmt {
            Statement::Begin => {
                self.begin_implicit();
                if let Some(t) = &mut self.tx {
                    t.explicit = true;
                }
                return Ok(Outcome::Command("BEGIN"));
            }
            Statement::Commit => {
                let failed = self.tx.as_ref().is_some_and(|t| t.failed);
                if failed {
                    self.tx = None;
                    return Ok(Outcome::Command("ROLLBACK"));
                }
                self.commit();
                return Ok(Outcome::Command("COMMIT"));
            }
            Statement::Rollback => {
                self.tx = None;
                return Ok(Outcome::Command("ROLLBACK"));
            }
            _ => {}
        }
        self.begin_implicit();
        let Some(tx) = self.tx.as_mut() else {
            return Err(SqlError::new("XX000", "no transaction (simulator bug)"));
        };
        if tx.failed {
            return Err(SqlError::new(
                "25P02",
                "current transaction is aborted, commands ignored until end of transaction block",
            ));
        }
        // Execute on a scratch copy so a failing statement leaves no partial change.
        let mut scratch = tx.work.clone();
        let mut ctx = ExecContext {
            wh: &mut scratch,
            user: self.user,
            session_user: self.session_user,
            database: &self.database,
        };
        let outcome = exec::execute(stmt, &mut ctx)?;
        if !matches!(stmt, Statement::Query(_)) {
            tx.work = scratch;
            tx.dirty = true;
        }
        match outcome {
            Outcome::Sleep { seconds } => {
                let cancel = self.cancel.clone();
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs_f64(seconds.min(3600.0))) => {}
                    _ = cancel.notified() => {
                        return Err(SqlError::new("57014", "canceling statement due to user request"));
                    }
                }
                Ok(Outcome::Rows {
                    fields: vec![FieldDescription { name: "pg_sleep".into(), ty: WireType::Text }],
                    rows: vec![vec![Value::text("")]],
                })
            }
            Outcome::SetUser(id) => {
                self.user = id;
                Ok(Outcome::Command("SET"))
            }
            other => Ok(other),
        }
    }

    fn write_result(outcome: &Outcome, out: &mut Outbox, formats: &[i16], with_description: bool) {
        match outcome {
            Outcome::Rows { fields, rows } => {
                if with_description {
                    out.row_description(fields, |i| binary_format(formats, i));
                }
                for row in rows {
                    let values: Vec<Option<Vec<u8>>> = row
                        .iter()
                        .zip(fields)
                        .enumerate()
                        .map(|(i, (v, f))| v.encode(f.ty, binary_format(formats, i)))
                        .collect();
                    out.data_row(&values);
                }
                out.command_complete(&format!("SELECT {}", rows.len()));
            }
            Outcome::Command(tag) => out.command_complete(tag),
            Outcome::Sleep { .. } | Outcome::SetUser(_) => out.command_complete("SELECT 0"),
        }
    }

    /// Simple query protocol: each statement answers with its own CommandComplete; the first error
    /// stops the rest; all of it is one implicit transaction unless inside BEGIN … COMMIT.
    pub async fn simple_query(&mut self, sql: &str, out: &mut Outbox) {
        let statements = match parse_script(sql) {
            Ok(s) => s,
            Err(e) => {
                out.error(&e);
                self.finish_implicit(false);
                return;
            }
        };
        if statements.is_empty() {
            out.empty_query();
            return;
        }
        for parsed in statements {
            let result = match parsed {
                Ok(stmt) => self.execute(&stmt).await,
                Err(e) => {
                    // A parse error inside a failed block is still reported as 25P02 by PostgreSQL
                    // only for executable statements; a syntax error is reported as such.
                    Err(e)
                }
            };
            match result {
                Ok(outcome) => Self::write_result(&outcome, out, &[], true),
                Err(e) => {
                    out.error(&e);
                    self.finish_implicit(false);
                    return;
                }
            }
        }
        self.finish_implicit(true);
    }

    pub fn sync(&mut self) {
        self.skip_until_sync = false;
        self.finish_implicit(true);
    }

    /// Extended query protocol, enough for tokio-postgres `query`/`execute` without parameters.
    pub async fn extended(&mut self, msg: FrontendMessage, out: &mut Outbox) {
        if self.skip_until_sync {
            return;
        }
        if let Err(e) = self.extended_inner(msg, out).await {
            out.error(&e);
            self.skip_until_sync = true;
            self.finish_implicit(false);
        }
    }

    async fn extended_inner(
        &mut self,
        msg: FrontendMessage,
        out: &mut Outbox,
    ) -> Result<(), SqlError> {
        match msg {
            FrontendMessage::Parse { name, query, param_types } => {
                if !param_types.is_empty() {
                    return Err(SqlError::unsupported("bind parameters"));
                }
                let mut statements = parse_script(&query)?;
                if statements.len() > 1 {
                    return Err(SqlError::new(
                        "42601",
                        "cannot insert multiple commands into a prepared statement",
                    ));
                }
                let stmt = statements.pop().transpose()?;
                self.prepared.insert(name, stmt);
                out.parse_complete();
            }
            FrontendMessage::Bind { portal, statement, params, result_formats } => {
                let stmt = self
                    .prepared
                    .get(&statement)
                    .ok_or_else(|| {
                        SqlError::new(
                            "26000",
                            format!("prepared statement \"{statement}\" does not exist"),
                        )
                    })?
                    .clone();
                if !params.is_empty() {
                    return Err(SqlError::unsupported("bind parameters"));
                }
                self.portals.insert(portal, Portal { statement: stmt, result_formats });
                out.bind_complete();
            }
            FrontendMessage::Describe { kind, name } => {
                let (stmt, formats) = if kind == b'S' {
                    let stmt = self.prepared.get(&name).ok_or_else(|| {
                        SqlError::new(
                            "26000",
                            format!("prepared statement \"{name}\" does not exist"),
                        )
                    })?;
                    out.parameter_description(0);
                    (stmt.clone(), Vec::new())
                } else {
                    let p = self.portals.get(&name).ok_or_else(|| {
                        SqlError::new("34000", format!("portal \"{name}\" does not exist"))
                    })?;
                    (p.statement.clone(), p.result_formats.clone())
                };
                match stmt {
                    Some(Statement::Query(q)) => {
                        let fields = {
                            let committed;
                            let wh = match &self.tx {
                                Some(t) => &t.work,
                                None => {
                                    committed = lock(&self.shared.warehouse).clone();
                                    &committed
                                }
                            };
                            crate::query::describe(&q, wh, self.user, &self.database)?
                        };
                        out.row_description(&fields, |i| binary_format(&formats, i));
                    }
                    _ => out.no_data(),
                }
            }
            FrontendMessage::Execute { portal, .. } => {
                let p = self.portals.get(&portal).ok_or_else(|| {
                    SqlError::new("34000", format!("portal \"{portal}\" does not exist"))
                })?;
                let formats = p.result_formats.clone();
                match p.statement.clone() {
                    None => out.empty_query(),
                    Some(stmt) => {
                        let outcome = self.execute(&stmt).await?;
                        Self::write_result(&outcome, out, &formats, false);
                    }
                }
            }
            FrontendMessage::Close { kind, name } => {
                if kind == b'S' {
                    self.prepared.remove(&name);
                } else {
                    self.portals.remove(&name);
                }
                out.close_complete();
            }
            _ => return Err(SqlError::new("08P01", "unexpected message")),
        }
        Ok(())
    }
}
