/*
 * test_heavy_core.c - the heavy-value table of vgm_summary (heavy_core.c and
 * its accumulator side in summary_core.c): exact counts on heaped columns,
 * the same table whatever the split and merge order, valid bounds when the
 * table overflows, the text and binary forms, validation of bad tables, the
 * atoms a fit takes out of the buckets, the spike rule that decides which
 * heavy values are atoms, and the treatment of late heavy values.
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
	len = vgm_summary_format(false, s.shift, &s.counts, s.b, s.n, s.heavy, s.nheavy, NULL, 0);
	text = malloc(len + 1);
	vgm_summary_format(false, s.shift, &s.counts, s.b, s.n, s.heavy, s.nheavy, text, len + 1);
	tap_ok(strncmp(text, "{\"version\":2,", 13) == 0 && strstr(text, "\"heavy\":[[") != NULL,
		   "text: a summary with a table is version 2 with a \"heavy\" field");
	rc = vgm_summary_parse(text, len, &shift, &c, &b, &nb, &h, &nh, &plain, msg, sizeof(msg),
						   detail, sizeof(detail));
	tap_ok(rc == VGM_SUMMARY_OK && nh == s.nheavy && memcmp(h, s.heavy, nh * sizeof(VgmHeavy)) == 0,
		   "text: the table reads back exactly");
	free(b);
	free(h);
	free(text);

	len = vgm_summary_format(true, s.shift, &s.counts, s.b, s.n, s.heavy, s.nheavy, NULL, 0);
	text = malloc(len + 1);
	vgm_summary_format(true, s.shift, &s.counts, s.b, s.n, s.heavy, s.nheavy, text, len + 1);
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
	na = vgm_atoms_select(s.shift, s.b, s.n, s.heavy, s.nheavy, (double) n, 0.01, 16, atoms, NULL);
	tap_ok(na == 2 && atoms[0].value == 9.99 && atoms[0].weight == (double) n999
		   && atoms[1].value == 100.0 && atoms[1].weight == (double) n100,
		   "atoms: the two heaps above 1 %, sorted by value, with exact weights");
	tap_ok(vgm_atoms_select(s.shift, s.b, s.n, s.heavy, s.nheavy, (double) n, 0.01, 1, atoms, NULL) == 1
		   && atoms[0].value == 9.99, "atoms: the cap keeps the heaviest");
	na = vgm_atoms_select(s.shift, s.b, s.n, s.heavy, s.nheavy, (double) n, 0.01, 16, atoms, NULL);
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
		double		small[100];
		Stored		z;

		/* 30 rows of 1, 20 of 3, 10 each of 2, 4, 5, 6, 7: a discrete column */
		for (int i = 0; i < 100; i++)
			small[i] = i < 30 ? 1 : i < 50 ? 3 : (double) (2 + (i - 50) / 10 + ((i - 50) / 10 >= 1));
		summarize(small, 100, &z);
		na = vgm_atoms_select(z.shift, z.b, z.n, z.heavy, z.nheavy, 100.0, 0.2, 16, atoms, NULL);
		tap_ok(z.shift == 0 && z.n == 7 && na == 2 && atoms[0].value == 1.0 && atoms[0].weight == 30.0
			   && atoms[1].value == 3.0 && atoms[1].weight == 20.0,
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

/* Summarize x[0..n) and select its atoms at share 0.01, 16 at most. */
static size_t
select_atoms(const double *x, size_t n, VgmHeavy *atoms, VgmAtomsRefused *refused, Stored *s)
{
	summarize(x, n, s);
	return vgm_atoms_select(s->shift, s->b, s->n, s->heavy, s->nheavy, (double) n, 0.01, 16,
							atoms, refused);
}

/*
 * The spike rule: a value with the share must also stand out from its
 * neighbours, with enough rows, unless the column is discrete.
 */
static void
test_spike_rule(void)
{
	size_t		n = 100000;
	double	   *x = malloc(n * sizeof(double));
	size_t		n18 = 0;
	size_t		ones = 0;
	VgmHeavy	atoms[16];
	VgmAtomsRefused refused;
	Stored		s;
	size_t		na;

	/* integer ages: 30 values above 1 %, one genuine spike from clamping at 18 */
	rng_state = 11;
	for (size_t i = 0; i < n; i++)
	{
		x[i] = fmax(18.0, fmin(90.0, round(40.0 + 13.0 * rng_normal())));
		n18 += x[i] == 18.0;
	}
	na = select_atoms(x, n, atoms, &refused, &s);
	tap_ok(s.shift == 0 && na == 1 && atoms[0].value == 18.0 && atoms[0].weight == (double) n18,
		   "spike rule: integer ages keep only the clamped 18, exactly");
	tap_ok(refused.not_spikes >= 20 && refused.inexact == 0,
		   "spike rule: the smooth ages above 1 % are refused as no spikes");
	free(s.b);

	/* a small table of distinct values: each holds 1.2 %, none is a spike */
	for (size_t i = 0; i < 82; i++)
		x[i] = 9000.0 + 150.0 * (double) i + (double) (i % 7);
	na = select_atoms(x, 82, atoms, &refused, &s);
	tap_ok(na == 0 && refused.not_spikes == 82, "spike rule: 82 rows of distinct values give no atoms");
	free(s.b);

	/* ratings 1-5: discrete, every value is an atom and the model is exact */
	rng_state = 12;
	for (size_t i = 0; i < n; i++)
	{
		double		u = rng_unif();

		x[i] = u < 0.05 ? 1 : u < 0.13 ? 2 : u < 0.30 ? 3 : u < 0.65 ? 4 : 5;
		ones += x[i] == 1.0;
	}
	na = select_atoms(x, n, atoms, &refused, &s);
	tap_ok(na == 5 && atoms[0].value == 1.0 && atoms[0].weight == (double) ones && atoms[4].value == 5.0,
		   "spike rule: a column of five values is discrete: five exact atoms");
	free(s.b);
	na = select_atoms(x, 19, atoms, &refused, &s);
	tap_ok(na == 0, "spike rule: below 20 rows no value is an atom, even in a discrete column");
	free(s.b);

	/* a spike beside a spike: the median of the neighbours ignores it */
	rng_state = 13;
	for (size_t i = 0; i < n; i++)
	{
		double		u = rng_unif();

		x[i] = u < 0.09 ? 9.99 : u < 0.15 ? 10.0 : round(100.0 * (10.0 + 3.0 * rng_normal())) / 100.0;
	}
	na = select_atoms(x, n, atoms, &refused, &s);
	tap_ok(na == 2 && atoms[0].value == 9.99 && atoms[1].value == 10.0,
		   "spike rule: neighbouring heaps 9.99 and 10.00 are both atoms");
	free(s.b);
	free(x);
}

/*
 * A value that turns heavy only after the summary coarsened has a bound,
 * not a count: it is an atom only when the bound is at most 0.1 % of the
 * total (then with its counted weight), else it is refused.
 */
static void
test_late_heavy(void)
{
	size_t		n = 400000;
	double	   *x = malloc(n * sizeof(double));
	VgmHeavy	atoms[16];
	VgmAtomsRefused refused;
	Stored		s;
	double		missed;
	size_t		na;
	size_t		late = 0;

	/* continuous values, and 555.5 in 20 % of the last 60,000 rows */
	rng_state = 21;
	for (size_t i = 0; i < n; i++)
	{
		bool		spike = i >= n - 60000 && rng_unif() < 0.2;

		x[i] = spike ? 555.5 : rng_normal() * 300.0 + 500.0;
		late += spike;
	}
	na = select_atoms(x, n, atoms, &refused, &s);
	tap_ok(s.shift > 0 && heavy_weight(&s, 555.5, &missed) > 0.0 && missed > 0.001 * (double) n,
		   "late heavy: the table holds a bound wider than 0.1 % of the rows");
	{
		double		counted = heavy_weight(&s, 555.5, &missed);

		printf("# late in the last 60000: na %zu, inexact %zu, not spikes %zu, counted %.0f, missed %.0f, true %zu\n",
			   na, refused.inexact, refused.not_spikes, counted, missed, late);
	}
	tap_ok(na == 0 && refused.inexact == 1 && refused.inexact_value == 555.5
		   && refused.inexact_weight + refused.inexact_missed >= (double) late,
		   "late heavy: a wide bound is refused as an atom and reported");
	free(s.b);

	/* the same value from row 70,000 on: its bound is small against the total */
	rng_state = 22;
	late = 0;
	for (size_t i = 0; i < n; i++)
	{
		bool		spike = i >= 70000 && rng_unif() < 0.05;

		x[i] = spike ? 555.5 : rng_normal() * 300.0 + 500.0;
		late += spike;
	}
	na = select_atoms(x, n, atoms, &refused, &s);
	tap_ok(s.shift > 0 && na == 1 && atoms[0].value == 555.5 && atoms[0].missed > 0.0
		   && atoms[0].weight <= (double) late && atoms[0].weight + atoms[0].missed >= (double) late
		   && refused.inexact == 0,
		   "late heavy: a bound within 0.1 % keeps the atom at its counted weight");
	printf("# late from row 70000: counted %.0f, missed %.0f, true %zu\n",
		   atoms[0].weight, atoms[0].missed, late);
	free(s.b);
	free(x);
}

/*
 * The lattice candidates of an exact summary: every value with the share
 * and 20 rows, spike or not, the heaviest up to the cap, sorted by value;
 * none from a coarsened summary.
 */
static void
test_lattice_candidates(void)
{
	size_t		n = 100000;
	double	   *x = malloc(n * sizeof(double));
	VgmHeavy	atoms[16];
	Stored		s;
	size_t		na;
	size_t		spikes;
	double		count50 = 0.0;
	bool		sorted = true;
	bool		heavy_enough = true;

	/* ages: 30 values above 1 %, all of them lattice candidates; the heaviest 16 kept (the clamp at 18 and the middle ages) */
	rng_state = 31;
	for (size_t i = 0; i < n; i++)
		x[i] = fmax(18.0, fmin(90.0, round(40.0 + 13.0 * rng_normal())));
	spikes = select_atoms(x, n, atoms, NULL, &s);
	na = vgm_atoms_select_lattice(s.shift, s.b, s.n, (double) n, 0.01, 16, atoms);
	for (size_t i = 1; i < na; i++)
		sorted = sorted && atoms[i - 1].value < atoms[i].value;
	for (size_t i = 0; i < na; i++)
		heavy_enough = heavy_enough && atoms[i].weight >= 0.01 * n
			&& (atoms[i].value == 18.0 || (atoms[i].value >= 25 && atoms[i].value <= 55));
	tap_ok(spikes == 1 && na == 16 && sorted && heavy_enough,
		   "lattice candidates: 16 of the ages above 1 %, the heaviest, by value (the spike rule finds 1)");
	free(s.b);

	/* credit limits in multiples of 10,000, each weight exact */
	rng_state = 32;
	for (size_t i = 0; i < n; i++)
	{
		x[i] = 10000.0 * fmax(1.0, round(exp(2.8 + 0.8 * rng_normal())));
		count50 += x[i] == 50000.0;
	}
	summarize(x, n, &s);
	na = vgm_atoms_select_lattice(s.shift, s.b, s.n, (double) n, 0.01, 16, atoms);
	heavy_enough = false;
	for (size_t i = 0; i < na; i++)
		heavy_enough = heavy_enough || (atoms[i].value == 50000.0 && atoms[i].weight == count50);
	tap_ok(s.shift == 0 && na == 16 && heavy_enough,
		   "lattice candidates: credit limits give 16 with exact weights");
	free(s.b);

	/* a small table: no value reaches 20 rows */
	na = vgm_atoms_select_lattice(0, NULL, 0, 0.0, 0.01, 16, atoms);
	tap_ok(na == 0, "lattice candidates: an empty summary has none");
	summarize(x, 300, &s);
	na = vgm_atoms_select_lattice(s.shift, s.b, s.n, 300.0, 0.01, 16, atoms);
	tap_ok(na == 0, "lattice candidates: 300 rows, no value with 20 rows: none");
	free(s.b);

	/* a coarsened summary's buckets are not values: none */
	rng_state = 33;
	for (size_t i = 0; i < n; i++)
		x[i] = exp(3.0 + rng_normal());
	summarize_cap(x, n, 1024, &s);
	na = vgm_atoms_select_lattice(s.shift, s.b, s.n, (double) n, 0.001, 16, atoms);
	tap_ok(s.shift > 0 && na == 0, "lattice candidates: a coarsened summary has none");
	free(s.b);
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
	test_spike_rule();
	test_late_heavy();
	test_lattice_candidates();
	return tap_done();
}
