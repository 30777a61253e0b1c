-- vgm_model with atoms (format version 2): point masses beside the mixture,
-- through the text and binary forms and every function that reads a model
SET extra_float_digits = 0;

-- a hand-written model: three mixture components (the second below the
-- weight threshold, so the valid ones are posterior 0 and 2) and two atoms,
-- 15 % of the rows at exactly 0 and 5 % at exactly 9.99
CREATE TABLE atom_models AS
SELECT 'atoms'::text AS name, '{"version":2,"dims":1,"k":3,
  "weights":[0.5,0.001,0.299],"means":[0,5,10],"covariances":[1,1,4],
  "mean_precision":[500,1,300],"degrees_of_freedom":[500,1,300],
  "weight_concentration_a":[501,2,300],"weight_concentration_b":[300,299,0.001],
  "atoms":[[0,0.15],[9.99,0.05]],
  "weight_threshold":0.005,
  "priors":{"weight_concentration":0.001,"mean_precision":1,"mean":4,"degrees_of_freedom":1,"covariance":25,"reg_covar":1e-06},
  "fit":{"max_iter":100,"tol":0.001,"seed":42,"iterations":10,"converged":true,"lower_bound":-1,"fit_ms":0},
  "training":{"rows":1000,"total_weight":1000,"min":-3,"max":16,"buckets":1000,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0}}'::vgm_model AS m;
-- the same mixture without its atoms (weights rescaled), for comparisons
INSERT INTO atom_models
SELECT 'plain', vgm_model_from_mixture(ARRAY[0.625, 0.00125, 0.37375], ARRAY[0, 5, 10], ARRAY[1, 1, 2]);

-- text: atoms written after the component arrays, version 2, exact round trip
SELECT m::jsonb->'version' AS version, m::jsonb->'atoms' AS atoms,
       m::text::vgm_model = m AS text_round_trip, m::text = m::text::vgm_model::text AS same_text
FROM atom_models WHERE name = 'atoms';
-- a model without atoms keeps version 1 and has no "atoms" field
SELECT m::jsonb->'version' AS version, m::jsonb ? 'atoms' AS has_atoms
FROM atom_models WHERE name = 'plain';
-- the parser takes the fields in any order (through jsonb)
SELECT (m::jsonb)::vgm_model = m AS jsonb_round_trip FROM atom_models WHERE name = 'atoms';

-- binary COPY round trip is bit-exact
CREATE TABLE atom_models_restored (name text, m vgm_model);
\copy atom_models TO '/tmp/vgm_regress_atoms.bin' WITH (FORMAT binary)
\copy atom_models_restored FROM '/tmp/vgm_regress_atoms.bin' WITH (FORMAT binary)
SELECT a.name, a.m = r.m AS equal, a.m::text = r.m::text AS same_text,
       vgm_model_send(a.m) = vgm_model_send(r.m) AS same_binary
FROM atom_models a JOIN atom_models_restored r USING (name) ORDER BY a.name;
-- the binary form: 184-byte header, 4 bytes of atom count, 56 per component, 16 per atom
SELECT name, length(vgm_model_send(m)) AS bytes FROM atom_models ORDER BY name;

-- equality and hashing see the atoms
SELECT count(DISTINCT m) AS distinct_models FROM atom_models;
SELECT (SELECT m FROM atom_models WHERE name = 'atoms')
     = replace((SELECT m::text FROM atom_models WHERE name = 'atoms'), '[9.99,0.05]', '[9.98,0.05]')::vgm_model
       AS equal_after_moving_an_atom;

-- accessors: atoms come after the k components, as components of zero spread
SELECT component, index, weight, mean, stddev, valid, atom
FROM atom_models, vgm_components(m) WHERE name = 'atoms' ORDER BY index;
SELECT vgm_n_components(m), vgm_weights(m), vgm_means(m), vgm_stddevs(m), vgm_valid_components(m)
FROM atom_models WHERE name = 'atoms';
SELECT n_components, n_valid FROM atom_models, vgm_diagnostics(m) WHERE name = 'atoms';

-- the transforms: a value equal to an atom gets the atom (valid components
-- 0 and 1, atoms 2 and 3) and alpha 0; any other value the mixture's
-- component; NaN and infinities have none
SELECT x, vgm_component(m, x) AS component, round(vgm_alpha(m, x)::numeric, 4) AS alpha,
       vgm_encode(m, x) AS encoded
FROM atom_models, unnest(ARRAY[-0.5, 0, 1e-9, 9.99, 9.990000001, 10, 'NaN']::float8[]) x
WHERE name = 'atoms' ORDER BY x;
SELECT (vgm_normalize(m, 9.99)).* FROM atom_models WHERE name = 'atoms';
-- a key does not draw for a value at an atom: every key gives the atom
SELECT count(DISTINCT vgm_component(m, 0.0, key)) AS components_at_atom,
       count(DISTINCT vgm_component(m, 0.3, key)) > 0 AS components_off_atom
FROM atom_models, generate_series(1, 200) key WHERE name = 'atoms';

-- denormalize and decode give an atom's value exactly, whatever alpha and clamp
SELECT vgm_denormalize(m, 2, 0.7) AS atom0, vgm_denormalize(m, 3, -0.5) AS atom1,
       vgm_denormalize(m, 3, 0, true) AS atom1_clamped,
       round(vgm_denormalize(m, 1, 0.25)::numeric, 4) AS component1,
       vgm_decode(m, ARRAY[0.3, 0.1, 0.2, 0.1, 0.6]) AS decoded_atom,
       round(vgm_decode(m, ARRAY[0.25, 0.1, 0.7, 0.1, 0.1])::numeric, 4) AS decoded_component
FROM atom_models WHERE name = 'atoms';
-- encode then decode reproduces every atom exactly
SELECT bool_and(vgm_decode(m, vgm_encode(m, x)) = x) AS atoms_round_trip
FROM atom_models, unnest(ARRAY[0, 9.99]::float8[]) x WHERE name = 'atoms';

-- predict: posterior indexes, atoms k + i; predict_proba has k + atoms entries
SELECT x, vgm_predict(m, x) AS predicted,
       (SELECT array_agg(round(p::numeric, 4)) FROM unnest(vgm_predict_proba(m, x)) p) AS proba
FROM atom_models, unnest(ARRAY[-0.5, 0, 9.99, 10]::float8[]) x WHERE name = 'atoms' ORDER BY x;

-- densities: at an atom the log of its weight (counting measure); elsewhere
-- the mixture's density, which is the plain model's times the mixture share 0.8
SELECT x, round(vgm_log_density(a.m, x)::numeric, 6) AS log_density,
       round(vgm_score(a.m, x)::numeric, 6) AS score,
       round((vgm_log_density(a.m, x) - vgm_log_density(p.m, x))::numeric, 6) AS minus_plain
FROM atom_models a, atom_models p, unnest(ARRAY[-0.5, 0, 3, 9.99]::float8[]) x
WHERE a.name = 'atoms' AND p.name = 'plain' ORDER BY x;
SELECT round(ln(0.15), 6) AS ln_w0, round(ln(0.05), 6) AS ln_w1, round(ln(0.8), 6) AS ln_share;

-- the CDF jumps by an atom's weight at the atom and is right-continuous
SELECT round(vgm_cdf(m, 0)::numeric, 6) - round(vgm_cdf(m, -1e-12)::numeric, 6) AS jump_at_0,
       round((vgm_cdf(m, 9.99) - vgm_cdf(m, 9.99 - 1e-9))::numeric, 6) AS jump_at_9_99,
       round(vgm_cdf(m, -1e6)::numeric, 6) AS left_end, round(vgm_cdf(m, 1e6)::numeric, 6) AS right_end
FROM atom_models WHERE name = 'atoms';

-- moments: the atoms are components of variance 0
SELECT round(mean::numeric, 6) AS mean, round(variance::numeric, 6) AS variance
FROM atom_models, vgm_model_moments(m) WHERE name = 'atoms';
SELECT round((0.5 * 0 + 0.001 * 5 + 0.299 * 10 + 0.15 * 0 + 0.05 * 9.99)::numeric, 6) AS expected_mean;

-- sampling draws the atoms exactly with their weights (200k draws: the
-- shares within 4 standard errors), and is deterministic for a seed
WITH d AS (SELECT x FROM atom_models, vgm_sample(m, 200000, 11) x WHERE name = 'atoms')
SELECT abs(avg((x = 0)::int) - 0.15) < 4 * sqrt(0.15 * 0.85 / 200000) AS share_at_0,
       abs(avg((x = 9.99)::int) - 0.05) < 4 * sqrt(0.05 * 0.95 / 200000) AS share_at_9_99,
       count(*) FILTER (WHERE x BETWEEN 9.98 AND 10 AND x <> 9.99) < 2000 AS no_smearing
FROM d;
SELECT (SELECT array_agg(x) FROM atom_models, vgm_sample(m, 50, 3) x WHERE name = 'atoms')
     = (SELECT array_agg(x) FROM atom_models, vgm_sample(m, 50, 3) x WHERE name = 'atoms') AS deterministic;

-- KS: draws of the model against the model pass (the jumps compared with
-- their left and right limits); the same values with the atoms shifted by
-- a cent fail
WITH d AS (SELECT x FROM atom_models, vgm_sample(m, 100000, 5) x WHERE name = 'atoms')
SELECT (vgm_ks(m, x)).statistic < 0.01 AS ks_small,
       (vgm_ks(m, x)).pvalue > 0.001 AS ks_passes,
       (vgm_ks(m, CASE WHEN x = 9.99 THEN 10.0 ELSE x END)).statistic > 0.02 AS shifted_atom_fails
FROM atom_models, d WHERE name = 'atoms' GROUP BY m;
-- the state records the jumps (version 2) and round-trips through text
WITH d AS (SELECT x FROM atom_models, vgm_sample(m, 1000, 5) x WHERE name = 'atoms'),
     s AS (SELECT vgm_ks_state(m, x) AS s FROM atom_models, d WHERE name = 'atoms' GROUP BY m)
SELECT s::text::jsonb->'version' AS version, jsonb_array_length(s::text::jsonb->'jumps') AS jumps,
       s::text::vgm_ks_state::text = s::text AS text_round_trip,
       round(((vgm_ks(s::text::vgm_ks_state)).statistic - (vgm_ks(s)).statistic)::numeric, 12) AS same_d
FROM s;
-- the effects: the spikes the atoms explain are not counted; a spike the
-- model has no atom for is
WITH d AS (SELECT i, x FROM atom_models, vgm_sample(m, 100000, 5) WITH ORDINALITY s(x, i) WHERE name = 'atoms')
SELECT 'model draws' AS data, round(atom_share::numeric, 3) AS unexplained_share, excess < 0.01 AS small_excess
FROM (SELECT (vgm_ks_effects(m, vgm_ks_state(m, x), 0.01)).* FROM atom_models, d
      WHERE name = 'atoms' GROUP BY m) t
UNION ALL
SELECT 'every tenth row at 5', round(atom_share::numeric, 3), excess < 0.01
FROM (SELECT (vgm_ks_effects(m, vgm_ks_state(m, CASE WHEN i % 10 = 0 THEN 5.0 ELSE x END), 0.01)).*
      FROM atom_models, d WHERE name = 'atoms' GROUP BY m) t;

-- bounds: a value at an atom is never clipped
SELECT (vgm_bounds(m, x)).* FROM atom_models, unnest(ARRAY[0, 0, 9.99, 3, 40]::float8[]) x
WHERE name = 'atoms' GROUP BY m;

-- the one-hot width of a whole table grows by the atom count
CREATE TABLE atom_table_models (column_name name, model vgm_model);
INSERT INTO atom_table_models SELECT name, m FROM atom_models;
SELECT column_name, first, width, components FROM vgm_layout('atom_table_models') ORDER BY 1;

-- bad atoms are refused with a reason
SELECT replace(m::text, '"atoms":[[0,0.15],[9.99,0.05]]', '"atoms":[[9.99,0.05],[0,0.15]]')::vgm_model
FROM atom_models WHERE name = 'atoms';
SELECT replace(m::text, '[9.99,0.05]', '[9.99,0.06]')::vgm_model FROM atom_models WHERE name = 'atoms';
SELECT replace(m::text, '[9.99,0.05]', '[9.99,0]')::vgm_model FROM atom_models WHERE name = 'atoms';
SELECT replace(m::text, '"atoms":[[0,0.15],[9.99,0.05]],', '')::vgm_model FROM atom_models WHERE name = 'atoms';
SELECT replace(m::text, '"version":2', '"version":1')::vgm_model FROM atom_models WHERE name = 'atoms';
SELECT replace(m::text, '[9.99,0.05]', '[9.99,0.05,1]')::vgm_model FROM atom_models WHERE name = 'atoms';
SELECT vgm_denormalize(m, 4, 0) FROM atom_models WHERE name = 'atoms';
SELECT vgm_decode(m, ARRAY[0, 1, 0]) FROM atom_models WHERE name = 'atoms';

-- vgm_model_from_mixture with atoms: the mixture weights and the atom
-- weights together sum to 1, the atoms follow the mixture's valid components
CREATE TABLE hand_atoms AS
SELECT vgm_model_from_mixture(ARRAY[0.5, 0.3], ARRAY[0, 10], ARRAY[1, 2], rows => 1000,
                              atom_values => ARRAY[0, 9.99], atom_weights => ARRAY[0.15, 0.05]) AS m;
SELECT m::jsonb->'version' AS version, m::jsonb->'atoms' AS atoms, vgm_n_components(m) AS k,
       (vgm_diagnostics(m)).rows AS rows, (vgm_diagnostics(m)).min AS min, (vgm_diagnostics(m)).max AS max,
       m::text::vgm_model = m AS text_round_trip
FROM hand_atoms;
SELECT index, atom, round(mean::numeric, 4) AS mean, round(weight::numeric, 4) AS weight
FROM hand_atoms, vgm_components(m) ORDER BY index;
SELECT round((vgm_cdf(m, 9.99) - vgm_cdf(m, 9.99 - 1e-9))::numeric, 6) AS jump_at_9_99,
       vgm_component(m, 9.99) AS component_9_99, vgm_alpha(m, 9.99) AS alpha_9_99,
       vgm_component(m, 0) AS component_0,
       round(vgm_log_density(m, 0)::numeric, 6) = round(ln(0.15)::numeric, 6) AS density_at_atom_is_ln_w
FROM hand_atoms;
-- atoms draw exactly: the share of draws at 9.99 is near its weight
SELECT round(avg((x = 9.99)::int)::numeric, 2) AS share_9_99
FROM hand_atoms, vgm_sample(m, 20000, 7) x;
-- empty atom arrays: the model without atoms, bit for bit
SELECT vgm_model_from_mixture(ARRAY[0.7, 0.3], ARRAY[0, 10], ARRAY[1, 2], atom_values => '{}', atom_weights => '{}')
     = vgm_model_from_mixture(ARRAY[0.7, 0.3], ARRAY[0, 10], ARRAY[1, 2]) AS same_as_without;
-- bad atom arguments, checked as the text form checks its "atoms"
SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[5]);
SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[5, 6], atom_weights => ARRAY[0.2]);
SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[5], atom_weights => ARRAY[0.1]);
SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[6, 5], atom_weights => ARRAY[0.1, 0.1]);
SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[5, 5], atom_weights => ARRAY[0.1, 0.1]);
SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[5, 6], atom_weights => ARRAY[0.3, -0.1]);
SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY['Infinity']::float8[], atom_weights => ARRAY[0.2]);
SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[NULL]::float8[], atom_weights => ARRAY[0.2]);
SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[[5]], atom_weights => ARRAY[0.2]);
SELECT vgm_model_from_mixture(ARRAY[0.83], ARRAY[0], ARRAY[1], atom_values => (SELECT array_agg(g::float8) FROM generate_series(1, 17) g),
                              atom_weights => array_fill(0.01::float8, ARRAY[17]));
SELECT vgm_model_from_mixture(ARRAY[0.004], ARRAY[0], ARRAY[1], atom_values => ARRAY[5], atom_weights => ARRAY[0.996]);
SELECT vgm_model_from_mixture(ARRAY[0], ARRAY[0], ARRAY[1], atom_values => ARRAY[5], atom_weights => ARRAY[1]);
DROP TABLE hand_atoms;

-- end to end (the target): a 1M-row heaped money column, 9 % at
-- 9.99, 6 % at 100.00 and log-normal amounts in cents elsewhere, fitted
-- with and without atoms.  With atoms: KS D of the model against its own
-- data <= 0.01, the rows at an atom round-trip exactly, and the model's
-- synthetic draws are within two-sample KS D <= 0.01 of the data.
SELECT setseed(0.13);
CREATE TABLE heaped AS
SELECT i AS id, CASE WHEN u < 0.09 THEN 9.99
                     WHEN u < 0.15 THEN 100.00
                     ELSE round(exp(3 + 1.1 * sqrt(-2 * ln(random())) * cos(2 * pi() * random()))::numeric, 2)::float8 END AS amount
FROM (SELECT i, random() AS u FROM generate_series(1, 1000000) i) s;
CREATE TABLE heaped_models AS
SELECT 'plain' AS kind, vgm_fit(amount) AS m FROM heaped
UNION ALL SELECT 'atoms', vgm_fit(amount, true) FROM heaped;
SELECT kind, (SELECT string_agg(mean || ' at ' || round(weight::numeric, 2), ', ') FROM vgm_components(m) WHERE atom) AS atoms
FROM heaped_models ORDER BY kind;
SELECT kind, (vgm_ks(m, amount)).statistic <= 0.01 AS ks_within_0_01,
       (vgm_ks(m, amount)).statistic > 0.04 AS ks_above_the_spike_floor
FROM heaped_models, heaped GROUP BY kind, m ORDER BY kind;
SELECT count(*) AS rows_at_atoms,
       count(*) FILTER (WHERE vgm_denormalize(m, vgm_component(m, amount), vgm_alpha(m, amount)) = amount) AS exact
FROM heaped_models, heaped WHERE kind = 'atoms' AND amount IN (9.99, 100.00);
SELECT kind, (vgm_ks_2samp(a, b)).statistic <= 0.01 AS synthetic_ks_within_0_01
FROM (SELECT kind, (SELECT vgm_ks_state(m, amount) FROM heaped) AS a,
             (SELECT vgm_ks_state(m, x) FROM vgm_sample(m, 1000000, 42) x) AS b FROM heaped_models) t
ORDER BY kind;
