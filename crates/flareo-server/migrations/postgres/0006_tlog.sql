-- The transparency log (PostgreSQL dialect; migrations/sqlite holds the same schema).
-- An append-only RFC 6962 Merkle tree. tlog_leaves holds the entries; tlog_nodes
-- every perfect subtree, (level, idx) being the hash of leaves
-- [idx * 2^level, (idx + 1) * 2^level), so roots and proofs read O(log n) rows;
-- tlog_state the tree size. An append bumps the state row first (the lock every
-- appender queues on), then writes the leaf and the nodes it completes, all in one
-- transaction: a crash leaves the whole append or none of it. Hashes and bodies
-- are bytes (BYTEA: PostgreSQL's bytes type; SQLite stores the values as BLOBs).
CREATE TABLE tlog_state (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    tree_size BIGINT NOT NULL CHECK (tree_size >= 0)
);
INSERT INTO tlog_state (id, tree_size) VALUES (1, 0);
CREATE TABLE tlog_leaves (
    log_index BIGINT PRIMARY KEY,
    leaf_hash BYTEA NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    body BYTEA NOT NULL,
    integrated_time BIGINT NOT NULL
);
CREATE TABLE tlog_nodes (
    level BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);
