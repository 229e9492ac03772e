//! Text in the Markdown subset of `passerelle_api::markdown` (exercise instructions, what a
//! student did), drawn as Yew elements: user text is never injected as HTML.

use passerelle_api::markdown::{parse, Block, Inline};
use yew::prelude::*;

fn runs(inlines: &[Inline]) -> Html {
    inlines
        .iter()
        .map(|inline| match inline {
            Inline::Text(t) => html! { { t.clone() } },
            Inline::Bold(t) => html! { <strong>{ t.clone() }</strong> },
            Inline::Italic(t) => html! { <em>{ t.clone() }</em> },
        })
        .collect()
}

fn block(b: &Block) -> Html {
    match b {
        // Headings of user text sit below the page's own h1/h2.
        Block::Heading(1, content) => html! { <h3>{ runs(content) }</h3> },
        Block::Heading(2, content) => html! { <h4>{ runs(content) }</h4> },
        Block::Heading(_, content) => html! { <h5>{ runs(content) }</h5> },
        Block::Paragraph(content) => html! { <p>{ runs(content) }</p> },
        Block::BulletList(items) => html! {
            <ul>{ for items.iter().map(|i| html! { <li>{ runs(i) }</li> }) }</ul>
        },
        Block::NumberedList(items) => html! {
            <ol>{ for items.iter().map(|i| html! { <li>{ runs(i) }</li> }) }</ol>
        },
    }
}

/// The text drawn as headings, paragraphs, lists, bold and italic (`id` on its element);
/// `empty`: what shows when the text is blank.
pub fn markdown(text: &str, id: &'static str, empty: &'static str) -> Html {
    let id = (!id.is_empty()).then_some(id);
    let blocks = parse(text);
    if blocks.is_empty() {
        return if empty.is_empty() {
            html! {}
        } else {
            html! { <p class="empty" {id}>{ empty }</p> }
        };
    }
    html! {
        <div class="markdown" {id}>{ for blocks.iter().map(block) }</div>
    }
}
