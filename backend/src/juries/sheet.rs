//! The grid sheets, pure (no database, no HTTP): one candidate's grid in the official
//! layout ([`write_grid_sheet`], for a standalone workbook and for a sheet of the session
//! workbook, returning where each cell went), the session workbook and the exam office's
//! CSV. Also compiled alone by the export benchmark (`scripts/bench-grids`).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use passerelle_api::{CandidateGrid, GridStatus, PersonRef, Signature};
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

/// Name of the summary sheet of a session workbook.
pub const SUMMARY_SHEET: &str = "Synthèse";
/// Headers of the summary sheet (row 3), also the CSV's columns after the épreuve.
pub const SUMMARY_HEADERS: [&str; 10] = [
    "Numéro",
    "Nom",
    "Prénom",
    "Classe",
    "Conforme",
    "Note proposée",
    "Note finale",
    "Coefficient",
    "Total pondéré",
    "Statut",
];
/// Row (0-based) of the summary's headers; candidates follow.
pub const SUMMARY_HEADER_ROW: u32 = 2;

/// What the grid prints besides the candidate's grid: the establishment.
#[derive(Debug, Clone, Default)]
pub struct Establishment {
    pub academie: String,
    pub name: String,
    pub uai: String,
}

/// Where a candidate's sheet put what the import reads back (0-based rows and columns).
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Cells that must come back unchanged: labels, criteria, scale, identity block.
    pub fixed: Vec<(u32, u16, String)>,
    /// Each criterion's code and row; its degrees are in `first_level_col..`.
    pub criteria: Vec<(String, u32)>,
    pub first_level_col: u16,
    pub scale_len: u16,
    /// Each comment field and the row of its box (text in column 0).
    pub comments: Vec<(String, u32)>,
    pub final_mark: (u32, u16),
    pub justification: (u32, u16),
    pub last_row: u32,
    pub last_col: u16,
}

/// The formats of a grid sheet, made once per workbook.
pub struct Formats {
    title: Format,
    subtitle: Format,
    label: Format,
    value: Format,
    head: Format,
    code: Format,
    criterion: Format,
    indicator: Format,
    level: Format,
    section: Format,
    comment: Format,
    mark: Format,
    notice: Format,
    number: Format,
}

impl Default for Formats {
    fn default() -> Self {
        Self::new()
    }
}

impl Formats {
    pub fn new() -> Self {
        let base = Format::new()
            .set_font_size(9)
            .set_text_wrap()
            .set_align(FormatAlign::VerticalCenter);
        let boxed = base.clone().set_border(FormatBorder::Thin);
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_size(13)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_text_wrap(),
            subtitle: base.clone().set_italic().set_align(FormatAlign::Center),
            label: boxed
                .clone()
                .set_bold()
                .set_background_color(Color::RGB(0xF2F2F2)),
            value: boxed.clone(),
            head: boxed
                .clone()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_background_color(Color::RGB(0xD9E1F2)),
            code: boxed.clone().set_bold().set_align(FormatAlign::Top),
            criterion: boxed.clone().set_align(FormatAlign::Top),
            indicator: Format::new().set_font_size(7).set_italic(),
            level: boxed
                .clone()
                .set_bold()
                .set_font_size(11)
                .set_align(FormatAlign::Center),
            section: base
                .clone()
                .set_bold()
                .set_font_size(10)
                .set_background_color(Color::RGB(0xD9E1F2))
                .set_border(FormatBorder::Thin),
            comment: boxed.clone().set_align(FormatAlign::Top),
            mark: boxed
                .clone()
                .set_bold()
                .set_font_size(11)
                .set_align(FormatAlign::Center)
                .set_num_format("0.0"),
            notice: boxed
                .clone()
                .set_bold()
                .set_font_color(Color::RGB(0xC00000))
                .set_background_color(Color::RGB(0xFDE9E7)),
            number: Format::new().set_num_format("0.0"),
        }
    }
}

/// Column widths: code, criterion, then one per degree.
const CODE_WIDTH: f64 = 13.0;
const CRITERION_WIDTH: f64 = 50.0;
const LEVEL_WIDTH: f64 = 11.0;

/// Lines `text` takes in a column `width` wide at `chars_per_unit` characters per unit.
fn lines(text: &str, width: f64, chars_per_unit: f64) -> f64 {
    let per_line = (width * chars_per_unit).max(1.0);
    text.split('\n')
        .map(|l| (l.chars().count() as f64 / per_line).ceil().max(1.0))
        .sum()
}

fn mark_text(mark: Option<f64>) -> String {
    mark.map(|m| format!("{m}").replace('.', ","))
        .unwrap_or_default()
}

fn date_text(at: NaiveDateTime) -> String {
    at.format("%d/%m/%Y %H:%M").to_string()
}

/// The candidate as printed: « ZOLA Emma ».
pub fn candidate_name(person: &PersonRef) -> String {
    format!("{} {}", person.last_name.to_uppercase(), person.first_name)
}

/// The value of an identity field of the template.
fn identity_value(field: &str, establishment: &Establishment, grid: &CandidateGrid) -> String {
    let t = &grid.template;
    match field {
        "Académie" => establishment.academie.clone(),
        "Établissement" if establishment.uai.is_empty() => establishment.name.clone(),
        "Établissement" => format!("{} ({})", establishment.name, establishment.uai),
        "Session" => grid.session_label.clone(),
        "Épreuve" => format!(
            "{} — {} — unité {} — coefficient {}",
            t.epreuve,
            t.title,
            t.unit,
            t.coefficient.map_or("—".to_owned(), |c| mark_text(Some(c)))
        ),
        "Nom et prénom du candidat" => candidate_name(&grid.candidate.student),
        "Numéro du candidat" => grid.candidate.number.clone(),
        _ => String::new(),
    }
}

/// Writes one candidate's grid on `sheet` (a fresh one): identity block, criteria ×
/// degrees with the chosen level marked « X », comments, marks, jury and signatures, the
/// non-conformity notice; set up to print on one A4 page, portrait.
/// Where a grid sheet is written: a worksheet, or (benchmark) a recorder of the same
/// calls.
pub trait GridSink {
    fn column_width(&mut self, col: u16, width: f64) -> Result<(), XlsxError>;
    fn row_height(&mut self, row: u32, height: f64) -> Result<(), XlsxError>;
    fn text(&mut self, row: u32, col: u16, text: &str, format: &Format) -> Result<(), XlsxError>;
    fn rich(
        &mut self,
        row: u32,
        col: u16,
        segments: &[(&Format, &str)],
        format: &Format,
    ) -> Result<(), XlsxError>;
    fn number(&mut self, row: u32, col: u16, value: f64, format: &Format) -> Result<(), XlsxError>;
    fn blank(&mut self, row: u32, col: u16, format: &Format) -> Result<(), XlsxError>;
    #[allow(clippy::too_many_arguments)]
    fn merge(
        &mut self,
        first_row: u32,
        first_col: u16,
        last_row: u32,
        last_col: u16,
        text: &str,
        format: &Format,
    ) -> Result<(), XlsxError>;
    /// A4 portrait, margins, print area, fit to one page, footer.
    fn page_setup(&mut self, last_row: u32, last_col: u16, footer: &str) -> Result<(), XlsxError>;
}

impl GridSink for Worksheet {
    fn column_width(&mut self, col: u16, width: f64) -> Result<(), XlsxError> {
        self.set_column_width(col, width).map(|_| ())
    }
    fn row_height(&mut self, row: u32, height: f64) -> Result<(), XlsxError> {
        self.set_row_height(row, height).map(|_| ())
    }
    fn text(&mut self, row: u32, col: u16, text: &str, format: &Format) -> Result<(), XlsxError> {
        self.write_string_with_format(row, col, text, format)
            .map(|_| ())
    }
    fn rich(
        &mut self,
        row: u32,
        col: u16,
        segments: &[(&Format, &str)],
        format: &Format,
    ) -> Result<(), XlsxError> {
        self.write_rich_string_with_format(row, col, segments, format)
            .map(|_| ())
    }
    fn number(&mut self, row: u32, col: u16, value: f64, format: &Format) -> Result<(), XlsxError> {
        self.write_number_with_format(row, col, value, format)
            .map(|_| ())
    }
    fn blank(&mut self, row: u32, col: u16, format: &Format) -> Result<(), XlsxError> {
        self.write_blank(row, col, format).map(|_| ())
    }
    fn merge(
        &mut self,
        first_row: u32,
        first_col: u16,
        last_row: u32,
        last_col: u16,
        text: &str,
        format: &Format,
    ) -> Result<(), XlsxError> {
        self.merge_range(first_row, first_col, last_row, last_col, text, format)
            .map(|_| ())
    }
    fn page_setup(&mut self, last_row: u32, last_col: u16, footer: &str) -> Result<(), XlsxError> {
        self.set_paper_size(9);
        self.set_portrait();
        self.set_margins(0.4, 0.4, 0.5, 0.5, 0.3, 0.3);
        self.set_print_center_horizontally(true);
        self.set_print_area(0, 0, last_row, last_col)?;
        self.set_print_fit_to_pages(1, 1);
        self.set_footer(footer);
        Ok(())
    }
}

pub fn write_grid_sheet<S: GridSink>(
    sheet: &mut S,
    f: &Formats,
    establishment: &Establishment,
    grid: &CandidateGrid,
) -> Result<Layout, XlsxError> {
    let t = &grid.template;
    let scale_len = u16::try_from(t.scale.len().max(1)).unwrap_or(1);
    let first_level_col: u16 = 2;
    let last_col = first_level_col + scale_len - 1;
    let mut layout = Layout {
        first_level_col,
        scale_len,
        last_col,
        ..Layout::default()
    };
    sheet.column_width(0, CODE_WIDTH)?;
    sheet.column_width(1, CRITERION_WIDTH)?;
    for c in first_level_col..=last_col {
        sheet.column_width(c, LEVEL_WIDTH)?;
    }
    let total_width = CODE_WIDTH + CRITERION_WIDTH + LEVEL_WIDTH * f64::from(scale_len);
    let mut row: u32 = 0;

    // Title.
    let title = format!("Grille d'évaluation — {} {}", t.epreuve, t.title);
    sheet.merge(row, 0, row, last_col, &title, &f.title)?;
    sheet.row_height(row, 16.0 * lines(&title, total_width, 0.8))?;
    layout.fixed.push((row, 0, title));
    row += 1;
    let subtitle = format!("{} — {}", t.modality, t.referential_id);
    sheet.merge(row, 0, row, last_col, &subtitle, &f.subtitle)?;
    row += 2;

    // Identity block.
    for field in &t.identity_fields {
        let value = identity_value(field, establishment, grid);
        sheet.text(row, 0, field, &f.label)?;
        sheet.merge(row, 1, row, last_col, &value, &f.value)?;
        let height =
            lines(field, CODE_WIDTH, 1.1).max(lines(&value, total_width - CODE_WIDTH, 1.1));
        sheet.row_height(row, 12.5 * height + 2.0)?;
        layout.fixed.push((row, 0, field.clone()));
        layout.fixed.push((row, 1, value));
        row += 1;
    }
    // The non-conformity notice: its row is always there (blank for a conforme dossier)
    // so that a sheet exported before a dossier's conformity changed keeps its layout.
    if grid.candidate.conforme {
        sheet.row_height(row, 6.0)?;
    } else {
        let notice = format!(
            "DOSSIER NON CONFORME — {}",
            grid.candidate
                .nonconformity_reason
                .as_deref()
                .unwrap_or("dossier incomplet")
        );
        sheet.merge(row, 0, row, last_col, &notice, &f.notice)?;
        sheet.row_height(row, 13.0 * lines(&notice, total_width, 1.0) + 3.0)?;
    }
    row += 1;
    row += 1;

    // Criteria × degrees of mastery.
    sheet.text(row, 0, "Code", &f.head)?;
    sheet.text(row, 1, "Critères d'évaluation et indicateurs", &f.head)?;
    layout.fixed.push((row, 0, "Code".to_owned()));
    layout
        .fixed
        .push((row, 1, "Critères d'évaluation et indicateurs".to_owned()));
    let mut head_lines: f64 = 1.0;
    for (i, degree) in t.scale.iter().enumerate() {
        let col = first_level_col + u16::try_from(i).unwrap_or(0);
        sheet.text(row, col, degree, &f.head)?;
        layout.fixed.push((row, col, degree.clone()));
        head_lines = head_lines.max(lines(degree, LEVEL_WIDTH, 1.0));
    }
    sheet.row_height(row, 12.5 * head_lines + 2.0)?;
    row += 1;
    let chosen: HashMap<&str, u8> = grid
        .levels
        .iter()
        .map(|l| (l.code.as_str(), l.level))
        .collect();
    for criterion in &t.criteria {
        sheet.text(row, 0, &criterion.code, &f.code)?;
        layout.fixed.push((row, 0, criterion.code.clone()));
        let mut text = criterion.label.clone();
        let mut height = lines(&criterion.label, CRITERION_WIDTH, 1.1) * 12.0;
        if criterion.indicators.is_empty() {
            sheet.text(row, 1, &criterion.label, &f.criterion)?;
        } else {
            let indicators: String = criterion
                .indicators
                .iter()
                .map(|i| format!("\n• {i}"))
                .collect();
            height += lines(indicators.trim_start(), CRITERION_WIDTH, 1.5) * 9.5;
            let segments = [
                (&f.criterion, criterion.label.as_str()),
                (&f.indicator, indicators.as_str()),
            ];
            sheet.rich(row, 1, &segments, &f.criterion)?;
            text.push_str(&indicators);
        }
        layout.fixed.push((row, 1, text));
        for i in 0..scale_len {
            let col = first_level_col + i;
            if chosen.get(criterion.code.as_str()) == Some(&(u8::try_from(i + 1).unwrap_or(0))) {
                sheet.text(row, col, "X", &f.level)?;
            } else {
                sheet.blank(row, col, &f.level)?;
            }
        }
        sheet.row_height(row, height + 4.0)?;
        layout.criteria.push((criterion.code.clone(), row));
        row += 1;
    }
    row += 1;

    // Comment boxes.
    for field in &t.comment_fields {
        sheet.merge(row, 0, row, last_col, field, &f.section)?;
        layout.fixed.push((row, 0, field.clone()));
        row += 1;
        let text = grid
            .comments
            .iter()
            .find(|c| &c.field == field)
            .map(|c| c.text.as_str())
            .unwrap_or("");
        sheet.merge(row, 0, row, last_col, text, &f.comment)?;
        sheet.row_height(row, (12.0 * lines(text, total_width, 1.1)).max(40.0) + 4.0)?;
        layout.comments.push((field.clone(), row));
        row += 1;
    }
    row += 1;

    // Marks.
    let labels = [
        "Note proposée (sur 20, selon les niveaux)",
        "Note finale (sur 20)",
    ];
    for (i, label) in labels.iter().enumerate() {
        sheet.merge(row, 0, row, 1, label, &f.label)?;
        layout.fixed.push((row, 0, (*label).to_owned()));
        let mark = if i == 0 {
            grid.proposed_mark
        } else {
            layout.final_mark = (row, first_level_col);
            grid.final_mark.or(grid.proposed_mark)
        };
        match mark {
            Some(m) => sheet.number(row, first_level_col, m, &f.mark)?,
            None => sheet.blank(row, first_level_col, &f.mark)?,
        };
        sheet.row_height(row, 16.0)?;
        row += 1;
    }
    let justification_label = "Justification d'une note finale différente";
    sheet.text(row, 0, justification_label, &f.label)?;
    layout.fixed.push((row, 0, justification_label.to_owned()));
    let justification = grid.justification.as_deref().unwrap_or("");
    sheet.merge(row, 1, row, last_col, justification, &f.comment)?;
    sheet.row_height(
        row,
        (12.0 * lines(justification, total_width - CODE_WIDTH, 1.1))
            .max(12.0 * lines(justification_label, CODE_WIDTH, 1.0))
            .max(26.0)
            + 4.0,
    )?;
    layout.justification = (row, 1);
    row += 2;

    // Jury and signatures.
    let jury_title = match &grid.jury {
        Some(j) => format!("Jury : {}", j.name),
        None => "Jury : non désigné".to_owned(),
    };
    sheet.merge(row, 0, row, last_col, &jury_title, &f.section)?;
    row += 1;
    sheet.text(row, 0, "Rôle", &f.head)?;
    sheet.text(row, 1, "Membre du jury", &f.head)?;
    sheet.merge(row, first_level_col, row, last_col, "Signature", &f.head)?;
    row += 1;
    for member in grid.jury.iter().flat_map(|j| j.members.iter()) {
        let signed = grid
            .signatures
            .iter()
            .find(|s: &&Signature| s.member.id == member.person.id)
            .map(|s| format!("Signé le {}", date_text(s.signed_at)))
            .unwrap_or_else(|| "Non signé".to_owned());
        sheet.text(row, 0, member.role.label(), &f.value)?;
        sheet.text(
            row,
            1,
            &format!("{} {}", member.person.first_name, member.person.last_name),
            &f.value,
        )?;
        sheet.merge(row, first_level_col, row, last_col, &signed, &f.value)?;
        sheet.row_height(row, 15.0)?;
        row += 1;
    }
    let status = match (grid.status, grid.locked_at) {
        (GridStatus::Locked, Some(at)) => format!("Grille verrouillée le {}", date_text(at)),
        (GridStatus::Locked, None) => "Grille verrouillée".to_owned(),
        (GridStatus::Open, _) => "Grille ouverte : non signée par tout le jury".to_owned(),
    };
    sheet.merge(row, 0, row, last_col, &status, &f.subtitle)?;
    layout.last_row = row;

    // One A4 page, portrait.
    let footer = format!(
        "&L&8{} — {}&R&8Page &P / &N",
        grid.session_label,
        candidate_name(&grid.candidate.student)
    );
    sheet.page_setup(layout.last_row, last_col, &footer)?;
    Ok(layout)
}

/// A sheet name from « number name »: forbidden characters dropped, 31 characters at
/// most, unique in `taken` (a suffix « (2) »… when needed).
pub fn sheet_name(number: &str, last_name: &str, taken: &mut HashSet<String>) -> String {
    let raw: String = format!("{number} {last_name}")
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') && !c.is_control())
        .collect();
    let base: String = raw.trim().trim_matches('\'').chars().take(31).collect();
    let base = if base.is_empty() {
        number.to_owned()
    } else {
        base
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name.to_lowercase()) || name.eq_ignore_ascii_case(SUMMARY_SHEET) {
        let suffix = format!(" ({n})");
        let keep = 31 - suffix.chars().count();
        name = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
        n += 1;
    }
    taken.insert(name.to_lowercase());
    name
}

/// One candidate's grid as a workbook.
pub fn candidate_workbook(
    establishment: &Establishment,
    grid: &CandidateGrid,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let formats = Formats::new();
    let mut taken = HashSet::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(
        &grid.candidate.number,
        &grid.candidate.student.last_name,
        &mut taken,
    ))?;
    write_grid_sheet(sheet, &formats, establishment, grid)?;
    workbook.save_to_buffer()
}

/// The mark given: the final mark, else the proposed one.
pub fn mark_of(grid: &CandidateGrid) -> Option<f64> {
    grid.final_mark.or(grid.proposed_mark)
}

/// The weighted total: mark × coefficient.
pub fn weighted(grid: &CandidateGrid) -> Option<f64> {
    Some(mark_of(grid)? * grid.template.coefficient?)
}

/// Sheet names of a session workbook's candidates, in candidate order.
pub fn sheet_names(grids: &[CandidateGrid]) -> Vec<String> {
    let mut taken = HashSet::new();
    taken.insert(SUMMARY_SHEET.to_lowercase());
    grids
        .iter()
        .map(|g| {
            sheet_name(
                &g.candidate.number,
                &g.candidate.student.last_name,
                &mut taken,
            )
        })
        .collect()
}

/// The session workbook: a summary sheet, then one sheet per candidate.
pub fn session_workbook(
    establishment: &Establishment,
    label: &str,
    grids: &[CandidateGrid],
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let formats = Formats::new();
    let summary = workbook.add_worksheet();
    summary.set_name(SUMMARY_SHEET)?;
    let title = match grids.first() {
        Some(g) => format!(
            "{label} — {} {} — {}",
            g.template.epreuve, g.template.title, establishment.name
        ),
        None => label.to_owned(),
    };
    summary.write_string_with_format(0, 0, &title, &formats.title)?;
    for (col, header) in SUMMARY_HEADERS.iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(0);
        summary.write_string_with_format(SUMMARY_HEADER_ROW, col, *header, &formats.head)?;
    }
    let widths = [9.0, 18.0, 16.0, 14.0, 10.0, 10.0, 10.0, 11.0, 12.0, 12.0];
    for (col, w) in widths.iter().enumerate() {
        summary.set_column_width(u16::try_from(col).unwrap_or(0), *w)?;
    }
    for (i, g) in grids.iter().enumerate() {
        let row = SUMMARY_HEADER_ROW + 1 + u32::try_from(i).unwrap_or(0);
        let c = &g.candidate;
        summary.write_string(row, 0, &c.number)?;
        summary.write_string(row, 1, &c.student.last_name)?;
        summary.write_string(row, 2, &c.student.first_name)?;
        summary.write_string(row, 3, &c.class_name)?;
        summary.write_string(row, 4, if c.conforme { "Oui" } else { "Non" })?;
        for (col, value) in [
            (5, g.proposed_mark),
            (6, mark_of(g)),
            (7, g.template.coefficient),
            (8, weighted(g)),
        ] {
            if let Some(v) = value {
                summary.write_number_with_format(row, col, v, &formats.number)?;
            }
        }
        summary.write_string(row, 9, status_label(g.status))?;
    }
    summary.set_landscape();
    summary.set_print_fit_to_pages(1, 0);
    // Candidate sheets are written row by row: in constant memory, each row goes to a
    // temporary file as soon as the next one starts (a session of 1,000 candidates would
    // otherwise hold every sheet and its XML in memory at once).
    for (g, name) in grids.iter().zip(sheet_names(grids)) {
        let sheet = workbook.add_worksheet_with_constant_memory();
        sheet.set_name(name)?;
        write_grid_sheet(sheet, &formats, establishment, g)?;
    }
    workbook.save_to_buffer()
}

fn status_label(status: GridStatus) -> &'static str {
    match status {
        GridStatus::Locked => "Verrouillée",
        GridStatus::Open => "Ouverte",
    }
}

fn decimal(value: Option<f64>) -> String {
    mark_text(value)
}

/// The exam office's CSV: `;`, UTF-8 with BOM, decimal comma, one line per candidate.
pub fn session_csv_bytes(grids: &[CandidateGrid]) -> Result<Vec<u8>, csv::Error> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut out);
        let mut header = vec!["Épreuve", "Unité"];
        header.extend(SUMMARY_HEADERS);
        crate::text::write_csv_record(&mut writer, header)?;
        for g in grids {
            let c = &g.candidate;
            // Names and class names are typed by people: never a formula in the office's
            // spreadsheet.
            crate::text::write_csv_record(
                &mut writer,
                [
                    g.template.epreuve.as_str(),
                    g.template.unit.as_str(),
                    c.number.as_str(),
                    c.student.last_name.as_str(),
                    c.student.first_name.as_str(),
                    c.class_name.as_str(),
                    if c.conforme { "Oui" } else { "Non" },
                    &decimal(g.proposed_mark),
                    &decimal(mark_of(g)),
                    &decimal(g.template.coefficient),
                    &decimal(weighted(g)),
                    status_label(g.status),
                ],
            )?;
        }
        writer.flush()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::{sheet_name, SUMMARY_SHEET};

    #[test]
    fn sheet_names_are_short_clean_and_unique() {
        let mut taken = HashSet::new();
        taken.insert(SUMMARY_SHEET.to_lowercase());
        assert_eq!(sheet_name("0001", "Zola", &mut taken), "0001 Zola");
        assert_eq!(
            sheet_name("0002", "O'Neil [B/C]?*", &mut taken),
            "0002 O'Neil BC"
        );
        let long = sheet_name("0003", &"Très-long-nom ".repeat(5), &mut taken);
        assert!(long.chars().count() <= 31, "{long}");
        let again = sheet_name("0003", &"Très-long-nom ".repeat(5), &mut taken);
        assert!(
            again.ends_with(" (2)") && again.chars().count() <= 31,
            "{again}"
        );
        assert_ne!(sheet_name("0004", "zola", &mut taken), "0001 Zola");
        // The summary's name is never taken by a candidate.
        let mut bare = HashSet::new();
        assert_eq!(sheet_name("", SUMMARY_SHEET, &mut bare), "Synthèse (2)");
    }
}
