//! Who is signed in: the session context, its restoration at load, sign-in and sign-out.
//!
//! The tokens themselves stay inside the API client (`api.rs`); this context holds what
//! the pages need: the signed-in person (`GET /api/me`) and a notice for the sign-in page.

use std::rc::Rc;

use passerelle_api::{Me, Role, TokenResponse};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::{self, FetchError};
use crate::route::Route;

#[derive(Debug, Clone, PartialEq)]
pub enum Session {
    /// A refresh token was found at load: renewing it and asking who we are.
    Restoring,
    SignedOut,
    SignedIn(Rc<Me>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionState {
    pub session: Session,
    /// Told on the sign-in page ("session expirée", "mot de passe modifié"…).
    pub notice: Option<String>,
}

impl SessionState {
    pub fn me(&self) -> Option<&Rc<Me>> {
        match &self.session {
            Session::SignedIn(me) => Some(me),
            _ => None,
        }
    }
}

pub enum SessionAction {
    SignedIn(Me),
    SignedOut(Option<String>),
}

impl Reducible for SessionState {
    type Action = SessionAction;
    fn reduce(self: Rc<Self>, action: SessionAction) -> Rc<Self> {
        Rc::new(match action {
            SessionAction::SignedIn(me) => SessionState {
                session: Session::SignedIn(Rc::new(me)),
                notice: None,
            },
            SessionAction::SignedOut(notice) => SessionState {
                session: Session::SignedOut,
                notice,
            },
        })
    }
}

pub type SessionContext = UseReducerHandle<SessionState>;

/// The session context (None outside the provider).
#[hook]
pub fn use_session() -> Option<SessionContext> {
    use_context::<SessionContext>()
}

/// Full name as shown in the header and lists.
pub fn full_name(first_name: &str, last_name: &str) -> String {
    format!("{first_name} {last_name}")
}

/// Where a person lands after signing in, when no page asked for it.
pub fn home_of(me: &Me) -> Route {
    if me.roles.contains(&Role::Admin) {
        if me.establishment.is_none() {
            Route::AdminEstablishment
        } else {
            Route::AdminClasses
        }
    } else if me.roles.contains(&Role::Teacher) {
        Route::MyClasses
    } else if me.roles.contains(&Role::Student) {
        Route::MyClass
    } else if me.roles.contains(&Role::Jury) {
        // A jury account: its juries, rather than its account page.
        Route::ExamSessions
    } else {
        Route::Account
    }
}

/// Keeps fresh tokens and asks who we are; the context then holds the person.
pub async fn begin(session: &SessionContext, tokens: &TokenResponse) -> Result<(), FetchError> {
    api::keep_tokens(tokens);
    match api::me().await {
        Ok(me) => {
            session.dispatch(SessionAction::SignedIn(me));
            Ok(())
        }
        Err(e) => {
            api::forget_tokens();
            Err(e)
        }
    }
}

/// Asks `GET /api/me` again (after the establishment was created, say).
pub fn reload_me(session: &SessionContext) {
    let session = session.clone();
    spawn_local(async move {
        if let Ok(me) = api::me().await {
            session.dispatch(SessionAction::SignedIn(me));
        }
    });
}

/// Ends the session on the server and here.
pub fn sign_out(session: &SessionContext, notice: Option<String>) {
    let session = session.clone();
    spawn_local(async move {
        // Signed out locally even when the server cannot be reached.
        let _ = api::logout().await;
        session.dispatch(SessionAction::SignedOut(notice));
    });
}

#[derive(Properties, PartialEq)]
pub struct SessionProviderProps {
    pub children: Html,
}

/// Provides the session; restores the tab's session at load (refresh token → `/api/me`).
#[function_component]
pub fn SessionProvider(props: &SessionProviderProps) -> Html {
    let session = use_reducer(|| SessionState {
        session: if api::has_stored_session() {
            Session::Restoring
        } else {
            Session::SignedOut
        },
        notice: None,
    });
    {
        let session = session.clone();
        use_effect_with((), move |_| {
            let lost = session.clone();
            api::on_session_lost(move || {
                lost.dispatch(SessionAction::SignedOut(Some(
                    "Votre session a expiré ou a été fermée : reconnectez-vous.".to_owned(),
                )));
            });
            if session.session == Session::Restoring {
                spawn_local(async move {
                    let restored = match api::renew(None).await {
                        Ok(_) => api::me().await,
                        Err(e) => Err(e),
                    };
                    session.dispatch(match restored {
                        Ok(me) => SessionAction::SignedIn(me),
                        Err(FetchError::Network(_)) => SessionAction::SignedOut(Some(
                            "Impossible de joindre le serveur pour reprendre votre session."
                                .to_owned(),
                        )),
                        Err(_) => {
                            api::forget_tokens();
                            SessionAction::SignedOut(None)
                        }
                    });
                });
            }
        });
    }
    html! {
        <ContextProvider<SessionContext> context={session}>
            { props.children.clone() }
        </ContextProvider<SessionContext>>
    }
}
