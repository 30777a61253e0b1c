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
#include "fuzz_common.h"
#include "joint_model_codec.h"

/* The text of a model, malloc'ed and NUL-terminated (as vgm_joint_model_out). */
static char *
write_model(const VgmJointModelView *m, size_t *len)
{
	JtOut		o;
	char	   *text;

	jt_out_growable(&o, NULL, 256);
	vgm_joint_model_write(&o, m);
	FUZZ_CHECK(!o.failed, "writer out of memory");
	text = jt_out_text(&o);
	*len = strlen(text);
	return text;
}

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzAllocState st;
	VgmAllocator alloc = fuzz_allocator(&st, 0);
	FuzzMsgs	e;
	VgmJointModelView m;
	int			status;

	fuzz_msgs_reset(&e);
	status = vgm_joint_model_parse((const char *) data, size, &m, &alloc,
								   e.msg, sizeof(e.msg), e.detail, sizeof(e.detail));
	fuzz_msgs_check_echo(&e, status, data, size);
	FUZZ_CHECK(status == VGM_TEXT_OK || status == VGM_TEXT_ERR_SYNTAX || status == VGM_TEXT_ERR_FIELD ||
			   status == VGM_TEXT_ERR_VERSION || status == VGM_TEXT_ERR_RANGE ||
			   status == VGM_TEXT_ERR_NOMEM, "status %d", status);
	if (status != VGM_TEXT_OK)
	{
		FUZZ_CHECK(m.post.conc_a == NULL, "a model after an error");
		FUZZ_CHECK(st.live == 0, "leak after an error: %ld blocks", st.live);
	}
	else
	{
		size_t		len,
					len2,
					blen;
		char	   *text = write_model(&m, &len);
		char	   *text2;
		uint8_t    *bin,
				   *bin2;
		VgmJointModelView m2,
					m3;
		FuzzAllocState st2;
		VgmAllocator alloc2 = fuzz_allocator(&st2, 0);

		FUZZ_CHECK(vgm_joint_model_validate(&m, e.msg, sizeof(e.msg), e.detail, sizeof(e.detail)) == VGM_TEXT_OK,
				   "accepted model fails validation: %s", e.msg);
		status = vgm_joint_model_parse(text, len, &m2, &alloc2, e.msg, sizeof(e.msg),
									   e.detail, sizeof(e.detail));
		FUZZ_CHECK(status == VGM_TEXT_OK, "written text does not parse: %s / %s\n  %s", e.msg, e.detail, text);
		FUZZ_CHECK(same_model(&m, &m2), "text round trip changes bits: %s", text);
		text2 = write_model(&m2, &len2);
		FUZZ_CHECK(len == len2 && memcmp(text, text2, len) == 0, "text is not a fixed point");

		blen = vgm_joint_model_binary_size(&m);
		bin = malloc(blen);
		bin2 = malloc(blen);
		FUZZ_CHECK(bin != NULL && bin2 != NULL, "malloc");
		vgm_joint_model_encode(&m, bin);
		status = vgm_joint_model_decode(bin, blen, &m3, &alloc2, e.msg, sizeof(e.msg),
										e.detail, sizeof(e.detail));
		FUZZ_CHECK(status == VGM_BINARY_OK, "binary form does not decode: %s", e.msg);
		vgm_joint_model_encode(&m3, bin2);
		FUZZ_CHECK(memcmp(bin, bin2, blen) == 0, "binary round trip changes bytes");
		fuzz_release(m2.post.conc_a, &st2);
		fuzz_release(m3.post.conc_a, &st2);
		FUZZ_CHECK(st2.live == 0, "leak");
		free(bin);
		free(bin2);
		free(text);
		free(text2);
		fuzz_release(m.post.conc_a, &st);
		FUZZ_CHECK(st.live == 0, "leak");
	}

	/* every allocation failing: an error, never a model, nothing live */
	{
		FuzzAllocState fst;
		VgmAllocator fail = fuzz_allocator(&fst, 1);
		VgmJointModelView mf;

		fuzz_msgs_reset(&e);
		status = vgm_joint_model_parse((const char *) data, size, &mf, &fail,
									   e.msg, sizeof(e.msg), e.detail, sizeof(e.detail));
		FUZZ_CHECK(status != VGM_TEXT_OK && mf.post.conc_a == NULL && fst.live == 0,
				   "a model without memory (status %d)", status);
	}
	return 0;
}
