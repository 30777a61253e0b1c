/*
 * test_summary_core.c - unit tests of the one-pass column summary
 * (src/summary_core.c): bucket keys, re-keying and coarsening, exact moment
 * merging (Pebay) against two-pass references, the accumulator against its
 * export, independence of row order and of how rows are split and merged,
 * the JSON text form (round trip, validation, truncation at every byte) and
 * memory balance.
 *
 * Every allocation of the core goes through a counting allocator and the
 * test checks that nothing stays allocated after failures; for a full leak
 * and overflow check build it with AddressSanitizer:
 *
 *   make test/unit/bin/test_summary_core UNIT_EXTRA_CFLAGS='-fsanitize=address,undefined -fno-omit-frame-pointer' -B
 *   (cd test/unit && ./bin/test_summary_core)
 *
 * Reference moments are two-pass sums in long double (x87 extended on
 * x86-64), about the exact mean of the group.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "summary_core.h"
#include "rng.h"
#include "tap.h"

/* ------------------------------------------------------------------------
 * Deterministic data (splitmix64, Box-Muller)
 * ------------------------------------------------------------------------ */

/* rng_state, rng_next, rng_unif, rng_normal: rng.h */

/* A value of random sign and magnitude between 1e-300 and 1e300, or a subnormal. */
static double
rng_any_double(void)
{
	double		u = rng_unif();
	double		x;

	if (u < 0.05)
		x = ldexp(rng_unif(), -1040);	/* subnormal */
	else
		x = exp((rng_unif() - 0.5) * 1380.0);
	return (rng_next() & 1) ? -x : x;
}

/* Financial-like mixed data: heaps at 0 and 9.99, negatives, cents, lognormal tail. */
static void
gen_mixed(double *x, size_t n, uint64_t seed)
{
	static const RngHeapedShape shape = {0.15, 0.25, 0.35, 0.40, 1.5};

	rng_state = seed;
	for (size_t i = 0; i < n; i++)
		x[i] = rng_heaped(&shape);
}

/* ------------------------------------------------------------------------
 * Counting allocator
 * ------------------------------------------------------------------------ */

typedef struct CountingArena
{
	long		live;
	long		total;
} CountingArena;

static void *
counting_alloc(size_t size, void *arg)
{
	CountingArena *a = arg;
	void	   *p = malloc(size);

	if (p)
	{
		a->live++;
		a->total++;
	}
	return p;
}

static void
counting_release(void *ptr, void *arg)
{
	CountingArena *a = arg;

	if (ptr)
		a->live--;
	free(ptr);
}

static CountingArena arena;
static const VgmAllocator counting = {counting_alloc, counting_release, &arena};

/* ------------------------------------------------------------------------
 * References and comparisons
 * ------------------------------------------------------------------------ */

/* Two-pass weighted central moments in long double. */
static VgmMoments
two_pass(const double *x, const double *w, size_t n)
{
	long double sw = 0,
				sx = 0,
				mean,
				m2 = 0,
				m3 = 0,
				m4 = 0;
	VgmMoments	m;

	for (size_t i = 0; i < n; i++)
	{
		long double wi = w ? w[i] : 1.0L;

		sw += wi;
		sx += wi * x[i];
	}
	mean = n ? sx / sw : 0;
	/* one correction pass: the long double sum itself is rounded */
	if (n)
	{
		long double corr = 0;

		for (size_t i = 0; i < n; i++)
			corr += (w ? w[i] : 1.0L) * ((long double) x[i] - mean);
		mean += corr / sw;
	}
	for (size_t i = 0; i < n; i++)
	{
		long double wi = w ? w[i] : 1.0L;
		long double d = (long double) x[i] - mean;

		m2 += wi * d * d;
		m3 += wi * d * d * d;
		m4 += wi * d * d * d * d;
	}
	m.weight = (double) sw;
	m.mean = (double) mean;
	m.m2 = (double) m2;
	m.m3 = (double) m3;
	m.m4 = (double) m4;
	return m;
}

/*
 * Largest error of moments a against reference r, each in its natural
 * scale: the mean in units of (sd + ulp(mean)), m_p in units of
 * w * (sd + width)^p, with sd the reference spread and width that of the
 * bucket (0 for a whole data set).  Returns the worst.
 *
 * Why the width: the accumulator keeps power sums about an anchor inside
 * the bucket, so m3 and m4 are exact relative to the bucket's width, not to
 * its spread: a bucket holding a heap (say 12 rows of exactly 2.05) and one
 * other value 1e-6 away has a spread of 1e-7 and loses ~1e-8 of w sd^4 in
 * m4 when buckets are merged (measured below).  Only the global skewness
 * and kurtosis use m3 and m4; the fit uses weight, mean and m2.
 */
static double
moments_error_width(const VgmMoments *a, const VgmMoments *r, double width)
{
	double		sd = r->weight > 0 ? sqrt(r->m2 / r->weight) + width : 0.0;
	double		mscale = sd + fabs(r->mean) * DBL_EPSILON + DBL_MIN;
	double		e = 0.0;
	double		t;

	if (a->weight != r->weight)
	{
		t = fabs(a->weight - r->weight) / r->weight;
		e = t > e ? t : e;
	}
	t = fabs(a->mean - r->mean) / mscale;
	e = t > e ? t : e;
	if (sd > 0)
	{
		t = fabs(a->m2 - r->m2) / (r->weight * sd * sd);
		e = t > e ? t : e;
		t = fabs(a->m3 - r->m3) / (r->weight * sd * sd * sd);
		e = t > e ? t : e;
		t = fabs(a->m4 - r->m4) / (r->weight * sd * sd * sd * sd);
		e = t > e ? t : e;
	}
	else
	{
		/* no spread: the moments must be (about) zero relative to the mean's ulp */
		double		u = fabs(r->mean) * DBL_EPSILON + DBL_MIN;

		t = (fabs(a->m2) / r->weight) / (u * u);
		e = t > e ? t : e;
	}
	return e;
}

static double
moments_error(const VgmMoments *a, const VgmMoments *r)
{
	return moments_error_width(a, r, 0.0);
}

/*
 * Far from zero every stored mean is a rounded double (ulp(1e9) = 1.2e-7):
 * any form of moments kept about such means -- Pebay's merge, and a double
 * two-pass as well -- moves m2 by about 2 w |d| ulp/2 and m3, m4 by a few
 * ulp/2 times (sd + |d|)^p per merge, d being the distance between the means
 * merged.  The reference is long double about the exact mean.  So the
 * bounds, in units of w sd^p with u = ulp(mean) / sd and D = (largest
 * |part mean - mean|) / sd, are  m2: max(1e-12, 2 u D),  m3 and m4:
 * 4 u (1 + D)^3.
 */
static int
central_ok(const VgmMoments *a, const VgmMoments *r, double dmax, double *e2, double *e34)
{
	double		sd = sqrt(r->m2 / r->weight);
	double		u = (nextafter(fabs(r->mean), INFINITY) - fabs(r->mean)) / sd;
	double		D = dmax / sd;

	*e2 = fabs(a->m2 - r->m2) / (r->weight * sd * sd);
	*e34 = fmax(fabs(a->m3 - r->m3) / (r->weight * sd * sd * sd),
				fabs(a->m4 - r->m4) / (r->weight * sd * sd * sd * sd));
	return *e2 <= fmax(1e-12, 2.0 * u * D) && *e34 <= 4.0 * u * pow(1.0 + D, 3.0);
}

/* Largest distance of part means from the overall mean. */
static double
max_mean_offset(const double *means, size_t n, double mean)
{
	double		d = 0.0;

	for (size_t i = 0; i < n; i++)
		d = fmax(d, fabs(means[i] - mean));
	return d;
}

/* Error of the mean in ulps of the reference mean. */
static double
mean_ulps(const VgmMoments *a, const VgmMoments *r)
{
	return fabs(a->mean - r->mean) / (nextafter(fabs(r->mean), INFINITY) - fabs(r->mean));
}

/* Width of the bucket holding x at a shift (0 for the zero bucket). */
static double
bucket_width(double x, int shift)
{
	int64_t		key = vgm_bucket_key(x, shift);
	uint64_t	mag = (uint64_t) (key < 0 ? -key : key) - 1;
	uint64_t	lo,
				hi;
	double		dl,
				dh;

	if (key == 0)
		return 0.0;
	lo = mag << shift;
	hi = shift >= 63 ? 0x7FEFFFFFFFFFFFFFULL : lo | ((1ULL << shift) - 1);
	if (hi > 0x7FEFFFFFFFFFFFFFULL)
		hi = 0x7FEFFFFFFFFFFFFFULL;
	memcpy(&dl, &lo, sizeof(dl));
	memcpy(&dh, &hi, sizeof(dh));
	return dh - dl;
}

/*
 * Buckets merged from central moments (vgm_acc_add_bucket, the combine
 * path; vgm_buckets_coarsen) depend on each part's mean, a rounded double:
 * moving m2 between means that differ by e costs about 2 w e ulp(mean),
 * at most 2 ulp(mean) / width = 2^(1 - shift) in units of w width^2
 * (4.7e-10 at shift 32).  Direct accumulation has exact anchors (row
 * values) and is held to 1e-12.
 */
#define TOL_MERGED 1e-9

static VgmMoments
bucket_moments(const VgmBucket *b)
{
	VgmMoments	m = {b->weight, b->mean, b->m2, b->m3, b->m4};

	return m;
}

/* Build an accumulator from rows (unit weight), export and return the buckets. */
static VgmBucket *
summarize(const double *x, const double *w, size_t n, int shift, int cap,
		  size_t *nb, int *final_shift, VgmSummaryCounts *counts)
{
	VgmAccumulator acc;
	VgmBucket  *b;
	int			rc = vgm_acc_init(&acc, &counting, shift, cap);

	for (size_t i = 0; rc == VGM_SUMMARY_OK && i < n; i++)
		rc = vgm_acc_add(&acc, x[i], w ? w[i] : 1.0);
	if (rc == VGM_SUMMARY_OK)
		rc = vgm_acc_flush(&acc);
	if (rc != VGM_SUMMARY_OK)
	{
		vgm_acc_free(&acc);
		*nb = 0;
		return NULL;
	}
	b = malloc((acc.nused + 1) * sizeof(VgmBucket));
	*nb = vgm_acc_export(&acc, b);
	if (final_shift)
		*final_shift = acc.shift;
	if (counts)
		*counts = acc.counts;
	vgm_acc_free(&acc);
	return b;
}

/* Same keys and weights exactly, moments within tol (moments_error units). */
static int
buckets_agree(const VgmBucket *a, size_t na, const VgmBucket *b, size_t nb,
			  int shift, double tol, double *worst)
{
	double		e = 0.0;

	if (na != nb)
	{
		*worst = INFINITY;
		return 0;
	}
	for (size_t i = 0; i < na; i++)
	{
		VgmMoments	ma = bucket_moments(&a[i]);
		VgmMoments	mb = bucket_moments(&b[i]);
		double		t;

		if (a[i].key != b[i].key || a[i].weight != b[i].weight)
		{
			*worst = INFINITY;
			return 0;
		}
		t = moments_error_width(&ma, &mb, bucket_width(mb.mean, shift));
		e = t > e ? t : e;
	}
	*worst = e;
	return e <= tol;
}

/* Keys of rows, for grouping. */
typedef struct KeyedRow
{
	int64_t		key;
	double		x;
	double		w;
} KeyedRow;

static int
keyed_cmp(const void *a, const void *b)
{
	const KeyedRow *p = a,
			   *q = b;

	if (p->key != q->key)
		return p->key < q->key ? -1 : 1;
	return 0;
}

/* Number of distinct keys of the rows at a shift. */
static size_t
distinct_keys(const double *x, size_t n, int shift)
{
	int64_t    *k = malloc((n + 1) * sizeof(int64_t));
	size_t		d = 0;

	for (size_t i = 0; i < n; i++)
		k[i] = vgm_bucket_key(x[i], shift);
	qsort(k, n, sizeof(int64_t), (int (*) (const void *, const void *)) keyed_cmp);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || k[i] != k[i - 1])
			d++;
	free(k);
	return d;
}

/* ------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------ */

static void
test_keys(void)
{
	static const int shifts[] = {0, 1, 12, 20, 32, 40, 51, 52, 53, 62, 63};
	int			ok_mirror = 1,
				ok_monotone = 1,
				ok_range = 1,
				ok_width = 1,
				ok_sign = 1;
	double		xs[2000];

	tap_ok(vgm_bucket_key(0.0, 32) == 0 && vgm_bucket_key(-0.0, 32) == 0
		   && vgm_bucket_key(0.0, 0) == 0 && vgm_bucket_key(-0.0, 63) == 0,
		   "keys: +0 and -0 share the zero bucket at every shift");
	tap_ok(vgm_bucket_key(DBL_TRUE_MIN, 0) == 2 && vgm_bucket_key(-DBL_TRUE_MIN, 0) == -2,
		   "keys: the smallest subnormal has its own key next to zero");
	tap_ok(vgm_bucket_key(DBL_MAX, 0) == (int64_t) 0x7FEFFFFFFFFFFFFFLL + 1
		   && vgm_bucket_key(-DBL_MAX, 0) == -((int64_t) 0x7FEFFFFFFFFFFFFFLL + 1),
		   "keys: DBL_MAX has the largest finite key");
	tap_ok(vgm_bucket_key(1e-300, 63) == 1 && vgm_bucket_key(1e300, 63) == 1
		   && vgm_bucket_key(-5.0, 63) == -1,
		   "keys: at shift 63 there is one bucket per sign");

	rng_state = 11;
	for (int i = 0; i < 2000; i++)
		xs[i] = rng_any_double();
	for (size_t s = 0; s < sizeof(shifts) / sizeof(shifts[0]); s++)
	{
		int			sh = shifts[s];

		for (int i = 0; i < 2000; i++)
		{
			double		x = xs[i];
			double		y = xs[(i * 7 + 3) % 2000];
			int64_t		kx = vgm_bucket_key(x, sh);
			int64_t		ky = vgm_bucket_key(y, sh);
			uint64_t	bits;
			uint64_t	mag;
			uint64_t	lo;
			uint64_t	hi;

			if (vgm_bucket_key(-x, sh) != -kx)
				ok_mirror = 0;
			if ((x > 0) != (kx > 0) || kx == 0)
				ok_sign = 0;
			/* order: keys are monotone in x (non-strictly) */
			if ((x < y && kx > ky) || (x > y && kx < ky))
				ok_monotone = 0;
			/* the bucket's bit range contains x */
			memcpy(&bits, &x, sizeof(bits));
			bits &= 0x7FFFFFFFFFFFFFFFULL;
			mag = (uint64_t) (kx < 0 ? -kx : kx) - 1;
			lo = mag << sh;
			hi = sh == 0 ? lo : lo | ((1ULL << sh) - 1);
			if (sh == 63)
				hi = 0x7FFFFFFFFFFFFFFFULL;
			if (bits < lo || bits > hi)
				ok_range = 0;
			/* relative width of a bucket of normal numbers is below 2^(shift-52) */
			if (sh < 52 && fabs(x) >= DBL_MIN && hi <= 0x7FEFFFFFFFFFFFFFULL)
			{
				double		dl,
							dh;

				memcpy(&dl, &lo, sizeof(dl));
				memcpy(&dh, &hi, sizeof(dh));
				if ((dh - dl) / dl > ldexp(1.0, sh - 52))
					ok_width = 0;
			}
		}
	}
	tap_ok(ok_mirror, "keys: negative values mirror positive ones");
	tap_ok(ok_sign, "keys: the sign of the key is the sign of x");
	tap_ok(ok_monotone, "keys: keys are monotone in x at every shift");
	tap_ok(ok_range, "keys: every x lies in its bucket's bit range");
	tap_ok(ok_width, "keys: relative width of a bucket is at most 2^(shift-52)");
	{
		double		x = 1000.0;
		double		w = ldexp(1.0, 9 - (52 - 32));	/* width in [512, 1024) */
		int64_t		k = vgm_bucket_key(x, 32);

		tap_ok(vgm_bucket_key(floor(x / w) * w, 32) == k
			   && vgm_bucket_key(floor(x / w) * w - w / 2, 32) == k - 1
			   && vgm_bucket_key(floor(x / w) * w + w, 32) == k + 1,
			   "keys: buckets at shift 32 are linear within a binade");
	}
}

/* ------------------------------------------------------------------------
 * Re-keying
 * ------------------------------------------------------------------------ */

static void
test_rekey(void)
{
	int			ok = 1,
				ok_chain = 1;
	long		checked = 0;

	rng_state = 12;
	for (int i = 0; i < 5000; i++)
	{
		double		x = rng_any_double();

		for (int s = 0; s <= 63; s += 3)
			for (int t = s; t <= 63; t += 5)
			{
				int64_t		k = vgm_bucket_key(x, s);

				checked++;
				if (vgm_bucket_rekey(k, s, t) != vgm_bucket_key(x, t))
					ok = 0;
				for (int m = s; m <= t; m += 7)
					if (vgm_bucket_rekey(vgm_bucket_rekey(k, s, m), m, t) != vgm_bucket_rekey(k, s, t))
						ok_chain = 0;
			}
	}
	tap_ok(ok, "rekey: rekey(key(x, s), s, t) == key(x, t) for every s <= t");
	tap_ok(ok_chain, "rekey: re-keying in steps equals re-keying at once");
	tap_ok(vgm_bucket_rekey(0, 0, 63) == 0 && vgm_bucket_rekey(12345, 20, 20) == 12345
		   && vgm_bucket_rekey(-12345, 20, 20) == -12345,
		   "rekey: zero stays zero, same shift is the identity");
	printf("# rekey: %ld (x, s, t) triples checked\n", checked);
}

/* ------------------------------------------------------------------------
 * Moments: Pebay merge against two-pass
 * ------------------------------------------------------------------------ */

/* Merge chunks of x (two-pass per chunk in double). */
static VgmMoments
chunked_merge(const double *x, size_t n, const size_t *cuts, int ncuts, double *means)
{
	VgmMoments	acc;
	size_t		start = 0;

	memset(&acc, 0, sizeof(acc));
	for (int c = 0; c <= ncuts; c++)
	{
		size_t		end = c < ncuts ? cuts[c] : n;
		VgmMoments	part;
		double		sum = 0.0,
					mean;

		/* a plain double two-pass per chunk, as a bucket would hold it */
		memset(&part, 0, sizeof(part));
		for (size_t i = start; i < end; i++)
			sum += x[i];
		means[c] = NAN;
		if (end > start)
		{
			mean = sum / (double) (end - start);
			/* refine the mean once (the chunk could be far from zero) */
			{
				double		corr = 0.0;

				for (size_t i = start; i < end; i++)
					corr += x[i] - mean;
				mean += corr / (double) (end - start);
			}
			part.weight = (double) (end - start);
			part.mean = mean;
			means[c] = mean;
			for (size_t i = start; i < end; i++)
			{
				double		d = x[i] - mean;

				part.m2 += d * d;
				part.m3 += d * d * d;
				part.m4 += d * d * d * d;
			}
		}
		vgm_moments_merge(&acc, &part);
		start = end;
	}
	return acc;
}

static void
test_moments(void)
{
	size_t		n = 100000;
	double	   *x = malloc(n * sizeof(double));
	static const size_t cuts[] = {1, 2, 2, 1000, 1001, 33333, 50000, 99999};
	double		e,
				e2,
				e34;
	double		chunk_means[9];
	int			ok;
	VgmMoments	a,
				b,
				empty,
				got,
				ref;

	/* a skewed, heavy-tailed sample near zero */
	rng_state = 21;
	for (size_t i = 0; i < n; i++)
		x[i] = exp(1.0 + rng_normal());
	got = chunked_merge(x, n, cuts, 8, chunk_means);
	ref = two_pass(x, NULL, n);
	e = moments_error(&got, &ref);
	(void) chunk_means;
	printf("# moments: lognormal chunked Pebay merge error %.3g (units: sd^p)\n", e);
	tap_ok(e < 1e-12, "moments: Pebay merge of uneven chunks (incl. size 0 and 1) equals two-pass, lognormal");

	/* far from zero: 1e9 + N(0, 1) */
	rng_state = 22;
	for (size_t i = 0; i < n; i++)
		x[i] = 1e9 + rng_normal();
	got = chunked_merge(x, n, cuts, 8, chunk_means);
	ref = two_pass(x, NULL, n);
	{
		double		dm = 0.0;

		for (int c = 0; c <= 8; c++)
			if (!isnan(chunk_means[c]))
				dm = fmax(dm, fabs(chunk_means[c] - ref.mean));
		ok = central_ok(&got, &ref, dm, &e2, &e34);
	}
	printf("# moments: 1e9 + N(0,1) chunked Pebay merge: mean off by %.2g ulp, m2 error %.3g, m3/m4 error %.3g (units: sd^p; ulp(1e9)/sd = %.2g)\n",
		   mean_ulps(&got, &ref), e2, e34, 1.1920928955078125e-07 / sqrt(ref.m2 / ref.weight));
	tap_ok(mean_ulps(&got, &ref) <= 1.0 && ok,
		   "moments: Pebay merge equals two-pass for 1e9 + N(0, 1) (mean within 1 ulp; m2, m3, m4 within the rounding of the chunk means)");

	/* merging pairwise in a tree gives the same as merging in sequence */
	{
		VgmMoments	parts[16];
		VgmMoments	seq;
		double		pmeans[16];

		size_t		per = n / 16;

		memset(&seq, 0, sizeof(seq));
		for (int p = 0; p < 16; p++)
		{
			parts[p] = two_pass(x + p * per, NULL, p == 15 ? n - 15 * per : per);
			vgm_moments_merge(&seq, &parts[p]);
		}
		for (int step = 1; step < 16; step *= 2)
			for (int p = 0; p + step < 16; p += 2 * step)
				vgm_moments_merge(&parts[p], &parts[p + step]);
		for (int p = 0; p < 16; p++)
			pmeans[p] = parts[p].mean;
		ok = central_ok(&seq, &ref, max_mean_offset(pmeans, 16, ref.mean), &e2, &e34);
		printf("# moments: 1e9 + N(0,1) sequential merge: mean off by %.2g ulp, m2 error %.3g, m3/m4 error %.3g\n",
			   mean_ulps(&seq, &ref), e2, e34);
		ok = ok && central_ok(&parts[0], &ref, max_mean_offset(pmeans, 16, ref.mean), &e2, &e34);
		printf("# moments: 1e9 + N(0,1) tree merge: mean off by %.2g ulp, m2 error %.3g, m3/m4 error %.3g\n",
			   mean_ulps(&parts[0], &ref), e2, e34);
		tap_ok(ok && mean_ulps(&seq, &ref) <= 1.0 && mean_ulps(&parts[0], &ref) <= 1.0,
			   "moments: tree and sequential merges agree with two-pass, 1e9 + N(0, 1)");
	}

	/* the accumulator's buckets, merged, give the global moments */
	{
		size_t		nb;
		VgmBucket  *bk = summarize(x, NULL, n, VGM_SUMMARY_FINEST_SHIFT, VGM_SUMMARY_MAX_BUCKETS,
								   &nb, NULL, NULL);
		VgmMoments	all;

		vgm_buckets_moments(bk, nb, &all);
		{
		double	   *bm = malloc((nb + 1) * sizeof(double));

		for (size_t i = 0; i < nb; i++)
			bm[i] = bk[i].mean;
		ok = central_ok(&all, &ref, max_mean_offset(bm, nb, ref.mean), &e2, &e34);
		free(bm);
		printf("# moments: 1e9 + N(0,1) through %zu buckets: mean off by %.2g ulp, m2 error %.3g, m3/m4 error %.3g\n",
			   nb, mean_ulps(&all, &ref), e2, e34);
		tap_ok(ok && mean_ulps(&all, &ref) <= 1.0,
			   "moments: accumulator buckets merged give the two-pass moments of 1e9 + N(0, 1)");
		}
		free(bk);
	}

	/* empty operands */
	a = (VgmMoments) {3.0, 2.0, 1.5, 0.25, 4.0};
	b = a;
	memset(&empty, 0, sizeof(empty));
	vgm_moments_merge(&b, &empty);
	tap_ok(memcmp(&a, &b, sizeof(a)) == 0, "moments: merging an empty set changes nothing");
	vgm_moments_merge(&empty, &a);
	tap_ok(memcmp(&a, &empty, sizeof(a)) == 0, "moments: merging into an empty set copies");

	/* two points: exact closed form */
	{
		VgmMoments	p = {1.0, 1.0, 0, 0, 0};
		VgmMoments	q = {3.0, 5.0, 0, 0, 0};

		/* weights 1 and 3 at 1 and 5: mean 4, m2 = 9 + 3 = 12, m3 = -27 + 3 = -24, m4 = 81 + 3 = 84 */
		vgm_moments_merge(&p, &q);
		tap_ok(p.weight == 4.0 && p.mean == 4.0 && p.m2 == 12.0 && p.m3 == -24.0 && p.m4 == 84.0,
			   "moments: weighted two-point merge is exact");
	}
	free(x);
}

/* ------------------------------------------------------------------------
 * Accumulator against its export
 * ------------------------------------------------------------------------ */

static void
test_accumulator(void)
{
	size_t		n = 60000;
	double	   *x = malloc(n * sizeof(double));
	double	   *w = malloc(n * sizeof(double));
	KeyedRow   *rows = malloc(n * sizeof(KeyedRow));
	VgmSummaryCounts counts;
	size_t		nb;
	int			shift;
	VgmBucket  *bk;
	int			ok_sorted = 1,
				ok_weight = 1,
				ok_zero = 1;
	double		worst = 0.0;
	double		total = 0.0;
	double		xmin = INFINITY,
				xmax = -INFINITY;
	size_t		g = 0;

	gen_mixed(x, n, 31);
	bk = summarize(x, NULL, n, VGM_SUMMARY_FINEST_SHIFT, VGM_SUMMARY_MAX_BUCKETS, &nb, &shift, &counts);
	for (size_t i = 0; i < n; i++)
	{
		rows[i].key = vgm_bucket_key(x[i], shift);
		rows[i].x = x[i];
		rows[i].w = 1.0;
		xmin = fmin(xmin, x[i]);
		xmax = fmax(xmax, x[i]);
	}
	qsort(rows, n, sizeof(KeyedRow), keyed_cmp);
	{
		int			want = VGM_SUMMARY_FINEST_SHIFT;

		/* the canonical resolution: the finest at which half the capacity holds every key */
		while (distinct_keys(x, n, want) > (size_t) VGM_SUMMARY_MAX_BUCKETS / 2)
			want++;
		tap_ok(shift == want && nb == distinct_keys(x, n, shift),
			   "accumulator: one bucket per distinct key at the canonical resolution");
	}
	for (size_t i = 0; i < nb; i++)
	{
		size_t		start = g;
		double	   *gx;
		VgmMoments	ref;
		VgmMoments	got = bucket_moments(&bk[i]);
		double		e;

		if (i > 0 && bk[i].key <= bk[i - 1].key)
			ok_sorted = 0;
		while (g < n && rows[g].key == bk[i].key)
			g++;
		gx = malloc((g - start + 1) * sizeof(double));
		for (size_t j = start; j < g; j++)
			gx[j - start] = rows[j].x;
		ref = two_pass(gx, NULL, g - start);
		free(gx);
		if (bk[i].weight != (double) (g - start))
			ok_weight = 0;
		e = moments_error_width(&got, &ref, bucket_width(ref.mean, shift));
		worst = e > worst ? e : worst;
		if (bk[i].key == 0 && !(bk[i].mean == 0.0 && bk[i].m2 == 0.0 && bk[i].m3 == 0.0 && bk[i].m4 == 0.0))
			ok_zero = 0;
		total += bk[i].weight;
	}
	printf("# accumulator: %zu rows -> %zu buckets; worst bucket moment error vs two-pass %.3g\n", n, nb, worst);
	tap_ok(ok_sorted, "accumulator: export is sorted by key, keys unique");
	tap_ok(ok_weight && g == n && total == (double) n, "accumulator: bucket weights are the exact row counts");
	tap_ok(worst < 1e-12, "accumulator: bucket mean, m2, m3, m4 equal two-pass moments of their rows");
	tap_ok(ok_zero, "accumulator: the zero bucket has mean 0 and no spread");
	tap_ok(counts.rows == (int64_t) n && counts.min == xmin && counts.max == xmax
		   && counts.nulls == 0 && counts.nans == 0,
		   "accumulator: row count, min and max");
	free(bk);

	/* heaps are exact: all 9.99 rows in one bucket with zero spread */
	{
		double		h[1000];
		VgmBucket  *hb;

		for (int i = 0; i < 1000; i++)
			h[i] = (i % 3 == 0) ? 9.99 : 100.0;
		hb = summarize(h, NULL, 1000, VGM_SUMMARY_FINEST_SHIFT, VGM_SUMMARY_MAX_BUCKETS, &nb, NULL, NULL);
		tap_ok(nb == 2 && hb[0].mean == 9.99 && hb[0].weight == 334 && hb[0].m2 == 0.0
			   && hb[1].mean == 100.0 && hb[1].weight == 666 && hb[1].m2 == 0.0 && hb[1].m4 == 0.0,
			   "accumulator: point masses are exact buckets (mean exact, zero spread)");
		free(hb);
	}

	/* weighted rows: weight 2 equals two copies; arbitrary weights match two-pass */
	{
		size_t		m = 5000;
		double	   *xx = malloc(2 * m * sizeof(double));
		size_t		n1,
					n2;
		VgmBucket  *b1,
				   *b2;
		double		e;

		gen_mixed(xx, m, 32);
		for (size_t i = 0; i < m; i++)
			w[i] = 2.0;
		b1 = summarize(xx, w, m, VGM_SUMMARY_FINEST_SHIFT, VGM_SUMMARY_MAX_BUCKETS, &n1, NULL, NULL);
		memcpy(xx + m, xx, m * sizeof(double));
		b2 = summarize(xx, NULL, 2 * m, VGM_SUMMARY_FINEST_SHIFT, VGM_SUMMARY_MAX_BUCKETS, &n2, NULL, NULL);
		tap_ok(buckets_agree(b1, n1, b2, n2, VGM_SUMMARY_FINEST_SHIFT, 1e-12, &e), "accumulator: a row of weight 2 equals two copies");
		free(b1);
		free(b2);

		rng_state = 33;
		for (size_t i = 0; i < m; i++)
			w[i] = 0.01 + 10.0 * rng_unif();
		b1 = summarize(xx, w, m, 40, VGM_SUMMARY_MAX_BUCKETS, &n1, NULL, NULL);
		{
			VgmMoments	all,
						ref = two_pass(xx, w, m);

			vgm_buckets_moments(b1, n1, &all);
			e = moments_error(&all, &ref);
			printf("# accumulator: weighted rows, global moments error %.3g\n", e);
			tap_ok(e < 1e-12, "accumulator: weighted rows give the weighted two-pass moments");
		}
		free(b1);
		free(xx);
	}

	/* export twice; keep adding after an export */
	{
		VgmAccumulator acc;
		VgmBucket	e1[64],
					e2[64],
					e3[64];
		size_t		k1,
					k2,
					k3;
		double		v[] = {1.0, 2.0, 2.0, 3.5, -1.0, 0.0, 1.0};

		vgm_acc_init(&acc, &counting, VGM_SUMMARY_FINEST_SHIFT, VGM_SUMMARY_MAX_BUCKETS);
		for (int i = 0; i < 4; i++)
			vgm_acc_add(&acc, v[i], 1.0);
		k1 = vgm_acc_export(&acc, e1);
		k2 = vgm_acc_export(&acc, e2);
		for (int i = 4; i < 7; i++)
			vgm_acc_add(&acc, v[i], 1.0);
		k3 = vgm_acc_export(&acc, e3);
		tap_ok(k1 == 3 && k2 == 3 && memcmp(e1, e2, 3 * sizeof(VgmBucket)) == 0
			   && k3 == 5 && e3[2].key == e1[0].key && e3[2].weight == 2.0 && acc.counts.rows == 7
			   && acc.counts.min == -1.0 && acc.counts.max == 3.5,
			   "accumulator: export is repeatable and accumulation continues after it");
		vgm_acc_free(&acc);
	}

	/* the bucket cap: the final shift is the finest at which the distinct keys fit in half of it */
	{
		int			caps[] = {16, 100, 1000};

		for (int c = 0; c < 3; c++)
		{
			int			fs;
			int			want = VGM_SUMMARY_FINEST_SHIFT;
			char		name[160];

			bk = summarize(x, NULL, n, VGM_SUMMARY_FINEST_SHIFT, caps[c], &nb, &fs, NULL);
			while (distinct_keys(x, n, want) > (size_t) caps[c] / 2)
				want++;
			snprintf(name, sizeof(name),
					 "accumulator: cap %d -> %zu buckets at shift %d, the finest shift that fits in half the cap (%d)",
					 caps[c], nb, fs, want);
			tap_ok(nb <= (size_t) caps[c] / 2 && fs == want && nb == distinct_keys(x, n, fs), name);
			free(bk);
		}
	}
	free(x);
	free(w);
	free(rows);
}

/* ------------------------------------------------------------------------
 * Coarsening
 * ------------------------------------------------------------------------ */

static void
test_coarsen(void)
{
	size_t		n = 30000;		/* below half the capacity: no canonical coarsening */
	double	   *x = malloc(n * sizeof(double));
	VgmAccumulator acc;
	VgmBucket  *direct;
	VgmBucket  *fine;
	VgmBucket  *got;
	size_t		nd,
				nf,
				ng;
	double		e;
	int			all_ok = 1;
	double		worst = 0.0;

	gen_mixed(x, n, 41);
	/* accumulator coarsened step by step vs built at the coarse shift */
	for (int d = 1; d <= 24; d += 23)
	{
		int			target = VGM_SUMMARY_FINEST_SHIFT + d;
		char		name[160];

		vgm_acc_init(&acc, &counting, VGM_SUMMARY_FINEST_SHIFT, VGM_SUMMARY_MAX_BUCKETS);
		for (size_t i = 0; i < n; i++)
			vgm_acc_add(&acc, x[i], 1.0);
		for (int s = 0; s < d; s++)
			vgm_acc_coarsen(&acc);
		got = malloc((acc.nused + 1) * sizeof(VgmBucket));
		ng = vgm_acc_export(&acc, got);
		direct = summarize(x, NULL, n, target, VGM_SUMMARY_MAX_BUCKETS, &nd, NULL, NULL);
		snprintf(name, sizeof(name), "coarsen: accumulator coarsened %d bits equals one built at shift %d", d, target);
		tap_ok(acc.shift == target && buckets_agree(got, ng, direct, nd, target, 1e-12, &e), name);
		printf("# coarsen: %d bits: %zu buckets, worst moment error %.3g\n", d, ng, e);
		vgm_acc_free(&acc);
		free(got);
		free(direct);
	}

	/* vgm_buckets_coarsen on an exported array */
	fine = summarize(x, NULL, n, VGM_SUMMARY_FINEST_SHIFT, VGM_SUMMARY_MAX_BUCKETS, &nf, NULL, NULL);
	{
		size_t		targets[] = {20000, 2048, 100, 3, 1};

		for (int t = 0; t < 5; t++)
		{
			VgmBucket  *copy = malloc(nf * sizeof(VgmBucket));
			int			sh = VGM_SUMMARY_FINEST_SHIFT;
			VgmMoments	before,
						after;

			memcpy(copy, fine, nf * sizeof(VgmBucket));
			ng = vgm_buckets_coarsen(copy, nf, &sh, targets[t]);
			direct = summarize(x, NULL, n, sh, VGM_SUMMARY_MAX_BUCKETS, &nd, NULL, NULL);
			if (!(ng <= targets[t] || sh == VGM_SUMMARY_MAX_SHIFT) || !buckets_agree(copy, ng, direct, nd, sh, TOL_MERGED, &e)
				|| (sh > VGM_SUMMARY_FINEST_SHIFT && distinct_keys(x, n, sh - 1) <= targets[t]))
				all_ok = 0;
			worst = e > worst ? e : worst;
			vgm_buckets_moments(fine, nf, &before);
			vgm_buckets_moments(copy, ng, &after);
			e = moments_error(&after, &before);
			if (e > 1e-12)
				all_ok = 0;
			printf("# coarsen: target %zu -> %zu buckets at shift %d; global moments error %.3g\n",
				   targets[t], ng, sh, e);
			free(copy);
			free(direct);
		}
	}
	tap_ok(all_ok, "coarsen: vgm_buckets_coarsen reaches the finest shift within the target, equals a direct build, keeps the moments");
	printf("# coarsen: worst bucket moment error %.3g\n", worst);
	free(fine);
	free(x);
}

/* ------------------------------------------------------------------------
 * Order and split independence
 * ------------------------------------------------------------------------ */

/* Merge exported parts into a fresh accumulator in the given order (the combine path). */
static VgmBucket *
merge_parts(VgmBucket **parts, const size_t *np, const int *shifts,
			const VgmSummaryCounts *counts, const int *order, int nparts,
			size_t *nb, int *shift, VgmSummaryCounts *mc)
{
	VgmAccumulator acc;
	VgmBucket  *out;

	vgm_acc_init(&acc, &counting, VGM_SUMMARY_FINEST_SHIFT, VGM_SUMMARY_MAX_BUCKETS);
	for (int p = 0; p < nparts; p++)
	{
		int			q = order[p];

		for (size_t i = 0; i < np[q]; i++)
			vgm_acc_add_bucket(&acc, &parts[q][i], shifts[q]);
		vgm_counts_merge(&acc.counts, &counts[q]);
	}
	vgm_acc_flush(&acc);
	out = malloc((acc.nused + 1) * sizeof(VgmBucket));
	*nb = vgm_acc_export(&acc, out);
	*shift = acc.shift;
	*mc = acc.counts;
	vgm_acc_free(&acc);
	return out;
}

static void
test_order_independence(void)
{
	size_t		n = 80000;
	double	   *x = malloc(n * sizeof(double));
	double	   *y = malloc(n * sizeof(double));
	VgmBucket  *ref,
			   *got;
	size_t		nr,
				ng;
	int			sr,
				sg;
	VgmSummaryCounts cr,
				cg;
	double		e,
				worst = 0.0;
	int			ok = 1;

	gen_mixed(x, n, 51);
	ref = summarize(x, NULL, n, VGM_SUMMARY_FINEST_SHIFT, VGM_SUMMARY_MAX_BUCKETS, &nr, &sr, &cr);

	/* permuted rows */
	for (int p = 0; p < 3; p++)
	{
		memcpy(y, x, n * sizeof(double));
		rng_state = 52 + p;
		if (p == 0)
			for (size_t i = 0; i < n / 2; i++)
			{
				double		t = y[i];

				y[i] = y[n - 1 - i];
				y[n - 1 - i] = t;
			}
		else
			for (size_t i = n - 1; i > 0; i--)
			{
				size_t		j = rng_next() % (i + 1);
				double		t = y[i];

				y[i] = y[j];
				y[j] = t;
			}
		got = summarize(y, NULL, n, VGM_SUMMARY_FINEST_SHIFT, VGM_SUMMARY_MAX_BUCKETS, &ng, &sg, &cg);
		if (sg != sr || !buckets_agree(got, ng, ref, nr, sr, 1e-12, &e) || cg.rows != cr.rows
			|| cg.min != cr.min || cg.max != cr.max)
			ok = 0;
		worst = e > worst ? e : worst;
		free(got);
	}
	printf("# order: permutations, worst moment error %.3g\n", worst);
	tap_ok(ok, "order: permuted rows give the same keys and weights (exactly) and moments");

	/* split into parts, merged in different orders, at equal and at different shifts */
	for (int variant = 0; variant < 2; variant++)
	{
		enum
		{
			NP = 5
		};
		VgmBucket  *parts[NP];
		size_t		np[NP];
		int			shifts[NP];
		VgmSummaryCounts counts[NP];
		static const int orders[3][NP] = {{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {2, 0, 4, 1, 3}};
		int			assign_seed = 60 + variant;
		double	   *buf = malloc(n * sizeof(double));
		VgmBucket  *first = NULL;
		size_t		nfirst = 0;
		int			ok_merge = 1;
		char		name[200];

		for (int p = 0; p < NP; p++)
		{
			size_t		m = 0;

			rng_state = assign_seed;
			for (size_t i = 0; i < n; i++)
				if (rng_next() % NP == (uint64_t) p)
					buf[m++] = x[i];
			/* variant 1: part 3 is capped, so it arrives coarser than the rest */
			parts[p] = summarize(buf, NULL, m, VGM_SUMMARY_FINEST_SHIFT,
								 (variant == 1 && p == 3) ? 500 : VGM_SUMMARY_MAX_BUCKETS,
								 &np[p], &shifts[p], &counts[p]);
		}
		worst = 0.0;
		for (int o = 0; o < 3; o++)
		{
			VgmBucket  *direct;
			size_t		nd;

			got = merge_parts(parts, np, shifts, counts, orders[o], NP, &ng, &sg, &cg);
			direct = summarize(x, NULL, n, sg, VGM_SUMMARY_MAX_BUCKETS, &nd, NULL, NULL);
			if (!buckets_agree(got, ng, direct, nd, sg, TOL_MERGED, &e) || cg.rows != (int64_t) n
				|| cg.min != cr.min || cg.max != cr.max)
				ok_merge = 0;
			worst = e > worst ? e : worst;
			if (o == 0)
			{
				first = got;
				nfirst = ng;
			}
			else
			{
				if (!buckets_agree(got, ng, first, nfirst, sg, TOL_MERGED, &e))
					ok_merge = 0;
				free(got);
			}
			free(direct);
		}
		snprintf(name, sizeof(name),
				 "order: %d parts merged in 3 orders%s equal the one-pass summary at the merged shift (worst %.2g)",
				 NP, variant ? ", one part coarser," : "", worst);
		tap_ok(ok_merge && (variant == 0 || shifts[3] > VGM_SUMMARY_FINEST_SHIFT), name);
		for (int p = 0; p < NP; p++)
			free(parts[p]);
		free(first);
		free(buf);
	}

	/* counts merge */
	{
		VgmSummaryCounts a = {0},
					b = {3, 1, 2, 3, 4, -2.0, 7.0},
					c = {2, 0, 0, 0, 1, -5.0, 1.0};

		vgm_counts_merge(&a, &b);
		vgm_counts_merge(&a, &c);
		tap_ok(a.rows == 5 && a.nulls == 1 && a.nans == 2 && a.pos_infs == 3 && a.neg_infs == 5
			   && a.min == -5.0 && a.max == 7.0,
			   "order: counts, minimum and maximum merge");
		memset(&a, 0, sizeof(a));
		b = (VgmSummaryCounts) {0, 4, 0, 0, 0, 0.0, 0.0};
		vgm_counts_merge(&a, &c);
		vgm_counts_merge(&a, &b);
		tap_ok(a.rows == 2 && a.nulls == 4 && a.min == -5.0 && a.max == 1.0,
			   "order: a summary without rows does not touch minimum and maximum");
		/* stored counts may reach INT64_MAX: a merge past it fails and changes nothing */
		a = (VgmSummaryCounts) {INT64_MAX - 1, 0, 0, 0, 0, 1.0, 2.0};
		b = (VgmSummaryCounts) {2, 0, 0, 0, 0, -1.0, 9.0};
		tap_ok(vgm_counts_merge(&a, &b) == VGM_SUMMARY_ERR_OVERFLOW
			   && a.rows == INT64_MAX - 1 && a.min == 1.0 && a.max == 2.0,
			   "overflow: rows past INT64_MAX are refused, the counts unchanged");
		a = (VgmSummaryCounts) {0, INT64_MAX, 0, 0, 0, 0.0, 0.0};
		b = (VgmSummaryCounts) {0, 1, 0, 0, 0, 0.0, 0.0};
		tap_ok(vgm_counts_merge(&a, &b) == VGM_SUMMARY_ERR_OVERFLOW,
			   "overflow: NULL counts past INT64_MAX are refused");
		a = (VgmSummaryCounts) {1, 0, 0, 0, INT64_MAX - 1, 1.0, 1.0};
		b = (VgmSummaryCounts) {1, 0, 0, 0, 1, 3.0, 3.0};
		tap_ok(vgm_counts_merge(&a, &b) == VGM_SUMMARY_OK && a.neg_infs == INT64_MAX
			   && a.rows == 2 && a.max == 3.0,
			   "overflow: a merge reaching exactly INT64_MAX is accepted");
		{
			VgmAccumulator acc;

			vgm_acc_init(&acc, NULL, VGM_SUMMARY_FINEST_SHIFT, VGM_SUMMARY_MAX_BUCKETS);
			acc.counts.rows = INT64_MAX;
			acc.counts.min = acc.counts.max = 1.0;
			tap_ok(vgm_acc_add(&acc, 2.0, 1.0) == VGM_SUMMARY_ERR_OVERFLOW
				   && acc.counts.rows == INT64_MAX && acc.counts.max == 1.0,
				   "overflow: one more row after INT64_MAX rows is refused");
			vgm_acc_free(&acc);
		}
	}
	free(ref);
	free(x);
	free(y);
}

/* ------------------------------------------------------------------------
 * Text form
 * ------------------------------------------------------------------------ */

static char *
format_alloc(int shift, const VgmSummaryCounts *c, const VgmBucket *b, size_t n, size_t *len)
{
	size_t		need = vgm_summary_format(false, shift, c, b, n, NULL, 0, NULL, 0);
	char	   *buf = malloc(need + 1);

	*len = vgm_summary_format(false, shift, c, b, n, NULL, 0, buf, need + 1);
	return buf;
}

static int
parse_str(const char *text, size_t len, int *shift, VgmSummaryCounts *c, VgmBucket **b, size_t *n,
		  char *msg, char *detail)
{
	return vgm_summary_parse(text, len, shift, c, b, n, NULL, NULL, &counting, msg, 256, detail, 256);
}

static void
test_text(void)
{
	size_t		n = 3000;
	double	   *x = malloc(n * sizeof(double));
	VgmSummaryCounts c;
	VgmBucket  *b;
	VgmBucket  *pb = NULL;
	size_t		nb,
				pn;
	int			shift,
				ps;
	VgmSummaryCounts pc;
	char	   *text;
	size_t		len;
	char		msg[256],
				detail[256];
	int			rc;
	long		live0 = arena.live;

	gen_mixed(x, n, 71);
	x[0] = -0.0;
	x[1] = 1e300;
	x[2] = DBL_TRUE_MIN;
	x[3] = -DBL_MAX / 3;
	b = summarize(x, NULL, n, VGM_SUMMARY_FINEST_SHIFT, VGM_SUMMARY_MAX_BUCKETS, &nb, &shift, &c);
	c.nulls = 5;
	c.nans = 6;
	c.pos_infs = 7;
	c.neg_infs = 8;
	text = format_alloc(shift, &c, b, nb, &len);
	rc = parse_str(text, len, &ps, &pc, &pb, &pn, msg, detail);
	tap_ok(rc == VGM_SUMMARY_OK, "text: a formatted summary parses");
	if (rc != VGM_SUMMARY_OK)
		printf("# %s: %s\n", msg, detail);
	tap_ok(rc == VGM_SUMMARY_OK && ps == shift && pn == nb
		   && memcmp(&pc, &c, sizeof(c)) == 0
		   && memcmp(pb, b, nb * sizeof(VgmBucket)) == 0,
		   "text: round trip is bit-exact (counts, min, max, every bucket field)");
	if (rc == VGM_SUMMARY_OK)
	{
		size_t		len2;
		char	   *text2 = format_alloc(ps, &pc, pb, pn, &len2);

		tap_ok(len2 == len && strcmp(text, text2) == 0, "text: formatting the parsed summary gives the same text");
		free(text2);
		counting_release(pb, &arena);
	}
	printf("# text: %zu buckets in %zu bytes\n", nb, len);

	/* a small buffer: the needed length, NUL-terminated prefix */
	{
		char		small[40];
		size_t		need = vgm_summary_format(false, shift, &c, b, nb, NULL, 0, small, sizeof(small));

		tap_ok(need == len && strlen(small) == sizeof(small) - 1 && strncmp(small, text, sizeof(small) - 1) == 0,
			   "text: a short buffer gets a NUL-terminated prefix and the needed length");
	}

	/* empty summary */
	{
		VgmSummaryCounts ec = {0, 3, 0, 1, 0, 0.0, 0.0};
		size_t		elen;
		char	   *et = format_alloc(VGM_SUMMARY_FINEST_SHIFT, &ec, NULL, 0, &elen);

		pb = NULL;
		rc = parse_str(et, elen, &ps, &pc, &pb, &pn, msg, detail);
		tap_ok(rc == VGM_SUMMARY_OK && pn == 0 && pc.nulls == 3 && pc.pos_infs == 1 && pc.rows == 0,
			   "text: an empty summary round-trips");
		printf("# text: empty summary: %s\n", et);
		if (rc == VGM_SUMMARY_OK && pb)
			counting_release(pb, &arena);
		free(et);
	}

	/* whitespace between tokens is accepted */
	{
		const char *ws = " {\n\"version\" : 1 ,\t\"shift\":32,\"rows\":2,\"nulls\":0,\"nans\":0,"
			"\"pos_infs\":0,\"neg_infs\":0,\"min\":1.5,\"max\":1.5,\"buckets\": [ [ 1073217537 , 2 , 1.5 , 0 , 0 , 0 ] ] } \n";

		rc = parse_str(ws, strlen(ws), &ps, &pc, &pb, &pn, msg, detail);
		tap_ok(rc == VGM_SUMMARY_OK && pn == 1 && pb[0].weight == 2.0 && pb[0].key == vgm_bucket_key(1.5, 32),
			   "text: JSON whitespace is accepted");
		if (rc != VGM_SUMMARY_OK)
			printf("# %s: %s\n", msg, detail);
		else
			counting_release(pb, &arena);
	}

	/* a small summary (every field kind, ~40 buckets) for the byte-level tests */
	free(text);
	free(b);
	gen_mixed(x, 60, 72);
	x[0] = -0.0;
	x[1] = 1e300;
	b = summarize(x, NULL, 60, VGM_SUMMARY_FINEST_SHIFT, VGM_SUMMARY_MAX_BUCKETS, &nb, &shift, &c);
	c.nulls = 1;
	c.nans = 22;
	c.pos_infs = 333;
	c.neg_infs = 4444;
	text = format_alloc(shift, &c, b, nb, &len);
	printf("# text: byte-level tests on %zu buckets, %zu bytes\n", nb, len);

	/* truncation at every byte is an error and leaks nothing */
	{
		int			all_err = 1;
		long		before = arena.live;

		for (size_t cut = 0; cut < len; cut++)
		{
			pb = NULL;
			rc = parse_str(text, cut, &ps, &pc, &pb, &pn, msg, detail);
			if (rc == VGM_SUMMARY_OK || msg[0] == '\0' || pb != NULL)
			{
				all_err = 0;
				printf("# truncation at %zu of %zu parsed (rc %d)\n", cut, len, rc);
				if (rc == VGM_SUMMARY_OK)
					counting_release(pb, &arena);
				break;
			}
		}
		tap_ok(all_err, "text: truncation at every byte is an error");
		tap_ok(arena.live == before, "text: failed parses free what they allocated");
	}

	/* single-byte corruption: never crashes, and anything accepted is valid */
	{
		static const char subs[] = {'0', '9', '-', '.', 'e', ',', ']', '[', '"', ' ', 'x', '\0'};
		long		accepted = 0,
					rejected = 0;
		int			consistent = 1;
		long		before = arena.live;
		char	   *mut = malloc(len + 1);

		for (size_t pos = 0; pos < len; pos++)
			for (size_t s = 0; s < sizeof(subs); s++)
			{
				if (text[pos] == subs[s])
					continue;
				memcpy(mut, text, len + 1);
				mut[pos] = subs[s];
				pb = NULL;
				rc = parse_str(mut, len, &ps, &pc, &pb, &pn, msg, detail);
				if (rc == VGM_SUMMARY_OK)
				{
					accepted++;
					if (vgm_summary_validate(VGM_SUMMARY_FORMAT_VERSION, ps, &pc, pb, pn,
											 NULL, 0, NULL, 0) != VGM_SUMMARY_OK)
						consistent = 0;
					counting_release(pb, &arena);
				}
				else
					rejected++;
			}
		printf("# text: single-byte corruptions: %ld rejected, %ld accepted (still valid)\n", rejected, accepted);
		tap_ok(consistent && arena.live == before, "text: corrupted input is rejected or parses to a valid summary, no leaks");
		free(mut);
	}

	free(text);
	free(b);
	free(x);
	tap_ok(arena.live == live0, "text: every allocation of the text tests was released");
}

/* A summary text with a field error, what the parser must say, and the test's name. */
typedef struct FieldCase
{
	const char *text;
	int			status;
	const char *detail;			/* a part of the detail, or NULL */
	const char *name;
} FieldCase;

static const FieldCase field_cases[] = {
	{"{\"version\":1,\"shift\":0,\"rows\":0,\"rows\":0}",
	VGM_SUMMARY_ERR_FIELD, "\"rows\" appears twice", "a repeated field is an error naming it"},
	{"{\"version\":1,\"colour\":0}",
	VGM_SUMMARY_ERR_FIELD, "Unknown field \"colour\"", "an unknown field is an error naming it"},
	{"{\"buckets\":[],\"version\":1,\"shift\":0,\"rows\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"min\":0,\"max\":0}",
	VGM_SUMMARY_ERR_FIELD, "\"neg_infs\" is missing", "a missing field is an error naming it"},
	{"{\"version\":3,\"shift\":0}",
	VGM_SUMMARY_ERR_FIELD, NULL, "a missing field is reported before the version is judged"},
	{"{\"shift\":0,\"rows\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"min\":0,\"max\":0,\"buckets\":[],\"version\":3}",
	VGM_SUMMARY_ERR_VERSION, NULL, "the version is judged wherever it stands"},
	{"{}",
	VGM_SUMMARY_ERR_FIELD, "\"version\" is missing", "an empty object names the first missing field"},
};

/* ------------------------------------------------------------------------
 * Validation errors
 * ------------------------------------------------------------------------ */

typedef struct BadCase
{
	const char *name;
	const char *text;
	int			code;
} BadCase;

/* Keys in any order, jsonb's rendering, and field errors that name the field. */
static void
test_text_fields(void)
{
	/* 1.5 and 5e-324 at shift 0, fields in jsonb's order, numbers positional */
	int64_t		k15 = vgm_bucket_key(1.5, 0);
	int64_t		kmin = vgm_bucket_key(DBL_TRUE_MIN, 0);
	char		zeros[400];
	char		text[2048];
	char		msg[256],
				detail[256];
	VgmSummaryCounts c;
	VgmBucket  *b = NULL;
	size_t		n = 0;
	int			shift = -1;
	int			rc;

	memset(zeros, '0', 323);
	zeros[323] = '\0';
	snprintf(text, sizeof(text),
			 "{\"max\": 1.5, \"min\": 0.%s5, \"nans\": 0, \"rows\": 2, \"nulls\": 3, "
			 "\"shift\": 0, \"buckets\": [[%" PRId64 ", 1, 0.%s5, 0, 0, 0], "
			 "[%" PRId64 ", 1, 1.5, 0, 0, 0]], \"version\": 1, \"neg_infs\": 0, \"pos_infs\": 4}",
			 zeros, kmin, zeros, k15);
	rc = parse_str(text, strlen(text), &shift, &c, &b, &n, msg, detail);
	tap_ok(rc == VGM_SUMMARY_OK && shift == 0 && n == 2 && c.rows == 2 && c.nulls == 3
		   && c.pos_infs == 4 && c.min == DBL_TRUE_MIN && c.max == 1.5
		   && b[0].mean == DBL_TRUE_MIN && b[1].mean == 1.5,
		   "fields: jsonb's order and spacing and positional numbers (5e-324 as 0.000...5) parse");
	if (rc != VGM_SUMMARY_OK)
		printf("# %s: %s\n", msg, detail);
	if (rc == VGM_SUMMARY_OK && b)
		counting_release(b, &arena);
	b = NULL;

	/* field errors: the status, and the detail names the field (NULL: any detail) */
	for (size_t i = 0; i < sizeof(field_cases) / sizeof(field_cases[0]); i++)
	{
		const FieldCase *fc = &field_cases[i];
		char		name[128];

		rc = parse_str(fc->text, strlen(fc->text), &shift, &c, &b, &n, msg, detail);
		snprintf(name, sizeof(name), "fields: %s", fc->name);
		tap_ok(rc == fc->status && (fc->detail == NULL || strstr(detail, fc->detail) != NULL), name);
		if (rc != VGM_SUMMARY_OK)
			printf("# %s\n", detail);
	}
}

static void
test_validation(void)
{
	/* key of 1.5 at shift 32 and its neighbours */
	char		texts[32][512];
	BadCase		cases[32];
	int			nc = 0;
	int64_t		k15 = vgm_bucket_key(1.5, 32);
	int64_t		k3 = vgm_bucket_key(3.0, 32);
	char		msg[256],
				detail[256];
	long		before = arena.live;

#define HEAD(rows, min, max) "{\"version\":1,\"shift\":32,\"rows\":" rows ",\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"min\":" min ",\"max\":" max ",\"buckets\":["
#define ADD(nm, cd, ...) do { snprintf(texts[nc], sizeof(texts[nc]), __VA_ARGS__); cases[nc].name = nm; cases[nc].text = texts[nc]; cases[nc].code = cd; nc++; } while (0)

	ADD("valid reference case", VGM_SUMMARY_OK, HEAD("3", "1.5", "3") "[%" PRId64 ",2,1.5,0,0,0],[%" PRId64 ",1,3,0,0,0]]}", k15, k3);
	ADD("format version 3", VGM_SUMMARY_ERR_VERSION, "{\"version\":3,\"shift\":32,\"rows\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"min\":0,\"max\":0,\"buckets\":[]}");
	ADD("shift 64", VGM_SUMMARY_ERR_RANGE, "{\"version\":1,\"shift\":64,\"rows\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"min\":0,\"max\":0,\"buckets\":[]}");
	ADD("shift -1", VGM_SUMMARY_ERR_RANGE, "{\"version\":1,\"shift\":-1,\"rows\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"min\":0,\"max\":0,\"buckets\":[]}");
	ADD("negative null count", VGM_SUMMARY_ERR_RANGE, "{\"version\":1,\"shift\":32,\"rows\":0,\"nulls\":-1,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"min\":0,\"max\":0,\"buckets\":[]}");
	ADD("rows without buckets", VGM_SUMMARY_ERR_RANGE, HEAD("2", "1.5", "1.5") "]}");
	ADD("fewer rows than buckets", VGM_SUMMARY_ERR_RANGE, HEAD("1", "1.5", "3") "[%" PRId64 ",2,1.5,0,0,0],[%" PRId64 ",1,3,0,0,0]]}", k15, k3);
	ADD("min above max", VGM_SUMMARY_ERR_RANGE, HEAD("3", "3", "1.5") "[%" PRId64 ",2,1.5,0,0,0],[%" PRId64 ",1,3,0,0,0]]}", k15, k3);
	ADD("min without rows", VGM_SUMMARY_ERR_RANGE, "{\"version\":1,\"shift\":32,\"rows\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"min\":1,\"max\":1,\"buckets\":[]}");
	ADD("unsorted keys", VGM_SUMMARY_ERR_RANGE, HEAD("3", "1.5", "3") "[%" PRId64 ",1,3,0,0,0],[%" PRId64 ",2,1.5,0,0,0]]}", k3, k15);
	ADD("duplicate keys", VGM_SUMMARY_ERR_RANGE, HEAD("3", "1.5", "1.5") "[%" PRId64 ",2,1.5,0,0,0],[%" PRId64 ",1,1.5,0,0,0]]}", k15, k15);
	ADD("key beyond the finite doubles", VGM_SUMMARY_ERR_RANGE, HEAD("1", "1.5", "1.5") "[%" PRId64 ",1,1.5,0,0,0]]}", (int64_t) (0x7FF0000000000000ULL >> 32) + 1);
	ADD("zero weight", VGM_SUMMARY_ERR_RANGE, HEAD("1", "1.5", "1.5") "[%" PRId64 ",0,1.5,0,0,0]]}", k15);
	ADD("negative weight", VGM_SUMMARY_ERR_RANGE, HEAD("1", "1.5", "1.5") "[%" PRId64 ",-1,1.5,0,0,0]]}", k15);
	ADD("negative m2", VGM_SUMMARY_ERR_RANGE, HEAD("1", "1.5", "1.5") "[%" PRId64 ",1,1.5,-1e-9,0,0]]}", k15);
	ADD("negative m4", VGM_SUMMARY_ERR_RANGE, HEAD("1", "1.5", "1.5") "[%" PRId64 ",1,1.5,0,0,-1]]}", k15);
	ADD("mean outside its bucket", VGM_SUMMARY_ERR_RANGE, HEAD("1", "1.5", "1.5") "[%" PRId64 ",1,1.6,0,0,0]]}", k15);
	ADD("mean of the other sign", VGM_SUMMARY_ERR_RANGE, HEAD("1", "-1.5", "-1.5") "[%" PRId64 ",1,-1.5,0,0,0]]}", k15);
	ADD("zero bucket with a mean", VGM_SUMMARY_ERR_RANGE, HEAD("1", "0", "0") "[0,1,1e-300,0,0,0]]}");
	ADD("zero bucket with spread", VGM_SUMMARY_ERR_RANGE, HEAD("1", "0", "0") "[0,1,0,1,0,0]]}");
	ADD("total weight overflows", VGM_SUMMARY_ERR_RANGE, HEAD("2", "1.5", "3") "[%" PRId64 ",1e308,1.5,0,0,0],[%" PRId64 ",1e308,3,0,0,0]]}", k15, k3);
	ADD("infinite number", VGM_SUMMARY_ERR_SYNTAX, HEAD("1", "1.5", "1.5") "[%" PRId64 ",1e999,1.5,0,0,0]]}", k15);
	ADD("NaN", VGM_SUMMARY_ERR_SYNTAX, HEAD("1", "1.5", "1.5") "[%" PRId64 ",1,NaN,0,0,0]]}", k15);
	ADD("fractional key", VGM_SUMMARY_ERR_SYNTAX, HEAD("1", "1.5", "1.5") "[1.5,1,1.5,0,0,0]]}");
	ADD("key overflowing int64", VGM_SUMMARY_ERR_SYNTAX, HEAD("1", "1.5", "1.5") "[99999999999999999999,1,1.5,0,0,0]]}");
	ADD("leading zero", VGM_SUMMARY_ERR_SYNTAX, HEAD("1", "01.5", "1.5") "[%" PRId64 ",1,1.5,0,0,0]]}", k15);
	ADD("missing field", VGM_SUMMARY_ERR_FIELD, "{\"version\":1,\"shift\":32,\"rows\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,\"min\":0,\"max\":0,\"buckets\":[]}");
	ADD("bucket with five numbers", VGM_SUMMARY_ERR_SYNTAX, HEAD("1", "1.5", "1.5") "[%" PRId64 ",1,1.5,0,0]]}", k15);
	ADD("trailing garbage", VGM_SUMMARY_ERR_SYNTAX, HEAD("1", "1.5", "1.5") "[%" PRId64 ",1,1.5,0,0,0]]}x", k15);
	ADD("trailing comma", VGM_SUMMARY_ERR_SYNTAX, HEAD("1", "1.5", "1.5") "[%" PRId64 ",1,1.5,0,0,0],]}", k15);
	ADD("empty input", VGM_SUMMARY_ERR_SYNTAX, "%s", "");

	for (int i = 0; i < nc; i++)
	{
		VgmBucket  *b = NULL;
		size_t		n;
		int			shift;
		VgmSummaryCounts c;
		int			rc;
		char		name[300];

		msg[0] = detail[0] = '\0';
		rc = parse_str(cases[i].text, strlen(cases[i].text), &shift, &c, &b, &n, msg, detail);
		snprintf(name, sizeof(name), "validation: %s -> %s", cases[i].name,
				 cases[i].code == VGM_SUMMARY_OK ? "accepted" : "rejected with its code and a message");
		tap_ok(rc == cases[i].code && (rc == VGM_SUMMARY_OK || (msg[0] != '\0' && detail[0] != '\0'))
			   && (rc == VGM_SUMMARY_OK) == (b != NULL || cases[i].code == VGM_SUMMARY_OK), name);
		if (rc != cases[i].code)
			printf("#   got code %d: %s (%s)\n", rc, msg, detail);
		if (rc == VGM_SUMMARY_OK)
			counting_release(b, &arena);
	}
	/* the validator directly: too many buckets, and tiny message buffers */
	{
		VgmSummaryCounts c = {VGM_SUMMARY_MAX_BUCKETS + 1, 0, 0, 0, 0, 1.0, 2.0};
		VgmBucket	one = {k15, 1.0, 1.5, 0, 0, 0};
		char		m1[1],
					d1[1];

		tap_ok(vgm_summary_validate(1, 32, &c, &one, (size_t) VGM_SUMMARY_MAX_BUCKETS + 1,
									msg, sizeof(msg), detail, sizeof(detail)) == VGM_SUMMARY_ERR_RANGE,
			   "validation: more than the maximum number of buckets is rejected");
		c.rows = 1;
		c.min = c.max = 1.5;
		tap_ok(vgm_summary_validate(1, 32, &c, &one, 1, m1, 1, d1, 1) == VGM_SUMMARY_OK
			   && vgm_summary_validate(3, 32, &c, &one, 1, m1, 1, d1, 1) == VGM_SUMMARY_ERR_VERSION
			   && m1[0] == '\0' && d1[0] == '\0'
			   && vgm_summary_validate(3, 32, &c, &one, 1, NULL, 0, NULL, 0) == VGM_SUMMARY_ERR_VERSION,
			   "validation: one-byte and absent message buffers are safe");
	}
	tap_ok(arena.live == before, "validation: no allocation outlives a parse");
#undef HEAD
#undef ADD
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_keys();
	test_rekey();
	test_moments();
	test_accumulator();
	test_coarsen();
	test_order_independence();
	test_text();
	test_text_fields();
	test_validation();
	printf("# counting allocator: %ld allocations, %ld live at exit\n", arena.total, arena.live);
	tap_ok(arena.live == 0, "memory: every allocation made through the allocator hooks was released");
	return tap_done();
}
