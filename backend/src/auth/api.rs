//! HTTP side of sign-in: login, refresh, logout, password change, `GET /api/me`, and the
//! [`Principal`] extractor every protected handler takes.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDateTime, Utc};
use passerelle_api::{
    Activation, LoginRequest, PasswordChange, Role, TokenResponse, CSRF_HEADER, REFRESH_COOKIE,
    REFRESH_PATH,
};

use super::store::{self, Principal, Rotation};
use super::{throttle, token};
use crate::audit::{self, Entry};
use crate::client_addr::{self, TrustedProxies};
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

async fn with_write<T, F>(state: &web::Data<AppState>, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnMut(&mut crate::db::DbConnection) -> Result<T, AppError> + Send + 'static,
{
    crate::db::write(&state.pool, work).await
}

/// The throttle's view of an attempt: the email and the client's address, read through
/// the trusted proxies (`TRUSTED_PROXIES`).
fn attempt(req: &HttpRequest, email: &str) -> throttle::Attempt {
    let proxies = req.app_data::<web::Data<TrustedProxies>>();
    let client = match proxies {
        Some(proxies) => proxies.client_of(req),
        None => req.peer_addr().map(|a| a.ip()),
    };
    throttle::Attempt {
        email: email.to_owned(),
        address: client.map_or_else(|| "unknown".to_owned(), client_addr::throttle_key),
    }
}

fn lifetime(std: std::time::Duration) -> Duration {
    Duration::from_std(std).unwrap_or(Duration::days(30))
}

/// The answer of a session that was just opened or rotated: a new access token in the
/// body, the new refresh token in its `HttpOnly` cookie.
async fn tokens_for(
    state: &web::Data<AppState>,
    user_id: i64,
    session_id: String,
    refresh_token: String,
) -> Result<HttpResponse, AppError> {
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
    Ok(no_store(HttpResponse::Ok())
        .cookie(refresh_cookie(&refresh_token))
        .json(TokenResponse {
            access_token,
            expires_in,
            token_type: "Bearer".to_owned(),
        }))
}

/// The refresh token's cookie: never readable by a script (`HttpOnly`), never sent over
/// plain HTTP nor from another site (`Secure`, `SameSite=Strict`), only to the refresh
/// endpoint (`Path`). A session cookie: closing the browser forgets it (school computers
/// are shared); the session itself ends server-side after the refresh lifetime anyway.
fn refresh_cookie(value: &str) -> Cookie<'static> {
    Cookie::build(REFRESH_COOKIE, value.to_owned())
        .path(REFRESH_PATH)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .finish()
}

/// The same cookie, expired: the browser drops it.
fn expired_refresh_cookie() -> Cookie<'static> {
    let mut cookie = refresh_cookie("");
    cookie.make_removal();
    cookie
}

/// Refuses a refresh that a page of another site could have sent: it must carry the
/// anti-CSRF header (a cross-site form cannot set headers; a cross-site `fetch` with one
/// needs a CORS preflight, which Passerelle never grants), and a browser's Fetch Metadata,
/// when sent, must say the request comes from Passerelle's own pages.
fn check_same_origin(req: &HttpRequest) -> Result<(), AppError> {
    let header_ok = req
        .headers()
        .get(CSRF_HEADER)
        .is_some_and(|v| v.as_bytes() == b"1");
    let site_ok = req
        .headers()
        .get("sec-fetch-site")
        .is_none_or(|v| matches!(v.as_bytes(), b"same-origin" | b"none"));
    if header_ok && site_ok {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "renouvellement de session refusé : la demande ne vient pas de Passerelle",
        ))
    }
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
    let attempt = attempt(&req, &email);

    // 1. Look the account up and take the attempt from the throttle, in one write: the
    // attempt counts as a failure from now on (a success takes it back), so that a burst
    // of concurrent guesses cannot all pass before the first failure is counted.
    let (admission, credentials) = {
        let (email, attempt) = (email.clone(), attempt.clone());
        with_write(&state, move |conn| {
            let credentials = store::credentials(conn, &email)?;
            let user = credentials.as_ref().map(|c| c.id);
            Ok((throttle::admit(conn, &attempt, user, now)?, credentials))
        })
        .await?
    };
    let started = admission.map_err(|until| too_many_attempts(until, now))?;

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
        audit_failure(
            &state,
            attempt,
            known_establishment,
            "login.failed",
            started,
            now,
        )
        .await?;
        return Err(invalid_credentials());
    };
    signed_in(
        &state,
        attempt,
        account.id,
        account.establishment_id,
        "login.succeeded",
        now,
        |_| Ok(()),
    )
    .await
}

fn too_many_attempts(until: NaiveDateTime, now: NaiveDateTime) -> AppError {
    AppError::TooManyRequests {
        code: "too_many_attempts",
        message: "Trop de tentatives de connexion : réessayez dans quelques minutes".to_owned(),
        // Rounded up: a client that waits what it is told is let through.
        retry_after_secs: ((until - now).num_milliseconds() + 999) / 1000,
    }
}

/// A failed attempt (already counted by [`throttle::admit`]), audited with what it
/// started: a wait for the account from this address, an address over its budget, an
/// account targeted from everywhere.
async fn audit_failure(
    state: &web::Data<AppState>,
    attempt: throttle::Attempt,
    establishment_id: Option<i64>,
    action: &'static str,
    started: throttle::Started,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let object = format!("email:{}", attempt.email);
    with_write(state, move |conn| {
        let address = format!("adresse {}", attempt.address);
        let mut events = vec![(action, address.clone(), establishment_id)];
        if started.pair_delayed {
            events.push((
                "login.throttled",
                format!(
                    "{address} : {} échecs, chaque nouvel essai attend",
                    throttle::PAIR_FREE
                ),
                establishment_id,
            ));
        }
        if started.address_hot {
            // Told to the schools whose people sign in from that address (its NAT).
            let detail = format!(
                "{address} : {} échecs en {} min, les comptes jamais connectés depuis cette \
                 adresse attendent",
                throttle::ADDRESS_BUDGET,
                throttle::ADDRESS_WINDOW.num_minutes()
            );
            let schools = throttle::establishments_seen_at(conn, &attempt.address, now)?;
            if schools.is_empty() {
                events.push(("login.address_throttled", detail.clone(), None));
            }
            for school in schools {
                events.push(("login.address_throttled", detail.clone(), Some(school)));
            }
        }
        if started.account_targeted {
            events.push((
                "login.account_targeted",
                format!(
                    "{} échecs en 24 h depuis toutes les adresses : un administrateur peut \
                     suspendre le compte",
                    throttle::ACCOUNT_ALERT
                ),
                establishment_id,
            ));
        }
        for (action, detail, establishment_id) in &events {
            audit::record(
                conn,
                now,
                Entry {
                    actor_id: None,
                    establishment_id: *establishment_id,
                    action,
                    object: &object,
                    detail,
                },
            )?;
        }
        Ok(())
    })
    .await
}

/// A successful attempt: runs `first` (in the same database call), clears the account's
/// throttle, opens a session, audits `action` and answers the session's tokens.
async fn signed_in<F>(
    state: &web::Data<AppState>,
    attempt: throttle::Attempt,
    user_id: i64,
    establishment_id: Option<i64>,
    action: &'static str,
    now: NaiveDateTime,
    first: F,
) -> Result<HttpResponse, AppError>
where
    F: FnMut(&mut crate::db::DbConnection) -> Result<(), AppError> + Send + 'static,
{
    let session_id = new_session_id();
    let (refresh_token, refresh_hash) = token::new_refresh_token();
    let ttl = lifetime(state.tokens.refresh_ttl);
    {
        let session_id = session_id.clone();
        let mut first = first;
        with_write(state, move |conn| {
            first(conn)?;
            throttle::record_success(conn, &attempt, user_id, now)?;
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
    tokens_for(state, user_id, session_id, refresh_token).await
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
    let attempt = attempt(&req, &email);
    // The code is checked in the same write as the throttle's count: concurrent guesses
    // are each counted before the next is admitted.
    let (admission, user) = {
        let (email, attempt) = (email.clone(), attempt.clone());
        with_write(&state, move |conn| {
            let user = crate::people::invitations::check(conn, &email, &code, now)?;
            let establishment = match user {
                Some(id) => store::establishment_of(conn, id)?,
                None => None,
            };
            Ok((
                throttle::admit(conn, &attempt, user, now)?,
                user.map(|id| (id, establishment)),
            ))
        })
        .await?
    };
    let started = admission.map_err(|until| too_many_attempts(until, now))?;
    let Some((user_id, establishment_id)) = user else {
        audit_failure(&state, attempt, None, "activation.failed", started, now).await?;
        return Err(invalid_invitation());
    };
    let hash = {
        let state = state.clone();
        web::block(move || state.hasher.hash(&password)).await??
    };
    signed_in(
        &state,
        attempt,
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

async fn refresh(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    check_same_origin(&req)?;
    let presented = req
        .cookie(REFRESH_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if !token::is_well_formed_refresh_token(&presented) {
        return Err(session_ended());
    }
    let presented_hash = token::hash_refresh_token(&presented);
    let (refresh_token, new_hash) = token::new_refresh_token();
    let ttl = lifetime(state.tokens.refresh_ttl);
    let now = now_utc();
    let rotation = with_write(&state, move |conn| {
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
        } => tokens_for(&state, user_id, session_id, refresh_token).await,
        Rotation::Invalid | Rotation::Replayed => Err(session_ended()),
    }
}

async fn logout(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, AppError> {
    let now = now_utc();
    with_write(&state, move |conn| {
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
    Ok(HttpResponse::NoContent()
        .cookie(expired_refresh_cookie())
        .finish())
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
    with_write(&state, move |conn| {
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
