-- row-by-row transforms: mode-specific normalization, its inverse, predictions, sampling
-- Floats are compared, not printed, unless they are exact by construction.
SET extra_float_digits = 0;
\i test/fixtures/regress_helpers.sql

-- three clusters around 10, 50 and 100, away from 0 so relative errors are meaningful
CREATE TABLE tx_data AS SELECT * FROM pg_temp.three_clusters(3000);
CREATE TABLE tx_models AS
SELECT 'fit'::text AS name, vgm_fit(array_agg(x ORDER BY i), max_components => 6, seed => 11) AS m
FROM tx_data;

-- the hand-written models 'hand' (component 1 below the weight threshold:
-- the valid components 0 -> posterior 0 and 1 -> posterior 2) and 'none' (a
-- threshold above every weight: no valid component); not echoed, see
-- test/fixtures/hand_models.sql
\set ECHO none
\i test/fixtures/hand_models.sql
\set ECHO all
INSERT INTO tx_models SELECT * FROM hand_models ORDER BY name;

-- and one of the same size with other means
INSERT INTO tx_models
SELECT 'hand2', (jsonb_set(m::jsonb, '{means}', '[1, 5, 12]'))::text::vgm_model
FROM tx_models WHERE name = 'hand';

SELECT vgm_n_components(m) AS k, array_length(vgm_valid_components(m), 1) AS n_valid
FROM tx_models WHERE name = 'fit';

-- hand model: exact values (alpha = (x - mean) / (4 std), x = 4 std alpha + mean)
SELECT x, vgm_component(m, x) AS component, vgm_alpha(m, x) AS alpha, vgm_predict(m, x) AS predict
FROM tx_models, unnest(ARRAY[-2, 0, 1, 8, 10, 12, 30, -30]::float8[]) x
WHERE name = 'hand';
SELECT vgm_denormalize(m, 0, 0.25) AS c0, vgm_denormalize(m, 1, 0.5) AS c1,
       vgm_denormalize(m, 1, -1) AS c1_low, vgm_denormalize(m, 1, 7) AS alpha_clipped_to_1,
       vgm_denormalize(m, 1, 1, clamp => true) AS clamped_to_max,
       vgm_denormalize(m, 0, -1, true) AS clamped_to_min
FROM tx_models WHERE name = 'hand';
SELECT vgm_normalize(m, 12), (vgm_normalize(m, 12)).*, vgm_encode(m, 12), vgm_encode(m, -30)
FROM tx_models WHERE name = 'hand';
SELECT n.* FROM tx_models, LATERAL vgm_normalize(m, 1) n WHERE name = 'hand';

-- numbering: valid components 0 .. n_valid - 1, in posterior order
SELECT count(DISTINCT c) = n_valid AS all_used, min(c) AS min_component,
       max(c) = n_valid - 1 AS max_is_n_valid_minus_1
FROM (SELECT vgm_component(m, x) AS c, array_length(vgm_valid_components(m), 1) AS n_valid
      FROM tx_models, tx_data WHERE name = 'fit') s
GROUP BY n_valid;
-- component c, alpha 0 is the mean of the c-th valid posterior component
SELECT bool_and(vgm_denormalize(m, c.component, 0) = c.mean) AS numbered_in_posterior_order
FROM tx_models, vgm_components(m) c WHERE name = 'fit' AND c.valid;

-- round trip: x comes back within 1e-12 relative whenever alpha was not clipped
SELECT count(*) FILTER (WHERE abs(vgm_alpha(m, x)) < 0.99) AS unclipped,
       count(*) FILTER (WHERE abs(vgm_alpha(m, x)) < 0.99
                        AND abs(vgm_denormalize(m, vgm_component(m, x), vgm_alpha(m, x)) - x)
                            > 1e-12 * abs(x)) AS round_trip_errors
FROM tx_models, tx_data WHERE name = 'fit';
SELECT count(*) FILTER (WHERE abs(vgm_alpha(m, x, i)) < 0.99) > 2900 AS unclipped_keyed,
       count(*) FILTER (WHERE abs(vgm_alpha(m, x, i)) < 0.99
                        AND abs(vgm_denormalize(m, vgm_component(m, x, i), vgm_alpha(m, x, i)) - x)
                            > 1e-12 * abs(x)) AS keyed_round_trip_errors
FROM tx_models, tx_data WHERE name = 'fit';

-- alpha is clipped to [-0.99, 0.99]
SELECT min(vgm_alpha(m, x)) >= -0.99 AND max(vgm_alpha(m, x)) <= 0.99 AS clipped,
       min(vgm_alpha(m, 1e6)) AS far_right, max(vgm_alpha(m, -1e6)) AS far_left
FROM tx_models, tx_data WHERE name = 'fit';

-- normalize and encode agree with component and alpha, keyed or not
SELECT count(*) FILTER (WHERE (vgm_normalize(m, x)).component <> vgm_component(m, x)
                           OR (vgm_normalize(m, x)).alpha <> vgm_alpha(m, x)) AS normalize_mismatch,
       count(*) FILTER (WHERE (vgm_normalize(m, x, i)).component <> vgm_component(m, x, i)
                           OR (vgm_normalize(m, x, i)).alpha <> vgm_alpha(m, x, i)) AS keyed_mismatch
FROM tx_models, tx_data WHERE name = 'fit';
SELECT count(*) FILTER (WHERE n.component <> vgm_component(m, x) OR n.alpha <> vgm_alpha(m, x)) AS lateral_mismatch
FROM tx_models, tx_data, LATERAL vgm_normalize(m, x) n WHERE name = 'fit';
-- encode: [alpha, one-hot over the valid components]
SELECT count(*) FILTER (WHERE array_length(e, 1) <> 1 + array_length(vgm_valid_components(m), 1)) AS bad_length,
       count(*) FILTER (WHERE e[1] <> vgm_alpha(m, x)) AS bad_alpha,
       count(*) FILTER (WHERE e[2 + vgm_component(m, x)] <> 1) AS bad_hot,
       count(*) FILTER (WHERE (SELECT sum(v) FROM unnest(e[2:]) v) <> 1) AS bad_one_hot_sum,
       count(*) FILTER (WHERE (vgm_encode(m, x, i))[2 + vgm_component(m, x, i)] <> 1) AS bad_keyed_hot
FROM tx_models, tx_data, LATERAL (SELECT vgm_encode(m, x) AS e) s WHERE name = 'fit';

-- keyed draws: same inputs, same draw; mostly the most probable component here
SELECT count(*) FILTER (WHERE vgm_component(m, x, i) <> vgm_component(m, x, i)) AS unstable,
       count(*) FILTER (WHERE vgm_component(m, x, i) = vgm_component(m, x)) > 2900 AS mostly_argmax
FROM tx_models, tx_data WHERE name = 'fit';
-- at x = 3.6 both valid components of the hand model are likely (the invalid
-- one takes 8% of predict_proba): each is drawn with RDT's probability
-- (P + 1e-6) / sum over valid (P + 1e-6), within 4 binomial standard errors
SELECT d.component, abs(d.n - 1000 * p.p) < 4 * sqrt(1000 * p.p * (1 - p.p)) AS as_expected
FROM (SELECT vgm_component(m, 3.6, k) AS component, count(*) AS n
      FROM tx_models, generate_series(1, 1000) k WHERE name = 'hand' GROUP BY 1) d,
     (SELECT v - 1 AS component,
             ((vgm_predict_proba(m, 3.6))[i] + 1e-6)
             / ((vgm_predict_proba(m, 3.6))[1] + (vgm_predict_proba(m, 3.6))[3] + 2e-6) AS p
      FROM tx_models, unnest(ARRAY[1, 3]) WITH ORDINALITY u(i, v) WHERE name = 'hand') p
WHERE d.component = p.component ORDER BY 1;

-- the model may change from row to row, even at the same address: a model
-- made per row lives in per-tuple memory, reused at the same address, and
-- hand and hand2 have the same size
SELECT count(*) FILTER (WHERE a IS DISTINCT FROM b) AS per_row_model_mismatch,
       count(DISTINCT a) > 2000 AS varied
FROM (SELECT vgm_alpha(CASE WHEN d.i % 2 = 0 THEN f.m ELSE h.m END::text::vgm_model, d.x / 10) AS a,
             CASE WHEN d.i % 2 = 0 THEN vgm_alpha(f.m, d.x / 10) ELSE vgm_alpha(h.m, d.x / 10) END AS b
      FROM tx_data d, tx_models f, tx_models h WHERE f.name = 'hand2' AND h.name = 'hand') s;
SELECT count(*) FILTER (WHERE a IS DISTINCT FROM b) AS join_model_mismatch
FROM (SELECT vgm_component(t.m, d.x) AS a,
             CASE t.name WHEN 'fit' THEN vgm_component(f.m, d.x) ELSE vgm_component(h.m, d.x) END AS b
      FROM tx_data d, tx_models t, tx_models f, tx_models h
      WHERE t.name IN ('fit', 'hand') AND f.name = 'fit' AND h.name = 'hand') s;

-- large models are stored compressed or out of line (TOAST): rows alternating
-- between two of them must each get their own model
CREATE TABLE tx_big (name int, m vgm_model);
ALTER TABLE tx_big ALTER COLUMN m SET STORAGE external;
INSERT INTO tx_big
SELECT g, vgm_fit(array_agg(x ORDER BY i), max_components => 40, seed => g)
FROM tx_data, generate_series(1, 2) g WHERE i % 2 = g - 1 GROUP BY g;
CREATE TABLE tx_bigz AS SELECT * FROM tx_big;
SELECT pg_column_compression(m) IS NOT NULL AS compressed, count(*) FROM tx_bigz GROUP BY 1;
-- each row against the model of its own statement, for the models stored
-- out of line (tx_big) and compressed (tx_bigz)
SELECT b.storage, count(*) FILTER (WHERE vgm_alpha(b.m, d.x) IS DISTINCT FROM
                                   CASE b.name WHEN 1 THEN vgm_alpha(b1.m, d.x) ELSE vgm_alpha(b2.m, d.x) END)
         AS model_mismatch,
       count(*) AS n
FROM tx_data d
     JOIN (SELECT 'external' AS storage, * FROM tx_big
           UNION ALL SELECT 'compressed', * FROM tx_bigz) b ON b.name = 1 + d.i % 2,
     tx_big b1, tx_big b2
WHERE b1.name = 1 AND b2.name = 2
GROUP BY b.storage ORDER BY b.storage DESC;

-- predictions over all components
SELECT bool_and(vgm_predict(m, x) BETWEEN 0 AND vgm_n_components(m) - 1) AS predict_in_range,
       bool_and(array_length(vgm_predict_proba(m, x), 1) = vgm_n_components(m)) AS proba_length,
       bool_and(abs((SELECT sum(p) FROM unnest(vgm_predict_proba(m, x)) p) - 1) < 1e-12) AS proba_sums_to_1,
       bool_and((vgm_predict_proba(m, x))[vgm_predict(m, x) + 1]
                = (SELECT max(p) FROM unnest(vgm_predict_proba(m, x)) p)) AS predict_is_argmax,
       bool_and(vgm_score(m, x) < 0 AND vgm_log_density(m, x) < 0) AS log_densities,
       bool_and(vgm_cdf(m, x) > 0 AND vgm_cdf(m, x) < 1) AS cdf_in_range
FROM tx_models, tx_data WHERE name = 'fit';
SELECT bool_and(vgm_cdf(m, x) <= vgm_cdf(m, x + 0.01)) AS cdf_monotone,
       min(vgm_cdf(m, -1e6)) AS cdf_far_left, max(vgm_cdf(m, 1e6)) AS cdf_far_right
FROM tx_models, generate_series(-100, 200) x WHERE name = 'fit';
-- far out every log probability overflows: the widest component takes it all
SELECT vgm_cdf(m, 1e300) AS cdf_top, vgm_score(m, 1e300) AS score_far,
       vgm_log_density(m, -1e300) AS density_far, vgm_predict_proba(m, 1e300) AS proba_far
FROM tx_models WHERE name = 'hand';

-- NaN and infinities have no component: every x-taking function returns NULL
SELECT x, vgm_component(m, x) IS NULL AS c, vgm_component(m, x, 1) IS NULL AS ck,
       vgm_alpha(m, x) IS NULL AS a, vgm_alpha(m, x, 1) IS NULL AS ak,
       vgm_normalize(m, x) IS NULL AS n, vgm_normalize(m, x, 1) IS NULL AS nk,
       vgm_encode(m, x) IS NULL AS e, vgm_encode(m, x, 1) IS NULL AS ek,
       vgm_predict(m, x) IS NULL AS p, vgm_predict_proba(m, x) IS NULL AS pp,
       vgm_score(m, x) IS NULL AS s, vgm_log_density(m, x) IS NULL AS ld, vgm_cdf(m, x) IS NULL AS cdf
FROM tx_models, unnest(ARRAY['NaN', 'Infinity', '-Infinity']::float8[]) x WHERE name = 'fit';
SELECT count(*) AS lateral_rows FROM tx_models, LATERAL vgm_normalize(m, 'NaN') n WHERE name = 'fit';
-- and NULL arguments give NULL (STRICT)
SELECT vgm_alpha(m, NULL) IS NULL AS a, vgm_alpha(m, 1, NULL) IS NULL AS ak,
       vgm_denormalize(m, NULL, 0) IS NULL AS d
FROM tx_models WHERE name = 'hand';

-- sampling: deterministic for a seed, value per call (LIMIT), n = 0 is empty
SELECT count(*) AS n FROM tx_models, vgm_sample(m, 1000, 1) WHERE name = 'fit';
SELECT (SELECT array_agg(s) FROM tx_models, vgm_sample(m, 100, 7) s WHERE name = 'fit')
     = (SELECT array_agg(s) FROM tx_models, vgm_sample(m, 100, 7) s WHERE name = 'fit') AS deterministic,
       (SELECT array_agg(s) FROM tx_models, vgm_sample(m, 100, 7) s WHERE name = 'fit')
     <> (SELECT array_agg(s) FROM tx_models, vgm_sample(m, 100, 8) s WHERE name = 'fit') AS seed_matters,
       (SELECT array_agg(s) FROM (SELECT s FROM tx_models, vgm_sample(m, 100, 7) s WHERE name = 'fit' LIMIT 10) l)
     = (SELECT array_agg(s) FROM tx_models, vgm_sample(m, 10, 7) s WHERE name = 'fit') AS prefix_stable;
SELECT count(*) AS empty FROM tx_models, vgm_sample(m, 0, 1) WHERE name = 'fit';
-- value per call: in the select list LIMIT stops the scan early; in FROM the
-- executor materializes the whole set, and cancellation still works
SELECT count(*) AS limited FROM (SELECT vgm_sample(m, 9223372036854775807, 1)
                                 FROM tx_models WHERE name = 'fit' LIMIT 5) l;
SET statement_timeout = '50ms';
SELECT count(*) FROM tx_models, vgm_sample(m, 9223372036854775807, 1) WHERE name = 'fit';
RESET statement_timeout;
SELECT count(*) FILTER (WHERE s BETWEEN 0 AND 120) AS in_range FROM tx_models, vgm_sample(m, 10000, 3) s
WHERE name = 'fit';

-- vgm_decode inverts vgm_encode: exact where alpha was not clipped
SELECT count(*) AS rows,
       bool_and(vgm_decode(m, vgm_encode(m, x)) = vgm_denormalize(m, vgm_component(m, x), vgm_alpha(m, x)))
           AS decode_equals_denormalize,
       max(abs(vgm_decode(m, vgm_encode(m, x)) - x) / abs(x)) FILTER (WHERE abs(vgm_alpha(m, x)) < 0.99) < 1e-14
           AS round_trip_within_1e_14,
       bool_and(vgm_decode(m, vgm_encode(m, x, i)) = vgm_denormalize(m, vgm_component(m, x, i), vgm_alpha(m, x, i)))
           AS keyed_round_trip
FROM tx_models, tx_data WHERE name = 'fit';
-- a generator's block is softmax scores, not one-hot: the argmax decides,
-- the first of equal maxima wins; clamp as in vgm_denormalize
SELECT vgm_decode(m, ARRAY[0.5, 0.2, 0.7]) = vgm_denormalize(m, 1, 0.5) AS softmax_argmax,
       vgm_decode(m, ARRAY[-0.25, 0.4, 0.4]) = vgm_denormalize(m, 0, -0.25) AS first_of_ties,
       vgm_decode(m, ARRAY[3, -2.5, 7.1]) = vgm_denormalize(m, 1, 1) AS logits_and_alpha_clipped,
       vgm_decode(m, ARRAY[1, 0, 1], true) = 16 AS clamped_to_training_max,
       -- a slice of a row with a NULL elsewhere (a NULL bitmap, no NULL inside)
       vgm_decode(m, (ARRAY[0.5, 0.2, 0.7, NULL]::float8[])[1:3]) = vgm_denormalize(m, 1, 0.5) AS slice_beside_null
FROM tx_models WHERE name = 'hand';
\set VERBOSITY default
SELECT vgm_decode(m, ARRAY[0.5, 1]) FROM tx_models WHERE name = 'hand';
SELECT vgm_decode(m, ARRAY[0.5, 1, NULL]) FROM tx_models WHERE name = 'hand';
SELECT vgm_decode(m, ARRAY[[0.5, 1, 0]]) FROM tx_models WHERE name = 'hand';
SELECT vgm_decode(m, ARRAY[0.5, 'NaN', 0]) FROM tx_models WHERE name = 'hand';
SELECT vgm_decode(m, ARRAY['Infinity', 1, 0]::float8[]) FROM tx_models WHERE name = 'hand';
SELECT vgm_decode(m, ARRAY[0.5]) FROM tx_models WHERE name = 'none';

-- errors
SELECT vgm_denormalize(m, 2, 0) FROM tx_models WHERE name = 'hand';
SELECT vgm_denormalize(m, -1, 0) FROM tx_models WHERE name = 'hand';
SELECT vgm_denormalize(m, 0, 'NaN') FROM tx_models WHERE name = 'hand';
SELECT vgm_denormalize(m, 0, '-Infinity') FROM tx_models WHERE name = 'hand';
SELECT vgm_sample(m, -1, 1) FROM tx_models WHERE name = 'hand';
SELECT vgm_component(m, 1) FROM tx_models WHERE name = 'none';
SELECT vgm_denormalize(m, 0, 0) FROM tx_models WHERE name = 'none';
-- a model without valid components still predicts
SELECT vgm_predict(m, 9) AS predict FROM tx_models WHERE name = 'none';

DROP TABLE tx_data, tx_models, tx_big, tx_bigz;
