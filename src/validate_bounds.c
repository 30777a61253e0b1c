/*
 * validate_bounds.c - vgm_bounds(model, x): counts of values outside the
 *                     training range and of values whose alpha would be
 *                     clipped, in an int8[] state (the pattern of
 *                     float8_accum), merged by adding counts.
 *
 * The state remembers a hash of the model's range and valid components, so
 * mixing models within one group or across merged states is an error.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/int.h"
#include "utils/array.h"

#include "validate.h"

PG_FUNCTION_INFO_V1(vgm_bounds_sfunc);
PG_FUNCTION_INFO_V1(vgm_bounds_combine);
PG_FUNCTION_INFO_V1(vgm_bounds_final);

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
		vgm_count_overflow_error("vgm_bounds");
}

/*
 * vgm_bounds(model, x) transition: count x outside the training range and
 * x whose alpha would be clipped: the transforms' encoding rule
 * (vgm_encode_value), exactly, so these are the values vgm_alpha clips.
 */
Datum
vgm_bounds_sfunc(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	int64	   *v;
	VgmCachedModel *m;
	uint64		hash;
	double		x;
	int32		component;
	double		alpha;
	int			clipped;

	vgm_require_aggregate(fcinfo, "vgm_bounds_sfunc");
	if (unlikely(PG_ARGISNULL(0)))
		elog(ERROR, "vgm_bounds state must not be null");
	if (unlikely(PG_ARGISNULL(1)))
		vgm_null_model_error(vgm_agg_name(fcinfo, "vgm_bounds"));
	a = vgm_array_state_arg(fcinfo);
	/* our INITCOND has this shape; an aggregate of someone else's may not */
	if (unlikely(ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != B_LEN || ARR_HASNULL(a)))
		bounds_values(a);
	v = (int64 *) ARR_DATA_PTR(a);
	m = vgm_model_cache_get(fcinfo, 1);
	hash = vgm_model_cache_bounds_hash(m);
	if (unlikely((uint64) v[B_HASH] != hash))
	{
		bounds_values(a);
		if (v[B_HASH] != 0)
			vgm_model_mismatch_error(psprintf("%s needs one model per group", vgm_agg_name(fcinfo, "vgm_bounds")),
									 "The group and this row", (uint64) v[B_HASH], hash);
		v[B_HASH] = (int64) hash;
	}
	/* after the hash test: a state of another model is reported as such first */
	if (unlikely(m->n_valid == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vgm_model has no valid components"),
				 errdetail("All %d component weights are at or below the model's weight_threshold.",
						   m->k)));
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
	clipped = vgm_encode_value(m, x, &component, &alpha);
	if (clipped > 0)
		bounds_increment(v, B_CLIP_HIGH);
	else if (clipped < 0)
		bounds_increment(v, B_CLIP_LOW);
	PG_RETURN_ARRAYTYPE_P(a);
}

/* Combine two bounds states (STRICT; the initial state comes from INITCOND). */
Datum
vgm_bounds_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a = vgm_array_state_arg(fcinfo);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	int64	   *va = bounds_values(a);
	int64	   *vb = bounds_values(b);
	int			i;

	if (vb[B_HASH] != 0)
	{
		if (va[B_HASH] == 0)
			va[B_HASH] = vb[B_HASH];
		else if (va[B_HASH] != vb[B_HASH])
			vgm_model_mismatch_error("vgm_bounds states built with different models cannot be combined",
								 "The two states", (uint64) va[B_HASH], (uint64) vb[B_HASH]);
	}
	for (i = B_N; i < B_LEN; i++)
		if (pg_add_s64_overflow(va[i], vb[i], &va[i]))
			vgm_count_overflow_error("vgm_bounds");
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
	PG_RETURN_DATUM(vgm_form_result(fcinfo, values, nulls));
}
