//! Class-list import: turns the spreadsheets schools already have (.xlsx, .ods, .csv) into
//! validated student rows, with one French error per bad cell.
//!
//! The format is detected from the content (magic bytes, then the zip's entries); the file
//! name's extension is only a hint that must agree with it. Columns are matched by header
//! name (accents, case, spaces and common variants tolerated), in any order, and the header
//! row may follow up to [`MAX_LEADING_ROWS`] title rows.
//!
//! Hostile files are refused before they cost time or memory:
//! - over [`MAX_IMPORT_BYTES`] → 413 before anything is parsed;
//! - zip archives (xlsx, ods) are inspected with the `zip` crate before calamine sees them:
//!   entry count, declared uncompressed sizes, per-entry compression ratio, and then every
//!   entry is actually inflated into a sink, capped at its declared size, so a lying header
//!   cannot smuggle a bomb through;
//! - xlsx sheets are read cell by cell (calamine's sparse cells reader, never
//!   `worksheet_range`), after checking the sheet's declared `<dimension>`;
//! - ods `content.xml` is pre-scanned (repeated rows/columns, `text:s` space runs) because
//!   calamine materialises repetitions densely when it opens an .ods file.
//!
//! Parsing is synchronous CPU work (well under a second for [`MAX_ROWS`] rows): HTTP
//! handlers should run it off the async executor (`web::block`).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{self, Cursor, Read};

use calamine::{Data, DataRef, ExcelDateTime, ExcelDateTimeType, Ods, Reader, Xlsx, XlsxError};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::fold::fold;

/// Largest accepted upload, checked before any parsing (413 above).
pub const MAX_IMPORT_BYTES: usize = 5 * 1024 * 1024;
/// Most student rows a list may hold (422 above).
pub const MAX_ROWS: usize = 10_000;
/// Most columns a sheet may use (422 above).
pub const MAX_COLUMNS: usize = 50;
/// Title rows tolerated above the header row.
pub const MAX_LEADING_ROWS: usize = 10;
/// Sum of the uncompressed sizes of a zip's entries.
pub const MAX_UNCOMPRESSED_BYTES: u64 = 50 * 1024 * 1024;
/// Most entries in a zip archive.
pub const MAX_ZIP_ENTRIES: usize = 1000;
/// Highest compression ratio accepted for an entry above [`RATIO_CHECK_FROM_BYTES`].
pub const MAX_COMPRESSION_RATIO: u64 = 100;
/// Entries smaller than this are not ratio-checked (tiny XML files compress very well).
pub const RATIO_CHECK_FROM_BYTES: u64 = 1024 * 1024;
/// Longest name, first name or class name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest email address (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// Rows a sheet may span: the header, the title rows above it and the student rows.
const MAX_SHEET_ROWS: usize = MAX_ROWS + MAX_LEADING_ROWS + 1;
/// Non-empty cells kept over the whole workbook.
const MAX_CELLS: u64 = (MAX_SHEET_ROWS * MAX_COLUMNS) as u64;
/// Cells (empty ones included) an xlsx sheet may list before it is refused.
const MAX_SCANNED_CELLS: u64 = 4 * MAX_CELLS;
/// Bytes kept from one cell: longer values are invalid anyway (see the field limits).
const MAX_CELL_BYTES: usize = 512;
/// Text bytes kept over the whole workbook.
const MAX_TEXT_BYTES: usize = 32 * 1024 * 1024;
/// Estimated bytes calamine may materialise from an .ods (repetitions expanded).
const MAX_ODS_EXPANDED_BYTES: u64 = 64 * 1024 * 1024;
/// Sheets looked at for a header row.
const MAX_SHEETS: usize = 50;

const ODS_MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

/// Spreadsheet formats accepted for class lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SheetFormat {
    Xlsx,
    Ods,
    Csv,
}

impl SheetFormat {
    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            SheetFormat::Xlsx => "xlsx",
            SheetFormat::Ods => "ods",
            SheetFormat::Csv => "csv",
        }
    }

    fn description(self) -> &'static str {
        match self {
            SheetFormat::Xlsx => "un classeur Excel (.xlsx)",
            SheetFormat::Ods => "un classeur OpenDocument (.ods)",
            SheetFormat::Csv => "un fichier texte CSV",
        }
    }
}

/// One valid student row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportRow {
    /// 1-based row number as shown by the spreadsheet application (CSV: record number).
    pub row: usize,
    /// Trimmed, inner spaces collapsed, accents and case kept.
    pub last_name: String,
    pub first_name: String,
    pub birth_date: Option<NaiveDate>,
    /// Lower-cased. Required by the import, `Option` for callers building rows by hand.
    pub email: Option<String>,
    pub class_name: String,
    /// Upper-cased, 11 characters.
    pub ine: Option<String>,
}

/// A problem with one cell (or one row) that does not stop the rest of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based row number, as in [`ImportRow::row`].
    pub row: usize,
    /// The column's header as printed in the file.
    pub column: Option<String>,
    /// Stable machine code: `missing_last_name`, `missing_first_name`, `missing_class`,
    /// `missing_email`, `invalid_email`, `duplicate_email`, `invalid_date`,
    /// `implausible_date`, `invalid_ine`, `duplicate_ine`, `value_too_long`, `cell_error`.
    pub code: &'static str,
    /// French, e.g. "ligne 7, colonne « date de naissance » : date invalide « 31/02/2010 »".
    pub message: String,
}

/// The outcome of reading a class list: good rows, row errors, and what was recognised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedSheet {
    pub format: SheetFormat,
    /// The worksheet used (None for CSV).
    pub sheet_name: Option<String>,
    /// 1-based row number of the header row.
    pub header_row: usize,
    /// Every non-empty header cell, as printed, in column order.
    pub headers: Vec<String>,
    /// Headers that matched no known column (or a less specific duplicate), ignored.
    pub ignored_headers: Vec<String>,
    /// Rows without any error, in file order.
    pub rows: Vec<ImportRow>,
    /// Row errors, in file order; a row with errors is absent from `rows`.
    pub errors: Vec<RowError>,
}

/// The whole file is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportError {
    /// Stable machine code: `too_large`, `empty_file`, `unreadable`, `wrong_format`,
    /// `unsupported_format`, `not_a_spreadsheet`, `suspicious_archive`, `no_header`,
    /// `missing_columns`, `duplicate_column`, `too_many_rows`, `too_many_columns`,
    /// `too_many_cells`.
    pub code: &'static str,
    /// French, for the user.
    pub message: String,
    /// Suggested HTTP status: 413, 415, 422 or 400.
    pub status: u16,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ImportError {}

impl ImportError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ImportError {
            code,
            message: message.into(),
            status,
        }
    }

    fn unreadable(detail: impl fmt::Display) -> Self {
        Self::new(
            400,
            "unreadable",
            format!("fichier illisible ou endommagé ({detail})"),
        )
    }

    fn suspicious(detail: impl Into<String>) -> Self {
        Self::new(
            413,
            "suspicious_archive",
            format!("archive refusée : {}", detail.into()),
        )
    }

    fn too_many_rows() -> Self {
        Self::new(
            422,
            "too_many_rows",
            format!(
                "la feuille dépasse {MAX_SHEET_ROWS} lignes : {MAX_ROWS} élèves au plus par import"
            ),
        )
    }

    fn too_many_columns() -> Self {
        Self::new(
            422,
            "too_many_columns",
            format!("la feuille utilise plus de {MAX_COLUMNS} colonnes"),
        )
    }

    fn too_many_cells() -> Self {
        Self::new(
            422,
            "too_many_cells",
            "le classeur contient trop de données pour une liste de classe",
        )
    }
}

/// Parses and validates a class list. `today` bounds plausible birth dates (pass the
/// establishment's current date; the clock is not read here).
pub fn parse_class_list(
    bytes: &[u8],
    file_name: &str,
    today: NaiveDate,
) -> Result<ParsedSheet, ImportError> {
    guarded(|| read_class_list(bytes, file_name, today), reader_broke)
}

/// Runs a spreadsheet reader (calamine) over a file from anyone. A panic inside it is the
/// file's doing — `scripts/fuzz` found calamine indexing its shared strings and
/// multiplying a cell reference's column without bounds — so it answers as an unreadable
/// file (`broken`), not as a 500. Nothing is shared with the reader but the bytes it
/// reads, so nothing is left half-changed by the unwinding.
pub fn guarded<T, E>(
    read: impl FnOnce() -> Result<T, E>,
    broken: impl FnOnce() -> E,
) -> Result<T, E> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| Err(broken()))
}

fn reader_broke() -> ImportError {
    ImportError::unreadable("le lecteur de classeurs n'a pas pu le lire")
}

fn read_class_list(
    bytes: &[u8],
    file_name: &str,
    today: NaiveDate,
) -> Result<ParsedSheet, ImportError> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::new(
            413,
            "too_large",
            format!(
                "fichier trop volumineux ({} Mo) : {} Mo au plus",
                bytes.len().div_ceil(1024 * 1024),
                MAX_IMPORT_BYTES / (1024 * 1024)
            ),
        ));
    }
    if bytes.is_empty() {
        return Err(ImportError::new(400, "empty_file", "le fichier est vide"));
    }
    let hint = extension_hint(file_name)?;
    let content = sniff(bytes)?;
    let format = match &content {
        Content::Xlsx => SheetFormat::Xlsx,
        Content::Ods { .. } => SheetFormat::Ods,
        Content::Csv(_) => SheetFormat::Csv,
        Content::Other(what) => {
            let message = match hint {
                Some(expected) => format!(
                    "le fichier « {} » n'est pas {} : il contient {what}",
                    display_name(file_name),
                    expected.description()
                ),
                None => format!(
                    "ce fichier n'est pas un tableur (il contient {what}) : formats acceptés \
                     .xlsx, .ods, .csv"
                ),
            };
            let code = if hint.is_some() {
                "wrong_format"
            } else {
                "not_a_spreadsheet"
            };
            return Err(ImportError::new(415, code, message));
        }
    };
    if let Some(expected) = hint {
        if expected != format {
            return Err(ImportError::new(
                415,
                "wrong_format",
                format!(
                    "le fichier « {} » n'est pas {} : il contient {}",
                    display_name(file_name),
                    expected.description(),
                    format.description()
                ),
            ));
        }
    }
    let mut budget = Budget::default();
    match content {
        Content::Xlsx => {
            let mut workbook: Xlsx<Cursor<&[u8]>> =
                Xlsx::new(Cursor::new(bytes)).map_err(ImportError::unreadable)?;
            let names = workbook.sheet_names();
            choose_sheet(format, &names, today, |name| {
                xlsx_grid(&mut workbook, name, &mut budget)
            })
        }
        Content::Ods { content_xml } => {
            check_ods_content(&content_xml)?;
            drop(content_xml);
            let mut workbook: Ods<Cursor<&[u8]>> =
                Ods::new(Cursor::new(bytes)).map_err(ImportError::unreadable)?;
            let names = workbook.sheet_names();
            choose_sheet(format, &names, today, |name| {
                ods_grid(&mut workbook, name, &mut budget)
            })
        }
        Content::Csv(text) => {
            let grid = csv_grid(&text)?;
            choose_sheet(format, &[], today, |_| Ok(grid.clone()))
        }
        Content::Other(_) => Err(ImportError::unreadable("format inconnu")),
    }
}

/// Refuses what is not a safe .xlsx (size, zip bombs, another format) before calamine
/// opens it: for the other importers (offline CCF grids).
pub fn check_xlsx(bytes: &[u8]) -> Result<(), ImportError> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::new(
            413,
            "too_large",
            format!(
                "fichier trop volumineux : {} Mo au plus",
                MAX_IMPORT_BYTES / (1024 * 1024)
            ),
        ));
    }
    if bytes.is_empty() {
        return Err(ImportError::new(400, "empty_file", "le fichier est vide"));
    }
    match sniff(bytes)? {
        Content::Xlsx => Ok(()),
        _ => Err(ImportError::new(
            415,
            "wrong_format",
            "ce fichier n'est pas un classeur .xlsx",
        )),
    }
}

/// The first worksheet of an .xlsx as text rows (1-based row numbers, empty rows left
/// out), read with the same defences as class lists (zip bombs, cell budgets). For the
/// other importers (exercise catalogues).
pub fn xlsx_text_rows(bytes: &[u8]) -> Result<Vec<(u32, Vec<String>)>, ImportError> {
    guarded(|| read_xlsx_text_rows(bytes), reader_broke)
}

fn read_xlsx_text_rows(bytes: &[u8]) -> Result<Vec<(u32, Vec<String>)>, ImportError> {
    if !matches!(sniff(bytes)?, Content::Xlsx) {
        return Err(ImportError::new(
            415,
            "wrong_format",
            "ce fichier n'est pas un classeur .xlsx",
        ));
    }
    let mut workbook: Xlsx<Cursor<&[u8]>> =
        Xlsx::new(Cursor::new(bytes)).map_err(ImportError::unreadable)?;
    let first = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| ImportError::new(422, "no_header", "le classeur n'a aucune feuille"))?;
    let grid = xlsx_grid(&mut workbook, &first, &mut Budget::default())?;
    Ok(grid
        .rows
        .iter()
        .map(|(row, cells)| (row + 1, cells.iter().map(cell_text).collect()))
        .collect())
}

// ---------------------------------------------------------------------------------------
// Format detection

enum Content {
    Xlsx,
    Ods {
        content_xml: Vec<u8>,
    },
    Csv(String),
    /// Not a supported spreadsheet: what it looks like, in French ("une image PNG").
    Other(&'static str),
}

fn display_name(file_name: &str) -> &str {
    file_name.rsplit(['/', '\\']).next().unwrap_or(file_name)
}

/// The format the extension promises, None without a usable extension; an extension of
/// another format is refused at once.
fn extension_hint(file_name: &str) -> Result<Option<SheetFormat>, ImportError> {
    let name = display_name(file_name);
    let Some((_, ext)) = name.rsplit_once('.') else {
        return Ok(None);
    };
    if ext.is_empty() || ext.len() > 5 || !ext.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    match ext.to_ascii_lowercase().as_str() {
        "xlsx" => Ok(Some(SheetFormat::Xlsx)),
        "ods" => Ok(Some(SheetFormat::Ods)),
        "csv" | "txt" | "tsv" => Ok(Some(SheetFormat::Csv)),
        "xls" => Err(ImportError::new(
            415,
            "unsupported_format",
            "l'ancien format Excel (.xls) n'est pas pris en charge : enregistrez le fichier \
             au format .xlsx, .ods ou .csv",
        )),
        other => Err(ImportError::new(
            415,
            "unsupported_format",
            format!("format « .{other} » non pris en charge : formats acceptés .xlsx, .ods, .csv"),
        )),
    }
}

const MAGICS: &[(&[u8], &str)] = &[
    (
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
        "un ancien classeur Excel (.xls) ou un fichier protégé par mot de passe",
    ),
    (b"\x89PNG", "une image PNG"),
    (b"\xFF\xD8\xFF", "une image JPEG"),
    (b"GIF8", "une image GIF"),
    (b"%PDF", "un document PDF"),
    (b"\x1F\x8B", "une archive compressée"),
    (b"Rar!", "une archive compressée"),
    (b"7z\xBC\xAF\x27\x1C", "une archive compressée"),
    (b"PK\x05\x06", "une archive zip vide"),
];

fn sniff(bytes: &[u8]) -> Result<Content, ImportError> {
    if bytes.starts_with(b"PK\x03\x04") {
        return inspect_zip(bytes);
    }
    for (magic, what) in MAGICS {
        if bytes.starts_with(magic) {
            return Ok(Content::Other(what));
        }
    }
    Ok(match decode_text(bytes) {
        Some(text) => Content::Csv(text),
        None => Content::Other("des données binaires"),
    })
}

/// Checks a zip against bombs, then tells an xlsx from an ods from anything else.
fn inspect_zip(bytes: &[u8]) -> Result<Content, ImportError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(ImportError::unreadable)?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(ImportError::suspicious(format!(
            "{} fichiers dans l'archive ({MAX_ZIP_ENTRIES} au plus)",
            archive.len()
        )));
    }
    let mut names = Vec::with_capacity(archive.len());
    let mut declared = Vec::with_capacity(archive.len());
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(ImportError::unreadable)?;
        let size = entry.size();
        total = total.saturating_add(size);
        if total > MAX_UNCOMPRESSED_BYTES {
            return Err(ImportError::suspicious(format!(
                "contenu décompressé de plus de {} Mo",
                MAX_UNCOMPRESSED_BYTES / (1024 * 1024)
            )));
        }
        if size > RATIO_CHECK_FROM_BYTES
            && size
                > entry
                    .compressed_size()
                    .saturating_mul(MAX_COMPRESSION_RATIO)
        {
            return Err(ImportError::suspicious(format!(
                "taux de compression anormal pour « {} »",
                entry.name()
            )));
        }
        names.push(entry.name().to_owned());
        declared.push(size);
    }
    let is_xlsx = names.iter().any(|n| n == "[Content_Types].xml")
        && names.iter().any(|n| n.starts_with("xl/"));
    let mut mimetype = Vec::new();
    let mut content_xml = Vec::new();
    // Inflate every entry, capped at its declared size: sizes in headers can lie.
    for (index, &size) in declared.iter().enumerate() {
        let entry = archive.by_index(index).map_err(ImportError::unreadable)?;
        let keep = match entry.name() {
            "mimetype" => Some(&mut mimetype),
            "content.xml" if !is_xlsx => Some(&mut content_xml),
            _ => None,
        };
        let mut limited = entry.take(size.saturating_add(1));
        let read = match keep {
            Some(buffer) => limited.read_to_end(buffer).map(|n| n as u64),
            None => io::copy(&mut limited, &mut io::sink()),
        }
        .map_err(ImportError::unreadable)?;
        if read > size {
            return Err(ImportError::suspicious(
                "taille décompressée supérieure à la taille annoncée",
            ));
        }
    }
    if is_xlsx {
        return Ok(Content::Xlsx);
    }
    if mimetype.trim_ascii() == ODS_MIMETYPE {
        return Ok(Content::Ods { content_xml });
    }
    let what = if mimetype.starts_with(b"application/vnd.oasis.opendocument") {
        "un document OpenDocument qui n'est pas un classeur"
    } else if names.iter().any(|n| n.starts_with("word/")) {
        "un document Word"
    } else if names.iter().any(|n| n.starts_with("ppt/")) {
        "une présentation PowerPoint"
    } else {
        "une archive zip"
    };
    Ok(Content::Other(what))
}

/// UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252; None for binary data.
fn decode_text(bytes: &[u8]) -> Option<String> {
    let text = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        std::str::from_utf8(rest).ok()?.to_owned()
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        decode_utf16(rest, u16::from_le_bytes)?
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        decode_utf16(rest, u16::from_be_bytes)?
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => text.to_owned(),
            Err(_) => decode_windows_1252(bytes)?,
        }
    };
    let binary = text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
    (!binary).then_some(text)
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Option<String> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| unit([pair[0], pair[1]]))
        .collect();
    String::from_utf16(&units).ok()
}

/// Windows-1252; the five undefined bytes mean the data is not text in that encoding.
fn decode_windows_1252(bytes: &[u8]) -> Option<String> {
    const HIGH: [Option<char>; 32] = [
        Some('€'),
        None,
        Some('‚'),
        Some('ƒ'),
        Some('„'),
        Some('…'),
        Some('†'),
        Some('‡'),
        Some('ˆ'),
        Some('‰'),
        Some('Š'),
        Some('‹'),
        Some('Œ'),
        None,
        Some('Ž'),
        None,
        None,
        Some('\u{2018}'),
        Some('\u{2019}'),
        Some('\u{201C}'),
        Some('\u{201D}'),
        Some('•'),
        Some('–'),
        Some('—'),
        Some('˜'),
        Some('™'),
        Some('š'),
        Some('›'),
        Some('œ'),
        None,
        Some('ž'),
        Some('Ÿ'),
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => HIGH[usize::from(b - 0x80)],
            _ => Some(char::from(b)),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Sheets as sparse grids

/// A cell value, normalised across formats.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Empty,
    Text(String),
    Number(f64),
    /// Excel date serial, with the workbook's epoch.
    Date(ExcelDateTime),
    /// ODS date ("2010-03-15" or "2010-03-15T00:00:00").
    IsoDate(String),
    Bool(bool),
    Error(String),
}

impl Val {
    fn is_empty(&self) -> bool {
        matches!(self, Val::Empty)
    }

    fn text(s: &str) -> Val {
        if s.trim().is_empty() {
            Val::Empty
        } else {
            Val::Text(truncate(s).to_owned())
        }
    }

    fn from_ref(value: &DataRef<'_>) -> Val {
        match value {
            DataRef::Empty => Val::Empty,
            DataRef::String(s) => Val::text(s),
            DataRef::SharedString(s) => Val::text(s),
            DataRef::Int(i) => Val::Number(*i as f64),
            DataRef::Float(f) => Val::Number(*f),
            DataRef::Bool(b) => Val::Bool(*b),
            DataRef::DateTime(d) if d.is_datetime() => Val::Date(*d),
            DataRef::DateTime(d) => Val::Number(d.as_f64()),
            DataRef::DateTimeIso(s) => Val::IsoDate(truncate(s).to_owned()),
            DataRef::DurationIso(s) => Val::text(s),
            DataRef::Error(e) => Val::Error(e.to_string()),
        }
    }

    fn from_data(value: &Data) -> Val {
        match value {
            Data::Empty => Val::Empty,
            Data::String(s) => Val::text(s),
            Data::Int(i) => Val::Number(*i as f64),
            Data::Float(f) => Val::Number(*f),
            Data::Bool(b) => Val::Bool(*b),
            Data::DateTime(d) if d.is_datetime() => Val::Date(*d),
            Data::DateTime(d) => Val::Number(d.as_f64()),
            Data::DateTimeIso(s) => Val::IsoDate(truncate(s).to_owned()),
            Data::DurationIso(s) => Val::text(s),
            Data::Error(e) => Val::Error(e.to_string()),
        }
    }

    fn kept_bytes(&self) -> usize {
        match self {
            Val::Text(s) | Val::IsoDate(s) | Val::Error(s) => s.len(),
            _ => 0,
        }
    }
}

/// At most [`MAX_CELL_BYTES`], cut on a character boundary.
fn truncate(s: &str) -> &str {
    if s.len() <= MAX_CELL_BYTES {
        return s;
    }
    let mut end = MAX_CELL_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Non-empty rows only: (0-based row index, cells by 0-based column).
#[derive(Debug, Clone, Default)]
struct Grid {
    rows: Vec<(u32, Vec<Val>)>,
}

/// What has been kept so far over the whole workbook.
#[derive(Default)]
struct Budget {
    cells: u64,
    text_bytes: usize,
}

impl Budget {
    fn take(&mut self, value: &Val) -> Result<(), ImportError> {
        self.cells += 1;
        self.text_bytes = self.text_bytes.saturating_add(value.kept_bytes());
        if self.cells > MAX_CELLS || self.text_bytes > MAX_TEXT_BYTES {
            return Err(ImportError::too_many_cells());
        }
        Ok(())
    }
}

/// Builds a grid from cells in any order, enforcing the row/column limits.
#[derive(Default)]
struct GridBuilder {
    rows: BTreeMap<u32, Vec<Val>>,
}

impl GridBuilder {
    fn put(
        &mut self,
        (row, col): (u32, u32),
        value: Val,
        budget: &mut Budget,
    ) -> Result<(), ImportError> {
        if value.is_empty() {
            return Ok(());
        }
        if row as usize >= MAX_SHEET_ROWS {
            return Err(ImportError::too_many_rows());
        }
        let col = col as usize;
        if col >= MAX_COLUMNS {
            return Err(ImportError::too_many_columns());
        }
        budget.take(&value)?;
        let cells = self.rows.entry(row).or_default();
        if cells.len() <= col {
            cells.resize(col + 1, Val::Empty);
        }
        cells[col] = value;
        Ok(())
    }

    fn build(self) -> Grid {
        Grid {
            rows: self.rows.into_iter().collect(),
        }
    }
}

fn xlsx_grid(
    workbook: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    budget: &mut Budget,
) -> Result<Grid, ImportError> {
    let mut reader = match workbook.worksheet_cells_reader(name) {
        Ok(reader) => reader,
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Grid::default()),
        Err(e) => return Err(ImportError::unreadable(e)),
    };
    // The declared used range, checked before reading a single cell.
    let dimensions = reader.dimensions();
    if dimensions.end.0 as usize >= MAX_SHEET_ROWS {
        return Err(ImportError::too_many_rows());
    }
    if dimensions.end.1 as usize >= MAX_COLUMNS {
        return Err(ImportError::too_many_columns());
    }
    let mut builder = GridBuilder::default();
    let mut scanned: u64 = 0;
    while let Some(cell) = reader.next_cell().map_err(ImportError::unreadable)? {
        scanned += 1;
        if scanned > MAX_SCANNED_CELLS {
            return Err(ImportError::too_many_cells());
        }
        builder.put(cell.get_position(), Val::from_ref(cell.get_value()), budget)?;
    }
    Ok(builder.build())
}

fn ods_grid(
    workbook: &mut Ods<Cursor<&[u8]>>,
    name: &str,
    budget: &mut Budget,
) -> Result<Grid, ImportError> {
    let range = workbook
        .worksheet_range(name)
        .map_err(ImportError::unreadable)?;
    let Some((row0, col0)) = range.start() else {
        return Ok(Grid::default());
    };
    let mut builder = GridBuilder::default();
    for (i, cells) in range.rows().enumerate() {
        let row = row0.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
        for (j, value) in cells.iter().enumerate() {
            let col = col0.saturating_add(u32::try_from(j).unwrap_or(u32::MAX));
            builder.put((row, col), Val::from_data(value), budget)?;
        }
    }
    Ok(builder.build())
}

fn csv_grid(text: &str) -> Result<Grid, ImportError> {
    let delimiter = sniff_delimiter(text);
    let mut reader = csv_reader(text, delimiter);
    let mut builder = GridBuilder::default();
    let mut budget = Budget::default();
    // Rows are numbered by line, not by record: blank lines count, as in a spreadsheet
    // application, so "ligne 7" is the row the user sees. The csv crate's positions point
    // before the blank lines it skips, hence the line breaks skipped here.
    let bytes = text.as_bytes();
    let (mut counted_to, mut line) = (0usize, 0usize);
    for record in reader.records() {
        let record = record.map_err(ImportError::unreadable)?;
        let mut start = record.position().map_or(counted_to, |p| p.byte() as usize);
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let start = start.max(counted_to).min(bytes.len());
        line += bytes[counted_to..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted_to = start;
        let row = u32::try_from(line).unwrap_or(u32::MAX);
        for (col, field) in record.iter().enumerate() {
            let col = u32::try_from(col).unwrap_or(u32::MAX);
            builder.put((row, col), Val::text(field), &mut budget)?;
        }
    }
    Ok(builder.build())
}

fn csv_reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

/// The delimiter (; , or tab) under which the first lines hold the best header row;
/// without any recognisable header, the one splitting the first line the most.
fn sniff_delimiter(text: &str) -> u8 {
    const CANDIDATES: [u8; 3] = [b';', b',', b'\t'];
    let mut best = (0usize, 0usize, b';');
    for delimiter in CANDIDATES {
        let mut reader = csv_reader(text, delimiter);
        let mut recognised = 0;
        let mut widest = 0;
        for record in reader.records().take(MAX_LEADING_ROWS + 1).flatten() {
            let fields: Vec<&str> = record.iter().collect();
            recognised = recognised.max(recognised_fields(&fields));
            widest = widest.max(fields.len());
        }
        if (recognised, widest) > (best.0, best.1) {
            best = (recognised, widest, delimiter);
        }
    }
    best.2
}

/// Pre-scans an .ods `content.xml` for what calamine would expand densely: repeated rows
/// and columns around non-empty cells, and `<text:s text:c="…"/>` space runs.
fn check_ods_content(xml: &[u8]) -> Result<(), ImportError> {
    struct Table {
        next_row: u64,
        rows_used: u64,
        cols_used: u64,
    }
    struct Row {
        repeat: u64,
        col: u64,
        cols_used: u64,
    }
    struct Cell {
        start: usize,
        cost_factor: u64,
        spaces_at_start: u64,
    }
    let mut tables: Vec<Table> = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    let mut cells: Vec<Cell> = Vec::new();
    let mut spaces: u64 = 0;
    let mut expanded: u64 = 0;
    let mut area: u64 = 0;

    let mut pos = 0;
    while let Some(offset) = xml[pos..].iter().position(|&b| b == b'<') {
        let start = pos + offset;
        let rest = &xml[start..];
        let skip_to = |terminator: &[u8]| -> Result<usize, ImportError> {
            find(rest, terminator)
                .map(|at| start + at + terminator.len())
                .ok_or_else(|| ImportError::unreadable("XML tronqué"))
        };
        if rest.starts_with(b"<!--") {
            pos = skip_to(b"-->")?;
            continue;
        }
        if rest.starts_with(b"<![CDATA[") {
            pos = skip_to(b"]]>")?;
            continue;
        }
        if rest.starts_with(b"<?") {
            pos = skip_to(b"?>")?;
            continue;
        }
        if rest.starts_with(b"<!") {
            pos = skip_to(b">")?;
            continue;
        }
        let end = tag_end(xml, start).ok_or_else(|| ImportError::unreadable("XML tronqué"))?;
        pos = end + 1;
        let mut tag = &xml[start + 1..end];
        let closing = tag.first() == Some(&b'/');
        if closing {
            tag = &tag[1..];
        }
        let self_closing = tag.last() == Some(&b'/');
        let name_len = tag
            .iter()
            .position(|&b| b.is_ascii_whitespace() || b == b'/')
            .unwrap_or(tag.len());
        let (name, attrs) = tag.split_at(name_len);

        let mut finish_cell = |cells: &mut Vec<Cell>, end: usize| -> Result<(), ImportError> {
            if let Some(cell) = cells.pop() {
                let size = ((end - cell.start) as u64)
                    .saturating_add(spaces.saturating_sub(cell.spaces_at_start));
                expanded = expanded.saturating_add(size.saturating_mul(cell.cost_factor));
                if expanded > MAX_ODS_EXPANDED_BYTES {
                    return Err(ImportError::too_many_cells());
                }
            }
            Ok(())
        };
        let finish_row = |rows: &mut Vec<Row>, tables: &mut Vec<Table>| {
            let Some(row) = rows.pop() else {
                return Ok(());
            };
            let Some(table) = tables.last_mut() else {
                return Ok(());
            };
            let end = table.next_row.saturating_add(row.repeat);
            if row.cols_used > 0 {
                if end > MAX_SHEET_ROWS as u64 {
                    return Err(ImportError::too_many_rows());
                }
                table.rows_used = end;
                table.cols_used = table.cols_used.max(row.cols_used);
            }
            table.next_row = end;
            Ok(())
        };

        match (closing, name) {
            (false, b"table:table") => tables.push(Table {
                next_row: 0,
                rows_used: 0,
                cols_used: 0,
            }),
            (true, b"table:table") => {
                if let Some(table) = tables.pop() {
                    area = area.saturating_add(table.rows_used.saturating_mul(table.cols_used));
                    if area > MAX_CELLS {
                        return Err(ImportError::too_many_cells());
                    }
                }
            }
            (false, b"table:table-row") => {
                rows.push(Row {
                    repeat: repeat_attr(attrs, b"table:number-rows-repeated")?,
                    col: 0,
                    cols_used: 0,
                });
                if self_closing {
                    finish_row(&mut rows, &mut tables)?;
                }
            }
            (true, b"table:table-row") => finish_row(&mut rows, &mut tables)?,
            (false, b"table:table-cell" | b"table:covered-table-cell") => {
                let repeat = repeat_attr(attrs, b"table:number-columns-repeated")?;
                let has_content = !self_closing
                    || has_attr(attrs, b"office:value-type")
                    || has_attr(attrs, b"table:formula");
                let row_repeat = rows.last().map_or(1, |row| row.repeat);
                if let Some(row) = rows.last_mut() {
                    row.col = row.col.saturating_add(repeat);
                    if has_content {
                        row.cols_used = row.col;
                        if row.cols_used > MAX_COLUMNS as u64 {
                            return Err(ImportError::too_many_columns());
                        }
                        let next_row = tables.last().map_or(0, |table| table.next_row);
                        if next_row.saturating_add(row.repeat) > MAX_SHEET_ROWS as u64 {
                            return Err(ImportError::too_many_rows());
                        }
                    }
                }
                if has_content {
                    cells.push(Cell {
                        start,
                        cost_factor: repeat.saturating_mul(row_repeat),
                        spaces_at_start: spaces,
                    });
                    if self_closing {
                        finish_cell(&mut cells, end)?;
                    }
                }
            }
            (true, b"table:table-cell" | b"table:covered-table-cell") => {
                finish_cell(&mut cells, end)?;
            }
            (false, b"text:s") => {
                spaces = spaces.saturating_add(repeat_attr(attrs, b"text:c")?);
                if spaces > MAX_ODS_EXPANDED_BYTES {
                    return Err(ImportError::too_many_cells());
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Index of the `>` closing the tag opened at `start`, quotes respected.
fn tag_end(xml: &[u8], start: usize) -> Option<usize> {
    let mut quote = None;
    for (i, &b) in xml.iter().enumerate().skip(start) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return Some(i),
            None => {}
        }
    }
    None
}

fn attr_value<'a>(attrs: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(at) = find(&attrs[from..], name) {
        let begin = from + at;
        from = begin + name.len();
        let preceded_ok = begin == 0 || attrs[begin - 1].is_ascii_whitespace();
        let mut rest = attrs[from..].trim_ascii_start();
        if !preceded_ok || rest.first() != Some(&b'=') {
            continue;
        }
        rest = rest[1..].trim_ascii_start();
        let quote = *rest.first()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let value = &rest[1..];
        let close = value.iter().position(|&b| b == quote)?;
        return Some(&value[..close]);
    }
    None
}

fn has_attr(attrs: &[u8], name: &[u8]) -> bool {
    attr_value(attrs, name).is_some()
}

/// A repetition count (1 when absent); saturates rather than overflowing.
fn repeat_attr(attrs: &[u8], name: &[u8]) -> Result<u64, ImportError> {
    let Some(value) = attr_value(attrs, name) else {
        return Ok(1);
    };
    let value = value.trim_ascii();
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(ImportError::unreadable("répétition invalide"));
    }
    Ok(value.iter().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

// ---------------------------------------------------------------------------------------
// Headers

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    LastName,
    FirstName,
    BirthDate,
    Email,
    Class,
    Ine,
}

const FIELDS: [Field; 6] = [
    Field::LastName,
    Field::FirstName,
    Field::BirthDate,
    Field::Email,
    Field::Class,
    Field::Ine,
];

impl Field {
    fn index(self) -> usize {
        self as usize
    }

    fn label(self) -> &'static str {
        match self {
            Field::LastName => "nom",
            Field::FirstName => "prénom",
            Field::BirthDate => "date de naissance",
            Field::Email => "email",
            Field::Class => "classe",
            Field::Ine => "INE",
        }
    }

    fn required(self) -> bool {
        !matches!(self, Field::BirthDate | Field::Ine)
    }
}

/// Folds accents and case, turns punctuation into spaces and collapses them.
fn normalize_header(text: &str) -> String {
    fold(text)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The field a header names, with a rank (0 = most specific) to settle two columns naming
/// the same field ("Nom d'usage" is preferred over "Nom de famille").
fn header_field(text: &str) -> Option<(Field, u8)> {
    let key = normalize_header(text);
    match_header(&key).or_else(|| {
        // "Date de naissance (jj/mm/aaaa)": try again without the parenthesised part.
        let without: String = strip_parentheses(text);
        let key2 = normalize_header(&without);
        (key2 != key).then(|| match_header(&key2)).flatten()
    })
}

fn strip_parentheses(text: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn match_header(key: &str) -> Option<(Field, u8)> {
    use Field::*;
    Some(match key {
        "nom" | "noms" => (LastName, 0),
        "nom d usage" | "nom usuel" => (LastName, 1),
        "nom de famille" | "nom eleve" | "nom de l eleve" | "nom de famille eleve" => (LastName, 2),
        "nom de naissance" | "nom patronymique" => (LastName, 3),
        "prenom" | "prenoms" => (FirstName, 0),
        "prenom usuel" | "prenom d usage" => (FirstName, 1),
        "prenom 1" | "prenom1" | "premier prenom" | "prenom eleve" | "prenom de l eleve" => {
            (FirstName, 2)
        }
        "date de naissance" | "date naissance" | "date de naiss" | "date naiss" => (BirthDate, 0),
        "ne le" | "nee le" | "ne e le" | "ne e" | "date de naissance eleve" => (BirthDate, 1),
        "naissance" | "ddn" | "ne" | "nee" => (BirthDate, 2),
        "email"
        | "e mail"
        | "mail"
        | "courriel"
        | "mel"
        | "adresse electronique"
        | "adresse mail"
        | "adresse email"
        | "adresse e mail"
        | "adresse courriel"
        | "adresse mel" => (Email, 0),
        "email eleve"
        | "e mail eleve"
        | "mail eleve"
        | "courriel eleve"
        | "mel eleve"
        | "adresse electronique eleve"
        | "adresse electronique de l eleve" => (Email, 1),
        "classe" => (Class, 0),
        "division" | "classe eleve" => (Class, 1),
        "div" | "code classe" | "libelle classe" | "code division" | "libelle division" => {
            (Class, 2)
        }
        "ine" | "numero ine" | "n ine" | "no ine" | "num ine" | "code ine" | "ine eleve" => {
            (Ine, 0)
        }
        "identifiant national eleve"
        | "identifiant national"
        | "identifiant national de l eleve"
        | "numero national eleve"
        | "id national eleve" => (Ine, 1),
        _ => return None,
    })
}

fn recognised_fields(cells: &[&str]) -> usize {
    let mut seen = [false; 6];
    for cell in cells {
        if let Some((field, _)) = header_field(cell) {
            seen[field.index()] = true;
        }
    }
    seen.iter().filter(|s| **s).count()
}

fn cell_text(value: &Val) -> String {
    match value {
        Val::Empty => String::new(),
        Val::Text(s) | Val::IsoDate(s) | Val::Error(s) => s.clone(),
        Val::Number(n) => format_number(*n),
        Val::Date(d) => match serial_to_date(d) {
            Some(date) => date.format("%d/%m/%Y").to_string(),
            None => format_number(d.as_f64()),
        },
        Val::Bool(true) => "VRAI".to_owned(),
        Val::Bool(false) => "FAUX".to_owned(),
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

struct Header {
    /// Index in `grid.rows` of the header row.
    position: usize,
    /// Column of each field, by `Field::index`.
    columns: [Option<usize>; 6],
    /// Rank of the header chosen for each field.
    ranks: [u8; 6],
    /// Header text as printed, per field.
    labels: [String; 6],
    headers: Vec<String>,
    ignored: Vec<String>,
    /// Two columns naming the same field with the same rank.
    duplicate: Option<(Field, String, String)>,
    recognised: usize,
}

impl Header {
    fn missing(&self) -> Vec<Field> {
        FIELDS
            .into_iter()
            .filter(|f| f.required() && self.columns[f.index()].is_none())
            .collect()
    }
}

fn read_header(position: usize, cells: &[Val]) -> Header {
    let mut header = Header {
        position,
        columns: [None; 6],
        ranks: [u8::MAX; 6],
        labels: Default::default(),
        headers: Vec::new(),
        ignored: Vec::new(),
        duplicate: None,
        recognised: 0,
    };
    for (col, value) in cells.iter().enumerate() {
        let text = collapse_spaces(&cell_text(value));
        if text.is_empty() {
            continue;
        }
        header.headers.push(text.clone());
        let Some((field, rank)) = header_field(&text) else {
            header.ignored.push(text);
            continue;
        };
        let i = field.index();
        match header.columns[i] {
            None => {
                header.columns[i] = Some(col);
                header.ranks[i] = rank;
                header.labels[i] = text;
                header.recognised += 1;
            }
            Some(_) if rank < header.ranks[i] => {
                let previous = std::mem::replace(&mut header.labels[i], text);
                header.ignored.push(previous);
                header.columns[i] = Some(col);
                header.ranks[i] = rank;
            }
            Some(_) if rank == header.ranks[i] => {
                if header.duplicate.is_none() {
                    header.duplicate = Some((field, header.labels[i].clone(), text.clone()));
                }
                header.ignored.push(text);
            }
            Some(_) => header.ignored.push(text),
        }
    }
    header
}

/// The header among the first rows: the one naming the most fields (at least two).
fn find_header(grid: &Grid) -> Option<Header> {
    let mut best: Option<Header> = None;
    for (position, (_, cells)) in grid.rows.iter().take(MAX_LEADING_ROWS + 1).enumerate() {
        let header = read_header(position, cells);
        if header.recognised >= 2
            && best
                .as_ref()
                .is_none_or(|b| header.recognised > b.recognised)
        {
            best = Some(header);
        }
    }
    best
}

/// Uses the first sheet whose header names every required column.
fn choose_sheet<F>(
    format: SheetFormat,
    names: &[String],
    today: NaiveDate,
    mut load: F,
) -> Result<ParsedSheet, ImportError>
where
    F: FnMut(&str) -> Result<Grid, ImportError>,
{
    let sheets: Vec<Option<&str>> = if format == SheetFormat::Csv {
        vec![None]
    } else {
        names
            .iter()
            .take(MAX_SHEETS)
            .map(|n| Some(n.as_str()))
            .collect()
    };
    let mut partial: Option<(Header, u32, Option<&str>)> = None;
    for sheet in sheets {
        let grid = load(sheet.unwrap_or_default())?;
        let Some(header) = find_header(&grid) else {
            continue;
        };
        let header_row = grid.rows[header.position].0;
        if header.missing().is_empty() {
            return build_sheet(format, sheet, &grid, header, today);
        }
        if partial
            .as_ref()
            .is_none_or(|(best, _, _)| header.recognised > best.recognised)
        {
            partial = Some((header, header_row, sheet));
        }
    }
    match partial {
        Some((header, row, sheet)) => {
            let missing: Vec<&str> = header.missing().iter().map(|f| f.label()).collect();
            let place = match sheet {
                Some(name) => format!("feuille « {name} », ligne {}", row + 1),
                None => format!("ligne {}", row + 1),
            };
            Err(ImportError::new(
                422,
                "missing_columns",
                format!(
                    "colonne{} obligatoire{} absente{} : {} (en-têtes trouvés {place} : {})",
                    plural(missing.len()),
                    plural(missing.len()),
                    plural(missing.len()),
                    missing.join(", "),
                    header.headers.join(", ")
                ),
            ))
        }
        None => Err(ImportError::new(
            422,
            "no_header",
            format!(
                "aucune ligne d'en-tête reconnue dans les {} premières lignes : il faut des \
                 colonnes nom, prénom, email et classe (date de naissance et INE facultatives)",
                MAX_LEADING_ROWS + 1
            ),
        )),
    }
}

fn plural(n: usize) -> &'static str {
    if n > 1 {
        "s"
    } else {
        ""
    }
}

// ---------------------------------------------------------------------------------------
// Rows

fn build_sheet(
    format: SheetFormat,
    sheet: Option<&str>,
    grid: &Grid,
    header: Header,
    today: NaiveDate,
) -> Result<ParsedSheet, ImportError> {
    if let Some((field, first, second)) = &header.duplicate {
        return Err(ImportError::new(
            422,
            "duplicate_column",
            format!(
                "deux colonnes pour « {} » : « {first} » et « {second} » ; gardez-en une seule",
                field.label()
            ),
        ));
    }
    let header_row = grid.rows[header.position].0 as usize + 1;
    let mut parsed = ParsedSheet {
        format,
        sheet_name: sheet.map(str::to_owned),
        header_row,
        headers: header.headers.clone(),
        ignored_headers: header.ignored.clone(),
        rows: Vec::new(),
        errors: Vec::new(),
    };
    let mut seen_ine: HashMap<String, usize> = HashMap::new();
    let mut seen_email: HashMap<String, usize> = HashMap::new();
    let mut count = 0usize;
    for (row_index, cells) in &grid.rows[header.position + 1..] {
        let row = *row_index as usize + 1;
        let value = |field: Field| -> &Val {
            header.columns[field.index()]
                .and_then(|col| cells.get(col))
                .unwrap_or(&Val::Empty)
        };
        if FIELDS.iter().all(|f| value(*f).is_empty()) || repeats_header(&header, cells) {
            continue;
        }
        count += 1;
        if count > MAX_ROWS {
            return Err(ImportError::too_many_rows());
        }
        let mut errors = RowErrors {
            row,
            header: &header,
            errors: Vec::new(),
        };
        let last_name = errors.name(Field::LastName, value(Field::LastName), "missing_last_name");
        let first_name = errors.name(
            Field::FirstName,
            value(Field::FirstName),
            "missing_first_name",
        );
        let birth_date = errors.birth_date(value(Field::BirthDate), today);
        let email = errors.email(value(Field::Email), &mut seen_email);
        let class_name = errors.name(Field::Class, value(Field::Class), "missing_class");
        let ine = errors.ine(value(Field::Ine), &mut seen_ine);
        match (
            last_name,
            first_name,
            class_name,
            email,
            errors.errors.is_empty(),
        ) {
            (Some(last_name), Some(first_name), Some(class_name), Some(email), true) => {
                parsed.rows.push(ImportRow {
                    row,
                    last_name,
                    first_name,
                    birth_date,
                    email: Some(email),
                    class_name,
                    ine,
                });
            }
            _ => parsed.errors.append(&mut errors.errors),
        }
    }
    Ok(parsed)
}

/// A copy of the header row further down (lists pasted one after another).
fn repeats_header(header: &Header, cells: &[Val]) -> bool {
    FIELDS.iter().all(|f| match header.columns[f.index()] {
        None => true,
        Some(col) => cells
            .get(col)
            .is_some_and(|v| header_field(&cell_text(v)).map(|(g, _)| g) == Some(*f)),
    })
}

struct RowErrors<'a> {
    row: usize,
    header: &'a Header,
    errors: Vec<RowError>,
}

impl RowErrors<'_> {
    fn push(&mut self, field: Field, code: &'static str, reason: String) {
        let column = self.header.labels[field.index()].clone();
        self.errors.push(RowError {
            row: self.row,
            message: format!("ligne {}, colonne « {column} » : {reason}", self.row),
            column: Some(column),
            code,
        });
    }

    /// The value as text, trimmed and with inner spaces collapsed; None when empty or on
    /// an error cell (reported).
    fn text(&mut self, field: Field, value: &Val) -> Option<String> {
        if let Val::Error(e) = value {
            self.push(field, "cell_error", format!("cellule en erreur « {e} »"));
            return None;
        }
        let text = collapse_spaces(&cell_text(value));
        (!text.is_empty()).then_some(text)
    }

    fn name(&mut self, field: Field, value: &Val, missing: &'static str) -> Option<String> {
        if value.is_empty() {
            self.push(field, missing, "valeur manquante".to_owned());
            return None;
        }
        let text = self.text(field, value)?;
        let chars = text.chars().count();
        if chars > MAX_NAME_CHARS {
            self.push(
                field,
                "value_too_long",
                format!("valeur trop longue ({chars} caractères, {MAX_NAME_CHARS} au plus)"),
            );
            return None;
        }
        Some(text)
    }

    fn birth_date(&mut self, value: &Val, today: NaiveDate) -> Option<NaiveDate> {
        let field = Field::BirthDate;
        let (date, shown) = match value {
            Val::Empty => return None,
            Val::Error(_) => {
                self.text(field, value);
                return None;
            }
            Val::Date(d) => (serial_to_date(d), format_number(d.as_f64())),
            Val::Number(n) => (serial_number_to_date(*n), format_number(*n)),
            Val::IsoDate(s) => (parse_date_text(s), s.clone()),
            Val::Text(s) => (parse_date_text(s), collapse_spaces(s)),
            Val::Bool(_) => (None, cell_text(value)),
        };
        let Some(date) = date else {
            self.push(field, "invalid_date", format!("date invalide « {shown} »"));
            return None;
        };
        let why = if date.year() < 1900 {
            Some("avant 1900")
        } else if date > today {
            Some("dans le futur")
        } else {
            None
        };
        if let Some(why) = why {
            self.push(
                field,
                "implausible_date",
                format!(
                    "date de naissance invraisemblable « {} » ({why})",
                    date.format("%d/%m/%Y")
                ),
            );
            return None;
        }
        Some(date)
    }

    fn email(&mut self, value: &Val, seen: &mut HashMap<String, usize>) -> Option<String> {
        let field = Field::Email;
        if value.is_empty() {
            self.push(
                field,
                "missing_email",
                "adresse électronique manquante".to_owned(),
            );
            return None;
        }
        let text = self.text(field, value)?;
        let bare = strip_prefix_ignore_case(&text, "mailto:").trim();
        let email = bare.to_lowercase();
        if !valid_email(&email) {
            self.push(
                field,
                "invalid_email",
                format!("adresse électronique invalide « {text} »"),
            );
            return None;
        }
        if let Some(first) = seen.get(&email) {
            self.push(
                field,
                "duplicate_email",
                format!("adresse électronique « {email} » déjà présente ligne {first}"),
            );
            return None;
        }
        seen.insert(email.clone(), self.row);
        Some(email)
    }

    fn ine(&mut self, value: &Val, seen: &mut HashMap<String, usize>) -> Option<String> {
        let field = Field::Ine;
        if value.is_empty() {
            return None;
        }
        let text = self.text(field, value)?;
        let ine = text.to_uppercase();
        if !valid_ine(&ine) {
            self.push(
                field,
                "invalid_ine",
                format!(
                    "INE invalide « {text} » : 11 caractères attendus (10 chiffres et 1 lettre, \
                     ou 9 chiffres et 2 lettres)"
                ),
            );
            return None;
        }
        if let Some(first) = seen.get(&ine) {
            self.push(
                field,
                "duplicate_ine",
                format!("INE « {ine} » déjà présent ligne {first}"),
            );
            return None;
        }
        seen.insert(ine.clone(), self.row);
        Some(ine)
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> &'a str {
    match text.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &text[prefix.len()..],
        _ => text,
    }
}

/// Trims, collapses inner whitespace (non-breaking spaces and line breaks included) to one
/// space and drops control characters; accents and case are kept.
pub(crate) fn collapse_spaces(text: &str) -> String {
    text.split_whitespace()
        .map(|word| word.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// INE (identifiant national élève), upper-cased: 11 characters among 0-9 and A-Z. This
/// covers INE-RNIE (10 digits + 1 letter), INE-BEA (9 digits + 2 letters) and the other
/// alphanumeric forms (`^[0-9A-Z]{10}[0-9A-Z]$`).
fn valid_ine(ine: &str) -> bool {
    ine.len() == 11
        && ine
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

/// Basic syntax: ASCII, one `@`, a dotted domain of letters, digits and hyphens.
pub(crate) fn valid_email(email: &str) -> bool {
    if email.len() > MAX_EMAIL_CHARS {
        return false;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_alphabetic()) && tld.len() >= 2);
    local_ok && domain_ok
}

// ---------------------------------------------------------------------------------------
// Dates

/// Excel serials go from 1 (1900-01-01) to 2958465 (9999-12-31).
const MAX_SERIAL: f64 = 2_958_466.0;

fn serial_to_date(value: &ExcelDateTime) -> Option<NaiveDate> {
    let serial = value.as_f64();
    if !(1.0..MAX_SERIAL).contains(&serial) {
        return None;
    }
    let (year, month, day, ..) = value.to_ymd_hms_milli();
    NaiveDate::from_ymd_opt(i32::from(year), u32::from(month), u32::from(day))
}

/// A bare number in a date column: an Excel serial in the 1900 date system.
fn serial_number_to_date(serial: f64) -> Option<NaiveDate> {
    serial_to_date(&ExcelDateTime::new(
        serial,
        ExcelDateTimeType::DateTime,
        false,
    ))
}

/// dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy, yyyy-mm-dd (a time part is ignored), or a
/// bare Excel serial (up to 5 digits).
fn parse_date_text(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let date_part = text.split([' ', 'T']).next().unwrap_or(text);
    if !date_part.is_empty()
        && date_part.len() <= 5
        && date_part.bytes().all(|b| b.is_ascii_digit())
    {
        return date_part
            .parse::<f64>()
            .ok()
            .and_then(serial_number_to_date);
    }
    let separator = date_part.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let parts: Vec<&str> = date_part.split(separator).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    if ![a, b, c]
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let (year, month, day) = if a.len() == 4 && b.len() <= 2 && c.len() <= 2 {
        (a, b, c)
    } else if c.len() == 4 && a.len() <= 2 && b.len() <= 2 {
        (c, b, a)
    } else {
        return None;
    };
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::io::{Cursor, Write};
    use std::time::{Duration, Instant};

    use rust_xlsxwriter::{Format, Workbook};
    use zip::write::SimpleFileOptions;
    use zip::CompressionMethod;

    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 9, 1).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn refused(bytes: &[u8], name: &str) -> ImportError {
        parse_class_list(bytes, name, today()).unwrap_err()
    }

    fn assert_fast(start: Instant) {
        let elapsed = start.elapsed();
        assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    }

    fn xlsx(build: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
        let mut workbook = Workbook::new();
        build(workbook.add_worksheet());
        workbook.save_to_buffer().unwrap()
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            let method = if *name == "mimetype" {
                CompressionMethod::Stored
            } else {
                CompressionMethod::Deflated
            };
            writer
                .start_file(
                    *name,
                    SimpleFileOptions::default().compression_method(method),
                )
                .unwrap();
            writer.write_all(data).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#;

    /// A minimal .ods whose first sheet holds `table` (table:table-row elements).
    fn ods(table: &str) -> Vec<u8> {
        let content = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="Élèves">{table}</table:table></office:spreadsheet></office:body>
</office:document-content>"#
        );
        zip_of(&[
            ("mimetype", ODS_MIMETYPE),
            ("content.xml", content.as_bytes()),
            ("META-INF/manifest.xml", MANIFEST.as_bytes()),
        ])
    }

    fn ods_text(text: &str) -> String {
        format!(
            r#"<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>"#
        )
    }

    #[test]
    fn xlsx_headers_in_any_order_with_variants_and_both_date_kinds() {
        let bytes = xlsx(|sheet| {
            let date_format = Format::new().set_num_format("dd/mm/yyyy");
            sheet
                .write_string(0, 0, "Liste des élèves — rentrée 2025")
                .unwrap();
            let headers = [
                "  CLASSE ",
                "Prénom",
                "NOM  DE   FAMILLE",
                "Né(e) le",
                "Remarques",
                "Courriel",
                "N° INE",
            ];
            for (col, header) in headers.iter().enumerate() {
                sheet.write_string(2, col as u16, *header).unwrap();
            }
            // Row 4: a real Excel date (serial with a date format).
            for (col, value) in ["T AGOrA A", " Léa ", "  du   Pont-Aéré "]
                .iter()
                .enumerate()
            {
                sheet.write_string(3, col as u16, *value).unwrap();
            }
            sheet
                .write_number_with_format(3, 3, 40252.0, &date_format)
                .unwrap();
            sheet.write_string(3, 5, "Lea.Dupont@Example.FR").unwrap();
            sheet.write_string(3, 6, "1234567890a").unwrap();
            // Row 5: dd/mm/yyyy text, no INE.
            for (col, value) in ["T AGOrA A", "Élodie", "Martin"].iter().enumerate() {
                sheet.write_string(4, col as u16, *value).unwrap();
            }
            sheet.write_string(4, 3, "5/1/2009").unwrap();
            sheet.write_string(4, 4, "redoublante").unwrap();
            sheet
                .write_string(4, 5, "elodie.martin@example.fr")
                .unwrap();
            // Row 6: a bare serial number (no date format), ISO text on row 7.
            for (col, value) in ["T AGOrA B", "Noé", "Bernard"].iter().enumerate() {
                sheet.write_string(5, col as u16, *value).unwrap();
            }
            sheet.write_number(5, 3, 40252.0).unwrap();
            sheet.write_string(5, 5, "noe@example.fr").unwrap();
            for (col, value) in ["T AGOrA B", "Zoé", "Petit"].iter().enumerate() {
                sheet.write_string(6, col as u16, *value).unwrap();
            }
            sheet.write_string(6, 3, "2009-12-31").unwrap();
            sheet.write_string(6, 5, "zoe@example.fr").unwrap();
        });
        let parsed = parse_class_list(&bytes, "Classes 2025.XLSX", today()).unwrap();
        assert_eq!(parsed.format, SheetFormat::Xlsx);
        assert_eq!(parsed.header_row, 3);
        assert_eq!(parsed.ignored_headers, vec!["Remarques"]);
        assert_eq!(parsed.headers.len(), 7);
        assert_eq!(parsed.errors, vec![]);
        assert_eq!(parsed.rows.len(), 4);
        assert_eq!(
            parsed.rows[0],
            ImportRow {
                row: 4,
                last_name: "du Pont-Aéré".into(),
                first_name: "Léa".into(),
                birth_date: Some(date(2010, 3, 15)),
                email: Some("lea.dupont@example.fr".into()),
                class_name: "T AGOrA A".into(),
                ine: Some("1234567890A".into()),
            }
        );
        assert_eq!(parsed.rows[1].birth_date, Some(date(2009, 1, 5)));
        assert_eq!(parsed.rows[1].ine, None);
        assert_eq!(parsed.rows[2].birth_date, Some(date(2010, 3, 15)));
        assert_eq!(parsed.rows[3].birth_date, Some(date(2009, 12, 31)));
        assert_eq!(parsed.rows[3].row, 7);
    }

    const BROKEN_CSV: &str = "\
Nom;Prénom;Date de naissance;Email;Classe;INE
Durand;Léa;15/03/2010;lea@example.fr;2nde A;1234567890A
Petit;Hugo;31/02/2010;hugo@example.fr;2nde A;123456789BC
Moreau;Inès;01/01/2009;ines@example.fr;2nde A;1234567890a
Leroy;Tom;02/02/2009;;2nde A;
Roux;Jade;03/03/2009;jade@example.fr;2nde B;12345
Fabre;Léo;04-04-2009;LEA@example.fr;2nde B;
Blanc;Ana;05/05/2030;ana@example.fr;2nde B;
;;;;;
Garnier;Zoé;2009-06-06;zoe@example.fr;2nde B;98765432AB1
";

    #[test]
    fn broken_rows_are_reported_and_good_rows_still_parse() {
        let parsed = parse_class_list(BROKEN_CSV.as_bytes(), "liste.csv", today()).unwrap();
        assert_eq!(parsed.format, SheetFormat::Csv);
        let good: Vec<(usize, &str)> = parsed
            .rows
            .iter()
            .map(|r| (r.row, r.last_name.as_str()))
            .collect();
        assert_eq!(good, vec![(2, "Durand"), (10, "Garnier")]);
        let errors: Vec<(usize, Option<&str>, &str)> = parsed
            .errors
            .iter()
            .map(|e| (e.row, e.column.as_deref(), e.code))
            .collect();
        assert_eq!(
            errors,
            vec![
                (3, Some("Date de naissance"), "invalid_date"),
                (4, Some("INE"), "duplicate_ine"),
                (5, Some("Email"), "missing_email"),
                (6, Some("INE"), "invalid_ine"),
                (7, Some("Email"), "duplicate_email"),
                (8, Some("Date de naissance"), "implausible_date"),
            ]
        );
        assert_eq!(
            parsed.errors[0].message,
            "ligne 3, colonne « Date de naissance » : date invalide « 31/02/2010 »"
        );
        assert!(parsed.errors[1].message.contains("déjà présent ligne 2"));
        assert!(parsed.errors[4].message.contains("déjà présente ligne 2"));
        assert!(parsed.errors[5].message.contains("dans le futur"));
    }

    #[test]
    fn csv_rows_are_numbered_by_line_blank_lines_included() {
        let text =
            "Liste\r\n\r\nNom;Prénom;Email;Classe\r\nDurand;Léa;lea@example.fr;1re B\r\n\r\n\
                    Petit;Zoé;pas-une-adresse;1re B\r\n";
        let parsed = parse_class_list(text.as_bytes(), "liste.csv", today()).unwrap();
        assert_eq!(parsed.header_row, 3);
        assert_eq!(parsed.rows[0].row, 4);
        assert_eq!(parsed.errors[0].row, 6);
        assert!(parsed.errors[0].message.starts_with("ligne 6,"));
    }

    #[test]
    fn csv_with_commas_tabs_and_windows_1252() {
        let comma = "prenom, nom ,e-mail,division\nLéa,Durand,lea@example.fr,1re B\n\
                     \"Jean, Marie\",Dupont,jm@example.fr,1re B\n";
        let parsed = parse_class_list(comma.as_bytes(), "liste.csv", today()).unwrap();
        assert_eq!(parsed.errors, vec![]);
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.rows[1].first_name, "Jean, Marie");
        assert_eq!(parsed.rows[1].class_name, "1re B");

        let tabs = "NOM\tPRENOM\tMEL\tCLASSE\nDurand\tLéa\tlea@example.fr\t1re B\n";
        let parsed = parse_class_list(tabs.as_bytes(), "export.txt", today()).unwrap();
        assert_eq!(parsed.rows.len(), 1);

        let mut cp1252 = Vec::new();
        cp1252.extend_from_slice(b"Nom;Pr\xE9nom;Adresse \xE9lectronique;Classe\r\n");
        cp1252.extend_from_slice(b"C\xF4t\xE9;No\xEBl;noel@example.fr;Terminale \x93Pro\x94\r\n");
        let parsed = parse_class_list(&cp1252, "liste.csv", today()).unwrap();
        assert_eq!(parsed.errors, vec![]);
        assert_eq!(parsed.rows[0].last_name, "Côté");
        assert_eq!(parsed.rows[0].first_name, "Noël");
        assert_eq!(parsed.rows[0].class_name, "Terminale \u{201C}Pro\u{201D}");

        let bom = "\u{FEFF}Nom;Prénom;Email;Classe\nDurand;Léa;lea@example.fr;1re B\n";
        let parsed = parse_class_list(bom.as_bytes(), "liste.csv", today()).unwrap();
        assert_eq!(parsed.rows.len(), 1);
    }

    #[test]
    fn ods_class_list_parses() {
        let header = ["Nom", "Prénom", "Date de naissance", "Email", "Classe"]
            .map(ods_text)
            .concat();
        let row = format!(
            "{}{}{}{}{}",
            ods_text("Durand"),
            ods_text("Léa"),
            r#"<table:table-cell office:value-type="date" office:date-value="2010-03-15"><text:p>15/03/2010</text:p></table:table-cell>"#,
            ods_text("lea@example.fr"),
            ods_text("2nde A"),
        );
        let table = format!(
            "<table:table-row>{header}</table:table-row><table:table-row>{row}</table:table-row>\
             <table:table-row table:number-rows-repeated=\"1048574\"><table:table-cell table:number-columns-repeated=\"1024\"/></table:table-row>"
        );
        let parsed = parse_class_list(&ods(&table), "liste.ods", today()).unwrap();
        assert_eq!(parsed.format, SheetFormat::Ods);
        assert_eq!(parsed.sheet_name.as_deref(), Some("Élèves"));
        assert_eq!(parsed.errors, vec![]);
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.rows[0].row, 2);
        assert_eq!(parsed.rows[0].birth_date, Some(date(2010, 3, 15)));
    }

    #[test]
    fn ods_repetition_bombs_are_refused_quickly() {
        let header = ["Nom", "Prénom", "Email", "Classe"].map(ods_text).concat();
        let wide = format!(
            "<table:table-row>{header}</table:table-row><table:table-row><table:table-cell \
             office:value-type=\"string\" table:number-columns-repeated=\"16384\"><text:p>x</text:p>\
             </table:table-cell></table:table-row>"
        );
        let tall = format!(
            "<table:table-row>{header}</table:table-row><table:table-row \
             table:number-rows-repeated=\"1048575\">{}</table:table-row>",
            ods_text("x")
        );
        let spaces = format!(
            "<table:table-row>{header}</table:table-row><table:table-row>\
             <table:table-cell office:value-type=\"string\"><text:p>a<text:s text:c=\"4000000000\"/>b</text:p></table:table-cell></table:table-row>"
        );
        for (table, code) in [
            (wide, "too_many_columns"),
            (tall, "too_many_rows"),
            (spaces, "too_many_cells"),
        ] {
            let start = Instant::now();
            let error = refused(&ods(&table), "liste.ods");
            assert_fast(start);
            assert_eq!((error.code, error.status), (code, 422));
        }
    }

    #[test]
    fn files_that_are_not_what_their_extension_says_are_refused() {
        let csv = "Nom;Prénom;Email;Classe\nDurand;Léa;lea@example.fr;1re B\n";
        let error = refused(csv.as_bytes(), "liste.xlsx");
        assert_eq!((error.code, error.status), ("wrong_format", 415));

        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
        let error = refused(png, "liste.xlsx");
        assert_eq!((error.code, error.status), ("wrong_format", 415));
        assert!(error.message.contains("PNG"), "{}", error.message);
        let error = refused(png, "liste");
        assert_eq!((error.code, error.status), ("not_a_spreadsheet", 415));

        let book = xlsx(|sheet| {
            sheet.write_string(0, 0, "Nom").unwrap();
        });
        let error = refused(&book, "liste.csv");
        assert_eq!((error.code, error.status), ("wrong_format", 415));
        let error = refused(&book, "liste.ods");
        assert_eq!(error.code, "wrong_format");

        let error = refused(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0", "liste.xlsx");
        assert_eq!(error.code, "wrong_format");
        let error = refused(csv.as_bytes(), "liste.xls");
        assert_eq!((error.code, error.status), ("unsupported_format", 415));
        let error = refused(csv.as_bytes(), "photo.png");
        assert_eq!(error.code, "unsupported_format");
        let error = refused(&zip_of(&[("a.txt", b"hello")]), "liste.xlsx");
        assert_eq!(error.code, "wrong_format");

        // Without an extension the content decides.
        let parsed = parse_class_list(csv.as_bytes(), "liste", today()).unwrap();
        assert_eq!(parsed.format, SheetFormat::Csv);
        let parsed = parse_class_list(&book, "", today()).unwrap_err();
        assert_eq!(parsed.code, "no_header");
    }

    /// `book` with each entry passed through `change` (its name and bytes).
    fn rewritten(book: &[u8], change: impl Fn(&str, Vec<u8>) -> (String, Vec<u8>)) -> Vec<u8> {
        let mut archive = zip::ZipArchive::new(Cursor::new(book)).unwrap();
        let mut entries = Vec::new();
        for i in 0..archive.len() {
            let mut file = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            entries.push(change(file.name(), data));
        }
        let entries: Vec<(&str, &[u8])> = entries
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        zip_of(&entries)
    }

    /// Both xlsx readers answer `broken` with a 4xx, without a panic getting out.
    fn assert_refused_without_panic(broken: &[u8]) {
        for outcome in [
            std::panic::catch_unwind(|| {
                parse_class_list(broken, "liste.xlsx", today()).map(|_| ())
            }),
            std::panic::catch_unwind(|| xlsx_text_rows(broken).map(|_| ())),
        ] {
            let error = outcome
                .unwrap_or_else(|_| panic!("the reader panicked"))
                .unwrap_err();
            assert!((400..500).contains(&error.status), "{error:?}");
        }
    }

    /// Found by `scripts/fuzz` (spreadsheet, catalogue and grid_import targets): calamine
    /// 0.31 indexed the shared strings without a bound and panicked (a 500) on a string
    /// cell whose table is missing or too short. Since calamine 0.38 it is an error.
    #[test]
    fn a_workbook_missing_its_shared_strings_is_refused_not_a_panic() {
        let book = xlsx(|sheet| {
            sheet.write(0, 0, "Nom").unwrap();
            sheet.write(0, 1, "Prénom").unwrap();
            sheet.write(1, 0, "Dupont").unwrap();
        });
        assert_refused_without_panic(&rewritten(&book, |name, data| match name {
            "xl/sharedStrings.xml" => ("xl/shatSrdreings.xml".to_owned(), data),
            other => (other.to_owned(), data),
        }));
    }

    /// Also found by `scripts/fuzz`: calamine 0.38 multiplies a cell reference's column
    /// without a bound; with overflow checks (debug builds, the fuzzer) it panics. Guarded:
    /// an unreadable file.
    #[test]
    fn a_cell_reference_past_every_column_is_refused_not_a_panic() {
        let book = xlsx(|sheet| {
            sheet.write(0, 0, "Nom").unwrap();
        });
        assert_refused_without_panic(&rewritten(&book, |name, data| {
            let data = if name == "xl/worksheets/sheet1.xml" {
                String::from_utf8(data)
                    .unwrap()
                    .replace("r=\"A1\"", "r=\"AAAAAAAAAAAAAAAA1\"")
                    .into_bytes()
            } else {
                data
            };
            (name.to_owned(), data)
        }));
    }

    #[test]
    fn zip_bomb_is_refused_quickly() {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(9));
        writer.start_file("[Content_Types].xml", options).unwrap();
        writer.write_all(b"<Types/>").unwrap();
        writer
            .start_file("xl/worksheets/sheet1.xml", options)
            .unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..200 {
            writer.write_all(&zeros).unwrap();
        }
        let bomb = writer.finish().unwrap().into_inner();
        assert!(bomb.len() < MAX_IMPORT_BYTES);

        let start = Instant::now();
        let error = refused(&bomb, "liste.xlsx");
        assert_fast(start);
        assert_eq!((error.code, error.status), ("suspicious_archive", 413));
    }

    #[test]
    fn compressed_entry_over_the_ratio_is_refused() {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        writer.start_file("xl/sharedStrings.xml", options).unwrap();
        writer.write_all(&vec![b' '; 4 * 1024 * 1024]).unwrap();
        let bytes = writer.finish().unwrap().into_inner();
        let error = refused(&bytes, "liste.xlsx");
        assert_eq!(error.code, "suspicious_archive");
        assert!(error.message.contains("compression"), "{}", error.message);
    }

    #[test]
    fn zip_entry_lying_about_its_size_is_refused() {
        let mut bytes = zip_of(&[("xl/worksheets/sheet1.xml", &vec![b' '; 2 * 1024 * 1024])]);
        // Declare 1,000 bytes in the local and central headers (uncompressed size field).
        for (signature, offset) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
            let at = bytes.windows(4).position(|w| w == signature).unwrap();
            bytes[at + offset..at + offset + 4].copy_from_slice(&1000u32.to_le_bytes());
        }
        let error = refused(&bytes, "liste.xlsx");
        assert_eq!((error.code, error.status), ("suspicious_archive", 413));
        assert!(error.message.contains("annoncée"), "{}", error.message);
    }

    #[test]
    fn huge_declared_dimension_is_refused_quickly() {
        let bytes = xlsx(|sheet| {
            for (col, header) in ["Nom", "Prénom", "Email", "Classe"].iter().enumerate() {
                sheet.write_string(0, col as u16, *header).unwrap();
            }
            sheet.write_string(1_048_575, 16_383, "x").unwrap();
        });
        let start = Instant::now();
        let error = refused(&bytes, "liste.xlsx");
        assert_fast(start);
        assert_eq!(error.status, 422);
        assert!(
            ["too_many_rows", "too_many_columns"].contains(&error.code),
            "{error:?}"
        );
        // Within the column limit but far down: rows.
        let bytes = xlsx(|sheet| {
            sheet.write_string(0, 0, "Nom").unwrap();
            sheet.write_string(1_048_575, 0, "x").unwrap();
        });
        assert_eq!(refused(&bytes, "liste.xlsx").code, "too_many_rows");
    }

    #[test]
    fn oversize_and_empty_inputs_are_refused() {
        let big = vec![b'a'; MAX_IMPORT_BYTES + 1];
        let start = Instant::now();
        let error = refused(&big, "liste.csv");
        assert_fast(start);
        assert_eq!((error.code, error.status), ("too_large", 413));
        assert_eq!(refused(b"", "liste.csv").code, "empty_file");
    }

    #[test]
    fn too_many_rows_and_columns_in_csv() {
        let mut text = String::from("Nom;Prénom;Email;Classe\n");
        for i in 0..=MAX_ROWS {
            text.push_str(&format!("N{i};P;e{i}@example.fr;2A\n"));
        }
        let error = refused(text.as_bytes(), "liste.csv");
        assert_eq!((error.code, error.status), ("too_many_rows", 422));

        let mut wide = String::from("Nom;Prénom;Email;Classe");
        wide.push_str(&";x".repeat(MAX_COLUMNS));
        let error = refused(wide.as_bytes(), "liste.csv");
        assert_eq!((error.code, error.status), ("too_many_columns", 422));

        // Exactly MAX_ROWS students are fine.
        let mut text = String::from("Nom;Prénom;Email;Classe\n");
        for i in 0..MAX_ROWS {
            text.push_str(&format!("N{i};P;e{i}@example.fr;2A\n"));
        }
        let parsed = parse_class_list(text.as_bytes(), "liste.csv", today()).unwrap();
        assert_eq!(parsed.rows.len(), MAX_ROWS);
    }

    #[test]
    fn header_problems_are_whole_file_errors() {
        let error = refused("Nom;Prénom;Classe\nDurand;Léa;2A\n".as_bytes(), "liste.csv");
        assert_eq!((error.code, error.status), ("missing_columns", 422));
        assert!(error.message.contains("email"), "{}", error.message);

        let error = refused("a;b;c\n1;2;3\n".as_bytes(), "liste.csv");
        assert_eq!((error.code, error.status), ("no_header", 422));

        let error = refused(
            "Nom;NOM;Prénom;Email;Classe\nA;B;C;c@example.fr;2A\n".as_bytes(),
            "liste.csv",
        );
        assert_eq!(error.code, "duplicate_column");

        // A more specific duplicate wins; the other is ignored.
        let parsed = parse_class_list(
            "Nom de famille;Nom d'usage;Prénom 1;Prénom 2;Email;Classe\n\
             Martin;Durand;Léa;Marie;lea@example.fr;2A\n"
                .as_bytes(),
            "liste.csv",
            today(),
        )
        .unwrap();
        assert_eq!(parsed.rows[0].last_name, "Durand");
        assert_eq!(parsed.rows[0].first_name, "Léa");
        assert_eq!(parsed.ignored_headers, vec!["Nom de famille", "Prénom 2"]);

        // Eleven title rows are too many.
        let mut text = "titre\n".repeat(MAX_LEADING_ROWS + 1);
        text.push_str("Nom;Prénom;Email;Classe\nDurand;Léa;lea@example.fr;2A\n");
        assert_eq!(refused(text.as_bytes(), "liste.csv").code, "no_header");
    }

    #[test]
    fn header_variants_are_recognised() {
        for (text, field) in [
            ("NOM", Field::LastName),
            ("Nom de famille", Field::LastName),
            (" prenom ", Field::FirstName),
            ("PRÉNOM", Field::FirstName),
            ("Date de naissance (jj/mm/aaaa)", Field::BirthDate),
            ("Né(e) le", Field::BirthDate),
            ("naissance", Field::BirthDate),
            ("E-mail", Field::Email),
            ("Mél.", Field::Email),
            ("Adresse  électronique", Field::Email),
            ("courriel", Field::Email),
            ("Division", Field::Class),
            ("classe", Field::Class),
            ("Identifiant national élève", Field::Ine),
            ("Numéro INE", Field::Ine),
            ("N° INE", Field::Ine),
        ] {
            assert_eq!(header_field(text).map(|(f, _)| f), Some(field), "{text}");
        }
        assert_eq!(header_field("Prénom 2"), None);
        assert_eq!(header_field("Nom du responsable"), None);
    }

    #[test]
    fn dates_ines_and_emails() {
        assert_eq!(parse_date_text("15/03/2010"), Some(date(2010, 3, 15)));
        assert_eq!(parse_date_text("5/3/2010"), Some(date(2010, 3, 5)));
        assert_eq!(parse_date_text("15-03-2010"), Some(date(2010, 3, 15)));
        assert_eq!(parse_date_text("15.03.2010"), Some(date(2010, 3, 15)));
        assert_eq!(parse_date_text("2010-03-15"), Some(date(2010, 3, 15)));
        assert_eq!(
            parse_date_text("2010-03-15T00:00:00"),
            Some(date(2010, 3, 15))
        );
        assert_eq!(parse_date_text("15/03/2010 00:00"), Some(date(2010, 3, 15)));
        assert_eq!(parse_date_text("40252"), Some(date(2010, 3, 15)));
        assert_eq!(parse_date_text("31/02/2010"), None);
        assert_eq!(parse_date_text("15/03/10"), None);
        assert_eq!(parse_date_text("15/03-2010"), None);
        assert_eq!(parse_date_text("demain"), None);
        assert_eq!(serial_number_to_date(-5.0), None);
        assert_eq!(serial_number_to_date(1e12), None);
        assert_eq!(serial_number_to_date(f64::NAN), None);

        assert!(valid_ine("1234567890A"));
        assert!(valid_ine("123456789AB"));
        assert!(valid_ine("0A1B2C3D4E5"));
        assert!(!valid_ine("1234567890"));
        assert!(!valid_ine("1234567890-"));
        assert!(!valid_ine("1234567890É"));

        assert!(valid_email("lea.durand+2nde@ac-lyon.fr"));
        assert!(!valid_email("lea@"));
        assert!(!valid_email("lea@localhost"));
        assert!(!valid_email("lé@example.fr"));
        assert!(!valid_email("a b@example.fr"));
        assert!(!valid_email("a@b@example.fr"));
        assert!(!valid_email(".a@example.fr"));

        // Before 1900 and after today.
        let csv = "Nom;Prénom;Né le;Email;Classe\nA;B;01/01/1899;a@example.fr;2A\n\
                   C;D;02/09/2025;c@example.fr;2A\nE;F;01/09/2025;e@example.fr;2A\n";
        let parsed = parse_class_list(csv.as_bytes(), "l.csv", today()).unwrap();
        assert_eq!(parsed.errors.len(), 2);
        assert!(parsed.errors[0].message.contains("avant 1900"));
        assert_eq!(parsed.errors[1].code, "implausible_date");
        assert_eq!(parsed.rows.len(), 1);
    }

    #[test]
    fn excel_error_cells_and_mailto_links() {
        let bytes = xlsx(|sheet| {
            for (col, header) in ["Nom", "Prénom", "Email", "Classe"].iter().enumerate() {
                sheet.write_string(0, col as u16, *header).unwrap();
            }
            for (col, value) in ["Durand", "Léa", "mailto:Lea@Example.fr", "2A"]
                .iter()
                .enumerate()
            {
                sheet.write_string(1, col as u16, *value).unwrap();
            }
            for (col, value) in ["Durand", "Tom", "tom@example.fr"].iter().enumerate() {
                sheet.write_string(2, col as u16, *value).unwrap();
            }
            sheet.write_number(2, 3, 3.0).unwrap();
        });
        let parsed = parse_class_list(&bytes, "l.xlsx", today()).unwrap();
        assert_eq!(parsed.errors, vec![]);
        assert_eq!(parsed.rows[0].email.as_deref(), Some("lea@example.fr"));
        assert_eq!(parsed.rows[1].class_name, "3");
    }
}
