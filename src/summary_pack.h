/*
 * summary_pack.h - the packed text of a summary's buckets, in pure C.
 *
 * Citus moves a partial aggregate state between servers as the text of its
 * type, so a vgm_summary of 20-30k buckets travels as 2-3 MB of JSON numbers
 * and the coordinator spends most of a distributed fit parsing them.  The
 * packed form keeps the JSON envelope of the summary and replaces its
 * "buckets" array by one string field, "packed":"1;<n>;<data>", where data
 * is a bit stream in the Z85 alphabet (85 printable characters without
 * quotes, backslash, comma or space: safe in JSON strings, SQL literals and
 * CSV).  The stream is exact: every bucket's key and five doubles come back
 * bit for bit.  It is small because it codes what is predictable:
 *
 *   key      ascending: the gap to the previous key, minus one (mostly 0)
 *   weight   usually a whole count: its value minus one, else the 64 bits
 *   mean     lies inside its bucket: its bits minus the bucket's lowest
 *            bits, in exactly `shift` bits, else the 64 bits
 *   m2..m4   zero, or sign, exponent and 52-bit fraction, the exponent
 *            relative to the one of weight * width^k (the bound of a k-th
 *            central moment of values inside a bucket of that width), else
 *            the 64 bits
 *
 * Integers of unknown size use a length-prefixed code (the length in unary,
 * then the bits below the leading one), so small values take few bits and
 * any 64-bit value fits.  The fractions are incompressible rounding noise:
 * 3 x 52 of the ~205 bits a continuous bucket needs; docs/distributed.md
 * gives the measured sizes.
 *
 * The decoder treats its input as untrusted: every length, count and
 * exponent is range-checked, the stream must end exactly (zero padding only)
 * and the summary it belongs to is validated afterwards as a whole.
 */
#ifndef VGM_SUMMARY_PACK_H
#define VGM_SUMMARY_PACK_H

#include <stddef.h>

#include "summary_core.h"

/* Version of the packed stream, the first number of the field. */
#define VGM_PACK_VERSION 1

/* Upper bound of the packed text of n buckets, excluding the NUL. */
size_t		vgm_pack_bound(size_t n);

/*
 * Write the packed text ("1;<n>;<data>") of n buckets, sorted by strictly
 * ascending key, at resolution shift into out, which has room for
 * vgm_pack_bound(n) + 1 bytes; returns the length written (NUL-terminated).
 */
size_t		vgm_pack_buckets(int shift, const VgmBucket *buckets, size_t n, char *out);

/*
 * Decode packed text (len bytes, not NUL-terminated) at resolution shift
 * into a bucket array allocated with alloc.  Returns VGM_SUMMARY_OK, or
 * VGM_SUMMARY_ERR_SYNTAX / _VERSION / _RANGE / _NOMEM with a message and a
 * detail; the caller validates the buckets with the rest of the summary.
 */
int			vgm_unpack_buckets(const char *text, size_t len, int shift,
							   VgmBucket **buckets, size_t *n, const VgmAllocator *alloc,
							   char *msg, size_t msglen, char *detail, size_t detaillen);

#endif							/* VGM_SUMMARY_PACK_H */
