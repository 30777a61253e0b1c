/*
 * rng.h - deterministic test data for the C unit tests: splitmix64 (the
 * engines' own, from src/seeded_draws.h) and Box-Muller normals.  Each test
 * seeds rng_state itself, or keeps streams of its own state with splitmix64.
 */
#ifndef VGM_TEST_RNG_H
#define VGM_TEST_RNG_H

#include <math.h>
#include <stdint.h>

#include "seeded_draws.h"		/* splitmix64: the engines' generator */

static uint64_t rng_state;

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
