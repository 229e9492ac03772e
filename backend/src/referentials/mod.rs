//! Referentials: data files → validated load → database → in-memory catalog → API.
//!
//! A load reads the referentials (`*.toml`), then the PGI catalogue (`pgi/`) and the
//! correspondences (`correspondences/`), which name referential items and are checked
//! against them; any problem anywhere refuses the whole load.

pub mod api;
pub mod catalog;
pub mod correspondences;
pub mod export;
pub mod file;
pub mod pgi;
pub mod store;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::error::AppError;

/// Everything a load reads from the referentials folder, validated.
#[derive(Debug, Clone)]
pub struct LoadData {
    pub referentials: Vec<file::ReferentialData>,
    pub pgi: pgi::PgiData,
    pub correspondences: correspondences::CorrespondenceData,
}

/// The item codes of each referential of a load, to check the links that name them.
pub struct ItemIndex {
    codes: HashMap<String, HashSet<String>>,
}

impl ItemIndex {
    pub fn new(data: &[file::ReferentialData]) -> Self {
        ItemIndex {
            codes: data
                .iter()
                .map(|d| {
                    (
                        d.id.clone(),
                        d.items.iter().map(|i| i.code.clone()).collect(),
                    )
                })
                .collect(),
        }
    }

    pub fn has_referential(&self, id: &str) -> bool {
        self.codes.contains_key(id)
    }

    /// Ok when `code` is an item of `referential`; otherwise the reason, in English.
    pub fn check(&self, referential: &str, code: &str) -> Result<(), String> {
        match self.codes.get(referential) {
            None => Err(format!("unknown referential `{referential}`")),
            Some(codes) if !codes.contains(code) => {
                Err(format!("`{code}` is not an item of {referential}"))
            }
            Some(_) => Ok(()),
        }
    }
}

/// Reads and validates the whole folder. All or nothing: every problem is listed.
pub fn read_dir(dir: &Path) -> Result<LoadData, Vec<String>> {
    let referentials = file::read_dir(dir)?;
    let index = ItemIndex::new(&referentials);
    let mut seeds = file::Seeds::new(dir.join(file::SOURCES_DIR));
    let pgi = pgi::read(dir, &index, &mut seeds);
    let correspondences = correspondences::read(dir, &index, &mut seeds);
    match (pgi, correspondences) {
        (Ok(pgi), Ok(correspondences)) => Ok(LoadData {
            referentials,
            pgi,
            correspondences,
        }),
        (pgi, correspondences) => Err(pgi
            .err()
            .into_iter()
            .chain(correspondences.err())
            .flatten()
            .collect()),
    }
}

/// Validates every file of `dir`, then stores them all in one transaction; on any
/// problem nothing is written and the error lists them all.
pub fn load_dir(
    conn: &mut DbConnection,
    dir: &Path,
    now: NaiveDateTime,
) -> Result<Vec<store::LoadOutcome>, AppError> {
    let data = read_dir(dir).map_err(AppError::InvalidData)?;
    store::store(conn, &data, now)
}
