/*
 * binary_codec.h - the binary (send/recv) forms of vgm_model, vgm_summary
 *                  and vgm_ks_state, encoded and decoded in pure C.
 *
 * The SQL functions vgm_*_recv / vgm_*_send are thin wrappers around these
 * (a StringInfo in, a bytea out, a status turned into an ereport), and the
 * fuzz harnesses of test/fuzz call the very same functions.  The decoders
 * trust nothing: every count is range-checked and the message length must
 * match it exactly before anything is read or allocated, then the type's own
 * validator (vgm_model_validate, vgm_summary_validate, vgm_ks_validate)
 * checks every value and every cross-field rule, as for the text forms.
 *
 * Layouts (big-endian, see wire.h; i32/i64 integers, f64 doubles):
 *
 *   vgm_model     version i32, dims i32, k i32, iterations i32,
 *                 converged i32, max_iter i32, seed i64, tol f64,
 *                 weight_threshold f64, priors 6 x f64 (weight
 *                 concentration, mean precision, mean, degrees of freedom,
 *                 covariance, reg_covar), lower_bound f64, fit_ms f64,
 *                 rows, buckets, nulls, nans, pos_infs, neg_infs 6 x i64,
 *                 total_weight, min, max 3 x f64                 = 184 bytes
 *                 then k x (conc_a, conc_b, mean_precision, mean, dof,
 *                 covariance, weight) 7 x f64                   56 bytes each
 *                 Format version 2 (a model with atoms): the same header
 *                 with version 2, then n_atoms i32 (1 .. 16)       4 bytes
 *                 before the components, and after them
 *                 n_atoms x (value, weight) 2 x f64              16 bytes each
 *   vgm_summary   version i32, shift i32, n i32, rows, nulls, nans,
 *                 pos_infs, neg_infs 5 x i64, min f64, max f64   = 68 bytes
 *                 then n x (key i64, weight, mean, m2, m3, m4 5 x f64)
 *                                                               48 bytes each
 *                 version 2 only (a heavy-value table, heavy_core.h):
 *                 then nheavy i32 (1..256), nheavy x (value, weight,
 *                 missed 3 x f64)                               24 bytes each
 *   vgm_ks_state  version i32, bins i32, model_hash i64, n, nulls, nans,
 *                 pos_infs, neg_infs 5 x i64, nonzero i32       = 60 bytes
 *                 then nonzero x (bin i32, count i64), bins increasing
 *                                                               12 bytes each
 *                 Format version 2 (a model with atoms): the same with
 *                 version 2, and between nonzero and the bins
 *                 n_jumps i32 (1 .. 16), n_jumps x (first bin, last bin)
 *                 2 x i32: the bins inside each jump of the CDF   8 bytes each
 *
 * Errors follow the rest of the core: a status, and a lowercase message and
 * a detail written into the caller's buffers.
 */
#ifndef VGM_BINARY_CODEC_H
#define VGM_BINARY_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "codec_status.h"
#include "model_codec.h"
#include "summary_core.h"
#include "validate_core.h"
#include "wire.h"

#define VGM_MODEL_BINARY_HEADER 184
#define VGM_MODEL_BINARY_COMPONENT 56
#define VGM_MODEL_BINARY_ATOM_COUNT 4
#define VGM_MODEL_BINARY_ATOM 16
#define VGM_SUMMARY_BINARY_HEADER 68
#define VGM_SUMMARY_BINARY_BUCKET 48
#define VGM_SUMMARY_BINARY_HEAVY 24
#define VGM_KS_BINARY_HEADER 60
#define VGM_KS_BINARY_ENTRY 12

/*
 * Statuses of the decoders, one meaning each whatever the type: the codec
 * statuses of codec_status.h, which the server maps to SQLSTATEs in one
 * place (vgm_codec_errcode in codec_errcode.h).
 */
#define VGM_BINARY_OK VGM_CODEC_OK
#define VGM_BINARY_ERR_UNSUPPORTED VGM_CODEC_ERR_VERSION	/* a format version or bin count this build does not read */
#define VGM_BINARY_ERR_INVALID VGM_CODEC_ERR_INVALID	/* counts, lengths or values that break a rule of the type */
#define VGM_BINARY_ERR_RANGE VGM_CODEC_ERR_RANGE	/* a KS state's counts that contradict each other */
#define VGM_BINARY_ERR_SHORT VGM_CODEC_ERR_SHORT	/* the message ends inside a field */

/* The fixed part of a vgm_summary message. */
typedef struct VgmSummaryWireHead
{
	int			version;
	int			shift;
	size_t		n;				/* buckets that follow */
	size_t		nheavy;			/* heavy values after them (version 2) */
	VgmSummaryCounts counts;
} VgmSummaryWireHead;

/*
 * The two failures every binary decoder shares, with the messages the
 * server has always given: the message ends inside the field that would end
 * at byte need (as pq_getmsgint says); the format version (read from r, the
 * first field of every type) is not the one this build reads.
 */
int			vgm_binary_fail_short(const char *type, size_t len, size_t need,
								  char *msg, size_t msglen, char *detail, size_t detaillen);
int			vgm_binary_check_version(VgmWireReader *r, const char *type, int supported,
									 char *msg, size_t msglen, char *detail, size_t detaillen);

/*
 * Decoding a model or a summary takes two calls, so that the caller can
 * place the variable part where it will live (in the server: straight into
 * the datum): *_decode_head reads the fixed part and checks that exactly the
 * announced components or buckets follow; *_decode_body reads them into the
 * caller's arrays and validates the whole value.  Both get the same message.
 */

/* Read a model's fixed part into hdr; hdr->k components and hdr->n_atoms atoms follow. */
int			vgm_model_decode_head(const uint8_t *data, size_t len, VgmModelHeader *hdr,
								  char *msg, size_t msglen, char *detail, size_t detaillen);

/*
 * Read the components and weights into comp[k] and weights[k] and the atoms
 * into atom_values[n_atoms] and atom_weights[n_atoms] (NULL when there are
 * none), then validate.
 */
int			vgm_model_decode_body(const uint8_t *data, size_t len, const VgmModelHeader *hdr,
								  VgmComponent *comp, double *weights,
								  double *atom_values, double *atom_weights,
								  char *msg, size_t msglen, char *detail, size_t detaillen);

/* Bytes of the binary form of a model with k components and n_atoms atoms. */
size_t		vgm_model_binary_size(int k, int n_atoms);

/* Write the binary form of a model into out (vgm_model_binary_size bytes). */
void		vgm_model_encode(const VgmModelView *model, uint8_t *out);

/* Read a summary's fixed part into head; head->n buckets follow. */
int			vgm_summary_decode_head(const uint8_t *data, size_t len, VgmSummaryWireHead *head,
									char *msg, size_t msglen, char *detail, size_t detaillen);

/*
 * Read the buckets into buckets[head->n] and the heavy values into
 * heavy[head->nheavy], then validate the summary.
 */
int			vgm_summary_decode_body(const uint8_t *data, size_t len,
									const VgmSummaryWireHead *head, VgmBucket *buckets,
									VgmHeavy *heavy,
									char *msg, size_t msglen, char *detail, size_t detaillen);

/* Bytes of the binary form of a summary with n buckets and nheavy heavy values. */
size_t		vgm_summary_binary_size(size_t n, size_t nheavy);

/*
 * Write the binary form of a summary into out (vgm_summary_binary_size
 * bytes): version 1 without heavy values, version 2 with them.
 */
void		vgm_summary_encode(int shift, const VgmSummaryCounts *counts,
							   const VgmBucket *buckets, size_t n,
							   const VgmHeavy *heavy, size_t nheavy, uint8_t *out);

/*
 * Decode a KS state into c and counts[nbins] (both zeroed first; nbins must
 * be VGM_KS_BINS, the only bin count this build reads), then validate it.
 */
int			vgm_ks_decode(const uint8_t *data, size_t len, VgmKsCounts *c,
						  int64_t *counts, int nbins,
						  char *msg, size_t msglen, char *detail, size_t detaillen);

/*
 * Bytes of the binary form of a KS state (12 per nonzero bin); add
 * vgm_ks_binary_jumps_size for a state with jumps.
 */
size_t		vgm_ks_binary_size(const int64_t *counts, int nbins);

/* Bytes of the jump part of a state's binary form: 4 + 8 per jump, 0 without jumps. */
size_t		vgm_ks_binary_jumps_size(const VgmKsCounts *c);

/* Write the binary form of a KS state into out (vgm_ks_binary_size bytes). */
void		vgm_ks_encode(const VgmKsCounts *c, const int64_t *counts, int nbins, uint8_t *out);

#endif							/* VGM_BINARY_CODEC_H */
