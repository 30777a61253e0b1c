-- vgm_joint_fit: a vgm_joint_model from a joint summary (with options) and
-- in one step (the aggregate), per group, in parallel plans (equal to the
-- serial fit within 1e-9), from a rollup of stored summaries, empty input,
-- and options checked before the scan.

\i test/fixtures/regress_helpers.sql

-- data (deterministic): two clusters in (amount, hour) plus a third column
-- correlated with the amount; an ordinary table, scanned in parallel below
CREATE TABLE jf_data AS
SELECT i AS id,
       CASE WHEN i % 3 = 0 THEN 200 + 30 * sin(i * 0.37) ELSE 20 + 5 * cos(i * 1.3) END AS amount,
       CASE WHEN i % 3 = 0 THEN 2 + 1.5 * sin(i * 0.11) ELSE 14 + 3 * cos(i * 0.07) END AS hour,
       CASE WHEN i % 3 = 0 THEN 200 + 30 * sin(i * 0.37) ELSE 20 + 5 * cos(i * 1.3) END * 0.5 + sin(i * 2.1) AS balance,
       i % 4 AS g
FROM generate_series(1, 120000) i;
ANALYZE jf_data;
-- for the checks whose subject is not the size or the grid (per-group and
-- one-step fits, the range): every seventh row, rounded to whole numbers.
-- A fit costs by its cells and starts, not its rows: the continuous columns
-- of jf_data fill a summary to its cap (16,384 cells, then a fit in two
-- levels), these take a few hundred.  Also an ordinary table, scanned in
-- parallel below.
CREATE TABLE jf_small AS
SELECT id, round(amount) AS amount, round(hour) AS hour, round(balance) AS balance, g
FROM jf_data WHERE id % 7 = 0;
ANALYZE jf_small;

-- a fit with three components: weights, means, and what it recorded
CREATE TABLE jf_model AS
SELECT vgm_joint_fit(vgm_joint_summarize(ARRAY[amount, hour]), max_components => 3) AS m FROM jf_data;
SELECT vgm_dims(m) AS dims, vgm_n_components(m) AS k,
       (SELECT array_agg(round(w::numeric, 3) ORDER BY w DESC) FROM unnest(vgm_weights(m)) w) AS weights,
       (vgm_diagnostics(m)).rows, (vgm_diagnostics(m)).points <= 16384 AS points_within_cap,
       (vgm_diagnostics(m)).converged
FROM jf_model;
-- the components: one at the first cluster (amount 200, hour 2), two share
-- the second (its amounts follow a cosine, which has two modes)
SELECT round((vgm_means(m))[c][1]::numeric, 1) AS amount, round((vgm_means(m))[c][2]::numeric, 1) AS hour
FROM jf_model, generate_series(1, 3) c
WHERE (vgm_weights(m))[c] > 0.1 ORDER BY 1;
-- the first cluster's component holds its rows: weight 1/3, its mean
-- within 0.01 (the prior pulls a posterior mean by about 1/rows)
WITH ref AS (SELECT avg(amount) AS a1, avg(hour) AS h1 FROM jf_data WHERE id % 3 = 0)
SELECT round((vgm_weights(m))[c]::numeric, 4) AS weight,
       abs((vgm_means(m))[c][1] - a1) < 0.01 AND abs((vgm_means(m))[c][2] - h1) < 0.01 AS at_cluster_mean
FROM jf_model, ref, generate_series(1, 3) c WHERE (vgm_means(m))[c][1] > 100;

-- the anomalies: the rows least likely under the model are those far from both clusters
SELECT round(vgm_log_density(m, ARRAY[20, 14]::float8[])::numeric, 2) > round(vgm_log_density(m, ARRAY[120, 8]::float8[])::numeric, 2) AS cluster_beats_gap
FROM jf_model;


-- options: n_init 1 and another seed give a model; reg_covar is recorded
SELECT (vgm_joint_fit(vgm_joint_summarize(ARRAY[amount, hour]), max_components => 2,
                      n_init => 1, seed => 7, reg_covar => 1e-3)::text::jsonb -> 'priors' ->> 'reg_covar')::float8 AS reg_covar
FROM jf_data;

-- per group (the serial models, kept for the parallel plans below)
CREATE TABLE jf_groups_serial AS
SELECT g, vgm_joint_fit(ARRAY[amount, hour]) AS m FROM jf_small GROUP BY g;
SELECT g, vgm_n_components(m) AS k, (vgm_diagnostics(m)).rows
FROM jf_groups_serial ORDER BY g;

-- the range of a column (format version 2 of the model): vgm_marginal
-- gives the one-dimensional functions the training min and max a
-- one-dimensional fit of that column records, so clamping, bounds and
-- the CDF table span the same values
SELECT (vgm_marginal(j, 1)::jsonb -> 'training' -> 'min') = (a::jsonb -> 'training' -> 'min') AS amount_min_equal,
       (vgm_marginal(j, 1)::jsonb -> 'training' -> 'max') = (a::jsonb -> 'training' -> 'max') AS amount_max_equal,
       (vgm_marginal(j, 2)::jsonb -> 'training' -> 'min') = (h::jsonb -> 'training' -> 'min') AS hour_min_equal,
       (vgm_marginal(j, 2)::jsonb -> 'training' -> 'max') = (h::jsonb -> 'training' -> 'max') AS hour_max_equal,
       j::jsonb -> 'version' AS model_version
FROM (SELECT vgm_joint_fit(ARRAY[amount, hour], 3) AS j, vgm_fit(amount) AS a, vgm_fit(hour) AS h FROM jf_small) q;

-- empty input: NULL with a NOTICE; only skipped rows: NULL as well
SELECT vgm_joint_fit(ARRAY[amount, hour]) FROM jf_data WHERE false;
SELECT vgm_joint_fit(vgm_joint_summarize(ARRAY[amount, NULL])) FROM jf_data WHERE id < 10;
SELECT vgm_joint_fit(NULL::vgm_joint_summary);

-- the empty-fit NOTICE comes once per statement, not once per group: 50
-- groups whose rows all hold a NULL give 50 NULL models and one NOTICE, in
-- the one-step and in the summary form; the next statement of the same
-- transaction gives its own NOTICE
BEGIN;
SELECT count(*) AS groups, count(m) AS models
FROM (SELECT id % 50 AS g, vgm_joint_fit(ARRAY[amount, NULL]) AS m
      FROM jf_data WHERE id <= 500 GROUP BY 1) q;
SELECT count(*) AS groups, count(m) AS models
FROM (SELECT id % 50 AS g, vgm_joint_fit(vgm_joint_summarize(ARRAY[NULL, hour]), max_components => 2) AS m
      FROM jf_data WHERE id <= 500 GROUP BY 1) q;
COMMIT;

-- options are checked while the query is planned: the scan never starts
SELECT vgm_joint_fit(vgm_joint_summarize(ARRAY[amount, 1 / (id - id)])) FROM jf_data
WHERE vgm_joint_fit(NULL::vgm_joint_summary, max_components => 65) IS NULL;
SELECT vgm_joint_fit(vgm_joint_summarize(ARRAY[amount, 1 / (id - id)]), tol => -1) FROM jf_data;
SELECT vgm_joint_fit(vgm_joint_summarize(ARRAY[amount, 1 / (id - id)]), reg_covar => 'NaN') FROM jf_data;
SELECT vgm_joint_fit(vgm_joint_summarize(ARRAY[amount, 1 / (id - id)]), n_init => 0) FROM jf_data;
SELECT vgm_joint_fit(vgm_joint_summarize(ARRAY[amount, 1 / (id - id)]), seed => NULL) FROM jf_data;

-------------------------------------------------------------------------------
-- parallel plans give the serial model within 1e-9
-------------------------------------------------------------------------------
-- jf_same(a, b): the same components, weights, means and covariances within 1e-9
CREATE FUNCTION jf_same(a vgm_joint_model, b vgm_joint_model) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT vgm_n_components(a) = vgm_n_components(b)
     AND (SELECT bool_and(abs(x - y) <= 1e-9 * greatest(abs(x), abs(y), 1e-3))
          FROM unnest(vgm_weights(a), vgm_weights(b)) u(x, y))
     AND (SELECT bool_and(abs(x - y) <= 1e-9 * greatest(abs(x), abs(y), 1e-3))
          FROM unnest(vgm_means(a), vgm_means(b)) u(x, y))
     AND (SELECT bool_and(abs(x - y) <= 1e-9 * greatest(abs(x), abs(y), 1e-3))
          FROM unnest(vgm_covariances(a), vgm_covariances(b)) u(x, y))
$$;
CREATE TABLE jf_serial AS
SELECT vgm_joint_fit(vgm_joint_summarize(ARRAY[amount, hour, balance]), max_components => 4) AS m FROM jf_data;
-- the one-step aggregate is the fit of the summary with the defaults
SELECT jf_same(vgm_joint_fit(ARRAY[amount, hour, balance]), vgm_joint_fit(vgm_joint_summarize(ARRAY[amount, hour, balance]))) AS one_step_same
FROM jf_small;
-- with a constant number of components (serial: that aggregate has no
-- combine function), the fit of the summary with that many
SELECT vgm_n_components(vgm_joint_fit(ARRAY[amount, hour], 3)) AS k,
       jf_same(vgm_joint_fit(ARRAY[amount, hour], 3), (SELECT m FROM jf_model)) AS same_as_summary_fit
FROM jf_data;
SELECT vgm_joint_fit(ARRAY[amount, hour], (id % 3)::int) FROM jf_data;
SELECT vgm_joint_fit(ARRAY[amount, hour], 0) FROM jf_data;
SELECT vgm_joint_fit(ARRAY[amount, hour], NULL) FROM jf_data;

SELECT pg_temp.force_parallel_plans();
SELECT pg_temp.plan_has('SELECT vgm_joint_fit(vgm_joint_summarize(ARRAY[amount, hour, balance]), max_components => 4) FROM jf_data', 'Partial Aggregate') AS partial_plan,
       pg_temp.plan_has('SELECT g, vgm_joint_fit(ARRAY[amount, hour]) FROM jf_small GROUP BY g', 'Partial') AS partial_group_plan;
SELECT jf_same(s.m, p.m) AS parallel_same
FROM jf_serial s, (SELECT vgm_joint_fit(vgm_joint_summarize(ARRAY[amount, hour, balance]), max_components => 4) AS m FROM jf_data) p;
SELECT count(*) AS groups, bool_and(jf_same(s.m, p.m)) AS groups_same
FROM jf_groups_serial s JOIN (SELECT g, vgm_joint_fit(ARRAY[amount, hour]) AS m FROM jf_small GROUP BY g) p USING (g);
SELECT pg_temp.reset_parallel_plans();

-- a fit of the rollup of stored per-group summaries is the fit of the whole
SELECT jf_same((SELECT m FROM jf_serial),
               (SELECT vgm_joint_fit(vgm_rollup(s), max_components => 4)
                FROM (SELECT g, vgm_joint_summarize(ARRAY[amount, hour, balance]) AS s FROM jf_data GROUP BY g) q)) AS rollup_same;
