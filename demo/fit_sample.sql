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
-- Not converging within max_iter is a warning, as in scikit-learn.
SELECT report.fit('sample', format('vgm_fit(amount) on a %s%% sample', :'pct'), :'t0',
                  'sample fit converged');
