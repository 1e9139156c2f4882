-- Computed attributes (docs/predictive.md): an operator's definitions, and per twin the latest value of each, with
-- what it was computed from. Values are a read model the computation rewrites as telemetry arrives; raising and
-- clearing an alert are twin events (AlertRaised, AlertCleared), and alert_raised follows them here for GET /alerts.
CREATE TABLE computed_definition (
    name        VARCHAR(64)  PRIMARY KEY,
    definition  JSONB        NOT NULL,
    version     BIGINT       NOT NULL,
    created_at  TIMESTAMPTZ  NOT NULL,
    updated_at  TIMESTAMPTZ  NOT NULL,
    updated_by  VARCHAR(256) NOT NULL
);

CREATE TABLE computed_value (
    twin_id       VARCHAR(300) NOT NULL,
    name          VARCHAR(64)  NOT NULL REFERENCES computed_definition (name) ON DELETE CASCADE,
    value         DOUBLE PRECISION,
    detail        JSONB        NOT NULL,
    computed_at   TIMESTAMPTZ  NOT NULL,
    alert_raised  BOOLEAN      NOT NULL DEFAULT FALSE,
    alert_changed TIMESTAMPTZ,
    PRIMARY KEY (twin_id, name)
);

CREATE INDEX computed_value_alerts ON computed_value (name, twin_id) WHERE alert_raised;
