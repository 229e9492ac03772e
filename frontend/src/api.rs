//! Typed client of the Passerelle HTTP API (same origin).

use std::fmt;

use gloo_net::http::Request;
use passerelle_api::{ApiError, ItemDetail, ReferentialDetail, ReferentialSummary, SearchResults};
use serde::de::DeserializeOwned;

/// Why a request failed, with enough detail to tell the user in French.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchError {
    /// 404: the referential or item does not exist.
    NotFound(String),
    /// 400: the request was refused (empty or over-long query…).
    BadRequest(String),
    /// Any other non-success status.
    Server { status: u16, message: String },
    /// The server could not be reached.
    Network(String),
    /// The server answered something we cannot read.
    Decode(String),
}

impl FetchError {
    /// A French sentence for the user; `what` names the missing resource on 404.
    pub fn message_fr(&self, what: &str) -> String {
        match self {
            FetchError::NotFound(_) => format!("{what} introuvable"),
            FetchError::BadRequest(_) => "Requête refusée par le serveur".to_owned(),
            FetchError::Server { status, .. } => format!("Erreur du serveur (code {status})"),
            FetchError::Network(_) => {
                "Impossible de joindre le serveur. Vérifiez votre connexion puis réessayez."
                    .to_owned()
            }
            FetchError::Decode(_) => "Réponse inattendue du serveur".to_owned(),
        }
    }

    /// The technical detail, shown in small print.
    pub fn detail(&self) -> &str {
        match self {
            FetchError::NotFound(m)
            | FetchError::BadRequest(m)
            | FetchError::Network(m)
            | FetchError::Decode(m) => m,
            FetchError::Server { message, .. } => message,
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.detail())
    }
}

/// Percent-encodes a path segment or query value (everything but RFC 3986 unreserved).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, FetchError> {
    let resp = Request::get(url)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| FetchError::Network(e.to_string()))?;
    if resp.ok() {
        return resp
            .json::<T>()
            .await
            .map_err(|e| FetchError::Decode(e.to_string()));
    }
    let status = resp.status();
    let message = match resp.json::<ApiError>().await {
        Ok(err) => err.message,
        Err(_) => format!("{} {}", status, resp.status_text()),
    };
    Err(match status {
        404 => FetchError::NotFound(message),
        400 => FetchError::BadRequest(message),
        _ => FetchError::Server { status, message },
    })
}

/// `GET /api/referentials`
pub async fn referentials() -> Result<Vec<ReferentialSummary>, FetchError> {
    get_json("/api/referentials").await
}

/// `GET /api/referentials/{id}`
pub async fn referential(id: &str) -> Result<ReferentialDetail, FetchError> {
    get_json(&format!("/api/referentials/{}", encode(id))).await
}

/// `GET /api/referentials/{id}/items/{code}`
pub async fn item(id: &str, code: &str) -> Result<ItemDetail, FetchError> {
    get_json(&format!(
        "/api/referentials/{}/items/{}",
        encode(id),
        encode(code)
    ))
    .await
}

/// `GET /api/search?q=…&referential=…`
pub async fn search(q: &str, referential: Option<&str>) -> Result<SearchResults, FetchError> {
    let mut url = format!("/api/search?q={}", encode(q));
    if let Some(r) = referential.filter(|r| !r.is_empty()) {
        url.push_str("&referential=");
        url.push_str(&encode(r));
    }
    get_json(&url).await
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn encodes_path_segments() {
        assert_eq!(encode("T.1.2.4"), "T.1.2.4");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
        assert_eq!(encode("TVA é"), "TVA%20%C3%A9");
    }
}
