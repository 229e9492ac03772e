//! Who may see what of a portfolio. Every handler asks here with the object it is about,
//! not only the route: a student id or fiche id in a URL proves nothing.

use diesel::prelude::*;
use passerelle_api::{FicheStatus, Role};

use crate::auth::store::Principal;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::schema::{class_students, class_teachers, classes, fiches, users};

use super::store::FicheRow;

/// How the principal stands towards a fiche.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The student who wrote it.
    Owner,
    /// A teacher of its class or an admin of its establishment (never for drafts).
    Reviewer,
    /// A member of a jury assessing its student: validated fiches only, read-only.
    Jury,
}

pub(crate) fn fiche_not_found(id: i64) -> AppError {
    AppError::not_found(format!("fiche introuvable : {id}"))
}

/// Whether the principal teaches `class_id` or administers its establishment.
pub fn reviews_class(
    conn: &mut DbConnection,
    principal: &Principal,
    class_id: i64,
    establishment_id: i64,
) -> Result<bool, AppError> {
    if principal.has(Role::Admin) && principal.establishment_id == Some(establishment_id) {
        return Ok(true);
    }
    if !principal.has(Role::Teacher) {
        return Ok(false);
    }
    let taught: i64 = class_teachers::table
        .filter(class_teachers::class_id.eq(class_id))
        .filter(class_teachers::user_id.eq(principal.user_id))
        .count()
        .get_result(conn)?;
    Ok(taught > 0)
}

/// The fiche and the principal's standing, or 404 when they may not see it.
pub fn visible_fiche(
    conn: &mut DbConnection,
    principal: &Principal,
    id: i64,
) -> Result<(FicheRow, Standing), AppError> {
    let row = fiches::table
        .find(id)
        .select(FicheRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| fiche_not_found(id))?;
    if row.student_id == principal.user_id {
        return Ok((row, Standing::Owner));
    }
    if row.status() != FicheStatus::Draft
        && reviews_class(conn, principal, row.class_id, row.establishment_id)?
    {
        return Ok((row, Standing::Reviewer));
    }
    if row.status() == FicheStatus::Validated && judges(conn, principal.user_id, row.student_id)? {
        return Ok((row, Standing::Jury));
    }
    Err(fiche_not_found(id))
}

/// Whether `user` sits on a jury that assesses `student` (any session).
fn judges(conn: &mut DbConnection, user: i64, student: i64) -> Result<bool, AppError> {
    use crate::schema::{exam_candidates, jury_members};
    let n: i64 = exam_candidates::table
        .inner_join(
            jury_members::table.on(jury_members::jury_id
                .nullable()
                .eq(exam_candidates::jury_id)),
        )
        .filter(exam_candidates::student_id.eq(student))
        .filter(jury_members::user_id.eq(user))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The fiche if the principal owns it (to edit, submit, attach), 404 otherwise; a
/// reviewer gets 403, since they can see it.
pub fn owned_fiche(
    conn: &mut DbConnection,
    principal: &Principal,
    id: i64,
) -> Result<FicheRow, AppError> {
    match visible_fiche(conn, principal, id)? {
        (row, Standing::Owner) => Ok(row),
        (_, Standing::Reviewer | Standing::Jury) => Err(AppError::forbidden(
            "seul l'élève auteur de la fiche peut la modifier",
        )),
    }
}

/// The fiche if the principal reviews it, 403 for its owner, 404 for anyone else.
pub fn reviewed_fiche(
    conn: &mut DbConnection,
    principal: &Principal,
    id: i64,
) -> Result<FicheRow, AppError> {
    match visible_fiche(conn, principal, id)? {
        (row, Standing::Reviewer) => Ok(row),
        (_, Standing::Owner) => Err(AppError::forbidden(
            "un élève ne relit pas ses propres fiches",
        )),
        (_, Standing::Jury) => Err(AppError::forbidden(
            "le jury lit le portfolio sans le modifier",
        )),
    }
}

/// A student's class, as far as portfolios care.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct StudentClass {
    pub class_id: i64,
    pub class_name: String,
    pub referential_id: String,
    pub establishment_id: i64,
}

/// The classes `student_id` belongs to, most recent school year first.
pub fn classes_of_student(
    conn: &mut DbConnection,
    student_id: i64,
) -> Result<Vec<StudentClass>, AppError> {
    use crate::schema::school_years;
    Ok(class_students::table
        .inner_join(classes::table.inner_join(school_years::table))
        .filter(class_students::user_id.eq(student_id))
        .order((school_years::starts_on.desc(), classes::name))
        .select((
            classes::id,
            classes::name,
            classes::referential_id,
            classes::establishment_id,
        ))
        .load(conn)?)
}

/// The student's portfolio in `class_id` (or their latest class) if the principal may
/// see it: the student themself, a teacher of that class, an admin of its
/// establishment. 404 otherwise, whether the student exists or not.
pub fn student_portfolio(
    conn: &mut DbConnection,
    principal: &Principal,
    student_id: i64,
    class_id: Option<i64>,
) -> Result<StudentClass, AppError> {
    let not_found = || AppError::not_found(format!("élève introuvable : {student_id}"));
    let classes = classes_of_student(conn, student_id)?;
    let class = match class_id {
        Some(id) => classes.into_iter().find(|c| c.class_id == id),
        None => classes.into_iter().next(),
    }
    .ok_or_else(not_found)?;
    if student_id == principal.user_id
        || reviews_class(conn, principal, class.class_id, class.establishment_id)?
    {
        // Disabled accounts keep their portfolio visible to staff, not to anyone else.
        let exists: i64 = users::table.find(student_id).count().get_result(conn)?;
        if exists > 0 {
            return Ok(class);
        }
    }
    Err(not_found())
}
