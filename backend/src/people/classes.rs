//! Establishment, school years, classes and their teachers: handlers, queries and the
//! object-level access rules (an admin sees their establishment; a teacher the classes
//! assigned to them; a student their own class). What a principal may not see answers
//! 404, exactly like what does not exist.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use diesel::prelude::*;
use passerelle_api::{
    ClassDetail, ClassInput, ClassSummary, EstablishmentInput, EstablishmentRef, PersonRef, Role,
    SchoolYear, SchoolYearInput, TeacherAssignment,
};

use crate::audit::{self, Entry};
use crate::auth::store::Principal;
use crate::db::{run, DbConnection};
use crate::error::AppError;
use crate::people::{admin_establishment, field_error, required};
use crate::schema::{
    class_students, class_teachers, classes, establishments, referentials, school_years,
    user_roles, users,
};
use crate::server::AppState;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/establishment", web::get().to(get_establishment))
        .route("/establishment", web::post().to(create_establishment))
        .route("/school-years", web::get().to(list_years))
        .route("/school-years", web::post().to(create_year))
        .route("/classes", web::get().to(list_classes))
        .route("/classes", web::post().to(create_class))
        .route("/classes/{id}", web::get().to(get_class))
        .route("/classes/{id}/teachers", web::put().to(assign_teachers));
}

/// Code UAI: 7 digits and a letter (checked for shape; the letter is a checksum we do not
/// recompute, as some académies' test codes do not satisfy it).
fn valid_uai(uai: &str) -> Option<String> {
    let uai = uai.trim().to_uppercase();
    let bytes = uai.as_bytes();
    (bytes.len() == 8 && bytes[..7].iter().all(u8::is_ascii_digit) && bytes[7].is_ascii_uppercase())
        .then_some(uai)
}

async fn get_establishment(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, AppError> {
    let Some(id) = principal.establishment_id else {
        return Err(AppError::not_found("aucun établissement"));
    };
    let found = run(&state.pool, move |conn| {
        crate::auth::store::establishment(conn, id)
    })
    .await?;
    let found = found.ok_or_else(|| AppError::not_found("aucun établissement"))?;
    Ok(HttpResponse::Ok().json(found))
}

async fn create_establishment(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<EstablishmentInput>,
) -> Result<HttpResponse, AppError> {
    crate::auth::api::require(&principal, Role::Admin)?;
    if principal.establishment_id.is_some() {
        return Err(AppError::conflict(
            "establishment_exists",
            "votre compte gère déjà un établissement",
        ));
    }
    let input = body.into_inner();
    let name = required("name", &input.name, 200)?;
    let academie = required("academie", &input.academie, 100)?;
    let uai = valid_uai(&input.uai).ok_or_else(|| {
        field_error(
            "uai",
            "code UAI attendu : 7 chiffres et une lettre (ex. 0750001A)",
        )
    })?;
    let now = Utc::now().naive_utc();
    let user_id = principal.user_id;
    let created = crate::db::write(&state.pool, move |conn| {
        let (name, uai, academie) = (name.clone(), uai.clone(), academie.clone());
        crate::with_conn!(conn, |c| c.transaction::<_, AppError, _>(|c| {
            let taken: i64 = establishments::table
                .filter(establishments::uai.eq(&uai))
                .count()
                .get_result(c)?;
            if taken > 0 {
                return Err(AppError::conflict(
                    "uai_taken",
                    format!("uai : l'établissement {uai} existe déjà"),
                ));
            }
            diesel::insert_into(establishments::table)
                .values((
                    establishments::name.eq(&name),
                    establishments::uai.eq(&uai),
                    establishments::academie.eq(&academie),
                    establishments::created_at.eq(now),
                ))
                .execute(c)?;
            let id: i64 = establishments::table
                .filter(establishments::uai.eq(&uai))
                .select(establishments::id)
                .first(c)?;
            diesel::update(users::table.find(user_id))
                .set(users::establishment_id.eq(id))
                .execute(c)?;
            Ok(EstablishmentRef {
                id,
                name,
                uai,
                academie,
            })
        }))
    })
    .await?;
    let object = format!("establishment:{}", created.id);
    let establishment_id = created.id;
    crate::db::write(&state.pool, move |conn| {
        audit::record(
            conn,
            now,
            Entry {
                actor_id: Some(user_id),
                establishment_id: Some(establishment_id),
                action: "establishment.created",
                object: &object,
                detail: "",
            },
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(created))
}

pub(crate) fn years_of(
    conn: &mut DbConnection,
    establishment: i64,
) -> Result<Vec<SchoolYear>, AppError> {
    let rows: Vec<(i64, String, chrono::NaiveDate, chrono::NaiveDate)> = school_years::table
        .filter(school_years::establishment_id.eq(establishment))
        .order(school_years::starts_on.desc())
        .select((
            school_years::id,
            school_years::label,
            school_years::starts_on,
            school_years::ends_on,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, label, starts_on, ends_on)| SchoolYear {
            id,
            label,
            starts_on,
            ends_on,
        })
        .collect())
}

async fn list_years(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, AppError> {
    let Some(establishment) = principal.establishment_id else {
        return Ok(HttpResponse::Ok().json(Vec::<SchoolYear>::new()));
    };
    let years = run(&state.pool, move |conn| years_of(conn, establishment)).await?;
    Ok(HttpResponse::Ok().json(years))
}

async fn create_year(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<SchoolYearInput>,
) -> Result<HttpResponse, AppError> {
    let establishment = admin_establishment(&principal)?;
    let input = body.into_inner();
    let label = required("label", &input.label, 40)?;
    if input.ends_on <= input.starts_on {
        return Err(field_error("ends_on", "doit suivre starts_on"));
    }
    if (input.ends_on - input.starts_on).num_days() > 400 {
        return Err(field_error(
            "ends_on",
            "une année scolaire dure au plus 400 jours",
        ));
    }
    let year = crate::db::write(&state.pool, move |conn| {
        let taken: i64 = school_years::table
            .filter(school_years::establishment_id.eq(establishment))
            .filter(school_years::label.eq(&label))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(AppError::conflict(
                "label_taken",
                format!("label : l'année {label} existe déjà"),
            ));
        }
        diesel::insert_into(school_years::table)
            .values((
                school_years::establishment_id.eq(establishment),
                school_years::label.eq(&label),
                school_years::starts_on.eq(input.starts_on),
                school_years::ends_on.eq(input.ends_on),
            ))
            .execute(conn)?;
        years_of(conn, establishment)?
            .into_iter()
            .find(|y| y.label == label)
            .ok_or_else(|| AppError::internal("school year vanished"))
    })
    .await?;
    Ok(HttpResponse::Created().json(year))
}

pub(crate) type ClassRow = (i64, String, i64, String, String, i64);

fn class_summary(
    (id, name, school_year_id, school_year, referential_id, _): ClassRow,
) -> ClassSummary {
    ClassSummary {
        id,
        name,
        school_year_id,
        school_year,
        referential_id,
    }
}

/// The classes a principal may see: all of the establishment for an admin, the assigned
/// ones for a teacher, their own for a student. Optionally one class only.
pub(crate) fn visible_classes(
    conn: &mut DbConnection,
    principal: &Principal,
    only: Option<i64>,
) -> Result<Vec<ClassRow>, AppError> {
    let Some(establishment) = principal.establishment_id else {
        return Ok(Vec::new());
    };
    let mut query = classes::table
        .inner_join(school_years::table)
        .filter(classes::establishment_id.eq(establishment))
        .select((
            classes::id,
            classes::name,
            classes::school_year_id,
            school_years::label,
            classes::referential_id,
            classes::establishment_id,
        ))
        .order((school_years::starts_on.desc(), classes::name))
        .into_boxed();
    if let Some(id) = only {
        query = query.filter(classes::id.eq(id));
    }
    if !principal.has(Role::Admin) {
        let user = principal.user_id;
        let mut mine: Vec<i64> = Vec::new();
        if principal.has(Role::Teacher) {
            mine.extend(
                class_teachers::table
                    .filter(class_teachers::user_id.eq(user))
                    .select(class_teachers::class_id)
                    .load::<i64>(conn)?,
            );
        }
        if principal.has(Role::Student) {
            mine.extend(
                class_students::table
                    .filter(class_students::user_id.eq(user))
                    .select(class_students::class_id)
                    .load::<i64>(conn)?,
            );
        }
        query = query.filter(classes::id.eq_any(mine));
    }
    Ok(query.load(conn)?)
}

async fn list_classes(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, AppError> {
    let rows = run(&state.pool, move |conn| {
        visible_classes(conn, &principal, None)
    })
    .await?;
    let list: Vec<ClassSummary> = rows.into_iter().map(class_summary).collect();
    Ok(HttpResponse::Ok().json(list))
}

fn people(
    conn: &mut DbConnection,
    class_id: i64,
    teachers: bool,
) -> Result<Vec<PersonRef>, AppError> {
    let rows: Vec<(i64, String, String)> = if teachers {
        class_teachers::table
            .inner_join(users::table.on(users::id.eq(class_teachers::user_id)))
            .filter(class_teachers::class_id.eq(class_id))
            .select((users::id, users::first_name, users::last_name))
            .order((users::last_name, users::first_name))
            .load(conn)?
    } else {
        class_students::table
            .inner_join(users::table.on(users::id.eq(class_students::user_id)))
            .filter(class_students::class_id.eq(class_id))
            .select((users::id, users::first_name, users::last_name))
            .order((users::last_name, users::first_name))
            .load(conn)?
    };
    Ok(rows
        .into_iter()
        .map(|(id, first_name, last_name)| PersonRef {
            id,
            first_name,
            last_name,
        })
        .collect())
}

fn class_not_found(id: i64) -> AppError {
    AppError::not_found(format!("classe introuvable : {id}"))
}

async fn get_class(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let detail = run(&state.pool, move |conn| {
        let row = visible_classes(conn, &principal, Some(id))?
            .into_iter()
            .next()
            .ok_or_else(|| class_not_found(id))?;
        let teachers = people(conn, id, true)?;
        let mut students = people(conn, id, false)?;
        // Least access: a student sees their teachers and themselves, not classmates.
        if !principal.has(Role::Admin) && !principal.has(Role::Teacher) {
            students.retain(|s| s.id == principal.user_id);
        }
        Ok(ClassDetail {
            class: class_summary(row),
            teachers,
            students,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(detail))
}

async fn create_class(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<ClassInput>,
) -> Result<HttpResponse, AppError> {
    let establishment = admin_establishment(&principal)?;
    let input = body.into_inner();
    let name = required("name", &input.name, 80)?;
    let created = crate::db::write(&state.pool, move |conn| {
        let year_ok: i64 = school_years::table
            .filter(school_years::id.eq(input.school_year_id))
            .filter(school_years::establishment_id.eq(establishment))
            .count()
            .get_result(conn)?;
        if year_ok == 0 {
            return Err(AppError::unprocessable(
                "unknown_school_year",
                format!(
                    "school_year_id : année scolaire inconnue : {}",
                    input.school_year_id
                ),
            ));
        }
        let referential_ok: i64 = referentials::table
            .filter(referentials::id.eq(&input.referential_id))
            .count()
            .get_result(conn)?;
        if referential_ok == 0 {
            return Err(AppError::unprocessable(
                "unknown_referential",
                format!(
                    "referential_id : référentiel inconnu : {}",
                    input.referential_id
                ),
            ));
        }
        let taken: i64 = classes::table
            .filter(classes::school_year_id.eq(input.school_year_id))
            .filter(classes::name.eq(&name))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(AppError::conflict(
                "name_taken",
                format!("name : la classe {name} existe déjà cette année"),
            ));
        }
        diesel::insert_into(classes::table)
            .values((
                classes::establishment_id.eq(establishment),
                classes::school_year_id.eq(input.school_year_id),
                classes::name.eq(&name),
                classes::referential_id.eq(&input.referential_id),
            ))
            .execute(conn)?;
        let id: i64 = classes::table
            .filter(classes::school_year_id.eq(input.school_year_id))
            .filter(classes::name.eq(&name))
            .select(classes::id)
            .first(conn)?;
        visible_classes(conn, &principal, Some(id))?
            .into_iter()
            .next()
            .map(class_summary)
            .ok_or_else(|| class_not_found(id))
    })
    .await?;
    Ok(HttpResponse::Created().json(created))
}

async fn assign_teachers(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    body: web::Json<TeacherAssignment>,
) -> Result<HttpResponse, AppError> {
    let establishment = admin_establishment(&principal)?;
    let id = id.into_inner();
    let mut teacher_ids = body.into_inner().teacher_ids;
    teacher_ids.sort_unstable();
    teacher_ids.dedup();
    let now = Utc::now().naive_utc();
    let actor = principal.user_id;
    let detail = crate::db::write(&state.pool, move |conn| {
        if visible_classes(conn, &principal, Some(id))?.is_empty() {
            return Err(class_not_found(id));
        }
        // Every id must be a teacher of this establishment.
        let valid: Vec<i64> = users::table
            .inner_join(user_roles::table)
            .filter(users::id.eq_any(&teacher_ids))
            .filter(users::establishment_id.eq(establishment))
            .filter(user_roles::role.eq(Role::Teacher.as_str()))
            .select(users::id)
            .load(conn)?;
        if let Some(bad) = teacher_ids.iter().find(|t| !valid.contains(t)) {
            return Err(AppError::unprocessable(
                "unknown_teacher",
                format!("teacher_ids : {bad} n'est pas un enseignant de l'établissement"),
            ));
        }
        crate::with_conn!(conn, |c| c.transaction::<_, AppError, _>(|c| {
            diesel::delete(class_teachers::table.filter(class_teachers::class_id.eq(id)))
                .execute(c)?;
            for teacher in &teacher_ids {
                diesel::insert_into(class_teachers::table)
                    .values((
                        class_teachers::class_id.eq(id),
                        class_teachers::user_id.eq(teacher),
                    ))
                    .execute(c)?;
            }
            Ok(())
        }))?;
        let object = format!("class:{id}");
        let detail = format!("teachers: {teacher_ids:?}");
        audit::record(
            conn,
            now,
            Entry {
                actor_id: Some(actor),
                establishment_id: Some(establishment),
                action: "class.teachers_assigned",
                object: &object,
                detail: &detail,
            },
        )?;
        let row = visible_classes(conn, &principal, Some(id))?
            .into_iter()
            .next()
            .ok_or_else(|| class_not_found(id))?;
        Ok(ClassDetail {
            class: class_summary(row),
            teachers: people(conn, id, true)?,
            students: people(conn, id, false)?,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(detail))
}
