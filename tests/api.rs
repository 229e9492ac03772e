//! The referentials API over HTTP, on SQLite and on PostgreSQL.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use passerelle_api::{
    ItemDetail, ItemKind, ReferentialDetail, ReferentialSummary, SearchResults, SEARCH_MAX_RESULTS,
};
use passerelle_tests::{
    on_both_engines, referentials_dir, run_cli, run_cli_with, Engine, TestDatabase, TestServer,
};
use serde_json::{json, Value};

on_both_engines!(
    lists_every_referential_with_counts,
    serves_a_referential_with_its_items_and_etag,
    serves_an_item_with_ancestors_and_children,
    search_is_accent_and_case_insensitive_and_ranked,
    search_validates_its_parameters,
    unknown_things_are_json_404s,
    responses_match_the_openapi_document,
    a_bad_file_is_refused_and_changes_nothing,
    an_edited_file_updates_in_place_and_every_server_sees_it,
);

fn lists_every_referential_with_counts(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let list: Vec<ReferentialSummary> = server.get_ok("/api/referentials");
    let ids: Vec<&str> = list.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, passerelle_tests::REFERENTIAL_IDS);
    let gpme = &list[2];
    assert_eq!(gpme.title, "BTS Gestion de la PME");
    assert_eq!(gpme.counts.get(&ItemKind::Bloc), Some(&4));
    assert_eq!(gpme.counts.get(&ItemKind::Unit), Some(&4));
    assert!(gpme.counts.get(&ItemKind::Task).copied().unwrap_or(0) > 50);
    let agora = &list[0];
    assert_eq!(agora.counts.get(&ItemKind::Bloc), Some(&3));
    assert!(agora.counts.get(&ItemKind::Situation).copied().unwrap_or(0) > 30);
    let rncp = &list[4];
    assert_eq!(rncp.counts.get(&ItemKind::Bloc), Some(&5));
    // Counts agree with the detail's items.
    for summary in &list {
        let detail: ReferentialDetail = server.get_ok(&format!("/api/referentials/{}", summary.id));
        assert_eq!(detail.counts, summary.counts, "{}", summary.id);
        let total: u32 = summary.counts.values().sum();
        assert_eq!(detail.items.len() as u32, total, "{}", summary.id);
    }
}

fn serves_a_referential_with_its_items_and_etag(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let detail: ReferentialDetail = server.get_ok("/api/referentials/bts-gpme");
    assert_eq!(detail.seeds, ["001_d0f09e614bc12293.txt"]);
    let task = detail
        .items
        .iter()
        .find(|i| i.code == "T.1.2.4")
        .unwrap_or_else(|| panic!("T.1.2.4 missing"));
    assert_eq!(task.kind, ItemKind::Task);
    assert_eq!(
        task.label,
        "Facturation, suivi des règlements et des relances « clients »"
    );
    assert_eq!(task.parent.as_deref(), Some("1.2"));
    assert_eq!(task.source.line, Some(147));
    // The seed line's text comes with the item's own page, not in the flat list.
    assert_eq!(task.source.text, None);
    let alone: ItemDetail = server.get_ok("/api/referentials/bts-gpme/items/T.1.2.4");
    assert!(alone
        .item
        .source
        .text
        .as_deref()
        .unwrap_or_default()
        .contains(&task.label));
    // Every parent is an item listed before its children (display order).
    let mut seen = BTreeSet::new();
    for item in &detail.items {
        if let Some(parent) = &item.parent {
            assert!(
                seen.contains(parent),
                "{} before its parent {parent}",
                item.code
            );
        }
        seen.insert(item.code.clone());
    }
    // Some item of the file carries a repair, served with what/held/why.
    assert!(detail
        .items
        .iter()
        .flat_map(|i| &i.repairs)
        .any(|r| !r.source_text.is_empty() && !r.reason.is_empty()));

    // Revalidation: the same ETag gives 304 without a body.
    let response = ureq::get(&server.url("/api/referentials/bts-gpme"))
        .call()
        .unwrap_or_else(|e| panic!("{e}"));
    let etag = response.header("etag").unwrap_or_default().to_owned();
    assert_eq!(etag, format!("W/\"{}\"", detail.content_hash));
    let again = ureq::get(&server.url("/api/referentials/bts-gpme"))
        .set("If-None-Match", &etag)
        .call()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.status(), 304);

    // Browsers get the pre-compressed body; it decodes to the same document.
    let gzipped = ureq::get(&server.url("/api/referentials/bts-gpme"))
        .set("Accept-Encoding", "gzip")
        .call()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    let mut compressed = Vec::new();
    gzipped
        .into_reader()
        .read_to_end(&mut compressed)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut plain)
        .unwrap_or_else(|e| panic!("{e}"));
    let decoded: ReferentialDetail = serde_json::from_str(&plain).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decoded, detail);
    // A client that refuses gzip (q=0) gets the plain body.
    let plain = ureq::get(&server.url("/api/referentials/bts-gpme"))
        .set("Accept-Encoding", "gzip;q=0, identity")
        .call()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.into_json::<ReferentialDetail>().ok(), Some(detail));
}

fn serves_an_item_with_ancestors_and_children(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let task: ItemDetail = server.get_ok("/api/referentials/bts-gpme/items/T.1.2.4");
    assert_eq!(task.referential.id, "bts-gpme");
    let ancestors: Vec<&str> = task.ancestors.iter().map(|a| a.code.as_str()).collect();
    assert_eq!(ancestors, ["D1", "1.2"]);
    assert!(task.children.is_empty());

    let activity: ItemDetail = server.get_ok("/api/referentials/bts-gpme/items/1.2");
    let children: Vec<&str> = activity
        .children
        .iter()
        .filter(|c| c.kind == ItemKind::Task)
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(&children[..4], ["T.1.2.1", "T.1.2.2", "T.1.2.3", "T.1.2.4"]);

    // Codes qualified by kind where the official ones collide (AGOrA 1.1.1).
    let situation: ItemDetail = server.get_ok("/api/referentials/bacpro-agora/items/S1.1.1");
    assert_eq!(situation.item.kind, ItemKind::Situation);
    assert_eq!(situation.item.official_code.as_deref(), Some("1.1.1"));
    assert!(situation.item.attributes.contains_key("criteres"));
    let competency: ItemDetail = server.get_ok("/api/referentials/bacpro-agora/items/C1.1.1");
    assert_eq!(competency.item.kind, ItemKind::Competency);
    assert_eq!(competency.item.official_code.as_deref(), Some("1.1.1"));
}

fn codes_of(results: &SearchResults) -> Vec<(String, String)> {
    results
        .hits
        .iter()
        .map(|h| (h.referential.id.clone(), h.code.clone()))
        .collect()
}

fn search_is_accent_and_case_insensitive_and_ranked(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let results: SearchResults = server.get_ok("/api/search?q=facturation");
    let codes = codes_of(&results);
    let top: Vec<&(String, String)> = codes.iter().take(8).collect();
    assert!(
        top.contains(&&("bts-gpme".to_owned(), "T.1.2.4".to_owned())),
        "{codes:?}"
    );
    assert!(
        top.contains(&&("bacpro-agora".to_owned(), "S1.2.2".to_owned())),
        "{codes:?}"
    );
    assert!(results.hits.len() <= SEARCH_MAX_RESULTS);
    assert!(results.hits.windows(2).all(|w| w[0].score >= w[1].score));

    // Accents and case do not matter.
    let accented: SearchResults = server.get_ok("/api/search?q=D%C3%A9claration%20de%20TVA");
    let plain: SearchResults = server.get_ok("/api/search?q=declaration%20de%20tva");
    assert_eq!(codes_of(&accented), codes_of(&plain));
    assert!(!plain.hits.is_empty());
    assert!(
        plain.hits[0].label.to_lowercase().contains("tva"),
        "{:?}",
        plain.hits[0]
    );

    // All words must match, in any order.
    let both: SearchResults = server.get_ok("/api/search?q=TVA%20d%C3%A9claration");
    assert_eq!(codes_of(&both).len(), codes_of(&plain).len());

    // A code finds its item first.
    let by_code: SearchResults = server.get_ok("/api/search?q=T.1.2.4&referential=bts-gpme");
    assert_eq!(by_code.hits[0].code, "T.1.2.4");
    assert!(by_code.hits.iter().all(|h| h.referential.id == "bts-gpme"));

    // Broad queries are capped.
    let broad: SearchResults = server.get_ok("/api/search?q=de");
    assert_eq!(broad.hits.len(), SEARCH_MAX_RESULTS);

    let none: SearchResults = server.get_ok("/api/search?q=zzzxqw");
    assert!(none.hits.is_empty());
}

fn assert_error(server: &TestServer, path: &str, status: u16, code: &str) -> Value {
    let (got, body) = server.get(path);
    assert_eq!(got, status, "GET {path}: {body}");
    assert_eq!(body["code"], code, "GET {path}: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

fn search_validates_its_parameters(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let body = assert_error(&server, "/api/search?q=", 400, "invalid_query");
    assert!(body["message"]
        .as_str()
        .unwrap_or_default()
        .starts_with("q"));
    assert_error(&server, "/api/search?q=%20%20", 400, "invalid_query");
    assert_error(&server, "/api/search", 400, "invalid_query");
    let long = "a".repeat(201);
    assert_error(
        &server,
        &format!("/api/search?q={long}"),
        400,
        "query_too_long",
    );
    let just_right = "a".repeat(200);
    let (status, _) = server.get(&format!("/api/search?q={just_right}"));
    assert_eq!(status, 200);
    assert_error(
        &server,
        "/api/search?q=tva&referential=nope",
        404,
        "not_found",
    );
}

/// Each address of the SPA gets the page of the bundle holding it, never another's (which
/// would reload the address forever): a missing page is a plain 404. Assets come
/// precompressed as the client accepts, cached for a year.
#[test]
fn spa_pages_by_bundle_and_precompressed_assets() {
    let Some(db) = TestDatabase::create(Engine::Sqlite) else {
        return;
    };
    let spa = db.temp_dir().join("spa");
    std::fs::create_dir_all(&spa).unwrap_or_else(|e| panic!("{e}"));
    for (file, body) in [("index.html", "public"), ("student.html", "student")] {
        std::fs::write(spa.join(file), body).unwrap_or_else(|e| panic!("{e}"));
    }
    let server = TestServer::start(&db, &referentials_dir(), Some(&spa));
    for (path, page) in [
        ("/", "public"),
        ("/referentiels/bts-gpme/items/T.1.2.4", "public"),
        ("/connexion?suite=/portfolio", "public"),
        ("/page-inconnue", "public"),
        ("/portfolio", "student"),
        ("/fiches/12", "student"),
        ("/eleves/3/suivi?classe=2", "student"),
    ] {
        assert_eq!(server.get_text(path), (200, page.to_owned()), "{path}");
    }
    // No staff page in this build: not the public one instead.
    for path in ["/classes/3/couverture", "/admin/comptes", "/examens"] {
        let (status, body) = server.get_text(path);
        assert_eq!(status, 404, "{path}");
        assert!(body.contains("scripts/build-spa"), "{path}: {body}");
    }
    std::fs::write(spa.join("staff.html"), "staff").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        server.get_text("/classes/3/couverture"),
        (200, "staff".to_owned())
    );

    // Assets: the precompressed copy the client accepts, cached for a year (hashed name).
    let wasm = "passerelle-student-0123456789abcdef_bg.wasm";
    for (suffix, body) in [("", "raw"), (".br", "brotli"), (".gz", "gzip")] {
        std::fs::write(spa.join(format!("{wasm}{suffix}")), body).unwrap_or_else(|e| panic!("{e}"));
    }
    for (accept, encoding, body) in [
        ("gzip, deflate, br, zstd", Some("br"), "brotli"),
        ("gzip, deflate", Some("gzip"), "gzip"),
        ("br;q=0, gzip", Some("gzip"), "gzip"),
        ("identity", None, "raw"),
    ] {
        let response = ureq::get(&server.url(&format!("/{wasm}")))
            .set("Accept-Encoding", accept)
            .call()
            .unwrap_or_else(|e| panic!("{accept}: {e}"));
        assert_eq!(response.header("content-encoding"), encoding, "{accept}");
        assert_eq!(response.content_type(), "application/wasm", "{accept}");
        assert_eq!(
            response.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(response.header("vary"), Some("accept-encoding"));
        assert_eq!(
            response.into_string().ok().as_deref(),
            Some(body),
            "{accept}"
        );
    }
    assert_eq!(server.get_text("/absent-0123456789abcdef.js").0, 404);
}

fn unknown_things_are_json_404s(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    // Every response, errors included, carries the hardening headers.
    let response = match ureq::get(&server.url("/api/nothing-here")).call() {
        Err(ureq::Error::Status(_, r)) => r,
        other => panic!("expected a 404, got {other:?}"),
    };
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(response.header("x-frame-options"), Some("DENY"));
    assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
    assert_error(&server, "/api/referentials/nope", 404, "not_found");
    assert_error(
        &server,
        "/api/referentials/bts-gpme/items/T.9.9.9",
        404,
        "not_found",
    );
    assert_error(
        &server,
        "/api/referentials/nope/items/T.1.2.4",
        404,
        "not_found",
    );
    assert_error(&server, "/api/nothing-here", 404, "not_found");
}

/// (method, documented path, concrete path, bearer token, JSON body, expected status).
type Case<'a> = (
    &'a str,
    &'a str,
    String,
    Option<&'a str>,
    Option<Value>,
    u16,
);

/// Every documented operation is exercised and every response validates against its schema.
fn responses_match_the_openapi_document(db: &TestDatabase) {
    let password = "correct horse battery staple";
    let created = run_cli_with(
        db,
        &referentials_dir(),
        &["admin", "create", "--email", "admin@exemple.fr"],
        &[("PASSERELLE_ADMIN_PASSWORD", password)],
    );
    assert!(created.status.success());
    let server = TestServer::start(db, &referentials_dir(), None);
    let (status, doc) = server.get("/api/openapi.json");
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let documented: BTreeSet<(String, String)> = passerelle_tests::documented_operations(&doc);
    let credentials = json!({ "email": "admin@exemple.fr", "password": password });
    let session = || -> (String, String) {
        let (status, body, cookie) = server.login("admin@exemple.fr", password);
        assert_eq!(status, 200, "{body}");
        (
            body["access_token"].as_str().unwrap_or_default().to_owned(),
            cookie.unwrap_or_default(),
        )
    };
    let (access, _) = session();
    let (to_log_out, _) = session();
    let (_, refresh_token) = session();
    let admin = Some(access.as_str());
    let weak = json!({ "current_password": password, "new_password": "court" });
    let wrong_login = json!({ "email": "admin@exemple.fr", "password": "pas le bon" });
    let cases: Vec<Case> = vec![
        ("GET", "/api/health", "/api/health".into(), None, None, 200),
        (
            "GET",
            "/api/openapi.json",
            "/api/openapi.json".into(),
            None,
            None,
            200,
        ),
        (
            "GET",
            "/api/referentials",
            "/api/referentials".into(),
            None,
            None,
            200,
        ),
        (
            "GET",
            "/api/referentials/{id}",
            "/api/referentials/bacpro-agora".into(),
            None,
            None,
            200,
        ),
        (
            "GET",
            "/api/referentials/{id}",
            "/api/referentials/nope".into(),
            None,
            None,
            404,
        ),
        (
            "GET",
            "/api/referentials/{id}/items/{code}",
            "/api/referentials/bts-ag-pme-pmi/items/T.2.1.4".into(),
            None,
            None,
            200,
        ),
        (
            "GET",
            "/api/referentials/{id}/items/{code}",
            "/api/referentials/crcn/items/9.9".into(),
            None,
            None,
            404,
        ),
        (
            "GET",
            "/api/referentials/{id}/export/moodle.csv",
            "/api/referentials/bts-gpme/export/moodle.csv".into(),
            None,
            None,
            200,
        ),
        (
            "GET",
            "/api/referentials/{id}/export/moodle.csv",
            "/api/referentials/nope/export/moodle.csv".into(),
            None,
            None,
            404,
        ),
        (
            "GET",
            "/api/referentials/{id}/export/case.json",
            "/api/referentials/crcn/export/case.json".into(),
            None,
            None,
            200,
        ),
        (
            "GET",
            "/api/referentials/{id}/export/case.json",
            "/api/referentials/nope/export/case.json".into(),
            None,
            None,
            404,
        ),
        (
            "GET",
            "/api/search",
            "/api/search?q=paie".into(),
            None,
            None,
            200,
        ),
        (
            "GET",
            "/api/search",
            "/api/search?q=".into(),
            None,
            None,
            400,
        ),
        (
            "POST",
            "/api/auth/login",
            "/api/auth/login".into(),
            None,
            Some(credentials.clone()),
            200,
        ),
        (
            "POST",
            "/api/auth/login",
            "/api/auth/login".into(),
            None,
            Some(wrong_login),
            401,
        ),
        (
            "POST",
            "/api/auth/refresh",
            "/api/auth/refresh".into(),
            None,
            Some(json!({ "refresh_token": refresh_token })),
            200,
        ),
        (
            "POST",
            "/api/auth/refresh",
            "/api/auth/refresh".into(),
            None,
            Some(json!({ "refresh_token": "x" })),
            401,
        ),
        (
            "GET",
            "/api/me",
            "/api/me".into(),
            Some(access.as_str()),
            None,
            200,
        ),
        ("GET", "/api/me", "/api/me".into(), None, None, 401),
        (
            "POST",
            "/api/auth/password",
            "/api/auth/password".into(),
            Some(access.as_str()),
            Some(weak),
            400,
        ),
        ("GET", "/api/pgi", "/api/pgi".into(), None, None, 200),
        (
            "POST",
            "/api/correspondences/implied",
            "/api/correspondences/implied".into(),
            None,
            Some(json!({ "items": [{ "referential_id": "bts-gpme", "code": "T.1.2.4" }] })),
            200,
        ),
        (
            "POST",
            "/api/correspondences/implied",
            "/api/correspondences/implied".into(),
            None,
            Some(json!({ "items": [{ "referential_id": "bts-gpme", "code": "T.9.9.9" }] })),
            422,
        ),
        (
            "POST",
            "/api/auth/activate",
            "/api/auth/activate".into(),
            None,
            Some(
                json!({ "email": "x@exemple.fr", "code": "AAAA-BBBB-CCCC", "password": password }),
            ),
            401,
        ),
        (
            "GET",
            "/api/establishment",
            "/api/establishment".into(),
            admin,
            None,
            404,
        ),
        (
            "POST",
            "/api/establishment",
            "/api/establishment".into(),
            admin,
            Some(json!({ "name": "Lycée Exemple", "uai": "0750001A", "academie": "Paris" })),
            201,
        ),
        (
            "GET",
            "/api/establishment",
            "/api/establishment".into(),
            admin,
            None,
            200,
        ),
        (
            "POST",
            "/api/school-years",
            "/api/school-years".into(),
            admin,
            Some(
                json!({ "label": "2026-2027", "starts_on": "2026-09-01", "ends_on": "2027-07-04" }),
            ),
            201,
        ),
        (
            "GET",
            "/api/school-years",
            "/api/school-years".into(),
            admin,
            None,
            200,
        ),
        (
            "POST",
            "/api/classes",
            "/api/classes".into(),
            admin,
            Some(
                json!({ "name": "T AGOrA A", "school_year_id": 1, "referential_id": "bacpro-agora" }),
            ),
            201,
        ),
        (
            "POST",
            "/api/classes",
            "/api/classes".into(),
            admin,
            Some(json!({ "name": "T X", "school_year_id": 1, "referential_id": "nope" })),
            422,
        ),
        (
            "GET",
            "/api/classes",
            "/api/classes".into(),
            admin,
            None,
            200,
        ),
        (
            "GET",
            "/api/classes/{id}",
            "/api/classes/1".into(),
            admin,
            None,
            200,
        ),
        (
            "GET",
            "/api/classes/{id}",
            "/api/classes/999".into(),
            admin,
            None,
            404,
        ),
        (
            "POST",
            "/api/accounts",
            "/api/accounts".into(),
            admin,
            Some(
                json!({ "email": "prof@exemple.fr", "first_name": "Paul", "last_name": "Prof", "roles": ["teacher"] }),
            ),
            201,
        ),
        (
            "GET",
            "/api/accounts",
            "/api/accounts?role=teacher".into(),
            admin,
            None,
            200,
        ),
        (
            "GET",
            "/api/accounts",
            "/api/accounts?role=chef".into(),
            admin,
            None,
            400,
        ),
        (
            "PATCH",
            "/api/accounts/{id}",
            "/api/accounts/2".into(),
            admin,
            Some(json!({ "first_name": "Paule" })),
            200,
        ),
        (
            "PUT",
            "/api/classes/{id}/teachers",
            "/api/classes/1/teachers".into(),
            admin,
            Some(json!({ "teacher_ids": [2] })),
            200,
        ),
        (
            "POST",
            "/api/invitations",
            "/api/invitations".into(),
            admin,
            Some(json!({ "user_ids": [] })),
            400,
        ),
        (
            "POST",
            "/api/class-lists/preview",
            "/api/class-lists/preview".into(),
            admin,
            None,
            400,
        ),
        (
            "POST",
            "/api/class-lists/commit",
            "/api/class-lists/commit".into(),
            admin,
            None,
            400,
        ),
        (
            "GET",
            "/api/exercises",
            "/api/exercises".into(),
            admin,
            None,
            200,
        ),
        (
            "POST",
            "/api/exercises",
            "/api/exercises".into(),
            admin,
            Some(
                json!({ "title": "Devis et factures", "items": [{ "referential_id": "bacpro-agora", "code": "S1.1.1", "main": true }] }),
            ),
            201,
        ),
        (
            "POST",
            "/api/exercises",
            "/api/exercises".into(),
            admin,
            Some(
                json!({ "title": "Devis", "items": [{ "referential_id": "bacpro-agora", "code": "Z9" }] }),
            ),
            422,
        ),
        (
            "GET",
            "/api/exercises/{id}",
            "/api/exercises/1".into(),
            admin,
            None,
            200,
        ),
        (
            "GET",
            "/api/exercises/{id}",
            "/api/exercises/999".into(),
            admin,
            None,
            404,
        ),
        (
            "PUT",
            "/api/exercises/{id}",
            "/api/exercises/1".into(),
            admin,
            Some(
                json!({ "title": "Devis et factures", "items": [{ "referential_id": "bacpro-agora", "code": "S1.1.1", "main": true }] }),
            ),
            200,
        ),
        (
            "POST",
            "/api/exercises/{id}/duplicate",
            "/api/exercises/1/duplicate".into(),
            admin,
            None,
            201,
        ),
        (
            "PUT",
            "/api/exercises/{id}/file",
            "/api/exercises/1/file".into(),
            admin,
            None,
            400,
        ),
        (
            "GET",
            "/api/exercises/{id}/file",
            "/api/exercises/1/file".into(),
            admin,
            None,
            404,
        ),
        (
            "DELETE",
            "/api/exercises/{id}/file",
            "/api/exercises/1/file".into(),
            admin,
            None,
            404,
        ),
        (
            "POST",
            "/api/exercises/suggestions",
            "/api/exercises/suggestions".into(),
            admin,
            Some(json!({ "referential_id": "bacpro-agora", "title": "Devis clients" })),
            200,
        ),
        (
            "GET",
            "/api/exercises/export.json",
            "/api/exercises/export.json".into(),
            admin,
            None,
            200,
        ),
        (
            "GET",
            "/api/exercises/export.xlsx",
            "/api/exercises/export.xlsx".into(),
            None,
            None,
            401,
        ),
        (
            "POST",
            "/api/exercises/import/preview",
            "/api/exercises/import/preview".into(),
            admin,
            None,
            400,
        ),
        (
            "POST",
            "/api/exercises/import/commit",
            "/api/exercises/import/commit".into(),
            admin,
            None,
            400,
        ),
        (
            "POST",
            "/api/classes/{id}/exercises",
            "/api/classes/1/exercises".into(),
            admin,
            Some(json!({ "exercise_id": 1, "starts_on": "2026-10-05", "ends_on": "2026-10-09" })),
            201,
        ),
        (
            "GET",
            "/api/classes/{id}/exercises",
            "/api/classes/1/exercises".into(),
            admin,
            None,
            200,
        ),
        (
            "PUT",
            "/api/assignments/{id}",
            "/api/assignments/1".into(),
            admin,
            Some(json!({ "exercise_id": 1, "starts_on": "2026-10-12" })),
            200,
        ),
        (
            "GET",
            "/api/classes/{id}/coverage",
            "/api/classes/1/coverage?on=2026-12-01".into(),
            admin,
            None,
            200,
        ),
        (
            "GET",
            "/api/classes/{id}/coverage.xlsx",
            "/api/classes/999/coverage.xlsx".into(),
            admin,
            None,
            404,
        ),
        (
            "GET",
            "/api/classes/{id}/progress",
            "/api/classes/1/progress".into(),
            admin,
            None,
            200,
        ),
        (
            "GET",
            "/api/students/{id}/progress",
            "/api/students/999/progress".into(),
            admin,
            None,
            404,
        ),
        (
            "GET",
            "/api/students/{id}/passeport.xlsx",
            "/api/students/999/passeport.xlsx".into(),
            admin,
            None,
            404,
        ),
        (
            "GET",
            "/api/students/{id}/portfolio.zip",
            "/api/students/999/portfolio.zip".into(),
            admin,
            None,
            404,
        ),
        (
            "GET",
            "/api/classes/{id}/passeports.zip",
            "/api/classes/999/passeports.zip".into(),
            admin,
            None,
            404,
        ),
        (
            "POST",
            "/api/coverage",
            "/api/coverage".into(),
            admin,
            Some(json!({ "referential_id": "bacpro-agora", "exercise_ids": [1, 2] })),
            200,
        ),
        (
            "DELETE",
            "/api/assignments/{id}",
            "/api/assignments/1".into(),
            admin,
            None,
            204,
        ),
        (
            "DELETE",
            "/api/exercises/{id}",
            "/api/exercises/2".into(),
            admin,
            None,
            204,
        ),
        (
            "GET",
            "/api/fiches",
            "/api/fiches?status=submitted".into(),
            admin,
            None,
            200,
        ),
        (
            "POST",
            "/api/fiches",
            "/api/fiches".into(),
            admin,
            Some(json!({ "title": "Facturation" })),
            403,
        ),
        (
            "GET",
            "/api/fiches/exercises",
            "/api/fiches/exercises".into(),
            admin,
            None,
            403,
        ),
        (
            "GET",
            "/api/fiches/{id}",
            "/api/fiches/1".into(),
            admin,
            None,
            404,
        ),
        (
            "PUT",
            "/api/fiches/{id}",
            "/api/fiches/1".into(),
            admin,
            Some(json!({ "title": "Facturation" })),
            404,
        ),
        (
            "DELETE",
            "/api/fiches/{id}",
            "/api/fiches/1".into(),
            admin,
            None,
            404,
        ),
        (
            "POST",
            "/api/fiches/{id}/submit",
            "/api/fiches/1/submit".into(),
            admin,
            None,
            404,
        ),
        (
            "POST",
            "/api/fiches/{id}/attachments",
            "/api/fiches/1/attachments?file_name=a.pdf".into(),
            admin,
            None,
            404,
        ),
        (
            "GET",
            "/api/fiches/{id}/attachments/{attachment}",
            "/api/fiches/1/attachments/1".into(),
            admin,
            None,
            404,
        ),
        (
            "DELETE",
            "/api/fiches/{id}/attachments/{attachment}",
            "/api/fiches/1/attachments/1".into(),
            admin,
            None,
            404,
        ),
        (
            "POST",
            "/api/fiches/{id}/comments",
            "/api/fiches/1/comments".into(),
            admin,
            Some(json!({ "comment": "Bien" })),
            404,
        ),
        (
            "POST",
            "/api/fiches/{id}/return",
            "/api/fiches/1/return".into(),
            admin,
            Some(json!({ "comment": "À reprendre" })),
            404,
        ),
        (
            "POST",
            "/api/fiches/{id}/validate",
            "/api/fiches/1/validate".into(),
            admin,
            Some(json!({ "levels": [] })),
            404,
        ),
        (
            "POST",
            "/api/fiches/{id}/reopen",
            "/api/fiches/1/reopen".into(),
            admin,
            Some(json!({ "reason": "Erreur" })),
            404,
        ),
        (
            "GET",
            "/api/reviews",
            "/api/reviews".into(),
            admin,
            None,
            200,
        ),
        (
            "GET",
            "/api/notifications",
            "/api/notifications".into(),
            admin,
            None,
            200,
        ),
        (
            "POST",
            "/api/notifications/read",
            "/api/notifications/read".into(),
            admin,
            Some(json!({ "ids": [] })),
            204,
        ),
        (
            "GET",
            "/api/grid-templates",
            "/api/grid-templates".into(),
            admin,
            None,
            200,
        ),
        (
            "GET",
            "/api/grid-templates/{id}",
            "/api/grid-templates/bacpro-agora:E31".into(),
            admin,
            None,
            200,
        ),
        (
            "PUT",
            "/api/grid-templates/{id}",
            "/api/grid-templates/bacpro-agora:E31".into(),
            admin,
            Some(
                json!({ "title": "E31", "criteria": [{ "code": "C1", "label": "Accueillir" }], "scale": ["Insuffisant", "Satisfaisant"] }),
            ),
            200,
        ),
        (
            "GET",
            "/api/grid-templates/{id}/versions",
            "/api/grid-templates/bacpro-agora:E31/versions".into(),
            admin,
            None,
            200,
        ),
        (
            "GET",
            "/api/exam-sessions",
            "/api/exam-sessions".into(),
            admin,
            None,
            200,
        ),
        (
            "POST",
            "/api/exam-sessions",
            "/api/exam-sessions".into(),
            admin,
            Some(
                json!({ "template_id": "bacpro-agora:E31", "label": "Session 2027", "starts_on": "2027-03-01", "ends_on": "2027-05-31", "class_ids": [999999] }),
            ),
            422,
        ),
        (
            "GET",
            "/api/exam-sessions/{id}",
            "/api/exam-sessions/999999".into(),
            admin,
            None,
            404,
        ),
        (
            "POST",
            "/api/exam-sessions/{id}/juries",
            "/api/exam-sessions/999999/juries".into(),
            admin,
            Some(json!({ "name": "Jury 1", "members": [] })),
            404,
        ),
        (
            "PUT",
            "/api/juries/{id}/candidates",
            "/api/juries/999999/candidates".into(),
            admin,
            Some(json!({ "candidate_ids": [] })),
            404,
        ),
        (
            "PUT",
            "/api/candidates/{id}/conformity",
            "/api/candidates/999999/conformity".into(),
            admin,
            Some(json!({ "conforme": true })),
            404,
        ),
        (
            "GET",
            "/api/candidates/{id}/grid",
            "/api/candidates/999999/grid".into(),
            admin,
            None,
            404,
        ),
        (
            "PUT",
            "/api/candidates/{id}/grid",
            "/api/candidates/999999/grid".into(),
            admin,
            Some(json!({ "levels": [] })),
            404,
        ),
        (
            "PUT",
            "/api/candidates/{id}/grid/mine",
            "/api/candidates/999999/grid/mine".into(),
            admin,
            Some(json!({ "levels": [] })),
            404,
        ),
        (
            "POST",
            "/api/candidates/{id}/grid/sign",
            "/api/candidates/999999/grid/sign".into(),
            admin,
            None,
            404,
        ),
        (
            "POST",
            "/api/candidates/{id}/grid/reopen",
            "/api/candidates/999999/grid/reopen".into(),
            admin,
            Some(json!({ "reason": "Erreur" })),
            404,
        ),
        (
            "POST",
            "/api/exam-sessions/{id}/publish",
            "/api/exam-sessions/999999/publish".into(),
            admin,
            None,
            404,
        ),
        (
            "GET",
            "/api/my-grids",
            "/api/my-grids".into(),
            admin,
            None,
            200,
        ),
        (
            "GET",
            "/api/candidates/{id}/grid.xlsx",
            "/api/candidates/999999/grid.xlsx".into(),
            admin,
            None,
            404,
        ),
        (
            "GET",
            "/api/exam-sessions/{id}/export.xlsx",
            "/api/exam-sessions/999999/export.xlsx".into(),
            admin,
            None,
            404,
        ),
        (
            "GET",
            "/api/exam-sessions/{id}/export.csv",
            "/api/exam-sessions/999999/export.csv".into(),
            admin,
            None,
            404,
        ),
        (
            "POST",
            "/api/exam-sessions/{id}/import/preview",
            "/api/exam-sessions/999999/import/preview".into(),
            admin,
            None,
            404,
        ),
        (
            "POST",
            "/api/exam-sessions/{id}/import/commit",
            "/api/exam-sessions/999999/import/commit".into(),
            admin,
            None,
            404,
        ),
        (
            "GET",
            "/api/audit",
            "/api/audit?limit=5".into(),
            admin,
            None,
            200,
        ),
        ("GET", "/api/audit", "/api/audit".into(), None, None, 401),
        (
            "POST",
            "/api/auth/logout",
            "/api/auth/logout".into(),
            Some(to_log_out.as_str()),
            None,
            204,
        ),
        (
            "POST",
            "/api/auth/logout",
            "/api/auth/logout".into(),
            Some(to_log_out.as_str()),
            None,
            401,
        ),
    ];
    let exercised: BTreeSet<(String, String)> = cases
        .iter()
        .map(|c| (c.0.to_owned(), c.1.to_owned()))
        .collect();
    assert_eq!(
        documented, exercised,
        "document and tests disagree on the operations"
    );

    for (method, template, path, bearer, body, expected) in cases {
        let (status, answer) = if template == "/api/auth/refresh" {
            // The refresh token travels in its cookie: the case's body names it.
            let token = body.as_ref().and_then(|b| b["refresh_token"].as_str());
            let (status, answer, _) = server.refresh(token.unwrap_or_default());
            (status, answer)
        } else {
            server.call(method, &path, bearer, body)
        };
        assert_eq!(status, expected, "{method} {path}: {answer}");
        let documented =
            &doc["paths"][template][method.to_lowercase()]["responses"][expected.to_string()];
        assert!(
            documented.is_object(),
            "{method} {template} {expected}: not documented"
        );
        if template == "/api/openapi.json" || expected == 204 {
            continue;
        }
        if documented["content"]["application/json"].is_null() {
            // A file that is not JSON (CSV): the documented media type must be the one served.
            let response = ureq::get(&server.url(&path))
                .call()
                .unwrap_or_else(|e| panic!("GET {path}: {e}"));
            let served = response.content_type().to_owned();
            assert!(
                documented["content"][served.as_str()].is_object(),
                "{method} {template} {expected}: serves {served}, not documented"
            );
            continue;
        }
        let schema = &documented["content"]["application/json"]["schema"];
        assert!(
            schema.is_object(),
            "{method} {template} {expected}: no schema documented"
        );
        let errors = passerelle_tests::schema_errors(&doc, schema, &answer);
        assert!(errors.is_empty(), "{method} {path}: {errors:?}");
    }
}

fn copy_referentials(to: &Path) {
    let from = referentials_dir();
    std::fs::create_dir_all(to.join("sources")).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(&from).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "toml") {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    for entry in std::fs::read_dir(from.join("sources"))
        .into_iter()
        .flatten()
        .flatten()
    {
        std::fs::copy(entry.path(), to.join("sources").join(entry.file_name()))
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
    assert!(text.contains(from), "{from} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap_or_else(|e| panic!("{e}"));
}

fn a_bad_file_is_refused_and_changes_nothing(db: &TestDatabase) {
    let dir = db.temp_dir().join("referentials");
    copy_referentials(&dir);
    let first = run_cli(db, &dir, &["load"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );

    // One good edit and two broken ones in another file: nothing may be written.
    replace_in(
        &dir.join("bts-gpme.toml"),
        "label = \"Facturation, suivi des règlements et des relances « clients »\"",
        "label = \"Facturation modifiée\"",
    );
    replace_in(
        &dir.join("crcn.toml"),
        "kind = \"competency\"",
        "kind = \"chapter\"",
    );
    replace_in(&dir.join("crcn.toml"), "parent = \"1\"", "parent = \"9\"");
    for args in [&["load", "--dry-run"][..], &["load"][..]] {
        let refused = run_cli(db, &dir, args);
        assert!(!refused.status.success(), "{args:?} accepted a bad file");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains("crcn.toml: item `1.1`: unknown kind `chapter`"),
            "{stderr}"
        );
        assert!(stderr.contains("parent `9` does not exist"), "{stderr}");
    }
    let server = TestServer::start(db, &referentials_dir(), None);
    let task: ItemDetail = server.get_ok("/api/referentials/bts-gpme/items/T.1.2.4");
    assert_eq!(
        task.item.label,
        "Facturation, suivi des règlements et des relances « clients »"
    );
    drop(server);

    // A serve with a bad folder refuses to start rather than serve half-loaded data.
    assert!(!passerelle_tests::serve_exits_with_success(
        db,
        &dir,
        &[("JWT_SECRET", passerelle_tests::test_jwt_secret())]
    ));
}

fn an_edited_file_updates_in_place_and_every_server_sees_it(db: &TestDatabase) {
    let dir = db.temp_dir().join("referentials");
    copy_referentials(&dir);
    // Two app servers on the same database, as in an académie deployment.
    let a = TestServer::start(db, &dir, None);
    let b = TestServer::start(db, &dir, None);
    let before: ReferentialDetail = b.get_ok("/api/referentials/bts-gpme");
    let again = run_cli(db, &dir, &["load"]);
    assert!(again.status.success());
    let unchanged: ReferentialDetail = b.get_ok("/api/referentials/bts-gpme");
    assert_eq!(
        unchanged.content_hash, before.content_hash,
        "reload must be idempotent"
    );

    replace_in(
        &dir.join("bts-gpme.toml"),
        "label = \"Facturation, suivi des règlements et des relances « clients »\"",
        "label = \"Facturation, suivi des règlements et relances « clients »\"",
    );
    let load = run_cli(db, &dir, &["load"]);
    assert!(
        load.status.success(),
        "{}",
        String::from_utf8_lossy(&load.stderr)
    );
    for server in [&a, &b] {
        // Servers re-check the database at most every MAX_STALENESS (500 ms).
        let after = passerelle_tests::eventually(|| {
            let d: ReferentialDetail = server.get_ok("/api/referentials/bts-gpme");
            (d.content_hash != before.content_hash).then_some(d)
        });
        assert_eq!(after.items.len(), before.items.len());
        let task = after.items.iter().find(|i| i.code == "T.1.2.4");
        assert_eq!(
            task.map(|t| t.label.as_str()),
            Some("Facturation, suivi des règlements et relances « clients »")
        );
    }
    // Same rows, updated in place: ids (what later links point to) did not change.
    let ids_after = item_ids(db);
    replace_in(
        &dir.join("bts-gpme.toml"),
        "label = \"Facturation, suivi des règlements et relances « clients »\"",
        "label = \"Facturation, suivi des règlements et des relances « clients »\"",
    );
    assert!(run_cli(db, &dir, &["load"]).status.success());
    assert_eq!(item_ids(db), ids_after);
}

/// (referential, code) → row id, read straight from the database.
fn item_ids(db: &TestDatabase) -> Vec<(String, String, i64)> {
    use diesel::prelude::*;
    use passerelle::schema::referential_items::dsl::*;
    let pool = passerelle::db::connect(&passerelle::config::DatabaseUrl::parse(&db.url), 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut conn = pool.get().unwrap_or_else(|e| panic!("{e}"));
    referential_items
        .select((referential_id, code, id))
        .order(id)
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The two migration folders describe one schema: same tables, columns (type,
/// nullability), and indexes (name, columns, uniqueness) on SQLite and PostgreSQL. A
/// migration written for one engine only fails here.
#[test]
fn sqlite_and_postgresql_schemas_match() {
    let Some(pg) = TestDatabase::create(Engine::Postgres) else {
        return;
    };
    let sqlite = TestDatabase::create(Engine::Sqlite).unwrap_or_else(|| panic!("sqlite"));
    let (lite_columns, lite_indexes) = schema_of(&sqlite);
    let (pg_columns, pg_indexes) = schema_of(&pg);
    assert!(lite_columns.len() > 100, "{lite_columns:?}");
    let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| -> Vec<String> {
        a.difference(b).cloned().collect()
    };
    assert_eq!(
        (
            only(&lite_columns, &pg_columns),
            only(&pg_columns, &lite_columns)
        ),
        (vec![], vec![]),
        "columns only on SQLite, only on PostgreSQL"
    );
    assert_eq!(
        (
            only(&lite_indexes, &pg_indexes),
            only(&pg_indexes, &lite_indexes)
        ),
        (vec![], vec![]),
        "indexes only on SQLite, only on PostgreSQL"
    );
}

/// `table.column type null|not null` for every column and `index table(columns) unique?`
/// for every index of the migrated database, in one vocabulary for both engines.
fn schema_of(db: &TestDatabase) -> (BTreeSet<String>, BTreeSet<String>) {
    use diesel::sql_types::{BigInt, Bool, Text};
    use diesel::{QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
        #[diesel(sql_type = Text)]
        data_type: String,
        #[diesel(sql_type = Bool)]
        nullable: bool,
    }
    #[derive(QueryableByName)]
    struct Index {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        index_name: String,
        #[diesel(sql_type = Text)]
        columns: String,
        #[diesel(sql_type = BigInt)]
        is_unique: i64,
    }
    /// One name per type: SQLite keeps the declared type, PostgreSQL its own.
    fn canonical(t: &str) -> String {
        match t.to_ascii_lowercase().as_str() {
            "bigint" | "bigserial" | "int8" => "bigint",
            "integer" | "int" | "int4" | "serial" => "integer",
            "text" | "character varying" | "varchar" => "text",
            "timestamp" | "timestamp without time zone" => "timestamp",
            "boolean" | "bool" => "boolean",
            "double precision" | "double" | "real" | "float8" => "double",
            "blob" | "bytea" => "binary",
            other => return other.to_owned(),
        }
        .to_owned()
    }
    let pool = passerelle::db::connect(&passerelle::config::DatabaseUrl::parse(&db.url), 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut conn = pool.get().unwrap_or_else(|e| panic!("{e}"));
    let (columns, indexes): (Vec<Column>, Vec<Index>) = match &mut *conn {
        passerelle::db::DbConnection::Sqlite(c) => (
            diesel::sql_query(
                // An INTEGER PRIMARY KEY is SQLite's 64-bit rowid: PostgreSQL's BIGSERIAL.
                "SELECT m.name AS table_name, p.name AS column_name, \
                 CASE WHEN p.pk = 1 AND upper(p.type) = 'INTEGER' THEN 'BIGINT' ELSE p.type END \
                 AS data_type, \
                 (p.\"notnull\" = 0 AND p.pk = 0) AS nullable \
                 FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
                 AND m.name <> '__diesel_schema_migrations'",
            )
            .load(c)
            .unwrap_or_else(|e| panic!("{e}")),
            diesel::sql_query(
                "SELECT m.name AS table_name, l.name AS index_name, \
                 (SELECT group_concat(i.name, ',') FROM pragma_index_info(l.name) i) AS columns, \
                 l.\"unique\" AS is_unique \
                 FROM sqlite_master m, pragma_index_list(m.name) l \
                 WHERE m.type = 'table' AND l.origin = 'c'",
            )
            .load(c)
            .unwrap_or_else(|e| panic!("{e}")),
        ),
        passerelle::db::DbConnection::Pg(c) => (
            diesel::sql_query(
                "SELECT table_name::text, column_name::text, data_type::text, \
                 (is_nullable = 'YES') AS nullable FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
            )
            .load(c)
            .unwrap_or_else(|e| panic!("{e}")),
            diesel::sql_query(
                "SELECT t.relname::text AS table_name, i.relname::text AS index_name, \
                 (SELECT string_agg(a.attname, ',' ORDER BY k.n) \
                  FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) \
                  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS columns, \
                 (CASE WHEN x.indisunique THEN 1 ELSE 0 END)::int8 AS is_unique \
                 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
                 JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace s ON s.oid = t.relnamespace \
                 WHERE s.nspname = 'public' AND NOT x.indisprimary \
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            )
            .load(c)
            .unwrap_or_else(|e| panic!("{e}")),
        ),
    };
    let columns = columns
        .into_iter()
        .map(|c| {
            format!(
                "{}.{} {} {}",
                c.table_name,
                c.column_name,
                canonical(&c.data_type),
                if c.nullable { "null" } else { "not null" }
            )
        })
        .collect();
    // A SQLite index always carries the row's id (its rowid) after its columns; a
    // PostgreSQL covering index names it in INCLUDE: the id past the first column is the
    // same on both.
    let indexes = indexes
        .into_iter()
        .map(|i| {
            let columns: Vec<&str> = i
                .columns
                .split(',')
                .enumerate()
                .filter(|(n, c)| *n == 0 || *c != "id")
                .map(|(_, c)| c)
                .collect();
            format!(
                "index {} on {}({}){}",
                i.index_name,
                i.table_name,
                columns.join(","),
                if i.is_unique != 0 { " unique" } else { "" }
            )
        })
        .collect();
    (columns, indexes)
}
