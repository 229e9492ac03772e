//! Suggestions: the items of a referential an exercise seems to practise, for the teacher
//! to confirm. Two signals, both explained to the teacher:
//! - the PGI features the exercise uses that the item (or its activity, domain…) calls for,
//!   from the PGI catalogue;
//! - words of the exercise's title and instructions found in the item's label, compared
//!   folded (accents, case) on a crude French stem, and weighted by rarity in the
//!   referential (a word every task has, like "gestion", says little).

use std::collections::{HashMap, HashSet};

use actix_web::{web, HttpResponse};
use passerelle_api::{Suggestion, SuggestionRequest, SUGGESTIONS_MAX};

use super::staff_establishment;
use super::store::MAPPABLE_KINDS;
use crate::auth::store::Principal;
use crate::error::AppError;
use crate::fold::fold;
use crate::referentials::api::snapshot;
use crate::referentials::catalog::{Entry, Snapshot};
use crate::server::AppState;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/exercises/suggestions", web::post().to(suggestions));
}

async fn suggestions(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<SuggestionRequest>,
) -> Result<HttpResponse, AppError> {
    staff_establishment(&principal)?;
    let request = body.into_inner();
    if request.title.chars().count() + request.instructions.chars().count()
        > passerelle_api::EXERCISE_INSTRUCTIONS_MAX_CHARS + passerelle_api::EXERCISE_TITLE_MAX_CHARS
    {
        return Err(AppError::too_large(
            "too_large",
            "texte de l'exercice trop long",
        ));
    }
    let referentials = snapshot(&state).await?;
    let entry = referentials.get(&request.referential_id).ok_or_else(|| {
        AppError::unprocessable(
            "unknown_referential",
            format!(
                "referential_id : référentiel inconnu : {}",
                request.referential_id
            ),
        )
    })?;
    Ok(HttpResponse::Ok().json(suggest(&referentials, entry, &request)))
}

/// French words that carry no meaning for matching.
const STOP_WORDS: &[&str] = &[
    "avec",
    "dans",
    "pour",
    "sans",
    "sous",
    "plus",
    "moins",
    "leur",
    "leurs",
    "cette",
    "ces",
    "des",
    "les",
    "une",
    "par",
    "sur",
    "aux",
    "est",
    "sont",
    "etre",
    "avoir",
    "faire",
    "entre",
    "chaque",
    "selon",
    "ainsi",
    "dont",
    "vous",
    "nous",
    "votre",
    "notre",
    "elle",
    "elles",
    "ils",
    "tout",
    "tous",
    "toute",
    "toutes",
    "apres",
    "avant",
    "partir",
    "aide",
    "base",
    "donnees",
    "l'entreprise",
    "entreprise",
    "societe",
    "exercice",
    "travail",
    "realiser",
    "utiliser",
    "utilisation",
    "mettre",
    "mise",
    "suivi",
    "gestion",
    "qui",
    "que",
    "son",
    "ses",
    "nos",
    "vos",
    "pas",
    "ont",
    "lui",
    "car",
    "ete",
    "via",
    "mais",
    "the",
    "and",
];

/// Folded stems of the meaningful words of a text: plural marks dropped, long words cut to
/// six letters, so that "facture", "factures" and "facturation" meet.
fn stems(text: &str) -> Vec<(String, String)> {
    let folded = fold(text);
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for word in folded.split(|c: char| !c.is_alphanumeric() && c != '\'') {
        let word = word.rsplit('\'').next().unwrap_or(word);
        if word.chars().count() < 3 || STOP_WORDS.contains(&word) {
            continue;
        }
        let singular = word
            .strip_suffix('s')
            .or_else(|| word.strip_suffix('x'))
            .unwrap_or(word);
        let stem: String = singular.chars().take(6).collect();
        if seen.insert(stem.clone()) {
            out.push((stem, word.to_owned()));
        }
    }
    out
}

pub fn suggest(snapshot: &Snapshot, entry: &Entry, request: &SuggestionRequest) -> Vec<Suggestion> {
    let text = format!("{}\n{}", request.title, request.instructions);
    let wanted: HashMap<String, String> = stems(&text).into_iter().collect();
    let features: HashSet<&str> = request.features.iter().map(String::as_str).collect();

    let mappable: Vec<usize> = entry
        .items()
        .iter()
        .enumerate()
        .filter(|(_, i)| MAPPABLE_KINDS.contains(&i.kind))
        .map(|(n, _)| n)
        .collect();
    let label_stems: Vec<Vec<(String, String)>> = mappable
        .iter()
        .map(|&n| stems(entry.folded_label(n)))
        .collect();
    // Rarity of each stem among the referential's labels.
    let mut frequency: HashMap<&str, usize> = HashMap::new();
    for label in &label_stems {
        for (stem, _) in label {
            *frequency.entry(stem.as_str()).or_default() += 1;
        }
    }
    let total = mappable.len().max(1) as f32;

    let mut found: Vec<Suggestion> = Vec::new();
    for (&n, label) in mappable.iter().zip(&label_stems) {
        let item = &entry.items()[n];
        let mut score = 0.0f32;
        let mut words = Vec::new();
        for (stem, word) in label {
            if wanted.contains_key(stem) {
                let df = frequency.get(stem.as_str()).copied().unwrap_or(1) as f32;
                score += (total / df).ln() + 0.5;
                words.push(word.clone());
            }
        }
        // Features the item (or its activity, domain…) calls for.
        let shared: Vec<String> = snapshot
            .features_of(&entry.summary.id, &item.code)
            .into_iter()
            .filter(|f| features.contains(f))
            .map(str::to_owned)
            .collect();
        score += 2.5 * shared.len() as f32;
        if score >= 1.5 {
            found.push(Suggestion {
                referential_id: entry.summary.id.clone(),
                code: item.code.clone(),
                kind: item.kind,
                label: item.label.clone(),
                score,
                features: shared,
                words,
            });
        }
    }
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    found.truncate(SUGGESTIONS_MAX);
    found
}

#[cfg(test)]
mod tests {
    use super::stems;

    #[test]
    fn stems_meet_across_forms_and_accents() {
        let a: Vec<String> = stems("Facturation des Clients")
            .into_iter()
            .map(|s| s.0)
            .collect();
        let b: Vec<String> = stems("factures client").into_iter().map(|s| s.0).collect();
        assert_eq!(a, b);
        assert!(stems("les des pour avec").is_empty());
        let c: Vec<String> = stems("Déclaration de TVA")
            .into_iter()
            .map(|s| s.0)
            .collect();
        assert_eq!(c, vec!["declar".to_owned(), "tva".to_owned()]);
    }
}
