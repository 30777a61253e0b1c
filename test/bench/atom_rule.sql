-- test/bench/atom_rule.sql - which values become atoms (docs/accuracy.md
-- section 10): every modelled column of ../shared/data, five generated
-- heaped columns and the demo's amounts, fitted without atoms and with
-- atoms => true; prints the atoms found, KS D of each model against its own
-- column and the plug-in log-likelihood per row, and the neighbour ratio
-- of every value above 1 % (its count over the median count of the up to
-- four nearest distinct values, the spike rule's statistic; exact-valued
-- columns only).
--
-- Usage (from the repository root, against a database with vgm installed):
--   psql -X -f test/bench/atom_rule.sql
-- The real columns are read from ../shared/data (beside the project, not
-- part of it); when that folder is absent the \copy lines fail, say so, and
-- only the generated columns are measured.  Deterministic: setseed() before
-- each generated column.
SET client_min_messages = warning;
DROP TABLE IF EXISTS atom_rule_cols, atom_rule_fits;
CREATE TABLE atom_rule_cols (name text, x float8);
\set ON_ERROR_STOP 0
CREATE TEMP TABLE uci (id int, limit_bal float8, sex int, education int, marriage int, age int,
  pay_0 int, pay_2 int, pay_3 int, pay_4 int, pay_5 int, pay_6 int,
  bill_amt1 float8, bill_amt2 float8, bill_amt3 float8, bill_amt4 float8, bill_amt5 float8, bill_amt6 float8,
  pay_amt1 float8, pay_amt2 float8, pay_amt3 float8, pay_amt4 float8, pay_amt5 float8, pay_amt6 float8, fraud int);
\copy uci FROM '../shared/data/UCI_Credit_Card.csv' csv header
CREATE TEMP TABLE adult (age float8, workclass text, fnlwgt float8, education text, education_num int,
  marital text, occupation text, relationship text, race text, sex text, capital_gain float8,
  capital_loss float8, hours_per_week float8, country text, income text);
\copy adult FROM '../shared/data/ctgan_adult.csv' csv header
CREATE TEMP TABLE faithful (eruptions float8, waiting float8);
\copy faithful FROM '../shared/data/faithful.csv' csv header
CREATE TEMP TABLE galaxies (velocity float8);
\copy galaxies FROM '../shared/data/galaxies.csv' csv header
INSERT INTO atom_rule_cols SELECT 'uci.LIMIT_BAL', limit_bal FROM uci;
INSERT INTO atom_rule_cols SELECT 'uci.BILL_AMT' || k, v FROM uci,
  LATERAL (VALUES (1, bill_amt1), (2, bill_amt2), (3, bill_amt3), (4, bill_amt4), (5, bill_amt5), (6, bill_amt6)) t(k, v);
INSERT INTO atom_rule_cols SELECT 'uci.PAY_AMT' || k, v FROM uci,
  LATERAL (VALUES (1, pay_amt1), (2, pay_amt2), (3, pay_amt3), (4, pay_amt4), (5, pay_amt5), (6, pay_amt6)) t(k, v);
INSERT INTO atom_rule_cols SELECT 'adult.' || k, v FROM adult,
  LATERAL (VALUES ('age', age), ('fnlwgt', fnlwgt), ('capital-gain', capital_gain),
                  ('capital-loss', capital_loss), ('hours-per-week', hours_per_week)) t(k, v);
INSERT INTO atom_rule_cols SELECT 'faithful.' || k, v FROM faithful,
  LATERAL (VALUES ('eruptions', eruptions), ('waiting', waiting)) t(k, v);
INSERT INTO atom_rule_cols SELECT 'galaxies.velocity', velocity FROM galaxies;
SELECT count(*) = 0 AS no_real_columns FROM atom_rule_cols \gset
\if :no_real_columns
\echo '../shared/data is absent: only the generated columns are measured'
\endif
\set ON_ERROR_STOP 1
-- generated heaped columns
\o /dev/null
SELECT setseed(0.13);
INSERT INTO atom_rule_cols SELECT 'gen.money_1M', CASE WHEN u < 0.09 THEN 9.99 WHEN u < 0.15 THEN 100.00
   ELSE round(exp(3 + 1.1 * sqrt(-2 * ln(random())) * cos(2 * pi() * random()))::numeric, 2)::float8 END
FROM (SELECT i, random() AS u FROM generate_series(1, 1000000) i) s;
SELECT setseed(0.21);
INSERT INTO atom_rule_cols SELECT 'gen.loan', CASE WHEN u < 0.12 THEN 10000 WHEN u < 0.20 THEN 5000 WHEN u < 0.25 THEN 20000 WHEN u < 0.28 THEN 15000
   ELSE round(exp(9.3 + 0.6 * sqrt(-2 * ln(random())) * cos(2 * pi() * random())) / 25) * 25 END
FROM (SELECT i, random() AS u FROM generate_series(1, 100000) i) s;
SELECT setseed(0.31);
INSERT INTO atom_rule_cols SELECT 'gen.age', greatest(18, least(90, round(40 + 13 * sqrt(-2 * ln(random())) * cos(2 * pi() * random()))))
FROM generate_series(1, 100000) i;
SELECT setseed(0.41);
INSERT INTO atom_rule_cols SELECT 'gen.rating', CASE WHEN u < 0.05 THEN 1 WHEN u < 0.13 THEN 2 WHEN u < 0.30 THEN 3 WHEN u < 0.65 THEN 4 ELSE 5 END
FROM (SELECT random() AS u FROM generate_series(1, 100000) i) s;
SELECT setseed(0.51);
INSERT INTO atom_rule_cols SELECT 'gen.rate', round((6.5 + 1.8 * sqrt(-2 * ln(random())) * cos(2 * pi() * random()))::numeric, 2)::float8
FROM generate_series(1, 100000) i;
-- the demo's amounts (its generator demo/transactions.sql, 1M rows, setseed(0.42))
\i demo/transactions.sql
SELECT setseed(0.42);
INSERT INTO atom_rule_cols SELECT 'demo.amount', amount FROM pg_temp.demo_transactions(1000000);
\o
CREATE INDEX ON atom_rule_cols (name);
ANALYZE atom_rule_cols;

-- the two fits of every column, from one summary each
CREATE TABLE atom_rule_fits AS
WITH s AS (SELECT name, vgm_summarize(x) AS s FROM atom_rule_cols GROUP BY name)
SELECT name, 'plain' AS kind, vgm_fit(s) AS m FROM s
UNION ALL SELECT name, 'atoms', vgm_fit(s, atoms => true) FROM s;
SELECT f.name, f.kind,
       (SELECT count(*) FROM vgm_components(m) WHERE atom) AS atoms,
       (SELECT string_agg(mean || ': ' || round(weight::numeric, 3), ', ' ORDER BY weight DESC)
        FROM (SELECT * FROM vgm_components(m) WHERE atom ORDER BY weight DESC LIMIT 6) a) AS heaviest,
       round((SELECT (vgm_ks(m, x)).statistic FROM atom_rule_cols c WHERE c.name = f.name)::numeric, 4) AS ks_d,
       round((SELECT avg(vgm_log_density(m, x)) FROM atom_rule_cols c WHERE c.name = f.name)::numeric, 4) AS loglik_per_row
FROM atom_rule_fits f ORDER BY name, kind DESC;

-- the neighbour ratio of every value above 1 % (columns whose summary is
-- at resolution 0, where a bucket is one distinct value)
WITH v AS (SELECT name, x, count(*)::float8 AS c, sum(count(*)) OVER (PARTITION BY name) AS tot
           FROM atom_rule_cols WHERE name NOT IN ('demo.amount') GROUP BY name, x),
w AS (SELECT *, lag(c, 1) OVER p AS l1, lag(c, 2) OVER p AS l2, lag(c, 3) OVER p AS l3, lag(c, 4) OVER p AS l4,
             lead(c, 1) OVER p AS r1, lead(c, 2) OVER p AS r2, lead(c, 3) OVER p AS r3, lead(c, 4) OVER p AS r4
      FROM v WINDOW p AS (PARTITION BY name ORDER BY x)),
m AS (SELECT *, (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY y)
                 FROM unnest(CASE WHEN l1 IS NULL THEN ARRAY[r1, r2, r3, r4]
                                  WHEN l2 IS NULL THEN ARRAY[l1, r1, r2, r3]
                                  WHEN r1 IS NULL THEN ARRAY[l1, l2, l3, l4]
                                  WHEN r2 IS NULL THEN ARRAY[l1, l2, l3, r1]
                                  ELSE ARRAY[l1, l2, r1, r2] END) y WHERE y IS NOT NULL) AS med
      FROM w)
SELECT name, count(*) AS above_1pct,
       round(min(c / med)::numeric, 1) AS min_ratio, round(max(c / med)::numeric, 1) AS max_ratio,
       count(*) FILTER (WHERE c >= 4 * med AND c >= 20) AS spikes,
       string_agg(x || ' (' || round((c / med)::numeric, 1) || ', ' || c || ' rows)', ', ' ORDER BY c / med DESC)
           FILTER (WHERE c / med >= 2.5) AS ratios_from_2_5
FROM m WHERE c >= 0.01 * tot GROUP BY name ORDER BY name;
