//! CCF exams: "/examens" (admins: the sessions and opening one; jury members: « Mes
//! jurys »), "/examens/:id" (admins: candidates, juries, assignment, conformity,
//! publication, exports and import; jury members: their candidates), the grid of one
//! candidate ("/candidats/:id/grille", in `grid`), the grid templates ("/grilles",
//! in `templates`) and a student's results ("/mes-resultats").

mod grid;
mod session;
mod templates;

pub use grid::{GridPage, MyResultsPage};
pub use session::ExamSessionPage;
pub use templates::{GridTemplatePage, GridTemplatesPage};

use passerelle_api::{ClassSummary, ExamSessionInput, GridTemplateSummary, PersonRef, Role};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::{self, FetchError};
use crate::components::{date_fr, form_error, refusal, setter, ErrorMessage, Loading, TextField};
use crate::route::Route;
use crate::session::{full_name, use_session};
use crate::state::{use_api, Load};

pub fn person(p: &PersonRef) -> String {
    full_name(&p.first_name, &p.last_name)
}

/// A mark in French: "13,5", "14" (marks are whole or half points).
pub fn mark_fr(x: f64) -> String {
    crate::text::number_fr(x)
}

/// "/examens": the sessions (all of them for an admin, who may open one; a jury member's
/// own).
#[function_component]
pub fn ExamSessionsPage() -> Html {
    let session = use_session();
    let admin = session
        .as_ref()
        .and_then(|s| s.me())
        .is_some_and(|m| m.roles.contains(&Role::Admin));
    super::set_title(if admin { "Examens" } else { "Mes jurys" });
    let reload = use_state(|| 0u32);
    let loaded = use_api(*reload, |_| api::exam_sessions());
    let navigator = use_navigator();
    let on_opened = {
        let navigator = navigator.clone();
        Callback::from(move |id: i64| {
            if let Some(n) = &navigator {
                n.push(&Route::ExamSession { id });
            }
        })
    };
    let body = match &loaded {
        Load::Loading => html! { <Loading text="Chargement des sessions…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Sessions" /> },
        Load::Ready(list) if list.is_empty() => html! {
            <p class="empty" id="no-sessions">{
                if admin { "Aucune session d'examen ouverte." } else { "Vous ne siégez dans aucun jury pour l'instant." }
            }</p>
        },
        Load::Ready(list) => html! {
            <div class="table-wrap">
                <table class="data-table" id="sessions">
                    <thead><tr>
                        <th>{ "Session" }</th><th>{ "Épreuve" }</th><th>{ "Dates" }</th>
                        <th>{ "Candidats" }</th><th>{ "Jurys" }</th><th>{ "État" }</th>
                    </tr></thead>
                    <tbody>
                        { for list.iter().map(|s| html! {
                            <tr data-id={s.id.to_string()}>
                                <td data-label="Session">
                                    <Link<Route> to={Route::ExamSession { id: s.id }}>{ s.label.clone() }</Link<Route>>
                                </td>
                                <td data-label="Épreuve"><span class="code">{ s.epreuve.clone() }</span>{ format!(" {}", s.title) }</td>
                                <td data-label="Dates">{ format!("du {} au {}", date_fr(s.starts_on), date_fr(s.ends_on)) }</td>
                                <td data-label="Candidats">{ s.candidates }</td>
                                <td data-label="Jurys">{ s.juries }</td>
                                <td data-label="État">{ if s.published { "Publiée" } else { "En cours" } }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        },
    };
    html! {
        <main class="page">
            <div class="page-head">
                <h1>{ if admin { "Examens" } else { "Mes jurys" } }</h1>
                if admin {
                    <p><Link<Route> to={Route::GridTemplates}>{ "Grilles d'évaluation" }</Link<Route>></p>
                }
            </div>
            { body }
            if admin {
                <OpenSessionForm {on_opened} />
            }
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct OpenSessionProps {
    on_opened: Callback<i64>,
}

/// Opens a session: a grid template (the épreuve), label, dates, classes of the
/// template's referential, the access route for a certification.
#[function_component]
fn OpenSessionForm(props: &OpenSessionProps) -> Html {
    let loaded = use_api((), |()| async {
        let (t, c) = api::both(api::grid_templates(), api::classes()).await;
        Ok::<(Vec<GridTemplateSummary>, Vec<ClassSummary>), FetchError>((t?, c?))
    });
    let template = use_state(String::new);
    let label = use_state(String::new);
    let starts = use_state(String::new);
    let ends = use_state(String::new);
    let route = use_state(String::new);
    let classes = use_state(Vec::<i64>::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let Load::Ready(data) = &loaded else {
        return html! {};
    };
    let (templates, all_classes) = &**data;
    let referential = templates
        .iter()
        .find(|t| t.id == *template)
        .map(|t| t.referential_id.clone());
    let on_template = {
        let (template, classes) = (template.clone(), classes.clone());
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            template.set(select.value());
            classes.set(Vec::new());
        })
    };
    let onsubmit = {
        let (template, label, starts, ends, route, classes) = (
            template.clone(),
            label.clone(),
            starts.clone(),
            ends.clone(),
            route.clone(),
            classes.clone(),
        );
        let (busy, error, on_opened) = (busy.clone(), error.clone(), props.on_opened.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let parse = |s: &str| s.parse::<chrono::NaiveDate>().ok();
            let (Some(starts_on), Some(ends_on)) = (parse(&starts), parse(&ends)) else {
                error.set(Some(refusal("Indiquez les dates de la session.")));
                return;
            };
            if template.is_empty() || classes.is_empty() {
                error.set(Some(refusal(
                    "Choisissez l'épreuve et au moins une classe.",
                )));
                return;
            }
            let input = ExamSessionInput {
                template_id: (*template).clone(),
                label: label.trim().to_owned(),
                starts_on,
                ends_on,
                class_ids: (*classes).clone(),
                access_route: Some(route.trim().to_owned()).filter(|r| !r.is_empty()),
            };
            let (busy, error, on_opened) = (busy.clone(), error.clone(), on_opened.clone());
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = api::open_exam_session(&input).await;
                busy.set(false);
                match result {
                    Ok(s) => on_opened.emit(s.id),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let date_field = |id: &'static str, name: &'static str, state: &UseStateHandle<String>| {
        let state = state.clone();
        let value = (*state).clone();
        html! {
            <div class="field">
                <label for={id}>{ name }</label>
                <input {id} type="date" {value} required=true
                    oninput={Callback::from(move |e: InputEvent| {
                        let input: HtmlInputElement = e.target_unchecked_into();
                        state.set(input.value());
                    })} />
            </div>
        }
    };
    let rncp = referential
        .as_deref()
        .is_some_and(|r| r.starts_with("rncp"));
    html! {
        <form class="block form" id="session-form" {onsubmit}>
            <h2>{ "Ouvrir une session" }</h2>
            <div class="form-row">
                <div class="field grow">
                    <label for="session-template">{ "Épreuve (grille)" }</label>
                    <select id="session-template" onchange={on_template} required=true>
                        <option value="" selected={template.is_empty()}>{ "Choisir…" }</option>
                        { for templates.iter().map(|t| html! {
                            <option value={t.id.clone()} selected={*template == t.id}>
                                { format!("{} — {} ({})", t.epreuve, t.title, t.referential_id) }
                            </option>
                        }) }
                    </select>
                </div>
                <TextField id="session-label" label="Intitulé" placeholder="Session 2027"
                    value={(*label).clone()} on_change={setter(&label)} />
                { date_field("session-starts", "Du", &starts) }
                { date_field("session-ends", "Au", &ends) }
                if rncp {
                    <TextField id="session-route" label="Voie d'accès" placeholder="J1" required=false
                        value={(*route).clone()} on_change={setter(&route)} />
                }
            </div>
            if let Some(r) = &referential {
                <fieldset class="checks" id="session-classes">
                    <legend>{ "Classes candidates" }</legend>
                    { for all_classes.iter().filter(|c| &c.referential_id == r).map(|c| {
                        let id = c.id;
                        let checked = classes.contains(&id);
                        let classes = classes.clone();
                        html! {
                            <label class="check">
                                <input type="checkbox" {checked} onchange={Callback::from(move |_: Event| {
                                    let mut next = (*classes).clone();
                                    if let Some(i) = next.iter().position(|x| *x == id) { next.remove(i); } else { next.push(id); }
                                    classes.set(next);
                                })} />
                                { format!(" {} ({})", c.name, c.school_year) }
                            </label>
                        }
                    }) }
                </fieldset>
            }
            { form_error(&error, "session-error") }
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="session-submit" disabled={*busy}>{ "Ouvrir la session" }</button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::mark_fr;

    #[test]
    fn marks_read_the_french_way() {
        assert_eq!(mark_fr(14.0), "14");
        assert_eq!(mark_fr(13.5), "13,5");
        assert_eq!(mark_fr(0.0), "0");
    }
}
