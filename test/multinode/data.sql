-- data.sql - the deterministic test column of the multi-server tests:
-- rows :lo .. :hi of 200000 (psql variables), into table :tbl (default mn_data).
-- The two halves differ: the first holds two narrow clusters and a point mass,
-- the second a cluster at 1e6 and values spread over many binades (whose
-- summary runs at a coarser resolution), so merging them coarsens the first.
-- Both halves have NULLs and non-finite values.
\if :{?tbl}
\else
\set tbl mn_data
\endif
CREATE TABLE :tbl (id int, x float8, w float8);
INSERT INTO :tbl
SELECT i,
       CASE WHEN i % 101 = 0 THEN NULL
            WHEN i IN (77, 100077) THEN 'NaN'
            WHEN i IN (78, 100078) THEN 'Infinity'
            WHEN i = 150079 THEN '-Infinity'
            WHEN i <= 100000 THEN
              CASE i % 3 WHEN 0 THEN 100 + 5 * sin(i * 0.7)
                         WHEN 1 THEN -50 + cos(i * 1.3)
                         ELSE 9.99 END
            ELSE
              CASE i % 4 WHEN 0 THEN 1e6 + 10 * sin(i * 0.37)
                         ELSE 1e9 * exp(3 * sin(i * 0.11)) END
       END::float8,
       (i % 5)::float8
FROM generate_series(:lo, :hi) i;
