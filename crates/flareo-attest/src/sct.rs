//! RFC 6962 signed certificate timestamps for precertificates: what the embedded CT
//! log signs and the TLS-encoded SCT list that goes into a certificate.

use crate::keys::KeyPair;

/// The TLS-encoded `SignedCertificateTimestampList` for one SCT over the
/// precertificate `tbs` (DER, without the SCT extension) issued by the CA whose
/// SubjectPublicKeyInfo hashes to `issuer_key_hash`, at `timestamp_ms`, signed by `log`.
pub fn sign_precert(
    log: &KeyPair,
    issuer_key_hash: &[u8; 32],
    tbs: &[u8],
    timestamp_ms: u64,
) -> Vec<u8> {
    let signed = signed_data(issuer_key_hash, tbs, timestamp_ms);
    let signature = log.sign(&signed);
    let mut sct = vec![0u8]; // v1
    sct.extend_from_slice(&log.public().key_id());
    sct.extend_from_slice(&timestamp_ms.to_be_bytes());
    sct.extend_from_slice(&0u16.to_be_bytes()); // no extensions
    sct.extend_from_slice(&[4, 3]); // sha256, ecdsa
    sct.extend_from_slice(&(signature.len() as u16).to_be_bytes());
    sct.extend_from_slice(&signature);
    let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
    list.extend_from_slice(&(sct.len() as u16).to_be_bytes());
    list.extend_from_slice(&sct);
    list
}

/// The bytes an SCT signature covers for a precertificate entry (RFC 6962 3.2).
pub fn signed_data(issuer_key_hash: &[u8; 32], tbs: &[u8], timestamp_ms: u64) -> Vec<u8> {
    let mut d = vec![0u8, 0u8]; // v1, certificate_timestamp
    d.extend_from_slice(&timestamp_ms.to_be_bytes());
    d.extend_from_slice(&1u16.to_be_bytes()); // precert_entry
    d.extend_from_slice(issuer_key_hash);
    let len = tbs.len() as u32;
    d.extend_from_slice(&len.to_be_bytes()[1..]); // uint24 length
    d.extend_from_slice(tbs);
    d.extend_from_slice(&0u16.to_be_bytes()); // no extensions
    d
}
