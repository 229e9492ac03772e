//! HTTP handlers of the referentials slice.

use std::sync::Arc;
use std::time::Instant;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use passerelle_api::{
    ImpliedRequest, ReferentialSummary, IMPLIED_MAX_ITEMS, SEARCH_QUERY_MAX_CHARS,
};
use serde::Deserialize;

use super::catalog::{self, Snapshot};
use crate::encoding::request_accepts;
use crate::error::AppError;
use crate::server::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/referentials", web::get().to(list))
        .route("/referentials/{id}", web::get().to(detail))
        .route("/referentials/{id}/items/{code}", web::get().to(item))
        .route("/search", web::get().to(search))
        .route("/pgi", web::get().to(pgi))
        .route("/correspondences/implied", web::post().to(implied))
        .configure(super::export::routes);
}

/// The referentials to answer from: the snapshot in hand (re-checked in the background
/// when due), or, before the first one exists, one read from the database.
pub(crate) async fn snapshot(state: &web::Data<AppState>) -> Result<Arc<Snapshot>, AppError> {
    if let Some(cached) = state.catalog.cached(Instant::now()) {
        if cached.stale && state.catalog.begin_refresh() {
            let state = state.clone();
            actix_web::rt::spawn(async move {
                let catalog = state.catalog.clone();
                let checked = web::block(move || {
                    let mut conn = state.pool.get()?;
                    state.catalog.snapshot(&mut conn, Instant::now())
                })
                .await;
                catalog.end_refresh();
                if let Ok(Err(e)) | Err(e) = checked.map_err(AppError::from) {
                    log::warn!("referentials re-check failed: {e}");
                }
            });
        }
        return Ok(cached.snapshot);
    }
    let state = state.clone();
    web::block(move || {
        let mut conn = state.pool.get()?;
        state.catalog.snapshot(&mut conn, Instant::now())
    })
    .await?
}

pub(crate) fn unknown_referential(id: &str) -> AppError {
    AppError::not_found(format!("référentiel inconnu : {id}"))
}

async fn list(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let snapshot = snapshot(&state).await?;
    let list: Vec<&ReferentialSummary> = snapshot.entries.iter().map(|e| &e.summary).collect();
    Ok(HttpResponse::Ok().json(list))
}

async fn detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let snapshot = snapshot(&state).await?;
    let entry = snapshot.get(&id).ok_or_else(|| unknown_referential(&id))?;
    // The content hash names this exact data: clients revalidate with If-None-Match.
    // Weak: the gzipped and plain bodies are the same representation of the same data.
    let etag = format!("W/\"{}\"", entry.content_hash);
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag.trim_start_matches("W/"))
        });
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    if fresh {
        return Ok(response.finish());
    }
    response
        .content_type("application/json")
        .insert_header((header::VARY, "Accept-Encoding"));
    // Served pre-compressed when accepted; the Compress middleware leaves a response that
    // already has a Content-Encoding alone.
    if request_accepts(&req, "gzip") {
        return Ok(response
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(entry.detail_gzip.clone()));
    }
    Ok(response.body(entry.detail_json.clone()))
}

async fn item(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, code) = path.into_inner();
    let snapshot = snapshot(&state).await?;
    snapshot.get(&id).ok_or_else(|| unknown_referential(&id))?;
    let detail = snapshot
        .item_detail(&id, &code)
        .ok_or_else(|| AppError::not_found(format!("élément inconnu dans {id} : {code}")))?;
    Ok(HttpResponse::Ok().json(detail))
}

async fn pgi(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let snapshot = snapshot(&state).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(snapshot.pgi_json.clone()))
}

async fn implied(
    state: web::Data<AppState>,
    body: web::Json<ImpliedRequest>,
) -> Result<HttpResponse, AppError> {
    let request = body.into_inner();
    if request.items.len() > IMPLIED_MAX_ITEMS {
        return Err(AppError::unprocessable(
            "too_many_items",
            format!("items : au plus {IMPLIED_MAX_ITEMS} éléments par demande"),
        ));
    }
    let snapshot = snapshot(&state).await?;
    let unknown: Vec<String> = request
        .items
        .iter()
        .filter(|i| !snapshot.has_item(&i.referential_id, &i.code))
        .map(|i| format!("{} {}", i.referential_id, i.code))
        .collect();
    if !unknown.is_empty() {
        return Err(AppError::unprocessable(
            "unknown_item",
            format!("éléments inconnus : {}", unknown.join(", ")),
        ));
    }
    let items: Vec<(String, String)> = request
        .items
        .into_iter()
        .map(|i| (i.referential_id, i.code))
        .collect();
    Ok(HttpResponse::Ok().json(snapshot.implied(&items)))
}

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    referential: Option<String>,
}

async fn search(
    state: web::Data<AppState>,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, AppError> {
    let query = params.q.as_deref().map(str::trim).unwrap_or_default();
    if query.is_empty() {
        return Err(AppError::bad_request(
            "invalid_query",
            "q : le texte à rechercher est vide",
        ));
    }
    if query.chars().count() > SEARCH_QUERY_MAX_CHARS {
        return Err(AppError::bad_request(
            "query_too_long",
            format!("q : la recherche dépasse {SEARCH_QUERY_MAX_CHARS} caractères"),
        ));
    }
    let snapshot = snapshot(&state).await?;
    let entries: Vec<_> = match params.referential.as_deref().filter(|r| !r.is_empty()) {
        Some(id) => vec![snapshot.get(id).ok_or_else(|| unknown_referential(id))?],
        None => snapshot.entries.iter().collect(),
    };
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(catalog::search_json(&entries, query)?))
}
