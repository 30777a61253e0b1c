/*
 * validate.c - validation in SQL: moments of data and of a model, one- and
 *              two-sample Kolmogorov-Smirnov tests against the plug-in
 *              mixture, and the bounds a model was trained on.
 *
 * Everything is a one-pass, mergeable aggregate, so that it scales like the
 * fit (parallel workers, partitions, Citus shards):
 *
 *   vgm_moments(x)        running central moments (Welford's recurrence to
 *                         order 4, a two-double mean) in a float8[] state.
 *   vgm_ks(model, x)      x -> u = F(x) through the model's CDF (probability
 *   vgm_ks_state(...)     integral transform) into a fixed histogram of
 *                         2^16 bins over [0, 1]: a concrete varlena type,
 *                         updated in place, merged by adding counts.
 *   vgm_bounds(model, x)  counts of values outside the training range and
 *                         of values whose alpha would be clipped, in an
 *                         int8[] state (the pattern of float8_accum).
 *
 * The model is a per-call constant: its derived constants live in fn_extra
 * and a state remembers a hash of the model it was built with, so mixing
 * models within one group or across merged states is an error.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "nodes/primnodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "codec_errcode.h"
#include "model.h"
#include "summary.h"
#include "transform_cache.h"
#include "validate_core.h"

PG_FUNCTION_INFO_V1(vgm_moments_summary);
PG_FUNCTION_INFO_V1(vgm_moments_sfunc);
PG_FUNCTION_INFO_V1(vgm_moments_combine);
PG_FUNCTION_INFO_V1(vgm_moments_final);
PG_FUNCTION_INFO_V1(vgm_model_moments);
PG_FUNCTION_INFO_V1(vgm_ks_state_in);
PG_FUNCTION_INFO_V1(vgm_ks_state_out);
PG_FUNCTION_INFO_V1(vgm_ks_state_recv);
PG_FUNCTION_INFO_V1(vgm_ks_state_send);
PG_FUNCTION_INFO_V1(vgm_ks_sfunc);
PG_FUNCTION_INFO_V1(vgm_ks_combine);
PG_FUNCTION_INFO_V1(vgm_ks_final);
PG_FUNCTION_INFO_V1(vgm_ks_2samp);
PG_FUNCTION_INFO_V1(vgm_ks_info);
PG_FUNCTION_INFO_V1(vgm_ks_effects_sql);
PG_FUNCTION_INFO_V1(vgm_bounds_sfunc);
PG_FUNCTION_INFO_V1(vgm_bounds_combine);
PG_FUNCTION_INFO_V1(vgm_bounds_final);
PG_FUNCTION_INFO_V1(vgm_kstwo_sf_sql);
PG_FUNCTION_INFO_V1(vgm_kstwobign_sf_sql);
PG_FUNCTION_INFO_V1(vgm_ks_2samp_sf_sql);

#define MSG_LEN 256

/* ---------------------------------------------------------------------- */
/* per-call-site model cache                                               */
/* ---------------------------------------------------------------------- */

/* What the validation aggregates derive from a model, kept in fn_extra. */
typedef struct ValidateModel
{
	/* identity of the model datum this was built from */
	Pointer		raw_ptr;		/* datum pointer of the last call (not owned) */
	Size		raw_len;		/* bytes in raw; 0: nothing cached */
	char	   *raw;			/* copy of the packed bytes */
	Size		raw_cap;
	bool		arg_is_const;	/* the model argument is a Const of the plan */

	int			k;
	uint64		cdf_hash;		/* identity of the plug-in mixture (KS states) */
	uint64		bounds_hash;	/* identity of range and valid components (bounds) */
	VgmCdfMixture mix;			/* components with positive weight */
	VgmCdfTable table;			/* the mixture CDF tabulated; n = 0: use mix */

	/* valid components (weight > weight_threshold), posterior order */
	int			n_valid;
	double	   *v_mean;
	double	   *v_four_std;
	double	   *v_log_const;
	double	   *v_half_prec;
	double		min;			/* training range */
	double		max;
	double	   *mem;			/* the one block the arrays above point into */
} ValidateModel;

/* Is the aggregate's (or function's) argument argno a Const of the plan? */
static bool
model_arg_is_const(FunctionCallInfo fcinfo, int aggargno, int argno)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	Node	   *expr = NULL;

	if (aggref != NULL)
	{
		if (aggargno < list_length(aggref->args))
			expr = (Node *) ((TargetEntry *) list_nth(aggref->args, aggargno))->expr;
	}
	else if (fcinfo->flinfo->fn_expr && IsA(fcinfo->flinfo->fn_expr, FuncExpr))
	{
		List	   *args = ((FuncExpr *) fcinfo->flinfo->fn_expr)->args;

		if (argno < list_length(args))
			expr = list_nth(args, argno);
	}
	return expr != NULL && IsA(expr, Const);
}

/*
 * The plug-in mixture of a model as the KS functions use it, positive
 * weights only, into mix (whose arrays hold k entries); returns the hash of
 * the whole mixture, the identity a KS state records.
 */
static uint64
model_plugin_mixture(const VgmModel *model, VgmCdfMixture *mix)
{
	int			k = model->hdr.k;
	const double *w = VgmModelWeights(model);
	double		means[VGM_MAX_COMPONENTS];
	double		covs[VGM_MAX_COMPONENTS];
	int			j;

	mix->k = 0;
	for (j = 0; j < k; j++)
	{
		means[j] = model->comp[j].mean;
		covs[j] = model->comp[j].covariance;
		if (w[j] > 0.0)
		{
			mix->mean[mix->k] = means[j];
			mix->inv_std[mix->k] = 1.0 / sqrt(covs[j]);
			mix->weight[mix->k] = w[j];
			mix->k++;
		}
	}
	return vgm_mixture_hash(k, w, means, covs);
}

/* Derive the cached constants from a detoasted model. */
static void
model_rebuild(ValidateModel *c, MemoryContext mcxt, const VgmModel *model)
{
	int			k = model->hdr.k;
	const double *w = VgmModelWeights(model);
	double		log_const[VGM_MAX_COMPONENTS];
	double		prec[VGM_MAX_COMPONENTS];
	double		extra[3];
	double	   *d;
	uint64		h;
	int			j;

	vgm_model_check_layout(model);
	/* invalidate first: an error below must not leave a half-built cache */
	c->raw_len = 0;
	c->raw_ptr = NULL;
	if (c->mem)
		pfree(c->mem);
	d = c->mem = MemoryContextAllocZero(mcxt, sizeof(double) * k * 7);
	c->mix.mean = d;
	c->mix.inv_std = (d += k);
	c->mix.weight = (d += k);
	c->v_mean = (d += k);
	c->v_four_std = (d += k);
	c->v_log_const = (d += k);
	c->v_half_prec = (d += k);
	c->k = k;
	c->n_valid = 0;

	vgm_phi_table_init();
	c->cdf_hash = model_plugin_mixture(model, &c->mix);
	/* the same variational constants as vgm_component (transform_cache.c) */
	vgm_log_prob_constants(k, model->comp, log_const, prec);
	for (j = 0; j < k; j++)
	{
		if (w[j] > model->hdr.weight_threshold)
		{
			c->v_mean[c->n_valid] = model->comp[j].mean;
			c->v_four_std[c->n_valid] = VGM_STD_MULTIPLIER * sqrt(model->comp[j].covariance);
			c->v_log_const[c->n_valid] = log_const[j];
			c->v_half_prec[c->n_valid] = 0.5 * prec[j];
			c->n_valid++;
		}
	}
	/* one table lookup per row instead of one evaluation per component */
	if (c->table.c)
		pfree(c->table.c);
	c->table.c = NULL;
	c->table.n = vgm_cdf_table_plan(&c->mix, VGM_CDF_TABLE_MAX_NODES, &c->table.lo, &c->table.h);
	if (c->table.n > 0)
	{
		c->table.c = MemoryContextAlloc(mcxt, sizeof(double) * 6 * c->table.n);
		vgm_cdf_table_fill(&c->mix, &c->table);
	}
	c->min = model->hdr.min;
	c->max = model->hdr.max;
	/* bounds depend on the range and on the valid components' E-step constants */
	extra[0] = c->min;
	extra[1] = c->max;
	extra[2] = (double) c->n_valid;
	h = vgm_hash_doubles(c->cdf_hash, extra, 3);
	h = vgm_hash_doubles(h, c->v_mean, c->n_valid);
	h = vgm_hash_doubles(h, c->v_four_std, c->n_valid);
	h = vgm_hash_doubles(h, c->v_log_const, c->n_valid);
	h = vgm_hash_doubles(h, c->v_half_prec, c->n_valid);
	c->bounds_hash = h ? h : 1;
}

/* Remember the bytes that identify the model for the next call. */
static void
model_remember(ValidateModel *c, MemoryContext mcxt, const void *bytes, Size len)
{
	if (c->raw_cap < len)
	{
		if (c->raw)
			pfree(c->raw);
		c->raw = MemoryContextAlloc(mcxt, len);
		c->raw_cap = len;
	}
	memcpy(c->raw, bytes, len);
	c->raw_len = len;
}

/*
 * Slow path of model_cache_get: compare the packed bytes (an inline or
 * compressed value by its bytes, an on-disk TOAST pointer by the pointer,
 * an in-memory expanded or indirect value by its content) and rebuild only
 * when they differ.  A per-tuple context hands out the same address for a
 * different model on the next row, so an address alone proves nothing
 * unless the argument is a Const.
 */
static pg_noinline ValidateModel *
model_cache_lookup(FunctionCallInfo fcinfo, int argno, int aggargno)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;
	ValidateModel *c = (ValidateModel *) flinfo->fn_extra;
	Datum		datum = PG_GETARG_DATUM(argno);
	Pointer		ptr = DatumGetPointer(datum);
	VgmModel   *model;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(ValidateModel));
		c->arg_is_const = model_arg_is_const(fcinfo, aggargno, argno);
		flinfo->fn_extra = c;
	}
	if (!VARATT_IS_EXTERNAL(ptr) || VARATT_IS_EXTERNAL_ONDISK(ptr))
	{
		Size		len = VARSIZE_ANY(ptr);

		if (c->raw_len == len && memcmp(c->raw, ptr, len) == 0)
		{
			c->raw_ptr = ptr;
			return c;
		}
		model = DatumGetVgmModelP(datum);
		model_rebuild(c, flinfo->fn_mcxt, model);
		model_remember(c, flinfo->fn_mcxt, ptr, len);
		c->raw_ptr = ptr;
	}
	else
	{
		model = DatumGetVgmModelP(datum);
		if (!(c->raw_len == VARSIZE(model) && memcmp(c->raw, model, VARSIZE(model)) == 0))
		{
			model_rebuild(c, flinfo->fn_mcxt, model);
			model_remember(c, flinfo->fn_mcxt, model, VARSIZE(model));
		}
		c->raw_ptr = NULL;
	}
	if ((Pointer) model != ptr)
		pfree(model);
	return c;
}

/* The derived model of argument argno; a Const at the same address is the same model. */
static inline ValidateModel *
model_cache_get(FunctionCallInfo fcinfo, int argno, int aggargno)
{
	ValidateModel *c = (ValidateModel *) fcinfo->flinfo->fn_extra;

	if (likely(c != NULL && c->arg_is_const && c->raw_len != 0
			   && c->raw_ptr == DatumGetPointer(PG_GETARG_DATUM(argno))))
		return c;
	return model_cache_lookup(fcinfo, argno, aggargno);
}

/*
 * The name of the aggregate being computed, for messages: several
 * aggregates share a support function (vgm_ks and vgm_ks_state, and any a
 * user builds on ours), and a message names the one the user called.  A
 * catalog lookup, so only on the way to an error.
 */
static const char *
agg_name(FunctionCallInfo fcinfo, const char *fallback)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	char	   *name = aggref ? get_func_name(aggref->aggfnoid) : NULL;

	return name ? name : fallback;
}

/* Error for a NULL model argument. */
static pg_noinline void
null_model_error(const char *fname)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("%s model must not be null", fname),
			 errdetail("Every row is compared with the model; pass a vgm_model.")));
}

/* Error for a support function called outside an aggregate. */
static pg_noinline void
not_aggregate_error(const char *fname)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s called in non-aggregate context", fname),
			 errdetail("This function is the transition function of an aggregate.")));
}

/* Error for a count of a state that would pass 2^63 - 1; what names the state. */
static pg_noinline void
count_overflow_error(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s count out of range", what),
			 errdetail("A count would exceed the largest 64-bit integer, 9223372036854775807.")));
}

/* Error for two models where one is required; what names the two sides. */
static pg_noinline void
model_mismatch_error(const char *message, const char *what, uint64 a, uint64 b)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", message),
			 errdetail("%s have model hashes %016" INT64_MODIFIER "x and %016" INT64_MODIFIER "x.",
					   what, a, b),
			 errhint("Use one model for every row of a group and for every merged state.")));
}

/* Form a row of a composite result; NaN doubles become NULL. */
static Datum
form_result(FunctionCallInfo fcinfo, Datum *values, bool *nulls)
{
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/* A float8 result column: NULL for NaN (undefined moments, empty input). */
static inline void
set_float(Datum *values, bool *nulls, int i, double v)
{
	values[i] = Float8GetDatum(v);
	nulls[i] = isnan(v);
}

/* ---------------------------------------------------------------------- */
/* moments                                                                 */
/* ---------------------------------------------------------------------- */

static Datum moments_result(FunctionCallInfo fcinfo, double n, double sample_size,
							int64 rows, double mean, double m2, double m3, double m4,
							double min, double max, int64 nulls_count, int64 nans,
							int64 pos_infs, int64 neg_infs);

/*
 * Error for finite data whose mean or second central sum overflows float8,
 * raised by both vgm_moments(x) and vgm_moments(summary): they compute
 * differently, and the same data must give the same outcome on both.
 */
static pg_noinline void
moments_overflow_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("vgm_moments value out of range: overflow"),
			 errdetail("The mean or the sum of squared deviations exceeds the float8 range; "
					   "compute the moments of a rescaled column instead.")));
}

/* vgm_moments(vgm_summary): exact merged moments and counts with SciPy's conventions. */
Datum
vgm_moments_summary(PG_FUNCTION_ARGS)
{
	VgmSummaryView v;
	VgmMoments	m;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	vgm_summary_get_view(PG_GETARG_DATUM(0), &v);
	vgm_buckets_moments(v.buckets, v.n, &m);
	if (unlikely(!isfinite(m.mean) || !isfinite(m.m2)))
		moments_overflow_error();
	/* weights are relative (weights_core.h): the rows, not the weights, are the sample */
	PG_RETURN_DATUM(moments_result(fcinfo, m.weight, (double) v.counts.rows, v.counts.rows,
								   m.mean, m.m2, m.m3, m.m4,
								   v.counts.min, v.counts.max, v.counts.nulls, v.counts.nans,
								   v.counts.pos_infs, v.counts.neg_infs));
}

/*
 * The float8[] state of vgm_moments(x): running moments (validate_core.h)
 * with extremes and counts.  A float8 array is an ordinary SQL type, so the
 * state moves between Citus nodes as text, exactly (shortest round-trip
 * float8 output); it is checked wherever it may have come from outside.
 */
enum
{
	M_VERSION,
	M_N,
	M_MEAN,
	M_MEAN_LO,
	M_M2,
	M_M3,
	M_M4,
	M_MIN,
	M_MAX,
	M_NULLS,
	M_NANS,
	M_POS_INFS,
	M_NEG_INFS,
	M_LEN
};
#define VGM_MOMENTS_VERSION 1
#define MAX_EXACT_COUNT 9007199254740992.0	/* 2^53: counts stay exact */

/* Raise the error for an invalid vgm_moments state. */
static void
moments_state_error(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid vgm_moments state"),
			 errdetail("%s", detail)));
}

/* The state's values after checking shape, version, counts and moments. */
static double *
moments_values(ArrayType *a)
{
	double	   *v;
	int			i;

	if (ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != M_LEN || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != FLOAT8OID)
		moments_state_error("The state is a one-dimensional float8 array of 13 values without nulls.");
	v = (double *) ARR_DATA_PTR(a);
	if (v[M_VERSION] != VGM_MOMENTS_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("unsupported vgm_moments state version %g", v[M_VERSION]),
				 errdetail("This build reads version %d.", VGM_MOMENTS_VERSION)));
	for (i = M_N; i < M_LEN; i++)
		if (i == M_N || i >= M_NULLS)
		{
			if (!(v[i] >= 0.0 && v[i] <= MAX_EXACT_COUNT && v[i] == floor(v[i])))
				moments_state_error("Counts are whole numbers from 0 to 2^53.");
		}
		else if (!isfinite(v[i]) && i != M_M3 && i != M_M4)
			moments_state_error("The mean, the second central sum and the extremes are finite.");
	if (v[M_N] > 0.0 && (v[M_MIN] > v[M_MAX] || !(v[M_M2] >= 0.0) ||
						 fabs(v[M_MEAN_LO]) > fabs(v[M_MEAN]) * DBL_EPSILON))
		moments_state_error("A non-empty state has min <= max, a non-negative second central sum "
							"and a normalised two-part mean.");
	if (v[M_N] == 0.0 && (v[M_MEAN] != 0.0 || v[M_MEAN_LO] != 0.0 || v[M_M2] != 0.0 ||
						  v[M_M3] != 0.0 || v[M_M4] != 0.0))
		moments_state_error("An empty state has zero moments.");
	return v;
}

/*
 * The array state argument of an aggregate support function (vgm_moments,
 * vgm_bounds): in place when the executor owns it, else as a copy.
 */
static ArrayType *
array_state_arg(FunctionCallInfo fcinfo)
{
	if (AggCheckCallContext(fcinfo, NULL) && !VARATT_IS_EXTENDED(DatumGetPointer(PG_GETARG_DATUM(0))))
		return (ArrayType *) DatumGetPointer(PG_GETARG_DATUM(0));
	return PG_GETARG_ARRAYTYPE_P_COPY(0);
}

/* Error for a count of a vgm_moments state that would pass 2^53. */
static pg_noinline void
moments_count_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("vgm_moments count out of range"),
			 errdetail("Counts would exceed 2^53, where a float8 stops counting exactly.")));
}

/* Running moments out of a (checked) state. */
static void
moments_unpack(const double *v, VgmRunningMoments *r)
{
	r->n = v[M_N];
	r->mean = v[M_MEAN];
	r->mean_lo = v[M_MEAN_LO];
	r->m2 = v[M_M2];
	r->m3 = v[M_M3];
	r->m4 = v[M_M4];
}

/* Running moments back into a state; an overflowing mean or spread is an error. */
static void
moments_pack(const VgmRunningMoments *r, double *v)
{
	if (unlikely(!isfinite(r->mean) || !isfinite(r->mean_lo) || !isfinite(r->m2)))
		moments_overflow_error();
	v[M_N] = r->n;
	v[M_MEAN] = r->mean;
	v[M_MEAN_LO] = r->mean_lo;
	v[M_M2] = r->m2;
	v[M_M3] = r->m3;
	v[M_M4] = r->m4;
}

/* vgm_moments(x) transition: one row into the running moments. */
Datum
vgm_moments_sfunc(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	double	   *v;
	double		x;
	VgmRunningMoments r;

	if (unlikely(!AggCheckCallContext(fcinfo, NULL)))
		not_aggregate_error("vgm_moments_sfunc");
	if (unlikely(PG_ARGISNULL(0)))
		elog(ERROR, "vgm_moments state must not be null");
	a = array_state_arg(fcinfo);
	/* our INITCOND has this shape; an aggregate of someone else's may not */
	if (unlikely(ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != M_LEN || ARR_HASNULL(a) ||
				 ARR_ELEMTYPE(a) != FLOAT8OID))
		moments_values(a);
	v = (double *) ARR_DATA_PTR(a);
	/*
	 * Counts are exact up to 2^53; past it an increment is lost silently.
	 * Only a state that starts there (someone's INITCOND) can reach it.
	 */
	if (PG_ARGISNULL(1))
	{
		if (unlikely(v[M_NULLS] >= MAX_EXACT_COUNT))
			moments_count_error();
		v[M_NULLS]++;
		PG_RETURN_ARRAYTYPE_P(a);
	}
	x = PG_GETARG_FLOAT8(1);
	if (unlikely(!isfinite(x)))
	{
		int			i = isnan(x) ? M_NANS : x > 0 ? M_POS_INFS : M_NEG_INFS;

		if (v[i] >= MAX_EXACT_COUNT)
			moments_count_error();
		v[i]++;
		PG_RETURN_ARRAYTYPE_P(a);
	}
	if (unlikely(v[M_N] >= MAX_EXACT_COUNT))
		moments_count_error();
	if (v[M_N] == 0.0 || x < v[M_MIN])
		v[M_MIN] = x;
	if (v[M_N] == 0.0 || x > v[M_MAX])
		v[M_MAX] = x;
	moments_unpack(v, &r);
	vgm_running_moments_add(&r, x);
	moments_pack(&r, v);
	PG_RETURN_ARRAYTYPE_P(a);
}

/* Combine two vgm_moments states (STRICT; the initial state comes from INITCOND). */
Datum
vgm_moments_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a = array_state_arg(fcinfo);
	double	   *va = moments_values(a);
	double	   *vb = moments_values(PG_GETARG_ARRAYTYPE_P(1));
	VgmRunningMoments ra;
	VgmRunningMoments rb;
	int			i;

	/* counts are whole numbers up to 2^53, so these differences are exact */
	for (i = M_N; i < M_LEN; i++)
		if ((i == M_N || i >= M_NULLS) && vb[i] > MAX_EXACT_COUNT - va[i])
			moments_count_error();
	if (vb[M_N] > 0.0)
	{
		if (va[M_N] == 0.0 || vb[M_MIN] < va[M_MIN])
			va[M_MIN] = vb[M_MIN];
		if (va[M_N] == 0.0 || vb[M_MAX] > va[M_MAX])
			va[M_MAX] = vb[M_MAX];
	}
	moments_unpack(va, &ra);
	moments_unpack(vb, &rb);
	vgm_running_moments_merge(&ra, &rb);
	moments_pack(&ra, va);
	for (i = M_NULLS; i < M_LEN; i++)
		va[i] += vb[i];
	PG_RETURN_ARRAYTYPE_P(a);
}

/*
 * The vgm_moments_result row of running moments, extremes and counts.  n is
 * the total weight; sample_size is the count behind the ddof = 1 variance,
 * which differs from n only for weighted rows.
 */
static Datum
moments_result(FunctionCallInfo fcinfo, double n, double sample_size, int64 rows,
			   double mean, double m2, double m3, double m4, double min, double max,
			   int64 nulls_count, int64 nans, int64 pos_infs, int64 neg_infs)
{
	VgmDataMoments dm;
	Datum		values[14];
	bool		nulls[14];

	vgm_data_moments(n, mean, m2, m3, m4, &dm);
	if (sample_size != n)
	{
		/* the population variance is scale free; only Bessel's factor needs a count */
		dm.variance = sample_size > 1.0 && n > 0.0
			? dm.variance_pop * (sample_size / (sample_size - 1.0)) : NAN;
		dm.stddev = sqrt(dm.variance);
	}
	memset(nulls, 0, sizeof(nulls));
	values[0] = Float8GetDatum(n);
	values[1] = Int64GetDatum(rows);
	set_float(values, nulls, 2, dm.mean);
	set_float(values, nulls, 3, dm.variance);
	set_float(values, nulls, 4, dm.variance_pop);
	set_float(values, nulls, 5, dm.stddev);
	set_float(values, nulls, 6, dm.skewness);
	set_float(values, nulls, 7, dm.kurtosis);
	values[8] = Float8GetDatum(min);
	values[9] = Float8GetDatum(max);
	nulls[8] = nulls[9] = rows == 0;
	values[10] = Int64GetDatum(nulls_count);
	values[11] = Int64GetDatum(nans);
	values[12] = Int64GetDatum(pos_infs);
	values[13] = Int64GetDatum(neg_infs);
	return form_result(fcinfo, values, nulls);
}

/* Final function of vgm_moments(x); NULL for no rows at all, as other aggregates. */
Datum
vgm_moments_final(PG_FUNCTION_ARGS)
{
	double	   *v = moments_values(PG_GETARG_ARRAYTYPE_P(0));

	if (v[M_N] + v[M_NULLS] + v[M_NANS] + v[M_POS_INFS] + v[M_NEG_INFS] == 0.0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(moments_result(fcinfo, v[M_N], v[M_N], (int64) v[M_N], v[M_MEAN] + v[M_MEAN_LO],
								   v[M_M2], v[M_M3], v[M_M4], v[M_MIN], v[M_MAX],
								   (int64) v[M_NULLS], (int64) v[M_NANS],
								   (int64) v[M_POS_INFS], (int64) v[M_NEG_INFS]));
}

/* vgm_model_moments(model): closed-form moments of the plug-in mixture. */
Datum
vgm_model_moments(PG_FUNCTION_ARGS)
{
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);
	int			k = model->hdr.k;
	double		means[VGM_MAX_COMPONENTS];
	double		vars[VGM_MAX_COMPONENTS];
	VgmMixtureMoments mm;
	Datum		values[5];
	bool		nulls[5];
	int			j;

	vgm_model_check_layout(model);
	for (j = 0; j < k; j++)
	{
		means[j] = model->comp[j].mean;
		vars[j] = model->comp[j].covariance;
	}
	if (!vgm_mixture_moments(k, VgmModelWeights(model), means, vars, &mm))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid vgm_model: no component has a positive weight"),
				 errdetail("The weights of a mixture sum to 1.")));
	memset(nulls, 0, sizeof(nulls));
	set_float(values, nulls, 0, mm.mean);
	set_float(values, nulls, 1, mm.variance);
	set_float(values, nulls, 2, mm.stddev);
	set_float(values, nulls, 3, mm.skewness);
	set_float(values, nulls, 4, mm.kurtosis);
	PG_RETURN_DATUM(form_result(fcinfo, values, nulls));
}

/* ---------------------------------------------------------------------- */
/* the vgm_ks_state type                                                   */
/* ---------------------------------------------------------------------- */

/*
 * A fixed-size varlena: header, counts, then one int64 per bin.  2^16 bins
 * bound the binning error of D by 1/2^16 (1.5e-5), below the sampling noise
 * 1.36/sqrt(n) of a 5% test up to n ~ 8e9 rows, while the state (512 KiB)
 * still sits in a core's L2 cache, so a row costs no memory stall.
 */
typedef struct VgmKsState
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int32		version;		/* VGM_KS_FORMAT_VERSION */
	int32		nbins;			/* VGM_KS_BINS */
	int32		unused;			/* keeps the counts 8-byte aligned */
	VgmKsCounts c;
	int64		counts[FLEXIBLE_ARRAY_MEMBER];
} VgmKsState;

#define VGM_KS_STATE_SIZE (offsetof(VgmKsState, counts) + sizeof(int64) * VGM_KS_BINS)

/* A new empty state for a model, in the current memory context. */
static VgmKsState *
ks_state_new(uint64 hash)
{
	VgmKsState *s = palloc0(VGM_KS_STATE_SIZE);

	SET_VARSIZE(s, VGM_KS_STATE_SIZE);
	s->version = VGM_KS_FORMAT_VERSION;
	s->nbins = VGM_KS_BINS;
	s->c.model_hash = hash;
	return s;
}

/* A stored state is validated on input; a wrong size or version means corruption. */
static void
ks_state_check(const VgmKsState *s)
{
	if (VARSIZE(s) != VGM_KS_STATE_SIZE || s->version != VGM_KS_FORMAT_VERSION
		|| s->nbins != VGM_KS_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid vgm_ks_state: unexpected layout"),
				 errdetail("The state has %zu bytes, version %d and %d bins; expected %zu bytes, version %d and %d bins.",
						   (Size) VARSIZE(s), s->version, s->nbins, (Size) VGM_KS_STATE_SIZE,
						   VGM_KS_FORMAT_VERSION, VGM_KS_BINS)));
}

/* Detoast and check a state argument (read only). */
static VgmKsState *
ks_state_arg(FunctionCallInfo fcinfo, int argno)
{
	VgmKsState *s = (VgmKsState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	ks_state_check(s);
	return s;
}

/* Text input: parse and validate untrusted text (Citus moves partial states as text). */
Datum
vgm_ks_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	VgmKsState *s = ks_state_new(0);
	char		msg[MSG_LEN];
	char		detail[MSG_LEN];
	int			status;

	status = vgm_ks_parse(str, strlen(str), &s->c, s->counts, VGM_KS_BINS,
						  msg, sizeof(msg), detail, sizeof(detail));
	if (status != VGM_KS_OK)
		ereport(ERROR,
				(errcode(vgm_codec_errcode(status, false)),
				 errmsg("%s", msg),
				 errdetail("%s", detail)));
	PG_RETURN_POINTER(s);
}

/* Text output: JSON, empty bins run-length coded; lossless. */
Datum
vgm_ks_state_out(PG_FUNCTION_ARGS)
{
	VgmKsState *s = ks_state_arg(fcinfo, 0);
	JtOut		out;

	jt_out_growable(&out, vgm_palloc_allocator(), 1024);
	vgm_ks_write(&out, &s->c, s->counts, VGM_KS_BINS);
	jt_out_finish(&out);
	PG_RETURN_CSTRING(out.buf);
}

/* Binary input: the nonzero bins as (index, count) pairs, validated before use. */
Datum
vgm_ks_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	VgmKsState *s;
	int			version;
	int			nbins;
	int			nnz;
	int			last = -1;
	int			i;
	char		msg[MSG_LEN];
	char		detail[MSG_LEN];
	int			status;

	version = pq_getmsgint(buf, 4);
	if (version != VGM_KS_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("unsupported vgm_ks_state binary format version %d", version),
				 errdetail("This build reads format version %d.", VGM_KS_FORMAT_VERSION)));
	nbins = pq_getmsgint(buf, 4);
	if (nbins != VGM_KS_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("unsupported vgm_ks_state bin count %d", nbins),
				 errdetail("This build uses %d bins.", VGM_KS_BINS)));
	s = ks_state_new(0);
	s->c.model_hash = (uint64) pq_getmsgint64(buf);
	s->c.n = pq_getmsgint64(buf);
	s->c.nulls = pq_getmsgint64(buf);
	s->c.nans = pq_getmsgint64(buf);
	s->c.pos_infs = pq_getmsgint64(buf);
	s->c.neg_infs = pq_getmsgint64(buf);
	nnz = pq_getmsgint(buf, 4);
	if (nnz < 0 || nnz > VGM_KS_BINS || buf->len - buf->cursor != nnz * 12)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid vgm_ks_state: binary length does not match bin count"),
				 errdetail("The message claims %d nonzero bins and has %d bytes left.",
						   nnz, buf->len - buf->cursor)));
	for (i = 0; i < nnz; i++)
	{
		int			idx = pq_getmsgint(buf, 4);
		int64		count = pq_getmsgint64(buf);

		if (idx <= last || idx >= VGM_KS_BINS || count <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid vgm_ks_state: bad bin entry"),
					 errdetail("Entry %d names bin %d with count " INT64_FORMAT "; bins must increase and counts be positive.",
							   i, idx, count)));
		s->counts[idx] = count;
		last = idx;
	}
	pq_getmsgend(buf);
	status = vgm_ks_validate(&s->c, s->counts, VGM_KS_BINS, msg, sizeof(msg),
							 detail, sizeof(detail));
	if (status != VGM_KS_OK)
		ereport(ERROR,
				(errcode(vgm_codec_errcode(status, true)),
				 errmsg("%s", msg),
				 errdetail("%s", detail)));
	PG_RETURN_POINTER(s);
}

/* Binary output: counts, then the nonzero bins; network byte order. */
Datum
vgm_ks_state_send(PG_FUNCTION_ARGS)
{
	VgmKsState *s = ks_state_arg(fcinfo, 0);
	StringInfoData buf;
	int			nnz = 0;
	int			i;

	for (i = 0; i < VGM_KS_BINS; i++)
		nnz += s->counts[i] != 0;
	pq_begintypsend(&buf);
	pq_sendint32(&buf, VGM_KS_FORMAT_VERSION);
	pq_sendint32(&buf, VGM_KS_BINS);
	pq_sendint64(&buf, (int64) s->c.model_hash);
	pq_sendint64(&buf, s->c.n);
	pq_sendint64(&buf, s->c.nulls);
	pq_sendint64(&buf, s->c.nans);
	pq_sendint64(&buf, s->c.pos_infs);
	pq_sendint64(&buf, s->c.neg_infs);
	pq_sendint32(&buf, nnz);
	for (i = 0; i < VGM_KS_BINS; i++)
		if (s->counts[i] != 0)
		{
			pq_sendint32(&buf, i);
			pq_sendint64(&buf, s->counts[i]);
		}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------------------------------------------------------------------- */
/* KS aggregates                                                           */
/* ---------------------------------------------------------------------- */

/*
 * vgm_ks(model, x) / vgm_ks_state(model, x) transition: one row into the
 * histogram.  The state is a plain varlena the executor keeps in the
 * aggregate context, so it is updated in place and returned as is; the
 * first row's new state lives in the per-tuple context because the
 * executor copies any new state into the aggregate context anyway.
 */
Datum
vgm_ks_sfunc(PG_FUNCTION_ARGS)
{
	ValidateModel *m;
	VgmKsState *s;
	double		x;

	if (unlikely(!AggCheckCallContext(fcinfo, NULL)))
		not_aggregate_error("vgm_ks_sfunc");
	if (unlikely(PG_ARGISNULL(1)))
		null_model_error(agg_name(fcinfo, "vgm_ks"));
	m = model_cache_get(fcinfo, 1, 0);
	if (unlikely(PG_ARGISNULL(0)))
		s = ks_state_new(m->cdf_hash);
	else
	{
		s = (VgmKsState *) DatumGetPointer(PG_GETARG_DATUM(0));
		if (unlikely(s->c.model_hash != m->cdf_hash))
			model_mismatch_error(psprintf("%s needs one model per group", agg_name(fcinfo, "vgm_ks")),
								 "The group and this row", s->c.model_hash, m->cdf_hash);
	}
	/*
	 * The state may be the INITCOND of someone's aggregate, validated but
	 * with counts up to 2^63 - 1: every count is checked before it grows.
	 * A bin never holds more than n, so checking n covers the bins.
	 */
	if (PG_ARGISNULL(2))
	{
		if (unlikely(pg_add_s64_overflow(s->c.nulls, 1, &s->c.nulls)))
			count_overflow_error("vgm_ks_state");
		PG_RETURN_POINTER(s);
	}
	x = PG_GETARG_FLOAT8(2);
	if (unlikely(!isfinite(x)))
	{
		int64	   *count = isnan(x) ? &s->c.nans : x > 0 ? &s->c.pos_infs : &s->c.neg_infs;

		if (pg_add_s64_overflow(*count, 1, count))
			count_overflow_error("vgm_ks_state");
		PG_RETURN_POINTER(s);
	}
	if (unlikely(pg_add_s64_overflow(s->c.n, 1, &s->c.n)))
		count_overflow_error("vgm_ks_state");
	s->counts[vgm_ks_bin(likely(m->table.n > 0) ? vgm_cdf_table_eval(&m->table, x)
						 : vgm_mixture_cdf(&m->mix, x))]++;
	PG_RETURN_POINTER(s);
}

/* Add the counts of b into a, refusing states of different models. */
static void
ks_state_add(VgmKsState *a, const VgmKsState *b)
{
	int			i;
	bool		overflow = false;

	if (a->c.model_hash != b->c.model_hash)
		model_mismatch_error("vgm_ks_state values built with different models cannot be combined",
							 "The two states", a->c.model_hash, b->c.model_hash);
	overflow |= pg_add_s64_overflow(a->c.n, b->c.n, &a->c.n);
	overflow |= pg_add_s64_overflow(a->c.nulls, b->c.nulls, &a->c.nulls);
	overflow |= pg_add_s64_overflow(a->c.nans, b->c.nans, &a->c.nans);
	overflow |= pg_add_s64_overflow(a->c.pos_infs, b->c.pos_infs, &a->c.pos_infs);
	overflow |= pg_add_s64_overflow(a->c.neg_infs, b->c.neg_infs, &a->c.neg_infs);
	if (overflow)
		count_overflow_error("vgm_ks_state");
	/* bin counts never exceed n, which did not overflow */
	for (i = 0; i < VGM_KS_BINS; i++)
		a->counts[i] += b->counts[i];
}

/*
 * Combine function (STRICT: the executor adopts the first non-null state)
 * and the transition function of vgm_rollup(vgm_ks_state).  In an aggregate
 * the first argument is the aggregate's own state, updated in place; a
 * compressed one (a stored state adopted by the rollup) is unpacked first.
 */
Datum
vgm_ks_combine(PG_FUNCTION_ARGS)
{
	Pointer		p = DatumGetPointer(PG_GETARG_DATUM(0));
	VgmKsState *a;
	VgmKsState *b = ks_state_arg(fcinfo, 1);

	if (AggCheckCallContext(fcinfo, NULL) && !VARATT_IS_EXTENDED(p))
		a = (VgmKsState *) p;
	else
		a = (VgmKsState *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
	ks_state_check(a);
	ks_state_add(a, b);
	PG_RETURN_POINTER(a);
}

/* vgm_ks(state) and the final function of vgm_ks(model, x): (statistic, pvalue, n). */
Datum
vgm_ks_final(PG_FUNCTION_ARGS)
{
	Datum		values[3];
	bool		nulls[3] = {true, true, false};

	values[2] = Int64GetDatum(0);
	if (!PG_ARGISNULL(0))
	{
		VgmKsState *s = ks_state_arg(fcinfo, 0);

		values[2] = Int64GetDatum(s->c.n);
		if (s->c.n > 0)
		{
			double		d = vgm_ks_statistic_1samp(s->counts, VGM_KS_BINS, s->c.n);

			values[0] = Float8GetDatum(d);
			values[1] = Float8GetDatum(vgm_kstwo_sf(s->c.n, d));
			nulls[0] = nulls[1] = false;
		}
	}
	PG_RETURN_DATUM(form_result(fcinfo, values, nulls));
}

/* vgm_ks_2samp(a, b): two histograms of one model -> (statistic, pvalue, n1, n2). */
Datum
vgm_ks_2samp(PG_FUNCTION_ARGS)
{
	VgmKsState *a = ks_state_arg(fcinfo, 0);
	VgmKsState *b = ks_state_arg(fcinfo, 1);
	Datum		values[4];
	bool		nulls[4] = {true, true, false, false};

	if (a->c.model_hash != b->c.model_hash)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vgm_ks_2samp needs two states built with the same model"),
				 errdetail("Model hashes %016" INT64_MODIFIER "x and %016" INT64_MODIFIER "x differ; the model is the common coordinate system of both samples.",
						   a->c.model_hash, b->c.model_hash)));
	values[2] = Int64GetDatum(a->c.n);
	values[3] = Int64GetDatum(b->c.n);
	if (a->c.n > 0 && b->c.n > 0)
	{
		__int128	num;
		bool		exact;
		double		d = vgm_ks_statistic_2samp(a->counts, a->c.n, b->counts, b->c.n,
											   VGM_KS_BINS, &num);

		values[0] = Float8GetDatum(d);
		values[1] = Float8GetDatum(vgm_ks_2samp_pvalue(a->c.n, b->c.n, num, &exact));
		nulls[0] = nulls[1] = false;
	}
	PG_RETURN_DATUM(form_result(fcinfo, values, nulls));
}

/* vgm_ks_info(state): counts, bin count, model hash and size. */
Datum
vgm_ks_info(PG_FUNCTION_ARGS)
{
	VgmKsState *s = ks_state_arg(fcinfo, 0);
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	char		hash[17];

	snprintf(hash, sizeof(hash), "%016" INT64_MODIFIER "x", s->c.model_hash);
	values[0] = Int64GetDatum(s->c.n);
	values[1] = Int64GetDatum(s->c.nulls);
	values[2] = Int64GetDatum(s->c.nans);
	values[3] = Int64GetDatum(s->c.pos_infs);
	values[4] = Int64GetDatum(s->c.neg_infs);
	values[5] = Int32GetDatum(VGM_KS_BINS);
	values[6] = CStringGetTextDatum(hash);
	values[7] = Int64GetDatum((int64) VGM_KS_STATE_SIZE);
	PG_RETURN_DATUM(form_result(fcinfo, values, nulls));
}

/*
 * vgm_ks_effects(model, state, trim_fraction): the KS test of the state with
 * effect sizes that do not shrink with n (validate_core.h): the largest
 * share of tied values and the floor D >= share / 2 it puts under the
 * statistic, D above that floor, and trimmed means and standard deviations
 * of the data and of the model.  The model must be the state's.
 */
Datum
vgm_ks_effects_sql(PG_FUNCTION_ARGS)
{
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);
	VgmKsState *s = ks_state_arg(fcinfo, 1);
	double		trim = PG_GETARG_FLOAT8(2);
	double		means[VGM_MAX_COMPONENTS];
	double		inv_std[VGM_MAX_COMPONENTS];
	double		weights[VGM_MAX_COMPONENTS];
	VgmCdfMixture mix;
	VgmKsEffects e;
	uint64		hash;
	Datum		values[9];
	bool		nulls[9];

	vgm_model_check_layout(model);
	/* NaN fails both comparisons */
	if (!(trim >= 0.0 && trim < 0.5))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vgm_ks_effects trim_fraction is out of range"),
				 errdetail("The share trimmed from each tail lies in [0, 0.5); got %g.", trim)));
	mix.mean = means;
	mix.inv_std = inv_std;
	mix.weight = weights;
	hash = model_plugin_mixture(model, &mix);
	if (hash != s->c.model_hash)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vgm_ks_effects needs the model the state was built with"),
				 errdetail("The state has model hash %016" INT64_MODIFIER "x, the model %016" INT64_MODIFIER "x.",
						   s->c.model_hash, hash)));
	if (mix.k == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid vgm_model: no component has a positive weight"),
				 errdetail("The weights of a mixture sum to 1.")));
	vgm_ks_effects(&mix, s->counts, VGM_KS_BINS, s->c.n, trim, &e);

	memset(nulls, true, sizeof(nulls));
	values[0] = Int64GetDatum(s->c.n);
	nulls[0] = false;
	if (s->c.n > 0)
	{
		double		d = vgm_ks_statistic_1samp(s->counts, VGM_KS_BINS, s->c.n);

		set_float(values, nulls, 1, d);
		set_float(values, nulls, 2, vgm_kstwo_sf(s->c.n, d));
		set_float(values, nulls, 3, e.atom_share);
		/* within half a bin, D may sit a hair below the floor: no negative excess */
		set_float(values, nulls, 4, fmax(d - 0.5 * e.atom_share, 0.0));
		set_float(values, nulls, 5, e.data_mean);
		set_float(values, nulls, 6, e.data_stddev);
	}
	set_float(values, nulls, 7, e.model_mean);
	set_float(values, nulls, 8, e.model_stddev);
	PG_RETURN_DATUM(form_result(fcinfo, values, nulls));
}

/* ---------------------------------------------------------------------- */
/* bounds                                                                  */
/* ---------------------------------------------------------------------- */

/* Layout of the int8[] state of vgm_bounds. */
enum
{
	B_VERSION,
	B_HASH,						/* bounds hash of the model, 0 before the first row */
	B_N,						/* finite values */
	B_BELOW,					/* x < training min */
	B_ABOVE,					/* x > training max */
	B_CLIP_LOW,					/* alpha < -0.99 */
	B_CLIP_HIGH,				/* alpha > 0.99 */
	B_NULLS,
	B_NANS,
	B_POS_INFS,
	B_NEG_INFS,
	B_LEN
};
#define VGM_BOUNDS_VERSION 1

/* The int8[] state's values after checking its shape and counts (it may come from text). */
static int64 *
bounds_values(ArrayType *a)
{
	int64	   *v;
	int			i;

	if (ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != B_LEN || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid vgm_bounds state"),
				 errdetail("The state is a one-dimensional bigint array of %d values without nulls.",
						   B_LEN)));
	v = (int64 *) ARR_DATA_PTR(a);
	if (v[B_VERSION] != VGM_BOUNDS_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("unsupported vgm_bounds state version " INT64_FORMAT, v[B_VERSION]),
				 errdetail("This build reads version %d.", VGM_BOUNDS_VERSION)));
	for (i = B_N; i < B_LEN; i++)
		if (v[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid vgm_bounds state"),
					 errdetail("Count %d is negative.", i)));
	if (v[B_BELOW] > v[B_N] - v[B_ABOVE] || v[B_CLIP_LOW] > v[B_N] - v[B_CLIP_HIGH])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid vgm_bounds state"),
				 errdetail("More values are outside the range or clipped than were counted.")));
	return v;
}

/* One more in count i of a bounds state; passing 2^63 - 1 is an error, not a wrap. */
static inline void
bounds_increment(int64 *v, int i)
{
	if (unlikely(pg_add_s64_overflow(v[i], 1, &v[i])))
		count_overflow_error("vgm_bounds");
}

/*
 * vgm_bounds(model, x) transition: count x outside the training range and
 * x whose alpha would be clipped for its most probable valid component
 * (vgm_component's argmax, exactly).
 */
Datum
vgm_bounds_sfunc(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	int64	   *v;
	ValidateModel *m;
	double		x;
	double		best = -INFINITY;
	int			best_v = 0;
	int			j;

	if (unlikely(!AggCheckCallContext(fcinfo, NULL)))
		not_aggregate_error("vgm_bounds_sfunc");
	if (unlikely(PG_ARGISNULL(0)))
		elog(ERROR, "vgm_bounds state must not be null");
	if (unlikely(PG_ARGISNULL(1)))
		null_model_error(agg_name(fcinfo, "vgm_bounds"));
	a = array_state_arg(fcinfo);
	/* our INITCOND has this shape; an aggregate of someone else's may not */
	if (unlikely(ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != B_LEN || ARR_HASNULL(a)))
		bounds_values(a);
	v = (int64 *) ARR_DATA_PTR(a);
	m = model_cache_get(fcinfo, 1, 0);
	if (unlikely((uint64) v[B_HASH] != m->bounds_hash))
	{
		bounds_values(a);
		if (v[B_HASH] != 0)
			model_mismatch_error(psprintf("%s needs one model per group", agg_name(fcinfo, "vgm_bounds")),
								 "The group and this row", (uint64) v[B_HASH], m->bounds_hash);
		if (m->n_valid == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("vgm_model has no valid components"),
					 errdetail("All %d component weights are at or below the model's weight_threshold.",
							   m->k)));
		v[B_HASH] = (int64) m->bounds_hash;
	}
	/*
	 * The state may be the INITCOND of someone's aggregate, with counts up
	 * to 2^63 - 1 (and, if it carries this model's hash already, never
	 * checked by bounds_values): every count is checked as it grows.
	 */
	if (PG_ARGISNULL(2))
	{
		bounds_increment(v, B_NULLS);
		PG_RETURN_ARRAYTYPE_P(a);
	}
	x = PG_GETARG_FLOAT8(2);
	if (unlikely(!isfinite(x)))
	{
		bounds_increment(v, isnan(x) ? B_NANS : x > 0 ? B_POS_INFS : B_NEG_INFS);
		PG_RETURN_ARRAYTYPE_P(a);
	}
	bounds_increment(v, B_N);
	if (x < m->min)
		bounds_increment(v, B_BELOW);
	else if (x > m->max)
		bounds_increment(v, B_ABOVE);
	for (j = 0; j < m->n_valid; j++)
	{
		double		d = x - m->v_mean[j];
		double		wlp = m->v_log_const[j] - m->v_half_prec[j] * (d * d);

		/* strictly greater: ties go to the first, as in vgm_component */
		if (wlp > best)
		{
			best = wlp;
			best_v = j;
		}
	}
	if (unlikely(best == -INFINITY))
	{
		/* (x - mean)^2 overflowed for every component: |alpha| is huge for any */
		bounds_increment(v, x > 0 ? B_CLIP_HIGH : B_CLIP_LOW);
	}
	else
	{
		/* the same division as vgm_alpha, so the same values are clipped */
		double		alpha = (x - m->v_mean[best_v]) / m->v_four_std[best_v];

		if (alpha > VGM_ALPHA_CLIP)
			bounds_increment(v, B_CLIP_HIGH);
		else if (alpha < -VGM_ALPHA_CLIP)
			bounds_increment(v, B_CLIP_LOW);
	}
	PG_RETURN_ARRAYTYPE_P(a);
}

/* Combine two bounds states (STRICT; the initial state comes from INITCOND). */
Datum
vgm_bounds_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a = array_state_arg(fcinfo);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	int64	   *va = bounds_values(a);
	int64	   *vb = bounds_values(b);
	int			i;

	if (vb[B_HASH] != 0)
	{
		if (va[B_HASH] == 0)
			va[B_HASH] = vb[B_HASH];
		else if (va[B_HASH] != vb[B_HASH])
			model_mismatch_error("vgm_bounds states built with different models cannot be combined",
								 "The two states", (uint64) va[B_HASH], (uint64) vb[B_HASH]);
	}
	for (i = B_N; i < B_LEN; i++)
		if (pg_add_s64_overflow(va[i], vb[i], &va[i]))
			count_overflow_error("vgm_bounds");
	PG_RETURN_ARRAYTYPE_P(a);
}

/* Final function of vgm_bounds: counts and shares of the finite values. */
Datum
vgm_bounds_final(PG_FUNCTION_ARGS)
{
	int64	   *v = bounds_values(PG_GETARG_ARRAYTYPE_P(0));
	Datum		values[11];
	bool		nulls[11];
	double		n = (double) v[B_N];

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int64GetDatum(v[B_N]);
	values[1] = Int64GetDatum(v[B_BELOW]);
	values[2] = Int64GetDatum(v[B_ABOVE]);
	values[3] = Float8GetDatum((v[B_BELOW] + v[B_ABOVE]) / n);
	values[4] = Int64GetDatum(v[B_CLIP_LOW]);
	values[5] = Int64GetDatum(v[B_CLIP_HIGH]);
	values[6] = Float8GetDatum((v[B_CLIP_LOW] + v[B_CLIP_HIGH]) / n);
	nulls[3] = nulls[6] = v[B_N] == 0;
	values[7] = Int64GetDatum(v[B_NULLS]);
	values[8] = Int64GetDatum(v[B_NANS]);
	values[9] = Int64GetDatum(v[B_POS_INFS]);
	values[10] = Int64GetDatum(v[B_NEG_INFS]);
	PG_RETURN_DATUM(form_result(fcinfo, values, nulls));
}

/* ---------------------------------------------------------------------- */
/* null distributions as SQL functions                                     */
/* ---------------------------------------------------------------------- */

/* Error for a sample size below one. */
static void
check_sample_size(const char *name, int64 n)
{
	if (n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be at least 1", name),
				 errdetail("The value given was " INT64_FORMAT ".", n)));
}

/* vgm_kstwo_sf(d, n): scipy.stats.kstwo.sf(d, n). */
Datum
vgm_kstwo_sf_sql(PG_FUNCTION_ARGS)
{
	double		d = PG_GETARG_FLOAT8(0);
	int64		n = PG_GETARG_INT64(1);

	check_sample_size("n", n);
	PG_RETURN_FLOAT8(vgm_kstwo_sf(n, d));
}

/* vgm_kstwobign_sf(z): scipy.stats.kstwobign.sf(z). */
Datum
vgm_kstwobign_sf_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(vgm_kolmogorov_sf(PG_GETARG_FLOAT8(0)));
}

/*
 * vgm_ks_2samp_sf(d, n1, n2): ks_2samp's two-sided p-value for a statistic
 * d (rounded to a multiple of 1 / lcm(n1, n2), as SciPy rounds it).
 */
Datum
vgm_ks_2samp_sf_sql(PG_FUNCTION_ARGS)
{
	double		d = PG_GETARG_FLOAT8(0);
	int64		n1 = PG_GETARG_INT64(1);
	int64		n2 = PG_GETARG_INT64(2);
	int64		a = n1;
	int64		b = n2;
	__int128	lcm;
	__int128	h;
	bool		exact;

	check_sample_size("n1", n1);
	check_sample_size("n2", n2);
	if (isnan(d))
		PG_RETURN_FLOAT8(NAN);
	if (d <= 0.0)
		PG_RETURN_FLOAT8(1.0);
	if (d >= 1.0)
		d = 1.0;
	while (b != 0)
	{
		int64		t = a % b;

		a = b;
		b = t;
	}
	lcm = (__int128) (n1 / a) * n2;
	h = (__int128) rintl((long double) d * (long double) lcm);
	PG_RETURN_FLOAT8(vgm_ks_2samp_pvalue(n1, n2, h * a, &exact));
}
