//! Invitations: a one-time code per account for its first sign-in, handed out on paper.
//!
//! Codes are 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown as
//! `K7QM-2XPA-9RTD` (about 59 bits), typed on the activation page with the email, never
//! carried in a URL. Only their SHA-256 is stored; issuing a new code replaces the old one.
//! Issuing also clears any password and ends every session, so it doubles as the admin's
//! "reset" of an account. Imports create accounts without codes: codes are issued when the
//! admin prints the sheet, so an import stays cheap (no hashing, no secrets at rest).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use passerelle_api::{Invitation, InvitationRequest, Role};
use rand::Rng;
use rust_xlsxwriter::{Format, FormatBorder, Workbook, XlsxError};
use sha2::{Digest, Sha256};

use crate::audit::{self, Entry};
use crate::auth::store::{self, Principal};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::people::{accounts, admin_establishment};
use crate::schema::{class_students, classes, invitations, school_years, users};
use crate::server::AppState;

/// How long a code stays valid.
pub const INVITATION_TTL: Duration = Duration::days(30);
/// Most accounts invited in one request (a whole school's import fits).
pub const MAX_INVITATIONS: usize = 10_000;

const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const CODE_LEN: usize = 12;

pub use crate::upload::XLSX_MIME;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/invitations", web::post().to(issue_invitations));
}

/// A fresh code, grouped by four for reading aloud and typing.
pub fn new_code() -> String {
    let mut rng = rand::rng();
    let raw: String = (0..CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect();
    format!("{}-{}-{}", &raw[..4], &raw[4..8], &raw[8..])
}

/// The code as typed (any case, with or without dashes or spaces) → what is hashed.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

pub fn hash_code(code: &str) -> String {
    format!("{:x}", Sha256::digest(normalize_code(code).as_bytes()))
}

/// Issues codes to `user_ids` (all of `establishment`, checked by the caller), replacing
/// earlier codes, clearing passwords and ending sessions. One transaction.
pub fn issue(
    conn: &mut DbConnection,
    user_ids: &[i64],
    now: NaiveDateTime,
) -> Result<Vec<(i64, String)>, AppError> {
    let issued: Vec<(i64, String, String)> = user_ids
        .iter()
        .map(|&id| {
            let code = new_code();
            let hash = hash_code(&code);
            (id, code, hash)
        })
        .collect();
    crate::with_conn!(conn, |c| c.transaction::<_, AppError, _>(|c| {
        for chunk in user_ids.chunks(500) {
            diesel::delete(invitations::table.filter(invitations::user_id.eq_any(chunk)))
                .execute(c)?;
            diesel::update(users::table.filter(users::id.eq_any(chunk)))
                .set(users::password_hash.eq(None::<String>))
                .execute(c)?;
        }
        for chunk in issued.chunks(500) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(id, _, hash)| {
                    (
                        invitations::user_id.eq(*id),
                        invitations::code_hash.eq(hash.as_str()),
                        invitations::created_at.eq(now),
                        invitations::expires_at.eq(now + INVITATION_TTL),
                    )
                })
                .collect();
            diesel::insert_into(invitations::table)
                .values(rows)
                .execute(c)?;
        }
        Ok(())
    }))?;
    for &id in user_ids {
        store::revoke_all_sessions(conn, id, now)?;
    }
    Ok(issued.into_iter().map(|(id, code, _)| (id, code)).collect())
}

/// The account a valid, unexpired code was issued to (for an enabled account with this
/// email); None otherwise, whatever the reason, so nothing is told to a guesser.
pub fn check(
    conn: &mut DbConnection,
    email: &str,
    code: &str,
    now: NaiveDateTime,
) -> Result<Option<i64>, AppError> {
    let found: Option<(i64, String, NaiveDateTime, bool)> = invitations::table
        .inner_join(users::table)
        .filter(users::email.eq(store::normalize_email(email)))
        .select((
            users::id,
            invitations::code_hash,
            invitations::expires_at,
            users::disabled,
        ))
        .first(conn)
        .optional()?;
    Ok(found.and_then(|(id, stored, expires_at, disabled)| {
        let matches = constant_time_eq(stored.as_bytes(), hash_code(code).as_bytes());
        (matches && expires_at > now && !disabled).then_some(id)
    }))
}

/// Consumes the invitation of `user_id` and sets its password, in one transaction.
pub fn redeem(conn: &mut DbConnection, user_id: i64, password_hash: &str) -> Result<(), AppError> {
    crate::with_conn!(conn, |c| c.transaction::<_, AppError, _>(|c| {
        let deleted = diesel::delete(invitations::table.find(user_id)).execute(c)?;
        if deleted != 1 {
            // Used by a concurrent request in between: this one must not set a password.
            return Err(AppError::unauthorized(
                "invalid_invitation",
                "Adresse électronique ou code d'activation incorrect, ou code expiré",
            ));
        }
        diesel::update(users::table.find(user_id))
            .set(users::password_hash.eq(password_hash))
            .execute(c)?;
        Ok(())
    }))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The accounts a request names: explicit ids, or the class's accounts still waiting for
/// their first sign-in. Every one must be of the admin's establishment (404 otherwise).
fn targets(
    conn: &mut DbConnection,
    establishment: i64,
    actor: i64,
    request: &InvitationRequest,
) -> Result<Vec<i64>, AppError> {
    if request.user_ids.contains(&actor) {
        // It would clear the admin's own password in the middle of their session.
        return Err(AppError::conflict(
            "cannot_reset_self",
            "user_ids : changez votre propre mot de passe depuis « Mon compte »",
        ));
    }
    let mut ids = request.user_ids.clone();
    if let Some(class_id) = request.class_id {
        let class_found: i64 = classes::table
            .filter(classes::id.eq(class_id))
            .filter(classes::establishment_id.eq(establishment))
            .count()
            .get_result(conn)?;
        if class_found == 0 {
            return Err(AppError::not_found(format!(
                "classe introuvable : {class_id}"
            )));
        }
        ids.extend(
            class_students::table
                .inner_join(users::table)
                .filter(class_students::class_id.eq(class_id))
                .filter(users::password_hash.is_null())
                .filter(users::disabled.eq(false))
                .select(users::id)
                .load::<i64>(conn)?,
        );
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(AppError::bad_request(
            "invalid_field",
            "user_ids : aucun compte à inviter",
        ));
    }
    if ids.len() > MAX_INVITATIONS {
        return Err(AppError::bad_request(
            "invalid_field",
            format!("user_ids : {MAX_INVITATIONS} comptes au plus par envoi"),
        ));
    }
    let mut known: Vec<i64> = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        known.extend(
            users::table
                .filter(users::id.eq_any(chunk))
                .filter(users::establishment_id.eq(establishment))
                .select(users::id)
                .load::<i64>(conn)?,
        );
    }
    known.sort_unstable();
    if let Some(missing) = ids.iter().find(|id| known.binary_search(id).is_err()) {
        return Err(AppError::not_found(format!(
            "compte introuvable : {missing}"
        )));
    }
    Ok(ids)
}

/// The latest class each account attends (for the sheet).
fn class_names(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>, AppError> {
    let mut names = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String)> = class_students::table
            .inner_join(classes::table.inner_join(school_years::table))
            .filter(class_students::user_id.eq_any(chunk))
            .order(school_years::starts_on.asc())
            .select((class_students::user_id, classes::name))
            .load(conn)?;
        names.extend(rows);
    }
    Ok(names)
}

async fn issue_invitations(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<InvitationRequest>,
) -> Result<HttpResponse, AppError> {
    let establishment = admin_establishment(&principal)?;
    let request = body.into_inner();
    let now = Utc::now().naive_utc();
    let actor = principal.user_id;
    let mut invitations = crate::db::write(&state.pool, move |conn| {
        let ids = targets(conn, establishment, actor, &request)?;
        let accounts = accounts::load_accounts(conn, establishment, Some(&ids))?;
        let classes = class_names(conn, &ids)?;
        let codes = issue(conn, &ids, now)?;
        let detail = format!("{} account(s)", ids.len());
        audit::record(
            conn,
            now,
            Entry {
                actor_id: Some(actor),
                establishment_id: Some(establishment),
                action: "invitations.issued",
                object: &format!("users:{}", join_ids(&ids)),
                detail: &detail,
            },
        )?;
        let codes: std::collections::HashMap<i64, String> = codes.into_iter().collect();
        Ok(accounts
            .into_iter()
            .filter_map(|a| {
                Some(Invitation {
                    code: codes.get(&a.id)?.clone(),
                    class_name: classes.get(&a.id).cloned().or_else(|| {
                        (!a.roles.contains(&Role::Student)).then(|| {
                            a.roles
                                .iter()
                                .map(|r| r.label_fr())
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                    }),
                    user_id: a.id,
                    email: a.email,
                    first_name: a.first_name,
                    last_name: a.last_name,
                    expires_at: now + INVITATION_TTL,
                })
            })
            .collect::<Vec<_>>())
    })
    .await?;
    invitations.sort_by(|a, b| {
        (&a.class_name, &a.last_name, &a.first_name).cmp(&(
            &b.class_name,
            &b.last_name,
            &b.first_name,
        ))
    });
    let wants_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let response = if wants_json {
        HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(invitations)
    } else {
        let info = req.connection_info();
        let site = format!("{}://{}", info.scheme(), info.host());
        let bytes = invitation_sheet(&invitations, &site)
            .map_err(|e| AppError::internal(format!("invitation sheet: {e}")))?;
        HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"invitations.xlsx\"",
            ))
            .content_type(XLSX_MIME)
            .body(bytes)
    };
    Ok(response)
}

/// `1,2,3` (at most 50 ids, then `…`), for the audit log.
fn join_ids(ids: &[i64]) -> String {
    let mut shown: Vec<String> = ids.iter().take(50).map(i64::to_string).collect();
    if ids.len() > 50 {
        shown.push("…".to_owned());
    }
    shown.join(",")
}

/// The sheet an admin prints and cuts into slips: one row per person, with what to type
/// where. Landscape A4, fitted to the page width, header repeated on every page.
pub fn invitation_sheet(invitations: &[Invitation], site: &str) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Invitations")?;
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color("#E8EEF7")
        .set_border(FormatBorder::Thin);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let code = Format::new()
        .set_border(FormatBorder::Thin)
        .set_bold()
        .set_font_name("Courier New")
        .set_font_size(12);
    sheet.write_string_with_format(
        0,
        0,
        "Passerelle : invitations à la première connexion",
        &title,
    )?;
    sheet.write_string(
        1,
        0,
        format!(
            "Rendez-vous sur {site}/activer, saisissez votre adresse électronique et le code \
             d'activation, puis choisissez votre mot de passe. Chaque code ne sert qu'une fois."
        ),
    )?;
    let headers = [
        "Nom",
        "Prénom",
        "Classe ou rôle",
        "Adresse électronique",
        "Code d'activation",
        "Valable jusqu'au",
    ];
    for (col, text) in headers.iter().enumerate() {
        sheet.write_string_with_format(3, col as u16, *text, &head)?;
    }
    for (i, inv) in invitations.iter().enumerate() {
        let row = 4 + i as u32;
        sheet.write_string_with_format(row, 0, &inv.last_name, &cell)?;
        sheet.write_string_with_format(row, 1, &inv.first_name, &cell)?;
        sheet.write_string_with_format(row, 2, inv.class_name.as_deref().unwrap_or(""), &cell)?;
        sheet.write_string_with_format(row, 3, &inv.email, &cell)?;
        sheet.write_string_with_format(row, 4, &inv.code, &code)?;
        sheet.write_string_with_format(
            row,
            5,
            inv.expires_at.format("%d/%m/%Y").to_string(),
            &cell,
        )?;
    }
    for (col, width) in [22.0, 18.0, 18.0, 34.0, 20.0, 14.0].into_iter().enumerate() {
        sheet.set_column_width(col as u16, width)?;
    }
    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(3, 3)?;
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_normalize_as_typed() {
        let code = new_code();
        assert_eq!(code.len(), 14);
        assert_eq!(code.matches('-').count(), 2);
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(hash_code(&typed), hash_code(&code));
        assert_ne!(hash_code(&new_code()), hash_code(&code));
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
