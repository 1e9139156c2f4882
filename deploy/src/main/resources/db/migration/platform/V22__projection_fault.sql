-- A twin that a streaming projection could not project: the projection skips the twin's events from this one on
-- (quarantine) until an operator retries it (POST /admin/projections/{name}/faults/{twinId}/retry) or replays the
-- projection. One row per projection and twin; no payload values, only where the event is and what went wrong.
CREATE TABLE projection_fault (
    processor        VARCHAR(255) NOT NULL,
    twin_id          VARCHAR(255) NOT NULL,
    sequence_number  BIGINT       NOT NULL,
    event_id         VARCHAR(255) NOT NULL,
    global_index     BIGINT,
    event_type       VARCHAR(255) NOT NULL,
    error            TEXT         NOT NULL,
    first_failed_at  TIMESTAMPTZ  NOT NULL,
    last_failed_at   TIMESTAMPTZ  NOT NULL,
    attempts         INT          NOT NULL,
    PRIMARY KEY (processor, twin_id)
);
