/*
 * test_weights_core.c - unit tests of rescaling a summary's weights to its
 * row count (src/weights_core.c): counts stay bit for bit, powers of two
 * come back as the counts exactly, any other common factor gives the same
 * buckets and the same fit to rounding, and totals that cannot be rescaled
 * are refused without touching the buckets.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weights_core.h"
#include "rng.h"
#include "tap.h"

#define NROWS 3000

static double xs[NROWS];

/* One third near 100 (sd 0.5), two thirds uniform in (0, 1). */
static void
make_data(void)
{
	rng_state = 12;
	for (int i = 0; i < NROWS; i++)
		xs[i] = i % 3 == 0 ? 100.0 + 0.5 * rng_normal() : rng_unif();
}

/* Summarize every row with weight w (at a coarse grid, so buckets have spread). */
static VgmBucket *
summarize(double w, size_t *nb, int64_t *rows)
{
	VgmAccumulator acc;
	VgmBucket  *b;
	int			rc = vgm_acc_init(&acc, NULL, 44, VGM_SUMMARY_MAX_BUCKETS);

	for (int i = 0; rc == VGM_SUMMARY_OK && i < NROWS; i++)
		rc = vgm_acc_add(&acc, xs[i], w);
	if (rc == VGM_SUMMARY_OK)
		rc = vgm_acc_flush(&acc);
	if (rc != VGM_SUMMARY_OK)
	{
		printf("Bail out! accumulator failed\n");
		exit(1);
	}
	b = malloc((acc.nused + 1) * sizeof(VgmBucket));
	*nb = vgm_acc_export(&acc, b);
	*rows = acc.counts.rows;
	vgm_acc_free(&acc);
	return b;
}

/* Fit buckets as src/fit.c does (weight, mean, within-bucket variance). */
static int
fit_buckets(const VgmBucket *b, size_t n, VgmFitResult *result)
{
	VgmPoint   *pts = malloc(n * sizeof(VgmPoint));
	VgmFitOptions opt;
	int			rc;

	for (size_t i = 0; i < n; i++)
	{
		pts[i].weight = b[i].weight;
		pts[i].mean = b[i].mean;
		pts[i].var = b[i].weight > 0.0 ? b[i].m2 / b[i].weight : 0.0;
	}
	vgm_fit_options_default(&opt);
	rc = vgm_fit(pts, n, &opt, result, NULL);
	free(pts);
	return rc;
}

/*
 * Largest relative difference of bucket weights, means and within-bucket
 * variances (m2 / weight); keys must match.  The summaries themselves differ
 * by the rounding of weighted sums, so this is not zero.
 */
static double
bucket_difference(const VgmBucket *a, const VgmBucket *b, size_t n)
{
	double		worst = 0.0;

	for (size_t i = 0; i < n; i++)
	{
		double		dw = fabs(a[i].weight - b[i].weight) / b[i].weight;
		double		dm = fabs(a[i].mean - b[i].mean) / fmax(fabs(b[i].mean), DBL_MIN);
		double		va = a[i].m2 / a[i].weight;
		double		vb = b[i].m2 / b[i].weight;
		double		dv = vb > 0.0 ? fabs(va - vb) / vb : fabs(va);

		if (a[i].key != b[i].key)
			return INFINITY;
		worst = fmax(worst, fmax(dm, fmax(dw, dv)));
	}
	return worst;
}

/* Counts are left alone, bit for bit. */
static void
test_counts_unchanged(const VgmBucket *counts, size_t n, int64_t rows)
{
	VgmBucket  *b = malloc(n * sizeof(VgmBucket));
	VgmWeightScale scale;
	int			rc;

	memcpy(b, counts, n * sizeof(VgmBucket));
	rc = vgm_buckets_weights_to_rows(b, n, rows, &scale);
	tap_ok(rc == VGM_WEIGHTS_OK && !scale.rescaled && scale.total == (double) rows,
		   "counts: weights summing to rows are not rescaled");
	tap_ok(memcmp(b, counts, n * sizeof(VgmBucket)) == 0, "counts: buckets bit for bit unchanged");
	free(b);
}

/* Every common factor gives the counts back: exactly for powers of two, to rounding otherwise. */
static void
test_scales(const VgmBucket *counts, size_t n, int64_t rows, const VgmFitResult *ref)
{
	static const double powers[] = {2.0, 0.5, 0x1p-600, 0x1p900};
	static const double others[] = {0.1, 1e-3, 1.0 / NROWS, 1e-200, 1e-300, 3.0, 1e6, 1e300};
	char		name[160];

	for (size_t s = 0; s < sizeof(powers) / sizeof(powers[0]); s++)
	{
		size_t		nb;
		int64_t		r;
		VgmBucket  *b = summarize(powers[s], &nb, &r);
		VgmWeightScale scale;
		int			rc = vgm_buckets_weights_to_rows(b, nb, r, &scale);

		snprintf(name, sizeof(name), "weight %a: rescaled to the counts bit for bit", powers[s]);
		tap_ok(rc == VGM_WEIGHTS_OK && scale.rescaled && nb == n && r == rows
			   && memcmp(b, counts, n * sizeof(VgmBucket)) == 0, name);
		free(b);
	}
	for (size_t s = 0; s < sizeof(others) / sizeof(others[0]); s++)
	{
		size_t		nb;
		int64_t		r;
		VgmBucket  *b = summarize(others[s], &nb, &r);
		VgmWeightScale scale;
		VgmFitResult *res = malloc(sizeof(VgmFitResult));
		int			rc = vgm_buckets_weights_to_rows(b, nb, r, &scale);
		double		diff = rc == VGM_WEIGHTS_OK && nb == n ? bucket_difference(b, counts, n) : INFINITY;
		double		total = 0.0;
		double		worst = 0.0;

		for (size_t i = 0; i < nb; i++)
			total += b[i].weight;
		snprintf(name, sizeof(name),
				 "weight %g: weights sum to the rows; bucket weights, means and variances as unweighted within 1e-9 (%.2g)",
				 others[s], diff);
		tap_ok(scale.rescaled && fabs(total - (double) rows) <= 1e-12 * rows && diff <= 1e-9, name);
		rc = fit_buckets(b, nb, res);
		for (int j = 0; rc == VGM_OK && j < res->k; j++)
		{
			worst = fmax(worst, fabs(res->comp[j].mean - ref->comp[j].mean) / fmax(fabs(ref->comp[j].mean), 1.0));
			worst = fmax(worst, fabs(res->weights[j] - ref->weights[j]));
			worst = fmax(worst, fabs(res->comp[j].covariance - ref->comp[j].covariance) / ref->comp[j].covariance);
		}
		snprintf(name, sizeof(name),
				 "weight %g: the fit equals the unweighted one within 1e-9 (%.2g) after %d iterations",
				 others[s], worst, res->iterations);
		tap_ok(rc == VGM_OK && res->k == ref->k && res->iterations == ref->iterations && worst <= 1e-9, name);
		free(res);
		free(b);
	}
}

/* Totals that cannot be rescaled are refused, and the buckets are not touched. */
static void
test_refused(void)
{
	VgmBucket	b[3];
	VgmBucket	copy[3];
	VgmWeightScale scale;
	int			rc;

	for (int i = 0; i < 3; i++)
		b[i] = (VgmBucket) {.key = i + 1, .weight = 1e-320, .mean = i, .m2 = 0.0};
	memcpy(copy, b, sizeof(b));
	rc = vgm_buckets_weights_to_rows(b, 3, 3, &scale);
	tap_ok(rc == VGM_WEIGHTS_ERR_TOTAL && scale.total == 3e-320 && memcmp(b, copy, sizeof(b)) == 0,
		   "a subnormal total is refused (ERR_TOTAL), buckets untouched");

	for (int i = 0; i < 3; i++)
		b[i].weight = 1e-308;
	memcpy(copy, b, sizeof(b));
	rc = vgm_buckets_weights_to_rows(b, 3, 3, &scale);
	tap_ok(rc == VGM_WEIGHTS_ERR_PRECISION && scale.bucket == 0 && scale.bucket_weight == 1e-308
		   && memcmp(b, copy, sizeof(b)) == 0,
		   "subnormal bucket weights making up a normal total are refused (ERR_PRECISION)");

	for (int i = 0; i < 3; i++)
		b[i].weight = 1e308;
	rc = vgm_buckets_weights_to_rows(b, 3, 3, &scale);
	tap_ok(rc == VGM_WEIGHTS_ERR_TOTAL && isinf(scale.total), "an overflowing total is refused (ERR_TOTAL)");

	tap_ok(vgm_buckets_weights_to_rows(b, 0, 1, &scale) == VGM_WEIGHTS_ERR_TOTAL,
		   "no buckets: refused (ERR_TOTAL)");
	tap_ok(vgm_buckets_weights_to_rows(b, 3, 0, &scale) == VGM_WEIGHTS_ERR_ROWS
		   && vgm_buckets_weights_to_rows(b, 3, (INT64_C(1) << 53) + 1, &scale) == VGM_WEIGHTS_ERR_ROWS,
		   "rows outside 1..2^53: refused (ERR_ROWS)");

	/* within-bucket variance 1e300 at weight 1e-300 (m2 = 1), rescaled to 5e8 rows: m2 = 5e308 */
	b[0] = (VgmBucket) {.key = 1, .weight = 1e-300, .mean = 0.0, .m2 = 0.0};
	b[1] = (VgmBucket) {.key = 2, .weight = 1e-300, .mean = 1.0, .m2 = 1.0};
	rc = vgm_buckets_weights_to_rows(b, 2, 1000000000, &scale);
	tap_ok(rc == VGM_WEIGHTS_ERR_RANGE && scale.bucket == 1,
		   "a rescaled m2 that overflows is refused (ERR_RANGE)");
}

/* A subnormal weight next to ordinary ones is negligible: it fits, as a point mass. */
static void
test_negligible(void)
{
	VgmBucket	b[3] = {
		{.key = 1, .weight = 5e-324, .mean = -1.0, .m2 = 0.0},
		{.key = 2, .weight = 1.0, .mean = 0.0, .m2 = 0.25},
		{.key = 3, .weight = 1.0, .mean = 1.0, .m2 = 0.25}};
	VgmWeightScale scale;
	int			rc = vgm_buckets_weights_to_rows(b, 3, 3, &scale);

	tap_ok(rc == VGM_WEIGHTS_OK && scale.rescaled && b[1].weight == 1.5 && b[2].weight == 1.5
		   && b[1].m2 == 0.375 && b[0].weight < DBL_MIN && b[0].m2 == 0.0,
		   "a negligible subnormal bucket is kept as a point mass, the others rescaled to rows");
}

/* Run the tests. */
int
main(void)
{
	size_t		n;
	int64_t		rows;
	VgmBucket  *counts;
	VgmFitResult *ref = malloc(sizeof(VgmFitResult));

	make_data();
	counts = summarize(1.0, &n, &rows);
	tap_ok(n > 100 && n < NROWS && rows == NROWS, "the data summarize to buckets with spread");
	tap_ok(fit_buckets(counts, n, ref) == VGM_OK, "the unweighted buckets fit");
	test_counts_unchanged(counts, n, rows);
	test_scales(counts, n, rows, ref);
	test_refused();
	test_negligible();
	free(counts);
	free(ref);
	return tap_done();
}
