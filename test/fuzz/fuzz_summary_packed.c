/*
 * fuzz_summary_packed.c - libFuzzer harness for vgm_unpack_buckets, the
 *                         decoder of the packed bucket text (the compact
 *                         vgm_summary text that Citus moves between nodes).
 *
 * Input: one byte choosing the shift (mod 64), then the packed text
 * ("1;<n>;<Z85 data>").  Properties besides memory safety and UB:
 *   - failure: printable lowercase message and a detail, no buckets, nothing
 *     left allocated through the hooks;
 *   - success: packing the buckets again fits vgm_pack_bound and decodes to
 *     the same bits; the repacked text is a fixed point;
 *   - with every allocation failing: an error (NOMEM when there are buckets).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "summary_core.h"
#include "summary_pack.h"

/* Pack buckets into a fresh buffer, checking the length against the bound. */
static char *
pack(int shift, const VgmBucket *b, size_t n, size_t *len)
{
	size_t		cap = vgm_pack_bound(n) + 1;
	char	   *buf = malloc(cap);

	FUZZ_CHECK(buf != NULL, "malloc");
	*len = vgm_pack_buckets(shift, b, n, buf);
	FUZZ_CHECK(*len < cap && strlen(buf) == *len, "packed %zu bytes, bound %zu", *len, cap - 1);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzAllocState st;
	VgmAllocator alloc;
	VgmBucket  *b = NULL;
	size_t		n = 0;
	char		msg[FUZZ_MSG_LEN];
	char		detail[FUZZ_MSG_LEN];
	int			shift;
	int			status;

	if (size < 1)
		return 0;
	shift = data[0] % 64;
	alloc = fuzz_allocator(&st, 0);
	status = vgm_unpack_buckets((const char *) data + 1, size - 1, shift, &b, &n, &alloc,
								msg, sizeof(msg), detail, sizeof(detail));
	if (status != VGM_SUMMARY_OK)
	{
		FUZZ_CHECK(b == NULL && n == 0 && st.live == 0, "failure left buckets or memory");
		FUZZ_CHECK(msg[0] >= 'a' && msg[0] <= 'z' && detail[0] != '\0', "message \"%s\"", msg);
		for (const char *p = detail; *p; p++)
			FUZZ_CHECK(*p >= 0x20 && *p < 0x7f, "unprintable detail");
	}
	else
	{
		size_t		len1;
		size_t		len2;
		char	   *t1 = pack(shift, b, n, &len1);
		VgmBucket  *b2 = NULL;
		size_t		n2 = 0;
		char	   *t2;

		FUZZ_CHECK(st.live == (n ? 1 : 0), "live allocations %ld", st.live);
		status = vgm_unpack_buckets(t1, len1, shift, &b2, &n2, &alloc, msg, sizeof(msg), detail, sizeof(detail));
		FUZZ_CHECK(status == VGM_SUMMARY_OK, "repacked text rejected: %s: %s", msg, detail);
		FUZZ_CHECK(n2 == n && (n == 0 || memcmp(b, b2, n * sizeof(VgmBucket)) == 0), "repacked buckets differ");
		t2 = pack(shift, b2, n2, &len2);
		FUZZ_CHECK(len1 == len2 && memcmp(t1, t2, len1) == 0, "packed text is not a fixed point");
		free(t1);
		free(t2);
		if (b2)
			fuzz_release(b2, alloc.arg);
		if (b)
			fuzz_release(b, alloc.arg);
		FUZZ_CHECK(st.live == 0, "leak");
	}
	/* the same input with every allocation failing */
	alloc = fuzz_allocator(&st, 1);
	b = NULL;
	status = vgm_unpack_buckets((const char *) data + 1, size - 1, shift, &b, &n, &alloc,
								msg, sizeof(msg), detail, sizeof(detail));
	FUZZ_CHECK(b == NULL || status == VGM_SUMMARY_OK, "buckets on failure");
	FUZZ_CHECK(status != VGM_SUMMARY_OK || n == 0, "success without memory for %zu buckets", n);
	return 0;
}
