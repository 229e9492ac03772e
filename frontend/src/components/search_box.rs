//! The header search: as-you-type results (debounced), keyboard accessible.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use passerelle_api::{SearchHit, SearchResults, SEARCH_QUERY_MAX_CHARS};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, Node, ScrollIntoViewOptions, ScrollLogicalPosition};
use yew::prelude::*;
use yew_router::prelude::*;

use super::{group_hits, HitBody};
use crate::api::{self, FetchError};
use crate::route::{Route, SearchParams};
use crate::text::results_fr;

/// Wait this long after the last keystroke before asking the server.
const DEBOUNCE_MS: u32 = 150;
/// Queries shorter than this (in characters, trimmed) are not sent.
pub const MIN_QUERY_CHARS: usize = 2;
/// Hits shown in the dropdown; the results page shows them all.
const DROPDOWN_HITS: usize = 10;

#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Idle,
    Ready(Rc<SearchResults>),
    Failed(FetchError),
}

fn search_route(q: &str) -> (Route, SearchParams) {
    (
        Route::Search,
        SearchParams {
            q: Some(q.to_owned()),
            referential: None,
        },
    )
}

#[function_component]
pub fn SearchBox() -> Html {
    let query = use_state(String::new);
    let answer = use_state(|| Answer::Idle);
    let pending = use_state(|| false);
    let open = use_state(|| false);
    let active = use_state(|| None::<usize>);
    let seq = use_mut_ref(|| 0u32);
    let wrapper = use_node_ref();
    let navigator = use_navigator();

    let trimmed = query.trim().to_owned();
    let long_enough = trimmed.chars().count() >= MIN_QUERY_CHARS;

    // Debounced search: each change of the query cancels the pending timer.
    {
        let answer = answer.clone();
        let pending = pending.clone();
        let seq = seq.clone();
        let active = active.clone();
        use_effect_with(trimmed.clone(), move |q| {
            *seq.borrow_mut() += 1;
            let mine = *seq.borrow();
            active.set(None);
            let mut timer = None;
            if q.chars().count() >= MIN_QUERY_CHARS {
                pending.set(true);
                let q = q.clone();
                timer = Some(Timeout::new(DEBOUNCE_MS, move || {
                    spawn_local(async move {
                        let result = api::search(&q, None).await;
                        if *seq.borrow() == mine {
                            pending.set(false);
                            answer.set(match result {
                                Ok(r) => Answer::Ready(Rc::new(r)),
                                Err(e) => Answer::Failed(e),
                            });
                        }
                    });
                }));
            } else {
                pending.set(false);
                answer.set(Answer::Idle);
            }
            move || drop(timer)
        });
    }

    // Hits in display order (grouped by referential), as the keyboard walks them.
    let shown: Vec<SearchHit> = match &*answer {
        Answer::Ready(r) => group_hits(&r.hits[..r.hits.len().min(DROPDOWN_HITS)])
            .into_iter()
            .flat_map(|(_, hits)| hits.into_iter().cloned())
            .collect(),
        _ => Vec::new(),
    };
    let total = match &*answer {
        Answer::Ready(r) => r.hits.len(),
        _ => 0,
    };

    let oninput = {
        let query = query.clone();
        let open = open.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            query.set(input.value());
            open.set(true);
        })
    };

    // Keep the option chosen with the keyboard in view.
    use_effect_with(*active, |active| {
        if let Some(el) = active.and_then(|i| {
            web_sys::window()?
                .document()?
                .get_element_by_id(&format!("search-opt-{i}"))
        }) {
            let options = ScrollIntoViewOptions::new();
            options.set_block(ScrollLogicalPosition::Nearest);
            el.scroll_into_view_with_scroll_into_view_options(&options);
        }
    });

    let onfocus = {
        let open = open.clone();
        Callback::from(move |_: FocusEvent| open.set(true))
    };

    // Close when focus leaves the whole box (not when it moves to a hit link).
    let onfocusout = {
        let open = open.clone();
        let wrapper = wrapper.clone();
        Callback::from(move |e: FocusEvent| {
            let inside = e
                .related_target()
                .and_then(|t| t.dyn_into::<Node>().ok())
                .zip(wrapper.cast::<Node>())
                .is_some_and(|(target, box_)| box_.contains(Some(&target)));
            if !inside {
                open.set(false);
            }
        })
    };

    let onkeydown = {
        let open = open.clone();
        let active = active.clone();
        let query = query.clone();
        let navigator = navigator.clone();
        let shown = shown.clone();
        let trimmed = trimmed.clone();
        Callback::from(move |e: KeyboardEvent| {
            let long_enough = trimmed.chars().count() >= MIN_QUERY_CHARS;
            let n = shown.len();
            match e.key().as_str() {
                "ArrowDown" => {
                    e.prevent_default();
                    open.set(true);
                    if n > 0 {
                        active.set(Some(match *active {
                            Some(i) if i + 1 < n => i + 1,
                            Some(i) => i,
                            None => 0,
                        }));
                    }
                }
                "ArrowUp" => {
                    e.prevent_default();
                    active.set(match *active {
                        Some(i) if i > 0 => Some(i - 1),
                        _ => None,
                    });
                }
                "Enter" => {
                    e.prevent_default();
                    let Some(nav) = navigator.as_ref() else {
                        return;
                    };
                    match active.and_then(|i| shown.get(i)) {
                        Some(hit) => nav.push(&Route::Item {
                            id: hit.referential.id.clone(),
                            code: hit.code.clone(),
                        }),
                        None if !trimmed.is_empty() => {
                            let (route, params) = search_route(&trimmed);
                            let _ = nav.push_with_query(&route, &params);
                        }
                        None => return,
                    }
                    open.set(false);
                    active.set(None);
                }
                "Escape" => {
                    if *open && long_enough {
                        // Only close: keep the browser from clearing the field too.
                        e.prevent_default();
                        open.set(false);
                        active.set(None);
                    } else {
                        query.set(String::new());
                    }
                }
                _ => {}
            }
        })
    };

    let close = {
        let open = open.clone();
        let active = active.clone();
        Callback::from(move |_: MouseEvent| {
            open.set(false);
            active.set(None);
        })
    };

    let show_panel = *open && long_enough;
    let active_id = active.map(|i| format!("search-opt-{i}"));

    let status = match &*answer {
        _ if *pending && shown.is_empty() => {
            html! { <p class="search-status">{ "Recherche…" }</p> }
        }
        Answer::Failed(e) => html! {
            <p class="search-status search-error" role="alert">{ e.message_fr("Résultat") }</p>
        },
        Answer::Ready(r) if r.hits.is_empty() => html! {
            <p class="search-status">{ format!("Aucun résultat pour « {trimmed} »") }</p>
        },
        Answer::Ready(_) => html! {
            <p class="search-status visually-hidden" aria-live="polite">{ results_fr(total) }</p>
        },
        Answer::Idle => html! {},
    };

    let mut index = 0usize;
    let groups = group_hits(&shown);
    let list = groups
        .into_iter()
        .map(|(referential, hits)| {
            let items = hits
                .into_iter()
                .map(|hit| {
                    let i = index;
                    index += 1;
                    let is_active = *active == Some(i);
                    html! {
                        <li id={format!("search-opt-{i}")}
                            role="option"
                            aria-selected={if is_active { "true" } else { "false" }}
                            class={classes!("search-hit", is_active.then_some("active"))}
                            data-code={hit.code.clone()}
                            data-referential={hit.referential.id.clone()}
                            onclick={close.clone()}>
                            <Link<Route> to={Route::Item { id: hit.referential.id.clone(), code: hit.code.clone() }}
                                classes="search-hit-link">
                                <HitBody hit={hit.clone()} query={trimmed.clone()} />
                            </Link<Route>>
                        </li>
                    }
                })
                .collect::<Html>();
            html! {
                <li class="search-group" role="presentation">
                    <div class="search-group-title" id={format!("search-group-{}", referential.id)}>
                        { referential.title.clone() }
                    </div>
                    <ul role="group" aria-labelledby={format!("search-group-{}", referential.id)}>
                        { items }
                    </ul>
                </li>
            }
        })
        .collect::<Html>();

    let (all_route, all_params) = search_route(&trimmed);

    html! {
        <div class="searchbox" ref={wrapper} {onfocusout}>
            <form role="search" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                <label for="search" class="visually-hidden">{ "Rechercher dans les référentiels" }</label>
                <span class="search-icon" aria-hidden="true"></span>
                <input id="search"
                    type="search"
                    role="combobox"
                    aria-autocomplete="list"
                    aria-expanded={if show_panel { "true" } else { "false" }}
                    aria-controls="search-results"
                    aria-activedescendant={active_id}
                    autocomplete="off"
                    spellcheck="false"
                    maxlength={SEARCH_QUERY_MAX_CHARS.to_string()}
                    placeholder="Rechercher : TVA, facturation, C1.1…"
                    value={(*query).clone()}
                    {oninput}
                    {onfocus}
                    {onkeydown} />
            </form>
            if show_panel {
                <div class="search-panel">
                    { status }
                    if !shown.is_empty() {
                        <ul id="search-results" class="search-list" role="listbox" aria-label="Résultats de recherche">
                            { list }
                        </ul>
                        <div class="search-more">
                            <Link<Route, SearchParams> to={all_route} query={Some(all_params)} classes="search-more-link">
                                { if total > shown.len() {
                                    format!("Voir les {} résultats", total)
                                } else {
                                    "Ouvrir la page de résultats".to_owned()
                                } }
                            </Link<Route, SearchParams>>
                            <span class="search-hint" aria-hidden="true">{ "↑↓ pour choisir · Entrée pour ouvrir" }</span>
                        </div>
                    }
                </div>
            }
        </div>
    }
}
