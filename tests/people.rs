//! Classes, accounts and class-list imports over HTTP, on SQLite and PostgreSQL: preview
//! then all-or-nothing commit, updates and unchanged rows on a second import, mixed
//! formats (CSV with text dates, xlsx with date serials), hostile files refused quickly
//! with the server still up, the invitation sheet re-read with calamine and its code used
//! to sign in, and disabling an account ending its sessions at once.

use std::io::{Cursor, Read, Write};
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx};
use passerelle_tests::school::{School, PASSWORD};
use passerelle_tests::{on_both_engines, referentials_dir, TestDatabase, TestServer};
use serde_json::{json, Value};

on_both_engines!(
    a_class_list_is_previewed_then_committed_all_or_nothing,
    hostile_files_are_refused_quickly_and_the_server_stays_up,
    the_invitation_sheet_signs_a_student_in_and_disabling_ends_sessions,
    an_email_held_by_another_establishment_is_not_revealed,
);

/// Another establishment's admin learns nothing of which emails a school holds: an
/// address used elsewhere is refused as unusable, in the same words whether it is a
/// student's, a teacher's or an admin's, and with no establishment named.
fn an_email_held_by_another_establishment_is_not_revealed(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let a = School::open(&server, db, "0750001A", "direction@lycee-a.fr");
    a.account("prof@lycee-a.fr", "Jean", "Prof", "teacher");
    let b = School::open(&server, db, "0750002B", "direction@lycee-b.fr");
    let create = |school: &School, email: &str| {
        server.call(
            "POST",
            "/api/accounts",
            Some(&school.admin),
            Some(json!({ "email": email, "first_name": "X", "last_name": "Y", "roles": ["teacher"] })),
        )
    };
    let mut messages = Vec::new();
    for held_by_a in ["prof@lycee-a.fr", "direction@lycee-a.fr"] {
        let (status, body) = create(&b, held_by_a);
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some("email_unavailable")),
            "{body}"
        );
        let message = body["message"]
            .as_str()
            .unwrap_or_default()
            .replace(held_by_a, "…");
        assert!(
            !message.contains("existe") && !message.contains("0750001A"),
            "{message}"
        );
        messages.push(message);
    }
    assert_eq!(messages[0], messages[1]);
    // In its own establishment, the admin is told plainly (they see the account anyway).
    let (status, body) = create(&a, "prof@lycee-a.fr");
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("email_taken")),
        "{body}"
    );
    // Nothing was created in B.
    let (_, accounts) = server.call("GET", "/api/accounts", Some(&b.admin), None);
    assert_eq!(accounts.as_array().map(Vec::len), Some(1), "{accounts}");
    // A class list of B naming A's teacher: the same refusal, on its row.
    b.class("T AGOrA A", "bacpro-agora");
    let (status, report) = server.upload(
        "/api/class-lists/preview?file_name=liste.csv",
        &b.admin,
        "Nom;Prénom;Date de naissance;Email;Classe;INE\n\
         Durand;Léo;01/02/2009;prof@lycee-a.fr;T AGOrA A;\n"
            .as_bytes(),
    );
    assert_eq!(status, 200, "{report}");
    let rows = rows_by_number(&report);
    assert_eq!(rows.len(), 1, "{report}");
    assert_eq!(rows[0].1, "error", "{report}");
    assert!(rows[0].2.starts_with("email_unavailable"), "{rows:?}");
    assert!(!rows[0].2.contains("autre établissement"), "{rows:?}");
}

const BROKEN: &str = "Liste des élèves 2026-2027\n\
                      \n\
                      NOM ; Prénom ; Date de naissance ; E-mail ; Classe ; INE\n\
                      Dupont;Léa;12/03/2009;lea@eleve.fr;T AGOrA A;1234567890A\n\
                      Martin;Hugo;31/02/2009;hugo@eleve.fr;T AGOrA A;\n\
                      Bernard;Inès;02/10/2008;;T AGOrA A;\n\
                      Petit;Zoé;05/05/2009;zoe@eleve.fr;T AGOrA Z;\n\
                      Moreau;Noah;07/07/2009;direction@lycee.fr;T AGOrA A;\n";

fn rows_by_number(report: &Value) -> Vec<(u64, String, String)> {
    report["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let issues: Vec<String> = r["issues"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| format!("{}: {}", i["code"].as_str().unwrap_or(""), i["message"]))
                .collect();
            (
                r["row"].as_u64().unwrap_or_default(),
                r["action"].as_str().unwrap_or_default().to_owned(),
                issues.join(" | "),
            )
        })
        .collect()
}

fn student_count(school: &School) -> usize {
    let (status, body) = school.server.call(
        "GET",
        "/api/accounts?role=student",
        Some(&school.admin),
        None,
    );
    assert_eq!(status, 200, "{body}");
    body.as_array().map_or(0, Vec::len)
}

fn a_class_list_is_previewed_then_committed_all_or_nothing(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let school = School::open(&server, db, "0750001A", "direction@lycee.fr");
    let class_a = school.class("T AGOrA A", "bacpro-agora");
    let class_b = school.class("T AGOrA B", "bacpro-agora");

    // Preview: every row with its action; each error names row, column and reason.
    let (status, report) = server.upload(
        "/api/class-lists/preview?file_name=eleves.csv",
        &school.admin,
        BROKEN.as_bytes(),
    );
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["committed"], false);
    assert_eq!(report["header_row"], 3);
    let rows = rows_by_number(&report);
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert_eq!((rows[0].0, rows[0].1.as_str()), (4, "create"));
    let expect_error = |row: u64, code: &str, words: &[&str]| {
        let found = rows
            .iter()
            .find(|r| r.0 == row)
            .unwrap_or_else(|| panic!("row {row}"));
        assert_eq!(found.1, "error", "{found:?}");
        assert!(found.2.contains(code), "{found:?}");
        for word in words {
            assert!(found.2.contains(word), "{word} not in {found:?}");
        }
    };
    expect_error(
        5,
        "invalid_date",
        &["ligne 5", "Date de naissance", "31/02/2009"],
    );
    expect_error(6, "missing_email", &["ligne 6"]);
    expect_error(7, "unknown_class", &["ligne 7", "T AGOrA Z", "T AGOrA A"]);
    // The admin's own email: not a student of the school.
    expect_error(8, "email_taken", &["ligne 8", "direction@lycee.fr"]);
    assert_eq!(
        report["counts"],
        json!({ "create": 1, "update": 0, "unchanged": 0, "error": 4 })
    );

    // Commit with errors: refused, nothing written.
    let (status, body) = server.upload(
        "/api/class-lists/commit?file_name=eleves.csv",
        &school.admin,
        BROKEN.as_bytes(),
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "rows_with_errors");
    assert!(
        body["message"].as_str().unwrap_or("").contains("ligne 5"),
        "{body}"
    );
    assert_eq!(student_count(&school), 0);

    // A clean xlsx: a date serial, a dd/mm/yyyy text date, headers in another order.
    let xlsx = workbook(&[
        &[
            "Classe",
            "INE",
            "Prénom",
            "Nom",
            "Email",
            "Date de naissance",
        ],
        &[
            "T AGOrA A",
            "1234567890A",
            "Léa",
            "Dupont",
            "lea@eleve.fr",
            "serial:39884",
        ],
        &[
            "t agora b",
            "",
            "Hugo",
            "Martin",
            "HUGO@eleve.fr",
            "28/02/2009",
        ],
    ]);
    let (status, committed) = server.upload(
        "/api/class-lists/commit?file_name=eleves.xlsx",
        &school.admin,
        &xlsx,
    );
    assert_eq!(status, 200, "{committed}");
    assert_eq!(committed["committed"], true);
    assert_eq!(committed["format"], "xlsx");
    assert_eq!(
        committed["counts"],
        json!({ "create": 2, "update": 0, "unchanged": 0, "error": 0 })
    );
    let (_, accounts) = server.call(
        "GET",
        "/api/accounts?role=student",
        Some(&school.admin),
        None,
    );
    let lea = accounts
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["email"] == "lea@eleve.fr")
        .cloned()
        .unwrap_or_default();
    assert_eq!(lea["birth_date"], "2009-03-12");
    assert_eq!(lea["status"], "invited");
    assert_eq!(lea["classes"], json!(["T AGOrA A"]));

    // The same list again: unchanged. Hugo moves to class A (matched by email): update.
    let csv = "nom;prénom;date de naissance;email;classe;INE\n\
               Dupont;Léa;12/03/2009;lea@eleve.fr;T AGOrA A;1234567890A\n\
               Martin;Hugo;28/02/2009;hugo@eleve.fr;T AGOrA A;\n";
    let (status, report) = server.upload(
        "/api/class-lists/preview?file_name=eleves.csv",
        &school.admin,
        csv.as_bytes(),
    );
    assert_eq!(status, 200, "{report}");
    let rows = rows_by_number(&report);
    assert_eq!(rows[0].1, "unchanged", "{report}");
    assert_eq!(rows[1].1, "update", "{report}");
    assert_eq!(
        report["rows"][1]["changes"],
        json!(["classe : T AGOrA B → T AGOrA A"])
    );
    // Dry run wrote nothing: Hugo is still in class B.
    let (_, detail) = server.call(
        "GET",
        &format!("/api/classes/{class_b}"),
        Some(&school.admin),
        None,
    );
    assert_eq!(
        detail["students"].as_array().map_or(0, Vec::len),
        1,
        "{detail}"
    );
    school.import_csv(csv);
    let (_, detail) = server.call(
        "GET",
        &format!("/api/classes/{class_a}"),
        Some(&school.admin),
        None,
    );
    assert_eq!(
        detail["students"].as_array().map_or(0, Vec::len),
        2,
        "{detail}"
    );
    let (_, detail) = server.call(
        "GET",
        &format!("/api/classes/{class_b}"),
        Some(&school.admin),
        None,
    );
    assert_eq!(detail["students"], json!([]), "{detail}");

    // The audit log has the imports.
    let (_, log) = server.call("GET", "/api/audit", Some(&school.admin), None);
    let imports = log
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "class_list.imported")
        .count();
    assert_eq!(imports, 2, "{log}");
}

/// A one-sheet workbook; a cell "serial:N" is written as an Excel date serial.
fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            let written = match text.strip_prefix("serial:") {
                Some(n) => {
                    sheet.write_number_with_format(r, c, n.parse::<f64>().unwrap_or(0.0), &date)
                }
                None => sheet.write_string(r, c, *text),
            };
            written.unwrap_or_else(|e| panic!("{e}"));
        }
    }
    book.save_to_buffer().unwrap_or_else(|e| panic!("{e}"))
}

/// A zip of highly compressible entries: small on the wire, huge once inflated.
fn zip_bomb() -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let zeros = vec![0u8; 1024 * 1024];
    for name in [
        "[Content_Types].xml",
        "xl/workbook.xml",
        "xl/worksheets/sheet1.xml",
    ] {
        writer
            .start_file(name, options)
            .unwrap_or_else(|e| panic!("{e}"));
        for _ in 0..30 {
            writer.write_all(&zeros).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    writer
        .finish()
        .unwrap_or_else(|e| panic!("{e}"))
        .into_inner()
}

fn hostile_files_are_refused_quickly_and_the_server_stays_up(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let school = School::open(&server, db, "0750001A", "direction@lycee.fr");
    school.class("T AGOrA A", "bacpro-agora");

    // One cell at XFD1048576: the declared dimension alone is refused.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["nom", "prénom", "email", "classe"].iter().enumerate() {
        sheet
            .write_string(0, c as u16, *h)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    sheet
        .write_string(1_048_575, 16_383, "x")
        .unwrap_or_else(|e| panic!("{e}"));
    let huge_dimension = book.save_to_buffer().unwrap_or_else(|e| panic!("{e}"));
    let png =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    let oversize = vec![b'a'; 6 * 1024 * 1024];

    let cases: Vec<(&str, Vec<u8>, &str, &[u16])> = vec![
        ("bombe.xlsx", zip_bomb(), "zip bomb", &[413, 422]),
        (
            "immense.xlsx",
            huge_dimension,
            "huge dimension",
            &[413, 422],
        ),
        ("gros.csv", oversize, "over the size limit", &[413]),
        ("photo.xlsx", png, "a PNG named .xlsx", &[415]),
        ("vide.csv", Vec::new(), "an empty file", &[400]),
    ];
    for (name, bytes, what, statuses) in cases {
        for route in ["preview", "commit"] {
            let start = Instant::now();
            let (status, body) = server.upload(
                &format!("/api/class-lists/{route}?file_name={name}"),
                &school.admin,
                &bytes,
            );
            let took = start.elapsed();
            assert!(statuses.contains(&status), "{what}: {status} {body}");
            assert!(
                body["code"].is_string() && body["message"].is_string(),
                "{what}: {body}"
            );
            assert!(took < Duration::from_secs(2), "{what}: took {took:?}");
        }
    }
    // The server is still up and nothing was written.
    assert_eq!(server.get("/api/health").0, 200);
    assert_eq!(student_count(&school), 0);
}

fn the_invitation_sheet_signs_a_student_in_and_disabling_ends_sessions(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let school = School::open(&server, db, "0750001A", "direction@lycee.fr");
    let class = school.class("T AGOrA A", "bacpro-agora");
    let report = school.import_csv(
        "nom;prénom;email;classe\nDupont;Léa;lea@eleve.fr;T AGOrA A\nMartin;Hugo;hugo@eleve.fr;T AGOrA A\n",
    );
    let lea = report["rows"][0]["user_id"].as_i64().unwrap_or_default();

    // The sheet to print, for the whole class: re-read it as the exam office would.
    let response = ureq::post(&server.url("/api/invitations"))
        .set("Authorization", &format!("Bearer {}", school.admin))
        .send_json(json!({ "class_id": class }))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        response.content_type(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(response.header("Cache-Control"), Some("no-store"));
    let mut bytes = Vec::new();
    response
        .into_reader()
        .read_to_end(&mut bytes)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap_or_else(|e| panic!("{e}"));
    let range = book
        .worksheet_range("Invitations")
        .unwrap_or_else(|e| panic!("{e}"));
    let cell = |r: u32, c: u32| match range.get_value((r, c)) {
        Some(Data::String(s)) => s.clone(),
        other => format!("{other:?}"),
    };
    assert_eq!(cell(3, 4), "Code d'activation");
    assert_eq!(
        (cell(4, 0), cell(4, 2), cell(4, 3)),
        ("Dupont".into(), "T AGOrA A".into(), "lea@eleve.fr".into())
    );
    assert_eq!(cell(5, 0), "Martin");
    let code = cell(4, 4);
    assert_eq!(code.len(), 14, "{code}");

    // A wrong code, then the right one typed loosely: signed in.
    let activate = |code: &str| {
        server.call(
            "POST",
            "/api/auth/activate",
            None,
            Some(json!({ "email": "LEA@eleve.fr", "code": code, "password": PASSWORD })),
        )
    };
    let (status, body) = activate("AAAA-BBBB-CCCC");
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_invitation"))
    );
    let (status, body) = activate(&code.to_lowercase().replace('-', " "));
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().unwrap_or_default().to_owned();
    // The code is spent.
    assert_eq!(activate(&code).0, 401);

    // The student sees their class and themself only.
    let (status, classes) = server.call("GET", "/api/classes", Some(&access), None);
    assert_eq!(status, 200);
    assert_eq!(classes[0]["name"], "T AGOrA A");
    let (_, detail) = server.call("GET", &format!("/api/classes/{class}"), Some(&access), None);
    assert_eq!(
        detail["students"],
        json!([{ "id": lea, "first_name": "Léa", "last_name": "Dupont" }])
    );

    // Disabling ends the session at once; the account cannot sign in any more.
    let (status, account) = server.call(
        "PATCH",
        &format!("/api/accounts/{lea}"),
        Some(&school.admin),
        Some(json!({ "disabled": true })),
    );
    assert_eq!(
        (status, account["status"].as_str()),
        (200, Some("disabled")),
        "{account}"
    );
    assert_eq!(server.call("GET", "/api/me", Some(&access), None).0, 401);
    let (status, _) = server.call(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({ "email": "lea@eleve.fr", "password": PASSWORD })),
    );
    assert_eq!(status, 401);
    // An admin cannot disable themself.
    let (_, me) = server.call("GET", "/api/me", Some(&school.admin), None);
    let (status, body) = server.call(
        "PATCH",
        &format!("/api/accounts/{}", me["id"]),
        Some(&school.admin),
        Some(json!({ "disabled": true })),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("cannot_disable_self"))
    );
}
