-- Each analytics event names the account it measures.
ALTER TABLE analytics_events ADD COLUMN account_id TEXT NOT NULL DEFAULT '';
CREATE INDEX analytics_by_account ON analytics_events (account_id, metric, time);
