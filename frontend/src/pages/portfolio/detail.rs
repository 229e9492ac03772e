//! "/fiches/:id": one fiche, read-only: context, what was done, software, items (with
//! the levels set at validation and their correspondences), attachments; the comments
//! thread and the history of every change. Its student edits or submits it from here;
//! a teacher reviews it (the panel of `pages/reviews.rs`); an admin reopens a validated one.

use std::rc::Rc;

use passerelle_api::{Fiche, FicheAction, FicheEvent, FicheStatus, Role};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;
use yew_router::prelude::*;

use super::{fiche_status_badge, person};
use crate::api::{self, FetchError};
use crate::components::{
    date_fr, form_error, local_time_fr, markdown, refusal, ErrorMessage, KindBadge, Loading,
};
use crate::pages::exercises::use_pgi;
use crate::pages::reviews::ReviewPanel;
use crate::route::Route;
use crate::session::use_session;
use crate::state::{use_api, Load};

#[derive(Properties, PartialEq)]
pub struct FichePageProps {
    pub id: i64,
}

#[function_component]
pub fn FichePage(props: &FichePageProps) -> Html {
    let loaded = use_api(props.id, api::fiche);
    // The fiche as the last action answered it (no reload, the page stays put).
    let updated = use_state(|| None::<Rc<Fiche>>);
    let on_change = {
        let updated = updated.clone();
        Callback::from(move |f: Fiche| updated.set(Some(Rc::new(f))))
    };
    let session = use_session();
    let me = session.as_ref().and_then(|s| s.me()).cloned();
    let is_student = me
        .as_ref()
        .is_some_and(|m| m.roles.contains(&Role::Student));
    let back = if is_student {
        html! { <Link<Route> to={Route::Portfolio}>{ "Mon portfolio" }</Link<Route>> }
    } else {
        html! { <Link<Route> to={Route::Reviews}>{ "Fiches à relire" }</Link<Route>> }
    };
    let body = match (updated.as_ref(), &loaded) {
        (Some(f), _) | (None, Load::Ready(f)) => {
            super::super::set_title(&f.title);
            let is_admin = me.as_ref().is_some_and(|m| m.roles.contains(&Role::Admin));
            html! { <FicheView fiche={f.clone()} {on_change} {is_admin} /> }
        }
        (None, Load::Loading) => {
            super::super::set_title("Fiche");
            html! { <Loading text="Chargement de la fiche…" /> }
        }
        (None, Load::Failed(e)) => html! { <ErrorMessage error={e.clone()} what="Fiche" /> },
    };
    html! {
        <section class="page page-narrow">
            <nav class="breadcrumb" aria-label="Fil d'Ariane">{ back }</nav>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct FicheViewProps {
    fiche: Rc<Fiche>,
    on_change: Callback<Fiche>,
    is_admin: bool,
}

/// Runs a fiche action; its answer replaces the fiche shown.
fn run_action<F>(
    busy: &UseStateHandle<bool>,
    error: &UseStateHandle<Option<FetchError>>,
    on_change: &Callback<Fiche>,
    action: F,
) where
    F: std::future::Future<Output = Result<Option<Fiche>, FetchError>> + 'static,
{
    let (busy, error, on_change) = (busy.clone(), error.clone(), on_change.clone());
    busy.set(true);
    error.set(None);
    spawn_local(async move {
        let result = action.await;
        busy.set(false);
        match result {
            Ok(Some(f)) => on_change.emit(f),
            Ok(None) => {}
            Err(e) => error.set(Some(e)),
        }
    });
}

#[function_component]
fn FicheView(props: &FicheViewProps) -> Html {
    let f = &props.fiche;
    let pgi = use_pgi();
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let download_error = use_state(|| None::<FetchError>);
    let navigator = use_navigator();

    let on_submit = {
        let (busy, error, on_change, id) =
            (busy.clone(), error.clone(), props.on_change.clone(), f.id);
        Callback::from(move |_: MouseEvent| {
            run_action(&busy, &error, &on_change, api::submit_fiche(id));
        })
    };
    let on_delete = {
        let (busy, error, id) = (busy.clone(), error.clone(), f.id);
        Callback::from(move |_: MouseEvent| {
            let sure = web_sys::window()
                .and_then(|w| w.confirm_with_message("Supprimer ce brouillon ?").ok())
                .unwrap_or(false);
            if !sure {
                return;
            }
            let (busy, error, navigator) = (busy.clone(), error.clone(), navigator.clone());
            busy.set(true);
            spawn_local(async move {
                let result = api::delete_fiche(id).await;
                busy.set(false);
                match result {
                    Ok(()) => {
                        if let Some(nav) = navigator {
                            nav.push(&Route::Portfolio);
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };

    let returned = (f.status == FicheStatus::Returned)
        .then(|| {
            f.history
                .iter()
                .rev()
                .find(|e| e.action == FicheAction::Returned)
        })
        .flatten();
    let software = f.software_id.as_deref().map(|s| match &pgi {
        Some(c) => c.software_name(s),
        None => s.to_owned(),
    });
    let feature_label = |id: &str| {
        pgi.as_ref()
            .and_then(|c| {
                c.features
                    .iter()
                    .find(|x| x.id == id && !x.label.is_empty())
            })
            .map_or_else(|| id.to_owned(), |x| x.label.clone())
    };

    html! {
        <article class="fiche" data-fiche={f.id.to_string()} data-status={f.status.as_str()}>
            <div class="page-head">
                <h1 id="fiche-title">{ f.title.clone() }</h1>
                <p class="meta">
                    <span id="fiche-status">{ fiche_status_badge(f.status, f.submissions) }</span>
                    <span id="fiche-student">{ person(&f.student) }</span>
                    <span>{ f.class_name.clone() }</span>
                    if let Some(at) = f.validated_at {
                        <span>{ format!("validée le {}{}", local_time_fr(at),
                            f.validated_by.as_ref().map(|p| format!(" par {}", person(p))).unwrap_or_default()) }</span>
                    }
                </p>
            </div>
            if let Some(e) = returned {
                <div class="notice notice-warn" id="fiche-returned" role="status">
                    <p class="notice-title">{ format!("À reprendre — {}", person(&e.actor)) }</p>
                    if let Some(c) = &e.comment {
                        <p class="comment-text" id="fiche-returned-text">{ c.clone() }</p>
                    }
                </div>
            }
            if f.can_edit {
                <div class="toolbar fiche-toolbar">
                    <Link<Route> to={Route::FicheEdit { id: f.id }} classes="btn btn-large">
                        <span id="fiche-edit">{ if f.status == FicheStatus::Returned { "Reprendre la fiche" } else { "Modifier" } }</span>
                    </Link<Route>>
                    <button type="button" class="btn btn-primary btn-large" id="fiche-submit" disabled={*busy} onclick={on_submit}>
                        { if f.submissions > 0 { "Soumettre à nouveau" } else { "Soumettre à l'enseignant" } }
                    </button>
                    if f.status == FicheStatus::Draft && f.submissions == 0 {
                        <button type="button" class="btn btn-danger" id="fiche-delete" disabled={*busy} onclick={on_delete}>
                            { "Supprimer" }
                        </button>
                    }
                </div>
            }
            { form_error(&error, "fiche-action-error") }

            <div class="block">
                <h2>{ f.context.label() }</h2>
                <dl class="attrs">
                    if let Some(e) = &f.exercise {
                        <div class="attr"><dt>{ "Exercice" }</dt>
                            <dd id="fiche-exercise">{ format!("{} (du {} au {})", e.title, date_fr(e.starts_on), date_fr(e.ends_on)) }</dd></div>
                    }
                    if let Some(firm) = &f.firm {
                        <div class="attr"><dt>{ "Entreprise" }</dt><dd>{ firm.name.clone() }</dd></div>
                        if !firm.sector.is_empty() {
                            <div class="attr"><dt>{ "Secteur" }</dt><dd>{ firm.sector.clone() }</dd></div>
                        }
                        if !firm.tutor.is_empty() {
                            <div class="attr"><dt>{ "Tuteur" }</dt><dd>{ firm.tutor.clone() }</dd></div>
                        }
                    }
                    if !f.context_text.trim().is_empty() {
                        <div class="attr"><dt>{ "Situation" }</dt><dd class="pre">{ f.context_text.clone() }</dd></div>
                    }
                    if f.starts_on.is_some() || f.ends_on.is_some() {
                        <div class="attr"><dt>{ "Dates" }</dt><dd>{ dates(f) }</dd></div>
                    }
                    if let Some(s) = software {
                        <div class="attr"><dt>{ "PGI" }</dt><dd>{ s }</dd></div>
                    }
                    if !f.other_software.trim().is_empty() {
                        <div class="attr"><dt>{ "Autres logiciels" }</dt><dd>{ f.other_software.clone() }</dd></div>
                    }
                    if !f.features.is_empty() {
                        <div class="attr"><dt>{ "Fonctionnalités" }</dt><dd>
                            <span class="chips">{ for f.features.iter().map(|x| html! { <span class="chip">{ feature_label(x) }</span> }) }</span>
                        </dd></div>
                    }
                </dl>
            </div>

            <div class="block">
                <h2>{ "Ce que j'ai fait" }</h2>
                { markdown(&f.description, "fiche-description", "Rien d'écrit pour le moment.") }
            </div>

            <div class="block">
                <h2>{ format!("Compétences montrées ({})", f.items.len()) }</h2>
                { items(f) }
                if !f.implied.is_empty() {
                    <details class="implied" id="fiche-implied">
                        <summary>{ format!("Correspondances dans d'autres référentiels ({})", f.implied.len()) }</summary>
                        <ul class="linked-items">
                            { for f.implied.iter().map(|c| html! {
                                <li class="linked-item" data-code={c.code.clone()} data-referential={c.referential_id.clone()}>
                                    <KindBadge kind={c.kind} />
                                    <Link<Route> to={Route::Item { id: c.referential_id.clone(), code: c.code.clone() }} classes="code">
                                        { c.code.clone() }
                                    </Link<Route>>
                                    <span class="linked-label">{ c.label.clone() }</span>
                                    <span class="muted small">{ c.referential_id.clone() }</span>
                                </li>
                            }) }
                        </ul>
                    </details>
                }
            </div>

            <div class="block">
                <h2>{ format!("Pièces jointes ({})", f.attachments.len()) }</h2>
                if f.attachments.is_empty() {
                    <p class="empty">{ "Aucune pièce jointe." }</p>
                } else {
                    <ul class="attachments" id="fiche-attachments">
                        { for f.attachments.iter().map(|a| {
                            let onclick = {
                                let (busy, error, id, a) = (busy.clone(), download_error.clone(), f.id, a.clone());
                                Callback::from(move |_: MouseEvent| {
                                    let (busy, error, a) = (busy.clone(), error.clone(), a.clone());
                                    busy.set(true);
                                    spawn_local(async move {
                                        let result = api::download_attachment(id, &a).await;
                                        busy.set(false);
                                        error.set(result.err());
                                    });
                                })
                            };
                            html! {
                                <li class="attachment" data-attachment={a.id.to_string()}>
                                    <button type="button" class="btn-link attachment-name" disabled={*busy} {onclick}>
                                        { a.file_name.clone() }
                                    </button>
                                    <span class="muted small">{ format!("{} Ko · {}", a.size.div_ceil(1024), local_time_fr(a.uploaded_at)) }</span>
                                </li>
                            }
                        }) }
                    </ul>
                }
                { form_error(&download_error, "attachment-error") }
            </div>

            if f.can_review {
                <ReviewPanel fiche={props.fiche.clone()} on_change={props.on_change.clone()} />
            }
            if props.is_admin && f.status == FicheStatus::Validated {
                <details class="block">
                    <summary>{ "Rouvrir la fiche (administration)" }</summary>
                    <TextForm id={f.id} reopen=true on_change={props.on_change.clone()} />
                </details>
            }

            <Comments fiche={props.fiche.clone()} on_change={props.on_change.clone()} />
            { history(&f.history) }
        </article>
    }
}

fn dates(f: &Fiche) -> String {
    match (f.starts_on, f.ends_on) {
        (Some(s), Some(e)) if s != e => format!("du {} au {}", date_fr(s), date_fr(e)),
        (Some(s), _) => date_fr(s),
        (None, Some(e)) => format!("jusqu'au {}", date_fr(e)),
        (None, None) => String::new(),
    }
}

fn items(f: &Fiche) -> Html {
    if f.items.is_empty() {
        return html! { <p class="empty">{ "Aucune compétence indiquée." }</p> };
    }
    html! {
        <ul class="linked-items fiche-items" id="fiche-items">
            { for f.items.iter().map(|i| {
                let level = i.level.and_then(|l| f.scale.get(usize::from(l).saturating_sub(1)).map(|name| (l, name.clone())));
                html! {
                    <li class="linked-item" data-code={i.code.clone()} data-level={i.level.map(|l| l.to_string())}>
                        <KindBadge kind={i.kind} />
                        <Link<Route> to={Route::Item { id: f.referential_id.clone(), code: i.code.clone() }} classes="code">
                            { i.code.clone() }
                        </Link<Route>>
                        <span class="linked-label">{ i.label.clone() }</span>
                        if let Some((l, name)) = level {
                            <span class={classes!("badge", "level-badge", format!("level-{l}"))}>{ name }</span>
                        }
                    </li>
                }
            }) }
        </ul>
    }
}

/// Events that carry a comment, oldest first: the conversation about the fiche.
fn is_conversation(e: &FicheEvent) -> bool {
    matches!(
        e.action,
        FicheAction::Commented
            | FicheAction::Returned
            | FicheAction::Validated
            | FicheAction::Reopened
    ) && e.comment.as_deref().is_some_and(|c| !c.trim().is_empty())
}

#[derive(Properties, PartialEq)]
struct CommentsProps {
    fiche: Rc<Fiche>,
    on_change: Callback<Fiche>,
}

#[function_component]
fn Comments(props: &CommentsProps) -> Html {
    let f = &props.fiche;
    let thread: Vec<&FicheEvent> = f.history.iter().filter(|e| is_conversation(e)).collect();
    html! {
        <div class="block" id="fiche-comments">
            <h2>{ format!("Commentaires ({})", thread.len()) }</h2>
            if thread.is_empty() {
                <p class="empty">{ "Pas encore de commentaire." }</p>
            } else {
                <ol class="thread" id="comment-thread">
                    { for thread.into_iter().map(|e| html! {
                        <li class={classes!("comment", format!("action-{}", e.action.as_str()))} data-action={e.action.as_str()}>
                            <p class="comment-head">
                                <strong>{ person(&e.actor) }</strong>
                                if e.action != FicheAction::Commented {
                                    <span class="badge">{ e.action.label() }</span>
                                }
                                <span class="muted small">{ local_time_fr(e.at) }</span>
                            </p>
                            <p class="comment-text">{ e.comment.clone().unwrap_or_default() }</p>
                        </li>
                    }) }
                </ol>
            }
            <TextForm id={f.id} reopen=false on_change={props.on_change.clone()} />
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct TextFormProps {
    id: i64,
    /// An admin reopening a validated fiche (else a comment).
    reopen: bool,
    on_change: Callback<Fiche>,
}

/// A text and its button: a comment on the fiche, or the reason to reopen it.
#[function_component]
fn TextForm(props: &TextFormProps) -> Html {
    let text = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let reopen = props.reopen;
    let onsubmit = {
        let (text, busy, error, on_change, id) = (
            text.clone(),
            busy.clone(),
            error.clone(),
            props.on_change.clone(),
            props.id,
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let written = text.trim().to_owned();
            if written.is_empty() {
                error.set(Some(refusal(if reopen {
                    "Motif : obligatoire pour rouvrir une fiche validée."
                } else {
                    "Commentaire : écrivez quelque chose."
                })));
                return;
            }
            let on_change = {
                let (on_change, text) = (on_change.clone(), text.clone());
                Callback::from(move |f: Fiche| {
                    text.set(String::new());
                    on_change.emit(f);
                })
            };
            let action = async move {
                if reopen {
                    api::reopen_fiche(id, written).await
                } else {
                    api::comment_fiche(id, written).await
                }
            };
            run_action(&busy, &error, &on_change, action);
        })
    };
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            let t: HtmlTextAreaElement = e.target_unchecked_into();
            text.set(t.value());
        })
    };
    let (field, label, button) = if reopen {
        ("reopen", "Motif", "Rouvrir")
    } else {
        (
            "comment",
            "Ajouter un commentaire",
            "Envoyer le commentaire",
        )
    };
    html! {
        <form class="form comment-form" {onsubmit}>
            <div class="field grow">
                <label for={format!("{field}-text")}>{ label }</label>
                <textarea id={format!("{field}-text")} rows="3" value={(*text).clone()} {oninput}
                    maxlength={passerelle_api::COMMENT_MAX_CHARS.to_string()} />
            </div>
            { form_error(&error, &format!("{field}-error")) }
            <div class="form-actions">
                <button type="submit" class={classes!("btn", reopen.then_some("btn-danger"))} id={format!("{field}-submit")}
                    disabled={*busy}>{ button }</button>
            </div>
        </form>
    }
}

fn history(events: &[FicheEvent]) -> Html {
    html! {
        <div class="block" id="fiche-history">
            <h2>{ "Historique" }</h2>
            <ol class="timeline">
                { for events.iter().rev().map(|e| html! {
                    <li class={classes!("event", format!("action-{}", e.action.as_str()))} data-action={e.action.as_str()}>
                        <p class="event-head">
                            <strong>{ e.action.label() }</strong>
                            <span class="muted small">{ format!(" · {} · {}", person(&e.actor), local_time_fr(e.at)) }</span>
                        </p>
                        if !e.changes.is_empty() {
                            <ul class="changes">
                                { for e.changes.iter().map(|c| html! {
                                    <li class="change">
                                        <span class="change-field">{ format!("{} : ", c.field) }</span>
                                        <del class="change-before">{ if c.before.is_empty() { "—".to_owned() } else { c.before.clone() } }</del>
                                        <span aria-hidden="true">{ " → " }</span>
                                        <ins class="change-after">{ if c.after.is_empty() { "—".to_owned() } else { c.after.clone() } }</ins>
                                    </li>
                                }) }
                            </ul>
                        }
                    </li>
                }) }
            </ol>
        </div>
    }
}
