-- test/pgtap/bad_input.sql - a catalogue of bad inputs for every SQL function
-- of vgm: NULLs, NaN, +-Infinity, empty input, wrong lengths, malformed and
-- hostile text for vgm_model / vgm_summary / vgm_ks_state, out-of-range
-- options of vgm_fit, support functions called outside their aggregates.
-- Each case asserts the exact SQLSTATE and message (throws_ok, most of them
-- as rows of a VALUES table, one call per row); inputs that
-- are not errors by design (an empty fit is NULL, NaN rows are skipped) are
-- asserted as such.  The file ends by checking that the backend still
-- answers, so a crash anywhere above fails it.
--
-- Sections for functions that may not be installed (transforms, validation)
-- skip themselves when the function is missing.  Open bugs found by the
-- reliability work (docs/reliability.md) are TODO tests: they report
-- "not ok ... # TODO" until fixed, then pass.
--
-- Binary input (vgm_model_recv, vgm_summary_recv, vgm_ks_state_recv) is
-- covered by test/py/test_reliability.py, which can send raw bytes, and by
-- the fuzz harnesses in test/fuzz/.
--
-- To regenerate the expected message of a case, run its SQL under
-- "\set VERBOSITY verbose" in psql.
\set ON_ERROR_STOP 1
SET client_min_messages = error;
BEGIN;
SELECT plan(267);
-- pg_temp.error_detail (and models this file does not use)
\ir include/tap_common.sql

-- a valid model (k = 2) and summary (5 rows) that the cases below damage
CREATE TEMP TABLE bad_input_base AS SELECT
    '{"version":1,"dims":1,"k":2,"weights":[0.75,0.25],"means":[-1,3],"covariances":[0.5,2],"mean_precision":[76,26],"degrees_of_freedom":[76,26],"weight_concentration_a":[76,26],"weight_concentration_b":[26.001,0.001],"weight_threshold":0.005,"priors":{"weight_concentration":0.001,"mean_precision":1,"mean":0,"degrees_of_freedom":1,"covariance":1,"reg_covar":1e-06},"fit":{"max_iter":1000,"tol":1e-08,"seed":42,"iterations":7,"converged":true,"lower_bound":-150.5,"fit_ms":1.5},"training":{"rows":100,"total_weight":100,"min":-3,"max":7,"buckets":100,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0}}'::text AS m,
    '{"version":1,"shift":32,"rows":5,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"min":1,"max":5,"buckets":[[1072693249,1,1,0,0,0],[1073741825,1,2,0,0,0],[1074266113,1,3,0,0,0],[1074790401,1,4,0,0,0],[1075052545,1,5,0,0,0]]}'::text AS s;
CREATE TEMP TABLE bad_input_data AS
    SELECT i::float8 AS x, i::text AS t FROM generate_series(1, 100) i;

SELECT lives_ok($q$SELECT m::vgm_model, s::vgm_summary FROM bad_input_base$q$,
    'the base model and summary are valid');

-- --------------------------------------------------------------------------
-- vgm_model text input
-- --------------------------------------------------------------------------
SELECT throws_ok(c.query, c.sqlstate, c.message, c.description)
FROM (VALUES
    ($q$SELECT ''::vgm_model$q$,
     '22P02', 'invalid vgm_model: malformed JSON',
     'vgm_model text input: empty string'),
    ($q$SELECT E' \t\n '::vgm_model$q$,
     '22P02', 'invalid vgm_model: malformed JSON',
     'vgm_model text input: only whitespace'),
    ($q$SELECT 'null'::vgm_model$q$,
     '22P02', 'invalid vgm_model: malformed JSON',
     'vgm_model text input: JSON null'),
    ($q$SELECT '[]'::vgm_model$q$,
     '22P02', 'invalid vgm_model: malformed JSON',
     'vgm_model text input: JSON array'),
    ($q$SELECT '"model"'::vgm_model$q$,
     '22P02', 'invalid vgm_model: malformed JSON',
     'vgm_model text input: JSON string'),
    ($q$SELECT '{}'::vgm_model$q$,
     '22P02', 'invalid vgm_model: missing field "version"',
     'vgm_model text input: empty object'),
    ($q$SELECT left(m, 200)::vgm_model FROM bad_input_base$q$,
     '22P02', 'invalid vgm_model: malformed JSON',
     'vgm_model text input: truncated text'),
    ($q$SELECT (m || ' x')::vgm_model FROM bad_input_base$q$,
     '22P02', 'invalid vgm_model: trailing garbage after the JSON object',
     'vgm_model text input: trailing garbage'),
    ($q$SELECT (m || m)::vgm_model FROM bad_input_base$q$,
     '22P02', 'invalid vgm_model: trailing garbage after the JSON object',
     'vgm_model text input: two objects'),
    ($q$SELECT replace(m, '"means":[-1,3]', '"means":[' || array_to_string(array_fill(0, ARRAY[257]), ',') || ']')::vgm_model FROM bad_input_base$q$,
     '22023', 'invalid vgm_model: length of field "means" does not match k',
     'vgm_model text input: 257-element arrays'),
    ($q$SELECT replace(m, '"fit_ms":1.5', '"fit_ms":1' || repeat('0', 2000))::vgm_model FROM bad_input_base$q$,
     '22023', 'invalid vgm_model: number too long in field "fit.fit_ms"',
     'vgm_model text input: number of 2000 digits'),
    ($q$SELECT replace(m, '"dims":1', '"dims":1,"x":' || repeat('[', 100000) || repeat(']', 100000))::vgm_model FROM bad_input_base$q$,
     '22P02', 'invalid vgm_model: malformed JSON',
     'vgm_model text input: 100000 nested arrays'),
    ($q$SELECT ('{"a":' || repeat('{"a":', 100000) || '1' || repeat('}', 100001))::vgm_model$q$,
     '22P02', 'invalid vgm_model: malformed JSON',
     'vgm_model text input: 100000 nested objects'),
    ($q$SELECT '{"version'::vgm_model$q$,
     '22P02', 'invalid vgm_model: malformed JSON',
     'vgm_model text input: unterminated string'),
    ($q$SELECT '{"v\x":1}'::vgm_model$q$,
     '22P02', 'invalid vgm_model: malformed JSON',
     'vgm_model text input: bad escape'),
    ($q$SELECT '{"\udc00":1}'::vgm_model$q$,
     '22P02', 'invalid vgm_model: malformed JSON',
     'vgm_model text input: lone low surrogate'),
    ($q$SELECT repeat(' ', 10000000)::vgm_model$q$,
     '22P02', 'invalid vgm_model: malformed JSON',
     'vgm_model text input: 10 MB of whitespace, then nothing'),
    ($q$SELECT '{"version":1}'::jsonb::text::vgm_model$q$,
     '22P02', 'invalid vgm_model: missing field "dims"',
     'vgm_model text input: cast from jsonb of the wrong shape')
) AS c(query, sqlstate, message, description);
-- the base model with one part replaced (old by new)
SELECT throws_ok(format('SELECT replace(m, %L, %L)::vgm_model FROM bad_input_base', c.old, c.new),
                 c.sqlstate, c.message, c.description)
FROM (VALUES
    ('"version":1', '"version":3',
     '0A000', 'invalid vgm_model: unsupported format version',
     'vgm_model text input: version 3'),
    ('"version":1', '"version":"1"',
     '0A000', 'invalid vgm_model: unsupported format version',
     'vgm_model text input: version as a string'),
    ('"version":1', '"version":2147483648',
     '0A000', 'invalid vgm_model: unsupported format version',
     'vgm_model text input: version 2^31'),
    ('"dims":1', '"dims":2',
     '0A000', 'invalid vgm_model: unsupported number of dimensions',
     'vgm_model text input: dims 2'),
    ('"dims":1', '"dims":1,"extra":true',
     '22P02', 'invalid vgm_model: unknown field "extra"',
     'vgm_model text input: unknown top-level field'),
    ('"reg_covar":1e-06', '"reg_covar":1e-06,"alpha":1',
     '22P02', 'invalid vgm_model: unknown field "priors.alpha"',
     'vgm_model text input: unknown nested field'),
    ('"dims":1', '"dims":1,"dims":1',
     '22P02', 'invalid vgm_model: duplicate field "dims"',
     'vgm_model text input: duplicate field'),
    ('"weight_threshold":0.005,', '',
     '22P02', 'invalid vgm_model: missing field "weight_threshold"',
     'vgm_model text input: missing field'),
    ('"priors":{"weight_concentration":0.001,"mean_precision":1,"mean":0,"degrees_of_freedom":1,"covariance":1,"reg_covar":1e-06},', '',
     '22P02', 'invalid vgm_model: missing field "priors"',
     'vgm_model text input: missing nested object'),
    ('"weight_threshold":0.005', '"weight_threshold":{}',
     '22023', 'invalid vgm_model: field "weight_threshold" must be a number',
     'vgm_model text input: object where a number belongs'),
    ('"k":2', '"k":0',
     '22023', 'invalid vgm_model: k out of range',
     'vgm_model text input: k = 0'),
    ('"k":2', '"k":-1',
     '22023', 'invalid vgm_model: k out of range',
     'vgm_model text input: k = -1'),
    ('"k":2', '"k":257',
     '22023', 'invalid vgm_model: k out of range',
     'vgm_model text input: k = 257'),
    ('"k":2', '"k":2.0',
     '22023', 'invalid vgm_model: field "k" must be an integer',
     'vgm_model text input: k as a fraction'),
    ('"k":2', '"k":99999999999',
     '22023', 'invalid vgm_model: field "k" out of range',
     'vgm_model text input: k beyond int32'),
    ('"means":[-1,3]', '"means":[-1]',
     '22023', 'invalid vgm_model: length of field "means" does not match k',
     'vgm_model text input: array shorter than k'),
    ('"means":[-1,3]', '"means":[-1,3,5]',
     '22023', 'invalid vgm_model: length of field "means" does not match k',
     'vgm_model text input: array longer than k'),
    ('"means":[-1,3]', '"means":[-1,"3"]',
     '22023', 'invalid vgm_model: field "means" must be an array of numbers',
     'vgm_model text input: string inside a number array'),
    ('"means":[-1,3]', '"means":[-1,null]',
     '22023', 'invalid vgm_model: field "means" must be an array of numbers',
     'vgm_model text input: null inside a number array'),
    ('"weights":[0.75,0.25]', '"weights":[0.75,0.5]',
     '22023', 'invalid vgm_model: weights do not sum to 1',
     'vgm_model text input: weights do not sum to 1'),
    ('"weights":[0.75,0.25]', '"weights":[1.25,-0.25]',
     '22023', 'invalid vgm_model: field "weights[0]" out of range',
     'vgm_model text input: negative weight'),
    ('"covariances":[0.5,2]', '"covariances":[0,2]',
     '22023', 'invalid vgm_model: field "covariances[0]" out of range',
     'vgm_model text input: zero covariance'),
    ('"covariances":[0.5,2]', '"covariances":[0.5,-2]',
     '22023', 'invalid vgm_model: field "covariances[1]" out of range',
     'vgm_model text input: negative covariance'),
    ('"weight_threshold":0.005', '"weight_threshold":NaN',
     '22P02', 'invalid vgm_model: malformed JSON',
     'vgm_model text input: bare NaN'),
    ('"weight_threshold":0.005', '"weight_threshold":"NaN"',
     '22023', 'invalid vgm_model: field "weight_threshold" must be a number',
     'vgm_model text input: NaN as a string'),
    ('"means":[-1,3]', '"means":[-1,Infinity]',
     '22P02', 'invalid vgm_model: malformed JSON',
     'vgm_model text input: bare Infinity'),
    ('"means":[-1,3]', '"means":[-1,"-Infinity"]',
     '22023', 'invalid vgm_model: field "means" must be an array of numbers',
     'vgm_model text input: -Infinity as a string'),
    ('"means":[-1,3]', '"means":[-1,1e999]',
     '22023', 'invalid vgm_model: field "means[1]" out of range',
     'vgm_model text input: number overflowing double'),
    ('"fit_ms":1.5', '"fit_ms":01.5',
     '22P02', 'invalid vgm_model: malformed JSON',
     'vgm_model text input: leading zeros'),
    ('"weight_threshold":0.005', '"weight_threshold":1',
     '22023', 'invalid vgm_model: field "weight_threshold" out of range',
     'vgm_model text input: weight_threshold = 1'),
    ('"converged":true', '"converged":2',
     '22023', 'invalid vgm_model: field "fit.converged" must be true or false',
     'vgm_model text input: converged = 2'),
    ('"seed":42', '"seed":-1',
     '22023', 'invalid vgm_model: field "fit.seed" out of range',
     'vgm_model text input: negative seed'),
    ('"seed":42', '"seed":18446744073709551616',
     '22023', 'invalid vgm_model: field "fit.seed" out of range',
     'vgm_model text input: seed beyond 2^64'),
    ('"rows":100', '"rows":-1',
     '22023', 'invalid vgm_model: field "training.rows" out of range',
     'vgm_model text input: negative row count'),
    ('"min":-3', '"min":8',
     '22023', 'invalid vgm_model: training min exceeds max',
     'vgm_model text input: training min above max'),
    ('"dims":1', '"dims":1,"d\u00e9j\u00e0":1',
     '22P02', 'invalid vgm_model: unknown field "d?j?"',
     'vgm_model text input: non-ASCII key'),
    ('"dims":1', '"dims":1,"déjà":1',
     '22P02', 'invalid vgm_model: unknown field "d??j??"',
     'vgm_model text input: non-ASCII text key'),
    ('"dims":1', E'"dims":1\x01',
     '22P02', 'invalid vgm_model: malformed JSON',
     'vgm_model text input: control character')
) AS c(old, new, sqlstate, message, description);

-- --------------------------------------------------------------------------
-- vgm_summary text input
-- --------------------------------------------------------------------------
SELECT throws_ok(c.query, c.sqlstate, c.message, c.description)
FROM (VALUES
    ($q$SELECT ''::vgm_summary$q$,
     '22P02', 'invalid input syntax for type vgm_summary',
     'vgm_summary text input: empty string'),
    ($q$SELECT 'null'::vgm_summary$q$,
     '22P02', 'invalid input syntax for type vgm_summary',
     'vgm_summary text input: JSON null'),
    ($q$SELECT '{}'::vgm_summary$q$,
     '22P02', 'invalid input syntax for type vgm_summary',
     'vgm_summary text input: empty object'),
    ($q$SELECT left(s, 60)::vgm_summary FROM bad_input_base$q$,
     '22P02', 'invalid input syntax for type vgm_summary',
     'vgm_summary text input: truncated text'),
    ($q$SELECT (s || ',')::vgm_summary FROM bad_input_base$q$,
     '22P02', 'invalid input syntax for type vgm_summary',
     'vgm_summary text input: trailing garbage')
) AS c(query, sqlstate, message, description);
-- fields in another order are the same summary (jsonb sorts them); a repeated one is not
SELECT is((SELECT replace(s, '"rows":5,"nulls":0', '"nulls":0,"rows":5')::vgm_summary = s::vgm_summary FROM bad_input_base),
    true, 'vgm_summary text input: fields out of order read the same summary');
SELECT throws_ok(c.query, c.sqlstate, c.message, c.description)
FROM (VALUES
    ($q$SELECT ('{"version":1,"shift":32,"rows":65537,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"min":1,"max":2,"buckets":[' || (SELECT string_agg('[' || (1072693249 + i) || ',1,1,0,0,0]', ',') FROM generate_series(0, 65536) i) || ']}')::vgm_summary$q$,
     '22023', 'invalid vgm_summary: too many buckets',
     'vgm_summary text input: 65537 buckets'),
    ($q$SELECT replace(s, '"buckets":[', '"buckets":' || repeat('[', 100000))::vgm_summary FROM bad_input_base$q$,
     '22P02', 'invalid input syntax for type vgm_summary',
     'vgm_summary text input: 100000 nested arrays')
) AS c(query, sqlstate, message, description);
-- the base summary with one part replaced (old by new)
SELECT throws_ok(format('SELECT replace(s, %L, %L)::vgm_summary FROM bad_input_base', c.old, c.new),
                 c.sqlstate, c.message, c.description)
FROM (VALUES
    ('"rows":5,', '"rows":5,"rows":5,',
     '22P02', 'invalid input syntax for type vgm_summary',
     'vgm_summary text input: a repeated field'),
    ('"version":1', '"version":3',
     '0A000', 'unsupported vgm_summary format version',
     'vgm_summary text input: version 3'),
    ('"shift":32', '"shift":64',
     '22023', 'invalid vgm_summary: resolution out of range',
     'vgm_summary text input: shift 64'),
    ('"shift":32', '"shift":-1',
     '22023', 'invalid vgm_summary: resolution out of range',
     'vgm_summary text input: shift -1'),
    ('"nulls":0', '"nulls":-1',
     '22023', 'invalid vgm_summary: negative count',
     'vgm_summary text input: negative NULL count'),
    ('"rows":5', '"rows":9223372036854775808',
     '22P02', 'invalid input syntax for type vgm_summary',
     'vgm_summary text input: row count beyond int64'),
    ('"rows":5', '"rows":5.5',
     '22P02', 'invalid input syntax for type vgm_summary',
     'vgm_summary text input: fractional row count'),
    ('"buckets":[[1072693249,1,1,0,0,0],[1073741825,1,2,0,0,0],[1074266113,1,3,0,0,0],[1074790401,1,4,0,0,0],[1075052545,1,5,0,0,0]]', '"buckets":[]',
     '22023', 'invalid vgm_summary: row count disagrees with buckets',
     'vgm_summary text input: rows without buckets'),
    ('"rows":5', '"rows":4',
     '22023', 'invalid vgm_summary: row count disagrees with buckets',
     'vgm_summary text input: fewer rows than buckets'),
    ('"min":1,"max":5', '"min":6,"max":5',
     '22023', 'invalid vgm_summary: bad minimum or maximum',
     'vgm_summary text input: min above max'),
    ('"min":1', '"min":-1e400',
     '22P02', 'invalid input syntax for type vgm_summary',
     'vgm_summary text input: min overflowing double'),
    ('[1072693249,1,1,0,0,0]', '[1072693249,NaN,1,0,0,0]',
     '22P02', 'invalid input syntax for type vgm_summary',
     'vgm_summary text input: bare NaN weight'),
    ('[1072693249,1,1,0,0,0]', '[1072693249,0,1,0,0,0]',
     '22023', 'invalid vgm_summary: bad bucket moments',
     'vgm_summary text input: zero bucket weight'),
    ('[1072693249,1,1,0,0,0]', '[1072693249,-1,1,0,0,0]',
     '22023', 'invalid vgm_summary: bad bucket moments',
     'vgm_summary text input: negative bucket weight'),
    ('[1072693249,1,1,0,0,0]', '[1072693249,1,1,-1,0,0]',
     '22023', 'invalid vgm_summary: bad bucket moments',
     'vgm_summary text input: negative second moment'),
    ('[1072693249,1,1,0,0,0],[1073741825,1,2,0,0,0]', '[1073741825,1,2,0,0,0],[1072693249,1,1,0,0,0]',
     '22023', 'invalid vgm_summary: buckets not sorted or duplicated',
     'vgm_summary text input: buckets out of order'),
    ('[1073741825,1,2,0,0,0]', '[1072693249,1,1,0,0,0]',
     '22023', 'invalid vgm_summary: buckets not sorted or duplicated',
     'vgm_summary text input: duplicate bucket key'),
    ('[1075052545,1,5,0,0,0]', '[9223372036854775807,1,5,0,0,0]',
     '22023', 'invalid vgm_summary: bucket key out of range',
     'vgm_summary text input: bucket key beyond the finite doubles'),
    ('[1075052545,1,5,0,0,0]', '[1075052545,1,500,0,0,0]',
     '22023', 'invalid vgm_summary: bucket mean outside its bucket',
     'vgm_summary text input: bucket mean outside its bucket'),
    ('[1075052545,1,5,0,0,0]', '[1075052545,1,5,0,0,0,0]',
     '22P02', 'invalid input syntax for type vgm_summary',
     'vgm_summary text input: bucket with six numbers'),
    ('[1072693249,1,1,0,0,0],[1073741825,1,2,0,0,0]', '[1072693249,1e308,1,0,0,0],[1073741825,1e308,2,0,0,0]',
     '22023', 'invalid vgm_summary: total weight overflows',
     'vgm_summary text input: total weight overflowing double')
) AS c(old, new, sqlstate, message, description);

-- --------------------------------------------------------------------------
-- vgm_fit(float8[], ...) options
-- --------------------------------------------------------------------------
SELECT throws_ok($q$SELECT vgm_fit(ARRAY[[1, 2], [3, 4]]::float8[])$q$,
    '2202E', 'vgm_fit expects a one-dimensional array',
    'vgm_fit(float8[], ...) options: two-dimensional array');
-- each option at values outside its range (22023, the range in the message)
-- and at NULL (22004); a value is SQL text, named without its quotes
SELECT throws_ok(format($q$SELECT vgm_fit(ARRAY[1, 2, 3, 10, 11, 12]::float8[], %s => %s)$q$, o.option, v.value),
                 CASE WHEN v.value = 'NULL' THEN '22004' ELSE '22023' END,
                 CASE WHEN v.value = 'NULL' THEN format('vgm_fit option "%s" must not be null', o.option)
                      ELSE o.message END,
                 format('vgm_fit(float8[], ...) options: %s => %s', o.option, replace(v.value, '''', '')))
FROM (VALUES
    ('max_components', 'max_components must be between 1 and 256',
     ARRAY['0', '-1', '257', '2147483647']),
    ('weight_concentration_prior', 'weight_concentration_prior must be a positive finite number',
     ARRAY['0', '-1', '''NaN''', '''Infinity''', '''-Infinity''']),
    ('weight_threshold', 'weight_threshold must be in [0, 1)',
     ARRAY['-0.1', '1', '''NaN''', '''Infinity''']),
    ('max_iter', 'max_iter must be between 1 and 1000000',
     ARRAY['0', '-5', '1000001']),
    ('tol', 'tol must be a non-negative finite number',
     ARRAY['-1', '''NaN''', '''Infinity''']),
    ('seed', NULL, ARRAY[]::text[])
) AS o(option, message, bad_values),
LATERAL unnest(o.bad_values || 'NULL'::text) AS v(value);

-- --------------------------------------------------------------------------
-- vgm_fit(vgm_summary, ...) options
-- --------------------------------------------------------------------------
SELECT throws_ok(c.query, c.sqlstate, c.message, c.description)
FROM (VALUES
    ($q$SELECT vgm_fit(s::vgm_summary, max_components => 0) FROM bad_input_base$q$,
     '22023', 'max_components must be between 1 and 256',
     'vgm_fit(vgm_summary, ...) options: max_components => 0'),
    ($q$SELECT vgm_fit(s::vgm_summary, max_components => 300) FROM bad_input_base$q$,
     '22023', 'max_components must be between 1 and 256',
     'vgm_fit(vgm_summary, ...) options: max_components => 300'),
    ($q$SELECT vgm_fit(s::vgm_summary, tol => 'NaN') FROM bad_input_base$q$,
     '22023', 'tol must be a non-negative finite number',
     'vgm_fit(vgm_summary, ...) options: tol => NaN'),
    ($q$SELECT vgm_fit(s::vgm_summary, max_iter => NULL) FROM bad_input_base$q$,
     '22004', 'vgm_fit option "max_iter" must not be null',
     'vgm_fit(vgm_summary, ...) options: max_iter => NULL'),

    -- --------------------------------------------------------------------------
    -- aggregates
    -- --------------------------------------------------------------------------
    ($q$SELECT vgm_fit(x, 0) FROM generate_series(1, 10) x$q$,
     '22023', 'max_components must be between 1 and 256',
     'aggregates: vgm_fit(x, 0)'),
    ($q$SELECT vgm_fit(x, 257) FROM generate_series(1, 10) x$q$,
     '22023', 'max_components must be between 1 and 256',
     'aggregates: vgm_fit(x, 257)'),
    ($q$SELECT vgm_summarize(x, NULL) FROM generate_series(1, 3) x$q$,
     '22004', 'vgm_summarize weight must not be null',
     'aggregates: vgm_summarize weight NULL'),
    ($q$SELECT vgm_summarize(x, -1) FROM generate_series(1, 3) x$q$,
     '22023', 'vgm_summarize weight must be a non-negative finite number',
     'aggregates: vgm_summarize weight -1'),
    ($q$SELECT vgm_summarize(x, 'NaN') FROM generate_series(1, 3) x$q$,
     '22023', 'vgm_summarize weight must be a non-negative finite number',
     'aggregates: vgm_summarize weight NaN'),
    ($q$SELECT vgm_summarize(x, 'Infinity') FROM generate_series(1, 3) x$q$,
     '22023', 'vgm_summarize weight must be a non-negative finite number',
     'aggregates: vgm_summarize weight Infinity'),
    ($q$SELECT vgm_summarize_sfunc(NULL, 1.0)$q$,
     '0A000', 'vgm_summarize_sfunc called in non-aggregate context',
     'aggregates: vgm_summarize_sfunc called directly'),
    ($q$SELECT vgm_summarize_weighted_sfunc(NULL, 1.0, 1.0)$q$,
     '0A000', 'vgm_summarize_weighted_sfunc called in non-aggregate context',
     'aggregates: vgm_summarize_weighted_sfunc called directly'),
    ($q$SELECT vgm_rollup_sfunc(NULL, s::vgm_summary) FROM bad_input_base$q$,
     '0A000', 'vgm_rollup_sfunc called in non-aggregate context',
     'aggregates: vgm_rollup_sfunc called directly'),
    ($q$SELECT vgm_summary_combine(s::vgm_summary, s::vgm_summary) FROM bad_input_base$q$,
     '0A000', 'vgm_summary_combine called in non-aggregate context',
     'aggregates: vgm_summary_combine called directly'),
    ($q$SELECT vgm_fit_final(s::vgm_summary, 1.0, 0) FROM bad_input_base$q$,
     '0A000', 'vgm_fit_final called in non-aggregate context',
     'aggregates: vgm_fit_final called directly with options'),

    -- --------------------------------------------------------------------------
    -- transforms
    -- --------------------------------------------------------------------------
    ($q$SELECT vgm_denormalize(m::vgm_model, -1, 0.5) FROM bad_input_base$q$,
     '22023', 'component -1 is out of range',
     'transforms: vgm_denormalize component -1'),
    ($q$SELECT vgm_denormalize(m::vgm_model, 2, 0.5) FROM bad_input_base$q$,
     '22023', 'component 2 is out of range',
     'transforms: vgm_denormalize component 2 of 2'),
    ($q$SELECT vgm_denormalize(m::vgm_model, 0, 'NaN') FROM bad_input_base$q$,
     '22023', 'alpha must be a finite number',
     'transforms: vgm_denormalize alpha NaN'),
    ($q$SELECT vgm_denormalize(m::vgm_model, 0, 'Infinity') FROM bad_input_base$q$,
     '22023', 'alpha must be a finite number',
     'transforms: vgm_denormalize alpha Infinity'),
    ($q$SELECT count(*) FROM bad_input_base, vgm_sample(m::vgm_model, -1, 1)$q$,
     '22023', 'number of samples must not be negative',
     'transforms: vgm_sample negative n'),
    ($q$SELECT vgm_component(replace(m, '"weight_threshold":0.005', '"weight_threshold":0.9')::vgm_model, 1.0) FROM bad_input_base$q$,
     '22023', 'vgm_model has no valid components',
     'transforms: vgm_component with no valid component'),

    -- --------------------------------------------------------------------------
    -- validation
    -- --------------------------------------------------------------------------
    ($q$SELECT ''::vgm_ks_state$q$,
     '22P02', 'invalid input syntax for type vgm_ks_state',
     'validation: vgm_ks_state empty text'),
    ($q$SELECT '{"version":1,"bins":16,"model_hash":"0000000000000001","n":0,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"counts":[-16]}'::vgm_ks_state$q$,
     '0A000', 'unsupported vgm_ks_state bin count',
     'validation: vgm_ks_state wrong bin count'),
    ($q$SELECT '{"version":1,"bins":65536,"model_hash":"0000000000000001","n":5,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"counts":[-65536]}'::vgm_ks_state$q$,
     '22023', 'invalid vgm_ks_state: counts do not sum to n',
     'validation: vgm_ks_state counts not summing to n'),
    ($q$SELECT '{"version":1,"bins":65536,"model_hash":"0000000000000001","n":0,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"counts":[-65536,0]}'::vgm_ks_state$q$,
     '22023', 'invalid vgm_ks_state: wrong number of bins',
     'validation: vgm_ks_state too many bins'),
    ($q$SELECT '{"version":1,"bins":65536,"model_hash":"0000000000000000","n":0,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"counts":[-65536]}'::vgm_ks_state$q$,
     '22023', 'invalid vgm_ks_state: missing model hash',
     'validation: vgm_ks_state zero model hash'),
    ($q$SELECT '{"version":1,"x":1}'::vgm_ks_state$q$,
     '22P02', 'invalid vgm_ks_state: unknown field',
     'validation: vgm_ks_state unknown field'),
    ($q$SELECT vgm_ks_sfunc(NULL, m::vgm_model, 1.0) FROM bad_input_base$q$,
     '0A000', 'vgm_ks_sfunc called in non-aggregate context',
     'validation: vgm_ks_sfunc called directly'),
    ($q$SELECT vgm_bounds_sfunc('{1,2}'::bigint[], m::vgm_model, 1.0) FROM bad_input_base$q$,
     '0A000', 'vgm_bounds_sfunc called in non-aggregate context',
     'validation: vgm_bounds_sfunc called directly with a short state'),
    ($q$SELECT vgm_bounds_combine('{1,2}'::bigint[], '{1,2}'::bigint[])$q$,
     '22023', 'invalid vgm_bounds state',
     'validation: vgm_bounds_combine with a short state')
) AS c(query, sqlstate, message, description);
-- vgm_ks_state text: the model hash is exactly 16 hex digits; field names are ASCII
SELECT throws_ok($q$SELECT '{"version":1,"bins":65536,"model_hash":"-000000000000001","n":0,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"counts":[-65536]}'::vgm_ks_state$q$,
    '22P02', NULL, 'validation: a vgm_ks_state model_hash with a sign');
SELECT throws_ok($q$SELECT '{"version":1,"bins":65536,"model_hash":"0x00000000000001","n":0,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"counts":[-65536]}'::vgm_ks_state$q$,
    '22P02', NULL, 'validation: a vgm_ks_state model_hash with 0x');
SELECT throws_ok($q$SELECT '{"version":1,"bins":65536,"model_hash":" 000000000000001","n":0,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"counts":[-65536]}'::vgm_ks_state$q$,
    '22P02', NULL, 'validation: a vgm_ks_state model_hash with a space');
SELECT throws_ok($q$SELECT '{"vérsion":1}'::vgm_ks_state$q$,
    '22P02', 'invalid input syntax for type vgm_ks_state', 'validation: a vgm_ks_state field name outside ASCII');
-- the float8[] state of vgm_moments(x) may arrive as text from another node
SELECT throws_ok($q$SELECT vgm_moments_combine('{1,2}'::float8[], '{1,2}'::float8[])$q$,
    '22023', 'invalid vgm_moments state', 'validation: vgm_moments_combine with a short state');
SELECT throws_ok($q$SELECT vgm_moments_final('{2,0,0,0,0,0,0,0,0,0,0,0,0}'::float8[])$q$,
    '0A000', NULL, 'validation: vgm_moments_final with an unknown state version');
-- damaged states of the current version: one invariant broken in each
SELECT throws_ok(format($q$SELECT vgm_moments_final(%s::float8[])$q$, s.state),
                 '22023', 'invalid vgm_moments state', 'validation: vgm_moments_final ' || s.what)
FROM (VALUES
    ($s$'{1,-1,0,0,0,0,0,0,0,0,0,0,0}'$s$, 'with a negative count'),
    ($s$'{1,2.5,0,0,0,0,0,0,0,0,0,0,0}'$s$, 'with a fractional count'),
    ($s$'{1,2,NaN,0,1,0,0,0,1,0,0,0,0}'$s$, 'with a NaN mean'),
    ($s$'{1,2,0,0,-1,0,0,0,1,0,0,0,0}'$s$, 'with a negative second moment'),
    ($s$'{1,2,0,0,1,0,0,5,1,0,0,0,0}'$s$, 'with min > max'),
    ($s$'{1,0,3,0,0,0,0,0,0,0,0,0,0}'$s$, 'of an empty state with a mean'),
    ($s$ARRAY[1,0,0,0,0,0,0,0,0,0,0,0,NULL]$s$, 'with a NULL element')
) AS s(state, what);
SELECT throws_ok($q$SELECT vgm_moments_combine('{1,9007199254740992,0,0,0,0,0,0,0,0,0,0,0}'::float8[],
                                               '{1,1,1,0,0,0,0,1,1,0,0,0,0}'::float8[])$q$,
    '22003', NULL, 'validation: vgm_moments_combine beyond 2^53 rows');
SELECT throws_ok($q$SELECT vgm_moments_sfunc('{1,0,0,0,0,0,0,0,0,0,0,0,0}'::float8[], 1.0)$q$,
    '0A000', NULL, 'validation: vgm_moments_sfunc outside an aggregate');
SELECT throws_ok($q$SELECT vgm_moments(x) FROM unnest(ARRAY[1e200, -1e200]::float8[]) x$q$,
    '22003', 'vgm_moments value out of range: overflow',
    'validation: vgm_moments errors when the variance overflows');
SELECT is((SELECT round(((vgm_moments(x)).mean / 1e100)::numeric, 12)
             FROM unnest(ARRAY[1e100, -1e100, 3e100]::float8[]) x), 1.000000000000,
    'validation: vgm_moments of values near 1e100 (fourth powers overflow): the mean is exact');
SELECT throws_ok(c.query, c.sqlstate, c.message, c.description)
FROM (VALUES
    ($q$SELECT vgm_bounds_final(ARRAY[1, NULL]::bigint[])$q$,
     '22023', 'invalid vgm_bounds state',
     'validation: vgm_bounds_final with a NULL element'),
    ($q$SELECT vgm_bounds_final(ARRAY[[1, 2], [3, 4]]::bigint[])$q$,
     '22023', 'invalid vgm_bounds state',
     'validation: vgm_bounds_final with a 2-D state'),
    ($q$SELECT vgm_bounds_final(array_fill(-1::bigint, ARRAY[12]))$q$,
     '22023', 'invalid vgm_bounds state',
     'validation: vgm_bounds_final with negative counts'),
    ($q$SELECT vgm_kstwo_sf(0.5, 0)$q$,
     '22023', 'n must be at least 1',
     'validation: vgm_kstwo_sf n = 0'),
    ($q$SELECT vgm_kstwo_sf(0.5, -1)$q$,
     '22023', 'n must be at least 1',
     'validation: vgm_kstwo_sf n = -1'),
    ($q$SELECT vgm_ks_2samp_sf(0.5, 0, 10)$q$,
     '22023', 'n1 must be at least 1',
     'validation: vgm_ks_2samp_sf n1 = 0'),
    ($q$SELECT * FROM bad_input_base, vgm_validate(m::vgm_model, 'no_such_table', 'x')$q$,
     '42P01', 'relation "no_such_table" does not exist',
     'validation: vgm_validate on a missing table'),
    ($q$SELECT * FROM bad_input_base, vgm_validate(m::vgm_model, 'bad_input_data', 'no_such_column')$q$,
     '42703', 'column "no_such_column" of relation bad_input_data does not exist',
     'validation: vgm_validate on a missing column'),
    ($q$SELECT * FROM bad_input_base, vgm_validate(m::vgm_model, 'bad_input_data', 't')$q$,
     '42804', 'column "t" of relation bad_input_data has type text, not a number',
     'validation: vgm_validate on a text column'),
    ($q$SELECT * FROM bad_input_base, vgm_validate(m::vgm_model, 'bad_input_data', 'x); DROP TABLE bad_input_data; --')$q$,
     '42703', 'column "x); DROP TABLE bad_input_data; --" of relation bad_input_data does not exist',
     'validation: vgm_validate with a hostile column name')
) AS c(query, sqlstate, message, description);

-- --------------------------------------------------------------------------
-- inputs that are not errors by design
-- --------------------------------------------------------------------------
SELECT ok(vgm_fit(NULL::float8[]) IS NULL, 'vgm_fit(NULL array) is NULL');
SELECT ok(vgm_fit(NULL::vgm_summary) IS NULL, 'vgm_fit(NULL summary) is NULL');
SELECT ok(vgm_fit('{}'::float8[]) IS NULL, 'vgm_fit of an empty array is NULL');
SELECT ok(vgm_fit(ARRAY[NULL, NULL]::float8[]) IS NULL, 'vgm_fit of only NULL elements is NULL');
SELECT ok(vgm_fit(ARRAY['NaN', 'Infinity', '-Infinity']::float8[]) IS NULL,
    'vgm_fit of only non-finite elements is NULL (with a warning)');
SELECT ok((SELECT vgm_fit(x) FROM unnest(ARRAY[NULL, NULL]::float8[]) x) IS NULL,
    'the vgm_fit aggregate over only NULLs is NULL');
SELECT ok((SELECT vgm_fit(x) FROM generate_series(1, 0) x) IS NULL,
    'the vgm_fit aggregate over no rows is NULL');
SELECT ok((SELECT vgm_fit(vgm_summarize(x)) FROM unnest(ARRAY[NULL, 'NaN']::float8[]) x) IS NULL,
    'vgm_fit of a summary without finite rows is NULL');
SELECT is((SELECT (vgm_summary_info(vgm_summarize(x))).nulls
             FROM unnest(ARRAY[NULL, NULL]::float8[]) x), 2::bigint,
    'vgm_summarize over only NULLs counts them');
SELECT lives_ok($q$SELECT vgm_fit(ARRAY[1, 2, 3, 10, 11, 12]::float8[], max_components => 3, init => m::vgm_model) FROM bad_input_base$q$,
    'vgm_fit warm-started from a model of another k');
SELECT lives_ok($q$SELECT vgm_fit(s::vgm_summary, max_components => 5, init => m::vgm_model) FROM bad_input_base$q$,
    'vgm_fit(summary) warm-started from a model of another k');
SELECT ok(vgm_n_components(NULL) IS NULL AND vgm_weights(NULL) IS NULL
          AND vgm_summary_info(NULL) IS NULL,
    'accessors are STRICT: NULL in, NULL out');
SELECT throws_ok($q$SELECT vgm_fit(ARRAY[1e300, -1e300, 1e300, 5]::float8[], max_components => 2)$q$,
    '22003', 'cannot fit a vgm_model: the values are too large: their variance overflows a double',
    'vgm_fit of values whose variance overflows double is an error');
SELECT throws_ok($q$SELECT vgm_fit(vgm_summarize(x)) FROM unnest(ARRAY[1e300, -1e300]::float8[]) x$q$,
    '22003', 'cannot fit a vgm_model: the values are too large: their variance overflows a double',
    'vgm_fit of a summary whose variance overflows double is an error');
SELECT lives_ok($q$SELECT vgm_fit(ARRAY[5e-324, 1e-320, 0, -0.0]::float8[], max_components => 2)::text::vgm_model$q$,
    'a fit on subnormal values reads back');
SELECT lives_ok($q$SELECT vgm_fit(ARRAY[1e150, -1e150, 2e150, 7]::float8[], max_components => 2)::text::vgm_model$q$,
    'a fit on values near 1e150 reads back');
SELECT ok((SELECT vgm_alpha(m::vgm_model, 'NaN') IS NULL AND vgm_alpha(m::vgm_model, 'Infinity') IS NULL
                       AND vgm_component(m::vgm_model, '-Infinity') IS NULL
                       AND vgm_normalize(m::vgm_model, 'NaN') IS NULL
                  FROM bad_input_base), 'transforms return NULL for NaN and infinities');
SELECT ok(vgm_kstwo_sf('NaN', 10) = 'NaN'::float8, 'vgm_kstwo_sf(NaN, n) is NaN');
SELECT is(vgm_ks_2samp_sf(0.5, 9223372036854775807, 9223372036854775807), 0::float8,
               'vgm_ks_2samp_sf with n1 = n2 = 2^63 - 1 does not overflow');

-- --------------------------------------------------------------------------
-- bugs found by these tests and fixed (docs/reliability.md), kept as regressions
-- --------------------------------------------------------------------------
-- 70,000 distinct values near 1e300 coarsen to buckets holding values ~1e293 apart
-- (the message names the values, not the summary's internal checks)
SELECT throws_ok($q$SELECT vgm_summarize(1e300 * (1 + i * 1e-7)) FROM generate_series(1, 70000) i$q$,
    '22003', 'values too large to summarize',
    'vgm_summarize errors when a bucket''s moments overflow');
SELECT matches(pg_temp.error_detail($q$SELECT vgm_summarize(1e300 * (1 + i * 1e-7)) FROM generate_series(1, 70000) i$q$),
    '^The values lie in \[1e\+300, 1\.007e\+300\]; [0-9]+ buckets of them hold spreads whose fourth power overflows a double\.$',
    'the detail of values too large to summarize speaks of the values, not of internal checks');
-- the weights, not the values, overflow: the message says so
SELECT throws_ok($q$SELECT vgm_summarize(1.0, w) FROM unnest(ARRAY[1e308, 1e308]::float8[]) w$q$,
    '22003', 'weights too large to summarize',
    'vgm_summarize errors when the total weight overflows');
SELECT throws_ok($q$SELECT vgm_summarize(i * 0.001, 1e305) FROM generate_series(1, 10000) i$q$,
    '22003', 'weights too large to summarize',
    'vgm_summarize blames the weights when huge weights overflow the moments of small values');
-- counts that a rollup or a stored initial state brings to 2^63 - 1 (signed
-- overflow before: undefined behaviour, then "negative count")
SELECT throws_ok($q$SELECT vgm_rollup(s::vgm_summary) FROM (VALUES
        ('{"version":1,"shift":0,"rows":9223372036854775807,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"min":1.5,"max":1.5,"buckets":[[4609434218613702657,1,1.5,0,0,0]]}'),
        ('{"version":1,"shift":0,"rows":1,"nulls":0,"nans":0,"pos_infs":0,"neg_infs":0,"min":1.5,"max":1.5,"buckets":[[4609434218613702657,1,1.5,0,0,0]]}')) v(s)$q$,
    '22003', 'vgm_summary counts overflow',
    'vgm_rollup errors when the row counts add past 2^63 - 1');
SELECT throws_ok($q$SELECT vgm_rollup(s::vgm_summary) FROM (VALUES
        ('{"version":1,"shift":0,"rows":0,"nulls":9223372036854775807,"nans":0,"pos_infs":0,"neg_infs":0,"min":0,"max":0,"buckets":[]}'),
        ('{"version":1,"shift":0,"rows":0,"nulls":1,"nans":0,"pos_infs":0,"neg_infs":0,"min":0,"max":0,"buckets":[]}')) v(s)$q$,
    '22003', 'vgm_summary counts overflow',
    'vgm_rollup errors when the NULL counts add past 2^63 - 1');
CREATE AGGREGATE pg_temp.summarize_from_full(float8) (
    SFUNC = vgm_summarize_sfunc, STYPE = vgm_summary,
    INITCOND = '{"version":1,"shift":0,"rows":9223372036854775807,"nulls":9223372036854775807,"nans":0,"pos_infs":0,"neg_infs":0,"min":1.5,"max":1.5,"buckets":[[4609434218613702657,1,1.5,0,0,0]]}');
SELECT throws_ok($q$SELECT pg_temp.summarize_from_full(2.5)$q$,
    '22003', 'vgm_summary counts overflow',
    'one more row after 2^63 - 1 rows is an error');
SELECT throws_ok($q$SELECT pg_temp.summarize_from_full(NULL)$q$,
    '22003', 'vgm_summary counts overflow',
    'one more NULL after 2^63 - 1 NULLs is an error');
-- 70,002 distinct values coarsen until -1.5e-323 and -5e-324 share a bucket
SELECT lives_ok($q$SELECT vgm_summarize(x, w ORDER BY o)::text::vgm_summary
                     FROM (SELECT 0 AS o, -1.5e-323::float8 AS x, 1e-300::float8 AS w
                           UNION ALL SELECT 1, -5e-324, 0.76
                           UNION ALL SELECT 1 + i, i, 1 FROM generate_series(1, 70000) i) d$q$,
    'a summary of negative subnormal values reads back');
-- fixed in 5153947: the resolution is the finest at which all values fit
SELECT is((SELECT (vgm_summary_info(vgm_summarize(x ORDER BY o))).relative_width
             FROM (SELECT 1 + j * 2.0::float8 ^ (-19) AS x, j AS o FROM generate_series(0, 65535) j
                   UNION ALL SELECT 1 + 2.0::float8 ^ (-20), 1000000) d),
          (SELECT (vgm_summary_info(vgm_summarize(x ORDER BY o))).relative_width
             FROM (SELECT 1 + j * 2.0::float8 ^ (-19) AS x, j AS o FROM generate_series(0, 65535) j
                   UNION ALL SELECT 1 + 2.0::float8 ^ (-20), -1) d),
    'vgm_summarize gives the same resolution whatever the order of the rows');
SELECT throws_ok($q$SELECT * FROM bad_input_base, vgm_validate(m::vgm_model, 'bad_input_data', 'x', mean_tol => -1)$q$,
           '22023', NULL, 'vgm_validate rejects a negative tolerance');
SELECT throws_ok($q$SELECT * FROM bad_input_base, vgm_validate(m::vgm_model, 'bad_input_data', 'x', ks_pvalue_min => 'NaN')$q$,
           '22023', NULL, 'vgm_validate rejects a NaN threshold');

-- --------------------------------------------------------------------------
-- vgm_model atoms (format version 2): the base model with 20 % of its rows
-- in two atoms, damaged one rule at a time
-- --------------------------------------------------------------------------
CREATE TEMP TABLE bad_atoms_base AS
SELECT replace(replace(replace(m, '"version":1', '"version":2'),
                       '"weights":[0.75,0.25]', '"weights":[0.6,0.2]'),
               '"weight_threshold"', '"atoms":[[0,0.1],[5,0.1]],"weight_threshold"') AS a
FROM bad_input_base;
SELECT lives_ok($q$SELECT a::vgm_model FROM bad_atoms_base$q$, 'atoms: the base model with atoms is valid');
SELECT throws_ok(c.query, c.sqlstate, c.message, c.description)
FROM (VALUES
    ($q$SELECT replace(a, '[[0,0.1],[5,0.1]]',
        '[' || (SELECT string_agg(format('[%s,0.01]', i), ',') FROM generate_series(1, 17) i) || ']')::vgm_model
    FROM bad_atoms_base$q$,
     '22023', 'invalid vgm_model: too many atoms',
     'atoms: 17 atoms'),
    ($q$SELECT replace(replace(a, '"weights":[0.6,0.2]', '"weights":[0.004,0.004]'),
        '[5,0.1]', '[5,0.892]')::vgm_model FROM bad_atoms_base$q$,
     '22023', 'invalid vgm_model: model with atoms has no valid mixture component',
     'atoms: no valid mixture component'),
    ($q$SELECT vgm_denormalize(a::vgm_model, 4, 0) FROM bad_atoms_base$q$,
     '22023', 'component 4 is out of range',
     'atoms: a component number past the atoms'),
    ($q$SELECT vgm_decode(a::vgm_model, ARRAY[0, 1, 0]) FROM bad_atoms_base$q$,
     '2202E', 'vgm_decode needs a one-dimensional array of 5 numbers without NULLs',
     'atoms: a decode block without the atoms'),
    ($q$SELECT replace(s::text, '"version":2', '"version":1')::vgm_ks_state
    FROM (SELECT vgm_ks_state(a::vgm_model, x) AS s FROM bad_atoms_base, bad_input_data GROUP BY a) t$q$,
     '22023', 'invalid vgm_ks_state: version does not match the jumps',
     'atoms: KS state text with jumps and version 1'),
    ($q$SELECT regexp_replace(s::text, '"jumps":\[\[([0-9]+),', '"jumps":[[\1000000,')::vgm_ks_state
    FROM (SELECT vgm_ks_state(a::vgm_model, x) AS s FROM bad_atoms_base, bad_input_data GROUP BY a) t$q$,
     '22023', 'invalid vgm_ks_state: bin out of range',
     'atoms: KS state with a jump beyond the bins')
) AS c(query, sqlstate, message, description);
-- the model with atoms with one part replaced (old by new)
SELECT throws_ok(format('SELECT replace(a, %L, %L)::vgm_model FROM bad_atoms_base', c.old, c.new),
                 c.sqlstate, c.message, c.description)
FROM (VALUES
    ('[[0,0.1],[5,0.1]]', '[[5,0.1],[0,0.1]]',
     '22023', 'invalid vgm_model: atom values not strictly increasing',
     'atoms: values out of order'),
    ('[[0,0.1],[5,0.1]]', '[[0,0.1],[0,0.1]]',
     '22023', 'invalid vgm_model: atom values not strictly increasing',
     'atoms: a value twice'),
    ('[5,0.1]', '[5,0]',
     '22023', 'invalid vgm_model: field "atoms[1][1]" out of range',
     'atoms: a zero weight'),
    ('[5,0.1]', '[5,-0.1]',
     '22023', 'invalid vgm_model: field "atoms[1][1]" out of range',
     'atoms: a negative weight'),
    ('[5,0.1]', '[5,0.2]',
     '22023', 'invalid vgm_model: weights do not sum to 1',
     'atoms: mixture and atom weights sum above 1'),
    ('[5,0.1]', '[1e999,0.1]',
     '22023', 'invalid vgm_model: field "atoms[1][0]" out of range',
     'atoms: a value beyond double'),
    ('[5,0.1]', '[5]',
     '22023', 'invalid vgm_model: field "atoms" must be an array of [value, weight] pairs',
     'atoms: a pair of one'),
    ('[5,0.1]', '"5"',
     '22023', 'invalid vgm_model: field "atoms" must be an array of [value, weight] pairs',
     'atoms: a string for a pair'),
    ('[[0,0.1],[5,0.1]]', '{}',
     '22023', 'invalid vgm_model: field "atoms" must be an array of [value, weight] pairs',
     'atoms: an object'),
    ('[[0,0.1],[5,0.1]]', '[]',
     '22P02', 'invalid vgm_model: empty field "atoms"',
     'atoms: version 2 with no atoms'),
    ('"atoms":[[0,0.1],[5,0.1]],', '',
     '22P02', 'invalid vgm_model: missing field "atoms"',
     'atoms: version 2 without the field'),
    ('"version":2', '"version":1',
     '22P02', 'invalid vgm_model: field "atoms" needs format version 2',
     'atoms: version 1 with atoms')
) AS c(old, new, sqlstate, message, description);

-- --------------------------------------------------------------------------
-- after all of the above the backend is alive and well
-- --------------------------------------------------------------------------
-- the heavy-value table of a coarsened summary (version 2): 70,000 distinct
-- values and 30 % at 7.5, so "heavy":[[7.5,30000,0]]
-- --------------------------------------------------------------------------
CREATE TEMP TABLE heavy_base AS
SELECT vgm_summarize(CASE WHEN i % 10 < 3 THEN 7.5 ELSE i * 0.0123 END)::text AS s
FROM generate_series(1, 100000) i;
SELECT lives_ok($q$SELECT s::vgm_summary FROM heavy_base$q$,
    'vgm_summary text input: a version 2 summary with its heavy values reads');
SELECT throws_ok(c.query, c.sqlstate, c.message, c.description)
FROM (VALUES

    -- --------------------------------------------------------------------------
    -- vgm_model_from_mixture atom arguments (checked as the text form's "atoms")
    -- --------------------------------------------------------------------------
    ($q$SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[5])$q$,
     '22004', 'vgm_model_from_mixture atom_values and atom_weights must be given together',
     'vgm_model_from_mixture: atom values without weights'),
    ($q$SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_weights => ARRAY[0.2])$q$,
     '22004', 'vgm_model_from_mixture atom_values and atom_weights must be given together',
     'vgm_model_from_mixture: atom weights without values'),
    ($q$SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[5, 6], atom_weights => ARRAY[0.2])$q$,
     '22023', 'vgm_model_from_mixture atom arrays differ in length',
     'vgm_model_from_mixture: atom arrays of different lengths'),
    ($q$SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[5], atom_weights => ARRAY[0.1])$q$,
     '22023', 'vgm_model_from_mixture weights and atom_weights must sum to 1',
     'vgm_model_from_mixture: weights and atom weights not summing to 1'),
    ($q$SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[6, 5], atom_weights => ARRAY[0.1, 0.1])$q$,
     '22023', 'vgm_model_from_mixture cannot build a valid model: invalid vgm_model: atom values not strictly increasing',
     'vgm_model_from_mixture: atom values out of order'),
    ($q$SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[5, 5], atom_weights => ARRAY[0.1, 0.1])$q$,
     '22023', 'vgm_model_from_mixture cannot build a valid model: invalid vgm_model: atom values not strictly increasing',
     'vgm_model_from_mixture: a repeated atom value'),
    ($q$SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[5, 6], atom_weights => ARRAY[0.3, -0.1])$q$,
     '22023', 'vgm_model_from_mixture atom_weights must be positive',
     'vgm_model_from_mixture: a negative atom weight'),
    ($q$SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY['NaN']::float8[], atom_weights => ARRAY[0.2])$q$,
     '22023', 'vgm_model_from_mixture atom_values must be finite numbers',
     'vgm_model_from_mixture: a NaN atom value'),
    ($q$SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[5], atom_weights => ARRAY['Infinity']::float8[])$q$,
     '22023', 'vgm_model_from_mixture atom_weights must be finite numbers',
     'vgm_model_from_mixture: an infinite atom weight'),
    ($q$SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[NULL]::float8[], atom_weights => ARRAY[0.2])$q$,
     '22004', 'vgm_model_from_mixture atom_values must not contain NULLs',
     'vgm_model_from_mixture: a NULL atom value'),
    ($q$SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[[5]], atom_weights => ARRAY[0.2])$q$,
     '2202E', 'vgm_model_from_mixture atom_values must be a one-dimensional array',
     'vgm_model_from_mixture: a two-dimensional atom array'),
    ($q$SELECT vgm_model_from_mixture(ARRAY[0.83], ARRAY[0], ARRAY[1], atom_values => (SELECT array_agg(g::float8) FROM generate_series(1, 17) g), atom_weights => array_fill(0.01::float8, ARRAY[17]))$q$,
     '22023', 'vgm_model_from_mixture needs between 0 and 16 atoms',
     'vgm_model_from_mixture: 17 atoms'),
    ($q$SELECT vgm_model_from_mixture(ARRAY[0.004], ARRAY[0], ARRAY[1], atom_values => ARRAY[5], atom_weights => ARRAY[0.996])$q$,
     '22023', 'vgm_model_from_mixture cannot build a valid model: invalid vgm_model: model with atoms has no valid mixture component',
     'vgm_model_from_mixture: atoms leaving no valid mixture component'),
    ($q$SELECT vgm_model_from_mixture(ARRAY[0], ARRAY[0], ARRAY[1], atom_values => ARRAY[5], atom_weights => ARRAY[1])$q$,
     '22023', 'vgm_model_from_mixture weights must not all be 0',
     'vgm_model_from_mixture: atoms alone')
) AS c(query, sqlstate, message, description);
-- the summary with heavy values with one part replaced (old by new)
SELECT throws_ok(format('SELECT replace(s, %L, %L)::vgm_summary FROM heavy_base', c.old, c.new),
                 c.sqlstate, c.message, c.description)
FROM (VALUES
    ('[[7.5,30000,0]]', '[[7.5,-1,0]]',
     '22023', 'invalid vgm_summary: bad heavy weight',
     'vgm_summary text input: a negative heavy weight'),
    ('[[7.5,30000,0]]', '[[7.5,30000,-2]]',
     '22023', 'invalid vgm_summary: bad heavy weight',
     'vgm_summary text input: a negative missed weight'),
    ('[[7.5,30000,0]]', '[[7.5,20000,0],[7.5,1,0]]',
     '22023', 'invalid vgm_summary: heavy values not sorted or duplicated',
     'vgm_summary text input: a repeated heavy value'),
    ('[[7.5,30000,0]]', '[[1e300,1,0]]',
     '22023', 'invalid vgm_summary: heavy value outside the buckets',
     'vgm_summary text input: a heavy value in no bucket'),
    ('[[7.5,30000,0]]', '[[7.5,1e9,0]]',
     '22023', 'invalid vgm_summary: heavy weights exceed their bucket',
     'vgm_summary text input: a heavy weight above its bucket''s'),
    ('[[7.5,30000,0]]', '[[7.5,30000]]',
     '22P02', 'invalid input syntax for type vgm_summary',
     'vgm_summary text input: a heavy value of two numbers'),
    ('"version":2', '"version":1',
     '22P02', 'invalid input syntax for type vgm_summary',
     'vgm_summary text input: heavy values in a version 1 summary'),
    ('[[7.5,30000,0]]', '[]',
     '22P02', 'invalid input syntax for type vgm_summary',
     'vgm_summary text input: version 2 with an empty table')
) AS c(old, new, sqlstate, message, description);
SELECT lives_ok($q$SELECT vgm_model_from_mixture(ARRAY[0.8], ARRAY[0], ARRAY[1], atom_values => ARRAY[5], atom_weights => ARRAY[0.2])$q$,
    'vgm_model_from_mixture: one atom beside one component is valid');

-- --------------------------------------------------------------------------
-- scikit-learn's prior options of vgm_fit(summary, ...) and the one-step
-- vgm_fit(x, atoms, atom_share, covariance_prior): 0 is the default, a
-- negative or non-finite value or NULL is refused
CREATE TEMP TABLE bad_prior_data AS SELECT (i % 7)::float8 + i / 100.0 AS x FROM generate_series(1, 200) i;
SELECT throws_ok($q$SELECT vgm_fit(vgm_summarize(x), covariance_prior => -1) FROM bad_prior_data$q$,
    '22023', 'covariance_prior must be a non-negative finite number', 'prior options: covariance_prior => -1');
SELECT throws_ok($q$SELECT vgm_fit(vgm_summarize(x), covariance_prior => 'NaN') FROM bad_prior_data$q$,
    '22023', 'covariance_prior must be a non-negative finite number', 'prior options: covariance_prior => NaN');
SELECT throws_ok($q$SELECT vgm_fit(vgm_summarize(x), covariance_prior => 'Infinity') FROM bad_prior_data$q$,
    '22023', 'covariance_prior must be a non-negative finite number', 'prior options: covariance_prior => Infinity');
SELECT throws_ok($q$SELECT vgm_fit(vgm_summarize(x), covariance_prior => NULL) FROM bad_prior_data$q$,
    '22004', 'vgm_fit option "covariance_prior" must not be null', 'prior options: covariance_prior => NULL');
SELECT throws_ok($q$SELECT vgm_fit(vgm_summarize(x), mean_precision_prior => -0.5) FROM bad_prior_data$q$,
    '22023', 'mean_precision_prior must be a non-negative finite number', 'prior options: mean_precision_prior => -0.5');
SELECT throws_ok($q$SELECT vgm_fit(vgm_summarize(x), mean_precision_prior => NULL) FROM bad_prior_data$q$,
    '22004', 'vgm_fit option "mean_precision_prior" must not be null', 'prior options: mean_precision_prior => NULL');
SELECT throws_ok($q$SELECT vgm_fit(vgm_summarize(x), degrees_of_freedom_prior => -1) FROM bad_prior_data$q$,
    '22023', 'degrees_of_freedom_prior must be a non-negative finite number', 'prior options: degrees_of_freedom_prior => -1');
SELECT throws_ok($q$SELECT vgm_fit(vgm_summarize(x), degrees_of_freedom_prior => 'Infinity') FROM bad_prior_data$q$,
    '22023', 'degrees_of_freedom_prior must be a non-negative finite number', 'prior options: degrees_of_freedom_prior => Infinity');
SELECT throws_ok($q$EXPLAIN SELECT vgm_fit(vgm_summarize(x), covariance_prior => -1) FROM bad_prior_data$q$,
    '22023', 'covariance_prior must be a non-negative finite number', 'prior options: checked while planning');
SELECT throws_ok($q$SELECT vgm_fit(x, true, 0.01, -1) FROM bad_prior_data$q$,
    '22023', 'covariance_prior must be a non-negative finite number', 'prior options: the one-step aggregate, a negative prior');
SELECT throws_ok($q$SELECT vgm_fit(x, true, 0.01, NULL) FROM bad_prior_data$q$,
    '22004', 'vgm_fit option "covariance_prior" must not be null', 'prior options: the one-step aggregate, NULL');
SELECT throws_ok($q$SELECT vgm_fit(x, true, 0.01, x + 1) FROM bad_prior_data$q$,
    '0A000', 'the option "covariance_prior" of the aggregate vgm_fit must be a constant',
    'prior options: the one-step aggregate, a computed prior');

-- the same prior options on vgm_fit(float8[], ...), checked the same way
-- (planned constants and computed values alike)
CREATE TEMP TABLE bad_prior_array AS SELECT array_agg(x ORDER BY x) AS a FROM bad_prior_data;
SELECT throws_ok($q$SELECT vgm_fit(a, covariance_prior => -1) FROM bad_prior_array$q$,
    '22023', 'covariance_prior must be a non-negative finite number', 'array prior options: covariance_prior => -1');
SELECT throws_ok($q$SELECT vgm_fit(a, covariance_prior => 'NaN') FROM bad_prior_array$q$,
    '22023', 'covariance_prior must be a non-negative finite number', 'array prior options: covariance_prior => NaN');
SELECT throws_ok($q$SELECT vgm_fit(a, covariance_prior => NULL) FROM bad_prior_array$q$,
    '22004', 'vgm_fit option "covariance_prior" must not be null', 'array prior options: covariance_prior => NULL');
SELECT throws_ok($q$SELECT vgm_fit(a, mean_precision_prior => -0.5) FROM bad_prior_array$q$,
    '22023', 'mean_precision_prior must be a non-negative finite number', 'array prior options: mean_precision_prior => -0.5');
SELECT throws_ok($q$SELECT vgm_fit(a, mean_precision_prior => 'Infinity') FROM bad_prior_array$q$,
    '22023', 'mean_precision_prior must be a non-negative finite number', 'array prior options: mean_precision_prior => Infinity');
SELECT throws_ok($q$SELECT vgm_fit(a, degrees_of_freedom_prior => -1) FROM bad_prior_array$q$,
    '22023', 'degrees_of_freedom_prior must be a non-negative finite number', 'array prior options: degrees_of_freedom_prior => -1');
SELECT throws_ok($q$SELECT vgm_fit(a, degrees_of_freedom_prior => NULL) FROM bad_prior_array$q$,
    '22004', 'vgm_fit option "degrees_of_freedom_prior" must not be null', 'array prior options: degrees_of_freedom_prior => NULL');
SELECT throws_ok($q$EXPLAIN SELECT vgm_fit(a, mean_precision_prior => -1) FROM bad_prior_array$q$,
    '22023', 'mean_precision_prior must be a non-negative finite number', 'array prior options: checked while planning');
SELECT throws_ok($q$SELECT vgm_fit(a, covariance_prior => -cardinality(a)) FROM bad_prior_array$q$,
    '22023', 'covariance_prior must be a non-negative finite number', 'array prior options: a computed value, checked at run time');
-- a good prior is used and recorded; 0 is scikit-learn's default, bit for bit
SELECT is((SELECT (vgm_fit(a, covariance_prior => 0.25, mean_precision_prior => 2, degrees_of_freedom_prior => 3)::jsonb -> 'priors')
                  - 'mean' - 'reg_covar' - 'weight_concentration' FROM bad_prior_array),
          '{"covariance": 0.25, "mean_precision": 2, "degrees_of_freedom": 3}'::jsonb,
          'array prior options: the priors given are the model''s priors');
SELECT is((SELECT md5((vgm_fit(a, covariance_prior => 0, mean_precision_prior => 0, degrees_of_freedom_prior => 0)::jsonb #- '{fit,fit_ms}')::text)
                  = md5((vgm_fit(a)::jsonb #- '{fit,fit_ms}')::text) FROM bad_prior_array),
          true, 'array prior options: 0 is the default, bit for bit');

SELECT is((SELECT 1), 1, 'SELECT 1 still works after every bad input');

SELECT * FROM finish();
ROLLBACK;
