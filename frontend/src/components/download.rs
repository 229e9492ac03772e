//! A button that downloads a file over the signed-in API (bearer token in the header,
//! never in the URL): fetched as a blob, then handed to the browser.

use passerelle_api::AttachedFile;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::{self, CoverageQuery, FetchError};

/// What a [`DownloadButton`] fetches.
#[derive(Debug, Clone, PartialEq)]
pub enum Download {
    /// The exercise catalogue, JSON (`false`) or xlsx (`true`).
    Catalogue { xlsx: bool },
    /// The attached file of an exercise.
    ExerciseFile { id: i64, file: AttachedFile },
    /// A class's coverage matrix as xlsx.
    Coverage { class_id: i64, query: CoverageQuery },
    /// A student's "passeport professionnel" as xlsx.
    Passeport { student_id: i64 },
    /// A student's fiches and attachments as a zip.
    Portfolio { student_id: i64 },
    /// A candidate's CCF grid as xlsx.
    CandidateGrid { candidate_id: i64 },
    /// An exam session's workbook (`csv: false`) or its CSV for the exam office.
    Session { session_id: i64, csv: bool },
}

#[derive(Properties, PartialEq)]
pub struct DownloadButtonProps {
    pub download: Download,
    pub label: AttrValue,
    #[prop_or_default]
    pub id: Option<AttrValue>,
    #[prop_or_default]
    pub primary: bool,
}

#[function_component]
pub fn DownloadButton(props: &DownloadButtonProps) -> Html {
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let onclick = {
        let (busy, error) = (busy.clone(), error.clone());
        let download = props.download.clone();
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            let (busy, error, download) = (busy.clone(), error.clone(), download.clone());
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = match &download {
                    Download::Catalogue { xlsx } => api::export_catalogue(*xlsx).await,
                    Download::ExerciseFile { id, file } => {
                        api::download_exercise_file(*id, file).await
                    }
                    Download::Coverage { class_id, query } => {
                        api::download_coverage(*class_id, query).await
                    }
                    Download::Passeport { student_id } => {
                        api::download_passeport(*student_id).await
                    }
                    Download::Portfolio { student_id } => {
                        api::download_portfolio(*student_id).await
                    }
                    Download::CandidateGrid { candidate_id } => {
                        api::download_candidate_grid(*candidate_id).await
                    }
                    Download::Session { session_id, csv } => {
                        api::download_session_export(*session_id, *csv).await
                    }
                };
                busy.set(false);
                error.set(result.err());
            });
        })
    };
    html! {
        <span class="download-action">
            <button type="button"
                class={classes!("btn", props.primary.then_some("btn-primary"))}
                id={props.id.clone()}
                disabled={*busy}
                {onclick}>
                { if *busy { AttrValue::from("Téléchargement…") } else { props.label.clone() } }
            </button>
            if let Some(e) = &*error {
                <span class="inline-error" role="alert">{ e.form_message() }</span>
            }
        </span>
    }
}
