/*
 * fuzz_model_binary.c - libFuzzer harness for the binary input of vgm_model:
 *                       the bytes of a COPY BINARY field or a bind
 *                       parameter, decoded by the functions vgm_model_recv
 *                       calls (vgm_model_decode_head / _body in
 *                       src/binary_codec.c, then vgm_model_validate).
 *
 * Properties besides memory safety and UB:
 *   - an accepted message encodes back (vgm_model_encode, as vgm_model_send)
 *     to the same bytes;
 *   - an accepted model has a text form (vgm_model_out) that vgm_model_in
 *     reads back to the same bits: what binary COPY loads, pg_dump can dump
 *     and restore;
 *   - rejections carry a printable message and detail, and a status of
 *     binary_codec.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_binary.h"
#include "fuzz_common.h"
#include "fuzz_text.h"
#include "model_codec.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzMsgs	e;
	VgmModelView m;
	int			status;

	fuzz_msgs_reset(&e);
	status = fuzz_model_recv(data, size, &m, &e);
	fuzz_msgs_check(&e, status);
	FUZZ_CHECK(fuzz_binary_status(status, false), "status %d", status);
	if (status == VGM_BINARY_OK)
	{
		size_t		blen;
		uint8_t    *bin = fuzz_model_send(&m, &blen);
		size_t		need;
		char	   *text = fuzz_model_text(&m, &need);
		FuzzRun		r;
		VgmModelView m2;
		int			s2;

		FUZZ_CHECK(blen == size && memcmp(bin, data, size) == 0,
				   "accepted message does not encode back to itself");
		fuzz_run_start(&r, 0);
		s2 = vgm_model_parse(text, need, &m2, &r.alloc, FUZZ_MSGS(r.e));
		FUZZ_CHECK(s2 == VGM_MODEL_OK, "binary-accepted model has no valid text: %s / %s\n  %s",
				   r.e.msg, r.e.detail, text);
		{
			size_t		blen2;
			uint8_t    *bin2 = fuzz_model_send(&m2, &blen2);

			FUZZ_CHECK(blen2 == blen && memcmp(bin, bin2, blen) == 0,
					   "text form changes bits: %s", text);
			free(bin2);
		}
		fuzz_release(m2.comp, &r.st);
		FUZZ_CHECK(r.st.live == 0, "leak");
		free(bin);
		free(text);
		free(m.comp);
		free(m.weights);
		free(m.atom_values);
		free(m.atom_weights);
	}
	return 0;
}
