-- demo/atoms.sql - the same column modelled with atoms: vgm_fit(...,
-- atoms => true) keeps every value that holds at least 1 % of the rows and
-- stands out from its neighbouring values as a spike (docs/accuracy.md
-- section 10.1) as an exact point mass beside the mixture of the other
-- rows.  The whole-table model without atoms cannot get closer to the data
-- than half its largest spike (the KS floor of demo/validate.sql); with
-- atoms that floor is gone.
-- Checks: KS D of the atoms model against the data, two-sample KS D of its
-- synthetic draws against the data, vgm_validate of the atoms model with
-- its default thresholds, and the exact round trip of the rows at an atom
-- (normalize, then denormalize).  Needs the native API.
SET client_min_messages = warning;
\ir models.sql
\ir native.sql

\if :native
DELETE FROM demo.models WHERE name = 'atoms';
SELECT clock_timestamp() AS t0 \gset
INSERT INTO demo.models (name, fitted_on, rows, m)
SELECT 'atoms', 'whole table, atoms => true', count(*),
       vgm_fit(vgm_summarize(amount), max_components => 10, max_iter => 10000, seed => 42,
               atoms => true)
FROM demo.transactions;
SELECT report.timed('vgm_fit(vgm_summarize(amount), atoms => true) on the whole table', :'t0', models.rows,
                    format('%s atoms holding %s %% of the rows',
                           (SELECT count(*) FROM vgm_components(m) WHERE atom),
                           to_char(100 * (SELECT coalesce(sum(weight), 0) FROM vgm_components(m) WHERE atom), 'FM990.0')))
FROM demo.models WHERE name = 'atoms';
SELECT m AS model_atoms FROM demo.models WHERE name = 'atoms' \gset

SELECT report.check('atoms', 'atoms found (value: weight)',
                    coalesce(string_agg(format('%s: %s', report.num(mean), to_char(weight, 'FM0.0000')), ', ' ORDER BY mean), 'none'),
                    'information', NULL)
FROM vgm_components(:'model_atoms') WHERE atom;

-- KS D of each model against the data (the atoms model compares the data
-- with its CDF's left and right limits at each jump)
SELECT clock_timestamp() AS t0 \gset
SELECT (vgm_ks(:'model_atoms', amount)).statistic AS d_atoms,
       (vgm_ks(:'model', amount)).statistic AS d_plain
FROM demo.transactions \gset
SELECT report.timed('vgm_ks of both models (one scan)', :'t0', :n_rows);
-- the target is 0.01: the mixture beside the atoms takes a covariance
-- prior of one component's spread and a quantile start (docs/accuracy.md
-- section 10.6), so the skewed coffee amounts are no longer one Gaussian
-- (0.013 with scikit-learn's prior, section 10.3)
SELECT report.check('atoms', 'KS D of the atoms model vs data',
                    format('%s (without atoms %s)', report.num(:d_atoms), report.num(:d_plain)),
                    '<= 0.01', :d_atoms <= 0.01);

-- synthetic draws of the atoms model: the atoms drawn exactly
SELECT count(amount) AS n_amount FROM demo.transactions \gset
DROP TABLE IF EXISTS demo.synthetic_atoms;
SELECT clock_timestamp() AS t0 \gset
CREATE TABLE demo.synthetic_atoms AS
SELECT i AS id, x AS amount FROM vgm_sample(:'model_atoms', :n_amount, 42) WITH ORDINALITY AS s(x, i);
SELECT report.timed('vgm_sample of the atoms model into a new table', :'t0', :n_amount);
SELECT (vgm_ks_2samp(a.s, b.s)).statistic AS d2_atoms
FROM (SELECT vgm_ks_state(:'model_atoms', amount) AS s FROM demo.transactions) a,
     (SELECT vgm_ks_state(:'model_atoms', amount) AS s FROM demo.synthetic_atoms) b \gset
SELECT report.check('atoms', 'two-sample KS D: atoms-model draws vs data', report.num(:d2_atoms),
                    '<= 0.01', :d2_atoms <= 0.01);
-- whatever the mixture's fit, the atoms must take the spike floor away
SELECT report.check('atoms', 'KS D with atoms below the point-mass floor of the model without',
                    format('%s vs floor %s', report.num(:d_atoms), report.num(floor)),
                    '< floor', :d_atoms < floor)
FROM report.ks;

-- the atoms model through vgm_validate with its default thresholds, as the
-- model without atoms is in validate.sql: one row per check, in the report
SELECT clock_timestamp() AS t0 \gset
INSERT INTO report.checks (step, name, value, threshold, passed)
SELECT 'atoms validate', v."check", report.num(v.statistic),
       report.threshold(v."check", v.threshold), v.passed
FROM vgm_validate(:'model_atoms', 'demo.transactions', 'amount') v;
SELECT report.timed('vgm_validate of the atoms model (default thresholds)', :'t0', :n_amount);

-- the rows at an atom come back exactly through normalize and denormalize
SELECT count(*) AS n_at_atoms,
       count(*) FILTER (WHERE vgm_denormalize(:'model_atoms', (n).component, (n).alpha) = t.amount) AS n_exact
FROM demo.transactions t, LATERAL (SELECT vgm_normalize(:'model_atoms', t.amount) AS n) s
WHERE t.amount IN (SELECT mean FROM vgm_components(:'model_atoms') WHERE atom) \gset
SELECT report.check('atoms', 'rows at an atom: exact round trip',
                    format('%s of %s', :n_exact, :n_at_atoms), 'all', :n_exact = :n_at_atoms);
\endif
