/*
 * fuzz_joint_binary.c - libFuzzer harness for the binary input of
 *                       vgm_joint_model: the bytes of a COPY BINARY field
 *                       or a bind parameter, decoded by the function
 *                       vgm_joint_model_recv calls (vgm_joint_model_decode
 *                       in src/joint_model_binary.c, which ends in
 *                       vgm_joint_model_validate).
 *
 * Properties besides memory safety and UB:
 *   - a status of binary_codec.h with a printable message and detail, and
 *     nothing allocated after a rejection;
 *   - an accepted message encodes back to the same bytes;
 *   - an accepted model has a text form that parses back to the same bits:
 *     what binary COPY loads, pg_dump can dump and restore.
 */
// fuzz-srcs: src/joint_model_codec.c src/joint_model_binary.c
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "binary_codec.h"
#include "fuzz_common.h"
#include "joint_model_codec.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzAllocState st;
	VgmAllocator alloc = fuzz_allocator(&st, 0);
	FuzzMsgs	e;
	VgmJointModelView m;
	int			status;

	fuzz_msgs_reset(&e);
	status = vgm_joint_model_decode(data, size, &m, &alloc, e.msg, sizeof(e.msg),
									e.detail, sizeof(e.detail));
	fuzz_msgs_check(&e, status);
	/* the statuses joint_model_codec.h names for the decoder, and no other */
	FUZZ_CHECK(status == VGM_BINARY_OK || status == VGM_BINARY_ERR_UNSUPPORTED ||
			   status == VGM_BINARY_ERR_INVALID || status == VGM_BINARY_ERR_SHORT, "status %d", status);
	if (status != VGM_BINARY_OK)
	{
		FUZZ_CHECK(st.live == 0, "leak after an error");
		return 0;
	}
	{
		size_t		blen = vgm_joint_model_binary_size(&m);
		uint8_t    *bin = malloc(blen);
		JtOut		o;
		char	   *text;
		VgmJointModelView m2;
		uint8_t    *bin2;

		FUZZ_CHECK(bin != NULL, "malloc");
		vgm_joint_model_encode(&m, bin);
		FUZZ_CHECK(blen == size && memcmp(bin, data, size) == 0,
				   "accepted message does not encode back to itself");
		jt_out_growable(&o, NULL, 256);
		vgm_joint_model_write(&o, &m);
		text = jt_out_text(&o);
		fuzz_msgs_reset(&e);
		status = vgm_joint_model_parse(text, strlen(text), &m2, &alloc, e.msg, sizeof(e.msg),
									   e.detail, sizeof(e.detail));
		FUZZ_CHECK(status == VGM_TEXT_OK, "binary-accepted model has no valid text: %s / %s\n  %s",
				   e.msg, e.detail, text);
		bin2 = malloc(blen);
		FUZZ_CHECK(bin2 != NULL, "malloc");
		vgm_joint_model_encode(&m2, bin2);
		FUZZ_CHECK(memcmp(bin, bin2, blen) == 0, "text form changes bits: %s", text);
		fuzz_release(m2.post.conc_a, &st);
		fuzz_release(m.post.conc_a, &st);
		FUZZ_CHECK(st.live == 0, "leak");
		free(bin);
		free(bin2);
		free(text);
	}
	return 0;
}
