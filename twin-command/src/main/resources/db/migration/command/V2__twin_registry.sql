-- The write side's registry of twins, kept in the same transaction as the events that change it.
CREATE TABLE twin_registry (
    twin_id   VARCHAR(260) PRIMARY KEY,
    device_id VARCHAR(128) NOT NULL,
    module_id VARCHAR(128),
    deleted   BOOLEAN      NOT NULL
);
CREATE INDEX twin_registry_device ON twin_registry (device_id) WHERE module_id IS NOT NULL;
