/*
 * fuzz_joint_text.c - libFuzzer harness for vgm_joint_model_parse, the
 *                     parser behind vgm_joint_model_in (the JSON text form
 *                     of vgm_joint_model).
 *
 * Input: any bytes, given to the parser with their exact length.  Properties
 * besides memory safety and UB:
 *   - failure: a non-empty message and detail (printable; input echoed only
 *     as the kit allows), no output model, nothing left allocated;
 *   - success: the model passes vgm_joint_model_validate; its text parses
 *     again to the same bits and is a fixed point of parse + write; its
 *     binary form decodes and encodes back to the same bytes;
 *   - with every allocation failing the parser returns an error, never a
 *     model.
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

/* Same dims, k, header and posterior bits. */
static int
same_model(const VgmJointModelView *a, const VgmJointModelView *b)
{
	size_t		n = vgm_joint_model_doubles(a->hdr.d, a->hdr.k);
	size_t		d = (size_t) a->hdr.d;

	return a->hdr.d == b->hdr.d && a->hdr.k == b->hdr.k &&
		memcmp(a->post.conc_a, b->post.conc_a, n * sizeof(double)) == 0 &&
		memcmp(a->hdr.priors.mean, b->hdr.priors.mean, d * sizeof(double)) == 0 &&
		memcmp(a->hdr.priors.covariance, b->hdr.priors.covariance, d * d * sizeof(double)) == 0 &&
		a->hdr.seed == b->hdr.seed && a->hdr.rows == b->hdr.rows &&
		memcmp(&a->hdr.lower_bound, &b->hdr.lower_bound, sizeof(double)) == 0;
}

/* One text: parsed, then its text and binary round trips, then parsed without memory. */
static void
fuzz_one(FuzzRun *r, const uint8_t *data, size_t size)
{
	VgmJointModelView m;
	int			status;

	status = vgm_joint_model_parse((const char *) data, size, &m, &r->alloc, FUZZ_MSGS(r->e));
	fuzz_msgs_check_echo(&r->e, status, data, size);
	FUZZ_CHECK(status == VGM_TEXT_OK || status == VGM_TEXT_ERR_SYNTAX || status == VGM_TEXT_ERR_FIELD ||
			   status == VGM_TEXT_ERR_VERSION || status == VGM_TEXT_ERR_RANGE ||
			   status == VGM_TEXT_ERR_NOMEM, "status %d", status);
	if (status != VGM_TEXT_OK)
	{
		FUZZ_CHECK(m.post.conc_a == NULL, "a model after an error");
		FUZZ_CHECK(r->st.live == 0, "leak after an error: %ld blocks", r->st.live);
	}
	else
	{
		FuzzForms	forms = {0};
		VgmJointModelView m2,
					m3;
		FuzzRun		r2;

		FUZZ_CHECK(vgm_joint_model_validate(&m, FUZZ_MSGS(r->e)) == VGM_TEXT_OK,
				   "accepted model fails validation: %s", r->e.msg);
		forms.text = fuzz_joint_text(&m, false, &forms.tlen);
		fuzz_run_start(&r2, 0);
		status = vgm_joint_model_parse(forms.text, forms.tlen, &m2, &r2.alloc, FUZZ_MSGS(r->e));
		FUZZ_CHECK(status == VGM_TEXT_OK, "written text does not parse: %s / %s\n  %s", r->e.msg, r->e.detail,
				   forms.text);
		FUZZ_CHECK(same_model(&m, &m2), "text round trip changes bits: %s", forms.text);
		forms.text2 = fuzz_joint_text(&m2, false, &forms.tlen2);
		fuzz_forms_check_fixed_point(&forms);

		forms.bin = fuzz_joint_model_send(&m, &forms.blen);
		status = vgm_joint_model_decode(forms.bin, forms.blen, &m3, &r2.alloc, FUZZ_MSGS(r->e));
		FUZZ_CHECK(status == VGM_BINARY_OK, "binary form does not decode: %s", r->e.msg);
		forms.bin2 = fuzz_joint_model_send(&m3, &forms.blen2);
		fuzz_forms_check_same(&forms, "binary round trip");
		fuzz_release(m2.post.conc_a, &r2.st);
		fuzz_release(m3.post.conc_a, &r2.st);
		FUZZ_CHECK(r2.st.live == 0, "leak");
		fuzz_forms_free(&forms);
		fuzz_release(m.post.conc_a, &r->st);
		FUZZ_CHECK(r->st.live == 0, "leak");
	}

	/* every allocation failing: an error, never a model, nothing live */
	{
		FuzzRun		f;
		VgmJointModelView mf;

		fuzz_run_start(&f, 1);
		status = vgm_joint_model_parse((const char *) data, size, &mf, &f.alloc, FUZZ_MSGS(f.e));
		FUZZ_CHECK(status != VGM_TEXT_OK && mf.post.conc_a == NULL && f.st.live == 0,
				   "a model without memory (status %d)", status);
	}
}
