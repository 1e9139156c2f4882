-- Retention without losing the past that is still answerable: before rows leave the history table (a native
-- partition dropped, a TimescaleDB chunk dropped by its retention policy), each twin's latest row among them is
-- carried forward into twin_history_baseline. Rows of events older than the retention that a replay projects go
-- there too. So "the latest row at or before an instant" over twin_history and twin_history_baseline together is
-- exact for every instant the retention still covers, even for a twin that has not changed for longer.
-- Same columns as twin_history, one row per twin.
CREATE TABLE twin_history_baseline (LIKE twin_history);
ALTER TABLE twin_history_baseline ADD PRIMARY KEY (twin_id);

-- How far rows have been carried forward into the baseline (one row).
CREATE TABLE twin_history_retention (
    only_row      BOOLEAN     PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    carried_until TIMESTAMPTZ NOT NULL
);
INSERT INTO twin_history_retention (carried_until) VALUES ('-infinity');

-- Time-range scans over the whole fleet (activity buckets, verify and export by time range) read blocks in time
-- order: a BRIN index is a few pages for the whole table.
CREATE INDEX twin_history_time_brin ON twin_history USING brin (time);

-- The fleet as it was at an instant, with the columns fleet queries read from twin_document: every twin's latest
-- row at or before the instant, unless that row is its deletion. The history side's read contract for
-- POST /query with "asOf" (docs/query.md); exact for instants within the retention.
-- Versions grow with time per twin, so the latest row is the one with the highest version; the keys are found
-- first (index-only on the primary key) and only the chosen rows' states are read.
CREATE FUNCTION twin_fleet_as_of(at TIMESTAMPTZ)
    RETURNS TABLE (twin_id VARCHAR, device_id VARCHAR, module_id VARCHAR, version BIGINT, deleted BOOLEAN,
                   document JSONB, fields JSONB)
    LANGUAGE sql STABLE AS $$
WITH latest AS (
    SELECT DISTINCT ON (k.twin_id) k.twin_id, k.version, k.time, k.baseline
    FROM (SELECT h.twin_id, h.version, h.time, FALSE AS baseline FROM twin_history h WHERE h.time <= at
          UNION ALL
          SELECT b.twin_id, b.version, b.time, TRUE FROM twin_history_baseline b WHERE b.time <= at) k
    ORDER BY k.twin_id, k.version DESC
), chosen AS (
    SELECT h.twin_id, h.device_id, h.module_id, h.version, h.state
    FROM latest l JOIN twin_history h ON h.twin_id = l.twin_id AND h.version = l.version AND h.time = l.time
    WHERE NOT l.baseline
    UNION ALL
    SELECT b.twin_id, b.device_id, b.module_id, b.version, b.state
    FROM latest l JOIN twin_history_baseline b ON b.twin_id = l.twin_id
    WHERE l.baseline
)
SELECT c.twin_id, c.device_id, c.module_id, c.version, FALSE, c.state,
       c.state #- '{properties,desired,$metadata}' #- '{properties,reported,$metadata}'
FROM chosen c
WHERE c.state IS NOT NULL
$$;
