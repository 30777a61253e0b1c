-- vgm_joint_summary: the one-pass summary of rows of several columns.
-- Text form, round trips, skipped rows, exact global moments against
-- PostgreSQL's own avg/covar_pop, the cap, parallel plans equal to serial
-- ones, rollups of stored summaries, and a hash GROUP BY that spills.

\i test/fixtures/regress_helpers.sql

-- data (deterministic): a skewed amount, an hour of the day, a column
-- correlated with the amount, a heaped rate with NULLs; ordinary tables,
-- since temporary ones are never scanned in parallel
CREATE TABLE js_data AS
SELECT i AS id,
       exp(3 + sin(i * 0.37) + 0.5 * cos(i * 1.7)) AS amount,
       ((i * 7) % 24 + 0.5 + 0.4 * sin(i * 0.11))::float8 AS hour,
       (0.3 * exp(3 + sin(i * 0.37)) + 5 * cos(i * 0.05))::float8 AS balance,
       CASE WHEN i % 1000 = 0 THEN NULL ELSE round((2 + sin(i * 0.013))::numeric, 1)::float8 END AS rate,
       i % 2000 AS g
FROM generate_series(1, 200000) i;
ANALYZE js_data;

-- the text form of a small summary: keys, weight, means, scatter
SELECT vgm_joint_summarize(ARRAY[x, 2 * x + 1]) FROM generate_series(1, 3) x;
SELECT vgm_joint_summarize(ARRAY[x, 2 * x + 1]) FROM generate_series(1, 3) x WHERE false;

-- a NULL array or a NULL element skips the row and counts it
SELECT (vgm_joint_summary_info(s)).*
FROM (SELECT vgm_joint_summarize(CASE WHEN x = 2 THEN NULL
                                      WHEN x = 3 THEN ARRAY[x, NULL]
                                      ELSE ARRAY[x, x] END) AS s
      FROM generate_series(1, 5) x) q;
-- only NULL arrays: no columns known yet
SELECT (vgm_joint_summary_info(vgm_joint_summarize(NULL::float8[]))).* FROM generate_series(1, 2);

-- round trips: text, jsonb
CREATE TABLE js_stored AS
SELECT vgm_joint_summarize(ARRAY[amount, hour, balance, rate]) AS s FROM js_data;
SELECT s::text::vgm_joint_summary::text = s::text AS text_round_trip,
       s::jsonb::vgm_joint_summary::text = s::text AS jsonb_round_trip,
       (s::jsonb -> 'rows')::bigint AS rows_in_json
FROM js_stored;

-- what the cap leaves: every row but the NULL rates, at most 16,384 cells
-- (the cap of 4 columns); the exact columns by number
-- (the stored bytes: the head, 152 per cell, a count per column, 8 per
-- exact value and 16 per column for its range)
SELECT rows, skipped_rows, columns, cells <= 16384 AS within_cap, cells > 1000 AS fine_enough,
       shift BETWEEN 40 AND 60 AS shift_plausible,
       bytes = 40 + cells * (8 * 4 + 8 * 15) + 8 * 4 + 16 * 4
               + 8 * (SELECT coalesce(sum(jsonb_array_length(e)), 0)
                      FROM jsonb_array_elements(s::jsonb -> 'exact_values') e
                      WHERE jsonb_typeof(e) = 'array') AS bytes_add_up,
       exact_columns
FROM js_stored, vgm_joint_summary_info(s);

-- each column's range (format version 3): min() and max() of the rows the
-- summary took (the rows without a NULL); a rollup with a summary of
-- version 2 (which knew no range) knows none and is written in version 2
SELECT j -> 'version' AS version, j -> 'min' = to_jsonb(ref.lo) AS min_exact, j -> 'max' = to_jsonb(ref.hi) AS max_exact
FROM (SELECT s::jsonb AS j FROM js_stored) q,
     (SELECT ARRAY[min(amount), min(hour), min(balance), min(rate)] AS lo,
             ARRAY[max(amount), max(hour), max(balance), max(rate)] AS hi
      FROM js_data WHERE rate IS NOT NULL) ref;
WITH small AS (SELECT vgm_joint_summarize(ARRAY[i, i % 7]) AS s FROM generate_series(1, 200) i)
SELECT r::jsonb -> 'version' AS version, r::jsonb ? 'min' AS has_min,
       vgm_joint_fit(r, max_components => 2)::jsonb -> 'version' AS model_version,
       vgm_joint_fit(r, max_components => 2)::jsonb -> 'training' ? 'min' AS model_has_min
FROM (SELECT vgm_rollup(x) AS r
      FROM small, LATERAL (VALUES (s), (regexp_replace(regexp_replace(s::text, '"version":3', '"version":2'),
                                                       ',"min":\[[^]]*\],"max":\[[^]]*\]', '')::vgm_joint_summary)) v(x)) q;

-- per-column resolution: the rate (21 values) stays exact, the continuous
-- columns do not; it keeps as many values as the data has distinct rates
SELECT array_agg(jsonb_typeof(e) = 'array' ORDER BY i) AS exact_columns,
       jsonb_array_length(s::jsonb -> 'exact_values' -> 3) AS rate_values,
       (SELECT count(DISTINCT rate) FROM js_data) AS distinct_rates
FROM js_stored, jsonb_array_elements(s::jsonb -> 'exact_values') WITH ORDINALITY AS t(e, i)
GROUP BY s::jsonb;

-- exact global moments: the summary against avg and covar_pop, within 1e-10
-- of the scale (a standard deviation; the product of two for a covariance)
WITH m AS (SELECT (vgm_joint_summary_moments(s)).* FROM js_stored),
ref AS (
  SELECT ARRAY[avg(amount), avg(hour), avg(balance), avg(rate)] AS mean,
         ARRAY[[covar_pop(amount, amount), covar_pop(amount, hour), covar_pop(amount, balance), covar_pop(amount, rate)],
               [covar_pop(hour, amount), covar_pop(hour, hour), covar_pop(hour, balance), covar_pop(hour, rate)],
               [covar_pop(balance, amount), covar_pop(balance, hour), covar_pop(balance, balance), covar_pop(balance, rate)],
               [covar_pop(rate, amount), covar_pop(rate, hour), covar_pop(rate, balance), covar_pop(rate, rate)]] AS cov
  FROM js_data WHERE rate IS NOT NULL)
SELECT m.rows,
       bool_and(abs(m.mean[i] - ref.mean[i]) <= 1e-10 * sqrt(ref.cov[i][i])) AS means_exact,
       bool_and(abs(m.covariance[i][j] - ref.cov[i][j]) <= 1e-10 * sqrt(ref.cov[i][i] * ref.cov[j][j])) AS covariances_exact
FROM m, ref, generate_series(1, 4) i, generate_series(1, 4) j
GROUP BY m.rows;

-- joint_same(a, b): the same cells (keys and weights exactly), means within
-- 1e-9 relative, scatter within 1e-9 of the cell's largest scatter entry
-- plus the rounding the cell's mean brings (1e-15 weight mean^2)
CREATE FUNCTION joint_same(a vgm_joint_summary, b vgm_joint_summary) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  WITH ca AS (SELECT n, c FROM jsonb_array_elements(a::jsonb -> 'cells') WITH ORDINALITY t(c, n)),
       cb AS (SELECT n, c FROM jsonb_array_elements(b::jsonb -> 'cells') WITH ORDINALITY t(c, n)),
       pairs AS (SELECT ca.c AS x, cb.c AS y FROM ca FULL JOIN cb USING (n))
  SELECT (a::jsonb - 'cells') = (b::jsonb - 'cells')
     AND coalesce(bool_and(
           x IS NOT NULL AND y IS NOT NULL
           AND x -> 0 = y -> 0 AND x -> 1 = y -> 1
           AND (SELECT bool_and(abs((x -> 2 ->> i)::float8 - (y -> 2 ->> i)::float8)
                                <= 1e-9 * (1e-300 + abs((x -> 2 ->> i)::float8)))
                FROM generate_series(0, jsonb_array_length(x -> 2) - 1) i)
           AND (SELECT bool_and(abs((x -> 3 ->> i)::float8 - (y -> 3 ->> i)::float8)
                                <= 1e-9 * (1e-300 + abs((x -> 3 ->> i)::float8)
                                           + (SELECT max(abs((x -> 3 ->> k)::float8)) FROM generate_series(0, jsonb_array_length(x -> 3) - 1) k)
                                           + 1e-6 * (x ->> 1)::float8 * (SELECT max(abs((x -> 2 ->> k)::float8)) FROM generate_series(0, jsonb_array_length(x -> 2) - 1) k) ^ 2))
                FROM generate_series(0, jsonb_array_length(x -> 3) - 1) i)), true)
  FROM pairs
$$;

-- the comparison notices one row less
SELECT joint_same((SELECT s FROM js_stored),
                  (SELECT vgm_joint_summarize(ARRAY[amount, hour, balance, rate]) FROM js_data WHERE id <> 7)) AS one_row_less_same;

-- row order does not matter: the rows in reverse
SELECT joint_same((SELECT s FROM js_stored),
                  (SELECT vgm_joint_summarize(ARRAY[amount, hour, balance, rate] ORDER BY id DESC) FROM js_data)) AS reversed_same;

-------------------------------------------------------------------------------
-- parallel plans: Partial Aggregate in two workers, combine, the same answer
-------------------------------------------------------------------------------
SELECT pg_temp.force_parallel_plans();

SELECT pg_temp.plan_has('SELECT vgm_joint_summarize(ARRAY[amount, hour, balance, rate]) FROM js_data', 'Partial Aggregate') AS partial_plan;
SELECT joint_same((SELECT s FROM js_stored),
                  (SELECT vgm_joint_summarize(ARRAY[amount, hour, balance, rate]) FROM js_data)) AS parallel_same;

-- per group in parallel: 20 groups (g % 20: a key with statistics, so that
-- the planner expects few groups and aggregates before the Gather)
CREATE TABLE js_groups_serial AS
SELECT g % 20 AS k, vgm_joint_summarize(ARRAY[amount, hour]) AS s FROM js_data GROUP BY 1;
SELECT pg_temp.plan_has('SELECT g % 20, vgm_joint_summarize(ARRAY[amount, hour]) FROM js_data GROUP BY 1', 'Partial') AS partial_group_plan;
SELECT count(*) AS groups, bool_and(joint_same(p.s, q.s)) AS groups_same
FROM js_groups_serial p
JOIN (SELECT g % 20 AS k, vgm_joint_summarize(ARRAY[amount, hour]) AS s FROM js_data GROUP BY 1) q USING (k);

-- rollup of stored summaries (a partition per group), in parallel
SELECT pg_temp.plan_has('SELECT vgm_rollup(s) FROM js_groups_serial', 'Partial Aggregate') AS partial_rollup_plan;
SELECT joint_same((SELECT vgm_rollup(s) FROM js_groups_serial),
                  (SELECT vgm_joint_summarize(ARRAY[amount, hour]) FROM js_data)) AS rollup_same;

SELECT pg_temp.reset_parallel_plans();

-------------------------------------------------------------------------------
-- a hash GROUP BY of 2,000 groups in 1 MB of memory: the states are counted
-- and spilled to disk, and the answers equal those of a sorted GROUP BY
-------------------------------------------------------------------------------
SET work_mem = '1MB';
SET enable_sort = off;
SET max_parallel_workers_per_gather = 0;
SELECT pg_temp.plan_max('SELECT g, vgm_joint_summarize(ARRAY[amount, hour, balance]) FROM js_data GROUP BY g',
                        'HashAgg Batches') > 1 AS spilled;
CREATE TABLE js_hashed AS SELECT g, vgm_joint_summarize(ARRAY[amount, hour, balance]) AS s FROM js_data GROUP BY g;
RESET enable_sort;
SET enable_hashagg = off;
CREATE TABLE js_sorted AS SELECT g, vgm_joint_summarize(ARRAY[amount, hour, balance]) AS s FROM js_data GROUP BY g;
RESET enable_hashagg;
RESET work_mem;
RESET max_parallel_workers_per_gather;
SELECT count(*) AS groups, bool_and(joint_same(h.s, s.s)) AS hashed_equals_sorted,
       sum((vgm_joint_summary_info(h.s)).rows) AS rows
FROM js_hashed h JOIN js_sorted s USING (g);

-------------------------------------------------------------------------------
-- sixteen columns: a summary of the widest rows (cap 6,204 cells: 8 MB), and its moments
-------------------------------------------------------------------------------
SELECT (vgm_joint_summary_info(s)).columns, (vgm_joint_summary_info(s)).rows,
       (vgm_joint_summary_info(s)).cells <= 6204 AS within_cap,
       abs((vgm_joint_summary_moments(s)).mean[16] - ref) < 1e-9 * ref AS mean16_exact
FROM (SELECT vgm_joint_summarize(ARRAY(SELECT k * x + sin(x * k) FROM generate_series(1, 16) k)) AS s,
             avg(16 * x + sin(x * 16)) AS ref
      FROM generate_series(1, 10000) x) q;
