//! Exports of every referential of referentials/, on SQLite and PostgreSQL, read back the
//! way the receiving tool reads them: the Moodle competency framework CSV (Moodle's
//! tool_lpimportcsv) with the `csv` crate, the CASE 1.1 package against 1EdTech's own
//! CFPackage JSON Schema (tests/schemas/). Both must reproduce the tree that
//! `GET /api/referentials/{id}` serves, and CASE identifiers must not change between
//! exports, servers or engines.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use passerelle_api::{ReferentialDetail, ReferentialSummary};
use passerelle_tests::{
    on_both_engines, referentials_dir, repo_root, Engine, TestDatabase, TestServer,
};
use serde_json::Value;

on_both_engines!(
    moodle_csv_reproduces_every_referential,
    case_package_reproduces_every_referential,
    unknown_referentials_are_404,
);

/// tool_lpimportcsv's columns, in its order (framework_importer::list_required_headers).
const MOODLE_HEADER: [&str; 14] = [
    "Parent ID number",
    "ID number",
    "Short name",
    "Description",
    "Description format",
    "Scale values",
    "Scale configuration",
    "Rule type (optional)",
    "Rule outcome (optional)",
    "Rule config (optional)",
    "Cross-referenced competency ID numbers",
    "Exported ID (optional)",
    "Is framework",
    "Taxonomy",
];

/// core_competency\competency_framework's taxonomy terms.
const MOODLE_TAXONOMIES: [&str; 11] = [
    "behaviour",
    "competency",
    "concept",
    "domain",
    "indicator",
    "level",
    "outcome",
    "practice",
    "proficiency",
    "skill",
    "value",
];

/// GET returning status, headers of interest and the raw body.
fn download(server: &TestServer, path: &str) -> (u16, String, String, Vec<u8>) {
    let response = match ureq::get(&server.url(path)).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("GET {path}: {e}"),
    };
    let status = response.status();
    let content_type = response
        .header("Content-Type")
        .unwrap_or_default()
        .to_owned();
    let disposition = response
        .header("Content-Disposition")
        .unwrap_or_default()
        .to_owned();
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut body)
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    (status, content_type, disposition, body)
}

fn referentials(server: &TestServer) -> Vec<ReferentialDetail> {
    let list: Vec<ReferentialSummary> = server.get_ok("/api/referentials");
    let files = std::fs::read_dir(referentials_dir())
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .count();
    assert_eq!(list.len(), files, "every file of referentials/ is served");
    list.iter()
        .map(|r| server.get_ok(&format!("/api/referentials/{}", r.id)))
        .collect()
}

/// Parent code of every item.
type Parents = HashMap<String, Option<String>>;
/// Each parent (None: the top) with its children's codes in order.
type Children = Vec<(Option<String>, Vec<String>)>;

/// Parent code of every item, and the children of every parent in order.
fn tree(d: &ReferentialDetail) -> (Parents, Children) {
    let parents = d
        .items
        .iter()
        .map(|i| (i.code.clone(), i.parent.clone()))
        .collect();
    let mut children: Children = Vec::new();
    for item in &d.items {
        match children.iter_mut().find(|(p, _)| *p == item.parent) {
            Some((_, list)) => list.push(item.code.clone()),
            None => children.push((item.parent.clone(), vec![item.code.clone()])),
        }
    }
    (parents, children)
}

fn moodle_csv_reproduces_every_referential(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    for d in referentials(&server) {
        let path = format!("/api/referentials/{}/export/moodle.csv", d.id);
        let (status, content_type, disposition, body) = download(&server, &path);
        assert_eq!(status, 200, "{path}");
        assert_eq!(content_type, "text/csv; charset=utf-8", "{path}");
        assert_eq!(
            disposition,
            format!("attachment; filename=\"{}-moodle.csv\"", d.id)
        );
        assert!(std::str::from_utf8(&body).is_ok(), "{path}: not UTF-8");
        assert!(!body.starts_with(&[0xEF, 0xBB, 0xBF]), "{path}: BOM");

        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(body.as_slice());
        let header: Vec<String> = reader
            .headers()
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(header, MOODLE_HEADER, "{path}");
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| {
                r.unwrap_or_else(|e| panic!("{path}: {e}"))
                    .iter()
                    .map(str::to_owned)
                    .collect()
            })
            .collect();
        assert_eq!(rows.len(), 1 + d.items.len(), "{path}: framework + items");

        // The framework row.
        let framework = &rows[0];
        assert_eq!(framework[12], "1", "{path}: first row is the framework");
        assert_eq!(framework[0], "");
        assert_eq!(framework[1], d.id);
        assert!(!framework[2].is_empty() && framework[2].chars().count() <= 100);
        assert_eq!(
            framework[5],
            "Non acquis,En cours d'acquisition,Acquis,Maîtrisé"
        );
        let config: Value =
            serde_json::from_str(&framework[6]).unwrap_or_else(|e| panic!("{path}: {e}"));
        let levels = config.as_array().cloned().unwrap_or_default();
        assert!(levels[0]["scaleid"].is_string(), "{path}: {config}");
        assert_eq!(levels.len(), 5, "{path}: scale id + 4 degrees");
        let flagged = |flag: &str| -> Vec<u64> {
            levels[1..]
                .iter()
                .filter(|l| l[flag].as_u64() == Some(1))
                .filter_map(|l| l["id"].as_u64())
                .collect()
        };
        assert_eq!(flagged("proficient"), vec![3, 4], "from « Acquis »");
        assert_eq!(flagged("scaledefault"), vec![3]);
        let terms: Vec<&str> = framework[13].split(',').collect();
        assert!(
            terms.iter().all(|t| MOODLE_TAXONOMIES.contains(t)),
            "{path}: {terms:?}"
        );

        // One row per item, parents first, the tree of the referential.
        let prefix = format!("{}:", d.id);
        let mut seen: HashSet<&str> = HashSet::new();
        let mut parent_of: Parents = HashMap::new();
        let mut children: Children = Vec::new();
        let labels: HashMap<&str, &str> = d
            .items
            .iter()
            .map(|i| (i.code.as_str(), i.label.as_str()))
            .collect();
        for row in &rows[1..] {
            assert_eq!(row.len(), 14);
            assert_eq!(row[12], "0", "{path}: only one framework row");
            let idnumber = row[1].as_str();
            assert!(idnumber.chars().count() <= 100, "{idnumber}");
            assert!(row[2].chars().count() <= 100, "{}", row[2]);
            let code = idnumber
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("{path}: {idnumber} lacks the referential id"));
            assert!(seen.insert(idnumber), "{path}: {idnumber} twice");
            let label = labels
                .get(code)
                .unwrap_or_else(|| panic!("{path}: unknown item {code}"));
            assert!(row[2].starts_with(code), "{path}: {}", row[2]);
            assert!(row[3].starts_with(label), "{path}: full label of {code}");
            let parent = if row[0].is_empty() {
                None
            } else {
                assert!(
                    seen.contains(row[0].as_str()),
                    "{path}: {idnumber}'s parent {} is not an earlier row",
                    row[0]
                );
                Some(row[0].strip_prefix(&prefix).unwrap_or_default().to_owned())
            };
            parent_of.insert(code.to_owned(), parent.clone());
            match children.iter_mut().find(|(p, _)| *p == parent) {
                Some((_, list)) => list.push(code.to_owned()),
                None => children.push((parent, vec![code.to_owned()])),
            }
        }
        let (expected_parents, expected_children) = tree(&d);
        assert_eq!(parent_of, expected_parents, "{path}: tree");
        // Siblings in the official order.
        let by_parent =
            |c: &[(Option<String>, Vec<String>)]| -> BTreeMap<Option<String>, Vec<String>> {
                c.iter().cloned().collect()
            };
        assert_eq!(
            by_parent(&children),
            by_parent(&expected_children),
            "{path}"
        );
    }
}

fn case_schema() -> jsonschema::Validator {
    let path = repo_root().join("tests/schemas/case_v1p1_cfpackage-jsonschema1.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("CASE schema: {e}"))
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && s.chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
}

fn case_package(server: &TestServer, id: &str) -> Value {
    let path = format!("/api/referentials/{id}/export/case.json");
    let (status, content_type, disposition, body) = download(server, &path);
    assert_eq!(status, 200, "{path}");
    assert_eq!(content_type, "application/json", "{path}");
    assert_eq!(
        disposition,
        format!("attachment; filename=\"{id}-case.json\"")
    );
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// (code → identifier) of the items and every association identifier of a package.
fn identifiers(package: &Value) -> (BTreeMap<String, String>, Vec<String>) {
    let items = package["CFItems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            (
                i["humanCodingScheme"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                i["identifier"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let associations = package["CFAssociations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| a["identifier"].as_str().unwrap_or_default().to_owned())
        .collect();
    (items, associations)
}

fn case_package_reproduces_every_referential(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let validator = case_schema();
    for d in referentials(&server) {
        let package = case_package(&server, &d.id);
        let errors: Vec<String> = validator
            .iter_errors(&package)
            .take(5)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", d.id);

        let document = &package["CFDocument"];
        let document_id = document["identifier"].as_str().unwrap_or_default();
        assert!(is_uuid(document_id), "{document_id}");
        assert_eq!(document["title"], d.title.as_str());
        assert_eq!(document["version"], d.version.as_str());
        assert_eq!(document["creator"], "Passerelle");
        assert_eq!(document["language"], "fr");

        // Every item exactly once, with its label and kind.
        let items = package["CFItems"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), d.items.len(), "{}", d.id);
        let mut identifier_of: HashMap<String, String> = HashMap::new();
        let mut all_ids: HashSet<String> = HashSet::from([document_id.to_owned()]);
        for cf in &items {
            let code = cf["humanCodingScheme"].as_str().unwrap_or_default();
            let identifier = cf["identifier"].as_str().unwrap_or_default();
            assert!(is_uuid(identifier), "{identifier}");
            assert!(
                all_ids.insert(identifier.to_owned()),
                "{}: {code} twice",
                d.id
            );
            assert!(
                identifier_of
                    .insert(code.to_owned(), identifier.to_owned())
                    .is_none(),
                "{}: {code} twice",
                d.id
            );
        }
        for item in &d.items {
            let cf = items
                .iter()
                .find(|c| c["humanCodingScheme"] == item.code.as_str())
                .unwrap_or_else(|| panic!("{}: {} missing", d.id, item.code));
            assert_eq!(cf["fullStatement"], item.label.as_str());
            assert_eq!(cf["CFItemType"], item.kind.label_fr());
        }

        // isChildOf: one per item, towards its parent (or the document for a root),
        // numbered in the official order among siblings.
        let code_of: HashMap<&str, &str> = identifier_of
            .iter()
            .map(|(c, i)| (i.as_str(), c.as_str()))
            .collect();
        let mut parent_of: Parents = HashMap::new();
        let mut numbered: BTreeMap<Option<String>, Vec<(i64, String)>> = BTreeMap::new();
        let mut cross: Vec<(String, String)> = Vec::new();
        for a in package["CFAssociations"].as_array().into_iter().flatten() {
            if a["associationType"] != "isChildOf" {
                // Correspondences: from one of this document's items to another
                // referential's item.
                let kind = a["associationType"].as_str().unwrap_or_default();
                assert!(["exactMatchOf", "isRelatedTo"].contains(&kind), "{a}");
                let origin = a["originNodeURI"]["identifier"]
                    .as_str()
                    .unwrap_or_default();
                assert!(code_of.contains_key(origin), "{}: {a}", d.id);
                cross.push((
                    kind.to_owned(),
                    a["destinationNodeURI"]["title"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                ));
                continue;
            }
            let origin = a["originNodeURI"]["identifier"]
                .as_str()
                .unwrap_or_default();
            let destination = a["destinationNodeURI"]["identifier"]
                .as_str()
                .unwrap_or_default();
            let child = code_of
                .get(origin)
                .unwrap_or_else(|| panic!("{}: origin {origin} is no item", d.id));
            let parent = if destination == document_id {
                None
            } else {
                Some(
                    code_of
                        .get(destination)
                        .unwrap_or_else(|| panic!("{}: destination {destination}", d.id))
                        .to_string(),
                )
            };
            assert!(
                parent_of
                    .insert(child.to_string(), parent.clone())
                    .is_none(),
                "{}: {child} has two parents",
                d.id
            );
            numbered.entry(parent).or_default().push((
                a["sequenceNumber"].as_i64().unwrap_or_default(),
                child.to_string(),
            ));
        }
        let (expected_parents, expected_children) = tree(&d);
        assert_eq!(parent_of, expected_parents, "{}: tree", d.id);
        for (parent, codes) in expected_children {
            let mut got = numbered.remove(&parent).unwrap_or_default();
            got.sort();
            let sequence: Vec<i64> = got.iter().map(|(n, _)| *n).collect();
            let expected_sequence: Vec<i64> = (1..=codes.len() as i64).collect();
            assert_eq!(sequence, expected_sequence, "{}: {parent:?}", d.id);
            let order: Vec<String> = got.into_iter().map(|(_, c)| c).collect();
            assert_eq!(order, codes, "{}: order under {parent:?}", d.id);
        }

        // Every referential has correspondences (the CRCN through AGOrA's citations); the
        // same task title in the old BTS is an exact match.
        assert!(!cross.is_empty(), "{}: no correspondence", d.id);
        if d.id == "bts-ag-pme-pmi" {
            assert!(
                cross.contains(&("exactMatchOf".to_owned(), "bts-gpme T.1.2.4".to_owned())),
                "{cross:?}"
            );
        }

        // Stable: a second export is the same document.
        assert_eq!(case_package(&server, &d.id), package, "{}", d.id);
    }
    // Name-based: computed independently (Python's uuid.uuid5 in Passerelle's namespace).
    let gpme = case_package(&server, "bts-gpme");
    assert_eq!(
        gpme["CFDocument"]["identifier"],
        "72684e0e-a106-5987-b3ec-8620f92bbadc"
    );
    assert_eq!(
        identifiers(&gpme).0.get("T.1.2.4").map(String::as_str),
        Some("b13b64d5-028a-5664-a68b-7b47961e42b9")
    );
}

fn unknown_referentials_are_404(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    for path in [
        "/api/referentials/nope/export/moodle.csv",
        "/api/referentials/nope/export/case.json",
    ] {
        let (status, body) = server.get(path);
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["code"], "not_found", "{path}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| m.contains("nope")));
    }
}

/// The identifiers of every referential's package on one engine.
fn all_identifiers(
    db: &TestDatabase,
    referentials: &Path,
) -> Vec<(BTreeMap<String, String>, Vec<String>)> {
    let server = TestServer::start(db, referentials, None);
    let list: Vec<ReferentialSummary> = server.get_ok("/api/referentials");
    list.iter()
        .map(|r| identifiers(&case_package(&server, &r.id)))
        .collect()
}

/// Same identifiers from another server on another database: PostgreSQL when one runs,
/// else a second SQLite database.
#[test]
fn case_identifiers_are_the_same_on_every_server_and_engine() {
    let sqlite = TestDatabase::create(Engine::Sqlite).unwrap_or_else(|| panic!("sqlite database"));
    let other = TestDatabase::create(Engine::Postgres)
        .or_else(|| TestDatabase::create(Engine::Sqlite))
        .unwrap_or_else(|| panic!("second database"));
    let a = all_identifiers(&sqlite, &referentials_dir());
    let b = all_identifiers(&other, &referentials_dir());
    assert!(!a.is_empty());
    assert_eq!(a, b);
}
