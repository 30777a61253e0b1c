-- demo/transactions.sql - the demo's card-transactions generator, one source
-- for demo/data.sql (which describes the mix) and test/bench/atom_rule.sql.
-- Read with \ir or \i; it defines pg_temp.demo_transactions(n), n rows
-- (id, category, amount) drawn with random() in id order, so a caller that
-- runs setseed() first gets the same rows every time.  The normal draws come
-- from Box-Muller on two uniforms (PostgreSQL 15 has no random_normal()).
CREATE FUNCTION pg_temp.demo_transactions(n bigint)
RETURNS TABLE (id bigint, category text, amount float8) LANGUAGE sql VOLATILE AS $$
WITH u AS (
    SELECT i, random() AS pick,
           sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z
    FROM generate_series(1, n) AS i
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
$$;
