-- test/pgtap/joint_summary.sql - bad input for the joint summary: rows of
-- the wrong shape (another length, NaN, infinities, more than 16 columns,
-- several dimensions, not indexed from 1, empty), hostile text and hostile
-- bytes for vgm_joint_summary, merging summaries of different widths, and
-- the support functions called outside their aggregates.  Each case asserts
-- the SQLSTATE and the message; the file ends by checking that the backend
-- still answers.
--
-- Binary input reaches vgm_joint_summary_recv through COPY: a bytea written
-- with COPY ... (FORMAT binary) is, field for field, the raw bytes a binary
-- COPY of a vgm_joint_summary column carries (pg_temp.joint_recv below;
-- the file lies in the test server's data directory).
\set ON_ERROR_STOP 1
SET client_min_messages = error;
BEGIN;
SELECT plan(48);
\ir include/tap_common.sql

-- a valid summary of 2 columns, 3 rows, and its text
CREATE TEMP TABLE js_base AS
SELECT vgm_joint_summarize(ARRAY[x, 2 * x + 1])::text AS s FROM generate_series(1, 3) x;

-- pg_temp.joint_recv(bytes): the vgm_joint_summary that binary input makes of bytes
CREATE FUNCTION pg_temp.joint_recv(bytes bytea) RETURNS vgm_joint_summary LANGUAGE plpgsql AS $$
DECLARE
    -- inside the data directory, which goes with the test server
    path text := current_setting('data_directory') || '/vgm_tap_joint_' || pg_backend_pid() || '.bin';
    result vgm_joint_summary;
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L WITH (FORMAT binary)', bytes, path);
    CREATE TEMP TABLE IF NOT EXISTS joint_recv_target (s vgm_joint_summary);
    TRUNCATE joint_recv_target;
    EXECUTE format('COPY joint_recv_target FROM %L WITH (FORMAT binary)', path);
    SELECT s INTO result FROM joint_recv_target;
    RETURN result;
END $$;

-- --------------------------------------------------------------------------
-- rows
-- --------------------------------------------------------------------------
SELECT throws_ok($q$SELECT vgm_joint_summarize(CASE WHEN x < 3 THEN ARRAY[x, 1] ELSE ARRAY[x] END) FROM generate_series(1, 4) x$q$,
    '2202E', 'vgm_joint_summarize rows must all have the same length',
    'a shorter row after longer ones');
SELECT is(pg_temp.error_detail($q$SELECT vgm_joint_summarize(CASE WHEN x < 3 THEN ARRAY[x, 1] ELSE ARRAY[x, 1, 2] END) FROM generate_series(1, 4) x$q$),
    'This row has 3 elements; the rows before it have 2.',
    'the detail names both lengths');
SELECT throws_ok($q$SELECT vgm_joint_summarize(ARRAY[x, 'NaN'::float8]) FROM generate_series(1, 4) x$q$,
    '22023', 'vgm_joint_summarize values must be finite',
    'NaN in a row');
SELECT is(pg_temp.error_detail($q$SELECT vgm_joint_summarize(ARRAY[x, 1, '-Infinity'::float8]) FROM generate_series(1, 4) x$q$),
    'Element 3 of the row is -Infinity.',
    'the detail names the element and its value');
SELECT throws_ok($q$SELECT vgm_joint_summarize(ARRAY['Infinity'::float8])$q$,
    '22023', 'vgm_joint_summarize values must be finite',
    'Infinity in the first row');
SELECT throws_ok($q$SELECT vgm_joint_summarize(array_fill(1.0::float8, ARRAY[17]))$q$,
    '54000', 'vgm_joint_summarize takes at most 16 columns',
    '17 columns');
SELECT lives_ok($q$SELECT vgm_joint_summarize(array_fill(1.0::float8, ARRAY[16]))$q$,
    '16 columns are fine');
SELECT throws_ok($q$SELECT vgm_joint_summarize('{{1,2},{3,4}}'::float8[])$q$,
    '2202E', 'vgm_joint_summarize expects a one-dimensional array',
    'a two-dimensional array');
SELECT throws_ok($q$SELECT vgm_joint_summarize('[0:1]={1,2}'::float8[])$q$,
    '2202E', 'vgm_joint_summarize expects arrays indexed from 1',
    'an array indexed from 0');
SELECT throws_ok($q$SELECT vgm_joint_summarize('{}'::float8[])$q$,
    '2202E', 'vgm_joint_summarize expects at least one column',
    'an empty array');
SELECT is((SELECT (vgm_joint_summary_info(vgm_joint_summarize(r))).skipped_rows
           FROM (VALUES (ARRAY[1, NULL]::float8[]), (NULL), (ARRAY[NULL, NULL]::float8[]), (ARRAY[1, 2]::float8[])) v(r)),
    3::bigint, 'NULL arrays and NULL elements skip the row and are counted');
SELECT throws_ok($q$SELECT vgm_joint_summarize(r) FROM (VALUES (ARRAY[1, NULL, 3]::float8[]), (ARRAY[1, 2]::float8[])) v(r)$q$,
    '2202E', 'vgm_joint_summarize rows must all have the same length',
    'a row with a NULL element still sets the length');
SELECT throws_ok($q$SELECT vgm_joint_summarize(ARRAY[1e300 * x, 1]) FROM generate_series(1, 20000) x$q$,
    '22003', 'values too large to summarize',
    'values whose squares overflow: an error, not Infinity in a stored summary');

-- --------------------------------------------------------------------------
-- text input
-- --------------------------------------------------------------------------
SELECT lives_ok($q$SELECT s::vgm_joint_summary FROM js_base$q$, 'the base summary reads back');
SELECT throws_ok($q$SELECT ''::vgm_joint_summary$q$,
    '22P02', 'invalid input syntax for type vgm_joint_summary', 'empty text');
SELECT throws_ok($q$SELECT left(s, 60)::vgm_joint_summary FROM js_base$q$,
    '22P02', 'invalid input syntax for type vgm_joint_summary', 'truncated text');
SELECT throws_ok($q$SELECT (s || ' x')::vgm_joint_summary FROM js_base$q$,
    '22P02', 'invalid input syntax for type vgm_joint_summary', 'trailing garbage');
SELECT throws_ok($q$SELECT replace(s, '"version":3', '"version":4')::vgm_joint_summary FROM js_base$q$,
    '0A000', 'unsupported vgm_joint_summary format version', 'version 4');
SELECT is((SELECT (vgm_joint_summary_info(regexp_replace(regexp_replace(replace(s, '"version":3', '"version":1'),
                                                         '"exact_values":\[.*?\]\],', ''), ',"min":\[[^]]*\],"max":\[[^]]*\]', '')::vgm_joint_summary)).rows FROM js_base),
    3::bigint, 'version 1 (one shift, no exact_values, no range) still reads');
SELECT is((SELECT (vgm_joint_summary_info(regexp_replace(replace(s, '"version":3', '"version":2'),
                                                         ',"min":\[[^]]*\],"max":\[[^]]*\]', '')::vgm_joint_summary)).rows FROM js_base),
    3::bigint, 'version 2 (no range) still reads');
-- the base summary with one part replaced (old by new)
SELECT throws_ok(format('SELECT replace(s, %L, %L)::vgm_joint_summary FROM js_base', c.old, c.new),
                 c.sqlstate, c.message, c.description)
FROM (VALUES
    ('"version":3', '"version":2',
     '22P02', 'invalid vgm_joint_summary: min and max do not match the version', 'a range in version 2'),
    ('"min":[1,3]', '"min":[4,3]',
     '22023', 'invalid vgm_joint_summary: range out of order', 'min above max'),
    ('"min":[1,3]', '"min":[1.5,3]',
     '22023', 'invalid vgm_joint_summary: exact value outside the range', 'an exact value below min'),
    ('"exact_values":[[1,2,3]', '"exact_values":[[1,2,4]',
     '22023', 'invalid vgm_joint_summary: cell of an unlisted value', 'a cell whose exact value is not listed'),
    ('"d":2', '"d":17',
     '22023', 'invalid vgm_joint_summary: columns out of range', 'd 17'),
    ('"rows":3', '"rows":4',
     '22023', 'invalid vgm_joint_summary: weights do not add up to the rows', 'a row count the cells do not hold'),
    ('"shift":0', '"shift":77',
     '22023', 'invalid vgm_joint_summary: resolution out of range', 'shift 77 (64 + 12 is the coarsest level)'),
    ('"shift":0', '"shift":63',
     '22023', 'invalid vgm_joint_summary: key out of range', 'keys of shift 0 at shift 63'),
    ('"skipped_rows":0', '"skipped_rows":0,"skipped_rows":1',
     '22P02', NULL, 'a repeated field'),
    ('"skipped_rows":0', '"skipped":0',
     '22P02', NULL, 'an unknown field')
) AS c(old, new, sqlstate, message, description);
SELECT throws_ok($q$SELECT replace(replace(replace(replace(s, '"d":2', '"d":3'), '"exact_values":[', '"exact_values":[null,'), '"min":[1,3]', '"min":[0,1,3]'), '"max":[3,7]', '"max":[0,3,7]')::vgm_joint_summary FROM js_base$q$,
    '22023', 'invalid vgm_joint_summary: cells do not match the columns', 'd 3 with cells of 2 columns');
SELECT throws_ok($q$SELECT '{"version":1,"d":1,"shift":64,"rows":2,"skipped_rows":0,"cells":[[[0],2,[1],[-0.5]]]}'::vgm_joint_summary$q$,
    '22023', 'invalid vgm_joint_summary: scatter out of range', 'a negative variance');
SELECT throws_ok($q$SELECT '{"version":1,"d":2,"shift":64,"rows":2,"skipped_rows":0,"cells":[[[0,0],2,[1,1],[1,3,1]]]}'::vgm_joint_summary$q$,
    '22023', 'invalid vgm_joint_summary: scatter not a scatter matrix', 'a correlation of 3');
SELECT throws_ok($q$SELECT '{"version":1,"d":1,"shift":64,"rows":1,"skipped_rows":0,"cells":[[[0],1.5,[1],[0]]]}'::vgm_joint_summary$q$,
    '22023', 'invalid vgm_joint_summary: weight out of range', 'a fractional weight');
SELECT throws_ok($q$SELECT '{"version":1,"d":1,"shift":64,"rows":1,"skipped_rows":0,"cells":[[[0],1,[1e999],[0]]]}'::vgm_joint_summary$q$,
    '22P02', 'invalid input syntax for type vgm_joint_summary', 'an infinite mean');
SELECT throws_ok($q$SELECT ('{"version":1,"d":1,"shift":0,"rows":16385,"skipped_rows":0,"cells":['
                   || (SELECT string_agg(format('[[%s],1,[%s],[0]]', 4607182418800017409 + i, 1), ',') FROM generate_series(0, 16384) i)
                   || ']}')::vgm_joint_summary$q$,
    '22023', 'invalid vgm_joint_summary: too many cells', '16,385 cells');

-- --------------------------------------------------------------------------
-- binary input (through COPY ... FORMAT binary)
-- --------------------------------------------------------------------------
SELECT is((SELECT pg_temp.joint_recv(vgm_joint_summary_send(s::vgm_joint_summary))::text FROM js_base),
    (SELECT s FROM js_base), 'binary round trip');
SELECT throws_ok($q$SELECT pg_temp.joint_recv(substr(vgm_joint_summary_send(s::vgm_joint_summary), 1, 20)) FROM js_base$q$,
    '22P03', 'invalid binary vgm_joint_summary: message too short', 'a truncated header');
SELECT throws_ok($q$SELECT pg_temp.joint_recv(substr(vgm_joint_summary_send(s::vgm_joint_summary), 1, 100)) FROM js_base$q$,
    '22P03', 'invalid binary vgm_joint_summary: wrong length', 'a truncated cell');
SELECT throws_ok($q$SELECT pg_temp.joint_recv(vgm_joint_summary_send(s::vgm_joint_summary) || '\x00'::bytea) FROM js_base$q$,
    '22P03', 'invalid binary vgm_joint_summary: wrong length', 'a trailing byte');
SELECT throws_ok($q$SELECT pg_temp.joint_recv(overlay(vgm_joint_summary_send(s::vgm_joint_summary) placing '\x00000004'::bytea from 1)) FROM js_base$q$,
    '0A000', 'unsupported vgm_joint_summary format version', 'binary version 4');
SELECT throws_ok($q$SELECT pg_temp.joint_recv(overlay(vgm_joint_summary_send(s::vgm_joint_summary) placing '\x7fffffff'::bytea from 13)) FROM js_base$q$,
    '22023', 'invalid vgm_joint_summary: too many cells', 'binary: 2^31 - 1 cells announced');
SELECT throws_ok($q$SELECT pg_temp.joint_recv(overlay(vgm_joint_summary_send(s::vgm_joint_summary) placing '\x00000011'::bytea from 5)) FROM js_base$q$,
    '22023', 'invalid vgm_joint_summary: columns out of range', 'binary: 17 columns');
SELECT throws_ok($q$SELECT pg_temp.joint_recv(overlay(vgm_joint_summary_send(s::vgm_joint_summary) placing '\x7ff8000000000000'::bytea from 137)) FROM js_base$q$,
    '22023', 'invalid vgm_joint_summary: weight out of range', 'binary: a NaN weight');

-- --------------------------------------------------------------------------
-- merging and the support functions
-- --------------------------------------------------------------------------
SELECT throws_ok($q$SELECT vgm_rollup(s) FROM (SELECT vgm_joint_summarize(ARRAY[x, x]) AS s FROM generate_series(1, 3) x
                                               UNION ALL SELECT vgm_joint_summarize(ARRAY[x, x, x]) FROM generate_series(1, 3) x) q$q$,
    '2202E', 'cannot merge joint summaries of different column counts', 'rollup of 2 and 3 columns');
SELECT throws_ok($q$SELECT vgm_joint_summary_combine(s::vgm_joint_summary, s::vgm_joint_summary) FROM js_base$q$,
    '0A000', 'vgm_joint_summary_combine called in non-aggregate context', 'combine outside an aggregate');
SELECT throws_ok($q$SELECT vgm_joint_summarize_sfunc(NULL, ARRAY[1.0::float8])$q$,
    '0A000', 'vgm_joint_summarize_sfunc called in non-aggregate context', 'transition outside an aggregate');

SELECT is((SELECT 1), 1, 'SELECT 1 still works after every bad input');

SELECT * FROM finish();
ROLLBACK;
