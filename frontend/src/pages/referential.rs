//! "/referentiels/:id": the referential as a collapsible tree, with a kind filter.

use std::collections::{BTreeSet, HashMap, HashSet};

use passerelle_api::{Item, ItemKind, ReferentialDetail};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::{ErrorMessage, KindBadge, Loading};
use crate::route::Route;
use crate::state::{use_app_state, use_referential, AppAction, Load, TreeAction, TreeState};
use crate::text::count_fr;

#[derive(Properties, PartialEq)]
pub struct ReferentialPageProps {
    pub id: String,
}

/// Indices of the children of each item (and of the roots, under `None`), in list order.
fn children_index(items: &[Item]) -> HashMap<Option<&str>, Vec<usize>> {
    let codes: HashSet<&str> = items.iter().map(|i| i.code.as_str()).collect();
    let mut map: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        // An item whose parent is unknown is shown as a root rather than lost.
        let parent = item
            .parent
            .as_deref()
            .filter(|p| codes.contains(p) && *p != item.code);
        map.entry(parent).or_default().push(i);
    }
    map
}

#[function_component]
pub fn ReferentialPage(props: &ReferentialPageProps) -> Html {
    let detail = use_referential(props.id.clone(), true);
    let app = use_app_state();
    let tree = app
        .as_ref()
        .and_then(|a| a.trees.get(&props.id).cloned())
        .unwrap_or_default();
    let dispatch = {
        let id = props.id.clone();
        Callback::from(move |action: TreeAction| {
            if let Some(app) = &app {
                app.dispatch(AppAction::Tree(id.clone(), action));
            }
        })
    };

    match detail {
        Load::Loading => {
            super::set_title("Chargement…");
            html! { <section class="page"><Loading text="Chargement du référentiel…" /></section> }
        }
        Load::Failed(e) => {
            super::set_title("Référentiel introuvable");
            html! {
                <section class="page">
                    <nav class="breadcrumb" aria-label="Fil d'Ariane">
                        <Link<Route> to={Route::Home}>{ "Référentiels" }</Link<Route>>
                    </nav>
                    <ErrorMessage error={e} what="Référentiel" />
                </section>
            }
        }
        Load::Ready(d) => {
            super::set_title(&d.title);
            view(&d, &tree, &dispatch)
        }
    }
}

fn view(d: &ReferentialDetail, tree: &TreeState, dispatch: &Callback<TreeAction>) -> Html {
    let index = children_index(&d.items);
    let parents: Vec<String> = d
        .items
        .iter()
        .filter(|i| index.contains_key(&Some(i.code.as_str())))
        .map(|i| i.code.clone())
        .collect();

    let expand_all = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(TreeAction::ExpandAll(parents.clone())))
    };
    let collapse_all = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(TreeAction::CollapseAll))
    };
    let on_toggle = {
        let dispatch = dispatch.clone();
        Callback::from(move |code: String| dispatch.emit(TreeAction::Toggle(code)))
    };

    let chips = d
        .counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(kind, n)| {
            let kind = *kind;
            let pressed = tree.kinds.contains(&kind);
            let onclick = {
                let dispatch = dispatch.clone();
                Callback::from(move |_: MouseEvent| dispatch.emit(TreeAction::ToggleKind(kind)))
            };
            html! {
                <button type="button"
                    class={classes!("chip", format!("kind-{}", kind.as_str()), pressed.then_some("pressed"))}
                    aria-pressed={if pressed { "true" } else { "false" }}
                    data-kind={kind.as_str()}
                    {onclick}>
                    { count_fr(kind, *n) }
                </button>
            }
        })
        .collect::<Html>();
    let clear_kinds = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(TreeAction::ClearKinds))
    };

    let ctx = TreeCtx {
        d,
        index: &index,
        expanded: &tree.expanded,
        on_toggle: &on_toggle,
    };
    let body = if tree.kinds.is_empty() {
        let roots = index.get(&None).cloned().unwrap_or_default();
        html! {
            <ul class="tree" aria-label={format!("Arborescence de {}", d.title)}>
                { for roots.iter().map(|&i| ctx.node(i, 0)) }
            </ul>
        }
    } else {
        filtered(d, &tree.kinds)
    };

    html! {
        <section class="page">
            <nav class="breadcrumb" aria-label="Fil d'Ariane">
                <Link<Route> to={Route::Home}>{ "Référentiels" }</Link<Route>>
                <span class="crumb">
                    <span class="sep" aria-hidden="true">{ "›" }</span>
                    <span aria-current="page">{ d.title.clone() }</span>
                </span>
            </nav>
            <header class="page-head">
                <h1>{ d.title.clone() }</h1>
                <p class="meta">
                    <span>{ format!("Version {}", d.version) }</span>
                    <span>{ format!("Identifiant {}", d.id) }</span>
                </p>
                { attributes(d) }
                { exports(d) }
            </header>
            <div class="toolbar">
                <div class="chips" role="group" aria-label="Filtrer par type d'élément">
                    { chips }
                    if !tree.kinds.is_empty() {
                        <button type="button" class="chip chip-clear" onclick={clear_kinds}>{ "Tout afficher" }</button>
                    }
                </div>
                if tree.kinds.is_empty() {
                    <div class="tree-actions">
                        <button type="button" class="btn" id="expand-all" onclick={expand_all}>{ "Tout déplier" }</button>
                        <button type="button" class="btn" id="collapse-all" onclick={collapse_all}>{ "Tout replier" }</button>
                    </div>
                }
            </div>
            { body }
        </section>
    }
}

/// Downloads of the referential for the tools schools already run (Moodle, CASE).
fn exports(d: &ReferentialDetail) -> Html {
    let base = format!("/api/referentials/{}/export", d.id);
    html! {
        <div class="exports" role="group" aria-labelledby="exports-title">
            <span class="exports-title" id="exports-title">{ "Exporter" }</span>
            <a class="btn" id="export-moodle" href={format!("{base}/moodle.csv")}
                download={format!("{}-moodle.csv", d.id)}
                title="Référentiel de compétences à importer dans Moodle (Administration du site › Compétences › Importer un référentiel de compétences)">
                { "Moodle (CSV)" }
            </a>
            <a class="btn" id="export-case" href={format!("{base}/case.json")}
                download={format!("{}-case.json", d.id)}
                title="Paquet 1EdTech CASE 1.1 (CFPackage), pour les outils compatibles CASE">
                { "CASE 1.1 (JSON)" }
            </a>
        </div>
    }
}

/// Level, NSF, Formacode, ROME… of the referential, folded away (some are long texts).
fn attributes(d: &ReferentialDetail) -> Html {
    if d.attributes.is_empty() {
        return html! {};
    }
    let rows = d
        .attributes
        .iter()
        .map(|(name, value)| super::attr_row(name, value));
    html! {
        <details class="ref-info">
            <summary>{ format!("Informations sur le référentiel ({})", d.attributes.len()) }</summary>
            <dl class="attrs">{ for rows }</dl>
        </details>
    }
}

struct TreeCtx<'a> {
    d: &'a ReferentialDetail,
    index: &'a HashMap<Option<&'a str>, Vec<usize>>,
    expanded: &'a HashSet<String>,
    on_toggle: &'a Callback<String>,
}

impl TreeCtx<'_> {
    fn node(&self, i: usize, depth: usize) -> Html {
        let Some(item) = self.d.items.get(i) else {
            return html! {};
        };
        let kids = self.index.get(&Some(item.code.as_str()));
        let open = self.expanded.contains(&item.code);
        let to = Route::Item {
            id: self.d.id.clone(),
            code: item.code.clone(),
        };
        let toggle = match kids {
            Some(kids) => {
                let code = item.code.clone();
                let on_toggle = self.on_toggle.clone();
                let onclick = Callback::from(move |_: MouseEvent| on_toggle.emit(code.clone()));
                let action = if open { "Replier" } else { "Déplier" };
                html! {
                    <button type="button" class="tree-toggle"
                        aria-expanded={if open { "true" } else { "false" }}
                        aria-label={format!("{action} {} ({} sous-éléments)", item.code, kids.len())}
                        title={format!("{action} ({} sous-éléments)", kids.len())}
                        {onclick}>
                        <span class="chevron" aria-hidden="true"></span>
                    </button>
                }
            }
            None => html! { <span class="tree-spacer" aria-hidden="true"></span> },
        };
        html! {
            <li class={classes!("tree-node", format!("depth-{}", depth.min(6)))}
                data-code={item.code.clone()} data-kind={item.kind.as_str()} key={item.code.clone()}>
                <div class="tree-row">
                    { toggle }
                    <KindBadge kind={item.kind} />
                    <span class="code">{ item.code.clone() }</span>
                    <Link<Route> {to} classes="tree-label">{ item.label.clone() }</Link<Route>>
                    if let Some(kids) = kids {
                        if !open {
                            <span class="tree-count" aria-hidden="true">{ kids.len() }</span>
                        }
                    }
                </div>
                if let (true, Some(kids)) = (open, kids) {
                    <ul class="tree-children">
                        { for kids.iter().map(|&k| self.node(k, depth + 1)) }
                    </ul>
                }
            </li>
        }
    }
}

/// The items of the chosen kinds, flat, each with its parent chain.
fn filtered(d: &ReferentialDetail, kinds: &BTreeSet<ItemKind>) -> Html {
    let by_code: HashMap<&str, &Item> = d.items.iter().map(|i| (i.code.as_str(), i)).collect();
    let path = |item: &Item| {
        let mut labels = Vec::new();
        let mut seen = HashSet::new();
        let mut cur = item.parent.as_deref();
        while let Some(code) = cur {
            if !seen.insert(code) {
                break;
            }
            match by_code.get(code) {
                Some(p) => {
                    labels.push(format!("{} {}", p.code, p.label));
                    cur = p.parent.as_deref();
                }
                None => break,
            }
        }
        labels.reverse();
        labels.join(" › ")
    };
    let rows = d
        .items
        .iter()
        .filter(|i| kinds.contains(&i.kind))
        .map(|item| {
            let p = path(item);
            html! {
                <li class="filter-hit" data-code={item.code.clone()} key={item.code.clone()}>
                    <div class="tree-row">
                        <KindBadge kind={item.kind} />
                        <span class="code">{ item.code.clone() }</span>
                        <Link<Route> to={Route::Item { id: d.id.clone(), code: item.code.clone() }} classes="tree-label">
                            { item.label.clone() }
                        </Link<Route>>
                    </div>
                    if !p.is_empty() {
                        <div class="hit-path">{ p }</div>
                    }
                </li>
            }
        })
        .collect::<Html>();
    html! { <ul class="filter-list">{ rows }</ul> }
}
