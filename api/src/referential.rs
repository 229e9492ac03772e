//! Referentials and their items, as the API serves them.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::KindCounts;

/// The vocabulary of item kinds (documented in referentials/README.md).
///
/// Serialised in snake_case; the order of the variants is the display order of counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Domain,
    Function,
    Bloc,
    Unit,
    Exam,
    Activity,
    Task,
    Situation,
    Competency,
    Criterion,
    ExpectedResult,
    Condition,
    Knowledge,
    PgiModule,
    PgiFeature,
    TrainingBase,
    Assessment,
    Jury,
}

impl ItemKind {
    pub const ALL: [ItemKind; 18] = [
        ItemKind::Domain,
        ItemKind::Function,
        ItemKind::Bloc,
        ItemKind::Unit,
        ItemKind::Exam,
        ItemKind::Activity,
        ItemKind::Task,
        ItemKind::Situation,
        ItemKind::Competency,
        ItemKind::Criterion,
        ItemKind::ExpectedResult,
        ItemKind::Condition,
        ItemKind::Knowledge,
        ItemKind::PgiModule,
        ItemKind::PgiFeature,
        ItemKind::TrainingBase,
        ItemKind::Assessment,
        ItemKind::Jury,
    ];

    /// The wire name, as in data files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Domain => "domain",
            ItemKind::Function => "function",
            ItemKind::Bloc => "bloc",
            ItemKind::Unit => "unit",
            ItemKind::Exam => "exam",
            ItemKind::Activity => "activity",
            ItemKind::Task => "task",
            ItemKind::Situation => "situation",
            ItemKind::Competency => "competency",
            ItemKind::Criterion => "criterion",
            ItemKind::ExpectedResult => "expected_result",
            ItemKind::Condition => "condition",
            ItemKind::Knowledge => "knowledge",
            ItemKind::PgiModule => "pgi_module",
            ItemKind::PgiFeature => "pgi_feature",
            ItemKind::TrainingBase => "training_base",
            ItemKind::Assessment => "assessment",
            ItemKind::Jury => "jury",
        }
    }

    /// French singular, for the UI.
    pub fn label_fr(self) -> &'static str {
        match self {
            ItemKind::Domain => "Domaine / pôle",
            ItemKind::Function => "Fonction",
            ItemKind::Bloc => "Bloc de compétences",
            ItemKind::Unit => "Unité",
            ItemKind::Exam => "Épreuve",
            ItemKind::Activity => "Activité",
            ItemKind::Task => "Tâche",
            ItemKind::Situation => "Situation professionnelle",
            ItemKind::Competency => "Compétence",
            ItemKind::Criterion => "Critère d'évaluation",
            ItemKind::ExpectedResult => "Résultat attendu",
            ItemKind::Condition => "Conditions d'exercice",
            ItemKind::Knowledge => "Savoir associé",
            ItemKind::PgiModule => "Module du PGI",
            ItemKind::PgiFeature => "Fonctionnalité du PGI",
            ItemKind::TrainingBase => "Base PGI",
            ItemKind::Assessment => "Modalité d'évaluation",
            ItemKind::Jury => "Composition du jury",
        }
    }

    /// French plural, for counts ("12 tâches").
    pub fn plural_fr(self) -> &'static str {
        match self {
            ItemKind::Domain => "domaines / pôles",
            ItemKind::Function => "fonctions",
            ItemKind::Bloc => "blocs",
            ItemKind::Unit => "unités",
            ItemKind::Exam => "épreuves",
            ItemKind::Activity => "activités",
            ItemKind::Task => "tâches",
            ItemKind::Situation => "situations",
            ItemKind::Competency => "compétences",
            ItemKind::Criterion => "critères",
            ItemKind::ExpectedResult => "résultats attendus",
            ItemKind::Condition => "conditions d'exercice",
            ItemKind::Knowledge => "savoirs associés",
            ItemKind::PgiModule => "modules PGI",
            ItemKind::PgiFeature => "fonctionnalités PGI",
            ItemKind::TrainingBase => "bases PGI",
            ItemKind::Assessment => "modalités d'évaluation",
            ItemKind::Jury => "jurys",
        }
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ItemKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ItemKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown kind `{s}`"))
    }
}

/// `GET /api/referentials` element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferentialSummary {
    pub id: String,
    pub title: String,
    pub version: String,
    pub counts: KindCounts,
}

/// Where an item's text comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Source {
    /// Seed file name (under referentials/sources/), when the item comes from a seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// 1-based line of the seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The seed line as plain text, so a teacher can check the item against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Another public source, for items not printed in a seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citation: Option<String>,
    /// Other lines where the same item is printed again (another table, another seed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<SourceLine>,
}

/// One line of a seed, with its plain text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLine {
    pub seed: String,
    pub line: u32,
    pub text: String,
}

/// One repair of an extraction artefact: what the source said, what we hold, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repair {
    /// `label`, `code` or `attributes.NAME`.
    pub field: String,
    pub source_text: String,
    pub held: String,
    pub reason: String,
}

/// Value of a free attribute of an item (attendus, critères, coefficient…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttrValue {
    Text(String),
    List(Vec<String>),
    Number(f64),
    Bool(bool),
}

/// A referential item as served in `GET /api/referentials/{id}`.
///
/// Free attributes are flattened into the object, next to the fixed fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub code: String,
    pub kind: ItemKind,
    pub label: String,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub official_code: Option<String>,
    pub source: Source,
    #[serde(default)]
    pub repairs: Vec<Repair>,
    /// Links to other items of the same referential, by role (`competency` → codes).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub refs: BTreeMap<String, Vec<String>>,
    #[serde(flatten)]
    pub attributes: BTreeMap<String, AttrValue>,
}

/// Names an item's free attributes must not take, because the wire object uses them.
pub const RESERVED_ATTRIBUTE_NAMES: [&str; 9] = [
    "code",
    "kind",
    "label",
    "parent",
    "official_code",
    "source",
    "repairs",
    "refs",
    "referential",
];

/// `GET /api/referentials/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferentialDetail {
    pub id: String,
    pub title: String,
    pub version: String,
    pub seeds: Vec<String>,
    /// Level, NSF, Formacode, ROME… as printed.
    pub attributes: BTreeMap<String, AttrValue>,
    pub counts: KindCounts,
    /// Hash of the loaded data file, changes with any edit.
    pub content_hash: String,
    /// Flat list in display order; the tree is given by `parent`.
    pub items: Vec<Item>,
}

/// A short reference to an item, for breadcrumbs, children and search hits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRef {
    pub code: String,
    pub kind: ItemKind,
    pub label: String,
}

/// `GET /api/referentials/{id}/items/{code}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemDetail {
    pub referential: ReferentialRef,
    pub item: Item,
    /// From the root down to the parent.
    pub ancestors: Vec<ItemRef>,
    /// In display order.
    pub children: Vec<ItemRef>,
    /// Items of other referentials linked to this one (referentials/correspondences/).
    #[serde(default)]
    pub correspondences: Vec<crate::Correspondence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferentialRef {
    pub id: String,
    pub title: String,
}

/// `GET /api/search` element, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub referential: ReferentialRef,
    pub code: String,
    pub kind: ItemKind,
    pub label: String,
    /// Labels from the root down to the parent, to tell apart items with equal labels.
    pub path: Vec<String>,
    /// Where the query matched when not in the label: the attribute's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_in: Option<String>,
    pub score: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    pub query: String,
    pub hits: Vec<SearchHit>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_wire_names() {
        for kind in ItemKind::ALL {
            assert_eq!(kind.as_str().parse::<ItemKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert!("chapter".parse::<ItemKind>().is_err());
    }

    #[test]
    fn item_attributes_are_flattened() {
        let mut attributes = BTreeMap::new();
        attributes.insert("coefficient".into(), AttrValue::Number(4.0));
        attributes.insert("criteres".into(), AttrValue::List(vec!["Fiabilité".into()]));
        let item = Item {
            code: "E31".into(),
            kind: ItemKind::Exam,
            label: "Sous-épreuve E 31".into(),
            parent: None,
            official_code: None,
            source: Source::default(),
            repairs: vec![],
            refs: BTreeMap::new(),
            attributes,
        };
        let json = serde_json::to_value(&item).unwrap_or_default();
        assert_eq!(json["coefficient"], 4.0);
        assert_eq!(json["criteres"][0], "Fiabilité");
        let back: Item = serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, item);
    }
}
