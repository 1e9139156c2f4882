-- Tamper evidence: a hash chain over the event store, kept beside it. Link n covers one stored event (in the
-- order the chain processor saw them: global index order, except an event that committed late) and holds SHA-256(hash of link n-1 || the event's
-- canonical JSON), hex; link 1 chains from 64 zeros. Editing, deleting, inserting or reordering stored events
-- breaks a link (POST /audit/verify). Append-only like the event store.
CREATE TABLE event_chain (
    position     BIGINT       PRIMARY KEY,
    global_index BIGINT       NOT NULL UNIQUE,
    event_id     VARCHAR(255) NOT NULL UNIQUE,
    twin_id      VARCHAR(255) NOT NULL,
    hash         CHAR(64)     NOT NULL
);

CREATE FUNCTION event_chain_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'event_chain is append-only: % refused', TG_OP;
END;
$$;

CREATE TRIGGER event_chain_append_only BEFORE UPDATE OR DELETE ON event_chain
    FOR EACH ROW EXECUTE FUNCTION event_chain_is_append_only();
CREATE TRIGGER event_chain_no_truncate BEFORE TRUNCATE ON event_chain
    FOR EACH STATEMENT EXECUTE FUNCTION event_chain_is_append_only();
