-- demo/plot.sql - histogram data for the picture, computed in SQL and
-- written with \copy into the directory :'datadir' (CSV files plus
-- plot_vars.gp, the gnuplot settings that depend on the data).
--
-- The x axis is a signed log scale, s(x) = sign(x) log10(1 + |x|): it shows
-- refunds (negative), small purchases and the heavy right tail in one
-- picture.  Densities are per unit of s.  The model curves are the model's
-- expected histogram on the same bins, (F(b) - F(a)) / (s(b) - s(a)) with
-- F the mixture CDF (vgm_cdf), or w_c (Phi(b) - Phi(a)) / ... for one
-- component, so bars and curves are directly comparable and a very narrow
-- component (a point mass) shows up as the spike it really is.
SET client_min_messages = warning;
\ir models.sql

CREATE FUNCTION pg_temp.s(x float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT sign(x) * log(1 + abs(x)) $$;
CREATE FUNCTION pg_temp.s_inv(y float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT sign(y) * (10 ^ abs(y) - 1) $$;

-- plotted range: data and synthetic sample, rounded out to quarter decades
-- plus a quarter decade on each side
SELECT (floor(4 * pg_temp.s(least(d.lo, s.lo))) - 1) / 4 AS lo,
       (ceil(4 * pg_temp.s(greatest(d.hi, s.hi))) + 1) / 4 AS hi,
       240 AS nbins, d.n AS n_data, s.n AS n_synth
FROM (SELECT min(amount) AS lo, max(amount) AS hi, count(amount) AS n FROM demo.transactions) d,
     (SELECT min(amount) AS lo, max(amount) AS hi, count(amount) AS n FROM demo.synthetic) s \gset

CREATE TEMP TABLE bins AS
SELECT b, y0, y1, (y0 + y1) / 2 AS y, pg_temp.s_inv(y0) AS x0, pg_temp.s_inv(y1) AS x1,
       y1 - y0 AS dy
FROM (SELECT b, :lo + (b - 1) * (:hi - :lo) / :nbins::float8 AS y0,
             :lo + b * (:hi - :lo) / :nbins::float8 AS y1
      FROM generate_series(1, :nbins) b) g;

CREATE TEMP TABLE hist AS
SELECT bins.*, coalesce(d.c, 0) AS n_data, coalesce(s.c, 0) AS n_synth
FROM bins
LEFT JOIN (SELECT width_bucket(pg_temp.s(amount), :lo, :hi, :nbins) AS b, count(*) AS c
           FROM demo.transactions WHERE amount IS NOT NULL GROUP BY 1) d USING (b)
LEFT JOIN (SELECT width_bucket(pg_temp.s(amount), :lo, :hi, :nbins) AS b, count(*) AS c
           FROM demo.synthetic GROUP BY 1) s USING (b);

-- the model with atoms (demo/atoms.sql), when there is one: its CDF jumps
-- at each atom, so its expected histogram has the spike in the atom's bin
SELECT EXISTS (SELECT FROM demo.models WHERE name = 'atoms') AS have_atoms \gset
CREATE TEMP TABLE hist_out AS
SELECT b, round(y::numeric, 5) AS s_mid,
       n_data::float8 / :n_data / dy AS data,
       n_synth::float8 / :n_synth / dy AS synthetic,
       (vgm_cdf(:'model', x1) - vgm_cdf(:'model', x0)) / dy AS model,
       n_data, n_synth,
       (vgm_cdf(a.m, x1) - vgm_cdf(a.m, x0)) / dy AS model_atoms
FROM hist LEFT JOIN demo.models a ON a.name = 'atoms';
CREATE TEMP TABLE components_out AS
SELECT c.component, h.b, round(h.y::numeric, 5) AS s_mid,
       c.weight * (report.norm_cdf((h.x1 - c.mean) / c.stddev)
                   - report.norm_cdf((h.x0 - c.mean) / c.stddev)) / h.dy AS density
FROM vgm_components(:'model') c, bins h
WHERE c.valid;

-- \copy takes no psql variables, so change into the output directory first
\cd :datadir
\copy (SELECT s_mid, data, synthetic, model, n_data, n_synth, model_atoms FROM hist_out ORDER BY b) TO 'hist.csv' WITH (FORMAT csv, HEADER)
\copy (SELECT component, s_mid, density FROM components_out ORDER BY component, b) TO 'components.csv' WITH (FORMAT csv, HEADER)

-- gnuplot settings that depend on the data
\pset format unaligned
\pset tuples_only on
\o plot_vars.gp
SELECT format('lo = %s; hi = %s; rows_str = "%s"; n_data_str = "%s"; n_synth_str = "%s"',
              :lo, :hi, to_char((SELECT count(*) FROM demo.transactions), 'FM999,999,999,999'),
              to_char(:n_data, 'FM999,999,999,999'), to_char(:n_synth, 'FM999,999,999,999'));
SELECT format('ks_model = "%s"; ks_synth = "%s"', report.num(d_model), report.num(d_synthetic))
FROM report.ks;
SELECT format('have_atoms = %s; ks_atoms = "%s"; n_atoms = %s', CASE WHEN :'have_atoms'::boolean THEN 1 ELSE 0 END,
              coalesce(report.num((SELECT (vgm_ks(a.m, t.amount)).statistic FROM demo.transactions t, demo.models a
                                   WHERE a.name = 'atoms' GROUP BY a.m)), ''),
              (SELECT count(*) FROM demo.models a, vgm_components(a.m) c WHERE a.name = 'atoms' AND c.atom));
SELECT format('n_valid = %s; n_comp = %s; max_density = %s', n_valid, n_components,
              (SELECT max(greatest(n_data::float8 / :n_data / dy, n_synth::float8 / :n_synth / dy)) FROM hist))
FROM vgm_diagnostics(:'model');
-- one title per valid component, for the legend
SELECT format('array ctitle[%s]', count(*)) FROM vgm_components(:'model') WHERE valid;
SELECT format('ctitle[%s] = "%s: w %s, mean %s, sd %s"', component + 1, component,
              to_char(weight, 'FM0.000'), report.num(mean), report.num(stddev))
FROM vgm_components(:'model') WHERE valid ORDER BY component;
-- tics at the decades (labelled) and at 2..9 times each decade (minor)
SELECT 'set xtics (' || string_agg(format('"%s" %s %s', CASE WHEN m = 1 THEN to_char(v, 'FM999,999,990') ELSE '' END,
                                          round(pg_temp.s(v)::numeric, 5), CASE WHEN m = 1 THEN 0 ELSE 1 END),
                                   ', ' ORDER BY v) || ')'
FROM (SELECT sgn * m * 10 ^ e AS v, m
      FROM generate_series(0, 7) e, generate_series(1, 9) m, (VALUES (-1), (1)) sg(sgn)
      UNION ALL SELECT 0, 1) t
WHERE pg_temp.s(v) BETWEEN :lo AND :hi;
-- the two largest point masses, labelled
SELECT format('set label %s "%s (%s %%)" at %s, %s center offset 0, 0.8 font ",9"', r + 10,
              to_char(x, 'FM999,990.00'), to_char(100 * c::float8 / :n_data, 'FM990.0'),
              round(pg_temp.s(x)::numeric, 5), h.data)
FROM (SELECT amount AS x, count(*) AS c, row_number() OVER (ORDER BY count(*) DESC) AS r
      FROM demo.transactions WHERE amount IS NOT NULL GROUP BY amount) a
JOIN hist_out h ON h.b = width_bucket(pg_temp.s(a.x), :lo, :hi, :nbins)
WHERE r <= 2 AND c >= 0.01 * :n_data;
\o
