/*
 * heavy_core.h - exact counts of the values that hold a large share of a
 *                summary's weight (its "heavy values"), in pure C.
 *
 * Why: a fit with atoms (point masses such as 9.99 or 100.00 modelled as
 * zero-width components) needs the exact weight of each such value, and the
 * buckets cannot give it once a summary has coarsened and a bucket holds
 * several values.  While a summary is at resolution 0 every bucket is one
 * value, so the buckets are the exact table and nothing is stored.  Beyond
 * it, a summary carries a small table of (value, weight, missed):
 *
 *   weight  rows (weights) of the value that were counted: a lower bound;
 *   missed  an upper bound on the rows of the value that were not counted,
 *           so the true weight lies in [weight, weight + missed], and the
 *           count is exact when missed is 0.
 *
 * A value that is not in the table holds at most the weight of its bucket
 * (and, at resolution 0, exactly that).  These two rules are all a merge
 * needs: counts add, and a side where the value is absent adds its bound to
 * missed.  Stored tables keep the values with weight >= total / VGM_HEAVY_MAX,
 * so at most VGM_HEAVY_MAX of them; a value with that share of the union has
 * it in at least one part (shares average), and it is exact in the union
 * when it is exact and kept in every part that holds it.
 *
 * While accumulating (summary_core.c) the table is an open-addressing hash
 * set of up to 2 * VGM_HEAVY_MAX live values, allocated only when the
 * summary first leaves resolution 0 (small groups never pay for it).  At
 * that moment the values with share >= 1 / VGM_HEAVY_MAX enter it exactly
 * from the resolution-0 buckets.  Afterwards every row whose value is in the
 * table is counted; a row whose value is not enters the table only when the
 * uncounted weight of its bucket reaches total / VGM_HEAVY_MAX (a value
 * cannot be heavy otherwise), with missed = that uncounted weight.  So a
 * continuous column, whose buckets are all light, never probes the table,
 * and a heaped one probes a table of a few kilobytes.  When the table is
 * full the entries with the smallest counted weights (ties: the smaller
 * value) are dropped down to VGM_HEAVY_MAX; their rows count as uncounted
 * weight of their buckets again, which keeps the bound of every absent value.
 */
#ifndef VGM_HEAVY_CORE_H
#define VGM_HEAVY_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "allocator.h"
#include "sort_order.h"

/* Stored tables keep the values with weight >= total / VGM_HEAVY_MAX. */
#define VGM_HEAVY_MAX 256
/* Live values the accumulating table holds before it drops the lightest. */
#define VGM_HEAVY_LIVE (2 * VGM_HEAVY_MAX)
/* Slots of the accumulating table: a power of two, at most half full. */
#define VGM_HEAVY_SLOTS (4 * VGM_HEAVY_MAX)

/* One heavy value as stored. */
typedef struct VgmHeavy
{
	double		value;
	double		weight;			/* counted weight: a lower bound */
	double		missed;			/* bound on the weight not counted; 0: exact */
} VgmHeavy;

/* The accumulating table: parallel arrays over VGM_HEAVY_SLOTS slots. */
typedef struct VgmHeavyTable
{
	uint64_t   *bits;			/* value bits; VGM_HEAVY_EMPTY marks a free slot */
	double	   *weight;
	double	   *missed;
	uint32_t	nlive;
} VgmHeavyTable;

/* A NaN pattern: never the bits of a finite value. */
#define VGM_HEAVY_EMPTY UINT64_MAX

/* The bits a value is keyed by (-0 and 0 are one value). */
static inline uint64_t
vgm_heavy_bits(double x)
{
	uint64_t	bits;

	if (x == 0.0)
		return 0;
	__builtin_memcpy(&bits, &x, sizeof(bits));
	return bits;
}

/* Slot of a value's bits: the top bits of a Fibonacci hash. */
static inline uint32_t
vgm_heavy_home(uint64_t bits)
{
	return (uint32_t) ((bits * 0x9E3779B97F4A7C15ULL) >> (64 - __builtin_ctz(VGM_HEAVY_SLOTS)));
}

/* Slot holding bits, or -1; the table must be allocated. */
static inline int
vgm_heavy_find(const VgmHeavyTable *t, uint64_t bits)
{
	uint32_t	i = vgm_heavy_home(bits);

	for (;;)
	{
		if (t->bits[i] == bits)
			return (int) i;
		if (t->bits[i] == VGM_HEAVY_EMPTY)
			return -1;
		i = (i + 1) & (VGM_HEAVY_SLOTS - 1);
	}
}

/* Index of value in a stored table (sorted by value), or -1; inline for the merge's loop. */
static inline long
VGM_SORTED_SEARCH(vgm_heavy_search, VgmHeavy, double, value)

/* Allocate an empty table (once); false when out of memory. */
bool		vgm_heavy_table_init(VgmHeavyTable *t, const VgmAllocator *alloc);

/* Release the table. */
void		vgm_heavy_table_free(VgmHeavyTable *t, const VgmAllocator *alloc);

/* Insert a value that is not in the table (there must be a free live place). */
int			vgm_heavy_insert(VgmHeavyTable *t, double value, double weight, double missed);

/*
 * The live entries, sorted by counted weight descending, then value
 * ascending (the order in which they survive); returns the count.
 */
size_t		vgm_heavy_table_entries(const VgmHeavyTable *t, VgmHeavy *out);

/* Empty the table and put entries[0..n) back. */
void		vgm_heavy_table_reset(VgmHeavyTable *t, const VgmHeavy *entries, size_t n);

/*
 * Sort entries by value and keep those with weight >= total / VGM_HEAVY_MAX:
 * the stored table.  Returns the count kept.
 */
size_t		vgm_heavy_prune_sorted(VgmHeavy *entries, size_t n, double total);

/*
 * Check a stored table against its summary's buckets (keys at shift):
 * at most VGM_HEAVY_MAX entries, strictly increasing finite values (0, not
 * -0), positive finite weights, finite non-negative missed, no table at
 * resolution 0, every value inside a bucket, and the counted weights in a
 * bucket not above its weight (beyond rounding).  Returns a status of
 * summary_core.h and writes the message and detail.
 */
struct VgmBucket;
int			vgm_heavy_validate(int shift, const struct VgmBucket *buckets, size_t n,
							   const VgmHeavy *heavy, size_t nheavy,
							   char *msg, size_t msglen, char *detail, size_t detaillen);

/* Index of the bucket with key in a sorted bucket array, or -1. */
long		vgm_bucket_search(const struct VgmBucket *buckets, size_t n, int64_t key);

/* The value of a bucket at resolution 0 (one value per key). */
double		vgm_key_value(int64_t key);

/*
 * The spike rule: which heavy values become atoms.  A value with at least
 * atom_share of the weight is an atom only when it is a spike, i.e. when its
 * weight clearly exceeds what the continuous part of the column puts there:
 *
 *   weight >= VGM_ATOM_SPIKE_RATIO * the median weight of its neighbours
 *   (the up to four nearest occupied buckets, two on each side where there
 *   are two, and, on a coarsened summary, the rest of its own bucket), and
 *   rows >= VGM_ATOM_MIN_ROWS.
 *
 * At resolution 0 a bucket is one distinct value, so the neighbours are the
 * nearest distinct values; once coarsened a bucket holds one value or more,
 * so the test is stricter, never looser.  The median ignores one or two
 * neighbouring spikes (9.99 beside 10.00).  Measured (docs/accuracy.md
 * section 10): values of smooth integer columns (ages, waiting times) and of
 * small tables sit within 0.6-3.0 times their neighbours' median; the heaps
 * of real money and hours columns at 4.3 to 10,000 times.  Under Poisson
 * noise of a neighbour level m, a count of 4m has probability 0.019 at m = 1
 * but below 1e-6 from m = 5 on, hence the minimum of 20 rows (= 4 * 5).
 *
 * A discrete column -- at resolution 0 with at most max_atoms distinct
 * values (ratings 1-5, flags) -- has no continuous part to compare with:
 * every value with the share and the minimum rows is an atom, which is the
 * column's exact distribution.
 *
 * A value whose count is not exact (it became heavy after its summary
 * coarsened; missed > 0) is an atom only when its uncertainty, the smaller
 * of missed and the uncounted weight of its bucket, is at most
 * VGM_ATOM_MISSED_SHARE of the total: the atom takes the counted weight, the
 * uncounted rows stay in the mixture's buckets, and the model's CDF is off
 * by at most that share.  Otherwise the value is refused and stays in the
 * mixture.
 */
#define VGM_ATOM_SPIKE_RATIO 4.0
#define VGM_ATOM_MIN_ROWS 20.0
#define VGM_ATOM_MISSED_SHARE 0.001

/* What vgm_atoms_select left out, for the caller's message. */
typedef struct VgmAtomsRefused
{
	size_t		not_spikes;		/* values with the share that are no spike */
	size_t		inexact;		/* spikes refused for an inexact count */
	double		inexact_value;	/* the heaviest of those */
	double		inexact_weight; /* its counted weight */
	double		inexact_missed; /* its bound on the uncounted weight */
} VgmAtomsRefused;

/*
 * Atoms of a fit: the values holding at least share of the total weight
 * that pass the spike rule above, heaviest first (ties: smaller value), at
 * most max_atoms, returned sorted by value.  rows is the summary's row count
 * (weights are scaled to rows for VGM_ATOM_MIN_ROWS).  At resolution 0 they
 * come from the buckets (exact), otherwise from the heavy table (counted
 * weight; missed is copied).  Returns the count; refused (may be NULL) says
 * what was left out.
 */
size_t		vgm_atoms_select(int shift, const struct VgmBucket *buckets, size_t n,
							 const VgmHeavy *heavy, size_t nheavy, double rows,
							 double share, size_t max_atoms, VgmHeavy *atoms,
							 VgmAtomsRefused *refused);

/*
 * The lattice candidates of an exact summary (resolution 0, one value per
 * bucket): every value with at least share of the total weight and
 * VGM_ATOM_MIN_ROWS rows, spike or not, heaviest first (ties: smaller value),
 * at most max_atoms, returned sorted by value.  This is the discrete
 * column's rule applied to a column of more distinct values than max_atoms;
 * the fit keeps these atoms only when they clearly fit better than the
 * spike rule's (fit.c, docs/accuracy.md section 10.5).  Returns 0 for a
 * coarsened summary, whose buckets are not values.
 */
size_t		vgm_atoms_select_lattice(int shift, const struct VgmBucket *buckets, size_t n,
									 double rows, double share, size_t max_atoms,
									 VgmHeavy *atoms);

/*
 * The spacing of a lattice column: the smallest gap between two consecutive
 * values of an exact summary (resolution 0, one value per bucket, sorted)
 * of more than max_atoms distinct values; 0 for a coarsened summary (its
 * buckets are not values) or a discrete column of at most max_atoms values
 * (whose values are categories, not the points of a lattice).  Every value
 * of the column is then the centre of an interval of this width that
 * overlaps no other, so h^2 / 12, the variance of a uniform over it, is what
 * a fit may add to each value without merging two of them (vbem.h,
 * point_variance; fit.c).
 */
double		vgm_lattice_spacing(int shift, const struct VgmBucket *buckets, size_t n,
								size_t max_atoms);

/*
 * Remove the atoms' weights from the buckets in place (each atom from the
 * bucket that holds its value, at its exact value, so the bucket keeps the
 * weight, mean and spread of its other values); buckets left without weight
 * are dropped.  Returns the new bucket count.
 */
size_t		vgm_atoms_remove(struct VgmBucket *buckets, size_t n, int shift,
							 const VgmHeavy *atoms, size_t natoms);

#endif							/* VGM_HEAVY_CORE_H */
