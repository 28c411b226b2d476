-- Post-trade messages that kept failing (after max_retries), kept for an operator to read and
-- re-drive (POST /edge/post-trade).
CREATE TABLE IF NOT EXISTS dead_letters (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    queue       TEXT NOT NULL,
    message_id  TEXT NOT NULL UNIQUE,
    body        TEXT NOT NULL,
    received_ms INTEGER NOT NULL
);
