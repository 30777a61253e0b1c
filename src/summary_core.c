/*
 * summary_core.c - buckets, exact moment merging and the text form of
 *                  vgm_summary, without PostgreSQL headers.
 *
 * Moment merging: P. Pebay, "Formulas for robust, one-pass parallel
 * computation of covariances and arbitrary-order statistical moments",
 * Sandia report SAND2008-6212.  While accumulating, each bucket keeps power
 * sums about an anchor (its first value): every row costs a few multiply-adds
 * and no division, and since |x - anchor| is at most the bucket width the
 * sums carry no cancellation.  The text form is the field table at the end,
 * on the JSON kit of json_text.c.
 */
#include "summary_core.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "json_record.h"
#include "json_text.h"
#include "sort_order.h"
#include "summary_pack.h"

#define INITIAL_SLOTS 4
#define LINE_TABLE_BYTES ((size_t) 4096)
#define likely_true(c) __builtin_expect(!!(c), 1)
#define HUGE_PAGE_BYTES ((size_t) 2 << 20)
#define HUGE_TABLE_BYTES ((size_t) 4 << 20)
/* largest bits of a finite double magnitude */
#define MAX_FINITE_BITS 0x7FEFFFFFFFFFFFFFULL

/* ---------------------------------------------------------------------- */
/* moments                                                                 */
/* ---------------------------------------------------------------------- */

/* Merge moments b into a (Pebay 2008, pairwise update of orders 2..4). */
void
vgm_moments_merge(VgmMoments *a, const VgmMoments *b)
{
	double		na = a->weight;
	double		nb = b->weight;
	double		n;
	double		delta;
	double		dn;
	double		m2;
	double		m3;
	double		m4;

	if (nb <= 0.0)
		return;
	if (na <= 0.0)
	{
		*a = *b;
		return;
	}
	n = na + nb;
	delta = b->mean - a->mean;
	dn = delta / n;
	m2 = a->m2 + b->m2 + delta * dn * na * nb;
	m3 = a->m3 + b->m3 + delta * dn * dn * na * nb * (na - nb)
		+ 3.0 * dn * (na * b->m2 - nb * a->m2);
	m4 = a->m4 + b->m4
		+ delta * dn * dn * dn * na * nb * (na * na - na * nb + nb * nb)
		+ 6.0 * dn * dn * (na * na * b->m2 + nb * nb * a->m2)
		+ 4.0 * dn * (na * b->m3 - nb * a->m3);
	a->weight = n;
	a->mean = a->mean + dn * nb;
	a->m2 = m2 < 0.0 ? 0.0 : m2;
	a->m3 = m3;
	a->m4 = m4 < 0.0 ? 0.0 : m4;
}

/*
 * Moments of a bucket set.  Two passes: the mean from deviations about a
 * reference bucket, then each bucket's moments shifted to that mean
 * (the binomial form of Pebay's update).  A running pairwise merge would
 * round the running mean once per bucket: at 1e9 with 50,000 buckets that
 * random walk alone moves the mean by ~100 ulp.
 */
void
vgm_buckets_moments(const VgmBucket *buckets, size_t n, VgmMoments *out)
{
	double		ref;
	double		w = 0.0;
	double		s = 0.0;
	double		delta;
	size_t		i;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return;
	ref = buckets[n / 2].mean;
	for (i = 0; i < n; i++)
	{
		w += buckets[i].weight;
		s += buckets[i].weight * (buckets[i].mean - ref);
	}
	delta = s / w;
	out->weight = w;
	out->mean = ref + delta;
	for (i = 0; i < n; i++)
	{
		const VgmBucket *b = &buckets[i];
		double		d = (b->mean - ref) - delta;
		double		d2 = d * d;

		out->m2 += b->m2 + b->weight * d2;
		out->m3 += b->m3 + 3.0 * d * b->m2 + b->weight * d2 * d;
		out->m4 += b->m4 + 4.0 * d * b->m3 + 6.0 * d2 * b->m2 + b->weight * d2 * d2;
	}
	if (out->m2 < 0.0)
		out->m2 = 0.0;
	if (out->m4 < 0.0)
		out->m4 = 0.0;
}

/*
 * Merge counts and extremes of another summary.  Stored summaries can carry
 * any count up to INT64_MAX, so a rollup can pass it: checked, and on
 * overflow nothing is changed.
 */
int
vgm_counts_merge(VgmSummaryCounts *into, const VgmSummaryCounts *from)
{
	VgmSummaryCounts sum = *into;

	if (__builtin_add_overflow(into->rows, from->rows, &sum.rows)
		|| __builtin_add_overflow(into->nulls, from->nulls, &sum.nulls)
		|| __builtin_add_overflow(into->nans, from->nans, &sum.nans)
		|| __builtin_add_overflow(into->pos_infs, from->pos_infs, &sum.pos_infs)
		|| __builtin_add_overflow(into->neg_infs, from->neg_infs, &sum.neg_infs))
		return VGM_SUMMARY_ERR_OVERFLOW;
	if (from->rows > 0)
	{
		if (into->rows == 0 || from->min < sum.min)
			sum.min = from->min;
		if (into->rows == 0 || from->max > sum.max)
			sum.max = from->max;
	}
	*into = sum;
	return VGM_SUMMARY_OK;
}

/* ---------------------------------------------------------------------- */
/* the accumulator                                                         */
/* ---------------------------------------------------------------------- */

/*
 * Slot of a key in a table of nslots (a power of two, at least 2): the top
 * bits of a Fibonacci hash.  The top bits depend on every bit of the key;
 * lower bits would not, and keys of round decimals (2.5, 0.1, cents) differ
 * mostly in their high mantissa bits.
 */
static inline uint32_t
slot_of(int64_t key, uint32_t nslots)
{
	uint64_t	h = (uint64_t) key * 0x9E3779B97F4A7C15ULL;

	return (uint32_t) (h >> (64 - __builtin_ctz(nslots)));
}

/* Would nused buckets overload a table of nslots slots (more than half full)? */
static inline int
table_full(uint32_t nused, uint32_t nslots)
{
	return (uint64_t) nused * 2 > nslots;
}

/* Find the slot of key, or the empty slot where it belongs. */
static inline VgmAccBucket *
find_slot(VgmAccBucket *slots, uint32_t nslots, int64_t key)
{
	uint32_t	i = slot_of(key, nslots);

	for (;;)
	{
		VgmAccBucket *s = &slots[i];

		if (s->weight == 0.0 || s->key == key)
			return s;
		i = (i + 1) & (nslots - 1);
	}
}

/* Shift a bucket's power sums from anchor `from` to anchor `to`. */
static void
shift_sums(double w, double *s1, double *s2, double *s3, double *s4, double e)
{
	/* sums of (x - to) = (x - from) + e, by the binomial theorem */
	double		e2 = e * e;
	double		n1 = *s1 + w * e;
	double		n2 = *s2 + 2.0 * e * *s1 + w * e2;
	double		n3 = *s3 + 3.0 * e * *s2 + 3.0 * e2 * *s1 + w * e2 * e;
	double		n4 = *s4 + 4.0 * e * *s3 + 6.0 * e2 * *s2 + 4.0 * e2 * e * *s1 + w * e2 * e2;

	*s1 = n1;
	*s2 = n2;
	*s3 = n3;
	*s4 = n4;
}

/* Fold bucket b (power sums about its anchor) into slot a with the same key. */
static void
merge_acc_bucket(VgmAccBucket *a, const VgmAccBucket *b)
{
	double		s1 = b->s1;
	double		s2 = b->s2;
	double		s3 = b->s3;
	double		s4 = b->s4;

	if (a->weight == 0.0)
	{
		*a = *b;
		return;
	}
	shift_sums(b->weight, &s1, &s2, &s3, &s4, b->anchor - a->anchor);
	a->weight += b->weight;
	a->tracked += b->tracked;
	a->s1 += s1;
	a->s2 += s2;
	a->s3 += s3;
	a->s4 += s4;
}

/*
 * A zeroed, aligned table of nslots slots.  Tables of a few slots (the
 * states of small groups) take no padding, larger ones are aligned to a
 * cache line, and large ones to a 2 MB huge page and marked for transparent
 * huge pages, because rows hit a large table at random and with 4 kB pages
 * almost every row would also miss the TLB.
 */
static VgmAccBucket *
alloc_slots(const VgmAllocator *alloc, uint32_t nslots, void **mem)
{
	size_t		size = (size_t) nslots * sizeof(VgmAccBucket);
	size_t		align = size >= HUGE_TABLE_BYTES ? HUGE_PAGE_BYTES :
		size >= LINE_TABLE_BYTES ? 64 : sizeof(double);
	char	   *raw = vgm_mem_alloc(alloc, size + align);
	VgmAccBucket *slots;

	*mem = raw;
	if (!raw)
		return NULL;
	slots = (VgmAccBucket *) (raw + ((align - ((uintptr_t) raw & (align - 1))) & (align - 1)));
#ifdef MADV_HUGEPAGE
	if (align == HUGE_PAGE_BYTES)
		(void) madvise(slots, size, MADV_HUGEPAGE);	/* advice only */
#endif
	memset(slots, 0, size);
	return slots;
}

/* ---------------------------------------------------------------------- */
/* the heavy-value table while accumulating (heavy_core.h)                 */
/* ---------------------------------------------------------------------- */

/*
 * The summary leaves shift 0: each bucket is still one value, so the values
 * with weight >= total / VGM_HEAVY_MAX enter the table with exact counts
 * (at most VGM_HEAVY_MAX of them), and their buckets record that weight as
 * counted.
 */
static int
heavy_materialize(VgmAccumulator *acc)
{
	double		floor_weight = acc->total_weight / VGM_HEAVY_MAX;

	if (!vgm_heavy_table_init(&acc->heavy, acc->alloc))
		return VGM_SUMMARY_ERR_NOMEM;
	for (uint32_t i = 0; i < acc->nslots; i++)
	{
		VgmAccBucket *s = &acc->slots[i];

		if (s->weight == 0.0)
			continue;
		s->tracked = 0.0;
		if (s->weight >= floor_weight && acc->heavy.nlive < VGM_HEAVY_MAX)
		{
			vgm_heavy_insert(&acc->heavy, vgm_key_value(s->key), s->weight, 0.0);
			s->tracked = s->weight;
		}
	}
	return VGM_SUMMARY_OK;
}

/* The bucket of a value in the table (it exists: the value's rows are in it). */
static inline VgmAccBucket *
bucket_of(VgmAccumulator *acc, double value)
{
	return find_slot(acc->slots, acc->nslots, vgm_bucket_key(value, acc->shift));
}

/*
 * The table is full: keep the VGM_HEAVY_MAX entries with the largest counted
 * weights (ties: smaller value).  The weight of a dropped entry becomes
 * uncounted weight of its bucket again, so the bound of an absent value
 * (its bucket's uncounted weight) still holds.
 */
static int
heavy_evict(VgmAccumulator *acc)
{
	VgmHeavy   *entries = vgm_mem_alloc(acc->alloc, VGM_HEAVY_LIVE * sizeof(VgmHeavy));
	size_t		n;

	if (entries == NULL)
		return VGM_SUMMARY_ERR_NOMEM;
	n = vgm_heavy_table_entries(&acc->heavy, entries);

	/*
	 * The buckets of the dropped entries get their counted weight anew from
	 * the entries they keep, summed rather than subtracted, so rounding can
	 * never leave a bucket that holds an entry at 0 (rows are only probed
	 * in buckets with counted weight).  A bucket being recounted is marked
	 * by a negative value: -1, then -1 minus the counts of its kept entries.
	 */
	for (size_t i = VGM_HEAVY_MAX; i < n; i++)
		bucket_of(acc, entries[i].value)->tracked = -1.0;
	for (size_t i = 0; i < n && i < VGM_HEAVY_MAX; i++)
	{
		VgmAccBucket *s = bucket_of(acc, entries[i].value);

		if (s->tracked < 0.0)
			s->tracked -= entries[i].weight;
	}
	for (size_t i = VGM_HEAVY_MAX; i < n; i++)
	{
		VgmAccBucket *s = bucket_of(acc, entries[i].value);

		if (s->tracked < 0.0)
			s->tracked = -(s->tracked + 1.0);
	}
	vgm_heavy_table_reset(&acc->heavy, entries, n < VGM_HEAVY_MAX ? n : VGM_HEAVY_MAX);
	vgm_mem_free(acc->alloc, entries);
	return VGM_SUMMARY_OK;
}

/*
 * Count weight w of value x, already added to its bucket s (shift > 0): in
 * its entry if it has one; else it gets one when the bucket's uncounted
 * weight, this row included, reaches total / VGM_HEAVY_MAX, with missed =
 * the uncounted weight before this row (every earlier row of x is in it).
 */
static int
heavy_count(VgmAccumulator *acc, VgmAccBucket *s, double x, double w)
{
	VgmHeavyTable *t = &acc->heavy;
	uint64_t	bits = vgm_heavy_bits(x);
	double		before;

	if (t->nlive > 0)
	{
		int			i = vgm_heavy_find(t, bits);

		if (i >= 0)
		{
			t->weight[i] += w;
			s->tracked += w;
			return VGM_SUMMARY_OK;
		}
	}
	if (s->weight - s->tracked < acc->total_weight / VGM_HEAVY_MAX)
		return VGM_SUMMARY_OK;
	if (!vgm_heavy_table_init(t, acc->alloc))
		return VGM_SUMMARY_ERR_NOMEM;
	if (t->nlive >= VGM_HEAVY_LIVE)
	{
		int			status = heavy_evict(acc);

		if (status != VGM_SUMMARY_OK)
			return status;
	}
	before = s->weight - w - s->tracked;
	vgm_heavy_insert(t, x == 0.0 ? 0.0 : x, w, before > 0.0 ? before : 0.0);
	s->tracked += w;
	return VGM_SUMMARY_OK;
}

/* Insert live bucket b into a table, rekeyed from old_shift; counts a new slot. */
static inline void
reinsert(VgmAccBucket *slots, uint32_t nslots, VgmAccBucket b, int old_shift, int shift,
		 uint32_t *used)
{
	VgmAccBucket *dst;

	b.key = vgm_bucket_rekey(b.key, old_shift, shift);
	dst = find_slot(slots, nslots, b.key);
	if (dst->weight == 0.0)
		(*used)++;
	merge_acc_bucket(dst, &b);
}

/*
 * Rebuild the table with nslots slots at the accumulator's current shift.
 * Growing moves the buckets into a new table.  A rebuild at the same size
 * (dropping resolution at the cap) reuses the table: the live buckets, at
 * most half of it, are copied out, the table is cleared and they go back
 * rekeyed.  No second table is kept between rebuilds, so a state's memory
 * is its table plus, for a moment, half a table: states of a hash
 * aggregate are what PostgreSQL accounts for and nothing more.
 */
static int
rebuild(VgmAccumulator *acc, uint32_t nslots, int old_shift)
{
	uint32_t	used = 0;
	uint32_t	i;

	if (old_shift == 0 && acc->shift > 0 && acc->heavy.bits == NULL)
	{
		int			status = heavy_materialize(acc);

		if (status != VGM_SUMMARY_OK)
			return status;
	}
	if (nslots == acc->nslots)
	{
		VgmAccBucket *live = vgm_mem_alloc(acc->alloc, ((size_t) acc->nused + 1) * sizeof(VgmAccBucket));
		uint32_t	n = 0;

		if (!live)
			return VGM_SUMMARY_ERR_NOMEM;
		for (i = 0; i < acc->nslots; i++)
			if (acc->slots[i].weight != 0.0)
				live[n++] = acc->slots[i];
		memset(acc->slots, 0, (size_t) nslots * sizeof(VgmAccBucket));
		for (i = 0; i < n; i++)
			reinsert(acc->slots, nslots, live[i], old_shift, acc->shift, &used);
		vgm_mem_free(acc->alloc, live);
	}
	else
	{
		void	   *mem;
		VgmAccBucket *slots = alloc_slots(acc->alloc, nslots, &mem);

		if (!slots)
			return VGM_SUMMARY_ERR_NOMEM;
		for (i = 0; i < acc->nslots; i++)
			if (acc->slots[i].weight != 0.0)
				reinsert(slots, nslots, acc->slots[i], old_shift, acc->shift, &used);
		vgm_mem_free(acc->alloc, acc->slots_mem);
		acc->slots = slots;
		acc->slots_mem = mem;
		acc->nslots = nslots;
	}
	acc->nused = used;
	return VGM_SUMMARY_OK;
}

/* Start an empty accumulator with room for a few buckets. */
int
vgm_acc_init(VgmAccumulator *acc, const VgmAllocator *alloc, int shift, int max_buckets)
{
	memset(acc, 0, sizeof(*acc));
	acc->alloc = alloc;
	acc->shift = shift;
	acc->max_buckets = max_buckets;
	acc->nslots = INITIAL_SLOTS;
	acc->slots = alloc_slots(alloc, INITIAL_SLOTS, &acc->slots_mem);
	if (!acc->slots)
		return VGM_SUMMARY_ERR_NOMEM;
	return VGM_SUMMARY_OK;
}

/* Release the accumulator's table. */
void
vgm_acc_free(VgmAccumulator *acc)
{
	vgm_heavy_table_free(&acc->heavy, acc->alloc);
	vgm_mem_free(acc->alloc, acc->slots_mem);
	acc->slots = NULL;
	acc->slots_mem = NULL;
	acc->nslots = acc->nused = 0;
}

/* Drop one bit of resolution without touching the rows waiting in the batch. */
static int
coarsen_table(VgmAccumulator *acc)
{
	if (acc->shift >= VGM_SUMMARY_MAX_SHIFT)
		return VGM_SUMMARY_OK;
	acc->shift++;
	return rebuild(acc, acc->nslots, acc->shift - 1);
}

/* Halve the resolution: drop one more bit of every key, merging pairs. */
int
vgm_acc_coarsen(VgmAccumulator *acc)
{
	int			status = vgm_acc_flush(acc);

	if (status != VGM_SUMMARY_OK)
		return status;
	return coarsen_table(acc);
}

/*
 * Sort n keys ascending: least-significant-digit radix sort, 8 bits per
 * pass, skipping the passes whose digit is the same in every key (the high
 * bytes of the keys of one column mostly are); tmp holds n keys.  A
 * comparison sort of the 65,536 keys of a full table costs milliseconds
 * each time the table fills, which showed at a million rows.
 */
static void
sort_keys(int64_t *keys, int64_t *tmp, size_t n)
{
	uint64_t   *src = (uint64_t *) keys;
	uint64_t   *dst = (uint64_t *) tmp;
	size_t		i;
	int			pass;

	/* flipping the sign bit orders int64 values as unsigned */
	for (i = 0; i < n; i++)
		src[i] ^= UINT64_C(1) << 63;
	for (pass = 0; pass < 8; pass++)
	{
		size_t		count[256] = {0};
		size_t		pos = 0;
		int			shift = pass * 8;
		int			b;
		uint64_t   *swap;

		for (i = 0; i < n; i++)
			count[(src[i] >> shift) & 0xFF]++;
		if (n == 0 || count[(src[0] >> shift) & 0xFF] == n)
			continue;
		for (b = 0; b < 256; b++)
		{
			size_t		c = count[b];

			count[b] = pos;
			pos += c;
		}
		for (i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & 0xFF]++] = src[i];
		swap = src;
		src = dst;
		dst = swap;
	}
	for (i = 0; i < n; i++)
		keys[i] = (int64_t) (src[i] ^ (UINT64_C(1) << 63));
}

/*
 * The smallest shift at which the table's keys (plus *new_key, if given)
 * fall into at most target buckets, found in one pass.  Sorted keys
 * merge only with their neighbours, and two neighbours of the same sign
 * share a bucket once the bits that tell them apart are dropped, so the
 * bucket count at every coarser shift follows from the neighbours' highest
 * differing bit.
 *
 * Canonical resolution: a summary is exported at R(V), the smallest shift at
 * which its set of values V falls into at most max_buckets / 2 buckets.  R
 * only grows as values arrive, so the accumulator may work at any shift up
 * to R(V) and use the other half of its capacity as room: when the table
 * fills it drops straight to R, which leaves half the table free, so this
 * happens O(log) times per column; vgm_acc_export then coarsens to R of all
 * values.  The exported resolution depends on the set of values only, not
 * on their order or on how they were split and merged.
 */
static int
finest_fitting_shift(VgmAccumulator *acc, const int64_t *new_key, size_t target, int *shift_out)
{
	size_t		n = 0;
	int64_t    *keys = vgm_mem_alloc(acc->alloc, 2 * ((size_t) acc->nused + 1) * sizeof(int64_t));
	size_t		merge_at[66];
	size_t		distinct;
	uint32_t	i;
	int			d;

	if (!keys)
		return VGM_SUMMARY_ERR_NOMEM;
	for (i = 0; i < acc->nslots; i++)
		if (acc->slots[i].weight != 0.0)
			keys[n++] = acc->slots[i].key;
	if (new_key)
		keys[n++] = *new_key;
	sort_keys(keys, keys + acc->nused + 1, n);

	/* merge_at[d]: neighbour pairs that first share a bucket d bits coarser */
	memset(merge_at, 0, sizeof(merge_at));
	for (i = 1; i < n; i++)
	{
		int64_t		a = keys[i - 1];
		int64_t		b = keys[i];

		if (a == b)
			merge_at[0]++;
		else if (a != 0 && b != 0 && (a < 0) == (b < 0))
		{
			uint64_t	ma = (uint64_t) (a < 0 ? -(a + 1) : a - 1);
			uint64_t	mb = (uint64_t) (b < 0 ? -(b + 1) : b - 1);

			merge_at[64 - __builtin_clzll(ma ^ mb)]++;
		}
		else
			merge_at[65]++;		/* zero or opposite signs: never */
	}
	vgm_mem_free(acc->alloc, keys);

	distinct = n - merge_at[0];
	for (d = 0; acc->shift + d <= VGM_SUMMARY_MAX_SHIFT; d++)
	{
		if (d > 0)
			distinct -= merge_at[d];
		if (distinct <= target)
			break;
	}
	*shift_out = acc->shift + d <= VGM_SUMMARY_MAX_SHIFT ? acc->shift + d : VGM_SUMMARY_MAX_SHIFT;
	return VGM_SUMMARY_OK;
}

/*
 * Make room for new_key, a key not yet in the table: grow the table, or, at
 * the cap, drop to the finest resolution at which everything fits.
 */
static int
make_room(VgmAccumulator *acc, int64_t new_key)
{
	int			status;

	if (acc->nused >= (uint32_t) acc->max_buckets && acc->shift < VGM_SUMMARY_MAX_SHIFT)
	{
		int			old_shift = acc->shift;
		int			shift;

		status = finest_fitting_shift(acc, &new_key, (size_t) acc->max_buckets / 2, &shift);
		if (status != VGM_SUMMARY_OK)
			return status;
		acc->shift = shift;
		status = rebuild(acc, acc->nslots, old_shift);
		if (status != VGM_SUMMARY_OK)
			return status;
	}
	if (table_full(acc->nused + 1, acc->nslots))
		return rebuild(acc, acc->nslots * 2, acc->shift);
	return VGM_SUMMARY_OK;
}

/* Put one value into its bucket now, creating the bucket if needed. */
static int
acc_insert(VgmAccumulator *acc, double x, double weight)
{
	int64_t		key = vgm_bucket_key(x, acc->shift);
	VgmAccBucket *s = find_slot(acc->slots, acc->nslots, key);
	double		d;
	double		wd;
	double		d2;

	if (s->weight == 0.0)
	{
		if (table_full(acc->nused + 1, acc->nslots) || acc->nused >= (uint32_t) acc->max_buckets)
		{
			int			status = make_room(acc, key);

			if (status != VGM_SUMMARY_OK)
				return status;
			key = vgm_bucket_key(x, acc->shift);
			s = find_slot(acc->slots, acc->nslots, key);
		}
		if (s->weight == 0.0)
		{
			s->key = key;
			s->anchor = x;
			s->s1 = s->s2 = s->s3 = s->s4 = 0.0;
			s->tracked = 0.0;
			acc->nused++;
		}
	}
	d = x - s->anchor;
	wd = weight * d;
	d2 = d * d;
	s->weight += weight;
	s->s1 += wd;
	s->s2 += wd * d;
	s->s3 += wd * d2;
	s->s4 += wd * d2 * d;
	if (acc->shift > 0)
		return heavy_count(acc, s, x, weight);
	return VGM_SUMMARY_OK;
}

/*
 * Insert the rows waiting in the batch.  First pass: each row's home slot,
 * prefetched.  Second pass: rows whose bucket sits in its home slot update it
 * directly (the common case once the table has warmed up); the rest probe and
 * may create buckets, grow the table or drop resolution, which can move
 * slots, so they go through acc_insert.
 */
int
vgm_acc_flush(VgmAccumulator *acc)
{
	uint32_t	n = acc->nbatch;
	uint32_t	home[VGM_ACC_BATCH];
	int64_t		keys[VGM_ACC_BATCH];
	uint32_t	i;
	int			shift = acc->shift;
	uint32_t	nslots = acc->nslots;
	double		gate;

	/* the batch's weight counts at once; the thresholds only need its size */
	for (i = 0; i < n; i++)
		acc->total_weight += acc->batch_w[i];
	/* a row's value can be heavy only if its bucket's uncounted weight reaches this */
	gate = acc->total_weight / VGM_HEAVY_MAX;

	for (i = 0; i < n; i++)
	{
		keys[i] = vgm_bucket_key(acc->batch_x[i], shift);
		home[i] = slot_of(keys[i], nslots);
		__builtin_prefetch(&acc->slots[home[i]], 1);
	}
	for (i = 0; i < n; i++)
	{
		double		x = acc->batch_x[i];
		double		weight = acc->batch_w[i];
		VgmAccBucket *s = &acc->slots[home[i]];

		if (likely_true(s->key == keys[i] && s->weight != 0.0 &&
						acc->shift == shift && acc->nslots == nslots))
		{
			double		d = x - s->anchor;
			double		wd = weight * d;
			double		d2 = d * d;

			s->weight += weight;
			s->s1 += wd;
			s->s2 += wd * d;
			s->s3 += wd * d2;
			s->s4 += wd * d2 * d;
			/*
			 * Beyond shift 0 the heavy values are counted apart (heavy_core.h):
			 * rows of a bucket that holds one (counted weight > 0), or whose
			 * uncounted weight could make a new one.
			 */
			if (shift > 0 && (s->tracked > 0.0 || s->weight - s->tracked >= gate))
			{
				int			status = heavy_count(acc, s, x, weight);

				if (status != VGM_SUMMARY_OK)
				{
					acc->nbatch = 0;
					return status;
				}
			}
		}
		else
		{
			int			status = acc_insert(acc, x, weight);

			if (status != VGM_SUMMARY_OK)
			{
				/* drop the rows not yet inserted; the caller raises an error */
				acc->nbatch = 0;
				return status;
			}
		}
	}
	acc->nbatch = 0;
	return VGM_SUMMARY_OK;
}

/* Add a stored bucket (at resolution `shift`), merging moments exactly. */
int
vgm_acc_add_bucket(VgmAccumulator *acc, const VgmBucket *bucket, int shift)
{
	VgmAccBucket b;
	VgmAccBucket *s;
	int			status = vgm_acc_flush(acc);

	if (status != VGM_SUMMARY_OK)
		return status;
	if (acc->shift < shift)
	{
		/* a coarser input: bring the whole table to its resolution at once */
		int			old_shift = acc->shift;

		acc->shift = shift;
		status = rebuild(acc, acc->nslots, old_shift);
		if (status != VGM_SUMMARY_OK)
			return status;
	}
	/* central moments are power sums about the mean */
	b.key = vgm_bucket_rekey(bucket->key, shift, acc->shift);
	b.weight = bucket->weight;
	b.anchor = bucket->mean;
	b.s1 = 0.0;
	b.s2 = bucket->m2;
	b.s3 = bucket->m3;
	b.s4 = bucket->m4;
	b.tracked = 0.0;			/* vgm_acc_merge_summary counts its heavy values */
	acc->total_weight += bucket->weight;
	s = find_slot(acc->slots, acc->nslots, b.key);
	if (s->weight == 0.0)
	{
		status = make_room(acc, b.key);
		if (status != VGM_SUMMARY_OK)
			return status;
		b.key = vgm_bucket_rekey(bucket->key, shift, acc->shift);
		s = find_slot(acc->slots, acc->nslots, b.key);
		if (s->weight == 0.0)
			acc->nused++;
	}
	merge_acc_bucket(s, &b);
	/* a bucket at shift 0 is one value: it is counted as rows of that value */
	if (shift == 0 && acc->shift > 0)
		return heavy_count(acc, s, vgm_key_value(bucket->key), bucket->weight);
	return VGM_SUMMARY_OK;
}

/*
 * Keep a bucket's mean inside the values its key covers.  The mean of values
 * in [lo, hi] lies in [lo, hi] mathematically, but the anchored sums can
 * round it across an edge (for subnormals even onto 0 or the other sign),
 * and stored summaries must validate.
 */
static double
clamp_to_bucket(double mean, int64_t key, int shift)
{
	uint64_t	mag;
	uint64_t	lo_bits;
	uint64_t	hi_bits;
	double		lo;
	double		hi;

	if (key == 0)
		return 0.0;
	mag = (uint64_t) (key < 0 ? -(key + 1) : key - 1);
	lo_bits = mag << shift;
	hi_bits = shift >= 63 ? 0x7FEFFFFFFFFFFFFFULL : lo_bits + ((1ULL << shift) - 1);
	if (hi_bits > 0x7FEFFFFFFFFFFFFFULL)
		hi_bits = 0x7FEFFFFFFFFFFFFFULL;
	memcpy(&lo, &lo_bits, sizeof(lo));
	memcpy(&hi, &hi_bits, sizeof(hi));
	if (lo == 0.0)
		lo = 4.9406564584124654e-324;	/* a nonzero key never holds 0 */
	if (key < 0)
	{
		double		t = -hi;

		hi = -lo;
		lo = t;
	}
	return mean < lo ? lo : (mean > hi ? hi : mean);
}

/* Ascending keys. */
static int
VGM_ASCENDING_CMP(bucket_key_cmp, VgmBucket, key)

/* Write the buckets, sorted by key, as central moments; returns the count. */
size_t
vgm_acc_export(VgmAccumulator *acc, VgmBucket *out)
{
	size_t		n = 0;
	uint32_t	i;

	if (vgm_acc_flush(acc) != VGM_SUMMARY_OK)
		return 0;
	if (acc->nused > (uint32_t) acc->max_buckets / 2)
	{
		int			old_shift = acc->shift;
		int			shift;

		if (finest_fitting_shift(acc, NULL, (size_t) acc->max_buckets / 2, &shift) != VGM_SUMMARY_OK)
			return 0;
		acc->shift = shift;
		if (rebuild(acc, acc->nslots, old_shift) != VGM_SUMMARY_OK)
			return 0;
	}
	for (i = 0; i < acc->nslots; i++)
	{
		const VgmAccBucket *s = &acc->slots[i];
		double		w = s->weight;
		double		delta;
		double		m2;
		double		m4;

		if (w == 0.0)
			continue;
		delta = s->s1 / w;
		m2 = s->s2 - delta * s->s1;
		m4 = s->s4 - 4.0 * delta * s->s3 + 6.0 * delta * delta * s->s2
			- 3.0 * w * delta * delta * delta * delta;
		out[n].key = s->key;
		out[n].weight = w;
		out[n].mean = clamp_to_bucket(s->anchor + delta, s->key, acc->shift);
		out[n].m2 = m2 < 0.0 ? 0.0 : m2;
		out[n].m3 = s->s3 - 3.0 * delta * s->s2 + 2.0 * w * delta * delta * delta;
		out[n].m4 = m4 < 0.0 ? 0.0 : m4;
		n++;
	}
	qsort(out, n, sizeof(VgmBucket), bucket_key_cmp);
	return n;
}

/* The stored heavy-value table after vgm_acc_export. */
size_t
vgm_acc_export_heavy(VgmAccumulator *acc, double total, VgmHeavy *out)
{
	if (acc->shift == 0 || acc->heavy.nlive == 0)
		return 0;
	return vgm_heavy_prune_sorted(out, vgm_heavy_table_entries(&acc->heavy, out), total);
}

/*
 * Merge a stored summary.  Its buckets at shift 0 are values and are
 * counted as rows (vgm_acc_add_bucket).  Otherwise, in three steps around
 * the bucket merge: the table's values absent from the input get the
 * input's bound (the weight of its bucket holding them) as missed; the
 * input's values absent from the table enter it with the accumulator's
 * bound (the uncounted weight of its bucket, read before the input's
 * buckets arrive); then the input's counts and missed add.
 */
int
vgm_acc_merge_summary(VgmAccumulator *acc, int shift, const VgmBucket *buckets, size_t n,
					  const VgmHeavy *heavy, size_t nheavy)
{
	VgmHeavyTable *t = &acc->heavy;
	int			status = vgm_acc_flush(acc);

	if (status != VGM_SUMMARY_OK)
		return status;
	if (shift > 0 && acc->shift < shift)
	{
		int			old_shift = acc->shift;

		acc->shift = shift;
		status = rebuild(acc, acc->nslots, old_shift);
		if (status != VGM_SUMMARY_OK)
			return status;
	}
	if (shift > 0 && (nheavy > 0 || t->nlive > 0))
	{
		if (!vgm_heavy_table_init(t, acc->alloc))
			return VGM_SUMMARY_ERR_NOMEM;
		if (t->nlive + nheavy > VGM_HEAVY_LIVE && (status = heavy_evict(acc)) != VGM_SUMMARY_OK)
			return status;
		for (uint32_t i = 0; i < VGM_HEAVY_SLOTS; i++)
		{
			double		value;
			long		b;

			if (t->bits[i] == VGM_HEAVY_EMPTY)
				continue;
			memcpy(&value, &t->bits[i], sizeof(value));
			if (vgm_heavy_search(heavy, nheavy, value) >= 0)
				continue;
			b = vgm_bucket_search(buckets, n, vgm_bucket_key(value, shift));
			if (b >= 0)
				t->missed[i] += buckets[b].weight;
		}
		for (size_t h = 0; h < nheavy; h++)
		{
			VgmAccBucket *s;
			double		uncounted = 0.0;

			if (vgm_heavy_find(t, vgm_heavy_bits(heavy[h].value)) >= 0)
				continue;
			s = find_slot(acc->slots, acc->nslots, vgm_bucket_key(heavy[h].value, acc->shift));
			if (s->weight != 0.0 && s->weight > s->tracked)
				uncounted = s->weight - s->tracked;
			vgm_heavy_insert(t, heavy[h].value, 0.0, uncounted);
		}
	}
	for (size_t i = 0; i < n; i++)
		if ((status = vgm_acc_add_bucket(acc, &buckets[i], shift)) != VGM_SUMMARY_OK)
			return status;
	if (shift > 0)
		for (size_t h = 0; h < nheavy; h++)
		{
			int			i = vgm_heavy_find(t, vgm_heavy_bits(heavy[h].value));
			VgmAccBucket *s;

			if (i < 0)
				continue;
			t->weight[i] += heavy[h].weight;
			t->missed[i] += heavy[h].missed;
			s = find_slot(acc->slots, acc->nslots, vgm_bucket_key(heavy[h].value, acc->shift));
			if (s->weight != 0.0)
				s->tracked += heavy[h].weight;
		}
	return VGM_SUMMARY_OK;
}

/* Coarsen a sorted bucket array in place until it has at most target buckets. */
size_t
vgm_buckets_coarsen(VgmBucket *buckets, size_t n, int *shift, size_t target)
{
	while (n > target && *shift < VGM_SUMMARY_MAX_SHIFT)
	{
		size_t		out = 0;
		size_t		i;

		for (i = 0; i < n; i++)
		{
			int64_t		key = vgm_bucket_rekey(buckets[i].key, *shift, *shift + 1);

			if (out > 0 && buckets[out - 1].key == key)
			{
				VgmMoments a = {buckets[out - 1].weight, buckets[out - 1].mean,
				buckets[out - 1].m2, buckets[out - 1].m3, buckets[out - 1].m4};
				VgmMoments b = {buckets[i].weight, buckets[i].mean, buckets[i].m2,
				buckets[i].m3, buckets[i].m4};

				vgm_moments_merge(&a, &b);
				buckets[out - 1].weight = a.weight;
				buckets[out - 1].mean = clamp_to_bucket(a.mean, key, *shift + 1);
				buckets[out - 1].m2 = a.m2;
				buckets[out - 1].m3 = a.m3;
				buckets[out - 1].m4 = a.m4;
			}
			else
			{
				buckets[out] = buckets[i];
				buckets[out].key = key;
				out++;
			}
		}
		n = out;
		(*shift)++;
	}
	return n;
}

/* ---------------------------------------------------------------------- */
/* validation                                                              */
/* ---------------------------------------------------------------------- */

/* Validate a decoded summary. */
int
vgm_summary_validate(int version, int shift, const VgmSummaryCounts *c,
					 const VgmBucket *b, size_t n,
					 char *msg, size_t msglen, char *detail, size_t detaillen)
{
	JtError		e;
	double		total = 0.0;
	size_t		i;

	jt_error_init(&e, msg, msglen, detail, detaillen);

	if (jt_check_summary_version(&e, "vgm_summary", version, VGM_SUMMARY_FORMAT_VERSION,
								 VGM_SUMMARY_HEAVY_VERSION) != VGM_SUMMARY_OK ||
		jt_check_summary_shift(&e, "vgm_summary", shift, VGM_SUMMARY_MAX_SHIFT) != VGM_SUMMARY_OK)
		return e.status;
	if (c->rows < 0 || c->nulls < 0 || c->nans < 0 || c->pos_infs < 0 || c->neg_infs < 0)
		return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
					  "invalid vgm_summary: negative count",
					  "Row, NULL, NaN and infinity counts must be non-negative.");
	if (n > VGM_SUMMARY_MAX_BUCKETS)
		return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
					  "invalid vgm_summary: too many buckets",
					  "The summary has %zu buckets; the limit is %d.",
					  n, VGM_SUMMARY_MAX_BUCKETS);
	if ((c->rows == 0) != (n == 0) || (uint64_t) c->rows < (uint64_t) n)
		return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
					  "invalid vgm_summary: row count disagrees with buckets",
					  "The summary counts %" PRId64 " rows in %zu buckets; every bucket holds at least one row.",
					  c->rows, n);
	if (c->rows > 0 && !(isfinite(c->min) && isfinite(c->max) && c->min <= c->max))
		return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
					  "invalid vgm_summary: bad minimum or maximum",
					  "The minimum and maximum must be finite with minimum <= maximum.");
	if (c->rows == 0 && (c->min != 0.0 || c->max != 0.0))
		return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
					  "invalid vgm_summary: minimum or maximum without rows",
					  "A summary without rows has minimum and maximum 0.");
	for (i = 0; i < n; i++)
	{
		int64_t		key = b[i].key;
		int64_t		mkey;
		uint64_t	mag = (uint64_t) (key < 0 ? -(key + 1) : key - 1);

		if (i > 0 && b[i - 1].key >= key)
			return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
						  "invalid vgm_summary: buckets not sorted or duplicated",
						  "Bucket %zu has key %" PRId64 " after key %" PRId64 ".",
						  i, key, b[i - 1].key);
		if (key != 0 && mag > (MAX_FINITE_BITS >> shift))
			return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
						  "invalid vgm_summary: bucket key out of range",
						  "Bucket %zu has key %" PRId64 ", beyond the finite doubles at shift %d.",
						  i, key, shift);
		if (!(b[i].weight > 0.0) || !isfinite(b[i].weight) || !isfinite(b[i].mean)
			|| !(b[i].m2 >= 0.0) || !isfinite(b[i].m2) || !isfinite(b[i].m3)
			|| !(b[i].m4 >= 0.0) || !isfinite(b[i].m4))
			return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
						  "invalid vgm_summary: bad bucket moments",
						  "Bucket %zu must have a positive finite weight, a finite mean and finite non-negative even moments.",
						  i);
		/* the mean must lie in (or, by rounding, next to) its own bucket */
		mkey = vgm_bucket_key(b[i].mean, shift);
		if ((key == 0 && (b[i].mean != 0.0 || b[i].m2 != 0.0))
			|| (key != 0 && (mkey < key - 1 || mkey > key + 1 || (mkey < 0) != (key < 0))))
			return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
						  "invalid vgm_summary: bucket mean outside its bucket",
						  "Bucket %zu with key %" PRId64 " has mean %.17g.", i, key, b[i].mean);
		total += b[i].weight;
	}
	if (!isfinite(total))
		return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
					  "invalid vgm_summary: total weight overflows",
					  "The bucket weights must sum to a finite number.");
	return VGM_SUMMARY_OK;
}

/* ---------------------------------------------------------------------- */
/* text form                                                               */
/* ---------------------------------------------------------------------- */

/* Everything the text of a summary holds; the target of the field readers. */
typedef struct SummaryText
{
	int64_t		version;
	int64_t		shift;
	VgmSummaryCounts counts;
	VgmBucket  *buckets;		/* grown with alloc */
	size_t		n;
	size_t		cap;
	const VgmAllocator *alloc;
	const char *packed;			/* the "packed" string, decoded once the shift is known */
	size_t		packed_len;
	VgmHeavy   *heavy;			/* the heavy-value table (version 2), grown with alloc */
	size_t		nheavy;
} SummaryText;

static int	read_int_field(JtCursor *c, const JtField *f, void *target, int depth);
static int	read_double_field(JtCursor *c, const JtField *f, void *target, int depth);
/* The arrays of entries of the text form (the arg of their field). */
enum
{
	ENTRY_BUCKETS, ENTRY_HEAVY
};

static int	read_entry_array(JtCursor *c, const JtField *f, void *target, int depth);
static int	read_packed(JtCursor *c, const JtField *f, void *target, int depth);

#define STOFF(m) offsetof(SummaryText, m)

/*
 * The fields of a summary's JSON object, in the order the writer puts them
 * (the reader takes any order: jsonb, for one, sorts keys by length).  A new
 * field is one more line here with its reader; a field that may be absent
 * (say, because another one can take its place) is marked optional, and the
 * check that the two agree goes into vgm_summary_parse after the object.
 */
static const JtField summary_fields[] = {
	{"version", NULL, read_int_field, STOFF(version), false},
	{"shift", NULL, read_int_field, STOFF(shift), false},
	{"rows", NULL, read_int_field, STOFF(counts.rows), false},
	{"nulls", NULL, read_int_field, STOFF(counts.nulls), false},
	{"nans", NULL, read_int_field, STOFF(counts.nans), false},
	{"pos_infs", NULL, read_int_field, STOFF(counts.pos_infs), false},
	{"neg_infs", NULL, read_int_field, STOFF(counts.neg_infs), false},
	{"min", NULL, read_double_field, STOFF(counts.min), false},
	{"max", NULL, read_double_field, STOFF(counts.max), false},
	{"buckets", NULL, read_entry_array, ENTRY_BUCKETS, true},
	{"packed", NULL, read_packed, 0, true},
	{"heavy", NULL, read_entry_array, ENTRY_HEAVY, true},
};

/* Indexes of the two bucket fields: exactly one of them must be there. */
#define F_BUCKETS 9
#define F_PACKED 10
/* The heavy-value table: present exactly in version 2. */
#define F_HEAVY 11

#define N_SUMMARY_FIELDS ((int) (sizeof(summary_fields) / sizeof(summary_fields[0])))

/* Every structural error of a summary's text has the syntax message. */
static const JtMessages summary_messages = {
	.syntax = "invalid input syntax for type vgm_summary",
	.noun = "the summary",
	.version = VGM_SUMMARY_FORMAT_VERSION,
	.ascii_keys = true,
};

/* The integer fields lead the object: version .. neg_infs. */
#define N_SUMMARY_INT_FIELDS 7

/* The fields before the buckets, up to and including the comma after "max". */
static void
write_envelope(JtOut *o, int shift, const VgmSummaryCounts *c, size_t nheavy)
{
	SummaryText head = {.version = nheavy > 0 ? VGM_SUMMARY_HEAVY_VERSION : VGM_SUMMARY_FORMAT_VERSION,
	.shift = shift,.counts = *c};

	jt_put_int64_fields(o, "{", summary_fields, N_SUMMARY_INT_FIELDS, &head);
	jt_puts(o, ",\"min\":");
	jt_put_double(o, c->min);
	jt_puts(o, ",\"max\":");
	jt_put_double(o, c->max);
	jt_puts(o, ",");
}

/* The heavy-value table, when there is one: ,"heavy":[[value,weight,missed],...] */
static void
write_heavy(JtOut *o, const VgmHeavy *heavy, size_t nheavy)
{
	if (nheavy == 0)
		return;
	jt_puts(o, ",\"heavy\":[");
	for (size_t i = 0; i < nheavy; i++)
	{
		jt_puts(o, i ? ",[" : "[");
		jt_put_double(o, heavy[i].value);
		jt_puts(o, ",");
		jt_put_double(o, heavy[i].weight);
		jt_puts(o, ",");
		jt_put_double(o, heavy[i].missed);
		jt_puts(o, "]");
	}
	jt_puts(o, "]");
}

/* Append the readable JSON text of a summary: the buckets as arrays of numbers. */
static void
write_readable(JtOut *o, int shift, const VgmSummaryCounts *c,
			   const VgmBucket *b, size_t n, const VgmHeavy *heavy, size_t nheavy)
{
	write_envelope(o, shift, c, nheavy);
	jt_puts(o, "\"buckets\":[");
	for (size_t i = 0; i < n; i++)
	{
		const double numbers[] = {b[i].weight, b[i].mean, b[i].m2, b[i].m3, b[i].m4};

		jt_puts(o, i ? ",[" : "[");
		jt_put_i64(o, b[i].key);
		for (int f = 0; f < 5; f++)
		{
			jt_puts(o, ",");
			jt_put_double(o, numbers[f]);
		}
		jt_puts(o, "]");
	}
	jt_puts(o, "]");
	write_heavy(o, heavy, nheavy);
	jt_puts(o, "}");
}

/* Append the compact JSON text of a summary: the buckets as one "packed" string. */
static void
write_packed(JtOut *o, int shift, const VgmSummaryCounts *c,
			 const VgmBucket *b, size_t n, const VgmHeavy *heavy, size_t nheavy)
{
	size_t		bound = vgm_pack_bound(n) + 1;
	char	   *packed = vgm_mem_alloc(o->alloc, bound);

	write_envelope(o, shift, c, nheavy);
	jt_puts(o, "\"packed\":\"");
	if (packed == NULL)
	{
		/* counted as the longest packing, so a fixed buffer's caller sees a length */
		o->failed = o->growable;
		o->len += bound - 1;
	}
	else
	{
		jt_put(o, packed, vgm_pack_buckets(shift, b, n, packed));
		vgm_mem_free(o->alloc, packed);
	}
	jt_puts(o, "\"");
	write_heavy(o, heavy, nheavy);
	jt_puts(o, "}");
}

/* Append the JSON text of a summary to an appender of the text kit: readable or packed. */
void
vgm_summary_write(JtOut *o, bool packed, int shift, const VgmSummaryCounts *c,
				  const VgmBucket *b, size_t n, const VgmHeavy *heavy, size_t nheavy)
{
	if (packed)
		write_packed(o, shift, c, b, n, heavy, nheavy);
	else
		write_readable(o, shift, c, b, n, heavy, nheavy);
}

/* JSON text of a summary, readable or packed; returns the length needed (excluding NUL). */
size_t
vgm_summary_format(bool packed, int shift, const VgmSummaryCounts *c, const VgmBucket *b,
				   size_t n, const VgmHeavy *heavy, size_t nheavy, char *buf, size_t buflen)
{
	JtOut		o;

	vgm_summary_write(jt_out_fixed(&o, buf, buflen), packed, shift, c, b, n, heavy, nheavy);
	return jt_out_finish(&o);
}

/*
 * Name of a value in messages: the field, or element idx of the buckets.
 * Only built when a message needs it.
 */
static const char *
value_name(char *buf, size_t buflen, const char *field, long idx)
{
	if (idx < 0)
		return field;
	snprintf(buf, buflen, "%s[%ld]", field, idx);
	return buf;
}

/*
 * A number for field (element idx of it, if idx >= 0): an int64 into
 * *integer when that is given, else a finite double into *real.  Anything
 * else (a fraction for an integer, NaN, 1e999) is malformed text.
 */
static int
read_number(JtCursor *c, const char *field, long idx, int64_t *integer, double *real)
{
	size_t		at = c->pos;
	JtNumber	tok;
	int			rc = JT_NUM_NOT_INTEGER;
	char		name[48];

	if (jt_number_start(jt_peek(c)))
		rc = integer != NULL ? jt_scan_int64(c, &tok, integer) : jt_scan_double(c, &tok, real);
	if (rc <= 0)
		return rc;
	return jt_syntax_error(c, at, "expected %s for \"%s\"",
						   integer != NULL ? "a 64-bit integer" : "a finite number",
						   value_name(name, sizeof(name), field, idx));
}

/* An integer field into the SummaryText at f->arg. */
static int
read_int_field(JtCursor *c, const JtField *f, void *target, int depth)
{
	(void) depth;
	return read_number(c, f->name, -1, (int64_t *) ((char *) target + f->arg), NULL);
}

/* A finite number field into the SummaryText at f->arg. */
static int
read_double_field(JtCursor *c, const JtField *f, void *target, int depth)
{
	(void) depth;
	return read_number(c, f->name, -1, NULL, (double *) ((char *) target + f->arg));
}

/* What one entry of an array reads: a bucket's key and five numbers, or a heavy value's three. */
typedef struct EntryText
{
	int64_t		key;
	double		numbers[5];
} EntryText;

/*
 * One entry of an array: '[', the integer key (when with_key) and the n
 * numbers separated by ',', then ']'.  texts[3] name the '[', the ',' and
 * the ']' in syntax errors; field and idx name a bad number.
 */
static int
read_tuple(JtCursor *c, const char *field, long idx, bool with_key, size_t n,
		   const char *const texts[3], EntryText *e)
{
	size_t		first = with_key ? 1 : 0;

	if (jt_expect(c, '[', texts[0]) < 0)
		return -1;
	for (size_t f = 0; f < first + n; f++)
	{
		if (f > 0 && jt_expect(c, ',', texts[1]) < 0)
			return -1;
		jt_skip_ws(c);
		if (f < first ? read_number(c, field, idx, &e->key, NULL) < 0 :
			read_number(c, field, idx, NULL, &e->numbers[f - first]) < 0)
			return -1;
	}
	return jt_expect(c, ']', texts[2]);
}

/* Append a bucket, growing the array with the caller's allocator. */
static bool
append_bucket(SummaryText *t, const EntryText *e)
{

	if (t->n == t->cap)
	{
		size_t		ncap = t->cap ? t->cap * 2 : 16;
		VgmBucket  *nb = vgm_mem_alloc(t->alloc, ncap * sizeof(VgmBucket));

		if (nb == NULL)
			return false;
		if (t->n)
			memcpy(nb, t->buckets, t->n * sizeof(VgmBucket));
		vgm_mem_free(t->alloc, t->buckets);
		t->buckets = nb;
		t->cap = ncap;
	}
	t->buckets[t->n++] = (VgmBucket)
	{
		.key = e->key, .weight = e->numbers[0], .mean = e->numbers[1],
		.m2 = e->numbers[2], .m3 = e->numbers[3], .m4 = e->numbers[4]
	};
	return true;
}

/*
 * The arrays of entries of the text form, buckets and heavy values: each
 * entry read by read, kept by append (which may fail for want of memory),
 * at most max of them, count at this offset of the SummaryText.
 */
typedef struct EntryArray
{
	const char *noun;			/* "buckets", "heavy values": in messages */
	const char *field;			/* its field, naming a bad number */
	size_t		count;
	int			max;
	bool		with_key;		/* an integer key before the numbers */
	size_t		n_numbers;
	const char *texts[3];		/* the '[', ',' and ']' of an entry in syntax errors */
	bool		(*append) (SummaryText *t, const EntryText *e);
} EntryArray;

/*
 * An array of entries: after the first kept error only its syntax matters.
 * Inline, so that each kind's reader and append are direct calls (a
 * summary's text holds up to 65,536 buckets).
 */
static inline __attribute__((always_inline)) int
read_entries(JtCursor *c, SummaryText *t, const EntryArray *kind, int depth)
{
	size_t	   *count = (size_t *) ((char *) t + kind->count);
	int			more;

	if (jt_peek(c) != '[')
		return jt_syntax_error(c, c->pos, "expected \"[\" to begin the %s", kind->noun);
	for (more = jt_array_begin(c, depth); more > 0; more = jt_array_next(c))
	{
		EntryText	entry;
		size_t		at = c->pos;
		char		message[64];

		if (read_tuple(c, kind->field, (long) *count, kind->with_key, kind->n_numbers,
					   kind->texts, &entry) < 0)
			return -1;
		if (c->err->status != VGM_TEXT_OK)
			continue;			/* an error is kept: only the syntax matters now */
		if (*count == (size_t) kind->max)
		{
			snprintf(message, sizeof(message), "invalid vgm_summary: too many %s", kind->noun);
			jt_fail(c->err, VGM_SUMMARY_ERR_RANGE, at, message,
					"The limit is %d %s.", kind->max, kind->noun);
		}
		else if (!kind->append(t, &entry))
		{
			/* out of memory ends the reading: nothing later may hide it */
			jt_fail(c->err, VGM_SUMMARY_ERR_NOMEM, at, "out of memory",
					"Parsing a vgm_summary needed more memory.");
			return -1;
		}
	}
	return more;
}

/*
 * The "packed" string: its span only (the Z85 alphabet has neither quotes
 * nor backslashes, so a string with an escape is not packed data).
 */
static int
read_packed(JtCursor *c, const JtField *f, void *target, int depth)
{
	SummaryText *t = target;
	const unsigned char *open;
	const unsigned char *close;

	(void) f;
	(void) depth;
	if (jt_peek(c) != '"')
		return jt_syntax_error(c, c->pos, "expected a string for \"packed\"");
	open = c->s + c->pos + 1;
	close = memchr(open, '"', c->len - c->pos - 1);
	if (close == NULL)
		return jt_syntax_error(c, c->len, "expected '\"' to close \"packed\"");
	if (memchr(open, '\\', (size_t) (close - open)) != NULL)
		return jt_syntax_error(c, c->pos, "expected \"packed\" without escapes");
	t->packed = (const char *) open;
	t->packed_len = (size_t) (close - open);
	c->pos = (size_t) (close - c->s) + 1;
	return 0;
}

/* Keep a heavy value: the table is allocated whole at the first. */
static bool
append_heavy(SummaryText *t, const EntryText *e)
{
	if (t->heavy == NULL &&
		(t->heavy = vgm_mem_alloc(t->alloc, VGM_HEAVY_MAX * sizeof(VgmHeavy))) == NULL)
		return false;
	t->heavy[t->nheavy++] = (VgmHeavy)
	{
		.value = e->numbers[0], .weight = e->numbers[1], .missed = e->numbers[2]
	};
	return true;
}

/* The arrays of entries, by the arg of their field: the buckets and the heavy-value table. */
static const EntryArray entry_arrays[] = {
	/* [key, weight, mean, m2, m3, m4] */
	[ENTRY_BUCKETS] = {"buckets", "buckets", offsetof(SummaryText, n), VGM_SUMMARY_MAX_BUCKETS,
		true, 5, {"\"[\" to open a bucket", "\",\" between the six numbers of a bucket",
		"\"]\" after the six numbers of a bucket"}, append_bucket},
	/* [value, weight, missed] */
	[ENTRY_HEAVY] = {"heavy values", "heavy", offsetof(SummaryText, nheavy), VGM_HEAVY_MAX,
		false, 3, {"\"[\" to open a heavy value", "\",\" between the three numbers of a heavy value",
		"\"]\" after the three numbers of a heavy value"}, append_heavy},
};

/* The field "buckets" or "heavy" (f->arg: which). */
static int
read_entry_array(JtCursor *c, const JtField *f, void *target, int depth)
{
	return read_entries(c, target, &entry_arrays[f->arg], depth);
}

/*
 * Parse the JSON text of a summary.  The fields may come in any order, each
 * exactly once; unknown, repeated and missing fields are errors naming them.
 * The buckets come either as "buckets" (an array) or as "packed" (a string,
 * decoded once the shift is known), never both.  Then the version, the
 * resolution and vgm_summary_validate.
 */
int
vgm_summary_parse(const char *text, size_t len, int *shift, VgmSummaryCounts *c,
				  VgmBucket **buckets_out, size_t *n_out,
				  VgmHeavy **heavy_out, size_t *nheavy_out, const VgmAllocator *alloc,
				  char *msg, size_t msglen, char *detail, size_t detaillen)
{
	SummaryText t;
	bool		seen[N_SUMMARY_FIELDS] = {false};
	JtError		err;
	JtCursor	cur;
	int			status;

	memset(c, 0, sizeof(*c));
	*buckets_out = NULL;
	*n_out = 0;
	if (heavy_out != NULL)
		*heavy_out = NULL;
	if (nheavy_out != NULL)
		*nheavy_out = 0;
	memset(&t, 0, sizeof(t));
	t.alloc = alloc;
	jt_error_init(&err, msg, msglen, detail, detaillen);
	jt_init(&cur, text, len, &err, &summary_messages);

	if (jt_read_object(&cur, summary_fields, N_SUMMARY_FIELDS, seen, "", &t, 1) < 0 ||
		jt_expect_end(&cur) < 0 || err.status != VGM_TEXT_OK)
		goto fail;
	if (jt_check_missing(&cur, summary_fields, N_SUMMARY_FIELDS, seen) != VGM_TEXT_OK)
		goto fail;
	if (seen[F_BUCKETS] == seen[F_PACKED])
	{
		jt_fail(&err, VGM_SUMMARY_ERR_FIELD, 0, "invalid input syntax for type vgm_summary",
				seen[F_BUCKETS] ? "Fields \"buckets\" and \"packed\" exclude each other."
				: "Field \"buckets\" (or \"packed\") is missing.");
		goto fail;
	}
	if (jt_check_summary_version(&err, "vgm_summary", t.version, VGM_SUMMARY_FORMAT_VERSION,
								 VGM_SUMMARY_HEAVY_VERSION) != VGM_SUMMARY_OK)
		goto fail;
	if (t.version == VGM_SUMMARY_HEAVY_VERSION ? t.nheavy == 0 : seen[F_HEAVY])
	{
		jt_fail(&err, VGM_SUMMARY_ERR_FIELD, 0, "invalid input syntax for type vgm_summary",
				t.version == VGM_SUMMARY_HEAVY_VERSION
				? "A version 2 summary has a non-empty field \"heavy\"."
				: "Field \"heavy\" needs version 2.");
		goto fail;
	}
	if (jt_check_summary_shift(&err, "vgm_summary", t.shift, VGM_SUMMARY_MAX_SHIFT) != VGM_SUMMARY_OK)
		goto fail;
	if (seen[F_PACKED])
	{
		status = vgm_unpack_buckets(t.packed, t.packed_len, (int) t.shift, &t.buckets, &t.n, alloc,
									msg, msglen, detail, detaillen);
		if (status != VGM_SUMMARY_OK)
		{
			vgm_mem_free(alloc, t.heavy);
			return status;
		}
	}
	status = vgm_summary_validate((int) t.version, (int) t.shift, &t.counts, t.buckets, t.n,
								  msg, msglen, detail, detaillen);
	if (status == VGM_SUMMARY_OK)
		status = vgm_heavy_validate((int) t.shift, t.buckets, t.n, t.heavy, t.nheavy,
									msg, msglen, detail, detaillen);
	if (status != VGM_SUMMARY_OK)
	{
		vgm_mem_free(alloc, t.buckets);
		vgm_mem_free(alloc, t.heavy);
		return status;
	}
	*c = t.counts;
	*shift = (int) t.shift;
	*buckets_out = t.buckets;
	*n_out = t.n;
	if (heavy_out != NULL && nheavy_out != NULL)
	{
		*heavy_out = t.heavy;
		*nheavy_out = t.nheavy;
	}
	else
		vgm_mem_free(alloc, t.heavy);
	return VGM_SUMMARY_OK;

fail:
	vgm_mem_free(alloc, t.buckets);
	vgm_mem_free(alloc, t.heavy);
	return err.status;
}
