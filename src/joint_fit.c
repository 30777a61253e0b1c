/*
 * joint_fit.c - the joint fit in SQL: vgm_joint_fit(vgm_joint_summary,
 *               options...), the one-step aggregate vgm_joint_fit(float8[])
 *               and the planner support that checks constant options before
 *               the scan.
 *
 * A fit turns the summary's cells into the engine's weighted points (weight,
 * mean, within-cell covariance = scatter / weight; joint_summary_core.h),
 * runs the joint VB-EM engine (joint_vbem.h) with the options (on a summary
 * of more than 4,096 cells in two levels, joint_levels.h), and stores
 * the posterior as a vgm_joint_model (joint_model.h) with the summary's
 * per-column range, when it has one; vgm_joint_fit(float8[],
 * int) is the one-step aggregate with a constant number of components.  The options and their
 * defaults are those of the one-dimensional vgm_fit where they apply
 * (max_components, weight_concentration_prior, weight_threshold, max_iter,
 * tol, seed, n_init), plus reg_covar.  A summary without rows fits to NULL
 * with a NOTICE given once per statement, as the one-dimensional fit does.
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "fit_shared.h"
#include "joint_levels.h"
#include "joint_model.h"
#include "joint_summary.h"
#include "model_cache.h"
#include "statement_mark.h"
#include "vgm.h"

PG_FUNCTION_INFO_V1(vgm_joint_fit_summary);
PG_FUNCTION_INFO_V1(vgm_joint_fit_final);
PG_FUNCTION_INFO_V1(vgm_joint_fit_support);

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

/*
 * The options of vgm_joint_fit(summary, ...), arguments 1 to 8, with the
 * ranges and messages of vgm_fit's (fit_shared.h).
 */
static const VgmOptionSpec joint_option_specs[] = {
	VGM_FIT_COMMON_OPTION_SPECS(JointSqlOptions, VGM_JOINT_MAX_COMPONENTS),
	{"n_init", 7, VGM_OPTION_INT32, VGM_RANGE_COUNT, 100,
	offsetof(JointSqlOptions, engine.n_init)},
	{"reg_covar", 8, VGM_OPTION_FLOAT8, VGM_RANGE_NON_NEGATIVE, 0,
	offsetof(JointSqlOptions, engine.reg_covar)},
};

static const VgmOptionTable joint_options = {"vgm_joint_fit", joint_option_specs,
lengthof(joint_option_specs)};

/* Read and validate the options at arguments 1 .. 8. */
static void
joint_read_options(FunctionCallInfo fcinfo, JointSqlOptions *o)
{
	joint_default_options(o);
	vgm_options_read(fcinfo, &joint_options, o);
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
	VgmJointFitOptions opt = o->engine;
	VgmJointModelView model;
	VgmJointFitInfo info;
	VgmJointLevelsInfo levels;
	double		start = vgm_fit_clock_ms();

	opt.check_interrupt = vgm_engine_check_interrupts;
	opt.interrupt_arg = NULL;
	opt.alloc = vgm_palloc_allocator();
	memset(&model, 0, sizeof(model));
	if (vgm_joint_posterior_alloc(&model.post, opt.max_components, v->d, opt.alloc) != VGM_OK)
		vgm_fit_status_check(VGM_ERR_NOMEM, v->n, "vgm_joint_model");
	vgm_fit_status_check(vgm_joint_fit_levels(v, &opt, &model.post, &info, &levels), v->n,
						 "vgm_joint_model");

	/* the columns' training range when the summary knows it (joint_model_codec.h) */
	model.hdr.version = v->has_range ? VGM_JOINT_MODEL_FORMAT_VERSION_RANGE : VGM_JOINT_MODEL_FORMAT_VERSION;
	if (v->has_range)
	{
		memcpy(model.hdr.col_min, v->col_min, sizeof(double) * v->d);
		memcpy(model.hdr.col_max, v->col_max, sizeof(double) * v->d);
	}
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
	model.hdr.fit_ms = vgm_fit_clock_ms() - start;
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
						info.converged ? "converged" : "not converged", model.hdr.fit_ms),
				 levels.screen_cells > 0
				 ? errdetail("The starts were screened on %zu cells (shift %d, %d iterations of the winner).",
							 levels.screen_cells, levels.screen_shift, levels.screen_iterations)
				 : 0));
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
	static const VgmOptionTable *const tables[] = {&joint_options};

	PG_RETURN_POINTER(vgm_options_check_planned((Node *) PG_GETARG_POINTER(0), tables,
												lengthof(tables)));
}

/*
 * The fit of the joint summary argument 0 with the options, or NULL with a
 * NOTICE when it has no rows: the last step of the function and the
 * one-step aggregates alike.
 */
static Datum
fit_summary_arg(FunctionCallInfo fcinfo, const JointSqlOptions *o)
{
	VgmJointSummaryView v = {0};

	if (!PG_ARGISNULL(0))
	{
		vgm_joint_summary_get_view(PG_GETARG_DATUM(0), &v);
		if (v.rows > 0)
			PG_RETURN_DATUM(fit_view(&v, o));
	}
	notice_null_fit(v.skipped);
	PG_RETURN_NULL();
}

/* vgm_joint_fit(vgm_joint_summary, options...): fit a summary. */
Datum
vgm_joint_fit_summary(PG_FUNCTION_ARGS)
{
	JointSqlOptions o;

	joint_read_options(fcinfo, &o);
	return fit_summary_arg(fcinfo, &o);
}

/* max_components of the one-step aggregate vgm_joint_fit(row, k). */
static const VgmAggregateOption aggregate_components = {
	VGM_MAX_COMPONENTS_SPEC(joint_option_specs),
	"the number of components of vgm_joint_fit must be a constant",
	"vgm_joint_fit(vgm_joint_summarize(row), max_components => ...)",
	"the number of components of vgm_joint_fit must not be null",
	"Omit the argument to use 10 components."
};

/*
 * Final function of the one-step aggregates vgm_joint_fit(float8[]) (the
 * defaults) and vgm_joint_fit(float8[], int) (max_components from the
 * call's constant second argument).
 */
Datum
vgm_joint_fit_final(PG_FUNCTION_ARGS)
{
	JointSqlOptions o;

	joint_default_options(&o);
	if (PG_NARGS() > 1)
		o.engine.max_components = DatumGetInt32(vgm_aggregate_option(fcinfo, 1, &aggregate_components));
	return fit_summary_arg(fcinfo, &o);
}
