//! "/admin/import": a class list (.xlsx, .ods, .csv) previewed row by row, then imported
//! all or nothing; then the invitations of the accounts it created.

use std::rc::Rc;

use passerelle_api::{ImportReport, ImportRowReport, InvitationRequest, RowAction};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use super::{intro, latest_year, year_select};
use crate::api::{self, FetchError};
use crate::components::{
    action_badge, action_name, commit_bar, date_fr, filter_chips, form_error, import_form,
    ErrorMessage, ImportForm, InvitationButton, Loading,
};
use crate::route::Route;
use crate::state::{use_api, Load};

const ACTIONS: [RowAction; 4] = [
    RowAction::Create,
    RowAction::Update,
    RowAction::Unchanged,
    RowAction::Error,
];

fn count(report: &ImportReport, action: RowAction) -> usize {
    match action {
        RowAction::Create => report.counts.create,
        RowAction::Update => report.counts.update,
        RowAction::Unchanged => report.counts.unchanged,
        RowAction::Error => report.counts.error,
    }
}

#[function_component]
pub fn AdminImportPage() -> Html {
    let years = use_api((), |()| api::school_years());
    let year = use_state(|| None::<i64>);
    let file = use_state(|| None::<web_sys::File>);
    let report = use_state(|| None::<Rc<ImportReport>>);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let filter = use_state(|| None::<RowAction>);

    let chosen_year = match &years {
        Load::Ready(list) => (*year).or_else(|| latest_year(list).map(|y| y.id)),
        _ => None,
    };
    let forget_report = {
        let (report, error, filter) = (report.clone(), error.clone(), filter.clone());
        move || {
            report.set(None);
            error.set(None);
            filter.set(None);
        }
    };
    let on_year = {
        let year = year.clone();
        let forget = forget_report.clone();
        Callback::from(move |id: Option<i64>| {
            year.set(id);
            forget();
        })
    };
    let on_file = {
        let file = file.clone();
        let forget = forget_report.clone();
        Callback::from(move |f: Option<web_sys::File>| {
            file.set(f);
            forget();
        })
    };
    let run = {
        let (file, report, busy, error, filter) = (
            file.clone(),
            report.clone(),
            busy.clone(),
            error.clone(),
            filter.clone(),
        );
        Callback::from(move |commit: bool| {
            let Some(f) = (*file).clone() else {
                return;
            };
            let (report, busy, error, filter) =
                (report.clone(), busy.clone(), error.clone(), filter.clone());
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = api::import_class_list(&f, chosen_year, commit).await;
                busy.set(false);
                match result {
                    Ok(r) => {
                        // Errors first when there are some: they are what must be fixed.
                        filter.set((r.counts.error > 0).then_some(RowAction::Error));
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

    let form = match &years {
        Load::Loading => html! { <Loading text="Chargement des années…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Années scolaires" /> },
        Load::Ready(list) if list.is_empty() => html! {
            <div class="notice" role="status">
                { "Créez d'abord une année scolaire et ses classes dans " }
                <Link<Route> to={Route::AdminEstablishment}>{ "Établissement" }</Link<Route>>{ "." }
            </div>
        },
        Load::Ready(list) => html! {
            { import_form(
                ImportForm {
                    accept: ".xlsx,.ods,.csv",
                    label: "Fichier de la liste",
                    hint: "Export du logiciel de vie scolaire ou tableur : une ligne par élève avec nom, prénom, \
                           adresse électronique, classe, et si possible INE et date de naissance. \
                           Formats .xlsx, .ods ou .csv.",
                    busy: *busy,
                    ready: file.is_some(),
                    on_file: on_file.clone(),
                    on_preview: preview.clone(),
                },
                year_select("import-year", "Année scolaire des classes", list, chosen_year, on_year.clone()),
            ) }
        },
    };

    let result = match &*report {
        None => html! {},
        Some(r) if r.committed => committed_summary(r),
        Some(r) => {
            let importable = r.counts.error == 0 && !r.rows.is_empty();
            let commit = {
                let run = run.clone();
                Callback::from(move |()| run.emit(true))
            };
            let blocked = (!importable).then(|| {
                if r.rows.is_empty() {
                    "Le fichier ne contient aucune ligne d'élève.".to_owned()
                } else {
                    format!("Corrigez les {} ligne(s) en erreur dans le fichier, puis relancez l'aperçu.", r.counts.error)
                }
            });
            html! {
                <div class="block" id="import-report" data-committed="false">
                    <h2>{ "Aperçu : rien n'est encore enregistré" }</h2>
                    { file_facts(r) }
                    { counts_bar(r, &filter) }
                    { rows_table(r, *filter) }
                    { commit_bar(format!("Importer ({} ligne(s))", r.rows.len()), *busy, blocked, commit) }
                </div>
            }
        }
    };

    html! {
        <section class="page">
            { intro("Import de listes", "Créez et mettez à jour les comptes élèves à partir de la liste de classe \
                     de votre établissement. L'aperçu montre ce que l'import fera de chaque ligne ; \
                     l'import enregistre tout ou rien.") }
            { form }
            { form_error(&error, "import-error") }
            { result }
        </section>
    }
}

fn file_facts(r: &ImportReport) -> Html {
    html! {
        <p class="meta import-facts">
            <span>{ format!("Format {}", r.format) }</span>
            if let Some(sheet) = &r.sheet_name {
                <span>{ format!("Feuille « {sheet} »") }</span>
            }
            <span>{ format!("En-têtes ligne {}", r.header_row) }</span>
            <span>{ format!("Année {}", r.school_year.label) }</span>
            if !r.ignored_headers.is_empty() {
                <span>{ format!("Colonnes ignorées : {}", r.ignored_headers.join(", ")) }</span>
            }
        </p>
    }
}

fn counts_bar(r: &ImportReport, filter: &UseStateHandle<Option<RowAction>>) -> Html {
    let chips = std::iter::once(("all", format!("Toutes ({})", r.rows.len())))
        .chain(ACTIONS.iter().map(|&a| {
            (
                action_name(a),
                format!("{} ({})", a.label_fr(), count(r, a)),
            )
        }))
        .collect();
    let current = filter.map_or("all", action_name);
    let on_pick = {
        let filter = filter.clone();
        Callback::from(move |key: &'static str| {
            filter.set(ACTIONS.iter().copied().find(|&a| action_name(a) == key))
        })
    };
    filter_chips(chips, current, on_pick)
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn rows_table(r: &ImportReport, filter: Option<RowAction>) -> Html {
    let rows: Vec<&ImportRowReport> = r
        .rows
        .iter()
        .filter(|row| filter.is_none_or(|a| row.action == a))
        .collect();
    if rows.is_empty() {
        return html! { <p class="empty">{ "Aucune ligne de ce type." }</p> };
    }
    html! {
        <div class="table-wrap">
            <table class="data-table stack import-rows" id="import-rows">
                <thead><tr>
                    <th>{ "Ligne" }</th><th>{ "Action" }</th><th>{ "Nom" }</th><th>{ "Prénom" }</th>
                    <th>{ "Adresse" }</th><th>{ "Classe" }</th><th>{ "INE" }</th><th>{ "Naissance" }</th>
                    <th>{ "Détail" }</th>
                </tr></thead>
                <tbody>
                    { for rows.into_iter().map(|row| html! {
                        <tr data-row={row.row.to_string()} data-action={action_name(row.action)}
                            class={classes!((row.action == RowAction::Error).then_some("row-error"))}>
                            <td data-label="Ligne">{ row.row }</td>
                            <td data-label="Action">{ action_badge(row.action) }</td>
                            <td data-label="Nom">{ text(&row.last_name) }</td>
                            <td data-label="Prénom">{ text(&row.first_name) }</td>
                            <td data-label="Adresse" class="email">{ text(&row.email) }</td>
                            <td data-label="Classe">{ text(&row.class_name) }</td>
                            <td data-label="INE">{ text(&row.ine) }</td>
                            <td data-label="Naissance">{ row.birth_date.map(date_fr).unwrap_or_default() }</td>
                            <td data-label="Détail">{ row_detail(row) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}

fn row_detail(row: &ImportRowReport) -> Html {
    if row.changes.is_empty() && row.issues.is_empty() {
        return html! {};
    }
    html! {
        <ul class="row-notes">
            { for row.changes.iter().map(|c| html! { <li class="change">{ c.clone() }</li> }) }
            { for row.issues.iter().map(|i| html! {
                <li class="issue" data-code={i.code.clone()}>{ i.message.clone() }</li>
            }) }
        </ul>
    }
}

fn committed_summary(r: &ImportReport) -> Html {
    let created: Vec<i64> = r
        .rows
        .iter()
        .filter(|row| row.action == RowAction::Create)
        .filter_map(|row| row.user_id)
        .collect();
    html! {
        <div class="block" id="import-report" data-committed="true">
            <div class="notice notice-ok" id="import-success" role="status">
                <p class="notice-title">{ "Import terminé" }</p>
                <p>{ format!(
                    "{} compte(s) créé(s), {} mis à jour, {} inchangé(s) pour l'année {}.",
                    r.counts.create, r.counts.update, r.counts.unchanged, r.school_year.label
                ) }</p>
            </div>
            if !created.is_empty() {
                <p>{ "Les nouveaux élèves se connectent la première fois avec le code de leur feuille d'invitation." }</p>
                <InvitationButton id="import-invitations" primary=true
                    label={format!("Imprimer les invitations ({})", created.len())}
                    request={InvitationRequest { user_ids: created.clone(), class_id: None }} />
            }
            { rows_table(r, None) }
        </div>
    }
}
