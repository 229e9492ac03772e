//! `seed <corpus-root>`: writes every fuzz target's seed files into
//! `<corpus-root>/<target>/` (see `passerelle_fuzz::seeds`), then exits.
//!
//! Built by `cargo fuzz build` with the targets, hence libFuzzer's entry point: the work
//! is done in its init, before libFuzzer runs anything.

#![no_main]

fn write_seeds_and_exit() {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "corpus".to_owned());
    passerelle_fuzz::seeds::write_all(std::path::Path::new(&root));
    std::process::exit(0)
}

libfuzzer_sys::fuzz_target!(init: write_seeds_and_exit(), |_data: &[u8]| {});
