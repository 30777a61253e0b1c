-- Atoms: the heavy-value table of vgm_summary and vgm_fit(..., atoms => true).
-- A heaped money column (9 % at 9.99, 6 % at 100.00, cents elsewhere) with
-- enough distinct cents that its summary coarsens, so the exact counts come
-- from the table, not from the buckets.  Deterministic data, no random().
SET client_min_messages = error;  -- the fit's notices are tested elsewhere
\i test/fixtures/regress_helpers.sql
CREATE TABLE atoms_data AS
SELECT i AS id,
       CASE WHEN i % 100 < 9 THEN 9.99
            WHEN i % 100 < 15 THEN 100.00
            ELSE round((1 + 1999 * (0.5 + 0.5 * sin(i * 0.7311)))::numeric, 2) END::float8 AS x
FROM generate_series(1, 300000) i;
ALTER TABLE atoms_data SET (parallel_workers = 2);
CREATE TABLE atoms_truth AS
SELECT x, count(*)::float8 AS n FROM atoms_data GROUP BY x HAVING count(*) >= 3000;

-- serial summary: coarse grid, the two heaps counted exactly
SET max_parallel_workers_per_gather = 0;
CREATE TABLE atoms_serial AS SELECT vgm_summarize(x) AS s FROM atoms_data;
SELECT relative_width > 1e-10 AS coarsened, heavy_values
FROM atoms_serial, vgm_summary_info(s);
SELECT h.value, h.weight, h.missed, h.exact, h.weight = t.n AS equals_count
FROM atoms_serial, vgm_summary_heavy(s) h LEFT JOIN atoms_truth t ON t.x = h.value ORDER BY h.value;
-- min_share filters, and is checked
SELECT count(*) FROM atoms_serial, vgm_summary_heavy(s, 0.07);
SELECT count(*) FROM atoms_serial, vgm_summary_heavy(s, 1.5);
-- at resolution 0 every bucket is a value with its exact weight
SELECT value, weight, exact FROM vgm_summary_heavy(
    (SELECT vgm_summarize(x) FROM unnest(ARRAY[1, 1, 2.5, 7, 7, 7]::float8[]) x)) ORDER BY value;

-- the text and binary forms carry the table (version 2); jsonb too
SELECT s::text::vgm_summary = s AS text_round_trip, s::jsonb::vgm_summary = s AS jsonb_round_trip,
       (s::jsonb ->> 'version')::int AS version, jsonb_array_length(s::jsonb -> 'heavy') AS heavy
FROM atoms_serial;
SET vgm.summary_text = 'compact';
SELECT s::text::vgm_summary = s AS packed_round_trip FROM atoms_serial;
RESET vgm.summary_text;
-- a summary without heavy values keeps version 1 and no "heavy" field
SELECT (s::jsonb ->> 'version')::int AS version, s::jsonb ? 'heavy' AS has_heavy
FROM (SELECT vgm_summarize(x) AS s FROM generate_series(1, 1000) x) q;

-- parallel plan (partial summaries combined) and rollup of stored parts give
-- the same table as the serial scan
SELECT pg_temp.force_parallel_plans();
EXPLAIN (COSTS OFF) SELECT vgm_summarize(x) FROM atoms_data;
CREATE TABLE atoms_parallel AS SELECT vgm_summarize(x) AS s FROM atoms_data;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE atoms_parts AS SELECT id % 5 AS part, vgm_summarize(x) AS s FROM atoms_data GROUP BY id % 5;
CREATE TABLE atoms_rollup AS SELECT vgm_rollup(s ORDER BY part DESC) AS s FROM atoms_parts;
SELECT (SELECT array_agg(ROW(value, weight, missed) ORDER BY value) FROM atoms_serial, vgm_summary_heavy(s))
     = (SELECT array_agg(ROW(value, weight, missed) ORDER BY value) FROM atoms_parallel, vgm_summary_heavy(s)) AS parallel_same,
       (SELECT array_agg(ROW(value, weight, missed) ORDER BY value) FROM atoms_serial, vgm_summary_heavy(s))
     = (SELECT array_agg(ROW(value, weight, missed) ORDER BY value) FROM atoms_rollup, vgm_summary_heavy(s)) AS rollup_same;

-- the fit with atoms: two atoms, weights exactly count / rows, the mixture
-- weights scaled to the rest; serial, parallel and rollup give the same atoms
CREATE TABLE atoms_models AS
SELECT 'serial' AS plan, vgm_fit(s, atoms => true) AS m FROM atoms_serial
UNION ALL SELECT 'parallel', vgm_fit(s, atoms => true) FROM atoms_parallel
UNION ALL SELECT 'rollup', vgm_fit(s, atoms => true) FROM atoms_rollup;
SELECT plan, c.mean AS atom, c.weight = t.n / 300000 AS weight_exact
FROM atoms_models, vgm_components(m) c JOIN atoms_truth t ON t.x = c.mean
WHERE c.atom ORDER BY plan, atom;
SELECT plan, round(sum(c.weight)::numeric, 12) AS total_weight,
       round(sum(c.weight) FILTER (WHERE NOT c.atom)::numeric, 12) AS mixture_weight
FROM atoms_models, vgm_components(m) c GROUP BY plan ORDER BY plan;
-- the same model whatever the plan (summation order aside)
SELECT a.plan, b.plan, (SELECT bool_and(abs(x.weight - y.weight) < 1e-9 AND abs(x.mean - y.mean) < 1e-6 * (1 + abs(y.mean)))
        FROM vgm_components(a.m) x JOIN vgm_components(b.m) y USING (index)) AS same
FROM atoms_models a, atoms_models b WHERE a.plan = 'serial' AND b.plan <> 'serial' ORDER BY b.plan;
-- a smaller share finds no more here, a larger one only 9.99
SELECT (SELECT count(*) FROM vgm_components(vgm_fit(s, atoms => true, atom_share => 0.07)) WHERE atom) AS share_7pct,
       (SELECT count(*) FROM vgm_components(vgm_fit(s, atoms => true, atom_share => 0.005)) WHERE atom) AS share_half_pct
FROM atoms_serial;
-- the one-step aggregates (serial plans)
SELECT (SELECT count(*) FROM vgm_components(vgm_fit(x, true)) WHERE atom) AS atoms_default,
       (SELECT count(*) FROM vgm_components(vgm_fit(x, true, 0.07)) WHERE atom) AS atoms_7pct,
       (SELECT count(*) FROM vgm_components(vgm_fit(x, false)) WHERE atom) AS atoms_off
FROM atoms_data;

-- atoms => false is the fit from before atoms existed, bit for bit: the
-- md5 below was computed with the build of the commit before them on this
-- very data (serial plan; the fit time is the one field that differs)
SELECT md5((vgm_fit(s, atoms => false)::jsonb #- '{fit,fit_ms}')::text) = '012e3ee4825a09d8c74696364cad6436' AS as_before,
       vgm_fit(s, atoms => false)::jsonb #- '{fit,fit_ms}' = vgm_fit(s)::jsonb #- '{fit,fit_ms}' AS default_off
FROM atoms_serial;

-- every row an atom (a discrete column, 20 rows or more per value): the
-- lightest atoms go back to the mixture until it keeps a valid component; a
-- constant column is a plain one-component model
SELECT (SELECT count(*) FROM vgm_components(m) WHERE atom) AS atoms, vgm_n_components(m) AS k
FROM (SELECT vgm_fit(vgm_summarize(x), atoms => true) AS m
      FROM unnest(ARRAY[1, 1, 1, 2, 2, 3]::float8[]) x, generate_series(1, 20) g) q;
-- the same six rows alone: every value holds over 1 %, none has 20 rows
SELECT (SELECT count(*) FROM vgm_components(m) WHERE atom) AS atoms
FROM (SELECT vgm_fit(vgm_summarize(x), atoms => true) AS m
      FROM unnest(ARRAY[1, 1, 1, 2, 2, 3]::float8[]) x) q;
SELECT (SELECT count(*) FROM vgm_components(m) WHERE atom) AS atoms
FROM (SELECT vgm_fit(vgm_summarize(x), atoms => true) AS m FROM generate_series(1, 100) g, (VALUES (5.0::float8)) v(x)) q;

-- the spike rule (heavy_core.h): a value is an atom only when it holds at
-- least 4 times the median of its neighbouring values.  Integer ages, 31 of
-- them above 1 %: only the ages clamped to 28 form a spike.
CREATE TABLE atoms_ages AS
SELECT i, greatest(28, round(40 + 9 * (sin(i * 0.7311) + sin(i * 1.1317) + sin(i * 0.2113))))::float8 AS age
FROM generate_series(1, 50000) i;
SELECT count(*) FILTER (WHERE n >= 500) AS ages_above_1pct FROM (SELECT count(*) AS n FROM atoms_ages GROUP BY age) t;
SELECT c.mean AS atom, c.weight = (SELECT count(*) FROM atoms_ages WHERE age = 28) / 50000.0 AS weight_exact
FROM (SELECT vgm_fit(vgm_summarize(age), atoms => true) AS m FROM atoms_ages) q, vgm_components(m) c
WHERE c.atom;
-- ratings 1-5 are discrete (at most 16 values): every value is an atom but
-- the lightest, which the mixture keeps; their weights are exact
SELECT c.mean AS atom, c.weight
FROM (SELECT vgm_fit(vgm_summarize(r), atoms => true) AS m
      FROM (SELECT CASE WHEN i % 20 < 1 THEN 1 WHEN i % 20 < 3 THEN 2 WHEN i % 20 < 7 THEN 3
                        WHEN i % 20 < 14 THEN 4 ELSE 5 END::float8 AS r
            FROM generate_series(1, 1000) i) d) q, vgm_components(m) c
WHERE c.atom ORDER BY c.mean;

-- a value that turns heavy only after the summary coarsened has a bound,
-- not a count: it stays in the mixture, and the fit says so once
CREATE TABLE atoms_late AS
SELECT vgm_summarize(x ORDER BY i) AS s
FROM (SELECT i, CASE WHEN i > 240000 AND i % 5 = 0 THEN 555.5
                     ELSE round((1 + 1999 * (0.5 + 0.5 * sin(i * 0.7311)))::numeric, 2)::float8 END AS x
      FROM generate_series(1, 300000) i) d;
SELECT h.value, h.weight + h.missed >= 12000 AS bound_holds, h.exact
FROM atoms_late, vgm_summary_heavy(s) h WHERE h.value = 555.5;
SET client_min_messages = notice;
\set VERBOSITY terse
SELECT (SELECT count(*) FROM vgm_components(vgm_fit(s, atoms => true)) WHERE atom) AS atoms FROM atoms_late;
\set VERBOSITY default
SET client_min_messages = error;

-- options are checked while planning, before the scan
SET client_min_messages = notice;
EXPLAIN (COSTS OFF) SELECT vgm_fit(vgm_summarize(x), atoms => true, atom_share => 0) FROM atoms_data;
EXPLAIN (COSTS OFF) SELECT vgm_fit(vgm_summarize(x), atoms => true, atom_share => 1.5) FROM atoms_data;
EXPLAIN (COSTS OFF) SELECT vgm_fit(vgm_summarize(x), atoms => NULL) FROM atoms_data;
EXPLAIN (COSTS OFF) SELECT vgm_fit(vgm_summarize(x), atom_share => 'NaN') FROM atoms_data;
-- the aggregate's share is checked on its first row; a computed option is refused
SELECT vgm_fit(x, true, -1) FROM atoms_data;
SELECT vgm_fit(x, id > 0) FROM atoms_data WHERE id < 10;

-- a wide lattice column (credit limits: multiples of 10,000, 154 distinct
-- values, 30 % at six popular limits that stand only 2-10 times above their
-- neighbours): the spike rule alone finds fewer atoms; the lattice
-- candidates (every value with the share and 20 rows, the heaviest 16) fit
-- the exact summary closer by more than 1 / sqrt(rows), so they are kept
SET client_min_messages = error;
CREATE TABLE atoms_lattice AS
SELECT i, CASE WHEN i % 20 = 0 THEN 50000 WHEN i % 20 = 1 THEN 20000 WHEN i % 20 IN (2, 3) THEN 200000
               WHEN i % 50 = 4 THEN 80000 WHEN i % 50 = 5 THEN 30000 WHEN i % 50 = 6 THEN 360000
               ELSE greatest(10000, round(exp(11.8 + 0.8 * sqrt(-2 * ln(u)) * cos(2 * pi() * v)) / 10000) * 10000) END::float8 AS x
FROM (SELECT i, (i * 0.6180339887) % 1 AS u, (i * 0.7548776662) % 1 AS v FROM generate_series(1, 30000) i) g;
CREATE TABLE atoms_lattice_fits AS
SELECT vgm_fit(s) AS plain, vgm_fit(s, atoms => true) AS atoms FROM (SELECT vgm_summarize(x) AS s FROM atoms_lattice) q;
SELECT (SELECT count(*) FROM vgm_components(atoms) WHERE atom) AS atoms,
       (SELECT (vgm_ks(plain, x)).statistic FROM atoms_lattice) > 0.05 AS plain_ks_above_005,
       (SELECT (vgm_ks(atoms, x)).statistic FROM atoms_lattice) < 0.02 AS atoms_ks_below_002
FROM atoms_lattice_fits;
-- a smooth integer column on a lattice of 1 (ages clamped to 18-90) gains
-- too little from the lattice candidates: only the clamp at 18 is an atom
SELECT (SELECT string_agg(mean::text, ',') FROM vgm_components(vgm_fit(vgm_summarize(a), atoms => true)) WHERE atom) AS age_atoms
FROM (SELECT greatest(18, least(90, round(40 + 13 * sqrt(-2 * ln(u)) * cos(2 * pi() * v))))::float8 + 0 * i AS a
      FROM (SELECT i, (i * 0.6180339887) % 1 AS u, (i * 0.7548776662) % 1 AS v FROM generate_series(1, 30000) i) g) d;

-- scikit-learn's prior options: 0 is the default, bit for bit; a given
-- covariance_prior is what the model records, and the one-step aggregate
-- with covariance_prior gives the fit of the summary form
SELECT md5((vgm_fit(s, covariance_prior => 0, mean_precision_prior => 0, degrees_of_freedom_prior => 0)::jsonb #- '{fit,fit_ms}')::text)
     = md5((vgm_fit(s)::jsonb #- '{fit,fit_ms}')::text) AS zero_is_default,
       (vgm_fit(s, covariance_prior => 2.5)::jsonb #>> '{priors,covariance}')::float8 AS covariance_prior,
       (vgm_fit(s, mean_precision_prior => 0.5)::jsonb #>> '{priors,mean_precision}')::float8 AS mean_precision_prior,
       (vgm_fit(s, degrees_of_freedom_prior => 3)::jsonb #>> '{priors,degrees_of_freedom}')::float8 AS degrees_of_freedom_prior
FROM (SELECT vgm_summarize(x) AS s FROM atoms_data) q;
SELECT md5((vgm_fit(x, true, 0.01, 40)::jsonb #- '{fit,fit_ms}')::text)
     = (SELECT md5((vgm_fit(vgm_summarize(x), atoms => true, covariance_prior => 40)::jsonb #- '{fit,fit_ms}')::text) FROM atoms_data)
       AS aggregate_matches,
       (vgm_fit(x, true, 0.01, 40)::jsonb #>> '{priors,covariance}')::float8 AS aggregate_prior
FROM atoms_data;
-- a narrow covariance prior lets the mixture follow the rows more closely
SELECT avg(vgm_log_density(narrow, x)) > avg(vgm_log_density(wide, x)) AS narrow_prior_fits_closer
FROM atoms_data, (SELECT vgm_fit(vgm_summarize(x), covariance_prior => 1e-4) AS narrow,
                         vgm_fit(vgm_summarize(x), covariance_prior => 1e4) AS wide FROM atoms_data) f;
DROP TABLE atoms_lattice, atoms_lattice_fits;
