-- API keys (POST /admin/keys): who may call the platform, with which roles. The secret itself is never stored, only
-- a slow salted hash of it (PBKDF2, in the encoder's own self-describing format). A revoked key keeps its row, so
-- the principal recorded in old events still names a key that can be looked up; names are never reused.
CREATE TABLE api_key (
    id           VARCHAR(32)  PRIMARY KEY,
    name         VARCHAR(100) NOT NULL UNIQUE,
    roles        TEXT[]       NOT NULL,
    secret_hash  TEXT         NOT NULL,
    created_at   TIMESTAMPTZ  NOT NULL,
    created_by   TEXT         NOT NULL,
    revoked_at   TIMESTAMPTZ
);
