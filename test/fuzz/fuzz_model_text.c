/*
 * fuzz_model_text.c - libFuzzer harness for vgm_model_parse, the parser
 *                     behind vgm_model_in (the JSON text form of vgm_model).
 *
 * Input: any bytes, given to the parser with their exact length (libFuzzer's
 * buffer is an exact-size heap block, so ASan sees a read past the end).
 * Properties checked besides memory safety and UB:
 *   - failure: a non-empty printable message and detail, no output model,
 *     nothing left allocated through the allocator hooks;
 *   - success: the model passes vgm_model_validate; its text (vgm_model_out)
 *     parses again to the same bits, and is a fixed point of parse+format;
 *     its binary form (vgm_model_send) decodes (vgm_model_recv's decoder)
 *     and encodes back to the same bytes; so a model accepted here survives COPY, binary COPY
 *     and pg_dump;
 *   - with every allocation failing the parser returns an error, never a
 *     model, and VGM_MODEL_ERR_NOMEM exactly when the text was valid JSON of
 *     the right shape.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_binary.h"
#include "fuzz_common.h"
#include "model_codec.h"

/* Format a model into a malloc'ed NUL-terminated string, as vgm_model_out does. */
static char *
format_model(const VgmModelView *m, size_t *len)
{
	size_t		cap = 1024 + (size_t) m->hdr.k * 200;
	char	   *buf = malloc(cap);
	size_t		need;

	FUZZ_CHECK(buf != NULL, "malloc");
	need = vgm_model_format(m, buf, cap);
	if (need >= cap)
	{
		free(buf);
		cap = need + 1;
		buf = malloc(cap);
		FUZZ_CHECK(buf != NULL, "malloc");
		FUZZ_CHECK(vgm_model_format(m, buf, cap) == need, "format length changed");
	}
	FUZZ_CHECK(strlen(buf) == need, "format wrote %zu bytes, said %zu", strlen(buf), need);
	*len = need;
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzAllocState st;
	VgmAllocator alloc = fuzz_allocator(&st, 0);
	FuzzMsgs	e;
	VgmModelView m;
	int			status;

	fuzz_msgs_reset(&e);
	status = vgm_model_parse((const char *) data, size, &m, &alloc,
							 e.msg, sizeof(e.msg), e.detail, sizeof(e.detail));
	fuzz_msgs_check(&e, status);
	FUZZ_CHECK(status >= VGM_MODEL_OK && status <= VGM_MODEL_ERR_NOMEM, "status %d", status);

	if (status != VGM_MODEL_OK)
	{
		FUZZ_CHECK(m.comp == NULL && m.weights == NULL, "error %d with a model", status);
		FUZZ_CHECK(st.live == 0, "error %d leaves %ld allocations", status, st.live);
	}
	else
	{
		FuzzMsgs	e2;
		VgmModelView m2;
		char	   *text,
				   *text2;
		size_t		tlen,
					tlen2;
		uint8_t    *bin,
				   *bin2;
		size_t		blen,
					blen2;
		FuzzAllocState st2;
		VgmAllocator alloc2;
		int			s2;

		FUZZ_CHECK(st.live == 1, "a model holds %ld allocations", st.live);
		FUZZ_CHECK(m.comp != NULL && m.weights != NULL, "model without arrays");
		fuzz_msgs_reset(&e2);
		s2 = vgm_model_validate(&m, e2.msg, sizeof(e2.msg), e2.detail, sizeof(e2.detail));
		FUZZ_CHECK(s2 == VGM_MODEL_OK, "parsed model fails validation: %s", e2.msg);

		/* text round trip: to the same bits, and a fixed point */
		text = format_model(&m, &tlen);
		alloc2 = fuzz_allocator(&st2, 0);
		fuzz_msgs_reset(&e2);
		s2 = vgm_model_parse(text, tlen, &m2, &alloc2, e2.msg, sizeof(e2.msg),
							 e2.detail, sizeof(e2.detail));
		FUZZ_CHECK(s2 == VGM_MODEL_OK, "output text does not parse: %s / %s\n  %s",
				   e2.msg, e2.detail, text);
		text2 = format_model(&m2, &tlen2);
		FUZZ_CHECK(tlen == tlen2 && memcmp(text, text2, tlen) == 0,
				   "text not a fixed point:\n  %s\n  %s", text, text2);
		bin = fuzz_model_send(&m, &blen);
		bin2 = fuzz_model_send(&m2, &blen2);
		FUZZ_CHECK(blen == blen2 && memcmp(bin, bin2, blen) == 0,
				   "text round trip changed bits: %s", text);
		fuzz_release(m2.comp, &st2);
		FUZZ_CHECK(st2.live == 0, "leak in the round trip");

		/* binary round trip through the decoder of vgm_model_recv */
		fuzz_msgs_reset(&e2);
		s2 = fuzz_model_recv(bin, blen, &m2, &e2);
		FUZZ_CHECK(s2 == VGM_BINARY_OK, "binary form rejected: %s / %s", e2.msg, e2.detail);
		free(bin2);
		bin2 = fuzz_model_send(&m2, &blen2);
		FUZZ_CHECK(blen == blen2 && memcmp(bin, bin2, blen) == 0, "binary round trip changed bits");
		free(m2.comp);
		free(m2.weights);
		free(m2.atom_values);
		free(m2.atom_weights);
		free(bin);
		free(bin2);
		free(text);
		free(text2);
		fuzz_release(m.comp, &st);
		FUZZ_CHECK(st.live == 0, "leak");
	}

	/* the same text when every allocation fails */
	{
		FuzzAllocState fst;
		VgmAllocator failing = fuzz_allocator(&fst, 1);
		int			s3;

		fuzz_msgs_reset(&e);
		s3 = vgm_model_parse((const char *) data, size, &m, &failing,
							 e.msg, sizeof(e.msg), e.detail, sizeof(e.detail));
		fuzz_msgs_check(&e, s3);
		FUZZ_CHECK(s3 != VGM_MODEL_OK, "a model without memory");
		FUZZ_CHECK(m.comp == NULL, "a model without memory");
		if (status == VGM_MODEL_OK)
			FUZZ_CHECK(s3 == VGM_MODEL_ERR_NOMEM, "status %d without memory", s3);
		if (s3 != VGM_MODEL_ERR_NOMEM)
			FUZZ_CHECK(s3 == status, "status %d without memory, %d with", s3, status);
	}
	return 0;
}
