//! CCF grid templates over HTTP, on SQLite and PostgreSQL: generated from the referential
//! data (AGOrA's règlement d'examen and matrix, the certifications' blocs), adapted by an
//! admin as new versions that other establishments do not see, bad grids refused.

use passerelle_api::{
    Candidate, CandidateGrid, ExamSession, ExamSessionSummary, GridStatus, GridTemplate,
    GridTemplateSummary, GridTemplateVersion, TemplateOrigin,
};
use passerelle_tests::school::School;
use passerelle_tests::{on_both_engines, referentials_dir, TestDatabase, TestServer};
use serde_json::json;

on_both_engines!(
    grids_come_from_the_referentials_and_admins_version_them,
    sessions_gather_candidates_and_juries,
    a_jury_assesses_agrees_locks_and_an_admin_reopens,
);

fn grids_come_from_the_referentials_and_admins_version_them(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let a = School::open(&server, db, "0750001a", "direction@lycee-a.fr");
    let b = School::open(&server, db, "0750002b", "direction@lycee-b.fr");
    let teacher = a.account("prof@lycee-a.fr", "Paul", "Prof", "teacher");
    let teacher = a.activate(teacher, "prof@lycee-a.fr");
    let get = |token: &str, path: &str| {
        let (status, body) = server.call("GET", path, Some(token), None);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    };

    let list: Vec<GridTemplateSummary> =
        serde_json::from_value(get(&teacher, "/api/grid-templates")).unwrap_or_default();
    let ids: Vec<&str> = list.iter().map(|t| t.id.as_str()).collect();
    for id in [
        "bacpro-agora:E31",
        "bacpro-agora:E32",
        "rncp34786:RNCP34786BC01",
        "rncp34786:RNCP34786BC05",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    // E2 is a written exam, not a CCF: no grid.
    assert!(!ids.contains(&"bacpro-agora:E2"), "{ids:?}");

    // AGOrA E31: U31, bloc 1, coefficient 4, the bloc's compétences with the critères
    // d'évaluation of the matrix's situations.
    let e31: GridTemplate =
        serde_json::from_value(get(&teacher, "/api/grid-templates/bacpro-agora:E31"))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((e31.unit.as_str(), e31.bloc.as_str()), ("U31", "B1"));
    assert_eq!(e31.coefficient, Some(4.0));
    let first = &e31.criteria[0];
    assert_eq!(first.code, "C1.1.1");
    assert!(
        first
            .indicators
            .iter()
            .any(|i| i.starts_with("Respect de la charte d'accueil")),
        "{first:?}"
    );
    assert!(e31.criteria.iter().all(|c| c.code.starts_with("C1.")));
    assert_eq!(
        e31.scale,
        [
            "Très insuffisant",
            "Insuffisant",
            "Satisfaisant",
            "Très satisfaisant"
        ]
    );
    assert_eq!((e31.version, e31.origin), (1, TemplateOrigin::Referential));
    let e32: GridTemplate =
        serde_json::from_value(get(&teacher, "/api/grid-templates/bacpro-agora:E32"))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((e32.bloc.as_str(), e32.coefficient), ("B3", Some(3.0)));
    let bc02: GridTemplate =
        serde_json::from_value(get(&teacher, "/api/grid-templates/rncp34786:RNCP34786BC02"))
            .unwrap_or_else(|e| panic!("{e}"));
    assert!(bc02
        .modality
        .starts_with("Mise en situation professionnelle reconstituée"));
    assert!(!bc02.criteria.is_empty());

    // An admin adapts it: version 2, by them; the generated version stays listed; the
    // other establishment still has the generated grid.
    let mut adapted = serde_json::to_value(&e31).unwrap_or_default();
    adapted["title"] = json!("E31 — grille de l'établissement");
    adapted["criteria"][0]["weight"] = json!(2.0);
    let path = "/api/grid-templates/bacpro-agora:E31";
    let (status, body) = server.call("PUT", path, Some(&teacher), Some(adapted.clone()));
    assert_eq!(status, 403, "{body}");
    let (status, body) = server.call("PUT", path, Some(&a.admin), Some(adapted.clone()));
    assert_eq!(status, 200, "{body}");
    let v2: GridTemplate = serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((v2.version, v2.origin), (2, TemplateOrigin::Edited));
    assert_eq!(v2.criteria[0].weight, 2.0);
    assert!(v2.edited_by.is_some());
    let versions: Vec<GridTemplateVersion> =
        serde_json::from_value(get(&teacher, &format!("{path}/versions"))).unwrap_or_default();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![2, 1]
    );
    let theirs: GridTemplate =
        serde_json::from_value(get(&b.admin, path)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(theirs.version, 1);

    // Bad grids are refused, naming the field, and change nothing.
    for (field, value, names) in [
        ("criteria", json!([]), "criteria"),
        (
            "criteria",
            json!([{ "code": "A", "label": "x" }, { "code": "A", "label": "y" }]),
            "criteria[1].code",
        ),
        (
            "criteria",
            json!([{ "code": "A", "label": "x", "weight": 0 }]),
            "criteria[0].weight",
        ),
        ("scale", json!(["Seul"]), "scale"),
        ("scale", json!(["Oui", "Oui"]), "scale[1]"),
        ("title", json!(""), "title"),
    ] {
        let mut bad = adapted.clone();
        bad[field] = value;
        let (status, body) = server.call("PUT", path, Some(&a.admin), Some(bad));
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_field")),
            "{body}"
        );
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with(names),
            "{body}"
        );
    }
    let still: GridTemplate =
        serde_json::from_value(get(&teacher, path)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(still.version, 2);
    assert_eq!(
        server
            .call(
                "GET",
                "/api/grid-templates/bacpro-agora:E99",
                Some(&teacher),
                None
            )
            .0,
        404
    );
}

fn sessions_gather_candidates_and_juries(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let a = School::open(&server, db, "0750003c", "direction@lycee-c.fr");
    let agora = a.class("T AGOrA A", "bacpro-agora");
    let bts = a.class("BTS GPME 2", "bts-gpme");
    let rncp = a.class("ACE 2027", "rncp34786");
    let teacher = a.account("prof@lycee-c.fr", "Paul", "Prof", "teacher");
    let other = a.account("autre@lycee-c.fr", "Anne", "Autre", "teacher");
    let juror = a.account("jure@lycee-c.fr", "Jean", "Juré", "jury");
    let report = a.import_csv(
        "nom;prénom;date de naissance;email;classe\n\
         Zola;Emma;12/03/2009;emma@eleve-c.fr;T AGOrA A\n\
         Arnaud;Léo;01/02/2009;leo@eleve-c.fr;T AGOrA A\n\
         Roux;Lina;01/02/2004;lina@eleve-c.fr;ACE 2027\n",
    );
    let student = report["rows"][0]["user_id"].as_i64().unwrap_or_default();
    let admin = a.admin.clone();
    let call = |method: &str, path: &str, body: serde_json::Value| {
        server.call(method, path, Some(&admin), Some(body))
    };
    let session_body = |template: &str, class: i64| {
        json!({
            "template_id": template, "label": "Session 2027",
            "starts_on": "2027-03-01", "ends_on": "2027-05-31", "class_ids": [class]
        })
    };

    // Candidates are the class's students, numbered in name order.
    let (status, body) = call(
        "POST",
        "/api/exam-sessions",
        session_body("bacpro-agora:E31", agora),
    );
    assert_eq!(status, 201, "{body}");
    let session: ExamSession = serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"));
    let numbered: Vec<(&str, &str)> = session
        .candidates
        .iter()
        .map(|c| (c.number.as_str(), c.student.last_name.as_str()))
        .collect();
    assert_eq!(numbered, vec![("0001", "Arnaud"), ("0002", "Zola")]);
    assert_eq!(
        (session.epreuve.as_str(), session.published),
        ("E31", false)
    );
    let (status, body) = call(
        "POST",
        "/api/exam-sessions",
        session_body("bacpro-agora:E31", bts),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("wrong_referential")),
        "{body}"
    );
    assert!(body["message"]
        .as_str()
        .unwrap_or_default()
        .starts_with("class_ids[0]"));
    let (status, body) = call(
        "POST",
        "/api/exam-sessions",
        session_body("bacpro-agora:E9", agora),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("unknown_template")),
        "{body}"
    );

    // Juries: two members at least, staff or jury accounts of the establishment.
    let juries = format!("/api/exam-sessions/{}/juries", session.id);
    let member = |id: i64, role: &str| json!({ "user_id": id, "role": role });
    let (status, body) = call(
        "POST",
        &juries,
        json!({ "name": "Jury 1", "members": [member(teacher, "teacher")] }),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("jury_too_small")),
        "{body}"
    );
    let (status, body) = call(
        "POST",
        &juries,
        json!({ "name": "Jury 1", "members": [member(teacher, "teacher"), member(student, "professional")] }),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("unknown_member")),
        "{body}"
    );
    let (status, body) = call(
        "POST",
        &juries,
        json!({ "name": "Jury 1", "members": [member(teacher, "teacher"), member(juror, "professional")] }),
    );
    assert_eq!(status, 201, "{body}");
    let jury = body["juries"][0]["id"].as_i64().unwrap_or_default();
    let first = session.candidates[0].id;
    let (status, body) = call(
        "PUT",
        &format!("/api/juries/{jury}/candidates"),
        json!({ "candidate_ids": [first] }),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(
        "PUT",
        &format!("/api/juries/{jury}/candidates"),
        json!({ "candidate_ids": [first, 999_999] }),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("unknown_candidate")),
        "{body}"
    );

    // A jury member sees their jury's candidates only; a teacher off the jury nothing.
    let juror_token = a.activate(juror, "jure@lycee-c.fr");
    let (status, body) = server.call(
        "GET",
        &format!("/api/exam-sessions/{}", session.id),
        Some(&juror_token),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let seen: ExamSession = serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        seen.candidates.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![first]
    );
    let listed: Vec<ExamSessionSummary> = serde_json::from_value(
        server
            .call("GET", "/api/exam-sessions", Some(&juror_token), None)
            .1,
    )
    .unwrap_or_default();
    assert_eq!(listed.len(), 1);
    let other_token = a.activate(other, "autre@lycee-c.fr");
    assert_eq!(
        server
            .call(
                "GET",
                &format!("/api/exam-sessions/{}", session.id),
                Some(&other_token),
                None
            )
            .0,
        404
    );
    assert_eq!(
        server
            .call(
                "PUT",
                &format!("/api/juries/{jury}/candidates"),
                Some(&juror_token),
                Some(json!({ "candidate_ids": [] }))
            )
            .0,
        403
    );

    // Non conforme needs its reason.
    let conformity = format!("/api/candidates/{first}/conformity");
    let (status, body) = call("PUT", &conformity, json!({ "conforme": false }));
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_field")),
        "{body}"
    );
    let (status, body) = call(
        "PUT",
        &conformity,
        json!({ "conforme": false, "reason": "Passeport professionnel incomplet : 2 fiches sur 6" }),
    );
    assert_eq!(status, 200, "{body}");
    let candidate: Candidate = serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"));
    assert!(!candidate.conforme);
    assert!(candidate
        .nonconformity_reason
        .unwrap_or_default()
        .starts_with("Passeport"));

    // A certification's jury follows its access route's composition (seed 004).
    let mut body = session_body("rncp34786:RNCP34786BC01", rncp);
    body["access_route"] = json!("J9");
    let (status, answer) = call("POST", "/api/exam-sessions", body.clone());
    assert_eq!(
        (status, answer["code"].as_str()),
        (422, Some("unknown_access_route")),
        "{answer}"
    );
    body["access_route"] = json!("J1");
    let (status, answer) = call("POST", "/api/exam-sessions", body);
    assert_eq!(status, 201, "{answer}");
    let rncp_session: ExamSession =
        serde_json::from_value(answer).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rncp_session.required_composition.len(), 4);
    let (status, body) = call(
        "POST",
        &format!("/api/exam-sessions/{}/juries", rncp_session.id),
        json!({ "name": "Jury RNCP", "members": [member(teacher, "teacher"), member(juror, "professional")] }),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("jury_composition")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expert externe"),
        "{body}"
    );
}

fn a_jury_assesses_agrees_locks_and_an_admin_reopens(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let a = School::open(&server, db, "0750005e", "direction@lycee-e.fr");
    let class = a.class("T AGOrA A", "bacpro-agora");
    let teacher = a.account("prof@lycee-e.fr", "Paul", "Prof", "teacher");
    let juror = a.account("jure@lycee-e.fr", "Jean", "Juré", "jury");
    let outsider = a.account("autre@lycee-e.fr", "Anne", "Autre", "jury");
    a.assign_teachers(class, &[teacher]);
    let report = a.import_csv(
        "nom;prénom;date de naissance;email;classe\nZola;Emma;12/03/2009;emma@eleve-e.fr;T AGOrA A\n",
    );
    let student_id = report["rows"][0]["user_id"].as_i64().unwrap_or_default();
    let student = a.activate(student_id, "emma@eleve-e.fr");
    let prof = a.activate(teacher, "prof@lycee-e.fr");
    let jure = a.activate(juror, "jure@lycee-e.fr");
    let other = a.activate(outsider, "autre@lycee-e.fr");
    let admin = a.admin.clone();
    let call = |token: &str, method: &str, path: &str, body: Option<serde_json::Value>| {
        server.call(method, path, Some(token), body)
    };

    // A validated fiche in the portfolio, for the jury to read.
    let (status, body) = call(
        &student,
        "POST",
        "/api/fiches",
        Some(json!({
            "title": "Accueil des visiteurs au salon", "context": "simulated",
            "description": "J'ai accueilli et orienté les visiteurs.", "items": ["C1.1.1"]
        })),
    );
    assert_eq!(status, 201, "{body}");
    let fiche = body["id"].as_i64().unwrap_or_default();
    assert_eq!(
        call(
            &student,
            "POST",
            &format!("/api/fiches/{fiche}/submit"),
            None
        )
        .0,
        200
    );
    assert_eq!(
        call(
            &prof,
            "POST",
            &format!("/api/fiches/{fiche}/validate"),
            Some(json!({}))
        )
        .0,
        200
    );

    let (status, body) = call(
        &admin,
        "POST",
        "/api/exam-sessions",
        Some(json!({
            "template_id": "bacpro-agora:E31", "label": "Session 2027",
            "starts_on": "2027-03-01", "ends_on": "2027-05-31", "class_ids": [class]
        })),
    );
    assert_eq!(status, 201, "{body}");
    let session = body["id"].as_i64().unwrap_or_default();
    let candidate = body["candidates"][0]["id"].as_i64().unwrap_or_default();
    let (status, body) = call(
        &admin,
        "POST",
        &format!("/api/exam-sessions/{session}/juries"),
        Some(json!({
            "name": "Jury A", "members": [{ "user_id": teacher, "role": "teacher" }, { "user_id": juror, "role": "professional" }]
        })),
    );
    assert_eq!(status, 201, "{body}");
    let jury = body["juries"][0]["id"].as_i64().unwrap_or_default();
    assert_eq!(
        call(
            &admin,
            "PUT",
            &format!("/api/juries/{jury}/candidates"),
            Some(json!({ "candidate_ids": [candidate] }))
        )
        .0,
        200
    );
    let grid_path = format!("/api/candidates/{candidate}/grid");
    let grid_of = |(status, body): (u16, serde_json::Value)| -> CandidateGrid {
        assert_eq!(status, 200, "{body}");
        serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"))
    };

    // The jury reads the validated portfolio; others do not see the grid.
    let grid = grid_of(call(&jure, "GET", &grid_path, None));
    assert_eq!(grid.portfolio, vec![fiche]);
    assert!(grid.can_edit);
    assert_eq!(
        call(&jure, "GET", &format!("/api/fiches/{fiche}"), None).0,
        200
    );
    assert_eq!(
        call(
            &jure,
            "POST",
            &format!("/api/fiches/{fiche}/comments"),
            Some(json!({ "comment": "x" }))
        )
        .0,
        403
    );
    assert_eq!(call(&other, "GET", &grid_path, None).0, 404);
    assert_eq!(
        call(&student, "GET", &grid_path, None).0,
        404,
        "not before publication"
    );

    // Each member assesses; the disagreement shows.
    let codes: Vec<String> = grid
        .template
        .criteria
        .iter()
        .map(|c| c.code.clone())
        .collect();
    let all_at = |level: u8| -> Vec<serde_json::Value> {
        codes
            .iter()
            .map(|c| json!({ "code": c, "level": level }))
            .collect()
    };
    assert_eq!(
        call(
            &prof,
            "PUT",
            &format!("{grid_path}/mine"),
            Some(json!({ "levels": all_at(3) }))
        )
        .0,
        200
    );
    let mut juror_levels = all_at(3);
    juror_levels[0]["level"] = json!(4);
    let grid = grid_of(call(
        &jure,
        "PUT",
        &format!("{grid_path}/mine"),
        Some(json!({ "levels": juror_levels })),
    ));
    assert_eq!(grid.disagreements, vec![codes[0].clone()]);
    let (status, body) = call(
        &jure,
        "PUT",
        &format!("{grid_path}/mine"),
        Some(json!({ "levels": [{ "code": codes[0], "level": 9 }] })),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_level")),
        "{body}"
    );
    let (status, body) = call(
        &jure,
        "PUT",
        &format!("{grid_path}/mine"),
        Some(json!({ "levels": [{ "code": "Z9", "level": 1 }] })),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("unknown_criterion")),
        "{body}"
    );

    // The agreed grid: the mark is proposed; an adjusted mark needs its justification.
    assert_eq!(
        call(&jure, "POST", &format!("{grid_path}/sign"), None).0,
        422,
        "nothing agreed yet"
    );
    let agreed = json!({ "levels": all_at(3), "comments": [{ "field": "Appréciation du jury", "text": "Accueil soigné." }] });
    let grid = grid_of(call(&prof, "PUT", &grid_path, Some(agreed.clone())));
    assert_eq!(grid.proposed_mark, Some(13.5));
    let mut adjusted = agreed.clone();
    adjusted["final_mark"] = json!(14.5);
    let (status, body) = call(&prof, "PUT", &grid_path, Some(adjusted.clone()));
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_field")),
        "{body}"
    );
    adjusted["final_mark"] = json!(25);
    let (status, body) = call(&prof, "PUT", &grid_path, Some(adjusted.clone()));
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_mark")),
        "{body}"
    );
    adjusted["final_mark"] = json!(14.5);
    adjusted["justification"] = json!("Très bonne gestion de l'aléa.");
    let grid = grid_of(call(&prof, "PUT", &grid_path, Some(adjusted)));
    assert_eq!(grid.final_mark, Some(14.5));

    // Both sign: locked, immutable; only an admin reopens, with a reason.
    let grid = grid_of(call(&prof, "POST", &format!("{grid_path}/sign"), None));
    assert_eq!((grid.status, grid.signatures.len()), (GridStatus::Open, 1));
    let grid = grid_of(call(&jure, "POST", &format!("{grid_path}/sign"), None));
    assert_eq!(grid.status, GridStatus::Locked);
    assert!(grid.locked_at.is_some());
    let (status, body) = call(&prof, "PUT", &grid_path, Some(agreed.clone()));
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("grid_locked")),
        "{body}"
    );
    assert_eq!(
        call(
            &prof,
            "POST",
            &format!("{grid_path}/reopen"),
            Some(json!({ "reason": "x" }))
        )
        .0,
        403
    );
    assert_eq!(
        call(
            &admin,
            "POST",
            &format!("{grid_path}/reopen"),
            Some(json!({ "reason": " " }))
        )
        .0,
        400
    );
    let grid = grid_of(call(
        &admin,
        "POST",
        &format!("{grid_path}/reopen"),
        Some(json!({ "reason": "Erreur sur le critère 1" })),
    ));
    assert_eq!((grid.status, grid.signatures.len()), (GridStatus::Open, 0));
    assert_eq!(
        grid.final_mark,
        Some(14.5),
        "the grid is kept, only unlocked"
    );
    let (_, journal) = call(&admin, "GET", "/api/audit", None);
    let text = journal.to_string();
    assert!(
        text.contains("grid.locked") && text.contains("grid.reopened"),
        "{text}"
    );

    // Published: the candidate reads the agreed grid, not the members' own.
    assert_eq!(
        call(
            &prof,
            "POST",
            &format!("/api/exam-sessions/{session}/publish"),
            None
        )
        .0,
        403
    );
    assert_eq!(
        call(
            &admin,
            "POST",
            &format!("/api/exam-sessions/{session}/publish"),
            None
        )
        .0,
        200
    );
    let (status, body) = call(&student, "GET", "/api/my-grids", None);
    assert_eq!(status, 200, "{body}");
    let mine: Vec<CandidateGrid> = serde_json::from_value(body).unwrap_or_default();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].final_mark, Some(14.5));
    assert!(mine[0].members.is_empty() && mine[0].jury.is_none());
    assert!(!mine[0].can_edit);
}
