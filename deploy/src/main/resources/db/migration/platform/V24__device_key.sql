-- One device's key, when it is no longer the one derived from the fleet secret (docs/devices.md): the generation its
-- password is derived for (rotating moves it on; the password before no longer matches), or revoked. No row: generation
-- 0, the fleet-derived key. Passwords are never stored; the platform derives them again from the fleet secret.
CREATE TABLE device_key (
    twin_id     VARCHAR(260) PRIMARY KEY,
    generation  INT          NOT NULL CHECK (generation >= 0),
    revoked_at  TIMESTAMPTZ,
    changed_at  TIMESTAMPTZ  NOT NULL,
    changed_by  VARCHAR(256) NOT NULL
);
