//! The establishment's administration (role admin).

mod accounts;
mod classes;
mod establishment;
mod import;
mod journal;

pub use accounts::AdminAccountsPage;
pub use classes::AdminClassesPage;
pub use establishment::AdminEstablishmentPage;
pub use import::AdminImportPage;
pub use journal::AdminJournalPage;

use passerelle_api::SchoolYear;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// The header of an admin page.
fn intro(title: &str, lead: &str) -> Html {
    super::set_title(title);
    html! {
        <div class="page-intro">
            <h1>{ title.to_owned() }</h1>
            <p class="lead">{ lead.to_owned() }</p>
        </div>
    }
}

/// The latest school year (the one imports and new classes default to).
fn latest_year(years: &[SchoolYear]) -> Option<&SchoolYear> {
    years.iter().max_by_key(|y| y.starts_on)
}

/// School years, latest first.
fn latest_first(years: &[SchoolYear]) -> Vec<&SchoolYear> {
    let mut sorted: Vec<&SchoolYear> = years.iter().collect();
    sorted.sort_by_key(|y| std::cmp::Reverse(y.starts_on));
    sorted
}

/// A `<select>` of school years, latest first; emits the chosen id.
fn year_select(
    id: &str,
    label: &str,
    years: &[SchoolYear],
    selected: Option<i64>,
    on_change: Callback<Option<i64>>,
) -> Html {
    let sorted = latest_first(years);
    let onchange = Callback::from(move |e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        on_change.emit(select.value().parse().ok());
    });
    html! {
        <div class="field">
            <label for={id.to_owned()}>{ label.to_owned() }</label>
            <select id={id.to_owned()} {onchange}>
                { for sorted.into_iter().map(|y| html! {
                    <option value={y.id.to_string()} selected={selected == Some(y.id)}>{ y.label.clone() }</option>
                }) }
            </select>
        </div>
    }
}
