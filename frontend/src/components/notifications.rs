//! The bell of the header: unread notifications (fiches submitted, returned, validated,
//! commented), polled on every navigation and every minute; a dropdown lists them, each
//! linking to its fiche.

use std::rc::Rc;

use gloo_timers::callback::Interval;
use passerelle_api::{Notification, Notifications};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use super::local_time_fr;
use crate::api;
use crate::route::Route;
use crate::session::full_name;

/// How often the bell asks, in milliseconds.
const POLL_MS: u32 = 60_000;

fn refresh(state: &UseStateHandle<Option<Rc<Notifications>>>) {
    let state = state.clone();
    spawn_local(async move {
        // A failed poll keeps what was shown; the next one may succeed.
        if let Ok(n) = api::notifications().await {
            state.set(Some(Rc::new(n)));
        }
    });
}

#[function_component]
pub fn NotificationBell() -> Html {
    let state = use_state(|| None::<Rc<Notifications>>);
    let open = use_state(|| false);
    let path = use_location().map(|l| l.path().to_owned());
    {
        let (state, open) = (state.clone(), open.clone());
        use_effect_with(path, move |_| {
            refresh(&state);
            open.set(false);
        });
    }
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            let timer = Interval::new(POLL_MS, move || refresh(&state));
            move || drop(timer)
        });
    }
    let unread = state.as_ref().map_or(0, |n| n.unread);
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let close = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(false))
    };
    let mark = {
        let state = state.clone();
        Callback::from(move |ids: Vec<i64>| {
            let state = state.clone();
            spawn_local(async move {
                if api::mark_read(ids).await.is_ok() {
                    refresh(&state);
                }
            });
        })
    };
    let mark_all = {
        let mark = mark.clone();
        Callback::from(move |_: MouseEvent| mark.emit(Vec::new()))
    };
    let label = match unread {
        0 => "Notifications : aucune nouvelle".to_owned(),
        1 => "Notifications : 1 nouvelle".to_owned(),
        n => format!("Notifications : {n} nouvelles"),
    };
    let items: Vec<Notification> = state.as_ref().map(|n| n.items.clone()).unwrap_or_default();
    html! {
        <div class="bell">
            <button type="button" id="notifications-toggle" class={classes!("bell-button", (unread > 0).then_some("has-unread"))}
                aria-expanded={open.to_string()} aria-controls="notifications-panel" aria-label={label.clone()}
                title={label} onclick={toggle}>
                <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M12 3a6 6 0 0 0-6 6v3.6L4.3 15.4A1 1 0 0 0 5.2 17h13.6a1 1 0 0 0 .9-1.6L18 12.6V9a6 6 0 0 0-6-6Zm-2 15a2 2 0 0 0 4 0Z"
                        fill="currentColor" />
                </svg>
                if unread > 0 {
                    <span class="bell-count" id="notifications-count">{ if unread > 99 { "99+".to_owned() } else { unread.to_string() } }</span>
                }
            </button>
            if *open {
                <div class="bell-panel" id="notifications-panel" role="region" aria-label="Notifications">
                    <div class="bell-head">
                        <strong>{ "Notifications" }</strong>
                        if unread > 0 {
                            <button type="button" class="btn btn-small" id="notifications-read-all" onclick={mark_all}>
                                { "Tout marquer comme lu" }
                            </button>
                        }
                        <button type="button" class="btn btn-small" id="notifications-close" onclick={close}>
                            { "Fermer" }
                        </button>
                    </div>
                    if items.is_empty() {
                        <p class="empty">{ "Aucune notification." }</p>
                    } else {
                        <ul class="bell-list" id="notifications-list">
                            { for items.into_iter().map(|n| {
                                let onclick = {
                                    let (open, mark, id, read) = (open.clone(), mark.clone(), n.id, n.read);
                                    Callback::from(move |_: MouseEvent| {
                                        open.set(false);
                                        if !read {
                                            mark.emit(vec![id]);
                                        }
                                    })
                                };
                                html! {
                                    <li class={classes!("bell-item", (!n.read).then_some("unread"))}
                                        data-kind={n.kind.as_str()} data-fiche={n.fiche_id.to_string()} {onclick}>
                                        <Link<Route> to={Route::Fiche { id: n.fiche_id }} classes="bell-link">
                                            <span class="bell-kind">{ n.kind.label() }</span>
                                            <span class="bell-title">{ n.fiche_title.clone() }</span>
                                            <span class="bell-meta">
                                                { format!("{} · {}", full_name(&n.actor.first_name, &n.actor.last_name), local_time_fr(n.at)) }
                                            </span>
                                        </Link<Route>>
                                    </li>
                                }
                            }) }
                        </ul>
                    }
                </div>
            }
        </div>
    }
}
