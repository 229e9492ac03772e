//! Establishment, school years and classes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// `POST /api/establishment` (an admin without establishment creates theirs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstablishmentInput {
    pub name: String,
    /// Code UAI (ex-RNE): 7 digits and a letter, e.g. 0750001A.
    pub uai: String,
    pub academie: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolYearInput {
    /// "2026-2027".
    pub label: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolYear {
    pub id: i64,
    pub label: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassInput {
    pub name: String,
    pub school_year_id: i64,
    /// The referential the class prepares (`bacpro-agora`…).
    pub referential_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassSummary {
    pub id: i64,
    pub name: String,
    pub school_year_id: i64,
    pub school_year: String,
    pub referential_id: String,
}

/// A person as others see them in a class: no birth date, no INE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRef {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
}

/// `GET /api/classes/{id}`. Students see their teachers and themselves, not classmates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassDetail {
    #[serde(flatten)]
    pub class: ClassSummary,
    pub teachers: Vec<PersonRef>,
    pub students: Vec<PersonRef>,
}

/// `PUT /api/classes/{id}/teachers`: the full list of the class's teachers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeacherAssignment {
    pub teacher_ids: Vec<i64>,
}

/// Where an account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Has a password and may sign in.
    Active,
    /// Created (by an admin or an import), no password yet: waits for its invitation code.
    Invited,
    /// Disabled by an admin: cannot sign in, every session ended.
    Disabled,
}

impl AccountStatus {
    pub fn label_fr(self) -> &'static str {
        match self {
            AccountStatus::Active => "Actif",
            AccountStatus::Invited => "Invitation en attente",
            AccountStatus::Disabled => "Désactivé",
        }
    }
}

/// `GET /api/accounts` (admin): one account of the establishment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub roles: Vec<crate::Role>,
    pub status: AccountStatus,
    /// Students only.
    pub birth_date: Option<NaiveDate>,
    /// Students only (identifiant national élève).
    pub ine: Option<String>,
    /// The classes the person teaches or attends, latest school year first.
    pub classes: Vec<String>,
}

/// `POST /api/accounts` (admin): a teacher, jury member, admin or student. The account
/// starts `invited`; print its invitation with `POST /api/invitations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInput {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub roles: Vec<crate::Role>,
}

/// `PATCH /api/accounts/{id}` (admin): every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<crate::Role>>,
    /// true ends every session of the account at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// `POST /api/invitations` (admin): issues a fresh one-time code to each account (earlier
/// codes stop working; an account with a password loses it, as in a reset). Answers an
/// xlsx sheet to hand out, or this list with `Accept: application/json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRequest {
    /// Accounts to invite (each must be of the admin's establishment).
    #[serde(default)]
    pub user_ids: Vec<i64>,
    /// Or: every account of this class still waiting for its first sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_id: Option<i64>,
}

/// One invitation: the code is shown once, here or in the sheet, and stored hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub user_id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub class_name: Option<String>,
    /// e.g. "K7QM-2XPA-9RTD": typed on the activation page with the email; never in a URL.
    pub code: String,
    pub expires_at: chrono::NaiveDateTime,
}

/// What committing a class-list row does (or would do, in a dry run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    Create,
    Update,
    Unchanged,
    Error,
}

impl RowAction {
    pub fn label_fr(self) -> &'static str {
        match self {
            RowAction::Create => "Création",
            RowAction::Update => "Mise à jour",
            RowAction::Unchanged => "Inchangé",
            RowAction::Error => "Erreur",
        }
    }
}

/// A problem found on one row of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowIssue {
    /// The column's header as printed in the file (None: the row as a whole).
    pub column: Option<String>,
    /// Stable: `missing_email`, `invalid_date`, `duplicate_ine`, `unknown_class`,
    /// `email_taken`, `ine_conflict`…
    pub code: String,
    /// French, naming row and column.
    pub message: String,
}

/// One row of a class list with what the import does with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRowReport {
    /// 1-based, as the spreadsheet application shows it.
    pub row: usize,
    pub action: RowAction,
    pub last_name: Option<String>,
    pub first_name: Option<String>,
    pub email: Option<String>,
    pub class_name: Option<String>,
    pub ine: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// The existing account the row matches (update / unchanged), or the one created.
    pub user_id: Option<i64>,
    /// Fields an update changes, in French ("classe : 1 AGOrA A → T AGOrA A").
    pub changes: Vec<String>,
    pub issues: Vec<RowIssue>,
}

/// Rows per action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    pub create: usize,
    pub update: usize,
    pub unchanged: usize,
    pub error: usize,
}

/// `POST /api/class-lists/preview` and `/commit`: the body is the file itself
/// (.xlsx, .ods or .csv), `?file_name=` its name, `?school_year_id=` the year whose
/// classes the `classe` column names (default: the current one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// false for a preview (dry run): nothing was written.
    pub committed: bool,
    /// `xlsx`, `ods` or `csv`, as detected from the content.
    pub format: String,
    pub sheet_name: Option<String>,
    pub header_row: usize,
    pub headers: Vec<String>,
    pub ignored_headers: Vec<String>,
    pub school_year: SchoolYear,
    pub counts: ImportCounts,
    pub rows: Vec<ImportRowReport>,
}

/// `GET /api/audit` (admin): the establishment's audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// UTC.
    pub at: chrono::NaiveDateTime,
    pub actor_id: Option<i64>,
    /// "Prénom Nom" of the actor, when known.
    pub actor: Option<String>,
    /// `login.succeeded`, `login.failed`, `account.created`, `class_list.imported`…
    pub action: String,
    /// `user:12`, `class:3`, `email:x@y.fr`…
    pub object: String,
    pub detail: String,
}
