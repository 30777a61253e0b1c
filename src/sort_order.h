/*
 * sort_order.h - the orders the core sorts and searches its arrays in,
 *                each written once: ascending by one numeric field (a
 *                summary's buckets by key, its heavy values by value) with
 *                the qsort comparator and the binary search of that order,
 *                ascending doubles, and "heavier first, then the smaller
 *                key".
 *
 * Pure C, header only.  The comparator and the search are macros that
 * define a function per array, so each compares its own field inline as a
 * hand-written one would.  A use reads like a definition: the storage class
 * and return type (int for a comparator, long for a search) on the line
 * above, the macro with the function's name in its place.
 */
#ifndef VGM_SORT_ORDER_H
#define VGM_SORT_ORDER_H

#include <stddef.h>

/* -1, 0 or 1 as x is below, equal to or above y (0 when unordered: NaN). */
#define VGM_ASCENDING(x, y) ((x) < (y) ? -1 : ((x) > (y) ? 1 : 0))

/* A qsort comparator of doubles, ascending. */
static inline int
vgm_double_cmp(const void *a, const void *b)
{
	return VGM_ASCENDING(*(const double *) a, *(const double *) b);
}

/* name(a, b): a qsort comparator of elem_type by ascending field. */
#define VGM_ASCENDING_CMP(name, elem_type, field) \
name(const void *a, const void *b) \
{ \
	return VGM_ASCENDING(((const elem_type *) a)->field, ((const elem_type *) b)->field); \
}

/*
 * name(a, n, key): the index of the element of a[0..n), sorted by ascending
 * field, whose field is key, or -1 (a lower bound, then one test).
 */
#define VGM_SORTED_SEARCH(name, elem_type, key_type, field) \
name(const elem_type *a, size_t n, key_type key) \
{ \
	size_t		lo = 0; \
	size_t		hi = n; \
\
	while (lo < hi) \
	{ \
		size_t		mid = lo + (hi - lo) / 2; \
\
		if (a[mid].field < key) \
			lo = mid + 1; \
		else \
			hi = mid; \
	} \
	return lo < n && a[lo].field == key ? (long) lo : -1; \
}

/*
 * Heavier first, then the smaller key: -1 when (wa, ka) comes before
 * (wb, kb), 1 when after, 0 when they tie.  The order heavy values survive a
 * full table in and clusters are numbered in.
 */
static inline int
vgm_heavier_first(double wa, double ka, double wb, double kb)
{
	if (wa != wb)
		return wa > wb ? -1 : 1;
	return VGM_ASCENDING(ka, kb);
}

#endif							/* VGM_SORT_ORDER_H */
