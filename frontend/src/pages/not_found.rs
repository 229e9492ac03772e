use yew::prelude::*;
use yew_router::prelude::*;

use crate::route::Route;

#[function_component]
pub fn NotFoundPage() -> Html {
    super::set_title("Page introuvable");
    html! {
        <section class="page">
            <h1>{ "Page introuvable" }</h1>
            <p>{ "L'adresse demandée ne correspond à aucune page de Passerelle." }</p>
            <p><Link<Route> to={Route::Home}>{ "Retour à la liste des référentiels" }</Link<Route>></p>
        </section>
    }
}
