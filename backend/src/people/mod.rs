//! People: establishments, classes, accounts and the class lists schools bring in.
//!
//! - `classes`: establishment, school years, classes and their teachers;
//! - `accounts`: the admin's account management (create, edit, disable);
//! - `invitations`: one-time codes for a first sign-in, and the sheet to hand them out;
//! - `import`: parses and validates class-list spreadsheets (.xlsx, .ods, .csv) into rows
//!   and row errors, refusing hostile files before they can exhaust time or memory;
//! - `class_lists`: plans an import against the database (dry run) and commits it.
//!
//! Access rule everywhere: what a principal may not see answers 404, exactly like what
//! does not exist, so ids of other establishments cannot be probed.

pub mod accounts;
pub mod class_lists;
pub mod classes;
pub mod import;
pub mod invitations;

use actix_web::web;
use passerelle_api::Role;

use crate::auth::store::Principal;
use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    classes::routes(cfg);
    accounts::routes(cfg);
    invitations::routes(cfg);
    class_lists::routes(cfg);
}

/// The establishment an admin manages; every admin route goes through here.
pub(crate) fn admin_establishment(principal: &Principal) -> Result<i64, AppError> {
    crate::auth::api::require(principal, Role::Admin)?;
    principal.establishment_id.ok_or_else(|| {
        AppError::conflict(
            "no_establishment",
            "créez d'abord l'établissement (POST /api/establishment)",
        )
    })
}

pub(crate) fn field_error(field: &str, reason: &str) -> AppError {
    AppError::bad_request("invalid_field", format!("{field} : {reason}"))
}

/// A required text field: trimmed, inner spaces collapsed, at most `max_chars`.
pub(crate) fn required(field: &str, value: &str, max_chars: usize) -> Result<String, AppError> {
    let value = import::collapse_spaces(value);
    if value.is_empty() {
        return Err(field_error(field, "obligatoire"));
    }
    if value.chars().count() > max_chars {
        return Err(field_error(
            field,
            &format!("{max_chars} caractères au plus"),
        ));
    }
    Ok(value)
}
