//! "/relectures": the fiches submitted in a teacher's classes, oldest first, filtered by
//! class; and the review panel of a fiche (a level per item, a comment, validate or send
//! back), shown on the fiche's page.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use passerelle_api::{Fiche, ItemLevel, ValidationInput};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;
use yew_router::prelude::*;

use super::portfolio::fiche_cards;
use crate::api::{self, FetchError};
use crate::components::{form_error, refusal, ErrorMessage, Loading};
use crate::route::Route;
use crate::state::{use_api, Load};

#[function_component]
pub fn ReviewsPage() -> Html {
    super::set_title("Fiches à relire");
    let list = use_api((), |()| api::reviews());
    let class = use_state(|| None::<i64>);
    let body = match &list {
        Load::Loading => html! { <Loading text="Chargement des fiches à relire…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Fiches" /> },
        Load::Ready(list) => {
            let classes: BTreeMap<i64, String> = list
                .iter()
                .map(|f| (f.class_id, f.class_name.clone()))
                .collect();
            let shown: Vec<_> = list
                .iter()
                .filter(|f| class.is_none_or(|c| f.class_id == c))
                .cloned()
                .collect();
            let onchange = {
                let class = class.clone();
                Callback::from(move |e: Event| {
                    let s: HtmlSelectElement = e.target_unchecked_into();
                    class.set(s.value().parse().ok());
                })
            };
            html! { <>
                if classes.len() > 1 {
                    <div class="toolbar">
                        <div class="field">
                            <label for="reviews-class">{ "Classe" }</label>
                            <select id="reviews-class" {onchange}>
                                <option value="" selected={class.is_none()}>{ "Toutes mes classes" }</option>
                                { for classes.iter().map(|(id, name)| html! {
                                    <option value={id.to_string()} selected={*class == Some(*id)}>{ name.clone() }</option>
                                }) }
                            </select>
                        </div>
                    </div>
                }
                <p class="result-count" id="reviews-count">
                    { match shown.len() {
                        0 => "Aucune fiche en attente de relecture.".to_owned(),
                        1 => "1 fiche en attente de relecture, la plus ancienne en premier.".to_owned(),
                        n => format!("{n} fiches en attente de relecture, la plus ancienne en premier."),
                    } }
                </p>
                if !shown.is_empty() {
                    { fiche_cards(&shown, true) }
                }
                if !classes.is_empty() {
                    <p class="muted small">
                        { "Suivi des élèves : " }
                        { for classes.iter().map(|(id, name)| html! {
                            <Link<Route> to={Route::ClassProgress { id: *id }} classes="class-progress-link">{ format!("{name} ") }</Link<Route>>
                        }) }
                    </p>
                }
            </> }
        }
    };
    html! {
        <section class="page">
            <div class="page-intro">
                <h1>{ "Fiches à relire" }</h1>
                <p class="lead">{ "Les fiches soumises par les élèves de vos classes : validez-les en donnant un niveau par compétence, ou renvoyez-les avec un commentaire." }</p>
            </div>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ReviewPanelProps {
    pub fiche: Rc<Fiche>,
    pub on_change: Callback<Fiche>,
}

/// A level per item (the fiche's scale), a comment, "Valider" or "Renvoyer à l'élève"
/// (which needs the comment).
#[function_component]
pub fn ReviewPanel(props: &ReviewPanelProps) -> Html {
    let f = &props.fiche;
    let levels = use_state(|| {
        f.items
            .iter()
            .filter_map(|i| Some((i.code.clone(), i.level?)))
            .collect::<HashMap<String, u8>>()
    });
    let comment = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);

    let send = {
        let (levels, comment, busy, error, on_change, id) = (
            levels.clone(),
            comment.clone(),
            busy.clone(),
            error.clone(),
            props.on_change.clone(),
            f.id,
        );
        let order: Vec<String> = f.items.iter().map(|i| i.code.clone()).collect();
        Callback::from(move |validate: bool| {
            let text = comment.trim().to_owned();
            if !validate && text.is_empty() {
                error.set(Some(refusal(
                    "Commentaire : dites à l'élève ce qu'il doit reprendre avant de lui renvoyer la fiche.",
                )));
                return;
            }
            let (busy, error, on_change, comment) = (
                busy.clone(),
                error.clone(),
                on_change.clone(),
                comment.clone(),
            );
            let input = ValidationInput {
                comment: (!text.is_empty()).then(|| text.clone()),
                levels: order
                    .iter()
                    .filter_map(|code| {
                        Some(ItemLevel {
                            code: code.clone(),
                            level: *levels.get(code)?,
                        })
                    })
                    .collect(),
            };
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = if validate {
                    api::validate_fiche(id, &input).await
                } else {
                    api::return_fiche(id, text).await
                };
                busy.set(false);
                match result {
                    Ok(Some(f)) => {
                        comment.set(String::new());
                        on_change.emit(f);
                    }
                    Ok(None) => {}
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let on_validate = {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send.emit(true))
    };
    let on_return = Callback::from(move |_: MouseEvent| send.emit(false));
    let oninput = {
        let comment = comment.clone();
        Callback::from(move |e: InputEvent| {
            let t: HtmlTextAreaElement = e.target_unchecked_into();
            comment.set(t.value());
        })
    };

    html! {
        <div class="block review-panel" id="review-panel">
            <h2>{ "Relecture" }</h2>
            <p class="muted">{ "Un niveau de maîtrise par compétence montrée (facultatif), puis validez ; ou renvoyez la fiche à l'élève avec un commentaire." }</p>
            <div class="level-pickers" id="level-pickers">
                { for f.items.iter().map(|i| {
                    let chosen = levels.get(&i.code).copied();
                    html! {
                        <fieldset class="level-picker" data-code={i.code.clone()}>
                            <legend><span class="code">{ i.code.clone() }</span>{ format!(" {}", i.label) }</legend>
                            <div class="levels" role="radiogroup">
                                { for f.scale.iter().enumerate().map(|(n, name)| {
                                    let level = (n + 1) as u8;
                                    let id = format!("level-{}-{level}", i.code.replace('.', "_"));
                                    let onchange = {
                                        let (levels, code) = (levels.clone(), i.code.clone());
                                        Callback::from(move |_: Event| {
                                            let mut next = (*levels).clone();
                                            next.insert(code.clone(), level);
                                            levels.set(next);
                                        })
                                    };
                                    html! {
                                        <span class={classes!("level", format!("level-{level}"), (chosen == Some(level)).then_some("checked"))}>
                                            <input type="radio" id={id.clone()} name={format!("level-{}", i.code)}
                                                value={level.to_string()} data-level={level.to_string()}
                                                checked={chosen == Some(level)} {onchange} />
                                            <label for={id}>{ name.clone() }</label>
                                        </span>
                                    }
                                }) }
                            </div>
                        </fieldset>
                    }
                }) }
            </div>
            <div class="field grow">
                <label for="review-comment">{ "Commentaire pour l'élève" }</label>
                <textarea id="review-comment" rows="4" value={(*comment).clone()} {oninput}
                    maxlength={passerelle_api::COMMENT_MAX_CHARS.to_string()} />
            </div>
            { form_error(&error, "review-error") }
            <div class="form-actions">
                <button type="button" class="btn btn-primary btn-large" id="review-validate" disabled={*busy} onclick={on_validate}>
                    { "Valider" }
                </button>
                <button type="button" class="btn btn-large" id="review-return" disabled={*busy} onclick={on_return}>
                    { "Renvoyer à l'élève" }
                </button>
            </div>
        </div>
    }
}
