//! CCF grids: the templates generated from the referentials (criteria, scale, the rule
//! that proposes a mark), which an admin may adapt, each change a new version.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::PersonRef;

/// The national default degrees of mastery of CCF grids, lowest first.
pub const DEFAULT_GRID_SCALE: [&str; 4] = [
    "Très insuffisant",
    "Insuffisant",
    "Satisfaisant",
    "Très satisfaisant",
];

/// The identity block every grid carries, in print order.
pub const GRID_IDENTITY_FIELDS: [&str; 6] = [
    "Académie",
    "Établissement",
    "Session",
    "Épreuve",
    "Nom et prénom du candidat",
    "Numéro du candidat",
];

/// Longest criterion label or indicator, in characters.
pub const GRID_TEXT_MAX_CHARS: usize = 500;
/// Most criteria on one grid.
pub const GRID_CRITERIA_MAX: usize = 60;

/// One line of a grid: a competency (or criterion) assessed at one degree of mastery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridCriterion {
    /// The referential item it comes from (a competency code), or a code of the admin's.
    pub code: String,
    pub label: String,
    /// Critères d'évaluation / indicators printed under the label.
    #[serde(default)]
    pub indicators: Vec<String>,
    /// Relative weight in the proposed mark (1 by default).
    #[serde(default = "one")]
    pub weight: f64,
}

fn one() -> f64 {
    1.0
}

/// How the levels turn into a proposed mark out of 20.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkRule {
    /// Each level is worth its position on the scale (lowest 0, highest 20), and the
    /// mark is the weighted mean over the criteria assessed, rounded to the half point.
    #[default]
    WeightedLevels,
}

impl MarkRule {
    /// The proposed mark for `levels` (1-based, `None` when not assessed) of criteria
    /// with `weights`, on a scale of `scale_len` degrees; `None` when nothing is assessed.
    pub fn propose(self, levels: &[Option<u8>], weights: &[f64], scale_len: usize) -> Option<f64> {
        if scale_len < 2 {
            return None;
        }
        let top = (scale_len - 1) as f64;
        let (mut total, mut weight_sum) = (0.0, 0.0);
        for (level, weight) in levels.iter().zip(weights) {
            if let Some(level) = level.filter(|l| (1..=scale_len).contains(&usize::from(*l))) {
                total += weight * (f64::from(level) - 1.0) / top * 20.0;
                weight_sum += weight;
            }
        }
        (weight_sum > 0.0).then(|| (total / weight_sum * 2.0).round() / 2.0)
    }
}

/// Where a template's current version comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateOrigin {
    /// Generated from the referential data, unchanged.
    Referential,
    /// Adapted by an admin of the establishment.
    Edited,
}

/// `GET /api/grid-templates/{id}`: one épreuve's grid, as the establishment uses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridTemplate {
    /// `referential:épreuve`, e.g. `bacpro-agora:E31`.
    pub id: String,
    pub referential_id: String,
    /// Épreuve code (`E31`, `E4`, `RNCP34786BC01`).
    pub epreuve: String,
    /// Exam unit (`U31`) or, for a certification, the bloc.
    pub unit: String,
    /// The bloc of competencies it certifies.
    pub bloc: String,
    pub title: String,
    /// From the règlement d'examen, when the referential gives it.
    pub coefficient: Option<f64>,
    /// How the candidate is assessed ("CCF", "mise en situation professionnelle…").
    pub modality: String,
    pub criteria: Vec<GridCriterion>,
    /// Degrees of mastery, lowest first.
    pub scale: Vec<String>,
    pub rule: MarkRule,
    /// Free-text boxes of the grid ("Appréciation du jury"…).
    pub comment_fields: Vec<String>,
    pub identity_fields: Vec<String>,
    /// 1 for the generated grid; each admin edit adds one.
    pub version: u32,
    pub origin: TemplateOrigin,
    pub edited_by: Option<PersonRef>,
    pub edited_at: Option<NaiveDateTime>,
}

/// One line of `GET /api/grid-templates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridTemplateSummary {
    pub id: String,
    pub referential_id: String,
    pub epreuve: String,
    pub unit: String,
    pub title: String,
    pub coefficient: Option<f64>,
    pub criteria: u32,
    pub version: u32,
    pub origin: TemplateOrigin,
}

/// `PUT /api/grid-templates/{id}` (admins): a new version of the establishment's grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridTemplateInput {
    pub title: String,
    pub criteria: Vec<GridCriterion>,
    pub scale: Vec<String>,
    #[serde(default)]
    pub rule: MarkRule,
    #[serde(default)]
    pub comment_fields: Vec<String>,
}

/// `GET /api/grid-templates/{id}/versions`: every version, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridTemplateVersion {
    pub version: u32,
    pub origin: TemplateOrigin,
    pub edited_by: Option<PersonRef>,
    pub edited_at: Option<NaiveDateTime>,
    pub title: String,
    pub criteria: u32,
}

#[cfg(test)]
mod tests {
    use super::MarkRule;

    #[test]
    fn levels_make_a_mark_out_of_twenty() {
        let rule = MarkRule::WeightedLevels;
        assert_eq!(
            rule.propose(&[Some(4), Some(4)], &[1.0, 1.0], 4),
            Some(20.0)
        );
        assert_eq!(rule.propose(&[Some(1), Some(1)], &[1.0, 1.0], 4), Some(0.0));
        // (20 × 2 + 13.33 × 1) / 3 = 17.78 → 18.
        assert_eq!(
            rule.propose(&[Some(4), Some(3)], &[2.0, 1.0], 4),
            Some(18.0)
        );
        // Criteria not assessed do not count; nothing assessed, no mark.
        assert_eq!(rule.propose(&[Some(3), None], &[1.0, 1.0], 4), Some(13.5));
        assert_eq!(rule.propose(&[None, None], &[1.0, 1.0], 4), None);
        // A level off the scale is ignored.
        assert_eq!(rule.propose(&[Some(9)], &[1.0], 4), None);
    }
}
