//! Import of grids filled offline in the session workbook (`export.xlsx`):
//! `POST /api/exam-sessions/{id}/import/preview` says what each sheet would do,
//! `/commit` does it, all or nothing (422 `sheets_with_errors` when any sheet has one).
//!
//! Each candidate's sheet is checked cell by cell against the sheet the export writes
//! today ([`write_grid_sheet`] on a scratch sheet gives the expected layout): labels,
//! criteria, scale and identity block unchanged; at most one « X » per criterion; a final
//! mark from 0 to 20 (half points). Open grids are written as the agreed grid of
//! `PUT /api/candidates/{id}/grid` (signatures cleared); locked grids are skipped.

use std::collections::HashMap;
use std::io::Cursor;

use actix_web::{web, HttpRequest, HttpResponse};
use calamine::{DataRef, Reader, Xlsx};
use chrono::Utc;
use diesel::Connection;
use passerelle_api::{
    AgreedGridInput, CandidateGrid, CriterionLevel, GridComment, GridImportAction, GridImportIssue,
    GridImportReport, GridImportSheet, GridStatus, COMMENT_MAX_CHARS,
};
use rust_xlsxwriter::{utility::row_col_to_cell, Worksheet};

use super::export::{establishment_of, session_grids};
use super::grids::{check_levels, propose, write_agreed};
use super::sessions::administered;
use super::sheet::{
    sheet_names, write_grid_sheet, Establishment, Formats, SUMMARY_HEADERS, SUMMARY_HEADER_ROW,
    SUMMARY_SHEET,
};
use crate::audit::{self, Entry};
use crate::auth::store::Principal;
use crate::db::{run, DbConnection};
use crate::error::AppError;
use crate::people::import::{check_xlsx, MAX_IMPORT_BYTES};
use crate::referentials::api::snapshot;
use crate::server::AppState;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/exam-sessions/{id}/import/preview",
        web::post().to(|req, state, principal, id, payload| {
            handle(req, state, principal, id, payload, false)
        }),
    )
    .route(
        "/exam-sessions/{id}/import/commit",
        web::post().to(|req, state, principal, id, payload| {
            handle(req, state, principal, id, payload, true)
        }),
    );
}

/// Rows and columns a grid sheet may use; cells read over the workbook.
const MAX_SHEET_ROWS: u32 = 400;
const MAX_SHEET_COLS: u32 = 40;
const MAX_CELLS: usize = 400_000;
const MAX_CELL_CHARS: usize = 4_000;

/// A non-empty cell of a grid sheet, as the import compares it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => format!("{n}"),
        }
    }
}

/// A sheet's non-empty cells by (row, column), 0-based.
pub type Cells = HashMap<(u32, u16), Cell>;

/// The cells of sheet `name` (within the grid's bounds), `budget` counting the cells read
/// over the whole workbook. Public for the fuzz targets (`fuzz/`).
pub fn read_sheet(
    workbook: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    budget: &mut usize,
) -> Result<Cells, AppError> {
    crate::people::import::guarded(
        || read_sheet_cells(workbook, name, budget),
        || {
            AppError::bad_request(
                "unreadable",
                format!("Feuille {name} : illisible, le classeur semble endommagé"),
            )
        },
    )
}

fn read_sheet_cells(
    workbook: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    budget: &mut usize,
) -> Result<Cells, AppError> {
    let unreadable = |e: calamine::XlsxError| {
        AppError::bad_request("unreadable", format!("fichier illisible ({e})"))
    };
    let mut reader = workbook.worksheet_cells_reader(name).map_err(unreadable)?;
    let dims = reader.dimensions();
    if dims.end.0 >= MAX_SHEET_ROWS || dims.end.1 >= MAX_SHEET_COLS {
        return Err(AppError::unprocessable(
            "too_many_cells",
            format!("Feuille {name} : trop de lignes ou de colonnes pour une grille"),
        ));
    }
    let mut cells = Cells::new();
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        *budget += 1;
        if *budget > MAX_CELLS {
            return Err(AppError::unprocessable(
                "too_many_cells",
                "le classeur contient trop de cellules",
            ));
        }
        let (row, col) = cell.get_position();
        if row >= MAX_SHEET_ROWS || col >= MAX_SHEET_COLS {
            continue;
        }
        let value = match cell.get_value() {
            DataRef::String(s) => {
                let s = s.trim();
                if s.is_empty() {
                    continue;
                }
                Cell::Text(s.chars().take(MAX_CELL_CHARS + 1).collect())
            }
            DataRef::SharedString(s) => {
                let s = s.trim();
                if s.is_empty() {
                    continue;
                }
                Cell::Text(s.chars().take(MAX_CELL_CHARS + 1).collect())
            }
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::Int(i) => Cell::Number(*i as f64),
            DataRef::Empty => continue,
            DataRef::Bool(b) => Cell::Text(b.to_string()),
            DataRef::DateTime(d) => Cell::Number(d.as_f64()),
            DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
            DataRef::Error(e) => Cell::Text(e.to_string()),
        };
        cells.insert((row, u16::try_from(col).unwrap_or(0)), value);
    }
    Ok(cells)
}

/// What one candidate's sheet would write.
pub struct SheetOutcome {
    input: AgreedGridInput,
    justification: Option<String>,
    mark: Option<f64>,
    changed: bool,
}

/// Reads one candidate's sheet against the expected layout; issues pushed to `issues`.
/// Public for the fuzz targets (`fuzz/`).
pub fn check_sheet(
    sheet: &str,
    cells: &Cells,
    establishment: &Establishment,
    grid: &CandidateGrid,
    issues: &mut Vec<GridImportIssue>,
) -> Result<SheetOutcome, AppError> {
    let mut scratch = Worksheet::new();
    let layout = write_grid_sheet(&mut scratch, &Formats::new(), establishment, grid)
        .map_err(|e| AppError::internal(format!("grid layout: {e}")))?;
    let before = issues.len();
    let mut issue = |cell: (u32, u16), code: &str, message: String| {
        let name = row_col_to_cell(cell.0, cell.1);
        issues.push(GridImportIssue {
            sheet: sheet.to_owned(),
            cell: Some(name.clone()),
            code: code.to_owned(),
            message: format!("Feuille {sheet}, cellule {name} : {message}"),
        });
    };
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    for (row, col, expected) in &layout.fixed {
        let found = cells.get(&(*row, *col)).map(Cell::text).unwrap_or_default();
        if norm(&found) != norm(expected) {
            issue(
                (*row, *col),
                "structure_changed",
                format!(
                    "la structure de la grille a changé : « {} » attendu, « {} » trouvé",
                    expected.chars().take(80).collect::<String>(),
                    found.chars().take(80).collect::<String>()
                ),
            );
        }
    }
    let mut levels = Vec::new();
    for (code, row) in &layout.criteria {
        let mut marked: Vec<u16> = Vec::new();
        for i in 0..layout.scale_len {
            let col = layout.first_level_col + i;
            match cells.get(&(*row, col)) {
                None => {}
                Some(Cell::Text(t)) if t.eq_ignore_ascii_case("x") => marked.push(i),
                Some(other) => issue(
                    (*row, col),
                    "invalid_level",
                    format!(
                        "« {} » : seule une croix « X » marque le degré de maîtrise du critère {code}",
                        other.text().chars().take(40).collect::<String>()
                    ),
                ),
            }
        }
        match marked.as_slice() {
            [] => {}
            [one] => levels.push(CriterionLevel {
                code: code.clone(),
                level: u8::try_from(one + 1).unwrap_or(0),
            }),
            [_, second, ..] => issue(
                (*row, layout.first_level_col + second),
                "several_levels",
                format!(
                    "le critère {code} est marqué sur plusieurs degrés : un seul « X » par critère"
                ),
            ),
        }
    }
    let mut comments = Vec::new();
    for (field, row) in &layout.comments {
        if let Some(cell) = cells.get(&(*row, 0)) {
            let text = cell.text();
            if text.chars().count() > COMMENT_MAX_CHARS {
                issue(
                    (*row, 0),
                    "value_too_long",
                    format!("{COMMENT_MAX_CHARS} caractères au plus"),
                );
            } else {
                comments.push(GridComment {
                    field: field.clone(),
                    text,
                });
            }
        }
    }
    let proposed = propose(&grid.template, &levels);
    let final_mark = match cells.get(&layout.final_mark) {
        None => None,
        Some(cell) => {
            let parsed = match cell {
                Cell::Number(n) => Some(*n),
                Cell::Text(t) => t.replace(',', ".").trim().parse::<f64>().ok(),
            };
            match parsed {
                Some(m) if (0.0..=20.0).contains(&m) && (m * 2.0).fract() == 0.0 => Some(m),
                _ => {
                    issue(
                        layout.final_mark,
                        "invalid_mark",
                        format!(
                            "« {} » n'est pas une note de 0 à 20 (au demi-point)",
                            cell.text()
                        ),
                    );
                    None
                }
            }
        }
    };
    let justification = cells
        .get(&layout.justification)
        .map(Cell::text)
        .filter(|j| !j.trim().is_empty());
    if final_mark.is_some() && final_mark != proposed && justification.is_none() {
        issue(
            layout.justification,
            "justification_required",
            "une note finale différente de la note proposée doit être justifiée".to_owned(),
        );
    }
    let input = AgreedGridInput {
        levels,
        comments,
        // The proposed mark written back unchanged is no adjustment.
        final_mark: final_mark.filter(|m| Some(*m) != proposed),
        justification: justification.clone(),
    };
    if issues.len() == before {
        if let Err(e) = check_levels(&grid.template, &input.levels, &input.comments) {
            issues.push(GridImportIssue {
                sheet: sheet.to_owned(),
                cell: None,
                code: e.code().to_owned(),
                message: format!("Feuille {sheet} : {e}"),
            });
        }
    }
    let sorted = |mut l: Vec<CriterionLevel>| {
        l.sort_by(|a, b| a.code.cmp(&b.code));
        l
    };
    let stored_comments: Vec<&GridComment> = grid
        .comments
        .iter()
        .filter(|c| !c.text.trim().is_empty())
        .collect();
    let changed = sorted(input.levels.clone()) != sorted(grid.levels.clone())
        || input.comments.iter().collect::<Vec<_>>() != stored_comments
        || input.final_mark.or(proposed) != grid.final_mark.or(grid.proposed_mark)
        || (input.final_mark.is_some()
            && input.justification.as_deref().map(str::trim)
                != grid.justification.as_deref().map(str::trim));
    Ok(SheetOutcome {
        mark: input.final_mark.or(proposed),
        input,
        justification,
        changed,
    })
}

async fn handle(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    payload: web::Payload,
    write: bool,
) -> Result<HttpResponse, AppError> {
    crate::people::admin_establishment(&principal)?;
    let id = id.into_inner();
    let bytes = crate::upload::read_body(&req, payload, MAX_IMPORT_BYTES).await?;
    let referentials = snapshot(&state).await?;
    let now = Utc::now().naive_utc();
    let work = move |conn: &mut DbConnection| {
        let row = administered(conn, &principal, id)?;
        check_xlsx(&bytes)?;
        let establishment = establishment_of(conn, row.establishment_id)?;
        let establishment_id = row.establishment_id;
        let grids = session_grids(conn, &referentials, row)?;
        let names = sheet_names(&grids);
        let unreadable =
            |e: String| AppError::bad_request("unreadable", format!("fichier illisible ({e})"));
        let mut workbook: Xlsx<Cursor<&[u8]>> = crate::people::import::guarded(
            || Xlsx::new(Cursor::new(bytes.as_slice())).map_err(|e| unreadable(e.to_string())),
            || unreadable("le lecteur de classeurs n'a pas pu le lire".to_owned()),
        )?;
        let present = workbook.sheet_names();
        let mut issues = Vec::new();
        let whole = |sheet: &str, code: &str, message: String| GridImportIssue {
            sheet: sheet.to_owned(),
            cell: None,
            code: code.to_owned(),
            message,
        };
        for name in &present {
            if name != SUMMARY_SHEET && !names.contains(name) {
                issues.push(whole(
                    name,
                    "unexpected_sheet",
                    format!("Feuille {name} : feuille inattendue (le classeur doit être celui exporté pour cette session)"),
                ));
            }
        }
        let mut budget = 0usize;
        if present.iter().any(|n| n == SUMMARY_SHEET) {
            let cells = read_sheet(&mut workbook, SUMMARY_SHEET, &mut budget)?;
            for (col, header) in SUMMARY_HEADERS.iter().enumerate() {
                let col = u16::try_from(col).unwrap_or(0);
                if cells
                    .get(&(SUMMARY_HEADER_ROW, col))
                    .map(Cell::text)
                    .as_deref()
                    != Some(header)
                {
                    let cell = row_col_to_cell(SUMMARY_HEADER_ROW, col);
                    issues.push(GridImportIssue {
                        sheet: SUMMARY_SHEET.to_owned(),
                        cell: Some(cell.clone()),
                        code: "structure_changed".to_owned(),
                        message: format!(
                            "Feuille {SUMMARY_SHEET}, cellule {cell} : « {header} » attendu"
                        ),
                    });
                }
            }
        } else {
            issues.push(whole(
                SUMMARY_SHEET,
                "missing_sheet",
                format!("Feuille {SUMMARY_SHEET} : feuille manquante"),
            ));
        }
        let mut sheets = Vec::new();
        let mut outcomes = Vec::new();
        for (grid, name) in grids.iter().zip(&names) {
            if !present.contains(name) {
                issues.push(whole(
                    name,
                    "missing_sheet",
                    format!("Feuille {name} : feuille manquante"),
                ));
                continue;
            }
            let cells = read_sheet(&mut workbook, name, &mut budget)?;
            let before = issues.len();
            let outcome = check_sheet(name, &cells, &establishment, grid, &mut issues)?;
            let action = if issues.len() > before {
                GridImportAction::Error
            } else if grid.status == GridStatus::Locked {
                GridImportAction::Locked
            } else if outcome.changed {
                GridImportAction::Update
            } else {
                GridImportAction::Unchanged
            };
            sheets.push(GridImportSheet {
                sheet: name.clone(),
                candidate_id: grid.candidate.id,
                number: grid.candidate.number.clone(),
                action,
                mark: outcome.mark,
            });
            outcomes.push((grid.candidate.id, action, outcome));
        }
        let count = |a: GridImportAction| {
            u32::try_from(sheets.iter().filter(|s| s.action == a).count()).unwrap_or(0)
        };
        let mut report = GridImportReport {
            committed: false,
            updated: count(GridImportAction::Update),
            unchanged: count(GridImportAction::Unchanged),
            locked: count(GridImportAction::Locked),
            sheets,
            issues,
        };
        if write {
            if !report.issues.is_empty() {
                let first: Vec<&str> = report
                    .issues
                    .iter()
                    .take(5)
                    .map(|i| i.message.as_str())
                    .collect();
                return Err(AppError::unprocessable(
                    "sheets_with_errors",
                    format!(
                        "{} erreur(s), rien n'a été importé : {}{}",
                        report.issues.len(),
                        first.join(" ; "),
                        if report.issues.len() > first.len() {
                            " …"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            let actor = principal.user_id;
            conn.transaction::<_, AppError, _>(|conn| {
                for (candidate, action, outcome) in &outcomes {
                    if *action != GridImportAction::Update {
                        continue;
                    }
                    let justification = outcome.input.final_mark.and(outcome.justification.clone());
                    write_agreed(conn, *candidate, &outcome.input, justification, actor, now)?;
                }
                audit::record(
                    conn,
                    now,
                    Entry {
                        actor_id: Some(actor),
                        establishment_id: Some(establishment_id),
                        action: "exam_session.grids_imported",
                        object: &format!("exam_session:{id}"),
                        detail: &format!(
                            "updated {}, unchanged {}, locked {}",
                            report.updated, report.unchanged, report.locked
                        ),
                    },
                )
            })?;
            report.committed = true;
        }
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
