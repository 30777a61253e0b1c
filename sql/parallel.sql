-- parallel query: every aggregate runs as Partial + Finalize Aggregate, the
-- transforms run in parallel workers, and every answer equals the serial
-- plan's.  Also partition-wise aggregation over very different partitions.
--
-- To cover a new aggregate, add a row to par_cases; to cover a new row
-- function, add a column to the view par_rows.
SET client_min_messages = error;  -- the fit's notices are tested elsewhere
\i test/fixtures/regress_helpers.sql

-------------------------------------------------------------------------------
-- data (deterministic, no random()); ordinary tables: temporary tables are
-- never scanned in parallel
-------------------------------------------------------------------------------
-- three clusters, a point mass at 9.99, a NULL every 97 rows, 7 groups
CREATE TABLE par_data AS SELECT * FROM pg_temp.mixed_values(120000, 97, 7);
INSERT INTO par_data VALUES (0, 'NaN', 1, 0), (-1, 'Infinity', 1, 1), (-2, '-Infinity', 1, 2);

-- a partitioned table whose partitions hold very different data: huge values
-- spread over many binades (their summary runs at a coarser resolution),
-- negatives, and three point masses
CREATE TABLE par_part (p int, id int, x float8) PARTITION BY LIST (p);
CREATE TABLE par_part_huge PARTITION OF par_part FOR VALUES IN (1);
CREATE TABLE par_part_neg PARTITION OF par_part FOR VALUES IN (2);
CREATE TABLE par_part_mass PARTITION OF par_part FOR VALUES IN (3);
INSERT INTO par_part SELECT 1, i, 1e9 * exp(3 * sin(i * 0.37)) FROM generate_series(1, 120000) i;
INSERT INTO par_part SELECT 2, i, -1000 - 50 * cos(i * 1.3) - i % 7 FROM generate_series(1, 60000) i;
INSERT INTO par_part SELECT 3, i, (ARRAY[0, 1, 2.5])[1 + i % 3] FROM generate_series(1, 30000) i;

-- one model for the transforms; its table is never scanned in parallel so
-- that the plans below stay short
CREATE TABLE par_model AS SELECT vgm_fit(vgm_summarize(x), max_components => 3) AS m FROM par_data;
ALTER TABLE par_model SET (parallel_workers = 0);

-- stored summaries (1000) and KS states (100: each is 512 kB before
-- compression), to roll up in parallel; two workers whatever the table's size
CREATE TABLE par_stored AS
SELECT id % 1000 AS part, vgm_summarize(x) AS s FROM par_data GROUP BY 1;
CREATE TABLE par_stored_ks AS
SELECT id % 100 AS part, vgm_ks_state(m, x) AS ks FROM par_data, par_model GROUP BY 1;
ALTER TABLE par_stored SET (parallel_workers = 2);
ALTER TABLE par_stored_ks SET (parallel_workers = 2);

ANALYZE par_data, par_stored, par_stored_ks, par_part, par_model;

SELECT (vgm_summary_info(s)).relative_width AS rel_width, p
FROM (SELECT p, vgm_summarize(x) AS s FROM par_part GROUP BY p) q ORDER BY p;
SELECT vgm_valid_components(m) FROM par_model;

-------------------------------------------------------------------------------
-- comparisons
-------------------------------------------------------------------------------
-- the comparison helpers of the several-server tests, in schema vgm_test:
-- vgm_test.close (|a - b| <= rel * max(|a|, |b|) + abs, element-wise on
-- arrays), summary_same (bucket by bucket), model_same (weights, means and
-- spreads within 1e-9 relative) and json_same (every number within 1e-9
-- relative); test/multinode/compare.sql shows them, so they are not echoed
\set ECHO none
\i test/multinode/compare.sql
SET client_min_messages = error;
\set ECHO all

-- the comparisons do notice a difference: one row less, a different fit
SELECT vgm_test.summary_same((SELECT vgm_summarize(x) FROM par_data),
                        (SELECT vgm_summarize(x) FROM par_data WHERE id <> 5)) AS one_row_less_same,
       vgm_test.model_same((SELECT m FROM par_model),
                      (SELECT vgm_fit(vgm_summarize(x), max_components => 3) FROM par_data WHERE id % 2 = 0)) AS other_fit_same,
       vgm_test.json_same('{"a": [1, 2.000000000001]}', '{"a": [1, 2]}') AS json_close_same,
       vgm_test.json_same('{"a": [1, 2.00001]}', '{"a": [1, 2]}') AS json_far_same;

-------------------------------------------------------------------------------
-- the aggregates, table-driven
--
-- One row per aggregate call: the query is
--   SELECT <grp> AS k, <expr> AS v FROM <src> [GROUP BY 1]
-- where grp '0' is the one key of an ungrouped call (no GROUP BY)
-- and kind says how serial and parallel answers are compared: 'summary'
-- (vgm_test.summary_same), 'model' (vgm_test.model_same), 'text' (identical text form:
-- states of exact counts), 'json' (vgm_test.json_same on to_jsonb of the result:
-- records, arrays, numbers, any other type).
-------------------------------------------------------------------------------
CREATE TABLE par_cases (
  name text PRIMARY KEY,
  expr text NOT NULL,
  src text NOT NULL,
  grp text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('summary', 'model', 'json', 'text'))
);
INSERT INTO par_cases VALUES
  ('summarize',            'vgm_summarize(x)',                          'par_data',   '0',  'summary'),
  ('summarize weighted',   'vgm_summarize(x, w)',                       'par_data',   '0',  'summary'),
  ('summarize by group',   'vgm_summarize(x)',                          'par_data',   'g',  'summary'),
  ('fit one step',         'vgm_fit(x)',                                'par_data',   '0',  'model'),
  ('fit one step k=3',     'vgm_fit(x, 3)',                             'par_data',   '0',  'model'),
  ('fit one step by group','vgm_fit(x, 2)',                             'par_data',   'g',  'model'),
  ('rollup',               'vgm_rollup(s)',                             'par_stored', '0',  'summary'),
  ('fit of rollup',        'vgm_fit(vgm_rollup(s), max_components => 5)', 'par_stored', '0',  'model'),
  ('moments',              'vgm_moments(x)',                            'par_data',   '0',  'json'),
  ('moments by group',     'vgm_moments(x)',                            'par_data',   'g',  'json'),
  ('ks state',             'vgm_ks_state((SELECT m FROM par_model), x)', 'par_data',  '0',  'text'),
  ('ks',                   'vgm_ks((SELECT m FROM par_model), x)',      'par_data',   '0',  'json'),
  ('ks by group',          'vgm_ks((SELECT m FROM par_model), x)',      'par_data',   'g',  'json'),
  ('bounds',               'vgm_bounds((SELECT m FROM par_model), x)',  'par_data',   '0',  'json'),
  ('rollup ks state',      'vgm_rollup(ks)',                            'par_stored_ks', '0',  'text'),
  ('ks of rollup',         'vgm_ks(vgm_rollup(ks))',                    'par_stored_ks', '0',  'json'),
  ('partitions summarize', 'vgm_summarize(x)',                          'par_part',   '0',  'summary'),
  ('partitions by key',    'vgm_summarize(x)',                          'par_part',   'p',  'summary'),
  ('partitions fit',       'vgm_fit(x)',                                'par_part',   '0',  'model'),
  ('partitions fit k=3',   'vgm_fit(x, 3)',                             'par_part',   '0',  'model'),
  ('partitions fit of summary', 'vgm_fit(vgm_summarize(x), max_components => 4, seed => 7)', 'par_part', '0',  'model'),
  ('partitions moments',   'vgm_moments(x)',                            'par_part',   '0',  'json'),
  ('partitions ks state',  'vgm_ks_state((SELECT m FROM par_model), x)', 'par_part',  '0',  'text'),
  ('partitions ks',        'vgm_ks((SELECT m FROM par_model), x)',      'par_part',   '0',  'json'),
  ('partitions bounds',    'vgm_bounds((SELECT m FROM par_model), x)',  'par_part',   '0',  'json');

-- par_shape(query): the plan's node types, outermost first, each once, without
-- details (the partitions of an Append repeat the same nodes) and without
-- InitPlans (the model of a transform or KS aggregate is one)
CREATE FUNCTION par_shape(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  node text;
  nodes text[] := '{}';
  skip_below int;  -- indentation of the InitPlan being skipped
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    IF skip_below IS NOT NULL AND length(substring(line from '^\s*')) > skip_below THEN
      CONTINUE;
    END IF;
    skip_below := NULL;
    IF line ~ '^\s*InitPlan' THEN
      skip_below := length(substring(line from '^\s*'));
    ELSIF cardinality(nodes) = 0 OR line ~ '->' THEN
      node := regexp_replace(regexp_replace(line, '^\s*(->\s*)?', ''), ' on \S+( \S+)?$', '');
      IF NOT node = ANY (nodes) THEN
        nodes := nodes || node;
      END IF;
    END IF;
  END LOOP;
  RETURN array_to_string(nodes, ' > ');
END
$$;

-- par_check(case): the plan's shape under the current settings, and whether
-- its answer equals the answer of the plainest plan (serial, no partial
-- aggregation); an error is reported, not raised, so one failing case does
-- not hide the others.  The answers stay in their own type (temporary tables
-- par_out_{par,ser}(k, v)): no text round trip between plan and comparison.
CREATE FUNCTION par_check(c par_cases, OUT shape text, OUT same boolean, OUT error text)
LANGUAGE plpgsql AS $$
DECLARE
  query text := format('SELECT %s AS k, %s AS v FROM %s%s', c.grp, c.expr, c.src,
                       CASE WHEN c.grp <> '0' THEN ' GROUP BY 1' ELSE '' END);
  cmp text := CASE c.kind
                WHEN 'summary' THEN 'vgm_test.summary_same(p.v, s.v)'
                WHEN 'model' THEN 'vgm_test.model_same(p.v, s.v)'
                WHEN 'text' THEN 'p.v::text = s.v::text'
                ELSE 'vgm_test.json_same(to_jsonb(p.v), to_jsonb(s.v))' END;
  workers text := current_setting('max_parallel_workers_per_gather');
  partitionwise text := current_setting('enable_partitionwise_aggregate');
BEGIN
  shape := par_shape(query);
  BEGIN
    EXECUTE 'CREATE TEMP TABLE par_out_par AS ' || query;
    PERFORM set_config('max_parallel_workers_per_gather', '0', true);
    PERFORM set_config('enable_partitionwise_aggregate', 'off', true);
    IF par_shape(query) ~ 'Gather|Parallel|Partial' THEN
      RAISE EXCEPTION 'reference plan is not plain: %', par_shape(query);
    END IF;
    EXECUTE 'CREATE TEMP TABLE par_out_ser AS ' || query;
    EXECUTE format('SELECT count(*) > 0 AND bool_and(p.k IS NOT NULL AND s.k IS NOT NULL AND coalesce(%s, false))
                    FROM par_out_par p FULL JOIN par_out_ser s USING (k)', cmp) INTO same;
    DROP TABLE par_out_par, par_out_ser;
  EXCEPTION WHEN OTHERS THEN
    error := SQLERRM;
  END;
  PERFORM set_config('max_parallel_workers_per_gather', workers, true);
  PERFORM set_config('enable_partitionwise_aggregate', partitionwise, true);
END
$$;

-------------------------------------------------------------------------------
-- forced parallel plans: two workers, the leader only gathers
-------------------------------------------------------------------------------
SELECT pg_temp.force_parallel_plans();

EXPLAIN (COSTS OFF) SELECT vgm_summarize(x) FROM par_data;
EXPLAIN (COSTS OFF) SELECT vgm_fit(x) FROM par_data;
EXPLAIN (COSTS OFF) SELECT vgm_rollup(s) FROM par_stored;
EXPLAIN (COSTS OFF) SELECT vgm_ks((SELECT m FROM par_model), x) FROM par_data;

-- the workers do run (a private test server has worker slots to spare)
SELECT pg_temp.plan_max('SELECT vgm_summarize(x) FROM par_data', 'Workers Launched') > 0 AS workers_ran;

-- every aggregate: Partial + Finalize Aggregate in parallel, same answer
CREATE TABLE par_results AS
SELECT 'parallel'::text AS stage, c.name, r.* FROM par_cases c, LATERAL par_check(c) r WHERE c.src <> 'par_part';
SELECT name, shape, same FROM par_results WHERE stage = 'parallel' ORDER BY name;

-- the one-scan validation report: its inner query runs in parallel too, and
-- the report is the serial one
CREATE TABLE par_validate AS
SELECT 'parallel'::text AS plan, r.*
FROM vgm_validate((SELECT m FROM par_model), 'par_data', 'x') WITH ORDINALITY r;
SET max_parallel_workers_per_gather = 0;
INSERT INTO par_validate
SELECT 'serial', r.* FROM vgm_validate((SELECT m FROM par_model), 'par_data', 'x') WITH ORDINALITY r;
SET max_parallel_workers_per_gather = 2;
SELECT p."check", p.passed,
       coalesce(vgm_test.close(p.statistic, s.statistic, 1e-9, 1e-12), p.statistic IS NULL AND s.statistic IS NULL)
       AND p.passed IS NOT DISTINCT FROM s.passed AS same
FROM par_validate p JOIN par_validate s USING ("check")
WHERE p.plan = 'parallel' AND s.plan = 'serial' ORDER BY p.ordinality;

-------------------------------------------------------------------------------
-- row transforms: parallel scans compute them in the workers; the model is an
-- InitPlan parameter evaluated once and passed to every worker
-------------------------------------------------------------------------------
EXPLAIN (COSTS OFF) SELECT sum(vgm_alpha((SELECT m FROM par_model), x)) FROM par_data;

-- the same rows from a serial and from a parallel plan, bit for bit; here
-- the model is a constant (a psql variable), so the plan is just a scan
SELECT m AS par_model FROM par_model \gset
CREATE VIEW par_rows AS
SELECT id,
       vgm_component(m, x) AS component,
       vgm_component(m, x, id) AS component_keyed,
       vgm_alpha(m, x) AS alpha,
       vgm_alpha(m, x, id) AS alpha_keyed,
       (vgm_normalize(m, x)).component AS n_component,
       (vgm_normalize(m, x)).alpha AS n_alpha,
       (vgm_normalize(m, x, id)).alpha AS n_alpha_keyed,
       vgm_encode(m, x) AS encoded,
       vgm_encode(m, x, id) AS encoded_keyed,
       vgm_denormalize(m, vgm_component(m, x), vgm_alpha(m, x)) AS denormalized,
       vgm_denormalize(m, vgm_component(m, x), vgm_alpha(m, x), true) AS denormalized_clamped,
       vgm_predict(m, x) AS predicted,
       vgm_predict_proba(m, x) AS proba,
       vgm_score(m, x) AS score,
       vgm_log_density(m, x) AS log_density,
       vgm_cdf(m, x) AS cdf
FROM par_data, LATERAL (SELECT :'par_model'::vgm_model AS m) pm;

EXPLAIN (COSTS OFF) CREATE TABLE par_rows_parallel AS SELECT * FROM par_rows;
CREATE TABLE par_rows_parallel AS SELECT * FROM par_rows;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) CREATE TABLE par_rows_serial AS SELECT * FROM par_rows;
CREATE TABLE par_rows_serial AS SELECT * FROM par_rows;
SET max_parallel_workers_per_gather = 2;

SELECT count(*) AS rows,
       count(*) FILTER (WHERE s IS DISTINCT FROM p) AS differing,
       count(*) FILTER (WHERE s.id IS NULL OR p.id IS NULL) AS unmatched,
       count(s.alpha) AS non_null_alphas
FROM par_rows_serial s FULL JOIN par_rows_parallel p USING (id);

-------------------------------------------------------------------------------
-- partition-wise aggregation over very different partitions
-------------------------------------------------------------------------------
SET enable_partitionwise_aggregate = on;

-- parallel: partial aggregates of the partitions under a Parallel Append
EXPLAIN (COSTS OFF) SELECT vgm_summarize(x) FROM par_part;
INSERT INTO par_results
SELECT 'parallel partition-wise', c.name, r.* FROM par_cases c, LATERAL par_check(c) r WHERE c.src = 'par_part';
SELECT name, shape, same FROM par_results WHERE stage = 'parallel partition-wise' ORDER BY name;

-- serial: one Partial Aggregate per partition
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT vgm_summarize(x) FROM par_part;
INSERT INTO par_results
SELECT 'serial partition-wise', c.name, r.* FROM par_cases c, LATERAL par_check(c) r WHERE c.src = 'par_part';
SELECT name, shape, same FROM par_results WHERE stage = 'serial partition-wise' ORDER BY name;
SET max_parallel_workers_per_gather = 2;

-- no case failed with an error
SELECT stage, name, error FROM par_results WHERE error IS NOT NULL ORDER BY stage, name;

-- per-partition summaries, stored, roll up to the whole-table summary
CREATE TABLE par_part_stored AS SELECT p, vgm_summarize(x) AS s FROM par_part GROUP BY p;
SET enable_partitionwise_aggregate = off;
SET max_parallel_workers_per_gather = 0;
SELECT vgm_test.summary_same((SELECT vgm_rollup(s) FROM par_part_stored),
                        (SELECT vgm_summarize(x) FROM par_part)) AS rollup_of_partitions;

RESET enable_partitionwise_aggregate;
SELECT pg_temp.reset_parallel_plans();
DROP SCHEMA vgm_test CASCADE;
