//! "/exercices/nouveau" and "/exercices/:id/modifier": an exercise's description, the
//! PGI software, base, modules and features it uses, and the referential items it
//! practises, with suggestions from the server.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use passerelle_api::{
    AttachedFile, Exercise, ExerciseInput, ItemKind, ItemLink, LinkedItem, Suggestion,
    SuggestionRequest, Visibility, EXERCISE_INSTRUCTIONS_MAX_CHARS, EXERCISE_TITLE_MAX_CHARS,
};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;
use yew_router::prelude::*;

use super::use_pgi;
use crate::api::{self, FetchError, PgiCatalogue};
use crate::components::{
    form_error, highlight, matches_all, refusal, ErrorMessage, KindBadge, Loading, TextField,
};
use crate::route::Route;
use crate::state::{use_api, use_app_state, use_referential, Load};

/// Wait this long after the last change before asking for suggestions.
const SUGGEST_DEBOUNCE_MS: u32 = 600;
/// Item search hits shown.
const SEARCH_HITS: usize = 30;
/// Kinds an exercise can be linked to (the server refuses the others).
const MAPPABLE_KINDS: [ItemKind; 3] = [ItemKind::Task, ItemKind::Situation, ItemKind::Competency];

/// The exercise being edited.
#[derive(Debug, Clone, Default, PartialEq)]
struct Draft {
    input: ExerciseInput,
    /// Links with their kinds and labels (the input's `items` is built from these).
    links: Vec<LinkedItem>,
    /// The duration as typed.
    duration: String,
    /// The file already attached (edit mode).
    file: Option<AttachedFile>,
    /// The referential the items are chosen in.
    referential: Option<String>,
}

struct Edit(Box<dyn FnOnce(&mut Draft)>);

impl Reducible for Draft {
    type Action = Edit;
    fn reduce(self: Rc<Self>, action: Edit) -> Rc<Self> {
        let mut next = (*self).clone();
        (action.0)(&mut next);
        Rc::new(next)
    }
}

fn edit(draft: &UseReducerHandle<Draft>, f: impl FnOnce(&mut Draft) + 'static) {
    draft.dispatch(Edit(Box::new(f)));
}

/// A callback editing the draft with the value it receives.
fn on_value<T: 'static>(
    draft: &UseReducerHandle<Draft>,
    f: impl Fn(&mut Draft, T) + 'static,
) -> Callback<T> {
    let draft = draft.clone();
    let f = Rc::new(f);
    Callback::from(move |v: T| {
        let f = f.clone();
        edit(&draft, move |d| f(d, v));
    })
}

impl Draft {
    fn from_exercise(e: &Exercise) -> Draft {
        Draft {
            input: ExerciseInput {
                title: e.title.clone(),
                instructions: e.instructions.clone(),
                software_id: e.software_id.clone(),
                base_id: e.base_id.clone(),
                modules: e.modules.clone(),
                features: e.features.clone(),
                duration_minutes: e.duration_minutes,
                level: e.level.clone(),
                visibility: e.visibility,
                items: Vec::new(),
            },
            links: e.items.clone(),
            duration: e
                .duration_minutes
                .map(|m| m.to_string())
                .unwrap_or_default(),
            file: e.file.clone(),
            referential: e.items.first().map(|i| i.referential_id.clone()),
        }
    }

    /// What is sent to the server, or a French refusal naming the field.
    fn to_input(&self) -> Result<ExerciseInput, FetchError> {
        let mut input = self.input.clone();
        input.title = input.title.trim().to_owned();
        if input.title.is_empty() {
            return Err(refusal("Titre : obligatoire."));
        }
        let duration = self.duration.trim();
        input.duration_minutes =
            if duration.is_empty() {
                None
            } else {
                Some(duration.parse().map_err(|_| {
                    refusal("Durée : un nombre entier de minutes (par exemple 90).")
                })?)
            };
        input.level = input
            .level
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty());
        input.items = self
            .links
            .iter()
            .map(|l| ItemLink {
                referential_id: l.referential_id.clone(),
                code: l.code.clone(),
                main: l.main,
            })
            .collect();
        Ok(input)
    }

    fn linked(&self, referential: &str, code: &str) -> bool {
        self.links
            .iter()
            .any(|l| l.referential_id == referential && l.code == code)
    }

    fn add_link(&mut self, link: LinkedItem) {
        if !self.linked(&link.referential_id, &link.code) {
            self.links.push(link);
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct ExerciseEditorProps {
    /// The exercise to edit (None: a new one).
    #[prop_or_default]
    pub id: Option<i64>,
}

#[function_component]
pub fn ExerciseEditorPage(props: &ExerciseEditorProps) -> Html {
    let existing = use_api(props.id, |id: Option<i64>| async move {
        match id {
            Some(id) => api::exercise(id).await.map(Some),
            None => Ok(None),
        }
    });
    let title = if props.id.is_some() {
        "Modifier l'exercice"
    } else {
        "Nouvel exercice"
    };
    super::super::set_title(title);
    let back = match props.id {
        Some(id) => {
            html! { <Link<Route> to={Route::Exercise { id }}>{ "Retour à l'exercice" }</Link<Route>> }
        }
        None => html! { <Link<Route> to={Route::Exercises}>{ "Exercices" }</Link<Route>> },
    };
    let body = match existing {
        Load::Loading => html! { <Loading text="Chargement de l'exercice…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e} what="Exercice" /> },
        Load::Ready(e) => match e.as_ref() {
            Some(e) if !e.can_edit => html! {
                <div class="notice notice-warn" role="alert">
                    { "Seul l'auteur de cet exercice (ou l'administration) peut le modifier. Dupliquez-le pour en faire votre version." }
                </div>
            },
            Some(e) => {
                html! { <ExerciseForm id={Some(e.id)} initial={Rc::new(Draft::from_exercise(e))} /> }
            }
            None => html! { <ExerciseForm id={None} initial={Rc::new(Draft::default())} /> },
        },
    };
    html! {
        <section class="page">
            <nav class="breadcrumb" aria-label="Fil d'Ariane">{ back }</nav>
            <h1>{ title }</h1>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ExerciseFormProps {
    id: Option<i64>,
    initial: Rc<Draft>,
}

#[function_component]
fn ExerciseForm(props: &ExerciseFormProps) -> Html {
    let initial = props.initial.clone();
    let draft = use_reducer(move || (*initial).clone());
    let pgi = use_pgi();
    let app = use_app_state();
    let classes = use_api((), |()| api::classes());
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let pending_file = use_state(|| None::<web_sys::File>);
    let navigator = use_navigator();

    // The referential items are chosen in: the draft's, else the one of the teacher's
    // first class, else BTS GPME, else the first one loaded.
    let referentials = match app.as_ref().map(|a| a.referentials.clone()) {
        Some(Load::Ready(list)) => list.as_ref().clone(),
        _ => Vec::new(),
    };
    let referential = draft
        .referential
        .clone()
        .or_else(|| match &classes {
            Load::Ready(list) => list.first().map(|c| c.referential_id.clone()),
            _ => None,
        })
        .or_else(|| {
            referentials
                .iter()
                .find(|r| r.id == "bts-gpme")
                .or(referentials.first())
                .map(|r| r.id.clone())
        })
        .unwrap_or_default();

    let onsubmit = {
        let (draft, busy, error, pending_file) = (
            draft.clone(),
            busy.clone(),
            error.clone(),
            pending_file.clone(),
        );
        let id = props.id;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let input = match draft.to_input() {
                Ok(i) => i,
                Err(e) => {
                    error.set(Some(e));
                    return;
                }
            };
            let (busy, error, file, navigator) = (
                busy.clone(),
                error.clone(),
                (*pending_file).clone(),
                navigator.clone(),
            );
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let saved = match id {
                    Some(id) => api::update_exercise(id, &input).await,
                    None => api::create_exercise(&input).await,
                };
                let result = match saved {
                    Ok(ex) => match file {
                        Some(f) => api::attach_file(ex.id, &f).await.map(|_| ex.id),
                        None => Ok(ex.id),
                    },
                    Err(e) => Err(e),
                };
                busy.set(false);
                match result {
                    Ok(id) => {
                        if let Some(nav) = navigator {
                            nav.push(&Route::Exercise { id });
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };

    let d = &draft.input;
    html! {
        <form class="exercise-editor" id="exercise-form" {onsubmit} novalidate=true>
            <div class="editor-columns">
                <div class="editor-main">
                    <div class="block form">
                        <h2>{ "Description" }</h2>
                        <TextField id="exercise-title" label="Titre" value={d.title.clone()} grow=true
                            maxlength={EXERCISE_TITLE_MAX_CHARS}
                            placeholder="Facturation des commandes clients — JUPITER MEDIA"
                            on_change={on_value(&draft, |d, v: String| d.input.title = v)} />
                        <div class="field grow">
                            <label for="exercise-instructions">{ "Consignes (Markdown)" }</label>
                            <textarea id="exercise-instructions" rows="10"
                                maxlength={EXERCISE_INSTRUCTIONS_MAX_CHARS.to_string()}
                                value={d.instructions.clone()}
                                oninput={{
                                    let cb = on_value(&draft, |d, v: String| d.input.instructions = v);
                                    Callback::from(move |e: InputEvent| {
                                        let t: HtmlTextAreaElement = e.target_unchecked_into();
                                        cb.emit(t.value());
                                    })
                                }} />
                            <p class="field-hint">{ "Le travail demandé aux élèves : contexte, documents fournis, étapes." }</p>
                        </div>
                        <div class="form-row">
                            <TextField id="exercise-duration" label="Durée (minutes)" kind="number" required=false
                                value={draft.duration.clone()}
                                on_change={on_value(&draft, |d, v: String| d.duration = v)} />
                            <TextField id="exercise-level" label="Niveau" required=false
                                placeholder="1re année, Terminale…"
                                value={d.level.clone().unwrap_or_default()}
                                on_change={on_value(&draft, |d, v: String| d.input.level = Some(v))} />
                        </div>
                        { visibility_field(&draft) }
                    </div>
                    { pgi_fields(&draft, pgi.as_deref()) }
                    <div class="block">
                        <h2>{ "Compétences travaillées" }</h2>
                        { linked_items(&draft) }
                        <ItemPicker draft={draft.clone()} referential={referential.clone()}
                            referentials={Rc::new(referentials)} />
                    </div>
                    { file_field(&draft, &pending_file, props.id) }
                </div>
                <aside class="editor-side">
                    <SuggestionPanel draft={draft.clone()} referential={referential} />
                </aside>
            </div>
            { form_error(&error, "exercise-error") }
            <div class="form-actions sticky-actions">
                <button type="submit" class="btn btn-primary" id="exercise-save" disabled={*busy}>
                    { if *busy { "Enregistrement…" } else { "Enregistrer" } }
                </button>
                <Link<Route> to={props.id.map_or(Route::Exercises, |id| Route::Exercise { id })} classes="btn">
                    { "Annuler" }
                </Link<Route>>
            </div>
        </form>
    }
}

fn visibility_field(draft: &UseReducerHandle<Draft>) -> Html {
    let current = draft.input.visibility;
    let option = |v: Visibility, hint: &str| {
        let id = format!("exercise-visibility-{}", v.as_str());
        let onchange = on_value(draft, move |d, _: Event| d.input.visibility = v);
        html! {
            <li>
                <input type="radio" name="exercise-visibility" id={id.clone()} value={v.as_str()}
                    checked={current == v} {onchange} />
                <label for={id}>{ v.label() }<span class="muted small">{ format!(" · {hint}") }</span></label>
            </li>
        }
    };
    html! {
        <fieldset class="field">
            <legend>{ "Visibilité" }</legend>
            <ul class="checklist">
                { option(Visibility::Private, "vous seul") }
                { option(Visibility::Establishment, "les enseignants peuvent l'utiliser et le dupliquer") }
            </ul>
        </fieldset>
    }
}

// ---------- PGI ----------

/// Software, base, modules and features: from the PGI catalogue when the server has one,
/// else free text.
fn pgi_fields(draft: &UseReducerHandle<Draft>, pgi: Option<&PgiCatalogue>) -> Html {
    let d = &draft.input;
    let catalogue = pgi.filter(|c| !c.software.is_empty());
    let software = match catalogue {
        Some(c) => {
            let onchange = on_value(draft, |d, e: Event| {
                let s: HtmlSelectElement = e.target_unchecked_into();
                let v = s.value();
                d.input.software_id = (!v.is_empty()).then_some(v);
            });
            html! {
                <div class="field">
                    <label for="exercise-software">{ "Logiciel" }</label>
                    <select id="exercise-software" {onchange}>
                        <option value="" selected={d.software_id.is_none()}>{ "—" }</option>
                        { for c.software.iter().map(|s| html! {
                            <option value={s.id.clone()} selected={d.software_id.as_deref() == Some(&s.id)}>
                                { if s.name.is_empty() { s.id.clone() } else { s.name.clone() } }
                            </option>
                        }) }
                    </select>
                </div>
            }
        }
        None => html! {
            <TextField id="exercise-software" label="Logiciel" required=false placeholder="ebp, odoo…"
                value={d.software_id.clone().unwrap_or_default()}
                on_change={on_value(draft, |d, v: String| d.input.software_id = Some(v.trim().to_owned()).filter(|v| !v.is_empty()))} />
        },
    };
    let chosen_software = d.software_id.clone();
    let runs_on = |list: &[String]| {
        list.is_empty()
            || chosen_software
                .as_ref()
                .is_none_or(|s| list.iter().any(|x| x == s))
    };
    let base = match pgi.filter(|c| !c.bases.is_empty()) {
        Some(c) => {
            let onchange = on_value(draft, |d, e: Event| {
                let s: HtmlSelectElement = e.target_unchecked_into();
                let v = s.value();
                d.input.base_id = (!v.is_empty()).then_some(v);
            });
            html! {
                <div class="field">
                    <label for="exercise-base">{ "Base d'entraînement" }</label>
                    <select id="exercise-base" {onchange}>
                        <option value="" selected={d.base_id.is_none()}>{ "—" }</option>
                        { for c.bases.iter().filter(|b| runs_on(&b.software) || d.base_id.as_deref() == Some(&b.id)).map(|b| html! {
                            <option value={b.id.clone()} selected={d.base_id.as_deref() == Some(&b.id)}>
                                { if b.name.is_empty() { b.id.clone() } else { b.name.clone() } }
                            </option>
                        }) }
                    </select>
                </div>
            }
        }
        None => html! {
            <TextField id="exercise-base" label="Base d'entraînement" required=false placeholder="jupiter-media…"
                value={d.base_id.clone().unwrap_or_default()}
                on_change={on_value(draft, |d, v: String| d.input.base_id = Some(v.trim().to_owned()).filter(|v| !v.is_empty()))} />
        },
    };
    let modules = match pgi.filter(|c| !c.modules.is_empty()) {
        Some(c) => {
            let shown: Vec<(String, String)> = c
                .modules
                .iter()
                .filter(|m| runs_on(&m.software) || d.modules.contains(&m.id))
                .map(|m| (m.id.clone(), label_or_id(&m.label, &m.id)))
                .collect();
            check_chips(
                "exercise-modules",
                "module",
                &shown,
                &d.modules,
                on_value(draft, |d, (id, on)| toggle(&mut d.input.modules, id, on)),
            )
        }
        None => tag_input(
            "exercise-modules",
            &d.modules,
            "gestion-commerciale…",
            on_value(draft, |d, v: Vec<String>| d.input.modules = v),
        ),
    };
    let features = match pgi.filter(|c| !c.features.is_empty()) {
        Some(c) => {
            // Grouped by module, in the catalogue's module order; modules of another
            // software left out (unless a feature of theirs is already chosen).
            let mut groups: Vec<(String, Vec<(String, String)>)> = Vec::new();
            for f in &c.features {
                let module = f.module.clone().unwrap_or_default();
                let entry = (f.id.clone(), label_or_id(&f.label, &f.id));
                match groups.iter_mut().find(|(m, _)| *m == module) {
                    Some((_, list)) => list.push(entry),
                    None => groups.push((module, vec![entry])),
                }
            }
            let module_label = |id: &str| {
                c.modules
                    .iter()
                    .find(|m| m.id == id)
                    .map(|m| label_or_id(&m.label, &m.id))
                    .unwrap_or_else(|| {
                        if id.is_empty() {
                            "Autres".to_owned()
                        } else {
                            id.to_owned()
                        }
                    })
            };
            let module_shown = |id: &str| {
                c.modules
                    .iter()
                    .find(|m| m.id == id)
                    .is_none_or(|m| runs_on(&m.software))
            };
            html! {
                <div class="feature-groups" id="exercise-features">
                    { for groups.into_iter()
                        .filter(|(m, list)| module_shown(m) || list.iter().any(|(id, _)| d.features.contains(id)))
                        .map(|(m, list)| html! {
                        <div class="feature-group" data-module={m.clone()}>
                            <h4>{ module_label(&m) }</h4>
                            { check_chips(&format!("features-{m}"), "feature", &list, &d.features,
                                on_value(draft, |d, (id, on)| toggle(&mut d.input.features, id, on))) }
                        </div>
                    }) }
                </div>
            }
        }
        None => tag_input(
            "exercise-features",
            &d.features,
            "devis, factures, lettrage…",
            on_value(draft, |d, v: Vec<String>| d.input.features = v),
        ),
    };
    html! {
        <div class="block form" id="exercise-pgi">
            <h2>{ "PGI" }</h2>
            <div class="form-row">{ software }{ base }</div>
            <div class="field grow">
                <span class="label">{ "Modules" }</span>
                { modules }
            </div>
            <div class="field grow">
                <span class="label">{ "Fonctionnalités" }</span>
                { features }
            </div>
        </div>
    }
}

fn label_or_id(label: &str, id: &str) -> String {
    if label.is_empty() {
        id.to_owned()
    } else {
        label.to_owned()
    }
}

fn toggle(list: &mut Vec<String>, id: String, on: bool) {
    list.retain(|x| *x != id);
    if on {
        list.push(id);
    }
}

/// Checkbox chips; emits (id, checked).
fn check_chips(
    group: &str,
    what: &'static str,
    options: &[(String, String)],
    chosen: &[String],
    on_toggle: Callback<(String, bool)>,
) -> Html {
    html! {
        <ul class="check-chips" id={group.to_owned()}>
            { for options.iter().map(|(id, label)| {
                let input_id = format!("{what}-{id}");
                let onchange = {
                    let (on_toggle, id) = (on_toggle.clone(), id.clone());
                    Callback::from(move |e: Event| {
                        let input: HtmlInputElement = e.target_unchecked_into();
                        on_toggle.emit((id.clone(), input.checked()));
                    })
                };
                let checked = chosen.contains(id);
                html! {
                    <li class={classes!("check-chip", checked.then_some("checked"))}>
                        <input type="checkbox" id={input_id.clone()} value={id.clone()}
                            data-id={id.clone()} {checked} {onchange} />
                        <label for={input_id}>{ label.clone() }</label>
                    </li>
                }
            }) }
        </ul>
    }
}

/// Free-text chips: type an id, Enter or comma (or leaving the field) adds it; × removes it.
fn tag_input(
    id: &str,
    values: &[String],
    placeholder: &str,
    on_change: Callback<Vec<String>>,
) -> Html {
    // Adds the ids typed in `input` and empties it.
    let add = {
        let (values, on_change) = (values.to_vec(), on_change.clone());
        Rc::new(move |input: &HtmlInputElement| {
            let raw = input.value();
            input.set_value("");
            let mut next = values.clone();
            for v in raw.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                if !next.iter().any(|x| x == v) {
                    next.push(v.to_owned());
                }
            }
            if next != values {
                on_change.emit(next);
            }
        })
    };
    let oninput = {
        let add = add.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if input.value().ends_with(',') {
                add(&input);
            }
        })
    };
    let onkeydown = {
        let add = add.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                e.prevent_default();
                add(&e.target_unchecked_into());
            }
        })
    };
    let onblur = Callback::from(move |e: FocusEvent| add(&e.target_unchecked_into()));
    html! {
        <div class="tag-input" id={id.to_owned()}>
            { for values.iter().map(|v| {
                let onclick = {
                    let (values, on_change, v) = (values.to_vec(), on_change.clone(), v.clone());
                    Callback::from(move |_: MouseEvent| {
                        on_change.emit(values.iter().filter(|x| **x != v).cloned().collect());
                    })
                };
                html! {
                    <span class="chip tag" data-id={v.clone()}>
                        { v.clone() }
                        <button type="button" class="chip-clear" aria-label={format!("Retirer {v}")} {onclick}>{ "×" }</button>
                    </span>
                }
            }) }
            <input type="text" id={format!("{id}-input")}
                placeholder={placeholder.to_owned()} {oninput} {onkeydown} {onblur} />
        </div>
    }
}

// ---------- Items ----------

fn linked_items(draft: &UseReducerHandle<Draft>) -> Html {
    if draft.links.is_empty() {
        return html! {
            <p class="empty" id="linked-items-empty">
                { "Aucune compétence reliée : cherchez-les ci-dessous ou acceptez des suggestions." }
            </p>
        };
    }
    html! {
        <ul class="linked-items" id="linked-items">
            { for draft.links.iter().map(|l| {
                let (rid, code) = (l.referential_id.clone(), l.code.clone());
                let on_main = {
                    let (rid, code) = (rid.clone(), code.clone());
                    on_value(draft, move |d, e: Event| {
                        let input: HtmlInputElement = e.target_unchecked_into();
                        if let Some(l) = d.links.iter_mut().find(|l| l.referential_id == rid && l.code == code) {
                            l.main = input.checked();
                        }
                    })
                };
                let on_remove = on_value(draft, move |d, _: MouseEvent| {
                    d.links.retain(|l| !(l.referential_id == rid && l.code == code));
                });
                let main_id = format!("link-main-{}-{}", l.referential_id, l.code);
                html! {
                    <li class="linked-item" data-code={l.code.clone()} data-referential={l.referential_id.clone()}
                        data-main={l.main.to_string()}>
                        <KindBadge kind={l.kind} />
                        <span class="code">{ l.code.clone() }</span>
                        <span class="linked-label">{ l.label.clone() }</span>
                        <span class="linked-actions">
                            <input type="checkbox" id={main_id.clone()} class="link-main" checked={l.main} onchange={on_main} />
                            <label for={main_id}>{ "principale" }</label>
                            <button type="button" class="btn btn-small link-remove" onclick={on_remove}>{ "Retirer" }</button>
                        </span>
                    </li>
                }
            }) }
        </ul>
    }
}

#[derive(Properties, PartialEq)]
struct ItemPickerProps {
    draft: UseReducerHandle<Draft>,
    referential: String,
    referentials: Rc<Vec<passerelle_api::ReferentialSummary>>,
}

/// Choose a referential, search its items (code or words of the label) and link them.
#[function_component]
fn ItemPicker(props: &ItemPickerProps) -> Html {
    let query = use_state(String::new);
    let q = query.trim().to_owned();
    // The referential's items are fetched once a search is typed (then cached).
    let wanted = !props.referential.is_empty() && q.chars().count() >= 2;
    let detail = use_referential(props.referential.clone(), wanted);
    let on_referential = on_value(&props.draft, |d, e: Event| {
        let s: HtmlSelectElement = e.target_unchecked_into();
        d.referential = Some(s.value());
    });
    let oninput = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            query.set(input.value());
        })
    };
    let hits = match &detail {
        _ if q.chars().count() < 2 => html! {
            <p class="muted small">{ "Tapez au moins deux caractères : un code (T.1.2.4) ou des mots du libellé d'une tâche, situation ou compétence." }</p>
        },
        Load::Loading => html! { <Loading text="Chargement du référentiel…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Référentiel" /> },
        Load::Ready(r) => {
            let found: Vec<_> = r
                .items
                .iter()
                .filter(|i| MAPPABLE_KINDS.contains(&i.kind))
                .filter(|i| matches_all(&format!("{} {}", i.code, i.label), &q))
                .take(SEARCH_HITS)
                .collect();
            if found.is_empty() {
                html! { <p class="empty">{ format!("Aucun élément pour « {q} »") }</p> }
            } else {
                html! {
                    <ul class="item-hits" id="item-hits">
                        { for found.into_iter().map(|i| {
                            let linked = props.draft.linked(&r.id, &i.code);
                            let add = |main: bool| {
                                let link = LinkedItem {
                                    referential_id: r.id.clone(),
                                    code: i.code.clone(),
                                    kind: i.kind,
                                    label: i.label.clone(),
                                    main,
                                };
                                on_value(&props.draft, move |d, _: MouseEvent| d.add_link(link.clone()))
                            };
                            html! {
                                <li class="item-hit" data-code={i.code.clone()}>
                                    <KindBadge kind={i.kind} />
                                    <span class="code">{ i.code.clone() }</span>
                                    <span class="linked-label">{ highlight(&i.label, &q) }</span>
                                    <span class="linked-actions">
                                        if linked {
                                            <span class="muted small">{ "reliée" }</span>
                                        } else {
                                            <button type="button" class="btn btn-small link-add-main" onclick={add(true)}>{ "Principale" }</button>
                                            <button type="button" class="btn btn-small link-add-secondary" onclick={add(false)}>{ "Secondaire" }</button>
                                        }
                                    </span>
                                </li>
                            }
                        }) }
                    </ul>
                }
            }
        }
    };
    html! {
        <div class="item-picker">
            <div class="form-row">
                <div class="field">
                    <label for="link-referential">{ "Référentiel" }</label>
                    <select id="link-referential" onchange={on_referential}>
                        { for props.referentials.iter().map(|r| html! {
                            <option value={r.id.clone()} selected={r.id == props.referential}>{ r.title.clone() }</option>
                        }) }
                    </select>
                </div>
                <div class="field grow">
                    <label for="link-search">{ "Chercher un élément" }</label>
                    <input type="search" id="link-search" value={(*query).clone()} autocomplete="off"
                        placeholder="facturation, T.1.2, TVA…" {oninput} />
                </div>
            </div>
            { hits }
        </div>
    }
}

// ---------- Suggestions ----------

#[derive(Debug, Clone, PartialEq)]
enum Suggested {
    Idle,
    Waiting,
    Ready(Rc<Vec<Suggestion>>),
    Failed(FetchError),
}

#[derive(Properties, PartialEq)]
struct SuggestionPanelProps {
    draft: UseReducerHandle<Draft>,
    referential: String,
}

/// Items the server finds in the title, instructions and features, to add in one click.
#[function_component]
fn SuggestionPanel(props: &SuggestionPanelProps) -> Html {
    let answer = use_state(|| Suggested::Idle);
    let seq = use_mut_ref(|| 0u32);
    let request = SuggestionRequest {
        referential_id: props.referential.clone(),
        title: props.draft.input.title.trim().to_owned(),
        instructions: props.draft.input.instructions.clone(),
        features: props.draft.input.features.clone(),
    };
    {
        let (answer, seq) = (answer.clone(), seq.clone());
        use_effect_with(request, move |request| {
            *seq.borrow_mut() += 1;
            let mine = *seq.borrow();
            let empty = request.referential_id.is_empty()
                || (request.title.is_empty()
                    && request.instructions.trim().is_empty()
                    && request.features.is_empty());
            let mut timer = None;
            if empty {
                answer.set(Suggested::Idle);
            } else {
                answer.set(Suggested::Waiting);
                let request = request.clone();
                timer = Some(Timeout::new(SUGGEST_DEBOUNCE_MS, move || {
                    spawn_local(async move {
                        let result = api::suggestions(&request).await;
                        if *seq.borrow() == mine {
                            answer.set(match result {
                                Ok(list) => Suggested::Ready(Rc::new(list)),
                                Err(e) => Suggested::Failed(e),
                            });
                        }
                    });
                }));
            }
            move || drop(timer)
        });
    }
    let body = match &*answer {
        Suggested::Idle => html! {
            <p class="muted small">{ "Donnez un titre, des consignes ou des fonctionnalités : les éléments du référentiel qui s'en rapprochent s'affichent ici." }</p>
        },
        Suggested::Waiting => html! { <Loading text="Recherche de suggestions…" /> },
        Suggested::Failed(e) => html! {
            <p class="inline-error" role="alert">{ e.form_message() }</p>
        },
        Suggested::Ready(list) if list.is_empty() => html! {
            <p class="empty" id="suggestions-empty">{ "Aucune suggestion pour le moment." }</p>
        },
        Suggested::Ready(list) => html! {
            <ul class="suggestions" id="suggestion-list">
                { for list.iter().map(|s| suggestion(&props.draft, s)) }
            </ul>
        },
    };
    html! {
        <div class="block suggestion-panel" id="suggestions" aria-live="polite">
            <h2>{ "Suggestions" }</h2>
            { body }
        </div>
    }
}

fn suggestion(draft: &UseReducerHandle<Draft>, s: &Suggestion) -> Html {
    let linked = draft.linked(&s.referential_id, &s.code);
    let why: Vec<String> = s
        .features
        .iter()
        .map(|f| format!("fonctionnalité {f}"))
        .chain(s.words.iter().map(|w| format!("« {w} »")))
        .collect();
    // The first link of an exercise is its main one; later ones secondary.
    let link = LinkedItem {
        referential_id: s.referential_id.clone(),
        code: s.code.clone(),
        kind: s.kind,
        label: s.label.clone(),
        main: false,
    };
    let onclick = on_value(draft, move |d, _: MouseEvent| {
        let mut link = link.clone();
        link.main = !d.links.iter().any(|l| l.main);
        d.add_link(link);
    });
    html! {
        <li class={classes!("suggestion", linked.then_some("added"))} data-code={s.code.clone()}
            data-referential={s.referential_id.clone()}>
            <div class="suggestion-head">
                <KindBadge kind={s.kind} />
                <span class="code">{ s.code.clone() }</span>
            </div>
            <p class="suggestion-label">{ s.label.clone() }</p>
            if !why.is_empty() {
                <p class="suggestion-why muted small">{ format!("Pourquoi : {}", why.join(", ")) }</p>
            }
            if linked {
                <span class="suggestion-added badge">{ "Ajoutée" }</span>
            } else {
                <button type="button" class="btn btn-small suggestion-add"
                    id={format!("suggestion-add-{}", s.code)} data-code={s.code.clone()} {onclick}>
                    { "Ajouter" }
                </button>
            }
        </li>
    }
}

// ---------- Attached file ----------

fn file_field(
    draft: &UseReducerHandle<Draft>,
    pending: &UseStateHandle<Option<web_sys::File>>,
    id: Option<i64>,
) -> Html {
    let onchange = {
        let pending = pending.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            pending.set(input.files().and_then(|f| f.get(0)));
        })
    };
    let current = match (&draft.file, id) {
        (Some(f), Some(id)) => {
            html! { <RemoveFile id={id} file={f.clone()} draft={draft.clone()} /> }
        }
        _ => html! {},
    };
    html! {
        <div class="block form" id="exercise-file-block">
            <h2>{ "Fichier joint" }</h2>
            { current }
            <div class="field grow">
                <label for="exercise-file">
                    { if draft.file.is_some() { "Remplacer par" } else { "Joindre un fichier" } }
                </label>
                <input type="file" id="exercise-file" accept=".pdf,.odt,.docx" {onchange} />
                <p class="field-hint">{ "PDF, ODT ou DOCX, 10 Mo au plus ; envoyé à l'enregistrement." }</p>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct RemoveFileProps {
    id: i64,
    file: AttachedFile,
    draft: UseReducerHandle<Draft>,
}

#[function_component]
fn RemoveFile(props: &RemoveFileProps) -> Html {
    let error = use_state(|| None::<FetchError>);
    let onclick = {
        let (id, draft, error) = (props.id, props.draft.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let sure = web_sys::window()
                .and_then(|w| w.confirm_with_message("Retirer le fichier joint ?").ok())
                .unwrap_or(false);
            if !sure {
                return;
            }
            let (draft, error) = (draft.clone(), error.clone());
            spawn_local(async move {
                match api::remove_file(id).await {
                    Ok(()) => edit(&draft, |d| d.file = None),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    html! {
        <p class="attached-file" id="exercise-attached">
            <span>{ format!("{} ({} Ko)", props.file.file_name, props.file.size.div_ceil(1024)) }</span>
            { " " }
            <button type="button" class="btn btn-small" id="exercise-file-remove" {onclick}>{ "Retirer" }</button>
            if let Some(e) = &*error {
                <span class="inline-error" role="alert">{ e.form_message() }</span>
            }
        </p>
    }
}
