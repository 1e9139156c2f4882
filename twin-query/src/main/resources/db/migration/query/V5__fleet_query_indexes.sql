-- Fleet queries. Equality and IN on any twin field compile to containment (document @> '{"tags":{"a":"b"}}'),
-- which this index answers; jsonb_path_ops keeps it small (hashes of whole paths) and fast to update.
CREATE INDEX twin_document_containment ON twin_document USING gin (document jsonb_path_ops);
