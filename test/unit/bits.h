/*
 * bits.h - the bit patterns of doubles, for the C unit tests that compare
 * values bit for bit (a codec must keep NaN payloads, -0 and subnormals) or
 * build a double from chosen bits.
 */
#ifndef VGM_TEST_BITS_H
#define VGM_TEST_BITS_H

#include <stdint.h>
#include <string.h>

/* The IEEE-754 bit pattern of d. */
static inline uint64_t
double_bits(double d)
{
	uint64_t	b;

	memcpy(&b, &d, sizeof(b));
	return b;
}

/* The double whose bit pattern is b. */
static inline double
bits_double(uint64_t b)
{
	double		d;

	memcpy(&d, &b, sizeof(d));
	return d;
}

/* Whether two doubles have the same bits (NaN payloads and -0 included). */
static inline int
same_bits(double a, double b)
{
	return double_bits(a) == double_bits(b);
}

#endif							/* VGM_TEST_BITS_H */
