/*
 * fit.c - fitting entry points: option validation, the engine call with
 *         cancel support, vgm_fit over a float8[] array, and the fit of a
 *         summary, with or without atoms.
 *
 * Atoms (atoms => true): the values holding at least atom_share of a
 * summary's weight that are spikes against their neighbours (its exact
 * heavy values and the spike rule, heavy_core.h) become zero-width
 * components; their rows leave the buckets that held them, the mixture is
 * fitted to the rest (with the changes of mixture_of_atoms_fit: a prior of
 * one component's spread, lattice values as intervals, a quantile start),
 * and the model carries each atom with weight count / total and the mixture
 * weights times the rest's share.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "nodes/nodeFuncs.h"
#include "nodes/primnodes.h"
#include "nodes/pg_list.h"
#include "nodes/supportnodes.h"
#include "utils/builtins.h"

#include "fit.h"
#include "fit_shared.h"
#include "heavy_core.h"
#include "model_cache.h"
#include "statement_mark.h"
#include "summary.h"
#include "vgm.h"
#include "weights_core.h"

PG_FUNCTION_INFO_V1(vgm_fit_array);
PG_FUNCTION_INFO_V1(vgm_fit_summary);
PG_FUNCTION_INFO_V1(vgm_fit_final);

/* Defaults of the one-step aggregate. */
void
vgm_default_sql_fit_options(VgmSqlFitOptions *options)
{
	vgm_fit_options_default(&options->engine);
	options->engine.n_init = VGM_DEFAULT_N_INIT;
	options->engine.start_iter = VGM_START_ITER;
	options->weight_threshold = 0.005;
	options->init = NULL;
	options->atoms = false;
	options->atom_share = VGM_DEFAULT_ATOM_SHARE;
}

/*
 * The options of vgm_fit(data or summary, max_components,
 * weight_concentration_prior, weight_threshold, max_iter, tol, seed, init,
 * n_init): every argument but the data and the init model, which is not a
 * number to check (fit_shared.h).
 */
static const VgmOptionSpec fit_option_specs[] = {
	VGM_FIT_COMMON_OPTION_SPECS(VgmSqlFitOptions, VGM_MAX_COMPONENTS),
	{"n_init", 8, VGM_OPTION_INT32, VGM_RANGE_COUNT, VGM_MAX_N_INIT,
	offsetof(VgmSqlFitOptions, engine.n_init)},
};

/* The position of the init model among the arguments of vgm_fit. */
#define FIT_INIT_ARG 7

static const VgmOptionTable fit_options = {"vgm_fit", fit_option_specs, lengthof(fit_option_specs)};

/* vgm_fit(summary, ...) also has the two atom options, after the eight others. */
static const VgmOptionSpec atom_option_specs[] = {
	{"atoms", 9, VGM_OPTION_BOOL, VGM_RANGE_ANY, 0, offsetof(VgmSqlFitOptions, atoms)},
	{"atom_share", 10, VGM_OPTION_FLOAT8, VGM_RANGE_SHARE, 0,
		offsetof(VgmSqlFitOptions, atom_share),
	"a value becomes an atom when it holds at least this share of the rows"},
};

static const VgmOptionTable atom_options = {"vgm_fit", atom_option_specs, lengthof(atom_option_specs)};

/*
 * ... and scikit-learn's three prior parameters of the mixture, after the
 * atom options (of vgm_fit(float8[], ...): after n_init).  0 (the default)
 * takes scikit-learn's default: the unbiased variance of the values the
 * mixture is fitted to, a mean precision of 1 and one degree of freedom;
 * scikit-learn requires each to be positive, so 0 is free to mean
 * "default".  With atoms the default covariance prior is that variance (of
 * the rows off the atoms) over max_components^2 (mixture_of_atoms_fit,
 * docs/accuracy.md section 10.6).  The three rows from the position of the
 * first, written once for both forms:
 */
#define PRIOR_OPTION_SPECS(first_arg) \
	{"covariance_prior", (first_arg), VGM_OPTION_FLOAT8, VGM_RANGE_NON_NEGATIVE, 0, \
		offsetof(VgmSqlFitOptions, engine.covariance_prior), \
	"it is the scale of the Wishart prior of the variances, 0 for the default"}, \
	{"mean_precision_prior", (first_arg) + 1, VGM_OPTION_FLOAT8, VGM_RANGE_NON_NEGATIVE, 0, \
		offsetof(VgmSqlFitOptions, engine.mean_precision_prior), \
	"it is the precision of the normal prior of the means, 0 for the default 1"}, \
	{"degrees_of_freedom_prior", (first_arg) + 2, VGM_OPTION_FLOAT8, VGM_RANGE_NON_NEGATIVE, 0, \
		offsetof(VgmSqlFitOptions, engine.degrees_of_freedom_prior), \
	"it is the degrees of freedom of the Wishart prior, 0 for the default 1"}

static const VgmOptionSpec prior_option_specs[] = {PRIOR_OPTION_SPECS(11)};

static const VgmOptionTable prior_options = {"vgm_fit", prior_option_specs, lengthof(prior_option_specs)};

/* vgm_fit(float8[], ...) has no atom options: its prior options follow n_init. */
static const VgmOptionSpec array_prior_option_specs[] = {PRIOR_OPTION_SPECS(9)};

static const VgmOptionTable array_prior_options = {"vgm_fit", array_prior_option_specs,
lengthof(array_prior_option_specs)};

/* Arguments of vgm_fit(float8[], the eight options, the three prior options). */
#define FIT_ARRAY_PRIOR_NARGS 12

/* The options of the one-step aggregates vgm_fit(x, k) and vgm_fit(x, atoms [, atom_share]). */
static const VgmAggregateOption aggregate_components = {
	VGM_MAX_COMPONENTS_SPEC(fit_option_specs),
	"the number of components of vgm_fit must be a constant",
	"vgm_fit(vgm_summarize(x), max_components => ...)",
	"the number of components of vgm_fit must not be null",
	"Omit the argument to use 10 components."
};
static const VgmAggregateOption aggregate_atoms = {
	&atom_option_specs[0],
	"the option \"atoms\" of the aggregate vgm_fit must be a constant",
	"vgm_fit(vgm_summarize(x), atoms => ...)",
	"vgm_fit option \"atoms\" must not be null",
	"Omit the argument to use its default."
};
static const VgmAggregateOption aggregate_atom_share = {
	&atom_option_specs[1],
	"the option \"atom_share\" of the aggregate vgm_fit must be a constant",
	"vgm_fit(vgm_summarize(x), atom_share => ...)",
	"vgm_fit option \"atom_share\" must not be null",
	"Omit the argument to use its default."
};

static const VgmAggregateOption aggregate_covariance_prior = {
	&prior_option_specs[0],
	"the option \"covariance_prior\" of the aggregate vgm_fit must be a constant",
	"vgm_fit(vgm_summarize(x), covariance_prior => ...)",
	"vgm_fit option \"covariance_prior\" must not be null",
	"Omit the argument to use its default."
};

/* Read and validate the atom options. */
void
vgm_read_atom_options(FunctionCallInfo fcinfo, VgmSqlFitOptions *options)
{
	vgm_options_read(fcinfo, &atom_options, options);
}

/* Read and validate the prior options. */
void
vgm_read_prior_options(FunctionCallInfo fcinfo, VgmSqlFitOptions *options)
{
	vgm_options_read(fcinfo, &prior_options, options);
}

/* Read and validate the standard option arguments. */
void
vgm_read_fit_options(FunctionCallInfo fcinfo, VgmSqlFitOptions *options)
{
	vgm_default_sql_fit_options(options);
	vgm_options_read(fcinfo, &fit_options, options);
	options->init = PG_ARGISNULL(FIT_INIT_ARG) ? NULL : PG_GETARG_VGM_MODEL_P(FIT_INIT_ARG);
}

/* The atoms of a fit and the share of the weight the mixture keeps. */
typedef struct FitAtoms
{
	int			n;
	double		values[VGM_MAX_ATOMS];
	double		weights[VGM_MAX_ATOMS];	/* shares of the total weight */
	double		rest_share;		/* the mixture's share */
	double		atom_rows;		/* rows of the atoms, in the units of total_weight */
} FitAtoms;

static VgmModel *model_from_result(const VgmFitResult *result, const VgmFitOptions *opt,
								   const VgmSqlFitOptions *options,
								   const VgmModelHeader *training, size_t n, double start,
								   const FitAtoms *atoms);

/* Fit the points and build the model. */
VgmModel *
vgm_fit_points(const VgmPoint *pts, size_t n, const VgmSqlFitOptions *options,
			   const VgmModelHeader *training)
{
	VgmFitOptions opt = options->engine;
	VgmFitResult *result = palloc(sizeof(VgmFitResult));
	double		start = vgm_fit_clock_ms();

	opt.check_interrupt = vgm_engine_check_interrupts;
	opt.interrupt_arg = NULL;
	if (options->init)
	{
		opt.init = options->init->comp;
		opt.init_k = options->init->hdr.k;
	}
	vgm_fit_status_check(vgm_fit(pts, n, &opt, result, vgm_palloc_allocator()), n, "vgm_model");
	return model_from_result(result, &opt, options, training, n, start, NULL);
}

/*
 * Build the stored model from an engine result; with atoms, NULL when no
 * mixture weight, scaled to the rest's share, exceeds the weight threshold
 * (a model with atoms keeps a valid mixture component, model_codec.h).
 */
static VgmModel *
model_from_result(const VgmFitResult *result, const VgmFitOptions *opt,
				  const VgmSqlFitOptions *options, const VgmModelHeader *training,
				  size_t n, double start, const FitAtoms *atoms)
{
	VgmModelHeader hdr;

	hdr = *training;
	vgm_model_header_set_fit(&hdr, result->k, result->iterations, result->converged,
							 opt->max_iter, opt->seed, opt->tol, options->weight_threshold);
	hdr.priors = result->priors;
	hdr.lower_bound = result->lower_bound;
	hdr.total_weight = result->total_weight;
	hdr.buckets = (int64) n;
	hdr.fit_ms = vgm_fit_clock_ms() - start;
	if (vgm_log_fits_level >= 0)
		ereport(vgm_log_fits_level,
				(errmsg("vgm fit: %lld rows, %zu points, %d components, %d iterations, %s, lower bound per weight %.9g, %.1f ms",
						(long long) hdr.rows, n, hdr.k, hdr.iterations,
						hdr.converged ? "converged" : "not converged",
						hdr.total_weight > 0 ? hdr.lower_bound / hdr.total_weight : 0.0,
						hdr.fit_ms)));
	if (atoms != NULL && atoms->n > 0)
	{
		VgmModelView view;
		double		weights[VGM_MAX_COMPONENTS];
		bool		valid = false;
		char		msg[256];
		char		detail[256];

		for (int j = 0; j < result->k; j++)
		{
			weights[j] = result->weights[j] * atoms->rest_share;
			valid = valid || weights[j] > options->weight_threshold;
		}
		if (!valid)
			return NULL;
		hdr.n_atoms = atoms->n;
		hdr.version = vgm_model_version_for(atoms->n);
		hdr.total_weight += atoms->atom_rows;
		view.hdr = hdr;
		view.comp = (VgmComponent *) result->comp;
		view.weights = weights;
		view.atom_values = (double *) atoms->values;
		view.atom_weights = (double *) atoms->weights;
		if (vgm_model_validate(&view, msg, sizeof(msg), detail, sizeof(detail)) != VGM_MODEL_OK)
			elog(ERROR, "vgm_fit built an invalid model with atoms: %s (%s)", msg, detail);
		return vgm_model_build_view(&view);
	}
	return vgm_model_build(&hdr, result->comp, result->weights);
}

/* Marks of the once-per-statement messages (statement_mark.h). */
static VgmStatementMark skipped_mark;
static VgmStatementMark null_mark;

/* Warn about values that were skipped: once per statement, not per group. */
static void
warn_skipped(const VgmModelHeader *training)
{
	int64		nonfinite = training->nans + training->pos_infs + training->neg_infs;

	if (nonfinite > 0 && vgm_first_in_statement(&skipped_mark))
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg_plural("vgm_fit skipped %lld non-finite value",
							   "vgm_fit skipped %lld non-finite values",
							   (unsigned long) Min(nonfinite, 1000000),
							   (long long) nonfinite),
				 errdetail("NaN: %lld, +Infinity: %lld, -Infinity: %lld. Other fits of this statement "
						   "that skip values are not reported; vgm_diagnostics(model) counts them for every model.",
						   (long long) training->nans, (long long) training->pos_infs,
						   (long long) training->neg_infs)));
}

/* Say, once per statement, that a fit of no rows at all returns NULL. */
static void
notice_no_rows(void)
{
	if (vgm_first_in_statement(&null_mark))
		ereport(NOTICE,
				(errmsg("vgm_fit returns NULL: there are no rows to fit"),
				 errdetail("The input is empty (or a summary of no rows is NULL). Other NULL fits of "
						   "this statement are not reported.")));
}

/* The mark of the inexact-atoms notice (its own, so other notices do not silence it). */
static VgmStatementMark inexact_mark;

/*
 * Say, once per statement, that a spike stays in the mixture because its
 * count is not exact (it became heavy after its summary coarsened): an atom
 * with a guessed weight would be a silent wrong answer.
 */
static void
notice_inexact_atoms(const VgmAtomsRefused *refused, double total)
{
	if (refused->inexact > 0 && vgm_first_in_statement(&inexact_mark))
		ereport(NOTICE,
				(errmsg_plural("vgm_fit keeps %zu heavy value in the mixture: its count is not exact",
							   "vgm_fit keeps %zu heavy values in the mixture: their counts are not exact",
							   (unsigned long) refused->inexact, refused->inexact),
				 errdetail("The heaviest, %.17g, has %.17g counted and up to %.17g uncounted weight of %.17g: it became "
						   "heavy after the summary coarsened, so its share is only bounded. An atom needs the bound "
						   "to be at most %g of the weight. Other fits of this statement are not reported.",
						   refused->inexact_value, refused->inexact_weight, refused->inexact_missed,
						   total, VGM_ATOM_MISSED_SHARE)));
}

/*
 * Say why a fit returns NULL (nothing finite to fit), once per statement:
 * SQL's aggregates return NULL for empty input, but a NULL model in a table
 * of models should not go unnoticed.
 */
static void
notice_null_model(const VgmModelHeader *training)
{
	if (vgm_first_in_statement(&null_mark))
		ereport(NOTICE,
				(errmsg("vgm_fit returns NULL: there are no finite values to fit"),
				 errdetail("The input held %lld NULL, %lld NaN and %lld infinite values. Other NULL "
						   "fits of this statement are not reported.",
						   (long long) training->nulls, (long long) training->nans,
						   (long long) (training->pos_infs + training->neg_infs))));
}

/*
 * vgm_fit(float8[], options...): fit the finite elements of an array.
 * NULL elements and non-finite values are skipped and counted.
 */
Datum
vgm_fit_array(PG_FUNCTION_ARGS)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *isnull;
	int			nelems;
	VgmSqlFitOptions options;
	VgmModelHeader training;
	VgmPoint   *pts;
	size_t		n = 0;
	int			i;

	vgm_read_fit_options(fcinfo, &options);
	if (PG_NARGS() >= FIT_ARRAY_PRIOR_NARGS)
		vgm_options_read(fcinfo, &array_prior_options, &options);
	if (PG_ARGISNULL(0))
	{
		notice_no_rows();
		PG_RETURN_NULL();
	}
	arr = PG_GETARG_ARRAYTYPE_P(0);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("vgm_fit expects a one-dimensional array"),
				 errdetail("The array has %d dimensions.", ARR_NDIM(arr))));
	deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &isnull, &nelems);

	memset(&training, 0, sizeof(training));
	pts = palloc(Max(nelems, 1) * sizeof(VgmPoint));
	for (i = 0; i < nelems; i++)
	{
		double		x;

		if (isnull[i])
		{
			training.nulls++;
			continue;
		}
		x = DatumGetFloat8(elems[i]);
		if (isnan(x))
			training.nans++;
		else if (isinf(x))
		{
			if (x > 0)
				training.pos_infs++;
			else
				training.neg_infs++;
		}
		else
		{
			if (n == 0 || x < training.min)
				training.min = x;
			if (n == 0 || x > training.max)
				training.max = x;
			pts[n].weight = 1.0;
			pts[n].mean = x;
			pts[n].var = 0.0;
			n++;
		}
	}
	training.rows = (int64) n;
	warn_skipped(&training);
	if (n == 0)
	{
		notice_null_model(&training);
		PG_RETURN_NULL();
	}
	PG_RETURN_VGM_MODEL_P(vgm_fit_points(pts, n, &options, &training));
}

/* Engine points from buckets: weight, mean, within-bucket variance. */
static VgmPoint *
points_from_buckets(const VgmBucket *b, size_t n)
{
	VgmPoint   *pts = palloc(Max(n, 1) * sizeof(VgmPoint));
	size_t		i;

	for (i = 0; i < n; i++)
	{
		pts[i].weight = b[i].weight;
		pts[i].mean = b[i].mean;
		/* a negligible bucket can underflow to weight 0 when rescaled; the engine skips it */
		pts[i].var = b[i].weight > 0.0 ? b[i].m2 / b[i].weight : 0.0;
	}
	return pts;
}

/*
 * Coarse-to-fine levels: a summary with more buckets than a level's target
 * is first fitted on a copy coarsened to that target (the same grid with
 * fewer bits), and each level warm-starts the next.  VB-EM can need
 * thousands of iterations where components overlap; nearly all of them run
 * on the coarsest copy, and the full summary then needs only a few.  The
 * n_init starts of a cold fit run on the first level fitted (the engine
 * screens them there and keeps the best lower bound); the finer levels only
 * refine the winner, so the extra starts cost a few hundred iterations on at
 * most 1,024 buckets.  The grid is canonical, so equal summaries give equal
 * levels and the same winner whatever plan built them.
 */
static const size_t coarse_levels[] = {1024, 8192};

/*
 * A copy of the summary's buckets with the weights rescaled to sum to its
 * row count (weights_core.h): the priors are in units of rows, so without
 * this the scale of the weights would act as a sample size.
 */
static VgmBucket *
buckets_in_rows(const VgmSummaryView *v)
{
	VgmBucket  *b = palloc(Max(v->n, 1) * sizeof(VgmBucket));
	VgmWeightScale scale;
	int			status;

	memcpy(b, v->buckets, v->n * sizeof(VgmBucket));
	status = vgm_buckets_weights_to_rows(b, v->n, v->counts.rows, &scale);
	if (status == VGM_WEIGHTS_ERR_TOTAL)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("cannot fit a vgm_model: the total weight of the summary is out of range"),
				 errdetail("The %lld rows have total weight %g; only the ratios of the weights matter, so scale them to a total between 2.2e-308 and 1.8e308, for example to a mean of 1.",
						   (long long) v->counts.rows, scale.total)));
	if (status == VGM_WEIGHTS_ERR_PRECISION)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("cannot fit a vgm_model: weights below 2.2e-308 have lost precision"),
				 errdetail("Bucket %zu has weight %g of a total weight %g; only the ratios of the weights matter, so scale them up, for example to a mean of 1.",
						   scale.bucket, scale.bucket_weight, scale.total)));
	if (status == VGM_WEIGHTS_ERR_RANGE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("cannot fit a vgm_model: the values are too large: their variance overflows a double"),
				 errdetail("Squared deviations in bucket %zu exceed the double range once its weight is rescaled to rows; values up to about 1e150 in magnitude can be fitted.",
						   scale.bucket)));
	if (status != VGM_WEIGHTS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("cannot fit a vgm_model: the summary counts %lld rows", (long long) v->counts.rows),
				 errdetail("A fit counts up to 2^53 rows.")));
	return b;
}

/* What a model records of the summary it was fitted to. */
static void
training_of(const VgmSummaryView *v, VgmModelHeader *training)
{
	memset(training, 0, sizeof(*training));
	training->rows = v->counts.rows;
	training->nulls = v->counts.nulls;
	training->nans = v->counts.nans;
	training->pos_infs = v->counts.pos_infs;
	training->neg_infs = v->counts.neg_infs;
	training->min = v->counts.min;
	training->max = v->counts.max;
}

/*
 * Fit the buckets of v, coarse to fine, and build the model with the
 * training facts and the atoms given (NULL: none); NULL when the atoms
 * leave no valid mixture component (see model_from_result).
 */
static VgmModel *
fit_buckets(const VgmSummaryView *v, const VgmModelHeader *training,
			const VgmSqlFitOptions *options, const FitAtoms *atoms)
{
	VgmFitOptions opt = options->engine;
	VgmFitResult *result = palloc(sizeof(VgmFitResult));
	VgmComponent *warm = palloc(VGM_MAX_COMPONENTS * sizeof(VgmComponent));
	VgmPoint   *pts;
	VgmBucket  *buckets = buckets_in_rows(v);
	double		start = vgm_fit_clock_ms();
	int			used = 0;
	int			reserve = Max(1, Min(options->engine.max_iter / 10, 200));
	int			level;

	opt.check_interrupt = vgm_engine_check_interrupts;
	if (options->init)
	{
		opt.init = options->init->comp;
		opt.init_k = options->init->hdr.k;
	}
	else
	{
		/* the coarse levels share the budget, keeping up to 200 iterations for the last */
		for (level = 0; level < (int) lengthof(coarse_levels); level++)
		{
			VgmBucket  *coarse;
			int			shift = v->shift;
			size_t		nc;
			VgmPoint   *cpts;

			if (v->n <= coarse_levels[level] || options->engine.max_iter - reserve - used < 1)
				continue;
			coarse = palloc(v->n * sizeof(VgmBucket));
			memcpy(coarse, buckets, v->n * sizeof(VgmBucket));
			nc = vgm_buckets_coarsen(coarse, v->n, &shift, coarse_levels[level]);
			cpts = points_from_buckets(coarse, nc);
			opt.max_iter = options->engine.max_iter - reserve - used;
			vgm_fit_status_check(vgm_fit(cpts, nc, &opt, result, vgm_palloc_allocator()), nc, "vgm_model");
			used += result->iterations;
			memcpy(warm, result->comp, result->k * sizeof(VgmComponent));
			opt.init = warm;
			opt.init_k = result->k;
			pfree(coarse);
			pfree(cpts);
		}
	}
	pts = points_from_buckets(buckets, v->n);
	opt.max_iter = Max(options->engine.max_iter - used, 1);
	vgm_fit_status_check(vgm_fit(pts, v->n, &opt, result, vgm_palloc_allocator()), v->n, "vgm_model");
	result->iterations += used;
	opt.max_iter = options->engine.max_iter;
	return model_from_result(result, &opt, options, training, v->n, start, atoms);
}

/* Drop the lightest atom (ties: the larger value), keeping the order by value. */
static size_t
drop_lightest_atom(VgmHeavy *atoms, size_t n)
{
	size_t		worst = 0;

	for (size_t i = 1; i < n; i++)
		if (atoms[i].weight <= atoms[worst].weight)
			worst = i;
	memmove(&atoms[worst], &atoms[worst + 1], (n - worst - 1) * sizeof(VgmHeavy));
	return n - 1;
}

/*
 * Fit the summary with the candidate atoms cand (sorted by value): the
 * mixture must keep more than weight_threshold of the weight and end with a
 * valid component, else the lightest atom goes back into the mixture and
 * the fit is repeated; with no atom left, NULL (the caller fits plainly).
 */
static VgmModel *
fit_with_atoms(const VgmSummaryView *v, const VgmModelHeader *training,
			   const VgmSqlFitOptions *options, VgmHeavy *cand, size_t na, double total)
{
	while (na > 0)
	{
		FitAtoms	fa;
		double		atom_weight = 0.0;
		VgmSummaryView rest = *v;
		VgmBucket  *copy;
		VgmModel   *model;
		int64		rest_rows;

		for (size_t i = 0; i < na; i++)
			atom_weight += cand[i].weight;
		fa.rest_share = (total - atom_weight) / total;
		if (!(fa.rest_share > options->weight_threshold))
		{
			na = drop_lightest_atom(cand, na);
			continue;
		}
		copy = palloc(Max(v->n, 1) * sizeof(VgmBucket));
		memcpy(copy, v->buckets, v->n * sizeof(VgmBucket));
		rest.buckets = copy;
		rest.n = vgm_atoms_remove(copy, v->n, v->shift, cand, na);
		rest.heavy = NULL;
		rest.nheavy = 0;
		/* the rest's rows: exact for unweighted summaries, in proportion otherwise */
		rest_rows = (int64) llround((double) v->counts.rows * fa.rest_share);
		rest.counts.rows = Max(rest_rows, (int64) Max(rest.n, 1));
		fa.n = (int) na;
		fa.atom_rows = (double) (v->counts.rows - rest.counts.rows);
		for (size_t i = 0; i < na; i++)
		{
			fa.values[i] = cand[i].value;
			fa.weights[i] = cand[i].weight / total;
		}
		model = rest.n > 0 ? fit_buckets(&rest, training, options, &fa) : NULL;
		pfree(copy);
		if (model != NULL)
			return model;
		na = drop_lightest_atom(cand, na);
	}
	return NULL;
}

/*
 * KS distance between a model and an exact summary (resolution 0: each
 * bucket one value, in increasing order): the largest gap between the
 * summary's empirical CDF and the model's CDF, on either side of each
 * value.  Between two values the mixture's CDF is continuous and monotone
 * and the empirical one flat, so the gap is largest at the values.
 */
static double
ks_against_exact_summary(const VgmModel *model, const VgmSummaryView *v, double total)
{
	VgmModelView view;
	double		below = 0.0;	/* the summary's weight below the current value */
	double		d = 0.0;
	int			next_atom = 0;
	double		atoms_below = 0.0;

	vgm_model_view(model, &view);
	for (size_t i = 0; i < v->n; i++)
	{
		double		x = vgm_key_value(v->buckets[i].key);
		double		mixture = 0.0;
		double		at_x = 0.0;
		double		left;
		double		right;

		for (int j = 0; j < view.hdr.k; j++)
			if (view.weights[j] > 0.0)
				mixture += view.weights[j] * 0.5 *
					erfc(-(x - view.comp[j].mean) / sqrt(2.0 * view.comp[j].covariance));
		while (next_atom < view.hdr.n_atoms && view.atom_values[next_atom] < x)
			atoms_below += view.atom_weights[next_atom++];
		if (next_atom < view.hdr.n_atoms && view.atom_values[next_atom] == x)
			at_x = view.atom_weights[next_atom];
		left = mixture + atoms_below;
		right = left + at_x;
		d = Max(d, fabs(left - below / total));
		below += v->buckets[i].weight;
		d = Max(d, fabs(right - below / total));
	}
	return d;
}

/*
 * The options of the mixture beside the atoms: the caller's, with three
 * changes measured on every column of test/bench/atom_rule.sql
 * (docs/accuracy.md section 10.6).  A fit with atoms is this extension's
 * model, not scikit-learn's, so its mixture need not keep scikit-learn's
 * prior, which made the skewed hump of the demo's coffee amounts one
 * Gaussian (section 10.3):
 *
 * - the default covariance prior is the variance of the rows off the atoms
 *   divided by max_components^2 (vbem.h, component_prior), the spread of
 *   one component rather than of the whole column; a covariance_prior the
 *   caller gives is kept;
 * - on an exact summary of a lattice column (values on a grid of spacing h:
 *   whole ages, credit limits in multiples of 10,000) each value counts as
 *   the interval of width h it stands for, variance h^2 / 12 (Sheppard),
 *   so that without the large prior no component narrows onto one
 *   repeated value (KS D of the generated ages: 0.0159 with scikit-learn's
 *   prior, 0.0274 with the smaller one alone, 0.0164 with both);
 * - a quantile start is screened beside the n_init others, and kept only
 *   when its lower bound is the highest.
 *
 * The spacing is read from the whole summary before the atoms leave it, so
 * the mixture and its coarse levels all see one lattice.
 */
static void
mixture_of_atoms_fit(const VgmSummaryView *v, const VgmSqlFitOptions *options,
					 VgmSqlFitOptions *mixture)
{
	double		h = vgm_lattice_spacing(v->shift, v->buckets, v->n, VGM_MAX_ATOMS);
	double		interval_variance = h * h / 12.0;

	*mixture = *options;
	mixture->engine.component_prior = 1;
	mixture->engine.quantile_start = 1;
	/* a spacing beyond about 1e154 overflows; such values overflow the fit's variance anyway */
	mixture->engine.point_variance = isfinite(interval_variance) ? interval_variance : 0.0;
}

/*
 * Fit a summary.  With atoms, the candidates are the values with at least
 * atom_share of the weight that pass the spike rule of heavy_core.h (at
 * most VGM_MAX_ATOMS, the heaviest; inexact counts refused with a notice).
 * An exact summary of more distinct values than that (a wide discrete or
 * lattice column, such as credit limits in multiples of 10,000) is also
 * fitted with its lattice candidates, every value with the share and the
 * minimum rows, and that model is kept when its KS distance to the summary
 * is lower by more than 1 / sqrt(rows), the scale of KS's sampling noise:
 * a smaller gain is no evidence that the column is a histogram of values
 * rather than a density (docs/accuracy.md section 10.5).  Both fits read
 * only the final summary, so every plan gets the same atoms.  Without
 * candidates the fit is the plain one, bit for bit.
 */
static VgmModel *
fit_summary_view(const VgmSummaryView *v, const VgmSqlFitOptions *options)
{
	VgmModelHeader training;
	VgmHeavy	cand[VGM_MAX_ATOMS];
	VgmHeavy	lattice[VGM_MAX_ATOMS];
	VgmAtomsRefused refused;
	VgmSqlFitOptions mixture;
	size_t		na = 0;
	size_t		nl = 0;
	double		total = 0.0;
	VgmModel   *model;

	training_of(v, &training);
	warn_skipped(&training);
	for (size_t i = 0; i < v->n; i++)
		total += v->buckets[i].weight;
	if (!options->atoms)
		return fit_buckets(v, &training, options, NULL);
	mixture_of_atoms_fit(v, options, &mixture);
	na = vgm_atoms_select(v->shift, v->buckets, v->n, v->heavy, v->nheavy,
						  (double) v->counts.rows, options->atom_share,
						  VGM_MAX_ATOMS, cand, &refused);
	notice_inexact_atoms(&refused, total);
	if (v->n > VGM_MAX_ATOMS)
		nl = vgm_atoms_select_lattice(v->shift, v->buckets, v->n, (double) v->counts.rows,
									  options->atom_share, VGM_MAX_ATOMS, lattice);
	model = fit_with_atoms(v, &training, &mixture, cand, na, total);
	if (model == NULL)
		model = fit_buckets(v, &training, &mixture, NULL);
	if (nl > na)
	{
		VgmModel   *lattice_model = fit_with_atoms(v, &training, &mixture, lattice, nl, total);

		if (lattice_model != NULL
			&& ks_against_exact_summary(lattice_model, v, total) + 1.0 / sqrt((double) v->counts.rows)
			< ks_against_exact_summary(model, v, total))
			return lattice_model;
	}
	return model;
}

/* A summary without finite rows fits to NULL: say why (once per statement). */
static bool
summary_has_no_rows(const VgmSummaryView *v)
{
	VgmModelHeader empty = {.nulls = v->counts.nulls,.nans = v->counts.nans,
	.pos_infs = v->counts.pos_infs,.neg_infs = v->counts.neg_infs};

	if (v->counts.rows > 0)
		return false;
	warn_skipped(&empty);
	notice_null_model(&empty);
	return true;
}

/* Arguments of vgm_fit(summary, the eight options, the two atom options). */
#define FIT_SUMMARY_NARGS 11

/* ... and with the three prior options. */
#define FIT_SUMMARY_PRIOR_NARGS 14

/*
 * Planner support of vgm_fit(summary | float8[], options...): options given
 * as constants are checked while the query is planned, so a bad one fails
 * before the scan that builds the summary, not after it.  The arguments
 * arrive positional with their defaults filled in; an option that is not a
 * constant is checked at run time as always.  vgm_fit of an array has no
 * atom options and its prior options at other positions, so the tables
 * checked follow the type of the first argument.
 */
PG_FUNCTION_INFO_V1(vgm_fit_support);
Datum
vgm_fit_support(PG_FUNCTION_ARGS)
{
	static const VgmOptionTable *const summary_tables[] = {&fit_options, &atom_options, &prior_options};
	static const VgmOptionTable *const array_tables[] = {&fit_options, &array_prior_options};
	Node	   *request = (Node *) PG_GETARG_POINTER(0);
	FuncExpr   *call;

	if (!IsA(request, SupportRequestSimplify))
		PG_RETURN_POINTER(NULL);
	call = ((SupportRequestSimplify *) request)->fcall;
	if (list_length(call->args) > 0 && exprType(linitial(call->args)) == FLOAT8ARRAYOID)
		PG_RETURN_POINTER(vgm_options_check_planned(request, array_tables, lengthof(array_tables)));
	PG_RETURN_POINTER(vgm_options_check_planned(request, summary_tables, lengthof(summary_tables)));
}

/*
 * The fit of the summary argument 0 with the options, or NULL (said once per
 * statement) when there is nothing to fit: the last step of every fit of a
 * summary, the function and the one-step aggregates alike.
 */
static Datum
fit_summary_arg(FunctionCallInfo fcinfo, const VgmSqlFitOptions *options)
{
	VgmSummaryView v;

	if (PG_ARGISNULL(0))
	{
		notice_no_rows();
		PG_RETURN_NULL();
	}
	vgm_summary_get_view(PG_GETARG_DATUM(0), &v);
	if (summary_has_no_rows(&v))
		PG_RETURN_NULL();
	PG_RETURN_VGM_MODEL_P(fit_summary_view(&v, options));
}

/* vgm_fit(vgm_summary, options...): fit a summary with explicit options. */
Datum
vgm_fit_summary(PG_FUNCTION_ARGS)
{
	VgmSqlFitOptions options;

	vgm_read_fit_options(fcinfo, &options);
	if (PG_NARGS() >= FIT_SUMMARY_NARGS)
		vgm_read_atom_options(fcinfo, &options);
	if (PG_NARGS() >= FIT_SUMMARY_PRIOR_NARGS)
		vgm_read_prior_options(fcinfo, &options);
	return fit_summary_arg(fcinfo, &options);
}

/*
 * The aggregate call this final function serves, which must have at least
 * two arguments (the value and a constant option).
 */
static Aggref *
aggregate_with_options(FunctionCallInfo fcinfo, const char *fname, const char *aggregates)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);

	if (aggref == NULL || list_length(aggref->args) < 2)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", fname),
				 errdetail("This function is the final function of the %s.", aggregates)));
	return aggref;
}

/* Final function of the one-step aggregate vgm_fit(float8): CTGAN/RDT defaults. */
Datum
vgm_fit_final(PG_FUNCTION_ARGS)
{
	VgmSqlFitOptions options;

	if (PG_ARGISNULL(0))
	{
		notice_no_rows();
		PG_RETURN_NULL();
	}
	vgm_default_sql_fit_options(&options);
	/* vgm_fit(x, max_components): the extra argument is a constant of the call */
	if (PG_NARGS() > 1)
	{
		aggregate_with_options(fcinfo, "vgm_fit_final", "aggregate vgm_fit(float8, int)");
		options.engine.max_components = DatumGetInt32(vgm_aggregate_option(fcinfo, 1, &aggregate_components));
	}
	return fit_summary_arg(fcinfo, &options);
}

extern Datum vgm_summarize_sfunc(PG_FUNCTION_ARGS);

/*
 * Transition function of vgm_fit(x, atoms [, atom_share]): the row goes into
 * the summary as in vgm_summarize(x); on the first row the share is checked,
 * so a bad one stops the scan at once rather than at its end.
 */
PG_FUNCTION_INFO_V1(vgm_fit_atoms_sfunc);
Datum
vgm_fit_atoms_sfunc(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) && PG_NARGS() > 3)
	{
		vgm_aggregate_row_option_check(fcinfo, 3, &aggregate_atom_share);
		if (PG_NARGS() > 4)
			vgm_aggregate_row_option_check(fcinfo, 4, &aggregate_covariance_prior);
	}
	return vgm_summarize_sfunc(fcinfo);
}

/*
 * Final function of the one-step aggregates vgm_fit(x, atoms) and
 * vgm_fit(x, atoms, atom_share): the defaults of vgm_fit(x) with the atom
 * options, read from the call's constants (the aggregates have no combine
 * function, as vgm_fit(x, k), so the Aggref keeps its arguments).
 */
PG_FUNCTION_INFO_V1(vgm_fit_atoms_final);
Datum
vgm_fit_atoms_final(PG_FUNCTION_ARGS)
{
	VgmSqlFitOptions options;
	Aggref	   *aggref = aggregate_with_options(fcinfo, "vgm_fit_atoms_final",
												"aggregates vgm_fit(float8, boolean[, float8])");

	vgm_default_sql_fit_options(&options);
	options.atoms = DatumGetBool(vgm_aggregate_option(fcinfo, 1, &aggregate_atoms));
	if (list_length(aggref->args) > 2)
		options.atom_share = DatumGetFloat8(vgm_aggregate_option(fcinfo, 2, &aggregate_atom_share));
	if (list_length(aggref->args) > 3)
		options.engine.covariance_prior =
			DatumGetFloat8(vgm_aggregate_option(fcinfo, 3, &aggregate_covariance_prior));
	return fit_summary_arg(fcinfo, &options);
}
