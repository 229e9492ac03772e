//! CCF grid templates over HTTP, on SQLite and PostgreSQL: generated from the referential
//! data (AGOrA's règlement d'examen and matrix, the certifications' blocs), adapted by an
//! admin as new versions that other establishments do not see, bad grids refused.

use passerelle_api::{GridTemplate, GridTemplateSummary, GridTemplateVersion, TemplateOrigin};
use passerelle_tests::school::School;
use passerelle_tests::{on_both_engines, referentials_dir, TestDatabase, TestServer};
use serde_json::json;

on_both_engines!(grids_come_from_the_referentials_and_admins_version_them);

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
