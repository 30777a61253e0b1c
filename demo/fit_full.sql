-- demo/fit_full.sql - fit on the whole table: one pass builds a mergeable
-- summary (vgm_summarize), then VB-EM runs on the summary with explicit
-- options: the CTGAN/RDT defaults spelled out, and room to converge
-- (max_iter 10000: with the default 1000, the fit of this table stopped
-- unconverged when the demo was written; see docs/demo.md).
SET client_min_messages = warning;
DELETE FROM demo.models WHERE name = 'full';

SELECT clock_timestamp() AS t0 \gset
INSERT INTO demo.models (name, fitted_on, rows, m)
SELECT 'full', 'whole table', count(*),
       vgm_fit(vgm_summarize(amount), max_components => 10, max_iter => 10000, seed => 42)
FROM demo.transactions;
SELECT report.timed('vgm_fit(vgm_summarize(amount)) on the whole table', :'t0', models.rows,
                    format('VB-EM %s s: %s iterations on %s summary points',
                           round((fit_ms / 1000)::numeric, 2), to_char(iterations, 'FM999,999,999'),
                           to_char(points, 'FM999,999,999')))
FROM demo.models, vgm_diagnostics(m) WHERE name = 'full';

SELECT report.check('fit', 'whole-table fit converged',
                    format('%s iterations%s', iterations, CASE WHEN NOT converged THEN ' (max_iter reached)' ELSE '' END),
                    'converged', converged, warn_only => true)
FROM demo.models, vgm_diagnostics(m) WHERE name = 'full';
