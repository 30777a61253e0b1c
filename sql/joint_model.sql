-- vgm_joint_model: hand-written models (text input) through every function,
-- checked against SciPy and scikit-learn; round trips (text, jsonb, binary
-- COPY); equality and hashing; a d = 1 model against the one-dimensional
-- functions; marginals; sampling; parallel plans equal to the serial one.
--
-- Reference values were computed offline with SciPy 1.10 / scikit-learn
-- 1.2.1 (Debian's) for the model 'three' below:
--   log density: logsumexp_j(log w_j + multivariate_normal(mu_j, C_j).logpdf(x))
--   score, predict, predict_proba: a BayesianGaussianMixture whose
--   weight_concentration_, mean_precision_, means_, degrees_of_freedom_,
--   covariances_ and precisions_cholesky_ were set to the model's.
-- test/py/test_joint_model.py repeats the comparison on random models.

\i test/fixtures/regress_helpers.sql

SET extra_float_digits = 0;

CREATE TABLE jm (name text PRIMARY KEY, m vgm_joint_model);
-- three columns, three correlated components (N = 10000 rows: 5000, 3000, 2000)
INSERT INTO jm VALUES ('three', '{
  "version": 1, "dims": 3, "k": 3,
  "weights": [0.5, 0.3, 0.2],
  "means": [[0, 0, 0], [5, -2, 1], [-3, 4, 10]],
  "covariances": [[[1, 0.6, 0.2], [0.6, 2, 0.3], [0.2, 0.3, 0.5]],
                  [[0.3, -0.1, 0], [-0.1, 0.4, 0.05], [0, 0.05, 1.5]],
                  [[4, 1, -1], [1, 3, 0.5], [-1, 0.5, 2]]],
  "mean_precision": [5001, 3001, 2001],
  "degrees_of_freedom": [5003, 3003, 2003],
  "weight_concentration_a": [5001, 3001, 2001],
  "weight_concentration_b": [5000.001, 2000.001, 0.001],
  "weight_threshold": 0.005,
  "priors": {"weight_concentration": 0.001, "mean_precision": 1, "mean": [0.9, 0.2, 2.3],
             "degrees_of_freedom": 3, "reg_covar": 1e-6,
             "covariance": [[9.88, -5.11, -6.67], [-5.11, 6.08, 7.205], [-6.67, 7.205, 16.11]]},
  "fit": {"max_iter": 1000, "n_init": 1, "tol": 1e-8, "seed": 42, "iterations": 12,
          "converged": true, "lower_bound": -41234.5, "fit_ms": 3.5},
  "training": {"rows": 10000, "points": 10000, "skipped_rows": 7, "total_weight": 10000}}');
-- one column: the same posterior as the vgm_model 'one_1d' below
INSERT INTO jm VALUES ('one', '{"version":1,"dims":1,"k":2,"weights":[0.75,0.25],"means":[[-1],[3]],
  "covariances":[[[0.5]],[[2]]],"mean_precision":[76,26],"degrees_of_freedom":[76,26],
  "weight_concentration_a":[76,26],"weight_concentration_b":[26.001,0.001],"weight_threshold":0.005,
  "priors":{"weight_concentration":0.001,"mean_precision":1,"mean":[0],"degrees_of_freedom":1,
            "covariance":[[1]],"reg_covar":1e-06},
  "fit":{"max_iter":1000,"n_init":1,"tol":1e-08,"seed":42,"iterations":7,"converged":true,
         "lower_bound":-150.5,"fit_ms":1.5},
  "training":{"rows":100,"points":100,"skipped_rows":0,"total_weight":100}}');
-- another three-column model, from its mixture, for joins alternating models
INSERT INTO jm SELECT 'three_b', vgm_joint_model_from_mixture(
  ARRAY[0.6, 0.4], ARRAY[[1, 1, 1], [-2, 0, 3]],
  ARRAY[[[2, 0.3, 0], [0.3, 1, 0.2], [0, 0.2, 0.7]], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]], 50000);
CREATE TABLE one_1d AS SELECT '{"version":1,"dims":1,"k":2,"weights":[0.75,0.25],"means":[-1,3],"covariances":[0.5,2],"mean_precision":[76,26],"degrees_of_freedom":[76,26],"weight_concentration_a":[76,26],"weight_concentration_b":[26.001,0.001],"weight_threshold":0.005,"priors":{"weight_concentration":0.001,"mean_precision":1,"mean":0,"degrees_of_freedom":1,"covariance":1,"reg_covar":1e-06},"fit":{"max_iter":1000,"tol":1e-08,"seed":42,"iterations":7,"converged":true,"lower_bound":-150.5,"fit_ms":1.5},"training":{"rows":100,"total_weight":100,"min":-3,"max":7,"buckets":100,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0}}'::vgm_model AS m;

-------------------------------------------------------------------------------
-- accessors
-------------------------------------------------------------------------------
SELECT name, vgm_dims(m), vgm_n_components(m), vgm_weights(m), vgm_means(m)
FROM jm ORDER BY name;
SELECT vgm_covariances(m) FROM jm WHERE name = 'three';
SELECT array_dims(vgm_means(m)) AS means_dims, array_dims(vgm_covariances(m)) AS covariances_dims
FROM jm WHERE name = 'three';
SELECT (vgm_diagnostics(m)).* FROM jm WHERE name = 'three';
-- the constructor's posterior: N_k = rows w_k, dof = d + N_k, priors around the mixture
SELECT m::jsonb -> 'mean_precision' AS mean_precision, m::jsonb -> 'degrees_of_freedom' AS dof,
       m::jsonb -> 'weight_concentration_b' AS conc_b, m::jsonb -> 'priors' -> 'mean' AS prior_mean
FROM jm WHERE name = 'three_b';

-- the accessors are overloaded for vgm_model and vgm_joint_model: an untyped
-- literal still means a vgm_model (vgm_model is its category's preferred type)
SELECT vgm_n_components('{"version":1,"dims":1,"k":2,"weights":[0.75,0.25],"means":[-1,3],"covariances":[0.5,2],"mean_precision":[76,26],"degrees_of_freedom":[76,26],"weight_concentration_a":[76,26],"weight_concentration_b":[26.001,0.001],"weight_threshold":0.005,"priors":{"weight_concentration":0.001,"mean_precision":1,"mean":0,"degrees_of_freedom":1,"covariance":1,"reg_covar":1e-06},"fit":{"max_iter":1000,"tol":1e-08,"seed":42,"iterations":7,"converged":true,"lower_bound":-150.5,"fit_ms":1.5},"training":{"rows":100,"total_weight":100,"min":-3,"max":7,"buckets":100,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0}}') AS k_1d,
       (SELECT count(*) FROM vgm_sample('{"version":1,"dims":1,"k":2,"weights":[0.75,0.25],"means":[-1,3],"covariances":[0.5,2],"mean_precision":[76,26],"degrees_of_freedom":[76,26],"weight_concentration_a":[76,26],"weight_concentration_b":[26.001,0.001],"weight_threshold":0.005,"priors":{"weight_concentration":0.001,"mean_precision":1,"mean":0,"degrees_of_freedom":1,"covariance":1,"reg_covar":1e-06},"fit":{"max_iter":1000,"tol":1e-08,"seed":42,"iterations":7,"converged":true,"lower_bound":-150.5,"fit_ms":1.5},"training":{"rows":100,"total_weight":100,"min":-3,"max":7,"buckets":100,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0}}', 4, 1)) AS samples_1d;

-------------------------------------------------------------------------------
-- the row functions against SciPy / scikit-learn
-------------------------------------------------------------------------------
CREATE TABLE jm_ref (x float8[], log_density float8, score float8, predict int, proba float8[]);
INSERT INTO jm_ref VALUES
 ('{0,0,0}', -3.287097710128738, -3.2879475227356854, 0, '{0.999999999999432,6.011688081977115e-19,5.682639507767773e-13}'),
 ('{5,-2,1}', -3.0576055921009058, -3.059188228776987, 1, '{1.0309880593207017e-09,0.9999999989689062,1.0619715369984653e-13}'),
 ('{1,1,1}', -4.485158651561728, -4.486008464169423, 0, '{0.9999999996049169,2.431685743796018e-13,3.9483972007765075e-10}'),
 ('{-3,4,10}', -5.782860184076227, -5.785608493029297, 2, '{5.154350343385057e-55,4.56469938223413e-63,1.0}'),
 ('{20,-20,5}', -258.24609547819404, -258.24884378714705, 2, '{1.7466821129148973e-122,1.0855870941727756e-157,1.0}'),
 ('{2.5,-1,0.5}', -8.397596570354143, -8.398450399778119, 0, '{0.9945207134758147,0.005479286167070915,3.571136931004596e-10}');

SELECT r.x,
       round(vgm_log_density(m, r.x)::numeric, 10) AS log_density,
       abs(vgm_log_density(m, r.x) - r.log_density) <= 1e-12 * abs(r.log_density) AS density_matches_scipy,
       round(vgm_score(m, r.x)::numeric, 10) AS score,
       abs(vgm_score(m, r.x) - r.score) <= 1e-12 * abs(r.score) AS score_matches_sklearn,
       vgm_predict(m, r.x) AS predict,
       vgm_predict(m, r.x) = r.predict AS predict_matches_sklearn,
       (SELECT bool_and(abs(p.got - p.want) <= 1e-9 * p.want)
          FROM unnest(vgm_predict_proba(m, r.x), r.proba) AS p(got, want)) AS proba_matches_sklearn
FROM jm_ref r, jm WHERE jm.name = 'three' ORDER BY r.log_density DESC;

-- probabilities sum to 1; a point astronomically far away: density -Infinity,
-- all probability on the component its direction favours
SELECT round((SELECT sum(p) FROM unnest(vgm_predict_proba(m, '{0.3,-7,2}')) p)::numeric, 12) AS proba_sum,
       vgm_log_density(m, '{1e300,-1e300,1e300}') AS far_density,
       vgm_predict(m, '{1e300,-1e300,1e300}') AS far_predict,
       vgm_predict_proba(m, '{1e300,-1e300,1e300}') AS far_proba
FROM jm WHERE name = 'three';

-------------------------------------------------------------------------------
-- one column: the joint functions equal the one-dimensional ones
-------------------------------------------------------------------------------
SELECT x,
       abs(vgm_log_density(j.m, ARRAY[x]) - vgm_log_density(o.m, x)) <= 1e-13 * abs(vgm_log_density(o.m, x)) AS density,
       abs(vgm_score(j.m, ARRAY[x]) - vgm_score(o.m, x)) <= 1e-13 * abs(vgm_score(o.m, x)) AS score,
       vgm_predict(j.m, ARRAY[x]) = vgm_predict(o.m, x) AS predict,
       (SELECT bool_and(abs(a - b) <= 1e-13 * b + 1e-300)
          FROM unnest(vgm_predict_proba(j.m, ARRAY[x]), vgm_predict_proba(o.m, x)) AS p(a, b)) AS proba
FROM jm j, one_1d o, unnest(ARRAY[-3, -1, 0.5, 1.2, 3, 8, -40]::float8[]) x
WHERE j.name = 'one' ORDER BY x;

-------------------------------------------------------------------------------
-- marginals: the plug-in marginal exactly, usable by every 1-D function
-------------------------------------------------------------------------------
CREATE TABLE jm_marg_ref (col int, x float8, log_density float8);
INSERT INTO jm_marg_ref VALUES (1, 0, -1.5491761810788895), (1, 1.5, -2.689236837768915),
  (2, 0, -1.9274192899552656), (2, 1.5, -2.336953841104294),
  (3, 0, -1.0437986125683136), (3, 1.5, -2.123269921491501);
SELECT r.col, r.x, round(vgm_log_density(vgm_marginal(m, r.col), r.x)::numeric, 10) AS log_density,
       abs(vgm_log_density(vgm_marginal(m, r.col), r.x) - r.log_density) <= 1e-12 * abs(r.log_density) AS matches_scipy
FROM jm_marg_ref r, jm WHERE jm.name = 'three' ORDER BY r.col, r.x;
-- what the marginal of column 2 carries: weights, sticks and beta unchanged,
-- mean and covariance of the column, dof - (d - 1), priors marginalised
SELECT vgm_marginal(m, 2) FROM jm WHERE name = 'three';
-- the 1-D functions run on it
SELECT vgm_component(vgm_marginal(m, 3), 9.5) AS component,
       round(vgm_alpha(vgm_marginal(m, 3), 9.5)::numeric, 10) AS alpha,
       round(vgm_cdf(vgm_marginal(m, 3), 2.3)::numeric, 10) AS cdf,
       (vgm_model_moments(vgm_marginal(m, 1))).mean AS mixture_mean_col1
FROM jm WHERE name = 'three';
-- the marginal of a one-column model scores as the model itself
SELECT bool_and(abs(vgm_score(vgm_marginal(m, 1), x) - vgm_score(m, ARRAY[x])) <= 1e-13 * abs(vgm_score(m, ARRAY[x])))
       AS marginal_of_one_column
FROM jm, unnest(ARRAY[-3, 0, 2.5, 9]::float8[]) x WHERE name = 'one';

-------------------------------------------------------------------------------
-- sampling: deterministic, prefix-stable, correlated as the mixture
-------------------------------------------------------------------------------
SELECT * FROM vgm_sample((SELECT m FROM jm WHERE name = 'one'), 3, 42);
SELECT (SELECT array_agg(s) FROM vgm_sample(m, 200, 7) s) = (SELECT array_agg(s) FROM vgm_sample(m, 200, 7) s) AS same_seed_same_rows,
       (SELECT array_agg(s) FROM vgm_sample(m, 200, 7) s) <> (SELECT array_agg(s) FROM vgm_sample(m, 200, 8) s) AS other_seed_other_rows,
       (SELECT array_agg(s) FROM vgm_sample(m, 10, 7) s) = (SELECT array_agg(s) FROM (SELECT s FROM vgm_sample(m, 200, 7) s LIMIT 10) q) AS prefix_stable,
       (SELECT count(*) FROM vgm_sample(m, 0, 7)) AS zero_rows
FROM jm WHERE name = 'three';
-- 40000 draws: sample mean and covariance within 4 standard errors of the
-- mixture's (mean [0.9, 0.2, 2.3]; covariance of the priors above)
WITH s AS (SELECT x FROM jm, vgm_sample(m, 40000, 1) x WHERE name = 'three'),
     st AS (SELECT avg(x[1]) m1, avg(x[2]) m2, avg(x[3]) m3,
                   covar_samp(x[1], x[1]) c11, covar_samp(x[1], x[2]) c12, covar_samp(x[2], x[3]) c23,
                   covar_samp(x[3], x[3]) c33 FROM s)
SELECT abs(m1 - 0.9) < 4 * sqrt(9.88 / 40000) AS mean1, abs(m2 - 0.2) < 4 * sqrt(6.08 / 40000) AS mean2,
       abs(m3 - 2.3) < 4 * sqrt(16.11 / 40000) AS mean3,
       abs(c11 - 9.88) < 0.03 * 9.88 * 4 AS cov11, abs(c12 - (-5.11)) < 0.04 * 5.11 * 4 AS cov12,
       abs(c23 - 7.205) < 0.04 * 7.205 * 4 AS cov23, abs(c33 - 16.11) < 0.03 * 16.11 * 4 AS cov33
FROM st;
-- the draws of each component carry its correlation: component 0 (rho12 = 0.6 / sqrt(2) = 0.424)
WITH s AS (SELECT x FROM jm, vgm_sample(m, 40000, 2) x WHERE name = 'three')
SELECT round(corr(x[1], x[2])::numeric, 1) AS corr12_component0
FROM s, jm WHERE jm.name = 'three' AND vgm_predict(m, x) = 0;

-------------------------------------------------------------------------------
-- round trips, equality, hashing
-------------------------------------------------------------------------------
SELECT name, m::text::vgm_joint_model = m AS text_round_trip,
       m::jsonb::vgm_joint_model = m AS jsonb_round_trip,
       m::json::vgm_joint_model = m AS json_round_trip,
       m::jsonb::text::vgm_joint_model::text = m::text AS jsonb_text_same
FROM jm ORDER BY name;
\copy jm TO '/tmp/vgm_regress_joint.bin' WITH (FORMAT binary)
CREATE TABLE jm_restored (LIKE jm);
\copy jm_restored FROM '/tmp/vgm_regress_joint.bin' WITH (FORMAT binary)
SELECT j.name, r.m = j.m AS binary_round_trip, r.m::text = j.m::text AS same_text
FROM jm j JOIN jm_restored r USING (name) ORDER BY j.name;
SELECT count(DISTINCT m) AS distinct_models, count(*) AS rows FROM (SELECT m FROM jm UNION ALL SELECT m FROM jm_restored) q;
SET enable_mergejoin = off;
SET enable_nestloop = off;
SELECT count(*) AS hash_join_matches FROM jm a JOIN jm_restored b ON a.m = b.m;
RESET enable_mergejoin;
RESET enable_nestloop;
SELECT name FROM jm ORDER BY m LIMIT 0;

-------------------------------------------------------------------------------
-- parallel plans equal the serial plan; a join alternating two models
-------------------------------------------------------------------------------
CREATE TABLE jm_rows AS
SELECT i, ARRAY[3 * sin(i * 0.37), 2 * cos(i * 1.3) + 1.5 * sin(i * 0.37), ((i * 7919) % 1000) / 100.0]::float8[] AS x
FROM generate_series(1, 200000) i;
ANALYZE jm_rows;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE jm_serial AS
SELECT sum(vgm_log_density((SELECT m FROM jm WHERE name = 'three'), x)) AS density,
       sum(vgm_score((SELECT m FROM jm WHERE name = 'three'), x)) AS score,
       sum(vgm_predict((SELECT m FROM jm WHERE name = 'three'), x)) AS predict,
       sum((vgm_predict_proba((SELECT m FROM jm WHERE name = 'three'), x))[2]) AS proba2
FROM jm_rows;
SELECT pg_temp.force_parallel_plans();
EXPLAIN (COSTS OFF)
SELECT sum(vgm_log_density((SELECT m FROM jm WHERE name = 'three'), x)) FROM jm_rows;
SELECT abs(p.density - s.density) <= 1e-9 * abs(s.density) AS density,
       abs(p.score - s.score) <= 1e-9 * abs(s.score) AS score,
       p.predict = s.predict AS predict,
       abs(p.proba2 - s.proba2) <= 1e-9 * abs(s.proba2) AS proba2
FROM jm_serial s,
     (SELECT sum(vgm_log_density((SELECT m FROM jm WHERE name = 'three'), x)) AS density,
             sum(vgm_score((SELECT m FROM jm WHERE name = 'three'), x)) AS score,
             sum(vgm_predict((SELECT m FROM jm WHERE name = 'three'), x)) AS predict,
             sum((vgm_predict_proba((SELECT m FROM jm WHERE name = 'three'), x))[2]) AS proba2
      FROM jm_rows) p;
SELECT pg_temp.reset_parallel_plans();
-- a join whose model changes every row: each row gets its own model's answer
SELECT bool_and(abs(alternating.d - single.d) <= 1e-12 * abs(single.d)) AS alternating_models_cached_right
FROM (SELECT r.i, vgm_log_density(jm.m, r.x) AS d
      FROM jm_rows r JOIN jm ON jm.name = CASE WHEN r.i % 2 = 0 THEN 'three' ELSE 'three_b' END
      WHERE r.i <= 2000) alternating
JOIN (SELECT r.i, CASE WHEN r.i % 2 = 0 THEN vgm_log_density((SELECT m FROM jm WHERE name = 'three'), r.x)
                       ELSE vgm_log_density((SELECT m FROM jm WHERE name = 'three_b'), r.x) END AS d
      FROM jm_rows r WHERE r.i <= 2000) single USING (i);

-------------------------------------------------------------------------------
-- the seal (src/joint_model.h): a row function recognises a joint model by
-- its length and SHA-256 seal, a model stored without one by its bytes
-------------------------------------------------------------------------------
-- two models of the same size whose text differs in one bit of one mean
-- (1.5 and 1.5 + 2^-20): only the seal tells them apart
CREATE TABLE jm_bit AS
SELECT b, jsonb_set(m::jsonb, '{means,0,0}', to_jsonb(1.5 + b * 2 ^ (-20)))::vgm_joint_model AS m
FROM (SELECT vgm_joint_model_from_mixture(ARRAY[0.6, 0.4], ARRAY[[1.5, 0], [-1, 1]],
                                          ARRAY[[[1e-6, 0], [0, 1]], [[1, 0.2], [0.2, 1]]], 1000) AS m) base,
     generate_series(0, 1) b;
SELECT count(DISTINCT m) AS distinct_models, count(DISTINCT pg_column_size(m)) AS sizes,
       bool_and(m = m::text::vgm_joint_model) AS text_input_same_bytes,
       bool_and(m = m::jsonb::vgm_joint_model) AS jsonb_input_same_bytes
FROM jm_bit;
-- a fit seals as text input does: the same bytes for one model
SELECT f = f::text::vgm_joint_model AS fitted_same_bytes
FROM (SELECT vgm_joint_fit(ARRAY[sin(i) * 5 + (i % 3) * 10, cos(i * 0.7)], 3) AS f
      FROM generate_series(1, 500) i) t;
-- rows alternating between the two models in a hash join, against each
-- model as a literal of its own statement
CREATE TABLE jm_bit_rows AS SELECT i, ARRAY[1.5 + 0.001 * sin(i), cos(i)]::float8[] AS x FROM generate_series(1, 2000) i;
CREATE TEMP VIEW jm_bit_g AS SELECT b AS g, m FROM jm_bit;
CREATE TABLE jm_bit_ref AS
SELECT i, d.v AS d, c.v::int AS c
FROM pg_temp.answers_by_literal('jm_bit_g', 'vgm_joint_model', 'vgm_log_density', 'jm_bit_rows') d
JOIN pg_temp.answers_by_literal('jm_bit_g', 'vgm_joint_model', 'vgm_predict', 'jm_bit_rows') c USING (g, i);
DROP VIEW jm_bit_g;
-- the two models' answers differ on every row, so serving one for the other shows
SELECT count(*) AS rows,
       count(*) FILTER (WHERE abs(f0.d - f1.d) > 1e-9 * abs(f0.d)) AS rows_models_differ
FROM jm_bit_rows r,
     LATERAL (SELECT vgm_log_density(m, r.x) AS d FROM jm_bit WHERE b = 0) f0,
     LATERAL (SELECT vgm_log_density(m, r.x) AS d FROM jm_bit WHERE b = 1) f1;
SET enable_nestloop = off;
SET enable_mergejoin = off;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE vgm_log_density(mm.m, r.x) IS DISTINCT FROM f.d) AS hash_join_density_mismatch,
       count(*) FILTER (WHERE vgm_predict(mm.m, r.x) IS DISTINCT FROM f.c) AS hash_join_predict_mismatch
FROM jm_bit_rows r JOIN jm_bit mm ON mm.b = r.i % 2 JOIN jm_bit_ref f ON f.i = r.i;
RESET enable_nestloop;
RESET enable_mergejoin;
-- a model made per row at a reused address
SELECT count(*) FILTER (WHERE vgm_log_density(mm.m::text::vgm_joint_model, r.x) IS DISTINCT FROM f.d) AS per_row_mismatch
FROM jm_bit_rows r JOIN jm_bit mm ON mm.b = r.i % 2 JOIN jm_bit_ref f ON f.i = r.i;

-- stored forms as raw bytes: byteasend copies a varlena's bytes unchanged,
-- so declared (by a superuser) from and to vgm_joint_model it reads and
-- writes stored forms.  A model stored by a version without seals (layout
-- word 1, no range, no seal) still reads and gives the same answers,
-- recognised by its bytes; a damaged sealed model and an unknown layout
-- word are data corruption.
CREATE FUNCTION pg_temp.raw(vgm_joint_model) RETURNS bytea LANGUAGE internal IMMUTABLE STRICT AS 'byteasend';
CREATE FUNCTION pg_temp.stored(bytea) RETURNS vgm_joint_model LANGUAGE internal IMMUTABLE STRICT AS 'byteasend';
-- the content of a stored model: a header of 132 bytes (the layout word
-- first), the priors (8 (d + d^2) bytes), the range (16 d), the posterior,
-- the seal (32).  The unsealed layout of each model: layout word 1, no
-- range, no seal.
CREATE TABLE jm_old AS
SELECT b, pg_temp.stored(overlay(substr(raw, 1, 132 + pri) placing '\x01000000'::bytea from 1)
                         || substr(raw, 132 + pri + 16 * d + 1, length(raw) - 132 - pri - 16 * d - 32)) AS m
FROM (SELECT b, pg_temp.raw(m) AS raw, vgm_dims(m) AS d, 8 * (vgm_dims(m) + vgm_dims(m) ^ 2)::int AS pri
      FROM jm_bit) q;
SELECT count(*) AS old_models, bool_and(o.m::text = s.m::text) AS old_same_text,
       bool_and(pg_column_size(o.m) = pg_column_size(s.m) - 16 * 2 - 32) AS old_is_smaller
FROM jm_old o JOIN jm_bit s USING (b);
SET enable_nestloop = off;
SET enable_mergejoin = off;
SELECT count(*) FILTER (WHERE vgm_log_density(mm.m, r.x) IS DISTINCT FROM f.d) AS old_hash_join_mismatch,
       count(*) FILTER (WHERE vgm_log_density(mm.m::text::vgm_joint_model, r.x) IS DISTINCT FROM f.d) AS old_per_row_mismatch
FROM jm_bit_rows r JOIN jm_old mm ON mm.b = r.i % 2 JOIN jm_bit_ref f ON f.i = r.i;
RESET enable_nestloop;
RESET enable_mergejoin;
-- the lowest bit of the first mean (content byte 132 + 48 + 32 + 5 k 8 + 1)
-- flipped in a sealed model whose seal is kept; unknown layout words
SELECT vgm_log_density(pg_temp.stored(set_bit(pg_temp.raw(m), 8 * (132 + 48 + 32 + 80), 1 - get_bit(pg_temp.raw(m), 8 * (132 + 48 + 32 + 80)))),
                       ARRAY[1.5, 0])
FROM jm_bit WHERE b = 0;
SELECT vgm_log_density(pg_temp.stored(overlay(pg_temp.raw(m) placing '\x02000000'::bytea from 1)), ARRAY[1.5, 0])
FROM jm_bit WHERE b = 0;
SELECT vgm_dims(pg_temp.stored(overlay(pg_temp.raw(m) placing '\x00000000'::bytea from 1)))
FROM jm_old WHERE b = 0;
-- the same bit flipped in the unsealed form changes the answer (it has no seal to check)
SELECT vgm_log_density(pg_temp.stored(set_bit(pg_temp.raw(m), 8 * (132 + 48 + 80), 1 - get_bit(pg_temp.raw(m), 8 * (132 + 48 + 80)))), ARRAY[1.501, 0])
       <> vgm_log_density(m, ARRAY[1.501, 0]) AS unsealed_bit_changes_answer
FROM jm_old WHERE b = 0;

DROP TABLE jm, jm_restored, jm_ref, jm_marg_ref, jm_rows, jm_serial, one_1d, jm_bit, jm_bit_rows, jm_bit_ref, jm_old;
