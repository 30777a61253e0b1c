-- vgm_model: the fitted model type, its text/binary forms, accessors and the array fit
SET extra_float_digits = 0;

-- two clusters (around 0 and 10) and a point mass at 5
CREATE TABLE model_data AS
SELECT array_agg(CASE WHEN i % 5 = 0 THEN 5.0
                      WHEN i % 2 = 0 THEN 0.5 * sin(i * 1.7)
                      ELSE 10 + 0.5 * cos(i * 0.9) END ORDER BY i)::float8[] AS xs
FROM generate_series(1, 2000) i;
CREATE TABLE models AS SELECT vgm_fit(xs, max_components => 5) AS m FROM model_data;

-- the fit finds the three modes; components are ordered heaviest first
SELECT component, index, round(weight::numeric, 3) AS weight, round(mean::numeric, 2) AS mean,
       round(stddev::numeric, 2) AS stddev, valid
FROM models, vgm_components(m) ORDER BY index;
SELECT vgm_n_components(m), array_length(vgm_weights(m), 1) AS n_weights,
       abs((SELECT sum(w) FROM unnest(vgm_weights(m)) w) - 1) < 1e-12 AS weights_sum_to_one,
       vgm_valid_components(m)
FROM models;
SELECT n_components, n_valid, rows, total_weight, points, converged, iterations > 1 AS iterated,
       lower_bound_per_weight < 0 AS bound_negative, fit_ms >= 0 AS timed, min, max, nulls, nans, infinities
FROM models, vgm_diagnostics(m);

-- deterministic for a seed, and independent of the order of the data
SELECT (SELECT vgm_fit(xs, max_components => 5)::jsonb - 'fit' FROM model_data)
     = (SELECT m::jsonb - 'fit' FROM models) AS deterministic;
SELECT (SELECT vgm_fit(array_agg(x ORDER BY x DESC), max_components => 5)::jsonb - 'fit'
        FROM model_data, unnest(xs) x)
     = (SELECT m::jsonb - 'fit' FROM models) AS order_independent;

-- text I/O is lossless; the text form is JSON
SELECT m::text = m::text::vgm_model::text AS text_round_trip FROM models;
SELECT (m::jsonb) ->> 'version' AS version, (m::jsonb) ->> 'k' AS k,
       jsonb_typeof((m::jsonb) -> 'weights') AS weights FROM models;

-- binary COPY round trip is bit-exact
\copy models TO '/tmp/vgm_regress_model.bin' WITH (FORMAT binary)
CREATE TABLE models_restored (m vgm_model);
\copy models_restored FROM '/tmp/vgm_regress_model.bin' WITH (FORMAT binary)
SELECT (SELECT m::text FROM models) = (SELECT m::text FROM models_restored) AS binary_round_trip;

-- NULL elements and non-finite values are skipped, counted and reported
SELECT rows, nulls, nans, infinities
FROM vgm_diagnostics(vgm_fit(ARRAY[1, 2, NULL, 'NaN', 'Infinity', '-Infinity', 3, 10, 11]::float8[]));
SELECT vgm_fit(ARRAY[NULL, 'NaN']::float8[]) IS NULL AS no_finite_data_is_null;
SELECT vgm_fit(NULL::float8[]) IS NULL AS null_array_is_null;

-- degenerate data gives a defined model, never NaN
SELECT n_valid, round(mean::numeric, 6) AS mean, stddev < 0.01 AS tight
FROM vgm_diagnostics(vgm_fit(ARRAY[7, 7, 7, 7]::float8[])),
     vgm_components(vgm_fit(ARRAY[7, 7, 7, 7]::float8[])) WHERE valid;
SELECT n_valid FROM vgm_diagnostics(vgm_fit(ARRAY[42]::float8[]));
SELECT count(*) FILTER (WHERE valid) AS valid, bool_and(mean = mean AND stddev = stddev) AS finite
FROM vgm_components(vgm_fit(ARRAY[1, 2, 3, 1, 2, 3]::float8[], max_components => 10));
SELECT round((mean - 1e9)::numeric, 3) AS offset_mean, round(stddev::numeric, 3) AS stddev
FROM vgm_components(vgm_fit(ARRAY(SELECT 1e9 + sin(i) FROM generate_series(1, 500) i), max_components => 1));

-- values whose squares overflow cannot be fitted: a clear error, not a NaN model
SELECT vgm_fit(ARRAY[1e300, -1e300, 5]::float8[]);

-- options are validated
SELECT vgm_fit(ARRAY[1, 2]::float8[], max_components => 0);
SELECT vgm_fit(ARRAY[1, 2]::float8[], max_components => 257);
SELECT vgm_fit(ARRAY[1, 2]::float8[], weight_concentration_prior => 0);
SELECT vgm_fit(ARRAY[1, 2]::float8[], weight_concentration_prior => 'Infinity');
SELECT vgm_fit(ARRAY[1, 2]::float8[], weight_threshold => -0.1);
SELECT vgm_fit(ARRAY[1, 2]::float8[], max_iter => 0);
SELECT vgm_fit(ARRAY[1, 2]::float8[], tol => 'NaN');
SELECT vgm_fit(ARRAY[1, 2]::float8[], max_components => NULL);
SELECT vgm_fit(ARRAY[[1, 2], [3, 4]]::float8[]);

-- malformed model text: each problem is named
SELECT 'not json'::vgm_model;
SELECT '{"version":1}'::vgm_model;
SELECT regexp_replace(m::text, '"version":1', '"version":3')::vgm_model FROM models;
SELECT regexp_replace(m::text, '"dims":1', '"dims":2')::vgm_model FROM models;
SELECT regexp_replace(m::text, '"k":5', '"k":0')::vgm_model FROM models;
SELECT regexp_replace(m::text, '"k":5', '"k":4')::vgm_model FROM models;
SELECT regexp_replace(m::text, '^\{', '{"extra":1,')::vgm_model FROM models;
SELECT regexp_replace(m::text, '^\{', '{"k":5,')::vgm_model FROM models;
SELECT regexp_replace(m::text, '"covariances":\[[^,]*', '"covariances":[-1')::vgm_model FROM models;
SELECT regexp_replace(m::text, '"weights":\[[^,]*', '"weights":[0.5')::vgm_model FROM models;
SELECT regexp_replace(m::text, '"means":\[[^,]*', '"means":[NaN')::vgm_model FROM models;
SELECT regexp_replace(m::text, '"means":\[[^,]*', '"means":[1e999')::vgm_model FROM models;
SELECT regexp_replace(m::text, '"converged":true', '"converged":1')::vgm_model FROM models;
SELECT (jsonb_set(m::jsonb, '{fit,fit_ms}', '0')::text::vgm_model::text || ' trailing')::vgm_model FROM models;  -- fit_ms fixed: the offset depends on the length
SELECT left(m::text, 100)::vgm_model FROM models;

-- a model written by hand: vgm_model_from_mixture fills the posterior as a fit
-- to `rows` rows would leave it, so the model is the mixture as written
CREATE TABLE hand_models AS
SELECT vgm_model_from_mixture(ARRAY[0.7, 0.3], ARRAY[0, 10], ARRAY[1, 2]) AS m;
SELECT vgm_weights(m) AS weights, vgm_means(m) AS means, vgm_stddevs(m) AS stddevs,
       (vgm_diagnostics(m)).min AS min, (vgm_diagnostics(m)).max AS max,
       (vgm_diagnostics(m)).rows AS rows
FROM hand_models;
-- responsibilities within 1e-5 of the plug-in ones (they differ like 1 / (rows w_k))
SELECT max(abs((vgm_predict_proba(m, x))[2]
               - (0.3 * exp(-0.5 * ((x - 10) / 2) ^ 2) / 2)
                 / (0.7 * exp(-0.5 * x ^ 2) + 0.3 * exp(-0.5 * ((x - 10) / 2) ^ 2) / 2))) < 1e-5
       AS plug_in_responsibilities
FROM hand_models, generate_series(-3, 15, 0.25) x;
-- the same with fewer rows is further from plug-in
SELECT max(abs((vgm_predict_proba(vgm_model_from_mixture(ARRAY[0.7, 0.3], ARRAY[0, 10], ARRAY[1, 2], rows => 50), x))[2]
               - (0.3 * exp(-0.5 * ((x - 10) / 2) ^ 2) / 2)
                 / (0.7 * exp(-0.5 * x ^ 2) + 0.3 * exp(-0.5 * ((x - 10) / 2) ^ 2) / 2))) > 1e-3
       AS fewer_rows_less_certain
FROM generate_series(-3, 15, 0.25) x;
SELECT round(avg(s)::numeric, 1) AS sample_mean, round(stddev(s)::numeric, 1) AS sample_sd
FROM hand_models, vgm_sample(m, 200000, 1) s;
SELECT vgm_alpha(m, 10.5) AS alpha, vgm_component(m, 10.5) AS component,
       vgm_denormalize(m, 1, 0.0625) AS x, m::text::vgm_model = m AS text_round_trip
FROM hand_models;
SELECT (vgm_diagnostics(vgm_model_from_mixture(ARRAY[1], ARRAY[5], ARRAY[1], min => 0, max => 9))).max AS given_max;
-- errors
SELECT vgm_model_from_mixture(ARRAY[0.7, 0.2], ARRAY[0, 10], ARRAY[1, 2]);
SELECT vgm_model_from_mixture(ARRAY[0.7, 0.3], ARRAY[0], ARRAY[1, 2]);
SELECT vgm_model_from_mixture(ARRAY[0.7, 0.3], ARRAY[0, 1], ARRAY[1, 0]);
SELECT vgm_model_from_mixture(ARRAY[1.3, -0.3], ARRAY[0, 1], ARRAY[1, 1]);
SELECT vgm_model_from_mixture(ARRAY[1], ARRAY[0], ARRAY[1], rows => 0);
SELECT vgm_model_from_mixture(ARRAY[1], ARRAY[0], ARRAY[1], rows => NULL);
SELECT vgm_model_from_mixture(ARRAY[1], ARRAY[0], ARRAY[1], min => 5, max => 1);
SELECT vgm_model_from_mixture(ARRAY[1], ARRAY[NULL]::float8[], ARRAY[1]);
SELECT vgm_model_from_mixture(ARRAY[1], ARRAY['NaN']::float8[], ARRAY[1]);
SELECT vgm_model_from_mixture(ARRAY[[1]], ARRAY[0], ARRAY[1]);
SELECT vgm_model_from_mixture('{}', '{}', '{}');
DROP TABLE hand_models;
