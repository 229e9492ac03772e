//! Serving the built SPA (`frontend/dist`, see `scripts/build-spa`).
//!
//! - Assets (`.wasm`, `.js`, `.css`) carry a hash in their names: they are cached for a
//!   year without revalidation, and sent precompressed when the build left a `.br`
//!   (brotli, quality 11) or `.gz` (gzip -9) beside them. A student's phone then downloads
//!   the student bundle as 330 KB of brotli rather than 490 KB of the fast gzip the
//!   `Compress` middleware makes, and the server spends no time compressing a 1-2 MB file
//!   on each first visit.
//! - Any other address gets the page of the SPA's bundle that holds it
//!   (`Bundle::for_path`), so client-side routes (/referentiels/bts-gpme…) survive a
//!   reload and a visitor downloads only the pages they can open.

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::dev::{fn_service, HttpServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, ContentEncoding, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use passerelle_api::spa::Bundle;

use crate::encoding::request_accepts;

/// The SPA's assets and pages, to mount at the root after /api.
pub fn service(dir: PathBuf) -> impl HttpServiceFactory {
    let assets_dir = dir.clone();
    (
        web::resource("/{file:[^/]+\\.(?:wasm|js|css)}").route(web::get().to(
            move |req: HttpRequest, file: web::Path<String>| {
                let dir = assets_dir.clone();
                async move { asset(&dir, &req, &file).await }
            },
        )),
        pages(dir),
    )
}

/// One asset, precompressed when the build left a variant the client accepts.
async fn asset(dir: &Path, req: &HttpRequest, name: &str) -> HttpResponse {
    // The route allows no '/'; refuse anything else that could leave the directory.
    if name.starts_with('.') || name.contains(['\\', '%']) {
        return HttpResponse::NotFound().finish();
    }
    let path = dir.join(name);
    let mime = actix_files::file_extension_to_mime(
        path.extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default(),
    );
    let mut chosen = None;
    // (encoding, its Accept-Encoding token, the suffix of its file), best first.
    for (encoding, token, suffix) in [
        (ContentEncoding::Brotli, "br", "br"),
        (ContentEncoding::Gzip, "gzip", "gz"),
    ] {
        if !request_accepts(req, token) {
            continue;
        }
        let mut variant = path.clone().into_os_string();
        variant.push(".");
        variant.push(suffix);
        if let Ok(file) = NamedFile::open_async(&variant).await {
            chosen = Some(
                file.set_content_type(mime.clone())
                    .set_content_encoding(encoding),
            );
            break;
        }
    }
    let file = match chosen {
        Some(file) => file,
        None => match NamedFile::open_async(&path).await {
            Ok(file) => file,
            Err(_) => return HttpResponse::NotFound().finish(),
        },
    };
    let mut response = file.disable_content_disposition().into_response(req);
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if is_hashed(name) {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    response
}

/// Whether a file name carries trunk's content hash (`name-<16 hex digits>…`), which
/// makes it safe to cache forever.
fn is_hashed(name: &str) -> bool {
    name.split(['-', '_', '.']).any(|part| {
        part.len() == 16
            && part
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}

/// Every other address: its bundle's page, revalidated on every load (it names the
/// current assets).
fn pages(dir: PathBuf) -> actix_files::Files {
    actix_files::Files::new("/", &dir)
        .index_file(Bundle::Public.html_file())
        .default_handler(fn_service(move |req: ServiceRequest| {
            let page = dir.join(Bundle::for_path(req.path()).html_file());
            async move {
                let (req, _) = req.into_parts();
                // Never another bundle's page instead: it would hand the address back by
                // reloading it, forever.
                let response = match NamedFile::open_async(&page).await {
                    Ok(file) => {
                        let mut response = file.into_response(&req);
                        response
                            .headers_mut()
                            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                        response
                    }
                    Err(_) => HttpResponse::NotFound()
                        .content_type("text/html; charset=utf-8")
                        .body(
                            "<!doctype html><meta charset=utf-8><title>Passerelle</title>\
                             <p>L'interface n'est pas construite : lancez scripts/build-spa. \
                             L'API répond sous /api.</p>",
                        ),
                };
                Ok(ServiceResponse::new(req, response))
            }
        }))
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn only_hashed_names_are_cached_forever() {
        assert!(is_hashed("passerelle-staff-583b7d16b14de921_bg.wasm"));
        assert!(is_hashed("passerelle-staff-583b7d16b14de921.js"));
        assert!(is_hashed("style-5de9982d431b4bc1.css"));
        assert!(!is_hashed("style.css"));
        assert!(!is_hashed("passerelle-staff.js"));
    }
}
