-- An analytics row may summarise several values of one metric and label (hot paths such as
-- order acknowledgement times record one row per metric per second, not one per request):
-- `value` is then their sum, `samples` their count, and min_value/max_value their extremes.
-- A single value has samples = 1 and NULL extremes (the value itself).
ALTER TABLE analytics_events ADD COLUMN samples INTEGER NOT NULL DEFAULT 1;
ALTER TABLE analytics_events ADD COLUMN min_value REAL;
ALTER TABLE analytics_events ADD COLUMN max_value REAL;
