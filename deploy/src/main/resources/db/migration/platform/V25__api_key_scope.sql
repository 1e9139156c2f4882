-- A key's scope (docs/security.md): a condition in the fleet query language that bounds what the key sees and
-- changes; NULL for the whole fleet. Kept as written, parsed again on each load.
ALTER TABLE api_key ADD COLUMN scope TEXT;
