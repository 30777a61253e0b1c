/*
 * rng.h - deterministic test data for the C unit tests: the core's
 * splitmix64 (src/seeded_draws.h) and Box-Muller normals.  Each test seeds
 * rng_state itself, or keeps streams of its own state with splitmix64.
 * Only the data comes from here; no test checks the draws against them.
 */
#ifndef VGM_TEST_RNG_H
#define VGM_TEST_RNG_H

#include <math.h>
#include <stdint.h>

#include "seeded_draws.h"

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

/*
 * The heaped, money-like data of the summary tests, as cumulative
 * probabilities of each kind of value: exactly 0 below zero_to, exactly 9.99
 * below heap_to, a negative lognormal below negative_to, whole cents below
 * cents_to, and lognormal(3, sigma) above.
 */
typedef struct RngHeapedShape
{
	double		zero_to;
	double		heap_to;
	double		negative_to;
	double		cents_to;
	double		sigma;
} RngHeapedShape;

/* One draw of a heaped shape from the shared stream. */
static inline double
rng_heaped(const RngHeapedShape *shape)
{
	double		u = rng_unif();

	if (u < shape->zero_to)
		return 0.0;
	if (u < shape->heap_to)
		return 9.99;
	if (u < shape->negative_to)
		return -exp(2.0 + rng_normal());
	if (u < shape->cents_to)
		return round(exp(5.0 + rng_normal())) / 100.0;
	return exp(3.0 + shape->sigma * rng_normal());
}

#endif							/* VGM_TEST_RNG_H */
