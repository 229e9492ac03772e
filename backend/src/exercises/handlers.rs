//! Create, read, edit, duplicate and delete exercises, and their attached file.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;
use passerelle_api::{ExerciseInput, EXERCISE_FILE_MAX_BYTES};
use serde::Deserialize;

use super::staff_establishment;
use super::store;
use crate::audit::{self, Entry};
use crate::auth::store::Principal;
use crate::db::run;
use crate::error::AppError;
use crate::referentials::api::snapshot;
use crate::schema::{class_exercises, classes, exercise_files, exercises};
use crate::server::AppState;
use crate::sniff::FileType;
use crate::upload::{attachment, read_body, safe_file_name};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/exercises", web::get().to(list))
        .route("/exercises", web::post().to(create))
        .route("/exercises/{id}", web::get().to(get))
        .route("/exercises/{id}", web::put().to(update))
        .route("/exercises/{id}", web::delete().to(delete))
        .route("/exercises/{id}/duplicate", web::post().to(duplicate))
        .route("/exercises/{id}/file", web::put().to(put_file))
        .route("/exercises/{id}/file", web::get().to(get_file))
        .route("/exercises/{id}/file", web::delete().to(delete_file));
}

async fn list(state: web::Data<AppState>, principal: Principal) -> Result<HttpResponse, AppError> {
    let establishment = staff_establishment(&principal)?;
    let list = run(&state.pool, move |conn| {
        let rows = store::visible_rows(conn, &principal, establishment)?;
        store::summaries(conn, &principal, rows)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<ExerciseInput>,
) -> Result<HttpResponse, AppError> {
    let establishment = staff_establishment(&principal)?;
    let referentials = snapshot(&state).await?;
    let checked = store::check(&referentials, body.into_inner())?;
    let now = Utc::now().naive_utc();
    let exercise = crate::db::write(&state.pool, move |conn| {
        let id = conn.transaction::<_, AppError, _>(|conn| {
            store::insert(conn, establishment, principal.user_id, &checked, None, now)
        })?;
        store::visible_exercise(conn, &referentials, &principal, id)
    })
    .await?;
    Ok(HttpResponse::Created().json(exercise))
}

async fn get(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    staff_establishment(&principal)?;
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let exercise = run(&state.pool, move |conn| {
        store::visible_exercise(conn, &referentials, &principal, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(exercise))
}

async fn update(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    body: web::Json<ExerciseInput>,
) -> Result<HttpResponse, AppError> {
    staff_establishment(&principal)?;
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let input = body.into_inner();
    let now = Utc::now().naive_utc();
    let exercise = crate::db::write(&state.pool, move |conn| {
        // Access before validation: a stranger learns nothing from error messages.
        store::editable(conn, &principal, id)?;
        let checked = store::check(&referentials, input.clone())?;
        conn.transaction::<_, AppError, _>(|conn| store::update(conn, id, &checked, now))?;
        store::visible_exercise(conn, &referentials, &principal, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(exercise))
}

/// A copy the principal owns (private), to adapt a colleague's exercise; the file too.
async fn duplicate(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let establishment = staff_establishment(&principal)?;
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let now = Utc::now().naive_utc();
    let exercise = crate::db::write(&state.pool, move |conn| {
        let source = store::visible(conn, &principal, id)?;
        let links = store::links_of(conn, &[id])?
            .remove(&id)
            .unwrap_or_default();
        let copy = store::Checked {
            title: copy_title(&source.title),
            instructions: source.instructions.clone(),
            software_id: source.software_id.clone(),
            base_id: source.base_id.clone(),
            modules: serde_json::from_str(&source.modules)?,
            features: serde_json::from_str(&source.features)?,
            duration_minutes: source.duration_minutes,
            level: source.level.clone(),
            visibility: passerelle_api::Visibility::Private,
            items: links,
        };
        let new_id = conn.transaction::<_, AppError, _>(|conn| {
            let new_id = store::insert(
                conn,
                establishment,
                principal.user_id,
                &copy,
                Some(source.id),
                now,
            )?;
            copy_file(conn, source.id, new_id)?;
            Ok(new_id)
        })?;
        store::visible_exercise(conn, &referentials, &principal, new_id)
    })
    .await?;
    Ok(HttpResponse::Created().json(exercise))
}

/// "Titre (copie)", within the title limit.
fn copy_title(title: &str) -> String {
    const SUFFIX: &str = " (copie)";
    let keep = passerelle_api::EXERCISE_TITLE_MAX_CHARS - SUFFIX.chars().count();
    format!("{}{SUFFIX}", title.chars().take(keep).collect::<String>())
}

fn copy_file(conn: &mut crate::db::DbConnection, from: i64, to: i64) -> Result<(), AppError> {
    let file: Option<(String, String, i64, Vec<u8>, chrono::NaiveDateTime)> = exercise_files::table
        .find(from)
        .select((
            exercise_files::file_name,
            exercise_files::content_type,
            exercise_files::size,
            exercise_files::content,
            exercise_files::uploaded_at,
        ))
        .first(conn)
        .optional()?;
    if let Some((file_name, content_type, size, content, uploaded_at)) = file {
        diesel::insert_into(exercise_files::table)
            .values((
                exercise_files::exercise_id.eq(to),
                exercise_files::file_name.eq(file_name),
                exercise_files::content_type.eq(content_type),
                exercise_files::size.eq(size),
                exercise_files::content.eq(content),
                exercise_files::uploaded_at.eq(uploaded_at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Refused while a class's progression uses it: the progression is the year's record.
async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let establishment = staff_establishment(&principal)?;
    let id = id.into_inner();
    let now = Utc::now().naive_utc();
    crate::db::write(&state.pool, move |conn| {
        let row = store::editable(conn, &principal, id)?;
        let used_by: Vec<String> = class_exercises::table
            .inner_join(classes::table)
            .filter(class_exercises::exercise_id.eq(id))
            .select(classes::name)
            .distinct()
            .order(classes::name)
            .load(conn)?;
        if !used_by.is_empty() {
            return Err(AppError::conflict(
                "exercise_assigned",
                format!(
                    "l'exercice est dans la progression de : {} ; retirez-le d'abord de ces \
                     classes",
                    used_by.join(", ")
                ),
            ));
        }
        diesel::update(exercises::table.filter(exercises::copied_from.eq(id)))
            .set(exercises::copied_from.eq(None::<i64>))
            .execute(conn)?;
        diesel::delete(exercises::table.find(id)).execute(conn)?;
        let object = format!("exercise:{id}");
        audit::record(
            conn,
            now,
            Entry {
                actor_id: Some(principal.user_id),
                establishment_id: Some(establishment),
                action: "exercise.deleted",
                object: &object,
                detail: &row.title,
            },
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize)]
struct FileParams {
    file_name: Option<String>,
}

async fn put_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    params: web::Query<FileParams>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    staff_establishment(&principal)?;
    let id = id.into_inner();
    // Access before reading the body: a stranger's upload is not even received.
    let principal_check = principal.clone();
    run(&state.pool, move |conn| {
        store::editable(conn, &principal_check, id).map(|_| ())
    })
    .await?;
    let bytes = read_body(&req, payload, EXERCISE_FILE_MAX_BYTES).await?;
    if bytes.is_empty() {
        return Err(AppError::bad_request("empty_file", "fichier vide"));
    }
    // Told by content, never by name: instructions are a PDF or a text document.
    let refused = || AppError::Refused {
        status: 415,
        code: "unsupported_type",
        message: "fichier refusé : seuls les PDF, ODT et DOCX sont acceptés (type lu dans \
                  le contenu du fichier)"
            .to_owned(),
    };
    // A file of an accepted kind refused for what it holds (macros, scripts…) is told why;
    // any other kind gets the list of what instructions may be.
    let file_type = match crate::sniff::detect(&bytes) {
        Ok(file_type) => file_type,
        Err(crate::sniff::Refused(message))
            if crate::sniff::reason::is_content_reason(&message) =>
        {
            return Err(AppError::Refused {
                status: 415,
                code: "unsupported_type",
                message,
            })
        }
        Err(_) => return Err(refused()),
    };
    if !matches!(file_type, FileType::Pdf | FileType::Odt | FileType::Docx) {
        return Err(refused());
    }
    let content_type = file_type.mime();
    let fallback = format!("consignes.{}", file_type.extensions()[0]);
    let file_name = crate::sniff::with_extension(
        &safe_file_name(params.file_name.as_deref().unwrap_or(""), &fallback),
        file_type,
    );
    let now = Utc::now().naive_utc();
    let info = crate::db::write(&state.pool, move |conn| {
        store::editable(conn, &principal, id)?;
        let size = bytes.len() as i64;
        crate::with_conn!(conn, |c| c.transaction::<_, AppError, _>(|c| {
            diesel::delete(exercise_files::table.find(id)).execute(c)?;
            diesel::insert_into(exercise_files::table)
                .values((
                    exercise_files::exercise_id.eq(id),
                    exercise_files::file_name.eq(&file_name),
                    exercise_files::content_type.eq(content_type),
                    exercise_files::size.eq(size),
                    exercise_files::content.eq(&bytes),
                    exercise_files::uploaded_at.eq(now),
                ))
                .execute(c)?;
            diesel::update(exercises::table.find(id))
                .set(exercises::updated_at.eq(now))
                .execute(c)?;
            Ok(())
        }))?;
        store::file_info(conn, id)?.ok_or_else(|| AppError::internal("file vanished"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(info))
}

async fn get_file(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    staff_establishment(&principal)?;
    let id = id.into_inner();
    let (file_name, content_type, content) = run(&state.pool, move |conn| {
        store::visible(conn, &principal, id)?;
        exercise_files::table
            .find(id)
            .select((
                exercise_files::file_name,
                exercise_files::content_type,
                exercise_files::content,
            ))
            .first::<(String, String, Vec<u8>)>(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("l'exercice {id} n'a pas de fichier")))
    })
    .await?;
    Ok(attachment(content, &content_type, &file_name))
}

async fn delete_file(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    staff_establishment(&principal)?;
    let id = id.into_inner();
    crate::db::write(&state.pool, move |conn| {
        store::editable(conn, &principal, id)?;
        let gone = diesel::delete(exercise_files::table.find(id)).execute(conn)?;
        if gone == 0 {
            return Err(AppError::not_found(format!(
                "l'exercice {id} n'a pas de fichier"
            )));
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::copy_title;

    #[test]
    fn copies_keep_within_the_title_limit() {
        assert_eq!(copy_title("Devis"), "Devis (copie)");
        let long = "x".repeat(passerelle_api::EXERCISE_TITLE_MAX_CHARS);
        assert_eq!(
            copy_title(&long).chars().count(),
            passerelle_api::EXERCISE_TITLE_MAX_CHARS
        );
    }
}
