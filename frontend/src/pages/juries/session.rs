//! "/examens/:id": one exam session. Admins: candidates (conformity, jury, grid, export),
//! juries (compose one, assign the checked candidates), publication, exports and the
//! import of grids filled offline. Jury members: the candidates of their jury.

use std::rc::Rc;

use passerelle_api::{
    Account, ConformityInput, ExamSession, JuryInput, JuryMemberInput, JuryRole, Role,
};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::{self, FetchError};
use crate::components::{
    date_fr, form_error, refusal, setter, Download, DownloadButton, ErrorMessage, Loading,
    TextField,
};
use crate::route::Route;
use crate::session::use_session;
use crate::state::{use_api, Load};
use passerelle_api::GridImportReport;

use super::person;

#[derive(Properties, PartialEq)]
pub struct ExamSessionPageProps {
    pub id: i64,
}

#[function_component]
pub fn ExamSessionPage(props: &ExamSessionPageProps) -> Html {
    let id = props.id;
    let session = use_session();
    let admin = session
        .as_ref()
        .and_then(|s| s.me())
        .is_some_and(|m| m.roles.contains(&Role::Admin));
    let reload = use_state(|| 0u32);
    let loaded = use_api((id, *reload), |(id, _)| api::exam_session(id));
    let refresh = {
        let reload = reload.clone();
        Callback::from(move |()| reload.set(*reload + 1))
    };
    let s = match &loaded {
        Load::Loading => {
            return html! { <main class="page"><Loading text="Chargement de la session…" /></main> }
        }
        Load::Failed(e) => {
            return html! { <main class="page"><ErrorMessage error={e.clone()} what="Session" /></main> }
        }
        Load::Ready(s) => s.clone(),
    };
    super::super::set_title(&s.label);
    html! {
        <main class="page exam-session">
            <nav class="breadcrumb">
                <Link<Route> to={Route::ExamSessions}>{ if admin { "Examens" } else { "Mes jurys" } }</Link<Route>>
            </nav>
            <div class="page-head">
                <h1 id="session-title">{ format!("{} — {}", s.label, s.epreuve) }</h1>
                <p class="muted">
                    { format!("{} · du {} au {} · grille version {}", s.title, date_fr(s.starts_on), date_fr(s.ends_on), s.template_version) }
                    if let Some(r) = &s.access_route { { format!(" · voie d'accès {r}") } }
                </p>
                if !s.required_composition.is_empty() {
                    <p class="notice">{ format!("Composition du jury : {}", s.required_composition.join(" ; ")) }</p>
                }
                if admin {
                    <div class="toolbar" id="session-actions">
                        <DownloadButton download={Download::Session { session_id: s.id, csv: false }} label="Exporter (xlsx)" id="export-xlsx" primary=true />
                        <DownloadButton download={Download::Session { session_id: s.id, csv: true }} label="Exporter (CSV)" id="export-csv" />
                        <PublishButton session={s.clone()} on_done={refresh.clone()} />
                    </div>
                }
            </div>
            if admin {
                <AdminSession session={s.clone()} on_change={refresh.clone()} />
            } else {
                { jury_view(&s) }
            }
        </main>
    }
}

/// A jury member's candidates, with their grid's link.
fn jury_view(s: &ExamSession) -> Html {
    html! {
        <>
            { for s.juries.iter().map(|j| html! {
                <section class="block jury" data-jury={j.id.to_string()}>
                    <h2>{ j.name.clone() }</h2>
                    <p class="muted">{ j.members.iter().map(|m| format!("{} ({})", person(&m.person), m.role.label())).collect::<Vec<_>>().join(", ") }</p>
                    <ul class="candidate-list">
                        { for s.candidates.iter().filter(|c| j.candidates.contains(&c.id)).map(|c| html! {
                            <li class="candidate-link">
                                <Link<Route> to={Route::CandidateGrid { id: c.id }} classes="btn btn-large">
                                    { format!("{} — {} ({})", c.number, person(&c.student), c.class_name) }
                                </Link<Route>>
                                if !c.conforme {
                                    <span class="badge nonconforme">{ "Non conforme" }</span>
                                }
                            </li>
                        }) }
                    </ul>
                </section>
            }) }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct SessionProps {
    session: Rc<ExamSession>,
    on_change: Callback<()>,
}

#[derive(Properties, PartialEq)]
struct PublishProps {
    session: Rc<ExamSession>,
    on_done: Callback<()>,
}

#[function_component]
fn PublishButton(props: &PublishProps) -> Html {
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    if props.session.published {
        return html! { <span class="badge published" id="published">{ "Résultats publiés" }</span> };
    }
    let onclick = {
        let (busy, error, on_done, id) = (
            busy.clone(),
            error.clone(),
            props.on_done.clone(),
            props.session.id,
        );
        Callback::from(move |_: MouseEvent| {
            let (busy, error, on_done) = (busy.clone(), error.clone(), on_done.clone());
            busy.set(true);
            spawn_local(async move {
                let result = api::publish_session(id).await;
                busy.set(false);
                match result {
                    Ok(_) => on_done.emit(()),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    html! {
        <span class="download-action">
            <button type="button" class="btn" id="publish" disabled={*busy} {onclick}>{ "Publier les résultats" }</button>
            if let Some(e) = &*error { <span class="inline-error" role="alert">{ e.form_message() }</span> }
        </span>
    }
}

#[function_component]
fn AdminSession(props: &SessionProps) -> Html {
    let s = props.session.clone();
    let checked = use_state(Vec::<i64>::new);
    let jury = use_state(|| s.juries.first().map(|j| j.id));
    let marking = use_state(|| None::<i64>);
    let reason = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);

    let act = {
        let (busy, error, on_change) = (busy.clone(), error.clone(), props.on_change.clone());
        move |fut: std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), FetchError>>>>| {
            let (busy, error, on_change) = (busy.clone(), error.clone(), on_change.clone());
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = fut.await;
                busy.set(false);
                match result {
                    Ok(()) => on_change.emit(()),
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let assign = {
        let (s, checked, jury, error) = (s.clone(), checked.clone(), jury.clone(), error.clone());
        let act = act.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(jury_id) = (*jury).or(s.juries.first().map(|j| j.id)) else {
                error.set(Some(refusal("Composez d'abord un jury.")));
                return;
            };
            if checked.is_empty() {
                error.set(Some(refusal("Cochez les candidats à affecter.")));
                return;
            }
            let mut ids = s
                .juries
                .iter()
                .find(|j| j.id == jury_id)
                .map(|j| j.candidates.clone())
                .unwrap_or_default();
            for c in checked.iter() {
                if !ids.contains(c) {
                    ids.push(*c);
                }
            }
            let checked = checked.clone();
            act(Box::pin(async move {
                api::assign_candidates(jury_id, ids).await?;
                checked.set(Vec::new());
                Ok(())
            }));
        })
    };
    let confirm_nonconforme = {
        let (marking, reason, error) = (marking.clone(), reason.clone(), error.clone());
        let act = act.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(id) = *marking else { return };
            let r = reason.trim().to_owned();
            if r.is_empty() {
                error.set(Some(refusal("Donnez le motif de non-conformité.")));
                return;
            }
            let (marking, reason) = (marking.clone(), reason.clone());
            act(Box::pin(async move {
                let input = ConformityInput {
                    conforme: false,
                    reason: Some(r),
                };
                api::set_conformity(id, &input).await?;
                marking.set(None);
                reason.set(String::new());
                Ok(())
            }));
        })
    };
    let jury_name = |id: Option<i64>| {
        id.and_then(|id| s.juries.iter().find(|j| j.id == id))
            .map(|j| j.name.clone())
            .unwrap_or_else(|| "—".to_owned())
    };
    let on_jury = {
        let jury = jury.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            jury.set(select.value().parse().ok());
        })
    };
    html! {
        <>
            <section class="block" id="candidates">
                <h2>{ format!("Candidats ({})", s.candidates.len()) }</h2>
                <div class="table-wrap">
                    <table class="data-table" id="candidates-table">
                        <thead><tr>
                            <th><span class="visually-hidden">{ "Cocher" }</span></th>
                            <th>{ "N°" }</th><th>{ "Candidat" }</th><th>{ "Classe" }</th>
                            <th>{ "Jury" }</th><th>{ "Conformité" }</th><th>{ "Grille" }</th>
                        </tr></thead>
                        <tbody>
                            { for s.candidates.iter().map(|c| {
                                let id = c.id;
                                let on_check = {
                                    let checked = checked.clone();
                                    Callback::from(move |_: Event| {
                                        let mut next = (*checked).clone();
                                        if let Some(i) = next.iter().position(|x| *x == id) { next.remove(i); } else { next.push(id); }
                                        checked.set(next);
                                    })
                                };
                                let mark = {
                                    let marking = marking.clone();
                                    Callback::from(move |_: MouseEvent| marking.set(Some(id)))
                                };
                                let restore = {
                                    let act = act.clone();
                                    Callback::from(move |_: MouseEvent| {
                                        act(Box::pin(async move {
                                            api::set_conformity(id, &ConformityInput { conforme: true, reason: None }).await
                                        }));
                                    })
                                };
                                html! {
                                    <tr data-candidate={id.to_string()}>
                                        <td><input type="checkbox" class="candidate-check" checked={checked.contains(&id)} onchange={on_check}
                                            aria-label={format!("Cocher {}", person(&c.student))} /></td>
                                        <td data-label="N°">{ c.number.clone() }</td>
                                        <td data-label="Candidat">{ person(&c.student) }</td>
                                        <td data-label="Classe">{ c.class_name.clone() }</td>
                                        <td data-label="Jury" class="candidate-jury">{ jury_name(c.jury_id) }</td>
                                        <td data-label="Conformité">
                                            if c.conforme {
                                                { "Conforme " }
                                                <button type="button" class="btn btn-small" onclick={mark}>{ "Non conforme…" }</button>
                                            } else {
                                                <span class="badge nonconforme">{ "Non conforme" }</span>
                                                <span class="small">{ format!(" {}", c.nonconformity_reason.clone().unwrap_or_default()) }</span>
                                                <button type="button" class="btn btn-small" onclick={restore}>{ "Rendre conforme" }</button>
                                            }
                                        </td>
                                        <td data-label="Grille">
                                            <Link<Route> to={Route::CandidateGrid { id }}>{ "Ouvrir" }</Link<Route>>
                                            { " " }
                                            <DownloadButton download={Download::CandidateGrid { candidate_id: id }} label="xlsx" />
                                        </td>
                                    </tr>
                                }
                            }) }
                        </tbody>
                    </table>
                </div>
                if let Some(cid) = *marking {
                    <div class="form-row" id="nonconformity-form">
                        <div class="field grow">
                            <label for="nonconformity-reason">
                                { format!("Motif de non-conformité ({})",
                                    s.candidates.iter().find(|c| c.id == cid).map(|c| person(&c.student)).unwrap_or_default()) }
                            </label>
                            <input id="nonconformity-reason" type="text" value={(*reason).clone()}
                                oninput={{ let reason = reason.clone(); Callback::from(move |e: InputEvent| {
                                    let input: HtmlInputElement = e.target_unchecked_into();
                                    reason.set(input.value());
                                }) }} />
                        </div>
                        <button type="button" class="btn btn-danger" id="nonconformity-submit" disabled={*busy} onclick={confirm_nonconforme}>{ "Marquer non conforme" }</button>
                        <button type="button" class="btn" onclick={{ let marking = marking.clone(); Callback::from(move |_: MouseEvent| marking.set(None)) }}>{ "Annuler" }</button>
                    </div>
                }
                if !s.juries.is_empty() {
                    <div class="form-row" id="assign-bar">
                        <div class="field">
                            <label for="assign-jury">{ "Affecter les candidats cochés au jury" }</label>
                            <select id="assign-jury" onchange={on_jury}>
                                { for s.juries.iter().map(|j| html! {
                                    <option value={j.id.to_string()} selected={*jury == Some(j.id)}>{ j.name.clone() }</option>
                                }) }
                            </select>
                        </div>
                        <button type="button" class="btn btn-primary" id="assign-submit" disabled={*busy} onclick={assign}>
                            { format!("Affecter ({})", checked.len()) }
                        </button>
                    </div>
                }
                { form_error(&error, "candidates-error") }
            </section>
            <section class="block" id="juries">
                <h2>{ "Jurys" }</h2>
                if s.juries.is_empty() {
                    <p class="muted">{ "Aucun jury composé." }</p>
                }
                <ul class="jury-list">
                    { for s.juries.iter().map(|j| html! {
                        <li data-jury={j.id.to_string()}>
                            <strong>{ j.name.clone() }</strong>
                            { format!(" : {} · {} candidat{}",
                                j.members.iter().map(|m| format!("{} ({})", person(&m.person), m.role.label())).collect::<Vec<_>>().join(", "),
                                j.candidates.len(), if j.candidates.len() > 1 { "s" } else { "" }) }
                        </li>
                    }) }
                </ul>
                <JuryForm session_id={s.id} on_created={props.on_change.clone()} />
            </section>
            <GridImport session_id={s.id} on_done={props.on_change.clone()} />
        </>
    }
}

#[derive(Properties, PartialEq)]
struct JuryFormProps {
    session_id: i64,
    on_created: Callback<()>,
}

/// Composes a jury among the teacher and jury accounts, each with a role.
#[function_component]
fn JuryForm(props: &JuryFormProps) -> Html {
    let accounts = use_api((), |()| async {
        let all: Vec<Account> = api::accounts(None, "").await?;
        Ok(all
            .into_iter()
            .filter(|a| a.roles.contains(&Role::Teacher) || a.roles.contains(&Role::Jury))
            .collect::<Vec<_>>())
    });
    let name = use_state(String::new);
    let members = use_state(Vec::<(i64, JuryRole)>::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let onsubmit = {
        let (name, members, busy, error) =
            (name.clone(), members.clone(), busy.clone(), error.clone());
        let (on_created, session_id) = (props.on_created.clone(), props.session_id);
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let input = JuryInput {
                name: name.trim().to_owned(),
                members: members
                    .iter()
                    .map(|(user_id, role)| JuryMemberInput {
                        user_id: *user_id,
                        role: *role,
                    })
                    .collect(),
            };
            let (busy, error, on_created, name, members) = (
                busy.clone(),
                error.clone(),
                on_created.clone(),
                name.clone(),
                members.clone(),
            );
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = api::create_jury(session_id, &input).await;
                busy.set(false);
                match result {
                    Ok(_) => {
                        name.set(String::new());
                        members.set(Vec::new());
                        on_created.emit(());
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let list = match &accounts {
        Load::Loading => html! { <Loading text="Chargement des comptes…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Comptes" /> },
        Load::Ready(list) => html! {
            <table class="data-table" id="jury-members">
                <thead><tr><th>{ "Membre" }</th><th>{ "Rôle dans le jury" }</th></tr></thead>
                <tbody>
                    { for list.iter().map(|a| {
                        let id = a.id;
                        let chosen = members.iter().find(|(u, _)| *u == id).map(|(_, r)| *r);
                        let default_role = if a.roles.contains(&Role::Teacher) { JuryRole::Teacher } else { JuryRole::Professional };
                        let toggle = {
                            let members = members.clone();
                            Callback::from(move |_: Event| {
                                let mut next = (*members).clone();
                                if let Some(i) = next.iter().position(|(u, _)| *u == id) { next.remove(i); } else { next.push((id, default_role)); }
                                members.set(next);
                            })
                        };
                        let on_role = {
                            let members = members.clone();
                            Callback::from(move |e: Event| {
                                let select: HtmlSelectElement = e.target_unchecked_into();
                                let Some(role) = JuryRole::parse(&select.value()) else { return };
                                let mut next = (*members).clone();
                                match next.iter_mut().find(|(u, _)| *u == id) {
                                    Some(m) => m.1 = role,
                                    None => next.push((id, role)),
                                }
                                members.set(next);
                            })
                        };
                        let role_now = chosen.unwrap_or(default_role);
                        html! {
                            <tr data-account={id.to_string()}>
                                <td><label class="check">
                                    <input type="checkbox" class="member-check" checked={chosen.is_some()} onchange={toggle} />
                                    { format!(" {} {}", a.first_name, a.last_name) }
                                    <span class="muted small">{ format!(" {}", a.email) }</span>
                                </label></td>
                                <td><select class="member-role" onchange={on_role} aria-label="Rôle dans le jury">
                                    { for [JuryRole::Teacher, JuryRole::Professional, JuryRole::Tutor].into_iter().map(|r| html! {
                                        <option value={r.as_str()} selected={r == role_now}>{ r.label() }</option>
                                    }) }
                                </select></td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        },
    };
    html! {
        <form class="block form" id="jury-form" {onsubmit}>
            <h3>{ "Composer un jury" }</h3>
            <TextField id="jury-name" label="Nom du jury" placeholder="Jury A" value={(*name).clone()} on_change={setter(&name)} />
            { list }
            { form_error(&error, "jury-error") }
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="jury-submit" disabled={*busy}>
                    { format!("Composer le jury ({} membre{})", members.len(), if members.len() > 1 { "s" } else { "" }) }
                </button>
            </div>
        </form>
    }
}

#[derive(Properties, PartialEq)]
struct GridImportProps {
    session_id: i64,
    on_done: Callback<()>,
}

fn plural(n: u32) -> &'static str {
    if n > 1 {
        "s"
    } else {
        ""
    }
}

/// Grids filled offline in the exported workbook: preview, then commit when clean.
#[function_component]
fn GridImport(props: &GridImportProps) -> Html {
    let file = use_state(|| None::<web_sys::File>);
    let report = use_state(|| None::<GridImportReport>);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let onchange = {
        let (file, report) = (file.clone(), report.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            file.set(input.files().and_then(|f| f.get(0)));
            report.set(None);
        })
    };
    let step = |commit: bool| {
        let (file, report, busy, error) =
            (file.clone(), report.clone(), busy.clone(), error.clone());
        let (id, on_done) = (props.session_id, props.on_done.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(f) = (*file).clone() else {
                error.set(Some(refusal("Choisissez le classeur rempli (xlsx).")));
                return;
            };
            let (report, busy, error, on_done) =
                (report.clone(), busy.clone(), error.clone(), on_done.clone());
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = api::import_grids(id, &f, commit).await;
                busy.set(false);
                match result {
                    Ok(r) => {
                        report.set(Some(r));
                        if commit {
                            on_done.emit(());
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let errors: Vec<String> = report
        .as_ref()
        .map(|r| r.issues.iter().map(|i| i.message.clone()).collect())
        .unwrap_or_default();
    html! {
        <section class="block" id="grid-import">
            <h2>{ "Importer des grilles remplies hors ligne" }</h2>
            <div class="form-row">
                <div class="field grow">
                    <label for="grid-import-file">{ "Classeur exporté puis rempli (xlsx)" }</label>
                    <input id="grid-import-file" type="file" accept=".xlsx" {onchange} />
                </div>
                <button type="button" class="btn" id="grid-import-preview" disabled={*busy} onclick={step(false)}>{ "Vérifier" }</button>
                if report.as_ref().is_some_and(|r| !r.committed) && errors.is_empty() {
                    <button type="button" class="btn btn-primary" id="grid-import-commit" disabled={*busy} onclick={step(true)}>{ "Importer" }</button>
                }
            </div>
            { form_error(&error, "grid-import-error") }
            if let Some(r) = &*report {
                if errors.is_empty() {
                    <p class="success" id="grid-import-ok">{ format!("{} : {} grille{} mise{} à jour, {} inchangée{}, {} verrouillée{} (ignorée{}).",
                        if r.committed { "Grilles importées" } else { "Aucune erreur, le classeur peut être importé" },
                        r.updated, plural(r.updated), plural(r.updated), r.unchanged, plural(r.unchanged),
                        r.locked, plural(r.locked), plural(r.locked)) }</p>
                } else {
                    <div class="error" role="alert" id="grid-import-errors">
                        <p class="error-title">{ format!("{} erreur{} : rien n'a été importé.", errors.len(), if errors.len() > 1 { "s" } else { "" }) }</p>
                        <ul>{ for errors.iter().map(|e| html! { <li>{ e.clone() }</li> }) }</ul>
                    </div>
                }
            }
        </section>
    }
}
