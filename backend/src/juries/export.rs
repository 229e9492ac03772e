//! Exports of CCF grids for the exam office:
//! - `GET /api/candidates/{id}/grid.xlsx`: one candidate's grid in the official layout,
//!   printable on one A4 page (same access as the grid itself);
//! - `GET /api/exam-sessions/{id}/export.xlsx` (admins): a summary sheet and one sheet per
//!   candidate, the same layout (and the file the offline import reads back);
//! - `GET /api/exam-sessions/{id}/export.csv` (admins): one line per candidate, `;`,
//!   UTF-8 with BOM, decimal comma.
//!
//! The sheets themselves are written by `sheet` (pure); this module loads the grids.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use passerelle_api::{
    CandidateGrid, CriterionLevel, GridComment, GridStatus, PersonRef, Signature,
};
use rust_xlsxwriter::XlsxError;

use super::grids::{build, context, propose};
use super::handlers::at_version;
use super::sessions::{administered, session, SessionRow};
use super::sheet::{candidate_workbook, session_csv_bytes, session_workbook, Establishment};
use crate::auth::store::Principal;
use crate::db::{run, DbConnection};
use crate::error::AppError;
use crate::referentials::api::snapshot;
use crate::referentials::catalog::Snapshot;
use crate::schema::{establishments, exam_candidates, exam_grid_signatures, exam_grids, users};
use crate::server::AppState;
use crate::upload::{attachment, XLSX_MIME};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/candidates/{id}/grid.xlsx", web::get().to(candidate_xlsx))
        .route(
            "/exam-sessions/{id}/export.xlsx",
            web::get().to(session_xlsx),
        )
        .route("/exam-sessions/{id}/export.csv", web::get().to(session_csv));
}

pub(crate) fn establishment_of(
    conn: &mut DbConnection,
    id: i64,
) -> Result<Establishment, AppError> {
    let (name, uai, academie): (String, String, String) = establishments::table
        .find(id)
        .select((
            establishments::name,
            establishments::uai,
            establishments::academie,
        ))
        .first(conn)?;
    Ok(Establishment {
        academie,
        name,
        uai,
    })
}

/// Every candidate's agreed grid of a session, in a few queries (members' own
/// assessments and portfolios left out: the exports do not print them).
pub(crate) fn session_grids(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    row: SessionRow,
) -> Result<Vec<CandidateGrid>, AppError> {
    let template = at_version(
        conn,
        snapshot,
        row.establishment_id,
        &row.template_id,
        u32::try_from(row.template_version).unwrap_or(1),
    )?;
    let full = session(conn, snapshot, row.clone(), None)?;
    type GridRow = (
        i64,
        String,
        String,
        Option<f64>,
        Option<String>,
        String,
        Option<NaiveDateTime>,
    );
    let rows: Vec<GridRow> = exam_grids::table
        .inner_join(exam_candidates::table.on(exam_candidates::id.eq(exam_grids::candidate_id)))
        .filter(exam_candidates::session_id.eq(row.id))
        .select((
            exam_grids::candidate_id,
            exam_grids::levels,
            exam_grids::comments,
            exam_grids::final_mark,
            exam_grids::justification,
            exam_grids::status,
            exam_grids::locked_at,
        ))
        .load(conn)?;
    let mut stored: HashMap<i64, GridRow> = rows.into_iter().map(|r| (r.0, r)).collect();
    let signature_rows: Vec<(i64, i64, String, String, NaiveDateTime)> =
        exam_grid_signatures::table
            .inner_join(users::table.on(users::id.eq(exam_grid_signatures::user_id)))
            .inner_join(
                exam_candidates::table
                    .on(exam_candidates::id.eq(exam_grid_signatures::candidate_id)),
            )
            .filter(exam_candidates::session_id.eq(row.id))
            .order(exam_grid_signatures::signed_at)
            .select((
                exam_grid_signatures::candidate_id,
                users::id,
                users::first_name,
                users::last_name,
                exam_grid_signatures::signed_at,
            ))
            .load(conn)?;
    let mut signatures: HashMap<i64, Vec<Signature>> = HashMap::new();
    for (candidate, id, first_name, last_name, signed_at) in signature_rows {
        signatures.entry(candidate).or_default().push(Signature {
            member: PersonRef {
                id,
                first_name,
                last_name,
            },
            signed_at,
        });
    }
    let mut out = Vec::with_capacity(full.candidates.len());
    for candidate in full.candidates {
        let (levels, comments, final_mark, justification, locked, locked_at) =
            match stored.remove(&candidate.id) {
                Some((_, levels, comments, final_mark, justification, status, locked_at)) => (
                    serde_json::from_str::<Vec<CriterionLevel>>(&levels)?,
                    serde_json::from_str::<Vec<GridComment>>(&comments)?,
                    final_mark,
                    justification,
                    status == "locked",
                    locked_at,
                ),
                None => (Vec::new(), Vec::new(), None, None, false, None),
            };
        let jury = full
            .juries
            .iter()
            .find(|j| Some(j.id) == candidate.jury_id)
            .cloned();
        out.push(CandidateGrid {
            proposed_mark: propose(&template, &levels),
            signatures: signatures.remove(&candidate.id).unwrap_or_default(),
            candidate,
            session_id: row.id,
            session_label: row.label.clone(),
            template: template.clone(),
            jury,
            members: Vec::new(),
            levels,
            comments,
            disagreements: Vec::new(),
            final_mark,
            justification,
            status: if locked {
                GridStatus::Locked
            } else {
                GridStatus::Open
            },
            locked_at,
            portfolio: Vec::new(),
            can_edit: false,
        });
    }
    Ok(out)
}

fn xlsx_error(e: XlsxError) -> AppError {
    AppError::internal(format!("grid workbook: {e}"))
}

async fn candidate_xlsx(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let (establishment, grid) = run(&state.pool, move |conn| {
        let ctx = context(conn, &principal, id)?;
        let grid = build(conn, &referentials, &ctx)?;
        Ok((establishment_of(conn, ctx.session.establishment_id)?, grid))
    })
    .await?;
    let name = format!(
        "grille-{}-{}-{}.xlsx",
        grid.template.epreuve, grid.candidate.number, grid.candidate.student.last_name
    );
    let bytes = web::block(move || candidate_workbook(&establishment, &grid))
        .await?
        .map_err(xlsx_error)?;
    Ok(attachment(bytes, XLSX_MIME, &name))
}

async fn load_session(
    state: &web::Data<AppState>,
    principal: Principal,
    id: i64,
) -> Result<(Establishment, String, Vec<CandidateGrid>), AppError> {
    crate::people::admin_establishment(&principal)?;
    let referentials = snapshot(state).await?;
    run(&state.pool, move |conn| {
        let row = administered(conn, &principal, id)?;
        let establishment = establishment_of(conn, row.establishment_id)?;
        let label = row.label.clone();
        Ok((
            establishment,
            label,
            session_grids(conn, &referentials, row)?,
        ))
    })
    .await
}

async fn session_xlsx(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (establishment, label, grids) = load_session(&state, principal, id.into_inner()).await?;
    let name = format!("session-{label}.xlsx");
    let bytes = web::block(move || session_workbook(&establishment, &label, &grids))
        .await?
        .map_err(xlsx_error)?;
    Ok(attachment(bytes, XLSX_MIME, &name))
}

async fn session_csv(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (_, label, grids) = load_session(&state, principal, id.into_inner()).await?;
    let bytes = session_csv_bytes(&grids).map_err(|e| AppError::internal(format!("csv: {e}")))?;
    Ok(attachment(
        bytes,
        "text/csv; charset=utf-8",
        &format!("session-{label}.csv"),
    ))
}
