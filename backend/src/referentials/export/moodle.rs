//! Moodle competency framework, in the CSV format of Moodle's admin tool
//! `tool_lpimportcsv` ("Import competency framework"), as its `framework_importer` reads
//! it and its `framework_exporter` writes it:
//!
//! - 14 columns in a fixed order (the importer maps them by position by default; the
//!   header names are the tool's English strings);
//! - one row with `Is framework` set: the framework itself, with its scale (`Scale
//!   values`: the scale's items comma-separated; `Scale configuration`: JSON, first the
//!   scale id — rewritten by the importer — then per scale item whether it is the default
//!   and whether it is proficient; the framework needs at least one of each) and its
//!   taxonomy (one term per level, comma-separated);
//! - one row per competency; `Parent ID number` empty for a top-level competency (the
//!   importer attaches those to the framework), else the parent's `ID number`;
//! - ID numbers and short names are cut at 100 characters by the importer: ours stay
//!   under; ID numbers carry the referential id, so they are unique on a Moodle site and
//!   never numeric (the importer compares parent ID numbers with PHP's loose `==`);
//! - `Cross-referenced competency ID numbers`: comma-separated, a comma inside an ID
//!   number written `%2C`. The importer links only competencies of the same file.

use std::collections::HashMap;

use passerelle_api::{Item, ItemKind};

use super::{tree_order, ExportedReferential, ExternalLink, RELATION_RELATED, RELATION_SAME};
use crate::error::AppError;

/// Header row (tool_lpimportcsv's column names, in its order).
pub const HEADER: [&str; 14] = [
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

/// The degrees of mastery of the framework's scale, lowest first.
pub const SCALE: [&str; 4] = ["Non acquis", "En cours d'acquisition", "Acquis", "Maîtrisé"];
/// Index in [`SCALE`] of the first proficient degree ("Acquis"), which is also the
/// default rating (the one given when a competency is completed by a rule).
const FIRST_PROFICIENT: usize = 2;

/// Moodle's limit on ID numbers and short names (characters).
pub const MAX_LEN: usize = 100;

/// Moodle's FORMAT_PLAIN: descriptions are plain text.
const FORMAT_PLAIN: &str = "2";

/// The Moodle ID number of an item: `referential:code`.
pub fn idnumber(referential: &str, code: &str) -> String {
    format!("{referential}:{code}")
}

/// Moodle taxonomy term of a level made of items of this kind.
pub fn taxonomy(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Domain | ItemKind::Function => "domain",
        ItemKind::Bloc | ItemKind::Competency => "competency",
        ItemKind::Unit | ItemKind::Exam | ItemKind::ExpectedResult => "outcome",
        ItemKind::Activity | ItemKind::Situation => "practice",
        ItemKind::Task | ItemKind::PgiFeature => "skill",
        ItemKind::Criterion => "indicator",
        ItemKind::Assessment => "proficiency",
        ItemKind::Condition
        | ItemKind::Knowledge
        | ItemKind::PgiModule
        | ItemKind::TrainingBase
        | ItemKind::Jury => "concept",
    }
}

/// `Scale values`: the scale's items, comma-separated.
pub fn scale_values() -> String {
    SCALE.join(",")
}

/// `Scale configuration`: the scale id (any: the importer puts the id of the scale it
/// finds or creates), then each degree with its default and proficient flags.
pub fn scale_configuration() -> String {
    let mut parts = vec![serde_json::json!({ "scaleid": "1" })];
    for (i, _) in SCALE.iter().enumerate() {
        parts.push(serde_json::json!({
            "id": i + 1,
            "scaledefault": u8::from(i == FIRST_PROFICIENT),
            "proficient": u8::from(i >= FIRST_PROFICIENT),
        }));
    }
    serde_json::Value::Array(parts).to_string()
}

/// `text` cut to at most `max` characters, at a word boundary when one is near, with an
/// ellipsis when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let at_word = match cut.rfind(' ') {
        Some(i) if cut[..i].chars().count() >= max / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!(
        "{}…",
        at_word.trim_end_matches([' ', ',', ';', ':', '.', '-'])
    )
}

/// Kinds that name a level best, first first: the structure of the diploma (domains,
/// activities, tasks…) before what hangs on it (conditions, savoirs, PGI modules…).
const LEVEL_KINDS: [ItemKind; 8] = [
    ItemKind::Domain,
    ItemKind::Function,
    ItemKind::Activity,
    ItemKind::Bloc,
    ItemKind::Situation,
    ItemKind::Task,
    ItemKind::Competency,
    ItemKind::Criterion,
];

/// The framework's taxonomy: per level (depth 1 first) the term of the kind that names
/// the level best among the kinds of its items.
fn taxonomies(items: &[Item], order: &[(usize, usize)]) -> String {
    let depth = order.iter().map(|&(_, d)| d).max().unwrap_or(0);
    let rank = |kind: ItemKind| {
        LEVEL_KINDS
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(LEVEL_KINDS.len())
    };
    let mut best: Vec<Option<ItemKind>> = vec![None; depth];
    for &(i, d) in order {
        let kind = items[i].kind;
        let level = &mut best[d - 1];
        if level.is_none_or(|b| rank(kind) < rank(b)) {
            *level = Some(kind);
        }
    }
    best.iter()
        .map(|k| k.map_or("competency", taxonomy))
        .collect::<Vec<_>>()
        .join(",")
}

/// The CSV file (UTF-8, comma-separated, CRLF, quoted where needed): the framework row,
/// then every item in tree order (a parent before its children, siblings in order).
///
/// `links` with relation `same` or `related` from an item of this referential fill its
/// cross-referenced ID numbers with the other item's ID number; other links, and links
/// from codes this referential does not have, are left out.
pub fn framework_csv(
    referential: &ExportedReferential<'_>,
    links: &[ExternalLink],
) -> Result<Vec<u8>, AppError> {
    let items = referential.items;
    let order = tree_order(items);
    let mut related: HashMap<&str, Vec<String>> = HashMap::new();
    for link in links
        .iter()
        .filter(|l| l.relation == RELATION_SAME || l.relation == RELATION_RELATED)
    {
        let other = idnumber(&link.other_referential, &link.other_code).replace(',', "%2C");
        let list = related.entry(link.code.as_str()).or_default();
        if !list.contains(&other) {
            list.push(other);
        }
    }

    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let csv_error = |e: csv::Error| AppError::internal(format!("moodle csv: {e}"));
    crate::text::write_csv_record(&mut writer, HEADER).map_err(csv_error)?;
    let framework_description = format!(
        "{} (version {}). Référentiel exporté de Passerelle.",
        referential.title, referential.version
    );
    crate::text::write_csv_record(
        &mut writer,
        [
            "",
            &shorten(referential.id, MAX_LEN),
            &shorten(referential.title, MAX_LEN),
            &framework_description,
            FORMAT_PLAIN,
            &scale_values(),
            &scale_configuration(),
            "",
            "",
            "",
            "",
            "",
            "1",
            &taxonomies(items, &order),
        ],
    )
    .map_err(csv_error)?;
    let codes: std::collections::HashSet<&str> = items.iter().map(|i| i.code.as_str()).collect();
    for &(i, _) in &order {
        let item = &items[i];
        let parent = item
            .parent
            .as_deref()
            .filter(|p| codes.contains(p) && *p != item.code)
            .map(|p| idnumber(referential.id, p))
            .unwrap_or_default();
        let description = format!(
            "{}\n\n{} {}",
            item.label,
            item.kind.label_fr(),
            item.official_code.as_deref().unwrap_or(&item.code)
        );
        let cross = related
            .get(item.code.as_str())
            .map(|l| l.join(","))
            .unwrap_or_default();
        crate::text::write_csv_record(
            &mut writer,
            [
                parent.as_str(),
                &idnumber(referential.id, &item.code),
                &shorten(&format!("{} {}", item.code, item.label), MAX_LEN),
                &description,
                FORMAT_PLAIN,
                "",
                "",
                "",
                "0",
                "null",
                &cross,
                "",
                "0",
                "",
            ],
        )
        .map_err(csv_error)?;
    }
    writer
        .into_inner()
        .map_err(|e| AppError::internal(format!("moodle csv: {e}")))
}

#[cfg(test)]
mod tests {
    use super::super::tests::item;
    use super::*;

    fn read(bytes: &[u8]) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes)
            .records()
            .map(|r| {
                r.map(|r| r.iter().map(str::to_owned).collect())
                    .unwrap_or_default()
            })
            .collect()
    }

    fn sample() -> Vec<Item> {
        vec![
            item("D1", ItemKind::Domain, None, "Domaine, premier"),
            item("1.1", ItemKind::Activity, Some("D1"), "Activité \"citée\""),
            item(
                "T.1.1.1",
                ItemKind::Task,
                Some("1.1"),
                &"Une tâche au libellé très long ".repeat(6),
            ),
            item("D2", ItemKind::Domain, None, "Domaine deux"),
        ]
    }

    fn referential(items: &[Item]) -> ExportedReferential<'_> {
        ExportedReferential {
            id: "bts-x",
            title: "BTS X",
            version: "2020",
            seeds: &[],
            items,
        }
    }

    #[test]
    fn framework_row_then_items_in_tree_order() {
        let items = sample();
        let rows = read(&framework_csv(&referential(&items), &[]).unwrap_or_default());
        assert_eq!(rows[0], HEADER);
        assert_eq!(rows.len(), 2 + items.len());
        let framework = &rows[1];
        assert_eq!(framework[12], "1");
        assert_eq!(framework[1], "bts-x");
        assert_eq!(
            framework[5],
            "Non acquis,En cours d'acquisition,Acquis,Maîtrisé"
        );
        assert_eq!(framework[13], "domain,practice,skill");
        let ids: Vec<&str> = rows[2..].iter().map(|r| r[1].as_str()).collect();
        assert_eq!(ids, ["bts-x:D1", "bts-x:1.1", "bts-x:T.1.1.1", "bts-x:D2"]);
        assert_eq!(rows[2][0], "");
        let mut mixed = items.clone();
        mixed.insert(0, item("U1", ItemKind::Exam, None, "Épreuve"));
        mixed.insert(1, item("U2", ItemKind::Exam, None, "Épreuve"));
        let rows = read(&framework_csv(&referential(&mixed), &[]).unwrap_or_default());
        assert_eq!(rows[1][13], "domain,practice,skill", "domains name level 1");
        let rows = read(&framework_csv(&referential(&items), &[]).unwrap_or_default());
        assert_eq!(rows[3][0], "bts-x:D1");
        assert_eq!(rows[4][0], "bts-x:1.1");
        assert_eq!(rows[3][2], "1.1 Activité \"citée\"");
        assert!(rows[2..].iter().all(|r| r[12] == "0" && r.len() == 14));
    }

    #[test]
    fn short_names_fit_moodle_and_keep_the_full_label_in_the_description() {
        let items = sample();
        let rows = read(&framework_csv(&referential(&items), &[]).unwrap_or_default());
        let task = &rows[4];
        assert!(task[2].chars().count() <= MAX_LEN, "{}", task[2]);
        assert!(task[2].starts_with("T.1.1.1 Une tâche"));
        assert!(task[2].ends_with('…'));
        assert!(task[3].starts_with(&items[2].label));
        assert!(task[3].ends_with("Tâche T.1.1.1"));
    }

    #[test]
    fn scale_configuration_has_a_default_and_proficient_degrees() {
        let config: serde_json::Value =
            serde_json::from_str(&scale_configuration()).unwrap_or_default();
        assert_eq!(config[0]["scaleid"], "1");
        assert_eq!(config.as_array().map(Vec::len), Some(5));
        assert_eq!(config[3]["scaledefault"], 1);
        assert_eq!(config[3]["proficient"], 1);
        assert_eq!(config[4]["proficient"], 1);
        assert_eq!(config[2]["proficient"], 0);
    }

    #[test]
    fn same_and_related_links_fill_cross_references() {
        let items = sample();
        let link = |relation: &str, other_code: &str| ExternalLink {
            code: "1.1".into(),
            other_referential: "crcn".into(),
            other_code: other_code.into(),
            relation: relation.into(),
        };
        let links = [
            link("same", "1.2"),
            link("related", "a,b"),
            link("cites", "3.1"),
            link("same", "1.2"),
        ];
        let rows = read(&framework_csv(&referential(&items), &links).unwrap_or_default());
        assert_eq!(rows[3][10], "crcn:1.2,crcn:a%2Cb");
        assert_eq!(rows[2][10], "");
    }

    #[test]
    fn shorten_cuts_at_a_word() {
        assert_eq!(shorten("court", 10), "court");
        assert_eq!(shorten("un deux trois quatre", 12), "un deux…");
        assert_eq!(shorten("abcdefghijklmnop", 6), "abcde…");
    }
}
