-- The live configurations as the configuration applier knows them, written in the applier's own transactions (with
-- its token), so the set it offers twins always matches the events it has processed. Rebuilt by a replay.
CREATE TABLE configuration_live (
    configuration_id VARCHAR(128) PRIMARY KEY,
    target_condition TEXT         NOT NULL,
    priority         INTEGER      NOT NULL,
    created_ms       BIGINT       NOT NULL,
    device_content   JSONB        NOT NULL,
    module_content   JSONB        NOT NULL,
    staged           BOOLEAN      NOT NULL,
    admission        JSONB
);
