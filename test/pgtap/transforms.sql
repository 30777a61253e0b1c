-- pgTAP: row-by-row transforms (src/normalize.c): errors with their SQLSTATE,
-- message and detail; IMMUTABLE / STRICT / PARALLEL SAFE on every function;
-- the shared one-entry memo of vgm_component / vgm_alpha.
BEGIN;
SELECT plan(38);

-- pg_temp.error_detail and the hand-written models 'hand' and 'none'
\ir include/tap_common.sql
INSERT INTO tap_models
SELECT 'fit', vgm_fit(array_agg(CASE i % 2 WHEN 0 THEN sin(i) ELSE 6 + cos(i) END), max_components => 4, seed => 3)
FROM generate_series(1, 1000) i;

-- ------------------------------------------------------------ errors ----
SELECT throws_ok($$SELECT vgm_denormalize(m, 2, 0) FROM tap_models WHERE name = 'hand'$$,
    '22023', 'component 2 is out of range', 'vgm_denormalize: component past the valid ones');
SELECT is(pg_temp.error_detail($$SELECT vgm_denormalize(m, 2, 0) FROM tap_models WHERE name = 'hand'$$),
    'Valid components of this model are numbered 0 to 1.', 'vgm_denormalize: detail names the valid range');
SELECT throws_ok($$SELECT vgm_denormalize(m, -1, 0.5, true) FROM tap_models WHERE name = 'hand'$$,
    '22023', 'component -1 is out of range', 'vgm_denormalize: negative component');
SELECT throws_ok($$SELECT vgm_denormalize(m, 0, 'NaN') FROM tap_models WHERE name = 'hand'$$,
    '22023', 'alpha must be a finite number', 'vgm_denormalize: NaN alpha');
SELECT is(pg_temp.error_detail($$SELECT vgm_denormalize(m, 0, 'NaN') FROM tap_models WHERE name = 'hand'$$),
    'The value given was NaN.', 'vgm_denormalize: detail of NaN alpha');
SELECT throws_ok($$SELECT vgm_denormalize(m, 1, 'Infinity') FROM tap_models WHERE name = 'hand'$$,
    '22023', 'alpha must be a finite number', 'vgm_denormalize: infinite alpha');
SELECT throws_ok($$SELECT count(*) FROM tap_models, vgm_sample(m, -5, 1) WHERE name = 'hand'$$,
    '22023', 'number of samples must not be negative', 'vgm_sample: negative n');
SELECT is(pg_temp.error_detail($$SELECT count(*) FROM tap_models, vgm_sample(m, -5, 1) WHERE name = 'hand'$$),
    'The value given was -5.', 'vgm_sample: detail names n');
SELECT throws_ok($$SELECT vgm_alpha(m, 1) FROM tap_models WHERE name = 'none'$$,
    '22023', 'vgm_model has no valid components', 'vgm_alpha: model without valid components');
SELECT throws_ok($$SELECT vgm_encode(m, 1, 7) FROM tap_models WHERE name = 'none'$$,
    '22023', 'vgm_model has no valid components', 'vgm_encode with key: model without valid components');
SELECT throws_ok($$SELECT vgm_denormalize(m, 0, 0) FROM tap_models WHERE name = 'none'$$,
    '22023', 'vgm_model has no valid components', 'vgm_denormalize: model without valid components');
SELECT is(pg_temp.error_detail($$SELECT vgm_component(m, 1) FROM tap_models WHERE name = 'none'$$),
    'All 3 component weights are at or below the model''s weight_threshold 0.7.',
    'no valid components: detail explains the threshold');

-- --------------------------------------- IMMUTABLE STRICT PARALLEL SAFE ----
SELECT is((SELECT count(*)::int FROM pg_proc
           WHERE proname IN ('vgm_component', 'vgm_alpha', 'vgm_normalize', 'vgm_encode',
                             'vgm_denormalize', 'vgm_predict', 'vgm_predict_proba', 'vgm_score',
                             'vgm_log_density', 'vgm_cdf', 'vgm_sample')
             AND proargtypes[0] = 'vgm_model'::regtype),
    15, 'fifteen transform functions of vgm_model');
SELECT ok(provolatile = 'i' AND proisstrict AND proparallel = 's',
          format('%s is IMMUTABLE STRICT PARALLEL SAFE', p.oid::regprocedure))
FROM pg_proc p
WHERE proname IN ('vgm_component', 'vgm_alpha', 'vgm_normalize', 'vgm_encode',
                  'vgm_denormalize', 'vgm_predict', 'vgm_predict_proba', 'vgm_score',
                  'vgm_log_density', 'vgm_cdf', 'vgm_sample')
  AND proargtypes[0] = 'vgm_model'::regtype
ORDER BY p.oid::regprocedure::text;

-- --------------------------------------------------------------- memo ----
-- Component and alpha asked for in the same query (the second call of a row
-- hits the memo) equal the ones computed in separate queries.
CREATE TEMP TABLE tap_x AS
SELECT i, CASE i % 3 WHEN 0 THEN 4 * sin(i) WHEN 1 THEN 6 + cos(i) ELSE 3 + 0.01 * i END::float8 AS x
FROM generate_series(1, 2000) i;
CREATE TEMP TABLE tap_c AS SELECT i, vgm_component(m, x, i) AS c FROM tap_x, tap_models WHERE name = 'fit';
CREATE TEMP TABLE tap_a AS SELECT i, vgm_alpha(m, x, i) AS a FROM tap_x, tap_models WHERE name = 'fit';
CREATE TEMP TABLE tap_c0 AS SELECT i, vgm_component(m, x) AS c FROM tap_x, tap_models WHERE name = 'fit';
CREATE TEMP TABLE tap_a0 AS SELECT i, vgm_alpha(m, x) AS a FROM tap_x, tap_models WHERE name = 'fit';

SELECT is((SELECT count(*)::int FROM tap_c c JOIN tap_c0 c0 USING (i) WHERE c.c <> c0.c) > 0, true,
    'the keyed draw differs from the argmax on some rows (the memo must tell them apart)');
SELECT results_eq(
    $$SELECT i, vgm_component(m, x, i), vgm_alpha(m, x, i) FROM tap_x, tap_models WHERE name = 'fit' ORDER BY i$$,
    $$SELECT i, c, a FROM tap_c JOIN tap_a USING (i) ORDER BY i$$,
    'keyed: component and alpha in one query equal separate queries');
SELECT results_eq(
    $$SELECT i, vgm_alpha(m, x, i), vgm_component(m, x, i) FROM tap_x, tap_models WHERE name = 'fit' ORDER BY i$$,
    $$SELECT i, a, c FROM tap_c JOIN tap_a USING (i) ORDER BY i$$,
    'keyed: alpha first, then component');
SELECT results_eq(
    $$SELECT i, vgm_component(m, x), vgm_alpha(m, x) FROM tap_x, tap_models WHERE name = 'fit' ORDER BY i$$,
    $$SELECT i, c, a FROM tap_c0 JOIN tap_a0 USING (i) ORDER BY i$$,
    'no key: component and alpha in one query equal separate queries');
SELECT results_eq(
    $$SELECT i, vgm_component(m, x, i), vgm_alpha(m, x), vgm_alpha(m, x, i), vgm_component(m, x)
      FROM tap_x, tap_models WHERE name = 'fit' ORDER BY i$$,
    $$SELECT i, c.c, a0.a, a.a, c0.c FROM tap_c c JOIN tap_a a USING (i) JOIN tap_a0 a0 USING (i)
      JOIN tap_c0 c0 USING (i) ORDER BY i$$,
    'keyed and unkeyed calls interleaved in one row do not mix');
SELECT results_eq(
    $$SELECT i, vgm_component(f.m, x), vgm_alpha(h.m, x), vgm_alpha(f.m, x)
      FROM tap_x, tap_models f, tap_models h WHERE f.name = 'fit' AND h.name = 'hand' ORDER BY i$$,
    $$SELECT i, c0.c, vgm_alpha(h.m, x), a0.a FROM tap_x JOIN tap_c0 c0 USING (i) JOIN tap_a0 a0 USING (i),
      tap_models h WHERE h.name = 'hand' ORDER BY i$$,
    'two models interleaved in one row do not mix');
SELECT results_eq(
    $$SELECT i, (vgm_normalize(m, x, i)).*, vgm_encode(m, x, i) FROM tap_x, tap_models WHERE name = 'fit' ORDER BY i$$,
    $$SELECT i, c, a, (SELECT array_agg(CASE WHEN g = 0 THEN a ELSE (g - 1 = c)::int END ORDER BY g)
                      FROM generate_series(0, array_length(vgm_valid_components(m), 1)) g)
      FROM tap_c JOIN tap_a USING (i), tap_models WHERE name = 'fit' ORDER BY i$$,
    'vgm_normalize and vgm_encode agree with the memo');

SELECT results_eq(
    $$SELECT i, vgm_component(f.m::text::vgm_model, x, i), vgm_alpha(f.m, x, i)
      FROM tap_x, tap_models f WHERE f.name = 'fit' ORDER BY i$$,
    $$SELECT i, c, a FROM tap_c JOIN tap_a USING (i) ORDER BY i$$,
    'two call sites with equal models share the memo correctly');
SELECT is((SELECT count(*)::int FROM tap_models, generate_series(1, 200) k
           WHERE name = 'fit' AND vgm_component(m, '-0'::float8, k) <> vgm_component(m, 0, k)),
    0, '-0 and 0 draw the same components');
SELECT is((SELECT vgm_denormalize(m, 1, 5) = vgm_denormalize(m, 1, 1)
                  AND vgm_denormalize(m, 1, -5) = vgm_denormalize(m, 1, -1)
           FROM tap_models WHERE name = 'hand'),
    true, 'vgm_denormalize clips a finite alpha to [-1, 1] instead of failing');

SELECT * FROM finish();
ROLLBACK;
