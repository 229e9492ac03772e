//! "/candidats/:id/grille": a candidate's CCF grid, made for a tablet. « Mon évaluation »:
//! the member's own levels (big radio cells, criteria × degrees) and comments; « Grille
//! commune »: each member's choice per criterion (disagreements highlighted), the agreed
//! levels, the proposed mark computed live, the final mark with its justification, the
//! signatures. A locked grid is read-only; an admin may reopen it with a reason.
//! "/mes-resultats": a student's published grids, read-only.

use std::collections::HashMap;
use std::rc::Rc;

use passerelle_api::{
    AgreedGridInput, CandidateGrid, CriterionLevel, GridComment, GridStatus, MemberAssessmentInput,
    Role,
};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::{self, FetchError};
use crate::components::{
    form_error, local_time_fr, Download, DownloadButton, ErrorMessage, Loading,
};
use crate::route::Route;
use crate::session::use_session;
use crate::state::{use_api, Load};

use super::{mark_fr, person};

#[derive(Properties, PartialEq)]
pub struct GridPageProps {
    pub id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Mine,
    Common,
}

/// The proposed mark of `levels` by the grid's rule, before anything is saved.
fn propose(grid: &CandidateGrid, levels: &HashMap<String, u8>) -> Option<f64> {
    let t = &grid.template;
    let chosen: Vec<Option<u8>> = t
        .criteria
        .iter()
        .map(|c| levels.get(&c.code).copied())
        .collect();
    let weights: Vec<f64> = t.criteria.iter().map(|c| c.weight).collect();
    t.rule.propose(&chosen, &weights, t.scale.len())
}

fn level_map(levels: &[CriterionLevel]) -> HashMap<String, u8> {
    levels.iter().map(|l| (l.code.clone(), l.level)).collect()
}

fn comment_map(comments: &[GridComment]) -> HashMap<String, String> {
    comments
        .iter()
        .map(|c| (c.field.clone(), c.text.clone()))
        .collect()
}

fn levels_of(grid: &CandidateGrid, map: &HashMap<String, u8>) -> Vec<CriterionLevel> {
    grid.template
        .criteria
        .iter()
        .filter_map(|c| {
            map.get(&c.code).map(|l| CriterionLevel {
                code: c.code.clone(),
                level: *l,
            })
        })
        .collect()
}

fn comments_of(grid: &CandidateGrid, map: &HashMap<String, String>) -> Vec<GridComment> {
    grid.template
        .comment_fields
        .iter()
        .filter_map(|f| {
            map.get(f)
                .filter(|t| !t.trim().is_empty())
                .map(|t| GridComment {
                    field: f.clone(),
                    text: t.trim().to_owned(),
                })
        })
        .collect()
}

/// The grid's status badge: « Ouverte » or « Verrouillée ».
pub fn status_badge(status: GridStatus) -> Html {
    match status {
        GridStatus::Open => {
            html! { <span class="badge grid-open" data-status="open">{ "Ouverte" }</span> }
        }
        GridStatus::Locked => {
            html! { <span class="badge grid-locked" data-status="locked">{ "Verrouillée" }</span> }
        }
    }
}

/// The grid criteria × degrees, read-only, the chosen level marked (students, locked grids).
pub fn readonly_grid(grid: &CandidateGrid) -> Html {
    let levels = level_map(&grid.levels);
    let t = &grid.template;
    html! {
        <>
            <div class="table-wrap">
                <table class="grid-table readonly">
                    <thead><tr>
                        <th>{ "Critère" }</th>
                        { for t.scale.iter().map(|d| html! { <th class="degree">{ d.clone() }</th> }) }
                    </tr></thead>
                    <tbody>
                        { for t.criteria.iter().map(|c| html! {
                            <tr data-code={c.code.clone()}>
                                <th scope="row" class="criterion">{ criterion_label(c) }</th>
                                { for (1..=t.scale.len()).map(|l| {
                                    let on = levels.get(&c.code) == Some(&(l as u8));
                                    html! { <td class={classes!("level-cell", on.then_some("chosen"))}>{ if on { "✕" } else { "" } }</td> }
                                }) }
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
            { for grid.comments.iter().map(|c| html! {
                <div class="grid-comment"><h3>{ c.field.clone() }</h3><p>{ c.text.clone() }</p></div>
            }) }
            <p class="grid-mark">
                { "Note : " }<strong class="final-mark">{ grid.final_mark.or(grid.proposed_mark).map(mark_fr).unwrap_or_else(|| "—".to_owned()) }</strong>
                { " / 20" }
            </p>
            if let Some(j) = &grid.justification {
                <p class="muted">{ format!("Justification : {j}") }</p>
            }
        </>
    }
}

fn criterion_label(c: &passerelle_api::GridCriterion) -> Html {
    html! {
        <>
            <span class="code">{ c.code.clone() }</span>{ " " }{ c.label.clone() }
            if (c.weight - 1.0).abs() > f64::EPSILON {
                <span class="muted small">{ format!(" (coef. {})", mark_fr(c.weight)) }</span>
            }
            if !c.indicators.is_empty() {
                <ul class="indicators">{ for c.indicators.iter().map(|i| html! { <li>{ i.clone() }</li> }) }</ul>
            }
        </>
    }
}

fn signatures(grid: &CandidateGrid) -> Html {
    html! {
        <section class="block signatures" id="signatures">
            <h2>{ "Signatures" }</h2>
            if grid.signatures.is_empty() {
                <p class="muted">{ "Aucune signature." }</p>
            } else {
                <ul>
                    { for grid.signatures.iter().map(|s| html! {
                        <li class="signature">{ format!("Signée par {} le {}", person(&s.member), local_time_fr(s.signed_at)) }</li>
                    }) }
                </ul>
            }
            if let Some(jury) = &grid.jury {
                <p class="muted small">{ format!("Jury : {}", jury.members.iter().map(|m| format!("{} ({})", person(&m.person), m.role.label())).collect::<Vec<_>>().join(", ")) }</p>
            }
        </section>
    }
}

#[function_component]
pub fn GridPage(props: &GridPageProps) -> Html {
    let id = props.id;
    let session = use_session();
    let me = session.as_ref().and_then(|s| s.me()).cloned();
    let loaded = use_api(id, |id| async move { api::candidate_grid(id).await });
    let fresh = use_state(|| None::<Rc<CandidateGrid>>);
    let generation = use_state(|| 0u32);
    let mode = use_state(|| None::<Mode>);
    let grid = match (&*fresh, &loaded) {
        (Some(g), _) => g.clone(),
        (None, Load::Ready(g)) => g.clone(),
        (None, Load::Loading) => {
            return html! { <main class="page"><Loading text="Chargement de la grille…" /></main> }
        }
        (None, Load::Failed(e)) => {
            return html! { <main class="page"><ErrorMessage error={e.clone()} what="Grille" /></main> }
        }
    };
    super::super::set_title(&format!("Grille de {}", person(&grid.candidate.student)));
    let me_id = me.as_ref().map(|m| m.id).unwrap_or_default();
    let admin = me.as_ref().is_some_and(|m| m.roles.contains(&Role::Admin));
    let member = grid
        .jury
        .as_ref()
        .is_some_and(|j| j.members.iter().any(|m| m.person.id == me_id));
    let mode_now = (*mode).unwrap_or(if member && grid.status == GridStatus::Open {
        Mode::Mine
    } else {
        Mode::Common
    });
    let on_saved = {
        let (fresh, generation) = (fresh.clone(), generation.clone());
        Callback::from(move |g: CandidateGrid| {
            fresh.set(Some(Rc::new(g)));
            generation.set(*generation + 1);
        })
    };
    let tab = |m: Mode, label: &'static str, id: &'static str| {
        let mode = mode.clone();
        html! {
            <button type="button" {id} role="tab" aria-selected={(mode_now == m).to_string()}
                class={classes!("tab", (mode_now == m).then_some("active"))}
                onclick={Callback::from(move |_: MouseEvent| mode.set(Some(m)))}>{ label }</button>
        }
    };
    let c = &grid.candidate;
    let locked = grid.status == GridStatus::Locked;
    html! {
        <main class="page grid-page">
            <nav class="breadcrumb">
                <Link<Route> to={Route::ExamSession { id: grid.session_id }}>{ grid.session_label.clone() }</Link<Route>>
            </nav>
            <div class="page-head">
                <h1 id="grid-title">{ format!("{} — {}", person(&c.student), grid.template.epreuve) }</h1>
                <p class="muted">
                    { format!("Candidat n° {} · {} · {} · {}", c.number, c.class_name, grid.template.title, grid.session_label) }
                </p>
                <p id="grid-status">
                    { status_badge(grid.status) }
                    if locked {
                        <span class="locked-note">{ format!(" Grille verrouillée{}", grid.locked_at.map(|t| format!(" le {}", local_time_fr(t))).unwrap_or_default()) }</span>
                    }
                    if !c.conforme {
                        <span class="badge nonconforme">{ format!("Non conforme : {}", c.nonconformity_reason.clone().unwrap_or_default()) }</span>
                    }
                </p>
                <div class="toolbar">
                    <DownloadButton download={Download::CandidateGrid { candidate_id: c.id }} label="Grille (xlsx)" id="grid-xlsx" />
                </div>
            </div>
            if !grid.portfolio.is_empty() {
                <section class="block portfolio-links" id="grid-portfolio">
                    <h2>{ "Portfolio validé" }</h2>
                    <ul class="inline-list">
                        { for grid.portfolio.iter().map(|f| html! {
                            <li><Link<Route> to={Route::Fiche { id: *f }}>{ format!("Fiche n° {f}") }</Link<Route>></li>
                        }) }
                    </ul>
                </section>
            }
            if member && !locked {
                <div class="tabs" role="tablist">
                    { tab(Mode::Mine, "Mon évaluation", "tab-mine") }
                    { tab(Mode::Common, "Grille commune", "tab-common") }
                </div>
            }
            if mode_now == Mode::Mine && member && !locked {
                <MineEditor key="mine" grid={grid.clone()} me={me_id} on_saved={on_saved.clone()} />
            } else {
                <CommonEditor key={format!("common-{}", *generation)} grid={grid.clone()} me={me_id}
                    {member} {admin} on_saved={on_saved.clone()} />
            }
            { signatures(&grid) }
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct EditorProps {
    grid: Rc<CandidateGrid>,
    me: i64,
    #[prop_or_default]
    member: bool,
    #[prop_or_default]
    admin: bool,
    on_saved: Callback<CandidateGrid>,
}

/// The table criteria × degrees with a radio per cell; `chips` adds, per cell, who chose it.
fn radio_table(
    grid: &CandidateGrid,
    prefix: &'static str,
    chosen: &HashMap<String, u8>,
    on_pick: Option<Callback<(String, u8)>>,
    chips: Option<&HashMap<(String, u8), Vec<String>>>,
) -> Html {
    let t = &grid.template;
    html! {
        <div class="table-wrap">
            <table class="grid-table" id={format!("{prefix}-grid")}>
                <thead><tr>
                    <th>{ "Critère" }</th>
                    { for t.scale.iter().map(|d| html! { <th class="degree">{ d.clone() }</th> }) }
                </tr></thead>
                <tbody>
                    { for t.criteria.iter().enumerate().map(|(row, c)| {
                        let disagreement = chips.is_some() && grid.disagreements.contains(&c.code);
                        html! {
                            <tr data-code={c.code.clone()} data-row={row.to_string()}
                                class={classes!(disagreement.then_some("disagreement"))}>
                                <th scope="row" class="criterion">
                                    { criterion_label(c) }
                                    if disagreement {
                                        <span class="badge disagreement-badge">{ "Désaccord" }</span>
                                    }
                                </th>
                                { for (1..=t.scale.len()).map(|l| {
                                    let level = l as u8;
                                    let on = chosen.get(&c.code) == Some(&level);
                                    let who = chips.and_then(|m| m.get(&(c.code.clone(), level)));
                                    let onchange = on_pick.clone().map(|cb| {
                                        let code = c.code.clone();
                                        Callback::from(move |_: Event| cb.emit((code.clone(), level)))
                                    });
                                    html! {
                                        <td class={classes!("level-cell", on.then_some("chosen"))}>
                                            <label class="level-choice" data-row={row.to_string()} data-level={l.to_string()}>
                                                <input type="radio" name={format!("{prefix}-{row}")} checked={on}
                                                    disabled={on_pick.is_none()} {onchange}
                                                    aria-label={format!("{} : {}", c.code, t.scale[l - 1])} />
                                                if let Some(who) = who {
                                                    <span class="who">{ for who.iter().map(|n| html! { <span class="who-chip">{ n.clone() }</span> }) }</span>
                                                }
                                            </label>
                                        </td>
                                    }
                                }) }
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </div>
    }
}

fn comment_boxes(
    grid: &CandidateGrid,
    prefix: &'static str,
    values: &HashMap<String, String>,
    on_edit: Option<Callback<(String, String)>>,
) -> Html {
    html! {
        { for grid.template.comment_fields.iter().enumerate().map(|(i, f)| {
            let id = format!("{prefix}-comment-{i}");
            let oninput = on_edit.clone().map(|cb| {
                let f = f.clone();
                Callback::from(move |e: InputEvent| {
                    let area: HtmlTextAreaElement = e.target_unchecked_into();
                    cb.emit((f.clone(), area.value()));
                })
            });
            html! {
                <div class="field grid-comment">
                    <label for={id.clone()}>{ f.clone() }</label>
                    <textarea id={id.clone()} rows="3" readonly={on_edit.is_none()}
                        value={values.get(f).cloned().unwrap_or_default()} {oninput}></textarea>
                </div>
            }
        }) }
    }
}

fn mark_line(label: &str, id: &'static str, mark: Option<f64>) -> Html {
    html! {
        <p class="grid-mark">
            { format!("{label} : ") }
            <strong {id}>{ mark.map(mark_fr).unwrap_or_else(|| "—".to_owned()) }</strong>{ " / 20" }
        </p>
    }
}

#[function_component]
fn MineEditor(props: &EditorProps) -> Html {
    let grid = props.grid.clone();
    let mine = grid.members.iter().find(|m| m.member.id == props.me);
    let levels = use_state(|| mine.map(|m| level_map(&m.levels)).unwrap_or_default());
    let comments = use_state(|| mine.map(|m| comment_map(&m.comments)).unwrap_or_default());
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let saved = use_state(|| false);
    let on_pick = {
        let (levels, saved) = (levels.clone(), saved.clone());
        Callback::from(move |(code, level): (String, u8)| {
            let mut next = (*levels).clone();
            next.insert(code, level);
            levels.set(next);
            saved.set(false);
        })
    };
    let on_edit = {
        let comments = comments.clone();
        Callback::from(move |(f, t): (String, String)| {
            let mut next = (*comments).clone();
            next.insert(f, t);
            comments.set(next);
        })
    };
    let onclick = {
        let (grid, levels, comments) = (grid.clone(), levels.clone(), comments.clone());
        let (busy, error, saved, on_saved) = (
            busy.clone(),
            error.clone(),
            saved.clone(),
            props.on_saved.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let input = MemberAssessmentInput {
                levels: levels_of(&grid, &levels),
                comments: comments_of(&grid, &comments),
            };
            let id = grid.candidate.id;
            let (busy, error, saved, on_saved) =
                (busy.clone(), error.clone(), saved.clone(), on_saved.clone());
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = api::save_my_assessment(id, &input).await;
                busy.set(false);
                match result {
                    Ok(g) => {
                        saved.set(true);
                        on_saved.emit(g);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let filled = levels.len();
    let total = grid.template.criteria.len();
    html! {
        <section class="block assessment" id="mine">
            <h2>{ "Mon évaluation" }</h2>
            { radio_table(&grid, "mine", &levels, Some(on_pick), None) }
            { comment_boxes(&grid, "mine", &comments, Some(on_edit)) }
            { mark_line("Note proposée d'après mes niveaux", "mine-mark", propose(&grid, &levels)) }
            { form_error(&error, "mine-error") }
            <div class="form-actions sticky-actions">
                <span class="muted">{ format!("{filled}/{total} critères évalués") }</span>
                <button type="button" class="btn btn-primary btn-large" id="save-mine" disabled={*busy} {onclick}>
                    { "Enregistrer mon évaluation" }
                </button>
                if *saved {
                    <span class="success-inline" id="mine-saved" role="status">{ "Évaluation enregistrée." }</span>
                }
            </div>
        </section>
    }
}

#[function_component]
fn CommonEditor(props: &EditorProps) -> Html {
    let grid = props.grid.clone();
    let editable = grid.can_edit && props.member;
    let levels = use_state(|| level_map(&grid.levels));
    let comments = use_state(|| comment_map(&grid.comments));
    let final_mark = use_state(|| {
        grid.final_mark
            .filter(|f| Some(*f) != grid.proposed_mark)
            .map(mark_fr)
            .unwrap_or_default()
    });
    let justification = use_state(|| grid.justification.clone().unwrap_or_default());
    let reason = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let dirty = use_state(|| false);

    // Who chose which level, per criterion.
    let mut chips: HashMap<(String, u8), Vec<String>> = HashMap::new();
    for m in &grid.members {
        for l in &m.levels {
            chips
                .entry((l.code.clone(), l.level))
                .or_default()
                .push(person(&m.member));
        }
    }
    let proposed = propose(&grid, &levels);
    let parsed_final = final_mark.trim().replace(',', ".").parse::<f64>().ok();
    let differs = parsed_final.is_some_and(|f| Some(f) != proposed);

    let on_pick = {
        let (levels, dirty) = (levels.clone(), dirty.clone());
        Callback::from(move |(code, level): (String, u8)| {
            let mut next = (*levels).clone();
            next.insert(code, level);
            levels.set(next);
            dirty.set(true);
        })
    };
    let on_edit = {
        let (comments, dirty) = (comments.clone(), dirty.clone());
        Callback::from(move |(f, t): (String, String)| {
            let mut next = (*comments).clone();
            next.insert(f, t);
            comments.set(next);
            dirty.set(true);
        })
    };
    let run = {
        let (busy, error, on_saved) = (busy.clone(), error.clone(), props.on_saved.clone());
        move |fut: std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<CandidateGrid, FetchError>>>,
        >| {
            let (busy, error, on_saved) = (busy.clone(), error.clone(), on_saved.clone());
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = fut.await;
                busy.set(false);
                match result {
                    Ok(g) => on_saved.emit(g),
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let save = {
        let (grid, levels, comments, justification) = (
            grid.clone(),
            levels.clone(),
            comments.clone(),
            justification.clone(),
        );
        let run = run.clone();
        Callback::from(move |_: MouseEvent| {
            let input = AgreedGridInput {
                levels: levels_of(&grid, &levels),
                comments: comments_of(&grid, &comments),
                final_mark: parsed_final.filter(|_| differs),
                justification: Some(justification.trim().to_owned())
                    .filter(|j| differs && !j.is_empty()),
            };
            let id = grid.candidate.id;
            run(Box::pin(
                async move { api::save_agreed_grid(id, &input).await },
            ));
        })
    };
    let sign = {
        let id = grid.candidate.id;
        let run = run.clone();
        Callback::from(move |_: MouseEvent| run(Box::pin(api::sign_grid(id))))
    };
    let reopen = {
        let (id, reason, error) = (grid.candidate.id, reason.clone(), error.clone());
        let run = run.clone();
        Callback::from(move |_: MouseEvent| {
            let r = reason.trim().to_owned();
            if r.is_empty() {
                error.set(Some(crate::components::refusal(
                    "Donnez le motif de la réouverture.",
                )));
                return;
            }
            run(Box::pin(api::reopen_grid(id, r)));
        })
    };
    let on_final = {
        let (final_mark, dirty) = (final_mark.clone(), dirty.clone());
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            final_mark.set(input.value());
            dirty.set(true);
        })
    };
    let on_justification = {
        let (justification, dirty) = (justification.clone(), dirty.clone());
        Callback::from(move |e: InputEvent| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            justification.set(area.value());
            dirty.set(true);
        })
    };
    let on_reason = {
        let reason = reason.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            reason.set(input.value());
        })
    };
    let signed_by_me = grid.signatures.iter().any(|s| s.member.id == props.me);
    let locked = grid.status == GridStatus::Locked;
    html! {
        <section class="block assessment" id="common">
            <h2>{ "Grille commune" }</h2>
            if !grid.disagreements.is_empty() {
                <p class="notice disagreements" id="disagreements">
                    { format!("Désaccord sur {} critère{} : {}", grid.disagreements.len(),
                        if grid.disagreements.len() > 1 { "s" } else { "" }, grid.disagreements.join(", ")) }
                </p>
            }
            { radio_table(&grid, "common", &levels, editable.then_some(on_pick), Some(&chips)) }
            { comment_boxes(&grid, "common", &comments, editable.then_some(on_edit)) }
            { mark_line("Note proposée", "proposed-mark", proposed) }
            if editable {
                <div class="form-row">
                    <div class="field">
                        <label for="final-mark">{ "Note finale (si différente)" }</label>
                        <input id="final-mark" type="number" min="0" max="20" step="0.5" inputmode="decimal"
                            value={(*final_mark).clone()} oninput={on_final} />
                    </div>
                    if differs {
                        <div class="field grow">
                            <label for="justification">{ "Justification de l'écart" }</label>
                            <textarea id="justification" rows="2" value={(*justification).clone()} oninput={on_justification}></textarea>
                        </div>
                    }
                </div>
            } else if let Some(f) = grid.final_mark.filter(|f| Some(*f) != grid.proposed_mark) {
                { mark_line("Note finale", "final-mark-read", Some(f)) }
                if let Some(j) = &grid.justification {
                    <p class="muted">{ format!("Justification : {j}") }</p>
                }
            }
            { form_error(&error, "common-error") }
            if editable {
                <div class="form-actions sticky-actions">
                    <button type="button" class="btn btn-primary btn-large" id="save-common" disabled={*busy} onclick={save}>
                        { "Enregistrer la grille commune" }
                    </button>
                    if signed_by_me {
                        <span class="muted" id="signed-by-me">{ "Vous avez signé." }</span>
                    } else {
                        <button type="button" class="btn btn-large" id="sign" disabled={*busy || *dirty} onclick={sign}
                            title={if *dirty { "Enregistrez d'abord la grille commune" } else { "" }}>
                            { "Signer" }
                        </button>
                    }
                </div>
            }
            if locked && props.admin {
                <div class="form-row reopen">
                    <div class="field grow">
                        <label for="reopen-reason">{ "Motif de réouverture" }</label>
                        <input id="reopen-reason" type="text" value={(*reason).clone()} oninput={on_reason} />
                    </div>
                    <button type="button" class="btn btn-danger" id="reopen" disabled={*busy} onclick={reopen}>{ "Rouvrir la grille" }</button>
                </div>
            }
        </section>
    }
}

/// "/mes-resultats": the student's grids of published sessions.
#[function_component]
pub fn MyResultsPage() -> Html {
    super::super::set_title("Mes résultats");
    let loaded = use_api((), |()| api::my_grids());
    let body = match &loaded {
        Load::Loading => html! { <Loading text="Chargement de vos résultats…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Résultats" /> },
        Load::Ready(grids) if grids.is_empty() => html! {
            <p class="empty" id="no-results">{ "Aucun résultat publié pour l'instant." }</p>
        },
        Load::Ready(grids) => html! {
            { for grids.iter().map(|g| html! {
                <section class="block my-grid" data-candidate={g.candidate.id.to_string()}>
                    <h2>{ format!("{} — {} ({})", g.template.epreuve, g.template.title, g.session_label) }</h2>
                    <p>{ status_badge(g.status) }</p>
                    { readonly_grid(g) }
                </section>
            }) }
        },
    };
    html! {
        <main class="page">
            <div class="page-head"><h1>{ "Mes résultats" }</h1></div>
            { body }
        </main>
    }
}
