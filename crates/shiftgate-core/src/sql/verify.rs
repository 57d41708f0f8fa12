//! Verification, run as the NEW catalog user after setup: can it reach each chosen schema, read
//! each table and view, read late-binding view columns and external tables, see its datashare
//! databases and `svv_table_info`? Gaps become a fix script for the admin.
//!
//! Two phases keep the runner dumb: run [`plan_queries`], then [`probe_queries`] (derived from the
//! first results: one `SELECT 1 FROM "s"."t" LIMIT 0` per local schema), store every outcome under
//! its [`QueryId`], then call [`evaluate`]. Leader-node rule (redshift.md §1.5): `has_*_privilege`
//! appears only in queries over `pg_*` catalogs; SVV views and user tables are separate queries.

use std::collections::BTreeSet;

use super::ddl::{self, AccessTarget};
use super::discovery::SYSTEM_OWNERS;
use super::ident::{Ident, Literal, SqlTextError};
use super::plan::{Dialect, PlanError, SchemaKind, SetupPlan};
use super::query::{CatalogQuery, QueryId, QueryResults, Row, RowError, flag, in_list, text};
use super::script::{Block, Script};

/// Why a schema (or the whole check) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Gap {
    /// A check could not be run or read.
    #[error("the {query} failed: {error}")]
    QueryFailed {
        /// The query.
        query: QueryId,
        /// The server's words, or why its rows could not be read.
        error: String,
    },
    /// The schema does not appear in `pg_namespace` for the user.
    #[error(
        "the schema is not visible to the user (wrong database, or metadata security hides it)"
    )]
    NotVisible,
    /// `has_schema_privilege(…, 'USAGE')` is false.
    #[error("the user lacks USAGE on the schema")]
    NoUsage,
    /// Some tables or views lack SELECT.
    #[error("{count} table(s) or view(s) are not readable")]
    TablesUnreadable {
        /// How many.
        count: usize,
    },
    /// The read probe failed although the privilege check may have passed.
    #[error("reading {relation} failed: {error}")]
    ProbeFailed {
        /// `schema.table` as probed.
        relation: String,
        /// The server's words.
        error: String,
    },
}

/// Pass, or the gaps found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Everything checked is readable.
    Pass,
    /// What is missing.
    Fail(Vec<Gap>),
}

/// The result for one chosen schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaVerdict {
    /// Schema name.
    pub name: String,
    /// Local or external.
    pub kind: SchemaKind,
    /// Listed in `pg_namespace` for the user.
    pub visible: bool,
    /// `has_schema_privilege(current_user, s, 'USAGE')`.
    pub usage: bool,
    /// Tables and views (local) or external tables (external) the user's queries listed.
    pub tables_total: usize,
    /// Local relations without SELECT, sorted.
    pub tables_unreadable: Vec<String>,
    /// Owners of relations here that the plan does not name (their future tables stay unreadable).
    pub uncovered_owners: Vec<String>,
    /// The relation probed with `SELECT 1 … LIMIT 0`, if any.
    pub probed_relation: Option<String>,
    /// Probe outcome (`None` when not probed: external schema, or no relations).
    pub probe: Option<Result<(), String>>,
    /// Late-binding view columns readable in this schema (Redshift).
    pub late_binding_cols: usize,
    /// The verdict.
    pub verdict: Verdict,
}

/// Whether a planned datashare database is visible to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatashareVerdict {
    /// Database name.
    pub name: String,
    /// Listed by `svv_redshift_databases` for the user.
    pub visible: bool,
}

/// Everything verification found, plus the SQL that would close the gaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Per chosen schema, in plan order.
    pub schemas: Vec<SchemaVerdict>,
    /// Per planned datashare database.
    pub datashares: Vec<DatashareVerdict>,
    /// SELECT on `svv_table_info`, when the plan grants it and the check ran.
    pub svv_table_info: Option<bool>,
    /// Queries that failed, with the server's words.
    pub query_errors: Vec<(QueryId, String)>,
    /// Statements for the admin that close the gaps (comment-only when nothing is missing).
    pub fix_script: Script,
}

impl VerifyReport {
    /// True when every check passed.
    pub fn passed(&self) -> bool {
        self.schemas.iter().all(|s| s.verdict == Verdict::Pass)
            && self.datashares.iter().all(|d| d.visible)
            && self.svv_table_info != Some(false)
            && self.query_errors.is_empty()
    }
}

const LATE_BINDING_FROM: &str = "pg_get_late_binding_view_cols() \
     cols(view_schema name, view_name name, col_name name, col_type varchar, col_num int)";

fn names(plan: &SetupPlan, kind: SchemaKind) -> Vec<&str> {
    plan.schemas.iter().filter(|s| s.kind == kind).map(|s| s.name.as_str()).collect()
}

fn checked(plan: &SetupPlan) -> Result<(), Vec<PlanError>> {
    let errors = plan.structural_errors();
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

fn text_err(e: SqlTextError) -> Vec<PlanError> {
    vec![PlanError::Text(e)]
}

/// Phase 1: the catalog queries to run as the catalog user.
pub fn plan_queries(plan: &SetupPlan) -> Result<Vec<CatalogQuery>, Vec<PlanError>> {
    checked(plan)?;
    build_plan_queries(plan).map_err(text_err)
}

fn build_plan_queries(plan: &SetupPlan) -> Result<Vec<CatalogQuery>, SqlTextError> {
    let redshift = plan.dialect == Dialect::Redshift;
    let mut out = Vec::new();
    let all: Vec<&str> = plan.schemas.iter().map(|s| s.name.as_str()).collect();
    if let Some(pred) = in_list("nspname", &all, "schema name")? {
        out.push(CatalogQuery {
            id: QueryId::SchemaUsage,
            sql: format!(
                "SELECT nspname, has_schema_privilege(current_user, nspname, 'USAGE') AS can_use \
                 FROM pg_namespace WHERE {pred} ORDER BY nspname"
            ),
        });
    }
    let local = names(plan, SchemaKind::Local);
    if let Some(pred) = in_list("schemaname", &local, "schema name")? {
        let branch = |rel: &str, owner: &str, kind: &str| {
            format!(
                "SELECT schemaname, {rel} AS relname, {owner} AS owner, '{kind}' AS relkind, \
                 has_table_privilege(current_user, quote_ident(schemaname) || '.' || quote_ident({rel}), 'SELECT') \
                 AS can_select FROM pg_{kind}s WHERE {pred}"
            )
        };
        out.push(CatalogQuery {
            id: QueryId::RelationPrivileges,
            sql: format!(
                "{} UNION ALL {}",
                branch("tablename", "tableowner", "table"),
                branch("viewname", "viewowner", "view")
            ),
        });
        if redshift && let Some(pred) = in_list("view_schema", &local, "schema name")? {
            out.push(CatalogQuery {
                id: QueryId::LateBindingColumns,
                sql: format!(
                    "SELECT view_schema, view_name, col_name FROM {LATE_BINDING_FROM} \
                     WHERE {pred} ORDER BY view_schema, view_name, col_num"
                ),
            });
        }
    }
    if redshift {
        let external = names(plan, SchemaKind::External);
        if let Some(pred) = in_list("schemaname", &external, "schema name")? {
            out.push(CatalogQuery {
                id: QueryId::ExternalTables,
                sql: format!("SELECT schemaname, tablename FROM svv_external_tables WHERE {pred} ORDER BY schemaname, tablename"),
            });
        }
        let dbs: Vec<&str> = plan.datashare_databases.iter().map(String::as_str).collect();
        if let Some(pred) = in_list("database_name", &dbs, "datashare database name")? {
            out.push(CatalogQuery {
                id: QueryId::VisibleDatashares,
                sql: format!("SELECT database_name FROM svv_redshift_databases WHERE {pred} ORDER BY database_name"),
            });
        }
        if plan.grant_svv_table_info {
            let table = Literal::new(ddl::SVV_TABLE_INFO, "table name")?;
            out.push(CatalogQuery {
                id: QueryId::SvvTableInfo,
                sql: format!(
                    "SELECT has_table_privilege(current_user, {table}, 'SELECT') AS can_select \
                     FROM pg_namespace WHERE nspname = 'pg_catalog'"
                ),
            });
        }
    }
    Ok(out)
}

/// One row of the relation-privilege query.
#[derive(Debug, Clone)]
struct Relation {
    schema: String,
    name: String,
    owner: String,
    is_table: bool,
    can_select: bool,
}

fn parse_relations(rows: &[Row]) -> Result<Vec<Relation>, RowError> {
    let id = QueryId::RelationPrivileges;
    (0..rows.len())
        .map(|i| {
            Ok(Relation {
                schema: text(&id, rows, i, 0)?.to_owned(),
                name: text(&id, rows, i, 1)?.to_owned(),
                owner: text(&id, rows, i, 2)?.to_owned(),
                is_table: text(&id, rows, i, 3)? == "table",
                can_select: flag(&id, rows, i, 4)?,
            })
        })
        .collect()
}

/// The relation to probe in `schema`: the first readable table, else the first readable view,
/// else the first relation (to capture the server's own error), by name.
fn probe_target<'a>(relations: &'a [Relation], schema: &str) -> Option<&'a Relation> {
    let mut rels: Vec<&Relation> = relations.iter().filter(|r| r.schema == schema).collect();
    rels.sort_by(|a, b| {
        (!a.can_select, !a.is_table, &a.name).cmp(&(!b.can_select, !b.is_table, &b.name))
    });
    rels.first().copied()
}

/// Phase 2: one read probe per local schema, chosen from the phase-1 relation list. Empty when
/// that query failed or found nothing.
pub fn probe_queries(
    plan: &SetupPlan,
    results: &QueryResults,
) -> Result<Vec<CatalogQuery>, Vec<PlanError>> {
    checked(plan)?;
    let Some(Ok(rows)) = results.get(&QueryId::RelationPrivileges) else {
        return Ok(Vec::new());
    };
    let Ok(relations) = parse_relations(rows) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for schema in names(plan, SchemaKind::Local) {
        if let Some(rel) = probe_target(&relations, schema) {
            let s = Ident::new(&rel.schema, "schema name").map_err(text_err)?;
            let t = Ident::new(&rel.name, "table name").map_err(text_err)?;
            out.push(CatalogQuery {
                id: QueryId::Probe { schema: schema.to_owned() },
                sql: format!("SELECT 1 FROM {s}.{t} LIMIT 0"),
            });
        }
    }
    Ok(out)
}

/// Reads every outcome the runner stored and builds the report and fix script.
pub fn evaluate(plan: &SetupPlan, results: &QueryResults) -> Result<VerifyReport, Vec<PlanError>> {
    checked(plan)?;
    build_report(plan, results).map_err(text_err)
}

/// Rows of `id`, or the gap explaining why there are none (`Ok(None)` when not planned).
fn rows_or_gap<'a>(results: &'a QueryResults, id: &QueryId) -> Result<Option<&'a [Row]>, Gap> {
    match results.get(id) {
        None => Ok(None),
        Some(Ok(rows)) => Ok(Some(rows)),
        Some(Err(error)) => Err(Gap::QueryFailed { query: id.clone(), error: error.clone() }),
    }
}

fn row_gap(e: RowError) -> Gap {
    let query = match &e {
        RowError::MissingColumn { query, .. }
        | RowError::Null { query, .. }
        | RowError::NotBoolean { query, .. } => query.clone(),
    };
    Gap::QueryFailed { query, error: e.to_string() }
}

/// (schema, usage) pairs from the USAGE query.
fn parse_usage(rows: &[Row]) -> Result<Vec<(String, bool)>, RowError> {
    let id = QueryId::SchemaUsage;
    (0..rows.len())
        .map(|i| Ok((text(&id, rows, i, 0)?.to_owned(), flag(&id, rows, i, 1)?)))
        .collect()
}

/// First-column values (schema or database names) of `rows`.
fn parse_names(id: &QueryId, rows: &[Row]) -> Result<Vec<String>, RowError> {
    (0..rows.len()).map(|i| text(id, rows, i, 0).map(str::to_owned)).collect()
}

fn build_report(plan: &SetupPlan, results: &QueryResults) -> Result<VerifyReport, SqlTextError> {
    let d = plan.dialect;
    let target = AccessTarget::new(d, &plan.access)?;
    let grantee = target.grantee();
    let user = Ident::new(&plan.user, "user name")?;
    // A planned query the runner did not store counts as failed, so nothing passes by omission.
    let mut filled = results.clone();
    for q in build_plan_queries(plan)? {
        filled.entry(q.id).or_insert_with(|| Err("not run".to_owned()));
    }
    let results = &filled;
    let query_errors: Vec<(QueryId, String)> = results
        .iter()
        .filter_map(|(id, r)| r.as_ref().err().map(|e| (id.clone(), e.clone())))
        .collect();

    let usage = rows_or_gap(results, &QueryId::SchemaUsage)
        .and_then(|r| parse_usage(r.unwrap_or_default()).map_err(row_gap));
    let relations = rows_or_gap(results, &QueryId::RelationPrivileges)
        .and_then(|r| parse_relations(r.unwrap_or_default()).map_err(row_gap));
    let late = rows_or_gap(results, &QueryId::LateBindingColumns).and_then(|r| {
        parse_names(&QueryId::LateBindingColumns, r.unwrap_or_default()).map_err(row_gap)
    });
    let external = rows_or_gap(results, &QueryId::ExternalTables).and_then(|r| {
        parse_names(&QueryId::ExternalTables, r.unwrap_or_default()).map_err(row_gap)
    });

    let mut fix = Script::titled(format!(
        "Shiftgate fix: grants missing for catalog user {user} ({} {}); run as a superuser",
        target.kind_word(),
        target.name()
    ));
    let mut verdicts = Vec::new();
    for schema in &plan.schemas {
        let s = Ident::new(&schema.name, "schema name")?;
        let mut gaps = Vec::new();
        let (visible, has_usage) = match &usage {
            Ok(pairs) => match pairs.iter().find(|(n, _)| n == &schema.name) {
                Some((_, u)) => (true, *u),
                None => (false, false),
            },
            Err(g) => {
                gaps.push(g.clone());
                (false, false)
            }
        };
        if usage.is_ok() {
            if !visible {
                gaps.push(Gap::NotVisible);
            } else if !has_usage {
                gaps.push(Gap::NoUsage);
            }
        }
        let mut v = SchemaVerdict {
            name: schema.name.clone(),
            kind: schema.kind,
            visible,
            usage: has_usage,
            tables_total: 0,
            tables_unreadable: Vec::new(),
            uncovered_owners: Vec::new(),
            probed_relation: None,
            probe: None,
            late_binding_cols: 0,
            verdict: Verdict::Pass,
        };
        let mut b = Block::commented(format!("Schema {s}:"));
        if !has_usage {
            b.note("the user can't reach it: grant USAGE.");
            let stmt = ddl::grant_usage_on_schema(&s, &grantee);
            let tx = schema.kind == SchemaKind::Local || ddl::external_grants_transactional(d);
            if !tx {
                b.note("Runs outside a transaction block: GRANT on external resources can't run inside one.");
            }
            b.push(stmt.transactional_if(tx));
        }
        match schema.kind {
            SchemaKind::Local => {
                match &relations {
                    Ok(rels) => {
                        let mine: Vec<&Relation> =
                            rels.iter().filter(|r| r.schema == schema.name).collect();
                        v.tables_total = mine.len();
                        let mut unreadable: Vec<String> =
                            mine.iter().filter(|r| !r.can_select).map(|r| r.name.clone()).collect();
                        unreadable.sort();
                        v.tables_unreadable = unreadable;
                        let uncovered: BTreeSet<&str> = mine
                            .iter()
                            .map(|r| r.owner.as_str())
                            .filter(|o| {
                                !schema.owners.iter().any(|p| p == o) && !SYSTEM_OWNERS.contains(o)
                            })
                            .collect();
                        v.uncovered_owners = uncovered.into_iter().map(str::to_owned).collect();
                    }
                    Err(g) => gaps.push(g.clone()),
                }
                if !v.tables_unreadable.is_empty() {
                    gaps.push(Gap::TablesUnreadable { count: v.tables_unreadable.len() });
                    let shown: Vec<&str> =
                        v.tables_unreadable.iter().take(5).map(String::as_str).collect();
                    let more = v.tables_unreadable.len().saturating_sub(shown.len());
                    let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
                    b.note(format!(
                        "not readable: {}{tail}; grant SELECT on what exists now.",
                        shown.join(", ")
                    ));
                    b.push(ddl::grant_select_on_all_tables(&s, &grantee));
                }
                for owner in &v.uncovered_owners {
                    let o = Ident::new(owner, "owner name")?;
                    b.note(format!(
                        "{o} creates objects here but is not in the plan: its future tables would stay unreadable; add it to the plan's owners."
                    ));
                    b.push(ddl::grant_default_select(Some(&o), Some(&s), &grantee));
                }
                if let Some(outcome) = results.get(&QueryId::Probe { schema: schema.name.clone() })
                {
                    let probed =
                        relations.as_ref().ok().and_then(|rels| probe_target(rels, &schema.name));
                    let relation = match probed {
                        Some(r) => format!(
                            "{}.{}",
                            Ident::new(&r.schema, "schema name")?,
                            Ident::new(&r.name, "table name")?
                        ),
                        None => String::new(),
                    };
                    v.probed_relation = probed.map(|r| r.name.clone());
                    v.probe = Some(outcome.as_ref().map(|_| ()).map_err(Clone::clone));
                    if let Err(error) = outcome {
                        b.note(format!("reading {relation} failed: {error}"));
                        gaps.push(Gap::ProbeFailed { relation, error: error.clone() });
                    }
                }
                match &late {
                    Ok(view_schemas) => {
                        v.late_binding_cols =
                            view_schemas.iter().filter(|n| **n == schema.name).count()
                    }
                    Err(g) => gaps.push(g.clone()),
                }
            }
            SchemaKind::External => match &external {
                Ok(tables) => v.tables_total = tables.iter().filter(|n| **n == schema.name).count(),
                Err(g) => gaps.push(g.clone()),
            },
        }
        if !b.statements.is_empty() || b.comment.len() > 1 {
            fix.push(b);
        }
        v.verdict = if gaps.is_empty() { Verdict::Pass } else { Verdict::Fail(gaps) };
        verdicts.push(v);
    }

    let visible_dbs = match rows_or_gap(results, &QueryId::VisibleDatashares) {
        Ok(rows) => {
            parse_names(&QueryId::VisibleDatashares, rows.unwrap_or_default()).unwrap_or_default()
        }
        Err(_) => Vec::new(),
    };
    let mut datashares = Vec::new();
    let mut b = Block::commented("Datashare consumer databases the user can't see:");
    if !ddl::external_grants_transactional(d) {
        b.note("Runs outside a transaction block, like other grants on external resources.");
    }
    for db in &plan.datashare_databases {
        let visible = visible_dbs.iter().any(|n| n == db);
        if !visible {
            let id = Ident::new(db, "datashare database name")?;
            b.push(
                ddl::grant_usage_on_database(&id, &grantee)
                    .transactional_if(ddl::external_grants_transactional(d)),
            );
        }
        datashares.push(DatashareVerdict { name: db.clone(), visible });
    }
    if !b.statements.is_empty() {
        fix.push(b);
    }

    let svv_table_info = match results.get(&QueryId::SvvTableInfo) {
        Some(Ok(rows)) => flag(&QueryId::SvvTableInfo, rows, 0, 0).ok(),
        _ => None,
    };
    if svv_table_info == Some(false) {
        let mut b = Block::commented("svv_table_info is not readable:");
        b.push(ddl::grant_select_svv_table_info(&grantee));
        fix.push(b);
    }
    if fix.statements().next().is_none() && fix.blocks.is_empty() {
        fix.push(Block::commented("Nothing to fix."));
    }
    Ok(VerifyReport {
        schemas: verdicts,
        datashares,
        svv_table_info,
        query_errors,
        fix_script: fix,
    })
}
