//! A minimal W3C WebDriver client over chromedriver (Debian's chromium-driver), enough to
//! drive the SPA in real headless Chromium: navigate, find, click, type, read.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use passerelle_api::spa::Bundle;
use serde_json::{json, Value};

use crate::school::PASSWORD;
use crate::{poll_until, TestServer};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long the browser helpers wait for the page.
const WAIT: Duration = Duration::from_secs(10);

/// The built SPA (`frontend/dist`), or None when it is not built outside CI (in CI, not
/// built means failing).
pub fn built_spa() -> Option<PathBuf> {
    let spa = crate::repo_root().join("frontend/dist");
    if spa.join("index.html").is_file() {
        return Some(spa);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI: the SPA must be built first (scripts/build-spa)"
    );
    println!("SKIPPED: SPA not built (run scripts/build-spa)");
    None
}

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
}

pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session, or None when either is
    /// missing outside CI (in CI, missing means failing).
    pub fn start() -> Option<Browser> {
        let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| Path::new(p).is_file());
        let chromium = ["/usr/bin/chromium", "/usr/lib/chromium/chromium"]
            .into_iter()
            .find(|p| Path::new(p).is_file());
        let (Some(chromedriver), Some(chromium)) = (chromedriver, chromium) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI: chromium and chromium-driver must be installed (scripts/test does it)"
            );
            println!("SKIPPED: chromium or chromedriver not installed");
            return None;
        };
        let port = crate::free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("chromedriver: {e}"));
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while ureq::get(&format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                // No background traffic: this machine has no network beyond loopback.
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
        };
        let created = browser.call("POST", "/session", Some(caps));
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        // The profile folder must outlive the session; chromium removes nothing itself.
        std::mem::forget(profile);
        Some(browser)
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{}", self.base, path);
        let request = ureq::request(method, &url).timeout(Duration::from_secs(60));
        let response = match body {
            Some(b) => request.send_json(b),
            None if method == "POST" => request.send_json(json!({})),
            None => request.call(),
        };
        let text = match response {
            Ok(r) => r.into_string().unwrap_or_default(),
            Err(ureq::Error::Status(code, r)) => {
                panic!(
                    "webdriver {method} {path}: {code} {}",
                    r.into_string().unwrap_or_default()
                )
            }
            Err(e) => panic!("webdriver {method} {path}: {e}"),
        };
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        value["value"].clone()
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{}", self.session, rest)
    }

    pub fn goto(&self, url: &str) {
        self.call(
            "POST",
            &self.session_path("/url"),
            Some(json!({ "url": url })),
        );
    }

    pub fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            &self.session_path("/window/rect"),
            Some(json!({"width": width, "height": height})),
        );
    }

    /// Elements matching a CSS selector now (possibly none).
    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let found = self.call(
            "POST",
            &self.session_path("/elements"),
            Some(json!({"using": "css selector", "value": css})),
        );
        found
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e[ELEMENT_KEY].as_str())
            .map(|id| Element {
                browser: self,
                id: id.to_owned(),
            })
            .collect()
    }

    /// Waits up to 10 s until `css` matches something that `accept` takes.
    pub fn wait_for(&self, css: &str, accept: impl Fn(&[Element<'_>]) -> bool) -> Vec<Element<'_>> {
        poll_until(
            WAIT,
            || {
                let found = self.find_all(css);
                (!found.is_empty() && accept(&found)).then_some(found)
            },
            || {
                format!(
                    "timed out waiting for `{css}` at {}; page source: {}",
                    self.call("GET", &self.session_path("/url"), None),
                    self.call("GET", &self.session_path("/source"), None)
                )
            },
        )
    }

    /// Waits until the page runs `bundle` of the SPA: the server sent it, or the SPA
    /// reloaded into it.
    pub fn wait_bundle(&self, bundle: Bundle) {
        self.wait_for(&bundle_module(bundle), |_| true);
    }

    /// Waits until the page runs a bundle of the SPA that holds the page at its address.
    /// After a click that leads to another bundle's page, the SPA reloads the address:
    /// acting before the reload would act on the page being left.
    pub fn wait_settled(&self) {
        let running = || {
            Bundle::ALL
                .into_iter()
                .find(|b| !self.find_all(&bundle_module(*b)).is_empty())
        };
        poll_until(
            WAIT,
            || {
                let url = self.current_url();
                let path = url
                    .split_once("://")
                    .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
                    .unwrap_or("/");
                let needed = Bundle::for_path(path);
                running().filter(|b| b.serves(needed))
            },
            || {
                format!(
                    "{}: still running the {:?} bundle, which lacks this page",
                    self.current_url(),
                    running()
                )
            },
        );
    }

    /// The page's current address.
    pub fn current_url(&self) -> String {
        self.call("GET", &self.session_path("/url"), None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Runs a synchronous script in the page and returns its result.
    pub fn execute(&self, script: &str) -> Value {
        self.call(
            "POST",
            &self.session_path("/execute/sync"),
            Some(json!({ "script": script, "args": [] })),
        )
    }

    pub fn screenshot_png(&self) -> Vec<u8> {
        let b64 = self.call("GET", &self.session_path("/screenshot"), None);
        decode_base64(b64.as_str().unwrap_or_default())
    }
}

impl Element<'_> {
    fn path(&self, rest: &str) -> String {
        self.browser
            .session_path(&format!("/element/{}{}", self.id, rest))
    }

    pub fn click(&self) {
        self.browser.call("POST", &self.path("/click"), None);
    }

    pub fn type_text(&self, text: &str) {
        self.browser
            .call("POST", &self.path("/value"), Some(json!({ "text": text })));
    }

    /// Empties an input (then `type_text` types into an empty field).
    pub fn clear(&self) {
        self.browser.call("POST", &self.path("/clear"), None);
    }

    /// Picks a file in an `<input type=file>`: chromedriver takes its absolute path as keys.
    pub fn choose_file(&self, path: &Path) {
        assert!(path.is_absolute(), "{} must be absolute", path.display());
        self.type_text(&path.to_string_lossy());
    }

    pub fn text(&self) -> String {
        self.browser
            .call("GET", &self.path("/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// A DOM property as a string (`value` of an input: what it holds now).
    pub fn property(&self, name: &str) -> Option<String> {
        self.browser
            .call("GET", &self.path(&format!("/property/{name}")), None)
            .as_str()
            .map(str::to_owned)
    }

    pub fn attribute(&self, name: &str) -> Option<String> {
        self.browser
            .call("GET", &self.path(&format!("/attribute/{name}")), None)
            .as_str()
            .map(str::to_owned)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn decode_base64(input: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for v in input.bytes().filter_map(value) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// The page's link to the JavaScript module of `bundle` (trunk names it after the binary).
fn bundle_module(bundle: Bundle) -> String {
    format!(
        "link[rel='modulepreload'][href*='/passerelle-{}-']",
        bundle.name()
    )
}

/// The first element matching `css`, waiting for it.
pub fn one<'a>(browser: &'a Browser, css: &str) -> Element<'a> {
    browser
        .wait_for(css, |_| true)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{css}"))
}

/// Waits until `css` shows `text` (in its visible text).
pub fn wait_text<'a>(browser: &'a Browser, css: &str, text: &str) -> Element<'a> {
    browser
        .wait_for(css, |found| found.iter().any(|e| e.text().contains(text)))
        .into_iter()
        .find(|e| e.text().contains(text))
        .unwrap_or_else(|| panic!("{css} with {text}"))
}

/// Replaces what the input `css` holds with `value`, typed.
pub fn fill(browser: &Browser, css: &str, value: &str) {
    let field = one(browser, css);
    field.clear();
    field.type_text(value);
}

/// Clicks `css` once scrolled to the middle of the window (action bars stick to the
/// bottom of phone and tablet screens and would take the click otherwise).
pub fn click(browser: &Browser, css: &str) {
    let element = one(browser, css);
    browser.execute(&format!(
        "document.querySelector({css:?}).scrollIntoView({{ block: 'center' }});"
    ));
    element.click();
}

/// Saves a screenshot when SCREENSHOT_DIR is set (for a look at the pages).
pub fn shot(browser: &Browser, name: &str) {
    if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
        let _ = std::fs::write(format!("{dir}/{name}.png"), browser.screenshot_png());
    }
}

/// Signs in at /connexion of `server` (with the test accounts' password) and waits for
/// the page the person lands on, in the bundle of the SPA that holds it.
pub fn sign_in(browser: &Browser, server: &TestServer, email: &str, name: &str) {
    browser.goto(&server.url("/connexion"));
    fill(browser, "#signin-email", email);
    fill(browser, "#signin-password", PASSWORD);
    one(browser, "#signin-submit").click();
    poll_until(
        WAIT,
        || (!browser.current_url().contains("/connexion")).then_some(()),
        || format!("{email}: still on /connexion"),
    );
    browser.wait_settled();
    wait_text(browser, "#account-name", name);
}

/// Signs out from « Mon compte ».
pub fn sign_out(browser: &Browser) {
    one(browser, "#account-name").click();
    click(browser, "#sign-out");
    one(browser, "#signin-link");
}
