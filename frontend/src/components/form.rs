//! Form pieces shared by the sign-in and administration pages.

use passerelle_api::{AccountStatus, Role, RowAction};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::FetchError;

#[derive(Properties, PartialEq)]
pub struct TextFieldProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: String,
    pub on_change: Callback<String>,
    #[prop_or(AttrValue::Static("text"))]
    pub kind: AttrValue,
    #[prop_or_default]
    pub autocomplete: Option<AttrValue>,
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
    /// Help under the field.
    #[prop_or_default]
    pub hint: Option<AttrValue>,
    #[prop_or(true)]
    pub required: bool,
    #[prop_or_default]
    pub maxlength: Option<usize>,
    #[prop_or_default]
    pub grow: bool,
}

/// A labelled input whose value lives in the caller's state.
#[function_component]
pub fn TextField(props: &TextFieldProps) -> Html {
    let oninput = {
        let on_change = props.on_change.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            on_change.emit(input.value());
        })
    };
    let hint_id = props.hint.as_ref().map(|_| format!("{}-hint", props.id));
    html! {
        <div class={classes!("field", props.grow.then_some("grow"))}>
            <label for={props.id.clone()}>{ props.label.clone() }</label>
            <input id={props.id.clone()}
                name={props.id.clone()}
                type={props.kind.clone()}
                value={props.value.clone()}
                autocomplete={props.autocomplete.clone()}
                placeholder={props.placeholder.clone()}
                required={props.required}
                maxlength={props.maxlength.map(|n| n.to_string())}
                aria-describedby={hint_id.clone()}
                {oninput} />
            if let (Some(hint), Some(id)) = (&props.hint, hint_id) {
                <p class="field-hint" {id}>{ hint.clone() }</p>
            }
        </div>
    }
}

/// A setter callback for one `String` state.
pub fn setter(state: &UseStateHandle<String>) -> Callback<String> {
    let state = state.clone();
    Callback::from(move |v: String| state.set(v))
}

/// The error of a form, in French, or nothing.
pub fn form_error(error: &Option<FetchError>, id: &str) -> Html {
    match error {
        Some(e) => html! {
            <div class="error form-error" id={id.to_owned()} role="alert">
                <p class="error-title">{ e.form_message() }</p>
            </div>
        },
        None => html! {},
    }
}

/// A client-side refusal shown like the server's.
pub fn refusal(message: &str) -> FetchError {
    FetchError::Refused {
        status: 400,
        code: "form".to_owned(),
        message: message.to_owned(),
    }
}

/// A success line ("Classe créée").
pub fn success(message: &Option<String>, id: &str) -> Html {
    match message {
        Some(m) => html! {
            <p class="notice notice-ok" id={id.to_owned()} role="status">{ m.clone() }</p>
        },
        None => html! {},
    }
}

pub fn role_badges(roles: &[Role]) -> Html {
    roles
        .iter()
        .map(|r| {
            html! {
                <span class={classes!("badge", format!("role-{}", r.as_str()))} data-role={r.as_str()}>
                    { r.label_fr() }
                </span>
            }
        })
        .collect()
}

pub fn status_badge(status: AccountStatus) -> Html {
    let name = match status {
        AccountStatus::Active => "active",
        AccountStatus::Invited => "invited",
        AccountStatus::Disabled => "disabled",
    };
    html! {
        <span class={classes!("badge", format!("status-{name}"))} data-status={name}>
            { status.label_fr() }
        </span>
    }
}

pub fn action_name(action: RowAction) -> &'static str {
    match action {
        RowAction::Create => "create",
        RowAction::Update => "update",
        RowAction::Unchanged => "unchanged",
        RowAction::Error => "error",
    }
}

pub fn action_badge(action: RowAction) -> Html {
    let name = action_name(action);
    html! {
        <span class={classes!("badge", format!("action-{name}"))} data-action={name}>
            { action.label_fr() }
        </span>
    }
}

/// A date as French readers write it (31/12/2026).
pub fn date_fr(date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    // By hand: chrono's strftime machinery would weigh on the wasm.
    format!("{:02}/{:02}/{}", date.day(), date.month(), date.year())
}

/// A UTC time in the browser's time zone, French style.
pub fn local_time_fr(at: chrono::NaiveDateTime) -> String {
    let millis = at.and_utc().timestamp_millis() as f64;
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis));
    String::from(date.to_locale_string("fr-FR", &wasm_bindgen::JsValue::UNDEFINED))
}
