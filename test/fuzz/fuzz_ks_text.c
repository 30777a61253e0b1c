/*
 * fuzz_ks_text.c - libFuzzer harness for vgm_ks_parse, the parser of the
 *                  KS-histogram state's text form (src/validate_core.c).
 *
 * Properties besides memory safety and UB:
 *   - failure: a non-empty message and detail without control characters,
 *     well-formed UTF-8 when the input was (the parser echoes an unknown
 *     key into the detail, unlike the model parser, which writes '?' for
 *     anything but printable ASCII);
 *   - success: vgm_ks_validate accepts the state; its text (vgm_ks_format)
 *     parses back to the same counts and is a fixed point of parse+format.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fuzz_text.h"
#include "validate_core.h"

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
	status = vgm_ks_parse((const char *) data, size, &c, counts, VGM_KS_BINS, FUZZ_MSGS(e));
	fuzz_msgs_check_echo(&e, status, data, size);
	if (status == VGM_KS_OK)
	{
		char	   *text,
				   *text2;
		size_t		tlen,
					tlen2;

		fuzz_msgs_reset(&e);
		status = vgm_ks_validate(&c, counts, VGM_KS_BINS, FUZZ_MSGS(e));
		FUZZ_CHECK(status == VGM_KS_OK, "parsed state fails validation: %s", e.msg);
		text = fuzz_ks_text_round_trip(&c, counts, &tlen, &c2, counts2);
		text2 = fuzz_ks_text(&c2, counts2, &tlen2);
		FUZZ_CHECK(tlen == tlen2 && memcmp(text, text2, tlen) == 0, "text not a fixed point");
		free(text);
		free(text2);
	}
	return 0;
}
