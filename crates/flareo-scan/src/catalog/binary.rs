//! Packages recorded inside executables: Go's build information
//! (`.go.buildinfo`, [`super::golang`]) and `cargo auditable`'s dependency tree
//! (`.dep-v0`, [`super::cargo`]). ELF only (container images are Linux); the
//! section table is read with the `object` crate.

use object::{Object, ObjectSection};

use super::Package;

/// Largest executable read whole to look for embedded metadata (1 GiB).
pub const MAX_BINARY: u64 = 1 << 30;

/// Largest decompressed `cargo auditable` document accepted (8 MiB, the
/// `auditable-info` default).
const MAX_AUDIT_JSON: usize = 8 << 20;

/// Whether a file's first bytes are an ELF header.
pub fn is_elf(head: &[u8]) -> bool {
    head.starts_with(b"\x7fELF")
}

/// The packages an ELF file at `location` records about itself; empty for any
/// other file, and for an executable without (readable) metadata.
pub fn packages(location: &str, bytes: &[u8]) -> Vec<Package> {
    let Ok(file) = object::File::parse(bytes) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(info) = file
        .section_by_name(".go.buildinfo")
        .and_then(|s| s.data().ok())
        .and_then(super::golang::parse)
    {
        out.extend(super::golang::packages(location, &info));
    }
    if file.section_by_name(".dep-v0").is_some()
        && let Ok(info) = auditable_info::audit_info_from_slice(bytes, MAX_AUDIT_JSON)
    {
        out.extend(super::cargo::auditable(location, &info));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn non_elf_and_truncated_files_give_nothing() {
        assert!(super::packages("a", b"#!/bin/sh\necho hi\n").is_empty());
        assert!(super::packages("a", b"\x7fELF\x02\x01\x01").is_empty());
        assert!(super::is_elf(b"\x7fELF\x02") && !super::is_elf(b"MZ"));
    }
}
