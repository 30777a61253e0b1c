-- What the pgTAP files share (read with \ir, inside their transaction):
-- pg_temp.error_detail, and the hand-written models in table tap_models
-- (name, m), to which each file adds models of its own.

-- The detail line of the error an SQL statement raises, or NULL.
CREATE FUNCTION pg_temp.error_detail(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN detail;
END $$;

-- 'hand' and 'none' (test/fixtures/hand_models.sql)
\ir ../../fixtures/hand_models.sql
CREATE TEMP TABLE tap_models AS SELECT * FROM hand_models;
