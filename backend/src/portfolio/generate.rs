//! Benchmark-scale fiches for `passerelle generate --fiches-per-student N`: every student
//! of a generated establishment gets N fiches over the school year, each showing 1 to 4
//! items of their class's referential, mostly validated (with a level per item), some
//! submitted, returned or still drafts, with a short history. Batch inserts, in the
//! establishment's transaction: 20,000 students × 50 fiches take minutes.

use std::collections::HashMap;

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use passerelle_api::{ContextKind, FicheAction, FicheStatus, DEFAULT_SCALE};

use crate::db::DbConnection;
use crate::demo::{SchoolPlan, WrittenSchool};
use crate::error::AppError;
use crate::exercises::generate::mappable_codes;
use crate::schema::{fiche_events, fiche_items, fiches};

/// One fiche to write.
struct Planned<'a> {
    student: i64,
    class: i64,
    referential: &'a str,
    teacher: i64,
    n: usize,
    context: ContextKind,
    status: FicheStatus,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    created_at: NaiveDateTime,
    submitted_at: Option<NaiveDateTime>,
    validated_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
    items: Vec<(&'a str, Option<i16>)>,
}

/// A small deterministic mix (the same data on every run and engine).
fn mix(a: u64, b: u64) -> u64 {
    let mut x = a
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F));
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

/// 70 % validated, 12 % submitted, 8 % returned, 10 % drafts.
fn status_of(h: u64) -> FicheStatus {
    match h % 100 {
        0..70 => FicheStatus::Validated,
        70..82 => FicheStatus::Submitted,
        82..90 => FicheStatus::Returned,
        _ => FicheStatus::Draft,
    }
}

fn at(day: NaiveDate, hour: u32) -> NaiveDateTime {
    day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or(NaiveTime::MIN))
}

fn plus(day: NaiveDate, days: u64) -> Result<NaiveDate, AppError> {
    day.checked_add_days(Days::new(days))
        .ok_or_else(|| AppError::internal("date out of range"))
}

/// Writes `per_student` fiches for every student of `school`; returns how many.
pub fn fiches_for(
    conn: &mut DbConnection,
    plan: &SchoolPlan,
    school: &WrittenSchool,
    per_student: usize,
) -> Result<usize, AppError> {
    if per_student == 0 {
        return Ok(0);
    }
    let mut codes_of: HashMap<&str, Vec<String>> = HashMap::new();
    for class in &plan.classes {
        if !codes_of.contains_key(class.referential) {
            codes_of.insert(class.referential, mappable_codes(conn, class.referential)?);
        }
    }
    let levels = DEFAULT_SCALE.len() as u64;
    let mut planned: Vec<Planned> = Vec::new();
    for (class, &class_id) in plan.classes.iter().zip(&school.classes) {
        let codes = &codes_of[class.referential];
        if codes.is_empty() {
            continue;
        }
        let teacher = class
            .teachers
            .first()
            .map_or(school.people[0], |&t| school.people[t]);
        for &s in &class.students {
            let student = school.people[s];
            for n in 0..per_student {
                let h = mix(student as u64, n as u64);
                let status = status_of(h);
                // Spread over the year, one every few days.
                let starts_on = plus(plan.year_starts, 7 + (n as u64 * 270) / per_student as u64)?;
                let ends_on = plus(starts_on, (h >> 8) % 3)?;
                let created_at = at(ends_on, 17);
                let submitted_at = (status != FicheStatus::Draft)
                    .then(|| plus(ends_on, 1).map(|d| at(d, 18)))
                    .transpose()?;
                let validated_at = (status == FicheStatus::Validated)
                    .then(|| plus(ends_on, 4).map(|d| at(d, 12)))
                    .transpose()?;
                let updated_at = validated_at
                    .or_else(|| {
                        (status == FicheStatus::Returned)
                            .then(|| submitted_at.map(|t| t + chrono::Duration::days(2)))
                            .flatten()
                    })
                    .or(submitted_at)
                    .unwrap_or(created_at);
                let count = 1 + (h >> 16) as usize % 4;
                let start = (s * 13 + n * 7) % codes.len();
                let items = (0..count.min(codes.len()))
                    .map(|j| {
                        let level = (status == FicheStatus::Validated)
                            .then(|| 1 + (mix(h, j as u64) % levels) as i16);
                        (codes[(start + j) % codes.len()].as_str(), level)
                    })
                    .collect();
                planned.push(Planned {
                    student,
                    class: class_id,
                    referential: class.referential,
                    teacher,
                    n,
                    context: ContextKind::ALL[n % 3],
                    status,
                    starts_on,
                    ends_on,
                    created_at,
                    submitted_at,
                    validated_at,
                    updated_at,
                    items,
                });
            }
        }
    }
    let titles = [
        "Traitement des commandes clients",
        "Relance des impayés",
        "Préparation de la paie",
        "Sélection d'un fournisseur",
        "Mise à jour du tableau de bord",
    ];
    crate::insert_in_chunks!(conn, fiches::table, planned, |p| {
        let internship = p.context == ContextKind::Internship;
        (
            fiches::establishment_id.eq(school.establishment),
            fiches::student_id.eq(p.student),
            fiches::class_id.eq(p.class),
            fiches::referential_id.eq(p.referential),
            fiches::title.eq(format!("{} (n° {})", titles[p.n % titles.len()], p.n + 1)),
            fiches::context.eq(p.context.as_str()),
            fiches::firm_name.eq(internship.then_some("SARL Durand Fournitures")),
            fiches::firm_sector.eq(internship.then_some("Commerce de gros")),
            fiches::firm_tutor.eq(internship.then_some("Mme Martin, responsable administrative")),
            fiches::context_text.eq(if p.context == ContextKind::Simulated {
                "Étude de cas de la PME JUPITER MEDIA"
            } else {
                ""
            }),
            fiches::starts_on.eq(Some(p.starts_on)),
            fiches::ends_on.eq(Some(p.ends_on)),
            fiches::description.eq(
                "J'ai **saisi** les documents dans le PGI, contrôlé les montants et \
                 transmis le dossier à ma tutrice.",
            ),
            fiches::software_id.eq(Some("ebp")),
            fiches::other_software.eq("Tableur"),
            fiches::features.eq("[]"),
            fiches::status.eq(p.status.as_str()),
            fiches::submissions.eq(match p.status {
                FicheStatus::Draft => 0,
                _ => 1,
            }),
            fiches::created_at.eq(p.created_at),
            fiches::updated_at.eq(p.updated_at),
            fiches::submitted_at.eq(p.submitted_at),
            fiches::validated_at.eq(p.validated_at),
            fiches::validated_by.eq((p.status == FicheStatus::Validated).then_some(p.teacher)),
        )
    });
    // Ids come back in insertion order: the establishment is new, and this transaction
    // its only writer.
    let ids: Vec<i64> = fiches::table
        .filter(fiches::establishment_id.eq(school.establishment))
        .order(fiches::id)
        .select(fiches::id)
        .load(conn)?;
    if ids.len() != planned.len() {
        return Err(AppError::internal(format!(
            "generated {} fiches, found {}",
            planned.len(),
            ids.len()
        )));
    }
    let items: Vec<(i64, &str, Option<i16>)> = ids
        .iter()
        .zip(&planned)
        .flat_map(|(&id, p)| p.items.iter().map(move |&(code, level)| (id, code, level)))
        .collect();
    crate::insert_in_chunks!(conn, fiche_items::table, items, |&(id, code, level)| (
        fiche_items::fiche_id.eq(id),
        fiche_items::item_code.eq(code),
        fiche_items::level.eq(level),
    ));
    let mut events: Vec<(i64, i64, NaiveDateTime, FicheAction, Option<&str>)> =
        Vec::with_capacity(planned.len() * 2);
    for (&id, p) in ids.iter().zip(&planned) {
        events.push((id, p.student, p.created_at, FicheAction::Created, None));
        if let Some(submitted) = p.submitted_at {
            events.push((id, p.student, submitted, FicheAction::Submitted, None));
        }
        match p.status {
            FicheStatus::Validated => events.push((
                id,
                p.teacher,
                p.updated_at,
                FicheAction::Validated,
                Some("Bonne maîtrise du PGI."),
            )),
            FicheStatus::Returned => events.push((
                id,
                p.teacher,
                p.updated_at,
                FicheAction::Returned,
                Some("Précisez les contrôles effectués et joignez une capture."),
            )),
            _ => {}
        }
    }
    crate::insert_in_chunks!(conn, fiche_events::table, events, |&(
        id,
        actor,
        when,
        action,
        comment,
    )| (
        fiche_events::fiche_id.eq(id),
        fiche_events::actor_id.eq(actor),
        fiche_events::at.eq(when),
        fiche_events::action.eq(action.as_str()),
        fiche_events::comment.eq(comment),
        fiche_events::changes.eq("[]"),
    ));
    Ok(planned.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_mostly_validated() {
        let mut counts: HashMap<FicheStatus, usize> = HashMap::new();
        for s in 0..200u64 {
            for n in 0..50u64 {
                *counts.entry(status_of(mix(s, n))).or_default() += 1;
            }
        }
        let share = |s| counts.get(&s).copied().unwrap_or(0) * 100 / 10_000;
        assert!(
            (65..=75).contains(&share(FicheStatus::Validated)),
            "{counts:?}"
        );
        assert!(share(FicheStatus::Submitted) >= 8, "{counts:?}");
        assert!(share(FicheStatus::Returned) >= 5, "{counts:?}");
        assert!(share(FicheStatus::Draft) >= 6, "{counts:?}");
    }
}
