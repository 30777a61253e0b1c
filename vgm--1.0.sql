-- vgm 1.0: variational Bayesian Gaussian mixtures for mode-specific normalization.
\echo Use "CREATE EXTENSION vgm" to load this file. \quit

-------------------------------------------------------------------------------
-- vgm_model: a fitted mixture (full variational posterior, priors, diagnostics)
-------------------------------------------------------------------------------
CREATE TYPE vgm_model;

CREATE FUNCTION vgm_model_in(cstring) RETURNS vgm_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION vgm_model_out(vgm_model) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION vgm_model_recv(internal) RETURNS vgm_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION vgm_model_send(vgm_model) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE vgm_model (
    INPUT = vgm_model_in,
    OUTPUT = vgm_model_out,
    RECEIVE = vgm_model_recv,
    SEND = vgm_model_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE vgm_model IS 'fitted variational Gaussian mixture; text form is JSON';

-- the text form is JSON, so the cast goes through text I/O
CREATE CAST (vgm_model AS jsonb) WITH INOUT;
CREATE CAST (vgm_model AS json) WITH INOUT;

-- accessors
CREATE FUNCTION vgm_n_components(vgm_model) RETURNS int
    AS 'MODULE_PATHNAME', 'vgm_model_n_components' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION vgm_weights(vgm_model) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'vgm_model_weights' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION vgm_means(vgm_model) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'vgm_model_means' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION vgm_stddevs(vgm_model) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'vgm_model_stddevs' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION vgm_valid_components(vgm_model) RETURNS int[]
    AS 'MODULE_PATHNAME', 'vgm_model_valid_components' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION vgm_components(vgm_model,
    OUT component int, OUT index int, OUT weight float8, OUT mean float8,
    OUT stddev float8, OUT valid boolean)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'vgm_model_components' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    ROWS 10;
CREATE FUNCTION vgm_diagnostics(vgm_model,
    OUT n_components int, OUT n_valid int, OUT rows bigint, OUT total_weight float8,
    OUT points bigint, OUT iterations int, OUT converged boolean,
    OUT lower_bound float8, OUT lower_bound_per_weight float8, OUT fit_ms float8,
    OUT min float8, OUT max float8, OUT nulls bigint, OUT nans bigint, OUT infinities bigint)
    RETURNS record
    AS 'MODULE_PATHNAME', 'vgm_model_diagnostics' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-------------------------------------------------------------------------------
-- fitting an array (the aggregates build on the same engine)
-------------------------------------------------------------------------------
CREATE FUNCTION vgm_fit(data float8[],
    max_components int DEFAULT 10,
    weight_concentration_prior float8 DEFAULT 0.001,
    weight_threshold float8 DEFAULT 0.005,
    max_iter int DEFAULT 1000,
    tol float8 DEFAULT 1e-8,
    seed bigint DEFAULT 42,
    init vgm_model DEFAULT NULL)
    RETURNS vgm_model
    AS 'MODULE_PATHNAME', 'vgm_fit_array' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

-- BEGIN summary
-------------------------------------------------------------------------------
-- vgm_summary: a mergeable one-pass summary of a column
-------------------------------------------------------------------------------
CREATE TYPE vgm_summary;

CREATE FUNCTION vgm_summary_in(cstring) RETURNS vgm_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION vgm_summary_out(vgm_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION vgm_summary_recv(internal) RETURNS vgm_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION vgm_summary_send(vgm_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE vgm_summary (
    INPUT = vgm_summary_in,
    OUTPUT = vgm_summary_out,
    RECEIVE = vgm_summary_recv,
    SEND = vgm_summary_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE vgm_summary IS 'mergeable one-pass column summary (buckets with exact moments); text form is JSON';
CREATE CAST (vgm_summary AS jsonb) WITH INOUT;

-- aggregate support (transition functions are not meant to be called directly)
CREATE FUNCTION vgm_summarize_sfunc(vgm_summary, float8) RETURNS vgm_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION vgm_summarize_weighted_sfunc(vgm_summary, float8, float8) RETURNS vgm_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION vgm_rollup_sfunc(vgm_summary, vgm_summary) RETURNS vgm_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION vgm_summary_combine(vgm_summary, vgm_summary) RETURNS vgm_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION vgm_fit_final(vgm_summary) RETURNS vgm_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION vgm_fit_final(vgm_summary, float8, int) RETURNS vgm_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE vgm_summarize(float8) (
    SFUNC = vgm_summarize_sfunc,
    STYPE = vgm_summary,
    COMBINEFUNC = vgm_summary_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_summarize(float8) IS 'one-pass mergeable summary of a column';

CREATE AGGREGATE vgm_summarize(float8, float8) (
    SFUNC = vgm_summarize_weighted_sfunc,
    STYPE = vgm_summary,
    COMBINEFUNC = vgm_summary_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_summarize(float8, float8) IS 'one-pass mergeable summary of weighted rows (value, weight)';

CREATE AGGREGATE vgm_rollup(vgm_summary) (
    SFUNC = vgm_rollup_sfunc,
    STYPE = vgm_summary,
    COMBINEFUNC = vgm_summary_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_rollup(vgm_summary) IS 'merge stored summaries (partitions, days, shards)';

CREATE AGGREGATE vgm_fit(float8) (
    SFUNC = vgm_summarize_sfunc,
    STYPE = vgm_summary,
    COMBINEFUNC = vgm_summary_combine,
    FINALFUNC = vgm_fit_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_fit(float8) IS 'fit a mixture in one step with the CTGAN/RDT defaults';

CREATE FUNCTION vgm_summarize_k_sfunc(vgm_summary, float8, int) RETURNS vgm_summary
    AS 'MODULE_PATHNAME', 'vgm_summarize_sfunc' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE AGGREGATE vgm_fit(float8, int) (
    SFUNC = vgm_summarize_k_sfunc,
    STYPE = vgm_summary,
    COMBINEFUNC = vgm_summary_combine,
    FINALFUNC = vgm_fit_final,
    FINALFUNC_EXTRA,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE vgm_fit(float8, int) IS 'fit a mixture in one step with a constant number of components';

CREATE FUNCTION vgm_fit(summary vgm_summary,
    max_components int DEFAULT 10,
    weight_concentration_prior float8 DEFAULT 0.001,
    weight_threshold float8 DEFAULT 0.005,
    max_iter int DEFAULT 1000,
    tol float8 DEFAULT 1e-8,
    seed bigint DEFAULT 42,
    init vgm_model DEFAULT NULL)
    RETURNS vgm_model
    AS 'MODULE_PATHNAME', 'vgm_fit_summary' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

CREATE FUNCTION vgm_summary_info(vgm_summary,
    OUT rows bigint, OUT total_weight float8, OUT buckets bigint, OUT relative_width float8,
    OUT nulls bigint, OUT nans bigint, OUT pos_infs bigint, OUT neg_infs bigint,
    OUT min float8, OUT max float8, OUT bytes bigint)
    RETURNS record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION vgm_summary_buckets(vgm_summary,
    OUT key bigint, OUT weight float8, OUT mean float8, OUT stddev float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- END summary
