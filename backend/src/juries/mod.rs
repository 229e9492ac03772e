//! CCF grids and exam juries.
//!
//! - `templates`: the grids generated from the referential data;
//! - `handlers`: reading them, and an admin's adaptations, each a new version;
//! - `sessions`: exam sessions of an épreuve, their candidates and juries;
//! - `grids`: each member's assessment, the agreed grid, signatures and lock, reopening;
//! - `export`: the grids as xlsx (candidate, session) and the exam office's CSV;
//! - `import`: grids filled offline in the session workbook, checked cell by cell.
//!
//! Access: the establishment's admins, teachers and jury members read the templates;
//! only admins adapt them.

pub mod demo;
pub mod export;
pub mod grids;
pub mod handlers;
pub mod import;
pub mod sessions;
pub mod sheet;
pub mod templates;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    handlers::routes(cfg);
    sessions::routes(cfg);
    grids::routes(cfg);
    export::routes(cfg);
    import::routes(cfg);
}
