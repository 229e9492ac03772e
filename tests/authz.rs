//! The authorization matrix, on SQLite and PostgreSQL: every operation of the OpenAPI
//! document × anonymous, student, other student, teacher, other teacher, admin, other
//! establishment's admin. Requests aim at establishment A's objects (class of the student
//! and the teacher, the student's account…); a 2xx to a principal outside the operation's
//! expectation fails, and so does an operation of the document without an expectation.
//! Lists are also checked for content: what comes back belongs to the principal.

use std::collections::BTreeSet;

use passerelle_tests::school::{sign_in, School, PASSWORD};
use passerelle_tests::{on_both_engines, referentials_dir, TestDatabase, TestServer};
use serde_json::{json, Value};

on_both_engines!(no_principal_gets_what_is_not_theirs);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Anonymous,
    Student,
    OtherStudent,
    Teacher,
    OtherTeacher,
    Admin,
    OtherAdmin,
}

use Who::*;

const EVERYONE: &[Who] = &[
    Anonymous,
    Student,
    OtherStudent,
    Teacher,
    OtherTeacher,
    Admin,
    OtherAdmin,
];
const SIGNED_IN: &[Who] = &[
    Student,
    OtherStudent,
    Teacher,
    OtherTeacher,
    Admin,
    OtherAdmin,
];
const ADMINS: &[Who] = &[Admin, OtherAdmin];
const STAFF: &[Who] = &[Teacher, OtherTeacher, Admin, OtherAdmin];
/// Title of the teacher's private exercise: no one else may see it in any list.
const PRIVATE_TITLE: &str = "Facturation (privé)";
const PDF: &[u8] = b"%PDF-1.4\n%%EOF\n";
/// Label of establishment A's exam session: only its admin and jury see it.
const SESSION_LABEL: &str = "Session 2027 (lycée A)";
/// Title of the student's draft: no one else may see it in any list.
const DRAFT_TITLE: &str = "Brouillon de Léa";

/// One operation's request (per principal, so bodies can differ) and who may get a 2xx.
struct Expectation {
    method: &'static str,
    template: &'static str,
    allowed: &'static [Who],
    request: Box<dyn Fn(Who) -> Request>,
}

struct Request {
    path: String,
    body: Option<Body>,
}

enum Body {
    Json(Value),
    File(Vec<u8>),
}

fn get(path: impl Into<String>) -> Request {
    Request {
        path: path.into(),
        body: None,
    }
}

fn with_json(path: impl Into<String>, body: Value) -> Request {
    Request {
        path: path.into(),
        body: Some(Body::Json(body)),
    }
}

fn label(who: Who) -> String {
    format!("{who:?}").to_lowercase()
}

fn no_principal_gets_what_is_not_theirs(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    // Establishment A: two classes, a teacher and a student in each, one student invited
    // but not yet signed in.
    let a = School::open(&server, db, "0750001A", "direction@lycee-a.fr");
    let class = a.class("T AGOrA A", "bacpro-agora");
    let other_class = a.class("T AGOrA B", "bacpro-agora");
    let teacher = a.account("prof@lycee-a.fr", "Paul", "Prof", "teacher");
    let other_teacher = a.account("autre.prof@lycee-a.fr", "Anne", "Autre", "teacher");
    a.assign_teachers(class, &[teacher]);
    a.assign_teachers(other_class, &[other_teacher]);
    let class_list = "nom;prénom;date de naissance;email;classe;INE\n\
                      Dupont;Léa;12/03/2009;lea@eleve-a.fr;T AGOrA A;1234567890A\n\
                      Durand;Tom;01/02/2009;tom@eleve-a.fr;T AGOrA B;1234567891B\n\
                      Petit;Zoé;05/05/2009;zoe@eleve-a.fr;T AGOrA A;1234567892C\n";
    let report = a.import_csv(class_list);
    let id_of_row = |i: usize| report["rows"][i]["user_id"].as_i64().unwrap_or_default();
    let (student, other_student, invited) = (id_of_row(0), id_of_row(1), id_of_row(2));
    // Establishment B, with its own admin.
    let b = School::open(&server, db, "0750002B", "direction@lycee-b.fr");
    b.class("BTS GPME 1", "bts-gpme");

    let token = |who: Who| -> Option<String> {
        match who {
            Anonymous => None,
            Student => Some(a.activate(student, "lea@eleve-a.fr")),
            OtherStudent => Some(a.activate(other_student, "tom@eleve-a.fr")),
            Teacher => Some(a.activate(teacher, "prof@lycee-a.fr")),
            OtherTeacher => Some(a.activate(other_teacher, "autre.prof@lycee-a.fr")),
            Admin => Some(a.admin.clone()),
            OtherAdmin => Some(b.admin.clone()),
        }
    };
    let tokens: Vec<(Who, Option<String>)> = EVERYONE.iter().map(|&w| (w, token(w))).collect();
    let email_of = |who: Who| match who {
        Student => "lea@eleve-a.fr",
        OtherStudent => "tom@eleve-a.fr",
        Teacher => "prof@lycee-a.fr",
        OtherTeacher => "autre.prof@lycee-a.fr",
        Admin => "direction@lycee-a.fr",
        OtherAdmin | Anonymous => "direction@lycee-b.fr",
    };

    // Exercises of the teacher (establishment A): a private one with a file, a shared
    // one, spares for the deletions; and assignments in the teacher's class.
    let teacher_token = tokens
        .iter()
        .find(|(w, _)| *w == Teacher)
        .and_then(|(_, t)| t.clone())
        .unwrap_or_default();
    let exercise = |title: &str, visibility: &str| -> i64 {
        let (status, body) = server.call(
            "POST",
            "/api/exercises",
            Some(&teacher_token),
            Some(json!({
                "title": title,
                "visibility": visibility,
                "items": [{ "referential_id": "bacpro-agora", "code": "S1.1.1", "main": true }]
            })),
        );
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().unwrap_or_default()
    };
    let with_file = |id: i64| {
        let (status, body) = server.send_bytes(
            "PUT",
            &format!("/api/exercises/{id}/file?file_name=consignes.pdf"),
            &teacher_token,
            PDF,
        );
        assert_eq!(status, 200, "{body}");
    };
    let private = exercise(PRIVATE_TITLE, "private");
    with_file(private);
    let shared = exercise("Devis partagé", "establishment");
    let [spare_teacher, spare_admin, spare_others] =
        ["Brouillon 1", "Brouillon 2", "Brouillon 3"].map(|t| exercise(t, "private"));
    let [file_teacher, file_admin] = ["Fichier 1", "Fichier 2"].map(|t| {
        let id = exercise(t, "private");
        with_file(id);
        id
    });
    let assignment = || -> i64 {
        let (status, body) = server.call(
            "POST",
            &format!("/api/classes/{class}/exercises"),
            Some(&teacher_token),
            Some(json!({ "exercise_id": shared, "starts_on": "2026-10-05" })),
        );
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().unwrap_or_default()
    };
    let [assigned, assigned_teacher, assigned_admin] = [assignment(), assignment(), assignment()];
    let catalogue = serde_json::to_vec(&json!({
        "format": "passerelle-exercises",
        "version": 1,
        "exercises": [{ "title": "Importé", "items": [] }]
    }))
    .unwrap_or_default();
    let one_of = |who: Who, teacher: i64, admin: i64, others: i64| match who {
        Teacher => teacher,
        Admin => admin,
        _ => others,
    };

    // Fiches of the student (class of the teacher): drafts, submitted ones (one per
    // reviewer for the one-shot transitions), a validated one, attachments.
    let student_token = tokens
        .iter()
        .find(|(w, _)| *w == Student)
        .and_then(|(_, t)| t.clone())
        .unwrap_or_default();
    let fiche = |title: &str| -> i64 {
        let (status, body) = server.call(
            "POST",
            "/api/fiches",
            Some(&student_token),
            Some(json!({
                "title": title,
                "context": "exercise",
                "assignment_id": assigned,
                "description": "J'ai établi les factures.",
                "items": ["C1.1.1"]
            })),
        );
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().unwrap_or_default()
    };
    let submitted = |title: &str| -> i64 {
        let id = fiche(title);
        let (status, body) = server.call(
            "POST",
            &format!("/api/fiches/{id}/submit"),
            Some(&student_token),
            None,
        );
        assert_eq!(status, 200, "{body}");
        id
    };
    let attach = |id: i64| -> i64 {
        let (status, body) = server.send_bytes(
            "POST",
            &format!("/api/fiches/{id}/attachments?file_name=facture.pdf"),
            &student_token,
            PDF,
        );
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().unwrap_or_default()
    };
    let draft = fiche(DRAFT_TITLE);
    let [draft_spare, draft_to_submit, draft_others] = [
        "Brouillon à supprimer",
        "Brouillon à soumettre",
        "Brouillon témoin",
    ]
    .map(fiche);
    let [draft_attachment, draft_attachment_others] = [attach(draft), attach(draft)];
    let reviewed = submitted("Facturation soumise");
    let reviewed_attachment = attach_before_submit(&server, &student_token, fiche("Avec pièce"));
    let [return_teacher, return_admin, return_others] =
        ["À renvoyer 1", "À renvoyer 2", "À renvoyer 3"].map(submitted);
    let [validate_teacher, validate_admin, validate_others] =
        ["À valider 1", "À valider 2", "À valider 3"].map(submitted);
    let validated = submitted("Validée");
    let (status, body) = server.call(
        "POST",
        &format!("/api/fiches/{validated}/validate"),
        Some(&teacher_token),
        Some(json!({ "levels": [{ "code": "C1.1.1", "level": 3 }] })),
    );
    assert_eq!(status, 200, "{body}");

    // An exam session of the student's class, judged by the teacher and a jury member.
    let admin_token = a.admin.clone();
    let juror = a.account("jure@lycee-a.fr", "Jean", "Juré", "jury");
    let (status, body) = server.call(
        "POST",
        "/api/exam-sessions",
        Some(&admin_token),
        Some(json!({
            "template_id": "bacpro-agora:E31", "label": SESSION_LABEL,
            "starts_on": "2027-03-01", "ends_on": "2027-05-31", "class_ids": [class]
        })),
    );
    assert_eq!(status, 201, "{body}");
    let exam_session = body["id"].as_i64().unwrap_or_default();
    let candidate = body["candidates"][0]["id"].as_i64().unwrap_or_default();
    let jury_body = json!({ "name": "Jury 1", "members": [
        { "user_id": teacher, "role": "teacher" }, { "user_id": juror, "role": "professional" }
    ] });
    let (status, body) = server.call(
        "POST",
        &format!("/api/exam-sessions/{exam_session}/juries"),
        Some(&admin_token),
        Some(jury_body.clone()),
    );
    assert_eq!(status, 201, "{body}");
    let jury = body["juries"][0]["id"].as_i64().unwrap_or_default();
    let (status, body) = server.call(
        "PUT",
        &format!("/api/juries/{jury}/candidates"),
        Some(&admin_token),
        Some(json!({ "candidate_ids": [candidate] })),
    );
    assert_eq!(status, 200, "{body}");
    // The session workbook, for the offline import (unchanged: a no-op commit).
    let (status, _, _, session_book) = server.download(
        &format!("/api/exam-sessions/{exam_session}/export.xlsx"),
        &admin_token,
    );
    assert_eq!(status, 200);
    let book_to_commit = session_book.clone();
    let year = a.year_id;
    let csv = class_list.as_bytes().to_vec();
    let expectations: Vec<Expectation> = vec![
        Expectation {
            method: "GET",
            template: "/api/health",
            allowed: EVERYONE,
            request: Box::new(|_| get("/api/health")),
        },
        Expectation {
            method: "GET",
            template: "/api/openapi.json",
            allowed: EVERYONE,
            request: Box::new(|_| get("/api/openapi.json")),
        },
        Expectation {
            method: "GET",
            template: "/api/referentials",
            allowed: EVERYONE,
            request: Box::new(|_| get("/api/referentials")),
        },
        Expectation {
            method: "GET",
            template: "/api/referentials/{id}",
            allowed: EVERYONE,
            request: Box::new(|_| get("/api/referentials/crcn")),
        },
        Expectation {
            method: "GET",
            template: "/api/referentials/{id}/items/{code}",
            allowed: EVERYONE,
            request: Box::new(|_| get("/api/referentials/bts-gpme/items/T.1.2.4")),
        },
        Expectation {
            method: "GET",
            template: "/api/referentials/{id}/export/moodle.csv",
            allowed: EVERYONE,
            request: Box::new(|_| get("/api/referentials/bts-gpme/export/moodle.csv")),
        },
        Expectation {
            method: "GET",
            template: "/api/referentials/{id}/export/case.json",
            allowed: EVERYONE,
            request: Box::new(|_| get("/api/referentials/crcn/export/case.json")),
        },
        Expectation {
            method: "GET",
            template: "/api/search",
            allowed: EVERYONE,
            request: Box::new(|_| get("/api/search?q=tva")),
        },
        Expectation {
            method: "GET",
            template: "/api/pgi",
            allowed: EVERYONE,
            request: Box::new(|_| get("/api/pgi")),
        },
        Expectation {
            method: "POST",
            template: "/api/correspondences/implied",
            allowed: EVERYONE,
            request: Box::new(|_| {
                with_json(
                    "/api/correspondences/implied",
                    json!({ "items": [{ "referential_id": "bts-gpme", "code": "T.1.2.4" }] }),
                )
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/auth/login",
            allowed: &[],
            request: Box::new(|_| {
                with_json(
                    "/api/auth/login",
                    json!({ "email": "personne@lycee-a.fr", "password": "pas le bon" }),
                )
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/auth/refresh",
            allowed: &[],
            request: Box::new(|_| {
                with_json(
                    "/api/auth/refresh",
                    json!({ "refresh_token": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }),
                )
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/auth/activate",
            allowed: &[],
            request: Box::new(move |who| {
                with_json(
                    "/api/auth/activate",
                    json!({ "email": email_of(who), "code": "AAAA-BBBB-CCCC", "password": PASSWORD }),
                )
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/auth/password",
            allowed: &[],
            request: Box::new(|_| {
                with_json(
                    "/api/auth/password",
                    json!({ "current_password": PASSWORD, "new_password": "court" }),
                )
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/me",
            allowed: SIGNED_IN,
            request: Box::new(|_| get("/api/me")),
        },
        Expectation {
            method: "GET",
            template: "/api/establishment",
            allowed: SIGNED_IN,
            request: Box::new(|_| get("/api/establishment")),
        },
        Expectation {
            method: "POST",
            template: "/api/establishment",
            allowed: &[],
            request: Box::new(|who| {
                with_json(
                    "/api/establishment",
                    json!({ "name": label(who), "uai": "0750099Z", "academie": "Paris" }),
                )
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/school-years",
            allowed: SIGNED_IN,
            request: Box::new(|_| get("/api/school-years")),
        },
        Expectation {
            method: "POST",
            template: "/api/school-years",
            allowed: ADMINS,
            request: Box::new(|who| {
                with_json(
                    "/api/school-years",
                    json!({ "label": format!("2027-2028 {}", label(who)), "starts_on": "2027-09-01", "ends_on": "2028-07-04" }),
                )
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/classes",
            allowed: SIGNED_IN,
            request: Box::new(|_| get("/api/classes")),
        },
        Expectation {
            method: "POST",
            template: "/api/classes",
            allowed: &[Admin],
            request: Box::new(move |who| {
                with_json(
                    "/api/classes",
                    json!({ "name": format!("1 AGOrA {}", label(who)), "school_year_id": year, "referential_id": "bacpro-agora" }),
                )
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/classes/{id}",
            allowed: &[Student, Teacher, Admin],
            request: Box::new(move |_| get(format!("/api/classes/{class}"))),
        },
        Expectation {
            method: "PUT",
            template: "/api/classes/{id}/teachers",
            allowed: &[Admin],
            request: Box::new(move |_| {
                with_json(
                    format!("/api/classes/{class}/teachers"),
                    json!({ "teacher_ids": [teacher] }),
                )
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/accounts",
            allowed: ADMINS,
            request: Box::new(|_| get("/api/accounts")),
        },
        Expectation {
            method: "POST",
            template: "/api/accounts",
            allowed: ADMINS,
            request: Box::new(|who| {
                with_json(
                    "/api/accounts",
                    json!({ "email": format!("jury.{}@exemple.fr", label(who)), "first_name": "Jo", "last_name": "Jury", "roles": ["jury"] }),
                )
            }),
        },
        Expectation {
            method: "PATCH",
            template: "/api/accounts/{id}",
            allowed: &[Admin],
            request: Box::new(move |_| {
                with_json(
                    format!("/api/accounts/{student}"),
                    json!({ "first_name": "Léa" }),
                )
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/invitations",
            allowed: &[Admin],
            request: Box::new(move |_| {
                with_json("/api/invitations", json!({ "user_ids": [invited] }))
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/class-lists/preview",
            allowed: ADMINS,
            request: Box::new({
                let csv = csv.clone();
                move |_| Request {
                    path: "/api/class-lists/preview?file_name=liste.csv".into(),
                    body: Some(Body::File(csv.clone())),
                }
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/class-lists/commit",
            allowed: &[Admin],
            request: Box::new(move |_| Request {
                path: "/api/class-lists/commit?file_name=liste.csv".into(),
                body: Some(Body::File(csv.clone())),
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/exercises",
            allowed: STAFF,
            request: Box::new(|_| get("/api/exercises")),
        },
        Expectation {
            method: "POST",
            template: "/api/exercises",
            allowed: STAFF,
            request: Box::new(|who| {
                with_json(
                    "/api/exercises",
                    json!({ "title": format!("Exercice de {}", label(who)) }),
                )
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/exercises/{id}",
            allowed: &[Teacher, Admin],
            request: Box::new(move |_| get(format!("/api/exercises/{private}"))),
        },
        Expectation {
            method: "PUT",
            template: "/api/exercises/{id}",
            allowed: &[Teacher, Admin],
            request: Box::new(move |_| {
                with_json(
                    format!("/api/exercises/{private}"),
                    json!({ "title": PRIVATE_TITLE }),
                )
            }),
        },
        Expectation {
            method: "DELETE",
            template: "/api/exercises/{id}",
            allowed: &[Teacher, Admin],
            request: Box::new(move |who| {
                let id = one_of(who, spare_teacher, spare_admin, spare_others);
                get(format!("/api/exercises/{id}"))
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/exercises/{id}/duplicate",
            allowed: &[Teacher, OtherTeacher, Admin],
            request: Box::new(move |_| get(format!("/api/exercises/{shared}/duplicate"))),
        },
        Expectation {
            method: "PUT",
            template: "/api/exercises/{id}/file",
            allowed: &[Teacher, Admin],
            request: Box::new(move |_| Request {
                path: format!("/api/exercises/{private}/file?file_name=consignes.pdf"),
                body: Some(Body::File(PDF.to_vec())),
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/exercises/{id}/file",
            allowed: &[Teacher, Admin],
            request: Box::new(move |_| get(format!("/api/exercises/{private}/file"))),
        },
        Expectation {
            method: "DELETE",
            template: "/api/exercises/{id}/file",
            allowed: &[Teacher, Admin],
            request: Box::new(move |who| {
                let id = one_of(who, file_teacher, file_admin, private);
                get(format!("/api/exercises/{id}/file"))
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/exercises/suggestions",
            allowed: STAFF,
            request: Box::new(|_| {
                with_json(
                    "/api/exercises/suggestions",
                    json!({ "referential_id": "bts-gpme", "title": "Facturation" }),
                )
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/exercises/export.json",
            allowed: STAFF,
            request: Box::new(|_| get("/api/exercises/export.json")),
        },
        Expectation {
            method: "GET",
            template: "/api/exercises/export.xlsx",
            allowed: STAFF,
            request: Box::new(|_| get("/api/exercises/export.xlsx")),
        },
        Expectation {
            method: "POST",
            template: "/api/exercises/import/preview",
            allowed: STAFF,
            request: Box::new({
                let catalogue = catalogue.clone();
                move |_| Request {
                    path: "/api/exercises/import/preview?file_name=c.json".into(),
                    body: Some(Body::File(catalogue.clone())),
                }
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/exercises/import/commit",
            allowed: STAFF,
            request: Box::new(move |_| Request {
                path: "/api/exercises/import/commit?file_name=c.json".into(),
                body: Some(Body::File(catalogue.clone())),
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/classes/{id}/exercises",
            allowed: &[Teacher, Admin],
            request: Box::new(move |_| get(format!("/api/classes/{class}/exercises"))),
        },
        Expectation {
            method: "POST",
            template: "/api/classes/{id}/exercises",
            allowed: &[Teacher, Admin],
            request: Box::new(move |_| {
                with_json(
                    format!("/api/classes/{class}/exercises"),
                    json!({ "exercise_id": shared, "starts_on": "2026-11-02" }),
                )
            }),
        },
        Expectation {
            method: "PUT",
            template: "/api/assignments/{id}",
            allowed: &[Teacher, Admin],
            request: Box::new(move |_| {
                with_json(
                    format!("/api/assignments/{assigned}"),
                    json!({ "exercise_id": shared, "starts_on": "2026-10-12" }),
                )
            }),
        },
        Expectation {
            method: "DELETE",
            template: "/api/assignments/{id}",
            allowed: &[Teacher, Admin],
            request: Box::new(move |who| {
                let id = one_of(who, assigned_teacher, assigned_admin, assigned);
                get(format!("/api/assignments/{id}"))
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/classes/{id}/coverage",
            allowed: &[Teacher, Admin],
            request: Box::new(move |_| get(format!("/api/classes/{class}/coverage"))),
        },
        Expectation {
            method: "GET",
            template: "/api/classes/{id}/coverage.xlsx",
            allowed: &[Teacher, Admin],
            request: Box::new(move |_| get(format!("/api/classes/{class}/coverage.xlsx"))),
        },
        // Portfolios: the student's own, their class's teachers, the establishment's admin.
        Expectation {
            method: "GET",
            template: "/api/students/{id}/progress",
            allowed: &[Student, Teacher, Admin],
            request: Box::new(move |_| get(format!("/api/students/{student}/progress"))),
        },
        Expectation {
            method: "GET",
            template: "/api/classes/{id}/progress",
            allowed: &[Teacher, Admin],
            request: Box::new(move |_| get(format!("/api/classes/{class}/progress"))),
        },
        Expectation {
            method: "GET",
            template: "/api/students/{id}/passeport.xlsx",
            allowed: &[Student, Teacher, Admin],
            request: Box::new(move |_| get(format!("/api/students/{student}/passeport.xlsx"))),
        },
        Expectation {
            method: "GET",
            template: "/api/students/{id}/portfolio.zip",
            allowed: &[Student, Teacher, Admin],
            request: Box::new(move |_| get(format!("/api/students/{student}/portfolio.zip"))),
        },
        Expectation {
            method: "GET",
            template: "/api/classes/{id}/passeports.zip",
            allowed: &[Teacher, Admin],
            request: Box::new(move |_| get(format!("/api/classes/{class}/passeports.zip"))),
        },
        Expectation {
            method: "POST",
            template: "/api/coverage",
            allowed: &[Teacher, OtherTeacher, Admin],
            request: Box::new(move |_| {
                with_json(
                    "/api/coverage",
                    json!({ "referential_id": "bacpro-agora", "exercise_ids": [shared] }),
                )
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/fiches",
            allowed: SIGNED_IN,
            request: Box::new(|_| get("/api/fiches")),
        },
        Expectation {
            method: "POST",
            template: "/api/fiches",
            allowed: &[Student, OtherStudent],
            request: Box::new(|_| with_json("/api/fiches", json!({ "title": "Nouvelle fiche" }))),
        },
        Expectation {
            method: "GET",
            template: "/api/fiches/exercises",
            allowed: &[Student, OtherStudent],
            request: Box::new(|_| get("/api/fiches/exercises")),
        },
        Expectation {
            method: "GET",
            template: "/api/fiches/{id}",
            allowed: &[Student, Teacher, Admin],
            request: Box::new(move |_| get(format!("/api/fiches/{reviewed}"))),
        },
        Expectation {
            method: "PUT",
            template: "/api/fiches/{id}",
            allowed: &[Student],
            request: Box::new(move |_| {
                with_json(
                    format!("/api/fiches/{draft}"),
                    json!({ "title": DRAFT_TITLE, "items": ["C1.1.1"] }),
                )
            }),
        },
        Expectation {
            method: "DELETE",
            template: "/api/fiches/{id}",
            allowed: &[Student],
            request: Box::new(move |who| {
                let id = if who == Student {
                    draft_spare
                } else {
                    draft_others
                };
                get(format!("/api/fiches/{id}"))
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/fiches/{id}/submit",
            allowed: &[Student],
            request: Box::new(move |who| {
                let id = if who == Student {
                    draft_to_submit
                } else {
                    draft_others
                };
                get(format!("/api/fiches/{id}/submit"))
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/fiches/{id}/attachments",
            allowed: &[Student],
            request: Box::new(move |_| Request {
                path: format!("/api/fiches/{draft}/attachments?file_name=preuve.pdf"),
                body: Some(Body::File(PDF.to_vec())),
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/fiches/{id}/attachments/{attachment}",
            allowed: &[Student, Teacher, Admin],
            request: Box::new(move |_| {
                get(format!(
                    "/api/fiches/{}/attachments/{}",
                    reviewed_attachment.0, reviewed_attachment.1
                ))
            }),
        },
        Expectation {
            method: "DELETE",
            template: "/api/fiches/{id}/attachments/{attachment}",
            allowed: &[Student],
            request: Box::new(move |who| {
                let attachment = if who == Student {
                    draft_attachment
                } else {
                    draft_attachment_others
                };
                get(format!("/api/fiches/{draft}/attachments/{attachment}"))
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/fiches/{id}/comments",
            allowed: &[Student, Teacher, Admin],
            request: Box::new(move |_| {
                with_json(
                    format!("/api/fiches/{reviewed}/comments"),
                    json!({ "comment": "Précisez la date." }),
                )
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/fiches/{id}/return",
            allowed: &[Teacher, Admin],
            request: Box::new(move |who| {
                let id = one_of(who, return_teacher, return_admin, return_others);
                with_json(
                    format!("/api/fiches/{id}/return"),
                    json!({ "comment": "Ajoutez la facture." }),
                )
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/fiches/{id}/validate",
            allowed: &[Teacher, Admin],
            request: Box::new(move |who| {
                let id = one_of(who, validate_teacher, validate_admin, validate_others);
                with_json(
                    format!("/api/fiches/{id}/validate"),
                    json!({ "levels": [{ "code": "C1.1.1", "level": 2 }] }),
                )
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/fiches/{id}/reopen",
            allowed: &[Admin],
            request: Box::new(move |_| {
                with_json(
                    format!("/api/fiches/{validated}/reopen"),
                    json!({ "reason": "Validée par erreur" }),
                )
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/reviews",
            allowed: STAFF,
            request: Box::new(|_| get("/api/reviews")),
        },
        Expectation {
            method: "GET",
            template: "/api/notifications",
            allowed: SIGNED_IN,
            request: Box::new(|_| get("/api/notifications")),
        },
        Expectation {
            method: "POST",
            template: "/api/notifications/read",
            allowed: SIGNED_IN,
            request: Box::new(|_| with_json("/api/notifications/read", json!({ "ids": [] }))),
        },
        Expectation {
            method: "GET",
            template: "/api/grid-templates",
            allowed: STAFF,
            request: Box::new(|_| get("/api/grid-templates")),
        },
        Expectation {
            method: "GET",
            template: "/api/grid-templates/{id}",
            allowed: STAFF,
            request: Box::new(|_| get("/api/grid-templates/bacpro-agora:E32")),
        },
        Expectation {
            method: "PUT",
            template: "/api/grid-templates/{id}",
            allowed: ADMINS,
            request: Box::new(|_| {
                with_json(
                    "/api/grid-templates/bacpro-agora:E32",
                    json!({
                        "title": "E32 adaptée",
                        "criteria": [{ "code": "C3", "label": "Gérer le personnel" }],
                        "scale": ["Non acquis", "Acquis"]
                    }),
                )
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/grid-templates/{id}/versions",
            allowed: STAFF,
            request: Box::new(|_| get("/api/grid-templates/bacpro-agora:E32/versions")),
        },
        Expectation {
            method: "GET",
            template: "/api/exam-sessions",
            allowed: SIGNED_IN,
            request: Box::new(|_| get("/api/exam-sessions")),
        },
        Expectation {
            method: "POST",
            template: "/api/exam-sessions",
            allowed: &[Admin],
            request: Box::new(move |_| {
                with_json(
                    "/api/exam-sessions",
                    json!({
                        "template_id": "bacpro-agora:E32", "label": "Session 2027 bis",
                        "starts_on": "2027-03-01", "ends_on": "2027-05-31", "class_ids": [class]
                    }),
                )
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/exam-sessions/{id}",
            allowed: &[Teacher, Admin],
            request: Box::new(move |_| get(format!("/api/exam-sessions/{exam_session}"))),
        },
        Expectation {
            method: "POST",
            template: "/api/exam-sessions/{id}/juries",
            allowed: &[Admin],
            request: Box::new(move |_| {
                with_json(
                    format!("/api/exam-sessions/{exam_session}/juries"),
                    jury_body.clone(),
                )
            }),
        },
        Expectation {
            method: "PUT",
            template: "/api/juries/{id}/candidates",
            allowed: &[Admin],
            request: Box::new(move |_| {
                with_json(
                    format!("/api/juries/{jury}/candidates"),
                    json!({ "candidate_ids": [candidate] }),
                )
            }),
        },
        Expectation {
            method: "PUT",
            template: "/api/candidates/{id}/conformity",
            allowed: &[Admin],
            request: Box::new(move |_| {
                with_json(
                    format!("/api/candidates/{candidate}/conformity"),
                    json!({ "conforme": false, "reason": "Dossier incomplet" }),
                )
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/candidates/{id}/grid",
            allowed: &[Teacher, Admin],
            request: Box::new(move |_| get(format!("/api/candidates/{candidate}/grid"))),
        },
        Expectation {
            method: "PUT",
            template: "/api/candidates/{id}/grid/mine",
            allowed: &[Teacher],
            request: Box::new(move |_| {
                with_json(
                    format!("/api/candidates/{candidate}/grid/mine"),
                    json!({ "levels": [{ "code": "C1.1.1", "level": 3 }] }),
                )
            }),
        },
        Expectation {
            method: "PUT",
            template: "/api/candidates/{id}/grid",
            allowed: &[Teacher],
            request: Box::new(move |_| {
                with_json(
                    format!("/api/candidates/{candidate}/grid"),
                    json!({ "levels": [{ "code": "C1.1.1", "level": 3 }] }),
                )
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/candidates/{id}/grid/sign",
            allowed: &[],
            // Incomplete grid: nobody can sign yet (422 for the jury, 403/404 for others).
            request: Box::new(move |_| get(format!("/api/candidates/{candidate}/grid/sign"))),
        },
        Expectation {
            method: "POST",
            template: "/api/candidates/{id}/grid/reopen",
            allowed: &[],
            // Not locked: 409 for the admin, 403/404 for others.
            request: Box::new(move |_| {
                with_json(
                    format!("/api/candidates/{candidate}/grid/reopen"),
                    json!({ "reason": "Erreur de saisie" }),
                )
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/candidates/{id}/grid.xlsx",
            allowed: &[Teacher, Admin],
            request: Box::new(move |_| get(format!("/api/candidates/{candidate}/grid.xlsx"))),
        },
        Expectation {
            method: "GET",
            template: "/api/exam-sessions/{id}/export.xlsx",
            allowed: &[Admin],
            request: Box::new(move |_| {
                get(format!("/api/exam-sessions/{exam_session}/export.xlsx"))
            }),
        },
        Expectation {
            method: "GET",
            template: "/api/exam-sessions/{id}/export.csv",
            allowed: &[Admin],
            request: Box::new(move |_| {
                get(format!("/api/exam-sessions/{exam_session}/export.csv"))
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/exam-sessions/{id}/import/preview",
            allowed: &[Admin],
            request: Box::new(move |_| Request {
                path: format!("/api/exam-sessions/{exam_session}/import/preview"),
                body: Some(Body::File(session_book.clone())),
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/exam-sessions/{id}/import/commit",
            allowed: &[Admin],
            request: Box::new(move |_| Request {
                path: format!("/api/exam-sessions/{exam_session}/import/commit"),
                body: Some(Body::File(book_to_commit.clone())),
            }),
        },
        Expectation {
            method: "POST",
            template: "/api/exam-sessions/{id}/publish",
            allowed: &[Admin],
            request: Box::new(move |_| get(format!("/api/exam-sessions/{exam_session}/publish"))),
        },
        Expectation {
            method: "GET",
            template: "/api/my-grids",
            allowed: SIGNED_IN,
            request: Box::new(|_| get("/api/my-grids")),
        },
        Expectation {
            method: "GET",
            template: "/api/audit",
            allowed: ADMINS,
            request: Box::new(|_| get("/api/audit")),
        },
        // Last: it ends the session it is called with (a fresh one, see below).
        Expectation {
            method: "POST",
            template: "/api/auth/logout",
            allowed: SIGNED_IN,
            request: Box::new(|_| get("/api/auth/logout")),
        },
    ];

    // Every documented operation has an expectation, and nothing else does.
    let (_, doc) = server.get("/api/openapi.json");
    let documented: BTreeSet<(String, String)> = passerelle_tests::documented_operations(&doc);
    let expected: BTreeSet<(String, String)> = expectations
        .iter()
        .map(|e| (e.method.to_owned(), e.template.to_owned()))
        .collect();
    assert_eq!(documented, expected, "an operation has no expectation");

    let mut unexpected = Vec::new();
    let mut refused = Vec::new();
    for e in &expectations {
        for (who, token) in &tokens {
            let request = (e.request)(*who);
            // Logout ends the session: use a fresh one so later checks keep theirs.
            let token = match (e.template, token) {
                ("/api/auth/logout", Some(_)) => Some(sign_in(&server, email_of(*who))),
                _ => token.clone(),
            };
            let (status, body) = send(&server, e.method, &request, token.as_deref());
            let ok = (200..300).contains(&status);
            if ok && !e.allowed.contains(who) {
                unexpected.push(format!(
                    "{who:?} {} {} → {status} {body}",
                    e.method, request.path
                ));
            }
            if !ok && e.allowed.contains(who) {
                refused.push(format!(
                    "{who:?} {} {} → {status} {body}",
                    e.method, request.path
                ));
            }
            if ok && e.method == "GET" {
                check_content(
                    e.template,
                    *who,
                    &body,
                    &Ids {
                        class,
                        student,
                        other_student,
                    },
                );
            }
        }
    }
    assert!(
        unexpected.is_empty(),
        "unexpected 2xx:\n{}",
        unexpected.join("\n")
    );
    assert!(
        refused.is_empty(),
        "allowed but refused:\n{}",
        refused.join("\n")
    );
}

struct Ids {
    class: i64,
    student: i64,
    other_student: i64,
}

/// What an allowed GET answers must be the principal's own.
fn check_content(template: &str, who: Who, body: &Value, ids: &Ids) {
    let list = body.as_array().cloned().unwrap_or_default();
    let has_id = |id: i64| list.iter().any(|x| x["id"].as_i64() == Some(id));
    match template {
        "/api/classes" => {
            let sees_class = has_id(ids.class);
            let should = matches!(who, Student | Teacher | Admin);
            assert_eq!(sees_class, should, "{who:?} GET /api/classes: {body}");
        }
        "/api/classes/{id}" => {
            let students: Vec<i64> = body["students"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["id"].as_i64())
                .collect();
            if who == Student {
                // A student sees themself, not their classmates.
                assert_eq!(students, vec![ids.student], "{body}");
            }
            assert!(!students.contains(&ids.other_student), "{body}");
        }
        "/api/accounts" => {
            assert_eq!(has_id(ids.student), who == Admin, "{who:?}: {body}");
        }
        "/api/exercises" | "/api/exercises/export.json" => {
            let text = body.to_string();
            assert_eq!(
                text.contains(PRIVATE_TITLE),
                matches!(who, Teacher | Admin),
                "{who:?} {template}: {body}"
            );
        }
        "/api/students/{id}/progress" => {
            assert_eq!(body["student"]["id"].as_i64(), Some(ids.student), "{body}");
        }
        "/api/classes/{id}/progress" => {
            let students: Vec<i64> = body["students"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|row| row["student"]["id"].as_i64())
                .collect();
            assert!(students.contains(&ids.student), "{body}");
            assert!(!students.contains(&ids.other_student), "{body}");
        }
        "/api/fiches" | "/api/reviews" => {
            let text = body.to_string();
            // Drafts are the student's alone; others' fiches stay in their school and class.
            assert_eq!(
                text.contains(DRAFT_TITLE),
                template == "/api/fiches" && who == Student,
                "{who:?} {template}: {body}"
            );
            assert_eq!(
                text.contains("Facturation soumise"),
                matches!(who, Student | Teacher | Admin),
                "{who:?} {template}: {body}"
            );
        }
        "/api/exam-sessions" => {
            assert_eq!(
                body.to_string().contains(SESSION_LABEL),
                matches!(who, Teacher | Admin),
                "{who:?} {template}: {body}"
            );
        }
        "/api/audit" if who == OtherAdmin => {
            let text = body.to_string();
            assert!(
                !text.contains("lycee-a.fr") && !text.contains("eleve-a.fr"),
                "{body}"
            );
        }
        _ => {}
    }
}

fn send(server: &TestServer, method: &str, request: &Request, token: Option<&str>) -> (u16, Value) {
    match &request.body {
        Some(Body::File(bytes)) => match token {
            Some(token) => server.send_bytes(method, &request.path, token, bytes),
            None => {
                let result = ureq::request(method, &server.url(&request.path)).send_bytes(bytes);
                match result {
                    Ok(r) => (r.status(), Value::Null),
                    Err(ureq::Error::Status(code, _)) => (code, Value::Null),
                    Err(e) => panic!("{e}"),
                }
            }
        },
        Some(Body::Json(value)) => server.call(method, &request.path, token, Some(value.clone())),
        None => server.call(method, &request.path, token, None),
    }
}

/// Attaches a PDF to a draft, then submits it: (fiche id, attachment id).
fn attach_before_submit(server: &TestServer, student: &str, id: i64) -> (i64, i64) {
    let (status, body) = server.send_bytes(
        "POST",
        &format!("/api/fiches/{id}/attachments?file_name=facture.pdf"),
        student,
        PDF,
    );
    assert_eq!(status, 201, "{body}");
    let attachment = body["id"].as_i64().unwrap_or_default();
    let (status, body) = server.call(
        "POST",
        &format!("/api/fiches/{id}/submit"),
        Some(student),
        None,
    );
    assert_eq!(status, 200, "{body}");
    (id, attachment)
}
