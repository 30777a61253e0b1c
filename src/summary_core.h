/*
 * summary_core.h - the one-pass column summary behind vgm_summary, in pure C.
 *
 * A summary is a set of buckets on a canonical grid plus counts of the rows
 * it skipped.  A bucket key is derived from the IEEE-754 bits of |x|: drop
 * the lowest `shift` bits, so within each binade the buckets are linear with
 * a relative width between 2^-(52-shift) and 2^-(53-shift); negative values
 * mirror positive ones and zero has a bucket of its own.  Dropping one more
 * bit merges buckets pairwise, so two summaries at different resolutions
 * merge exactly by coarsening the finer one: the result never depends on the
 * order rows arrive in or on how they were split across workers or shards.
 *
 * Each bucket keeps its weight and its central moments up to the fourth, so
 * the global mean, variance, skewness and kurtosis are exact (Pebay's
 * pairwise formulas), and the fit sees each bucket's exact mean and spread.
 */
#ifndef VGM_SUMMARY_CORE_H
#define VGM_SUMMARY_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heavy_core.h"
#include "json_text.h"
#include "vbem.h"

#define VGM_SUMMARY_FORMAT_VERSION 1
/*
 * The version of a summary that carries a heavy-value table (heavy_core.h);
 * a summary without one keeps version 1 and the text and bytes it always
 * had, so older readers and stored values are unaffected.
 */
#define VGM_SUMMARY_HEAVY_VERSION 2
/*
 * Finest resolution: every distinct double is a bucket of its own, so small
 * groups, integer and heaped columns (timestamps, cents, counts) are stored
 * exactly; the cap below then coarsens continuous data only as far as needed.
 */
#define VGM_SUMMARY_FINEST_SHIFT 0
#define VGM_SUMMARY_MAX_SHIFT 63
/*
 * Capacity of the accumulator; a stored summary holds at most half of it
 * (see finest_fitting_shift in summary_core.c), input accepts up to all of it.
 */
#define VGM_SUMMARY_MAX_BUCKETS 65536

/* A bucket as stored: central moments about its mean. */
typedef struct VgmBucket
{
	int64_t		key;
	double		weight;
	double		mean;
	double		m2;				/* sum w (x - mean)^2 */
	double		m3;				/* sum w (x - mean)^3 */
	double		m4;				/* sum w (x - mean)^4 */
} VgmBucket;

/* Counts and extremes of a summary. */
typedef struct VgmSummaryCounts
{
	int64_t		rows;			/* finite rows with positive weight */
	int64_t		nulls;
	int64_t		nans;
	int64_t		pos_infs;
	int64_t		neg_infs;
	double		min;			/* meaningful when rows > 0 */
	double		max;
} VgmSummaryCounts;

/* Moments of a weighted data set (or of a bucket). */
typedef struct VgmMoments
{
	double		weight;
	double		mean;
	double		m2;
	double		m3;
	double		m4;
} VgmMoments;

/*
 * A bucket while accumulating: power sums about an anchor inside it.  Padded
 * to one 64-byte cache line so a row touches exactly one line of the table.
 */
typedef struct VgmAccBucket
{
	int64_t		key;
	double		weight;
	double		anchor;
	double		s1;
	double		s2;
	double		s3;
	double		s4;
	double		tracked;		/* weight counted in the heavy-value table */
} VgmAccBucket;

/*
 * Rows are added in batches of this many: the batch first computes every
 * row's slot and prefetches it, then updates the slots, so the memory
 * latency of a large table overlaps across the rows of the batch.
 */
#define VGM_ACC_BATCH 16

/* The accumulator: an open-addressing hash table of buckets. */
typedef struct VgmAccumulator
{
	int			shift;
	int			max_buckets;
	uint32_t	nslots;			/* power of two */
	uint32_t	nused;
	VgmAccBucket *slots;		/* aligned; empty slot: weight == 0 */
	void	   *slots_mem;		/* the allocation slots points into */
	VgmSummaryCounts counts;
	const VgmAllocator *alloc;
	VgmHeavyTable heavy;		/* allocated once shift > 0 (heavy_core.h) */
	double		total_weight;	/* of the rows and buckets added */
	uint32_t	nbatch;			/* rows waiting in the batch */
	double		batch_x[VGM_ACC_BATCH];
	double		batch_w[VGM_ACC_BATCH];
} VgmAccumulator;

/* Status codes (shared meaning with the model codec). */
#define VGM_SUMMARY_OK VGM_TEXT_OK
#define VGM_SUMMARY_ERR_SYNTAX VGM_TEXT_ERR_SYNTAX
#define VGM_SUMMARY_ERR_FIELD VGM_TEXT_ERR_FIELD
#define VGM_SUMMARY_ERR_VERSION VGM_TEXT_ERR_VERSION
#define VGM_SUMMARY_ERR_RANGE VGM_TEXT_ERR_RANGE
#define VGM_SUMMARY_ERR_NOMEM VGM_TEXT_ERR_NOMEM
#define VGM_SUMMARY_ERR_OVERFLOW VGM_TEXT_ERR_OVERFLOW	/* a count would pass INT64_MAX */

/* Bucket key of a finite x at a resolution. */
static inline int64_t
vgm_bucket_key(double x, int shift)
{
	uint64_t	bits;
	int64_t		k;

	if (x == 0.0)
		return 0;
	__builtin_memcpy(&bits, &x, sizeof(bits));
	k = (int64_t) ((bits & 0x7FFFFFFFFFFFFFFFULL) >> shift) + 1;
	return (bits >> 63) ? -k : k;
}

/* The key a bucket gets when the resolution drops from `from` to `to` bits. */
static inline int64_t
vgm_bucket_rekey(int64_t key, int from, int to)
{
	int64_t		mag;

	if (key == 0 || to == from)
		return key;
	mag = ((key < 0 ? -key : key) - 1) >> (to - from);
	return key < 0 ? -(mag + 1) : mag + 1;
}

/* Start an empty accumulator with room for a few buckets. */
int			vgm_acc_init(VgmAccumulator *acc, const VgmAllocator *alloc,
						 int shift, int max_buckets);

/* Release the accumulator's table. */
void		vgm_acc_free(VgmAccumulator *acc);

/* Insert the rows waiting in the batch; call before reading the table. */
int			vgm_acc_flush(VgmAccumulator *acc);

/*
 * Add one finite value with positive weight.  Inline, since it runs once per
 * row: it records the extremes and queues the row; every VGM_ACC_BATCH rows
 * the batch goes into the table.
 */
static inline int
vgm_acc_add(VgmAccumulator *acc, double x, double weight)
{
	if (__builtin_expect(acc->counts.rows == INT64_MAX, 0))
		return VGM_SUMMARY_ERR_OVERFLOW;
	if (acc->counts.rows == 0 || x < acc->counts.min)
		acc->counts.min = x;
	if (acc->counts.rows == 0 || x > acc->counts.max)
		acc->counts.max = x;
	acc->counts.rows++;
	acc->batch_x[acc->nbatch] = x;
	acc->batch_w[acc->nbatch] = weight;
	if (++acc->nbatch == VGM_ACC_BATCH)
		return vgm_acc_flush(acc);
	return 0;
}

/* Add a stored bucket (at resolution `shift`), merging moments exactly. */
int			vgm_acc_add_bucket(VgmAccumulator *acc, const VgmBucket *bucket, int shift);

/* Merge counts and extremes of another summary; fails on a count overflow. */
int			vgm_counts_merge(VgmSummaryCounts *into, const VgmSummaryCounts *from);

/* Halve the resolution: drop one more bit of every key, merging pairs. */
int			vgm_acc_coarsen(VgmAccumulator *acc);

/* Flush, then write the buckets sorted by key as central moments; returns the count. */
size_t		vgm_acc_export(VgmAccumulator *acc, VgmBucket *out);

/*
 * After vgm_acc_export: the stored heavy-value table (sorted by value, the
 * values with weight >= total / VGM_HEAVY_MAX; none at shift 0) into out,
 * which has room for VGM_HEAVY_LIVE entries.  Returns the count.
 */
size_t		vgm_acc_export_heavy(VgmAccumulator *acc, double total, VgmHeavy *out);

/*
 * Merge a stored summary's buckets and heavy-value table (its counts are
 * merged by vgm_counts_merge): counts of a value add, and the side where a
 * value is absent adds its bound (heavy_core.h) to missed.
 */
int			vgm_acc_merge_summary(VgmAccumulator *acc, int shift, const VgmBucket *buckets,
								  size_t n, const VgmHeavy *heavy, size_t nheavy);

/* Moments of a bucket set, merged pairwise in key order (Pebay 2008). */
void		vgm_buckets_moments(const VgmBucket *buckets, size_t n, VgmMoments *out);

/* Merge moments b into a (Pebay 2008, arbitrary-order update for orders 2..4). */
void		vgm_moments_merge(VgmMoments *a, const VgmMoments *b);

/*
 * Coarsen a sorted bucket array in place until it has at most `target`
 * buckets; returns the new count and updates *shift.
 */
size_t		vgm_buckets_coarsen(VgmBucket *buckets, size_t n, int *shift, size_t target);

/*
 * Validate a decoded summary (sorted unique keys, valid keys for the shift,
 * positive finite weights, finite moments, consistent counts).  version is
 * 1 or 2; the heavy-value table of a version 2 summary is checked by
 * vgm_heavy_validate.
 */
int			vgm_summary_validate(int version, int shift, const VgmSummaryCounts *counts,
								 const VgmBucket *buckets, size_t n,
								 char *msg, size_t msglen, char *detail, size_t detaillen);

/*
 * Append the JSON text of a summary to an appender of the text kit: readable,
 * or compact when packed (the same fields with the buckets as one "packed"
 * string, summary_pack.h).  A heavy-value table (nheavy > 0) makes it
 * version 2 with a "heavy" field; without one the text is version 1, byte for
 * byte as before the table.  On a growable appender an allocation failure
 * marks it failed, as any other append does.
 */
void		vgm_summary_write(JtOut *o, bool packed, int shift, const VgmSummaryCounts *counts,
							  const VgmBucket *buckets, size_t n,
							  const VgmHeavy *heavy, size_t nheavy);

/* JSON text of a summary, readable or packed; returns the length needed (excluding NUL). */
size_t		vgm_summary_format(bool packed, int shift, const VgmSummaryCounts *counts,
							   const VgmBucket *buckets, size_t n,
							   const VgmHeavy *heavy, size_t nheavy,
							   char *buf, size_t buflen);

/*
 * Parse the JSON text of a summary, readable or packed (len bytes, not NUL-terminated), allocate
 * the bucket array and the heavy-value table (NULL when there is none) with alloc and validate
 * them.  A caller that reads only the buckets passes NULL for heavy and nheavy: the table is
 * then checked and released.
 */
int			vgm_summary_parse(const char *text, size_t len, int *shift,
							  VgmSummaryCounts *counts, VgmBucket **buckets, size_t *n,
							  VgmHeavy **heavy, size_t *nheavy,
							  const VgmAllocator *alloc,
							  char *msg, size_t msglen, char *detail, size_t detaillen);

#endif							/* VGM_SUMMARY_CORE_H */
