/*
 * vbem.c - variational Bayesian EM for one-dimensional Gaussian mixtures
 *          with a truncated Dirichlet-process prior on the weights.
 *
 * Model and updates: Blei & Jordan, "Variational inference for Dirichlet
 * process mixtures", Bayesian Analysis 1(1), 2006; Bishop, "Pattern
 * Recognition and Machine Learning", 2006, section 10.2.  The bookkeeping
 * (which constants are dropped from the lower bound, where reg_covar and
 * the 10*eps guard enter) follows scikit-learn 1.2 so results can be
 * compared with it number by number.
 *
 * Weighted points: a point (w, m, v) stands for w rows whose mean is m and
 * whose variance around m is v, all sharing one responsibility vector.  The
 * sufficient statistics of the M-step are then sum w r, sum w r m and
 * sum w r ((m - xbar)^2 + v), and the E-step's expected squared distance
 * is (m - mu)^2 + v.
 */
/* qsort_r (glibc) in interruptible_sort.h */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "vbem.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "interruptible_sort.h"
#include "kmeans_seed.h"
#include "log_normalize.h"
#include "seeded_draws.h"
#include "sort_order.h"
#include "stick_breaking.h"

/* points between two interrupt checks inside one pass (2^18 - 1 as a mask) */
#define INTERRUPT_STRIDE_MASK ((size_t) 0x3FFFF)
#define LOG_2PI 1.8378770664093454836
#define LOG_2 0.69314718055994530942
/* scikit-learn adds 10 * machine epsilon to every component's count */
#define COUNT_GUARD (10.0 * DBL_EPSILON)
/* Lloyd iterations of the k-means initialization */
#define KMEANS_MAX_ITER 300

_Static_assert(VGM_MAX_COMPONENTS <= VGM_SEED_MAX_CENTERS, "kmeans_seed.c serves every k");

/* ---------------------------------------------------------------------- */
/* small helpers                                                           */
/* ---------------------------------------------------------------------- */

/* GSL's default error handler aborts the process; the engine checks inputs itself. */
static void
quiet_gsl(void)
{
	static int	done = 0;

	if (!done)
	{
		gsl_set_error_handler_off();
		done = 1;
	}
}

/* Digamma function. */
static double
digamma(double x)
{
	return gsl_sf_psi(x);
}

/* Status code text. */
const char *
vgm_status_message(int status)
{
	switch (status)
	{
		case VGM_OK:
			return "ok";
		case VGM_ERR_EMPTY:
			return "no data with positive weight";
		case VGM_ERR_INVALID:
			return "invalid input or option";
		case VGM_ERR_NOMEM:
			return "out of memory";
		case VGM_ERR_INTERRUPTED:
			return "interrupted";
		case VGM_ERR_OVERFLOW:
			return "the values are too large: their variance overflows a double";
		case VGM_ERR_SINGULAR:
			return "a covariance matrix has no Cholesky factor in double precision: columns nearly linear combinations of others, or scales too far apart";
	}
	return "unknown status";
}

/* ---------------------------------------------------------------------- */
/* options and priors                                                      */
/* ---------------------------------------------------------------------- */

/*
 * Defaults: RDT's ClusterBasedNormalizer model settings (10 components,
 * Dirichlet-process prior 0.001, scikit-learn's priors and reg_covar), but a
 * convergence rule per unit weight (tol 1e-8) and up to 20000 iterations
 * instead of scikit-learn's 1e-3 on the total bound and 100 iterations:
 * where components overlap VB-EM needs thousands, nearly all of them on the
 * cheap coarse levels of a summary fit.
 */
void
vgm_fit_options_default(VgmFitOptions *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->max_components = 10;
	opt->weight_concentration_prior = 0.001;
	opt->mean_precision_prior = NAN;
	opt->mean_prior = NAN;
	opt->degrees_of_freedom_prior = NAN;
	opt->covariance_prior = NAN;
	opt->reg_covar = 1e-6;
	opt->max_iter = 20000;
	opt->tol = 1e-8;
	opt->seed = 42;
}

/* The option checks both engines make; see vbem.h. */
int
vgm_check_shared_options(int max_components, int max_allowed,
						 double weight_concentration_prior, int max_iter,
						 double tol, double reg_covar)
{
	if (max_components < 1 || max_components > max_allowed)
		return VGM_ERR_INVALID;
	if (!(weight_concentration_prior > 0.0) || !isfinite(weight_concentration_prior))
		return VGM_ERR_INVALID;
	if (max_iter < 1 || !(tol >= 0.0) || !(reg_covar >= 0.0) || !isfinite(reg_covar))
		return VGM_ERR_INVALID;
	return VGM_OK;
}

/* Priors from the data as scikit-learn derives them (mean, unbiased variance). */
int
vgm_priors_from_points(const VgmPoint *pts, size_t n, const VgmFitOptions *opt,
					   VgmPriors *priors)
{
	double		total = 0.0;
	double		sum = 0.0;
	double		mean;
	double		ss = 0.0;
	double		var;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		total += pts[i].weight;
		sum += pts[i].weight * pts[i].mean;
	}
	if (!(total > 0.0) || !isfinite(total))
		return VGM_ERR_EMPTY;
	if (!isfinite(sum))
		return VGM_ERR_OVERFLOW;
	mean = sum / total;
	/* second pass around the mean: stable for large offsets */
	for (i = 0; i < n; i++)
	{
		double		d = pts[i].mean - mean;

		ss += pts[i].weight * (d * d + pts[i].var);
	}
	/* numpy's np.cov: unbiased (ddof = 1); with weight <= 1 fall back to biased */
	if (!isfinite(ss))
		return VGM_ERR_OVERFLOW;
	var = total > 1.0 ? ss / (total - 1.0) : ss / total;
	/* a constant column has no spread to learn a scale from: use reg_covar */
	if (!(var > 0.0) || !isfinite(var))
		var = opt->reg_covar > 0.0 ? opt->reg_covar : 1e-6;

	priors->weight_concentration = opt->weight_concentration_prior;
	priors->mean_precision = (opt->mean_precision_prior > 0.0) ? opt->mean_precision_prior : 1.0;
	priors->mean = isfinite(opt->mean_prior) ? opt->mean_prior : mean;
	priors->degrees_of_freedom = (opt->degrees_of_freedom_prior > 0.0) ? opt->degrees_of_freedom_prior : 1.0;
	if (opt->covariance_prior > 0.0)
		priors->covariance = opt->covariance_prior;
	else if (opt->component_prior)
		priors->covariance = var / ((double) opt->max_components * opt->max_components);
	else
		priors->covariance = var;
	priors->reg_covar = opt->reg_covar;
	if (!isfinite(priors->mean) || !isfinite(priors->covariance))
		return VGM_ERR_INVALID;
	return VGM_OK;
}

/* ---------------------------------------------------------------------- */
/* the variational updates                                                 */
/* ---------------------------------------------------------------------- */

/*
 * Posterior from per-component sufficient statistics: count (without the
 * guard), weighted mean and weighted mean squared deviation around it
 * (within-point variance included, reg_covar not yet).
 */
static void
posterior_from_stats(int k, const double *count, const double *xbar,
					 const double *spread, const VgmPriors *priors,
					 VgmComponent *comp)
{
	double		tail = 0.0;
	int			j;

	/* stick-breaking Beta parameters: b_j collects the counts of later sticks */
	for (j = k - 1; j >= 0; j--)
		vgm_stick_beta(count[j] + COUNT_GUARD, priors->weight_concentration, &tail,
					   &comp[j].conc_a, &comp[j].conc_b);
	for (j = 0; j < k; j++)
	{
		double		nk = count[j] + COUNT_GUARD;
		double		sk = spread[j] + priors->reg_covar;
		double		diff = xbar[j] - priors->mean;
		double		beta = priors->mean_precision + nk;

		comp[j].mean_precision = beta;
		comp[j].mean = (priors->mean_precision * priors->mean + nk * xbar[j]) / beta;
		comp[j].dof = priors->degrees_of_freedom + nk;
		comp[j].covariance = (priors->covariance + nk * sk
							  + nk * priors->mean_precision / beta * diff * diff)
			/ comp[j].dof;
	}
}

/* M-step from probabilities resp[i*k + j]; also scikit-learn's _initialize. */
void
vgm_m_step(const VgmPoint *pts, size_t n, const double *resp, int k,
		   const VgmPriors *priors, VgmComponent *comp)
{
	double		count[VGM_MAX_COMPONENTS];
	double		xbar[VGM_MAX_COMPONENTS];
	double		spread[VGM_MAX_COMPONENTS];
	size_t		i;
	int			j;

	for (j = 0; j < k; j++)
	{
		double		nk = 0.0;
		double		sx = 0.0;
		double		ss = 0.0;

		for (i = 0; i < n; i++)
		{
			double		wr = pts[i].weight * resp[i * k + j];

			nk += wr;
			sx += wr * pts[i].mean;
		}
		count[j] = nk;
		xbar[j] = sx / (nk + COUNT_GUARD);
		for (i = 0; i < n; i++)
		{
			double		d = pts[i].mean - xbar[j];

			ss += pts[i].weight * resp[i * k + j] * (d * d + pts[i].var);
		}
		spread[j] = ss / (nk + COUNT_GUARD);
	}
	posterior_from_stats(k, count, xbar, spread, priors, comp);
}

/* Expected log mixing weights E[log pi_k] of the stick-breaking posterior. */
void
vgm_expected_log_weights(int k, const VgmComponent *comp, double *out)
{
	double		broken = 0.0;	/* sum over earlier sticks of E[log(1 - v)] */
	int			j;

	quiet_gsl();
	for (j = 0; j < k; j++)
		out[j] = vgm_stick_expected_log_weight(comp[j].conc_a, comp[j].conc_b, &broken);
}

/*
 * Per-component constants of the E-step: the variational log probability of
 * a point (m, v) under component j is
 *   log_const[j] - 0.5 * precision[j] * ((m - mean_j)^2 + v).
 */
void
vgm_log_prob_constants(int k, const VgmComponent *comp, double *log_const,
					   double *precision)
{
	int			j;

	vgm_expected_log_weights(k, comp, log_const);
	for (j = 0; j < k; j++)
	{
		double		prec_chol = 1.0 / sqrt(comp[j].covariance);
		double		log_lambda = LOG_2 + digamma(0.5 * comp[j].dof);

		precision[j] = prec_chol * prec_chol;
		log_const[j] += -0.5 * LOG_2PI + log(prec_chol) - 0.5 * log(comp[j].dof)
			+ 0.5 * (log_lambda - 1.0 / comp[j].mean_precision);
	}
}

/* E-step: log_resp[i*k + j]; returns the weighted mean log normalizer. */
double
vgm_e_step(const VgmPoint *pts, size_t n, int k, const VgmComponent *comp,
		   double *log_resp)
{
	double		log_weight[VGM_MAX_COMPONENTS];
	double		log_const[VGM_MAX_COMPONENTS];
	double		prec_chol[VGM_MAX_COMPONENTS];
	double		total_norm = 0.0;
	double		total_weight = 0.0;
	size_t		i;
	int			j;

	quiet_gsl();
	vgm_expected_log_weights(k, comp, log_weight);
	for (j = 0; j < k; j++)
	{
		double		log_lambda = LOG_2 + digamma(0.5 * comp[j].dof);

		prec_chol[j] = 1.0 / sqrt(comp[j].covariance);
		log_const[j] = 0.5 * (log_lambda - 1.0 / comp[j].mean_precision);
	}
	for (i = 0; i < n; i++)
	{
		double	   *row = log_resp + i * k;
		double		norm;

		for (j = 0; j < k; j++)
		{
			/* same operation order as scikit-learn: (x L - mu L)^2 */
			double		y = pts[i].mean * prec_chol[j] - comp[j].mean * prec_chol[j];
			double		q = y * y + pts[i].var * prec_chol[j] * prec_chol[j];
			double		log_gauss = -0.5 * (LOG_2PI + q) + log(prec_chol[j])
				- 0.5 * log(comp[j].dof);

			row[j] = log_gauss + log_const[j] + log_weight[j];
		}
		norm = vgm_log_normalize_row(row, k);
		total_norm += pts[i].weight * norm;
		total_weight += pts[i].weight;
	}
	return total_weight > 0.0 ? total_norm / total_weight : 0.0;
}

/* Terms of the lower bound that depend only on the posterior. */
static double
lower_bound_posterior_terms(int k, const VgmComponent *comp)
{
	double		lb = 0.0;
	int			j;

	quiet_gsl();
	for (j = 0; j < k; j++)
	{
		double		prec_chol = 1.0 / sqrt(comp[j].covariance);
		double		log_det_chol = log(prec_chol) - 0.5 * log(comp[j].dof);
		double		log_wishart_norm = -(comp[j].dof * log_det_chol
										 + comp[j].dof * 0.5 * LOG_2
										 + gsl_sf_lngamma(0.5 * comp[j].dof));

		lb -= log_wishart_norm;
		lb += gsl_sf_lnbeta(comp[j].conc_a, comp[j].conc_b);
		lb -= 0.5 * log(comp[j].mean_precision);
	}
	return lb;
}

/* Lower bound after an M-step, given the E-step's log responsibilities. */
double
vgm_lower_bound(const VgmPoint *pts, size_t n, int k, const VgmComponent *comp,
				const double *log_resp)
{
	double		entropy = 0.0;
	size_t		i;
	int			j;

	for (i = 0; i < n; i++)
		for (j = 0; j < k; j++)
		{
			double		lr = log_resp[i * k + j];
			double		r = exp(lr);

			if (r > 0.0)
				entropy -= pts[i].weight * r * lr;
		}
	return entropy + lower_bound_posterior_terms(k, comp);
}

/* Point estimate of the weights (scikit-learn's weights_). */
void
vgm_mixture_weights(int k, const VgmComponent *comp, double *weights)
{
	double		remaining = 1.0;
	double		total = 0.0;
	int			j;

	for (j = 0; j < k; j++)
	{
		weights[j] = vgm_stick_weight(comp[j].conc_a, comp[j].conc_b, &remaining);
		total += weights[j];
	}
	for (j = 0; j < k; j++)
		weights[j] /= total;
}

/*
 * One fused E-step + M-step over all points, without storing responsibilities.
 * Sums are taken around each component's current mean (a shift) so that data
 * far from zero keeps its precision.  Returns the entropy term of the bound.
 */
static double
fused_iteration(const VgmPoint *pts, size_t n, int k, VgmComponent *comp,
				const VgmPriors *priors, const VgmFitOptions *opt, int *interrupted)
{
	double		log_const[VGM_MAX_COMPONENTS];
	double		half_prec[VGM_MAX_COMPONENTS];
	double		shift[VGM_MAX_COMPONENTS];
	double		count[VGM_MAX_COMPONENTS];
	double		s1[VGM_MAX_COMPONENTS];
	double		s2[VGM_MAX_COMPONENTS];
	double		xbar[VGM_MAX_COMPONENTS];
	double		spread[VGM_MAX_COMPONENTS];
	double		wlp[VGM_MAX_COMPONENTS];
	double		shifted[VGM_MAX_COMPONENTS];
	double		entropy = 0.0;
	size_t		i;
	int			j;

	vgm_log_prob_constants(k, comp, log_const, half_prec);
	for (j = 0; j < k; j++)
	{
		half_prec[j] *= 0.5;
		shift[j] = comp[j].mean;
		count[j] = s1[j] = s2[j] = 0.0;
	}

	for (i = 0; i < n; i++)
	{
		const double m = pts[i].mean;
		const double v = pts[i].var;
		const double w = pts[i].weight;
		double		best = -INFINITY;
		double		sum;
		double		log_norm;
		double		inv_sum;

		/* a pass over millions of points must stay cancellable */
		if ((i & INTERRUPT_STRIDE_MASK) == INTERRUPT_STRIDE_MASK && opt->check_interrupt
			&& opt->check_interrupt(opt->interrupt_arg))
		{
			*interrupted = 1;
			return 0.0;
		}

		for (j = 0; j < k; j++)
		{
			double		d = m - shift[j];

			wlp[j] = log_const[j] - half_prec[j] * (d * d + v);
			if (wlp[j] > best)
				best = wlp[j];
		}
		sum = vgm_exp_shifted_row(wlp, shifted, k, best);
		log_norm = log(sum);
		inv_sum = 1.0 / sum;
		for (j = 0; j < k; j++)
		{
			double		r;
			double		d;
			double		wr;

			if (wlp[j] == 0.0)
				continue;
			r = wlp[j] * inv_sum;
			wr = w * r;
			d = m - shift[j];
			count[j] += wr;
			s1[j] += wr * d;
			s2[j] += wr * (d * d + v);
			/* log r = (wlp - best) - log(sum) */
			entropy -= wr * (shifted[j] - log_norm);
		}
	}

	for (j = 0; j < k; j++)
	{
		double		nk = count[j] + COUNT_GUARD;
		double		delta = s1[j] / nk;	/* xbar - shift */

		xbar[j] = shift[j] * (count[j] / nk) + delta;
		/* sum wr ((m - xbar)^2 + v) with m - xbar = (m - shift) - d */
		{
			double		d = xbar[j] - shift[j];
			double		ss = s2[j] - 2.0 * d * s1[j] + d * d * count[j];

			spread[j] = ss > 0.0 ? ss / nk : 0.0;
		}
	}
	posterior_from_stats(k, count, xbar, spread, priors, comp);
	return entropy;
}

/* ---------------------------------------------------------------------- */
/* deterministic initialization: weighted k-means++ and Lloyd              */
/* ---------------------------------------------------------------------- */

/* Order points by mean, then variance, then weight: the init must not depend on arrival order. */
static int
point_cmp(const void *a, const void *b, void *unused)
{
	const VgmPoint *pa = a;
	const VgmPoint *pb = b;

	(void) unused;
	if (pa->mean != pb->mean)
		return pa->mean < pb->mean ? -1 : 1;
	if (pa->var != pb->var)
		return pa->var < pb->var ? -1 : 1;
	if (pa->weight != pb->weight)
		return pa->weight < pb->weight ? -1 : 1;
	return 0;
}

/*
 * Lloyd's algorithm in one dimension.  With sorted points and sorted centers,
 * the nearest-center regions are intervals between midpoints, so one merge
 * pass assigns every point.  Writes each point's cluster to label[].  With
 * max_iter 1 the centers stay where they are (only the assignment is made).
 */
static void
kmeans_lloyd(const VgmPoint *pts, size_t n, int k, double *centers, int max_iter,
			 int *label, int (*check_interrupt) (void *), void *arg, int *interrupted)
{
	double		sw[VGM_MAX_COMPONENTS];
	double		swx[VGM_MAX_COMPONENTS];
	int			iter;

	for (iter = 0; iter < max_iter; iter++)
	{
		int			c = 0;
		int			changed = 0;
		size_t		i;

		qsort(centers, k, sizeof(double), vgm_double_cmp);
		for (c = 0; c < k; c++)
			sw[c] = swx[c] = 0.0;
		c = 0;
		for (i = 0; i < n; i++)
		{
			/* advance while the next center is strictly nearer */
			while (c + 1 < k && fabs(pts[i].mean - centers[c + 1]) < fabs(pts[i].mean - centers[c]))
				c++;
			if (label[i] != c)
			{
				label[i] = c;
				changed = 1;
			}
			sw[c] += pts[i].weight;
			swx[c] += pts[i].weight * (pts[i].mean - centers[c]);
		}
		if (max_iter == 1)
			break;
		for (c = 0; c < k; c++)
			if (sw[c] > 0.0)
				centers[c] += swx[c] / sw[c];
		if (!changed && iter > 0)
			break;
		if (check_interrupt && check_interrupt(arg))
		{
			*interrupted = 1;
			return;
		}
	}
}

/* Kind of start s (0-based): 0 is k-means++ of seed, 1 heavy, the rest k-means++. */
VgmStartKind
vgm_start_kind(int s)
{
	return s == 1 ? VGM_START_HEAVY : VGM_START_KMEANS;
}

/*
 * Seed of the k-means++ draws of start s: seed itself for start 0 (so one
 * start is the single-start fit), a splitmix64 mix of (seed, s) otherwise.
 */
uint64_t
vgm_start_seed(uint64_t seed, int s)
{
	uint64_t	state = seed ^ ((uint64_t) s * 0xD1B54A32D192ED03ULL);

	return s == 0 ? seed : splitmix64(&state);
}

/*
 * Centers of a quantile start: the weighted quantiles (j + 1/2) / k of the
 * sorted points, j = 0 .. k-1, each the first point whose cumulative weight
 * reaches it, without repeats (a heavy point holding several quantiles
 * gives one center).  Where mass is, centers are: a skewed hump or a
 * heavy-tailed column gets several centers in its bulk, which k-means++
 * (drawn by squared distance) gives to the tails.  Returns how many.
 */
static int
quantile_centers(const VgmPoint *sorted, size_t n, int k, double total, double *centers)
{
	double		below = 0.0;
	size_t		i = 0;
	int			found = 0;

	for (int j = 0; j < k && i < n; j++)
	{
		double		target = total * ((double) j + 0.5) / (double) k;

		while (i + 1 < n && below + sorted[i].weight < target)
			below += sorted[i++].weight;
		if (found == 0 || centers[found - 1] != sorted[i].mean)
			centers[found++] = sorted[i].mean;
	}
	return found;
}

/*
 * Initial posterior of a start of the given kind (start is its number, for
 * the seed of its k-means++ draws): hard responsibilities from k-means, or
 * from the nearest heavy or quantile center, turned into a posterior by one
 * M-step exactly as scikit-learn's _initialize does.
 */
static int
initialize_posterior(const VgmPoint *sorted, size_t n, int k,
					 const VgmFitOptions *opt, const VgmPriors *priors,
					 VgmComponent *comp, const VgmAllocator *alloc, int start,
					 VgmStartKind kind)
{
	double		centers[VGM_MAX_COMPONENTS];
	double		count[VGM_MAX_COMPONENTS];
	double		xbar[VGM_MAX_COMPONENTS];
	double		spread[VGM_MAX_COMPONENTS];
	int			slot[VGM_MAX_COMPONENTS];
	VgmSeedPoints seed_points = {.n = n, .dim = 1,
		.weight = &sorted[0].weight, .weight_stride = sizeof(VgmPoint),
	.coord = &sorted[0].mean, .coord_stride = sizeof(VgmPoint)};
	double	   *dist;
	double	   *cum;
	int		   *label;
	int			found;
	int			fixed = 0;
	int			interrupted = 0;
	size_t		i;
	int			c;

	dist = vgm_mem_alloc(alloc, n * sizeof(double));
	cum = vgm_mem_alloc(alloc, n * sizeof(double));
	label = vgm_mem_alloc(alloc, n * sizeof(int));
	if (!dist || !cum || !label)
	{
		vgm_mem_free(alloc, dist);
		vgm_mem_free(alloc, cum);
		vgm_mem_free(alloc, label);
		return VGM_ERR_NOMEM;
	}
	if (kind == VGM_START_HEAVY)
		fixed = vgm_heavy_centers(&seed_points, k, centers);
	else if (kind == VGM_START_QUANTILE)
	{
		double		total = 0.0;

		for (i = 0; i < n; i++)
			total += sorted[i].weight;
		fixed = quantile_centers(sorted, n, k, total, centers);
	}
	found = vgm_kmeanspp_seed(&seed_points, k, vgm_start_seed(opt->seed, start), centers, fixed,
							  dist, cum, opt->check_interrupt, opt->interrupt_arg);
	interrupted = found < 0;
	for (i = 0; i < n; i++)
		label[i] = -1;
	/* heavy and quantile starts keep their centers where they put them: assignment only, no Lloyd */
	if (!interrupted)
		kmeans_lloyd(sorted, n, found, centers,
					 kind == VGM_START_KMEANS ? KMEANS_MAX_ITER : 1,
					 label, opt->check_interrupt, opt->interrupt_arg, &interrupted);
	if (interrupted)
	{
		vgm_mem_free(alloc, dist);
		vgm_mem_free(alloc, cum);
		vgm_mem_free(alloc, label);
		return VGM_ERR_INTERRUPTED;
	}

	/* order clusters heaviest first, ties to the smaller center; empty extra components go last */
	vgm_number_clusters(&seed_points, label, found, centers, slot);

	/* statistics of the hard assignment, two-pass around each cluster mean */
	for (c = 0; c < k; c++)
		count[c] = xbar[c] = spread[c] = 0.0;
	for (i = 0; i < n; i++)
	{
		int			s = slot[label[i]];

		count[s] += sorted[i].weight;
		xbar[s] += sorted[i].weight * sorted[i].mean;
	}
	for (c = 0; c < k; c++)
		xbar[c] = xbar[c] / (count[c] + COUNT_GUARD);
	for (i = 0; i < n; i++)
	{
		int			s = slot[label[i]];
		double		d = sorted[i].mean - xbar[s];

		spread[s] += sorted[i].weight * (d * d + sorted[i].var);
	}
	for (c = 0; c < k; c++)
		spread[c] /= (count[c] + COUNT_GUARD);
	posterior_from_stats(k, count, xbar, spread, priors, comp);

	vgm_mem_free(alloc, dist);
	vgm_mem_free(alloc, cum);
	vgm_mem_free(alloc, label);
	return VGM_OK;
}

/* ---------------------------------------------------------------------- */
/* the fit                                                                 */
/* ---------------------------------------------------------------------- */

/* Reject what the engine cannot fit. */
static int
check_inputs(const VgmPoint *pts, size_t n, const VgmFitOptions *opt)
{
	size_t		i;

	if (vgm_check_shared_options(opt->max_components, VGM_MAX_COMPONENTS,
								 opt->weight_concentration_prior, opt->max_iter,
								 opt->tol, opt->reg_covar) != VGM_OK)
		return VGM_ERR_INVALID;
	if (opt->init && (opt->init_k < 1 || opt->init_k > VGM_MAX_COMPONENTS))
		return VGM_ERR_INVALID;
	if (!(opt->point_variance >= 0.0) || !isfinite(opt->point_variance))
		return VGM_ERR_INVALID;
	for (i = 0; i < n; i++)
	{
		if (!isfinite(pts[i].mean) || !isfinite(pts[i].var) || !isfinite(pts[i].weight)
			|| pts[i].weight < 0.0 || pts[i].var < 0.0)
			return VGM_ERR_INVALID;
	}
	return VGM_OK;
}

/*
 * Sort points by point_cmp, checking for interrupts every 2^18 points (see
 * interruptible_sort.h); the scratch copy is needed only beyond one run.
 */
static int
sort_points(VgmPoint *pts, size_t n, const VgmFitOptions *opt, const VgmAllocator *alloc)
{
	VgmPoint   *tmp = NULL;
	int			stopped;

	if (n > VGM_SORT_RUN)
	{
		tmp = vgm_mem_alloc(alloc, n * sizeof(VgmPoint));
		if (!tmp)
			return VGM_ERR_NOMEM;
	}
	stopped = vgm_interruptible_sort(pts, n, sizeof(VgmPoint), tmp, point_cmp, NULL,
									 opt->check_interrupt, opt->interrupt_arg,
									 INTERRUPT_STRIDE_MASK + 1);
	vgm_mem_free(alloc, tmp);
	return stopped ? VGM_ERR_INTERRUPTED : VGM_OK;
}

/*
 * VB-EM iterations on comp until the lower bound changes by less than tol per
 * unit weight or *iterations reaches max_iter.  *lower_bound is the bound of
 * the previous iteration (-INFINITY before the first), so a run stopped and
 * resumed takes exactly the steps of one uninterrupted run.
 */
static int
run_iterations(const VgmPoint *sorted, size_t used, int k, VgmComponent *comp,
			   const VgmPriors *priors, const VgmFitOptions *opt, double total,
			   int max_iter, int report, double *lower_bound, int *iterations,
			   int *converged)
{
	int			iter;

	for (iter = *iterations + 1; iter <= max_iter; iter++)
	{
		double		previous = *lower_bound;
		double		entropy;
		int			interrupted = 0;

		if (opt->check_interrupt && opt->check_interrupt(opt->interrupt_arg))
			return VGM_ERR_INTERRUPTED;
		entropy = fused_iteration(sorted, used, k, comp, priors, opt, &interrupted);
		if (interrupted)
			return VGM_ERR_INTERRUPTED;
		*lower_bound = entropy + lower_bound_posterior_terms(k, comp);
		*iterations = iter;
		if (report && opt->on_iteration)
			opt->on_iteration(iter, *lower_bound, opt->iteration_arg);
		if (fabs(*lower_bound - previous) / total < opt->tol)
		{
			*converged = 1;
			break;
		}
	}
	return VGM_OK;
}

/*
 * Cold start: n_init starts (vgm_start_kind), and with quantile_start one
 * more (VGM_START_QUANTILE, numbered n_init), each run for at most
 * start_iter iterations; the start with the highest lower bound wins (ties
 * to the lower index, so the result does not depend on anything but the
 * options and the points) and continues to max_iter.  One start is the
 * single-start fit step for step.  With several starts on_iteration sees
 * only the winner's continuation: the screening runs are not one path.
 */
static int
multi_start(const VgmPoint *sorted, size_t used, const VgmFitOptions *opt,
			VgmFitResult *result, double total, const VgmAllocator *alloc,
			double *lower_bound)
{
	int			k = result->k;
	int			n_init = opt->n_init > 1 ? opt->n_init : 1;
	int			starts = n_init + (opt->quantile_start ? 1 : 0);
	int			screen = starts == 1 || opt->start_iter <= 0
		? opt->max_iter : (opt->start_iter < opt->max_iter ? opt->start_iter : opt->max_iter);
	VgmComponent *trial;
	double		best_lb = -INFINITY;
	int			best_iter = 0;
	int			best_conv = 0;
	int			status = VGM_OK;
	int			s;

	if (starts == 1)
	{
		status = initialize_posterior(sorted, used, k, opt, &result->priors,
									  result->comp, alloc, 0, vgm_start_kind(0));
		if (status != VGM_OK)
			return status;
		status = run_iterations(sorted, used, k, result->comp, &result->priors, opt,
								total, opt->max_iter, 1, lower_bound,
								&result->iterations, &result->converged);
		if (status == VGM_OK)
		{
			result->lower_bound = *lower_bound;
			vgm_mixture_weights(k, result->comp, result->weights);
		}
		return status;
	}

	trial = vgm_mem_alloc(alloc, k * sizeof(VgmComponent));
	if (!trial)
		return VGM_ERR_NOMEM;
	for (s = 0; s < starts; s++)
	{
		double		lb = -INFINITY;
		int			iterations = 0;
		int			converged = 0;

		status = initialize_posterior(sorted, used, k, opt, &result->priors, trial, alloc, s,
									  s < n_init ? vgm_start_kind(s) : VGM_START_QUANTILE);
		if (status == VGM_OK)
			status = run_iterations(sorted, used, k, trial, &result->priors, opt, total,
									screen, 0, &lb, &iterations, &converged);
		if (status != VGM_OK)
			break;
		if (s == 0 || lb > best_lb)
		{
			if (s > 0)
				result->start_iterations += best_iter;
			memcpy(result->comp, trial, k * sizeof(VgmComponent));
			best_lb = lb;
			best_iter = iterations;
			best_conv = converged;
			result->start = s;
		}
		else
			result->start_iterations += iterations;
	}
	vgm_mem_free(alloc, trial);
	if (status != VGM_OK)
		return status;
	*lower_bound = best_lb;
	result->iterations = best_iter;
	result->converged = best_conv;
	if (!best_conv)
		status = run_iterations(sorted, used, k, result->comp, &result->priors, opt, total,
								opt->max_iter, 1, lower_bound, &result->iterations,
								&result->converged);
	if (status == VGM_OK)
	{
		result->lower_bound = *lower_bound;
		vgm_mixture_weights(k, result->comp, result->weights);
	}
	return status;
}

/* Full fit: deterministic init (weighted k-means++ and Lloyd), VB-EM loop. */
int
vgm_fit(const VgmPoint *pts, size_t n, const VgmFitOptions *opt,
		VgmFitResult *result, const VgmAllocator *alloc)
{
	VgmPoint   *sorted;
	size_t		used = 0;
	size_t		i;
	int			k;
	int			status;
	double		total = 0.0;
	double		lower_bound = -INFINITY;

	quiet_gsl();
	memset(result, 0, sizeof(*result));
	status = check_inputs(pts, n, opt);
	if (status != VGM_OK)
		return status;

	/* sorted copy without zero-weight points: order-independent from here on */
	sorted = vgm_mem_alloc(alloc, (n ? n : 1) * sizeof(VgmPoint));
	if (!sorted)
		return VGM_ERR_NOMEM;
	for (i = 0; i < n; i++)
		if (pts[i].weight > 0.0)
		{
			sorted[used] = pts[i];
			/* a lattice column's values stand for intervals (vbem.h, point_variance) */
			if (opt->point_variance > 0.0)
				sorted[used].var += opt->point_variance;
			used++;
			total += pts[i].weight;
		}
	if (used == 0 || !(total > 0.0) || !isfinite(total))
	{
		vgm_mem_free(alloc, sorted);
		return VGM_ERR_EMPTY;
	}
	status = sort_points(sorted, used, opt, alloc);
	if (status != VGM_OK)
	{
		vgm_mem_free(alloc, sorted);
		return status;
	}

	status = vgm_priors_from_points(sorted, used, opt, &result->priors);
	if (status != VGM_OK)
	{
		vgm_mem_free(alloc, sorted);
		return status;
	}

	if (opt->init)
	{
		/* warm start: the first step is an E-step from the given posterior */
		k = opt->init_k;
		memcpy(result->comp, opt->init, k * sizeof(VgmComponent));
		for (i = 0; i < (size_t) k; i++)
		{
			const VgmComponent *c = &result->comp[i];

			if (!(c->conc_a > 0.0 && c->conc_b > 0.0 && c->mean_precision > 0.0
				  && c->dof > 0.0 && c->covariance > 0.0 && isfinite(c->mean)
				  && isfinite(c->conc_a) && isfinite(c->conc_b) && isfinite(c->dof)
				  && isfinite(c->covariance) && isfinite(c->mean_precision)))
			{
				vgm_mem_free(alloc, sorted);
				return VGM_ERR_INVALID;
			}
		}
	}
	else
	{
		k = opt->max_components;
		result->k = k;
		result->total_weight = total;
		status = multi_start(sorted, used, opt, result, total, alloc, &lower_bound);
		vgm_mem_free(alloc, sorted);
		return status;
	}
	result->k = k;
	result->total_weight = total;
	status = run_iterations(sorted, used, k, result->comp, &result->priors, opt, total,
							opt->max_iter, 1, &lower_bound, &result->iterations,
							&result->converged);
	if (status != VGM_OK)
	{
		vgm_mem_free(alloc, sorted);
		return status;
	}
	result->lower_bound = lower_bound;
	vgm_mixture_weights(k, result->comp, result->weights);
	vgm_mem_free(alloc, sorted);
	return VGM_OK;
}
