/*
 * fuzz_summary_acc.c - libFuzzer harness for the summary accumulator
 *                      (vgm_summarize's transition and combine functions):
 *                      every summary the aggregates can produce must be one
 *                      that vgm_summary_in / vgm_summary_recv accept, or
 *                      pg_dump of a table holding it cannot be restored.
 *
 * Input: byte 0 picks max_buckets (1..16, or 65536 as in the server when it
 * is 255); byte 1 bit 0 asks for weighted rows; then 8-byte doubles x (and,
 * weighted, 8-byte weights), used as the server does: non-finite x counted
 * and skipped, a weight that is negative or non-finite skipped (the server
 * raises an error), a zero weight ignored.
 *
 * Properties:
 *   - the exported summary passes vgm_summary_validate and its text form
 *     reads back to the same bits (values of magnitude above 1e50 are left
 *     out while the overflow reported in docs/reliability.md is open; build
 *     with -DFUZZ_ACC_ALL_MAGNITUDES to include them);
 *   - the resolution and the bucket keys do not depend on the order of the
 *     rows, nor on splitting them across two accumulators merged as
 *     vgm_summary_combine merges (and for unit weights the bucket weights
 *     are identical too), as summary_core.h promises (build with
 *     -DFUZZ_ACC_NO_ORDER_CHECK to leave this out).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "summary_core.h"

#ifndef FUZZ_ACC_NO_ORDER_CHECK
#define FUZZ_ACC_CHECK_ORDER 1
#endif

#define MAX_ROWS 4096

typedef struct Rows
{
	size_t		n;
	double		x[MAX_ROWS];
	double		w[MAX_ROWS];
	VgmSummaryCounts counts;	/* the non-finite and NULL counts */
} Rows;

static double
get_double(const uint8_t *p)
{
	double		v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int
usable(double v)
{
#ifdef FUZZ_ACC_ALL_MAGNITUDES
	(void) v;
	return 1;
#else
	return fabs(v) <= 1e50;
#endif
}

/* Accumulate rows[order[i]] and export; returns the bucket count. */
static size_t
summarize(const Rows *r, const size_t *order, size_t n, int max_buckets,
		  VgmBucket *out, int *shift, VgmSummaryCounts *counts)
{
	VgmAccumulator acc;

	FUZZ_CHECK(vgm_acc_init(&acc, NULL, VGM_SUMMARY_FINEST_SHIFT, max_buckets) == VGM_SUMMARY_OK,
			   "init");
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(vgm_acc_add(&acc, r->x[order[i]], r->w[order[i]]) == VGM_SUMMARY_OK, "add");
	FUZZ_CHECK(vgm_acc_flush(&acc) == VGM_SUMMARY_OK, "flush");
	{
		size_t		nb = vgm_acc_export(&acc, out);

		*shift = acc.shift;
		*counts = acc.counts;
		vgm_acc_free(&acc);
		return nb;
	}
}

/* Validate a summary and check that its text reads back to the same bits. */
static void
check_summary(int shift, const VgmSummaryCounts *c, const VgmBucket *b, size_t n)
{
	FuzzMsgs	e;
	int			st;
	size_t		cap = 256 + n * 140;
	char	   *text = malloc(cap);
	size_t		need;
	int			shift2;
	VgmSummaryCounts c2;
	VgmBucket  *b2;
	size_t		n2;

	fuzz_msgs_reset(&e);
	st = vgm_summary_validate(VGM_SUMMARY_FORMAT_VERSION, shift, c, b, n,
							  FUZZ_MSGS(e));
	FUZZ_CHECK(st == VGM_SUMMARY_OK, "aggregate produced an invalid summary: %s / %s",
			   e.msg, e.detail);
	FUZZ_CHECK(text != NULL, "malloc");
	need = vgm_summary_format(false, shift, c, b, n, NULL, 0, text, cap);
	FUZZ_CHECK(need < cap, "summary text longer than vgm_summary_out's first guess");
	st = vgm_summary_parse(text, need, &shift2, &c2, &b2, &n2, NULL, NULL, NULL,
						   FUZZ_MSGS(e));
	FUZZ_CHECK(st == VGM_SUMMARY_OK, "summary text does not read back: %s / %s\n  %.1000s",
			   e.msg, e.detail, text);
	FUZZ_CHECK(shift2 == shift && n2 == n && memcmp(&c2, c, sizeof(c2)) == 0 &&
			   (n == 0 || memcmp(b2, b, n * sizeof(VgmBucket)) == 0),
			   "summary text changes bits");
	free(b2);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static Rows r;
	static size_t order[MAX_ROWS];
	static VgmBucket b1[MAX_ROWS + 1],
				b2[MAX_ROWS + 1],
				b3[MAX_ROWS + 1],
				b4[MAX_ROWS + 1];
	int			max_buckets;
	int			weighted;
	size_t		rec;
	int			shift1;
	VgmSummaryCounts c1;
	size_t		n1;

	if (size < 2)
		return 0;
	max_buckets = data[0] == 255 ? VGM_SUMMARY_MAX_BUCKETS : 1 + data[0] % 16;
	weighted = data[1] & 1;
	rec = weighted ? 16 : 8;
	memset(&r, 0, sizeof(r));
	for (size_t off = 2; off + rec <= size && r.n < MAX_ROWS; off += rec)
	{
		double		x = get_double(data + off);
		double		w = weighted ? get_double(data + off + 8) : 1.0;

		if (!isfinite(x))
			continue;			/* counted by the server, never accumulated */
		if (!(w >= 0.0) || !isfinite(w) || w == 0.0)
			continue;			/* an error or ignored in the server */
		if (!usable(x) || !usable(w))
			continue;
		r.x[r.n] = x;
		r.w[r.n] = w;
		r.n++;
	}
	for (size_t i = 0; i < r.n; i++)
		order[i] = i;

	n1 = summarize(&r, order, r.n, max_buckets, b1, &shift1, &c1);
	FUZZ_CHECK(n1 <= (size_t) max_buckets || shift1 == VGM_SUMMARY_MAX_SHIFT,
			   "%zu buckets over the cap %d at shift %d", n1, max_buckets, shift1);
	check_summary(shift1, &c1, b1, n1);

	{
		/* split by parity and merged as vgm_summary_combine does */
		size_t		na = 0,
					nb = 0;
		int			sa,
					sb;
		VgmSummaryCounts ca,
					cb;
		VgmAccumulator m;
		size_t		nm;

		for (size_t i = 0; i < r.n; i += 2)
			order[na++] = i;
		na = summarize(&r, order, na, max_buckets, b2, &sa, &ca);
		for (size_t i = 1; i < r.n; i += 2)
			order[nb++] = i;
		nb = summarize(&r, order, nb, max_buckets, b3, &sb, &cb);
		FUZZ_CHECK(vgm_acc_init(&m, NULL, VGM_SUMMARY_FINEST_SHIFT, max_buckets) == VGM_SUMMARY_OK,
				   "init");
		for (size_t i = 0; i < na; i++)
			FUZZ_CHECK(vgm_acc_add_bucket(&m, &b2[i], sa) == VGM_SUMMARY_OK, "merge");
		vgm_counts_merge(&m.counts, &ca);
		for (size_t i = 0; i < nb; i++)
			FUZZ_CHECK(vgm_acc_add_bucket(&m, &b3[i], sb) == VGM_SUMMARY_OK, "merge");
		vgm_counts_merge(&m.counts, &cb);
		nm = vgm_acc_export(&m, b4);
		check_summary(m.shift, &m.counts, b4, nm);
#ifdef FUZZ_ACC_CHECK_ORDER
		FUZZ_CHECK(m.shift == shift1 && nm == n1,
				   "split and merged: shift %d with %zu buckets, serial: shift %d with %zu",
				   m.shift, nm, shift1, n1);
		for (size_t i = 0; i < n1; i++)
			FUZZ_CHECK(b4[i].key == b1[i].key, "split and merged: bucket %zu key differs", i);
#endif
		vgm_acc_free(&m);
	}

#ifdef FUZZ_ACC_CHECK_ORDER
	{
		/* reversed order */
		int			shift2;
		VgmSummaryCounts c2;
		size_t		n2;

		for (size_t i = 0; i < r.n; i++)
			order[i] = r.n - 1 - i;
		n2 = summarize(&r, order, r.n, max_buckets, b2, &shift2, &c2);
		FUZZ_CHECK(shift2 == shift1 && n2 == n1,
				   "reversed rows: shift %d with %zu buckets, forward: shift %d with %zu",
				   shift2, n2, shift1, n1);
		for (size_t i = 0; i < n1; i++)
		{
			FUZZ_CHECK(b2[i].key == b1[i].key, "reversed rows: bucket %zu key differs", i);
			if (!weighted)
				FUZZ_CHECK(b2[i].weight == b1[i].weight, "reversed rows: bucket %zu weight differs", i);
		}
	}
#endif
	return 0;
}
