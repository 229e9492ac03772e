use yew::prelude::*;
use yew_router::prelude::*;

use super::SearchBox;
use crate::route::Route;

/// The top bar: brand, navigation and the search box, on every page.
#[function_component]
pub fn Header() -> Html {
    let route = use_route::<Route>();
    let on_home = matches!(
        route,
        Some(Route::Home | Route::Referential { .. } | Route::Item { .. })
    );
    let on_search = matches!(route, Some(Route::Search));
    html! {
        <header class="topbar">
            <div class="topbar-inner">
                <Link<Route> to={Route::Home} classes="brand">
                    <span class="brand-mark" aria-hidden="true">{ "P" }</span>
                    <span class="brand-name">{ "Passerelle" }</span>
                </Link<Route>>
                <nav class="mainnav" aria-label="Navigation principale">
                    <Link<Route> to={Route::Home} classes={classes!("navlink", on_home.then_some("active"))}>
                        { "Référentiels" }
                    </Link<Route>>
                    <Link<Route> to={Route::Search} classes={classes!("navlink", on_search.then_some("active"))}>
                        { "Recherche" }
                    </Link<Route>>
                </nav>
                <SearchBox />
            </div>
        </header>
    }
}
