-- Enrollment groups (docs/devices.md, Zero-touch provisioning): which devices may have their twin created when they
-- first connect, and with what tags and desired properties. A group names its devices by a list of ids or by a
-- pattern (id_like: the pattern as a LIKE pattern, * as %, other LIKE characters escaped). No key is kept here: every
-- device key derives from the fleet secret.
CREATE TABLE enrollment (
    enrollment_id VARCHAR(128) PRIMARY KEY,
    device_ids    TEXT[],
    id_pattern    VARCHAR(128),
    id_like       VARCHAR(512),
    tags          JSONB        NOT NULL,
    desired       JSONB        NOT NULL,
    enabled       BOOLEAN      NOT NULL,
    version       BIGINT       NOT NULL,
    created_at    TIMESTAMPTZ  NOT NULL,
    updated_at    TIMESTAMPTZ  NOT NULL,
    updated_by    VARCHAR(256) NOT NULL,
    CHECK ((device_ids IS NULL) <> (id_pattern IS NULL))
);
