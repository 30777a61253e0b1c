/*
 * joint_summary_core.h - the one-pass summary of rows of d columns behind
 *                        vgm_joint_summary, in pure C.
 *
 * A summary is a set of micro-clusters ("cells") on a canonical grid plus
 * the counts of the rows it took and skipped.  Each cell keeps its weight
 * (a row count), its mean vector and its scatter matrix about that mean
 * (sum of (x - mean)(x - mean)^T, upper triangle), so cells merge exactly
 * with the parallel-axis formula and the fit sees every cell's exact first
 * two moments (joint_vbem.h's within-point covariance is scatter / weight).
 *
 * The grid.  Column j of a row gets the bucket key of summary_core.h: the
 * IEEE-754 bits of |x_j| with the lowest `shift` bits dropped (so a key is
 * relative to the value's magnitude and each column keeps its own scale
 * without knowing it in advance), negatives mirrored, zero on its own.  A
 * cell is the tuple of the d keys.  All columns share one shift, and
 * dropping one more bit maps every cell into exactly one coarser cell, so
 * partial states at different resolutions merge exactly after the finer
 * one is coarsened.  Shift 63 leaves three keys per column (negative, zero,
 * positive); shift 64 puts every row into one cell, so a cap of any size
 * can always be met.
 *
 * The cap and order independence.  A state holds at most
 * VGM_JOINT_SUMMARY_MAX_CELLS cells; a row (or a merged cell) that would
 * need one more coarsens the state one bit at a time until it fits.  A
 * state coarsens from shift s only when the rows it has seen need more than
 * the cap at s; then every superset of those rows does too.  So the shift
 * of the final state is the smallest one at which ALL rows fit in the cap,
 * however the rows were ordered or split across workers, shards and
 * rollups, and the cells are the same sets of rows.  Only the rounding of
 * the sums inside a cell depends on the order (within ~1e-15 relative).
 *
 * Limits: d <= VGM_JOINT_MAX_DIMS (16).  A cell takes 8 (2d + 1 + d(d+1)/2)
 * bytes: 152 at d = 4, 1,352 at d = 16; a full state at d = 16 is 5.5 MB.
 */
#ifndef VGM_JOINT_SUMMARY_CORE_H
#define VGM_JOINT_SUMMARY_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "joint_vbem.h"
#include "json_text.h"

#define VGM_JOINT_SUMMARY_FORMAT_VERSION 1
/* Cells a state holds at most (see the cap above, and docs/accuracy.md). */
#define VGM_JOINT_SUMMARY_MAX_CELLS 4096
/* Coarsest resolution: every row in one cell. */
#define VGM_JOINT_SUMMARY_MAX_SHIFT 64
/*
 * Largest row count: weights are row counts held in doubles, exact up to
 * 2^53, which is what lets a reader check that they add up to the rows.
 */
#define VGM_JOINT_SUMMARY_MAX_ROWS (INT64_C(1) << 53)

/* Entries of the packed upper triangle of a d x d matrix. */
#define VGM_JOINT_TRI(d) ((d) * ((d) + 1) / 2)
/* Doubles of a cell: weight, d means, the scatter's upper triangle. */
#define VGM_JOINT_STRIDE(d) (1 + (d) + VGM_JOINT_TRI(d))

/* Index of (i, j), i <= j, in the row-major packed upper triangle. */
static inline int
vgm_joint_tri_index(int d, int i, int j)
{
	return i * d - i * (i - 1) / 2 + (j - i);
}

/*
 * Status codes: the codecs' (codec_status.h, through the text kit's names),
 * plus three of rows, numbered outside the codec status space so that one is
 * never taken for a codec's.
 */
#define VGM_JOINT_OK VGM_TEXT_OK
#define VGM_JOINT_ERR_SYNTAX VGM_TEXT_ERR_SYNTAX
#define VGM_JOINT_ERR_FIELD VGM_TEXT_ERR_FIELD
#define VGM_JOINT_ERR_VERSION VGM_TEXT_ERR_VERSION
#define VGM_JOINT_ERR_RANGE VGM_TEXT_ERR_RANGE
#define VGM_JOINT_ERR_NOMEM VGM_TEXT_ERR_NOMEM
#define VGM_JOINT_ERR_OVERFLOW VGM_TEXT_ERR_OVERFLOW	/* more than 2^53 rows */
#define VGM_JOINT_ERR_NONFINITE 101	/* a row holds NaN or an infinity */
#define VGM_JOINT_ERR_DIMS 102	/* rows or states of different lengths */
#define VGM_JOINT_ERR_HUGE 103	/* values whose squares overflow a double */

/*
 * A summary as stored and exchanged: n cells sorted by their key tuples,
 * keys n x d, stats n x VGM_JOINT_STRIDE(d).  d is 0 only for a summary
 * that has seen no row with a length (nothing but NULL arrays).
 */
typedef struct VgmJointSummaryView
{
	int			d;
	int			shift;
	size_t		n;
	int64_t		rows;			/* rows summarized */
	int64_t		skipped;		/* rows skipped: a NULL array or element */
	const int64_t *keys;
	const double *stats;
} VgmJointSummaryView;

/*
 * The accumulator: cells in arrays (keys and stats with the strides above)
 * and an open-addressing index of cell numbers.
 */
typedef struct VgmJointAcc
{
	int			d;				/* 0 until the first row or state with a length */
	int			stride;
	int			shift;
	uint32_t	n;				/* cells in use */
	uint32_t	cap;			/* cells allocated */
	int64_t    *keys;
	double	   *stats;
	uint32_t   *index;			/* cell number + 1, 0 empty */
	uint32_t	nslots;			/* power of two, > 2 cap */
	int64_t		rows;
	int64_t		skipped;
	const VgmAllocator *alloc;
} VgmJointAcc;

/* Bucket key of one finite coordinate at a resolution (shift 0 .. 64). */
static inline int64_t
vgm_joint_key(double x, int shift)
{
	uint64_t	bits;
	uint64_t	mag;
	int64_t		k;

	__builtin_memcpy(&bits, &x, sizeof(bits));
	mag = bits & 0x7FFFFFFFFFFFFFFFULL;
	if (mag == 0 || shift >= 64)
		return 0;
	k = (int64_t) (mag >> shift) + 1;
	return (bits >> 63) ? -k : k;
}

/* The key a bucket gets when the resolution drops from `from` to `to` bits. */
static inline int64_t
vgm_joint_rekey(int64_t key, int from, int to)
{
	int64_t		mag;

	if (key == 0 || to == from)
		return key;
	if (to >= 64)
		return 0;
	mag = ((key < 0 ? -key : key) - 1) >> (to - from);
	return key < 0 ? -(mag + 1) : mag + 1;
}

/* Start an empty accumulator (d = 0: set on the first row). */
void		vgm_joint_acc_init(VgmJointAcc *acc, const VgmAllocator *alloc);

/* Release the accumulator's arrays. */
void		vgm_joint_acc_free(VgmJointAcc *acc);

/* Fix the row length of an empty accumulator (1 .. VGM_JOINT_MAX_DIMS). */
int			vgm_joint_acc_set_dims(VgmJointAcc *acc, int d);

/*
 * Add one row of acc->d coordinates.  VGM_JOINT_ERR_NONFINITE when one is
 * NaN or infinite (nothing is added), VGM_JOINT_ERR_OVERFLOW past 2^53 rows.
 */
int			vgm_joint_acc_add(VgmJointAcc *acc, const double *x);

/* Count a skipped row (a NULL array or element). */
int			vgm_joint_acc_skip(VgmJointAcc *acc);

/* Merge a validated summary into the accumulator (exact, cell by cell). */
int			vgm_joint_acc_merge(VgmJointAcc *acc, const VgmJointSummaryView *v);

/* Drop one bit of resolution in every column, merging the cells that meet. */
int			vgm_joint_acc_coarsen(VgmJointAcc *acc);

/*
 * Write the cells sorted by key tuple into keys (n x d) and stats
 * (n x stride); returns the cell count.  Fails with VGM_JOINT_ERR_HUGE when
 * a sum overflowed (values above ~1e150).
 */
int			vgm_joint_acc_export(const VgmJointAcc *acc, int64_t *keys, double *stats,
								 size_t *n);

/*
 * Check every invariant of an untrusted summary: version, d, shift, the
 * cell count, sorted unique keys valid at the shift, integer weights adding
 * up to the rows, finite means, scatter matrices with a non-negative
 * diagonal that satisfy Cauchy-Schwarz.  Returns VGM_JOINT_OK or a status
 * with a lowercase message and a detail.
 */
int			vgm_joint_summary_validate(int version, const VgmJointSummaryView *v,
									   char *msg, size_t msglen,
									   char *detail, size_t detaillen);

/* Global weight, mean (d) and covariance (d x d, divided by the weight). */
void		vgm_joint_global_moments(const VgmJointSummaryView *v, double *weight,
									 double *mean, double *cov);

/*
 * The engine's points of a summary: weight (n), mean (n x d) and
 * within-point covariance (n x d x d, scatter / weight, full symmetric)
 * into the caller's arrays; pts points at them.
 */
void		vgm_joint_summary_points(const VgmJointSummaryView *v, double *weight,
									 double *mean, double *cov, VgmJointPoints *pts);

/* Append the JSON text of a summary to an appender of the text kit. */
void		vgm_joint_summary_write(JtOut *o, const VgmJointSummaryView *v);

/*
 * Parse and validate the JSON text of a summary (len bytes).  keys and stats
 * are allocated with alloc (one block, *block; NULL when there are no cells)
 * and v points into it.
 */
int			vgm_joint_summary_parse(const char *text, size_t len, VgmJointSummaryView *v,
									void **block, const VgmAllocator *alloc,
									char *msg, size_t msglen,
									char *detail, size_t detaillen);

/*
 * Binary form: version i32, d i32, shift i32, n i32, rows i64, skipped i64,
 * then per cell d keys (i64) and the stride's doubles, big-endian (wire.h).
 */
#define VGM_JOINT_SUMMARY_WIRE_HEAD 32

/* Bytes of the binary form. */
size_t		vgm_joint_summary_binary_size(int d, size_t n);

/* Write the binary form into out (vgm_joint_summary_binary_size bytes). */
void		vgm_joint_summary_encode(const VgmJointSummaryView *v, uint8_t *out);

/*
 * Read the fixed part of a binary message: version, d, shift, n and counts
 * into v (keys and stats NULL); checks that the length is exactly that of
 * n cells, so the caller may allocate them.
 */
int			vgm_joint_summary_decode_head(const uint8_t *data, size_t len,
										  VgmJointSummaryView *v,
										  char *msg, size_t msglen,
										  char *detail, size_t detaillen);

/* Read the cells into keys and stats (sized by the head), then validate. */
int			vgm_joint_summary_decode_body(const uint8_t *data, size_t len,
										  VgmJointSummaryView *v, int64_t *keys,
										  double *stats, char *msg, size_t msglen,
										  char *detail, size_t detaillen);

#endif							/* VGM_JOINT_SUMMARY_CORE_H */
