//! "/grilles": the grid templates; "/grilles/:id": one template (criteria with their
//! indicators, scale, weights, comment fields, versions), edited by an admin as a new
//! version.

use passerelle_api::{GridCriterion, GridTemplate, GridTemplateInput, TemplateOrigin};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::{self, FetchError};
use crate::components::{form_error, local_time_fr, ErrorMessage, Loading};
use crate::route::Route;
use crate::state::{use_api, Load};

use super::{mark_fr, person};

fn origin(o: TemplateOrigin) -> &'static str {
    match o {
        TemplateOrigin::Referential => "Générée du référentiel",
        TemplateOrigin::Edited => "Adaptée",
    }
}

#[function_component]
pub fn GridTemplatesPage() -> Html {
    super::super::set_title("Grilles d'évaluation");
    let loaded = use_api((), |()| api::grid_templates());
    let body = match &loaded {
        Load::Loading => html! { <Loading text="Chargement des grilles…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Grilles" /> },
        Load::Ready(list) => html! {
            <div class="table-wrap">
                <table class="data-table" id="templates">
                    <thead><tr>
                        <th>{ "Épreuve" }</th><th>{ "Intitulé" }</th><th>{ "Référentiel" }</th>
                        <th>{ "Coef." }</th><th>{ "Critères" }</th><th>{ "Version" }</th>
                    </tr></thead>
                    <tbody>
                        { for list.iter().map(|t| html! {
                            <tr data-id={t.id.clone()}>
                                <td data-label="Épreuve">
                                    <Link<Route> to={Route::GridTemplate { id: t.id.clone() }}>{ format!("{} ({})", t.epreuve, t.unit) }</Link<Route>>
                                </td>
                                <td data-label="Intitulé">{ t.title.clone() }</td>
                                <td data-label="Référentiel">{ t.referential_id.clone() }</td>
                                <td data-label="Coef.">{ t.coefficient.map(mark_fr).unwrap_or_default() }</td>
                                <td data-label="Critères">{ t.criteria }</td>
                                <td data-label="Version">{ format!("{} · {}", t.version, origin(t.origin)) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        },
    };
    html! {
        <main class="page">
            <nav class="breadcrumb"><Link<Route> to={Route::ExamSessions}>{ "Examens" }</Link<Route>></nav>
            <div class="page-head"><h1>{ "Grilles d'évaluation" }</h1></div>
            { body }
        </main>
    }
}

#[derive(Properties, PartialEq)]
pub struct GridTemplatePageProps {
    pub id: String,
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[function_component]
pub fn GridTemplatePage(props: &GridTemplatePageProps) -> Html {
    let reload = use_state(|| 0u32);
    let loaded = use_api((props.id.clone(), *reload), |(id, _)| async move {
        let (t, v) = api::both(api::grid_template(&id), api::grid_template_versions(&id)).await;
        Ok((t?, v.unwrap_or_default()))
    });
    let editing = use_state(|| false);
    let (t, versions) = match &loaded {
        Load::Loading => {
            return html! { <main class="page"><Loading text="Chargement de la grille…" /></main> }
        }
        Load::Failed(e) => {
            return html! { <main class="page"><ErrorMessage error={e.clone()} what="Grille" /></main> }
        }
        Load::Ready(d) => (d.0.clone(), d.1.clone()),
    };
    super::super::set_title(&t.title);
    let on_saved = {
        let (reload, editing) = (reload.clone(), editing.clone());
        Callback::from(move |()| {
            editing.set(false);
            reload.set(*reload + 1);
        })
    };
    html! {
        <main class="page">
            <nav class="breadcrumb"><Link<Route> to={Route::GridTemplates}>{ "Grilles d'évaluation" }</Link<Route>></nav>
            <div class="page-head">
                <h1 id="template-title">{ format!("{} — {}", t.epreuve, t.title) }</h1>
                <p class="muted">
                    { format!("{} · {} · bloc {} · {}", t.referential_id, t.unit, t.bloc, t.modality) }
                    if let Some(c) = t.coefficient { { format!(" · coefficient {}", mark_fr(c)) } }
                </p>
                <p class="muted small">
                    { format!("Version {} · {}", t.version, origin(t.origin)) }
                    if let (Some(by), Some(at)) = (&t.edited_by, t.edited_at) {
                        { format!(" par {} le {}", person(by), local_time_fr(at)) }
                    }
                </p>
                if !*editing {
                    <button type="button" class="btn" id="template-edit"
                        onclick={{ let editing = editing.clone(); Callback::from(move |_: MouseEvent| editing.set(true)) }}>
                        { "Modifier (nouvelle version)" }
                    </button>
                }
            </div>
            if *editing {
                <TemplateEditor template={t.clone()} {on_saved} />
            } else {
                <section class="block">
                    <h2>{ "Échelle" }</h2>
                    <ol class="scale">{ for t.scale.iter().map(|d| html! { <li>{ d.clone() }</li> }) }</ol>
                    <h2>{ format!("Critères ({})", t.criteria.len()) }</h2>
                    <div class="table-wrap">
                        <table class="data-table" id="template-criteria">
                            <thead><tr><th>{ "Code" }</th><th>{ "Critère et indicateurs" }</th><th>{ "Poids" }</th></tr></thead>
                            <tbody>
                                { for t.criteria.iter().map(|c| html! {
                                    <tr data-code={c.code.clone()}>
                                        <td class="code">{ c.code.clone() }</td>
                                        <td>{ c.label.clone() }
                                            if !c.indicators.is_empty() {
                                                <ul class="indicators">{ for c.indicators.iter().map(|i| html! { <li>{ i.clone() }</li> }) }</ul>
                                            }
                                        </td>
                                        <td>{ mark_fr(c.weight) }</td>
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    </div>
                    <h2>{ "Commentaires" }</h2>
                    <ul>{ for t.comment_fields.iter().map(|f| html! { <li>{ f.clone() }</li> }) }</ul>
                    <h2>{ "Versions" }</h2>
                    <ul id="template-versions">
                        { for versions.iter().map(|v| html! {
                            <li>{ format!("Version {} · {} · {} critères{}", v.version, origin(v.origin), v.criteria,
                                v.edited_by.as_ref().map(|p| format!(" · {}", person(p))).unwrap_or_default()) }</li>
                        }) }
                    </ul>
                </section>
            }
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct EditorProps {
    template: GridTemplate,
    on_saved: Callback<()>,
}

/// The template as a form: title, scale and comment fields one per line, each criterion's
/// label, indicators (one per line) and weight.
#[function_component]
fn TemplateEditor(props: &EditorProps) -> Html {
    let t = &props.template;
    let title = use_state(|| t.title.clone());
    let scale = use_state(|| t.scale.join("\n"));
    let comments = use_state(|| t.comment_fields.join("\n"));
    let criteria = use_state(|| t.criteria.clone());
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let text_input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            state.set(area.value());
        })
    };
    let edit = |i: usize, f: fn(&mut GridCriterion, String)| {
        let criteria = criteria.clone();
        Callback::from(move |e: InputEvent| {
            let value = match e.target_dyn_into::<HtmlInputElement>() {
                Some(input) => input.value(),
                None => e.target_unchecked_into::<HtmlTextAreaElement>().value(),
            };
            let mut next = (*criteria).clone();
            if let Some(c) = next.get_mut(i) {
                f(c, value);
            }
            criteria.set(next);
        })
    };
    let onsubmit = {
        let (title, scale, comments, criteria) = (
            title.clone(),
            scale.clone(),
            comments.clone(),
            criteria.clone(),
        );
        let (busy, error, on_saved, id, rule) = (
            busy.clone(),
            error.clone(),
            props.on_saved.clone(),
            t.id.clone(),
            t.rule,
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let input = GridTemplateInput {
                title: title.trim().to_owned(),
                criteria: (*criteria).clone(),
                scale: lines(&scale),
                rule,
                comment_fields: lines(&comments),
            };
            let (busy, error, on_saved, id) =
                (busy.clone(), error.clone(), on_saved.clone(), id.clone());
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = api::save_grid_template(&id, &input).await;
                busy.set(false);
                match result {
                    Ok(_) => on_saved.emit(()),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    html! {
        <form class="block form" id="template-form" {onsubmit}>
            <div class="field">
                <label for="template-title-input">{ "Intitulé" }</label>
                <input id="template-title-input" type="text" value={(*title).clone()}
                    oninput={{ let title = title.clone(); Callback::from(move |e: InputEvent| {
                        let input: HtmlInputElement = e.target_unchecked_into();
                        title.set(input.value());
                    }) }} />
            </div>
            <div class="form-row">
                <div class="field grow">
                    <label for="template-scale">{ "Échelle (un degré par ligne, du plus faible au plus fort)" }</label>
                    <textarea id="template-scale" rows="4" value={(*scale).clone()} oninput={text_input(&scale)}></textarea>
                </div>
                <div class="field grow">
                    <label for="template-comments">{ "Commentaires (un cadre par ligne)" }</label>
                    <textarea id="template-comments" rows="4" value={(*comments).clone()} oninput={text_input(&comments)}></textarea>
                </div>
            </div>
            <div class="table-wrap">
                <table class="data-table">
                    <thead><tr><th>{ "Code" }</th><th>{ "Critère" }</th><th>{ "Indicateurs (un par ligne)" }</th><th>{ "Poids" }</th></tr></thead>
                    <tbody>
                        { for criteria.iter().enumerate().map(|(i, c)| html! {
                            <tr>
                                <td class="code">{ c.code.clone() }</td>
                                <td><textarea rows="2" value={c.label.clone()}
                                    oninput={edit(i, |c, v| c.label = v)}></textarea></td>
                                <td><textarea rows="3" value={c.indicators.join("\n")}
                                    oninput={edit(i, |c, v| c.indicators = lines(&v))}></textarea></td>
                                <td><input type="number" min="0" step="0.5" class="weight" value={c.weight.to_string()}
                                    oninput={edit(i, |c, v| if let Ok(w) = v.replace(',', ".").parse() { c.weight = w })} /></td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
            { form_error(&error, "template-error") }
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="template-save" disabled={*busy}>{ "Enregistrer une nouvelle version" }</button>
            </div>
        </form>
    }
}
