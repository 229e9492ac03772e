//! Content negotiation of compressed bodies (`Accept-Encoding`), for the answers sent
//! precompressed: the SPA's assets and the referentials.

use actix_web::http::header;
use actix_web::HttpRequest;

/// Whether the request's `Accept-Encoding` accepts `coding` (no header: nothing is).
pub fn request_accepts(req: &HttpRequest, coding: &str) -> bool {
    req.headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| accepts(v, coding))
}

/// Whether an `Accept-Encoding` value accepts `coding` (listed without `q=0`).
pub fn accepts(accept_encoding: &str, coding: &str) -> bool {
    accept_encoding.split(',').any(|part| {
        let mut params = part.split(';').map(str::trim);
        let name = params.next().unwrap_or_default();
        let refused = params.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        name.eq_ignore_ascii_case(coding) && !refused
    })
}

#[cfg(test)]
mod tests {
    use super::accepts;

    #[test]
    fn reads_accept_encoding() {
        let chromium = "gzip, deflate, br, zstd";
        assert!(accepts(chromium, "br"));
        assert!(accepts(chromium, "gzip"));
        assert!(!accepts("gzip, deflate", "br"));
        assert!(!accepts("br;q=0, gzip", "br"));
        assert!(accepts("BR;q=0.5", "br"));
        assert!(!accepts("", "gzip"));
    }
}
