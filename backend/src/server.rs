//! The HTTP server: API under /api, the built SPA at /.

use std::path::PathBuf;
use std::sync::Arc;

use actix_web::middleware::{Compress, Logger};
use actix_web::{web, App, HttpResponse, HttpServer};
use passerelle_api::spa::Bundle;
use serde_json::json;

use crate::auth;
use crate::auth::{PasswordHasher, TokenConfig};
use crate::db::DbPool;
use crate::error::AppError;
use crate::referentials;
use crate::spa;
use crate::{audit, exercises, juries, people, portfolio};

/// Shared by every worker.
pub struct AppState {
    pub pool: DbPool,
    pub catalog: Arc<referentials::catalog::Catalog>,
    pub tokens: TokenConfig,
    pub hasher: PasswordHasher,
    /// What each class's fiches add up to, kept between reads (checked on each).
    pub evidence: Arc<crate::portfolio::progress::EvidenceCache>,
}

/// The OpenAPI 3.1 document of the API, kept beside the code and checked by the tests
/// (every route documented, every response valid against its schema).
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

pub struct ServeOptions {
    pub bind: String,
    pub tokens: TokenConfig,
    /// Reverse proxies whose forwarding headers tell the client's address.
    pub trusted_proxies: crate::client_addr::TrustedProxies,
    pub spa_dir: PathBuf,
    pub workers: Option<usize>,
}

pub async fn serve(pool: DbPool, options: ServeOptions) -> std::io::Result<()> {
    let state = web::Data::new(AppState {
        pool,
        catalog: Arc::default(),
        tokens: options.tokens,
        hasher: PasswordHasher::default(),
        evidence: Arc::default(),
    });
    let spa_dir = options.spa_dir;
    let trusted_proxies = web::Data::new(options.trusted_proxies);
    let missing: Vec<&str> = Bundle::ALL
        .iter()
        .map(|b| b.html_file())
        .filter(|page| !spa_dir.join(page).is_file())
        .collect();
    if !missing.is_empty() {
        log::warn!(
            "SPA incomplete in {} (missing {}; build it with scripts/build-spa): its pages \
             answer 404, the API still works",
            spa_dir.display(),
            missing.join(", ")
        );
    }
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(trusted_proxies.clone())
            .app_data(web::QueryConfig::default().error_handler(|e, _| {
                AppError::bad_request("bad_request", format!("paramètres invalides : {e}")).into()
            }))
            .app_data(
                web::JsonConfig::default()
                    .limit(64 * 1024)
                    .error_handler(|e, _| {
                        AppError::bad_request("invalid_json", format!("corps JSON invalide : {e}"))
                            .into()
                    }),
            )
            .wrap(actix_web::middleware::from_fn(crate::security_headers::add))
            // Only method, path without query string, status and time: no tokens or
            // personal data from query strings end up in logs.
            .wrap(
                Logger::new("%{METHOD}xi %U %s %Dms")
                    .custom_request_replace("METHOD", |req| req.method().to_string()),
            )
            .service(
                web::scope("/api")
                    .route("/health", web::get().to(health))
                    .route("/openapi.json", web::get().to(openapi))
                    .configure(referentials::api::routes)
                    .configure(auth::api::routes)
                    .configure(people::routes)
                    .configure(exercises::routes)
                    .configure(portfolio::routes)
                    .configure(juries::routes)
                    .configure(audit::routes)
                    .default_service(web::to(api_not_found)),
            )
            // Compression for the SPA's files the build did not precompress (pages, assets
            // of a build without `.br`/`.gz`; see spa.rs). Not for /api: JSON
            // compressed on every request costs more than it saves on a school network;
            // the one large API body (a referential) is served pre-compressed.
            .service(
                web::scope("")
                    .wrap(Compress::default())
                    .service(spa::service(spa_dir.clone())),
            )
    });
    if let Some(workers) = options.workers {
        server = server.workers(workers);
    }
    log::info!("Passerelle listening on http://{}", options.bind);
    server.bind(&options.bind)?.run().await
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI_JSON)
}

async fn api_not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::not_found("route inconnue"))
}
