//! Sign-in throttling that slows an attacker down without locking the innocent out, in
//! the database so that every app server of an académie shares it.
//!
//! Three counters of failed attempts, none of them a hard lockout:
//!
//! - **(account, address)**: the attacker guessing one account from one place. After
//!   [`PAIR_FREE`] failures in [`PAIR_WINDOW`], each further attempt from that address for
//!   that account waits 1 s, 2 s, 4 s… up to [`MAX_DELAY`]. The same account from another
//!   address is not slowed: 5 wrong passwords typed against a juror from outside do not
//!   keep the juror out on exam day.
//! - **address**: the attacker spraying many accounts from one place. A school behind one
//!   NAT (or behind the reverse proxy, see `client_addr`) shares one address, so the
//!   budget is generous ([`ADDRESS_BUDGET`] failures in [`ADDRESS_WINDOW`]: a class's
//!   typos fit). Past it, the address is "hot": accounts that never signed in from it wait
//!   exponentially, accounts that did (`sign_in_addresses`) are still let through, with
//!   [`PAIR_FREE_HOT`] failures before their own waits begin: the 300 students of a lycée
//!   keep signing in (typos included) while one of them sprays.
//! - **account**: failures from everywhere, only watched: past [`ACCOUNT_ALERT`] in a day
//!   the audit log says the account is targeted, so that an admin can lock it (`disabled`).
//!
//! Keys exist whether or not the account does: throttling reveals nothing about which
//! emails are registered. Successful sign-ins clear their (account, address) record.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::AppError;
use crate::schema::{login_throttle, sign_in_addresses};

/// Failures of one account from one address before each attempt waits.
pub const PAIR_FREE: i32 = 5;
pub const PAIR_WINDOW: Duration = Duration::hours(24);
/// The same, from a hot address (an attack under way there): room for a typo or two.
pub const PAIR_FREE_HOT: i32 = 2;
/// Failures from one address, all accounts, before the address is hot.
pub const ADDRESS_BUDGET: i32 = 100;
pub const ADDRESS_WINDOW: Duration = Duration::minutes(15);
/// Failures of one account, from everywhere, that the audit log reports.
pub const ACCOUNT_ALERT: i32 = 20;
pub const ACCOUNT_WINDOW: Duration = Duration::hours(24);
/// The longest wait between two attempts.
pub const MAX_DELAY: Duration = Duration::minutes(15);
/// How long an address where an account signed in counts as known.
pub const KNOWN_FOR: Duration = Duration::days(30);

/// One sign-in or activation attempt: the normalised email and the client's address as
/// counted (`client_addr::throttle_key`).
#[derive(Debug, Clone)]
pub struct Attempt {
    pub email: String,
    pub address: String,
}

impl Attempt {
    fn pair_key(&self) -> String {
        format!("pair:{}|{}", self.email, self.address)
    }

    fn address_key(&self) -> String {
        format!("ip:{}", self.address)
    }

    fn account_key(&self) -> String {
        format!("account:{}", self.email)
    }
}

/// What a failure started, for the audit log: each is reported once, when it begins.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Started {
    /// This account from this address now waits between attempts.
    pub pair_delayed: bool,
    /// This address went over its budget.
    pub address_hot: bool,
    /// This account reached [`ACCOUNT_ALERT`] failures today.
    pub account_targeted: bool,
}

/// `2^step` seconds, at most [`MAX_DELAY`].
fn delay(step: i32) -> Duration {
    if step >= 20 {
        return MAX_DELAY;
    }
    Duration::seconds(1_i64 << step.max(0)).min(MAX_DELAY)
}

/// Until when `attempt` must wait before its password is even checked (`None`: go on).
/// `user_id` is the account the email names, if any (a known address needs an account).
pub fn wait_until(
    conn: &mut DbConnection,
    attempt: &Attempt,
    user_id: Option<i64>,
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, AppError> {
    let rows: Vec<(String, i32, NaiveDateTime, Option<NaiveDateTime>)> = login_throttle::table
        .filter(login_throttle::key.eq_any([attempt.pair_key(), attempt.address_key()]))
        .select((
            login_throttle::key,
            login_throttle::failures,
            login_throttle::window_started_at,
            login_throttle::locked_until,
        ))
        .load(conn)?;
    let pair_key = attempt.pair_key();
    let mut wait = None;
    let mut address_wait = None;
    for (key, failures, started, until) in rows {
        let live_until = until.filter(|u| *u > now);
        if key == pair_key {
            wait = wait.max(live_until);
        } else if now - started < ADDRESS_WINDOW && failures >= ADDRESS_BUDGET {
            address_wait = live_until;
        }
    }
    if let Some(until) = address_wait {
        // A hot address: let through only the accounts that signed in from it (their own
        // record there still applies).
        let known = match user_id {
            Some(id) => is_known(conn, id, &attempt.address, now)?,
            None => false,
        };
        if !known {
            wait = wait.max(Some(until));
        }
    }
    Ok(wait)
}

fn is_known(
    conn: &mut DbConnection,
    user_id: i64,
    address: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let seen: Option<NaiveDateTime> = sign_in_addresses::table
        .find((user_id, address))
        .select(sign_in_addresses::last_success_at)
        .first(conn)
        .optional()?;
    Ok(seen.is_some_and(|at| now - at < KNOWN_FOR))
}

/// Takes one attempt: `Err(until)` when it must wait (nothing counted), else the attempt
/// is counted as a failure at once and `Ok` says what that started (for the audit log,
/// should it be one). Counting before the password is checked is what makes the limits
/// hold against a burst of concurrent guesses; [`record_success`] takes a successful
/// attempt back. Run inside a write transaction (`db::write`).
pub fn admit(
    conn: &mut DbConnection,
    attempt: &Attempt,
    user_id: Option<i64>,
    now: NaiveDateTime,
) -> Result<Result<Started, NaiveDateTime>, AppError> {
    // Concurrent attempts of one address take their turn here, before the wait is read:
    // each sees the failures of those before it (PostgreSQL's row locks; SQLite's
    // transaction already holds the write lock).
    let mut keys = [attempt.address_key(), attempt.pair_key()];
    keys.sort();
    for key in &keys {
        lock_row(conn, key, now)?;
    }
    if let Some(until) = wait_until(conn, attempt, user_id, now)? {
        return Ok(Err(until));
    }
    record_failure(conn, attempt, now).map(Ok)
}

/// Creates `key`'s row if it has none (no failure yet) and locks it until the end of the
/// transaction; answers its failures and window.
fn lock_row(
    conn: &mut DbConnection,
    key: &str,
    now: NaiveDateTime,
) -> Result<(i32, NaiveDateTime), AppError> {
    let empty = (
        login_throttle::key.eq(key),
        login_throttle::failures.eq(0),
        login_throttle::window_started_at.eq(now),
    );
    crate::with_conn!(conn, |c| diesel::insert_into(login_throttle::table)
        .values(empty)
        .on_conflict_do_nothing()
        .execute(c))?;
    let query = login_throttle::table
        .find(key)
        .select((login_throttle::failures, login_throttle::window_started_at));
    Ok(match conn {
        DbConnection::Sqlite(c) => query.first(c)?,
        DbConnection::Pg(c) => query.for_update().first(c)?,
    })
}

/// Counts one failure of `attempt` on its three counters and sets the waits that follow.
/// Run inside a write transaction (`db::write`): each counter is read under its row lock.
pub fn record_failure(
    conn: &mut DbConnection,
    attempt: &Attempt,
    now: NaiveDateTime,
) -> Result<Started, AppError> {
    let address_failures = count(conn, &attempt.address_key(), ADDRESS_WINDOW, now)?;
    let hot = address_failures >= ADDRESS_BUDGET;
    let address_until = hot.then(|| now + delay(address_failures - ADDRESS_BUDGET));
    set_wait(conn, &attempt.address_key(), address_until)?;

    let pair_failures = count(conn, &attempt.pair_key(), PAIR_WINDOW, now)?;
    // From a hot address, an account's failures wait sooner.
    let free = if hot { PAIR_FREE_HOT } else { PAIR_FREE };
    let pair_until = (pair_failures > free).then(|| now + delay(pair_failures - free - 1));
    set_wait(conn, &attempt.pair_key(), pair_until)?;

    let account_failures = count(conn, &attempt.account_key(), ACCOUNT_WINDOW, now)?;
    Ok(Started {
        pair_delayed: pair_failures == free + 1,
        address_hot: address_failures == ADDRESS_BUDGET,
        account_targeted: account_failures == ACCOUNT_ALERT,
    })
}

/// Adds one failure to `key` (a new window once `window` has passed) and answers the
/// failures of the window, read under the row's lock ([`lock_row`]), so that concurrent
/// failures are all counted.
fn count(
    conn: &mut DbConnection,
    key: &str,
    window: Duration,
    now: NaiveDateTime,
) -> Result<i32, AppError> {
    let (failures, started) = lock_row(conn, key, now)?;
    let (failures, started) = if now - started < window {
        (failures + 1, started)
    } else {
        (1, now)
    };
    diesel::update(login_throttle::table.find(key))
        .set((
            login_throttle::failures.eq(failures),
            login_throttle::window_started_at.eq(started),
        ))
        .execute(conn)?;
    Ok(failures)
}

fn set_wait(
    conn: &mut DbConnection,
    key: &str,
    until: Option<NaiveDateTime>,
) -> Result<(), AppError> {
    diesel::update(login_throttle::table.find(key))
        .set(login_throttle::locked_until.eq(until))
        .execute(conn)?;
    Ok(())
}

/// The establishments whose accounts signed in from `address` in the last [`KNOWN_FOR`]
/// (at most 20): a school's NAT is that school's, and its admins are the ones to hear
/// that it is under attack.
pub fn establishments_seen_at(
    conn: &mut DbConnection,
    address: &str,
    now: NaiveDateTime,
) -> Result<Vec<i64>, AppError> {
    use crate::schema::users;
    let ids: Vec<Option<i64>> = sign_in_addresses::table
        .inner_join(users::table)
        .filter(sign_in_addresses::address.eq(address))
        .filter(sign_in_addresses::last_success_at.gt(now - KNOWN_FOR))
        .select(users::establishment_id)
        .distinct()
        .limit(20)
        .load(conn)?;
    Ok(ids.into_iter().flatten().collect())
}

/// A successful sign-in: the failure [`admit`] counted is taken back from the address and
/// the account, the (account, address) record is cleared, the address becomes known for
/// the account, and the account's addresses older than [`KNOWN_FOR`] go.
pub fn record_success(
    conn: &mut DbConnection,
    attempt: &Attempt,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    for key in [attempt.address_key(), attempt.account_key()] {
        diesel::update(
            login_throttle::table
                .find(&key)
                .filter(login_throttle::failures.gt(0)),
        )
        .set(login_throttle::failures.eq(login_throttle::failures - 1))
        .execute(conn)?;
    }
    // The taken-back attempt may have been the one that made the address hot.
    diesel::update(
        login_throttle::table
            .find(attempt.address_key())
            .filter(login_throttle::failures.lt(ADDRESS_BUDGET)),
    )
    .set(login_throttle::locked_until.eq(None::<NaiveDateTime>))
    .execute(conn)?;
    diesel::delete(login_throttle::table.find(attempt.pair_key())).execute(conn)?;
    diesel::delete(
        sign_in_addresses::table
            .filter(sign_in_addresses::user_id.eq(user_id))
            .filter(sign_in_addresses::last_success_at.lt(now - KNOWN_FOR)),
    )
    .execute(conn)?;
    let row = (
        sign_in_addresses::user_id.eq(user_id),
        sign_in_addresses::address.eq(&attempt.address),
        sign_in_addresses::last_success_at.eq(now),
    );
    crate::with_conn!(conn, |c| diesel::insert_into(sign_in_addresses::table)
        .values(row)
        .on_conflict((sign_in_addresses::user_id, sign_in_addresses::address))
        .do_update()
        .set(sign_in_addresses::last_success_at.eq(now))
        .execute(c))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap() {
        assert_eq!(delay(0), Duration::seconds(1));
        assert_eq!(delay(3), Duration::seconds(8));
        assert_eq!(delay(9), Duration::seconds(512));
        assert_eq!(delay(10), MAX_DELAY);
        assert_eq!(delay(500), MAX_DELAY);
    }
}
