//! A logged-in session's query cycle: the simple query protocol (several statements per message, an
//! implicit transaction around them, stop at the first error), the extended protocol
//! (Parse/Bind/Describe/Execute/Close with `$n` parameters in text or binary format, portals that
//! suspend after `max_rows`), explicit BEGIN/COMMIT/ROLLBACK with the failed-transaction state
//! 25P02, and cancellable `pg_sleep`. Statements run on a private copy of the warehouse that is
//! published on commit, so ROLLBACK undoes catalog changes; a commit whose snapshot is older than
//! the committed state fails with Redshift's serializable-isolation error 1023 instead of losing
//! the other transaction's changes.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::catalog::Warehouse;
use crate::error::SqlError;
use crate::exec::{self, ExecContext, Outcome, Value};
use crate::params::{self, Param};
use crate::protocol::{FieldDescription, FrontendMessage, Outbox, WireType};
use crate::shared::{Shared, lock};
use crate::sql::ast::Statement;
use crate::sql::parse_script;

struct Transaction {
    work: Warehouse,
    /// Commit generation of the committed state this transaction started from.
    base: u64,
    explicit: bool,
    failed: bool,
    dirty: bool,
}

struct Prepared {
    sql: String,
    /// Result columns found at Parse (None: not a query).
    fields: Option<Vec<FieldDescription>>,
    /// Declared parameter type OIDs, extended to the highest `$n` (0 = unspecified).
    param_types: Vec<u32>,
}

/// Rows produced but not yet sent (a portal suspended by Execute's `max_rows`).
struct Pending {
    fields: Vec<FieldDescription>,
    rows: VecDeque<Vec<Value>>,
    sent: usize,
    /// Command tag once the rows are exhausted (`None` for SELECT: `SELECT <count>`).
    tag: Option<&'static str>,
}

struct Portal {
    /// Shared, not copied, when the portal runs (a query's syntax tree is large).
    statement: Option<Arc<Statement>>,
    result_formats: Vec<i16>,
    pending: Option<Pending>,
    /// Executed to completion (a second Execute returns no rows).
    done: bool,
}

pub(crate) struct Session {
    shared: Arc<Shared>,
    user: u32,
    session_user: u32,
    database: String,
    pid: i32,
    cancel: Arc<Notify>,
    /// Redshift's `server_protocol_version` agreed at startup (≥ 1: extended row metadata).
    protocol_version: u32,
    tx: Option<Transaction>,
    prepared: HashMap<String, Prepared>,
    portals: HashMap<String, Portal>,
    /// After an error in the extended protocol, messages are skipped until Sync.
    skip_until_sync: bool,
    /// The rows an Execute is still writing (sent in chunks: see `write_more`).
    sending: Option<Sending>,
    /// `enable_case_sensitive_identifier` of this session (starts from the cluster's setting).
    case_sensitive: bool,
}

/// Rows of an Execute not yet written, and how the Execute ends once they are.
struct Sending {
    portal: String,
    fields: Vec<FieldDescription>,
    formats: Vec<i16>,
    rows: std::vec::IntoIter<Vec<Value>>,
    /// The portal has no rows left after these (CommandComplete, else PortalSuspended).
    finished: bool,
    tag: Option<&'static str>,
    sent: usize,
}

/// How much of an Execute's rows is encoded before the connection sends it: a large result
/// reaches the client (which decodes it meanwhile) while the rest is still being encoded.
const CHUNK_BYTES: usize = 256 << 10;

fn binary_format(formats: &[i16], i: usize) -> bool {
    match formats {
        [] => false,
        [one] => *one == 1,
        many => many.get(i) == Some(&1),
    }
}

/// Redshift's serializable-isolation failure (SQLSTATE XX000, message `1023`).
fn serialization_failure(pid: i32, base: u64, now: u64) -> SqlError {
    SqlError::new("XX000", "1023").with_detail(format!(
        "Serializable isolation violation on table - 1259, transactions forming the cycle are: {}, {} (pid:{pid})",
        base + 1,
        now
    ))
}

/// The CommandComplete tag of a result.
fn rows_tag(count: usize) -> String {
    format!("SELECT {count}")
}

impl Session {
    pub fn new(
        shared: Arc<Shared>,
        user: u32,
        database: String,
        pid: i32,
        protocol_version: u32,
        cancel: Arc<Notify>,
    ) -> Self {
        let case_sensitive = lock(&shared.warehouse).warehouse.case_sensitive_identifiers;
        Session {
            case_sensitive,
            shared,
            user,
            session_user: user,
            database,
            pid,
            cancel,
            protocol_version,
            tx: None,
            prepared: HashMap::new(),
            portals: HashMap::new(),
            skip_until_sync: false,
            sending: None,
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
            let committed = lock(&self.shared.warehouse);
            self.tx = Some(Transaction {
                work: committed.warehouse.clone(),
                base: committed.generation,
                explicit: false,
                failed: false,
                dirty: false,
            });
        }
    }

    /// Publishes the transaction's changes, or fails if another session committed first.
    fn commit(&mut self) -> Result<(), SqlError> {
        if let Some(t) = self.tx.take()
            && !t.failed
            && t.dirty
        {
            let mut committed = lock(&self.shared.warehouse);
            if committed.generation != t.base {
                return Err(serialization_failure(self.pid, t.base, committed.generation));
            }
            committed.warehouse = t.work;
            committed.generation += 1;
        }
        Ok(())
    }

    /// Ends an implicit transaction (end of a Query message or Sync) or fails an explicit one.
    fn finish_implicit(&mut self, ok: bool) -> Result<(), SqlError> {
        match &mut self.tx {
            Some(t) if t.explicit && !ok => t.failed = true,
            Some(t) if t.explicit => {}
            Some(_) if ok => return self.commit(),
            Some(_) => self.tx = None,
            None => {}
        }
        Ok(())
    }

    /// Runs one statement inside the current (implicit or explicit) transaction.
    async fn execute(&mut self, stmt: &Statement) -> Result<Outcome, SqlError> {
        crate::sql::enter_session(self.case_sensitive, &self.database);
        match stmt {
            Statement::SetCaseSensitive(on) => {
                self.case_sensitive = *on;
                crate::sql::enter_session(*on, &self.database);
                return Ok(Outcome::Command("SET"));
            }
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
                self.commit()?;
                return Ok(Outcome::Command("COMMIT"));
            }
            Statement::Rollback => {
                self.tx = None;
                return Ok(Outcome::Command("ROLLBACK"));
            }
            _ => {}
        }
        let read_only = matches!(stmt, Statement::Query(_) | Statement::Select(_));
        if read_only && self.tx.is_none() {
            // Outside a transaction block a query reads the committed state in place: no copy.
            let outcome = {
                let mut committed = lock(&self.shared.warehouse);
                let mut ctx = ExecContext {
                    wh: &mut committed.warehouse,
                    user: self.user,
                    session_user: self.session_user,
                    database: &self.database,
                    pid: self.pid,
                };
                exec::execute(stmt, &mut ctx)?
            };
            return self.finish_outcome(outcome).await;
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
        let outcome = if read_only {
            let mut ctx = ExecContext {
                wh: &mut tx.work,
                user: self.user,
                session_user: self.session_user,
                database: &self.database,
                pid: self.pid,
            };
            exec::execute(stmt, &mut ctx)?
        } else {
            // Execute on a scratch copy so a failing statement leaves no partial change.
            let mut scratch = tx.work.clone();
            let mut ctx = ExecContext {
                wh: &mut scratch,
                user: self.user,
                session_user: self.session_user,
                database: &self.database,
                pid: self.pid,
            };
            let outcome = exec::execute(stmt, &mut ctx)?;
            tx.work = scratch;
            tx.dirty = true;
            outcome
        };
        self.finish_outcome(outcome).await
    }

    /// Waits out `pg_sleep` (cancellable) and applies SET SESSION AUTHORIZATION.
    async fn finish_outcome(&mut self, outcome: Outcome) -> Result<Outcome, SqlError> {
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
                    fields: vec![FieldDescription::new("pg_sleep", WireType::Text)],
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

    /// `Some(catalog)` when the client agreed to extended row metadata.
    fn extended_metadata(&self) -> Option<&str> {
        (self.protocol_version >= 1).then_some(self.database.as_str())
    }

    fn write_rows(
        &self,
        fields: &[FieldDescription],
        rows: impl IntoIterator<Item = Vec<Value>>,
        out: &mut Outbox,
        formats: &[i16],
    ) -> usize {
        let mut n = 0;
        for row in rows {
            Self::write_row(fields, row, out, formats);
            n += 1;
        }
        n
    }

    fn write_row(fields: &[FieldDescription], row: Vec<Value>, out: &mut Outbox, formats: &[i16]) {
        out.data_row(row.len().min(fields.len()) as i16, |buf| {
            for (i, (v, f)) in row.into_iter().zip(fields).enumerate() {
                v.write_wire(f.ty, binary_format(formats, i), buf);
            }
        });
    }

    /// An Execute still has rows to encode (`write_more`).
    pub fn is_sending(&self) -> bool {
        self.sending.is_some()
    }

    /// Encodes the next chunk of an Execute's rows and, after the last, how the Execute ends.
    /// The connection sends each chunk before asking for the next.
    pub fn write_more(&mut self, out: &mut Outbox) {
        let Some(sending) = self.sending.as_mut() else {
            return;
        };
        let until = out.len() + CHUNK_BYTES;
        for row in sending.rows.by_ref() {
            Self::write_row(&sending.fields, row, out, &sending.formats);
            if out.len() >= until {
                return;
            }
        }
        let Some(done) = self.sending.take() else {
            return;
        };
        if done.finished {
            match done.tag {
                Some(t) => out.command_complete(t),
                None => out.command_complete(&rows_tag(done.sent)),
            }
            if let Some(p) = self.portals.get_mut(&done.portal) {
                p.pending = None;
                p.done = true;
            }
        } else {
            out.portal_suspended();
        }
    }

    /// Simple query protocol: each statement answers with its own CommandComplete; the first error
    /// stops the rest; all of it is one implicit transaction unless inside BEGIN … COMMIT.
    pub async fn simple_query(&mut self, sql: &str, out: &mut Outbox) {
        crate::sql::enter_session(self.case_sensitive, &self.database);
        let statements = match parse_script(sql) {
            Ok(s) => s,
            Err(e) => {
                out.error(&e);
                let _ = self.finish_implicit(false);
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
                Err(e) => Err(e),
            };
            match result {
                Ok(Outcome::Rows { fields, rows }) => {
                    out.row_description(&fields, |_| false, self.extended_metadata());
                    let n = self.write_rows(&fields, rows, out, &[]);
                    out.command_complete(&rows_tag(n));
                }
                Ok(Outcome::Command(tag)) => out.command_complete(tag),
                Ok(Outcome::Sleep { .. } | Outcome::SetUser(_)) => out.command_complete("SELECT 0"),
                Err(e) => {
                    out.error(&e);
                    let _ = self.finish_implicit(false);
                    return;
                }
            }
        }
        if let Err(e) = self.finish_implicit(true) {
            out.error(&e);
        }
    }

    pub fn sync(&mut self, out: &mut Outbox) {
        self.skip_until_sync = false;
        if let Err(e) = self.finish_implicit(true) {
            out.error(&e);
        }
    }

    /// Extended query protocol messages (Parse, Bind, Describe, Execute, Close).
    pub async fn extended(&mut self, msg: FrontendMessage, out: &mut Outbox) {
        if self.skip_until_sync {
            return;
        }
        crate::sql::enter_session(self.case_sensitive, &self.database);
        if let Err(e) = self.extended_inner(msg, out).await {
            out.error(&e);
            self.skip_until_sync = true;
            let _ = self.finish_implicit(false);
        }
    }

    fn prepared(&self, name: &str) -> Result<&Prepared, SqlError> {
        self.prepared.get(name).ok_or_else(|| {
            SqlError::new("26000", format!("prepared statement \"{name}\" does not exist"))
        })
    }

    /// Parses the single statement of a prepared statement with its parameters substituted.
    fn bind_statement(sql: &str, params: &[Param]) -> Result<Option<Statement>, SqlError> {
        let text = params::substitute(sql, params)?;
        let mut statements = parse_script(&text)?;
        if statements.len() > 1 {
            return Err(SqlError::new(
                "42601",
                "cannot insert multiple commands into a prepared statement",
            ));
        }
        statements.pop().transpose()
    }

    /// Runs a portal's statement (once) and keeps its rows for Execute.
    async fn run_portal(&mut self, name: &str) -> Result<(), SqlError> {
        let p = self
            .portals
            .get(name)
            .ok_or_else(|| SqlError::new("34000", format!("portal \"{name}\" does not exist")))?;
        if p.pending.is_some() || p.done {
            return Ok(());
        }
        let pending = match p.statement.clone() {
            None => None,
            Some(stmt) => Some(match self.execute(&stmt).await? {
                Outcome::Rows { fields, rows } => {
                    Pending { fields, rows: rows.into(), sent: 0, tag: None }
                }
                Outcome::Command(tag) => {
                    Pending { fields: Vec::new(), rows: VecDeque::new(), sent: 0, tag: Some(tag) }
                }
                Outcome::Sleep { .. } | Outcome::SetUser(_) => Pending {
                    fields: Vec::new(),
                    rows: VecDeque::new(),
                    sent: 0,
                    tag: Some("SELECT 0"),
                },
            }),
        };
        if let Some(p) = self.portals.get_mut(name) {
            p.pending = pending;
        }
        Ok(())
    }

    async fn extended_inner(
        &mut self,
        msg: FrontendMessage,
        out: &mut Outbox,
    ) -> Result<(), SqlError> {
        match msg {
            FrontendMessage::Parse { name, query, param_types } => {
                let count = params::count(&query)?;
                let mut types = param_types;
                if types.len() < count {
                    types.resize(count, 0);
                }
                params::infer_types(&query, &mut types);
                // Check the statement now (with NULL parameters), as PostgreSQL's parse analysis
                // does at Parse: a query naming a missing column fails here, not at Describe.
                let nulls = vec![Param::Null; types.len()];
                let fields = match Self::bind_statement(&query, &nulls)? {
                    Some(stmt @ (Statement::Query(_) | Statement::Select(_))) => {
                        Some(self.describe(&stmt)?)
                    }
                    _ => None,
                };
                if !name.is_empty() && self.prepared.contains_key(&name) {
                    return Err(SqlError::new(
                        "42P05",
                        format!("prepared statement \"{name}\" already exists"),
                    ));
                }
                self.prepared.insert(name, Prepared { sql: query, fields, param_types: types });
                out.parse_complete();
            }
            FrontendMessage::Bind { portal, statement, param_formats, params, result_formats } => {
                let prepared = self.prepared(&statement)?;
                if params.len() != prepared.param_types.len() {
                    return Err(SqlError::new(
                        "08P01",
                        format!(
                            "bind message supplies {} parameters, but prepared statement \"{statement}\" requires {}",
                            params.len(),
                            prepared.param_types.len()
                        ),
                    ));
                }
                let values = params
                    .iter()
                    .enumerate()
                    .map(|(i, raw)| {
                        params::decode(
                            raw.as_deref(),
                            prepared.param_types[i],
                            binary_format(&param_formats, i),
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let stmt = Self::bind_statement(&prepared.sql, &values)?;
                self.portals.insert(
                    portal,
                    Portal {
                        statement: stmt.map(Arc::new),
                        result_formats,
                        pending: None,
                        done: false,
                    },
                );
                out.bind_complete();
            }
            FrontendMessage::Describe { kind: b'S', name } => {
                let prepared = self.prepared(&name)?;
                let types: Vec<u32> =
                    prepared.param_types.iter().map(|t| if *t == 0 { 25 } else { *t }).collect();
                let fields = prepared.fields.clone();
                out.parameter_description(&types);
                match fields {
                    Some(fields) => {
                        out.row_description(&fields, |_| false, self.extended_metadata())
                    }
                    None => out.no_data(),
                }
            }
            FrontendMessage::Describe { name, .. } => {
                let is_query = match self.portals.get(&name) {
                    Some(p) => {
                        matches!(
                            p.statement.as_deref(),
                            Some(Statement::Query(_) | Statement::Select(_))
                        )
                    }
                    None => {
                        return Err(SqlError::new(
                            "34000",
                            format!("portal \"{name}\" does not exist"),
                        ));
                    }
                };
                if !is_query {
                    out.no_data();
                    return Ok(());
                }
                self.run_portal(&name).await?;
                if let Some(p) = self.portals.get(&name)
                    && let Some(pending) = &p.pending
                {
                    let formats = p.result_formats.clone();
                    out.row_description(
                        &pending.fields,
                        |i| binary_format(&formats, i),
                        self.extended_metadata(),
                    );
                }
            }
            FrontendMessage::Execute { portal, max_rows } => {
                self.run_portal(&portal).await?;
                let Some(p) = self.portals.get_mut(&portal) else {
                    return Err(SqlError::new(
                        "34000",
                        format!("portal \"{portal}\" does not exist"),
                    ));
                };
                if p.done || p.statement.is_none() {
                    if p.statement.is_none() {
                        out.empty_query();
                    } else {
                        out.command_complete(&rows_tag(0));
                    }
                    return Ok(());
                }
                let Some(pending) = p.pending.as_mut() else {
                    return Ok(());
                };
                let take = match usize::try_from(max_rows) {
                    Ok(n) if n > 0 => n.min(pending.rows.len()),
                    _ => pending.rows.len(),
                };
                // All the rows move over as they are (no copy of the row list).
                let batch: Vec<Vec<Value>> = if take == pending.rows.len() {
                    std::mem::take(&mut pending.rows).into()
                } else {
                    pending.rows.drain(..take).collect()
                };
                pending.sent += batch.len();
                self.sending = Some(Sending {
                    fields: pending.fields.clone(),
                    formats: p.result_formats.clone(),
                    rows: batch.into_iter(),
                    finished: pending.rows.is_empty(),
                    tag: pending.tag,
                    sent: pending.sent,
                    portal,
                });
                self.write_more(out);
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

    /// Result columns of a query without keeping its rows (Describe of a statement).
    fn describe(&mut self, stmt: &Statement) -> Result<Vec<FieldDescription>, SqlError> {
        // Queries only read: run them on the transaction's or the committed state in place.
        let mut committed = lock(&self.shared.warehouse);
        let wh = match &mut self.tx {
            Some(t) => &mut t.work,
            None => &mut committed.warehouse,
        };
        let mut ctx = ExecContext {
            wh,
            user: self.user,
            session_user: self.session_user,
            database: &self.database,
            pid: self.pid,
        };
        let outcome = match exec::describe(stmt, &mut ctx)? {
            Some(outcome) => outcome,
            None => exec::execute(stmt, &mut ctx)?,
        };
        match outcome {
            Outcome::Rows { fields, .. } => Ok(fields),
            Outcome::Sleep { .. } => Ok(vec![FieldDescription::new("pg_sleep", WireType::Text)]),
            _ => Ok(Vec::new()),
        }
    }
}
