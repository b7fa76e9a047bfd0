-- OSV advisories (PostgreSQL dialect; migrations/sqlite holds the same schema).
-- One row per advisory id with its OSV JSON as imported; the packages it names,
-- by OSV ecosystem without the release suffix (`Debian`, not `Debian:12`) and by
-- name as that ecosystem compares names; and a log of imports. Times are Unix
-- milliseconds; `modified`/`withdrawn` are OSV's RFC 3339 text.

CREATE TABLE advisories (
    id TEXT PRIMARY KEY,
    modified TEXT NOT NULL,
    withdrawn TEXT,
    json TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);

CREATE TABLE advisory_packages (
    advisory_id TEXT NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
    ecosystem TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (advisory_id, ecosystem, name)
);

CREATE INDEX advisory_packages_by_name ON advisory_packages (ecosystem, name);

CREATE TABLE advisory_imports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source TEXT NOT NULL,
    at BIGINT NOT NULL,
    added BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    report TEXT NOT NULL
);
