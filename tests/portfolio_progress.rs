//! Portfolio progress and exports over HTTP, on SQLite and PostgreSQL: a student writes
//! and submits fiches, the teacher validates them with levels; the student's and the
//! class's progress count them per item and per bloc and list what a CCF épreuve still
//! lacks; the passeport (xlsx, re-read with calamine), the student's archive and the
//! class's archive (zip, re-opened) hold what they should; strangers get 404 everywhere.
//! And `passerelle generate --fiches-per-student` fills portfolios the same views read.

use std::collections::BTreeSet;
use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use passerelle_api::{ClassProgress, StudentProgress};
use passerelle_tests::school::{sign_in, School, PASSWORD};
use passerelle_tests::{
    assert_matches_component, on_both_engines, referentials_dir, run_cli_with, TestDatabase,
    TestServer,
};
use serde_json::{json, Value};

on_both_engines!(
    progress_counts_fiches_levels_blocs_and_what_is_missing,
    exports_hold_the_passeport_the_pages_and_the_attachments,
    generated_portfolios_show_in_the_progress,
);

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

/// Establishment A: a BTS GPME class with its teacher, two students (Léa, Tom); another
/// teacher; establishment B's admin.
struct Setup<'a> {
    school: School<'a>,
    class: i64,
    student_id: i64,
    student: String,
    classmate_id: i64,
    classmate: String,
    teacher: String,
    other_teacher: String,
    other_admin: String,
}

fn setup<'a>(server: &'a TestServer, db: &TestDatabase, uai: &str) -> Setup<'a> {
    let school = School::open(server, db, uai, &format!("direction@{uai}.fr"));
    let class = school.class("BTS GPME 2", "bts-gpme");
    let teacher = school.account(&format!("prof@{uai}.fr"), "Claire", "Dubreuil", "teacher");
    let other = school.account(&format!("autre@{uai}.fr"), "Marc", "Autre", "teacher");
    school.assign_teachers(class, &[teacher]);
    let report = school.import_csv(&format!(
        "nom;prénom;date de naissance;email;classe\n\
         Dupont;Léa;12/03/2006;lea@{uai}.fr;BTS GPME 2\n\
         Martin;Tom;01/02/2006;tom@{uai}.fr;BTS GPME 2\n"
    ));
    let id = |i: usize| report["rows"][i]["user_id"].as_i64().unwrap_or_default();
    let other_uai = format!("{}z", &uai[..uai.len() - 1]);
    let b = School::open(server, db, &other_uai, &format!("direction@{other_uai}.fr"));
    Setup {
        class,
        student_id: id(0),
        student: school.activate(id(0), &format!("lea@{uai}.fr")),
        classmate_id: id(1),
        classmate: school.activate(id(1), &format!("tom@{uai}.fr")),
        teacher: school.activate(teacher, &format!("prof@{uai}.fr")),
        other_teacher: school.activate(other, &format!("autre@{uai}.fr")),
        other_admin: b.admin.clone(),
        school,
    }
}

fn write_fiche(server: &TestServer, token: &str, title: &str, items: &[&str]) -> i64 {
    let (status, body) = server.call(
        "POST",
        "/api/fiches",
        Some(token),
        Some(json!({
            "title": title,
            "context": "internship",
            "firm": { "name": "SARL Durand & Fils", "sector": "Négoce", "tutor": "Mme Roux" },
            "starts_on": "2026-10-05",
            "ends_on": "2026-10-09",
            "description": "J'ai **établi** les devis <b>clients</b> dans le PGI.",
            "software_id": "ebp",
            "other_software": "Tableur",
            "items": items,
        })),
    );
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap_or_default()
}

fn submit(server: &TestServer, token: &str, id: i64) {
    let (status, body) = server.call(
        "POST",
        &format!("/api/fiches/{id}/submit"),
        Some(token),
        None,
    );
    assert_eq!(status, 200, "{body}");
}

fn validate(server: &TestServer, token: &str, id: i64, levels: Value) {
    let (status, body) = server.call(
        "POST",
        &format!("/api/fiches/{id}/validate"),
        Some(token),
        Some(json!({ "comment": "Travail soigné, contrôles à détailler.", "levels": levels })),
    );
    assert_eq!(status, 200, "{body}");
}

fn decode<T: serde::de::DeserializeOwned>(status: u16, body: Value) -> T {
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"))
}

/// Léa: F1 (T.1.1.1, B1.C1) validated at levels 3 and 2; F2 (T.1.1.1, T.4.1.1) validated,
/// T.1.1.1 at 4; F3 (T.2.1.1) submitted; F4 (T.3.1.1) a draft. Returns the fiche ids.
fn fill_portfolio(server: &TestServer, s: &Setup) -> [i64; 4] {
    let f1 = write_fiche(
        server,
        &s.student,
        "Devis <clients> & relances",
        &["T.1.1.1", "B1.C1"],
    );
    let f2 = write_fiche(
        server,
        &s.student,
        "Commandes fournisseurs",
        &["T.4.1.1", "T.1.1.1"],
    );
    let f3 = write_fiche(server, &s.student, "Veille sur les risques", &["T.2.1.1"]);
    let f4 = write_fiche(server, &s.student, "Brouillon paie", &["T.3.1.1"]);
    for id in [f1, f2, f3] {
        submit(server, &s.student, id);
    }
    validate(
        server,
        &s.teacher,
        f1,
        json!([{ "code": "T.1.1.1", "level": 3 }, { "code": "B1.C1", "level": 2 }]),
    );
    validate(
        server,
        &s.teacher,
        f2,
        json!([{ "code": "T.1.1.1", "level": 4 }]),
    );
    [f1, f2, f3, f4]
}

fn position(items: &[passerelle_api::ProgressItem], code: &str) -> usize {
    items
        .iter()
        .position(|i| i.code == code)
        .unwrap_or_else(|| panic!("no item {code}"))
}

fn progress_counts_fiches_levels_blocs_and_what_is_missing(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let s = setup(&server, db, "0750101p");
    // Nothing yet: every CCF item is missing.
    let path = format!("/api/students/{}/progress", s.student_id);
    let (status, body) = server.call("GET", &path, Some(&s.student), None);
    let empty: StudentProgress = decode(status, body);
    let ccf_items = empty.items.iter().filter(|i| i.ccf).count();
    assert_eq!(empty.missing.len(), ccf_items);
    assert!(ccf_items > 50, "{ccf_items}");
    let [_, _, f3, _] = fill_portfolio(&server, &s);
    let (_, doc) = server.get("/api/openapi.json");

    for token in [&s.student, &s.teacher, &s.school.admin] {
        let (status, body) = server.call(
            "GET",
            &format!("{path}?class_id={}", s.class),
            Some(token),
            None,
        );
        assert_matches_component(&doc, "StudentProgress", &body);
        let p: StudentProgress = decode(status, body);
        assert_eq!(p.student.id, s.student_id);
        assert_eq!(p.class_name, "BTS GPME 2");
        assert_eq!(p.referential_id, "bts-gpme");
        assert_eq!(p.scale.len(), 4);
        assert_eq!(p.cells.len(), p.items.len());
        assert_eq!((p.fiches_validated, p.fiches_pending), (2, 1));
        let cell = |code: &str| p.cells[position(&p.items, code)];
        assert_eq!(
            (cell("T.1.1.1").validated, cell("T.1.1.1").level),
            (2, Some(4))
        );
        assert_eq!((cell("B1.C1").validated, cell("B1.C1").level), (1, Some(2)));
        assert_eq!(
            (cell("T.4.1.1").validated, cell("T.4.1.1").level),
            (1, None)
        );
        assert_eq!((cell("T.2.1.1").validated, cell("T.2.1.1").pending), (0, 1));
        assert_eq!(cell("T.3.1.1"), Default::default(), "drafts do not count");
        // Tasks under a domain belong to its bloc; B1 (U4) and B4 (U6) are in CCF.
        let item = &p.items[position(&p.items, "T.1.1.1")];
        assert_eq!((item.bloc.as_deref(), item.ccf), (Some("B1"), true));
        let item = &p.items[position(&p.items, "T.2.1.1")];
        assert_eq!((item.bloc.as_deref(), item.ccf), (Some("B2"), false));
        let blocs: Vec<(&str, Vec<String>, bool, u32)> = p
            .blocs
            .iter()
            .map(|b| (b.code.as_str(), b.units.clone(), b.ccf, b.evidenced))
            .collect();
        assert_eq!(
            blocs,
            [
                ("B1", vec!["U4".to_owned()], true, 2),
                ("B2", vec!["U51".to_owned()], false, 0),
                ("B3", vec!["U52".to_owned()], false, 0),
                ("B4", vec!["U6".to_owned()], true, 1),
            ]
        );
        assert_eq!(
            p.blocs.iter().map(|b| b.items).sum::<u32>() as usize,
            p.items.len()
        );
        assert_eq!(p.missing.len(), ccf_items - 3);
        assert!(p.missing.contains(&"T.1.1.2".to_owned()));
        assert!(!p.missing.contains(&"T.1.1.1".to_owned()));
        assert!(
            !p.missing.iter().any(|c| c.starts_with("T.2.")),
            "{:?}",
            p.missing
        );
    }

    let class_path = format!("/api/classes/{}/progress", s.class);
    for token in [&s.teacher, &s.school.admin] {
        let (status, body) = server.call("GET", &class_path, Some(token), None);
        assert_matches_component(&doc, "ClassProgress", &body);
        let c: ClassProgress = decode(status, body);
        assert_eq!(c.class_id, s.class);
        let names: Vec<&str> = c
            .students
            .iter()
            .map(|r| r.student.last_name.as_str())
            .collect();
        assert_eq!(names, ["Dupont", "Martin"]);
        let lea = &c.students[0];
        let t111 = position(&c.items, "T.1.1.1");
        assert_eq!(
            (lea.cells[t111].validated, lea.cells[t111].level),
            (2, Some(4))
        );
        assert_eq!(lea.blocs_evidenced, [2, 0, 0, 1]);
        assert_eq!(lea.missing as usize, ccf_items - 3);
        assert_eq!((lea.fiches_validated, lea.fiches_pending), (2, 1));
        let tom = &c.students[1];
        assert_eq!(tom.student.id, s.classmate_id);
        assert!(tom.cells.iter().all(|cell| *cell == Default::default()));
        assert_eq!(tom.missing as usize, ccf_items);
        let evidenced: Vec<u32> = c.blocs.iter().map(|b| b.evidenced).collect();
        assert_eq!(evidenced, [2, 0, 0, 1]);
    }

    // The class's coverage counts the students with validated evidence of each item.
    let (status, coverage) = server.call(
        "GET",
        &format!("/api/classes/{}/coverage", s.class),
        Some(&s.teacher),
        None,
    );
    assert_eq!(status, 200, "{coverage}");
    let evidenced = |code: &str| {
        coverage["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["code"] == code)
            .map(|r| r["students_evidenced"].clone())
            .unwrap_or_else(|| panic!("no row {code}"))
    };
    assert_eq!(evidenced("T.1.1.1"), json!(1));
    assert_eq!(evidenced("T.2.1.1"), json!(0));
    assert_eq!(evidenced("D1"), Value::Null, "grouping rows carry no count");

    // A change made through a second server on the same database shows on the first,
    // which had read the class before: what a server keeps of a class's fiches is
    // checked against the database on every read.
    let second = TestServer::start(db, &referentials_dir(), None);
    validate(
        &second,
        &s.teacher,
        f3,
        json!([{ "code": "T.2.1.1", "level": 3 }]),
    );
    let (status, body) = server.call("GET", &class_path, Some(&s.teacher), None);
    let c: ClassProgress = decode(status, body);
    let lea = &c.students[0];
    let t211 = lea.cells[position(&c.items, "T.2.1.1")];
    assert_eq!((t211.validated, t211.pending, t211.level), (1, 0, Some(3)));
    assert_eq!((lea.fiches_validated, lea.fiches_pending), (3, 0));
    assert_eq!(lea.blocs_evidenced, [2, 1, 0, 1]);
    let (_, coverage) = server.call(
        "GET",
        &format!("/api/classes/{}/coverage", s.class),
        Some(&s.teacher),
        None,
    );
    let row = coverage["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["code"] == "T.2.1.1")
        .cloned()
        .unwrap_or_default();
    assert_eq!(row["students_evidenced"], json!(1), "{row}");

    // Strangers: 404 whether the student exists or not; a student has no class view.
    for token in [&s.classmate, &s.other_teacher, &s.other_admin] {
        assert_eq!(server.call("GET", &path, Some(token), None).0, 404);
        assert_eq!(
            server
                .call("GET", "/api/students/999999/progress", Some(token), None)
                .0,
            404
        );
    }
    for token in [&s.student, &s.classmate, &s.other_teacher, &s.other_admin] {
        assert_eq!(server.call("GET", &class_path, Some(token), None).0, 404);
    }
    assert_eq!(server.call("GET", &path, None, None).0, 401);
    // A class the student is not in.
    let (status, _) = server.call(
        "GET",
        &format!("{path}?class_id={}", s.class + 1000),
        Some(&s.teacher),
        None,
    );
    assert_eq!(status, 404);
}

fn cell_text(sheet: &calamine::Range<Data>, row: u32, col: u32) -> String {
    match sheet.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn open_zip(bytes: Vec<u8>) -> zip::ZipArchive<Cursor<Vec<u8>>> {
    zip::ZipArchive::new(Cursor::new(bytes)).unwrap_or_else(|e| panic!("zip: {e}"))
}

fn entry(zip: &mut zip::ZipArchive<Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
    let mut file = zip.by_name(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    bytes
}

fn exports_hold_the_passeport_the_pages_and_the_attachments(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let s = setup(&server, db, "0750102p");
    // F1 carries a PDF (added while a draft).
    let f1 = write_fiche(
        &server,
        &s.student,
        "Devis <clients> & relances",
        &["T.1.1.1", "B1.C1"],
    );
    let (status, body) = server.upload(
        &format!("/api/fiches/{f1}/attachments?file_name=devis%20client.pdf"),
        &s.student,
        PDF,
    );
    assert_eq!(status, 201, "{body}");
    let f2 = write_fiche(
        &server,
        &s.student,
        "Commandes fournisseurs",
        &["T.4.1.1", "T.1.1.1"],
    );
    write_fiche(&server, &s.student, "Brouillon paie", &["T.3.1.1"]);
    submit(&server, &s.student, f2);
    submit(&server, &s.student, f1);
    validate(
        &server,
        &s.teacher,
        f1,
        json!([{ "code": "T.1.1.1", "level": 3 }, { "code": "B1.C1", "level": 2 }]),
    );

    // Passeport: identity, head, one row per non-draft fiche, validated first.
    let xlsx_path = format!("/api/students/{}/passeport.xlsx", s.student_id);
    let (status, content_type, disposition, bytes) = server.download(&xlsx_path, &s.student);
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("application/vnd.openxmlformats"),
        "{content_type}"
    );
    assert!(
        disposition.contains("passeport-dupont-lea.xlsx"),
        "{disposition}"
    );
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap_or_else(|e| panic!("{e}"));
    let sheet = book
        .worksheet_range("Passeport")
        .unwrap_or_else(|e| panic!("{e}"));
    // calamine's range starts at the first used cell: A1 here.
    assert_eq!(cell_text(&sheet, 0, 0), "Passeport professionnel");
    assert_eq!(cell_text(&sheet, 1, 1), "Léa Dupont");
    assert_eq!(cell_text(&sheet, 2, 1), "BTS GPME 2");
    assert_eq!(cell_text(&sheet, 3, 1), "BTS Gestion de la PME (2018)");
    assert_eq!(cell_text(&sheet, 5, 1), "2 dont 1 validée(s)");
    assert_eq!(cell_text(&sheet, 7, 0), "Date(s)");
    assert_eq!(cell_text(&sheet, 7, 4), "Statut");
    let width = sheet.width() as u32;
    let column = |code: &str| {
        (5..width)
            .find(|&c| cell_text(&sheet, 8, c) == code)
            .unwrap_or_else(|| panic!("no column {code}"))
    };
    let (t111, c1, t411, t311) = (
        column("T.1.1.1"),
        column("B1.C1"),
        column("T.4.1.1"),
        column("T.3.1.1"),
    );
    assert!(
        cell_text(&sheet, 7, 5).starts_with("B1 "),
        "{}",
        cell_text(&sheet, 7, 5)
    );
    assert!(cell_text(&sheet, 7, 5).contains("(CCF)"));
    assert!(!cell_text(&sheet, 9, t111).is_empty(), "the item's label");
    // Row 10: F1, validated, with level names; row 11: F2, submitted, ticked.
    assert_eq!(cell_text(&sheet, 10, 0), "05/10/2026 – 09/10/2026");
    assert_eq!(cell_text(&sheet, 10, 1), "Devis <clients> & relances");
    assert!(cell_text(&sheet, 10, 2).starts_with("Période en entreprise : SARL Durand & Fils"));
    assert_eq!(cell_text(&sheet, 10, 3), "EBP, Tableur");
    assert_eq!(cell_text(&sheet, 10, 4), "Validée");
    assert_eq!(cell_text(&sheet, 10, t111), "Acquis");
    assert_eq!(cell_text(&sheet, 10, c1), "En cours d'acquisition");
    assert_eq!(cell_text(&sheet, 10, t411), "");
    assert_eq!(cell_text(&sheet, 11, 1), "Commandes fournisseurs");
    assert_eq!(cell_text(&sheet, 11, 4), "Soumise");
    assert_eq!(cell_text(&sheet, 11, t111), "X");
    assert_eq!(cell_text(&sheet, 11, t411), "X");
    assert_eq!(cell_text(&sheet, 11, t311), "");
    assert_eq!(cell_text(&sheet, 12, 1), "", "drafts are not exported");

    // The student's archive, as the teacher downloads it.
    let zip_path = format!("/api/students/{}/portfolio.zip", s.student_id);
    let (status, content_type, disposition, bytes) = server.download(&zip_path, &s.teacher);
    assert_eq!(status, 200);
    assert_eq!(content_type, "application/zip");
    assert!(
        disposition.contains("portfolio-dupont-lea.zip"),
        "{disposition}"
    );
    let mut zip = open_zip(bytes);
    let names: BTreeSet<String> = zip.file_names().map(str::to_owned).collect();
    // File names lose what file systems refuse (<, >, :…).
    let folder1 = "01 - Devis clients & relances";
    let folder2 = "02 - Commandes fournisseurs";
    let expected: BTreeSet<String> = [
        "index.html".to_owned(),
        "passeport.xlsx".to_owned(),
        format!("{folder1}/fiche.html"),
        format!("{folder1}/devis client.pdf"),
        format!("{folder2}/fiche.html"),
    ]
    .into_iter()
    .collect();
    assert_eq!(names, expected);
    assert_eq!(entry(&mut zip, &format!("{folder1}/devis client.pdf")), PDF);
    let page = String::from_utf8(entry(&mut zip, &format!("{folder1}/fiche.html")))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        page.contains("<h1>Devis &lt;clients&gt; &amp; relances</h1>"),
        "{page}"
    );
    assert!(page.contains("<strong>établi</strong>"), "{page}");
    assert!(page.contains("&lt;b&gt;clients&lt;/b&gt;"), "{page}");
    assert!(!page.contains("<b>"), "{page}");
    assert!(page.contains("Acquis"), "{page}");
    assert!(
        page.contains("Travail soigné, contrôles à détailler."),
        "{page}"
    );
    assert!(page.contains("Fiche validée"), "{page}");
    assert!(page.contains("href=\"devis%20client.pdf\""), "{page}");
    let index = String::from_utf8(entry(&mut zip, "index.html")).unwrap_or_default();
    assert!(index.contains("Portfolio de Léa Dupont"), "{index}");
    assert!(!index.contains("Brouillon paie"), "{index}");
    let inner = entry(&mut zip, "passeport.xlsx");
    assert!(inner.starts_with(b"PK"));

    // The class's passeports, with a Content-Length for the progress bar.
    let class_zip = format!("/api/classes/{}/passeports.zip", s.class);
    let response = ureq::get(&server.url(&class_zip))
        .set("Authorization", &format!("Bearer {}", s.school.admin))
        .call()
        .unwrap_or_else(|e| panic!("{e}"));
    let length: usize = response
        .header("Content-Length")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Content-Length"));
    assert_eq!(response.header("Cache-Control"), Some("no-store"));
    let mut bytes = Vec::new();
    response
        .into_reader()
        .read_to_end(&mut bytes)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bytes.len(), length);
    let mut zip = open_zip(bytes);
    let names: BTreeSet<String> = zip.file_names().map(str::to_owned).collect();
    for name in [
        "index.html",
        "DUPONT Léa/passeport.xlsx",
        "DUPONT Léa/index.html",
        "DUPONT Léa/01 - Devis clients & relances.html",
        "DUPONT Léa/02 - Commandes fournisseurs.html",
        "MARTIN Tom/passeport.xlsx",
    ] {
        assert!(names.contains(name), "{name} not in {names:?}");
    }
    assert!(!names.iter().any(|n| n.ends_with(".pdf")), "{names:?}");
    let tom = entry(&mut zip, "MARTIN Tom/passeport.xlsx");
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(tom)).unwrap_or_else(|e| panic!("{e}"));
    let sheet = book
        .worksheet_range("Passeport")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cell_text(&sheet, 1, 1), "Tom Martin");
    assert_eq!(
        cell_text(&sheet, 10, 0),
        "Aucune fiche soumise pour l'instant."
    );

    // Who may download: the student, the class's teachers, the admin; 404 for others.
    for path in [&xlsx_path, &zip_path] {
        for token in [&s.student, &s.teacher, &s.school.admin] {
            assert_eq!(server.download(path, token).0, 200, "{path}");
        }
        for token in [&s.classmate, &s.other_teacher, &s.other_admin] {
            assert_eq!(server.download(path, token).0, 404, "{path}");
        }
    }
    assert_eq!(server.download(&class_zip, &s.teacher).0, 200);
    for token in [&s.student, &s.classmate, &s.other_teacher, &s.other_admin] {
        assert_eq!(server.download(&class_zip, token).0, 404);
    }
}

fn generated_portfolios_show_in_the_progress(db: &TestDatabase) {
    let out = run_cli_with(
        db,
        &referentials_dir(),
        &[
            "generate",
            "--students",
            "70",
            "--establishments",
            "1",
            "--exercises-per-class",
            "0",
            "--fiches-per-student",
            "6",
        ],
        &[("PASSERELLE_DEMO_PASSWORD", PASSWORD)],
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(printed.contains("420 fiches"), "{printed}");
    let admin_email = printed
        .split_whitespace()
        .find(|w| w.starts_with("admin@"))
        .unwrap_or_else(|| panic!("no admin in {printed}"))
        .to_owned();
    let server = TestServer::start(db, &referentials_dir(), None);
    let admin = sign_in(&server, &admin_email);
    let (status, classes) = server.call("GET", "/api/classes", Some(&admin), None);
    assert_eq!(status, 200, "{classes}");
    let mut validated = 0;
    let mut pending = 0;
    let mut levels = 0;
    let mut students = 0;
    for class in classes.as_array().into_iter().flatten() {
        let id = class["id"].as_i64().unwrap_or_default();
        let (status, body) = server.call(
            "GET",
            &format!("/api/classes/{id}/progress"),
            Some(&admin),
            None,
        );
        let p: ClassProgress = decode(status, body);
        for row in &p.students {
            students += 1;
            assert!(row.fiches_validated + row.fiches_pending <= 6, "{row:?}");
            validated += row.fiches_validated;
            pending += row.fiches_pending;
            levels += row.cells.iter().filter(|c| c.level.is_some()).count();
        }
    }
    assert_eq!(students, 70);
    // About 70 % validated and 12 % submitted of 420.
    assert!((250..=340).contains(&validated), "{validated}");
    assert!((20..=90).contains(&pending), "{pending}");
    assert!(levels > 250, "{levels}");
    // The review lists agree: every non-draft fiche is there.
    let (status, list) = server.call("GET", "/api/fiches", Some(&admin), None);
    assert_eq!(status, 200, "{list}");
    let listed = list.as_array().map_or(0, Vec::len) as u32;
    assert!(listed >= validated + pending && listed < 420, "{listed}");
}
