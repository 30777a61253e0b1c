-- demo/decode.sql - decode (component, alpha) back to amounts and check the
-- round trip: exact up to rounding where alpha was not clipped.
SET client_min_messages = warning;
\ir models.sql

DROP TABLE IF EXISTS demo.transactions_decoded;
SELECT clock_timestamp() AS t0 \gset
CREATE TABLE demo.transactions_decoded AS
SELECT id, vgm_denormalize(:'model', component, alpha) AS amount
FROM demo.transactions_normalized;
SELECT report.timed('decode: vgm_denormalize into a new table', :'t0',
                    :n_rows);
ANALYZE demo.transactions_decoded;

WITH j AS (
    SELECT t.amount AS x, d.amount AS y, n.alpha
    FROM demo.transactions t
    JOIN demo.transactions_normalized n USING (id)
    JOIN demo.transactions_decoded d USING (id)
), s AS (
    SELECT max(abs(y - x) / abs(x)) FILTER (WHERE abs(alpha) < 0.99) AS max_rel,
           count(*) FILTER (WHERE abs(alpha) < 0.99) AS exact_rows,
           count(*) FILTER (WHERE abs(alpha) >= 0.99) AS clipped,
           count(*) FILTER (WHERE abs(alpha) < 0.99 AND round(y::numeric, 2) = x::numeric) AS cents_equal,
           max(abs(y - x)) FILTER (WHERE abs(alpha) >= 0.99) AS clipped_max_abs,
           count(*) FILTER (WHERE (x IS NULL) <> (y IS NULL)) AS null_mismatch,
           count(*) FILTER (WHERE x IS NULL) AS nulls,
           count(y) AS n_decoded,
           count(*) FILTER (WHERE y < (SELECT min FROM vgm_diagnostics(:'model'))
                               OR y > (SELECT max FROM vgm_diagnostics(:'model'))) AS outside
    FROM j
)
SELECT report.check('round trip', 'max relative error where |alpha| < 0.99',
                    format('%s over %s rows', report.num(max_rel), exact_rows), '<= 1e-9',
                    max_rel <= 1e-9),
       report.check('round trip', 'decoded = original after rounding to cents',
                    format('%s of %s rows', cents_equal, exact_rows), 'every row with |alpha| < 0.99',
                    cents_equal = exact_rows),
       report.check('round trip', 'clipped rows (decoded to mean +- 3.96 std)',
                    format('%s rows, max |error| %s', clipped, report.num(coalesce(clipped_max_abs, 0))),
                    'information', NULL),
       report.check('round trip', 'NULL amounts decode to NULL',
                    format('%s NULLs, %s mismatches', nulls, null_mismatch), '0 mismatches',
                    null_mismatch = 0),
       report.check('bounds', 'decoded values outside the training [min, max]',
                    format('%s (%s rows)', report.num(outside::float8 / n_decoded), outside),
                    '<= 0.001', outside <= 0.001 * n_decoded)
FROM s;
