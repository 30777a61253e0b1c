/*
 * joint_vbem.h - variational Bayesian EM for d-dimensional Gaussian mixtures
 *                with full covariances and a truncated Dirichlet-process
 *                (stick-breaking) weight prior.
 *
 * Pure C: no PostgreSQL headers, so the engine is unit-tested on its own.
 * Dense linear algebra (Cholesky factors, triangular solves, the scatter
 * products of the M-step) goes through LAPACK and CBLAS as OpenBLAS exports
 * them.
 *
 * The input is a set of weighted points, as for the one-dimensional engine
 * (vbem.h): weight w_i, mean vector x_i and a within-point covariance V_i
 * (the scatter of the rows a summary cell stands for, divided by its weight;
 * zero for a raw row).  All rows of a point share one responsibility vector
 * and V_i enters both steps exactly through
 *     E[(x - mu)(x - mu)^T] = (x_i - mu)(x_i - mu)^T + V_i,
 * so the expected log density gains -nu_k/2 tr(W_k V_i) and the M-step's
 * scatter S_k gains sum_i r_ik w_i V_i / N_k.  With unit weights and zero
 * within-point covariances the equations are those of Bishop (2006, sec.
 * 10.2) with the stick-breaking weights of Blei & Jordan (2006), as
 * implemented by scikit-learn 1.2's BayesianGaussianMixture
 * (covariance_type 'full', weight_concentration_prior_type
 * 'dirichlet_process').
 *
 * Matrices are row-major and dense (d x d, symmetric where a covariance).
 *
 * Status codes are those of vbem.h; the joint engine adds VGM_ERR_SINGULAR
 * (a component covariance without a Cholesky factor even after the small
 * ridge joint_vbem.c describes).  Every posterior the steps return has
 * covariances that factor.
 */
#ifndef VGM_JOINT_VBEM_H
#define VGM_JOINT_VBEM_H

#include <stddef.h>
#include <stdint.h>

#include "allocator.h"
#include "vbem.h"				/* VGM_OK and the other status codes */

#define VGM_JOINT_MAX_DIMS 16
#define VGM_JOINT_MAX_COMPONENTS 64

/*
 * Starts of a cold fit when the caller names none, and the iterations each
 * start runs before the best one is kept (docs/accuracy.md has the
 * measurements behind them).
 */
#define VGM_JOINT_DEFAULT_N_INIT 5
#define VGM_JOINT_START_ITER 200

/*
 * Weighted points: n points of d coordinates.  scatter may be NULL (all
 * within-point covariances zero, i.e. raw rows); otherwise it holds n
 * symmetric positive semi-definite d x d matrices.
 */
typedef struct VgmJointPoints
{
	size_t		n;
	int			d;
	const double *weight;		/* n, each >= 0 */
	const double *mean;			/* n x d */
	const double *scatter;		/* n x d x d, or NULL */
} VgmJointPoints;

/* Priors of the variational model, named as in scikit-learn. */
typedef struct VgmJointPriors
{
	int			d;
	double		weight_concentration;	/* gamma_0 */
	double		mean_precision; /* beta_0 */
	double		mean[VGM_JOINT_MAX_DIMS];	/* m_0 */
	double		degrees_of_freedom; /* nu_0 (>= d) */
	double		covariance[VGM_JOINT_MAX_DIMS * VGM_JOINT_MAX_DIMS];	/* W_0^{-1} */
	double		reg_covar;		/* added to the diagonal of each S_k */
} VgmJointPriors;

/*
 * Variational posterior of k components in d dimensions, in arrays the
 * caller owns (vgm_joint_posterior_alloc sizes them in one block).
 * covariances are scikit-learn's covariances_, i.e. (nu_k W_k)^{-1}.
 */
typedef struct VgmJointPosterior
{
	int			k;
	int			d;
	double	   *conc_a;			/* k: Beta stick parameter a_k = 1 + N_k */
	double	   *conc_b;			/* k: b_k = gamma_0 + sum_{j>k} N_j */
	double	   *mean_precision; /* k: beta_k */
	double	   *dof;			/* k: nu_k */
	double	   *means;			/* k x d */
	double	   *covariances;	/* k x d x d */
	double	   *weights;		/* k: point estimate of the mixing weights */
} VgmJointPosterior;

/* Options of a full fit; defaults as the one-dimensional engine's. */
typedef struct VgmJointFitOptions
{
	int			max_components;
	double		weight_concentration_prior;
	double		mean_precision_prior;	/* <= 0 or NaN: 1 */
	const double *mean_prior;	/* NULL: weighted data mean */
	double		degrees_of_freedom_prior;	/* <= 0 or NaN: d */
	const double *covariance_prior; /* NULL: unbiased data covariance */
	double		reg_covar;
	int			max_iter;
	double		tol;			/* on the change of lower bound per unit weight */
	uint64_t	seed;
	int			n_init;			/* starts screened; <= 1 the single k-means++ start */
	int			start_iter;		/* iterations per screened start (<= 0: max_iter) */
	/* warm start: the first step is an E-step from this posterior (its k and d
	 * must be those of the fit); n_init is then ignored.  NULL: cold start. */
	const VgmJointPosterior *init;
	int			(*check_interrupt) (void *arg);
	void	   *interrupt_arg;
	const VgmAllocator *alloc;	/* work memory; NULL: malloc */
} VgmJointFitOptions;

/* What a fit reports beside the posterior. */
typedef struct VgmJointFitInfo
{
	VgmJointPriors priors;
	int			iterations;
	int			converged;
	double		lower_bound;
	double		total_weight;
	int			start;			/* index of the winning start */
} VgmJointFitInfo;

/* Fill options with the defaults (those of vgm_fit_options_default, n_init above). */
void		vgm_joint_fit_options_default(VgmJointFitOptions *opt);

/*
 * Allocate the arrays of a posterior of k components in d dimensions in one
 * block, in this order: conc_a, conc_b, mean_precision, dof, weights (k
 * each), means (k x d), covariances (k x d x d); post->conc_a is the block.
 */
int			vgm_joint_posterior_alloc(VgmJointPosterior *post, int k, int d,
									  const VgmAllocator *alloc);

/* Release the block of vgm_joint_posterior_alloc. */
void		vgm_joint_posterior_free(VgmJointPosterior *post,
									 const VgmAllocator *alloc);

/* Priors from the data as scikit-learn derives them (mean, unbiased covariance). */
int			vgm_joint_priors_from_points(const VgmJointPoints *pts,
										 const VgmJointFitOptions *opt,
										 VgmJointPriors *priors);

/*
 * Fit the mixture to the points: post must have been allocated with
 * k = opt->max_components and d = pts->d.  Returns VGM_OK or a status code
 * of vbem.h.
 */
int			vgm_joint_fit(const VgmJointPoints *pts,
						  const VgmJointFitOptions *opt,
						  VgmJointPosterior *post, VgmJointFitInfo *info);

/*
 * The steps, exposed so that unit tests can drive the engine iteration by
 * iteration against scikit-learn (resp and log_resp are n x k, row-major).
 * vgm_joint_m_step fills every array of post, weights included, and
 * returns VGM_OK, VGM_ERR_NOMEM, VGM_ERR_OVERFLOW or VGM_ERR_SINGULAR;
 * vgm_joint_e_step returns VGM_OK, VGM_ERR_NOMEM or VGM_ERR_SINGULAR;
 * vgm_joint_lower_bound is NaN when a covariance does not factor.
 */
int			vgm_joint_m_step(const VgmJointPoints *pts, const double *resp,
							 const VgmJointPriors *priors,
							 VgmJointPosterior *post,
							 const VgmAllocator *alloc);
int			vgm_joint_e_step(const VgmJointPoints *pts,
							 const VgmJointPosterior *post,
							 double *log_resp, double *mean_log_norm,
							 const VgmAllocator *alloc);
double		vgm_joint_lower_bound(const VgmJointPoints *pts,
								  const VgmJointPriors *priors,
								  const VgmJointPosterior *post,
								  const double *log_resp);

#endif							/* VGM_JOINT_VBEM_H */
