use yew::prelude::*;

use crate::api::FetchError;

#[derive(Properties, PartialEq)]
pub struct LoadingProps {
    #[prop_or_else(|| AttrValue::from("Chargement…"))]
    pub text: AttrValue,
}

#[function_component]
pub fn Loading(props: &LoadingProps) -> Html {
    html! {
        <p class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            { props.text.clone() }
        </p>
    }
}

#[derive(Properties, PartialEq)]
pub struct ErrorMessageProps {
    pub error: FetchError,
    /// What could be missing on 404, e.g. "Référentiel".
    pub what: AttrValue,
    /// Offers a "Réessayer" button (network and server errors).
    #[prop_or_default]
    pub on_retry: Option<Callback<()>>,
}

#[function_component]
pub fn ErrorMessage(props: &ErrorMessageProps) -> Html {
    let detail = props.error.detail().to_owned();
    // Network and server errors may pass: offer to try again (by default, reload the page).
    let transient = matches!(
        props.error,
        FetchError::Network(_) | FetchError::Server { .. }
    );
    let retry = props.on_retry.clone().or_else(|| {
        transient.then(|| {
            Callback::from(|()| {
                if let Some(w) = web_sys::window() {
                    let _ = w.location().reload();
                }
            })
        })
    });
    html! {
        <div class="error" role="alert">
            <p class="error-title">{ props.error.message_fr(&props.what) }</p>
            if !detail.is_empty() {
                <p class="error-detail">{ detail }</p>
            }
            if let Some(retry) = retry {
                <p class="error-actions">
                    <button type="button" class="btn" onclick={Callback::from(move |_: MouseEvent| retry.emit(()))}>
                        { "Réessayer" }
                    </button>
                </p>
            }
        </div>
    }
}
