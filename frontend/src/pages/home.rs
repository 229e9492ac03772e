use passerelle_api::ReferentialSummary;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::{ErrorMessage, Loading};
use crate::route::Route;
use crate::state::{load_referentials, use_app_state, Load};
use crate::text::counts_fr;

/// "/": every referential as a card.
#[function_component]
pub fn HomePage() -> Html {
    super::set_title("");
    let state = use_app_state();
    let body = match state.as_ref().map(|s| &s.referentials) {
        None | Some(Load::Loading) => html! { <Loading text="Chargement des référentiels…" /> },
        Some(Load::Failed(e)) => {
            let on_retry = state
                .clone()
                .map(|app| Callback::from(move |()| load_referentials(app.clone())));
            html! { <ErrorMessage error={e.clone()} what="Liste des référentiels" {on_retry} /> }
        }
        Some(Load::Ready(list)) if list.is_empty() => html! {
            <p class="empty">{ "Aucun référentiel n'est chargé pour le moment." }</p>
        },
        Some(Load::Ready(list)) => html! {
            <ul class="cards">
                { for list.iter().map(card) }
            </ul>
        },
    };
    html! {
        <section class="page">
            <div class="page-intro">
                <h1>{ "Référentiels" }</h1>
                <p class="lead">
                    { "Parcourez les référentiels officiels (blocs, activités, tâches, situations, compétences) \
                       et retrouvez chaque élément dans son texte source." }
                </p>
            </div>
            { body }
        </section>
    }
}

fn card(r: &ReferentialSummary) -> Html {
    let total: u32 = r.counts.values().sum();
    html! {
        <li class="card" data-referential={r.id.clone()}>
            <Link<Route> to={Route::Referential { id: r.id.clone() }} classes="card-link">
                <span class="card-title">{ r.title.clone() }</span>
            </Link<Route>>
            <span class="card-version">{ format!("Version {}", r.version) }</span>
            <span class="card-counts">{ counts_fr(&r.counts) }</span>
            <span class="card-total">{ format!("{total} éléments · identifiant {}", r.id) }</span>
        </li>
    }
}
