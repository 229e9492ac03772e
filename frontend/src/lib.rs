//! Passerelle single-page app: browse and search official training referentials; sign in,
//! and the screens of each role (administration, teachers, students).
//!
//! UI text is French; code and comments are English.
//!
//! The app is built three times, once per `passerelle_api::spa::Bundle` (`src/bin/`):
//! each binary hands [`run`] the pages of its bundle, and the linker leaves out every
//! other page.

mod api;
mod components;
mod pages;
pub mod route;
mod session;
mod state;
mod text;

use yew::prelude::*;
use yew_router::prelude::*;

use components::{Header, Loading};
use route::{Pages, Route};
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

/// sessionStorage key: when and where [`OtherBundle`] last reloaded ("<ms> <path>").
const RELOAD_KEY: &str = "passerelle.bundle-reload";

/// A page is shown: the reload that led here, if any, worked (sessionStorage keeps only
/// the session otherwise).
fn forget_reload() {
    if let Some(storage) = api::storage() {
        let _ = storage.remove_item(RELOAD_KEY);
    }
}

/// The page of a route another bundle holds: reload the address, which the server
/// answers with that bundle (`Bundle::for_path` decides on both sides). A second
/// reload of the same address within seconds means the two sides disagree (an old
/// build in the browser's cache, say): say so instead of reloading forever.
#[function_component]
fn OtherBundle() -> Html {
    let looping = use_state(|| false);
    {
        let looping = looping.clone();
        use_effect_with((), move |_| {
            let Some(window) = web_sys::window() else {
                return;
            };
            let location = window.location();
            let path = location.pathname().unwrap_or_default();
            let now = js_sys::Date::now();
            let storage = api::storage();
            let last = storage
                .as_ref()
                .and_then(|s| s.get_item(RELOAD_KEY).ok().flatten())
                .and_then(|v| {
                    let (at, last_path) = v.split_once(' ')?;
                    Some((at.parse::<f64>().ok()?, last_path.to_owned()))
                });
            if matches!(&last, Some((at, p)) if *p == path && now - at < 10_000.0) {
                looping.set(true);
                return;
            }
            if let Some(s) = &storage {
                let _ = s.set_item(RELOAD_KEY, &format!("{now} {path}"));
            }
            let _ = location.reload();
        });
    }
    if *looping {
        html! {
            <section class="page">
                <p class="error" id="bundle-error">
                    { "Cette page n'a pas pu être chargée. Rechargez la page pour obtenir la dernière version de Passerelle." }
                </p>
            </section>
        }
    } else {
        html! { <Loading /> }
    }
}

#[derive(Properties)]
struct AppProps {
    /// The pages this bundle holds.
    pages: Pages,
}

/// A binary runs one bundle, whose pages never change: always equal (comparing function
/// pointers means nothing anyway).
impl PartialEq for AppProps {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

#[function_component]
fn App(props: &AppProps) -> Html {
    let pages = props.pages;
    let switch = move |route: Route| match pages(route) {
        Some(page) => {
            forget_reload();
            page
        }
        None => html! { <OtherBundle /> },
    };
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

/// Starts the SPA with the pages of one bundle (`route::public_pages`…).
pub fn run(pages: Pages) {
    yew::Renderer::<App>::with_props(AppProps { pages }).render();
}
