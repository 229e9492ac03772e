//! The demo's portfolios: each active student has written fiches on the exercises their
//! class has done (most validated with levels, some waiting for review, one returned,
//! one draft) and, for some, a fiche on their internship; teachers have submissions to
//! review and notices, so the portfolio, review and progress screens are filled.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use passerelle_api::{ContextKind, FicheAction, FicheStatus, Firm, NotificationKind};

use super::access::StudentClass;
use super::notifications::notify;
use super::store::{self, Checked};
use crate::db::DbConnection;
use crate::demo::Demo;
use crate::error::AppError;
use crate::schema::{class_exercises, exercise_items, exercises, fiche_items, fiches};

const FIRMS: [(&str, &str, &str); 4] = [
    (
        "Menuiserie Roux et fils",
        "Artisanat du bois",
        "Mme Roux, gérante",
    ),
    (
        "Transports Berthier",
        "Transport routier de marchandises",
        "M. Berthier, dirigeant",
    ),
    (
        "Cabinet Lemaire Expertise",
        "Expertise comptable",
        "Mme Lemaire, associée",
    ),
    (
        "Garage du Parc",
        "Réparation automobile",
        "M. Fontaine, chef d'atelier",
    ),
];

const RETURN_COMMENT: &str =
    "Précisez les montants et joignez une capture de l'écran du PGI, puis soumettez à nouveau.";

pub fn step(conn: &mut DbConnection, demo: &mut Demo<'_>) -> Result<(), AppError> {
    let (plan, school) = (demo.plan, &demo.school);
    let today = demo.now.date();
    for (class, &class_id) in plan.classes.iter().zip(&school.classes) {
        let teacher = class
            .teachers
            .first()
            .map_or(demo.admin(), |&t| school.people[t]);
        let teachers: Vec<i64> = class.teachers.iter().map(|&t| school.people[t]).collect();
        let assignments: Vec<(i64, i64, String, String, NaiveDate, Option<String>)> =
            class_exercises::table
                .inner_join(exercises::table)
                .filter(class_exercises::class_id.eq(class_id))
                .filter(class_exercises::ends_on.le(today))
                .order(class_exercises::starts_on)
                .select((
                    class_exercises::id,
                    exercises::id,
                    exercises::title,
                    exercises::features,
                    class_exercises::ends_on,
                    exercises::software_id,
                ))
                .load(conn)?;
        let target = StudentClass {
            class_id,
            class_name: class.name.clone(),
            referential_id: class.referential.to_owned(),
            establishment_id: school.establishment,
        };
        for (k, &person) in class.students.iter().enumerate() {
            if !plan.people[person].with_password {
                continue;
            }
            let student = school.people[person];
            for (n, (assignment, exercise, title, features, ends_on, software)) in
                assignments.iter().enumerate()
            {
                // Not every student writes up every exercise.
                if (k + n) % 5 == 4 {
                    continue;
                }
                let items: Vec<String> = exercise_items::table
                    .filter(exercise_items::exercise_id.eq(exercise))
                    .filter(exercise_items::referential_id.eq(class.referential))
                    .order((exercise_items::main.desc(), exercise_items::item_code))
                    .select(exercise_items::item_code)
                    .load(conn)?;
                let checked = Checked {
                    class: target.clone(),
                    title: format!("{title} — ma réalisation"),
                    context: ContextKind::Exercise,
                    assignment_id: Some(*assignment),
                    firm: None,
                    context_text: String::new(),
                    starts_on: Some(*ends_on - Duration::days(4)),
                    ends_on: Some(*ends_on),
                    description: format!(
                        "J'ai réalisé l'exercice « {title} » sur le PGI.\n\n\
                         - saisie des documents demandés\n\
                         - contrôle des montants et des échéances\n\
                         - **vérification** avec le corrigé en fin de séance"
                    ),
                    software_id: software.clone(),
                    other_software: String::new(),
                    features: serde_json::from_str(features)?,
                    items,
                };
                let status = match (k * 3 + n) % 7 {
                    0..=3 => FicheStatus::Validated,
                    4 => FicheStatus::Submitted,
                    5 => FicheStatus::Returned,
                    _ => FicheStatus::Draft,
                };
                let written = at(*ends_on, 17, demo.now);
                write(
                    conn,
                    student,
                    teacher,
                    &teachers,
                    &checked,
                    status,
                    written,
                    k + n,
                    demo.now,
                )?;
            }
            // Every third student also records a period in a firm.
            if k % 3 == 0 {
                let (name, sector, tutor) = FIRMS[k / 3 % FIRMS.len()];
                let first = first_mappable(conn, class.referential)?;
                let checked = Checked {
                    class: target.clone(),
                    title: format!("Stage chez {name} : suivi des factures clients"),
                    context: ContextKind::Internship,
                    assignment_id: None,
                    firm: Some(Firm {
                        name: name.to_owned(),
                        sector: sector.to_owned(),
                        tutor: tutor.to_owned(),
                    }),
                    context_text: String::new(),
                    starts_on: NaiveDate::from_ymd_opt(2026, 10, 19),
                    ends_on: NaiveDate::from_ymd_opt(2026, 10, 30),
                    description: "Pendant deux semaines, j'ai enregistré les factures clients, \
                                  pointé les règlements reçus et préparé les relances avec \
                                  mon tuteur."
                        .to_owned(),
                    software_id: None,
                    other_software: "Tableur".to_owned(),
                    features: Vec::new(),
                    items: first,
                };
                let written = at(
                    NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or(today),
                    18,
                    demo.now,
                );
                write(
                    conn,
                    student,
                    teacher,
                    &teachers,
                    &checked,
                    FicheStatus::Validated,
                    written,
                    k,
                    demo.now,
                )?;
            }
        }
    }
    Ok(())
}

/// `day` at `hour`:00, never after `now`.
fn at(day: NaiveDate, hour: u32, now: NaiveDateTime) -> NaiveDateTime {
    let time = NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default();
    day.and_time(time).min(now)
}

/// The first two task/situation/competency codes of a referential (for internships).
fn first_mappable(conn: &mut DbConnection, referential: &str) -> Result<Vec<String>, AppError> {
    use crate::schema::referential_items;
    let kinds: Vec<&str> = crate::exercises::store::MAPPABLE_KINDS
        .iter()
        .map(|k| k.as_str())
        .collect();
    Ok(referential_items::table
        .filter(referential_items::referential_id.eq(referential))
        .filter(referential_items::kind.eq_any(kinds))
        .order(referential_items::position)
        .limit(2)
        .select(referential_items::code)
        .load(conn)?)
}

/// Writes one fiche and walks it to `status` with the history and notices a real
/// review would leave.
#[allow(clippy::too_many_arguments)]
fn write(
    conn: &mut DbConnection,
    student: i64,
    teacher: i64,
    teachers: &[i64],
    checked: &Checked,
    status: FicheStatus,
    written: NaiveDateTime,
    seed: usize,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let id = store::insert(conn, student, checked, written)?;
    if status == FicheStatus::Draft {
        return Ok(());
    }
    let submitted = (written + Duration::hours(2)).min(now);
    store::record(
        conn,
        id,
        student,
        FicheAction::Submitted,
        None,
        &[],
        submitted,
    )?;
    let mut submissions = 1;
    let mut last = submitted;
    if status == FicheStatus::Returned || seed.is_multiple_of(4) {
        let returned = (submitted + Duration::days(1)).min(now);
        store::record(
            conn,
            id,
            teacher,
            FicheAction::Returned,
            Some(RETURN_COMMENT),
            &[],
            returned,
        )?;
        last = returned;
        if status != FicheStatus::Returned {
            let again = (returned + Duration::hours(20)).min(now);
            store::record(
                conn,
                id,
                student,
                FicheAction::Resubmitted,
                None,
                &[],
                again,
            )?;
            submissions = 2;
            last = again;
        } else {
            notify(
                conn,
                &[student],
                NotificationKind::FicheReturned,
                id,
                teacher,
                returned,
            )?;
        }
    }
    let mut validated_at = None;
    if status == FicheStatus::Validated {
        let when = (last + Duration::days(2)).min(now);
        let codes: Vec<String> = checked.items.clone();
        for (i, code) in codes.iter().enumerate() {
            // Mostly "acquis", some "en cours" and "maîtrisé".
            let level: i16 = [3, 2, 3, 4, 3][(seed + i) % 5];
            diesel::update(
                fiche_items::table
                    .filter(fiche_items::fiche_id.eq(id))
                    .filter(fiche_items::item_code.eq(code)),
            )
            .set(fiche_items::level.eq(level))
            .execute(conn)?;
        }
        store::record(
            conn,
            id,
            teacher,
            FicheAction::Validated,
            Some("Fiche complète, bravo."),
            &[],
            when,
        )?;
        notify(
            conn,
            &[student],
            NotificationKind::FicheValidated,
            id,
            teacher,
            when,
        )?;
        validated_at = Some(when);
        last = when;
    }
    if status == FicheStatus::Submitted {
        notify(
            conn,
            teachers,
            NotificationKind::FicheSubmitted,
            id,
            student,
            last,
        )?;
    }
    diesel::update(fiches::table.find(id))
        .set((
            fiches::status.eq(status.as_str()),
            fiches::submissions.eq(submissions),
            fiches::submitted_at.eq(Some(submitted)),
            fiches::validated_at.eq(validated_at),
            fiches::validated_by.eq(validated_at.map(|_| teacher)),
            fiches::updated_at.eq(last),
        ))
        .execute(conn)?;
    Ok(())
}
