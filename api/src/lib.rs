//! Wire types of the Passerelle HTTP API.
//!
//! Shared by the server (which serialises them) and the Yew SPA (which deserialises
//! them), so both sides agree at compile time. Only serde and chrono: this crate must
//! keep compiling to wasm32.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub mod auth;
pub mod exercises;
pub mod juries;
pub mod markdown;
pub mod people;
pub mod pgi;
pub mod portfolio;
pub mod referential;
pub mod spa;
pub use auth::*;
pub use exercises::*;
pub use juries::*;
pub use people::*;
pub use pgi::*;
pub use portfolio::*;
pub use referential::*;

/// Every error the API returns has this body, with an HTTP status that matches `code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Machine-readable, stable: `not_found`, `bad_request`, `invalid_query`…
    pub code: String,
    /// Human-readable, names the field, row or cell at fault.
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Number of items per kind, ordered by kind so output is stable.
pub type KindCounts = BTreeMap<ItemKind, u32>;

/// Search queries longer than this (in characters) are refused with 400.
pub const SEARCH_QUERY_MAX_CHARS: usize = 200;
/// A search returns at most this many hits.
pub const SEARCH_MAX_RESULTS: usize = 50;
