//! Student portfolios: "fiches de situation professionnelle" written by students,
//! reviewed by their teachers, and what they add up to.
//!
//! - `access`: who sees which fiche and which student's portfolio (checked per object);
//! - `store`: fiche rows, their items, the checks on what a student writes, history;
//! - `handlers`: a student's fiches (create, edit, submit, delete a draft), the
//!   exercises they may cite;
//! - `review`: the teachers' queue, comments, return, validate (with levels), reopen;
//! - `attachments`: files on a fiche (type checked by content, image metadata removed,
//!   per-student quota), stored in the database;
//! - `notifications`: in-app notices of submissions, returns and validations;
//! - `progress`: per student and per class, items evidenced, levels, what is missing
//!   before the exam;
//! - `export`: the "passeport professionnel" (xlsx) and portfolio archives (zip).
//!
//! Access: a student sees their own fiches, in every state; the teachers of the fiche's
//! class and the establishment's admins see it once submitted (drafts are the student's
//! alone). Anything else answers 404, like what does not exist.

pub mod access;
pub mod attachments;
pub mod demo;
pub mod export;
pub mod generate;
pub mod handlers;
pub mod notifications;
pub mod progress;
pub mod review;
pub mod store;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Fixed paths before `/fiches/{id}`.
    handlers::routes(cfg);
    review::routes(cfg);
    attachments::routes(cfg);
    notifications::routes(cfg);
    progress::routes(cfg);
    export::routes(cfg);
}
