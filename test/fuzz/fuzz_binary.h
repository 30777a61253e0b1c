/*
 * fuzz_binary.h - the harnesses' calls of the real binary codecs
 *                 (src/binary_codec.c), with the memory handling of a
 *                 harness: every buffer malloc'ed at its exact size, so
 *                 AddressSanitizer sees a single byte read or written past
 *                 the end.  No decoding or encoding happens here: the server
 *                 and the harnesses run the same functions.
 */
#ifndef VGM_FUZZ_BINARY_H
#define VGM_FUZZ_BINARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "binary_codec.h"
#include "fuzz_common.h"
#include "joint_model_codec.h"
#include "joint_summary_core.h"

/*
 * Whether a binary decoder may answer status: success, an unsupported
 * version, an invalid or a short message, and contradicting counts only
 * where the type has them (range_possible: the KS state).
 */
static inline bool
fuzz_binary_status(int status, bool range_possible)
{
	return status == VGM_BINARY_OK || status == VGM_BINARY_ERR_UNSUPPORTED ||
		status == VGM_BINARY_ERR_INVALID || status == VGM_BINARY_ERR_SHORT ||
		(range_possible && status == VGM_BINARY_ERR_RANGE);
}

/* vgm_model_send: the binary form of a model, malloc'ed. */
static inline uint8_t *
fuzz_model_send(const VgmModelView *m, size_t *len)
{
	uint8_t    *buf = fuzz_malloc(*len = vgm_model_binary_size(m->hdr.k, m->hdr.n_atoms));

	vgm_model_encode(m, buf);
	return buf;
}

/*
 * vgm_model_recv: decode a message into m, whose comp and weights are
 * malloc'ed at exactly k entries and whose atom arrays at exactly n_atoms
 * entries (NULL without atoms) on success (free all four); NULL otherwise.
 */
static inline int
fuzz_model_recv(const uint8_t *data, size_t len, VgmModelView *m, FuzzMsgs *e)
{
	int			status;

	m->comp = NULL;
	m->weights = NULL;
	m->atom_values = NULL;
	m->atom_weights = NULL;
	status = vgm_model_decode_head(data, len, &m->hdr, e->msg, sizeof(e->msg),
								   e->detail, sizeof(e->detail));
	if (status != VGM_BINARY_OK)
		return status;
	m->comp = malloc((size_t) m->hdr.k * sizeof(VgmComponent));
	m->weights = malloc((size_t) m->hdr.k * sizeof(double));
	FUZZ_CHECK(m->comp != NULL && m->weights != NULL, "malloc");
	if (m->hdr.n_atoms > 0)
	{
		m->atom_values = malloc((size_t) m->hdr.n_atoms * sizeof(double));
		m->atom_weights = malloc((size_t) m->hdr.n_atoms * sizeof(double));
		FUZZ_CHECK(m->atom_values != NULL && m->atom_weights != NULL, "malloc");
	}
	status = vgm_model_decode_body(data, len, &m->hdr, m->comp, m->weights,
								   m->atom_values, m->atom_weights,
								   e->msg, sizeof(e->msg), e->detail, sizeof(e->detail));
	if (status != VGM_BINARY_OK)
	{
		free(m->comp);
		free(m->weights);
		free(m->atom_values);
		free(m->atom_weights);
		m->comp = NULL;
		m->weights = NULL;
		m->atom_values = NULL;
		m->atom_weights = NULL;
	}
	return status;
}

/* vgm_summary_send: the binary form of a summary, malloc'ed. */
static inline uint8_t *
fuzz_summary_send(int shift, const VgmSummaryCounts *c, const VgmBucket *b, size_t n,
				  size_t *len)
{
	uint8_t    *buf = fuzz_malloc(*len = vgm_summary_binary_size(n, 0));

	vgm_summary_encode(shift, c, b, n, NULL, 0, buf);
	return buf;
}

/*
 * vgm_summary_recv: decode a message into head and *buckets, malloc'ed at
 * exactly head->n entries (NULL when there are none or on error; free it).
 */
static inline int
fuzz_summary_recv(const uint8_t *data, size_t len, VgmSummaryWireHead *head,
				  VgmBucket **buckets, FuzzMsgs *e)
{
	int			status;

	*buckets = NULL;
	status = vgm_summary_decode_head(data, len, head, e->msg, sizeof(e->msg),
									 e->detail, sizeof(e->detail));
	if (status != VGM_BINARY_OK)
		return status;
	if (head->n > 0)
	{
		*buckets = malloc(head->n * sizeof(VgmBucket));
		FUZZ_CHECK(*buckets != NULL, "malloc");
	}
	{
		VgmHeavy	heavy[VGM_HEAVY_MAX];

		status = vgm_summary_decode_body(data, len, head, *buckets, heavy, e->msg, sizeof(e->msg),
										 e->detail, sizeof(e->detail));
	}
	if (status != VGM_BINARY_OK)
	{
		free(*buckets);
		*buckets = NULL;
	}
	return status;
}

/* vgm_ks_state_send: the binary form of a KS state, malloc'ed. */
static inline uint8_t *
fuzz_ks_send(const VgmKsCounts *c, const int64_t *counts, size_t *len)
{
	uint8_t    *buf = fuzz_malloc(*len = vgm_ks_binary_size(counts, VGM_KS_BINS) +
									 vgm_ks_binary_jumps_size(c));

	vgm_ks_encode(c, counts, VGM_KS_BINS, buf);
	return buf;
}

/* vgm_joint_model_send: the binary form of a joint model, malloc'ed. */
static inline uint8_t *
fuzz_joint_model_send(const VgmJointModelView *m, size_t *len)
{
	uint8_t    *buf = fuzz_malloc(*len = vgm_joint_model_binary_size(m));

	vgm_joint_model_encode(m, buf);
	return buf;
}

/* vgm_joint_summary_send: the binary form of a joint summary, malloc'ed. */
static inline uint8_t *
fuzz_joint_summary_send(const VgmJointSummaryView *v, size_t *len)
{
	uint8_t    *buf = fuzz_malloc(*len = vgm_joint_summary_binary_size(v));

	vgm_joint_summary_encode(v, buf);
	return buf;
}

#endif							/* VGM_FUZZ_BINARY_H */
