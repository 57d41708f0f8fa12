//! IAM logins (`GetClusterCredentials` and friends): the test registers the temporary password
//! AWS issued for a login name (`IAM:etl`, `IAMA:etl`, `IAMR:role`) and the database user it maps
//! to; a login with that name must come over SSL, proves the password with the usual MD5
//! exchange and runs as the mapped user, created on the fly when AutoCreate was asked
//! (redshift.md: IAM database credentials; message texts [unverified]).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::auth::{StoredPassword, md5_hash};
use crate::catalog::User;
use crate::connection::{Stream, authenticate};
use crate::error::SqlError;
use crate::protocol::ProtocolError;
use crate::shared::{Shared, lock};

/// One issued temporary credential.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub password: String,
    pub db_user: String,
    pub auto_create: bool,
}

/// Login name → issued credential.
pub(crate) type IamRegistry = Mutex<HashMap<String, Issued>>;

/// Whether a login name is an IAM one (the prefixes Redshift gives temporary users).
pub(crate) fn is_iam_login(name: &str) -> bool {
    ["IAM:", "IAMA:", "IAMR:"].iter().any(|p| name.starts_with(p))
}

/// Authenticate an IAM login: SSL required, the issued temporary password checked with the MD5
/// exchange (salted with the login name, as the client computes it), then the mapped database
/// user, created first when AutoCreate was asked. The inner `Err` is the FATAL to send.
pub(crate) async fn authenticate_iam(
    stream: &mut Box<dyn Stream>,
    shared: &Shared,
    name: &str,
    ssl: bool,
) -> Result<Result<User, SqlError>, ProtocolError> {
    if !ssl {
        return Ok(Err(SqlError::new(
            "28000",
            format!(
                "IAM authentication requires SSL: user \"{name}\" must connect with sslmode=require or stricter"
            ),
        )));
    }
    let issued = lock(&shared.iam).get(name).cloned();
    let stored = issued.as_ref().map(|i| StoredPassword::Md5(md5_hash(&i.password, name)));
    let denied =
        || SqlError::new("28000", format!("password authentication failed for user \"{name}\""));
    if !authenticate(stream, stored.as_ref()).await? {
        return Ok(Err(denied()));
    }
    let Some(issued) = issued else {
        return Ok(Err(denied()));
    };
    let mut committed = lock(&shared.warehouse);
    if committed.warehouse.user_by_name(&issued.db_user).is_none() {
        if !issued.auto_create {
            return Ok(Err(SqlError::new(
                "28000",
                format!("user \"{}\" does not exist", issued.db_user),
            )));
        }
        committed.warehouse.add_user_stored(&issued.db_user, StoredPassword::Disabled, false);
        committed.generation += 1;
    }
    Ok(committed.warehouse.user_by_name(&issued.db_user).cloned().ok_or_else(denied))
}
