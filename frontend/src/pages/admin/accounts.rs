//! "/admin/comptes": the establishment's accounts; filter, create, disable, and print
//! invitations (which doubles as a password reset).

use std::collections::BTreeSet;

use gloo_timers::callback::Timeout;
use passerelle_api::{
    Account, AccountInput, AccountStatus, AccountUpdate, InvitationRequest, Role,
};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::intro;
use crate::api::{self, FetchError};
use crate::components::{
    form_error, refusal, role_badges, setter, status_badge, success, ErrorMessage,
    InvitationButton, Loading, TextField,
};
use crate::session::{full_name, use_session};
use crate::state::{use_api, Load};

/// Wait this long after the last keystroke of the filter before asking the server.
const FILTER_DEBOUNCE_MS: u32 = 250;

const RESET_WARNING: &str =
    "De nouveaux codes d'invitation remplacent les anciens, et les comptes déjà actifs \
     perdent leur mot de passe jusqu'à leur réactivation. Continuer ?";

#[function_component]
pub fn AdminAccountsPage() -> Html {
    let session = use_session();
    let my_id = session.as_ref().and_then(|s| s.me()).map(|me| me.id);
    let role = use_state(|| None::<Role>);
    let typed = use_state(String::new);
    let query = use_state(String::new);
    let version = use_state(|| 0u32);
    let selected = use_state(BTreeSet::<i64>::new);
    let action_error = use_state(|| None::<FetchError>);

    // Debounced text filter.
    {
        let query = query.clone();
        use_effect_with((*typed).clone(), move |typed| {
            let typed = typed.clone();
            let timer = Timeout::new(FILTER_DEBOUNCE_MS, move || query.set(typed));
            move || drop(timer)
        });
    }
    let accounts = use_api(
        (*role, (*query).clone(), *version),
        |(role, q, _)| async move { api::accounts(role, &q).await },
    );
    let reload = {
        let version = version.clone();
        Callback::from(move |()| version.set(*version + 1))
    };

    let on_role = {
        let role = role.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            role.set(Role::parse(&select.value()));
        })
    };
    let on_toggle_disabled = {
        let (reload, action_error) = (reload.clone(), action_error.clone());
        Callback::from(move |(id, disabled): (i64, bool)| {
            let (reload, action_error) = (reload.clone(), action_error.clone());
            action_error.set(None);
            spawn_local(async move {
                let update = AccountUpdate {
                    disabled: Some(disabled),
                    ..AccountUpdate::default()
                };
                match api::update_account(id, &update).await {
                    Ok(_) => reload.emit(()),
                    Err(e) => action_error.set(Some(e)),
                }
            });
        })
    };
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |(id, on): (i64, bool)| {
            let mut next = (*selected).clone();
            if on {
                next.insert(id);
            } else {
                next.remove(&id);
            }
            selected.set(next);
        })
    };

    let table = match &accounts {
        Load::Loading => html! { <Loading text="Chargement des comptes…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Comptes" /> },
        Load::Ready(list) if list.is_empty() => {
            html! { <p class="empty" id="accounts-empty">{ "Aucun compte ne correspond." }</p> }
        }
        Load::Ready(list) => {
            let rows = list.iter().map(|a| {
                account_row(
                    a,
                    my_id,
                    selected.contains(&a.id),
                    &on_select,
                    &on_toggle_disabled,
                )
            });
            html! {
                <div class="table-wrap">
                    <table class="data-table stack" id="accounts-table">
                        <thead><tr>
                            <th><span class="visually-hidden">{ "Sélection" }</span></th>
                            <th>{ "Nom" }</th><th>{ "Adresse" }</th><th>{ "Rôles" }</th>
                            <th>{ "État" }</th><th>{ "Classes" }</th><th>{ "Actions" }</th>
                        </tr></thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                </div>
            }
        }
    };
    let chosen: Vec<i64> = selected.iter().copied().collect();
    let clear = {
        let selected = selected.clone();
        Callback::from(move |_: MouseEvent| selected.set(BTreeSet::new()))
    };

    html! {
        <section class="page">
            { intro("Comptes", "Enseignants, élèves, jurys et administrateurs de l'établissement. \
                     Un compte créé attend sa première connexion avec le code de sa feuille d'invitation.") }
            <div class="search-form" id="accounts-filter">
                <div class="field">
                    <label for="accounts-role">{ "Rôle" }</label>
                    <select id="accounts-role" onchange={on_role}>
                        <option value="" selected={role.is_none()}>{ "Tous" }</option>
                        { for Role::ALL.iter().map(|r| html! {
                            <option value={r.as_str()} selected={*role == Some(*r)}>{ r.label_fr() }</option>
                        }) }
                    </select>
                </div>
                <TextField id="accounts-q" label="Nom, adresse ou INE" kind="search" required=false grow=true
                    placeholder="Rechercher un compte" value={(*typed).clone()} on_change={setter(&typed)} />
            </div>
            <div class="block">
                <div class="toolbar selection-bar">
                    <span class="muted">{ match &accounts {
                        Load::Ready(list) => format!("{} compte(s) · {} sélectionné(s)", list.len(), chosen.len()),
                        _ => String::new(),
                    } }</span>
                    <span class="actions">
                        <InvitationButton id="selection-invitations" primary=true
                            label={format!("Réinitialiser / imprimer les invitations ({})", chosen.len())}
                            disabled={chosen.is_empty()} confirm={AttrValue::Static(RESET_WARNING)}
                            request={InvitationRequest { user_ids: chosen.clone(), class_id: None }} />
                        if !chosen.is_empty() {
                            <button type="button" class="btn" onclick={clear}>{ "Vider la sélection" }</button>
                        }
                    </span>
                </div>
                { form_error(&action_error, "accounts-action-error") }
                { table }
            </div>
            <AccountForm on_created={reload} />
        </section>
    }
}

fn account_row(
    a: &Account,
    my_id: Option<i64>,
    is_selected: bool,
    on_select: &Callback<(i64, bool)>,
    on_toggle_disabled: &Callback<(i64, bool)>,
) -> Html {
    let id = a.id;
    let onchange = {
        let on_select = on_select.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            on_select.emit((id, input.checked()));
        })
    };
    let disabled = a.status == AccountStatus::Disabled;
    let toggle = {
        let on_toggle = on_toggle_disabled.clone();
        Callback::from(move |_: MouseEvent| on_toggle.emit((id, !disabled)))
    };
    let name = full_name(&a.first_name, &a.last_name);
    let student_info = match (&a.ine, a.birth_date) {
        (None, None) => html! {},
        (ine, birth) => html! {
            <span class="muted small">
                { ine.as_ref().map(|i| format!("INE {i}")).unwrap_or_default() }
                { birth.map(|d| format!(" · né(e) le {}", crate::components::date_fr(d))).unwrap_or_default() }
            </span>
        },
    };
    html! {
        <tr data-account={id.to_string()} data-email={a.email.clone()}>
            <td data-label="Sélection">
                <input type="checkbox" checked={is_selected} {onchange}
                    aria-label={format!("Sélectionner {name}")} />
            </td>
            <td data-label="Nom"><strong>{ name }</strong><br />{ student_info }</td>
            <td data-label="Adresse" class="email">{ a.email.clone() }</td>
            <td data-label="Rôles" class="badges">{ role_badges(&a.roles) }</td>
            <td data-label="État">{ status_badge(a.status) }</td>
            <td data-label="Classes">{ a.classes.join(", ") }</td>
            <td data-label="Actions" class="row-actions">
                if my_id != Some(id) {
                    <button type="button" class="btn btn-small" onclick={toggle}>
                        { if disabled { "Réactiver" } else { "Désactiver" } }
                    </button>
                }
                if !disabled {
                    <InvitationButton label="Réinitialiser / imprimer l'invitation"
                        confirm={(a.status == AccountStatus::Active).then_some(AttrValue::Static(RESET_WARNING))}
                        request={InvitationRequest { user_ids: vec![id], class_id: None }} />
                }
            </td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
struct AccountFormProps {
    on_created: Callback<()>,
}

#[function_component]
fn AccountForm(props: &AccountFormProps) -> Html {
    let email = use_state(String::new);
    let first_name = use_state(String::new);
    let last_name = use_state(String::new);
    let roles = use_state(|| BTreeSet::from([Role::Teacher]));
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let created = use_state(|| None::<String>);

    let onsubmit = {
        let (email, first_name, last_name, roles) = (
            email.clone(),
            first_name.clone(),
            last_name.clone(),
            roles.clone(),
        );
        let (busy, error, created) = (busy.clone(), error.clone(), created.clone());
        let on_created = props.on_created.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if roles.is_empty() {
                error.set(Some(refusal("Cochez au moins un rôle.")));
                return;
            }
            let input = AccountInput {
                email: email.trim().to_owned(),
                first_name: first_name.trim().to_owned(),
                last_name: last_name.trim().to_owned(),
                roles: roles.iter().copied().collect(),
            };
            let (busy, error, created, on_created) = (
                busy.clone(),
                error.clone(),
                created.clone(),
                on_created.clone(),
            );
            let (email, first_name, last_name) =
                (email.clone(), first_name.clone(), last_name.clone());
            busy.set(true);
            error.set(None);
            created.set(None);
            spawn_local(async move {
                let result = api::create_account(&input).await;
                busy.set(false);
                match result {
                    Ok(a) => {
                        created.set(Some(format!(
                            "Compte créé pour {} ({}). Imprimez son invitation depuis la liste.",
                            full_name(&a.first_name, &a.last_name),
                            a.email
                        )));
                        for field in [&email, &first_name, &last_name] {
                            field.set(String::new());
                        }
                        on_created.emit(());
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let role_boxes = Role::ALL.iter().map(|&r| {
        let checked = roles.contains(&r);
        let onchange = {
            let roles = roles.clone();
            Callback::from(move |e: Event| {
                let input: HtmlInputElement = e.target_unchecked_into();
                let mut next = (*roles).clone();
                if input.checked() {
                    next.insert(r);
                } else {
                    next.remove(&r);
                }
                roles.set(next);
            })
        };
        let id = format!("account-role-{}", r.as_str());
        html! {
            <span class="check">
                <input type="checkbox" id={id.clone()} {checked} {onchange} />
                <label for={id}>{ r.label_fr() }</label>
            </span>
        }
    });
    html! {
        <form class="block form" id="account-form" {onsubmit}>
            <h2>{ "Nouveau compte" }</h2>
            <p class="muted">{ "Les élèves arrivent d'ordinaire par l'import des listes de classe." }</p>
            <div class="form-row">
                <TextField id="account-last-name" label="Nom" value={(*last_name).clone()} on_change={setter(&last_name)} />
                <TextField id="account-first-name" label="Prénom" value={(*first_name).clone()} on_change={setter(&first_name)} />
                <TextField id="account-email" label="Adresse électronique" kind="email" grow=true
                    value={(*email).clone()} on_change={setter(&email)} />
            </div>
            <fieldset class="checks">
                <legend>{ "Rôles" }</legend>
                { for role_boxes }
            </fieldset>
            { form_error(&error, "account-error") }
            { success(&created, "account-created") }
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="account-submit" disabled={*busy}>{ "Créer le compte" }</button>
            </div>
        </form>
    }
}
