//! The one error type of the server: a machine-readable code, a message that names the
//! field at fault, and the HTTP status that goes with the code.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use passerelle_api::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// 401: missing, invalid, expired or revoked credentials (`invalid_token`, …). The
    /// response carries `WWW-Authenticate: Bearer` (RFC 6750 §3).
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    /// 403: signed in, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// 409: the request conflicts with what exists (an email already used…).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 413 (too large), 415 (wrong type), 422 (well-formed but unacceptable: an unknown
    /// class, rows with errors…).
    #[error("{message}")]
    Refused {
        status: u16,
        code: &'static str,
        message: String,
    },
    /// 429: too many attempts; retry after the given number of seconds.
    #[error("{message}")]
    TooManyRequests {
        code: &'static str,
        message: String,
        retry_after_secs: i64,
    },
    /// A referential load refused: every problem found, each naming file, item and reason.
    #[error("{} problem(s) in referential files:\n{}", .0.len(), .0.join("\n"))]
    InvalidData(Vec<String>),
    /// 503: the database could not take the write in time (SQLite still locked by another
    /// process after the busy timeout; a PostgreSQL transaction aborted as a serialization
    /// failure or a deadlock, retried by `db::write` before it comes to this). Nothing was
    /// written; the client may try again.
    #[error("{0}")]
    Busy(String),
    /// Anything that is our fault; the cause goes to the log, not to the client.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    pub fn not_found(message: impl Into<String>) -> Self {
        AppError::NotFound(message.into())
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Unauthorized {
            code,
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden(message.into())
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Refused {
            status: 422,
            code,
            message: message.into(),
        }
    }

    pub fn too_large(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Refused {
            status: 413,
            code,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        AppError::Internal(message.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "not_found",
            AppError::BadRequest { code, .. } => code,
            AppError::Unauthorized { code, .. } => code,
            AppError::Forbidden(_) => "forbidden",
            AppError::Conflict { code, .. } => code,
            AppError::TooManyRequests { code, .. } => code,
            AppError::Refused { code, .. } => code,
            AppError::InvalidData(_) => "invalid_data",
            AppError::Busy(_) => "busy",
            AppError::Internal(_) => "internal",
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Refused { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
            }
            AppError::InvalidData(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            AppError::Internal(cause) => {
                log::error!("internal error: {cause}");
                "Erreur interne du serveur".to_owned()
            }
            AppError::Busy(cause) => {
                log::warn!("database busy: {cause}");
                "Le serveur est très sollicité : rien n'a été enregistré, réessayez dans un \
                 instant"
                    .to_owned()
            }
            other => other.to_string(),
        };
        let mut response = HttpResponse::build(self.status_code());
        if let AppError::Unauthorized { code, .. } = self {
            let challenge = if *code == "invalid_token" {
                "Bearer error=\"invalid_token\""
            } else {
                "Bearer"
            };
            response.insert_header((actix_web::http::header::WWW_AUTHENTICATE, challenge));
        }
        if let AppError::TooManyRequests {
            retry_after_secs, ..
        } = self
        {
            response.insert_header((
                actix_web::http::header::RETRY_AFTER,
                retry_after_secs.max(&1).to_string(),
            ));
        }
        if let AppError::Busy(_) = self {
            response.insert_header((actix_web::http::header::RETRY_AFTER, "1"));
        }
        response.json(ApiError {
            code: self.code().to_owned(),
            message,
        })
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        let busy = match &e {
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
            // SQLite's SQLITE_BUSY and PostgreSQL's deadlock_detected (40P01) have no kind
            // of their own in diesel: told by their message.
            Error::DatabaseError(_, info) => {
                let message = info.message();
                message.starts_with("database is locked")
                    || message.starts_with("deadlock detected")
            }
            _ => false,
        };
        if busy {
            AppError::Busy(format!("database: {e}"))
        } else {
            AppError::Internal(format!("database: {e}"))
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Internal(format!("database pool: {e}"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(format!("blocking task: {e}"))
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::Internal(format!("json: {e}"))
    }
}
