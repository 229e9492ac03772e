//! Referentials in the database: writing a validated load (in one transaction, updating
//! items in place by code) and reading everything back for the catalog.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use passerelle_api::{Item, ItemKind};

use super::file::ReferentialData;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::schema::{referential_items, referentials};
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
    data: &[ReferentialData],
    now: NaiveDateTime,
) -> Result<Vec<LoadOutcome>, AppError> {
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
    if changed.is_empty() {
        return Ok(outcomes);
    }
    with_conn!(conn, |c| c.transaction::<_, AppError, _>(|c| {
        for d in &changed {
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
        }
        Ok(())
    }))?;
    outcomes.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(outcomes)
}

/// `(id, content_hash)` of every stored referential, sorted: changes whenever any
/// referential is (re)loaded, by this server or another one on the same database.
pub fn fingerprint(conn: &mut DbConnection) -> Result<Vec<(String, String)>, AppError> {
    Ok(referentials::table
        .select((referentials::id, referentials::content_hash))
        .order(referentials::id)
        .load(conn)?)
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
