//! Access and refresh tokens (RFC 8725, JWT best current practices).
//!
//! - Access tokens are short-lived JWTs (≤ 15 min), HS256 only, explicitly typed twice:
//!   header `typ: at+jwt` (RFC 8725 §3.11, RFC 9068) and claim `typ: "access"`. `exp`, `iat`,
//!   `nbf`, `iss`, `aud`, `sub` are required; time is always passed in by the caller, never
//!   read from the clock here, so tests and the server agree on "now".
//! - Every access token carries `sid`, the session (refresh-token family) it was issued
//!   under, so that logout, password change and account disable can kill outstanding
//!   access tokens: check the session with [`verify_access_with`] or after [`verify_access`].
//! - Refresh tokens are opaque random strings, not JWTs; only their SHA-256 is stored.
//!
//! Tokens and the secret are never logged or put in error messages.

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::error::AppError;

/// The one signing algorithm; anything else in a header is refused.
pub const ALGORITHM: Algorithm = Algorithm::HS256;
/// Header `typ` of our access tokens (RFC 9068 media type).
pub const ACCESS_HEADER_TYP: &str = "at+jwt";
/// Claim `typ` of our access tokens.
pub const ACCESS_TYP: &str = "access";
/// Longest allowed access-token lifetime (issue 3: ≤ 15 min).
pub const MAX_ACCESS_TTL: Duration = Duration::from_secs(15 * 60);
/// Default access-token lifetime.
pub const DEFAULT_ACCESS_TTL: Duration = Duration::from_secs(10 * 60);
/// Default refresh-token lifetime.
pub const DEFAULT_REFRESH_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Largest allowed clock-skew leeway, seconds (issue 3: ≤ 30 s).
pub const MAX_LEEWAY_SECS: u64 = 30;
/// Default clock-skew leeway, seconds.
pub const DEFAULT_LEEWAY_SECS: u64 = 5;
/// Default `iss`.
pub const DEFAULT_ISSUER: &str = "passerelle";
/// Default `aud`.
pub const DEFAULT_AUDIENCE: &str = "passerelle-api";
/// Shortest accepted signing secret, bytes (HS256 wants at least the hash size).
pub const MIN_SECRET_LEN: usize = 32;
/// Fewest distinct byte values in an accepted secret (refuses "aaaa…", "0101…").
pub const MIN_SECRET_DISTINCT_BYTES: usize = 10;
/// Tokens longer than this are refused before any parsing.
const MAX_TOKEN_LEN: usize = 4096;
/// Random bytes in a refresh token (256 bits).
const REFRESH_TOKEN_BYTES: usize = 32;

/// Signing and validation settings for tokens. `Debug` never shows the secret.
#[derive(Clone)]
pub struct TokenConfig {
    pub secret: Vec<u8>,
    pub issuer: String,
    pub audience: String,
    /// Access-token lifetime, at most [`MAX_ACCESS_TTL`].
    pub access_ttl: Duration,
    /// Refresh-token lifetime (enforced by the refresh-token store).
    pub refresh_ttl: Duration,
    /// Clock-skew tolerance on `exp`, `nbf` and `iat`, at most [`MAX_LEEWAY_SECS`].
    pub leeway_secs: u64,
    /// True when the secret was generated at random because dev mode was on and no usable
    /// secret was configured: tokens will not survive a restart. The caller should say so
    /// (without printing the secret).
    pub generated_secret: bool,
}

impl fmt::Debug for TokenConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenConfig")
            .field(
                "secret",
                &format_args!("<{} bytes redacted>", self.secret.len()),
            )
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("leeway_secs", &self.leeway_secs)
            .field("generated_secret", &self.generated_secret)
            .finish()
    }
}

impl TokenConfig {
    /// A configuration with the given secret and the defaults (issuer `passerelle`,
    /// audience `passerelle-api`, access 10 min, refresh 30 days, leeway 5 s), validated.
    pub fn new(secret: Vec<u8>) -> Result<TokenConfig, String> {
        let cfg = TokenConfig {
            secret,
            issuer: DEFAULT_ISSUER.to_owned(),
            audience: DEFAULT_AUDIENCE.to_owned(),
            access_ttl: DEFAULT_ACCESS_TTL,
            refresh_ttl: DEFAULT_REFRESH_TTL,
            leeway_secs: DEFAULT_LEEWAY_SECS,
            generated_secret: false,
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// Reads the secret from `JWT_SECRET`, or from the file named by `JWT_SECRET_FILE`
    /// (trailing newline trimmed); setting both is an error. A missing or weak secret
    /// (fewer than 32 bytes, or fewer than 10 distinct bytes) is refused, unless `dev_mode`:
    /// then a random 32-byte secret is generated and `generated_secret` is set.
    /// An unreadable `JWT_SECRET_FILE` is an error even in dev mode.
    pub fn from_env(dev_mode: bool) -> Result<TokenConfig, String> {
        Self::from_lookup(dev_mode, |name| std::env::var(name).ok())
    }

    /// [`from_env`](TokenConfig::from_env) with the environment given as a function (tests).
    pub fn from_lookup(
        dev_mode: bool,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<TokenConfig, String> {
        let inline = env("JWT_SECRET").filter(|s| !s.is_empty());
        let file = env("JWT_SECRET_FILE").filter(|s| !s.is_empty());
        let (secret, source) = match (inline, file) {
            (Some(_), Some(_)) => {
                return Err("JWT_SECRET et JWT_SECRET_FILE sont tous deux définis : \
                            n'en définir qu'un seul"
                    .to_owned())
            }
            (Some(s), None) => (Some(trim_newline(s.into_bytes())), "JWT_SECRET".to_owned()),
            (None, Some(path)) => {
                let bytes = std::fs::read(&path).map_err(|e| {
                    format!("JWT_SECRET_FILE : lecture de « {path} » impossible : {e}")
                })?;
                (
                    Some(trim_newline(bytes)),
                    format!("JWT_SECRET_FILE ({path})"),
                )
            }
            (None, None) => (None, String::new()),
        };
        let checked = match secret {
            None => Err(
                "secret de signature des jetons absent : définir JWT_SECRET ou JWT_SECRET_FILE"
                    .to_owned(),
            ),
            Some(s) => match secret_weakness(&s) {
                None => Ok(s),
                Some(why) => Err(format!("{source} : {why}")),
            },
        };
        let (secret, generated_secret) = match checked {
            Ok(secret) => (secret, false),
            Err(_) if dev_mode => (random_bytes(MIN_SECRET_LEN), true),
            Err(problem) => return Err(problem),
        };
        let mut cfg = TokenConfig::new(secret)?;
        cfg.generated_secret = generated_secret;
        Ok(cfg)
    }

    /// Checks the bounds: strong secret, non-empty issuer and audience,
    /// 0 < access TTL ≤ 15 min, refresh TTL > 0, leeway ≤ 30 s.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(why) = secret_weakness(&self.secret) {
            return Err(format!("secret de signature des jetons : {why}"));
        }
        if self.issuer.is_empty() || self.audience.is_empty() {
            return Err("jetons : émetteur (iss) et audience (aud) obligatoires".to_owned());
        }
        if self.access_ttl.is_zero() || self.access_ttl > MAX_ACCESS_TTL {
            return Err(format!(
                "jetons : durée de vie d'accès entre 1 s et {} s",
                MAX_ACCESS_TTL.as_secs()
            ));
        }
        if self.refresh_ttl.is_zero() {
            return Err("jetons : durée de vie de rafraîchissement nulle".to_owned());
        }
        if self.leeway_secs > MAX_LEEWAY_SECS {
            return Err(format!(
                "jetons : tolérance d'horloge au plus {MAX_LEEWAY_SECS} s"
            ));
        }
        Ok(())
    }
}

/// SHA-256 digests of secrets that were published (in this repository's scripts and
/// tests before they generated their own, or in its documentation): anyone can read them,
/// so a server must never sign with them. Digests, not the secrets, so that this list
/// cannot itself be copied as a secret.
const PUBLISHED_SECRET_DIGESTS: [&str; 2] = [
    // scripts/bench*, until issue 15
    "fecc9accaf5549a3f45062ce66ed290d51f582a66be7dfa1800d4a52e2cd436e",
    // tests/support, until issue 15
    "8545c34c760be99a9eef0a15fad516b41c17ab749a5f8fde65f6e3db0253d640",
];

/// Words that betray a secret typed by hand from an example.
const PLACEHOLDER_WORDS: [&str; 6] = [
    "changeme",
    "change-me",
    "change_me",
    "example",
    "secret",
    "password",
];

/// Why a secret is too weak, if it is. Never quotes the secret.
fn secret_weakness(secret: &[u8]) -> Option<String> {
    let digest = format!("{:x}", Sha256::digest(secret));
    if PUBLISHED_SECRET_DIGESTS.contains(&digest.as_str()) {
        return Some(
            "secret publié (celui d'un script ou d'un test du dépôt) : générez-en un".to_owned(),
        );
    }
    let lower = String::from_utf8_lossy(secret).to_lowercase();
    if let Some(word) = PLACEHOLDER_WORDS.iter().find(|w| lower.contains(*w)) {
        return Some(format!(
            "secret qui ressemble à un exemple (il contient « {word} ») : générez-en un, par \
             exemple avec « head -c 32 /dev/urandom | base64 »"
        ));
    }
    if secret.len() < MIN_SECRET_LEN {
        return Some(format!(
            "secret trop court ({} octets, au moins {MIN_SECRET_LEN})",
            secret.len()
        ));
    }
    let distinct = secret.iter().collect::<HashSet<_>>().len();
    if distinct < MIN_SECRET_DISTINCT_BYTES {
        return Some(format!(
            "secret trop peu varié ({distinct} octets distincts, au moins \
             {MIN_SECRET_DISTINCT_BYTES})"
        ));
    }
    None
}

fn trim_newline(mut bytes: Vec<u8>) -> Vec<u8> {
    while matches!(bytes.last(), Some(b'\n' | b'\r')) {
        bytes.pop();
    }
    bytes
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// User id.
    pub sub: String,
    pub iss: String,
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Not before, seconds since the epoch.
    pub nbf: i64,
    /// Unique token id.
    pub jti: String,
    /// Always `"access"`.
    pub typ: String,
    /// Session id: the refresh-token family this token was issued under.
    pub sid: String,
    pub role: String,
    /// Establishment id, if the user belongs to one.
    pub est: Option<i64>,
}

/// Why an access token was refused. [`TokenError::code`] is machine-readable (for logs and
/// tests); clients only ever see 401 `invalid_token` (see `From<TokenError> for AppError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token malformed")]
    Malformed,
    #[error("token algorithm or header not accepted")]
    Algorithm,
    #[error("token signature invalid")]
    Signature,
    #[error("token expired")]
    Expired,
    #[error("token not yet valid")]
    NotYetValid,
    #[error("token issued in the future")]
    IssuedInFuture,
    #[error("token issuer not accepted")]
    Issuer,
    #[error("token audience not accepted")]
    Audience,
    #[error("token lacks a required claim")]
    MissingClaim,
    #[error("token claim has an invalid value or type")]
    InvalidClaim,
    #[error("token is not an access token")]
    WrongType,
    #[error("token session revoked")]
    Revoked,
}

impl TokenError {
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Malformed => "malformed",
            TokenError::Algorithm => "bad_algorithm",
            TokenError::Signature => "bad_signature",
            TokenError::Expired => "expired",
            TokenError::NotYetValid => "not_yet_valid",
            TokenError::IssuedInFuture => "issued_in_future",
            TokenError::Issuer => "bad_issuer",
            TokenError::Audience => "bad_audience",
            TokenError::MissingClaim => "missing_claim",
            TokenError::InvalidClaim => "invalid_claim",
            TokenError::WrongType => "wrong_type",
            TokenError::Revoked => "revoked",
        }
    }
}

impl From<TokenError> for AppError {
    fn from(e: TokenError) -> Self {
        log::debug!("access token refused: {}", e.code());
        AppError::unauthorized(
            "invalid_token",
            "Session invalide ou expirée : veuillez vous reconnecter.",
        )
    }
}

/// The one header our access tokens carry; verification wants exactly this header.
fn access_header() -> Header {
    let mut header = Header::new(ALGORITHM);
    header.typ = Some(ACCESS_HEADER_TYP.to_owned());
    header
}

/// Issues an access token for `user_id` with `role`, `establishment`, under session
/// `session_id`, valid from `now` for `cfg.access_ttl`. Returns the token and its lifetime
/// in seconds (`expires_in`).
pub fn issue_access(
    cfg: &TokenConfig,
    user_id: &str,
    role: &str,
    establishment: Option<i64>,
    session_id: &str,
    now: DateTime<Utc>,
) -> Result<(String, i64), AppError> {
    cfg.validate().map_err(AppError::internal)?;
    if user_id.is_empty() || session_id.is_empty() || role.is_empty() {
        return Err(AppError::internal(
            "access token: empty user id, role or session id",
        ));
    }
    let ttl = i64::try_from(cfg.access_ttl.as_secs())
        .map_err(|_| AppError::internal("access token: lifetime out of range"))?;
    let iat = now.timestamp();
    let claims = AccessClaims {
        sub: user_id.to_owned(),
        iss: cfg.issuer.clone(),
        aud: cfg.audience.clone(),
        exp: iat + ttl,
        iat,
        nbf: iat,
        jti: b64url(&random_bytes(16)),
        typ: ACCESS_TYP.to_owned(),
        sid: session_id.to_owned(),
        role: role.to_owned(),
        est: establishment,
    };
    let token = jsonwebtoken::encode(
        &access_header(),
        &claims,
        &EncodingKey::from_secret(&cfg.secret),
    )
    .map_err(|e| AppError::internal(format!("access token signing: {e}")))?;
    Ok((token, ttl))
}

/// Verifies an access token at time `now`: HS256 only with our exact header, signature,
/// `iss`, `aud`, required `exp`/`iat`/`nbf`/`iss`/`aud`/`sub` as the right JSON types,
/// `exp`/`nbf`/`iat` against `now` with `cfg.leeway_secs`, lifetime ≤ 15 min,
/// `typ == "access"`. Does not check revocation: see [`verify_access_with`].
pub fn verify_access(
    cfg: &TokenConfig,
    token: &str,
    now: DateTime<Utc>,
) -> Result<AccessClaims, TokenError> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    // Pinned algorithm and exact header, before touching the signature (RFC 8725 §3.1).
    let header = jsonwebtoken::decode_header(token).map_err(|e| map_jwt_error(e.kind()))?;
    if header.alg != ALGORITHM {
        return Err(TokenError::Algorithm);
    }
    if header != access_header() {
        let typ_ok = header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(ACCESS_HEADER_TYP));
        return Err(if typ_ok {
            TokenError::Algorithm // crit, kid, jku… : nothing we issue
        } else {
            TokenError::WrongType
        });
    }

    let mut validation = Validation::new(ALGORITHM);
    // Time checks are ours, against `now` (jsonwebtoken would read the system clock).
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    validation.set_issuer(&[cfg.issuer.as_str()]);
    validation.set_audience(&[cfg.audience.as_str()]);
    validation.validate_aud = true;

    // Decode into a generic map first so that a wrong type is reported as such; then into
    // the strict struct (numbers must be integers, strings must be strings).
    let data = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
        token,
        &DecodingKey::from_secret(&cfg.secret),
        &validation,
    )
    .map_err(|e| map_jwt_error(e.kind()))?;
    if !data.claims.contains_key("iat") {
        return Err(TokenError::MissingClaim);
    }
    let claims: AccessClaims = serde_json::from_value(serde_json::Value::Object(data.claims))
        .map_err(|_| TokenError::InvalidClaim)?;

    if claims.typ != ACCESS_TYP {
        return Err(TokenError::WrongType);
    }
    if claims.sub.is_empty() || claims.sid.is_empty() || claims.jti.is_empty() {
        return Err(TokenError::InvalidClaim);
    }

    let leeway = i64::try_from(cfg.leeway_secs.min(MAX_LEEWAY_SECS)).unwrap_or(0);
    let now = now.timestamp();
    // RFC 7519 §4.1.4: valid only while now < exp.
    if now.saturating_sub(leeway) >= claims.exp {
        return Err(TokenError::Expired);
    }
    // §4.1.5: valid from nbf on.
    if now.saturating_add(leeway) < claims.nbf {
        return Err(TokenError::NotYetValid);
    }
    if claims.iat > now.saturating_add(leeway) {
        return Err(TokenError::IssuedInFuture);
    }
    // Coherent lifetime: exp after iat, and no longer than we ever issue.
    let max_ttl = i64::try_from(MAX_ACCESS_TTL.as_secs()).unwrap_or(0);
    let lifetime = claims.exp.saturating_sub(claims.iat);
    if lifetime <= 0 || lifetime > max_ttl || claims.nbf < claims.iat {
        return Err(TokenError::InvalidClaim);
    }
    Ok(claims)
}

/// [`verify_access`], then `session_is_active(&claims)` (e.g. "is `claims.sid` still a live
/// refresh-token family of `claims.sub`, and is the account enabled?"); `false` gives
/// [`TokenError::Revoked`].
pub fn verify_access_with(
    cfg: &TokenConfig,
    token: &str,
    now: DateTime<Utc>,
    session_is_active: impl FnOnce(&AccessClaims) -> bool,
) -> Result<AccessClaims, TokenError> {
    let claims = verify_access(cfg, token, now)?;
    if session_is_active(&claims) {
        Ok(claims)
    } else {
        Err(TokenError::Revoked)
    }
}

fn map_jwt_error(kind: &ErrorKind) -> TokenError {
    match kind {
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::InvalidKeyFormat => TokenError::Algorithm,
        ErrorKind::InvalidSignature => TokenError::Signature,
        ErrorKind::MissingRequiredClaim(_) => TokenError::MissingClaim,
        ErrorKind::InvalidClaimFormat(_) | ErrorKind::InvalidSubject => TokenError::InvalidClaim,
        ErrorKind::ExpiredSignature => TokenError::Expired,
        ErrorKind::ImmatureSignature => TokenError::NotYetValid,
        ErrorKind::InvalidIssuer => TokenError::Issuer,
        ErrorKind::InvalidAudience => TokenError::Audience,
        _ => TokenError::Malformed,
    }
}

/// A new refresh token: 32 random bytes, base64url without padding (43 characters), and
/// the SHA-256 hex of it, which is what the server stores.
pub fn new_refresh_token() -> (String, String) {
    let token = b64url(&random_bytes(REFRESH_TOKEN_BYTES));
    let hash = hash_refresh_token(&token);
    (token, hash)
}

/// SHA-256 of a refresh token as lowercase hex (64 characters): the lookup key to store.
pub fn hash_refresh_token(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// Whether `token` has the shape of a refresh token we issue (43 base64url characters):
/// lets the caller refuse junk before any lookup.
pub fn is_well_formed_refresh_token(token: &str) -> bool {
    token.len() == REFRESH_TOKEN_BYTES.div_ceil(3) * 4 - 1
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `n` bytes from the thread-local CSPRNG (ChaCha, seeded and reseeded from the OS).
fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// Base64url without padding (RFC 4648 §5), as JWTs and our refresh tokens use.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for s in &sextets[..chunk.len() + 1] {
            out.push(char::from(ALPHABET[*s as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError as _;
    use serde_json::{json, Value};

    const SECRET: &[u8] = b"k3y-for-tests-0123456789-abcdefghijklmnop";
    const NOW: i64 = 1_756_713_600; // 2025-09-01T08:00:00Z

    fn cfg() -> TokenConfig {
        TokenConfig::new(SECRET.to_vec()).unwrap_or_else(|e| panic!("config: {e}"))
    }

    fn at(ts: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(ts, 0).unwrap_or_else(|| panic!("bad timestamp {ts}"))
    }

    fn now() -> DateTime<Utc> {
        at(NOW)
    }

    fn good_header() -> Value {
        json!({"typ": "at+jwt", "alg": "HS256"})
    }

    /// The claims of a valid token issued at NOW, as JSON to tamper with.
    fn good_claims() -> Value {
        json!({
            "sub": "42",
            "iss": DEFAULT_ISSUER,
            "aud": DEFAULT_AUDIENCE,
            "exp": NOW + 600,
            "iat": NOW,
            "nbf": NOW,
            "jti": "jti-1",
            "typ": "access",
            "sid": "session-1",
            "role": "student",
            "est": 7
        })
    }

    fn with(mut claims: Value, key: &str, value: Value) -> Value {
        claims[key] = value;
        claims
    }

    fn without(mut claims: Value, key: &str) -> Value {
        if let Value::Object(map) = &mut claims {
            map.remove(key);
        }
        claims
    }

    fn b64_json(v: &Value) -> String {
        b64url(v.to_string().as_bytes())
    }

    /// A token built by hand: base64url(header).base64url(claims).HMAC(alg, key).
    fn forge(header: &Value, claims: &Value, key: &[u8], alg: Algorithm) -> String {
        let message = format!("{}.{}", b64_json(header), b64_json(claims));
        let sig =
            jsonwebtoken::crypto::sign(message.as_bytes(), &EncodingKey::from_secret(key), alg)
                .unwrap_or_else(|e| panic!("sign: {e}"));
        format!("{message}.{sig}")
    }

    fn forge_good(claims: &Value) -> String {
        forge(&good_header(), claims, SECRET, Algorithm::HS256)
    }

    #[track_caller]
    fn assert_rejected(token: &str, expected: TokenError) {
        match verify_access(&cfg(), token, now()) {
            Ok(claims) => panic!("forged token accepted: {claims:?}"),
            Err(e) => assert_eq!(e, expected, "rejected for another reason: {}", e.code()),
        }
    }

    // ---- positive controls ----

    #[test]
    fn issued_token_is_accepted() {
        let cfg = cfg();
        let (token, expires_in) = issue_access(&cfg, "42", "teacher", Some(7), "sid-9", now())
            .unwrap_or_else(|e| panic!("issue: {e}"));
        assert_eq!(expires_in, 600);
        let claims = verify_access(&cfg, &token, now()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(claims.sub, "42");
        assert_eq!(claims.role, "teacher");
        assert_eq!(claims.est, Some(7));
        assert_eq!(claims.sid, "sid-9");
        assert_eq!(claims.typ, "access");
        assert_eq!(claims.iss, DEFAULT_ISSUER);
        assert_eq!(claims.aud, DEFAULT_AUDIENCE);
        assert_eq!((claims.iat, claims.nbf, claims.exp), (NOW, NOW, NOW + 600));
        assert_eq!(claims.jti.len(), 22);
        // Still valid just before expiry, and the header is the typed one.
        assert!(verify_access(&cfg, &token, at(NOW + 599)).is_ok());
        let header = jsonwebtoken::decode_header(&token).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(header.alg, Algorithm::HS256);
    }

    #[test]
    fn issued_tokens_have_distinct_jti() {
        let cfg = cfg();
        let a =
            issue_access(&cfg, "1", "admin", None, "s", now()).unwrap_or_else(|e| panic!("{e}"));
        let b =
            issue_access(&cfg, "1", "admin", None, "s", now()).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(a.0, b.0);
        let claims = verify_access(&cfg, &a.0, now()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(claims.est, None);
    }

    #[test]
    fn hand_forged_valid_token_is_accepted() {
        // Proves the forging helper is right, so each rejection below is for its own reason.
        let claims = verify_access(&cfg(), &forge_good(&good_claims()), now())
            .unwrap_or_else(|e| panic!("{}", e.code()));
        assert_eq!(claims.role, "student");
    }

    #[test]
    fn exp_within_leeway_is_accepted() {
        let token = forge_good(&with(good_claims(), "exp", json!(NOW - 3)));
        let claims = with(good_claims(), "iat", json!(NOW - 300));
        let claims = with(claims, "nbf", json!(NOW - 300));
        let token2 = forge_good(&with(claims, "exp", json!(NOW - 3)));
        // iat = NOW, exp = NOW - 3: incoherent lifetime, refused for that.
        assert_rejected(&token, TokenError::InvalidClaim);
        assert!(verify_access(&cfg(), &token2, now()).is_ok());
    }

    #[test]
    fn nbf_and_iat_within_leeway_are_accepted() {
        let claims = with(good_claims(), "iat", json!(NOW + 4));
        let claims = with(claims, "nbf", json!(NOW + 4));
        assert!(verify_access(&cfg(), &forge_good(&claims), now()).is_ok());
    }

    // ---- forged tokens: every one refused ----

    #[test]
    fn alg_none_is_rejected() {
        for alg in ["none", "None", "NONE", "nOnE"] {
            let header = json!({"typ": "at+jwt", "alg": alg});
            let unsigned = format!("{}.{}.", b64_json(&header), b64_json(&good_claims()));
            assert_rejected(&unsigned, TokenError::Malformed);
            // Same, with our valid signature glued on.
            let signed = forge(&header, &good_claims(), SECRET, Algorithm::HS256);
            assert_rejected(&signed, TokenError::Malformed);
        }
    }

    #[test]
    fn wrong_key_is_rejected() {
        let token = forge(
            &good_header(),
            &good_claims(),
            b"another-key-0123456789-abcdefghijklmnop",
            Algorithm::HS256,
        );
        assert_rejected(&token, TokenError::Signature);
    }

    #[test]
    fn hs512_with_right_key_is_rejected() {
        let header = json!({"typ": "at+jwt", "alg": "HS512"});
        assert_rejected(
            &forge(&header, &good_claims(), SECRET, Algorithm::HS512),
            TokenError::Algorithm,
        );
        let header = json!({"typ": "at+jwt", "alg": "HS384"});
        assert_rejected(
            &forge(&header, &good_claims(), SECRET, Algorithm::HS384),
            TokenError::Algorithm,
        );
    }

    #[test]
    fn rs256_header_is_rejected() {
        // Key-confusion attack: header says RS256, signature is an HMAC with our secret.
        for alg in ["RS256", "ES256", "PS256", "EdDSA"] {
            let header = json!({"typ": "at+jwt", "alg": alg});
            assert_rejected(
                &forge(&header, &good_claims(), SECRET, Algorithm::HS256),
                TokenError::Algorithm,
            );
        }
    }

    #[test]
    fn extra_header_fields_are_rejected() {
        for (k, v) in [
            ("crit", json!(["exp"])),
            ("kid", json!("other")),
            ("jku", json!("https://evil.example/jwks.json")),
        ] {
            let mut header = good_header();
            header[k] = v;
            assert_rejected(
                &forge(&header, &good_claims(), SECRET, Algorithm::HS256),
                TokenError::Algorithm,
            );
        }
    }

    #[test]
    fn header_typ_other_than_at_jwt_is_rejected() {
        for header in [
            json!({"typ": "JWT", "alg": "HS256"}),
            json!({"alg": "HS256"}),
        ] {
            assert_rejected(
                &forge(&header, &good_claims(), SECRET, Algorithm::HS256),
                TokenError::WrongType,
            );
        }
    }

    #[test]
    fn expired_beyond_leeway_is_rejected() {
        let claims = with(good_claims(), "iat", json!(NOW - 600));
        let claims = with(claims, "nbf", json!(NOW - 600));
        for exp in [NOW - 6, NOW - 5, NOW - 3600] {
            assert_rejected(
                &forge_good(&with(claims.clone(), "exp", json!(exp))),
                TokenError::Expired,
            );
        }
        // And an issued token, ten minutes and six seconds later.
        let (token, _) = issue_access(&cfg(), "42", "student", None, "s", now())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            verify_access(&cfg(), &token, at(NOW + 606)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn future_nbf_is_rejected() {
        let claims = with(good_claims(), "nbf", json!(NOW + 60));
        assert_rejected(&forge_good(&claims), TokenError::NotYetValid);
    }

    #[test]
    fn iat_in_the_future_is_rejected() {
        let claims = with(good_claims(), "iat", json!(NOW + 60));
        let claims = with(claims, "nbf", json!(NOW));
        assert_rejected(&forge_good(&claims), TokenError::IssuedInFuture);
        // An issued token verified a minute before it was issued.
        let (token, _) = issue_access(&cfg(), "42", "student", None, "s", now())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            verify_access(&cfg(), &token, at(NOW - 60)),
            Err(TokenError::NotYetValid)
        );
    }

    #[test]
    fn missing_aud_is_rejected() {
        assert_rejected(
            &forge_good(&without(good_claims(), "aud")),
            TokenError::MissingClaim,
        );
    }

    #[test]
    fn wrong_aud_is_rejected() {
        assert_rejected(
            &forge_good(&with(good_claims(), "aud", json!("other-api"))),
            TokenError::Audience,
        );
        assert_rejected(
            &forge_good(&with(good_claims(), "aud", json!(["other-api"]))),
            TokenError::Audience,
        );
        // Our audience inside an array: not the shape we issue.
        assert_rejected(
            &forge_good(&with(
                good_claims(),
                "aud",
                json!([DEFAULT_AUDIENCE, "other-api"]),
            )),
            TokenError::InvalidClaim,
        );
    }

    #[test]
    fn missing_iss_is_rejected() {
        assert_rejected(
            &forge_good(&without(good_claims(), "iss")),
            TokenError::MissingClaim,
        );
    }

    #[test]
    fn wrong_iss_is_rejected() {
        assert_rejected(
            &forge_good(&with(good_claims(), "iss", json!("https://evil.example"))),
            TokenError::Issuer,
        );
    }

    #[test]
    fn missing_exp_is_rejected() {
        assert_rejected(
            &forge_good(&without(good_claims(), "exp")),
            TokenError::MissingClaim,
        );
    }

    #[test]
    fn exp_as_string_is_rejected() {
        let exp = (NOW + 600).to_string();
        assert_rejected(
            &forge_good(&with(good_claims(), "exp", json!(exp))),
            TokenError::MissingClaim,
        );
        // Nor a float, nor null.
        assert_rejected(
            &forge_good(&with(good_claims(), "exp", json!(NOW as f64 + 600.5))),
            TokenError::InvalidClaim,
        );
        assert_rejected(
            &forge_good(&with(good_claims(), "exp", Value::Null)),
            TokenError::MissingClaim,
        );
    }

    #[test]
    fn missing_or_bad_iat_is_rejected() {
        assert_rejected(
            &forge_good(&without(good_claims(), "iat")),
            TokenError::MissingClaim,
        );
        assert_rejected(
            &forge_good(&with(good_claims(), "iat", json!(NOW.to_string()))),
            TokenError::InvalidClaim,
        );
    }

    #[test]
    fn missing_nbf_is_rejected() {
        assert_rejected(
            &forge_good(&without(good_claims(), "nbf")),
            TokenError::MissingClaim,
        );
    }

    #[test]
    fn missing_or_empty_sub_is_rejected() {
        assert_rejected(
            &forge_good(&without(good_claims(), "sub")),
            TokenError::MissingClaim,
        );
        assert_rejected(
            &forge_good(&with(good_claims(), "sub", json!(""))),
            TokenError::InvalidClaim,
        );
        assert_rejected(
            &forge_good(&with(good_claims(), "sub", json!(42))),
            TokenError::MissingClaim,
        );
    }

    #[test]
    fn missing_session_id_is_rejected() {
        assert_rejected(
            &forge_good(&without(good_claims(), "sid")),
            TokenError::InvalidClaim,
        );
    }

    #[test]
    fn typ_refresh_is_rejected() {
        assert_rejected(
            &forge_good(&with(good_claims(), "typ", json!("refresh"))),
            TokenError::WrongType,
        );
        assert_rejected(
            &forge_good(&without(good_claims(), "typ")),
            TokenError::InvalidClaim,
        );
    }

    #[test]
    fn refresh_token_used_as_access_is_rejected() {
        let (refresh, hash) = new_refresh_token();
        assert_rejected(&refresh, TokenError::Malformed);
        assert_rejected(&hash, TokenError::Malformed);
    }

    #[test]
    fn over_long_lifetime_is_rejected() {
        // Signed with our key but valid for a day: more than we ever issue.
        let claims = with(good_claims(), "exp", json!(NOW + 86_400));
        assert_rejected(&forge_good(&claims), TokenError::InvalidClaim);
    }

    #[test]
    fn truncated_signature_is_rejected() {
        let token = forge_good(&good_claims());
        for cut in [1, 2, 4, 43] {
            let truncated = &token[..token.len() - cut];
            assert!(
                verify_access(&cfg(), truncated, now()).is_err(),
                "accepted with {cut} chars cut"
            );
        }
        // Flipped last character.
        let mut flipped = token[..token.len() - 1].to_owned();
        flipped.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(verify_access(&cfg(), &flipped, now()).is_err());
    }

    #[test]
    fn tampered_payload_is_rejected() {
        let token = forge_good(&good_claims());
        let Some((_, signature)) = token.rsplit_once('.') else {
            panic!("no signature")
        };
        let admin = with(good_claims(), "role", json!("admin"));
        let tampered = format!(
            "{}.{}.{signature}",
            b64_json(&good_header()),
            b64_json(&admin)
        );
        assert_rejected(&tampered, TokenError::Signature);
        // Other establishment, same trick.
        let other = with(good_claims(), "est", json!(8));
        let tampered = format!(
            "{}.{}.{signature}",
            b64_json(&good_header()),
            b64_json(&other)
        );
        assert_rejected(&tampered, TokenError::Signature);
    }

    #[test]
    fn garbage_is_rejected() {
        let long = "a".repeat(5000);
        for token in ["", "a", "a.b", "a.b.c", "a.b.c.d", "..", long.as_str()] {
            assert!(verify_access(&cfg(), token, now()).is_err(), "{token:.20}");
        }
    }

    #[test]
    fn revoked_session_is_rejected() {
        let cfg = cfg();
        let (token, _) = issue_access(&cfg, "42", "student", None, "sid-dead", now())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            verify_access_with(&cfg, &token, now(), |c| c.sid != "sid-dead"),
            Err(TokenError::Revoked)
        );
        assert!(verify_access_with(&cfg, &token, now(), |c| c.sid == "sid-dead").is_ok());
    }

    #[test]
    fn token_from_other_issuer_config_is_rejected() {
        // Same secret, other deployment's audience.
        let mut other = cfg();
        other.audience = "other-api".to_owned();
        let (token, _) = issue_access(&other, "42", "admin", Some(1), "s", now())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            verify_access(&cfg(), &token, now()),
            Err(TokenError::Audience)
        );
    }

    #[test]
    fn token_error_maps_to_401_invalid_token() {
        let err = AppError::from(TokenError::Expired);
        assert_eq!(err.status_code(), actix_web::http::StatusCode::UNAUTHORIZED);
        assert_eq!(err.code(), "invalid_token");
        let response = err.error_response();
        assert_eq!(response.status(), 401);
        let www = response
            .headers()
            .get(actix_web::http::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok());
        assert_eq!(www, Some("Bearer error=\"invalid_token\""));
    }

    // ---- configuration ----

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    const STRONG: &str = "Zq3v9-Xw_18sKp0Lr5TgYb7Nc2Hm4Jd6";

    #[test]
    fn config_from_env_secret() {
        let cfg = TokenConfig::from_lookup(false, lookup(&[("JWT_SECRET", STRONG)]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.secret, STRONG.as_bytes());
        assert!(!cfg.generated_secret);
        assert_eq!(cfg.access_ttl, Duration::from_secs(600));
        assert_eq!(cfg.refresh_ttl, Duration::from_secs(30 * 86_400));
        assert_eq!(cfg.leeway_secs, 5);
    }

    #[test]
    fn config_from_secret_file_trims_newline() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("jwt");
        std::fs::write(&path, format!("{STRONG}\n")).unwrap_or_else(|e| panic!("{e}"));
        let path = path.to_string_lossy().into_owned();
        let cfg = TokenConfig::from_lookup(false, lookup(&[("JWT_SECRET_FILE", &path)]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.secret, STRONG.as_bytes());
        // Unreadable file: refused, even in dev mode.
        let missing = dir.path().join("absent").to_string_lossy().into_owned();
        assert!(TokenConfig::from_lookup(true, lookup(&[("JWT_SECRET_FILE", &missing)])).is_err());
    }

    #[test]
    fn config_refuses_missing_or_weak_secret() {
        let cases: [&[(&str, &str)]; 5] = [
            &[],
            &[("JWT_SECRET", "")],
            &[("JWT_SECRET", "short-secret")],
            // 40 bytes but only 2 distinct values.
            &[("JWT_SECRET", "abababababababababababababababababababab")],
            &[("JWT_SECRET", STRONG), ("JWT_SECRET_FILE", "/etc/hostname")],
        ];
        for vars in cases {
            match TokenConfig::from_lookup(false, lookup(vars)) {
                Ok(cfg) => panic!("accepted {cfg:?}"),
                Err(e) => {
                    assert!(
                        !e.contains("abab") && !e.contains(STRONG),
                        "leaks secret: {e}"
                    )
                }
            }
        }
    }

    #[test]
    fn published_and_placeholder_secrets_are_refused() {
        for published in [
            "bench-secret-7c1e9a4f2b6d8e03a5c7f9b1d3e5a7c9",
            "test-secret-4f9c2a7e1b6d8035c9e2f7a41d6b8e3c5a0f2d9e",
        ] {
            let why = secret_weakness(published.as_bytes()).unwrap_or_else(|| panic!("accepted"));
            assert!(why.contains("publié"), "{why}");
            assert!(!why.contains(published));
        }
        let why = secret_weakness(b"changeme-changeme-0123456789abcdefXYZ")
            .unwrap_or_else(|| panic!("accepted"));
        assert!(why.contains("changeme"), "{why}");
        assert!(secret_weakness(STRONG.as_bytes()).is_none());
    }

    #[test]
    fn config_dev_mode_generates_secret() {
        for vars in [&[][..], &[("JWT_SECRET", "dev")][..]] {
            let cfg =
                TokenConfig::from_lookup(true, lookup(vars)).unwrap_or_else(|e| panic!("{e}"));
            assert!(cfg.generated_secret);
            assert_eq!(cfg.secret.len(), 32);
            assert!(cfg.validate().is_ok());
        }
        // A good secret is used as is in dev mode too.
        let cfg = TokenConfig::from_lookup(true, lookup(&[("JWT_SECRET", STRONG)]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!cfg.generated_secret);
    }

    #[test]
    fn config_debug_redacts_secret() {
        let shown = format!("{:?}", cfg());
        assert!(!shown.contains("k3y-for-tests"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn config_bounds() {
        let mut c = cfg();
        c.access_ttl = Duration::from_secs(15 * 60 + 1);
        assert!(c.validate().is_err());
        assert!(issue_access(&c, "1", "admin", None, "s", now()).is_err());
        let mut c = cfg();
        c.leeway_secs = 31;
        assert!(c.validate().is_err());
        let mut c = cfg();
        c.access_ttl = Duration::ZERO;
        assert!(c.validate().is_err());
        let mut c = cfg();
        c.issuer.clear();
        assert!(c.validate().is_err());
        let mut c = cfg();
        c.access_ttl = MAX_ACCESS_TTL;
        c.leeway_secs = MAX_LEEWAY_SECS;
        assert!(c.validate().is_ok());
    }

    // ---- refresh tokens and encoding ----

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let (token, hash) = new_refresh_token();
        assert_eq!(token.len(), 43);
        assert!(is_well_formed_refresh_token(&token));
        assert_eq!(hash, hash_refresh_token(&token));
        assert_eq!(hash.len(), 64);
        assert!(hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        let (other, other_hash) = new_refresh_token();
        assert_ne!(token, other);
        assert_ne!(hash, other_hash);
        assert!(!is_well_formed_refresh_token("short"));
        assert!(!is_well_formed_refresh_token(&format!("{}=", &token[..42])));
    }

    #[test]
    fn refresh_hash_is_sha256_hex() {
        assert_eq!(
            hash_refresh_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn b64url_matches_rfc4648() {
        assert_eq!(b64url(b""), "");
        assert_eq!(b64url(b"f"), "Zg");
        assert_eq!(b64url(b"fo"), "Zm8");
        assert_eq!(b64url(b"foo"), "Zm9v");
        assert_eq!(b64url(b"foob"), "Zm9vYg");
        assert_eq!(b64url(b"fooba"), "Zm9vYmE");
        assert_eq!(b64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(b64url(&[0xfb, 0xff, 0xbf]), "-_-_");
    }
}
