/*
 * test_atom_mixture.c - the engine options that the mixture of a fit with
 * atoms uses (vbem.h: component_prior, point_variance, quantile_start) and
 * the lattice spacing that sets point_variance (heavy_core.c,
 * vgm_lattice_spacing), and the tied mixture part that vgm_ks_effects
 * reports for a discrete column's value left beside its atoms.  Their zero values must leave the engine as it was;
 * set, each must do what fit.c relies on: the prior of one component's
 * spread, points widened by exactly the variance given, and one more start
 * at the quantiles that wins only on the lower bound.  The last test is the
 * reason for all three: a demo-like column (a skewed hump of small amounts
 * beside wide ones) whose hump scikit-learn's prior and the k-means starts
 * keep in one Gaussian.
 *
 * vbem.c is included to reach its static quantile_centers (the Makefile
 * then links the test without vbem.o).
 */
#include "vbem.c"

#include <stdio.h>

#include "heavy_core.h"
#include "rng.h"
#include "summary_core.h"
#include "tap.h"
#include "validate_core.h"

/* Same bits in two fits. */
static int
same_fit(const VgmFitResult *a, const VgmFitResult *b)
{
	return a->k == b->k && a->iterations == b->iterations
		&& memcmp(a->comp, b->comp, a->k * sizeof(VgmComponent)) == 0
		&& memcmp(a->weights, b->weights, a->k * sizeof(double)) == 0
		&& a->lower_bound == b->lower_bound;
}

/* Ascending doubles, for the histogram of a sample. */
static int
ascending(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* The distinct values of x[0..n) (sorted in place) as unit-weight-per-row points. */
static size_t
histogram_points(double *x, size_t n, VgmPoint *pts)
{
	size_t		m = 0;

	qsort(x, n, sizeof(double), ascending);
	for (size_t i = 0; i < n; i++)
	{
		if (m > 0 && pts[m - 1].mean == x[i])
			pts[m - 1].weight += 1.0;
		else
		{
			pts[m].weight = 1.0;
			pts[m].mean = x[i];
			pts[m].var = 0.0;
			m++;
		}
	}
	return m;
}

/* The quantile centres: first point reaching each (j + 1/2) / k, no repeats. */
static void
test_quantile_centers(void)
{
	VgmPoint	p[100];
	double		c[8];
	int			found;

	for (int i = 0; i < 100; i++)
		p[i] = (VgmPoint) {1.0, (double) (i + 1), 0.0};
	found = quantile_centers(p, 100, 4, 100.0, c);
	tap_ok(found == 4 && c[0] == 13.0 && c[1] == 38.0 && c[2] == 63.0 && c[3] == 88.0,
		   "quantile start: 100 unit points, k 4: centres at the points reaching 12.5, 37.5, 62.5, 87.5");
	/* a heavy point holding three of the five quantiles gives one centre */
	p[50].weight = 300.0;
	found = quantile_centers(p, 100, 5, 399.0, c);
	tap_ok(found == 3 && c[0] == 40.0 && c[1] == 51.0 && c[2] == 61.0,
		   "quantile start: a heavy point covering three of five quantiles is one centre");
	if (found != 3)
		printf("# found %d centres: %g %g %g\n", found, c[0], c[1], c[2]);
}

/* component_prior: the column's variance over max_components^2, unless a prior is given. */
static void
test_component_prior(void)
{
	VgmPoint	p[50];
	VgmFitOptions opt;
	VgmPriors	plain;
	VgmPriors	scaled;
	VgmPriors	given;

	rng_state = 77;
	for (int i = 0; i < 50; i++)
		p[i] = (VgmPoint) {1.0 + (i % 3), 10.0 + 3.0 * rng_normal(), 0.25 * (i % 2)};
	vgm_fit_options_default(&opt);
	opt.max_components = 7;
	vgm_priors_from_points(p, 50, &opt, &plain);
	opt.component_prior = 1;
	vgm_priors_from_points(p, 50, &opt, &scaled);
	tap_ok(scaled.covariance == plain.covariance / 49.0 && scaled.mean == plain.mean
		   && scaled.mean_precision == plain.mean_precision
		   && scaled.degrees_of_freedom == plain.degrees_of_freedom,
		   "component_prior: the covariance prior is the variance / 7^2, the other priors unchanged");
	opt.covariance_prior = 2.5;
	vgm_priors_from_points(p, 50, &opt, &given);
	tap_ok(given.covariance == 2.5, "component_prior: a covariance_prior given is kept");
}

/* point_variance: the fit of points widened by hand, bit for bit; bad values refused. */
static void
test_point_variance(void)
{
	VgmPoint	p[120];
	VgmPoint	wide[120];
	VgmFitResult *a = calloc(1, sizeof(VgmFitResult));
	VgmFitResult *b = calloc(1, sizeof(VgmFitResult));
	VgmFitOptions opt;
	int			rca;
	int			rcb;

	rng_state = 4242;
	for (int i = 0; i < 120; i++)
	{
		p[i] = (VgmPoint) {1.0 + floor(20.0 * rng_unif()), round(40.0 + 12.0 * rng_normal()), 0.0};
		wide[i] = p[i];
		wide[i].var += 1.0 / 12.0;
	}
	vgm_fit_options_default(&opt);
	opt.max_components = 5;
	opt.point_variance = 1.0 / 12.0;
	rca = vgm_fit(p, 120, &opt, a, NULL);
	opt.point_variance = 0.0;
	rcb = vgm_fit(wide, 120, &opt, b, NULL);
	tap_ok(rca == VGM_OK && rcb == VGM_OK && same_fit(a, b),
		   "point_variance 1/12 is the fit of the points with var + 1/12, bit for bit");
	opt.point_variance = -1.0;
	rca = vgm_fit(p, 120, &opt, a, NULL);
	opt.point_variance = NAN;
	rcb = vgm_fit(p, 120, &opt, b, NULL);
	tap_ok(rca == VGM_ERR_INVALID && rcb == VGM_ERR_INVALID,
		   "point_variance negative or NaN: VGM_ERR_INVALID");
	free(a);
	free(b);
}

/*
 * A demo-like column: 28 % a log-normal hump of small amounts (median 4.5,
 * sigma 0.35), then amounts near 38, 120 and 900 and refunds near -35 (the
 * demo's generator without its two atoms), binned to 0.5 % of the value.
 * Returns the points.
 */
static VgmPoint *
demo_like_points(size_t *n_out)
{
	size_t		rows = 1000000;
	double	   *x = malloc(rows * sizeof(double));
	VgmPoint   *pts = malloc(rows * sizeof(VgmPoint));

	rng_state = 2026;
	for (size_t i = 0; i < rows; i++)
	{
		double		u = rng_unif() * 0.848;
		double		z = rng_normal();
		double		v;

		if (u < 0.28)
			v = 4.5 * exp(0.35 * z);
		else if (u < 0.55)
			v = 38.0 * exp(0.45 * z);
		else if (u < 0.70)
			v = 120.0 * exp(0.60 * z);
		else if (u < 0.75)
			v = 900.0 * exp(0.40 * z);
		else
			v = -35.0 * exp(0.70 * z);
		/* to 0.5 % of the value, as a summary's buckets hold them: a few hundred points */
		x[i] = copysign(exp(round(200.0 * log(fabs(v))) / 200.0), v);
	}
	*n_out = histogram_points(x, rows, pts);
	free(x);
	return pts;
}

/* KS distance between sorted points' empirical CDF and a fitted mixture's CDF. */
static double
ks_distance(const VgmPoint *p, size_t n, const VgmFitResult *r)
{
	double		total = 0.0;
	double		below = 0.0;
	double		d = 0.0;

	for (size_t i = 0; i < n; i++)
		total += p[i].weight;
	for (size_t i = 0; i < n; i++)
	{
		double		f = 0.0;

		for (int j = 0; j < r->k; j++)
			f += r->weights[j] * 0.5 * erfc(-(p[i].mean - r->comp[j].mean)
											/ sqrt(2.0 * r->comp[j].covariance));
		d = fmax(d, fabs(f - below / total));
		below += p[i].weight;
		d = fmax(d, fabs(f - below / total));
	}
	return d;
}

/*
 * quantile_start: one more start, after the n_init others; when it loses the
 * fit is the one without it bit for bit, and on the demo-like column it wins
 * on the lower bound and fits the hump (KS distance) better.
 */
static void
test_quantile_start(void)
{
	size_t		n;
	VgmPoint   *p = demo_like_points(&n);
	VgmPoint   *rev = malloc(n * sizeof(VgmPoint));
	VgmFitResult *without = calloc(1, sizeof(VgmFitResult));
	VgmFitResult *with = calloc(1, sizeof(VgmFitResult));
	VgmFitResult *reversed = calloc(1, sizeof(VgmFitResult));
	VgmFitResult *sk = calloc(1, sizeof(VgmFitResult));
	VgmFitOptions opt;
	double		d_without;
	double		d_with;
	double		d_sk;
	int			rc;

	for (size_t i = 0; i < n; i++)
		rev[i] = p[n - 1 - i];
	vgm_fit_options_default(&opt);
	opt.n_init = 5;
	opt.start_iter = 200;
	opt.max_iter = 5000;
	opt.tol = 1e-7;
	rc = vgm_fit(p, n, &opt, sk, NULL);
	opt.component_prior = 1;
	rc = rc == VGM_OK ? vgm_fit(p, n, &opt, without, NULL) : rc;
	opt.quantile_start = 1;
	rc = rc == VGM_OK ? vgm_fit(p, n, &opt, with, NULL) : rc;
	rc = rc == VGM_OK ? vgm_fit(rev, n, &opt, reversed, NULL) : rc;
	tap_ok(rc == VGM_OK, "quantile start: the demo-like fits run");
	d_sk = ks_distance(p, n, sk);
	d_without = ks_distance(p, n, without);
	d_with = ks_distance(p, n, with);
	tap_ok(with->start == 5 && with->lower_bound > without->lower_bound,
		   "quantile start: on the demo-like column the sixth start (quantiles) wins, with a higher bound");
	tap_ok(d_with < d_without && d_with < d_sk,
		   "quantile start: its mixture is closer to the column (KS) than without it and than scikit-learn's prior");
	printf("# %zu points; KS D scikit-learn prior %.4f, component prior %.4f, with quantile start %.4f (winner %d)\n",
		   n, d_sk, d_without, d_with, with->start);
	tap_ok(same_fit(with, reversed) && reversed->start == with->start,
		   "quantile start: reversed point order gives the same bits and winner");

	/* when the quantile start loses, nothing changes */
	opt.quantile_start = 0;
	opt.component_prior = 0;
	rc = vgm_fit(p, n, &opt, without, NULL);
	opt.quantile_start = 1;
	rc = rc == VGM_OK ? vgm_fit(p, n, &opt, with, NULL) : rc;
	tap_ok(rc == VGM_OK && (with->start == 5 || same_fit(with, without)),
		   "quantile start: a fit it does not win is the fit without it, bit for bit");
	free(p);
	free(rev);
	free(without);
	free(with);
	free(reversed);
	free(sk);
}

/* The lattice spacing of an exact summary, 0 where it does not apply. */
static void
test_lattice_spacing(void)
{
	VgmBucket	b[40];

	memset(b, 0, sizeof(b));
	for (int i = 0; i < 40; i++)
	{
		double		v = 10000.0 * (i < 20 ? i + 1 : 2 * i);

		b[i].key = vgm_bucket_key(v, 0);
		b[i].weight = 3.0;
		b[i].mean = v;
	}
	tap_ok(vgm_lattice_spacing(0, b, 40, 16) == 10000.0,
		   "lattice spacing: multiples of 10,000 with wider gaps: 10,000");
	tap_ok(vgm_lattice_spacing(0, b, 16, 16) == 0.0,
		   "lattice spacing: 16 values (a discrete column) have none");
	tap_ok(vgm_lattice_spacing(3, b, 40, 16) == 0.0,
		   "lattice spacing: a coarsened summary has none");
	for (int i = 0; i < 40; i++)
	{
		double		v = -5.0 + 0.25 * i + (i == 30 ? 0.01 : 0.0);

		b[i].key = vgm_bucket_key(v, 0);
		b[i].mean = v;
	}
	tap_ok(tap_close(vgm_lattice_spacing(0, b, 40, 16), 0.24, 1e-12, 0.0),
		   "lattice spacing: quarters across zero with one value off the grid: the smallest gap");
}

/*
 * vgm_ks_effects: data in one inner bin are one tied value (trimmed stddev
 * 0, what the report's trimmed_stddev_ratio recognises); the same rows in
 * the last bin, where every value beyond the mixture's reach lands, are not.
 */
static void
test_tied_mixture_part(void)
{
	double		mean[1] = {1.0};
	double		inv_std[1] = {1.0 / 0.001};
	double		weight[1] = {1.0};
	VgmCdfMixture m = {1, mean, inv_std, weight};
	int			nbins = 65536;
	int64_t    *counts = calloc(nbins, sizeof(int64_t));
	VgmKsEffects inner;
	VgmKsEffects last;
	VgmKsEffects tail;
	VgmKsEffects two;

	counts[nbins / 2] = 5000;
	vgm_ks_effects(&m, counts, nbins, 5000, 0.01, &inner);
	counts[nbins / 2] = 0;
	counts[nbins - 1] = 5000;
	vgm_ks_effects(&m, counts, nbins, 5000, 0.01, &last);
	counts[nbins - 1] = 0;
	counts[nbins - 40] = 5000;
	vgm_ks_effects(&m, counts, nbins, 5000, 0.01, &tail);
	counts[nbins - 40] = 0;
	counts[nbins / 4] = 2500;
	counts[3 * nbins / 4] = 2500;
	vgm_ks_effects(&m, counts, nbins, 5000, 0.01, &two);
	tap_ok(inner.data_stddev == 0.0 && tap_close(inner.data_mean, 1.0, 1e-6, 0.0),
		   "tied mixture part: rows in one inner bin have trimmed stddev 0 at the value");
	tap_ok(last.data_stddev > 0.0, "tied mixture part: rows in the last bin are not taken for one value");
	tap_ok(tail.data_stddev > 0.0,
		   "tied mixture part: rows in one bin of the mixture's upper 1 % (a shifted column) are not either");
	tap_ok(two.data_stddev > 0.0005 && tap_close(two.model_stddev, 0.001, 0.1, 0.0),
		   "tied mixture part: rows in two bins keep their spread; the model's is its component's");
	free(counts);
}

int
main(void)
{
	test_quantile_centers();
	test_component_prior();
	test_point_variance();
	test_quantile_start();
	test_lattice_spacing();
	test_tied_mixture_part();
	return tap_done();
}
