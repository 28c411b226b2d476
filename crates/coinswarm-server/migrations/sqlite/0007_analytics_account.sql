-- Each analytics event names the account it measures, so a key sees only its own account's
-- analytics. Rows from before this column have '' (account unknown): only an admin's query
-- over every account counts them.
ALTER TABLE analytics_events ADD COLUMN account_id TEXT NOT NULL DEFAULT '';
CREATE INDEX analytics_by_account ON analytics_events (account_id, metric, time);
