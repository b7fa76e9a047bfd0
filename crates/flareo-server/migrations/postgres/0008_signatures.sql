-- Signatures and attestations of published images (same schema in both dialects).
-- Two modules can build to the same image digest, and each signature names its
-- module (the signed reference), so rows are per (slug, image). One row per signed object: the image signature (predicate_type '') and each
-- attestation (SLSA provenance, CycloneDX SBOM, OpenVEX), with the Sigstore bundle
-- stored as a blob and the log index of its transparency-log entry. Append-only.
CREATE TABLE image_signatures (
    slug TEXT NOT NULL,
    image_digest TEXT NOT NULL,
    predicate_type TEXT NOT NULL,
    bundle_digest TEXT NOT NULL,
    log_index BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX image_signatures_by_image ON image_signatures (slug, image_digest, created_at);
-- Search by artifact hash (Rekor's /api/v1/index/retrieve): the digest a
-- hashedrekord entry signs or a DSSE entry's payload hash; indexed from the log by
-- whoever searches next (catch-up from the highest indexed entry), so a crash between
-- an append and its indexing loses nothing.
CREATE TABLE tlog_search (
    hash TEXT NOT NULL,
    log_index BIGINT NOT NULL
);
CREATE UNIQUE INDEX tlog_search_by_hash ON tlog_search (hash, log_index);
