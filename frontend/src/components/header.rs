use passerelle_api::{Me, Role};
use yew::prelude::*;
use yew_router::prelude::*;

use super::{NotificationBell, SearchBox};
use crate::route::Route;
use crate::session::{full_name, use_session, Session};

/// The role links of a signed-in person: (route, French name, element id).
fn role_links(me: &Me) -> Vec<(Route, &'static str, &'static str)> {
    let mut links = Vec::new();
    if me.roles.contains(&Role::Admin) {
        links.extend([
            (
                Route::AdminEstablishment,
                "Établissement",
                "nav-establishment",
            ),
            (Route::AdminClasses, "Classes", "nav-admin-classes"),
            (Route::AdminAccounts, "Comptes", "nav-accounts"),
            (Route::AdminImport, "Import de listes", "nav-import"),
            (Route::AdminJournal, "Journal", "nav-journal"),
            (Route::ExamSessions, "Examens", "nav-exams"),
        ]);
    } else if me.roles.contains(&Role::Jury) || me.roles.contains(&Role::Teacher) {
        links.push((Route::ExamSessions, "Mes jurys", "nav-juries"));
    }
    if me.roles.contains(&Role::Teacher) {
        links.push((Route::MyClasses, "Mes classes", "nav-my-classes"));
    }
    if me.roles.contains(&Role::Teacher) || me.roles.contains(&Role::Admin) {
        links.push((Route::Exercises, "Exercices", "nav-exercises"));
        links.push((Route::Reviews, "Fiches à relire", "nav-reviews"));
    }
    if me.roles.contains(&Role::Student) {
        links.push((Route::Portfolio, "Mon portfolio", "nav-portfolio"));
        links.push((Route::MyClass, "Ma classe", "nav-my-class"));
        links.push((Route::MyResults, "Mes résultats", "nav-results"));
    }
    links
}

/// The top bar: brand, navigation, search box and who is signed in, on every page; under
/// it, the links of the person's roles.
#[function_component]
pub fn Header() -> Html {
    let route = use_route::<Route>();
    let session = use_session();
    let on_home = matches!(
        route,
        Some(Route::Home | Route::Referential { .. } | Route::Item { .. })
    );
    let on_search = matches!(route, Some(Route::Search));
    let state = session.as_ref().map(|s| s.session.clone());
    let account = match &state {
        Some(Session::SignedIn(me)) => html! {
            <Link<Route> to={Route::Account}
                classes={classes!("account-link", matches!(route, Some(Route::Account)).then_some("active"))}>
                <span class="account-icon" aria-hidden="true">
                    { me.first_name.chars().next().map(String::from).unwrap_or_default() }
                </span>
                <span class="account-name" id="account-name">{ full_name(&me.first_name, &me.last_name) }</span>
            </Link<Route>>
        },
        Some(Session::Restoring) => html! {},
        None | Some(Session::SignedOut) => html! {
            <Link<Route> to={Route::SignIn} classes="account-link signin-link">
                <span id="signin-link">{ "Se connecter" }</span>
            </Link<Route>>
        },
    };
    let links = match &state {
        Some(Session::SignedIn(me)) => role_links(me),
        _ => Vec::new(),
    };
    html! {
        <header class="topbar">
            <div class="topbar-inner">
                <Link<Route> to={Route::Home} classes="brand">
                    <span class="brand-mark" aria-hidden="true">{ "P" }</span>
                    <span class="brand-name">{ "Passerelle" }</span>
                </Link<Route>>
                <nav class="mainnav" aria-label="Navigation principale">
                    <Link<Route> to={Route::Home} classes={classes!("navlink", on_home.then_some("active"))}>
                        { "Référentiels" }
                    </Link<Route>>
                    <Link<Route> to={Route::Search} classes={classes!("navlink", on_search.then_some("active"))}>
                        { "Recherche" }
                    </Link<Route>>
                </nav>
                <SearchBox />
                if matches!(state, Some(Session::SignedIn(_))) {
                    <NotificationBell />
                }
                { account }
            </div>
            if !links.is_empty() {
                <nav class="rolenav" aria-label="Mes espaces">
                    <div class="rolenav-inner">
                        { for links.into_iter().map(|(to, name, id)| {
                            let active = route.as_ref() == Some(&to) || matches!(
                                (&to, &route),
                                (Route::Portfolio, Some(Route::FicheNew | Route::FicheEdit { .. } | Route::Fiche { .. } | Route::StudentProgress { .. }))
                                    | (Route::Reviews, Some(Route::Fiche { .. }))
                                    | (Route::ExamSessions, Some(Route::ExamSession { .. } | Route::CandidateGrid { .. } | Route::GridTemplates | Route::GridTemplate { .. }))
                            );
                            html! {
                                <Link<Route> {to} classes={classes!("rolelink", active.then_some("active"))}>
                                    <span {id}>{ name }</span>
                                </Link<Route>>
                            }
                        }) }
                    </div>
                </nav>
            }
        </header>
    }
}
