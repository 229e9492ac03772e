//! In-app notices: teachers learn of new submissions, students of returns and
//! validations. Written in the same transaction as what they announce.

use actix_web::{web, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use passerelle_api::{MarkRead, Notification, NotificationKind, Notifications, PersonRef};

use crate::auth::store::Principal;
use crate::db::{run, DbConnection};
use crate::error::AppError;
use crate::schema::{fiches, notifications, users};
use crate::server::AppState;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/notifications", web::get().to(list))
        .route("/notifications/read", web::post().to(mark_read));
}

/// How many notices `GET /api/notifications` returns.
const LISTED: i64 = 50;

/// Notifies each of `users` (the actor excepted).
pub fn notify(
    conn: &mut DbConnection,
    recipients: &[i64],
    kind: NotificationKind,
    fiche_id: i64,
    actor: i64,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let rows: Vec<_> = recipients
        .iter()
        .filter(|&&user| user != actor)
        .map(|&user| {
            (
                notifications::user_id.eq(user),
                notifications::kind.eq(kind.as_str()),
                notifications::fiche_id.eq(fiche_id),
                notifications::actor_id.eq(actor),
                notifications::at.eq(now),
            )
        })
        .collect();
    if !rows.is_empty() {
        crate::with_conn!(conn, |c| diesel::insert_into(notifications::table)
            .values(&rows)
            .execute(c))?;
    }
    Ok(())
}

async fn list(state: web::Data<AppState>, principal: Principal) -> Result<HttpResponse, AppError> {
    let user = principal.user_id;
    let answer = run(&state.pool, move |conn| {
        let unread: i64 = notifications::table
            .filter(notifications::user_id.eq(user))
            .filter(notifications::read_at.is_null())
            .count()
            .get_result(conn)?;
        type Row = (
            i64,
            String,
            i64,
            String,
            i64,
            String,
            String,
            NaiveDateTime,
            Option<NaiveDateTime>,
        );
        let rows: Vec<Row> = notifications::table
            .inner_join(fiches::table)
            .inner_join(users::table.on(users::id.eq(notifications::actor_id)))
            .filter(notifications::user_id.eq(user))
            .order(notifications::id.desc())
            .limit(LISTED)
            .select((
                notifications::id,
                notifications::kind,
                fiches::id,
                fiches::title,
                users::id,
                users::first_name,
                users::last_name,
                notifications::at,
                notifications::read_at,
            ))
            .load(conn)?;
        let items = rows
            .into_iter()
            .filter_map(
                |(id, kind, fiche_id, fiche_title, actor, first_name, last_name, at, read_at)| {
                    Some(Notification {
                        id,
                        kind: NotificationKind::parse(&kind)?,
                        fiche_id,
                        fiche_title,
                        actor: PersonRef {
                            id: actor,
                            first_name,
                            last_name,
                        },
                        at,
                        read: read_at.is_some(),
                    })
                },
            )
            .collect();
        Ok(Notifications {
            unread: u32::try_from(unread).unwrap_or(u32::MAX),
            items,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// Marks the principal's own notices read: others' ids are ignored, not an error.
async fn mark_read(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<MarkRead>,
) -> Result<HttpResponse, AppError> {
    let ids = body.into_inner().ids;
    let now = Utc::now().naive_utc();
    crate::db::write(&state.pool, move |conn| {
        let mine = notifications::table
            .filter(notifications::user_id.eq(principal.user_id))
            .filter(notifications::read_at.is_null());
        if ids.is_empty() {
            diesel::update(mine)
                .set(notifications::read_at.eq(now))
                .execute(conn)?;
        } else {
            diesel::update(mine.filter(notifications::id.eq_any(&ids)))
                .set(notifications::read_at.eq(now))
                .execute(conn)?;
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
