//! "/recherche?q=…&referential=…": full results with a referential filter.

use passerelle_api::SEARCH_QUERY_MAX_CHARS;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::components::{group_hits, ErrorMessage, HitBody, Loading};
use crate::route::{Route, SearchParams};
use crate::state::{use_api, use_app_state, Load};
use crate::text::results_fr;

#[function_component]
pub fn SearchPage() -> Html {
    let location = use_location();
    let navigator = use_navigator();
    let params: SearchParams = location
        .as_ref()
        .and_then(|l| l.query::<SearchParams>().ok())
        .unwrap_or_default();
    let q = params.q.clone().unwrap_or_default().trim().to_owned();
    let referential = params.referential.clone().filter(|r| !r.is_empty());
    super::set_title(
        if q.is_empty() {
            "Recherche".to_owned()
        } else {
            format!("« {q} »")
        }
        .as_str(),
    );

    // The field being typed, submitted with Enter or the button.
    let draft = use_state(|| q.clone());
    {
        let draft = draft.clone();
        use_effect_with(q.clone(), move |q| draft.set(q.clone()));
    }

    let results = use_api(
        (q.clone(), referential.clone()),
        |(q, referential): (String, Option<String>)| async move {
            if q.chars().count() < 2 {
                Ok(None)
            } else {
                api::search(&q, referential.as_deref()).await.map(Some)
            }
        },
    );

    let go = {
        let navigator = navigator.clone();
        move |q: String, referential: Option<String>| {
            if let Some(nav) = &navigator {
                let params = SearchParams {
                    q: Some(q).filter(|q| !q.trim().is_empty()),
                    referential: referential.filter(|r| !r.is_empty()),
                };
                let _ = nav.push_with_query(&Route::Search, &params);
            }
        }
    };

    let onsubmit = {
        let draft = draft.clone();
        let referential = referential.clone();
        let go = go.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            go((*draft).trim().to_owned(), referential.clone());
        })
    };
    let oninput = {
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            draft.set(input.value());
        })
    };
    let onchange = {
        let q = q.clone();
        let go = go.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            go(q.clone(), Some(select.value()));
        })
    };

    let app = use_app_state();
    let options = match app.as_ref().map(|s| &s.referentials) {
        Some(Load::Ready(list)) => list
            .iter()
            .map(|r| {
                html! {
                    <option value={r.id.clone()} selected={referential.as_deref() == Some(r.id.as_str())}>
                        { r.title.clone() }
                    </option>
                }
            })
            .collect::<Html>(),
        _ => html! {},
    };

    let body = match results {
        _ if q.is_empty() => html! {
            <p class="empty">{ "Saisissez au moins deux caractères : un code (T.1.2.4, C1.1), un mot (TVA, facturation)…" }</p>
        },
        _ if q.chars().count() < 2 => html! {
            <p class="empty">{ "La recherche demande au moins deux caractères." }</p>
        },
        Load::Loading => html! { <Loading text="Recherche en cours…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e} what="Résultat" /> },
        Load::Ready(r) => match r.as_ref() {
            None => html! {},
            Some(r) if r.hits.is_empty() => html! {
                <p class="empty">{ format!("Aucun résultat pour « {} ».", r.query) }</p>
            },
            Some(r) => {
                let groups = group_hits(&r.hits);
                html! {
                    <>
                        <p class="result-count" role="status">
                            { format!("{} pour « {} »", results_fr(r.hits.len()), r.query) }
                            if r.hits.len() >= passerelle_api::SEARCH_MAX_RESULTS {
                                { " (les premiers seulement : précisez la recherche)" }
                            }
                        </p>
                        { for groups.into_iter().map(|(referential, hits)| html! {
                            <section class="result-group" data-referential={referential.id.clone()}>
                                <h2>
                                    <Link<Route> to={Route::Referential { id: referential.id.clone() }}>
                                        { referential.title.clone() }
                                    </Link<Route>>
                                    <span class="group-count">{ results_fr(hits.len()) }</span>
                                </h2>
                                <ul class="result-list">
                                    { for hits.into_iter().map(|hit| html! {
                                        <li class="search-hit" data-code={hit.code.clone()} data-referential={hit.referential.id.clone()}>
                                            <Link<Route> to={Route::Item { id: hit.referential.id.clone(), code: hit.code.clone() }}
                                                classes="search-hit-link">
                                                <HitBody hit={hit.clone()} query={r.query.clone()} />
                                            </Link<Route>>
                                        </li>
                                    }) }
                                </ul>
                            </section>
                        }) }
                    </>
                }
            }
        },
    };

    html! {
        <section class="page">
            <h1>{ "Recherche" }</h1>
            <form class="search-form" role="search" {onsubmit}>
                <div class="field grow">
                    <label for="search-page-q">{ "Mots ou code" }</label>
                    <input id="search-page-q" type="search" value={(*draft).clone()}
                        maxlength={SEARCH_QUERY_MAX_CHARS.to_string()}
                        autocomplete="off" {oninput} />
                </div>
                <div class="field">
                    <label for="search-page-referential">{ "Référentiel" }</label>
                    <select id="search-page-referential" {onchange}>
                        <option value="" selected={referential.is_none()}>{ "Tous les référentiels" }</option>
                        { options }
                    </select>
                </div>
                <button type="submit" class="btn btn-primary">{ "Rechercher" }</button>
            </form>
            { body }
        </section>
    }
}
