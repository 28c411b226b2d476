-- API keys (secrets stored as SHA-256 hex, as in coinswarm up), the account index, and the
-- read models the post-trade queue keeps (fills per account).
CREATE TABLE IF NOT EXISTS api_keys (
    id          TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    account_id  TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS fills (
    trade_id   TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    order_id   TEXT NOT NULL,
    product_id TEXT NOT NULL,
    time_ms    INTEGER NOT NULL,
    fill       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fills_by_account ON fills (account_id, time_ms);
