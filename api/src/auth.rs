//! Sign-in and the signed-in user.

use serde::{Deserialize, Serialize};

/// What a person may do; one account can hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Teacher,
    Student,
    Jury,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Teacher, Role::Student, Role::Jury];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Teacher => "teacher",
            Role::Student => "student",
            Role::Jury => "jury",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Role::Admin => "Administration",
            Role::Teacher => "Enseignant",
            Role::Student => "Élève",
            Role::Jury => "Jury",
        }
    }
}

/// `POST /api/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Answer of login and refresh. The refresh token is not in it: it travels only in the
/// `HttpOnly` cookie [`REFRESH_COOKIE`], out of reach of any script on the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub token_type: String,
}

/// `POST /api/auth/password`: every session of the account ends, this one included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstablishmentRef {
    pub id: i64,
    pub name: String,
    pub uai: String,
    pub academie: String,
}

/// `GET /api/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub roles: Vec<Role>,
    pub establishment: Option<EstablishmentRef>,
}

/// `POST /api/auth/activate`: first sign-in with the one-time invitation code; sets the
/// password and answers a [`TokenResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activation {
    pub email: String,
    pub code: String,
    pub password: String,
}

/// The cookie that holds the refresh token (`HttpOnly; Secure; SameSite=Strict`, scoped
/// to [`REFRESH_PATH`]).
pub const REFRESH_COOKIE: &str = "passerelle_refresh";
/// The only path the refresh cookie is sent to.
pub const REFRESH_PATH: &str = "/api/auth/refresh";
/// The header a refresh must carry (value `1`): a cross-site form cannot set it, and a
/// cross-site script cannot send it without a CORS preflight that Passerelle refuses.
pub const CSRF_HEADER: &str = "X-Passerelle-CSRF";
