-- Rollouts as GET /rollouts/{id} shows them, written with their events (a subscribing projection), and read by the
-- rollout monitor to find the rollouts it watches.
CREATE TABLE rollout (
    rollout_id       VARCHAR(128) PRIMARY KEY,
    configuration_id VARCHAR(128) NOT NULL,
    status           VARCHAR(32)  NOT NULL,
    phase            INTEGER      NOT NULL,
    spec             JSONB        NOT NULL,
    success_query    TEXT,
    observed         JSONB        NOT NULL DEFAULT '{}',
    decisions        JSONB        NOT NULL DEFAULT '[]',
    created_at       TIMESTAMPTZ  NOT NULL,
    updated_at       TIMESTAMPTZ  NOT NULL
);
CREATE INDEX rollout_active ON rollout (status) WHERE status IN ('running', 'rollingBack');
