//! Accounts in real headless Chromium against the real server (SQLite): the CLI-created
//! admin signs in (after a wrong password), creates the establishment, a school year and
//! the class "T AGOrA A", imports a CSV class list through /admin/import (preview, then
//! commit), signs out; a student of the list activates their account at /activer with the
//! code of their invitation, lands signed in, keeps the session across a reload, and sees
//! their class under "Ma classe".

use std::io::Write;

use passerelle_api::spa::Bundle;
use passerelle_tests::school::{create_admin_cli, PASSWORD};
use passerelle_tests::webdriver::{built_spa, fill, one, shot, wait_text, Browser, Element};
use passerelle_tests::{referentials_dir, Engine, TestDatabase, TestServer};
use serde_json::{json, Value};

const ADMIN_EMAIL: &str = "direction@lycee-exemple.fr";
const STUDENT_EMAIL: &str = "lea.martin@eleves.lycee-exemple.fr";
const STUDENT_PASSWORD: &str = "une phrase de passe solide";
const CLASS: &str = "T AGOrA A";

/// Three students of "T AGOrA A", as a school's export would give them (";", accents).
const CLASS_LIST: &str = "\
Nom;Prénom;Date de naissance;INE;Classe;Adresse électronique
MARTIN;Léa;14/03/2008;1234567890A;T AGOrA A;lea.martin@eleves.lycee-exemple.fr
DURAND;Hugo;02/11/2007;123456789BC;T AGOrA A;hugo.durand@eleves.lycee-exemple.fr
N'GUYEN;Maëlle;30/06/2008;0987654321Z;T AGOrA A;maelle.nguyen@eleves.lycee-exemple.fr
";

/// A JSON request over HTTP with optional bearer token: (status, JSON body or Null).
fn http(
    server: &TestServer,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut request = ureq::request(method, &server.url(path)).set("Accept", "application/json");
    if let Some(token) = bearer {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    let (status, text) = match request.send_json(body) {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("{method} {path}: {e}"),
    };
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn enabled(element: &Element<'_>) -> bool {
    element.attribute("disabled").is_none()
}

#[test]
fn an_admin_imports_a_class_list_and_a_student_activates_their_account() {
    let Some(spa) = built_spa() else {
        return;
    };
    let Some(browser) = Browser::start() else {
        return;
    };
    let db = TestDatabase::create(Engine::Sqlite).unwrap_or_else(|| panic!("sqlite"));
    create_admin_cli(&db, ADMIN_EMAIL);
    let server = TestServer::start(&db, &referentials_dir(), Some(&spa));

    // A page for admins, signed out: to the sign-in page, and back there afterwards. The
    // server sent the staff bundle of the SPA (the one holding the admin pages).
    browser.goto(&server.url("/admin/etablissement"));
    one(&browser, "#signin-form");
    browser.wait_bundle(Bundle::Staff);
    shot(&browser, "sign-in");
    assert!(
        browser.current_url().contains("/connexion"),
        "{}",
        browser.current_url()
    );
    one(&browser, "#signin-link");

    // A wrong password: the French refusal, still signed out.
    fill(&browser, "#signin-email", ADMIN_EMAIL);
    fill(&browser, "#signin-password", "pas le bon mot de passe");
    one(&browser, "#signin-submit").click();
    wait_text(&browser, "#signin-error", "incorrect");

    fill(&browser, "#signin-password", PASSWORD);
    one(&browser, "#signin-submit").click();
    wait_text(&browser, "#account-name", "Claire Martin");
    // Back to the page asked for; the admin's menu is shown.
    one(&browser, "#establishment-form");
    assert!(
        browser.current_url().ends_with("/admin/etablissement"),
        "{}",
        browser.current_url()
    );
    for id in [
        "#nav-establishment",
        "#nav-admin-classes",
        "#nav-accounts",
        "#nav-import",
        "#nav-journal",
    ] {
        assert_eq!(browser.find_all(id).len(), 1, "{id}");
    }
    assert!(browser.find_all("#nav-my-class").is_empty());

    // The establishment, then a school year (dates filled in from the label).
    fill(&browser, "#establishment-name-input", "Lycée Jean Moulin");
    fill(&browser, "#establishment-uai", "0750001A");
    fill(&browser, "#establishment-academie", "Paris");
    one(&browser, "#establishment-submit").click();
    wait_text(&browser, "#establishment-name", "Lycée Jean Moulin");
    fill(&browser, "#year-label", "2026-2027");
    browser.wait_for("#year-starts", |f| {
        f[0].property("value").as_deref() == Some("2026-09-01")
    });
    browser.wait_for("#year-ends", |f| {
        f[0].property("value").as_deref() == Some("2027-08-31")
    });
    one(&browser, "#year-submit").click();
    wait_text(&browser, "#school-years", "2026-2027");

    // The class, preparing Bac Pro AGOrA.
    one(&browser, "#nav-admin-classes").click();
    fill(&browser, "#class-name-input", CLASS);
    one(&browser, "#class-referential option[value='bacpro-agora']").click();
    one(&browser, "#class-submit").click();
    wait_text(&browser, "#class-created", CLASS);
    wait_text(&browser, "#classes-table", CLASS);

    // The class list: preview every row as a creation, then commit.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let csv = dir.path().join("liste T AGOrA A.csv");
    std::fs::File::create(&csv)
        .and_then(|mut f| f.write_all(CLASS_LIST.as_bytes()))
        .unwrap_or_else(|e| panic!("{e}"));
    one(&browser, "#nav-import").click();
    let preview = one(&browser, "#import-preview");
    assert!(!enabled(&preview), "no file chosen yet");
    one(&browser, "#import-file").choose_file(&csv);
    one(&browser, "#import-preview").click();
    let rows = browser.wait_for("#import-rows tbody tr", |rows| rows.len() == 3);
    for row in &rows {
        assert_eq!(row.attribute("data-action").as_deref(), Some("create"));
        assert!(row.text().contains("Création"), "{}", row.text());
        assert!(row.text().contains(CLASS), "{}", row.text());
    }
    assert!(rows.iter().any(|r| r.text().contains("Léa")));
    assert_eq!(
        one(&browser, "#import-report")
            .attribute("data-committed")
            .as_deref(),
        Some("false")
    );
    wait_text(&browser, "#import-counts", "Création (3)");
    wait_text(&browser, "#import-counts", "Erreur (0)");
    shot(&browser, "import-preview");
    // Filtering by action: no row is an update.
    one(&browser, "#import-counts [data-filter='update']").click();
    browser.wait_for("#import-report .empty", |_| true);
    one(&browser, "#import-counts [data-filter='all']").click();
    browser.wait_for("#import-rows tbody tr", |rows| rows.len() == 3);
    let commit = one(&browser, "#import-commit");
    assert!(enabled(&commit), "no errors: the import is allowed");
    commit.click();
    wait_text(&browser, "#import-success", "3 compte(s) créé(s)");
    assert_eq!(
        one(&browser, "#import-report")
            .attribute("data-committed")
            .as_deref(),
        Some("true")
    );
    wait_text(
        &browser,
        "#import-invitations",
        "Imprimer les invitations (3)",
    );
    shot(&browser, "import-committed");

    // The student's invitation code, as printed on the sheet (over HTTP, as the admin).
    let (status, tokens) = http(
        &server,
        "POST",
        "/api/auth/login",
        None,
        json!({"email": ADMIN_EMAIL, "password": PASSWORD}),
    );
    assert_eq!(status, 200, "{tokens}");
    let admin = tokens["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, accounts) = ureq::get(&server.url("/api/accounts?role=student"))
        .set("Authorization", &format!("Bearer {admin}"))
        .call()
        .map(|r| (r.status(), r.into_json::<Value>().unwrap_or(Value::Null)))
        .unwrap_or_else(|e| panic!("accounts: {e}"));
    assert_eq!(status, 200);
    let student = accounts
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["email"] == STUDENT_EMAIL)
        .unwrap_or_else(|| panic!("{STUDENT_EMAIL} in {accounts}"));
    assert_eq!(student["status"], "invited", "{student}");
    let (status, invitations) = http(
        &server,
        "POST",
        "/api/invitations",
        Some(&admin),
        json!({"user_ids": [student["id"]]}),
    );
    assert_eq!(status, 200, "{invitations}");
    let code = invitations[0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(code.len() >= 12, "{invitations}");

    // The admin signs out from "Mon compte".
    one(&browser, "#account-name").click();
    one(&browser, "#sign-out").click();
    one(&browser, "#signin-form");
    one(&browser, "#signin-link");
    assert!(browser.find_all("#account-name").is_empty());

    // The student activates, typing the code without dashes, in lower case. Anyone may
    // open /activer: the server sends the public bundle, the smallest.
    browser.goto(&server.url("/activer"));
    browser.wait_bundle(Bundle::Public);
    fill(&browser, "#activate-email", STUDENT_EMAIL);
    fill(
        &browser,
        "#activate-code",
        &code.replace('-', "").to_lowercase(),
    );
    fill(&browser, "#activate-password", STUDENT_PASSWORD);
    fill(&browser, "#activate-confirm", "une autre phrase de passe");
    one(&browser, "#activate-submit").click();
    wait_text(&browser, "#activate-error", "pas identiques");
    fill(&browser, "#activate-confirm", STUDENT_PASSWORD);
    one(&browser, "#activate-submit").click();
    // Signed in, the student lands on « Ma classe », a page of the student bundle: the
    // SPA reloads the address and the server sends that bundle.
    browser.wait_bundle(Bundle::Student);
    wait_text(&browser, "#account-name", "Léa");
    assert!(
        browser.find_all("#nav-import").is_empty(),
        "a student has no admin menu"
    );

    // "Ma classe": the class and its referential.
    one(&browser, "#nav-my-class").click();
    let heading = wait_text(&browser, ".my-class h2", CLASS);
    assert_eq!(heading.text(), CLASS);
    let link = one(&browser, ".my-class a.class-ref-link");
    assert_eq!(
        link.attribute("href").as_deref(),
        Some("/referentiels/bacpro-agora")
    );
    wait_text(&browser, "#class-students", "MARTIN");
    shot(&browser, "my-class");

    // A reload keeps the session (a renewal with the refresh cookie), never in the URL,
    // in localStorage or anywhere a script can read it: sessionStorage holds only the
    // "signed in" marker, the access token lives in memory.
    browser.goto(&server.url("/ma-classe"));
    wait_text(&browser, ".my-class h2", CLASS);
    wait_text(&browser, "#account-name", "Léa");
    let url = browser.current_url();
    assert!(!url.contains("token") && !url.contains(&code), "{url}");
    assert_eq!(
        browser.execute("return window.localStorage.length"),
        json!(0)
    );
    assert_eq!(
        browser.execute("return window.sessionStorage.length"),
        json!(1)
    );
    assert_eq!(
        browser.execute("return window.sessionStorage.getItem('passerelle.session')"),
        json!("1")
    );
    // The refresh cookie is HttpOnly and scoped to the refresh path: invisible here.
    assert_eq!(browser.execute("return document.cookie"), json!(""));
    // The page ran under the server's Content-Security-Policy, which refuses inline
    // scripts: one injected now does not run.
    assert_eq!(
        browser.execute(
            "const s = document.createElement('script'); s.textContent = 'window.injected = 1'; \
             document.body.appendChild(s); return window.injected === undefined"
        ),
        json!(true)
    );

    // An admin page: reserved.
    browser.goto(&server.url("/admin/comptes"));
    wait_text(&browser, "#access-denied", "Accès réservé");
    shot(&browser, "access-denied");
}
