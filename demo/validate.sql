-- demo/validate.sql - is the model a faithful description of the column, and
-- is the decoded column the original one?  Moments side by side (data, model
-- in closed form, decoded data), KS statistics, bounds.
--
-- Two ways, chosen automatically:
--   native     vgm's validation API (src/validate_*.c): vgm_moments,
--              vgm_model_moments, vgm_ks / vgm_ks_state / vgm_ks_2samp and
--              the one-scan report vgm_validate(model, table, column, ...);
--   plain SQL  the helpers of demo/setup.sql, for a vgm without that API
--              (or with psql variable plain_sql=1, to compare the two).
-- Both fill report.moments and report.ks; the checks are made from those.
SET client_min_messages = warning;
\ir models.sql
\ir native.sql

DROP TABLE IF EXISTS report.moments;
CREATE TABLE report.moments (ord int, source text, n bigint, mean float8, stddev float8,
                             skewness float8, excess_kurtosis float8, min float8, max float8);

-- The largest point mass: no continuous distribution gets closer than half
-- its share to the data's empirical CDF, so that floor is part of the KS
-- thresholds.  (With a million rows any p-value is ~0, so the checks use
-- the statistic itself.)
DROP TABLE IF EXISTS report.ks;
CREATE TABLE report.ks AS
SELECT a.x AS atom, a.share AS atom_share, a.share / 2 AS floor,
       NULL::float8 AS d_model, NULL::float8 AS p_model,
       NULL::float8 AS d_decoded, NULL::float8 AS p_decoded,
       NULL::float8 AS d_synthetic, NULL::float8 AS p_synthetic
FROM report.largest_atom('demo.transactions', 'amount') a;
SELECT report.ks_tol(floor, count(amount)) AS ks_max FROM report.ks, demo.transactions
GROUP BY floor \gset
SELECT report.check('KS', 'point-mass floor of KS D against a continuous model',
                    format('%s holds %s %% of the rows: D >= %s', report.num(atom),
                           to_char(100 * atom_share, 'FM990.0'), report.num(floor)),
                    'information', NULL)
FROM report.ks;

\if :native
-- ---- native: vgm's validation API -----------------------------------------
SELECT clock_timestamp() AS t0 \gset
INSERT INTO report.moments
SELECT 1, 'data', (m).rows, (m).mean, (m).stddev, (m).skewness, (m).kurtosis, (m).min, (m).max
FROM (SELECT vgm_moments(amount) AS m FROM demo.transactions) s;
SELECT report.timed('vgm_moments(amount)', :'t0', :n_rows);

INSERT INTO report.moments
SELECT 2, 'model (vgm_model_moments)', NULL, mm.mean, mm.stddev, mm.skewness, mm.kurtosis, d.min, d.max
FROM vgm_model_moments(:'model') mm, vgm_diagnostics(:'model') d;

INSERT INTO report.moments
SELECT 3, 'decoded', (m).rows, (m).mean, (m).stddev, (m).skewness, (m).kurtosis, (m).min, (m).max
FROM (SELECT vgm_moments(amount) AS m FROM demo.transactions_decoded) s;

SELECT clock_timestamp() AS t0 \gset
UPDATE report.ks SET d_model = (k.r).statistic, p_model = (k.r).pvalue
FROM (SELECT vgm_ks(:'model', amount) AS r FROM demo.transactions) k;
SELECT report.timed('vgm_ks(model, amount): one-sample KS', :'t0', :n_rows);

-- two-sample KS: both columns histogrammed in the model's coordinates
UPDATE report.ks SET d_decoded = k.statistic, p_decoded = k.pvalue
FROM (SELECT (vgm_ks_2samp(a.s, b.s)).*
      FROM (SELECT vgm_ks_state(:'model', amount) AS s FROM demo.transactions) a,
           (SELECT vgm_ks_state(:'model', amount) AS s FROM demo.transactions_decoded) b) k;

-- the one-scan report, with thresholds for this data: the KS p-value is not
-- checked (it is ~0 for any model at this size), the statistic is, with the
-- point-mass floor; skewness within 10 % of the data's.  The excess kurtosis
-- is reported, not checked: on this heavy-tailed column the data's is set by
-- its few largest refunds and the model's by its widest component, so the
-- two move by tens of percent between equally good fits (vgm_validate
-- leaves it unchecked by default too)
SELECT skewness AS d_skew FROM report.moments WHERE ord = 1 \gset
SELECT clock_timestamp() AS t0 \gset
INSERT INTO report.checks (step, name, value, threshold, passed)
SELECT 'vgm_validate', v."check", report.num(v.statistic),
       report.threshold(v."check", v.threshold), v.passed
FROM vgm_validate(:'model', 'demo.transactions', 'amount',
                  ks_pvalue_min => NULL,
                  ks_statistic_max => :ks_max,
                  mean_tol => 0.01,
                  std_tol => 0.02,
                  skewness_tol => 0.1 * abs(:d_skew),
                  kurtosis_tol => NULL,
                  outside_max => 0.001,
                  clipped_max => 0.01,
                  nonfinite_max => 0) v;
SELECT report.timed('vgm_validate: KS, moments and bounds in one scan', :'t0', :n_rows);
UPDATE report.checks SET threshold = threshold || ' (floor + 0.05 + 1% crit.)'
WHERE step = 'vgm_validate' AND name = 'ks_statistic';

\else
-- ---- plain SQL (demo/setup.sql) -------------------------------------------
SELECT clock_timestamp() AS t0 \gset
INSERT INTO report.moments
SELECT 1, 'data', * FROM report.moments('demo.transactions', 'amount');
SELECT report.timed('moments of a column (plain SQL, two passes)', :'t0', :n_rows);
INSERT INTO report.moments
SELECT 2, 'model (closed form)', NULL, mm.*, d.min, d.max
FROM report.model_moments(:'model') mm, vgm_diagnostics(:'model') d;
INSERT INTO report.moments
SELECT 3, 'decoded', * FROM report.moments('demo.transactions_decoded', 'amount');

SELECT clock_timestamp() AS t0 \gset
UPDATE report.ks SET d_model = report.ks_model('demo.transactions', 'amount', :'model');
SELECT report.timed('KS data vs model (plain SQL: sort, vgm_cdf per distinct value)', :'t0', :n_rows);
UPDATE report.ks
SET d_decoded = report.ks_2samp('demo.transactions', 'amount', 'demo.transactions_decoded', 'amount');

-- the checks vgm_validate would make
WITH d AS (SELECT * FROM report.moments WHERE ord = 1),
     m AS (SELECT * FROM report.moments WHERE ord = 2)
SELECT report.check('moments', 'model mean vs data (|diff| / stddev)',
                    report.num(abs(m.mean - d.mean) / m.stddev), '<= 0.01',
                    abs(m.mean - d.mean) / m.stddev <= 0.01),
       report.check('moments', 'model stddev vs data (relative diff)',
                    report.num(abs(d.stddev / m.stddev - 1)), '<= 0.02',
                    abs(d.stddev / m.stddev - 1) <= 0.02),
       report.check('moments', 'model skewness vs data (|diff|)',
                    report.num(abs(m.skewness - d.skewness)), '<= ' || report.num(0.1 * abs(d.skewness)),
                    abs(m.skewness - d.skewness) <= 0.1 * abs(d.skewness)),
       report.check('moments', 'model excess kurtosis vs data (|diff|)',
                    report.num(abs(m.excess_kurtosis - d.excess_kurtosis)),
                    'information: heavy tails', NULL)
FROM d, m;
SELECT report.check('KS', 'KS data vs model CDF (one-sample D)', report.num(d_model),
                    '<= ' || report.num(:ks_max) || ' (floor + 0.05 + 1% crit.)', d_model <= :ks_max)
FROM report.ks;
SELECT report.check('vgm_validate', 'vgm_validate(model, table, column)',
                    CASE WHEN EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'vgm_validate')
                         THEN 'skipped (plain_sql = 1)' ELSE 'not in this vgm' END,
                    'information', NULL);
\endif

-- ---- checks on the decoded column, either way ------------------------------
WITH d AS (SELECT * FROM report.moments WHERE ord = 1),
     r AS (SELECT * FROM report.moments WHERE ord = 3)
SELECT report.check('decoded', 'decoded mean and stddev vs data (largest relative diff)',
                    report.num(greatest(abs(r.mean - d.mean) / d.stddev, abs(r.stddev / d.stddev - 1))),
                    'information: only clipped rows move', NULL)
FROM d, r;
SELECT report.check('decoded', 'KS decoded vs data (two-sample D)',
                    report.num(d_decoded) || CASE WHEN p_decoded IS NOT NULL THEN ', p ' || report.num(p_decoded) ELSE '' END,
                    '<= 0.005', d_decoded <= 0.005)
FROM report.ks;
