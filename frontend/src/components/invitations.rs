use passerelle_api::InvitationRequest;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::{self, FetchError};

#[derive(Properties, PartialEq)]
pub struct InvitationButtonProps {
    pub request: InvitationRequest,
    pub label: AttrValue,
    #[prop_or_default]
    pub id: Option<AttrValue>,
    #[prop_or_default]
    pub primary: bool,
    #[prop_or_default]
    pub disabled: bool,
    /// Asked before issuing: new codes end the earlier codes and passwords.
    #[prop_or_default]
    pub confirm: Option<AttrValue>,
}

/// Issues fresh invitation codes and saves the sheet to print (xlsx download).
#[function_component]
pub fn InvitationButton(props: &InvitationButtonProps) -> Html {
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let onclick = {
        let (busy, error) = (busy.clone(), error.clone());
        let request = props.request.clone();
        let confirm = props.confirm.clone();
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            if let Some(question) = &confirm {
                let accepted = web_sys::window()
                    .and_then(|w| w.confirm_with_message(question).ok())
                    .unwrap_or(false);
                if !accepted {
                    return;
                }
            }
            let (busy, error, request) = (busy.clone(), error.clone(), request.clone());
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = api::download_invitations(&request).await;
                busy.set(false);
                error.set(result.err());
            });
        })
    };
    html! {
        <span class="invitation-action">
            <button type="button"
                class={classes!("btn", props.primary.then_some("btn-primary"))}
                id={props.id.clone()}
                disabled={props.disabled || *busy}
                {onclick}>
                { if *busy { AttrValue::from("Préparation…") } else { props.label.clone() } }
            </button>
            if let Some(e) = &*error {
                <span class="inline-error" role="alert">{ e.form_message() }</span>
            }
        </span>
    }
}
