//! The scanning core, pure (no I/O beyond the bytes it is given): version
//! comparison exactly as each ecosystem defines it (`version`), OSV advisories
//! and matching installed packages against their ranges (`osv`), CVSS v3 severity
//! (`severity`), and baked-in secret detection (`secrets`). Catalogers, SBOM and VEX
//! build on these (issue 5).
#![forbid(unsafe_code)]

pub mod catalog;
pub mod evaluate;
pub mod layers;
pub mod matcher;
pub mod osv;
pub mod sbom;
pub mod secrets;
pub mod severity;
pub mod version;
pub mod vex;
