/*
 * joint_model_make.c - a vgm_joint_model from a mixture's weights, mean
 *                      vectors and covariance matrices:
 *                      vgm_joint_model_from_mixture(...), for tests and
 *                      for imports from other tools.
 *
 * A joint model holds the variational posterior, not only the mixture,
 * because vgm_score, vgm_predict and vgm_predict_proba compute scikit-learn's
 * variational responsibilities.  Given a mixture alone, the posterior is
 * filled as a fit would leave it had the mixture been fitted to `rows` rows
 * with the default priors and each component's rows spread exactly as its
 * covariance says (the assumptions of vgm_model_from_mixture, in d
 * dimensions): N_k = rows * w_k; mean precision beta_0 + N_k with beta_0 = 1;
 * degrees of freedom nu_0 + N_k with nu_0 = d; stick-breaking Beta
 * parameters 1 + N_k and gamma_0 + (the later N_j); covariance as given.
 * As rows grows the variational responsibilities tend to the plug-in ones
 * (their difference shrinks like 1 / N_k), so the default of a million rows
 * gives the mixture as written.  The priors are the fit's defaults around
 * the mixture's own mean and covariance (sum of w_k (Sigma_k + (mu_k - m)
 * (mu_k - m)^T)).  The weights are kept as written (they must sum to 1
 * within 1e-9, as a model's do), and the covariances must be symmetric
 * positive definite: the model's validator checks them like every other
 * input.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "joint_model.h"

PG_FUNCTION_INFO_V1(vgm_joint_model_from_mixture);

/* Raise an invalid-argument error of the constructor. */
static pg_noinline void
mixture_error(int errcode_value, const char *msg, const char *detail)
{
	ereport(ERROR,
			(errcode(errcode_value),
			 errmsg("%s", msg),
			 errdetail("%s", detail)));
}

/*
 * The elements of argument argno: an array of ndim dimensions, no NULLs,
 * finite; its lengths go to dims[].
 */
static double *
mixture_array(FunctionCallInfo fcinfo, int argno, const char *name, int ndim, int *dims,
			  const char *shape)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	double	   *out;
	int			n;

	if (PG_ARGISNULL(argno))
		mixture_error(ERRCODE_NULL_VALUE_NOT_ALLOWED,
					  psprintf("vgm_joint_model_from_mixture %s must not be null", name),
					  psprintf("Give %s.", shape));
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) != ndim)
		mixture_error(ERRCODE_ARRAY_SUBSCRIPT_ERROR,
					  psprintf("vgm_joint_model_from_mixture %s must be an array of %d dimensions",
							   name, ndim),
					  psprintf("Give %s; the array given has %d dimensions.", shape, ARR_NDIM(arr)));
	memcpy(dims, ARR_DIMS(arr), sizeof(int) * ndim);
	deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	out = palloc(sizeof(double) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			mixture_error(ERRCODE_NULL_VALUE_NOT_ALLOWED,
						  psprintf("vgm_joint_model_from_mixture %s must not contain NULLs", name),
						  psprintf("Element %d (in storage order) is NULL.", i + 1));
		out[i] = DatumGetFloat8(elems[i]);
		if (!isfinite(out[i]))
			mixture_error(ERRCODE_INVALID_PARAMETER_VALUE,
						  psprintf("vgm_joint_model_from_mixture %s must be finite numbers", name),
						  psprintf("Element %d (in storage order) is %g.", i + 1, out[i]));
	}
	return out;
}

/*
 * vgm_joint_model_from_mixture(weights float8[], means float8[][],
 * covariances float8[][][], rows bigint, weight_threshold float8).
 */
Datum
vgm_joint_model_from_mixture(PG_FUNCTION_ARGS)
{
	int			wdims[1],
				mdims[2],
				cdims[3];
	double	   *w = mixture_array(fcinfo, 0, "weights", 1, wdims, "one weight per component");
	double	   *mu = mixture_array(fcinfo, 1, "means", 2, mdims, "one mean vector per component (k x d)");
	double	   *cov = mixture_array(fcinfo, 2, "covariances", 3, cdims,
									"one covariance matrix per component (k x d x d)");
	int			k = wdims[0];
	int			d = mdims[1];
	int64		rows;
	double		threshold;
	double		sum = 0.0;
	double		later = 0.0;
	VgmJointModelView view;
	VgmJointModelHeader *h = &view.hdr;
	VgmJointPosterior *p = &view.post;
	char		msg[256];
	char		detail[256];
	VgmJointFitOptions fit;

	/* the default priors are the joint engine's own, so the two cannot drift */
	vgm_joint_fit_options_default(&fit);
	if (k < 1 || k > VGM_JOINT_MAX_COMPONENTS)
		mixture_error(ERRCODE_INVALID_PARAMETER_VALUE,
					  psprintf("vgm_joint_model_from_mixture needs between 1 and %d components",
							   VGM_JOINT_MAX_COMPONENTS),
					  psprintf("The weights array has %d elements.", k));
	if (d < 1 || d > VGM_JOINT_MAX_DIMS)
		mixture_error(ERRCODE_INVALID_PARAMETER_VALUE,
					  psprintf("vgm_joint_model_from_mixture needs between 1 and %d dimensions",
							   VGM_JOINT_MAX_DIMS),
					  psprintf("The mean vectors have %d elements.", d));
	if (mdims[0] != k || cdims[0] != k || cdims[1] != d || cdims[2] != d)
		mixture_error(ERRCODE_ARRAY_SUBSCRIPT_ERROR,
					  "vgm_joint_model_from_mixture arrays disagree in shape",
					  psprintf("weights has %d elements, means is %d x %d, covariances is %d x %d x %d; "
							   "they must be k, k x d and k x d x d.",
							   k, mdims[0], mdims[1], cdims[0], cdims[1], cdims[2]));
	if (PG_ARGISNULL(3) || PG_ARGISNULL(4))
		mixture_error(ERRCODE_NULL_VALUE_NOT_ALLOWED,
					  "vgm_joint_model_from_mixture rows and weight_threshold must not be null",
					  "Omit them to use their defaults.");
	rows = PG_GETARG_INT64(3);
	threshold = PG_GETARG_FLOAT8(4);
	if (rows < 1)
		mixture_error(ERRCODE_INVALID_PARAMETER_VALUE,
					  "vgm_joint_model_from_mixture rows must be positive",
					  psprintf("The value given was " INT64_FORMAT ".", rows));
	for (int j = 0; j < k; j++)
	{
		if (w[j] < 0.0)
			mixture_error(ERRCODE_INVALID_PARAMETER_VALUE,
						  "vgm_joint_model_from_mixture weights must not be negative",
						  psprintf("Weight %d is %g.", j + 1, w[j]));
		sum += w[j];
	}
	if (fabs(sum - 1.0) > VGM_JOINT_WEIGHT_SUM_TOL)
		mixture_error(ERRCODE_INVALID_PARAMETER_VALUE,
					  "vgm_joint_model_from_mixture weights must sum to 1",
					  psprintf("They sum to %.15g.", sum));

	memset(&view, 0, sizeof(view));
	vgm_joint_model_arrays(p, d, k, palloc0(sizeof(double) * vgm_joint_model_doubles(d, k)));
	h->version = VGM_JOINT_MODEL_FORMAT_VERSION;
	h->d = d;
	h->k = k;
	h->converged = 1;
	h->max_iter = 1;
	h->n_init = 1;
	h->seed = 42;
	h->weight_threshold = threshold;
	h->rows = rows;
	h->total_weight = (double) rows;
	h->priors.d = d;
	h->priors.weight_concentration = fit.weight_concentration_prior;
	h->priors.mean_precision = 1.0;
	h->priors.degrees_of_freedom = d;
	h->priors.reg_covar = fit.reg_covar;

	/* the mixture's mean and covariance are the priors' */
	/* the weights stay as written: they sum to 1 within the validator's 1e-9 */
	for (int j = 0; j < k; j++)
	{
		for (int a = 0; a < d; a++)
			h->priors.mean[a] += w[j] * mu[j * d + a];
	}
	for (int j = 0; j < k; j++)
		for (int a = 0; a < d; a++)
			for (int b = 0; b < d; b++)
				h->priors.covariance[a * d + b] +=
					w[j] * (cov[(j * d + a) * d + b] +
							(mu[j * d + a] - h->priors.mean[a]) * (mu[j * d + b] - h->priors.mean[b]));
	/* the sum of lower and upper parts in another order: make it exactly symmetric */
	for (int a = 0; a < d; a++)
		for (int b = 0; b < a; b++)
			h->priors.covariance[b * d + a] = h->priors.covariance[a * d + b];

	for (int j = k - 1; j >= 0; j--)
	{
		double		nk = (double) rows * w[j];

		p->weights[j] = w[j];
		p->conc_a[j] = 1.0 + nk;
		p->conc_b[j] = fit.weight_concentration_prior + later;
		p->mean_precision[j] = 1.0 + nk;
		p->dof[j] = d + nk;
		later += nk;
	}
	memcpy(p->means, mu, sizeof(double) * k * d);
	memcpy(p->covariances, cov, sizeof(double) * k * d * d);

	if (vgm_joint_model_validate(&view, msg, sizeof(msg), detail, sizeof(detail)) != VGM_TEXT_OK)
		mixture_error(ERRCODE_INVALID_PARAMETER_VALUE,
					  psprintf("vgm_joint_model_from_mixture cannot build a valid model: %s", msg), detail);
	PG_RETURN_DATUM(vgm_joint_model_datum(&view));
}
