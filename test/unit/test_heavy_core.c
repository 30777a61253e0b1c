/*
 * test_heavy_core.c - the heavy-value table of vgm_summary (heavy_core.c and
 * its accumulator side in summary_core.c): exact counts on heaped columns,
 * the same table whatever the split and merge order, valid bounds when the
 * table overflows, the text and binary forms, validation of bad tables, and
 * the atoms a fit takes out of the buckets.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary_codec.h"
#include "heavy_core.h"
#include "summary_core.h"
#include "rng.h"
#include "tap.h"

/* malloc behind the allocator hooks (the packed reader calls them directly). */
static void *
plain_alloc(size_t size, void *arg)
{
	(void) arg;
	return malloc(size);
}

/* free behind the allocator hooks. */
static void
plain_free(void *ptr, void *arg)
{
	(void) arg;
	free(ptr);
}

static const VgmAllocator plain = {plain_alloc, plain_free, NULL};

/* A stored summary: what the server flattens. */
typedef struct Stored
{
	int			shift;
	VgmSummaryCounts counts;
	VgmBucket  *b;
	size_t		n;
	VgmHeavy	heavy[VGM_HEAVY_LIVE];
	size_t		nheavy;
} Stored;

/* Export an accumulator as a stored summary. */
static void
export_acc(VgmAccumulator *acc, Stored *s)
{
	double		total = 0.0;

	vgm_acc_flush(acc);
	s->b = malloc((acc->nused + 1) * sizeof(VgmBucket));
	s->n = vgm_acc_export(acc, s->b);
	s->shift = acc->shift;
	s->counts = acc->counts;
	for (size_t i = 0; i < s->n; i++)
		total += s->b[i].weight;
	s->nheavy = vgm_acc_export_heavy(acc, total, s->heavy);
}

/* Summarize x[0..n) in one accumulator of at most cap buckets. */
static void
summarize_cap(const double *x, size_t n, int cap, Stored *s)
{
	VgmAccumulator acc;

	vgm_acc_init(&acc, NULL, VGM_SUMMARY_FINEST_SHIFT, cap);
	for (size_t i = 0; i < n; i++)
		vgm_acc_add(&acc, x[i], 1.0);
	export_acc(&acc, s);
	vgm_acc_free(&acc);
}

/* Summarize x[0..n) as the aggregate does. */
static void
summarize(const double *x, size_t n, Stored *s)
{
	summarize_cap(x, n, VGM_SUMMARY_MAX_BUCKETS, s);
}

/* Merge stored summaries parts[order[0..k)] into one. */
static void
rollup(Stored *parts, const int *order, int k, Stored *out)
{
	VgmAccumulator acc;

	vgm_acc_init(&acc, NULL, VGM_SUMMARY_FINEST_SHIFT, VGM_SUMMARY_MAX_BUCKETS);
	for (int i = 0; i < k; i++)
	{
		Stored	   *p = &parts[order[i]];

		vgm_acc_merge_summary(&acc, p->shift, p->b, p->n, p->heavy, p->nheavy);
		vgm_counts_merge(&acc.counts, &p->counts);
	}
	export_acc(&acc, out);
	vgm_acc_free(&acc);
}

/* The stored weight of value v (0 if absent), and its missed. */
static double
heavy_weight(const Stored *s, double v, double *missed)
{
	*missed = -1.0;
	for (size_t i = 0; i < s->nheavy; i++)
		if (s->heavy[i].value == v)
		{
			*missed = s->heavy[i].missed;
			return s->heavy[i].weight;
		}
	return 0.0;
}

/* A heaped money column: 9 % at 9.99, 6 % at 100.00, cents elsewhere. */
static double *
money_column(size_t n, uint64_t seed, size_t *n999, size_t *n100)
{
	double	   *x = malloc(n * sizeof(double));

	rng_state = seed;
	*n999 = *n100 = 0;
	for (size_t i = 0; i < n; i++)
	{
		double		u = rng_unif();

		if (u < 0.09)
		{
			x[i] = 9.99;
			(*n999)++;
		}
		else if (u < 0.15)
		{
			x[i] = 100.0;
			(*n100)++;
		}
		else
			x[i] = floor(exp(rng_normal() * 1.5 + 4.0) * 100.0) / 100.0 + 0.01;
	}
	/* the cents may hit the heaps too: count them as well */
	*n999 = *n100 = 0;
	for (size_t i = 0; i < n; i++)
	{
		*n999 += x[i] == 9.99;
		*n100 += x[i] == 100.0;
	}
	return x;
}

/* Exact counts on a heaped column, and the same table after any split. */
static void
test_exact_and_mergeable(void)
{
	size_t		n = 400000;
	size_t		n999;
	size_t		n100;
	double	   *x = money_column(n, 42, &n999, &n100);
	Stored		whole;
	Stored		parts[4];
	Stored		merged[3];
	int			orders[3][4] = {{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}};
	double		missed;
	double	   *split[4];
	size_t		counts[4] = {0, 0, 0, 0};
	bool		same = true;

	summarize(x, n, &whole);
	tap_ok(whole.shift > 0, "heaped: the column coarsens (so the table is needed)");
	tap_ok(heavy_weight(&whole, 9.99, &missed) == (double) n999 && missed == 0.0,
		   "heaped: 9.99 counted exactly");
	tap_ok(heavy_weight(&whole, 100.0, &missed) == (double) n100 && missed == 0.0,
		   "heaped: 100.00 counted exactly");
	printf("# %zu heavy values, shift %d, 9.99 x %zu, 100 x %zu\n", whole.nheavy, whole.shift, n999, n100);

	/* four parts by a hash of the row, as parallel workers or shards */
	for (int p = 0; p < 4; p++)
		split[p] = malloc(n * sizeof(double));
	rng_state = 7;
	for (size_t i = 0; i < n; i++)
	{
		int			p = (int) (rng_next() % 4);

		split[p][counts[p]++] = x[i];
	}
	for (int p = 0; p < 4; p++)
		summarize(split[p], counts[p], &parts[p]);
	for (int o = 0; o < 3; o++)
		rollup(parts, orders[o], 4, &merged[o]);
	for (int o = 0; o < 3; o++)
	{
		same = same && merged[o].nheavy == merged[0].nheavy;
		for (size_t i = 0; same && i < merged[o].nheavy; i++)
			same = merged[o].heavy[i].value == merged[0].heavy[i].value
				&& merged[o].heavy[i].weight == merged[0].heavy[i].weight
				&& merged[o].heavy[i].missed == merged[0].heavy[i].missed;
	}
	tap_ok(same, "merge: every order of four parts gives the same table");
	tap_ok(heavy_weight(&merged[0], 9.99, &missed) == (double) n999 && missed == 0.0
		   && heavy_weight(&merged[0], 100.0, &missed) == (double) n100 && missed == 0.0,
		   "merge: the heaps are exact after the merge, as in one pass");
	for (int p = 0; p < 4; p++)
	{
		free(split[p]);
		free(parts[p].b);
	}
	for (int o = 0; o < 3; o++)
		free(merged[o].b);
	free(whole.b);
	free(x);
}

/* Every stored entry brackets the truth, whatever the stream does. */
static void
test_bounds_on_overflow(void)
{
	size_t		n = 300000;
	double	   *x = malloc(n * sizeof(double));
	Stored		s;
	bool		ok = true;
	size_t		late = 0;
	double		missed;

	/*
	 * Continuous values, then a value that appears only after the summary
	 * has coarsened, and 600 round values of 0.2 % each, more than the table
	 * holds: entries are dropped and re-enter with a bound.
	 */
	rng_state = 3;
	for (size_t i = 0; i < n; i++)
	{
		double		u = rng_unif();

		if (i > n / 2 && u < 0.05)
		{
			x[i] = 555.5;
			late++;
		}
		else if (u < 0.5)
			x[i] = (double) (1 + rng_next() % 600);
		else
			x[i] = rng_normal() * 300.0 + 500.0;
	}
	summarize(x, n, &s);
	for (size_t i = 0; i < s.nheavy; i++)
	{
		size_t		truth = 0;

		for (size_t j = 0; j < n; j++)
			truth += x[j] == s.heavy[i].value;
		ok = ok && s.heavy[i].weight <= (double) truth
			&& (double) truth <= s.heavy[i].weight + s.heavy[i].missed;
	}
	tap_ok(ok && s.nheavy > 0, "overflow: every stored value brackets its true count");
	tap_ok(heavy_weight(&s, 555.5, &missed) > 0.0 && heavy_weight(&s, 555.5, &missed) <= (double) late
		   && heavy_weight(&s, 555.5, &missed) + missed >= (double) late,
		   "overflow: a value that turns heavy late is found, with a bound");
	tap_ok(s.nheavy <= VGM_HEAVY_MAX, "overflow: the stored table stays within its cap");
	free(s.b);
	free(x);
}

/*
 * A rollup whose parts bring more heavy values than the table holds: the
 * lightest are dropped and their rows become uncounted weight; the value
 * heavy in every part stays exact, and every stored value brackets its count.
 */
static void
test_merge_overflow(void)
{
	enum
	{
		PARTS = 3, ROWS = 40000, LOCAL = 200
	};
	static double x[PARTS][ROWS];
	Stored		parts[PARTS];
	Stored		merged;
	int			order[PARTS] = {0, 1, 2};
	size_t		common = 0;
	double		missed;
	bool		ok = true;
	bool		coarse = true;

	rng_state = 99;
	for (int p = 0; p < PARTS; p++)
	{
		for (int i = 0; i < ROWS; i++)
		{
			double		u = rng_unif();

			if (u < 0.05)
			{
				x[p][i] = 7.77;
				common++;
			}
			else if (u < 0.95)
				x[p][i] = 1000.0 * (p + 1) + (double) (rng_next() % LOCAL);
			else
				x[p][i] = rng_unif() * 1e6;
		}
		/* a small table, so that a few thousand distinct values coarsen it */
		summarize_cap(x[p], ROWS, 1024, &parts[p]);
		coarse = coarse && parts[p].shift > 0 && parts[p].nheavy > LOCAL / 2;
	}
	tap_ok(coarse, "merge overflow: each part is coarse with more than 100 heavy values");
	rollup(parts, order, PARTS, &merged);
	tap_ok(heavy_weight(&merged, 7.77, &missed) == (double) common && missed == 0.0,
		   "merge overflow: the value heavy everywhere stays exact");
	for (size_t i = 0; i < merged.nheavy; i++)
	{
		size_t		truth = 0;

		for (int p = 0; p < PARTS; p++)
			for (int j = 0; j < ROWS; j++)
				truth += x[p][j] == merged.heavy[i].value;
		ok = ok && merged.heavy[i].weight <= (double) truth
			&& (double) truth <= merged.heavy[i].weight + merged.heavy[i].missed;
	}
	tap_ok(ok, "merge overflow: every stored value brackets its true count");
	for (int p = 0; p < PARTS; p++)
		free(parts[p].b);
	free(merged.b);
}

/* Text and binary forms carry the table; validation refuses bad ones. */
static void
test_forms_and_validation(void)
{
	size_t		n = 200000;
	size_t		n999;
	size_t		n100;
	double	   *x = money_column(n, 11, &n999, &n100);
	Stored		s;
	char	   *text;
	size_t		len;
	int			shift;
	VgmSummaryCounts c;
	VgmBucket  *b;
	size_t		nb;
	VgmHeavy   *h;
	size_t		nh;
	char		msg[256];
	char		detail[256];
	int			rc;
	uint8_t    *bin;
	VgmSummaryWireHead head;
	VgmBucket  *bb;
	VgmHeavy	hb[VGM_HEAVY_MAX];

	summarize(x, n, &s);
	len = vgm_summary_format(s.shift, &s.counts, s.b, s.n, s.heavy, s.nheavy, NULL, 0);
	text = malloc(len + 1);
	vgm_summary_format(s.shift, &s.counts, s.b, s.n, s.heavy, s.nheavy, text, len + 1);
	tap_ok(strncmp(text, "{\"version\":2,", 13) == 0 && strstr(text, "\"heavy\":[[") != NULL,
		   "text: a summary with a table is version 2 with a \"heavy\" field");
	rc = vgm_summary_parse(text, len, &shift, &c, &b, &nb, &h, &nh, &plain, msg, sizeof(msg),
						   detail, sizeof(detail));
	tap_ok(rc == VGM_SUMMARY_OK && nh == s.nheavy && memcmp(h, s.heavy, nh * sizeof(VgmHeavy)) == 0,
		   "text: the table reads back exactly");
	free(b);
	free(h);
	free(text);

	len = vgm_summary_format_packed(s.shift, &s.counts, s.b, s.n, s.heavy, s.nheavy, NULL, 0);
	text = malloc(len + 1);
	vgm_summary_format_packed(s.shift, &s.counts, s.b, s.n, s.heavy, s.nheavy, text, len + 1);
	rc = vgm_summary_parse(text, len, &shift, &c, &b, &nb, &h, &nh, &plain, msg, sizeof(msg),
						   detail, sizeof(detail));
	tap_ok(rc == VGM_SUMMARY_OK && nh == s.nheavy && memcmp(h, s.heavy, nh * sizeof(VgmHeavy)) == 0,
		   "packed text: the table reads back exactly");
	free(b);
	free(h);
	free(text);

	len = vgm_summary_binary_size(s.n, s.nheavy);
	bin = malloc(len);
	vgm_summary_encode(s.shift, &s.counts, s.b, s.n, s.heavy, s.nheavy, bin);
	rc = vgm_summary_decode_head(bin, len, &head, msg, sizeof(msg), detail, sizeof(detail));
	bb = malloc(head.n * sizeof(VgmBucket));
	if (rc == VGM_BINARY_OK)
		rc = vgm_summary_decode_body(bin, len, &head, bb, hb, msg, sizeof(msg), detail, sizeof(detail));
	tap_ok(rc == VGM_BINARY_OK && head.version == 2 && head.nheavy == s.nheavy
		   && memcmp(hb, s.heavy, s.nheavy * sizeof(VgmHeavy)) == 0,
		   "binary: version 2 carries the table exactly");
	rc = vgm_summary_decode_head(bin, len - 24, &head, msg, sizeof(msg), detail, sizeof(detail));
	tap_ok(rc == VGM_BINARY_ERR_INVALID, "binary: a table shorter than its count is refused");
	free(bb);
	free(bin);

	/* validation of bad tables */
	{
		VgmHeavy	bad[2] = {s.heavy[0], s.heavy[0]};

		tap_ok(vgm_heavy_validate(s.shift, s.b, s.n, bad, 2, msg, sizeof(msg), detail, sizeof(detail))
			   == VGM_SUMMARY_ERR_RANGE && strstr(msg, "not sorted") != NULL,
			   "validate: duplicated values refused");
		bad[1].value = s.counts.max * 4.0 + 1.0;
		tap_ok(vgm_heavy_validate(s.shift, s.b, s.n, bad, 2, msg, sizeof(msg), detail, sizeof(detail))
			   == VGM_SUMMARY_ERR_RANGE && strstr(msg, "outside the buckets") != NULL,
			   "validate: a value in no bucket refused");
		bad[0].weight = -1.0;
		tap_ok(vgm_heavy_validate(s.shift, s.b, s.n, bad, 1, msg, sizeof(msg), detail, sizeof(detail))
			   == VGM_SUMMARY_ERR_RANGE && strstr(msg, "bad heavy weight") != NULL,
			   "validate: a negative weight refused");
		bad[0] = s.heavy[0];
		bad[0].weight = (double) s.counts.rows;
		tap_ok(vgm_heavy_validate(s.shift, s.b, s.n, bad, 1, msg, sizeof(msg), detail, sizeof(detail))
			   == VGM_SUMMARY_ERR_RANGE && strstr(msg, "exceed their bucket") != NULL,
			   "validate: a weight above its bucket's refused");
		tap_ok(vgm_heavy_validate(0, s.b, s.n, s.heavy, 1, msg, sizeof(msg), detail, sizeof(detail))
			   == VGM_SUMMARY_ERR_RANGE, "validate: no table at shift 0");
		bad[0] = s.heavy[0];
		bad[0].value = -0.0;
		tap_ok(vgm_heavy_validate(s.shift, s.b, s.n, bad, 1, msg, sizeof(msg), detail, sizeof(detail))
			   == VGM_SUMMARY_ERR_RANGE, "validate: -0 refused (zero is written 0)");
	}
	{
		const char *v2_without = "{\"version\":2,\"shift\":0,\"rows\":1,\"nulls\":0,\"nans\":0,\"pos_infs\":0,"
			"\"neg_infs\":0,\"min\":1,\"max\":1,\"buckets\":[[4607182418800017409,1,1,0,0,0]]}";
		const char *v1_with = "{\"version\":1,\"shift\":0,\"rows\":1,\"nulls\":0,\"nans\":0,\"pos_infs\":0,"
			"\"neg_infs\":0,\"min\":1,\"max\":1,\"buckets\":[[4607182418800017409,1,1,0,0,0]],\"heavy\":[]}";

		rc = vgm_summary_parse(v2_without, strlen(v2_without), &shift, &c, &b, &nb, &h, &nh, NULL,
							   msg, sizeof(msg), detail, sizeof(detail));
		tap_ok(rc == VGM_SUMMARY_ERR_FIELD, "text: version 2 without heavy values refused");
		rc = vgm_summary_parse(v1_with, strlen(v1_with), &shift, &c, &b, &nb, &h, &nh, NULL,
							   msg, sizeof(msg), detail, sizeof(detail));
		tap_ok(rc == VGM_SUMMARY_ERR_FIELD, "text: a \"heavy\" field in version 1 refused");
	}
	free(s.b);
	free(x);
}

/* Taking atoms out of the buckets leaves exactly the other rows. */
static void
test_atoms(void)
{
	size_t		n = 200000;
	size_t		n999;
	size_t		n100;
	double	   *x = money_column(n, 5, &n999, &n100);
	double	   *rest = malloc(n * sizeof(double));
	size_t		nrest = 0;
	Stored		s;
	Stored		r;
	VgmHeavy	atoms[16];
	size_t		na;
	VgmMoments	got;
	VgmMoments	want;
	VgmBucket  *copy;
	size_t		nc;

	summarize(x, n, &s);
	na = vgm_atoms_select(s.shift, s.b, s.n, s.heavy, s.nheavy, 0.01, 16, atoms);
	tap_ok(na == 2 && atoms[0].value == 9.99 && atoms[0].weight == (double) n999
		   && atoms[1].value == 100.0 && atoms[1].weight == (double) n100,
		   "atoms: the two heaps above 1 %, sorted by value, with exact weights");
	tap_ok(vgm_atoms_select(s.shift, s.b, s.n, s.heavy, s.nheavy, 0.01, 1, atoms) == 1
		   && atoms[0].value == 9.99, "atoms: the cap keeps the heaviest");
	na = vgm_atoms_select(s.shift, s.b, s.n, s.heavy, s.nheavy, 0.01, 16, atoms);
	copy = malloc(s.n * sizeof(VgmBucket));
	memcpy(copy, s.b, s.n * sizeof(VgmBucket));
	nc = vgm_atoms_remove(copy, s.n, s.shift, atoms, na);
	for (size_t i = 0; i < n; i++)
		if (x[i] != 9.99 && x[i] != 100.0)
			rest[nrest++] = x[i];
	summarize(rest, nrest, &r);
	vgm_buckets_moments(copy, nc, &got);
	vgm_buckets_moments(r.b, r.n, &want);
	tap_ok(got.weight == (double) nrest, "atoms: the buckets keep the weight of the other rows");
	tap_ok(tap_close(got.mean, want.mean, 1e-12, 0) && tap_close(got.m2, want.m2, 1e-9, 0)
		   && tap_close(got.m4, want.m4, 1e-6, 0),
		   "atoms: mean and spread of the other rows, as if summarized without the heaps");

	/* at shift 0 the buckets are the values: atoms are exact, their buckets go */
	{
		double		small[] = {1, 1, 1, 2, 3, 3, 4, 5, 6, 7};
		Stored		z;

		summarize(small, 10, &z);
		na = vgm_atoms_select(z.shift, z.b, z.n, z.heavy, z.nheavy, 0.2, 16, atoms);
		tap_ok(z.shift == 0 && na == 2 && atoms[0].value == 1.0 && atoms[0].weight == 3.0
			   && atoms[1].value == 3.0 && atoms[1].weight == 2.0,
			   "atoms: at shift 0 from the buckets, exact");
		nc = vgm_atoms_remove(z.b, z.n, z.shift, atoms, na);
		tap_ok(nc == z.n - 2, "atoms: at shift 0 an atom's bucket is removed whole");
		free(z.b);
	}
	free(copy);
	free(s.b);
	free(r.b);
	free(rest);
	free(x);
}

int
main(void)
{
	test_exact_and_mergeable();
	test_bounds_on_overflow();
	test_merge_overflow();
	test_forms_and_validation();
	test_atoms();
	return tap_done();
}
