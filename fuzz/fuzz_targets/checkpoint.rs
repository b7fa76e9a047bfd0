//! Fuzzes the C2SP signed-note reader `flareo verify` runs on a bundle's or a log's
//! checkpoint: no input panics, and an accepted note's body is exactly the body its
//! parsed checkpoint writes (what is verified is what was read).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(note) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(parsed) = flareo_attest::checkpoint::parse(note) {
        assert_eq!(parsed.checkpoint.body(), parsed.body);
        assert!(!parsed.signatures.is_empty());
    }
});
