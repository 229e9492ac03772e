//! "/connexion" (email + password) and "/activer" (first sign-in with the invitation
//! code printed on the sheet handed out by the school).

use passerelle_api::{Activation, TokenResponse};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::{self, FetchError};
use crate::components::{form_error, refusal, setter, TextField};
use crate::route::{Route, SignInParams};
use crate::session::{begin, home_of, use_session, Session, SessionContext};

/// The server's password policy, checked here first to answer at once.
pub const PASSWORD_MIN_CHARS: usize = 12;

/// Where to go once signed in: the page asked for, else the person's home.
#[hook]
fn use_after_sign_in() -> Callback<()> {
    let navigator = use_navigator();
    let params = use_location()
        .and_then(|l| l.query::<SignInParams>().ok())
        .unwrap_or_default();
    let session = use_session();
    Callback::from(move |()| {
        let (Some(nav), Some(session)) = (&navigator, &session) else {
            return;
        };
        let target = params
            .target()
            .or_else(|| session.me().map(|me| home_of(me)));
        nav.replace(&target.unwrap_or(Route::Home));
    })
}

/// Submits a form that ends with tokens: keeps them, loads the person, moves on.
fn submit_for_tokens<F>(
    session: Option<SessionContext>,
    busy: UseStateHandle<bool>,
    error: UseStateHandle<Option<FetchError>>,
    request: F,
) where
    F: std::future::Future<Output = Result<TokenResponse, FetchError>> + 'static,
{
    let Some(session) = session else {
        return;
    };
    busy.set(true);
    error.set(None);
    spawn_local(async move {
        let result = match request.await {
            Ok(tokens) => begin(&session, &tokens).await,
            Err(e) => Err(e),
        };
        busy.set(false);
        if let Err(e) = result {
            error.set(Some(e));
        }
    });
}

/// Once signed in (just now, or a restored session), leave the sign-in pages.
#[hook]
fn use_leave_when_signed_in() {
    let session = use_session();
    let after = use_after_sign_in();
    let signed_in = session
        .as_ref()
        .is_some_and(|s| matches!(s.session, Session::SignedIn(_)));
    use_effect_with(signed_in, move |signed_in| {
        if *signed_in {
            after.emit(());
        }
    });
}

#[function_component]
pub fn SignInPage() -> Html {
    super::set_title("Connexion");
    let session = use_session();
    let email = use_state(String::new);
    let password = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    use_leave_when_signed_in();

    let notice = session.as_ref().and_then(|s| s.notice.clone());
    let onsubmit = {
        let (email, password) = (email.clone(), password.clone());
        let (session, busy, error) = (session.clone(), busy.clone(), error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let (email, password) = ((*email).clone(), (*password).clone());
            submit_for_tokens(session.clone(), busy.clone(), error.clone(), async move {
                api::login(email.trim(), &password).await
            });
        })
    };
    let throttled = error
        .as_ref()
        .is_some_and(|e| e.code() == "too_many_attempts");

    html! {
        <section class="page auth-page">
            <div class="auth-card block">
                <h1>{ "Connexion" }</h1>
                <p class="lead">{ "Connectez-vous avec l'adresse électronique de votre compte Passerelle." }</p>
                if let Some(notice) = notice {
                    <p class="notice" id="signin-notice" role="status">{ notice }</p>
                }
                <form class="form" id="signin-form" {onsubmit}>
                    <TextField id="signin-email" label="Adresse électronique" kind="email"
                        autocomplete="username" value={(*email).clone()} on_change={setter(&email)} />
                    <TextField id="signin-password" label="Mot de passe" kind="password"
                        autocomplete="current-password" value={(*password).clone()} on_change={setter(&password)} />
                    { form_error(&error, "signin-error") }
                    if throttled {
                        <p class="field-hint">{ "Par sécurité, les essais sont suspendus quelques minutes après plusieurs échecs." }</p>
                    }
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary" id="signin-submit" disabled={*busy}>
                            { if *busy { "Connexion…" } else { "Se connecter" } }
                        </button>
                    </div>
                </form>
                <p class="auth-aside">
                    { "Première connexion ? " }
                    <Link<Route> to={Route::Activate}>{ "Activez votre compte avec le code de votre feuille d'invitation" }</Link<Route>>
                </p>
                <p class="auth-aside muted">
                    { "Mot de passe oublié : demandez une nouvelle invitation à l'administration de votre établissement." }
                </p>
            </div>
        </section>
    }
}

/// Whether a form setting a new password may be sent now: not already sending, and the
/// password and its confirmation pass [`check_new_password`] (else the error is shown).
pub fn may_send_new_password(
    busy: &UseStateHandle<bool>,
    error: &UseStateHandle<Option<FetchError>>,
    password: &str,
    confirm: &str,
) -> bool {
    if **busy {
        return false;
    }
    match check_new_password(password, confirm) {
        Ok(()) => true,
        Err(refused) => {
            error.set(Some(refused));
            false
        }
    }
}

/// Checks a new password and its confirmation before sending it.
fn check_new_password(password: &str, confirm: &str) -> Result<(), FetchError> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(refusal(&format!(
            "Le mot de passe doit compter au moins {PASSWORD_MIN_CHARS} caractères."
        )));
    }
    if password != confirm {
        return Err(refusal(
            "Les deux mots de passe saisis ne sont pas identiques.",
        ));
    }
    Ok(())
}

#[function_component]
pub fn ActivatePage() -> Html {
    super::set_title("Activer mon compte");
    let session = use_session();
    let email = use_state(String::new);
    let code = use_state(String::new);
    let password = use_state(String::new);
    let confirm = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    use_leave_when_signed_in();

    let onsubmit = {
        let (email, code, password, confirm) = (
            email.clone(),
            code.clone(),
            password.clone(),
            confirm.clone(),
        );
        let (session, busy, error) = (session.clone(), busy.clone(), error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if !may_send_new_password(&busy, &error, &password, &confirm) {
                return;
            }
            let activation = Activation {
                email: email.trim().to_owned(),
                code: code.trim().to_owned(),
                password: (*password).clone(),
            };
            submit_for_tokens(session.clone(), busy.clone(), error.clone(), async move {
                api::activate(&activation).await
            });
        })
    };

    html! {
        <section class="page auth-page">
            <div class="auth-card block">
                <h1>{ "Activer mon compte" }</h1>
                <p class="lead">
                    { "Saisissez votre adresse électronique et le code de votre feuille d'invitation, \
                       puis choisissez votre mot de passe." }
                </p>
                <form class="form" id="activate-form" {onsubmit}>
                    <TextField id="activate-email" label="Adresse électronique" kind="email"
                        autocomplete="username" value={(*email).clone()} on_change={setter(&email)} />
                    <TextField id="activate-code" label="Code d'invitation"
                        autocomplete="off" placeholder="K7QM-2XPA-9RTD"
                        hint="Tel qu'imprimé sur la feuille, avec ou sans tirets."
                        value={(*code).clone()} on_change={setter(&code)} />
                    <TextField id="activate-password" label="Nouveau mot de passe" kind="password"
                        autocomplete="new-password"
                        hint={format!("Au moins {PASSWORD_MIN_CHARS} caractères ; une phrase facile à retenir convient.")}
                        value={(*password).clone()} on_change={setter(&password)} />
                    <TextField id="activate-confirm" label="Confirmer le mot de passe" kind="password"
                        autocomplete="new-password" value={(*confirm).clone()} on_change={setter(&confirm)} />
                    { form_error(&error, "activate-error") }
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary" id="activate-submit" disabled={*busy}>
                            { if *busy { "Activation…" } else { "Activer et me connecter" } }
                        </button>
                    </div>
                </form>
                <p class="auth-aside">
                    { "Déjà un mot de passe ? " }
                    <Link<Route> to={Route::SignIn}>{ "Se connecter" }</Link<Route>>
                </p>
            </div>
        </section>
    }
}
