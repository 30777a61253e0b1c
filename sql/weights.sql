-- weighted rows: weights are relative, so a fit does not depend on their scale
SET extra_float_digits = 0;

-- one third of the rows in 100..101, two thirds in 0..1 (a deterministic spread)
CREATE TABLE wt_data AS
SELECT i, (i % 4) AS g,
       (CASE WHEN i % 3 = 0 THEN 100 ELSE 0 END + ((i * 7919) % 10007) / 10007.0)::float8 AS x
FROM generate_series(1, 30000) i;

-- the same rows fitted with weights 1, 1e-3, 1/30000 (summing to 1), 1e-200 and 1e6
CREATE TABLE wt_fits AS
SELECT s.name, vgm_fit(vgm_summarize(x, s.w)) AS m
FROM wt_data,
     (VALUES ('1', 1::float8), ('1e-3', 1e-3), ('1/rows', 1.0 / 30000), ('1e-200', 1e-200),
             ('1e6', 1e6)) s(name, w)
GROUP BY s.name;
INSERT INTO wt_fits SELECT 'unweighted', vgm_fit(vgm_summarize(x)) FROM wt_data;

-- every scale finds both modes with the same weights, means and spreads
SELECT name, component, round(weight::numeric, 4) AS weight, round(mean::numeric, 3) AS mean,
       round(stddev::numeric, 3) AS stddev
FROM wt_fits, vgm_components(m) WHERE valid
ORDER BY name, component;

-- ... equal to rounding, not just to the printed digits
SELECT f.name,
       (SELECT max(abs(a - b) / abs(b)) FROM unnest(vgm_means(f.m), vgm_means(u.m)) t(a, b)) < 1e-12 AS same_means,
       (SELECT max(abs(a - b)) FROM unnest(vgm_weights(f.m), vgm_weights(u.m)) t(a, b)) < 1e-12 AS same_weights,
       (SELECT max(abs(a - b) / b) FROM unnest(vgm_stddevs(f.m), vgm_stddevs(u.m)) t(a, b)) < 1e-12 AS same_stddevs,
       vgm_valid_components(f.m) AS valid
FROM wt_fits f, wt_fits u WHERE u.name = 'unweighted' ORDER BY f.name;

-- the fit sees the weights rescaled to the row count, whatever they summed to
SELECT name, rows, round(total_weight::numeric, 6) AS total_weight,
       round(lower_bound_per_weight::numeric, 6) AS lower_bound_per_weight
FROM wt_fits, vgm_diagnostics(m) ORDER BY name;

-- weights that are counts times a power of two give the unweighted model bit for bit
SELECT (SELECT vgm_fit(vgm_summarize(x, w))::jsonb - 'fit' FROM wt_data)
     = (SELECT m::jsonb - 'fit' FROM wt_fits WHERE name = 'unweighted') AS same_model,
       w
FROM (VALUES (1::float8), (2), (0.5), (2 ^ -600::float8)) v(w);

-- unequal weights: what matters is their ratio (3:1 against the 100 mode)
SELECT s, round(weight::numeric, 4) AS weight, round(mean::numeric, 3) AS mean
FROM (VALUES (1::float8), (1e-100), (1e100)) v(s),
     LATERAL (SELECT vgm_fit(vgm_summarize(x, s * CASE WHEN x > 50 THEN 1 ELSE 3 END)) AS m FROM wt_data) f,
     vgm_components(f.m)
WHERE valid ORDER BY s, component;

-- summaries rolled up: rows and weights add, and the fit equals the one over all rows
CREATE TABLE wt_parts AS SELECT g, vgm_summarize(x, 1.0 / 30000) AS s FROM wt_data GROUP BY g;
SELECT (SELECT vgm_means(vgm_fit(vgm_rollup(s))) FROM wt_parts)::numeric(10,3)[]
     = (SELECT vgm_means(m) FROM wt_fits WHERE name = 'unweighted')::numeric(10,3)[] AS rollup_same_means,
       (SELECT rows FROM vgm_diagnostics((SELECT vgm_fit(vgm_rollup(s)) FROM wt_parts))) AS rows;

-- vgm_moments: the sample variance counts rows, so it does not depend on the scale either
SELECT w, n < 2 AS weight_below_2, rows,
       abs(variance / (SELECT variance FROM vgm_moments((SELECT vgm_summarize(x) FROM wt_data))) - 1) < 1e-12
         AS same_variance,
       round(variance_pop::numeric, 4) AS variance_pop
FROM (VALUES (1::float8), (1.0 / 30000), (1e-200)) v(w),
     vgm_moments((SELECT vgm_summarize(x, w) FROM wt_data));

-- totals that cannot be rescaled: an error, never a silently different model
CREATE FUNCTION wt_error(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  state text;
  msg text;
  detail text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
  RETURN state || ': ' || msg || E'\n' || detail;
END $$;
-- a total below the smallest normal double (2.2e-308)
SELECT wt_error('SELECT vgm_fit(vgm_summarize(x, 1e-320)) FROM wt_data');
-- subnormal weights that make up the total have lost precision
SELECT wt_error('SELECT vgm_fit(vgm_summarize(x, 1e-310)) FROM wt_data');
-- a stray subnormal weight next to ordinary ones is negligible, and fits
SELECT vgm_valid_components(vgm_fit(vgm_summarize(x, CASE WHEN i = 1 THEN 1e-310 ELSE 1 END)))
FROM wt_data;
