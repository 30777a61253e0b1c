/*
 * vbem.h - variational Bayesian EM for one-dimensional Gaussian mixtures
 *          with a truncated Dirichlet-process (stick-breaking) weight prior.
 *
 * Pure C: no PostgreSQL headers, so the engine is unit-tested on its own.
 *
 * The input is a set of weighted points (weight w, mean m, within-point
 * variance v).  A raw row is (1, x, 0); a summary bucket is (count, bucket
 * mean, bucket variance).  All rows of a point share one responsibility
 * vector, and the within-point variance enters both steps exactly through
 * E[(x - mu)^2] = (m - mu)^2 + v.  With unit weights and zero variances the
 * equations are those of Blei & Jordan (2006) as implemented by
 * scikit-learn 1.2's BayesianGaussianMixture (covariance_type 'full' in 1-D,
 * weight_concentration_prior_type 'dirichlet_process').
 */
#ifndef VGM_VBEM_H
#define VGM_VBEM_H

#include <stddef.h>
#include <stdint.h>

#include "allocator.h"

#define VGM_MAX_COMPONENTS 256

/* Status codes returned by engine entry points. */
#define VGM_OK 0
#define VGM_ERR_EMPTY 1			/* no points, or zero total weight */
#define VGM_ERR_INVALID 2		/* non-finite or negative input, bad option */
#define VGM_ERR_NOMEM 3			/* allocation failed */
#define VGM_ERR_INTERRUPTED 4	/* the interrupt hook asked to stop */
#define VGM_ERR_OVERFLOW 5		/* the data's spread overflows a double */
#define VGM_ERR_SINGULAR 6		/* a covariance has no Cholesky factor (joint engine) */

typedef struct VgmPoint
{
	double		weight;			/* >= 0 */
	double		mean;
	double		var;			/* within-point variance, >= 0 */
} VgmPoint;

/* Priors of the variational model, named as in scikit-learn. */
typedef struct VgmPriors
{
	double		weight_concentration;	/* gamma_0: stick-breaking Beta(1, gamma_0) */
	double		mean_precision; /* beta_0 */
	double		mean;			/* m_0 */
	double		degrees_of_freedom; /* nu_0 */
	double		covariance;		/* scale of the Wishart prior (1-D) */
	double		reg_covar;		/* added to each component's variance */
} VgmPriors;

/* Variational posterior of one component. */
typedef struct VgmComponent
{
	double		conc_a;			/* Beta stick parameter a_k = 1 + N_k */
	double		conc_b;			/* Beta stick parameter b_k = gamma_0 + sum_{j>k} N_j */
	double		mean_precision; /* beta_k */
	double		mean;			/* m_k */
	double		dof;			/* nu_k */
	double		covariance;		/* (nu_k W_k)^{-1}, scikit-learn's covariances_ */
} VgmComponent;


/* Options of a full fit. */
typedef struct VgmFitOptions
{
	int			max_components;
	double		weight_concentration_prior;
	double		mean_precision_prior;	/* <= 0 or NaN: 1 */
	double		mean_prior;		/* NaN: weighted data mean */
	double		degrees_of_freedom_prior;	/* <= 0 or NaN: 1 */
	double		covariance_prior;	/* <= 0 or NaN: unbiased data variance */
	double		reg_covar;
	int			max_iter;
	double		tol;			/* on the change of lower bound per unit weight */
	uint64_t	seed;

	/*
	 * Multi-start (ignored with a warm start): n_init starts, each run for
	 * at most start_iter iterations (<= 0: max_iter); the one with the
	 * highest lower bound then continues to max_iter.  n_init <= 1 is the
	 * single k-means++ start of seed.  See vgm_start_kind().
	 */
	int			n_init;
	int			start_iter;

	/*
	 * The mixture of a fit with atoms (fit.c, docs/accuracy.md section
	 * 10.6) sets the next three; their zero values are scikit-learn's fit.
	 *
	 * component_prior: nonzero makes the default covariance prior (when
	 * covariance_prior is not given) the data's variance divided by
	 * max_components^2, the variance of one of max_components components
	 * sharing the column's spread (Fraley & Raftery 2007's default scale),
	 * instead of the whole column's variance.
	 *
	 * point_variance: added to every point's within-point variance.  The
	 * values of a lattice column of spacing h stand for intervals of width
	 * h, whose variance is h^2 / 12 (Sheppard's correction): a component
	 * then cannot narrow onto one repeated value.
	 *
	 * quantile_start: nonzero makes a cold multi-start fit screen one start
	 * more, after the n_init others, with centers at the weighted quantiles
	 * of the points (VGM_START_QUANTILE); it wins only on the lower bound.
	 */
	int			component_prior;
	double		point_variance;
	int			quantile_start;
	/* optional warm start: posterior of a previous fit (init_k components) */
	const VgmComponent *init;
	int			init_k;
	/* called every few iterations; nonzero return stops the fit */
	int			(*check_interrupt) (void *arg);
	void	   *interrupt_arg;
	/* optional: called after each iteration (for logging) */
	void		(*on_iteration) (int iteration, double lower_bound, void *arg);
	void	   *iteration_arg;
} VgmFitOptions;

typedef struct VgmFitResult
{
	int			k;				/* number of components (== max_components) */
	VgmComponent comp[VGM_MAX_COMPONENTS];
	double		weights[VGM_MAX_COMPONENTS];
	VgmPriors	priors;
	int			iterations;
	int			converged;
	double		lower_bound;	/* scikit-learn's lower bound (total) */
	double		total_weight;
	int			start;			/* index of the winning start (0 when single) */
	int			start_iterations;	/* iterations of the starts that lost */
} VgmFitResult;

/* How start s of a multi-start fit is initialized. */
typedef enum VgmStartKind
{
	VGM_START_KMEANS,			/* weighted k-means++ and Lloyd */
	VGM_START_HEAVY,			/* a center on each heavy point, k-means++ for the rest */
	VGM_START_QUANTILE			/* centers at the weighted quantiles (j + 1/2) / k */
} VgmStartKind;

/* Kind of start s (0-based): 0 is k-means++ of seed, 1 heavy, the rest k-means++. */
VgmStartKind vgm_start_kind(int s);

/* Seed of the k-means++ draws of start s: seed itself for start 0. */
uint64_t	vgm_start_seed(uint64_t seed, int s);

/* Fill options with the defaults of RDT's ClusterBasedNormalizer. */
void		vgm_fit_options_default(VgmFitOptions *opt);

/*
 * The option checks both engines make: 1 <= max_components <= max_allowed,
 * a positive finite weight_concentration_prior, max_iter >= 1, tol >= 0 and
 * a finite reg_covar >= 0.  Returns VGM_OK or VGM_ERR_INVALID.
 */
int			vgm_check_shared_options(int max_components, int max_allowed,
									 double weight_concentration_prior, int max_iter,
									 double tol, double reg_covar);

/* Priors from the data as scikit-learn derives them (mean, unbiased variance). */
int			vgm_priors_from_points(const VgmPoint *pts, size_t n,
								   const VgmFitOptions *opt, VgmPriors *priors);

/* M-step from probabilities resp[i*k + j]; also scikit-learn's _initialize. */
void		vgm_m_step(const VgmPoint *pts, size_t n, const double *resp, int k,
					   const VgmPriors *priors, VgmComponent *comp);

/* E-step: log_resp[i*k + j]; returns the weighted mean log normalizer. */
double		vgm_e_step(const VgmPoint *pts, size_t n, int k,
					   const VgmComponent *comp, double *log_resp);

/* Lower bound after an M-step, given the E-step's log responsibilities. */
double		vgm_lower_bound(const VgmPoint *pts, size_t n, int k,
							const VgmComponent *comp, const double *log_resp);

/* Expected log mixing weights E[log pi_k] of the stick-breaking posterior. */
void		vgm_expected_log_weights(int k, const VgmComponent *comp, double *out);

/* Point estimate of the weights (scikit-learn's weights_). */
void		vgm_mixture_weights(int k, const VgmComponent *comp, double *weights);

/* Per-component term of the variational log probability, without the data. */
void		vgm_log_prob_constants(int k, const VgmComponent *comp,
								   double *log_const, double *precision);

/* Full fit: deterministic init (weighted k-means++ and Lloyd), VB-EM loop. */
int			vgm_fit(const VgmPoint *pts, size_t n, const VgmFitOptions *opt,
					VgmFitResult *result, const VgmAllocator *alloc);

/* Human-readable text for a status code. */
const char *vgm_status_message(int status);

#endif							/* VGM_VBEM_H */
