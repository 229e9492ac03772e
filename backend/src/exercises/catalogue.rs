//! Catalogue exchange between schools: the visible exercises exported as JSON or xlsx,
//! and imported back (into the importer's private exercises) with a dry run that names
//! every unknown code; the commit writes all or nothing.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::Connection;
use passerelle_api::{
    Catalogue, CatalogueAction, CatalogueImportReport, CatalogueRowReport, ExerciseInput, ItemLink,
    PortableExercise, RowIssue, Visibility, CATALOGUE_FORMAT, CATALOGUE_VERSION,
};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::staff_establishment;
use super::store::{self, ExerciseRow};
use crate::audit::{self, Entry};
use crate::auth::store::Principal;
use crate::db::{run, DbConnection};
use crate::error::AppError;
use crate::fold::fold;
use crate::people::import::{xlsx_text_rows, MAX_IMPORT_BYTES};
use crate::referentials::api::snapshot;
use crate::referentials::catalog::Snapshot;
use crate::server::AppState;
use crate::upload::{attachment, read_body, XLSX_MIME};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/exercises/export.json", web::get().to(export_json))
        .route("/exercises/export.xlsx", web::get().to(export_xlsx))
        .route(
            "/exercises/import/preview",
            web::post()
                .to(|req, state, principal, payload| import(req, state, principal, payload, false)),
        )
        .route(
            "/exercises/import/commit",
            web::post()
                .to(|req, state, principal, payload| import(req, state, principal, payload, true)),
        );
}

/// Most exercises in one imported catalogue.
const MAX_EXERCISES: usize = 2000;

fn portable(row: &ExerciseRow, links: Vec<ItemLink>) -> Result<PortableExercise, AppError> {
    Ok(PortableExercise {
        title: row.title.clone(),
        instructions: row.instructions.clone(),
        software_id: row.software_id.clone(),
        base_id: row.base_id.clone(),
        modules: serde_json::from_str(&row.modules)?,
        features: serde_json::from_str(&row.features)?,
        duration_minutes: row.duration_minutes.map(|d| d.max(0) as u32),
        level: row.level.clone(),
        items: links,
    })
}

async fn visible_catalogue(
    state: &web::Data<AppState>,
    principal: Principal,
) -> Result<Catalogue, AppError> {
    let establishment = staff_establishment(&principal)?;
    run(&state.pool, move |conn| {
        let rows = store::visible_rows(conn, &principal, establishment)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut links = store::links_of(conn, &ids)?;
        let exercises = rows
            .iter()
            .map(|r| portable(r, links.remove(&r.id).unwrap_or_default()))
            .collect::<Result<_, _>>()?;
        Ok(Catalogue {
            format: CATALOGUE_FORMAT.to_owned(),
            version: CATALOGUE_VERSION,
            exercises,
        })
    })
    .await
}

async fn export_json(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, AppError> {
    let catalogue = visible_catalogue(&state, principal).await?;
    let bytes = serde_json::to_vec_pretty(&catalogue)?;
    Ok(attachment(
        bytes,
        "application/json",
        "catalogue-exercices.json",
    ))
}

async fn export_xlsx(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, AppError> {
    let catalogue = visible_catalogue(&state, principal).await?;
    let bytes = web::block(move || workbook(&catalogue))
        .await?
        .map_err(|e| AppError::internal(format!("catalogue workbook: {e}")))?;
    Ok(attachment(bytes, XLSX_MIME, "catalogue-exercices.xlsx"))
}

/// Columns of the xlsx catalogue, in order; the import finds them by (folded) name.
const COLUMNS: [&str; 10] = [
    "Titre",
    "Consignes",
    "Logiciel",
    "Base",
    "Modules",
    "Fonctionnalités",
    "Durée (min)",
    "Niveau",
    "Éléments principaux",
    "Éléments secondaires",
];

fn items_cell(items: &[ItemLink], main: bool) -> String {
    items
        .iter()
        .filter(|l| l.main == main)
        .map(|l| format!("{}:{}", l.referential_id, l.code))
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn workbook(catalogue: &Catalogue) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Exercices")?;
    let header = Format::new()
        .set_bold()
        .set_background_color("#E8EEF4")
        .set_text_wrap();
    let wrap = Format::new().set_text_wrap();
    for (col, name) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *name, &header)?;
    }
    for (col, width) in [40, 60, 12, 16, 30, 40, 10, 14, 40, 40].iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
    }
    for (i, e) in catalogue.exercises.iter().enumerate() {
        let row = 1 + i as u32;
        sheet.write_string_with_format(row, 0, &e.title, &wrap)?;
        sheet.write_string_with_format(row, 1, &e.instructions, &wrap)?;
        sheet.write_string(row, 2, e.software_id.as_deref().unwrap_or(""))?;
        sheet.write_string(row, 3, e.base_id.as_deref().unwrap_or(""))?;
        sheet.write_string(row, 4, e.modules.join("; "))?;
        sheet.write_string(row, 5, e.features.join("; "))?;
        if let Some(d) = e.duration_minutes {
            sheet.write_number(row, 6, f64::from(d))?;
        }
        sheet.write_string(row, 7, e.level.as_deref().unwrap_or(""))?;
        sheet.write_string(row, 8, items_cell(&e.items, true))?;
        sheet.write_string(row, 9, items_cell(&e.items, false))?;
    }
    sheet.set_freeze_panes(1, 1)?;
    sheet.autofilter(
        0,
        0,
        catalogue.exercises.len() as u32,
        COLUMNS.len() as u16 - 1,
    )?;
    workbook.save_to_buffer()
}

/// One exercise read from a file, before checks: its row (or position), the fields, and
/// what could not even be read (a bad duration, a malformed item reference).
pub struct ReadExercise {
    row: usize,
    /// How messages name it: "exercice 3" (JSON) or "ligne 4" (xlsx).
    place: String,
    exercise: PortableExercise,
    issues: Vec<RowIssue>,
}

fn issue(column: &str, code: &str, message: String) -> RowIssue {
    RowIssue {
        column: Some(column.to_owned()),
        code: code.to_owned(),
        message,
    }
}

/// The exercises of a JSON catalogue (`export.json`'s format and version), unchecked.
/// Public for the fuzz targets (`fuzz/`).
pub fn read_json(bytes: &[u8]) -> Result<Vec<ReadExercise>, AppError> {
    let catalogue: Catalogue = serde_json::from_slice(bytes).map_err(|e| {
        AppError::bad_request(
            "invalid_json",
            format!(
                "catalogue JSON illisible (ligne {}, colonne {}) : {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    if catalogue.format != CATALOGUE_FORMAT || catalogue.version != CATALOGUE_VERSION {
        return Err(AppError::unprocessable(
            "wrong_format",
            format!(
                "format : « {} » version {} attendu, « {} » version {} reçu",
                CATALOGUE_FORMAT, CATALOGUE_VERSION, catalogue.format, catalogue.version
            ),
        ));
    }
    Ok(catalogue
        .exercises
        .into_iter()
        .enumerate()
        .map(|(i, exercise)| ReadExercise {
            row: i + 1,
            place: format!("exercice {}", i + 1),
            exercise,
            issues: Vec::new(),
        })
        .collect())
}

fn split_list(cell: &str) -> Vec<String> {
    cell.split([';', '\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The exercises of an xlsx catalogue (columns found by name in its first row),
/// unchecked. Public for the fuzz targets (`fuzz/`).
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<ReadExercise>, AppError> {
    let rows = xlsx_text_rows(bytes)?;
    let Some((header_row, headers)) = rows.first() else {
        return Err(AppError::unprocessable("no_header", "le classeur est vide"));
    };
    let position = |name: &str| headers.iter().position(|h| fold(h.trim()) == fold(name));
    let columns: Vec<Option<usize>> = COLUMNS.iter().map(|c| position(c)).collect();
    if columns[0].is_none() {
        return Err(AppError::unprocessable(
            "missing_columns",
            format!(
                "ligne {header_row} : colonne « Titre » absente (colonnes attendues : {})",
                COLUMNS.join(", ")
            ),
        ));
    }
    let mut out = Vec::new();
    for (row, cells) in rows.iter().skip(1) {
        let cell = |c: usize| -> String {
            columns[c]
                .and_then(|i| cells.get(i))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        let optional = |c: usize| Some(cell(c)).filter(|s| !s.is_empty());
        let mut issues = Vec::new();
        let duration_minutes = match optional(6) {
            None => None,
            Some(text) => match text.parse::<f64>() {
                Ok(d) if d.fract() == 0.0 && (1.0..=6000.0).contains(&d) => Some(d as u32),
                _ => {
                    issues.push(issue(
                        COLUMNS[6],
                        "invalid_duration",
                        format!(
                            "ligne {row}, colonne {} : « {text} » n'est pas une durée en \
                             minutes (1 à 6000)",
                            COLUMNS[6]
                        ),
                    ));
                    None
                }
            },
        };
        let mut items = Vec::new();
        for (c, main) in [(8, true), (9, false)] {
            for reference in split_list(&cell(c)) {
                match reference.split_once(':') {
                    Some((referential_id, code)) => items.push(ItemLink {
                        referential_id: referential_id.trim().to_owned(),
                        code: code.trim().to_owned(),
                        main,
                    }),
                    None => issues.push(issue(
                        COLUMNS[c],
                        "invalid_item",
                        format!(
                            "ligne {row}, colonne {} : « {reference} » : référentiel:code \
                             attendu (ex. bts-gpme:T.1.2.4)",
                            COLUMNS[c]
                        ),
                    )),
                }
            }
        }
        out.push(ReadExercise {
            row: *row as usize,
            place: format!("ligne {row}"),
            exercise: PortableExercise {
                title: cell(0),
                instructions: cell(1),
                software_id: optional(2),
                base_id: optional(3),
                modules: split_list(&cell(4)),
                features: split_list(&cell(5)),
                duration_minutes,
                level: optional(7),
                items,
            },
            issues,
        });
    }
    Ok(out)
}

/// Every problem of one exercise, each naming its field and code. Public for the fuzz
/// targets (`fuzz/`).
pub fn problems(snapshot: &Snapshot, read: &ReadExercise, place: &str) -> Vec<RowIssue> {
    let mut issues = read.issues.clone();
    let e = &read.exercise;
    let described =
        |column: &str, error: AppError| issue(column, error.code(), format!("{place} : {error}"));
    if let Err(error) =
        crate::people::required("title", &e.title, passerelle_api::EXERCISE_TITLE_MAX_CHARS)
    {
        issues.push(described("title", error));
    }
    for (i, link) in e.items.iter().enumerate() {
        if let Err(error) = store::check_links(snapshot, vec![link.clone()]) {
            let message = error
                .to_string()
                .replacen("items[0]", &format!("items[{i}]"), 1);
            issues.push(issue("items", error.code(), format!("{place} : {message}")));
        }
    }
    if let Err(error) = store::check_pgi(
        snapshot,
        e.software_id.as_deref(),
        e.base_id.as_deref(),
        &e.modules,
        &e.features,
    ) {
        issues.push(described("pgi", error));
    }
    issues
}

fn input_of(e: PortableExercise) -> ExerciseInput {
    ExerciseInput {
        title: e.title,
        instructions: e.instructions,
        software_id: e.software_id,
        base_id: e.base_id,
        modules: e.modules,
        features: e.features,
        duration_minutes: e.duration_minutes,
        level: e.level,
        visibility: Visibility::Private,
        items: e.items,
    }
}

async fn import(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    payload: web::Payload,
    write: bool,
) -> Result<HttpResponse, AppError> {
    let establishment = staff_establishment(&principal)?;
    let bytes = read_body(&req, payload, MAX_IMPORT_BYTES).await?;
    let referentials = snapshot(&state).await?;
    let now = Utc::now().naive_utc();
    let work = move |conn: &mut DbConnection| {
        let text_start = bytes
            .iter()
            .skip_while(|b| b.is_ascii_whitespace() || [0xEF, 0xBB, 0xBF].contains(b))
            .copied()
            .next();
        let read = match text_start {
            None => return Err(AppError::bad_request("empty_file", "le fichier est vide")),
            Some(b'{') => read_json(strip_bom(&bytes).trim_ascii_start())?,
            Some(_) => read_xlsx(&bytes)?,
        };
        if read.len() > MAX_EXERCISES {
            return Err(AppError::unprocessable(
                "too_many_rows",
                format!("{MAX_EXERCISES} exercices au plus par import"),
            ));
        }
        let mut rows: Vec<CatalogueRowReport> = Vec::with_capacity(read.len());
        let mut inputs = Vec::with_capacity(read.len());
        for r in read {
            let place = format!("{} « {} »", r.place, r.exercise.title.trim());
            let errors = problems(&referentials, &r, &place);
            rows.push(CatalogueRowReport {
                row: r.row,
                title: r.exercise.title.clone(),
                action: if errors.is_empty() {
                    CatalogueAction::Create
                } else {
                    CatalogueAction::Error
                },
                errors,
                exercise_id: None,
            });
            inputs.push(r.exercise);
        }
        let errors = rows
            .iter()
            .filter(|r| r.action == CatalogueAction::Error)
            .count() as u32;
        let mut report = CatalogueImportReport {
            committed: false,
            created: rows.len() as u32 - errors,
            errors,
            rows,
        };
        if !write {
            return Ok(report);
        }
        if errors > 0 {
            return Err(AppError::unprocessable(
                "rows_with_errors",
                format!(
                    "{errors} exercice(s) en erreur : rien n'a été importé (corrigez le \
                     fichier, puis relancez la prévisualisation)"
                ),
            ));
        }
        let checked = inputs
            .into_iter()
            .map(|e| store::check(&referentials, input_of(e)))
            .collect::<Result<Vec<_>, _>>()?;
        let ids = conn.transaction::<_, AppError, _>(|conn| {
            checked
                .iter()
                .map(|c| store::insert(conn, establishment, principal.user_id, c, None, now))
                .collect::<Result<Vec<_>, _>>()
        })?;
        for (row, id) in report.rows.iter_mut().zip(&ids) {
            row.exercise_id = Some(*id);
        }
        report.committed = true;
        audit::record(
            conn,
            now,
            Entry {
                actor_id: Some(principal.user_id),
                establishment_id: Some(establishment),
                action: "exercise.catalogue_imported",
                object: "exercises",
                detail: &format!("{} exercice(s) créé(s)", ids.len()),
            },
        )?;
        Ok(report)
    };
    // A preview only reads; a commit writes, all of it or nothing.
    let report = if write {
        crate::db::write(&state.pool, work).await?
    } else {
        run(&state.pool, work).await?
    };
    Ok(HttpResponse::Ok().json(report))
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}
