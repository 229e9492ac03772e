//! "/admin/journal": the establishment's audit log, newest first, 100 at a time.

use passerelle_api::AuditEntry;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::intro;
use crate::api::{self, FetchError};
use crate::components::{form_error, local_time_fr, ErrorMessage, Loading};
use crate::state::{use_api, Load};

const PAGE: usize = 100;

/// French names of the actions the server records (others are shown as they are).
fn action_fr(action: &str) -> &str {
    match action {
        "login.succeeded" => "Connexion",
        "login.failed" => "Échec de connexion",
        "logout" => "Déconnexion",
        "refresh.replayed" => "Session fermée (jeton rejoué)",
        "password.changed" => "Mot de passe modifié",
        "admin.created" => "Administrateur créé",
        "account.created" => "Compte créé",
        "account.updated" => "Compte modifié",
        "account.disabled" => "Compte désactivé",
        "account.enabled" => "Compte réactivé",
        "account.activated" => "Compte activé",
        "activation.failed" => "Échec d'activation",
        "invitations.issued" => "Invitations émises",
        "class_list.imported" => "Liste de classe importée",
        "class.created" => "Classe créée",
        "class.teachers_assigned" => "Enseignants affectés",
        "establishment.created" => "Établissement créé",
        "school_year.created" => "Année scolaire créée",
        other => other,
    }
}

#[function_component]
pub fn AdminJournalPage() -> Html {
    let first = use_api((), |()| api::audit(PAGE, None));
    let older = use_state(Vec::<AuditEntry>::new);
    let exhausted = use_state(|| false);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);

    let body = match &first {
        Load::Loading => html! { <Loading text="Chargement du journal…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Journal" /> },
        Load::Ready(list) if list.is_empty() => {
            html! { <p class="empty">{ "Le journal est vide." }</p> }
        }
        Load::Ready(list) => {
            let entries: Vec<&AuditEntry> = list.iter().chain(older.iter()).collect();
            let last_id = entries.last().map(|e| e.id);
            let more = !*exhausted && list.len() >= PAGE;
            let load_more = {
                let (older, exhausted, busy, error) = (
                    older.clone(),
                    exhausted.clone(),
                    busy.clone(),
                    error.clone(),
                );
                Callback::from(move |_: MouseEvent| {
                    let (older, exhausted, busy, error) = (
                        older.clone(),
                        exhausted.clone(),
                        busy.clone(),
                        error.clone(),
                    );
                    busy.set(true);
                    error.set(None);
                    spawn_local(async move {
                        let result = api::audit(PAGE, last_id).await;
                        busy.set(false);
                        match result {
                            Ok(page) => {
                                exhausted.set(page.len() < PAGE);
                                let mut next = (*older).clone();
                                next.extend(page);
                                older.set(next);
                            }
                            Err(e) => error.set(Some(e)),
                        }
                    });
                })
            };
            html! { <>
                <div class="table-wrap">
                    <table class="data-table stack" id="journal">
                        <thead><tr>
                            <th>{ "Date" }</th><th>{ "Auteur" }</th><th>{ "Action" }</th>
                            <th>{ "Objet" }</th><th>{ "Détail" }</th>
                        </tr></thead>
                        <tbody>
                            { for entries.iter().map(|e| html! {
                                <tr data-entry={e.id.to_string()} data-action={e.action.clone()}>
                                    <td data-label="Date" class="nowrap">{ local_time_fr(e.at) }</td>
                                    <td data-label="Auteur">{ e.actor.clone().unwrap_or_else(|| "—".to_owned()) }</td>
                                    <td data-label="Action" title={e.action.clone()}>{ action_fr(&e.action) }</td>
                                    <td data-label="Objet"><code>{ e.object.clone() }</code></td>
                                    <td data-label="Détail">{ e.detail.clone() }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
                { form_error(&error, "journal-error") }
                <div class="form-actions">
                    if more {
                        <button type="button" class="btn" id="journal-older" disabled={*busy} onclick={load_more}>
                            { if *busy { "Chargement…" } else { "Plus ancien" } }
                        </button>
                    } else {
                        <span class="muted">{ format!("{} entrée(s) : début du journal atteint.", entries.len()) }</span>
                    }
                </div>
            </> }
        }
    };
    html! {
        <section class="page">
            { intro("Journal", "Connexions, comptes, imports et invitations de l'établissement, du plus récent au plus ancien (heure locale).") }
            { body }
        </section>
    }
}
