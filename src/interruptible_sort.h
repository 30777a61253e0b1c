/*
 * interruptible_sort.h - the sort of the engines' points that a cancel can
 *                        stop: qsort of millions of points takes seconds
 *                        and cannot be interrupted.
 *
 * Pure C, header only.  Runs of VGM_SORT_RUN elements are sorted by
 * qsort_r, then merged pairwise through a scratch array of n elements,
 * asking an interrupt hook whenever `stride` more elements have been
 * handled.  The function is static inline so that each engine's call, with
 * its constant element size, compiles to plain moves instead of a memcpy
 * call per element.  Both engines sort arrays in which equal elements are
 * identical, so the result is the array any sort gives.
 */
#ifndef VGM_INTERRUPTIBLE_SORT_H
#define VGM_INTERRUPTIBLE_SORT_H

/* qsort_r is glibc's */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdlib.h>
#include <string.h>

/* elements per run sorted by qsort_r before the runs are merged */
#define VGM_SORT_RUN 8192

/* Has the hook asked to stop, after `stride` more elements since it was last asked? */
static inline int
vgm_sort_should_stop(size_t *since, size_t stride,
				 int (*check_interrupt) (void *), void *interrupt_arg)
{
	if (*since < stride)
		return 0;
	*since = 0;
	return check_interrupt && check_interrupt(interrupt_arg);
}

/*
 * Sort n elements of `size` bytes at base by cmp (with cmp_arg).  tmp is
 * scratch of n elements, needed only when n > VGM_SORT_RUN (else it may be
 * NULL).  Returns 0, or 1 when check_interrupt (may be NULL) asked to stop;
 * base is then partly sorted.
 */
static inline int
vgm_interruptible_sort(void *base, size_t n, size_t size, void *tmp,
					   int (*cmp) (const void *, const void *, void *), void *cmp_arg,
					   int (*check_interrupt) (void *), void *interrupt_arg,
					   size_t stride)
{
	char	   *src = base;
	char	   *dst = tmp;
	size_t		since = 0;
	size_t		run,
				lo;

	for (lo = 0; lo < n; lo += VGM_SORT_RUN)
	{
		size_t		len = n - lo < VGM_SORT_RUN ? n - lo : VGM_SORT_RUN;

		qsort_r(src + lo * size, len, size, cmp, cmp_arg);
		since += len;
		if (vgm_sort_should_stop(&since, stride, check_interrupt, interrupt_arg))
			return 1;
	}
	for (run = VGM_SORT_RUN; run < n; run *= 2)
	{
		char	   *swap;

		for (lo = 0; lo < n; lo += 2 * run)
		{
			size_t		mid = n - lo < run ? n : lo + run;
			size_t		hi = n - lo < 2 * run ? n : lo + 2 * run;
			const char *left = src + size * lo;
			const char *left_end = src + size * mid;
			const char *right = left_end;
			const char *right_end = src + size * hi;
			char	   *out = dst + size * lo;

			/* the left run wins ties: the merge is stable */
			while (left < left_end && right < right_end)
			{
				const char **from = cmp(right, left, cmp_arg) < 0 ? &right : &left;

				memcpy(out, *from, size);
				*from += size;
				out += size;
			}
			memcpy(out, left, left_end - left);
			out += left_end - left;
			memcpy(out, right, right_end - right);
			since += hi - lo;
			if (vgm_sort_should_stop(&since, stride, check_interrupt, interrupt_arg))
				return 1;
		}
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != (char *) base)
		memcpy(base, src, n * size);
	return 0;
}

#endif							/* VGM_INTERRUPTIBLE_SORT_H */
