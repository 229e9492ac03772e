use passerelle_api::ItemKind;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct KindBadgeProps {
    pub kind: ItemKind,
}

/// The French name of a kind, coloured per kind (`kind-<wire name>` in style.css).
#[function_component]
pub fn KindBadge(props: &KindBadgeProps) -> Html {
    let class = classes!("badge", format!("kind-{}", props.kind.as_str()));
    html! { <span {class} data-kind={props.kind.as_str()}>{ props.kind.label_fr() }</span> }
}
