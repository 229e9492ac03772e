//! A class's progression (on its page, for teachers and admins): the exercises assigned,
//! by date, with their dates editable; one more added from the catalogue.

use std::rc::Rc;

use passerelle_api::{Assignment, ExerciseSummary};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlSelectElement;
use yew::prelude::*;
use yew_router::prelude::*;

use super::exercises::{assignment_input, today};
use crate::api::{self, FetchError};
use crate::components::{date_fr, form_error, setter, ErrorMessage, Loading, TextField};
use crate::route::Route;
use crate::state::{use_api, Load};

#[derive(Properties, PartialEq)]
pub struct ProgressionProps {
    pub class_id: i64,
}

#[function_component]
pub fn Progression(props: &ProgressionProps) -> Html {
    // Bumped after every change: the list is loaded again.
    let version = use_state(|| 0u32);
    let list = use_api((props.class_id, *version), |(id, _)| api::assignments(id));
    let exercises = use_api((), |()| api::exercises());
    let reload = {
        let version = version.clone();
        Callback::from(move |()| version.set(*version + 1))
    };
    let body = match &list {
        Load::Loading => html! { <Loading text="Chargement de la progression…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Progression" /> },
        Load::Ready(list) if list.is_empty() => html! {
            <p class="empty" id="progression-empty">{ "Aucun exercice affecté à cette classe pour le moment." }</p>
        },
        Load::Ready(list) => {
            let mut sorted: Vec<&Assignment> = list.iter().collect();
            sorted.sort_by_key(|a| (a.starts_on, a.ends_on, a.id));
            html! {
                <ol class="progression" id="progression-list">
                    { for sorted.into_iter().map(|a| html! {
                        <AssignmentRow key={a.id} assignment={a.clone()} on_change={reload.clone()} />
                    }) }
                </ol>
            }
        }
    };
    let picker = match &exercises {
        Load::Ready(all) => html! {
            <AddAssignment class_id={props.class_id} exercises={Rc::clone(all)} on_added={reload.clone()} />
        },
        Load::Loading => html! {},
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Exercices" /> },
    };
    html! {
        <div class="block" id="class-progression">
            <div class="block-head">
                <h2>{ "Progression" }</h2>
                <Link<Route> to={Route::ClassCoverage { id: props.class_id }} classes="btn">
                    <span id="coverage-link">{ "Couverture du référentiel" }</span>
                </Link<Route>>
            </div>
            { body }
            { picker }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct AssignmentRowProps {
    assignment: Assignment,
    on_change: Callback<()>,
}

/// One exercise of the progression: its dates, changed in place; removed.
#[function_component]
fn AssignmentRow(props: &AssignmentRowProps) -> Html {
    let a = &props.assignment;
    let editing = use_state(|| false);
    let starts = use_state(|| a.starts_on.to_string());
    let ends = use_state(|| a.ends_on.to_string());
    let error = use_state(|| None::<FetchError>);
    let busy = use_state(|| false);

    let on_save = {
        let (starts, ends, error, busy, editing) = (
            starts.clone(),
            ends.clone(),
            error.clone(),
            busy.clone(),
            editing.clone(),
        );
        let (id, exercise_id, on_change) = (a.id, a.exercise_id, props.on_change.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let input = match assignment_input(exercise_id, &starts, &ends) {
                Ok(i) => i,
                Err(e) => {
                    error.set(Some(e));
                    return;
                }
            };
            let (error, busy, editing, on_change) = (
                error.clone(),
                busy.clone(),
                editing.clone(),
                on_change.clone(),
            );
            busy.set(true);
            spawn_local(async move {
                let result = api::update_assignment(id, &input).await;
                busy.set(false);
                match result {
                    Ok(_) => {
                        error.set(None);
                        editing.set(false);
                        on_change.emit(());
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let on_remove = {
        let (error, busy) = (error.clone(), busy.clone());
        let (id, title, on_change) = (a.id, a.title.clone(), props.on_change.clone());
        Callback::from(move |_: MouseEvent| {
            let sure = web_sys::window()
                .and_then(|w| {
                    w.confirm_with_message(&format!("Retirer « {title} » de la progression ?"))
                        .ok()
                })
                .unwrap_or(false);
            if !sure {
                return;
            }
            let (error, busy, on_change) = (error.clone(), busy.clone(), on_change.clone());
            busy.set(true);
            spawn_local(async move {
                let result = api::delete_assignment(id).await;
                busy.set(false);
                match result {
                    Ok(()) => on_change.emit(()),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let toggle = {
        let editing = editing.clone();
        Callback::from(move |_: MouseEvent| editing.set(!*editing))
    };
    let dates = if a.starts_on == a.ends_on {
        format!("le {}", date_fr(a.starts_on))
    } else {
        format!("du {} au {}", date_fr(a.starts_on), date_fr(a.ends_on))
    };
    html! {
        <li class={classes!("assignment", a.done.then_some("done"))} data-assignment={a.id.to_string()}
            data-exercise={a.exercise_id.to_string()} data-done={a.done.to_string()}>
            <div class="assignment-head">
                <span class="assignment-dates nowrap">{ dates }</span>
                <Link<Route> to={Route::Exercise { id: a.exercise_id }} classes="assignment-title">{ a.title.clone() }</Link<Route>>
                <span class={classes!("badge", if a.done { "status-active" } else { "status-invited" })}>
                    { if a.done { "fait" } else { "à venir" } }
                </span>
                <span class="row-actions">
                    <button type="button" class="btn btn-small assignment-edit" onclick={toggle}>
                        { if *editing { "Fermer" } else { "Dates" } }
                    </button>
                    <button type="button" class="btn btn-small assignment-remove" disabled={*busy} onclick={on_remove}>
                        { "Retirer" }
                    </button>
                </span>
            </div>
            if *editing {
                <form class="form-row assignment-form" onsubmit={on_save}>
                    <TextField id={format!("assignment-{}-starts", a.id)} label="Début" kind="date"
                        value={(*starts).clone()} on_change={setter(&starts)} />
                    <TextField id={format!("assignment-{}-ends", a.id)} label="Fin" kind="date"
                        value={(*ends).clone()} on_change={setter(&ends)} />
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary btn-small" disabled={*busy}>{ "Enregistrer" }</button>
                    </div>
                </form>
            }
            { form_error(&error, &format!("assignment-{}-error", a.id)) }
        </li>
    }
}

#[derive(Properties, PartialEq)]
struct AddAssignmentProps {
    class_id: i64,
    exercises: Rc<Vec<ExerciseSummary>>,
    on_added: Callback<()>,
}

/// "Ajouter un exercice": one of the catalogue, and its dates.
#[function_component]
fn AddAssignment(props: &AddAssignmentProps) -> Html {
    let exercise = use_state(|| None::<i64>);
    let starts = use_state(|| today().to_string());
    let ends = use_state(String::new);
    let error = use_state(|| None::<FetchError>);
    let busy = use_state(|| false);
    if props.exercises.is_empty() {
        return html! {
            <p class="muted">
                { "Le catalogue est vide : " }
                <Link<Route> to={Route::ExerciseNew}>{ "créez un exercice" }</Link<Route>>{ "." }
            </p>
        };
    }
    let mut sorted: Vec<&ExerciseSummary> = props.exercises.iter().collect();
    sorted.sort_by(|a, b| a.title.cmp(&b.title));
    let chosen = (*exercise).or_else(|| sorted.first().map(|e| e.id));
    let onchange = {
        let exercise = exercise.clone();
        Callback::from(move |e: Event| {
            let s: HtmlSelectElement = e.target_unchecked_into();
            exercise.set(s.value().parse().ok());
        })
    };
    let onsubmit = {
        let (starts, ends, error, busy) =
            (starts.clone(), ends.clone(), error.clone(), busy.clone());
        let (class_id, on_added) = (props.class_id, props.on_added.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(exercise_id) = chosen else {
                return;
            };
            let input = match assignment_input(exercise_id, &starts, &ends) {
                Ok(i) => i,
                Err(e) => {
                    error.set(Some(e));
                    return;
                }
            };
            let (error, busy, on_added) = (error.clone(), busy.clone(), on_added.clone());
            busy.set(true);
            spawn_local(async move {
                let result = api::assign_exercise(class_id, &input).await;
                busy.set(false);
                match result {
                    Ok(_) => {
                        error.set(None);
                        on_added.emit(());
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    html! {
        <form class="form add-assignment" id="add-assignment" {onsubmit}>
            <h3>{ "Ajouter un exercice" }</h3>
            <div class="form-row">
                <div class="field grow">
                    <label for="add-assignment-exercise">{ "Exercice" }</label>
                    <select id="add-assignment-exercise" {onchange}>
                        { for sorted.iter().map(|e| html! {
                            <option value={e.id.to_string()} selected={chosen == Some(e.id)}>{ e.title.clone() }</option>
                        }) }
                    </select>
                </div>
                <TextField id="add-assignment-starts" label="Début" kind="date" value={(*starts).clone()}
                    on_change={setter(&starts)} />
                <TextField id="add-assignment-ends" label="Fin" kind="date" required=false value={(*ends).clone()}
                    on_change={setter(&ends)} />
            </div>
            { form_error(&error, "add-assignment-error") }
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="add-assignment-submit" disabled={*busy}>
                    { "Ajouter à la progression" }
                </button>
            </div>
        </form>
    }
}
