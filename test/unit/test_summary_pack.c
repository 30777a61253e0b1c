/*
 * test_summary_pack.c - unit tests of the packed bucket text
 * (src/summary_pack.c) and of the compact summary text built on it
 * (vgm_summary_format with packed / vgm_summary_parse in src/summary_core.c).
 *
 * Round trips must be bit-exact, so every comparison is of the doubles'
 * bits: on summaries accumulated from continuous, heaped and integer data
 * at several resolutions, and on adversarial buckets (random bit patterns,
 * -0.0, subnormals, NaN payloads, means outside their bucket, negative even
 * moments, extreme keys and shifts) that the packer must still carry
 * exactly even where the summary validator would reject them.  Then every
 * rejection of the decoder (header, version, count, length, alphabet, group
 * overflow, long integers, exponents, trailing data, key overflow, whole
 * weights above 2^53), truncation at every length, single-character
 * corruption (never a crash, never an unbalanced allocation), and the size
 * of the compact text against the readable one.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "summary_core.h"
#include "summary_pack.h"
#include "rng.h"
#include "tap.h"

/* Allocation counter: every decoder allocation must be released or returned. */
static long live_allocs;

static void *
count_alloc(size_t size, void *arg __attribute__((unused)))
{
	live_allocs++;
	return malloc(size);
}

static void
count_free(void *ptr, void *arg __attribute__((unused)))
{
	if (ptr)
	{
		live_allocs--;
		free(ptr);
	}
}

static const VgmAllocator counting = {count_alloc, count_free, NULL};

/* Whether two bucket arrays are identical bit for bit. */
static int
same_buckets(const VgmBucket *a, const VgmBucket *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].key != b[i].key || vgm_double_to_bits(a[i].weight) != vgm_double_to_bits(b[i].weight)
			|| vgm_double_to_bits(a[i].mean) != vgm_double_to_bits(b[i].mean) || vgm_double_to_bits(a[i].m2) != vgm_double_to_bits(b[i].m2)
			|| vgm_double_to_bits(a[i].m3) != vgm_double_to_bits(b[i].m3) || vgm_double_to_bits(a[i].m4) != vgm_double_to_bits(b[i].m4))
		{
			fprintf(stderr, "# bucket %zu differs: key %" PRId64 "/%" PRId64 "\n", i, a[i].key, b[i].key);
			return 0;
		}
	return 1;
}

/* Pack and unpack; 1 when the buckets come back bit for bit. */
static int
round_trip(int shift, const VgmBucket *b, size_t n, size_t *text_len)
{
	char	   *text = malloc(vgm_pack_bound(n) + 1);
	size_t		len = vgm_pack_buckets(shift, b, n, text);
	VgmBucket  *out = NULL;
	size_t		m = 0;
	char		msg[200],
				detail[300];
	int			st;
	int			ok;

	if (text_len)
		*text_len = len;
	ok = len <= vgm_pack_bound(n) && strlen(text) == len;
	st = vgm_unpack_buckets(text, len, shift, &out, &m, &counting, msg, sizeof(msg), detail, sizeof(detail));
	if (st != VGM_SUMMARY_OK)
		fprintf(stderr, "# unpack failed: %s: %s\n", msg, detail);
	ok = ok && st == VGM_SUMMARY_OK && m == n && same_buckets(b, out, n);
	count_free(out, NULL);
	free(text);
	return ok;
}

/* Summary of generated data: exported buckets of an accumulator. */
static size_t
summarize(const double *x, size_t nx, VgmBucket **out, int *shift, VgmSummaryCounts *counts)
{
	VgmAccumulator acc;
	size_t		n;

	vgm_acc_init(&acc, &counting, VGM_SUMMARY_FINEST_SHIFT, VGM_SUMMARY_MAX_BUCKETS);
	for (size_t i = 0; i < nx; i++)
		vgm_acc_add(&acc, x[i], 1.0);
	vgm_acc_flush(&acc);
	*out = malloc((acc.nused + 1) * sizeof(VgmBucket));
	n = vgm_acc_export(&acc, *out);
	*shift = acc.shift;
	*counts = acc.counts;
	vgm_acc_free(&acc);
	return n;
}

/* Four-mode mixture of distinct doubles, as the scale benchmark uses. */
static void
gen_continuous(double *x, size_t n, uint64_t seed)
{
	rng_state = seed;
	for (size_t i = 0; i < n; i++)
	{
		double		u = rng_unif();
		double		z = rng_normal();

		x[i] = u < 0.45 ? 10 + 2 * z : u < 0.75 ? 50 + 5 * z : u < 0.95 ? 200 + 20 * z : 1000 * exp(0.5 * z);
	}
}

/* A random double of any class: normal, subnormal, zero of either sign, huge. */
static double
rng_any_bits(void)
{
	uint64_t	r = rng_next();

	switch (r & 7)
	{
		case 0:
			return vgm_bits_to_double(rng_next() & 0x000FFFFFFFFFFFFFULL);	/* subnormal or +0 */
		case 1:
			return -0.0;
		case 2:
			return vgm_bits_to_double(rng_next());	/* anything, NaN and inf included */
		default:
			return (rng_unif() - 0.5) * exp((rng_unif() - 0.5) * 200.0);
	}
}

/* Summaries of real data round-trip exactly and are much smaller than JSON. */
static void
test_real_summaries(void)
{
	static const size_t sizes[] = {1, 7, 1000, 200000};
	double	   *x = malloc(200000 * sizeof(double));

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
	{
		size_t		nx = sizes[s];
		VgmBucket  *b;
		int			shift;
		VgmSummaryCounts c;
		size_t		n;
		size_t		len;
		char		name[120];

		gen_continuous(x, nx, 42 + s);
		n = summarize(x, nx, &b, &shift, &c);
		snprintf(name, sizeof(name), "continuous %zu rows (%zu buckets, shift %d): exact round trip", nx, n, shift);
		tap_ok(round_trip(shift, b, n, &len), name);
		if (nx == 200000)
		{
			size_t		rcap = 256 + n * 140;
			char	   *readable = malloc(rcap);
			size_t		rlen = vgm_summary_format(false, shift, &c, b, n, NULL, 0, readable, rcap);

			snprintf(name, sizeof(name), "packed text %.1f chars a bucket, readable %.1f: under 45%%",
					 (double) len / n, (double) rlen / n);
			tap_ok(len * 100 < rlen * 45, name);
			free(readable);
		}
		free(b);
	}
	/* heaped: cents, integers and a point mass; several coarser shifts */
	rng_state = 7;
	for (size_t i = 0; i < 200000; i++)
	{
		double		u = rng_unif();

		x[i] = u < 0.3 ? 9.99 : u < 0.6 ? round(rng_normal() * 1000) : round(rng_normal() * 10000) / 100.0;
	}
	{
		VgmBucket  *b;
		int			shift;
		VgmSummaryCounts c;
		size_t		n = summarize(x, 200000, &b, &shift, &c);
		int			ok = round_trip(shift, b, n, NULL);

		tap_ok(ok, "heaped cents and integers: exact round trip");
		ok = 1;
		for (int k = 0; k < 6 && n > 1; k++)
		{
			n = vgm_buckets_coarsen(b, n, &shift, n / 2);
			ok = ok && round_trip(shift, b, n, NULL);
		}
		tap_ok(ok, "the same summary coarsened six times: exact round trips");
		free(b);
	}
	free(x);
}

/* Arbitrary bit patterns at every shift, in sorted unique keys. */
static void
test_adversarial(void)
{
	int			ok = 1;
	VgmBucket	b[64];

	rng_state = 99;
	for (int iter = 0; iter < 3000 && ok; iter++)
	{
		int			shift = (int) (rng_next() % 64);
		size_t		n = 1 + rng_next() % 64;
		int64_t		key;

		/* start anywhere, keep strictly ascending without overflow */
		switch (iter % 4)
		{
			case 0:
				key = INT64_MIN + (int64_t) (rng_next() % 5);
				break;
			case 1:
				key = INT64_MAX - 200;
				break;
			case 2:
				key = -(int64_t) (rng_next() % 1000);
				break;
			default:
				key = (int64_t) (rng_next() >> 1) - (int64_t) (rng_next() >> 2);
				break;
		}
		for (size_t i = 0; i < n; i++)
		{
			uint64_t	gap = (iter % 5 == 0) ? (rng_next() >> 8) : 1 + rng_next() % 3;

			if (i > 0)
			{
				if ((uint64_t) INT64_MAX - (uint64_t) key <= gap)
				{
					n = i;
					break;
				}
				key = (int64_t) ((uint64_t) key + gap);
			}
			b[i].key = key;
			b[i].weight = (rng_next() & 1) ? (double) (1 + rng_next() % 1000) : rng_any_bits();
			b[i].mean = rng_any_bits();
			b[i].m2 = rng_any_bits();
			b[i].m3 = rng_any_bits();
			b[i].m4 = rng_any_bits();
			if (rng_next() % 3 == 0)
			{
				/* in-bucket mean and plausible moments: the short codes */
				uint64_t	mag = key < 0 ? (uint64_t) (-(key + 1)) : (uint64_t) (key - 1);
				uint64_t	base = shift < 64 ? (mag << shift) & 0x7FFFFFFFFFFFFFFFULL : 0;

				b[i].mean = vgm_bits_to_double(base | (shift ? rng_next() & ((1ULL << shift) - 1) : 0));
				if (key < 0)
					b[i].mean = -b[i].mean;
				b[i].m2 = fabs(b[i].m2);
				b[i].m4 = fabs(b[i].m4);
			}
		}
		ok = round_trip(shift, b, n, NULL);
	}
	tap_ok(ok, "3000 adversarial bucket sets (any bits, any shift, extreme keys): exact round trips");

	/* named edge cases */
	{
		VgmBucket	e[4] = {
			{INT64_MIN, 9007199254740992.0, -0.0, 0.0, -0.0, 0.0},
			{-1, 9007199254740993.0 * 2, vgm_bits_to_double(0x8000000000000001ULL), 4.9e-324, -4.9e-324, 1e308},
			{0, 0.5, 0.0, 0.0, 0.0, 0.0},
			{INT64_MAX, 1.0, vgm_bits_to_double(0x7FF8000000000001ULL), INFINITY, -INFINITY, NAN},
		};

		tap_ok(round_trip(0, e, 4, NULL) && round_trip(62, e, 4, NULL) && round_trip(63, e, 4, NULL),
			   "extreme keys, weights 2^53 and 2^54, -0, subnormals, inf, NaN payloads: exact at shifts 0, 62, 63");
		tap_ok(round_trip(17, e, 0, NULL), "no buckets: exact");
	}
	/* the longest codes: within vgm_pack_bound (round_trip checks it) */
	{
		VgmBucket	w[64];
		size_t		len;
		int			ok;

		for (int i = 0; i < 64; i++)
			w[i] = (VgmBucket) {i == 0 ? INT64_MIN : (i == 1 ? INT64_MAX - 62 : w[i - 1].key + 1),
				9007199254740992.0, -1e300, 1e300, -1e-300, 1e-300};
		ok = round_trip(5, w, 64, &len);
		tap_ok(ok && len <= vgm_pack_bound(64), "worst-case codes (extreme key gap, weight 2^53, raw doubles) fit the bound");
	}
}

/* Expect a decoder rejection with the given status and a detail containing want. */
static void
expect_reject(const char *text, int shift, int status, const char *want, const char *name)
{
	VgmBucket  *b = (VgmBucket *) 1;
	size_t		n = 99;
	char		msg[200] = "",
				detail[300] = "";
	long		before = live_allocs;
	int			st = vgm_unpack_buckets(text, strlen(text), shift, &b, &n, &counting,
										msg, sizeof(msg), detail, sizeof(detail));
	int			ok = st == status && b == NULL && n == 0 && live_allocs == before
		&& strstr(detail, want) != NULL && msg[0] >= 'a' && msg[0] <= 'z';

	if (!ok)
		fprintf(stderr, "# got status %d, msg \"%s\", detail \"%s\"\n", st, msg, detail);
	tap_ok(ok, name);
}

/* Pack one bucket and return the text (static buffer). */
static const char *
pack_one(VgmBucket bk, int shift)
{
	static char buf[256];

	vgm_pack_buckets(shift, &bk, 1, buf);
	return buf;
}

/* Every rejection the decoder has. */
static void
test_rejections(void)
{
	char		buf[512];
	const char *good = pack_one((VgmBucket) {5, 3.0, 1.0, 0.5, 0.0, 0.25}, 0);

	expect_reject("", 0, VGM_SUMMARY_ERR_SYNTAX, "must start with", "empty text");
	expect_reject("x;1;", 0, VGM_SUMMARY_ERR_SYNTAX, "must start with", "no version number");
	expect_reject("01;0;", 0, VGM_SUMMARY_ERR_SYNTAX, "must start with", "version with a leading zero");
	expect_reject("2;0;", 0, VGM_SUMMARY_ERR_VERSION, "this build reads version 1", "unknown version");
	expect_reject("99999999999999999999999;0;", 0, VGM_SUMMARY_ERR_SYNTAX, "must start with", "version overflowing");
	expect_reject("1;", 0, VGM_SUMMARY_ERR_SYNTAX, "bucket count", "no count");
	expect_reject("1;65537;", 0, VGM_SUMMARY_ERR_SYNTAX, "bucket count", "count above the bucket limit");
	expect_reject("1;3", 0, VGM_SUMMARY_ERR_SYNTAX, "bucket count", "count without ';'");
	expect_reject("1;0;00000", 0, VGM_SUMMARY_ERR_SYNTAX, "must be empty", "data after zero buckets");
	expect_reject("1;1;0000", 0, VGM_SUMMARY_ERR_SYNTAX, "multiple of 5", "data not a multiple of 5");
	expect_reject("1;4;00000", 0, VGM_SUMMARY_ERR_SYNTAX, "at least", "too little data for the count");
	expect_reject("1;1;0000'", 0, VGM_SUMMARY_ERR_SYNTAX, "outside the Z85 alphabet", "quote in the data");
	expect_reject("1;1;\"0000", 0, VGM_SUMMARY_ERR_SYNTAX, "outside the Z85 alphabet", "double quote in the data");
	expect_reject("1;1;#####", 0, VGM_SUMMARY_ERR_SYNTAX, "above 2^32", "group above 2^32");
	/* 96 zero bits: a length prefix longer than 64 */
	expect_reject("1;1;000000000000000", 0, VGM_SUMMARY_ERR_SYNTAX, "longer than 64 bits", "integer of more than 64 bits");
	tap_ok(round_trip(0, &(VgmBucket) {5, 3.0, 1.0, 0.5, 0.0, 0.25}, 1, NULL), "the base case decodes");
	snprintf(buf, sizeof(buf), "%s00000", good);
	expect_reject(buf, 0, VGM_SUMMARY_ERR_SYNTAX, "goes on after", "an extra group");
	/* truncation at every group boundary below the full length */
	{
		VgmBucket	many[40];
		char		big[4096];
		size_t		len;
		int			ok = 1;
		long		before = live_allocs;

		rng_state = 5;
		for (int i = 0; i < 40; i++)
			many[i] = (VgmBucket) {i * 3 + 1, 1.0 + i, 1.0 + i, 0.5 * i, -0.25 * i, 0.125 * i};
		len = vgm_pack_buckets(0, many, 40, big);
		for (size_t cut = 0; cut < len; cut++)
		{
			VgmBucket  *b = NULL;
			size_t		n = 0;
			char		msg[200],
						detail[300];

			if (vgm_unpack_buckets(big, cut, 0, &b, &n, &counting, msg, sizeof(msg), detail, sizeof(detail))
				== VGM_SUMMARY_OK || b != NULL || n != 0)
				ok = 0;
		}
		tap_ok(ok && live_allocs == before, "truncation at every length: rejected, nothing left allocated");
		/* one corrupted character anywhere: decodes to something or is rejected, no leak */
		ok = 1;
		for (size_t at = 0; at < len; at++)
			for (int d = 1; d < 86; d += 21)
			{
				VgmBucket  *b = NULL;
				size_t		n = 0;
				char		msg[200],
							detail[300];
				char		save = big[at];
				int			st;

				big[at] = (char) ((unsigned char) save + d);
				st = vgm_unpack_buckets(big, len, 0, &b, &n, &counting, msg, sizeof(msg), detail, sizeof(detail));
				if ((st == VGM_SUMMARY_OK) != (b != NULL))
					ok = 0;
				count_free(b, NULL);
				big[at] = save;
			}
		tap_ok(ok && live_allocs == before, "single-character corruption anywhere: no crash, no leak");
	}
	/* an exponent code pointing outside the finite doubles */
	{
		/* weight 1, key 1 (shift 0): expected m2 exponent is 1023 + 0 + 2 * (-1074) - 4 < 1 */
		const char *t = pack_one((VgmBucket) {1, 1.0, vgm_bits_to_double(0x0000000000000000ULL), 1.0, 0.0, 0.0}, 0);
		VgmBucket  *b = NULL;
		size_t		n = 0;
		char		msg[200],
					detail[300];

		tap_ok(vgm_unpack_buckets(t, strlen(t), 0, &b, &n, &counting, msg, sizeof(msg), detail, sizeof(detail))
			   == VGM_SUMMARY_OK && b[0].m2 == 1.0, "a moment far from its expected exponent still decodes");
		count_free(b, NULL);
	}
	/* key overflow: first key INT64_MAX, then a gap of 0 means INT64_MAX + 1 */
	{
		VgmBucket	two[2] = {{INT64_MAX - 1, 1, 0, 0, 0, 0}, {INT64_MAX, 1, 0, 0, 0, 0}};
		char		t[256];
		size_t		len = vgm_pack_buckets(0, two, 2, t);
		VgmBucket  *b = NULL;
		size_t		n = 0;
		char		msg[200],
					detail[300];
		int			st;

		/* same stream with the first key one higher: re-pack with a shifted first key */
		two[0].key = INT64_MAX;
		two[1].key = INT64_MAX;	/* gap code 0 again, now past the top */
		len = vgm_pack_buckets(0, two, 2, t);
		st = vgm_unpack_buckets(t, len, 0, &b, &n, &counting, msg, sizeof(msg), detail, sizeof(detail));
		tap_ok(st == VGM_SUMMARY_ERR_RANGE && b == NULL && strstr(detail, "above the largest"),
			   "a key gap past INT64_MAX: rejected");
	}
	/* bad shift */
	expect_reject("1;0;", 64, VGM_SUMMARY_ERR_RANGE, "between 0 and 63", "shift 64");
	expect_reject("1;0;", -1, VGM_SUMMARY_ERR_RANGE, "between 0 and 63", "shift -1");
}

/* Whole weight above 2^53 in the count code: built by hand from the bit layout. */
static void
test_whole_weight_limit(void)
{
	/*
	 * key 0 -> uint 0 = '1'; weight flag '1'; uint(2^53) = 54 zeros, '1', 53
	 * zero bits; mean at shift 0: '1'; moments '01' x 3.  Total 1+1+108+1+6 =
	 * 117 bits, padded to 128: four groups.
	 */
	uint32_t	g[4] = {0, 0, 0, 0};
	int			pos = 0;
	char		t[64];
	char	   *p;

#define PUT(bit) do { if (bit) g[pos / 32] |= 1U << (31 - pos % 32); pos++; } while (0)
	PUT(1);
	PUT(1);
	for (int i = 0; i < 54; i++)
		PUT(0);
	PUT(1);
	for (int i = 0; i < 53; i++)
		PUT(0);
	PUT(1);
	for (int i = 0; i < 3; i++)
	{
		PUT(0);
		PUT(1);
	}
#undef PUT
	p = t + sprintf(t, "1;1;");
	for (int i = 0; i < 4; i++)
	{
		static const char z[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
		uint32_t	v = g[i];

		for (int k = 4; k >= 0; k--)
		{
			p[k] = z[v % 85];
			v /= 85;
		}
		p += 5;
	}
	*p = '\0';
	expect_reject(t, 0, VGM_SUMMARY_ERR_RANGE, "above 2^53", "whole weight code above 2^53");
}

/* The compact summary text: parse, validation, exclusivity with "buckets". */
static void
test_summary_text(void)
{
	double	   *x = malloc(50000 * sizeof(double));
	VgmBucket  *b;
	int			shift;
	VgmSummaryCounts c;
	size_t		n;
	char	   *text;
	size_t		len;
	VgmBucket  *out = NULL;
	size_t		m = 0;
	int			shift2 = -1;
	VgmSummaryCounts c2;
	char		msg[200],
				detail[300];
	int			st;

	gen_continuous(x, 50000, 3);
	n = summarize(x, 50000, &b, &shift, &c);
	{
		char		small[10];

		len = vgm_summary_format(true, shift, &c, b, n, NULL, 0, small, sizeof(small));
		text = malloc(len + 1);
		tap_ok(strlen(small) == sizeof(small) - 1
			   && vgm_summary_format(true, shift, &c, b, n, NULL, 0, text, len + 1) == len,
			   "packed format into a short buffer: truncated, and the length it needs");
	}
	tap_ok(len == strlen(text) && strstr(text, "\"packed\":\"1;") && !strstr(text, "\"buckets\""),
		   "compact summary text has a packed field and no buckets array");
	st = vgm_summary_parse(text, len, &shift2, &c2, &out, &m, NULL, NULL, &counting, msg, sizeof(msg), detail, sizeof(detail));
	tap_ok(st == VGM_SUMMARY_OK && shift2 == shift && m == n && same_buckets(b, out, n)
		   && c2.rows == c.rows && vgm_double_to_bits(c2.min) == vgm_double_to_bits(c.min) && vgm_double_to_bits(c2.max) == vgm_double_to_bits(c.max),
		   "compact summary text parses back to the same summary, bit for bit");
	count_free(out, NULL);
	{
		/* the packed field may come first (jsonb orders fields by name length) */
		char	   *packed = strstr(text, "\"packed\"");
		char	   *re = malloc(len + 8);
		size_t		head = (size_t) (packed - text);

		sprintf(re, "{%.*s,%.*s}", (int) (len - head - 1), packed, (int) (head - 2), text + 1);
		out = NULL;
		st = vgm_summary_parse(re, strlen(re), &shift2, &c2, &out, &m, NULL, NULL, &counting, msg, sizeof(msg), detail, sizeof(detail));
		tap_ok(st == VGM_SUMMARY_OK && m == n && same_buckets(b, out, n), "packed field before the shift: same summary");
		count_free(out, NULL);
		free(re);
	}
	{
		const char *both = "{\"version\":1,\"shift\":0,\"rows\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,"
			"\"neg_infs\":0,\"min\":0,\"max\":0,\"buckets\":[],\"packed\":\"1;0;\"}";
		const char *none = "{\"version\":1,\"shift\":0,\"rows\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,"
			"\"neg_infs\":0,\"min\":0,\"max\":0}";
		const char *esc = "{\"version\":1,\"shift\":0,\"rows\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,"
			"\"neg_infs\":0,\"min\":0,\"max\":0,\"packed\":\"1;0\\u003b\"}";
		const char *empty = "{\"version\":1,\"shift\":0,\"rows\":0,\"nulls\":0,\"nans\":0,\"pos_infs\":0,"
			"\"neg_infs\":0,\"min\":0,\"max\":0,\"packed\":\"1;0;\"}";
		/* rows disagree with the packed buckets: the summary validator runs after decoding */
		const char *lying = "{\"version\":1,\"shift\":0,\"rows\":5,\"nulls\":0,\"nans\":0,\"pos_infs\":0,"
			"\"neg_infs\":0,\"min\":0,\"max\":0,\"packed\":\"1;0;\"}";

		st = vgm_summary_parse(both, strlen(both), &shift2, &c2, &out, &m, NULL, NULL, &counting, msg, sizeof(msg), detail, sizeof(detail));
		tap_ok(st == VGM_SUMMARY_ERR_FIELD && strstr(detail, "exclude each other"), "buckets and packed together: rejected");
		st = vgm_summary_parse(none, strlen(none), &shift2, &c2, &out, &m, NULL, NULL, &counting, msg, sizeof(msg), detail, sizeof(detail));
		tap_ok(st == VGM_SUMMARY_ERR_FIELD && strstr(detail, "\"buckets\" (or \"packed\") is missing"), "neither buckets nor packed: rejected");
		st = vgm_summary_parse(esc, strlen(esc), &shift2, &c2, &out, &m, NULL, NULL, &counting, msg, sizeof(msg), detail, sizeof(detail));
		tap_ok(st == VGM_SUMMARY_ERR_SYNTAX && strstr(detail, "without escapes"), "escape in the packed string: rejected");
		if (st != VGM_SUMMARY_ERR_SYNTAX)
			fprintf(stderr, "# %s\n", detail);
		st = vgm_summary_parse(empty, strlen(empty), &shift2, &c2, &out, &m, NULL, NULL, &counting, msg, sizeof(msg), detail, sizeof(detail));
		tap_ok(st == VGM_SUMMARY_OK && m == 0 && out == NULL, "empty packed summary parses");
		st = vgm_summary_parse(lying, strlen(lying), &shift2, &c2, &out, &m, NULL, NULL, &counting, msg, sizeof(msg), detail, sizeof(detail));
		tap_ok(st == VGM_SUMMARY_ERR_RANGE && strstr(msg, "row count disagrees"), "packed summary still validated as a whole");
	}
	{
		/* a mean moved two buckets away: decodes (raw), then the validator rejects */
		VgmBucket	bad = {100, 2.0, 0.0, 0.0, 0.0, 0.0};
		VgmSummaryCounts cc = {2, 0, 0, 0, 0, 0.0, 0.0};
		char		t[512];

		bad.mean = vgm_bits_to_double(((uint64_t) 101) << 4);
		cc.min = cc.max = bad.mean;
		vgm_summary_format(true, 4, &cc, &bad, 1, NULL, 0, t, sizeof(t));
		st = vgm_summary_parse(t, strlen(t), &shift2, &c2, &out, &m, NULL, NULL, &counting, msg, sizeof(msg), detail, sizeof(detail));
		tap_ok(st == VGM_SUMMARY_ERR_RANGE && strstr(msg, "outside its bucket"), "mean outside its bucket: rejected after decoding");
	}
	tap_ok(live_allocs == 0, "every allocation released");
	free(text);
	free(b);
	free(x);
}

int
main(void)
{
	test_real_summaries();
	test_adversarial();
	test_rejections();
	test_whole_weight_limit();
	test_summary_text();
	return tap_done();
}
