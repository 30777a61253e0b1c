/*
 * joint_fit.c - the joint fit in SQL: vgm_joint_fit(vgm_joint_summary,
 *               options...), the one-step aggregate vgm_joint_fit(float8[])
 *               and the planner support that checks constant options before
 *               the scan.
 *
 * A fit turns the summary's cells into the engine's weighted points (weight,
 * mean, within-cell covariance = scatter / weight; joint_summary_core.h),
 * runs the joint VB-EM engine (joint_vbem.h) with the options, and stores
 * the posterior as a vgm_joint_model (joint_model.h); vgm_joint_fit(float8[],
 * int) is the one-step aggregate with a constant number of components.  The options and their
 * defaults are those of the one-dimensional vgm_fit where they apply
 * (max_components, weight_concentration_prior, weight_threshold, max_iter,
 * tol, seed, n_init), plus reg_covar.  A summary without rows fits to NULL
 * with a NOTICE given once per statement, as the one-dimensional fit does.
 */
#include "postgres.h"

#include <math.h>
#include <time.h>

#include "miscadmin.h"
#include "nodes/primnodes.h"
#include "nodes/supportnodes.h"
#include "utils/builtins.h"

#include "joint_model.h"
#include "joint_summary.h"
#include "model_cache.h"
#include "statement_mark.h"
#include "vgm.h"

PG_FUNCTION_INFO_V1(vgm_joint_fit_summary);
PG_FUNCTION_INFO_V1(vgm_joint_fit_final);
PG_FUNCTION_INFO_V1(vgm_joint_fit_support);

/* Arguments of vgm_joint_fit(summary, the eight options). */
#define JOINT_FIT_NARGS 9

/* Options as SQL passes them, after validation. */
typedef struct JointSqlOptions
{
	VgmJointFitOptions engine;
	double		weight_threshold;
} JointSqlOptions;

/* Defaults of both fits (those of vgm_fit where they apply). */
static void
joint_default_options(JointSqlOptions *o)
{
	vgm_joint_fit_options_default(&o->engine);
	o->weight_threshold = 0.005;
}

/* Error for a NULL option argument. */
static void
require_option(FunctionCallInfo fcinfo, int arg, const char *name)
{
	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("vgm_joint_fit option \"%s\" must not be null", name),
				 errdetail("Omit the argument to use its default.")));
}

/*
 * Read and validate the options at arguments first .. first + 7:
 * max_components, weight_concentration_prior, weight_threshold, max_iter,
 * tol, seed, n_init, reg_covar.
 */
static void
joint_read_options(FunctionCallInfo fcinfo, int first, JointSqlOptions *o)
{
	static const char *const names[] = {"max_components", "weight_concentration_prior",
		"weight_threshold", "max_iter", "tol", "seed", "n_init", "reg_covar"};
	int32		max_components;
	double		wcp;
	double		threshold;
	int32		max_iter;
	double		tol;
	int32		n_init;
	double		reg_covar;

	joint_default_options(o);
	for (int i = 0; i < (int) lengthof(names); i++)
		require_option(fcinfo, first + i, names[i]);
	max_components = PG_GETARG_INT32(first);
	wcp = PG_GETARG_FLOAT8(first + 1);
	threshold = PG_GETARG_FLOAT8(first + 2);
	max_iter = PG_GETARG_INT32(first + 3);
	tol = PG_GETARG_FLOAT8(first + 4);
	n_init = PG_GETARG_INT32(first + 6);
	reg_covar = PG_GETARG_FLOAT8(first + 7);

	if (max_components < 1 || max_components > VGM_JOINT_MAX_COMPONENTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_components must be between 1 and %d", VGM_JOINT_MAX_COMPONENTS),
				 errdetail("The value given was %d.", max_components)));
	if (!(wcp > 0.0) || !isfinite(wcp))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight_concentration_prior must be a positive finite number"),
				 errdetail("The value given was %g.", wcp)));
	if (!(threshold >= 0.0 && threshold < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight_threshold must be in [0, 1)"),
				 errdetail("The value given was %g.", threshold)));
	if (max_iter < 1 || max_iter > 1000000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_iter must be between 1 and 1000000"),
				 errdetail("The value given was %d.", max_iter)));
	if (!(tol >= 0.0) || !isfinite(tol))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tol must be a non-negative finite number"),
				 errdetail("The value given was %g.", tol)));
	if (n_init < 1 || n_init > 100)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_init must be between 1 and 100"),
				 errdetail("The value given was %d.", n_init)));
	if (!(reg_covar >= 0.0) || !isfinite(reg_covar))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reg_covar must be a non-negative finite number"),
				 errdetail("The value given was %g.", reg_covar)));
	o->engine.max_components = max_components;
	o->engine.weight_concentration_prior = wcp;
	o->engine.max_iter = max_iter;
	o->engine.tol = tol;
	o->engine.seed = (uint64) PG_GETARG_INT64(first + 5);
	o->engine.n_init = n_init;
	o->engine.reg_covar = reg_covar;
	o->weight_threshold = threshold;
}

/* Milliseconds of a monotonic clock. */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Raise the error of an engine status. */
static void
joint_status_check(int status, size_t n)
{
	if (status == VGM_OK)
		return;
	if (status == VGM_ERR_NOMEM)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while fitting a vgm_joint_model"),
				 errdetail("The fit needed working memory for %zu points.", n)));
	if (status == VGM_ERR_INTERRUPTED)
		CHECK_FOR_INTERRUPTS();
	ereport(ERROR,
			(errcode(status == VGM_ERR_OVERFLOW ? ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE
					 : status == VGM_ERR_EMPTY || status == VGM_ERR_SINGULAR ? ERRCODE_DATA_EXCEPTION
					 : ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("cannot fit a vgm_joint_model: %s", vgm_status_message(status)),
			 status == VGM_ERR_OVERFLOW
			 ? errdetail("Squared deviations of the %zu points exceed the double range; values up to about 1e150 in magnitude can be fitted.", n)
			 : errdetail("The fit saw %zu points.", n)));
}

/* The mark of the empty-fit NOTICE (statement_mark.h). */
static VgmStatementMark null_fit_mark;

/*
 * Say why the fit returns NULL, once per statement: a GROUP BY with many
 * empty groups gives one NOTICE, as the one-dimensional vgm_fit does.
 */
static void
notice_null_fit(int64 skipped)
{
	if (vgm_first_in_statement(&null_fit_mark))
		ereport(NOTICE,
				(errmsg("vgm_joint_fit returns NULL: there are no rows to fit"),
				 errdetail("The input is empty or every row was skipped (%lld rows with a NULL). "
						   "Other NULL fits of this statement are not reported.",
						   (long long) skipped)));
}

/* Fit a summary's cells and build the model datum. */
static Datum
fit_view(const VgmJointSummaryView *v, const JointSqlOptions *o)
{
	double	   *weight = palloc(Max(v->n, 1) * sizeof(double));
	double	   *mean = palloc(Max(v->n, 1) * v->d * sizeof(double));
	double	   *cov = palloc(Max(v->n, 1) * v->d * v->d * sizeof(double));
	VgmJointPoints pts;
	VgmJointFitOptions opt = o->engine;
	VgmJointModelView model;
	VgmJointFitInfo info;
	double		start = now_ms();

	vgm_joint_summary_points(v, weight, mean, cov, &pts);
	opt.check_interrupt = vgm_engine_check_interrupts;
	opt.interrupt_arg = NULL;
	opt.alloc = vgm_palloc_allocator();
	memset(&model, 0, sizeof(model));
	if (vgm_joint_posterior_alloc(&model.post, opt.max_components, v->d, opt.alloc) != VGM_OK)
		joint_status_check(VGM_ERR_NOMEM, v->n);
	joint_status_check(vgm_joint_fit(&pts, &opt, &model.post, &info), v->n);

	model.hdr.version = VGM_JOINT_MODEL_FORMAT_VERSION;
	model.hdr.d = v->d;
	model.hdr.k = model.post.k;
	model.hdr.iterations = info.iterations;
	model.hdr.converged = info.converged ? 1 : 0;
	model.hdr.max_iter = opt.max_iter;
	model.hdr.n_init = opt.n_init;
	model.hdr.seed = opt.seed;
	model.hdr.tol = opt.tol;
	model.hdr.weight_threshold = o->weight_threshold;
	model.hdr.priors = info.priors;
	model.hdr.lower_bound = info.lower_bound;
	model.hdr.rows = v->rows;
	model.hdr.points = (int64) v->n;
	model.hdr.skipped_rows = v->skipped;
	model.hdr.total_weight = info.total_weight;
	model.hdr.fit_ms = now_ms() - start;
	{
		char		msg[256];
		char		detail[256];

		/* what the fit stores must read back: the model's own validator */
		if (vgm_joint_model_validate(&model, msg, sizeof(msg), detail, sizeof(detail)) != VGM_TEXT_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("vgm_joint_fit produced an invalid model: %s", msg),
					 errdetail("%s", detail)));
	}
	if (vgm_log_fits_level >= 0)
		ereport(vgm_log_fits_level,
				(errmsg("vgm joint fit: %lld rows, %zu cells, d %d, %d components, %d iterations, %s, %.1f ms",
						(long long) v->rows, v->n, v->d, model.hdr.k, info.iterations,
						info.converged ? "converged" : "not converged", model.hdr.fit_ms)));
	return vgm_joint_model_datum(&model);
}

/*
 * Planner support of vgm_joint_fit(summary, options...): options given as
 * constants are checked while the query is planned, so a bad one fails
 * before the scan that builds the summary.  Non-constant options are
 * checked at run time.
 */
Datum
vgm_joint_fit_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);

	if (IsA(rawreq, SupportRequestSimplify))
	{
		FuncExpr   *call = ((SupportRequestSimplify *) rawreq)->fcall;

		if (list_length(call->args) == JOINT_FIT_NARGS)
		{
			LOCAL_FCINFO(check, JOINT_FIT_NARGS);
			JointSqlOptions o;
			JointSqlOptions defaults;
			Datum		fallback[JOINT_FIT_NARGS];
			ListCell   *lc;
			int			i = 0;

			joint_default_options(&defaults);
			fallback[0] = (Datum) 0;
			fallback[1] = Int32GetDatum(defaults.engine.max_components);
			fallback[2] = Float8GetDatum(defaults.engine.weight_concentration_prior);
			fallback[3] = Float8GetDatum(defaults.weight_threshold);
			fallback[4] = Int32GetDatum(defaults.engine.max_iter);
			fallback[5] = Float8GetDatum(defaults.engine.tol);
			fallback[6] = Int64GetDatum((int64) defaults.engine.seed);
			fallback[7] = Int32GetDatum(defaults.engine.n_init);
			fallback[8] = Float8GetDatum(defaults.engine.reg_covar);
			InitFunctionCallInfoData(*check, NULL, JOINT_FIT_NARGS, InvalidOid, NULL, NULL);
			foreach(lc, call->args)
			{
				Node	   *arg = (Node *) lfirst(lc);

				if (i != 0 && IsA(arg, Const))
				{
					check->args[i].value = ((Const *) arg)->constvalue;
					check->args[i].isnull = ((Const *) arg)->constisnull;
				}
				else
				{
					check->args[i].value = fallback[i];
					check->args[i].isnull = (i == 0);
				}
				i++;
			}
			joint_read_options(check, 1, &o);
		}
	}
	PG_RETURN_POINTER(NULL);
}

/* vgm_joint_fit(vgm_joint_summary, options...): fit a summary. */
Datum
vgm_joint_fit_summary(PG_FUNCTION_ARGS)
{
	JointSqlOptions o;
	VgmJointSummaryView v;

	joint_read_options(fcinfo, 1, &o);
	if (PG_ARGISNULL(0))
	{
		notice_null_fit(0);
		PG_RETURN_NULL();
	}
	vgm_joint_summary_get_view(PG_GETARG_DATUM(0), &v);
	if (v.rows == 0)
	{
		notice_null_fit(v.skipped);
		PG_RETURN_NULL();
	}
	PG_RETURN_DATUM(fit_view(&v, &o));
}

/*
 * Final function of the one-step aggregates vgm_joint_fit(float8[]) (the
 * defaults) and vgm_joint_fit(float8[], int) (max_components from the
 * call's constant second argument; that aggregate has no combine function,
 * so its Aggref always carries its arguments).
 */
Datum
vgm_joint_fit_final(PG_FUNCTION_ARGS)
{
	JointSqlOptions o;
	VgmJointSummaryView v;

	joint_default_options(&o);
	if (PG_NARGS() > 1)
	{
		Const	   *k_arg = vgm_call_arg_const(fcinfo, 1);

		if (k_arg == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("the number of components of vgm_joint_fit must be a constant"),
					 errdetail("Use vgm_joint_fit(vgm_joint_summarize(row), max_components => ...) for a computed value.")));
		if (k_arg->constisnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the number of components of vgm_joint_fit must not be null"),
					 errdetail("Omit the argument to use 10 components.")));
		o.engine.max_components = DatumGetInt32(k_arg->constvalue);
		if (o.engine.max_components < 1 || o.engine.max_components > VGM_JOINT_MAX_COMPONENTS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_components must be between 1 and %d", VGM_JOINT_MAX_COMPONENTS),
					 errdetail("The value given was %d.", o.engine.max_components)));
	}
	if (PG_ARGISNULL(0))
	{
		notice_null_fit(0);
		PG_RETURN_NULL();
	}
	vgm_joint_summary_get_view(PG_GETARG_DATUM(0), &v);
	if (v.rows == 0)
	{
		notice_null_fit(v.skipped);
		PG_RETURN_NULL();
	}
	PG_RETURN_DATUM(fit_view(&v, &o));
}
