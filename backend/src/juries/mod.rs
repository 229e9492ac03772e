//! CCF grids and exam juries.
//!
//! - `templates`: the grids generated from the referential data;
//! - `handlers`: reading them, and an admin's adaptations, each a new version.
//!
//! Access: the establishment's admins, teachers and jury members read the templates;
//! only admins adapt them.

pub mod handlers;
pub mod templates;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    handlers::routes(cfg);
}
