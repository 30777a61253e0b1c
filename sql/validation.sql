-- validation: moments, KS tests, bounds and the one-scan report
SET extra_float_digits = 0;
SET client_min_messages = warning;

-- a fixed 3-component model (JSON literal, independent of the fit engine)
CREATE TABLE val_models (name text PRIMARY KEY, model vgm_model);
INSERT INTO val_models VALUES ('m3', '{"version":1,"dims":1,"k":3,"weights":[0.3335554813404853,0.3308179848133628,0.33562653384615193],"means":[-1.9936651587688567,4.994202862540203,9.973931263517747],"covariances":[0.18991335472678905,0.5244716792757146,2.175595671818907],"mean_precision":[1000.9999999999999,993.2811650562875,1008.7188349437196],"degrees_of_freedom":[1000.9999999999999,993.2811650562875,1008.7188349437196],"weight_concentration_a":[1000.9999999999999,993.2811650562875,1008.7188349437196],"weight_concentration_b":[2000.001000000007,1007.7198349437195,0.001],"weight_threshold":0.005,"priors":{"weight_concentration":0.001,"mean_precision":1,"mean":4.337622756526183,"degrees_of_freedom":1,"covariance":25.15125202545014,"reg_covar":1e-06},"fit":{"max_iter":1000,"tol":1e-08,"seed":42,"iterations":6,"converged":true,"lower_bound":-4013.531267323371,"fit_ms":8.056091000325978},"training":{"rows":3000,"total_weight":3000,"min":-2.499916650722274,"max":11.999986376007277,"buckets":3000,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0}}');

-- deterministic data: the model's three clusters, then NULLs and non-finite values
CREATE TABLE val_data AS
SELECT i, (CASE WHEN i % 3 = 0 THEN 5 + sin(i * 0.37)
                WHEN i % 3 = 1 THEN -2 + 0.5 * cos(i * 1.3)
                ELSE 10 + 2 * sin(i * 0.11) END)::float8 AS x
FROM generate_series(1, 3000) i;
INSERT INTO val_data VALUES (3001, NULL), (3002, 'NaN'), (3003, 'Infinity'), (3004, '-Infinity'), (3005, -40), (3006, 25);

-- moments of data agree with the built-in aggregates
SELECT m.n, m.rows, m.nulls, m.nans, m.pos_infs, m.neg_infs, m.min, m.max,
       abs(m.mean - b.avg) < 1e-12 AS mean_ok,
       abs(m.variance / b.var_samp - 1) < 1e-12 AS variance_ok,
       abs(m.variance_pop / b.var_pop - 1) < 1e-12 AS variance_pop_ok,
       abs(m.stddev / b.stddev_samp - 1) < 1e-12 AS stddev_ok,
       round(m.skewness::numeric, 6) AS skewness, round(m.kurtosis::numeric, 6) AS kurtosis
FROM (SELECT (vgm_moments(x)).* FROM val_data) m,
     (SELECT avg(x), var_samp(x), var_pop(x), stddev_samp(x) FROM val_data
      WHERE x > '-Infinity' AND x < 'Infinity') b;

-- the same from a stored summary (bucket moments, a different summation)
SELECT abs(s.mean / r.mean - 1) < 1e-13 AS same_mean, abs(s.variance / r.variance - 1) < 1e-12 AS same_variance,
       abs(s.skewness - r.skewness) < 1e-12 AS same_skewness, abs(s.kurtosis - r.kurtosis) < 1e-12 AS same_kurtosis,
       (s.n, s.rows, s.min, s.max, s.nulls, s.nans, s.pos_infs, s.neg_infs)
         = (r.n, r.rows, r.min, r.max, r.nulls, r.nans, r.pos_infs, r.neg_infs) AS same_counts
FROM (SELECT (vgm_moments(vgm_summarize(x))).* FROM val_data) s, (SELECT (vgm_moments(x)).* FROM val_data) r;

-- numerically stable: 1e9 + data gives the variance, skewness and kurtosis
-- of the shifted values as exact numeric arithmetic computes them (the text
-- form with extra_float_digits = 3 converts every float8 exactly); bucket
-- means are stored as float8, which at 1e9 costs about 1e-8 relative
SET extra_float_digits = 3;
WITH d AS (SELECT x + 1e9 AS v FROM val_data WHERE x BETWEEN -100 AND 100),
     mu AS (SELECT avg(v::text::numeric) AS mu, count(*) AS n FROM d),
     c AS (SELECT n, sum((v::text::numeric - mu) ^ 2) AS s2, sum((v::text::numeric - mu) ^ 3) AS s3,
                  sum((v::text::numeric - mu) ^ 4) AS s4 FROM d, mu GROUP BY n),
     m AS (SELECT (vgm_moments(v)).* FROM d)
SELECT abs(m.variance / (c.s2 / (c.n - 1))::float8 - 1) < 1e-7 AS variance_ok,
       abs(m.skewness - ((c.s3 / c.n) / ((c.s2 / c.n) ^ 1.5))::float8) < 1e-6 AS skewness_ok,
       abs(m.kurtosis - ((c.s4 / c.n) / ((c.s2 / c.n) ^ 2) - 3)::float8) < 1e-6 AS kurtosis_ok
FROM m, c;
SET extra_float_digits = 0;

-- constant data: no skewness or kurtosis (NULL, where SciPy says nan); one row: no sample variance
SELECT variance, variance_pop, skewness, kurtosis FROM (SELECT (vgm_moments(7.5::float8)).* FROM generate_series(1, 4)) s;
SELECT n, variance, variance_pop FROM (SELECT (vgm_moments(2::float8)).*) s;
SELECT vgm_moments(x) IS NULL AS empty_is_null FROM val_data WHERE false;

-- moments of the model in closed form
SELECT round(mean::numeric, 9) AS mean, round(variance::numeric, 9) AS variance,
       round(stddev::numeric, 9) AS stddev, round(skewness::numeric, 9) AS skewness,
       round(kurtosis::numeric, 9) AS kurtosis
FROM vgm_model_moments((SELECT model FROM val_models WHERE name = 'm3'));

-- one-sample KS against the model; non-finite values are counted, not tested
SELECT round(statistic::numeric, 5) AS statistic, round(pvalue::numeric, 5) AS pvalue, n
FROM (SELECT (vgm_ks((SELECT model FROM val_models), x)).* FROM val_data) s;
SELECT n, nulls, nans, pos_infs, neg_infs, bins, bytes
FROM vgm_ks_info((SELECT vgm_ks_state((SELECT model FROM val_models), x) FROM val_data));
-- no rows: no statistic
SELECT (vgm_ks((SELECT model FROM val_models), x)).* FROM val_data WHERE false;

-- the state round-trips through text (binary COPY: test/py/test_validation.py),
-- and stored states roll up
CREATE TABLE val_states AS
SELECT i % 4 AS part, vgm_ks_state((SELECT model FROM val_models), x) AS s FROM val_data GROUP BY i % 4;
SELECT bool_and(s::text::vgm_ks_state::text = s::text) AS text_round_trip FROM val_states;
-- keys in any order: through jsonb (keys sorted by length), and with the
-- counts first and the version last
WITH r AS (SELECT s, regexp_replace(s::text, '^[{]("version":1),("bins":[0-9]+),(.*),("counts":[[].*[]])[}]$',
                                    '{\4,\3,\2,\1}') AS t
           FROM val_states)
SELECT bool_and(s::text::jsonb::text::vgm_ks_state::text = s::text) AS from_jsonb_text,
       bool_and(t LIKE '{"counts":%' AND t LIKE '%"version":1}') AS reordered,
       bool_and(t::vgm_ks_state::text = s::text) AS counts_first_reads_back
FROM r;
SELECT (SELECT vgm_ks(vgm_rollup(s)) FROM val_states) = (SELECT vgm_ks((SELECT model FROM val_models), x) FROM val_data) AS rollup_equals_whole;

-- a parallel plan gives the same states
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE val_par AS
SELECT vgm_ks_state((SELECT model FROM val_models), x) AS s, vgm_bounds((SELECT model FROM val_models), x) AS b,
       vgm_moments(x) AS m FROM val_data;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT p.s::text = (SELECT vgm_ks_state((SELECT model FROM val_models), x) FROM val_data)::text AS ks_same,
       p.b = (SELECT vgm_bounds((SELECT model FROM val_models), x) FROM val_data) AS bounds_same,
       abs((p.m).variance / (SELECT (vgm_moments(x)).variance FROM val_data) - 1) < 1e-12 AS moments_same
FROM val_par p;

-- two-sample KS in the model's coordinates: halves of one sample, then a shifted sample
SELECT round(statistic::numeric, 6) AS statistic, round(pvalue::numeric, 6) AS pvalue, n1, n2
FROM vgm_ks_2samp((SELECT vgm_ks_state((SELECT model FROM val_models), x) FROM val_data WHERE i % 2 = 0),
                  (SELECT vgm_ks_state((SELECT model FROM val_models), x) FROM val_data WHERE i % 2 = 1));
SELECT round(statistic::numeric, 6) AS statistic, pvalue < 1e-6 AS rejects, n1, n2
FROM vgm_ks_2samp((SELECT vgm_ks_state((SELECT model FROM val_models), x) FROM val_data WHERE i <= 1500),
                  (SELECT vgm_ks_state((SELECT model FROM val_models), x + 0.5) FROM val_data WHERE i > 1500));
-- small samples: the exact distribution
SELECT round(statistic::numeric, 6) AS statistic, round(pvalue::numeric, 6) AS pvalue, n1, n2
FROM vgm_ks_2samp((SELECT vgm_ks_state((SELECT model FROM val_models), x) FROM val_data WHERE i <= 30),
                  (SELECT vgm_ks_state((SELECT model FROM val_models), x + 0.2) FROM val_data WHERE i BETWEEN 100 AND 144));

-- bounds: the training range is [-2.4999, 11.99999]; -40 and 25 are outside and clipped
SELECT n, below_min, above_max, round(outside_share::numeric, 6) AS outside_share,
       clipped_low, clipped_high, round(clipped_share::numeric, 6) AS clipped_share,
       nulls, nans, pos_infs, neg_infs
FROM (SELECT (vgm_bounds((SELECT model FROM val_models), x)).* FROM val_data) s;
-- the clipped values are those vgm_alpha clips
SELECT count(*) FILTER (WHERE abs(vgm_alpha(m.model, x)) = 0.99) AS alpha_at_clip
FROM val_data, val_models m WHERE x > '-Infinity' AND x < 'Infinity';
SELECT (vgm_bounds((SELECT model FROM val_models), x)).* FROM val_data WHERE false;

-- the null distributions (SciPy: kstwo.sf, kstwobign.sf, ks_2samp)
SELECT round(vgm_kstwo_sf(0.3, 10)::numeric, 9) AS exact_small,
       round(vgm_kstwo_sf(0.04, 1000)::numeric, 9) AS durbin,
       round(vgm_kstwo_sf(0.012, 10000)::numeric, 9) AS pelz_good,
       round(vgm_kstwo_sf(0.02, 10000)::numeric, 9) AS smirnov,
       round(vgm_kstwobign_sf(1.36)::numeric, 9) AS limit_136,
       round(vgm_ks_2samp_sf(0.5, 10, 10)::numeric, 9) AS two_equal,
       round(vgm_ks_2samp_sf(25.0 / 60, 30, 20)::numeric, 9) AS two_unequal;

-- effect sizes from the KS state: the largest tied share (here one row in
-- 3002), D above half of it, and 1 % trimmed moments of data and model
SELECT n, round(statistic::numeric, 6) AS statistic, round(atom_share::numeric, 6) AS atom_share,
       round(excess::numeric, 6) AS excess, round(data_trimmed_mean::numeric, 4) AS data_trimmed_mean,
       round(data_trimmed_stddev::numeric, 4) AS data_trimmed_stddev,
       round(model_trimmed_mean::numeric, 4) AS model_trimmed_mean,
       round(model_trimmed_stddev::numeric, 4) AS model_trimmed_stddev
FROM vgm_ks_effects((SELECT model FROM val_models), (SELECT vgm_ks_state((SELECT model FROM val_models), x) FROM val_data));
-- no trimming: the model's moments are its closed-form ones
SELECT abs(e.model_trimmed_mean - m.mean) < 1e-9 AS same_mean, abs(e.model_trimmed_stddev / m.stddev - 1) < 1e-9 AS same_stddev
FROM vgm_ks_effects((SELECT model FROM val_models), (SELECT vgm_ks_state((SELECT model FROM val_models), x) FROM val_data), 0) e,
     vgm_model_moments((SELECT model FROM val_models)) m;

-- the report: one scan, one row per check; thresholds of ks_excess and
-- trimmed_stddev_ratio include the sampling allowance for 3002 rows
SELECT "check", round(statistic::numeric, 6) AS statistic, round(threshold::numeric, 6) AS threshold, passed
FROM vgm_validate((SELECT model FROM val_models), 'val_data', 'x');
SELECT "check", passed
FROM vgm_validate((SELECT model FROM val_models), 'val_data', 'x', ks_pvalue_min => NULL, outside_max => 0.0001,
                  ks_statistic_max => 0.05, nonfinite_max => 0.01)
WHERE passed IS NOT NULL;
-- the assertion passes quietly with lenient thresholds
SELECT vgm_assert_valid((SELECT model FROM val_models), 'val_data', 'x', ks_pvalue_min => NULL);
