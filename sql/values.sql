-- Values that behave like values: equality, order and hashing of vgm_model,
-- vgm_summary and vgm_ks_state (DISTINCT, GROUP BY, UNION, IN, joins by hash
-- and by sort), and the jsonb casts back to the types.
SET client_min_messages = warning;

CREATE TABLE eq_models AS
    SELECT g, vgm_fit(ARRAY[1, 2, 3, 10 + g % 3, 11, 12]::float8[], max_components => 2) AS m
    FROM generate_series(1, 9) g;
-- a refit of the same data is another value (its fit time differs): keep one
-- model per data set, as a models table would
UPDATE eq_models v SET m = f.m FROM eq_models f WHERE f.g = v.g % 3 + 1;

-- three distinct models, whichever way the plan compares them
SELECT count(DISTINCT m) AS distinct_models FROM eq_models;
SET enable_hashagg = off;
SELECT count(*) AS groups_by_sort FROM (SELECT m FROM eq_models GROUP BY m) q;
RESET enable_hashagg;
SET enable_sort = off;
SELECT count(*) AS groups_by_hash FROM (SELECT m FROM eq_models GROUP BY m) q;
RESET enable_sort;
SELECT count(*) AS union_rows FROM (SELECT m FROM eq_models UNION SELECT m FROM eq_models) q;
SELECT count(*) AS in_rows FROM eq_models WHERE m IN (SELECT m FROM eq_models WHERE g = 1);
SET enable_hashjoin = off; SET enable_nestloop = off;
SELECT count(*) AS merge_join_pairs FROM eq_models a JOIN eq_models b ON a.m = b.m;
RESET enable_hashjoin; RESET enable_nestloop;
SET enable_mergejoin = off; SET enable_nestloop = off;
SELECT count(*) AS hash_join_pairs FROM eq_models a JOIN eq_models b ON a.m = b.m;
RESET enable_mergejoin; RESET enable_nestloop;

-- the operators agree with each other and with the text form
SELECT bool_and((a.m = b.m) = (a.m::text = b.m::text)) AS eq_iff_same_text,
       bool_and((a.m <> b.m) = NOT (a.m = b.m)) AS ne_is_not_eq,
       bool_and((a.m < b.m) = (b.m > a.m) AND (a.m <= b.m) = (b.m >= a.m)) AS order_commutes,
       bool_and(num_nonnulls(NULLIF(a.m < b.m, false), NULLIF(a.m = b.m, false), NULLIF(a.m > b.m, false)) = 1)
           AS exactly_one_of_lt_eq_gt,
       bool_and((a.m = b.m) <= (vgm_model_hash(a.m) = vgm_model_hash(b.m))) AS equal_values_equal_hashes,
       bool_and((a.m = b.m) <= (vgm_model_hash_extended(a.m, 7) = vgm_model_hash_extended(b.m, 7)))
           AS equal_values_equal_seeded_hashes
FROM eq_models a, eq_models b;

-- jsonb and json back to a model: the same value
SELECT bool_and(m::jsonb::vgm_model = m) AS model_from_jsonb,
       bool_and(m::json::vgm_model = m) AS model_from_json,
       bool_and(m::text::vgm_model = m) AS model_from_text
FROM eq_models;

-- summaries: equal for equal data, whatever the plan; jsonb reads back,
-- including numbers jsonb writes in full (5e-324 as 0.000...5, 1e300 as 1000...0)
CREATE TABLE eq_summaries AS
    SELECT g, vgm_summarize(x) AS s
    FROM (SELECT g, (CASE WHEN i = 1 THEN 5e-324 WHEN i = 2 THEN -1e300 ELSE i * 0.25 END)::float8 AS x
          FROM generate_series(1, 4) g, generate_series(1, 500) i) d
    GROUP BY g;
SELECT count(DISTINCT s) AS distinct_summaries FROM eq_summaries;
SELECT bool_and(s::jsonb::vgm_summary = s) AS summary_from_jsonb,
       bool_and((s::jsonb::vgm_summary)::text = s::text) AS same_text_after_jsonb,
       bool_and(s::jsonb::text::vgm_summary = s) AS summary_from_jsonb_text
FROM eq_summaries;
SELECT (SELECT vgm_summarize(x) FROM generate_series(1, 10) x) =
       (SELECT vgm_summarize(x ORDER BY x DESC) FROM generate_series(1, 10) x) AS equal_for_rows_in_another_order;
SELECT (SELECT vgm_summarize(x) FROM generate_series(1, 10) x) =
       (SELECT vgm_summarize(x) FROM generate_series(1, 11) x) AS equal_for_different_data;

-- a summary's fields may come in any order; unknown, repeated and missing
-- fields are errors that name the field
SELECT '{"buckets":[[4609434218613702657,1,1.5,0,0,0]],"max":1.5,"min":1.5,"neg_infs":0,"pos_infs":0,"nans":0,"nulls":0,"rows":1,"shift":0,"version":1}'::vgm_summary
     = (SELECT vgm_summarize(1.5)) AS fields_in_any_order;
\set VERBOSITY default
SELECT '{"version":1,"shift":0,"rows":0,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"min":0,"max":0,"buckets":[],"extra":1}'::vgm_summary;
SELECT '{"version":1,"shift":0,"shift":0}'::vgm_summary;
SELECT '{"version":1,"shift":0,"rows":0,"nulls":0,"nans":0,"pos_infs":0,"min":0,"max":0,"buckets":[]}'::vgm_summary;

-- KS states compare too: two groups of equal data, one of other data
SELECT count(*) AS ks_states, count(DISTINCT k) AS distinct_ks_states
FROM (SELECT g % 3 AS g, vgm_ks_state((SELECT m FROM eq_models WHERE g = 1), x + (g % 3 / 2) * 0.5) AS k
      FROM generate_series(1, 6) g, generate_series(1, 100) x GROUP BY g % 3) q;

-- the README's examples
SELECT count(DISTINCT m) FROM (SELECT vgm_fit(ARRAY[1, 2, 3, 10, 11, 12]::float8[], max_components => 2) AS m) q;
SELECT s::jsonb::vgm_summary = s FROM (SELECT vgm_summarize(x) AS s FROM generate_series(1, 100) x) q;
