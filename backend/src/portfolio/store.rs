//! Fiche rows, the checks on what a student writes, and the history kept of every change.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use passerelle_api::{
    Attachment, ContextKind, Fiche, FicheAction, FicheEvent, FicheExercise, FicheInput, FicheItem,
    FicheStatus, FicheSummary, FieldChange, Firm, ItemKind, PersonRef, FICHE_TEXT_MAX_CHARS,
    FICHE_TITLE_MAX_CHARS,
};

use super::access::{self, Standing, StudentClass};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::exercises::store::{check_pgi, person, MAPPABLE_KINDS};
use crate::people::{field_error, required};
use crate::referentials::catalog::Snapshot;
use crate::schema::{
    class_exercises, classes, exercises, fiche_attachments, fiche_events, fiche_items, fiches,
    users,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = fiches)]
pub struct FicheRow {
    pub id: i64,
    pub establishment_id: i64,
    pub student_id: i64,
    pub class_id: i64,
    pub referential_id: String,
    pub title: String,
    pub context: String,
    pub assignment_id: Option<i64>,
    pub firm_name: Option<String>,
    pub firm_sector: Option<String>,
    pub firm_tutor: Option<String>,
    pub context_text: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub description: String,
    pub software_id: Option<String>,
    pub other_software: String,
    pub features: String,
    pub status: String,
    pub submissions: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub validated_at: Option<NaiveDateTime>,
    pub validated_by: Option<i64>,
}

/// What a list of fiches shows of each (never its text, which can be long).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = fiches)]
pub struct SummaryRow {
    pub id: i64,
    pub student_id: i64,
    pub class_id: i64,
    pub title: String,
    pub context: String,
    pub starts_on: Option<NaiveDate>,
    pub status: String,
    pub submissions: i32,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
}

impl FicheRow {
    pub fn status(&self) -> FicheStatus {
        FicheStatus::parse(&self.status).unwrap_or_default()
    }

    pub fn context(&self) -> ContextKind {
        ContextKind::parse(&self.context).unwrap_or_default()
    }

    fn firm(&self) -> Option<Firm> {
        self.firm_name.as_ref().map(|name| Firm {
            name: name.clone(),
            sector: self.firm_sector.clone().unwrap_or_default(),
            tutor: self.firm_tutor.clone().unwrap_or_default(),
        })
    }
}

/// A fiche input checked against the student's class, its referential, its exercises and
/// the PGI catalogue, ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub class: StudentClass,
    pub title: String,
    pub context: ContextKind,
    pub assignment_id: Option<i64>,
    pub firm: Option<Firm>,
    pub context_text: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub description: String,
    pub software_id: Option<String>,
    pub other_software: String,
    pub features: Vec<String>,
    /// In referential order, without repeats.
    pub items: Vec<String>,
}

fn long_text(field: &str, value: &str) -> Result<String, AppError> {
    let value = value.trim_end().to_owned();
    if value.chars().count() > FICHE_TEXT_MAX_CHARS {
        return Err(field_error(
            field,
            &format!("{FICHE_TEXT_MAX_CHARS} caractères au plus"),
        ));
    }
    Ok(value)
}

fn short_text(field: &str, value: &str) -> Result<String, AppError> {
    let value = crate::people::import::collapse_spaces(value);
    if value.chars().count() > 200 {
        return Err(field_error(field, "200 caractères au plus"));
    }
    Ok(value)
}

/// Checks what a student wrote. Shape errors are 400 naming the field; a class that is
/// not theirs, an exercise not assigned to it, unknown PGI ids and items outside the
/// class's referential are 422 naming the value.
pub fn check(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    student_id: i64,
    input: FicheInput,
    keep_class: Option<&FicheRow>,
) -> Result<Checked, AppError> {
    let title = required("title", &input.title, FICHE_TITLE_MAX_CHARS)?;
    let classes = access::classes_of_student(conn, student_id)?;
    // A fiche stays with the class it was written for: its items belong to that
    // referential.
    let wanted = keep_class.map(|row| row.class_id).or(input.class_id);
    let class = match wanted {
        Some(id) => classes
            .into_iter()
            .find(|c| c.class_id == id)
            .ok_or_else(|| {
                AppError::unprocessable(
                    "unknown_class",
                    format!("class_id : vous n'êtes pas inscrit dans la classe {id}"),
                )
            })?,
        None => classes.into_iter().next().ok_or_else(|| {
            AppError::unprocessable(
                "no_class",
                "vous n'êtes inscrit dans aucune classe : demandez à l'administration",
            )
        })?,
    };
    let entry = snapshot.get(&class.referential_id).ok_or_else(|| {
        AppError::internal(format!("referential {} not loaded", class.referential_id))
    })?;
    let context = input.context;
    let assignment_id = match (context, input.assignment_id) {
        (ContextKind::Exercise, Some(id)) => {
            let of_class: i64 = class_exercises::table
                .filter(class_exercises::id.eq(id))
                .filter(class_exercises::class_id.eq(class.class_id))
                .count()
                .get_result(conn)?;
            if of_class == 0 {
                return Err(AppError::unprocessable(
                    "unknown_assignment",
                    format!(
                        "assignment_id : l'exercice {id} n'est pas au programme de la classe {}",
                        class.class_name
                    ),
                ));
            }
            Some(id)
        }
        _ => None,
    };
    let firm = match (context, input.firm) {
        (ContextKind::Internship, Some(firm)) => Some(Firm {
            name: required("firm.name", &firm.name, 200)?,
            sector: short_text("firm.sector", &firm.sector)?,
            tutor: short_text("firm.tutor", &firm.tutor)?,
        }),
        (ContextKind::Internship, None) => {
            return Err(field_error(
                "firm.name",
                "le nom de l'entreprise est requis",
            ))
        }
        _ => None,
    };
    if let (Some(starts), Some(ends)) = (input.starts_on, input.ends_on) {
        if ends < starts {
            return Err(field_error(
                "ends_on",
                "la date de fin précède la date de début",
            ));
        }
    }
    let software_id = Some(short_text(
        "software_id",
        input.software_id.as_deref().unwrap_or(""),
    )?)
    .filter(|s| !s.is_empty());
    let mut seen = HashSet::new();
    let features: Vec<String> = input
        .features
        .into_iter()
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty() && seen.insert(f.clone()))
        .collect();
    check_pgi(snapshot, software_id.as_deref(), None, &[], &features)?;
    let mut indexed: Vec<(usize, String)> = Vec::with_capacity(input.items.len());
    for (i, code) in input.items.into_iter().enumerate() {
        let code = code.trim().to_owned();
        let Some(index) = entry.index_of(&code) else {
            return Err(AppError::unprocessable(
                "unknown_item",
                format!(
                    "items[{i}] : « {code} » n'est pas un élément du référentiel {} de votre classe",
                    entry.summary.title
                ),
            ));
        };
        let kind = entry.items()[index].kind;
        if !MAPPABLE_KINDS.contains(&kind) {
            return Err(AppError::unprocessable(
                "unmappable_item",
                format!(
                    "items[{i}] : {code} est un élément de type « {} » ; une fiche montre des \
                     tâches, des situations ou des compétences",
                    kind.label_fr().to_lowercase()
                ),
            ));
        }
        indexed.push((index, code));
    }
    indexed.sort();
    indexed.dedup();
    Ok(Checked {
        class,
        title,
        context,
        assignment_id,
        firm,
        context_text: long_text("context_text", &input.context_text)?,
        starts_on: input.starts_on,
        ends_on: input.ends_on,
        description: long_text("description", &input.description)?,
        software_id,
        other_software: short_text("other_software", &input.other_software)?,
        features,
        items: indexed.into_iter().map(|(_, code)| code).collect(),
    })
}

/// The columns an input sets, for both insert and update.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = fiches, treat_none_as_null = true)]
struct Fields<'a> {
    title: &'a str,
    context: &'static str,
    assignment_id: Option<i64>,
    firm_name: Option<&'a str>,
    firm_sector: Option<&'a str>,
    firm_tutor: Option<&'a str>,
    context_text: &'a str,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    description: &'a str,
    software_id: Option<&'a str>,
    other_software: &'a str,
    features: String,
    updated_at: NaiveDateTime,
}

impl Checked {
    fn fields(&self, now: NaiveDateTime) -> Result<Fields<'_>, AppError> {
        Ok(Fields {
            title: &self.title,
            context: self.context.as_str(),
            assignment_id: self.assignment_id,
            firm_name: self.firm.as_ref().map(|f| f.name.as_str()),
            firm_sector: self.firm.as_ref().map(|f| f.sector.as_str()),
            firm_tutor: self.firm.as_ref().map(|f| f.tutor.as_str()),
            context_text: &self.context_text,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            description: &self.description,
            software_id: self.software_id.as_deref(),
            other_software: &self.other_software,
            features: serde_json::to_string(&self.features)?,
            updated_at: now,
        })
    }
}

/// Inserts a draft and its items; returns its id. Call inside a transaction.
pub fn insert(
    conn: &mut DbConnection,
    student_id: i64,
    checked: &Checked,
    now: NaiveDateTime,
) -> Result<i64, AppError> {
    let id = diesel::insert_into(fiches::table)
        .values((
            checked.fields(now)?,
            fiches::establishment_id.eq(checked.class.establishment_id),
            fiches::student_id.eq(student_id),
            fiches::class_id.eq(checked.class.class_id),
            fiches::referential_id.eq(&checked.class.referential_id),
            fiches::status.eq(FicheStatus::Draft.as_str()),
            fiches::submissions.eq(0),
            fiches::created_at.eq(now),
        ))
        .returning(fiches::id)
        .get_result::<i64>(conn)?;
    write_items(conn, id, &checked.items, &HashMap::new())?;
    record(conn, id, student_id, FicheAction::Created, None, &[], now)?;
    Ok(id)
}

/// Rewrites a fiche's fields and items, recording what changed. Levels already set on
/// items that stay are kept. Call inside a transaction.
pub fn update(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    row: &FicheRow,
    actor: i64,
    checked: &Checked,
    now: NaiveDateTime,
) -> Result<Vec<FieldChange>, AppError> {
    let before_items = items_of(conn, &[row.id])?
        .remove(&row.id)
        .unwrap_or_default();
    let changes = diff(conn, snapshot, row, &before_items, checked)?;
    if changes.is_empty() {
        return Ok(changes);
    }
    diesel::update(fiches::table.find(row.id))
        .set(checked.fields(now)?)
        .execute(conn)?;
    let levels: HashMap<String, i16> = before_items
        .into_iter()
        .filter_map(|(code, level)| level.map(|l| (code, l)))
        .collect();
    diesel::delete(fiche_items::table.filter(fiche_items::fiche_id.eq(row.id))).execute(conn)?;
    write_items(conn, row.id, &checked.items, &levels)?;
    record(
        conn,
        row.id,
        actor,
        FicheAction::Edited,
        None,
        &changes,
        now,
    )?;
    Ok(changes)
}

fn write_items(
    conn: &mut DbConnection,
    fiche_id: i64,
    codes: &[String],
    levels: &HashMap<String, i16>,
) -> Result<(), AppError> {
    let rows: Vec<_> = codes
        .iter()
        .map(|code| {
            (
                fiche_items::fiche_id.eq(fiche_id),
                fiche_items::item_code.eq(code.as_str()),
                fiche_items::level.eq(levels.get(code).copied()),
            )
        })
        .collect();
    if !rows.is_empty() {
        crate::with_conn!(conn, |c| diesel::insert_into(fiche_items::table)
            .values(&rows)
            .execute(c))?;
    }
    Ok(())
}

/// What an edit changes, in the words of the form, for the history.
fn diff(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    row: &FicheRow,
    before_items: &[(String, Option<i16>)],
    after: &Checked,
) -> Result<Vec<FieldChange>, AppError> {
    let mut changes = Vec::new();
    let mut field = |name: &str, before: String, after: String| {
        if before != after {
            changes.push(FieldChange {
                field: name.to_owned(),
                before,
                after,
            });
        }
    };
    let date = |d: Option<NaiveDate>| {
        d.map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default()
    };
    field("titre", row.title.clone(), after.title.clone());
    field(
        "contexte",
        row.context().label().to_owned(),
        after.context.label().to_owned(),
    );
    let exercise_title = |conn: &mut DbConnection, id: Option<i64>| -> Result<String, AppError> {
        Ok(match id {
            Some(id) => class_exercises::table
                .inner_join(exercises::table)
                .filter(class_exercises::id.eq(id))
                .select(exercises::title)
                .first::<String>(conn)
                .optional()?
                .unwrap_or_default(),
            None => String::new(),
        })
    };
    field(
        "exercice",
        exercise_title(conn, row.assignment_id)?,
        exercise_title(conn, after.assignment_id)?,
    );
    let firm = |f: Option<Firm>| {
        f.map(|f| {
            [f.name, f.sector, f.tutor]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" — ")
        })
        .unwrap_or_default()
    };
    field("entreprise", firm(row.firm()), firm(after.firm.clone()));
    field(
        "situation",
        row.context_text.clone(),
        after.context_text.clone(),
    );
    field("début", date(row.starts_on), date(after.starts_on));
    field("fin", date(row.ends_on), date(after.ends_on));
    field(
        "ce qui a été fait",
        row.description.clone(),
        after.description.clone(),
    );
    let software = |id: &Option<String>| {
        id.as_ref()
            .map(|id| {
                snapshot
                    .pgi()
                    .software
                    .iter()
                    .find(|s| s.id == *id)
                    .map_or_else(|| id.clone(), |s| s.name.clone())
            })
            .unwrap_or_default()
    };
    field(
        "logiciel",
        software(&row.software_id),
        software(&after.software_id),
    );
    field(
        "autres logiciels",
        row.other_software.clone(),
        after.other_software.clone(),
    );
    let before_features: Vec<String> = serde_json::from_str(&row.features)?;
    field(
        "fonctionnalités",
        before_features.join(", "),
        after.features.join(", "),
    );
    let before_codes: Vec<&str> = before_items.iter().map(|(c, _)| c.as_str()).collect();
    let after_codes: Vec<&str> = after.items.iter().map(String::as_str).collect();
    field(
        "éléments montrés",
        before_codes.join(", "),
        after_codes.join(", "),
    );
    Ok(changes)
}

/// Appends an entry to a fiche's history.
pub fn record(
    conn: &mut DbConnection,
    fiche_id: i64,
    actor: i64,
    action: FicheAction,
    comment: Option<&str>,
    changes: &[FieldChange],
    now: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(fiche_events::table)
        .values((
            fiche_events::fiche_id.eq(fiche_id),
            fiche_events::actor_id.eq(actor),
            fiche_events::at.eq(now),
            fiche_events::action.eq(action.as_str()),
            fiche_events::comment.eq(comment),
            fiche_events::changes.eq(serde_json::to_string(changes)?),
        ))
        .execute(conn)?;
    Ok(())
}

/// Item codes of a fiche with the level set on each, if any.
pub type ItemsOfFiche = Vec<(String, Option<i16>)>;

/// Item codes and levels of each fiche, in insertion (referential) order.
pub fn items_of(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<HashMap<i64, ItemsOfFiche>, AppError> {
    let mut out: HashMap<i64, ItemsOfFiche> = HashMap::new();
    for chunk in ids.chunks(crate::demo::CHUNK) {
        let rows: Vec<(i64, String, Option<i16>)> = fiche_items::table
            .filter(fiche_items::fiche_id.eq_any(chunk))
            .select((
                fiche_items::fiche_id,
                fiche_items::item_code,
                fiche_items::level,
            ))
            .load(conn)?;
        for (id, code, level) in rows {
            out.entry(id).or_default().push((code, level));
        }
    }
    Ok(out)
}

/// Fiche `id` as `principal` sees it (404 when they may not): what every write answers.
pub fn visible(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    principal: &crate::auth::store::Principal,
    id: i64,
) -> Result<Fiche, AppError> {
    let (row, standing) = access::visible_fiche(conn, principal, id)?;
    fiche(conn, snapshot, row, standing)
}

/// The whole fiche as its reader sees it.
pub fn fiche(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    row: FicheRow,
    standing: Standing,
) -> Result<Fiche, AppError> {
    let entry = snapshot.get(&row.referential_id);
    let mut items: Vec<(usize, FicheItem)> = items_of(conn, &[row.id])?
        .remove(&row.id)
        .unwrap_or_default()
        .into_iter()
        .map(|(code, level)| {
            let index = entry.and_then(|e| e.index_of(&code));
            let item = entry.and_then(|e| e.item(&code));
            (
                index.unwrap_or(usize::MAX),
                FicheItem {
                    kind: item.map_or(ItemKind::Task, |i| i.kind),
                    label: item.map_or_else(
                        || "(élément retiré du référentiel)".to_owned(),
                        |i| i.label.clone(),
                    ),
                    code,
                    level: level.and_then(|l| u8::try_from(l).ok()),
                },
            )
        })
        .collect();
    items.sort_by_key(|a| a.0);
    let items: Vec<FicheItem> = items.into_iter().map(|(_, i)| i).collect();
    let keys: Vec<(String, String)> = items
        .iter()
        .map(|i| (row.referential_id.clone(), i.code.clone()))
        .collect();
    let class_name = classes::table
        .find(row.class_id)
        .select(classes::name)
        .first::<String>(conn)?;
    let exercise = match row.assignment_id {
        Some(id) => class_exercises::table
            .inner_join(exercises::table)
            .filter(class_exercises::id.eq(id))
            .select((
                class_exercises::id,
                exercises::id,
                exercises::title,
                class_exercises::starts_on,
                class_exercises::ends_on,
            ))
            .first::<(i64, i64, String, NaiveDate, NaiveDate)>(conn)
            .optional()?
            .map(
                |(assignment_id, exercise_id, title, starts_on, ends_on)| FicheExercise {
                    assignment_id,
                    exercise_id,
                    title,
                    starts_on,
                    ends_on,
                },
            ),
        None => None,
    };
    let status = row.status();
    Ok(Fiche {
        id: row.id,
        student: person(conn, row.student_id)?,
        class_id: row.class_id,
        class_name,
        referential_id: row.referential_id.clone(),
        title: row.title.clone(),
        context: row.context(),
        exercise,
        firm: row.firm(),
        context_text: row.context_text.clone(),
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        description: row.description.clone(),
        software_id: row.software_id.clone(),
        other_software: row.other_software.clone(),
        features: serde_json::from_str(&row.features)?,
        items,
        implied: snapshot.implied(&keys),
        attachments: attachments_of(conn, &[row.id])?
            .remove(&row.id)
            .unwrap_or_default(),
        status,
        submissions: u32::try_from(row.submissions).unwrap_or(0),
        scale: entry.map(|e| e.mastery_scale()).unwrap_or_default(),
        created_at: row.created_at,
        updated_at: row.updated_at,
        submitted_at: row.submitted_at,
        validated_at: row.validated_at,
        validated_by: row.validated_by.map(|id| person(conn, id)).transpose()?,
        history: histories(conn, &[row.id], |c| Ok(serde_json::from_str(c)?))?
            .remove(&row.id)
            .unwrap_or_default(),
        can_edit: standing == Standing::Owner && status.editable(),
        can_review: standing == Standing::Reviewer && status == FicheStatus::Submitted,
    })
}

/// The attachments of these fiches, by fiche, each list in upload order.
pub fn attachments_of(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<Attachment>>, AppError> {
    type AttachmentRow = (i64, i64, String, String, i64, NaiveDateTime);
    let mut out: HashMap<i64, Vec<Attachment>> = HashMap::new();
    for chunk in ids.chunks(crate::demo::CHUNK) {
        let rows: Vec<AttachmentRow> = fiche_attachments::table
            .filter(fiche_attachments::fiche_id.eq_any(chunk))
            .order(fiche_attachments::id)
            .select((
                fiche_attachments::fiche_id,
                fiche_attachments::id,
                fiche_attachments::file_name,
                fiche_attachments::content_type,
                fiche_attachments::size,
                fiche_attachments::uploaded_at,
            ))
            .load(conn)?;
        for (fiche, id, file_name, content_type, size, uploaded_at) in rows {
            out.entry(fiche).or_default().push(Attachment {
                id,
                file_name,
                content_type,
                size: u64::try_from(size).unwrap_or(0),
                uploaded_at,
            });
        }
    }
    Ok(out)
}

/// The histories of these fiches, by fiche, each in order. `changes` reads each event's
/// recorded changes (JSON): the fiche view refuses a broken record, the exports show the
/// event without its changes.
pub fn histories(
    conn: &mut DbConnection,
    ids: &[i64],
    changes: impl Fn(&str) -> Result<Vec<FieldChange>, AppError>,
) -> Result<HashMap<i64, Vec<FicheEvent>>, AppError> {
    type EventRow = (
        i64,
        NaiveDateTime,
        i64,
        String,
        String,
        String,
        Option<String>,
        String,
    );
    let mut out: HashMap<i64, Vec<FicheEvent>> = HashMap::new();
    for chunk in ids.chunks(crate::demo::CHUNK) {
        let rows: Vec<EventRow> = fiche_events::table
            .inner_join(users::table.on(users::id.eq(fiche_events::actor_id)))
            .filter(fiche_events::fiche_id.eq_any(chunk))
            .order(fiche_events::id)
            .select((
                fiche_events::fiche_id,
                fiche_events::at,
                users::id,
                users::first_name,
                users::last_name,
                fiche_events::action,
                fiche_events::comment,
                fiche_events::changes,
            ))
            .load(conn)?;
        for (fiche, at, id, first_name, last_name, action, comment, recorded) in rows {
            out.entry(fiche).or_default().push(FicheEvent {
                at,
                actor: PersonRef {
                    id,
                    first_name,
                    last_name,
                },
                action: FicheAction::parse(&action).unwrap_or(FicheAction::Edited),
                comment,
                changes: changes(&recorded)?,
            });
        }
    }
    Ok(out)
}

/// List lines for fiche rows, in the order given.
pub fn summaries(
    conn: &mut DbConnection,
    rows: Vec<SummaryRow>,
) -> Result<Vec<FicheSummary>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut items = items_of(conn, &ids)?;
    let mut attachment_counts: HashMap<i64, i64> = HashMap::new();
    for chunk in ids.chunks(crate::demo::CHUNK) {
        let counts: Vec<(i64, i64)> = fiche_attachments::table
            .filter(fiche_attachments::fiche_id.eq_any(chunk))
            .group_by(fiche_attachments::fiche_id)
            .select((fiche_attachments::fiche_id, diesel::dsl::count_star()))
            .load(conn)?;
        attachment_counts.extend(counts);
    }
    let students: HashSet<i64> = rows.iter().map(|r| r.student_id).collect();
    let students: Vec<i64> = students.into_iter().collect();
    let people = crate::exercises::store::people(conn, &students)?;
    let class_ids: HashSet<i64> = rows.iter().map(|r| r.class_id).collect();
    let class_ids: Vec<i64> = class_ids.into_iter().collect();
    let class_names: HashMap<i64, String> = classes::table
        .filter(classes::id.eq_any(&class_ids))
        .select((classes::id, classes::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| FicheSummary {
            id: row.id,
            student: people.get(&row.student_id).cloned().unwrap_or(PersonRef {
                id: row.student_id,
                first_name: String::new(),
                last_name: String::new(),
            }),
            class_id: row.class_id,
            class_name: class_names.get(&row.class_id).cloned().unwrap_or_default(),
            context: ContextKind::parse(&row.context).unwrap_or_default(),
            status: FicheStatus::parse(&row.status).unwrap_or_default(),
            title: row.title,
            starts_on: row.starts_on,
            submissions: u32::try_from(row.submissions).unwrap_or(0),
            items: items
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .map(|(c, _)| c)
                .collect(),
            attachments: attachment_counts
                .get(&row.id)
                .map_or(0, |&n| u32::try_from(n).unwrap_or(0)),
            updated_at: row.updated_at,
            submitted_at: row.submitted_at,
        })
        .collect())
}
