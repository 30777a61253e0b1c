/*
 * fuzz_model_binary.c - libFuzzer harness for the binary input of vgm_model:
 *                       the bytes of a COPY BINARY field or a bind
 *                       parameter, decoded as vgm_model_recv decodes them
 *                       (recv_shim.c) and checked by vgm_model_validate.
 *
 * Properties besides memory safety and UB:
 *   - an accepted message encodes back (vgm_model_send) to the same bytes;
 *   - an accepted model has a text form (vgm_model_out) that vgm_model_in
 *     reads back to the same bits: what binary COPY loads, pg_dump can dump
 *     and restore;
 *   - rejections carry a printable message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "model_codec.h"
#include "recv_shim.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static VgmComponent comp[VGM_MAX_COMPONENTS];
	static double weights[VGM_MAX_COMPONENTS];
	FuzzMsgs	e;
	VgmModelView m;
	int			status;

	fuzz_msgs_reset(&e);
	status = shim_model_recv(data, size, &m, comp, weights, e.msg, sizeof(e.msg),
							 e.detail, sizeof(e.detail));
	fuzz_msgs_check(&e, status);
	if (status == VGM_MODEL_OK)
	{
		size_t		blen = shim_model_send(&m, NULL, 0);
		uint8_t    *bin = malloc(blen);
		size_t		cap = 1024 + (size_t) m.hdr.k * 200;
		char	   *text = malloc(cap);
		size_t		need;
		FuzzAllocState st;
		VgmAllocator alloc = fuzz_allocator(&st, 0);
		VgmModelView m2;
		int			s2;

		FUZZ_CHECK(bin != NULL && text != NULL, "malloc");
		shim_model_send(&m, bin, blen);
		FUZZ_CHECK(blen == size && memcmp(bin, data, size) == 0,
				   "accepted message does not encode back to itself");
		need = vgm_model_format(&m, text, cap);
		if (need >= cap)
		{
			free(text);
			cap = need + 1;
			text = malloc(cap);
			FUZZ_CHECK(text != NULL, "malloc");
			vgm_model_format(&m, text, cap);
		}
		fuzz_msgs_reset(&e);
		s2 = vgm_model_parse(text, need, &m2, &alloc, e.msg, sizeof(e.msg),
							 e.detail, sizeof(e.detail));
		FUZZ_CHECK(s2 == VGM_MODEL_OK, "binary-accepted model has no valid text: %s / %s\n  %s",
				   e.msg, e.detail, text);
		{
			uint8_t    *bin2 = malloc(blen);

			FUZZ_CHECK(bin2 != NULL, "malloc");
			FUZZ_CHECK(shim_model_send(&m2, bin2, blen) == blen &&
					   memcmp(bin, bin2, blen) == 0, "text form changes bits: %s", text);
			free(bin2);
		}
		fuzz_release(m2.comp, &st);
		FUZZ_CHECK(st.live == 0, "leak");
		free(bin);
		free(text);
	}
	return 0;
}
