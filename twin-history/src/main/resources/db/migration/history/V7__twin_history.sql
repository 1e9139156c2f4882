-- The history table: one row per twin event, with who, through what and why, the event's change and the twin
-- as it was after it (NULL after a deletion). Partitioned by day on the event's time; the application creates
-- partitions ahead and drops those past retention (twin.history.retention). The event store is never trimmed:
-- a point-in-time read older than the retention is rebuilt from the events.
CREATE TABLE twin_history (
    time             TIMESTAMPTZ  NOT NULL,
    twin_id          VARCHAR(260) NOT NULL,
    device_id        VARCHAR(128) NOT NULL,
    module_id        VARCHAR(128),
    version          BIGINT       NOT NULL,
    desired_version  BIGINT,
    reported_version BIGINT,
    event_type       VARCHAR(64)  NOT NULL,
    event_id         VARCHAR(255) NOT NULL,
    global_index     BIGINT       NOT NULL,
    principal        VARCHAR(256),
    channel          VARCHAR(32),
    transport        VARCHAR(64),
    correlation_id   VARCHAR(256),
    causation_id     VARCHAR(256),
    reason           TEXT,
    paths            TEXT[]       NOT NULL,
    change           JSONB        NOT NULL,
    state            JSONB,
    PRIMARY KEY (twin_id, version, time)
) PARTITION BY RANGE (time);

-- One twin's history by time (point-in-time reads, history pages); the primary key serves reads by version.
CREATE INDEX twin_history_twin_time ON twin_history (twin_id, time);
-- The fleet-wide audit trail pages in (time, twin_id, version) order, with or without a principal.
CREATE INDEX twin_history_time ON twin_history (time, twin_id, version);
CREATE INDEX twin_history_principal ON twin_history (principal, time, twin_id, version);

-- The latest state of each twin as the history projection folded it (NULL after a deletion), written in the same
-- transaction as the rows: the next event of that twin is folded onto it.
CREATE TABLE twin_history_head (
    twin_id VARCHAR(260) PRIMARY KEY,
    version BIGINT       NOT NULL,
    state   JSONB
);
