//! What a portfolio gives the jury: the "passeport professionnel" (xlsx: one row per
//! fiche, one column per task, situation or competency of the referential grouped under
//! its bloc, ticked where the fiche shows it, as in the national spreadsheet), the
//! student's archive (zip: one HTML page per fiche with its attachments, the passeport
//! and an index), and a class's passeports in one archive.
//!
//! Drafts are the student's alone: every export holds the submitted, returned and
//! validated fiches, validated first. Archives are written to an unnamed temporary file
//! and streamed back with their length, one attachment in memory at a time: a student's
//! attachments may total 200 MB.

use std::collections::{HashMap, HashSet};
use std::fmt::Display;
use std::io::{Seek, SeekFrom, Write};

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use passerelle_api::markdown::{escape_html, to_html};
use passerelle_api::{Attachment, FicheEvent, FicheStatus, PersonRef};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::access::{self, StudentClass};
use super::progress::{entry_of, reviewed_class, students_of, Layout, PortfolioQuery};
use super::store::{self, FicheRow};
use crate::auth::store::Principal;
use crate::db::{run, DbConnection};
use crate::error::AppError;
use crate::exercises::store::person;
use crate::referentials::api::snapshot;
use crate::referentials::catalog::{Entry, Snapshot};
use crate::schema::{class_exercises, exercises, fiches};
use crate::server::AppState;
use crate::upload::{attachment_file, safe_file_name, XLSX_MIME};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/students/{id}/passeport.xlsx", web::get().to(passeport))
        .route("/students/{id}/portfolio.zip", web::get().to(portfolio_zip))
        .route(
            "/classes/{id}/passeports.zip",
            web::get().to(class_passeports),
        );
}

const ZIP_MIME: &str = "application/zip";

fn internal<E: Display>(what: &'static str) -> impl FnOnce(E) -> AppError {
    move |e| AppError::internal(format!("{what}: {e}"))
}

// ---------------------------------------------------------------------------------------
// Loading

/// A fiche with everything its exports show.
pub struct Bundle {
    pub row: FicheRow,
    /// Codes and levels, in insertion (referential) order.
    pub items: Vec<(String, Option<i16>)>,
    /// Title of the exercise of a school fiche.
    pub exercise: Option<String>,
    pub attachments: Vec<Attachment>,
    /// Oldest first.
    pub history: Vec<FicheEvent>,
}

/// Validated first, then the others; each by date (start, or creation), then id.
fn export_order(rows: &mut [FicheRow]) {
    rows.sort_by_key(|r| {
        (
            r.status() != FicheStatus::Validated,
            r.starts_on.unwrap_or_else(|| r.created_at.date()),
            r.id,
        )
    });
}

/// The non-draft fiches of a student in a class.
fn student_rows(
    conn: &mut DbConnection,
    student_id: i64,
    class_id: i64,
) -> Result<Vec<FicheRow>, AppError> {
    let mut rows: Vec<FicheRow> = fiches::table
        .filter(fiches::student_id.eq(student_id))
        .filter(fiches::class_id.eq(class_id))
        .filter(fiches::status.ne(FicheStatus::Draft.as_str()))
        .select(FicheRow::as_select())
        .load(conn)?;
    export_order(&mut rows);
    Ok(rows)
}

/// The non-draft fiches of a class, in one query keyed on the class.
fn class_rows(conn: &mut DbConnection, class_id: i64) -> Result<Vec<FicheRow>, AppError> {
    let mut rows: Vec<FicheRow> = fiches::table
        .filter(fiches::class_id.eq(class_id))
        .filter(fiches::status.ne(FicheStatus::Draft.as_str()))
        .select(FicheRow::as_select())
        .load(conn)?;
    export_order(&mut rows);
    Ok(rows)
}

/// Items, exercise titles, attachment descriptions and histories of many fiches, a few
/// queries per [`crate::demo::CHUNK`] fiches.
fn bundles(conn: &mut DbConnection, rows: Vec<FicheRow>) -> Result<Vec<Bundle>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut items = store::items_of(conn, &ids)?;
    let assignment_ids: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.assignment_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut exercise_titles: HashMap<i64, String> = HashMap::new();
    for chunk in assignment_ids.chunks(crate::demo::CHUNK) {
        let found: Vec<(i64, String)> = class_exercises::table
            .inner_join(exercises::table)
            .filter(class_exercises::id.eq_any(chunk))
            .select((class_exercises::id, exercises::title))
            .load(conn)?;
        exercise_titles.extend(found);
    }
    let mut attachments = store::attachments_of(conn, &ids)?;
    let mut history = store::histories(conn, &ids, |c| {
        Ok(serde_json::from_str(c).unwrap_or_default())
    })?;
    Ok(rows
        .into_iter()
        .map(|row| Bundle {
            items: items.remove(&row.id).unwrap_or_default(),
            exercise: row
                .assignment_id
                .and_then(|a| exercise_titles.get(&a).cloned()),
            attachments: attachments.remove(&row.id).unwrap_or_default(),
            history: history.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

// ---------------------------------------------------------------------------------------
// Words shared by the spreadsheet and the pages

fn date_fr(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn datetime_fr(d: NaiveDateTime) -> String {
    d.format("%d/%m/%Y %H:%M").to_string()
}

fn full_name(p: &PersonRef) -> String {
    format!("{} {}", p.first_name, p.last_name)
        .trim()
        .to_owned()
}

/// "12/10/2026", "12/10/2026 – 16/10/2026", or the submission day when none is given.
fn dates(row: &FicheRow) -> String {
    match (row.starts_on, row.ends_on) {
        (Some(s), Some(e)) if s != e => format!("{} – {}", date_fr(s), date_fr(e)),
        (Some(s), _) => date_fr(s),
        (None, Some(e)) => date_fr(e),
        (None, None) => row
            .submitted_at
            .map(|d| date_fr(d.date()))
            .unwrap_or_default(),
    }
}

/// The context in words: kind, and the exercise, firm or situation.
fn context(b: &Bundle) -> String {
    let kind = b.row.context();
    let detail = match kind {
        passerelle_api::ContextKind::Exercise => b.exercise.clone().unwrap_or_default(),
        passerelle_api::ContextKind::Internship => {
            let mut parts = vec![b.row.firm_name.clone().unwrap_or_default()];
            if let Some(sector) = b.row.firm_sector.as_deref().filter(|s| !s.is_empty()) {
                parts.push(sector.to_owned());
            }
            if let Some(tutor) = b.row.firm_tutor.as_deref().filter(|s| !s.is_empty()) {
                parts.push(format!("tuteur : {tutor}"));
            }
            parts.retain(|p| !p.is_empty());
            parts.join(", ")
        }
        passerelle_api::ContextKind::Simulated => b.row.context_text.clone(),
    };
    if detail.trim().is_empty() {
        kind.label().to_owned()
    } else {
        format!("{} : {}", kind.label(), detail.trim())
    }
}

/// PGI software by name, then the other software.
fn software(snapshot: &Snapshot, row: &FicheRow) -> String {
    let mut names: Vec<String> = row
        .software_id
        .iter()
        .map(|id| {
            snapshot
                .pgi()
                .software
                .iter()
                .find(|s| s.id == *id)
                .map_or_else(|| id.clone(), |s| s.name.clone())
        })
        .collect();
    if !row.other_software.trim().is_empty() {
        names.push(row.other_software.trim().to_owned());
    }
    names.join(", ")
}

fn features(snapshot: &Snapshot, row: &FicheRow) -> Vec<String> {
    let ids: Vec<String> = serde_json::from_str(&row.features).unwrap_or_default();
    ids.into_iter()
        .map(|id| {
            snapshot
                .pgi()
                .features
                .iter()
                .find(|f| f.id == id)
                .map_or(id, |f| f.label.clone())
        })
        .collect()
}

fn level_name(scale: &[String], level: Option<i16>) -> Option<&str> {
    let index = usize::try_from(level?).ok()?.checked_sub(1)?;
    scale.get(index).map(String::as_str)
}

// ---------------------------------------------------------------------------------------
// Passeport professionnel (xlsx)

/// Who and what a passeport is about.
pub struct Identity {
    pub student: PersonRef,
    pub class_name: String,
    pub referential: String,
    pub exported_on: NaiveDate,
}

/// Rows of the sheet's head.
pub const GROUP_ROW: u32 = 7;
pub const CODE_ROW: u32 = 8;
pub const LABEL_ROW: u32 = 9;
pub const FIRST_FICHE_ROW: u32 = 10;
/// Columns before the items: dates, title, context, software, status.
pub const FIXED_COLUMNS: [&str; 5] = ["Date(s)", "Intitulé", "Contexte", "Logiciels", "Statut"];

/// The item columns: positions in the layout, grouped (bloc, or top-level item when the
/// referential has no bloc) and each group's heading.
fn columns(entry: &Entry, layout: &Layout) -> (Vec<usize>, Vec<(String, usize)>) {
    let all = entry.items();
    let group_of = |p: usize| -> (Option<usize>, String) {
        if let Some(b) = layout.item_bloc[p] {
            let bloc = &layout.blocs[b];
            let ccf = if bloc.ccf { " (CCF)" } else { "" };
            let units = if bloc.units.is_empty() {
                String::new()
            } else {
                format!(" — {}", bloc.units.join(", "))
            };
            return (Some(b), format!("{} {}{units}{ccf}", bloc.code, bloc.label));
        }
        match entry.ancestor_indices(layout.entry_index[p]).first() {
            Some(&root) => (
                Some(layout.blocs.len() + root),
                format!("{} {}", all[root].code, all[root].label),
            ),
            None => (None, "Autres éléments".to_owned()),
        }
    };
    let mut order: Vec<Option<usize>> = Vec::new();
    let mut keyed: Vec<(usize, usize, String)> = Vec::with_capacity(layout.items.len());
    for p in 0..layout.items.len() {
        let (key, heading) = group_of(p);
        let rank = order.iter().position(|k| *k == key).unwrap_or_else(|| {
            order.push(key);
            order.len() - 1
        });
        keyed.push((rank, p, heading));
    }
    keyed.sort_by_key(|(rank, p, _)| (*rank, *p));
    let mut groups: Vec<(String, usize)> = Vec::new();
    let mut last_rank = usize::MAX;
    for (rank, _, heading) in &keyed {
        if *rank == last_rank {
            if let Some(g) = groups.last_mut() {
                g.1 += 1;
            }
        } else {
            groups.push((heading.clone(), 1));
            last_rank = *rank;
        }
    }
    (keyed.into_iter().map(|(_, p, _)| p).collect(), groups)
}

/// The passeport of one student: identity on top, then one row per fiche.
pub fn workbook(
    snapshot: &Snapshot,
    entry: &Entry,
    layout: &Layout,
    identity: &Identity,
    fiches: &[&Bundle],
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Passeport")?;
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color("#E8EEF4");
    let group = header.clone().set_background_color("#CFE3F7");
    let rotated = Format::new()
        .set_text_wrap()
        .set_rotation(90)
        .set_font_size(8)
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin);
    let wrapped = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    let tick = Format::new()
        .set_text_wrap()
        .set_font_size(8)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color("#D7F0DD");
    let empty = Format::new().set_border(FormatBorder::Thin);

    sheet.write_string_with_format(0, 0, "Passeport professionnel", &title)?;
    let validated = fiches
        .iter()
        .filter(|b| b.row.status() == FicheStatus::Validated)
        .count();
    let identity_rows = [
        ("Élève", full_name(&identity.student)),
        ("Classe", identity.class_name.clone()),
        ("Référentiel", identity.referential.clone()),
        ("Exporté le", date_fr(identity.exported_on)),
        (
            "Fiches",
            format!("{} dont {validated} validée(s)", fiches.len()),
        ),
    ];
    for (r, (name, value)) in identity_rows.iter().enumerate() {
        sheet.write_string_with_format(1 + r as u32, 0, *name, &bold)?;
        sheet.write_string(1 + r as u32, 1, value)?;
    }

    // Head: fixed columns over three rows, then the item columns under their group.
    for (c, name) in FIXED_COLUMNS.iter().enumerate() {
        sheet.merge_range(GROUP_ROW, c as u16, LABEL_ROW, c as u16, name, &header)?;
    }
    let (order, groups) = columns(entry, layout);
    let first_item_col = FIXED_COLUMNS.len() as u16;
    let mut col = first_item_col;
    for (heading, width) in &groups {
        let last = col + *width as u16 - 1;
        if last == col {
            sheet.write_string_with_format(GROUP_ROW, col, heading, &group)?;
        } else {
            sheet.merge_range(GROUP_ROW, col, GROUP_ROW, last, heading, &group)?;
        }
        col = last + 1;
    }
    let mut column_of: HashMap<&str, u16> = HashMap::new();
    for (k, &p) in order.iter().enumerate() {
        let item = &layout.items[p];
        let c = first_item_col + k as u16;
        sheet.write_string_with_format(CODE_ROW, c, &item.code, &header)?;
        sheet.write_string_with_format(LABEL_ROW, c, &item.label, &rotated)?;
        sheet.set_column_width(c, 6)?;
        column_of.insert(item.code.as_str(), c);
    }
    sheet.set_row_height(GROUP_ROW, 45)?;
    sheet.set_row_height(LABEL_ROW, 170)?;
    for (c, width) in [12, 36, 36, 16, 11].into_iter().enumerate() {
        sheet.set_column_width(c as u16, width)?;
    }

    let last_col = first_item_col + order.len().max(1) as u16 - 1;
    for (r, b) in fiches.iter().enumerate() {
        let line = FIRST_FICHE_ROW + r as u32;
        let status = b.row.status();
        let cells = [
            dates(&b.row),
            b.row.title.clone(),
            context(b),
            software(snapshot, &b.row),
            status.label().to_owned(),
        ];
        for (c, text) in cells.iter().enumerate() {
            sheet.write_string_with_format(line, c as u16, text, &wrapped)?;
        }
        for c in first_item_col..=last_col {
            sheet.write_blank(line, c, &empty)?;
        }
        for (code, level) in &b.items {
            if let Some(&c) = column_of.get(code.as_str()) {
                let mark = level_name(&layout.scale, *level).unwrap_or("X");
                sheet.write_string_with_format(line, c, mark, &tick)?;
            }
        }
    }
    if fiches.is_empty() {
        sheet.write_string(FIRST_FICHE_ROW, 0, "Aucune fiche soumise pour l'instant.")?;
    }

    sheet.set_freeze_panes(FIRST_FICHE_ROW, 2)?;
    sheet.set_landscape();
    sheet.set_paper_size(9); // A4
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(GROUP_ROW, LABEL_ROW)?;
    sheet.set_repeat_columns(0, 1)?;
    sheet.set_header(format!(
        "&L{}&C&\"-,Bold\"Passeport professionnel&R{}",
        full_name(&identity.student).replace('&', "&&"),
        identity.class_name.replace('&', "&&")
    ));
    sheet.set_footer("&CPage &P / &N");
    workbook.save_to_buffer()
}

fn referential_heading(entry: &Entry) -> String {
    format!("{} ({})", entry.summary.title, entry.summary.version)
}

// ---------------------------------------------------------------------------------------
// Pages (HTML)

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;\
padding:0 1rem;line-height:1.45;color:#1b1b1b}h1{font-size:1.5rem}h2{font-size:1.15rem;\
margin-top:1.6rem}table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;\
padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#e8eef4}\
.meta{color:#555}dt{font-weight:600}dd{margin:0 0 .5rem 0}blockquote{margin:.3rem 0;\
padding-left:.8rem;border-left:3px solid #ccc}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n{body}\n</body></html>\n",
        escape_html(title)
    )
}

fn size_fr(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} Mo", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    } else {
        format!("{} ko", bytes.div_ceil(1024))
    }
}

/// One fiche as a page; `files` gives each attachment's name in the archive (a link), or
/// nothing when the archive does not hold the files.
fn fiche_page(
    snapshot: &Snapshot,
    entry: &Entry,
    scale: &[String],
    b: &Bundle,
    student: &PersonRef,
    class_name: &str,
    files: Option<&HashMap<i64, String>>,
) -> String {
    let e = escape_html;
    let row = &b.row;
    let status = row.status();
    let mut html = format!("<h1>{}</h1>\n", e(&row.title));
    let mut meta = format!(
        "{} — {} — {}",
        e(&full_name(student)),
        e(class_name),
        e(status.label())
    );
    if let (FicheStatus::Validated, Some(at)) = (status, row.validated_at) {
        meta.push_str(&format!(" le {}", date_fr(at.date())));
    }
    html.push_str(&format!("<p class=\"meta\">{meta}</p>\n<dl>\n"));
    let mut field = |name: &str, value: &str| {
        if !value.trim().is_empty() {
            html.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", e(name), e(value)));
        }
    };
    field("Dates", &dates(row));
    field("Contexte", &context(b));
    field("Logiciels", &software(snapshot, row));
    field(
        "Fonctionnalités du PGI",
        &features(snapshot, row).join(", "),
    );
    html.push_str("</dl>\n<h2>Ce qui a été fait</h2>\n");
    html.push_str(&to_html(&row.description));
    html.push_str(
        "\n<h2>Éléments du référentiel montrés</h2>\n<table><thead><tr><th>Code</th>\
         <th>Intitulé</th><th>Degré de maîtrise</th></tr></thead><tbody>\n",
    );
    for (code, level) in &b.items {
        let label = entry
            .item(code)
            .map_or("(élément retiré du référentiel)", |i| i.label.as_str());
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            e(code),
            e(label),
            e(level_name(scale, *level).unwrap_or("—"))
        ));
    }
    html.push_str("</tbody></table>\n");
    if !b.attachments.is_empty() {
        html.push_str("<h2>Pièces jointes</h2>\n<ul>\n");
        for a in &b.attachments {
            let name = e(&a.file_name);
            let size = size_fr(a.size);
            match files.and_then(|f| f.get(&a.id)) {
                Some(path) => html.push_str(&format!(
                    "<li><a href=\"{}\">{name}</a> ({size})</li>\n",
                    e(&href(path))
                )),
                None => html.push_str(&format!("<li>{name} ({size})</li>\n")),
            }
        }
        html.push_str("</ul>\n");
    }
    html.push_str("<h2>Historique</h2>\n<ol>\n");
    for event in &b.history {
        html.push_str(&format!(
            "<li>{} — {} — {}",
            datetime_fr(event.at),
            e(&full_name(&event.actor)),
            e(event.action.label())
        ));
        if let Some(comment) = event.comment.as_deref().filter(|c| !c.trim().is_empty()) {
            html.push_str(&format!("<blockquote>{}</blockquote>", e(comment)));
        }
        if !event.changes.is_empty() {
            html.push_str("<ul>");
            for change in &event.changes {
                html.push_str(&format!(
                    "<li>{} : « {} » → « {} »</li>",
                    e(&change.field),
                    e(&change.before),
                    e(&change.after)
                ));
            }
            html.push_str("</ul>");
        }
        html.push_str("</li>\n");
    }
    html.push_str("</ol>\n");
    page(&row.title, &html)
}

/// A relative link to a file of the archive (each path segment percent-encoded).
fn href(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            segment
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

// ---------------------------------------------------------------------------------------
// Archives

/// A name safe as one path segment of an archive.
fn segment(name: &str, fallback: &str) -> String {
    let flat: String = name
        .chars()
        .map(|c| if matches!(c, '/' | '\\') { '-' } else { c })
        .collect();
    let safe = safe_file_name(&flat, fallback);
    let short: String = safe.chars().take(80).collect();
    short.trim().to_owned()
}

/// Folder of the n-th fiche (1-based): "03 - Facturation des commandes".
fn fiche_folder(n: usize, b: &Bundle) -> String {
    format!("{n:02} - {}", segment(&b.row.title, "fiche"))
}

/// Names unique within one folder: a repeated name gets " (2)", " (3)"… before its
/// extension.
#[derive(Default)]
struct Names(HashSet<String>);

impl Names {
    fn unique(&mut self, name: &str) -> String {
        let mut candidate = name.to_owned();
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() => (s.to_owned(), format!(".{e}")),
            _ => (name.to_owned(), String::new()),
        };
        let mut n = 2;
        while !self.0.insert(candidate.to_lowercase()) {
            candidate = format!("{stem} ({n}){ext}");
            n += 1;
        }
        candidate
    }
}

fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}

/// Attachments (PDF, images, office files) are compressed already.
fn stored() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Stored)
}

fn put<W: Write + Seek>(
    zip: &mut ZipWriter<W>,
    name: &str,
    options: SimpleFileOptions,
    bytes: &[u8],
) -> Result<(), AppError> {
    zip.start_file(name, options).map_err(internal("zip"))?;
    zip.write_all(bytes).map_err(internal("zip"))
}

fn index_page(identity: &Identity, fiches: &[(String, &Bundle)], with_passeport: bool) -> String {
    let e = escape_html;
    let mut html = format!(
        "<h1>Portfolio de {}</h1>\n<p class=\"meta\">{} — {} — exporté le {}</p>\n",
        e(&full_name(&identity.student)),
        e(&identity.class_name),
        e(&identity.referential),
        date_fr(identity.exported_on)
    );
    if with_passeport {
        html.push_str("<p><a href=\"passeport.xlsx\">Passeport professionnel (tableur)</a></p>\n");
    }
    html.push_str(
        "<table><thead><tr><th>Fiche</th><th>Dates</th><th>Statut</th><th>Éléments</th>\
         </tr></thead><tbody>\n",
    );
    for (path, b) in fiches {
        let codes: Vec<&str> = b.items.iter().map(|(c, _)| c.as_str()).collect();
        html.push_str(&format!(
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            e(&href(path)),
            e(&b.row.title),
            e(&dates(&b.row)),
            e(b.row.status().label()),
            e(&codes.join(", "))
        ));
    }
    if fiches.is_empty() {
        html.push_str("<tr><td colspan=\"4\">Aucune fiche soumise pour l'instant.</td></tr>\n");
    }
    html.push_str("</tbody></table>\n");
    page(
        &format!("Portfolio de {}", full_name(&identity.student)),
        &html,
    )
}

/// A student's archive in a temporary file, rewound: index, passeport, and one folder
/// per fiche with its page and its attachments (read one at a time).
fn student_archive(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    student_id: i64,
    class: &StudentClass,
    today: NaiveDate,
) -> Result<std::fs::File, AppError> {
    let entry = entry_of(snapshot, &class.referential_id)?;
    let layout = &entry.progress;
    let identity = Identity {
        student: person(conn, student_id)?,
        class_name: class.class_name.clone(),
        referential: referential_heading(entry),
        exported_on: today,
    };
    let rows = student_rows(conn, student_id, class.class_id)?;
    let all = bundles(conn, rows)?;
    let refs: Vec<&Bundle> = all.iter().collect();
    let passeport = workbook(snapshot, entry, layout, &identity, &refs)
        .map_err(internal("passeport workbook"))?;

    let file = tempfile::tempfile().map_err(internal("temporary file"))?;
    let mut zip = ZipWriter::new(file);
    put(&mut zip, "passeport.xlsx", stored(), &passeport)?;
    let mut pages: Vec<(String, &Bundle)> = Vec::with_capacity(all.len());
    for (n, b) in all.iter().enumerate() {
        let folder = fiche_folder(n + 1, b);
        let mut names = Names::default();
        names.unique("fiche.html");
        let mut files: HashMap<i64, String> = HashMap::new();
        for a in &b.attachments {
            let name = names.unique(&segment(&a.file_name, "piece-jointe"));
            let content = super::attachments::content(conn, a.id)?;
            put(&mut zip, &format!("{folder}/{name}"), stored(), &content)?;
            files.insert(a.id, name);
        }
        let html = fiche_page(
            snapshot,
            entry,
            &layout.scale,
            b,
            &identity.student,
            &class.class_name,
            Some(&files),
        );
        let path = format!("{folder}/fiche.html");
        put(&mut zip, &path, deflated(), html.as_bytes())?;
        pages.push((path, b));
    }
    put(
        &mut zip,
        "index.html",
        deflated(),
        index_page(&identity, &pages, true).as_bytes(),
    )?;
    let mut file = zip.finish().map_err(internal("zip"))?;
    file.seek(SeekFrom::Start(0))
        .map_err(internal("temporary file"))?;
    Ok(file)
}

/// Every student's passeport of a class, and their fiches as pages (attachments named,
/// not included), in a temporary file, rewound.
fn class_archive(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    class_id: i64,
    class_name: &str,
    referential_id: &str,
    today: NaiveDate,
) -> Result<std::fs::File, AppError> {
    let entry = entry_of(snapshot, referential_id)?;
    let layout = &entry.progress;
    let students = students_of(conn, class_id)?;
    let rows = class_rows(conn, class_id)?;
    let all = bundles(conn, rows)?;
    let mut by_student: HashMap<i64, Vec<&Bundle>> = HashMap::new();
    for b in &all {
        by_student.entry(b.row.student_id).or_default().push(b);
    }
    let file = tempfile::tempfile().map_err(internal("temporary file"))?;
    let mut zip = ZipWriter::new(file);
    let mut folders = Names::default();
    let mut index = format!(
        "<h1>Passeports professionnels — {}</h1>\n<p class=\"meta\">{} — exporté le {}</p>\n<ul>\n",
        escape_html(class_name),
        escape_html(&referential_heading(entry)),
        date_fr(today)
    );
    for student in &students {
        let fiches = by_student.remove(&student.id).unwrap_or_default();
        let name = format!(
            "{} {}",
            student.last_name.to_uppercase(),
            student.first_name
        );
        let folder = folders.unique(&segment(&name, &format!("eleve-{}", student.id)));
        let identity = Identity {
            student: student.clone(),
            class_name: class_name.to_owned(),
            referential: referential_heading(entry),
            exported_on: today,
        };
        let book = workbook(snapshot, entry, layout, &identity, &fiches)
            .map_err(internal("passeport workbook"))?;
        put(
            &mut zip,
            &format!("{folder}/passeport.xlsx"),
            stored(),
            &book,
        )?;
        let mut pages: Vec<(String, &Bundle)> = Vec::with_capacity(fiches.len());
        for (n, &b) in fiches.iter().enumerate() {
            let page_name = format!("{}.html", fiche_folder(n + 1, b));
            let html = fiche_page(snapshot, entry, &layout.scale, b, student, class_name, None);
            put(
                &mut zip,
                &format!("{folder}/{page_name}"),
                deflated(),
                html.as_bytes(),
            )?;
            pages.push((page_name, b));
        }
        put(
            &mut zip,
            &format!("{folder}/index.html"),
            deflated(),
            index_page(&identity, &pages, true).as_bytes(),
        )?;
        index.push_str(&format!(
            "<li><a href=\"{}/index.html\">{}</a> — {} fiche(s), \
             <a href=\"{}/passeport.xlsx\">passeport</a></li>\n",
            escape_html(&href(&folder)),
            escape_html(&full_name(student)),
            fiches.len(),
            escape_html(&href(&folder))
        ));
    }
    index.push_str("</ul>\n");
    put(
        &mut zip,
        "index.html",
        deflated(),
        page(&format!("Passeports — {class_name}"), &index).as_bytes(),
    )?;
    let mut file = zip.finish().map_err(internal("zip"))?;
    file.seek(SeekFrom::Start(0))
        .map_err(internal("temporary file"))?;
    Ok(file)
}

/// "passeport-dupont-lea.xlsx"
fn download_name(prefix: &str, who: &PersonRef, ext: &str) -> String {
    let words = crate::fold::fold(&format!("{} {}", who.last_name, who.first_name));
    let slug: String = words
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() {
        format!("{prefix}-{}.{ext}", who.id)
    } else {
        format!("{prefix}-{slug}.{ext}")
    }
}

// ---------------------------------------------------------------------------------------
// Handlers

async fn passeport(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    query: web::Query<PortfolioQuery>,
) -> Result<HttpResponse, AppError> {
    let student_id = id.into_inner();
    let class_id = query.into_inner().class_id;
    let referentials = snapshot(&state).await?;
    let today = Utc::now().date_naive();
    let (bytes, student) = run(&state.pool, move |conn| {
        let class = access::student_portfolio(conn, &principal, student_id, class_id)?;
        let entry = entry_of(&referentials, &class.referential_id)?;
        let layout = &entry.progress;
        let identity = Identity {
            student: person(conn, student_id)?,
            class_name: class.class_name.clone(),
            referential: referential_heading(entry),
            exported_on: today,
        };
        let rows = student_rows(conn, student_id, class.class_id)?;
        let all = bundles(conn, rows)?;
        let refs: Vec<&Bundle> = all.iter().collect();
        let bytes = workbook(&referentials, entry, layout, &identity, &refs)
            .map_err(internal("passeport workbook"))?;
        Ok((bytes, identity.student))
    })
    .await?;
    Ok(crate::upload::attachment(
        bytes,
        XLSX_MIME,
        &download_name("passeport", &student, "xlsx"),
    ))
}

async fn portfolio_zip(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    query: web::Query<PortfolioQuery>,
) -> Result<HttpResponse, AppError> {
    let student_id = id.into_inner();
    let class_id = query.into_inner().class_id;
    let referentials = snapshot(&state).await?;
    let today = Utc::now().date_naive();
    let (file, student) = run(&state.pool, move |conn| {
        let class = access::student_portfolio(conn, &principal, student_id, class_id)?;
        let file = student_archive(conn, &referentials, student_id, &class, today)?;
        Ok((file, person(conn, student_id)?))
    })
    .await?;
    attachment_file(file, ZIP_MIME, &download_name("portfolio", &student, "zip"))
}

async fn class_passeports(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let class_id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let today = Utc::now().date_naive();
    let (file, name) = run(&state.pool, move |conn| {
        let (name, referential_id) = reviewed_class(conn, &principal, class_id)?;
        let file = class_archive(conn, &referentials, class_id, &name, &referential_id, today)?;
        Ok((file, name))
    })
    .await?;
    let slug: String = crate::fold::fold(&name)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let slug = if slug.is_empty() {
        class_id.to_string()
    } else {
        slug
    };
    attachment_file(file, ZIP_MIME, &format!("passeports-{slug}.zip"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_names_are_single_segments_and_unique() {
        assert_eq!(segment("../../etc/passwd", "f"), "-..-etc-passwd");
        assert_eq!(segment("Devis / factures", "f"), "Devis - factures");
        assert_eq!(segment("\0", "f"), "f");
        let mut names = Names::default();
        assert_eq!(names.unique("fiche.html"), "fiche.html");
        assert_eq!(names.unique("devis.pdf"), "devis.pdf");
        assert_eq!(names.unique("Devis.pdf"), "Devis (2).pdf");
        assert_eq!(names.unique("fiche.html"), "fiche (2).html");
        assert_eq!(
            href("01 - Devis & co/é.pdf"),
            "01%20-%20Devis%20%26%20co/%C3%A9.pdf"
        );
    }
}
