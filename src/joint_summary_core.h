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
 * IEEE-754 bits of |x_j| with the lowest shift_j bits dropped (so a key is
 * relative to the value's magnitude and each column keeps its own scale
 * without knowing it in advance), negatives mirrored, zero on its own.  A
 * cell is the tuple of the d keys.  Shift 63 leaves three keys per column
 * (negative, zero, positive); shift 64 and above put every value into one
 * key.
 *
 * Per-column resolution.  A state has one level L and a set E of "exact"
 * columns: the columns that have taken at most VGM_JOINT_EXACT_VALUES (32)
 * distinct values so far (coded and small integer columns: levels of
 * education, ratings, hour of day, day of month, counts).  A column outside E
 * is keyed at shift L, a column in E at shift max(0, L - VGM_JOINT_EXACT_GAP),
 * twelve bits finer, so that whole numbers below 128 stay apart up to
 * L = 58 while the continuous columns coarsen.  A limit of 32 values and a
 * gap of 12 bits are what measured best on the tables of docs/accuracy.md
 * section 7: 128 values kept columns of 56 to 94 whole numbers exact and
 * squeezed the continuous columns beside them into a few cells (credit:
 * 0.16 nats per row lost became 0.76 to 0.97), gaps of 4 and 8 bits were
 * no better than 12.  The state keeps
 * the distinct values of each column in E (as keys at shift 0); the
 * (VGM_JOINT_EXACT_VALUES + 1)-th one moves the column out of E for good,
 * its cells re-keyed at L.  Every shift is a non-decreasing function of L
 * and of "out of E", so a state can always be re-keyed to a later one and
 * partial states merge exactly after each is brought to the coarser one.
 *
 * The cap and order independence.  A state holds at most
 * vgm_joint_summary_cap(d) cells (below); a row (or a merged cell) that would
 * need one more raises L one step at a time until it fits.  The argument:
 *   (1) E is a function of the rows: E = the columns with at most
 *       VGM_JOINT_EXACT_VALUES distinct values among them.  A partial state
 *       knows a superset of the final E, and sheds columns as they cross
 *       the limit, which the distinct values it keeps let it tell exactly
 *       (values are merged as sets, so any split gives the same sets).
 *   (2) For a fixed E, the number of cells of a set of rows at level L
 *       can only grow with the rows and only shrink with L.  A state raises
 *       L from l only when the rows it has seen need more than the cap at
 *       l; then every superset of those rows does too, so no state passes
 *       the smallest level at which ALL rows fit.
 * So the final state (E, L, and the cells as sets of rows) is the same for
 * any row order and any split into partial states merged in any order,
 * provided no partial state raised L while holding in E a column that the
 * whole input takes out of E: such a state counted that column's cells
 * finer than the final state will, and may have passed the final level.
 * That needs a partial state with at most VGM_JOINT_EXACT_VALUES distinct
 * values in a column that has more overall, and a full cap of cells
 * nonetheless (a shard of one region whose integer column has fewer
 * values); for continuous columns, which leave E within their first 33
 * distinct values, it cannot happen.  Only the rounding of the sums inside
 * a cell depends on the order (within ~1e-15 relative).
 *
 * Format version 1 (one shift for all columns) is read as a state with no
 * column in E; it merges with version 2 states exactly.
 *
 * Limits: d <= VGM_JOINT_MAX_DIMS (16).  A cell takes 8 (2d + 1 + d(d+1)/2)
 * bytes: 152 at d = 4, 1,352 at d = 16; a full state is at most 8 MB of
 * cells (16,384 cells of 152 bytes, 2.5 MB, at d = 4; 6,204 cells at
 * d = 16) plus its index (4 bytes per slot, at most 4 slots per cell),
 * 1 kB per column for the set of its values while accumulating and 8 bytes
 * per exact value stored.
 */
#ifndef VGM_JOINT_SUMMARY_CORE_H
#define VGM_JOINT_SUMMARY_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "joint_vbem.h"
#include "json_text.h"
#include "summary_core.h"

#define VGM_JOINT_SUMMARY_FORMAT_VERSION 2
/* The version before per-column resolution: one shift, no exact column. */
#define VGM_JOINT_SUMMARY_FORMAT_VERSION_ONE_SHIFT 1
/*
 * Version 2 plus each column's smallest and largest value among the rows
 * ("min", "max"), which a fit stores in its model for vgm_marginal.  A
 * summary with rows is written in version 3 when it knows its range, in
 * version 2 when it does not (it merged a version 1 or 2 summary with
 * rows, which knew none); a summary without rows is written in version 2
 * (it has no range, and loses none when merged).
 */
#define VGM_JOINT_SUMMARY_FORMAT_VERSION_RANGE 3
/* Distinct values a column may take and stay exact (in E, see above). */
#ifndef VGM_JOINT_EXACT_VALUES
#define VGM_JOINT_EXACT_VALUES 32
#endif
/* Bits an exact column is keyed finer than the level L. */
#ifndef VGM_JOINT_EXACT_GAP
#define VGM_JOINT_EXACT_GAP 12
#endif
/*
 * The cap.  A state of d columns holds at most vgm_joint_summary_cap(d)
 * cells: VGM_JOINT_SUMMARY_MAX_CELLS (16,384) while their keys and sums
 * take at most VGM_JOINT_SUMMARY_CELL_BUDGET bytes (d <= 9), fewer above,
 * never fewer than VGM_JOINT_SUMMARY_MIN_CAP (4,096, the cap of the
 * builds before; their states stay valid).  The cap is a function of d
 * alone, so the argument below holds for it as for a constant.  16,384
 * cells are what closed the gap to the raw rows on the tables of
 * docs/accuracy.md section 7; the fit screens its starts on a coarser
 * copy of at most VGM_JOINT_SCREEN_CELLS cells (joint_levels.h).
 */
#define VGM_JOINT_SUMMARY_MAX_CELLS 16384
#define VGM_JOINT_SUMMARY_MIN_CAP 4096
#define VGM_JOINT_SUMMARY_CELL_BUDGET (8 << 20)
/*
 * Coarsest level: every row in one cell.  Level 64 puts every value of a
 * column outside E into one key; the exact columns, keyed
 * VGM_JOINT_EXACT_GAP bits finer, get there VGM_JOINT_EXACT_GAP levels
 * later.  (With a cap of 64 an input whose exact columns alone took more
 * cells than the cap at level 64 had no level that fits.)
 */
#define VGM_JOINT_SUMMARY_MAX_SHIFT (64 + VGM_JOINT_EXACT_GAP)
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
 * that has seen no row with a length (nothing but NULL arrays).  shift is
 * the level L; bit j of exact says column j is in E, and then its distinct
 * values (keys at shift 0, ascending) are nvalues[j] entries of values, the
 * exact columns' lists one after the other in column order.  Zero-filled
 * exact fields mean no exact column (a version 1 summary).  has_range says
 * col_min and col_max (d each) hold the smallest and largest value of each
 * column among the rows: a summary of version 3; zero-filled, no range
 * (versions 1 and 2, or no rows).
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
	uint32_t	exact;			/* bit j: column j is exact */
	int			nvalues[VGM_JOINT_MAX_DIMS];	/* distinct values of an exact column */
	const int64_t *values;		/* the exact columns' values, concatenated */
	bool		has_range;		/* rows > 0 and col_min, col_max hold their range (version 3) */
	double		col_min[VGM_JOINT_MAX_DIMS];
	double		col_max[VGM_JOINT_MAX_DIMS];
} VgmJointSummaryView;

/*
 * The accumulator: cells in arrays (keys and stats with the strides above)
 * and an open-addressing index of cell numbers.
 */
typedef struct VgmJointAcc
{
	int			d;				/* 0 until the first row or state with a length */
	int			stride;
	int			shift;			/* the level L */
	uint32_t	exact;			/* bit j: column j is in E */
	int64_t    *sets;			/* per column, a table of its values' shift-0 keys */
	int			nset[VGM_JOINT_MAX_DIMS];	/* distinct values in each table */
	uint32_t	n;				/* cells in use */
	uint32_t	cap;			/* cells allocated */
	int64_t    *keys;
	double	   *stats;
	uint32_t   *index;			/* cell number + 1, 0 empty */
	uint32_t	nslots;			/* power of two, > 2 cap */
	int64_t		rows;
	int64_t		skipped;
	/* each column's range over the rows; range_lost: a merged summary had rows and no range */
	bool		range_lost;
	double		col_min[VGM_JOINT_MAX_DIMS];
	double		col_max[VGM_JOINT_MAX_DIMS];
	const VgmAllocator *alloc;
} VgmJointAcc;

/* Cells a state of d columns holds at most (the cap above). */
static inline uint32_t
vgm_joint_summary_cap(int d)
{
	size_t		cell = sizeof(double) * (size_t) (d + VGM_JOINT_STRIDE(d));
	size_t		cap = VGM_JOINT_SUMMARY_CELL_BUDGET / (cell > 0 ? cell : 1);

	if (cap > VGM_JOINT_SUMMARY_MAX_CELLS)
		cap = VGM_JOINT_SUMMARY_MAX_CELLS;
	if (cap < VGM_JOINT_SUMMARY_MIN_CAP)
		cap = VGM_JOINT_SUMMARY_MIN_CAP;
	return (uint32_t) cap;
}

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

/*
 * The key a bucket gets when the resolution drops from `from` to `to` bits:
 * the one-column rule, where a joint column may also drop every bit.
 */
static inline int64_t
vgm_joint_rekey(int64_t key, int from, int to)
{
	if (to >= 64 && to != from)
		return 0;
	return vgm_bucket_rekey(key, from, to);
}

/* Shift of a column at level shift: exact columns are VGM_JOINT_EXACT_GAP bits finer. */
static inline int
vgm_joint_column_shift(int shift, uint32_t exact, int j)
{
	if ((exact >> j) & 1)
		return shift > VGM_JOINT_EXACT_GAP ? shift - VGM_JOINT_EXACT_GAP : 0;
	return shift;
}

/* The value of a key at shift 0 (its exact value; zero for both zeros). */
static inline double
vgm_joint_key_value(int64_t key)
{
	uint64_t	bits;
	double		x;

	if (key == 0)
		return 0.0;
	bits = (uint64_t) (key < 0 ? -key : key) - 1;
	if (key < 0)
		bits |= 0x8000000000000000ULL;
	__builtin_memcpy(&x, &bits, sizeof(x));
	return x;
}

/* Start an empty accumulator (d = 0: set on the first row). */
void		vgm_joint_acc_init(VgmJointAcc *acc, const VgmAllocator *alloc);

/* Release the accumulator's arrays. */
void		vgm_joint_acc_free(VgmJointAcc *acc);

/* The range of the accumulator's rows into v (has_range, col_min, col_max). */
void		vgm_joint_acc_range(const VgmJointAcc *acc, VgmJointSummaryView *v);

/* The format version a summary is written in: 3 with a range, else 2. */
static inline int
vgm_joint_summary_version(const VgmJointSummaryView *v)
{
	return v->has_range ? VGM_JOINT_SUMMARY_FORMAT_VERSION_RANGE : VGM_JOINT_SUMMARY_FORMAT_VERSION;
}

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

/* Raise the level one step, merging the cells that meet. */
int			vgm_joint_acc_coarsen(VgmJointAcc *acc);

/*
 * The distinct values of the exact columns (shift-0 keys, ascending, column
 * after column) into values (room for d x VGM_JOINT_EXACT_VALUES) and their
 * counts into nvalues; returns the total.
 */
size_t		vgm_joint_acc_values(const VgmJointAcc *acc, int64_t *values, int *nvalues);

/*
 * Write the cells sorted by key tuple into keys (n x d) and stats
 * (n x stride); returns the cell count.  Fails with VGM_JOINT_ERR_HUGE when
 * a sum overflowed (values above ~1e150).
 */
int			vgm_joint_acc_export(const VgmJointAcc *acc, int64_t *keys, double *stats,
								 size_t *n);

/*
 * The cells of a validated summary coarsened until at most max_cells are
 * left: the level raised step by step, as a state's cap would.  The
 * cells stay exact sums of their rows, so the global moments are those of
 * v.  out holds d, shift, n, rows, skipped, keys and stats (no exact
 * columns, no values: it serves a fit, it is not a stored state); keys and
 * stats are one block allocated with alloc (*block, NULL without cells).
 */
int			vgm_joint_summary_coarsen_to(const VgmJointSummaryView *v, size_t max_cells,
										 const VgmAllocator *alloc,
										 VgmJointSummaryView *out, void **block);

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
 * Binary form: version i32, d i32, shift i32, n i32, rows i64, skipped i64;
 * in versions 2 and 3 then per column the count of its exact values (i32,
 * -1 when it is not exact) and the values (f64 each); in version 3 then
 * each column's minimum (d f64) and maximum (d f64); then per cell d keys
 * (i64) and the stride's doubles, big-endian (wire.h).
 */
#define VGM_JOINT_SUMMARY_WIRE_HEAD 32

/* Bytes of the binary form (version 2 or 3, vgm_joint_summary_version) of a view. */
size_t		vgm_joint_summary_binary_size(const VgmJointSummaryView *v);

/* Total of the exact columns' value counts of a view (the values it carries). */
size_t		vgm_joint_summary_value_total(const VgmJointSummaryView *v);

/* Write the binary form into out (vgm_joint_summary_binary_size bytes). */
void		vgm_joint_summary_encode(const VgmJointSummaryView *v, uint8_t *out);

/*
 * Read the fixed part of a binary message: version, d, shift, n, counts and
 * the exact columns' value counts into v (keys, stats and values NULL);
 * checks that the length is exactly that of n cells and the values, so the
 * caller may allocate them.
 */
int			vgm_joint_summary_decode_head(const uint8_t *data, size_t len,
										  VgmJointSummaryView *v,
										  char *msg, size_t msglen,
										  char *detail, size_t detaillen);

/*
 * Read the values and the cells into values (room for d x
 * VGM_JOINT_EXACT_VALUES), keys and stats (sized by the head), then validate.
 */
int			vgm_joint_summary_decode_body(const uint8_t *data, size_t len,
										  VgmJointSummaryView *v, int64_t *values,
										  int64_t *keys, double *stats, char *msg,
										  size_t msglen, char *detail, size_t detaillen);

#endif							/* VGM_JOINT_SUMMARY_CORE_H */
