/*
 * validate_report.c - how the validation functions report: the aggregate
 *                     named in a message, the errors several of them
 *                     raise, composite result rows, and the array state
 *                     argument of the float8[] / int8[] aggregates.
 *
 * Kept in one place so that every validation function words the same
 * failure the same way.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/lsyscache.h"

#include "validate.h"

/*
 * The name of the aggregate being computed, for messages: several
 * aggregates share a support function (vgm_ks and vgm_ks_state, and any a
 * user builds on ours), and a message names the one the user called.  A
 * catalog lookup, so only on the way to an error.
 */
const char *
vgm_agg_name(FunctionCallInfo fcinfo, const char *fallback)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	char	   *name = aggref ? get_func_name(aggref->aggfnoid) : NULL;

	return name ? name : fallback;
}

/* Error for a NULL model argument. */
pg_noinline void
vgm_null_model_error(const char *fname)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("%s model must not be null", fname),
			 errdetail("Every row is compared with the model; pass a vgm_model.")));
}

/* Error for a support function called outside an aggregate. */
pg_noinline void
vgm_not_aggregate_error(const char *fname)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s called in non-aggregate context", fname),
			 errdetail("This function is the transition function of an aggregate.")));
}

/* Error for a count of a state that would pass 2^63 - 1; what names the state. */
pg_noinline void
vgm_count_overflow_error(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s count out of range", what),
			 errdetail("A count would exceed the largest 64-bit integer, 9223372036854775807.")));
}

/* Error for two models where one is required; what names the two sides. */
pg_noinline void
vgm_model_mismatch_error(const char *message, const char *what, uint64 a, uint64 b)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", message),
			 errdetail("%s have model hashes %016" INT64_MODIFIER "x and %016" INT64_MODIFIER "x.",
					   what, a, b),
			 errhint("Use one model for every row of a group and for every merged state.")));
}

/* Form a row of a composite result; NaN doubles become NULL. */
Datum
vgm_form_result(FunctionCallInfo fcinfo, Datum *values, bool *nulls)
{
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/*
 * The array state argument of an aggregate support function (vgm_moments,
 * vgm_bounds): in place when the executor owns it, else as a copy.
 */
ArrayType *
vgm_array_state_arg(FunctionCallInfo fcinfo)
{
	if (AggCheckCallContext(fcinfo, NULL) && !VARATT_IS_EXTENDED(DatumGetPointer(PG_GETARG_DATUM(0))))
		return (ArrayType *) DatumGetPointer(PG_GETARG_DATUM(0));
	return PG_GETARG_ARRAYTYPE_P_COPY(0);
}
