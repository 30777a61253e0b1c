-- demo/data.sql - a realistic card-transactions table, generated in SQL.
-- psql variable: rows (how many transactions).
--
-- Deterministic: setseed() fixes random(), and generate_series feeds the rows
-- in order, so every run builds the same table.  The amount column mixes
--   coffee & snacks     log-normal, median    4.50, sigma 0.35    28 %
--   groceries           log-normal, median   38.00, sigma 0.45    27 %
--   online shopping     log-normal, median  120.00, sigma 0.60    15 %
--   travel & rent       log-normal, median  900.00, sigma 0.40     5 %
--   subscriptions       exactly 9.99 (a point mass)                9 %
--   ATM withdrawals     exactly 100.00 (a point mass)              6 %
--   refunds             minus a log-normal, median 35, sigma 0.7  9.8 %
--   pending             NULL amount                              0.2 %
-- rounded to cents, so the column is heaped like real money.  The normal
-- draws come from Box-Muller on two uniforms (PostgreSQL 15 has no
-- random_normal()).
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS demo CASCADE;
CREATE SCHEMA demo;

SELECT setseed(0.42) AS seeded, clock_timestamp() AS t0 \gset

CREATE TABLE demo.transactions AS
WITH u AS (
    SELECT i, random() AS pick,
           sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z
    FROM generate_series(1, :rows) AS i
)
SELECT i::bigint AS id,
       CASE WHEN pick < 0.28  THEN 'coffee'
            WHEN pick < 0.55  THEN 'groceries'
            WHEN pick < 0.70  THEN 'online'
            WHEN pick < 0.75  THEN 'travel'
            WHEN pick < 0.84  THEN 'subscription'
            WHEN pick < 0.90  THEN 'atm'
            WHEN pick < 0.998 THEN 'refund'
            ELSE 'pending' END AS category,
       CASE WHEN pick < 0.28  THEN round((4.5   * exp(0.35 * z))::numeric, 2)
            WHEN pick < 0.55  THEN round((38.0  * exp(0.45 * z))::numeric, 2)
            WHEN pick < 0.70  THEN round((120.0 * exp(0.60 * z))::numeric, 2)
            WHEN pick < 0.75  THEN round((900.0 * exp(0.40 * z))::numeric, 2)
            WHEN pick < 0.84  THEN 9.99
            WHEN pick < 0.90  THEN 100.00
            WHEN pick < 0.998 THEN -round((35.0 * exp(0.70 * z))::numeric, 2)
            END::float8 AS amount
FROM u;
SELECT report.timed('generate the transactions table in SQL', :'t0', :rows);
ALTER TABLE demo.transactions ADD PRIMARY KEY (id);
VACUUM ANALYZE demo.transactions;

-- what was generated, for the report
DROP TABLE IF EXISTS report.data_summary;
CREATE TABLE report.data_summary AS
SELECT category, count(*) AS rows, count(amount) AS amounts, min(amount) AS min,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) AS median, max(amount) AS max
FROM demo.transactions GROUP BY category;
