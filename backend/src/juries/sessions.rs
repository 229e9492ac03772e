//! Exam sessions: an admin opens one for an épreuve with the candidates of some classes,
//! composes juries (two members at least; for a certification, the composition its
//! access route requires), assigns candidates and marks incomplete dossiers non conforme.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;
use passerelle_api::{
    AttrValue, Candidate, ConformityInput, ExamSession, ExamSessionInput, ExamSessionSummary, Jury,
    JuryCandidates, JuryInput, JuryMember, JuryRole, PersonRef, Role,
};

use super::handlers::current;
use crate::audit::{self, Entry};
use crate::auth::store::Principal;
use crate::db::{run, DbConnection};
use crate::error::AppError;
use crate::people::{admin_establishment, field_error, required};
use crate::referentials::api::snapshot;
use crate::referentials::catalog::Snapshot;
use crate::schema::{
    class_students, classes, exam_candidates, exam_sessions, juries, jury_members, user_roles,
    users,
};
use crate::server::AppState;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/exam-sessions", web::get().to(list))
        .route("/exam-sessions", web::post().to(create))
        .route("/exam-sessions/{id}", web::get().to(get))
        .route("/exam-sessions/{id}/juries", web::post().to(create_jury))
        .route("/juries/{id}/candidates", web::put().to(assign))
        .route("/candidates/{id}/conformity", web::put().to(conformity));
}

#[derive(Debug, Clone, Queryable)]
pub(crate) struct SessionRow {
    pub(crate) id: i64,
    pub(crate) establishment_id: i64,
    pub(crate) template_id: String,
    pub(crate) template_version: i32,
    pub(crate) label: String,
    pub(crate) starts_on: chrono::NaiveDate,
    pub(crate) ends_on: chrono::NaiveDate,
    pub(crate) access_route: Option<String>,
    pub(crate) published: bool,
}

pub(crate) fn session_columns() -> (
    exam_sessions::id,
    exam_sessions::establishment_id,
    exam_sessions::template_id,
    exam_sessions::template_version,
    exam_sessions::label,
    exam_sessions::starts_on,
    exam_sessions::ends_on,
    exam_sessions::access_route,
    exam_sessions::published,
) {
    (
        exam_sessions::id,
        exam_sessions::establishment_id,
        exam_sessions::template_id,
        exam_sessions::template_version,
        exam_sessions::label,
        exam_sessions::starts_on,
        exam_sessions::ends_on,
        exam_sessions::access_route,
        exam_sessions::published,
    )
}

fn session_not_found(id: i64) -> AppError {
    AppError::not_found(format!("session d'examen introuvable : {id}"))
}

/// The juries of `session` the principal sits on.
fn juries_of_member(
    conn: &mut DbConnection,
    session: i64,
    user: i64,
) -> Result<Vec<i64>, AppError> {
    Ok(jury_members::table
        .inner_join(juries::table)
        .filter(juries::session_id.eq(session))
        .filter(jury_members::user_id.eq(user))
        .select(juries::id)
        .load(conn)?)
}

/// The session if the principal administers its establishment (`None`) or sits on one
/// of its juries (`Some(juries)`); 404 otherwise.
fn visible_session(
    conn: &mut DbConnection,
    principal: &Principal,
    id: i64,
) -> Result<(SessionRow, Option<Vec<i64>>), AppError> {
    let row: SessionRow = exam_sessions::table
        .find(id)
        .select(session_columns())
        .first(conn)
        .optional()?
        .ok_or_else(|| session_not_found(id))?;
    if principal.has(Role::Admin) && principal.establishment_id == Some(row.establishment_id) {
        return Ok((row, None));
    }
    let mine = juries_of_member(conn, id, principal.user_id)?;
    if mine.is_empty() {
        return Err(session_not_found(id));
    }
    Ok((row, Some(mine)))
}

/// The composition required by a certification's access route (`J1`…), from the data.
fn required_composition(
    snapshot: &Snapshot,
    referential: &str,
    route: Option<&str>,
) -> Vec<String> {
    let Some(route) = route else {
        return Vec::new();
    };
    match snapshot
        .get(referential)
        .and_then(|e| e.item(route))
        .and_then(|j| j.attributes.get("composition"))
    {
        Some(AttrValue::List(members)) => members.clone(),
        _ => Vec::new(),
    }
}

fn person_of(id: i64, first_name: String, last_name: String) -> PersonRef {
    PersonRef {
        id,
        first_name,
        last_name,
    }
}

/// The whole session as `jury_filter` allows (`None`: everything).
pub(crate) fn session(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    row: SessionRow,
    jury_filter: Option<&[i64]>,
) -> Result<ExamSession, AppError> {
    let template = current(conn, snapshot, row.establishment_id, &row.template_id)?;
    let jury_rows: Vec<(i64, String)> = juries::table
        .filter(juries::session_id.eq(row.id))
        .order(juries::id)
        .select((juries::id, juries::name))
        .load(conn)?;
    let member_rows: Vec<(i64, i64, String, String, String)> = jury_members::table
        .inner_join(juries::table)
        .inner_join(users::table.on(users::id.eq(jury_members::user_id)))
        .filter(juries::session_id.eq(row.id))
        .order((jury_members::jury_id, users::last_name, users::first_name))
        .select((
            jury_members::jury_id,
            users::id,
            users::first_name,
            users::last_name,
            jury_members::role,
        ))
        .load(conn)?;
    type CandidateRow = (
        i64,
        i64,
        String,
        String,
        String,
        String,
        Option<i64>,
        bool,
        Option<String>,
    );
    let candidate_rows: Vec<CandidateRow> = exam_candidates::table
        .inner_join(users::table.on(users::id.eq(exam_candidates::student_id)))
        .inner_join(classes::table)
        .filter(exam_candidates::session_id.eq(row.id))
        .order(exam_candidates::number)
        .select((
            exam_candidates::id,
            users::id,
            users::first_name,
            users::last_name,
            exam_candidates::number,
            classes::name,
            exam_candidates::jury_id,
            exam_candidates::conforme,
            exam_candidates::nonconformity_reason,
        ))
        .load(conn)?;
    let shown = |jury: Option<i64>| match jury_filter {
        None => true,
        Some(allowed) => jury.is_some_and(|j| allowed.contains(&j)),
    };
    let candidates: Vec<Candidate> = candidate_rows
        .into_iter()
        .filter(|c| shown(c.6))
        .map(
            |(
                id,
                student,
                first_name,
                last_name,
                number,
                class_name,
                jury_id,
                conforme,
                reason,
            )| {
                Candidate {
                    id,
                    student: person_of(student, first_name, last_name),
                    number,
                    class_name,
                    jury_id,
                    conforme,
                    nonconformity_reason: reason,
                }
            },
        )
        .collect();
    let mut members: HashMap<i64, Vec<JuryMember>> = HashMap::new();
    for (jury, id, first_name, last_name, role) in member_rows {
        members.entry(jury).or_default().push(JuryMember {
            person: person_of(id, first_name, last_name),
            role: JuryRole::parse(&role).unwrap_or(JuryRole::Teacher),
        });
    }
    let juries = jury_rows
        .into_iter()
        .filter(|(id, _)| shown(Some(*id)))
        .map(|(id, name)| Jury {
            id,
            name,
            members: members.remove(&id).unwrap_or_default(),
            candidates: candidates
                .iter()
                .filter(|c| c.jury_id == Some(id))
                .map(|c| c.id)
                .collect(),
        })
        .collect();
    Ok(ExamSession {
        id: row.id,
        label: row.label,
        template_id: row.template_id,
        template_version: u32::try_from(row.template_version).unwrap_or(1),
        epreuve: template.epreuve,
        title: template.title,
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        required_composition: required_composition(
            snapshot,
            &template.referential_id,
            row.access_route.as_deref(),
        ),
        access_route: row.access_route,
        published: row.published,
        juries,
        candidates,
    })
}

/// Admins: the establishment's sessions; others: the sessions they sit on a jury of.
async fn list(state: web::Data<AppState>, principal: Principal) -> Result<HttpResponse, AppError> {
    let referentials = snapshot(&state).await?;
    let list = run(&state.pool, move |conn| {
        let rows: Vec<SessionRow> = if principal.has(Role::Admin) {
            let Some(establishment) = principal.establishment_id else {
                return Ok(Vec::new());
            };
            exam_sessions::table
                .filter(exam_sessions::establishment_id.eq(establishment))
                .order((exam_sessions::starts_on.desc(), exam_sessions::id))
                .select(session_columns())
                .load(conn)?
        } else {
            let sat: Vec<i64> = jury_members::table
                .inner_join(juries::table)
                .filter(jury_members::user_id.eq(principal.user_id))
                .select(juries::session_id)
                .load(conn)?;
            exam_sessions::table
                .filter(exam_sessions::id.eq_any(sat))
                .order((exam_sessions::starts_on.desc(), exam_sessions::id))
                .select(session_columns())
                .load(conn)?
        };
        rows.into_iter()
            .map(|row| {
                let candidates: i64 = exam_candidates::table
                    .filter(exam_candidates::session_id.eq(row.id))
                    .count()
                    .get_result(conn)?;
                let jury_count: i64 = juries::table
                    .filter(juries::session_id.eq(row.id))
                    .count()
                    .get_result(conn)?;
                let template =
                    current(conn, &referentials, row.establishment_id, &row.template_id)?;
                Ok(ExamSessionSummary {
                    id: row.id,
                    label: row.label,
                    template_id: row.template_id,
                    epreuve: template.epreuve,
                    title: template.title,
                    starts_on: row.starts_on,
                    ends_on: row.ends_on,
                    candidates: u32::try_from(candidates).unwrap_or(0),
                    juries: u32::try_from(jury_count).unwrap_or(0),
                    published: row.published,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<ExamSessionInput>,
) -> Result<HttpResponse, AppError> {
    let establishment = admin_establishment(&principal)?;
    let referentials = snapshot(&state).await?;
    let input = body.into_inner();
    let label = required("label", &input.label, 120)?;
    if input.ends_on < input.starts_on {
        return Err(field_error(
            "ends_on",
            "la date de fin précède la date de début",
        ));
    }
    if input.class_ids.is_empty() {
        return Err(field_error("class_ids", "au moins une classe de candidats"));
    }
    let now = Utc::now().naive_utc();
    let created = crate::db::write(&state.pool, move |conn| {
        let template =
            current(conn, &referentials, establishment, &input.template_id).map_err(|_| {
                AppError::unprocessable(
                    "unknown_template",
                    format!("template_id : grille inconnue : {}", input.template_id),
                )
            })?;
        let access_route = match input.access_route.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(route) => {
                if required_composition(&referentials, &template.referential_id, Some(route))
                    .is_empty()
                {
                    return Err(AppError::unprocessable(
                        "unknown_access_route",
                        format!(
                            "access_route : « {route} » n'est pas une voie d'accès de {} \
                             (composition du jury inconnue)",
                            template.referential_id
                        ),
                    ));
                }
                Some(route.to_owned())
            }
        };
        let found: Vec<(i64, String)> = classes::table
            .filter(classes::id.eq_any(&input.class_ids))
            .filter(classes::establishment_id.eq(establishment))
            .select((classes::id, classes::referential_id))
            .load(conn)?;
        for (i, class) in input.class_ids.iter().enumerate() {
            match found.iter().find(|(id, _)| id == class) {
                None => {
                    return Err(AppError::unprocessable(
                        "unknown_class",
                        format!("class_ids[{i}] : classe inconnue : {class}"),
                    ))
                }
                Some((_, referential)) if *referential != template.referential_id => {
                    return Err(AppError::unprocessable(
                        "wrong_referential",
                        format!(
                            "class_ids[{i}] : la classe {class} prépare {referential}, pas {}",
                            template.referential_id
                        ),
                    ))
                }
                _ => {}
            }
        }
        let students: Vec<(i64, i64)> = class_students::table
            .inner_join(users::table)
            .filter(class_students::class_id.eq_any(&input.class_ids))
            .order((users::last_name, users::first_name, users::id))
            .select((class_students::user_id, class_students::class_id))
            .load(conn)?;
        let id = conn.transaction::<_, AppError, _>(|conn| {
            let id = diesel::insert_into(exam_sessions::table)
                .values((
                    exam_sessions::establishment_id.eq(establishment),
                    exam_sessions::template_id.eq(&input.template_id),
                    exam_sessions::template_version.eq(template.version as i32),
                    exam_sessions::label.eq(&label),
                    exam_sessions::starts_on.eq(input.starts_on),
                    exam_sessions::ends_on.eq(input.ends_on),
                    exam_sessions::access_route.eq(access_route.as_deref()),
                    exam_sessions::published.eq(false),
                    exam_sessions::created_by.eq(principal.user_id),
                    exam_sessions::created_at.eq(now),
                ))
                .returning(exam_sessions::id)
                .get_result::<i64>(conn)?;
            let mut seen = std::collections::HashSet::new();
            let rows: Vec<_> = students
                .iter()
                .filter(|(student, _)| seen.insert(*student))
                .enumerate()
                .map(|(n, (student, class))| {
                    (
                        exam_candidates::session_id.eq(id),
                        exam_candidates::student_id.eq(*student),
                        exam_candidates::class_id.eq(*class),
                        exam_candidates::number.eq(format!("{:04}", n + 1)),
                        exam_candidates::conforme.eq(true),
                    )
                })
                .collect();
            crate::insert_in_chunks!(conn, exam_candidates::table, rows, |row| row.clone());
            audit::record(
                conn,
                now,
                Entry {
                    actor_id: Some(principal.user_id),
                    establishment_id: Some(establishment),
                    action: "exam_session.opened",
                    object: &format!("exam_session:{id}"),
                    detail: &format!("{} — {} candidats", input.template_id, rows.len()),
                },
            )?;
            Ok(id)
        })?;
        let (row, _) = visible_session(conn, &principal, id)?;
        session(conn, &referentials, row, None)
    })
    .await?;
    Ok(HttpResponse::Created().json(created))
}

async fn get(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let answer = run(&state.pool, move |conn| {
        let (row, juries) = visible_session(conn, &principal, id)?;
        session(conn, &referentials, row, juries.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// The session if the principal administers it; 404 otherwise (jury members included:
/// composing juries is the exam office's work).
pub(crate) fn administered(
    conn: &mut DbConnection,
    principal: &Principal,
    id: i64,
) -> Result<SessionRow, AppError> {
    admin_establishment(principal)?;
    match visible_session(conn, principal, id)? {
        (row, None) => Ok(row),
        (_, Some(_)) => Err(session_not_found(id)),
    }
}

async fn create_jury(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    body: web::Json<JuryInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let input = body.into_inner();
    let name = required("name", &input.name, 120)?;
    let answer = crate::db::write(&state.pool, move |conn| {
        let row = administered(conn, &principal, id)?;
        let mut members: Vec<(i64, JuryRole)> = Vec::new();
        for (i, member) in input.members.iter().enumerate() {
            if members.iter().any(|(u, _)| *u == member.user_id) {
                return Err(field_error(&format!("members[{i}]"), "membre en double"));
            }
            // Staff or jury accounts of the establishment, enabled.
            let roles: Vec<String> = user_roles::table
                .inner_join(users::table)
                .filter(users::id.eq(member.user_id))
                .filter(users::establishment_id.eq(row.establishment_id))
                .filter(users::disabled.eq(false))
                .select(user_roles::role)
                .load(conn)?;
            if !roles
                .iter()
                .any(|r| r == "teacher" || r == "jury" || r == "admin")
            {
                return Err(AppError::unprocessable(
                    "unknown_member",
                    format!(
                        "members[{i}] : le compte {} n'est ni enseignant ni membre de jury de \
                         l'établissement",
                        member.user_id
                    ),
                ));
            }
            members.push((member.user_id, member.role));
        }
        if members.len() < 2 {
            return Err(AppError::unprocessable(
                "jury_too_small",
                "members : un jury compte au moins deux membres",
            ));
        }
        let template = current(conn, &referentials, row.establishment_id, &row.template_id)?;
        let composition = required_composition(
            &referentials,
            &template.referential_id,
            row.access_route.as_deref(),
        );
        if !composition.is_empty() {
            let externals = composition.iter().filter(|m| m.contains("externe")).count();
            let outside = members
                .iter()
                .filter(|(_, r)| *r != JuryRole::Teacher)
                .count();
            if members.len() < composition.len() || outside < externals {
                return Err(AppError::unprocessable(
                    "jury_composition",
                    format!(
                        "members : la voie d'accès {} demande un jury de {} membres dont {} \
                         extérieurs : {}",
                        row.access_route.as_deref().unwrap_or_default(),
                        composition.len(),
                        externals,
                        composition.join(" ; ")
                    ),
                ));
            }
        }
        conn.transaction::<_, AppError, _>(|conn| {
            let jury = diesel::insert_into(juries::table)
                .values((juries::session_id.eq(id), juries::name.eq(&name)))
                .returning(juries::id)
                .get_result::<i64>(conn)?;
            for (user, role) in &members {
                diesel::insert_into(jury_members::table)
                    .values((
                        jury_members::jury_id.eq(jury),
                        jury_members::user_id.eq(user),
                        jury_members::role.eq(role.as_str()),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })?;
        session(conn, &referentials, row, None)
    })
    .await?;
    Ok(HttpResponse::Created().json(answer))
}

/// The jury's candidates become exactly `candidate_ids` (moved from another jury if
/// need be); candidates of another session → 422 naming them.
async fn assign(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    body: web::Json<JuryCandidates>,
) -> Result<HttpResponse, AppError> {
    admin_establishment(&principal)?;
    let jury = id.into_inner();
    let referentials = snapshot(&state).await?;
    let wanted = body.into_inner().candidate_ids;
    let answer = crate::db::write(&state.pool, move |conn| {
        let session_id = juries::table
            .find(jury)
            .select(juries::session_id)
            .first::<i64>(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found(format!("jury introuvable : {jury}")))?;
        let row = administered(conn, &principal, session_id)
            .map_err(|_| AppError::not_found(format!("jury introuvable : {jury}")))?;
        let of_session: Vec<i64> = exam_candidates::table
            .filter(exam_candidates::session_id.eq(session_id))
            .filter(exam_candidates::id.eq_any(&wanted))
            .select(exam_candidates::id)
            .load(conn)?;
        if let Some((i, c)) = wanted
            .iter()
            .enumerate()
            .find(|(_, c)| !of_session.contains(c))
        {
            return Err(AppError::unprocessable(
                "unknown_candidate",
                format!("candidate_ids[{i}] : le candidat {c} n'est pas de cette session"),
            ));
        }
        conn.transaction::<_, AppError, _>(|conn| {
            diesel::update(exam_candidates::table.filter(exam_candidates::jury_id.eq(jury)))
                .set(exam_candidates::jury_id.eq(None::<i64>))
                .execute(conn)?;
            diesel::update(exam_candidates::table.filter(exam_candidates::id.eq_any(&wanted)))
                .set(exam_candidates::jury_id.eq(jury))
                .execute(conn)?;
            Ok(())
        })?;
        session(conn, &referentials, row, None)
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}

async fn conformity(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    body: web::Json<ConformityInput>,
) -> Result<HttpResponse, AppError> {
    admin_establishment(&principal)?;
    let candidate = id.into_inner();
    let referentials = snapshot(&state).await?;
    let input = body.into_inner();
    let reason = match (input.conforme, input.reason.as_deref().map(str::trim)) {
        (true, _) => None,
        (false, Some(r)) if !r.is_empty() => Some(required("reason", r, 1000)?),
        (false, _) => {
            return Err(field_error(
                "reason",
                "indiquez pourquoi le dossier n'est pas conforme (la raison figure sur l'avis)",
            ))
        }
    };
    let now = Utc::now().naive_utc();
    let answer = crate::db::write(&state.pool, move |conn| {
        let not_found = || AppError::not_found(format!("candidat introuvable : {candidate}"));
        let session_id = exam_candidates::table
            .find(candidate)
            .select(exam_candidates::session_id)
            .first::<i64>(conn)
            .optional()?
            .ok_or_else(not_found)?;
        let row = administered(conn, &principal, session_id).map_err(|_| not_found())?;
        conn.transaction::<_, AppError, _>(|conn| {
            diesel::update(exam_candidates::table.find(candidate))
                .set((
                    exam_candidates::conforme.eq(input.conforme),
                    exam_candidates::nonconformity_reason.eq(reason.as_deref()),
                ))
                .execute(conn)?;
            audit::record(
                conn,
                now,
                Entry {
                    actor_id: Some(principal.user_id),
                    establishment_id: Some(row.establishment_id),
                    action: if input.conforme {
                        "candidate.conforme"
                    } else {
                        "candidate.non_conforme"
                    },
                    object: &format!("candidate:{candidate}"),
                    detail: reason.as_deref().unwrap_or(""),
                },
            )
        })?;
        let session = session(conn, &referentials, row, None)?;
        session
            .candidates
            .into_iter()
            .find(|c| c.id == candidate)
            .ok_or_else(not_found)
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}
