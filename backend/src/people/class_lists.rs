//! Class-list imports over HTTP: the preview (dry run) says what each row would do —
//! create, update, unchanged or error — and the commit does exactly that, all or nothing.
//!
//! Rows are matched to existing students of the establishment by INE first, then by
//! email. A row is an error when its class is not a class of the school year, when its
//! email belongs to an account that is not a student of this establishment, or when INE
//! and email point at two different students. New accounts get no password and no code:
//! the admin prints their invitations afterwards (`POST /api/invitations`), so an import
//! of thousands of rows hashes nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use passerelle_api::{
    ImportCounts, ImportReport, ImportRowReport, Role, RowAction, RowIssue, SchoolYear,
};
use serde::Deserialize;

use crate::audit::{self, Entry};
use crate::auth::store::Principal;
use crate::db::{run, DbConnection};
use crate::error::AppError;
use crate::fold::fold;
use crate::people::admin_establishment;
use crate::people::import::{parse_class_list, ImportError, ImportRow, MAX_IMPORT_BYTES};
use crate::schema::{class_students, classes, user_roles, users};
use crate::server::AppState;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/class-lists/preview",
        web::post().to(|req, state, principal, params, payload| {
            handle(req, state, principal, params, payload, false)
        }),
    )
    .route(
        "/class-lists/commit",
        web::post().to(|req, state, principal, params, payload| {
            handle(req, state, principal, params, payload, true)
        }),
    );
}

#[derive(Debug, Deserialize)]
struct ImportParams {
    file_name: Option<String>,
    school_year_id: Option<i64>,
}

impl From<ImportError> for AppError {
    fn from(e: ImportError) -> Self {
        match e.status {
            400 => AppError::bad_request(e.code, e.message),
            status => AppError::Refused {
                status,
                code: e.code,
                message: e.message,
            },
        }
    }
}

/// `preview` and `commit` differ only by `write`.
async fn handle(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    params: web::Query<ImportParams>,
    payload: web::Payload,
    write: bool,
) -> Result<HttpResponse, AppError> {
    let report = import(&req, state, principal, params.into_inner(), payload, write).await?;
    Ok(HttpResponse::Ok().json(report))
}

async fn import(
    req: &HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    params: ImportParams,
    payload: web::Payload,
    write: bool,
) -> Result<ImportReport, AppError> {
    let establishment = admin_establishment(&principal)?;
    let file_name = params
        .file_name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| {
            AppError::bad_request(
                "invalid_query",
                "file_name : nom du fichier manquant (il indique le format attendu)",
            )
        })?;
    let bytes = crate::upload::read_body(req, payload, MAX_IMPORT_BYTES).await?;
    let now = Utc::now().naive_utc();
    let actor = principal.user_id;
    let today = now.date();
    // Parsed before any connection is taken: a large file's parsing holds no lock.
    let parsed = {
        let file_name = file_name.clone();
        web::block(move || parse_class_list(&bytes, &file_name, today)).await??
    };
    let work = move |conn: &mut DbConnection| {
        let year = school_year(conn, establishment, params.school_year_id, today)?;
        let plan = plan(conn, establishment, &year, &parsed)?;
        let mut report = ImportReport {
            committed: false,
            format: parsed.format.extension().to_owned(),
            sheet_name: parsed.sheet_name.clone(),
            header_row: parsed.header_row,
            headers: parsed.headers.clone(),
            ignored_headers: parsed.ignored_headers.clone(),
            school_year: year,
            counts: count(&plan.rows),
            rows: plan.rows,
        };
        if write {
            if report.counts.error > 0 {
                return Err(rows_with_errors(&report));
            }
            apply(conn, establishment, &mut report, &plan.class_ids, now)?;
            // The next import looks these students up by email and INE.
            crate::db::refresh_statistics(conn, &["users", "user_roles", "class_students"])?;
            report.committed = true;
            let detail = format!(
                "file: {}; created {}, updated {}, unchanged {}",
                file_label(&file_name),
                report.counts.create,
                report.counts.update,
                report.counts.unchanged
            );
            audit::record(
                conn,
                now,
                Entry {
                    actor_id: Some(actor),
                    establishment_id: Some(establishment),
                    action: "class_list.imported",
                    object: &format!("school_year:{}", report.school_year.id),
                    detail: &detail,
                },
            )?;
        }
        Ok(report)
    };
    if write {
        crate::db::write(&state.pool, work).await
    } else {
        run(&state.pool, work).await
    }
}

/// The file's base name, at most 100 characters, for the audit log.
fn file_label(name: &str) -> String {
    name.rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect()
}

fn rows_with_errors(report: &ImportReport) -> AppError {
    let first: Vec<String> = report
        .rows
        .iter()
        .filter(|r| r.action == RowAction::Error)
        .flat_map(|r| r.issues.iter().map(|i| i.message.clone()))
        .take(5)
        .collect();
    AppError::unprocessable(
        "rows_with_errors",
        format!(
            "{} ligne(s) en erreur, rien n'a été importé : {}{}",
            report.counts.error,
            first.join(" ; "),
            if report.counts.error > first.len() {
                " …"
            } else {
                ""
            }
        ),
    )
}

fn count(rows: &[ImportRowReport]) -> ImportCounts {
    let mut counts = ImportCounts::default();
    for row in rows {
        match row.action {
            RowAction::Create => counts.create += 1,
            RowAction::Update => counts.update += 1,
            RowAction::Unchanged => counts.unchanged += 1,
            RowAction::Error => counts.error += 1,
        }
    }
    counts
}

/// The school year named, else the one running `today`, else the latest.
fn school_year(
    conn: &mut DbConnection,
    establishment: i64,
    id: Option<i64>,
    today: NaiveDate,
) -> Result<SchoolYear, AppError> {
    let years = super::classes::years_of(conn, establishment)?;
    let chosen = match id {
        Some(id) => years.into_iter().find(|y| y.id == id).ok_or_else(|| {
            AppError::unprocessable(
                "unknown_school_year",
                format!("school_year_id : année scolaire inconnue : {id}"),
            )
        })?,
        None => {
            let running = years
                .iter()
                .position(|y| y.starts_on <= today && today <= y.ends_on);
            let mut years = years;
            match running {
                Some(i) => years.swap_remove(i),
                None => years.into_iter().next().ok_or_else(|| {
                    AppError::conflict(
                        "no_school_year",
                        "créez d'abord une année scolaire et ses classes",
                    )
                })?,
            }
        }
    };
    Ok(chosen)
}

type StudentRow = (
    i64,
    String,
    String,
    String,
    Option<NaiveDate>,
    Option<String>,
);

/// A student of the establishment as the import sees them.
struct Student {
    id: i64,
    email: String,
    first_name: String,
    last_name: String,
    birth_date: Option<NaiveDate>,
    ine: Option<String>,
    /// Their classes in the imported school year.
    classes: Vec<i64>,
}

struct Plan {
    rows: Vec<ImportRowReport>,
    /// Target class of each row (None for error rows), index for index with `rows`.
    class_ids: Vec<Option<i64>>,
}

fn plan(
    conn: &mut DbConnection,
    establishment: i64,
    year: &SchoolYear,
    parsed: &crate::people::import::ParsedSheet,
) -> Result<Plan, AppError> {
    // Classes of the year, by folded name ("t agora a").
    let class_rows: Vec<(i64, String)> = classes::table
        .filter(classes::establishment_id.eq(establishment))
        .filter(classes::school_year_id.eq(year.id))
        .order(classes::name)
        .select((classes::id, classes::name))
        .load(conn)?;
    let class_names: HashMap<i64, String> = class_rows.iter().cloned().collect();
    let class_by_name: HashMap<String, i64> = class_rows
        .iter()
        .map(|(id, name)| (fold_name(name), *id))
        .collect();

    // Students of the establishment named by the file (by INE or email), with their
    // classes this year. Only those: an académie database holds tens of thousands.
    let file_ines: Vec<&str> = parsed
        .rows
        .iter()
        .filter_map(|r| r.ine.as_deref())
        .collect();
    let file_emails: Vec<&str> = parsed
        .rows
        .iter()
        .filter_map(|r| r.email.as_deref())
        .collect();
    let student_query = || {
        users::table
            .inner_join(user_roles::table)
            .filter(users::establishment_id.eq(establishment))
            .filter(user_roles::role.eq(Role::Student.as_str()))
            .select((
                users::id,
                users::email,
                users::first_name,
                users::last_name,
                users::birth_date,
                users::ine,
            ))
    };
    let mut student_rows: Vec<StudentRow> = Vec::new();
    for chunk in file_ines.chunks(500) {
        student_rows.extend(
            student_query()
                .filter(users::ine.eq_any(chunk))
                .load::<StudentRow>(conn)?,
        );
    }
    for chunk in file_emails.chunks(500) {
        student_rows.extend(
            student_query()
                .filter(users::email.eq_any(chunk))
                .load::<StudentRow>(conn)?,
        );
    }
    student_rows.sort_unstable_by_key(|s| s.0);
    student_rows.dedup_by_key(|s| s.0);
    let student_ids: Vec<i64> = student_rows.iter().map(|s| s.0).collect();
    let mut memberships: Vec<(i64, i64)> = Vec::new();
    for chunk in student_ids.chunks(500) {
        memberships.extend(
            class_students::table
                .inner_join(classes::table)
                .filter(classes::school_year_id.eq(year.id))
                .filter(class_students::user_id.eq_any(chunk))
                .select((class_students::user_id, class_students::class_id))
                .load::<(i64, i64)>(conn)?,
        );
    }
    let mut students: HashMap<i64, Student> = student_rows
        .into_iter()
        .map(|(id, email, first_name, last_name, birth_date, ine)| {
            (
                id,
                Student {
                    id,
                    email,
                    first_name,
                    last_name,
                    birth_date,
                    ine,
                    classes: Vec::new(),
                },
            )
        })
        .collect();
    for (user, class) in memberships {
        if let Some(s) = students.get_mut(&user) {
            s.classes.push(class);
        }
    }
    let by_ine: HashMap<&str, i64> = students
        .values()
        .filter_map(|s| Some((s.ine.as_deref()?, s.id)))
        .collect();
    let by_email: HashMap<&str, i64> = students
        .values()
        .map(|s| (s.email.as_str(), s.id))
        .collect();

    // Accounts using the file's emails that are not students here: the school's staff
    // (the admin may be told), or accounts elsewhere (told only that the address cannot
    // be used: which emails another establishment holds is none of this one's business).
    let mut staff: HashSet<String> = HashSet::new();
    let mut foreign: HashSet<String> = HashSet::new();
    for chunk in file_emails.chunks(500) {
        let used: Vec<(i64, String, Option<i64>)> = users::table
            .filter(users::email.eq_any(chunk))
            .select((users::id, users::email, users::establishment_id))
            .load(conn)?;
        for (id, email, owner) in used {
            if students.contains_key(&id) {
                continue;
            }
            if owner == Some(establishment) {
                staff.insert(email);
            } else {
                foreign.insert(email);
            }
        }
    }

    // Row errors of the parser, grouped by row.
    let mut parse_errors: BTreeMap<usize, Vec<RowIssue>> = BTreeMap::new();
    for e in &parsed.errors {
        parse_errors.entry(e.row).or_default().push(RowIssue {
            column: e.column.clone(),
            code: e.code.to_owned(),
            message: e.message.clone(),
        });
    }
    let known_classes = || {
        let mut names: Vec<&str> = class_rows.iter().map(|(_, n)| n.as_str()).collect();
        names.truncate(12);
        if names.is_empty() {
            "aucune classe n'existe pour cette année".to_owned()
        } else {
            format!("classes de l'année : {}", names.join(", "))
        }
    };

    let mut rows: Vec<(ImportRowReport, Option<i64>)> = Vec::with_capacity(parsed.rows.len());
    let mut claimed: HashMap<i64, usize> = HashMap::new();
    for row in &parsed.rows {
        let mut issues = Vec::new();
        let issue = |code: &str, column: Option<&str>, message: String| RowIssue {
            column: column.map(str::to_owned),
            code: code.to_owned(),
            message: format!("ligne {}{} : {message}", row.row, column_part(column)),
        };
        let email = row.email.clone().unwrap_or_default();
        let class_id = class_by_name.get(&fold_name(&row.class_name)).copied();
        if class_id.is_none() {
            issues.push(issue(
                "unknown_class",
                Some("classe"),
                format!(
                    "classe inconnue « {} » pour {} ({})",
                    row.class_name,
                    year.label,
                    known_classes()
                ),
            ));
        }
        if staff.contains(&email) {
            issues.push(issue(
                "email_taken",
                Some("email"),
                format!(
                    "l'adresse « {email} » est celle d'un membre du personnel de l'établissement"
                ),
            ));
        }
        if foreign.contains(&email) {
            issues.push(issue(
                "email_unavailable",
                Some("email"),
                crate::auth::store::email_unavailable_message(&email),
            ));
        }
        let via_ine = row.ine.as_deref().and_then(|i| by_ine.get(i).copied());
        let via_email = by_email.get(email.as_str()).copied();
        let target = match (via_ine, via_email) {
            (Some(a), Some(b)) if a != b => {
                issues.push(issue(
                    "ine_conflict",
                    Some("INE"),
                    format!(
                        "l'INE {} et l'adresse « {email} » désignent deux élèves différents",
                        row.ine.as_deref().unwrap_or("")
                    ),
                ));
                None
            }
            (a, b) => a.or(b),
        };
        let target = target.and_then(|id| students.get(&id));
        if let (Some(t), Some(ine)) = (target, row.ine.as_deref()) {
            if t.ine.as_deref().is_some_and(|known| known != ine) {
                issues.push(issue(
                    "ine_mismatch",
                    Some("INE"),
                    format!(
                        "l'élève {} {} a l'INE {}, pas {ine}",
                        t.first_name,
                        t.last_name,
                        t.ine.as_deref().unwrap_or("")
                    ),
                ));
            }
        }
        if let Some(t) = target {
            if let Some(first) = claimed.insert(t.id, row.row) {
                issues.push(issue(
                    "duplicate_student",
                    None,
                    format!("même élève que la ligne {first}"),
                ));
            }
        }
        let mut report = ImportRowReport {
            row: row.row,
            action: RowAction::Error,
            last_name: Some(row.last_name.clone()),
            first_name: Some(row.first_name.clone()),
            email: row.email.clone(),
            class_name: Some(row.class_name.clone()),
            ine: row.ine.clone(),
            birth_date: row.birth_date,
            user_id: target.map(|t| t.id),
            changes: Vec::new(),
            issues,
        };
        if report.issues.is_empty() {
            match (target, class_id) {
                (None, Some(_)) => report.action = RowAction::Create,
                (Some(t), Some(class)) => {
                    report.changes = changes(t, row, class, &class_names);
                    report.action = if report.changes.is_empty() {
                        RowAction::Unchanged
                    } else {
                        RowAction::Update
                    };
                }
                (_, None) => {}
            }
        }
        let class = (report.action != RowAction::Error)
            .then_some(class_id)
            .flatten();
        rows.push((report, class));
    }
    for (row, issues) in parse_errors {
        rows.push((
            ImportRowReport {
                row,
                action: RowAction::Error,
                last_name: None,
                first_name: None,
                email: None,
                class_name: None,
                ine: None,
                birth_date: None,
                user_id: None,
                changes: Vec::new(),
                issues,
            },
            None,
        ));
    }
    rows.sort_by_key(|(r, _)| r.row);
    let (rows, class_ids) = rows.into_iter().unzip();
    Ok(Plan { rows, class_ids })
}

fn column_part(column: Option<&str>) -> String {
    column
        .map(|c| format!(", colonne « {c} »"))
        .unwrap_or_default()
}

/// Class names compare folded, with inner spaces collapsed ("T  agora A" = "T AGOrA A").
fn fold_name(name: &str) -> String {
    fold(&name.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// What committing `row` would change on `student`, in French. A cell left empty in the
/// file (birth date, INE) keeps what is known.
fn changes(
    student: &Student,
    row: &ImportRow,
    class: i64,
    class_names: &HashMap<i64, String>,
) -> Vec<String> {
    let mut changes = Vec::new();
    let mut differs = |what: &str, before: Option<&str>, after: &str| {
        if before != Some(after) {
            changes.push(format!("{what} : {} → {after}", before.unwrap_or("—")));
        }
    };
    differs("nom", Some(&student.last_name), &row.last_name);
    differs("prénom", Some(&student.first_name), &row.first_name);
    if let Some(email) = &row.email {
        differs("adresse", Some(&student.email), email);
    }
    if let Some(date) = row.birth_date {
        let before = student.birth_date.map(|d| d.format("%d/%m/%Y").to_string());
        differs(
            "date de naissance",
            before.as_deref(),
            &date.format("%d/%m/%Y").to_string(),
        );
    }
    if let Some(ine) = &row.ine {
        differs("INE", student.ine.as_deref(), ine);
    }
    if student.classes != [class] {
        let before: Vec<&str> = student
            .classes
            .iter()
            .filter_map(|c| class_names.get(c).map(String::as_str))
            .collect();
        let before = (!before.is_empty()).then(|| before.join(", "));
        differs(
            "classe",
            before.as_deref(),
            class_names.get(&class).map(String::as_str).unwrap_or(""),
        );
    }
    changes
}

/// Writes the plan in one transaction: new accounts (students, no password), updated
/// ones, and class memberships for the year. Fills `user_id` of created rows.
fn apply(
    conn: &mut DbConnection,
    establishment: i64,
    report: &mut ImportReport,
    class_ids: &[Option<i64>],
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let year = report.school_year.id;
    let rows = &mut report.rows;
    crate::with_conn!(conn, |c| c.transaction::<_, AppError, _>(|c| {
        let creates: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].action == RowAction::Create)
            .collect();
        for chunk in creates.chunks(500) {
            let values: Vec<_> = chunk
                .iter()
                .map(|&i| {
                    let r = &rows[i];
                    (
                        users::email.eq(r.email.clone().unwrap_or_default()),
                        users::first_name.eq(r.first_name.clone().unwrap_or_default()),
                        users::last_name.eq(r.last_name.clone().unwrap_or_default()),
                        users::password_hash.eq(None::<String>),
                        users::disabled.eq(false),
                        users::establishment_id.eq(Some(establishment)),
                        users::birth_date.eq(r.birth_date),
                        users::ine.eq(r.ine.clone()),
                        users::created_at.eq(now),
                    )
                })
                .collect();
            diesel::insert_into(users::table)
                .values(values)
                .execute(c)?;
            let emails: Vec<String> = chunk
                .iter()
                .map(|&i| rows[i].email.clone().unwrap_or_default())
                .collect();
            let ids: HashMap<String, i64> = users::table
                .filter(users::email.eq_any(&emails))
                .select((users::email, users::id))
                .load::<(String, i64)>(c)?
                .into_iter()
                .collect();
            for &i in chunk {
                rows[i].user_id = rows[i].email.as_ref().and_then(|e| ids.get(e).copied());
            }
            let roles: Vec<_> = chunk
                .iter()
                .filter_map(|&i| rows[i].user_id)
                .map(|id| {
                    (
                        user_roles::user_id.eq(id),
                        user_roles::role.eq(Role::Student.as_str()),
                    )
                })
                .collect();
            diesel::insert_into(user_roles::table)
                .values(roles)
                .execute(c)?;
        }
        // Updated rows: personal data one by one (each row differs), then their classes
        // of the year replaced, like created rows', in batches.
        let mut moved: Vec<i64> = Vec::new();
        let mut joins: Vec<(i64, i64)> = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let (Some(user), Some(class)) = (row.user_id, class_ids[i]) else {
                continue;
            };
            match row.action {
                RowAction::Update => {
                    diesel::update(users::table.find(user))
                        .set((
                            users::email.eq(row.email.clone().unwrap_or_default()),
                            users::first_name.eq(row.first_name.clone().unwrap_or_default()),
                            users::last_name.eq(row.last_name.clone().unwrap_or_default()),
                        ))
                        .execute(c)?;
                    if row.birth_date.is_some() {
                        diesel::update(users::table.find(user))
                            .set(users::birth_date.eq(row.birth_date))
                            .execute(c)?;
                    }
                    if row.ine.is_some() {
                        diesel::update(users::table.find(user))
                            .set(users::ine.eq(row.ine.clone()))
                            .execute(c)?;
                    }
                    moved.push(user);
                }
                RowAction::Create => {}
                RowAction::Unchanged | RowAction::Error => continue,
            }
            joins.push((class, user));
        }
        for chunk in moved.chunks(500) {
            let year_classes = classes::table
                .filter(classes::school_year_id.eq(year))
                .select(classes::id);
            diesel::delete(
                class_students::table
                    .filter(class_students::user_id.eq_any(chunk))
                    .filter(class_students::class_id.eq_any(year_classes)),
            )
            .execute(c)?;
        }
        for chunk in joins.chunks(500) {
            let values: Vec<_> = chunk
                .iter()
                .map(|&(class, user)| {
                    (
                        class_students::class_id.eq(class),
                        class_students::user_id.eq(user),
                    )
                })
                .collect();
            diesel::insert_into(class_students::table)
                .values(values)
                .execute(c)?;
        }
        Ok(())
    }))
}
