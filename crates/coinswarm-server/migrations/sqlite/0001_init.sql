-- Accounts and their append-only event logs: the source of truth for every balance, order
-- and fill. Money is JSON text inside the events (SQLite has no decimal type).
CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE account_events (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    seq INTEGER NOT NULL,
    time INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (account_id, seq)
) WITHOUT ROWID;

-- API keys: only a SHA-256 of the secret is stored.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    scopes TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- The swarm's decision records (JSON lines), in decision order.
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    time INTEGER NOT NULL,
    record TEXT NOT NULL
);

-- Small named values the server resumes from (e.g. the replay feed's position).
CREATE TABLE server_state (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
