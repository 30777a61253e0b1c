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
SELECT report.fit('full', 'vgm_fit(vgm_summarize(amount)) on the whole table', :'t0',
                  'whole-table fit converged');
