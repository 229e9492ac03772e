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

/// Most entries one `GET /api/audit` answers.
pub const MAX_PAGE: i64 = 500;

#[derive(Debug, serde::Deserialize)]
struct Page {
    limit: Option<i64>,
    /// Entries older than this id (the last id of the previous page).
    before: Option<i64>,
}

pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.route("/audit", actix_web::web::get().to(list));
}

/// `GET /api/audit` (admin): the establishment's entries, newest first.
async fn list(
    state: actix_web::web::Data<crate::server::AppState>,
    principal: crate::auth::store::Principal,
    page: actix_web::web::Query<Page>,
) -> Result<actix_web::HttpResponse, AppError> {
    use crate::schema::users;
    let establishment = crate::people::admin_establishment(&principal)?;
    let limit = page.limit.unwrap_or(100).clamp(1, MAX_PAGE);
    let before = page.before;
    let rows = crate::db::run(&state.pool, move |conn| {
        let mut query = audit_log::table
            .left_join(users::table.on(users::id.nullable().eq(audit_log::actor_id)))
            .filter(audit_log::establishment_id.eq(establishment))
            .order(audit_log::id.desc())
            .limit(limit)
            .select((
                audit_log::id,
                audit_log::at,
                audit_log::actor_id,
                users::first_name.nullable(),
                users::last_name.nullable(),
                audit_log::action,
                audit_log::object,
                audit_log::detail,
            ))
            .into_boxed();
        if let Some(before) = before {
            query = query.filter(audit_log::id.lt(before));
        }
        Ok(query.load::<(
            i64,
            NaiveDateTime,
            Option<i64>,
            Option<String>,
            Option<String>,
            String,
            String,
            String,
        )>(conn)?)
    })
    .await?;
    let entries: Vec<passerelle_api::AuditEntry> = rows
        .into_iter()
        .map(
            |(id, at, actor_id, first, last, action, object, detail)| passerelle_api::AuditEntry {
                id,
                at,
                actor_id,
                actor: first
                    .zip(last)
                    .map(|(f, l)| format!("{f} {l}").trim().to_owned()),
                action,
                object,
                detail,
            },
        )
        .collect();
    Ok(actix_web::HttpResponse::Ok().json(entries))
}
