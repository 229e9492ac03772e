//! PGI exercises, their mapping to referential items, their assignment to classes, and
//! the coverage a class gets from them.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::{ItemKind, PersonRef};

/// Longest exercise title, in characters.
pub const EXERCISE_TITLE_MAX_CHARS: usize = 200;
/// Longest instructions (Markdown), in characters.
pub const EXERCISE_INSTRUCTIONS_MAX_CHARS: usize = 50_000;
/// Largest attached file (instructions PDF…), in bytes.
pub const EXERCISE_FILE_MAX_BYTES: usize = 10 * 1024 * 1024;

/// Who sees an exercise besides its author.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// The author (and the establishment's admins) only.
    #[default]
    Private,
    /// Every teacher of the establishment, who may use and duplicate it.
    Establishment,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Establishment => "establishment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "private" => Some(Visibility::Private),
            "establishment" => Some(Visibility::Establishment),
            _ => None,
        }
    }

    /// French label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Visibility::Private => "Privé",
            Visibility::Establishment => "Partagé avec l'établissement",
        }
    }
}

/// A link from an exercise to a referential item, as written by the client.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ItemLink {
    pub referential_id: String,
    pub code: String,
    /// Main (the exercise is built for it) or secondary (it is practised on the way).
    #[serde(default)]
    pub main: bool,
}

/// A link as the server returns it: with the item's kind and label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedItem {
    pub referential_id: String,
    pub code: String,
    pub kind: ItemKind,
    pub label: String,
    pub main: bool,
}

/// `POST /api/exercises`, `PUT /api/exercises/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseInput {
    pub title: String,
    /// Instructions for the students, in Markdown.
    #[serde(default)]
    pub instructions: String,
    /// PGI software id from `GET /api/pgi` (`ebp`…).
    #[serde(default)]
    pub software_id: Option<String>,
    /// Training base id from `GET /api/pgi` (`jupiter-media`…).
    #[serde(default)]
    pub base_id: Option<String>,
    /// PGI module ids used.
    #[serde(default)]
    pub modules: Vec<String>,
    /// PGI feature ids used (`devis`, `factures`…).
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    /// Free text: "1re année", "Terminale", "débutant"…
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub visibility: Visibility,
    #[serde(default)]
    pub items: Vec<ItemLink>,
}

/// An attached file's description (the bytes are at `GET /api/exercises/{id}/file`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedFile {
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
}

/// `GET /api/exercises/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exercise {
    pub id: i64,
    pub title: String,
    pub instructions: String,
    pub software_id: Option<String>,
    pub base_id: Option<String>,
    pub modules: Vec<String>,
    pub features: Vec<String>,
    pub duration_minutes: Option<u32>,
    pub level: Option<String>,
    pub visibility: Visibility,
    pub author: PersonRef,
    /// Main links first, then in referential order.
    pub items: Vec<LinkedItem>,
    /// What the links imply in the other referentials, through correspondences.
    #[serde(default)]
    pub implied: Vec<crate::Correspondence>,
    pub file: Option<AttachedFile>,
    /// The exercise it was duplicated from, if still visible.
    pub copied_from: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Whether the signed-in user may edit it (author or admin).
    pub can_edit: bool,
}

/// One line of `GET /api/exercises`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseSummary {
    pub id: i64,
    pub title: String,
    pub software_id: Option<String>,
    pub base_id: Option<String>,
    pub duration_minutes: Option<u32>,
    pub level: Option<String>,
    pub visibility: Visibility,
    pub author: PersonRef,
    /// Codes of the main items, `referential:code`.
    pub main_items: Vec<String>,
    pub item_count: u32,
    pub updated_at: NaiveDateTime,
    pub can_edit: bool,
}

/// `POST /api/exercises/suggestions`: the exercise being edited, saved or not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuggestionRequest {
    /// Referential to suggest items from.
    pub referential_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub instructions: String,
    #[serde(default)]
    pub features: Vec<String>,
}

/// An item the exercise seems to practise, for the teacher to confirm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub referential_id: String,
    pub code: String,
    pub kind: ItemKind,
    pub label: String,
    /// Higher is better; only the order means something.
    pub score: f32,
    /// Exercise features the item calls for.
    pub features: Vec<String>,
    /// Words of the exercise found in the item's label (folded).
    pub words: Vec<String>,
}

/// Most suggestions returned.
pub const SUGGESTIONS_MAX: usize = 20;

/// `POST /api/classes/{id}/exercises`, `PUT /api/assignments/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentInput {
    pub exercise_id: i64,
    pub starts_on: NaiveDate,
    /// Last day of the exercise; the day itself when omitted.
    #[serde(default)]
    pub ends_on: Option<NaiveDate>,
}

/// An exercise in a class's progression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub id: i64,
    pub class_id: i64,
    pub exercise_id: i64,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Done once `ends_on` is before the reference day (today by default).
    pub done: bool,
}

/// What covers an item in a coverage matrix; ordered strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStrength {
    Main,
    Secondary,
    /// Through a correspondence from an item of another referential.
    Implied,
}

/// One column of a coverage matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageExercise {
    pub exercise_id: i64,
    pub title: String,
    /// Absent when the coverage is of an exercise set rather than a class.
    pub assignment_id: Option<i64>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub done: bool,
}

/// A cell: exercise column `exercise` (index into `Coverage::exercises`) practises the row.
/// On the wire a pair `[exercise, strength]`: a class matrix holds thousands of cells, and
/// field names would be most of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "(u32, LinkStrength)", into = "(u32, LinkStrength)")]
pub struct CoverageCell {
    pub exercise: u32,
    pub strength: LinkStrength,
}

impl From<(u32, LinkStrength)> for CoverageCell {
    fn from((exercise, strength): (u32, LinkStrength)) -> Self {
        CoverageCell { exercise, strength }
    }
}

impl From<CoverageCell> for (u32, LinkStrength) {
    fn from(cell: CoverageCell) -> Self {
        (cell.exercise, cell.strength)
    }
}

/// Where an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverageStatus {
    /// No exercise practises it: a gap.
    Gap,
    /// Only exercises still to come.
    Planned,
    /// At least one exercise done.
    Done,
}

impl CoverageStatus {
    pub fn label(self) -> &'static str {
        match self {
            CoverageStatus::Gap => "non couvert",
            CoverageStatus::Planned => "prévu",
            CoverageStatus::Done => "travaillé",
        }
    }
}

/// One row of a coverage matrix: an item of the referential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageRow {
    pub code: String,
    pub kind: ItemKind,
    pub label: String,
    pub parent_code: Option<String>,
    /// Depth in the tree (0 for roots), for indentation.
    pub depth: u32,
    /// Whether exercises can be mapped to this kind of item (task, situation,
    /// competency…); grouping rows (domain, bloc, activity) summarise their children.
    pub mappable: bool,
    /// The exercises practising a mappable row, by column, the strongest link of each.
    /// Empty on grouping rows: theirs are those of the rows below them (merged by the
    /// client), which they summarise by `status` and the counts.
    pub cells: Vec<CoverageCell>,
    pub status: CoverageStatus,
    /// Mappable items below (itself included when mappable), and how many are covered.
    pub items: u32,
    pub items_done: u32,
    pub items_planned: u32,
    /// A class's students with a validated fiche (portfolio) showing the item: on the
    /// mappable rows of a class's coverage; absent on grouping rows and for an exercise
    /// set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub students_evidenced: Option<u32>,
}

/// `GET /api/classes/{id}/coverage`, `POST /api/coverage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub referential_id: String,
    pub referential_title: String,
    /// The class, when the coverage is a class's.
    pub class_id: Option<i64>,
    pub class_name: Option<String>,
    /// The day "done" is judged against.
    pub on: NaiveDate,
    pub exercises: Vec<CoverageExercise>,
    pub rows: Vec<CoverageRow>,
    /// Mappable items in the rows, covered (done or planned) and done.
    pub total_items: u32,
    pub covered_items: u32,
    pub done_items: u32,
}

impl Coverage {
    /// The cells of every row, in the order of `rows`: a mappable row's own, a grouping
    /// row's merged from the mappable rows below it (strongest link per column).
    pub fn cells_by_row(&self) -> Vec<Vec<CoverageCell>> {
        let position: std::collections::HashMap<&str, usize> = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code.as_str(), i))
            .collect();
        let mut merged: Vec<Vec<CoverageCell>> =
            self.rows.iter().map(|r| r.cells.clone()).collect();
        for row in self
            .rows
            .iter()
            .filter(|r| r.mappable && !r.cells.is_empty())
        {
            let mut at = row.parent_code.as_deref();
            // At most one step per row: a malformed answer must not loop.
            for _ in 0..self.rows.len() {
                let Some(&p) = at.and_then(|c| position.get(c)) else {
                    break;
                };
                merged[p].extend_from_slice(&row.cells);
                at = self.rows[p].parent_code.as_deref();
            }
        }
        for (cells, row) in merged.iter_mut().zip(&self.rows) {
            if !row.mappable {
                cells.sort_unstable_by_key(|c| (c.exercise, c.strength));
                cells.dedup_by_key(|c| c.exercise);
            }
        }
        merged
    }
}

/// `POST /api/coverage`: the coverage one set of exercises gives a referential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageRequest {
    pub referential_id: String,
    pub exercise_ids: Vec<i64>,
}

/// The portable form of an exercise (catalogue exchange between schools, JSON and xlsx).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortableExercise {
    pub title: String,
    #[serde(default)]
    pub instructions: String,
    #[serde(default)]
    pub software_id: Option<String>,
    #[serde(default)]
    pub base_id: Option<String>,
    #[serde(default)]
    pub modules: Vec<String>,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub items: Vec<ItemLink>,
}

/// Identifies the JSON catalogue format.
pub const CATALOGUE_FORMAT: &str = "passerelle-exercises";
pub const CATALOGUE_VERSION: u32 = 1;

/// `GET /api/exercises/export.json` and the JSON accepted by the catalogue import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    pub format: String,
    pub version: u32,
    pub exercises: Vec<PortableExercise>,
}

/// What importing one exercise of a catalogue does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogueAction {
    Create,
    Error,
}

/// One exercise of an imported catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueRowReport {
    /// JSON: position in `exercises` (1-based); xlsx: sheet row number.
    pub row: usize,
    pub title: String,
    pub action: CatalogueAction,
    /// Each problem, naming the field (or cell) and the unknown code.
    pub errors: Vec<crate::RowIssue>,
    /// Id of the created exercise (commit only).
    pub exercise_id: Option<i64>,
}

/// `POST /api/exercises/import/preview` and `/commit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueImportReport {
    pub committed: bool,
    pub rows: Vec<CatalogueRowReport>,
    pub created: u32,
    pub errors: u32,
}

#[cfg(test)]
mod tests {
    use super::{CoverageCell, LinkStrength};

    #[test]
    fn a_coverage_cell_travels_as_a_pair() {
        let cell = CoverageCell {
            exercise: 7,
            strength: LinkStrength::Implied,
        };
        let json = serde_json::to_string(&cell).unwrap_or_default();
        assert_eq!(json, r#"[7,"implied"]"#);
        let back: Result<CoverageCell, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(cell));
    }
}
