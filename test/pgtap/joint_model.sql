-- test/pgtap/joint_model.sql - bad input for vgm_joint_model and every
-- function on it: malformed and hostile text, values that break a rule of
-- the model (each with its SQLSTATE, message and, where it matters, the
-- detail), rows of the wrong shape, NULL elements, NaN and infinities,
-- out-of-range arguments, the constructor's checks.  The file ends by
-- checking that the backend still answers.
--
-- Binary input is exercised by test/fuzz/fuzz_joint_binary.c and the unit
-- test test/unit/test_joint_model_codec.c (every truncation, bad headers).
\set ON_ERROR_STOP 1
SET client_min_messages = error;
BEGIN;
SELECT plan(73);
\ir include/tap_common.sql

-- a valid model (dims 2, k 2) that the cases below damage, as text
CREATE TEMP TABLE jbase AS SELECT
    '{"version":1,"dims":2,"k":2,"weights":[0.3,0.7],"means":[[0,0],[3,1]],"covariances":[[[1,0.5],[0.5,2]],[[0.5,0],[0,0.25]]],"mean_precision":[31,71],"degrees_of_freedom":[32,72],"weight_concentration_a":[31,71],"weight_concentration_b":[70.001,0.001],"weight_threshold":0.005,"priors":{"weight_concentration":0.001,"mean_precision":1,"mean":[2.1,0.7],"degrees_of_freedom":2,"covariance":[[2.54,0.78],[0.78,0.985]],"reg_covar":1e-06},"fit":{"max_iter":100,"n_init":1,"tol":1e-08,"seed":42,"iterations":5,"converged":true,"lower_bound":-300.5,"fit_ms":1.5},"training":{"rows":100,"points":100,"skipped_rows":2,"total_weight":100}}'::text AS t;
CREATE TEMP TABLE jm AS SELECT t::vgm_joint_model AS m FROM jbase;

SELECT lives_ok($q$SELECT t::vgm_joint_model FROM jbase$q$, 'the base model is valid');

-- --------------------------------------------------------------------------
-- text input: syntax, fields, version
-- --------------------------------------------------------------------------
SELECT throws_ok($q$SELECT ''::vgm_joint_model$q$, '22P02', 'invalid vgm_joint_model: malformed JSON', 'empty text');
SELECT throws_ok($q$SELECT '[]'::vgm_joint_model$q$, '22P02', 'invalid vgm_joint_model: malformed JSON', 'a JSON array');
SELECT throws_ok($q$SELECT 'null'::vgm_joint_model$q$, '22P02', 'invalid vgm_joint_model: malformed JSON', 'JSON null');
SELECT throws_ok($q$SELECT '{}'::vgm_joint_model$q$, '22P02', 'invalid vgm_joint_model: missing field "version"', 'an empty object');
SELECT throws_ok($q$SELECT left(t, 300)::vgm_joint_model FROM jbase$q$, '22P02', 'invalid vgm_joint_model: malformed JSON', 'a truncated text');
SELECT throws_ok($q$SELECT (t || ' {')::vgm_joint_model FROM jbase$q$, '22P02', 'invalid vgm_joint_model: trailing garbage after the JSON object', 'trailing garbage');
-- the base model with one part replaced (old by new)
SELECT throws_ok(format('SELECT replace(t, %L, %L)::vgm_joint_model FROM jbase', c.old, c.new),
                 c.sqlstate, c.message, c.description)
FROM (VALUES
    ('"k":2', '"k":2,"colour":1', '22P02', 'invalid vgm_joint_model: unknown field "colour"', 'an unknown field'),
    ('"k":2', '"k":2,"k":2', '22P02', 'invalid vgm_joint_model: duplicate field "k"', 'a duplicate field'),
    ('"seed":42,', '', '22P02', 'invalid vgm_joint_model: missing field "fit.seed"', 'a missing nested field'),
    ('"seed":42', '"seed":42,"x":{"y":[1,{"z":null}]}', '22P02', 'invalid vgm_joint_model: unknown field "fit.x"', 'an unknown nested field with a nested value'),
    ('"version":1', '"version":3', '0A000', 'invalid vgm_joint_model: unsupported format version', 'format version 3'),
    ('"version":1', '"version":2', '22P02', 'invalid vgm_joint_model: missing field "training.min"', 'format version 2 without its range'),
    ('"total_weight":100', '"total_weight":100,"min":[-1,-2],"max":[5,3]', '22P02', 'invalid vgm_joint_model: field "training.min" needs format version 2', 'a range in format version 1'),
    ('"version":1', '"version":1.0', '0A000', 'invalid vgm_joint_model: unsupported format version', 'format version 1.0'),
    ('"means":[[0,0]', '"means":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]', '22P02', 'invalid vgm_joint_model: malformed JSON', 'nesting beyond the kit''s bound inside an array'),
    -- shapes and values
    ('"dims":2', '"dims":17', '22023', 'invalid vgm_joint_model: dims out of range', 'dims 17'),
    ('"dims":2', '"dims":0', '22023', 'invalid vgm_joint_model: dims out of range', 'dims 0'),
    ('"k":2', '"k":65', '22023', 'invalid vgm_joint_model: k out of range', 'k 65'),
    ('"k":2', '"k":1', '22023', 'invalid vgm_joint_model: length of field "weights" does not match k', 'k disagrees with the arrays'),
    ('"dims":2', '"dims":3', '22023', 'invalid vgm_joint_model: shape of field "means" does not match dims', 'dims disagrees with the arrays'),
    ('[[0,0],[3,1]]', '[[0,0],[3]]', '22023', 'invalid vgm_joint_model: shape of field "means" does not match dims', 'a ragged means array'),
    ('[[0,0],[3,1]]', '[[0,0],[3,"1"]]', '22023', 'invalid vgm_joint_model: field "means" must be an array of numbers', 'a string in means'),
    ('"weights":[0.3,0.7]', '"weights":[0.3,null]', '22023', 'invalid vgm_joint_model: field "weights" must be an array of numbers', 'null in weights'),
    ('"weights":[0.3,0.7]', '"weights":[0.3,0.7000001]', '22023', 'invalid vgm_joint_model: weights do not sum to 1', 'weights summing to 1.0000001'),
    ('"weights":[0.3,0.7]', '"weights":[-0.3,1.3]', '22023', 'invalid vgm_joint_model: field "weights[0]" out of range', 'a negative weight'),
    ('"lower_bound":-300.5', '"lower_bound":-1e400', '22023', 'invalid vgm_joint_model: field "fit.lower_bound" out of range', 'a number beyond double'),
    ('[[1,0.5],[0.5,2]]', '[[1,0.5],[0.6,2]]', '22023', 'invalid vgm_joint_model: field "covariances[0]" is not symmetric', 'an asymmetric covariance'),
    ('[[1,0.5],[0.5,2]]', '[[1,2],[2,4]]', '22023', 'invalid vgm_joint_model: field "covariances[0]" is not positive definite', 'a singular covariance'),
    ('[[0.5,0],[0,0.25]]', '[[0.5,0],[0,-0.25]]', '22023', 'invalid vgm_joint_model: field "covariances[1]" is not positive definite', 'a negative variance'),
    ('"degrees_of_freedom":[32,72]', '"degrees_of_freedom":[1,72]', '22023', 'invalid vgm_joint_model: field "degrees_of_freedom[0]" out of range', 'dof at dims - 1'),
    ('"mean_precision":[31,71]', '"mean_precision":[0,71]', '22023', 'invalid vgm_joint_model: field "mean_precision[0]" out of range', 'zero mean precision'),
    ('"weight_threshold":0.005', '"weight_threshold":1', '22023', 'invalid vgm_joint_model: field "weight_threshold" out of range', 'weight threshold 1'),
    ('"covariance":[[2.54,0.78],[0.78,0.985]]', '"covariance":[[2.54,0.78],[0.78,0.1]]', '22023', 'invalid vgm_joint_model: field "priors.covariance" is not positive definite', 'an indefinite prior covariance'),
    ('"converged":true', '"converged":1', '22023', 'invalid vgm_joint_model: field "fit.converged" must be true or false', 'converged as a number'),
    ('"rows":100', '"rows":-1', '22023', 'invalid vgm_joint_model: field "training.rows" out of range', 'negative rows'),
    ('"iterations":5', '"iterations":2147483648', '22023', 'invalid vgm_joint_model: field "fit.iterations" out of range', 'iterations beyond int')
) AS c(old, new, sqlstate, message, description);
-- format version 2: the columns' training range, training.min and training.max
SELECT throws_ok($q$SELECT replace(replace(t, '"version":1', '"version":2'), '"total_weight":100', '"total_weight":100,"min":[-1,4],"max":[5,3]')::vgm_joint_model FROM jbase$q$, '22023', 'invalid vgm_joint_model: field "training.min[1]" out of range', 'min above max');
SELECT throws_ok($q$SELECT replace(replace(t, '"version":1', '"version":2'), '"total_weight":100', '"total_weight":100,"min":[-1],"max":[5]')::vgm_joint_model FROM jbase$q$, '22023', 'invalid vgm_joint_model: length of field "training.min" does not match dims', 'a range of another length');
SELECT is((SELECT replace(replace(t, '"version":1', '"version":2'), '"total_weight":100', '"total_weight":100,"min":[-1,-2],"max":[5,3]')::vgm_joint_model::text FROM jbase),
          (SELECT replace(replace(t, '"version":1', '"version":2'), '"total_weight":100', '"total_weight":100,"min":[-1,-2],"max":[5,3]') FROM jbase), 'format version 2 reads and writes back');
SELECT throws_ok($q$SELECT (repeat('[', 100) || repeat(']', 100))::vgm_joint_model$q$, '22P02', 'invalid vgm_joint_model: malformed JSON', 'deep nesting');
SELECT is(pg_temp.error_detail($q$SELECT replace(t, '"k":2', '"k":2,"colour":1')::vgm_joint_model FROM jbase$q$),
    'Unknown field "colour" at byte offset 28; format version 1 has no such field.', 'the detail names the byte offset');

-- --------------------------------------------------------------------------
-- text input: shapes and values
-- --------------------------------------------------------------------------
SELECT throws_ok($q$SELECT (t::jsonb || '{"means": [[0, 0], [3, "NaN"]]}')::vgm_joint_model FROM jbase$q$, '22023', 'invalid vgm_joint_model: field "means" must be an array of numbers', 'a NaN string through jsonb');
SELECT is(pg_temp.error_detail($q$SELECT replace(t, '[[1,0.5],[0.5,2]]', '[[1,2],[2,4]]')::vgm_joint_model FROM jbase$q$),
    'Its Cholesky factorisation fails at row 1: the matrix is singular or indefinite in double precision.', 'the detail of a singular covariance');

-- --------------------------------------------------------------------------
-- rows of the wrong shape and bad values
-- --------------------------------------------------------------------------
SELECT throws_ok($q$SELECT vgm_log_density(m, ARRAY[1, 2, 3]) FROM jm$q$, '2202E', 'vgm_log_density needs a one-dimensional array of 2 numbers', 'a row too long');
SELECT throws_ok($q$SELECT vgm_log_density(m, ARRAY[1]::float8[]) FROM jm$q$, '2202E', 'vgm_log_density needs a one-dimensional array of 2 numbers', 'a row too short');
SELECT throws_ok($q$SELECT vgm_log_density(m, '{}') FROM jm$q$, '2202E', 'vgm_log_density needs a one-dimensional array of 2 numbers', 'an empty row');
SELECT throws_ok($q$SELECT vgm_log_density(m, ARRAY[[1, 2]]::float8[]) FROM jm$q$, '2202E', 'vgm_log_density needs a one-dimensional array of 2 numbers', 'a two-dimensional row');
SELECT is(pg_temp.error_detail($q$SELECT vgm_log_density(m, ARRAY[[1, 2]]::float8[]) FROM jm$q$),
    'The model has 2 dimensions; the array given has 2 dimensions.', 'the detail of a two-dimensional row');
SELECT throws_ok($q$SELECT vgm_log_density(m, ARRAY[1, NULL]::float8[]) FROM jm$q$, '22004', 'vgm_log_density needs an array without NULLs', 'a NULL element');
SELECT throws_ok($q$SELECT vgm_score(m, ARRAY['NaN', 1]::float8[]) FROM jm$q$, '22023', 'vgm_score needs finite numbers', 'NaN in a row');
SELECT throws_ok($q$SELECT vgm_predict(m, ARRAY[1, 'Infinity']::float8[]) FROM jm$q$, '22023', 'vgm_predict needs finite numbers', 'Infinity in a row');
SELECT throws_ok($q$SELECT vgm_predict_proba(m, ARRAY['-Infinity', 1]::float8[]) FROM jm$q$, '22023', 'vgm_predict_proba needs finite numbers', '-Infinity in a row');
SELECT is(pg_temp.error_detail($q$SELECT vgm_score(m, ARRAY[1, 'NaN']::float8[]) FROM jm$q$), 'Element 2 of the array is NaN.', 'the detail names the element');
SELECT lives_ok($q$SELECT vgm_log_density(m, (ARRAY[NULL, 1, 2]::float8[])[2:3]) FROM jm$q$, 'a slice without NULLs of an array with a NULL bitmap is a row');
SELECT is((SELECT vgm_log_density(m, NULL) FROM jm), NULL, 'a NULL row gives NULL (STRICT)');
SELECT throws_ok($q$SELECT * FROM jm, vgm_sample(m, -1, 1)$q$, '22023', 'number of samples must not be negative', 'a negative sample size');
SELECT throws_ok($q$SELECT vgm_marginal(m, 0) FROM jm$q$, '22023', 'column 0 is out of range', 'marginal of column 0');
SELECT throws_ok($q$SELECT vgm_marginal(m, 3) FROM jm$q$, '22023', 'column 3 is out of range', 'marginal of column 3 of a two-column model');

-- --------------------------------------------------------------------------
-- the constructor
-- --------------------------------------------------------------------------
SELECT throws_ok($q$SELECT vgm_joint_model_from_mixture(NULL, ARRAY[[0, 0]], ARRAY[[[1, 0], [0, 1]]])$q$, '22004', 'vgm_joint_model_from_mixture weights must not be null', 'NULL weights');
SELECT throws_ok($q$SELECT vgm_joint_model_from_mixture(ARRAY[1], ARRAY[0, 0], ARRAY[[[1, 0], [0, 1]]])$q$, '2202E', 'vgm_joint_model_from_mixture means must be an array of 2 dimensions', 'means not k x d');
SELECT throws_ok($q$SELECT vgm_joint_model_from_mixture(ARRAY[1], ARRAY[[0, 0]], ARRAY[[[1, 0, 0], [0, 1, 0]]])$q$, '2202E', 'vgm_joint_model_from_mixture arrays disagree in shape', 'covariances not k x d x d');
SELECT throws_ok($q$SELECT vgm_joint_model_from_mixture(ARRAY[0.5, 0.6], ARRAY[[0, 0], [1, 1]], ARRAY[[[1, 0], [0, 1]], [[1, 0], [0, 1]]])$q$, '22023', 'vgm_joint_model_from_mixture weights must sum to 1', 'weights summing to 1.1');
SELECT throws_ok($q$SELECT vgm_joint_model_from_mixture(ARRAY[1], ARRAY[[0, NULL]], ARRAY[[[1, 0], [0, 1]]])$q$, '22004', 'vgm_joint_model_from_mixture means must not contain NULLs', 'a NULL mean');
SELECT throws_ok($q$SELECT vgm_joint_model_from_mixture(ARRAY[1], ARRAY[[0, 'Infinity'::float8]], ARRAY[[[1, 0], [0, 1]]])$q$, '22023', 'vgm_joint_model_from_mixture means must be finite numbers', 'an infinite mean');
SELECT throws_ok($q$SELECT vgm_joint_model_from_mixture(ARRAY[1], ARRAY[[0, 0]], ARRAY[[[1, 2], [2, 1]]])$q$, '22023', 'vgm_joint_model_from_mixture cannot build a valid model: invalid vgm_joint_model: field "covariances[0]" is not positive definite', 'an indefinite covariance');
SELECT throws_ok($q$SELECT vgm_joint_model_from_mixture(ARRAY[1], ARRAY[[0, 0]], ARRAY[[[1, 0], [0, 1]]], rows => 0)$q$, '22023', 'vgm_joint_model_from_mixture rows must be positive', 'zero rows');
SELECT throws_ok($q$SELECT vgm_joint_model_from_mixture(ARRAY[1], ARRAY[[0, 0]], ARRAY[[[1, 0], [0, 1]]], weight_threshold => 1)$q$, '22023', 'vgm_joint_model_from_mixture cannot build a valid model: invalid vgm_joint_model: field "weight_threshold" out of range', 'weight threshold 1');
SELECT throws_ok($q$SELECT vgm_joint_model_from_mixture(ARRAY[1], ARRAY[[0, 0]], ARRAY[[[1, 0], [0, 1]]], rows => NULL)$q$, '22004', 'vgm_joint_model_from_mixture rows and weight_threshold must not be null', 'NULL rows');

-- --------------------------------------------------------------------------
-- the binary form (its decoder is fuzzed and unit-tested; here its size)
-- --------------------------------------------------------------------------
CREATE TEMP TABLE jbytes AS SELECT vgm_joint_model_send(m) AS b FROM jm;
SELECT ok((SELECT length(b) FROM jbytes) = 132 + 8 * (2 + 4) + 2 * 8 * (5 + 2 + 4), 'the binary form is 132 bytes + priors + components');

-- --------------------------------------------------------------------------
-- every function on the type is IMMUTABLE STRICT PARALLEL SAFE (the constructor is
-- CALLED ON NULL INPUT: it names the NULL argument)
-- --------------------------------------------------------------------------
SELECT is((SELECT count(*)::int FROM pg_proc
           WHERE 'vgm_joint_model'::regtype = ANY (proargtypes::oid[])
             AND proname NOT LIKE 'vgm\_joint\_model\_%'
             AND NOT (provolatile = 'i' AND proisstrict AND proparallel = 's')), 0,
    'the functions on vgm_joint_model are IMMUTABLE STRICT PARALLEL SAFE');
SELECT is((SELECT count(*)::int FROM pg_proc
           WHERE 'vgm_joint_model'::regtype = ANY (proargtypes::oid[])
             AND proname NOT LIKE 'vgm\_joint\_model\_%'), 12,
    'twelve functions take a vgm_joint_model (I/O and operator support aside)');

SELECT is((SELECT 1), 1, 'SELECT 1 still works after every bad input');
SELECT * FROM finish();
ROLLBACK;
