//! Classes as teachers and students see them: "/classes" (a teacher's classes),
//! "/classes/:id" (one class; an admin also assigns its teachers there) and "/ma-classe"
//! (a student's class).

use std::collections::BTreeSet;

use passerelle_api::{Account, ClassDetail, ClassSummary, InvitationRequest, PersonRef, Role};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::{self, FetchError};
use crate::components::{form_error, success, ErrorMessage, InvitationButton, Loading};
use crate::route::Route;
use crate::session::{full_name, use_session};
use crate::state::{use_api, use_app_state, Load};

/// The title of a referential when the list is loaded, else its id.
#[hook]
pub fn use_referential_title(id: &str) -> String {
    let app = use_app_state();
    match app.as_ref().map(|a| &a.referentials) {
        Some(Load::Ready(list)) => list
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.title.clone())
            .unwrap_or_else(|| id.to_owned()),
        _ => id.to_owned(),
    }
}

fn people(list: &[PersonRef], kind: &str, empty: &str) -> Html {
    if list.is_empty() {
        return html! { <p class="empty">{ empty.to_owned() }</p> };
    }
    let mut sorted: Vec<&PersonRef> = list.iter().collect();
    sorted.sort_by(|a, b| (&a.last_name, &a.first_name).cmp(&(&b.last_name, &b.first_name)));
    html! {
        <ul class={classes!("people", kind.to_owned())}>
            { for sorted.into_iter().map(|p| html! {
                <li data-person={p.id.to_string()}>
                    <span class="person-last">{ p.last_name.clone() }</span>{ " " }{ p.first_name.clone() }
                </li>
            }) }
        </ul>
    }
}

#[derive(Properties, PartialEq)]
pub struct ClassViewProps {
    pub detail: ClassDetail,
    /// How the viewer is called on the students' list ("Élèves" or "Vous").
    #[prop_or(AttrValue::Static("Élèves"))]
    pub students_title: AttrValue,
}

/// A class: its referential, teachers and students.
#[function_component]
pub fn ClassView(props: &ClassViewProps) -> Html {
    let d = &props.detail;
    let title = use_referential_title(&d.class.referential_id);
    html! {
        <div class="class-view" data-class={d.class.id.to_string()}>
            <div class="block class-ref">
                <p class="meta">
                    <span>{ format!("Année scolaire {}", d.class.school_year) }</span>
                </p>
                <p>
                    { "Référentiel préparé : " }
                    <Link<Route> to={Route::Referential { id: d.class.referential_id.clone() }} classes="class-ref-link">
                        { title }
                    </Link<Route>>
                </p>
            </div>
            <div class="columns">
                <div class="block" id="class-teachers">
                    <h2>{ format!("Enseignants ({})", d.teachers.len()) }</h2>
                    { people(&d.teachers, "teachers", "Aucun enseignant n'est encore affecté à cette classe.") }
                </div>
                <div class="block" id="class-students">
                    <h2>{ format!("{} ({})", props.students_title, d.students.len()) }</h2>
                    { people(&d.students, "students", "Aucun élève dans cette classe pour le moment.") }
                </div>
            </div>
        </div>
    }
}

fn class_cards(list: &[ClassSummary]) -> Html {
    html! {
        <ul class="cards class-cards">
            { for list.iter().map(|c| html! {
                <li class="card" data-class={c.id.to_string()}>
                    <Link<Route> to={Route::Class { id: c.id }} classes="card-link">
                        <span class="card-title">{ c.name.clone() }</span>
                    </Link<Route>>
                    <span class="card-version">{ format!("Année {}", c.school_year) }</span>
                    <span class="card-total">{ format!("Référentiel {}", c.referential_id) }</span>
                </li>
            }) }
        </ul>
    }
}

/// "/classes": the classes a teacher is assigned to.
#[function_component]
pub fn MyClassesPage() -> Html {
    super::set_title("Mes classes");
    let classes = use_api((), |()| api::classes());
    let body = match classes {
        Load::Loading => html! { <Loading text="Chargement de vos classes…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e} what="Classes" /> },
        Load::Ready(list) if list.is_empty() => html! {
            <p class="empty">{ "Vous n'êtes affecté à aucune classe pour le moment. L'administration de l'établissement vous y affecte." }</p>
        },
        Load::Ready(list) => class_cards(&list),
    };
    html! {
        <section class="page">
            <div class="page-intro">
                <h1>{ "Mes classes" }</h1>
                <p class="lead">{ "Les classes auxquelles vous êtes affecté, avec leur référentiel et leurs élèves." }</p>
            </div>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ClassPageProps {
    pub id: i64,
}

/// "/classes/:id": one class; an admin also assigns its teachers and prints invitations.
#[function_component]
pub fn ClassPage(props: &ClassPageProps) -> Html {
    let session = use_session();
    let is_admin = session
        .as_ref()
        .and_then(|s| s.me())
        .is_some_and(|me| me.roles.contains(&Role::Admin));
    let is_teacher = session
        .as_ref()
        .and_then(|s| s.me())
        .is_some_and(|me| me.roles.contains(&Role::Teacher));
    let detail = use_api(props.id, api::class);
    // The class as the last teacher assignment answered it (no reload: the form stays).
    let saved = use_state(|| None::<ClassDetail>);
    let on_saved = {
        let saved = saved.clone();
        Callback::from(move |d: ClassDetail| saved.set(Some(d)))
    };
    let back = if is_admin {
        html! { <Link<Route> to={Route::AdminClasses}>{ "Classes" }</Link<Route>> }
    } else {
        html! { <Link<Route> to={Route::MyClasses}>{ "Mes classes" }</Link<Route>> }
    };
    let body = match detail {
        Load::Loading => {
            super::set_title("Classe");
            html! { <Loading text="Chargement de la classe…" /> }
        }
        Load::Failed(e) => html! { <ErrorMessage error={e} what="Classe" /> },
        Load::Ready(loaded) => {
            let d = (*saved).clone().unwrap_or_else(|| (*loaded).clone());
            super::set_title(&d.class.name);
            html! { <>
                <h1 id="class-name">{ d.class.name.clone() }</h1>
                <ClassView detail={d.clone()} />
                if is_admin || is_teacher {
                    <super::progression::Progression class_id={d.class.id} />
                    <p class="class-links">
                        <Link<Route> to={Route::ClassProgress { id: d.class.id }} classes="btn">
                            <span id="class-progress-link">{ "Suivi des portfolios" }</span>
                        </Link<Route>>
                    </p>
                }
                if is_admin {
                    <TeacherAssignment detail={d.clone()} {on_saved} />
                    <div class="block">
                        <h2>{ "Invitations des élèves" }</h2>
                        <p class="muted">
                            { "Une feuille à imprimer avec un code personnel pour chaque élève de la classe qui ne s'est pas encore connecté." }
                        </p>
                        <InvitationButton id="class-invitations" label="Imprimer les invitations de la classe"
                            request={InvitationRequest { user_ids: Vec::new(), class_id: Some(d.class.id) }} />
                    </div>
                }
            </> }
        }
    };
    html! {
        <section class="page">
            <nav class="breadcrumb" aria-label="Fil d'Ariane">{ back }</nav>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct TeacherAssignmentProps {
    detail: ClassDetail,
    on_saved: Callback<ClassDetail>,
}

/// The admin's multi-select of the teachers of a class.
#[function_component]
fn TeacherAssignment(props: &TeacherAssignmentProps) -> Html {
    let teachers = use_api((), |()| api::accounts(Some(Role::Teacher), ""));
    let chosen = use_state(|| {
        props
            .detail
            .teachers
            .iter()
            .map(|t| t.id)
            .collect::<BTreeSet<i64>>()
    });
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let saved = use_state(|| None::<String>);

    let onsubmit = {
        let (chosen, busy, error, saved) =
            (chosen.clone(), busy.clone(), error.clone(), saved.clone());
        let (id, on_saved) = (props.detail.class.id, props.on_saved.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let ids: Vec<i64> = chosen.iter().copied().collect();
            let (busy, error, saved, on_saved) =
                (busy.clone(), error.clone(), saved.clone(), on_saved.clone());
            busy.set(true);
            error.set(None);
            saved.set(None);
            spawn_local(async move {
                let result = api::assign_teachers(id, ids).await;
                busy.set(false);
                match result {
                    Ok(d) => {
                        saved.set(Some(format!(
                            "Enseignants enregistrés ({}).",
                            d.teachers.len()
                        )));
                        on_saved.emit(d);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };

    let list = match teachers {
        Load::Loading => html! { <Loading text="Chargement des enseignants…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e} what="Enseignants" /> },
        Load::Ready(list) if list.is_empty() => html! {
            <p class="empty">
                { "Aucun compte enseignant. Créez-en depuis " }
                <Link<Route> to={Route::AdminAccounts}>{ "Comptes" }</Link<Route>>{ "." }
            </p>
        },
        Load::Ready(list) => html! {
            <ul class="checklist" id="teacher-choices">
                { for list.iter().map(|t| teacher_choice(t, &chosen)) }
            </ul>
        },
    };
    html! {
        <form class="block" id="teacher-assignment" {onsubmit}>
            <h2>{ "Affecter des enseignants" }</h2>
            <p class="muted">{ "Cochez les enseignants de la classe, puis enregistrez." }</p>
            { list }
            { form_error(&error, "teacher-error") }
            { success(&saved, "teacher-saved") }
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="teacher-submit" disabled={*busy}>
                    { "Enregistrer les enseignants" }
                </button>
            </div>
        </form>
    }
}

fn teacher_choice(t: &Account, chosen: &UseStateHandle<BTreeSet<i64>>) -> Html {
    let id = t.id;
    let checked = chosen.contains(&id);
    let onchange = {
        let chosen = chosen.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let mut next = (*chosen).clone();
            if input.checked() {
                next.insert(id);
            } else {
                next.remove(&id);
            }
            chosen.set(next);
        })
    };
    let input_id = format!("teacher-{id}");
    html! {
        <li>
            <input type="checkbox" id={input_id.clone()} value={id.to_string()} {checked} {onchange} />
            <label for={input_id}>
                { full_name(&t.first_name, &t.last_name) }
                <span class="muted">{ format!(" · {}", t.email) }</span>
            </label>
        </li>
    }
}

/// "/ma-classe": a student's class, its referential and teachers.
#[function_component]
pub fn MyClassPage() -> Html {
    super::set_title("Ma classe");
    let classes = use_api((), |()| async {
        let mut details = Vec::new();
        for c in api::classes().await? {
            details.push(api::class(c.id).await?);
        }
        Ok(details)
    });
    let body = match classes {
        Load::Loading => html! { <Loading text="Chargement de votre classe…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e} what="Classe" /> },
        Load::Ready(list) if list.is_empty() => html! {
            <p class="empty" id="no-class">{ "Vous n'êtes inscrit dans aucune classe pour le moment." }</p>
        },
        Load::Ready(list) => html! {
            { for list.iter().map(|d| html! {
                <div class="my-class">
                    <h2 class="class-title" id={format!("my-class-{}", d.class.id)}>{ d.class.name.clone() }</h2>
                    <ClassView detail={d.clone()} students_title="Vous" />
                </div>
            }) }
        },
    };
    html! {
        <section class="page">
            <div class="page-intro">
                <h1>{ "Ma classe" }</h1>
                <p class="lead">{ "Votre classe, le référentiel que vous préparez et vos enseignants." }</p>
            </div>
            { body }
        </section>
    }
}
