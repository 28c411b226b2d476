-- Pattern memory: every decision as an episode (the source of truth the vector index is
-- rebuilt from), and the hash-chained audit log of changes to learned patterns.
CREATE TABLE episodes (
    id TEXT PRIMARY KEY NOT NULL,
    product_id TEXT NOT NULL,
    time INTEGER NOT NULL,
    horizon_end INTEGER NOT NULL,
    regime TEXT NOT NULL,
    action TEXT NOT NULL,
    -- The state vector: little-endian f32 values.
    state BLOB NOT NULL,
    -- Return over the horizon net of fees, once known.
    outcome REAL
);
CREATE INDEX episodes_by_time ON episodes (product_id, time);

CREATE TABLE memory_audit (
    seq INTEGER PRIMARY KEY NOT NULL,
    time INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
