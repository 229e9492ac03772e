//! "/exercices/importer": an exercise catalogue (.json from Passerelle, or .xlsx)
//! previewed exercise by exercise, then imported all or nothing.

use std::rc::Rc;

use passerelle_api::{CatalogueAction, CatalogueImportReport, CatalogueRowReport};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::{self, FetchError};
use crate::components::{commit_bar, filter_chips, form_error, import_form, ImportForm};
use crate::route::Route;

fn action_name(a: CatalogueAction) -> &'static str {
    match a {
        CatalogueAction::Create => "create",
        CatalogueAction::Error => "error",
    }
}

fn action_badge(a: CatalogueAction) -> Html {
    let name = action_name(a);
    html! {
        <span class={classes!("badge", format!("action-{name}"))} data-action={name}>
            { if a == CatalogueAction::Create { "Création" } else { "Erreur" } }
        </span>
    }
}

#[function_component]
pub fn ExerciseImportPage() -> Html {
    super::super::set_title("Importer des exercices");
    let file = use_state(|| None::<web_sys::File>);
    let report = use_state(|| None::<Rc<CatalogueImportReport>>);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let errors_only = use_state(|| false);

    let on_file = {
        let (file, report, error) = (file.clone(), report.clone(), error.clone());
        Callback::from(move |f: Option<web_sys::File>| {
            file.set(f);
            report.set(None);
            error.set(None);
        })
    };
    let run = {
        let (file, report, busy, error, errors_only) = (
            file.clone(),
            report.clone(),
            busy.clone(),
            error.clone(),
            errors_only.clone(),
        );
        Callback::from(move |commit: bool| {
            let Some(f) = (*file).clone() else {
                return;
            };
            let (report, busy, error, errors_only) = (
                report.clone(),
                busy.clone(),
                error.clone(),
                errors_only.clone(),
            );
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = api::import_catalogue(&f, commit).await;
                busy.set(false);
                match result {
                    Ok(r) => {
                        errors_only.set(r.errors > 0);
                        report.set(Some(Rc::new(r)));
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let preview = {
        let run = run.clone();
        Callback::from(move |()| run.emit(false))
    };

    let result = match &*report {
        None => html! {},
        Some(r) if r.committed => html! {
            <div class="block" id="import-report" data-committed="true">
                <div class="notice notice-ok" id="import-success" role="status">
                    <p class="notice-title">{ "Import terminé" }</p>
                    <p>{ format!("{} exercice(s) créé(s), privés : relisez-les avant de les partager.", r.created) }</p>
                </div>
                { rows_table(r, false) }
                <p><Link<Route> to={Route::Exercises}>{ "Retour au catalogue" }</Link<Route>></p>
            </div>
        },
        Some(r) => {
            let blocked = if r.rows.is_empty() {
                Some("Le fichier ne contient aucun exercice.".to_owned())
            } else if r.errors > 0 {
                Some(format!(
                    "Corrigez les {} exercice(s) en erreur dans le fichier, puis relancez l'aperçu.",
                    r.errors
                ))
            } else {
                None
            };
            let chips = vec![
                ("all", format!("Tous ({})", r.rows.len())),
                ("create", format!("Création ({})", r.created)),
                ("error", format!("Erreur ({})", r.errors)),
            ];
            let on_pick = {
                let errors_only = errors_only.clone();
                Callback::from(move |key: &'static str| errors_only.set(key == "error"))
            };
            let commit = {
                let run = run.clone();
                Callback::from(move |()| run.emit(true))
            };
            html! {
                <div class="block" id="import-report" data-committed="false">
                    <h2>{ "Aperçu : rien n'est encore enregistré" }</h2>
                    { filter_chips(chips, if *errors_only { "error" } else { "all" }, on_pick) }
                    { rows_table(r, *errors_only) }
                    { commit_bar(format!("Importer ({} exercice(s))", r.rows.len()), *busy, blocked, commit) }
                </div>
            }
        }
    };

    html! {
        <section class="page">
            <nav class="breadcrumb" aria-label="Fil d'Ariane">
                <Link<Route> to={Route::Exercises}>{ "Exercices" }</Link<Route>>
            </nav>
            <div class="page-intro">
                <h1>{ "Importer des exercices" }</h1>
                <p class="lead">{ "Le catalogue d'un collègue ou d'un autre établissement : l'aperçu vérifie chaque exercice \
                                   (logiciel, base, compétences), l'import enregistre tout ou rien." }</p>
            </div>
            { import_form(
                ImportForm {
                    accept: ".json,.xlsx",
                    label: "Fichier du catalogue",
                    hint: "Export JSON ou xlsx d'un catalogue Passerelle (bouton « Exporter » du catalogue).",
                    busy: *busy,
                    ready: file.is_some(),
                    on_file,
                    on_preview: preview,
                },
                html! {},
            ) }
            { form_error(&error, "import-error") }
            { result }
        </section>
    }
}

fn rows_table(r: &CatalogueImportReport, errors_only: bool) -> Html {
    let rows: Vec<&CatalogueRowReport> = r
        .rows
        .iter()
        .filter(|row| !errors_only || row.action == CatalogueAction::Error)
        .collect();
    if rows.is_empty() {
        return html! { <p class="empty">{ "Aucune ligne de ce type." }</p> };
    }
    html! {
        <div class="table-wrap">
            <table class="data-table stack import-rows" id="import-rows">
                <thead><tr>
                    <th>{ "Ligne" }</th><th>{ "Action" }</th><th>{ "Titre" }</th><th>{ "Détail" }</th>
                </tr></thead>
                <tbody>
                    { for rows.into_iter().map(|row| html! {
                        <tr data-row={row.row.to_string()} data-action={action_name(row.action)}
                            class={classes!((row.action == CatalogueAction::Error).then_some("row-error"))}>
                            <td data-label="Ligne">{ row.row }</td>
                            <td data-label="Action">{ action_badge(row.action) }</td>
                            <td data-label="Titre">
                                if let Some(id) = row.exercise_id {
                                    <Link<Route> to={Route::Exercise { id }}>{ row.title.clone() }</Link<Route>>
                                } else {
                                    { row.title.clone() }
                                }
                            </td>
                            <td data-label="Détail">
                                if !row.errors.is_empty() {
                                    <ul class="row-notes">
                                        { for row.errors.iter().map(|i| html! {
                                            <li class="issue" data-code={i.code.clone()}>{ i.message.clone() }</li>
                                        }) }
                                    </ul>
                                }
                            </td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}
