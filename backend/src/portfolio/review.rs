//! Teachers' review: the queue of submitted fiches, comments, return with comments,
//! validation with a degree of mastery per item, and an admin's reopening.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;
use passerelle_api::{
    CommentInput, FicheAction, FicheQuery, FicheStatus, NotificationKind, ReopenInput, Role,
    ValidationInput, COMMENT_MAX_CHARS,
};

use super::access::{self, Standing};
use super::handlers::reviewable;
use super::notifications::notify;
use super::store;
use crate::auth::store::Principal;
use crate::db::run;
use crate::error::AppError;
use crate::people::field_error;
use crate::referentials::api::snapshot;
use crate::schema::{class_teachers, fiche_items, fiches};
use crate::server::AppState;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/reviews", web::get().to(queue))
        .route("/fiches/{id}/comments", web::post().to(comment))
        .route("/fiches/{id}/return", web::post().to(return_fiche))
        .route("/fiches/{id}/validate", web::post().to(validate))
        .route("/fiches/{id}/reopen", web::post().to(reopen));
}

/// Submitted fiches of the classes the principal reviews, oldest submission first.
async fn queue(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<FicheQuery>,
) -> Result<HttpResponse, AppError> {
    let mut query = query.into_inner();
    query.status = Some(FicheStatus::Submitted);
    let list = run(&state.pool, move |conn| {
        let rows = reviewable(conn, &principal, &query)?;
        store::summaries(conn, rows)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

fn comment_text(field: &str, text: &str, required: bool) -> Result<Option<String>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return if required {
            Err(field_error(field, "un commentaire est requis"))
        } else {
            Ok(None)
        };
    }
    if text.chars().count() > COMMENT_MAX_CHARS {
        return Err(field_error(
            field,
            &format!("{COMMENT_MAX_CHARS} caractères au plus"),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// A comment by the student or a reviewer, at any stage; the other party is notified.
async fn comment(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    body: web::Json<CommentInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let text = comment_text("comment", &body.comment, true)?;
    let now = Utc::now().naive_utc();
    let fiche = crate::db::write(&state.pool, move |conn| {
        let (row, standing) = access::visible_fiche(conn, &principal, id)?;
        conn.transaction::<_, AppError, _>(|conn| {
            store::record(
                conn,
                id,
                principal.user_id,
                FicheAction::Commented,
                text.as_deref(),
                &[],
                now,
            )?;
            let recipients = match standing {
                // A draft has no reader yet: its student's notes stay in its history.
                Standing::Owner if row.status() == FicheStatus::Draft => Vec::new(),
                Standing::Owner => class_teachers::table
                    .filter(class_teachers::class_id.eq(row.class_id))
                    .select(class_teachers::user_id)
                    .load(conn)?,
                Standing::Reviewer => vec![row.student_id],
                Standing::Jury => {
                    return Err(AppError::forbidden(
                        "le jury lit le portfolio sans le commenter",
                    ))
                }
            };
            notify(
                conn,
                &recipients,
                NotificationKind::FicheCommented,
                id,
                principal.user_id,
                now,
            )
        })?;
        store::visible(conn, &referentials, &principal, id)
    })
    .await?;
    Ok(HttpResponse::Created().json(fiche))
}

/// The two writes every review step makes after changing the fiche: its history entry
/// and the notices of the people it concerns.
#[allow(clippy::too_many_arguments)]
fn record_and_notify(
    conn: &mut crate::db::DbConnection,
    id: i64,
    actor: i64,
    action: FicheAction,
    comment: Option<&str>,
    changes: &[passerelle_api::FieldChange],
    kind: NotificationKind,
    recipients: &[i64],
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    store::record(conn, id, actor, action, comment, changes, now)?;
    notify(conn, recipients, kind, id, actor, now)
}

/// 409 unless the fiche waits for review.
fn ensure_submitted(status: FicheStatus) -> Result<(), AppError> {
    if status == FicheStatus::Submitted {
        return Ok(());
    }
    Err(AppError::conflict(
        "fiche_not_submitted",
        format!(
            "la fiche n'attend pas de relecture (état : {})",
            status.label().to_lowercase()
        ),
    ))
}

/// Submitted → returned, with the comment saying what to rework.
async fn return_fiche(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    body: web::Json<CommentInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let text = comment_text("comment", &body.comment, true)?;
    let now = Utc::now().naive_utc();
    let fiche = crate::db::write(&state.pool, move |conn| {
        let row = access::reviewed_fiche(conn, &principal, id)?;
        ensure_submitted(row.status())?;
        conn.transaction::<_, AppError, _>(|conn| {
            diesel::update(fiches::table.find(id))
                .set((
                    fiches::status.eq(FicheStatus::Returned.as_str()),
                    fiches::updated_at.eq(now),
                ))
                .execute(conn)?;
            record_and_notify(
                conn,
                id,
                principal.user_id,
                FicheAction::Returned,
                text.as_deref(),
                &[],
                NotificationKind::FicheReturned,
                &[row.student_id],
                now,
            )
        })?;
        store::visible(conn, &referentials, &principal, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(fiche))
}

/// Submitted → validated, with levels on some or all items (each in the referential's
/// scale, each an item of the fiche: otherwise 422 naming it).
async fn validate(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    body: web::Json<ValidationInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let input = body.into_inner();
    let text = comment_text("comment", input.comment.as_deref().unwrap_or(""), false)?;
    let now = Utc::now().naive_utc();
    let fiche = crate::db::write(&state.pool, move |conn| {
        let row = access::reviewed_fiche(conn, &principal, id)?;
        ensure_submitted(row.status())?;
        let scale = referentials
            .get(&row.referential_id)
            .map(|e| e.mastery_scale())
            .unwrap_or_default();
        let items = store::items_of(conn, &[id])?
            .remove(&id)
            .unwrap_or_default();
        for (i, level) in input.levels.iter().enumerate() {
            if !items.iter().any(|(code, _)| *code == level.code) {
                return Err(AppError::unprocessable(
                    "unknown_item",
                    format!(
                        "levels[{i}] : {} n'est pas un élément de cette fiche",
                        level.code
                    ),
                ));
            }
            if level.level == 0 || usize::from(level.level) > scale.len() {
                return Err(AppError::unprocessable(
                    "invalid_level",
                    format!(
                        "levels[{i}] : le niveau {} n'est pas dans l'échelle (1 à {} : {})",
                        level.level,
                        scale.len(),
                        scale.join(", ")
                    ),
                ));
            }
        }
        conn.transaction::<_, AppError, _>(|conn| {
            for level in &input.levels {
                diesel::update(
                    fiche_items::table
                        .filter(fiche_items::fiche_id.eq(id))
                        .filter(fiche_items::item_code.eq(&level.code)),
                )
                .set(fiche_items::level.eq(i16::from(level.level)))
                .execute(conn)?;
            }
            diesel::update(fiches::table.find(id))
                .set((
                    fiches::status.eq(FicheStatus::Validated.as_str()),
                    fiches::validated_at.eq(now),
                    fiches::validated_by.eq(principal.user_id),
                    fiches::updated_at.eq(now),
                ))
                .execute(conn)?;
            let changes: Vec<passerelle_api::FieldChange> = input
                .levels
                .iter()
                .map(|l| passerelle_api::FieldChange {
                    field: format!("niveau {}", l.code),
                    before: String::new(),
                    after: scale
                        .get(usize::from(l.level) - 1)
                        .cloned()
                        .unwrap_or_default(),
                })
                .collect();
            record_and_notify(
                conn,
                id,
                principal.user_id,
                FicheAction::Validated,
                text.as_deref(),
                &changes,
                NotificationKind::FicheValidated,
                &[row.student_id],
                now,
            )
        })?;
        store::visible(conn, &referentials, &principal, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(fiche))
}

/// Validated → returned, by an admin of the establishment only, with the reason; the
/// history keeps the validation and the levels it set.
async fn reopen(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    body: web::Json<ReopenInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let reason = comment_text("reason", &body.reason, true)?;
    let now = Utc::now().naive_utc();
    let fiche = crate::db::write(&state.pool, move |conn| {
        let row = access::reviewed_fiche(conn, &principal, id)?;
        if !principal.has(Role::Admin) {
            return Err(AppError::forbidden(
                "seul un administrateur peut rouvrir une fiche validée",
            ));
        }
        if row.status() != FicheStatus::Validated {
            return Err(AppError::conflict(
                "fiche_not_validated",
                "seule une fiche validée peut être rouverte",
            ));
        }
        conn.transaction::<_, AppError, _>(|conn| {
            diesel::update(fiches::table.find(id))
                .set((
                    fiches::status.eq(FicheStatus::Returned.as_str()),
                    fiches::validated_at.eq(None::<chrono::NaiveDateTime>),
                    fiches::validated_by.eq(None::<i64>),
                    fiches::updated_at.eq(now),
                ))
                .execute(conn)?;
            record_and_notify(
                conn,
                id,
                principal.user_id,
                FicheAction::Reopened,
                reason.as_deref(),
                &[],
                NotificationKind::FicheReturned,
                &[row.student_id],
                now,
            )
        })?;
        store::visible(conn, &referentials, &principal, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(fiche))
}
