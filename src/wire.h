/*
 * wire.h - big-endian reading and writing of the binary (send/recv) forms,
 *          in pure C.
 *
 * The byte layout is the one PostgreSQL's pq_sendint32 / pq_sendint64 /
 * pq_sendfloat8 produce and pq_getmsgint / pq_getmsgint64 / pq_getmsgfloat8
 * read: integers in network byte order, a double as the big-endian bytes of
 * its IEEE-754 bit pattern (NaN payloads and -0 pass unchanged).  Writing it
 * here instead of through those functions lets the codecs of binary_codec.c
 * run, be unit-tested and be fuzzed without a server.
 *
 * The readers do not check bounds: a decoder first checks that the message
 * holds the fields it is about to read (vgm_wire_left), in the order the
 * format defines, so that a short message fails at the same field whatever
 * the reader; after that the reads are plain loads.  Writers likewise fill a
 * buffer whose size the encoder computed beforehand.
 */
#ifndef VGM_WIRE_H
#define VGM_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "float_bits.h"

/* Network byte order from and to the host's (gcc and clang builtins). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define VGM_WIRE_SWAP32(v) (v)
#define VGM_WIRE_SWAP64(v) (v)
#else
#define VGM_WIRE_SWAP32(v) __builtin_bswap32(v)
#define VGM_WIRE_SWAP64(v) __builtin_bswap64(v)
#endif

/* A message being read: len bytes at data, the next field at pos. */
typedef struct VgmWireReader
{
	const uint8_t *data;
	size_t		len;
	size_t		pos;
} VgmWireReader;

/* Bytes not yet read. */
static inline size_t
vgm_wire_left(const VgmWireReader *r)
{
	return r->len - r->pos;
}

/* The address of the next n bytes, which are then read (the caller checked they exist). */
static inline const uint8_t *
vgm_wire_take(VgmWireReader *r, size_t n)
{
	const uint8_t *p = r->data + r->pos;

	r->pos += n;
	return p;
}

/* The next 4 bytes as an unsigned integer. */
static inline uint32_t
vgm_wire_get_u32(VgmWireReader *r)
{
	uint32_t	v;

	memcpy(&v, vgm_wire_take(r, sizeof(v)), sizeof(v));
	return VGM_WIRE_SWAP32(v);
}

/* The next 8 bytes as an unsigned integer. */
static inline uint64_t
vgm_wire_get_u64(VgmWireReader *r)
{
	uint64_t	v;

	memcpy(&v, vgm_wire_take(r, sizeof(v)), sizeof(v));
	return VGM_WIRE_SWAP64(v);
}

/* The next 4 bytes as a signed integer, as pq_getmsgint(buf, 4) into an int. */
static inline int32_t
vgm_wire_get_i32(VgmWireReader *r)
{
	return (int32_t) vgm_wire_get_u32(r);
}

/* The next 8 bytes as a signed integer (pq_getmsgint64). */
static inline int64_t
vgm_wire_get_i64(VgmWireReader *r)
{
	return (int64_t) vgm_wire_get_u64(r);
}

/* The next 8 bytes as the bit pattern of a double (pq_getmsgfloat8). */
static inline double
vgm_wire_get_f64(VgmWireReader *r)
{
	return vgm_bits_to_double(vgm_wire_get_u64(r));
}

/* A message being written into a buffer the encoder sized. */
typedef struct VgmWireWriter
{
	uint8_t    *out;
	size_t		pos;
} VgmWireWriter;

/* The address of the next n bytes of the buffer, which are then written. */
static inline uint8_t *
vgm_wire_reserve(VgmWireWriter *w, size_t n)
{
	uint8_t    *p = w->out + w->pos;

	w->pos += n;
	return p;
}

/* Append a 32-bit integer (pq_sendint32). */
static inline void
vgm_wire_put_u32(VgmWireWriter *w, uint32_t v)
{
	v = VGM_WIRE_SWAP32(v);
	memcpy(vgm_wire_reserve(w, sizeof(v)), &v, sizeof(v));
}

/* Append a 64-bit integer (pq_sendint64). */
static inline void
vgm_wire_put_u64(VgmWireWriter *w, uint64_t v)
{
	v = VGM_WIRE_SWAP64(v);
	memcpy(vgm_wire_reserve(w, sizeof(v)), &v, sizeof(v));
}

/* Append the bit pattern of a double (pq_sendfloat8). */
static inline void
vgm_wire_put_f64(VgmWireWriter *w, double v)
{
	vgm_wire_put_u64(w, vgm_double_to_bits(v));
}

/*
 * A fixed field of a record on the wire: where it sits in the C struct and
 * how wide it is (4 bytes: an int32; 8 bytes: an int64, a uint64 or the bit
 * pattern of a double, which travel alike).  A codec lists a record's fields
 * once, in wire order, and that one table drives both its reader and its
 * writer, so the two directions cannot disagree about the layout.
 */
typedef struct VgmWireField
{
	uint16_t	offset;
	uint16_t	size;
} VgmWireField;

/* The wire field of member of struct type (its width taken from the member). */
#define VGM_WIRE_FIELD(type, member) \
	{(uint16_t) offsetof(type, member), (uint16_t) sizeof(((type *) 0)->member)}

/*
 * Copy a 4- or 8-byte integer between host and network byte order: the
 * same swap serves reading and writing.
 */
static inline void
vgm_wire_swap_copy(void *dst, const void *src, size_t size)
{
	if (size == 4)
	{
		uint32_t	v;

		memcpy(&v, src, sizeof(v));
		v = VGM_WIRE_SWAP32(v);
		memcpy(dst, &v, sizeof(v));
	}
	else
	{
		uint64_t	v;

		memcpy(&v, src, sizeof(v));
		v = VGM_WIRE_SWAP64(v);
		memcpy(dst, &v, sizeof(v));
	}
}

/* Read n fields into the struct at base (the caller checked that the bytes exist). */
static inline void
vgm_wire_get_fields(VgmWireReader *r, const VgmWireField *fields, int n, void *base)
{
	for (int i = 0; i < n; i++)
		vgm_wire_swap_copy((char *) base + fields[i].offset, vgm_wire_take(r, fields[i].size),
						   fields[i].size);
}

/* Append n fields of the struct at base. */
static inline void
vgm_wire_put_fields(VgmWireWriter *w, const VgmWireField *fields, int n, const void *base)
{
	for (int i = 0; i < n; i++)
		vgm_wire_swap_copy(vgm_wire_reserve(w, fields[i].size),
						   (const char *) base + fields[i].offset, fields[i].size);
}

/*
 * Copy n 8-byte words between host and network byte order.  A big-endian
 * host copies the run as it is.  On a little-endian one each word is a
 * load, a bswap and a store; compilers do not vectorise that loop for the
 * baseline x86-64 (no byte shuffle before SSSE3), so it runs eight words a
 * step, straight-line, and the rest as four, two and one (a constant n, a
 * component's seven words, folds to straight code).
 */
static inline void
vgm_wire_swap_words64(uint8_t *to, const uint8_t *from, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	memcpy(to, from, n * 8);
#else
	for (; n >= 8; n -= 8, from += 64, to += 64)
	{
		vgm_wire_swap_copy(to, from, 8);
		vgm_wire_swap_copy(to + 8, from + 8, 8);
		vgm_wire_swap_copy(to + 16, from + 16, 8);
		vgm_wire_swap_copy(to + 24, from + 24, 8);
		vgm_wire_swap_copy(to + 32, from + 32, 8);
		vgm_wire_swap_copy(to + 40, from + 40, 8);
		vgm_wire_swap_copy(to + 48, from + 48, 8);
		vgm_wire_swap_copy(to + 56, from + 56, 8);
	}
	if (n & 4)
	{
		vgm_wire_swap_copy(to, from, 8);
		vgm_wire_swap_copy(to + 8, from + 8, 8);
		vgm_wire_swap_copy(to + 16, from + 16, 8);
		vgm_wire_swap_copy(to + 24, from + 24, 8);
		from += 32;
		to += 32;
	}
	if (n & 2)
	{
		vgm_wire_swap_copy(to, from, 8);
		vgm_wire_swap_copy(to + 8, from + 8, 8);
		from += 16;
		to += 16;
	}
	if (n & 1)
		vgm_wire_swap_copy(to, from, 8);
#endif
}

/*
 * Read n 8-byte words (64-bit integers or the bit patterns of doubles) into
 * consecutive memory at out: an array of doubles or int64s, or an array of
 * records made only of such fields in wire order (the caller asserts the
 * layout).  The caller checked that the bytes exist.
 */
static inline void
vgm_wire_get_words64(VgmWireReader *r, void *out, size_t n)
{
	vgm_wire_swap_words64(out, vgm_wire_take(r, n * 8), n);
}

/* Append n 8-byte words from consecutive memory at values (as vgm_wire_get_words64 reads them). */
static inline void
vgm_wire_put_words64(VgmWireWriter *w, const void *values, size_t n)
{
	vgm_wire_swap_words64(vgm_wire_reserve(w, n * 8), values, n);
}

#endif							/* VGM_WIRE_H */
