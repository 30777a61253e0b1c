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
#include "fuzz_entry.h"
#include "fuzz_text.h"
#include "model_codec.h"

/* One text: parsed, then its text and binary round trips, then parsed without memory. */
static void
fuzz_one(FuzzRun *r, const uint8_t *data, size_t size)
{
	VgmModelView m;
	int			status;

	status = vgm_model_parse((const char *) data, size, &m, &r->alloc, FUZZ_MSGS(r->e));
	fuzz_msgs_check(&r->e, status);
	FUZZ_CHECK(status >= VGM_MODEL_OK && status <= VGM_MODEL_ERR_NOMEM, "status %d", status);

	if (status != VGM_MODEL_OK)
	{
		FUZZ_CHECK(m.comp == NULL && m.weights == NULL, "error %d with a model", status);
		FUZZ_CHECK(r->st.live == 0, "error %d leaves %ld allocations", status, r->st.live);
	}
	else
	{
		FuzzRun		r2;
		VgmModelView m2;
		FuzzForms	forms = {0};
		int			s2;

		FUZZ_CHECK(r->st.live == 1, "a model holds %ld allocations", r->st.live);
		FUZZ_CHECK(m.comp != NULL && m.weights != NULL, "model without arrays");
		fuzz_run_start(&r2, 0);
		s2 = vgm_model_validate(&m, FUZZ_MSGS(r2.e));
		FUZZ_CHECK(s2 == VGM_MODEL_OK, "parsed model fails validation: %s", r2.e.msg);

		/* text round trip: to the same bits, and a fixed point */
		forms.text = fuzz_model_text(&m, &forms.tlen);
		fuzz_run_start(&r2, 0);
		s2 = vgm_model_parse(forms.text, forms.tlen, &m2, &r2.alloc, FUZZ_MSGS(r2.e));
		FUZZ_CHECK(s2 == VGM_MODEL_OK, "output text does not parse: %s / %s\n  %s",
				   r2.e.msg, r2.e.detail, forms.text);
		forms.text2 = fuzz_model_text(&m2, &forms.tlen2);
		fuzz_forms_check_fixed_point(&forms);
		forms.bin = fuzz_model_send(&m, &forms.blen);
		forms.bin2 = fuzz_model_send(&m2, &forms.blen2);
		fuzz_forms_check_same(&forms, "text round trip");
		fuzz_release(m2.comp, &r2.st);
		FUZZ_CHECK(r2.st.live == 0, "leak in the round trip");

		/* binary round trip through the decoder of vgm_model_recv */
		fuzz_msgs_reset(&r2.e);
		s2 = fuzz_model_recv(forms.bin, forms.blen, &m2, &r2.e);
		FUZZ_CHECK(s2 == VGM_BINARY_OK, "binary form rejected: %s / %s", r2.e.msg, r2.e.detail);
		forms.bin2 = fuzz_model_send(&m2, &forms.blen2);
		fuzz_forms_check_same(&forms, "binary round trip");
		free(m2.comp);
		free(m2.weights);
		free(m2.atom_values);
		free(m2.atom_weights);
		fuzz_forms_free(&forms);
		fuzz_release(m.comp, &r->st);
		FUZZ_CHECK(r->st.live == 0, "leak");
	}

	/* the same text when every allocation fails */
	{
		FuzzRun		f;
		int			s3;

		fuzz_run_start(&f, 1);
		s3 = vgm_model_parse((const char *) data, size, &m, &f.alloc, FUZZ_MSGS(f.e));
		fuzz_msgs_check(&f.e, s3);
		FUZZ_CHECK(s3 != VGM_MODEL_OK, "a model without memory");
		FUZZ_CHECK(m.comp == NULL, "a model without memory");
		if (status == VGM_MODEL_OK)
			FUZZ_CHECK(s3 == VGM_MODEL_ERR_NOMEM, "status %d without memory", s3);
		if (s3 != VGM_MODEL_ERR_NOMEM)
			FUZZ_CHECK(s3 == status, "status %d without memory, %d with", s3, status);
	}
}
