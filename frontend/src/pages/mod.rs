mod account;
pub mod admin;
mod class_progress;
mod classes;
mod coverage;
mod exercises;
mod home;
mod item;
mod juries;
mod not_found;
mod portfolio;
mod progression;
mod referential;
mod reviews;
mod search;
mod sign_in;
mod student_progress;

pub use account::AccountPage;
pub use class_progress::ClassProgressPage;
pub use classes::{ClassPage, MyClassPage, MyClassesPage};
pub use coverage::CoveragePage;
pub use exercises::{ExerciseEditorPage, ExerciseImportPage, ExercisePage, ExercisesPage};
pub use home::HomePage;
pub use item::ItemPage;
pub use juries::{
    ExamSessionPage, ExamSessionsPage, GridPage, GridTemplatePage, GridTemplatesPage, MyResultsPage,
};
pub use not_found::NotFoundPage;
pub use portfolio::{FicheEditorPage, FichePage, PortfolioPage};
pub use referential::ReferentialPage;
pub use reviews::ReviewsPage;
pub use search::SearchPage;
pub use sign_in::{ActivatePage, SignInPage};
pub use student_progress::StudentProgressPage;

use passerelle_api::AttrValue;
use yew::prelude::*;

use crate::text::number_fr;

/// One `name: value` row of an attributes list.
pub(crate) fn attr_row(name: &str, value: &AttrValue) -> Html {
    html! {
        <div class="attr" data-attribute={name.to_owned()}>
            <dt>{ crate::text::humanise(name) }</dt>
            <dd>{ attr_value(value) }</dd>
        </div>
    }
}

/// A free attribute's value: lists as bullet lists.
pub(crate) fn attr_value(value: &AttrValue) -> Html {
    match value {
        AttrValue::Text(s) => html! { <p>{ s.clone() }</p> },
        AttrValue::List(list) => html! {
            <ul class="bullets">{ for list.iter().map(|s| html! { <li>{ s.clone() }</li> }) }</ul>
        },
        AttrValue::Number(x) => html! { <p>{ number_fr(*x) }</p> },
        AttrValue::Bool(b) => html! { <p>{ if *b { "Oui" } else { "Non" } }</p> },
    }
}

/// Sets the browser tab's title ("… — Passerelle").
pub fn set_title(title: &str) {
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        if title.is_empty() {
            doc.set_title("Passerelle");
        } else {
            doc.set_title(&format!("{title} — Passerelle"));
        }
    }
}
