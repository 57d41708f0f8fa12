//! Running a script in as few round trips as the protocol allows, still reported statement by
//! statement.
//!
//! The script is cut into *segments*: a run of consecutive statements that may share a transaction
//! block goes out as one simple-query message `BEGIN; s1; …; sn; COMMIT` (cut into several
//! messages inside the same block only past [`MAX_MESSAGE_BYTES`]); a statement that must run
//! outside a block (Redshift GRANT/REVOKE on external resources) goes alone, because a
//! multi-statement message is itself an implicit transaction. The server answers each statement of
//! a message with its own CommandComplete, in order, or stops the message at the first
//! ErrorResponse and skips the rest, so reading the replies in order says which statement
//! succeeded, which failed and why. After a failure the block is aborted and one `ROLLBACK` undoes
//! the whole segment. A message whose text does not parse (a syntax error anywhere in it) is
//! rejected before any of it runs: the error's position names the statement, and the ones before
//! it are reported Skipped.
//!
//! **Elapsed per statement** is the time from the previous statement's completion reaching us (for
//! the first statement of a message: from sending the message) to this statement's completion
//! reaching us. The figures of a message add up to its wall time, round trip included. A server
//! buffers its replies (PostgreSQL flushes about every 8 KB and at the end), so inside a batch many
//! statements show 0 ms and a burst's wait lands on the first statement read from it.
//!
//! Cancellation sends the server a cancel request and then keeps reading the message's replies:
//! they say whether the statement in progress was cancelled (57014, the block is rolled back) or
//! the message had already finished, in which case its work stands and the run stops after it.
//!
//! This module owns only the message loop; the types it reports with live in
//! [`super::provision`].

use super::provision::{
    ProgressSink, STATEMENT_TIMEOUT, ScriptRun, StatementProgress, TaskFailure, error_text,
};
use crate::net::connect::{Session, facts_from_pg_error};
use futures_util::StreamExt;
use shiftgate_core::diagnose::{Cause, Diagnosis, diagnose};
use shiftgate_core::profile::Profile;
use shiftgate_core::report::{StepKind, StepStatus};
use shiftgate_core::sql::Statement;
use std::ops::Range;
use std::time::Instant;
use tokio_postgres::SimpleQueryMessage;
use tokio_postgres::error::{ErrorPosition, SqlState};
use tokio_util::sync::CancellationToken;

/// Most SQL text one message carries before a segment continues in the next message (inside the
/// same transaction block). Redshift caps one query string at 16 MB; 1 MiB is ~10,000 grants.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// One simple-query message of a run: the statements `range`, opening the transaction block
/// (`BEGIN`) and/or closing it (`COMMIT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub range: Range<usize>,
    pub begin: bool,
    pub commit: bool,
}

impl Batch {
    /// The message text (secrets in clear: never log it), and the 1-based character position
    /// where each of its statements starts (how the server points into the text in an error).
    fn text(&self, statements: &[&Statement]) -> (String, Vec<usize>) {
        let mut text = String::new();
        let mut starts = Vec::with_capacity(self.range.len());
        let mut chars = 0;
        let mut push = |part: &str, text: &mut String| {
            if !text.is_empty() {
                // One statement per line; a `;` on its own line can't be swallowed by a comment.
                text.push_str("\n;\n");
                chars += 3;
            }
            let start = chars + 1;
            text.push_str(part);
            chars += part.chars().count();
            start
        };
        if self.begin {
            push("BEGIN", &mut text);
        }
        for s in &statements[self.range.clone()] {
            starts.push(push(s.sql(), &mut text));
        }
        if self.commit {
            push("COMMIT", &mut text);
        }
        (text, starts)
    }

    /// The statement a server error position (1-based, in characters) points into.
    fn statement_at(&self, starts: &[usize], position: usize) -> usize {
        self.range.start + starts.iter().rposition(|&s| s <= position).unwrap_or(0)
    }
}

/// The messages a script goes out in, in order (see the module doc). `max_bytes` bounds the
/// statement text of one message; a single longer statement still goes alone.
pub fn batches(statements: &[&Statement], max_bytes: usize) -> Vec<Batch> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < statements.len() {
        if !statements[i].transactional() {
            out.push(Batch { range: i..i + 1, begin: false, commit: false });
            i += 1;
            continue;
        }
        let end = (i..statements.len())
            .find(|&j| !statements[j].transactional())
            .unwrap_or(statements.len());
        let mut start = i;
        while start < end {
            let mut stop = start + 1;
            let mut bytes = statements[start].sql().len();
            while stop < end && bytes + statements[stop].sql().len() <= max_bytes {
                bytes += statements[stop].sql().len();
                stop += 1;
            }
            out.push(Batch { range: start..stop, begin: start == i, commit: stop == end });
            start = stop;
        }
        i = end;
    }
    out
}

/// How one message ended.
enum MessageEnd {
    /// Every statement (and BEGIN / COMMIT) completed.
    Completed,
    /// A statement failed or was cancelled; the rest of the message was skipped.
    Stopped,
}

/// The state of a run across messages.
struct Runner<'a> {
    session: &'a Session,
    profile: &'a Profile,
    statements: &'a [&'a Statement],
    progress: ProgressSink<'a>,
    cancel: &'a CancellationToken,
    run: ScriptRun,
    /// A transaction block is open on the server.
    in_block: bool,
    /// Statements of the open block that completed (undone by a rollback).
    block_executed: usize,
    /// A cancel request went to the server: stop after the current message.
    cancel_sent: bool,
}

impl Runner<'_> {
    fn show(&self, i: usize, status: StepStatus, elapsed_ms: u64, error: Option<String>) {
        (self.progress)(StatementProgress {
            index: i,
            total: self.statements.len(),
            shown_sql: self.statements[i].masked_sql().to_string(),
            status,
            elapsed_ms,
            error,
        })
    }

    fn fail(&mut self, i: usize, e: &tokio_postgres::Error) {
        self.run.failed =
            Some((i, diagnose(&facts_from_pg_error(self.profile, e, StepKind::Query))));
    }

    /// Send one message and read its replies in order, reporting each statement as it completes.
    async fn message(&mut self, batch: &Batch) -> Result<MessageEnd, TaskFailure> {
        let first = batch.range.start;
        let (text, starts) = batch.text(self.statements);
        let mut mark = Instant::now();
        self.show(first, StepStatus::Running, 0, None);
        let stream = match self.session.client.simple_query_raw(&text).await {
            Ok(s) => s,
            Err(e) => {
                self.show(first, StepStatus::Failed, 0, Some(error_text(&e)));
                self.fail(first, &e);
                return Ok(MessageEnd::Stopped);
            }
        };
        let mut stream = std::pin::pin!(stream);
        let mut begin_pending = batch.begin;
        let mut next = first;
        // CommandCompletes of this message so far (BEGIN's included).
        let mut answered = 0usize;
        let (cancel, session) = (self.cancel, self.session);
        loop {
            let item = if self.cancel_sent {
                tokio::time::timeout(STATEMENT_TIMEOUT, stream.next()).await
            } else {
                tokio::select! {
                    biased;
                    _ = cancel.cancelled() => {
                        if let Err(e) = session.cancel_running().await {
                            tracing::warn!(error = %e, "the cancel request did not reach the server");
                        }
                        self.cancel_sent = true;
                        continue;
                    }
                    r = tokio::time::timeout(STATEMENT_TIMEOUT, stream.next()) => r,
                }
            };
            let Ok(item) = item else {
                return Err(statement_timeout());
            };
            let elapsed_ms = mark.elapsed().as_millis() as u64;
            match item {
                Some(Ok(SimpleQueryMessage::CommandComplete(_))) => {
                    answered += 1;
                    if begin_pending {
                        begin_pending = false;
                        self.in_block = true;
                        self.block_executed = 0;
                    } else if next < batch.range.end {
                        self.show(next, StepStatus::Ok, elapsed_ms, None);
                        mark = Instant::now();
                        self.run.executed += 1;
                        if self.in_block {
                            self.block_executed += 1;
                        }
                        next += 1;
                        if next < batch.range.end {
                            self.show(next, StepStatus::Running, 0, None);
                        }
                    } else if batch.commit {
                        self.in_block = false;
                    }
                }
                // Rows or their description (a script has none to keep).
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    if next == batch.range.end {
                        // COMMIT failed: the server ended the block, undoing it.
                        self.in_block = false;
                        self.run.executed -= self.block_executed;
                        self.fail(next - 1, &e);
                    } else if self.cancel_sent && e.code() == Some(&SqlState::QUERY_CANCELED) {
                        self.show(next, StepStatus::Cancelled, elapsed_ms, None);
                        self.run.cancelled = true;
                    } else if answered == 0 {
                        // Nothing of the message ran: the server rejected its text as a whole (a
                        // syntax error anywhere), or its first statement (or BEGIN) failed. The
                        // error's position names the statement; those before it were not run.
                        let at = match e.as_db_error().and_then(|d| d.position()) {
                            Some(ErrorPosition::Original(p)) => {
                                batch.statement_at(&starts, *p as usize)
                            }
                            _ => first,
                        };
                        for j in first..at {
                            self.show(j, StepStatus::Skipped, 0, None);
                        }
                        self.show(at, StepStatus::Failed, elapsed_ms, Some(error_text(&e)));
                        self.fail(at, &e);
                    } else {
                        self.show(next, StepStatus::Failed, elapsed_ms, Some(error_text(&e)));
                        self.fail(next, &e);
                    }
                    return Ok(MessageEnd::Stopped);
                }
                None if next < batch.range.end || begin_pending => {
                    // The server answered fewer statements than were sent: never trust the rest.
                    self.show(next, StepStatus::Failed, elapsed_ms, None);
                    self.run.failed = Some((next, unanswered(next - first, batch.range.len())));
                    return Ok(MessageEnd::Stopped);
                }
                None => return Ok(MessageEnd::Completed),
            }
        }
    }
}

/// Run `statements` in order on `session` (see the module doc): stops at the first failure with
/// its diagnosis and rolls back the transaction block it stopped in.
pub async fn run_statements(
    session: &Session,
    profile: &Profile,
    statements: &[&Statement],
    progress: ProgressSink<'_>,
    cancel: &CancellationToken,
) -> Result<ScriptRun, TaskFailure> {
    let started = Instant::now();
    let mut r = Runner {
        session,
        profile,
        statements,
        progress,
        cancel,
        run: ScriptRun {
            executed: 0,
            total: statements.len(),
            failed: None,
            rolled_back: false,
            cancelled: false,
            elapsed_ms: 0,
        },
        in_block: false,
        block_executed: 0,
        cancel_sent: false,
    };
    for batch in batches(statements, MAX_MESSAGE_BYTES) {
        if r.cancel_sent || cancel.is_cancelled() {
            r.show(batch.range.start, StepStatus::Cancelled, 0, None);
            r.run.cancelled = true;
            break;
        }
        if let MessageEnd::Stopped = r.message(&batch).await? {
            break;
        }
    }
    if r.in_block {
        let _ = session.client.batch_execute("ROLLBACK").await;
        r.run.rolled_back = true;
        r.run.executed -= r.block_executed;
    }
    r.run.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(r.run)
}

/// The statement-timeout failure (the session is dropped with it, which ends the block).
fn statement_timeout() -> TaskFailure {
    TaskFailure::Failed(Diagnosis {
        cause: Cause::Timeout,
        summary: format!("The statement did not finish within {} s.", STATEMENT_TIMEOUT.as_secs()),
        hint: "The server may be busy or blocked by a lock; retry later.".into(),
        server_text: None,
    })
}

/// The server ended a message without answering every statement in it.
fn unanswered(answered: usize, sent: usize) -> Diagnosis {
    Diagnosis {
        cause: Cause::Other,
        summary: format!(
            "The server answered {answered} of the {sent} statements sent in one message."
        ),
        hint: "Run the script statement by statement (Copy SQL) to see where it stops.".into(),
        server_text: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiftgate_core::sql::{self, Dialect, ExistingState};

    fn kinds(b: &[Batch]) -> Vec<(Range<usize>, bool, bool)> {
        b.iter().map(|b| (b.range.clone(), b.begin, b.commit)).collect()
    }

    fn script() -> sql::Script {
        let plan = sql::SetupPlan {
            dialect: Dialect::Redshift,
            user: "catalog".into(),
            password: "Catalog-Pass-42".into(),
            access: sql::Access::Group { name: "catalog_ro".into() },
            schemas: vec![
                sql::SchemaGrant {
                    name: "sales".into(),
                    kind: sql::SchemaKind::Local,
                    owners: vec!["etl".into()],
                },
                sql::SchemaGrant {
                    name: "spectrum".into(),
                    kind: sql::SchemaKind::External,
                    owners: vec![],
                },
                sql::SchemaGrant {
                    name: "hr".into(),
                    kind: sql::SchemaKind::Local,
                    owners: vec!["etl".into()],
                },
            ],
            datashare_databases: vec![],
            connection_limit: None,
            grant_svv_table_info: false,
        };
        sql::setup_script(&plan, &ExistingState::default()).expect("valid plan")
    }

    #[test]
    fn segments_around_statements_that_need_no_block() {
        let script = script();
        let st: Vec<&Statement> = script.statements().collect();
        let alone: Vec<usize> = (0..st.len()).filter(|&i| !st[i].transactional()).collect();
        assert!(!alone.is_empty(), "the external schema's USAGE runs outside a block");
        let b = batches(&st, MAX_MESSAGE_BYTES);
        // Every statement is in exactly one message, in order.
        let covered: Vec<usize> = b.iter().flat_map(|b| b.range.clone()).collect();
        assert_eq!(covered, (0..st.len()).collect::<Vec<_>>());
        for batch in &b {
            let lone = batch.range.len() == 1 && !st[batch.range.start].transactional();
            assert_eq!(batch.begin, !lone, "{batch:?}");
            assert_eq!(batch.commit, !lone, "{batch:?}");
            assert!(lone || batch.range.clone().all(|i| st[i].transactional()), "{batch:?}");
        }
        let segments = (0..st.len())
            .filter(|&i| st[i].transactional() && (i == 0 || !st[i - 1].transactional()))
            .count();
        assert_eq!(b.len(), alone.len() + segments);
    }

    #[test]
    fn a_long_segment_continues_in_the_same_block() {
        let script = script();
        let st: Vec<&Statement> = script.statements().filter(|s| s.transactional()).collect();
        let longest = st.iter().map(|s| s.sql().len()).max().unwrap_or(0);
        let b = batches(&st, longest * 2);
        assert!(b.len() > 1);
        assert_eq!(
            kinds(&b).iter().map(|(_, begin, commit)| (*begin, *commit)).collect::<Vec<_>>(),
            (0..b.len()).map(|i| (i == 0, i == b.len() - 1)).collect::<Vec<_>>()
        );
        for batch in &b {
            let bytes: usize = batch.range.clone().map(|i| st[i].sql().len()).sum();
            assert!(bytes <= longest * 2 || batch.range.len() == 1, "{batch:?}");
        }
    }

    #[test]
    fn message_text_keeps_one_statement_per_line() {
        let script = script();
        let st: Vec<&Statement> = script.statements().take(2).collect();
        let batch = Batch { range: 0..2, begin: true, commit: true };
        let (text, starts) = batch.text(&st);
        assert_eq!(text, format!("BEGIN\n;\n{}\n;\n{}\n;\nCOMMIT", st[0].sql(), st[1].sql()));
        // Positions are 1-based characters, as the server reports them.
        let chars: Vec<char> = text.chars().collect();
        for (j, &start) in starts.iter().enumerate() {
            let at: String = chars[start - 1..].iter().take(st[j].sql().chars().count()).collect();
            assert_eq!(at, st[j].sql());
            assert_eq!(batch.statement_at(&starts, start), j);
            assert_eq!(batch.statement_at(&starts, start + 2), j);
        }
        assert_eq!(batch.statement_at(&starts, 1), 0, "inside BEGIN: the first statement");
    }
}
