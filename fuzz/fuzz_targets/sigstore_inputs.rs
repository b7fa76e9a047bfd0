//! Fuzzes what `flareo verify` and the Fulcio/Rekor clients read from others:
//! Sigstore bundles, Rekor responses and SCT lists. None may panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = flareo_attest::sct::Sct::parse_list(data);
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = flareo_attest::bundle::Bundle::from_json(&v);
        let _ = flareo_attest::bundle::TlogEntry::from_rekor_response(&v);
    }
});
