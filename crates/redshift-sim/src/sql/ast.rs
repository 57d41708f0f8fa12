//! Syntax tree of the statements the simulator understands (redshift.md §1.1–§1.4, §1.8, §1.9 and the
//! catalog-query subset of §2). Identifiers are already case-folded by the parser. No behaviour here.

/// `[schema.]name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectName {
    pub schema: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSpec {
    /// The literal text: clear text, `md5…` or `sha256|…`.
    Text(String),
    Disable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserOption {
    Password(PasswordSpec),
    CreateDb(bool),
    CreateUser(bool),
    SyslogUnrestricted(bool),
    InGroups(Vec<String>),
    ValidUntil(String),
    /// `None` = UNLIMITED.
    ConnectionLimit(Option<u32>),
    SessionTimeout(u32),
    RenameTo(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupAction {
    AddUsers(Vec<String>),
    DropUsers(Vec<String>),
    RenameTo(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleTarget {
    User(String),
    Role(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GranteeSpec {
    User(String),
    Group(String),
    Role(String),
    Public,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Privilege {
    Select,
    Usage,
    Create,
    Temp,
    All,
    /// INSERT, UPDATE, … — parsed so the error says "not supported" instead of "syntax error".
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantObject {
    Schemas(Vec<String>),
    Tables(Vec<ObjectName>),
    AllTablesInSchemas(Vec<String>),
    Databases(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub revoke: bool,
    pub privileges: Vec<Privilege>,
    pub object: GrantObject,
    pub grantees: Vec<GranteeSpec>,
    pub with_grant_option: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultPrivileges {
    pub for_users: Vec<String>,
    pub schemas: Vec<String>,
    pub revoke: bool,
    pub privileges: Vec<Privilege>,
    pub grantees: Vec<GranteeSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: String,
    pub type_name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Begin,
    Commit,
    Rollback,
    Query(Query),
    /// A SELECT/WITH query parsed by `sqlparser` (Redshift dialect), run by `query::engine`.
    Select(Box<sqlparser::ast::Query>),
    CreateUser {
        name: String,
        options: Vec<UserOption>,
    },
    AlterUser {
        name: String,
        options: Vec<UserOption>,
    },
    DropUser {
        if_exists: bool,
        names: Vec<String>,
    },
    CreateGroup {
        name: String,
        users: Vec<String>,
    },
    AlterGroup {
        name: String,
        action: GroupAction,
    },
    DropGroup {
        names: Vec<String>,
    },
    CreateRole {
        name: String,
    },
    DropRole {
        name: String,
        force: bool,
    },
    GrantRole {
        revoke: bool,
        roles: Vec<String>,
        targets: Vec<RoleTarget>,
    },
    Grant(Grant),
    AlterDefaultPrivileges(DefaultPrivileges),
    CreateSchema {
        name: String,
        authorization: Option<String>,
        if_not_exists: bool,
    },
    CreateTable {
        name: ObjectName,
        columns: Vec<ColumnDef>,
    },
    CreateView {
        name: ObjectName,
        query: Query,
        late_binding: bool,
    },
    DropRelation {
        view: bool,
        if_exists: bool,
        name: ObjectName,
    },
    /// `None` = RESET / DEFAULT.
    SetSessionAuthorization(Option<String>),
    /// `SET name …` of a harmless session setting.
    Set {
        name: String,
    },
    /// `SET enable_case_sensitive_identifier TO true|false`.
    SetCaseSensitive(bool),
    /// `SHOW name`.
    Show(String),
    DropSchema {
        if_exists: bool,
        names: Vec<String>,
        cascade: bool,
    },
}

/// `SELECT … [UNION [ALL] SELECT …] [ORDER BY …] [LIMIT n]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub branches: Vec<Select>,
    /// `true` for `UNION` (deduplicate), `false` for `UNION ALL`; one per extra branch.
    pub union_distinct: Vec<bool>,
    pub order_by: Vec<OrderItem>,
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub distinct: bool,
    pub items: Vec<SelectItem>,
    pub from: Option<FromItem>,
    pub filter: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    Wildcard,
    Expr { expr: Expr, alias: Option<String> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum FromItem {
    Relation {
        name: ObjectName,
        alias: Option<String>,
    },
    /// `pg_get_late_binding_view_cols() cols(view_schema name, …)` (redshift.md §1.6).
    Function {
        name: String,
        alias: String,
        columns: Vec<ColumnDef>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub expr: Expr,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Column {
        qualifier: Option<String>,
        name: String,
    },
    Str(String),
    Int(i64),
    Bool(bool),
    Null,
    /// Function names are lower-cased and stripped of a `pg_catalog.` prefix; `current_user` is a call.
    Call {
        name: String,
        args: Vec<Expr>,
    },
    Concat(Box<Expr>, Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cast {
        expr: Box<Expr>,
        type_name: String,
    },
}
