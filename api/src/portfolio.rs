//! Student portfolios: "fiches de situation professionnelle", their review by teachers,
//! the progress they show, and the "passeport professionnel" exports.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::{Correspondence, ItemKind, PersonRef};

/// Longest fiche title, in characters.
pub const FICHE_TITLE_MAX_CHARS: usize = 200;
/// Longest free text (what was done, context…), in characters.
pub const FICHE_TEXT_MAX_CHARS: usize = 20_000;
/// Longest comment, in characters.
pub const COMMENT_MAX_CHARS: usize = 5_000;
/// Largest attachment, in bytes.
pub const ATTACHMENT_MAX_BYTES: usize = 10 * 1024 * 1024;
/// Total size of one student's attachments, in bytes.
pub const STUDENT_QUOTA_BYTES: u64 = 200 * 1024 * 1024;
/// Most attachments on one fiche.
pub const FICHE_ATTACHMENTS_MAX: usize = 20;

/// Where a fiche's situation took place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContextKind {
    /// A PGI exercise done at school (an exercise assigned to the student's class).
    #[default]
    Exercise,
    /// An internship period in a firm (PFMP, stage, alternance).
    Internship,
    /// A simulated situation or a case study.
    Simulated,
}

impl ContextKind {
    pub const ALL: [ContextKind; 3] = [
        ContextKind::Exercise,
        ContextKind::Internship,
        ContextKind::Simulated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContextKind::Exercise => "exercise",
            ContextKind::Internship => "internship",
            ContextKind::Simulated => "simulated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// French label for the UI and the exports.
    pub fn label(self) -> &'static str {
        match self {
            ContextKind::Exercise => "Exercice PGI en classe",
            ContextKind::Internship => "Période en entreprise",
            ContextKind::Simulated => "Situation simulée ou étude de cas",
        }
    }
}

/// Where a fiche stands in its review. "Resubmitted" is `Submitted` with
/// `submissions > 1`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum FicheStatus {
    /// Being written; only the student sees it.
    #[default]
    Draft,
    /// Sent to the teachers, waiting for review; the student can no longer edit it.
    Submitted,
    /// Sent back with comments; the student edits and resubmits it.
    Returned,
    /// Accepted as evidence; immutable.
    Validated,
}

impl FicheStatus {
    pub const ALL: [FicheStatus; 4] = [
        FicheStatus::Draft,
        FicheStatus::Submitted,
        FicheStatus::Returned,
        FicheStatus::Validated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FicheStatus::Draft => "draft",
            FicheStatus::Submitted => "submitted",
            FicheStatus::Returned => "returned",
            FicheStatus::Validated => "validated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            FicheStatus::Draft => "Brouillon",
            FicheStatus::Submitted => "Soumise",
            FicheStatus::Returned => "À reprendre",
            FicheStatus::Validated => "Validée",
        }
    }

    /// Whether the student may edit it (and add or remove attachments).
    pub fn editable(self) -> bool {
        matches!(self, FicheStatus::Draft | FicheStatus::Returned)
    }
}

/// The firm of an internship fiche.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Firm {
    pub name: String,
    /// Sector of activity ("commerce de gros", "BTP"…).
    #[serde(default)]
    pub sector: String,
    /// The tutor's name (and role).
    #[serde(default)]
    pub tutor: String,
}

/// `POST /api/fiches`, `PUT /api/fiches/{id}` (by the student who owns it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FicheInput {
    pub title: String,
    /// The class the fiche is evidence for; by default the student's class of the
    /// current school year. Fixes the referential of `items`.
    #[serde(default)]
    pub class_id: Option<i64>,
    #[serde(default)]
    pub context: ContextKind,
    /// `context = exercise`: an exercise assigned to the class (`Assignment::id`); its
    /// main and secondary items pre-fill `items` when the client asks.
    #[serde(default)]
    pub assignment_id: Option<i64>,
    /// `context = internship`: the firm, required.
    #[serde(default)]
    pub firm: Option<Firm>,
    /// `context = simulated`: what the situation or case was.
    #[serde(default)]
    pub context_text: String,
    #[serde(default)]
    pub starts_on: Option<NaiveDate>,
    #[serde(default)]
    pub ends_on: Option<NaiveDate>,
    /// What was done, in the Markdown subset of [`crate::markdown`].
    #[serde(default)]
    pub description: String,
    /// PGI software id from `GET /api/pgi` (`ebp`…), or none.
    #[serde(default)]
    pub software_id: Option<String>,
    /// Other software used, free text ("tableur", "Canva"…).
    #[serde(default)]
    pub other_software: String,
    /// PGI feature ids used (`devis`, `factures`…).
    #[serde(default)]
    pub features: Vec<String>,
    /// Codes of the items shown, in the class's referential (tasks, situations,
    /// competencies).
    #[serde(default)]
    pub items: Vec<String>,
}

/// An item a fiche shows, with the level the validating teacher gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FicheItem {
    pub code: String,
    pub kind: ItemKind,
    pub label: String,
    /// 1-based index into the fiche's `scale`, once a teacher has set it.
    pub level: Option<u8>,
}

/// An attached file's description; the bytes are at
/// `GET /api/fiches/{fiche}/attachments/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
    pub uploaded_at: NaiveDateTime,
}

/// The exercise a school fiche is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FicheExercise {
    pub assignment_id: i64,
    pub exercise_id: i64,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// What happened to a fiche, in its history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FicheAction {
    Created,
    Edited,
    AttachmentAdded,
    AttachmentRemoved,
    Submitted,
    Resubmitted,
    Commented,
    Returned,
    Validated,
    /// A validated fiche reopened by an admin (a mistake to correct), with a reason.
    Reopened,
}

impl FicheAction {
    pub fn as_str(self) -> &'static str {
        match self {
            FicheAction::Created => "created",
            FicheAction::Edited => "edited",
            FicheAction::AttachmentAdded => "attachment_added",
            FicheAction::AttachmentRemoved => "attachment_removed",
            FicheAction::Submitted => "submitted",
            FicheAction::Resubmitted => "resubmitted",
            FicheAction::Commented => "commented",
            FicheAction::Returned => "returned",
            FicheAction::Validated => "validated",
            FicheAction::Reopened => "reopened",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            FicheAction::Created,
            FicheAction::Edited,
            FicheAction::AttachmentAdded,
            FicheAction::AttachmentRemoved,
            FicheAction::Submitted,
            FicheAction::Resubmitted,
            FicheAction::Commented,
            FicheAction::Returned,
            FicheAction::Validated,
            FicheAction::Reopened,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            FicheAction::Created => "Fiche créée",
            FicheAction::Edited => "Fiche modifiée",
            FicheAction::AttachmentAdded => "Pièce jointe ajoutée",
            FicheAction::AttachmentRemoved => "Pièce jointe retirée",
            FicheAction::Submitted => "Fiche soumise",
            FicheAction::Resubmitted => "Fiche soumise à nouveau",
            FicheAction::Commented => "Commentaire",
            FicheAction::Returned => "Fiche renvoyée à l'élève",
            FicheAction::Validated => "Fiche validée",
            FicheAction::Reopened => "Fiche rouverte",
        }
    }
}

/// One field changed by an edit, as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// French name of the field ("titre", "compétences"…).
    pub field: String,
    pub before: String,
    pub after: String,
}

/// One entry of a fiche's history: every change is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FicheEvent {
    pub at: NaiveDateTime,
    pub actor: PersonRef,
    pub action: FicheAction,
    pub comment: Option<String>,
    #[serde(default)]
    pub changes: Vec<FieldChange>,
}

/// `GET /api/fiches/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fiche {
    pub id: i64,
    pub student: PersonRef,
    pub class_id: i64,
    pub class_name: String,
    pub referential_id: String,
    pub title: String,
    pub context: ContextKind,
    pub exercise: Option<FicheExercise>,
    pub firm: Option<Firm>,
    pub context_text: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub description: String,
    pub software_id: Option<String>,
    pub other_software: String,
    pub features: Vec<String>,
    /// In referential order.
    pub items: Vec<FicheItem>,
    /// What the items correspond to in other referentials.
    #[serde(default)]
    pub implied: Vec<Correspondence>,
    pub attachments: Vec<Attachment>,
    pub status: FicheStatus,
    /// How many times it was submitted (2 and more: resubmitted).
    pub submissions: u32,
    /// The degrees of mastery of the referential, lowest first.
    pub scale: Vec<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub validated_at: Option<NaiveDateTime>,
    pub validated_by: Option<PersonRef>,
    /// Oldest first.
    pub history: Vec<FicheEvent>,
    /// The signed-in user is its student and it is a draft or returned.
    pub can_edit: bool,
    /// The signed-in user teaches its class (or is an admin) and it is submitted.
    pub can_review: bool,
}

/// One line of a fiche list (a student's portfolio, a review queue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FicheSummary {
    pub id: i64,
    pub student: PersonRef,
    pub class_id: i64,
    pub class_name: String,
    pub title: String,
    pub context: ContextKind,
    pub starts_on: Option<NaiveDate>,
    pub status: FicheStatus,
    pub submissions: u32,
    /// Codes of the items shown.
    pub items: Vec<String>,
    pub attachments: u32,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
}

/// `POST /api/fiches/{id}/return`, `/comments`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentInput {
    pub comment: String,
}

/// A level set on one item of a fiche.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemLevel {
    pub code: String,
    /// 1-based index into the referential's scale.
    pub level: u8,
}

/// `POST /api/fiches/{id}/validate`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationInput {
    #[serde(default)]
    pub comment: Option<String>,
    /// A level for some or all of the fiche's items.
    #[serde(default)]
    pub levels: Vec<ItemLevel>,
}

/// `POST /api/fiches/{id}/reopen` (admins): why a validated fiche is reopened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReopenInput {
    pub reason: String,
}

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// To the class's teachers: a fiche was submitted (or resubmitted).
    FicheSubmitted,
    /// To the student: their fiche was returned with comments.
    FicheReturned,
    /// To the student: their fiche was validated.
    FicheValidated,
    /// To the other party: a comment on the fiche.
    FicheCommented,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::FicheSubmitted => "fiche_submitted",
            NotificationKind::FicheReturned => "fiche_returned",
            NotificationKind::FicheValidated => "fiche_validated",
            NotificationKind::FicheCommented => "fiche_commented",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            NotificationKind::FicheSubmitted,
            NotificationKind::FicheReturned,
            NotificationKind::FicheValidated,
            NotificationKind::FicheCommented,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::FicheSubmitted => "Nouvelle fiche à relire",
            NotificationKind::FicheReturned => "Fiche à reprendre",
            NotificationKind::FicheValidated => "Fiche validée",
            NotificationKind::FicheCommented => "Nouveau commentaire",
        }
    }
}

/// `GET /api/notifications`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: i64,
    pub kind: NotificationKind,
    pub fiche_id: i64,
    pub fiche_title: String,
    /// Who caused it.
    pub actor: PersonRef,
    pub at: NaiveDateTime,
    pub read: bool,
}

/// `GET /api/notifications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notifications {
    pub unread: u32,
    /// The 50 most recent.
    pub items: Vec<Notification>,
}

/// `POST /api/notifications/read`: mark these as read (all when `ids` is empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkRead {
    #[serde(default)]
    pub ids: Vec<i64>,
}

/// Default degrees of mastery, when a referential names none.
pub const DEFAULT_SCALE: [&str; 4] = ["Non acquis", "En cours d'acquisition", "Acquis", "Maîtrisé"];

/// One item row of a progress view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressItem {
    pub code: String,
    pub kind: ItemKind,
    pub label: String,
    /// The bloc the item belongs to, if any.
    pub bloc: Option<String>,
    /// Required by a CCF épreuve (its bloc's unit is assessed in CCF).
    pub ccf: bool,
}

/// A bloc of the referential and the share of its items evidenced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlocProgress {
    pub code: String,
    pub label: String,
    /// Exam unit(s) of the bloc (`U4`…).
    pub units: Vec<String>,
    pub ccf: bool,
    pub items: u32,
    /// Items with at least one validated fiche.
    pub evidenced: u32,
}

/// What one student has shown of one item. On the wire a triple `[validated, pending,
/// level]`: a class heatmap holds thousands of cells, and field names would be most of
/// its bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "(u32, u32, Option<u8>)", into = "(u32, u32, Option<u8>)")]
pub struct ProgressCell {
    /// Validated fiches showing it.
    pub validated: u32,
    /// Fiches submitted and not yet validated showing it.
    pub pending: u32,
    /// Latest level set by a teacher (1-based), if any.
    pub level: Option<u8>,
}

impl From<(u32, u32, Option<u8>)> for ProgressCell {
    fn from((validated, pending, level): (u32, u32, Option<u8>)) -> Self {
        ProgressCell {
            validated,
            pending,
            level,
        }
    }
}

impl From<ProgressCell> for (u32, u32, Option<u8>) {
    fn from(cell: ProgressCell) -> Self {
        (cell.validated, cell.pending, cell.level)
    }
}

/// `GET /api/students/{id}/progress`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentProgress {
    pub student: PersonRef,
    pub class_id: i64,
    pub class_name: String,
    pub referential_id: String,
    pub scale: Vec<String>,
    /// The mappable items of the referential, in order.
    pub items: Vec<ProgressItem>,
    /// Parallel to `items`.
    pub cells: Vec<ProgressCell>,
    pub blocs: Vec<BlocProgress>,
    /// Items a CCF épreuve requires with no validated fiche: "missing before the exam".
    pub missing: Vec<String>,
    pub fiches_validated: u32,
    pub fiches_pending: u32,
}

/// One student's line in a class progress view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentProgressRow {
    pub student: PersonRef,
    /// Parallel to `ClassProgress::items`.
    pub cells: Vec<ProgressCell>,
    /// Parallel to `ClassProgress::blocs`: items evidenced per bloc.
    pub blocs_evidenced: Vec<u32>,
    /// How many CCF items have no validated fiche.
    pub missing: u32,
    pub fiches_validated: u32,
    pub fiches_pending: u32,
}

/// `GET /api/classes/{id}/progress`: students × items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassProgress {
    pub class_id: i64,
    pub class_name: String,
    pub referential_id: String,
    pub scale: Vec<String>,
    pub items: Vec<ProgressItem>,
    /// `evidenced`: items evidenced by at least one student.
    pub blocs: Vec<BlocProgress>,
    pub students: Vec<StudentProgressRow>,
}

/// `GET /api/fiches/exercises`: an exercise assigned to one of the student's classes, to
/// cite in a fiche; its items (in the class's referential) pre-fill the fiche's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentAssignment {
    pub assignment_id: i64,
    pub class_id: i64,
    pub exercise_id: i64,
    pub title: String,
    /// Instructions, in the Markdown subset of [`crate::markdown`].
    pub instructions: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub software_id: Option<String>,
    pub features: Vec<String>,
    /// Codes of the exercise's items in the class's referential, main ones first.
    pub items: Vec<String>,
}

/// `GET /api/fiches` filters (staff; a student always gets their own fiches).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FicheQuery {
    #[serde(default)]
    pub class_id: Option<i64>,
    #[serde(default)]
    pub student_id: Option<i64>,
    #[serde(default)]
    pub status: Option<FicheStatus>,
}

#[cfg(test)]
mod tests {
    use super::ProgressCell;

    #[test]
    fn a_progress_cell_travels_as_a_triple() {
        let cell = ProgressCell {
            validated: 2,
            pending: 1,
            level: Some(4),
        };
        let json = serde_json::to_string(&cell).unwrap_or_default();
        assert_eq!(json, "[2,1,4]");
        let back: Result<ProgressCell, _> = serde_json::from_str("[0,0,null]");
        assert_eq!(back.ok(), Some(ProgressCell::default()));
    }
}
