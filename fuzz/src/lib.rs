//! What the fuzz targets share: the referential snapshot the catalogue and grid imports
//! check against (built once, from `referentials/`, in a scratch SQLite database), the
//! session model of the grid import, and the seed files of every target's corpus
//! (`src/bin/seed.rs`, run by `scripts/fuzz`).
//!
//! The fuzz crate may unwrap: a failure here is a broken harness, not a finding.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use passerelle::config::DatabaseUrl;
use passerelle::juries::sheet::Establishment;
use passerelle::referentials::catalog::{Catalog, Snapshot};
use passerelle_api::{
    Candidate, CandidateGrid, CriterionLevel, GridComment, GridStatus, PersonRef,
};

pub mod seeds;

/// The repository's `referentials/` folder.
pub fn referentials_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../referentials")
}

/// The seed texts of the referentials (`referentials/sources`).
pub fn sources_dir() -> PathBuf {
    referentials_dir().join(passerelle::referentials::file::SOURCES_DIR)
}

/// The date class lists are checked against (birth dates in the future are refused).
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 9, 1).unwrap()
}

/// Every referential of `referentials/`, loaded as `passerelle load` does into a scratch
/// SQLite database, then read back as the server's in-memory snapshot.
pub fn snapshot() -> Arc<Snapshot> {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("fuzz.sqlite3"));
    let pool = passerelle::db::connect(&url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    passerelle::referentials::load_dir(&mut conn, &referentials_dir(), Utc::now().naive_utc())
        .unwrap();
    Catalog::default()
        .snapshot(&mut conn, Instant::now())
        .unwrap()
}

/// What the grid import checks a workbook against: one session's establishment and
/// grids, and the sheet names the export gave them.
pub struct Session {
    pub establishment: Establishment,
    pub grids: Vec<CandidateGrid>,
    pub names: Vec<String>,
}

fn person(id: i64, first: &str, last: &str) -> PersonRef {
    PersonRef {
        id,
        first_name: first.to_owned(),
        last_name: last.to_owned(),
    }
}

/// Three candidates on the generated AGOrA E31 grid: an empty open grid, an open grid
/// with levels, a comment and an adjusted mark, and a locked one.
pub fn session(snapshot: &Snapshot) -> Session {
    let template =
        passerelle::juries::templates::generated_one(snapshot, "bacpro-agora:E31").unwrap();
    let grids: Vec<CandidateGrid> = (0..3)
        .map(|i| {
            let filled = i > 0;
            let levels: Vec<CriterionLevel> = if filled {
                template
                    .criteria
                    .iter()
                    .enumerate()
                    .map(|(j, c)| CriterionLevel {
                        code: c.code.clone(),
                        level: u8::try_from(j % template.scale.len().max(1) + 1).unwrap(),
                    })
                    .collect()
            } else {
                Vec::new()
            };
            CandidateGrid {
                candidate: Candidate {
                    id: 10 + i,
                    student: person(
                        100 + i,
                        "Léa",
                        ["Durand", "Martin", "O'Neil [B]"][i as usize],
                    ),
                    number: format!("{:04}", i + 1),
                    class_name: "T AGOrA A".to_owned(),
                    jury_id: Some(1),
                    conforme: i != 1,
                    nonconformity_reason: (i == 1).then(|| "Passeport incomplet".to_owned()),
                },
                session_id: 1,
                session_label: "Session 2027".to_owned(),
                template: template.clone(),
                jury: None,
                members: Vec::new(),
                levels,
                comments: if filled {
                    template
                        .comment_fields
                        .first()
                        .map(|field| GridComment {
                            field: field.clone(),
                            text: "Accueil soigné, reformulation à travailler.".to_owned(),
                        })
                        .into_iter()
                        .collect()
                } else {
                    Vec::new()
                },
                disagreements: Vec::new(),
                proposed_mark: filled.then_some(12.5),
                final_mark: (i == 2).then_some(13.0),
                justification: (i == 2).then(|| "Oral remarquable.".to_owned()),
                status: if i == 2 {
                    GridStatus::Locked
                } else {
                    GridStatus::Open
                },
                signatures: Vec::new(),
                locked_at: None,
                portfolio: Vec::new(),
                can_edit: false,
            }
        })
        .collect();
    Session {
        establishment: Establishment {
            academie: "Académie de Paris".to_owned(),
            name: "Lycée des Métiers".to_owned(),
            uai: "0750001A".to_owned(),
        },
        names: passerelle::juries::sheet::sheet_names(&grids),
        grids,
    }
}

/// The file names the spreadsheet target gives its input, chosen by the input's first
/// byte: each extension the import hints at, an unknown one, none.
pub const SPREADSHEET_NAMES: [&str; 5] = [
    "eleves.xlsx",
    "eleves.ods",
    "eleves.csv",
    "export.txt",
    "eleves",
];

/// The file name a referential is parsed under: `<id>.toml`, the id taken from the first
/// `id = "…"` line (as the loader would find the file named), else `fuzz.toml`.
pub fn referential_name(text: &str) -> String {
    let id = text.lines().find_map(|line| {
        let value = line
            .trim()
            .strip_prefix("id")?
            .trim_start()
            .strip_prefix('=')?;
        let value = value.trim().strip_prefix('"')?;
        value.split('"').next()
    });
    format!("{}.toml", id.unwrap_or("fuzz"))
}

/// The readers run calamine under a guard (`people::import::guarded`): a panic inside it
/// is answered as an unreadable file, which is what the targets check. libFuzzer's panic
/// hook aborts on every panic, caught or not; this one lets calamine's through (the guard
/// turns them into an error) and aborts on any other, as libFuzzer's does.
pub fn abort_on_panics_outside_calamine() {
    let libfuzzer = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info
            .location()
            .is_some_and(|at| at.file().contains("/calamine-"))
        {
            return;
        }
        libfuzzer(info);
        std::process::abort();
    }));
}
