/*
 * float_bits.h - a double's IEEE-754 bit pattern and back, in pure C.
 *
 * The binary forms carry a double as its bits (wire.h), the packed summary
 * text codes exponents and mantissas (summary_pack.c), and the unit tests
 * compare values bit for bit: all through these two, so that the one
 * well-defined way (memcpy, which compilers turn into a register move) is
 * written once.
 */
#ifndef VGM_FLOAT_BITS_H
#define VGM_FLOAT_BITS_H

#include <stdint.h>
#include <string.h>

/* The bit pattern of d (NaN payloads and -0 kept). */
static inline uint64_t
vgm_double_to_bits(double d)
{
	uint64_t	bits;

	memcpy(&bits, &d, sizeof(bits));
	return bits;
}

/* The double whose bit pattern is bits. */
static inline double
vgm_bits_to_double(uint64_t bits)
{
	double		d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

#endif							/* VGM_FLOAT_BITS_H */
