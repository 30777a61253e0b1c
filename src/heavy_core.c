/*
 * heavy_core.c - the heavy-value table of vgm_summary and the atoms a fit
 *                takes from it, without PostgreSQL headers.
 *
 * heavy_core.h explains what the table guarantees and why it is cheap; this
 * file holds the table operations that do not touch the accumulator's
 * buckets (those are in summary_core.c), the checks of a stored table, and
 * the two steps of a fit with atoms: choosing them and taking their rows out
 * of the buckets.  Taking a point mass out of a bucket inverts Pebay's
 * pairwise merge (P. Pebay, SAND2008-6212) with the point's own moments 0.
 */
#include "heavy_core.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_text.h"
#include "sort_order.h"
#include "summary_core.h"

/* Allocate an empty table (once); false when out of memory. */
bool
vgm_heavy_table_init(VgmHeavyTable *t, const VgmAllocator *alloc)
{
	if (t->bits != NULL)
		return true;
	t->bits = vgm_mem_alloc(alloc, VGM_HEAVY_SLOTS * sizeof(uint64_t));
	t->weight = vgm_mem_alloc(alloc, VGM_HEAVY_SLOTS * sizeof(double));
	t->missed = vgm_mem_alloc(alloc, VGM_HEAVY_SLOTS * sizeof(double));
	if (t->bits == NULL || t->weight == NULL || t->missed == NULL)
	{
		vgm_heavy_table_free(t, alloc);
		return false;
	}
	memset(t->bits, 0xFF, VGM_HEAVY_SLOTS * sizeof(uint64_t));
	t->nlive = 0;
	return true;
}

/* Release the table. */
void
vgm_heavy_table_free(VgmHeavyTable *t, const VgmAllocator *alloc)
{
	vgm_mem_free(alloc, t->bits);
	vgm_mem_free(alloc, t->weight);
	vgm_mem_free(alloc, t->missed);
	t->bits = NULL;
	t->weight = NULL;
	t->missed = NULL;
	t->nlive = 0;
}

/* Insert a value that is not in the table; returns its slot. */
int
vgm_heavy_insert(VgmHeavyTable *t, double value, double weight, double missed)
{
	uint64_t	bits = vgm_heavy_bits(value);
	uint32_t	i = vgm_heavy_home(bits);

	while (t->bits[i] != VGM_HEAVY_EMPTY)
		i = (i + 1) & (VGM_HEAVY_SLOTS - 1);
	t->bits[i] = bits;
	t->weight[i] = weight;
	t->missed[i] = missed;
	t->nlive++;
	return (int) i;
}

/* Heavier first, then the smaller value: the order entries survive in. */
static int
survival_cmp(const void *a, const void *b)
{
	const VgmHeavy *x = a;
	const VgmHeavy *y = b;

	return vgm_heavier_first(x->weight, x->value, y->weight, y->value);
}

/* Ascending values. */
static int
VGM_ASCENDING_CMP(value_cmp, VgmHeavy, value)

/* The live entries in survival order; returns the count. */
size_t
vgm_heavy_table_entries(const VgmHeavyTable *t, VgmHeavy *out)
{
	size_t		n = 0;

	if (t->bits == NULL)
		return 0;
	for (uint32_t i = 0; i < VGM_HEAVY_SLOTS; i++)
	{
		if (t->bits[i] == VGM_HEAVY_EMPTY)
			continue;
		memcpy(&out[n].value, &t->bits[i], sizeof(double));
		out[n].weight = t->weight[i];
		out[n].missed = t->missed[i];
		n++;
	}
	qsort(out, n, sizeof(VgmHeavy), survival_cmp);
	return n;
}

/* Empty the table and put entries back. */
void
vgm_heavy_table_reset(VgmHeavyTable *t, const VgmHeavy *entries, size_t n)
{
	memset(t->bits, 0xFF, VGM_HEAVY_SLOTS * sizeof(uint64_t));
	t->nlive = 0;
	for (size_t i = 0; i < n; i++)
		vgm_heavy_insert(t, entries[i].value, entries[i].weight, entries[i].missed);
}

/* Sort by value and keep the entries with weight >= total / VGM_HEAVY_MAX. */
size_t
vgm_heavy_prune_sorted(VgmHeavy *entries, size_t n, double total)
{
	double		floor_weight = total / VGM_HEAVY_MAX;
	size_t		kept = 0;

	qsort(entries, n, sizeof(VgmHeavy), survival_cmp);
	for (size_t i = 0; i < n && kept < VGM_HEAVY_MAX; i++)
		if (entries[i].weight > 0.0 && entries[i].weight >= floor_weight)
			entries[kept++] = entries[i];
	qsort(entries, kept, sizeof(VgmHeavy), value_cmp);
	return kept;
}

/* Index of the bucket with key in a sorted bucket array, or -1. */
long
VGM_SORTED_SEARCH(vgm_bucket_search, VgmBucket, int64_t, key)

/* The value of a bucket at resolution 0 (one value per key). */
double
vgm_key_value(int64_t key)
{
	uint64_t	bits;
	double		x;

	if (key == 0)
		return 0.0;
	bits = (uint64_t) (key < 0 ? -(key + 1) : key - 1);
	memcpy(&x, &bits, sizeof(x));
	return key < 0 ? -x : x;
}

/*
 * Relative slack of the counted weights in a bucket against the bucket's
 * weight: weighted sums reach the two in different orders.
 */
#define WEIGHT_SLACK 1e-9

/* Check a stored table against its summary's buckets. */
int
vgm_heavy_validate(int shift, const VgmBucket *buckets, size_t n,
				   const VgmHeavy *heavy, size_t nheavy,
				   char *msg, size_t msglen, char *detail, size_t detaillen)
{
	JtError		e;
	long		bucket = -1;
	double		in_bucket = 0.0;

	jt_error_init(&e, msg, msglen, detail, detaillen);
	if (nheavy == 0)
		return VGM_SUMMARY_OK;
	if (nheavy > VGM_HEAVY_MAX)
		return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
					   "invalid vgm_summary: too many heavy values",
					   "The summary has %zu heavy values; the limit is %d.",
					   nheavy, VGM_HEAVY_MAX);
	if (shift == 0)
		return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
					   "invalid vgm_summary: heavy values at resolution 0",
					   "At shift 0 every bucket is one value; such a summary has no heavy-value table.");
	for (size_t i = 0; i < nheavy; i++)
	{
		const VgmHeavy *h = &heavy[i];
		long		b;

		if (!isfinite(h->value) || (h->value == 0.0 && signbit(h->value)))
			return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
						   "invalid vgm_summary: bad heavy value",
						   "Heavy value %zu is %.17g; values are finite and zero is written 0.",
						   i, h->value);
		if (i > 0 && !(heavy[i - 1].value < h->value))
			return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
						   "invalid vgm_summary: heavy values not sorted or duplicated",
						   "Heavy value %zu is %.17g after %.17g.", i, h->value,
						   heavy[i - 1].value);
		if (!(h->weight > 0.0) || !isfinite(h->weight) || !(h->missed >= 0.0) || !isfinite(h->missed))
			return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
						   "invalid vgm_summary: bad heavy weight",
						   "Heavy value %.17g has weight %g and missed %g; the weight must be positive and finite, missed finite and non-negative.",
						   h->value, h->weight, h->missed);
		b = vgm_bucket_search(buckets, n, vgm_bucket_key(h->value, shift));
		if (b < 0)
			return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
						   "invalid vgm_summary: heavy value outside the buckets",
						   "Heavy value %.17g lies in no bucket of the summary.", h->value);
		/* values ascend, so the values of one bucket are neighbours */
		in_bucket = b == bucket ? in_bucket + h->weight : h->weight;
		bucket = b;
		if (in_bucket > buckets[b].weight * (1.0 + WEIGHT_SLACK))
			return jt_fail(&e, VGM_SUMMARY_ERR_RANGE, 0,
						   "invalid vgm_summary: heavy weights exceed their bucket",
						   "The heavy values of bucket %" PRId64 " weigh %.17g; the bucket weighs %.17g.",
						   buckets[b].key, in_bucket, buckets[b].weight);
	}
	return VGM_SUMMARY_OK;
}

/*
 * Median weight of the neighbours of bucket i: the up to four nearest
 * occupied buckets (two a side, more from one side at an edge) and, when
 * positive, own_rest, the part of bucket i that is not a heavy value.
 */
static double
neighbour_median(const VgmBucket *buckets, size_t n, size_t i, double own_rest)
{
	double		w[5];
	size_t		k = 0;
	size_t		left = i < 2 ? i : 2;
	size_t		right = n - 1 - i < 2 ? n - 1 - i : 2;

	if (left < 2)
		right = n - 1 - i < 4 - left ? n - 1 - i : 4 - left;
	if (right < 2)
		left = i < 4 - right ? i : 4 - right;
	for (size_t j = 1; j <= left; j++)
		w[k++] = buckets[i - j].weight;
	for (size_t j = 1; j <= right; j++)
		w[k++] = buckets[i + j].weight;
	if (own_rest > 0.0)
		w[k++] = own_rest;
	if (k == 0)
		return 0.0;
	/* insertion sort of at most five weights */
	for (size_t a = 1; a < k; a++)
		for (size_t b = a; b > 0 && w[b - 1] > w[b]; b--)
		{
			double		t = w[b];

			w[b] = w[b - 1];
			w[b - 1] = t;
		}
	return k % 2 ? w[k / 2] : 0.5 * (w[k / 2 - 1] + w[k / 2]);
}

/*
 * Keep the heaviest max_atoms of the accepted values: append while there is
 * room, else replace the lightest when h is heavier.  Returns the count.
 */
static size_t
keep_heaviest(VgmHeavy *atoms, size_t found, size_t max_atoms, const VgmHeavy *h)
{
	size_t		worst = 0;

	if (found < max_atoms)
	{
		atoms[found] = *h;
		return found + 1;
	}
	for (size_t j = 1; j < found; j++)
		if (survival_cmp(&atoms[j], &atoms[worst]) > 0)
			worst = j;
	if (found > 0 && survival_cmp(h, &atoms[worst]) < 0)
		atoms[worst] = *h;
	return found;
}

/* Atoms of a fit: the values with the share that pass the spike rule. */
size_t
vgm_atoms_select(int shift, const VgmBucket *buckets, size_t n,
				 const VgmHeavy *heavy, size_t nheavy, double rows,
				 double share, size_t max_atoms, VgmHeavy *atoms,
				 VgmAtomsRefused *refused)
{
	VgmAtomsRefused none;
	double		total = 0.0;
	double		floor_weight;
	double		rows_per_weight;
	bool		discrete = shift == 0 && n <= max_atoms;
	size_t		found = 0;

	if (refused == NULL)
		refused = &none;
	memset(refused, 0, sizeof(*refused));
	for (size_t i = 0; i < n; i++)
		total += buckets[i].weight;
	if (!(total > 0.0))
		return 0;
	floor_weight = share * total;
	rows_per_weight = rows / total;
	if (shift == 0)
	{
		for (size_t i = 0; i < n; i++)
		{
			VgmHeavy	h = {vgm_key_value(buckets[i].key), buckets[i].weight, 0.0};

			if (h.weight < floor_weight)
				continue;
			if (h.weight * rows_per_weight < VGM_ATOM_MIN_ROWS
				|| (!discrete && h.weight < VGM_ATOM_SPIKE_RATIO * neighbour_median(buckets, n, i, 0.0)))
			{
				refused->not_spikes++;
				continue;
			}
			found = keep_heaviest(atoms, found, max_atoms, &h);
		}
	}
	else
	{
		for (size_t i = 0; i < nheavy; i++)
		{
			const VgmHeavy *h = &heavy[i];
			long		b;
			double		own_rest;

			if (h->weight < floor_weight)
				continue;
			b = vgm_bucket_search(buckets, n, vgm_bucket_key(h->value, shift));
			if (b < 0)
				continue;
			/* the bucket's weight that no heavy value counted */
			own_rest = buckets[b].weight;
			for (size_t j = 0; j < nheavy; j++)
				if (vgm_bucket_key(heavy[j].value, shift) == buckets[b].key)
					own_rest -= heavy[j].weight;
			if (own_rest < buckets[b].weight * WEIGHT_SLACK)
				own_rest = 0.0;
			if (h->weight * rows_per_weight < VGM_ATOM_MIN_ROWS
				|| h->weight < VGM_ATOM_SPIKE_RATIO * neighbour_median(buckets, n, (size_t) b, own_rest))
			{
				refused->not_spikes++;
				continue;
			}
			if (h->missed > 0.0
				&& (h->missed < own_rest ? h->missed : own_rest) > VGM_ATOM_MISSED_SHARE * total)
			{
				if (refused->inexact++ == 0 || h->weight > refused->inexact_weight)
				{
					refused->inexact_value = h->value;
					refused->inexact_weight = h->weight;
					refused->inexact_missed = h->missed;
				}
				continue;
			}
			found = keep_heaviest(atoms, found, max_atoms, h);
		}
	}
	qsort(atoms, found, sizeof(VgmHeavy), value_cmp);
	return found;
}

/* The lattice candidates of an exact summary: every value with the share and the minimum rows. */
size_t
vgm_atoms_select_lattice(int shift, const VgmBucket *buckets, size_t n, double rows,
						 double share, size_t max_atoms, VgmHeavy *atoms)
{
	double		total = 0.0;
	size_t		found = 0;

	if (shift != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		total += buckets[i].weight;
	if (!(total > 0.0))
		return 0;
	for (size_t i = 0; i < n; i++)
	{
		VgmHeavy	h = {vgm_key_value(buckets[i].key), buckets[i].weight, 0.0};

		if (h.weight >= share * total && h.weight * (rows / total) >= VGM_ATOM_MIN_ROWS)
			found = keep_heaviest(atoms, found, max_atoms, &h);
	}
	qsort(atoms, found, sizeof(VgmHeavy), value_cmp);
	return found;
}

/* The smallest gap between consecutive values of an exact summary (heavy_core.h). */
double
vgm_lattice_spacing(int shift, const VgmBucket *buckets, size_t n, size_t max_atoms)
{
	double		h = INFINITY;

	if (shift != 0 || n <= max_atoms || n < 2)
		return 0.0;
	for (size_t i = 1; i < n; i++)
	{
		double		gap = vgm_key_value(buckets[i].key) - vgm_key_value(buckets[i - 1].key);

		if (gap < h)
			h = gap;
	}
	return isfinite(h) && h > 0.0 ? h : 0.0;
}

/*
 * Take c rows at v out of bucket b: the inverse of merging a point mass into
 * the rest R of the bucket.  With na = w - c, the rest's mean is
 * mean + c (mean - v) / na, and with d = v - mean_R Pebay's merge of R and
 * the point reads M2 = M2_R + d^2 na c / w, M3 = M3_R + d^3 na c (na - c) / w^2
 * - 3 d c M2_R / w, M4 = M4_R + d^4 na c (na^2 - na c + c^2) / w^3
 * + 6 d^2 c^2 M2_R / w^2 - 4 d c M3_R / w, solved here for the rest.
 * Returns false when nothing is left.
 */
static bool
remove_point(VgmBucket *b, double v, double c)
{
	double		w = b->weight;
	double		na = w - c;
	double		mean_r;
	double		d;
	double		m2;
	double		m3;
	double		m4;

	if (!(na > w * WEIGHT_SLACK))
		return false;
	mean_r = b->mean + c * (b->mean - v) / na;
	d = v - mean_r;
	m2 = b->m2 - d * d * na * c / w;
	if (m2 < 0.0)
		m2 = 0.0;
	m3 = b->m3 - d * d * d * na * c * (na - c) / (w * w) + 3.0 * d * c * m2 / w;
	m4 = b->m4 - d * d * d * d * na * c * (na * na - na * c + c * c) / (w * w * w)
		- 6.0 * d * d * c * c * m2 / (w * w) + 4.0 * d * c * m3 / w;
	b->weight = na;
	b->mean = mean_r;
	b->m2 = m2;
	b->m3 = m3;
	b->m4 = m4 < 0.0 ? 0.0 : m4;
	return true;
}

/* Remove the atoms' weights from the buckets in place. */
size_t
vgm_atoms_remove(VgmBucket *buckets, size_t n, int shift, const VgmHeavy *atoms, size_t natoms)
{
	size_t		out = 0;

	for (size_t a = 0; a < natoms; a++)
	{
		long		b = vgm_bucket_search(buckets, n, vgm_bucket_key(atoms[a].value, shift));

		if (b < 0)
			continue;
		if (!remove_point(&buckets[b], atoms[a].value, atoms[a].weight))
			buckets[b].weight = 0.0;
	}
	for (size_t i = 0; i < n; i++)
		if (buckets[i].weight > 0.0)
			buckets[out++] = buckets[i];
	return out;
}
