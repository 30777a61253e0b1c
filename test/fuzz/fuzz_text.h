/*
 * fuzz_text.h - the harnesses' calls of the real text formatters
 *               (vgm_model_format, vgm_summary_format, vgm_ks_format), with
 *               the checks every call makes: the length a formatter reports
 *               is the length it writes, asked twice.  A model's and a
 *               summary's first buffer has the size the server's output
 *               function starts with, so both the "it fits" and the "it
 *               needs more" paths run; a KS state's length is asked first
 *               with a NULL buffer.  The joint types' growable writers
 *               (json_text.h's JtOut) are called the same way.
 */
#ifndef VGM_FUZZ_TEXT_H
#define VGM_FUZZ_TEXT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "joint_model_codec.h"
#include "joint_summary_core.h"
#include "json_text.h"
#include "model_codec.h"
#include "summary_core.h"
#include "validate_core.h"

/* A fixed-buffer formatter of one value: the length of its text, written when it fits. */
typedef size_t (*FuzzFormatter) (const void *value, char *buf, size_t buflen);

/*
 * The text of value, malloc'ed and NUL-terminated, its length in *len: first
 * formatted into first_cap bytes (0: only asked for the length, with a NULL
 * buffer), and when that is too small, again at the length it reported,
 * which it must then write exactly.
 */
static inline char *
fuzz_format(FuzzFormatter format, const void *value, size_t first_cap, size_t *len)
{
	char	   *buf = first_cap > 0 ? malloc(first_cap) : NULL;
	size_t		need;

	FUZZ_CHECK(first_cap == 0 || buf != NULL, "malloc");
	need = format(value, buf, first_cap);
	if (need >= first_cap)
	{
		free(buf);
		buf = malloc(need + 1);
		FUZZ_CHECK(buf != NULL, "malloc");
		FUZZ_CHECK(format(value, buf, need + 1) == need, "format length changed");
	}
	FUZZ_CHECK(strlen(buf) == need, "format wrote %zu bytes, said %zu", strlen(buf), need);
	*len = need;
	return buf;
}

/* vgm_model_format as a FuzzFormatter. */
static size_t
format_model_value(const void *value, char *buf, size_t buflen)
{
	return vgm_model_format(value, buf, buflen);
}

/* vgm_model_out: the text of a model, starting at that function's buffer size. */
static inline char *
fuzz_model_text(const VgmModelView *m, size_t *len)
{
	return fuzz_format(format_model_value, m, 1024 + (size_t) m->hdr.k * 200, len);
}

/* The parts of a summary, as the formatter takes them. */
typedef struct FuzzSummaryParts
{
	int			shift;
	const VgmSummaryCounts *counts;
	const VgmBucket *buckets;
	size_t		n;
	const VgmHeavy *heavy;
	size_t		nheavy;
} FuzzSummaryParts;

/* vgm_summary_format as a FuzzFormatter. */
static size_t
format_summary_value(const void *value, char *buf, size_t buflen)
{
	const FuzzSummaryParts *s = value;

	return vgm_summary_format(false, s->shift, s->counts, s->buckets, s->n, s->heavy, s->nheavy, buf, buflen);
}

/* vgm_summary_out (readable form): the text of a summary, starting at that function's buffer size. */
static inline char *
fuzz_summary_text(int shift, const VgmSummaryCounts *c, const VgmBucket *b, size_t n,
				  const VgmHeavy *h, size_t nh, size_t *len)
{
	FuzzSummaryParts s = {shift, c, b, n, h, nh};

	return fuzz_format(format_summary_value, &s, 256 + n * 140 + nh * 80, len);
}

/* The parts of a KS state, as the formatter takes them. */
typedef struct FuzzKsParts
{
	const VgmKsCounts *c;
	const int64_t *counts;
} FuzzKsParts;

/* vgm_ks_format as a FuzzFormatter. */
static size_t
format_ks_value(const void *value, char *buf, size_t buflen)
{
	const FuzzKsParts *s = value;

	return vgm_ks_format(s->c, s->counts, VGM_KS_BINS, buf, buflen);
}

/* The text of a KS state, its length asked first with a NULL buffer. */
static inline char *
fuzz_ks_text(const VgmKsCounts *c, const int64_t *counts, size_t *len)
{
	FuzzKsParts s = {c, counts};

	return fuzz_format(format_ks_value, &s, 0, len);
}

/*
 * The text of a KS state (malloc'ed, its length in *len), which must parse
 * back (vgm_ks_parse) into *c2 and counts2 as the same state.
 */
static inline char *
fuzz_ks_text_round_trip(const VgmKsCounts *c, const int64_t *counts, size_t *len,
						VgmKsCounts *c2, int64_t *counts2)
{
	char	   *text = fuzz_ks_text(c, counts, len);
	FuzzMsgs	e;
	int			status;

	fuzz_msgs_reset(&e);
	status = vgm_ks_parse(text, *len, c2, counts2, VGM_KS_BINS, FUZZ_MSGS(e));
	FUZZ_CHECK(status == VGM_KS_OK, "the text of a valid state does not parse: %s / %s", e.msg, e.detail);
	FUZZ_CHECK(memcmp(c, c2, sizeof(*c)) == 0 &&
			   memcmp(counts, counts2, VGM_KS_BINS * sizeof(int64_t)) == 0, "text round trip changed the state");
	return text;
}

/*
 * The text a JtOut writer (the joint types' text form) has written into o,
 * malloc'ed and NUL-terminated, its length in *len: the writer must not have
 * run out of memory, and the length it counted is the length of the text.
 */
static inline char *
fuzz_jt_text(JtOut *o, size_t *len)
{
	char	   *text;

	FUZZ_CHECK(!o->failed, "text writer out of memory");
	*len = o->len;
	text = jt_out_text(o);
	FUZZ_CHECK(strlen(text) == *len, "text length %zu, counted %zu", strlen(text), *len);
	return text;
}

/* vgm_joint_model_out and vgm_joint_summary_out: the text of a joint value (model: summary false). */
static inline char *
fuzz_joint_text(const void *value, bool summary, size_t *len)
{
	JtOut		o;

	jt_out_growable(&o, NULL, summary ? 64 : 256);
	if (summary)
		vgm_joint_summary_write(&o, value);
	else
		vgm_joint_model_write(&o, value);
	return fuzz_jt_text(&o, len);
}

#endif							/* VGM_FUZZ_TEXT_H */
