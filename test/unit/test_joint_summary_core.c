/*
 * test_joint_summary_core.c - unit tests of the one-pass joint summary
 * (src/joint_summary_core.c): keys and re-keying, the cells against a
 * brute-force regrouping of the rows, exact merging of split inputs,
 * independence of row order, the canonical (smallest fitting) resolution
 * under the cap, global moments, the points the engine gets, the text and
 * binary forms (round trips, hostile inputs, truncation at every byte) and
 * memory balance.
 *
 * Every allocation of the core goes through a counting allocator; the test
 * checks that nothing stays allocated.  Reference moments are two-pass sums
 * in long double.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counting_alloc.h"
#include "joint_summary_core.h"
#include "rng.h"
#include "tap.h"

/* ------------------------------------------------------------------------
 * A counting allocator
 * ------------------------------------------------------------------------ */

static CountingAlloc blocks = {0, 0, 0, -1, 0};	/* never fails */
static const VgmAllocator counting = {counting_alloc, counting_release, &blocks};

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

/* An exported summary that owns its arrays. */
typedef struct Owned
{
	VgmJointSummaryView v;
	int64_t    *keys;
	double	   *stats;
	int64_t    *values;
	size_t		total_values;	/* of the exact columns, as vgm_joint_acc_values counts */
} Owned;

/* Export an accumulator into an Owned summary. */
static int
export_owned(const VgmJointAcc *acc, Owned *o)
{
	int			d = acc->d;
	int			status;

	memset(o, 0, sizeof(*o));
	o->keys = malloc(((size_t) acc->n + 1) * (d + 1) * sizeof(int64_t));
	o->stats = malloc(((size_t) acc->n + 1) * VGM_JOINT_STRIDE(d) * sizeof(double));
	status = vgm_joint_acc_export(acc, o->keys, o->stats, &o->v.n);
	o->v.d = d;
	o->v.shift = acc->shift;
	o->v.rows = acc->rows;
	o->v.skipped = acc->skipped;
	o->v.keys = o->keys;
	o->v.stats = o->stats;
	o->values = malloc((size_t) VGM_JOINT_MAX_DIMS * VGM_JOINT_EXACT_VALUES * sizeof(int64_t));
	if (d > 0)
		o->total_values = vgm_joint_acc_values(acc, o->values, o->v.nvalues);
	o->v.exact = acc->exact;
	o->v.values = o->values;
	vgm_joint_acc_range(acc, &o->v);
	return status;
}

/* Release an Owned summary's arrays. */
static void
owned_free(Owned *o)
{
	free(o->keys);
	free(o->stats);
	free(o->values);
}

/* Summarize rows[from .. to) (n x d, row-major) into a fresh accumulator. */
static void
summarize(VgmJointAcc *acc, const double *rows, int d, size_t from, size_t to)
{
	vgm_joint_acc_init(acc, &counting);
	vgm_joint_acc_set_dims(acc, d);
	for (size_t i = from; i < to; i++)
		vgm_joint_acc_add(acc, &rows[i * d]);
}

/* Largest relative difference of two summaries' stats; -1 if their cells differ. */
static double
summary_distance(const VgmJointSummaryView *a, const VgmJointSummaryView *b)
{
	double		worst = 0.0;
	int			stride = VGM_JOINT_STRIDE(a->d);

	if (a->d != b->d || a->shift != b->shift || a->n != b->n || a->rows != b->rows
		|| a->skipped != b->skipped || a->exact != b->exact
		|| memcmp(a->keys, b->keys, a->n * a->d * sizeof(int64_t)) != 0)
		return -1.0;
	/* the range: the exact minimum and maximum whatever the order, or none on both */
	if (a->has_range != b->has_range
		|| (a->has_range && (memcmp(a->col_min, b->col_min, a->d * sizeof(double)) != 0
							 || memcmp(a->col_max, b->col_max, a->d * sizeof(double)) != 0)))
		return -1.0;
	/* the exact columns' values, column after column */
	for (int j = 0, first = 0; j < a->d; j++)
	{
		if (!((a->exact >> j) & 1))
			continue;
		if (a->nvalues[j] != b->nvalues[j]
			|| (a->nvalues[j] > 0
				&& memcmp(a->values + first, b->values + first, a->nvalues[j] * sizeof(int64_t)) != 0))
			return -1.0;
		first += a->nvalues[j];
	}
	for (size_t c = 0; c < a->n; c++)
	{
		const double *sa = &a->stats[c * stride];
		const double *sb = &b->stats[c * stride];
		/* scale of the cell: its spread and its position */
		double		scale = 0.0;

		for (int j = 0; j < a->d; j++)
			scale = fmax(scale, fabs(sa[1 + j]));
		for (int t = 0; t < stride; t++)
		{
			double		ref = t == 0 ? sa[0] : t <= a->d ? scale
				: fmax(sa[0] * scale * scale * 1e-6, fabs(sa[t]));
			double		diff = fabs(sa[t] - sb[t]) / fmax(ref, 1e-300);

			worst = fmax(worst, diff);
		}
	}
	return worst;
}

/* Correlated rows: a mixture of three Gaussians in d columns of different scales. */
static double *
make_rows(size_t n, int d, uint64_t seed)
{
	double	   *x = malloc(n * d * sizeof(double));

	rng_state = seed;
	for (size_t i = 0; i < n; i++)
	{
		int			comp = (int) (rng_next() % 3);
		double		z = rng_normal();

		for (int j = 0; j < d; j++)
		{
			double		scale = pow(10.0, j % 4);

			x[i * d + j] = scale * (comp * 3.0 - 2.0 + 0.6 * z + 0.8 * rng_normal());
		}
	}
	return x;
}

/* Number of distinct key tuples of the rows at a shift (brute force by sorting). */
static int
cmp_tuple_d;

static int
cmp_tuple(const void *a, const void *b)
{
	const int64_t *x = a;
	const int64_t *y = b;

	for (int j = 0; j < cmp_tuple_d; j++)
		if (x[j] != y[j])
			return x[j] < y[j] ? -1 : 1;
	return 0;
}

static size_t
distinct_cells(const double *rows, size_t n, int d, int shift)
{
	int64_t    *k = malloc(n * d * sizeof(int64_t));
	size_t		distinct = 0;

	for (size_t i = 0; i < n * d; i++)
		k[i] = vgm_joint_key(rows[i], shift);
	cmp_tuple_d = d;
	qsort(k, n, d * sizeof(int64_t), cmp_tuple);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || cmp_tuple(&k[i * d], &k[(i - 1) * d]) != 0)
			distinct++;
	free(k);
	return distinct;
}


/* Distinct key tuples of the rows at the column shifts of level shift and exact set. */
static size_t
distinct_cells_exact(const double *rows, size_t n, int d, int shift, uint32_t exact)
{
	int64_t    *k = malloc(n * d * sizeof(int64_t));
	size_t		distinct = 0;

	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < d; j++)
			k[i * d + j] = vgm_joint_key(rows[i * d + j], vgm_joint_column_shift(shift, exact, j));
	cmp_tuple_d = d;
	qsort(k, n, d * sizeof(int64_t), cmp_tuple);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || cmp_tuple(&k[i * d], &k[(i - 1) * d]) != 0)
			distinct++;
	free(k);
	return distinct;
}

/*
 * Heaped rows: column 0 a level 1..16 (education), column 1 a skewed
 * amount, column 2 an hour 0..23, column 3 continuous and correlated with
 * the level; column 3 is heaped at 0 in a fifth of the rows.
 */
static double *
make_heaped_rows(size_t n, uint64_t seed)
{
	double	   *x = malloc(n * 4 * sizeof(double));

	rng_state = seed;
	for (size_t i = 0; i < n; i++)
	{
		double		level = 1.0 + (double) (rng_next() % 16);
		double		z = rng_normal();

		x[i * 4 + 0] = level;
		x[i * 4 + 1] = exp(3.0 + 0.1 * level + 0.7 * z);
		x[i * 4 + 2] = (double) (rng_next() % 24);
		x[i * 4 + 3] = rng_next() % 5 == 0 ? 0.0 : 40.0 + 2.0 * level + 5.0 * rng_normal();
	}
	return x;
}

/* ------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------ */

/* Keys: mirrored, zero apart, nested under re-keying, all one at shift 64. */
static void
test_keys(void)
{
	int			ok = 1;

	rng_state = 7;
	for (int i = 0; i < 20000; i++)
	{
		double		x = (rng_unif() - 0.5) * pow(10.0, (double) (rng_next() % 40) - 20.0);
		int			from = (int) (rng_next() % 65);
		int			to = from + (int) (rng_next() % (65 - from));

		ok &= vgm_joint_key(-x, from) == -vgm_joint_key(x, from);
		ok &= vgm_joint_rekey(vgm_joint_key(x, from), from, to) == vgm_joint_key(x, to);
	}
	tap_ok(ok, "keys: mirrored, and re-keying equals keying at the coarser shift");
	tap_ok(vgm_joint_key(0.0, 0) == 0 && vgm_joint_key(-0.0, 5) == 0
		   && vgm_joint_key(3.5, 64) == 0 && vgm_joint_key(-1e300, 64) == 0
		   && vgm_joint_key(2.0, 63) == 1 && vgm_joint_key(-2.0, 63) == -1,
		   "keys: zero has its own key, shift 63 keeps the sign, shift 64 one key");
}

/* The cells are exactly the rows grouped by their keys at the final shift. */
static void
test_cells_are_groups(void)
{
	const size_t n = 6000;
	const int	d = 3;
	double	   *rows = make_rows(n, d, 11);
	VgmJointAcc acc;
	Owned		o;
	double		worst = 0.0;
	size_t		found = 0;

	summarize(&acc, rows, d, 0, n);
	tap_ok(export_owned(&acc, &o) == VGM_JOINT_OK, "cells: export");
	tap_ok(o.v.n <= VGM_JOINT_SUMMARY_MAX_CELLS && o.v.n == acc.n && o.v.rows == (int64_t) n,
		   "cells: at most the cap, every row counted");
	for (size_t c = 0; c < o.v.n; c++)
	{
		const double *st = &o.v.stats[c * VGM_JOINT_STRIDE(d)];
		long double w = 0,
					s[3] = {0},
					m[3],
					sc[6] = {0};

		for (size_t i = 0; i < n; i++)
		{
			int			in = 1;

			for (int j = 0; j < d; j++)
				in &= vgm_joint_key(rows[i * d + j], o.v.shift) == o.v.keys[c * d + j];
			if (!in)
				continue;
			w += 1;
			for (int j = 0; j < d; j++)
				s[j] += rows[i * d + j];
		}
		found += (size_t) w;
		for (int j = 0; j < d; j++)
			m[j] = s[j] / w;
		for (size_t i = 0; i < n; i++)
		{
			int			in = 1;
			int			t = 0;

			for (int j = 0; j < d; j++)
				in &= vgm_joint_key(rows[i * d + j], o.v.shift) == o.v.keys[c * d + j];
			if (!in)
				continue;
			for (int a = 0; a < d; a++)
				for (int b = a; b < d; b++, t++)
					sc[t] += (rows[i * d + a] - m[a]) * (rows[i * d + b] - m[b]);
		}
		worst = fmax(worst, fabs(st[0] - (double) w));
		for (int j = 0; j < d; j++)
			worst = fmax(worst, fabs(st[1 + j] - (double) m[j]) / (1e-300 + fabsl(m[j]) + sqrtl(sc[vgm_joint_tri_index(d, j, j)] / w)));
		for (int t = 0; t < VGM_JOINT_TRI(d); t++)
		{
			/* scatter relative to the product of the two diagonal spreads */
			int			a = 0,
						b = 0,
						u = t;

			while (u >= d - a)
			{
				u -= d - a;
				a++;
			}
			b = a + u;
			worst = fmax(worst, fabs(st[1 + d + t] - (double) sc[t]) /
						 (1e-300 + sqrtl(sc[vgm_joint_tri_index(d, a, a)] * sc[vgm_joint_tri_index(d, b, b)]) + 1e-12L * w * fabsl(m[a] * m[b])));
		}
	}
	tap_ok(found == n, "cells: every row lies in exactly one cell");
	tap_ok(worst < 1e-10, "cells: weight, mean and scatter of every cell are those of its rows");
	printf("# %zu cells at shift %d, worst relative error %.3g\n", o.v.n, o.v.shift, worst);
	owned_free(&o);
	vgm_joint_acc_free(&acc);
	free(rows);
}

/* The shift is the smallest at which all rows fit in the cap. */
static void
test_canonical_shift(void)
{
	const size_t n = 50000;
	const int	d = 4;
	double	   *rows = make_rows(n, d, 12);
	VgmJointAcc acc;

	summarize(&acc, rows, d, 0, n);
	tap_ok(distinct_cells(rows, n, d, acc.shift) == acc.n
		   && acc.n <= vgm_joint_summary_cap(d)
		   && (acc.shift == 0 || distinct_cells(rows, n, d, acc.shift - 1) > vgm_joint_summary_cap(d)),
		   "cap: the final shift is the smallest at which every row fits in the cap");
	printf("# d=4, %zu rows: %u cells at shift %d\n", n, acc.n, acc.shift);
	vgm_joint_acc_free(&acc);
	free(rows);
}

/* Split into parts, summarize each, merge: the same cells as one pass, in any order. */
static void
test_merge_and_order(void)
{
	const size_t n = 40000;
	const int	d = 4;
	double	   *rows = make_rows(n, d, 13);
	double	   *shuffled = malloc(n * d * sizeof(double));
	VgmJointAcc whole,
				parts[4],
				merged,
				again;
	Owned		ow,
				op[4],
				om,
				oa;
	size_t		cut[5] = {0, 17, 9000, 31000, n};
	int			ok = 1;

	summarize(&whole, rows, d, 0, n);
	export_owned(&whole, &ow);
	vgm_joint_acc_init(&merged, &counting);
	for (int p = 0; p < 4; p++)
	{
		summarize(&parts[p], rows, d, cut[p], cut[p + 1]);
		export_owned(&parts[p], &op[p]);
	}
	/* merge in an order unlike the rows' */
	for (int p = 3; p >= 0; p--)
		ok &= vgm_joint_acc_merge(&merged, &op[(p + 2) % 4].v) == VGM_JOINT_OK;
	export_owned(&merged, &om);
	tap_ok(ok, "merge: four partial states merge");
	tap_ok(summary_distance(&ow.v, &om.v) >= 0 && summary_distance(&ow.v, &om.v) < 1e-9,
		   "merge: the merged parts equal the one-pass summary (same cells, stats within 1e-9)");
	printf("# merged vs one pass: %.3g\n", summary_distance(&ow.v, &om.v));

	/* reversed and interleaved row order */
	for (size_t i = 0; i < n; i++)
	{
		size_t		src = (i * 7919) % n;

		memcpy(&shuffled[i * d], &rows[src * d], d * sizeof(double));
	}
	summarize(&again, shuffled, d, 0, n);
	export_owned(&again, &oa);
	tap_ok(summary_distance(&ow.v, &oa.v) >= 0 && summary_distance(&ow.v, &oa.v) < 1e-9,
		   "order: permuted rows give the same cells and stats within 1e-9");
	printf("# permuted vs one pass: %.3g\n", summary_distance(&ow.v, &oa.v));

	/* a state at a coarser shift merged into a fine one */
	{
		VgmJointAcc fine,
					coarse;
		Owned		oc;
		int			shift_before;

		summarize(&fine, rows, d, 0, 100);
		summarize(&coarse, rows, d, 100, n);
		export_owned(&coarse, &oc);
		shift_before = fine.shift;
		vgm_joint_acc_merge(&fine, &oc.v);
		tap_ok(shift_before < oc.v.shift && fine.shift == whole.shift && fine.n == whole.n,
			   "merge: a fine state coarsens to the other's shift and lands on the one-pass cells");
		owned_free(&oc);
		vgm_joint_acc_free(&fine);
		vgm_joint_acc_free(&coarse);
	}

	/* global moments against two-pass long double sums */
	{
		double		w,
					mean[4],
					cov[16];
		long double m[4] = {0},
					c[16] = {0};
		double		worst = 0.0;

		vgm_joint_global_moments(&ow.v, &w, mean, cov);
		for (size_t i = 0; i < n; i++)
			for (int j = 0; j < d; j++)
				m[j] += rows[i * d + j];
		for (int j = 0; j < d; j++)
			m[j] /= n;
		for (size_t i = 0; i < n; i++)
			for (int a = 0; a < d; a++)
				for (int b = 0; b < d; b++)
					c[a * d + b] += (rows[i * d + a] - m[a]) * (rows[i * d + b] - m[b]);
		for (int a = 0; a < d; a++)
		{
			worst = fmax(worst, fabs(mean[a] - (double) m[a]) / sqrt((double) c[a * d + a] / n));
			for (int b = 0; b < d; b++)
				worst = fmax(worst, fabs(cov[a * d + b] - (double) (c[a * d + b] / n)) /
							 sqrt((double) (c[a * d + a] * c[b * d + b])) * n);
		}
		tap_ok(w == (double) n && worst < 1e-12,
			   "moments: global mean and covariance within 1e-12 of two-pass sums");
		printf("# moments worst %.3g (in standard deviations / correlations)\n", worst);
	}

	/* the engine's points */
	{
		double	   *pw = malloc(ow.v.n * sizeof(double));
		double	   *pm = malloc(ow.v.n * d * sizeof(double));
		double	   *pc = malloc(ow.v.n * d * d * sizeof(double));
		VgmJointPoints pts;
		int			sym = 1;
		double		tw = 0.0;

		vgm_joint_summary_points(&ow.v, pw, pm, pc, &pts);
		for (size_t c = 0; c < pts.n; c++)
		{
			tw += pts.weight[c];
			for (int a = 0; a < d; a++)
				for (int b = 0; b < d; b++)
					sym &= pts.scatter[c * d * d + a * d + b] == pts.scatter[c * d * d + b * d + a];
		}
		tap_ok(pts.n == ow.v.n && pts.d == d && tw == (double) n && sym,
			   "points: one per cell, weights add up to the rows, symmetric covariances");
		free(pw);
		free(pm);
		free(pc);
	}

	owned_free(&ow);
	owned_free(&om);
	owned_free(&oa);
	for (int p = 0; p < 4; p++)
	{
		owned_free(&op[p]);
		vgm_joint_acc_free(&parts[p]);
	}
	vgm_joint_acc_free(&whole);
	vgm_joint_acc_free(&merged);
	vgm_joint_acc_free(&again);
	free(rows);
	free(shuffled);
}

/* d = 16 with random signs: the cap forces shift 64, one cell, exact moments. */
static void
test_sixteen_columns(void)
{
	const size_t n = 30000;
	const int	d = 16;
	double	   *rows = malloc(n * d * sizeof(double));
	VgmJointAcc acc;
	Owned		o;
	double		w,
				mean[16],
				cov[256];
	long double m0 = 0;

	rng_state = 99;
	for (size_t i = 0; i < n * d; i++)
		rows[i] = rng_normal();
	summarize(&acc, rows, d, 0, n);
	export_owned(&acc, &o);
	tap_ok(o.v.n <= VGM_JOINT_SUMMARY_MAX_CELLS && o.v.shift == 64 && o.v.n == 1,
		   "d=16: random signs in 16 columns end in the single cell of shift 64");
	vgm_joint_global_moments(&o.v, &w, mean, cov);
	for (size_t i = 0; i < n; i++)
		m0 += rows[i * d];
	tap_ok(fabs(mean[0] - (double) (m0 / n)) < 1e-13, "d=16: the single cell keeps the exact mean");
	owned_free(&o);
	vgm_joint_acc_free(&acc);
	free(rows);
}

/* Non-finite coordinates are refused and change nothing. */
static void
test_nonfinite(void)
{
	VgmJointAcc acc;
	double		good[2] = {1.0, 2.0};
	double		bad[2] = {1.0, NAN};
	double		inf[2] = {-INFINITY, 2.0};

	vgm_joint_acc_init(&acc, &counting);
	tap_ok(vgm_joint_acc_set_dims(&acc, 17) == VGM_JOINT_ERR_DIMS
		   && vgm_joint_acc_set_dims(&acc, 0) == VGM_JOINT_ERR_DIMS,
		   "dims: 0 and 17 columns are refused");
	vgm_joint_acc_set_dims(&acc, 2);
	vgm_joint_acc_add(&acc, good);
	tap_ok(vgm_joint_acc_add(&acc, bad) == VGM_JOINT_ERR_NONFINITE
		   && vgm_joint_acc_add(&acc, inf) == VGM_JOINT_ERR_NONFINITE
		   && acc.rows == 1 && acc.n == 1,
		   "nonfinite: NaN and infinities are refused and leave the state as it was");
	vgm_joint_acc_free(&acc);
}

/* Parse text into an Owned-like pair; returns the status. */
static int
parse(const char *text, VgmJointSummaryView *v, void **block, char *msg, char *detail)
{
	return vgm_joint_summary_parse(text, strlen(text), v, block, &counting, msg, 256, detail, 256);
}

/*
 * Per-column resolution: columns of at most VGM_JOINT_EXACT_VALUES values
 * stay exact, the cells are the rows grouped at the final column shifts,
 * the level is the smallest that fits, and the final state is the same for
 * permuted rows and for random splits merged in random orders (through the
 * text and binary forms too).
 */
static void
test_exact_columns(void)
{
	const size_t n = 60000;
	double	   *rows = make_heaped_rows(n, 21);
	VgmJointAcc acc;
	Owned		whole;
	char		msg[256],
				detail[256];
	bool		values_ok = true;

	summarize(&acc, rows, 4, 0, n);
	export_owned(&acc, &whole);
	tap_ok(acc.exact == 0x5 && whole.v.nvalues[0] == 16 && whole.v.nvalues[2] == 24,
		   "exact: the level (16 values) and the hour (24) stay exact, the continuous columns do not");
	for (int i = 0; i < 16; i++)
		values_ok &= vgm_joint_key_value(whole.v.values[i]) == (double) (i + 1);
	for (int i = 0; i < 24; i++)
		values_ok &= vgm_joint_key_value(whole.v.values[16 + i]) == (double) i;
	tap_ok(values_ok, "exact: the stored values are the columns' distinct values, ascending");
	tap_ok(distinct_cells_exact(rows, n, 4, acc.shift, acc.exact) == acc.n
		   && acc.n <= VGM_JOINT_SUMMARY_MAX_CELLS
		   && distinct_cells_exact(rows, n, 4, acc.shift - 1, acc.exact) > VGM_JOINT_SUMMARY_MAX_CELLS,
		   "exact: the cells are the rows grouped at the final column shifts, the smallest level that fits");
	tap_ok(vgm_joint_summary_validate(vgm_joint_summary_version(&whole.v), &whole.v, msg, 256, detail, 256)
		   == VGM_JOINT_OK, "exact: the export passes validation");
	printf("# heaped d=4, %zu rows: %zu cells at level %d, exact columns 0x%x\n",
		   n, whole.v.n, whole.v.shift, whole.v.exact);

	/* permutations: the same final state */
	{
		double	   *perm = malloc(n * 4 * sizeof(double));
		double		worst = 0.0;

		for (int r = 0; r < 3; r++)
		{
			VgmJointAcc pa;
			Owned		po;
			double		dist;

			memcpy(perm, rows, n * 4 * sizeof(double));
			rng_state = 100 + r;
			for (size_t i = n - 1; i > 0; i--)
			{
				size_t		k = rng_next() % (i + 1);
				double		tmp[4];

				memcpy(tmp, &perm[i * 4], sizeof(tmp));
				memcpy(&perm[i * 4], &perm[k * 4], sizeof(tmp));
				memcpy(&perm[k * 4], tmp, sizeof(tmp));
			}
			summarize(&pa, perm, 4, 0, n);
			export_owned(&pa, &po);
			dist = summary_distance(&whole.v, &po.v);
			worst = dist < 0 ? 1.0 : fmax(worst, dist);
			owned_free(&po);
			vgm_joint_acc_free(&pa);
		}
		tap_ok(worst < 1e-9, "exact: three permutations of the rows give the one-pass state");
		printf("# permutations vs one pass: %.3g\n", worst);
		free(perm);
	}

	/* random splits, merged in random orders, some parts through the codecs */
	{
		double		worst = 0.0;

		for (int r = 0; r < 5; r++)
		{
			int			parts = 2 + r * 3;
			size_t		cut[32];
			int			order[32];
			VgmJointAcc all;
			Owned		mo;

			rng_state = 500 + r;
			cut[0] = 0;
			cut[parts] = n;
			for (int p = 1; p < parts; p++)
				cut[p] = rng_next() % n;
			/* sort the cuts (insertion sort; parts may be empty) */
			for (int p = 1; p < parts; p++)
				for (int q = p; q > 1 && cut[q] < cut[q - 1]; q--)
				{
					size_t		t = cut[q];

					cut[q] = cut[q - 1];
					cut[q - 1] = t;
				}
			for (int p = 0; p < parts; p++)
				order[p] = p;
			for (int p = parts - 1; p > 0; p--)
			{
				int			k = (int) (rng_next() % (uint64_t) (p + 1));
				int			t = order[p];

				order[p] = order[k];
				order[k] = t;
			}
			vgm_joint_acc_init(&all, &counting);
			for (int p = 0; p < parts; p++)
			{
				VgmJointAcc part;
				Owned		po;
				int			which = order[p];

				summarize(&part, rows, 4, cut[which], cut[which + 1]);
				export_owned(&part, &po);
				if (p % 3 == 1)
				{
					/* through the text form */
					JtOut		out;
					char	   *text;
					VgmJointSummaryView tv;
					void	   *block;

					jt_out_growable(&out, NULL, 64);
					vgm_joint_summary_write(&out, &po.v);
					text = jt_out_text(&out);
					if (parse(text, &tv, &block, msg, detail) == VGM_JOINT_OK)
						vgm_joint_acc_merge(&all, &tv);
					else
						worst = 1.0;
					vgm_mem_free(&counting, block);
					free(text);
				}
				else if (p % 3 == 2)
				{
					/* through the binary form */
					size_t		len = vgm_joint_summary_binary_size(&po.v);
					uint8_t    *bin = malloc(len);
					VgmJointSummaryView bv;
					int64_t    *keys = malloc((po.v.n + 1) * 4 * sizeof(int64_t));
					double	   *stats = malloc((po.v.n + 1) * VGM_JOINT_STRIDE(4) * sizeof(double));
					int64_t    *values = malloc(VGM_JOINT_MAX_DIMS * VGM_JOINT_EXACT_VALUES * sizeof(int64_t));

					vgm_joint_summary_encode(&po.v, bin);
					if (vgm_joint_summary_decode_head(bin, len, &bv, msg, 256, detail, 256) == VGM_JOINT_OK
						&& vgm_joint_summary_decode_body(bin, len, &bv, values, keys, stats, msg, 256, detail, 256) == VGM_JOINT_OK)
						vgm_joint_acc_merge(&all, &bv);
					else
						worst = 1.0;
					free(bin);
					free(keys);
					free(stats);
					free(values);
				}
				else
					vgm_joint_acc_merge(&all, &po.v);
				owned_free(&po);
				vgm_joint_acc_free(&part);
			}
			export_owned(&all, &mo);
			{
				double		dist = summary_distance(&whole.v, &mo.v);

				worst = dist < 0 ? 1.0 : fmax(worst, dist);
			}
			owned_free(&mo);
			vgm_joint_acc_free(&all);
		}
		tap_ok(worst < 1e-9, "exact: five random splits (2 to 14 parts) merged in random orders, through the codecs, give the one-pass state");
		printf("# splits vs one pass: %.3g\n", worst);
	}
	owned_free(&whole);
	vgm_joint_acc_free(&acc);

	/* the limit: 32 values stay exact, the 33rd takes the column out */
	{
		VgmJointAcc a32,
					a33;
		double		row[2];

		vgm_joint_acc_init(&a32, &counting);
		vgm_joint_acc_init(&a33, &counting);
		vgm_joint_acc_set_dims(&a32, 2);
		vgm_joint_acc_set_dims(&a33, 2);
		for (int i = 0; i < 33; i++)
		{
			row[0] = (double) i;
			row[1] = 0.5;
			if (i < VGM_JOINT_EXACT_VALUES)
				vgm_joint_acc_add(&a32, row);
			vgm_joint_acc_add(&a33, row);
		}
		tap_ok(a32.exact == 0x3 && a33.exact == 0x2,
			   "exact: 32 distinct values stay exact, the 33rd takes the column out for good");
		vgm_joint_acc_free(&a32);
		vgm_joint_acc_free(&a33);
	}

	/* a version 1 text still reads (no exact column) and merges */
	{
		VgmJointSummaryView v1;
		void	   *block;
		VgmJointAcc m;
		int			status = parse("{\"version\":1,\"d\":1,\"shift\":0,\"rows\":1,\"skipped_rows\":0,"
								   "\"cells\":[[[4607182418800017409],1,[1],[0]]]}", &v1, &block, msg, detail);

		vgm_joint_acc_init(&m, &counting);
		tap_ok(status == VGM_JOINT_OK && v1.exact == 0 && vgm_joint_acc_merge(&m, &v1) == VGM_JOINT_OK
			   && m.exact == 0 && m.n == 1 && m.rows == 1,
			   "version 1: a summary of one shift reads, has no exact column and merges");
		vgm_mem_free(&counting, block);
		vgm_joint_acc_free(&m);
	}
	free(rows);
}

/* Text and binary forms: round trips and hostile inputs. */
static void
test_codecs(void)
{
	const size_t n = 3000;
	const int	d = 3;
	double	   *rows = make_rows(n, d, 14);
	VgmJointAcc acc;
	Owned		o;
	JtOut		out;
	char	   *text;
	VgmJointSummaryView v;
	void	   *block;
	char		msg[256],
				detail[256];
	int			status;

	summarize(&acc, rows, d, 0, n);
	vgm_joint_acc_skip(&acc);
	export_owned(&acc, &o);
	jt_out_growable(&out, NULL, 64);
	vgm_joint_summary_write(&out, &o.v);
	text = jt_out_text(&out);
	status = parse(text, &v, &block, msg, detail);
	tap_ok(status == VGM_JOINT_OK && summary_distance(&o.v, &v) == 0.0,
		   "text: the written text parses back to the same bits");
	if (status != VGM_JOINT_OK)
		printf("# %s / %s\n", msg, detail);
	vgm_mem_free(&counting, block);

	/* binary round trip */
	{
		size_t		len = vgm_joint_summary_binary_size(&o.v);
		int64_t    *values = malloc((size_t) VGM_JOINT_MAX_DIMS * VGM_JOINT_EXACT_VALUES * sizeof(int64_t));
		uint8_t    *bin = malloc(len);
		VgmJointSummaryView b;
		int64_t    *keys = malloc(o.v.n * d * sizeof(int64_t));
		double	   *stats = malloc(o.v.n * VGM_JOINT_STRIDE(d) * sizeof(double));
		int			s1,
					s2 = -1,
					ok = 1;

		vgm_joint_summary_encode(&o.v, bin);
		s1 = vgm_joint_summary_decode_head(bin, len, &b, msg, 256, detail, 256);
		if (s1 == VGM_JOINT_OK)
			s2 = vgm_joint_summary_decode_body(bin, len, &b, values, keys, stats, msg, 256, detail, 256);
		tap_ok(s1 == VGM_JOINT_OK && s2 == VGM_JOINT_OK && summary_distance(&o.v, &b) == 0.0,
			   "binary: encode then decode gives the same bits");
		/* every shorter message fails before reading past its end */
		for (size_t cut = 0; cut < len; cut += (cut < 64 ? 1 : 97))
			ok &= vgm_joint_summary_decode_head(bin, cut, &b, msg, 256, detail, 256) != VGM_JOINT_OK;
		tap_ok(ok, "binary: truncated messages are refused by the head");
		/* a flipped weight breaks the row count */
		{
			double		w2 = 2.5;
			uint64_t	bits;

			memcpy(&bits, &w2, 8);
			bits = __builtin_bswap64(bits);
			memcpy(bin + VGM_JOINT_SUMMARY_WIRE_HEAD + d * 4 + o.total_values * 8 + (o.v.has_range ? d * 16 : 0)
				   + d * 8, &bits, 8);
			vgm_joint_summary_decode_head(bin, len, &b, msg, 256, detail, 256);
			tap_ok(vgm_joint_summary_decode_body(bin, len, &b, values, keys, stats, msg, 256, detail, 256)
				   == VGM_JOINT_ERR_RANGE && strstr(msg, "weight") != NULL,
				   "binary: a fractional weight is refused");
		}
		free(bin);
		free(keys);
		free(stats);
		free(values);
	}

	/* truncation of the text of 40 rows at every byte: an error, no leak */
	free(text);
	{
		VgmJointAcc small;
		Owned		os;

		summarize(&small, rows, d, 0, 40);
		export_owned(&small, &os);
		jt_out_growable(&out, NULL, 64);
		vgm_joint_summary_write(&out, &os.v);
		text = jt_out_text(&out);
		owned_free(&os);
		vgm_joint_acc_free(&small);
	}
	{
		int			ok = 1;
		size_t		len = strlen(text);

		for (size_t cut = 0; cut < len; cut++)
		{
			VgmJointSummaryView t;

			ok &= vgm_joint_summary_parse(text, cut, &t, &block, &counting, msg, 256, detail, 256) != VGM_JOINT_OK
				&& block == NULL;
		}
		/* the accumulator still holds its keys, stats, index and value tables */
		tap_ok(ok && blocks.live == (long) 4, "text: every truncation is an error and frees what it took");
	}
	free(text);

	/* hostile texts, each with the error it must give */
	{
		struct
		{
			const char *text;
			int			status;
			const char *needle;
		}			cases[] = {
			{"{\"version\":1,\"d\":2,\"shift\":0,\"rows\":1,\"skipped_rows\":0,\"cells\":[[[1,9218868437227405313],1,[1,2],[0,0,0]]]}",
			VGM_JOINT_ERR_RANGE, "key out of range"},
			{"{\"version\":4,\"d\":1,\"shift\":0,\"rows\":0,\"skipped_rows\":0,\"cells\":[]}",
			VGM_JOINT_ERR_VERSION, "version"},
			{"{\"version\":2,\"d\":1,\"shift\":0,\"rows\":0,\"skipped_rows\":0,\"cells\":[]}",
			VGM_JOINT_ERR_FIELD, "exact_values"},
			{"{\"version\":1,\"d\":1,\"shift\":0,\"exact_values\":[null],\"rows\":0,\"skipped_rows\":0,\"cells\":[]}",
			VGM_JOINT_ERR_FIELD, "exact_values"},
			{"{\"version\":2,\"d\":2,\"shift\":0,\"exact_values\":[null],\"rows\":0,\"skipped_rows\":0,\"cells\":[]}",
			VGM_JOINT_ERR_FIELD, "exact_values"},
			{"{\"version\":2,\"d\":1,\"shift\":0,\"exact_values\":[[2,1]],\"rows\":0,\"skipped_rows\":0,\"cells\":[]}",
			VGM_JOINT_ERR_RANGE, "out of order"},
			{"{\"version\":2,\"d\":1,\"shift\":0,\"exact_values\":[[0,-0]],\"rows\":0,\"skipped_rows\":0,\"cells\":[]}",
			VGM_JOINT_ERR_RANGE, "out of order"},
			{"{\"version\":2,\"d\":1,\"shift\":0,\"exact_values\":[[2]],\"rows\":1,\"skipped_rows\":0,\"cells\":[[[4607182418800017409],1,[1],[0]]]}",
			VGM_JOINT_ERR_RANGE, "unlisted value"},
			{"{\"version\":2,\"d\":1,\"shift\":0,\"exact_values\":[[1]],\"rows\":1,\"skipped_rows\":0,\"cells\":[[[4607182418800017409],1,[1.5],[0]]]}",
			VGM_JOINT_ERR_RANGE, "unlisted value"},
			{"{\"version\":2,\"d\":1,\"shift\":0,\"exact_values\":[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33]],\"rows\":0,\"skipped_rows\":0,\"cells\":[]}",
			VGM_JOINT_ERR_RANGE, "too many"},
			{"{\"version\":2,\"d\":1,\"shift\":0,\"exact_values\":[[1],[2]],\"rows\":0,\"skipped_rows\":0,\"cells\":[]}",
			VGM_JOINT_ERR_FIELD, "exact_values"},
			{"{\"version\":1,\"d\":17,\"shift\":0,\"rows\":0,\"skipped_rows\":0,\"cells\":[]}",
			VGM_JOINT_ERR_RANGE, "columns"},
			{"{\"version\":1,\"d\":1,\"shift\":77,\"rows\":0,\"skipped_rows\":0,\"cells\":[]}",
			VGM_JOINT_ERR_RANGE, "resolution"},
			{"{\"version\":1,\"d\":1,\"shift\":70,\"rows\":1,\"skipped_rows\":0,\"cells\":[[[1],1,[1],[0]]]}",
			VGM_JOINT_ERR_RANGE, "key out of range"},
			{"{\"version\":1,\"d\":1,\"shift\":64,\"rows\":3,\"skipped_rows\":0,\"cells\":[[[0],2,[1],[0.5]]]}",
			VGM_JOINT_ERR_RANGE, "add up"},
			{"{\"version\":1,\"d\":2,\"shift\":64,\"rows\":2,\"skipped_rows\":0,\"cells\":[[[0,0],2,[1,1],[1,5,1]]]}",
			VGM_JOINT_ERR_RANGE, "Cauchy"},
			{"{\"version\":1,\"d\":1,\"shift\":64,\"rows\":1,\"skipped_rows\":0,\"cells\":[[[0],1,[1],[0.5]]]}",
			VGM_JOINT_ERR_RANGE, "scatter"},
			{"{\"version\":1,\"d\":1,\"shift\":63,\"rows\":2,\"skipped_rows\":0,\"cells\":[[[1],1,[1],[0]],[[1],1,[1],[0]]]}",
			VGM_JOINT_ERR_RANGE, "order"},
			{"{\"version\":1,\"d\":2,\"shift\":64,\"rows\":1,\"skipped_rows\":0,\"cells\":[[[0],1,[1],[0]]]}",
			VGM_JOINT_ERR_RANGE, "match the columns"},
			{"{\"version\":1,\"d\":1,\"shift\":63,\"rows\":2,\"skipped_rows\":0,\"cells\":[[[-1],1,[-1],[0]],[[1,1],1,[1],[0]]]}",
			VGM_JOINT_ERR_RANGE, "different lengths"},
			{"{\"version\":1,\"d\":1,\"shift\":64,\"rows\":1,\"skipped_rows\":-1,\"cells\":[[[0],1,[1],[0]]]}",
			VGM_JOINT_ERR_RANGE, "counts"},
			{"{\"version\":1,\"d\":1,\"shift\":64,\"rows\":1,\"skipped_rows\":0,\"cells\":[[[0],1,[NaN],[0]]]}",
			VGM_JOINT_ERR_SYNTAX, "syntax"},
			{"{\"version\":1,\"d\":1,\"shift\":64,\"rows\":1,\"cells\":[[[0],1,[1],[0]]]}",
			VGM_JOINT_ERR_FIELD, "skipped_rows"},
			{"{\"version\":1,\"d\":1,\"shift\":64,\"rows\":1,\"skipped_rows\":0,\"cells\":[],\"x\":1}",
			VGM_JOINT_ERR_FIELD, "x"},
			{"{\"version\":1,\"d\":0,\"shift\":0,\"rows\":1,\"skipped_rows\":0,\"cells\":[]}",
			VGM_JOINT_ERR_RANGE, "without columns"},
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		{
			int			s = parse(cases[i].text, &v, &block, msg, detail);
			char		name[200];
			int			hit = strstr(msg, cases[i].needle) != NULL || strstr(detail, cases[i].needle) != NULL;

			snprintf(name, sizeof(name), "hostile text %zu: status %d and a message about \"%s\"",
					 i, cases[i].status, cases[i].needle);
			tap_ok(s == cases[i].status && hit && block == NULL, name);
			if (s == VGM_JOINT_OK)
				vgm_mem_free(&counting, block);
			if (s != cases[i].status || !hit)
				printf("# got %d: %s / %s\n", s, msg, detail);
		}
	}
	/* jsonb's key order (by length) parses as well */
	{
		const char *sorted = "{\"d\": 1, \"rows\": 2, \"cells\": [[[0], 2, [1.5], [0.5]]], \"shift\": 64, \"version\": 1, \"skipped_rows\": 4}";

		status = parse(sorted, &v, &block, msg, detail);
		tap_ok(status == VGM_JOINT_OK && v.rows == 2 && v.skipped == 4 && v.stats[1] == 1.5,
			   "text: fields in any order (jsonb's), with whitespace");
		vgm_mem_free(&counting, block);
	}
	owned_free(&o);
	vgm_joint_acc_free(&acc);
	free(rows);
}

/* The cap is a function of d: 16,384 cells up to d = 9, 8 MB of cells above, 4,096 at least. */
static void
test_cap_by_columns(void)
{
	uint32_t	smallest = UINT32_MAX;
	bool		budget = true;
	VgmJointSummaryView v = {0};
	char		msg[256];
	char		detail[512];
	int			status;

	for (int d = 1; d <= VGM_JOINT_MAX_DIMS; d++)
	{
		uint32_t	cap = vgm_joint_summary_cap(d);
		size_t		bytes = (size_t) cap * 8 * (d + VGM_JOINT_STRIDE(d));

		smallest = cap < smallest ? cap : smallest;
		if (cap > VGM_JOINT_SUMMARY_MIN_CAP && bytes > VGM_JOINT_SUMMARY_CELL_BUDGET)
			budget = false;
	}
	tap_ok(vgm_joint_summary_cap(4) == 16384 && vgm_joint_summary_cap(9) == 16384
		   && vgm_joint_summary_cap(10) < 16384 && vgm_joint_summary_cap(16) == 6204
		   && smallest >= 4096 && budget,
		   "cap: 16,384 cells to d = 9, within 8 MB of cells above (6,204 at d = 16), never below 4,096");
	/* one cell more than the cap of d = 16 is refused before the cells are read */
	v.d = 16;
	v.n = vgm_joint_summary_cap(16) + 1;
	status = vgm_joint_summary_validate(vgm_joint_summary_version(&v), &v, msg, sizeof(msg),
										detail, sizeof(detail));
	tap_ok(status == VGM_JOINT_ERR_RANGE && strstr(msg, "too many cells") && strstr(detail, "6204"),
		   "cap: a d = 16 summary of 6,205 cells is refused (too many cells, the limit named)");
	printf("# %s / %s\n", msg, detail);
}

/*
 * Exact columns past level 64: sixteen columns of 32 whole numbers each
 * keep too many tuples at level 64 (their keys are 12 bits finer), so the
 * level goes on to where they merge too; the state stays under the cap,
 * valid, and as one pass in any split.
 */
static void
test_exact_past_level_64(void)
{
	const size_t n = 60000;
	const int	d = 16;
	double	   *rows = malloc(n * d * sizeof(double));
	VgmJointAcc acc;
	VgmJointAcc part;
	Owned		o;
	Owned		p;
	char		msg[256];
	char		detail[512];
	int			status;

	rng_state = 64;
	for (size_t i = 0; i < n * d; i++)
		rows[i] = 1.0 + (double) (rng_next() % 32);
	summarize(&acc, rows, d, 0, n);
	export_owned(&acc, &o);
	status = vgm_joint_summary_validate(vgm_joint_summary_version(&o.v), &o.v, msg, sizeof(msg),
										detail, sizeof(detail));
	tap_ok(o.v.shift > 64 && o.v.n <= vgm_joint_summary_cap(d) && o.v.exact == 0xFFFF
		   && o.v.rows == (int64_t) n && status == VGM_JOINT_OK
		   && distinct_cells_exact(rows, n, d, o.v.shift, o.v.exact) == o.v.n
		   && distinct_cells_exact(rows, n, d, o.v.shift - 1, o.v.exact) > vgm_joint_summary_cap(d),
		   "exact columns: level past 64 when their tuples alone exceed the cap; smallest fitting level");
	printf("# d=16 exact, %zu rows: %zu cells at level %d\n", n, o.v.n, o.v.shift);
	/* two halves merged give the same cells */
	summarize(&part, rows, d, n / 2, n);
	{
		Owned		half;

		vgm_joint_acc_free(&acc);
		summarize(&acc, rows, d, 0, n / 2);
		export_owned(&part, &half);
		status = vgm_joint_acc_merge(&acc, &half.v);
		export_owned(&acc, &p);
		tap_ok(status == VGM_JOINT_OK && summary_distance(&o.v, &p.v) >= 0
			   && summary_distance(&o.v, &p.v) < 1e-10,
			   "exact columns past level 64: two halves merge to the one-pass cells");
		printf("# halves: %d %zu (%d, level %d) merged: %zu cells at level %d, distance %g\n",
			   status, half.v.n, half.v.shift, acc.shift, p.v.n, p.v.shift, summary_distance(&o.v, &p.v));
		owned_free(&half);
	}
	owned_free(&o);
	owned_free(&p);
	vgm_joint_acc_free(&part);
	vgm_joint_acc_free(&acc);
	free(rows);
}

/*
 * vgm_joint_summary_coarsen_to: at most the asked cells, the same rows and
 * global moments, and the cells of the rows grouped at the coarser level.
 */
static void
test_coarsen_to(void)
{
	const size_t n = 60000;
	const int	d = 4;
	double	   *rows = make_heaped_rows(n, 5);
	VgmJointAcc acc;
	Owned		o;
	VgmJointSummaryView c;
	void	   *block;
	double		w0,
				w1,
				m0[4],
				m1[4],
				c0[16],
				c1[16];
	double		worst = 0.0;
	int			status;

	summarize(&acc, rows, d, 0, n);
	export_owned(&acc, &o);
	status = vgm_joint_summary_coarsen_to(&o.v, 4096, &counting, &c, &block);
	vgm_joint_global_moments(&o.v, &w0, m0, c0);
	vgm_joint_global_moments(&c, &w1, m1, c1);
	for (int a = 0; a < d; a++)
	{
		worst = fmax(worst, fabs(m0[a] - m1[a]) / sqrt(c0[a * d + a]));
		for (int b = 0; b < d; b++)
			worst = fmax(worst, fabs(c0[a * d + b] - c1[a * d + b])
						 / sqrt(c0[a * d + a] * c0[b * d + b]));
	}
	tap_ok(status == VGM_JOINT_OK && o.v.n > 4096 && c.n <= 4096 && c.n > 1024
		   && c.shift > o.v.shift && c.rows == o.v.rows && w0 == w1 && worst < 1e-12
		   && distinct_cells_exact(rows, n, d, c.shift, o.v.exact) == c.n
		   && distinct_cells_exact(rows, n, d, c.shift - 1, o.v.exact) > 4096,
		   "coarsen_to: at most 4,096 cells, the smallest such level, the same rows and moments");
	printf("# coarsen_to: %zu cells at level %d -> %zu at %d, moments within %.2g\n",
		   o.v.n, o.v.shift, c.n, c.shift, worst);
	vgm_mem_free(&counting, block);
	/* a limit above the cells: the same cells */
	status = vgm_joint_summary_coarsen_to(&o.v, o.v.n, &counting, &c, &block);
	tap_ok(status == VGM_JOINT_OK && c.n == o.v.n && c.shift == o.v.shift
		   && memcmp(c.keys, o.v.keys, o.v.n * d * sizeof(int64_t)) == 0
		   && memcmp(c.stats, o.v.stats, o.v.n * VGM_JOINT_STRIDE(d) * sizeof(double)) == 0,
		   "coarsen_to: a limit the summary meets gives its cells unchanged");
	vgm_mem_free(&counting, block);
	owned_free(&o);
	vgm_joint_acc_free(&acc);
	free(rows);
}

/*
 * The range (format version 3): each column's exact minimum and maximum
 * over the rows, the same for any split merged in any order; a merge with
 * a summary of rows and no range (versions 1 and 2) knows none, one with a
 * summary without rows keeps it; a state whose range disagrees with its
 * exact values is refused.
 */
static void
test_range(void)
{
	const size_t n = 5000;
	const int	d = 3;
	double	   *rows = make_rows(n, d, 31);
	VgmJointAcc whole,
				left,
				right,
				merged;
	Owned		ow,
				ol,
				orr,
				om;
	bool		exact = true;
	char		msg[256],
				detail[256];

	summarize(&whole, rows, d, 0, n);
	export_owned(&whole, &ow);
	for (int j = 0; j < d; j++)
	{
		double		lo = rows[j],
					hi = rows[j];

		for (size_t i = 1; i < n; i++)
		{
			lo = rows[i * d + j] < lo ? rows[i * d + j] : lo;
			hi = rows[i * d + j] > hi ? rows[i * d + j] : hi;
		}
		exact &= ow.v.col_min[j] == lo && ow.v.col_max[j] == hi;
	}
	tap_ok(ow.v.has_range && exact && vgm_joint_summary_version(&ow.v) == VGM_JOINT_SUMMARY_FORMAT_VERSION_RANGE,
		   "range: each column's minimum and maximum over the rows, version 3");

	/* a split at 1,234 merged right into left: the same range */
	summarize(&left, rows, d, 0, 1234);
	summarize(&right, rows, d, 1234, n);
	export_owned(&right, &orr);
	vgm_joint_acc_merge(&left, &orr.v);
	export_owned(&left, &ol);
	tap_ok(summary_distance(&ow.v, &ol.v) >= 0.0, "range: a split merged back has the same range");

	/* a part with rows and no range: the merge knows none and is version 2 */
	orr.v.has_range = false;
	vgm_joint_acc_init(&merged, &counting);
	vgm_joint_acc_merge(&merged, &orr.v);
	export_owned(&merged, &om);
	tap_ok(!om.v.has_range && vgm_joint_summary_version(&om.v) == VGM_JOINT_SUMMARY_FORMAT_VERSION
		   && vgm_joint_summary_validate(VGM_JOINT_SUMMARY_FORMAT_VERSION, &om.v, msg, 256, detail, 256) == VGM_JOINT_OK,
		   "range: a part with rows and no range leaves none, written as version 2");
	owned_free(&om);
	vgm_joint_acc_free(&merged);

	/* a part without rows (no range to know): the range stays */
	vgm_joint_acc_init(&merged, &counting);
	vgm_joint_acc_merge(&merged, &ow.v);
	{
		VgmJointSummaryView empty;

		memset(&empty, 0, sizeof(empty));
		empty.d = d;
		empty.skipped = 4;
		vgm_joint_acc_merge(&merged, &empty);
	}
	export_owned(&merged, &om);
	tap_ok(om.v.has_range && memcmp(om.v.col_min, ow.v.col_min, sizeof(double) * d) == 0,
		   "range: a part without rows keeps it");

	/* validation: the range must match the version and hold the values */
	tap_ok(vgm_joint_summary_validate(VGM_JOINT_SUMMARY_FORMAT_VERSION, &ow.v, msg, 256, detail, 256)
		   == VGM_JOINT_ERR_FIELD, "range: a range in version 2 is refused");
	om.v.col_min[1] = om.v.col_max[1] + 1.0;
	tap_ok(vgm_joint_summary_validate(VGM_JOINT_SUMMARY_FORMAT_VERSION_RANGE, &om.v, msg, 256, detail, 256)
		   == VGM_JOINT_ERR_RANGE && strstr(msg, "range out of order") != NULL,
		   "range: min above max is refused");
	om.v.col_min[1] = NAN;
	tap_ok(vgm_joint_summary_validate(VGM_JOINT_SUMMARY_FORMAT_VERSION_RANGE, &om.v, msg, 256, detail, 256)
		   == VGM_JOINT_ERR_RANGE, "range: NaN is refused");

	owned_free(&om);
	owned_free(&ow);
	owned_free(&ol);
	owned_free(&orr);
	vgm_joint_acc_free(&merged);
	vgm_joint_acc_free(&whole);
	vgm_joint_acc_free(&left);
	vgm_joint_acc_free(&right);
	free(rows);
}

int
main(void)
{
	test_keys();
	test_cells_are_groups();
	test_canonical_shift();
	test_merge_and_order();
	test_sixteen_columns();
	test_nonfinite();
	test_exact_columns();
	test_codecs();
	test_cap_by_columns();
	test_exact_past_level_64();
	test_coarsen_to();
	test_range();
	tap_ok(blocks.live == 0, "memory: every block allocated through the hooks was released");
	return tap_done();
}
