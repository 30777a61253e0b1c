/*
 * codec_errcode.h - the one SQLSTATE of each codec status.
 *
 * Every codec of the pure core, text form or binary, answers with a status
 * of codec_status.h; the glue turns it into an ereport's errcode here and
 * nowhere else, so that the same problem gets the same SQLSTATE whichever
 * type and whichever form it arrives in.  Only the representation error
 * depends on the form.  Server code only: include after postgres.h.
 */
#ifndef VGM_CODEC_ERRCODE_H
#define VGM_CODEC_ERRCODE_H

#include "fmgr.h"

#include "codec_status.h"
#include "json_text.h"
#include "vgm.h"

/* SQLSTATE of a codec status; binary selects the representation error. */
static inline int
vgm_codec_errcode(int status, bool binary)
{
	switch (status)
	{
		case VGM_CODEC_ERR_VERSION:
			return ERRCODE_FEATURE_NOT_SUPPORTED;
		case VGM_CODEC_ERR_RANGE:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case VGM_CODEC_ERR_NOMEM:
			return ERRCODE_OUT_OF_MEMORY;
		case VGM_CODEC_ERR_OVERFLOW:
			return ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
		case VGM_CODEC_ERR_SHORT:
			/* what pq_getmsgint says when a message ends inside a field */
			return ERRCODE_PROTOCOL_VIOLATION;
		default:
			/* syntax, field and invalid-value errors of the form */
			return binary ? ERRCODE_INVALID_BINARY_REPRESENTATION
				: ERRCODE_INVALID_TEXT_REPRESENTATION;
	}
}

/* The buffers a codec of the core writes an error's message and detail into. */
typedef struct VgmCodecReport
{
	char		msg[256];
	char		detail[256];
} VgmCodecReport;

/* A report as the four buffer arguments of a codec call (msg, msglen, detail, detaillen). */
#define VGM_REPORT_BUFFERS(r) (r).msg, sizeof((r).msg), (r).detail, sizeof((r).detail)

/* Report a codec error: its status's SQLSTATE, its message and its detail. */
static inline void vgm_codec_error(int status, bool binary, const char *msg,
								   const char *detail) pg_attribute_noreturn();

static inline void
vgm_codec_error(int status, bool binary, const char *msg, const char *detail)
{
	ereport(ERROR,
			(errcode(vgm_codec_errcode(status, binary)),
			 errmsg("%s", msg),
			 errdetail("%s", detail)));
	pg_unreachable();
}

/* Raise the error a codec reported into r, if it reported one. */
static inline void
vgm_codec_check(int status, bool binary, const VgmCodecReport *r)
{
	if (unlikely(status != VGM_CODEC_OK))
		vgm_codec_error(status, binary, r->msg, r->detail);
}

/*
 * The binary message of a recv (its argument 0): the unread bytes, which
 * the recv consumes, and the report its decoders write an error into.
 */
typedef struct VgmRecvMessage
{
	const uint8 *data;
	size_t		len;
	VgmCodecReport report;
} VgmRecvMessage;

/* Open argument 0 of a recv as its message (vgm_recv_bytes). */
static inline void
vgm_recv_open(VgmRecvMessage *m, FunctionCallInfo fcinfo)
{
	m->data = vgm_recv_bytes((StringInfo) PG_GETARG_POINTER(0), &m->len);
}

/* Raise the error a binary decoder reported for the message, if it reported one. */
static inline void
vgm_recv_check(const VgmRecvMessage *m, int status)
{
	vgm_codec_check(status, true, &m->report);
}

/*
 * A text output function's buffer: growable on palloc, size bytes to start
 * (the caller's estimate of the text); vgm_codec_out_text ends it.
 */
static inline JtOut *
vgm_codec_out_begin(JtOut *out, size_t size)
{
	jt_out_growable(out, vgm_palloc_allocator(), size);
	return out;
}

/* The text a codec wrote into a growable buffer; out of memory is an error. */
static inline char *
vgm_codec_out_text(JtOut *out, const char *type_name)
{
	if (out->failed)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Writing the text of a %s needed more memory.", type_name)));
	return jt_out_text(out);
}

#endif							/* VGM_CODEC_ERRCODE_H */
