//! Progress: what a student's fiches show of their class's referential, item by item and
//! bloc by bloc, and what is still missing before the exam; the same for a whole class
//! (students × items, the heatmap).
//!
//! Computed in memory from the referential snapshot (its [`Layout`], built once) and one
//! query of the fiches' items, keyed on the student or on the class (covering indexes
//! `fiches_by_class`, `fiche_items_levels`): a class of 35 students with 50 fiches each
//! is one query and a few thousand rows, never a query per student. A class's tally is
//! kept by each server between reads ([`EvidenceCache`]) and checked against the database
//! on every read.
//!
//! Which items count: the mappable ones (tasks, situations, competencies). Each belongs to
//! the bloc above it; tasks and situations that sit under a domain (BTS GPME, AGOrA) belong
//! to that domain's bloc (domain n = bloc n). A bloc is assessed in CCF when its code or
//! one of its units' codes is in the referential's `ccf_units` setting; its items with no
//! validated fiche are "missing before the exam".

use std::collections::{HashMap, HashSet};

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use passerelle_api::{
    AttrValue, BlocProgress, ClassProgress, FicheStatus, ItemKind, PersonRef, ProgressCell,
    ProgressItem, StudentProgress, StudentProgressRow,
};
use serde::Deserialize;

use super::access::{self, StudentClass};
use crate::auth::store::Principal;
use crate::db::{run, DbConnection};
use crate::error::AppError;
use crate::exercises::store::{person, MAPPABLE_KINDS};
use crate::referentials::api::snapshot;
use crate::referentials::catalog::{Entry, Snapshot};
use crate::schema::{class_students, classes, fiche_items, fiches, users};
use crate::server::AppState;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/students/{id}/progress", web::get().to(student_progress))
        .route("/classes/{id}/progress", web::get().to(class_progress));
}

/// `?class_id=`: which of the student's classes (default: the latest).
#[derive(Debug, Default, Deserialize)]
pub struct PortfolioQuery {
    pub class_id: Option<i64>,
}

/// The rows of every progress view (and the columns of the passeport): the referential's
/// mappable items in display order, each with its bloc, and the blocs with their units.
/// Depends on the referential only: built once per snapshot ([`Entry::progress`]).
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub scale: Vec<String>,
    pub items: Vec<ProgressItem>,
    /// Position of each item in [`Entry::items`].
    pub entry_index: Vec<usize>,
    /// Position in `blocs` of each item's bloc.
    pub item_bloc: Vec<Option<usize>>,
    /// Every bloc of the referential, `items` counted, `evidenced` zero.
    pub blocs: Vec<BlocProgress>,
    position: HashMap<String, usize>,
}

/// The codes a referential's `ccf_units` setting lists.
fn ccf_units(entry: &Entry) -> HashSet<&str> {
    match entry.attributes.get("ccf_units") {
        Some(AttrValue::List(codes)) => codes.iter().map(String::as_str).collect(),
        Some(AttrValue::Text(code)) => HashSet::from([code.as_str()]),
        _ => HashSet::new(),
    }
}

impl Layout {
    pub fn of(entry: &Entry) -> Layout {
        let all = entry.items();
        let ccf = ccf_units(entry);
        // Blocs in file order; the blocs each domain holds; the units of each bloc.
        let mut bloc_position: HashMap<usize, usize> = HashMap::new();
        let mut blocs_of_domain: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut blocs: Vec<BlocProgress> = Vec::new();
        for (i, item) in all.iter().enumerate() {
            if item.kind != ItemKind::Bloc {
                continue;
            }
            if let Some(parent) = item.parent.as_deref().and_then(|p| entry.index_of(p)) {
                if all[parent].kind == ItemKind::Domain {
                    blocs_of_domain.entry(parent).or_default().push(i);
                }
            }
            bloc_position.insert(i, blocs.len());
            blocs.push(BlocProgress {
                code: item.code.clone(),
                label: item.label.clone(),
                units: Vec::new(),
                ccf: ccf.contains(item.code.as_str()),
                items: 0,
                evidenced: 0,
            });
        }
        for item in all.iter().filter(|i| i.kind == ItemKind::Unit) {
            let parent = item.parent.as_deref().and_then(|p| entry.index_of(p));
            if let Some(&b) = parent.and_then(|p| bloc_position.get(&p)) {
                blocs[b].units.push(item.code.clone());
                if ccf.contains(item.code.as_str()) {
                    blocs[b].ccf = true;
                }
            }
        }
        let mut layout = Layout {
            scale: entry.mastery_scale(),
            items: Vec::new(),
            entry_index: Vec::new(),
            item_bloc: Vec::new(),
            blocs,
            position: HashMap::new(),
        };
        for (i, item) in all.iter().enumerate() {
            if !MAPPABLE_KINDS.contains(&item.kind) {
                continue;
            }
            let ancestors = entry.ancestor_indices(i);
            let bloc = ancestors
                .iter()
                .rev()
                .copied()
                .find(|&a| all[a].kind == ItemKind::Bloc)
                .or_else(|| {
                    let domain = ancestors
                        .iter()
                        .rev()
                        .copied()
                        .find(|&a| all[a].kind == ItemKind::Domain)?;
                    match blocs_of_domain.get(&domain).map(Vec::as_slice) {
                        Some(&[only]) => Some(only),
                        _ => None,
                    }
                })
                .and_then(|b| bloc_position.get(&b).copied());
            let ccf = bloc.is_some_and(|b| layout.blocs[b].ccf);
            if let Some(b) = bloc {
                layout.blocs[b].items += 1;
            }
            layout
                .position
                .insert(item.code.clone(), layout.items.len());
            layout.items.push(ProgressItem {
                code: item.code.clone(),
                kind: item.kind,
                label: item.label.clone(),
                bloc: bloc.map(|b| layout.blocs[b].code.clone()),
                ccf,
            });
            layout.entry_index.push(i);
            layout.item_bloc.push(bloc);
        }
        layout
    }

    /// Position in `items` of an item code.
    pub fn position(&self, code: &str) -> Option<usize> {
        self.position.get(code).copied()
    }
}

/// One item shown by one fiche, with what the progress needs of the fiche.
pub struct Evidence {
    pub student_id: i64,
    pub fiche_id: i64,
    pub status: FicheStatus,
    pub code: String,
    pub level: Option<i16>,
}

/// Statuses that count: validated fiches, and submitted ones (pending).
const COUNTED: [&str; 2] = ["submitted", "validated"];

/// (student, fiche, validated?, item code, level).
type EvidenceRow = (i64, i64, bool, String, Option<i16>);

fn evidence(rows: Vec<EvidenceRow>) -> Vec<Evidence> {
    rows.into_iter()
        .map(|(student_id, fiche_id, validated, code, level)| Evidence {
            student_id,
            fiche_id,
            status: if validated {
                FicheStatus::Validated
            } else {
                FicheStatus::Submitted
            },
            code,
            level,
        })
        .collect()
}

/// The items of the counted fiches of a class (or of one student in it) for the class's
/// referential (their codes are that referential's), in validation
/// order (validation time, then fiche id), so that the latest level of an item is the
/// last one read. The engine sorts them: reading the timestamps out to compare them
/// here cost more than the rest of the tally. Both read the covering indexes
/// `fiches_by_class` and `fiche_items_levels`, never the fiche rows.
fn evidence_where(
    conn: &mut DbConnection,
    class_id: i64,
    referential_id: &str,
    student_id: Option<i64>,
) -> Result<Vec<Evidence>, AppError> {
    let mut query = fiches::table
        .inner_join(fiche_items::table)
        .filter(fiches::class_id.eq(class_id))
        .filter(fiches::status.eq_any(COUNTED))
        .filter(fiches::referential_id.eq(referential_id))
        .select((
            fiches::student_id,
            fiches::id,
            fiches::status.eq(FicheStatus::Validated.as_str()),
            fiche_items::item_code,
            fiche_items::level,
        ))
        .order((fiches::validated_at.asc(), fiches::id.asc()))
        .into_boxed();
    if let Some(student_id) = student_id {
        query = query.filter(fiches::student_id.eq(student_id));
    }
    Ok(evidence(query.load::<EvidenceRow>(conn)?))
}

/// The items of one student's submitted and validated fiches for one class (of its
/// referential).
pub fn evidence_of_student(
    conn: &mut DbConnection,
    student_id: i64,
    class: &StudentClass,
) -> Result<Vec<Evidence>, AppError> {
    evidence_where(
        conn,
        class.class_id,
        &class.referential_id,
        Some(student_id),
    )
}

/// What one student's fiches add up to.
#[derive(Debug, Clone)]
pub struct Tally {
    /// Parallel to [`Layout::items`].
    pub cells: Vec<ProgressCell>,
    fiches_validated: u32,
    fiches_pending: u32,
}

/// A tally being added up: the fiches seen, to count each once.
struct Adding {
    tally: Tally,
    validated: HashSet<i64>,
    pending: HashSet<i64>,
}

impl Adding {
    fn add(&mut self, layout: &Layout, e: &Evidence) {
        match e.status {
            FicheStatus::Validated => self.validated.insert(e.fiche_id),
            FicheStatus::Submitted => self.pending.insert(e.fiche_id),
            _ => return,
        };
        // Items no longer in the referential count the fiche, not a cell.
        let Some(p) = layout.position(&e.code) else {
            return;
        };
        let cell = &mut self.tally.cells[p];
        if e.status == FicheStatus::Submitted {
            cell.pending += 1;
            return;
        }
        cell.validated += 1;
        let level = e
            .level
            .and_then(|l| u8::try_from(l).ok())
            .filter(|&l| l >= 1 && usize::from(l) <= layout.scale.len());
        // Evidence comes in validation order: the last level read is the latest.
        if level.is_some() {
            cell.level = level;
        }
    }

    fn done(self) -> Tally {
        Tally {
            fiches_validated: count(self.validated.len()),
            fiches_pending: count(self.pending.len()),
            ..self.tally
        }
    }
}

impl Tally {
    fn new(layout: &Layout) -> Tally {
        Tally {
            cells: vec![ProgressCell::default(); layout.items.len()],
            fiches_validated: 0,
            fiches_pending: 0,
        }
    }

    pub fn evidenced(&self, p: usize) -> bool {
        self.cells[p].validated > 0
    }

    pub fn fiches_validated(&self) -> u32 {
        self.fiches_validated
    }

    pub fn fiches_pending(&self) -> u32 {
        self.fiches_pending
    }

    /// Items evidenced in each bloc, parallel to [`Layout::blocs`].
    pub fn blocs_evidenced(&self, layout: &Layout) -> Vec<u32> {
        let mut out = vec![0u32; layout.blocs.len()];
        for (p, bloc) in layout.item_bloc.iter().enumerate() {
            if let Some(b) = *bloc {
                out[b] += u32::from(self.evidenced(p));
            }
        }
        out
    }

    /// Positions of the CCF items with no validated fiche.
    pub fn missing(&self, layout: &Layout) -> Vec<usize> {
        (0..layout.items.len())
            .filter(|&p| layout.items[p].ccf && !self.evidenced(p))
            .collect()
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Tallies per student, from evidence in validation order.
pub fn tally(layout: &Layout, evidence: &[Evidence]) -> HashMap<i64, Tally> {
    let mut adding: HashMap<i64, Adding> = HashMap::new();
    for e in evidence {
        adding
            .entry(e.student_id)
            .or_insert_with(|| Adding {
                tally: Tally::new(layout),
                validated: HashSet::new(),
                pending: HashSet::new(),
            })
            .add(layout, e);
    }
    adding
        .into_iter()
        .map(|(student, adding)| (student, adding.done()))
        .collect()
}

/// What a class's fiches add up to, per student, for its referential as loaded now: what
/// the class heatmap and the coverage's "students evidenced" column are computed from.
pub struct ClassEvidence {
    /// The class's fiches when it was read (see [`Fingerprint`]).
    fingerprint: Fingerprint,
    /// The referential version it was tallied against.
    referential: (String, String),
    pub tallies: HashMap<i64, Tally>,
}

impl ClassEvidence {
    /// Students (of the class or not: left since) with a validated fiche showing each
    /// item, parallel to [`Layout::items`].
    pub fn students_evidenced(&self, layout: &Layout) -> Vec<u32> {
        let mut out = vec![0u32; layout.items.len()];
        for tally in self.tallies.values() {
            for (n, cell) in out.iter_mut().zip(&tally.cells) {
                *n += u32::from(cell.validated > 0);
            }
        }
        out
    }
}

/// Changes with any write to a class's fiches: (count, highest id, sum of revisions).
/// Inserts raise the highest id (ids are never reused); deletes, unless there are inserts
/// too, lower the count; updates alone raise the sum (every update raises the fiche's
/// revision: trigger `fiches_revision`). Items are written with their fiche's row.
type Fingerprint = (i64, i64, i64);

fn fingerprint(conn: &mut DbConnection, class_id: i64) -> Result<Fingerprint, AppError> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    Ok(fiches::table
        .filter(fiches::class_id.eq(class_id))
        .select(sql::<(BigInt, BigInt, BigInt)>(
            "COUNT(*), COALESCE(MAX(id), 0), CAST(COALESCE(SUM(revision), 0) AS BIGINT)",
        ))
        .first(conn)?)
}

/// The last [`ClassEvidence`] computed for each class, on this server. Every read checks
/// it against the database first ([`Fingerprint`]: one index range read), so several
/// servers on one database never serve each other's stale heatmaps. A teacher reopens
/// their class's heatmap far more often than its fiches change: a read that matches
/// skips reading ~3,500 items.
#[derive(Default)]
pub struct EvidenceCache {
    classes: std::sync::Mutex<HashMap<i64, (u64, std::sync::Arc<ClassEvidence>)>>,
    tick: std::sync::atomic::AtomicU64,
}

/// Classes kept (~60 KB each for 35 students × 130 items).
const CACHED_CLASSES: usize = 256;

impl EvidenceCache {
    fn get(&self, class_id: i64) -> Option<std::sync::Arc<ClassEvidence>> {
        let tick = self.tick.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut classes = self.classes.lock().unwrap_or_else(|e| e.into_inner());
        classes.get_mut(&class_id).map(|(used, evidence)| {
            *used = tick;
            evidence.clone()
        })
    }

    fn put(&self, class_id: i64, evidence: std::sync::Arc<ClassEvidence>) {
        let tick = self.tick.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut classes = self.classes.lock().unwrap_or_else(|e| e.into_inner());
        if classes.len() >= CACHED_CLASSES && !classes.contains_key(&class_id) {
            // The least recently used goes.
            if let Some(oldest) = classes.iter().min_by_key(|(_, (used, _))| *used) {
                let oldest = *oldest.0;
                classes.remove(&oldest);
            }
        }
        classes.insert(class_id, (tick, evidence));
    }

    /// A class's evidence: kept if its fiches have not changed since, else read again
    /// (the fingerprint first, so that a write in between makes it stale, never wrong).
    pub fn of_class(
        &self,
        conn: &mut DbConnection,
        entry: &Entry,
        class_id: i64,
    ) -> Result<std::sync::Arc<ClassEvidence>, AppError> {
        let fingerprint = fingerprint(conn, class_id)?;
        let referential = (entry.summary.id.clone(), entry.content_hash.clone());
        if let Some(kept) = self.get(class_id) {
            if kept.fingerprint == fingerprint && kept.referential == referential {
                return Ok(kept);
            }
        }
        let evidence = evidence_where(conn, class_id, &entry.summary.id, None)?;
        let fresh = std::sync::Arc::new(ClassEvidence {
            fingerprint,
            referential,
            tallies: tally(&entry.progress, &evidence),
        });
        self.put(class_id, fresh.clone());
        Ok(fresh)
    }
}

pub(crate) fn entry_of<'a>(
    snapshot: &'a Snapshot,
    referential: &str,
) -> Result<&'a Entry, AppError> {
    snapshot
        .get(referential)
        .map(|e| &**e)
        .ok_or_else(|| AppError::internal(format!("referential {referential} not loaded")))
}

/// A student's progress in one of their classes.
pub fn student(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    student_id: i64,
    class: &StudentClass,
) -> Result<StudentProgress, AppError> {
    let layout = &entry_of(snapshot, &class.referential_id)?.progress;
    let evidence = evidence_of_student(conn, student_id, class)?;
    let tally = tally(layout, &evidence)
        .remove(&student_id)
        .unwrap_or_else(|| Tally::new(layout));
    let mut blocs = layout.blocs.clone();
    for (bloc, evidenced) in blocs.iter_mut().zip(tally.blocs_evidenced(layout)) {
        bloc.evidenced = evidenced;
    }
    Ok(StudentProgress {
        student: person(conn, student_id)?,
        class_id: class.class_id,
        class_name: class.class_name.clone(),
        referential_id: class.referential_id.clone(),
        missing: tally
            .missing(layout)
            .into_iter()
            .map(|p| layout.items[p].code.clone())
            .collect(),
        fiches_validated: tally.fiches_validated(),
        fiches_pending: tally.fiches_pending(),
        cells: tally.cells,
        scale: layout.scale.clone(),
        items: layout.items.clone(),
        blocs,
    })
}

/// A class the principal reviews (teaches it, or administers its establishment): name,
/// referential. 404 for anyone else, students included.
pub fn reviewed_class(
    conn: &mut DbConnection,
    principal: &Principal,
    class_id: i64,
) -> Result<(String, String), AppError> {
    let not_found = || AppError::not_found(format!("classe introuvable : {class_id}"));
    let (name, referential_id, establishment_id) = classes::table
        .find(class_id)
        .select((
            classes::name,
            classes::referential_id,
            classes::establishment_id,
        ))
        .first::<(String, String, i64)>(conn)
        .optional()?
        .ok_or_else(not_found)?;
    if access::reviews_class(conn, principal, class_id, establishment_id)? {
        Ok((name, referential_id))
    } else {
        Err(not_found())
    }
}

/// The students of a class, by name.
pub fn students_of(conn: &mut DbConnection, class_id: i64) -> Result<Vec<PersonRef>, AppError> {
    let rows: Vec<(i64, String, String)> = class_students::table
        .inner_join(users::table)
        .filter(class_students::class_id.eq(class_id))
        .order((users::last_name, users::first_name, users::id))
        .select((users::id, users::first_name, users::last_name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, first_name, last_name)| PersonRef {
            id,
            first_name,
            last_name,
        })
        .collect())
}

/// Students × items of a class.
pub fn class(
    conn: &mut DbConnection,
    cache: &EvidenceCache,
    snapshot: &Snapshot,
    class_id: i64,
    class_name: String,
    referential_id: String,
) -> Result<ClassProgress, AppError> {
    let entry = entry_of(snapshot, &referential_id)?;
    let layout = &entry.progress;
    let students = students_of(conn, class_id)?;
    let evidence = cache.of_class(conn, entry, class_id)?;
    let none = Tally::new(layout);
    let mut evidenced_by_anyone = vec![false; layout.items.len()];
    let rows: Vec<StudentProgressRow> = students
        .into_iter()
        .map(|student| {
            let tally = evidence.tallies.get(&student.id).unwrap_or(&none);
            for (p, seen) in evidenced_by_anyone.iter_mut().enumerate() {
                *seen |= tally.evidenced(p);
            }
            StudentProgressRow {
                student,
                blocs_evidenced: tally.blocs_evidenced(layout),
                missing: count(tally.missing(layout).len()),
                fiches_validated: tally.fiches_validated(),
                fiches_pending: tally.fiches_pending(),
                cells: tally.cells.clone(),
            }
        })
        .collect();
    let mut blocs = layout.blocs.clone();
    for (p, bloc) in layout.item_bloc.iter().enumerate() {
        if let Some(b) = *bloc {
            blocs[b].evidenced += u32::from(evidenced_by_anyone[p]);
        }
    }
    Ok(ClassProgress {
        class_id,
        class_name,
        referential_id,
        scale: layout.scale.clone(),
        items: layout.items.clone(),
        blocs,
        students: rows,
    })
}

async fn student_progress(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    query: web::Query<PortfolioQuery>,
) -> Result<HttpResponse, AppError> {
    let student_id = id.into_inner();
    let class_id = query.into_inner().class_id;
    let referentials = snapshot(&state).await?;
    let progress = run(&state.pool, move |conn| {
        let class = access::student_portfolio(conn, &principal, student_id, class_id)?;
        student(conn, &referentials, student_id, &class)
    })
    .await?;
    Ok(HttpResponse::Ok().json(progress))
}

async fn class_progress(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let class_id = id.into_inner();
    let referentials = snapshot(&state).await?;
    let cache = state.evidence.clone();
    let progress = run(&state.pool, move |conn| {
        let (name, referential_id) = reviewed_class(conn, &principal, class_id)?;
        class(conn, &cache, &referentials, class_id, name, referential_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(progress))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        let items = ["T.1", "T.2", "C.1"];
        let blocs = vec![
            BlocProgress {
                code: "B1".into(),
                label: "Bloc 1".into(),
                units: vec!["U4".into()],
                ccf: true,
                items: 2,
                evidenced: 0,
            },
            BlocProgress {
                code: "B2".into(),
                label: "Bloc 2".into(),
                units: vec![],
                ccf: false,
                items: 1,
                evidenced: 0,
            },
        ];
        let item_bloc = vec![Some(0), Some(0), Some(1)];
        Layout {
            scale: passerelle_api::DEFAULT_SCALE.map(str::to_owned).to_vec(),
            items: items
                .iter()
                .zip(&item_bloc)
                .map(|(code, bloc)| ProgressItem {
                    code: (*code).into(),
                    kind: ItemKind::Task,
                    label: String::new(),
                    bloc: bloc.map(|b: usize| blocs[b].code.clone()),
                    ccf: *bloc == Some(0),
                })
                .collect(),
            entry_index: vec![0, 1, 2],
            item_bloc,
            blocs,
            position: items
                .iter()
                .enumerate()
                .map(|(i, c)| ((*c).to_owned(), i))
                .collect(),
        }
    }

    fn e(fiche: i64, status: FicheStatus, code: &str, level: Option<i16>) -> Evidence {
        Evidence {
            student_id: 7,
            fiche_id: fiche,
            status,
            code: code.into(),
            level,
        }
    }

    #[test]
    fn the_latest_validated_level_wins_and_ccf_gaps_are_missing() {
        let layout = layout();
        // In validation order, as the query reads them.
        let evidence = [
            e(3, FicheStatus::Submitted, "T.2", None),
            e(2, FicheStatus::Validated, "T.1", Some(2)),
            e(2, FicheStatus::Validated, "C.1", None),
            e(1, FicheStatus::Validated, "T.1", Some(4)),
            e(4, FicheStatus::Validated, "T.1", None),
            e(5, FicheStatus::Validated, "T.1", Some(9)),
            e(6, FicheStatus::Validated, "Z.9", Some(1)),
        ];
        let tally = tally(&layout, &evidence)
            .remove(&7)
            .unwrap_or_else(|| panic!());
        assert_eq!(tally.cells[0].validated, 4);
        // Fiche 4 set no level and fiche 5's is off the scale: fiche 1's stays.
        assert_eq!(tally.cells[0].level, Some(4));
        assert_eq!(tally.cells[1].pending, 1);
        assert_eq!(tally.cells[2].level, None);
        assert_eq!(tally.fiches_validated(), 5);
        assert_eq!(tally.fiches_pending(), 1);
        assert_eq!(tally.blocs_evidenced(&layout), [1, 1]);
        assert_eq!(tally.missing(&layout), [1]);
    }
}
