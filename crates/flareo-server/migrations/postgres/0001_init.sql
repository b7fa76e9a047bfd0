-- Flareo's schema (PostgreSQL dialect; migrations/sqlite holds the same schema).
-- Times are Unix milliseconds. Rows of submissions are never edited after review
-- except for their status; a resubmission is a new row.

CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('maintainer', 'reviewer', 'admin')),
    password_hash TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE submissions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug TEXT NOT NULL,
    maintainer_id BIGINT NOT NULL REFERENCES users(id),
    status TEXT NOT NULL,
    recipe TEXT NOT NULL,
    dockerfile TEXT NOT NULL,
    lint_report TEXT NOT NULL,
    context_digest TEXT NOT NULL,
    tag TEXT NOT NULL,
    requires_network BOOLEAN NOT NULL DEFAULT FALSE,
    network_reason TEXT,
    network_approved_by BIGINT REFERENCES users(id),
    reviewed_by BIGINT REFERENCES users(id),
    review_reason TEXT,
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX submissions_slug ON submissions (slug, id);
CREATE INDEX submissions_status ON submissions (status, id);
-- At most one submission per slug waiting for review.
CREATE UNIQUE INDEX submissions_one_pending ON submissions (slug) WHERE status = 'pending_review';

CREATE TABLE submission_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    status TEXT NOT NULL,
    detail TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX submission_events_by_submission ON submission_events (submission_id, id);

CREATE TABLE jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    step TEXT NOT NULL DEFAULT '',
    attempts BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_expires_at BIGINT,
    created_at BIGINT NOT NULL,
    first_claimed_at BIGINT,
    finished_at BIGINT,
    error TEXT,
    -- Outputs of completed steps, so a resumed build skips them.
    image_digest TEXT,
    image_size BIGINT,
    log_digest TEXT,
    duration_ms BIGINT
);
CREATE INDEX jobs_by_submission ON jobs (submission_id, id);

-- Build log lines as they are produced (for `flareo status --follow`).
CREATE TABLE build_logs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    line TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX build_logs_by_submission ON build_logs (submission_id, id);

-- Web sessions (tower-sessions records as JSON).
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX jobs_claimable ON jobs (state, id);

CREATE TABLE modules (
    slug TEXT PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    name TEXT NOT NULL,
    author TEXT NOT NULL,
    category TEXT NOT NULL,
    license TEXT NOT NULL,
    tag TEXT NOT NULL,
    recipe TEXT NOT NULL,
    digest TEXT NOT NULL,
    pull_url TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    sent_at BIGINT,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);
