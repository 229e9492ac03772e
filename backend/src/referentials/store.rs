//! Referentials in the database: writing a validated load (in one transaction, updating
//! items in place by code) and reading everything back for the catalog.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use passerelle_api::{
    FeatureUse, Item, ItemKind, PgiCatalogue, PgiFeature, PgiModule, PgiSoftware, TrainingBase,
};

use super::correspondences::{CorrespondenceData, Link};
use super::file::ReferentialData;
use super::pgi::PgiData;
use super::LoadData;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::schema::{
    catalogue_loads, correspondence_pairs, correspondences, pgi_base_modules, pgi_bases,
    pgi_features, pgi_modules, pgi_software, pgi_uses, referential_items, referentials,
};
use crate::with_conn;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = referentials)]
pub struct ReferentialRow {
    pub id: String,
    pub title: String,
    pub version: String,
    pub seeds: String,
    pub attributes: String,
    pub content_hash: String,
    pub loaded_at: NaiveDateTime,
}

/// An item's columns, without the surrogate id (which stays stable across reloads).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = referential_items)]
#[diesel(treat_none_as_null = true)]
pub struct ItemRow {
    pub referential_id: String,
    pub code: String,
    pub kind: String,
    pub parent_code: Option<String>,
    pub label: String,
    pub official_code: Option<String>,
    pub position: i32,
    pub source: String,
    pub repairs: String,
    pub refs: String,
    pub attributes: String,
}

impl ItemRow {
    fn from_item(referential_id: &str, position: usize, item: &Item) -> Result<Self, AppError> {
        Ok(ItemRow {
            referential_id: referential_id.to_owned(),
            code: item.code.clone(),
            kind: item.kind.as_str().to_owned(),
            parent_code: item.parent.clone(),
            label: item.label.clone(),
            official_code: item.official_code.clone(),
            position: i32::try_from(position)
                .map_err(|_| AppError::internal("too many items in one referential"))?,
            source: serde_json::to_string(&item.source)?,
            repairs: serde_json::to_string(&item.repairs)?,
            refs: serde_json::to_string(&item.refs)?,
            attributes: serde_json::to_string(&item.attributes)?,
        })
    }

    pub fn into_item(self) -> Result<Item, AppError> {
        Ok(Item {
            kind: self.kind.parse::<ItemKind>().map_err(AppError::internal)?,
            code: self.code,
            label: self.label,
            parent: self.parent_code,
            official_code: self.official_code,
            source: serde_json::from_str(&self.source)?,
            repairs: serde_json::from_str(&self.repairs)?,
            refs: serde_json::from_str(&self.refs)?,
            attributes: serde_json::from_str(&self.attributes)?,
        })
    }
}

/// What a load did to one referential.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOutcome {
    pub id: String,
    pub unchanged: bool,
    pub inserted: usize,
    pub updated: usize,
    pub deleted: usize,
}

// Rows per multi-row INSERT: 11 bound values each, under SQLite's 32766-variable limit
// and PostgreSQL's 65535.
const INSERT_CHUNK: usize = 500;

/// Writes validated referentials in one transaction. A referential whose content hash is
/// already stored is left untouched, so loading at every start costs one query.
pub fn store(
    conn: &mut DbConnection,
    load: &LoadData,
    now: NaiveDateTime,
) -> Result<Vec<LoadOutcome>, AppError> {
    let data = &load.referentials;
    let loads: HashMap<String, String> = catalogue_loads::table
        .select((catalogue_loads::name, catalogue_loads::content_hash))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let pgi_changed = loads.get(PGI_LOAD) != Some(&load.pgi.content_hash);
    let links_changed = loads.get(CORRESPONDENCES_LOAD) != Some(&load.correspondences.content_hash);
    let stored: HashMap<String, String> = referentials::table
        .select((referentials::id, referentials::content_hash))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let changed: Vec<&ReferentialData> = data
        .iter()
        .filter(|d| stored.get(&d.id) != Some(&d.content_hash))
        .collect();
    let mut outcomes: Vec<LoadOutcome> = data
        .iter()
        .filter(|d| stored.get(&d.id) == Some(&d.content_hash))
        .map(|d| LoadOutcome {
            id: d.id.clone(),
            unchanged: true,
            ..LoadOutcome::default()
        })
        .collect();
    if changed.is_empty() && !pgi_changed && !links_changed {
        return Ok(outcomes);
    }
    conn.transaction::<_, AppError, _>(|conn| {
        with_conn!(conn, |c| for d in &changed {
            let row = ReferentialRow {
                id: d.id.clone(),
                title: d.title.clone(),
                version: d.version.clone(),
                seeds: serde_json::to_string(&d.seeds)?,
                attributes: serde_json::to_string(&d.attributes)?,
                content_hash: d.content_hash.clone(),
                loaded_at: now,
            };
            diesel::insert_into(referentials::table)
                .values(&row)
                .on_conflict(referentials::id)
                .do_update()
                .set(&row)
                .execute(c)?;

            let existing: HashMap<String, (i64, ItemRow)> = referential_items::table
                .filter(referential_items::referential_id.eq(&d.id))
                .select((referential_items::id, ItemRow::as_select()))
                .load::<(i64, ItemRow)>(c)?
                .into_iter()
                .map(|(id, row)| (row.code.clone(), (id, row)))
                .collect();
            let mut outcome = LoadOutcome {
                id: d.id.clone(),
                ..LoadOutcome::default()
            };
            let mut new_rows = Vec::new();
            for (position, item) in d.items.iter().enumerate() {
                let row = ItemRow::from_item(&d.id, position, item)?;
                match existing.get(&item.code) {
                    None => new_rows.push(row),
                    Some((_, old)) if *old == row => {}
                    Some((id, _)) => {
                        diesel::update(referential_items::table.find(*id))
                            .set(&row)
                            .execute(c)?;
                        outcome.updated += 1;
                    }
                }
            }
            for chunk in new_rows.chunks(INSERT_CHUNK) {
                outcome.inserted += diesel::insert_into(referential_items::table)
                    .values(chunk)
                    .execute(c)?;
            }
            let kept: HashSet<&str> = d.items.iter().map(|i| i.code.as_str()).collect();
            let gone: Vec<i64> = existing
                .iter()
                .filter(|(code, _)| !kept.contains(code.as_str()))
                .map(|(_, (id, _))| *id)
                .collect();
            for chunk in gone.chunks(INSERT_CHUNK) {
                outcome.deleted += diesel::delete(
                    referential_items::table.filter(referential_items::id.eq_any(chunk)),
                )
                .execute(c)?;
            }
            outcomes.push(outcome);
        });
        if pgi_changed {
            store_pgi(conn, &load.pgi, now)?;
        }
        if links_changed {
            store_correspondences(conn, &load.correspondences, now)?;
        }
        Ok(())
    })?;
    outcomes.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(outcomes)
}

/// `(id, content_hash)` of every stored referential, sorted, then `(@name, hash)` of the
/// PGI catalogue and the correspondences: changes whenever any of them is (re)loaded, by
/// this server or another one on the same database.
pub fn fingerprint(conn: &mut DbConnection) -> Result<Vec<(String, String)>, AppError> {
    let mut out: Vec<(String, String)> = referentials::table
        .select((referentials::id, referentials::content_hash))
        .order(referentials::id)
        .load(conn)?;
    let loads: Vec<(String, String)> = catalogue_loads::table
        .select((catalogue_loads::name, catalogue_loads::content_hash))
        .order(catalogue_loads::name)
        .load(conn)?;
    out.extend(
        loads
            .into_iter()
            .map(|(name, hash)| (format!("@{name}"), hash)),
    );
    Ok(out)
}

/// Everything stored, referentials sorted by id, items in display order.
pub fn load_all(conn: &mut DbConnection) -> Result<Vec<(ReferentialRow, Vec<Item>)>, AppError> {
    let refs: Vec<ReferentialRow> = referentials::table
        .select(ReferentialRow::as_select())
        .order(referentials::id)
        .load(conn)?;
    let rows: Vec<ItemRow> = referential_items::table
        .select(ItemRow::as_select())
        .order((
            referential_items::referential_id,
            referential_items::position,
        ))
        .load(conn)?;
    let mut by_ref: HashMap<String, Vec<Item>> = HashMap::new();
    for row in rows {
        by_ref
            .entry(row.referential_id.clone())
            .or_default()
            .push(row.into_item()?);
    }
    Ok(refs
        .into_iter()
        .map(|r| {
            let items = by_ref.remove(&r.id).unwrap_or_default();
            (r, items)
        })
        .collect())
}

/// `catalogue_loads` names.
const PGI_LOAD: &str = "pgi";
const CORRESPONDENCES_LOAD: &str = "correspondences";

fn position(index: usize) -> Result<i32, AppError> {
    i32::try_from(index).map_err(|_| AppError::internal("too many catalogue entries"))
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    Ok(serde_json::to_string(value)?)
}

fn record_load(
    c: &mut DbConnection,
    name: &str,
    hash: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::delete(catalogue_loads::table.filter(catalogue_loads::name.eq(name))).execute(c)?;
    diesel::insert_into(catalogue_loads::table)
        .values((
            catalogue_loads::name.eq(name),
            catalogue_loads::content_hash.eq(hash),
            catalogue_loads::loaded_at.eq(now),
        ))
        .execute(c)?;
    Ok(())
}

#[derive(Insertable)]
#[diesel(table_name = pgi_software)]
struct SoftwareRow {
    id: String,
    position: i32,
    name: String,
    source: Option<String>,
    citation: Option<String>,
    also_at: String,
    note: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = pgi_modules)]
struct ModuleRow {
    id: String,
    position: i32,
    label: String,
    software: String,
    source: Option<String>,
    citation: Option<String>,
    also_at: String,
}

#[derive(Insertable)]
#[diesel(table_name = pgi_features)]
struct FeatureRow {
    id: String,
    position: i32,
    module_id: String,
    label: String,
    keywords: String,
    sources: String,
}

#[derive(Insertable)]
#[diesel(table_name = pgi_bases)]
struct BaseRow {
    id: String,
    position: i32,
    name: String,
    software: String,
    notes: String,
    sources: String,
    rationale: Option<String>,
    recommended_for: String,
}

#[derive(Insertable)]
#[diesel(table_name = pgi_base_modules)]
struct BaseModuleRow {
    base_id: String,
    module_id: String,
    position: i32,
}

#[derive(Insertable)]
#[diesel(table_name = pgi_uses)]
struct UseRow {
    entry: i32,
    referential_id: String,
    item_code: String,
    feature_id: String,
    source: Option<String>,
    rationale: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = correspondence_pairs)]
struct PairRow {
    from_referential: String,
    to_referential: String,
    rationale: String,
}

#[derive(Insertable, Queryable, Selectable)]
#[diesel(table_name = correspondences)]
struct LinkRow {
    from_referential: String,
    from_code: String,
    to_referential: String,
    to_code: String,
    relation: String,
    rationale: Option<String>,
    source: Option<String>,
}

/// Inserts `rows` in chunks, on the connection's own engine (multi-row INSERT).
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        for chunk in $rows.chunks(INSERT_CHUNK) {
            with_conn!($conn, |c| diesel::insert_into($table)
                .values(chunk)
                .execute(c))?;
        }
    };
}

/// Replaces the stored catalogue (inside the load's transaction).
fn store_pgi(c: &mut DbConnection, data: &PgiData, now: NaiveDateTime) -> Result<(), AppError> {
    diesel::delete(pgi_uses::table).execute(c)?;
    diesel::delete(pgi_base_modules::table).execute(c)?;
    diesel::delete(pgi_bases::table).execute(c)?;
    diesel::delete(pgi_features::table).execute(c)?;
    diesel::delete(pgi_modules::table).execute(c)?;
    diesel::delete(pgi_software::table).execute(c)?;
    let cat = &data.catalogue;
    let mut software = Vec::new();
    for (i, s) in cat.software.iter().enumerate() {
        software.push(SoftwareRow {
            id: s.id.clone(),
            position: position(i)?,
            name: s.name.clone(),
            source: s.source.clone(),
            citation: s.citation.clone(),
            also_at: json(&s.also_at)?,
            note: s.note.clone(),
        });
    }
    insert_rows!(c, pgi_software::table, software);
    let mut modules = Vec::new();
    for (i, m) in cat.modules.iter().enumerate() {
        modules.push(ModuleRow {
            id: m.id.clone(),
            position: position(i)?,
            label: m.label.clone(),
            software: json(&m.software)?,
            source: m.source.clone(),
            citation: m.citation.clone(),
            also_at: json(&m.also_at)?,
        });
    }
    insert_rows!(c, pgi_modules::table, modules);
    let mut features = Vec::new();
    for (i, f) in cat.features.iter().enumerate() {
        features.push(FeatureRow {
            id: f.id.clone(),
            position: position(i)?,
            module_id: f.module.clone(),
            label: f.label.clone(),
            keywords: json(&f.keywords)?,
            sources: json(&f.sources)?,
        });
    }
    insert_rows!(c, pgi_features::table, features);
    let mut bases = Vec::new();
    let mut base_modules = Vec::new();
    for (i, b) in cat.bases.iter().enumerate() {
        bases.push(BaseRow {
            id: b.id.clone(),
            position: position(i)?,
            name: b.name.clone(),
            software: json(&b.software)?,
            notes: json(&b.notes)?,
            sources: json(&b.sources)?,
            rationale: b.rationale.clone(),
            recommended_for: json(&b.recommended_for)?,
        });
        for (j, m) in b.modules.iter().enumerate() {
            base_modules.push(BaseModuleRow {
                base_id: b.id.clone(),
                module_id: m.clone(),
                position: position(j)?,
            });
        }
    }
    insert_rows!(c, pgi_bases::table, bases);
    insert_rows!(c, pgi_base_modules::table, base_modules);
    let mut uses = Vec::new();
    for (i, u) in cat.uses.iter().enumerate() {
        for f in &u.features {
            uses.push(UseRow {
                entry: position(i)?,
                referential_id: u.referential.clone(),
                item_code: u.item.clone(),
                feature_id: f.clone(),
                source: u.source.clone(),
                rationale: u.rationale.clone(),
            });
        }
    }
    insert_rows!(c, pgi_uses::table, uses);
    record_load(c, PGI_LOAD, &data.content_hash, now)
}

/// Replaces the stored correspondences (inside the load's transaction).
fn store_correspondences(
    c: &mut DbConnection,
    data: &CorrespondenceData,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::delete(correspondences::table).execute(c)?;
    diesel::delete(correspondence_pairs::table).execute(c)?;
    let pairs: Vec<PairRow> = data
        .pairs
        .iter()
        .map(|p| PairRow {
            from_referential: p.from.clone(),
            to_referential: p.to.clone(),
            rationale: p.rationale.clone(),
        })
        .collect();
    insert_rows!(c, correspondence_pairs::table, pairs);
    let links: Vec<LinkRow> = data
        .links
        .iter()
        .map(|l| LinkRow {
            from_referential: l.from_referential.clone(),
            from_code: l.from_code.clone(),
            to_referential: l.to_referential.clone(),
            to_code: l.to_code.clone(),
            relation: l.relation.as_str().to_owned(),
            rationale: l.rationale.clone(),
            source: l.source.clone(),
        })
        .collect();
    insert_rows!(c, correspondences::table, links);
    record_load(c, CORRESPONDENCES_LOAD, &data.content_hash, now)
}

/// The stored PGI catalogue (empty when none was loaded).
pub fn load_pgi(c: &mut DbConnection) -> Result<PgiCatalogue, AppError> {
    type Software = (
        String,
        String,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
    );
    let software: Vec<Software> = pgi_software::table
        .select((
            pgi_software::id,
            pgi_software::name,
            pgi_software::source,
            pgi_software::citation,
            pgi_software::also_at,
            pgi_software::note,
        ))
        .order(pgi_software::position)
        .load(c)?;
    let mut cat = PgiCatalogue::default();
    for (id, name, source, citation, also_at, note) in software {
        cat.software.push(PgiSoftware {
            id,
            name,
            source,
            citation,
            also_at: serde_json::from_str(&also_at)?,
            note,
        });
    }
    type Module = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
    );
    let modules: Vec<Module> = pgi_modules::table
        .select((
            pgi_modules::id,
            pgi_modules::label,
            pgi_modules::software,
            pgi_modules::source,
            pgi_modules::citation,
            pgi_modules::also_at,
        ))
        .order(pgi_modules::position)
        .load(c)?;
    for (id, label, software, source, citation, also_at) in modules {
        cat.modules.push(PgiModule {
            id,
            label,
            software: serde_json::from_str(&software)?,
            source,
            citation,
            also_at: serde_json::from_str(&also_at)?,
        });
    }
    let features: Vec<(String, String, String, String, String)> = pgi_features::table
        .select((
            pgi_features::id,
            pgi_features::module_id,
            pgi_features::label,
            pgi_features::keywords,
            pgi_features::sources,
        ))
        .order(pgi_features::position)
        .load(c)?;
    for (id, module, label, keywords, sources) in features {
        cat.features.push(PgiFeature {
            id,
            module,
            label,
            keywords: serde_json::from_str(&keywords)?,
            sources: serde_json::from_str(&sources)?,
        });
    }
    let base_modules: Vec<(String, String)> = pgi_base_modules::table
        .select((pgi_base_modules::base_id, pgi_base_modules::module_id))
        .order((pgi_base_modules::base_id, pgi_base_modules::position))
        .load(c)?;
    type Base = (
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
    );
    let bases: Vec<Base> = pgi_bases::table
        .select((
            pgi_bases::id,
            pgi_bases::name,
            pgi_bases::software,
            pgi_bases::notes,
            pgi_bases::sources,
            pgi_bases::rationale,
            pgi_bases::recommended_for,
        ))
        .order(pgi_bases::position)
        .load(c)?;
    for (id, name, software, notes, sources, rationale, recommended_for) in bases {
        let modules = base_modules
            .iter()
            .filter(|(b, _)| *b == id)
            .map(|(_, m)| m.clone())
            .collect();
        cat.bases.push(TrainingBase {
            id,
            name,
            software: serde_json::from_str(&software)?,
            modules,
            notes: serde_json::from_str(&notes)?,
            sources: serde_json::from_str(&sources)?,
            rationale,
            recommended_for: serde_json::from_str(&recommended_for)?,
        });
    }
    type Use = (i32, String, String, String, Option<String>, Option<String>);
    let uses: Vec<Use> = pgi_uses::table
        .select((
            pgi_uses::entry,
            pgi_uses::referential_id,
            pgi_uses::item_code,
            pgi_uses::feature_id,
            pgi_uses::source,
            pgi_uses::rationale,
        ))
        .order((pgi_uses::entry, pgi_uses::id))
        .load(c)?;
    let mut last_entry = None;
    for (entry, referential, item, feature, source, rationale) in uses {
        match cat.uses.last_mut() {
            Some(u) if last_entry == Some(entry) => u.features.push(feature),
            _ => cat.uses.push(FeatureUse {
                referential,
                item,
                features: vec![feature],
                source,
                rationale,
            }),
        }
        last_entry = Some(entry);
    }
    Ok(cat)
}

/// Every stored correspondence link, in file order.
pub fn load_links(c: &mut DbConnection) -> Result<Vec<Link>, AppError> {
    let rows: Vec<LinkRow> = correspondences::table
        .select(LinkRow::as_select())
        .order(correspondences::id)
        .load(c)?;
    rows.into_iter()
        .map(|r| {
            Ok(Link {
                relation: r.relation.parse().map_err(AppError::internal)?,
                from_referential: r.from_referential,
                from_code: r.from_code,
                to_referential: r.to_referential,
                to_code: r.to_code,
                rationale: r.rationale,
                source: r.source,
            })
        })
        .collect()
}
