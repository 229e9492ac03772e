//! "/portfolio/nouvelle" and "/fiches/:id/modifier": a student writes a fiche on a phone
//! as easily as on a laptop (one column, large touch targets, the actions stuck to the
//! bottom). Attachments need a saved fiche: picking a file saves the draft first.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use passerelle_api::{
    Attachment, ClassSummary, ContextKind, Fiche, FicheAction, FicheInput, Firm, StudentAssignment,
    ATTACHMENT_MAX_BYTES, FICHE_TEXT_MAX_CHARS, FICHE_TITLE_MAX_CHARS,
};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;
use yew_router::prelude::*;

use super::{groups_of, person, MAPPABLE_KINDS};
use crate::api::{self, FetchError, PgiCatalogue};
use crate::components::{
    date_fr, form_error, markdown, matches_all, refusal, ErrorMessage, KindBadge, Loading,
    TextField,
};
use crate::pages::exercises::use_pgi;
use crate::route::Route;
use crate::state::{use_api, use_referential, Load};

/// The fiche being written.
#[derive(Debug, Clone, Default, PartialEq)]
struct Draft {
    /// Once saved.
    id: Option<i64>,
    input: FicheInput,
    attachments: Vec<Attachment>,
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

fn textarea_value(e: InputEvent) -> String {
    let t: HtmlTextAreaElement = e.target_unchecked_into();
    t.value()
}

impl Draft {
    fn from_fiche(f: &Fiche) -> Draft {
        Draft {
            id: Some(f.id),
            input: FicheInput {
                title: f.title.clone(),
                class_id: Some(f.class_id),
                context: f.context,
                assignment_id: f.exercise.as_ref().map(|e| e.assignment_id),
                firm: f.firm.clone(),
                context_text: f.context_text.clone(),
                starts_on: f.starts_on,
                ends_on: f.ends_on,
                description: f.description.clone(),
                software_id: f.software_id.clone(),
                other_software: f.other_software.clone(),
                features: f.features.clone(),
                items: f.items.iter().map(|i| i.code.clone()).collect(),
            },
            attachments: f.attachments.clone(),
        }
    }

    /// What is sent to the server, or a French refusal naming the field.
    fn to_input(&self) -> Result<FicheInput, FetchError> {
        let mut input = self.input.clone();
        input.title = input.title.trim().to_owned();
        if input.title.is_empty() {
            return Err(refusal("Titre : donnez un titre à votre fiche."));
        }
        if let (Some(s), Some(e)) = (input.starts_on, input.ends_on) {
            if e < s {
                return Err(refusal("Dates : la fin précède le début."));
            }
        }
        // Only the fields of the chosen context travel.
        if input.context != ContextKind::Exercise {
            input.assignment_id = None;
        }
        if input.context != ContextKind::Internship {
            input.firm = None;
        }
        if input.context != ContextKind::Simulated {
            input.context_text.clear();
        }
        Ok(input)
    }

    /// Pre-fills from an assigned exercise: its items, software and features are added,
    /// the title and dates taken when still empty.
    fn use_exercise(&mut self, e: &StudentAssignment) {
        self.input.assignment_id = Some(e.assignment_id);
        for code in &e.items {
            if !self.input.items.contains(code) {
                self.input.items.push(code.clone());
            }
        }
        if self.input.software_id.is_none() {
            self.input.software_id = e.software_id.clone();
        }
        for f in &e.features {
            if !self.input.features.contains(f) {
                self.input.features.push(f.clone());
            }
        }
        if self.input.title.trim().is_empty() {
            self.input.title = e.title.clone();
        }
        if self.input.starts_on.is_none() {
            self.input.starts_on = Some(e.starts_on);
            self.input.ends_on = Some(e.ends_on);
        }
    }
}

/// The class a new fiche goes to by default: the latest school year's.
fn default_class(classes: &[ClassSummary]) -> Option<&ClassSummary> {
    classes
        .iter()
        .max_by(|a, b| a.school_year.cmp(&b.school_year))
}

#[derive(Properties, PartialEq)]
pub struct FicheEditorProps {
    /// The fiche to edit (None: a new one).
    #[prop_or_default]
    pub id: Option<i64>,
}

#[function_component]
pub fn FicheEditorPage(props: &FicheEditorProps) -> Html {
    let loaded = use_api(props.id, |id: Option<i64>| async move {
        let fiche = async move {
            match id {
                Some(id) => api::fiche(id).await.map(Some),
                None => Ok(None),
            }
        };
        let (fiche, (classes, exercises)) =
            api::both(fiche, api::both(api::classes(), api::student_exercises())).await;
        // The exercise list only helps: the form works without it.
        Ok((
            fiche?,
            Rc::new(classes?),
            Rc::new(exercises.unwrap_or_default()),
        ))
    });
    let title = if props.id.is_some() {
        "Modifier la fiche"
    } else {
        "Nouvelle fiche"
    };
    super::super::set_title(title);
    let back = match props.id {
        Some(id) => {
            html! { <Link<Route> to={Route::Fiche { id }}>{ "Retour à la fiche" }</Link<Route>> }
        }
        None => html! { <Link<Route> to={Route::Portfolio}>{ "Mon portfolio" }</Link<Route>> },
    };
    let body = match loaded {
        Load::Loading => html! { <Loading text="Chargement de la fiche…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e} what="Fiche" /> },
        Load::Ready(loaded) => {
            let (f, classes, exercises) = (&loaded.0, loaded.1.clone(), loaded.2.clone());
            match f.as_ref() {
                Some(f) if !f.can_edit => html! {
                    <div class="notice notice-warn" role="alert" id="fiche-not-editable">
                        <p>{ "Cette fiche ne peut pas être modifiée : elle attend la relecture de votre enseignant, ou elle est validée." }</p>
                        <p><Link<Route> to={Route::Fiche { id: f.id }}>{ "Voir la fiche" }</Link<Route>></p>
                    </div>
                },
                Some(f) => {
                    let returned = f
                        .history
                        .iter()
                        .rev()
                        .find(|e| e.action == FicheAction::Returned)
                        .map(|e| (person(&e.actor), e.comment.clone().unwrap_or_default()));
                    html! {
                        <FicheForm initial={Rc::new(Draft::from_fiche(f))} referential={Some(f.referential_id.clone())}
                            {classes} {exercises} {returned} />
                    }
                }
                None if classes.is_empty() => html! {
                    <p class="empty" id="no-class">{ "Vous n'êtes inscrit dans aucune classe : une fiche se rattache à votre classe. Voyez avec votre établissement." }</p>
                },
                None => {
                    let mut draft = Draft::default();
                    draft.input.class_id = default_class(&classes).map(|c| c.id);
                    html! { <FicheForm initial={Rc::new(draft)} referential={None::<String>} {classes} {exercises} /> }
                }
            }
        }
    };
    html! {
        <section class="page page-narrow">
            <nav class="breadcrumb" aria-label="Fil d'Ariane">{ back }</nav>
            <h1>{ title }</h1>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct FicheFormProps {
    initial: Rc<Draft>,
    /// The referential of a saved fiche (a new one takes its class's).
    referential: Option<String>,
    classes: Rc<Vec<ClassSummary>>,
    exercises: Rc<Vec<StudentAssignment>>,
    /// The teacher who returned the fiche and their comment.
    #[prop_or_default]
    returned: Option<(String, String)>,
}

/// Shows the fiche's address once a new one is saved, without reloading the page (a
/// reload then reopens this fiche).
fn show_address(id: i64) {
    let path = Route::FicheEdit { id }.to_path();
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    }
}

/// Saves the draft (creates it the first time); answers its id.
async fn save(draft: &UseReducerHandle<Draft>, input: &FicheInput) -> Result<i64, FetchError> {
    let id = draft.id;
    let saved = api::save_fiche(id, input).await?;
    if id.is_none() {
        show_address(saved.id);
    }
    let new_id = saved.id;
    edit(draft, move |d| {
        d.id = Some(new_id);
        d.attachments = saved.attachments;
    });
    Ok(new_id)
}

#[function_component]
fn FicheForm(props: &FicheFormProps) -> Html {
    let initial = props.initial.clone();
    let draft = use_reducer(move || (*initial).clone());
    let pgi = use_pgi();
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let saved = use_state(|| None::<String>);
    let navigator = use_navigator();

    let class = props
        .classes
        .iter()
        .find(|c| Some(c.id) == draft.input.class_id);
    let referential = props
        .referential
        .clone()
        .or_else(|| class.map(|c| c.referential_id.clone()))
        .unwrap_or_default();
    let exercises: Vec<&StudentAssignment> = props
        .exercises
        .iter()
        .filter(|e| Some(e.class_id) == draft.input.class_id)
        .collect();

    // Save ("Enregistrer le brouillon") or save then submit ("Soumettre").
    let act = {
        let (draft, busy, error, saved) =
            (draft.clone(), busy.clone(), error.clone(), saved.clone());
        Callback::from(move |submit: bool| {
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
            let (draft, busy, error, saved, navigator) = (
                draft.clone(),
                busy.clone(),
                error.clone(),
                saved.clone(),
                navigator.clone(),
            );
            busy.set(true);
            error.set(None);
            saved.set(None);
            spawn_local(async move {
                let result = match save(&draft, &input).await {
                    Ok(id) if submit => api::submit_fiche(id).await.map(|_| id),
                    other => other,
                };
                busy.set(false);
                match result {
                    Ok(id) if submit => {
                        if let Some(nav) = navigator {
                            nav.push(&Route::Fiche { id });
                        }
                    }
                    Ok(_) => saved.set(Some("Brouillon enregistré.".to_owned())),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let onsubmit = {
        let act = act.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            act.emit(false);
        })
    };
    let on_submit_fiche = {
        let act = act.clone();
        Callback::from(move |_: MouseEvent| act.emit(true))
    };

    let d = &draft.input;
    let class_field = if props.classes.len() > 1 && draft.id.is_none() {
        let onchange = on_value(&draft, |d, e: Event| {
            let s: HtmlSelectElement = e.target_unchecked_into();
            let id = s.value().parse().ok();
            if id != d.input.class_id {
                // Another class, another referential: the items chosen no longer apply.
                d.input.class_id = id;
                d.input.items.clear();
                d.input.assignment_id = None;
            }
        });
        html! {
            <div class="field grow">
                <label for="fiche-class">{ "Classe" }</label>
                <select id="fiche-class" {onchange}>
                    { for props.classes.iter().map(|c| html! {
                        <option value={c.id.to_string()} selected={d.class_id == Some(c.id)}>
                            { format!("{} ({})", c.name, c.school_year) }
                        </option>
                    }) }
                </select>
            </div>
        }
    } else {
        html! {}
    };

    html! {
        <form class="fiche-editor" id="fiche-form" {onsubmit} novalidate=true>
            if let Some((who, comment)) = &props.returned {
                <div class="notice notice-warn" id="fiche-returned-comment" role="status">
                    <p class="notice-title">{ format!("À reprendre — commentaire de {who}") }</p>
                    <p class="comment-text">{ comment.clone() }</p>
                </div>
            }
            <div class="block form">
                { class_field }
                <TextField id="fiche-title" label="Titre de la fiche" value={d.title.clone()} grow=true
                    maxlength={FICHE_TITLE_MAX_CHARS}
                    placeholder="Facturation des commandes de mars"
                    on_change={on_value(&draft, |d, v: String| d.input.title = v)} />
            </div>
            { context_fields(&draft, &exercises) }
            <div class="block form">
                <h2>{ "Dates" }</h2>
                <div class="form-row">
                    <TextField id="fiche-starts" label="Du" kind="date" required=false
                        value={d.starts_on.map(|x| x.to_string()).unwrap_or_default()}
                        on_change={on_value(&draft, |d, v: String| d.input.starts_on = v.parse().ok())} />
                    <TextField id="fiche-ends" label="Au" kind="date" required=false
                        value={d.ends_on.map(|x| x.to_string()).unwrap_or_default()}
                        on_change={on_value(&draft, |d, v: String| d.input.ends_on = v.parse().ok())} />
                </div>
            </div>
            <div class="block form">
                <h2><label for="fiche-description">{ "Ce que j'ai fait" }</label></h2>
                <textarea id="fiche-description" rows="8" maxlength={FICHE_TEXT_MAX_CHARS.to_string()}
                    value={d.description.clone()}
                    placeholder="J'ai saisi les **commandes** du mois, puis…"
                    aria-describedby="fiche-description-hint"
                    oninput={{
                        let cb = on_value(&draft, |d, v: String| d.input.description = v);
                        Callback::from(move |e: InputEvent| cb.emit(textarea_value(e)))
                    }} />
                <p class="field-hint" id="fiche-description-hint">
                    { "Mise en forme : **gras**, *italique*, une ligne « - » par point de liste, « 1. » pour numéroter, « # » pour un titre." }
                </p>
                if !d.description.trim().is_empty() {
                    <div class="preview" aria-live="polite">
                        <p class="preview-title">{ "Aperçu" }</p>
                        { markdown(&d.description, "fiche-description-preview", "") }
                    </div>
                }
            </div>
            { software_fields(&draft, pgi.as_deref()) }
            <ItemChecklist draft={draft.clone()} referential={referential} />
            <Attachments draft={draft.clone()} />
            { form_error(&error, "fiche-error") }
            if let Some(m) = &*saved {
                <p class="notice notice-ok" id="fiche-saved" role="status">
                    { m.clone() }
                    if let Some(id) = draft.id {
                        { " " }
                        <Link<Route> to={Route::Fiche { id }}>{ "Voir la fiche" }</Link<Route>>
                    }
                </p>
            }
            <div class="form-actions sticky-actions fiche-actions">
                <button type="submit" class="btn btn-large" id="fiche-save" disabled={*busy}>
                    { if *busy { "Enregistrement…" } else { "Enregistrer le brouillon" } }
                </button>
                <button type="button" class="btn btn-primary btn-large" id="fiche-submit" disabled={*busy}
                    onclick={on_submit_fiche}>
                    { "Soumettre à l'enseignant" }
                </button>
            </div>
        </form>
    }
}

// ---------- Context ----------

fn context_fields(draft: &UseReducerHandle<Draft>, exercises: &[&StudentAssignment]) -> Html {
    let d = &draft.input;
    let choice = |kind: ContextKind, hint: &str| {
        let id = format!("context-{}", kind.as_str());
        let onchange = on_value(draft, move |d, _: Event| d.input.context = kind);
        let checked = d.context == kind;
        html! {
            <li class={classes!("choice", checked.then_some("checked"))}>
                <input type="radio" name="fiche-context" id={id.clone()} value={kind.as_str()} {checked} {onchange} />
                <label for={id}>
                    <span class="choice-title">{ kind.label() }</span>
                    <span class="choice-hint">{ hint.to_owned() }</span>
                </label>
            </li>
        }
    };
    let details = match d.context {
        ContextKind::Exercise => {
            if exercises.is_empty() {
                html! {
                    <p class="empty" id="fiche-no-exercise">{ "Aucun exercice n'est encore affecté à votre classe." }</p>
                }
            } else {
                let list: Vec<StudentAssignment> = exercises.iter().map(|e| (*e).clone()).collect();
                let onchange = on_value(draft, move |d, e: Event| {
                    let s: HtmlSelectElement = e.target_unchecked_into();
                    match s
                        .value()
                        .parse::<i64>()
                        .ok()
                        .and_then(|id| list.iter().find(|x| x.assignment_id == id))
                    {
                        Some(x) => d.use_exercise(x),
                        None => d.input.assignment_id = None,
                    }
                });
                let chosen = exercises
                    .iter()
                    .find(|e| Some(e.assignment_id) == d.assignment_id);
                html! { <>
                    <div class="field grow">
                        <label for="fiche-exercise">{ "Exercice" }</label>
                        <select id="fiche-exercise" {onchange}>
                            <option value="" selected={d.assignment_id.is_none()}>{ "Choisir l'exercice…" }</option>
                            { for exercises.iter().map(|e| html! {
                                <option value={e.assignment_id.to_string()} selected={d.assignment_id == Some(e.assignment_id)}>
                                    { format!("{} (du {} au {})", e.title, date_fr(e.starts_on), date_fr(e.ends_on)) }
                                </option>
                            }) }
                        </select>
                        <p class="field-hint">{ "Ses compétences, logiciel et fonctionnalités sont ajoutés à la fiche ; retirez ce que vous n'avez pas fait." }</p>
                    </div>
                    if let Some(e) = chosen {
                        if !e.instructions.trim().is_empty() {
                            <details class="exercise-instructions">
                                <summary>{ "Consignes de l'exercice" }</summary>
                                { markdown(&e.instructions, "", "") }
                            </details>
                        }
                    }
                </> }
            }
        }
        ContextKind::Internship => {
            let firm = d.firm.clone().unwrap_or_default();
            let set = |f: fn(&mut Firm, String)| {
                on_value(draft, move |d, v: String| {
                    f(d.input.firm.get_or_insert_with(Firm::default), v)
                })
            };
            html! { <>
                <TextField id="fiche-firm" label="Entreprise" value={firm.name.clone()} grow=true
                    placeholder="SARL Dupont Matériaux" on_change={set(|f, v| f.name = v)} />
                <TextField id="fiche-sector" label="Secteur d'activité" value={firm.sector.clone()} grow=true required=false
                    placeholder="commerce de gros, BTP…" on_change={set(|f, v| f.sector = v)} />
                <TextField id="fiche-tutor" label="Tuteur ou tutrice" value={firm.tutor.clone()} grow=true required=false
                    placeholder="Mme Leroy, comptable" on_change={set(|f, v| f.tutor = v)} />
            </> }
        }
        ContextKind::Simulated => html! {
            <div class="field grow">
                <label for="fiche-context-text">{ "La situation ou le cas" }</label>
                <textarea id="fiche-context-text" rows="4" maxlength={FICHE_TEXT_MAX_CHARS.to_string()}
                    value={d.context_text.clone()}
                    oninput={{
                        let cb = on_value(draft, |d, v: String| d.input.context_text = v);
                        Callback::from(move |e: InputEvent| cb.emit(textarea_value(e)))
                    }} />
            </div>
        },
    };
    html! {
        <div class="block form" id="fiche-context">
            <h2>{ "Où ?" }</h2>
            <ul class="choices" role="radiogroup" aria-label="Contexte">
                { choice(ContextKind::Exercise, "un exercice fait en classe") }
                { choice(ContextKind::Internship, "stage, PFMP, alternance") }
                { choice(ContextKind::Simulated, "jeu de rôle, étude de cas") }
            </ul>
            { details }
        </div>
    }
}

// ---------- Software ----------

fn software_fields(draft: &UseReducerHandle<Draft>, pgi: Option<&PgiCatalogue>) -> Html {
    let d = &draft.input;
    let software = match pgi.filter(|c| !c.software.is_empty()) {
        Some(c) => {
            let onchange = on_value(draft, |d, e: Event| {
                let s: HtmlSelectElement = e.target_unchecked_into();
                let v = s.value();
                d.input.software_id = (!v.is_empty()).then_some(v);
            });
            html! {
                <div class="field grow">
                    <label for="fiche-software">{ "PGI" }</label>
                    <select id="fiche-software" {onchange}>
                        <option value="" selected={d.software_id.is_none()}>{ "Aucun" }</option>
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
            <TextField id="fiche-software" label="PGI" required=false grow=true placeholder="ebp, odoo…"
                value={d.software_id.clone().unwrap_or_default()}
                on_change={on_value(draft, |d, v: String| d.input.software_id = Some(v.trim().to_owned()).filter(|v| !v.is_empty()))} />
        },
    };
    let features = match pgi.filter(|c| !c.features.is_empty()) {
        Some(c) => {
            // Features of the chosen software's modules (all when none is chosen), by module.
            let chosen = d.software_id.clone();
            let runs = |module: &Option<String>| {
                let Some(s) = &chosen else { return true };
                c.modules
                    .iter()
                    .find(|m| Some(&m.id) == module.as_ref())
                    .is_none_or(|m| m.software.is_empty() || m.software.contains(s))
            };
            let mut groups: BTreeMap<usize, (String, Vec<(String, String)>)> = BTreeMap::new();
            for f in &c.features {
                if !runs(&f.module) && !d.features.contains(&f.id) {
                    continue;
                }
                let (order, name) = match c
                    .modules
                    .iter()
                    .position(|m| Some(&m.id) == f.module.as_ref())
                {
                    Some(i) => (i, c.modules[i].label.clone()),
                    None => (usize::MAX, "Autres".to_owned()),
                };
                let label = if f.label.is_empty() {
                    f.id.clone()
                } else {
                    f.label.clone()
                };
                groups
                    .entry(order)
                    .or_insert_with(|| (name, Vec::new()))
                    .1
                    .push((f.id.clone(), label));
            }
            html! {
                <div class="feature-groups" id="fiche-features">
                    { for groups.into_values().map(|(module, list)| {
                        let ticked = list.iter().filter(|(id, _)| d.features.contains(id)).count();
                        html! {
                            <details class="feature-group" open={ticked > 0}>
                                <summary>
                                    { module }
                                    if ticked > 0 { <span class="badge">{ ticked.to_string() }</span> }
                                </summary>
                                <ul class="check-chips">
                                    { for list.into_iter().map(|(id, label)| {
                                        let input_id = format!("feature-{id}");
                                        let checked = d.features.contains(&id);
                                        let onchange = {
                                            let id = id.clone();
                                            on_value(draft, move |d, e: Event| {
                                                let input: HtmlInputElement = e.target_unchecked_into();
                                                d.input.features.retain(|x| *x != id);
                                                if input.checked() {
                                                    d.input.features.push(id.clone());
                                                }
                                            })
                                        };
                                        html! {
                                            <li class={classes!("check-chip", checked.then_some("checked"))}>
                                                <input type="checkbox" id={input_id.clone()} data-id={id.clone()} {checked} {onchange} />
                                                <label for={input_id}>{ label }</label>
                                            </li>
                                        }
                                    }) }
                                </ul>
                            </details>
                        }
                    }) }
                </div>
            }
        }
        None => html! {},
    };
    html! {
        <div class="block form" id="fiche-software-block">
            <h2>{ "Logiciels" }</h2>
            { software }
            <TextField id="fiche-other-software" label="Autres logiciels" required=false grow=true
                placeholder="tableur, traitement de texte, Canva…" value={d.other_software.clone()}
                on_change={on_value(draft, |d, v: String| d.input.other_software = v)} />
            if pgi.is_some_and(|c| !c.features.is_empty()) {
                <p class="label">{ "Fonctionnalités du PGI utilisées" }</p>
            }
            { features }
        </div>
    }
}

// ---------- Items ----------

#[derive(Properties, PartialEq)]
struct ItemChecklistProps {
    draft: UseReducerHandle<Draft>,
    referential: String,
}

/// The items shown: those ticked first, then a search over the referential's tasks,
/// situations and competencies, grouped by bloc.
#[function_component]
fn ItemChecklist(props: &ItemChecklistProps) -> Html {
    let query = use_state(String::new);
    let detail = use_referential(props.referential.clone(), !props.referential.is_empty());
    let draft = &props.draft;
    let chosen = &draft.input.items;
    let oninput = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            query.set(input.value());
        })
    };
    let toggle = |code: String| {
        on_value(draft, move |d, e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            d.input.items.retain(|c| *c != code);
            if input.checked() {
                d.input.items.push(code.clone());
            }
        })
    };
    let body = match &detail {
        Load::Loading => html! { <Loading text="Chargement du référentiel…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Référentiel" /> },
        Load::Ready(r) => {
            let groups = groups_of(r);
            let labels: HashMap<&str, &str> = r
                .items
                .iter()
                .map(|i| (i.code.as_str(), i.label.as_str()))
                .collect();
            let q = query.trim().to_owned();
            // Bloc → items, in referential order.
            let mut blocs: Vec<(String, Vec<&passerelle_api::Item>)> = Vec::new();
            for item in r.items.iter().filter(|i| MAPPABLE_KINDS.contains(&i.kind)) {
                if !q.is_empty() && !matches_all(&format!("{} {}", item.code, item.label), &q) {
                    continue;
                }
                let bloc = groups.get(&item.code).cloned().unwrap_or_default();
                match blocs.iter_mut().find(|(b, _)| *b == bloc) {
                    Some((_, list)) => list.push(item),
                    None => blocs.push((bloc, vec![item])),
                }
            }
            let selected: Vec<&passerelle_api::Item> = r
                .items
                .iter()
                .filter(|i| chosen.contains(&i.code))
                .collect();
            html! { <>
                if selected.is_empty() {
                    <p class="empty" id="fiche-items-empty">{ "Aucune compétence cochée : cherchez ci-dessous ce que cette situation montre." }</p>
                } else {
                    <ul class="chosen-items" id="fiche-chosen-items">
                        { for selected.into_iter().map(|i| {
                            let onclick = {
                                let code = i.code.clone();
                                on_value(draft, move |d, _: MouseEvent| d.input.items.retain(|c| *c != code))
                            };
                            html! {
                                <li class="chosen-item" data-code={i.code.clone()}>
                                    <span class="code">{ i.code.clone() }</span>
                                    <span class="chosen-label">{ i.label.clone() }</span>
                                    <button type="button" class="chip-clear" aria-label={format!("Retirer {}", i.code)} {onclick}>{ "×" }</button>
                                </li>
                            }
                        }) }
                    </ul>
                }
                <div class="field grow">
                    <label for="fiche-item-search">{ "Chercher une compétence" }</label>
                    <input type="search" id="fiche-item-search" value={(*query).clone()} autocomplete="off"
                        placeholder="facturation, T.1.2, TVA…" {oninput} />
                </div>
                if blocs.is_empty() {
                    <p class="empty">{ format!("Aucun élément pour « {q} »") }</p>
                }
                <div class="item-checklist" id="fiche-item-checklist">
                    { for blocs.into_iter().map(|(bloc, items)| {
                        let ticked = items.iter().filter(|i| chosen.contains(&i.code)).count();
                        let title = labels.get(bloc.as_str()).map(|l| format!("{bloc} {l}")).unwrap_or_else(|| bloc.clone());
                        html! {
                            <details class="item-group" data-bloc={bloc.clone()} open={!q.is_empty()}>
                                <summary>
                                    <span class="item-group-title">{ title }</span>
                                    <span class="muted small">{ format!(" {ticked}/{}", items.len()) }</span>
                                </summary>
                                <ul class="check-rows">
                                    { for items.into_iter().map(|i| {
                                        let input_id = format!("item-{}", i.code);
                                        let checked = chosen.contains(&i.code);
                                        html! {
                                            <li class={classes!("check-row", checked.then_some("checked"))} data-code={i.code.clone()}>
                                                <input type="checkbox" id={input_id.clone()} data-code={i.code.clone()} {checked}
                                                    onchange={toggle(i.code.clone())} />
                                                <label for={input_id}>
                                                    <span class="code">{ i.code.clone() }</span>
                                                    <KindBadge kind={i.kind} />
                                                    <span class="check-label">{ i.label.clone() }</span>
                                                </label>
                                            </li>
                                        }
                                    }) }
                                </ul>
                            </details>
                        }
                    }) }
                </div>
            </> }
        }
    };
    html! {
        <div class="block form" id="fiche-items">
            <h2>{ format!("Compétences montrées ({})", chosen.len()) }</h2>
            { body }
        </div>
    }
}

// ---------- Attachments ----------

#[derive(Properties, PartialEq)]
struct AttachmentsProps {
    draft: UseReducerHandle<Draft>,
}

fn size_fr(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} Mo", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    } else {
        format!("{} Ko", bytes.div_ceil(1024))
    }
}

#[function_component]
fn Attachments(props: &AttachmentsProps) -> Html {
    // The upload under way: file name, bytes sent, total.
    let sending = use_state(|| None::<(String, f64, f64)>);
    let errors = use_state(Vec::<String>::new);
    let draft = &props.draft;

    let onchange = {
        let (draft, sending, errors) = (draft.clone(), sending.clone(), errors.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let mut files = Vec::new();
            if let Some(list) = input.files() {
                for i in 0..list.length() {
                    if let Some(f) = list.get(i) {
                        files.push(f);
                    }
                }
            }
            input.set_value("");
            if files.is_empty() {
                return;
            }
            let (draft, sending, errors) = (draft.clone(), sending.clone(), errors.clone());
            spawn_local(async move {
                let mut problems = Vec::new();
                // A new fiche is saved first: attachments hang on a saved fiche.
                let id = match draft.id {
                    Some(id) => Some(id),
                    None => match draft.to_input() {
                        Ok(input) => match save(&draft, &input).await {
                            Ok(id) => Some(id),
                            Err(e) => {
                                problems.push(e.form_message());
                                None
                            }
                        },
                        Err(e) => {
                            problems
                                .push(format!("Enregistrement impossible : {}", e.form_message()));
                            None
                        }
                    },
                };
                if let Some(id) = id {
                    for file in files {
                        let name = file.name();
                        if file.size() > ATTACHMENT_MAX_BYTES as f64 {
                            problems.push(format!(
                                "{name} : fichier trop volumineux ({}) ; 10 Mo au plus par fichier.",
                                size_fr(file.size() as u64)
                            ));
                            continue;
                        }
                        sending.set(Some((name.clone(), 0.0, file.size())));
                        let progress = {
                            let (sending, name) = (sending.clone(), name.clone());
                            Callback::from(move |(done, total): (f64, f64)| {
                                sending.set(Some((name.clone(), done, total)));
                            })
                        };
                        match api::upload_attachment(id, &file, &progress).await {
                            Ok(a) => edit(&draft, move |d| d.attachments.push(a)),
                            Err(e) => problems.push(upload_problem(&name, &e)),
                        }
                    }
                }
                sending.set(None);
                errors.set(problems);
            });
        })
    };

    let list = &draft.attachments;
    html! {
        <div class="block form" id="fiche-attachments-block">
            <h2>{ format!("Pièces jointes ({})", list.len()) }</h2>
            if !list.is_empty() {
                <ul class="attachments" id="fiche-attachments">
                    { for list.iter().map(|a| {
                        let onclick = {
                            let (draft, errors, aid) = (draft.clone(), errors.clone(), a.id);
                            Callback::from(move |_: MouseEvent| {
                                let Some(id) = draft.id else { return };
                                let (draft, errors) = (draft.clone(), errors.clone());
                                spawn_local(async move {
                                    match api::remove_attachment(id, aid).await {
                                        Ok(()) => edit(&draft, move |d| d.attachments.retain(|x| x.id != aid)),
                                        Err(e) => errors.set(vec![e.form_message()]),
                                    }
                                });
                            })
                        };
                        html! {
                            <li class="attachment" data-attachment={a.id.to_string()}>
                                <span class="attachment-name">{ a.file_name.clone() }</span>
                                <span class="muted small">{ size_fr(a.size) }</span>
                                <button type="button" class="btn btn-small attachment-remove"
                                    aria-label={format!("Retirer {}", a.file_name)} {onclick}>{ "Retirer" }</button>
                            </li>
                        }
                    }) }
                </ul>
            }
            if let Some((name, done, total)) = &*sending {
                <div class="upload-progress" id="upload-progress" role="status">
                    <span>{ format!("Envoi de {name}…") }</span>
                    <progress max={format!("{}", total.max(1.0))} value={format!("{done}")}></progress>
                </div>
            }
            { for errors.iter().map(|m| html! {
                <p class="error form-error upload-error" role="alert">{ m.clone() }</p>
            }) }
            <div class="field grow file-field">
                <input type="file" id="fiche-file" class="file-input" multiple=true
                    accept=".pdf,.png,.jpg,.jpeg,.xlsx,.docx,.odt,application/pdf,image/png,image/jpeg"
                    disabled={sending.is_some()} {onchange} />
                <label for="fiche-file" class="btn btn-large file-button">{ "Ajouter un fichier" }</label>
                <p class="field-hint">{ "PDF, image (PNG, JPEG), tableur ou texte (xlsx, docx, odt) ; 10 Mo au plus par fichier. Une photo prise avec le téléphone convient." }</p>
            </div>
        </div>
    }
}

/// A clear sentence for a refused upload, naming the file.
fn upload_problem(name: &str, e: &FetchError) -> String {
    let why = match e {
        FetchError::Refused {
            status: 413,
            code,
            message,
        } if code != "quota_exceeded" && message.is_empty() => {
            "fichier trop volumineux (10 Mo au plus).".to_owned()
        }
        FetchError::Refused {
            status: 415,
            message,
            ..
        } if message.is_empty() => {
            "type de fichier refusé : PDF, PNG, JPEG, xlsx, docx ou odt.".to_owned()
        }
        other => other.form_message(),
    };
    format!("{name} : {why}")
}
