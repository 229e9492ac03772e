//! Text in the Markdown subset of `passerelle_api::markdown` (exercise instructions, what a
//! student did), drawn as Yew elements: user text is never injected as HTML.

use passerelle_api::markdown::{parse, Block, Inline};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MarkdownProps {
    pub text: AttrValue,
    #[prop_or_default]
    pub id: Option<AttrValue>,
    /// What shows when the text is blank.
    #[prop_or_default]
    pub empty: Option<AttrValue>,
}

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

/// The text drawn as headings, paragraphs, lists, bold and italic.
#[function_component]
pub fn Markdown(props: &MarkdownProps) -> Html {
    let blocks = parse(&props.text);
    if blocks.is_empty() {
        return match &props.empty {
            Some(e) => html! { <p class="empty" id={props.id.clone()}>{ e.clone() }</p> },
            None => html! {},
        };
    }
    html! {
        <div class="markdown" id={props.id.clone()}>{ for blocks.iter().map(block) }</div>
    }
}
