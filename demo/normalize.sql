-- demo/normalize.sql - mode-specific normalization of the whole table:
-- every amount becomes (component, alpha), alpha = (x - mean_c) / (4 std_c)
-- clipped to +-0.99, with the whole-table model.  The two calls share one
-- E-step per row (the transforms memoize the last row).
SET client_min_messages = warning;
\ir models.sql

DROP TABLE IF EXISTS demo.transactions_normalized;
SELECT clock_timestamp() AS t0 \gset
CREATE TABLE demo.transactions_normalized AS
SELECT id,
       vgm_component(:'model', amount) AS component,
       vgm_alpha(:'model', amount) AS alpha
FROM demo.transactions;
SELECT report.timed('normalize: vgm_component + vgm_alpha into a new table', :'t0',
                    :n_rows);
ANALYZE demo.transactions_normalized;

-- every component of the model with the rows encoded to it
DROP TABLE IF EXISTS report.components_used;
CREATE TABLE report.components_used AS
SELECT c.component, c.index, c.weight, c.mean, c.stddev, c.valid,
       coalesce(u.rows, 0) AS rows, u.mean_alpha, u.sd_alpha, coalesce(u.clipped, 0) AS clipped
FROM vgm_components(:'model') c
LEFT JOIN (SELECT component, count(*) AS rows, avg(alpha) AS mean_alpha,
                  stddev_pop(alpha) AS sd_alpha,
                  count(*) FILTER (WHERE abs(alpha) >= 0.99) AS clipped
           FROM demo.transactions_normalized WHERE component IS NOT NULL
           GROUP BY component) u USING (component);

WITH s AS (
    SELECT count(*) AS n,
           count(t.amount) AS n_amount,
           count(*) FILTER (WHERE t.amount IS NOT NULL AND (n.component IS NULL OR n.alpha IS NULL)) AS missed,
           count(*) FILTER (WHERE t.amount IS NULL AND (n.component IS NOT NULL OR n.alpha IS NOT NULL)) AS invented,
           min(n.component) AS cmin, max(n.component) AS cmax,
           max(abs(n.alpha)) AS amax,
           count(*) FILTER (WHERE abs(n.alpha) >= 0.99) AS clipped
    FROM demo.transactions t JOIN demo.transactions_normalized n USING (id)
), k AS (SELECT n_valid FROM vgm_diagnostics(:'model'))
SELECT report.check('normalize', 'every non-NULL amount encoded, NULL stays NULL',
                    format('%s missed, %s invented of %s', missed, invented, n),
                    '0 and 0', missed = 0 AND invented = 0),
       report.check('normalize', 'component numbers in 0 .. n_valid-1',
                    format('%s .. %s (n_valid %s)', cmin, cmax, n_valid),
                    format('0 .. %s', n_valid - 1), cmin >= 0 AND cmax < n_valid),
       report.check('normalize', 'alpha within [-0.99, 0.99]', report.num(amax), '<= 0.99', amax <= 0.99),
       report.check('normalize', 'share of alphas clipped at +-0.99',
                    format('%s (%s rows)', report.num(clipped::float8 / n_amount), clipped),
                    '<= 0.01', clipped <= 0.01 * n_amount)
FROM s, k;
