//! "/exercices/:id": one exercise, its items and file; duplicate, edit, delete, and
//! assign it to one of the teacher's classes.

use chrono::NaiveDate;
use passerelle_api::{AssignmentInput, Exercise};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlSelectElement;
use yew::prelude::*;
use yew_router::prelude::*;

use super::{author, duration_fr, use_pgi, visibility_badge};
use crate::api::{self, FetchError};
use crate::components::{
    date_fr, form_error, local_time_fr, markdown, refusal, success, Download, DownloadButton,
    ErrorMessage, KindBadge, Loading, TextField,
};
use crate::route::Route;
use crate::state::{use_api, Load};

#[derive(Properties, PartialEq)]
pub struct ExercisePageProps {
    pub id: i64,
}

#[function_component]
pub fn ExercisePage(props: &ExercisePageProps) -> Html {
    let exercise = use_api(props.id, api::exercise);
    let body = match exercise {
        Load::Loading => {
            super::super::set_title("Exercice");
            html! { <Loading text="Chargement de l'exercice…" /> }
        }
        Load::Failed(e) => html! { <ErrorMessage error={e} what="Exercice" /> },
        Load::Ready(e) => {
            super::super::set_title(&e.title);
            html! { <ExerciseView exercise={(*e).clone()} /> }
        }
    };
    html! {
        <section class="page">
            <nav class="breadcrumb" aria-label="Fil d'Ariane">
                <Link<Route> to={Route::Exercises}>{ "Exercices" }</Link<Route>>
            </nav>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ExerciseViewProps {
    exercise: Exercise,
}

#[function_component]
fn ExerciseView(props: &ExerciseViewProps) -> Html {
    let e = &props.exercise;
    let pgi = use_pgi();
    let navigator = use_navigator();
    let error = use_state(|| None::<FetchError>);
    let busy = use_state(|| false);

    let on_duplicate = {
        let (id, error, busy, navigator) = (e.id, error.clone(), busy.clone(), navigator.clone());
        Callback::from(move |_: MouseEvent| {
            let (error, busy, navigator) = (error.clone(), busy.clone(), navigator.clone());
            busy.set(true);
            spawn_local(async move {
                let result = api::duplicate_exercise(id).await;
                busy.set(false);
                match result {
                    Ok(copy) => {
                        if let Some(nav) = navigator {
                            nav.push(&Route::ExerciseEdit { id: copy.id });
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let on_delete = {
        let (id, error, busy) = (e.id, error.clone(), busy.clone());
        Callback::from(move |_: MouseEvent| {
            let sure = web_sys::window()
                .and_then(|w| {
                    w.confirm_with_message(
                        "Supprimer définitivement cet exercice ? Il sera aussi retiré des progressions des classes.",
                    )
                    .ok()
                })
                .unwrap_or(false);
            if !sure {
                return;
            }
            let (error, busy, navigator) = (error.clone(), busy.clone(), navigator.clone());
            busy.set(true);
            spawn_local(async move {
                let result = api::delete_exercise(id).await;
                busy.set(false);
                match result {
                    Ok(()) => {
                        if let Some(nav) = navigator {
                            nav.push(&Route::Exercises);
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };

    let name = |id: &str, base: bool| match &pgi {
        Some(c) if base => c.base_name(id),
        Some(c) => c.software_name(id),
        None => id.to_owned(),
    };
    let (main, secondary): (Vec<_>, Vec<_>) = e.items.iter().partition(|i| i.main);
    let items = |list: Vec<&passerelle_api::LinkedItem>, id: &str, title: &str| {
        if list.is_empty() {
            return html! {};
        }
        html! {
            <div class="linked-group">
                <h3>{ title.to_owned() }</h3>
                <ul class="linked-items" id={id.to_owned()}>
                    { for list.into_iter().map(|i| html! {
                        <li class="linked-item" data-code={i.code.clone()} data-referential={i.referential_id.clone()}
                            data-main={i.main.to_string()}>
                            <KindBadge kind={i.kind} />
                            <Link<Route> to={Route::Item { id: i.referential_id.clone(), code: i.code.clone() }} classes="code">
                                { i.code.clone() }
                            </Link<Route>>
                            <span class="linked-label">{ i.label.clone() }</span>
                        </li>
                    }) }
                </ul>
            </div>
        }
    };

    html! {
        <article class="exercise" data-exercise={e.id.to_string()}>
            <div class="page-head">
                <div>
                    <h1 id="exercise-heading">{ e.title.clone() }</h1>
                    <p class="meta">
                        { visibility_badge(e.visibility) }
                        <span>{ format!("par {}", author(&e.author)) }</span>
                        <span>{ format!("modifié le {}", local_time_fr(e.updated_at)) }</span>
                        if let Some(from) = e.copied_from {
                            <Link<Route> to={Route::Exercise { id: from }}>{ "copie d'un exercice" }</Link<Route>>
                        }
                    </p>
                </div>
                <div class="toolbar">
                    if e.can_edit {
                        <Link<Route> to={Route::ExerciseEdit { id: e.id }} classes="btn btn-primary">
                            <span id="exercise-edit">{ "Modifier" }</span>
                        </Link<Route>>
                    }
                    <button type="button" class="btn" id="exercise-duplicate" disabled={*busy} onclick={on_duplicate}>
                        { "Dupliquer" }
                    </button>
                    if e.can_edit {
                        <button type="button" class="btn btn-danger" id="exercise-delete" disabled={*busy} onclick={on_delete}>
                            { "Supprimer" }
                        </button>
                    }
                </div>
            </div>
            { form_error(&error, "exercise-action-error") }
            <div class="columns">
                <div class="block">
                    <dl class="attrs">
                        if let Some(s) = &e.software_id {
                            <div class="attr"><dt>{ "Logiciel" }</dt><dd>{ name(s, false) }</dd></div>
                        }
                        if let Some(b) = &e.base_id {
                            <div class="attr"><dt>{ "Base" }</dt><dd>{ name(b, true) }</dd></div>
                        }
                        if !e.modules.is_empty() {
                            <div class="attr"><dt>{ "Modules" }</dt><dd>{ chips(&e.modules) }</dd></div>
                        }
                        if !e.features.is_empty() {
                            <div class="attr"><dt>{ "Fonctionnalités" }</dt><dd>{ chips(&e.features) }</dd></div>
                        }
                        if let Some(m) = e.duration_minutes {
                            <div class="attr"><dt>{ "Durée" }</dt><dd>{ duration_fr(m) }</dd></div>
                        }
                        if let Some(l) = &e.level {
                            <div class="attr"><dt>{ "Niveau" }</dt><dd>{ l.clone() }</dd></div>
                        }
                    </dl>
                    if let Some(f) = &e.file {
                        <p class="attached-file">
                            <DownloadButton id="exercise-file-download"
                                label={format!("Télécharger {} ({} Ko)", f.file_name, f.size.div_ceil(1024))}
                                download={Download::ExerciseFile { id: e.id, file: f.clone() }} />
                        </p>
                    }
                </div>
                <AssignForm exercise_id={e.id} />
            </div>
            <div class="block">
                <h2>{ "Consignes" }</h2>
                { markdown(&e.instructions, "exercise-instructions", "Pas de consignes écrites.") }
            </div>
            <div class="block">
                <h2>{ format!("Compétences travaillées ({})", e.items.len()) }</h2>
                if e.items.is_empty() {
                    <p class="empty">{ "Aucune compétence reliée." }</p>
                }
                { items(main, "main-items", "Principales") }
                { items(secondary, "secondary-items", "Secondaires") }
            </div>
        </article>
    }
}

fn chips(list: &[String]) -> Html {
    html! {
        <span class="chips">{ for list.iter().map(|x| html! { <span class="chip">{ x.clone() }</span> }) }</span>
    }
}

/// Today in the browser's time zone.
pub fn today() -> NaiveDate {
    let now = js_sys::Date::new_0();
    NaiveDate::from_ymd_opt(
        now.get_full_year() as i32,
        now.get_month() + 1,
        now.get_date(),
    )
    .unwrap_or_default()
}

/// Parses the dates of an assignment form ("" end: the start day).
pub fn assignment_input(
    exercise_id: i64,
    starts: &str,
    ends: &str,
) -> Result<AssignmentInput, FetchError> {
    let starts_on: NaiveDate = starts
        .parse()
        .map_err(|_| refusal("Début : choisissez une date."))?;
    let ends_on = if ends.trim().is_empty() {
        None
    } else {
        Some(
            ends.parse::<NaiveDate>()
                .map_err(|_| refusal("Fin : date invalide."))?,
        )
    };
    if ends_on.is_some_and(|e| e < starts_on) {
        return Err(refusal("Fin : la date de fin précède le début."));
    }
    Ok(AssignmentInput {
        exercise_id,
        starts_on,
        ends_on,
    })
}

#[derive(Properties, PartialEq)]
struct AssignFormProps {
    exercise_id: i64,
}

/// "Affecter à une classe": one of the teacher's classes, start and end dates.
#[function_component]
fn AssignForm(props: &AssignFormProps) -> Html {
    let classes = use_api((), |()| api::classes());
    let class = use_state(|| None::<i64>);
    let starts = use_state(|| today().to_string());
    let ends = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let done = use_state(|| None::<(i64, String)>);

    let chosen = match &classes {
        Load::Ready(list) => (*class).or_else(|| list.first().map(|c| c.id)),
        _ => None,
    };
    let onsubmit = {
        let (starts, ends, busy, error, done) = (
            starts.clone(),
            ends.clone(),
            busy.clone(),
            error.clone(),
            done.clone(),
        );
        let exercise_id = props.exercise_id;
        let names = match &classes {
            Load::Ready(list) => list.iter().map(|c| (c.id, c.name.clone())).collect(),
            _ => Vec::new(),
        };
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(class_id) = chosen else {
                return;
            };
            let input = match assignment_input(exercise_id, &starts, &ends) {
                Ok(i) => i,
                Err(e) => {
                    error.set(Some(e));
                    return;
                }
            };
            let name = names
                .iter()
                .find(|(id, _)| *id == class_id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default();
            let (busy, error, done) = (busy.clone(), error.clone(), done.clone());
            busy.set(true);
            error.set(None);
            done.set(None);
            spawn_local(async move {
                let result = api::assign_exercise(class_id, &input).await;
                busy.set(false);
                match result {
                    Ok(a) => done.set(Some((
                        class_id,
                        format!(
                            "Affecté à {name} : du {} au {}.",
                            date_fr(a.starts_on),
                            date_fr(a.ends_on)
                        ),
                    ))),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let fields = match &classes {
        Load::Loading => html! { <Loading text="Chargement de vos classes…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Classes" /> },
        Load::Ready(list) if list.is_empty() => html! {
            <p class="empty">{ "Vous n'êtes affecté à aucune classe." }</p>
        },
        Load::Ready(list) => {
            let onchange = {
                let class = class.clone();
                Callback::from(move |e: Event| {
                    let s: HtmlSelectElement = e.target_unchecked_into();
                    class.set(s.value().parse().ok());
                })
            };
            html! { <>
                <div class="field">
                    <label for="assign-class">{ "Classe" }</label>
                    <select id="assign-class" {onchange}>
                        { for list.iter().map(|c| html! {
                            <option value={c.id.to_string()} selected={chosen == Some(c.id)}>{ c.name.clone() }</option>
                        }) }
                    </select>
                </div>
                <div class="form-row">
                    <TextField id="assign-starts" label="Début" kind="date" value={(*starts).clone()}
                        on_change={crate::components::setter(&starts)} />
                    <TextField id="assign-ends" label="Fin" kind="date" required=false value={(*ends).clone()}
                        on_change={crate::components::setter(&ends)} />
                </div>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" id="assign-submit" disabled={*busy}>
                        { "Affecter" }
                    </button>
                </div>
            </> }
        }
    };
    let message = (*done).as_ref().map(|(_, m)| m.clone());
    html! {
        <form class="block form" id="assign-form" {onsubmit}>
            <h2>{ "Affecter à une classe" }</h2>
            { fields }
            { form_error(&error, "assign-error") }
            { success(&message, "assign-done") }
            if let Some((class_id, _)) = &*done {
                <p>
                    <Link<Route> to={Route::Class { id: *class_id }}>{ "Voir la progression de la classe" }</Link<Route>>
                </p>
            }
        </form>
    }
}
