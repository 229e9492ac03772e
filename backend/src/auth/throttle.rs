//! Sign-in throttling per account and per IP address, in the database so that every app
//! server of an académie shares it. Keys exist whether or not the account does: locking
//! reveals nothing about which emails are registered.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::db::DbConnection;
use crate::error::AppError;
use crate::schema::login_throttle;

/// Failures allowed in a window before the key is locked.
pub const ACCOUNT_LIMIT: i32 = 5;
pub const IP_LIMIT: i32 = 30;
pub const WINDOW: Duration = Duration::minutes(15);
pub const LOCK: Duration = Duration::minutes(15);

pub fn account_key(email: &str) -> String {
    format!("account:{email}")
}

pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// The latest `locked_until` still in the future among `keys`.
pub fn locked_until(
    conn: &mut DbConnection,
    keys: &[String],
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, AppError> {
    let until: Vec<Option<NaiveDateTime>> = login_throttle::table
        .filter(login_throttle::key.eq_any(keys))
        .filter(login_throttle::locked_until.gt(now))
        .select(login_throttle::locked_until)
        .load(conn)?;
    Ok(until.into_iter().flatten().max())
}

/// Counts one failure for `key`; locks it once `limit` failures fall in one window.
pub fn record_failure(
    conn: &mut DbConnection,
    key: &str,
    limit: i32,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    crate::with_conn!(conn, |c| c.transaction::<_, AppError, _>(|c| {
        let current: Option<(i32, NaiveDateTime)> = login_throttle::table
            .find(key)
            .select((login_throttle::failures, login_throttle::window_started_at))
            .first(c)
            .optional()?;
        let (failures, started) = match current {
            Some((n, started)) if now - started < WINDOW => (n + 1, started),
            _ => (1, now),
        };
        let locked_until = (failures >= limit).then_some(now + LOCK);
        diesel::insert_into(login_throttle::table)
            .values((
                login_throttle::key.eq(key),
                login_throttle::failures.eq(failures),
                login_throttle::window_started_at.eq(started),
                login_throttle::locked_until.eq(locked_until),
            ))
            .on_conflict(login_throttle::key)
            .do_update()
            .set((
                login_throttle::failures.eq(excluded(login_throttle::failures)),
                login_throttle::window_started_at.eq(excluded(login_throttle::window_started_at)),
                login_throttle::locked_until.eq(excluded(login_throttle::locked_until)),
            ))
            .execute(c)?;
        Ok(())
    }))
}

/// A successful sign-in clears the account's failures (not the IP's).
pub fn clear(conn: &mut DbConnection, key: &str) -> Result<(), AppError> {
    diesel::delete(login_throttle::table.find(key)).execute(conn)?;
    Ok(())
}
