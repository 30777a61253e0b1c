-- vgm 1.0: variational Bayesian Gaussian mixtures for mode-specific normalization.
\echo Use "CREATE EXTENSION vgm" to load this file. \quit

-------------------------------------------------------------------------------
-- the stored types
--
-- vgm_model, vgm_summary, vgm_ks_state, vgm_joint_model and
-- vgm_joint_summary are all varlenas of doubles with a JSON text form and a
-- binary form, each read and written by its own four C functions
-- (TYPE_in / _out / _recv / _send; text and bytes are validated as untrusted
-- input).  One definition, run for each type in the list; each type's
-- section below adds its comment, casts and functions.  vgm_model is the
-- PREFERRED type of its category: vgm_weights, vgm_sample, vgm_diagnostics
-- ... also take a vgm_joint_model, and an untyped literal ('{...}', a psql
-- :'model') must still mean a vgm_model.
-------------------------------------------------------------------------------
DO $vgm$
DECLARE
    t text[];
BEGIN
    FOREACH t SLICE 1 IN ARRAY ARRAY[
            ['vgm_model', ', PREFERRED = true'],
            ['vgm_summary', ''],
            ['vgm_ks_state', ''],
            ['vgm_joint_model', ''],
            ['vgm_joint_summary', '']] LOOP
        EXECUTE format($def$
CREATE TYPE %1$s;
CREATE FUNCTION %1$s_in(cstring) RETURNS %1$s
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION %1$s_in(cstring) IS
    'input function of type %1$s: parses and validates its JSON text';
CREATE FUNCTION %1$s_out(%1$s) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION %1$s_out(%1$s) IS
    'output function of type %1$s: its JSON text';
CREATE FUNCTION %1$s_recv(internal) RETURNS %1$s
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION %1$s_recv(internal) IS
    'binary input function of type %1$s (COPY BINARY, protocol): validates untrusted bytes';
CREATE FUNCTION %1$s_send(%1$s) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION %1$s_send(%1$s) IS
    'binary output function of type %1$s';
CREATE TYPE %1$s (
    INPUT = %1$s_in,
    OUTPUT = %1$s_out,
    RECEIVE = %1$s_recv,
    SEND = %1$s_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended%2$s
);
$def$, t[1], t[2]);
    END LOOP;
END
$vgm$;

-------------------------------------------------------------------------------
-- vgm_model: a fitted mixture (full variational posterior, priors, diagnostics)
-------------------------------------------------------------------------------
-- (the type and its I/O functions: "the stored types" above)
COMMENT ON TYPE vgm_model IS 'fitted variational Gaussian mixture; text form is JSON';

-- the text form is JSON, so the cast goes through text I/O
CREATE CAST (vgm_model AS jsonb) WITH INOUT;
CREATE CAST (vgm_model AS json) WITH INOUT;
-- and back: the model's parser takes fields in any order and jsonb's numbers
CREATE CAST (jsonb AS vgm_model) WITH INOUT;
CREATE CAST (json AS vgm_model) WITH INOUT;

-- accessors
CREATE FUNCTION vgm_n_components(vgm_model) RETURNS int
    AS 'MODULE_PATHNAME', 'vgm_model_n_components' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_n_components(vgm_model) IS
    'number of posterior components k of a model plus its atoms';
CREATE FUNCTION vgm_weights(vgm_model) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'vgm_model_weights' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_weights(vgm_model) IS
    'mixture weights of a model, in posterior order, then the atoms'' weights';
CREATE FUNCTION vgm_means(vgm_model) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'vgm_model_means' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_means(vgm_model) IS
    'component means of a model, in posterior order, then the atoms'' values';
CREATE FUNCTION vgm_stddevs(vgm_model) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'vgm_model_stddevs' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_stddevs(vgm_model) IS
    'component standard deviations of a model, in posterior order, then 0 for each atom';
CREATE FUNCTION vgm_valid_components(vgm_model) RETURNS int[]
    AS 'MODULE_PATHNAME', 'vgm_model_valid_components' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_valid_components(vgm_model) IS
    'posterior indexes of the valid components (weight above the model''s weight_threshold), then the atoms (k + i)';
CREATE FUNCTION vgm_components(vgm_model,
    OUT component int, OUT index int, OUT weight float8, OUT mean float8,
    OUT stddev float8, OUT valid boolean, OUT atom boolean)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'vgm_model_components' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    ROWS 10;
COMMENT ON FUNCTION vgm_components(vgm_model) IS
    'one row per posterior component, then one per atom: component number (NULL if not valid), posterior index, weight, mean, stddev, valid, atom (a point mass: mean is its value, stddev 0)';
CREATE FUNCTION vgm_diagnostics(vgm_model,
    OUT n_components int, OUT n_valid int, OUT rows bigint, OUT total_weight float8,
    OUT points bigint, OUT iterations int, OUT converged boolean,
    OUT lower_bound float8, OUT lower_bound_per_weight float8, OUT fit_ms float8,
    OUT min float8, OUT max float8, OUT nulls bigint, OUT nans bigint, OUT infinities bigint)
    RETURNS record
    AS 'MODULE_PATHNAME', 'vgm_model_diagnostics' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_diagnostics(vgm_model) IS
    'fit diagnostics of a model: components, rows, weight, iterations, convergence, lower bound, time, range and skipped values';

-- a model of a mixture written by hand (src/model_make.c states the assumptions)
CREATE FUNCTION vgm_model_from_mixture(weights float8[], means float8[], stddevs float8[],
    rows bigint DEFAULT 1000000, min float8 DEFAULT NULL, max float8 DEFAULT NULL,
    weight_threshold float8 DEFAULT 0.005,
    atom_values float8[] DEFAULT NULL, atom_weights float8[] DEFAULT NULL)
    RETURNS vgm_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_model_from_mixture(float8[], float8[], float8[], bigint, float8, float8, float8, float8[], float8[]) IS
    'a vgm_model of a mixture given by weights, means and standard deviations (and optional atoms: point masses with their weights), its posterior filled as a fit to rows rows would leave it';

-------------------------------------------------------------------------------
-- fitting an array (the aggregates build on the same engine)
-------------------------------------------------------------------------------
-- checks constant options of vgm_fit while the query is planned (before any scan)
CREATE FUNCTION vgm_fit_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_fit_support(internal) IS
    'planner support function of vgm_fit(vgm_summary, ...) and vgm_fit(float8[], ...): checks constant options while the query is planned';

CREATE FUNCTION vgm_fit(data float8[],
    max_components int DEFAULT 10,
    weight_concentration_prior float8 DEFAULT 0.001,
    weight_threshold float8 DEFAULT 0.005,
    max_iter int DEFAULT 1000,
    tol float8 DEFAULT 1e-8,
    seed bigint DEFAULT 42,
    init vgm_model DEFAULT NULL,
    n_init int DEFAULT 5,
    covariance_prior float8 DEFAULT 0,
    mean_precision_prior float8 DEFAULT 0,
    degrees_of_freedom_prior float8 DEFAULT 0)
    RETURNS vgm_model
    AS 'MODULE_PATHNAME', 'vgm_fit_array' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
    SUPPORT vgm_fit_support;
COMMENT ON FUNCTION vgm_fit(float8[], int, float8, float8, int, float8, bigint, vgm_model, int, float8, float8, float8) IS
    'fit a mixture to the elements of an array, every element a point (max_iter defaults to 1000; a prior of 0 is scikit-learn''s default)';

-- BEGIN summary
-------------------------------------------------------------------------------
-- vgm_summary: a mergeable one-pass summary of a column
-------------------------------------------------------------------------------
-- (the type and its I/O functions: "the stored types" at the top)
COMMENT ON TYPE vgm_summary IS 'mergeable one-pass column summary (buckets with exact moments); text form is JSON';
CREATE CAST (vgm_summary AS jsonb) WITH INOUT;
CREATE CAST (jsonb AS vgm_summary) WITH INOUT;

-- aggregate support (transition functions are not meant to be called directly)
CREATE FUNCTION vgm_summarize_sfunc(vgm_summary, float8) RETURNS vgm_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_summarize_sfunc(vgm_summary, float8) IS
    'transition function of aggregate vgm_summarize(float8) and vgm_fit(float8)';
CREATE FUNCTION vgm_summarize_weighted_sfunc(vgm_summary, float8, float8) RETURNS vgm_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_summarize_weighted_sfunc(vgm_summary, float8, float8) IS
    'transition function of aggregate vgm_summarize(float8, float8)';
CREATE FUNCTION vgm_rollup_sfunc(vgm_summary, vgm_summary) RETURNS vgm_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_rollup_sfunc(vgm_summary, vgm_summary) IS
    'transition function of aggregate vgm_rollup(vgm_summary)';
CREATE FUNCTION vgm_summary_combine(vgm_summary, vgm_summary) RETURNS vgm_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_summary_combine(vgm_summary, vgm_summary) IS
    'combine function of the summary aggregates: merges two partial summaries';
CREATE FUNCTION vgm_fit_final(vgm_summary) RETURNS vgm_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_fit_final(vgm_summary) IS
    'final function of aggregate vgm_fit(float8): fits the summary with the defaults';
CREATE FUNCTION vgm_fit_final(vgm_summary, float8, int) RETURNS vgm_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_fit_final(vgm_summary, float8, int) IS
    'final function of aggregate vgm_fit(float8, int): fits the summary with max_components from the last argument';

-- SSPACE: a summary state grows from about 1 kB (a few distinct values) to
-- about 10 MB (its 65,536-bucket table full, plus the exported buckets).
-- 4 MB, the table of a state at the 32,768 buckets a stored summary holds,
-- is what the planner and a hash aggregate plan with: a hash GROUP BY keeps
-- about hash_mem / 4 MB groups in memory and spills the others to disk,
-- since a group that is already in memory can still grow.  The README
-- (Limits) and docs/reliability.md give the measured peaks.
CREATE AGGREGATE vgm_summarize(float8) (
    SFUNC = vgm_summarize_sfunc,
    STYPE = vgm_summary,
    SSPACE = 4194304,
    COMBINEFUNC = vgm_summary_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_summarize(float8) IS 'one-pass mergeable summary of a column';

CREATE AGGREGATE vgm_summarize(float8, float8) (
    SFUNC = vgm_summarize_weighted_sfunc,
    STYPE = vgm_summary,
    SSPACE = 4194304,
    COMBINEFUNC = vgm_summary_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_summarize(float8, float8) IS 'one-pass mergeable summary of weighted rows (value, weight)';

CREATE AGGREGATE vgm_rollup(vgm_summary) (
    SFUNC = vgm_rollup_sfunc,
    STYPE = vgm_summary,
    SSPACE = 4194304,
    COMBINEFUNC = vgm_summary_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_rollup(vgm_summary) IS 'merge stored summaries (partitions, days, shards)';

CREATE AGGREGATE vgm_fit(float8) (
    SFUNC = vgm_summarize_sfunc,
    STYPE = vgm_summary,
    SSPACE = 4194304,
    COMBINEFUNC = vgm_summary_combine,
    FINALFUNC = vgm_fit_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_fit(float8) IS 'fit a mixture in one step with the CTGAN/RDT defaults';

CREATE FUNCTION vgm_summarize_k_sfunc(vgm_summary, float8, int) RETURNS vgm_summary
    AS 'MODULE_PATHNAME', 'vgm_summarize_sfunc' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_summarize_k_sfunc(vgm_summary, float8, int) IS
    'transition function of aggregate vgm_fit(float8, int)';
-- No combine function: a combining (Finalize) aggregate sees only the partial
-- states, not the constant k, and k does not belong in the data summary.
-- Parallel and distributed plans use vgm_fit(vgm_summarize(x), max_components => k).
CREATE AGGREGATE vgm_fit(float8, int) (
    SFUNC = vgm_summarize_k_sfunc,
    STYPE = vgm_summary,
    SSPACE = 4194304,
    FINALFUNC = vgm_fit_final,
    FINALFUNC_EXTRA,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_fit(float8, int) IS 'fit a mixture in one step with a constant number of components (serial; see vgm_fit(vgm_summary, ...) for parallel plans)';

CREATE FUNCTION vgm_fit(summary vgm_summary,
    max_components int DEFAULT 10,
    weight_concentration_prior float8 DEFAULT 0.001,
    weight_threshold float8 DEFAULT 0.005,
    max_iter int DEFAULT 20000,
    tol float8 DEFAULT 1e-8,
    seed bigint DEFAULT 42,
    init vgm_model DEFAULT NULL,
    n_init int DEFAULT 5,
    atoms boolean DEFAULT false,
    atom_share float8 DEFAULT 0.01,
    covariance_prior float8 DEFAULT 0,
    mean_precision_prior float8 DEFAULT 0,
    degrees_of_freedom_prior float8 DEFAULT 0)
    RETURNS vgm_model
    AS 'MODULE_PATHNAME', 'vgm_fit_summary' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
    SUPPORT vgm_fit_support;
COMMENT ON FUNCTION vgm_fit(vgm_summary, int, float8, float8, int, float8, bigint, vgm_model, int, boolean, float8, float8, float8, float8) IS
    'fit a mixture to a summary with options (max_components, weight_concentration_prior, weight_threshold, max_iter, tol, seed, init, n_init, atoms, atom_share, covariance_prior, mean_precision_prior, degrees_of_freedom_prior; a prior of 0 is scikit-learn''s default)';

-- vgm_fit(x, atoms [, atom_share]): the one-step fit with atoms.  As
-- vgm_fit(x, k), no combine function: the final function reads the options
-- from the call, which a combining aggregate does not see; parallel and
-- distributed plans use vgm_fit(vgm_summarize(x), atoms => true).
CREATE FUNCTION vgm_fit_atoms_sfunc(vgm_summary, float8, boolean) RETURNS vgm_summary
    AS 'MODULE_PATHNAME', 'vgm_fit_atoms_sfunc' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_fit_atoms_sfunc(vgm_summary, float8, boolean) IS
    'transition function of aggregate vgm_fit(float8, boolean)';
CREATE FUNCTION vgm_fit_atoms_sfunc(vgm_summary, float8, boolean, float8) RETURNS vgm_summary
    AS 'MODULE_PATHNAME', 'vgm_fit_atoms_sfunc' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_fit_atoms_sfunc(vgm_summary, float8, boolean, float8) IS
    'transition function of aggregate vgm_fit(float8, boolean, float8): checks atom_share on the first row';
CREATE FUNCTION vgm_fit_atoms_final(vgm_summary, float8, boolean) RETURNS vgm_model
    AS 'MODULE_PATHNAME', 'vgm_fit_atoms_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_fit_atoms_final(vgm_summary, float8, boolean) IS
    'final function of aggregate vgm_fit(float8, boolean): fits the summary with the atoms option';
CREATE FUNCTION vgm_fit_atoms_final(vgm_summary, float8, boolean, float8) RETURNS vgm_model
    AS 'MODULE_PATHNAME', 'vgm_fit_atoms_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_fit_atoms_final(vgm_summary, float8, boolean, float8) IS
    'final function of aggregate vgm_fit(float8, boolean, float8): fits the summary with the atom options';
CREATE AGGREGATE vgm_fit(float8, boolean) (
    SFUNC = vgm_fit_atoms_sfunc,
    STYPE = vgm_summary,
    SSPACE = 4194304,
    FINALFUNC = vgm_fit_atoms_final,
    FINALFUNC_EXTRA,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_fit(float8, boolean) IS 'fit a mixture in one step, with atoms when the constant second argument is true (serial; see vgm_fit(vgm_summary, ...) for parallel plans)';
CREATE AGGREGATE vgm_fit(float8, boolean, float8) (
    SFUNC = vgm_fit_atoms_sfunc,
    STYPE = vgm_summary,
    SSPACE = 4194304,
    FINALFUNC = vgm_fit_atoms_final,
    FINALFUNC_EXTRA,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_fit(float8, boolean, float8) IS 'fit a mixture in one step with atoms (constant) of at least the constant share atom_share (serial; see vgm_fit(vgm_summary, ...) for parallel plans)';
CREATE FUNCTION vgm_fit_atoms_sfunc(vgm_summary, float8, boolean, float8, float8) RETURNS vgm_summary
    AS 'MODULE_PATHNAME', 'vgm_fit_atoms_sfunc' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_fit_atoms_sfunc(vgm_summary, float8, boolean, float8, float8) IS
    'transition function of aggregate vgm_fit(float8, boolean, float8, float8): checks atom_share and covariance_prior on the first row';
CREATE FUNCTION vgm_fit_atoms_final(vgm_summary, float8, boolean, float8, float8) RETURNS vgm_model
    AS 'MODULE_PATHNAME', 'vgm_fit_atoms_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_fit_atoms_final(vgm_summary, float8, boolean, float8, float8) IS
    'final function of aggregate vgm_fit(float8, boolean, float8, float8): fits the summary with the atom options and covariance_prior';
CREATE AGGREGATE vgm_fit(float8, boolean, float8, float8) (
    SFUNC = vgm_fit_atoms_sfunc,
    STYPE = vgm_summary,
    SSPACE = 4194304,
    FINALFUNC = vgm_fit_atoms_final,
    FINALFUNC_EXTRA,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_fit(float8, boolean, float8, float8) IS 'fit a mixture in one step with atoms (constant), atom_share and covariance_prior (constants; 0 is the default prior) (serial; see vgm_fit(vgm_summary, ...) for parallel plans)';

CREATE FUNCTION vgm_summary_info(vgm_summary,
    OUT rows bigint, OUT total_weight float8, OUT buckets bigint, OUT relative_width float8,
    OUT nulls bigint, OUT nans bigint, OUT pos_infs bigint, OUT neg_infs bigint,
    OUT min float8, OUT max float8, OUT bytes bigint, OUT heavy_values bigint)
    RETURNS record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_summary_info(vgm_summary) IS
    'what a summary holds: rows, total weight, buckets, relative bucket width, skipped values, range, size in bytes, values with a known weight';
CREATE FUNCTION vgm_summary_buckets(vgm_summary,
    OUT key bigint, OUT weight float8, OUT mean float8, OUT stddev float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_summary_buckets(vgm_summary) IS
    'the buckets of a summary: key, weight, mean, stddev';
CREATE FUNCTION vgm_summary_heavy(s vgm_summary, min_share float8 DEFAULT 0,
    OUT value float8, OUT weight float8, OUT missed float8, OUT exact boolean)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_summary_heavy(vgm_summary, float8) IS
    'the values of a summary whose weight is known (every value at resolution 0, else the heavy-value table): value, counted weight, bound on the weight not counted, exact; min_share keeps those with at least that share of the weight';
-- END summary

-- BEGIN transforms
-------------------------------------------------------------------------------
-- row-by-row transforms (src/normalize.c)
--
-- Mode-specific normalization as CTGAN / RDT's ClusterBasedNormalizer do it:
-- x -> (component, alpha), alpha = clip((x - mean_c) / (4 std_c), -0.99, 0.99).
-- Components are the valid ones (weight > weight_threshold), numbered from 0
-- in posterior order.  Without a key the component is the most probable valid
-- one; with a key it is drawn from predict_proba over the valid components
-- (+1e-6 each, renormalised) with a uniform hashed from (model seed, key, x),
-- so the same row always draws the same component, in any plan.
-- Every function taking x returns NULL for NaN and +-Infinity.
-------------------------------------------------------------------------------
CREATE FUNCTION vgm_component(model vgm_model, x float8) RETURNS int
    AS 'MODULE_PATHNAME', 'vgm_transform_component' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION vgm_component(model vgm_model, x float8, key bigint) RETURNS int
    AS 'MODULE_PATHNAME', 'vgm_transform_component' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_component(vgm_model, float8) IS
    'most probable valid component of x, numbered from 0 among the valid components';
COMMENT ON FUNCTION vgm_component(vgm_model, float8, bigint) IS
    'valid component of x drawn as RDT draws it, reproducibly from (model seed, key, x)';

CREATE FUNCTION vgm_alpha(model vgm_model, x float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'vgm_transform_alpha' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION vgm_alpha(model vgm_model, x float8, key bigint) RETURNS float8
    AS 'MODULE_PATHNAME', 'vgm_transform_alpha' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_alpha(vgm_model, float8) IS
    'alpha = clip((x - mean_c) / (4 std_c), -0.99, 0.99) for the component of vgm_component(model, x)';
COMMENT ON FUNCTION vgm_alpha(vgm_model, float8, bigint) IS
    'alpha of x for the component of vgm_component(model, x, key)';

CREATE FUNCTION vgm_normalize(model vgm_model, x float8,
    OUT component int, OUT alpha float8) RETURNS record
    AS 'MODULE_PATHNAME', 'vgm_transform_normalize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION vgm_normalize(model vgm_model, x float8, key bigint,
    OUT component int, OUT alpha float8) RETURNS record
    AS 'MODULE_PATHNAME', 'vgm_transform_normalize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_normalize(vgm_model, float8) IS
    'vgm_component and vgm_alpha of x as one record';
COMMENT ON FUNCTION vgm_normalize(vgm_model, float8, bigint) IS
    'vgm_component and vgm_alpha of x with a key as one record';

CREATE FUNCTION vgm_encode(model vgm_model, x float8) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'vgm_transform_encode' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION vgm_encode(model vgm_model, x float8, key bigint) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'vgm_transform_encode' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_encode(vgm_model, float8) IS
    'CTGAN layout: [alpha, one-hot over the valid components]';
COMMENT ON FUNCTION vgm_encode(vgm_model, float8, bigint) IS
    'CTGAN layout with the drawn component: [alpha, one-hot over the valid components]';

CREATE FUNCTION vgm_denormalize(model vgm_model, component int, alpha float8,
    clamp boolean DEFAULT false) RETURNS float8
    AS 'MODULE_PATHNAME', 'vgm_transform_denormalize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_denormalize(vgm_model, int, float8, boolean) IS
    'inverse of vgm_normalize: alpha clipped to [-1, 1], x = 4 std_c alpha + mean_c; clamp limits x to the training range';
CREATE FUNCTION vgm_decode(model vgm_model, encoded float8[], clamp boolean DEFAULT false) RETURNS float8
    AS 'MODULE_PATHNAME', 'vgm_transform_decode' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_decode(vgm_model, float8[], boolean) IS
    'inverse of vgm_encode: [alpha, scores over the valid components] -> x, the component being the scores'' argmax (CTGAN''s decode)';

-- scikit-learn's BayesianGaussianMixture predictions, all k components
CREATE FUNCTION vgm_predict(model vgm_model, x float8) RETURNS int
    AS 'MODULE_PATHNAME', 'vgm_transform_predict' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_predict(vgm_model, float8) IS
    'scikit-learn predict: posterior index (0 .. k-1) of the most probable component';
CREATE FUNCTION vgm_predict_proba(model vgm_model, x float8) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'vgm_transform_predict_proba' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_predict_proba(vgm_model, float8) IS
    'scikit-learn predict_proba: k probabilities in posterior order';
CREATE FUNCTION vgm_score(model vgm_model, x float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'vgm_transform_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_score(vgm_model, float8) IS
    'scikit-learn score_samples: logsumexp of the weighted variational log probabilities';

-- the plug-in mixture: weights_, means_, covariances_
CREATE FUNCTION vgm_log_density(model vgm_model, x float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'vgm_transform_log_density' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_log_density(vgm_model, float8) IS
    'log density of the plug-in mixture';
CREATE FUNCTION vgm_cdf(model vgm_model, x float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'vgm_transform_cdf' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_cdf(vgm_model, float8) IS
    'cumulative distribution function of the plug-in mixture';
CREATE FUNCTION vgm_sample(model vgm_model, n bigint, seed bigint) RETURNS SETOF float8
    AS 'MODULE_PATHNAME', 'vgm_transform_sample' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    ROWS 1000;
COMMENT ON FUNCTION vgm_sample(vgm_model, bigint, bigint) IS
    'n deterministic draws from the plug-in mixture for a seed';
-- END transforms

-- BEGIN validation
-------------------------------------------------------------------------------
-- validation (src/validate_*.c): moments, Kolmogorov-Smirnov tests, bounds and
-- a one-scan report.  Every aggregate is one pass with a combine function,
-- so it runs in parallel workers and merges across partitions and shards.
-------------------------------------------------------------------------------

-- moments of data, with SciPy's conventions (describe, skew, kurtosis)
CREATE TYPE vgm_moments_result AS (
    n float8,               -- total weight (the count of finite values when unweighted)
    rows bigint,            -- finite rows
    mean float8,
    variance float8,        -- ddof = 1, as scipy.stats.describe
    variance_pop float8,    -- ddof = 0
    stddev float8,          -- sqrt(variance)
    skewness float8,        -- scipy.stats.skew(bias=True)
    kurtosis float8,        -- scipy.stats.kurtosis(fisher=True, bias=True): excess
    min float8,
    max float8,
    nulls bigint,
    nans bigint,
    pos_infs bigint,
    neg_infs bigint
);
CREATE FUNCTION vgm_moments(vgm_summary) RETURNS vgm_moments_result
    AS 'MODULE_PATHNAME', 'vgm_moments_summary' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_moments(vgm_summary) IS
    'exact moments of a summarized column: mean, variance (ddof 1 and 0), biased skewness, excess kurtosis, extremes and counts';
-- state: {version, n, mean, mean_lo, m2, m3, m4, min, max, nulls, nans, +inf, -inf}
CREATE FUNCTION vgm_moments_sfunc(float8[], float8) RETURNS float8[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_moments_sfunc(float8[], float8) IS
    'transition function of aggregate vgm_moments(float8): running central moments';
CREATE FUNCTION vgm_moments_combine(float8[], float8[]) RETURNS float8[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_moments_combine(float8[], float8[]) IS
    'combine function of aggregate vgm_moments(float8)';
CREATE FUNCTION vgm_moments_final(float8[]) RETURNS vgm_moments_result
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_moments_final(float8[]) IS
    'final function of aggregate vgm_moments(float8)';
CREATE AGGREGATE vgm_moments(float8) (
    SFUNC = vgm_moments_sfunc,
    STYPE = float8[],
    INITCOND = '{1,0,0,0,0,0,0,0,0,0,0,0,0}',
    COMBINEFUNC = vgm_moments_combine,
    FINALFUNC = vgm_moments_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_moments(float8) IS
    'one-pass numerically stable moments of a column (running central moments, Welford''s recurrence to order 4)';

-- moments implied by a model, in closed form
CREATE FUNCTION vgm_model_moments(model vgm_model,
    OUT mean float8, OUT variance float8, OUT stddev float8,
    OUT skewness float8, OUT kurtosis float8)
    RETURNS record
    AS 'MODULE_PATHNAME', 'vgm_model_moments' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_model_moments(vgm_model) IS
    'mean, variance, skewness and excess kurtosis of the plug-in mixture (weights, means, covariances)';

-- the KS state: a fixed histogram of u = F(x) over [0, 1] in 65536 bins
-- (the type and its I/O functions: "the stored types" at the top)
COMMENT ON TYPE vgm_ks_state IS
    'mergeable KS histogram: counts of F(x) in 65536 bins over [0, 1] for one model; text form is JSON';

CREATE TYPE vgm_ks_result AS (statistic float8, pvalue float8, n bigint);

-- aggregate support (not meant to be called directly)
CREATE FUNCTION vgm_ks_sfunc(vgm_ks_state, vgm_model, float8) RETURNS vgm_ks_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_ks_sfunc(vgm_ks_state, vgm_model, float8) IS
    'transition function of aggregates vgm_ks_state(vgm_model, float8) and vgm_ks(vgm_model, float8)';
CREATE FUNCTION vgm_ks_combine(vgm_ks_state, vgm_ks_state) RETURNS vgm_ks_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_ks_combine(vgm_ks_state, vgm_ks_state) IS
    'combine function of the KS aggregates: adds the counts of two states of the same model';
CREATE FUNCTION vgm_ks_final(vgm_ks_state) RETURNS vgm_ks_result
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_ks_final(vgm_ks_state) IS
    'final function of aggregate vgm_ks(vgm_model, float8): the test result of the state';

CREATE AGGREGATE vgm_ks_state(model vgm_model, x float8) (
    SFUNC = vgm_ks_sfunc,
    STYPE = vgm_ks_state,
    SSPACE = 524352,
    COMBINEFUNC = vgm_ks_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_ks_state(vgm_model, float8) IS
    'KS histogram of a column in the coordinates of a model, for vgm_ks(state) and vgm_ks_2samp';
CREATE AGGREGATE vgm_ks(model vgm_model, x float8) (
    SFUNC = vgm_ks_sfunc,
    STYPE = vgm_ks_state,
    SSPACE = 524352,
    COMBINEFUNC = vgm_ks_combine,
    FINALFUNC = vgm_ks_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_ks(vgm_model, float8) IS
    'one-sample Kolmogorov-Smirnov test of a column against the model''s plug-in CDF: (statistic, pvalue, n)';
CREATE AGGREGATE vgm_rollup(vgm_ks_state) (
    SFUNC = vgm_ks_combine,
    STYPE = vgm_ks_state,
    SSPACE = 524352,
    COMBINEFUNC = vgm_ks_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_rollup(vgm_ks_state) IS
    'merge stored KS states of one model (partitions, days, shards)';

CREATE FUNCTION vgm_ks(state vgm_ks_state) RETURNS vgm_ks_result
    AS 'MODULE_PATHNAME', 'vgm_ks_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_ks(vgm_ks_state) IS
    'one-sample Kolmogorov-Smirnov test from a KS state: (statistic, pvalue, n)';
CREATE FUNCTION vgm_ks_2samp(a vgm_ks_state, b vgm_ks_state,
    OUT statistic float8, OUT pvalue float8, OUT n1 bigint, OUT n2 bigint)
    RETURNS record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_ks_2samp(vgm_ks_state, vgm_ks_state) IS
    'two-sample Kolmogorov-Smirnov test of two columns histogrammed with the same model';
CREATE FUNCTION vgm_ks_info(state vgm_ks_state,
    OUT n bigint, OUT nulls bigint, OUT nans bigint, OUT pos_infs bigint, OUT neg_infs bigint,
    OUT bins int, OUT model_hash text, OUT bytes bigint)
    RETURNS record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_ks_info(vgm_ks_state) IS
    'counts, bin count, model hash and size of a KS state';
CREATE FUNCTION vgm_ks_effects(model vgm_model, state vgm_ks_state, trim_fraction float8 DEFAULT 0.01,
    OUT n bigint, OUT statistic float8, OUT pvalue float8, OUT atom_share float8, OUT excess float8,
    OUT data_trimmed_mean float8, OUT data_trimmed_stddev float8,
    OUT model_trimmed_mean float8, OUT model_trimmed_stddev float8)
    RETURNS record
    AS 'MODULE_PATHNAME', 'vgm_ks_effects_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_ks_effects(vgm_model, vgm_ks_state, float8) IS
    'KS test of a state with effect sizes: largest tied share, D above its floor, trimmed moments of data and model';

-- the null distributions, as SciPy 1.10 computes them
CREATE FUNCTION vgm_kstwo_sf(d float8, n bigint) RETURNS float8
    AS 'MODULE_PATHNAME', 'vgm_kstwo_sf_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_kstwo_sf(float8, bigint) IS
    'P(D_n >= d) of the one-sample two-sided KS statistic (scipy.stats.kstwo.sf)';
CREATE FUNCTION vgm_kstwobign_sf(z float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'vgm_kstwobign_sf_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_kstwobign_sf(float8) IS
    'Kolmogorov''s limiting distribution P(sqrt(n) D_n >= z) (scipy.stats.kstwobign.sf)';
CREATE FUNCTION vgm_ks_2samp_sf(d float8, n1 bigint, n2 bigint) RETURNS float8
    AS 'MODULE_PATHNAME', 'vgm_ks_2samp_sf_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_ks_2samp_sf(float8, bigint, bigint) IS
    'two-sided p-value of the two-sample KS statistic as scipy.stats.ks_2samp(method=''auto'') computes it';

-- bounds: values outside the training range, values whose alpha is clipped
CREATE TYPE vgm_bounds_result AS (
    n bigint,               -- finite values
    below_min bigint,       -- x < training min
    above_max bigint,       -- x > training max
    outside_share float8,   -- (below_min + above_max) / n
    clipped_low bigint,     -- alpha < -0.99 for the most probable valid component
    clipped_high bigint,    -- alpha > 0.99
    clipped_share float8,   -- (clipped_low + clipped_high) / n
    nulls bigint,
    nans bigint,
    pos_infs bigint,
    neg_infs bigint
);
CREATE FUNCTION vgm_bounds_sfunc(bigint[], vgm_model, float8) RETURNS bigint[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_bounds_sfunc(bigint[], vgm_model, float8) IS
    'transition function of aggregate vgm_bounds(vgm_model, float8)';
CREATE FUNCTION vgm_bounds_combine(bigint[], bigint[]) RETURNS bigint[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_bounds_combine(bigint[], bigint[]) IS
    'combine function of aggregate vgm_bounds(vgm_model, float8)';
CREATE FUNCTION vgm_bounds_final(bigint[]) RETURNS vgm_bounds_result
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_bounds_final(bigint[]) IS
    'final function of aggregate vgm_bounds(vgm_model, float8)';
CREATE AGGREGATE vgm_bounds(model vgm_model, x float8) (
    SFUNC = vgm_bounds_sfunc,
    STYPE = bigint[],
    INITCOND = '{1,0,0,0,0,0,0,0,0,0,0}',
    COMBINEFUNC = vgm_bounds_combine,
    FINALFUNC = vgm_bounds_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_bounds(vgm_model, float8) IS
    'shares of values outside the training range and of values whose alpha would be clipped, counts of non-finite values';

-- the report: every check from ONE scan of the table.
--
-- The extension is relocatable, and CREATE EXTENSION does not substitute
-- @extschema@ in the script of a relocatable extension, so these functions
-- pin search_path to pg_catalog, pg_temp and find their own schema at run
-- time in pg_extension (which also follows ALTER EXTENSION ... SET SCHEMA).
-- No SECURITY DEFINER: the caller's privileges on the table apply.
--
-- A superuser may run a report on a table of a role that owns the
-- extension's schema (public, typically) and can create overloads there of
-- every function the report calls.  So nothing in the bodies is resolved
-- by a search that such a role could steer:
--   * static SQL names only pg_catalog objects; with search_path pinned to
--     pg_catalog, pg_temp, pg_catalog is searched first, pg_temp last and
--     only for relations and types (never for functions or operators), and
--     the extension's schema not at all;
--   * the dynamic query qualifies every name (the extension's schema for
--     its functions and types, pg_catalog for the rest, the table by its
--     schema and name) and casts every argument to the exact type of the
--     function meant, the column included (an uncast int column would pick
--     an overload vgm_moments(int4) over ours);
--   * an overload that differs from ours only by extra defaulted arguments
--     makes the call ambiguous: an error, not a call of it.
-- Identifiers reach the dynamic query only through %I; the model and the
-- options travel as parameters.

-- The thresholds of a report checked before any scan; caller is the
-- function the user called, for the messages.  Not meant to be called
-- directly.
CREATE FUNCTION vgm_validation_options(caller text,
    ks_pvalue_min float8, mean_tol float8, std_tol float8, outside_max float8, clipped_max float8,
    ks_statistic_max float8, nonfinite_max float8, skewness_tol float8, kurtosis_tol float8,
    ks_excess_max float8, trimmed_std_tol float8)
    RETURNS void
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $vgm$
DECLARE
    bad_option text;
BEGIN
    -- a negative or NaN threshold makes its check always fail or always pass
    -- (NaN compares above every number in SQL, so test it explicitly)
    SELECT o.name INTO bad_option
      FROM (VALUES (1, 'ks_pvalue_min', ks_pvalue_min, 1::float8),
                   (2, 'mean_tol', mean_tol, 'Infinity'), (3, 'std_tol', std_tol, 'Infinity'),
                   (4, 'outside_max', outside_max, 1), (5, 'clipped_max', clipped_max, 1),
                   (6, 'ks_statistic_max', ks_statistic_max, 1), (7, 'nonfinite_max', nonfinite_max, 1),
                   (8, 'skewness_tol', skewness_tol, 'Infinity'),
                   (9, 'kurtosis_tol', kurtosis_tol, 'Infinity'),
                   (10, 'ks_excess_max', ks_excess_max, 1),
                   (11, 'trimmed_std_tol', trimmed_std_tol, 'Infinity')) o(i, name, v, hi)
     WHERE o.v IS NOT NULL AND (o.v = 'NaN'::float8 OR o.v < 0 OR o.v > o.hi)
     ORDER BY o.i LIMIT 1;
    IF bad_option IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s option "%s" is out of range', caller, bad_option),
            DETAIL = 'Tolerances are non-negative numbers; p-values, shares and statistics lie between 0 and 1.';
    END IF;
END
$vgm$;
COMMENT ON FUNCTION vgm_validation_options(text, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8) IS
    'checks the thresholds of a validation report (caller names the function in messages); not meant to be called directly';

-- The checks of a report from the three aggregates over one column (its
-- KS state, bounds and moments); caller is the function the user called,
-- for the messages.  Not meant to be called directly.
CREATE FUNCTION vgm_validation_checks(caller text, model vgm_model, k vgm_ks_state, b vgm_bounds_result,
    m vgm_moments_result,
    ks_pvalue_min float8, mean_tol float8, std_tol float8, outside_max float8, clipped_max float8,
    ks_statistic_max float8, nonfinite_max float8, skewness_tol float8, kurtosis_tol float8,
    ks_excess_max float8, trimmed_std_tol float8)
    RETURNS TABLE ("check" text, statistic float8, threshold float8, passed boolean)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $vgm$
DECLARE
    ext_schema name;
    ks_d float8; ks_p float8; ks_n bigint; ks_atom float8; ks_exc float8;
    d_tstd float8; m_tstd float8;
    b_outside float8 := b.outside_share; b_clipped float8 := b.clipped_share;
    b_nans bigint := b.nans; b_pinf bigint := b.pos_infs; b_ninf bigint := b.neg_infs;
    d_mean float8 := m.mean; d_std float8 := m.stddev; d_skew float8 := m.skewness; d_kurt float8 := m.kurtosis;
    m_mean float8; m_std float8; m_skew float8; m_kurt float8;
    nonfinite float8;
BEGIN
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'vgm';
    -- the effect sizes come from the KS histogram, with the 1 % trimmed
    -- moments (trim_fraction 0.01, docs/validation.md)
    EXECUTE format('SELECT e.statistic, e.pvalue, e.n, e.atom_share, e.excess,'
                   ' e.data_trimmed_stddev, e.model_trimmed_stddev'
                   ' FROM %1$I.vgm_ks_effects($1::%1$I.vgm_model, $2::%1$I.vgm_ks_state, $3::pg_catalog.float8) AS e',
                   ext_schema)
        INTO ks_d, ks_p, ks_n, ks_atom, ks_exc, d_tstd, m_tstd
        USING model, k, 0.01::float8;
    EXECUTE format('SELECT r.mean, r.stddev, r.skewness, r.kurtosis'
                   ' FROM %1$I.vgm_model_moments($1::%1$I.vgm_model) AS r', ext_schema)
        INTO m_mean, m_std, m_skew, m_kurt
        USING model;
    ks_n := coalesce(ks_n, 0);
    nonfinite := CASE WHEN ks_n + b_nans + b_pinf + b_ninf > 0
                      THEN (b_nans + b_pinf + b_ninf)::float8 / (ks_n + b_nans + b_pinf + b_ninf) END;

    -- a check whose threshold is NULL is reported with passed = NULL (not checked);
    -- a checked statistic that cannot be computed (no finite rows) fails
    RETURN QUERY
    SELECT c.name, c.stat, c.thr,
           CASE WHEN c.thr IS NULL THEN NULL
                ELSE coalesce(CASE WHEN c.upper THEN c.stat <= c.thr ELSE c.stat >= c.thr END, false) END
    FROM (VALUES
        (1, 'rows', ks_n::float8, 1::float8, false),
        (2, 'ks_statistic', ks_d, ks_statistic_max, true),
        (3, 'ks_pvalue', ks_p, ks_pvalue_min, false),
        (4, 'mean_shift', abs(d_mean - m_mean) / m_std, mean_tol, true),
        (5, 'stddev_ratio', abs(d_std / m_std - 1), std_tol, true),
        (6, 'skewness_diff', abs(d_skew - m_skew), skewness_tol, true),
        (7, 'kurtosis_diff', abs(d_kurt - m_kurt), kurtosis_tol, true),
        (8, 'outside_share', b_outside, outside_max, true),
        (9, 'clipped_share', b_clipped, clipped_max, true),
        (10, 'nonfinite_share', nonfinite, nonfinite_max, true),
        (11, 'atom_share', ks_atom, NULL::float8, true),
        -- effect size plus sampling noise: the 1 % critical value of the
        -- Kolmogorov distribution, and 3 normal-theory standard errors of a
        -- standard deviation, 1 / sqrt(2 n) relative (docs/validation.md)
        (12, 'ks_excess', ks_exc,
             ks_excess_max + CASE WHEN ks_n > 0 THEN 1.628 / sqrt(ks_n::float8) ELSE 0 END, true),
        -- data whose trimmed part is one tied value (spread 0: the value a
        -- discrete column leaves to the mixture beside its atoms) have no
        -- spread to compare in ratio; then the model's trimmed spread is
        -- judged against its whole standard deviation instead: a mixture
        -- part that is a near point in the model too passes, a wide one fails
        (13, 'trimmed_stddev_ratio',
             CASE WHEN d_tstd = 0 THEN m_tstd / nullif(m_std, 0) ELSE abs(d_tstd / nullif(m_tstd, 0) - 1) END,
             trimmed_std_tol + CASE WHEN ks_n > 0 THEN 3 / sqrt(2 * ks_n::float8) ELSE 0 END, true)
    ) AS c(ord, name, stat, thr, upper)
    ORDER BY c.ord;
END
$vgm$;
COMMENT ON FUNCTION vgm_validation_checks(text, vgm_model, vgm_ks_state, vgm_bounds_result, vgm_moments_result, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8) IS
    'the checks of a validation report from the KS state, bounds and moments of a column; not meant to be called directly';

-- The report of vgm_validate and vgm_assert_valid; caller is the function
-- the user called, for the messages.  Not meant to be called directly.
CREATE FUNCTION vgm_validation_report(caller text, model vgm_model, tbl regclass, col name,
    ks_pvalue_min float8, mean_tol float8, std_tol float8, outside_max float8, clipped_max float8,
    ks_statistic_max float8, nonfinite_max float8, skewness_tol float8, kurtosis_tol float8,
    ks_excess_max float8, trimmed_std_tol float8)
    RETURNS TABLE ("check" text, statistic float8, threshold float8, passed boolean)
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
AS $vgm$
DECLARE
    ext_schema name;
    rel_schema name;
    rel_name name;
    col_type oid;
    base_type oid;
    type_kind "char";
    type_base oid;
BEGIN
    caller := coalesce(caller, 'vgm_validate');
    IF model IS NULL OR tbl IS NULL OR col IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = format('%s model, table and column must not be null', caller),
            DETAIL = 'The report compares one column of one table with one model.';
    END IF;
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'vgm';
    EXECUTE format('SELECT %1$I.vgm_validation_options($1::pg_catalog.text, $2::pg_catalog.float8,'
                   ' $3::pg_catalog.float8, $4::pg_catalog.float8, $5::pg_catalog.float8, $6::pg_catalog.float8,'
                   ' $7::pg_catalog.float8, $8::pg_catalog.float8, $9::pg_catalog.float8, $10::pg_catalog.float8,'
                   ' $11::pg_catalog.float8, $12::pg_catalog.float8)', ext_schema)
        USING caller, ks_pvalue_min, mean_tol, std_tol, outside_max, clipped_max, ks_statistic_max,
              nonfinite_max, skewness_tol, kurtosis_tol, ks_excess_max, trimmed_std_tol;
    SELECT a.atttypid INTO col_type FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
    IF col_type IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_column',
            MESSAGE = format('column "%s" of relation %s does not exist', col, tbl),
            DETAIL = format('%s reads one numeric column of the table.', caller);
    END IF;
    -- a domain is read as its base type (a domain over a domain names the
    -- inner domain as its base, hence the loop)
    base_type := col_type;
    LOOP
        SELECT t.typtype, t.typbasetype INTO type_kind, type_base FROM pg_type t WHERE t.oid = base_type;
        EXIT WHEN type_kind IS DISTINCT FROM 'd';
        base_type := type_base;
    END LOOP;
    -- only the built-in numeric types: their casts to float8 are built in,
    -- whereas the cast of another type runs a function of its owner
    IF base_type NOT IN ('pg_catalog.float8'::regtype, 'pg_catalog.float4'::regtype,
                         'pg_catalog.int2'::regtype, 'pg_catalog.int4'::regtype,
                         'pg_catalog.int8'::regtype, 'pg_catalog.numeric'::regtype) THEN
        RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
            MESSAGE = format('column "%s" of relation %s has type %s, not a number', col, tbl, format_type(col_type, NULL)),
            DETAIL = format('%s reads a column of type double precision, real, smallint, integer, bigint '
                            'or numeric, or of a domain over one of them.', caller);
    END IF;
    SELECT n.nspname, c.relname INTO rel_schema, rel_name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = tbl;

    -- one scan: the three aggregates run side by side (and in parallel
    -- workers); vgm_validation_checks turns their results into the checks
    RETURN QUERY EXECUTE format(
        'SELECT c."check", c.statistic, c.threshold, c.passed'
        ' FROM (SELECT %1$I.vgm_ks_state($1::%1$I.vgm_model, t.%2$I::pg_catalog.float8) AS k,'
        ' %1$I.vgm_bounds($1::%1$I.vgm_model, t.%2$I::pg_catalog.float8) AS b,'
        ' %1$I.vgm_moments(t.%2$I::pg_catalog.float8) AS m'
        ' FROM %3$I.%4$I AS t) AS s,'
        ' LATERAL %1$I.vgm_validation_checks($2::pg_catalog.text, $1::%1$I.vgm_model, s.k, s.b, s.m,'
        ' $3::pg_catalog.float8, $4::pg_catalog.float8, $5::pg_catalog.float8, $6::pg_catalog.float8,'
        ' $7::pg_catalog.float8, $8::pg_catalog.float8, $9::pg_catalog.float8, $10::pg_catalog.float8,'
        ' $11::pg_catalog.float8, $12::pg_catalog.float8, $13::pg_catalog.float8) AS c',
        ext_schema, col, rel_schema, rel_name)
        USING model, caller, ks_pvalue_min, mean_tol, std_tol, outside_max, clipped_max, ks_statistic_max,
              nonfinite_max, skewness_tol, kurtosis_tol, ks_excess_max, trimmed_std_tol;
END
$vgm$;
COMMENT ON FUNCTION vgm_validation_report(text, vgm_model, regclass, name, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8) IS
    'the report behind vgm_validate and vgm_assert_valid (caller names the function in messages); not meant to be called directly';

CREATE FUNCTION vgm_validate(model vgm_model, tbl regclass, col name,
    ks_pvalue_min float8 DEFAULT NULL,
    mean_tol float8 DEFAULT 0.1,
    std_tol float8 DEFAULT NULL,
    outside_max float8 DEFAULT 0.01,
    clipped_max float8 DEFAULT 0.02,
    ks_statistic_max float8 DEFAULT NULL,
    nonfinite_max float8 DEFAULT NULL,
    skewness_tol float8 DEFAULT NULL,
    kurtosis_tol float8 DEFAULT NULL,
    ks_excess_max float8 DEFAULT 0.15,
    trimmed_std_tol float8 DEFAULT 0.1)
    RETURNS TABLE ("check" text, statistic float8, threshold float8, passed boolean)
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
AS $vgm$
DECLARE
    ext_schema name;
BEGIN
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'vgm';
    RETURN QUERY EXECUTE format(
        'SELECT r."check", r.statistic, r.threshold, r.passed'
        ' FROM %1$I.vgm_validation_report($1::pg_catalog.text, $2::%1$I.vgm_model,'
        ' $3::pg_catalog.regclass, $4::pg_catalog.name, $5::pg_catalog.float8, $6::pg_catalog.float8,'
        ' $7::pg_catalog.float8, $8::pg_catalog.float8, $9::pg_catalog.float8, $10::pg_catalog.float8,'
        ' $11::pg_catalog.float8, $12::pg_catalog.float8, $13::pg_catalog.float8,'
        ' $14::pg_catalog.float8, $15::pg_catalog.float8) AS r', ext_schema)
        USING 'vgm_validate', model, tbl, col, ks_pvalue_min, mean_tol, std_tol, outside_max,
              clipped_max, ks_statistic_max, nonfinite_max, skewness_tol, kurtosis_tol,
              ks_excess_max, trimmed_std_tol;
END
$vgm$;
COMMENT ON FUNCTION vgm_validate(vgm_model, regclass, name, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8) IS
    'validation report of a column against a model from one table scan: KS test and effect sizes, moments, range, clipping';

CREATE FUNCTION vgm_assert_valid(model vgm_model, tbl regclass, col name,
    ks_pvalue_min float8 DEFAULT NULL,
    mean_tol float8 DEFAULT 0.1,
    std_tol float8 DEFAULT NULL,
    outside_max float8 DEFAULT 0.01,
    clipped_max float8 DEFAULT 0.02,
    ks_statistic_max float8 DEFAULT NULL,
    nonfinite_max float8 DEFAULT NULL,
    skewness_tol float8 DEFAULT NULL,
    kurtosis_tol float8 DEFAULT NULL,
    ks_excess_max float8 DEFAULT 0.15,
    trimmed_std_tol float8 DEFAULT 0.1)
    RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
AS $vgm$
DECLARE
    ext_schema name;
    failed text;
    details text;
BEGIN
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'vgm';
    EXECUTE format(
        'SELECT pg_catalog.string_agg(r."check", '', ''::pg_catalog.text ORDER BY r.ord),'
        ' pg_catalog.string_agg(pg_catalog.format(''%%s = %%s (threshold %%s)''::pg_catalog.text,'
        ' r."check", r.statistic, r.threshold), ''; ''::pg_catalog.text ORDER BY r.ord)'
        ' FROM %1$I.vgm_validation_report($1::pg_catalog.text, $2::%1$I.vgm_model,'
        ' $3::pg_catalog.regclass, $4::pg_catalog.name, $5::pg_catalog.float8, $6::pg_catalog.float8,'
        ' $7::pg_catalog.float8, $8::pg_catalog.float8, $9::pg_catalog.float8, $10::pg_catalog.float8,'
        ' $11::pg_catalog.float8, $12::pg_catalog.float8, $13::pg_catalog.float8,'
        ' $14::pg_catalog.float8, $15::pg_catalog.float8)'
        ' WITH ORDINALITY AS r("check", statistic, threshold, passed, ord)'
        ' WHERE r.passed IS FALSE', ext_schema)
        INTO failed, details
        USING 'vgm_assert_valid', model, tbl, col, ks_pvalue_min, mean_tol, std_tol, outside_max,
              clipped_max, ks_statistic_max, nonfinite_max, skewness_tol, kurtosis_tol,
              ks_excess_max, trimmed_std_tol;
    IF failed IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
            MESSAGE = format('vgm validation of %s.%s failed: %s', tbl, quote_ident(col), failed),
            DETAIL = details || '.',
            HINT = 'Refit the model on current data, or relax the thresholds of vgm_assert_valid.';
    END IF;
END
$vgm$;
COMMENT ON FUNCTION vgm_assert_valid(vgm_model, regclass, name, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8) IS
    'raise check_violation (SQLSTATE 23514) naming the failed checks of vgm_validate';
-- END validation

-- BEGIN tables
-------------------------------------------------------------------------------
-- whole tables: fit, lay out, encode, decode and validate every numeric
-- column of a table (CTGAN's DataTransformer / SDV's HyperTransformer in SQL)
--
-- A models table is an ordinary table, one row per column: column_name,
-- position (the column's place in the fitted table, which orders the
-- layout), model, rows, fitted_on and fitted_at, as vgm_fit_table returns
-- them; it can be stored, versioned, diffed and dumped.  The encoded layout
-- is CTGAN's: per column in position order [alpha, one-hot over the valid
-- components] (vgm_encode), so a column of a model with c valid components
-- takes 1 + c elements.
--
-- These functions follow the rule of the validation report above: search_path
-- pinned to pg_catalog, pg_temp; the extension's schema found in
-- pg_extension; every dynamic call qualified and every argument cast to the
-- exact type meant; identifiers only through %I, models as quoted literals
-- (%L, constants: the transforms' cache keeps them between rows), options as
-- parameters.  Columns are read when their type is float4, float8, numeric,
-- an integer type or a domain over one of them (built-in casts to float8).
-- No SECURITY DEFINER: the caller's privileges on the tables apply.

-- The numeric columns of tbl (all, or the listed ones, in table order) for
-- caller's messages; other columns are skipped with a NOTICE when not listed,
-- an error when listed.  Not meant to be called directly.
CREATE FUNCTION vgm_table_columns(caller text, tbl regclass, columns name[])
    RETURNS TABLE (column_name name, "position" int)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $vgm$
DECLARE
    skipped text;
    missing name;
    names name[];
    nums int[];
    numeric_ok boolean[];
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = format('%s table must not be null', caller),
            DETAIL = 'Name the table whose numeric columns are meant.';
    END IF;
    IF array_position(columns, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = format('%s column names must not be null', caller),
            DETAIL = 'List the columns by name.';
    END IF;
    SELECT c.name INTO missing FROM unnest(columns) AS c(name)
     WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = tbl AND a.attname = c.name
                                                    AND a.attnum > 0 AND NOT a.attisdropped)
     LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_column',
            MESSAGE = format('column "%s" of relation %s does not exist', missing, tbl),
            DETAIL = format('%s reads the listed columns of the table.', caller);
    END IF;
    -- a domain is read as its base type, through any depth of domains
    WITH RECURSIVE base(attname, attnum, typ) AS (
        SELECT a.attname, a.attnum::int, a.atttypid FROM pg_attribute a
         WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped
           AND (columns IS NULL OR a.attname = ANY (columns))
        UNION ALL
        SELECT b.attname, b.attnum, t.typbasetype FROM base b JOIN pg_type t ON t.oid = b.typ
         WHERE t.typtype = 'd')
    SELECT array_agg(b.attname ORDER BY b.attnum), array_agg(b.attnum ORDER BY b.attnum),
           array_agg(b.typ IN ('pg_catalog.float8'::regtype, 'pg_catalog.float4'::regtype,
                               'pg_catalog.int2'::regtype, 'pg_catalog.int4'::regtype,
                               'pg_catalog.int8'::regtype, 'pg_catalog.numeric'::regtype) ORDER BY b.attnum)
      INTO names, nums, numeric_ok
      FROM base b JOIN pg_type t ON t.oid = b.typ
     WHERE t.typtype <> 'd';
    SELECT string_agg(quote_ident(u.n), ', ' ORDER BY u.i) INTO skipped
      FROM unnest(names, numeric_ok) WITH ORDINALITY AS u(n, ok, i) WHERE NOT u.ok;
    IF skipped IS NOT NULL AND columns IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
            MESSAGE = format('%s: columns %s of relation %s are not numbers', caller, skipped, tbl),
            DETAIL = 'Listed columns must be double precision, real, smallint, integer, bigint or numeric, '
                     'or a domain over one of them.';
    ELSIF skipped IS NOT NULL THEN
        RAISE NOTICE '%: skipping the columns of relation % that are not numbers: %', caller, tbl, skipped;
    END IF;
    RETURN QUERY SELECT u.n, u.p FROM unnest(names, nums, numeric_ok) AS u(n, p, ok) WHERE u.ok ORDER BY u.p;
END
$vgm$;
COMMENT ON FUNCTION vgm_table_columns(text, regclass, name[]) IS
    'the numeric columns of a table for the whole-table functions (caller names the function in messages); not meant to be called directly';

-- Fit a model to every numeric column of tbl (or the listed ones) in ONE
-- scan: one vgm_summarize per column side by side in one statement (so it
-- runs in parallel workers and distributes like any aggregate), then
-- vgm_fit of each summary with the options given.
CREATE FUNCTION vgm_fit_table(tbl regclass, columns name[] DEFAULT NULL,
    sample_percent float8 DEFAULT NULL,
    max_components int DEFAULT 10,
    weight_concentration_prior float8 DEFAULT 0.001,
    weight_threshold float8 DEFAULT 0.005,
    max_iter int DEFAULT 20000,
    tol float8 DEFAULT 1e-8,
    seed bigint DEFAULT 42,
    n_init int DEFAULT 5)
    RETURNS TABLE (column_name name, "position" int, model vgm_model, rows bigint, fitted_on text,
                   fitted_at timestamptz)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $vgm$
DECLARE
    ext_schema name;
    cols name[];
    positions int[];
    aggs text;
BEGIN
    IF sample_percent IS NOT NULL AND NOT (sample_percent > 0 AND sample_percent <= 100) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'vgm_fit_table option "sample_percent" is out of range',
            DETAIL = 'A sample is more than 0 and at most 100 percent of the table''s pages.';
    END IF;
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vgm';
    EXECUTE format('SELECT pg_catalog.array_agg(c.column_name ORDER BY c.position),'
                   ' pg_catalog.array_agg(c.position ORDER BY c.position)'
                   ' FROM %1$I.vgm_table_columns($1::pg_catalog.text, $2::pg_catalog.regclass,'
                   ' $3::pg_catalog.name[]) AS c', ext_schema)
        INTO cols, positions USING 'vgm_fit_table', tbl, columns;
    IF cols IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
            MESSAGE = format('vgm_fit_table: relation %s has no numeric column', tbl),
            DETAIL = 'It fits columns of type double precision, real, smallint, integer, bigint or numeric.';
    END IF;
    SELECT string_agg(format('%1$I.vgm_summarize(t.%2$I::pg_catalog.float8)', ext_schema, c), ', ' ORDER BY i)
      INTO aggs FROM unnest(cols) WITH ORDINALITY AS u(c, i);
    RETURN QUERY EXECUTE format(
        'SELECT c.name, c.pos, %1$I.vgm_fit(u.s, $3::pg_catalog.int4, $4::pg_catalog.float8,'
        ' $5::pg_catalog.float8, $6::pg_catalog.int4, $7::pg_catalog.float8, $8::pg_catalog.int8,'
        ' NULL::%1$I.vgm_model, $9::pg_catalog.int4),'
        ' (%1$I.vgm_summary_info(u.s)).rows, $10::pg_catalog.text, pg_catalog.now()'
        ' FROM (SELECT ARRAY[%2$s] AS a FROM %3$I.%4$I AS t %5$s) AS q,'
        ' pg_catalog.unnest(q.a) WITH ORDINALITY AS u(s, i),'
        ' ROWS FROM (pg_catalog.unnest($1::pg_catalog.name[]), pg_catalog.unnest($2::pg_catalog.int4[]))'
        ' WITH ORDINALITY AS c(name, pos, i)'
        ' WHERE u.i OPERATOR(pg_catalog.=) c.i ORDER BY c.i',
        ext_schema, aggs,
        (SELECT n.nspname FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace WHERE r.oid = tbl),
        (SELECT r.relname FROM pg_class r WHERE r.oid = tbl),
        CASE WHEN sample_percent IS NOT NULL
             THEN 'TABLESAMPLE SYSTEM ($11::pg_catalog.float4) REPEATABLE ($8::pg_catalog.float8)' ELSE '' END)
        USING cols, positions, max_components, weight_concentration_prior, weight_threshold, max_iter, tol,
              seed, n_init, tbl::text, sample_percent;
END
$vgm$;
COMMENT ON FUNCTION vgm_fit_table(regclass, name[], float8, int, float8, float8, int, float8, bigint, int) IS
    'a model for every numeric column of a table (or the listed ones) from one scan; the rows of a models table';

-- The models of a models table in layout order (position, then column name;
-- by column name when the table has no position column), each with its
-- model as text and its place in the encoded array.  Not meant to be called
-- directly.
CREATE FUNCTION vgm_table_models(caller text, models regclass)
    RETURNS TABLE (column_name name, model_text text, first int, width int)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $vgm$
DECLARE
    ext_schema name;
    order_by text := 'm.column_name';
    dup name;
BEGIN
    IF models IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = format('%s models table must not be null', caller),
            DETAIL = 'Name a table of models as vgm_fit_table returns them.';
    END IF;
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vgm';
    IF (SELECT count(*) FROM pg_attribute a
         WHERE a.attrelid = models AND NOT a.attisdropped AND a.attnum > 0
           AND ((a.attname = 'column_name' AND a.atttypid IN ('pg_catalog.name'::regtype, 'pg_catalog.text'::regtype))
                OR (a.attname = 'model' AND a.atttypid = format('%I.vgm_model', ext_schema)::regtype))) <> 2 THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_column',
            MESSAGE = format('%s: relation %s is not a table of models', caller, models),
            DETAIL = 'A models table has the columns column_name (name or text) and model (vgm_model), '
                     'as vgm_fit_table returns them.';
    END IF;
    IF EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = models AND a.attname = 'position'
                                              AND NOT a.attisdropped AND a.attnum > 0) THEN
        order_by := 'm."position", m.column_name';
    END IF;
    EXECUTE format('SELECT m.column_name::pg_catalog.name FROM %s AS m GROUP BY 1'
                   ' HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1 LIMIT 1', models) INTO dup;
    IF dup IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'unique_violation',
            MESSAGE = format('%s: relation %s has more than one model of column "%s"', caller, models, dup),
            DETAIL = 'A models table holds one model a column.';
    END IF;
    -- the width of a block is the length of any encoding (NULL model: an error below)
    RETURN QUERY EXECUTE format(
        'SELECT l.column_name, l.model_text,'
        ' (1 OPERATOR(pg_catalog.+) COALESCE(pg_catalog.sum(l.width) OVER (ORDER BY l.ord'
        ' ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))::pg_catalog.int4, l.width'
        ' FROM (SELECT m.column_name::pg_catalog.name AS column_name, m.model::pg_catalog.text AS model_text,'
        ' pg_catalog.cardinality(%1$I.vgm_encode(m.model::%1$I.vgm_model, 0::pg_catalog.float8)) AS width,'
        ' pg_catalog.row_number() OVER (ORDER BY %3$s) AS ord FROM %2$s AS m) AS l ORDER BY l.ord',
        ext_schema, models, order_by);
END
$vgm$;
COMMENT ON FUNCTION vgm_table_models(text, regclass) IS
    'the models of a models table in layout order with their offsets (caller names the function in messages); not meant to be called directly';

-- The encoded layout of a models table: per column, where its block starts
-- (1-based) in the encoded array, its width (1 + components) and its number
-- of valid components.
CREATE FUNCTION vgm_layout(models regclass)
    RETURNS TABLE (column_name name, first int, width int, components int)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $vgm$
DECLARE
    ext_schema name;
BEGIN
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vgm';
    RETURN QUERY EXECUTE format(
        'SELECT m.column_name, m.first, m.width, m.width OPERATOR(pg_catalog.-) 1'
        ' FROM %1$I.vgm_table_models($1::pg_catalog.text, $2::pg_catalog.regclass) AS m', ext_schema)
        USING 'vgm_layout', models;
END
$vgm$;
COMMENT ON FUNCTION vgm_layout(regclass) IS
    'the encoded layout of a models table: per column its first element, width and valid components (CTGAN''s output_info)';

-- The statement that encodes every modelled column of tbl: one row per table
-- row, the key column (cast to bigint) as row_key and the columns'
-- vgm_encode blocks side by side in layout order as encoded.  A NULL or
-- non-finite value gives a block of NULLs of the block's width, so every
-- array has the layout's length.  With draw, the component of each value is
-- drawn with the key (vgm_encode(m, x, key)) instead of being the most
-- probable one.  Every name in it is qualified and every model a literal, so
-- it means the same under any search_path.  caller names the function the
-- user called, for the messages.  Not meant to be called directly.
CREATE FUNCTION vgm_encode_statement(caller text, tbl regclass, models regclass, key name, draw boolean)
    RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $vgm$
#variable_conflict use_variable
DECLARE
    ext_schema name;
    blocks text;
    key_expr text := 'NULL::pg_catalog.int8';
BEGIN
    IF draw AND key IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s draws components only with a key', caller),
            DETAIL = 'The draw of a row is seeded by its key: name the key column.';
    END IF;
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vgm';
    -- every modelled column must be a numeric column of tbl (an error names the first that is not)
    EXECUTE format('SELECT pg_catalog.count(*) FROM %1$I.vgm_table_columns($1::pg_catalog.text,'
                   ' $2::pg_catalog.regclass, ARRAY(SELECT m.column_name FROM %1$I.vgm_table_models($1::pg_catalog.text,'
                   ' $3::pg_catalog.regclass) AS m)::pg_catalog.name[]) AS c', ext_schema)
        USING caller, tbl, models;
    IF key IS NOT NULL THEN
        PERFORM 1 FROM pg_attribute a
          WHERE a.attrelid = tbl AND a.attname = key AND a.attnum > 0 AND NOT a.attisdropped
            AND a.atttypid IN ('pg_catalog.int2'::regtype, 'pg_catalog.int4'::regtype, 'pg_catalog.int8'::regtype);
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_column',
                MESSAGE = format('%s: relation %s has no integer column "%s"', caller, tbl, key),
                DETAIL = 'The key is a column of type smallint, integer or bigint.';
        END IF;
        key_expr := format('t.%I::pg_catalog.int8', key);
    END IF;
    EXECUTE format(
        'SELECT pg_catalog.string_agg(pg_catalog.format('
        '''COALESCE(%%1$I.vgm_encode(%%2$L::%%1$I.vgm_model, t.%%3$I::pg_catalog.float8%%4$s),'
        ' pg_catalog.array_fill(NULL::pg_catalog.float8, ARRAY[%%5$s]))'', $3::pg_catalog.name, m.model_text,'
        ' m.column_name, $4::pg_catalog.text, m.width), '' OPERATOR(pg_catalog.||) '' ORDER BY m.first)'
        ' FROM %1$I.vgm_table_models($1::pg_catalog.text, $2::pg_catalog.regclass) AS m', ext_schema)
        INTO blocks USING caller, models, ext_schema,
                          CASE WHEN draw THEN ', ' || key_expr ELSE '' END;
    IF blocks IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found',
            MESSAGE = format('%s: relation %s holds no model', caller, models),
            DETAIL = 'Fill it with vgm_fit_table.';
    END IF;
    RETURN format('SELECT %1$s AS row_key, %2$s AS encoded FROM %3$s AS t', key_expr, blocks, tbl);
END
$vgm$;
COMMENT ON FUNCTION vgm_encode_statement(text, regclass, regclass, name, boolean) IS
    'the statement behind vgm_encode_table and vgm_encode_query (caller names the function in messages); not meant to be called directly';

-- Encode every modelled column of tbl (see vgm_encode_statement): rows
-- (row_key, encoded), through the tuplestore of a set-returning function.
CREATE FUNCTION vgm_encode_table(tbl regclass, models regclass, key name DEFAULT NULL,
    draw boolean DEFAULT false)
    RETURNS TABLE (row_key bigint, encoded float8[])
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $vgm$
#variable_conflict use_variable
DECLARE
    ext_schema name;
    stmt text;
BEGIN
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vgm';
    EXECUTE format('SELECT %1$I.vgm_encode_statement($1::pg_catalog.text, $2::pg_catalog.regclass,'
                   ' $3::pg_catalog.regclass, $4::pg_catalog.name, $5::pg_catalog.bool)', ext_schema)
        INTO stmt USING 'vgm_encode_table', tbl, models, key, draw;
    RETURN QUERY EXECUTE stmt;
END
$vgm$;
COMMENT ON FUNCTION vgm_encode_table(regclass, regclass, name, boolean) IS
    'every modelled column of a table encoded side by side in CTGAN''s layout (vgm_layout), one array a row';

-- The statement of vgm_encode_table as text, to run as a statement of its
-- own (CREATE TABLE ... AS it, through psql's \gexec): it runs in parallel
-- workers and hands its rows on without the tuplestore a set-returning
-- function fills.
CREATE FUNCTION vgm_encode_query(tbl regclass, models regclass, key name DEFAULT NULL,
    draw boolean DEFAULT false)
    RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $vgm$
DECLARE
    ext_schema name;
    stmt text;
BEGIN
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vgm';
    EXECUTE format('SELECT %1$I.vgm_encode_statement($1::pg_catalog.text, $2::pg_catalog.regclass,'
                   ' $3::pg_catalog.regclass, $4::pg_catalog.name, $5::pg_catalog.bool)', ext_schema)
        INTO stmt USING 'vgm_encode_query', tbl, models, key, draw;
    RETURN stmt;
END
$vgm$;
COMMENT ON FUNCTION vgm_encode_query(regclass, regclass, name, boolean) IS
    'the SELECT of vgm_encode_table as text, to run on its own (e.g. CREATE TABLE ... AS it with \gexec): parallel, no tuplestore';

-- Decode encoded rows back into rows of a table type: each modelled column
-- is vgm_decode of its block (the argmax of the block's scores picks the
-- component, as CTGAN decodes), cast to the column's type; the key goes to
-- the column of the same name; other columns are NULL.  row_type is a NULL
-- of the target type (NULL::tablename), as for populate_record.
CREATE FUNCTION vgm_decode_table(row_type anyelement, encoded regclass, models regclass,
    key name DEFAULT 'row_key', encoded_column name DEFAULT 'encoded', clamp boolean DEFAULT false)
    RETURNS SETOF anyelement
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $vgm$
#variable_conflict use_variable
DECLARE
    ext_schema name;
    target oid;
    total int;
    missing name;
    bad text;
    exprs text;
    l_names name[];
    l_models text[];
    l_firsts int[];
    l_widths int[];
BEGIN
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vgm';
    SELECT t.typrelid INTO target FROM pg_type t WHERE t.oid = pg_typeof(row_type);
    IF target IS NULL OR target = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
            MESSAGE = format('vgm_decode_table: type %s is not a row type', pg_typeof(row_type)),
            DETAIL = 'Pass a NULL of the table type to fill, e.g. NULL::transactions.';
    END IF;
    EXECUTE format('SELECT pg_catalog.array_agg(m.column_name ORDER BY m.first), pg_catalog.array_agg(m.model_text'
                   ' ORDER BY m.first), pg_catalog.array_agg(m.first ORDER BY m.first),'
                   ' pg_catalog.array_agg(m.width ORDER BY m.first)'
                   ' FROM %1$I.vgm_table_models($1::pg_catalog.text, $2::pg_catalog.regclass) AS m', ext_schema)
        INTO l_names, l_models, l_firsts, l_widths USING 'vgm_decode_table', models;
    SELECT l.n INTO missing FROM unnest(l_names) WITH ORDINALITY AS l(n, i)
     WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = target AND a.attname = l.n
                                                    AND a.attnum > 0 AND NOT a.attisdropped)
     ORDER BY l.i LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_column',
            MESSAGE = format('vgm_decode_table: type %s has no column "%s" of models %s',
                             pg_typeof(row_type), missing, models),
            DETAIL = 'Every modelled column is decoded into the column of the same name.';
    END IF;
    total := l_firsts[cardinality(l_firsts)] + l_widths[cardinality(l_widths)] - 1;
    -- the encoded arrays must have the layout's length exactly
    EXECUTE format('SELECT pg_catalog.format(''row with %%s = %%s has %%s elements'', $1::pg_catalog.text,'
                   ' e.%1$I, pg_catalog.cardinality(e.%2$I)) FROM %3$s AS e'
                   ' WHERE pg_catalog.cardinality(e.%2$I) IS DISTINCT FROM $2::pg_catalog.int4 LIMIT 1',
                   key, encoded_column, encoded)
        INTO bad USING key, total;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'array_subscript_error',
            MESSAGE = format('vgm_decode_table: column %s of relation %s does not match the layout of %s',
                             quote_ident(encoded_column), encoded, models),
            DETAIL = format('The layout has %s elements; the %s.', total, bad);
    END IF;
    SELECT string_agg(CASE
               WHEN l.column_name IS NOT NULL THEN format(
                   'CASE WHEN e.%3$I[%5$s] IS NULL THEN NULL ELSE %1$I.vgm_decode(%2$L::%1$I.vgm_model,'
                   ' CASE WHEN e.vgm_has_null THEN ARRAY(SELECT pg_catalog.unnest(e.%3$I[%5$s:%6$s]))'
                   ' ELSE e.%3$I[%5$s:%6$s] END, $1::pg_catalog.bool) END::%4$s',
                   ext_schema, l.model_text, encoded_column, format_type(a.atttypid, a.atttypmod),
                   l.first, l.first + l.width - 1)
               WHEN a.attname = key THEN format('e.%I::%s', key, format_type(a.atttypid, a.atttypmod))
               ELSE format('NULL::%s', format_type(a.atttypid, a.atttypmod)) END, ', ' ORDER BY a.attnum)
      INTO exprs
      FROM pg_attribute a
      LEFT JOIN unnest(l_names, l_models, l_firsts, l_widths) AS l(column_name, model_text, first, width)
        ON l.column_name = a.attname
     WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped;
    -- a slice of an array that holds a NULL anywhere carries a NULL bitmap,
    -- which vgm_decode refuses even where the slice has no NULL: the blocks
    -- of such rows (a NULL value was encoded) are copied afresh
    RETURN QUERY EXECUTE format('SELECT %1$s FROM (SELECT r.*, pg_catalog.array_position(r.%2$I, NULL)'
                                ' IS NOT NULL AS vgm_has_null FROM %3$s AS r) AS e', exprs, encoded_column, encoded)
        USING clamp;
END
$vgm$;
COMMENT ON FUNCTION vgm_decode_table(anyelement, regclass, regclass, name, name, boolean) IS
    'encoded rows back into rows of a table type: every modelled column decoded from its block (argmax, as CTGAN)';

-- The validation report of every modelled column of tbl (the checks and
-- options of vgm_validate), from ONE scan: the three aggregates of every
-- column side by side in one statement; in layout order.
CREATE FUNCTION vgm_validate_table(tbl regclass, models regclass,
    ks_pvalue_min float8 DEFAULT NULL,
    mean_tol float8 DEFAULT 0.1,
    std_tol float8 DEFAULT NULL,
    outside_max float8 DEFAULT 0.01,
    clipped_max float8 DEFAULT 0.02,
    ks_statistic_max float8 DEFAULT NULL,
    nonfinite_max float8 DEFAULT NULL,
    skewness_tol float8 DEFAULT NULL,
    kurtosis_tol float8 DEFAULT NULL,
    ks_excess_max float8 DEFAULT 0.15,
    trimmed_std_tol float8 DEFAULT 0.1)
    RETURNS TABLE (column_name name, "check" text, statistic float8, threshold float8, passed boolean)
    LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
AS $vgm$
DECLARE
    ext_schema name;
    aggs text;
    per_column text;
BEGIN
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vgm';
    EXECUTE format('SELECT %1$I.vgm_validation_options($1::pg_catalog.text, $2::pg_catalog.float8,'
                   ' $3::pg_catalog.float8, $4::pg_catalog.float8, $5::pg_catalog.float8, $6::pg_catalog.float8,'
                   ' $7::pg_catalog.float8, $8::pg_catalog.float8, $9::pg_catalog.float8, $10::pg_catalog.float8,'
                   ' $11::pg_catalog.float8, $12::pg_catalog.float8)', ext_schema)
        USING 'vgm_validate_table', ks_pvalue_min, mean_tol, std_tol, outside_max, clipped_max, ks_statistic_max,
              nonfinite_max, skewness_tol, kurtosis_tol, ks_excess_max, trimmed_std_tol;
    -- every modelled column must be a numeric column of tbl (an error names the first that is not)
    EXECUTE format('SELECT pg_catalog.count(*) FROM %1$I.vgm_table_columns($1::pg_catalog.text,'
                   ' $2::pg_catalog.regclass, ARRAY(SELECT m.column_name FROM %1$I.vgm_table_models($1::pg_catalog.text,'
                   ' $3::pg_catalog.regclass) AS m)::pg_catalog.name[]) AS c', ext_schema)
        USING 'vgm_validate_table', tbl, models;
    EXECUTE format(
        'SELECT pg_catalog.string_agg(pg_catalog.format(''%%1$I.vgm_ks_state(%%2$L::%%1$I.vgm_model,'
        ' t.%%3$I::pg_catalog.float8) AS k%%4$s, %%1$I.vgm_bounds(%%2$L::%%1$I.vgm_model,'
        ' t.%%3$I::pg_catalog.float8) AS b%%4$s, %%1$I.vgm_moments(t.%%3$I::pg_catalog.float8) AS m%%4$s'','
        ' $2::pg_catalog.name, l.model_text, l.column_name, l.ord), '', '' ORDER BY l.ord),'
        ' pg_catalog.string_agg(pg_catalog.format(''(%%4$s, %%3$L::pg_catalog.name, %%2$L::%%1$I.vgm_model,'
        ' s.k%%4$s, s.b%%4$s, s.m%%4$s)'', $2::pg_catalog.name, l.model_text, l.column_name, l.ord),'
        ' '', '' ORDER BY l.ord)'
        ' FROM (SELECT m.*, pg_catalog.row_number() OVER (ORDER BY m.first) AS ord'
        ' FROM %1$I.vgm_table_models($1::pg_catalog.text, $3::pg_catalog.regclass) AS m) AS l', ext_schema)
        INTO aggs, per_column USING 'vgm_validate_table', ext_schema, models;
    IF aggs IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found',
            MESSAGE = format('vgm_validate_table: relation %s holds no model', models),
            DETAIL = 'Fill it with vgm_fit_table.';
    END IF;
    RETURN QUERY EXECUTE format(
        'SELECT v.column_name, c."check", c.statistic, c.threshold, c.passed'
        ' FROM (SELECT %2$s FROM %3$s AS t) AS s,'
        ' LATERAL (VALUES %4$s) AS v(ord, column_name, model, k, b, m),'
        ' LATERAL %1$I.vgm_validation_checks($1::pg_catalog.text, v.model, v.k, v.b, v.m,'
        ' $2::pg_catalog.float8, $3::pg_catalog.float8, $4::pg_catalog.float8, $5::pg_catalog.float8,'
        ' $6::pg_catalog.float8, $7::pg_catalog.float8, $8::pg_catalog.float8, $9::pg_catalog.float8,'
        ' $10::pg_catalog.float8, $11::pg_catalog.float8, $12::pg_catalog.float8)'
        ' WITH ORDINALITY AS c("check", statistic, threshold, passed, ord)'
        ' ORDER BY v.ord, c.ord', ext_schema, aggs, tbl, per_column)
        USING 'vgm_validate_table', ks_pvalue_min, mean_tol, std_tol, outside_max, clipped_max,
              ks_statistic_max, nonfinite_max, skewness_tol, kurtosis_tol, ks_excess_max, trimmed_std_tol;
END
$vgm$;
COMMENT ON FUNCTION vgm_validate_table(regclass, regclass, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8) IS
    'the checks of vgm_validate for every modelled column of a table from one scan, in layout order';
-- END tables

-------------------------------------------------------------------------------
-- vgm_joint_model: a fitted mixture over several columns, full
-- covariances; its rows are float8[] of d numbers.  src/joint_model*.c,
-- src/joint_functions.c, src/joint_marginal.c.
-------------------------------------------------------------------------------
-- (the type and its I/O functions: "the stored types" at the top)
COMMENT ON TYPE vgm_joint_model IS
    'fitted variational Gaussian mixture over several columns (full covariances); text form is JSON';

CREATE CAST (vgm_joint_model AS jsonb) WITH INOUT;
CREATE CAST (vgm_joint_model AS json) WITH INOUT;
CREATE CAST (jsonb AS vgm_joint_model) WITH INOUT;
CREATE CAST (json AS vgm_joint_model) WITH INOUT;

-- accessors
CREATE FUNCTION vgm_n_components(vgm_joint_model) RETURNS int
    AS 'MODULE_PATHNAME', 'vgm_joint_model_n_components' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_n_components(vgm_joint_model) IS
    'number of posterior components k of a joint model';
CREATE FUNCTION vgm_dims(vgm_joint_model) RETURNS int
    AS 'MODULE_PATHNAME', 'vgm_joint_model_dims' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_dims(vgm_joint_model) IS
    'number of columns d of the rows a joint model describes';
CREATE FUNCTION vgm_weights(vgm_joint_model) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'vgm_joint_model_weights' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_weights(vgm_joint_model) IS
    'mixture weights of a joint model, in posterior order';
CREATE FUNCTION vgm_means(vgm_joint_model) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'vgm_joint_model_means' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_means(vgm_joint_model) IS
    'component mean vectors of a joint model: a k x d float8[][]';
CREATE FUNCTION vgm_covariances(vgm_joint_model) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'vgm_joint_model_covariances' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_covariances(vgm_joint_model) IS
    'component covariance matrices of a joint model (scikit-learn''s covariances_): a k x d x d float8[][][]';
CREATE FUNCTION vgm_diagnostics(vgm_joint_model,
    OUT dims int, OUT n_components int, OUT n_valid int, OUT rows bigint, OUT skipped_rows bigint,
    OUT total_weight float8, OUT points bigint, OUT iterations int, OUT converged boolean,
    OUT lower_bound float8, OUT lower_bound_per_weight float8, OUT fit_ms float8)
    RETURNS record
    AS 'MODULE_PATHNAME', 'vgm_joint_model_diagnostics' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_diagnostics(vgm_joint_model) IS
    'fit diagnostics of a joint model: dims, components, rows, skipped rows, weight, points, iterations, convergence, lower bound, time';

-- a joint model of a mixture written by hand (src/joint_model_make.c states the assumptions)
CREATE FUNCTION vgm_joint_model_from_mixture(weights float8[], means float8[], covariances float8[],
    rows bigint DEFAULT 1000000, weight_threshold float8 DEFAULT 0.005)
    RETURNS vgm_joint_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_joint_model_from_mixture(float8[], float8[], float8[], bigint, float8) IS
    'a vgm_joint_model of a mixture given by weights (k), means (k x d) and covariances (k x d x d), its posterior filled as a fit to rows rows would leave it';

-- row functions: x is a float8[] of d finite numbers
CREATE FUNCTION vgm_log_density(model vgm_joint_model, x float8[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'vgm_joint_log_density' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_log_density(vgm_joint_model, float8[]) IS
    'log density of the plug-in mixture (weights_, means_, covariances_) at the row x: an anomaly score';
CREATE FUNCTION vgm_score(model vgm_joint_model, x float8[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'vgm_joint_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_score(vgm_joint_model, float8[]) IS
    'scikit-learn score_samples: logsumexp of the weighted variational log probabilities of the row x';
CREATE FUNCTION vgm_predict(model vgm_joint_model, x float8[]) RETURNS int
    AS 'MODULE_PATHNAME', 'vgm_joint_predict' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_predict(vgm_joint_model, float8[]) IS
    'scikit-learn predict: posterior index (0 .. k-1) of the most probable component of the row x';
CREATE FUNCTION vgm_predict_proba(model vgm_joint_model, x float8[]) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'vgm_joint_predict_proba' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_predict_proba(vgm_joint_model, float8[]) IS
    'scikit-learn predict_proba: k probabilities of the row x in posterior order';
CREATE FUNCTION vgm_sample(model vgm_joint_model, n bigint, seed bigint) RETURNS SETOF float8[]
    AS 'MODULE_PATHNAME', 'vgm_joint_sample' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    ROWS 1000;
COMMENT ON FUNCTION vgm_sample(vgm_joint_model, bigint, bigint) IS
    'n deterministic correlated rows (float8[]) drawn from the plug-in mixture for a seed';
CREATE FUNCTION vgm_marginal(model vgm_joint_model, "column" int) RETURNS vgm_model
    AS 'MODULE_PATHNAME', 'vgm_joint_marginal' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_marginal(vgm_joint_model, int) IS
    'the one-dimensional vgm_model of column 1 .. d of a joint model (exact plug-in marginal; src/joint_marginal.c)';
-- END vgm_joint_model

-------------------------------------------------------------------------------
-- equality, order and hashing of the stored types (src/equality.c): equal
-- means the same stored bytes; the order is that of the bytes, arbitrary but
-- total, so DISTINCT, GROUP BY, UNION, IN and joins work by hash or by sort.
-- Every stored type gets the same set, named after it (vgm_model_eq ..
-- vgm_model_hash_extended, the operators = <> < <= > >=, the operator
-- classes vgm_model_ops and vgm_model_hash_ops): one definition, run for each
-- type in the list.
-------------------------------------------------------------------------------
DO $vgm$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['vgm_model', 'vgm_summary', 'vgm_ks_state', 'vgm_joint_model'] LOOP
        EXECUTE format($def$
CREATE FUNCTION %1$s_eq(%1$s, %1$s) RETURNS bool
    AS 'MODULE_PATHNAME', 'vgm_stored_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_ne(%1$s, %1$s) RETURNS bool
    AS 'MODULE_PATHNAME', 'vgm_stored_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_lt(%1$s, %1$s) RETURNS bool
    AS 'MODULE_PATHNAME', 'vgm_stored_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_le(%1$s, %1$s) RETURNS bool
    AS 'MODULE_PATHNAME', 'vgm_stored_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_gt(%1$s, %1$s) RETURNS bool
    AS 'MODULE_PATHNAME', 'vgm_stored_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_ge(%1$s, %1$s) RETURNS bool
    AS 'MODULE_PATHNAME', 'vgm_stored_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_cmp(%1$s, %1$s) RETURNS int
    AS 'MODULE_PATHNAME', 'vgm_stored_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_hash(%1$s) RETURNS int
    AS 'MODULE_PATHNAME', 'vgm_stored_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_hash_extended(%1$s, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'vgm_stored_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OPERATOR = (LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_eq,
    COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR <> (LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_ne,
    COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR < (LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_lt,
    COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR <= (LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_le,
    COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR > (LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_gt,
    COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR >= (LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_ge,
    COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);
CREATE OPERATOR CLASS %1$s_ops DEFAULT FOR TYPE %1$s USING btree AS
    OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
    FUNCTION 1 %1$s_cmp(%1$s, %1$s);
CREATE OPERATOR CLASS %1$s_hash_ops DEFAULT FOR TYPE %1$s USING hash AS
    OPERATOR 1 =,
    FUNCTION 1 %1$s_hash(%1$s),
    FUNCTION 2 %1$s_hash_extended(%1$s, bigint);
COMMENT ON OPERATOR = (%1$s, %1$s) IS 'equal: the same stored value, byte for byte';
COMMENT ON FUNCTION %1$s_eq(%1$s, %1$s) IS 'equal stored values (operator =)';
COMMENT ON FUNCTION %1$s_ne(%1$s, %1$s) IS 'different stored values (operator <>)';
COMMENT ON FUNCTION %1$s_lt(%1$s, %1$s) IS 'byte order of the stored values: less (operator <)';
COMMENT ON FUNCTION %1$s_le(%1$s, %1$s) IS 'byte order: less or equal (operator <=)';
COMMENT ON FUNCTION %1$s_gt(%1$s, %1$s) IS 'byte order: greater (operator >)';
COMMENT ON FUNCTION %1$s_ge(%1$s, %1$s) IS 'byte order: greater or equal (operator >=)';
COMMENT ON FUNCTION %1$s_cmp(%1$s, %1$s) IS 'btree support: byte order of the stored values';
COMMENT ON FUNCTION %1$s_hash(%1$s) IS 'hash support: a hash of the stored bytes';
COMMENT ON FUNCTION %1$s_hash_extended(%1$s, bigint) IS 'hash support with a seed: a hash of the stored bytes';
$def$, t);
    END LOOP;
END
$vgm$;

-- BEGIN joint_summary
-------------------------------------------------------------------------------
-- vgm_joint_summary: a mergeable one-pass summary of rows of up to 16 columns
-------------------------------------------------------------------------------
-- (the type and its I/O functions: "the stored types" at the top)
COMMENT ON TYPE vgm_joint_summary IS
    'mergeable one-pass summary of rows of up to 16 columns (cells with weight, mean and scatter); text form is JSON';
CREATE CAST (vgm_joint_summary AS jsonb) WITH INOUT;
CREATE CAST (jsonb AS vgm_joint_summary) WITH INOUT;

CREATE FUNCTION vgm_joint_summarize_sfunc(vgm_joint_summary, float8[]) RETURNS vgm_joint_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_joint_summarize_sfunc(vgm_joint_summary, float8[]) IS
    'transition function of aggregates vgm_joint_summarize(float8[]) and vgm_joint_fit(float8[])';
CREATE FUNCTION vgm_joint_summary_combine(vgm_joint_summary, vgm_joint_summary) RETURNS vgm_joint_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_joint_summary_combine(vgm_joint_summary, vgm_joint_summary) IS
    'combine function of the joint summary aggregates, transition of vgm_rollup(vgm_joint_summary): merges two summaries';

-- SSPACE: a state grows from under 1 kB to 4,096 cells of 8 (2d + 1 +
-- d(d+1)/2) bytes plus their index; 1 MB is a state of d = 4 at the cap
-- with room to export it.  Hash aggregation counts the real memory and
-- spills (see model_cache.h).
CREATE AGGREGATE vgm_joint_summarize(float8[]) (
    SFUNC = vgm_joint_summarize_sfunc,
    STYPE = vgm_joint_summary,
    SSPACE = 1048576,
    COMBINEFUNC = vgm_joint_summary_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_joint_summarize(float8[]) IS
    'one-pass mergeable summary of rows of up to 16 columns (ARRAY[a, b, ...])';

CREATE AGGREGATE vgm_rollup(vgm_joint_summary) (
    SFUNC = vgm_joint_summary_combine,
    STYPE = vgm_joint_summary,
    SSPACE = 1048576,
    COMBINEFUNC = vgm_joint_summary_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_rollup(vgm_joint_summary) IS 'merge stored joint summaries (partitions, days, shards)';

CREATE FUNCTION vgm_joint_summary_info(vgm_joint_summary,
    OUT rows bigint, OUT skipped_rows bigint, OUT columns int, OUT cells int,
    OUT shift int, OUT relative_width float8, OUT bytes bigint, OUT exact_columns int[])
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_joint_summary_info(vgm_joint_summary) IS
    'what a joint summary holds: rows, skipped rows, columns, cells, resolution (shift, relative bucket width per column), size in bytes, the exact columns (at most 32 distinct values, kept 12 bits finer)';
CREATE FUNCTION vgm_joint_summary_moments(vgm_joint_summary,
    OUT rows bigint, OUT mean float8[], OUT covariance float8[])
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_joint_summary_moments(vgm_joint_summary) IS
    'exact mean vector and covariance matrix (divisor rows, as covar_pop) of the rows a joint summary holds';
-- the joint fit: a vgm_joint_model from a summary, with options; the
-- support function checks constant options while the query is planned
CREATE FUNCTION vgm_joint_fit_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_joint_fit_support(internal) IS
    'planner support function of vgm_joint_fit(vgm_joint_summary, ...): checks constant options while the query is planned';
CREATE FUNCTION vgm_joint_fit(summary vgm_joint_summary,
    max_components int DEFAULT 10,
    weight_concentration_prior float8 DEFAULT 0.001,
    weight_threshold float8 DEFAULT 0.005,
    max_iter int DEFAULT 20000,
    tol float8 DEFAULT 1e-8,
    seed bigint DEFAULT 42,
    n_init int DEFAULT 5,
    reg_covar float8 DEFAULT 1e-6)
    RETURNS vgm_joint_model
    AS 'MODULE_PATHNAME', 'vgm_joint_fit_summary' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
    SUPPORT vgm_joint_fit_support;
COMMENT ON FUNCTION vgm_joint_fit(vgm_joint_summary, int, float8, float8, int, float8, bigint, int, float8) IS
    'fit a full-covariance mixture to a joint summary with options (max_components, weight_concentration_prior, weight_threshold, max_iter, tol, seed, n_init, reg_covar)';

CREATE FUNCTION vgm_joint_fit_final(vgm_joint_summary) RETURNS vgm_joint_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_joint_fit_final(vgm_joint_summary) IS
    'final function of aggregate vgm_joint_fit(float8[]): fits the summary with the defaults';
CREATE AGGREGATE vgm_joint_fit(float8[]) (
    SFUNC = vgm_joint_summarize_sfunc,
    STYPE = vgm_joint_summary,
    SSPACE = 1048576,
    FINALFUNC = vgm_joint_fit_final,
    COMBINEFUNC = vgm_joint_summary_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_joint_fit(float8[]) IS
    'fit a full-covariance mixture over the columns of ARRAY[a, b, ...] in one step, with the defaults';
CREATE FUNCTION vgm_joint_summarize_k_sfunc(vgm_joint_summary, float8[], int) RETURNS vgm_joint_summary
    AS 'MODULE_PATHNAME', 'vgm_joint_summarize_sfunc' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_joint_summarize_k_sfunc(vgm_joint_summary, float8[], int) IS
    'transition function of aggregate vgm_joint_fit(float8[], int)';
CREATE FUNCTION vgm_joint_fit_final(vgm_joint_summary, float8[], int) RETURNS vgm_joint_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION vgm_joint_fit_final(vgm_joint_summary, float8[], int) IS
    'final function of aggregate vgm_joint_fit(float8[], int): fits the summary with max_components from the last argument';
-- No combine function, as vgm_fit(float8, int): a combining aggregate sees
-- only the partial states, not the constant k.  Parallel and distributed
-- plans use vgm_joint_fit(vgm_joint_summarize(row), max_components => k).
CREATE AGGREGATE vgm_joint_fit(float8[], int) (
    SFUNC = vgm_joint_summarize_k_sfunc,
    STYPE = vgm_joint_summary,
    SSPACE = 1048576,
    FINALFUNC = vgm_joint_fit_final,
    FINALFUNC_EXTRA,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_joint_fit(float8[], int) IS
    'fit a full-covariance mixture in one step with a constant number of components (serial; see vgm_joint_fit(vgm_joint_summary, ...) for parallel plans)';
-- END joint_summary
