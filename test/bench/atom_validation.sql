-- test/bench/atom_validation.sql - the validation pass/fail matrix with and
-- without atoms (docs/validation.md, "With and without atoms"): for every
-- column of test/bench/atom_rule.sql, vgm_fit(s) and vgm_fit(s, atoms =>
-- true), each checked by vgm_validate with its default thresholds against
-- the column itself, the column shifted by half its standard deviation,
-- scaled by 1.5 about its mean, and the next column in name order.
--
-- Usage (from the repository root, after test/bench/atom_rule.sql has
-- created and kept the table atom_rule_cols in the same database):
--   psql -X -f test/bench/atom_validation.sql
SET client_min_messages = warning;
DROP TABLE IF EXISTS sums;
CREATE TABLE sums AS SELECT name, vgm_summarize(x) AS s FROM atom_rule_cols GROUP BY name;
DROP TABLE IF EXISTS vm;
CREATE TABLE vm (name text, model text, kind text, passed bool, failed text);
DO $do$
DECLARE r record; mdl vgm_model; mu float8; sd float8; t text; k text;
BEGIN
FOR r IN SELECT name, coalesce(lead(name) OVER (ORDER BY name), (SELECT min(name) FROM sums)) AS other FROM sums ORDER BY name LOOP
  SELECT avg(x), stddev(x) INTO mu, sd FROM atom_rule_cols WHERE name = r.name;
  DROP TABLE IF EXISTS vc, vs, vk, vw;
  CREATE TEMP TABLE vc AS SELECT x FROM atom_rule_cols WHERE name = r.name;
  CREATE TEMP TABLE vs AS SELECT x + 0.5 * sd AS x FROM vc;
  CREATE TEMP TABLE vk AS SELECT mu + 1.5 * (x - mu) AS x FROM vc;
  CREATE TEMP TABLE vw AS SELECT x FROM atom_rule_cols WHERE name = r.other;
  FOREACH k IN ARRAY ARRAY['plain', 'atoms'] LOOP
    SELECT CASE WHEN k = 'plain' THEN vgm_fit(s) ELSE vgm_fit(s, atoms => true) END INTO mdl FROM sums WHERE name = r.name;
    FOREACH t IN ARRAY ARRAY['vc', 'vs', 'vk', 'vw'] LOOP
      INSERT INTO vm SELECT r.name, k, t, bool_and(passed), string_agg("check", ',') FILTER (WHERE NOT passed)
        FROM vgm_validate(mdl, t::regclass, 'x');
    END LOOP;
  END LOOP;
END LOOP;
END $do$;
SELECT name, model,
  max(CASE WHEN kind = 'vc' THEN CASE WHEN passed THEN 'pass' ELSE 'FAIL ' || failed END END) AS correct,
  max(CASE WHEN kind = 'vs' THEN CASE WHEN passed THEN 'PASS' ELSE 'fail' END END) AS shift,
  max(CASE WHEN kind = 'vk' THEN CASE WHEN passed THEN 'PASS' ELSE 'fail' END END) AS scale,
  max(CASE WHEN kind = 'vw' THEN CASE WHEN passed THEN 'PASS' ELSE 'fail' END END) AS wrong
FROM vm GROUP BY 1, 2 ORDER BY 1, 2 DESC;
DROP TABLE vm, sums;
