//! Verification, run as the NEW catalog user after setup: can it reach each chosen schema, read
//! each table and view, read late-binding view columns and external tables, see its datashare
//! databases and `svv_table_info`; will the next table each creator makes be readable
//! ([`forecast`](super::forecast)); and what the catalog tool's own definitions query returns
//! ([`inspector`](super::inspector)). Gaps become a fix script for the admin.
//!
//! Three rounds keep the runner dumb: run [`plan_queries`] and [`insight_queries`]; then [`retry_queries`] (empty unless
//! the relation check failed: on Redshift a name in a schema without USAGE aborts it, so it is
//! re-asked only where USAGE holds); then [`probe_queries`] (one `SELECT 1 FROM "s"."t" LIMIT 0`
//! per schema with a readable relation, sent in one message). Store every outcome under its
//! [`QueryId`], then call [`evaluate`]. Each kind of check is one statement whatever the number of
//! tables, and one schema the user can't reach never spoils another's verdict: on PostgreSQL the
//! relation check asks `has_table_privilege` by OID (no name lookup, so no "permission denied for
//! schema"). Leader-node rule (redshift.md §1.5): `has_*_privilege` appears only in queries over
//! `pg_*` catalogs; SVV views and user tables are separate queries.

use std::collections::BTreeSet;

use super::ddl::{self, AccessTarget};
use super::discovery::SYSTEM_OWNERS;
use super::drift::DriftReport;
use super::forecast::{
    self, CreatorForecast, CreatorSource, Evidence, Outcome, Reader, evidence_from,
};
use super::ident::{Ident, Literal, SqlTextError};
use super::inspector::{self, CatalogView, InspectorFlavor};
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
    /// Creators whose next table will not be readable (no default privilege for the grantee).
    #[error("future tables of {} will not be readable (no default privileges for the grantee)", owners.join(", "))]
    OwnersUncovered {
        /// The creators, sorted.
        owners: Vec<String>,
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

/// A table or view the user can't read, with the user that owns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// Relation name.
    pub name: String,
    /// Its owner.
    pub owner: String,
}

/// The result for one chosen schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaVerdict {
    /// Schema name.
    pub name: String,
    /// Local or external.
    pub kind: SchemaKind,
    /// `pg_get_userbyid(nspowner)`, when visible.
    pub owner: Option<String>,
    /// Listed in `pg_namespace` for the user.
    pub visible: bool,
    /// `has_schema_privilege(current_user, s, 'USAGE')`.
    pub usage: bool,
    /// Tables and views (local) or external tables (external) the user's queries listed.
    pub tables_total: usize,
    /// Local relations the user can't read (no SELECT, or no USAGE on the schema), sorted.
    pub tables_unreadable: Vec<String>,
    /// The same relations with their owners.
    pub unreadable: Vec<Unreadable>,
    /// Creators whose next table here will not be readable: owners of unreadable relations, and
    /// owners of relations or planned creators without a default privilege for the grantee.
    pub uncovered_owners: Vec<String>,
    /// Will the next table each creator makes here be readable, and why.
    pub forecast: Vec<CreatorForecast>,
    /// What the catalog tool's definitions query returns for this schema (`None`: it failed).
    pub catalog_view: Option<CatalogView>,
    /// The relation probed with `SELECT 1 … LIMIT 0`, if any.
    pub probed_relation: Option<String>,
    /// Probe outcome (`None` when not probed: external schema, or nothing readable).
    pub probe: Option<Result<(), String>>,
    /// Late-binding view columns readable in this schema (Redshift).
    pub late_binding_cols: usize,
    /// The verdict.
    pub verdict: Verdict,
}

/// Whether a planned datashare database is visible to the user, and whether a shared table in it
/// can be read (three-part name `db.schema.table`, as consumers query datashares).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatashareVerdict {
    /// Database name.
    pub name: String,
    /// Listed by `svv_redshift_databases` for the user.
    pub visible: bool,
    /// The shared table read, `"db"."schema"."table"` (`None`: no table listed for the user).
    pub probed: Option<String>,
    /// Whether that read worked (`None`: nothing was read).
    pub readable: Option<bool>,
    /// Why the read or the table listing failed (the server's words).
    pub error: Option<String>,
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
    /// Queries that failed, with the server's words (informational ones excluded: see
    /// [`VerifyReport::default_privileges`] and [`VerifyReport::catalog_view_error`]).
    pub query_errors: Vec<(QueryId, String)>,
    /// What the forecast is based on.
    pub default_privileges: Evidence,
    /// Why the catalog tool's definitions query failed, if it did (the tool would fail the same way).
    pub catalog_view_error: Option<String>,
    /// Statements for the admin that close the gaps (comment-only when nothing is missing).
    pub fix_script: Script,
    /// Drift against the plan setup applied for this user (filled in by the verify task).
    pub drift: VerifyDrift,
}

/// Verify's comparison with the recorded setup (the audit's drift, for the verified user only).
/// Informational: it does not change [`VerifyReport::passed`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum VerifyDrift {
    /// No setup of this user in this database was recorded: nothing to compare with.
    #[default]
    NoBaseline,
    /// Compared with the recorded plan(s).
    Checked(Vec<DriftReport>),
    /// A plan was recorded but the live grants could not be read (why).
    Unavailable(String),
}

impl VerifyDrift {
    /// Every drift item of every compared plan.
    pub fn items(&self) -> impl Iterator<Item = &super::drift::DriftItem> {
        let reports: &[DriftReport] = match self {
            VerifyDrift::Checked(r) => r,
            _ => &[],
        };
        reports.iter().flat_map(|r| r.items.iter())
    }
}

impl VerifyReport {
    /// True when every check passed.
    pub fn passed(&self) -> bool {
        self.schemas.iter().all(|s| s.verdict == Verdict::Pass)
            && self.datashares.iter().all(|d| d.visible && d.readable != Some(false))
            && self.svv_table_info != Some(false)
            && self.query_errors.is_empty()
    }
}

const LATE_BINDING_FROM: &str = "pg_get_late_binding_view_cols() \
     cols(view_schema name, view_name name, col_name name, col_type varchar, col_num int)";

/// Queries whose failure is reported in its own section, never as a failed check.
fn informational(id: &QueryId) -> bool {
    // The datashare listing and read are judged in the datashare verdicts.
    matches!(
        id,
        QueryId::DefaultPrivileges
            | QueryId::InspectorCounts
            | QueryId::DatashareTables
            | QueryId::DatashareProbe { .. }
    )
}

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

/// Round 1: the catalog queries to run as the catalog user.
pub fn plan_queries(plan: &SetupPlan) -> Result<Vec<CatalogQuery>, Vec<PlanError>> {
    checked(plan)?;
    build_plan_queries(plan).map_err(text_err)
}

/// The relation check by name over `pg_tables` ∪ `pg_views` (Redshift's leader-node form):
/// `has_table_privilege` for `checked` schemas, `false` without asking for `unasked` ones.
fn relations_by_name(checked: &[&str], unasked: &[&str]) -> Result<Option<String>, SqlTextError> {
    let mut branches = Vec::new();
    for (schemas, ask) in [(checked, true), (unasked, false)] {
        let Some(pred) = in_list("schemaname", schemas, "schema name")? else { continue };
        for (rel, owner, kind) in
            [("tablename", "tableowner", "table"), ("viewname", "viewowner", "view")]
        {
            let can = if ask {
                format!(
                    "has_table_privilege(current_user, quote_ident(schemaname) || '.' || quote_ident({rel}), 'SELECT')"
                )
            } else {
                "false".to_owned()
            };
            branches.push(format!(
                "SELECT schemaname, {rel} AS relname, {owner} AS owner, '{kind}' AS relkind, \
                 {can} AS can_select FROM pg_{kind}s WHERE {pred}"
            ));
        }
    }
    Ok((!branches.is_empty()).then(|| branches.join(" UNION ALL ")))
}

fn build_plan_queries(plan: &SetupPlan) -> Result<Vec<CatalogQuery>, SqlTextError> {
    let redshift = plan.dialect == Dialect::Redshift;
    let mut out = Vec::new();
    let all: Vec<&str> = plan.schemas.iter().map(|s| s.name.as_str()).collect();
    if let Some(pred) = in_list("nspname", &all, "schema name")? {
        out.push(CatalogQuery {
            id: QueryId::SchemaUsage,
            sql: format!(
                "SELECT nspname, has_schema_privilege(current_user, nspname, 'USAGE') AS can_use, \
                 pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE {pred} ORDER BY nspname"
            ),
        });
    }
    let local = names(plan, SchemaKind::Local);
    if !local.is_empty() {
        let sql = if redshift {
            relations_by_name(&local, &[])?
        } else {
            // By OID: no name lookup, so a schema without USAGE can't abort the statement.
            in_list("n.nspname", &local, "schema name")?.map(|pred| {
                format!(
                    "SELECT n.nspname AS schemaname, c.relname, pg_get_userbyid(c.relowner) AS owner, \
                     CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END AS relkind, \
                     has_table_privilege(current_user, c.oid, 'SELECT') AS can_select \
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE {pred} AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
                )
            })
        };
        if let Some(sql) = sql {
            out.push(CatalogQuery { id: QueryId::RelationPrivileges, sql });
        }
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

/// Also round 1, reported apart from the checks (their failure never fails verify): the default
/// privileges the forecast reads, the catalog tool's own definitions query, counted, and the
/// tables of the planned datashare databases (`svv_redshift_tables`). Kept out
/// of [`plan_queries`] because they leave the simulator's query subset (joins, a derived table).
pub fn insight_queries(plan: &SetupPlan) -> Result<Vec<CatalogQuery>, Vec<PlanError>> {
    checked(plan)?;
    let mut out = Vec::new();
    if plan.schemas.iter().any(|s| s.kind == SchemaKind::Local) {
        out.push(forecast::default_privileges_query(plan.dialect));
    }
    out.push(inspector::counts_query(InspectorFlavor::for_dialect(plan.dialect)));
    // What the consumer sees inside the datashare databases: one table of each is read in round
    // 3 (its failure is judged in the datashare verdicts).
    let dbs: Vec<&str> = plan.datashare_databases.iter().map(String::as_str).collect();
    if plan.dialect == Dialect::Redshift
        && let Some(pred) =
            in_list("database_name", &dbs, "datashare database name").map_err(text_err)?
    {
        out.push(CatalogQuery {
            id: QueryId::DatashareTables,
            sql: format!(
                "SELECT database_name, schema_name, table_name FROM svv_redshift_tables \
                 WHERE {pred} ORDER BY database_name, schema_name, table_name"
            ),
        });
    }
    Ok(out)
}

/// Round 2: when the relation check failed, the same check again with `has_table_privilege` only
/// in schemas the user has USAGE on (round 1's answer), so the others can't abort it. Empty when
/// the first one worked or USAGE is unknown.
pub fn retry_queries(
    plan: &SetupPlan,
    results: &QueryResults,
) -> Result<Vec<CatalogQuery>, Vec<PlanError>> {
    checked(plan)?;
    if !matches!(results.get(&QueryId::RelationPrivileges), Some(Err(_))) {
        return Ok(Vec::new());
    }
    let Some(Ok(rows)) = results.get(&QueryId::SchemaUsage) else { return Ok(Vec::new()) };
    let Ok(usage) = parse_usage(rows) else { return Ok(Vec::new()) };
    let (with, without): (Vec<&str>, Vec<&str>) = names(plan, SchemaKind::Local)
        .into_iter()
        .partition(|s| usage.iter().any(|u| u.name == *s && u.usage));
    let sql = relations_by_name(&with, &without).map_err(text_err)?;
    Ok(sql
        .map(|sql| CatalogQuery { id: QueryId::RelationPrivilegesByUsage, sql })
        .into_iter()
        .collect())
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

fn parse_relations(id: &QueryId, rows: &[Row]) -> Result<Vec<Relation>, RowError> {
    (0..rows.len())
        .map(|i| {
            Ok(Relation {
                schema: text(id, rows, i, 0)?.to_owned(),
                name: text(id, rows, i, 1)?.to_owned(),
                owner: text(id, rows, i, 2)?.to_owned(),
                is_table: text(id, rows, i, 3)? == "table",
                can_select: flag(id, rows, i, 4)?,
            })
        })
        .collect()
}

/// The relation rows to use: the retry's when it ran, else the first check's.
fn relation_outcome(results: &QueryResults) -> (&QueryId, Option<&Result<Vec<Row>, String>>) {
    match results.get_key_value(&QueryId::RelationPrivilegesByUsage) {
        Some((id, r)) => (id, Some(r)),
        None => (&QueryId::RelationPrivileges, results.get(&QueryId::RelationPrivileges)),
    }
}

/// The relation to probe in `schema`: the first readable table, else the first readable view,
/// by name; none when nothing there is readable (the catalog check already says why).
fn probe_target<'a>(relations: &'a [Relation], schema: &str) -> Option<&'a Relation> {
    let mut rels: Vec<&Relation> =
        relations.iter().filter(|r| r.schema == schema && r.can_select).collect();
    rels.sort_by(|a, b| (!a.is_table, &a.name).cmp(&(!b.is_table, &b.name)));
    rels.first().copied()
}

/// Schema names the user has USAGE on, from round 1 (empty when unknown).
fn usable_schemas(results: &QueryResults) -> Vec<String> {
    match results.get(&QueryId::SchemaUsage) {
        Some(Ok(rows)) => parse_usage(rows)
            .map(|u| u.into_iter().filter(|u| u.usage).map(|u| u.name).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Round 3: one read probe per local schema with USAGE and a readable relation, chosen from the
/// relation check (none when that check failed or found nothing readable), and one read of a
/// shared table per visible datashare database ([`datashare_probe_queries`]).
pub fn probe_queries(
    plan: &SetupPlan,
    results: &QueryResults,
) -> Result<Vec<CatalogQuery>, Vec<PlanError>> {
    checked(plan)?;
    let mut out = schema_probe_queries(plan, results).map_err(text_err)?;
    out.extend(datashare_probe_queries(plan, results).map_err(text_err)?);
    Ok(out)
}

/// The local-schema part of [`probe_queries`].
fn schema_probe_queries(
    plan: &SetupPlan,
    results: &QueryResults,
) -> Result<Vec<CatalogQuery>, SqlTextError> {
    let (id, outcome) = relation_outcome(results);
    let Some(Ok(rows)) = outcome else {
        return Ok(Vec::new());
    };
    let Ok(relations) = parse_relations(id, rows) else {
        return Ok(Vec::new());
    };
    let usable = usable_schemas(results);
    let mut out = Vec::new();
    for schema in names(plan, SchemaKind::Local) {
        if !usable.iter().any(|u| u == schema) {
            continue;
        }
        if let Some(rel) = probe_target(&relations, schema) {
            let s = Ident::new(&rel.schema, "schema name")?;
            let t = Ident::new(&rel.name, "table name")?;
            out.push(CatalogQuery {
                id: QueryId::Probe { schema: schema.to_owned() },
                sql: format!("SELECT 1 FROM {s}.{t} LIMIT 0"),
            });
        }
    }
    Ok(out)
}

/// Round 3, datashares: one `SELECT 1 FROM "db"."s"."t" LIMIT 0` per planned datashare database
/// the user sees, on the first table (by schema, then name) `svv_redshift_tables` listed for it.
/// Three-part names are how a consumer reads a datashare (redshift.md §1.6); nothing is read
/// from a database the user can't see or where no table is listed.
pub fn datashare_probe_queries(
    plan: &SetupPlan,
    results: &QueryResults,
) -> Result<Vec<CatalogQuery>, SqlTextError> {
    let visible = match results.get(&QueryId::VisibleDatashares) {
        Some(Ok(rows)) => parse_names(&QueryId::VisibleDatashares, rows).unwrap_or_default(),
        _ => return Ok(Vec::new()),
    };
    let tables = shared_tables(results).unwrap_or_default();
    let mut out = Vec::new();
    for db in plan.datashare_databases.iter().filter(|db| visible.contains(db)) {
        if let Some(relation) = first_shared_table(&tables, db)? {
            out.push(CatalogQuery {
                id: QueryId::DatashareProbe { database: db.clone() },
                sql: format!("SELECT 1 FROM {relation} LIMIT 0"),
            });
        }
    }
    Ok(out)
}

/// (database, schema, table) rows of the datashare table listing, sorted.
fn shared_tables(results: &QueryResults) -> Result<Vec<(String, String, String)>, String> {
    let id = QueryId::DatashareTables;
    match results.get(&id) {
        None => Ok(Vec::new()),
        Some(Err(e)) => Err(e.clone()),
        Some(Ok(rows)) => {
            let mut out = (0..rows.len())
                .map(|i| {
                    Ok((
                        text(&id, rows, i, 0)?.to_owned(),
                        text(&id, rows, i, 1)?.to_owned(),
                        text(&id, rows, i, 2)?.to_owned(),
                    ))
                })
                .collect::<Result<Vec<_>, RowError>>()
                .map_err(|e| e.to_string())?;
            out.sort();
            Ok(out)
        }
    }
}

/// `"db"."schema"."table"` of the first table listed for `db`.
fn first_shared_table(
    tables: &[(String, String, String)],
    db: &str,
) -> Result<Option<String>, SqlTextError> {
    let Some((d, s, t)) = tables.iter().find(|(d, _, _)| d == db) else { return Ok(None) };
    Ok(Some(format!(
        "{}.{}.{}",
        Ident::new(d, "datashare database name")?,
        Ident::new(s, "schema name")?,
        Ident::new(t, "table name")?
    )))
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
        | RowError::NotBoolean { query, .. }
        | RowError::NotCount { query, .. } => query.clone(),
    };
    Gap::QueryFailed { query, error: e.to_string() }
}

/// One row of the USAGE query.
struct Usage {
    name: String,
    usage: bool,
    owner: Option<String>,
}

fn parse_usage(rows: &[Row]) -> Result<Vec<Usage>, RowError> {
    let id = QueryId::SchemaUsage;
    (0..rows.len())
        .map(|i| {
            Ok(Usage {
                name: text(&id, rows, i, 0)?.to_owned(),
                usage: flag(&id, rows, i, 1)?,
                owner: rows[i].get(2).cloned().flatten(),
            })
        })
        .collect()
}

/// First-column values (schema or database names) of `rows`.
fn parse_names(id: &QueryId, rows: &[Row]) -> Result<Vec<String>, RowError> {
    (0..rows.len()).map(|i| text(id, rows, i, 0).map(str::to_owned)).collect()
}

/// Whether default privileges cover `owner`'s next table in `schema`, USAGE aside.
fn covered(schema: &str, owner: &str, reader: &Reader<'_>, evidence: &Evidence) -> Outcome {
    let c = forecast::creators([(owner, CreatorSource::Named)], &[]);
    forecast::forecast_schema(schema, true, &c, reader, evidence)[0].outcome
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
    let retried = matches!(results.get(&QueryId::RelationPrivilegesByUsage), Some(Ok(_)));
    let query_errors: Vec<(QueryId, String)> = results
        .iter()
        .filter(|(id, _)| !informational(id))
        .filter(|(id, _)| !(retried && **id == QueryId::RelationPrivileges))
        .filter_map(|(id, r)| r.as_ref().err().map(|e| (id.clone(), e.clone())))
        .collect();

    let usage = rows_or_gap(results, &QueryId::SchemaUsage)
        .and_then(|r| parse_usage(r.unwrap_or_default()).map_err(row_gap));
    let (rel_id, rel_outcome) = relation_outcome(results);
    let relations = match rel_outcome {
        None => Ok(Vec::new()),
        Some(Ok(rows)) => parse_relations(rel_id, rows).map_err(row_gap),
        Some(Err(error)) => Err(Gap::QueryFailed { query: rel_id.clone(), error: error.clone() }),
    };
    let late = rows_or_gap(results, &QueryId::LateBindingColumns).and_then(|r| {
        parse_names(&QueryId::LateBindingColumns, r.unwrap_or_default()).map_err(row_gap)
    });
    let external = rows_or_gap(results, &QueryId::ExternalTables).and_then(|r| {
        parse_names(&QueryId::ExternalTables, r.unwrap_or_default()).map_err(row_gap)
    });
    let evidence = evidence_from(d, results.get(&QueryId::DefaultPrivileges));
    let (catalog_view, catalog_view_error) = match results.get(&QueryId::InspectorCounts) {
        Some(Ok(rows)) => match inspector::parse_counts(rows) {
            Ok(m) => (Some(m), None),
            Err(e) => (None, Some(e.to_string())),
        },
        Some(Err(e)) => (None, Some(e.clone())),
        None => (None, Some("not run".to_owned())),
    };
    let grantees = [plan.access.name(), plan.user.as_str()];
    let reader = Reader { user: &plan.user, grantees: &grantees };
    let skip: Vec<&str> = SYSTEM_OWNERS.iter().copied().chain([plan.user.as_str()]).collect();

    let mut fix = Script::titled(format!(
        "Shiftgate fix: grants missing for catalog user {user} ({} {}); run as a superuser",
        target.kind_word(),
        target.name()
    ));
    let mut verdicts = Vec::new();
    for schema in &plan.schemas {
        let s = Ident::new(&schema.name, "schema name")?;
        let mut gaps = Vec::new();
        let (visible, has_usage, owner) = match &usage {
            Ok(rows) => match rows.iter().find(|u| u.name == schema.name) {
                Some(u) => (true, u.usage, u.owner.clone()),
                None => (false, false, None),
            },
            Err(g) => {
                gaps.push(g.clone());
                (false, false, None)
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
            owner,
            visible,
            usage: has_usage,
            tables_total: 0,
            tables_unreadable: Vec::new(),
            unreadable: Vec::new(),
            uncovered_owners: Vec::new(),
            forecast: Vec::new(),
            catalog_view: catalog_view
                .as_ref()
                .map(|m| m.get(&schema.name).copied().unwrap_or_default()),
            probed_relation: None,
            probe: None,
            late_binding_cols: 0,
            verdict: Verdict::Pass,
        };
        let mut b = Block::commented(format!("Schema {s}:"));
        let tx = schema.kind == SchemaKind::Local || ddl::external_grants_transactional(d);
        if !has_usage {
            if schema.kind == SchemaKind::Local {
                b.note("the user can't reach it: grant USAGE, SELECT on what exists now, and default privileges for its owners.");
            } else {
                b.note("the user can't reach it: grant USAGE.");
            }
            if !tx {
                b.note("Runs outside a transaction block: GRANT on external resources can't run inside one.");
            }
            b.push(ddl::grant_usage_on_schema(&s, &grantee).transactional_if(tx));
        }
        match schema.kind {
            SchemaKind::Local => {
                let mine: Vec<&Relation> = match &relations {
                    Ok(rels) => rels.iter().filter(|r| r.schema == schema.name).collect(),
                    Err(g) => {
                        gaps.push(g.clone());
                        Vec::new()
                    }
                };
                v.tables_total = mine.len();
                let mut unreadable: Vec<Unreadable> = mine
                    .iter()
                    .filter(|r| !(has_usage && r.can_select))
                    .map(|r| Unreadable { name: r.name.clone(), owner: r.owner.clone() })
                    .collect();
                unreadable.sort_by(|a, b| a.name.cmp(&b.name));
                v.tables_unreadable = unreadable.iter().map(|u| u.name.clone()).collect();
                v.unreadable = unreadable;

                let creators = forecast::creators(
                    mine.iter()
                        .map(|r| (r.owner.as_str(), CreatorSource::TableOwner))
                        .chain(v.owner.as_deref().map(|o| (o, CreatorSource::SchemaOwner)))
                        .chain(schema.owners.iter().map(|o| (o.as_str(), CreatorSource::Named))),
                    &skip,
                );
                v.forecast = forecast::forecast_schema(
                    &schema.name,
                    has_usage,
                    &creators,
                    &reader,
                    &evidence,
                );
                // Uncovered: owners of unreadable relations; owners and planned creators whose
                // default privileges are known to be missing; with incomplete evidence, owners
                // the plan does not name (their default privileges were never set up).
                let mut uncovered: BTreeSet<&str> = v
                    .unreadable
                    .iter()
                    .map(|u| u.owner.as_str())
                    .filter(|o| !skip.contains(o))
                    .collect();
                for c in &creators {
                    let asked = c.sources.contains(&CreatorSource::TableOwner)
                        || c.sources.contains(&CreatorSource::Named);
                    if !asked {
                        continue;
                    }
                    let missing = match covered(&schema.name, &c.name, &reader, &evidence) {
                        Outcome::Yes => false,
                        Outcome::No => true,
                        Outcome::Unknown => !schema.owners.contains(&c.name),
                    };
                    if missing {
                        uncovered.insert(c.name.as_str());
                    }
                }
                v.uncovered_owners = uncovered.into_iter().map(str::to_owned).collect();

                if !v.unreadable.is_empty() {
                    gaps.push(Gap::TablesUnreadable { count: v.unreadable.len() });
                    let shown: Vec<String> = v
                        .unreadable
                        .iter()
                        .take(5)
                        .map(|u| format!("{} (owner {})", u.name, u.owner))
                        .collect();
                    let more = v.unreadable.len().saturating_sub(shown.len());
                    let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
                    b.note(format!(
                        "not readable: {}{tail}; grant SELECT on what exists now.",
                        shown.join(", ")
                    ));
                }
                if !v.unreadable.is_empty() || (!has_usage && visible) {
                    b.push(ddl::grant_select_on_all_tables(&s, &grantee));
                }
                if !v.uncovered_owners.is_empty() {
                    gaps.push(Gap::OwnersUncovered { owners: v.uncovered_owners.clone() });
                }
                for owner in &v.uncovered_owners {
                    let o = Ident::new(owner, "owner name")?;
                    let owns_unreadable = v.unreadable.iter().any(|u| u.owner == *owner);
                    b.note(match covered(&schema.name, owner, &reader, &evidence) {
                        Outcome::No => format!(
                            "{o}: no default privilege gives {} SELECT on the tables it creates here; add one so its next table is readable.",
                            target.name()
                        ),
                        Outcome::Yes => format!(
                            "{o} owns tables the user can't read; its default privileges are stated again (no change if present)."
                        ),
                        Outcome::Unknown if owns_unreadable => format!(
                            "{o} owns tables the user can't read: give it default privileges so its next table is readable."
                        ),
                        Outcome::Unknown => format!(
                            "{o} creates tables here but is not in the plan: give it default privileges so its next table is readable."
                        ),
                    });
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
    let tx = ddl::external_grants_transactional(d);
    let mut b = Block::commented("Datashare consumer databases the user can't see:");
    if !tx {
        b.note("Runs outside a transaction block, like other grants on external resources.");
    }
    let listed = shared_tables(results);
    let mut unread = Block::commented(
        "Shared tables the user can't read (a database created WITH PERMISSIONS needs object grants):",
    );
    for db in &plan.datashare_databases {
        let visible = visible_dbs.iter().any(|n| n == db);
        let id = Ident::new(db, "datashare database name")?;
        if !visible {
            b.push(ddl::grant_usage_on_database(&id, &grantee).transactional_if(tx));
        }
        let mut v = DatashareVerdict {
            name: db.clone(),
            visible,
            probed: None,
            readable: None,
            error: None,
        };
        match &listed {
            Err(e) if visible => v.error = Some(format!("the shared table list failed: {e}")),
            Err(_) => {}
            Ok(tables) => {
                v.probed = if visible { first_shared_table(tables, db)? } else { None };
                match results.get(&QueryId::DatashareProbe { database: db.clone() }) {
                    Some(Ok(_)) => v.readable = Some(true),
                    Some(Err(e)) => {
                        v.readable = Some(false);
                        v.error = Some(e.clone());
                        // Grant what verify saw listed in that database, schema by schema.
                        let mut schemas: Vec<&str> = Vec::new();
                        for (_, s, _) in tables.iter().filter(|(d, _, _)| d == db) {
                            if !schemas.contains(&s.as_str()) {
                                schemas.push(s);
                            }
                        }
                        for s in schemas {
                            let s_id = Ident::new(s, "schema name")?;
                            unread.push(
                                ddl::grant_usage_on_shared_schema(&id, &s_id, &grantee)
                                    .transactional_if(tx),
                            );
                            for (_, _, t) in tables.iter().filter(|(d, x, _)| d == db && x == s) {
                                let t = Ident::new(t, "table name")?;
                                unread.push(
                                    ddl::grant_select_on_shared_table(&id, &s_id, &t, &grantee)
                                        .transactional_if(tx),
                                );
                            }
                        }
                    }
                    None if v.probed.is_some() => {
                        v.readable = Some(false);
                        v.error = Some("not run".into());
                    }
                    None => {}
                }
            }
        }
        datashares.push(v);
    }
    if !b.statements.is_empty() {
        fix.push(b);
    }
    if !unread.statements.is_empty() {
        fix.push(unread);
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
        default_privileges: evidence,
        catalog_view_error,
        fix_script: fix,
        drift: VerifyDrift::NoBaseline,
    })
}
