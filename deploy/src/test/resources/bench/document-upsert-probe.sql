-- What the GIN containment index on twin_document.fields costs an upsert (docs/performance.md,
-- "What the containment index costs a document write"). Run against any scratch PostgreSQL database:
--   psql -d <database> -f deploy/src/test/resources/bench/document-upsert-probe.sql
-- Per upsert = (a CALL probe_upserts time - the CALL probe_docs_only time) / 20,000. Leaves nothing behind.
\set ON_ERROR_STOP 1
DROP TABLE IF EXISTS gin_probe;
CREATE TABLE gin_probe (twin_id varchar(255) PRIMARY KEY, device_id varchar(255), version bigint NOT NULL,
  deleted boolean NOT NULL DEFAULT false, document jsonb NOT NULL, fields jsonb NOT NULL, updated_at timestamptz);
ALTER TABLE gin_probe ALTER COLUMN document SET STORAGE EXTERNAL;
ALTER TABLE gin_probe ALTER COLUMN fields SET STORAGE MAIN;
CREATE INDEX gin_probe_device ON gin_probe (device_id);
CREATE OR REPLACE FUNCTION probe_doc(i int, v int) RETURNS jsonb LANGUAGE sql AS $$
SELECT jsonb_build_object('deviceId', 'dev-' || i, 'etag', md5(v::text), 'version', v, 'status', 'enabled',
 'connectionState', 'Connected', 'lastActivityTime', now()::text,
 'tags', jsonb_build_object('site', 'plant-' || (i % 20), 'deviceType', 'sensor', 'region', 'eu-' || (i % 3)),
 'properties', jsonb_build_object(
   'desired', jsonb_build_object('firmwareVersion', '1.2', 'interval', 30, '$version', 3,
      '$metadata', jsonb_build_object('$lastUpdated', now()::text, 'firmwareVersion', jsonb_build_object('$lastUpdated', now()::text, '$lastUpdatedVersion', 2), 'interval', jsonb_build_object('$lastUpdated', now()::text, '$lastUpdatedVersion', 3))),
   'reported', jsonb_build_object('temperature', 20 + (v % 10), 'humidity', 40 + (v % 7), 'firmwareVersion', '1.2', 'state', 'running', 'seq', v, '$version', v,
      '$metadata', jsonb_build_object('$lastUpdated', now()::text, 'temperature', jsonb_build_object('$lastUpdated', now()::text), 'humidity', jsonb_build_object('$lastUpdated', now()::text), 'firmwareVersion', jsonb_build_object('$lastUpdated', now()::text), 'state', jsonb_build_object('$lastUpdated', now()::text), 'seq', jsonb_build_object('$lastUpdated', now()::text))))) $$;
INSERT INTO gin_probe SELECT 'dev-' || i, 'dev-' || i, 1, false, probe_doc(i, 1), probe_doc(i, 1) #- '{properties,desired,$metadata}' #- '{properties,reported,$metadata}', now() FROM generate_series(1, 5000) i;
SELECT avg(pg_column_size(document)) AS doc_bytes, avg(pg_column_size(fields)) AS fields_bytes FROM gin_probe;
CREATE OR REPLACE PROCEDURE probe_upserts(n int, start int) LANGUAGE plpgsql AS $$
DECLARE d jsonb;
BEGIN
 FOR k IN 1..n LOOP
  d := probe_doc((k % 5000) + 1, start + k);
  INSERT INTO gin_probe (twin_id, device_id, version, deleted, document, fields, updated_at)
  SELECT t, t, v, false, doc, doc #- '{properties,desired,$metadata}' #- '{properties,reported,$metadata}', now()
  FROM (SELECT 'dev-' || ((k % 5000) + 1) AS t, (start + k)::bigint AS v, d AS doc) r
  ON CONFLICT (twin_id) DO UPDATE SET version = EXCLUDED.version, deleted = EXCLUDED.deleted,
    document = CASE WHEN NOT gin_probe.deleted AND (gin_probe.fields ->> 'lastActivityTime')::timestamptz > COALESCE((EXCLUDED.document ->> 'lastActivityTime')::timestamptz, '-infinity')
      THEN jsonb_set(EXCLUDED.document, '{lastActivityTime}', gin_probe.fields -> 'lastActivityTime') ELSE EXCLUDED.document END,
    fields = CASE WHEN NOT gin_probe.deleted AND (gin_probe.fields ->> 'lastActivityTime')::timestamptz > COALESCE((EXCLUDED.document ->> 'lastActivityTime')::timestamptz, '-infinity')
      THEN jsonb_set(EXCLUDED.fields, '{lastActivityTime}', gin_probe.fields -> 'lastActivityTime') ELSE EXCLUDED.fields END,
    updated_at = EXCLUDED.updated_at;
 END LOOP;
END $$;
CREATE OR REPLACE PROCEDURE probe_docs_only(n int, start int) LANGUAGE plpgsql AS $$
DECLARE d jsonb; f jsonb;
BEGIN
 FOR k IN 1..n LOOP
  d := probe_doc((k % 5000) + 1, start + k);
  f := d #- '{properties,desired,$metadata}' #- '{properties,reported,$metadata}';
 END LOOP;
END $$;
VACUUM ANALYZE gin_probe;
\timing on
CALL probe_docs_only(20000, 100);
CALL probe_upserts(20000, 100);
CALL probe_upserts(20000, 30000);
CREATE INDEX gin_probe_containment ON gin_probe USING gin (fields jsonb_path_ops);
VACUUM ANALYZE gin_probe;
CALL probe_upserts(20000, 60000);
CALL probe_upserts(20000, 90000);
CALL probe_upserts(20000, 120000);
DROP INDEX gin_probe_containment;
VACUUM ANALYZE gin_probe;
CALL probe_upserts(20000, 150000);
DROP TABLE gin_probe;
DROP PROCEDURE probe_upserts; DROP PROCEDURE probe_docs_only; DROP FUNCTION probe_doc;
