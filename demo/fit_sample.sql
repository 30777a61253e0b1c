-- demo/fit_sample.sql - fit on a block sample of the table.
-- psql variable: pct (sample percentage; 1 for a large table).
-- TABLESAMPLE SYSTEM picks whole pages, REPEATABLE fixes which ones.
SET client_min_messages = warning;
DROP TABLE IF EXISTS demo.models;
CREATE TABLE demo.models (
    name      text PRIMARY KEY,
    fitted_on text NOT NULL,
    rows      bigint NOT NULL,
    m         vgm_model NOT NULL
);

SELECT clock_timestamp() AS t0 \gset
INSERT INTO demo.models (name, fitted_on, rows, m)
SELECT 'sample', :'pct' || '% sample', count(*), vgm_fit(amount)
FROM demo.transactions TABLESAMPLE SYSTEM (:pct) REPEATABLE (42);
SELECT report.timed(format('vgm_fit(amount) on a %s%% sample', :'pct'), :'t0', models.rows,
                    format('VB-EM %s s: %s iterations on %s summary points',
                           round((fit_ms / 1000)::numeric, 2), to_char(iterations, 'FM999,999,999'),
                           to_char(points, 'FM999,999,999')))
FROM demo.models, vgm_diagnostics(m) WHERE name = 'sample';

-- Not converging within max_iter is a warning, as in scikit-learn.
SELECT report.check('fit', 'sample fit converged',
                    format('%s iterations%s', iterations, CASE WHEN NOT converged THEN ' (max_iter reached)' ELSE '' END),
                    'converged', converged, warn_only => true)
FROM demo.models, vgm_diagnostics(m) WHERE name = 'sample';
