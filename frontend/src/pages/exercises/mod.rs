//! PGI exercises: "/exercices" (the catalogue), "/exercices/nouveau" and
//! "/exercices/:id/modifier" (the editor), "/exercices/:id" (one exercise, assigned to a
//! class from there) and "/exercices/importer" (a catalogue from another school).

mod detail;
mod editor;
mod import;

pub use detail::{assignment_input, today, ExercisePage};
pub use editor::ExerciseEditorPage;
pub use import::ExerciseImportPage;

use std::collections::BTreeSet;

use passerelle_api::{ExerciseSummary, PersonRef, Visibility};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::{self, PgiCatalogue};
use crate::components::{matches_all, Download, DownloadButton, ErrorMessage, Loading};
use crate::route::Route;
use crate::session::{full_name, use_session};
use crate::state::{use_api, Load};

/// The PGI catalogue (software, modules, features, bases); None while loading or when the
/// server has none (the pages then fall back to plain ids).
#[hook]
pub fn use_pgi() -> Option<std::rc::Rc<PgiCatalogue>> {
    match use_api((), |()| api::pgi()) {
        Load::Ready(c) => Some(c),
        _ => None,
    }
}

/// "1 h 30", "45 min".
pub fn duration_fr(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02}"),
    }
}

pub fn visibility_badge(v: Visibility) -> Html {
    html! {
        <span class={classes!("badge", format!("visibility-{}", v.as_str()))} data-visibility={v.as_str()}>
            { if v == Visibility::Private { "Privé" } else { "Établissement" } }
        </span>
    }
}

pub fn author(p: &PersonRef) -> String {
    full_name(&p.first_name, &p.last_name)
}

/// Which exercises the catalogue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    All,
    Mine,
    Shared,
}

/// A `<select>` with a first "any" option; emits the chosen value ("" for any).
fn filter_select(
    id: &str,
    label: &str,
    any: &str,
    options: Vec<(String, String)>,
    selected: &str,
    on_change: Callback<String>,
) -> Html {
    let onchange = Callback::from(move |e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        on_change.emit(select.value());
    });
    html! {
        <div class="field">
            <label for={id.to_owned()}>{ label.to_owned() }</label>
            <select id={id.to_owned()} {onchange}>
                <option value="" selected={selected.is_empty()}>{ any.to_owned() }</option>
                { for options.into_iter().map(|(value, name)| html! {
                    <option selected={value == selected} value={value.clone()}>{ name }</option>
                }) }
            </select>
        </div>
    }
}

/// "/exercices": the exercises the user may see, searchable and filtered.
#[function_component]
pub fn ExercisesPage() -> Html {
    super::set_title("Exercices");
    let session = use_session();
    let me = session.as_ref().and_then(|s| s.me()).map(|m| m.id);
    let list = use_api((), |()| api::exercises());
    let pgi = use_pgi();
    let query = use_state(String::new);
    let scope = use_state(|| Scope::All);
    let software = use_state(String::new);
    let base = use_state(String::new);

    let body = match &list {
        Load::Loading => html! { <Loading text="Chargement des exercices…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Exercices" /> },
        Load::Ready(list) => {
            let software_ids: BTreeSet<&str> = list
                .iter()
                .filter_map(|e| e.software_id.as_deref())
                .collect();
            let base_ids: BTreeSet<&str> =
                list.iter().filter_map(|e| e.base_id.as_deref()).collect();
            let name_of = |id: &str, base: bool| match &pgi {
                Some(c) if base => c.base_name(id),
                Some(c) => c.software_name(id),
                None => id.to_owned(),
            };
            let shown: Vec<&ExerciseSummary> = list
                .iter()
                .filter(|e| matches_all(&e.title, &query))
                .filter(|e| match *scope {
                    Scope::All => true,
                    Scope::Mine => Some(e.author.id) == me,
                    Scope::Shared => e.visibility == Visibility::Establishment,
                })
                .filter(|e| software.is_empty() || e.software_id.as_deref() == Some(&**software))
                .filter(|e| base.is_empty() || e.base_id.as_deref() == Some(&**base))
                .collect();
            let on_query = {
                let query = query.clone();
                Callback::from(move |e: InputEvent| {
                    let input: HtmlInputElement = e.target_unchecked_into();
                    query.set(input.value());
                })
            };
            let on_scope = {
                let scope = scope.clone();
                Callback::from(move |v: String| {
                    scope.set(match v.as_str() {
                        "mine" => Scope::Mine,
                        "shared" => Scope::Shared,
                        _ => Scope::All,
                    })
                })
            };
            let set = |state: &UseStateHandle<String>| {
                let state = state.clone();
                Callback::from(move |v: String| state.set(v))
            };
            let scope_value = match *scope {
                Scope::All => "",
                Scope::Mine => "mine",
                Scope::Shared => "shared",
            };
            html! { <>
                <div class="toolbar exercise-filters">
                    <div class="field grow">
                        <label for="exercise-search">{ "Rechercher un titre" }</label>
                        <input type="search" id="exercise-search" value={(*query).clone()}
                            placeholder="facturation, paie, JUPITER…" oninput={on_query} />
                    </div>
                    { filter_select("exercise-scope", "Auteur", "Tous les exercices",
                        vec![("mine".into(), "Mes exercices".into()), ("shared".into(), "Partagés par l'établissement".into())],
                        scope_value, on_scope) }
                    { filter_select("exercise-software-filter", "Logiciel", "Tous",
                        software_ids.iter().map(|id| (id.to_string(), name_of(id, false))).collect(),
                        &software, set(&software)) }
                    { filter_select("exercise-base-filter", "Base", "Toutes",
                        base_ids.iter().map(|id| (id.to_string(), name_of(id, true))).collect(),
                        &base, set(&base)) }
                </div>
                <p class="result-count" id="exercise-count">
                    { format!("{} exercice(s) sur {}", shown.len(), list.len()) }
                </p>
                if list.is_empty() {
                    <p class="empty">{ "Aucun exercice pour le moment : créez le premier, ou importez le catalogue d'un collègue." }</p>
                } else if shown.is_empty() {
                    <p class="empty">{ "Aucun exercice ne correspond à ces filtres." }</p>
                } else {
                    { exercise_table(&shown, |id, base| name_of(id, base)) }
                }
            </> }
        }
    };

    html! {
        <section class="page">
            <div class="page-head">
                <div class="page-intro">
                    <h1>{ "Exercices" }</h1>
                    <p class="lead">{ "Les exercices PGI de votre établissement, reliés aux compétences des référentiels." }</p>
                </div>
                <div class="toolbar exercise-actions">
                    <Link<Route> to={Route::ExerciseNew} classes="btn btn-primary">
                        <span id="exercise-new">{ "Nouveau" }</span>
                    </Link<Route>>
                    <Link<Route> to={Route::ExerciseImport} classes="btn">
                        <span id="exercise-import">{ "Importer" }</span>
                    </Link<Route>>
                    <DownloadButton id="export-json" label="Exporter (JSON)" download={Download::Catalogue { xlsx: false }} />
                    <DownloadButton id="export-xlsx" label="Exporter (xlsx)" download={Download::Catalogue { xlsx: true }} />
                </div>
            </div>
            { body }
        </section>
    }
}

fn exercise_table(list: &[&ExerciseSummary], name_of: impl Fn(&str, bool) -> String) -> Html {
    html! {
        <div class="table-wrap">
            <table class="data-table stack" id="exercises-table">
                <thead><tr>
                    <th>{ "Titre" }</th><th>{ "Logiciel" }</th><th>{ "Base" }</th><th>{ "Durée" }</th>
                    <th>{ "Compétences principales" }</th><th>{ "Visibilité" }</th><th>{ "Auteur" }</th>
                </tr></thead>
                <tbody>
                    { for list.iter().map(|e| html! {
                        <tr data-exercise={e.id.to_string()}>
                            <td data-label="Titre">
                                <Link<Route> to={Route::Exercise { id: e.id }} classes="exercise-link">{ e.title.clone() }</Link<Route>>
                                if let Some(level) = &e.level {
                                    <span class="muted small">{ format!(" · {level}") }</span>
                                }
                            </td>
                            <td data-label="Logiciel">{ e.software_id.as_deref().map(|s| name_of(s, false)).unwrap_or_default() }</td>
                            <td data-label="Base">{ e.base_id.as_deref().map(|b| name_of(b, true)).unwrap_or_default() }</td>
                            <td data-label="Durée" class="nowrap">{ e.duration_minutes.map(duration_fr).unwrap_or_default() }</td>
                            <td data-label="Compétences principales">
                                <span class="codes">
                                    { for e.main_items.iter().map(|c| html! {
                                        <span class="code">{ c.split_once(':').map_or(c.as_str(), |(_, code)| code).to_owned() }</span>
                                    }) }
                                    if e.item_count as usize > e.main_items.len() {
                                        <span class="muted small">{ format!("+{}", e.item_count as usize - e.main_items.len()) }</span>
                                    }
                                </span>
                            </td>
                            <td data-label="Visibilité">{ visibility_badge(e.visibility) }</td>
                            <td data-label="Auteur">{ author(&e.author) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}
