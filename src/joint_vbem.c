/*
 * joint_vbem.c - variational Bayesian EM for d-dimensional Gaussian
 *                mixtures with full covariances and a truncated
 *                Dirichlet-process weight prior, on weighted points.
 *
 * Model: Bishop, "Pattern Recognition and Machine Learning", 2006, section
 * 10.2 (Gaussian-Wishart posterior of each component), with the
 * stick-breaking weights of Blei & Jordan, "Variational inference for
 * Dirichlet process mixtures", Bayesian Analysis 1(1), 2006.  Which
 * constants the lower bound keeps, where reg_covar and the 10*eps count
 * guard enter, follow scikit-learn 1.2's BayesianGaussianMixture
 * (covariance_type 'full'), so that a run can be compared with it number by
 * number (test/unit/test_joint_vbem.c).
 *
 * The equations, for points (w_i, x_i, V_i): w_i rows whose mean vector is
 * x_i and whose covariance around x_i is V_i, sharing one responsibility
 * vector r_i.
 *
 *   M-step   N_k = sum_i w_i r_ik + 10 eps
 *            xbar_k = sum_i w_i r_ik x_i / N_k
 *            S_k = sum_i w_i r_ik ((x_i - xbar_k)(x_i - xbar_k)^T + V_i) / N_k
 *                  + reg_covar I
 *            a_k = 1 + N_k,  b_k = gamma_0 + sum_{j>k} N_j
 *            beta_k = beta_0 + N_k,  nu_k = nu_0 + N_k
 *            m_k = (beta_0 m_0 + N_k xbar_k) / beta_k
 *            Sigma_k = (Psi_0 + N_k S_k
 *                       + N_k beta_0 / beta_k (xbar_k - m_0)(xbar_k - m_0)^T) / nu_k
 *   (Sigma_k is scikit-learn's covariances_, (nu_k W_k)^{-1}.)
 *
 *   E-step   log rho_ik = E[log pi_k] + 1/2 E[log |W_k|] - d/2 log(2 pi)
 *                         - 1/2 (d / beta_k + nu_k (x_i - m_k)^T W_k (x_i - m_k)
 *                                + nu_k tr(W_k V_i))
 *            with nu_k W_k = Sigma_k^{-1} = L_k^{-T} L_k^{-1} (Cholesky
 *            Sigma_k = L_k L_k^T), so the quadratic is |L_k^{-1}(x_i - m_k)|^2
 *            and the trace <Sigma_k^{-1}, V_i>; E[log |W_k|] = sum_{j<d}
 *            psi((nu_k - j)/2) + d log 2 - log |Sigma_k| - d log nu_k;
 *            E[log pi_k] = psi(a_k) - psi(a_k + b_k)
 *                          + sum_{j<k} (psi(b_j) - psi(a_j + b_j)).
 *            r_ik = rho_ik / sum_j rho_ij.
 *
 *   Bound    L = -sum_i w_i sum_k r_ik log r_ik
 *                + sum_k [log B(a_k, b_k) - d/2 log beta_k - log C_W(k)],
 *            log C_W(k) = -(nu_k log|L_k^{-1}| - nu_k d/2 log nu_k
 *                           + nu_k d/2 log 2 + sum_{j<d} lgamma((nu_k - j)/2)),
 *            evaluated after the M-step with the responsibilities of the
 *            E-step before it (as scikit-learn does); the fit stops when it
 *            changes by less than tol per unit weight.
 *
 * With unit weights and zero V_i these are scikit-learn's steps exactly; a
 * point of weight w and covariance V gives the same posterior as the rows
 * it stands for whenever those rows share responsibilities.
 *
 * Linear algebra: every Sigma_k is factored by LAPACK's dpotrf; the E-step
 * solves L_k z = x_i - m_k for a block of points at once (cblas_dtrsm), the
 * trace term is one cblas_dgemm of the block's V_i against all
 * Sigma_k^{-1} (dpotri), and the M-step's scatter sums are cblas_dsyrk over
 * the block's sqrt(w r)-scaled deviations.  Sums are taken around each
 * component's current mean (a shift) so that data far from zero keeps its
 * precision.
 *
 * Threads: OpenBLAS may start a thread pool when it loads.  The engine sets
 * openblas_set_num_threads(1) before its first BLAS call (and the module's
 * _PG_init does the same when the library loads), so every call runs in the
 * calling thread: a backend never has threads working beside it, and the
 * pool's threads, if any, stay asleep.
 *
 * Nearly singular covariances.  A column constant in the whole data gets the
 * prior variance reg_covar (as the one-dimensional engine does), and a prior
 * covariance that is numerically singular (collinear columns) gets a ridge of
 * 1e-10 of its diagonal.  Where a component's Sigma_k still has no Cholesky
 * factor in double precision (scikit-learn raises "ill-defined empirical
 * covariance" there) the smallest relative ridge 1e-14 .. 1e-8 of its
 * diagonal that makes dpotrf succeed is added to it; beyond that the fit
 * returns VGM_ERR_SINGULAR.  So a stored posterior always factors.
 *
 * Order and repeats: the fit works on a copy of the points sorted by value
 * (so the result does not depend on the order they arrive in) in which
 * points at the same place are merged into one carrying their summed
 * weight: rows repeated in heaped data share their responsibilities, so
 * this is the same fit at the cost of the distinct points.
 *
 * Memory: every buffer of the engine comes from the caller's allocator
 * (opt->alloc); the work buffers of a pass are O(block x k d), the sorted
 * copy of the points O(n d (1 + d)).  OpenBLAS's routines work in its own
 * buffer pool, allocated once per process, not per call.
 */
/* qsort_r (glibc) sorts the point indexes with the points as context */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "joint_vbem.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "interruptible_sort.h"
#include "kmeans_seed.h"
#include "log_normalize.h"
#include "stick_breaking.h"

/*
 * LAPACK's Fortran entry points as OpenBLAS exports them (there is no
 * LAPACKE header on the build machines).  The trailing size_t is the hidden
 * length of the character argument that gfortran-compiled routines expect.
 */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda,
					int *info, size_t uplo_len);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda,
					int *info, size_t uplo_len);
extern void openblas_set_num_threads(int num_threads);

#define LOG_2PI 1.8378770664093454836
#define LOG_2 0.69314718055994530942
/* scikit-learn adds 10 * machine epsilon to every component's count */
#define COUNT_GUARD (10.0 * DBL_EPSILON)
/* points per batch of BLAS calls: the block buffers stay in the L1/L2 cache */
#define BLOCK 256
/* points between two interrupt checks inside one pass */
#define INTERRUPT_STRIDE ((size_t) 1 << 16)
/* Lloyd iterations of the k-means initialization */
#define KMEANS_MAX_ITER 300

_Static_assert(VGM_JOINT_MAX_COMPONENTS <= VGM_SEED_MAX_CENTERS, "kmeans_seed.c serves every k");
/* ridge of a numerically singular prior covariance, relative to its diagonal */
#define PRIOR_RIDGE 1e-10
/* a prior pivot below this share of its diagonal counts as singular */
#define PRIOR_PIVOT_FLOOR 1e-12
/* share of its diagonal a stored covariance's Cholesky pivot keeps at least */
#define PIVOT_MARGIN (256.0 * DBL_EPSILON)
/* first and last relative ridge tried on a component covariance without a factor */
#define JITTER_FIRST 1e-14
#define JITTER_LAST 1e-8

/* ---------------------------------------------------------------------- */
/* small helpers                                                           */
/* ---------------------------------------------------------------------- */

/* Make GSL report errors as values and OpenBLAS run in the calling thread. */
static void
prepare_libraries(void)
{
	static int	done = 0;

	if (!done)
	{
		gsl_set_error_handler_off();
		openblas_set_num_threads(1);
		done = 1;
	}
}

/* A LAPACK routine on a symmetric matrix in place: dpotrf_ or dpotri_. */
typedef void (*LapackSymmetric) (const char *uplo, const int *n, double *a, const int *lda,
								 int *info, size_t uplo_len);

/*
 * Copy the row-major d x d matrix a to out and run routine on it with
 * uplo "U": row-major a is its own column-major transpose, so LAPACK's
 * column-major upper triangle is the row-major lower one.  The routine
 * leaves the row-major upper triangle as it was; it is then mirrored from
 * the lower one (a full symmetric result) or zeroed (a triangular factor).
 * Returns the routine's info (0 on success).
 */
static int
lapack_on_copy(LapackSymmetric routine, const double *a, int d, double *out, bool mirror)
{
	int			info = 0;
	int			n = d;

	memcpy(out, a, (size_t) d * d * sizeof(double));
	routine("U", &n, out, &n, &info, 1);
	if (info != 0)
		return info;
	for (int i = 0; i < d; i++)
		for (int j = i + 1; j < d; j++)
			out[i * d + j] = mirror ? out[j * d + i] : 0.0;
	return 0;
}

/*
 * Cholesky factor of the row-major symmetric d x d matrix a into l (lower
 * triangle, upper zeroed): dpotrf's column-major upper factor U (a = U^T U)
 * is the row-major lower L.  Returns 0 on success, -1 when a is not
 * numerically positive definite.
 */
static int
cholesky_lower(const double *a, int d, double *l)
{
	if (lapack_on_copy(dpotrf_, a, d, l, false) != 0)
		return -1;
	for (int i = 0; i < d; i++)
		if (!(l[i * d + i] > 0.0) || !isfinite(l[i * d + i]))
			return -1;
	return 0;
}

/* Inverse of the matrix whose lower Cholesky factor is l, into inv (full, symmetric). */
static int
inverse_from_cholesky(const double *l, int d, double *inv)
{
	return lapack_on_copy(dpotri_, l, d, inv, true) != 0 ? -1 : 0;
}

/*
 * The factor of a exists and every pivot keeps more than PIVOT_MARGIN of
 * its diagonal: then any other Cholesky code (another summation order, as
 * the model's validation uses) factors the stored matrix too.
 */
static int
factors_with_margin(const double *a, int d, double *l)
{
	int			i;

	if (cholesky_lower(a, d, l) != 0)
		return 0;
	for (i = 0; i < d; i++)
		if (!(l[i * d + i] * l[i * d + i] > PIVOT_MARGIN * a[i * d + i]))
			return 0;
	return 1;
}

/*
 * Make the covariance a (row-major, symmetric) factor: when dpotrf fails
 * (or leaves a pivot within PIVOT_MARGIN of zero), add the smallest relative ridge JITTER_FIRST .. JITTER_LAST of its
 * diagonal (times ten each try) that lets it succeed, into a itself.
 * Writes the factor to l.  Returns VGM_OK or VGM_ERR_SINGULAR.
 */
static int
factor_with_ridge(double *a, int d, double *l)
{
	double		diag[VGM_JOINT_MAX_DIMS];
	double		tau;
	int			i;

	if (factors_with_margin(a, d, l))
		return VGM_OK;
	for (i = 0; i < d; i++)
	{
		diag[i] = a[i * d + i];
		if (!(diag[i] > 0.0) || !isfinite(diag[i]))
			return VGM_ERR_SINGULAR;
	}
	for (tau = JITTER_FIRST; tau <= JITTER_LAST * 1.5; tau *= 10.0)
	{
		for (i = 0; i < d; i++)
			a[i * d + i] = diag[i] * (1.0 + tau);
		if (factors_with_margin(a, d, l))
			return VGM_OK;
	}
	for (i = 0; i < d; i++)
		a[i * d + i] = diag[i];
	return VGM_ERR_SINGULAR;
}

/* Copy the upper triangle of a row-major d x d matrix onto its lower one. */
static void
mirror_upper(double *a, int d)
{
	int			i,
				j;

	for (i = 0; i < d; i++)
		for (j = i + 1; j < d; j++)
			a[j * d + i] = a[i * d + j];
}

/* ---------------------------------------------------------------------- */
/* options, posterior storage, priors                                      */
/* ---------------------------------------------------------------------- */

/*
 * Defaults of the one-dimensional engine (vgm_fit_options_default): 10
 * components, Dirichlet-process prior 0.001, scikit-learn's priors and
 * reg_covar, tol 1e-8 per unit weight, up to 20000 iterations, seed 42.
 * Starts: VGM_JOINT_DEFAULT_N_INIT, each screened for
 * VGM_JOINT_START_ITER iterations (docs/accuracy.md has the measurement).
 */
void
vgm_joint_fit_options_default(VgmJointFitOptions *opt)
{
	VgmFitOptions one;

	/* taken from the one-dimensional defaults so that the two cannot drift */
	vgm_fit_options_default(&one);
	memset(opt, 0, sizeof(*opt));
	opt->max_components = one.max_components;
	opt->weight_concentration_prior = one.weight_concentration_prior;
	opt->mean_precision_prior = one.mean_precision_prior;
	opt->degrees_of_freedom_prior = one.degrees_of_freedom_prior;
	opt->reg_covar = one.reg_covar;
	opt->max_iter = one.max_iter;
	opt->tol = one.tol;
	opt->seed = one.seed;
	opt->n_init = VGM_JOINT_DEFAULT_N_INIT;
	opt->start_iter = VGM_JOINT_START_ITER;
}

/* Allocate the arrays of a posterior of k components in d dimensions (one block). */
int
vgm_joint_posterior_alloc(VgmJointPosterior *post, int k, int d,
						  const VgmAllocator *alloc)
{
	size_t		per = 5 + (size_t) d + (size_t) d * d;
	double	   *block;

	memset(post, 0, sizeof(*post));
	if (k < 1 || k > VGM_JOINT_MAX_COMPONENTS || d < 1 || d > VGM_JOINT_MAX_DIMS)
		return VGM_ERR_INVALID;
	block = vgm_mem_alloc(alloc, (size_t) k * per * sizeof(double));
	if (!block)
		return VGM_ERR_NOMEM;
	memset(block, 0, (size_t) k * per * sizeof(double));
	post->k = k;
	post->d = d;
	post->conc_a = block;
	post->conc_b = post->conc_a + k;
	post->mean_precision = post->conc_b + k;
	post->dof = post->mean_precision + k;
	post->weights = post->dof + k;
	post->means = post->weights + k;
	post->covariances = post->means + (size_t) k * d;
	return VGM_OK;
}

/* Release the block of vgm_joint_posterior_alloc. */
void
vgm_joint_posterior_free(VgmJointPosterior *post, const VgmAllocator *alloc)
{
	if (post->conc_a)
		vgm_mem_free(alloc, post->conc_a);
	memset(post, 0, sizeof(*post));
}

/*
 * Priors from the data as scikit-learn derives them: weighted mean, and the
 * unbiased weighted covariance (numpy's np.cov, ddof 1; biased when the
 * total weight is at most 1) with the points' own covariances added.  A
 * column whose values agree to a few ulps gets the variance reg_covar and
 * no covariance, and a covariance without a well-conditioned Cholesky
 * factor (collinear columns) a ridge of PRIOR_RIDGE of its diagonal: both
 * are cases where scikit-learn's fit fails or divides by zero.
 */
int
vgm_joint_priors_from_points(const VgmJointPoints *pts,
							 const VgmJointFitOptions *opt,
							 VgmJointPriors *priors)
{
	int			d = pts->d;
	double		mean[VGM_JOINT_MAX_DIMS];
	double		cov[VGM_JOINT_MAX_DIMS * VGM_JOINT_MAX_DIMS];
	double		chol[VGM_JOINT_MAX_DIMS * VGM_JOINT_MAX_DIMS];
	double		total = 0.0;
	double		reg = opt->reg_covar > 0.0 ? opt->reg_covar : 1e-6;
	int			singular = 0;
	size_t		i;
	int			a,
				b;

	if (d < 1 || d > VGM_JOINT_MAX_DIMS)
		return VGM_ERR_INVALID;
	memset(priors, 0, sizeof(*priors));
	memset(mean, 0, sizeof(mean));
	memset(cov, 0, sizeof(cov));
	for (i = 0; i < pts->n; i++)
	{
		total += pts->weight[i];
		for (a = 0; a < d; a++)
			mean[a] += pts->weight[i] * pts->mean[i * d + a];
	}
	if (!(total > 0.0) || !isfinite(total))
		return VGM_ERR_EMPTY;
	for (a = 0; a < d; a++)
	{
		if (!isfinite(mean[a]))
			return VGM_ERR_OVERFLOW;
		mean[a] /= total;
	}
	/* second pass around the mean: stable for large offsets */
	for (i = 0; i < pts->n; i++)
	{
		const double *x = pts->mean + i * d;
		const double *v = pts->scatter ? pts->scatter + i * (size_t) d * d : NULL;
		double		w = pts->weight[i];

		for (a = 0; a < d; a++)
			for (b = a; b < d; b++)
				cov[a * d + b] += w * ((x[a] - mean[a]) * (x[b] - mean[b])
									   + (v ? v[a * d + b] : 0.0));
	}
	for (a = 0; a < d; a++)
		for (b = a; b < d; b++)
		{
			cov[a * d + b] /= total > 1.0 ? total - 1.0 : total;
			if (!isfinite(cov[a * d + b]))
				return VGM_ERR_OVERFLOW;
		}
	/* constant columns: no spread to learn a scale from (as in 1-D) */
	for (a = 0; a < d; a++)
	{
		double		ulps = 64.0 * DBL_EPSILON * fabs(mean[a]);

		if (!(cov[a * d + a] > ulps * ulps) || !(cov[a * d + a] > 0.0))
		{
			for (b = 0; b < d; b++)
				cov[(a < b ? a : b) * d + (a < b ? b : a)] = 0.0;
			cov[a * d + a] = reg;
		}
	}
	mirror_upper(cov, d);
	/* collinear columns: a pivot that lost all but 1e-12 of its diagonal */
	if (cholesky_lower(cov, d, chol) != 0)
		singular = 1;
	else
		for (a = 0; a < d; a++)
			if (chol[a * d + a] * chol[a * d + a] < PRIOR_PIVOT_FLOOR * cov[a * d + a])
				singular = 1;
	if (singular)
		for (a = 0; a < d; a++)
			cov[a * d + a] *= 1.0 + PRIOR_RIDGE;

	priors->d = d;
	priors->weight_concentration = opt->weight_concentration_prior;
	priors->mean_precision = opt->mean_precision_prior > 0.0 ? opt->mean_precision_prior : 1.0;
	priors->degrees_of_freedom = opt->degrees_of_freedom_prior > 0.0
		? opt->degrees_of_freedom_prior : (double) d;
	priors->reg_covar = opt->reg_covar;
	for (a = 0; a < d; a++)
		priors->mean[a] = opt->mean_prior ? opt->mean_prior[a] : mean[a];
	if (opt->covariance_prior)
		memcpy(priors->covariance, opt->covariance_prior, (size_t) d * d * sizeof(double));
	else
		memcpy(priors->covariance, cov, (size_t) d * d * sizeof(double));
	/* a given prior must be finite, symmetric and positive definite */
	for (a = 0; a < d; a++)
	{
		if (!isfinite(priors->mean[a]))
			return VGM_ERR_INVALID;
		for (b = 0; b < d; b++)
			if (!isfinite(priors->covariance[a * d + b])
				|| priors->covariance[a * d + b] != priors->covariance[b * d + a])
				return VGM_ERR_INVALID;
	}
	if (cholesky_lower(priors->covariance, d, chol) != 0)
		return opt->covariance_prior ? VGM_ERR_INVALID : VGM_ERR_SINGULAR;
	if (!(priors->degrees_of_freedom > d - 1.0) || !isfinite(priors->degrees_of_freedom)
		|| !isfinite(priors->mean_precision))
		return VGM_ERR_INVALID;
	return VGM_OK;
}

/* ---------------------------------------------------------------------- */
/* sufficient statistics and the M-step                                    */
/* ---------------------------------------------------------------------- */

/*
 * Per-component sums of one pass, around a shift per component:
 *   count_k = sum w r,  s1_k = sum w r (x - shift_k),
 *   s2_k = sum w r ((x - shift_k)(x - shift_k)^T + V)   (upper triangle
 *   until stats_finish mirrors it).
 */
typedef struct Stats
{
	int			k;
	int			d;
	double	   *count;			/* k */
	double	   *shift;			/* k x d */
	double	   *s1;				/* k x d */
	double	   *s2;				/* k x d x d */
} Stats;

/* Work buffers of one block of points. */
typedef struct BlockWork
{
	double	   *diff;			/* BLOCK x d */
	double	   *proj;			/* BLOCK x k d: the block's rows times every P_k */
	double	   *lp;				/* BLOCK x k: log probabilities, then responsibilities */
	double	   *trace;			/* BLOCK x k: <Sigma_k^{-1}, V_i> */
	double	   *wr;				/* BLOCK x k: w r */
} BlockWork;

/* Per-component constants of the E-step. */
typedef struct CompCache
{
	double	   *chol;			/* k x d x d: lower Cholesky factors of Sigma_k */
	double	   *inverse;		/* k x d x d: Sigma_k^{-1} (when points carry V) */
	double	   *log_const;		/* k: everything but -q/2 */
	double	   *center;			/* d: the average of the component means */
	double	   *proj;			/* d x k d: [P_1 .. P_k], P_k = L_k^{-T} */
	double	   *offset;			/* k d: (m_k - center)^T P_k */
} CompCache;

/* One allocation for the stats, the cache and the block buffers of a pass. */
typedef struct PassMemory
{
	Stats		stats;
	CompCache	cache;
	BlockWork	work;
	double	   *block;
} PassMemory;

/* The next n doubles of a block being handed out; advances *p past them. */
static double *
carve(double **p, size_t n)
{
	double	   *start = *p;

	*p += n;
	return start;
}

/* Allocate a pass's memory for k components in d dimensions. */
static int
pass_memory_alloc(PassMemory *m, int k, int d, const VgmAllocator *alloc)
{
	size_t		dd = (size_t) d * d;
	size_t		total = (size_t) k * (1 + 2 * d + dd)	/* stats */
		+ (size_t) k * (3 * dd + 1 + d) + d	/* cache */
		+ (size_t) BLOCK * (d + 3 * (size_t) k + (size_t) k * d);	/* block */
	double	   *p;

	memset(m, 0, sizeof(*m));
	m->block = vgm_mem_alloc(alloc, total * sizeof(double));
	if (!m->block)
		return VGM_ERR_NOMEM;
	memset(m->block, 0, total * sizeof(double));
	p = m->block;
	m->stats.k = k;
	m->stats.d = d;
	m->stats.count = carve(&p, k);
	m->stats.shift = carve(&p, (size_t) k * d);
	m->stats.s1 = carve(&p, (size_t) k * d);
	m->stats.s2 = carve(&p, (size_t) k * dd);
	m->cache.chol = carve(&p, (size_t) k * dd);
	m->cache.inverse = carve(&p, (size_t) k * dd);
	m->cache.log_const = carve(&p, k);
	m->cache.center = carve(&p, d);
	m->cache.proj = carve(&p, (size_t) k * dd);
	m->cache.offset = carve(&p, (size_t) k * d);
	m->work.diff = carve(&p, (size_t) BLOCK * d);
	m->work.proj = carve(&p, (size_t) BLOCK * k * d);
	m->work.lp = carve(&p, (size_t) BLOCK * k);
	m->work.trace = carve(&p, (size_t) BLOCK * k);
	m->work.wr = p;
	return VGM_OK;
}

/* Zero the sums and set each component's shift. */
static void
stats_reset(Stats *s, const double *shift)
{
	size_t		dd = (size_t) s->d * s->d;

	memset(s->count, 0, s->k * sizeof(double));
	memset(s->s1, 0, (size_t) s->k * s->d * sizeof(double));
	memset(s->s2, 0, (size_t) s->k * dd * sizeof(double));
	memcpy(s->shift, shift, (size_t) s->k * s->d * sizeof(double));
}

/*
 * Add a block of m points (x: m x d, weights w, covariances v or NULL) with
 * responsibilities resp (m x k) to the sums.  The scatter of each
 * component is one dsyrk of the sqrt(w r)-scaled deviations from its shift,
 * the V term one dgemm (w r)^T V for all components at once.
 */
static void
stats_add_block(Stats *s, BlockWork *bw, size_t m, const double *x,
				const double *w, const double *v, const double *resp)
{
	int			k = s->k;
	int			d = s->d;
	int			dd = d * d;
	size_t		i;
	int			j,
				a;

	for (i = 0; i < m; i++)
		for (j = 0; j < k; j++)
			bw->wr[i * k + j] = w[i] * resp[i * k + j];
	for (j = 0; j < k; j++)
	{
		const double *sh = s->shift + (size_t) j * d;
		double	   *s1 = s->s1 + (size_t) j * d;
		double		cnt = 0.0;
		size_t		used = 0;

		/* only the rows this component holds: far components get r = 0 exactly */
		for (i = 0; i < m; i++)
		{
			double		wr = bw->wr[i * k + j];
			double		root;
			double	   *row;

			if (wr == 0.0)
				continue;
			root = sqrt(wr);
			row = bw->diff + used * d;
			cnt += wr;
			for (a = 0; a < d; a++)
			{
				double		dev = x[i * d + a] - sh[a];

				s1[a] += wr * dev;
				row[a] = root * dev;
			}
			used++;
		}
		s->count[j] += cnt;
		if (used > 0)
			cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, (int) used, 1.0,
						bw->diff, d, 1.0, s->s2 + (size_t) j * dd, d);
	}
	if (v)
		cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, dd, (int) m, 1.0,
					bw->wr, k, v, dd, 1.0, s->s2, dd);
}

/*
 * Turn the sums into the posterior (the M-step's closed form in the file
 * comment), then give every covariance a Cholesky factor (factor_with_ridge).
 */
static int
posterior_from_stats(Stats *s, const VgmJointPriors *pr, VgmJointPosterior *post)
{
	int			k = s->k;
	int			d = s->d;
	size_t		dd = (size_t) d * d;
	double		chol[VGM_JOINT_MAX_DIMS * VGM_JOINT_MAX_DIMS];
	double		tail = 0.0;
	double		total_w = 0.0;
	int			j,
				a,
				b;

	for (j = k - 1; j >= 0; j--)
		vgm_stick_beta(s->count[j] + COUNT_GUARD, pr->weight_concentration, &tail,
					   &post->conc_a[j], &post->conc_b[j]);
	for (j = 0; j < k; j++)
	{
		double		cnt = s->count[j];
		double		nk = cnt + COUNT_GUARD;
		double		beta = pr->mean_precision + nk;
		const double *sh = s->shift + (size_t) j * d;
		double	   *s1 = s->s1 + (size_t) j * d;
		double	   *s2 = s->s2 + (size_t) j * dd;
		double	   *cov = post->covariances + (size_t) j * dd;
		double	   *mu = post->means + (size_t) j * d;
		double		xbar[VGM_JOINT_MAX_DIMS];
		double		e[VGM_JOINT_MAX_DIMS];
		double		diff[VGM_JOINT_MAX_DIMS];
		double		dof = pr->degrees_of_freedom + nk;
		double		shrink = nk * pr->mean_precision / beta;
		int			status;

		mirror_upper(s2, d);
		for (a = 0; a < d; a++)
		{
			/* sum w r x / N_k = shift count / N_k + s1 / N_k */
			xbar[a] = sh[a] * (cnt / nk) + s1[a] / nk;
			e[a] = xbar[a] - sh[a];
			diff[a] = xbar[a] - pr->mean[a];
			mu[a] = (pr->mean_precision * pr->mean[a] + nk * xbar[a]) / beta;
		}
		for (a = 0; a < d; a++)
			for (b = 0; b < d; b++)
			{
				/* sum w r ((x - xbar)(x - xbar)^T + V) with x - xbar = (x - shift) - e */
				double		scatter = s2[a * d + b] - e[a] * s1[b] - s1[a] * e[b]
					+ cnt * e[a] * e[b];
				double		sk = scatter / nk + (a == b ? pr->reg_covar : 0.0);

				if (a == b && sk < pr->reg_covar)
					sk = pr->reg_covar;	/* round-off below zero */
				cov[a * d + b] = (pr->covariance[a * d + b] + nk * sk
								  + shrink * diff[a] * diff[b]) / dof;
			}
		/* exact symmetry for the factorization and the stored model */
		for (a = 0; a < d; a++)
			for (b = a + 1; b < d; b++)
			{
				double		avg = 0.5 * (cov[a * d + b] + cov[b * d + a]);

				cov[a * d + b] = cov[b * d + a] = avg;
			}
		post->mean_precision[j] = beta;
		post->dof[j] = dof;
		for (a = 0; a < d; a++)
			if (!isfinite(mu[a]))
				return VGM_ERR_OVERFLOW;
		for (a = 0; a < (int) dd; a++)
			if (!isfinite(cov[a]))
				return VGM_ERR_OVERFLOW;
		status = factor_with_ridge(cov, d, chol);
		if (status != VGM_OK)
			return status;
	}
	/* point estimate of the weights (scikit-learn's weights_) */
	{
		double		remaining = 1.0;

		for (j = 0; j < k; j++)
		{
			post->weights[j] = vgm_stick_weight(post->conc_a[j], post->conc_b[j], &remaining);
			total_w += post->weights[j];
		}
		for (j = 0; j < k; j++)
			post->weights[j] /= total_w;
	}
	return VGM_OK;
}

/*
 * Start of an exposed step: check the shapes it shares with the others and
 * allocate its pass memory.
 */
static int
begin_exposed_step(const VgmJointPoints *pts, const VgmJointPosterior *post,
				   PassMemory *m, const VgmAllocator *alloc)
{
	prepare_libraries();
	if (pts->d < 1 || pts->d > VGM_JOINT_MAX_DIMS || post->d != pts->d
		|| post->k < 1 || post->k > VGM_JOINT_MAX_COMPONENTS)
		return VGM_ERR_INVALID;
	return pass_memory_alloc(m, post->k, pts->d, alloc);
}

/*
 * M-step from probabilities resp (n x k); also scikit-learn's _initialize.
 * Two passes as scikit-learn: the means first, then the scatter around
 * them.
 */
int
vgm_joint_m_step(const VgmJointPoints *pts, const double *resp,
				 const VgmJointPriors *priors, VgmJointPosterior *post,
				 const VgmAllocator *alloc)
{
	int			k = post->k;
	int			d = pts->d;
	PassMemory	m;
	size_t		lo;
	int			status;
	int			j,
				a;

	status = begin_exposed_step(pts, post, &m, alloc);
	if (status != VGM_OK)
		return status;
	/* pass 1: xbar_k = sum w r x / (sum w r + guard) */
	memset(m.stats.shift, 0, (size_t) k * d * sizeof(double));
	for (lo = 0; lo < pts->n; lo++)
		for (j = 0; j < k; j++)
		{
			double		wr = pts->weight[lo] * resp[lo * k + j];

			m.stats.count[j] += wr;
			for (a = 0; a < d; a++)
				m.stats.shift[(size_t) j * d + a] += wr * pts->mean[lo * d + a];
		}
	for (j = 0; j < k; j++)
		for (a = 0; a < d; a++)
			m.stats.shift[(size_t) j * d + a] /= m.stats.count[j] + COUNT_GUARD;
	/* pass 2: the sums around those means */
	stats_reset(&m.stats, m.stats.shift);
	for (lo = 0; lo < pts->n; lo += BLOCK)
	{
		size_t		len = pts->n - lo < BLOCK ? pts->n - lo : BLOCK;

		stats_add_block(&m.stats, &m.work, len, pts->mean + lo * d, pts->weight + lo,
						pts->scatter ? pts->scatter + lo * (size_t) d * d : NULL,
						resp + lo * k);
	}
	status = posterior_from_stats(&m.stats, priors, post);
	vgm_mem_free(alloc, m.block);
	return status;
}

/* ---------------------------------------------------------------------- */
/* the E-step                                                              */
/* ---------------------------------------------------------------------- */

/* Expected log mixing weights E[log pi_k] of the stick-breaking posterior. */
static void
expected_log_weights(const VgmJointPosterior *post, double *out)
{
	double		broken = 0.0;	/* sum over earlier sticks of E[log(1 - v)] */
	int			j;

	for (j = 0; j < post->k; j++)
		out[j] = vgm_stick_expected_log_weight(post->conc_a[j], post->conc_b[j], &broken);
}

/*
 * Factor every Sigma_k and collect the E-step's per-component constant:
 * E[log pi_k] + log|L_k^{-1}| - d/2 log nu_k - d/2 log 2 pi
 * + 1/2 (d log 2 + sum_j psi((nu_k - j)/2) - d / beta_k),
 * and the projections of block_log_prob: P_k = L_k^{-T} side by side, and
 * each mean's projection about a center among the components.
 */
static int
cache_components(const VgmJointPosterior *post, CompCache *c, int need_inverse)
{
	int			k = post->k;
	int			d = post->d;
	size_t		dd = (size_t) d * d;
	int			j,
				a;

	expected_log_weights(post, c->log_const);
	/* the plain average of the means: it lies among the components */
	memset(c->center, 0, d * sizeof(double));
	for (j = 0; j < k; j++)
		for (a = 0; a < d; a++)
			c->center[a] += post->means[j * d + a] / k;
	for (a = 0; a < d; a++)
		if (!isfinite(c->center[a]))
			c->center[a] = post->means[a];
	for (j = 0; j < k; j++)
	{
		double	   *l = c->chol + j * dd;
		double		linv[VGM_JOINT_MAX_DIMS * VGM_JOINT_MAX_DIMS];
		int			b,
					e;
		double		log_det_prec_chol = 0.0;
		double		log_lambda = d * LOG_2;

		if (!(post->dof[j] > d - 1.0) || !(post->mean_precision[j] > 0.0)
			|| cholesky_lower(post->covariances + j * dd, d, l) != 0)
			return VGM_ERR_SINGULAR;
		if (need_inverse && inverse_from_cholesky(l, d, c->inverse + j * dd) != 0)
			return VGM_ERR_SINGULAR;
		/* L_k^{-1} by a triangular solve against the identity */
		memset(linv, 0, dd * sizeof(double));
		for (a = 0; a < d; a++)
			linv[a * d + a] = 1.0;
		cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
					d, d, 1.0, l, d, linv, d);
		for (b = 0; b < d; b++)
		{
			double		off = 0.0;

			for (a = 0; a < d; a++)
			{
				/* P_k[a][b] = L_k^{-1}[b][a] */
				c->proj[(size_t) a * k * d + (size_t) j * d + b] = linv[b * d + a];
				off += (post->means[j * d + a] - c->center[a]) * linv[b * d + a];
			}
			c->offset[(size_t) j * d + b] = off;
		}
		for (e = 0; e < (int) dd; e++)
			if (!isfinite(linv[e]))
				return VGM_ERR_SINGULAR;
		for (a = 0; a < d; a++)
		{
			log_det_prec_chol -= log(l[a * d + a]);
			log_lambda += gsl_sf_psi(0.5 * (post->dof[j] - a));
		}
		c->log_const[j] += -0.5 * d * LOG_2PI + log_det_prec_chol
			- 0.5 * d * log(post->dof[j])
			+ 0.5 * (log_lambda - d / post->mean_precision[j]);
		if (!isfinite(c->log_const[j]))
			return VGM_ERR_SINGULAR;
	}
	return VGM_OK;
}

/*
 * Weighted log probabilities of a block of m points into bw->lp (m x k):
 * log_const_k - 1/2 (|L_k^{-1}(x_i - m_k)|^2 + <Sigma_k^{-1}, V_i>).
 * One dgemm projects the block's rows, taken about the center c, on every
 * P_k at once: z_ik = P_k^T (x_i - c) - P_k^T (m_k - c), as scikit-learn
 * computes X P_k - m_k P_k but about c instead of the origin, so that data
 * far from zero keeps its precision; one more dgemm gives every trace.
 */
static void
block_log_prob(const VgmJointPosterior *post, const CompCache *c, BlockWork *bw,
			   size_t m, const double *x, const double *v)
{
	int			k = post->k;
	int			d = post->d;
	int			dd = d * d;
	size_t		i;
	int			j,
				a;

	int			kd = k * d;

	if (v)
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int) m, k, dd, 1.0,
					v, dd, c->inverse, dd, 0.0, bw->trace, k);
	for (i = 0; i < m; i++)
		for (a = 0; a < d; a++)
			bw->diff[i * d + a] = x[i * d + a] - c->center[a];
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int) m, kd, d, 1.0,
				bw->diff, d, c->proj, kd, 0.0, bw->proj, kd);
	for (i = 0; i < m; i++)
	{
		const double *y = bw->proj + i * kd;

		for (j = 0; j < k; j++)
		{
			const double *off = c->offset + (size_t) j * d;
			double		q = 0.0;

			for (a = 0; a < d; a++)
			{
				double		z = y[j * d + a] - off[a];

				q += z * z;
			}
			if (v)
				q += bw->trace[i * k + j];
			bw->lp[i * k + j] = c->log_const[j] - 0.5 * q;
		}
	}
}

/*
 * Normalize the block's log probabilities in place into log
 * responsibilities; returns sum_i w_i log_norm_i.
 */
static double
block_normalize(BlockWork *bw, size_t m, int k, const double *w)
{
	double		total = 0.0;
	size_t		i;

	for (i = 0; i < m; i++)
		total += w[i] * vgm_log_normalize_row(bw->lp + i * k, k);
	return total;
}

/* E-step: log_resp (n x k) and the weighted mean log normalizer. */
int
vgm_joint_e_step(const VgmJointPoints *pts, const VgmJointPosterior *post,
				 double *log_resp, double *mean_log_norm,
				 const VgmAllocator *alloc)
{
	int			k = post->k;
	int			d = pts->d;
	PassMemory	m;
	double		total_norm = 0.0;
	double		total_w = 0.0;
	size_t		lo;
	int			status;

	status = begin_exposed_step(pts, post, &m, alloc);
	if (status != VGM_OK)
		return status;
	status = cache_components(post, &m.cache, pts->scatter != NULL);
	if (status != VGM_OK)
	{
		vgm_mem_free(alloc, m.block);
		return status;
	}
	for (lo = 0; lo < pts->n; lo += BLOCK)
	{
		size_t		len = pts->n - lo < BLOCK ? pts->n - lo : BLOCK;

		block_log_prob(post, &m.cache, &m.work, len, pts->mean + lo * d,
					   pts->scatter ? pts->scatter + lo * (size_t) d * d : NULL);
		total_norm += block_normalize(&m.work, len, k, pts->weight + lo);
		memcpy(log_resp + lo * k, m.work.lp, len * k * sizeof(double));
	}
	for (lo = 0; lo < pts->n; lo++)
		total_w += pts->weight[lo];
	if (mean_log_norm)
		*mean_log_norm = total_w > 0.0 ? total_norm / total_w : 0.0;
	vgm_mem_free(alloc, m.block);
	return VGM_OK;
}

/* ---------------------------------------------------------------------- */
/* the lower bound                                                         */
/* ---------------------------------------------------------------------- */

/*
 * Terms of the lower bound that depend only on the posterior:
 * sum_k [log B(a_k, b_k) - d/2 log beta_k - log C_W(k)].  NaN when a
 * covariance has no factor.
 */
static double
lower_bound_posterior_terms(const VgmJointPosterior *post)
{
	int			d = post->d;
	size_t		dd = (size_t) d * d;
	double		chol[VGM_JOINT_MAX_DIMS * VGM_JOINT_MAX_DIMS];
	double		lb = 0.0;
	int			j,
				a;

	for (j = 0; j < post->k; j++)
	{
		double		nu = post->dof[j];
		double		log_det = -0.5 * d * log(nu);
		double		log_wishart_norm;
		double		lg = 0.0;

		if (cholesky_lower(post->covariances + j * dd, d, chol) != 0)
			return NAN;
		for (a = 0; a < d; a++)
		{
			log_det -= log(chol[a * d + a]);
			lg += gsl_sf_lngamma(0.5 * (nu - a));
		}
		log_wishart_norm = -(nu * log_det + nu * d * 0.5 * LOG_2 + lg);
		lb -= log_wishart_norm;
		lb += gsl_sf_lnbeta(post->conc_a[j], post->conc_b[j]);
		lb -= 0.5 * d * log(post->mean_precision[j]);
	}
	return lb;
}

/* Lower bound after an M-step, given the E-step's log responsibilities. */
double
vgm_joint_lower_bound(const VgmJointPoints *pts, const VgmJointPriors *priors,
					  const VgmJointPosterior *post, const double *log_resp)
{
	int			k = post->k;
	double		entropy = 0.0;
	size_t		i;
	int			j;

	(void) priors;
	prepare_libraries();
	for (i = 0; i < pts->n; i++)
		for (j = 0; j < k; j++)
		{
			double		lr = log_resp[i * k + j];
			double		r = exp(lr);

			if (r > 0.0)
				entropy -= pts->weight[i] * r * lr;
		}
	return entropy + lower_bound_posterior_terms(post);
}

/* ---------------------------------------------------------------------- */
/* the fused iteration of a fit                                            */
/* ---------------------------------------------------------------------- */

/*
 * One E-step and M-step over all points without storing responsibilities:
 * block by block, log probabilities, responsibilities and the sums around
 * each component's current mean.  *entropy receives the entropy term of the
 * bound.  Returns VGM_OK, VGM_ERR_INTERRUPTED or VGM_ERR_SINGULAR.
 */
static int
fused_iteration(const VgmJointPoints *pts, PassMemory *m,
				const VgmJointPriors *priors, VgmJointPosterior *post,
				const VgmJointFitOptions *opt, double *entropy)
{
	int			k = post->k;
	int			d = pts->d;
	size_t		since = 0;
	double		ent = 0.0;
	size_t		lo;
	int			status;

	status = cache_components(post, &m->cache, pts->scatter != NULL);
	if (status != VGM_OK)
		return status;
	stats_reset(&m->stats, post->means);
	for (lo = 0; lo < pts->n; lo += BLOCK)
	{
		size_t		len = pts->n - lo < BLOCK ? pts->n - lo : BLOCK;
		const double *x = pts->mean + lo * d;
		const double *w = pts->weight + lo;
		const double *v = pts->scatter ? pts->scatter + lo * (size_t) d * d : NULL;
		size_t		i;
		int			j;

		since += len;
		/* a pass over millions of points must stay cancellable */
		if (since >= INTERRUPT_STRIDE)
		{
			since = 0;
			if (opt->check_interrupt && opt->check_interrupt(opt->interrupt_arg))
				return VGM_ERR_INTERRUPTED;
		}
		block_log_prob(post, &m->cache, &m->work, len, x, v);
		for (i = 0; i < len; i++)
		{
			double	   *row = m->work.lp + i * k;
			double		shifted[VGM_JOINT_MAX_COMPONENTS];
			double		sum;
			double		log_norm;

			/* shifted log probabilities in shifted[], their exp() in row[] */
			sum = vgm_exp_shifted_row(row, shifted, k, vgm_row_max(row, k));
			log_norm = log(sum);

			for (j = 0; j < k; j++)
			{
				double		r = row[j] / sum;

				if (r > 0.0)
					ent -= w[i] * r * (shifted[j] - log_norm);
				row[j] = r;
			}
		}
		stats_add_block(&m->stats, &m->work, len, x, w, v, m->work.lp);
	}
	status = posterior_from_stats(&m->stats, priors, post);
	*entropy = ent;
	return status;
}

/* ---------------------------------------------------------------------- */
/* deterministic initialization: weighted k-means++ and Lloyd              */
/* ---------------------------------------------------------------------- */

/* Scratch arrays and callbacks of the initialization. */
typedef struct InitScratch
{
	double	   *dist;			/* n */
	double	   *cum;			/* n */
	int		   *label;			/* n */
	int			(*check_interrupt) (void *arg);
	void	   *interrupt_arg;
} InitScratch;

/* Ask the interrupt hook. */
static int
interrupted(const InitScratch *s)
{
	return s->check_interrupt && s->check_interrupt(s->interrupt_arg);
}

/*
 * Lloyd's algorithm: assign each point to its nearest center (the first of
 * equal distances), move each center to its cluster's weighted mean, until
 * no label changes or max_iter passes.  With max_iter 1 the centers stay
 * (assignment only).  Returns 0, or -1 when interrupted.
 */
static int
kmeans_lloyd(const VgmJointPoints *pts, int k, double *centers, int max_iter,
			 InitScratch *s)
{
	int			d = pts->d;
	double		sw[VGM_JOINT_MAX_COMPONENTS];
	double		swx[VGM_JOINT_MAX_COMPONENTS * VGM_JOINT_MAX_DIMS];
	int			iter;

	for (iter = 0; iter < max_iter; iter++)
	{
		int			changed = 0;
		size_t		i;
		int			c,
					a;

		memset(sw, 0, k * sizeof(double));
		memset(swx, 0, (size_t) k * d * sizeof(double));
		for (i = 0; i < pts->n; i++)
		{
			const double *x = pts->mean + i * d;
			double		best = INFINITY;
			int			arg = 0;

			for (c = 0; c < k; c++)
			{
				double		e = vgm_sq_dist(x, centers + (size_t) c * d, d);

				if (e < best)
				{
					best = e;
					arg = c;
				}
			}
			if (s->label[i] != arg)
			{
				s->label[i] = arg;
				changed = 1;
			}
			sw[arg] += pts->weight[i];
			for (a = 0; a < d; a++)
				swx[arg * d + a] += pts->weight[i] * (x[a] - centers[arg * d + a]);
		}
		if (max_iter == 1 || (!changed && iter > 0))
			break;
		for (c = 0; c < k; c++)
			if (sw[c] > 0.0)
				for (a = 0; a < d; a++)
					centers[c * d + a] += swx[c * d + a] / sw[c];
		if (interrupted(s))
			return -1;
	}
	return 0;
}

/*
 * Initial posterior of start s: hard responsibilities from k-means (or from
 * the nearest heavy center), turned into a posterior by one M-step exactly
 * as scikit-learn's _initialize does; clusters are numbered heaviest first
 * and components without a cluster come last.
 */
static int
initialize_posterior(const VgmJointPoints *pts, const VgmJointFitOptions *opt,
					 const VgmJointPriors *priors, VgmJointPosterior *post,
					 PassMemory *m, InitScratch *s, int start)
{
	int			k = post->k;
	int			d = pts->d;
	double		centers[VGM_JOINT_MAX_COMPONENTS * VGM_JOINT_MAX_DIMS];
	double		mean[VGM_JOINT_MAX_COMPONENTS * VGM_JOINT_MAX_DIMS];
	int			slot[VGM_JOINT_MAX_COMPONENTS];
	VgmSeedPoints seed_points = {.n = pts->n, .dim = d,
		.weight = pts->weight, .weight_stride = sizeof(double),
	.coord = pts->mean, .coord_stride = (size_t) d * sizeof(double)};
	int			heavy = 0;
	int			found;
	size_t		i,
				lo;
	int			c,
				a;

	if (vgm_start_kind(start) == VGM_START_HEAVY)
		heavy = vgm_heavy_centers(&seed_points, k, centers);
	found = vgm_kmeanspp_seed(&seed_points, k, vgm_start_seed(opt->seed, start), centers, heavy,
							  s->dist, s->cum, s->check_interrupt, s->interrupt_arg);
	if (found < 0)
		return VGM_ERR_INTERRUPTED;
	for (i = 0; i < pts->n; i++)
		s->label[i] = -1;
	/* a heavy start keeps its centers on the dense cells: assignment only */
	if (kmeans_lloyd(pts, found, centers,
					 vgm_start_kind(start) == VGM_START_HEAVY ? 1 : KMEANS_MAX_ITER, s) != 0)
		return VGM_ERR_INTERRUPTED;

	/* heaviest first, ties in seeding order */
	vgm_number_clusters(&seed_points, s->label, found, NULL, slot);

	/* two passes as scikit-learn: the cluster means, then the sums around them */
	memset(m->stats.count, 0, k * sizeof(double));
	memset(mean, 0, sizeof(mean));
	for (i = 0; i < pts->n; i++)
	{
		int			j = slot[s->label[i]];

		m->stats.count[j] += pts->weight[i];
		for (a = 0; a < d; a++)
			mean[j * d + a] += pts->weight[i] * pts->mean[i * d + a];
	}
	for (c = 0; c < k; c++)
		for (a = 0; a < d; a++)
			mean[c * d + a] /= m->stats.count[c] + COUNT_GUARD;
	stats_reset(&m->stats, mean);
	for (lo = 0; lo < pts->n; lo += BLOCK)
	{
		size_t		len = pts->n - lo < BLOCK ? pts->n - lo : BLOCK;

		/* one-hot responsibilities of the block */
		memset(m->work.lp, 0, len * k * sizeof(double));
		for (i = 0; i < len; i++)
			m->work.lp[i * k + slot[s->label[lo + i]]] = 1.0;
		stats_add_block(&m->stats, &m->work, len, pts->mean + lo * d, pts->weight + lo,
						pts->scatter ? pts->scatter + lo * (size_t) d * d : NULL,
						m->work.lp);
	}
	return posterior_from_stats(&m->stats, priors, post);
}

/* ---------------------------------------------------------------------- */
/* canonical order of the points                                           */
/* ---------------------------------------------------------------------- */

/* Lexicographic order of points by mean vector, then covariance, then weight. */
static int
point_cmp(const void *pa, const void *pb, void *arg)
{
	const VgmJointPoints *pts = arg;
	size_t		i = *(const size_t *) pa;
	size_t		j = *(const size_t *) pb;
	int			d = pts->d;
	size_t		dd = (size_t) d * d;
	size_t		a;

	for (a = 0; a < (size_t) d; a++)
		if (pts->mean[i * d + a] != pts->mean[j * d + a])
			return pts->mean[i * d + a] < pts->mean[j * d + a] ? -1 : 1;
	if (pts->scatter)
		for (a = 0; a < dd; a++)
			if (pts->scatter[i * dd + a] != pts->scatter[j * dd + a])
				return pts->scatter[i * dd + a] < pts->scatter[j * dd + a] ? -1 : 1;
	if (pts->weight[i] != pts->weight[j])
		return pts->weight[i] < pts->weight[j] ? -1 : 1;
	return 0;
}

/* Same mean vector and same within-point covariance (weights aside). */
static int
same_place(const VgmJointPoints *pts, size_t i, size_t j)
{
	size_t		d = pts->d;
	size_t		dd = d * d;

	if (memcmp(pts->mean + i * d, pts->mean + j * d, d * sizeof(double)) != 0)
		return 0;
	return !pts->scatter
		|| memcmp(pts->scatter + i * dd, pts->scatter + j * dd, dd * sizeof(double)) == 0;
}

/*
 * Sort the indexes idx[0..n) by point_cmp through the scratch tmp (n
 * indexes), checking for interrupts (see interruptible_sort.h).  Equal
 * points are identical, so the order of the copy does not depend on the
 * order the points arrived in.
 */
static int
sort_indexes(const VgmJointPoints *pts, size_t *idx, size_t *tmp,
			 const VgmJointFitOptions *opt)
{
	if (vgm_interruptible_sort(idx, pts->n, sizeof(size_t), tmp, point_cmp, (void *) pts,
							   opt->check_interrupt, opt->interrupt_arg, INTERRUPT_STRIDE))
		return VGM_ERR_INTERRUPTED;
	return VGM_OK;
}

/* ---------------------------------------------------------------------- */
/* the fit                                                                 */
/* ---------------------------------------------------------------------- */

/*
 * Reject what the engine cannot fit: bad options, non-finite numbers,
 * negative weights, within-point covariances that are not symmetric or
 * break |V_ab| <= sqrt(V_aa V_bb) (a necessary condition of positive
 * semi-definiteness).
 */
static int
check_inputs(const VgmJointPoints *pts, const VgmJointFitOptions *opt)
{
	int			d = pts->d;
	size_t		dd = (size_t) d * d;
	size_t		i;
	int			a,
				b;

	if (d < 1 || d > VGM_JOINT_MAX_DIMS)
		return VGM_ERR_INVALID;
	if (vgm_check_shared_options(opt->max_components, VGM_JOINT_MAX_COMPONENTS,
								 opt->weight_concentration_prior, opt->max_iter,
								 opt->tol, opt->reg_covar) != VGM_OK)
		return VGM_ERR_INVALID;
	if (pts->n > 0 && (!pts->weight || !pts->mean))
		return VGM_ERR_INVALID;
	for (i = 0; i < pts->n; i++)
	{
		if (!isfinite(pts->weight[i]) || pts->weight[i] < 0.0)
			return VGM_ERR_INVALID;
		for (a = 0; a < d; a++)
			if (!isfinite(pts->mean[i * d + a]))
				return VGM_ERR_INVALID;
		if (pts->scatter)
		{
			const double *v = pts->scatter + i * dd;

			for (a = 0; a < d; a++)
			{
				if (!isfinite(v[a * d + a]) || v[a * d + a] < 0.0)
					return VGM_ERR_INVALID;
				for (b = 0; b < a; b++)
					if (!isfinite(v[a * d + b]) || v[a * d + b] != v[b * d + a]
						|| fabs(v[a * d + b]) > sqrt(v[a * d + a]) * sqrt(v[b * d + b])
						* (1.0 + 1e-12))
						return VGM_ERR_INVALID;
			}
		}
	}
	return VGM_OK;
}

/* Arrays of the canonical copy of the points (positive weights, sorted). */
typedef struct SortedPoints
{
	VgmJointPoints pts;
	double	   *block;
} SortedPoints;

/* Copy the points with positive weight in canonical order into one block, merging repeats. */
static int
copy_sorted(const VgmJointPoints *in, const VgmJointFitOptions *opt,
			const VgmAllocator *alloc, SortedPoints *out, double *total)
{
	int			d = in->d;
	size_t		dd = (size_t) d * d;
	size_t		used = 0;
	size_t	   *idx;
	size_t		i,
				o,
				last = 0;
	int			status;
	double	   *w,
			   *x,
			   *v = NULL;

	memset(out, 0, sizeof(*out));
	*total = 0.0;
	idx = vgm_mem_alloc(alloc, 2 * (in->n ? in->n : 1) * sizeof(size_t));
	if (!idx)
		return VGM_ERR_NOMEM;
	for (i = 0; i < in->n; i++)
		if (in->weight[i] > 0.0)
		{
			idx[used++] = i;
			*total += in->weight[i];
		}
	if (used == 0 || !(*total > 0.0) || !isfinite(*total))
	{
		vgm_mem_free(alloc, idx);
		return VGM_ERR_EMPTY;
	}
	{
		VgmJointPoints view = *in;

		/* point_cmp reads the caller's arrays through the original indexes */
		view.n = used;
		status = sort_indexes(&view, idx, idx + in->n, opt);
	}
	if (status != VGM_OK)
	{
		vgm_mem_free(alloc, idx);
		return status;
	}
	out->block = vgm_mem_alloc(alloc, used * (1 + d + (in->scatter ? dd : 0)) * sizeof(double));
	if (!out->block)
	{
		vgm_mem_free(alloc, idx);
		return VGM_ERR_NOMEM;
	}
	w = out->block;
	x = w + used;
	if (in->scatter)
		v = x + used * d;
	/*
	 * Points at the same place (rows repeated in heaped data) share their
	 * responsibilities exactly, so they become one point carrying the sum
	 * of their weights: the same fit, at the cost of the distinct points.
	 */
	for (i = 0, o = 0; i < used; i++)
	{
		if (o > 0 && same_place(in, idx[i], idx[last]))
		{
			w[o - 1] += in->weight[idx[i]];
			continue;
		}
		last = i;
		w[o] = in->weight[idx[i]];
		memcpy(x + o * d, in->mean + idx[i] * d, d * sizeof(double));
		if (v)
			memcpy(v + o * dd, in->scatter + idx[i] * dd, dd * sizeof(double));
		o++;
	}
	vgm_mem_free(alloc, idx);
	used = o;
	out->pts.n = used;
	out->pts.d = d;
	out->pts.weight = w;
	out->pts.mean = x;
	out->pts.scatter = v;
	return VGM_OK;
}

/*
 * VB-EM iterations on post until the lower bound changes by less than tol
 * per unit weight or *iterations reaches max_iter.  *lower_bound is the
 * bound of the previous iteration (-INFINITY before the first), so a run
 * stopped and resumed takes exactly the steps of one uninterrupted run.
 */
static int
run_iterations(const VgmJointPoints *pts, PassMemory *m, const VgmJointPriors *priors,
			   VgmJointPosterior *post, const VgmJointFitOptions *opt, double total,
			   int max_iter, double *lower_bound, int *iterations, int *converged)
{
	int			iter;

	for (iter = *iterations + 1; iter <= max_iter; iter++)
	{
		double		previous = *lower_bound;
		double		entropy = 0.0;
		int			status;

		if (opt->check_interrupt && opt->check_interrupt(opt->interrupt_arg))
			return VGM_ERR_INTERRUPTED;
		status = fused_iteration(pts, m, priors, post, opt, &entropy);
		if (status != VGM_OK)
			return status;
		*lower_bound = entropy + lower_bound_posterior_terms(post);
		*iterations = iter;
		if (!isfinite(*lower_bound))
			return VGM_ERR_SINGULAR;
		if (fabs(*lower_bound - previous) / total < opt->tol)
		{
			*converged = 1;
			break;
		}
	}
	return VGM_OK;
}

/* Copy the arrays of one posterior onto another of the same shape (array by array). */
static void
posterior_copy(VgmJointPosterior *dst, const VgmJointPosterior *src)
{
	size_t		k = src->k;
	size_t		d = src->d;

	memcpy(dst->conc_a, src->conc_a, k * sizeof(double));
	memcpy(dst->conc_b, src->conc_b, k * sizeof(double));
	memcpy(dst->mean_precision, src->mean_precision, k * sizeof(double));
	memcpy(dst->dof, src->dof, k * sizeof(double));
	memcpy(dst->weights, src->weights, k * sizeof(double));
	memcpy(dst->means, src->means, k * d * sizeof(double));
	memcpy(dst->covariances, src->covariances, k * d * d * sizeof(double));
}

/*
 * Cold start: n_init starts (vgm_start_kind of vbem.h: 0 k-means++ of seed,
 * 1 heavy, the rest k-means++ of mixed seeds), each run for at most
 * start_iter iterations; the start with the highest lower bound wins (ties
 * to the lower index) and continues to max_iter.  One start is the
 * single-start fit step for step.
 */
static int
multi_start(const VgmJointPoints *pts, const VgmJointFitOptions *opt,
			const VgmJointPriors *priors, VgmJointPosterior *post,
			VgmJointFitInfo *info, double total, const VgmAllocator *alloc)
{
	int			k = post->k;
	int			d = pts->d;
	int			n_init = opt->n_init > 1 ? opt->n_init : 1;
	int			screen = n_init == 1 || opt->start_iter <= 0
		? opt->max_iter : (opt->start_iter < opt->max_iter ? opt->start_iter : opt->max_iter);
	PassMemory	m;
	InitScratch scratch;
	VgmJointPosterior trial;
	double		best_lb = -INFINITY;
	int			best_iter = 0;
	int			best_conv = 0;
	int			status;
	int			s;

	status = pass_memory_alloc(&m, k, d, alloc);
	if (status != VGM_OK)
		return status;
	memset(&scratch, 0, sizeof(scratch));
	scratch.check_interrupt = opt->check_interrupt;
	scratch.interrupt_arg = opt->interrupt_arg;
	scratch.dist = vgm_mem_alloc(alloc, pts->n * (2 * sizeof(double) + sizeof(int)));
	status = vgm_joint_posterior_alloc(&trial, k, d, alloc);
	if (!scratch.dist || status != VGM_OK)
	{
		vgm_mem_free(alloc, scratch.dist);
		vgm_joint_posterior_free(&trial, alloc);
		vgm_mem_free(alloc, m.block);
		return VGM_ERR_NOMEM;
	}
	scratch.cum = scratch.dist + pts->n;
	scratch.label = (int *) (scratch.cum + pts->n);

	for (s = 0; s < n_init; s++)
	{
		double		lb = -INFINITY;
		int			iterations = 0;
		int			converged = 0;

		status = initialize_posterior(pts, opt, priors, &trial, &m, &scratch, s);
		if (status == VGM_OK)
			status = run_iterations(pts, &m, priors, &trial, opt, total, screen,
									&lb, &iterations, &converged);
		if (status != VGM_OK)
			break;
		/*
		 * A later start must win by more than rounding: lower bounds that
		 * agree to 1e-9 relative are a tie, kept by the earlier start, so
		 * that last-bit differences between the summaries of two plans do
		 * not pick different starts.
		 */
		if (s == 0 || lb > best_lb + 1e-9 * fabs(best_lb))
		{
			posterior_copy(post, &trial);
			best_lb = lb;
			best_iter = iterations;
			best_conv = converged;
			info->start = s;
		}
	}
	if (status == VGM_OK)
	{
		info->lower_bound = best_lb;
		info->iterations = best_iter;
		info->converged = best_conv;
		if (!best_conv && best_iter < opt->max_iter)
			status = run_iterations(pts, &m, priors, post, opt, total, opt->max_iter,
									&info->lower_bound, &info->iterations,
									&info->converged);
	}
	vgm_mem_free(alloc, scratch.dist);
	vgm_joint_posterior_free(&trial, alloc);
	vgm_mem_free(alloc, m.block);
	return status;
}

/*
 * Warm start: check the given posterior (shape, finite positive
 * parameters, covariances that factor), copy it and iterate from it.
 */
static int
warm_start(const VgmJointPoints *pts, const VgmJointFitOptions *opt,
		   const VgmJointPriors *priors, VgmJointPosterior *post,
		   VgmJointFitInfo *info, double total, const VgmAllocator *alloc)
{
	const VgmJointPosterior *init = opt->init;
	int			d = pts->d;
	size_t		dd = (size_t) d * d;
	double		chol[VGM_JOINT_MAX_DIMS * VGM_JOINT_MAX_DIMS];
	PassMemory	m;
	int			status;
	int			j;
	size_t		a;

	if (init->k != post->k || init->d != d)
		return VGM_ERR_INVALID;
	for (j = 0; j < init->k; j++)
	{
		if (!(init->conc_a[j] > 0.0 && init->conc_b[j] > 0.0 && init->mean_precision[j] > 0.0
			  && init->dof[j] > d - 1.0 && isfinite(init->conc_a[j])
			  && isfinite(init->conc_b[j]) && isfinite(init->mean_precision[j])
			  && isfinite(init->dof[j])))
			return VGM_ERR_INVALID;
		for (a = 0; a < (size_t) d; a++)
			if (!isfinite(init->means[j * d + a]))
				return VGM_ERR_INVALID;
		for (a = 0; a < dd; a++)
			if (!isfinite(init->covariances[j * dd + a]))
				return VGM_ERR_INVALID;
		if (cholesky_lower(init->covariances + j * dd, d, chol) != 0)
			return VGM_ERR_INVALID;
	}
	if (post->conc_a != init->conc_a)
		posterior_copy(post, init);
	status = pass_memory_alloc(&m, post->k, d, alloc);
	if (status != VGM_OK)
		return status;
	status = run_iterations(pts, &m, priors, post, opt, total, opt->max_iter,
							&info->lower_bound, &info->iterations, &info->converged);
	vgm_mem_free(alloc, m.block);
	return status;
}

/* Fit the mixture to the points (see joint_vbem.h). */
int
vgm_joint_fit(const VgmJointPoints *pts, const VgmJointFitOptions *opt,
			  VgmJointPosterior *post, VgmJointFitInfo *info)
{
	const VgmAllocator *alloc = opt->alloc;
	SortedPoints sorted;
	double		total;
	int			status;

	prepare_libraries();
	memset(info, 0, sizeof(*info));
	info->lower_bound = -INFINITY;
	status = check_inputs(pts, opt);
	if (status != VGM_OK)
		return status;
	if (post->k != opt->max_components || post->d != pts->d || !post->conc_a)
		return VGM_ERR_INVALID;
	status = copy_sorted(pts, opt, alloc, &sorted, &total);
	if (status != VGM_OK)
		return status;
	info->total_weight = total;
	status = vgm_joint_priors_from_points(&sorted.pts, opt, &info->priors);
	if (status == VGM_OK && opt->init)
		status = warm_start(&sorted.pts, opt, &info->priors, post, info, total, alloc);
	else if (status == VGM_OK)
		status = multi_start(&sorted.pts, opt, &info->priors, post, info, total, alloc);
	vgm_mem_free(alloc, sorted.block);
	return status;
}
