/*
 * model_make.c - a vgm_model from a mixture's weights, means and standard
 *                deviations: vgm_model_from_mixture(...).
 *
 * A model holds the variational posterior, not only the mixture, because the
 * transforms compute scikit-learn's variational responsibilities.  Given a
 * mixture alone, the posterior is filled as the fit would leave it had the
 * mixture been fitted to `rows` rows with the default priors and each
 * component's rows lying exactly at its mean and spread: N_k = rows * w_k,
 * mean precision and degrees of freedom prior + N_k, stick-breaking Beta
 * parameters 1 + N_k and gamma_0 + sum of the later N_j, covariance sd^2.
 * As rows grows, the variational responsibilities tend to the plug-in ones
 * w_k N(x; mu_k, sd_k) / p(x) (their difference shrinks like 1 / N_k), so the
 * default of a million rows gives the mixture as written.  The priors are
 * the fit's defaults around the mixture's own mean and variance, the range is
 * given or taken as the components' means plus or minus five deviations.
 *
 * Atoms (atom_values, atom_weights; both or neither) are point masses beside
 * the mixture, as vgm_fit(..., atoms => true) makes them: the mixture weights
 * and the atom weights together sum to 1, the values are strictly increasing,
 * and the mixture keeps a component above the weight threshold.  N_k stays
 * rows * w_k with w_k the component's share of all rows, which is what a fit
 * with atoms leaves (its mixture is fitted to the rows off the atoms); the
 * priors are those of the mixture alone; a range not given covers the atoms.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "model.h"

PG_FUNCTION_INFO_V1(vgm_model_from_mixture);

/* How far beyond the components the range reaches when it is not given. */
#define RANGE_DEVIATIONS 5.0
/* Weights must sum to 1 within this before they are normalised exactly. */
#define WEIGHT_SUM_TOLERANCE 1e-9

/*
 * The elements of a float8[] argument: one dimension, no NULLs, finite, and
 * between min_n and max_n of them (what names the count in the message).
 */
static double *
float_array(FunctionCallInfo fcinfo, int argno, const char *name, int min_n, int max_n,
			const char *what, int *n)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	double	   *out;
	int			i;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("vgm_model_from_mixture %s must not be null", name),
				 errdetail("Give one number per component.")));
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("vgm_model_from_mixture %s must be a one-dimensional array", name),
				 errdetail("The array given has %d dimensions.", ARR_NDIM(arr))));
	deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, n);
	if (*n < min_n || *n > max_n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vgm_model_from_mixture needs between %d and %d %s", min_n, max_n, what),
				 errdetail("The %s array has %d elements.", name, *n)));
	out = palloc(Max(*n, 1) * sizeof(double));
	for (i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("vgm_model_from_mixture %s must not contain NULLs", name),
					 errdetail("Element %d is NULL.", i + 1)));
		out[i] = DatumGetFloat8(elems[i]);
		if (!isfinite(out[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("vgm_model_from_mixture %s must be finite numbers", name),
					 errdetail("Element %d is %g.", i + 1, out[i])));
	}
	return out;
}

/* The elements of a component array: 1 to VGM_MAX_COMPONENTS. */
static double *
mixture_array(FunctionCallInfo fcinfo, int argno, const char *name, int *n)
{
	return float_array(fcinfo, argno, name, 1, VGM_MAX_COMPONENTS, "components", n);
}

/* Raise an invalid-option error for the constructor. */
static pg_noinline void
mixture_error(const char *msg, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", msg),
			 errdetail("%s", detail)));
}

/*
 * The atom arguments (argno, argno + 1): both NULL (no atoms, *n = 0) or two
 * arrays of equal length, at most VGM_MAX_ATOMS; the weights must be
 * positive (the values' order and the total are checked with the model).
 */
static void
atom_arrays(FunctionCallInfo fcinfo, int argno, double **values, double **weights, int *n)
{
	int			nw;

	*n = 0;
	*values = *weights = NULL;
	/* an extension script of an older build declares no atom arguments */
	if (PG_NARGS() < argno + 2 || (PG_ARGISNULL(argno) && PG_ARGISNULL(argno + 1)))
		return;
	if (PG_ARGISNULL(argno) || PG_ARGISNULL(argno + 1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("vgm_model_from_mixture atom_values and atom_weights must be given together"),
				 errdetail("atom_values is %s and atom_weights is %s; give both or neither.",
						   PG_ARGISNULL(argno) ? "NULL" : "given",
						   PG_ARGISNULL(argno + 1) ? "NULL" : "given")));
	*values = float_array(fcinfo, argno, "atom_values", 0, VGM_MAX_ATOMS, "atoms", n);
	*weights = float_array(fcinfo, argno + 1, "atom_weights", 0, VGM_MAX_ATOMS, "atoms", &nw);
	if (nw != *n)
		mixture_error("vgm_model_from_mixture atom arrays differ in length",
					  psprintf("atom_values has %d elements, atom_weights %d.", *n, nw));
	for (int i = 0; i < *n; i++)
		if (!((*weights)[i] > 0.0))
			mixture_error("vgm_model_from_mixture atom_weights must be positive",
						  psprintf("Atom weight %d is %g.", i + 1, (*weights)[i]));
}

/*
 * vgm_model_from_mixture(weights, means, stddevs, rows, min, max,
 * weight_threshold, atom_values, atom_weights): a model of a mixture, with
 * or without atoms, given by hand (see the top).
 */
Datum
vgm_model_from_mixture(PG_FUNCTION_ARGS)
{
	int			k,
				nm,
				ns;
	double	   *w = mixture_array(fcinfo, 0, "weights", &k);
	double	   *mu = mixture_array(fcinfo, 1, "means", &nm);
	double	   *sd = mixture_array(fcinfo, 2, "stddevs", &ns);
	double	   *atom_values;
	double	   *atom_weights;
	int			n_atoms;
	double		mixture_sum = 0.0;
	int64		rows;
	double		threshold;
	VgmModelHeader hdr;
	VgmComponent *comp;
	VgmModelView view;
	VgmModel   *model;
	double		sum = 0.0;
	double		mean = 0.0;
	double		second = 0.0;
	double		later = 0.0;
	double		lo = DBL_MAX;
	double		hi = -DBL_MAX;
	char		msg[256];
	char		detail[256];
	int			j;
	VgmFitOptions fit;

	/* the default priors are the engine's own, so the two cannot drift */
	vgm_fit_options_default(&fit);
	if (nm != k || ns != k)
		mixture_error("vgm_model_from_mixture arrays differ in length",
					  psprintf("weights has %d elements, means %d, stddevs %d.", k, nm, ns));
	if (PG_ARGISNULL(3) || PG_ARGISNULL(6))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("vgm_model_from_mixture rows and weight_threshold must not be null"),
				 errdetail("Omit them to use their defaults.")));
	atom_arrays(fcinfo, 7, &atom_values, &atom_weights, &n_atoms);
	rows = PG_GETARG_INT64(3);
	threshold = PG_GETARG_FLOAT8(6);
	if (rows < 1)
		mixture_error("vgm_model_from_mixture rows must be positive",
					  psprintf("The value given was " INT64_FORMAT ".", rows));
	if (!(threshold >= 0.0 && threshold < 1.0))
		mixture_error("weight_threshold must be in [0, 1)",
					  psprintf("The value given was %g.", threshold));
	for (j = 0; j < k; j++)
	{
		if (w[j] < 0.0)
			mixture_error("vgm_model_from_mixture weights must not be negative",
						  psprintf("Weight %d is %g.", j + 1, w[j]));
		if (!(sd[j] > 0.0))
			mixture_error("vgm_model_from_mixture stddevs must be positive",
						  psprintf("Standard deviation %d is %g.", j + 1, sd[j]));
		sum += w[j];
	}
	mixture_sum = sum;
	for (j = 0; j < n_atoms; j++)
		sum += atom_weights[j];
	if (fabs(sum - 1.0) > WEIGHT_SUM_TOLERANCE)
		mixture_error(n_atoms > 0 ? "vgm_model_from_mixture weights and atom_weights must sum to 1"
					  : "vgm_model_from_mixture weights must sum to 1",
					  psprintf("They sum to %.15g.", sum));
	if (!(mixture_sum > 0.0))
		mixture_error("vgm_model_from_mixture weights must not all be 0",
					  "The mixture needs a component with weight; the atoms alone are not a model.");

	comp = palloc0(k * sizeof(VgmComponent));
	for (j = 0; j < k; j++)
	{
		w[j] /= sum;
		/* the priors are the mixture's own, as a fit of the rows off the atoms sets them */
		mean += w[j] / (mixture_sum / sum) * mu[j];
		lo = Min(lo, mu[j] - RANGE_DEVIATIONS * sd[j]);
		hi = Max(hi, mu[j] + RANGE_DEVIATIONS * sd[j]);
	}
	for (j = 0; j < n_atoms; j++)
	{
		atom_weights[j] /= sum;
		lo = Min(lo, atom_values[j]);
		hi = Max(hi, atom_values[j]);
	}
	for (j = 0; j < k; j++)
		second += w[j] / (mixture_sum / sum) * (sd[j] * sd[j] + (mu[j] - mean) * (mu[j] - mean));
	for (j = k - 1; j >= 0; j--)
	{
		double		nk = (double) rows * w[j];

		comp[j].conc_a = 1.0 + nk;
		comp[j].conc_b = fit.weight_concentration_prior + later;
		comp[j].mean_precision = 1.0 + nk;
		comp[j].mean = mu[j];
		comp[j].dof = 1.0 + nk;
		comp[j].covariance = sd[j] * sd[j];
		later += nk;
	}

	memset(&hdr, 0, sizeof(hdr));
	/* not fitted: no iterations, converged, max_iter 1, seed 42, tol 0 */
	vgm_model_header_set_fit(&hdr, k, 0, 1, 1, 42, 0.0, threshold);
	hdr.version = vgm_model_version_for(n_atoms);
	hdr.n_atoms = n_atoms;
	hdr.priors.weight_concentration = fit.weight_concentration_prior;
	hdr.priors.mean_precision = 1.0;
	hdr.priors.mean = mean;
	hdr.priors.degrees_of_freedom = 1.0;
	hdr.priors.covariance = second > 0.0 ? second : 1.0;
	hdr.priors.reg_covar = fit.reg_covar;
	hdr.lower_bound = 0.0;
	hdr.fit_ms = 0.0;
	hdr.rows = rows;
	hdr.buckets = 0;
	hdr.total_weight = (double) rows;
	hdr.min = PG_ARGISNULL(4) ? lo : PG_GETARG_FLOAT8(4);
	hdr.max = PG_ARGISNULL(5) ? hi : PG_GETARG_FLOAT8(5);
	if (!(isfinite(hdr.min) && isfinite(hdr.max) && hdr.min <= hdr.max))
		mixture_error("vgm_model_from_mixture min and max must be finite with min <= max",
					  psprintf("They are %g and %g.", hdr.min, hdr.max));

	view.hdr = hdr;
	view.comp = comp;
	view.weights = w;
	view.atom_values = atom_values;
	view.atom_weights = atom_weights;
	if (vgm_model_validate(&view, msg, sizeof(msg), detail, sizeof(detail)) != VGM_MODEL_OK)
		mixture_error(psprintf("vgm_model_from_mixture cannot build a valid model: %s", msg), detail);
	model = n_atoms > 0 ? vgm_model_build_view(&view) : vgm_model_build(&hdr, comp, w);
	PG_RETURN_VGM_MODEL_P(model);
}
