/*
 * fuzz_joint_summary_binary.c - libFuzzer harness for the binary input of
 *                               vgm_joint_summary: the decoders
 *                               vgm_joint_summary_recv calls
 *                               (vgm_joint_summary_decode_head / _body, then
 *                               vgm_joint_summary_validate).
 *
 * Properties besides memory safety and UB:
 *   - the head accepts a message only when its length is exactly that of
 *     the cells it announces (so the caller's allocation is bounded by the
 *     message);
 *   - an accepted message encodes back (vgm_joint_summary_encode, as
 *     vgm_joint_summary_send) to the same bytes;
 *   - its text form reads back to the same bits, so a summary loaded by
 *     binary COPY survives pg_dump;
 *   - rejections carry a printable message and detail.
 */
// fuzz-srcs: src/joint_summary_core.c
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
	FUZZ_CHECK(size == vgm_joint_summary_binary_size(v.d, v.n), "head accepted a wrong length");
	{
		int64_t    *keys = malloc((v.n + 1) * (v.d + 1) * sizeof(int64_t));
		double	   *stats = malloc((v.n + 1) * VGM_JOINT_STRIDE(v.d) * sizeof(double));

		FUZZ_CHECK(keys != NULL && stats != NULL, "malloc");
		fuzz_msgs_reset(&e);
		status = vgm_joint_summary_decode_body(data, size, &v, keys, stats, FUZZ_MSGS(e));
		fuzz_msgs_check(&e, status);
		FUZZ_CHECK(status >= VGM_JOINT_OK && status <= VGM_JOINT_ERR_RANGE, "body status %d", status);
		if (status == VGM_JOINT_OK)
		{
			size_t		blen,
						blen2,
						tlen;
			uint8_t    *bin = fuzz_joint_summary_send(&v, &blen);
			char	   *text = fuzz_joint_text(&v, true, &tlen);
			VgmJointSummaryView t;
			void	   *block;
			uint8_t    *bin2;

			FUZZ_CHECK(blen == size && memcmp(bin, data, size) == 0,
					   "accepted message does not encode back to itself");
			fuzz_msgs_reset(&e);
			status = vgm_joint_summary_parse(text, tlen, &t, &block, NULL, FUZZ_MSGS(e));
			FUZZ_CHECK(status == VGM_JOINT_OK, "text of an accepted message does not parse: %s / %s",
					   e.msg, e.detail);
			bin2 = fuzz_joint_summary_send(&t, &blen2);
			FUZZ_CHECK(blen == blen2 && memcmp(bin, bin2, blen) == 0, "text round trip changed bits");
			free(bin2);
			free(block);
			free(text);
			free(bin);
		}
		free(keys);
		free(stats);
	}
	return 0;
}
