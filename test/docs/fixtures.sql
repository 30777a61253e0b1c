-- Tables the SQL examples of README.md and docs/*.md use, generated
-- deterministically (setseed) and small enough for the test suite.
-- test/docs/run_docs.py loads this file into every database it creates,
-- before the extension; fixtures_vgm.sql then adds the tables that hold vgm
-- values.  A column an example reads must exist here with that name.
SET client_min_messages = warning;

-- the role of the README's safe installation (roles are cluster-wide)
DO $$
BEGIN
    CREATE ROLE admin_role NOLOGIN;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- A standard normal from two uniforms (PostgreSQL 15 has no random_normal).
CREATE FUNCTION pg_temp.z() RETURNS float8 LANGUAGE sql VOLATILE AS
$$ SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) $$;

-- transactions: 20,000 card payments over 20 days and 20 merchants; amounts
-- in cents from two log-normal spending modes and point masses at 9.99 and
-- 100.00.  amount_alpha is the column the Citus example fills in place.
DO $$ BEGIN PERFORM setseed(0.42); END $$;
CREATE TABLE transactions AS
SELECT i::bigint AS id,
       timestamptz '2026-01-01 00:00:00+00' + (i - 1) * interval '86.4 seconds' AS ts,
       'merchant_' || lpad((i % 20)::text, 2, '0') AS merchant,
       CASE WHEN u < 0.60 THEN round(exp(3 + 0.5 * pg_temp.z())::numeric, 2)
            WHEN u < 0.90 THEN round(exp(5 + 0.4 * pg_temp.z())::numeric, 2)
            WHEN u < 0.95 THEN 9.99
            ELSE 100.00 END::float8 AS amount,
       NULL::float8 AS amount_alpha
FROM (SELECT i, random() AS u FROM generate_series(1, 20000) i) s;

-- tx: the same rows under the README's shorter name
CREATE TABLE tx AS SELECT * FROM transactions;
-- today's load (the last day) and a stratified sample with its sample rates
CREATE TABLE tx_today AS
    SELECT id, amount FROM transactions WHERE ts >= timestamptz '2026-01-20 00:00:00+00';
CREATE TABLE stratified_sample AS
    SELECT id, amount, CASE WHEN amount >= 100 THEN 0.5 ELSE 0.05 END AS sample_rate
    FROM transactions
    WHERE id % (CASE WHEN amount >= 100 THEN 2 ELSE 20 END) = 0;

-- payments (docs/validation.md): 200,000 amounts, a log-normal bulk and a
-- second mode near 120, rounded to cents, plus 17 NULLs, over May and June
-- 2024
DO $$ BEGIN PERFORM setseed(0.17); END $$;
CREATE TABLE payments AS
SELECT date '2024-05-01' + (i % 61) AS day,
       CASE WHEN random() < 0.7 THEN round(exp(3.2 + 0.6 * pg_temp.z())::numeric, 2)
            ELSE round((120 + 15 * pg_temp.z())::numeric, 2) END::float8 AS amount
FROM generate_series(1, 200000) i
UNION ALL
SELECT date '2024-05-01' + i, NULL FROM generate_series(1, 17) i;

-- tables being loaded (staging.tx is added by fixtures_vgm.sql)
CREATE SCHEMA staging;
CREATE TABLE staging.payments AS SELECT amount FROM payments;

-- measurements (docs/distributed.md): a table partitioned by year; the
-- largest partition first, as a Parallel Append lists it
CREATE TABLE measurements (ts timestamptz NOT NULL, x float8) PARTITION BY RANGE (ts);
CREATE TABLE measurements_2024 PARTITION OF measurements
    FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00');
CREATE TABLE measurements_2025 PARTITION OF measurements
    FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2026-01-01 00:00:00+00');
CREATE TABLE measurements_2026 PARTITION OF measurements
    FOR VALUES FROM ('2026-01-01 00:00:00+00') TO ('2027-01-01 00:00:00+00');
DO $$ BEGIN PERFORM setseed(0.2024); END $$;
INSERT INTO measurements
SELECT timestamptz '2024-01-01 00:00:00+00' + i * interval '1 hour', 20 + 3 * pg_temp.z()
FROM generate_series(0, 8000) i;
INSERT INTO measurements
SELECT timestamptz '2025-01-01 00:00:00+00' + i * interval '2 hours', 25 + 4 * pg_temp.z()
FROM generate_series(0, 4000) i;
INSERT INTO measurements
SELECT timestamptz '2026-01-01 00:00:00+00' + i * interval '4 hours', 30 + 5 * pg_temp.z()
FROM generate_series(0, 2000) i;

ANALYZE;
