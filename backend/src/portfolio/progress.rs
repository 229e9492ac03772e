//! Progress: what a student's fiches show of their class's referential, item by item and
//! bloc by bloc, and what is still missing before the exam; the same for a whole class
//! (students × items, the heatmap).
//!
//! Computed in memory from the referential snapshot and one query of the fiches' items,
//! keyed on the student or on the class (index `fiches_by_class (class_id, status)`): a
//! class of 35 students with 50 fiches each is one query and a few thousand rows, never
//! a query per student.
//!
//! Which items count: the mappable ones (tasks, situations, competencies). Each belongs to
//! the bloc above it; tasks and situations that sit under a domain (BTS GPME, AGOrA) belong
//! to that domain's bloc (domain n = bloc n). A bloc is assessed in CCF when its code or
//! one of its units' codes is in the referential's `ccf_units` setting; its items with no
//! validated fiche are "missing before the exam".

use std::collections::{HashMap, HashSet};

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
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
#[derive(Debug, Clone)]
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
    /// When a validated fiche was validated: the latest level of an item is the one of
    /// the latest validation (then the highest fiche id).
    pub validated_at: Option<NaiveDateTime>,
    pub code: String,
    pub level: Option<i16>,
}

/// Statuses that count: validated fiches, and submitted ones (pending).
const COUNTED: [&str; 2] = ["submitted", "validated"];

/// (student, fiche, validated?, validated_at, item code, level).
type EvidenceRow = (i64, i64, bool, Option<NaiveDateTime>, String, Option<i16>);

fn evidence(rows: Vec<EvidenceRow>) -> Vec<Evidence> {
    rows.into_iter()
        .map(
            |(student_id, fiche_id, validated, validated_at, code, level)| Evidence {
                student_id,
                fiche_id,
                status: if validated {
                    FicheStatus::Validated
                } else {
                    FicheStatus::Submitted
                },
                validated_at,
                code,
                level,
            },
        )
        .collect()
}

/// The items of the class's submitted and validated fiches, in one query keyed on the
/// class (index `fiches_by_class`, then each fiche's items by primary key).
pub fn evidence_of_class(
    conn: &mut DbConnection,
    class_id: i64,
) -> Result<Vec<Evidence>, AppError> {
    let rows: Vec<EvidenceRow> = fiches::table
        .inner_join(fiche_items::table)
        .filter(fiches::class_id.eq(class_id))
        .filter(fiches::status.eq_any(COUNTED))
        .select((
            fiches::student_id,
            fiches::id,
            fiches::status.eq(FicheStatus::Validated.as_str()),
            fiches::validated_at,
            fiche_items::item_code,
            fiche_items::level,
        ))
        .load(conn)?;
    Ok(evidence(rows))
}

/// The items of one student's submitted and validated fiches for one class.
pub fn evidence_of_student(
    conn: &mut DbConnection,
    student_id: i64,
    class_id: i64,
) -> Result<Vec<Evidence>, AppError> {
    let rows: Vec<EvidenceRow> = fiches::table
        .inner_join(fiche_items::table)
        .filter(fiches::student_id.eq(student_id))
        .filter(fiches::class_id.eq(class_id))
        .filter(fiches::status.eq_any(COUNTED))
        .select((
            fiches::student_id,
            fiches::id,
            fiches::status.eq(FicheStatus::Validated.as_str()),
            fiches::validated_at,
            fiche_items::item_code,
            fiche_items::level,
        ))
        .load(conn)?;
    Ok(evidence(rows))
}

/// What one student's fiches add up to.
#[derive(Debug, Clone)]
pub struct Tally {
    /// Parallel to [`Layout::items`].
    pub cells: Vec<ProgressCell>,
    /// When the level of each cell was set (validation time, fiche id): the latest wins.
    set_at: Vec<Option<(NaiveDateTime, i64)>>,
    validated: HashSet<i64>,
    pending: HashSet<i64>,
}

impl Tally {
    fn new(layout: &Layout) -> Tally {
        Tally {
            cells: vec![ProgressCell::default(); layout.items.len()],
            set_at: vec![None; layout.items.len()],
            validated: HashSet::new(),
            pending: HashSet::new(),
        }
    }

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
        let cell = &mut self.cells[p];
        if e.status == FicheStatus::Submitted {
            cell.pending += 1;
            return;
        }
        cell.validated += 1;
        let level = e
            .level
            .and_then(|l| u8::try_from(l).ok())
            .filter(|&l| l >= 1 && usize::from(l) <= layout.scale.len());
        if let (Some(level), Some(at)) = (level, e.validated_at) {
            let stamp = (at, e.fiche_id);
            if self.set_at[p].is_none_or(|old| stamp > old) {
                self.set_at[p] = Some(stamp);
                cell.level = Some(level);
            }
        }
    }

    pub fn evidenced(&self, p: usize) -> bool {
        self.cells[p].validated > 0
    }

    pub fn fiches_validated(&self) -> u32 {
        count(self.validated.len())
    }

    pub fn fiches_pending(&self) -> u32 {
        count(self.pending.len())
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

/// Tallies per student.
pub fn tally(layout: &Layout, evidence: &[Evidence]) -> HashMap<i64, Tally> {
    let mut out: HashMap<i64, Tally> = HashMap::new();
    for e in evidence {
        out.entry(e.student_id)
            .or_insert_with(|| Tally::new(layout))
            .add(layout, e);
    }
    out
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
    let entry = entry_of(snapshot, &class.referential_id)?;
    let layout = Layout::of(entry);
    let evidence = evidence_of_student(conn, student_id, class.class_id)?;
    let tally = tally(&layout, &evidence)
        .remove(&student_id)
        .unwrap_or_else(|| Tally::new(&layout));
    let mut blocs = layout.blocs.clone();
    for (bloc, evidenced) in blocs.iter_mut().zip(tally.blocs_evidenced(&layout)) {
        bloc.evidenced = evidenced;
    }
    Ok(StudentProgress {
        student: person(conn, student_id)?,
        class_id: class.class_id,
        class_name: class.class_name.clone(),
        referential_id: class.referential_id.clone(),
        missing: tally
            .missing(&layout)
            .into_iter()
            .map(|p| layout.items[p].code.clone())
            .collect(),
        fiches_validated: tally.fiches_validated(),
        fiches_pending: tally.fiches_pending(),
        cells: tally.cells,
        scale: layout.scale,
        items: layout.items,
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
    snapshot: &Snapshot,
    class_id: i64,
    class_name: String,
    referential_id: String,
) -> Result<ClassProgress, AppError> {
    let entry = entry_of(snapshot, &referential_id)?;
    let layout = Layout::of(entry);
    let students = students_of(conn, class_id)?;
    let evidence = evidence_of_class(conn, class_id)?;
    let mut tallies = tally(&layout, &evidence);
    let mut evidenced_by_anyone = vec![false; layout.items.len()];
    let rows: Vec<StudentProgressRow> = students
        .into_iter()
        .map(|student| {
            let tally = tallies
                .remove(&student.id)
                .unwrap_or_else(|| Tally::new(&layout));
            for (p, seen) in evidenced_by_anyone.iter_mut().enumerate() {
                *seen |= tally.evidenced(p);
            }
            StudentProgressRow {
                student,
                blocs_evidenced: tally.blocs_evidenced(&layout),
                missing: count(tally.missing(&layout).len()),
                fiches_validated: tally.fiches_validated(),
                fiches_pending: tally.fiches_pending(),
                cells: tally.cells,
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
        scale: layout.scale,
        items: layout.items,
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
    let progress = run(&state.pool, move |conn| {
        let (name, referential_id) = reviewed_class(conn, &principal, class_id)?;
        class(conn, &referentials, class_id, name, referential_id)
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

    fn e(fiche: i64, status: FicheStatus, day: u32, code: &str, level: Option<i16>) -> Evidence {
        Evidence {
            student_id: 7,
            fiche_id: fiche,
            status,
            validated_at: (status == FicheStatus::Validated)
                .then(|| {
                    chrono::NaiveDate::from_ymd_opt(2026, 10, day)
                        .and_then(|d| d.and_hms_opt(12, 0, 0))
                })
                .flatten(),
            code: code.into(),
            level,
        }
    }

    #[test]
    fn the_latest_validated_level_wins_and_ccf_gaps_are_missing() {
        let layout = layout();
        let evidence = [
            e(1, FicheStatus::Validated, 20, "T.1", Some(4)),
            e(2, FicheStatus::Validated, 5, "T.1", Some(2)),
            e(2, FicheStatus::Validated, 5, "C.1", None),
            e(3, FicheStatus::Submitted, 0, "T.2", None),
            e(4, FicheStatus::Validated, 25, "T.1", None),
            e(5, FicheStatus::Validated, 26, "T.1", Some(9)),
            e(6, FicheStatus::Validated, 26, "Z.9", Some(1)),
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
