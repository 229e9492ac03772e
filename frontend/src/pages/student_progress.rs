//! "/eleves/:id/suivi": what one student has shown of their class's referential (the
//! student themself, their teachers, the administration): per bloc the share of items
//! evidenced, per item the validated fiches and the latest level, and what is missing
//! before the exam; the passeport and portfolio downloads.

use passerelle_api::{FicheQuery, ProgressCell, ProgressItem, StudentProgress};
use serde::{Deserialize, Serialize};
use yew::prelude::*;
use yew_router::prelude::*;

use super::portfolio::{bloc_bars, fiche_cards, person};
use crate::api;
use crate::components::{Download, DownloadButton, ErrorMessage, KindBadge, Loading};
use crate::route::Route;
use crate::session::use_session;
use crate::state::{use_api, Load};

/// Query string of the page: which of the student's classes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classe: Option<i64>,
}

#[derive(Properties, PartialEq)]
pub struct StudentProgressPageProps {
    pub id: i64,
}

/// The colour of a level (1-based) on a scale of `n`: red for the lowest, green for the
/// highest.
pub fn level_colour(level: u8, n: usize) -> String {
    let n = n.max(2) as f64;
    let at = (f64::from(level.max(1)) - 1.0) / (n - 1.0);
    format!(
        "hsl({:.0}, 62%, {:.0}%)",
        8.0 + 122.0 * at.min(1.0),
        58.0 - 14.0 * at.min(1.0)
    )
}

/// What a cell says in words.
pub fn cell_text(cell: &ProgressCell, scale: &[String]) -> String {
    let mut parts = Vec::new();
    if let Some(l) = cell.level {
        let name = scale
            .get(usize::from(l).saturating_sub(1))
            .cloned()
            .unwrap_or_else(|| l.to_string());
        parts.push(format!("niveau « {name} »"));
    }
    match cell.validated {
        0 => {}
        1 => parts.push("1 fiche validée".to_owned()),
        n => parts.push(format!("{n} fiches validées")),
    }
    match cell.pending {
        0 => {}
        1 => parts.push("1 fiche en attente".to_owned()),
        n => parts.push(format!("{n} fiches en attente")),
    }
    if parts.is_empty() {
        "aucune fiche".to_owned()
    } else {
        parts.join(", ")
    }
}

#[function_component]
pub fn StudentProgressPage(props: &StudentProgressPageProps) -> Html {
    let class_id = use_location()
        .and_then(|l| l.query::<ProgressParams>().ok())
        .and_then(|p| p.classe);
    let session = use_session();
    let me = session.as_ref().and_then(|s| s.me()).map(|m| m.id);
    let own = me == Some(props.id);
    // Staff also see the student's fiches (a student has them on their portfolio).
    let loaded = use_api((props.id, class_id, own), |(id, class, own)| async move {
        let fiches = async move {
            if own {
                Ok(Vec::new())
            } else {
                let query = FicheQuery {
                    student_id: Some(id),
                    ..FicheQuery::default()
                };
                api::fiches(&query).await
            }
        };
        let (progress, fiches) = api::both(api::student_progress(id, class), fiches).await;
        Ok((progress?, fiches.unwrap_or_default()))
    });
    let (title, back) = if own {
        (
            "Ma progression".to_owned(),
            html! { <Link<Route> to={Route::Portfolio}>{ "Mon portfolio" }</Link<Route>> },
        )
    } else {
        let name = match &loaded {
            Load::Ready(l) => person(&l.0.student),
            _ => "l'élève".to_owned(),
        };
        let back = match &loaded {
            Load::Ready(l) => html! {
                <Link<Route> to={Route::ClassProgress { id: l.0.class_id }}>{ l.0.class_name.clone() }</Link<Route>>
            },
            _ => html! { <Link<Route> to={Route::Reviews}>{ "Fiches à relire" }</Link<Route>> },
        };
        (format!("Progression de {name}"), back)
    };
    super::set_title(&title);
    let body = match &loaded {
        Load::Loading => html! { <Loading text="Calcul de la progression…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Progression" /> },
        Load::Ready(l) => html! { <>
            { view(&l.0) }
            if !l.1.is_empty() {
                <div class="block">
                    <h2>{ format!("Fiches ({})", l.1.len()) }</h2>
                    { fiche_cards(&l.1, false) }
                </div>
            }
        </> },
    };
    html! {
        <section class="page">
            <nav class="breadcrumb" aria-label="Fil d'Ariane">{ back }</nav>
            <div class="page-head">
                <h1 id="progress-heading">{ title }</h1>
                <div class="toolbar">
                    <DownloadButton id="passeport-download" label="Passeport (xlsx)"
                        download={Download::Passeport { student_id: props.id }} />
                    <DownloadButton id="portfolio-download" label="Portfolio (zip)"
                        download={Download::Portfolio { student_id: props.id }} />
                </div>
            </div>
            { body }
        </section>
    }
}

/// One item of the progress and what the student showed of it.
type Row<'a> = (&'a ProgressItem, &'a ProgressCell);

fn view(p: &StudentProgress) -> Html {
    let label_of = |code: &str| {
        p.items
            .iter()
            .find(|i| i.code == code)
            .map(|i| i.label.clone())
            .unwrap_or_default()
    };
    // Items by bloc, in referential order.
    let mut blocs: Vec<(Option<String>, Vec<Row>)> = Vec::new();
    for (item, cell) in p.items.iter().zip(&p.cells) {
        match blocs.iter_mut().find(|(b, _)| *b == item.bloc) {
            Some((_, list)) => list.push((item, cell)),
            None => blocs.push((item.bloc.clone(), vec![(item, cell)])),
        }
    }
    let bloc_title = |code: &Option<String>| match code {
        Some(c) => p
            .blocs
            .iter()
            .find(|b| b.code == *c)
            .map_or_else(|| c.clone(), |b| format!("{} {}", b.code, b.label)),
        None => "Hors bloc".to_owned(),
    };
    html! { <>
        <p class="meta" id="progress-summary">
            <span>{ p.class_name.clone() }</span>
            <span>{ format!("{} fiche(s) validée(s)", p.fiches_validated) }</span>
            <span>{ format!("{} en attente de relecture", p.fiches_pending) }</span>
        </p>
        <div class="block">
            <h2>{ "Par bloc de compétences" }</h2>
            { bloc_bars(&p.blocs) }
        </div>
        <div class="block" id="progress-missing">
            <h2>{ format!("Manque avant l'examen ({})", p.missing.len()) }</h2>
            if p.missing.is_empty() {
                <p class="notice notice-ok">{ "Tout ce que les épreuves en CCF demandent est montré par une fiche validée." }</p>
            } else {
                <p class="muted">{ "Éléments demandés par une épreuve en CCF sans aucune fiche validée." }</p>
                <ul class="missing-list">
                    { for p.missing.iter().map(|code| html! {
                        <li data-code={code.clone()}>
                            <Link<Route> to={Route::Item { id: p.referential_id.clone(), code: code.clone() }} classes="code">{ code.clone() }</Link<Route>>
                            { format!(" {}", label_of(code)) }
                        </li>
                    }) }
                </ul>
            }
        </div>
        <div class="block" id="progress-items">
            <h2>{ "Élément par élément" }</h2>
            { legend(&p.scale) }
            { for blocs.into_iter().map(|(bloc, rows)| {
                let shown = rows.iter().filter(|(_, c)| c.validated > 0).count();
                html! {
                    <details class="item-group" open={shown > 0}>
                        <summary>
                            <span class="item-group-title">{ bloc_title(&bloc) }</span>
                            <span class="muted small">{ format!(" {shown}/{} montrés", rows.len()) }</span>
                        </summary>
                        <ul class="progress-rows">
                            { for rows.into_iter().map(|(item, cell)| {
                                let state = if cell.validated > 0 { "evidenced" } else if cell.pending > 0 { "pending" } else { "none" };
                                html! {
                                    <li class={classes!("progress-row", state)} data-code={item.code.clone()} data-state={state}
                                        data-level={cell.level.map(|l| l.to_string())}>
                                        <span class="progress-swatch" aria-hidden="true"
                                            style={cell.level.filter(|_| cell.validated > 0).map(|l| format!("background: {}", level_colour(l, p.scale.len())))}></span>
                                        <span class="code">{ item.code.clone() }</span>
                                        <KindBadge kind={item.kind} />
                                        <span class="progress-label">{ item.label.clone() }</span>
                                        <span class="progress-state">{ cell_text(cell, &p.scale) }</span>
                                    </li>
                                }
                            }) }
                        </ul>
                    </details>
                }
            }) }
        </div>
    </> }
}

/// The colours of the levels, the pending and the empty cells.
pub fn legend(scale: &[String]) -> Html {
    html! {
        <ul class="level-legend">
            { for scale.iter().enumerate().map(|(n, name)| html! {
                <li><span class="progress-swatch" style={format!("background: {}", level_colour((n + 1) as u8, scale.len()))}></span>{ name.clone() }</li>
            }) }
            <li><span class="progress-swatch pending"></span>{ "en attente de relecture" }</li>
            <li><span class="progress-swatch"></span>{ "aucune fiche" }</li>
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::{cell_text, level_colour};
    use passerelle_api::ProgressCell;

    #[test]
    fn levels_go_from_red_to_green() {
        assert_eq!(level_colour(1, 4), "hsl(8, 62%, 58%)");
        assert_eq!(level_colour(4, 4), "hsl(130, 62%, 44%)");
        // Out of range stays in range.
        assert_eq!(level_colour(9, 4), level_colour(4, 4));
    }

    #[test]
    fn cells_in_words() {
        let scale = vec!["Non acquis".to_owned(), "Acquis".to_owned()];
        let cell = ProgressCell {
            validated: 1,
            pending: 2,
            level: Some(2),
        };
        assert_eq!(
            cell_text(&cell, &scale),
            "niveau « Acquis », 1 fiche validée, 2 fiches en attente"
        );
        assert_eq!(cell_text(&ProgressCell::default(), &scale), "aucune fiche");
    }
}
