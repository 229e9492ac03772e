//! Client routes of the SPA.

use passerelle_api::Role;
use serde::{Deserialize, Serialize};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::Gate;
use crate::pages::admin::{
    AdminAccountsPage, AdminClassesPage, AdminEstablishmentPage, AdminImportPage, AdminJournalPage,
};
use crate::pages::{
    AccountPage, ActivatePage, ClassPage, ClassProgressPage, CoveragePage, ExamSessionPage,
    ExamSessionsPage, ExerciseEditorPage, ExerciseImportPage, ExercisePage, ExercisesPage,
    FicheEditorPage, FichePage, GridPage, GridTemplatePage, GridTemplatesPage, HomePage, ItemPage,
    MyClassPage, MyClassesPage, MyResultsPage, NotFoundPage, PortfolioPage, ReferentialPage,
    ReviewsPage, SearchPage, SignInPage, StudentProgressPage,
};

#[derive(Debug, Clone, PartialEq, Eq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/referentiels/:id")]
    Referential { id: String },
    #[at("/referentiels/:id/items/:code")]
    Item { id: String, code: String },
    #[at("/recherche")]
    Search,
    #[at("/connexion")]
    SignIn,
    #[at("/activer")]
    Activate,
    #[at("/compte")]
    Account,
    #[at("/admin/etablissement")]
    AdminEstablishment,
    #[at("/admin/classes")]
    AdminClasses,
    #[at("/admin/comptes")]
    AdminAccounts,
    #[at("/admin/import")]
    AdminImport,
    #[at("/admin/journal")]
    AdminJournal,
    #[at("/classes")]
    MyClasses,
    #[at("/classes/:id")]
    Class { id: i64 },
    #[at("/classes/:id/couverture")]
    ClassCoverage { id: i64 },
    #[at("/exercices")]
    Exercises,
    #[at("/exercices/nouveau")]
    ExerciseNew,
    #[at("/exercices/importer")]
    ExerciseImport,
    #[at("/exercices/:id")]
    Exercise { id: i64 },
    #[at("/exercices/:id/modifier")]
    ExerciseEdit { id: i64 },
    #[at("/ma-classe")]
    MyClass,
    #[at("/portfolio")]
    Portfolio,
    #[at("/portfolio/nouvelle")]
    FicheNew,
    #[at("/fiches/:id")]
    Fiche { id: i64 },
    #[at("/fiches/:id/modifier")]
    FicheEdit { id: i64 },
    #[at("/relectures")]
    Reviews,
    #[at("/classes/:id/suivi")]
    ClassProgress { id: i64 },
    /// `?classe=` picks one of the student's classes.
    #[at("/eleves/:id/suivi")]
    StudentProgress { id: i64 },
    /// Admins: the exam sessions; jury members: « Mes jurys ».
    #[at("/examens")]
    ExamSessions,
    #[at("/examens/:id")]
    ExamSession { id: i64 },
    #[at("/candidats/:id/grille")]
    CandidateGrid { id: i64 },
    #[at("/grilles")]
    GridTemplates,
    #[at("/grilles/:id")]
    GridTemplate { id: String },
    #[at("/mes-resultats")]
    MyResults,
    #[not_found]
    #[at("/404")]
    NotFound,
}

/// Query string of `/recherche`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referential: Option<String>,
}

/// Query string of `/connexion`: the page to go back to once signed in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
}

impl SignInParams {
    /// The page asked for, when it is one of ours (never another site).
    pub fn target(&self) -> Option<Route> {
        let path = self.suite.as_deref()?;
        if !path.starts_with('/') || path.starts_with("//") {
            return None;
        }
        Route::recognize(path)
            .filter(|r| !matches!(r, Route::SignIn | Route::Activate | Route::NotFound))
    }
}

/// A page for signed-in people, optionally of one role; `establishment`: the page needs
/// the admin's establishment to exist.
fn gated(role: Option<Role>, establishment: bool, page: Html) -> Html {
    html! { <Gate {role} {establishment}>{ page }</Gate> }
}

/// A page for teachers and admins (exercises, progressions, coverage).
fn staff(page: Html) -> Html {
    html! { <Gate any_of={vec![Role::Teacher, Role::Admin]}>{ page }</Gate> }
}

/// A page for jury members (jury accounts and teachers sitting on a jury) and admins.
fn jury(page: Html) -> Html {
    html! { <Gate any_of={vec![Role::Jury, Role::Teacher, Role::Admin]}>{ page }</Gate> }
}

/// The pages of one bundle: the page of a route, or None when another bundle holds it.
pub type Pages = fn(Route) -> Option<Html>;

/// Pages for everyone: referentials, search, sign-in, invitations, the account.
pub fn public_pages(route: Route) -> Option<Html> {
    Some(match route {
        Route::Home => html! { <HomePage /> },
        Route::Referential { id } => {
            let key = id.clone();
            html! { <ReferentialPage {key} {id} /> }
        }
        Route::Item { id, code } => html! { <ItemPage {id} {code} /> },
        Route::Search => html! { <SearchPage /> },
        Route::SignIn => html! { <SignInPage /> },
        Route::Activate => html! { <ActivatePage /> },
        Route::Account => gated(None, false, html! { <AccountPage /> }),
        Route::NotFound => html! { <NotFoundPage /> },
        _ => return None,
    })
}

/// The public pages, plus a student's: portfolio, fiches, progress, class and results
/// (a teacher opens a fiche and a student's progress at the same addresses).
pub fn student_pages(route: Route) -> Option<Html> {
    Some(match route {
        Route::MyClass => gated(Some(Role::Student), false, html! { <MyClassPage /> }),
        Route::Portfolio => gated(Some(Role::Student), false, html! { <PortfolioPage /> }),
        Route::FicheNew => gated(
            Some(Role::Student),
            false,
            html! { <FicheEditorPage key="new" /> },
        ),
        Route::FicheEdit { id } => gated(
            Some(Role::Student),
            false,
            html! { <FicheEditorPage key={id.to_string()} id={Some(id)} /> },
        ),
        Route::Fiche { id } => gated(None, false, html! { <FichePage key={id} {id} /> }),
        Route::StudentProgress { id } => {
            gated(None, false, html! { <StudentProgressPage key={id} {id} /> })
        }
        Route::MyResults => gated(Some(Role::Student), false, html! { <MyResultsPage /> }),
        other => return public_pages(other),
    })
}

/// Every page: the student bundle's, plus administration, classes, exercises, coverage,
/// reviews and juries.
pub fn staff_pages(route: Route) -> Option<Html> {
    let admin = Some(Role::Admin);
    Some(match route {
        Route::AdminEstablishment => gated(admin, false, html! { <AdminEstablishmentPage /> }),
        Route::AdminClasses => gated(admin, true, html! { <AdminClassesPage /> }),
        Route::AdminAccounts => gated(admin, true, html! { <AdminAccountsPage /> }),
        Route::AdminImport => gated(admin, true, html! { <AdminImportPage /> }),
        Route::AdminJournal => gated(admin, true, html! { <AdminJournalPage /> }),
        Route::MyClasses => gated(Some(Role::Teacher), false, html! { <MyClassesPage /> }),
        Route::Class { id } => gated(None, false, html! { <ClassPage key={id} {id} /> }),
        Route::ClassCoverage { id } => staff(html! { <CoveragePage key={id} {id} /> }),
        Route::Exercises => staff(html! { <ExercisesPage /> }),
        Route::ExerciseNew => staff(html! { <ExerciseEditorPage key="new" /> }),
        Route::ExerciseImport => staff(html! { <ExerciseImportPage /> }),
        Route::Exercise { id } => staff(html! { <ExercisePage key={id} {id} /> }),
        Route::ExerciseEdit { id } => {
            staff(html! { <ExerciseEditorPage key={id.to_string()} id={Some(id)} /> })
        }
        Route::Reviews => staff(html! { <ReviewsPage /> }),
        Route::ClassProgress { id } => staff(html! { <ClassProgressPage key={id} {id} /> }),
        Route::ExamSessions => jury(html! { <ExamSessionsPage /> }),
        Route::ExamSession { id } => jury(html! { <ExamSessionPage key={id} {id} /> }),
        Route::CandidateGrid { id } => jury(html! { <GridPage key={id} {id} /> }),
        Route::GridTemplates => gated(admin, true, html! { <GridTemplatesPage /> }),
        Route::GridTemplate { id } => {
            let key = id.clone();
            gated(admin, true, html! { <GridTemplatePage {key} {id} /> })
        }
        other => return student_pages(other),
    })
}

#[cfg(test)]
mod tests {
    use passerelle_api::spa::Bundle;
    use yew_router::Routable;

    use super::{public_pages, staff_pages, student_pages, Pages, Route, SignInParams};

    /// Every route is shown by the bundle the server sends for its address, and by no
    /// smaller one: otherwise the SPA would reload forever, or the server would send a
    /// bundle bigger than needed.
    #[test]
    fn each_bundle_shows_exactly_the_pages_the_server_sends_it_for() {
        let bundles: [(Bundle, Pages); 3] = [
            (Bundle::Public, public_pages),
            (Bundle::Student, student_pages),
            (Bundle::Staff, staff_pages),
        ];
        let patterns = Route::routes();
        assert!(patterns.len() >= 30, "{patterns:?}");
        for pattern in patterns {
            // A concrete address: every `:param` becomes 1.
            let path = pattern
                .split('/')
                .map(|s| if s.starts_with(':') { "1" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let route = Route::recognize(&path).unwrap_or_else(|| panic!("{path}"));
            let needed = Bundle::for_path(&path);
            for (bundle, pages) in bundles {
                assert_eq!(
                    pages(route.clone()).is_some(),
                    bundle.serves(needed),
                    "{path}: {bundle:?} bundle, page of the {needed:?} bundle"
                );
            }
        }
    }

    fn target(suite: &str) -> Option<Route> {
        SignInParams {
            suite: Some(suite.to_owned()),
        }
        .target()
    }

    #[test]
    fn returns_only_to_our_own_pages() {
        assert_eq!(target("/admin/comptes"), Some(Route::AdminAccounts));
        assert_eq!(target("/classes/12"), Some(Route::Class { id: 12 }));
        assert_eq!(target("/exercices/nouveau"), Some(Route::ExerciseNew));
        assert_eq!(target("/exercices/7"), Some(Route::Exercise { id: 7 }));
        assert_eq!(
            target("/classes/3/couverture"),
            Some(Route::ClassCoverage { id: 3 })
        );
        assert_eq!(
            target("/fiches/4/modifier"),
            Some(Route::FicheEdit { id: 4 })
        );
        assert_eq!(target("/portfolio/nouvelle"), Some(Route::FicheNew));
        assert_eq!(
            target("/eleves/9/suivi"),
            Some(Route::StudentProgress { id: 9 })
        );
        assert_eq!(target("/examens/5"), Some(Route::ExamSession { id: 5 }));
        assert_eq!(
            target("/candidats/8/grille"),
            Some(Route::CandidateGrid { id: 8 })
        );
        assert_eq!(
            target("/grilles/bacpro-agora:E31"),
            Some(Route::GridTemplate {
                id: "bacpro-agora:E31".to_owned()
            })
        );
        assert_eq!(target("//evil.example/x"), None);
        assert_eq!(target("https://evil.example/"), None);
        assert_eq!(target("/connexion"), None);
    }
}
