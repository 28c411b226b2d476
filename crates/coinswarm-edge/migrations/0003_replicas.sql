-- Read replicas of the agent tier's durable streams, written once per event by the market
-- hub as it applies them (the stream's seq is kept with each row): every fill of the agent
-- tier's accounts, its learned patterns (the latest commit of each), and its episodes (the
-- latest of each: recorded, then resolved with its outcome; without their state vectors,
-- which only the vector index holds).
CREATE TABLE IF NOT EXISTS replica_trades (
    account_id TEXT NOT NULL,
    trade_id   TEXT NOT NULL,
    product_id TEXT NOT NULL,
    time_ms    INTEGER NOT NULL,
    seq        INTEGER NOT NULL UNIQUE,
    fill       TEXT NOT NULL,
    PRIMARY KEY (account_id, trade_id)
);
CREATE INDEX IF NOT EXISTS replica_trades_by_account ON replica_trades (account_id, time_ms);

CREATE TABLE IF NOT EXISTS replica_patterns (
    id         TEXT PRIMARY KEY,
    product_id TEXT NOT NULL,
    lifecycle  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    body       TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS replica_episodes (
    id         TEXT PRIMARY KEY,
    product_id TEXT NOT NULL,
    regime     TEXT NOT NULL,
    time_ms    INTEGER NOT NULL,
    outcome    REAL,
    seq        INTEGER NOT NULL UNIQUE,
    body       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS replica_episodes_by_product ON replica_episodes (product_id, regime);
CREATE INDEX IF NOT EXISTS replica_episodes_by_time ON replica_episodes (product_id, time_ms);
