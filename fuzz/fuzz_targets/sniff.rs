//! The upload sniffer: `sniff::detect`, then `sniff::clean` of what it accepted (PNG and
//! JPEG metadata stripped), as an evidence upload goes.

#![no_main]

use passerelle::sniff::{clean, detect};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(file_type) = detect(data) {
        let _ = clean(file_type, data.to_vec());
    }
});
