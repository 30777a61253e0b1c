/*
 * validate.h - what the validation files (validate_*.c) share: the
 *              composite result rows and the errors they all raise.
 *
 * Not a public interface: only the validate_*.c files include it.  The
 * numerical and text-format core they call is validate_core.h, the cache of
 * what they derive from a model argument model_cache.h.
 */
#ifndef VGM_VALIDATE_H
#define VGM_VALIDATE_H

#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/array.h"

#include "model_cache.h"
#include "validate_core.h"

/* validate_report.c: names, errors, result rows and state arguments */
extern const char *vgm_agg_name(FunctionCallInfo fcinfo, const char *fallback);
extern pg_noinline void vgm_null_model_error(const char *fname);
extern pg_noinline void vgm_not_aggregate_error(const char *fname);
extern pg_noinline void vgm_count_overflow_error(const char *what);
extern pg_noinline void vgm_model_mismatch_error(const char *message, const char *what,
												 uint64 a, uint64 b);
extern Datum vgm_form_result(FunctionCallInfo fcinfo, Datum *values, bool *nulls);
extern ArrayType *vgm_array_state_arg(FunctionCallInfo fcinfo);

/* Raise unless fname runs as the transition function of an aggregate. */
static inline void
vgm_require_aggregate(FunctionCallInfo fcinfo, const char *fname)
{
	if (unlikely(!AggCheckCallContext(fcinfo, NULL)))
		vgm_not_aggregate_error(fname);
}

/* A float8 result column: NULL for NaN (undefined moments, empty input). */
static inline void
vgm_set_float(Datum *values, bool *nulls, int i, double v)
{
	values[i] = Float8GetDatum(v);
	nulls[i] = isnan(v);
}

#endif							/* VGM_VALIDATE_H */
