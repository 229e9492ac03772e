//! The PGI catalogue (software, modules, features, training bases, which referential
//! items call for which features) and the correspondences between referentials.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ItemKind;

/// `GET /api/pgi`: referentials/pgi/catalogue.toml, validated.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PgiCatalogue {
    pub software: Vec<PgiSoftware>,
    pub modules: Vec<PgiModule>,
    pub features: Vec<PgiFeature>,
    pub bases: Vec<TrainingBase>,
    pub uses: Vec<FeatureUse>,
}

/// A PGI (EBP, EBP Open Line…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PgiSoftware {
    pub id: String,
    pub name: String,
    /// `seed:line` where the text names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// A public source other than a seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citation: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_at: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A module (gestion commerciale, CRM, comptabilité…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PgiModule {
    pub id: String,
    pub label: String,
    /// Ids of the software that have it.
    pub software: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citation: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_at: Vec<String>,
}

/// A canonical feature (devis, lettrage, bulletins de paie…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PgiFeature {
    pub id: String,
    pub module: String,
    pub label: String,
    /// Folded words that find it in a text.
    pub keywords: Vec<String>,
    /// Every `seed:line` that mentions it.
    pub sources: Vec<String>,
}

/// A training base (JUPITER MEDIA…): a fictional company modelled in the PGI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingBase {
    pub id: String,
    pub name: String,
    pub software: Vec<String>,
    /// Ids of the modules it covers.
    pub modules: Vec<String>,
    /// What the texts say of it, verbatim.
    pub notes: Vec<String>,
    pub sources: Vec<String>,
    /// Why these modules, in French, when inferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// The referential items it is recommended (or usable) for.
    #[serde(default)]
    pub recommended_for: Vec<BaseRecommendation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseRecommendation {
    pub referential: String,
    pub item: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Features a referential item calls for, and why (a seed line or a French rationale).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureUse {
    pub referential: String,
    pub item: String,
    pub features: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
}

/// How two items of different referentials relate (referentials/README.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// Identical or near-identical wording (CASE exactMatchOf).
    Same,
    /// Content overlaps (CASE isRelatedTo).
    Related,
    /// An AGOrA activity cites a CRCN competency.
    Cites,
    /// A Bac Pro situation prepares a BTS task.
    Prepares,
}

impl Relation {
    pub const ALL: [Relation; 4] = [
        Relation::Same,
        Relation::Related,
        Relation::Cites,
        Relation::Prepares,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Same => "same",
            Relation::Related => "related",
            Relation::Cites => "cites",
            Relation::Prepares => "prepares",
        }
    }

    /// French, as the UI shows it, read from the item whose page it is.
    pub fn label_fr(self, direction: Direction) -> &'static str {
        match (self, direction) {
            (Relation::Same, _) => "identique",
            (Relation::Related, _) => "proche",
            (Relation::Cites, Direction::Outgoing) => "cite",
            (Relation::Cites, Direction::Incoming) => "cité par",
            (Relation::Prepares, Direction::Outgoing) => "prépare",
            (Relation::Prepares, Direction::Incoming) => "préparé par",
        }
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Relation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Relation::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown relation `{s}` (same, related, cites, prepares)"))
    }
}

/// Which way a link goes, seen from the item asked about: outgoing when the link was
/// declared from it (it `cites`, it `prepares`), incoming when declared towards it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Outgoing,
    Incoming,
}

/// An item of another referential linked to the one asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correspondence {
    /// The OTHER item.
    pub referential_id: String,
    pub code: String,
    pub kind: ItemKind,
    pub label: String,
    pub relation: Relation,
    pub direction: Direction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// `seed:line` stating the link, when a seed states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// An item named by referential and code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ItemKey {
    pub referential_id: String,
    pub code: String,
}

/// `POST /api/correspondences/implied` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImpliedRequest {
    pub items: Vec<ItemKey>,
}

/// At most this many items in one `POST /api/correspondences/implied`.
pub const IMPLIED_MAX_ITEMS: usize = 500;
