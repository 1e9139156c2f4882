-- Configurations as GET /configurations/{id} shows them (without their metrics, which are counted when read).
-- A deleted configuration's row is removed; its events stay in the event store.
CREATE TABLE configuration_document (
    configuration_id VARCHAR(128) PRIMARY KEY,
    version          BIGINT       NOT NULL,
    document         JSONB        NOT NULL,
    created_at       TIMESTAMPTZ  NOT NULL,
    updated_at       TIMESTAMPTZ  NOT NULL
);
