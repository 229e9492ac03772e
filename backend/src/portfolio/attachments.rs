//! Files on a fiche: screenshots of the PGI, the invoice produced, the report written.
//! Type told by content (PDF, PNG, JPEG, xlsx, docx, odt), image metadata removed, at
//! most 10 MB each and a quota per student, stored in the database so that every app
//! server sees them and backups include them.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;
use passerelle_api::{
    Attachment, FicheAction, ATTACHMENT_MAX_BYTES, FICHE_ATTACHMENTS_MAX, STUDENT_QUOTA_BYTES,
};
use serde::Deserialize;

use super::access;
use super::handlers::ensure_editable;
use super::store;
use crate::auth::store::Principal;
use crate::db::run;
use crate::error::AppError;
use crate::schema::{fiche_attachment_chunks, fiche_attachments, fiches};
use crate::server::AppState;
use crate::sniff;
use crate::upload::{attachment, read_body, safe_file_name};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/fiches/{id}/attachments", web::post().to(upload))
        .route(
            "/fiches/{id}/attachments/{attachment}",
            web::get().to(download),
        )
        .route(
            "/fiches/{id}/attachments/{attachment}",
            web::delete().to(remove),
        );
}

#[derive(Deserialize)]
struct UploadParams {
    file_name: Option<String>,
}

fn quota_message(used: u64) -> String {
    format!(
        "quota dépassé : vos pièces jointes occupent déjà {:.1} Mo sur {} Mo ; retirez-en \
         avant d'en ajouter",
        used as f64 / (1024.0 * 1024.0),
        STUDENT_QUOTA_BYTES / (1024 * 1024)
    )
}

/// The body is the file; its name comes in `?file_name=` (a name is not a secret).
async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    params: web::Query<UploadParams>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    // Access, state and quota before reading the body: a refused upload is not received.
    let check = principal.clone();
    run(&state.pool, move |conn| {
        let row = access::owned_fiche(conn, &check, id)?;
        ensure_editable(&row)?;
        let count: i64 = fiche_attachments::table
            .filter(fiche_attachments::fiche_id.eq(id))
            .count()
            .get_result(conn)?;
        if count >= FICHE_ATTACHMENTS_MAX as i64 {
            return Err(AppError::conflict(
                "too_many_attachments",
                format!("une fiche porte au plus {FICHE_ATTACHMENTS_MAX} pièces jointes"),
            ));
        }
        let used = used_bytes(conn, check.user_id)?;
        if used >= STUDENT_QUOTA_BYTES {
            return Err(AppError::too_large("quota_exceeded", quota_message(used)));
        }
        Ok(())
    })
    .await?;
    let bytes = read_body(&req, payload, ATTACHMENT_MAX_BYTES).await?;
    if bytes.is_empty() {
        return Err(AppError::bad_request("empty_file", "fichier vide"));
    }
    let unsupported = |sniff::Refused(message)| AppError::Refused {
        status: 415,
        code: "unsupported_type",
        message,
    };
    let file_type = sniff::detect(&bytes).map_err(unsupported)?;
    let bytes = sniff::clean(file_type, bytes).map_err(unsupported)?;
    let fallback = format!("piece-jointe.{}", file_type.extensions()[0]);
    let file_name = sniff::with_extension(
        &safe_file_name(params.file_name.as_deref().unwrap_or(""), &fallback),
        file_type,
    );
    let now = Utc::now().naive_utc();
    let student = principal.user_id;
    let saved = crate::db::write(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            // Checked again inside the write: two uploads at once must not both pass.
            let row = access::owned_fiche(conn, &principal, id)?;
            ensure_editable(&row)?;
            let used = used_bytes(conn, student)?;
            let size = bytes.len() as u64;
            if used + size > STUDENT_QUOTA_BYTES {
                return Err(AppError::too_large("quota_exceeded", quota_message(used)));
            }
            let attachment_id = diesel::insert_into(fiche_attachments::table)
                .values((
                    fiche_attachments::fiche_id.eq(id),
                    fiche_attachments::student_id.eq(student),
                    fiche_attachments::file_name.eq(&file_name),
                    fiche_attachments::content_type.eq(file_type.mime()),
                    fiche_attachments::size.eq(size as i64),
                    fiche_attachments::uploaded_at.eq(now),
                ))
                .returning(fiche_attachments::id)
                .get_result::<i64>(conn)?;
            write_content(conn, attachment_id, &bytes)?;
            diesel::update(fiches::table.find(id))
                .set(fiches::updated_at.eq(now))
                .execute(conn)?;
            store::record(
                conn,
                id,
                student,
                FicheAction::AttachmentAdded,
                Some(&file_name),
                &[],
                now,
            )?;
            Ok(Attachment {
                id: attachment_id,
                file_name: file_name.clone(),
                content_type: file_type.mime().to_owned(),
                size,
                uploaded_at: now,
            })
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(saved))
}

/// Bytes per stored chunk: small enough that a driver's copy of one is cheap.
const CHUNK_BYTES: usize = 512 * 1024;

/// Stores an attachment's bytes, chunk by chunk. Call inside the transaction that
/// inserted the attachment row.
pub fn write_content(
    conn: &mut crate::db::DbConnection,
    attachment_id: i64,
    bytes: &[u8],
) -> Result<(), AppError> {
    for (seq, chunk) in bytes.chunks(CHUNK_BYTES).enumerate() {
        diesel::insert_into(fiche_attachment_chunks::table)
            .values((
                fiche_attachment_chunks::attachment_id.eq(attachment_id),
                fiche_attachment_chunks::seq.eq(seq as i32),
                fiche_attachment_chunks::data.eq(chunk),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// An attachment's bytes, whole (at most 10 MB).
pub fn content(
    conn: &mut crate::db::DbConnection,
    attachment_id: i64,
) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::new();
    let mut seq = 0;
    // One chunk per query: the driver never holds more than one chunk besides `out`.
    while let Some(chunk) = fiche_attachment_chunks::table
        .find((attachment_id, seq))
        .select(fiche_attachment_chunks::data)
        .first::<Vec<u8>>(conn)
        .optional()?
    {
        out.extend_from_slice(&chunk);
        seq += 1;
    }
    Ok(out)
}

fn used_bytes(conn: &mut crate::db::DbConnection, student: i64) -> Result<u64, AppError> {
    // SUM's type differs between the engines (BIGINT, NUMERIC): add the sizes here.
    let sizes: Vec<i64> = fiche_attachments::table
        .filter(fiche_attachments::student_id.eq(student))
        .select(fiche_attachments::size)
        .load(conn)?;
    Ok(sizes
        .into_iter()
        .map(|s| u64::try_from(s).unwrap_or(0))
        .sum())
}

/// The file, to whoever may see the fiche; 404 for anyone else, and for an attachment
/// of another fiche (the pair must match).
async fn download(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, attachment_id) = path.into_inner();
    let (file_name, content_type, content) = run(&state.pool, move |conn| {
        access::visible_fiche(conn, &principal, id)?;
        let (file_name, content_type) = fiche_attachments::table
            .filter(fiche_attachments::id.eq(attachment_id))
            .filter(fiche_attachments::fiche_id.eq(id))
            .select((
                fiche_attachments::file_name,
                fiche_attachments::content_type,
            ))
            .first::<(String, String)>(conn)
            .optional()?
            .ok_or_else(|| {
                AppError::not_found(format!("pièce jointe introuvable : {attachment_id}"))
            })?;
        Ok((file_name, content_type, content(conn, attachment_id)?))
    })
    .await?;
    Ok(attachment(content, &content_type, &file_name))
}

async fn remove(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, attachment_id) = path.into_inner();
    let now = Utc::now().naive_utc();
    crate::db::write(&state.pool, move |conn| {
        let row = access::owned_fiche(conn, &principal, id)?;
        ensure_editable(&row)?;
        conn.transaction::<_, AppError, _>(|conn| {
            let file_name = fiche_attachments::table
                .filter(fiche_attachments::id.eq(attachment_id))
                .filter(fiche_attachments::fiche_id.eq(id))
                .select(fiche_attachments::file_name)
                .first::<String>(conn)
                .optional()?
                .ok_or_else(|| {
                    AppError::not_found(format!("pièce jointe introuvable : {attachment_id}"))
                })?;
            diesel::delete(fiche_attachments::table.find(attachment_id)).execute(conn)?;
            diesel::update(fiches::table.find(id))
                .set(fiches::updated_at.eq(now))
                .execute(conn)?;
            store::record(
                conn,
                id,
                principal.user_id,
                FicheAction::AttachmentRemoved,
                Some(&file_name),
                &[],
                now,
            )
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
