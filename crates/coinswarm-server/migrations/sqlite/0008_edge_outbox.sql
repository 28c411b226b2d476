-- The outbox of publication to the edge tier: events of the durable streams (decisions,
-- trades, patterns, episodes), written in the same transaction as what they record, numbered
-- per stream without gaps, and deleted once the edge has applied them.
CREATE TABLE edge_streams (
    stream TEXT PRIMARY KEY,
    -- The last number given to an event of this stream.
    last_seq INTEGER NOT NULL,
    -- The last event the edge said it has applied (every one up to it).
    acked_seq INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE edge_outbox (
    stream TEXT NOT NULL,
    seq INTEGER NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (stream, seq)
) WITHOUT ROWID;
