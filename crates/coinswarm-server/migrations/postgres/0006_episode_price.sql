-- The price each episode was decided at.
ALTER TABLE episodes ADD COLUMN price DOUBLE PRECISION;
