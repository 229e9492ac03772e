//! Benchmark-scale exercises for `passerelle generate`: each generated establishment gets,
//! per referential its classes prepare, `per_class` exercises (each linked to a few
//! items, the first main), and every class gets all of its referential's exercises
//! assigned across the year. Batch inserts, in the establishment's transaction.

use std::collections::HashMap;

use chrono::{Days, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use passerelle_api::{ItemKind, Visibility};

use super::store::MAPPABLE_KINDS;
use crate::db::DbConnection;
use crate::demo::{SchoolPlan, WrittenSchool};
use crate::error::AppError;
use crate::schema::{class_exercises, exercise_items, exercises, referential_items};

/// Links per generated exercise.
const LINKS: usize = 4;

/// Codes of the mappable items of `referential`, in display order.
pub(crate) fn mappable_codes(
    conn: &mut DbConnection,
    referential: &str,
) -> Result<Vec<String>, AppError> {
    let kinds: Vec<&str> = MAPPABLE_KINDS
        .iter()
        .map(|k: &ItemKind| k.as_str())
        .collect();
    Ok(referential_items::table
        .filter(referential_items::referential_id.eq(referential))
        .filter(referential_items::kind.eq_any(kinds))
        .order(referential_items::position)
        .select(referential_items::code)
        .load(conn)?)
}

pub fn exercises_for(
    conn: &mut DbConnection,
    plan: &SchoolPlan,
    school: &WrittenSchool,
    per_class: usize,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    if per_class == 0 {
        return Ok(0);
    }
    let start = NaiveDate::from_ymd_opt(2026, 9, 7).ok_or_else(|| AppError::internal("date"))?;
    let mut referentials: Vec<&str> = plan.classes.iter().map(|c| c.referential).collect();
    referentials.sort_unstable();
    referentials.dedup();
    let author = school.people.get(1).copied().unwrap_or(school.people[0]);
    let mut by_referential: HashMap<&str, Vec<i64>> = HashMap::new();
    let mut created = 0;
    for referential in referentials {
        let codes = mappable_codes(conn, referential)?;
        if codes.is_empty() {
            continue;
        }
        let titles: Vec<String> = (0..per_class)
            .map(|k| format!("Exercice PGI n° {} ({referential})", k + 1))
            .collect();
        crate::insert_in_chunks!(conn, exercises::table, titles, |title| (
            exercises::establishment_id.eq(school.establishment),
            exercises::author_id.eq(author),
            exercises::title.eq(title),
            exercises::instructions.eq(""),
            exercises::modules.eq("[]"),
            exercises::features.eq("[]"),
            exercises::duration_minutes.eq(Some(110)),
            exercises::visibility.eq(Visibility::Establishment.as_str()),
            exercises::created_at.eq(now),
            exercises::updated_at.eq(now),
        ));
        let ids: HashMap<String, i64> = exercises::table
            .filter(exercises::establishment_id.eq(school.establishment))
            .filter(exercises::title.like(format!("% ({referential})")))
            .select((exercises::title, exercises::id))
            .load::<(String, i64)>(conn)?
            .into_iter()
            .collect();
        let ordered: Vec<i64> = titles.iter().filter_map(|t| ids.get(t).copied()).collect();
        // Links spread over the referential: exercise k practises items k·7, k·7+1…
        let links: Vec<(i64, &str, bool)> = ordered
            .iter()
            .enumerate()
            .flat_map(|(k, &id)| {
                let codes = &codes;
                (0..LINKS.min(codes.len()))
                    .map(move |j| (id, codes[(k * 7 + j) % codes.len()].as_str(), j == 0))
            })
            .collect();
        crate::insert_in_chunks!(conn, exercise_items::table, links, |&(id, code, main)| (
            exercise_items::exercise_id.eq(id),
            exercise_items::referential_id.eq(referential),
            exercise_items::item_code.eq(code),
            exercise_items::main.eq(main),
        ));
        created += ordered.len();
        by_referential.insert(referential, ordered);
    }
    let mut assignments: Vec<(i64, i64, NaiveDate, NaiveDate, i64)> = Vec::new();
    for (class, &class_id) in plan.classes.iter().zip(&school.classes) {
        let teacher = class.teachers.first().map_or(author, |&t| school.people[t]);
        for (n, &exercise) in by_referential
            .get(class.referential)
            .into_iter()
            .flatten()
            .enumerate()
        {
            // Up to a few exercises a week over the school year.
            let day = start
                .checked_add_days(Days::new((n as u64 * 300) / per_class as u64))
                .ok_or_else(|| AppError::internal("date"))?;
            assignments.push((class_id, exercise, day, day, teacher));
        }
    }
    crate::insert_in_chunks!(conn, class_exercises::table, assignments, |&(
        class,
        exercise,
        starts_on,
        ends_on,
        by,
    )| (
        class_exercises::class_id.eq(class),
        class_exercises::exercise_id.eq(exercise),
        class_exercises::starts_on.eq(starts_on),
        class_exercises::ends_on.eq(ends_on),
        class_exercises::assigned_by.eq(by),
        class_exercises::created_at.eq(now),
    ));
    Ok(created)
}
