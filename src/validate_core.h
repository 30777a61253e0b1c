/*
 * validate_core.h - the numerical core of the validation functions, in pure
 *                   C (no PostgreSQL headers), unit-tested on its own.
 *
 *   - moments of data (running, row by row, or from merged bucket moments)
 *     and of a mixture in closed form, with SciPy's conventions;
 *   - the mixture CDF tabulated per model (degree-5 Taylor coefficients on
 *     a uniform grid, about 1e-12 absolute), so that a row costs one lookup
 *     and one polynomial whatever the number of components, and, for
 *     models a table cannot cover, per component through a tabulated
 *     normal CDF (about 1e-15 absolute) instead of an erfc;
 *   - the fixed histogram of probability-integral-transformed values behind
 *     the KS aggregates, its statistics and its text form;
 *   - the null distributions SciPy 1.10 uses for the p-values: the exact
 *     Kolmogorov distribution kstwo (Durbin matrix as in Marsaglia, Tsang
 *     and Wang 2003; Pelz and Good 1976 for large n; Birnbaum-Tingey
 *     one-sided sums), the limiting distribution kstwobign, and the exact
 *     two-sample distribution (Hodges 1958's lattice-path counts).
 */
#ifndef VGM_VALIDATE_CORE_H
#define VGM_VALIDATE_CORE_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json_text.h"

/* ------------------------------------------------------------------------ */
/* moments                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * Running moments of a column, one row at a time, for vgm_moments(x): the
 * mean as an unevaluated sum of two doubles and the central sums m2, m3, m4
 * updated in the order-4 form of Welford's recurrence (Terriberry 2008,
 * Pebay 2008).  Central sums do not lose digits when the data sit far from
 * zero (1e9 + N(0, 1)) or the first row is an outlier, and the two-double
 * mean keeps the running mean from collecting one rounding per row.
 */
typedef struct VgmRunningMoments
{
	double		n;
	double		mean;			/* mean = mean + mean_lo, |mean_lo| <= ulp(mean) / 2 */
	double		mean_lo;
	double		m2;				/* sum (x - mean)^2 */
	double		m3;
	double		m4;
} VgmRunningMoments;

/* mean += d in two-double arithmetic (Knuth's TwoSum, then renormalised). */
static inline void
vgm_running_mean_add(VgmRunningMoments *m, double d)
{
	double		s = m->mean + d;
	double		bb = s - m->mean;
	double		err = (m->mean - (s - bb)) + (d - bb);
	double		lo = m->mean_lo + err;
	double		hi = s + lo;

	m->mean_lo = lo - (hi - s);
	m->mean = hi;
}

/*
 * Add one finite value with unit weight.  The first value is taken as it is:
 * through the recurrence, x near the float8 limit would square to infinity
 * and multiply by n1 = 0 into NaN.
 */
static inline void
vgm_running_moments_add(VgmRunningMoments *m, double x)
{
	double		n1 = m->n;
	double		n = n1 + 1.0;
	double		delta;
	double		dn;
	double		dn2;
	double		t1;

	if (__builtin_expect(n1 == 0.0, 0))
	{
		*m = (VgmRunningMoments) {1.0, x, 0.0, 0.0, 0.0, 0.0};
		return;
	}
	delta = (x - m->mean) - m->mean_lo;
	dn = delta / n;
	dn2 = dn * dn;
	t1 = delta * dn * n1;

	m->m4 += t1 * dn2 * (n * n - 3.0 * n + 3.0) + 6.0 * dn2 * m->m2 - 4.0 * dn * m->m3;
	m->m3 += t1 * dn * (n - 2.0) - 3.0 * dn * m->m2;
	m->m2 += t1;
	m->n = n;
	vgm_running_mean_add(m, dn);
}

/* Merge running moments b into a (Pebay 2008, pairwise update). */
void		vgm_running_moments_merge(VgmRunningMoments *a, const VgmRunningMoments *b);

/* Moments of a data set, with SciPy's definitions; NaN where undefined. */
typedef struct VgmDataMoments
{
	double		n;				/* total weight */
	double		mean;
	double		variance;		/* ddof = 1 (scipy.stats.describe) */
	double		variance_pop;	/* ddof = 0 */
	double		stddev;			/* sqrt(variance) */
	double		skewness;		/* scipy.stats.skew(bias=True) */
	double		kurtosis;		/* scipy.stats.kurtosis(fisher=True, bias=True) */
} VgmDataMoments;

/*
 * Finish moments from weight w, mean and central sums m2, m3, m4 (sums of
 * w (x - mean)^p).  Skewness and kurtosis are NaN when the variance is zero
 * at the data's precision, as SciPy decides it (m2 / w <= (1e-15 mean)^2).
 */
void		vgm_data_moments(double w, double mean, double m2, double m3, double m4,
							 VgmDataMoments *out);

/* Moments of a mixture: mean, variance, skewness, excess kurtosis. */
typedef struct VgmMixtureMoments
{
	double		mean;
	double		variance;
	double		stddev;
	double		skewness;
	double		kurtosis;
} VgmMixtureMoments;

/*
 * Closed-form moments of sum_j w_j N(mean_j, var_j); weights are
 * renormalised to sum to one.  Returns false when no weight is positive.
 */
bool		vgm_mixture_moments(int k, const double *weights, const double *means,
								const double *vars, VgmMixtureMoments *out);

/* ------------------------------------------------------------------------ */
/* mixture CDF                                                               */
/* ------------------------------------------------------------------------ */

/* The table covers z in [-VGM_PHI_ZMAX, VGM_PHI_ZMAX]; Phi(-8.5) < 1e-17. */
#define VGM_PHI_ZMAX 8.5
#define VGM_PHI_STEPS_PER_UNIT 64
#define VGM_PHI_NODES (2 * 8 * VGM_PHI_STEPS_PER_UNIT + VGM_PHI_STEPS_PER_UNIT + 1)	/* 1089 */

/* Taylor coefficients of Phi at each node: Phi(z0 + d) = sum_m c[m] d^m. */
extern double vgm_phi_table[VGM_PHI_NODES][6];
extern bool vgm_phi_table_ready;

/* Fill vgm_phi_table (once per process). */
void		vgm_phi_table_init(void);

/*
 * Standard normal CDF within about 1e-15 absolute; needs vgm_phi_table_init().
 * z is clamped to [-8.5, 8.5] without a branch (NaN goes to -8.5), where the
 * end nodes give 0 and 1 exactly.
 */
static inline double
vgm_phi(double z)
{
	double		p;
	int			i;
	double		d;
	const double *c;

	/* maxsd / minsd: no mispredicted branch when components come and go */
	z = z > -VGM_PHI_ZMAX ? z : -VGM_PHI_ZMAX;
	z = z < VGM_PHI_ZMAX ? z : VGM_PHI_ZMAX;
	p = (z + VGM_PHI_ZMAX) * VGM_PHI_STEPS_PER_UNIT;
	i = (int) (p + 0.5);
	d = (p - i) * (1.0 / VGM_PHI_STEPS_PER_UNIT);
	c = vgm_phi_table[i];
	return c[0] + d * (c[1] + d * (c[2] + d * (c[3] + d * (c[4] + d * c[5]))));
}

/* The plug-in mixture as the CDF needs it: components with positive weight. */
typedef struct VgmCdfMixture
{
	int			k;				/* components kept */
	double	   *mean;
	double	   *inv_std;		/* 1 / sqrt(covariance) */
	double	   *weight;
} VgmCdfMixture;

/*
 * sum_j w_j Phi((x - mean_j) / std_j), clipped to [0, 1].  Components more
 * than 8.5 standard deviations away contribute 0 or w_j exactly, without an
 * evaluation.
 */
static inline double
vgm_mixture_cdf(const VgmCdfMixture *m, double x)
{
	double		u = 0.0;
	int			j;

	for (j = 0; j < m->k; j++)
	{
		double		z = (x - m->mean[j]) * m->inv_std[j];

		if (z >= VGM_PHI_ZMAX)
			u += m->weight[j];
		else if (z > -VGM_PHI_ZMAX)
			u += m->weight[j] * vgm_phi(z);
	}
	/* the weights sum to 1 within rounding; a probability stays in [0, 1] */
	return u > 1.0 ? 1.0 : (u < 0.0 ? 0.0 : u);
}

/*
 * The whole mixture CDF tabulated on a uniform grid of x: at each node its
 * Taylor coefficients up to degree 5, so a row costs one lookup and a
 * polynomial whatever the number of components.  The spacing and the range
 * are chosen per mixture so that the absolute error stays below about 1e-12
 * (see vgm_cdf_table_plan); a mixture whose components differ too much in
 * scale for a table of VGM_CDF_TABLE_MAX_NODES falls back to
 * vgm_mixture_cdf.
 */
#define VGM_CDF_TABLE_MAX_NODES 32768
#define VGM_CDF_TABLE_MAX_ERROR 1e-12

typedef struct VgmCdfTable
{
	double		lo;				/* x of node 0 */
	double		h;				/* node spacing */
	double		inv_h;
	int			n;				/* nodes; 0: no table */
	double		top;			/* the CDF right of the table: the weights' sum, at most 1 */
	double		(*c)[6];		/* coefficients of (x - node)^m at each node */
} VgmCdfTable;

/*
 * Nodes needed for this mixture, with the first node and the spacing; 0
 * when more than max_nodes would be needed.
 */
int			vgm_cdf_table_plan(const VgmCdfMixture *m, int max_nodes, double *lo, double *h);

/* Fill t->c[0 .. t->n - 1] for the lo, h and n of vgm_cdf_table_plan. */
void		vgm_cdf_table_fill(const VgmCdfMixture *m, VgmCdfTable *t);

/* The mixture CDF from the table: 0 left of it, the total weight right of it. */
static inline double
vgm_cdf_table_eval(const VgmCdfTable *t, double x)
{
	double		p = (x - t->lo) * t->inv_h;
	double		d;
	double		u;
	const double *c;
	int			i;

	if (!(p > -0.5))
		return 0.0;
	if (p >= t->n - 0.5)
		return t->top;
	i = (int) (p + 0.5);
	d = (p - i) * t->h;
	c = t->c[i];
	u = c[0] + d * (c[1] + d * (c[2] + d * (c[3] + d * (c[4] + d * c[5]))));
	return u > 1.0 ? 1.0 : (u < 0.0 ? 0.0 : u);
}

/* ------------------------------------------------------------------------ */
/* KS histogram                                                              */
/* ------------------------------------------------------------------------ */

/*
 * Format versions of a KS state: 1 without jumps (the form of every earlier
 * build), 2 with the jumps of a model with atoms.
 */
#define VGM_KS_FORMAT_VERSION 1
#define VGM_KS_FORMAT_VERSION_JUMPS 2
/* At most one jump of the model's CDF per atom. */
#define VGM_KS_MAX_JUMPS 16
/* bins over [0, 1] of the probability integral transform u = F(x) */
#define VGM_KS_BINS_LOG2 16
#define VGM_KS_BINS (1 << VGM_KS_BINS_LOG2)

/* Bin of u in [0, 1]: floor(u * bins), with u = 1 in the last bin. */
static inline int
vgm_ks_bin(double u)
{
	int			b = (int) (u * VGM_KS_BINS);

	return b >= VGM_KS_BINS ? VGM_KS_BINS - 1 : (b < 0 ? 0 : b);
}

/*
 * Counts of a KS state apart from its bins, and the jumps of the model's
 * CDF.  An atom of weight w at a makes F jump from F(a-) to F(a): no value
 * maps into (F(a-), F(a)), and the one-sample D must compare the data with
 * F(a-) there, not with u.  A jump is recorded as the first and last bin
 * lying wholly inside (F(a-), F(a)) (bins are 1.5e-5 wide, so a jump
 * narrower than two bins needs no record: its effect on D is below a bin);
 * the one-sample statistic skips the edges those bins end.
 */
typedef struct VgmKsCounts
{
	uint64_t	model_hash;		/* identity of the plug-in mixture and its atoms */
	int64_t		n;				/* finite values binned */
	int64_t		nulls;
	int64_t		nans;
	int64_t		pos_infs;
	int64_t		neg_infs;
	int32_t		n_jumps;		/* 0 .. VGM_KS_MAX_JUMPS */
	int32_t		jumps[VGM_KS_MAX_JUMPS][2];	/* first, last bin inside a jump; increasing */
} VgmKsCounts;

/* The format version of a state with n_jumps jumps. */
static inline int
vgm_ks_version_for(int32_t n_jumps)
{
	return n_jumps > 0 ? VGM_KS_FORMAT_VERSION_JUMPS : VGM_KS_FORMAT_VERSION;
}

/*
 * One-sample statistic against the uniform CDF from binned counts.  With G
 * the ECDF, D_edges = max over the bin edges e of |G(e-) - e| satisfies
 * D_edges <= D <= D_edges + 1/bins; the midpoint D_edges + 1/(2 bins)
 * (capped at 1) is returned, within half a bin width of the exact D.
 */
double		vgm_ks_statistic_1samp(const int64_t *counts, int nbins, int64_t n);

/*
 * The same against a CDF with jumps: the edges that bins inside a jump end
 * are skipped (there the data are compared with the CDF's left limit, at
 * the jump's first edge, and its right limit, after the atom's bin).
 */
double		vgm_ks_statistic_1samp_jumps(const int64_t *counts, int nbins, int64_t n,
										 const VgmKsCounts *c);

/*
 * Two-sample statistic max over bin edges |G1(e-) - G2(e-)|, as an exact
 * fraction num / (n1 n2); exact when no bin holds values of both samples.
 */
double		vgm_ks_statistic_2samp(const int64_t *c1, int64_t n1, const int64_t *c2,
								   int64_t n2, int nbins, __int128 *num);

/*
 * Effect sizes of a KS histogram against the mixture it was built with,
 * for validation thresholds that do not shrink with n (vgm_ks_effects):
 *
 *   atom_share   the largest share of the values in one bin.  Values tied
 *                at one x share one u = F(x), so a point mass of share p
 *                shows up as a bin holding p, and a continuous F can come no
 *                closer than p/2 to the data's ECDF there: D >= p/2.
 *   trimmed      the mean and standard deviation of the data between its
 *                own trim and 1 - trim quantiles, and of the mixture between
 *                its quantiles: blind to the few extreme rows that dominate
 *                the plain standard deviation of a heavy-tailed column.  The
 *                data's values are known only up to their bin, so each bin
 *                stands for the mixture's conditional distribution between
 *                the bin's edges F^-1(i / bins) and F^-1((i + 1) / bins):
 *                exact in expectation when the data follow the mixture.
 *                Data inside the trim that all fall into one bin within
 *                the mixture's own trimmed range (not its first or last
 *                bin, which also collect the values beyond its reach) are
 *                one tied value to the histogram: their stddev is 0.
 *
 * Moments are NaN when no value was binned.
 */
typedef struct VgmKsEffects
{
	double		atom_share;
	double		data_mean;
	double		data_stddev;
	double		model_mean;
	double		model_stddev;
} VgmKsEffects;

/* Effect sizes of counts[nbins] (n values) against m, trimming trim in [0, 0.5) per side. */
void		vgm_ks_effects(const VgmCdfMixture *m, const int64_t *counts, int nbins,
						   int64_t n, double trim, VgmKsEffects *out);

/* The p-quantile of the mixture (weights normalised), p in (0, 1), by safeguarded Newton. */
double		vgm_mixture_quantile(const VgmCdfMixture *m, double p);

/* Content hash of the plug-in mixture (k, weights, means, covariances). */
uint64_t	vgm_mixture_hash(int k, const double *weights, const double *means,
							 const double *covs);

/* Fold n doubles into a running 64-bit hash (-0 hashes as +0). */
uint64_t	vgm_hash_doubles(uint64_t h, const double *v, size_t n);

/* Status codes of the KS state codec. */
#define VGM_KS_OK VGM_TEXT_OK
#define VGM_KS_ERR_SYNTAX VGM_TEXT_ERR_SYNTAX
#define VGM_KS_ERR_FIELD VGM_TEXT_ERR_FIELD
#define VGM_KS_ERR_VERSION VGM_TEXT_ERR_VERSION
#define VGM_KS_ERR_RANGE VGM_TEXT_ERR_RANGE

/*
 * Text of a KS state: JSON with the counts run-length coded ("counts": a
 * value c >= 0 is one bin holding c, a value -r is r empty bins).  Returns
 * the length needed (excluding NUL).
 */
size_t		vgm_ks_format(const VgmKsCounts *c, const int64_t *counts, int nbins,
						  char *buf, size_t buflen);

/* Append the text of a KS state to an appender of the text kit. */
void		vgm_ks_write(JtOut *o, const VgmKsCounts *c, const int64_t *counts, int nbins);

/*
 * Parse the text of a KS state (len bytes; keys in any order) into c and
 * counts[nbins] and validate it (known version and bin count, counts >= 0 summing to n).
 */
int			vgm_ks_parse(const char *text, size_t len, VgmKsCounts *c,
						 int64_t *counts, int nbins,
						 char *msg, size_t msglen, char *detail, size_t detaillen);

/* Check counts of a decoded state (shared by text and binary input). */
int			vgm_ks_validate(const VgmKsCounts *c, const int64_t *counts, int nbins,
							char *msg, size_t msglen, char *detail, size_t detaillen);

/* ------------------------------------------------------------------------ */
/* null distributions (SciPy 1.10 conventions)                               */
/* ------------------------------------------------------------------------ */

/* kstwobign.sf(z): limiting distribution of sqrt(n) D_n. */
double		vgm_kolmogorov_sf(double z);

/* scipy.special.smirnov(n, x): P(D+_n >= x), one-sided. */
double		vgm_smirnov_sf(int64_t n, double x);

/* P(D_n <= x) by the Durbin matrix (Marsaglia, Tsang and Wang 2003). */
double		vgm_kolmogn_cdf_durbin(int64_t n, double x);

/* P(D_n <= x) by the Pelz-Good asymptotic series. */
double		vgm_kolmogn_cdf_pelz_good(int64_t n, double x);

/* kstwo.sf(x, n): SciPy's choice of method for each (n, x). */
double		vgm_kstwo_sf(int64_t n, double x);

/* P(D_{m,n} >= h / lcm(m, n)), exact, two-sided (SciPy's 'exact' method). */
double		vgm_ks2_sf_exact(int64_t m, int64_t n, int64_t h);

/*
 * p-value of ks_2samp(method='auto', alternative='two-sided') for a
 * statistic num / (n1 n2): exact when max(n1, n2) <= 10000, otherwise
 * kstwo.sf(d, round(n1 n2 / (n1 + n2))).  *exact tells which.
 */
double		vgm_ks_2samp_pvalue(int64_t n1, int64_t n2, __int128 num, bool *exact);

#define VGM_KS2_MAX_EXACT_N 10000

#endif							/* VGM_VALIDATE_CORE_H */
