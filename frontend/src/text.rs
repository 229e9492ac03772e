//! French wording helpers: attribute names, counts, numbers.

use passerelle_api::{ItemKind, KindCounts};

/// French names of the attributes found in the referential files.
const KNOWN_NAMES: &[(&str, &str)] = &[
    ("activites_constitutives", "Activités constitutives"),
    ("aleas", "Aléas"),
    ("applicable", "Applicable"),
    ("apport_pgi", "Apport du PGI"),
    ("arretes_enregistrement", "Arrêtés d'enregistrement"),
    ("attendus", "Attendus"),
    ("candidats", "Candidats"),
    ("category", "Catégorie"),
    ("certification_anterieure", "Certification antérieure"),
    (
        "certification_anterieure_code",
        "Code de la certification antérieure",
    ),
    ("certifier", "Certificateur"),
    ("certifier_siret", "SIRET du certificateur"),
    ("certifier_website", "Site du certificateur"),
    ("code", "Code"),
    ("code_as_printed", "Code tel qu'imprimé"),
    ("coefficient", "Coefficient"),
    ("column_heading", "En-tête de colonne"),
    ("competence", "Compétence"),
    ("competences_attestees", "Compétences attestées"),
    ("complexite", "Complexité"),
    ("composition", "Composition"),
    ("crcn", "Compétences numériques (CRCN)"),
    ("criteres", "Critères d'évaluation"),
    ("date_decision", "Date de décision"),
    (
        "date_derniere_modification",
        "Date de dernière modification",
    ),
    ("date_echeance", "Date d'échéance"),
    ("description", "Description"),
    ("designation", "Désignation"),
    ("duree", "Durée"),
    (
        "duree_enregistrement_annees",
        "Durée d'enregistrement (années)",
    ),
    ("entries", "Éléments"),
    ("environnement", "Environnement"),
    ("features", "Fonctionnalités"),
    ("formacode", "Formacode"),
    ("group", "Groupe"),
    ("heading", "Rubrique"),
    ("indicateurs", "Indicateurs"),
    ("intitule_profil", "Intitulé du profil"),
    ("label", "Libellé"),
    ("level", "Niveau"),
    (
        "lien_autres_certifications",
        "Liens avec d'autres certifications",
    ),
    ("maitrise_technologies", "Maîtrise des technologies"),
    ("mission_globale", "Mission globale"),
    ("modalites_acquisition", "Modalités d'acquisition"),
    ("modalites_evaluation", "Modalités d'évaluation"),
    ("mode", "Mode"),
    ("note", "Note"),
    ("nsf", "NSF"),
    ("objectifs", "Objectifs"),
    ("place_dans_organisation", "Place dans l'organisation"),
    ("poursuites", "Poursuites d'études"),
    ("precisions", "Précisions"),
    ("prerequis_distincts_blocs", "Prérequis distincts par bloc"),
    ("prerequis_entree", "Prérequis à l'entrée"),
    ("presentation", "Présentation"),
    ("rome", "ROME"),
    ("savoirs", "Savoirs associés"),
    ("scope", "Portée"),
    ("secteurs_activite", "Secteurs d'activité"),
    ("synthese", "Synthèse"),
    ("synthesis_bullets", "Points de la synthèse"),
    ("text", "Texte"),
    ("texte_instaurant", "Texte instaurant"),
    (
        "title_in_champ_activite",
        "Intitulé dans le champ d'activité",
    ),
    (
        "title_in_competences_attestees",
        "Intitulé dans les compétences attestées",
    ),
    ("title_in_detail", "Intitulé dans le détail"),
    ("title_in_synthesis", "Intitulé dans la synthèse"),
    ("types_emplois", "Types d'emplois"),
];

/// Human name of a free attribute (or ref role): known names in French, others tidied
/// (`_` → space, capitalised); `mode_2` → "Mode 2", `x_as_printed` → "X (tel qu'imprimé)".
pub fn humanise(name: &str) -> String {
    if let Some((_, fr)) = KNOWN_NAMES.iter().find(|(k, _)| *k == name) {
        return (*fr).to_owned();
    }
    if let Ok(kind) = name.parse::<ItemKind>() {
        return kind.label_fr().to_owned();
    }
    if let Some(attr) = name.strip_prefix("attributes.") {
        return humanise(attr);
    }
    if let Some(base) = name.strip_suffix("_as_printed") {
        return format!("{} (tel qu'imprimé)", humanise(base));
    }
    if let Some((base, n)) = name.rsplit_once('_') {
        if !base.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
            return format!("{} {n}", humanise(base));
        }
    }
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Singular of a French plural phrase from `plural_fr` ("modules PGI" → "module PGI").
fn singular(plural: &str) -> String {
    plural
        .split(' ')
        .map(|w| {
            if w.chars().count() > 2 && w.ends_with('s') {
                &w[..w.len() - 1]
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// "3 blocs", "1 bloc".
pub fn count_fr(kind: ItemKind, n: u32) -> String {
    if n == 1 {
        format!("1 {}", singular(kind.plural_fr()))
    } else {
        format!("{n} {}", kind.plural_fr())
    }
}

/// "27 tâches · 6 activités", in kind order, zero counts left out.
pub fn counts_fr(counts: &KindCounts) -> String {
    counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| count_fr(*k, *n))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// A number as French text: no useless decimals, decimal comma.
pub fn number_fr(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}").replace('.', ",")
    }
}

/// "1 résultat", "12 résultats".
pub fn results_fr(n: usize) -> String {
    if n == 1 {
        "1 résultat".to_owned()
    } else {
        format!("{n} résultats")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanises_names() {
        assert_eq!(humanise("criteres"), "Critères d'évaluation");
        assert_eq!(humanise("base_conseillee"), "Base conseillee");
        assert_eq!(humanise("competency"), "Compétence");
        assert_eq!(humanise("attributes.aleas"), "Aléas");
        assert_eq!(humanise("duree_1"), "Durée 1");
        assert_eq!(humanise("mode_2_as_printed"), "Mode 2 (tel qu'imprimé)");
    }

    #[test]
    fn counts_in_french() {
        assert_eq!(count_fr(ItemKind::Task, 27), "27 tâches");
        assert_eq!(count_fr(ItemKind::Bloc, 1), "1 bloc");
        assert_eq!(count_fr(ItemKind::Domain, 1), "1 domaine / pôle");
        assert_eq!(count_fr(ItemKind::ExpectedResult, 1), "1 résultat attendu");
        assert_eq!(number_fr(4.0), "4");
        assert_eq!(number_fr(1.5), "1,5");
    }
}
