-- What a fit says and when: constant options are checked while the query is
-- planned (EXPLAIN, which runs nothing, already fails), and a NULL model or
-- skipped values are reported once per statement, not once per group.
CREATE TABLE msg_data AS
SELECT i, i % 4 AS g,
       CASE WHEN i % 4 = 0 THEN NULL
            WHEN i % 4 = 1 THEN 'NaN'::float8
            WHEN i % 4 = 2 AND i < 40 THEN 'Infinity'::float8
            ELSE sin(i) * 10 END AS x
FROM generate_series(1, 400) i;

-- bad constant options fail at plan time, before any row is read
EXPLAIN (COSTS OFF) SELECT vgm_fit(vgm_summarize(x), max_components => 0) FROM msg_data;
EXPLAIN (COSTS OFF) SELECT vgm_fit(vgm_summarize(x), n_init => 0) FROM msg_data;
EXPLAIN (COSTS OFF) SELECT vgm_fit(vgm_summarize(x), weight_concentration_prior => -1) FROM msg_data;
EXPLAIN (COSTS OFF) SELECT vgm_fit(vgm_summarize(x), seed => NULL) FROM msg_data;
EXPLAIN (COSTS OFF) SELECT vgm_fit(array_agg(x), max_iter => 0) FROM msg_data;
-- options that are not constants are checked when the function runs
PREPARE fit_k(int) AS SELECT vgm_n_components(vgm_fit(vgm_summarize(x), max_components => $1)) FROM msg_data;
EXECUTE fit_k(3);
EXECUTE fit_k(0);
DEALLOCATE fit_k;

-- four groups: one all NULL, one all NaN, one with 10 infinities: one NOTICE
-- and one WARNING for the statement
SELECT g, vgm_fit(x) IS NULL AS null_model, (vgm_diagnostics(vgm_fit(x))).infinities
FROM msg_data GROUP BY g ORDER BY g;
-- the plural follows the count
SELECT vgm_fit(ARRAY[1, 2, 'NaN']::float8[]) IS NOT NULL AS fitted;
-- no rows at all
SELECT vgm_fit(x) FROM msg_data WHERE false;
SELECT vgm_fit(vgm_summarize(x)) FROM msg_data WHERE false;
-- every statement reports afresh
SELECT vgm_fit(x) FROM msg_data WHERE false;
DROP TABLE msg_data;
