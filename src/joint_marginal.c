/*
 * joint_marginal.c - vgm_marginal(model vgm_joint_model, column int): the
 *                    one-dimensional vgm_model of one column of a joint
 *                    model, usable by every one-dimensional function.
 *
 * What the marginal carries, and why.  The marginal of a Gaussian mixture
 * is the mixture of the components' marginals, so the plug-in mixture is
 * carried exactly: the same weights_, mean m_kc and covariance Sigma_k,cc
 * (scikit-learn's covariances_[k][c][c]).  vgm_log_density, vgm_cdf,
 * vgm_sample, the encoding's standard deviation and KS tests of the
 * marginal therefore agree with the joint model's plug-in density
 * integrated over the other columns.
 *
 * The variational posterior of component k is Gaussian-Wishart:
 * Lambda ~ W(W_k, nu_k), mu | Lambda ~ N(m_k, (beta_k Lambda)^{-1}).  For
 * Sigma = Lambda^{-1} (inverse-Wishart with scale Psi = W_k^{-1} and nu_k
 * degrees of freedom) the entry Sigma_cc is inverse-Wishart in one
 * dimension with scale Psi_cc and nu_k - (d - 1) degrees of freedom, and
 * mu_c | Sigma_cc ~ N(m_kc, Sigma_cc / beta_k).  So the marginal keeps the
 * stick-breaking parameters (they do not depend on the columns) and beta_k
 * exactly, and takes nu_k - d + 1 degrees of freedom.  Its covariance
 * field cannot be both Psi_cc / (nu_k - d + 1), the exact one-dimensional
 * parametrisation, and Sigma_k,cc = Psi_cc / nu_k, the plug-in variance;
 * it is the plug-in variance, so the plug-in functions above are exact,
 * and the variational responsibilities (vgm_component, vgm_score,
 * vgm_predict) differ from those of the exact marginal posterior by terms
 * of order (d - 1) / nu_k, i.e. (d - 1) / (rows in the component).
 *
 * The priors are marginalised the same way (mean m_0c, covariance
 * Psi_0,cc, degrees of freedom nu_0 - d + 1: the default nu_0 = d gives the
 * one-dimensional default 1).  The training min and max (vgm_denormalize's
 * clamp, vgm_bounds, the CDF table's span, sampling's clip) are the
 * column's smallest and largest value among the rows the joint fit saw
 * (format version 2, joint_model_codec.h): what a one-dimensional fit of
 * that column over the same rows records.  A model without a range (fitted
 * by an earlier version, vgm_joint_model_from_mixture) gives the
 * components' means plus or minus five standard deviations, as
 * vgm_model_from_mixture takes them.  nulls is the joint model's skipped
 * rows (rows with a NULL in any column, which the fit did not see).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "joint_model.h"
#include "model.h"

PG_FUNCTION_INFO_V1(vgm_joint_marginal);

/* How far beyond the components the range reaches (vgm_model_from_mixture's rule). */
#define RANGE_DEVIATIONS 5.0

/* vgm_marginal(model, column): the vgm_model of column 1 .. d. */
Datum
vgm_joint_marginal(PG_FUNCTION_ARGS)
{
	VgmJointModelView view;
	const VgmJointModelHeader *h;
	const VgmJointPosterior *p;
	int32		column = PG_GETARG_INT32(1);
	VgmModelHeader hdr;
	VgmComponent *comp;
	VgmModelView one;
	double		lo = DBL_MAX;
	double		hi = -DBL_MAX;
	char		msg[256];
	char		detail[256];
	int			c,
				d;

	vgm_joint_model_view_datum(PG_GETARG_DATUM(0), &view);
	h = &view.hdr;
	p = &view.post;
	d = h->d;
	if (column < 1 || column > d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column %d is out of range", column),
				 errdetail("The model has %d columns, numbered 1 to %d as the elements of its rows.", d, d)));
	c = column - 1;

	comp = palloc0(sizeof(VgmComponent) * h->k);
	for (int j = 0; j < h->k; j++)
	{
		double		var = p->covariances[((Size) j * d + c) * d + c];
		double		sd = sqrt(var);

		comp[j].conc_a = p->conc_a[j];
		comp[j].conc_b = p->conc_b[j];
		comp[j].mean_precision = p->mean_precision[j];
		comp[j].mean = p->means[(Size) j * d + c];
		comp[j].dof = p->dof[j] - (d - 1);
		comp[j].covariance = var;
		lo = Min(lo, comp[j].mean - RANGE_DEVIATIONS * sd);
		hi = Max(hi, comp[j].mean + RANGE_DEVIATIONS * sd);
	}

	memset(&hdr, 0, sizeof(hdr));
	vgm_model_header_set_fit(&hdr, h->k, h->iterations, h->converged,
							 h->max_iter, h->seed, h->tol, h->weight_threshold);
	hdr.priors.weight_concentration = h->priors.weight_concentration;
	hdr.priors.mean_precision = h->priors.mean_precision;
	hdr.priors.mean = h->priors.mean[c];
	hdr.priors.degrees_of_freedom = h->priors.degrees_of_freedom - (d - 1);
	hdr.priors.covariance = h->priors.covariance[c * d + c];
	hdr.priors.reg_covar = h->priors.reg_covar;
	hdr.lower_bound = h->lower_bound;
	hdr.fit_ms = h->fit_ms;
	hdr.rows = h->rows;
	hdr.buckets = h->points;
	hdr.nulls = h->skipped_rows;
	hdr.total_weight = h->total_weight;
	if (h->version == VGM_JOINT_MODEL_FORMAT_VERSION_RANGE)
	{
		/* the column's training range, as a one-dimensional fit records it */
		hdr.min = h->col_min[c];
		hdr.max = h->col_max[c];
	}
	else
	{
		/* beyond the double range only for components near it; clamp to it */
		hdr.min = Max(lo, -DBL_MAX);
		hdr.max = Min(hi, DBL_MAX);
	}

	/* every field of the view set: later formats add arrays (none here) */
	memset(&one, 0, sizeof(one));
	one.hdr = hdr;
	one.comp = comp;
	one.weights = p->weights;
	if (vgm_model_validate(&one, msg, sizeof(msg), detail, sizeof(detail)) != VGM_MODEL_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the marginal of column %d is not a valid vgm_model: %s", column, msg),
				 errdetail("%s", detail)));
	PG_RETURN_POINTER(vgm_model_build(&hdr, comp, p->weights));
}
