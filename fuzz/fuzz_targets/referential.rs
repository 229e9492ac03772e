//! The referential loader: `referentials::file::parse` of one TOML file, named after the
//! id it declares, its seed lines looked up in `referentials/sources`.

#![no_main]

use passerelle::referentials::file::{parse, Seeds};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let name = passerelle_fuzz::referential_name(text);
    let mut seeds = Seeds::new(passerelle_fuzz::sources_dir());
    let _ = parse(&name, text, &mut seeds);
});
