/*
 * fuzz_ks_binary.c - libFuzzer harness for the binary input of vgm_ks_state,
 *                    decoded as vgm_ks_state_recv decodes it (ks_shim.c)
 *                    and checked by vgm_ks_validate.
 *
 * Properties besides memory safety and UB: an accepted message encodes back
 * (vgm_ks_state_send) to the same bytes; its text form (vgm_ks_format) reads
 * back (vgm_ks_parse) to the same state, so binary COPY and pg_dump agree.
 */
// fuzz-srcs: src/validate_core.c test/fuzz/ks_shim.c
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ks_shim.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int64_t counts[VGM_KS_BINS];
	static int64_t counts2[VGM_KS_BINS];
	VgmKsCounts c,
				c2;
	FuzzMsgs	e;
	int			status;

	fuzz_msgs_reset(&e);
	status = shim_ks_recv(data, size, &c, counts, e.msg, sizeof(e.msg), e.detail, sizeof(e.detail));
	fuzz_msgs_check(&e, status);
	if (status == VGM_KS_OK)
	{
		size_t		blen = shim_ks_send(&c, counts, NULL, 0);
		uint8_t    *bin = malloc(blen);
		size_t		tlen = vgm_ks_format(&c, counts, VGM_KS_BINS, NULL, 0);
		char	   *text = malloc(tlen + 1);
		int			s2;

		FUZZ_CHECK(bin != NULL && text != NULL, "malloc");
		shim_ks_send(&c, counts, bin, blen);
		FUZZ_CHECK(blen == size && memcmp(bin, data, size) == 0,
				   "accepted message does not encode back to itself");
		vgm_ks_format(&c, counts, VGM_KS_BINS, text, tlen + 1);
		fuzz_msgs_reset(&e);
		s2 = vgm_ks_parse(text, tlen, &c2, counts2, VGM_KS_BINS, e.msg, sizeof(e.msg),
						  e.detail, sizeof(e.detail));
		FUZZ_CHECK(s2 == VGM_KS_OK, "binary-accepted state has no valid text: %s / %s", e.msg, e.detail);
		FUZZ_CHECK(memcmp(&c, &c2, sizeof(c)) == 0 && memcmp(counts, counts2, sizeof(counts)) == 0,
				   "text form changes the state");
		free(bin);
		free(text);
	}
	return 0;
}
