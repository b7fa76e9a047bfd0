-- Reviewers' VEX statements (SQLite dialect; migrations/postgres holds the same schema).
-- Append-only: a new statement about the same vulnerability is a new row (the latest
-- decides), so nothing is silently overwritten and the history stays.
CREATE TABLE vex_statements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL,
    statement TEXT NOT NULL,
    author_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX vex_statements_by_slug ON vex_statements (slug, id);
