//! "Will tomorrow's table be readable?": for each schema and each user that may create tables in
//! it, whether a default privilege (`ALTER DEFAULT PRIVILEGES FOR USER o [IN SCHEMA s] GRANT
//! SELECT ON TABLES TO …`) makes a table that user creates next readable by the catalog user, and
//! why (redshift.md §1.4).
//!
//! The evidence is read from `pg_default_acl` (PostgreSQL: every row visible to every user) or
//! `svv_default_privileges` (Redshift: a regular user sees only rows granted to it, so a missing row
//! proves nothing there and the answer is "unknown", never "no"). Verify and audit share this
//! module: build [`default_privileges_query`], run it as whoever you are, turn its outcome into
//! [`Evidence`] with [`evidence_from`], then ask [`forecast_schema`]. Pure: no I/O.

use super::plan::Dialect;
use super::query::{CatalogQuery, QueryId, QueryOutcome, Row, RowError, text};

/// One default privilege: tables `owner` creates (in `schema`, or anywhere when `None`) get SELECT
/// for `grantee` (`PUBLIC` for everyone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultSelect {
    /// The creator the default privilege is for (`FOR USER`).
    pub owner: String,
    /// `IN SCHEMA`, or `None` for a database-wide default privilege.
    pub schema: Option<String>,
    /// Who receives SELECT: a user, group or role name, or `PUBLIC`.
    pub grantee: String,
}

/// What is known about the default privileges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// Every default privilege of the database was readable (PostgreSQL `pg_default_acl`).
    Complete(Vec<DefaultSelect>),
    /// Only some rows are visible (Redshift shows a regular user only what is granted to it): a
    /// row found proves "yes", a row missing proves nothing.
    Partial(Vec<DefaultSelect>),
    /// The default privileges could not be read (the server's words).
    Unavailable(String),
}

impl Evidence {
    fn grants(&self) -> &[DefaultSelect] {
        match self {
            Evidence::Complete(g) | Evidence::Partial(g) => g,
            Evidence::Unavailable(_) => &[],
        }
    }
}

/// Why a user is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CreatorSource {
    /// Owns tables or views in the schema today.
    TableOwner,
    /// Owns the schema.
    SchemaOwner,
    /// Named by the plan or by the admin as a creator of future tables.
    Named,
}

impl CreatorSource {
    /// Short words for tables and JSON.
    pub fn label(self) -> &'static str {
        match self {
            CreatorSource::TableOwner => "table owner",
            CreatorSource::SchemaOwner => "schema owner",
            CreatorSource::Named => "named creator",
        }
    }
}

/// A user that may create tables in a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creator {
    /// User name.
    pub name: String,
    /// Why it is asked about (sorted, distinct).
    pub sources: Vec<CreatorSource>,
}

/// Collects creators from several sources, merging duplicates, in first-seen order.
pub fn creators<'a>(
    entries: impl IntoIterator<Item = (&'a str, CreatorSource)>,
    skip: &[&str],
) -> Vec<Creator> {
    let mut out: Vec<Creator> = Vec::new();
    for (name, source) in entries {
        if name.is_empty() || skip.contains(&name) {
            continue;
        }
        match out.iter_mut().find(|c| c.name == name) {
            Some(c) => {
                if !c.sources.contains(&source) {
                    c.sources.push(source);
                    c.sources.sort();
                }
            }
            None => out.push(Creator { name: name.to_owned(), sources: vec![source] }),
        }
    }
    out
}

/// The answer for one creator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Its next table will be readable.
    Yes,
    /// Its next table will not be readable.
    No,
    /// The evidence does not say.
    Unknown,
}

impl Outcome {
    /// `Some(true)` / `Some(false)` / `None`, for JSON.
    pub fn as_option(self) -> Option<bool> {
        match self {
            Outcome::Yes => Some(true),
            Outcome::No => Some(false),
            Outcome::Unknown => None,
        }
    }
}

/// Whether a table `creator` makes next in the schema will be readable, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatorForecast {
    /// User name.
    pub creator: String,
    /// Why it was asked about.
    pub sources: Vec<CreatorSource>,
    /// The answer.
    pub outcome: Outcome,
    /// One sentence: the default privilege that decides, or what is missing.
    pub why: String,
}

/// Who reads: the catalog user and the names whose privileges it holds.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    /// The catalog user (owns what it creates itself).
    pub user: &'a str,
    /// The plan's group or role, the user itself; `PUBLIC` always counts.
    pub grantees: &'a [&'a str],
}

impl Reader<'_> {
    fn receives(&self, grantee: &str) -> bool {
        grantee.eq_ignore_ascii_case("public") || self.grantees.contains(&grantee)
    }
}

/// The forecast for every creator of one schema. `usage`: whether the reader has USAGE on it
/// (without it nothing there is readable, whatever the default privileges say).
pub fn forecast_schema(
    schema: &str,
    usage: bool,
    creators: &[Creator],
    reader: &Reader<'_>,
    evidence: &Evidence,
) -> Vec<CreatorForecast> {
    creators
        .iter()
        .map(|c| {
            let (outcome, why) = decide(schema, usage, &c.name, reader, evidence);
            CreatorForecast { creator: c.name.clone(), sources: c.sources.clone(), outcome, why }
        })
        .collect()
}

fn decide(
    schema: &str,
    usage: bool,
    creator: &str,
    reader: &Reader<'_>,
    evidence: &Evidence,
) -> (Outcome, String) {
    if creator == reader.user {
        return (Outcome::Yes, format!("{creator} is the catalog user: it owns what it creates"));
    }
    if !usage {
        return (
            Outcome::No,
            format!("no USAGE on schema {schema}: nothing created there is reachable"),
        );
    }
    let found = evidence.grants().iter().find(|g| {
        g.owner == creator
            && g.schema.as_deref().is_none_or(|s| s == schema)
            && reader.receives(&g.grantee)
    });
    if let Some(g) = found {
        let scope = match &g.schema {
            Some(s) => format!("IN SCHEMA {s}"),
            None => "database-wide".to_owned(),
        };
        return (
            Outcome::Yes,
            format!(
                "default privileges FOR USER {creator} {scope} grant SELECT on new tables to {}",
                g.grantee
            ),
        );
    }
    match evidence {
        Evidence::Complete(_) => (
            Outcome::No,
            format!(
                "no default privilege FOR USER {creator} (in schema {schema} or database-wide) \
                 grants SELECT on new tables to {} or PUBLIC",
                reader.grantees.first().copied().unwrap_or(reader.user)
            ),
        ),
        Evidence::Partial(_) => (
            Outcome::Unknown,
            format!(
                "no default privilege FOR USER {creator} is visible to the catalog user \
                 (Redshift shows it only the rows granted to it); check as an admin (audit)"
            ),
        ),
        Evidence::Unavailable(error) => {
            (Outcome::Unknown, format!("default privileges could not be read: {error}"))
        }
    }
}

/// The query listing default SELECT privileges on tables, readable as any user:
/// `pg_default_acl` exploded per grantee (PostgreSQL), `svv_default_privileges` (Redshift; an SVV
/// view, so no leader-node function in it). Rows: owner, schema (NULL: database-wide), grantee.
pub fn default_privileges_query(dialect: Dialect) -> CatalogQuery {
    let sql = match dialect {
        Dialect::Postgres => "SELECT pg_get_userbyid(d.defaclrole) AS owner_name, n.nspname AS schema_name, \
             CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END AS grantee_name \
             FROM pg_default_acl d \
             LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace \
             CROSS JOIN LATERAL aclexplode(d.defaclacl) a \
             WHERE d.defaclobjtype = 'r' AND a.privilege_type = 'SELECT' \
             ORDER BY 1, 2, 3"
            .to_owned(),
        Dialect::Redshift => "SELECT owner_name, schema_name, grantee_name FROM svv_default_privileges \
             WHERE object_type = 'RELATION' AND privilege_type = 'SELECT' \
             ORDER BY owner_name, schema_name, grantee_name"
            .to_owned(),
    };
    CatalogQuery { id: QueryId::DefaultPrivileges, sql }
}

/// Rows of [`default_privileges_query`].
pub fn parse_default_privileges(rows: &[Row]) -> Result<Vec<DefaultSelect>, RowError> {
    let id = QueryId::DefaultPrivileges;
    (0..rows.len())
        .map(|i| {
            Ok(DefaultSelect {
                owner: text(&id, rows, i, 0)?.to_owned(),
                schema: rows[i].get(1).cloned().flatten().filter(|s| !s.is_empty()),
                grantee: text(&id, rows, i, 2)?.to_owned(),
            })
        })
        .collect()
}

/// The evidence an outcome of [`default_privileges_query`] gives on `dialect` (`None`: not run).
pub fn evidence_from(dialect: Dialect, outcome: Option<&QueryOutcome>) -> Evidence {
    match outcome {
        None => Evidence::Unavailable("not run".to_owned()),
        Some(Err(e)) => Evidence::Unavailable(e.clone()),
        Some(Ok(rows)) => match parse_default_privileges(rows) {
            Err(e) => Evidence::Unavailable(e.to_string()),
            Ok(grants) => match dialect {
                Dialect::Postgres => Evidence::Complete(grants),
                Dialect::Redshift => Evidence::Partial(grants),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(owner: &str, schema: Option<&str>, grantee: &str) -> DefaultSelect {
        DefaultSelect {
            owner: owner.into(),
            schema: schema.map(str::to_owned),
            grantee: grantee.into(),
        }
    }

    const GRANTEES: &[&str] = &["catalog_ro", "catalog"];

    fn reader() -> Reader<'static> {
        Reader { user: "catalog", grantees: GRANTEES }
    }

    fn one(schema: &str, usage: bool, creator: &str, evidence: &Evidence) -> (Outcome, String) {
        let c = creators([(creator, CreatorSource::TableOwner)], &[]);
        let f = forecast_schema(schema, usage, &c, &reader(), evidence);
        (f[0].outcome, f[0].why.clone())
    }

    #[test]
    fn schema_and_database_wide_and_public_defaults_count_others_do_not() {
        let ev = Evidence::Complete(vec![
            grant("etl", Some("Sales EU"), "catalog_ro"),
            grant("loader", None, "catalog_ro"),
            grant("intern", Some("Sales EU"), "PUBLIC"),
            grant("analyst", Some("other"), "catalog_ro"),
            grant("bob", Some("Sales EU"), "someone_else"),
        ]);
        let (o, why) = one("Sales EU", true, "etl", &ev);
        assert_eq!(o, Outcome::Yes);
        assert!(why.contains("IN SCHEMA Sales EU") && why.contains("catalog_ro"), "{why}");
        let (o, why) = one("Sales EU", true, "loader", &ev);
        assert_eq!(o, Outcome::Yes);
        assert!(why.contains("database-wide"), "{why}");
        assert_eq!(one("Sales EU", true, "intern", &ev).0, Outcome::Yes);
        let (o, why) = one("Sales EU", true, "analyst", &ev);
        assert_eq!(o, Outcome::No);
        assert!(why.contains("FOR USER analyst"), "{why}");
        assert_eq!(one("Sales EU", true, "bob", &ev).0, Outcome::No);
    }

    #[test]
    fn no_usage_is_no_and_the_catalog_user_itself_is_yes() {
        let ev = Evidence::Complete(vec![grant("etl", None, "catalog_ro")]);
        let (o, why) = one("hr", false, "etl", &ev);
        assert_eq!(o, Outcome::No);
        assert!(why.contains("USAGE"), "{why}");
        assert_eq!(one("hr", true, "catalog", &Evidence::Complete(vec![])).0, Outcome::Yes);
    }

    #[test]
    fn partial_or_missing_evidence_never_says_no() {
        let partial = Evidence::Partial(vec![grant("etl", Some("s"), "catalog_ro")]);
        assert_eq!(one("s", true, "etl", &partial).0, Outcome::Yes);
        assert_eq!(one("s", true, "other", &partial).0, Outcome::Unknown);
        let (o, why) = one("s", true, "etl", &Evidence::Unavailable("0A000: nope".into()));
        assert_eq!(o, Outcome::Unknown);
        assert!(why.contains("0A000: nope"), "{why}");
    }

    #[test]
    fn creators_merge_sources_and_skip_names() {
        let c = creators(
            [
                ("etl", CreatorSource::TableOwner),
                ("admin", CreatorSource::SchemaOwner),
                ("etl", CreatorSource::Named),
                ("rdsdb", CreatorSource::TableOwner),
                ("etl", CreatorSource::TableOwner),
            ],
            &["rdsdb"],
        );
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].name, "etl");
        assert_eq!(c[0].sources, vec![CreatorSource::TableOwner, CreatorSource::Named]);
        assert_eq!(c[1].sources, vec![CreatorSource::SchemaOwner]);
    }

    #[test]
    fn rows_parse_and_dialect_decides_completeness() {
        let rows: Vec<Row> = vec![
            vec![Some("etl".into()), Some("sales".into()), Some("catalog_ro".into())],
            vec![Some("loader".into()), None, Some("PUBLIC".into())],
        ];
        let ok: QueryOutcome = Ok(rows);
        match evidence_from(Dialect::Postgres, Some(&ok)) {
            Evidence::Complete(g) => {
                assert_eq!(g[0], grant("etl", Some("sales"), "catalog_ro"));
                assert_eq!(g[1], grant("loader", None, "PUBLIC"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(evidence_from(Dialect::Redshift, Some(&ok)), Evidence::Partial(_)));
        let bad: QueryOutcome = Ok(vec![vec![None, None, None]]);
        assert!(matches!(evidence_from(Dialect::Postgres, Some(&bad)), Evidence::Unavailable(_)));
        assert!(matches!(evidence_from(Dialect::Postgres, None), Evidence::Unavailable(_)));
    }
}
