/*
 * recv_shim.h - the binary wire format of vgm_model and vgm_summary, decoded
 *               and encoded without PostgreSQL, for the fuzz harnesses.
 *
 * The decoders read exactly the big-endian field layout and perform exactly
 * the checks of vgm_model_recv (src/model.c) and vgm_summary_recv
 * (src/summary.c), in the same order, with pq_getmsgint / pq_getmsgint64 /
 * pq_getmsgfloat8 / pq_getmsgend replaced by bounds-checked readers; then
 * they call the same pure-C validators the server calls.  Keep them in step
 * with those two functions: a change of field order there is a change here.
 *
 * The encoders write the layout of vgm_model_send / vgm_summary_send, so a
 * harness can check that whatever the decoder accepts encodes back to the
 * very bytes it was given.
 */
#ifndef VGM_RECV_SHIM_H
#define VGM_RECV_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include "model_codec.h"
#include "summary_core.h"

/* Outcomes that in the server are ereport(ERROR) before validation. */
#define SHIM_OK 0
#define SHIM_ERR_SHORT (-1)		/* pq_getmsg*: insufficient data left in message */
#define SHIM_ERR_VERSION (-2)	/* unsupported binary format version */
#define SHIM_ERR_COUNT (-3)		/* component count out of range */
#define SHIM_ERR_LENGTH (-4)	/* remaining length does not match the count */
#define SHIM_ERR_TRAILING (-5)	/* pq_getmsgend: invalid message format */
/* otherwise: the validator's status (VGM_MODEL_ERR_* / VGM_SUMMARY_ERR_*) */

/* Wire sizes. */
#define SHIM_MODEL_HEADER_BYTES (6 * 4 + 8 + 10 * 8 + 6 * 8 + 3 * 8)
#define SHIM_MODEL_COMPONENT_BYTES (7 * 8)
#define SHIM_SUMMARY_HEADER_BYTES (3 * 4 + 5 * 8 + 2 * 8)
#define SHIM_SUMMARY_BUCKET_BYTES (6 * 8)

/*
 * Decode a vgm_model message of len bytes into view.  comp and weights must
 * have room for VGM_MAX_COMPONENTS entries (the decoder, like the server,
 * never fills more than the checked k).
 */
int			shim_model_recv(const uint8_t *data, size_t len, VgmModelView *view,
							VgmComponent *comp, double *weights,
							char *msg, size_t msglen, char *detail, size_t detaillen);

/* Encode a model as vgm_model_send does; returns the length (buf may be NULL). */
size_t		shim_model_send(const VgmModelView *view, uint8_t *buf, size_t buflen);

/*
 * Decode a vgm_summary message.  *buckets is malloc'ed (NULL when there are
 * none) and must be freed by the caller whatever the result.
 */
int			shim_summary_recv(const uint8_t *data, size_t len, int *version, int *shift,
							  VgmSummaryCounts *counts, VgmBucket **buckets, size_t *n,
							  char *msg, size_t msglen, char *detail, size_t detaillen);

/* Encode a summary as vgm_summary_send does; returns the length. */
size_t		shim_summary_send(int shift, const VgmSummaryCounts *counts,
							  const VgmBucket *buckets, size_t n,
							  uint8_t *buf, size_t buflen);

#endif							/* VGM_RECV_SHIM_H */
