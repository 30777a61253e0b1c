/*
 * fuzz_summary_text.c - libFuzzer harness for vgm_summary_parse, the parser
 *                       behind vgm_summary_in (JSON text of vgm_summary).
 *
 * Properties checked besides memory safety and UB:
 *   - failure: printable message and detail, no buckets returned, nothing
 *     left allocated through the hooks;
 *   - success: vgm_summary_validate accepts the result; its text
 *     (vgm_summary_out) parses back to the same bits and is a fixed point;
 *     its binary form (vgm_summary_send) decodes (vgm_summary_recv's
 *     decoder) and encodes back to the same bytes; vgm_buckets_moments and vgm_summary_info's
 *     arithmetic run on it (UBSan watches them);
 *   - with every allocation failing: an error, VGM_SUMMARY_ERR_NOMEM only
 *     when the summary had buckets.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_binary.h"
#include "fuzz_common.h"
#include "fuzz_entry.h"
#include "fuzz_text.h"
#include "summary_core.h"

/* One text: parsed, then its text and binary round trips, then parsed without memory. */
static void
fuzz_one(FuzzRun *r, const uint8_t *data, size_t size)
{
	int			shift = -12345;
	VgmSummaryCounts c;
	VgmBucket  *b = NULL;
	size_t		n = 0;
	VgmHeavy   *h = NULL;
	size_t		nh = 0;
	int			status;

	status = vgm_summary_parse((const char *) data, size, &shift, &c, &b, &n, &h, &nh, &r->alloc,
							   FUZZ_MSGS(r->e));
	fuzz_msgs_check(&r->e, status);
	FUZZ_CHECK(status >= VGM_SUMMARY_OK && status <= VGM_SUMMARY_ERR_NOMEM, "status %d", status);

	if (status != VGM_SUMMARY_OK)
	{
		FUZZ_CHECK(b == NULL && n == 0 && h == NULL && nh == 0, "error %d with buckets", status);
		FUZZ_CHECK(r->st.live == 0, "error %d leaves %ld allocations", status, r->st.live);
	}
	else
	{
		FuzzRun		r2;
		FuzzForms	forms = {0};
		int			shift2;
		VgmSummaryWireHead head2;
		VgmSummaryCounts c2;
		VgmBucket  *b2;
		size_t		n2;
		VgmMoments	mom;
		int			s2;

		VgmHeavy   *h2 = NULL;
		size_t		nh2 = 0;

		FUZZ_CHECK(r->st.live == (n > 0 ? 1 : 0) + (h != NULL ? 1 : 0), "%zu buckets in %ld allocations", n, r->st.live);
		FUZZ_CHECK((nh == 0) == (h == NULL), "%zu heavy values at %p", nh, (void *) h);
		FUZZ_CHECK((n == 0) == (b == NULL), "%zu buckets at %p", n, (void *) b);
		fuzz_run_start(&r2, 0);
		s2 = vgm_summary_validate(VGM_SUMMARY_FORMAT_VERSION, shift, &c, b, n, FUZZ_MSGS(r2.e));
		FUZZ_CHECK(s2 == VGM_SUMMARY_OK, "parsed summary fails validation: %s", r2.e.msg);
		s2 = vgm_heavy_validate(shift, b, n, h, nh, FUZZ_MSGS(r2.e));
		FUZZ_CHECK(s2 == VGM_SUMMARY_OK, "parsed heavy values fail validation: %s", r2.e.msg);

		/* what vgm_summary_info computes */
		vgm_buckets_moments(b, n, &mom);
		(void) ldexp(1.0, shift - 52);

		/* text round trip */
		forms.text = fuzz_summary_text(shift, &c, b, n, h, nh, &forms.tlen);
		fuzz_run_start(&r2, 0);
		s2 = vgm_summary_parse(forms.text, forms.tlen, &shift2, &c2, &b2, &n2, &h2, &nh2, &r2.alloc,
							   FUZZ_MSGS(r2.e));
		FUZZ_CHECK(s2 == VGM_SUMMARY_OK, "output text does not parse: %s / %s\n  %.2000s",
				   r2.e.msg, r2.e.detail, forms.text);
		forms.text2 = fuzz_summary_text(shift2, &c2, b2, n2, h2, nh2, &forms.tlen2);
		fuzz_forms_check_fixed_point(&forms);
		forms.bin = fuzz_summary_send(shift, &c, b, n, &forms.blen);
		forms.bin2 = fuzz_summary_send(shift2, &c2, b2, n2, &forms.blen2);
		fuzz_forms_check_same(&forms, "text round trip");
		if (b2)
			fuzz_release(b2, &r2.st);
		if (h2)
			fuzz_release(h2, &r2.st);
		FUZZ_CHECK(r2.st.live == 0, "leak in the round trip");

		/* binary round trip through the decoder of vgm_summary_recv */
		fuzz_msgs_reset(&r2.e);
		s2 = fuzz_summary_recv(forms.bin, forms.blen, &head2, &b2, &r2.e);
		FUZZ_CHECK(s2 == VGM_BINARY_OK, "binary form rejected: %s / %s", r2.e.msg, r2.e.detail);
		forms.bin2 = fuzz_summary_send(head2.shift, &head2.counts, b2, head2.n, &forms.blen2);
		fuzz_forms_check_same(&forms, "binary round trip");
		free(b2);
		fuzz_forms_free(&forms);
		if (b)
			fuzz_release(b, &r->st);
		if (h)
			fuzz_release(h, &r->st);
		FUZZ_CHECK(r->st.live == 0, "leak");
	}

	/* the same text when every allocation fails */
	{
		FuzzRun		f;
		int			s3;

		b = NULL;
		n = 0;
		fuzz_run_start(&f, 1);
		s3 = vgm_summary_parse((const char *) data, size, &shift, &c, &b, &n, NULL, NULL, &f.alloc,
							   FUZZ_MSGS(f.e));
		fuzz_msgs_check(&f.e, s3);
		FUZZ_CHECK(b == NULL, "buckets without memory");
		fuzz_check_status_without_memory(s3, status, f.st.calls, VGM_SUMMARY_ERR_NOMEM);
	}
}
