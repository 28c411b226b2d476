-- A durable work queue: at-least-once delivery with leases, retries with backoff and a
-- dead-letter state. A job's dedupe key makes enqueueing idempotent.
CREATE TABLE queue_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'done', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    available_at INTEGER NOT NULL,
    leased_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX queue_ready ON queue_jobs (topic, state, available_at);

-- Analytics events (Analytics Engine at the edge): one number per event, aggregated by
-- time bucket when queried. The dedupe key keeps a redelivered job from counting twice.
CREATE TABLE analytics_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key TEXT NOT NULL UNIQUE,
    metric TEXT NOT NULL,
    time INTEGER NOT NULL,
    value REAL NOT NULL,
    label TEXT NOT NULL DEFAULT ''
);
CREATE INDEX analytics_by_metric ON analytics_events (metric, time);
