//! Hand-written recursive-descent parser for the DDL/DCL shapes of redshift.md §1.1–§1.4, §1.8, §1.9,
//! transaction control and `SET`. Queries are parsed by `sql::select`. Identifier case folding follows
//! §1.1/§1.8: every identifier, quoted or not, is folded to lower case (enable_case_sensitive_identifier
//! off) — except user names, whose case is kept when quoted. Statements it does not know are reported
//! as `not supported by the simulator`, statements it knows but that are malformed as syntax errors.

use super::ast::*;
use super::lexer::{Token, TokenKind, tokenize};
use crate::error::SqlError;

/// Splits a query string into statements and parses each. A tokenizer error fails the whole string.
/// Each element is the parse result of one statement, so execution stops at the first error in order.
pub fn parse_script(sql: &str) -> Result<Vec<Result<Statement, SqlError>>, SqlError> {
    let mut out = Vec::new();
    for text in crate::params::split_statements(sql) {
        if let Some(q) = parse_query(&text) {
            out.push(q);
            continue;
        }
        let tokens = tokenize(&text)?;
        if tokens.is_empty() {
            continue;
        }
        let stmt = Parser::new(&tokens).statement();
        // The setting changes how the rest of the batch is read (r_enable_case_sensitive_identifier.md).
        if let Ok(Statement::SetCaseSensitive(on)) = &stmt {
            super::set_case_sensitive(*on);
        }
        out.push(stmt);
    }
    Ok(out)
}

/// `OPERATOR(pg_catalog.op)` → `op` (outside quoted text).
fn operator_syntax(text: &str) -> String {
    const PREFIX: &str = "operator(pg_catalog.";
    if !text.to_ascii_lowercase().contains(PREFIX) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut in_quote = false;
    while !rest.is_empty() {
        if !in_quote
            && rest.len() >= PREFIX.len()
            && rest.is_char_boundary(PREFIX.len())
            && rest[..PREFIX.len()].eq_ignore_ascii_case(PREFIX)
            && let Some(close) = rest.find(')')
        {
            out.push(' ');
            out.push_str(&rest[PREFIX.len()..close]);
            out.push(' ');
            rest = &rest[close + 1..];
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        if c == '\'' {
            in_quote = !in_quote;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Queries (SELECT / WITH / VALUES / parenthesised) go to `sqlparser` with its Redshift dialect;
/// everything else (DDL/DCL) to the hand-written grammar. `None`: not a query.
fn parse_query(text: &str) -> Option<Result<Statement, SqlError>> {
    let head: String = text
        .split(|c: char| c.is_whitespace() || c == '(')
        .find(|w| !w.is_empty())
        .unwrap_or("")
        .to_ascii_lowercase();
    let starts_paren = text.trim_start().starts_with('(');
    if !(starts_paren || head == "select" || head == "with" || head == "values") {
        return None;
    }
    // psql spells operators `OPERATOR(pg_catalog.~)`; sqlparser knows only the bare operator.
    let text = operator_syntax(text);
    let dialect = sqlparser::dialect::RedshiftSqlDialect {};
    let parsed = sqlparser::parser::Parser::new(&dialect)
        .with_recursion_limit(64)
        .try_with_sql(&text)
        .and_then(|mut p| p.parse_statements());
    Some(match parsed {
        Ok(mut stmts) if stmts.len() == 1 => match stmts.pop() {
            Some(sqlparser::ast::Statement::Query(q)) => Ok(Statement::Select(q)),
            _ => Err(SqlError::unsupported("this statement form")),
        },
        Ok(_) => Err(SqlError::syntax_near(";")),
        // What sqlparser rejects goes to the hand-written grammar, which reports PostgreSQL's
        // error texts (42601 with the offending token, 54001 for runaway nesting).
        Err(_) => return None,
    })
}

pub struct Parser<'a> {
    pub(super) tokens: &'a [Token],
    pub(super) pos: usize,
    /// Expression nesting, bounded so hostile input can't overflow the stack.
    pub(super) depth: usize,
}

impl<'a> Parser<'a> {
    pub fn new(tokens: &'a [Token]) -> Self {
        Parser { tokens, pos: 0, depth: 0 }
    }

    // ---- token helpers -----------------------------------------------------------------------

    pub fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.pos)
    }

    pub(super) fn peek_at(&self, n: usize) -> Option<&'a Token> {
        self.tokens.get(self.pos + n)
    }

    pub(super) fn next(&mut self) -> Option<&'a Token> {
        let t = self.tokens.get(self.pos);
        self.pos += 1;
        t
    }

    pub(super) fn error_here(&self) -> SqlError {
        SqlError::syntax_near(self.peek().map(|t| t.text.as_str()).unwrap_or(""))
    }

    pub(super) fn at_keyword(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.is_keyword(kw))
    }

    pub(super) fn at_symbol(&self, sym: &str) -> bool {
        self.peek().is_some_and(|t| t.is_symbol(sym))
    }

    pub(super) fn eat_keyword(&mut self, kw: &str) -> bool {
        if self.at_keyword(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn eat_symbol(&mut self, sym: &str) -> bool {
        if self.at_symbol(sym) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn expect_keyword(&mut self, kw: &str) -> Result<(), SqlError> {
        if self.eat_keyword(kw) { Ok(()) } else { Err(self.error_here()) }
    }

    pub(super) fn expect_symbol(&mut self, sym: &str) -> Result<(), SqlError> {
        if self.eat_symbol(sym) { Ok(()) } else { Err(self.error_here()) }
    }

    pub(super) fn expect_end(&self) -> Result<(), SqlError> {
        if self.peek().is_none() { Ok(()) } else { Err(self.error_here()) }
    }

    /// A non-user identifier, folded to lower case even when quoted (redshift.md §1.1 `r_names.md`).
    pub(super) fn ident(&mut self) -> Result<String, SqlError> {
        match self.peek().map(|t| &t.kind) {
            Some(TokenKind::Ident { value, quoted }) => {
                self.pos += 1;
                Ok(super::fold_identifier(value, *quoted))
            }
            _ => Err(self.error_here()),
        }
    }

    /// A user name: case kept when quoted, folded when not (redshift.md §1.1 `r_CREATE_USER.md`).
    fn user_ident(&mut self) -> Result<String, SqlError> {
        match self.peek().map(|t| &t.kind) {
            Some(TokenKind::Ident { value, quoted }) => {
                self.pos += 1;
                Ok(if *quoted { value.clone() } else { value.to_ascii_lowercase() })
            }
            _ => Err(self.error_here()),
        }
    }

    fn string(&mut self) -> Result<String, SqlError> {
        match self.peek().map(|t| &t.kind) {
            Some(TokenKind::Str(s)) => {
                self.pos += 1;
                Ok(s.clone())
            }
            _ => Err(self.error_here()),
        }
    }

    fn number(&mut self) -> Result<u32, SqlError> {
        match self.peek().map(|t| &t.kind) {
            Some(TokenKind::Number(n)) => {
                let v = n.parse().map_err(|_| self.error_here())?;
                self.pos += 1;
                Ok(v)
            }
            _ => Err(self.error_here()),
        }
    }

    fn list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, SqlError>,
    ) -> Result<Vec<T>, SqlError> {
        let mut out = vec![item(self)?];
        while self.eat_symbol(",") {
            out.push(item(self)?);
        }
        Ok(out)
    }

    /// `[[database.]schema.]name`; a database other than the connected one is a cross-database
    /// reference, which DDL/DCL can't make (r_GRANT.md: objects of the current database only).
    pub fn object_name(&mut self) -> Result<ObjectName, SqlError> {
        let first = self.ident()?;
        if !self.eat_symbol(".") {
            return Ok(ObjectName { schema: None, name: first });
        }
        let second = self.ident()?;
        if !self.eat_symbol(".") {
            return Ok(ObjectName { schema: Some(first), name: second });
        }
        let third = self.ident()?;
        let current = super::current_database();
        if !current.is_empty() && first != current {
            return Err(SqlError::new(
                "0A000",
                format!("cross-database reference to database \"{first}\" is not supported"),
            ));
        }
        Ok(ObjectName { schema: Some(second), name: third })
    }

    /// A schema name, `database.schema` allowed for the connected database.
    fn schema_name(&mut self) -> Result<String, SqlError> {
        let n = self.object_name()?;
        if n.schema.is_some() && self.peek().is_some_and(|t| t.is_symbol(".")) {
            return Err(self.error_here());
        }
        Ok(match n.schema {
            None => n.name,
            Some(db) => {
                let current = super::current_database();
                if !current.is_empty() && db != current {
                    return Err(SqlError::new(
                        "0A000",
                        format!("cross-database reference to database \"{db}\" is not supported"),
                    ));
                }
                n.name
            }
        })
    }

    /// The first words of a statement, for `not supported by the simulator: <head>`.
    fn head(&self) -> String {
        let words: Vec<String> = self
            .tokens
            .iter()
            .take(2)
            .take_while(|t| matches!(t.kind, TokenKind::Ident { quoted: false, .. }))
            .map(|t| t.text.to_ascii_uppercase())
            .collect();
        let n = match words.first().map(String::as_str) {
            Some("CREATE" | "ALTER" | "DROP" | "SHOW" | "RESET") => 2,
            _ => 1,
        };
        words.into_iter().take(n).collect::<Vec<_>>().join(" ")
    }

    // ---- statements --------------------------------------------------------------------------

    pub fn statement(&mut self) -> Result<Statement, SqlError> {
        let unsupported = SqlError::unsupported(self.head());
        let Some(first) = self.peek() else {
            return Err(SqlError::syntax_near(""));
        };
        let TokenKind::Ident { value, quoted: false } = &first.kind else {
            if first.is_symbol("(") {
                return Ok(Statement::Query(self.query_then_end()?));
            }
            return Err(self.error_here());
        };
        let stmt = match value.to_ascii_lowercase().as_str() {
            "select" => Statement::Query(self.query_then_end()?),
            "begin" | "start" => {
                self.next();
                if !self.eat_keyword("transaction") {
                    self.eat_keyword("work");
                }
                self.expect_end()?;
                Statement::Begin
            }
            "commit" | "end" => {
                self.next();
                let _ = self.eat_keyword("transaction") || self.eat_keyword("work");
                self.expect_end()?;
                Statement::Commit
            }
            "rollback" | "abort" => {
                self.next();
                let _ = self.eat_keyword("transaction") || self.eat_keyword("work");
                self.expect_end()?;
                Statement::Rollback
            }
            "create" => self.create()?,
            "alter" => self.alter()?,
            "drop" => self.drop_stmt()?,
            "grant" | "revoke" => self.grant()?,
            "set" => self.set()?,
            "show" => {
                self.next();
                let name = self.ident()?;
                self.expect_end()?;
                Statement::Show(name)
            }
            "reset" => {
                self.next();
                if self.eat_keyword("session") {
                    self.expect_keyword("authorization")?;
                    self.expect_end()?;
                    Statement::SetSessionAuthorization(None)
                } else {
                    return Err(unsupported);
                }
            }
            _ => return Err(unsupported),
        };
        Ok(stmt)
    }

    fn query_then_end(&mut self) -> Result<Query, SqlError> {
        let q = self.query()?;
        self.expect_end()?;
        Ok(q)
    }

    fn create(&mut self) -> Result<Statement, SqlError> {
        self.expect_keyword("create")?;
        if self.eat_keyword("user") {
            let name = self.user_ident()?;
            self.eat_keyword("with");
            if !self.at_keyword("password") {
                return Err(self.error_here());
            }
            let options = self.user_options()?;
            return Ok(Statement::CreateUser { name, options });
        }
        if self.eat_keyword("group") {
            let name = self.ident()?;
            self.eat_keyword("with");
            let mut users = Vec::new();
            if self.eat_keyword("user") {
                users = self.list(Self::user_ident)?;
            }
            self.expect_end()?;
            return Ok(Statement::CreateGroup { name, users });
        }
        if self.eat_keyword("role") {
            let name = self.ident()?;
            if self.at_keyword("externalid") {
                return Err(SqlError::unsupported("CREATE ROLE … EXTERNALID"));
            }
            self.expect_end()?;
            return Ok(Statement::CreateRole { name });
        }
        if self.eat_keyword("schema") {
            let if_not_exists = self.eat_keyword("if");
            if if_not_exists {
                self.expect_keyword("not")?;
                self.expect_keyword("exists")?;
            }
            let name = self.ident()?;
            let authorization =
                if self.eat_keyword("authorization") { Some(self.user_ident()?) } else { None };
            self.expect_end()?;
            return Ok(Statement::CreateSchema { name, authorization, if_not_exists });
        }
        if self.eat_keyword("table") {
            let name = self.object_name()?;
            self.expect_symbol("(")?;
            let columns = self.column_defs()?;
            self.expect_symbol(")")?;
            if self.peek().is_some() {
                return Err(SqlError::unsupported("CREATE TABLE table attributes"));
            }
            return Ok(Statement::CreateTable { name, columns });
        }
        if self.eat_keyword("view") {
            let name = self.object_name()?;
            self.expect_keyword("as")?;
            let query = self.query()?;
            let late_binding = if self.eat_keyword("with") {
                self.expect_keyword("no")?;
                self.expect_keyword("schema")?;
                self.expect_keyword("binding")?;
                true
            } else {
                false
            };
            self.expect_end()?;
            return Ok(Statement::CreateView { name, query, late_binding });
        }
        Err(SqlError::unsupported(self.head()))
    }

    /// `name type…` pairs; a type is every token up to the next top-level `,` or `)`.
    pub(super) fn column_defs(&mut self) -> Result<Vec<ColumnDef>, SqlError> {
        self.list(|p| {
            let name = p.ident()?;
            let mut depth = 0usize;
            let mut words: Vec<String> = Vec::new();
            while let Some(t) = p.peek() {
                if depth == 0 && (t.is_symbol(",") || t.is_symbol(")")) {
                    break;
                }
                if t.is_symbol("(") {
                    depth += 1;
                } else if t.is_symbol(")") {
                    depth -= 1;
                }
                words.push(t.text.to_ascii_lowercase());
                p.next();
            }
            if words.is_empty() {
                return Err(p.error_here());
            }
            Ok(ColumnDef { name, type_name: normalize_type(&words) })
        })
    }

    /// CREATE/ALTER USER options (redshift.md §1.1). `PASSWORD =` is a syntax error at `=` (§1.7).
    fn user_options(&mut self) -> Result<Vec<UserOption>, SqlError> {
        let mut options = Vec::new();
        while self.peek().is_some() {
            let opt = if self.eat_keyword("password") {
                if self.eat_keyword("disable") {
                    UserOption::Password(PasswordSpec::Disable)
                } else {
                    UserOption::Password(PasswordSpec::Text(self.string()?))
                }
            } else if self.eat_keyword("createdb") {
                UserOption::CreateDb(true)
            } else if self.eat_keyword("nocreatedb") {
                UserOption::CreateDb(false)
            } else if self.eat_keyword("createuser") {
                UserOption::CreateUser(true)
            } else if self.eat_keyword("nocreateuser") {
                UserOption::CreateUser(false)
            } else if self.eat_keyword("syslog") {
                self.expect_keyword("access")?;
                if self.eat_keyword("restricted") {
                    UserOption::SyslogUnrestricted(false)
                } else {
                    self.expect_keyword("unrestricted")?;
                    UserOption::SyslogUnrestricted(true)
                }
            } else if self.eat_keyword("in") {
                self.expect_keyword("group")?;
                UserOption::InGroups(self.list(Self::ident)?)
            } else if self.eat_keyword("valid") {
                self.expect_keyword("until")?;
                UserOption::ValidUntil(self.string()?)
            } else if self.eat_keyword("connection") {
                self.expect_keyword("limit")?;
                if self.eat_keyword("unlimited") {
                    UserOption::ConnectionLimit(None)
                } else {
                    UserOption::ConnectionLimit(Some(self.number()?))
                }
            } else if self.eat_keyword("session") {
                self.expect_keyword("timeout")?;
                UserOption::SessionTimeout(self.number()?)
            } else if self.eat_keyword("rename") {
                self.expect_keyword("to")?;
                UserOption::RenameTo(self.user_ident()?)
            } else if self.at_keyword("externalid")
                || self.at_keyword("reset")
                || self.at_keyword("set")
            {
                return Err(SqlError::unsupported(format!(
                    "user option {}",
                    self.peek().map(|t| t.text.to_ascii_uppercase()).unwrap_or_default()
                )));
            } else {
                return Err(self.error_here());
            };
            options.push(opt);
        }
        Ok(options)
    }

    fn alter(&mut self) -> Result<Statement, SqlError> {
        self.expect_keyword("alter")?;
        if self.eat_keyword("user") {
            let name = self.user_ident()?;
            self.eat_keyword("with");
            let options = self.user_options()?;
            if options.is_empty() {
                return Err(self.error_here());
            }
            return Ok(Statement::AlterUser { name, options });
        }
        if self.eat_keyword("group") {
            let name = self.ident()?;
            let action = if self.eat_keyword("add") {
                self.expect_keyword("user")?;
                GroupAction::AddUsers(self.list(Self::user_ident)?)
            } else if self.eat_keyword("drop") {
                self.expect_keyword("user")?;
                GroupAction::DropUsers(self.list(Self::user_ident)?)
            } else if self.eat_keyword("rename") {
                self.expect_keyword("to")?;
                GroupAction::RenameTo(self.ident()?)
            } else {
                return Err(self.error_here());
            };
            self.expect_end()?;
            return Ok(Statement::AlterGroup { name, action });
        }
        if self.eat_keyword("default") {
            self.expect_keyword("privileges")?;
            return self.default_privileges();
        }
        Err(SqlError::unsupported(self.head()))
    }

    /// redshift.md §1.4. Only `FOR USER` exists (PostgreSQL's `FOR ROLE` is not Redshift grammar).
    fn default_privileges(&mut self) -> Result<Statement, SqlError> {
        let mut for_users = Vec::new();
        let mut schemas = Vec::new();
        if self.eat_keyword("for") {
            self.expect_keyword("user")?;
            for_users = self.list(Self::user_ident)?;
        }
        if self.eat_keyword("in") {
            self.expect_keyword("schema")?;
            schemas = self.list(Self::ident)?;
        }
        let revoke = if self.eat_keyword("grant") {
            false
        } else if self.eat_keyword("revoke") {
            true
        } else {
            return Err(self.error_here());
        };
        let privileges = self.privileges()?;
        self.expect_keyword("on")?;
        if !self.eat_keyword("tables") {
            if self.at_keyword("functions") || self.at_keyword("procedures") {
                return Err(SqlError::unsupported("ALTER DEFAULT PRIVILEGES ON FUNCTIONS"));
            }
            return Err(self.error_here());
        }
        self.expect_keyword(if revoke { "from" } else { "to" })?;
        let grantees = self.list(Self::grantee)?;
        if !revoke && self.eat_keyword("with") {
            self.expect_keyword("grant")?;
            self.expect_keyword("option")?;
            return Err(SqlError::unsupported("WITH GRANT OPTION"));
        }
        if revoke {
            let _ = self.eat_keyword("restrict") || self.eat_keyword("cascade");
        }
        self.expect_end()?;
        Ok(Statement::AlterDefaultPrivileges(DefaultPrivileges {
            for_users,
            schemas,
            revoke,
            privileges,
            grantees,
        }))
    }

    fn drop_stmt(&mut self) -> Result<Statement, SqlError> {
        self.expect_keyword("drop")?;
        if self.eat_keyword("user") {
            let if_exists = self.if_exists()?;
            let names = self.list(Self::user_ident)?;
            self.expect_end()?;
            return Ok(Statement::DropUser { if_exists, names });
        }
        if self.eat_keyword("group") {
            let names = self.list(Self::ident)?;
            self.expect_end()?;
            return Ok(Statement::DropGroup { names });
        }
        if self.eat_keyword("role") {
            let name = self.ident()?;
            let force = if self.eat_keyword("force") {
                true
            } else {
                self.eat_keyword("restrict");
                false
            };
            self.expect_end()?;
            return Ok(Statement::DropRole { name, force });
        }
        if self.eat_keyword("schema") {
            let if_exists = self.if_exists()?;
            let names = self.list(Self::schema_name)?;
            let cascade = if self.eat_keyword("cascade") {
                true
            } else {
                self.eat_keyword("restrict");
                false
            };
            self.expect_end()?;
            return Ok(Statement::DropSchema { if_exists, names, cascade });
        }
        let view = if self.eat_keyword("view") {
            true
        } else if self.eat_keyword("table") {
            false
        } else {
            return Err(SqlError::unsupported(self.head()));
        };
        let if_exists = self.if_exists()?;
        let name = self.object_name()?;
        self.expect_end()?;
        Ok(Statement::DropRelation { view, if_exists, name })
    }

    fn if_exists(&mut self) -> Result<bool, SqlError> {
        if self.eat_keyword("if") {
            self.expect_keyword("exists")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn privileges(&mut self) -> Result<Vec<Privilege>, SqlError> {
        self.list(|p| {
            let word = p.ident()?;
            Ok(match word.as_str() {
                "select" => Privilege::Select,
                "usage" => Privilege::Usage,
                "create" => Privilege::Create,
                "temp" | "temporary" => Privilege::Temp,
                "all" => {
                    p.eat_keyword("privileges");
                    Privilege::All
                }
                "insert" | "update" | "delete" | "drop" | "references" | "execute" | "alter"
                | "truncate" => Privilege::Other(word),
                _ => return Err(SqlError::syntax_near(&word)),
            })
        })
    }

    /// `user | GROUP g | ROLE r | PUBLIC` (redshift.md §1.3).
    fn grantee(&mut self) -> Result<GranteeSpec, SqlError> {
        if self.eat_keyword("group") {
            Ok(GranteeSpec::Group(self.ident()?))
        } else if self.eat_keyword("role") {
            Ok(GranteeSpec::Role(self.ident()?))
        } else if self.eat_keyword("public") {
            Ok(GranteeSpec::Public)
        } else {
            Ok(GranteeSpec::User(self.user_ident()?))
        }
    }

    /// GRANT/REVOKE on schemas, tables, ALL TABLES IN SCHEMA, databases; GRANT/REVOKE ROLE.
    fn grant(&mut self) -> Result<Statement, SqlError> {
        let revoke = self.eat_keyword("revoke");
        if !revoke {
            self.expect_keyword("grant")?;
        }
        if self.eat_keyword("role") {
            let roles = self.list(Self::ident)?;
            self.expect_keyword(if revoke { "from" } else { "to" })?;
            let targets = self.list(|p| {
                if p.eat_keyword("role") {
                    Ok(RoleTarget::Role(p.ident()?))
                } else {
                    Ok(RoleTarget::User(p.user_ident()?))
                }
            })?;
            if !revoke && self.eat_keyword("with") {
                return Err(SqlError::unsupported("GRANT ROLE … WITH ADMIN OPTION"));
            }
            self.expect_end()?;
            return Ok(Statement::GrantRole { revoke, roles, targets });
        }
        if revoke && self.eat_keyword("grant") {
            return Err(SqlError::unsupported("REVOKE GRANT OPTION FOR"));
        }
        let privileges = self.privileges()?;
        self.expect_keyword("on")?;
        let object = if self.eat_keyword("schema") {
            GrantObject::Schemas(self.list(Self::schema_name)?)
        } else if self.eat_keyword("database") {
            GrantObject::Databases(self.list(Self::ident)?)
        } else if self.at_keyword("all") && self.peek_at(1).is_some_and(|t| t.is_keyword("tables"))
        {
            self.pos += 2;
            self.expect_keyword("in")?;
            self.expect_keyword("schema")?;
            GrantObject::AllTablesInSchemas(self.list(Self::schema_name)?)
        } else {
            if self.at_keyword("function")
                || self.at_keyword("procedure")
                || self.at_keyword("language")
                || self.at_keyword("external")
                || self.at_keyword("datashare")
            {
                return Err(SqlError::unsupported(format!(
                    "GRANT ON {}",
                    self.peek().map(|t| t.text.to_ascii_uppercase()).unwrap_or_default()
                )));
            }
            self.eat_keyword("table");
            GrantObject::Tables(self.list(Self::object_name)?)
        };
        self.expect_keyword(if revoke { "from" } else { "to" })?;
        let grantees = self.list(Self::grantee)?;
        let mut with_grant_option = false;
        if !revoke && self.eat_keyword("with") {
            self.expect_keyword("grant")?;
            self.expect_keyword("option")?;
            with_grant_option = true;
        }
        if revoke {
            let _ = self.eat_keyword("restrict") || self.eat_keyword("cascade");
        }
        self.expect_end()?;
        Ok(Statement::Grant(Grant { revoke, privileges, object, grantees, with_grant_option }))
    }

    fn set(&mut self) -> Result<Statement, SqlError> {
        self.expect_keyword("set")?;
        if self.at_keyword("session")
            && self.peek_at(1).is_some_and(|t| t.is_keyword("authorization"))
        {
            self.pos += 2;
            if self.eat_keyword("default") {
                self.expect_end()?;
                return Ok(Statement::SetSessionAuthorization(None));
            }
            let name = match self.peek().map(|t| &t.kind) {
                Some(TokenKind::Str(s)) => {
                    let s = s.clone();
                    self.next();
                    s
                }
                _ => self.user_ident()?,
            };
            self.expect_end()?;
            return Ok(Statement::SetSessionAuthorization(Some(name)));
        }
        let name = self.ident()?;
        if name == "enable_case_sensitive_identifier" {
            if !(self.eat_keyword("to") || self.eat_symbol("=")) {
                return Err(self.error_here());
            }
            let word = match self.next().map(|t| &t.kind) {
                Some(TokenKind::Ident { value, .. }) | Some(TokenKind::Str(value)) => {
                    value.to_ascii_lowercase()
                }
                _ => return Err(self.error_here()),
            };
            let on = match word.as_str() {
                "true" | "on" | "1" => true,
                "false" | "off" | "0" | "default" => false,
                other => {
                    return Err(SqlError::new(
                        "22023",
                        format!(
                            "parameter \"enable_case_sensitive_identifier\" requires a Boolean value, not \"{other}\""
                        ),
                    ));
                }
            };
            self.expect_end()?;
            return Ok(Statement::SetCaseSensitive(on));
        }
        const HARMLESS: [&str; 8] = [
            "search_path",
            "application_name",
            "statement_timeout",
            "datestyle",
            "timezone",
            "extra_float_digits",
            "client_encoding",
            "query_group",
        ];
        if !HARMLESS.contains(&name.as_str()) {
            return Err(SqlError::unsupported(format!("SET {name}")));
        }
        if !(self.eat_keyword("to") || self.eat_symbol("=")) {
            return Err(self.error_here());
        }
        if self.peek().is_none() {
            return Err(self.error_here());
        }
        self.pos = self.tokens.len();
        Ok(Statement::Set { name })
    }
}

/// Normalizes a column type to `format_type` spelling (e.g. `varchar(256)` → `character varying(256)`).
fn normalize_type(words: &[String]) -> String {
    let joined =
        words.join(" ").replace(" (", "(").replace("( ", "(").replace(" )", ")").replace(" ,", ",");
    let (base, rest) = match joined.find('(') {
        Some(i) => (joined[..i].trim().to_string(), joined[i..].to_string()),
        None => (joined.clone(), String::new()),
    };
    let base = match base.as_str() {
        "int" | "int4" | "integer" => "integer",
        "int8" | "bigint" => "bigint",
        "int2" | "smallint" => "smallint",
        "varchar" | "character varying" | "nvarchar" | "text" => "character varying",
        "char" | "character" | "nchar" | "bpchar" => "character",
        "bool" | "boolean" => "boolean",
        "float" | "float8" | "double precision" => "double precision",
        "float4" | "real" => "real",
        "decimal" | "numeric" => "numeric",
        "timestamp" => "timestamp without time zone",
        "timestamptz" => "timestamp with time zone",
        other => other,
    };
    let rest = if rest.is_empty() && base == "character varying" && joined.starts_with("text") {
        "(256)".to_string()
    } else {
        rest
    };
    format!("{base}{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(sql: &str) -> Result<Statement, SqlError> {
        parse_script(sql).expect("tokenizes").remove(0)
    }

    #[test]
    fn folds_identifiers_but_keeps_quoted_user_names() {
        assert_eq!(
            one("GRANT USAGE ON SCHEMA \"Sales\" TO \"BoB\", GROUP \"G\""),
            Ok(Statement::Grant(Grant {
                revoke: false,
                privileges: vec![Privilege::Usage],
                object: GrantObject::Schemas(vec!["sales".into()]),
                grantees: vec![GranteeSpec::User("BoB".into()), GranteeSpec::Group("g".into())],
                with_grant_option: false,
            }))
        );
    }

    #[test]
    fn errors_are_syntax_or_unsupported() {
        assert_eq!(
            one("CREATE USER u PASSWORD = 'x'").unwrap_err().message,
            "syntax error at or near \"=\""
        );
        assert_eq!(one("VACUUM sales.orders").unwrap_err().code, "0A000");
        assert_eq!(
            one("CREATE EXTERNAL SCHEMA x").unwrap_err().message,
            "not supported by the simulator: CREATE EXTERNAL"
        );
        assert_eq!(parse_script("select 1; select 2;").expect("ok").len(), 2);
        let deep = format!("select {}1{}", "(".repeat(5000), ")".repeat(5000));
        assert_eq!(one(&deep).unwrap_err().code, "54001");
        let nots = format!("select 1 where {} true", "not ".repeat(5000));
        assert_eq!(one(&nots).unwrap_err().code, "54001");
        assert!(matches!(
            one(
                "ALTER DEFAULT PRIVILEGES FOR USER \"ETL\" IN SCHEMA s REVOKE SELECT ON TABLES FROM GROUP g"
            ),
            Ok(Statement::AlterDefaultPrivileges(DefaultPrivileges { revoke: true, .. }))
        ));
    }
}
