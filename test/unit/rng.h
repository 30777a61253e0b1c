/*
 * rng.h - deterministic test data for the C unit tests: splitmix64 and
 * Box-Muller normals.  Each test seeds rng_state itself, or keeps streams
 * of its own state with splitmix64.
 */
#ifndef VGM_TEST_RNG_H
#define VGM_TEST_RNG_H

#include <math.h>
#include <stdint.h>

static uint64_t rng_state;

/* Next 64 random bits of the stream whose state is *state (splitmix64). */
static inline uint64_t
splitmix64(uint64_t *state)
{
	uint64_t	z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Next 64 random bits of the tests' shared stream. */
static inline uint64_t
rng_next(void)
{
	return splitmix64(&rng_state);
}

/* Uniform in (0, 1). */
static inline double
rng_unif(void)
{
	return ((rng_next() >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Standard normal (Box-Muller). */
static inline double
rng_normal(void)
{
	double		u = rng_unif(),
				v = rng_unif();

	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

#endif							/* VGM_TEST_RNG_H */
