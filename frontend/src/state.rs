//! Shared application state and the data-loading hook.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::rc::Rc;

use passerelle_api::{ItemKind, ReferentialDetail, ReferentialSummary};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::FetchError;

/// A resource loaded from the API.
#[derive(Debug, PartialEq)]
pub enum Load<T> {
    Loading,
    Ready(Rc<T>),
    Failed(FetchError),
}

impl<T> Clone for Load<T> {
    fn clone(&self) -> Self {
        match self {
            Load::Loading => Load::Loading,
            Load::Ready(v) => Load::Ready(Rc::clone(v)),
            Load::Failed(e) => Load::Failed(e.clone()),
        }
    }
}

impl<T> From<Result<T, FetchError>> for Load<T> {
    fn from(r: Result<T, FetchError>) -> Self {
        match r {
            Ok(v) => Load::Ready(Rc::new(v)),
            Err(e) => Load::Failed(e),
        }
    }
}

/// Which tree nodes are open and which kinds are filtered, per referential.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TreeState {
    pub expanded: HashSet<String>,
    pub kinds: BTreeSet<ItemKind>,
}

pub enum TreeAction {
    Toggle(String),
    ExpandAll(Vec<String>),
    CollapseAll,
    ToggleKind(ItemKind),
    ClearKinds,
}

impl TreeState {
    fn apply(&mut self, action: TreeAction) {
        match action {
            TreeAction::Toggle(code) => {
                if !self.expanded.remove(&code) {
                    self.expanded.insert(code);
                }
            }
            TreeAction::ExpandAll(codes) => self.expanded.extend(codes),
            TreeAction::CollapseAll => self.expanded.clear(),
            TreeAction::ToggleKind(kind) => {
                if !self.kinds.remove(&kind) {
                    self.kinds.insert(kind);
                }
            }
            TreeAction::ClearKinds => self.kinds.clear(),
        }
    }
}

/// State shared by every page: the referential list (home cards, search filter), the
/// referentials already loaded (instant back navigation, labels of linked items) and the
/// tree state of each referential (kept when going to an item and back).
#[derive(Debug, Clone, PartialEq)]
pub struct AppState {
    pub referentials: Load<Vec<ReferentialSummary>>,
    pub details: HashMap<String, Rc<ReferentialDetail>>,
    pub trees: HashMap<String, TreeState>,
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            referentials: Load::Loading,
            details: HashMap::new(),
            trees: HashMap::new(),
        }
    }
}

pub enum AppAction {
    ReferentialsLoading,
    Referentials(Result<Vec<ReferentialSummary>, FetchError>),
    Detail(Rc<ReferentialDetail>),
    Tree(String, TreeAction),
}

impl Reducible for AppState {
    type Action = AppAction;
    fn reduce(self: Rc<Self>, action: AppAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            AppAction::ReferentialsLoading => next.referentials = Load::Loading,
            AppAction::Referentials(r) => next.referentials = r.into(),
            AppAction::Detail(d) => {
                next.details.insert(d.id.clone(), d);
            }
            AppAction::Tree(id, action) => next.trees.entry(id).or_default().apply(action),
        }
        Rc::new(next)
    }
}

pub type AppContext = UseReducerHandle<AppState>;

/// (Re)loads the referential list into the shared state.
pub fn load_referentials(app: AppContext) {
    app.dispatch(AppAction::ReferentialsLoading);
    spawn_local(async move {
        app.dispatch(AppAction::Referentials(crate::api::referentials().await));
    });
}

/// The shared state (None outside the provider).
#[hook]
pub fn use_app_state() -> Option<AppContext> {
    use_context::<AppContext>()
}

/// A referential's detail, from the shared cache or fetched once (when `wanted`) and cached.
#[hook]
pub fn use_referential(id: String, wanted: bool) -> Load<ReferentialDetail> {
    let app = use_app_state();
    let cached = app.as_ref().and_then(|a| a.details.get(&id).cloned());
    let fetched = use_api(
        (id, wanted && cached.is_none()),
        |(id, fetch): (String, bool)| async move {
            if fetch {
                crate::api::referential(&id).await.map(|d| Some(Rc::new(d)))
            } else {
                Ok(None)
            }
        },
    );
    {
        let app = app.clone();
        let fresh = match &fetched {
            Load::Ready(d) => d.as_ref().clone(),
            _ => None,
        };
        use_effect_with(fresh, move |fresh| {
            if let (Some(app), Some(d)) = (app, fresh) {
                app.dispatch(AppAction::Detail(Rc::clone(d)));
            }
        });
    }
    match (cached, fetched) {
        (Some(d), _) => Load::Ready(d),
        (None, Load::Ready(d)) => match d.as_ref() {
            Some(d) => Load::Ready(Rc::clone(d)),
            None => Load::Loading,
        },
        (None, Load::Loading) => Load::Loading,
        (None, Load::Failed(e)) => Load::Failed(e),
    }
}

/// Loads `fetch(deps)` whenever `deps` change; answers of superseded requests are dropped.
#[hook]
pub fn use_api<T, D, F, Fut>(deps: D, fetch: F) -> Load<T>
where
    T: 'static,
    D: PartialEq + Clone + 'static,
    F: FnOnce(D) -> Fut + 'static,
    Fut: Future<Output = Result<T, FetchError>> + 'static,
{
    let state = use_state(|| Load::<T>::Loading);
    {
        let state = state.clone();
        use_effect_with(deps, move |deps| {
            let alive = Rc::new(std::cell::Cell::new(true));
            state.set(Load::Loading);
            let deps = deps.clone();
            let guard = alive.clone();
            spawn_local(async move {
                let result = fetch(deps).await;
                if guard.get() {
                    state.set(result.into());
                }
            });
            move || alive.set(false)
        });
    }
    (*state).clone()
}
