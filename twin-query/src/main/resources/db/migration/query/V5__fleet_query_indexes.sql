-- Fleet queries.
--
-- fields: the twin document without its two $metadata trees (less than half its size). Fleet queries scan and
-- index this column; document (the whole twin, for reads and SELECT *) moves out of the row into TOAST, so a
-- scan of twin_document reads half the pages. fields is MAIN: kept in the row and not compressed unless the row
-- would not fit a page, so reading it costs no decompression.
ALTER TABLE twin_document ADD COLUMN fields JSONB;
ALTER TABLE twin_document ALTER COLUMN document SET STORAGE EXTERNAL;
ALTER TABLE twin_document ALTER COLUMN fields SET STORAGE MAIN;
UPDATE twin_document SET fields = document #- '{properties,desired,$metadata}' #- '{properties,reported,$metadata}';
ALTER TABLE twin_document ALTER COLUMN fields SET NOT NULL;

-- Equality and IN on any field compile to containment (fields @> '{"tags":{"a":"b"}}'), which this index
-- answers; jsonb_path_ops keeps it small (hashes of whole paths) and fast to update.
CREATE INDEX twin_document_containment ON twin_document USING gin (fields jsonb_path_ops);
