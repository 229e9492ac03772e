//! CCF grids in real headless Chromium at tablet size (1024×768) against the real server
//! (SQLite). The school, an AGOrA class with a student, a teacher and a jury account, a
//! session of bacpro-agora:E31 with a jury of both and the candidate assigned are set up
//! over the API; then, in the browser: the teacher fills their levels, the professional
//! fills theirs differently, the disagreement shows on the common grid, they agree on it
//! (the proposed mark computed live), both sign and the grid is locked; the admin finds
//! the session's export buttons.

use passerelle_api::{CandidateGrid, MarkRule};
use passerelle_tests::school::School;
use passerelle_tests::webdriver::{
    built_spa, click, fill, shot, sign_in, sign_out, wait_text, Browser,
};
use passerelle_tests::{referentials_dir, Engine, TestDatabase, TestServer};
use serde_json::json;

const UAI: &str = "0750009J";
const ADMIN_EMAIL: &str = "direction@lycee-jury.fr";
const TEACHER_EMAIL: &str = "paul.garnier@lycee-jury.fr";
const JUROR_EMAIL: &str = "patrick.vasseur@entreprise-jury.fr";
const STUDENT_EMAIL: &str = "emma.zola@lycee-jury.fr";
const SESSION: &str = "Session 2027";

/// Waits until the JavaScript expression `expr` is true (a DOM property, not text).
fn wait_js(browser: &Browser, expr: &str) {
    for _ in 0..200 {
        if browser.execute(&format!("return !!({expr});")) == json!(true) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("never true: {expr}");
}

/// Picks `level` (1-based) for every criterion in the table `grid` (`mine` or `common`).
fn pick_levels(browser: &Browser, grid: &str, levels: &[u8]) {
    for (row, level) in levels.iter().enumerate() {
        let css =
            format!("#{grid}-grid label.level-choice[data-row='{row}'][data-level='{level}']");
        click(browser, &css);
        wait_js(
            browser,
            &format!(
                "document.querySelector({:?}).checked",
                format!("{css} input")
            ),
        );
    }
}

/// A mark as the SPA prints it: "13,5", "14".
fn mark_fr(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        format!("{x:.1}").replace('.', ",")
    }
}

/// From the session list to the candidate's grid, as a jury member would go.
fn open_grid(browser: &Browser, nav: &str, candidate: &str) {
    click(browser, nav);
    click(browser, "#sessions a");
    wait_text(browser, "#session-title", SESSION);
    wait_text(browser, ".candidate-link a", candidate).click();
    wait_text(browser, "#grid-title", candidate);
}

#[test]
fn two_jury_members_assess_agree_and_lock_a_grid_on_a_tablet() {
    let Some(spa) = built_spa() else {
        return;
    };
    let Some(browser) = Browser::start() else {
        return;
    };
    let db = TestDatabase::create(Engine::Sqlite).unwrap_or_else(|| panic!("sqlite"));
    let server = TestServer::start(&db, &referentials_dir(), Some(&spa));

    // The school over the API: an AGOrA class, a student, a teacher and a professional.
    let school = School::open(&server, &db, UAI, ADMIN_EMAIL);
    let class = school.class("T AGOrA A", "bacpro-agora");
    let teacher = school.account(TEACHER_EMAIL, "Paul", "Garnier", "teacher");
    let juror = school.account(JUROR_EMAIL, "Patrick", "Vasseur", "jury");
    school.assign_teachers(class, &[teacher]);
    let report = school.import_csv(&format!(
        "nom;prénom;date de naissance;email;classe\nZola;Emma;12/03/2009;{STUDENT_EMAIL};T AGOrA A\n"
    ));
    let student = report["rows"][0]["user_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no student in {report}"));
    school.activate(teacher, TEACHER_EMAIL);
    school.activate(juror, JUROR_EMAIL);
    school.activate(student, STUDENT_EMAIL);
    let admin = school.admin.clone();
    let (status, session) = server.call(
        "POST",
        "/api/exam-sessions",
        Some(&admin),
        Some(json!({
            "template_id": "bacpro-agora:E31", "label": SESSION,
            "starts_on": "2027-03-01", "ends_on": "2027-05-31", "class_ids": [class]
        })),
    );
    assert_eq!(status, 201, "{session}");
    let session_id = session["id"].as_i64().unwrap_or_default();
    let candidate = session["candidates"][0]["id"].as_i64().unwrap_or_default();
    let (status, body) = server.call(
        "POST",
        &format!("/api/exam-sessions/{session_id}/juries"),
        Some(&admin),
        Some(json!({ "name": "Jury A", "members": [
            { "user_id": teacher, "role": "teacher" },
            { "user_id": juror, "role": "professional" }
        ] })),
    );
    assert_eq!(status, 201, "{body}");
    let jury = body["juries"][0]["id"].as_i64().unwrap_or_default();
    let (status, body) = server.call(
        "PUT",
        &format!("/api/juries/{jury}/candidates"),
        Some(&admin),
        Some(json!({ "candidate_ids": [candidate] })),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.call(
        "GET",
        &format!("/api/candidates/{candidate}/grid"),
        Some(&admin),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let grid: CandidateGrid = serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"));
    let criteria = grid.template.criteria.len();
    assert!(criteria >= 2, "E31 has criteria: {criteria}");
    let first_code = grid.template.criteria[0].code.clone();

    // The teacher: "Satisfaisant" everywhere. The professional: "Très satisfaisant" on
    // the first criterion. The jury agrees on the professional's levels.
    let teacher_levels = vec![3u8; criteria];
    let mut juror_levels = vec![3u8; criteria];
    juror_levels[0] = 4;
    let weights: Vec<f64> = grid.template.criteria.iter().map(|c| c.weight).collect();
    let agreed: Vec<Option<u8>> = juror_levels.iter().map(|l| Some(*l)).collect();
    let expected = MarkRule::WeightedLevels
        .propose(&agreed, &weights, grid.template.scale.len())
        .unwrap_or_else(|| panic!("a mark"));

    browser.resize(1024, 768);

    // Member 1 fills their levels.
    sign_in(&browser, &server, TEACHER_EMAIL, "Paul Garnier");
    open_grid(&browser, "#nav-juries", "Emma Zola");
    wait_text(&browser, "#grid-status", "Ouverte");
    wait_text(&browser, "#tab-mine", "Mon évaluation");
    pick_levels(&browser, "mine", &teacher_levels);
    wait_text(&browser, "#mine-mark", "13");
    let comments = !grid.template.comment_fields.is_empty();
    if comments {
        fill(
            &browser,
            "#mine-comment-0",
            "Bon accueil, vocabulaire professionnel.",
        );
    }
    click(&browser, "#save-mine");
    wait_text(&browser, "#mine-saved", "Évaluation enregistrée");
    shot(&browser, "juries-mine");
    sign_out(&browser);

    // Member 2 fills theirs differently: the disagreement shows on the common grid.
    sign_in(&browser, &server, JUROR_EMAIL, "Patrick Vasseur");
    open_grid(&browser, "#nav-juries", "Emma Zola");
    pick_levels(&browser, "mine", &juror_levels);
    click(&browser, "#save-mine");
    wait_text(&browser, "#mine-saved", "Évaluation enregistrée");
    click(&browser, "#tab-common");
    wait_text(&browser, "#disagreements", "Désaccord sur 1 critère");
    wait_text(&browser, "#disagreements", &first_code);
    let row = wait_text(&browser, "#common-grid tr.disagreement", "Désaccord");
    assert!(row.text().contains("Paul Garnier"), "{}", row.text());
    assert!(row.text().contains("Patrick Vasseur"), "{}", row.text());
    drop(row);
    assert_eq!(
        browser.find_all("#common-grid tr.disagreement").len(),
        1,
        "one criterion only"
    );
    shot(&browser, "juries-disagreement");

    // They agree on the common grid: the proposed mark shows before saving.
    pick_levels(&browser, "common", &juror_levels);
    wait_text(&browser, "#proposed-mark", &mark_fr(expected));
    if comments {
        fill(
            &browser,
            "#common-comment-0",
            "Candidate à l'aise avec les visiteurs.",
        );
    }
    click(&browser, "#save-common");
    wait_js(
        &browser,
        "document.querySelector('#sign') && !document.querySelector('#sign').disabled",
    );
    click(&browser, "#sign");
    wait_text(&browser, "#signatures", "Signée par Patrick Vasseur");
    wait_text(&browser, "#grid-status", "Ouverte");
    sign_out(&browser);

    // Member 1 signs too: the grid is locked and read-only.
    sign_in(&browser, &server, TEACHER_EMAIL, "Paul Garnier");
    open_grid(&browser, "#nav-juries", "Emma Zola");
    click(&browser, "#tab-common");
    wait_text(&browser, "#proposed-mark", &mark_fr(expected));
    click(&browser, "#sign");
    wait_text(&browser, "#grid-status", "Verrouillée");
    wait_text(&browser, "#grid-status", "Grille verrouillée");
    wait_text(&browser, "#signatures", "Signée par Paul Garnier");
    wait_text(&browser, "#signatures", "Signée par Patrick Vasseur");
    assert!(browser.find_all("#sign").is_empty(), "nothing left to sign");
    assert!(browser.find_all("#save-common").is_empty(), "read-only");
    let disabled = browser.execute(
        "return [...document.querySelectorAll('#common-grid input')].every(i => i.disabled);",
    );
    assert_eq!(disabled, json!(true), "locked radios");
    shot(&browser, "juries-locked");
    sign_out(&browser);

    // The admin: the session page, its candidate, its export buttons.
    sign_in(&browser, &server, ADMIN_EMAIL, "Claire Martin");
    click(&browser, "#nav-exams");
    click(&browser, "#sessions a");
    wait_text(&browser, "#session-title", SESSION);
    wait_text(&browser, "#candidates-table", "Emma Zola");
    wait_text(&browser, "#candidates-table .candidate-jury", "Jury A");
    wait_text(&browser, "#export-xlsx", "Exporter (xlsx)");
    wait_text(&browser, "#export-csv", "Exporter (CSV)");
    shot(&browser, "juries-session");
    let (status, _, _, bytes) = server.download(
        &format!("/api/exam-sessions/{session_id}/export.xlsx"),
        &admin,
    );
    click(&browser, "#export-xlsx");
    std::thread::sleep(std::time::Duration::from_millis(300));
    wait_js(&browser, "document.querySelector('#export-xlsx') && !document.querySelector('#export-xlsx').disabled");
    assert_eq!(status, 200, "the session workbook downloads");
    assert!(bytes.starts_with(b"PK"), "an xlsx (zip) workbook");
    assert!(
        browser
            .find_all("#session-actions .inline-error")
            .is_empty(),
        "the export downloads without error"
    );

    // Published, the grid is the student's to read, read-only.
    click(&browser, "#publish");
    wait_text(&browser, "#published", "Résultats publiés");
    sign_out(&browser);
    sign_in(&browser, &server, STUDENT_EMAIL, "Emma Zola");
    click(&browser, "#nav-results");
    let card = wait_text(&browser, ".my-grid", "E31");
    let text = card.text();
    assert!(text.contains("Verrouillée"), "{text}");
    assert!(text.contains(&mark_fr(expected)), "{text}");
    drop(card);
    assert!(
        browser.find_all(".my-grid input").is_empty(),
        "nothing to fill"
    );
    shot(&browser, "juries-student");
}
