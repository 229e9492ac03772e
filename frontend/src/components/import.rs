//! Pieces of the two-step imports (class lists, exercise catalogues): the file form, the
//! chips filtering the previewed rows, and the commit bar.

use yew::prelude::*;

/// What an [`import_form`] shows and does.
pub struct ImportForm<'a> {
    /// Extensions accepted by the file input (".xlsx,.csv").
    pub accept: &'a str,
    pub label: &'a str,
    pub hint: &'a str,
    pub busy: bool,
    /// A file is chosen.
    pub ready: bool,
    pub on_file: Callback<Option<web_sys::File>>,
    pub on_preview: Callback<()>,
}

/// The file to import and the "Aperçu" button; `extra`: fields shown before the file
/// (the school year…). A plain function rather than a component: smaller wasm.
pub fn import_form(form: ImportForm<'_>, extra: Html) -> Html {
    let onsubmit = {
        let on_preview = form.on_preview;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_preview.emit(());
        })
    };
    let onchange = {
        let on_file = form.on_file;
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            on_file.emit(input.files().and_then(|f| f.get(0)));
        })
    };
    html! {
        <form class="block form" id="import-form" {onsubmit}>
            <div class="form-row">
                { extra }
                <div class="field grow">
                    <label for="import-file">{ form.label.to_owned() }</label>
                    <input type="file" id="import-file" accept={form.accept.to_owned()} {onchange} />
                    <p class="field-hint">{ form.hint.to_owned() }</p>
                </div>
            </div>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="import-preview"
                    disabled={!form.ready || form.busy}>
                    { if form.busy { "Analyse…" } else { "Aperçu" } }
                </button>
            </div>
        </form>
    }
}

/// Chips filtering the rows of a report: (key, label) each, `current` pressed.
pub fn filter_chips(
    chips: Vec<(&'static str, String)>,
    current: &'static str,
    on_pick: Callback<&'static str>,
) -> Html {
    html! {
        <div class="chips import-counts" id="import-counts" role="group" aria-label="Filtrer les lignes">
            { for chips.into_iter().map(|(key, label)| {
                let pressed = key == current;
                let onclick = {
                    let on_pick = on_pick.clone();
                    Callback::from(move |_: MouseEvent| on_pick.emit(key))
                };
                html! {
                    <button type="button"
                        class={classes!("chip", format!("action-{key}"), pressed.then_some("pressed"))}
                        aria-pressed={if pressed { "true" } else { "false" }}
                        data-filter={key}
                        {onclick}>
                        { label }
                    </button>
                }
            }) }
        </div>
    }
}

/// The commit button of a preview, and why it is disabled when it is (`blocked`).
pub fn commit_bar(
    label: String,
    busy: bool,
    blocked: Option<String>,
    on_commit: Callback<()>,
) -> Html {
    let onclick = Callback::from(move |_: MouseEvent| on_commit.emit(()));
    html! {
        <div class="form-actions sticky-actions">
            <button type="button" class="btn btn-primary" id="import-commit"
                disabled={blocked.is_some() || busy} {onclick}>
                { label }
            </button>
            if let Some(why) = blocked {
                <span class="muted" id="import-blocked">{ why }</span>
            }
        </div>
    }
}
