-- Pattern memory: every decision as an episode (the source of truth the vector index is
-- rebuilt from), and the hash-chained audit log of changes to learned patterns.
CREATE TABLE episodes (
    id TEXT PRIMARY KEY NOT NULL,
    product_id TEXT NOT NULL,
    time BIGINT NOT NULL,
    horizon_end BIGINT NOT NULL,
    regime TEXT NOT NULL,
    action TEXT NOT NULL,
    -- The state vector: little-endian f32 values.
    state BYTEA NOT NULL,
    -- Return over the horizon net of fees, once known.
    outcome DOUBLE PRECISION
);
CREATE INDEX episodes_by_time ON episodes (product_id, time);

CREATE TABLE memory_audit (
    seq BIGINT PRIMARY KEY NOT NULL,
    time BIGINT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
