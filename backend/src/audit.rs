//! The audit log: who did what to which object, when (UTC). Sign-ins, failures, account
//! and import actions land here; admins read their establishment's entries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::AppError;
use crate::schema::audit_log;

/// One entry to record. `object` names the target (`user:12`, `email:x@y.fr`, `session`);
/// `detail` never holds a secret, a token or a password.
pub struct Entry<'a> {
    pub actor_id: Option<i64>,
    pub establishment_id: Option<i64>,
    pub action: &'a str,
    pub object: &'a str,
    pub detail: &'a str,
}

pub fn record(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    entry: Entry<'_>,
) -> Result<(), AppError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(at),
            audit_log::actor_id.eq(entry.actor_id),
            audit_log::establishment_id.eq(entry.establishment_id),
            audit_log::action.eq(entry.action),
            audit_log::object.eq(entry.object),
            audit_log::detail.eq(entry.detail),
        ))
        .execute(conn)?;
    Ok(())
}
