//! Exercises in real headless Chromium against the real server (SQLite): a teacher of a
//! BTS GPME class (school, class and teacher set up over the API) signs in, creates an
//! exercise under "Exercices" (title, PGI feature "factures"), accepts one of the
//! suggested items, saves; the class's coverage shows that item uncovered; the teacher
//! adds the exercise to the class's progression with dates in the past, and the coverage
//! heatmap now shows the item worked on (data-status="done") with a cell in the
//! exercise's column.

use chrono::{Duration, Local};
use passerelle_tests::school::School;
use passerelle_tests::webdriver::{built_spa, click, fill, one, shot, sign_in, wait_text, Browser};
use passerelle_tests::{referentials_dir, Engine, TestDatabase, TestServer};

const ADMIN_EMAIL: &str = "direction@lycee-exercices.fr";
const TEACHER_EMAIL: &str = "paul.durand@lycee-exercices.fr";
const TITLE: &str = "Facturation des commandes clients — JUPITER MEDIA";

/// Sets a date input (typing into one depends on the browser's locale) and tells the SPA.
fn set_date(browser: &Browser, css: &str, date: &str) {
    one(browser, css);
    browser.execute(&format!(
        "const el = document.querySelector({css:?}); el.value = {date:?}; \
         el.dispatchEvent(new Event('input', {{ bubbles: true }}));"
    ));
    browser.wait_for(css, |f| f[0].property("value").as_deref() == Some(date));
}

fn row_status(browser: &Browser, code: &str) -> Option<String> {
    one(
        browser,
        &format!("#coverage-svg .cov-row[data-code='{code}']"),
    )
    .attribute("data-status")
}

#[test]
fn a_teacher_maps_an_exercise_and_sees_the_coverage_of_their_class() {
    let Some(spa) = built_spa() else {
        return;
    };
    let Some(browser) = Browser::start() else {
        return;
    };
    let db = TestDatabase::create(Engine::Sqlite).unwrap_or_else(|| panic!("sqlite"));
    let server = TestServer::start(&db, &referentials_dir(), Some(&spa));
    let school = School::open(&server, &db, "0750003C", ADMIN_EMAIL);
    let class = school.class("BTS GPME 1", "bts-gpme");
    let teacher = school.account(TEACHER_EMAIL, "Paul", "Durand", "teacher");
    school.assign_teachers(class, &[teacher]);
    school.activate(teacher, TEACHER_EMAIL);

    // Sign in; the teacher's menu has "Exercices".
    sign_in(&browser, &server, TEACHER_EMAIL, "Paul Durand");
    one(&browser, "#nav-exercises").click();
    one(&browser, "#exercises-table, #exercise-count");
    one(&browser, "#exercise-new").click();

    // The editor: title and the "factures" feature (a chip from the PGI catalogue when
    // the server has one, else typed as a free id).
    fill(&browser, "#exercise-title", TITLE);
    fill(
        &browser,
        "#exercise-instructions",
        "Saisir les commandes du mois dans la gestion commerciale,\nles transformer en factures et les comptabiliser.",
    );
    let chip = "#exercise-features input[type='checkbox'][data-id='factures']";
    if browser.find_all(chip).is_empty() {
        fill(&browser, "#exercise-features-input", "factures,");
    } else {
        click(&browser, chip);
    }
    browser.wait_for("#exercise-features", |f| {
        f[0].text().contains("factures") || {
            !browser
                .find_all("#exercise-features input[data-id='factures']:checked")
                .is_empty()
        }
    });

    // Suggestions come (debounced); accept the first one.
    let add = one(&browser, "#suggestion-list .suggestion-add");
    let code = add
        .attribute("data-code")
        .unwrap_or_else(|| panic!("suggestion without data-code"));
    shot(&browser, "exercise-editor");
    drop(add);
    click(
        &browser,
        &format!("#suggestion-list .suggestion-add[data-code='{code}']"),
    );
    let linked = one(
        &browser,
        &format!("#linked-items .linked-item[data-code='{code}']"),
    );
    assert_eq!(
        linked.attribute("data-main").as_deref(),
        Some("true"),
        "the first accepted item is the main one"
    );
    one(
        &browser,
        &format!("#suggestion-list .suggestion.added[data-code='{code}']"),
    );

    // Saved: the exercise's page, with the item linked.
    click(&browser, "#exercise-save");
    wait_text(&browser, "#exercise-heading", TITLE);
    one(
        &browser,
        &format!("#main-items .linked-item[data-code='{code}']"),
    );
    assert!(
        browser.current_url().contains("/exercices/"),
        "{}",
        browser.current_url()
    );

    // The class: nothing in its progression, so the item is a gap in the coverage.
    browser.goto(&server.url(&format!("/classes/{class}")));
    one(&browser, "#progression-empty");
    one(&browser, "#coverage-link").click();
    one(&browser, "#coverage-svg");
    assert_eq!(row_status(&browser, &code).as_deref(), Some("gap"));
    assert!(browser
        .find_all(&format!("#coverage-svg .cov-cell[data-code='{code}']"))
        .is_empty());
    wait_text(&browser, "#coverage-summary", "items sur");
    shot(&browser, "coverage-before");

    // Back to the class: the exercise goes into the progression, a month ago.
    one(&browser, ".breadcrumb a").click();
    let today = Local::now().date_naive();
    let starts = (today - Duration::days(30)).to_string();
    let ends = (today - Duration::days(28)).to_string();
    one(&browser, "#add-assignment-exercise");
    wait_text(
        &browser,
        "#add-assignment-exercise",
        "Facturation des commandes",
    );
    set_date(&browser, "#add-assignment-starts", &starts);
    set_date(&browser, "#add-assignment-ends", &ends);
    one(&browser, "#add-assignment-submit").click();
    let done = wait_text(
        &browser,
        "#progression-list .assignment",
        "Facturation des commandes",
    );
    assert_eq!(done.attribute("data-done").as_deref(), Some("true"));
    shot(&browser, "progression");

    // The coverage now shows the item worked on, with a cell in the exercise's column.
    one(&browser, "#coverage-link").click();
    browser.wait_for(
        &format!("#coverage-svg .cov-row[data-code='{code}']"),
        |f| f[0].attribute("data-status").as_deref() == Some("done"),
    );
    let cells = browser.find_all(&format!("#coverage-svg .cov-cell[data-code='{code}']"));
    assert_eq!(cells.len(), 1);
    assert_eq!(cells[0].attribute("data-strength").as_deref(), Some("main"));
    let summary = one(&browser, "#coverage-summary");
    let done_items: u32 = summary
        .attribute("data-done")
        .and_then(|d| d.parse().ok())
        .unwrap_or_default();
    assert!(done_items >= 1, "{}", summary.text());
    shot(&browser, "coverage-after");

    // The weekly view counts the item in the exercise's week.
    one(&browser, "#view-weeks").click();
    one(
        &browser,
        "#coverage-weeks-svg .cov-week-cell[data-items='1']",
    );
    shot(&browser, "coverage-weeks");
}
