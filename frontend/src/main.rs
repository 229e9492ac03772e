//! Passerelle single-page app: browse and search official training referentials; sign in,
//! and the screens of each role (administration, teachers, students).
//!
//! UI text is French; code and comments are English.

mod api;
mod components;
mod pages;
mod route;
mod session;
mod state;
mod text;

use yew::prelude::*;
use yew_router::prelude::*;

use components::Header;
use route::{switch, Route};
use session::SessionProvider;
use state::{AppContext, AppState};

/// Scrolls back to the top when the page (path) changes, as a full page load would.
#[function_component]
fn ScrollToTop() -> Html {
    let path = use_location().map(|l| l.path().to_owned());
    use_effect_with(path, |_| {
        if let Some(w) = web_sys::window() {
            w.scroll_to_with_x_and_y(0.0, 0.0);
        }
    });
    html! {}
}

#[function_component]
fn App() -> Html {
    let state = use_reducer(AppState::default);
    {
        let state = state.clone();
        use_effect_with((), move |_| state::load_referentials(state));
    }
    html! {
        <ContextProvider<AppContext> context={state}>
          <SessionProvider>
            <BrowserRouter>
                <a class="skip-link" href="#main">{ "Aller au contenu" }</a>
                <ScrollToTop />
                <Header />
                <main id="main" tabindex="-1">
                    <Switch<Route> render={switch} />
                </main>
                <footer class="footer">
                    <p>{ "Passerelle · référentiels officiels, texte vérifiable ligne à ligne" }</p>
                </footer>
            </BrowserRouter>
          </SessionProvider>
        </ContextProvider<AppContext>>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
