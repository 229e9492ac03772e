//! Referentials: data files → validated load → database → in-memory catalog → API.

pub mod api;
pub mod catalog;
pub mod export;
pub mod file;
pub mod store;

use std::path::Path;

use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::error::AppError;

/// Validates every file of `dir`, then stores them all in one transaction; on any
/// problem nothing is written and the error lists them all.
pub fn load_dir(
    conn: &mut DbConnection,
    dir: &Path,
    now: NaiveDateTime,
) -> Result<Vec<store::LoadOutcome>, AppError> {
    let data = file::read_dir(dir).map_err(AppError::InvalidData)?;
    store::store(conn, &data, now)
}
