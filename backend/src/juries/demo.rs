//! The demo's exam session: épreuve E31 of the final-year AGOrA class, a jury of the
//! class's first teacher and the demo's professional, every candidate assigned; one grid
//! locked and signed, one being assessed (the members disagree on a criterion), one
//! dossier non conforme — so the jury screens are filled on first run.

use std::time::Instant;

use chrono::Duration;
use diesel::prelude::*;
use passerelle_api::{CriterionLevel, GridComment, JuryRole, Role};

use super::templates;
use crate::db::DbConnection;
use crate::demo::Demo;
use crate::error::AppError;
use crate::referentials::catalog::Catalog;
use crate::schema::{
    exam_candidates, exam_grid_members, exam_grid_signatures, exam_grids, exam_sessions, juries,
    jury_members, users,
};

const CLASS: &str = "T AGOrA A";
const TEMPLATE: &str = "bacpro-agora:E31";

pub fn step(conn: &mut DbConnection, demo: &mut Demo<'_>) -> Result<(), AppError> {
    let (plan, school) = (demo.plan, &demo.school);
    let Some(c) = plan.classes.iter().position(|c| c.name == CLASS) else {
        return Ok(());
    };
    let class = &plan.classes[c];
    let class_id = school.classes[c];
    let snapshot = Catalog::default().snapshot(conn, Instant::now())?;
    let template = templates::generated_one(&snapshot, TEMPLATE)
        .ok_or_else(|| AppError::internal(format!("demo: no template {TEMPLATE}")))?;
    let teacher = class
        .teachers
        .first()
        .map(|&t| school.people[t])
        .ok_or_else(|| AppError::internal("demo: the class has no teacher"))?;
    let professional = plan
        .people
        .iter()
        .position(|p| p.role == Role::Jury)
        .map(|p| school.people[p])
        .ok_or_else(|| AppError::internal("demo: no jury account"))?;
    let now = demo.now;
    let session = diesel::insert_into(exam_sessions::table)
        .values((
            exam_sessions::establishment_id.eq(school.establishment),
            exam_sessions::template_id.eq(TEMPLATE),
            exam_sessions::template_version.eq(1),
            exam_sessions::label.eq("Session 2027 — CCF E31"),
            exam_sessions::starts_on.eq(now.date()),
            exam_sessions::ends_on.eq(now.date() + Duration::days(120)),
            exam_sessions::published.eq(false),
            exam_sessions::created_by.eq(demo.admin()),
            exam_sessions::created_at.eq(now),
        ))
        .returning(exam_sessions::id)
        .get_result::<i64>(conn)?;
    let jury = diesel::insert_into(juries::table)
        .values((juries::session_id.eq(session), juries::name.eq("Jury 1")))
        .returning(juries::id)
        .get_result::<i64>(conn)?;
    for (user, role) in [
        (teacher, JuryRole::Teacher),
        (professional, JuryRole::Professional),
    ] {
        diesel::insert_into(jury_members::table)
            .values((
                jury_members::jury_id.eq(jury),
                jury_members::user_id.eq(user),
                jury_members::role.eq(role.as_str()),
            ))
            .execute(conn)?;
    }
    // Candidates in name order, as an opened session numbers them.
    let students: Vec<i64> = class.students.iter().map(|&p| school.people[p]).collect();
    let mut ordered: Vec<(String, String, i64)> = users::table
        .filter(users::id.eq_any(&students))
        .select((users::last_name, users::first_name, users::id))
        .load(conn)?;
    ordered.sort();
    let mut candidates = Vec::with_capacity(ordered.len());
    for (n, (_, _, student)) in ordered.iter().enumerate() {
        let id = diesel::insert_into(exam_candidates::table)
            .values((
                exam_candidates::session_id.eq(session),
                exam_candidates::student_id.eq(student),
                exam_candidates::class_id.eq(class_id),
                exam_candidates::number.eq(format!("{:04}", n + 1)),
                exam_candidates::jury_id.eq(jury),
                exam_candidates::conforme.eq(n != 2),
                exam_candidates::nonconformity_reason.eq((n == 2)
                    .then_some("Dossier incomplet : attestations de PFMP manquantes (2 sur 3)")),
            ))
            .returning(exam_candidates::id)
            .get_result::<i64>(conn)?;
        candidates.push(id);
    }
    let levels = |shift: usize| -> Vec<CriterionLevel> {
        template
            .criteria
            .iter()
            .enumerate()
            .map(|(i, c)| CriterionLevel {
                code: c.code.clone(),
                level: [3, 4, 3, 2][(i + shift) % 4],
            })
            .collect()
    };
    let comment = |text: &str| {
        vec![GridComment {
            field: "Appréciation du jury".to_owned(),
            text: text.to_owned(),
        }]
    };
    // The first candidate: assessed by both, agreed, signed, locked.
    if let Some(&first) = candidates.first() {
        let agreed = levels(0);
        for member in [teacher, professional] {
            member_assessment(conn, first, member, &agreed, now)?;
        }
        diesel::insert_into(exam_grids::table)
            .values((
                exam_grids::candidate_id.eq(first),
                exam_grids::levels.eq(serde_json::to_string(&agreed)?),
                exam_grids::comments.eq(serde_json::to_string(&comment(
                    "Accueil et suivi des demandes maîtrisés ; la relance des devis reste à \
                     consolider.",
                ))?),
                exam_grids::status.eq("locked"),
                exam_grids::locked_at.eq(now),
                exam_grids::updated_at.eq(now),
                exam_grids::updated_by.eq(teacher),
            ))
            .execute(conn)?;
        for member in [teacher, professional] {
            diesel::insert_into(exam_grid_signatures::table)
                .values((
                    exam_grid_signatures::candidate_id.eq(first),
                    exam_grid_signatures::user_id.eq(member),
                    exam_grid_signatures::signed_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    // The second: each member has assessed, they differ on some criteria.
    if let Some(&second) = candidates.get(1) {
        member_assessment(conn, second, teacher, &levels(1), now)?;
        member_assessment(conn, second, professional, &levels(2), now)?;
    }
    Ok(())
}

fn member_assessment(
    conn: &mut DbConnection,
    candidate: i64,
    member: i64,
    levels: &[CriterionLevel],
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(exam_grid_members::table)
        .values((
            exam_grid_members::candidate_id.eq(candidate),
            exam_grid_members::user_id.eq(member),
            exam_grid_members::levels.eq(serde_json::to_string(levels)?),
            exam_grid_members::comments.eq("[]"),
            exam_grid_members::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
