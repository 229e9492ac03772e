//! Coverage: every item of a referential against the exercises that practise it, for a
//! class (its progression, with dates: planned or done) or for an exercise set. Computed in
//! memory from the referential snapshot (which holds each referential's row [`Outline`],
//! computed once) and three small queries keyed on the class (its assignments, their
//! links, its students' validated evidence), so a class of 300 assignments answers in a
//! few milliseconds.
//!
//! Rows are the referential's structure and what can be practised: grouping kinds
//! (domain, function, bloc, activity) summarise the mappable items below them by their
//! counts and status; conditions, expected results, knowledge, PGI lists… are left out.
//! Cells (exercise × item) are sent on mappable rows only: a grouping row's would repeat
//! its children's, so clients merge them (`Coverage::cells_by_row`). For a class,
//! mappable rows carry `students_evidenced`: the class's students with a validated fiche
//! (portfolio) showing the item.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use passerelle_api::{
    Coverage, CoverageCell, CoverageExercise, CoverageRequest, CoverageRow, CoverageStatus,
    ItemKind, ItemLink, LinkStrength,
};
use rust_xlsxwriter::{
    ConditionalFormatCell, ConditionalFormatCellRule, Format, FormatAlign, FormatBorder, Workbook,
    XlsxError,
};
use serde::Deserialize;

use super::assignments::{is_done, of_class, taught_class};
use super::{staff_establishment, store};
use crate::auth::store::Principal;
use crate::db::run;
use crate::error::AppError;
use crate::portfolio::progress::EvidenceCache;
use crate::referentials::api::snapshot;
use crate::referentials::catalog::{Entry, Snapshot};
use crate::schema::{class_exercises, exercise_items};
use crate::server::AppState;
use crate::upload::{attachment, XLSX_MIME};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/classes/{id}/coverage", web::get().to(class_coverage))
        .route(
            "/classes/{id}/coverage.xlsx",
            web::get().to(class_coverage_xlsx),
        )
        .route("/coverage", web::post().to(set_coverage));
}

/// Kinds that appear as rows: the structure, then what exercises map to.
const ROW_KINDS: [ItemKind; 7] = [
    ItemKind::Domain,
    ItemKind::Function,
    ItemKind::Bloc,
    ItemKind::Activity,
    ItemKind::Task,
    ItemKind::Situation,
    ItemKind::Competency,
];

/// Most exercises in an exercise-set coverage.
const SET_MAX: usize = 1000;

#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    /// Only this item and what is below it.
    pub under: Option<String>,
    /// Only rows of this kind.
    pub kind: Option<ItemKind>,
    /// The day "done" is judged against (today by default).
    pub on: Option<NaiveDate>,
}

/// Items of `entry` that links to other referentials imply, through correspondences.
fn implied_codes(snapshot: &Snapshot, entry: &Entry, link: &ItemLink) -> Vec<String> {
    snapshot
        .implied(&[(link.referential_id.clone(), link.code.clone())])
        .into_iter()
        .filter(|c| c.referential_id == entry.summary.id)
        .map(|c| c.code)
        .collect()
}

/// The rows of a referential's coverage matrix and their tree, which depend on the
/// referential only: computed once per referential when its snapshot is built (kept in
/// its [`Entry`]), not on every request.
#[derive(Debug, Default)]
pub struct Outline {
    rows: Vec<OutlineRow>,
    /// Position in `rows` of each item (by index) that is a mappable row.
    mappable_row: Vec<Option<u32>>,
}

#[derive(Debug)]
struct OutlineRow {
    /// Position of the item in [`Entry::items`].
    item: usize,
    /// The nearest ancestor that is a row (item position).
    parent: Option<usize>,
    /// Rows above it, for indentation.
    depth: u32,
    mappable: bool,
    /// Every ancestor (item positions), for the `under` filter.
    ancestors: Vec<usize>,
    /// The rows above it (positions in `rows`), which count it in their aggregates.
    above: Vec<u32>,
}

impl Outline {
    /// The outline of `entry` (whose items and codes are in place).
    pub fn of(entry: &Entry) -> Outline {
        let items = entry.items();
        let is_row = |i: usize| ROW_KINDS.contains(&items[i].kind);
        let mut position: Vec<Option<u32>> = vec![None; items.len()];
        let mut outline = Outline {
            rows: Vec::new(),
            mappable_row: vec![None; items.len()],
        };
        for (i, item) in items.iter().enumerate() {
            if !is_row(i) {
                continue;
            }
            let ancestors = entry.ancestor_indices(i);
            let row_ancestors: Vec<usize> =
                ancestors.iter().copied().filter(|&p| is_row(p)).collect();
            let mappable = store::MAPPABLE_KINDS.contains(&item.kind);
            let here = outline.rows.len() as u32;
            position[i] = Some(here);
            if mappable {
                outline.mappable_row[i] = Some(here);
            }
            outline.rows.push(OutlineRow {
                item: i,
                parent: row_ancestors.last().copied(),
                depth: row_ancestors.len() as u32,
                mappable,
                // Ancestors come before their descendants in display order, so their
                // positions are known; one that does not is left out (never counted).
                above: row_ancestors.iter().filter_map(|&p| position[p]).collect(),
                ancestors,
            });
        }
        outline
    }
}

/// Students with validated evidence of each item: item code → count.
pub type Evidence = HashMap<String, u32>;

/// The coverage matrix. `columns` in display order; `links` by exercise id; `evidence`
/// for a class (None for an exercise set).
///
/// Cells are given on mappable rows only: a grouping row's are those of the rows below it
/// (`Coverage::cells_by_row`), which it summarises by its counts and status.
pub fn build(
    snapshot: &Snapshot,
    entry: &Entry,
    columns: Vec<CoverageExercise>,
    links: &HashMap<i64, Vec<ItemLink>>,
    filter: &Filter,
    on: NaiveDate,
    evidence: Option<&Evidence>,
) -> Coverage {
    let items = entry.items();
    let outline = &entry.outline;
    let referential = entry.summary.id.as_str();

    // Direct and implied cells of each mappable row (by row position).
    let mut cells: Vec<Vec<CoverageCell>> = vec![Vec::new(); outline.rows.len()];
    let mut put = |index: usize, exercise: u32, strength: LinkStrength| {
        if let Some(&Some(row)) = outline.mappable_row.get(index) {
            cells[row as usize].push(CoverageCell { exercise, strength });
        }
    };
    for (column, exercise) in columns.iter().enumerate() {
        let column = column as u32;
        for link in links.get(&exercise.exercise_id).into_iter().flatten() {
            if link.referential_id == referential {
                if let Some(index) = entry.index_of(&link.code) {
                    let strength = if link.main {
                        LinkStrength::Main
                    } else {
                        LinkStrength::Secondary
                    };
                    put(index, column, strength);
                }
            } else {
                for code in implied_codes(snapshot, entry, link) {
                    if let Some(index) = entry.index_of(&code) {
                        put(index, column, LinkStrength::Implied);
                    }
                }
            }
        }
    }
    // One cell per column, the strongest link.
    for row in &mut cells {
        row.sort_unstable_by_key(|c| (c.exercise, c.strength));
        row.dedup_by_key(|c| c.exercise);
    }

    // Aggregates: mappable rows count for themselves and every row above them.
    #[derive(Default, Clone, Copy)]
    struct Tally {
        items: u32,
        done: u32,
        planned: u32,
    }
    let mut tally = vec![Tally::default(); outline.rows.len()];
    for (r, row) in outline.rows.iter().enumerate() {
        if !row.mappable {
            continue;
        }
        let own = &cells[r];
        let done = own.iter().any(|c| columns[c.exercise as usize].done);
        let planned = !done && !own.is_empty();
        for t in std::iter::once(r).chain(row.above.iter().map(|&a| a as usize)) {
            let t = &mut tally[t];
            t.items += 1;
            t.done += u32::from(done);
            t.planned += u32::from(planned);
        }
    }

    let under = filter.under.as_deref().and_then(|c| entry.index_of(c));
    let mut rows = Vec::new();
    let (mut total_items, mut covered_items, mut done_items) = (0u32, 0u32, 0u32);
    for ((row, t), row_cells) in outline.rows.iter().zip(&tally).zip(cells) {
        let item = &items[row.item];
        if let Some(u) = under {
            if row.item != u && !row.ancestors.contains(&u) {
                continue;
            }
        }
        if filter.kind.is_some_and(|k| k != item.kind) {
            continue;
        }
        if row.mappable {
            total_items += 1;
            covered_items += u32::from(t.done + t.planned > 0);
            done_items += u32::from(t.done > 0);
        }
        rows.push(CoverageRow {
            code: item.code.clone(),
            kind: item.kind,
            label: item.label.clone(),
            parent_code: row.parent.map(|p| items[p].code.clone()),
            depth: row.depth,
            mappable: row.mappable,
            cells: row_cells,
            status: if t.done > 0 {
                CoverageStatus::Done
            } else if t.planned > 0 {
                CoverageStatus::Planned
            } else {
                CoverageStatus::Gap
            },
            items: t.items,
            items_done: t.done,
            items_planned: t.planned,
            students_evidenced: evidence
                .filter(|_| row.mappable)
                .map(|e| e.get(&item.code).copied().unwrap_or(0)),
        });
    }
    Coverage {
        referential_id: entry.summary.id.clone(),
        referential_title: entry.summary.title.clone(),
        class_id: None,
        class_name: None,
        on,
        exercises: columns,
        rows,
        total_items,
        covered_items,
        done_items,
    }
}

/// Students of the class with a validated fiche showing each item of the class's
/// referential: from what its fiches add up to (kept between reads, see
/// [`EvidenceCache`]).
fn class_evidence(
    conn: &mut crate::db::DbConnection,
    cache: &EvidenceCache,
    entry: &Entry,
    class_id: i64,
) -> Result<Evidence, AppError> {
    let layout = &entry.progress;
    let counts = cache
        .of_class(conn, entry, class_id)?
        .students_evidenced(layout);
    Ok(layout
        .items
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(item, n)| (item.code.clone(), n))
        .collect())
}

/// The links of every exercise in a class's progression, in one query keyed on the class
/// (not an `IN` list of hundreds of exercise ids, which each engine must parse and plan
/// anew). A plain join, which both engines run as one index lookup per assignment: as a
/// semi-join (`IN (SELECT …)`) PostgreSQL's planner hashes every link of the database
/// instead (23 ms instead of 1 at 96,000 links), and `DISTINCT` costs a sort of every
/// row. An exercise assigned twice gives its links twice: kept once here.
fn class_links(
    conn: &mut crate::db::DbConnection,
    class_id: i64,
) -> Result<HashMap<i64, Vec<ItemLink>>, AppError> {
    let rows: Vec<(i64, String, String, bool)> = exercise_items::table
        .inner_join(
            class_exercises::table.on(class_exercises::exercise_id.eq(exercise_items::exercise_id)),
        )
        .filter(class_exercises::class_id.eq(class_id))
        .select((
            exercise_items::exercise_id,
            exercise_items::referential_id,
            exercise_items::item_code,
            exercise_items::main,
        ))
        .load(conn)?;
    let mut links: HashMap<i64, Vec<ItemLink>> = HashMap::new();
    for (exercise, referential_id, code, main) in rows {
        let list = links.entry(exercise).or_default();
        // A few links per exercise: a scan beats hashing every row.
        if !list
            .iter()
            .any(|l| l.code == code && l.referential_id == referential_id)
        {
            list.push(ItemLink {
                referential_id,
                code,
                main,
            });
        }
    }
    Ok(links)
}

fn unknown_referential(id: &str) -> AppError {
    AppError::unprocessable(
        "unknown_referential",
        format!("referential_id : référentiel inconnu : {id}"),
    )
}

fn check_filter(entry: &Entry, filter: &Filter) -> Result<(), AppError> {
    if let Some(code) = filter.under.as_deref() {
        if entry.item(code).is_none() {
            return Err(AppError::bad_request(
                "invalid_query",
                format!("under : élément inconnu dans {} : {code}", entry.summary.id),
            ));
        }
    }
    Ok(())
}

/// A class's coverage: its referential × its progression.
async fn compute_class(
    state: &web::Data<AppState>,
    principal: Principal,
    class_id: i64,
    filter: Filter,
) -> Result<Coverage, AppError> {
    let referentials = snapshot(state).await?;
    let on = filter.on.unwrap_or_else(|| Utc::now().date_naive());
    let cache = state.evidence.clone();
    run(&state.pool, move |conn| {
        let (_, class_name, _, _, referential_id, _) = taught_class(conn, &principal, class_id)?;
        let entry = referentials
            .get(&referential_id)
            .ok_or_else(|| unknown_referential(&referential_id))?;
        check_filter(entry, &filter)?;
        let assignments = of_class(conn, class_id, on)?;
        let links = class_links(conn, class_id)?;
        let evidence = class_evidence(conn, &cache, entry, class_id)?;
        let columns = assignments
            .into_iter()
            .map(|a| CoverageExercise {
                exercise_id: a.exercise_id,
                title: a.title,
                assignment_id: Some(a.id),
                starts_on: Some(a.starts_on),
                ends_on: Some(a.ends_on),
                done: is_done(a.ends_on, on),
            })
            .collect();
        let mut coverage = build(
            &referentials,
            entry,
            columns,
            &links,
            &filter,
            on,
            Some(&evidence),
        );
        coverage.class_id = Some(class_id);
        coverage.class_name = Some(class_name);
        Ok(coverage)
    })
    .await
}

async fn class_coverage(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    filter: web::Query<Filter>,
) -> Result<HttpResponse, AppError> {
    let coverage = compute_class(&state, principal, id.into_inner(), filter.into_inner()).await?;
    Ok(HttpResponse::Ok().json(coverage))
}

async fn class_coverage_xlsx(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    filter: web::Query<Filter>,
) -> Result<HttpResponse, AppError> {
    let coverage = compute_class(&state, principal, id.into_inner(), filter.into_inner()).await?;
    let bytes = web::block(move || workbook(&coverage))
        .await?
        .map_err(|e| AppError::internal(format!("coverage workbook: {e}")))?;
    Ok(attachment(bytes, XLSX_MIME, "couverture.xlsx"))
}

/// The coverage one set of exercises gives a referential (no dates: all "planned").
async fn set_coverage(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<CoverageRequest>,
) -> Result<HttpResponse, AppError> {
    staff_establishment(&principal)?;
    let request = body.into_inner();
    if request.exercise_ids.len() > SET_MAX {
        return Err(AppError::bad_request(
            "invalid_field",
            format!("exercise_ids : {SET_MAX} exercices au plus"),
        ));
    }
    let referentials = snapshot(&state).await?;
    let on = Utc::now().date_naive();
    let coverage = run(&state.pool, move |conn| {
        let entry = referentials
            .get(&request.referential_id)
            .ok_or_else(|| unknown_referential(&request.referential_id))?;
        let mut columns = Vec::with_capacity(request.exercise_ids.len());
        for (i, &id) in request.exercise_ids.iter().enumerate() {
            let row = store::visible(conn, &principal, id).map_err(|_| {
                AppError::unprocessable(
                    "unknown_exercise",
                    format!("exercise_ids[{i}] : exercice inconnu : {id}"),
                )
            })?;
            columns.push(CoverageExercise {
                exercise_id: id,
                title: row.title,
                assignment_id: None,
                starts_on: None,
                ends_on: None,
                done: false,
            });
        }
        let links = store::links_of(conn, &request.exercise_ids)?;
        Ok(build(
            &referentials,
            entry,
            columns,
            &links,
            &Filter::default(),
            on,
            None,
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(coverage))
}

/// Letter of a cell in the spreadsheet, coloured by conditional formats.
fn cell_letter(strength: LinkStrength) -> &'static str {
    match strength {
        LinkStrength::Main => "P",
        LinkStrength::Secondary => "S",
        LinkStrength::Implied => "C",
    }
}

const HEADER_ROW: u32 = 3;
const FIRST_ITEM_ROW: u32 = 5;
/// Students with validated evidence of the item (class coverage).
const EVIDENCE_COL: u16 = 5;
const FIRST_EXERCISE_COL: u16 = 6;

/// The matrix as a workbook: items × exercises with P/S/C letters and conditional colours
/// (so a teacher who edits a cell sees its colour follow), statuses coloured the same way.
pub fn workbook(coverage: &Coverage) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Couverture")?;
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color("#E8EEF4");
    let rotated = header.clone().set_rotation(90);
    let date = Format::new()
        .set_align(FormatAlign::Center)
        .set_font_size(9);
    let cell = Format::new()
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin);

    let heading = match &coverage.class_name {
        Some(class) => format!(
            "Couverture du référentiel {} — {class}",
            coverage.referential_title
        ),
        None => format!("Couverture du référentiel {}", coverage.referential_title),
    };
    sheet.write_string_with_format(0, 0, &heading, &title)?;
    sheet.write_string(
        1,
        0,
        format!(
            "Au {} : {} éléments sur {} couverts, {} travaillés. P = principal, S = \
             secondaire, C = par correspondance.",
            coverage.on.format("%d/%m/%Y"),
            coverage.covered_items,
            coverage.total_items,
            coverage.done_items
        ),
    )?;
    for (col, name) in [
        "Code",
        "Type",
        "Intitulé",
        "Couverts",
        "Statut",
        "Élèves ayant une preuve validée",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(HEADER_ROW, col as u16, *name, &header)?;
    }
    sheet.set_row_height(HEADER_ROW, 150)?;
    sheet.set_column_width(0, 12)?;
    sheet.set_column_width(1, 12)?;
    sheet.set_column_width(2, 60)?;
    sheet.set_column_width(3, 9)?;
    sheet.set_column_width(4, 13)?;
    sheet.set_column_width(EVIDENCE_COL, 11)?;
    for (j, exercise) in coverage.exercises.iter().enumerate() {
        let col = FIRST_EXERCISE_COL + j as u16;
        sheet.write_string_with_format(HEADER_ROW, col, &exercise.title, &rotated)?;
        let dates = match (exercise.starts_on, exercise.ends_on) {
            (Some(s), Some(e)) if s == e => s.format("%d/%m").to_string(),
            (Some(s), Some(e)) => format!("{}–{}", s.format("%d/%m"), e.format("%d/%m")),
            _ => String::new(),
        };
        sheet.write_string_with_format(HEADER_ROW + 1, col, dates, &date)?;
        sheet.set_column_width(col, 5)?;
    }
    let cells = coverage.cells_by_row();
    for (r, (row, row_cells)) in coverage.rows.iter().zip(&cells).enumerate() {
        let line = FIRST_ITEM_ROW + r as u32;
        let label_format = Format::new()
            .set_indent(row.depth.min(15) as u8)
            .set_text_wrap();
        let label_format = if row.mappable {
            label_format
        } else {
            label_format.set_bold()
        };
        if row.mappable {
            sheet.write_string(line, 0, &row.code)?;
        } else {
            sheet.write_string_with_format(line, 0, &row.code, &bold)?;
        }
        sheet.write_string(line, 1, row.kind.label_fr())?;
        sheet.write_string_with_format(line, 2, &row.label, &label_format)?;
        sheet.write_string(
            line,
            3,
            format!("{}/{}", row.items_done + row.items_planned, row.items),
        )?;
        sheet.write_string_with_format(line, 4, row.status.label(), &cell)?;
        if let Some(students) = row.students_evidenced {
            sheet.write_number_with_format(line, EVIDENCE_COL, students, &cell)?;
        }
        for c in row_cells {
            sheet.write_string_with_format(
                line,
                FIRST_EXERCISE_COL + c.exercise as u16,
                cell_letter(c.strength),
                &cell,
            )?;
        }
    }
    let last_row = FIRST_ITEM_ROW + coverage.rows.len().max(1) as u32 - 1;
    if !coverage.exercises.is_empty() {
        let last_col = FIRST_EXERCISE_COL + coverage.exercises.len() as u16 - 1;
        for (letter, colour) in [("P", "#1B7F3B"), ("S", "#8FD19E"), ("C", "#CFE3F7")] {
            let fill = Format::new().set_background_color(colour);
            let fill = if letter == "P" {
                fill.set_font_color("#FFFFFF")
            } else {
                fill
            };
            let rule = ConditionalFormatCell::new()
                .set_rule(ConditionalFormatCellRule::EqualTo(letter))
                .set_format(fill);
            sheet.add_conditional_format(
                FIRST_ITEM_ROW,
                FIRST_EXERCISE_COL,
                last_row,
                last_col,
                &rule,
            )?;
        }
    }
    for (status, colour) in [
        (CoverageStatus::Gap, "#F8C9C4"),
        (CoverageStatus::Planned, "#FCE8B2"),
        (CoverageStatus::Done, "#B7E1C1"),
    ] {
        let rule = ConditionalFormatCell::new()
            .set_rule(ConditionalFormatCellRule::EqualTo(status.label()))
            .set_format(Format::new().set_background_color(colour));
        sheet.add_conditional_format(FIRST_ITEM_ROW, 4, last_row, 4, &rule)?;
    }
    sheet.set_freeze_panes(FIRST_ITEM_ROW, FIRST_EXERCISE_COL)?;
    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(HEADER_ROW, HEADER_ROW + 1)?;
    workbook.save_to_buffer()
}
