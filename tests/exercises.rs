//! PGI exercises over HTTP, on SQLite and PostgreSQL: catalogue and sharing, mapping and
//! its bad input, suggestions, the attached file, progression and coverage (JSON and xlsx,
//! re-read with calamine), catalogue exchange with its dry run.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use passerelle_api::{
    Assignment, CatalogueImportReport, Coverage, CoverageStatus, Exercise, ExerciseSummary,
    LinkStrength, Suggestion,
};
use passerelle_tests::school::School;
use passerelle_tests::{on_both_engines, referentials_dir, TestDatabase, TestServer};
use serde_json::{json, Value};

on_both_engines!(
    teachers_keep_share_and_duplicate_exercises,
    mapping_refuses_unknown_and_unmappable_items,
    suggestions_find_items_by_words,
    attached_files_are_checked_and_private,
    progression_drives_the_coverage_and_its_spreadsheet,
    catalogues_travel_between_schools_all_or_nothing,
);

/// A school with a BTS GPME class, two teachers (the first teaches the class) and a
/// student; returns tokens (teacher, other teacher, student) and the class id.
struct Setup<'a> {
    school: School<'a>,
    teacher: String,
    other_teacher: String,
    student: String,
    class: i64,
}

fn setup<'a>(server: &'a TestServer, db: &TestDatabase, uai: &str) -> Setup<'a> {
    let school = School::open(server, db, uai, &format!("direction@{uai}.fr"));
    let class = school.class("BTS GPME 1", "bts-gpme");
    let teacher = school.account(&format!("prof@{uai}.fr"), "Claire", "Dubreuil", "teacher");
    let other = school.account(&format!("autre@{uai}.fr"), "Marc", "Autre", "teacher");
    school.assign_teachers(class, &[teacher]);
    let report = school.import_csv(&format!(
        "nom;prénom;date de naissance;email;classe\nLefèvre;Rayan;12/03/2007;rayan@{uai}.fr;BTS GPME 1\n"
    ));
    let student = report["rows"][0]["user_id"].as_i64().unwrap_or_default();
    Setup {
        teacher: school.activate(teacher, &format!("prof@{uai}.fr")),
        other_teacher: school.activate(other, &format!("autre@{uai}.fr")),
        student: school.activate(student, &format!("rayan@{uai}.fr")),
        school,
        class,
    }
}

fn invoicing() -> Value {
    json!({
        "title": "Facturation des commandes clients — JUPITER MEDIA",
        "instructions": "Établir les factures des commandes livrées, puis relancer les clients en retard.",
        "software_id": "ebp",
        "base_id": "jupiter-media",
        "features": ["factures"],
        "duration_minutes": 110,
        "level": "1re année",
        "items": [
            { "referential_id": "bts-gpme", "code": "T.1.2.4", "main": true },
            { "referential_id": "bts-gpme", "code": "T.1.2.3", "main": false }
        ]
    })
}

fn create(server: &TestServer, token: &str, body: Value) -> Exercise {
    let (status, created) = server.call("POST", "/api/exercises", Some(token), Some(body));
    assert_eq!(status, 201, "{created}");
    serde_json::from_value(created).unwrap_or_else(|e| panic!("{e}"))
}

fn list(server: &TestServer, token: &str) -> Vec<ExerciseSummary> {
    let (status, body) = server.call("GET", "/api/exercises", Some(token), None);
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"))
}

fn teachers_keep_share_and_duplicate_exercises(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let s = setup(&server, db, "0750001a");
    let exercise = create(&server, &s.teacher, invoicing());
    assert_eq!(exercise.items.len(), 2);
    assert!(exercise.items[0].main, "main links come first");
    assert_eq!(exercise.items[0].code, "T.1.2.4");
    assert!(exercise.items[0].label.starts_with("Facturation"));
    assert!(exercise.can_edit);
    assert_eq!(exercise.author.last_name, "Dubreuil");
    // The features' module follows them; the links' correspondences are shown.
    assert!(
        exercise.modules.contains(&"gestion-commerciale".to_owned()),
        "{:?}",
        exercise.modules
    );
    assert!(
        exercise
            .implied
            .iter()
            .any(|c| c.referential_id == "bts-ag-pme-pmi" && c.code == "T.1.2.4"),
        "{:?}",
        exercise.implied
    );
    assert!(exercise
        .implied
        .iter()
        .any(|c| c.referential_id == "bacpro-agora" && c.code == "S1.2.2"));
    let path = format!("/api/exercises/{}", exercise.id);

    // Private: the colleague neither lists nor reads it; a student has no catalogue.
    assert!(list(&server, &s.other_teacher).is_empty());
    assert_eq!(
        server.call("GET", &path, Some(&s.other_teacher), None).0,
        404
    );
    assert_eq!(
        server
            .call("GET", "/api/exercises", Some(&s.student), None)
            .0,
        403
    );
    assert_eq!(server.call("GET", &path, Some(&s.student), None).0, 403);

    // Shared: the colleague reads and duplicates it, but may not edit or delete it.
    let mut shared = invoicing();
    shared["visibility"] = json!("establishment");
    let (status, body) = server.call("PUT", &path, Some(&s.teacher), Some(shared.clone()));
    assert_eq!(status, 200, "{body}");
    let seen = list(&server, &s.other_teacher);
    assert_eq!(seen.len(), 1);
    assert!(!seen[0].can_edit);
    assert_eq!(seen[0].main_items, ["bts-gpme:T.1.2.4"]);
    let (status, body) = server.call("PUT", &path, Some(&s.other_teacher), Some(shared));
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        server.call("DELETE", &path, Some(&s.other_teacher), None).0,
        403
    );
    let (status, copy) = server.call(
        "POST",
        &format!("{path}/duplicate"),
        Some(&s.other_teacher),
        None,
    );
    assert_eq!(status, 201, "{copy}");
    let copy: Exercise = serde_json::from_value(copy).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(copy.title, format!("{} (copie)", exercise.title));
    assert_eq!(copy.copied_from, Some(exercise.id));
    assert_eq!(copy.items, exercise.items);
    assert!(copy.can_edit);
    assert_eq!(copy.author.last_name, "Autre");
    // The copy is private to its new author.
    let mine: Vec<i64> = list(&server, &s.teacher).iter().map(|e| e.id).collect();
    assert_eq!(mine, [exercise.id]);

    // The admin sees and edits everything of the establishment.
    let admin_list = list(&server, &s.school.admin);
    assert_eq!(admin_list.len(), 2);
    let mut renamed = invoicing();
    renamed["title"] = json!("Facturation (revue)");
    let (status, body) = server.call("PUT", &path, Some(&s.school.admin), Some(renamed));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["title"], "Facturation (revue)");

    // Another establishment's teacher sees nothing of it, shared or not.
    let b = setup(&server, db, "0750002b");
    assert!(list(&server, &b.teacher).is_empty());
    assert_eq!(server.call("GET", &path, Some(&b.teacher), None).0, 404);
    assert_eq!(
        server
            .call("POST", &format!("{path}/duplicate"), Some(&b.teacher), None)
            .0,
        404
    );

    // Deleting: the author may; the copy survives with its link to the source cleared.
    let (status, _) = server.call("DELETE", &path, Some(&s.teacher), None);
    assert_eq!(status, 204);
    let (status, body) = server.call(
        "GET",
        &format!("/api/exercises/{}", copy.id),
        Some(&s.other_teacher),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["copied_from"], Value::Null);
}

fn mapping_refuses_unknown_and_unmappable_items(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let s = setup(&server, db, "0750001a");
    let attempt = |body: Value| server.call("POST", "/api/exercises", Some(&s.teacher), Some(body));

    let mut unknown = invoicing();
    unknown["items"][1]["code"] = json!("T.9.9.9");
    let (status, body) = attempt(unknown);
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "unknown_item");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("items[1]") && message.contains("bts-gpme:T.9.9.9"),
        "{message}"
    );

    let mut no_referential = invoicing();
    no_referential["items"][0]["referential_id"] = json!("bts-nope");
    assert_eq!(attempt(no_referential).1["code"], "unknown_item");

    let mut domain = invoicing();
    domain["items"][0]["code"] = json!("D1");
    let (status, body) = attempt(domain);
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "unmappable_item");

    let mut untitled = invoicing();
    untitled["title"] = json!("   ");
    let (status, body) = attempt(untitled);
    assert_eq!(status, 400, "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap_or_default()
        .starts_with("title"));

    let mut endless = invoicing();
    endless["duration_minutes"] = json!(100_000);
    let (status, body) = attempt(endless);
    assert_eq!(status, 400, "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap_or_default()
        .starts_with("duration_minutes"));

    // PGI ids must come from the catalogue.
    for (field, value) in [
        ("software_id", json!("sap")),
        ("base_id", json!("base-inconnue")),
        ("features", json!(["factures", "teleportation"])),
        ("modules", json!(["astrologie"])),
    ] {
        let mut body = invoicing();
        body[field] = value;
        let (status, answer) = attempt(body);
        assert_eq!(
            (status, answer["code"].as_str()),
            (422, Some("unknown_pgi")),
            "{field}"
        );
        assert!(
            answer["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with(field),
            "{answer}"
        );
    }

    // Nothing was written by the refused requests.
    assert!(list(&server, &s.teacher).is_empty());

    // Links to several referentials; repeated links merge, main wins.
    let mut several = invoicing();
    several["items"] = json!([
        { "referential_id": "bts-gpme", "code": "T.1.2.4", "main": false },
        { "referential_id": "bts-gpme", "code": "T.1.2.4", "main": true },
        { "referential_id": "bacpro-agora", "code": "S1.1.1", "main": false }
    ]);
    let exercise = create(&server, &s.teacher, several);
    assert_eq!(exercise.items.len(), 2);
    assert!(exercise.items[0].main && exercise.items[0].code == "T.1.2.4");
    assert_eq!(exercise.items[1].referential_id, "bacpro-agora");
}

fn suggestions_find_items_by_words(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let s = setup(&server, db, "0750001a");
    let (status, body) = server.call(
        "POST",
        "/api/exercises/suggestions",
        Some(&s.teacher),
        Some(json!({
            "referential_id": "bts-gpme",
            "title": "Facturer les clients et relancer les impayés",
            "instructions": "Saisir les règlements reçus."
        })),
    );
    assert_eq!(status, 200, "{body}");
    let suggestions: Vec<Suggestion> =
        serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"));
    assert!(!suggestions.is_empty());
    assert!(suggestions.len() <= passerelle_api::SUGGESTIONS_MAX);
    let top: Vec<&str> = suggestions
        .iter()
        .take(3)
        .map(|s| s.code.as_str())
        .collect();
    assert!(top.contains(&"T.1.2.4"), "{top:?}");
    let invoicing = suggestions.iter().find(|s| s.code == "T.1.2.4");
    assert!(invoicing.is_some_and(|s| s.words.iter().any(|w| w.starts_with("factur"))));
    assert!(suggestions.windows(2).all(|w| w[0].score >= w[1].score));
    // Accents do not matter.
    let (_, plain) = server.call(
        "POST",
        "/api/exercises/suggestions",
        Some(&s.teacher),
        Some(json!({ "referential_id": "bts-gpme", "title": "FACTURATION REGLEMENTS RELANCES" })),
    );
    assert_eq!(plain[0]["code"], "T.1.2.4", "{plain}");
    // By PGI features alone: items whose domain calls for invoicing.
    let (status, by_feature) = server.call(
        "POST",
        "/api/exercises/suggestions",
        Some(&s.teacher),
        Some(json!({ "referential_id": "bts-gpme", "features": ["factures"] })),
    );
    assert_eq!(status, 200, "{by_feature}");
    let by_feature: Vec<Suggestion> =
        serde_json::from_value(by_feature).unwrap_or_else(|e| panic!("{e}"));
    assert!(!by_feature.is_empty());
    assert!(by_feature
        .iter()
        .all(|s| s.features == ["factures"] && s.words.is_empty()));
    // Unknown referential, and students, are refused.
    let (status, body) = server.call(
        "POST",
        "/api/exercises/suggestions",
        Some(&s.teacher),
        Some(json!({ "referential_id": "nope", "title": "x" })),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("unknown_referential"))
    );
    let (status, _) = server.call(
        "POST",
        "/api/exercises/suggestions",
        Some(&s.student),
        Some(json!({ "referential_id": "bts-gpme", "title": "x" })),
    );
    assert_eq!(status, 403);
}

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn attached_files_are_checked_and_private(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let s = setup(&server, db, "0750001a");
    let exercise = create(&server, &s.teacher, invoicing());
    let file = format!("/api/exercises/{}/file", exercise.id);

    // A PDF whose name tries to climb out of any folder is kept under its last part.
    let (status, body) = server.send_bytes(
        "PUT",
        &format!("{file}?file_name=..%2F..%2Fetc%2Fconsignes%20facturation.pdf"),
        &s.teacher,
        PDF,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["file_name"], "consignes facturation.pdf");
    assert_eq!(body["content_type"], "application/pdf");
    assert_eq!(body["size"], PDF.len());
    let (status, content_type, disposition, bytes) = server.download(&file, &s.teacher);
    assert_eq!(status, 200);
    assert_eq!(content_type, "application/pdf");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert_eq!(bytes, PDF);

    // Type by content, not by name: a PNG called .pdf is refused, the PDF stays.
    let (status, body) = server.send_bytes(
        "PUT",
        &format!("{file}?file_name=image.pdf"),
        &s.teacher,
        b"\x89PNG\r\n\x1a\n0000",
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (415, Some("unsupported_type"))
    );
    // A docx with macros: refused, and the teacher is told why.
    let macros =
        passerelle::sniff::samples::docx_with_renamed_vba().unwrap_or_else(|e| panic!("{e}"));
    let (status, body) = server.send_bytes(
        "PUT",
        &format!("{file}?file_name=tp.docx"),
        &s.teacher,
        &macros,
    );
    assert_eq!(
        (status, body["message"].as_str()),
        (415, Some(passerelle::sniff::reason::MACROS)),
        "{body}"
    );
    // Over 10 MB: 413, the PDF stays.
    let mut huge = PDF.to_vec();
    huge.resize(passerelle_api::EXERCISE_FILE_MAX_BYTES + 1, b' ');
    let (status, body) = server.send_bytes("PUT", &file, &s.teacher, &huge);
    assert_eq!((status, body["code"].as_str()), (413, Some("too_large")));
    assert_eq!(server.download(&file, &s.teacher).3, PDF);
    // A name with NUL and 300 characters is cut down and cleaned.
    let long = format!("{}%00.pdf", "a".repeat(300));
    let (status, body) =
        server.send_bytes("PUT", &format!("{file}?file_name={long}"), &s.teacher, PDF);
    assert_eq!(status, 200, "{body}");
    let name = body["file_name"].as_str().unwrap_or_default();
    assert!(name.chars().count() <= 120 && name.ends_with(".pdf") && !name.contains('\0'));

    // The colleague gets nothing of a private exercise's file, nor may replace it.
    assert_eq!(server.download(&file, &s.other_teacher).0, 404);
    assert_eq!(
        server.send_bytes("PUT", &file, &s.other_teacher, PDF).0,
        404
    );
    assert_eq!(server.download(&file, &s.student).0, 403);
    // Removing it.
    assert_eq!(server.call("DELETE", &file, Some(&s.teacher), None).0, 204);
    assert_eq!(server.download(&file, &s.teacher).0, 404);
    assert_eq!(server.call("DELETE", &file, Some(&s.teacher), None).0, 404);
}

fn coverage(server: &TestServer, token: &str, path: &str) -> Coverage {
    let (status, body) = server.call("GET", path, Some(token), None);
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"))
}

fn progression_drives_the_coverage_and_its_spreadsheet(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let s = setup(&server, db, "0750001a");
    let class_path = format!("/api/classes/{}", s.class);
    let before = coverage(&server, &s.teacher, &format!("{class_path}/coverage"));
    assert!(before.exercises.is_empty());
    assert_eq!(before.covered_items, 0);
    assert!(
        before.total_items > 100,
        "every task and competency of BTS GPME"
    );
    assert!(before.rows.iter().all(|r| r.status == CoverageStatus::Gap));

    let invoicing = create(&server, &s.teacher, invoicing());
    let later = json!({
        "title": "Déclaration de TVA",
        "items": [
            { "referential_id": "bts-gpme", "code": "T.1.2.4", "main": false },
            { "referential_id": "bts-gpme", "code": "T.4.1.1", "main": true }
        ]
    });
    let vat = create(&server, &s.teacher, later);

    let assign = |exercise: i64, from: &str, to: &str| -> Assignment {
        let (status, body) = server.call(
            "POST",
            &format!("{class_path}/exercises"),
            Some(&s.teacher),
            Some(json!({ "exercise_id": exercise, "starts_on": from, "ends_on": to })),
        );
        assert_eq!(status, 201, "{body}");
        serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"))
    };
    let done = assign(invoicing.id, "2026-10-05", "2026-10-09");
    let planned = assign(vat.id, "2027-03-01", "2027-03-05");
    // Dates must be in order; exercises must be visible; students and strangers see nothing.
    let (status, body) = server.call(
        "POST",
        &format!("{class_path}/exercises"),
        Some(&s.teacher),
        Some(json!({ "exercise_id": vat.id, "starts_on": "2027-03-05", "ends_on": "2027-03-01" })),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap_or_default()
        .starts_with("ends_on"));
    let (status, body) = server.call(
        "POST",
        &format!("{class_path}/exercises"),
        Some(&s.teacher),
        Some(json!({ "exercise_id": 999_999, "starts_on": "2027-03-01" })),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("unknown_exercise"))
    );
    assert_eq!(
        server
            .call(
                "GET",
                &format!("{class_path}/exercises"),
                Some(&s.other_teacher),
                None
            )
            .0,
        404
    );
    assert_eq!(
        server
            .call(
                "GET",
                &format!("{class_path}/coverage"),
                Some(&s.student),
                None
            )
            .0,
        403
    );
    let (status, progression) = server.call(
        "GET",
        &format!("{class_path}/exercises"),
        Some(&s.teacher),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(progression.as_array().map(Vec::len), Some(2));
    assert_eq!(progression[0]["id"], done.id);

    // Judged on 2026-12-01: invoicing done, VAT planned.
    let on = format!("{class_path}/coverage?on=2026-12-01");
    let matrix = coverage(&server, &s.teacher, &on);
    assert_eq!(matrix.class_name.as_deref(), Some("BTS GPME 1"));
    assert_eq!(matrix.exercises.len(), 2);
    assert!(matrix.exercises[0].done && !matrix.exercises[1].done);
    let row = |code: &str| {
        matrix
            .rows
            .iter()
            .find(|r| r.code == code)
            .unwrap_or_else(|| panic!("row {code}"))
            .clone()
    };
    let t124 = row("T.1.2.4");
    assert_eq!(t124.status, CoverageStatus::Done);
    assert_eq!(t124.cells.len(), 2);
    assert_eq!(t124.cells[0].strength, LinkStrength::Main);
    assert_eq!(t124.cells[1].strength, LinkStrength::Secondary);
    assert_eq!(row("T.1.2.3").status, CoverageStatus::Done);
    assert_eq!(row("T.4.1.1").status, CoverageStatus::Planned);
    assert_eq!(row("T.1.1.1").status, CoverageStatus::Gap);
    let domain = row("D1");
    assert!(!domain.mappable);
    assert_eq!(domain.items_done, 2, "T.1.2.3 and T.1.2.4 under domain 1");
    // Grouping rows: counts and status only; their cells are merged from the rows below.
    assert!(domain.cells.is_empty());
    let merged = matrix.cells_by_row();
    let d1 = matrix
        .rows
        .iter()
        .position(|r| r.code == "D1")
        .unwrap_or_default();
    assert_eq!(
        merged[d1].len(),
        2,
        "both exercises practise items of domain 1"
    );
    // No fiche in the class yet: no student has evidence of any item.
    assert_eq!(t124.students_evidenced, Some(0));
    assert_eq!(domain.students_evidenced, None);
    assert_eq!(matrix.covered_items, 3);
    assert_eq!(matrix.done_items, 2);
    // Judged before the first exercise ended: nothing done yet.
    let early = coverage(
        &server,
        &s.teacher,
        &format!("{class_path}/coverage?on=2026-10-01"),
    );
    assert_eq!((early.done_items, early.covered_items), (0, 3));
    // Filters: under a domain, one kind.
    let d1_tasks = coverage(
        &server,
        &s.teacher,
        &format!("{class_path}/coverage?on=2026-12-01&under=D1&kind=task"),
    );
    assert!(d1_tasks.rows.iter().all(|r| r.code.starts_with("T.1.")));
    assert_eq!(d1_tasks.covered_items, 2);
    let (status, body) = server.call(
        "GET",
        &format!("{class_path}/coverage?under=Z9"),
        Some(&s.teacher),
        None,
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_query"))
    );

    // The spreadsheet: same matrix, letters and statuses, conditional colours.
    let (status, content_type, _, bytes) =
        server.download(&on.replace("coverage?", "coverage.xlsx?"), &s.teacher);
    assert_eq!(status, 200);
    assert!(content_type.contains("spreadsheetml"), "{content_type}");
    let mut workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes.clone())).unwrap_or_else(|e| panic!("{e}"));
    let sheet = workbook
        .worksheet_range("Couverture")
        .unwrap_or_else(|e| panic!("{e}"));
    let text = |r: u32, c: u32| -> String {
        match sheet.get_value((r, c)) {
            Some(Data::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        }
    };
    assert_eq!(text(3, 5), "Élèves ayant une preuve validée");
    assert_eq!(text(3, 6), invoicing.title);
    assert_eq!(text(3, 7), vat.title);
    let line = (0..sheet.height() as u32)
        .find(|&r| text(r, 0) == "T.1.2.4")
        .unwrap_or_else(|| panic!("T.1.2.4 row"));
    assert_eq!(
        (text(line, 4), text(line, 5), text(line, 6), text(line, 7)),
        (
            "travaillé".to_owned(),
            "0".to_owned(),
            "P".to_owned(),
            "S".to_owned()
        )
    );
    let gap = (0..sheet.height() as u32)
        .find(|&r| text(r, 0) == "T.1.1.1")
        .unwrap_or_else(|| panic!("T.1.1.1 row"));
    assert_eq!(text(gap, 4), "non couvert");
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap_or_else(|e| panic!("{e}"));
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut archive
            .by_name("xl/worksheets/sheet1.xml")
            .unwrap_or_else(|e| panic!("{e}")),
        &mut xml,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(xml.matches("<cfRule").count() >= 6, "colours by rule");

    // Moving and removing assignments; an assigned exercise cannot be deleted.
    let (status, body) = server.call(
        "DELETE",
        &format!("/api/exercises/{}", vat.id),
        Some(&s.teacher),
        None,
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("exercise_assigned"))
    );
    assert!(body["message"]
        .as_str()
        .unwrap_or_default()
        .contains("BTS GPME 1"));
    let (status, body) = server.call(
        "PUT",
        &format!("/api/assignments/{}", planned.id),
        Some(&s.teacher),
        Some(json!({ "exercise_id": vat.id, "starts_on": "2026-11-02", "ends_on": "2026-11-06" })),
    );
    assert_eq!(status, 200, "{body}");
    let moved = coverage(&server, &s.teacher, &on);
    assert_eq!(moved.done_items, 3);
    assert_eq!(
        server
            .call(
                "DELETE",
                &format!("/api/assignments/{}", planned.id),
                Some(&s.other_teacher),
                None
            )
            .0,
        404
    );
    assert_eq!(
        server
            .call(
                "DELETE",
                &format!("/api/assignments/{}", planned.id),
                Some(&s.teacher),
                None
            )
            .0,
        204
    );
    assert_eq!(
        server
            .call(
                "DELETE",
                &format!("/api/exercises/{}", vat.id),
                Some(&s.teacher),
                None
            )
            .0,
        204
    );

    // An exercise set's coverage, without a class.
    let (status, body) = server.call(
        "POST",
        "/api/coverage",
        Some(&s.teacher),
        Some(json!({ "referential_id": "bts-gpme", "exercise_ids": [invoicing.id] })),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["covered_items"], 2);
    assert_eq!(body["class_id"], Value::Null);
    let (status, body) = server.call(
        "POST",
        "/api/coverage",
        Some(&s.other_teacher),
        Some(json!({ "referential_id": "bts-gpme", "exercise_ids": [invoicing.id] })),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("unknown_exercise"))
    );
}

fn catalogues_travel_between_schools_all_or_nothing(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let a = setup(&server, db, "0750001a");
    let b = setup(&server, db, "0750002b");
    create(&server, &a.teacher, invoicing());
    let mut second = invoicing();
    second["title"] = json!("Relances clients");
    second["duration_minutes"] = Value::Null;
    create(&server, &a.teacher, second);

    // JSON: export from A, preview then commit in B.
    let (status, _, disposition, json_bytes) =
        server.download("/api/exercises/export.json", &a.teacher);
    assert_eq!(status, 200);
    assert!(disposition.contains("catalogue-exercices.json"));
    let catalogue: Value = serde_json::from_slice(&json_bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(catalogue["format"], "passerelle-exercises");
    assert_eq!(catalogue["exercises"].as_array().map(Vec::len), Some(2));
    let (status, body) = server.upload(
        "/api/exercises/import/preview?file_name=catalogue.json",
        &b.teacher,
        &json_bytes,
    );
    assert_eq!(status, 200, "{body}");
    let preview: CatalogueImportReport =
        serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (preview.created, preview.errors, preview.committed),
        (2, 0, false)
    );
    assert!(
        list(&server, &b.teacher).is_empty(),
        "a preview writes nothing"
    );

    // A catalogue naming unknown codes: every one reported, nothing written.
    let mut broken = catalogue.clone();
    broken["exercises"][0]["items"][0]["code"] = json!("T.8.8.8");
    broken["exercises"][1]["items"][1]["referential_id"] = json!("bts-inconnu");
    let broken = serde_json::to_vec(&broken).unwrap_or_default();
    let (status, body) = server.upload(
        "/api/exercises/import/preview?file_name=catalogue.json",
        &b.teacher,
        &broken,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["errors"], 2);
    let messages = body.to_string();
    assert!(
        messages.contains("bts-gpme:T.8.8.8") && messages.contains("bts-inconnu:"),
        "{messages}"
    );
    let (status, body) = server.upload(
        "/api/exercises/import/commit?file_name=catalogue.json",
        &b.teacher,
        &broken,
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("rows_with_errors"))
    );
    assert!(list(&server, &b.teacher).is_empty());

    let (status, body) = server.upload(
        "/api/exercises/import/commit?file_name=catalogue.json",
        &b.teacher,
        &json_bytes,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["committed"], true);
    let imported = list(&server, &b.teacher);
    assert_eq!(imported.len(), 2);
    assert!(imported.iter().all(|e| e.can_edit));

    // xlsx: export from B, re-import into A's colleague; cells name the unknown codes.
    let (status, content_type, _, xlsx) = server.download("/api/exercises/export.xlsx", &b.teacher);
    assert_eq!(status, 200);
    assert!(content_type.contains("spreadsheetml"));
    let (status, body) = server.upload(
        "/api/exercises/import/commit?file_name=catalogue.xlsx",
        &a.other_teacher,
        &xlsx,
    );
    assert_eq!(status, 200, "{body}");
    let copies = list(&server, &a.other_teacher);
    assert_eq!(copies.len(), 2);
    let detail: Exercise = serde_json::from_value(
        server
            .call(
                "GET",
                &format!("/api/exercises/{}", copies[0].id),
                Some(&a.other_teacher),
                None,
            )
            .1,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(detail.items.len(), 2);
    assert_eq!(detail.features, ["factures"]);

    let mut sheet = rust_xlsxwriter::Workbook::new();
    let ws = sheet.add_worksheet();
    for (c, h) in ["Titre", "Éléments principaux", "Durée (min)"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    ws.write_string(1, 0, "Paie")
        .unwrap_or_else(|e| panic!("{e}"));
    ws.write_string(1, 1, "bts-gpme:T.7.7.7; sans-deux-points")
        .unwrap_or_else(|e| panic!("{e}"));
    ws.write_string(1, 2, "deux heures")
        .unwrap_or_else(|e| panic!("{e}"));
    let bad = sheet.save_to_buffer().unwrap_or_else(|e| panic!("{e}"));
    let (status, body) = server.upload(
        "/api/exercises/import/preview?file_name=catalogue.xlsx",
        &a.other_teacher,
        &bad,
    );
    assert_eq!(status, 200, "{body}");
    let text = body.to_string();
    assert!(
        text.contains("T.7.7.7")
            && text.contains("sans-deux-points")
            && text.contains("deux heures"),
        "{text}"
    );
    assert!(text.contains("ligne 2"), "{text}");
    // Not a catalogue at all.
    let (status, body) = server.upload(
        "/api/exercises/import/preview?file_name=x.json",
        &a.teacher,
        b"{\"format\": \"autre\", \"version\": 1, \"exercises\": []}",
    );
    assert_eq!((status, body["code"].as_str()), (422, Some("wrong_format")));
    let (status, _) = server.upload("/api/exercises/import/preview", &a.student, &json_bytes);
    assert_eq!(status, 403);
}
