//! CCF grid templates, generated from the referential data:
//! - Bac Pro AGOrA: each épreuve of the règlement d'examen held in CCF for school
//!   candidates (`mode_1 = "CCF"`) whose unit is a bloc's (E31 → U31 → bloc 1, E32 → U32
//!   → bloc 3), with the bloc's compétences and, under each, the critères d'évaluation of
//!   the situations of the matrix that call on it;
//! - a referential naming its CCF units (`ccf_units` attribute, BTS GPME: U4, U6): one
//!   grid per unit with its bloc's competencies (épreuve E4 for U4…);
//! - a certification whose blocs carry an assessment item (RNCP34786): one grid per bloc,
//!   titled by the assessment ("mise en situation professionnelle reconstituée").

use std::collections::BTreeMap;

use passerelle_api::{
    AttrValue, GridCriterion, GridTemplate, ItemKind, MarkRule, TemplateOrigin, DEFAULT_GRID_SCALE,
    GRID_IDENTITY_FIELDS,
};

use crate::referentials::catalog::{Entry, Snapshot};

/// Free-text boxes of a generated grid.
const COMMENT_FIELDS: [&str; 2] = ["Appréciation du jury", "Justification de la note proposée"];

/// Every generated template, in referential then épreuve order.
pub fn generated(snapshot: &Snapshot) -> Vec<GridTemplate> {
    snapshot
        .entries
        .iter()
        .flat_map(|e| of_referential(e))
        .collect()
}

/// The generated template `id` (`referential:épreuve`).
pub fn generated_one(snapshot: &Snapshot, id: &str) -> Option<GridTemplate> {
    let (referential, _) = id.split_once(':')?;
    of_referential(snapshot.get(referential)?)
        .into_iter()
        .find(|t| t.id == id)
}

fn text(attributes: &BTreeMap<String, AttrValue>, name: &str) -> Option<String> {
    match attributes.get(name) {
        Some(AttrValue::Text(t)) => Some(t.clone()),
        Some(AttrValue::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn number(attributes: &BTreeMap<String, AttrValue>, name: &str) -> Option<f64> {
    match attributes.get(name) {
        Some(AttrValue::Number(n)) => Some(*n),
        Some(AttrValue::Text(t)) => t.replace(',', ".").parse().ok(),
        _ => None,
    }
}

fn list(attributes: &BTreeMap<String, AttrValue>, name: &str) -> Vec<String> {
    match attributes.get(name) {
        Some(AttrValue::List(l)) => l.clone(),
        Some(AttrValue::Text(t)) => vec![t.clone()],
        _ => Vec::new(),
    }
}

fn of_referential(entry: &Entry) -> Vec<GridTemplate> {
    let items = entry.items();
    // The bloc of each unit (a unit item is a child of its bloc).
    let bloc_of_unit = |unit: &str| -> Option<String> {
        entry
            .item(unit)
            .filter(|u| u.kind == ItemKind::Unit)
            .and_then(|u| u.parent.clone())
    };
    let mut out = Vec::new();
    // Règlement d'examen: épreuves in CCF for school candidates.
    for exam in items.iter().filter(|i| i.kind == ItemKind::Exam) {
        if text(&exam.attributes, "mode_1").as_deref() != Some("CCF") {
            continue;
        }
        let Some(unit) = text(&exam.attributes, "unit") else {
            continue;
        };
        let Some(bloc) = bloc_of_unit(&unit) else {
            continue;
        };
        out.push(template(
            entry,
            &exam.code,
            &unit,
            &bloc,
            &exam.label,
            number(&exam.attributes, "coefficient"),
            "Contrôle en cours de formation (CCF)",
        ));
    }
    // Units the referential declares assessed in CCF.
    for unit in list(&entry.attributes, "ccf_units") {
        if out.iter().any(|t| t.unit == unit) {
            continue;
        }
        let Some(bloc) = bloc_of_unit(&unit) else {
            continue;
        };
        let title = entry
            .item(&unit)
            .map(|u| u.label.clone())
            .unwrap_or_default();
        let epreuve = unit.replacen('U', "E", 1);
        out.push(template(
            entry,
            &epreuve,
            &unit,
            &bloc,
            &title,
            None,
            "Contrôle en cours de formation (CCF)",
        ));
    }
    // Certifications: one grid per bloc that carries an assessment.
    for bloc in items.iter().filter(|i| i.kind == ItemKind::Bloc) {
        let assessment = items
            .iter()
            .find(|i| i.kind == ItemKind::Assessment && i.parent.as_deref() == Some(&bloc.code));
        if let Some(assessment) = assessment {
            if out.iter().any(|t| t.bloc == bloc.code) {
                continue;
            }
            out.push(template(
                entry,
                &bloc.code,
                &bloc.code,
                &bloc.code,
                &bloc.label,
                None,
                &assessment.label,
            ));
        }
    }
    out
}

fn template(
    entry: &Entry,
    epreuve: &str,
    unit: &str,
    bloc: &str,
    title: &str,
    coefficient: Option<f64>,
    modality: &str,
) -> GridTemplate {
    let items = entry.items();
    let criteria = items
        .iter()
        .filter(|i| i.kind == ItemKind::Competency && i.parent.as_deref() == Some(bloc))
        .map(|competency| {
            // AGOrA: the critères d'évaluation of the situations calling on it.
            let mut indicators: Vec<String> = Vec::new();
            for situation in items.iter().filter(|s| {
                s.kind == ItemKind::Situation
                    && s.refs
                        .get("competency")
                        .is_some_and(|c| c.contains(&competency.code))
            }) {
                for criterion in list(&situation.attributes, "criteres") {
                    if !indicators.contains(&criterion) {
                        indicators.push(criterion);
                    }
                }
            }
            GridCriterion {
                code: competency.code.clone(),
                label: competency.label.clone(),
                indicators,
                weight: 1.0,
            }
        })
        .collect();
    GridTemplate {
        id: format!("{}:{epreuve}", entry.summary.id),
        referential_id: entry.summary.id.clone(),
        epreuve: epreuve.to_owned(),
        unit: unit.to_owned(),
        bloc: bloc.to_owned(),
        title: title.to_owned(),
        coefficient,
        modality: modality.to_owned(),
        criteria,
        scale: DEFAULT_GRID_SCALE.iter().map(|s| (*s).to_owned()).collect(),
        rule: MarkRule::WeightedLevels,
        comment_fields: COMMENT_FIELDS.iter().map(|s| (*s).to_owned()).collect(),
        identity_fields: GRID_IDENTITY_FIELDS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        version: 1,
        origin: TemplateOrigin::Referential,
        edited_by: None,
        edited_at: None,
    }
}
