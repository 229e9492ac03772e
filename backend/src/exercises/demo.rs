//! The demo's exercises: a shared catalogue of realistic PGI exercises per referential,
//! assigned to the demo classes across the year (the early ones done, the later ones
//! planned), so the catalogue, progression and coverage screens are filled on first run.

use chrono::{Days, NaiveDate};
use diesel::prelude::*;
use passerelle_api::{ItemLink, Visibility};

use super::store::{self, Checked};
use crate::db::DbConnection;
use crate::demo::Demo;
use crate::error::AppError;
use crate::schema::{class_exercises, pgi_features, referential_items};

struct DemoExercise {
    referential: &'static str,
    title: &'static str,
    instructions: &'static str,
    software: Option<&'static str>,
    base: Option<&'static str>,
    features: &'static [&'static str],
    minutes: u32,
    /// (code, main)
    items: &'static [(&'static str, bool)],
}

const EXERCISES: &[DemoExercise] = &[
    DemoExercise {
        referential: "bts-gpme",
        title: "Devis et propositions commerciales — JUPITER MEDIA",
        instructions: "Un client demande un devis pour 40 tablettes et leur installation.\n\n\
                       1. Créez la fiche client.\n2. Établissez le devis en appliquant la remise \
                       négociée.\n3. Transformez-le en commande après acceptation.",
        software: Some("ebp"),
        base: Some("jupiter-media"),
        features: &["devis", "commandes"],
        minutes: 110,
        items: &[("T.1.2.1", true), ("T.1.2.2", false), ("B1.C2", false)],
    },
    DemoExercise {
        referential: "bts-gpme",
        title: "Facturation, règlements et relances clients",
        instructions: "Facturez les livraisons de la semaine, enregistrez les règlements reçus \
                       et préparez les relances des factures échues.",
        software: Some("ebp"),
        base: Some("jupiter-media"),
        features: &["factures", "relances"],
        minutes: 110,
        items: &[("T.1.2.4", true), ("T.1.2.3", false), ("B1.C2", true)],
    },
    DemoExercise {
        referential: "bts-gpme",
        title: "Sélection d'un fournisseur et commande d'achat",
        instructions: "Comparez trois offres fournisseurs sur une grille multicritère, \
                       qualifiez le fournisseur retenu et passez la commande.",
        software: Some("ebp"),
        base: Some("control-reset"),
        features: &["commandes"],
        minutes: 165,
        items: &[
            ("T.1.4.3", true),
            ("T.1.5.2", true),
            ("B1.C4", false),
            ("B1.C5", false),
        ],
    },
    DemoExercise {
        referential: "bts-gpme",
        title: "Déclaration de TVA du trimestre",
        instructions: "Contrôlez les comptes de TVA, préparez la déclaration CA3 et vérifiez \
                       la cohérence avec le chiffre d'affaires.",
        software: Some("ebp"),
        base: Some("jupiter-media"),
        features: &["declaration-tva"],
        minutes: 110,
        items: &[("T.1.6.4", true), ("T.1.6.1", false), ("B1.C6", false)],
    },
    DemoExercise {
        referential: "bts-gpme",
        title: "Rapprochement bancaire et plan de trésorerie",
        instructions: "Lettrez les comptes de tiers, établissez l'état de rapprochement et un \
                       plan de trésorerie à trois mois.",
        software: Some("ebp"),
        base: Some("buromod"),
        features: &["lettrage", "echeanciers"],
        minutes: 165,
        items: &[
            ("T.1.6.2", true),
            ("T.1.6.3", true),
            ("T.2.4.2", false),
            ("B2.C4", false),
        ],
    },
    DemoExercise {
        referential: "bts-gpme",
        title: "Éléments variables de la paie",
        instructions: "À partir des relevés d'heures et d'absences, préparez les éléments \
                       variables et contrôlez les bulletins édités.",
        software: Some("ebp"),
        base: Some("jupiter-media"),
        features: &["bulletins-paie"],
        minutes: 110,
        items: &[("T.3.1.4", true), ("T.3.1.3", false), ("B3.C2", true)],
    },
    DemoExercise {
        referential: "bts-gpme",
        title: "Tableau de bord commercial sur tableur",
        instructions: "Extrayez les ventes du PGI vers le tableur, calculez marges et taux de \
                       transformation, présentez un tableau de bord mensuel.",
        software: Some("ebp"),
        base: Some("jupiter-media"),
        features: &["tableaux-de-bord", "extraction-tableur"],
        minutes: 165,
        items: &[("T.4.7.2", true), ("B4.C8", true), ("T.4.5.1", false)],
    },
    DemoExercise {
        referential: "bts-gpme",
        title: "Acquisition d'un véhicule et plan d'amortissement",
        instructions: "Enregistrez l'acquisition, créez la fiche immobilisation et éditez le \
                       plan d'amortissement.",
        software: Some("ebp"),
        base: Some("jupiter-media"),
        features: &["fiches-immobilisations", "amortissements"],
        minutes: 55,
        items: &[("T.1.5.3", true)],
    },
    DemoExercise {
        referential: "bacpro-agora",
        title: "Accueil téléphonique et prise en charge de la demande",
        instructions: "Jeu de rôle : accueillez trois appels, identifiez la demande et \
                       enregistrez-la dans le PGI.",
        software: Some("open-line"),
        base: Some("jupiter-media"),
        features: &[],
        minutes: 110,
        items: &[("S1.1.1", true), ("S1.1.2", true), ("C1.1.1", false)],
    },
    DemoExercise {
        referential: "bacpro-agora",
        title: "Du devis à la facture — Open Line",
        instructions: "Suivez une affaire complète : devis, commande, bon de livraison, \
                       facture.",
        software: Some("open-line"),
        base: Some("jupiter-media"),
        features: &["devis", "commandes", "bons-de-livraison", "factures"],
        minutes: 165,
        items: &[("S1.2.1", true), ("S1.2.2", true), ("C1.2.3", false)],
    },
    DemoExercise {
        referential: "bacpro-agora",
        title: "Encaissements et relances",
        instructions: "Enregistrez les encaissements de la quinzaine et relancez les clients \
                       en retard de paiement.",
        software: Some("open-line"),
        base: Some("control-reset"),
        features: &["relances"],
        minutes: 110,
        items: &[("S1.2.3", true), ("C1.2.4", true)],
    },
    DemoExercise {
        referential: "bacpro-agora",
        title: "Suivi des stocks et réapprovisionnement",
        instructions: "Analysez l'état des stocks, repérez les articles sous le seuil et \
                       préparez les commandes fournisseurs.",
        software: Some("open-line"),
        base: Some("buromod"),
        features: &["commandes"],
        minutes: 110,
        items: &[("S2.1.1", true), ("C2.1.1", false)],
    },
    DemoExercise {
        referential: "bacpro-agora",
        title: "Préparer la déclaration de TVA",
        instructions: "Relevez la TVA collectée et déductible du mois et préparez la \
                       déclaration.",
        software: Some("open-line"),
        base: Some("jupiter-media"),
        features: &["declaration-tva"],
        minutes: 110,
        items: &[("S2.2.4", true), ("C2.2.4", true)],
    },
    DemoExercise {
        referential: "bacpro-agora",
        title: "Bulletins de salaire du mois",
        instructions: "Saisissez les éléments du mois et éditez les bulletins de salaire.",
        software: Some("open-line"),
        base: Some("jupiter-media"),
        features: &["bulletins-paie"],
        minutes: 110,
        items: &[("S3.2.4", true), ("C3.2.4", false)],
    },
    DemoExercise {
        referential: "rncp34786",
        title: "Saisie comptable journalière",
        instructions: "Saisissez les pièces de la journée et contrôlez les journaux.",
        software: Some("ebp"),
        base: Some("jupiter-media"),
        features: &[],
        minutes: 165,
        items: &[("RNCP34786BC01.C1", true), ("RNCP34786BC01.C2", false)],
    },
    DemoExercise {
        referential: "rncp34786",
        title: "Facturation clients et fournisseurs",
        instructions: "Établissez les factures clients et contrôlez les factures fournisseurs \
                       reçues.",
        software: Some("ebp"),
        base: Some("jupiter-media"),
        features: &["factures"],
        minutes: 110,
        items: &[("RNCP34786BC02.C1", true)],
    },
    DemoExercise {
        referential: "rncp34786",
        title: "Préparer et contrôler les bulletins de salaire",
        instructions: "Préparez les bulletins du mois et contrôlez-les avant distribution.",
        software: Some("ebp"),
        base: Some("jupiter-media"),
        features: &["bulletins-paie"],
        minutes: 165,
        items: &[("RNCP34786BC03.C7", true), ("RNCP34786BC03.C9", false)],
    },
];

/// First assignment's start; then one every two weeks.
fn first_monday() -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(2026, 9, 14)
}

/// Writes the catalogue (authored by each class's first teacher, shared with the
/// establishment) and assigns each class the exercises of its referential.
pub fn step(conn: &mut DbConnection, demo: &mut Demo<'_>) -> Result<(), AppError> {
    let (plan, school) = (demo.plan, &demo.school);
    let mut ids: Vec<(&str, i64)> = Vec::new();
    for exercise in EXERCISES {
        let Some(class) = plan
            .classes
            .iter()
            .find(|c| c.referential == exercise.referential)
        else {
            continue;
        };
        let author = class
            .teachers
            .first()
            .map_or(demo.admin(), |&t| school.people[t]);
        let items: Vec<ItemLink> = exercise
            .items
            .iter()
            .map(|&(code, main)| ItemLink {
                referential_id: exercise.referential.to_owned(),
                code: code.to_owned(),
                main,
            })
            .collect();
        for link in &items {
            let found: i64 = referential_items::table
                .filter(referential_items::referential_id.eq(&link.referential_id))
                .filter(referential_items::code.eq(&link.code))
                .count()
                .get_result(conn)?;
            if found == 0 {
                return Err(AppError::internal(format!(
                    "demo exercise « {} »: unknown item {}:{}",
                    exercise.title, link.referential_id, link.code
                )));
            }
        }
        for feature in exercise.features {
            let found: i64 = pgi_features::table
                .filter(pgi_features::id.eq(feature))
                .count()
                .get_result(conn)?;
            if found == 0 {
                return Err(AppError::internal(format!(
                    "demo exercise « {} »: unknown PGI feature {feature}",
                    exercise.title
                )));
            }
        }
        let checked = Checked {
            title: exercise.title.to_owned(),
            instructions: exercise.instructions.to_owned(),
            software_id: exercise.software.map(str::to_owned),
            base_id: exercise.base.map(str::to_owned),
            modules: Vec::new(),
            features: exercise.features.iter().map(|f| (*f).to_owned()).collect(),
            duration_minutes: Some(exercise.minutes as i32),
            level: None,
            visibility: Visibility::Establishment,
            items,
        };
        let id = store::insert(conn, school.establishment, author, &checked, None, demo.now)?;
        ids.push((exercise.referential, id));
    }
    let start = first_monday().ok_or_else(|| AppError::internal("demo date"))?;
    for (c, (class, &class_id)) in plan.classes.iter().zip(&school.classes).enumerate() {
        let assigned_by = class
            .teachers
            .first()
            .map_or(demo.admin(), |&t| school.people[t]);
        let of_class = ids.iter().filter(|(r, _)| *r == class.referential);
        for (n, (_, exercise)) in of_class.enumerate() {
            let starts_on = start
                .checked_add_days(Days::new(14 * n as u64 + 3 * c as u64))
                .ok_or_else(|| AppError::internal("demo date"))?;
            let ends_on = starts_on
                .checked_add_days(Days::new(4))
                .ok_or_else(|| AppError::internal("demo date"))?;
            diesel::insert_into(class_exercises::table)
                .values((
                    class_exercises::class_id.eq(class_id),
                    class_exercises::exercise_id.eq(exercise),
                    class_exercises::starts_on.eq(starts_on),
                    class_exercises::ends_on.eq(ends_on),
                    class_exercises::assigned_by.eq(assigned_by),
                    class_exercises::created_at.eq(demo.now),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}
