/*
 * fuzz_ks_binary.c - libFuzzer harness for the binary input of vgm_ks_state,
 *                    decoded by the function vgm_ks_state_recv calls
 *                    (vgm_ks_decode in src/binary_codec.c, then
 *                    vgm_ks_validate).
 *
 * Properties besides memory safety and UB: an accepted message encodes back
 * (vgm_ks_encode, as vgm_ks_state_send) to the same bytes; its text form
 * (vgm_ks_format) reads back (vgm_ks_parse) to the same state, so binary COPY
 * and pg_dump agree; rejections carry a printable message and detail.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_binary.h"
#include "fuzz_common.h"
#include "fuzz_text.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int64_t counts[VGM_KS_BINS];
	static int64_t counts_from_text[VGM_KS_BINS];
	VgmKsCounts c,
				c_from_text;
	FuzzMsgs	e;
	int			status;

	fuzz_msgs_reset(&e);
	status = vgm_ks_decode(data, size, &c, counts, VGM_KS_BINS, FUZZ_MSGS(e));
	fuzz_msgs_check(&e, status);
	FUZZ_CHECK(fuzz_binary_status(status, true), "status %d", status);
	if (status == VGM_BINARY_OK)
	{
		size_t		blen,
					tlen;
		uint8_t    *bin = fuzz_ks_send(&c, counts, &blen);

		FUZZ_CHECK(blen == size && memcmp(bin, data, size) == 0,
				   "accepted message does not encode back to itself");
		/* binary-accepted state has a valid text, read back to the same state */
		free(fuzz_ks_text_round_trip(&c, counts, &tlen, &c_from_text, counts_from_text));
		free(bin);
	}
	return 0;
}
