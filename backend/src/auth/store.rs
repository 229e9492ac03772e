//! Accounts and sessions in the database: the queries behind sign-in, refresh, sign-out
//! and the per-request session check. Blocking: call from `web::block`.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use passerelle_api::{EstablishmentRef, Me, Role};

use crate::db::DbConnection;
use crate::error::AppError;
use crate::schema::{auth_sessions, establishments, refresh_tokens, user_roles, users};

/// What the server knows of the person behind a valid access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub session_id: String,
    pub roles: Vec<Role>,
    pub establishment_id: Option<i64>,
}

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// The columns sign-in needs.
#[derive(Debug, Clone, Queryable)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: Option<String>,
    pub disabled: bool,
    pub establishment_id: Option<i64>,
}

/// Emails are compared lower-cased and trimmed.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn credentials(conn: &mut DbConnection, email: &str) -> Result<Option<Credentials>, AppError> {
    Ok(users::table
        .filter(users::email.eq(normalize_email(email)))
        .select((
            users::id,
            users::password_hash,
            users::disabled,
            users::establishment_id,
        ))
        .first(conn)
        .optional()?)
}

pub fn password_hash(conn: &mut DbConnection, user_id: i64) -> Result<Option<String>, AppError> {
    Ok(users::table
        .find(user_id)
        .select(users::password_hash)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

pub fn establishment_of(conn: &mut DbConnection, user_id: i64) -> Result<Option<i64>, AppError> {
    Ok(users::table
        .find(user_id)
        .select(users::establishment_id)
        .first::<Option<i64>>(conn)?)
}

pub fn roles(conn: &mut DbConnection, user_id: i64) -> Result<Vec<Role>, AppError> {
    let names: Vec<String> = user_roles::table
        .filter(user_roles::user_id.eq(user_id))
        .select(user_roles::role)
        .load(conn)?;
    let mut roles: Vec<Role> = names.iter().filter_map(|r| Role::parse(r)).collect();
    roles.sort();
    Ok(roles)
}

/// What an admin is told of an email that an account outside their establishment holds:
/// that it cannot be used, as for any address refused, not where it is used.
pub fn email_unavailable_message(email: &str) -> String {
    format!(
        "l'adresse « {email} » ne peut pas être utilisée pour un compte de l'établissement ; \
         vérifiez-la ou demandez à l'élève une autre adresse"
    )
}

/// Creates a user with roles (used by the CLI and, later, admin screens and imports).
#[allow(clippy::too_many_arguments)]
pub fn create_user(
    conn: &mut DbConnection,
    email: &str,
    first_name: &str,
    last_name: &str,
    password_hash: Option<&str>,
    roles: &[Role],
    establishment_id: Option<i64>,
    now: NaiveDateTime,
) -> Result<i64, AppError> {
    let email = normalize_email(email);
    crate::with_conn!(conn, |c| c.transaction::<_, AppError, _>(|c| {
        let owner: Option<Option<i64>> = users::table
            .filter(users::email.eq(&email))
            .select(users::establishment_id)
            .first(c)
            .optional()?;
        match owner {
            None => {}
            // The establishment's own account: its admin sees it in the list anyway.
            Some(owner) if owner == establishment_id => {
                return Err(AppError::conflict(
                    "email_taken",
                    format!("email : un compte de l'établissement existe déjà pour {email}"),
                ));
            }
            // Elsewhere (or an account of no establishment): the answer must not tell.
            Some(_) => {
                return Err(AppError::unprocessable(
                    "email_unavailable",
                    format!("email : {}", email_unavailable_message(&email)),
                ))
            }
        }
        diesel::insert_into(users::table)
            .values((
                users::email.eq(&email),
                users::first_name.eq(first_name.trim()),
                users::last_name.eq(last_name.trim()),
                users::password_hash.eq(password_hash),
                users::disabled.eq(false),
                users::establishment_id.eq(establishment_id),
                users::created_at.eq(now),
            ))
            .execute(c)?;
        let id: i64 = users::table
            .filter(users::email.eq(&email))
            .select(users::id)
            .first(c)?;
        for role in roles {
            diesel::insert_into(user_roles::table)
                .values((
                    user_roles::user_id.eq(id),
                    user_roles::role.eq(role.as_str()),
                ))
                .execute(c)?;
        }
        Ok(id)
    }))
}

pub fn set_password(conn: &mut DbConnection, user_id: i64, hash: &str) -> Result<(), AppError> {
    diesel::update(users::table.find(user_id))
        .set(users::password_hash.eq(hash))
        .execute(conn)?;
    Ok(())
}

/// Opens a session with its first refresh token.
pub fn open_session(
    conn: &mut DbConnection,
    session_id: &str,
    user_id: i64,
    refresh_hash: &str,
    now: NaiveDateTime,
    lifetime: Duration,
) -> Result<(), AppError> {
    crate::with_conn!(conn, |c| c.transaction::<_, AppError, _>(|c| {
        diesel::insert_into(auth_sessions::table)
            .values((
                auth_sessions::id.eq(session_id),
                auth_sessions::user_id.eq(user_id),
                auth_sessions::created_at.eq(now),
                auth_sessions::expires_at.eq(now + lifetime),
            ))
            .execute(c)?;
        diesel::insert_into(refresh_tokens::table)
            .values((
                refresh_tokens::token_hash.eq(refresh_hash),
                refresh_tokens::session_id.eq(session_id),
                refresh_tokens::created_at.eq(now),
                refresh_tokens::expires_at.eq(now + lifetime),
            ))
            .execute(c)?;
        Ok(())
    }))
}

/// Outcome of presenting a refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was current: it is now used, the new one stored. (user, session).
    Rotated { user_id: i64, session_id: String },
    /// Unknown, expired, or belongs to a dead session.
    Invalid,
    /// Already used: someone replayed it. The whole session has been revoked.
    Replayed,
}

/// Exchanges a refresh token for a new one in the same session (rotation), detecting
/// reuse: a used token presented again revokes its session (RFC 9700 §4.14.2).
pub fn rotate_refresh(
    conn: &mut DbConnection,
    presented_hash: &str,
    new_hash: &str,
    now: NaiveDateTime,
    lifetime: Duration,
) -> Result<Rotation, AppError> {
    crate::with_conn!(conn, |c| c.transaction::<_, AppError, _>(|c| {
        let found: Option<(String, NaiveDateTime, Option<NaiveDateTime>)> = refresh_tokens::table
            .find(presented_hash)
            .select((
                refresh_tokens::session_id,
                refresh_tokens::expires_at,
                refresh_tokens::used_at,
            ))
            .first(c)
            .optional()?;
        let Some((session_id, expires_at, used_at)) = found else {
            return Ok(Rotation::Invalid);
        };
        if used_at.is_some() {
            diesel::update(auth_sessions::table.find(&session_id))
                .filter(auth_sessions::revoked_at.is_null())
                .set(auth_sessions::revoked_at.eq(now))
                .execute(c)?;
            return Ok(Rotation::Replayed);
        }
        let session: Option<(i64, NaiveDateTime, Option<NaiveDateTime>, bool)> =
            auth_sessions::table
                .inner_join(users::table)
                .filter(auth_sessions::id.eq(&session_id))
                .select((
                    auth_sessions::user_id,
                    auth_sessions::expires_at,
                    auth_sessions::revoked_at,
                    users::disabled,
                ))
                .first(c)
                .optional()?;
        let Some((user_id, session_expires, revoked_at, disabled)) = session else {
            return Ok(Rotation::Invalid);
        };
        if expires_at <= now || session_expires <= now || revoked_at.is_some() || disabled {
            return Ok(Rotation::Invalid);
        }
        // Mark used only if still unused: two concurrent refreshes cannot both win.
        let claimed = diesel::update(refresh_tokens::table.find(presented_hash))
            .filter(refresh_tokens::used_at.is_null())
            .set(refresh_tokens::used_at.eq(now))
            .execute(c)?;
        if claimed != 1 {
            return Ok(Rotation::Replayed);
        }
        diesel::insert_into(refresh_tokens::table)
            .values((
                refresh_tokens::token_hash.eq(new_hash),
                refresh_tokens::session_id.eq(&session_id),
                refresh_tokens::created_at.eq(now),
                refresh_tokens::expires_at.eq((now + lifetime).min(session_expires)),
            ))
            .execute(c)?;
        Ok(Rotation::Rotated {
            user_id,
            session_id,
        })
    }))
}

pub fn revoke_session(
    conn: &mut DbConnection,
    session_id: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(auth_sessions::table.find(session_id))
        .filter(auth_sessions::revoked_at.is_null())
        .set(auth_sessions::revoked_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Ends every session of a user (password change, account disabled).
pub fn revoke_all_sessions(
    conn: &mut DbConnection,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    Ok(diesel::update(
        auth_sessions::table
            .filter(auth_sessions::user_id.eq(user_id))
            .filter(auth_sessions::revoked_at.is_null()),
    )
    .set(auth_sessions::revoked_at.eq(now))
    .execute(conn)?)
}

/// The principal of a live session of an enabled account, or None: the per-request check
/// that makes logout, password change and disabling take effect at once.
pub fn live_principal(
    conn: &mut DbConnection,
    session_id: &str,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<Option<Principal>, AppError> {
    let row: Option<(i64, Option<i64>)> = auth_sessions::table
        .inner_join(users::table)
        .filter(auth_sessions::id.eq(session_id))
        .filter(auth_sessions::user_id.eq(user_id))
        .filter(auth_sessions::revoked_at.is_null())
        .filter(auth_sessions::expires_at.gt(now))
        .filter(users::disabled.eq(false))
        .select((users::id, users::establishment_id))
        .first(conn)
        .optional()?;
    let Some((user_id, establishment_id)) = row else {
        return Ok(None);
    };
    Ok(Some(Principal {
        user_id,
        session_id: session_id.to_owned(),
        roles: roles(conn, user_id)?,
        establishment_id,
    }))
}

pub fn me(conn: &mut DbConnection, principal: &Principal) -> Result<Me, AppError> {
    let (id, email, first_name, last_name): (i64, String, String, String) = users::table
        .find(principal.user_id)
        .select((users::id, users::email, users::first_name, users::last_name))
        .first(conn)?;
    let establishment = match principal.establishment_id {
        Some(e) => establishment(conn, e)?,
        None => None,
    };
    Ok(Me {
        id,
        email,
        first_name,
        last_name,
        roles: principal.roles.clone(),
        establishment,
    })
}

/// An establishment as the API shows it.
pub fn establishment(
    conn: &mut DbConnection,
    id: i64,
) -> Result<Option<EstablishmentRef>, AppError> {
    Ok(establishments::table
        .find(id)
        .select((
            establishments::id,
            establishments::name,
            establishments::uai,
            establishments::academie,
        ))
        .first::<(i64, String, String, String)>(conn)
        .optional()?
        .map(|(id, name, uai, academie)| EstablishmentRef {
            id,
            name,
            uai,
            academie,
        }))
}
