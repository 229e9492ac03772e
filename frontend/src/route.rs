//! Client routes of the SPA.

use serde::{Deserialize, Serialize};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::pages::{HomePage, ItemPage, NotFoundPage, ReferentialPage, SearchPage};

#[derive(Debug, Clone, PartialEq, Eq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/referentiels/:id")]
    Referential { id: String },
    #[at("/referentiels/:id/items/:code")]
    Item { id: String, code: String },
    #[at("/recherche")]
    Search,
    #[not_found]
    #[at("/404")]
    NotFound,
}

/// Query string of `/recherche`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referential: Option<String>,
}

pub fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <HomePage /> },
        Route::Referential { id } => {
            let key = id.clone();
            html! { <ReferentialPage {key} {id} /> }
        }
        Route::Item { id, code } => html! { <ItemPage {id} {code} /> },
        Route::Search => html! { <SearchPage /> },
        Route::NotFound => html! { <NotFoundPage /> },
    }
}
