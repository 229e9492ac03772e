//! "/classes/:id/couverture": which items of the class's referential its exercises
//! practise, drawn as an SVG heatmap (items × exercises in date order), and a second view
//! of blocs × ISO weeks computed here from the same rows.

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use chrono::{Datelike, Duration, NaiveDate};
use passerelle_api::{Coverage, CoverageRow, CoverageStatus, ItemKind, LinkStrength};
use web_sys::HtmlSelectElement;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::{self, CoverageQuery};
use crate::components::{date_fr, Download, DownloadButton, ErrorMessage, Loading, TextField};
use crate::route::Route;
use crate::state::{use_api, Load};

/// Width of the label column, in SVG pixels.
const LABEL_W: u32 = 400;
const ROW_H: u32 = 22;
const COL_W: u32 = 26;
const HEAD_H: u32 = 170;
const WEEK_W: u32 = 46;
const WEEK_HEAD_H: u32 = 44;
/// Room kept at the right of the label column for the count or status dot.
const LABEL_END: u32 = 52;
/// Room at the right of the matrix for the last rotated column titles.
const HEAD_OVERHANG: u32 = 110;
/// Characters of an exercise title in a column head.
const TITLE_CHARS: usize = 26;
/// Longest span of an exercise counted in the weekly view, in weeks.
const MAX_WEEKS: i64 = 12;

fn status_name(s: CoverageStatus) -> &'static str {
    match s {
        CoverageStatus::Gap => "gap",
        CoverageStatus::Planned => "planned",
        CoverageStatus::Done => "done",
    }
}

fn strength_name(s: LinkStrength) -> &'static str {
    match s {
        LinkStrength::Main => "main",
        LinkStrength::Secondary => "secondary",
        LinkStrength::Implied => "implied",
    }
}

fn strength_label(s: LinkStrength) -> &'static str {
    match s {
        LinkStrength::Main => "principale",
        LinkStrength::Secondary => "secondaire",
        LinkStrength::Implied => "par correspondance",
    }
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Grouping rows (depth 0 and 1) and kinds of mappable rows, for the filters; taken from
/// the unfiltered matrix so that filtering keeps every choice.
#[derive(Debug, Clone, Default, PartialEq)]
struct FilterChoices {
    groups: Vec<(String, String, u32)>,
    kinds: Vec<ItemKind>,
}

impl FilterChoices {
    fn of(c: &Coverage) -> FilterChoices {
        let groups = c
            .rows
            .iter()
            .filter(|r| !r.mappable && r.depth <= 1)
            .map(|r| (r.code.clone(), r.label.clone(), r.depth))
            .collect();
        let kinds: BTreeSet<ItemKind> = c
            .rows
            .iter()
            .filter(|r| r.mappable)
            .map(|r| r.kind)
            .collect();
        FilterChoices {
            groups,
            kinds: kinds.into_iter().collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Matrix,
    Weeks,
}

#[derive(Properties, PartialEq)]
pub struct CoveragePageProps {
    pub id: i64,
}

#[function_component]
pub fn CoveragePage(props: &CoveragePageProps) -> Html {
    let query = use_state(CoverageQuery::default);
    let view = use_state(|| View::Matrix);
    let choices = use_state(FilterChoices::default);
    let coverage = use_api((props.id, (*query).clone()), |(id, q)| async move {
        api::coverage(id, &q).await
    });
    {
        let choices = choices.clone();
        let unfiltered = query.under.is_none() && query.kind.is_none();
        let loaded = match &coverage {
            Load::Ready(c) if unfiltered => Some(Rc::clone(c)),
            _ => None,
        };
        use_effect_with(loaded, move |loaded| {
            if let Some(c) = loaded {
                choices.set(FilterChoices::of(c));
            }
        });
    }

    let class_name = match &coverage {
        Load::Ready(c) => c.class_name.clone().unwrap_or_default(),
        _ => String::new(),
    };
    super::set_title(&format!("Couverture {class_name}"));

    let on_under = {
        let query = query.clone();
        Callback::from(move |e: Event| {
            let s: HtmlSelectElement = e.target_unchecked_into();
            let mut q = (*query).clone();
            q.under = Some(s.value()).filter(|v| !v.is_empty());
            query.set(q);
        })
    };
    let on_kind = {
        let query = query.clone();
        Callback::from(move |e: Event| {
            let s: HtmlSelectElement = e.target_unchecked_into();
            let mut q = (*query).clone();
            q.kind = s.value().parse().ok();
            query.set(q);
        })
    };
    let on_date = {
        let query = query.clone();
        Callback::from(move |v: String| {
            let mut q = (*query).clone();
            q.on = v.parse().ok();
            query.set(q);
        })
    };
    let shown_on = match (&coverage, query.on) {
        (_, Some(on)) => on.to_string(),
        (Load::Ready(c), None) => c.on.to_string(),
        _ => String::new(),
    };
    let tab = |v: View, label: &str, id: &str| {
        let on = *view == v;
        let onclick = {
            let view = view.clone();
            Callback::from(move |_: MouseEvent| view.set(v))
        };
        html! {
            <button type="button" id={id.to_owned()} role="tab" aria-selected={on.to_string()}
                class={classes!("chip", on.then_some("pressed"))} {onclick}>{ label.to_owned() }</button>
        }
    };

    let filters = html! {
        <div class="toolbar coverage-filters">
            <div class="field">
                <label for="coverage-under">{ "Bloc" }</label>
                <select id="coverage-under" onchange={on_under}>
                    <option value="" selected={query.under.is_none()}>{ "Tout le référentiel" }</option>
                    { for choices.groups.iter().map(|(code, label, depth)| html! {
                        <option value={code.clone()} selected={query.under.as_deref() == Some(code)}>
                            { format!("{}{code} {}", if *depth > 0 { "— " } else { "" }, truncate(label, 60)) }
                        </option>
                    }) }
                </select>
            </div>
            <div class="field">
                <label for="coverage-kind">{ "Éléments" }</label>
                <select id="coverage-kind" onchange={on_kind}>
                    <option value="" selected={query.kind.is_none()}>{ "Tous" }</option>
                    { for choices.kinds.iter().map(|k| html! {
                        <option value={k.as_str()} selected={query.kind == Some(*k)}>{ k.plural_fr() }</option>
                    }) }
                </select>
            </div>
            <TextField id="coverage-on" label="Au" kind="date" required=false value={shown_on}
                on_change={on_date} />
            <div class="field">
                <span class="label">{ "Vue" }</span>
                <div class="chips" role="tablist">
                    { tab(View::Matrix, "Éléments × exercices", "view-matrix") }
                    { tab(View::Weeks, "Blocs × semaines", "view-weeks") }
                </div>
            </div>
            <DownloadButton id="coverage-download" label="Télécharger (xlsx)"
                download={Download::Coverage { class_id: props.id, query: (*query).clone() }} />
        </div>
    };

    let body = match &coverage {
        Load::Loading => html! { <Loading text="Calcul de la couverture…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Classe" /> },
        Load::Ready(c) => html! { <>
            <p class="coverage-summary" id="coverage-summary"
                data-total={c.total_items.to_string()} data-covered={c.covered_items.to_string()}
                data-done={c.done_items.to_string()}>
                <strong>{ format!("{} items sur {} couverts", c.covered_items, c.total_items) }</strong>
                { format!(", {} travaillés au {}", c.done_items, date_fr(c.on)) }
                <span class="muted">{ format!(" · {} · {} exercice(s)", c.referential_title, c.exercises.len()) }</span>
            </p>
            { legend() }
            if c.exercises.is_empty() {
                <p class="notice" id="coverage-no-exercise">
                    { "Aucun exercice dans la progression de la classe : tous les éléments sont à couvrir. " }
                    <Link<Route> to={Route::Class { id: props.id }}>{ "Ajouter des exercices" }</Link<Route>>
                </p>
            }
            if c.rows.is_empty() {
                <p class="empty">{ "Aucun élément pour ces filtres." }</p>
            } else if *view == View::Matrix {
                { matrix(c) }
            } else {
                { weeks(c) }
            }
        </> },
    };

    html! {
        <section class="page page-wide">
            <nav class="breadcrumb" aria-label="Fil d'Ariane">
                <Link<Route> to={Route::Class { id: props.id }}>{ if class_name.is_empty() { "Classe".to_owned() } else { class_name.clone() } }</Link<Route>>
            </nav>
            <h1>{ "Couverture du référentiel" }</h1>
            { filters }
            { body }
        </section>
    }
}

fn legend() -> Html {
    let swatch = |class: &str, label: &str| {
        html! {
            <li><svg width="16" height="16" aria-hidden="true"><rect class={class.to_owned()} x="1" y="1" width="14" height="14" rx="2" /></svg>{ label.to_owned() }</li>
        }
    };
    html! {
        <ul class="coverage-legend" id="coverage-legend">
            { swatch("cov-cell strength-main", "compétence principale") }
            { swatch("cov-cell strength-secondary", "secondaire") }
            { swatch("cov-cell strength-implied", "par correspondance") }
            { swatch("cov-cell strength-main planned", "exercice à venir") }
            { swatch("cov-bg status-gap", "élément non couvert") }
        </ul>
    }
}

/// Hatching of the "implied" cells, shared by the legend and the matrices.
fn defs() -> Html {
    html! {
        <defs>
            <pattern id="cov-hatch" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                <rect width="5" height="5" fill="#eef3fa" />
                <line x1="0" y1="0" x2="0" y2="5" stroke="#7fa7dc" stroke-width="2" />
            </pattern>
        </defs>
    }
}

fn row_label(r: &CoverageRow) -> Html {
    let indent = 8 + r.depth * 14;
    let full = format!("{} {}", r.code, r.label);
    // Room left of the count (or status dot), at ~6.7 px a character (7.4 in bold).
    let per_char = if r.mappable { 6.7 } else { 7.4 };
    let room = (f64::from(LABEL_W.saturating_sub(indent + LABEL_END)) / per_char) as usize;
    let label_room = room.saturating_sub(r.code.chars().count() + 1).max(8);
    html! {
        <text x={indent.to_string()} y={(ROW_H * 7 / 10).to_string()}
            class={classes!("cov-label", (!r.mappable).then_some("group"))}>
            <title>{ full }</title>
            <tspan class="cov-code">{ r.code.clone() }</tspan>
            { format!(" {}", truncate(&r.label, label_room)) }
        </text>
    }
}

/// Count of a grouping row: covered items of all its items ("12/30").
fn row_count(r: &CoverageRow) -> Html {
    let covered = r.items_done + r.items_planned;
    html! {
        <text x={(LABEL_W - 8).to_string()} y={(ROW_H * 7 / 10).to_string()} class="cov-count" text-anchor="end">
            <title>{ format!("{covered} couverts sur {}, dont {} travaillés", r.items, r.items_done) }</title>
            { format!("{covered}/{}", r.items) }
        </text>
    }
}

/// Items × exercises: one row per item, one column per exercise in date order.
fn matrix(c: &Coverage) -> Html {
    let cols = c.exercises.len() as u32;
    let width = LABEL_W + cols.max(1) * COL_W + HEAD_OVERHANG;
    let height = HEAD_H + c.rows.len() as u32 * ROW_H + 4;
    // Columns in date order (undated last), whatever the order of `exercises`.
    let mut order: Vec<usize> = (0..c.exercises.len()).collect();
    order.sort_by_key(|&i| {
        let e = &c.exercises[i];
        (e.starts_on.is_none(), e.starts_on, e.ends_on, i)
    });
    let mut column = vec![0u32; c.exercises.len()];
    for (col, &i) in order.iter().enumerate() {
        column[i] = col as u32;
    }
    let heads = order.iter().enumerate().map(|(col, &i)| {
        let e = &c.exercises[i];
        let x = LABEL_W + col as u32 * COL_W + COL_W / 2;
        let date = e.starts_on.map(|d| format!("{:02}/{:02} ", d.day(), d.month())).unwrap_or_default();
        let span = match (e.starts_on, e.ends_on) {
            (Some(s), Some(t)) if s != t => format!(" (du {} au {})", date_fr(s), date_fr(t)),
            (Some(s), _) => format!(" ({})", date_fr(s)),
            _ => String::new(),
        };
        html! {
            <g class={classes!("cov-col", (!e.done).then_some("planned"))} data-exercise={e.exercise_id.to_string()}
                data-done={e.done.to_string()}>
                <text class="cov-col-title" transform={format!("translate({x} {}) rotate(-60)", HEAD_H - 6)}>
                    <title>{ format!("{}{span}{}", e.title, if e.done { "" } else { " — à venir" }) }</title>
                    <tspan class="cov-date">{ date }</tspan>
                    { truncate(&e.title, TITLE_CHARS) }
                </text>
            </g>
        }
    });
    // Grouping rows come without cells: theirs are merged from the rows below them.
    let row_cells = c.cells_by_row();
    let rows = c.rows.iter().zip(&row_cells).enumerate().map(|(n, (r, own))| {
        let y = HEAD_H + n as u32 * ROW_H;
        let status = status_name(r.status);
        let cells = own.iter().filter_map(|cell| {
            let e = c.exercises.get(cell.exercise as usize)?;
            let x = LABEL_W + column[cell.exercise as usize] * COL_W + 3;
            let strength = strength_name(cell.strength);
            Some(html! {
                <rect class={classes!("cov-cell", format!("strength-{strength}"), (!e.done).then_some("planned"))}
                    x={x.to_string()} y="3" width={(COL_W - 6).to_string()} height={(ROW_H - 6).to_string()} rx="2"
                    data-code={r.code.clone()} data-exercise={e.exercise_id.to_string()} data-strength={strength}>
                    <title>{ format!("{} — {} : {}", r.code, e.title, strength_label(cell.strength)) }</title>
                </rect>
            })
        });
        html! {
            <g class={classes!("cov-row", (!r.mappable).then_some("group"))} transform={format!("translate(0 {y})")}
                data-code={r.code.clone()} data-status={status} data-kind={r.kind.as_str()}
                data-mappable={r.mappable.to_string()} data-depth={r.depth.to_string()}>
                <rect class={classes!("cov-bg", format!("status-{status}"), (!r.mappable).then_some("group"))}
                    x="0" y="0" width={width.to_string()} height={ROW_H.to_string()} />
                { row_label(r) }
                if r.mappable {
                    <circle class={classes!("cov-dot", format!("status-{status}"))}
                        cx={(LABEL_W - 12).to_string()} cy={(ROW_H / 2).to_string()} r="4">
                        <title>{ r.status.label() }</title>
                    </circle>
                } else {
                    { row_count(r) }
                }
                { for cells }
            </g>
        }
    });
    html! {
        <div class="coverage-scroll">
            <svg id="coverage-svg" class="coverage-svg" xmlns="http://www.w3.org/2000/svg"
                width={width.to_string()} height={height.to_string()}
                viewBox={format!("0 0 {width} {height}")} role="img"
                aria-label={format!("Couverture : {} éléments × {} exercices", c.rows.len(), c.exercises.len())}>
                { defs() }
                { for (0..cols).map(|i| html! {
                    <line class="cov-grid" x1={(LABEL_W + i * COL_W).to_string()} x2={(LABEL_W + i * COL_W).to_string()}
                        y1={HEAD_H.to_string()} y2={height.to_string()} />
                }) }
                { for heads }
                { for rows }
            </svg>
        </div>
    }
}

/// Monday of the ISO week of `d`.
fn week_start(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// For each grouping row (depth 0 and 1), the mappable items practised each ISO week (by
/// Monday): an exercise counts in every week from its start to its end.
/// Items practised per (grouping row, week).
type Practised = HashMap<(String, NaiveDate), BTreeSet<String>>;

fn weekly(c: &Coverage) -> (Vec<&CoverageRow>, Vec<NaiveDate>, Practised) {
    let groups: Vec<&CoverageRow> = c
        .rows
        .iter()
        .filter(|r| !r.mappable && r.depth <= 1)
        .collect();
    let parents: HashMap<&str, &str> = c
        .rows
        .iter()
        .filter_map(|r| Some((r.code.as_str(), r.parent_code.as_deref()?)))
        .collect();
    let group_codes: BTreeSet<&str> = groups.iter().map(|g| g.code.as_str()).collect();
    let exercise_weeks: Vec<Vec<NaiveDate>> = c
        .exercises
        .iter()
        .map(|e| match e.starts_on {
            Some(s) => {
                let end = e.ends_on.unwrap_or(s).max(s);
                let first = week_start(s);
                let mut weeks = vec![first];
                let mut w = first + Duration::weeks(1);
                while w <= end && weeks.len() < MAX_WEEKS as usize {
                    weeks.push(w);
                    w += Duration::weeks(1);
                }
                weeks
            }
            None => Vec::new(),
        })
        .collect();
    let all_weeks: BTreeSet<NaiveDate> = exercise_weeks.iter().flatten().copied().collect();
    let mut practised = Practised::new();
    for r in c.rows.iter().filter(|r| r.mappable && !r.cells.is_empty()) {
        // The grouping rows above this item.
        let mut above = Vec::new();
        let mut at = r.code.as_str();
        let mut guard = 0;
        while let Some(p) = parents.get(at) {
            if group_codes.contains(p) {
                above.push(*p);
            }
            at = p;
            guard += 1;
            if guard > 32 {
                break;
            }
        }
        for cell in &r.cells {
            for w in exercise_weeks
                .get(cell.exercise as usize)
                .into_iter()
                .flatten()
            {
                for g in &above {
                    practised
                        .entry(((*g).to_owned(), *w))
                        .or_default()
                        .insert(r.code.clone());
                }
            }
        }
    }
    (groups, all_weeks.into_iter().collect(), practised)
}

/// Blocs × ISO weeks: the shade says how many items of the bloc were practised that week.
fn weeks(c: &Coverage) -> Html {
    let (groups, weeks, practised) = weekly(c);
    if groups.is_empty() || weeks.is_empty() {
        return html! {
            <p class="empty" id="coverage-weeks-empty">
                { "Pas de semaine à montrer : aucun exercice daté dans la progression, ou aucun bloc dans ces filtres." }
            </p>
        };
    }
    let max = practised
        .values()
        .map(BTreeSet::len)
        .max()
        .unwrap_or(1)
        .max(1);
    let width = LABEL_W + weeks.len() as u32 * WEEK_W + 16;
    let height = WEEK_HEAD_H + groups.len() as u32 * ROW_H + 4;
    html! {
        <div class="coverage-scroll">
            <svg id="coverage-weeks-svg" class="coverage-svg" xmlns="http://www.w3.org/2000/svg"
                width={width.to_string()} height={height.to_string()} viewBox={format!("0 0 {width} {height}")}
                role="img" aria-label="Éléments travaillés par bloc et par semaine">
                { for weeks.iter().enumerate().map(|(i, w)| {
                    let x = LABEL_W + i as u32 * WEEK_W + WEEK_W / 2;
                    html! {
                        <text class="cov-week" x={x.to_string()} y="18" text-anchor="middle" data-week={w.to_string()}>
                            <title>{ format!("Semaine {} {} (du lundi {})", w.iso_week().week(), w.iso_week().year(), date_fr(*w)) }</title>
                            { format!("S{}", w.iso_week().week()) }
                            <tspan x={x.to_string()} dy="16" class="cov-date">{ format!("{:02}/{:02}", w.day(), w.month()) }</tspan>
                        </text>
                    }
                }) }
                { for groups.iter().enumerate().map(|(n, g)| {
                    let y = WEEK_HEAD_H + n as u32 * ROW_H;
                    html! {
                        <g class="cov-row group" transform={format!("translate(0 {y})")} data-code={g.code.clone()}
                            data-status={status_name(g.status)} data-depth={g.depth.to_string()}>
                            <rect class="cov-bg group" x="0" y="0" width={width.to_string()} height={ROW_H.to_string()} />
                            { row_label(g) }
                            { row_count(g) }
                            { for weeks.iter().enumerate().map(|(i, w)| {
                                let n = practised.get(&(g.code.clone(), *w)).map_or(0, BTreeSet::len);
                                let x = LABEL_W + i as u32 * WEEK_W + 3;
                                // Shade: 0.15 for one item up to 1 for the busiest cell.
                                let opacity = if n == 0 { 0.0 } else { 0.15 + 0.85 * n as f64 / max as f64 };
                                html! {
                                    <g class="cov-week-cell" data-code={g.code.clone()} data-week={w.to_string()} data-items={n.to_string()}>
                                        <rect class="cov-week-bg" x={x.to_string()} y="3" width={(WEEK_W - 6).to_string()}
                                            height={(ROW_H - 6).to_string()} rx="2" />
                                        if n > 0 {
                                            <rect class="cov-week-fill" x={x.to_string()} y="3" width={(WEEK_W - 6).to_string()}
                                                height={(ROW_H - 6).to_string()} rx="2" fill-opacity={format!("{opacity:.2}")} />
                                            <text class={classes!("cov-week-n", (opacity > 0.55).then_some("light"))}
                                                x={(x + (WEEK_W - 6) / 2).to_string()} y={(ROW_H * 7 / 10).to_string()} text-anchor="middle">
                                                <title>{ format!("{n} élément(s) de {} travaillé(s) la semaine du {}", g.code, date_fr(*w)) }</title>
                                                { n.to_string() }
                                            </text>
                                        }
                                    </g>
                                }
                            }) }
                        </g>
                    }
                }) }
            </svg>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::{truncate, week_start};
    use chrono::NaiveDate;

    #[test]
    fn truncates_with_an_ellipsis() {
        assert_eq!(truncate("Facturer", 20), "Facturer");
        assert_eq!(truncate("Facturation des clients", 8), "Factura…");
    }

    #[test]
    fn weeks_start_on_monday() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap_or_default();
        assert_eq!(week_start(d("2026-09-10")), d("2026-09-07"));
        assert_eq!(week_start(d("2026-09-07")), d("2026-09-07"));
    }
}
