-- the byte-keyed cache of one call site (src/datum_cache.c), shared by the
-- 1-D transforms and the joint row functions: a joint model arriving from a
-- join that alternates between more models than a call site keeps (4), or
-- made per row at a reused address, gives every row its own model's answer.
-- The last part does the same for sealed vgm_models (src/model_seal.h);
-- sql/model_cache.sql tests more of vgm_model's cache.  Floats are compared,
-- not printed.
SET extra_float_digits = 0;
\i test/fixtures/regress_helpers.sql

-- six two-dimensional models of the same size and different means
CREATE TABLE dc_models AS
SELECT g, vgm_joint_model_from_mixture(
         ARRAY[0.5, 0.5], ARRAY[[g::float8, 0], [-g::float8, 1 + g]],
         ARRAY[[[1 + g / 10.0, 0.2], [0.2, 1]], [[2, 0], [0, 0.5 + g / 20.0]]], 1000) AS m
FROM generate_series(0, 5) g;
SELECT count(DISTINCT m::text) AS distinct_models, count(DISTINCT pg_column_size(m)) AS sizes FROM dc_models;

CREATE TABLE dc_rows AS
SELECT i, ARRAY[sin(i * 0.7) * 3, cos(i * 1.3) * 2]::float8[] AS x
FROM generate_series(1, 1200) i;

-- the reference: each model as a literal of its own statement (a Const, a fresh call site)
CREATE TABLE dc_ref AS
SELECT g, i, d.v AS d, c.v::int AS c
FROM pg_temp.answers_by_literal('dc_models', 'vgm_joint_model', 'vgm_log_density', 'dc_rows') d
JOIN pg_temp.answers_by_literal('dc_models', 'vgm_joint_model', 'vgm_predict', 'dc_rows') c USING (g, i);
SELECT count(*) AS reference_rows, count(DISTINCT d) > 1000 AS varied, count(DISTINCT c) AS components FROM dc_ref;

-- a hash join alternating between six models from row to row: entries are evicted and rebuilt
SELECT pg_temp.join_method('hash');
SELECT count(*) AS rows,
       count(*) FILTER (WHERE vgm_log_density(mm.m, r.x) IS DISTINCT FROM f.d) AS density_mismatch,
       count(*) FILTER (WHERE vgm_predict(mm.m, r.x) IS DISTINCT FROM f.c) AS predict_mismatch
FROM dc_rows r JOIN dc_models mm ON mm.g = r.i % 6 JOIN dc_ref f ON f.i = r.i;
SELECT pg_temp.join_method('any');

-- a model made per row lives in per-tuple memory: a different model at the
-- same address, of the same size, on every row
SELECT count(*) FILTER (WHERE vgm_log_density(mm.m::text::vgm_joint_model, r.x) IS DISTINCT FROM f.d) AS per_row_text_mismatch
FROM dc_rows r JOIN dc_models mm ON mm.g = r.i % 6 JOIN dc_ref f ON f.i = r.i;

-- the one-row model table of the README, never analyzed and analyzed: the
-- plan changes (a Materialize rescanned per row, or the model outside), the
-- answers do not
CREATE TABLE dc_one AS SELECT m FROM dc_models WHERE g = 3;
SELECT count(*) FILTER (WHERE vgm_log_density(o.m, r.x) IS DISTINCT FROM f.d) AS unanalyzed_mismatch
FROM dc_rows r JOIN dc_ref f ON f.i = r.i AND f.g = 3, dc_one o;
ANALYZE dc_one;
SELECT count(*) FILTER (WHERE vgm_log_density(o.m, r.x) IS DISTINCT FROM f.d) AS analyzed_mismatch
FROM dc_rows r JOIN dc_ref f ON f.i = r.i AND f.g = 3, dc_one o;

-- sealed vgm_models (src/model_seal.h): recognised by length and SHA-256
-- seal instead of all their bytes.  Six one-dimensional models of the same
-- size that differ in one mean by multiples of 2^-20: only the seal tells them
-- apart.
CREATE TABLE dc_models1 AS
SELECT g, vgm_model_from_mixture(ARRAY[0.5, 0.5], ARRAY[-1, 1 + g * 2 ^ (-20)],
                                 ARRAY[1, 0.5], 1000) AS m
FROM generate_series(0, 5) g;
-- every constructor seals: input, the hand-made model and a fit give the same bytes for one model
SELECT count(DISTINCT m) AS distinct_models, count(DISTINCT pg_column_size(m)) AS sizes,
       bool_and(m = m::text::vgm_model) AS text_input_same_bytes,
       bool_and(m = m::text::jsonb::vgm_model) AS jsonb_input_same_bytes
FROM dc_models1;
SELECT f = f::text::vgm_model AS fitted_same_bytes
FROM (SELECT vgm_fit(vgm_summarize(x), max_components => 3, seed => 1) AS f
      FROM (SELECT sin(i) * 5 + (i % 3) * 10 AS x FROM generate_series(1, 500) i) s) t;

CREATE TABLE dc_rows1 AS SELECT i, 1 + sin(i * 0.37) * 1.5 AS x FROM generate_series(1, 1200) i;
CREATE TABLE dc_ref1 AS
SELECT g, i, a.v AS a, d.v AS d
FROM pg_temp.answers_by_literal('dc_models1', 'vgm_model', 'vgm_alpha', 'dc_rows1') a
JOIN pg_temp.answers_by_literal('dc_models1', 'vgm_model', 'vgm_log_density', 'dc_rows1') d USING (g, i);
SELECT count(*) AS reference_rows, count(DISTINCT a) > 900 AS varied FROM dc_ref1;

-- a sealed model made per row at a reused address, and six sealed models
-- alternating in a hash join: every row gets its own model's answer
SELECT count(*) AS rows,
       count(*) FILTER (WHERE vgm_alpha(mm.m::text::vgm_model, r.x) IS DISTINCT FROM f.a) AS per_row_alpha_mismatch,
       count(*) FILTER (WHERE vgm_log_density(mm.m::text::vgm_model, r.x) IS DISTINCT FROM f.d) AS per_row_density_mismatch
FROM dc_rows1 r JOIN dc_models1 mm ON mm.g = r.i % 6 JOIN dc_ref1 f ON f.i = r.i;
SELECT pg_temp.join_method('hash');
SELECT count(*) FILTER (WHERE vgm_alpha(mm.m, r.x) IS DISTINCT FROM f.a) AS hash_join_alpha_mismatch
FROM dc_rows1 r JOIN dc_models1 mm ON mm.g = r.i % 6 JOIN dc_ref1 f ON f.i = r.i;
SELECT pg_temp.join_method('any');

DROP TABLE dc_models, dc_rows, dc_ref, dc_one, dc_models1, dc_rows1, dc_ref1;
