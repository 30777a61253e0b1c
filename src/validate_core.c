/*
 * validate_core.c - moments, the mixture CDF table, the KS histogram and the
 *                   Kolmogorov-Smirnov null distributions (pure C).
 *
 * References for the distributions:
 *   Birnbaum, Z. W. and Tingey, F. H. (1951), One-sided confidence contours
 *     for probability distribution functions, Ann. Math. Statist. 22.
 *   Durbin, J. (1968), The probability that the sample distribution function
 *     lies between two parallel straight lines, Ann. Math. Statist. 39.
 *   Marsaglia, G., Tsang, W. W. and Wang, J. (2003), Evaluating Kolmogorov's
 *     distribution, Journal of Statistical Software 8(18).
 *   Pelz, W. and Good, I. J. (1976), Approximating the lower tail-areas of
 *     the Kolmogorov-Smirnov one-sample statistic, JRSS B 38.
 *   Simard, R. and L'Ecuyer, P. (2011), Computing the two-sided
 *     Kolmogorov-Smirnov distribution, Journal of Statistical Software 39(11).
 *   Hodges, J. L. (1958), The significance probability of the Smirnov
 *     two-sample test, Arkiv for Matematik 3.
 *   Viehmann, T. (2021), Numerically more stable computation of the p-values
 *     for the two-sample Kolmogorov-Smirnov test, arXiv:2102.08037.
 * The choice of method for each (n, x) follows SciPy 1.10's
 * scipy.stats._ksstats._kolmogn and ks_2samp, so that p-values agree.
 */
#include "validate_core.h"
#include "summary_core.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQRT_2PI 2.5066282746310005024
#define LN2 0.69314718055994530942
/* log of the smallest normal double: SciPy's MINLOG */
#define MIN_LOG (-708.3964185322641)

/* ------------------------------------------------------------------------ */
/* moments                                                                   */
/* ------------------------------------------------------------------------ */

/* Finish moments from merged central sums, with SciPy's conventions. */
void
vgm_data_moments(double w, double mean, double m2, double m3, double m4,
				 VgmDataMoments *out)
{
	double		v;

	out->n = w;
	out->mean = w > 0.0 ? mean : NAN;
	out->variance = w > 1.0 ? m2 / (w - 1.0) : NAN;
	out->variance_pop = w > 0.0 ? m2 / w : NAN;
	out->stddev = sqrt(out->variance);
	out->skewness = NAN;
	out->kurtosis = NAN;
	if (!(w > 0.0))
		return;
	v = m2 / w;
	/* scipy.stats.skew / kurtosis call the data constant below this */
	if (v <= (1e-15 * mean) * (1e-15 * mean) || v <= 0.0)
		return;
	/*
	 * The third and fourth central sums overflow long before the second
	 * (data spread over 1e80 and more): an overflowed sum leaves the ratio
	 * unknown, NaN (NULL in SQL), not an infinity.  Where v^1.5 or v^2
	 * would overflow, so has the sum.
	 */
	if (isfinite(m3))
		out->skewness = (m3 / w) / (v * sqrt(v));
	if (isfinite(m4))
		out->kurtosis = (m4 / w) / (v * v) - 3.0;
}

/*
 * Merge running moments b into a.  Pebay's pairwise update depends on the
 * means only through their difference, so it runs on moments centred at
 * a's mean, with the difference taken in two-double arithmetic.
 */
void
vgm_running_moments_merge(VgmRunningMoments *a, const VgmRunningMoments *b)
{
	VgmMoments	ca;
	VgmMoments	cb;

	if (!(b->n > 0.0))
		return;
	if (!(a->n > 0.0))
	{
		*a = *b;
		return;
	}
	ca = (VgmMoments) {a->n, 0.0, a->m2, a->m3, a->m4};
	cb = (VgmMoments) {b->n, (b->mean - a->mean) + (b->mean_lo - a->mean_lo), b->m2, b->m3, b->m4};
	vgm_moments_merge(&ca, &cb);
	a->n = ca.weight;
	a->m2 = ca.m2;
	a->m3 = ca.m3;
	a->m4 = ca.m4;
	vgm_running_mean_add(a, ca.mean);
}

/* Closed-form moments of a Gaussian mixture from its central moments. */
bool
vgm_mixture_moments(int k, const double *weights, const double *means,
					const double *vars, VgmMixtureMoments *out)
{
	double		wsum = 0.0;
	double		mean = 0.0;
	double		c[5] = {0.0, 0.0, 0.0, 0.0, 0.0};	/* c[p]: central moment p (2 .. 4) */
	int			j;

	for (j = 0; j < k; j++)
		if (weights[j] > 0.0)
		{
			wsum += weights[j];
			mean += weights[j] * means[j];
		}
	if (!(wsum > 0.0))
		return false;
	mean /= wsum;
	/*
	 * E(X - mu)^p for X ~ N(m, s2), d = m - mu: the component's central
	 * moments 0, s2, 0, 3 s2^2 shifted by d.
	 */
	for (j = 0; j < k; j++)
	{
		double		w = weights[j] / wsum;
		double		d = means[j] - mean;
		double		s2 = vars[j];

		if (!(weights[j] > 0.0))
			continue;
		c[2] += w * (s2 + d * d);
		c[3] += w * d * (d * d + 3.0 * s2);
		c[4] += w * (d * d * d * d + 6.0 * d * d * s2 + 3.0 * s2 * s2);
	}
	out->mean = mean;
	out->variance = c[2];
	out->stddev = sqrt(c[2]);
	out->skewness = c[2] > 0.0 ? c[3] / (c[2] * sqrt(c[2])) : NAN;
	out->kurtosis = c[2] > 0.0 ? c[4] / (c[2] * c[2]) - 3.0 : NAN;
	return true;
}

/* ------------------------------------------------------------------------ */
/* normal CDF table                                                          */
/* ------------------------------------------------------------------------ */

double		vgm_phi_table[VGM_PHI_NODES][6];
bool		vgm_phi_table_ready = false;

/*
 * Taylor coefficients of Phi at z0: the m-th derivative of Phi is
 * (-1)^(m-1) He_(m-1)(z) phi(z) (probabilists' Hermite polynomials), so
 * with |d| <= 1/128 the remainder He_5 phi d^6 / 720 is below 1e-15.
 */
void
vgm_phi_table_init(void)
{
	int			i;

	if (vgm_phi_table_ready)
		return;
	for (i = 0; i < VGM_PHI_NODES; i++)
	{
		double		z = -VGM_PHI_ZMAX + (double) i / VGM_PHI_STEPS_PER_UNIT;
		double		pdf = exp(-0.5 * z * z) / SQRT_2PI;
		double		z2 = z * z;
		double	   *c = vgm_phi_table[i];

		c[0] = 0.5 * erfc(-z / M_SQRT2);
		c[1] = pdf;
		c[2] = -z * pdf / 2.0;
		c[3] = (z2 - 1.0) * pdf / 6.0;
		c[4] = -(z2 * z - 3.0 * z) * pdf / 24.0;
		c[5] = (z2 * z2 - 6.0 * z2 + 3.0) * pdf / 120.0;
	}
	/* clamped arguments land exactly on the end nodes: make them 0 and 1 */
	memset(vgm_phi_table[0], 0, sizeof(vgm_phi_table[0]));
	memset(vgm_phi_table[VGM_PHI_NODES - 1], 0, sizeof(vgm_phi_table[0]));
	vgm_phi_table[VGM_PHI_NODES - 1][0] = 1.0;
	vgm_phi_table_ready = true;
}

/*
 * Spacing and range of the mixture's table.  Degree-5 Taylor expansion about
 * the nearest node (|d| <= h/2) leaves w_j He_5 phi (h / (2 std_j))^6 / 720
 * <= 5e-5 w_j (h / std_j)^6 per component, so h = min_j std_j (2e-8 /
 * (k w_j))^(1/6) keeps the sum below 1e-12; the range covers every
 * component until its tail mass w_j Phi(-t) drops below 1e-14, so 0 and 1
 * outside the range are off by less than k 1e-14.
 */
int
vgm_cdf_table_plan(const VgmCdfMixture *m, int max_nodes, double *lo, double *h)
{
	double		left = INFINITY;
	double		right = -INFINITY;
	double		step = INFINITY;
	double		n;
	int			j;

	for (j = 0; j < m->k; j++)
	{
		double		w = m->weight[j];
		double		sd = 1.0 / m->inv_std[j];
		double		t = 0.0;

		if (!(w > 0.0) || !isfinite(sd) || !(sd > 0.0))
			return 0;
		step = fmin(step, sd * pow(VGM_CDF_TABLE_MAX_ERROR * 2e4 / (m->k * w), 1.0 / 6.0));
		if (w <= 1e-14)
			continue;
		/* the tail point, to a quarter standard deviation */
		while (t < VGM_PHI_ZMAX && w * 0.5 * erfc(t / M_SQRT2) > 1e-14)
			t += 0.25;
		left = fmin(left, m->mean[j] - t * sd);
		right = fmax(right, m->mean[j] + t * sd);
	}
	if (!(right > left) || !(step > 0.0) || !isfinite(right - left))
		return 0;
	n = ceil((right - left) / step) + 1.0;
	if (n > max_nodes)
		return 0;
	*lo = left;
	*h = step;
	return (int) n;
}

/* Taylor coefficients of the mixture CDF at every node. */
void
vgm_cdf_table_fill(const VgmCdfMixture *m, VgmCdfTable *t)
{
	int			i;
	int			j;

	t->inv_h = 1.0 / t->h;
	t->top = 0.0;
	for (j = 0; j < m->k; j++)
		t->top += m->weight[j];
	t->top = fmin(t->top, 1.0);
	for (i = 0; i < t->n; i++)
	{
		double		x = t->lo + i * t->h;
		double	   *c = t->c[i];

		memset(c, 0, sizeof(double) * 6);
		for (j = 0; j < m->k; j++)
		{
			double		w = m->weight[j];
			double		s = m->inv_std[j];
			double		z = (x - m->mean[j]) * s;
			double		z2 = z * z;
			double		wp;

			if (z >= 40.0)
			{
				c[0] += w;
				continue;
			}
			if (z <= -40.0)
				continue;
			/* d^m/dx^m Phi((x - mean)/std) = (-1)^(m-1) He_(m-1)(z) phi(z) / std^m */
			c[0] += w * 0.5 * erfc(-z / M_SQRT2);
			wp = w * exp(-0.5 * z2) / SQRT_2PI;
			c[1] += wp * s;
			c[2] += -z * wp * s * s / 2.0;
			c[3] += (z2 - 1.0) * wp * s * s * s / 6.0;
			c[4] += -(z2 * z - 3.0 * z) * wp * s * s * s * s / 24.0;
			c[5] += (z2 * z2 - 6.0 * z2 + 3.0) * wp * s * s * s * s * s / 120.0;
		}
	}
}

/* ------------------------------------------------------------------------ */
/* KS histogram statistics                                                   */
/* ------------------------------------------------------------------------ */

/* One-sample statistic: the bracket midpoint of D from the bin edges. */
double
vgm_ks_statistic_1samp(const int64_t *counts, int nbins, int64_t n)
{
	return vgm_ks_statistic_1samp_jumps(counts, nbins, n, NULL);
}

/* One-sample statistic against a CDF with jumps (c may be NULL: none). */
double
vgm_ks_statistic_1samp_jumps(const int64_t *counts, int nbins, int64_t n,
							 const VgmKsCounts *c)
{
	double		d = 0.0;
	int64_t		cum = 0;
	int			i;
	int			jump = 0;
	int			n_jumps = c != NULL ? c->n_jumps : 0;

	if (n <= 0)
		return NAN;
	for (i = 0; i <= nbins; i++)
	{
		/* G(e-) is the share of values below edge e = i / nbins */
		double		diff = fabs((double) cum / (double) n - (double) i / nbins);

		/* edge i ends bin i - 1: inside a jump, F is its left limit, not u */
		while (jump < n_jumps && c->jumps[jump][1] < i - 1)
			jump++;
		if (jump < n_jumps && i >= 1 && c->jumps[jump][0] <= i - 1)
			diff = 0.0;
		if (diff > d)
			d = diff;
		if (i < nbins)
			cum += counts[i];
	}
	d += 0.5 / nbins;
	return d > 1.0 ? 1.0 : d;
}

/* Two-sample statistic at the bin edges, as an exact fraction. */
double
vgm_ks_statistic_2samp(const int64_t *c1, int64_t n1, const int64_t *c2,
					   int64_t n2, int nbins, __int128 *num)
{
	__int128	best = 0;
	__int128	cum1 = 0;
	__int128	cum2 = 0;
	int			i;

	/* edge 0 and edge nbins give 0; the others see the counts below them */
	for (i = 0; i < nbins; i++)
	{
		__int128	diff;

		cum1 += c1[i];
		cum2 += c2[i];
		diff = cum1 * n2 - cum2 * n1;
		if (diff < 0)
			diff = -diff;
		if (diff > best)
			best = diff;
	}
	*num = best;
	return (double) ((long double) best / ((long double) n1 * (long double) n2));
}

/* ------------------------------------------------------------------------ */
/* effect sizes of a KS histogram                                            */
/* ------------------------------------------------------------------------ */

/* The mixture at x: CDF, density and partial moments about c, all weight-normalised. */
typedef struct MixturePoint
{
	double		cdf;			/* P(X <= x) */
	double		pdf;
	double		m1;				/* E[(X - c) 1{X <= x}] */
	double		m2;				/* E[(X - c)^2 1{X <= x}] */
} MixturePoint;

/*
 * Evaluate the mixture at x (which may be +-Infinity) through erfc, whose
 * tails are accurate to the last bit: the partial moments of N(mu, s^2)
 * with d = mu - c and z = (x - mu) / s are d Phi(z) - s phi(z) and
 * (d^2 + s^2) Phi(z) - phi(z) (2 d s + s^2 z).  Moments about c (the
 * mixture's mean) keep data far from zero (1e9 + N(0, 1)) from cancelling.
 */
static MixturePoint
mixture_at(const VgmCdfMixture *m, double wsum, double c, double x)
{
	MixturePoint r = {0.0, 0.0, 0.0, 0.0};
	int			j;

	for (j = 0; j < m->k; j++)
	{
		double		w = m->weight[j] / wsum;
		double		s = 1.0 / m->inv_std[j];
		double		d = m->mean[j] - c;
		double		z = (x - m->mean[j]) * m->inv_std[j];
		double		cdf;
		double		pdf;

		if (isinf(z))
		{
			/* phi(z) z -> 0 at both ends; the formulas would give 0 * inf */
			cdf = z > 0 ? 1.0 : 0.0;
			r.cdf += w * cdf;
			r.m1 += w * d * cdf;
			r.m2 += w * (d * d + s * s) * cdf;
			continue;
		}
		cdf = 0.5 * erfc(-z * M_SQRT1_2);
		pdf = exp(-0.5 * z * z) / SQRT_2PI;
		r.cdf += w * cdf;
		r.pdf += w * pdf * m->inv_std[j];
		r.m1 += w * (d * cdf - s * pdf);
		r.m2 += w * ((d * d + s * s) * cdf - pdf * (2.0 * d * s + s * s * z));
	}
	return r;
}

/* Sum of the positive weights (the mixture is normalised by it). */
static double
mixture_weight(const VgmCdfMixture *m)
{
	double		wsum = 0.0;
	int			j;

	for (j = 0; j < m->k; j++)
		wsum += m->weight[j];
	return wsum;
}

/* Mean of the normalised mixture: the centre of the partial moments. */
static double
mixture_mean(const VgmCdfMixture *m, double wsum)
{
	double		mean = 0.0;
	int			j;

	for (j = 0; j < m->k; j++)
		mean += m->weight[j] / wsum * m->mean[j];
	return mean;
}

/*
 * x with F(x) = p, searched in [lo, hi] (F(lo) <= p <= F(hi)) from start:
 * Newton steps that stay inside the shrinking bracket, bisection otherwise
 * (a flat stretch between far-apart components has no useful slope).  It
 * stops when F is within 1e-14 of p or the bracket has no double inside.
 */
static double
quantile_between(const VgmCdfMixture *m, double wsum, double p, double lo, double hi,
				 double start)
{
	double		x = start;
	int			it;

	for (it = 0; it < 400; it++)
	{
		MixturePoint r = mixture_at(m, wsum, 0.0, x);
		double		next;

		if (fabs(r.cdf - p) <= 1e-14)
			return x;
		if (r.cdf < p)
			lo = x;
		else
			hi = x;
		next = r.pdf > 0.0 ? x - (r.cdf - p) / r.pdf : NAN;
		if (!(next > lo && next < hi))
			next = lo + 0.5 * (hi - lo);
		if (next <= lo || next >= hi)
			break;				/* lo and hi are neighbouring doubles */
		x = next;
	}
	return x;
}

/* A bracket of the whole mixture: 40 standard deviations beyond every component. */
static void
mixture_bracket(const VgmCdfMixture *m, double *lo, double *hi)
{
	int			j;

	*lo = INFINITY;
	*hi = -INFINITY;
	for (j = 0; j < m->k; j++)
	{
		double		s = 1.0 / m->inv_std[j];

		*lo = fmin(*lo, m->mean[j] - 40.0 * s);
		*hi = fmax(*hi, m->mean[j] + 40.0 * s);
	}
}

/* Quantile of the normalised mixture. */
double
vgm_mixture_quantile(const VgmCdfMixture *m, double p)
{
	double		wsum = mixture_weight(m);
	double		lo;
	double		hi;

	if (!(p > 0.0))
		return -INFINITY;
	if (!(p < 1.0))
		return INFINITY;
	mixture_bracket(m, &lo, &hi);
	return quantile_between(m, wsum, p, lo, hi, lo + 0.5 * (hi - lo));
}

/* Atom share and trimmed moments of a histogram and of its mixture. */
void
vgm_ks_effects(const VgmCdfMixture *m, const int64_t *counts, int nbins,
			   int64_t n, double trim, VgmKsEffects *out)
{
	double		wsum = mixture_weight(m);
	double		c = mixture_mean(m, wsum);
	double		lo;
	double		hi;
	double		x_prev;
	int64_t		cum = 0;
	int64_t		top = 0;
	int			last_edge = -1;		/* the edge whose point is in e_last */
	int			kept_bins = 0;	/* bins with data inside the trim */
	int			kept_bin = -1;	/* the last of them */
	MixturePoint e_last = {0.0, 0.0, 0.0, 0.0};
	double		kept = 0.0;
	double		s1 = 0.0;
	double		s2 = 0.0;
	double		q0;
	double		q1;
	MixturePoint a;
	MixturePoint b;
	double		mass;
	double		mm;
	int			i;

	out->atom_share = out->data_mean = out->data_stddev = NAN;
	out->model_mean = out->model_stddev = NAN;
	if (m->k < 1 || !(wsum > 0.0))
		return;
	mixture_bracket(m, &lo, &hi);

	/* the mixture between its own trim and 1 - trim quantiles */
	q0 = trim > 0.0 ? vgm_mixture_quantile(m, trim) : -INFINITY;
	q1 = trim > 0.0 ? vgm_mixture_quantile(m, 1.0 - trim) : INFINITY;
	a = mixture_at(m, wsum, c, q0);
	b = mixture_at(m, wsum, c, q1);
	mass = b.cdf - a.cdf;
	if (mass > 0.0)
	{
		mm = (b.m1 - a.m1) / mass;
		out->model_mean = c + mm;
		out->model_stddev = sqrt(fmax((b.m2 - a.m2) / mass - mm * mm, 0.0));
	}
	if (n <= 0)
		return;

	/*
	 * The data between their own trim and 1 - trim quantiles: bin i holds
	 * the shares [G_i, G_i+1) of the data, of which the part inside [trim,
	 * 1 - trim] is kept, with the mixture's moments between the bin's
	 * edges.  Edges increase, so each quantile search starts from the last.
	 */
	x_prev = lo;
	for (i = 0; i < nbins; i++)
	{
		double		g0 = (double) cum / (double) n;
		double		g1;
		double		k0;
		double		k1;
		MixturePoint p0;
		MixturePoint p1;
		double		bin_mass;

		if (counts[i] > top)
			top = counts[i];
		if (counts[i] == 0)
			continue;
		cum += counts[i];
		g1 = (double) cum / (double) n;
		k0 = fmin(fmax(g0, trim), 1.0 - trim);
		k1 = fmin(fmax(g1, trim), 1.0 - trim);
		if (!(k1 > k0))
			continue;
		/* the two edges of bin i; the lower one is often the last upper one */
		if (last_edge == i)
			p0 = e_last;
		else if (i == 0)
			p0 = mixture_at(m, wsum, c, -INFINITY);
		else
		{
			x_prev = quantile_between(m, wsum, (double) i / nbins, x_prev, hi, x_prev);
			p0 = mixture_at(m, wsum, c, x_prev);
		}
		if (i + 1 == nbins)
			p1 = mixture_at(m, wsum, c, INFINITY);
		else
		{
			x_prev = quantile_between(m, wsum, (double) (i + 1) / nbins, x_prev, hi, x_prev);
			p1 = mixture_at(m, wsum, c, x_prev);
		}
		e_last = p1;
		last_edge = i + 1;
		bin_mass = p1.cdf - p0.cdf;
		kept += k1 - k0;
		kept_bins++;
		kept_bin = i;
		if (bin_mass > 0.0)
		{
			s1 += (k1 - k0) * (p1.m1 - p0.m1) / bin_mass;
			s2 += (k1 - k0) * (p1.m2 - p0.m2) / bin_mass;
		}
		else
		{
			/* the bin's edges met (no mass between): its values sit at the edge */
			double		d = x_prev - c;

			s1 += (k1 - k0) * d;
			s2 += (k1 - k0) * d * d;
		}
	}
	out->atom_share = (double) top / (double) n;
	if (kept > 0.0)
	{
		mm = s1 / kept;
		out->data_mean = c + mm;
		/*
		 * Data that all fall into one bin inside the mixture's own trimmed
		 * range are one tied value as far as the histogram can tell (a
		 * discrete column's value left to the mixture beside its atoms):
		 * their spread is 0, not the mixture's spread inside that bin, so
		 * that a check can recognise the case.  A bin in the mixture's
		 * tails proves no tie: the first and last bins collect every value
		 * beyond the mixture's reach, and values the mixture puts in its
		 * tails (a shifted column) are misplaced rather than tied.
		 */
		out->data_stddev = kept_bins == 1 && kept_bin > 0 && kept_bin < nbins - 1
			&& kept_bin >= trim * nbins && kept_bin + 1 <= (1.0 - trim) * nbins
			? 0.0 : sqrt(fmax(s2 / kept - mm * mm, 0.0));
	}
}

/* splitmix64's finaliser: full avalanche of a 64-bit word. */
static inline uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Fold doubles into a hash by their bits (-0 as +0, so equal values hash alike). */
uint64_t
vgm_hash_doubles(uint64_t h, const double *v, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		double		x = v[i] == 0.0 ? 0.0 : v[i];
		uint64_t	bits;

		memcpy(&bits, &x, sizeof(bits));
		h = mix64(h ^ bits) + UINT64_C(0x9E3779B97F4A7C15);
	}
	return h;
}

/* Identity of a plug-in mixture: what the CDF depends on, nothing else. */
uint64_t
vgm_mixture_hash(int k, const double *weights, const double *means, const double *covs)
{
	uint64_t	h = mix64(UINT64_C(0x6A09E667F3BCC908) ^ (uint64_t) k);

	h = vgm_hash_doubles(h, weights, (size_t) k);
	h = vgm_hash_doubles(h, means, (size_t) k);
	h = vgm_hash_doubles(h, covs, (size_t) k);
	h = mix64(h);
	/* 0 never names a model */
	return h ? h : 1;
}

/* ------------------------------------------------------------------------ */
/* KS state text form                                                        */
/* ------------------------------------------------------------------------ */

/* Everything the text of a state holds; the target of the field readers. */
typedef struct KsText
{
	VgmKsCounts *c;
	int64_t    *counts;
	int			nbins;			/* the bin count of this build */
	int64_t		version;		/* as read */
	size_t		jumps_len;		/* [first, last] pairs seen (may exceed the max) */
} KsText;

/*
 * An integer for the value named what: a fraction or an exponent is
 * malformed text, a value beyond int64 is out of range (kept; reading goes
 * on with 0).
 */
static inline int
read_int(JtCursor *c, const char *what, int64_t *out)
{
	JtNumber	tok;
	int			rc;

	*out = 0;
	if (!jt_number_start(jt_peek(c)))
		return jt_syntax_error(c, c->pos, "expected an integer for \"%s\"", what);
	if ((rc = jt_scan_int64(c, &tok, out)) < 0)
		return -1;
	if (rc == JT_NUM_NOT_INTEGER)
		return jt_syntax_error(c, tok.start, "expected an integer for \"%s\"", what);
	if (rc != JT_NUM_OK)
		jt_fail(c->err, VGM_KS_ERR_RANGE, tok.start, "invalid vgm_ks_state: integer out of range",
				"The value of \"%s\" at byte offset %zu does not fit a 64-bit integer.",
				what, tok.start);
	return 0;
}

/* The format version: only this build's. */
static int
read_version(JtCursor *c, const JtField *f, void *target, int depth)
{
	size_t		at = c->pos;
	int64_t		version;

	(void) depth;
	if (read_int(c, f->name, &version) < 0)
		return -1;
	((KsText *) target)->version = version;
	if (version != VGM_KS_FORMAT_VERSION && version != VGM_KS_FORMAT_VERSION_JUMPS)
		jt_fail(c->err, VGM_KS_ERR_VERSION, at, "unsupported vgm_ks_state version",
				"The text has version %" PRId64 "; this build reads versions %d and %d.",
				version, VGM_KS_FORMAT_VERSION, VGM_KS_FORMAT_VERSION_JUMPS);
	return 0;
}

/* The bin count: only this build's. */
static int
read_bins(JtCursor *c, const JtField *f, void *target, int depth)
{
	KsText	   *t = target;
	size_t		at = c->pos;
	int64_t		bins;

	(void) depth;
	if (read_int(c, f->name, &bins) < 0)
		return -1;
	if (bins != t->nbins)
		jt_fail(c->err, VGM_KS_ERR_VERSION, at, "unsupported vgm_ks_state bin count",
				"The text has %" PRId64 " bins; this build uses %d.", bins, t->nbins);
	return 0;
}

/* The model hash: a string of exactly 16 hexadecimal digits. */
static int
read_hash(JtCursor *c, const JtField *f, void *target, int depth)
{
	KsText	   *t = target;
	char		hex[17];
	size_t		len = 0;
	size_t		at = c->pos;
	bool		overflow,
				nonascii;
	uint64_t	h = 0;

	(void) f;
	(void) depth;
	if (jt_peek(c) != '"')
		return jt_syntax_error(c, c->pos, "expected a string for \"model_hash\"");
	if (jt_scan_string(c, hex, sizeof(hex) - 1, &len, &overflow, &nonascii) < 0)
		return -1;
	for (size_t i = 0; i < len && !overflow; i++)
	{
		char		ch = hex[i];
		int			d = ch >= '0' && ch <= '9' ? ch - '0'
			: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;

		if (d < 0)
			overflow = true;	/* not a hexadecimal digit */
		else
			h = h * 16 + (uint64_t) d;
	}
	if (overflow || len != 16)
		return jt_syntax_error(c, at, "\"model_hash\" must be 16 hexadecimal digits");
	t->c->model_hash = h;
	return 0;
}

/* A count into the VgmKsCounts at f->arg. */
static int
read_count(JtCursor *c, const JtField *f, void *target, int depth)
{
	KsText	   *t = target;

	(void) depth;
	return read_int(c, f->name, (int64_t *) ((char *) t->c + f->arg));
}

/* The run-length coded bins: c >= 0 is one bin holding c, -r is r empty bins. */
static int
read_counts(JtCursor *c, const JtField *f, void *target, int depth)
{
	KsText	   *t = target;
	int			filled = 0;
	bool		too_many = false;
	int			more;

	if (jt_peek(c) != '[')
		return jt_syntax_error(c, c->pos, "expected \"[\" to begin \"counts\"");
	for (more = jt_array_begin(c, depth); more > 0; more = jt_array_next(c))
	{
		size_t		at = c->pos;
		int64_t		v;

		if (read_int(c, f->name, &v) < 0)
			return -1;
		if (too_many)
			continue;
		/* -r: r empty bins; -INT64_MIN does not exist, so compare as negatives */
		if (v >= 0 ? filled >= t->nbins : v < -(int64_t) (t->nbins - filled))
		{
			jt_fail(c->err, VGM_KS_ERR_RANGE, at, "invalid vgm_ks_state: wrong number of bins",
					"\"counts\" describes more than %d bins.", t->nbins);
			too_many = true;
		}
		else if (v >= 0)
			t->counts[filled++] = v;
		else
		{
			memset(t->counts + filled, 0, sizeof(int64_t) * (size_t) (-v));
			filled += (int) (-v);
		}
	}
	if (more == 0 && !too_many && filled != t->nbins)
		jt_fail(c->err, VGM_KS_ERR_RANGE, c->pos, "invalid vgm_ks_state: wrong number of bins",
				"\"counts\" describes %d bins, expected %d.", filled, t->nbins);
	return more;
}

/* The jumps: an array of [first bin, last bin] pairs into t->c->jumps. */
static int
read_jumps(JtCursor *c, const JtField *f, void *target, int depth)
{
	KsText	   *t = target;
	size_t		count = 0;
	int			more;

	if (jt_peek(c) != '[')
		return jt_syntax_error(c, c->pos, "expected \"[\" to begin \"jumps\"");
	for (more = jt_array_begin(c, depth); more > 0; more = jt_array_next(c), count++)
	{
		int64_t		pair[2];
		int			inner;

		if (jt_peek(c) != '[')
			return jt_syntax_error(c, c->pos, "expected \"[\" to begin a jump");
		inner = jt_array_begin(c, depth + 1);
		for (int k = 0; k < 2; k++)
		{
			size_t		at = c->pos;

			if (inner <= 0)
				return inner < 0 ? -1 : jt_syntax_error(c, c->pos, "a jump is a pair of bins");
			if (read_int(c, f->name, &pair[k]) < 0)
				return -1;
			if (pair[k] < 0 || pair[k] >= t->nbins)
				jt_fail(c->err, VGM_KS_ERR_RANGE, at, "invalid vgm_ks_state: bin out of range",
						"Jump %zu names bin %" PRId64 "; bins are 0 to %d.", count, pair[k], t->nbins - 1);
			inner = jt_array_next(c);
		}
		if (inner != 0)
			return inner < 0 ? -1 : jt_syntax_error(c, c->pos, "a jump is a pair of bins");
		if (count < VGM_KS_MAX_JUMPS)
		{
			t->c->jumps[count][0] = (int32_t) pair[0];
			t->c->jumps[count][1] = (int32_t) pair[1];
		}
	}
	t->jumps_len = count;
	if (more == 0 && count > VGM_KS_MAX_JUMPS)
		jt_fail(c->err, VGM_KS_ERR_RANGE, c->pos, "invalid vgm_ks_state: too many jumps",
				"\"jumps\" has %zu pairs; a state has at most %d.", count, VGM_KS_MAX_JUMPS);
	else
		t->c->n_jumps = (int32_t) count;
	return more;
}

/* The fields of a state, in the order the writer puts them (any order reads). */
static const JtField ks_fields[] = {
	{"version", NULL, read_version, 0, false},
	{"bins", NULL, read_bins, 0, false},
	{"model_hash", NULL, read_hash, 0, false},
	{"n", NULL, read_count, offsetof(VgmKsCounts, n), false},
	{"nulls", NULL, read_count, offsetof(VgmKsCounts, nulls), false},
	{"nans", NULL, read_count, offsetof(VgmKsCounts, nans), false},
	{"pos_infs", NULL, read_count, offsetof(VgmKsCounts, pos_infs), false},
	{"neg_infs", NULL, read_count, offsetof(VgmKsCounts, neg_infs), false},
	{"jumps", NULL, read_jumps, 0, true},
	{"counts", NULL, read_counts, 0, false},
};

#define N_KS_FIELDS ((int) (sizeof(ks_fields) / sizeof(ks_fields[0])))

static const JtMessages ks_messages = {
	.syntax = "invalid input syntax for type vgm_ks_state",
	.noun = "the state",
	.unknown = "invalid vgm_ks_state: unknown field",
	.duplicate = "invalid vgm_ks_state: duplicate field",
	.missing = "invalid vgm_ks_state: missing field",
	.version = VGM_KS_FORMAT_VERSION,
	.ascii_keys = true,
};

/* Append the JSON text of a state to an appender of the text kit. */
void
vgm_ks_write(JtOut *o, const VgmKsCounts *c, const int64_t *counts, int nbins)
{
	char		head[80];
	int			i = 0;

	snprintf(head, sizeof(head), "{\"version\":%d,\"bins\":%d,\"model_hash\":\"%016" PRIx64 "\"",
			 vgm_ks_version_for(c->n_jumps), nbins, c->model_hash);
	jt_puts(o, head);
	jt_put_int64_fields(o, ",", ks_fields + 3, 5, c);	/* n .. neg_infs */
	/* jumps only when there are some: a state without them keeps version 1's text */
	if (c->n_jumps > 0 && c->n_jumps <= VGM_KS_MAX_JUMPS)
	{
		jt_puts(o, ",\"jumps\":[");
		for (int j = 0; j < c->n_jumps; j++)
		{
			jt_puts(o, j > 0 ? ",[" : "[");
			jt_put_i64(o, c->jumps[j][0]);
			jt_puts(o, ",");
			jt_put_i64(o, c->jumps[j][1]);
			jt_puts(o, "]");
		}
		jt_puts(o, "]");
	}
	jt_puts(o, ",\"counts\":[");
	while (i < nbins)
	{
		int			run = 0;

		if (i > 0)
			jt_puts(o, ",");
		while (i + run < nbins && counts[i + run] == 0)
			run++;
		if (run >= 2)
		{
			jt_put_i64(o, -run);
			i += run;
		}
		else
			jt_put_i64(o, counts[i++]);
	}
	jt_puts(o, "]}");
}

/* JSON text of a state; returns the length needed (excluding NUL). */
size_t
vgm_ks_format(const VgmKsCounts *c, const int64_t *counts, int nbins, char *buf, size_t buflen)
{
	JtOut		o;

	vgm_ks_write(jt_out_fixed(&o, buf, buflen), c, counts, nbins);
	return jt_out_finish(&o);
}

/* Validate counts: non-negative, summing to n without overflow. */
int
vgm_ks_validate(const VgmKsCounts *c, const int64_t *counts, int nbins,
				char *msg, size_t msglen, char *detail, size_t detaillen)
{
	JtError		e;
	int64_t		sum = 0;
	int			i;

	jt_error_init(&e, msg, msglen, detail, detaillen);
	if (c->n < 0 || c->nulls < 0 || c->nans < 0 || c->pos_infs < 0 || c->neg_infs < 0)
		return jt_fail(&e, VGM_KS_ERR_RANGE, 0, "invalid vgm_ks_state: negative count",
					   "Every count must be zero or positive.");
	if (c->model_hash == 0)
		return jt_fail(&e, VGM_KS_ERR_RANGE, 0, "invalid vgm_ks_state: missing model hash",
					   "A state always names the model it was built with.");
	if (c->n_jumps < 0 || c->n_jumps > VGM_KS_MAX_JUMPS)
		return jt_fail(&e, VGM_KS_ERR_RANGE, 0, "invalid vgm_ks_state: too many jumps",
					   "The state has %d jumps; a state has at most %d.", (int) c->n_jumps,
					   VGM_KS_MAX_JUMPS);
	for (int j = 0; j < c->n_jumps; j++)
	{
		int32_t		lo = c->jumps[j][0];
		int32_t		hi = c->jumps[j][1];

		if (lo < 0 || hi >= nbins || lo > hi || (j > 0 && lo <= c->jumps[j - 1][1]))
			return jt_fail(&e, VGM_KS_ERR_RANGE, 0, "invalid vgm_ks_state: bad jump",
						   "Jump %d covers bins %d to %d; jumps lie within the bins, in increasing order, without overlap.",
						   j, (int) lo, (int) hi);
		for (int32_t b = lo; b <= hi; b++)
			if (counts[b] != 0)
				return jt_fail(&e, VGM_KS_ERR_RANGE, 0, "invalid vgm_ks_state: values inside a jump",
							   "Bin %d lies inside jump %d of the model's CDF but holds %" PRId64 " values; no value maps there.",
							   (int) b, j, counts[b]);
	}
	for (i = 0; i < nbins; i++)
	{
		if (counts[i] < 0)
			return jt_fail(&e, VGM_KS_ERR_RANGE, 0, "invalid vgm_ks_state: negative count",
						   "Bin %d holds %" PRId64 ".", i, counts[i]);
		if (__builtin_add_overflow(sum, counts[i], &sum))
			return jt_fail(&e, VGM_KS_ERR_RANGE, 0, "invalid vgm_ks_state: counts overflow",
						   "The bin counts do not sum to a 64-bit integer.");
	}
	if (sum != c->n)
		return jt_fail(&e, VGM_KS_ERR_RANGE, 0, "invalid vgm_ks_state: counts do not sum to n",
					   "The bins hold %" PRId64 " values, \"n\" says %" PRId64 ".", sum, c->n);
	return VGM_KS_OK;
}

/* Parse and validate the JSON text of a state; its keys may come in any order. */
int
vgm_ks_parse(const char *text, size_t len, VgmKsCounts *c, int64_t *counts, int nbins,
			 char *msg, size_t msglen, char *detail, size_t detaillen)
{
	KsText		t = {c, counts, nbins, 0, 0};
	bool		seen[N_KS_FIELDS] = {false};
	JtError		err;
	JtCursor	cur;

	memset(c, 0, sizeof(*c));
	jt_error_init(&err, msg, msglen, detail, detaillen);
	jt_init(&cur, text, len, &err, &ks_messages);
	if (jt_read_object(&cur, ks_fields, N_KS_FIELDS, seen, "", &t, 1) < 0 ||
		jt_expect_end(&cur) < 0 || err.status != VGM_TEXT_OK ||
		jt_check_missing(&cur, ks_fields, N_KS_FIELDS, seen) != VGM_TEXT_OK)
		return err.status;
	/* version 2 is a state with jumps, version 1 one without */
	if (t.version != vgm_ks_version_for((int32_t) t.jumps_len))
		return jt_fail(&err, VGM_KS_ERR_RANGE, 0, "invalid vgm_ks_state: version does not match the jumps",
					   "The text has version %" PRId64 " and %zu jumps; a state with jumps has version %d, one without version %d.",
					   t.version, t.jumps_len, VGM_KS_FORMAT_VERSION_JUMPS, VGM_KS_FORMAT_VERSION);
	return vgm_ks_validate(c, counts, nbins, msg, msglen, detail, detaillen);
}

/* ------------------------------------------------------------------------ */
/* Kolmogorov limiting distribution                                          */
/* ------------------------------------------------------------------------ */

/*
 * kstwobign.sf(z) = 1 - K(z), K(z) = sqrt(2 pi)/z sum_k exp(-(2k-1)^2 pi^2
 * / (8 z^2)) = 1 - 2 sum_k (-1)^(k-1) exp(-2 k^2 z^2): the theta-function
 * form converges fast for small z, the alternating one for large z.
 */
double
vgm_kolmogorov_sf(double z)
{
	double		s = 0.0;
	int			k;

	if (isnan(z))
		return NAN;
	if (z <= 0.0)
		return 1.0;
	if (z < 0.82)
	{
		double		a = -M_PI * M_PI / (8.0 * z * z);

		for (k = 1; k <= 20; k++)
		{
			double		m = 2.0 * k - 1.0;
			double		t = exp(a * m * m);

			s += t;
			if (t <= 1e-17 * s)
				break;
		}
		s = 1.0 - SQRT_2PI / z * s;
	}
	else
	{
		double		sign = 1.0;

		for (k = 1; k <= 100; k++)
		{
			double		t = exp(-2.0 * k * k * z * z);

			s += sign * t;
			sign = -sign;
			if (t <= 1e-17 * s)
				break;
		}
		s *= 2.0;
	}
	return s < 0.0 ? 0.0 : (s > 1.0 ? 1.0 : s);
}

/* ------------------------------------------------------------------------ */
/* one-sided Smirnov distribution                                            */
/* ------------------------------------------------------------------------ */

/*
 * floor(n x) and n x - floor(n x) without rounding error: fma gives the
 * exact product as a sum of two doubles (n <= 2^53).
 */
static void
floor_nx(int64_t n, double x, int64_t *fl, long double *nx, double *frac)
{
	double		dn = (double) n;
	double		p = dn * x;
	double		err = fma(dn, x, -p);
	double		f = floor(p);
	long double r = ((long double) p - f) + err;

	if (r < 0)
	{
		f -= 1.0;
		r += 1;
	}
	else if (r >= 1)
	{
		f += 1.0;
		r -= 1;
	}
	*fl = (int64_t) f;
	*frac = (double) r;
	*nx = (long double) p + err;
}

/*
 * P(D+_n >= x) (scipy.special.smirnov).  Closed forms at the ends, SciPy's
 * approximation exp(-(6 n x + 1)^2 / (18 n)) beyond n = 10^6, otherwise
 * the Birnbaum-Tingey sum
 *   x sum_{v=0}^{floor(n(1-x))} C(n,v) (x + v/n)^(v-1) (1 - x - v/n)^(n-v)
 * in long double logs (every term is positive, so no cancellation).
 */
double
vgm_smirnov_sf(int64_t n, double x)
{
	int64_t		nxfl;
	long double nx;
	double		frac;
	double		logn;
	long double logc = 0;
	long double sum = 0;
	long double prev = 0;
	int64_t		v;
	int64_t		vmax;

	if (n <= 0 || isnan(x))
		return NAN;
	if (x <= 0.0)
		return 1.0;
	if (x >= 1.0)
		return 0.0;
	if (n == 1)
		return 1.0 - x;
	floor_nx(n, x, &nxfl, &nx, &frac);
	if (nxfl == 0 || (nxfl == 1 && frac == 0.0))
	{
		/* x <= 1/n: P(D+ < x) = x (1 + x)^(n-1) */
		double		cdf = x * (double) expl((long double) (n - 1) * log1pl((long double) x));

		return 1.0 - cdf;
	}
	if (-2.0 * (double) n * x * x < MIN_LOG)
		return 0.0;
	if (nxfl >= n - 1)
		return (double) expl((long double) n * log1pl(-(long double) x));
	if (n > 1000000)
	{
		double		dn = (double) n;
		double		logp = -pow(6.0 * dn * x + 1.0, 2) / 18.0 / dn;

		return logp < -LN2 ? exp(logp) : 1.0 + expm1(logp);
	}
	logn = log((double) n);
	vmax = n - nxfl;			/* floor(n (1 - x)), or one past when n x is whole */
	for (v = 0; v <= vmax; v++)
	{
		/* n (1 - x - v/n) and n (x + v/n), from the exact n x */
		double		a = (double) ((long double) (n - v) - nx);
		double		b = (double) ((long double) v + nx);
		double		t;

		/*
		 * Double logs are accurate to 1e-16 relative, which the factors of
		 * at most n <= 10^6 turn into 1e-10 in a term; the binomial's log
		 * is summed in long double, where 10^6 additions lose nothing.
		 */
		if (v > 0)
			logc += log((double) (n - v + 1) / (double) v);
		if (a <= 0)
			break;
		t = exp((double) (logc + (long double) (v - 1) * (log(b) - logn)
						  + (long double) (n - v) * (log(a) - logn)));
		sum += t;
		/* past the peak and negligible: the rest is smaller still */
		if (t < prev && t < 1e-22L * sum)
			break;
		prev = t;
	}
	sum *= x;
	return sum > 1 ? 1.0 : (double) sum;
}

/* ------------------------------------------------------------------------ */
/* Durbin matrix (Marsaglia, Tsang and Wang)                                 */
/* ------------------------------------------------------------------------ */

/* c = a b for m x m matrices; returns the largest |entry| of c. */
static double
mat_mul(const double *a, const double *b, double *c, int m)
{
	double		big = 0.0;
	int			i;
	int			j;
	int			l;

	for (i = 0; i < m; i++)
	{
		double	   *ci = c + (size_t) i * m;

		for (j = 0; j < m; j++)
			ci[j] = 0.0;
		for (l = 0; l < m; l++)
		{
			double		ail = a[(size_t) i * m + l];
			const double *bl = b + (size_t) l * m;

			if (ail == 0.0)
				continue;
			for (j = 0; j < m; j++)
				ci[j] += ail * bl[j];
		}
		for (j = 0; j < m; j++)
			if (fabs(ci[j]) > big)
				big = fabs(ci[j]);
	}
	return big;
}

/*
 * P(D_n < x) = n!/n^n (H^n)_{kk} with k = ceil(n x), h = k - n x and the
 * (2k-1)-square matrix H of Durbin (1968); powers are kept as a matrix and
 * a power-of-two exponent so that nothing overflows.
 */
double
vgm_kolmogn_cdf_durbin(int64_t n, double x)
{
	double		nd = (double) n * x;
	int			k;
	int			m;
	double		h;
	double	   *H;
	double	   *P;
	double	   *T;
	double	   *fact;
	int64_t		e_h = 0;		/* H is scaled by 2^-e_h */
	int64_t		e_p = 0;
	int64_t		nn = n;
	bool		have_p = false;
	int			i;
	int			j;
	long double logp;
	double		result;

	if (x >= 1.0)
		return 1.0;
	if (nd <= 0.5)
		return 0.0;
	k = (int) ceil(nd);
	h = k - nd;
	m = 2 * k - 1;
	H = malloc(sizeof(double) * (size_t) m * m * 3 + sizeof(double) * (size_t) (m + 1));
	if (H == NULL)
		return NAN;
	P = H + (size_t) m * m;
	T = P + (size_t) m * m;
	fact = T + (size_t) m * m;
	fact[0] = 1.0;
	for (i = 1; i <= m; i++)
		fact[i] = fact[i - 1] * i;
	for (i = 0; i < m; i++)
		for (j = 0; j < m; j++)
			H[(size_t) i * m + j] = (i - j + 1 >= 0) ? 1.0 / fact[i - j + 1] : 0.0;
	for (i = 0; i < m; i++)
	{
		H[(size_t) i * m] -= pow(h, i + 1) / fact[i + 1];
		H[(size_t) (m - 1) * m + i] -= pow(h, m - i) / fact[m - i];
	}
	/* the corner lost h^m twice; add back (2h - 1)^m when 2h > 1 */
	if (2.0 * h - 1.0 > 0.0)
		H[(size_t) (m - 1) * m] += pow(2.0 * h - 1.0, m) / fact[m];

	/* binary powering: P = H^n */
	while (nn > 0)
	{
		if (nn & 1)
		{
			if (!have_p)
			{
				memcpy(P, H, sizeof(double) * (size_t) m * m);
				e_p = e_h;
				have_p = true;
			}
			else
			{
				int			ex;
				double		big = mat_mul(P, H, T, m);

				memcpy(P, T, sizeof(double) * (size_t) m * m);
				e_p += e_h;
				if (big > 0.0)
				{
					frexp(big, &ex);
					for (i = 0; i < m * m; i++)
						P[i] = ldexp(P[i], -ex);
					e_p += ex;
				}
			}
		}
		nn >>= 1;
		if (nn > 0)
		{
			int			ex;
			double		big = mat_mul(H, H, T, m);

			memcpy(H, T, sizeof(double) * (size_t) m * m);
			e_h *= 2;
			if (big > 0.0)
			{
				frexp(big, &ex);
				for (i = 0; i < m * m; i++)
					H[i] = ldexp(H[i], -ex);
				e_h += ex;
			}
		}
	}
	result = P[(size_t) (k - 1) * m + (k - 1)];
	free(H);
	if (!(result > 0.0))
		return 0.0;
	logp = logl((long double) result) + (long double) e_p * LN2
		+ lgammal((long double) n + 1) - (long double) n * logl((long double) n);
	result = (double) expl(logp);
	return result > 1.0 ? 1.0 : result;
}

/* ------------------------------------------------------------------------ */
/* Pelz-Good                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * P(D_n <= x) ~ K0(z) + K1(z)/sqrt(n) + K2(z)/n + K3(z)/n^(3/2), z = x
 * sqrt(n), with the K_i in their theta-function forms (Pelz and Good 1976,
 * as written in Simard and L'Ecuyer 2011), each sum over k = 1..ceil(16 z /
 * pi) as SciPy truncates it.
 */
double
vgm_kolmogn_cdf_pelz_good(int64_t n, double x)
{
	double		dn = (double) n;
	double		z;
	double		z2;
	double		z4;
	double		z6;
	double		pi2 = M_PI * M_PI;
	double		pi4 = pi2 * pi2;
	double		pi6 = pi4 * pi2;
	double		qlog;
	double		s[4] = {0.0, 0.0, 0.0, 0.0};	/* s[i]: the theta sum of K_i */
	double		e[4] = {0.0, 0.0, 0.0, 0.0};	/* e[2], e[3]: the second sums of K2, K3 */
	double		kt[4];			/* kt[i]: K_i(z) */
	int			maxk;
	int			k;

	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	z = sqrt(dn) * x;
	z2 = z * z;
	z4 = z2 * z2;
	z6 = z4 * z2;
	qlog = -pi2 / 8.0 / z2;
	if (qlog < -708.0)
		return 0.0;
	maxk = (int) ceil(16.0 * z / M_PI);
	for (k = 1; k <= maxk; k++)
	{
		/* (k - 1/2)^2 pi^2 = m^2 pi^2 / 4 with m = 2k - 1 */
		double		m2 = (2.0 * k - 1.0) * (2.0 * k - 1.0);
		double		qm = exp(qlog * m2);	/* q^(m^2), qlog = log q */
		double		f = exp(-pi2 * k * k / 2.0 / z2);
		double		kk = (double) k * k;

		s[0] += qm;
		s[1] += (-z2 + pi2 * m2 / 4.0) * qm;
		s[2] += (6.0 * z6 + 2.0 * z4 + (2.0 * z4 - 5.0 * z2) * pi2 * m2 / 4.0
				 + pi4 * (1.0 - 2.0 * z2) * m2 * m2 / 16.0) * qm;
		s[3] += (-30.0 * z6 - 90.0 * z6 * z2 + pi2 * (135.0 * z4 - 96.0 * z6) * m2 / 4.0
				 + pi4 * (212.0 * z4 - 60.0 * z2) * m2 * m2 / 16.0
				 + pi6 * (5.0 - 30.0 * z2) * m2 * m2 * m2 / 64.0) * qm;
		e[2] += kk * f;
		e[3] += (3.0 * z2 - pi2 * kk) * kk * f;
	}
	kt[0] = SQRT_2PI / z * s[0];
	kt[1] = SQRT_2PI / (6.0 * z4) * s[1];
	kt[2] = SQRT_2PI / (72.0 * z6 * z) * s[2] - pi2 * SQRT_2PI / (36.0 * z2 * z) * e[2];
	kt[3] = SQRT_2PI / (6480.0 * z6 * z4) * s[3] + pi2 * SQRT_2PI / (216.0 * z6) * e[3];
	return kt[0] + kt[1] / sqrt(dn) + kt[2] / dn + kt[3] / (dn * sqrt(dn));
}

/* ------------------------------------------------------------------------ */
/* kstwo                                                                     */
/* ------------------------------------------------------------------------ */

/* Clip a probability to [0, 1]. */
static double
clip01(double p)
{
	return p < 0.0 ? 0.0 : (p > 1.0 ? 1.0 : p);
}

/*
 * kstwo.sf(x, n) with SciPy 1.10's choice of method (_kolmogn, cdf=False):
 * Ruben-Gambino closed forms at both ends, 2 smirnov for x >= 1/2, the
 * Durbin matrix where SciPy uses it or Pomeranz (both exact), twice the
 * one-sided tail for large deviations, Pelz-Good otherwise.
 */
double
vgm_kstwo_sf(int64_t n, double x)
{
	double		dn = (double) n;
	double		t;
	double		nx2;

	if (n <= 0 || isnan(x))
		return NAN;
	if (x >= 1.0)
		return 0.0;
	if (x <= 0.0)
		return 1.0;
	t = dn * x;
	if (t <= 1.0)
	{
		/* 1/(2n) <= x <= 1/n: P(D_n <= x) = n!/n^n (2 n x - 1)^n */
		double		cdf;

		if (t <= 0.5)
			return 1.0;
		cdf = (double) expl(lgammal((long double) n + 1) - (long double) n * logl((long double) n)
							+ (long double) n * logl(2.0L * t - 1.0L));
		return clip01(1.0 - cdf);
	}
	if (t >= dn - 1.0)
		return clip01(2.0 * (double) expl((long double) n * log1pl(-(long double) x)));
	if (x >= 0.5)
		return clip01(2.0 * vgm_smirnov_sf(n, x));
	nx2 = t * x;
	if (n <= 140)
	{
		if (nx2 <= 4.0)
			return clip01(1.0 - vgm_kolmogn_cdf_durbin(n, x));
		return clip01(2.0 * vgm_smirnov_sf(n, x));
	}
	if (nx2 >= 370.0)
		return 0.0;
	if (nx2 >= 2.2)
		return clip01(2.0 * vgm_smirnov_sf(n, x));
	if (n <= 100000 && dn * pow(x, 1.5) <= 1.4)
		return clip01(1.0 - vgm_kolmogn_cdf_durbin(n, x));
	return clip01(1.0 - vgm_kolmogn_cdf_pelz_good(n, x));
}

/* ------------------------------------------------------------------------ */
/* two-sample distribution                                                   */
/* ------------------------------------------------------------------------ */

/* Greatest common divisor. */
static int64_t
gcd64(int64_t a, int64_t b)
{
	while (b != 0)
	{
		int64_t		t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * Equal sample sizes: by reflection, P(D_{n,n} >= h/n) = 2 sum_{j>=1}
 * (-1)^(j-1) C(2n, n - jh) / C(2n, n); nested as A1 (1 - A2 (1 - ...))
 * with A_j the ratio of consecutive binomials, so no term overflows.
 */
static double
ks2_sf_square(int64_t n, int64_t h)
{
	double		p = 0.0;
	int64_t		j;

	for (j = n / h; j >= 0; j--)
	{
		double		a = 1.0;
		int64_t		i;

		for (i = 0; i < h; i++)
			a = (double) (n - j * h - i) * a / (double) (n + j * h + i + 1);
		p = a * (1.0 - p);
	}
	return 2.0 * p;
}

/*
 * Unequal sizes: lattice paths from (0,0) to (m,n) staying strictly inside
 * |i/m - j/n| < h/lcm.  b(i,j) = 1 - (inside paths)/C(i+j, j) obeys
 * b(i,j) = (i b(i-1,j) + j b(i,j-1)) / (i+j) inside and b = 1 outside, and
 * carries the small p-value itself instead of 1 minus a number near 1.
 */
static double
ks2_sf_inside(int64_t m, int64_t n, int64_t h)
{
	int64_t		g;
	int64_t		mg;
	int64_t		ng;
	double	   *b;
	int64_t		lo = 0;
	int64_t		hi;
	int64_t		i;
	int64_t		j;
	double		result;

	if (m < n)
	{
		int64_t		t = m;

		m = n;
		n = t;
	}
	g = gcd64(m, n);
	mg = m / g;
	ng = n / g;
	b = malloc(sizeof(double) * (size_t) (n + 1));
	if (b == NULL)
		return NAN;
	/* column i = 0: inside while mg j < h */
	hi = (h + mg - 1) / mg - 1;
	if (hi > n)
		hi = n;
	for (j = 0; j <= n; j++)
		b[j] = j <= hi ? 0.0 : 1.0;
	for (i = 1; i <= m; i++)
	{
		int64_t		plo = lo;
		int64_t		phi = hi;
		int64_t		num_lo = ng * i - h;
		int64_t		num_hi = ng * i + h;
		double		prev;

		/* inside: ng i - h < mg j < ng i + h */
		lo = (num_lo >= 0 ? num_lo / mg : -((-num_lo + mg - 1) / mg)) + 1;
		if (lo < 0)
			lo = 0;
		hi = (num_hi + mg - 1) / mg - 1;
		if (hi > n)
			hi = n;
		if (hi < lo)
		{
			free(b);
			return 1.0;
		}
		/* rows that left the band are outside again */
		for (j = plo; j < lo && j <= phi; j++)
			b[j] = 1.0;
		prev = 1.0;
		for (j = lo; j <= hi; j++)
		{
			double		left = (j > phi) ? 1.0 : b[j];

			b[j] = (i * left + j * prev) / (double) (i + j);
			prev = b[j];
		}
	}
	result = b[n];
	free(b);
	return result;
}

/* Exact two-sided P(D_{m,n} >= h / lcm(m, n)). */
double
vgm_ks2_sf_exact(int64_t m, int64_t n, int64_t h)
{
	if (m <= 0 || n <= 0)
		return NAN;
	if (h <= 0)
		return 1.0;
	if (m == n)
		return clip01(ks2_sf_square(n, h));
	return clip01(ks2_sf_inside(m, n, h));
}

/* ks_2samp's two-sided p-value with method='auto'. */
double
vgm_ks_2samp_pvalue(int64_t n1, int64_t n2, __int128 num, bool *exact)
{
	int64_t		m = n1 > n2 ? n1 : n2;
	int64_t		n = n1 > n2 ? n2 : n1;
	double		d;
	double		en;

	*exact = false;
	if (n1 <= 0 || n2 <= 0)
		return NAN;
	d = (double) ((long double) num / ((long double) n1 * (long double) n2));
	if (m <= VGM_KS2_MAX_EXACT_N)
	{
		/* d lcm = num / gcd is a whole number */
		int64_t		g = gcd64(n1, n2);
		double		p = vgm_ks2_sf_exact(n1, n2, (int64_t) (num / g));

		if (p >= 0.0 && p <= 1.0)
		{
			*exact = true;
			return p;
		}
	}
	/* Smirnov's asymptotic form as SciPy writes it: kstwo with n = m n / (m + n) */
	en = (double) m * (double) n / ((double) m + (double) n);
	return vgm_kstwo_sf((int64_t) rint(en), d);
}
