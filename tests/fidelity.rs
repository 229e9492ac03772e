//! Fidelity of the referential data to the official texts (rules in referentials/README.md):
//! labels verbatim on their seed line or repaired with a record, attribute text present in
//! the seed, repairs traceable, counts per kind equal to independent counts of the seeds,
//! and every file valid against referentials/schema.json.

use std::collections::{BTreeMap, HashSet};

use passerelle::referentials::file::{parse, plain_text, ReferentialData, Seeds};
use passerelle_api::{AttrValue, Item};
use passerelle_tests::{referentials_dir, repo_root};
use regex::Regex;
use serde::Deserialize;

fn load_all() -> Vec<(String, ReferentialData)> {
    let dir = referentials_dir();
    let mut seeds = Seeds::new(dir.join("sources"));
    let mut out = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    for name in names {
        let text = std::fs::read_to_string(dir.join(&name)).unwrap_or_else(|e| panic!("{e}"));
        let data = parse(&name, &text, &mut seeds).unwrap_or_else(|e| panic!("{e:#?}"));
        out.push((name, data));
    }
    out
}

fn seed_lines(seed: &str) -> Vec<String> {
    let text = std::fs::read_to_string(referentials_dir().join("sources").join(seed))
        .unwrap_or_else(|e| panic!("{seed}: {e}"));
    text.split('\n').map(plain_text).collect()
}

fn strings(value: &AttrValue) -> Vec<&str> {
    match value {
        AttrValue::Text(t) => vec![t.as_str()],
        AttrValue::List(l) => l.iter().map(String::as_str).collect(),
        AttrValue::Number(_) | AttrValue::Bool(_) => vec![],
    }
}

fn held(item: &Item, field: &str, value: &str) -> bool {
    item.repairs
        .iter()
        .any(|r| r.field == field && r.held == value)
}

#[test]
fn the_five_referentials_are_there() {
    let ids: Vec<String> = load_all().into_iter().map(|(_, d)| d.id).collect();
    assert_eq!(ids, passerelle_tests::REFERENTIAL_IDS);
}

#[test]
fn the_seed_copies_are_the_official_seeds() {
    // referentials/sources holds the seeds so the product can show source lines; they
    // must be byte-identical to ../shared/seeds when it is there (CI, developers).
    let shared = repo_root().join("../shared/seeds");
    if !shared.is_dir() {
        println!("SKIPPED: no ../shared/seeds beside the repository");
        return;
    }
    let mut compared = 0;
    for entry in std::fs::read_dir(&shared).into_iter().flatten().flatten() {
        let ours = referentials_dir().join("sources").join(entry.file_name());
        let a = std::fs::read(entry.path()).unwrap_or_default();
        let b = std::fs::read(&ours).unwrap_or_default();
        assert!(a == b, "{} differs from the shared seed", ours.display());
        compared += 1;
    }
    assert_eq!(compared, 5);
}

#[test]
fn every_label_is_verbatim_or_repaired() {
    let mut problems = Vec::new();
    let mut repairs = 0;
    for (name, data) in load_all() {
        for item in &data.items {
            repairs += item.repairs.len();
            let line = match (&item.source.text, &item.source.citation) {
                (Some(text), _) => text,
                (None, Some(_)) => continue,
                (None, None) => {
                    problems.push(format!("{name} {}: no source", item.code));
                    continue;
                }
            };
            if !line.contains(&item.label) && !held(item, "label", &item.label) {
                problems.push(format!(
                    "{name} {}: label not on line {:?} and not repaired: {}",
                    item.code, item.source.line, item.label
                ));
            }
            for r in item.repairs.iter().filter(|r| r.field == "label") {
                if !line.contains(&r.source_text) {
                    problems.push(format!(
                        "{name} {}: repair source_text not on its line: {}",
                        item.code, r.source_text
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The seeds carry artefacts (DOMAIN.md): a data set without repairs hides them.
    assert!(repairs >= 20, "only {repairs} repairs recorded");
}

/// Referential attributes that are settings of the product, not text of the seeds.
const SETTINGS: [&str; 2] = ["ccf_source", "mastery_scale"];

#[test]
fn ccf_units_follow_the_exam_rules() {
    let expected: BTreeMap<&str, Vec<&str>> = BTreeMap::from([
        ("bts-gpme", vec!["U4", "U6"]),
        ("bacpro-agora", vec!["U31", "U32"]),
        (
            "rncp34786",
            vec![
                "RNCP34786BC01",
                "RNCP34786BC02",
                "RNCP34786BC03",
                "RNCP34786BC04",
                "RNCP34786BC05",
            ],
        ),
    ]);
    let mut problems = Vec::new();
    for (name, data) in load_all() {
        let units: Vec<&str> = data
            .attributes
            .get("ccf_units")
            .map(strings)
            .unwrap_or_default();
        let want = expected.get(data.id.as_str()).cloned().unwrap_or_default();
        if units != want {
            problems.push(format!("{name}: ccf_units {units:?}, expected {want:?}"));
        }
        if !units.is_empty()
            && data
                .attributes
                .get("ccf_source")
                .map(strings)
                .is_none_or(|s| s.iter().all(|t| t.trim().is_empty()))
        {
            problems.push(format!("{name}: ccf_units without a ccf_source"));
        }
        let kind_of: BTreeMap<&str, &str> = data
            .items
            .iter()
            .map(|i| (i.code.as_str(), i.kind.as_str()))
            .collect();
        for unit in &units {
            if !matches!(kind_of.get(unit), Some(&"unit") | Some(&"bloc")) {
                problems.push(format!("{name}: ccf_units: {unit} is not a unit or bloc"));
            }
        }
        // Where the file holds the règlement d'examen, the CCF units of the blocs are the
        // units of the épreuves in CCF for school candidates (column group 1).
        let bloc_units: HashSet<&str> = data
            .items
            .iter()
            .filter(|i| i.kind.as_str() == "unit")
            .filter(|i| {
                i.parent
                    .as_deref()
                    .is_some_and(|p| kind_of.get(p) == Some(&"bloc"))
            })
            .map(|i| i.code.as_str())
            .collect();
        let exams: Vec<&Item> = data
            .items
            .iter()
            .filter(|i| i.kind.as_str() == "exam")
            .collect();
        if !exams.is_empty() {
            let mut in_ccf: Vec<&str> = exams
                .iter()
                .filter(|e| {
                    matches!(e.attributes.get("mode_1"), Some(AttrValue::Text(m)) if m == "CCF")
                })
                .filter_map(|e| match e.attributes.get("unit") {
                    Some(AttrValue::Text(u)) if bloc_units.contains(u.as_str()) => Some(u.as_str()),
                    _ => None,
                })
                .collect();
            in_ccf.sort_unstable();
            let mut listed = units.clone();
            listed.sort_unstable();
            if listed != in_ccf {
                problems.push(format!(
                    "{name}: ccf_units {listed:?}, the règlement d'examen says {in_ccf:?}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_attribute_text_is_in_its_seed_or_repaired() {
    let mut problems = Vec::new();
    for (name, data) in load_all() {
        let whole: BTreeMap<&str, String> = data
            .seeds
            .iter()
            .map(|s| (s.as_str(), seed_lines(s).join("\n")))
            .collect();
        let all_seeds = whole.values().cloned().collect::<Vec<_>>().join("\n");
        for (attr, value) in &data.attributes {
            // Product settings and their rationale (a public text, like an item's
            // `citation`), checked by `ccf_units_follow_the_exam_rules`.
            if SETTINGS.contains(&attr.as_str()) {
                continue;
            }
            for s in strings(value) {
                if !all_seeds.contains(s) {
                    problems.push(format!("{name} referential.{attr}: not in the seeds: {s}"));
                }
            }
        }
        for item in &data.items {
            let Some(seed) = &item.source.seed else {
                continue;
            };
            let text = &whole[seed.as_str()];
            for (attr, value) in &item.attributes {
                let field = format!("attributes.{attr}");
                for s in strings(value) {
                    if !text.contains(s) && !held(item, &field, s) {
                        problems.push(format!("{name} {} {field}: not in {seed}: {s}", item.code));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountSpec {
    count: Vec<CountRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountRule {
    kind: String,
    seed: Option<String>,
    from_line: usize,
    to_line: usize,
    pattern: String,
    #[serde(default = "yes")]
    distinct: bool,
    #[serde(default)]
    adjust: Vec<Adjust>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Adjust {
    delta: i64,
    /// The seed line of the artefact, when the adjustment is about one.
    line: Option<usize>,
    reason: String,
}

fn yes() -> bool {
    true
}

/// Counts what a rule's regular expression finds in the seed, plus its adjustments.
fn count_in_seed(rule: &CountRule, seed: &str) -> i64 {
    let lines = seed_lines(seed);
    let regex = Regex::new(&rule.pattern).unwrap_or_else(|e| panic!("{}: {e}", rule.pattern));
    let range = &lines[rule.from_line - 1..rule.to_line.min(lines.len())];
    let mut distinct = HashSet::new();
    let mut all = 0i64;
    for line in range {
        for caps in regex.captures_iter(line) {
            let found = caps.get(1).or_else(|| caps.get(0)).map(|m| m.as_str());
            all += 1;
            distinct.insert(found.unwrap_or_default().to_owned());
        }
    }
    let base = if rule.distinct {
        distinct.len() as i64
    } else {
        all
    };
    for a in &rule.adjust {
        assert!(
            !a.reason.trim().is_empty()
                && a.line
                    .is_none_or(|l| (rule.from_line..=rule.to_line).contains(&l)),
            "adjustment {a:?} needs a reason, and its line in the rule's range",
        );
    }
    base + rule.adjust.iter().map(|a| a.delta).sum::<i64>()
}

#[test]
fn counts_per_kind_match_the_seeds() {
    let mut problems = Vec::new();
    for (name, data) in load_all() {
        let spec_path = repo_root().join("tests/fidelity").join(&name);
        let spec: CountSpec = toml::from_str(
            &std::fs::read_to_string(&spec_path)
                .unwrap_or_else(|e| panic!("{}: {e}", spec_path.display())),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", spec_path.display()));
        let mut expected: BTreeMap<String, i64> = BTreeMap::new();
        for rule in &spec.count {
            let seed = rule.seed.as_deref().unwrap_or(&data.seeds[0]);
            *expected.entry(rule.kind.clone()).or_default() += count_in_seed(rule, seed);
        }
        let mut held: BTreeMap<String, i64> = BTreeMap::new();
        for item in &data.items {
            *held.entry(item.kind.as_str().to_owned()).or_default() += 1;
        }
        // The structural kinds must be counted wherever the referential has them.
        for kind in [
            "bloc",
            "unit",
            "activity",
            "task",
            "situation",
            "competency",
            "function",
        ] {
            if held.contains_key(kind) && !expected.contains_key(kind) {
                problems.push(format!("{name}: no count rule for kind {kind}"));
            }
        }
        for (kind, n) in &expected {
            let got = held.get(kind).copied().unwrap_or(0);
            if got != *n {
                problems.push(format!(
                    "{name}: {kind}: data holds {got}, the seed counts {n}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_file_validates_against_the_schema() {
    let dir = referentials_dir();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("schema.json")).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("schema.json: {e}"));
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{e}"));
    for (name, _) in load_all() {
        let text = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
        let value: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        let json = serde_json::to_value(value).unwrap_or_default();
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .take(5)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    // The schema is not a rubber stamp: a file with an unknown kind fails it.
    let bad = serde_json::json!({
        "referential": {"id": "x", "title": "x", "version": "1", "seeds": ["s"]},
        "items": [{"code": "A", "kind": "chapter", "label": "x", "line": 1}]
    });
    assert!(!validator.is_valid(&bad));
}
