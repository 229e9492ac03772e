//! The class-list readers (xlsx, ods, csv): `people::import::parse_class_list`, the
//! format decided by the content and the file name. The input's first byte picks the file
//! name (`SPREADSHEET_NAMES`), the rest is the file.

#![no_main]

use passerelle::people::import::parse_class_list;
use passerelle_fuzz::{today, SPREADSHEET_NAMES};

libfuzzer_sys::fuzz_target!(
    init: {
        passerelle_fuzz::abort_on_panics_outside_calamine();
    },
    |data: &[u8]| {
        let Some((selector, bytes)) = data.split_first() else {
            return;
        };
        let name = SPREADSHEET_NAMES[usize::from(*selector) % SPREADSHEET_NAMES.len()];
        let _ = parse_class_list(bytes, name, today());
    }
);
