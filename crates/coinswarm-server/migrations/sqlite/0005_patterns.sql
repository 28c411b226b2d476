-- Learned patterns: one row per pattern, its lifecycle and weight as columns for queries,
-- the whole pattern (centroid, statistics, live record) as JSON.
CREATE TABLE patterns (
    id TEXT PRIMARY KEY NOT NULL,
    product_id TEXT NOT NULL,
    lifecycle TEXT NOT NULL,
    weight REAL NOT NULL,
    body TEXT NOT NULL,
    updated INTEGER NOT NULL
);
