/*
 * bits.h - bit-for-bit comparison of doubles for the C unit tests (a codec
 * must keep NaN payloads, -0 and subnormals), on the core's float_bits.h.
 */
#ifndef VGM_TEST_BITS_H
#define VGM_TEST_BITS_H

#include "float_bits.h"

/* Whether two doubles have the same bits (NaN payloads and -0 included). */
static inline int
same_bits(double a, double b)
{
	return vgm_double_to_bits(a) == vgm_double_to_bits(b);
}

#endif							/* VGM_TEST_BITS_H */
