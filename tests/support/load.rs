//! A write load against a running server, over the HTTP API only (what the SPA does):
//! each writer is a student who edits their draft, uploads and removes attachments,
//! writes and submits fiches and signs in again, while their class's teachers comment on
//! what they submitted. Every acknowledged (2xx) write is journaled, then read back over
//! HTTP: acknowledged but absent is a lost write.
//!
//! Shared by the `passerelle-load` binary (`scripts/load-writes`, the numbers of issue 15)
//! and the kill -9 drill of `tests/portfolio.rs`, so that the drill checks exactly what
//! the load test journals.
//!
//! What counts: any 5xx, any request without an answer (connection refused or reset,
//! timeout) and any lost write is a failure. Other non-2xx answers (409, 429…) are
//! counted per status but are not failures: the server answered and wrote nothing.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use passerelle_api::{
    Account, AccountStatus, Attachment, ClassDetail, ClassSummary, Fiche, FicheAction, FicheStatus,
    Me, Role, StudentAssignment, TokenResponse,
};
use serde_json::{json, Value};

/// A request without an answer after this long counts as a connection error. Generous:
/// the load measures queues of many seconds on a 2-core machine, not a deadline.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// A token with less than this left is replaced by a fresh sign-in before it is used.
const REFRESH_MARGIN: Duration = Duration::from_secs(120);
/// Attachments a writer keeps on their draft: older ones are deleted first, so that the
/// limit of 20 per fiche is never reached and deletes are part of the load.
const KEEP_ATTACHMENTS: usize = 4;
/// Status recorded for a request that got no answer.
pub const NO_ANSWER: u16 = 0;

/// A 1×1 PNG (valid chunks and CRCs: the server parses PNGs to strip their text chunks).
const PNG: [u8; 70] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64, 0x60, 0xf8, 0x5f,
    0x0f, 0x00, 0x02, 0x87, 0x01, 0x80, 0xeb, 0x47, 0xba, 0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A small PDF, distinct per upload (the server keeps PDFs as sent).
fn pdf(n: u64) -> Vec<u8> {
    format!("%PDF-1.4\n% passerelle-load {n}\n1 0 obj <<>> endobj\n%%EOF\n").into_bytes()
}

/// What a request did, as the load reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// PUT of the writer's draft (a new title).
    Edit,
    /// POST of an attachment on the draft.
    Upload,
    /// DELETE of an older attachment of the draft.
    Delete,
    /// POST /api/fiches: a fiche to submit, or the writer's next draft.
    Create,
    /// POST /api/fiches/{id}/submit of a fiche just created.
    Submit,
    /// POST /api/fiches/{id}/comments by a teacher of the class.
    Comment,
    /// POST /api/auth/login with the right password.
    SignIn,
    /// GET of the draft after an upload without a clear answer, to learn its attachments.
    Read,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Edit,
        Kind::Upload,
        Kind::Delete,
        Kind::Create,
        Kind::Submit,
        Kind::Comment,
        Kind::SignIn,
        Kind::Read,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Edit => "edit",
            Kind::Upload => "upload",
            Kind::Delete => "delete",
            Kind::Create => "create",
            Kind::Submit => "submit",
            Kind::Comment => "comment",
            Kind::SignIn => "sign-in",
            Kind::Read => "read",
        }
    }
}

/// One answer: status ([`NO_ANSWER`] when there was none), JSON body (Null when not
/// JSON), the transport error if any, and the time to the last byte of the body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub error: String,
    pub elapsed: Duration,
}

/// Whether a write took effect, as far as its answer tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Not attempted.
    NotTried,
    /// 2xx: the server says it is written, it must be there.
    Acknowledged,
    /// Another 4xx: refused, nothing written.
    Refused,
    /// 5xx or no answer: it may or may not be written.
    InDoubt,
}

impl Reply {
    pub fn outcome(&self) -> Outcome {
        match self.status {
            200..=299 => Outcome::Acknowledged,
            NO_ANSWER | 500..=599 => Outcome::InDoubt,
            _ => Outcome::Refused,
        }
    }

    /// A failure of the load: 5xx or no answer.
    fn failed(&self) -> bool {
        self.outcome() == Outcome::InDoubt
    }

    /// The status and what came with it (the body, or the transport error).
    fn what(&self) -> String {
        if self.status == NO_ANSWER {
            format!("no answer: {}", self.error)
        } else {
            format!(
                "{} {}",
                self.status,
                self.text.chars().take(200).collect::<String>()
            )
        }
    }

    fn describe(&self, method: &str, path: &str) -> String {
        format!("{method} {path}: {}", self.what())
    }
}

/// The request body.
enum Payload<'a> {
    Empty,
    Json(Value),
    Bytes(&'a [u8]),
}

/// An HTTP client of one server (one keep-alive connection per client).
#[derive(Clone)]
struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    fn new(base: &str) -> Client {
        Client {
            agent: ureq::AgentBuilder::new().timeout(REQUEST_TIMEOUT).build(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    fn send(&self, method: &str, path: &str, token: Option<&str>, payload: Payload) -> Reply {
        let mut request = self.agent.request(method, &format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        let started = Instant::now();
        let result = match payload {
            Payload::Empty => request.call(),
            Payload::Json(body) => request.send_json(body),
            Payload::Bytes(bytes) => request
                .set("Content-Type", "application/octet-stream")
                .send_bytes(bytes),
        };
        let (status, text, error) = match result {
            Ok(r) => {
                let status = r.status();
                match r.into_string() {
                    Ok(text) => (status, text, String::new()),
                    Err(e) => (NO_ANSWER, String::new(), format!("reading the body: {e}")),
                }
            }
            Err(ureq::Error::Status(code, r)) => {
                (code, r.into_string().unwrap_or_default(), String::new())
            }
            // The kind and cause, not the URL: failures are counted by message.
            Err(ureq::Error::Transport(t)) => {
                let kind = t.kind().to_string();
                let cause = std::error::Error::source(&t).map(|e| e.to_string());
                let parts = [Some(kind), t.message().map(str::to_owned), cause];
                let mut what: Vec<String> = parts.into_iter().flatten().collect();
                what.dedup();
                (NO_ANSWER, String::new(), what.join(": "))
            }
        };
        Reply {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
            error,
            elapsed: started.elapsed(),
        }
    }

    /// For the preparation and the verification, which are not measured: retries what
    /// got a 5xx or no answer (a few times, with a pause), so that a busy server does not
    /// stop the run before or after the timed phase.
    fn send_retrying(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut attempt = 0;
        loop {
            let payload = body.map_or(Payload::Empty, |b| Payload::Json(b.clone()));
            let reply = self.send(method, path, token, payload);
            attempt += 1;
            if !reply.failed() || attempt >= 8 {
                return reply;
            }
            std::thread::sleep(Duration::from_millis(250 * attempt));
        }
    }

    /// A 2xx answer decoded into `T`, or a message naming the request.
    fn expect<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<T, String> {
        let reply = self.send_retrying(method, path, token, body);
        if reply.outcome() != Outcome::Acknowledged {
            return Err(reply.describe(method, path));
        }
        serde_json::from_value(reply.body).map_err(|e| format!("{method} {path}: decoding: {e}"))
    }
}

/// An access token and when it expires.
#[derive(Debug, Clone)]
struct Token {
    access: String,
    expires: Instant,
}

impl Token {
    fn of(reply: &Reply, at: Instant) -> Option<Token> {
        let tokens: TokenResponse = serde_json::from_value(reply.body.clone()).ok()?;
        Some(Token {
            access: tokens.access_token,
            expires: at + Duration::from_secs(u64::try_from(tokens.expires_in).unwrap_or(0)),
        })
    }

    fn stale(&self) -> bool {
        self.expires.saturating_duration_since(Instant::now()) < REFRESH_MARGIN
    }
}

fn sign_in_body(email: &str, password: &str) -> Value {
    json!({ "email": email, "password": password })
}

/// Signs in for the preparation or the verification (retrying a busy server).
fn sign_in(client: &Client, email: &str, password: &str) -> Result<Token, String> {
    let started = Instant::now();
    let reply = client.send_retrying(
        "POST",
        "/api/auth/login",
        None,
        Some(&sign_in_body(email, password)),
    );
    if reply.outcome() != Outcome::Acknowledged {
        return Err(reply.describe("POST", &format!("/api/auth/login ({email})")));
    }
    Token::of(&reply, started).ok_or_else(|| format!("sign-in of {email}: no token"))
}

/// Count, statuses and latencies of one kind of request.
#[derive(Debug, Clone, Default)]
pub struct KindStats {
    /// Status → count ([`NO_ANSWER`] for requests without an answer).
    pub statuses: BTreeMap<u16, u64>,
    latencies: Vec<Duration>,
    /// Failures (5xx or no answer) by what the server said (or the transport error),
    /// with their count: what went wrong, and how often.
    pub failures: BTreeMap<String, u64>,
}

/// Distinct failure messages kept per kind (the others are counted under "other").
const FAILURES_KEPT: usize = 8;

fn count_failure(failures: &mut BTreeMap<String, u64>, message: &str, n: u64) {
    let key = if failures.len() < FAILURES_KEPT || failures.contains_key(message) {
        message
    } else {
        "other"
    };
    *failures.entry(key.to_owned()).or_default() += n;
}

impl KindStats {
    fn record(&mut self, reply: &Reply) {
        *self.statuses.entry(reply.status).or_default() += 1;
        self.latencies.push(reply.elapsed);
        if reply.failed() {
            count_failure(&mut self.failures, &reply.what(), 1);
        }
    }

    fn merge(&mut self, other: &KindStats) {
        for (status, n) in &other.statuses {
            *self.statuses.entry(*status).or_default() += n;
        }
        self.latencies.extend_from_slice(&other.latencies);
        for (message, n) in &other.failures {
            count_failure(&mut self.failures, message, *n);
        }
    }

    pub fn count(&self) -> u64 {
        self.statuses.values().sum()
    }

    fn counted(&self, range: std::ops::RangeInclusive<u16>) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| range.contains(s))
            .map(|(_, n)| n)
            .sum()
    }

    pub fn successes(&self) -> u64 {
        self.counted(200..=299)
    }

    /// 1xx, 3xx and 4xx: answered, not a failure.
    pub fn refusals(&self) -> u64 {
        self.count() - self.successes() - self.server_errors() - self.no_answers()
    }

    pub fn server_errors(&self) -> u64 {
        self.counted(500..=599)
    }

    pub fn no_answers(&self) -> u64 {
        self.statuses.get(&NO_ANSWER).copied().unwrap_or(0)
    }

    /// The latency under which a fraction `p` of the requests answered (nearest rank),
    /// every answer counted, errors included.
    pub fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    pub fn max(&self) -> Duration {
        self.latencies.iter().max().copied().unwrap_or_default()
    }
}

/// Statistics of every kind.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub kinds: BTreeMap<Kind, KindStats>,
}

impl Stats {
    fn record(&mut self, kind: Kind, reply: &Reply) {
        self.kinds.entry(kind).or_default().record(reply);
    }

    fn merge(&mut self, other: &Stats) {
        for (kind, stats) in &other.kinds {
            self.kinds.entry(*kind).or_default().merge(stats);
        }
    }

    pub fn server_errors(&self) -> u64 {
        self.kinds.values().map(KindStats::server_errors).sum()
    }

    pub fn no_answers(&self) -> u64 {
        self.kinds.values().map(KindStats::no_answers).sum()
    }
}

/// An attachment on the writer's draft.
#[derive(Debug, Clone)]
struct Held {
    id: i64,
    file_name: String,
    /// Its upload was acknowledged (it must be there); otherwise found by a read after an
    /// upload without a clear answer, kept only to be deleted.
    acknowledged: bool,
}

/// A fiche created (acknowledged) by the writer and the answer to its submission.
#[derive(Debug, Clone)]
struct Created {
    id: i64,
    title: String,
    submitted: Outcome,
}

/// A successful sign-in: its session must outlive the run (until the token expires).
#[derive(Debug, Clone)]
struct SignIn {
    email: String,
    token: Token,
}

/// A draft the writer edits and attaches files to, and what it was told about them.
#[derive(Debug)]
struct Draft {
    id: i64,
    first_title: String,
    /// Acknowledged titles, in order.
    titles: Vec<String>,
    /// Titles sent after the last acknowledged one without a clear answer: the draft may
    /// carry one of them.
    titles_in_doubt: Vec<String>,
    /// Attachments on the draft, oldest first.
    attachments: VecDeque<Held>,
    /// Acknowledged uploads.
    uploads: u64,
    /// Acknowledged deletes of acknowledged uploads: they must be gone.
    removed: Vec<i64>,
    /// Requests that changed it (edits, uploads, deletes), answered or not.
    changes: usize,
    /// An upload got no clear answer: read the draft before the next one.
    resync: bool,
}

impl Draft {
    fn new(id: i64, first_title: String) -> Draft {
        Draft {
            id,
            first_title,
            titles: Vec::new(),
            titles_in_doubt: Vec::new(),
            attachments: VecDeque::new(),
            uploads: 0,
            removed: Vec::new(),
            changes: 0,
            resync: false,
        }
    }
}

/// Changes a draft takes before the writer starts a new one. Each answer to an edit
/// carries the fiche's whole history: a draft edited thousands of times would measure
/// the history's length rather than the writes (and no student edits a fiche that much).
const DRAFT_CHANGES: usize = 60;

/// What a writer was told was written.
#[derive(Debug, Default)]
struct Journal {
    /// The drafts, the one being written last.
    drafts: Vec<Draft>,
    /// Fiches created and submitted.
    fiches: Vec<Created>,
    /// (fiche, text) of acknowledged comments.
    comments: Vec<(i64, String)>,
    sign_ins: Vec<SignIn>,
    /// Writes found missing during the run itself (an acknowledged attachment that a
    /// delete found absent).
    lost: Vec<String>,
}

/// A teacher commenting on the fiches of their class; their session is shared by the
/// writers of the class.
#[derive(Debug)]
struct Teacher {
    email: String,
    token: Mutex<Token>,
}

/// One writer: a student account and what it did.
#[derive(Debug)]
struct Writer {
    index: usize,
    email: String,
    token: Token,
    teacher: Arc<Teacher>,
    /// The fiche body every edit and creation starts from (exercise context, items and
    /// description, so that it can be submitted).
    template: Value,
    journal: Journal,
    stats: Stats,
    rng: u64,
    /// A request of the current step got no answer.
    unanswered: bool,
}

/// Writers ready to run against a server, then what they did.
pub struct Load {
    base: String,
    password: String,
    writers: Vec<Writer>,
    seq: AtomicU64,
    /// Wall time of the timed phase.
    pub elapsed: Duration,
}

/// The shares of each operation, out of 100. Sign-ins are few: each costs an argon2id
/// hash (19 MiB, ~40 ms of a core), and with no pause between requests a tenth of them
/// signing in would spend both cores of the reference machine hashing.
const MIX: [(Op, u64); 5] = [
    (Op::Edit, 40),
    (Op::Upload, 22),
    (Op::CreateAndSubmit, 18),
    (Op::Comment, 18),
    (Op::SignIn, 2),
];

#[derive(Debug, Clone, Copy)]
enum Op {
    Edit,
    Upload,
    CreateAndSubmit,
    Comment,
    SignIn,
}

/// Signs in as `admin_email` (the admin `passerelle generate` or `passerelle demo`
/// prints), finds `writers` active students (class by class, so that the first classes
/// take the load) and their classes' teachers, signs them in with `password`, and gives
/// each writer a draft fiche from an exercise assigned to their class.
pub fn prepare(
    base: &str,
    admin_email: &str,
    password: &str,
    writers: usize,
) -> Result<Load, String> {
    let client = Client::new(base);
    let admin = sign_in(&client, admin_email, password)?;
    let admin = Some(admin.access.as_str());
    let accounts: Vec<Account> = client.expect("GET", "/api/accounts", admin, None)?;
    let active: HashMap<i64, &Account> = accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Active)
        .map(|a| (a.id, a))
        .collect();
    let mut classes: Vec<ClassSummary> = client.expect("GET", "/api/classes", admin, None)?;
    classes.sort_by_key(|c| c.id);
    // (student email, teacher email) of each writer.
    let mut chosen: Vec<(String, String)> = Vec::new();
    for class in &classes {
        if chosen.len() == writers {
            break;
        }
        let detail: ClassDetail =
            client.expect("GET", &format!("/api/classes/{}", class.id), admin, None)?;
        let teachers: Vec<&str> = detail
            .teachers
            .iter()
            .filter_map(|t| active.get(&t.id))
            .filter(|a| a.roles.contains(&Role::Teacher))
            .map(|a| a.email.as_str())
            .collect();
        if teachers.is_empty() {
            continue;
        }
        let students = detail
            .students
            .iter()
            .filter_map(|s| active.get(&s.id))
            .filter(|a| a.roles.contains(&Role::Student));
        for (k, student) in students.enumerate() {
            if chosen.len() == writers {
                break;
            }
            chosen.push((
                student.email.clone(),
                teachers[k % teachers.len()].to_owned(),
            ));
        }
    }
    if chosen.len() < writers {
        return Err(format!(
            "{writers} writers asked for, {} active students with an active teacher found",
            chosen.len()
        ));
    }
    let mut teachers: HashMap<String, Arc<Teacher>> = HashMap::new();
    for (_, email) in &chosen {
        if !teachers.contains_key(email) {
            let token = sign_in(&client, email, password)?;
            teachers.insert(
                email.clone(),
                Arc::new(Teacher {
                    email: email.clone(),
                    token: Mutex::new(token),
                }),
            );
        }
    }
    // Writers sign in and write their draft in parallel: 64 sign-ins one after the other
    // would take a while, and the server bounds its hashing anyway.
    let prepared: Vec<Result<Writer, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chosen
            .iter()
            .enumerate()
            .map(|(index, (student, teacher))| {
                let teacher = teachers.get(teacher).cloned();
                let client = client.clone();
                scope.spawn(move || {
                    let teacher = teacher.ok_or_else(|| format!("no teacher for {student}"))?;
                    prepare_writer(&client, index, student, teacher, password)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a writer's preparation panicked".to_owned()))
            })
            .collect()
    });
    Ok(Load {
        base: base.to_owned(),
        password: password.to_owned(),
        writers: prepared.into_iter().collect::<Result<_, _>>()?,
        seq: AtomicU64::new(1),
        elapsed: Duration::ZERO,
    })
}

fn prepare_writer(
    client: &Client,
    index: usize,
    email: &str,
    teacher: Arc<Teacher>,
    password: &str,
) -> Result<Writer, String> {
    let token = sign_in(client, email, password)?;
    let bearer = Some(token.access.as_str());
    let assigned: Vec<StudentAssignment> =
        client.expect("GET", "/api/fiches/exercises", bearer, None)?;
    let exercise = assigned
        .iter()
        .find(|a| !a.items.is_empty())
        .ok_or_else(|| {
            format!(
                "{email}: no exercise assigned to their class (generate the data with \
                 --exercises-per-class 1 or more)"
            )
        })?;
    let first_title = format!("Brouillon de charge {index} n° 0");
    let template = json!({
        "title": first_title,
        "class_id": exercise.class_id,
        "context": "exercise",
        "assignment_id": exercise.assignment_id,
        "description": "J'ai **saisi** les factures des commandes livrées et relancé les clients.",
        "software_id": exercise.software_id,
        "features": exercise.features,
        "items": exercise.items.iter().take(2).collect::<Vec<_>>(),
    });
    let draft: Fiche = client.expect("POST", "/api/fiches", bearer, Some(&template))?;
    Ok(Writer {
        index,
        email: email.to_owned(),
        token,
        teacher,
        template,
        journal: Journal {
            drafts: vec![Draft::new(draft.id, first_title)],
            ..Journal::default()
        },
        stats: Stats::default(),
        rng: (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        unanswered: false,
    })
}

/// Runs every writer in its own thread for `duration`, or until `stop` is set (the
/// kill -9 drill sets it once the server is dead).
pub fn run(load: &mut Load, duration: Duration, stop: &AtomicBool) {
    let started = Instant::now();
    let deadline = started + duration;
    let (base, password, seq) = (&load.base, &load.password, &load.seq);
    std::thread::scope(|scope| {
        for writer in &mut load.writers {
            scope.spawn(move || {
                let client = Client::new(base);
                while Instant::now() < deadline && !stop.load(Ordering::SeqCst) {
                    writer.step(&client, password, seq);
                    // A server that does not answer is not hammered (nor is the count of
                    // failures inflated by a tight loop of refused connections).
                    if std::mem::take(&mut writer.unanswered) {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            });
        }
    });
    load.elapsed = started.elapsed();
}

impl Writer {
    /// xorshift64*: a fixed sequence per writer, no dependency.
    fn next_random(&mut self) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn step(&mut self, client: &Client, password: &str, seq: &AtomicU64) {
        // Access tokens last at most 15 minutes: sign in again before this one expires.
        if self.token.stale() {
            self.sign_in(client, password);
            return;
        }
        let mut pick = self.next_random() % MIX.iter().map(|(_, w)| w).sum::<u64>();
        let op = MIX
            .iter()
            .find(|(_, weight)| {
                let found = pick < *weight;
                pick = pick.saturating_sub(*weight);
                found
            })
            .map_or(Op::Edit, |(op, _)| *op);
        let n = seq.fetch_add(1, Ordering::SeqCst);
        match op {
            Op::Edit => self.edit(client, n),
            Op::Upload => self.upload(client, n),
            Op::CreateAndSubmit => self.create_and_submit(client, n),
            Op::Comment => self.comment(client, password, n),
            Op::SignIn => self.sign_in(client, password),
        }
    }

    fn send(
        &mut self,
        client: &Client,
        kind: Kind,
        method: &str,
        path: &str,
        token: Option<&str>,
        payload: Payload,
    ) -> Reply {
        // Sign-ins go without a bearer; the rest as the writer unless told otherwise.
        let bearer = match kind {
            Kind::SignIn => None,
            _ => Some(token.unwrap_or(self.token.access.as_str())),
        };
        let reply = client.send(method, path, bearer, payload);
        self.stats.record(kind, &reply);
        self.unanswered |= reply.status == NO_ANSWER;
        reply
    }

    /// The draft being written (its index), a new one once it has taken
    /// [`DRAFT_CHANGES`] changes (if its creation fails, the current one goes on).
    fn draft(&mut self, client: &Client, n: u64) -> usize {
        let last = self.journal.drafts.len() - 1;
        if self.journal.drafts[last].changes < DRAFT_CHANGES {
            return last;
        }
        let title = format!("Brouillon de charge {} n° {n}", self.index);
        let mut body = self.template.clone();
        body["title"] = json!(title);
        let reply = self.send(
            client,
            Kind::Create,
            "POST",
            "/api/fiches",
            None,
            Payload::Json(body),
        );
        if reply.outcome() != Outcome::Acknowledged {
            return last;
        }
        match reply.body["id"].as_i64() {
            Some(id) => {
                self.journal.drafts.push(Draft::new(id, title));
                last + 1
            }
            None => {
                self.journal
                    .lost
                    .push(format!("create {title}: 2xx without an id: {}", reply.text));
                last
            }
        }
    }

    fn edit(&mut self, client: &Client, n: u64) {
        let d = self.draft(client, n);
        let title = format!("Fiche de charge {} n° {n}", self.index);
        let mut body = self.template.clone();
        body["title"] = json!(title);
        let path = format!("/api/fiches/{}", self.journal.drafts[d].id);
        let reply = self.send(client, Kind::Edit, "PUT", &path, None, Payload::Json(body));
        let draft = &mut self.journal.drafts[d];
        draft.changes += 1;
        match reply.outcome() {
            Outcome::Acknowledged => {
                draft.titles.push(title);
                draft.titles_in_doubt.clear();
            }
            Outcome::InDoubt => draft.titles_in_doubt.push(title),
            Outcome::Refused | Outcome::NotTried => {}
        }
    }

    fn upload(&mut self, client: &Client, n: u64) {
        let d = self.draft(client, n);
        if self.journal.drafts[d].resync {
            self.resync(client, d);
        }
        while self.journal.drafts[d].attachments.len() >= KEEP_ATTACHMENTS {
            if !self.delete_oldest(client, d) {
                break;
            }
        }
        let (file_name, bytes) = if n.is_multiple_of(2) {
            (format!("releve-{n}.pdf"), pdf(n))
        } else {
            (format!("capture-{n}.png"), PNG.to_vec())
        };
        let id = self.journal.drafts[d].id;
        let path = format!("/api/fiches/{id}/attachments?file_name={file_name}");
        let reply = self.send(
            client,
            Kind::Upload,
            "POST",
            &path,
            None,
            Payload::Bytes(&bytes),
        );
        let draft = &mut self.journal.drafts[d];
        draft.changes += 1;
        match reply.outcome() {
            Outcome::Acknowledged => match serde_json::from_value::<Attachment>(reply.body) {
                Ok(a) => {
                    draft.uploads += 1;
                    draft.attachments.push_back(Held {
                        id: a.id,
                        file_name: a.file_name,
                        acknowledged: true,
                    });
                }
                Err(e) => {
                    draft.resync = true;
                    self.journal.lost.push(format!(
                        "upload {file_name}: 2xx without an attachment: {e}"
                    ));
                }
            },
            // It may be there under an id we do not know, or the fiche may be full.
            _ => draft.resync = true,
        }
    }

    /// Learns a draft's attachments after an upload without a clear answer, so that
    /// unknown ones are deleted in turn and the fiche never fills up.
    fn resync(&mut self, client: &Client, d: usize) {
        let path = format!("/api/fiches/{}", self.journal.drafts[d].id);
        let reply = self.send(client, Kind::Read, "GET", &path, None, Payload::Empty);
        let Ok(fiche) = serde_json::from_value::<Fiche>(reply.body) else {
            return;
        };
        let draft = &mut self.journal.drafts[d];
        let known: HashSet<i64> = draft
            .attachments
            .iter()
            .map(|h| h.id)
            .chain(draft.removed.iter().copied())
            .collect();
        for a in fiche.attachments {
            if !known.contains(&a.id) {
                draft.attachments.push_back(Held {
                    id: a.id,
                    file_name: a.file_name,
                    acknowledged: false,
                });
            }
        }
        draft.resync = false;
    }

    /// Deletes a draft's oldest attachment; false when the server refused (it stays).
    fn delete_oldest(&mut self, client: &Client, d: usize) -> bool {
        let id = self.journal.drafts[d].id;
        let Some(held) = self.journal.drafts[d].attachments.pop_front() else {
            return false;
        };
        let path = format!("/api/fiches/{id}/attachments/{}", held.id);
        let reply = self.send(client, Kind::Delete, "DELETE", &path, None, Payload::Empty);
        let draft = &mut self.journal.drafts[d];
        draft.changes += 1;
        match reply.outcome() {
            Outcome::Acknowledged => {
                if held.acknowledged {
                    draft.removed.push(held.id);
                }
                true
            }
            // Maybe deleted: it is no longer checked either way.
            Outcome::InDoubt => true,
            Outcome::Refused | Outcome::NotTried => {
                if reply.status == 404 && held.acknowledged {
                    self.journal.lost.push(format!(
                        "attachment {} ({}) of fiche {id}: acknowledged, then not found by its delete",
                        held.id, held.file_name
                    ));
                    return true;
                }
                draft.attachments.push_front(held);
                false
            }
        }
    }

    fn create_and_submit(&mut self, client: &Client, n: u64) {
        let title = format!("Fiche soumise {} n° {n}", self.index);
        let mut body = self.template.clone();
        body["title"] = json!(title);
        let reply = self.send(
            client,
            Kind::Create,
            "POST",
            "/api/fiches",
            None,
            Payload::Json(body),
        );
        if reply.outcome() != Outcome::Acknowledged {
            return;
        }
        let Some(id) = reply.body["id"].as_i64() else {
            self.journal
                .lost
                .push(format!("create {title}: 2xx without an id: {}", reply.text));
            return;
        };
        self.journal.fiches.push(Created {
            id,
            title,
            submitted: Outcome::NotTried,
        });
        let path = format!("/api/fiches/{id}/submit");
        let reply = self.send(client, Kind::Submit, "POST", &path, None, Payload::Empty);
        if let Some(created) = self.journal.fiches.last_mut() {
            created.submitted = reply.outcome();
        }
    }

    fn comment(&mut self, client: &Client, password: &str, n: u64) {
        // Teachers comment on what was submitted lately (the last 20).
        let submitted: Vec<i64> = self
            .journal
            .fiches
            .iter()
            .rev()
            .filter(|f| f.submitted == Outcome::Acknowledged)
            .map(|f| f.id)
            .take(20)
            .collect();
        // Nothing submitted yet: there is nothing a teacher may comment.
        let Some(&fiche) = submitted.get(n as usize % submitted.len().max(1)) else {
            return self.create_and_submit(client, n);
        };
        let token = self.teacher_token(client, password);
        let text = format!(
            "Commentaire de charge {} n° {n} : joignez la facture correspondante.",
            self.index
        );
        let path = format!("/api/fiches/{fiche}/comments");
        let reply = self.send(
            client,
            Kind::Comment,
            "POST",
            &path,
            Some(&token),
            Payload::Json(json!({ "comment": text })),
        );
        if reply.outcome() == Outcome::Acknowledged {
            self.journal.comments.push((fiche, text));
        }
    }

    /// The shared token of the class's teacher, signed in again (by the first writer
    /// that finds it stale) before it expires.
    fn teacher_token(&mut self, client: &Client, password: &str) -> String {
        let teacher = Arc::clone(&self.teacher);
        let mut token = teacher.token.lock().unwrap_or_else(PoisonError::into_inner);
        if token.stale() {
            if let Some(fresh) = self.signed_in(client, &teacher.email, password) {
                *token = fresh;
            }
        }
        token.access.clone()
    }

    fn sign_in(&mut self, client: &Client, password: &str) {
        let email = self.email.clone();
        if let Some(token) = self.signed_in(client, &email, password) {
            self.token = token;
        }
    }

    /// POST /api/auth/login as `email`, journaled: the new session must last.
    fn signed_in(&mut self, client: &Client, email: &str, password: &str) -> Option<Token> {
        let started = Instant::now();
        let reply = self.send(
            client,
            Kind::SignIn,
            "POST",
            "/api/auth/login",
            None,
            Payload::Json(sign_in_body(email, password)),
        );
        if reply.outcome() != Outcome::Acknowledged {
            return None;
        }
        let Some(token) = Token::of(&reply, started) else {
            self.journal
                .lost
                .push(format!("sign-in of {email}: 2xx without a token"));
            return None;
        };
        self.journal.sign_ins.push(SignIn {
            email: email.to_owned(),
            token: token.clone(),
        });
        Some(token)
    }
}

/// What the reading back found.
#[derive(Debug, Clone, Default)]
pub struct Verification {
    /// Drafts read back (each with its title, attachments and deletes).
    pub drafts: u64,
    /// Acknowledged titles found in their draft's history.
    pub titles: u64,
    /// Acknowledged uploads (`attachments_held` of them still held, found present).
    pub uploads: u64,
    pub attachments_held: u64,
    /// Acknowledged deletes, found absent.
    pub deletes: u64,
    /// Fiches created, found with the status their submission's answer implies.
    pub fiches: u64,
    pub submitted: u64,
    /// Acknowledged comments found in their fiche's history.
    pub comments: u64,
    /// Acknowledged sign-ins whose token still works (`sign_ins_expired` not checked:
    /// their access token has expired since).
    pub sign_ins: u64,
    pub sign_ins_expired: u64,
    /// Acknowledged writes not found (or deleted ones back).
    pub lost: Vec<String>,
    /// Reads that failed, so that something could not be checked.
    pub unverified: Vec<String>,
}

impl Verification {
    pub fn acknowledged(&self) -> u64 {
        self.drafts
            + self.titles
            + self.uploads
            + self.deletes
            + self.fiches
            + self.submitted
            + self.comments
            + self.sign_ins
    }
}

/// Reads back, from the server at `base` (the same one, or a new one on the same
/// database after a crash), every write the writers were told was written.
pub fn verify(load: &Load, base: &str) -> Verification {
    let client = Client::new(base);
    let mut v = Verification::default();
    for writer in &load.writers {
        writer.verify(&client, &load.password, &mut v);
    }
    v
}

impl Writer {
    fn verify(&self, client: &Client, password: &str, v: &mut Verification) {
        let j = &self.journal;
        v.lost.extend(j.lost.iter().cloned());
        self.verify_sign_ins(client, v);
        // As the owner, who sees every fiche (drafts included) with its whole history,
        // teachers' comments included: with the writer's last token (its sign-in was
        // checked above) or, once it has expired, a new sign-in.
        let current = client.send_retrying("GET", "/api/me", Some(&self.token.access), None);
        let token = match current.status {
            200 => self.token.access.clone(),
            _ => match sign_in(client, &self.email, password) {
                Ok(t) => t.access,
                Err(e) => {
                    v.unverified.push(format!("verification sign-in: {e}"));
                    return;
                }
            },
        };
        let read = |id: i64, v: &mut Verification| -> Option<Fiche> {
            let path = format!("/api/fiches/{id}");
            let reply = client.send_retrying("GET", &path, Some(&token), None);
            match reply.status {
                200 => match serde_json::from_value(reply.body) {
                    Ok(f) => Some(f),
                    Err(e) => {
                        v.unverified.push(format!("GET {path}: decoding: {e}"));
                        None
                    }
                },
                404 => {
                    v.lost
                        .push(format!("fiche {id} of {}: not found", self.email));
                    None
                }
                _ => {
                    v.unverified.push(reply.describe("GET", &path));
                    None
                }
            }
        };

        for d in &j.drafts {
            let Some(draft) = read(d.id, v) else {
                continue;
            };
            v.drafts += 1;
            d.verify(&draft, v);
        }

        let mut comments: HashMap<i64, Vec<&str>> = HashMap::new();
        for (fiche, text) in &j.comments {
            comments.entry(*fiche).or_default().push(text);
        }
        for created in &j.fiches {
            let Some(fiche) = read(created.id, v) else {
                continue;
            };
            v.fiches += 1;
            if fiche.title != created.title {
                v.lost.push(format!(
                    "fiche {}: title « {} », created as « {} »",
                    created.id, fiche.title, created.title
                ));
            }
            let expected: &[FicheStatus] = match created.submitted {
                Outcome::Acknowledged => &[FicheStatus::Submitted],
                Outcome::InDoubt => &[FicheStatus::Draft, FicheStatus::Submitted],
                Outcome::Refused | Outcome::NotTried => &[FicheStatus::Draft],
            };
            if !expected.contains(&fiche.status) {
                v.lost.push(format!(
                    "fiche {}: {:?}, expected {expected:?} (submission {:?})",
                    created.id, fiche.status, created.submitted
                ));
            } else if created.submitted == Outcome::Acknowledged {
                v.submitted += 1;
            }
            let said: HashSet<&str> = fiche
                .history
                .iter()
                .filter(|e| e.action == FicheAction::Commented)
                .filter_map(|e| e.comment.as_deref())
                .collect();
            for text in comments.remove(&created.id).unwrap_or_default() {
                if said.contains(text) {
                    v.comments += 1;
                } else {
                    v.lost.push(format!(
                        "comment on fiche {}: « {text} » not in its history",
                        created.id
                    ));
                }
            }
        }
        for (fiche, texts) in comments {
            v.unverified.push(format!(
                "{} comments on fiche {fiche}, which could not be read",
                texts.len()
            ));
        }
    }

    /// Each acknowledged sign-in's session is still open: its access token (while not
    /// expired) is accepted, for the right account.
    fn verify_sign_ins(&self, client: &Client, v: &mut Verification) {
        for s in &self.journal.sign_ins {
            if s.token.expires.saturating_duration_since(Instant::now()) < Duration::from_secs(10) {
                v.sign_ins_expired += 1;
                continue;
            }
            let reply = client.send_retrying("GET", "/api/me", Some(&s.token.access), None);
            match reply.status {
                200 => match serde_json::from_value::<Me>(reply.body) {
                    Ok(me) if me.email == s.email => v.sign_ins += 1,
                    Ok(me) => v.lost.push(format!(
                        "sign-in of {}: its token is {}'s",
                        s.email, me.email
                    )),
                    Err(e) => v.unverified.push(format!("GET /api/me: decoding: {e}")),
                },
                401 => v.lost.push(format!(
                    "sign-in of {}: acknowledged, its session is gone ({})",
                    s.email, reply.text
                )),
                _ => v.unverified.push(reply.describe("GET", "/api/me")),
            }
        }
    }
}

impl Draft {
    /// Checks the draft as read back (`fiche`) against what its writer was told.
    fn verify(&self, draft: &Fiche, v: &mut Verification) {
        let edited: HashSet<&str> = draft
            .history
            .iter()
            .filter(|e| e.action == FicheAction::Edited)
            .flat_map(|e| &e.changes)
            .filter(|c| c.field == "titre")
            .map(|c| c.after.as_str())
            .collect();
        for title in &self.titles {
            if edited.contains(title.as_str()) {
                v.titles += 1;
            } else {
                v.lost.push(format!(
                    "edit of fiche {} to « {title} »: not in its history",
                    self.id
                ));
            }
        }
        let last = self.titles.last().unwrap_or(&self.first_title);
        if draft.title != *last && !self.titles_in_doubt.contains(&draft.title) {
            v.lost.push(format!(
                "fiche {}: title « {} », the last acknowledged is « {last} »",
                self.id, draft.title
            ));
        }
        let present: HashMap<i64, &str> = draft
            .attachments
            .iter()
            .map(|a| (a.id, a.file_name.as_str()))
            .collect();
        v.uploads += self.uploads;
        for held in self.attachments.iter().filter(|h| h.acknowledged) {
            match present.get(&held.id) {
                Some(name) if *name == held.file_name => v.attachments_held += 1,
                Some(name) => v.lost.push(format!(
                    "attachment {} of fiche {}: named « {name} », uploaded as « {} »",
                    held.id, self.id, held.file_name
                )),
                None => v.lost.push(format!(
                    "attachment {} ({}) of fiche {}: not found",
                    held.id, held.file_name, self.id
                )),
            }
        }
        for id in &self.removed {
            if present.contains_key(id) {
                v.lost.push(format!(
                    "attachment {id} of fiche {}: deleted (acknowledged) but still there",
                    self.id
                ));
            } else {
                v.deletes += 1;
            }
        }
    }
}

impl Load {
    pub fn writers(&self) -> usize {
        self.writers.len()
    }

    /// Statistics of every writer together.
    pub fn stats(&self) -> Stats {
        let mut all = Stats::default();
        for w in &self.writers {
            all.merge(&w.stats);
        }
        all
    }

    /// A failed run: a 5xx, a request without an answer, a lost write, or something that
    /// could not be checked.
    pub fn failed(&self, v: &Verification) -> bool {
        let stats = self.stats();
        stats.server_errors() > 0
            || stats.no_answers() > 0
            || !v.lost.is_empty()
            || !v.unverified.is_empty()
    }

    /// The summary table, in text.
    pub fn summary(&self, title: &str, v: &Verification) -> String {
        let stats = self.stats();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let secs = self.elapsed.as_secs_f64().max(0.001);
        let mut out = format!(
            "{title}: {} writers, {:.0} s\n\
             {:<8} {:>7} {:>6} {:>7} {:>7} {:>6} {:>6} {:>8} {:>8} {:>8}  statuses\n",
            self.writers.len(),
            secs,
            "kind",
            "count",
            "/s",
            "2xx",
            "4xx",
            "5xx",
            "no-ans",
            "p50 ms",
            "p99 ms",
            "max ms",
        );
        for kind in Kind::ALL {
            let Some(k) = stats.kinds.get(&kind) else {
                continue;
            };
            let statuses: Vec<String> =
                k.statuses.iter().map(|(s, n)| format!("{s}×{n}")).collect();
            out.push_str(&format!(
                "{:<8} {:>7} {:>6.1} {:>7} {:>7} {:>6} {:>6} {:>8.1} {:>8.1} {:>8.1}  {}\n",
                kind.name(),
                k.count(),
                k.count() as f64 / secs,
                k.successes(),
                k.refusals(),
                k.server_errors(),
                k.no_answers(),
                ms(k.percentile(0.50)),
                ms(k.percentile(0.99)),
                ms(k.max()),
                statuses.join(" "),
            ));
        }
        let total: u64 = stats.kinds.values().map(KindStats::count).sum();
        out.push_str(&format!(
            "requests {total}, 5xx {}, no answer {}\n\
             acknowledged writes read back: {} drafts, {} titles, {} uploads ({} still held, \
             present), {} deletes (absent), {} fiches created ({} submitted), {} comments, {} sign-ins \
             ({} expired, not checked)\n\
             lost {}, unverifiable {}\n\
             verdict: {}\n",
            stats.server_errors(),
            stats.no_answers(),
            v.drafts,
            v.titles,
            v.uploads,
            v.attachments_held,
            v.deletes,
            v.fiches,
            v.submitted,
            v.comments,
            v.sign_ins,
            v.sign_ins_expired,
            v.lost.len(),
            v.unverified.len(),
            if self.failed(v) {
                "FAILED (5xx, requests without an answer, lost or unverifiable writes)"
            } else {
                "ok (no 5xx, every request answered, no acknowledged write lost)"
            },
        ));
        for kind in Kind::ALL {
            for (message, n) in stats
                .kinds
                .get(&kind)
                .map(|k| &k.failures)
                .into_iter()
                .flatten()
            {
                out.push_str(&format!("  {} ×{n}: {message}\n", kind.name()));
            }
        }
        for line in v.lost.iter().take(20) {
            out.push_str(&format!("  lost: {line}\n"));
        }
        for line in v.unverified.iter().take(20) {
            out.push_str(&format!("  unverifiable: {line}\n"));
        }
        out
    }

    /// The same as JSON.
    pub fn to_json(&self, title: &str, v: &Verification) -> Value {
        let stats = self.stats();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let kinds: serde_json::Map<String, Value> = stats
            .kinds
            .iter()
            .map(|(kind, k)| {
                let statuses: serde_json::Map<String, Value> = k
                    .statuses
                    .iter()
                    .map(|(s, n)| (s.to_string(), json!(n)))
                    .collect();
                (
                    kind.name().to_owned(),
                    json!({
                        "count": k.count(),
                        "statuses": statuses,
                        "server_errors": k.server_errors(),
                        "no_answers": k.no_answers(),
                        "p50_ms": ms(k.percentile(0.50)),
                        "p99_ms": ms(k.percentile(0.99)),
                        "max_ms": ms(k.max()),
                        "failures": k.failures,
                    }),
                )
            })
            .collect();
        json!({
            "title": title,
            "writers": self.writers.len(),
            "seconds": self.elapsed.as_secs_f64(),
            "kinds": kinds,
            "server_errors": stats.server_errors(),
            "no_answers": stats.no_answers(),
            "verified": {
                "drafts": v.drafts,
                "titles": v.titles,
                "uploads": v.uploads,
                "attachments_held": v.attachments_held,
                "deletes": v.deletes,
                "fiches": v.fiches,
                "submitted": v.submitted,
                "comments": v.comments,
                "sign_ins": v.sign_ins,
                "sign_ins_expired": v.sign_ins_expired,
            },
            "lost": v.lost,
            "unverified": v.unverified,
            "failed": self.failed(v),
        })
    }
}
