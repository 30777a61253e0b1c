/*
 * seeded_draws.h - the random draws of the engines' initialization:
 *                  splitmix64, a uniform double and a draw by cumulative
 *                  weight.
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

#endif							/* VGM_SEEDED_DRAWS_H */
