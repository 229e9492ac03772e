//! `GET /api/grid-templates[/{id}[/versions]]`, `PUT /api/grid-templates/{id}`.

use std::collections::HashSet;

use actix_web::{web, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use passerelle_api::{
    GridTemplate, GridTemplateInput, GridTemplateSummary, GridTemplateVersion, PersonRef, Role,
    TemplateOrigin, GRID_CRITERIA_MAX, GRID_TEXT_MAX_CHARS,
};

use super::templates;
use crate::auth::store::Principal;
use crate::db::{run, DbConnection};
use crate::error::AppError;
use crate::people::{admin_establishment, field_error, required};
use crate::referentials::api::snapshot;
use crate::referentials::catalog::Snapshot;
use crate::schema::{grid_template_versions, users};
use crate::server::AppState;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/grid-templates", web::get().to(list))
        .route("/grid-templates/{id}", web::get().to(get))
        .route("/grid-templates/{id}", web::put().to(update))
        .route("/grid-templates/{id}/versions", web::get().to(versions));
}

/// Admins, teachers and jury members of an establishment.
fn reader_establishment(principal: &Principal) -> Result<i64, AppError> {
    if ![Role::Admin, Role::Teacher, Role::Jury]
        .iter()
        .any(|r| principal.has(*r))
    {
        return Err(AppError::forbidden(
            "réservé aux administrateurs, enseignants et membres de jury",
        ));
    }
    principal
        .establishment_id
        .ok_or_else(|| AppError::forbidden("votre compte n'est rattaché à aucun établissement"))
}

type VersionRow = (i32, String, i64, String, String, NaiveDateTime);

/// The establishment's versions of `template_id`, newest first.
fn stored_versions(
    conn: &mut DbConnection,
    establishment: i64,
    template_id: &str,
) -> Result<Vec<VersionRow>, AppError> {
    Ok(grid_template_versions::table
        .inner_join(users::table.on(users::id.eq(grid_template_versions::edited_by)))
        .filter(grid_template_versions::establishment_id.eq(establishment))
        .filter(grid_template_versions::template_id.eq(template_id))
        .order(grid_template_versions::version.desc())
        .select((
            grid_template_versions::version,
            grid_template_versions::body,
            users::id,
            users::first_name,
            users::last_name,
            grid_template_versions::edited_at,
        ))
        .load(conn)?)
}

/// The template as the establishment uses it: the generated grid with its latest edit.
pub fn current(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    establishment: i64,
    id: &str,
) -> Result<GridTemplate, AppError> {
    let mut template = templates::generated_one(snapshot, id)
        .ok_or_else(|| AppError::not_found(format!("grille introuvable : {id}")))?;
    if let Some(latest) = stored_versions(conn, establishment, id)?.into_iter().next() {
        apply(&mut template, latest)?;
    }
    Ok(template)
}

/// The template as it was in `version` (1: generated): what a session opened with.
pub fn at_version(
    conn: &mut DbConnection,
    snapshot: &Snapshot,
    establishment: i64,
    id: &str,
    version: u32,
) -> Result<GridTemplate, AppError> {
    let mut template = templates::generated_one(snapshot, id)
        .ok_or_else(|| AppError::not_found(format!("grille introuvable : {id}")))?;
    if let Some(row) = stored_versions(conn, establishment, id)?
        .into_iter()
        .find(|row| u32::try_from(row.0).ok() == Some(version))
    {
        apply(&mut template, row)?;
    }
    Ok(template)
}

fn apply(template: &mut GridTemplate, row: VersionRow) -> Result<(), AppError> {
    let (version, body, editor, first_name, last_name, edited_at) = row;
    let input: GridTemplateInput = serde_json::from_str(&body)?;
    template.title = input.title;
    template.criteria = input.criteria;
    template.scale = input.scale;
    template.rule = input.rule;
    template.comment_fields = input.comment_fields;
    template.version = u32::try_from(version).unwrap_or(1);
    template.origin = TemplateOrigin::Edited;
    template.edited_by = Some(PersonRef {
        id: editor,
        first_name,
        last_name,
    });
    template.edited_at = Some(edited_at);
    Ok(())
}

async fn list(state: web::Data<AppState>, principal: Principal) -> Result<HttpResponse, AppError> {
    let establishment = reader_establishment(&principal)?;
    let referentials = snapshot(&state).await?;
    let list = run(&state.pool, move |conn| {
        templates::generated(&referentials)
            .into_iter()
            .map(|t| {
                let t = current(conn, &referentials, establishment, &t.id)?;
                Ok(GridTemplateSummary {
                    id: t.id,
                    referential_id: t.referential_id,
                    epreuve: t.epreuve,
                    unit: t.unit,
                    title: t.title,
                    coefficient: t.coefficient,
                    criteria: t.criteria.len() as u32,
                    version: t.version,
                    origin: t.origin,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

async fn get(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let establishment = reader_establishment(&principal)?;
    let referentials = snapshot(&state).await?;
    let id = id.into_inner();
    let template = run(&state.pool, move |conn| {
        current(conn, &referentials, establishment, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(template))
}

/// Checks an admin's grid: a title, 1 to 60 criteria with distinct codes, labels and
/// positive weights, a scale of 2 to 10 distinct degrees; 400 naming the field.
fn check(input: GridTemplateInput) -> Result<GridTemplateInput, AppError> {
    let title = required("title", &input.title, GRID_TEXT_MAX_CHARS)?;
    if input.criteria.is_empty() || input.criteria.len() > GRID_CRITERIA_MAX {
        return Err(field_error(
            "criteria",
            &format!("entre 1 et {GRID_CRITERIA_MAX} critères"),
        ));
    }
    let mut codes = HashSet::new();
    let mut criteria = Vec::with_capacity(input.criteria.len());
    for (i, mut criterion) in input.criteria.into_iter().enumerate() {
        criterion.code = required(&format!("criteria[{i}].code"), &criterion.code, 40)?;
        criterion.label = required(
            &format!("criteria[{i}].label"),
            &criterion.label,
            GRID_TEXT_MAX_CHARS,
        )?;
        if !codes.insert(criterion.code.clone()) {
            return Err(field_error(
                &format!("criteria[{i}].code"),
                &format!("le code « {} » est déjà pris", criterion.code),
            ));
        }
        if !(criterion.weight > 0.0 && criterion.weight <= 100.0) {
            return Err(field_error(
                &format!("criteria[{i}].weight"),
                "un poids strictement positif, 100 au plus",
            ));
        }
        for (j, indicator) in criterion.indicators.iter().enumerate() {
            if indicator.chars().count() > GRID_TEXT_MAX_CHARS {
                return Err(field_error(
                    &format!("criteria[{i}].indicators[{j}]"),
                    &format!("{GRID_TEXT_MAX_CHARS} caractères au plus"),
                ));
            }
        }
        criteria.push(criterion);
    }
    if input.scale.len() < 2 || input.scale.len() > 10 {
        return Err(field_error("scale", "entre 2 et 10 degrés de maîtrise"));
    }
    let mut scale = Vec::with_capacity(input.scale.len());
    for (i, degree) in input.scale.iter().enumerate() {
        let degree = required(&format!("scale[{i}]"), degree, 80)?;
        if scale.contains(&degree) {
            return Err(field_error(&format!("scale[{i}]"), "degré en double"));
        }
        scale.push(degree);
    }
    let mut comment_fields = Vec::with_capacity(input.comment_fields.len());
    for (i, field) in input.comment_fields.iter().enumerate() {
        comment_fields.push(required(&format!("comment_fields[{i}]"), field, 200)?);
    }
    Ok(GridTemplateInput {
        title,
        criteria,
        scale,
        rule: input.rule,
        comment_fields,
    })
}

/// A new version of the establishment's grid (admins); earlier versions stay.
async fn update(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    body: web::Json<GridTemplateInput>,
) -> Result<HttpResponse, AppError> {
    let establishment = admin_establishment(&principal)?;
    let referentials = snapshot(&state).await?;
    let id = id.into_inner();
    let input = check(body.into_inner())?;
    let now = Utc::now().naive_utc();
    let template = crate::db::write(&state.pool, move |conn| {
        let before = current(conn, &referentials, establishment, &id)?;
        conn.transaction::<_, AppError, _>(|conn| {
            diesel::insert_into(grid_template_versions::table)
                .values((
                    grid_template_versions::establishment_id.eq(establishment),
                    grid_template_versions::template_id.eq(&id),
                    grid_template_versions::version.eq(before.version as i32 + 1),
                    grid_template_versions::body.eq(serde_json::to_string(&input)?),
                    grid_template_versions::edited_by.eq(principal.user_id),
                    grid_template_versions::edited_at.eq(now),
                ))
                .execute(conn)?;
            crate::audit::record(
                conn,
                now,
                crate::audit::Entry {
                    actor_id: Some(principal.user_id),
                    establishment_id: Some(establishment),
                    action: "grid_template.edited",
                    object: &format!("grid_template:{id}"),
                    detail: &format!("version {}", before.version + 1),
                },
            )
        })?;
        current(conn, &referentials, establishment, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(template))
}

async fn versions(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let establishment = reader_establishment(&principal)?;
    let referentials = snapshot(&state).await?;
    let id = id.into_inner();
    let list = run(&state.pool, move |conn| {
        let generated = templates::generated_one(&referentials, &id)
            .ok_or_else(|| AppError::not_found(format!("grille introuvable : {id}")))?;
        let mut out = Vec::new();
        for row in stored_versions(conn, establishment, &id)? {
            let mut t = generated.clone();
            apply(&mut t, row)?;
            out.push(GridTemplateVersion {
                version: t.version,
                origin: t.origin,
                edited_by: t.edited_by,
                edited_at: t.edited_at,
                title: t.title,
                criteria: t.criteria.len() as u32,
            });
        }
        out.push(GridTemplateVersion {
            version: 1,
            origin: TemplateOrigin::Referential,
            edited_by: None,
            edited_at: None,
            title: generated.title.clone(),
            criteria: generated.criteria.len() as u32,
        });
        Ok(out)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}
