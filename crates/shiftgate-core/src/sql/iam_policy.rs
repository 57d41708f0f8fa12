//! The IAM policy a catalog tool needs to log in as an IAM-only catalog user (setup with
//! [`super::SetupOptions::iam_login`]): `redshift:GetClusterCredentials` on exactly the
//! `dbuser:` and `dbname:` resources, and `redshift:JoinGroup` on the catalog group when the
//! access goes through a group. ARN formats from the AWS Service Authorization Reference
//! ("Resource types defined by Amazon Redshift"):
//!
//! ```text
//! arn:${Partition}:redshift:${Region}:${Account}:dbuser:${ClusterName}/${DbUser}
//! arn:${Partition}:redshift:${Region}:${Account}:dbname:${ClusterName}/${DbName}
//! arn:${Partition}:redshift:${Region}:${Account}:dbgroup:${ClusterName}/${DbGroup}
//! ```

use serde::Serialize;

/// Where the catalog user lives, for the resource ARNs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamPolicyTarget {
    /// `us-east-1`.
    pub region: String,
    /// The 12-digit AWS account id; `None` writes `*` (any account), to be narrowed by the admin.
    pub account: Option<String>,
    /// The provisioned cluster's identifier.
    pub cluster_id: String,
    /// The database the catalog tool connects to.
    pub database: String,
}

impl IamPolicyTarget {
    /// The admin profile's cluster and region (its IAM settings, else what its Redshift host
    /// name says), for the catalog user in `database`. The account stays unknown.
    pub fn from_profile(profile: &crate::profile::Profile, database: &str) -> IamPolicyTarget {
        let mut auth = profile.auth.clone();
        auth.fill_from_host(&profile.host);
        IamPolicyTarget {
            region: auth.region,
            account: None,
            cluster_id: auth.cluster_id,
            database: database.to_string(),
        }
    }
}

/// The policy for the catalog user of `plan`: its login, and its group when access goes through
/// a group (roles are granted to the user in the database and need no `JoinGroup`).
pub fn policy_for_plan(
    target: &IamPolicyTarget,
    plan: &super::SetupPlan,
) -> Result<String, IamPolicyError> {
    let group = match &plan.access {
        super::Access::Group { name } => Some(name.as_str()),
        super::Access::Role { .. } => None,
    };
    catalog_login_policy(target, &plan.user, group)
}

/// Why no policy can be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IamPolicyError {
    #[error("the cluster identifier is needed for the IAM policy (--cluster-id)")]
    MissingCluster,
    #[error("the AWS region is needed for the IAM policy (--region)")]
    MissingRegion,
    #[error("{0:?} is not an AWS account id (12 digits)")]
    BadAccount(String),
    #[error(
        "{what} {value:?} can't go into an ARN (it has '*', '?', '/', ':' or a control character)"
    )]
    BadName { what: &'static str, value: String },
}

#[derive(Serialize)]
struct Policy {
    #[serde(rename = "Version")]
    version: &'static str,
    #[serde(rename = "Statement")]
    statement: Vec<PolicyStatement>,
}

#[derive(Serialize)]
struct PolicyStatement {
    #[serde(rename = "Sid")]
    sid: &'static str,
    #[serde(rename = "Effect")]
    effect: &'static str,
    #[serde(rename = "Action")]
    action: &'static str,
    #[serde(rename = "Resource")]
    resource: Vec<String>,
}

/// The policy JSON (pretty, stable key order) for logging in as `db_user`, joining `group` when
/// given.
pub fn catalog_login_policy(
    target: &IamPolicyTarget,
    db_user: &str,
    group: Option<&str>,
) -> Result<String, IamPolicyError> {
    let cluster = target.cluster_id.trim();
    if cluster.is_empty() {
        return Err(IamPolicyError::MissingCluster);
    }
    let region = target.region.trim();
    if region.is_empty() {
        return Err(IamPolicyError::MissingRegion);
    }
    let account = match target.account.as_deref().map(str::trim) {
        None | Some("") => "*".to_string(),
        Some(a) if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) => a.to_string(),
        Some(a) => return Err(IamPolicyError::BadAccount(a.to_string())),
    };
    check_name("cluster identifier", cluster)?;
    check_name("region", region)?;
    check_name("database user", db_user)?;
    check_name("database", &target.database)?;
    let arn = |kind: &str, name: &str| {
        format!("arn:{}:redshift:{region}:{account}:{kind}:{cluster}/{name}", partition(region))
    };
    let mut statement = vec![PolicyStatement {
        sid: "CatalogUserTemporaryCredentials",
        effect: "Allow",
        action: "redshift:GetClusterCredentials",
        resource: vec![arn("dbuser", db_user), arn("dbname", &target.database)],
    }];
    if let Some(group) = group {
        check_name("group", group)?;
        statement.push(PolicyStatement {
            sid: "CatalogUserJoinGroup",
            effect: "Allow",
            action: "redshift:JoinGroup",
            resource: vec![arn("dbgroup", group)],
        });
    }
    let policy = Policy { version: "2012-10-17", statement };
    // Serialising plain strings and vectors cannot fail.
    Ok(serde_json::to_string_pretty(&policy).unwrap_or_default())
}

/// `aws`, or the China / GovCloud partition the region belongs to.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// A name that would widen (`*`, `?`) or break (`/`, `:`) the ARN is refused.
fn check_name(what: &'static str, value: &str) -> Result<(), IamPolicyError> {
    let bad = value.is_empty()
        || value.chars().any(|c| matches!(c, '*' | '?' | '/' | ':') || c.is_control());
    if bad { Err(IamPolicyError::BadName { what, value: value.to_string() }) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(account: Option<&str>) -> IamPolicyTarget {
        IamPolicyTarget {
            region: "us-east-1".into(),
            account: account.map(str::to_string),
            cluster_id: "analytics".into(),
            database: "dev".into(),
        }
    }

    #[test]
    fn policy_names_exactly_the_dbuser_dbname_and_dbgroup_arns() {
        let json = catalog_login_policy(
            &target(Some("123456789012")),
            "catalog_reader",
            Some("catalog_readers"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(v["Version"], "2012-10-17");
        let st = v["Statement"].as_array().cloned().unwrap_or_default();
        assert_eq!(st.len(), 2);
        assert_eq!(st[0]["Action"], "redshift:GetClusterCredentials");
        assert_eq!(
            st[0]["Resource"],
            serde_json::json!([
                "arn:aws:redshift:us-east-1:123456789012:dbuser:analytics/catalog_reader",
                "arn:aws:redshift:us-east-1:123456789012:dbname:analytics/dev"
            ])
        );
        assert_eq!(st[1]["Action"], "redshift:JoinGroup");
        assert_eq!(
            st[1]["Resource"],
            serde_json::json!([
                "arn:aws:redshift:us-east-1:123456789012:dbgroup:analytics/catalog_readers"
            ])
        );
        // Stable order: Version before Statement, as AWS writes its examples.
        assert!(json.find("Version") < json.find("Statement"));
    }

    #[test]
    fn no_group_no_join_group_and_unknown_account_is_a_wildcard() {
        let json = catalog_login_policy(&target(None), "u", None).unwrap_or_else(|e| panic!("{e}"));
        assert!(!json.contains("JoinGroup"));
        assert!(json.contains("arn:aws:redshift:us-east-1:*:dbuser:analytics/u"));
    }

    #[test]
    fn partitions_and_refusals() {
        let mut t = target(Some("123456789012"));
        t.region = "cn-north-1".into();
        let json = catalog_login_policy(&t, "u", None).unwrap_or_default();
        assert!(json.contains("arn:aws-cn:redshift:cn-north-1:"));
        assert_eq!(
            catalog_login_policy(&target(Some("12345")), "u", None),
            Err(IamPolicyError::BadAccount("12345".into()))
        );
        assert!(matches!(
            catalog_login_policy(&target(None), "*", None),
            Err(IamPolicyError::BadName { what: "database user", .. })
        ));
        let mut t = target(None);
        t.cluster_id = " ".into();
        assert_eq!(catalog_login_policy(&t, "u", None), Err(IamPolicyError::MissingCluster));
    }
}
