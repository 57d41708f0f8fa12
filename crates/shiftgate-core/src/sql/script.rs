//! A generated SQL script: blocks of statements with the comments that explain them, rendered for a
//! DBA to read (password masked unless revealed) and iterated statement by statement by the runner.
//!
//! This module knows nothing about grants or dialects; statements arrive already built from
//! [`super::ident::Ident`] / [`super::ident::Literal`] by the generator modules.

use std::fmt;

/// How a masked password appears in rendered scripts.
pub const MASKED_SECRET: &str = "'********'";

/// What a statement does, so the runner can report and diagnose per step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatementKind {
    /// `CREATE USER`.
    CreateUser,
    /// `ALTER USER … PASSWORD` / `CONNECTION LIMIT`.
    AlterUser,
    /// `CREATE GROUP` / `CREATE ROLE`.
    CreateAccess,
    /// `ALTER GROUP … ADD USER` / `GRANT ROLE r TO u` / `GRANT r TO u`.
    AddMember,
    /// `GRANT` on a schema, table or database.
    Grant,
    /// `ALTER DEFAULT PRIVILEGES … GRANT`.
    GrantDefault,
    /// `REVOKE` on a schema, table or database.
    Revoke,
    /// `ALTER DEFAULT PRIVILEGES … REVOKE`.
    RevokeDefault,
    /// `ALTER GROUP … DROP USER` / `REVOKE ROLE r FROM u` / `REVOKE r FROM u`.
    RemoveMember,
    /// `DROP OWNED BY` (PostgreSQL).
    DropOwned,
    /// `DROP GROUP` / `DROP ROLE`.
    DropAccess,
    /// `DROP USER`.
    DropUser,
    /// `SET …` for the session (Redshift `enable_case_sensitive_identifier`).
    SetSession,
}

/// One SQL statement, stored without its terminating `;`.
#[derive(Clone, PartialEq, Eq)]
pub struct Statement {
    sql: String,
    masked: Option<String>,
    kind: StatementKind,
    transactional: bool,
}

impl Statement {
    /// A statement with no secret that may run inside a transaction block.
    pub(crate) fn new(kind: StatementKind, sql: String) -> Self {
        Self { sql, masked: None, kind, transactional: true }
    }

    /// A statement carrying a secret; `masked` is the same text with [`MASKED_SECRET`] in its place.
    pub(crate) fn with_secret(kind: StatementKind, sql: String, masked: String) -> Self {
        Self { sql, masked: Some(masked), kind, transactional: true }
    }

    /// Sets whether the statement may run inside a transaction block.
    pub(crate) fn transactional_if(mut self, transactional: bool) -> Self {
        self.transactional = transactional;
        self
    }

    /// The runnable text (secrets in clear), without `;`. Never log this; use [`Statement::masked_sql`].
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The text with any secret masked, without `;`: safe for logs and reports.
    pub fn masked_sql(&self) -> &str {
        self.masked.as_deref().unwrap_or(&self.sql)
    }

    /// [`Statement::sql`] when `reveal_secrets`, else [`Statement::masked_sql`].
    pub fn display_sql(&self, reveal_secrets: bool) -> &str {
        if reveal_secrets { self.sql() } else { self.masked_sql() }
    }

    /// What the statement does.
    pub fn kind(&self) -> StatementKind {
        self.kind
    }

    /// `false` when the statement must run outside `BEGIN … COMMIT` on its dialect.
    pub fn transactional(&self) -> bool {
        self.transactional
    }

    /// Whether the statement carries a password.
    pub fn has_secret(&self) -> bool {
        self.masked.is_some()
    }
}

/// `Debug` shows the masked text only.
impl fmt::Debug for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Statement")
            .field("sql", &self.masked_sql())
            .field("kind", &self.kind)
            .field("transactional", &self.transactional)
            .finish()
    }
}

/// Statements that belong together, with comment lines saying why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Block {
    /// Comment lines (without `-- `), rendered before the statements.
    pub comment: Vec<String>,
    /// Statements in run order.
    pub statements: Vec<Statement>,
}

impl Block {
    /// A block with one comment line and no statements yet.
    pub(crate) fn commented(line: impl Into<String>) -> Self {
        Self { comment: vec![line.into()], statements: Vec::new() }
    }

    /// Adds a comment line.
    pub(crate) fn note(&mut self, line: impl Into<String>) -> &mut Self {
        self.comment.push(line.into());
        self
    }

    /// Adds a statement.
    pub(crate) fn push(&mut self, statement: Statement) -> &mut Self {
        self.statements.push(statement);
        self
    }
}

/// A whole script.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Script {
    /// One-line title, rendered as the first comment.
    pub title: String,
    /// Blocks in run order.
    pub blocks: Vec<Block>,
}

impl Script {
    /// An empty script with a title.
    pub(crate) fn titled(title: impl Into<String>) -> Self {
        Self { title: title.into(), blocks: Vec::new() }
    }

    /// Appends a block (empty blocks are kept only if they carry comments).
    pub(crate) fn push(&mut self, block: Block) {
        if !block.comment.is_empty() || !block.statements.is_empty() {
            self.blocks.push(block);
        }
    }

    /// Appends a block only if it has statements.
    pub(crate) fn push_nonempty(&mut self, block: Block) {
        if !block.statements.is_empty() {
            self.blocks.push(block);
        }
    }

    /// Every statement in run order.
    pub fn statements(&self) -> impl Iterator<Item = &Statement> {
        self.blocks.iter().flat_map(|b| b.statements.iter())
    }

    /// Whether any statement carries a password.
    pub fn has_secrets(&self) -> bool {
        self.statements().any(Statement::has_secret)
    }

    /// The script as a DBA reads it: `-- ` comment lines per block, one statement per line ending
    /// in `;`, a blank line between blocks. Passwords appear as [`MASKED_SECRET`] unless
    /// `reveal_secrets`. Control characters in comments are escaped so a name can't end a comment.
    pub fn render(&self, reveal_secrets: bool) -> String {
        let mut out = String::new();
        push_comment(&mut out, &self.title);
        if self.has_secrets() && !reveal_secrets {
            push_comment(
                &mut out,
                "Passwords are shown as '********'; reveal them to get a runnable script.",
            );
        }
        for block in &self.blocks {
            out.push('\n');
            for line in &block.comment {
                push_comment(&mut out, line);
            }
            for s in &block.statements {
                out.push_str(s.display_sql(reveal_secrets));
                out.push_str(";\n");
            }
        }
        out
    }
}

fn push_comment(out: &mut String, line: &str) {
    out.push_str("--");
    if !line.is_empty() {
        out.push(' ');
    }
    for c in line.chars() {
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Script {
        let mut s = Script::titled("t");
        let mut b = Block::commented("why");
        b.push(Statement::with_secret(
            StatementKind::CreateUser,
            "CREATE USER \"u\" PASSWORD 'Secret_Pass1'".into(),
            format!("CREATE USER \"u\" PASSWORD {MASKED_SECRET}"),
        ));
        b.push(
            Statement::new(
                StatementKind::Grant,
                "GRANT USAGE ON SCHEMA \"e\" TO GROUP \"g\"".into(),
            )
            .transactional_if(false),
        );
        s.push(b);
        s.push(Block::default());
        s.push(Block::commented("evil\nDROP TABLE x;"));
        s
    }

    #[test]
    fn render_masks_unless_revealed() {
        let s = sample();
        assert_eq!(
            s.render(false),
            "-- t\n-- Passwords are shown as '********'; reveal them to get a runnable script.\n\n-- why\n\
             CREATE USER \"u\" PASSWORD '********';\nGRANT USAGE ON SCHEMA \"e\" TO GROUP \"g\";\n\n\
             -- evil\\nDROP TABLE x;\n"
        );
        let revealed = s.render(true);
        assert!(revealed.contains("PASSWORD 'Secret_Pass1';"));
        assert!(!revealed.contains("********"));
    }

    #[test]
    fn statements_iterate_in_order_and_debug_masks() {
        let s = sample();
        let kinds: Vec<_> = s.statements().map(Statement::kind).collect();
        assert_eq!(kinds, vec![StatementKind::CreateUser, StatementKind::Grant]);
        let tx: Vec<_> = s.statements().map(Statement::transactional).collect();
        assert_eq!(tx, vec![true, false]);
        assert!(!format!("{s:?}").contains("Secret_Pass1"));
        assert_eq!(s.blocks.len(), 2, "empty block dropped");
    }
}
