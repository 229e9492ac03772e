//! The offline grid import's workbook check, without its database: the file refused or
//! opened as `POST /api/exam-sessions/{id}/import/preview` does, its summary sheet and each
//! candidate's sheet read cell by cell and checked against the layout the export writes
//! for that candidate's grid (a session of three AGOrA E31 grids, built once).

#![no_main]

use std::io::Cursor;
use std::sync::OnceLock;

use calamine::{Reader, Xlsx};
use passerelle::juries::import::{check_sheet, read_sheet};
use passerelle::juries::sheet::SUMMARY_SHEET;
use passerelle::people::import::check_xlsx;
use passerelle_fuzz::Session;

static SESSION: OnceLock<Session> = OnceLock::new();

libfuzzer_sys::fuzz_target!(
    init: {
        passerelle_fuzz::abort_on_panics_outside_calamine();
        SESSION.get_or_init(|| passerelle_fuzz::session(&passerelle_fuzz::snapshot()));
    },
    |data: &[u8]| {
        let Some(session) = SESSION.get() else {
            return;
        };
        if check_xlsx(data).is_err() {
            return;
        }
        let Ok(mut workbook) = Xlsx::<Cursor<&[u8]>>::new(Cursor::new(data)) else {
            return;
        };
        let present = workbook.sheet_names();
        let mut budget = 0usize;
        if present.iter().any(|n| n == SUMMARY_SHEET)
            && read_sheet(&mut workbook, SUMMARY_SHEET, &mut budget).is_err()
        {
            return;
        }
        for (grid, name) in session.grids.iter().zip(&session.names) {
            if !present.contains(name) {
                continue;
            }
            let Ok(cells) = read_sheet(&mut workbook, name, &mut budget) else {
                return;
            };
            let mut issues = Vec::new();
            let _ = check_sheet(name, &cells, &session.establishment, grid, &mut issues);
        }
    }
);
