//! Fuzzes the manifest reader the registry and `flareo verify` run on bytes from
//! the network: any input must parse or be refused without panicking, and a parsed
//! manifest is described by the bytes it came from.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(info) = flareo_oci::ManifestInfo::parse(data) {
        assert_eq!(info.digest, flareo_oci::Digest::of(data));
        assert_eq!(info.size, data.len() as u64);
        assert!(!info.media_type.is_empty());
        for r in info.blobs.iter().chain(&info.manifests) {
            let again: flareo_oci::Digest = r
                .digest
                .as_str()
                .parse()
                .expect("a parsed digest re-parses");
            assert_eq!(again, r.digest);
        }
    }
});
