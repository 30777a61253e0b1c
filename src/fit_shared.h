/*
 * fit_shared.h - what the one-dimensional fit (fit.c) and the joint fit
 *                (joint_fit.c) share at the SQL level: their option
 *                arguments as a table with one checker, the planner support
 *                that runs that checker on a call's constants, the constant
 *                option of a one-step aggregate, the errors of an engine
 *                status and the clock a fit is timed with.
 *
 * Each fit describes its options once, as a table of VgmOptionSpec rows
 * (name, argument position, type, allowed range, where the value goes in
 * its own options struct); the run-time checker and the planner support
 * both read that one table, and the rows of the options both fits take are
 * written once (VGM_FIT_COMMON_OPTION_SPECS), so an option's range and its
 * message cannot drift between the run-time check, the plan-time check and
 * the two fits.
 */
#ifndef VGM_FIT_SHARED_H
#define VGM_FIT_SHARED_H

#include "postgres.h"
#include "fmgr.h"
#include "nodes/nodes.h"

/* The SQL type of an option argument. */
typedef enum VgmOptionType
{
	VGM_OPTION_INT32,
	VGM_OPTION_INT64,
	VGM_OPTION_FLOAT8,
	VGM_OPTION_BOOL
} VgmOptionType;

/* The values an option accepts; each has its one error message. */
typedef enum VgmOptionRange
{
	VGM_RANGE_ANY,				/* every value of the type (seed, atoms) */
	VGM_RANGE_COUNT,			/* an integer from 1 to max */
	VGM_RANGE_POSITIVE,			/* a positive finite number */
	VGM_RANGE_NON_NEGATIVE,		/* a non-negative finite number */
	VGM_RANGE_FRACTION,			/* a number in [0, 1) */
	VGM_RANGE_SHARE				/* a number in (0, 1] */
} VgmOptionRange;

/* One option argument of a fit. */
typedef struct VgmOptionSpec
{
	const char *name;
	int			arg;			/* its position in the SQL call */
	VgmOptionType type;
	VgmOptionRange range;
	int32		max;			/* VGM_RANGE_COUNT: the largest value */
	size_t		offset;			/* where it goes in the fit's options struct */
	const char *meaning;		/* said after the value out of range, or NULL */
} VgmOptionSpec;

/* The options of one fit function, checked in this order. */
typedef struct VgmOptionTable
{
	const char *function;		/* named in the error of a NULL option */
	const VgmOptionSpec *specs;
	int			n;
} VgmOptionTable;

/*
 * The rows of the six options both fits take at arguments 1 to 6
 * (max_components up to max_k, weight_concentration_prior,
 * weight_threshold, max_iter, tol, seed), for an options struct Options
 * with the members engine.max_components, engine.weight_concentration_prior,
 * weight_threshold, engine.max_iter, engine.tol and engine.seed.  Written
 * once so that the two fits cannot come to differ in a range or a message;
 * each fit's table adds its own later options (n_init, init, reg_covar,
 * atoms).
 */
#define VGM_FIT_COMMON_OPTION_SPECS(Options, max_k) \
	{"max_components", 1, VGM_OPTION_INT32, VGM_RANGE_COUNT, (max_k), \
	offsetof(Options, engine.max_components)}, \
	{"weight_concentration_prior", 2, VGM_OPTION_FLOAT8, VGM_RANGE_POSITIVE, 0, \
	offsetof(Options, engine.weight_concentration_prior)}, \
	{"weight_threshold", 3, VGM_OPTION_FLOAT8, VGM_RANGE_FRACTION, 0, \
	offsetof(Options, weight_threshold)}, \
	{"max_iter", 4, VGM_OPTION_INT32, VGM_RANGE_COUNT, VGM_FIT_MAX_ITER, \
	offsetof(Options, engine.max_iter)}, \
	{"tol", 5, VGM_OPTION_FLOAT8, VGM_RANGE_NON_NEGATIVE, 0, \
	offsetof(Options, engine.tol)}, \
	{"seed", 6, VGM_OPTION_INT64, VGM_RANGE_ANY, 0, \
	offsetof(Options, engine.seed)}

/* The most iterations a fit may be asked for. */
#define VGM_FIT_MAX_ITER 1000000

/* The row of max_components in a table that starts with the common rows. */
#define VGM_MAX_COMPONENTS_SPEC(specs) (&(specs)[0])

/*
 * Read every option of the table from fcinfo into the options struct:
 * first the NULL test of each (a NULL option is an error: omitting the
 * argument gives the default), then the range of each.
 */
extern void vgm_options_read(FunctionCallInfo fcinfo, const VgmOptionTable *table,
							 void *options);

/* Raise the error of a value outside the option's range. */
extern void vgm_option_check(const VgmOptionSpec *spec, Datum value);

/*
 * The planner support of a fit (SupportRequestSimplify; other requests are
 * ignored): the options of the tables that the call gives as constants are
 * checked while planning, with the errors the fit raises at run time, so a
 * bad option fails before the scan that builds the summary.  Returns what
 * a support function returns: NULL, the call is not replaced.
 */
extern Node *vgm_options_check_planned(Node *request, const VgmOptionTable *const *tables,
									   int ntables);

/*
 * How a one-step aggregate (vgm_fit(x, k), vgm_fit(x, atoms), ...) names
 * one of its options in the errors of a computed or a NULL value: such an
 * aggregate has no combine function, so its Aggref keeps its arguments and
 * the option must be a constant of the call.
 */
typedef struct VgmAggregateOption
{
	const VgmOptionSpec *spec;	/* its range */
	const char *not_constant;	/* the error of a computed value */
	const char *summary_call;	/* the form that takes a computed value */
	const char *not_null;		/* the error of a NULL */
	const char *default_hint;	/* what omitting it gives */
} VgmAggregateOption;

/* The constant argument argno of a one-step aggregate's call, checked. */
extern Datum vgm_aggregate_option(FunctionCallInfo fcinfo, int argno,
								  const VgmAggregateOption *option);

/*
 * The same checks of argument argno as the transition function sees it on
 * the first row, so that a bad option stops the scan at once.
 */
extern void vgm_aggregate_row_option_check(FunctionCallInfo fcinfo, int argno,
										   const VgmAggregateOption *option);

/*
 * Raise the error of an engine status other than VGM_OK; type_name is the
 * model being fitted and n the points the engine saw.
 */
extern void vgm_fit_status_check(int status, size_t n, const char *type_name);

/* Milliseconds of a monotonic clock: the fit_ms a model records. */
extern double vgm_fit_clock_ms(void);

/*
 * The five columns of a fit in the diagnostics record of both model types,
 * in their order: iterations, converged, the lower bound, the lower bound
 * per unit of weight (0 for a model of no weight) and the fit's milliseconds.
 */
extern void vgm_fit_diagnostic_values(Datum *values, int32 iterations, bool converged,
									  double lower_bound, double total_weight, double fit_ms);

#endif							/* VGM_FIT_SHARED_H */
