//! The exercise catalogue import's preview, without its database: the file read as JSON
//! or xlsx as `POST /api/exercises/import/preview` reads it, then every exercise checked
//! against the referentials (snapshot of `referentials/`, built once).

#![no_main]

use std::sync::{Arc, OnceLock};

use passerelle::exercises::catalogue::{problems, read_json, read_xlsx};
use passerelle::referentials::catalog::Snapshot;

static SNAPSHOT: OnceLock<Arc<Snapshot>> = OnceLock::new();

libfuzzer_sys::fuzz_target!(
    init: {
        passerelle_fuzz::abort_on_panics_outside_calamine();
        SNAPSHOT.get_or_init(passerelle_fuzz::snapshot);
    },
    |data: &[u8]| {
        let Some(snapshot) = SNAPSHOT.get() else {
            return;
        };
        // As the import handler tells JSON from xlsx: the first byte past blanks and a BOM.
        let text_start = data
            .iter()
            .skip_while(|b| b.is_ascii_whitespace() || [0xEF, 0xBB, 0xBF].contains(b))
            .copied()
            .next();
        let read = match text_start {
            None => return,
            Some(b'{') => read_json(data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data).trim_ascii_start()),
            Some(_) => read_xlsx(data),
        };
        let Ok(read) = read else {
            return;
        };
        for exercise in &read {
            let _ = problems(snapshot, exercise, "exercice");
        }
    }
);
