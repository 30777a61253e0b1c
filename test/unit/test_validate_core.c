/*
 * test_validate_core.c - unit tests of src/validate_core.c: the tabulated
 * normal CDF, moments, the binned KS statistics, the state's text form and
 * the null distributions against reference values from SciPy 1.10.1
 * (scipy.stats.kstwo.sf, scipy.special.smirnov, scipy.stats.kstwobign.sf,
 * scipy.stats._stats_py._compute_prob_outside_square and
 * _compute_outer_prob_inside_method), printed by a one-off script with
 * repr precision.
 *
 * validate_core.c is compiled into this test directly, so the test builds
 * whether or not the Makefile lists it in CORE_SRCS.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "validate_core.c"		/* the test reaches the static helpers too */

/* One reference value of a two-argument survival function: sf(n, x). */
typedef struct SfRef
{
	int64_t		n;
	double		x;
	double		sf;
} SfRef;

/* kstwo.sf(x, n): every branch of SciPy's method choice */
static const SfRef kstwo_refs[] = {
	{5, 0.14999999999999999, 0.99880000000000002},
	{5, 0.29999999999999999, 0.66400000000000003},
	{5, 0.59999999999999998, 0.03008000000000001},
	{10, 0.050000000000000003, 1},
	{10, 0.20000000000000001, 0.74871903999999989},
	{10, 0.34999999999999998, 0.13396054626249909},
	{10, 0.94999999999999996, 1.9531250000000172e-13},
	{50, 0.050000000000000003, 0.99902380984618833},
	{50, 0.12, 0.43376796613102331},
	{50, 0.29999999999999999, 0.00017353260202718738},
	{140, 0.080000000000000002, 0.31480749911643063},
	{140, 0.20000000000000001, 2.1981563302200222e-05},
	{141, 0.050000000000000003, 0.85484569300966284},
	{141, 0.13, 0.015449346308454497},
	{1000, 0.01, 0.99994967453706107},
	{1000, 0.040000000000000001, 0.079339560590002245},
	{1000, 0.059999999999999998, 0.0014285978879528911},
	{10000, 0.0050000000000000001, 0.96287780252043043},
	{10000, 0.012, 0.11135257403749388},
	{10000, 0.02, 0.00066168486393873094},
	{100000, 0.0030000000000000001, 0.32845633277269559},
	{100000, 0.0050000000000000001, 0.013430824977799608},
	{100001, 0.0030000000000000001, 0.32845050055711633},
	{1000000, 0.001, 0.26982107442589376},
	{1000000, 0.0016000000000000001, 0.011939282537735608},
	{5000000, 0.00050000000000000001, 0.16402460008192743},
	{5000000, 0.00069999999999999999, 0.014886217453694815},
	{20000000, 0.00029999999999999997, 0.054635400861640537},
	{1000000000, 2.0000000000000002e-05, 0.81861336241722027},
	{1000000000, 6.0000000000000002e-05, 0.00149311189100026},
};

/* scipy.special.smirnov(n, x) */
static const SfRef smirnov_refs[] = {
	{1, 0.29999999999999999, 0.69999999999999996},
	{2, 0.20000000000000001, 0.76000000000000001},
	{7, 0.10000000000000001, 0.82284389999999996},
	{7, 0.5, 0.019195870768132325},
	{100, 0.01, 0.97321966505523239},
	{100, 0.10000000000000001, 0.1265906584562817},
	{100, 0.25, 2.7044358882174237e-06},
	{1000, 0.050000000000000003, 0.0065060373905451658},
	{5000, 0.029999999999999999, 0.00012079617211333408},
	{1000000, 0.0015, 0.011097879215320433},
	{2000000, 0.001, 0.018303432023617325},
};

/* scipy.stats.kstwobign.sf(z) */
static const double kolmogorov_refs[][2] = {
	{0.050000000000000003, 1},
	{0.29999999999999999, 0.99999069419866549},
	{0.5, 0.96394524366487511},
	{0.80000000000000004, 0.54414241157419807},
	{0.81999999999999995, 0.51197170529849734},
	{0.82999999999999996, 0.49619099535050359},
	{1, 0.26999967167735456},
	{1.3600000000000001, 0.049485876755377876},
	{2, 0.00067092525577969533},
	{3, 3.0459959489425258e-08},
};

/* exact two-sample P(D >= h / lcm) */
static const struct
{
	int64_t		m;
	int64_t		n;
	int64_t		h;
	double		sf;
}			ks2_refs[] = {
	{10, 10, 3, 0.78692978847777606},
	{10, 10, 5, 0.16782134274394334},
	{50, 50, 10, 0.27191356015222479},
	{7, 5, 10, 0.90909090909090917},
	{30, 20, 25, 0.024351206903677477},
	{100, 80, 150, 4.5641373279397547e-06},
	{1000, 300, 2000, 8.9511910097535071e-99},
	{10000, 5000, 3, 1},
};

/* Deterministic uniform doubles in (0, 1) (splitmix64). */
static uint64_t rng_state = 12345;
static double
unit_rand(void)
{
	uint64_t	z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));

	z = mix64(z);
	return ((double) (z >> 11) + 0.5) / 9007199254740992.0;
}

/* Sort doubles ascending. */
static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Exact one-sample D of sorted u against the uniform CDF (as scipy's kstest). */
static double
exact_d(const double *u, int n)
{
	double		d = 0.0;
	int			i;

	for (i = 0; i < n; i++)
	{
		double		plus = (double) (i + 1) / n - u[i];
		double		minus = u[i] - (double) i / n;

		if (plus > d)
			d = plus;
		if (minus > d)
			d = minus;
	}
	return d;
}

static void
test_phi(void)
{
	double		worst = 0.0;
	int			i;

	vgm_phi_table_init();
	for (i = -1000000; i <= 1000000; i++)
	{
		double		z = i * 9e-6;
		double		want = 0.5 * erfc(-z / M_SQRT2);
		double		err = fabs(vgm_phi(z) - want);

		if (err > worst)
			worst = err;
	}
	printf("# tabulated Phi: max abs error %.3g on [-9, 9]\n", worst);
	tap_ok(worst < 2e-15, "tabulated normal CDF within 2e-15 of erfc");
	tap_ok(vgm_phi(-8.5) == 0.0 && vgm_phi(8.5) == 1.0 && vgm_phi(-40) == 0.0,
		   "tabulated normal CDF saturates beyond 8.5");
}

static void
test_mixture_cdf(void)
{
	double		mean[3] = {-5.0, 3.0, 12.0};
	double		std[3] = {1.0, 0.5, 2.0};
	double		inv[3];
	double		w[3] = {0.35, 0.45, 0.2};
	VgmCdfMixture m = {3, mean, inv, w};
	double		worst = 0.0;
	int			i;
	int			j;

	for (j = 0; j < 3; j++)
		inv[j] = 1.0 / std[j];
	for (i = 0; i <= 40000; i++)
	{
		double		x = -20.0 + i * 1e-3;
		double		want = 0.0;
		double		got = vgm_mixture_cdf(&m, x);

		for (j = 0; j < 3; j++)
			want += w[j] * 0.5 * erfc(-(x - mean[j]) / std[j] / M_SQRT2);
		if (fabs(got - want) > worst)
			worst = fabs(got - want);
	}
	tap_ok(worst < 3e-15, "mixture CDF within 3e-15 of the erfc sum");
}

/* max |table - erfc sum| over a dense grid, or -1 when the plan refuses a table */
static double
table_error(int k, const double *w, const double *mean, const double *std, int *nodes)
{
	double		inv[16];
	VgmCdfMixture m = {k, (double *) mean, inv, (double *) w};
	VgmCdfTable t;
	double		lo = INFINITY;
	double		hi = -INFINITY;
	double		worst = 0.0;
	int			i;
	int			j;

	for (j = 0; j < k; j++)
	{
		inv[j] = 1.0 / std[j];
		lo = fmin(lo, mean[j] - 12 * std[j]);
		hi = fmax(hi, mean[j] + 12 * std[j]);
	}
	t.n = vgm_cdf_table_plan(&m, VGM_CDF_TABLE_MAX_NODES, &t.lo, &t.h);
	*nodes = t.n;
	if (t.n == 0)
		return -1.0;
	t.c = malloc(sizeof(double) * 6 * t.n);
	vgm_cdf_table_fill(&m, &t);
	for (i = 0; i <= 2000000; i++)
	{
		double		x = lo + (hi - lo) * i / 2000000.0;
		double		want = 0.0;

		for (j = 0; j < k; j++)
			want += w[j] * 0.5 * erfc(-(x - mean[j]) / std[j] / M_SQRT2);
		worst = fmax(worst, fabs(vgm_cdf_table_eval(&t, x) - want));
	}
	free(t.c);
	return worst;
}

static void
test_cdf_table(void)
{
	/* a fitted-looking 10-component model: three modes plus broad, tiny components */
	double		w10[10] = {0.495, 0.203, 0.0992, 1.13e-5, 1.13e-5, 0.1507, 0.0178, 0.0342, 1e-8, 1e-11};
	double		m10[10] = {10.0, 49.9, 50.2, 63.6, 63.6, 199.8, 202.0, 200.0, 60.6, 60.6};
	double		s10[10] = {2.05, 4.83, 5.38, 72.9, 72.9, 18.9, 24.7, 22.3, 73.0, 73.0};
	double		w3[3] = {0.3336, 0.3308, 0.3356};
	double		m3[3] = {-1.99, 4.99, 9.97};
	double		s3[3] = {0.4358, 0.7242, 1.475};
	/* a point mass next to a wide spread: too many nodes, no table */
	double		wp[2] = {0.5, 0.5};
	double		mp[2] = {0.0, 0.0};
	double		sp[2] = {1e-6, 1000.0};
	int			nodes;
	double		e10 = table_error(10, w10, m10, s10, &nodes);
	int			nodes10 = nodes;
	double		e3 = table_error(3, w3, m3, s3, &nodes);

	printf("# CDF table: 10 components %d nodes, max error %.2g; 3 components %d nodes, max error %.2g\n",
		   nodes10, e10, nodes, e3);
	tap_ok(e10 >= 0 && e10 < 2e-12 && e3 >= 0 && e3 < 2e-12, "tabulated mixture CDF within 2e-12 of the erfc sum");
	tap_ok(table_error(2, wp, mp, sp, &nodes) < 0 && nodes == 0,
		   "components of very different scales get no table");
}

/* The density of a k-component normal mixture at x. */
static double
mixture_pdf(int k, const double *w, const double *mu, const double *var, double x)
{
	double		f = 0;

	for (int j = 0; j < k; j++)
		f += w[j] * exp(-0.5 * (x - mu[j]) * (x - mu[j]) / var[j]) / sqrt(2 * M_PI * var[j]);
	return f;
}

static void
test_moments(void)
{
	/* data 1e9 + {-2, -1, 0, 1, 5}: central sums by hand, m[p] = sum of (x - mean)^p */
	double		xs[5] = {-2, -1, 0, 1, 5};
	double		mean = 0.6;
	double		m[5] = {0};
	VgmDataMoments dm;
	int			i;
	double		w[2] = {0.3, 0.7};
	double		mu[2] = {-1.0, 2.0};
	double		var[2] = {0.5, 2.0};
	VgmMixtureMoments mm;
	double		c[5] = {0};		/* by quadrature: the mean, then central moments by order */

	for (i = 0; i < 5; i++)
	{
		double		d = xs[i] - mean;

		m[2] += d * d;
		m[3] += d * d * d;
		m[4] += d * d * d * d;
	}
	vgm_data_moments(5, 1e9 + mean, m[2], m[3], m[4], &dm);
	tap_ok(tap_close(dm.variance, m[2] / 4, 1e-15, 0) && tap_close(dm.variance_pop, m[2] / 5, 1e-15, 0),
		   "sample and population variance");
	tap_ok(tap_close(dm.skewness, (m[3] / 5) / pow(m[2] / 5, 1.5), 1e-14, 0)
		   && tap_close(dm.kurtosis, (m[4] / 5) / pow(m[2] / 5, 2) - 3, 1e-14, 0),
		   "biased skewness and excess kurtosis");
	vgm_data_moments(3, 1e9, 1e-13, 0, 0, &dm);
	tap_ok(isnan(dm.skewness) && isnan(dm.kurtosis), "constant data at SciPy's precision: NaN skewness");
	vgm_data_moments(1, 4, 0, 0, 0, &dm);
	tap_ok(isnan(dm.variance) && dm.variance_pop == 0 && dm.mean == 4, "one value: no sample variance");

	/* mixture moments against numerical integration of the density */
	tap_ok(vgm_mixture_moments(2, w, mu, var, &mm), "mixture moments computed");
	for (i = -400000; i <= 400000; i++)
	{
		double		x = i * 5e-5;

		c[1] += x * mixture_pdf(2, w, mu, var, x) * 5e-5;
	}
	for (i = -400000; i <= 400000; i++)
	{
		double		x = i * 5e-5;
		double		f = mixture_pdf(2, w, mu, var, x) * 5e-5;
		double		d = x - c[1];

		c[2] += d * d * f;
		c[3] += d * d * d * f;
		c[4] += d * d * d * d * f;
	}
	tap_ok(tap_close(mm.mean, c[1], 1e-9, 1e-12) && tap_close(mm.variance, c[2], 1e-9, 0)
		   && tap_close(mm.skewness, c[3] / pow(c[2], 1.5), 1e-8, 1e-12)
		   && tap_close(mm.kurtosis, c[4] / (c[2] * c[2]) - 3, 1e-8, 1e-12),
		   "mixture mean, variance, skewness, kurtosis match integration");
}

/*
 * Exact central moments of x[0..n): long double sums of deviations from a
 * middle element, which are exact when the data lie far from zero.
 */
static void
exact_moments(const double *x, int n, long double *mean, long double *m2,
			  long double *m3, long double *m4)
{
	long double c = x[n / 2];
	long double s = 0;
	long double dm;
	int			i;

	for (i = 0; i < n; i++)
		s += x[i] - c;
	dm = s / n;
	*mean = c + dm;
	*m2 = *m3 = *m4 = 0;
	for (i = 0; i < n; i++)
	{
		long double d = (x[i] - c) - dm;

		*m2 += d * d;
		*m3 += d * d * d;
		*m4 += d * d * d * d;
	}
}

/*
 * Do running moments of x agree with the exact ones within rel?  (The mean
 * relative to the standard deviation, m3 relative to m2 * sd or itself.)
 */
static bool
running_close(const VgmRunningMoments *r, const double *x, int n, double rel)
{
	long double mean;
	long double m2;
	long double m3;
	long double m4;
	double		sd;

	exact_moments(x, n, &mean, &m2, &m3, &m4);
	sd = sqrt((double) (m2 / n));
	return r->n == n
		&& fabs((double) (r->mean + (long double) r->mean_lo - mean)) <= rel * sd
		&& tap_close(r->m2, (double) m2, rel, 0)
		&& fabs(r->m3 - (double) m3) <= rel * fmax(fabs((double) m3), (double) m2 * sd)
		&& tap_close(r->m4, (double) m4, rel, 0);
}

static void
test_running_moments(void)
{
	enum
	{
		N = 200000
	};
	static double x[N];
	VgmRunningMoments whole;
	VgmRunningMoments parts[3];
	int			cut[4] = {0, 1, 70001, N};
	int			i;
	int			p;
	const char *names[3] = {"1e9 + N(0, 1)", "outlier first, then N(0, 1)", "lognormal"};
	char		name[128];

	for (p = 0; p < 3; p++)
	{
		for (i = 0; i < N; i++)
		{
			double		z = sqrt(-2 * log(unit_rand())) * cos(2 * M_PI * unit_rand());

			x[i] = p == 0 ? 1e9 + z : p == 1 ? (i == 0 ? 1e6 : z) : exp(2 * z);
		}
		memset(&whole, 0, sizeof(whole));
		for (i = 0; i < N; i++)
			vgm_running_moments_add(&whole, x[i]);
		snprintf(name, sizeof(name), "running moments row by row: %s", names[p]);
		tap_ok(running_close(&whole, x, N, 1e-12), name);

		/* three parts merged in two orders: the same moments */
		memset(parts, 0, sizeof(parts));
		for (int j = 0; j < 3; j++)
			for (i = cut[j]; i < cut[j + 1]; i++)
				vgm_running_moments_add(&parts[j], x[i]);
		{
			VgmRunningMoments ab = parts[2];

			vgm_running_moments_merge(&ab, &parts[0]);
			vgm_running_moments_merge(&ab, &parts[1]);
			snprintf(name, sizeof(name), "running moments merged in another order: %s", names[p]);
			tap_ok(running_close(&ab, x, N, 1e-12), name);
		}
	}
	memset(&whole, 0, sizeof(whole));
	memset(parts, 0, sizeof(parts));
	vgm_running_moments_add(&parts[0], 3.0);
	vgm_running_moments_merge(&whole, &parts[0]);
	vgm_running_moments_merge(&whole, &parts[1]);
	tap_ok(whole.n == 1 && whole.mean == 3.0 && whole.m2 == 0 && whole.m4 == 0,
		   "merging with an empty state changes nothing");

	/* the first value enters as it is, however large: no inf * 0 */
	memset(&whole, 0, sizeof(whole));
	vgm_running_moments_add(&whole, 1e308);
	vgm_running_moments_add(&whole, 1e308);
	tap_ok(whole.n == 2 && whole.mean == 1e308 && whole.mean_lo == 0 && whole.m2 == 0
		   && whole.m3 == 0 && whole.m4 == 0, "running moments of 1e308 twice: mean 1e308, no spread");
	{
		VgmDataMoments dm;

		/* spread 1e100: m4 overflows, the kurtosis is unknown, not infinite */
		memset(&whole, 0, sizeof(whole));
		vgm_running_moments_add(&whole, 1e100);
		vgm_running_moments_add(&whole, -1e100);
		vgm_running_moments_add(&whole, 3e100);
		vgm_data_moments(whole.n, whole.mean + whole.mean_lo, whole.m2, whole.m3, whole.m4, &dm);
		tap_ok(isfinite(dm.variance) && isnan(dm.kurtosis),
			   "moments of +-1e100: the variance is finite, the overflowed kurtosis NaN");
	}
}

static void
test_statistics(void)
{
	static int64_t counts[VGM_KS_BINS];
	static int64_t counts2[VGM_KS_BINS];
	double		u[2000];
	int			sizes[4] = {1, 7, 100, 2000};
	bool		all_ok = true;
	int			s;
	__int128	num;
	double		d;

	for (s = 0; s < 4; s++)
	{
		int			n = sizes[s];
		int			rep;

		for (rep = 0; rep < 20; rep++)
		{
			int			i;
			double		dm;
			double		de;

			memset(counts, 0, sizeof(counts));
			for (i = 0; i < n; i++)
			{
				/* a skewed sample so D is large and exercises both signs */
				u[i] = rep % 2 ? pow(unit_rand(), 1.3) : unit_rand();
				counts[vgm_ks_bin(u[i])]++;
			}
			qsort(u, n, sizeof(double), cmp_double);
			de = exact_d(u, n);
			dm = vgm_ks_statistic_1samp(counts, VGM_KS_BINS, n);
			if (!(fabs(dm - de) <= 0.5 / VGM_KS_BINS + 1e-15))
			{
				printf("# n %d: binned %.17g exact %.17g\n", n, dm, de);
				all_ok = false;
			}
		}
	}
	tap_ok(all_ok, "one-sample binned D within half a bin of the exact D");

	/* two samples in disjoint bins: the statistic is exact */
	memset(counts, 0, sizeof(counts));
	memset(counts2, 0, sizeof(counts2));
	counts[10] = 3;				/* sample 1: 3 values low, 1 high */
	counts[40000] = 1;
	counts2[20] = 1;			/* sample 2: 2 values in the middle */
	counts2[30000] = 1;
	d = vgm_ks_statistic_2samp(counts, 4, counts2, 2, VGM_KS_BINS, &num);
	tap_ok(num == 6 && d == 0.75, "two-sample D = 3/4 as an exact fraction");
	tap_ok(vgm_ks_bin(1.0) == VGM_KS_BINS - 1 && vgm_ks_bin(0.0) == 0
		   && vgm_ks_bin(0.5) == VGM_KS_BINS / 2, "bin edges");
}

static void
test_text(void)
{
	static int64_t counts[VGM_KS_BINS];
	static int64_t back[VGM_KS_BINS];
	VgmKsCounts c = {UINT64_C(0xfedcba9876543210), 0, 1, 2, 3, 4, 0, {{0}}};
	VgmKsCounts c2;
	char		msg[256];
	char		detail[256];
	size_t		need;
	char	   *buf;
	int			i;
	const char *bad[] = {
		"{\"version\":2,\"bins\":65536}",
		"{\"version\":1,\"bins\":1024,\"model_hash\":\"0000000000000001\",\"n\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"counts\":[-1024]}",
		"{\"version\":1,\"bins\":65536,\"model_hash\":\"0000000000000001\",\"n\":1,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"counts\":[-65536]}",
		"{\"version\":1,\"bins\":65536,\"model_hash\":\"0000000000000001\",\"n\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"counts\":[-65535]}",
		"{\"version\":1,\"bins\":65536,\"model_hash\":\"0000000000000001\",\"n\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"counts\":[-65537]}",
		"{\"version\":1,\"bins\":65536,\"model_hash\":\"0000000000000001\",\"n\":0,\"nulls\":-1,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"counts\":[-65536]}",
		"{\"version\":1,\"bins\":65536,\"model_hash\":\"0000000000000001\",\"n\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"counts\":[-65536],\"x\":1}",
		"{\"version\":1,\"bins\":65536,\"model_hash\":\"0000000000000001\",\"n\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"counts\":[-65536]} x",
		"{\"version\":1,\"bins\":65536,\"model_hash\":\"zz\",\"n\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"counts\":[-65536]}",
		"{\"version\":1,\"bins\":65536,\"model_hash\":\"0000000000000001\",\"n\":99999999999999999999,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"counts\":[-65536]}",
		"{\"version\":1,\"bins\":65536,\"model_hash\":\"0000000000000001\",\"n\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0}",
		"{\"version\":1,\"bins\":65536,\"model_hash\":\"0000000000000000\",\"n\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"counts\":[-65536]}",
		"",
	};
	bool		all_rejected = true;

	for (i = 0; i < VGM_KS_BINS; i += 3)
	{
		counts[i] = i % 7 ? 0 : i + 1;
		c.n += counts[i];
	}
	counts[VGM_KS_BINS - 1] = 5;
	c.n += 5;
	need = vgm_ks_format(&c, counts, VGM_KS_BINS, NULL, 0);
	buf = malloc(need + 1);
	tap_ok(vgm_ks_format(&c, counts, VGM_KS_BINS, buf, need + 1) == need && strlen(buf) == need,
		   "format reports the length it writes");
	tap_ok(vgm_ks_parse(buf, need, &c2, back, VGM_KS_BINS, msg, sizeof(msg), detail, sizeof(detail))
		   == VGM_KS_OK, "formatted text parses");
	tap_ok(memcmp(&c, &c2, sizeof(c)) == 0 && memcmp(counts, back, sizeof(counts)) == 0,
		   "text round trip is lossless");
	free(buf);
	for (i = 0; i < (int) (sizeof(bad) / sizeof(bad[0])); i++)
		if (vgm_ks_parse(bad[i], strlen(bad[i]), &c2, back, VGM_KS_BINS, msg, sizeof(msg),
						 detail, sizeof(detail)) == VGM_KS_OK)
		{
			printf("# accepted: %s\n", bad[i]);
			all_rejected = false;
		}
	tap_ok(all_rejected, "malformed, inconsistent or out-of-range texts are rejected");
	tap_ok(vgm_mixture_hash(1, (double[]) {1.0}, (double[]) {0.0}, (double[]) {1.0})
		   == vgm_mixture_hash(1, (double[]) {1.0}, (double[]) {-0.0}, (double[]) {1.0})
		   && vgm_mixture_hash(1, (double[]) {1.0}, (double[]) {0.0}, (double[]) {1.0})
		   != vgm_mixture_hash(1, (double[]) {1.0}, (double[]) {1e-300}, (double[]) {1.0}),
		   "mixture hash: -0 as 0, any other change differs");
}

/* Whether sf agrees with every reference value; each miss is printed. */
static bool
sf_matches(const char *label, double (*sf) (int64_t, double), const SfRef *refs, size_t n,
		   double rel, double abs_floor)
{
	bool		ok_all = true;

	for (size_t i = 0; i < n; i++)
	{
		double		got = sf(refs[i].n, refs[i].x);

		if (!tap_close(got, refs[i].sf, rel, abs_floor))
		{
			printf("# %s n %lld x %g: got %.17g want %.17g\n",
				   label, (long long) refs[i].n, refs[i].x, got, refs[i].sf);
			ok_all = false;
		}
	}
	return ok_all;
}

static void
test_distributions(void)
{
	bool		ok_all = true;
	size_t		i;

	tap_ok(sf_matches("kstwo", vgm_kstwo_sf, kstwo_refs, sizeof(kstwo_refs) / sizeof(kstwo_refs[0]),
					  1e-9, 1e-14),
		   "kstwo.sf matches SciPy within 1e-9 relative on every branch");
	tap_ok(sf_matches("smirnov", vgm_smirnov_sf, smirnov_refs, sizeof(smirnov_refs) / sizeof(smirnov_refs[0]),
					  2e-9, 1e-15),
		   "smirnov matches SciPy within 2e-9 relative");
	for (i = 0; i < sizeof(kolmogorov_refs) / sizeof(kolmogorov_refs[0]); i++)
	{
		double		got = vgm_kolmogorov_sf(kolmogorov_refs[i][0]);

		if (!tap_close(got, kolmogorov_refs[i][1], 1e-12, 1e-16))
		{
			printf("# kstwobign z %g: got %.17g want %.17g\n", kolmogorov_refs[i][0], got,
				   kolmogorov_refs[i][1]);
			ok_all = false;
		}
	}
	tap_ok(ok_all, "kstwobign.sf matches SciPy within 1e-12 relative");
	ok_all = true;
	for (i = 0; i < sizeof(ks2_refs) / sizeof(ks2_refs[0]); i++)
	{
		double		got = vgm_ks2_sf_exact(ks2_refs[i].m, ks2_refs[i].n, ks2_refs[i].h);

		if (!tap_close(got, ks2_refs[i].sf, 1e-10, 1e-300))
		{
			printf("# ks2 %lld %lld h %lld: got %.17g want %.17g\n", (long long) ks2_refs[i].m,
				   (long long) ks2_refs[i].n, (long long) ks2_refs[i].h, got, ks2_refs[i].sf);
			ok_all = false;
		}
	}
	tap_ok(ok_all, "exact two-sample distribution matches SciPy within 1e-10 relative");
	{
		bool		exact;
		double		p = vgm_ks_2samp_pvalue(20000, 30000, (__int128) 20000 * 30000 / 100, &exact);

		tap_ok(!exact && tap_close(p, vgm_kstwo_sf(12000, 0.01), 1e-15, 0),
			   "large two-sample p-value is kstwo.sf(d, round(en))");
	}
}

/* Effect sizes: quantiles, trimmed moments of a histogram that follows its mixture, atoms. */
static void
test_effects(void)
{
	double		mean[2] = {0.0, 0.0};
	double		inv_std[2] = {1.0, 1.0};
	double		weight[2] = {1.0, 0.0};
	VgmCdfMixture m = {1, mean, inv_std, weight};
	int64_t    *counts = calloc(VGM_KS_BINS, sizeof(int64_t));
	VgmKsEffects e;
	double		q;
	double		phi_t;
	double		sd_t;
	int			i;

	q = vgm_mixture_quantile(&m, 0.975);
	tap_ok(fabs(q - 1.959963984540054) < 1e-9, "mixture quantile of N(0, 1) at 0.975");
	tap_ok(vgm_mixture_quantile(&m, 0.0) == -INFINITY && vgm_mixture_quantile(&m, 1.0) == INFINITY,
		   "quantiles 0 and 1 are the infinities");

	/* equal counts in every bin: the data follow the mixture exactly */
	for (i = 0; i < VGM_KS_BINS; i++)
		counts[i] = 3;
	vgm_ks_effects(&m, counts, VGM_KS_BINS, 3 * (int64_t) VGM_KS_BINS, 0.01, &e);
	/* N(0, 1) between its 1 % quantiles: variance 1 - 2 t phi(t) / 0.98 */
	q = 2.3263478740408408;
	phi_t = exp(-0.5 * q * q) / sqrt(2.0 * M_PI);
	sd_t = sqrt(1.0 - 2.0 * q * phi_t / 0.98);
	tap_ok(fabs(e.model_mean) < 1e-12 && fabs(e.model_stddev - sd_t) < 1e-9,
		   "trimmed moments of N(0, 1) in closed form");
	/* the cuts at 0.01 and 0.99 fall inside a bin, whose part is taken at the bin's moments */
	tap_ok(fabs(e.data_mean - e.model_mean) < 1e-9 && fabs(e.data_stddev / e.model_stddev - 1) < 1e-4,
		   "data that follow the mixture bin for bin have the mixture's trimmed moments within a bin");
	tap_ok(fabs(e.atom_share - 1.0 / VGM_KS_BINS) < 1e-15, "no tie: the largest bin holds 1 / bins");
	vgm_ks_effects(&m, counts, VGM_KS_BINS, 3 * (int64_t) VGM_KS_BINS, 0.0, &e);
	tap_ok(fabs(e.model_stddev - 1.0) < 1e-12 && fabs(e.data_stddev - 1.0) < 1e-9,
		   "no trimming: the whole mixture, the whole histogram");

	/* every value tied in one bin: the atom holds all, with no spread */
	memset(counts, 0, sizeof(int64_t) * VGM_KS_BINS);
	counts[VGM_KS_BINS / 2] = 1000;
	vgm_ks_effects(&m, counts, VGM_KS_BINS, 1000, 0.01, &e);
	tap_ok(e.atom_share == 1.0 && fabs(e.data_mean) < 1e-4 && e.data_stddev < 1e-4,
		   "one bin holding every value: atom share 1, the data at the bin");

	/* two far-apart components: the median lies in the flat stretch between them */
	mean[0] = -100.0;
	mean[1] = 100.0;
	weight[0] = weight[1] = 0.5;
	m.k = 2;
	q = vgm_mixture_quantile(&m, 0.5);
	tap_ok(q > -90.0 && q < 90.0, "a quantile in a flat stretch is found by bisection");
	q = vgm_mixture_quantile(&m, 0.75);
	tap_ok(fabs(q - 100.0) < 1e-9, "and the quantile of the upper component is its median");
	free(counts);
}

/*
 * A CDF with a jump: u-space data that follow F exactly, an atom of weight
 * about 0.1 between u = 0.3 and 0.4 (no value maps inside the jump, the
 * atom's rows sit in the bin of F(a)).  Compared with the jump's left and
 * right limits D is within a bin; a continuous comparison sees the gap.
 */
static void
test_jumps(void)
{
	static int64_t counts[VGM_KS_BINS];
	VgmKsCounts c;
	int			lo = (int) (0.3 * VGM_KS_BINS) + 1;
	int			hi = (int) (0.4 * VGM_KS_BINS) - 1;
	double		d_jumps;
	double		d_plain;

	memset(&c, 0, sizeof(c));
	for (int b = 0; b < VGM_KS_BINS; b++)
		counts[b] = b >= lo && b <= hi ? 0 : 1;
	counts[hi + 1] += hi - lo + 1;
	c.n = VGM_KS_BINS;
	c.model_hash = 1;
	c.n_jumps = 1;
	c.jumps[0][0] = lo;
	c.jumps[0][1] = hi;
	tap_ok(vgm_ks_validate(&c, counts, VGM_KS_BINS, NULL, 0, NULL, 0) == VGM_KS_OK,
		   "jumps: a state with a jump and empty bins inside it is valid");
	d_jumps = vgm_ks_statistic_1samp_jumps(counts, VGM_KS_BINS, c.n, &c);
	d_plain = vgm_ks_statistic_1samp(counts, VGM_KS_BINS, c.n);
	printf("# jumps: D with the jump's limits %.3g, as if continuous %.3g\n", d_jumps, d_plain);
	tap_ok(d_jumps <= 1.0 / VGM_KS_BINS, "jumps: D against the CDF with its jump is within a bin");
	tap_ok(d_plain > 0.09, "jumps: the same counts against a continuous CDF show the gap");
	/* rows inside a jump contradict the model the state names */
	counts[lo] = 1;
	counts[hi + 1] -= 1;
	tap_ok(vgm_ks_validate(&c, counts, VGM_KS_BINS, NULL, 0, NULL, 0) == VGM_KS_ERR_RANGE,
		   "jumps: a count inside a jump is refused");
	counts[lo] = 0;
	counts[hi + 1] += 1;
	c.jumps[0][1] = VGM_KS_BINS;
	tap_ok(vgm_ks_validate(&c, counts, VGM_KS_BINS, NULL, 0, NULL, 0) == VGM_KS_ERR_RANGE,
		   "jumps: a jump beyond the bins is refused");
}

int
main(void)
{
	test_phi();
	test_mixture_cdf();
	test_cdf_table();
	test_moments();
	test_running_moments();
	test_statistics();
	test_text();
	test_distributions();
	test_effects();
	test_jumps();
	return tap_done();
}
