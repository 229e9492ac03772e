//! Test support: run the real `passerelle` binary on a fresh database (a SQLite file in a
//! temporary folder, or a new PostgreSQL database) and talk to it over HTTP.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use serde::de::DeserializeOwned;

pub mod load;
pub mod webdriver;

/// The repository root (tests run with the crate folder as working directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The referentials the repository ships, sorted by id.
pub const REFERENTIAL_IDS: [&str; 5] = [
    "bacpro-agora",
    "bts-ag-pme-pmi",
    "bts-gpme",
    "crcn",
    "rncp34786",
];

/// The referentials folder of the repository.
pub fn referentials_dir() -> PathBuf {
    repo_root().join("referentials")
}

/// The server binary, which cargo rebuilds before running this package's integration
/// tests (see tests/Cargo.toml): target/<profile>/passerelle-under-test, beside deps/.
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("passerelle-under-test"))
        .unwrap_or_default();
    assert!(bin.is_file(), "{} not built", bin.display());
    bin
}

/// Which engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Server of the PostgreSQL tests; each test creates its own database there.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A database that exists for one test and is dropped after it.
pub struct TestDatabase {
    pub engine: Engine,
    pub url: String,
    _dir: tempfile::TempDir,
    pg_name: Option<String>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDatabase {
    /// A fresh database, or None when PostgreSQL is asked for but unreachable outside CI
    /// (the caller reports the skip). In CI (`CI` set) an unreachable server fails.
    pub fn create(engine: Engine) -> Option<TestDatabase> {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        match engine {
            Engine::Sqlite => {
                let url = format!(
                    "sqlite://{}",
                    dir.path().join("passerelle.sqlite3").display()
                );
                Some(TestDatabase {
                    engine,
                    url,
                    _dir: dir,
                    pg_name: None,
                })
            }
            Engine::Postgres => {
                let admin = postgres_admin_url();
                let mut conn = match PgConnection::establish(&admin) {
                    Ok(c) => c,
                    Err(e) if std::env::var_os("CI").is_none() => {
                        println!("SKIPPED: PostgreSQL not reachable at {admin} ({e})");
                        return None;
                    }
                    Err(e) => panic!("CI: PostgreSQL must be reachable at {admin}: {e}"),
                };
                let name = format!(
                    "passerelle_test_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst)
                );
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .unwrap_or_else(|e| panic!("create database {name}: {e}"));
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                Some(TestDatabase {
                    engine,
                    url: format!("{base}/{name}"),
                    _dir: dir,
                    pg_name: Some(name),
                })
            }
        }
    }

    pub fn temp_dir(&self) -> &Path {
        self._dir.path()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            if let Ok(mut conn) = PgConnection::establish(&postgres_admin_url()) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}

/// The token-signing secret of this test process's servers: drawn from the OS at first
/// use, never written in the repository (the server refuses secrets that were published).
pub fn test_jwt_secret() -> &'static str {
    static SECRET: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SECRET.get_or_init(|| {
        let mut bytes = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut bytes))
            .unwrap_or_else(|e| panic!("/dev/urandom: {e}"));
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    })
}

/// Runs `passerelle <args>` to completion against `db`.
pub fn run_cli(db: &TestDatabase, referentials: &Path, args: &[&str]) -> Output {
    run_cli_with(db, referentials, args, &[])
}

/// Same, with extra environment variables.
pub fn run_cli_with(
    db: &TestDatabase,
    referentials: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    Command::new(binary())
        .args(args)
        .envs(env.iter().copied())
        .env("DATABASE_URL", &db.url)
        .env("REFERENTIALS_DIR", referentials)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap_or_else(|e| panic!("run passerelle: {e}"))
}

/// Starts `passerelle serve` and expects it to exit by itself within 10 s (a refused
/// start); returns whether it exited successfully. Panics if it is still running.
pub fn serve_exits_with_success(
    db: &TestDatabase,
    referentials: &Path,
    env: &[(&str, &str)],
) -> bool {
    let mut child = Command::new(binary())
        .arg("serve")
        .env_remove("JWT_SECRET")
        .env_remove("JWT_SECRET_FILE")
        .env_remove("PASSERELLE_DEV")
        .envs(env.iter().copied())
        .env("DATABASE_URL", &db.url)
        .env("REFERENTIALS_DIR", referentials)
        .env("BIND", format!("127.0.0.1:{}", free_port()))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn passerelle: {e}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status.success();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("passerelle serve kept running");
}

/// A running server; killed on drop.
pub struct TestServer {
    pub base: String,
    child: Child,
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

impl TestServer {
    /// Starts `passerelle serve` on a free port and waits until /api/health answers.
    pub fn start(db: &TestDatabase, referentials: &Path, spa_dir: Option<&Path>) -> TestServer {
        Self::start_with(db, referentials, spa_dir, &[])
    }

    /// Same, with extra environment variables (`TRUSTED_PROXIES`, …).
    pub fn start_with(
        db: &TestDatabase,
        referentials: &Path,
        spa_dir: Option<&Path>,
        env: &[(&str, &str)],
    ) -> TestServer {
        let port = free_port();
        let mut cmd = Command::new(binary());
        cmd.arg("serve")
            .env("JWT_SECRET", test_jwt_secret())
            .env("DATABASE_URL", &db.url)
            .env("REFERENTIALS_DIR", referentials)
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("WORKERS", "2")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(spa) = spa_dir {
            cmd.env("SPA_DIR", spa);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn passerelle: {e}"));
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if ureq::get(&format!("{base}/api/health")).call().is_ok() {
                return TestServer { base, child };
            }
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("passerelle serve exited with {status}: {err}");
            }
            assert!(
                Instant::now() < deadline,
                "passerelle serve did not start in 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the server with SIGKILL (what `Child::kill` sends on Unix): no shutdown, no
    /// flush, as in a crash or an OOM kill. Returns once the process is gone.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GET returning (status, body as JSON; Null when the body is not JSON).
    pub fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let (status, text) = self.get_text(path);
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    pub fn get_text(&self, path: &str) -> (u16, String) {
        match ureq::get(&self.url(path)).call() {
            Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
            Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
            Err(e) => panic!("GET {path}: {e}"),
        }
    }

    /// A request with an optional bearer token and JSON body: (status, JSON body or Null).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = ureq::request(method, &self.url(path));
        if let Some(token) = bearer {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        let result = match body {
            Some(b) => request.send_json(b),
            None => request.call(),
        };
        let (status, text) = match result {
            Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
            Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
            Err(e) => panic!("{method} {path}: {e}"),
        };
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// `POST /api/auth/login`: (status, JSON body, the refresh token set in its cookie).
    pub fn login(&self, email: &str, password: &str) -> (u16, serde_json::Value, Option<String>) {
        let result = ureq::post(&self.url("/api/auth/login"))
            .send_json(serde_json::json!({ "email": email, "password": password }));
        answer_with_refresh_cookie(result, "login")
    }

    /// `POST /api/auth/refresh` as the SPA sends it: the refresh cookie and the anti-CSRF
    /// header. (status, JSON body, the next refresh token).
    pub fn refresh(&self, refresh_token: &str) -> (u16, serde_json::Value, Option<String>) {
        let result = ureq::post(&self.url(passerelle_api::REFRESH_PATH))
            .set(
                "Cookie",
                &format!("{}={refresh_token}", passerelle_api::REFRESH_COOKIE),
            )
            .set(passerelle_api::CSRF_HEADER, "1")
            .call();
        answer_with_refresh_cookie(result, "refresh")
    }

    /// GET that must succeed, decoded into a wire type.
    pub fn get_ok<T: DeserializeOwned>(&self, path: &str) -> T {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_value(body).unwrap_or_else(|e| panic!("GET {path}: decoding: {e}"))
    }
}

/// The refresh token in a response's `Set-Cookie`, checked to carry every protection the
/// cookie must have.
pub fn refresh_cookie(response: &ureq::Response) -> Option<String> {
    let prefix = format!("{}=", passerelle_api::REFRESH_COOKIE);
    let cookie = response
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with(&prefix))?;
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        &format!("Path={}", passerelle_api::REFRESH_PATH),
    ] {
        assert!(cookie.contains(attribute), "{cookie}: no {attribute}");
    }
    let value = cookie[prefix.len()..].split(';').next().unwrap_or_default();
    (!value.is_empty()).then(|| value.to_owned())
}

fn answer_with_refresh_cookie(
    result: Result<ureq::Response, ureq::Error>,
    what: &str,
) -> (u16, serde_json::Value, Option<String>) {
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{what}: {e}"),
    };
    let status = response.status();
    let cookie = refresh_cookie(&response);
    let body = response.into_json().unwrap_or(serde_json::Value::Null);
    (status, body, cookie)
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` for up to 5 s until it returns Some.
pub fn eventually<T>(check: impl Fn() -> Option<T>) -> T {
    poll_until(Duration::from_secs(5), check, || {
        "condition not met within 5 s".to_owned()
    })
}

/// Polls `check` every 100 ms until it returns Some; past `limit`, fails with what
/// `failure` says (asked only then).
pub fn poll_until<T>(
    limit: Duration,
    mut check: impl FnMut() -> Option<T>,
    failure: impl Fn() -> String,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "{}", failure());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Defines one test per engine around a scenario `fn(&TestDatabase)`.
#[macro_export]
macro_rules! on_both_engines {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $scenario() {
                    let db = $crate::TestDatabase::create($crate::Engine::Sqlite)
                        .unwrap_or_else(|| panic!("sqlite database"));
                    super::$scenario(&db);
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $scenario() {
                    if let Some(db) = $crate::TestDatabase::create($crate::Engine::Postgres) {
                        super::$scenario(&db);
                    }
                }
            )*
        }
    };
}

impl TestServer {
    /// POST of raw bytes (a file upload) with a bearer token: (status, JSON body or Null).
    pub fn upload(&self, path: &str, bearer: &str, bytes: &[u8]) -> (u16, serde_json::Value) {
        self.send_bytes("POST", path, bearer, bytes)
    }

    /// Raw bytes with any method and a bearer token: (status, JSON body or Null).
    pub fn send_bytes(
        &self,
        method: &str,
        path: &str,
        bearer: &str,
        bytes: &[u8],
    ) -> (u16, serde_json::Value) {
        let result = ureq::request(method, &self.url(path))
            .set("Authorization", &format!("Bearer {bearer}"))
            .set("Content-Type", "application/octet-stream")
            .send_bytes(bytes);
        let (status, text) = match result {
            Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
            Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
            Err(e) => panic!("{method} {path}: {e}"),
        };
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// GET of a file with a bearer token: (status, content type, content disposition,
    /// bytes).
    pub fn download(&self, path: &str, bearer: &str) -> (u16, String, String, Vec<u8>) {
        let result = ureq::get(&self.url(path))
            .set("Authorization", &format!("Bearer {bearer}"))
            .call();
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("GET {path}: {e}"),
        };
        let status = response.status();
        let content_type = response.header("Content-Type").unwrap_or("").to_owned();
        let disposition = response
            .header("Content-Disposition")
            .unwrap_or("")
            .to_owned();
        let mut bytes = Vec::new();
        response
            .into_reader()
            .take(64 << 20)
            .read_to_end(&mut bytes)
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        (status, content_type, disposition, bytes)
    }
}

pub mod school;

/// The (METHOD, path template) pairs of an OpenAPI document.
pub fn documented_operations(
    doc: &serde_json::Value,
) -> std::collections::BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .into_iter()
                .flatten()
                .map(move |(method, _)| (method.to_uppercase(), path.clone()))
        })
        .collect()
}

/// Where `instance` breaks `schema` (a schema object of the OpenAPI document `doc`, whose
/// `$ref`s to `#/components/schemas/…` resolve against `doc`): the first few errors.
pub fn schema_errors(
    doc: &serde_json::Value,
    schema: &serde_json::Value,
    instance: &serde_json::Value,
) -> Vec<String> {
    let mut wrapper = serde_json::json!({ "components": doc["components"] });
    for (k, v) in schema.as_object().into_iter().flatten() {
        wrapper[k] = v.clone();
    }
    let validator = jsonschema::validator_for(&wrapper)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}"));
    validator
        .iter_errors(instance)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Panics unless `instance` is valid against the OpenAPI document's component `name`.
pub fn assert_matches_component(doc: &serde_json::Value, name: &str, instance: &serde_json::Value) {
    let schema = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
    let errors = schema_errors(doc, &schema, instance);
    assert!(errors.is_empty(), "{name}: {errors:?}\n{instance}");
}
