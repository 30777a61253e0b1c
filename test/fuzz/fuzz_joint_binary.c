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
#include "fuzz_binary.h"
#include "fuzz_common.h"
#include "fuzz_entry.h"
#include "fuzz_text.h"
#include "joint_model_codec.h"

/* One message: decoded, re-encoded to itself, and through its text to the same bits. */
static void
fuzz_one(FuzzRun *r, const uint8_t *data, size_t size)
{
	VgmJointModelView m;
	int			status;

	status = vgm_joint_model_decode(data, size, &m, &r->alloc, FUZZ_MSGS(r->e));
	fuzz_msgs_check(&r->e, status);
	/* the statuses joint_model_codec.h names for the decoder, and no other */
	FUZZ_CHECK(fuzz_binary_status(status, false), "status %d", status);
	if (status != VGM_BINARY_OK)
	{
		FUZZ_CHECK(r->st.live == 0, "leak after an error");
		return;
	}
	{
		FuzzForms	forms = {0};
		VgmJointModelView m2;

		forms.bin = fuzz_joint_model_send(&m, &forms.blen);
		forms.text = fuzz_joint_text(&m, false, &forms.tlen);
		FUZZ_CHECK(forms.blen == size && memcmp(forms.bin, data, size) == 0,
				   "accepted message does not encode back to itself");
		fuzz_msgs_reset(&r->e);
		status = vgm_joint_model_parse(forms.text, forms.tlen, &m2, &r->alloc, FUZZ_MSGS(r->e));
		FUZZ_CHECK(status == VGM_TEXT_OK, "binary-accepted model has no valid text: %s / %s\n  %s",
				   r->e.msg, r->e.detail, forms.text);
		forms.bin2 = fuzz_joint_model_send(&m2, &forms.blen2);
		fuzz_forms_check_same(&forms, "text form");
		fuzz_release(m2.post.conc_a, &r->st);
		fuzz_release(m.post.conc_a, &r->st);
		FUZZ_CHECK(r->st.live == 0, "leak");
		fuzz_forms_free(&forms);
	}
}
