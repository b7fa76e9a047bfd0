-- Scan results on the build job (SQLite dialect; migrations/postgres holds the same):
-- digests of the scan report and the CycloneDX SBOM in the blob store.
ALTER TABLE jobs ADD COLUMN scan_digest TEXT;
ALTER TABLE jobs ADD COLUMN sbom_digest TEXT;
