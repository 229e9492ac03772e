//! Student portfolios: "/portfolio" (a student's fiches and progress per bloc),
//! "/portfolio/nouvelle" and "/fiches/:id/modifier" (the fiche editor, made for a phone),
//! "/fiches/:id" (one fiche read-only, its comments and history; the teacher's review).

mod detail;
mod editor;

pub use detail::FichePage;
pub use editor::FicheEditorPage;

use std::collections::HashMap;

use passerelle_api::{
    BlocProgress, FicheQuery, FicheStatus, FicheSummary, ItemKind, PersonRef, ReferentialDetail,
    StudentProgress,
};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::components::{date_fr, local_time_fr, ErrorMessage, Loading};
use crate::route::Route;
use crate::session::{full_name, use_session};
use crate::state::{use_api, Load};

/// Kinds a fiche can show (the server refuses the others).
pub const MAPPABLE_KINDS: [ItemKind; 3] =
    [ItemKind::Task, ItemKind::Situation, ItemKind::Competency];

/// The French label of a fiche's status; a fiche submitted again says so.
pub fn status_label(status: FicheStatus, submissions: u32) -> &'static str {
    match status {
        FicheStatus::Submitted if submissions > 1 => "Soumise à nouveau",
        other => other.label(),
    }
}

pub fn fiche_status_badge(status: FicheStatus, submissions: u32) -> Html {
    html! {
        <span class={classes!("badge", "fiche-status", format!("fiche-{}", status.as_str()))}
            data-status={status.as_str()} data-submissions={submissions.to_string()}>
            { status_label(status, submissions) }
        </span>
    }
}

pub fn person(p: &PersonRef) -> String {
    full_name(&p.first_name, &p.last_name)
}

/// A bar showing `done` out of `total` (a share), with its text.
pub fn share_bar(done: u32, total: u32, label: &str) -> Html {
    let pct = if total == 0 {
        0.0
    } else {
        f64::from(done) * 100.0 / f64::from(total)
    };
    html! {
        <div class="share" role="img" aria-label={format!("{label} : {done} sur {total}")}>
            <span class="share-track"><span class="share-fill" style={format!("width: {pct:.1}%")}></span></span>
            <span class="share-text">{ format!("{done}/{total}") }</span>
        </div>
    }
}

/// The bloc (or, failing one, the top ancestor) of every item of a referential, by code.
pub fn groups_of(detail: &ReferentialDetail) -> HashMap<String, String> {
    let by_code: HashMap<&str, (Option<&str>, ItemKind)> = detail
        .items
        .iter()
        .map(|i| (i.code.as_str(), (i.parent.as_deref(), i.kind)))
        .collect();
    let mut out = HashMap::new();
    for item in &detail.items {
        let mut at = item.code.as_str();
        let mut top = at;
        for _ in 0..32 {
            match by_code.get(at) {
                Some((_, ItemKind::Bloc)) => {
                    top = at;
                    break;
                }
                Some((Some(parent), _)) => {
                    at = parent;
                    top = at;
                }
                _ => break,
            }
        }
        out.insert(item.code.clone(), top.to_owned());
    }
    out
}

/// Per-bloc shares of items evidenced (validated fiches).
pub fn bloc_bars(blocs: &[BlocProgress]) -> Html {
    html! {
        <ul class="bloc-bars" id="bloc-bars">
            { for blocs.iter().map(|b| html! {
                <li class="bloc-bar" data-code={b.code.clone()} data-evidenced={b.evidenced.to_string()}
                    data-items={b.items.to_string()}>
                    <span class="bloc-name">
                        <span class="code">{ b.code.clone() }</span>
                        { format!(" {}", b.label) }
                        if !b.units.is_empty() {
                            <span class="muted small">{ format!(" · {}", b.units.join(", ")) }</span>
                        }
                        if b.ccf {
                            <span class="badge ccf-badge">{ "CCF" }</span>
                        }
                    </span>
                    { share_bar(b.evidenced, b.items, &format!("Éléments montrés du bloc {}", b.code)) }
                </li>
            }) }
        </ul>
    }
}

/// "/portfolio": the student's fiches, newest first, and their progress per bloc.
#[function_component]
pub fn PortfolioPage() -> Html {
    super::set_title("Mon portfolio");
    let session = use_session();
    let me = session.as_ref().and_then(|s| s.me()).map(|m| m.id);
    // Progress is a bonus here: its absence never hides the fiches.
    let loaded = use_api(me, |me| async move {
        let progress = async move {
            match me {
                Some(id) => api::student_progress(id, None).await.ok(),
                None => None,
            }
        };
        let (list, progress) = api::both(api::fiches(&FicheQuery::default()), progress).await;
        Ok((list?, progress))
    });
    let body = match &loaded {
        Load::Loading => html! { <Loading text="Chargement de vos fiches…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Fiches" /> },
        Load::Ready(loaded) => {
            let (list, progress) = &**loaded;
            html! { <>
                if let (Some(p), Some(id)) = (progress, me) {
                    { progress_summary(p, id) }
                }
                if list.is_empty() {
                    <p class="empty" id="fiches-empty">
                        { "Vous n'avez encore aucune fiche. Créez-en une pour chaque situation vécue : un exercice PGI, une période en entreprise, une étude de cas." }
                    </p>
                } else {
                    { fiche_cards(list, false) }
                }
            </> }
        }
    };
    html! {
        <section class="page">
            <div class="page-head">
                <div class="page-intro">
                    <h1>{ "Mon portfolio" }</h1>
                    <p class="lead">{ "Vos fiches de situation professionnelle : ce que vous avez fait, où, et ce que cela montre." }</p>
                </div>
                <div class="toolbar">
                    <Link<Route> to={Route::FicheNew} classes="btn btn-primary btn-large">
                        <span id="fiche-new">{ "Nouvelle fiche" }</span>
                    </Link<Route>>
                </div>
            </div>
            { body }
        </section>
    }
}

fn progress_summary(p: &StudentProgress, me: i64) -> Html {
    html! {
        <div class="block progress-summary" id="portfolio-progress">
            <h2>{ "Ma progression" }</h2>
            <p class="meta">
                <span>{ format!("{} fiche(s) validée(s)", p.fiches_validated) }</span>
                <span>{ format!("{} en attente de relecture", p.fiches_pending) }</span>
                if !p.missing.is_empty() {
                    <span class="warn-text">{ format!("{} élément(s) à montrer avant l'examen", p.missing.len()) }</span>
                }
            </p>
            { bloc_bars(&p.blocs) }
            <p>
                <Link<Route> to={Route::StudentProgress { id: me }} classes="btn">
                    <span id="portfolio-progress-link">{ "Voir le détail" }</span>
                </Link<Route>>
            </p>
        </div>
    }
}

/// Fiches as cards (a phone shows one per line); `staff`: with the student's name.
pub fn fiche_cards(list: &[FicheSummary], staff: bool) -> Html {
    html! {
        <ul class="fiche-cards" id="fiche-list">
            { for list.iter().map(|f| html! {
                <li class="fiche-card" data-fiche={f.id.to_string()} data-status={f.status.as_str()}>
                    <div class="fiche-card-head">
                        <Link<Route> to={Route::Fiche { id: f.id }} classes="fiche-link">{ f.title.clone() }</Link<Route>>
                        { fiche_status_badge(f.status, f.submissions) }
                    </div>
                    <p class="meta">
                        if staff {
                            <span class="fiche-student">{ person(&f.student) }</span>
                            <span>{ f.class_name.clone() }</span>
                        }
                        <span>{ f.context.label() }</span>
                        if let Some(d) = f.starts_on {
                            <span>{ date_fr(d) }</span>
                        }
                        <span>{ format!("{} élément(s)", f.items.len()) }</span>
                        if f.attachments > 0 {
                            <span>{ format!("{} pièce(s) jointe(s)", f.attachments) }</span>
                        }
                        <span>{ match f.submitted_at {
                            Some(at) if staff => format!("soumise le {}", local_time_fr(at)),
                            _ => format!("modifiée le {}", local_time_fr(f.updated_at)),
                        } }</span>
                    </p>
                </li>
            }) }
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::status_label;
    use passerelle_api::FicheStatus;

    #[test]
    fn a_fiche_submitted_again_says_so() {
        assert_eq!(status_label(FicheStatus::Submitted, 1), "Soumise");
        assert_eq!(status_label(FicheStatus::Submitted, 2), "Soumise à nouveau");
        assert_eq!(status_label(FicheStatus::Returned, 2), "À reprendre");
        assert_eq!(status_label(FicheStatus::Draft, 0), "Brouillon");
    }
}
