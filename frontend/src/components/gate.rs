//! Pages for signed-in people: redirect to the sign-in page (and back afterwards), or say
//! that the page is reserved to another role.

use passerelle_api::Role;
use yew::prelude::*;
use yew_router::prelude::*;

use super::Loading;
use crate::route::{Route, SignInParams};
use crate::session::{use_session, Session};

#[derive(Properties, PartialEq)]
pub struct GateProps {
    /// The role the page needs (None: any signed-in person).
    #[prop_or_default]
    pub role: Option<Role>,
    /// The page needs one of these roles (empty: no such condition).
    #[prop_or_default]
    pub any_of: Vec<Role>,
    /// The page needs the admin's establishment to exist.
    #[prop_or_default]
    pub establishment: bool,
    pub children: Html,
}

#[function_component]
pub fn Gate(props: &GateProps) -> Html {
    let session = use_session();
    let navigator = use_navigator();
    let location = use_location();
    let state = session.as_ref().map(|s| s.session.clone());
    let signed_out = matches!(state, None | Some(Session::SignedOut));
    {
        let path = location.map(|l| l.path().to_owned());
        use_effect_with(signed_out, move |signed_out| {
            if *signed_out {
                if let Some(nav) = navigator {
                    let params = SignInParams { suite: path };
                    let _ = nav.replace_with_query(&Route::SignIn, &params);
                }
            }
        });
    }
    match state {
        None | Some(Session::SignedOut) => {
            html! { <section class="page"><Loading text="Connexion requise…" /></section> }
        }
        Some(Session::Restoring) => html! {
            <section class="page"><Loading text="Reprise de votre session…" /></section>
        },
        Some(Session::SignedIn(me)) => {
            let missing = props.role.filter(|r| !me.roles.contains(r)).or_else(|| {
                (!props.any_of.is_empty() && !props.any_of.iter().any(|r| me.roles.contains(r)))
                    .then(|| props.any_of[0])
            });
            if let Some(role) = missing {
                super::super::pages::set_title("Accès réservé");
                return html! {
                    <section class="page">
                        <div class="notice notice-warn" id="access-denied" role="alert">
                            <p class="notice-title">{ "Accès réservé" }</p>
                            <p>{ format!(
                                "Cette page est réservée au rôle « {} ». Votre compte ({}) n'a pas ce rôle.",
                                role.label_fr(),
                                me.email
                            ) }</p>
                            <p><Link<Route> to={Route::Home}>{ "Retour aux référentiels" }</Link<Route>></p>
                        </div>
                    </section>
                };
            }
            if props.establishment && me.establishment.is_none() {
                return html! {
                    <section class="page">
                        <div class="notice" id="needs-establishment" role="status">
                            <p class="notice-title">{ "Établissement à créer" }</p>
                            <p>{ "Créez d'abord votre établissement : classes, comptes et imports lui sont rattachés." }</p>
                            <p>
                                <Link<Route> to={Route::AdminEstablishment} classes="btn btn-primary">
                                    { "Créer l'établissement" }
                                </Link<Route>>
                            </p>
                        </div>
                    </section>
                };
            }
            props.children.clone()
        }
    }
}
