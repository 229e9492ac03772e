//! CCF grids: the templates generated from the referentials (criteria, scale, the rule
//! that proposes a mark), which an admin may adapt, each change a new version.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::PersonRef;

/// The national default degrees of mastery of CCF grids, lowest first.
pub const DEFAULT_GRID_SCALE: [&str; 4] = [
    "Très insuffisant",
    "Insuffisant",
    "Satisfaisant",
    "Très satisfaisant",
];

/// The identity block every grid carries, in print order.
pub const GRID_IDENTITY_FIELDS: [&str; 6] = [
    "Académie",
    "Établissement",
    "Session",
    "Épreuve",
    "Nom et prénom du candidat",
    "Numéro du candidat",
];

/// Longest criterion label or indicator, in characters.
pub const GRID_TEXT_MAX_CHARS: usize = 500;
/// Most criteria on one grid.
pub const GRID_CRITERIA_MAX: usize = 60;

/// One line of a grid: a competency (or criterion) assessed at one degree of mastery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridCriterion {
    /// The referential item it comes from (a competency code), or a code of the admin's.
    pub code: String,
    pub label: String,
    /// Critères d'évaluation / indicators printed under the label.
    #[serde(default)]
    pub indicators: Vec<String>,
    /// Relative weight in the proposed mark (1 by default).
    #[serde(default = "one")]
    pub weight: f64,
}

fn one() -> f64 {
    1.0
}

/// How the levels turn into a proposed mark out of 20.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkRule {
    /// Each level is worth its position on the scale (lowest 0, highest 20), and the
    /// mark is the weighted mean over the criteria assessed, rounded to the half point.
    #[default]
    WeightedLevels,
}

impl MarkRule {
    /// The proposed mark for `levels` (1-based, `None` when not assessed) of criteria
    /// with `weights`, on a scale of `scale_len` degrees; `None` when nothing is assessed.
    pub fn propose(self, levels: &[Option<u8>], weights: &[f64], scale_len: usize) -> Option<f64> {
        if scale_len < 2 {
            return None;
        }
        let top = (scale_len - 1) as f64;
        let (mut total, mut weight_sum) = (0.0, 0.0);
        for (level, weight) in levels.iter().zip(weights) {
            if let Some(level) = level.filter(|l| (1..=scale_len).contains(&usize::from(*l))) {
                total += weight * (f64::from(level) - 1.0) / top * 20.0;
                weight_sum += weight;
            }
        }
        (weight_sum > 0.0).then(|| (total / weight_sum * 2.0).round() / 2.0)
    }
}

/// Where a template's current version comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateOrigin {
    /// Generated from the referential data, unchanged.
    Referential,
    /// Adapted by an admin of the establishment.
    Edited,
}

/// `GET /api/grid-templates/{id}`: one épreuve's grid, as the establishment uses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridTemplate {
    /// `referential:épreuve`, e.g. `bacpro-agora:E31`.
    pub id: String,
    pub referential_id: String,
    /// Épreuve code (`E31`, `E4`, `RNCP34786BC01`).
    pub epreuve: String,
    /// Exam unit (`U31`) or, for a certification, the bloc.
    pub unit: String,
    /// The bloc of competencies it certifies.
    pub bloc: String,
    pub title: String,
    /// From the règlement d'examen, when the referential gives it.
    pub coefficient: Option<f64>,
    /// How the candidate is assessed ("CCF", "mise en situation professionnelle…").
    pub modality: String,
    pub criteria: Vec<GridCriterion>,
    /// Degrees of mastery, lowest first.
    pub scale: Vec<String>,
    pub rule: MarkRule,
    /// Free-text boxes of the grid ("Appréciation du jury"…).
    pub comment_fields: Vec<String>,
    pub identity_fields: Vec<String>,
    /// 1 for the generated grid; each admin edit adds one.
    pub version: u32,
    pub origin: TemplateOrigin,
    pub edited_by: Option<PersonRef>,
    pub edited_at: Option<NaiveDateTime>,
}

/// One line of `GET /api/grid-templates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridTemplateSummary {
    pub id: String,
    pub referential_id: String,
    pub epreuve: String,
    pub unit: String,
    pub title: String,
    pub coefficient: Option<f64>,
    pub criteria: u32,
    pub version: u32,
    pub origin: TemplateOrigin,
}

/// `PUT /api/grid-templates/{id}` (admins): a new version of the establishment's grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridTemplateInput {
    pub title: String,
    pub criteria: Vec<GridCriterion>,
    pub scale: Vec<String>,
    #[serde(default)]
    pub rule: MarkRule,
    #[serde(default)]
    pub comment_fields: Vec<String>,
}

/// `GET /api/grid-templates/{id}/versions`: every version, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridTemplateVersion {
    pub version: u32,
    pub origin: TemplateOrigin,
    pub edited_by: Option<PersonRef>,
    pub edited_at: Option<NaiveDateTime>,
    pub title: String,
    pub criteria: u32,
}

#[cfg(test)]
mod tests {
    use super::MarkRule;

    #[test]
    fn levels_make_a_mark_out_of_twenty() {
        let rule = MarkRule::WeightedLevels;
        assert_eq!(
            rule.propose(&[Some(4), Some(4)], &[1.0, 1.0], 4),
            Some(20.0)
        );
        assert_eq!(rule.propose(&[Some(1), Some(1)], &[1.0, 1.0], 4), Some(0.0));
        // (20 × 2 + 13.33 × 1) / 3 = 17.78 → 18.
        assert_eq!(
            rule.propose(&[Some(4), Some(3)], &[2.0, 1.0], 4),
            Some(18.0)
        );
        // Criteria not assessed do not count; nothing assessed, no mark.
        assert_eq!(rule.propose(&[Some(3), None], &[1.0, 1.0], 4), Some(13.5));
        assert_eq!(rule.propose(&[None, None], &[1.0, 1.0], 4), None);
        // A level off the scale is ignored.
        assert_eq!(rule.propose(&[Some(9)], &[1.0], 4), None);
    }
}

/// A jury member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JuryRole {
    /// A teacher of the establishment.
    Teacher,
    /// A professional from outside (dirigeant, cadre, expert externe).
    Professional,
    /// The candidate's tutor in the firm.
    Tutor,
}

impl JuryRole {
    pub fn as_str(self) -> &'static str {
        match self {
            JuryRole::Teacher => "teacher",
            JuryRole::Professional => "professional",
            JuryRole::Tutor => "tutor",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [JuryRole::Teacher, JuryRole::Professional, JuryRole::Tutor]
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            JuryRole::Teacher => "Enseignant",
            JuryRole::Professional => "Professionnel",
            JuryRole::Tutor => "Tuteur",
        }
    }
}

/// `POST /api/exam-sessions` (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExamSessionInput {
    /// A grid template id (`bacpro-agora:E31`): the épreuve.
    pub template_id: String,
    /// "Session 2027".
    pub label: String,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    /// Classes whose students are the candidates; they must prepare the template's
    /// referential.
    pub class_ids: Vec<i64>,
    /// For a certification, the access route whose jury composition applies (`J1`…).
    #[serde(default)]
    pub access_route: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JuryMemberInput {
    pub user_id: i64,
    pub role: JuryRole,
}

/// `POST /api/exam-sessions/{id}/juries` (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JuryInput {
    pub name: String,
    pub members: Vec<JuryMemberInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JuryMember {
    pub person: PersonRef,
    pub role: JuryRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jury {
    pub id: i64,
    pub name: String,
    pub members: Vec<JuryMember>,
    /// Candidate ids assigned to it.
    pub candidates: Vec<i64>,
}

/// `PUT /api/juries/{id}/candidates` (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JuryCandidates {
    pub candidate_ids: Vec<i64>,
}

/// `PUT /api/candidates/{id}/conformity` (admins): a dossier found incomplete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConformityInput {
    pub conforme: bool,
    /// Required when not conforme; printed on the notice of the export.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: i64,
    pub student: PersonRef,
    /// Candidate number within the session (`0001`…).
    pub number: String,
    pub class_name: String,
    pub jury_id: Option<i64>,
    pub conforme: bool,
    pub nonconformity_reason: Option<String>,
}

/// One line of `GET /api/exam-sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExamSessionSummary {
    pub id: i64,
    pub label: String,
    pub template_id: String,
    pub epreuve: String,
    pub title: String,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    pub candidates: u32,
    pub juries: u32,
    pub published: bool,
}

/// `GET /api/exam-sessions/{id}`: an admin sees everything; a jury member their jury and
/// its candidates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExamSession {
    pub id: i64,
    pub label: String,
    pub template_id: String,
    /// The template version the session uses (fixed when the session opens).
    pub template_version: u32,
    pub epreuve: String,
    pub title: String,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    pub access_route: Option<String>,
    /// The composition the access route requires, as the certification prints it.
    pub required_composition: Vec<String>,
    pub published: bool,
    pub juries: Vec<Jury>,
    pub candidates: Vec<Candidate>,
}

/// A level chosen for one criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionLevel {
    pub code: String,
    /// 1-based index into the grid's scale.
    pub level: u8,
}

/// A free-text box of the grid, filled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridComment {
    /// One of the template's `comment_fields`.
    pub field: String,
    pub text: String,
}

/// `PUT /api/candidates/{id}/grid/mine`: one jury member's own assessment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberAssessmentInput {
    #[serde(default)]
    pub levels: Vec<CriterionLevel>,
    #[serde(default)]
    pub comments: Vec<GridComment>,
}

/// `PUT /api/candidates/{id}/grid`: the grid the jury agrees on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgreedGridInput {
    #[serde(default)]
    pub levels: Vec<CriterionLevel>,
    #[serde(default)]
    pub comments: Vec<GridComment>,
    /// The mark given, when it differs from the proposed one (0 to 20, half points).
    #[serde(default)]
    pub final_mark: Option<f64>,
    /// Required when `final_mark` differs from the proposed mark.
    #[serde(default)]
    pub justification: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberAssessment {
    pub member: PersonRef,
    pub role: JuryRole,
    pub levels: Vec<CriterionLevel>,
    pub comments: Vec<GridComment>,
    pub updated_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub member: PersonRef,
    pub signed_at: NaiveDateTime,
}

/// Where a candidate's grid stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GridStatus {
    /// Being filled; signatures so far are cleared by any change.
    Open,
    /// Signed by every member: immutable until an admin reopens it.
    Locked,
}

/// `GET /api/candidates/{id}/grid`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateGrid {
    pub candidate: Candidate,
    pub session_id: i64,
    pub session_label: String,
    pub template: GridTemplate,
    pub jury: Option<Jury>,
    /// Each member's own assessment (jury members and admins see them all).
    pub members: Vec<MemberAssessment>,
    /// The agreed levels and comments.
    pub levels: Vec<CriterionLevel>,
    pub comments: Vec<GridComment>,
    /// Criteria on which the members' levels differ.
    pub disagreements: Vec<String>,
    /// From the agreed levels by the template's rule.
    pub proposed_mark: Option<f64>,
    pub final_mark: Option<f64>,
    pub justification: Option<String>,
    pub status: GridStatus,
    pub signatures: Vec<Signature>,
    pub locked_at: Option<NaiveDateTime>,
    /// Ids of the candidate's validated fiches, readable by the jury.
    pub portfolio: Vec<i64>,
    /// The signed-in user sits on the candidate's jury and the grid is open.
    pub can_edit: bool,
}

/// `POST /api/candidates/{id}/grid/reopen` (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridReopenInput {
    pub reason: String,
}

/// What the import of a filled session workbook does with one candidate's sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GridImportAction {
    /// The agreed grid is written (signatures cleared).
    Update,
    /// The sheet says what the grid already holds.
    Unchanged,
    /// The grid is locked: the sheet is skipped.
    Locked,
    /// The sheet has errors: nothing of the file is written.
    Error,
}

/// One problem of a filled workbook, located by sheet and cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridImportIssue {
    pub sheet: String,
    /// `F12`; none for a whole sheet (missing, unexpected).
    pub cell: Option<String>,
    /// `structure_changed`, `missing_sheet`, `unexpected_sheet`, `invalid_level`,
    /// `several_levels`, `invalid_mark`, `justification_required`, `value_too_long`.
    pub code: String,
    /// French, e.g. « Feuille 0001 Zola, cellule F12 : … ».
    pub message: String,
}

/// One candidate's sheet in the import report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridImportSheet {
    pub sheet: String,
    pub candidate_id: i64,
    pub number: String,
    pub action: GridImportAction,
    /// The mark the sheet gives (final, else proposed from its levels).
    pub mark: Option<f64>,
}

/// `POST /api/exam-sessions/{id}/import/preview|commit`: what the file does, sheet by sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridImportReport {
    pub committed: bool,
    pub sheets: Vec<GridImportSheet>,
    pub issues: Vec<GridImportIssue>,
    pub updated: u32,
    pub unchanged: u32,
    pub locked: u32,
}
