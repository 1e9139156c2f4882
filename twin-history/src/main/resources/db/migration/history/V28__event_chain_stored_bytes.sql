-- A second form of chain link, for links appended from now on: the hash covers the stored event as it is, its
-- columns framed by their lengths, instead of a canonical JSON the verifier must parse and write again. Both forms
-- chain from the previous link's stored hash, so a chain may hold both; links already written keep form 1 and are
-- still verified in it (docs/audit.md gives both forms).
--
-- Form 2: SHA-256 over a text header in UTF-8, then the payload's bytes, then the metadata's bytes, hex. The header
-- is the previous link's hash (64 hex digits), then these fields, each followed by ',' (the last by ';'):
-- global_index, event_identifier, aggregate_identifier, sequence_number, type, payload_type, payload_revision,
-- time_stamp, the payload's length, the metadata's length. A number is written in decimal; a text as its length in
-- characters, ':' and the text; a length in bytes in decimal; NULL as '-'. Every field can be read back, so two
-- different rows never give the same input.
--
-- Adding the column with a default changes no row (no row trigger fires): every existing link is form 1. A link
-- inserted without a form (an instance of an earlier version during an upgrade) is form 1 too, as it is hashed.
ALTER TABLE event_chain ADD COLUMN form SMALLINT NOT NULL DEFAULT 1 CHECK (form IN (1, 2));

-- The links of form 1, which only the application can verify (the canonical JSON): found without a scan.
CREATE INDEX event_chain_form_1 ON event_chain (position) WHERE form = 1;

-- The hash of a form-2 link: the verifier recomputes it in the database, where the bytes are, for every link at once.
-- One SQL expression, STABLE as convert_to is, so the planner inlines it into the statement that calls it.
CREATE FUNCTION event_chain_link(previous TEXT, global_index BIGINT, event_identifier TEXT, aggregate_identifier TEXT,
                                 sequence_number BIGINT, type TEXT, payload_type TEXT, payload_revision TEXT,
                                 time_stamp TEXT, payload BYTEA, meta_data BYTEA) RETURNS TEXT
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT encode(sha256(convert_to(previous || global_index || ','
                                || coalesce(length(event_identifier) || ':' || event_identifier, '-') || ','
                                || coalesce(length(aggregate_identifier) || ':' || aggregate_identifier, '-') || ','
                                || sequence_number || ','
                                || coalesce(length(type) || ':' || type, '-') || ','
                                || coalesce(length(payload_type) || ':' || payload_type, '-') || ','
                                || coalesce(length(payload_revision) || ':' || payload_revision, '-') || ','
                                || coalesce(length(time_stamp) || ':' || time_stamp, '-') || ','
                                || coalesce(length(payload)::text, '-') || ','
                                || coalesce(length(meta_data)::text, '-') || ';', 'UTF8')
                     || coalesce(payload, '') || coalesce(meta_data, '')), 'hex')
$$;
