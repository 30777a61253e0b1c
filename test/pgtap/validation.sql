-- pgTAP: validation (src/validate_*.c and the report functions): errors with
-- their SQLSTATE, message and detail; hostile identifiers in the report;
-- the caller's privileges; IMMUTABLE / PARALLEL SAFE / combine functions;
-- search_path pinned on the PL/pgSQL functions.
BEGIN;
SELECT plan(105);

-- pg_temp.error_detail and the hand-written models 'hand' and 'none'
\ir include/tap_common.sql
INSERT INTO tap_models
SELECT 'shifted', (jsonb_set(m::jsonb, '{means}', '[0.5, 5, 10]'))::text::vgm_model FROM tap_models WHERE name = 'hand';

CREATE TEMP TABLE tap_val AS
SELECT i, CASE WHEN i % 5 < 3 THEN sin(i) ELSE 10 + 2 * cos(i) END::float8 AS x
FROM generate_series(1, 500) i;
INSERT INTO tap_val VALUES (501, 17), (502, 'NaN');
CREATE TEMP TABLE tap_text AS SELECT i::text AS s FROM generate_series(1, 10) i;

-- ------------------------------------------------------ aggregate errors ----
-- each aggregate that takes a model: a NULL model, and two models in one group
SELECT throws_ok(format($$SELECT %s(NULL::vgm_model, x) FROM tap_val$$, a.agg),
    '22004', a.agg || ' model must not be null', a.agg || ': NULL model')
FROM (VALUES ('vgm_ks'), ('vgm_bounds'), ('vgm_ks_state')) AS a(agg);
SELECT throws_ok(format($$SELECT %s(m, x) FROM tap_val, tap_models WHERE name IN ('hand', 'shifted')$$, a.agg),
    '22023', a.agg || ' needs one model per group', a.agg || ': two models in one group')
FROM (VALUES ('vgm_ks'), ('vgm_bounds'), ('vgm_ks_state')) AS a(agg);
-- the message names the aggregate that failed, also after another one did
SELECT throws_ok($$SELECT vgm_ks(m, x) FROM tap_val, tap_models WHERE name IN ('hand', 'shifted')$$,
    '22023', 'vgm_ks needs one model per group', 'vgm_ks: still named vgm_ks');
SELECT ok(pg_temp.error_detail($$SELECT vgm_ks(m, x) FROM tap_val, tap_models WHERE name IN ('hand', 'shifted')$$)
          ~ '^The group and this row have model hashes [0-9a-f]{16} and [0-9a-f]{16}\.$',
    'vgm_ks: detail names both model hashes');
SELECT lives_ok($$SELECT vgm_ks(m, x) FROM tap_val, tap_models WHERE name IN ('hand', 'shifted') GROUP BY name$$,
    'vgm_ks: one model per group is fine');
SELECT throws_ok($$SELECT vgm_rollup(s) FROM (SELECT vgm_ks_state(m, x) AS s FROM tap_val, tap_models
                                            WHERE name IN ('hand', 'shifted') GROUP BY name) q$$,
    '22023', 'vgm_ks_state values built with different models cannot be combined',
    'vgm_rollup: states of two models');
SELECT throws_ok($$SELECT vgm_ks_2samp((SELECT vgm_ks_state(m, x) FROM tap_val, tap_models WHERE name = 'hand'),
                                      (SELECT vgm_ks_state(m, x) FROM tap_val, tap_models WHERE name = 'shifted'))$$,
    '22023', 'vgm_ks_2samp needs two states built with the same model', 'vgm_ks_2samp: two models');
SELECT throws_ok($$SELECT vgm_ks_sfunc(NULL, m, 1) FROM tap_models WHERE name = 'hand'$$,
    '0A000', 'vgm_ks_sfunc called in non-aggregate context', 'vgm_ks_sfunc outside an aggregate');
SELECT throws_ok($$SELECT vgm_bounds_sfunc('{1,0,0,0,0,0,0,0,0,0,0}', m, 1) FROM tap_models WHERE name = 'hand'$$,
    '0A000', 'vgm_bounds_sfunc called in non-aggregate context', 'vgm_bounds_sfunc outside an aggregate');
SELECT throws_ok($$SELECT vgm_bounds(m, x) FROM tap_val, tap_models WHERE name = 'none'$$,
    '22023', 'vgm_model has no valid components', 'vgm_bounds: model without valid components');

-- ------------------------------------------------------- untrusted input ----
-- each bad text: its SQLSTATE and message and, where the detail says what
-- is wrong, that detail
CREATE TEMP TABLE ks_bad_texts (text text, sqlstate text, message text, detail text, description text);
INSERT INTO ks_bad_texts VALUES
    ('garbage',
     '22P02', 'invalid input syntax for type vgm_ks_state',
     NULL, 'vgm_ks_state: not JSON'),
    ('{"version":3,"bins":65536}',
     '0A000', 'unsupported vgm_ks_state version',
     'The text has version 3; this build reads versions 1 and 2.', 'vgm_ks_state: future version'),
    ('{"version":1,"bins":1024,"model_hash":"00000000000000ff","n":0,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"counts":[-1024]}',
     '0A000', 'unsupported vgm_ks_state bin count',
     NULL, 'vgm_ks_state: other bin count'),
    ('{"version":1,"bins":65536,"model_hash":"00000000000000ff","n":5,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"counts":[-65536]}',
     '22023', 'invalid vgm_ks_state: counts do not sum to n',
     'The bins hold 0 values, "n" says 5.', 'vgm_ks_state: n does not match the bins'),
    ('{"version":1,"bins":65536,"model_hash":"00000000000000ff","n":0,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"counts":[-65535]}',
     '22023', 'invalid vgm_ks_state: wrong number of bins',
     NULL, 'vgm_ks_state: too few bins'),
    ('{"version":1,"bins":65536,"model_hash":"00000000000000ff","n":0,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"counts":[-65536],"extra":1}',
     '22P02', 'invalid vgm_ks_state: unknown field',
     NULL, 'vgm_ks_state: unknown field'),
    ('{"version":1,"bins":65536,"model_hash":"00000000000000ff","n":0,"nulls":-1,"nans":0,"pos_infs":0,"neg_infs":0,"counts":[-65536]}',
     '22023', 'invalid vgm_ks_state: negative count',
     NULL, 'vgm_ks_state: negative count'),
    ('{"version":1,"bins":65536,"model_hash":"0000000000000000","n":0,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"counts":[-65536]}',
     '22023', 'invalid vgm_ks_state: missing model hash',
     NULL, 'vgm_ks_state: no model hash');
SELECT throws_ok(format('SELECT %L::vgm_ks_state', text), sqlstate, message, description) FROM ks_bad_texts;
SELECT is(pg_temp.error_detail(format('SELECT %L::vgm_ks_state', text)), detail, description || ': detail')
FROM ks_bad_texts WHERE detail IS NOT NULL;
SELECT lives_ok($$SELECT '{"version":1,"bins":65536,"model_hash":"00000000000000ff","n":3,"nulls":1,"nans":0,"pos_infs":0,"neg_infs":0,"counts":[2,-65534,1]}'::vgm_ks_state$$,
    'vgm_ks_state: a valid hand-written state');
SELECT throws_ok($$SELECT vgm_bounds_final('{1,2,3}')$$,
    '22023', 'invalid vgm_bounds state', 'vgm_bounds state: wrong length');
SELECT throws_ok($$SELECT vgm_bounds_final('{7,0,0,0,0,0,0,0,0,0,0}')$$,
    '0A000', 'unsupported vgm_bounds state version 7', 'vgm_bounds state: unknown version');
SELECT throws_ok($$SELECT vgm_bounds_final('{1,0,2,3,0,0,0,0,0,0,0}')$$,
    '22023', 'invalid vgm_bounds state', 'vgm_bounds state: more outside than counted');
SELECT throws_ok($$SELECT vgm_kstwo_sf(0.1, 0)$$,
    '22023', 'n must be at least 1', 'vgm_kstwo_sf: n = 0');
SELECT throws_ok($$SELECT vgm_ks_2samp_sf(0.1, 5, -1)$$,
    '22023', 'n2 must be at least 1', 'vgm_ks_2samp_sf: negative n2');

-- ---------------------------------------------------------------- report ----
SELECT throws_ok($$SELECT * FROM vgm_validate(NULL, 'tap_val', 'x')$$,
    '22004', 'vgm_validate model, table and column must not be null', 'vgm_validate: NULL model');
SELECT throws_ok($$SELECT * FROM vgm_validate((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_val', 'nope')$$,
    '42703', 'column "nope" of relation tap_val does not exist', 'vgm_validate: missing column');
SELECT throws_ok($$SELECT * FROM vgm_validate((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_text', 's')$$,
    '42804', 'column "s" of relation tap_text has type text, not a number', 'vgm_validate: a text column');
SELECT lives_ok($$SELECT * FROM vgm_validate((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_val', 'i')$$,
    'vgm_validate: an integer column is cast to float8');
SELECT is((SELECT count(*)::int FROM vgm_validate((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_val', 'x')),
    13, 'vgm_validate: thirteen checks');
-- D = 0.095 at n = 501 (p = 0.0002) is within the default ks_excess threshold 0.15 + 1.628 / sqrt(501)
SELECT is((SELECT string_agg("check", ',') FROM vgm_validate((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_val', 'x')
           WHERE NOT passed), NULL, 'vgm_validate: the default thresholds (effect sizes) pass the hand model');
SELECT is((SELECT string_agg("check", ',') FROM vgm_validate((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_val', 'x',
                                                            ks_pvalue_min => 0.001) WHERE NOT passed),
    'ks_pvalue', 'vgm_validate: the p-value is still checked when asked');
SELECT is((SELECT string_agg("check", ',') FROM vgm_validate((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_val', 'x')
           WHERE passed IS NULL), 'ks_statistic,ks_pvalue,stddev_ratio,skewness_diff,kurtosis_diff,nonfinite_share,atom_share',
    'vgm_validate: p-value, plain D, plain stddev ratio and atom share are reported, not checked, by default');
SELECT throws_ok($$SELECT vgm_assert_valid((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_val', 'x',
                                          ks_pvalue_min => 0.001, outside_max => 0.001)$$,
    '23514', 'vgm validation of tap_val.x failed: ks_pvalue, outside_share', 'vgm_assert_valid: check_violation naming the failed checks');
SELECT is(pg_temp.error_detail($$SELECT vgm_assert_valid((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_val', 'x',
                                                         ks_pvalue_min => NULL, outside_max => 0.001)$$),
    'outside_share = 0.001996007984031936 (threshold 0.001).', 'vgm_assert_valid: detail gives statistic and threshold');
SELECT lives_ok($$SELECT vgm_assert_valid((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_val', 'x', ks_pvalue_min => NULL)$$,
    'vgm_assert_valid: passes quietly when every check passes');

-- hostile identifiers: quotes, spaces, semicolons and comments are data, not SQL
CREATE TEMP TABLE tap_canary (v int);
CREATE TEMP TABLE "we ird ""tbl; DROP TABLE tap_canary; --" ("x""; DROP TABLE tap_canary; --" float8, "select" float8);
INSERT INTO "we ird ""tbl; DROP TABLE tap_canary; --" SELECT x, x FROM tap_val;
SELECT is((SELECT count(*)::int FROM vgm_validate((SELECT m FROM tap_models WHERE name = 'hand'),
                                                  '"we ird ""tbl; DROP TABLE tap_canary; --"',
                                                  'x"; DROP TABLE tap_canary; --')),
    13, 'vgm_validate: hostile table and column names');
SELECT is((SELECT statistic FROM vgm_validate((SELECT m FROM tap_models WHERE name = 'hand'),
                                             '"we ird ""tbl; DROP TABLE tap_canary; --"', 'select')
           WHERE "check" = 'rows'), 501::float8, 'vgm_validate: a reserved word as column name');
SELECT ok(to_regclass('pg_temp.tap_canary') IS NOT NULL, 'the canary table survived');
SELECT throws_ok($$SELECT vgm_assert_valid((SELECT m FROM tap_models WHERE name = 'hand'),
                                          '"we ird ""tbl; DROP TABLE tap_canary; --"', 'x"; DROP TABLE tap_canary; --',
                                          ks_pvalue_min => 0.001)$$,
    '23514', 'vgm validation of "we ird ""tbl; DROP TABLE tap_canary; --"."x""; DROP TABLE tap_canary; --" failed: ks_pvalue',
    'vgm_assert_valid: hostile names are quoted in the message');
SELECT ok(to_regclass('pg_temp.tap_canary') IS NOT NULL, 'the canary table survived the assertion');

-- the caller's privileges apply (no SECURITY DEFINER)
CREATE ROLE vgm_tap_reader NOLOGIN;
CREATE TABLE public.tap_private AS SELECT x FROM tap_val;
GRANT SELECT ON tap_models TO vgm_tap_reader;
SET ROLE vgm_tap_reader;
SELECT throws_ok($$SELECT * FROM vgm_validate((SELECT m FROM tap_models WHERE name = 'hand'), 'public.tap_private', 'x')$$,
    '42501', 'permission denied for table tap_private', 'vgm_validate: no SELECT privilege, no report');
RESET ROLE;

-- ------------------------------------------- the function the user called ----
SELECT throws_ok($$SELECT vgm_assert_valid(NULL, 'tap_val', 'x')$$,
    '22004', 'vgm_assert_valid model, table and column must not be null', 'vgm_assert_valid: NULL model');
SELECT throws_ok($$SELECT vgm_assert_valid((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_val', 'x', mean_tol => -1)$$,
    '22023', 'vgm_assert_valid option "mean_tol" is out of range', 'vgm_assert_valid: option out of range');
SELECT is(pg_temp.error_detail($$SELECT vgm_assert_valid((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_text', 's')$$),
    'vgm_assert_valid reads a column of type double precision, real, smallint, integer, bigint or numeric, or of a domain over one of them.',
    'vgm_assert_valid: the detail of a text column names it');
CREATE DOMAIN pg_temp.tap_dom AS float8;
CREATE TEMP TABLE tap_dom_val AS SELECT x::pg_temp.tap_dom AS x FROM tap_val;
SELECT is((SELECT statistic FROM vgm_validate((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_dom_val', 'x')
           WHERE "check" = 'rows'), 501::float8, 'vgm_validate: a column of a domain over float8');

-- ------------------------------------------- one outcome on every path ----
-- (the aggregate and the summary compute the moments differently; values
-- whose mean or spread overflows float8 are an error on both)
SELECT throws_ok($$SELECT vgm_moments(x) FROM unnest(ARRAY[1e308, -1e308]::float8[]) x$$,
    '22003', 'vgm_moments value out of range: overflow', 'vgm_moments(x) of +-1e308: 22003');
SELECT throws_ok($$SELECT vgm_moments(vgm_summarize(x)) FROM unnest(ARRAY[1e308, -1e308]::float8[]) x$$,
    '22003', 'vgm_moments value out of range: overflow', 'vgm_moments(vgm_summarize(x)) of +-1e308: 22003');
SELECT is(pg_temp.error_detail($$SELECT vgm_moments(vgm_summarize(x)) FROM unnest(ARRAY[1e308, -1e308]::float8[]) x$$),
          pg_temp.error_detail($$SELECT vgm_moments(x) FROM unnest(ARRAY[1e308, -1e308]::float8[]) x$$),
    'vgm_moments: the same detail on both paths');
SELECT throws_ok($$SELECT vgm_moments(vgm_summarize(x)) FROM unnest(ARRAY[1e200, -1e200]::float8[]) x$$,
    '22003', 'vgm_moments value out of range: overflow', 'vgm_moments(vgm_summarize(x)) of +-1e200: 22003');
SELECT is((SELECT ARRAY[(r).mean / 1e308, (r).variance_pop, (r).rows]
             FROM (SELECT vgm_moments(x) AS r FROM unnest(ARRAY[1e308]::float8[]) x) q),
          ARRAY[1, 0, 1]::float8[], 'vgm_moments(x) of one value 1e308: mean 1e308, variance 0');
SELECT is((SELECT ARRAY[(r).mean / 1e308, (r).variance, (r).rows]
             FROM (SELECT vgm_moments(x) AS r FROM unnest(ARRAY[1e308, 1e308]::float8[]) x) q),
          (SELECT ARRAY[(r).mean / 1e308, (r).variance, (r).rows]
             FROM (SELECT vgm_moments(vgm_summarize(x)) AS r FROM unnest(ARRAY[1e308, 1e308]::float8[]) x) q),
    'vgm_moments of 1e308 twice: the same answer on both paths');

-- ------------------------------------------------- counts beyond int64 ----
-- an aggregate of a user's over our transition functions can start from any
-- valid state; a count that would pass 2^63 - 1 is an error, never a wrap
CREATE AGGREGATE pg_temp.tap_bounds_from(vgm_model, float8) (SFUNC = vgm_bounds_sfunc, STYPE = bigint[],
    INITCOND = '{1,0,9223372036854775807,0,0,0,0,0,0,0,0}');
CREATE AGGREGATE pg_temp.tap_bounds_nulls_from(vgm_model, float8) (SFUNC = vgm_bounds_sfunc, STYPE = bigint[],
    INITCOND = '{1,0,0,0,0,0,0,9223372036854775807,0,0,0}');
SELECT throws_ok($$SELECT pg_temp.tap_bounds_from(m, 1) FROM tap_models WHERE name = 'hand'$$,
    '22003', 'vgm_bounds count out of range', 'vgm_bounds_sfunc: the row count cannot pass 2^63 - 1');
SELECT throws_ok($$SELECT pg_temp.tap_bounds_nulls_from(m, NULL) FROM tap_models WHERE name = 'hand'$$,
    '22003', 'vgm_bounds count out of range', 'vgm_bounds_sfunc: the NULL count cannot pass 2^63 - 1');
-- a state that already carries the model's hash is not re-checked: the
-- clipped count (above n here) is checked as it grows all the same
CREATE AGGREGATE pg_temp.tap_bounds_state(vgm_model, float8) (SFUNC = vgm_bounds_sfunc, STYPE = bigint[],
    INITCOND = '{1,0,0,0,0,0,0,0,0,0,0}');
DO $$
DECLARE
    h bigint := (SELECT (pg_temp.tap_bounds_state(m, 1))[2] FROM tap_models WHERE name = 'hand');
BEGIN
    EXECUTE format('CREATE AGGREGATE pg_temp.tap_bounds_clipped_from(vgm_model, float8) (SFUNC = vgm_bounds_sfunc, '
                   'STYPE = bigint[], INITCOND = %L)', format('{1,%s,0,0,0,0,9223372036854775807,0,0,0,0}', h));
END $$;
SELECT throws_ok($$SELECT pg_temp.tap_bounds_clipped_from(m, 100) FROM tap_models WHERE name = 'hand'$$,
    '22003', 'vgm_bounds count out of range', 'vgm_bounds_sfunc: the clipped count cannot pass 2^63 - 1');
SELECT throws_ok($$SELECT vgm_bounds_combine('{1,0,9223372036854775807,0,0,0,0,0,0,0,0}', '{1,0,1,0,0,0,0,0,0,0,0}')$$,
    '22003', 'vgm_bounds count out of range', 'vgm_bounds_combine: merged counts cannot pass 2^63 - 1');
CREATE AGGREGATE pg_temp.tap_moments_from(float8) (SFUNC = vgm_moments_sfunc, STYPE = float8[],
    INITCOND = '{1,9007199254740992,5,0,1,0,1,0,10,0,0,0,0}', FINALFUNC = vgm_moments_final);
SELECT throws_ok($$SELECT pg_temp.tap_moments_from(x) FROM (VALUES (1::float8)) v(x)$$,
    '22003', 'vgm_moments count out of range', 'vgm_moments_sfunc: the row count cannot pass 2^53');
DO $$
DECLARE
    h text := (SELECT (vgm_ks_info(vgm_ks_state(m, x))).model_hash FROM tap_val, tap_models WHERE name = 'hand');
BEGIN
    EXECUTE format('CREATE AGGREGATE pg_temp.tap_ks_from(vgm_model, float8) (SFUNC = vgm_ks_sfunc, STYPE = vgm_ks_state, INITCOND = %L)',
        format('{"version":1,"bins":65536,"model_hash":"%s","n":9223372036854775807,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"counts":[9223372036854775807,-65535]}', h));
    EXECUTE format('CREATE AGGREGATE pg_temp.tap_ks_nans_from(vgm_model, float8) (SFUNC = vgm_ks_sfunc, STYPE = vgm_ks_state, INITCOND = %L)',
        format('{"version":1,"bins":65536,"model_hash":"%s","n":0,"nulls":0,"nans":9223372036854775807,"pos_infs":0,"neg_infs":0,"counts":[-65536]}', h));
END $$;
SELECT throws_ok($$SELECT pg_temp.tap_ks_from(m, 1) FROM tap_models WHERE name = 'hand'$$,
    '22003', 'vgm_ks_state count out of range', 'vgm_ks_sfunc: the row count cannot pass 2^63 - 1');
SELECT throws_ok($$SELECT pg_temp.tap_ks_nans_from(m, 'NaN') FROM tap_models WHERE name = 'hand'$$,
    '22003', 'vgm_ks_state count out of range', 'vgm_ks_sfunc: the NaN count cannot pass 2^63 - 1');
SELECT throws_ok($$SELECT vgm_rollup(s) FROM (SELECT vgm_ks_state(m, x) AS s FROM tap_val, tap_models WHERE name = 'hand'
                   UNION ALL SELECT s FROM (SELECT (vgm_ks_state(m, x)::text::jsonb || '{"n":9223372036854775807,"counts":[9223372036854775807,-65535]}')::text::vgm_ks_state AS s
                                            FROM tap_val, tap_models WHERE name = 'hand') q) u$$,
    '22003', 'vgm_ks_state count out of range', 'vgm_rollup(vgm_ks_state): merged counts cannot pass 2^63 - 1');

-- ------------------------------------------------------------ effect sizes ----
SELECT throws_ok($$SELECT vgm_ks_effects(m, (SELECT vgm_ks_state(m, x) FROM tap_val), 0.5) FROM tap_models WHERE name = 'hand'$$,
    '22023', 'vgm_ks_effects trim_fraction is out of range', 'vgm_ks_effects: trim_fraction 0.5');
SELECT throws_ok($$SELECT vgm_ks_effects(m, (SELECT vgm_ks_state(m, x) FROM tap_val), 'NaN') FROM tap_models WHERE name = 'hand'$$,
    '22023', 'vgm_ks_effects trim_fraction is out of range', 'vgm_ks_effects: trim_fraction NaN');
SELECT throws_ok($$SELECT vgm_ks_effects((SELECT m FROM tap_models WHERE name = 'shifted'),
                                        (SELECT vgm_ks_state(m, x) FROM tap_val, tap_models WHERE name = 'hand'))$$,
    '22023', 'vgm_ks_effects needs the model the state was built with', 'vgm_ks_effects: another model');
-- a state without values (built by hand with the model's hash): no data statistics, the model's are given
CREATE TEMP TABLE tap_empty_state AS
SELECT format('{"version":1,"bins":65536,"model_hash":"%s","n":0,"nulls":1,"nans":0,"pos_infs":0,"neg_infs":0,"counts":[-65536]}',
              (vgm_ks_info(vgm_ks_state(m, x))).model_hash)::vgm_ks_state AS s
FROM tap_val, tap_models WHERE name = 'hand' GROUP BY m::text;
SELECT is((SELECT ARRAY[e.n::float8, e.statistic, e.atom_share, e.excess, e.data_trimmed_stddev, round(e.model_trimmed_mean::numeric, 6)::float8]
             FROM vgm_ks_effects((SELECT m FROM tap_models WHERE name = 'hand'), (SELECT s FROM tap_empty_state)) e),
    ARRAY[0, NULL, NULL, NULL, NULL,
          (SELECT round(model_trimmed_mean::numeric, 6)::float8 FROM vgm_ks_effects((SELECT m FROM tap_models WHERE name = 'hand'),
                  (SELECT vgm_ks_state(m, x) FROM tap_val, tap_models WHERE name = 'hand')))],
    'vgm_ks_effects: no values, no data statistics; the model''s are still given');
SELECT is((SELECT passed FROM vgm_validate((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_val', 'x')
           WHERE "check" = 'ks_excess') , true, 'vgm_validate: ks_excess checked by default');
SELECT throws_ok($$SELECT * FROM vgm_validate((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_val', 'x', ks_excess_max => 2)$$,
    '22023', 'vgm_validate option "ks_excess_max" is out of range', 'vgm_validate: ks_excess_max above 1');
SELECT throws_ok($$SELECT * FROM vgm_validate((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_val', 'x', trimmed_std_tol => -0.1)$$,
    '22023', 'vgm_validate option "trimmed_std_tol" is out of range', 'vgm_validate: negative trimmed_std_tol');
-- an empty table: the checked statistics cannot be computed, so they fail
CREATE TEMP TABLE tap_empty (x float8);
SELECT is((SELECT string_agg("check" || '=' || coalesce(threshold::text, '-'), ',') FROM vgm_validate((SELECT m FROM tap_models WHERE name = 'hand'), 'tap_empty', 'x')
           WHERE NOT passed),
    'rows=1,mean_shift=0.1,outside_share=0.01,clipped_share=0.02,ks_excess=0.15,trimmed_stddev_ratio=0.1',
    'vgm_validate: an empty table fails every default check, thresholds without allowance');

-- ------------------------------------------------- the pass/fail matrix ----
-- Generated realistic columns (fixed seed, 20000 rows each): heaped money
-- amounts (point masses at 9.99 and 100.00 holding 18 % of the rows, two
-- log-normal modes), heavy-tailed claims (log-normal body, Pareto tail of
-- index 2) and
-- integer ages.  A model fitted on the whole column with vgm_fit's defaults
-- passes the default checks; the column shifted by half a standard
-- deviation, spread 1.5 times about its mean, or checked against another
-- column's model fails them.  docs/validation.md has the measurements.
SELECT setseed(0.25);
CREATE TEMP TABLE tap_gen AS
SELECT g.name, g.i, CASE g.name
         WHEN 'money' THEN CASE WHEN u.a < 0.12 THEN 9.99 WHEN u.a < 0.18 THEN 100.00
                                WHEN u.a < 0.68 THEN round(exp(3.0 + 0.8 * u.z)::numeric, 2)
                                ELSE round(exp(5.0 + 0.7 * u.z)::numeric, 2) END
         WHEN 'claims' THEN CASE WHEN u.a < 0.9 THEN round(exp(7.5 + 1.0 * u.z)::numeric, 2)
                                 ELSE round((20000 * (1 - u.b) ^ (-1 / 2.0))::numeric, 2) END
         ELSE floor(18 + 4.5 * (9 + 3 * u.z))::numeric END::float8 AS x
FROM (SELECT n.name, i FROM unnest(ARRAY['money', 'claims', 'ages']) n(name), generate_series(1, 20000) i) g,
     LATERAL (SELECT random() AS a, random() AS b,
                     sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z
              WHERE g.i IS NOT NULL) u
ORDER BY g.name, g.i;
CREATE TEMP TABLE tap_gen_models AS SELECT name, vgm_fit(x) AS m, avg(x) AS mean, stddev(x) AS sd FROM tap_gen GROUP BY name;
CREATE TEMP TABLE tap_case (name text, x float8);
-- The failed checks of the default report of column c, transformed by expr, against model m.
CREATE FUNCTION pg_temp.tap_failed(c text, m text, expr text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r text;
BEGIN
    TRUNCATE tap_case;
    EXECUTE format('INSERT INTO tap_case SELECT g.name, %s FROM tap_gen g JOIN tap_gen_models s USING (name) WHERE g.name = %L',
                   expr, c);
    SELECT coalesce(string_agg(v."check", ','), 'none') INTO r
      FROM vgm_validate((SELECT gm.m FROM tap_gen_models gm WHERE gm.name = tap_failed.m), 'tap_case', 'x') v
     WHERE NOT v.passed;
    RETURN r;
END $$;
SELECT is(pg_temp.tap_failed(c, c, 'g.x'), 'none', format('matrix: %s, its own model: every default check passes', c))
FROM unnest(ARRAY['money', 'claims', 'ages']) c;
SELECT ok(pg_temp.tap_failed(c, c, 'g.x + 0.5 * s.sd') ~ 'mean_shift',
          format('matrix: %s shifted by 0.5 sd: mean_shift fails', c))
FROM unnest(ARRAY['money', 'claims', 'ages']) c;
SELECT ok(pg_temp.tap_failed(c, c, 's.mean + 1.5 * (g.x - s.mean)') ~ 'trimmed_stddev_ratio',
          format('matrix: %s spread 1.5 times about its mean: trimmed_stddev_ratio fails', c))
FROM unnest(ARRAY['money', 'claims', 'ages']) c;
SELECT ok(pg_temp.tap_failed(c, c, '1.5 * g.x') <> 'none', format('matrix: %s times 1.5 fails', c))
FROM unnest(ARRAY['money', 'claims', 'ages']) c;
SELECT ok(pg_temp.tap_failed(c, w, 'g.x') <> 'none', format('matrix: %s against the model of %s fails', c, w))
FROM (VALUES ('money', 'claims'), ('claims', 'money'), ('ages', 'money')) p(c, w);
-- the heavy tail: the plain standard deviation of the claims is off for
-- their own model, the trimmed one is not; the heaps of the money column are
-- its atom share
DO $$ BEGIN PERFORM pg_temp.tap_failed('claims', 'claims', 'g.x'); END $$;
SELECT ok((SELECT statistic FROM vgm_validate((SELECT m FROM tap_gen_models WHERE name = 'claims'), 'tap_case', 'x')
           WHERE "check" = 'trimmed_stddev_ratio') < 0.05,
    'matrix: claims, own model: trimmed stddev ratio below 0.05');
DO $$ BEGIN PERFORM pg_temp.tap_failed('money', 'money', 'g.x'); END $$;
SELECT ok((SELECT statistic FROM vgm_validate((SELECT m FROM tap_gen_models WHERE name = 'money'), 'tap_case', 'x')
           WHERE "check" = 'atom_share') BETWEEN 0.1 AND 0.14,
    'matrix: money, own model: the 9.99 heap (12 %) is the atom share');
SELECT lives_ok($$SELECT vgm_assert_valid((SELECT m FROM tap_gen_models WHERE name = 'money'), 'tap_case', 'x')$$,
    'matrix: vgm_assert_valid with defaults passes the own model');
DO $$ BEGIN PERFORM pg_temp.tap_failed('money', 'money', 'g.x + 0.5 * s.sd'); END $$;
SELECT throws_ok($$SELECT vgm_assert_valid((SELECT m FROM tap_gen_models WHERE name = 'money'), 'tap_case', 'x')$$,
    '23514', NULL, 'matrix: vgm_assert_valid with defaults stops on the shifted column');

-- ------------------------------------------------------------ properties ----
SELECT ok(provolatile = 'i' AND proparallel = 's',
          format('%s is IMMUTABLE PARALLEL SAFE', p.oid::regprocedure))
FROM pg_proc p
WHERE proname IN ('vgm_moments', 'vgm_model_moments', 'vgm_ks', 'vgm_ks_state', 'vgm_ks_2samp', 'vgm_ks_info', 'vgm_ks_effects',
                  'vgm_bounds', 'vgm_kstwo_sf', 'vgm_kstwobign_sf', 'vgm_ks_2samp_sf')
  AND prokind = 'f'
ORDER BY p.oid::regprocedure::text;
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.proname IN ('vgm_moments', 'vgm_ks', 'vgm_ks_state', 'vgm_bounds', 'vgm_rollup')
             AND (p.proname <> 'vgm_rollup' OR p.proargtypes[0] IN ('vgm_summary'::regtype, 'vgm_ks_state'::regtype))
             AND a.aggcombinefn <> 0 AND p.proparallel = 's'),
    6, 'six validation aggregates, each PARALLEL SAFE with a combine function');
SELECT ok(NOT prosecdef AND proconfig = '{"search_path=pg_catalog, pg_temp"}',
          format('%s pins search_path and is not SECURITY DEFINER', p.oid::regprocedure))
FROM pg_proc p WHERE proname IN ('vgm_validate', 'vgm_assert_valid', 'vgm_validation_report') ORDER BY proname;

SELECT * FROM finish();
ROLLBACK;
