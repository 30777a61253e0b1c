/*
 * validate.h - what the validation files (validate_*.c) share: the
 *              per-call-site cache of what they derive from a model, the
 *              composite result rows and the errors they all raise.
 *
 * Not a public interface: only the validate_*.c files include it.  The
 * numerical and text-format core they call is validate_core.h.
 */
#ifndef VGM_VALIDATE_H
#define VGM_VALIDATE_H

#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/array.h"

#include "model.h"
#include "validate_core.h"

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

/* Slow path of vgm_validate_model_get: compare bytes, rebuild on change (validate_model.c). */
extern ValidateModel *vgm_validate_model_lookup(FunctionCallInfo fcinfo, int argno, int aggargno);

/* The derived model of argument argno; a Const at the same address is the same model. */
static inline ValidateModel *
vgm_validate_model_get(FunctionCallInfo fcinfo, int argno, int aggargno)
{
	ValidateModel *c = (ValidateModel *) fcinfo->flinfo->fn_extra;

	if (likely(c != NULL && c->arg_is_const && c->raw_len != 0
			   && c->raw_ptr == DatumGetPointer(PG_GETARG_DATUM(argno))))
		return c;
	return vgm_validate_model_lookup(fcinfo, argno, aggargno);
}

/* The plug-in mixture of a model (positive weights) and its hash (validate_model.c). */
extern uint64 vgm_model_plugin_mixture(const VgmModel *model, VgmCdfMixture *mix);

/* validate_report.c: names, errors, result rows and state arguments */
extern const char *vgm_agg_name(FunctionCallInfo fcinfo, const char *fallback);
extern pg_noinline void vgm_null_model_error(const char *fname);
extern pg_noinline void vgm_not_aggregate_error(const char *fname);
extern pg_noinline void vgm_count_overflow_error(const char *what);
extern pg_noinline void vgm_model_mismatch_error(const char *message, const char *what,
												 uint64 a, uint64 b);
extern Datum vgm_form_result(FunctionCallInfo fcinfo, Datum *values, bool *nulls);
extern ArrayType *vgm_array_state_arg(FunctionCallInfo fcinfo);

/* A float8 result column: NULL for NaN (undefined moments, empty input). */
static inline void
vgm_set_float(Datum *values, bool *nulls, int i, double v)
{
	values[i] = Float8GetDatum(v);
	nulls[i] = isnan(v);
}

#endif							/* VGM_VALIDATE_H */
