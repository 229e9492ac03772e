//! PGI exercises: a teacher's catalogue, mapped to referential items, assigned to classes,
//! and the coverage a class gets from them.
//!
//! - `store`: the exercise rows, their links and file, and the object-level access rules;
//! - `handlers`: create, read, edit, duplicate, delete, attached file;
//! - `suggest`: items an exercise seems to practise (PGI features, words of its text);
//! - `assignments`: a class's progression (which exercise, from when to when);
//! - `coverage`: items × exercises for a class or an exercise set, JSON and xlsx;
//! - `catalogue`: exchange between schools (JSON and xlsx export, import with dry run).
//!
//! Access: teachers and admins of an establishment only. A teacher sees their own
//! exercises and those shared with the establishment; only the author or an admin edits.
//! What a principal may not see answers 404, like what does not exist.

pub mod assignments;
pub mod catalogue;
pub mod coverage;
pub mod demo;
pub mod generate;
pub mod handlers;
pub mod store;
pub mod suggest;

use actix_web::web;
use passerelle_api::Role;

use crate::auth::store::Principal;
use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Fixed paths before `/exercises/{id}`, which would otherwise take them.
    catalogue::routes(cfg);
    suggest::routes(cfg);
    coverage::routes(cfg);
    assignments::routes(cfg);
    handlers::routes(cfg);
}

/// The establishment of a teacher or admin: the only people with a catalogue.
pub(crate) fn staff_establishment(principal: &Principal) -> Result<i64, AppError> {
    if !principal.has(Role::Teacher) && !principal.has(Role::Admin) {
        return Err(AppError::forbidden(
            "réservé aux enseignants et aux administrateurs",
        ));
    }
    principal
        .establishment_id
        .ok_or_else(|| AppError::forbidden("votre compte n'est rattaché à aucun établissement"))
}

pub(crate) fn exercise_not_found(id: i64) -> AppError {
    AppError::not_found(format!("exercice introuvable : {id}"))
}
