-- vgm_summary: the one-pass summary, its aggregates and its text form
SET extra_float_digits = 0;
SET client_min_messages = error;  -- the fit's warnings about skipped values are tested in fit.sql

\i test/fixtures/regress_helpers.sql

-- deterministic data: three clusters, a point mass at 9.99, negatives, NULLs
-- (every 50th row) and non-finite values; 5 groups
CREATE TABLE summ_data AS SELECT * FROM pg_temp.mixed_values(20000, 50, 5);
INSERT INTO summ_data VALUES (0, 'NaN', 1, 0), (-1, 'Infinity', 1, 0), (-2, '-Infinity', 1, 0);

-- counts, extremes and exact moments
SELECT rows, total_weight, nulls, nans, pos_infs, neg_infs, min, max,
       buckets > 0 AS has_buckets, bytes < 2000000 AS bounded
FROM vgm_summary_info((SELECT vgm_summarize(x) FROM summ_data));

-- the bucket means reproduce the exact column mean and variance
SELECT abs(sum(weight * mean) / sum(weight) - (SELECT avg(x) FROM summ_data WHERE x < 'Infinity' AND x > '-Infinity')) < 1e-6 AS mean_exact,
       count(*) AS buckets
FROM vgm_summary_buckets((SELECT vgm_summarize(x) FROM summ_data));

-- text round trip is lossless
CREATE TABLE summ_stored AS SELECT vgm_summarize(x) AS s FROM summ_data;
SELECT s::text = s::text::vgm_summary::text AS text_round_trip FROM summ_stored;

-- binary COPY round trip is bit-exact
\copy summ_stored TO '/tmp/vgm_regress_summary.bin' WITH (FORMAT binary)
CREATE TABLE summ_restored (s vgm_summary);
\copy summ_restored FROM '/tmp/vgm_regress_summary.bin' WITH (FORMAT binary)
SELECT (SELECT s::text FROM summ_stored) = (SELECT s::text FROM summ_restored) AS binary_round_trip;

-- a view that compares two summaries bucket by bucket: same keys, same
-- weights, means equal up to float summation order
CREATE FUNCTION summ_same(a vgm_summary, b vgm_summary) RETURNS boolean LANGUAGE sql AS $$
  SELECT (vgm_summary_info(a)).relative_width = (vgm_summary_info(b)).relative_width
     AND (SELECT count(*) FROM vgm_summary_buckets(a)) = (SELECT count(*) FROM vgm_summary_buckets(b))
     AND NOT EXISTS (
       SELECT 1 FROM vgm_summary_buckets(a) x FULL JOIN vgm_summary_buckets(b) y USING (key)
       WHERE x.weight IS DISTINCT FROM y.weight
          OR abs(x.mean - y.mean) > 1e-12 * greatest(abs(x.mean), 1)
          OR abs(x.stddev - y.stddev) > 1e-9 * greatest(abs(x.mean), 1))
$$;

-- merging is exact: partial summaries rolled up equal the whole-table summary
CREATE TABLE summ_parts AS SELECT g, vgm_summarize(x) AS s FROM summ_data GROUP BY g;
SELECT summ_same((SELECT vgm_rollup(s) FROM summ_parts), (SELECT vgm_summarize(x) FROM summ_data)) AS rollup_equals_whole;
SELECT (SELECT vgm_rollup(s) FROM summ_parts)::jsonb - 'buckets' = (SELECT vgm_summarize(x) FROM summ_data)::jsonb - 'buckets' AS rollup_counts_equal;

-- order does not matter
SELECT summ_same((SELECT vgm_summarize(x ORDER BY x DESC) FROM summ_data),
                 (SELECT vgm_summarize(x ORDER BY id) FROM summ_data)) AS order_independent;

-- weighted rows: weight 0 is ignored, weight 2 counts twice
SELECT total_weight, rows FROM vgm_summary_info(
  (SELECT vgm_summarize(x, w) FROM (VALUES (1.0::float8, 0.0::float8), (2.0, 2.0), (3.0, 1.0)) v(x, w)));
SELECT vgm_summarize(x, w) FROM (VALUES (1.0::float8, -1.0::float8)) v(x, w);
SELECT vgm_summarize(x, w) FROM (VALUES (1.0::float8, 'NaN'::float8)) v(x, w);
SELECT vgm_summarize(x, w) FROM (VALUES (1.0::float8, NULL::float8)) v(x, w);

-- empty input: no rows gives NULL; only NULLs gives a summary that counts them
SELECT vgm_summarize(x) IS NULL AS empty_is_null FROM summ_data WHERE false;
SELECT rows, nulls FROM vgm_summary_info((SELECT vgm_summarize(NULL::float8) FROM generate_series(1, 3)));
SELECT vgm_fit(NULL::float8) IS NULL AS fit_of_nulls_is_null FROM generate_series(1, 3);

-- a small group costs little memory
SELECT bytes < 1000 AS small FROM vgm_summary_info((SELECT vgm_summarize(x) FROM (VALUES (1.0::float8), (2.0)) v(x)));

-- the text form is JSON
SELECT (vgm_summarize(x)::jsonb) ->> 'version' AS version,
       jsonb_array_length(vgm_summarize(x)::jsonb -> 'buckets') AS buckets
FROM (VALUES (1.0::float8), (1.0), (0.0), (-2.5)) v(x);
SELECT vgm_summarize(x)::text FROM (VALUES (1.0::float8), (1.0), (0.0), (-2.5), (NULL), ('NaN')) v(x);

-- bad text is rejected with a clear error
SELECT '{"version":3,"shift":32,"rows":0,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"min":0,"max":0,"buckets":[]}'::vgm_summary;
SELECT '{"version":1,"shift":99,"rows":0,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"min":0,"max":0,"buckets":[]}'::vgm_summary;
SELECT '{"version":1,"shift":32,"rows":1,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"min":1,"max":1,"buckets":[]}'::vgm_summary;
SELECT '{"version":1,"shift":32,"rows":2,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"min":1,"max":2,"buckets":[[1073741825,1,2,0,0,0],[1072693249,1,1,0,0,0]]}'::vgm_summary;
SELECT '{"version":1,"shift":32,"rows":1,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"min":1,"max":1,"buckets":[[1072693249,-1,1,0,0,0]]}'::vgm_summary;
SELECT '{"version":1,"shift":32,"rows":1,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"min":1,"max":1,"buckets":[[1072693249,1,500,0,0,0]]}'::vgm_summary;
SELECT '{"version":1,"shift":32,"rows":1,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"min":1,"max":1,"buckets":[[1072693249,1,1,0,0,0]]} x'::vgm_summary;
SELECT '{"version":1,"shift":32,"rows":1,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"min":1,"max":1,"buckets":[[1072693249,1,NaN,0,0,0]]}'::vgm_summary;
SELECT '{"version":1,"shift":32,"rows":1'::vgm_summary;
SELECT '{"version":1,"shift":32,"rows":-1,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"min":0,"max":0,"buckets":[]}'::vgm_summary;

-- transition functions refuse to run outside an aggregate
SELECT vgm_summarize_sfunc(NULL, 1.0);

-- the one-step fit and the fit on a summary agree
SELECT (SELECT vgm_fit(x) FROM summ_data)::jsonb - 'fit' = (SELECT vgm_fit(vgm_summarize(x)) FROM summ_data)::jsonb - 'fit' AS one_step_equals_two_step;
SELECT n_valid, rows, nulls, nans, infinities, converged FROM vgm_diagnostics((SELECT vgm_fit(x) FROM summ_data));
SELECT vgm_n_components(vgm_fit(x, 4)) FROM summ_data;
SELECT vgm_fit(x, NULL::int) FROM summ_data;
SELECT vgm_fit(x, 0) FROM summ_data;
SELECT vgm_fit(x, id::int) FROM summ_data;
SELECT vgm_n_components(vgm_fit(vgm_summarize(x), max_components => 3, seed => 7)) FROM summ_data;
SELECT vgm_fit(vgm_summarize(x), max_components => 0) FROM summ_data;
SELECT vgm_fit(vgm_summarize(x), weight_threshold => 1) FROM summ_data;
SELECT vgm_fit(vgm_summarize(x), tol => -1) FROM summ_data;
SELECT vgm_fit(vgm_summarize(x), max_iter => 0) FROM summ_data;
SELECT vgm_fit(vgm_summarize(x), seed => NULL) FROM summ_data;

-- per-group models in one scan
SELECT g, (vgm_diagnostics(vgm_fit(x))).n_valid, count(*) FROM summ_data GROUP BY g ORDER BY g;

-- warm start from a previous model: a converged model needs few iterations
WITH m AS (SELECT vgm_fit(vgm_summarize(x), max_iter => 5000, tol => 1e-10) AS m FROM summ_data)
SELECT (vgm_diagnostics(vgm_fit(vgm_summarize(x), init => (SELECT m FROM m), tol => 1e-8))).iterations <= 3 AS warm_start_is_quick
FROM summ_data;
