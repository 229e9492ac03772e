//! The SPA in real headless Chromium against the real server (SQLite): open the list of
//! referentials, open BTS GPME, expand a bloc, search "TVA" and check the hits shown, then an
//! item page and its correspondences.

use passerelle_tests::webdriver::{built_spa, Browser};
use passerelle_tests::{referentials_dir, Engine, TestDatabase, TestServer};

#[test]
fn a_teacher_browses_a_referential_and_searches() {
    let Some(spa) = built_spa() else {
        return;
    };
    let Some(browser) = Browser::start() else {
        return;
    };
    let db = TestDatabase::create(Engine::Sqlite).unwrap_or_else(|| panic!("sqlite"));
    let server = TestServer::start(&db, &referentials_dir(), Some(&spa));

    // Home: one card per referential, with French counts.
    browser.goto(&server.url("/"));
    let cards = browser.wait_for("a[href='/referentiels/bts-gpme']", |_| true);
    let home = browser.find_all("body")[0].text();
    assert!(home.contains("BTS Gestion de la PME"), "{home}");
    assert!(home.contains("tâches"), "{home}");
    cards[0].click();

    // The tree: domains (= blocs) at the root, all collapsed; a domain holds its bloc.
    let domain_toggle = browser.wait_for(".tree-node[data-code='D1'] .tree-toggle", |_| true);
    assert!(browser.find_all(".tree-node[data-code='B1']").is_empty());
    domain_toggle[0].click();
    // Expanding the bloc shows its competencies.
    let toggle_css = ".tree-node[data-code='B1'] > .tree-row .tree-toggle";
    let toggles = browser.wait_for(toggle_css, |_| true);
    assert_eq!(
        toggles[0].attribute("aria-expanded").as_deref(),
        Some("false")
    );
    assert!(browser.find_all(".tree-node[data-code='B1.C1']").is_empty());
    toggles[0].click();
    let competency = browser.wait_for(".tree-node[data-code='B1.C1']", |_| true);
    assert!(
        competency[0].text().contains("Rechercher des clients"),
        "{}",
        competency[0].text()
    );
    assert_eq!(
        browser.find_all(toggle_css)[0]
            .attribute("aria-expanded")
            .as_deref(),
        Some("true")
    );

    // Instant search from the header.
    let search = browser.wait_for("#search", |_| true);
    search[0].type_text("TVA");
    let hits = browser.wait_for(".search-hit", |hits| {
        hits.iter()
            .any(|h| h.attribute("data-code").as_deref() == Some("T.1.6.4"))
    });
    let described: Vec<(String, String, String)> = hits
        .iter()
        .map(|h| {
            (
                h.attribute("data-referential").unwrap_or_default(),
                h.attribute("data-code").unwrap_or_default(),
                h.text(),
            )
        })
        .collect();
    assert!(
        described
            .iter()
            .any(|(r, c, t)| r == "bts-gpme" && c == "T.1.6.4" && t.contains("TVA")),
        "{described:?}"
    );
    assert!(
        described
            .iter()
            .any(|(r, c, _)| r == "bacpro-agora" && c == "S2.2.4"),
        "{described:?}"
    );
    assert!(hits.len() <= 50);

    // The item page lists its correspondences, in French, linking to the other item.
    browser.goto(&server.url("/referentiels/bts-gpme/items/T.1.2.4"));
    let links = browser.wait_for(".correspondence[data-referential='bts-ag-pme-pmi']", |_| {
        true
    });
    let text = links[0].text();
    assert!(
        text.contains("identique") && text.contains("T.1.2.4"),
        "{text}"
    );
    let prepared = browser.find_all(".correspondence[data-code='S1.2.2']");
    assert!(
        prepared
            .first()
            .is_some_and(|p| p.text().contains("préparé par")),
        "no AGOrA situation S1.2.2 among the correspondences"
    );
    assert!(!browser
        .find_all(".correspondence a[href='/referentiels/bts-ag-pme-pmi/items/T.1.2.4']")
        .is_empty());
    if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
        let _ = std::fs::write(format!("{dir}/item.png"), browser.screenshot_png());
    }

    if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
        let _ = std::fs::write(format!("{dir}/search.png"), browser.screenshot_png());
    }
}
