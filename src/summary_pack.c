/*
 * summary_pack.c - the packed text of a summary's buckets (see
 * summary_pack.h for the layout and why it is small).
 *
 * Each group of 32 bits is five Z85 characters (85^5 > 2^32), most
 * significant first.  The writer emits a group as soon as it has 32 bits;
 * the reader first decodes all groups into big-endian bytes (a table lookup
 * and four multiply-adds per group, range-checked) and then reads fields
 * through a 64-bit window at any bit position: one unaligned load per field,
 * no refill test.  Bits are big-endian: the first field of the first bucket
 * is in the high bits of the first group.
 *
 * Per bucket, in order:
 *   key     uint(zigzag(key)) for the first bucket, uint(key - previous - 1)
 *   weight  '1' uint(weight - 1) for a whole weight in [1, 2^53], else '0' raw64
 *   mean    '1' (bits - lowest bits of the bucket) in `shift` bits when that
 *           fits, else '0' raw64 (only raw64, without the flag, at shift 63)
 *   m2..m4  '1' [sign, m3 only] uint(zigzag(expected - exponent)) fraction52
 *           '01' for +0.0, '00' raw64
 * where uint(v) is the bit length L of v in unary (L zeros, then a one)
 * followed by the L - 1 bits below v's leading one, and `expected` is the
 * biased exponent of weight * width^k shifted by a per-moment centre measured
 * on continuous data (the k-th central moment of values in a bucket of that
 * width is at most about weight * width^k / 2^k).  Padding zero bits complete
 * the last group.
 */
#include "summary_pack.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "float_bits.h"

static const char z85_chars[86] =
"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/*
 * Exponent centres of m2, m3, m4 relative to weight * width^k: the most
 * common gaps in summaries of continuous data (1M rows, 30k buckets), so the
 * usual exponent costs 1-4 bits.  Part of the format: never change them
 * without a new VGM_PACK_VERSION.
 */
static const int moment_centre[5] = {0, 0, 4, 8, 6};

/* Largest whole weight coded as a count (every whole double up to 2^53 is exact). */
#define WHOLE_WEIGHT_MAX 9007199254740992.0
/* A larger exponent gap than this is never written; the decoder rejects it. */
#define MAX_EXPONENT_CODE 8192
/* The fewest bits a bucket can take: key 1, weight 2, mean 1, moments 2 x 3. */
#define MIN_BUCKET_BITS 10

/* Map a signed integer to an unsigned one, small magnitudes to small codes. */
static inline uint64_t
zigzag(int64_t v)
{
	return ((uint64_t) v << 1) ^ (uint64_t) (v >> 63);
}

/* Inverse of zigzag. */
static inline int64_t
unzigzag(uint64_t u)
{
	return (int64_t) ((u >> 1) ^ (~(u & 1) + 1));
}

/* Lowest bits (sign included) of the values a key covers; 0 for the zero bucket. */
static inline uint64_t
bucket_base_bits(int64_t key, int shift)
{
	uint64_t	mag;

	if (key == 0)
		return 0;
	mag = key < 0 ? (uint64_t) (-(key + 1)) : (uint64_t) (key - 1);
	return (key < 0 ? 0x8000000000000000ULL : 0) | ((mag << shift) & 0x7FFFFFFFFFFFFFFFULL);
}

/*
 * Unbiased exponent of a bucket's width: the ulp at its lowest value times
 * 2^shift.  A predictor only: encoder and decoder compute it from the same
 * key, so any value is exact, but a good one makes the moments short.
 */
static inline int
width_exponent(int64_t key, int shift)
{
	int			e;

	if (key == 0)
		return 0;
	e = (int) ((bucket_base_bits(key, shift) >> 52) & 0x7FF);
	return (e ? e : 1) - 1075 + shift;
}

/* Biased exponent a k-th moment is expected near, given the weight's bits. */
static inline int
expected_exponent(int k, uint64_t weight_bits, int wexp)
{
	int			we = (int) ((weight_bits >> 52) & 0x7FF) - 1023;

	return 1023 + we + k * wexp - moment_centre[k];
}

/* ---------------------------------------------------------------------- */
/* writing                                                                 */
/* ---------------------------------------------------------------------- */

/* Bit writer: pending bits in the low end of acc, flushed 32 at a time as Z85. */
typedef struct BitOut
{
	char	   *p;
	uint64_t	acc;
	int			nbits;
} BitOut;

/* Write one 32-bit group as five characters. */
static inline void
emit_group(BitOut *o, uint32_t v)
{
	int			i;

	for (i = 4; i >= 0; i--)
	{
		o->p[i] = z85_chars[v % 85];
		v /= 85;
	}
	o->p += 5;
}

/* Append the low n (<= 32) bits of v. */
static inline void
put_bits(BitOut *o, uint64_t v, int n)
{
	o->acc = (o->acc << n) | v;
	o->nbits += n;
	if (o->nbits >= 32)
	{
		o->nbits -= 32;
		emit_group(o, (uint32_t) (o->acc >> o->nbits));
	}
}

/* The low n (0..64) bits set. */
static inline uint64_t
low_mask(int n)
{
	return n >= 64 ? ~0ULL : (1ULL << n) - 1;
}

/* Append the low n (<= 64) bits of v; higher bits of v are ignored. */
static inline void
put_bits64(BitOut *o, uint64_t v, int n)
{
	if (n > 32)
	{
		put_bits(o, (v >> 32) & low_mask(n - 32), n - 32);
		put_bits(o, v & 0xFFFFFFFFULL, 32);
	}
	else if (n > 0)
		put_bits(o, v & low_mask(n), n);
}

/* Append an unsigned integer in the length-prefixed code. */
static inline void
put_uint(BitOut *o, uint64_t v)
{
	int			len = v ? 64 - __builtin_clzll(v) : 0;
	int			zeros = len;

	while (zeros >= 32)
	{
		put_bits(o, 0, 32);
		zeros -= 32;
	}
	put_bits(o, 1, zeros + 1);
	if (len > 1)
		put_bits64(o, v, len - 1);	/* put_bits64 drops the leading one */
}

/* Append a central moment of order k (2..4). */
static inline void
put_moment(BitOut *o, double m, int k, uint64_t weight_bits, int wexp)
{
	uint64_t	b = vgm_double_to_bits(m);
	int			ev = (int) ((b >> 52) & 0x7FF);
	int			sign = (int) (b >> 63);
	uint64_t	code = zigzag(expected_exponent(k, weight_bits, wexp) - ev);

	if (b == 0)
		put_bits(o, 1, 2);		/* '01' */
	else if (ev >= 1 && ev <= 2046 && (k == 3 || !sign) && code <= MAX_EXPONENT_CODE)
	{
		put_bits(o, 1, 1);
		if (k == 3)
			put_bits(o, (uint64_t) sign, 1);
		put_uint(o, code);
		put_bits64(o, b & 0x000FFFFFFFFFFFFFULL, 52);
	}
	else
	{
		put_bits(o, 0, 2);		/* '00' */
		put_bits64(o, b, 64);
	}
}

/* Upper bound of the packed text of n buckets, excluding the NUL. */
size_t
vgm_pack_bound(size_t n)
{
	/*
	 * A bucket takes at most 128 (key: 64 zeros, the one, 63 bits) + 107
	 * (weight: flag and a count below 2^53) + 65 (mean: flag and 64 bits) +
	 * 3 x 82 (moments: flag, sign, a gap code of at most 14 + 1 + 13 bits,
	 * the 52-bit fraction) = 546 bits; five characters carry 32 bits.
	 */
	return 32 + (n * 546 + 31) / 32 * 5;
}

/* Write the packed text of sorted buckets; returns its length. */
size_t
vgm_pack_buckets(int shift, const VgmBucket *b, size_t n, char *out)
{
	BitOut		o;
	size_t		i;
	int			head = snprintf(out, 32, "%d;%zu;", VGM_PACK_VERSION, n);

	o.p = out + head;
	o.acc = 0;
	o.nbits = 0;
	for (i = 0; i < n; i++)
	{
		uint64_t	wbits = vgm_double_to_bits(b[i].weight);
		uint64_t	base = bucket_base_bits(b[i].key, shift);
		uint64_t	off = vgm_double_to_bits(b[i].mean) - base;
		int			wexp = width_exponent(b[i].key, shift);

		if (i == 0)
			put_uint(&o, zigzag(b[i].key));
		else
			put_uint(&o, (uint64_t) b[i].key - (uint64_t) b[i - 1].key - 1);
		if (b[i].weight >= 1.0 && b[i].weight <= WHOLE_WEIGHT_MAX
			&& b[i].weight == (double) (uint64_t) b[i].weight)
		{
			put_bits(&o, 1, 1);
			put_uint(&o, (uint64_t) b[i].weight - 1);
		}
		else
		{
			put_bits(&o, 0, 1);
			put_bits64(&o, wbits, 64);
		}
		if (shift <= 62)
		{
			if (off < (1ULL << shift))
			{
				put_bits(&o, 1, 1);
				put_bits64(&o, off, shift);
			}
			else
			{
				put_bits(&o, 0, 1);
				put_bits64(&o, vgm_double_to_bits(b[i].mean), 64);
			}
		}
		else
			put_bits64(&o, vgm_double_to_bits(b[i].mean), 64);
		put_moment(&o, b[i].m2, 2, wbits, wexp);
		put_moment(&o, b[i].m3, 3, wbits, wexp);
		put_moment(&o, b[i].m4, 4, wbits, wexp);
	}
	if (o.nbits > 0)
		put_bits(&o, 0, 32 - o.nbits);
	*o.p = '\0';
	return (size_t) (o.p - out);
}

/* ---------------------------------------------------------------------- */
/* reading                                                                 */
/* ---------------------------------------------------------------------- */

/* Z85 character -> digit, 0xFF for every other byte. */
static unsigned char z85_digit[256];
static int	z85_ready;

/* Fill z85_digit once (idempotent; harmless if two threads race). */
static void
z85_init(void)
{
	int			i;

	if (z85_ready)
		return;
	memset(z85_digit, 0xFF, sizeof(z85_digit));
	for (i = 0; i < 85; i++)
		z85_digit[(unsigned char) z85_chars[i]] = (unsigned char) i;
	z85_ready = 1;
}

/*
 * Decode ngroups groups of five characters into big-endian 32-bit words at
 * out; returns 0, or 2 for a character outside Z85, 3 for a group >= 2^32.
 */
static int
z85_decode(const unsigned char *p, size_t ngroups, unsigned char *out)
{
	size_t		g;

	for (g = 0; g < ngroups; g++, p += 5, out += 4)
	{
		unsigned	d0 = z85_digit[p[0]],
					d1 = z85_digit[p[1]],
					d2 = z85_digit[p[2]],
					d3 = z85_digit[p[3]],
					d4 = z85_digit[p[4]];
		uint64_t	v;

		if ((d0 | d1 | d2 | d3 | d4) & 0x80)	/* 0xFF marks a non-Z85 byte */
			return 2;
		v = (((((uint64_t) d0 * 85 + d1) * 85 + d2) * 85 + d3) * 85) + d4;
		if (v > 0xFFFFFFFFULL)
			return 3;
		out[0] = (unsigned char) (v >> 24);
		out[1] = (unsigned char) (v >> 16);
		out[2] = (unsigned char) (v >> 8);
		out[3] = (unsigned char) v;
	}
	return 0;
}

/*
 * Zero bytes after the decoded stream: a bucket reads at most 546 bits and
 * a window 8 bytes past its position, so reads past the end of the stream
 * stay inside the buffer (they see zeros) until the end-of-bucket check.
 */
#define STREAM_PAD 128

/* Bit reader over the decoded stream. */
typedef struct BitIn
{
	const unsigned char *buf;	/* nbits / 8 bytes, then STREAM_PAD zeros */
	uint64_t	pos;
	uint64_t	nbits;
	int			bad;			/* 1 truncated, 4 an integer longer than 64 bits, 5 a bad exponent */
} BitIn;

/* The next bits, left-aligned: at least 57 of the 64 are the stream's. */
static inline __attribute__((always_inline)) uint64_t
window(const BitIn *r)
{
	uint64_t	v;

	memcpy(&v, r->buf + (r->pos >> 3), sizeof(v));
	return __builtin_bswap64(v) << (r->pos & 7);
}

/* Read n (1..57) bits. */
static inline __attribute__((always_inline)) uint64_t
get_bits(BitIn *r, int n)
{
	uint64_t	v = window(r) >> (64 - n);

	r->pos += (uint64_t) n;
	return v;
}

/* Read n (0..64) bits. */
static inline __attribute__((always_inline)) uint64_t
get_bits64(BitIn *r, int n)
{
	if (n > 57)
	{
		uint64_t	hi = get_bits(r, n - 32);

		return (hi << 32) | get_bits(r, 32);
	}
	return n > 0 ? get_bits(r, n) : 0;
}

/* Read an unsigned integer in the length-prefixed code. */
static inline __attribute__((always_inline)) uint64_t
get_uint(BitIn *r)
{
	uint64_t	w = window(r);
	int			len;

	if (w >> 7)
	{
		/* the leading one is among the 57 valid bits of the window */
		len = __builtin_clzll(w);
		r->pos += (uint64_t) len + 1;
	}
	else
	{
		/* 57 zeros or more: count on bit by bit, within the stream */
		len = 0;
		while (get_bits(r, 1) == 0)
		{
			if (++len > 64 || r->pos > r->nbits)
			{
				r->bad = len > 64 ? 4 : 1;
				return 0;
			}
		}
	}
	if (len <= 1)
		return (uint64_t) len;
	return (1ULL << (len - 1)) | get_bits64(r, len - 1);
}

/* Read a central moment of order k; sets r->bad = 5 on an impossible exponent. */
static inline __attribute__((always_inline)) double
get_moment(BitIn *r, int k, uint64_t weight_bits, int wexp)
{
	if (get_bits(r, 1))
	{
		uint64_t	sign = k == 3 ? get_bits(r, 1) : 0;
		uint64_t	code = get_uint(r);
		int64_t		ev;
		uint64_t	frac;

		if (code > MAX_EXPONENT_CODE)
		{
			r->bad = 5;
			return 0.0;
		}
		ev = expected_exponent(k, weight_bits, wexp) - unzigzag(code);
		frac = get_bits64(r, 52);
		if (ev < 1 || ev > 2046)
		{
			r->bad = 5;
			return 0.0;
		}
		return vgm_bits_to_double((sign << 63) | ((uint64_t) ev << 52) | frac);
	}
	if (get_bits(r, 1))
		return 0.0;
	return vgm_bits_to_double(get_bits64(r, 64));
}

/* Read a decimal number below limit followed by ';'; returns 0 on bad syntax. */
static int
read_header_number(const char **p, const char *end, uint64_t limit, uint64_t *out)
{
	const char *q = *p;
	uint64_t	v = 0;

	if (q >= end || *q < '0' || *q > '9' || (*q == '0' && q + 1 < end && q[1] != ';'))
		return 0;
	while (q < end && *q >= '0' && *q <= '9')
	{
		v = v * 10 + (uint64_t) (*q - '0');
		if (v > limit)
			return 0;
		q++;
	}
	if (q >= end || *q != ';')
		return 0;
	*out = v;
	*p = q + 1;
	return 1;
}

/* Decode packed text into a bucket array. */
int
vgm_unpack_buckets(const char *text, size_t len, int shift,
				   VgmBucket **buckets_out, size_t *n_out, const VgmAllocator *alloc,
				   char *msg, size_t msglen, char *detail, size_t detaillen)
{
	static const char *const bad_what[] = {
		"", "ends before its last bucket", "has a character outside the Z85 alphabet",
		"has a five-character group above 2^32", "has an integer longer than 64 bits",
		"has an exponent outside the finite doubles"
	};
	const char *p = text;
	const char *end = text + len;
	uint64_t	version;
	uint64_t	n;
	size_t		data_len;
	VgmBucket  *b;
	unsigned char *stream;
	BitIn		r;
	size_t		i;
	int64_t		prev = 0;

	*buckets_out = NULL;
	*n_out = 0;
	if (shift < 0 || shift > VGM_SUMMARY_MAX_SHIFT)
		return jt_report(VGM_SUMMARY_ERR_RANGE, msg, msglen, detail, detaillen,
						 "invalid vgm_summary: resolution out of range",
						 "The shift is %d; it must be between 0 and %d.", shift, VGM_SUMMARY_MAX_SHIFT);
	if (!read_header_number(&p, end, 1000000, &version))
		return jt_report(VGM_SUMMARY_ERR_SYNTAX, msg, msglen, detail, detaillen,
						 "invalid input syntax for type vgm_summary",
						 "The packed buckets must start with \"<version>;<count>;\".");
	if (version != VGM_PACK_VERSION)
		return jt_report(VGM_SUMMARY_ERR_VERSION, msg, msglen, detail, detaillen,
						 "unsupported packed vgm_summary bucket version",
						 "The version is %" PRIu64 "; this build reads version %d.",
						 version, VGM_PACK_VERSION);
	if (!read_header_number(&p, end, VGM_SUMMARY_MAX_BUCKETS, &n))
		return jt_report(VGM_SUMMARY_ERR_SYNTAX, msg, msglen, detail, detaillen,
						 "invalid input syntax for type vgm_summary",
						 "The packed buckets must give a bucket count of at most %d after the version.",
						 VGM_SUMMARY_MAX_BUCKETS);
	data_len = (size_t) (end - p);
	if (data_len % 5 != 0 || n * MIN_BUCKET_BITS > (uint64_t) data_len / 5 * 32)
		return jt_report(VGM_SUMMARY_ERR_SYNTAX, msg, msglen, detail, detaillen,
						 "invalid input syntax for type vgm_summary",
						 "The packed data of %" PRIu64 " buckets has %zu characters; it needs a multiple of 5 and at least %" PRIu64 ".",
						 n, data_len, (n * MIN_BUCKET_BITS + 31) / 32 * 5);
	if (n == 0)
	{
		if (data_len != 0)
			return jt_report(VGM_SUMMARY_ERR_SYNTAX, msg, msglen, detail, detaillen,
							 "invalid input syntax for type vgm_summary",
							 "The packed data of 0 buckets must be empty.");
		return VGM_SUMMARY_OK;
	}
	z85_init();
	stream = alloc->alloc(data_len / 5 * 4 + STREAM_PAD, alloc->arg);
	if (!stream)
		return jt_report(VGM_SUMMARY_ERR_NOMEM, msg, msglen, detail, detaillen,
						 "out of memory", "Decoding %" PRIu64 " packed buckets needed more memory.", n);
	memset(stream + data_len / 5 * 4, 0, STREAM_PAD);
	r.bad = z85_decode((const unsigned char *) p, data_len / 5, stream);
	if (r.bad)
	{
		alloc->release(stream, alloc->arg);
		return jt_report(VGM_SUMMARY_ERR_SYNTAX, msg, msglen, detail, detaillen,
						 "invalid input syntax for type vgm_summary",
						 "The packed data %s.", bad_what[r.bad]);
	}
	b = alloc->alloc((size_t) n * sizeof(VgmBucket), alloc->arg);
	if (!b)
	{
		alloc->release(stream, alloc->arg);
		return jt_report(VGM_SUMMARY_ERR_NOMEM, msg, msglen, detail, detaillen,
						 "out of memory", "Decoding %" PRIu64 " packed buckets needed more memory.", n);
	}
	r.buf = stream;
	r.pos = 0;
	r.nbits = (uint64_t) (data_len / 5) * 32;
	for (i = 0; i < n && !r.bad; i++)
	{
		uint64_t	code = get_uint(&r);
		uint64_t	wbits;
		int			wexp;

		if (i == 0)
			b[i].key = unzigzag(code);
		else
		{
			/* room above prev, computed without signed overflow */
			uint64_t	room = (uint64_t) INT64_MAX - (uint64_t) prev;

			if (code >= room)
			{
				alloc->release(stream, alloc->arg);
				alloc->release(b, alloc->arg);
				return jt_report(VGM_SUMMARY_ERR_RANGE, msg, msglen, detail, detaillen,
								 "invalid vgm_summary: bucket key out of range",
								 "Packed bucket %zu has a key above the largest 64-bit integer.", i);
			}
			b[i].key = (int64_t) ((uint64_t) prev + code + 1);
		}
		prev = b[i].key;
		if (get_bits(&r, 1))
		{
			uint64_t	count = get_uint(&r);

			if (count >= (uint64_t) WHOLE_WEIGHT_MAX)
			{
				alloc->release(stream, alloc->arg);
				alloc->release(b, alloc->arg);
				return jt_report(VGM_SUMMARY_ERR_RANGE, msg, msglen, detail, detaillen,
								 "invalid vgm_summary: bad bucket moments",
								 "Packed bucket %zu has a whole weight above 2^53.", i);
			}
			b[i].weight = (double) (count + 1);
		}
		else
			b[i].weight = vgm_bits_to_double(get_bits64(&r, 64));
		wbits = vgm_double_to_bits(b[i].weight);
		if (shift <= 62 && get_bits(&r, 1))
			b[i].mean = vgm_bits_to_double(bucket_base_bits(b[i].key, shift) + get_bits64(&r, shift));
		else
			b[i].mean = vgm_bits_to_double(get_bits64(&r, 64));
		wexp = width_exponent(b[i].key, shift);
		b[i].m2 = get_moment(&r, 2, wbits, wexp);
		b[i].m3 = get_moment(&r, 3, wbits, wexp);
		b[i].m4 = get_moment(&r, 4, wbits, wexp);
		if (r.pos > r.nbits && !r.bad)
			r.bad = 1;
	}
	/* the rest must be the zero padding of the last group, under 32 bits */
	if (!r.bad && (r.nbits - r.pos >= 32 || get_bits64(&r, (int) (r.nbits - r.pos)) != 0))
	{
		alloc->release(stream, alloc->arg);
		alloc->release(b, alloc->arg);
		return jt_report(VGM_SUMMARY_ERR_SYNTAX, msg, msglen, detail, detaillen,
						 "invalid input syntax for type vgm_summary",
						 "The packed data goes on after its %" PRIu64 " buckets (only zero bits may pad the last group).", n);
	}
	alloc->release(stream, alloc->arg);
	if (r.bad)
	{
		alloc->release(b, alloc->arg);
		return jt_report(r.bad == 5 ? VGM_SUMMARY_ERR_RANGE : VGM_SUMMARY_ERR_SYNTAX,
						 msg, msglen, detail, detaillen,
						 r.bad == 5 ? "invalid vgm_summary: bad bucket moments"
						 : "invalid input syntax for type vgm_summary",
						 "The packed data %s (bucket %zu of %" PRIu64 ").",
						 bad_what[r.bad], i - 1, n);
	}
	*buckets_out = b;
	*n_out = (size_t) n;
	return VGM_SUMMARY_OK;
}
