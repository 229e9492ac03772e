//! The PGI catalogue (referentials/pgi/) and the correspondences between referentials
//! (referentials/correspondences/): faithful to the seeds, sound, loaded all or nothing,
//! and served (GET /api/pgi, item correspondences, POST /api/correspondences/implied).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use passerelle::fold::fold;
use passerelle::referentials::file::{plain_text, Seeds};
use passerelle::referentials::{self, LoadData};
use passerelle_api::{Correspondence, Direction, ItemDetail, PgiCatalogue, Relation};
use passerelle_tests::{on_both_engines, referentials_dir, run_cli, TestDatabase, TestServer};
use serde_json::{json, Value};

on_both_engines!(
    serves_the_pgi_catalogue,
    item_pages_show_correspondences_both_ways,
    implied_items_follow_links_one_step,
    the_snapshot_answers_features_and_implied_items,
    a_broken_catalogue_is_refused_and_changes_nothing,
);

fn load() -> LoadData {
    referentials::read_dir(&referentials_dir()).unwrap_or_else(|e| panic!("{e:#?}"))
}

/// Folded, with every run of non-alphanumeric characters made one space.
fn words(text: &str) -> String {
    let folded: String = fold(text)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    format!(
        " {} ",
        folded.split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

/// The words of a `seed:line`.
fn line_words(seeds: &mut Seeds, place: &str) -> String {
    let line = passerelle::referentials::file::seed_line(place, seeds)
        .unwrap_or_else(|e| panic!("{place}: {e}"));
    words(&plain_text(&line.text))
}

fn mentions(line: &str, keyword: &str) -> bool {
    line.contains(&words(keyword))
}

#[test]
fn the_referential_loader_does_not_recurse() {
    let data = passerelle::referentials::file::read_dir(&referentials_dir())
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let ids: Vec<&str> = data.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, passerelle_tests::REFERENTIAL_IDS);
}

#[test]
fn every_feature_and_base_is_mentioned_on_its_source_lines() {
    let data = load();
    let pgi = &data.pgi.catalogue;
    let mut seeds = Seeds::new(referentials_dir().join("sources"));
    let mut problems = Vec::new();
    for f in &pgi.features {
        for place in &f.sources {
            let line = line_words(&mut seeds, place);
            if !f.keywords.iter().any(|k| mentions(&line, k)) {
                problems.push(format!(
                    "feature {}: {place} mentions none of {:?}",
                    f.id, f.keywords
                ));
            }
        }
    }
    for b in &pgi.bases {
        for place in b
            .sources
            .iter()
            .chain(b.recommended_for.iter().flat_map(|r| &r.source))
        {
            if !mentions(&line_words(&mut seeds, place), &b.name) {
                problems.push(format!("base {}: {place} does not name it", b.id));
            }
        }
    }
    let keywords: HashMap<&str, &[String]> = pgi
        .features
        .iter()
        .map(|f| (f.id.as_str(), f.keywords.as_slice()))
        .collect();
    for u in &pgi.uses {
        let Some(place) = &u.source else { continue };
        let line = line_words(&mut seeds, place);
        for f in &u.features {
            if !keywords[f.as_str()].iter().any(|k| mentions(&line, k)) {
                problems.push(format!(
                    "use {} {}: {place} does not mention {f}",
                    u.referential, u.item
                ));
            }
        }
    }
    for s in &pgi.software {
        let place = s.source.as_deref().unwrap_or_default();
        if !mentions(&line_words(&mut seeds, place), "PGI") {
            problems.push(format!("software {}: {place} does not mention a PGI", s.id));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_catalogue_holds_what_the_seeds_list() {
    let pgi = load().pgi.catalogue;
    let software: Vec<&str> = pgi.software.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(software, ["ebp", "open-line"]);
    let bases: Vec<&str> = pgi.bases.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(bases, ["JUPITER MEDIA", "CONTROL RESET", "BUROMOD"]);
    let jupiter = &pgi.bases[0];
    assert_eq!(
        jupiter.modules.len(),
        pgi.modules.len(),
        "JUPITER MEDIA has every module"
    );
    assert!(jupiter
        .notes
        .iter()
        .any(|n| n.contains("seule base ayant la totalité des modules complétée")));
    for module in [
        "gestion-commerciale",
        "crm",
        "comptabilite",
        "immobilisations",
        "paie",
    ] {
        assert!(pgi.modules.iter().any(|m| m.id == module), "{module}");
    }
    for feature in [
        "devis",
        "commandes",
        "bons-de-livraison",
        "factures",
        "avoirs",
        "lettrage",
        "echeanciers",
        "declaration-tva",
        "fiches-salaries",
        "bulletins-paie",
        "tableaux-de-bord",
        "extraction-tableur",
        "fichier-clients",
        "fichier-fournisseurs",
        "relances",
        "amortissements",
    ] {
        assert!(pgi.features.iter().any(|f| f.id == feature), "{feature}");
    }
    // Every PGI list of the seeds is used: the four BTS GPME domains, the nine AGOrA
    // activities.
    let used: BTreeSet<(&str, &str)> = pgi
        .uses
        .iter()
        .map(|u| (u.referential.as_str(), u.item.as_str()))
        .collect();
    for d in ["D1", "D2", "D3", "D4"] {
        assert!(used.contains(&("bts-gpme", d)), "{d}");
    }
    for a in [
        "1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3",
    ] {
        assert!(used.contains(&("bacpro-agora", a)), "{a}");
    }
    // Every feature is called for by some item.
    let called: HashSet<&str> = pgi
        .uses
        .iter()
        .flat_map(|u| u.features.iter().map(String::as_str))
        .collect();
    for f in &pgi.features {
        assert!(
            called.contains(f.id.as_str()),
            "feature {} is used nowhere",
            f.id
        );
    }
}

#[test]
fn correspondences_are_sound_and_complete() {
    let data = load();
    let items: HashMap<(&str, &str), &passerelle_api::Item> = data
        .referentials
        .iter()
        .flat_map(|d| {
            d.items
                .iter()
                .map(move |i| ((d.id.as_str(), i.code.as_str()), i))
        })
        .collect();
    let links = &data.correspondences.links;
    let pairs: BTreeSet<(&str, &str)> = data
        .correspondences
        .pairs
        .iter()
        .map(|p| (p.from.as_str(), p.to.as_str()))
        .collect();
    assert_eq!(
        pairs,
        BTreeSet::from([
            ("bacpro-agora", "bts-gpme"),
            ("bacpro-agora", "crcn"),
            ("bts-ag-pme-pmi", "bts-gpme"),
            ("rncp34786", "bts-gpme"),
        ])
    );
    let mut seen = HashSet::new();
    for l in links {
        assert!(
            items.contains_key(&(l.from_referential.as_str(), l.from_code.as_str())),
            "{l:?}"
        );
        assert!(
            items.contains_key(&(l.to_referential.as_str(), l.to_code.as_str())),
            "{l:?}"
        );
        assert!(Relation::ALL.contains(&l.relation));
        assert!(
            seen.insert((
                &l.from_referential,
                &l.from_code,
                &l.to_referential,
                &l.to_code
            )),
            "duplicate {l:?}"
        );
        assert!(l.rationale.is_some() || l.source.is_some(), "{l:?}");
    }
    let count = |from: &str, to: &str, relation: Relation| {
        links
            .iter()
            .filter(|l| {
                l.from_referential == from && l.to_referential == to && l.relation == relation
            })
            .count()
    };

    // BTS AG PME-PMI ↔ BTS GPME: every task with an identical folded title is linked
    // `same` to it; `same` links with "intitulés identiques" really are identical.
    let tasks = |id: &str| -> Vec<&passerelle_api::Item> {
        data.referentials
            .iter()
            .filter(|d| d.id == id)
            .flat_map(|d| d.items.iter())
            .filter(|i| i.kind == passerelle_api::ItemKind::Task)
            .collect()
    };
    let gpme = tasks("bts-gpme");
    for ag in tasks("bts-ag-pme-pmi") {
        for gp in gpme.iter().filter(|g| words(&g.label) == words(&ag.label)) {
            assert!(
                links.iter().any(|l| l.from_referential == "bts-ag-pme-pmi"
                    && l.from_code == ag.code
                    && l.to_code == gp.code
                    && l.relation == Relation::Same),
                "{} and {} have the same title but no `same` link",
                ag.code,
                gp.code
            );
        }
    }
    for l in links
        .iter()
        .filter(|l| l.rationale.as_deref() == Some("intitulés identiques"))
    {
        let a = items[&(l.from_referential.as_str(), l.from_code.as_str())];
        let b = items[&(l.to_referential.as_str(), l.to_code.as_str())];
        assert_eq!(words(&a.label), words(&b.label), "{l:?}");
    }
    assert!(count("bts-ag-pme-pmi", "bts-gpme", Relation::Same) >= 23);

    // AGOrA → CRCN: exactly the citations printed beside each activity, each on its line.
    let mut seeds = Seeds::new(referentials_dir().join("sources"));
    let mut cited = BTreeSet::new();
    for d in data.referentials.iter().filter(|d| d.id == "bacpro-agora") {
        for item in &d.items {
            if let Some(passerelle_api::AttrValue::List(crcn)) = item.attributes.get("crcn") {
                for c in crcn {
                    let code = c.split(' ').next().unwrap_or_default();
                    cited.insert((item.code.clone(), code.trim_end_matches('.').to_owned()));
                }
            }
        }
    }
    let cites: BTreeSet<(String, String)> = links
        .iter()
        .filter(|l| l.relation == Relation::Cites)
        .map(|l| (l.from_code.clone(), l.to_code.clone()))
        .collect();
    assert_eq!(cites, cited);
    for l in links.iter().filter(|l| l.relation == Relation::Cites) {
        let place = l.source.as_deref().unwrap_or_default();
        let competency = items[&("crcn", l.to_code.as_str())];
        assert!(
            mentions(&line_words(&mut seeds, place), &competency.label),
            "{place} does not cite {}",
            competency.label
        );
    }

    // The other pairs use their own relation only.
    assert!(count("bacpro-agora", "bts-gpme", Relation::Prepares) >= 35);
    assert_eq!(
        links
            .iter()
            .filter(|l| l.from_referential == "bacpro-agora" && l.to_referential == "bts-gpme")
            .count(),
        count("bacpro-agora", "bts-gpme", Relation::Prepares)
    );
    for bloc in 1..=5 {
        let code = format!("RNCP34786BC0{bloc}");
        assert!(
            links
                .iter()
                .any(|l| l.from_code == code && l.to_code.starts_with('B')),
            "{code} has no BTS GPME bloc"
        );
    }
}

#[test]
fn the_files_are_valid_against_their_schemas() {
    let dir = referentials_dir();
    let check = |schema: &Path, files: Vec<std::path::PathBuf>| {
        let schema: Value = serde_json::from_str(
            &std::fs::read_to_string(schema).unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{e}"));
        assert!(!files.is_empty());
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let value: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
            let json = serde_json::to_value(value).unwrap_or_default();
            let errors: Vec<String> = validator
                .iter_errors(&json)
                .take(5)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", file.display());
        }
    };
    check(
        &dir.join("pgi/schema.json"),
        vec![dir.join("pgi/catalogue.toml")],
    );
    let files: Vec<_> = std::fs::read_dir(dir.join("correspondences"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    check(&dir.join("correspondences/schema.json"), files);
}

fn serves_the_pgi_catalogue(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let pgi: PgiCatalogue = server.get_ok("/api/pgi");
    assert_eq!(pgi, load().pgi.catalogue);
    let devis = pgi.features.iter().find(|f| f.id == "devis");
    assert_eq!(
        devis.map(|f| f.module.as_str()),
        Some("gestion-commerciale")
    );
    let jupiter = pgi.bases.iter().find(|b| b.id == "jupiter-media");
    assert!(jupiter.is_some_and(|b| b.modules.iter().any(|m| m == "paie")));
}

fn find<'a>(list: &'a [Correspondence], referential: &str, code: &str) -> &'a Correspondence {
    list.iter()
        .find(|c| c.referential_id == referential && c.code == code)
        .unwrap_or_else(|| panic!("{referential} {code} not in {list:#?}"))
}

fn item_pages_show_correspondences_both_ways(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let ag: ItemDetail = server.get_ok("/api/referentials/bts-ag-pme-pmi/items/T.1.2.4");
    let to_gpme = find(&ag.correspondences, "bts-gpme", "T.1.2.4");
    assert_eq!(to_gpme.relation, Relation::Same);
    assert_eq!(to_gpme.direction, Direction::Outgoing);
    assert_eq!(
        to_gpme.label,
        "Facturation, suivi des règlements et des relances « clients »"
    );

    let gpme: ItemDetail = server.get_ok("/api/referentials/bts-gpme/items/T.1.2.4");
    let from_ag = find(&gpme.correspondences, "bts-ag-pme-pmi", "T.1.2.4");
    assert_eq!(
        (from_ag.relation, from_ag.direction),
        (Relation::Same, Direction::Incoming)
    );
    let from_agora = find(&gpme.correspondences, "bacpro-agora", "S1.2.2");
    assert_eq!(from_agora.relation, Relation::Prepares);
    assert_eq!(from_agora.direction, Direction::Incoming);
    assert!(from_agora
        .rationale
        .as_deref()
        .is_some_and(|r| !r.is_empty()));

    let crcn: ItemDetail = server.get_ok("/api/referentials/crcn/items/1.2");
    let cited_by = find(&crcn.correspondences, "bacpro-agora", "1.1");
    assert_eq!(
        (cited_by.relation, cited_by.direction),
        (Relation::Cites, Direction::Incoming)
    );
    assert!(cited_by
        .source
        .as_deref()
        .is_some_and(|s| s.starts_with("002_")));
    // Every AGOrA activity cites 1.2 « Gérer des données ».
    assert_eq!(crcn.correspondences.len(), 9);

    // An item without links has an empty list.
    let none: ItemDetail = server.get_ok("/api/referentials/bts-gpme/items/D1");
    assert!(none.correspondences.is_empty());
}

fn implied_items_follow_links_one_step(db: &TestDatabase) {
    let server = TestServer::start(db, &referentials_dir(), None);
    let body = json!({ "items": [
        { "referential_id": "bts-ag-pme-pmi", "code": "T.1.2.4" },
        { "referential_id": "bts-gpme", "code": "T.1.2.4" },
    ]});
    let (status, value) = server.call("POST", "/api/correspondences/implied", None, Some(body));
    assert_eq!(status, 200, "{value}");
    let implied: Vec<Correspondence> =
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<(&str, &str)> = implied
        .iter()
        .map(|c| (c.referential_id.as_str(), c.code.as_str()))
        .collect();
    // The given items are excluded, each other one appears once.
    assert!(!keys.contains(&("bts-gpme", "T.1.2.4")), "{keys:?}");
    assert!(!keys.contains(&("bts-ag-pme-pmi", "T.1.2.4")), "{keys:?}");
    assert_eq!(
        keys.iter().collect::<HashSet<_>>().len(),
        keys.len(),
        "{keys:?}"
    );
    for expected in [("bacpro-agora", "S1.2.2"), ("bacpro-agora", "S1.2.3")] {
        assert!(keys.contains(&expected), "{expected:?} not in {keys:?}");
    }

    let (status, value) = server.call(
        "POST",
        "/api/correspondences/implied",
        None,
        Some(json!({ "items": [
            { "referential_id": "bts-gpme", "code": "T.9.9.9" },
            { "referential_id": "nope", "code": "A1" },
        ]})),
    );
    assert_eq!(status, 422, "{value}");
    assert_eq!(value["code"], "unknown_item");
    let message = value["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("bts-gpme T.9.9.9") && message.contains("nope A1"),
        "{message}"
    );
}

fn the_snapshot_answers_features_and_implied_items(db: &TestDatabase) {
    assert!(run_cli(db, &referentials_dir(), &["load"]).status.success());
    let pool = passerelle::db::connect(&passerelle::config::DatabaseUrl::parse(&db.url), 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut conn = pool.get().unwrap_or_else(|e| panic!("{e}"));
    let catalog = passerelle::referentials::catalog::Catalog::default();
    let snapshot = catalog
        .snapshot(&mut conn, Instant::now())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(snapshot.pgi().bases.len(), 3);
    // A task inherits the features of its domain's PGI list.
    let task = snapshot.features_of("bts-gpme", "T.1.2.4");
    for f in ["devis", "factures", "avoirs", "declaration-tva"] {
        assert!(task.contains(&f), "{f} not in {task:?}");
    }
    assert!(!task.contains(&"bulletins-paie"), "{task:?}");
    let situation = snapshot.features_of("bacpro-agora", "S1.2.2");
    assert!(
        situation.contains(&"factures") && situation.contains(&"relances"),
        "{situation:?}"
    );
    assert!(snapshot.features_of("bts-gpme", "nope").is_empty());
    // Inferred uses (no PGI list in the BTS AG PME-PMI seed) carry a rationale.
    let ag = snapshot.features_of("bts-ag-pme-pmi", "T.1.2.4");
    assert!(
        ag.contains(&"factures") && ag.contains(&"relances"),
        "{ag:?}"
    );
    assert!(snapshot
        .pgi()
        .uses
        .iter()
        .filter(|u| u.referential == "bts-ag-pme-pmi")
        .all(|u| u.rationale.is_some()));
    let mut deduped = task.clone();
    deduped.dedup();
    assert_eq!(deduped.len(), task.len());

    let both = snapshot.correspondences_of("bts-gpme", "T.1.6.4");
    assert!(both
        .iter()
        .any(|c| c.code == "S2.2.4" && c.relation == Relation::Prepares));
    let implied = snapshot.implied(&[("bacpro-agora".to_owned(), "S2.2.4".to_owned())]);
    assert_eq!(
        implied
            .iter()
            .map(|c| (c.referential_id.as_str(), c.code.as_str()))
            .collect::<Vec<_>>(),
        [("bts-gpme", "T.1.6.4")]
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(from).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
    assert!(text.contains(from), "{from} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap_or_else(|e| panic!("{e}"));
}

/// (feature id, label) and (from, to, relation) as stored.
type Stored = (Vec<(String, String)>, Vec<(String, String, String)>);

/// What is stored, read straight from the database.
fn stored(db: &TestDatabase) -> Stored {
    use diesel::prelude::*;
    use passerelle::schema::{correspondences, pgi_features};
    let pool = passerelle::db::connect(&passerelle::config::DatabaseUrl::parse(&db.url), 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut conn = pool.get().unwrap_or_else(|e| panic!("{e}"));
    let features = pgi_features::table
        .select((pgi_features::id, pgi_features::label))
        .order(pgi_features::position)
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    let links = correspondences::table
        .select((
            correspondences::from_code,
            correspondences::to_code,
            correspondences::relation,
        ))
        .order(correspondences::id)
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    (features, links)
}

fn a_broken_catalogue_is_refused_and_changes_nothing(db: &TestDatabase) {
    let dir = db.temp_dir().join("referentials");
    copy_dir(&referentials_dir(), &dir);
    let first = run_cli(db, &dir, &["load"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = stored(db);
    assert_eq!(before.0.len(), load().pgi.catalogue.features.len());
    assert_eq!(before.1.len(), load().correspondences.links.len());

    // Good edits and broken ones: nothing may be written.
    let catalogue = dir.join("pgi/catalogue.toml");
    replace_in(
        &catalogue,
        "label = \"Devis\"",
        "label = \"Devis modifiés\"",
    );
    replace_in(&catalogue, "module = \"crm\"", "module = \"nope\"");
    replace_in(&catalogue, "item = \"D2\"", "item = \"D9\"");
    let links = dir.join("correspondences/bts-ag-pme-pmi--bts-gpme.toml");
    replace_in(&links, "relation = \"related\"", "relation = \"equals\"");
    replace_in(&links, "to = \"T.1.2.4\"", "to = \"T.1.2.99\"");
    for args in [&["load", "--dry-run"][..], &["load"][..]] {
        let refused = run_cli(db, &dir, args);
        assert!(
            !refused.status.success(),
            "{args:?} accepted a broken catalogue"
        );
        let stderr = String::from_utf8_lossy(&refused.stderr);
        for expected in [
            "pgi/catalogue.toml: features `opportunites-ventes`: module: unknown `nope`",
            "pgi/catalogue.toml: uses `#",
            "`D9` is not an item of bts-gpme",
            "correspondences/bts-ag-pme-pmi--bts-gpme.toml: link #",
            "unknown relation `equals`",
            "`T.1.2.99` is not an item of bts-gpme",
        ] {
            assert!(stderr.contains(expected), "{expected} not in {stderr}");
        }
    }
    assert_eq!(stored(db), before);

    // A serve with a broken catalogue refuses to start.
    assert!(!passerelle_tests::serve_exits_with_success(
        db,
        &dir,
        &[("JWT_SECRET", passerelle_tests::test_jwt_secret())]
    ));

    // A subfolder's .toml is not a referential (the loader does not recurse), and the
    // good edit alone loads.
    copy_dir(&referentials_dir(), &dir);
    replace_in(
        &dir.join("pgi/catalogue.toml"),
        "label = \"Devis\"",
        "label = \"Devis modifiés\"",
    );
    let ok = run_cli(db, &dir, &["load"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let after = stored(db);
    assert!(after
        .0
        .contains(&("devis".to_owned(), "Devis modifiés".to_owned())));
    assert_eq!(after.1, before.1);
}
