/*
 * validate_moments.c - moments in SQL: vgm_moments(x), a one-pass,
 *                      mergeable aggregate of running central moments
 *                      (Welford's recurrence to order 4, a two-double mean)
 *                      in a float8[] state; vgm_moments(summary), the same
 *                      row from a summary; vgm_model_moments(model), the
 *                      closed-form moments of the plug-in mixture.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"

#include "model.h"
#include "summary.h"
#include "validate.h"

PG_FUNCTION_INFO_V1(vgm_moments_summary);
PG_FUNCTION_INFO_V1(vgm_moments_sfunc);
PG_FUNCTION_INFO_V1(vgm_moments_combine);
PG_FUNCTION_INFO_V1(vgm_moments_final);
PG_FUNCTION_INFO_V1(vgm_model_moments);

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

	vgm_require_aggregate(fcinfo, "vgm_moments_sfunc");
	if (unlikely(PG_ARGISNULL(0)))
		elog(ERROR, "vgm_moments state must not be null");
	a = vgm_array_state_arg(fcinfo);
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
	ArrayType  *a = vgm_array_state_arg(fcinfo);
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
	vgm_set_float(values, nulls, 2, dm.mean);
	vgm_set_float(values, nulls, 3, dm.variance);
	vgm_set_float(values, nulls, 4, dm.variance_pop);
	vgm_set_float(values, nulls, 5, dm.stddev);
	vgm_set_float(values, nulls, 6, dm.skewness);
	vgm_set_float(values, nulls, 7, dm.kurtosis);
	values[8] = Float8GetDatum(min);
	values[9] = Float8GetDatum(max);
	nulls[8] = nulls[9] = rows == 0;
	values[10] = Int64GetDatum(nulls_count);
	values[11] = Int64GetDatum(nans);
	values[12] = Int64GetDatum(pos_infs);
	values[13] = Int64GetDatum(neg_infs);
	return vgm_form_result(fcinfo, values, nulls);
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

/*
 * vgm_model_moments(model): closed-form moments of the plug-in mixture and
 * its atoms (components of variance 0).
 */
Datum
vgm_model_moments(PG_FUNCTION_ARGS)
{
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);
	int			k = model->hdr.k;
	int			n;
	double		weights[VGM_MAX_COMPONENTS + VGM_MAX_ATOMS];
	double		means[VGM_MAX_COMPONENTS + VGM_MAX_ATOMS];
	double		vars[VGM_MAX_COMPONENTS + VGM_MAX_ATOMS];
	VgmMixtureMoments mm;
	Datum		values[5];
	bool		nulls[5];
	int			j;

	vgm_model_check_layout(model);
	n = k + model->hdr.n_atoms;
	for (j = 0; j < k; j++)
	{
		weights[j] = VgmModelWeights(model)[j];
		means[j] = model->comp[j].mean;
		vars[j] = model->comp[j].covariance;
	}
	for (j = k; j < n; j++)
	{
		weights[j] = VgmModelAtomWeights(model)[j - k];
		means[j] = VgmModelAtomValues(model)[j - k];
		vars[j] = 0.0;
	}
	if (!vgm_mixture_moments(n, weights, means, vars, &mm))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid vgm_model: no component has a positive weight"),
				 errdetail("The weights of a mixture sum to 1.")));
	memset(nulls, 0, sizeof(nulls));
	vgm_set_float(values, nulls, 0, mm.mean);
	vgm_set_float(values, nulls, 1, mm.variance);
	vgm_set_float(values, nulls, 2, mm.stddev);
	vgm_set_float(values, nulls, 3, mm.skewness);
	vgm_set_float(values, nulls, 4, mm.kurtosis);
	PG_RETURN_DATUM(vgm_form_result(fcinfo, values, nulls));
}
