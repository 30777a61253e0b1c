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
-- rounded to cents, so the column is heaped like real money.  The generator
-- itself is demo/transactions.sql.
SET client_min_messages = warning;
\ir transactions.sql
DROP SCHEMA IF EXISTS demo CASCADE;
CREATE SCHEMA demo;

SELECT setseed(0.42) AS seeded, clock_timestamp() AS t0 \gset

CREATE TABLE demo.transactions AS SELECT * FROM pg_temp.demo_transactions(:rows);
SELECT report.timed('generate the transactions table in SQL', :'t0', :rows);
ALTER TABLE demo.transactions ADD PRIMARY KEY (id);
VACUUM ANALYZE demo.transactions;

-- what was generated, for the report
DROP TABLE IF EXISTS report.data_summary;
CREATE TABLE report.data_summary AS
SELECT category, count(*) AS rows, count(amount) AS amounts, min(amount) AS min,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) AS median, max(amount) AS max
FROM demo.transactions GROUP BY category;
