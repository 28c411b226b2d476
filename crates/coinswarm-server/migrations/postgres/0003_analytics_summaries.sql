-- An analytics row may summarise several values of one metric and label: `value` is then
-- their sum, `samples` their count, and min_value/max_value their extremes (NULL for one).
ALTER TABLE analytics_events ADD COLUMN samples BIGINT NOT NULL DEFAULT 1;
ALTER TABLE analytics_events ADD COLUMN min_value DOUBLE PRECISION;
ALTER TABLE analytics_events ADD COLUMN max_value DOUBLE PRECISION;
