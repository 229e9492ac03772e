//! HTTP side of sign-in: login, refresh, logout, password change, `GET /api/me`, and the
//! [`Principal`] extractor every protected handler takes.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDateTime, Utc};
use passerelle_api::{
    Activation, LoginRequest, PasswordChange, RefreshRequest, Role, TokenResponse,
};

use super::store::{self, Principal, Rotation};
use super::{throttle, token};
use crate::audit::{self, Entry};
use crate::error::AppError;
use crate::server::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/login", web::post().to(login))
        .route("/auth/refresh", web::post().to(refresh))
        .route("/auth/logout", web::post().to(logout))
        .route("/auth/password", web::post().to(change_password))
        .route("/auth/activate", web::post().to(activate))
        .route("/me", web::get().to(me));
}

/// Inputs longer than this are refused before any hashing (hashing is the costly part).
const MAX_EMAIL_CHARS: usize = 254;
const MAX_PASSWORD_BYTES: usize = 1024;

fn invalid_credentials() -> AppError {
    AppError::unauthorized(
        "invalid_credentials",
        "Adresse électronique ou mot de passe incorrect",
    )
}

fn session_ended() -> AppError {
    AppError::unauthorized(
        "invalid_token",
        "Session expirée ou terminée : reconnectez-vous",
    )
}

fn now_utc() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// A new session id: 16 random bytes, hex.
fn new_session_id() -> String {
    let (token, _) = token::new_refresh_token();
    token::hash_refresh_token(&token)[..32].to_owned()
}

async fn with_db<T, F>(state: &web::Data<AppState>, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut crate::db::DbConnection) -> Result<T, AppError> + Send + 'static,
{
    crate::db::run(&state.pool, work).await
}

fn client_ip(req: &HttpRequest) -> String {
    // The socket peer, not X-Forwarded-For: a client could forge that header to dodge
    // the per-IP throttle. Behind a reverse proxy, throttling then applies per proxy.
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn lifetime(std: std::time::Duration) -> Duration {
    Duration::from_std(std).unwrap_or(Duration::days(30))
}

/// Issues an access token and a refresh token for a session that was just opened or
/// rotated.
async fn tokens_for(
    state: &web::Data<AppState>,
    user_id: i64,
    session_id: String,
    refresh_token: String,
) -> Result<TokenResponse, AppError> {
    let (roles, establishment) = with_db(state, move |conn| {
        let roles = store::roles(conn, user_id)?;
        Ok((roles, store::establishment_of(conn, user_id)?))
    })
    .await?;
    let role_claim = roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let (access_token, expires_in) = token::issue_access(
        &state.tokens,
        &user_id.to_string(),
        if role_claim.is_empty() {
            "none"
        } else {
            &role_claim
        },
        establishment,
        &session_id,
        Utc::now(),
    )?;
    Ok(TokenResponse {
        access_token,
        refresh_token,
        expires_in,
        token_type: "Bearer".to_owned(),
    })
}

async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, AppError> {
    let LoginRequest { email, password } = body.into_inner();
    let email = store::normalize_email(&email);
    if email.is_empty() || email.chars().count() > MAX_EMAIL_CHARS {
        return Err(AppError::bad_request(
            "invalid_email",
            "email : adresse électronique manquante ou trop longue",
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(invalid_credentials());
    }
    let now = now_utc();
    let keys = attempt_keys(&req, &email);

    // 1. Throttle and look the account up (database, no hashing).
    let (locked, credentials) = {
        let (email, keys) = (email.clone(), keys.clone());
        with_db(&state, move |conn| {
            Ok((
                throttle::locked_until(conn, &keys, now)?,
                store::credentials(conn, &email)?,
            ))
        })
        .await?
    };
    if let Some(until) = locked {
        return Err(too_many_attempts(until, now));
    }

    // 2. Hash (bounded, no connection held). Unknown accounts cost the same time.
    let verified = {
        let state = state.clone();
        let credentials = credentials.clone();
        web::block(move || match credentials.and_then(|c| c.password_hash) {
            Some(phc) => state.hasher.verify(&password, &phc),
            None => state.hasher.verify_dummy(&password),
        })
        .await??
    };
    let known_establishment = credentials.as_ref().and_then(|c| c.establishment_id);
    let account = credentials.filter(|c| verified && !c.disabled);

    // 3. Record the outcome.
    let Some(account) = account else {
        record_failure(
            &state,
            keys,
            &email,
            known_establishment,
            "login.failed",
            now,
        )
        .await?;
        return Err(invalid_credentials());
    };
    signed_in(
        &state,
        keys,
        account.id,
        account.establishment_id,
        "login.succeeded",
        now,
        |_| Ok(()),
    )
    .await
}

/// The throttle keys of a sign-in or activation attempt: the account and the client IP.
fn attempt_keys(req: &HttpRequest, email: &str) -> Vec<String> {
    vec![
        throttle::account_key(email),
        throttle::ip_key(&client_ip(req)),
    ]
}

fn too_many_attempts(until: NaiveDateTime, now: NaiveDateTime) -> AppError {
    AppError::TooManyRequests {
        code: "too_many_attempts",
        message: "Trop de tentatives de connexion : réessayez dans quelques minutes".to_owned(),
        retry_after_secs: (until - now).num_seconds(),
    }
}

/// A failed attempt: counted against the account and the IP, and audited.
async fn record_failure(
    state: &web::Data<AppState>,
    keys: Vec<String>,
    email: &str,
    establishment_id: Option<i64>,
    action: &'static str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let object = format!("email:{email}");
    with_db(state, move |conn| {
        throttle::record_failure(conn, &keys[0], throttle::ACCOUNT_LIMIT, now)?;
        throttle::record_failure(conn, &keys[1], throttle::IP_LIMIT, now)?;
        audit::record(
            conn,
            now,
            Entry {
                actor_id: None,
                establishment_id,
                action,
                object: &object,
                detail: "",
            },
        )
    })
    .await
}

/// A successful attempt: runs `first` (in the same database call), clears the account's
/// throttle, opens a session, audits `action` and answers the session's tokens.
async fn signed_in<F>(
    state: &web::Data<AppState>,
    keys: Vec<String>,
    user_id: i64,
    establishment_id: Option<i64>,
    action: &'static str,
    now: NaiveDateTime,
    first: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut crate::db::DbConnection) -> Result<(), AppError> + Send + 'static,
{
    let session_id = new_session_id();
    let (refresh_token, refresh_hash) = token::new_refresh_token();
    let ttl = lifetime(state.tokens.refresh_ttl);
    {
        let session_id = session_id.clone();
        with_db(state, move |conn| {
            first(conn)?;
            throttle::clear(conn, &keys[0])?;
            store::open_session(conn, &session_id, user_id, &refresh_hash, now, ttl)?;
            let object = format!("user:{user_id}");
            audit::record(
                conn,
                now,
                Entry {
                    actor_id: Some(user_id),
                    establishment_id,
                    action,
                    object: &object,
                    detail: "",
                },
            )
        })
        .await?;
    }
    let tokens = tokens_for(state, user_id, session_id, refresh_token).await?;
    Ok(no_store(HttpResponse::Ok()).json(tokens))
}

fn invalid_invitation() -> AppError {
    AppError::unauthorized(
        "invalid_invitation",
        "Adresse électronique ou code d'activation incorrect, ou code expiré",
    )
}

/// First sign-in of an invited account: the one-time code and the email, then a password
/// of the user's choice. Throttled like sign-in (same keys), since a code is a credential.
async fn activate(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<Activation>,
) -> Result<HttpResponse, AppError> {
    let Activation {
        email,
        code,
        password,
    } = body.into_inner();
    let email = store::normalize_email(&email);
    if email.is_empty() || email.chars().count() > MAX_EMAIL_CHARS || code.len() > 64 {
        return Err(invalid_invitation());
    }
    super::check_password_policy(&password)
        .map_err(|m| AppError::bad_request("weak_password", format!("password : {m}")))?;
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::bad_request(
            "weak_password",
            "password : mot de passe trop long",
        ));
    }
    let now = now_utc();
    let keys = attempt_keys(&req, &email);
    let (locked, user) = {
        let (email, keys) = (email.clone(), keys.clone());
        with_db(&state, move |conn| {
            let user = crate::people::invitations::check(conn, &email, &code, now)?;
            let establishment = match user {
                Some(id) => store::establishment_of(conn, id)?,
                None => None,
            };
            Ok((
                throttle::locked_until(conn, &keys, now)?,
                user.map(|id| (id, establishment)),
            ))
        })
        .await?
    };
    if let Some(until) = locked {
        return Err(too_many_attempts(until, now));
    }
    let Some((user_id, establishment_id)) = user else {
        record_failure(&state, keys, &email, None, "activation.failed", now).await?;
        return Err(invalid_invitation());
    };
    let hash = {
        let state = state.clone();
        web::block(move || state.hasher.hash(&password)).await??
    };
    signed_in(
        &state,
        keys,
        user_id,
        establishment_id,
        "account.activated",
        now,
        move |conn| crate::people::invitations::redeem(conn, user_id, &hash),
    )
    .await
}

/// Token responses must not be cached by anything between us and the client.
fn no_store(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder.insert_header((header::CACHE_CONTROL, "no-store"));
    builder
}

async fn refresh(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, AppError> {
    let presented = body.into_inner().refresh_token;
    if !token::is_well_formed_refresh_token(&presented) {
        return Err(session_ended());
    }
    let presented_hash = token::hash_refresh_token(&presented);
    let (refresh_token, new_hash) = token::new_refresh_token();
    let ttl = lifetime(state.tokens.refresh_ttl);
    let now = now_utc();
    let rotation = with_db(&state, move |conn| {
        let rotation = store::rotate_refresh(conn, &presented_hash, &new_hash, now, ttl)?;
        if rotation == Rotation::Replayed {
            audit::record(
                conn,
                now,
                Entry {
                    actor_id: None,
                    establishment_id: None,
                    action: "refresh.replayed",
                    object: "session",
                    detail: "used refresh token presented again: session revoked",
                },
            )?;
        }
        Ok(rotation)
    })
    .await?;
    match rotation {
        Rotation::Rotated {
            user_id,
            session_id,
        } => {
            let tokens = tokens_for(&state, user_id, session_id, refresh_token).await?;
            Ok(no_store(HttpResponse::Ok()).json(tokens))
        }
        Rotation::Invalid | Rotation::Replayed => Err(session_ended()),
    }
}

async fn logout(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, AppError> {
    let now = now_utc();
    with_db(&state, move |conn| {
        store::revoke_session(conn, &principal.session_id, now)?;
        let object = format!("user:{}", principal.user_id);
        audit::record(
            conn,
            now,
            Entry {
                actor_id: Some(principal.user_id),
                establishment_id: principal.establishment_id,
                action: "logout",
                object: &object,
                detail: "",
            },
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn change_password(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, AppError> {
    let PasswordChange {
        current_password,
        new_password,
    } = body.into_inner();
    super::check_password_policy(&new_password)
        .map_err(|m| AppError::bad_request("weak_password", format!("new_password : {m}")))?;
    if current_password.len() > MAX_PASSWORD_BYTES {
        return Err(wrong_current_password());
    }
    let user_id = principal.user_id;
    let stored = with_db(&state, move |conn| store::password_hash(conn, user_id)).await?;
    let new_hash = {
        let state = state.clone();
        web::block(move || -> Result<Option<String>, AppError> {
            let ok = match stored {
                Some(phc) => state.hasher.verify(&current_password, &phc)?,
                None => false,
            };
            if !ok {
                return Ok(None);
            }
            state.hasher.hash(&new_password).map(Some)
        })
        .await??
    };
    let Some(new_hash) = new_hash else {
        return Err(wrong_current_password());
    };
    let now = now_utc();
    with_db(&state, move |conn| {
        store::set_password(conn, user_id, &new_hash)?;
        store::revoke_all_sessions(conn, user_id, now)?;
        let object = format!("user:{user_id}");
        audit::record(
            conn,
            now,
            Entry {
                actor_id: Some(user_id),
                establishment_id: principal.establishment_id,
                action: "password.changed",
                object: &object,
                detail: "all sessions revoked",
            },
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn wrong_current_password() -> AppError {
    AppError::bad_request(
        "wrong_password",
        "current_password : le mot de passe actuel est incorrect",
    )
}

async fn me(state: web::Data<AppState>, principal: Principal) -> Result<HttpResponse, AppError> {
    let me = with_db(&state, move |conn| store::me(conn, &principal)).await?;
    Ok(no_store(HttpResponse::Ok()).json(me))
}

impl FromRequest for Principal {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Principal, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| token.trim().to_owned())
            });
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal("application state missing"))?;
            let token = bearer
                .ok_or_else(|| AppError::unauthorized("unauthenticated", "Connexion requise"))?;
            let claims = token::verify_access(&state.tokens, &token, Utc::now())?;
            let user_id: i64 = claims.sub.parse().map_err(|_| session_ended())?;
            let now = now_utc();
            let principal = with_db(&state, move |conn| {
                store::live_principal(conn, &claims.sid, user_id, now)
            })
            .await?;
            principal.ok_or_else(session_ended)
        })
    }
}

/// Refuses a principal without `role` (403, same body shape as every error).
pub fn require(principal: &Principal, role: Role) -> Result<(), AppError> {
    if principal.has(role) {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "réservé au rôle « {} »",
            role.label_fr()
        )))
    }
}
