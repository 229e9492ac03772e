//! "/referentiels/:id/items/:code": one item with its attributes, source and repairs.

use passerelle_api::{Correspondence, Item, ItemDetail, ItemRef, ReferentialDetail};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::components::{ErrorMessage, KindBadge, Loading};
use crate::route::Route;
use crate::state::{use_api, use_app_state, use_referential, Load};
use crate::text::humanise;

/// Attributes shown first, in this order (the AGOrA situation's reading order).
const ATTRIBUTE_ORDER: [&str; 6] = [
    "attendus",
    "criteres",
    "complexite",
    "aleas",
    "category",
    "entries",
];

#[derive(Properties, PartialEq)]
pub struct ItemPageProps {
    pub id: String,
    pub code: String,
}

#[function_component]
pub fn ItemPage(props: &ItemPageProps) -> Html {
    let detail = use_api(
        (props.id.clone(), props.code.clone()),
        |(id, code): (String, String)| async move { api::item(&id, &code).await },
    );
    // The referential (shared cache) names linked items and gives the siblings.
    let referential = use_referential(props.id.clone(), true);
    let referential = match referential {
        Load::Ready(r) => Some(r),
        _ => None,
    };
    // Titles of the other referentials, for the correspondences (ids until loaded).
    let titles: Vec<(String, String)> = match use_app_state().map(|s| s.referentials.clone()) {
        Some(Load::Ready(list)) => list
            .iter()
            .map(|r| (r.id.clone(), r.title.clone()))
            .collect(),
        _ => Vec::new(),
    };
    match detail {
        Load::Loading => html! { <section class="page"><Loading /></section> },
        Load::Failed(e) => {
            super::set_title("Élément introuvable");
            // On 404 the referential may exist while the item does not: offer a way back.
            html! {
                <section class="page">
                    <nav class="breadcrumb" aria-label="Fil d'Ariane">
                        <Link<Route> to={Route::Home}>{ "Référentiels" }</Link<Route>>
                        <span class="crumb">
                            <span class="sep" aria-hidden="true">{ "›" }</span>
                            <Link<Route> to={Route::Referential { id: props.id.clone() }}>{ props.id.clone() }</Link<Route>>
                        </span>
                    </nav>
                    <ErrorMessage error={e} what={format!("Élément {}", props.code)} />
                </section>
            }
        }
        Load::Ready(d) => {
            super::set_title(&format!("{} {}", d.item.code, d.item.label));
            view(&d, referential.as_deref(), &titles)
        }
    }
}

fn item_link(referential: &str, r: &ItemRef) -> Html {
    html! {
        <Link<Route> to={Route::Item { id: referential.to_owned(), code: r.code.clone() }}>
            { r.label.clone() }
        </Link<Route>>
    }
}

fn view(
    d: &ItemDetail,
    referential: Option<&ReferentialDetail>,
    titles: &[(String, String)],
) -> Html {
    let item = &d.item;
    let rid = d.referential.id.clone();
    let crumbs = d.ancestors.iter().map(|a| {
        html! {
            <span class="crumb">
                <span class="sep" aria-hidden="true">{ "›" }</span>
                <Link<Route> to={Route::Item { id: rid.clone(), code: a.code.clone() }}>
                    <span class="code">{ a.code.clone() }</span>
                    <span class="crumb-label">{ a.label.clone() }</span>
                </Link<Route>>
            </span>
        }
    });
    let official = item
        .official_code
        .as_ref()
        .filter(|c| **c != item.code)
        .cloned();

    html! {
        <article class="page item-page" data-code={item.code.clone()} data-referential={rid.clone()}>
            <nav class="breadcrumb" aria-label="Fil d'Ariane">
                <Link<Route> to={Route::Home}>{ "Référentiels" }</Link<Route>>
                <span class="crumb">
                    <span class="sep" aria-hidden="true">{ "›" }</span>
                    <Link<Route> to={Route::Referential { id: rid.clone() }}>{ d.referential.title.clone() }</Link<Route>>
                </span>
                { for crumbs }
            </nav>
            <header class="page-head">
                <p class="item-kind">
                    <KindBadge kind={item.kind} />
                    <span class="code code-lg">{ item.code.clone() }</span>
                    if let Some(official) = official {
                        <span class="official">{ format!("code officiel : {official}") }</span>
                    }
                </p>
                <h1>{ item.label.clone() }</h1>
            </header>
            { attributes(item) }
            { refs(&rid, item, referential) }
            if !d.children.is_empty() {
                <section class="block">
                    <h2>{ format!("Sous-éléments ({})", d.children.len()) }</h2>
                    <ul class="children">
                        { for d.children.iter().map(|c| html! {
                            <li class="child" data-code={c.code.clone()}>
                                <KindBadge kind={c.kind} />
                                <span class="code">{ c.code.clone() }</span>
                                { item_link(&rid, c) }
                            </li>
                        }) }
                    </ul>
                </section>
            }
            { correspondences(&d.correspondences, titles) }
            { source(item) }
            { repairs(item) }
            { siblings(&rid, item, referential) }
        </article>
    }
}

/// `mode_2` → ("mode", 2): numbered attributes, one number per candidate category.
fn numbered(name: &str) -> Option<(&str, u32)> {
    let (base, n) = name.rsplit_once('_')?;
    if base.is_empty() || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((base, n.parse().ok()?))
}

/// Numbered attributes (`candidats_1`, `mode_1`, `duree_1`, `candidats_2`…) as one table,
/// a row per number, when at least two names are numbered that way.
fn numbered_table(item: &Item) -> (Html, Vec<String>) {
    let mut bases: Vec<&str> = Vec::new();
    let mut numbers: Vec<u32> = Vec::new();
    for (base, n) in item.attributes.keys().filter_map(|k| numbered(k)) {
        if !bases.contains(&base) {
            bases.push(base);
        }
        if !numbers.contains(&n) {
            numbers.push(n);
        }
    }
    if bases.len() < 2 {
        return (html! {}, Vec::new());
    }
    const FIRST: [&str; 3] = ["candidats", "mode", "duree"];
    bases.sort_by_key(|b| (FIRST.iter().position(|f| f == b).unwrap_or(FIRST.len()), *b));
    numbers.sort_unstable();
    let used: Vec<String> = item
        .attributes
        .keys()
        .filter(|k| numbered(k).is_some())
        .cloned()
        .collect();
    let title = if bases.contains(&"candidats") {
        "Selon la catégorie de candidats"
    } else {
        "Variantes"
    };
    let table = html! {
        <div class="attr numbered">
            <dt>{ title }</dt>
            <dd>
                <div class="table-wrap">
                    <table>
                        <thead>
                            <tr>
                                <th scope="col">{ "N°" }</th>
                                { for bases.iter().map(|b| html! { <th scope="col">{ humanise(b) }</th> }) }
                            </tr>
                        </thead>
                        <tbody>
                            { for numbers.iter().map(|n| html! {
                                <tr>
                                    <th scope="row">{ n }</th>
                                    { for bases.iter().map(|b| {
                                        let label = humanise(b);
                                        match item.attributes.get(&format!("{b}_{n}")) {
                                            Some(v) => html! { <td data-label={label}>{ super::attr_value(v) }</td> },
                                            None => html! { <td data-label={label} class="muted">{ "—" }</td> },
                                        }
                                    }) }
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            </dd>
        </div>
    };
    (table, used)
}

fn attributes(item: &Item) -> Html {
    if item.attributes.is_empty() {
        return html! {};
    }
    let (table, in_table) = numbered_table(item);
    let mut names: Vec<&String> = item
        .attributes
        .keys()
        .filter(|k| !in_table.contains(k))
        .collect();
    names.sort_by_key(|n| {
        ATTRIBUTE_ORDER
            .iter()
            .position(|o| o == n)
            .unwrap_or(ATTRIBUTE_ORDER.len())
    });
    let rows = names.into_iter().filter_map(|name| {
        let value = item.attributes.get(name)?;
        Some(super::attr_row(name, value))
    });
    html! {
        <section class="block">
            <h2>{ "Contenu" }</h2>
            <dl class="attrs">
                { for rows }
                { table }
            </dl>
        </section>
    }
}

fn refs(rid: &str, item: &Item, referential: Option<&ReferentialDetail>) -> Html {
    if item.refs.is_empty() {
        return html! {};
    }
    let find = |code: &str| referential.and_then(|r| r.items.iter().find(|i| i.code == code));
    let rows = item.refs.iter().map(|(role, codes)| {
        html! {
            <div class="attr">
                <dt>{ humanise(role) }</dt>
                <dd>
                    <ul class="ref-links">
                        { for codes.iter().map(|code| {
                            let target = find(code);
                            html! {
                                <li class="ref-link" data-code={code.clone()}>
                                    if let Some(t) = target {
                                        <KindBadge kind={t.kind} />
                                    }
                                    <span class="code">{ code.clone() }</span>
                                    <Link<Route> to={Route::Item { id: rid.to_owned(), code: code.clone() }}>
                                        { target.map(|t| t.label.clone()).unwrap_or_else(|| code.clone()) }
                                    </Link<Route>>
                                </li>
                            }
                        }) }
                    </ul>
                </dd>
            </div>
        }
    });
    html! {
        <section class="block">
            <h2>{ "Liens" }</h2>
            <dl class="attrs">{ for rows }</dl>
        </section>
    }
}

fn source(item: &Item) -> Html {
    let s = &item.source;
    if s.seed.is_none() && s.citation.is_none() && s.text.is_none() {
        return html! {};
    }
    html! {
        <section class="block source">
            <h2>{ "Source" }</h2>
            if let Some(seed) = &s.seed {
                <p class="source-ref">
                    { "Texte source " }
                    <code>{ seed.clone() }</code>
                    if let Some(line) = s.line {
                        { format!(", ligne {line}") }
                    }
                </p>
            }
            if let Some(text) = &s.text {
                <blockquote class="source-text">{ highlight(text, &item.label) }</blockquote>
            }
            if let Some(citation) = &s.citation {
                <p class="source-ref">{ "Citation : " }</p>
                <blockquote class="source-text">{ citation.clone() }</blockquote>
            }
        </section>
    }
}

/// The source line with the item's label marked, when it occurs verbatim.
fn highlight(text: &str, label: &str) -> Html {
    match text.find(label).filter(|_| !label.is_empty()) {
        Some(start) => {
            let end = start + label.len();
            html! {
                <>
                    { &text[..start] }
                    <mark>{ &text[start..end] }</mark>
                    { &text[end..] }
                </>
            }
        }
        None => html! { { text.to_owned() } },
    }
}

/// Previous and next items under the same parent, in official order.
fn siblings(rid: &str, item: &Item, referential: Option<&ReferentialDetail>) -> Html {
    let Some(r) = referential else {
        return html! {};
    };
    let same: Vec<&Item> = r.items.iter().filter(|i| i.parent == item.parent).collect();
    let Some(pos) = same.iter().position(|i| i.code == item.code) else {
        return html! {};
    };
    let prev = pos.checked_sub(1).and_then(|p| same.get(p));
    let next = same.get(pos + 1);
    if prev.is_none() && next.is_none() {
        return html! {};
    }
    let link = |i: &Item, rel: &'static str, text: &'static str| {
        html! {
            <Link<Route> to={Route::Item { id: rid.to_owned(), code: i.code.clone() }}
                classes={classes!("pager-link", rel)}>
                <span class="pager-dir">{ text }</span>
                <span class="pager-item">
                    <span class="code">{ i.code.clone() }</span>
                    { " " }
                    { i.label.clone() }
                </span>
            </Link<Route>>
        }
    };
    html! {
        <nav class="pager" aria-label="Éléments voisins">
            if let Some(p) = prev {
                { link(p, "prev", "← Précédent") }
            }
            if let Some(n) = next {
                { link(n, "next", "Suivant →") }
            }
        </nav>
    }
}

fn field_fr(field: &str) -> String {
    match field {
        "label" => "Libellé".to_owned(),
        "code" => "Code".to_owned(),
        other => humanise(other),
    }
}

fn repairs(item: &Item) -> Html {
    if item.repairs.is_empty() {
        return html! {};
    }
    html! {
        <section class="block repairs">
            <h2>{ "Réparations" }</h2>
            <p class="note">
                { "Artefacts d'extraction du texte source corrigés ; la formulation officielle est conservée." }
            </p>
            <div class="table-wrap">
                <table>
                    <thead>
                        <tr>
                            <th scope="col">{ "Champ" }</th>
                            <th scope="col">{ "Ce que dit la source" }</th>
                            <th scope="col">{ "Ce que nous retenons" }</th>
                            <th scope="col">{ "Pourquoi" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for item.repairs.iter().map(|r| html! {
                            <tr>
                                <td data-label="Champ">{ field_fr(&r.field) }</td>
                                <td data-label="Ce que dit la source"><q>{ r.source_text.clone() }</q></td>
                                <td data-label="Ce que nous retenons"><q>{ r.held.clone() }</q></td>
                                <td data-label="Pourquoi">{ r.reason.clone() }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// Items of other referentials linked to this one, grouped by referential.
fn correspondences(list: &[Correspondence], titles: &[(String, String)]) -> Html {
    if list.is_empty() {
        return html! {};
    }
    let title_of = |id: &str| {
        titles
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    html! {
        <section class="block correspondences">
            <h2>{ format!("Correspondances ({})", list.len()) }</h2>
            <ul class="children">
                { for list.iter().map(|c| html! {
                    <li class="child correspondence"
                        data-referential={c.referential_id.clone()}
                        data-code={c.code.clone()}
                        data-relation={c.relation.as_str()}>
                        <span class={classes!("relation", format!("relation-{}", c.relation.as_str()))}>
                            { c.relation.label_fr(c.direction) }
                        </span>
                        <span class="referential-name">{ title_of(&c.referential_id) }</span>
                        <KindBadge kind={c.kind} />
                        <span class="code">{ c.code.clone() }</span>
                        <Link<Route> to={Route::Item { id: c.referential_id.clone(), code: c.code.clone() }}>
                            { c.label.clone() }
                        </Link<Route>>
                        if let Some(r) = &c.rationale {
                            <span class="rationale">{ r.clone() }</span>
                        }
                        if let Some(s) = &c.source {
                            <span class="rationale">{ format!("source : {s}") }</span>
                        }
                    </li>
                }) }
            </ul>
        </section>
    }
}
