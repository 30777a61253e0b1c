-- whole tables: vgm_fit_table, vgm_layout, vgm_encode_table, vgm_decode_table,
-- vgm_validate_table.  Column types, NULLs, quoted names, missing columns,
-- the layout, the round trip.  Floats are compared, not printed.
SET extra_float_digits = 0;
\set SHOW_CONTEXT never

CREATE DOMAIN tab_money AS numeric(12, 2) CHECK (VALUE > -1e9);
CREATE TABLE tab_src AS
SELECT i AS id,
       (CASE i % 3 WHEN 0 THEN 10 + sin(i) WHEN 1 THEN 50 + 2 * cos(i) ELSE 100 + 3 * sin(0.37 * i) END)::float8
           AS "Amount; drop",
       (i % 40)::int AS qty,
       (20 + 5 * cos(0.11 * i))::float4 AS ratio,
       (i * 0.37)::numeric(12, 2)::tab_money AS balance,
       'row ' || i AS label,
       now() AS created
FROM generate_series(1, 3000) i;
UPDATE tab_src SET qty = NULL WHERE id % 100 = 0;
UPDATE tab_src SET ratio = 'NaN' WHERE id % 250 = 0;

-- every numeric column (id too), the others skipped with a NOTICE naming them
CREATE TABLE tab_models AS SELECT * FROM vgm_fit_table('tab_src', max_components => 6, seed => 7);
SELECT column_name, position, vgm_n_components(model) = 6 AS k6, rows, fitted_on,
       fitted_at <= now() AS fitted_before_now
FROM tab_models ORDER BY position;

-- the listed columns only, in table order whatever the list's order
SELECT column_name, position, rows
FROM vgm_fit_table('tab_src', columns => ARRAY['balance', 'Amount; drop'], max_components => 4);

-- a sample: about 10 % of the pages, reproducible for a seed
SELECT column_name, rows < 3000 AS sampled, rows > 0 AS nonempty
FROM vgm_fit_table('tab_src', columns => ARRAY['qty'], sample_percent => 10, max_components => 3);
SELECT (SELECT rows FROM vgm_fit_table('tab_src', columns => ARRAY['qty'], sample_percent => 10, seed => 5))
     = (SELECT rows FROM vgm_fit_table('tab_src', columns => ARRAY['qty'], sample_percent => 10, seed => 5))
    AS same_sample;

-- one scan: the fit is one statement with one aggregate per column
SELECT count(*) AS columns FROM vgm_fit_table('tab_src', columns => ARRAY['id', 'qty', 'ratio']);

-- errors
SELECT * FROM vgm_fit_table('tab_src', columns => ARRAY['qty', 'nope']);
SELECT * FROM vgm_fit_table('tab_src', columns => ARRAY['label', 'created', 'qty']);
SELECT * FROM vgm_fit_table('tab_src', columns => ARRAY['qty', NULL]);
SELECT * FROM vgm_fit_table('tab_src', sample_percent => 0);
CREATE TABLE tab_text AS SELECT 'a'::text AS t;
SELECT * FROM vgm_fit_table('tab_text');

-- the layout: CTGAN's [alpha, one-hot over the valid components] per column,
-- in position order, blocks back to back
SELECT * FROM vgm_layout('tab_models');
SELECT bool_and(first = prev_end + 1) AS contiguous
FROM (SELECT first, coalesce(lag(first + width - 1) OVER (ORDER BY first), 0) AS prev_end
      FROM vgm_layout('tab_models')) l;
SELECT bool_and(l.components = (SELECT count(*) FROM unnest(vgm_weights(m.model)) w
                                WHERE w > (m.model::jsonb ->> 'weight_threshold')::float8)) AS components_are_valid_ones
FROM vgm_layout('tab_models') l JOIN tab_models m USING (column_name);

-- encode: one array a row, each block vgm_encode of its column
CREATE TABLE tab_enc AS SELECT * FROM vgm_encode_table('tab_src', 'tab_models', key => 'id');
SELECT count(*) AS rows, min(cardinality(encoded)) = max(cardinality(encoded)) AS one_length,
       max(cardinality(encoded)) = (SELECT max(first + width - 1) FROM vgm_layout('tab_models')) AS layout_length
FROM tab_enc;
SELECT bool_and(e.encoded[l.first:l.first + l.width - 1]
                = vgm_encode(m.model, CASE l.column_name WHEN 'id' THEN s.id::float8
                                                         WHEN 'Amount; drop' THEN s."Amount; drop"
                                                         WHEN 'qty' THEN s.qty
                                                         WHEN 'ratio' THEN s.ratio
                                                         WHEN 'balance' THEN s.balance END)) AS blocks_are_vgm_encode
FROM tab_enc e JOIN tab_src s ON s.id = e.row_key, vgm_layout('tab_models') l JOIN tab_models m USING (column_name)
WHERE s.qty IS NOT NULL AND s.ratio <> 'NaN';
-- a NULL or NaN value: a block of NULLs of the block's width
SELECT count(*) AS null_blocks,
       bool_and(e.encoded[l.first:l.first + l.width - 1] = array_fill(NULL::float8, ARRAY[l.width])) AS all_null
FROM tab_enc e JOIN tab_src s ON s.id = e.row_key, vgm_layout('tab_models') l
WHERE (l.column_name = 'qty' AND s.qty IS NULL) OR (l.column_name = 'ratio' AND s.ratio = 'NaN');
-- without a key the key column is NULL; a keyed draw is deterministic
SELECT count(*) AS rows, count(row_key) AS keys FROM vgm_encode_table('tab_src', 'tab_models');
SELECT (SELECT md5(string_agg(encoded::text, ',' ORDER BY row_key))
          FROM vgm_encode_table('tab_src', 'tab_models', key => 'id', draw => true))
     = (SELECT md5(string_agg(encoded::text, ',' ORDER BY row_key))
          FROM vgm_encode_table('tab_src', 'tab_models', key => 'id', draw => true)) AS draws_repeat;
-- the same rows from the statement vgm_encode_query returns, run on its own
-- under a search_path without the extension (it names everything itself)
-- (not echoed: it holds the models' text)
SET search_path = pg_catalog;
\set ECHO none
SELECT 'CREATE TABLE public.tab_enc_q AS ' || public.vgm_encode_query('public.tab_src', 'public.tab_models', key => 'id')
\gexec
\set ECHO all
RESET search_path;
SELECT count(*) AS rows, bool_and(q.encoded = e.encoded) AS same_arrays
FROM tab_enc_q q JOIN tab_enc e USING (row_key);
SELECT * FROM vgm_encode_table('tab_src', 'tab_models', draw => true);
SELECT vgm_encode_query('tab_src', 'tab_models', draw => true);
SELECT * FROM vgm_encode_table('tab_src', 'tab_models', key => 'label');

-- decode: the argmax of each block picks the component; the round trip
-- returns every value within 1e-12 relative where |alpha| < 0.99
CREATE TABLE tab_gen AS SELECT row_key AS id, encoded FROM tab_enc;
CREATE TABLE tab_back AS SELECT * FROM vgm_decode_table(NULL::tab_src, 'tab_gen', 'tab_models', key => 'id');
SELECT count(*) AS rows, count(label) AS labels, count(created) AS created FROM tab_back;
SELECT l.column_name, count(*) AS checked,
       count(*) FILTER (WHERE abs(b.v - s.v) > 1e-12 * abs(s.v)) AS off
FROM vgm_layout('tab_models') l
JOIN LATERAL (SELECT g.id, g.encoded[l.first] AS alpha FROM tab_gen g) a ON abs(a.alpha) < 0.99
JOIN LATERAL (SELECT (to_jsonb(t) ->> l.column_name)::float8 AS v FROM tab_src t WHERE t.id = a.id) s ON true
JOIN LATERAL (SELECT (to_jsonb(t) ->> l.column_name)::float8 AS v FROM tab_back t WHERE t.id = a.id) b ON true
GROUP BY l.column_name, l.first ORDER BY l.first;
-- NULL blocks decode to NULL; integer and domain columns get their types back
SELECT count(*) FILTER (WHERE qty IS NULL) AS null_qty, count(*) FILTER (WHERE ratio IS NULL) AS null_ratio,
       pg_typeof(min(balance))::text AS balance_type, pg_typeof(min(qty))::text AS qty_type
FROM tab_back;

-- a missing or extra column is an error naming it
CREATE TABLE tab_models_more AS SELECT * FROM tab_models;
INSERT INTO tab_models_more SELECT 'gone', 9, model, rows, fitted_on, fitted_at FROM tab_models WHERE column_name = 'qty';
SELECT * FROM vgm_encode_table('tab_src', 'tab_models_more');
SELECT * FROM vgm_validate_table('tab_src', 'tab_models_more');
CREATE TABLE tab_narrow (id int, qty int);
SELECT * FROM vgm_decode_table(NULL::tab_narrow, 'tab_gen', 'tab_models', key => 'id');
CREATE TABLE tab_gen_short AS SELECT id, encoded[2:] AS encoded FROM tab_gen WHERE id = 17;
SELECT * FROM vgm_decode_table(NULL::tab_src, 'tab_gen_short', 'tab_models', key => 'id');
SELECT * FROM vgm_decode_table(1, 'tab_gen', 'tab_models');
INSERT INTO tab_models_more SELECT * FROM tab_models WHERE column_name = 'qty';
SELECT * FROM vgm_layout('tab_models_more');
CREATE TABLE tab_not_models (column_name name, m float8);
SELECT * FROM vgm_layout('tab_not_models');

-- validate: every column's checks from one scan, the same as vgm_validate's
SELECT column_name, count(*) AS checks, count(*) FILTER (WHERE passed IS FALSE) AS failed
FROM vgm_validate_table('tab_src', 'tab_models') GROUP BY column_name ORDER BY min(column_name);
SELECT bool_and(v.statistic IS NOT DISTINCT FROM r.statistic AND v.threshold IS NOT DISTINCT FROM r.threshold
                AND v.passed IS NOT DISTINCT FROM r.passed) AS same_as_vgm_validate, count(*) AS compared
FROM tab_models m
CROSS JOIN LATERAL vgm_validate(m.model, 'tab_src', m.column_name) r
JOIN vgm_validate_table('tab_src', 'tab_models') v ON v.column_name = m.column_name AND v."check" = r."check";
SELECT count(*) AS rows FROM vgm_validate_table('tab_src', 'tab_models', mean_tol => -1);

DROP TABLE tab_src, tab_models, tab_text, tab_enc, tab_enc_q, tab_gen, tab_back, tab_models_more, tab_narrow,
    tab_gen_short, tab_not_models;
DROP DOMAIN tab_money;
