//! "/admin/etablissement": create the establishment, then its school years.

use chrono::{Datelike, NaiveDate};
use passerelle_api::{EstablishmentInput, EstablishmentRef, SchoolYear, SchoolYearInput};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::{intro, latest_first};
use crate::api::{self, FetchError};
use crate::components::{
    date_fr, form_error, refusal, setter, success, ErrorMessage, Loading, TextField,
};
use crate::session::{reload_me, use_session};
use crate::state::{use_api, Load};

#[function_component]
pub fn AdminEstablishmentPage() -> Html {
    let version = use_state(|| 0u32);
    let establishment = use_api(*version, |_| async {
        match api::establishment().await {
            Ok(e) => Ok(Some(e)),
            Err(FetchError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    });
    let on_created = {
        let version = version.clone();
        Callback::from(move |()| version.set(*version + 1))
    };
    let body = match establishment {
        Load::Loading => html! { <Loading text="Chargement de l'établissement…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e} what="Établissement" /> },
        Load::Ready(found) => match found.as_ref() {
            None => html! { <EstablishmentForm {on_created} /> },
            Some(e) => html! { <>
                { establishment_card(e) }
                <SchoolYears />
            </> },
        },
    };
    html! {
        <section class="page">
            { intro("Établissement", "Votre établissement et ses années scolaires : les classes et les imports s'y rattachent.") }
            { body }
        </section>
    }
}

fn establishment_card(e: &EstablishmentRef) -> Html {
    html! {
        <div class="block" id="establishment">
            <h2 id="establishment-name">{ e.name.clone() }</h2>
            <dl class="attrs">
                <div class="attr"><dt>{ "Code UAI" }</dt><dd><code>{ e.uai.clone() }</code></dd></div>
                <div class="attr"><dt>{ "Académie" }</dt><dd>{ e.academie.clone() }</dd></div>
            </dl>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct EstablishmentFormProps {
    on_created: Callback<()>,
}

#[function_component]
fn EstablishmentForm(props: &EstablishmentFormProps) -> Html {
    let session = use_session();
    let name = use_state(String::new);
    let uai = use_state(String::new);
    let academie = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let onsubmit = {
        let (name, uai, academie) = (name.clone(), uai.clone(), academie.clone());
        let (busy, error) = (busy.clone(), error.clone());
        let on_created = props.on_created.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let input = EstablishmentInput {
                name: name.trim().to_owned(),
                uai: uai.trim().to_uppercase(),
                academie: academie.trim().to_owned(),
            };
            let (busy, error, on_created, session) = (
                busy.clone(),
                error.clone(),
                on_created.clone(),
                session.clone(),
            );
            busy.set(true);
            error.set(None);
            spawn_local(async move {
                let result = api::create_establishment(&input).await;
                busy.set(false);
                match result {
                    Ok(_) => {
                        if let Some(session) = &session {
                            reload_me(session);
                        }
                        on_created.emit(());
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    html! {
        <form class="block form" id="establishment-form" {onsubmit}>
            <h2>{ "Créer l'établissement" }</h2>
            <p class="muted">{ "Une seule fois : votre compte administrateur lui sera rattaché." }</p>
            <div class="form-row">
                <TextField id="establishment-name-input" label="Nom" grow=true placeholder="Lycée Jean Moulin"
                    value={(*name).clone()} on_change={setter(&name)} />
                <TextField id="establishment-uai" label="Code UAI" placeholder="0750001A" maxlength={8}
                    hint="7 chiffres et une lettre (ex-RNE)." value={(*uai).clone()} on_change={setter(&uai)} />
                <TextField id="establishment-academie" label="Académie" placeholder="Paris"
                    value={(*academie).clone()} on_change={setter(&academie)} />
            </div>
            { form_error(&error, "establishment-error") }
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="establishment-submit" disabled={*busy}>
                    { "Créer l'établissement" }
                </button>
            </div>
        </form>
    }
}

/// "2026-2027" → 1 September 2026 to 31 August 2027 (a suggestion the admin may change).
fn default_dates(label: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (a, b) = label.trim().split_once('-')?;
    let (a, b): (i32, i32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    if b != a + 1 {
        return None;
    }
    Some((
        NaiveDate::from_ymd_opt(a, 9, 1)?,
        NaiveDate::from_ymd_opt(b, 8, 31)?,
    ))
}

/// The label of the school year after `years` (or the one running today).
fn next_label(years: &[SchoolYear]) -> String {
    let start = match years.iter().map(|y| y.starts_on.year()).max() {
        Some(y) => y + 1,
        None => {
            let today = js_sys::Date::new_0();
            let (year, month) = (today.get_full_year() as i32, today.get_month() + 1);
            if month >= 8 {
                year
            } else {
                year - 1
            }
        }
    };
    format!("{start}-{}", start + 1)
}

#[function_component]
fn SchoolYears() -> Html {
    let version = use_state(|| 0u32);
    let years = use_api(*version, |_| api::school_years());
    let label = use_state(String::new);
    let starts = use_state(String::new);
    let ends = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<FetchError>);
    let created = use_state(|| None::<String>);

    // Suggest the next year once the list is known.
    {
        let (label, starts, ends) = (label.clone(), starts.clone(), ends.clone());
        let known = match &years {
            Load::Ready(list) => Some(next_label(list)),
            _ => None,
        };
        use_effect_with(known, move |known| {
            if let Some(next) = known {
                fill_year(next, &label, &starts, &ends);
            }
        });
    }
    let on_label = {
        let (label, starts, ends) = (label.clone(), starts.clone(), ends.clone());
        Callback::from(move |v: String| fill_year(&v, &label, &starts, &ends))
    };
    let onsubmit = {
        let (label, starts, ends) = (label.clone(), starts.clone(), ends.clone());
        let (busy, error, created, version) = (
            busy.clone(),
            error.clone(),
            created.clone(),
            version.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (Ok(starts_on), Ok(ends_on)) =
                (starts.parse::<NaiveDate>(), ends.parse::<NaiveDate>())
            else {
                error.set(Some(refusal(
                    "Indiquez les dates de début et de fin de l'année.",
                )));
                return;
            };
            let input = SchoolYearInput {
                label: label.trim().to_owned(),
                starts_on,
                ends_on,
            };
            let (busy, error, created, version) = (
                busy.clone(),
                error.clone(),
                created.clone(),
                version.clone(),
            );
            busy.set(true);
            error.set(None);
            created.set(None);
            spawn_local(async move {
                let result = api::create_school_year(&input).await;
                busy.set(false);
                match result {
                    Ok(y) => {
                        created.set(Some(format!("Année {} créée.", y.label)));
                        version.set(*version + 1);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };

    let list = match &years {
        Load::Loading => html! { <Loading text="Chargement des années…" /> },
        Load::Failed(e) => html! { <ErrorMessage error={e.clone()} what="Années scolaires" /> },
        Load::Ready(list) if list.is_empty() => html! {
            <p class="empty">{ "Aucune année scolaire : créez la première ci-dessous." }</p>
        },
        Load::Ready(list) => {
            let sorted = latest_first(list);
            html! {
                <div class="table-wrap">
                    <table class="data-table" id="school-years">
                        <thead><tr><th>{ "Année" }</th><th>{ "Début" }</th><th>{ "Fin" }</th></tr></thead>
                        <tbody>
                            { for sorted.into_iter().map(|y| html! {
                                <tr data-year={y.id.to_string()}>
                                    <td data-label="Année"><strong>{ y.label.clone() }</strong></td>
                                    <td data-label="Début">{ date_fr(y.starts_on) }</td>
                                    <td data-label="Fin">{ date_fr(y.ends_on) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            }
        }
    };
    html! {
        <div class="block">
            <h2>{ "Années scolaires" }</h2>
            { list }
            <form class="form" id="year-form" {onsubmit}>
                <h3>{ "Nouvelle année" }</h3>
                <div class="form-row">
                    <TextField id="year-label" label="Libellé" placeholder="2026-2027" maxlength={9}
                        value={(*label).clone()} on_change={on_label} />
                    <TextField id="year-starts" label="Début" kind="date" value={(*starts).clone()} on_change={setter(&starts)} />
                    <TextField id="year-ends" label="Fin" kind="date" value={(*ends).clone()} on_change={setter(&ends)} />
                </div>
                { form_error(&error, "year-error") }
                { success(&created, "year-created") }
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" id="year-submit" disabled={*busy}>{ "Créer l'année" }</button>
                </div>
            </form>
        </div>
    }
}

/// Sets the label and, when it reads "AAAA-AAAA", the usual dates.
fn fill_year(
    value: &str,
    label: &UseStateHandle<String>,
    starts: &UseStateHandle<String>,
    ends: &UseStateHandle<String>,
) {
    label.set(value.to_owned());
    if let Some((s, e)) = default_dates(value) {
        starts.set(s.to_string());
        ends.set(e.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::default_dates;

    #[test]
    fn suggests_september_to_august() {
        let (s, e) = default_dates("2026-2027").unwrap_or_else(|| panic!("dates"));
        assert_eq!(
            (s.to_string(), e.to_string()),
            ("2026-09-01".to_owned(), "2027-08-31".to_owned())
        );
        assert_eq!(default_dates("2026-2028"), None);
        assert_eq!(default_dates("2026"), None);
    }
}
