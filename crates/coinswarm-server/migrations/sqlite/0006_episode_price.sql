-- The price each episode was decided at, so that an episode still waiting for its horizon
-- at a stop resolves after the restart (older rows have none and stay unresolved).
ALTER TABLE episodes ADD COLUMN price REAL;
