-- Current state of every twin, as users see it. A deleted twin stays as a tombstone (deleted = true) so that
-- replays and late events can be told apart by version.
CREATE TABLE twin_document (
    twin_id    VARCHAR(260) PRIMARY KEY,
    device_id  VARCHAR(128) NOT NULL,
    module_id  VARCHAR(128),
    version    BIGINT       NOT NULL,
    deleted    BOOLEAN      NOT NULL,
    document   JSONB        NOT NULL,
    updated_at TIMESTAMPTZ  NOT NULL
);
CREATE INDEX twin_document_device ON twin_document (device_id);
