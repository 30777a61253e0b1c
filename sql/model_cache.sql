-- the model cache (src/model_cache.c): whatever form the model arrives in
-- (a literal, a join, a group's own model, a model made per row at a reused
-- address) every row is encoded with its own model; and vgm_bounds counts
-- exactly the values the transforms clip (one encoding rule).
-- Floats are compared, not printed.
SET extra_float_digits = 0;
\i test/fixtures/regress_helpers.sql

-- 3,000 values around 10, 50 and 100
CREATE TABLE mc_data AS SELECT * FROM pg_temp.three_clusters(3000);

-- twelve models of the same size (three components each) and different
-- means: more models than a call site keeps (8), so entries are evicted
CREATE TABLE mc_models AS
SELECT g, vgm_model_from_mixture(ARRAY[0.3, 0.3, 0.4], ARRAY[10 + g, 50 - g, 100 + 2 * g],
                                 ARRAY[1 + g / 10.0, 2, 3]) AS m
FROM generate_series(0, 11) g;
SELECT count(DISTINCT octet_length(m::text)) > 0 AS built, count(DISTINCT m) AS distinct_models,
       count(DISTINCT pg_column_size(m)) AS sizes
FROM mc_models;

-- the reference: each model as a literal of its own statement (a Const,
-- a fresh call site), one statement per model
CREATE TABLE mc_ref AS
SELECT g, i, a.v AS alpha, c.v AS component
FROM pg_temp.answers_by_literal('mc_models', 'vgm_model', 'vgm_alpha', 'mc_data') a
JOIN pg_temp.answers_by_literal('mc_models', 'vgm_model', 'vgm_component', 'mc_data') c USING (g, i);
SELECT count(*) AS reference_rows, count(DISTINCT alpha) > 1000 AS varied_alpha,
       count(DISTINCT component) AS components FROM mc_ref;

-- a join with the table of models: a hash join alternates between twelve
-- models from row to row
SELECT pg_temp.join_method('hash');
SELECT count(*) AS rows,
       count(*) FILTER (WHERE vgm_alpha(mm.m, d.x) IS DISTINCT FROM r.alpha) AS alpha_mismatch,
       count(*) FILTER (WHERE vgm_component(mm.m, d.x) IS DISTINCT FROM r.component) AS component_mismatch,
       count(*) FILTER (WHERE (vgm_normalize(mm.m, d.x)).alpha IS DISTINCT FROM r.alpha) AS normalize_mismatch
FROM mc_data d JOIN mc_models mm ON mm.g = d.i % 12 JOIN mc_ref r ON r.i = d.i;
SELECT pg_temp.join_method('any');

-- a nested loop over the models, rescanned for each value: the model comes
-- from the same slot on every row
SELECT pg_temp.join_method('nestloop');
SELECT count(*) FILTER (WHERE vgm_alpha(mm.m, d.x) IS DISTINCT FROM r.alpha) AS nestloop_mismatch
FROM mc_data d JOIN mc_models mm ON mm.g = d.i % 12 JOIN mc_ref r ON r.i = d.i;
SELECT pg_temp.join_method('any');

-- a model made per row lives in per-tuple memory: a different model at the
-- same address, of the same size, on every row
SELECT count(*) FILTER (WHERE vgm_alpha(mm.m::text::vgm_model, d.x) IS DISTINCT FROM r.alpha) AS per_row_text_mismatch,
       count(*) FILTER (WHERE vgm_alpha(vgm_model_from_mixture(ARRAY[0.3, 0.3, 0.4],
                                                               ARRAY[10 + mm.g, 50 - mm.g, 100 + 2 * mm.g],
                                                               ARRAY[1 + mm.g / 10.0, 2, 3]), d.x)
                        IS DISTINCT FROM r.alpha) AS per_row_made_mismatch
FROM mc_data d JOIN mc_models mm ON mm.g = d.i % 12 JOIN mc_ref r ON r.i = d.i;

-- one-component models made per row: alpha has a closed form
SELECT count(*) FILTER (WHERE vgm_alpha(vgm_model_from_mixture(ARRAY[1], ARRAY[i::float8], ARRAY[2], min => -1e6, max => 1e6), 7)
                        IS DISTINCT FROM greatest(-0.99, least(0.99, (7 - i) / 8.0))) AS closed_form_mismatch,
       count(*) AS n
FROM generate_series(-20, 20) i;

-- vgm_alpha per group, the model of each group from the join, against the reference
SELECT count(*) AS groups,
       count(*) FILTER (WHERE abs(s.total - r.total) > 1e-9 * greatest(1, abs(r.total))) AS group_mismatch
FROM (SELECT mm.g, sum(vgm_alpha(mm.m, d.x)) AS total
      FROM mc_data d JOIN mc_models mm ON mm.g = d.i % 12 GROUP BY mm.g) s
     JOIN (SELECT g, sum(alpha) AS total FROM mc_ref GROUP BY g) r USING (g);

-- the validation aggregates per group: each group's own model, alternating
-- from row to row in a hashed aggregate, gives the state of that model alone
CREATE FUNCTION pg_temp.mc_states() RETURNS TABLE (g int, bounds text, ks text)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT mc_models.g, mc_models.m FROM mc_models ORDER BY 1 LOOP
        RETURN QUERY EXECUTE format('SELECT %s, vgm_bounds(%L::vgm_model, x)::text, vgm_ks_state(%L::vgm_model, x)::text
                                     FROM mc_data WHERE i %% 12 = %s', r.g, r.m::text, r.m::text, r.g);
    END LOOP;
END $$;
SET enable_sort = off;
SELECT count(*) AS groups,
       count(*) FILTER (WHERE s.bounds IS DISTINCT FROM r.bounds) AS bounds_mismatch,
       count(*) FILTER (WHERE s.ks IS DISTINCT FROM r.ks) AS ks_mismatch
FROM (SELECT mm.g, vgm_bounds(mm.m, d.x)::text AS bounds, vgm_ks_state(mm.m, d.x)::text AS ks
      FROM mc_data d JOIN mc_models mm ON mm.g = d.i % 12 GROUP BY mm.g) s
     JOIN pg_temp.mc_states() r USING (g);
RESET enable_sort;

-- one encoding rule: vgm_bounds counts as clipped exactly the values whose
-- vgm_alpha is clipped, including where (x - mean)^2 overflows for every
-- component.  Component 0 is wide (sd 1e154), component 1 narrow; at
-- |x| = 2e154 both log probabilities overflow to -inf, the wider component
-- wins and alpha = 0.5 (not clipped); at 1e155 alpha = 2.5 is clipped.
CREATE TABLE mc_wide AS
SELECT vgm_model_from_mixture(ARRAY[0.5, 0.5], ARRAY[0, 0], ARRAY[1e154, 1], min => -1e160, max => 1e160) AS m;
CREATE TABLE mc_extreme (x float8);
INSERT INTO mc_extreme VALUES (2e154), (-2e154), (1e155), (-1e155), (3e155), (0.5), (1e150), (-1e150);
SELECT x, vgm_component(m, x) AS component, round(vgm_alpha(m, x)::numeric, 6) AS alpha
FROM mc_wide, mc_extreme ORDER BY x;
SELECT b.clipped_low, b.clipped_high,
       b.clipped_low = (SELECT count(*) FROM mc_wide, mc_extreme WHERE vgm_alpha(m, x) = -0.99) AS low_as_alpha,
       b.clipped_high = (SELECT count(*) FROM mc_wide, mc_extreme WHERE vgm_alpha(m, x) = 0.99) AS high_as_alpha
FROM (SELECT (vgm_bounds(m, x)).* FROM mc_wide, mc_extreme) b;
-- and on ordinary data: the clipped counts of a fitted model equal the clipped alphas
SELECT b.clipped_low + b.clipped_high > 0 AS some_clipped,
       b.clipped_low = c.low AND b.clipped_high = c.high AS bounds_as_alpha
FROM (SELECT (vgm_bounds(m, x)).* FROM mc_models, mc_data WHERE g = 5) b,
     (SELECT count(*) FILTER (WHERE vgm_alpha(m, x) = -0.99) AS low,
             count(*) FILTER (WHERE vgm_alpha(m, x) = 0.99) AS high
      FROM mc_models, mc_data WHERE g = 5) c;

DROP TABLE mc_data, mc_models, mc_ref, mc_wide, mc_extreme;
