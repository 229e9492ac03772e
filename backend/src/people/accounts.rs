//! Account management by an establishment's admin: list, create, edit, disable. New
//! accounts have no password: they are `invited` until their one-time code is used
//! (see `invitations`). Disabling ends every session at once.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use passerelle_api::{Account, AccountInput, AccountStatus, AccountUpdate, Role};
use serde::Deserialize;

use crate::audit::{self, Entry};
use crate::auth::store::{self, Principal};
use crate::db::{run, DbConnection};
use crate::error::AppError;
use crate::fold::fold;
use crate::people::import::{valid_email, MAX_NAME_CHARS};
use crate::people::{admin_establishment, field_error, required};
use crate::schema::{class_students, class_teachers, classes, school_years, user_roles, users};
use crate::server::AppState;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/accounts", web::get().to(list_accounts))
        .route("/accounts", web::post().to(create_account))
        .route("/accounts/{id}", web::patch().to(update_account));
}

#[derive(Debug, Deserialize)]
struct AccountFilter {
    role: Option<String>,
    q: Option<String>,
}

type UserRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    bool,
    Option<NaiveDate>,
    Option<String>,
);

fn status_of(has_password: bool, disabled: bool) -> AccountStatus {
    if disabled {
        AccountStatus::Disabled
    } else if has_password {
        AccountStatus::Active
    } else {
        AccountStatus::Invited
    }
}

/// Accounts of `establishment`, optionally only `ids`, with roles and class names.
pub(crate) fn load_accounts(
    conn: &mut DbConnection,
    establishment: i64,
    ids: Option<&[i64]>,
) -> Result<Vec<Account>, AppError> {
    let mut query = users::table
        .filter(users::establishment_id.eq(establishment))
        .select((
            users::id,
            users::email,
            users::first_name,
            users::last_name,
            users::password_hash,
            users::disabled,
            users::birth_date,
            users::ine,
        ))
        .order((users::last_name, users::first_name, users::id))
        .into_boxed();
    if let Some(ids) = ids {
        query = query.filter(users::id.eq_any(ids.to_vec()));
    }
    let rows: Vec<UserRow> = query.load(conn)?;
    let mut roles: HashMap<i64, Vec<Role>> = HashMap::new();
    let role_rows: Vec<(i64, String)> = user_roles::table
        .inner_join(users::table)
        .filter(users::establishment_id.eq(establishment))
        .select((user_roles::user_id, user_roles::role))
        .load(conn)?;
    for (user, role) in role_rows {
        if let Some(role) = Role::parse(&role) {
            roles.entry(user).or_default().push(role);
        }
    }
    // Class names, latest school year first: as a student, then as a teacher.
    let mut class_names: HashMap<i64, Vec<String>> = HashMap::new();
    let attending: Vec<(i64, String)> = class_students::table
        .inner_join(classes::table.inner_join(school_years::table))
        .filter(classes::establishment_id.eq(establishment))
        .order((school_years::starts_on.desc(), classes::name))
        .select((class_students::user_id, classes::name))
        .load(conn)?;
    let teaching: Vec<(i64, String)> = class_teachers::table
        .inner_join(classes::table.inner_join(school_years::table))
        .filter(classes::establishment_id.eq(establishment))
        .order((school_years::starts_on.desc(), classes::name))
        .select((class_teachers::user_id, classes::name))
        .load(conn)?;
    for (user, name) in attending.into_iter().chain(teaching) {
        class_names.entry(user).or_default().push(name);
    }
    Ok(rows
        .into_iter()
        .map(
            |(id, email, first_name, last_name, password_hash, disabled, birth_date, ine)| {
                let mut roles = roles.remove(&id).unwrap_or_default();
                roles.sort();
                Account {
                    id,
                    email,
                    first_name,
                    last_name,
                    roles,
                    status: status_of(password_hash.is_some(), disabled),
                    birth_date,
                    ine,
                    classes: class_names.remove(&id).unwrap_or_default(),
                }
            },
        )
        .collect())
}

fn account_not_found(id: i64) -> AppError {
    AppError::not_found(format!("compte introuvable : {id}"))
}

async fn list_accounts(
    state: web::Data<AppState>,
    principal: Principal,
    filter: web::Query<AccountFilter>,
) -> Result<HttpResponse, AppError> {
    let establishment = admin_establishment(&principal)?;
    let AccountFilter { role, q } = filter.into_inner();
    let role = match role.as_deref().filter(|r| !r.is_empty()) {
        None => None,
        Some(r) => Some(Role::parse(r).ok_or_else(|| {
            AppError::bad_request(
                "invalid_query",
                format!("role : rôle inconnu « {r} » (admin, teacher, student, jury)"),
            )
        })?),
    };
    let mut accounts = run(&state.pool, move |conn| {
        load_accounts(conn, establishment, None)
    })
    .await?;
    if let Some(role) = role {
        accounts.retain(|a| a.roles.contains(&role));
    }
    if let Some(q) = q.map(|q| fold(q.trim())).filter(|q| !q.is_empty()) {
        accounts.retain(|a| {
            let haystack = fold(&format!(
                "{} {} {} {}",
                a.first_name,
                a.last_name,
                a.email,
                a.ine.as_deref().unwrap_or("")
            ));
            q.split_whitespace().all(|word| haystack.contains(word))
        });
    }
    Ok(HttpResponse::Ok().json(accounts))
}

fn valid_roles(roles: &[Role]) -> Result<Vec<Role>, AppError> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        return Err(field_error("roles", "au moins un rôle"));
    }
    Ok(roles)
}

async fn create_account(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<AccountInput>,
) -> Result<HttpResponse, AppError> {
    let establishment = admin_establishment(&principal)?;
    let input = body.into_inner();
    let email = store::normalize_email(&input.email);
    if !valid_email(&email) {
        return Err(field_error(
            "email",
            &format!("adresse électronique invalide « {} »", input.email.trim()),
        ));
    }
    let first_name = required("first_name", &input.first_name, MAX_NAME_CHARS)?;
    let last_name = required("last_name", &input.last_name, MAX_NAME_CHARS)?;
    let roles = valid_roles(&input.roles)?;
    let now = Utc::now().naive_utc();
    let actor = principal.user_id;
    let account = crate::db::write(&state.pool, move |conn| {
        let id = store::create_user(
            conn,
            &email,
            &first_name,
            &last_name,
            None,
            &roles,
            Some(establishment),
            now,
        )?;
        record(
            conn,
            now,
            actor,
            establishment,
            "account.created",
            id,
            &roles_detail(&roles),
        )?;
        one_account(conn, establishment, id)
    })
    .await?;
    Ok(HttpResponse::Created().json(account))
}

fn roles_detail(roles: &[Role]) -> String {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    format!("roles: {}", names.join(","))
}

pub(crate) fn one_account(
    conn: &mut DbConnection,
    establishment: i64,
    id: i64,
) -> Result<Account, AppError> {
    load_accounts(conn, establishment, Some(&[id]))?
        .pop()
        .ok_or_else(|| account_not_found(id))
}

fn record(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: i64,
    establishment: i64,
    action: &str,
    user: i64,
    detail: &str,
) -> Result<(), AppError> {
    let object = format!("user:{user}");
    audit::record(
        conn,
        now,
        Entry {
            actor_id: Some(actor),
            establishment_id: Some(establishment),
            action,
            object: &object,
            detail,
        },
    )
}

async fn update_account(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<i64>,
    body: web::Json<AccountUpdate>,
) -> Result<HttpResponse, AppError> {
    let establishment = admin_establishment(&principal)?;
    let id = id.into_inner();
    let update = body.into_inner();
    let first_name = update
        .first_name
        .as_deref()
        .map(|v| required("first_name", v, MAX_NAME_CHARS))
        .transpose()?;
    let last_name = update
        .last_name
        .as_deref()
        .map(|v| required("last_name", v, MAX_NAME_CHARS))
        .transpose()?;
    let roles = update.roles.as_deref().map(valid_roles).transpose()?;
    let actor = principal.user_id;
    if id == actor {
        // An admin cannot lock themselves out of their own establishment.
        if update.disabled == Some(true) {
            return Err(AppError::conflict(
                "cannot_disable_self",
                "disabled : vous ne pouvez pas désactiver votre propre compte",
            ));
        }
        if roles.as_ref().is_some_and(|r| !r.contains(&Role::Admin)) {
            return Err(AppError::conflict(
                "cannot_demote_self",
                "roles : vous ne pouvez pas retirer votre propre rôle d'administration",
            ));
        }
    }
    let now = Utc::now().naive_utc();
    let account = crate::db::write(&state.pool, move |conn| {
        // Object check: the account must be of the admin's establishment.
        let before = one_account(conn, establishment, id)?;
        let (first_name, last_name, roles) = (first_name.clone(), last_name.clone(), roles.clone());
        let mut changes = Vec::new();
        crate::with_conn!(conn, |c| c.transaction::<_, AppError, _>(|c| {
            if let Some(v) = first_name.filter(|v| *v != before.first_name) {
                diesel::update(users::table.find(id))
                    .set(users::first_name.eq(&v))
                    .execute(c)?;
                changes.push(format!("first_name: {v}"));
            }
            if let Some(v) = last_name.filter(|v| *v != before.last_name) {
                diesel::update(users::table.find(id))
                    .set(users::last_name.eq(&v))
                    .execute(c)?;
                changes.push(format!("last_name: {v}"));
            }
            if let Some(roles) = roles.filter(|r| *r != before.roles) {
                diesel::delete(user_roles::table.filter(user_roles::user_id.eq(id))).execute(c)?;
                for role in &roles {
                    diesel::insert_into(user_roles::table)
                        .values((
                            user_roles::user_id.eq(id),
                            user_roles::role.eq(role.as_str()),
                        ))
                        .execute(c)?;
                }
                changes.push(roles_detail(&roles));
            }
            if let Some(disabled) = update.disabled {
                if disabled != (before.status == AccountStatus::Disabled) {
                    diesel::update(users::table.find(id))
                        .set(users::disabled.eq(disabled))
                        .execute(c)?;
                    changes.push(format!("disabled: {disabled}"));
                }
            }
            Ok(())
        }))?;
        if update.disabled == Some(true) {
            store::revoke_all_sessions(conn, id, now)?;
        }
        if !changes.is_empty() {
            record(
                conn,
                now,
                actor,
                establishment,
                "account.updated",
                id,
                &changes.join("; "),
            )?;
        }
        one_account(conn, establishment, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(account))
}
