/*
 * fit_shared.c - the SQL glue both fits share: the option checker driven
 *                by a fit's option table, the planner support that checks
 *                a call's constant options before the scan, the constant
 *                options of the one-step aggregates, the errors of an
 *                engine status and the fit clock.
 *
 * vgm_fit and vgm_joint_fit take the same options where they apply, with
 * the same ranges and messages (README "Fitting" and docs/joint_model.md);
 * one checker reading each fit's table keeps them so.  See fit_shared.h.
 */
#include "postgres.h"

#include <math.h>
#include <time.h>

#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "nodes/supportnodes.h"

#include "fit_shared.h"
#include "model_cache.h"
#include "vbem.h"

/* Store an option's SQL value into a fit's options struct. */
static void
option_store(void *options, const VgmOptionSpec *spec, Datum value)
{
	void	   *field = (char *) options + spec->offset;

	switch (spec->type)
	{
		case VGM_OPTION_INT32:
			*(int32 *) field = DatumGetInt32(value);
			return;
		case VGM_OPTION_INT64:
			/* the seed: SQL's bigint carries the engine's uint64 bit for bit */
			*(int64 *) field = DatumGetInt64(value);
			return;
		case VGM_OPTION_FLOAT8:
			*(double *) field = DatumGetFloat8(value);
			return;
		case VGM_OPTION_BOOL:
			*(bool *) field = DatumGetBool(value);
			return;
	}
	elog(ERROR, "unknown option type %d", (int) spec->type);
}

/* Raise the error of a number outside a range: "name must be ...". */
static void
report_number(const VgmOptionSpec *spec, const char *must_be, double x)
{
	if (spec->meaning != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be %s", spec->name, must_be),
				 errdetail("The value given was %g; %s.", x, spec->meaning)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must be %s", spec->name, must_be),
			 errdetail("The value given was %g.", x)));
}

/* Raise the error of a value outside the option's range. */
void
vgm_option_check(const VgmOptionSpec *spec, Datum value)
{
	double		x;

	if (spec->range == VGM_RANGE_ANY)
		return;
	if (spec->range == VGM_RANGE_COUNT)
	{
		int32		count = DatumGetInt32(value);

		if (count < 1 || count > spec->max)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be between 1 and %d", spec->name, spec->max),
					 errdetail("The value given was %d.", count)));
		return;
	}
	x = DatumGetFloat8(value);
	switch (spec->range)
	{
		case VGM_RANGE_POSITIVE:
			if (!(x > 0.0) || !isfinite(x))
				report_number(spec, "a positive finite number", x);
			return;
		case VGM_RANGE_NON_NEGATIVE:
			if (!(x >= 0.0) || !isfinite(x))
				report_number(spec, "a non-negative finite number", x);
			return;
		case VGM_RANGE_FRACTION:
			if (!(x >= 0.0 && x < 1.0))
				report_number(spec, "in [0, 1)", x);
			return;
		case VGM_RANGE_SHARE:
			if (!(x > 0.0 && x <= 1.0))
				report_number(spec, "in (0, 1]", x);
			return;
		default:
			elog(ERROR, "unknown option range %d", (int) spec->range);
	}
}

/* Raise the error of a NULL option: omitting the argument gives its default. */
static void
report_null(const VgmOptionTable *table, const VgmOptionSpec *spec)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("%s option \"%s\" must not be null", table->function, spec->name),
			 errdetail("Omit the argument to use its default.")));
}

/* Read every option of the table into the options struct: NULL tests first, then the ranges. */
void
vgm_options_read(FunctionCallInfo fcinfo, const VgmOptionTable *table, void *options)
{
	for (int i = 0; i < table->n; i++)
		if (PG_ARGISNULL(table->specs[i].arg))
			report_null(table, &table->specs[i]);
	for (int i = 0; i < table->n; i++)
	{
		Datum		value = PG_GETARG_DATUM(table->specs[i].arg);

		vgm_option_check(&table->specs[i], value);
		option_store(options, &table->specs[i], value);
	}
}

/*
 * The option of spec as a constant of the call, or NULL when the call has
 * no such argument (vgm_fit of an array has no atom options) or computes it
 * at run time.
 */
static Const *
constant_option(FuncExpr *call, const VgmOptionSpec *spec)
{
	Node	   *arg;

	if (spec->arg >= list_length(call->args))
		return NULL;
	arg = (Node *) list_nth(call->args, spec->arg);
	return IsA(arg, Const) ? (Const *) arg : NULL;
}

/*
 * Check the constant options of the call a planner support request is
 * about, in the order and with the errors of vgm_options_read (the NULL
 * tests of all tables, then the ranges); the others are checked at run
 * time.
 */
Node *
vgm_options_check_planned(Node *request, const VgmOptionTable *const *tables, int ntables)
{
	FuncExpr   *call;

	if (!IsA(request, SupportRequestSimplify))
		return NULL;
	call = ((SupportRequestSimplify *) request)->fcall;
	for (int t = 0; t < ntables; t++)
		for (int i = 0; i < tables[t]->n; i++)
		{
			Const	   *c = constant_option(call, &tables[t]->specs[i]);

			if (c != NULL && c->constisnull)
				report_null(tables[t], &tables[t]->specs[i]);
		}
	for (int t = 0; t < ntables; t++)
		for (int i = 0; i < tables[t]->n; i++)
		{
			Const	   *c = constant_option(call, &tables[t]->specs[i]);

			if (c != NULL)
				vgm_option_check(&tables[t]->specs[i], c->constvalue);
		}
	/* nothing to simplify: the call stays as it is */
	return NULL;
}

static void aggregate_option_null(const VgmAggregateOption *option) pg_attribute_noreturn();

/* Raise the error of a one-step aggregate's option given as NULL. */
static void
aggregate_option_null(const VgmAggregateOption *option)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("%s", option->not_null),
			 errdetail("%s", option->default_hint)));
}

/* The constant argument argno of a one-step aggregate's call, checked. */
Datum
vgm_aggregate_option(FunctionCallInfo fcinfo, int argno, const VgmAggregateOption *option)
{
	Const	   *arg = vgm_call_arg_const(fcinfo, argno);

	if (arg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s", option->not_constant),
				 errdetail("Use %s for a computed value.", option->summary_call)));
	if (arg->constisnull)
		aggregate_option_null(option);
	vgm_option_check(option->spec, arg->constvalue);
	return arg->constvalue;
}

/* Argument argno of a one-step aggregate's transition function, checked as its final function will. */
void
vgm_aggregate_row_option_check(FunctionCallInfo fcinfo, int argno, const VgmAggregateOption *option)
{
	if (PG_ARGISNULL(argno))
		aggregate_option_null(option);
	vgm_option_check(option->spec, PG_GETARG_DATUM(argno));
}

/* Raise the error of an engine status other than VGM_OK. */
void
vgm_fit_status_check(int status, size_t n, const char *type_name)
{
	if (status == VGM_OK)
		return;
	if (status == VGM_ERR_NOMEM)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while fitting a %s", type_name),
				 errdetail("The fit needed working memory for %zu points.", n)));
	/* the interrupt hook stopped the engine: raise the pending cancel itself */
	if (status == VGM_ERR_INTERRUPTED)
		CHECK_FOR_INTERRUPTS();
	ereport(ERROR,
			(errcode(status == VGM_ERR_OVERFLOW ? ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE
					 : status == VGM_ERR_EMPTY || status == VGM_ERR_SINGULAR ? ERRCODE_DATA_EXCEPTION
					 : ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("cannot fit a %s: %s", type_name, vgm_status_message(status)),
			 status == VGM_ERR_OVERFLOW
			 ? errdetail("Squared deviations of %zu points exceed the double range; values up to about 1e150 in magnitude can be fitted.", n)
			 : errdetail("The fit saw %zu points.", n)));
}

/* Milliseconds of a monotonic clock. */
double
vgm_fit_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* The fit's columns of a diagnostics record (fit_shared.h). */
void
vgm_fit_diagnostic_values(Datum *values, int32 iterations, bool converged,
						  double lower_bound, double total_weight, double fit_ms)
{
	values[0] = Int32GetDatum(iterations);
	values[1] = BoolGetDatum(converged);
	values[2] = Float8GetDatum(lower_bound);
	values[3] = Float8GetDatum(total_weight > 0 ? lower_bound / total_weight : 0.0);
	values[4] = Float8GetDatum(fit_ms);
}
