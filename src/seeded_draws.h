/*
 * seeded_draws.h - the random draws of the engines' initialization:
 *                  splitmix64, a uniform double and a draw by cumulative
 *                  weight; the component picker of the vgm_sample scans.
 *
 * Pure C, header only.  The one-dimensional and the joint engine seed
 * k-means++ with these, so a seed means the same stream in both, on every
 * platform (no libc generator is involved).
 */
#ifndef VGM_SEEDED_DRAWS_H
#define VGM_SEEDED_DRAWS_H

#include <stddef.h>
#include <stdint.h>

/* splitmix64 (Steele, Lea & Flood 2014): the next value of the stream in *state. */
static inline uint64_t
splitmix64(uint64_t *state)
{
	uint64_t	z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Uniform double in [0, 1). */
static inline double
uniform01(uint64_t *state)
{
	return (double) (splitmix64(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* Index of the first of n points whose cumulative weight cum[i] exceeds target. */
static inline size_t
pick_by_cumulative(const double *cum, size_t n, double target)
{
	size_t		lo = 0;
	size_t		hi = n - 1;

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (cum[mid] > target)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/*
 * Picking a component by weight for a seeded draw: the cumulative weights
 * (memory of the caller), their total and the last component with a
 * positive weight, which takes a target that rounding put at the total
 * rather than a component of weight zero after it.
 */
typedef struct VgmWeightPicker
{
	double	   *cum;
	double		total;
	size_t		k;
	int			last_positive;
} VgmWeightPicker;

/* An empty picker over cum, room for the weights the caller adds. */
static inline void
vgm_picker_init(VgmWeightPicker *p, double *cum)
{
	p->cum = cum;
	p->total = 0.0;
	p->k = 0;
	p->last_positive = 0;
}

/* Append the next component's weight w. */
static inline void
vgm_picker_add(VgmWeightPicker *p, double w)
{
	p->total += w;
	p->cum[p->k] = p->total;
	if (w > 0.0)
		p->last_positive = (int) p->k;
	p->k++;
}

/* The component of the uniform u in [0, 1): the first whose cumulative weight exceeds u * total. */
static inline int
vgm_picker_pick(const VgmWeightPicker *p, double u)
{
	double		target = u * p->total;
	size_t		lo = pick_by_cumulative(p->cum, p->k, target);

	return p->cum[lo] > target ? (int) lo : p->last_positive;
}

#endif							/* VGM_SEEDED_DRAWS_H */
