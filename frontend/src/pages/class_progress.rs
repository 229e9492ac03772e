//! "/classes/:id/suivi": a class's portfolios at a glance. A heatmap of students × items
//! (SVG; cells coloured by the latest level, hatched when only pending fiches show the
//! item, empty when none), a per-bloc bar chart (share of items evidenced in the class;
//! per student in the table), and what each student still misses before the exam; passeports to
//! download, one by one or the whole class in a zip (with a progress bar).

use passerelle_api::{ClassProgress, ProgressCell};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use super::portfolio::{bloc_bars, person, share_bar};
use super::student_progress::{cell_text, legend, level_colour};
use crate::api::{self, FetchError};
use crate::components::{Download, DownloadButton, ErrorMessage, Loading};
use crate::route::Route;
use crate::state::{use_api, Load};

/// Width of the names column, in SVG pixels.
const NAME_W: u32 = 180;
const ROW_H: u32 = 22;
const COL_W: u32 = 16;
/// Room for the bloc names and the rotated item codes above the cells.
const HEAD_H: u32 = 96;

#[derive(Properties, PartialEq)]
pub struct ClassProgressPageProps {
    pub id: i64,
}

#[function_component]
pub fn ClassProgressPage(props: &ClassProgressPageProps) -> Html {
    let progress = use_api(props.id, api::class_progress);
    let name = match &progress {
        Load::Ready(p) => p.class_name.clone(),
        _ => String::new(),
    };
    super::set_title(&format!("Suivi {name}"));
    let body = match &progress {
        Load::Loading => html! { <Loading text="Calcul du suivi de la classe…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Classe" /> },
        Load::Ready(p) if p.students.is_empty() => html! {
            <p class="empty">{ "Aucun élève dans cette classe." }</p>
        },
        Load::Ready(p) => html! { <>
            <div class="block">
                <h2>{ "Élèves × éléments" }</h2>
                { legend(&p.scale) }
                { heatmap(p) }
            </div>
            <div class="block">
                <h2>{ "Par bloc de compétences" }</h2>
                <p class="muted">{ "Part des éléments de chaque bloc montrés par au moins un élève (le détail par élève est dans le tableau ci-dessous)." }</p>
                { bloc_bars(&p.blocs) }
            </div>
            { missing(p) }
        </> },
    };
    html! {
        <section class="page page-wide">
            <nav class="breadcrumb" aria-label="Fil d'Ariane">
                <Link<Route> to={Route::Class { id: props.id }}>{ if name.is_empty() { "Classe".to_owned() } else { name.clone() } }</Link<Route>>
            </nav>
            <div class="page-head">
                <h1>{ "Suivi des portfolios" }</h1>
                <div class="toolbar">
                    <ClassZip class_id={props.id} />
                </div>
            </div>
            { body }
        </section>
    }
}

/// How a cell is drawn: its class, and its fill when a level colours it.
fn cell_style(cell: &ProgressCell, scale: usize) -> (&'static str, Option<String>) {
    match (cell.validated, cell.pending, cell.level) {
        (v, _, Some(l)) if v > 0 => ("cell-level", Some(level_colour(l, scale))),
        (v, _, None) if v > 0 => ("cell-validated", None),
        (0, p, _) if p > 0 => ("cell-pending", None),
        _ => ("cell-none", None),
    }
}

fn heatmap(p: &ClassProgress) -> Html {
    let cols = p.items.len() as u32;
    let width = NAME_W + cols.max(1) * COL_W + 8;
    let height = HEAD_H + p.students.len() as u32 * ROW_H + 4;
    // Bloc spans over the columns: (bloc, first column, count).
    let mut spans: Vec<(Option<String>, u32, u32)> = Vec::new();
    for (n, item) in p.items.iter().enumerate() {
        match spans.last_mut() {
            Some((b, _, count)) if *b == item.bloc => *count += 1,
            _ => spans.push((item.bloc.clone(), n as u32, 1)),
        }
    }
    let heads = p.items.iter().enumerate().map(|(n, item)| {
        let x = NAME_W + n as u32 * COL_W + COL_W / 2 + 4;
        html! {
            <text class="hm-code" transform={format!("translate({x} {}) rotate(-70)", HEAD_H - 4)} data-code={item.code.clone()}>
                <title>{ format!("{} {}{}", item.code, item.label, if item.ccf { " (CCF)" } else { "" }) }</title>
                { item.code.clone() }
            </text>
        }
    });
    let bands = spans.iter().enumerate().map(|(n, (bloc, first, count))| {
        let x = NAME_W + first * COL_W;
        html! {
            <g class="hm-bloc">
                <rect class={classes!("hm-band", (n % 2 == 1).then_some("odd"))} x={x.to_string()} y="0"
                    width={(count * COL_W).to_string()} height={height.to_string()} />
                <text class="hm-bloc-name" x={(x + 3).to_string()} y="12">
                    <title>{ bloc.clone().unwrap_or_else(|| "Hors bloc".to_owned()) }</title>
                    { if count * COL_W >= 40 { bloc.clone().unwrap_or_default() } else { String::new() } }
                </text>
            </g>
        }
    });
    let rows = p.students.iter().enumerate().map(|(r, s)| {
        let y = HEAD_H + r as u32 * ROW_H;
        let name = person(&s.student);
        html! {
            <g class="hm-row" transform={format!("translate(0 {y})")} data-student={s.student.id.to_string()}>
                <text class="hm-name" x="4" y={(ROW_H * 7 / 10).to_string()}>
                    <title>{ format!("{name} : {} fiche(s) validée(s), {} en attente", s.fiches_validated, s.fiches_pending) }</title>
                    { truncate(&name, 24) }
                </text>
                { for s.cells.iter().zip(&p.items).enumerate().map(|(n, (cell, item))| {
                    let (class, fill) = cell_style(cell, p.scale.len());
                    let x = NAME_W + n as u32 * COL_W + 4;
                    html! {
                        <rect class={classes!("hm-cell", class)} x={(x + 1).to_string()} y="3"
                            width={(COL_W - 2).to_string()} height={(ROW_H - 6).to_string()} rx="2"
                            style={fill.map(|f| format!("fill: {f}"))}
                            data-code={item.code.clone()} data-level={cell.level.map(|l| l.to_string())}
                            data-validated={cell.validated.to_string()} data-pending={cell.pending.to_string()}>
                            <title>{ format!("{name} — {} {} : {}", item.code, item.label, cell_text(cell, &p.scale)) }</title>
                        </rect>
                    }
                }) }
            </g>
        }
    });
    html! {
        <div class="coverage-scroll">
            <svg id="progress-heatmap" class="progress-svg" xmlns="http://www.w3.org/2000/svg"
                width={width.to_string()} height={height.to_string()} viewBox={format!("0 0 {width} {height}")}
                role="img" aria-label={format!("Niveaux : {} élèves × {} éléments", p.students.len(), p.items.len())}>
                <defs>
                    <pattern id="hm-hatch" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                        <rect width="4" height="4" fill="#f3f5f8" />
                        <line x1="0" y1="0" x2="0" y2="4" stroke="#9aa6b5" stroke-width="1.5" />
                    </pattern>
                </defs>
                { for bands }
                { for heads }
                { for rows }
            </svg>
        </div>
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// "Manque avant l'examen": per student, the CCF items without a validated fiche; per
/// CCF item, how many students lack it.
fn missing(p: &ClassProgress) -> Html {
    let mut students: Vec<_> = p.students.iter().collect();
    students.sort_by(|a, b| {
        b.missing
            .cmp(&a.missing)
            .then_with(|| a.student.last_name.cmp(&b.student.last_name))
    });
    let mut items: Vec<(usize, u32)> = p
        .items
        .iter()
        .enumerate()
        .filter(|(_, i)| i.ccf)
        .map(|(n, _)| {
            let lacking = p
                .students
                .iter()
                .filter(|s| s.cells.get(n).is_none_or(|c| c.validated == 0))
                .count() as u32;
            (n, lacking)
        })
        .filter(|(_, lacking)| *lacking > 0)
        .collect();
    items.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let total = p.students.len() as u32;
    html! {
        <div class="block" id="class-missing">
            <h2>{ "Manque avant l'examen" }</h2>
            <div class="table-wrap">
                <table class="data-table stack" id="class-missing-students">
                    <thead><tr>
                        <th>{ "Élève" }</th><th>{ "Éléments CCF sans fiche validée" }</th><th>{ "Montrés par bloc" }</th>
                        <th>{ "Fiches validées" }</th><th>{ "En attente" }</th><th>{ "Passeport" }</th>
                    </tr></thead>
                    <tbody>
                        { for students.into_iter().map(|s| html! {
                            <tr data-student={s.student.id.to_string()}>
                                <td data-label="Élève">
                                    <Link<Route> to={Route::StudentProgress { id: s.student.id }}>{ person(&s.student) }</Link<Route>>
                                </td>
                                <td data-label="Éléments CCF sans fiche validée" class="num">{ s.missing.to_string() }</td>
                                <td data-label="Montrés par bloc" class="bloc-counts">
                                    { for p.blocs.iter().zip(&s.blocs_evidenced).map(|(b, n)| html! {
                                        <span class="chip" title={format!("{} {}", b.code, b.label)}>{ format!("{} {n}/{}", b.code, b.items) }</span>
                                    }) }
                                </td>
                                <td data-label="Fiches validées" class="num">{ s.fiches_validated.to_string() }</td>
                                <td data-label="En attente" class="num">{ s.fiches_pending.to_string() }</td>
                                <td data-label="Passeport">
                                    <DownloadButton label="xlsx" download={Download::Passeport { student_id: s.student.id }} />
                                </td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
            if !items.is_empty() {
                <h3>{ "Éléments CCF les moins montrés" }</h3>
                <ul class="missing-list" id="class-missing-items">
                    { for items.into_iter().take(30).filter_map(|(n, lacking)| {
                        let item = p.items.get(n)?;
                        Some(html! {
                            <li data-code={item.code.clone()}>
                                <Link<Route> to={Route::Item { id: p.referential_id.clone(), code: item.code.clone() }} classes="code">{ item.code.clone() }</Link<Route>>
                                { format!(" {} ", item.label) }
                                { share_bar(total - lacking, total, &format!("Élèves ayant montré {}", item.code)) }
                            </li>
                        })
                    }) }
                </ul>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ClassZipProps {
    class_id: i64,
}

/// The class's passeports in one zip, with a progress bar while it downloads.
#[function_component]
fn ClassZip(props: &ClassZipProps) -> Html {
    let progress = use_state(|| None::<(f64, f64)>);
    let error = use_state(|| None::<FetchError>);
    let onclick = {
        let (progress, error, id) = (progress.clone(), error.clone(), props.class_id);
        Callback::from(move |_: MouseEvent| {
            if progress.is_some() {
                return;
            }
            let (progress, error) = (progress.clone(), error.clone());
            progress.set(Some((0.0, 0.0)));
            error.set(None);
            spawn_local(async move {
                let report = {
                    let progress = progress.clone();
                    Callback::from(move |p: (f64, f64)| progress.set(Some(p)))
                };
                let url = format!("/api/classes/{id}/passeports.zip");
                let result =
                    api::download_with_progress(&url, "application/zip", "passeports.zip", &report)
                        .await;
                progress.set(None);
                error.set(result.err());
            });
        })
    };
    html! {
        <span class="download-action">
            <button type="button" class="btn" id="class-zip" disabled={progress.is_some()} {onclick}>
                { "Passeports de la classe (zip)" }
            </button>
            if let Some((done, total)) = *progress {
                <span class="zip-progress" role="status">
                    if total > 0.0 {
                        <progress max={format!("{total}")} value={format!("{done}")}></progress>
                        { format!(" {:.0} %", done * 100.0 / total) }
                    } else {
                        <progress></progress>
                        { format!(" {} Ko", (done / 1024.0).round()) }
                    }
                </span>
            }
            if let Some(e) = &*error {
                <span class="inline-error" role="alert">{ e.form_message() }</span>
            }
        </span>
    }
}
