//! Typed client of the Passerelle HTTP API (same origin).
//!
//! Signed-in calls carry the access token, held in memory only. The refresh token never
//! reaches this code: the server keeps it in an `HttpOnly` cookie sent only to the refresh
//! endpoint, so no script on the page can read it. sessionStorage holds a mere marker that
//! this tab is signed in, so a reload restores the session (by a renewal) and closing the
//! tab ends it (school computers are shared). Tokens never go in a URL and are never logged. An access token
//! that expired is renewed once (one renewal at a time: refresh tokens rotate and a
//! replayed one ends the session) and the call is retried; when renewal fails, the
//! session is over and the handler set with [`on_session_lost`] is told.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use gloo_net::http::{Method, Request, RequestBuilder, Response};
use passerelle_api::{
    Account, AccountInput, AccountUpdate, Activation, ApiError, Assignment, AssignmentInput,
    AttachedFile, Attachment, AuditEntry, CatalogueImportReport, ClassDetail, ClassInput,
    ClassProgress, ClassSummary, CommentInput, Coverage, EstablishmentInput, EstablishmentRef,
    Exercise, ExerciseInput, ExerciseSummary, Fiche, FicheInput, FicheQuery, FicheSummary,
    ImportReport, InvitationRequest, ItemDetail, ItemKind, LoginRequest, MarkRead, Me,
    Notifications, PasswordChange, ReferentialDetail, ReferentialSummary, ReopenInput, Role,
    SchoolYear, SchoolYearInput, SearchResults, StudentAssignment, StudentProgress, Suggestion,
    SuggestionRequest, TeacherAssignment, TokenResponse, ValidationInput, CSRF_HEADER,
    REFRESH_PATH,
};
use passerelle_api::{
    AgreedGridInput, CandidateGrid, ConformityInput, ExamSession, ExamSessionInput,
    ExamSessionSummary, GridReopenInput, GridTemplate, GridTemplateInput, GridTemplateSummary,
    GridTemplateVersion, JuryCandidates, JuryInput, MemberAssessmentInput,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use yew::Callback;

/// Why a request failed, with enough detail to tell the user in French.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchError {
    /// 404: the referential, item, class… does not exist.
    NotFound(String),
    /// Another 4xx: the server refused the request and says why (`message` is French and
    /// names the field or row at fault; `code` is stable: `invalid_credentials`…).
    Refused {
        status: u16,
        code: String,
        message: String,
    },
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
            FetchError::Refused { status: 401, .. } => {
                "Connexion requise : reconnectez-vous".to_owned()
            }
            FetchError::Refused { status: 403, .. } => {
                "Accès réservé : votre compte n'a pas ce droit".to_owned()
            }
            FetchError::Refused { .. } => "Requête refusée par le serveur".to_owned(),
            FetchError::Server { status, .. } => format!("Erreur du serveur (code {status})"),
            FetchError::Network(_) => {
                "Impossible de joindre le serveur. Vérifiez votre connexion puis réessayez."
                    .to_owned()
            }
            FetchError::Decode(_) => "Réponse inattendue du serveur".to_owned(),
        }
    }

    /// What a form shows: the server's own French explanation when it gave one.
    pub fn form_message(&self) -> String {
        match self {
            FetchError::Refused { message, .. } | FetchError::NotFound(message)
                if !message.is_empty() =>
            {
                message.clone()
            }
            other => other.message_fr("Élément"),
        }
    }

    /// The stable error code of a refusal (empty otherwise).
    pub fn code(&self) -> &str {
        match self {
            FetchError::Refused { code, .. } => code,
            _ => "",
        }
    }

    /// The technical detail, shown in small print.
    pub fn detail(&self) -> &str {
        match self {
            FetchError::NotFound(m) | FetchError::Network(m) | FetchError::Decode(m) => m,
            FetchError::Refused { message, .. } | FetchError::Server { message, .. } => message,
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

// ---------- Tokens ----------

/// sessionStorage key of the marker "this tab is signed in" (not a credential).
const SESSION_KEY: &str = "passerelle.session";
/// Media type of the invitation sheets and other spreadsheet exports.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

thread_local! {
    static ACCESS: RefCell<Option<String>> = const { RefCell::new(None) };
    static RENEWING: Cell<bool> = const { Cell::new(false) };
    static ON_LOST: RefCell<Option<Rc<dyn Fn()>>> = const { RefCell::new(None) };
}

/// The tab's sessionStorage (the signed-in marker, the SPA's reload marker).
pub fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

fn access_token() -> Option<String> {
    ACCESS.with(|a| a.borrow().clone())
}

/// Keeps the access token of a sign-in or a renewal (the refresh token went to its
/// cookie) and marks the tab signed in.
pub fn keep_tokens(tokens: &TokenResponse) {
    ACCESS.with(|a| *a.borrow_mut() = Some(tokens.access_token.clone()));
    if let Some(s) = storage() {
        let _ = s.set_item(SESSION_KEY, "1");
    }
}

/// Forgets the access token and the marker (sign-out, session ended).
pub fn forget_tokens() {
    ACCESS.with(|a| *a.borrow_mut() = None);
    if let Some(s) = storage() {
        let _ = s.remove_item(SESSION_KEY);
    }
}

/// Whether this tab holds a session to restore.
pub fn has_stored_session() -> bool {
    storage()
        .and_then(|s| s.get_item(SESSION_KEY).ok().flatten())
        .is_some()
}

/// Called when a signed-in call finds the session over (renewal refused).
pub fn on_session_lost(handler: impl Fn() + 'static) {
    ON_LOST.with(|h| *h.borrow_mut() = Some(Rc::new(handler)));
}

fn session_lost() {
    forget_tokens();
    if let Some(handler) = ON_LOST.with(|h| h.borrow().clone()) {
        handler();
    }
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A fresh access token replacing `used`: another call's renewal when one ran meanwhile,
/// else a renewal with the stored refresh token. Refused: the tokens are forgotten.
pub async fn renew(used: Option<&str>) -> Result<String, FetchError> {
    loop {
        let current = access_token();
        if current.is_some() && current.as_deref() != used {
            return current.ok_or_else(|| FetchError::Decode(String::new()));
        }
        if !RENEWING.with(Cell::get) {
            break;
        }
        sleep(50).await;
    }
    if !has_stored_session() {
        return Err(FetchError::Refused {
            status: 401,
            code: "unauthenticated".to_owned(),
            message: "Connexion requise".to_owned(),
        });
    }
    RENEWING.with(|r| r.set(true));
    let answer = async {
        // The browser adds the refresh cookie; the header proves the call is ours (CSRF).
        let mut call = Call::new(Method::POST, REFRESH_PATH);
        call.csrf = true;
        read_json::<TokenResponse>(send(&call, None).await?).await
    }
    .await;
    RENEWING.with(|r| r.set(false));
    match answer {
        Ok(tokens) => {
            keep_tokens(&tokens);
            Ok(tokens.access_token)
        }
        Err(e @ FetchError::Refused { .. }) => {
            forget_tokens();
            Err(e)
        }
        // Unreachable server: keep the tokens, the next call may succeed.
        Err(e) => Err(e),
    }
}

// ---------- Requests ----------

/// One request, rebuildable (a call is sent again after a renewal).
struct Call {
    method: Method,
    url: String,
    accept: &'static str,
    body: Option<(JsValue, &'static str)>,
    /// Sends the anti-CSRF header the refresh endpoint asks for.
    csrf: bool,
}

impl Call {
    fn new(method: Method, url: impl Into<String>) -> Call {
        Call {
            method,
            url: url.into(),
            accept: "application/json",
            body: None,
            csrf: false,
        }
    }

    fn json<B: Serialize>(mut self, body: &B) -> Result<Call, FetchError> {
        let text = serde_json::to_string(body).map_err(|e| FetchError::Decode(e.to_string()))?;
        self.body = Some((JsValue::from_str(&text), "application/json"));
        Ok(self)
    }

    /// The raw bytes of a file picked by the user (sent as is, never read into wasm).
    fn file(mut self, file: &web_sys::File) -> Call {
        self.body = Some((file.clone().into(), "application/octet-stream"));
        self
    }

    fn accept(mut self, media_type: &'static str) -> Call {
        self.accept = media_type;
        self
    }

    fn request(&self, token: Option<&str>) -> Result<Request, FetchError> {
        let mut builder = RequestBuilder::new(&self.url)
            .method(self.method.clone())
            .header("Accept", self.accept);
        if let Some(token) = token {
            builder = builder.header("Authorization", &format!("Bearer {token}"));
        }
        if self.csrf {
            builder = builder.header(CSRF_HEADER, "1");
        }
        match &self.body {
            Some((body, media_type)) => builder
                .header("Content-Type", media_type)
                .body(body.clone()),
            None => builder.build(),
        }
        .map_err(|e| FetchError::Network(e.to_string()))
    }
}

async fn send(call: &Call, token: Option<&str>) -> Result<Response, FetchError> {
    call.request(token)?
        .send()
        .await
        .map_err(|e| FetchError::Network(e.to_string()))
}

/// The error a non-success answer carries.
async fn failure(resp: Response) -> FetchError {
    let status = resp.status();
    let (code, message) = match resp.json::<ApiError>().await {
        Ok(err) => (err.code, err.message),
        Err(_) => (String::new(), format!("{} {}", status, resp.status_text())),
    };
    match status {
        404 => FetchError::NotFound(message),
        400..=499 => FetchError::Refused {
            status,
            code,
            message,
        },
        _ => FetchError::Server { status, message },
    }
}

async fn success(resp: Response) -> Result<Response, FetchError> {
    if resp.ok() {
        Ok(resp)
    } else {
        Err(failure(resp).await)
    }
}

async fn read_json<T: DeserializeOwned>(resp: Response) -> Result<T, FetchError> {
    success(resp)
        .await?
        .json::<T>()
        .await
        .map_err(|e| FetchError::Decode(e.to_string()))
}

/// Sends `call` signed in; an expired access token is renewed once and the call retried.
async fn send_signed_in(call: &Call) -> Result<Response, FetchError> {
    let mut token = access_token();
    if token.is_none() && has_stored_session() {
        token = renew(None).await.ok();
    }
    let resp = send(call, token.as_deref()).await?;
    if resp.status() != 401 {
        return Ok(resp);
    }
    let refused = failure(resp).await;
    if refused.code() != "invalid_token" {
        return Err(refused);
    }
    match renew(token.as_deref()).await {
        Ok(fresh) => send(call, Some(&fresh)).await,
        Err(e @ FetchError::Network(_)) => Err(e),
        Err(_) => {
            session_lost();
            Err(refused)
        }
    }
}

/// A boxed, non-generic future: the sending and renewal logic is compiled once, and each
/// typed call below only adds its deserialisation (this keeps the wasm small).
type TextFuture = Pin<Box<dyn Future<Output = Result<String, FetchError>>>>;

/// Sends `call` (signed in, or anonymously) and reads the successful answer as text.
fn answer_text(call: Call, signed_in: bool) -> TextFuture {
    Box::pin(async move {
        let resp = if signed_in {
            send_signed_in(&call).await?
        } else {
            send(&call, None).await?
        };
        success(resp)
            .await?
            .text()
            .await
            .map_err(|e| FetchError::Decode(e.to_string()))
    })
}

fn decode<T: DeserializeOwned>(text: &str) -> Result<T, FetchError> {
    serde_json::from_str(text).map_err(|e| FetchError::Decode(e.to_string()))
}

async fn signed_in_json<T: DeserializeOwned>(call: Call) -> Result<T, FetchError> {
    decode(&answer_text(call, true).await?)
}

async fn signed_in_empty(call: Call) -> Result<(), FetchError> {
    answer_text(call, true).await.map(drop)
}

async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, FetchError> {
    decode(&answer_text(Call::new(Method::GET, url), false).await?)
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

// ---------- Sign-in ----------

/// `POST /api/auth/login`
pub async fn login(email: &str, password: &str) -> Result<TokenResponse, FetchError> {
    let call = Call::new(Method::POST, "/api/auth/login").json(&LoginRequest {
        email: email.to_owned(),
        password: password.to_owned(),
    })?;
    read_json(send(&call, None).await?).await
}

/// `POST /api/auth/activate`: first sign-in with the invitation code.
pub async fn activate(activation: &Activation) -> Result<TokenResponse, FetchError> {
    let call = Call::new(Method::POST, "/api/auth/activate").json(activation)?;
    read_json(send(&call, None).await?).await
}

/// `POST /api/auth/logout` (the tokens are forgotten whatever the answer).
pub async fn logout() -> Result<(), FetchError> {
    let answer = match access_token() {
        Some(token) => {
            success(send(&Call::new(Method::POST, "/api/auth/logout"), Some(&token)).await?)
                .await
                .map(drop)
        }
        None => Ok(()),
    };
    forget_tokens();
    answer
}

/// `POST /api/auth/password`: every session ends, this one included.
pub async fn change_password(change: &PasswordChange) -> Result<(), FetchError> {
    signed_in_empty(Call::new(Method::POST, "/api/auth/password").json(change)?).await
}

/// `GET /api/me`
pub async fn me() -> Result<Me, FetchError> {
    signed_in_json(Call::new(Method::GET, "/api/me")).await
}

// ---------- Establishment, years, classes ----------

/// `GET /api/establishment`
pub async fn establishment() -> Result<EstablishmentRef, FetchError> {
    signed_in_json(Call::new(Method::GET, "/api/establishment")).await
}

/// `POST /api/establishment`
pub async fn create_establishment(
    input: &EstablishmentInput,
) -> Result<EstablishmentRef, FetchError> {
    signed_in_json(Call::new(Method::POST, "/api/establishment").json(input)?).await
}

/// `GET /api/school-years`
pub async fn school_years() -> Result<Vec<SchoolYear>, FetchError> {
    signed_in_json(Call::new(Method::GET, "/api/school-years")).await
}

/// `POST /api/school-years`
pub async fn create_school_year(input: &SchoolYearInput) -> Result<SchoolYear, FetchError> {
    signed_in_json(Call::new(Method::POST, "/api/school-years").json(input)?).await
}

/// `GET /api/classes`: what the signed-in user may see.
pub async fn classes() -> Result<Vec<ClassSummary>, FetchError> {
    signed_in_json(Call::new(Method::GET, "/api/classes")).await
}

/// `POST /api/classes`
pub async fn create_class(input: &ClassInput) -> Result<ClassSummary, FetchError> {
    signed_in_json(Call::new(Method::POST, "/api/classes").json(input)?).await
}

/// `GET /api/classes/{id}`
pub async fn class(id: i64) -> Result<ClassDetail, FetchError> {
    signed_in_json(Call::new(Method::GET, format!("/api/classes/{id}"))).await
}

/// `PUT /api/classes/{id}/teachers`
pub async fn assign_teachers(id: i64, teacher_ids: Vec<i64>) -> Result<ClassDetail, FetchError> {
    let call = Call::new(Method::PUT, format!("/api/classes/{id}/teachers"))
        .json(&TeacherAssignment { teacher_ids })?;
    signed_in_json(call).await
}

// ---------- Accounts and invitations ----------

/// `GET /api/accounts?role=…&q=…`
pub async fn accounts(role: Option<Role>, q: &str) -> Result<Vec<Account>, FetchError> {
    let mut params = Vec::new();
    if let Some(role) = role {
        params.push(format!("role={}", role.as_str()));
    }
    if !q.trim().is_empty() {
        params.push(format!("q={}", encode(q.trim())));
    }
    let mut url = "/api/accounts".to_owned();
    if !params.is_empty() {
        url.push('?');
        url.push_str(&params.join("&"));
    }
    signed_in_json(Call::new(Method::GET, url)).await
}

/// `POST /api/accounts`
pub async fn create_account(input: &AccountInput) -> Result<Account, FetchError> {
    signed_in_json(Call::new(Method::POST, "/api/accounts").json(input)?).await
}

/// `PATCH /api/accounts/{id}`
pub async fn update_account(id: i64, update: &AccountUpdate) -> Result<Account, FetchError> {
    signed_in_json(Call::new(Method::PATCH, format!("/api/accounts/{id}")).json(update)?).await
}

/// `POST /api/invitations`: fresh codes, saved as the xlsx sheet to print.
pub async fn download_invitations(request: &InvitationRequest) -> Result<(), FetchError> {
    let call = Call::new(Method::POST, "/api/invitations")
        .json(request)?
        .accept(XLSX);
    download(call, "invitations.xlsx").await
}

/// The file name of a `Content-Disposition: attachment; filename="…"` header.
fn attachment_name(disposition: &str) -> Option<String> {
    let (_, rest) = disposition.split_once("filename=")?;
    let name = rest.split(';').next()?.trim().trim_matches('"');
    let safe = !name.is_empty() && !name.contains(['/', '\\']);
    safe.then(|| name.to_owned())
}

/// Hands bytes to the browser as a download.
fn save_file(bytes: &[u8], media_type: &str, name: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
    save_blob(&blob, name)
}

/// Hands a blob to the browser as a download (object URL → `<a download>` click).
fn save_blob(blob: &web_sys::Blob, name: &str) -> Result<(), JsValue> {
    let url = web_sys::Url::create_object_url_with_blob(blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(name);
    link.style().set_property("display", "none")?;
    let body = document
        .body()
        .ok_or_else(|| JsValue::from_str("no body"))?;
    body.append_child(&link)?;
    link.click();
    link.remove();
    // Let the download start before releasing the object.
    gloo_timers::callback::Timeout::new(30_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

// ---------- Class-list import ----------

fn import_url(step: &str, file_name: &str, school_year_id: Option<i64>) -> String {
    let mut url = format!("/api/class-lists/{step}?file_name={}", encode(file_name));
    if let Some(id) = school_year_id {
        url.push_str(&format!("&school_year_id={id}"));
    }
    url
}

/// `POST /api/class-lists/preview` (`commit: false`) or `/commit`, the file as the body.
pub async fn import_class_list(
    file: &web_sys::File,
    school_year_id: Option<i64>,
    commit: bool,
) -> Result<ImportReport, FetchError> {
    let step = if commit { "commit" } else { "preview" };
    let call = Call::new(Method::POST, import_url(step, &file.name(), school_year_id)).file(file);
    signed_in_json(call).await
}

// ---------- Exercises ----------

/// `GET /api/exercises`: the signed-in user's exercises and the establishment's shared ones.
pub async fn exercises() -> Result<Vec<ExerciseSummary>, FetchError> {
    signed_in_json(Call::new(Method::GET, "/api/exercises")).await
}

/// `GET /api/exercises/{id}`
pub async fn exercise(id: i64) -> Result<Exercise, FetchError> {
    signed_in_json(Call::new(Method::GET, format!("/api/exercises/{id}"))).await
}

/// `POST /api/exercises`
pub async fn create_exercise(input: &ExerciseInput) -> Result<Exercise, FetchError> {
    signed_in_json(Call::new(Method::POST, "/api/exercises").json(input)?).await
}

/// `PUT /api/exercises/{id}`
pub async fn update_exercise(id: i64, input: &ExerciseInput) -> Result<Exercise, FetchError> {
    signed_in_json(Call::new(Method::PUT, format!("/api/exercises/{id}")).json(input)?).await
}

/// `DELETE /api/exercises/{id}`
pub async fn delete_exercise(id: i64) -> Result<(), FetchError> {
    signed_in_empty(Call::new(Method::DELETE, format!("/api/exercises/{id}"))).await
}

/// `POST /api/exercises/{id}/duplicate`: a copy owned by the signed-in user.
pub async fn duplicate_exercise(id: i64) -> Result<Exercise, FetchError> {
    signed_in_json(Call::new(
        Method::POST,
        format!("/api/exercises/{id}/duplicate"),
    ))
    .await
}

/// `PUT /api/exercises/{id}/file?file_name=…`, the file as the body.
pub async fn attach_file(id: i64, file: &web_sys::File) -> Result<AttachedFile, FetchError> {
    let url = format!(
        "/api/exercises/{id}/file?file_name={}",
        encode(&file.name())
    );
    signed_in_json(Call::new(Method::PUT, url).file(file)).await
}

/// `DELETE /api/exercises/{id}/file`
pub async fn remove_file(id: i64) -> Result<(), FetchError> {
    signed_in_empty(Call::new(
        Method::DELETE,
        format!("/api/exercises/{id}/file"),
    ))
    .await
}

/// `GET /api/exercises/{id}/file`, saved as a download.
pub async fn download_exercise_file(id: i64, file: &AttachedFile) -> Result<(), FetchError> {
    download(
        Call::new(Method::GET, format!("/api/exercises/{id}/file")).accept("*/*"),
        &file.file_name,
    )
    .await
}

/// `POST /api/exercises/suggestions`
pub async fn suggestions(request: &SuggestionRequest) -> Result<Vec<Suggestion>, FetchError> {
    signed_in_json(Call::new(Method::POST, "/api/exercises/suggestions").json(request)?).await
}

/// `GET /api/exercises/export.json` or `.xlsx`, saved as a download.
pub async fn export_catalogue(xlsx: bool) -> Result<(), FetchError> {
    let (url, accept, name) = if xlsx {
        ("/api/exercises/export.xlsx", XLSX, "exercices.xlsx")
    } else {
        (
            "/api/exercises/export.json",
            "application/json",
            "exercices.json",
        )
    };
    download(Call::new(Method::GET, url).accept(accept), name).await
}

/// `POST /api/exercises/import/preview` (`commit: false`) or `/commit`, the file as the body.
pub async fn import_catalogue(
    file: &web_sys::File,
    commit: bool,
) -> Result<CatalogueImportReport, FetchError> {
    let step = if commit { "commit" } else { "preview" };
    let url = format!(
        "/api/exercises/import/{step}?file_name={}",
        encode(&file.name())
    );
    signed_in_json(Call::new(Method::POST, url).file(file)).await
}

// ---------- Progressions and coverage ----------

/// `GET /api/classes/{id}/exercises`: the class's progression.
pub async fn assignments(class_id: i64) -> Result<Vec<Assignment>, FetchError> {
    signed_in_json(Call::new(
        Method::GET,
        format!("/api/classes/{class_id}/exercises"),
    ))
    .await
}

/// `POST /api/classes/{id}/exercises`
pub async fn assign_exercise(
    class_id: i64,
    input: &AssignmentInput,
) -> Result<Assignment, FetchError> {
    let call = Call::new(Method::POST, format!("/api/classes/{class_id}/exercises")).json(input)?;
    signed_in_json(call).await
}

/// `PUT /api/assignments/{id}`
pub async fn update_assignment(id: i64, input: &AssignmentInput) -> Result<Assignment, FetchError> {
    signed_in_json(Call::new(Method::PUT, format!("/api/assignments/{id}")).json(input)?).await
}

/// `DELETE /api/assignments/{id}`
pub async fn delete_assignment(id: i64) -> Result<(), FetchError> {
    signed_in_empty(Call::new(Method::DELETE, format!("/api/assignments/{id}"))).await
}

/// The filters of a class's coverage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoverageQuery {
    /// The day "done" is judged against (today when None).
    pub on: Option<chrono::NaiveDate>,
    /// Only the rows under this item.
    pub under: Option<String>,
    /// Only the rows of this kind (and their ancestors).
    pub kind: Option<ItemKind>,
}

impl CoverageQuery {
    fn query_string(&self) -> String {
        let mut params = Vec::new();
        if let Some(on) = self.on {
            params.push(format!("on={on}"));
        }
        if let Some(under) = self.under.as_deref().filter(|u| !u.is_empty()) {
            params.push(format!("under={}", encode(under)));
        }
        if let Some(kind) = self.kind {
            params.push(format!("kind={}", kind.as_str()));
        }
        if params.is_empty() {
            String::new()
        } else {
            format!("?{}", params.join("&"))
        }
    }
}

/// `GET /api/classes/{id}/coverage?on=…&under=…&kind=…`
pub async fn coverage(class_id: i64, query: &CoverageQuery) -> Result<Coverage, FetchError> {
    let url = format!("/api/classes/{class_id}/coverage{}", query.query_string());
    signed_in_json(Call::new(Method::GET, url)).await
}

/// `GET /api/classes/{id}/coverage.xlsx` (same filters), saved as a download.
pub async fn download_coverage(class_id: i64, query: &CoverageQuery) -> Result<(), FetchError> {
    let url = format!(
        "/api/classes/{class_id}/coverage.xlsx{}",
        query.query_string()
    );
    download(Call::new(Method::GET, url).accept(XLSX), "couverture.xlsx").await
}

// ---------- PGI catalogue ----------

/// `GET /api/pgi`, the part the SPA shows: a lenient subset of `passerelle_api::PgiCatalogue`
/// (fields may be missing; notes, sources, keywords and feature uses are skipped, which
/// keeps the decoder small in the wasm).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct PgiCatalogue {
    #[serde(default)]
    pub software: Vec<PgiSoftware>,
    #[serde(default)]
    pub modules: Vec<PgiModule>,
    #[serde(default)]
    pub features: Vec<PgiFeature>,
    #[serde(default)]
    pub bases: Vec<PgiBase>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PgiSoftware {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PgiModule {
    pub id: String,
    #[serde(default)]
    pub label: String,
    /// Software offering the module (empty: any).
    #[serde(default)]
    pub software: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PgiFeature {
    pub id: String,
    #[serde(default)]
    pub module: Option<String>,
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PgiBase {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub modules: Vec<String>,
    /// Software the base runs on (empty: unknown, offered with any software).
    #[serde(default)]
    pub software: Vec<String>,
}

impl PgiCatalogue {
    /// The name of software `id` (the id itself when unknown).
    pub fn software_name(&self, id: &str) -> String {
        self.software
            .iter()
            .find(|s| s.id == id && !s.name.is_empty())
            .map_or_else(|| id.to_owned(), |s| s.name.clone())
    }

    /// The name of base `id` (the id itself when unknown).
    pub fn base_name(&self, id: &str) -> String {
        self.bases
            .iter()
            .find(|b| b.id == id && !b.name.is_empty())
            .map_or_else(|| id.to_owned(), |b| b.name.clone())
    }
}

/// `GET /api/pgi`: software, modules, features and training bases.
pub async fn pgi() -> Result<PgiCatalogue, FetchError> {
    signed_in_json(Call::new(Method::GET, "/api/pgi")).await
}

// ---------- Portfolios ----------

/// Runs two requests at once and waits for both (one page, one load).
pub async fn both<A, B>(a: impl Future<Output = A>, b: impl Future<Output = B>) -> (A, B) {
    use std::task::Poll;
    let (mut a, mut b) = (Box::pin(a), Box::pin(b));
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(move |cx| {
        if ra.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        match (ra.take(), rb.take()) {
            (Some(x), Some(y)) => Poll::Ready((x, y)),
            (x, y) => {
                (ra, rb) = (x, y);
                Poll::Pending
            }
        }
    })
    .await
}

/// `GET /api/fiches`: a student's own fiches; for staff, the fiches of their classes.
pub async fn fiches(query: &FicheQuery) -> Result<Vec<FicheSummary>, FetchError> {
    let mut params = Vec::new();
    if let Some(id) = query.class_id {
        params.push(format!("class_id={id}"));
    }
    if let Some(id) = query.student_id {
        params.push(format!("student_id={id}"));
    }
    if let Some(status) = query.status {
        params.push(format!("status={}", status.as_str()));
    }
    let mut url = "/api/fiches".to_owned();
    if !params.is_empty() {
        url.push('?');
        url.push_str(&params.join("&"));
    }
    signed_in_json(Call::new(Method::GET, url)).await
}

/// `GET /api/fiches/{id}`
pub async fn fiche(id: i64) -> Result<Fiche, FetchError> {
    signed_in_json(Call::new(Method::GET, format!("/api/fiches/{id}"))).await
}

/// `POST /api/fiches` (new draft) or `PUT /api/fiches/{id}`.
pub async fn save_fiche(id: Option<i64>, input: &FicheInput) -> Result<Fiche, FetchError> {
    let call = match id {
        Some(id) => Call::new(Method::PUT, format!("/api/fiches/{id}")),
        None => Call::new(Method::POST, "/api/fiches"),
    };
    signed_in_json(call.json(input)?).await
}

/// `DELETE /api/fiches/{id}` (a draft never submitted).
pub async fn delete_fiche(id: i64) -> Result<(), FetchError> {
    signed_in_empty(Call::new(Method::DELETE, format!("/api/fiches/{id}"))).await
}

/// A fiche action without a body or with one: `submit`, `comments`, `return`,
/// `validate`, `reopen`.
async fn fiche_action<B: Serialize>(
    id: i64,
    action: &str,
    body: Option<&B>,
) -> Result<Option<Fiche>, FetchError> {
    let mut call = Call::new(Method::POST, format!("/api/fiches/{id}/{action}"));
    if let Some(body) = body {
        call = call.json(body)?;
    }
    let text = answer_text(call, true).await?;
    // Some actions answer the fiche, others nothing: the page reloads it then.
    Ok(serde_json::from_str(&text).ok())
}

/// `POST /api/fiches/{id}/submit`
pub async fn submit_fiche(id: i64) -> Result<Option<Fiche>, FetchError> {
    fiche_action::<()>(id, "submit", None).await
}

/// `POST /api/fiches/{id}/comments`
pub async fn comment_fiche(id: i64, comment: String) -> Result<Option<Fiche>, FetchError> {
    fiche_action(id, "comments", Some(&CommentInput { comment })).await
}

/// `POST /api/fiches/{id}/return` (teacher, comment required).
pub async fn return_fiche(id: i64, comment: String) -> Result<Option<Fiche>, FetchError> {
    fiche_action(id, "return", Some(&CommentInput { comment })).await
}

/// `POST /api/fiches/{id}/validate` (teacher).
pub async fn validate_fiche(id: i64, input: &ValidationInput) -> Result<Option<Fiche>, FetchError> {
    fiche_action(id, "validate", Some(input)).await
}

/// `POST /api/fiches/{id}/reopen` (admin).
pub async fn reopen_fiche(id: i64, reason: String) -> Result<Option<Fiche>, FetchError> {
    fiche_action(id, "reopen", Some(&ReopenInput { reason })).await
}

/// `GET /api/fiches/exercises`: the exercises assigned to the student's classes.
pub async fn student_exercises() -> Result<Vec<StudentAssignment>, FetchError> {
    signed_in_json(Call::new(Method::GET, "/api/fiches/exercises")).await
}

/// `GET /api/reviews`: submitted fiches to review, oldest first.
pub async fn reviews() -> Result<Vec<FicheSummary>, FetchError> {
    signed_in_json(Call::new(Method::GET, "/api/reviews")).await
}

/// `GET /api/notifications`
pub async fn notifications() -> Result<Notifications, FetchError> {
    signed_in_json(Call::new(Method::GET, "/api/notifications")).await
}

/// `POST /api/notifications/read` (empty `ids`: all).
pub async fn mark_read(ids: Vec<i64>) -> Result<(), FetchError> {
    signed_in_empty(Call::new(Method::POST, "/api/notifications/read").json(&MarkRead { ids })?)
        .await
}

/// `GET /api/students/{id}/progress?class_id=…`
pub async fn student_progress(
    student_id: i64,
    class_id: Option<i64>,
) -> Result<StudentProgress, FetchError> {
    let mut url = format!("/api/students/{student_id}/progress");
    if let Some(c) = class_id {
        url.push_str(&format!("?class_id={c}"));
    }
    signed_in_json(Call::new(Method::GET, url)).await
}

/// `GET /api/classes/{id}/progress`
pub async fn class_progress(class_id: i64) -> Result<ClassProgress, FetchError> {
    signed_in_json(Call::new(
        Method::GET,
        format!("/api/classes/{class_id}/progress"),
    ))
    .await
}

/// `GET /api/fiches/{id}/attachments/{aid}`, saved as a download.
pub async fn download_attachment(fiche_id: i64, a: &Attachment) -> Result<(), FetchError> {
    let url = format!("/api/fiches/{fiche_id}/attachments/{}", a.id);
    download(Call::new(Method::GET, url).accept("*/*"), &a.file_name).await
}

/// `DELETE /api/fiches/{id}/attachments/{aid}`
pub async fn remove_attachment(fiche_id: i64, attachment_id: i64) -> Result<(), FetchError> {
    signed_in_empty(Call::new(
        Method::DELETE,
        format!("/api/fiches/{fiche_id}/attachments/{attachment_id}"),
    ))
    .await
}

/// `GET /api/students/{id}/passeport.xlsx`, saved as a download.
pub async fn download_passeport(student_id: i64) -> Result<(), FetchError> {
    let url = format!("/api/students/{student_id}/passeport.xlsx");
    download(Call::new(Method::GET, url).accept(XLSX), "passeport.xlsx").await
}

/// `GET /api/students/{id}/portfolio.zip`, saved as a download.
pub async fn download_portfolio(student_id: i64) -> Result<(), FetchError> {
    let url = format!("/api/students/{student_id}/portfolio.zip");
    download(
        Call::new(Method::GET, url).accept("application/zip"),
        "portfolio.zip",
    )
    .await
}

// ---------- Transfers with progress (XMLHttpRequest) ----------

/// Told the bytes sent or received so far and the total (0 when unknown).
pub type Progress = Callback<(f64, f64)>;

/// One XMLHttpRequest, signed in; `upload`: the body whose sending is reported, else the
/// answer's receiving is. Resolves with the finished request (any status).
async fn xhr_once(
    method: &str,
    url: &str,
    accept: &str,
    token: Option<&str>,
    upload: Option<&web_sys::Blob>,
    progress: &Progress,
) -> Result<web_sys::XmlHttpRequest, FetchError> {
    use wasm_bindgen::closure::Closure;
    let js = |e: JsValue| FetchError::Network(format!("{e:?}"));
    let xhr = web_sys::XmlHttpRequest::new().map_err(js)?;
    xhr.open_with_async(method, url, true).map_err(js)?;
    xhr.set_request_header("Accept", accept).map_err(js)?;
    if let Some(token) = token {
        xhr.set_request_header("Authorization", &format!("Bearer {token}"))
            .map_err(js)?;
    }
    let on_progress = {
        let progress = progress.clone();
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            let total = if e.length_computable() {
                e.total()
            } else {
                0.0
            };
            progress.emit((e.loaded(), total));
        })
    };
    if upload.is_some() {
        xhr.upload()
            .map_err(js)?
            .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        xhr.set_request_header("Content-Type", "application/octet-stream")
            .map_err(js)?;
    } else {
        xhr.set_response_type(web_sys::XmlHttpRequestResponseType::Blob);
        xhr.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    let done = js_sys::Promise::new(&mut |resolve, reject| {
        xhr.set_onload(Some(&resolve));
        xhr.set_onerror(Some(&reject));
        xhr.set_onabort(Some(&reject));
    });
    match upload {
        Some(body) => xhr.send_with_opt_blob(Some(body)),
        None => xhr.send(),
    }
    .map_err(js)?;
    let finished = wasm_bindgen_futures::JsFuture::from(done).await;
    drop(on_progress);
    finished
        .map_err(|_| FetchError::Network("la connexion au serveur a été interrompue".to_owned()))?;
    Ok(xhr)
}

/// The error of a finished request that failed (its body read as text or a blob).
async fn xhr_failure(xhr: &web_sys::XmlHttpRequest) -> FetchError {
    let status = xhr.status().unwrap_or(0);
    let text = match xhr.response_type() {
        web_sys::XmlHttpRequestResponseType::Blob => match xhr.response() {
            Ok(body) => match body.dyn_into::<web_sys::Blob>() {
                Ok(blob) => wasm_bindgen_futures::JsFuture::from(blob.text())
                    .await
                    .ok()
                    .and_then(|t| t.as_string())
                    .unwrap_or_default(),
                Err(_) => String::new(),
            },
            Err(_) => String::new(),
        },
        _ => xhr.response_text().ok().flatten().unwrap_or_default(),
    };
    let (code, message) = match serde_json::from_str::<ApiError>(&text) {
        Ok(e) => (e.code, e.message),
        Err(_) => (
            String::new(),
            format!("{status} {}", xhr.status_text().unwrap_or_default()),
        ),
    };
    match status {
        404 => FetchError::NotFound(message),
        400..=499 => FetchError::Refused {
            status,
            code,
            message,
        },
        0 => FetchError::Network(message),
        _ => FetchError::Server { status, message },
    }
}

/// [`xhr_once`] signed in: an expired access token is renewed once and the request sent
/// again. Answers the successful request.
async fn xhr_signed_in(
    method: &str,
    url: &str,
    accept: &str,
    upload: Option<&web_sys::Blob>,
    progress: &Progress,
) -> Result<web_sys::XmlHttpRequest, FetchError> {
    let mut token = access_token();
    if token.is_none() && has_stored_session() {
        token = renew(None).await.ok();
    }
    let mut xhr = xhr_once(method, url, accept, token.as_deref(), upload, progress).await?;
    if xhr.status().unwrap_or(0) == 401 {
        let refused = xhr_failure(&xhr).await;
        if refused.code() != "invalid_token" {
            return Err(refused);
        }
        match renew(token.as_deref()).await {
            Ok(fresh) => {
                xhr = xhr_once(method, url, accept, Some(&fresh), upload, progress).await?;
            }
            Err(e @ FetchError::Network(_)) => return Err(e),
            Err(_) => {
                session_lost();
                return Err(refused);
            }
        }
    }
    match xhr.status().unwrap_or(0) {
        200..=299 => Ok(xhr),
        _ => Err(xhr_failure(&xhr).await),
    }
}

/// `POST /api/fiches/{id}/attachments?file_name=…`, the file as the body, its sending
/// reported to `progress`.
pub async fn upload_attachment(
    fiche_id: i64,
    file: &web_sys::File,
    progress: &Progress,
) -> Result<Attachment, FetchError> {
    let url = format!(
        "/api/fiches/{fiche_id}/attachments?file_name={}",
        encode(&file.name())
    );
    let body: &web_sys::Blob = file;
    let xhr = xhr_signed_in("POST", &url, "application/json", Some(body), progress).await?;
    decode(&xhr.response_text().ok().flatten().unwrap_or_default())
}

/// A GET saved as a download, its receiving reported to `progress`.
pub async fn download_with_progress(
    url: &str,
    accept: &str,
    default_name: &str,
    progress: &Progress,
) -> Result<(), FetchError> {
    let xhr = xhr_signed_in("GET", url, accept, None, progress).await?;
    let name = xhr
        .get_response_header("Content-Disposition")
        .ok()
        .flatten()
        .and_then(|d| attachment_name(&d))
        .unwrap_or_else(|| default_name.to_owned());
    let blob: web_sys::Blob = xhr
        .response()
        .and_then(|r| r.dyn_into())
        .map_err(|e| FetchError::Decode(format!("{e:?}")))?;
    save_blob(&blob, &name).map_err(|e| FetchError::Decode(format!("{e:?}")))
}

// ---------- Downloads ----------

/// Sends `call` signed in and saves the answer as a file (the server's name when given).
async fn download(call: Call, default_name: &str) -> Result<(), FetchError> {
    let resp = success(send_signed_in(&call).await?).await?;
    let name = resp
        .headers()
        .get("Content-Disposition")
        .and_then(|d| attachment_name(&d))
        .unwrap_or_else(|| default_name.to_owned());
    let media_type = resp
        .headers()
        .get("Content-Type")
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let bytes = resp
        .binary()
        .await
        .map_err(|e| FetchError::Decode(e.to_string()))?;
    save_file(&bytes, &media_type, &name).map_err(|e| FetchError::Decode(format!("{e:?}")))
}

// ---------- CCF grids and exam juries ----------

/// `GET /api/grid-templates`
pub async fn grid_templates() -> Result<Vec<GridTemplateSummary>, FetchError> {
    signed_in_json(Call::new(Method::GET, "/api/grid-templates")).await
}

/// `GET /api/grid-templates/{id}`
pub async fn grid_template(id: &str) -> Result<GridTemplate, FetchError> {
    signed_in_json(Call::new(
        Method::GET,
        format!("/api/grid-templates/{}", encode(id)),
    ))
    .await
}

/// `PUT /api/grid-templates/{id}` (admins): a new version.
pub async fn save_grid_template(
    id: &str,
    input: &GridTemplateInput,
) -> Result<GridTemplate, FetchError> {
    let call = Call::new(Method::PUT, format!("/api/grid-templates/{}", encode(id)));
    signed_in_json(call.json(input)?).await
}

/// `GET /api/grid-templates/{id}/versions`, newest first.
pub async fn grid_template_versions(id: &str) -> Result<Vec<GridTemplateVersion>, FetchError> {
    let url = format!("/api/grid-templates/{}/versions", encode(id));
    signed_in_json(Call::new(Method::GET, url)).await
}

/// `GET /api/exam-sessions`
pub async fn exam_sessions() -> Result<Vec<ExamSessionSummary>, FetchError> {
    signed_in_json(Call::new(Method::GET, "/api/exam-sessions")).await
}

/// `POST /api/exam-sessions` (admins).
pub async fn open_exam_session(input: &ExamSessionInput) -> Result<ExamSession, FetchError> {
    signed_in_json(Call::new(Method::POST, "/api/exam-sessions").json(input)?).await
}

/// `GET /api/exam-sessions/{id}`
pub async fn exam_session(id: i64) -> Result<ExamSession, FetchError> {
    signed_in_json(Call::new(Method::GET, format!("/api/exam-sessions/{id}"))).await
}

/// `POST /api/exam-sessions/{id}/juries` (admins).
pub async fn create_jury(session_id: i64, input: &JuryInput) -> Result<ExamSession, FetchError> {
    let call = Call::new(
        Method::POST,
        format!("/api/exam-sessions/{session_id}/juries"),
    );
    signed_in_json(call.json(input)?).await
}

/// `PUT /api/juries/{id}/candidates` (admins).
pub async fn assign_candidates(jury_id: i64, candidate_ids: Vec<i64>) -> Result<(), FetchError> {
    let call = Call::new(Method::PUT, format!("/api/juries/{jury_id}/candidates"))
        .json(&JuryCandidates { candidate_ids })?;
    answer_text(call, true).await.map(|_| ())
}

/// `PUT /api/candidates/{id}/conformity` (admins).
pub async fn set_conformity(candidate_id: i64, input: &ConformityInput) -> Result<(), FetchError> {
    let call = Call::new(
        Method::PUT,
        format!("/api/candidates/{candidate_id}/conformity"),
    )
    .json(input)?;
    answer_text(call, true).await.map(|_| ())
}

/// `POST /api/exam-sessions/{id}/publish` (admins).
pub async fn publish_session(id: i64) -> Result<ExamSession, FetchError> {
    signed_in_json(Call::new(
        Method::POST,
        format!("/api/exam-sessions/{id}/publish"),
    ))
    .await
}

/// `GET /api/candidates/{id}/grid`
pub async fn candidate_grid(id: i64) -> Result<CandidateGrid, FetchError> {
    signed_in_json(Call::new(Method::GET, format!("/api/candidates/{id}/grid"))).await
}

/// `PUT /api/candidates/{id}/grid/mine`: the member's own levels and comments.
pub async fn save_my_assessment(
    id: i64,
    input: &MemberAssessmentInput,
) -> Result<CandidateGrid, FetchError> {
    let call = Call::new(Method::PUT, format!("/api/candidates/{id}/grid/mine")).json(input)?;
    signed_in_json(call).await
}

/// `PUT /api/candidates/{id}/grid`: the agreed grid.
pub async fn save_agreed_grid(
    id: i64,
    input: &AgreedGridInput,
) -> Result<CandidateGrid, FetchError> {
    let call = Call::new(Method::PUT, format!("/api/candidates/{id}/grid")).json(input)?;
    signed_in_json(call).await
}

/// `POST /api/candidates/{id}/grid/sign`
pub async fn sign_grid(id: i64) -> Result<CandidateGrid, FetchError> {
    signed_in_json(Call::new(
        Method::POST,
        format!("/api/candidates/{id}/grid/sign"),
    ))
    .await
}

/// `POST /api/candidates/{id}/grid/reopen` (admins).
pub async fn reopen_grid(id: i64, reason: String) -> Result<CandidateGrid, FetchError> {
    let call = Call::new(Method::POST, format!("/api/candidates/{id}/grid/reopen"))
        .json(&GridReopenInput { reason })?;
    signed_in_json(call).await
}

/// `GET /api/my-grids` (students): their grids of published sessions.
pub async fn my_grids() -> Result<Vec<CandidateGrid>, FetchError> {
    signed_in_json(Call::new(Method::GET, "/api/my-grids")).await
}

/// `GET /api/candidates/{id}/grid.xlsx`, saved as a download.
pub async fn download_candidate_grid(id: i64) -> Result<(), FetchError> {
    let url = format!("/api/candidates/{id}/grid.xlsx");
    download(Call::new(Method::GET, url).accept(XLSX), "grille.xlsx").await
}

/// `GET /api/exam-sessions/{id}/export.xlsx` (`csv: false`) or `.csv`, saved as a download.
pub async fn download_session_export(id: i64, csv: bool) -> Result<(), FetchError> {
    let (ext, accept) = if csv {
        ("csv", "text/csv")
    } else {
        ("xlsx", XLSX)
    };
    let url = format!("/api/exam-sessions/{id}/export.{ext}");
    download(
        Call::new(Method::GET, url).accept(accept),
        &format!("session.{ext}"),
    )
    .await
}

/// `POST /api/exam-sessions/{id}/import/preview` (`commit: false`) or `/commit`, the xlsx as
/// the body.
pub async fn import_grids(
    id: i64,
    file: &web_sys::File,
    commit: bool,
) -> Result<passerelle_api::GridImportReport, FetchError> {
    let step = if commit { "commit" } else { "preview" };
    let url = format!(
        "/api/exam-sessions/{id}/import/{step}?file_name={}",
        encode(&file.name())
    );
    signed_in_json(Call::new(Method::POST, url).file(file)).await
}

// ---------- Audit log ----------

/// `GET /api/audit?limit=…&before=…`, newest first.
pub async fn audit(limit: usize, before: Option<i64>) -> Result<Vec<AuditEntry>, FetchError> {
    let mut url = format!("/api/audit?limit={limit}");
    if let Some(id) = before {
        url.push_str(&format!("&before={id}"));
    }
    signed_in_json(Call::new(Method::GET, url)).await
}

#[cfg(test)]
mod tests {
    use super::{attachment_name, encode};

    #[test]
    fn reads_attachment_names() {
        assert_eq!(
            attachment_name("attachment; filename=\"invitations-T AGOrA A.xlsx\"").as_deref(),
            Some("invitations-T AGOrA A.xlsx")
        );
        assert_eq!(
            attachment_name("attachment; filename=a.xlsx; x=1").as_deref(),
            Some("a.xlsx")
        );
        assert_eq!(attachment_name("attachment; filename=\"../x\""), None);
        assert_eq!(attachment_name("attachment"), None);
    }

    #[test]
    fn encodes_path_segments() {
        assert_eq!(encode("T.1.2.4"), "T.1.2.4");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
        assert_eq!(encode("TVA é"), "TVA%20%C3%A9");
    }
}
