//! The signing and attestation core, pure (no I/O beyond the bytes it is given):
//! P-256 keys (`keys`), DSSE envelopes (`dsse`), in-toto statements and SLSA
//! provenance (`intoto`), and the transparency log's Merkle maths and checkpoints.
#![forbid(unsafe_code)]

pub mod bundle;
pub mod ca;
pub mod cosign;
pub mod dsse;
pub mod fulcio;
pub mod intoto;
pub mod keys;
pub mod oidc;
pub mod rekor;
pub mod sct;

pub mod checkpoint;
pub mod merkle;
pub mod trust_root;
pub mod verify;
