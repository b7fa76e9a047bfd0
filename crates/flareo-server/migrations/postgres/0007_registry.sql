-- The OCI registry's index of what it serves (PostgreSQL dialect; migrations/sqlite holds the same schema).
-- The bytes live in the blob store; these tables say which manifests belong to
-- which repository, what their tags are, which blobs each manifest references
-- (only those are served under the repository), and which manifests refer to
-- which (OCI 1.1 subject, for the referrers API).
-- A manifest recorded by digest alone (the publish transaction has no blob store)
-- has NULL media_type and size until the registry first reads its bytes and
-- completes the row and its registry_blobs.
CREATE TABLE registry_manifests (
    repository TEXT NOT NULL,
    digest TEXT NOT NULL,
    media_type TEXT,
    artifact_type TEXT,
    subject_digest TEXT,
    size BIGINT,
    annotations TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (repository, digest)
);
CREATE INDEX registry_manifests_by_subject ON registry_manifests (repository, subject_digest);
-- A tag points at one manifest of its repository; tagging again moves it.
CREATE TABLE registry_tags (
    repository TEXT NOT NULL,
    tag TEXT NOT NULL,
    digest TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (repository, tag)
);
-- The config, layers (or an artifact's blobs) of each complete manifest.
CREATE TABLE registry_blobs (
    repository TEXT NOT NULL,
    manifest_digest TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (repository, manifest_digest, digest)
);
CREATE INDEX registry_blobs_by_digest ON registry_blobs (repository, digest);
