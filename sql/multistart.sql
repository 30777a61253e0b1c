-- Multi-start fits (n_init): option validation, determinism across plans,
-- and a heaped column where one start lands in a worse optimum.
SET extra_float_digits = 0;

-- a diamond-carat-like column: 2 decimals, 55% heaped at and just above
-- .3/.4/.5/.7/.9/1.0/1.2/1.5/2.0 (values from hashes, so the data is fixed)
CREATE TABLE ms_carat AS
WITH u AS (
  SELECT i, (hashint4(i)::float8 + 2147483649) / 4294967297 AS u1,
            (hashint4(i + 1000000)::float8 + 2147483649) / 4294967297 AS u2,
            (hashint4(i + 2000000)::float8 + 2147483649) / 4294967297 AS u3,
            (hashint4(i + 3000000)::float8 + 2147483649) / 4294967297 AS u4
  FROM generate_series(1, 20000) i),
b AS (SELECT i, u3, u4,
             least(greatest(exp(ln(0.7) + 0.55 * sqrt(-2 * ln(u1)) * cos(2 * pi() * u2)), 0.2), 5.0) AS c
      FROM u)
SELECT i, round((CASE WHEN u3 < 0.55 AND c <= 2.0
   THEN (SELECT min(h) FROM unnest(ARRAY[0.3, 0.4, 0.5, 0.7, 0.9, 1.0, 1.2, 1.5, 2.0]) h WHERE h >= c)
        + (ARRAY[0, 0, 0.01, 0.02])[1 + floor(u4 * 4)::int]
   ELSE c END)::numeric, 2)::float8 AS x
FROM b;
SELECT count(*) AS rows, count(DISTINCT x) AS distinct_values FROM ms_carat;

-- n_init is validated like every option: 22023 with the value in the detail
\set VERBOSITY sqlstate
SELECT vgm_fit(vgm_summarize(x), n_init => 0) FROM ms_carat;
SELECT vgm_fit(ARRAY[1, 2, 3]::float8[], n_init => -1);
SELECT vgm_fit(ARRAY[1, 2, 3]::float8[], n_init => 101);
SELECT vgm_fit(ARRAY[1, 2, 3]::float8[], n_init => NULL);
\set VERBOSITY default
SELECT vgm_fit(ARRAY[1, 2, 3]::float8[], n_init => 0);
SELECT vgm_fit(vgm_summarize(x), n_init => 1000000) FROM ms_carat;
SELECT vgm_fit(ARRAY[1, 2, 3]::float8[], n_init => 2147483647);
-- the largest allowed value works
SELECT vgm_n_components(vgm_fit(ARRAY[1, 2, 3, 10, 11, 12]::float8[], max_components => 2, n_init => 100));

-- the default (several starts) reaches a better optimum than one start on
-- this column: higher lower bound and higher plug-in log-likelihood per row
CREATE TABLE ms_fits AS
SELECT vgm_fit(s, n_init => 1) AS one, vgm_fit(s) AS dflt, vgm_fit(s, n_init => 5) AS five
FROM (SELECT vgm_summarize(x) AS s FROM ms_carat) q;
SELECT (vgm_diagnostics(dflt)).lower_bound > (vgm_diagnostics(one)).lower_bound AS default_bound_higher,
       (SELECT avg(vgm_log_density(dflt, x)) - avg(vgm_log_density(one, x)) FROM ms_carat) > 0.02
         AS default_loglik_higher_by_0_02,
       vgm_weights(dflt) = vgm_weights(five) AND vgm_means(dflt) = vgm_means(five) AS default_is_five
FROM ms_fits;
SELECT round(avg(vgm_log_density(one, x))::numeric, 3) AS loglik_one_start,
       round(avg(vgm_log_density(dflt, x))::numeric, 3) AS loglik_default
FROM ms_fits, ms_carat;

-- same seed, same model, whatever the plan: one-step aggregate, serial
-- summary, parallel summary, rollup of partial summaries
CREATE TABLE ms_models (plan text, m vgm_model);
SET max_parallel_workers_per_gather = 0;
INSERT INTO ms_models SELECT 'aggregate', vgm_fit(x) FROM ms_carat;
INSERT INTO ms_models SELECT 'serial', vgm_fit(vgm_summarize(x)) FROM ms_carat;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
INSERT INTO ms_models SELECT 'parallel', vgm_fit(vgm_summarize(x)) FROM ms_carat;
INSERT INTO ms_models SELECT 'parallel aggregate', vgm_fit(x) FROM ms_carat;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
INSERT INTO ms_models
SELECT 'rollup', vgm_fit(vgm_rollup(s)) FROM (SELECT vgm_summarize(x) AS s FROM ms_carat GROUP BY i % 7) p;
INSERT INTO ms_models
SELECT 'rollup, seed 43', vgm_fit(vgm_rollup(s), seed => 43) FROM (SELECT vgm_summarize(x) AS s FROM ms_carat GROUP BY i % 3) p;
SELECT p.plan,
       vgm_weights(p.m) = vgm_weights(r.m) AND vgm_means(p.m) = vgm_means(r.m)
         AND vgm_stddevs(p.m) = vgm_stddevs(r.m)
         AND (vgm_diagnostics(p.m)).lower_bound = (vgm_diagnostics(r.m)).lower_bound AS same_model
FROM ms_models p, ms_models r WHERE r.plan = 'serial' ORDER BY p.plan;
-- the array fit is deterministic too
SELECT vgm_weights(a) = vgm_weights(b) AND vgm_means(a) = vgm_means(b) AS array_fit_repeats
FROM (SELECT vgm_fit(array_agg(x ORDER BY i)) a, vgm_fit(array_agg(x ORDER BY -i)) b FROM ms_carat WHERE i <= 3000) q;

DROP TABLE ms_carat, ms_fits, ms_models;
