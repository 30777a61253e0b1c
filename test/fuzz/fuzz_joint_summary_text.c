/*
 * fuzz_joint_summary_text.c - libFuzzer harness for vgm_joint_summary_parse,
 *                             the parser behind vgm_joint_summary_in.
 *
 * Properties checked besides memory safety and UB:
 *   - failure: printable message and detail, no block returned, nothing
 *     left allocated through the hooks;
 *   - success: vgm_joint_summary_validate accepts the result; its text
 *     (vgm_joint_summary_out) parses back to the same bits and is a fixed
 *     point; its binary form decodes (vgm_joint_summary_recv's decoder) to
 *     the same bits; merged into an empty accumulator (vgm_rollup, combine)
 *     and exported, it is again a valid summary of as many rows, or the
 *     export reports values too large; the engine's points and the global
 *     moments are computed from it (UBSan watches them);
 *   - with every allocation failing: an error, out of memory only when the
 *     parser asked for memory.
 */
// fuzz-srcs: src/joint_summary_core.c
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_binary.h"
#include "fuzz_common.h"
#include "fuzz_entry.h"
#include "fuzz_text.h"
#include "joint_summary_core.h"

/* Merge v into an empty accumulator and check what comes out. */
static void
check_merge(const VgmJointSummaryView *v)
{
	FuzzRun		r;
	VgmJointAcc acc;
	int			status;

	fuzz_run_start(&r, 0);
	vgm_joint_acc_init(&acc, &r.alloc);
	status = vgm_joint_acc_merge(&acc, v);
	FUZZ_CHECK(status == VGM_JOINT_OK, "a valid summary does not merge: %d", status);
	/* twice: the rows double, the cells stay */
	status = vgm_joint_acc_merge(&acc, v);
	FUZZ_CHECK(status == VGM_JOINT_OK || status == VGM_JOINT_ERR_OVERFLOW,
			   "a valid summary does not merge twice: %d", status);
	if (status == VGM_JOINT_OK && acc.d > 0)
	{
		int64_t    *keys = malloc(((size_t) acc.n + 1) * acc.d * sizeof(int64_t));
		double	   *stats = malloc(((size_t) acc.n + 1) * acc.stride * sizeof(double));
		int64_t    *values = malloc(VGM_JOINT_MAX_DIMS * VGM_JOINT_EXACT_VALUES * sizeof(int64_t));
		VgmJointSummaryView m = {.d = acc.d, .shift = acc.shift, .rows = acc.rows, .skipped = acc.skipped,
		.keys = keys, .stats = stats};

		vgm_joint_acc_values(&acc, values, m.nvalues);
		m.exact = acc.exact;
		m.values = values;
		vgm_joint_acc_range(&acc, &m);
		status = vgm_joint_acc_export(&acc, keys, stats, &m.n);
		FUZZ_CHECK(status == VGM_JOINT_OK || status == VGM_JOINT_ERR_HUGE, "export %d", status);
		if (status == VGM_JOINT_OK)
		{
			status = vgm_joint_summary_validate(vgm_joint_summary_version(&m), &m, FUZZ_MSGS(r.e));
			FUZZ_CHECK(status == VGM_JOINT_OK, "merged summary invalid: %s / %s", r.e.msg, r.e.detail);
			/* a summary merged with itself keeps its range, if it has one */
			FUZZ_CHECK(m.has_range == v->has_range
					   && (!m.has_range || (memcmp(m.col_min, v->col_min, sizeof(double) * m.d) == 0
											&& memcmp(m.col_max, v->col_max, sizeof(double) * m.d) == 0)),
					   "merge changed the range");
			FUZZ_CHECK(m.rows == 2 * v->rows && m.shift >= v->shift && m.n <= v->n
					   && (m.exact & ~v->exact) == 0,
					   "merge changed the rows, grew the cells or made a column exact");
		}
		free(keys);
		free(stats);
		free(values);
	}
	vgm_joint_acc_free(&acc);
	FUZZ_CHECK(r.st.live == 0, "accumulator leak");
}

/* One text: parsed, then its text and binary round trips and merges, then parsed without memory. */
static void
fuzz_one(FuzzRun *r, const uint8_t *data, size_t size)
{
	VgmJointSummaryView v;
	void	   *block = (void *) 1;
	int			status;

	status = vgm_joint_summary_parse((const char *) data, size, &v, &block, &r->alloc, FUZZ_MSGS(r->e));
	fuzz_msgs_check(&r->e, status);
	FUZZ_CHECK(status >= VGM_JOINT_OK && status <= VGM_JOINT_ERR_NOMEM, "status %d", status);
	if (status != VGM_JOINT_OK)
	{
		FUZZ_CHECK(block == NULL, "error %d with a block", status);
		FUZZ_CHECK(r->st.live == 0, "error %d leaves %ld allocations", status, r->st.live);
	}
	else
	{
		FuzzMsgs	e2;
		FuzzForms	forms = {0};
		VgmJointSummaryView v2,
					b;
		void	   *block2;
		int64_t    *keys;
		int64_t    *values;
		double	   *stats;
		int			s2;

		FUZZ_CHECK(r->st.live == (v.n > 0 ? 1 : 0), "%zu cells in %ld allocations", v.n, r->st.live);
		fuzz_msgs_reset(&e2);
		s2 = vgm_joint_summary_validate(vgm_joint_summary_version(&v), &v, FUZZ_MSGS(e2));
		FUZZ_CHECK(s2 == VGM_JOINT_OK, "parsed summary fails validation: %s", e2.msg);

		/* what vgm_joint_summary_moments and the fit compute */
		if (v.rows > 0)
		{
			double		w,
						mean[VGM_JOINT_MAX_DIMS],
						cov[VGM_JOINT_MAX_DIMS * VGM_JOINT_MAX_DIMS];
			double	   *pw = malloc(v.n * sizeof(double));
			double	   *pm = malloc(v.n * v.d * sizeof(double));
			double	   *pc = malloc(v.n * v.d * v.d * sizeof(double));
			VgmJointPoints pts;

			vgm_joint_global_moments(&v, &w, mean, cov);
			vgm_joint_summary_points(&v, pw, pm, pc, &pts);
			FUZZ_CHECK(w == (double) v.rows, "weights do not add up");
			free(pw);
			free(pm);
			free(pc);
		}

		/* text round trip, a fixed point */
		forms.text = fuzz_joint_text(&v, true, &forms.tlen);
		fuzz_msgs_reset(&e2);
		s2 = vgm_joint_summary_parse(forms.text, forms.tlen, &v2, &block2, NULL, FUZZ_MSGS(e2));
		FUZZ_CHECK(s2 == VGM_JOINT_OK, "output text does not parse: %s / %s\n  %.2000s",
				   e2.msg, e2.detail, forms.text);
		forms.text2 = fuzz_joint_text(&v2, true, &forms.tlen2);
		fuzz_forms_check_fixed_point(&forms);
		forms.bin = fuzz_joint_summary_send(&v, &forms.blen);
		forms.bin2 = fuzz_joint_summary_send(&v2, &forms.blen2);
		fuzz_forms_check_same(&forms, "text round trip");
		free(block2);

		/* binary round trip through the decoder of vgm_joint_summary_recv */
		fuzz_msgs_reset(&e2);
		s2 = vgm_joint_summary_decode_head(forms.bin, forms.blen, &b, FUZZ_MSGS(e2));
		FUZZ_CHECK(s2 == VGM_JOINT_OK, "binary head rejected: %s / %s", e2.msg, e2.detail);
		keys = malloc((b.n + 1) * (b.d + 1) * sizeof(int64_t));
		stats = malloc((b.n + 1) * VGM_JOINT_STRIDE(b.d) * sizeof(double));
		values = malloc(VGM_JOINT_MAX_DIMS * VGM_JOINT_EXACT_VALUES * sizeof(int64_t));
		s2 = vgm_joint_summary_decode_body(forms.bin, forms.blen, &b, values, keys, stats, FUZZ_MSGS(e2));
		FUZZ_CHECK(s2 == VGM_JOINT_OK, "binary body rejected: %s / %s", e2.msg, e2.detail);
		forms.bin2 = fuzz_joint_summary_send(&b, &forms.blen2);
		fuzz_forms_check_same(&forms, "binary round trip");
		free(keys);
		free(stats);
		free(values);
		fuzz_forms_free(&forms);

		check_merge(&v);
		vgm_mem_free(&r->alloc, block);
		FUZZ_CHECK(r->st.live == 0, "leak");
	}

	/* the same text when every allocation fails */
	{
		FuzzRun		f;
		int			s3;

		fuzz_run_start(&f, 1);
		s3 = vgm_joint_summary_parse((const char *) data, size, &v, &block, &f.alloc, FUZZ_MSGS(f.e));
		fuzz_msgs_check(&f.e, s3);
		FUZZ_CHECK(block == NULL, "a block without memory");
		fuzz_check_status_without_memory(s3, status, f.st.calls, VGM_JOINT_ERR_NOMEM);
	}
}
