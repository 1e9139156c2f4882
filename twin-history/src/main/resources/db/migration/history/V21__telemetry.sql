-- Device telemetry: one row per numeric measurement a device publishes on twins/{deviceId}/telemetry, kept for
-- twin.telemetry.retention (90 days by default). Partitioned by day on the sample's time; the application creates
-- partitions ahead and drops those past retention (NativeTelemetryDialect), or with the timescaledb extension turns
-- the table into a hypertable with a retention policy (TimescaleTelemetryDialect).
-- A sample is identified by twin, time and name: a redelivered message that carried its own ts is stored once. The
-- primary key is also the index every read uses (one twin over a time range).
CREATE TABLE telemetry (
    twin_id TEXT             NOT NULL,
    ts      TIMESTAMPTZ      NOT NULL,
    name    TEXT             NOT NULL,
    value   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (twin_id, ts, name)
) PARTITION BY RANGE (ts);
