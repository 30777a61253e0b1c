-- demo/report.sql - prints the demo's report from the tables the steps
-- filled (schema report).
SET client_min_messages = warning;
\pset footer off
\pset null '-'
\ir models.sql

\echo
\echo '================================================================================'
SELECT format(' vgm demo report: %s transactions, %s',
              to_char(:n_rows, 'FM999,999,999,999'),
              (SELECT 'vgm ' || extversion FROM pg_extension WHERE extname = 'vgm')
              || ', PostgreSQL ' || current_setting('server_version')) AS title \gset
\echo :title
\ir native.sql
\if :native
\echo ' validation with vgm''s own API: vgm_validate, vgm_ks, vgm_ks_2samp, vgm_moments'
\else
\echo ' validation with the demo''s plain-SQL helpers (demo/setup.sql), not vgm''s API'
\endif
\echo '================================================================================'

\echo
\echo 'DATA  demo.transactions, generated in SQL with setseed(0.42); amounts rounded to cents'
SELECT d.category,
       to_char(d.rows, 'FM999,999,999') AS rows,
       to_char(100.0 * d.rows / sum(d.rows) OVER (), 'FM990.0') || ' %' AS share,
       report.num(d.min) AS min, report.num(d.median) AS median, report.num(d.max) AS max
FROM report.data_summary d
ORDER BY CASE WHEN d.min IS NULL THEN 2 WHEN d.min < 0 THEN 1 ELSE 0 END, d.median;

\echo
\echo 'MODELS  valid components, ordered by mean (weights are shares of the rows)'
SELECT name AS model, fitted_on AS "fitted on", to_char(rows, 'FM999,999,999') AS rows,
       format('%s of %s', n_valid, n_components) AS "valid components",
       format('%s%s', iterations, CASE WHEN converged THEN ', converged' ELSE ', NOT converged' END)
           AS "VB-EM iterations",
       to_char(summary_points, 'FM999,999,999') AS "summary points",
       round(loglik_per_row::numeric, 4) AS "log-lik/row (all rows)",
       round(ks_d::numeric, 4) AS "KS D (all rows)"
FROM report.model_fit ORDER BY rows;
SELECT r AS "#",
       s_component AS "sample: c", to_char(s_weight, 'FM0.0000') AS weight,
       report.num(s_mean) AS mean, report.num(s_stddev) AS stddev,
       f_component AS "whole table: c", to_char(f_weight, 'FM0.0000') AS weight,
       report.num(f_mean) AS mean, report.num(f_stddev) AS stddev
FROM report.components_side ORDER BY r;
SELECT format('largest difference between the two models'' CDFs: %s', report.num(cdf_distance)) AS line
FROM report.model_distance \gset
\echo :line

\echo
\echo 'NORMALIZED  demo.transactions_normalized (whole-table model); c = component number used by the transforms'
SELECT coalesce(component::text, '-') AS c, index AS "posterior index",
       to_char(weight, 'FM0.0000') AS weight, report.num(mean) AS mean, report.num(stddev) AS stddev,
       to_char(rows, 'FM999,999,999') AS "rows encoded",
       to_char(100.0 * rows / nullif(sum(rows) OVER (), 0), 'FM990.00') || ' %' AS share,
       CASE WHEN valid THEN round(mean_alpha::numeric, 3)::text ELSE 'not valid' END AS "mean alpha",
       CASE WHEN valid THEN round(sd_alpha::numeric, 3)::text END AS "sd alpha",
       clipped AS "clipped"
FROM report.components_used ORDER BY index;

\echo
\echo 'MOMENTS  skewness and excess kurtosis as SciPy computes them (bias=True)'
SELECT source, to_char(n, 'FM999,999,999') AS n, report.num(mean) AS mean, report.num(stddev) AS stddev,
       report.num(skewness) AS skewness, report.num(excess_kurtosis) AS "excess kurtosis",
       report.num(min) AS min, report.num(max) AS max
FROM report.moments ORDER BY ord;

\echo
\echo 'JOINT  one mixture over (amount, hour of day), full covariances: vgm_joint_fit(ARRAY[amount, hour])'
SELECT dims, format('%s of %s', n_valid, n_components) AS "valid components",
       to_char(rows, 'FM999,999,999') AS rows, skipped_rows AS "skipped (NULL amount)",
       to_char(points, 'FM999,999,999') AS "summary points",
       format('%s%s', iterations, CASE WHEN converged THEN ', converged' ELSE ', NOT converged' END)
           AS "VB-EM iterations"
FROM report.joint_fit;
SELECT index AS "#", to_char(weight, 'FM0.0000') AS weight, report.num(amount_mean) AS "amount mean",
       report.num(amount_sd) AS "amount sd", report.num(hour_mean) AS "hour mean",
       report.num(hour_sd) AS "hour sd", round(correlation::numeric, 3) AS correlation
FROM report.joint_components WHERE valid ORDER BY amount_mean;
\echo 'the 10 rarest pairs (log density of the pair, and of each column alone under vgm_marginal):'
SELECT rank AS "#", id, category, report.num(amount) AS amount, to_char(hour, 'FM90.00') AS hour,
       round(log_density::numeric, 2) AS "log density", round(amount_alone::numeric, 2) AS "amount alone",
       round(hour_alone::numeric, 2) AS "hour alone"
FROM report.joint_anomalies ORDER BY rank;
\echo 'rare only as a pair: log p(pair) - log p(amount) - log p(hour) lowest (each column ordinary alone):'
SELECT id, category, report.num(amount) AS amount, to_char(hour, 'FM90.00') AS hour,
       round(log_density::numeric, 2) AS "log density", round(amount_alone::numeric, 2) AS "amount alone",
       round(hour_alone::numeric, 2) AS "hour alone", round(pair_excess::numeric, 2) AS "pair - columns"
FROM report.joint_pair_only ORDER BY pair_excess;
\echo 'share of amounts within 9-11 at night (0:00-5:00) and by day (8:00-20:00):'
SELECT source, report.num(night_share_near_9_99) AS night, report.num(day_share_near_9_99) AS day
FROM report.joint_night ORDER BY source;

\echo
\echo 'CHECKS'
SELECT step, name AS "check", value, threshold,
       CASE WHEN passed THEN 'PASS' WHEN NOT passed AND warn_only THEN 'WARN'
            WHEN NOT passed THEN 'FAIL' ELSE 'info' END AS result
FROM report.checks ORDER BY id;
SELECT count(*) FILTER (WHERE passed) AS n_passed,
       count(*) FILTER (WHERE NOT passed AND NOT warn_only) AS n_failed,
       count(*) FILTER (WHERE NOT passed AND warn_only) AS n_warn,
       count(*) FILTER (WHERE passed IS NULL) AS n_info
FROM report.checks \gset
SELECT format('%s passed, %s failed, %s warnings, %s for information',
              :n_passed, :n_failed, :n_warn, :n_info) AS line \gset
\echo :line

\echo
\echo 'TIMINGS  server-side time of each operation'
SELECT step AS operation, to_char(rows, 'FM999,999,999') AS rows,
       to_char(seconds, 'FM9990.00') AS seconds,
       to_char(rows / nullif(seconds, 0), 'FM999,999,999') AS "rows/s",
       coalesce(note, '') AS note
FROM report.timings ORDER BY id;
