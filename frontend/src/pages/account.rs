//! "/compte": who I am, my establishment, change my password, sign out.

use passerelle_api::PasswordChange;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use super::sign_in::{may_send_new_password, PASSWORD_MIN_CHARS};
use crate::api::{self, FetchError};
use crate::components::{form_error, role_badges, setter, TextField};
use crate::route::Route;
use crate::session::{full_name, sign_out, use_session, SessionAction};

#[function_component]
pub fn AccountPage() -> Html {
    super::set_title("Mon compte");
    let session = use_session();
    let navigator = use_navigator();
    let current = use_state(String::new);
    let password = use_state(String::new);
    let confirm = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);

    let Some(me) = session.as_ref().and_then(|s| s.me().cloned()) else {
        return html! {};
    };

    let on_sign_out = {
        let (session, navigator) = (session.clone(), navigator.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(session) = &session {
                if let Some(nav) = &navigator {
                    nav.push(&Route::SignIn);
                }
                sign_out(session, Some("Vous êtes déconnecté.".to_owned()));
            }
        })
    };

    let on_change_password = {
        let (current, password, confirm) = (current.clone(), password.clone(), confirm.clone());
        let (busy, error) = (busy.clone(), error.clone());
        let (session, navigator) = (session.clone(), navigator.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if !may_send_new_password(&busy, &error, &password, &confirm) {
                return;
            }
            let change = PasswordChange {
                current_password: (*current).clone(),
                new_password: (*password).clone(),
            };
            let (busy, error) = (busy.clone(), error.clone());
            let (session, navigator) = (session.clone(), navigator.clone());
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = api::change_password(&change).await;
                busy.set(false);
                match result {
                    Ok(()) => {
                        // Every session of the account ended, this one included.
                        api::forget_tokens();
                        if let Some(nav) = &navigator {
                            nav.push(&Route::SignIn);
                        }
                        if let Some(session) = &session {
                            session.dispatch(SessionAction::SignedOut(Some(
                                "Mot de passe modifié. Toutes vos sessions ont été fermées : \
                                 reconnectez-vous avec le nouveau mot de passe."
                                    .to_owned(),
                            )));
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };

    html! {
        <section class="page">
            <div class="page-intro">
                <h1>{ "Mon compte" }</h1>
            </div>
            <div class="block" id="account-identity">
                <h2>{ "Identité" }</h2>
                <dl class="attrs">
                    <div class="attr"><dt>{ "Nom" }</dt><dd>{ full_name(&me.first_name, &me.last_name) }</dd></div>
                    <div class="attr"><dt>{ "Adresse électronique" }</dt><dd>{ me.email.clone() }</dd></div>
                    <div class="attr"><dt>{ "Rôles" }</dt><dd class="badges">{ role_badges(&me.roles) }</dd></div>
                    <div class="attr">
                        <dt>{ "Établissement" }</dt>
                        <dd>{ match &me.establishment {
                            Some(e) => html! { <>
                                { e.name.clone() }
                                <span class="muted">{ format!(" · UAI {} · académie de {}", e.uai, e.academie) }</span>
                            </> },
                            None => html! { <span class="muted">{ "Aucun établissement" }</span> },
                        } }</dd>
                    </div>
                </dl>
                <div class="form-actions">
                    <button type="button" class="btn" id="sign-out" onclick={on_sign_out}>{ "Se déconnecter" }</button>
                </div>
            </div>
            <div class="block">
                <h2>{ "Changer de mot de passe" }</h2>
                <p class="muted">{ "Toutes vos sessions seront fermées, sur tous les appareils : vous vous reconnecterez ensuite." }</p>
                <form class="form" id="password-form" onsubmit={on_change_password}>
                    <TextField id="password-current" label="Mot de passe actuel" kind="password"
                        autocomplete="current-password" value={(*current).clone()} on_change={setter(&current)} />
                    <TextField id="password-new" label="Nouveau mot de passe" kind="password"
                        autocomplete="new-password" hint={format!("Au moins {PASSWORD_MIN_CHARS} caractères.")}
                        value={(*password).clone()} on_change={setter(&password)} />
                    <TextField id="password-confirm" label="Confirmer le nouveau mot de passe" kind="password"
                        autocomplete="new-password" value={(*confirm).clone()} on_change={setter(&confirm)} />
                    { form_error(&error, "password-error") }
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary" id="password-submit" disabled={*busy}>
                            { "Changer le mot de passe" }
                        </button>
                    </div>
                </form>
            </div>
        </section>
    }
}
