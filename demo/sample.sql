-- demo/sample.sql - synthetic amounts drawn from the model (as many as the
-- data has non-NULL amounts), compared with the original column: moments,
-- two-sample KS (natively or in plain SQL, see demo/validate.sql), range.
SET client_min_messages = warning;
\ir models.sql
\ir native.sql

SELECT count(amount) AS n_amount FROM demo.transactions \gset
DROP TABLE IF EXISTS demo.synthetic;
SELECT clock_timestamp() AS t0 \gset
CREATE TABLE demo.synthetic AS
SELECT i AS id, x AS amount
FROM vgm_sample(:'model', :n_amount, 42) WITH ORDINALITY AS s(x, i);
SELECT report.timed('vgm_sample into a new table', :'t0', :n_amount);
ANALYZE demo.synthetic;

\if :native
INSERT INTO report.moments
SELECT 4, 'synthetic (vgm_sample)', (m).rows, (m).mean, (m).stddev, (m).skewness, (m).kurtosis,
       (m).min, (m).max
FROM (SELECT vgm_moments(amount) AS m FROM demo.synthetic) s;
SELECT clock_timestamp() AS t0 \gset
UPDATE report.ks SET d_synthetic = k.statistic, p_synthetic = k.pvalue
FROM (SELECT (vgm_ks_2samp(a.s, b.s)).*
      FROM (SELECT vgm_ks_state(:'model', amount) AS s FROM demo.transactions) a,
           (SELECT vgm_ks_state(:'model', amount) AS s FROM demo.synthetic) b) k;
SELECT report.timed('vgm_ks_2samp(vgm_ks_state x 2): two-sample KS', :'t0', 2 * :n_amount);
\else
INSERT INTO report.moments
SELECT 4, 'synthetic (vgm_sample)', * FROM report.moments('demo.synthetic', 'amount');
SELECT clock_timestamp() AS t0 \gset
UPDATE report.ks SET d_synthetic = report.ks_2samp('demo.transactions', 'amount', 'demo.synthetic', 'amount');
SELECT report.timed('KS synthetic vs data (plain SQL: sort both)', :'t0', 2 * :n_amount);
\endif

-- two samples of n rows: tolerances for n/2 independent rows
WITH d AS (SELECT *, report.tol_mean(n / 2.0) AS tm, report.tol_stddev(n / 2.0, excess_kurtosis) AS ts
           FROM report.moments WHERE ord = 1),
     s AS (SELECT * FROM report.moments WHERE ord = 4),
     o AS (SELECT count(*) FILTER (WHERE amount < d.min OR amount > d.max) AS outside, count(*) AS n
           FROM demo.synthetic, d)
SELECT report.check('synthetic', 'synthetic mean vs data (|diff| / data stddev)',
                    report.num(abs(s.mean - d.mean) / d.stddev),
                    format('<= %s (4 std errors)', report.num(d.tm)),
                    abs(s.mean - d.mean) / d.stddev <= d.tm),
       report.check('synthetic', 'synthetic stddev vs data (relative diff)',
                    report.num(abs(s.stddev / d.stddev - 1)),
                    format('<= %s (4 std errors)', report.num(d.ts)),
                    abs(s.stddev / d.stddev - 1) <= d.ts),
       report.check('synthetic', 'synthetic values outside the training [min, max]',
                    format('%s (%s rows)', report.num(o.outside::float8 / o.n), o.outside), '<= 0.01',
                    o.outside <= 0.01 * o.n)
FROM d, s, o;

SELECT report.check('synthetic', 'KS synthetic vs data (two-sample D)',
                    report.num(d_synthetic) || CASE WHEN p_synthetic IS NOT NULL THEN ', p ' || report.num(p_synthetic) ELSE '' END,
                    '<= ' || report.num(report.ks_tol(floor, :n_amount / 2.0)) || ' (floor + 0.05 + 1% crit.)',
                    d_synthetic <= report.ks_tol(floor, :n_amount / 2.0))
FROM report.ks;

SELECT report.check('synthetic', 'vgm_sample reproducible for a seed',
                    CASE WHEN a = b THEN 'same 1000 draws twice' ELSE 'draws differ' END,
                    'identical', a = b)
FROM (SELECT array_agg(x ORDER BY i) AS a FROM vgm_sample(:'model', 1000, 7) WITH ORDINALITY s(x, i)) s1,
     (SELECT array_agg(x ORDER BY i) AS b FROM vgm_sample(:'model', 1000, 7) WITH ORDINALITY s(x, i)) s2;
