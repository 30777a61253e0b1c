/*
 * fuzz_joint_summary_binary.c - libFuzzer harness for the binary input of
 *                               vgm_joint_summary: the decoders
 *                               vgm_joint_summary_recv calls
 *                               (vgm_joint_summary_decode_head / _body, then
 *                               vgm_joint_summary_validate).
 *
 * Properties besides memory safety and UB:
 *   - the head accepts a message only when its length is exactly that of
 *     the exact values and cells it announces (so the caller's allocation
 *     is bounded by the message);
 *   - an accepted version 2 message encodes back (vgm_joint_summary_encode,
 *     as vgm_joint_summary_send) to the same bytes; an accepted version 1
 *     message encodes to a version 2 message that decodes to the same
 *     summary;
 *   - its text form reads back to the same bits, so a summary loaded by
 *     binary COPY survives pg_dump;
 *   - rejections carry a printable message and detail.
 */
// fuzz-srcs: src/joint_summary_core.c
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_binary.h"
#include "fuzz_common.h"
#include "fuzz_text.h"
#include "joint_summary_core.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzMsgs	e;
	VgmJointSummaryView v;
	int			status;

	fuzz_msgs_reset(&e);
	status = vgm_joint_summary_decode_head(data, size, &v, FUZZ_MSGS(e));
	fuzz_msgs_check(&e, status);
	FUZZ_CHECK(status >= VGM_JOINT_OK && status <= VGM_JOINT_ERR_RANGE, "head status %d", status);
	if (status != VGM_JOINT_OK)
		return 0;
	{
		int64_t    *keys = malloc((v.n + 1) * (v.d + 1) * sizeof(int64_t));
		double	   *stats = malloc((v.n + 1) * VGM_JOINT_STRIDE(v.d) * sizeof(double));
		int64_t    *values = malloc(VGM_JOINT_MAX_DIMS * VGM_JOINT_EXACT_VALUES * sizeof(int64_t));
		bool		version_one = data[3] == VGM_JOINT_SUMMARY_FORMAT_VERSION_ONE_SHIFT;

		FUZZ_CHECK(keys != NULL && stats != NULL && values != NULL, "malloc");
		FUZZ_CHECK(version_one || size == vgm_joint_summary_binary_size(&v), "head accepted a wrong length");
		fuzz_msgs_reset(&e);
		status = vgm_joint_summary_decode_body(data, size, &v, values, keys, stats, FUZZ_MSGS(e));
		fuzz_msgs_check(&e, status);
		FUZZ_CHECK(status >= VGM_JOINT_OK && status <= VGM_JOINT_ERR_RANGE, "body status %d", status);
		if (status == VGM_JOINT_OK)
		{
			FuzzForms	forms = {0};
			VgmJointSummaryView t;
			void	   *block;

			forms.bin = fuzz_joint_summary_send(&v, &forms.blen);
			forms.text = fuzz_joint_text(&v, true, &forms.tlen);
			if (!version_one)
				FUZZ_CHECK(forms.blen == size && memcmp(forms.bin, data, size) == 0,
						   "accepted message does not encode back to itself");
			else
			{
				VgmJointSummaryView w;

				FUZZ_CHECK(forms.blen == size + (size_t) v.d * 4, "version 1 re-encoded to a wrong length");
				FUZZ_CHECK(vgm_joint_summary_decode_head(forms.bin, forms.blen, &w, FUZZ_MSGS(e)) == VGM_JOINT_OK
						   && w.exact == 0 && w.n == v.n, "version 1 re-encoded does not read back");
			}
			fuzz_msgs_reset(&e);
			status = vgm_joint_summary_parse(forms.text, forms.tlen, &t, &block, NULL, FUZZ_MSGS(e));
			FUZZ_CHECK(status == VGM_JOINT_OK, "text of an accepted message does not parse: %s / %s",
					   e.msg, e.detail);
			forms.bin2 = fuzz_joint_summary_send(&t, &forms.blen2);
			fuzz_forms_check_same(&forms, "text round trip");
			free(block);
			fuzz_forms_free(&forms);
		}
		free(keys);
		free(stats);
		free(values);
	}
	return 0;
}
