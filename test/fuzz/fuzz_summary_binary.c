/*
 * fuzz_summary_binary.c - libFuzzer harness for the binary input of
 *                         vgm_summary, decoded by the functions
 *                         vgm_summary_recv calls (vgm_summary_decode_head /
 *                         _body in src/binary_codec.c, then
 *                         vgm_summary_validate).
 *
 * Properties besides memory safety and UB:
 *   - an accepted message encodes back (vgm_summary_encode, as
 *     vgm_summary_send) to the same bytes;
 *   - its text form (vgm_summary_out) reads back (vgm_summary_in) to the
 *     same bits, so a summary loaded by binary COPY survives pg_dump;
 *   - vgm_buckets_moments runs on it (vgm_summary_info, vgm_fit);
 *   - rejections carry a printable message and detail, and a status of
 *     binary_codec.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_binary.h"
#include "fuzz_common.h"
#include "fuzz_text.h"
#include "summary_core.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzMsgs	e;
	VgmSummaryWireHead h;
	VgmBucket  *b;
	int			status;

	fuzz_msgs_reset(&e);
	status = fuzz_summary_recv(data, size, &h, &b, &e);
	fuzz_msgs_check(&e, status);
	FUZZ_CHECK(fuzz_binary_status(status, false), "status %d", status);
	if (status == VGM_BINARY_OK)
	{
		size_t		blen;
		uint8_t    *bin = fuzz_summary_send(h.shift, &h.counts, b, h.n, &blen);
		size_t		need;
		char	   *text = fuzz_summary_text(h.shift, &h.counts, b, h.n, NULL, 0, &need);
		FuzzAllocState st;
		VgmAllocator alloc = fuzz_allocator(&st, 0);
		int			shift2;
		VgmSummaryCounts c2;
		VgmBucket  *b2;
		size_t		n2;
		VgmMoments	mom;
		int			s2;

		FUZZ_CHECK(blen == size && memcmp(bin, data, size) == 0,
				   "accepted message does not encode back to itself");
		vgm_buckets_moments(b, h.n, &mom);
		fuzz_msgs_reset(&e);
		s2 = vgm_summary_parse(text, need, &shift2, &c2, &b2, &n2, NULL, NULL, &alloc,
							   FUZZ_MSGS(e));
		FUZZ_CHECK(s2 == VGM_SUMMARY_OK,
				   "binary-accepted summary has no valid text: %s / %s\n  %.2000s",
				   e.msg, e.detail, text);
		{
			size_t		blen2;
			uint8_t    *bin2 = fuzz_summary_send(shift2, &c2, b2, n2, &blen2);

			FUZZ_CHECK(blen2 == blen && memcmp(bin, bin2, blen) == 0,
					   "text form changes bits: %.2000s", text);
			free(bin2);
		}
		if (b2)
			fuzz_release(b2, &st);
		FUZZ_CHECK(st.live == 0, "leak");
		free(bin);
		free(text);
	}
	free(b);
	return 0;
}
