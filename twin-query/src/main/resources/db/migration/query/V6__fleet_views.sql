-- Fleet views: live counts of twins per value of one field, kept by the twin-current projection in the same
-- transaction as the documents they count. A view whose definition changes is recounted at start-up.
CREATE TABLE fleet_view_definition (
    view_name VARCHAR(128) PRIMARY KEY,
    source    VARCHAR(32)  NOT NULL,
    group_by  TEXT         NOT NULL
);

-- defined = false counts the twins where the field is undefined (group_key is then JSON null).
CREATE TABLE fleet_view_count (
    view_name VARCHAR(128) NOT NULL,
    defined   BOOLEAN      NOT NULL,
    group_key JSONB        NOT NULL,
    count     BIGINT       NOT NULL,
    PRIMARY KEY (view_name, defined, group_key)
);
