-- Re-evaluation of published modules from their stored SBOMs (SQLite dialect; migrations/postgres holds the same schema).
-- A request is written in the same transaction as what makes it necessary (a VEX
-- statement, an advisory import); a worker leases it, evaluates and records the
-- result, and deletes the request only if nobody asked again meanwhile (each new
-- request bumps generation).
CREATE TABLE evaluation_requests (
    slug TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    generation BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0
);
-- Append-only: every evaluation of a module's image, with its report blob.
CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL,
    digest TEXT NOT NULL,
    report_digest TEXT NOT NULL,
    verdict TEXT NOT NULL,
    reason TEXT NOT NULL,
    findings BIGINT NOT NULL,
    suppressed BIGINT NOT NULL,
    trigger_reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX evaluations_by_module ON evaluations (slug, digest, id);
