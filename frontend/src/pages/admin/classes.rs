//! "/admin/classes": the establishment's classes by school year; create one.

use passerelle_api::{ClassInput, ClassSummary, ReferentialSummary, SchoolYear};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlSelectElement;
use yew::prelude::*;
use yew_router::prelude::*;

use super::{intro, latest_year, year_select};
use crate::api::{self, FetchError};
use crate::components::{form_error, refusal, setter, success, ErrorMessage, Loading, TextField};
use crate::route::Route;
use crate::state::{use_api, use_app_state, Load};

#[function_component]
pub fn AdminClassesPage() -> Html {
    let version = use_state(|| 0u32);
    let years = use_api((), |()| api::school_years());
    // Reloaded after a creation; the form stays mounted (and keeps its message).
    let classes = use_api(*version, |_| api::classes());
    let app = use_app_state();
    let referentials: Vec<ReferentialSummary> = match app.as_ref().map(|a| &a.referentials) {
        Some(Load::Ready(list)) => list.as_ref().clone(),
        _ => Vec::new(),
    };
    let year = use_state(|| None::<i64>);
    let on_created = {
        let version = version.clone();
        Callback::from(move |()| version.set(*version + 1))
    };

    let body = match &years {
        Load::Loading => html! { <Loading text="Chargement des classes…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Années scolaires" /> },
        Load::Ready(years) if years.is_empty() => html! {
            <div class="notice" role="status">
                <p>
                    { "Créez d'abord une année scolaire dans " }
                    <Link<Route> to={Route::AdminEstablishment}>{ "Établissement" }</Link<Route>>{ "." }
                </p>
            </div>
        },
        Load::Ready(years) => {
            let shown_year = (*year).or_else(|| latest_year(years).map(|y| y.id));
            let on_year = {
                let year = year.clone();
                Callback::from(move |id: Option<i64>| year.set(id))
            };
            let table = match &classes {
                Load::Loading => html! { <Loading text="Chargement des classes…" /> },
                Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Classes" /> },
                Load::Ready(classes) => {
                    let mut shown: Vec<&ClassSummary> = classes
                        .iter()
                        .filter(|c| Some(c.school_year_id) == shown_year)
                        .collect();
                    shown.sort_by(|a, b| a.name.cmp(&b.name));
                    class_table(&shown, &referentials)
                }
            };
            html! { <>
                <div class="block">
                    <div class="toolbar">
                        { year_select("classes-year", "Année scolaire", years, shown_year, on_year) }
                    </div>
                    { table }
                </div>
                <ClassForm years={years.as_ref().clone()} referentials={referentials.clone()} year={shown_year} {on_created} />
            </> }
        }
    };
    html! {
        <section class="page">
            { intro("Classes", "Les classes de l'établissement par année scolaire. Ouvrez une classe pour affecter ses enseignants.") }
            { body }
        </section>
    }
}

fn class_table(classes: &[&ClassSummary], referentials: &[ReferentialSummary]) -> Html {
    if classes.is_empty() {
        return html! { <p class="empty">{ "Aucune classe pour cette année." }</p> };
    }
    let title = |id: &str| {
        referentials
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.title.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    html! {
        <div class="table-wrap">
            <table class="data-table" id="classes-table">
                <thead><tr><th>{ "Classe" }</th><th>{ "Référentiel" }</th><th>{ "Année" }</th></tr></thead>
                <tbody>
                    { for classes.iter().map(|c| html! {
                        <tr data-class={c.id.to_string()}>
                            <td data-label="Classe">
                                <Link<Route> to={Route::Class { id: c.id }}><strong>{ c.name.clone() }</strong></Link<Route>>
                            </td>
                            <td data-label="Référentiel">{ title(&c.referential_id) }</td>
                            <td data-label="Année">{ c.school_year.clone() }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ClassFormProps {
    years: Vec<SchoolYear>,
    referentials: Vec<ReferentialSummary>,
    year: Option<i64>,
    on_created: Callback<()>,
}

#[function_component]
fn ClassForm(props: &ClassFormProps) -> Html {
    let name = use_state(String::new);
    let year = use_state(|| props.year);
    let referential = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let created = use_state(|| None::<String>);
    let chosen_year = (*year).or(props.year);

    let on_year = {
        let year = year.clone();
        Callback::from(move |id: Option<i64>| year.set(id))
    };
    let on_referential = {
        let referential = referential.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            referential.set(select.value());
        })
    };
    let onsubmit = {
        let (name, referential) = (name.clone(), referential.clone());
        let (busy, error, created) = (busy.clone(), error.clone(), created.clone());
        let on_created = props.on_created.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(school_year_id) = chosen_year else {
                error.set(Some(refusal("Choisissez l'année scolaire de la classe.")));
                return;
            };
            if referential.is_empty() {
                error.set(Some(refusal(
                    "Choisissez le référentiel que la classe prépare.",
                )));
                return;
            }
            let input = ClassInput {
                name: name.trim().to_owned(),
                school_year_id,
                referential_id: (*referential).clone(),
            };
            let (busy, error, created, on_created, name) = (
                busy.clone(),
                error.clone(),
                created.clone(),
                on_created.clone(),
                name.clone(),
            );
            busy.set(true);
            error.set(None);
            created.set(None);
            spawn_local(async move {
                let result = api::create_class(&input).await;
                busy.set(false);
                match result {
                    Ok(c) => {
                        created.set(Some(format!(
                            "Classe « {} » créée ({}).",
                            c.name, c.school_year
                        )));
                        name.set(String::new());
                        on_created.emit(());
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    html! {
        <form class="block form" id="class-form" {onsubmit}>
            <h2>{ "Nouvelle classe" }</h2>
            <div class="form-row">
                <TextField id="class-name-input" label="Nom de la classe" placeholder="T AGOrA A" grow=true
                    value={(*name).clone()} on_change={setter(&name)} />
                { year_select("class-year", "Année scolaire", &props.years, chosen_year, on_year) }
                <div class="field">
                    <label for="class-referential">{ "Référentiel" }</label>
                    <select id="class-referential" onchange={on_referential} required=true>
                        <option value="" selected={referential.is_empty()}>{ "Choisir…" }</option>
                        { for props.referentials.iter().map(|r| html! {
                            <option value={r.id.clone()} selected={*referential == r.id}>{ r.title.clone() }</option>
                        }) }
                    </select>
                </div>
            </div>
            { form_error(&error, "class-error") }
            { success(&created, "class-created") }
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="class-submit" disabled={*busy}>{ "Créer la classe" }</button>
            </div>
        </form>
    }
}
