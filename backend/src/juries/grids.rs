//! Assessing a candidate: each jury member fills their own levels and comments, the jury
//! agrees on one grid (disagreements shown), the mark is proposed by the template's rule
//! and may be adjusted with a justification, then every member signs and the grid locks.
//! Only an admin reopens a locked grid, with a reason; the audit keeps the grid as it was
//! at each lock and reopening. Students read their own grid once the session is published.

use std::collections::{BTreeMap, HashSet};

use actix_web::{web, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use passerelle_api::{
    AgreedGridInput, Candidate, CandidateGrid, CriterionLevel, FicheStatus, GridComment,
    GridReopenInput, GridStatus, GridTemplate, MemberAssessment, MemberAssessmentInput, PersonRef,
    Role, Signature, COMMENT_MAX_CHARS,
};

use super::handlers::at_version;
use super::sessions::{session, session_columns, SessionRow};
use crate::audit::{self, Entry};
use crate::auth::store::Principal;
use crate::db::{run, DbConnection};
use crate::error::AppError;
use crate::people::field_error;
use crate::referentials::api::snapshot;
use crate::referentials::catalog::Snapshot;
use crate::schema::{
    exam_candidates, exam_grid_audit, exam_grid_members, exam_grid_signatures, exam_grids,
    exam_sessions, fiches, jury_members, users,
};
use crate::server::AppState;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/candidates/{id}/grid", web::get().to(get))
        .route("/candidates/{id}/grid", web::put().to(put_agreed))
        .route("/candidates/{id}/grid/mine", web::put().to(put_mine))
        .route("/candidates/{id}/grid/sign", web::post().to(sign))
        .route("/candidates/{id}/grid/reopen", web::post().to(reopen))
        .route("/exam-sessions/{id}/publish", web::post().to(publish))
        .route("/my-grids", web::get().to(mine));
}

/// How the principal stands towards a candidate's grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// Sits on the candidate's jury: reads everything, fills and signs.
    Member,
    /// Admin of the establishment: reads everything, reopens.
    Admin,
    /// The candidate, once the session is published: reads the agreed grid.
    Candidate,
}

pub(crate) struct Context {
    candidate_id: i64,
    student_id: i64,
    jury_id: Option<i64>,
    pub(crate) session: SessionRow,
    reader: Reader,
}

fn candidate_not_found(id: i64) -> AppError {
    AppError::not_found(format!("candidat introuvable : {id}"))
}

pub(crate) fn context(
    conn: &mut DbConnection,
    principal: &Principal,
    id: i64,
) -> Result<Context, AppError> {
    let (session_id, student_id, jury_id) = exam_candidates::table
        .find(id)
        .select((
            exam_candidates::session_id,
            exam_candidates::student_id,
            exam_candidates::jury_id,
        ))
        .first::<(i64, i64, Option<i64>)>(conn)
        .optional()?
        .ok_or_else(|| candidate_not_found(id))?;
    let session: SessionRow = exam_sessions::table
        .find(session_id)
        .select(session_columns())
        .first(conn)?;
    let member = match jury_id {
        Some(jury) => {
            jury_members::table
                .filter(jury_members::jury_id.eq(jury))
                .filter(jury_members::user_id.eq(principal.user_id))
                .count()
                .get_result::<i64>(conn)?
                > 0
        }
        None => false,
    };
    let reader = if member {
        Reader::Member
    } else if principal.has(Role::Admin)
        && principal.establishment_id == Some(session.establishment_id)
    {
        Reader::Admin
    } else if student_id == principal.user_id && session.published {
        Reader::Candidate
    } else {
        return Err(candidate_not_found(id));
    };
    Ok(Context {
        candidate_id: id,
        student_id,
        jury_id,
        session,
        reader,
    })
}

#[derive(Debug, Clone)]
struct GridRow {
    levels: Vec<CriterionLevel>,
    comments: Vec<GridComment>,
    final_mark: Option<f64>,
    justification: Option<String>,
    locked: bool,
    locked_at: Option<NaiveDateTime>,
}

fn grid_row(conn: &mut DbConnection, candidate: i64) -> Result<Option<GridRow>, AppError> {
    type Row = (
        String,
        String,
        Option<f64>,
        Option<String>,
        String,
        Option<NaiveDateTime>,
    );
    let row: Option<Row> = exam_grids::table
        .find(candidate)
        .select((
            exam_grids::levels,
            exam_grids::comments,
            exam_grids::final_mark,
            exam_grids::justification,
            exam_grids::status,
            exam_grids::locked_at,
        ))
        .first(conn)
        .optional()?;
    row.map(
        |(levels, comments, final_mark, justification, status, locked_at)| {
            Ok(GridRow {
                levels: serde_json::from_str(&levels)?,
                comments: serde_json::from_str(&comments)?,
                final_mark,
                justification,
                locked: status == "locked",
                locked_at,
            })
        },
    )
    .transpose()
}

/// The template in the version the candidate's session opened with.
fn template_of(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    ctx: &Context,
) -> Result<GridTemplate, AppError> {
    at_version(
        conn,
        snapshot,
        ctx.session.establishment_id,
        &ctx.session.template_id,
        u32::try_from(ctx.session.template_version).unwrap_or(1),
    )
}

/// The candidate's grid for a member of its jury to write: 403 for others who see it,
/// 409 once locked.
fn writable(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    principal: &Principal,
    id: i64,
) -> Result<(Context, GridTemplate), AppError> {
    let ctx = context(conn, principal, id)?;
    ensure_member(&ctx)?;
    ensure_open(conn, id)?;
    let template = template_of(conn, snapshot, &ctx)?;
    Ok((ctx, template))
}

/// Signatures are for one state of the agreed grid: any change or reopening clears them.
fn clear_signatures(conn: &mut DbConnection, candidate: i64) -> Result<(), AppError> {
    diesel::delete(
        exam_grid_signatures::table.filter(exam_grid_signatures::candidate_id.eq(candidate)),
    )
    .execute(conn)?;
    Ok(())
}

pub(crate) fn build(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    ctx: &Context,
) -> Result<CandidateGrid, AppError> {
    let template = template_of(conn, snapshot, ctx)?;
    let full = session(conn, snapshot, ctx.session.clone(), None)?;
    let candidate: Candidate = full
        .candidates
        .iter()
        .find(|c| c.id == ctx.candidate_id)
        .cloned()
        .ok_or_else(|| candidate_not_found(ctx.candidate_id))?;
    let jury = full
        .juries
        .iter()
        .find(|j| Some(j.id) == ctx.jury_id)
        .cloned();
    let row = grid_row(conn, ctx.candidate_id)?;
    let (levels, comments, final_mark, justification, locked, locked_at) = match row {
        Some(r) => (
            r.levels,
            r.comments,
            r.final_mark,
            r.justification,
            r.locked,
            r.locked_at,
        ),
        None => (Vec::new(), Vec::new(), None, None, false, None),
    };
    let mut members = Vec::new();
    if ctx.reader != Reader::Candidate {
        type MemberRow = (i64, String, String, String, String, NaiveDateTime);
        let rows: Vec<MemberRow> = exam_grid_members::table
            .inner_join(users::table.on(users::id.eq(exam_grid_members::user_id)))
            .filter(exam_grid_members::candidate_id.eq(ctx.candidate_id))
            .select((
                users::id,
                users::first_name,
                users::last_name,
                exam_grid_members::levels,
                exam_grid_members::comments,
                exam_grid_members::updated_at,
            ))
            .load(conn)?;
        for m in jury.iter().flat_map(|j| j.members.iter()) {
            let own = rows.iter().find(|r| r.0 == m.person.id);
            members.push(MemberAssessment {
                member: m.person.clone(),
                role: m.role,
                levels: own
                    .map(|r| serde_json::from_str(&r.3))
                    .transpose()?
                    .unwrap_or_default(),
                comments: own
                    .map(|r| serde_json::from_str(&r.4))
                    .transpose()?
                    .unwrap_or_default(),
                updated_at: own.map(|r| r.5),
            });
        }
    }
    // A criterion is in disagreement when members who assessed it chose different levels.
    let disagreements: Vec<String> = template
        .criteria
        .iter()
        .filter(|c| {
            let chosen: HashSet<u8> = members
                .iter()
                .filter_map(|m| m.levels.iter().find(|l| l.code == c.code).map(|l| l.level))
                .collect();
            chosen.len() > 1
        })
        .map(|c| c.code.clone())
        .collect();
    let proposed_mark = propose(&template, &levels);
    let signatures: Vec<Signature> = exam_grid_signatures::table
        .inner_join(users::table.on(users::id.eq(exam_grid_signatures::user_id)))
        .filter(exam_grid_signatures::candidate_id.eq(ctx.candidate_id))
        .order(exam_grid_signatures::signed_at)
        .select((
            users::id,
            users::first_name,
            users::last_name,
            exam_grid_signatures::signed_at,
        ))
        .load::<(i64, String, String, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(id, first_name, last_name, signed_at)| Signature {
            member: PersonRef {
                id,
                first_name,
                last_name,
            },
            signed_at,
        })
        .collect();
    let portfolio = if ctx.reader == Reader::Candidate {
        Vec::new()
    } else {
        fiches::table
            .filter(fiches::student_id.eq(ctx.student_id))
            .filter(fiches::referential_id.eq(&template.referential_id))
            .filter(fiches::status.eq(FicheStatus::Validated.as_str()))
            .order(fiches::starts_on.asc())
            .select(fiches::id)
            .load(conn)?
    };
    Ok(CandidateGrid {
        can_edit: ctx.reader == Reader::Member && !locked,
        candidate,
        session_id: ctx.session.id,
        session_label: ctx.session.label.clone(),
        template,
        jury: if ctx.reader == Reader::Candidate {
            None
        } else {
            jury
        },
        members,
        levels,
        comments,
        disagreements,
        proposed_mark,
        final_mark,
        justification,
        status: if locked {
            GridStatus::Locked
        } else {
            GridStatus::Open
        },
        signatures: if locked || ctx.reader != Reader::Candidate {
            signatures
        } else {
            Vec::new()
        },
        locked_at,
        portfolio,
    })
}

pub(crate) fn propose(template: &GridTemplate, levels: &[CriterionLevel]) -> Option<f64> {
    let by_code: BTreeMap<&str, u8> = levels.iter().map(|l| (l.code.as_str(), l.level)).collect();
    let chosen: Vec<Option<u8>> = template
        .criteria
        .iter()
        .map(|c| by_code.get(c.code.as_str()).copied())
        .collect();
    let weights: Vec<f64> = template.criteria.iter().map(|c| c.weight).collect();
    template
        .rule
        .propose(&chosen, &weights, template.scale.len())
}

/// Levels on criteria of the template, in its scale; comments in its fields. 422 naming
/// the entry otherwise.
pub(crate) fn check_levels(
    template: &GridTemplate,
    levels: &[CriterionLevel],
    comments: &[GridComment],
) -> Result<(), AppError> {
    let mut seen = HashSet::new();
    for (i, level) in levels.iter().enumerate() {
        if !template.criteria.iter().any(|c| c.code == level.code) {
            return Err(AppError::unprocessable(
                "unknown_criterion",
                format!(
                    "levels[{i}] : « {} » n'est pas un critère de la grille",
                    level.code
                ),
            ));
        }
        if !seen.insert(level.code.as_str()) {
            return Err(field_error(&format!("levels[{i}]"), "critère en double"));
        }
        if level.level == 0 || usize::from(level.level) > template.scale.len() {
            return Err(AppError::unprocessable(
                "invalid_level",
                format!(
                    "levels[{i}] : le niveau {} n'est pas dans l'échelle (1 à {} : {})",
                    level.level,
                    template.scale.len(),
                    template.scale.join(", ")
                ),
            ));
        }
    }
    for (i, comment) in comments.iter().enumerate() {
        if !template.comment_fields.contains(&comment.field) {
            return Err(AppError::unprocessable(
                "unknown_field",
                format!(
                    "comments[{i}] : la grille n'a pas de case « {} »",
                    comment.field
                ),
            ));
        }
        if comment.text.chars().count() > COMMENT_MAX_CHARS {
            return Err(field_error(
                &format!("comments[{i}]"),
                &format!("{COMMENT_MAX_CHARS} caractères au plus"),
            ));
        }
    }
    Ok(())
}

fn ensure_member(ctx: &Context) -> Result<(), AppError> {
    if ctx.reader == Reader::Member {
        return Ok(());
    }
    Err(AppError::forbidden(
        "seuls les membres du jury du candidat remplissent sa grille",
    ))
}

fn ensure_open(conn: &mut DbConnection, candidate: i64) -> Result<(), AppError> {
    if grid_row(conn, candidate)?.is_some_and(|g| g.locked) {
        return Err(AppError::conflict(
            "grid_locked",
            "la grille est verrouillée : seul un administrateur peut la rouvrir",
        ));
    }
    Ok(())
}

async fn get(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let grid = run(&state.pool, move |conn| {
        let ctx = context(conn, &principal, id)?;
        build(conn, &referentials, &ctx)
    })
    .await?;
    Ok(HttpResponse::Ok().json(grid))
}

async fn put_mine(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    body: web::Json<MemberAssessmentInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let input = body.into_inner();
    let now = Utc::now().naive_utc();
    let grid = crate::db::write(&state.pool, move |conn| {
        let (ctx, template) = writable(conn, &referentials, &principal, id)?;
        check_levels(&template, &input.levels, &input.comments)?;
        let levels = serde_json::to_string(&input.levels)?;
        let comments = serde_json::to_string(&input.comments)?;
        conn.transaction::<_, AppError, _>(|conn| {
            diesel::delete(
                exam_grid_members::table
                    .filter(exam_grid_members::candidate_id.eq(id))
                    .filter(exam_grid_members::user_id.eq(principal.user_id)),
            )
            .execute(conn)?;
            diesel::insert_into(exam_grid_members::table)
                .values((
                    exam_grid_members::candidate_id.eq(id),
                    exam_grid_members::user_id.eq(principal.user_id),
                    exam_grid_members::levels.eq(&levels),
                    exam_grid_members::comments.eq(&comments),
                    exam_grid_members::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(())
        })?;
        build(conn, &referentials, &ctx)
    })
    .await?;
    Ok(HttpResponse::Ok().json(grid))
}

/// The agreed grid; any change clears the signatures given so far.
async fn put_agreed(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    body: web::Json<AgreedGridInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let input = body.into_inner();
    if let Some(mark) = input.final_mark {
        if !(0.0..=20.0).contains(&mark) || (mark * 2.0).fract() != 0.0 {
            return Err(AppError::unprocessable(
                "invalid_mark",
                format!("final_mark : {mark} n'est pas une note de 0 à 20 (au demi-point)"),
            ));
        }
    }
    let now = Utc::now().naive_utc();
    let grid = crate::db::write(&state.pool, move |conn| {
        let (ctx, template) = writable(conn, &referentials, &principal, id)?;
        check_levels(&template, &input.levels, &input.comments)?;
        let proposed = propose(&template, &input.levels);
        let justification = input
            .justification
            .as_deref()
            .map(str::trim)
            .filter(|j| !j.is_empty())
            .map(str::to_owned);
        let adjusted = input.final_mark.is_some_and(|m| Some(m) != proposed);
        if adjusted && justification.is_none() {
            return Err(field_error(
                "justification",
                "une note différente de la note proposée doit être justifiée",
            ));
        }
        write_agreed(conn, id, &input, justification, principal.user_id, now)?;
        build(conn, &referentials, &ctx)
    })
    .await?;
    Ok(HttpResponse::Ok().json(grid))
}

/// Writes the agreed grid of `candidate` (checked by the caller: levels, mark,
/// justification) and clears the signatures given so far. Shared with the offline import.
pub(crate) fn write_agreed(
    conn: &mut DbConnection,
    candidate: i64,
    input: &AgreedGridInput,
    justification: Option<String>,
    actor: i64,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let values = (
        exam_grids::levels.eq(serde_json::to_string(&input.levels)?),
        exam_grids::comments.eq(serde_json::to_string(&input.comments)?),
        exam_grids::final_mark.eq(input.final_mark),
        exam_grids::justification.eq(justification),
        exam_grids::status.eq("open"),
        exam_grids::updated_at.eq(now),
        exam_grids::updated_by.eq(actor),
    );
    conn.transaction::<_, AppError, _>(|conn| {
        let updated = diesel::update(exam_grids::table.find(candidate))
            .set(values.clone())
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(exam_grids::table)
                .values((exam_grids::candidate_id.eq(candidate), values))
                .execute(conn)?;
        }
        clear_signatures(conn, candidate)
    })
}

/// A member signs the agreed grid; the last signature locks it. The grid must assess
/// every criterion and carry a mark.
async fn sign(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let now = Utc::now().naive_utc();
    let grid = crate::db::write(&state.pool, move |conn| {
        let (ctx, _) = writable(conn, &referentials, &principal, id)?;
        let current = build(conn, &referentials, &ctx)?;
        let missing: Vec<&str> = current
            .template
            .criteria
            .iter()
            .filter(|c| !current.levels.iter().any(|l| l.code == c.code))
            .map(|c| c.code.as_str())
            .collect();
        if !missing.is_empty() || current.final_mark.or(current.proposed_mark).is_none() {
            return Err(AppError::unprocessable(
                "grid_incomplete",
                format!(
                    "la grille commune n'est pas complète : critères sans niveau : {}",
                    missing.join(", ")
                ),
            ));
        }
        if current
            .signatures
            .iter()
            .any(|s| s.member.id == principal.user_id)
        {
            return Ok(current);
        }
        let members = current.jury.as_ref().map_or(0, |j| j.members.len());
        conn.transaction::<_, AppError, _>(|conn| {
            diesel::insert_into(exam_grid_signatures::table)
                .values((
                    exam_grid_signatures::candidate_id.eq(id),
                    exam_grid_signatures::user_id.eq(principal.user_id),
                    exam_grid_signatures::signed_at.eq(now),
                ))
                .execute(conn)?;
            if current.signatures.len() + 1 >= members {
                diesel::update(exam_grids::table.find(id))
                    .set((
                        exam_grids::status.eq("locked"),
                        exam_grids::locked_at.eq(now),
                    ))
                    .execute(conn)?;
                let locked = build(conn, &referentials, &ctx)?;
                record(
                    conn,
                    &ctx,
                    principal.user_id,
                    now,
                    "grid.locked",
                    None,
                    &locked,
                )?;
            }
            Ok(())
        })?;
        build(conn, &referentials, &ctx)
    })
    .await?;
    Ok(HttpResponse::Ok().json(grid))
}

fn record(
    conn: &mut DbConnection,
    ctx: &Context,
    actor: i64,
    now: NaiveDateTime,
    action: &str,
    reason: Option<&str>,
    grid: &CandidateGrid,
) -> Result<(), AppError> {
    diesel::insert_into(exam_grid_audit::table)
        .values((
            exam_grid_audit::candidate_id.eq(ctx.candidate_id),
            exam_grid_audit::actor_id.eq(actor),
            exam_grid_audit::at.eq(now),
            exam_grid_audit::action.eq(action),
            exam_grid_audit::reason.eq(reason),
            exam_grid_audit::snapshot.eq(serde_json::to_string(grid)?),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        now,
        Entry {
            actor_id: Some(actor),
            establishment_id: Some(ctx.session.establishment_id),
            action,
            object: &format!("candidate:{}", ctx.candidate_id),
            detail: reason.unwrap_or(""),
        },
    )
}

/// Admins only, with a reason: the grid opens again and its signatures are cleared; the
/// audit holds the locked grid as it was.
async fn reopen(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    body: web::Json<GridReopenInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let reason = body.into_inner().reason.trim().to_owned();
    if reason.is_empty() {
        return Err(field_error(
            "reason",
            "indiquez pourquoi la grille est rouverte",
        ));
    }
    let now = Utc::now().naive_utc();
    let grid = crate::db::write(&state.pool, move |conn| {
        let ctx = context(conn, &principal, id)?;
        if !(principal.has(Role::Admin)
            && principal.establishment_id == Some(ctx.session.establishment_id))
        {
            return Err(AppError::forbidden(
                "seul un administrateur peut rouvrir une grille",
            ));
        }
        if !grid_row(conn, id)?.is_some_and(|g| g.locked) {
            return Err(AppError::conflict(
                "grid_not_locked",
                "la grille n'est pas verrouillée",
            ));
        }
        conn.transaction::<_, AppError, _>(|conn| {
            let before = build(conn, &referentials, &ctx)?;
            record(
                conn,
                &ctx,
                principal.user_id,
                now,
                "grid.reopened",
                Some(&reason),
                &before,
            )?;
            diesel::update(exam_grids::table.find(id))
                .set((
                    exam_grids::status.eq("open"),
                    exam_grids::locked_at.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?;
            clear_signatures(conn, id)?;
            Ok(())
        })?;
        build(conn, &referentials, &ctx)
    })
    .await?;
    Ok(HttpResponse::Ok().json(grid))
}

/// Admins: candidates may read their agreed grid from now on.
async fn publish(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::people::admin_establishment(&principal)?;
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let now = Utc::now().naive_utc();
    let answer = crate::db::write(&state.pool, move |conn| {
        let row = super::sessions::administered(conn, &principal, id)?;
        conn.transaction::<_, AppError, _>(|conn| {
            diesel::update(exam_sessions::table.find(id))
                .set(exam_sessions::published.eq(true))
                .execute(conn)?;
            audit::record(
                conn,
                now,
                Entry {
                    actor_id: Some(principal.user_id),
                    establishment_id: Some(row.establishment_id),
                    action: "exam_session.published",
                    object: &format!("exam_session:{id}"),
                    detail: "",
                },
            )
        })?;
        let row = super::sessions::administered(conn, &principal, id)?;
        session(conn, &referentials, row, None)
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// A student's grids of published sessions, newest session first.
async fn mine(state: web::Data<AppState>, principal: Principal) -> Result<HttpResponse, AppError> {
    let referentials = snapshot(&state).await?;
    let grids = run(&state.pool, move |conn| {
        let ids: Vec<i64> = exam_candidates::table
            .inner_join(exam_sessions::table)
            .filter(exam_candidates::student_id.eq(principal.user_id))
            .filter(exam_sessions::published.eq(true))
            .order((exam_sessions::starts_on.desc(), exam_candidates::id))
            .select(exam_candidates::id)
            .load(conn)?;
        ids.into_iter()
            .map(|id| {
                let ctx = context(conn, &principal, id)?;
                build(conn, &referentials, &ctx)
            })
            .collect::<Result<Vec<_>, AppError>>()
    })
    .await?;
    Ok(HttpResponse::Ok().json(grids))
}
