//! Exercise rows, their links to referential items and their file; the access rules on
//! one exercise; input checks against the referentials in memory.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use passerelle_api::{
    AttachedFile, Exercise, ExerciseInput, ExerciseSummary, ItemKind, ItemLink, LinkedItem,
    PersonRef, Role, Visibility, EXERCISE_INSTRUCTIONS_MAX_CHARS, EXERCISE_TITLE_MAX_CHARS,
};

use super::exercise_not_found;
use crate::auth::store::Principal;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::people::{field_error, required};
use crate::referentials::catalog::Snapshot;
use crate::schema::{exercise_files, exercise_items, exercises, users};

/// Kinds an exercise can be mapped to: what is practised, not how it is grouped.
pub const MAPPABLE_KINDS: [ItemKind; 3] =
    [ItemKind::Task, ItemKind::Situation, ItemKind::Competency];

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = exercises)]
pub struct ExerciseRow {
    pub id: i64,
    pub establishment_id: i64,
    pub author_id: i64,
    pub title: String,
    pub instructions: String,
    pub software_id: Option<String>,
    pub base_id: Option<String>,
    pub modules: String,
    pub features: String,
    pub duration_minutes: Option<i32>,
    pub level: Option<String>,
    pub visibility: String,
    pub copied_from: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ExerciseRow {
    pub fn visibility(&self) -> Visibility {
        Visibility::parse(&self.visibility).unwrap_or_default()
    }

    /// Same establishment, and the author's, shared, or the principal is an admin.
    pub fn visible_to(&self, principal: &Principal) -> bool {
        principal.establishment_id == Some(self.establishment_id)
            && (self.author_id == principal.user_id
                || self.visibility() == Visibility::Establishment
                || principal.has(Role::Admin))
    }

    /// The author, or an admin of the establishment.
    pub fn editable_by(&self, principal: &Principal) -> bool {
        principal.establishment_id == Some(self.establishment_id)
            && (self.author_id == principal.user_id || principal.has(Role::Admin))
    }

    fn list(json: &str) -> Vec<String> {
        serde_json::from_str(json).unwrap_or_default()
    }
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<ExerciseRow>, AppError> {
    Ok(exercises::table
        .find(id)
        .select(ExerciseRow::as_select())
        .first(conn)
        .optional()?)
}

/// The exercise if the principal may see it; 404 otherwise.
pub fn visible(
    conn: &mut DbConnection,
    principal: &Principal,
    id: i64,
) -> Result<ExerciseRow, AppError> {
    find(conn, id)?
        .filter(|row| row.visible_to(principal))
        .ok_or_else(|| exercise_not_found(id))
}

/// The exercise if the principal may edit it: 404 when they cannot even see it, 403 when
/// they can see but not edit it (a colleague's shared exercise).
pub fn editable(
    conn: &mut DbConnection,
    principal: &Principal,
    id: i64,
) -> Result<ExerciseRow, AppError> {
    let row = visible(conn, principal, id)?;
    if !row.editable_by(principal) {
        return Err(AppError::forbidden(
            "seul l'auteur de l'exercice ou un administrateur peut le modifier \
             (dupliquez-le pour en faire votre version)",
        ));
    }
    Ok(row)
}

/// An exercise input checked and normalised, ready to write.
pub struct Checked {
    pub title: String,
    pub instructions: String,
    pub software_id: Option<String>,
    pub base_id: Option<String>,
    pub modules: Vec<String>,
    pub features: Vec<String>,
    pub duration_minutes: Option<i32>,
    pub level: Option<String>,
    pub visibility: Visibility,
    pub items: Vec<ItemLink>,
}

fn optional_text(
    field: &str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, AppError> {
    match value.map(|v| crate::people::import::collapse_spaces(&v)) {
        Some(v) if v.is_empty() => Ok(None),
        Some(v) if v.chars().count() > max => {
            Err(field_error(field, &format!("{max} caractères au plus")))
        }
        v => Ok(v),
    }
}

fn dedup(values: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    values
        .into_iter()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && seen.insert(v.clone()))
        .collect()
}

/// Checks an input against the referentials and the PGI catalogue: shape errors are 400
/// naming the field; unknown items, software, bases, modules or features are 422 naming
/// the code. `field` prefixes field names (a catalogue import names its row).
pub fn check(snapshot: &Snapshot, input: ExerciseInput) -> Result<Checked, AppError> {
    let title = required("title", &input.title, EXERCISE_TITLE_MAX_CHARS)?;
    let instructions = input.instructions.trim_end().to_owned();
    if instructions.chars().count() > EXERCISE_INSTRUCTIONS_MAX_CHARS {
        return Err(field_error(
            "instructions",
            &format!("{EXERCISE_INSTRUCTIONS_MAX_CHARS} caractères au plus"),
        ));
    }
    let duration_minutes = match input.duration_minutes {
        None => None,
        Some(d @ 1..=6000) => Some(d as i32),
        Some(_) => {
            return Err(field_error(
                "duration_minutes",
                "une durée entre 1 et 6000 minutes",
            ))
        }
    };
    let level = optional_text("level", input.level, 80)?;
    let software_id = optional_text("software_id", input.software_id, 80)?;
    let base_id = optional_text("base_id", input.base_id, 80)?;
    let mut modules = dedup(input.modules);
    let features = dedup(input.features);
    check_pgi(
        snapshot,
        software_id.as_deref(),
        base_id.as_deref(),
        &modules,
        &features,
    )?;
    // A feature's module is used whenever the feature is: no need to tick both.
    for feature in &features {
        let module = snapshot.pgi().features.iter().find(|f| f.id == *feature);
        if let Some(module) = module.map(|f| &f.module) {
            if !modules.contains(module) {
                modules.push(module.clone());
            }
        }
    }
    let items = check_links(snapshot, input.items)?;
    Ok(Checked {
        title,
        instructions,
        software_id,
        base_id,
        modules,
        features,
        duration_minutes,
        level,
        visibility: input.visibility,
        items,
    })
}

/// Software, base, modules and features must exist in the PGI catalogue, and the base
/// must be one for the chosen software.
pub fn check_pgi(
    snapshot: &Snapshot,
    software: Option<&str>,
    base: Option<&str>,
    modules: &[String],
    features: &[String],
) -> Result<(), AppError> {
    let pgi = snapshot.pgi();
    let unknown = |field: &str, what: &str, id: &str| {
        AppError::unprocessable(
            "unknown_pgi",
            format!("{field} : {what} inconnu du catalogue PGI : « {id} »"),
        )
    };
    if let Some(s) = software.filter(|s| !pgi.software.iter().any(|x| x.id == *s)) {
        return Err(unknown("software_id", "logiciel", s));
    }
    if let Some(b) = base {
        let found = pgi
            .bases
            .iter()
            .find(|x| x.id == b)
            .ok_or_else(|| unknown("base_id", "base", b))?;
        if let Some(s) = software.filter(|s| !found.software.iter().any(|x| x == s)) {
            return Err(AppError::unprocessable(
                "unknown_pgi",
                format!(
                    "base_id : la base « {} » ne s'utilise pas avec « {s} »",
                    found.name
                ),
            ));
        }
    }
    if let Some(m) = modules
        .iter()
        .find(|m| !pgi.modules.iter().any(|x| x.id == **m))
    {
        return Err(unknown("modules", "module", m));
    }
    if let Some(f) = features
        .iter()
        .find(|f| !pgi.features.iter().any(|x| x.id == **f))
    {
        return Err(unknown("features", "fonctionnalité", f));
    }
    Ok(())
}

/// Every link must name an existing item of a mappable kind; repeated links merge (main
/// wins).
pub fn check_links(snapshot: &Snapshot, links: Vec<ItemLink>) -> Result<Vec<ItemLink>, AppError> {
    let mut out: Vec<ItemLink> = Vec::with_capacity(links.len());
    let mut at: HashMap<(String, String), usize> = HashMap::new();
    for (i, link) in links.into_iter().enumerate() {
        let name = format!("{}:{}", link.referential_id, link.code);
        let item = snapshot
            .get(&link.referential_id)
            .and_then(|e| e.item(&link.code))
            .ok_or_else(|| {
                AppError::unprocessable(
                    "unknown_item",
                    format!("items[{i}] : élément inconnu : {name}"),
                )
            })?;
        if !MAPPABLE_KINDS.contains(&item.kind) {
            return Err(AppError::unprocessable(
                "unmappable_item",
                format!(
                    "items[{i}] : {name} est un élément de type « {} » ; un exercice se relie \
                     à une tâche, une situation ou une compétence",
                    item.kind.label_fr().to_lowercase()
                ),
            ));
        }
        let key = (link.referential_id.clone(), link.code.clone());
        match at.get(&key) {
            Some(&j) => out[j].main |= link.main,
            None => {
                at.insert(key, out.len());
                out.push(link);
            }
        }
    }
    Ok(out)
}

/// The columns an input sets, for both insert and update.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = exercises, treat_none_as_null = true)]
struct Fields<'a> {
    title: &'a str,
    instructions: &'a str,
    software_id: Option<&'a str>,
    base_id: Option<&'a str>,
    modules: String,
    features: String,
    duration_minutes: Option<i32>,
    level: Option<&'a str>,
    visibility: &'static str,
    updated_at: NaiveDateTime,
}

impl Checked {
    fn fields(&self, now: NaiveDateTime) -> Result<Fields<'_>, AppError> {
        Ok(Fields {
            title: &self.title,
            instructions: &self.instructions,
            software_id: self.software_id.as_deref(),
            base_id: self.base_id.as_deref(),
            modules: serde_json::to_string(&self.modules)?,
            features: serde_json::to_string(&self.features)?,
            duration_minutes: self.duration_minutes,
            level: self.level.as_deref(),
            visibility: self.visibility.as_str(),
            updated_at: now,
        })
    }
}

/// Inserts an exercise and its links; returns its id.
pub fn insert(
    conn: &mut DbConnection,
    establishment: i64,
    author: i64,
    checked: &Checked,
    copied_from: Option<i64>,
    now: NaiveDateTime,
) -> Result<i64, AppError> {
    let fields = checked.fields(now)?;
    let id: i64 = crate::with_conn!(conn, |c| diesel::insert_into(exercises::table)
        .values((
            &fields,
            exercises::establishment_id.eq(establishment),
            exercises::author_id.eq(author),
            exercises::copied_from.eq(copied_from),
            exercises::created_at.eq(now),
        ))
        .returning(exercises::id)
        .get_result(c)?);
    write_links(conn, id, &checked.items)?;
    Ok(id)
}

pub fn update(
    conn: &mut DbConnection,
    id: i64,
    checked: &Checked,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(exercises::table.find(id))
        .set(&checked.fields(now)?)
        .execute(conn)?;
    diesel::delete(exercise_items::table.filter(exercise_items::exercise_id.eq(id)))
        .execute(conn)?;
    write_links(conn, id, &checked.items)
}

fn write_links(conn: &mut DbConnection, id: i64, links: &[ItemLink]) -> Result<(), AppError> {
    for chunk in links.chunks(500) {
        let values: Vec<_> = chunk
            .iter()
            .map(|l| {
                (
                    exercise_items::exercise_id.eq(id),
                    exercise_items::referential_id.eq(&l.referential_id),
                    exercise_items::item_code.eq(&l.code),
                    exercise_items::main.eq(l.main),
                )
            })
            .collect();
        crate::with_conn!(conn, |c| diesel::insert_into(exercise_items::table)
            .values(values)
            .execute(c))?;
    }
    Ok(())
}

/// Links of several exercises at once: exercise id → links.
pub fn links_of(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<ItemLink>>, AppError> {
    let mut out: HashMap<i64, Vec<ItemLink>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String, String, bool)> = exercise_items::table
            .filter(exercise_items::exercise_id.eq_any(chunk))
            .select((
                exercise_items::exercise_id,
                exercise_items::referential_id,
                exercise_items::item_code,
                exercise_items::main,
            ))
            .load(conn)?;
        for (exercise, referential_id, code, main) in rows {
            out.entry(exercise).or_default().push(ItemLink {
                referential_id,
                code,
                main,
            });
        }
    }
    Ok(out)
}

/// Links with kinds and labels, main first, then in referential order. A link to an item
/// a referential reload removed is kept and shown as such, not silently dropped.
pub fn linked_items(snapshot: &Snapshot, links: &[ItemLink]) -> Vec<LinkedItem> {
    let mut items: Vec<(bool, String, usize, LinkedItem)> = links
        .iter()
        .map(|l| {
            let entry = snapshot.get(&l.referential_id);
            let index = entry.and_then(|e| e.index_of(&l.code));
            let item = entry.and_then(|e| e.item(&l.code));
            (
                !l.main,
                l.referential_id.clone(),
                index.unwrap_or(usize::MAX),
                LinkedItem {
                    referential_id: l.referential_id.clone(),
                    code: l.code.clone(),
                    kind: item.map_or(ItemKind::Task, |i| i.kind),
                    label: item.map_or_else(
                        || "(élément retiré du référentiel)".to_owned(),
                        |i| i.label.clone(),
                    ),
                    main: l.main,
                },
            )
        })
        .collect();
    items.sort_by(|a, b| (a.0, &a.1, a.2).cmp(&(b.0, &b.1, b.2)));
    items.into_iter().map(|(_, _, _, item)| item).collect()
}

pub fn person(conn: &mut DbConnection, id: i64) -> Result<PersonRef, AppError> {
    let (first_name, last_name) = users::table
        .find(id)
        .select((users::first_name, users::last_name))
        .first::<(String, String)>(conn)?;
    Ok(PersonRef {
        id,
        first_name,
        last_name,
    })
}

/// Names of these users (distinct ids), by id.
pub fn people(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<i64, PersonRef>, AppError> {
    let mut people = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(crate::demo::CHUNK) {
        let found: Vec<(i64, String, String)> = users::table
            .filter(users::id.eq_any(chunk))
            .select((users::id, users::first_name, users::last_name))
            .load(conn)?;
        for (id, first_name, last_name) in found {
            people.insert(
                id,
                PersonRef {
                    id,
                    first_name,
                    last_name,
                },
            );
        }
    }
    Ok(people)
}

pub fn file_info(conn: &mut DbConnection, id: i64) -> Result<Option<AttachedFile>, AppError> {
    Ok(exercise_files::table
        .find(id)
        .select((
            exercise_files::file_name,
            exercise_files::content_type,
            exercise_files::size,
        ))
        .first::<(String, String, i64)>(conn)
        .optional()?
        .map(|(file_name, content_type, size)| AttachedFile {
            file_name,
            content_type,
            size: size.max(0) as u64,
        }))
}

/// The whole exercise as the principal sees it.
pub fn exercise(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    principal: &Principal,
    row: ExerciseRow,
) -> Result<Exercise, AppError> {
    let links = links_of(conn, &[row.id])?
        .remove(&row.id)
        .unwrap_or_default();
    let copied_from = match row.copied_from {
        Some(source) => find(conn, source)?
            .filter(|s| s.visible_to(principal))
            .map(|s| s.id),
        None => None,
    };
    let keys: Vec<(String, String)> = links
        .iter()
        .map(|l| (l.referential_id.clone(), l.code.clone()))
        .collect();
    Ok(Exercise {
        id: row.id,
        author: person(conn, row.author_id)?,
        items: linked_items(snapshot, &links),
        implied: snapshot.implied(&keys),
        file: file_info(conn, row.id)?,
        copied_from,
        can_edit: row.editable_by(principal),
        visibility: row.visibility(),
        modules: ExerciseRow::list(&row.modules),
        features: ExerciseRow::list(&row.features),
        duration_minutes: row.duration_minutes.map(|d| d.max(0) as u32),
        title: row.title,
        instructions: row.instructions,
        software_id: row.software_id,
        base_id: row.base_id,
        level: row.level,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The exercise as the principal sees it, if they may (404 otherwise).
pub fn visible_exercise(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    principal: &Principal,
    id: i64,
) -> Result<Exercise, AppError> {
    let row = visible(conn, principal, id)?;
    exercise(conn, snapshot, principal, row)
}

/// Every exercise the principal may see, most recently updated first.
pub fn visible_rows(
    conn: &mut DbConnection,
    principal: &Principal,
    establishment: i64,
) -> Result<Vec<ExerciseRow>, AppError> {
    let mut query = exercises::table
        .filter(exercises::establishment_id.eq(establishment))
        .select(ExerciseRow::as_select())
        .order((exercises::updated_at.desc(), exercises::id.desc()))
        .into_boxed();
    if !principal.has(Role::Admin) {
        query = query.filter(
            exercises::author_id
                .eq(principal.user_id)
                .or(exercises::visibility.eq(Visibility::Establishment.as_str())),
        );
    }
    Ok(query.load(conn)?)
}

/// The catalogue list: summaries of the visible exercises.
pub fn summaries(
    conn: &mut DbConnection,
    principal: &Principal,
    rows: Vec<ExerciseRow>,
) -> Result<Vec<ExerciseSummary>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut links = links_of(conn, &ids)?;
    let mut authors: Vec<i64> = rows.iter().map(|r| r.author_id).collect();
    authors.sort_unstable();
    authors.dedup();
    let people = people(conn, &authors)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let links = links.remove(&row.id).unwrap_or_default();
            let mut main_items: Vec<String> = links
                .iter()
                .filter(|l| l.main)
                .map(|l| format!("{}:{}", l.referential_id, l.code))
                .collect();
            main_items.sort();
            ExerciseSummary {
                id: row.id,
                author: people.get(&row.author_id).cloned().unwrap_or(PersonRef {
                    id: row.author_id,
                    first_name: String::new(),
                    last_name: String::new(),
                }),
                can_edit: row.editable_by(principal),
                visibility: row.visibility(),
                main_items,
                item_count: links.len() as u32,
                duration_minutes: row.duration_minutes.map(|d| d.max(0) as u32),
                title: row.title,
                software_id: row.software_id,
                base_id: row.base_id,
                level: row.level,
                updated_at: row.updated_at,
            }
        })
        .collect())
}
