-- Fencing of account ownership across processes (see migrations/postgres). On SQLite the data
-- directory's lock gives one process the whole store, so the table stays empty; it is here so
-- that both engines keep the same tables and columns.
CREATE TABLE account_owners (
    account_id TEXT PRIMARY KEY,
    token INTEGER NOT NULL
);
