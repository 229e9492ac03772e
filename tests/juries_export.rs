//! CCF grid exports and the offline import, over HTTP on SQLite and PostgreSQL: the
//! candidate's xlsx and the session workbook re-read with calamine, the exam office's
//! CSV, and a filled workbook imported back (all or nothing, errors by sheet and cell).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use passerelle_api::{CandidateGrid, GridImportAction, GridImportReport};
use passerelle_tests::school::School;
use passerelle_tests::{on_both_engines, referentials_dir, TestDatabase, TestServer};
use serde_json::json;

on_both_engines!(
    exports_carry_the_grid_the_marks_and_the_jury,
    a_filled_workbook_comes_back_all_or_nothing,
);

/// Cells of a workbook: sheet name → (row, col) → value, absolute 0-based positions.
type Sheets = Vec<(String, Vec<(u32, u32, Data)>)>;

fn read_workbook(bytes: &[u8]) -> Sheets {
    let mut workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes.to_vec())).unwrap_or_else(|e| panic!("{e}"));
    let names = workbook.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let range = workbook
                .worksheet_range(&name)
                .unwrap_or_else(|e| panic!("{e}"));
            let (r0, c0) = range.start().unwrap_or((0, 0));
            let cells = range
                .used_cells()
                .map(|(r, c, v)| (r0 + r as u32, c0 + c as u32, v.clone()))
                .collect();
            (name, cells)
        })
        .collect()
}

fn cell<'a>(sheets: &'a Sheets, sheet: &str, row: u32, col: u32) -> Option<&'a Data> {
    sheets
        .iter()
        .find(|(n, _)| n == sheet)
        .and_then(|(_, cells)| cells.iter().find(|c| c.0 == row && c.1 == col))
        .map(|c| &c.2)
}

/// The row whose first column reads `label`.
fn row_of(sheets: &Sheets, sheet: &str, label: &str) -> u32 {
    sheets
        .iter()
        .find(|(n, _)| n == sheet)
        .and_then(|(_, cells)| cells.iter().find(|c| c.1 == 0 && c.2 == label))
        .map(|c| c.0)
        .unwrap_or_else(|| panic!("{label} not in sheet {sheet}"))
}

/// Rewrites the cells (values only) into a new workbook, `patch` applied.
fn rewrite(sheets: &Sheets, patch: &[(&str, u32, u32, Data)]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    for (name, cells) in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name).unwrap_or_else(|e| panic!("{e}"));
        let mut all: Vec<(u32, u32, Data)> = cells
            .iter()
            .filter(|c| {
                !patch
                    .iter()
                    .any(|p| p.0 == name && p.1 == c.0 && p.2 == c.1)
            })
            .cloned()
            .collect();
        all.extend(
            patch
                .iter()
                .filter(|p| p.0 == name)
                .map(|p| (p.1, p.2, p.3.clone())),
        );
        for (row, col, value) in all {
            let col = col as u16;
            match value {
                Data::Float(f) => sheet.write_number(row, col, f).map(|_| ()),
                Data::Int(i) => sheet.write_number(row, col, i as f64).map(|_| ()),
                Data::Empty => Ok(()),
                other => sheet.write_string(row, col, other.to_string()).map(|_| ()),
            }
            .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    workbook.save_to_buffer().unwrap_or_else(|e| panic!("{e}"))
}

struct Setup {
    admin: String,
    prof: String,
    jure: String,
    session: i64,
    /// 0001 Arnaud (locked, 14.5) and 0002 Zola (open, non conforme).
    locked: i64,
    open: i64,
    codes: Vec<String>,
}

fn setup(server: &TestServer, db: &TestDatabase, uai: &str) -> Setup {
    let a = School::open(server, db, uai, &format!("direction@{uai}.fr"));
    let class = a.class("T AGOrA A", "bacpro-agora");
    let teacher = a.account(&format!("prof@{uai}.fr"), "Paul", "Prof", "teacher");
    let juror = a.account(&format!("jure@{uai}.fr"), "Jean", "Juré", "jury");
    a.import_csv(&format!(
        "nom;prénom;date de naissance;email;classe\n\
         Zola;Emma;12/03/2009;emma@{uai}.fr;T AGOrA A\n\
         Arnaud;Léo;01/02/2009;leo@{uai}.fr;T AGOrA A\n"
    ));
    let prof = a.activate(teacher, &format!("prof@{uai}.fr"));
    let jure = a.activate(juror, &format!("jure@{uai}.fr"));
    let admin = a.admin.clone();
    let call = |token: &str, method: &str, path: &str, body: Option<serde_json::Value>| {
        let (status, body) = server.call(method, path, Some(token), body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {body}"
        );
        body
    };
    let body = call(
        &admin,
        "POST",
        "/api/exam-sessions",
        Some(json!({
            "template_id": "bacpro-agora:E31", "label": "Session 2027",
            "starts_on": "2027-03-01", "ends_on": "2027-05-31", "class_ids": [class]
        })),
    );
    let session = body["id"].as_i64().unwrap_or_default();
    let locked = body["candidates"][0]["id"].as_i64().unwrap_or_default();
    let open = body["candidates"][1]["id"].as_i64().unwrap_or_default();
    let body = call(
        &admin,
        "POST",
        &format!("/api/exam-sessions/{session}/juries"),
        Some(json!({
            "name": "Jury A", "members": [{ "user_id": teacher, "role": "teacher" }, { "user_id": juror, "role": "professional" }]
        })),
    );
    let jury = body["juries"][0]["id"].as_i64().unwrap_or_default();
    call(
        &admin,
        "PUT",
        &format!("/api/juries/{jury}/candidates"),
        Some(json!({ "candidate_ids": [locked, open] })),
    );
    call(
        &admin,
        "PUT",
        &format!("/api/candidates/{open}/conformity"),
        Some(json!({ "conforme": false, "reason": "Passeport professionnel incomplet" })),
    );
    let grid: CandidateGrid = serde_json::from_value(call(
        &jure,
        "GET",
        &format!("/api/candidates/{locked}/grid"),
        None,
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let codes: Vec<String> = grid
        .template
        .criteria
        .iter()
        .map(|c| c.code.clone())
        .collect();
    let levels: Vec<serde_json::Value> = codes
        .iter()
        .map(|c| json!({ "code": c, "level": 3 }))
        .collect();
    call(
        &prof,
        "PUT",
        &format!("/api/candidates/{locked}/grid"),
        Some(json!({
            "levels": levels, "final_mark": 14.5, "justification": "Très bonne gestion de l'aléa.",
            "comments": [{ "field": "Appréciation du jury", "text": "Accueil soigné." }]
        })),
    );
    call(
        &prof,
        "POST",
        &format!("/api/candidates/{locked}/grid/sign"),
        None,
    );
    call(
        &jure,
        "POST",
        &format!("/api/candidates/{locked}/grid/sign"),
        None,
    );
    call(
        &prof,
        "PUT",
        &format!("/api/candidates/{open}/grid"),
        Some(json!({ "levels": [{ "code": codes[0], "level": 2 }] })),
    );
    Setup {
        admin,
        prof,
        jure,
        session,
        locked,
        open,
        codes,
    }
}

fn exports_carry_the_grid_the_marks_and_the_jury(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let s = setup(&server, db, "0750011a");
    let path = format!("/api/candidates/{}/grid.xlsx", s.locked);

    // The candidate's grid, for the jury and admins; not for others.
    let (status, content_type, disposition, bytes) = server.download(&path, &s.jure);
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("application/vnd.openxmlformats"),
        "{content_type}"
    );
    assert!(disposition.contains("attachment"), "{disposition}");
    // scripts/render-grids renders these with LibreOffice.
    let render_dir = std::env::var("RENDER_DIR").ok();
    if let Some(dir) = &render_dir {
        std::fs::write(format!("{dir}/candidate.xlsx"), &bytes).unwrap_or_else(|e| panic!("{e}"));
    }
    let sheets = read_workbook(&bytes);
    assert_eq!(sheets.len(), 1);
    let name = sheets[0].0.clone();
    assert_eq!(name, "0001 Arnaud");
    let text = |row: u32, col: u32| cell(&sheets, &name, row, col).map(|d| d.to_string());
    let identity = |label: &str| text(row_of(&sheets, &name, label), 1).unwrap_or_default();
    assert_eq!(identity("Académie"), "Paris");
    assert!(identity("Établissement")
        .to_lowercase()
        .starts_with("lycée 0750011a"));
    assert_eq!(identity("Session"), "Session 2027");
    let epreuve = identity("Épreuve");
    assert!(
        epreuve.starts_with("E31 — ")
            && epreuve.contains("unité U31")
            && epreuve.contains("coefficient 4"),
        "{epreuve}"
    );
    assert_eq!(identity("Nom et prénom du candidat"), "ARNAUD Léo");
    assert_eq!(identity("Numéro du candidat"), "0001");
    // Level 3 of 4 (« Satisfaisant ») is the third degree column (C, D, E…): E.
    let header = row_of(&sheets, &name, "Code");
    assert_eq!(text(header, 4).as_deref(), Some("Satisfaisant"));
    for code in &s.codes {
        let row = row_of(&sheets, &name, code);
        assert_eq!(text(row, 4).as_deref(), Some("X"), "{code}");
        for col in [2, 3, 5] {
            assert_eq!(text(row, col), None, "{code} col {col}");
        }
    }
    let indicators = text(row_of(&sheets, &name, &s.codes[0]), 1).unwrap_or_default();
    assert!(indicators.contains("\n• "), "{indicators}");
    let final_row = row_of(&sheets, &name, "Note finale (sur 20)");
    assert_eq!(cell(&sheets, &name, final_row, 2), Some(&Data::Float(14.5)));
    assert_eq!(
        cell(&sheets, &name, final_row - 1, 2),
        Some(&Data::Float(13.5)),
        "proposed mark"
    );
    let all = format!("{:?}", sheets[0].1);
    assert!(
        all.contains("Accueil soigné.") && all.contains("Très bonne gestion"),
        "{all}"
    );
    assert!(
        all.contains("Enseignant") && all.contains("Paul Prof") && all.contains("Signé le"),
        "{all}"
    );
    assert!(all.contains("Grille verrouillée le"), "{all}");
    assert!(!all.contains("NON CONFORME"));
    let (_, _, _, bytes) =
        server.download(&format!("/api/candidates/{}/grid.xlsx", s.open), &s.admin);
    let open = read_workbook(&bytes);
    assert!(format!("{:?}", open[0].1)
        .contains("DOSSIER NON CONFORME — Passeport professionnel incomplet"));
    let outsider = server.call("GET", &path, None, None).0;
    assert_eq!(outsider, 401);

    // The session workbook: summary, then one sheet per candidate.
    let session_path = format!("/api/exam-sessions/{}/export.xlsx", s.session);
    assert_eq!(server.download(&session_path, &s.prof).0, 403);
    let (status, _, _, bytes) = server.download(&session_path, &s.admin);
    assert_eq!(status, 200);
    if let Some(dir) = &render_dir {
        std::fs::write(format!("{dir}/session.xlsx"), &bytes).unwrap_or_else(|e| panic!("{e}"));
    }
    let book = read_workbook(&bytes);
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Synthèse", "0001 Arnaud", "0002 Zola"]);
    let summary = |row: u32, col: u32| cell(&book, "Synthèse", row, col).cloned();
    assert_eq!(summary(2, 0), Some(Data::String("Numéro".into())));
    assert_eq!(summary(3, 0), Some(Data::String("0001".into())));
    assert_eq!(summary(3, 1), Some(Data::String("Arnaud".into())));
    assert_eq!(summary(3, 3), Some(Data::String("T AGOrA A".into())));
    assert_eq!(summary(3, 4), Some(Data::String("Oui".into())));
    assert_eq!(summary(3, 5), Some(Data::Float(13.5)));
    assert_eq!(summary(3, 6), Some(Data::Float(14.5)));
    assert_eq!(summary(3, 7), Some(Data::Float(4.0)));
    assert_eq!(summary(3, 8), Some(Data::Float(58.0)));
    assert_eq!(summary(3, 9), Some(Data::String("Verrouillée".into())));
    assert_eq!(summary(4, 4), Some(Data::String("Non".into())));
    assert_eq!(summary(4, 9), Some(Data::String("Ouverte".into())));

    // The exam office's CSV.
    let (status, content_type, _, bytes) = server.download(
        &format!("/api/exam-sessions/{}/export.csv", s.session),
        &s.admin,
    );
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(
        lines[0],
        "Épreuve;Unité;Numéro;Nom;Prénom;Classe;Conforme;Note proposée;Note finale;Coefficient;Total pondéré;Statut"
    );
    assert_eq!(
        lines[1],
        "E31;U31;0001;Arnaud;Léo;T AGOrA A;Oui;13,5;14,5;4;58;Verrouillée"
    );
    assert_eq!(
        lines[2],
        "E31;U31;0002;Zola;Emma;T AGOrA A;Non;6,5;6,5;4;26;Ouverte"
    );

    // A name typed as a formula reaches the office as the text it is: neutralised in the
    // CSV (a leading apostrophe), a text cell in the workbook.
    let (_, accounts) = server.call("GET", "/api/accounts", Some(&s.admin), None);
    let zola = accounts
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["last_name"] == "Zola")
        .and_then(|a| a["id"].as_i64())
        .unwrap_or_else(|| panic!("no Zola in {accounts}"));
    let (status, body) = server.call(
        "PATCH",
        &format!("/api/accounts/{zola}"),
        Some(&s.admin),
        Some(json!({ "first_name": "=1+2", "last_name": "@SUM(A1)" })),
    );
    assert_eq!(status, 200, "{body}");
    let (_, _, _, bytes) = server.download(
        &format!("/api/exam-sessions/{}/export.csv", s.session),
        &s.admin,
    );
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap_or_default();
    assert!(
        text.lines()
            .any(|l| l.starts_with("E31;U31;0002;'@SUM(A1);'=1+2;T AGOrA A;")),
        "{text}"
    );
    let (_, _, _, bytes) = server.download(&session_path, &s.admin);
    let book = read_workbook(&bytes);
    assert_eq!(
        cell(&book, "Synthèse", 4, 2).cloned(),
        Some(Data::String("=1+2".into()))
    );
}

fn a_filled_workbook_comes_back_all_or_nothing(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let s = setup(&server, db, "0750012b");
    let (status, _, _, bytes) = server.download(
        &format!("/api/exam-sessions/{}/export.xlsx", s.session),
        &s.admin,
    );
    assert_eq!(status, 200);
    let preview = format!("/api/exam-sessions/{}/import/preview", s.session);
    let commit = format!("/api/exam-sessions/{}/import/commit", s.session);
    let report_of = |(status, body): (u16, serde_json::Value)| -> GridImportReport {
        assert_eq!(status, 200, "{body}");
        serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"))
    };

    // The export as it is: nothing to do, even once a dossier's conformity changed.
    let (status, body) = server.call(
        "PUT",
        &format!("/api/candidates/{}/conformity", s.open),
        Some(&s.admin),
        Some(json!({ "conforme": true })),
    );
    assert_eq!(status, 200, "{body}");
    let report = report_of(server.upload(&preview, &s.admin, &bytes));
    assert!(report.issues.is_empty(), "{:?}", report.issues);
    let actions: Vec<GridImportAction> = report.sheets.iter().map(|s| s.action).collect();
    assert_eq!(
        actions,
        [GridImportAction::Locked, GridImportAction::Unchanged]
    );
    assert_eq!(server.upload(&preview, &s.prof, &bytes).0, 403);

    // Filled offline: Zola's first criterion at « Très satisfaisant », a second one
    // assessed, the final mark adjusted with its justification; Arnaud's locked grid
    // changed too (skipped).
    let book = read_workbook(&bytes);
    let zola = "0002 Zola";
    let first = row_of(&book, zola, &s.codes[0]);
    let second = row_of(&book, zola, &s.codes[1]);
    let final_row = row_of(&book, zola, "Note finale (sur 20)");
    let justification = row_of(&book, zola, "Justification d'une note finale différente");
    let arnaud_final = row_of(&book, "0001 Arnaud", "Note finale (sur 20)");
    let x = || Data::String("X".into());
    let filled = rewrite(
        &book,
        &[
            (zola, first, 3, Data::Empty),
            (zola, first, 5, x()),
            (zola, second, 4, x()),
            (zola, final_row, 2, Data::Float(16.0)),
            (
                zola,
                justification,
                1,
                Data::String("Oral remarquable.".into()),
            ),
            ("0001 Arnaud", arnaud_final, 2, Data::Float(3.0)),
        ],
    );
    let report = report_of(server.upload(&preview, &s.admin, &filled));
    assert!(report.issues.is_empty(), "{:?}", report.issues);
    assert_eq!(
        (report.updated, report.locked, report.committed),
        (1, 1, false)
    );

    // Errors: a criterion label changed, a level cell with « Oui », two degrees marked,
    // a mark of 25: each named by sheet and cell; nothing written.
    let bad = rewrite(
        &book,
        &[
            (zola, first, 1, Data::String("Autre critère".into())),
            (zola, second, 2, Data::String("Oui".into())),
            (zola, row_of(&book, zola, &s.codes[2]), 2, x()),
            (zola, row_of(&book, zola, &s.codes[2]), 3, x()),
            (zola, final_row, 2, Data::Float(25.0)),
        ],
    );
    let report = report_of(server.upload(&preview, &s.admin, &bad));
    let messages: Vec<&str> = report.issues.iter().map(|i| i.message.as_str()).collect();
    let codes: Vec<&str> = report.issues.iter().map(|i| i.code.as_str()).collect();
    for code in [
        "structure_changed",
        "invalid_level",
        "several_levels",
        "invalid_mark",
    ] {
        assert!(codes.contains(&code), "{code} in {messages:?}");
    }
    let structure = format!("Feuille 0002 Zola, cellule B{} : ", first + 1);
    assert!(
        messages.iter().any(|m| m.starts_with(&structure)),
        "{messages:?}"
    );
    let mark = format!("Feuille 0002 Zola, cellule C{} : « 25 »", final_row + 1);
    assert!(
        messages.iter().any(|m| m.starts_with(&mark)),
        "{messages:?}"
    );
    let (status, body) = server.upload(&commit, &s.admin, &bad);
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("sheets_with_errors")),
        "{body}"
    );
    let (status, body) = server.upload(&commit, &s.admin, b"not a workbook");
    assert_eq!(status, 415, "{body}");
    let grid_of = |id: i64| -> CandidateGrid {
        let (status, body) = server.call(
            "GET",
            &format!("/api/candidates/{id}/grid"),
            Some(&s.admin),
            None,
        );
        assert_eq!(status, 200, "{body}");
        serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"))
    };
    let untouched = grid_of(s.open);
    assert_eq!(untouched.levels.len(), 1);
    assert_eq!(untouched.final_mark, None);

    // The commit writes Zola's agreed grid; Arnaud's locked grid stays.
    let report = report_of(server.upload(&commit, &s.admin, &filled));
    assert!(report.committed);
    let zola_grid = grid_of(s.open);
    let level = |code: &str| {
        zola_grid
            .levels
            .iter()
            .find(|l| l.code == code)
            .map(|l| l.level)
    };
    assert_eq!(level(&s.codes[0]), Some(4));
    assert_eq!(level(&s.codes[1]), Some(3));
    assert_eq!(zola_grid.final_mark, Some(16.0));
    assert_eq!(
        zola_grid.justification.as_deref(),
        Some("Oral remarquable.")
    );
    let arnaud = grid_of(s.locked);
    assert_eq!(arnaud.final_mark, Some(14.5));
    assert_eq!(arnaud.status, passerelle_api::GridStatus::Locked);
    // Once more: unchanged.
    let report = report_of(server.upload(&preview, &s.admin, &filled));
    assert_eq!(
        (report.updated, report.unchanged),
        (0, 1),
        "{:?}",
        report.sheets
    );
}
