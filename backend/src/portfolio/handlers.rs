//! A student's fiches: list, create, read, edit, submit, delete a draft; and the
//! exercises of their class they may cite.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;
use passerelle_api::{
    FicheAction, FicheInput, FicheQuery, FicheStatus, NotificationKind, Role, StudentAssignment,
};

use super::access::{self, Standing};
use super::notifications;
use super::store::{self, FicheRow, SummaryRow};
use crate::auth::store::Principal;
use crate::db::{run, DbConnection};
use crate::error::AppError;
use crate::referentials::api::snapshot;
use crate::referentials::catalog::Snapshot;
use crate::schema::{class_exercises, class_teachers, exercise_items, exercises, fiches};
use crate::server::AppState;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/fiches", web::get().to(list))
        .route("/fiches", web::post().to(create))
        .route("/fiches/exercises", web::get().to(assigned_exercises))
        .route("/fiches/{id}", web::get().to(get))
        .route("/fiches/{id}", web::put().to(update))
        .route("/fiches/{id}", web::delete().to(delete))
        .route("/fiches/{id}/submit", web::post().to(submit));
}

fn students_only(principal: &Principal) -> Result<(), AppError> {
    if principal.has(Role::Student) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "réservé aux élèves : ce sont eux qui rédigent leurs fiches",
        ))
    }
}

/// A student gets their own fiches, newest first. Teachers and admins get the submitted,
/// returned and validated fiches of the classes they may review, filtered by class,
/// student and status.
async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<FicheQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let list = run(&state.pool, move |conn| {
        let rows = if principal.has(Role::Student) {
            let mut q = fiches::table
                .filter(fiches::student_id.eq(principal.user_id))
                .select(SummaryRow::as_select())
                .order(fiches::updated_at.desc())
                .into_boxed();
            if let Some(status) = query.status {
                q = q.filter(fiches::status.eq(status.as_str()));
            }
            q.load(conn)?
        } else {
            reviewable(conn, &principal, &query)?
        };
        store::summaries(conn, rows)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// The non-draft fiches a teacher or admin may review, newest first.
pub(crate) fn reviewable(
    conn: &mut DbConnection,
    principal: &Principal,
    query: &FicheQuery,
) -> Result<Vec<SummaryRow>, AppError> {
    let Some(establishment) = principal.establishment_id else {
        return Err(AppError::forbidden(
            "votre compte n'est rattaché à aucun établissement",
        ));
    };
    if !principal.has(Role::Admin) && !principal.has(Role::Teacher) {
        return Err(AppError::forbidden(
            "réservé aux enseignants et aux administrateurs",
        ));
    }
    let mut q = fiches::table
        .filter(fiches::establishment_id.eq(establishment))
        .filter(fiches::status.ne(FicheStatus::Draft.as_str()))
        .select(SummaryRow::as_select())
        .into_boxed();
    if !principal.has(Role::Admin) {
        let taught: Vec<i64> = class_teachers::table
            .filter(class_teachers::user_id.eq(principal.user_id))
            .select(class_teachers::class_id)
            .load(conn)?;
        q = q.filter(fiches::class_id.eq_any(taught));
    }
    if let Some(class_id) = query.class_id {
        q = q.filter(fiches::class_id.eq(class_id));
    }
    if let Some(student_id) = query.student_id {
        q = q.filter(fiches::student_id.eq(student_id));
    }
    match query.status {
        // Drafts are the student's alone.
        Some(FicheStatus::Draft) => return Ok(Vec::new()),
        Some(status) => q = q.filter(fiches::status.eq(status.as_str())),
        None => {}
    }
    // The queue reads oldest submission first; other lists newest first.
    q = if query.status == Some(FicheStatus::Submitted) {
        q.order((fiches::submitted_at.asc(), fiches::id.asc()))
    } else {
        q.order((fiches::updated_at.desc(), fiches::id.desc()))
    };
    Ok(q.limit(2000).load(conn)?)
}

async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<FicheInput>,
) -> Result<HttpResponse, AppError> {
    students_only(&principal)?;
    let referentials = snapshot(&state).await?;
    let input = body.into_inner();
    let now = Utc::now().naive_utc();
    let fiche = crate::db::write(&state.pool, move |conn| {
        let checked = store::check(conn, &referentials, principal.user_id, input.clone(), None)?;
        let id = conn.transaction::<_, AppError, _>(|conn| {
            store::insert(conn, principal.user_id, &checked, now)
        })?;
        store::visible(conn, &referentials, &principal, id)
    })
    .await?;
    Ok(HttpResponse::Created().json(fiche))
}

async fn get(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let fiche = run(&state.pool, move |conn| {
        store::visible(conn, &referentials, &principal, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(fiche))
}

/// 409 unless the fiche is a draft or returned: submitted fiches wait for their review,
/// validated ones are evidence and never change.
pub(crate) fn ensure_editable(row: &FicheRow) -> Result<(), AppError> {
    match row.status() {
        status if status.editable() => Ok(()),
        FicheStatus::Validated => Err(AppError::conflict(
            "fiche_validated",
            "cette fiche est validée : elle ne peut plus être modifiée",
        )),
        _ => Err(AppError::conflict(
            "fiche_submitted",
            "cette fiche attend la relecture de l'enseignant : elle ne peut pas être modifiée \
             avant d'être renvoyée",
        )),
    }
}

async fn update(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    body: web::Json<FicheInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let input = body.into_inner();
    let now = Utc::now().naive_utc();
    let fiche = crate::db::write(&state.pool, move |conn| {
        // Access, then state, then content: a stranger learns nothing from messages.
        let row = access::owned_fiche(conn, &principal, id)?;
        ensure_editable(&row)?;
        let checked = store::check(
            conn,
            &referentials,
            principal.user_id,
            input.clone(),
            Some(&row),
        )?;
        conn.transaction::<_, AppError, _>(|conn| {
            store::update(conn, &referentials, &row, principal.user_id, &checked, now)
        })?;
        store::visible(conn, &referentials, &principal, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(fiche))
}

/// Only a draft never submitted: once a teacher has seen a fiche, it stays in the record.
async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    crate::db::write(&state.pool, move |conn| {
        let row = access::owned_fiche(conn, &principal, id)?;
        if row.status() != FicheStatus::Draft || row.submissions > 0 {
            return Err(AppError::conflict(
                "fiche_submitted",
                "seul un brouillon jamais soumis peut être supprimé",
            ));
        }
        // Items, attachments, history and notifications go with it (ON DELETE CASCADE).
        diesel::delete(fiches::table.find(id)).execute(conn)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Draft or returned → submitted; the class's teachers are notified.
async fn submit(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let now = Utc::now().naive_utc();
    let fiche = crate::db::write(&state.pool, move |conn| {
        let row = access::owned_fiche(conn, &principal, id)?;
        ensure_editable(&row)?;
        let items = store::items_of(conn, &[id])?
            .remove(&id)
            .unwrap_or_default();
        if items.is_empty() {
            return Err(AppError::unprocessable(
                "no_items",
                "items : indiquez au moins une tâche, situation ou compétence montrée avant de \
                 soumettre la fiche",
            ));
        }
        if row.description.trim().is_empty() {
            return Err(AppError::unprocessable(
                "no_description",
                "description : décrivez ce que vous avez fait avant de soumettre la fiche",
            ));
        }
        let action = if row.submissions > 0 {
            FicheAction::Resubmitted
        } else {
            FicheAction::Submitted
        };
        conn.transaction::<_, AppError, _>(|conn| {
            diesel::update(fiches::table.find(id))
                .set((
                    fiches::status.eq(FicheStatus::Submitted.as_str()),
                    fiches::submissions.eq(row.submissions + 1),
                    fiches::submitted_at.eq(now),
                    fiches::updated_at.eq(now),
                ))
                .execute(conn)?;
            store::record(conn, id, principal.user_id, action, None, &[], now)?;
            let teachers: Vec<i64> = class_teachers::table
                .filter(class_teachers::class_id.eq(row.class_id))
                .select(class_teachers::user_id)
                .load(conn)?;
            notifications::notify(
                conn,
                &teachers,
                NotificationKind::FicheSubmitted,
                id,
                principal.user_id,
                now,
            )
        })?;
        let row = access::owned_fiche(conn, &principal, id)?;
        store::fiche(conn, &referentials, row, Standing::Owner)
    })
    .await?;
    Ok(HttpResponse::Ok().json(fiche))
}

/// The exercises assigned to the student's classes, newest first, with their items in
/// each class's referential (main first).
async fn assigned_exercises(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, AppError> {
    students_only(&principal)?;
    let referentials = snapshot(&state).await?;
    let list = run(&state.pool, move |conn| {
        student_assignments(conn, &referentials, principal.user_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

pub(crate) fn student_assignments(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    student_id: i64,
) -> Result<Vec<StudentAssignment>, AppError> {
    let classes = access::classes_of_student(conn, student_id)?;
    let referential_of: HashMap<i64, String> = classes
        .iter()
        .map(|c| (c.class_id, c.referential_id.clone()))
        .collect();
    type Row = (
        i64,
        i64,
        i64,
        String,
        String,
        chrono::NaiveDate,
        chrono::NaiveDate,
        Option<String>,
        String,
    );
    let rows: Vec<Row> = class_exercises::table
        .inner_join(exercises::table)
        .filter(
            class_exercises::class_id.eq_any(referential_of.keys().copied().collect::<Vec<_>>()),
        )
        .order((
            class_exercises::starts_on.desc(),
            class_exercises::id.desc(),
        ))
        .select((
            class_exercises::id,
            class_exercises::class_id,
            exercises::id,
            exercises::title,
            exercises::instructions,
            class_exercises::starts_on,
            class_exercises::ends_on,
            exercises::software_id,
            exercises::features,
        ))
        .load(conn)?;
    let exercise_ids: Vec<i64> = rows.iter().map(|r| r.2).collect();
    let links: Vec<(i64, String, String, bool)> = exercise_items::table
        .filter(exercise_items::exercise_id.eq_any(&exercise_ids))
        .select((
            exercise_items::exercise_id,
            exercise_items::referential_id,
            exercise_items::item_code,
            exercise_items::main,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(
                assignment_id,
                class_id,
                exercise_id,
                title,
                instructions,
                starts_on,
                ends_on,
                software_id,
                features,
            )| {
                let referential = referential_of
                    .get(&class_id)
                    .map(String::as_str)
                    .unwrap_or("");
                let entry = snapshot.get(referential);
                let mut items: Vec<(bool, usize, String)> = links
                    .iter()
                    .filter(|(e, r, _, _)| *e == exercise_id && r == referential)
                    .map(|(_, _, code, main)| {
                        let index = entry.and_then(|e| e.index_of(code)).unwrap_or(usize::MAX);
                        (!main, index, code.clone())
                    })
                    .collect();
                items.sort();
                Ok(StudentAssignment {
                    assignment_id,
                    class_id,
                    exercise_id,
                    title,
                    instructions,
                    starts_on,
                    ends_on,
                    software_id,
                    features: serde_json::from_str(&features)?,
                    items: items.into_iter().map(|(_, _, c)| c).collect(),
                })
            },
        )
        .collect()
}
