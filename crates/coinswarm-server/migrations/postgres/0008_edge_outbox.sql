-- The outbox of publication to the edge tier: events of the durable streams, written in the
-- same transaction as what they record, numbered per stream without gaps, and deleted once
-- the edge has applied them.
CREATE TABLE edge_streams (
    stream TEXT PRIMARY KEY,
    last_seq BIGINT NOT NULL,
    acked_seq BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE edge_outbox (
    stream TEXT NOT NULL,
    seq BIGINT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (stream, seq)
);
