-- demo/compare.sql - the sample model next to the whole-table model.
SET client_min_messages = warning;
\ir models.sql
\ir native.sql

-- valid components of each model, ordered by mean, side by side
DROP TABLE IF EXISTS report.components_side;
CREATE TABLE report.components_side AS
WITH c AS (
    SELECT name, component, weight, mean, stddev,
           row_number() OVER (PARTITION BY name ORDER BY mean) AS r
    FROM demo.models, vgm_components(m)
    WHERE valid
)
SELECT r, s.component AS s_component, s.weight AS s_weight, s.mean AS s_mean, s.stddev AS s_stddev,
          f.component AS f_component, f.weight AS f_weight, f.mean AS f_mean, f.stddev AS f_stddev
FROM (SELECT * FROM c WHERE name = 'sample') s
FULL JOIN (SELECT * FROM c WHERE name = 'full') f USING (r);

-- how well each model describes the WHOLE table
DROP TABLE IF EXISTS report.model_fit;
CREATE TABLE report.model_fit AS
SELECT name, fitted_on, models.rows, d.n_valid, d.n_components, d.iterations, d.converged,
       d.fit_ms, d.points AS summary_points,
       NULL::float8 AS mix_mean, NULL::float8 AS mix_stddev,
       NULL::float8 AS loglik_per_row, NULL::float8 AS ks_d
FROM demo.models, vgm_diagnostics(m) d;
\if :native
UPDATE report.model_fit f SET mix_mean = mm.mean, mix_stddev = mm.stddev
FROM demo.models, vgm_model_moments(m) mm WHERE models.name = f.name;
\else
UPDATE report.model_fit f SET mix_mean = mm.mean, mix_stddev = mm.stddev
FROM demo.models, report.model_moments(m) mm WHERE models.name = f.name;
\endif

SELECT clock_timestamp() AS t0 \gset
UPDATE report.model_fit SET loglik_per_row = CASE name WHEN 'sample' THEN ll.s ELSE ll.f END
FROM (SELECT avg(vgm_log_density(:'model_sample', amount)) AS s,
             avg(vgm_log_density(:'model', amount)) AS f
      FROM demo.transactions) ll;
SELECT report.timed('vgm_log_density, both models', :'t0', :n_rows,
                    'mean log-likelihood per row');
\if :native
UPDATE report.model_fit SET ks_d = CASE name WHEN 'sample' THEN (k.s).statistic ELSE (k.f).statistic END
FROM (SELECT vgm_ks(:'model_sample', amount) AS s, vgm_ks(:'model', amount) AS f
      FROM demo.transactions) k;
\else
UPDATE report.model_fit SET ks_d = report.ks_model('demo.transactions', 'amount', :'model_sample')
WHERE name = 'sample';
UPDATE report.model_fit SET ks_d = report.ks_model('demo.transactions', 'amount', :'model')
WHERE name = 'full';
\endif

-- largest distance between the two models' CDFs, over the data's values
DROP TABLE IF EXISTS report.model_distance;
CREATE TABLE report.model_distance AS
SELECT max(abs(vgm_cdf(:'model_sample', x) - vgm_cdf(:'model', x))) AS cdf_distance
FROM (SELECT DISTINCT amount AS x FROM demo.transactions WHERE amount IS NOT NULL) v;

-- the sample model should get the overall shape right, within the sampling
-- error of its sample (report.tol_mean, report.tol_stddev)
\if :native
SELECT (m).mean AS d_mean, (m).stddev AS d_stddev, (m).kurtosis AS d_kurt
FROM (SELECT vgm_moments(amount) AS m FROM demo.transactions) s \gset
\else
SELECT mean AS d_mean, stddev AS d_stddev, excess_kurtosis AS d_kurt
FROM report.moments('demo.transactions', 'amount') \gset
\endif
WITH s AS (SELECT *, report.tol_mean(rows) AS tm, report.tol_stddev(rows, :d_kurt) AS ts
           FROM report.model_fit WHERE name = 'sample')
SELECT report.check('compare', 'sample model: mixture mean vs data (|diff| / data stddev)',
                    report.num(abs(s.mix_mean - :d_mean) / :d_stddev),
                    format('<= %s (4 std errors)', report.num(tm)),
                    abs(s.mix_mean - :d_mean) / :d_stddev <= tm),
       report.check('compare', 'sample model: mixture stddev vs data (relative diff)',
                    report.num(abs(s.mix_stddev / :d_stddev - 1)),
                    format('<= %s (4 std errors)', report.num(ts)),
                    abs(s.mix_stddev / :d_stddev - 1) <= ts)
FROM s;
