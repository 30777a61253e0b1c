/*
 * joint_summary_core.c - cells, exact merging, canonical coarsening and the
 *                        text and binary forms of vgm_joint_summary, without
 *                        PostgreSQL headers.
 *
 * Why this design (the grid and the argument for order independence are in
 * joint_summary_core.h):
 *
 *   - Mean and scatter, not power sums about an anchor.  A cell of a coarse
 *     grid is wide compared with the spread of a tight cluster inside it;
 *     sum x x^T minus n mean mean^T would cancel most of its digits.  The
 *     rows update the mean and the scatter directly (Welford 1962; one
 *     division per row), and cells merge with the parallel-axis formula
 *     S = Sa + Sb + (wa wb / w) (mb - ma)(mb - ma)^T (Chan, Golub & LeVeque
 *     1979), which keeps every cell's first two moments exact.
 *   - Cells in plain arrays with a separate index of cell numbers: a merge
 *     and a coarsening step move cells without rehashing payloads, and the
 *     export sorts cell numbers, not 1 kB records.
 *   - Coarsening compacts the arrays in place: cell i moves to slot m <= i
 *     or merges into an earlier cell, so a state never holds two copies.
 *
 * The text form is JSON on the kit of json_text.c; the binary form uses
 * wire.h.  Both are validated as untrusted input by
 * vgm_joint_summary_validate.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* qsort_r */
#endif
#include "joint_summary_core.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_record.h"
#include "wire.h"

#define INITIAL_CELLS 8
/* slots of a column's table of values: a power of two above twice the limit */
#define SET_SLOTS 128
_Static_assert(SET_SLOTS > 2 * VGM_JOINT_EXACT_VALUES && (SET_SLOTS & (SET_SLOTS - 1)) == 0,
			   "a table of values must stay at most half full");
/* an empty slot of a table of values (no finite value has this key) */
#define SET_EMPTY INT64_MIN
/* largest bits of a finite double magnitude */
#define MAX_FINITE_BITS 0x7FEFFFFFFFFFFFFFULL
/* relative slack of the Cauchy-Schwarz check (rounding of the merges) */
#define SCATTER_SLACK 1e-8

/* ---------------------------------------------------------------------- */
/* the accumulator                                                         */
/* ---------------------------------------------------------------------- */

/* Hash of a key tuple: a multiply-xorshift per key, top bits used. */
static inline uint64_t
hash_keys(const int64_t *k, int d)
{
	uint64_t	h = 0x243F6A8885A308D3ULL;

	for (int j = 0; j < d; j++)
	{
		h = (h ^ (uint64_t) k[j]) * 0x9E3779B97F4A7C15ULL;
		h ^= h >> 32;
	}
	return h * 0xBF58476D1CE4E5B9ULL;
}

/* Slot of a hash in a table of nslots (a power of two). */
static inline uint32_t
slot_of(uint64_t h, uint32_t nslots)
{
	return (uint32_t) (h >> (64 - __builtin_ctz(nslots)));
}

/* Index slot holding the cell of keys k, or the empty slot where it belongs. */
static inline uint32_t *
find_slot(const VgmJointAcc *acc, const int64_t *k)
{
	uint32_t	mask = acc->nslots - 1;
	uint32_t	i = slot_of(hash_keys(k, acc->d), acc->nslots);

	for (;;)
	{
		uint32_t   *s = &acc->index[i];

		if (*s == 0 || memcmp(&acc->keys[(size_t) (*s - 1) * acc->d], k,
							  (size_t) acc->d * sizeof(int64_t)) == 0)
			return s;
		i = (i + 1) & mask;
	}
}

/* Start an empty accumulator (d = 0: set on the first row). */
void
vgm_joint_acc_init(VgmJointAcc *acc, const VgmAllocator *alloc)
{
	memset(acc, 0, sizeof(*acc));
	acc->alloc = alloc;
}

/* Release one generation of the cell arrays: keys, statistics and their index. */
static void
free_cells(const VgmAllocator *alloc, int64_t *keys, double *stats, uint32_t *index)
{
	vgm_mem_free(alloc, keys);
	vgm_mem_free(alloc, stats);
	vgm_mem_free(alloc, index);
}

/* The range of the accumulator's rows, when it knows it, into a view. */
void
vgm_joint_acc_range(const VgmJointAcc *acc, VgmJointSummaryView *v)
{
	v->has_range = acc->rows > 0 && !acc->range_lost;
	memset(v->col_min, 0, sizeof(v->col_min));
	memset(v->col_max, 0, sizeof(v->col_max));
	if (v->has_range)
		for (int j = 0; j < acc->d; j++)
		{
			v->col_min[j] = acc->col_min[j];
			v->col_max[j] = acc->col_max[j];
		}
}

/*
 * Widen the accumulator's range by one row's, or another summary's, range.
 * Zero is kept as +0 (adding +0 turns -0 into +0), so a range has one
 * encoding, as the exact values have.
 */
static void
widen_range(VgmJointAcc *acc, const double *lo, const double *hi)
{
	for (int j = 0; j < acc->d; j++)
	{
		if (acc->rows == 0 || lo[j] < acc->col_min[j])
			acc->col_min[j] = lo[j] + 0.0;
		if (acc->rows == 0 || hi[j] > acc->col_max[j])
			acc->col_max[j] = hi[j] + 0.0;
	}
}

/* Release the accumulator's arrays. */
void
vgm_joint_acc_free(VgmJointAcc *acc)
{
	free_cells(acc->alloc, acc->keys, acc->stats, acc->index);
	vgm_mem_free(acc->alloc, acc->sets);
	acc->keys = NULL;
	acc->stats = NULL;
	acc->index = NULL;
	acc->sets = NULL;
	acc->exact = 0;
	acc->n = acc->cap = acc->nslots = 0;
}

/* Rebuild the index over cells 0 .. n-1 (their keys are distinct). */
static void
reindex(VgmJointAcc *acc)
{
	memset(acc->index, 0, (size_t) acc->nslots * sizeof(uint32_t));
	for (uint32_t c = 0; c < acc->n; c++)
		*find_slot(acc, &acc->keys[(size_t) c * acc->d]) = c + 1;
}

/* Room for cap cells: new arrays, the cells copied, a new index. */
static int
grow(VgmJointAcc *acc, uint32_t cap)
{
	uint32_t	nslots = 4;
	int64_t    *keys;
	double	   *stats;
	uint32_t   *index;

	while (nslots <= 2 * cap)
		nslots *= 2;
	keys = vgm_mem_alloc(acc->alloc, (size_t) cap * acc->d * sizeof(int64_t));
	stats = vgm_mem_alloc(acc->alloc, (size_t) cap * acc->stride * sizeof(double));
	index = vgm_mem_alloc(acc->alloc, (size_t) nslots * sizeof(uint32_t));
	if (keys == NULL || stats == NULL || index == NULL)
	{
		free_cells(acc->alloc, keys, stats, index);
		return VGM_JOINT_ERR_NOMEM;
	}
	if (acc->n)
	{
		memcpy(keys, acc->keys, (size_t) acc->n * acc->d * sizeof(int64_t));
		memcpy(stats, acc->stats, (size_t) acc->n * acc->stride * sizeof(double));
	}
	free_cells(acc->alloc, acc->keys, acc->stats, acc->index);
	acc->keys = keys;
	acc->stats = stats;
	acc->index = index;
	acc->cap = cap;
	acc->nslots = nslots;
	reindex(acc);
	return VGM_JOINT_OK;
}

/* Fix the row length of an empty accumulator: every column starts exact. */
int
vgm_joint_acc_set_dims(VgmJointAcc *acc, int d)
{
	if (d < 1 || d > VGM_JOINT_MAX_DIMS || acc->n > 0)
		return VGM_JOINT_ERR_DIMS;
	acc->d = d;
	acc->stride = VGM_JOINT_STRIDE(d);
	acc->sets = vgm_mem_alloc(acc->alloc, (size_t) d * SET_SLOTS * sizeof(int64_t));
	if (acc->sets == NULL)
		return VGM_JOINT_ERR_NOMEM;
	for (size_t i = 0; i < (size_t) d * SET_SLOTS; i++)
		acc->sets[i] = SET_EMPTY;
	memset(acc->nset, 0, sizeof(acc->nset));
	acc->exact = (1u << d) - 1;
	return grow(acc, INITIAL_CELLS);
}

/*
 * Put the shift-0 key of a value into column j's table; true when it was
 * not there.  The table never fills: a column leaves E (and its table is
 * no longer used) at VGM_JOINT_EXACT_VALUES + 1 values, below SET_SLOTS.
 */
static inline bool
set_insert(VgmJointAcc *acc, int j, int64_t key)
{
	int64_t    *t = &acc->sets[(size_t) j * SET_SLOTS];
	uint32_t	i = (uint32_t) (((uint64_t) key * 0x9E3779B97F4A7C15ULL) >> 57);

	for (;;)
	{
		if (t[i] == key)
			return false;
		if (t[i] == SET_EMPTY)
		{
			t[i] = key;
			acc->nset[j]++;
			return true;
		}
		i = (i + 1) & (SET_SLOTS - 1);
	}
}

/* The current shift of every column. */
static void
column_shifts(const VgmJointAcc *acc, int *shifts)
{
	for (int j = 0; j < acc->d; j++)
		shifts[j] = vgm_joint_column_shift(acc->shift, acc->exact, j);
}

/*
 * Merge cell b (weight, mean, packed scatter) into cell a: the parallel-axis
 * formula.  An empty a takes b as it is.
 */
static void
merge_stats(int d, double *a, const double *b)
{
	double		wa = a[0];
	double		wb = b[0];
	double		w = wa + wb;
	double		delta[VGM_JOINT_MAX_DIMS];
	double		c;
	const double *sb = b + 1 + d;
	double	   *sa = a + 1 + d;
	int			t = 0;

	if (wa == 0.0)
	{
		memcpy(a, b, (size_t) VGM_JOINT_STRIDE(d) * sizeof(double));
		return;
	}
	for (int j = 0; j < d; j++)
	{
		delta[j] = b[1 + j] - a[1 + j];
		a[1 + j] += delta[j] * (wb / w);
	}
	c = wa * wb / w;
	for (int i = 0; i < d; i++)
		for (int j = i; j < d; j++, t++)
			sa[t] += sb[t] + c * delta[i] * delta[j];
	a[0] = w;
}

/*
 * Insert a cell whose keys are at the current shift: merged into the cell
 * of equal keys, or appended.  The caller made sure there is room.
 */
static int
insert_cell(VgmJointAcc *acc, const int64_t *k, const double *stats)
{
	uint32_t   *slot = find_slot(acc, k);

	if (*slot != 0)
	{
		merge_stats(acc->d, &acc->stats[(size_t) (*slot - 1) * acc->stride], stats);
		return VGM_JOINT_OK;
	}
	memcpy(&acc->keys[(size_t) acc->n * acc->d], k, (size_t) acc->d * sizeof(int64_t));
	memcpy(&acc->stats[(size_t) acc->n * acc->stride], stats,
		   (size_t) acc->stride * sizeof(double));
	*slot = ++acc->n;
	return VGM_JOINT_OK;
}

/*
 * Re-key every cell from the column shifts `from` to the current ones (each
 * at least as coarse), merging the cells that meet.  Compacts in place:
 * cell c goes to slot n <= c or into an earlier cell.
 */
static void
rekey_cells(VgmJointAcc *acc, const int *from)
{
	uint32_t	old_n = acc->n;
	int			to[VGM_JOINT_MAX_DIMS];

	column_shifts(acc, to);
	acc->n = 0;
	memset(acc->index, 0, (size_t) acc->nslots * sizeof(uint32_t));
	for (uint32_t c = 0; c < old_n; c++)
	{
		int64_t		k[VGM_JOINT_MAX_DIMS];
		double	   *st = &acc->stats[(size_t) c * acc->stride];
		uint32_t   *slot;

		for (int j = 0; j < acc->d; j++)
			k[j] = vgm_joint_rekey(acc->keys[(size_t) c * acc->d + j], from[j], to[j]);
		slot = find_slot(acc, k);
		if (*slot != 0)
			merge_stats(acc->d, &acc->stats[(size_t) (*slot - 1) * acc->stride], st);
		else
		{
			memcpy(&acc->keys[(size_t) acc->n * acc->d], k, (size_t) acc->d * sizeof(int64_t));
			if (acc->n != c)
				memcpy(&acc->stats[(size_t) acc->n * acc->stride], st,
					   (size_t) acc->stride * sizeof(double));
			*slot = ++acc->n;
		}
	}
}

/* Raise the level one step, merging the cells that meet. */
int
vgm_joint_acc_coarsen(VgmJointAcc *acc)
{
	int			from[VGM_JOINT_MAX_DIMS];

	if (acc->shift >= VGM_JOINT_SUMMARY_MAX_SHIFT)
		return VGM_JOINT_OK;
	column_shifts(acc, from);
	acc->shift++;
	if (acc->d > 0)
		rekey_cells(acc, from);
	return VGM_JOINT_OK;
}

/* Take column j out of E for good: its cells are re-keyed at the level. */
static void
leave_exact(VgmJointAcc *acc, int j)
{
	int			from[VGM_JOINT_MAX_DIMS];

	column_shifts(acc, from);
	acc->exact &= ~(1u << j);
	if (from[j] != acc->shift)
		rekey_cells(acc, from);
}

/*
 * Count the value of key (shift 0) in exact column j; the value beyond the
 * limit takes the column out of E.
 */
static inline void
note_exact_value(VgmJointAcc *acc, int j, int64_t key)
{
	if (set_insert(acc, j, key) && acc->nset[j] > VGM_JOINT_EXACT_VALUES)
		leave_exact(acc, j);
}

/*
 * Make room for the cell of keys k (at the current shifts): grow the arrays,
 * or coarsen while the state is at the cap and k is a new cell.  After each
 * coarsening k is computed again, from the row x when given, else from the
 * keys orig of a merged cell at the column shifts orig_shifts.  Returns the
 * status; k then holds the keys at the final shifts.
 */
static int
make_room(VgmJointAcc *acc, int64_t *k, const int64_t *orig, const int *orig_shifts,
		  const double *x)
{
	for (;;)
	{
		int			status;

		if (*find_slot(acc, k) != 0)
			return VGM_JOINT_OK;
		if (acc->n < acc->cap)
			return VGM_JOINT_OK;
		if (acc->cap < vgm_joint_summary_cap(acc->d))
		{
			uint32_t	cap = acc->cap * 2;

			if (cap > vgm_joint_summary_cap(acc->d))
				cap = vgm_joint_summary_cap(acc->d);
			return grow(acc, cap);
		}
		status = vgm_joint_acc_coarsen(acc);
		if (status != VGM_JOINT_OK)
			return status;
		for (int j = 0; j < acc->d; j++)
		{
			int			to = vgm_joint_column_shift(acc->shift, acc->exact, j);

			k[j] = x != NULL ? vgm_joint_key(x[j], to) : vgm_joint_rekey(orig[j], orig_shifts[j], to);
		}
	}
}

/* Add one row of acc->d coordinates. */
int
vgm_joint_acc_add(VgmJointAcc *acc, const double *x)
{
	int64_t		k[VGM_JOINT_MAX_DIMS];
	uint32_t   *slot;
	double	   *st;
	int			d = acc->d;

	for (int j = 0; j < d; j++)
	{
		uint64_t	bits;

		memcpy(&bits, &x[j], sizeof(bits));
		if (__builtin_expect((bits & 0x7FF0000000000000ULL) == 0x7FF0000000000000ULL, 0))
			return VGM_JOINT_ERR_NONFINITE;
	}
	if (__builtin_expect(acc->rows >= VGM_JOINT_SUMMARY_MAX_ROWS, 0))
		return VGM_JOINT_ERR_OVERFLOW;
	/* exact columns first: a value beyond the limit changes the shifts */
	for (uint32_t e = acc->exact; e != 0; e &= e - 1)
	{
		int			j = __builtin_ctz(e);

		note_exact_value(acc, j, vgm_joint_key(x[j], 0));
	}
	if (__builtin_expect(acc->exact == 0, 1))
		for (int j = 0; j < d; j++)
			k[j] = vgm_joint_key(x[j], acc->shift);
	else
		for (int j = 0; j < d; j++)
			k[j] = vgm_joint_key(x[j], vgm_joint_column_shift(acc->shift, acc->exact, j));
	slot = find_slot(acc, k);
	if (__builtin_expect(*slot == 0, 0))
	{
		int			status = make_room(acc, k, NULL, NULL, x);

		if (status != VGM_JOINT_OK)
			return status;
		slot = find_slot(acc, k);
	}
	widen_range(acc, x, x);
	acc->rows++;
	if (*slot == 0)
	{
		/* a new cell: weight 1, the row as mean, no scatter */
		memcpy(&acc->keys[(size_t) acc->n * d], k, (size_t) d * sizeof(int64_t));
		st = &acc->stats[(size_t) acc->n * acc->stride];
		st[0] = 1.0;
		memcpy(st + 1, x, (size_t) d * sizeof(double));
		memset(st + 1 + d, 0, (size_t) VGM_JOINT_TRI(d) * sizeof(double));
		*slot = ++acc->n;
		return VGM_JOINT_OK;
	}
	/* Welford: mean += delta / w, scatter += (w - 1) / w delta delta^T */
	st = &acc->stats[(size_t) (*slot - 1) * acc->stride];
	{
		double		w = st[0] + 1.0;
		double		inv = 1.0 / w;
		double		c = st[0] * inv;
		double		delta[VGM_JOINT_MAX_DIMS];
		double	   *s = st + 1 + d;
		int			t = 0;

		st[0] = w;
		for (int j = 0; j < d; j++)
		{
			delta[j] = x[j] - st[1 + j];
			st[1 + j] += delta[j] * inv;
		}
		for (int i = 0; i < d; i++)
		{
			double		ci = c * delta[i];

			for (int j = i; j < d; j++, t++)
				s[t] += ci * delta[j];
		}
	}
	return VGM_JOINT_OK;
}

/* Count a skipped row. */
int
vgm_joint_acc_skip(VgmJointAcc *acc)
{
	if (acc->skipped == INT64_MAX)
		return VGM_JOINT_ERR_OVERFLOW;
	acc->skipped++;
	return VGM_JOINT_OK;
}

/* Merge a validated summary into the accumulator. */
int
vgm_joint_acc_merge(VgmJointAcc *acc, const VgmJointSummaryView *v)
{
	int64_t		rows;
	int64_t		skipped;
	int			status;

	if (__builtin_add_overflow(acc->rows, v->rows, &rows) || rows > VGM_JOINT_SUMMARY_MAX_ROWS
		|| __builtin_add_overflow(acc->skipped, v->skipped, &skipped))
		return VGM_JOINT_ERR_OVERFLOW;
	if (v->d != 0 && acc->d == 0)
	{
		status = vgm_joint_acc_set_dims(acc, v->d);
		if (status != VGM_JOINT_OK)
			return status;
	}
	else if (v->d != 0 && v->d != acc->d)
		return VGM_JOINT_ERR_DIMS;
	if (v->d != 0)
	{
		const int64_t *values = v->values;

		/* E of the union: columns exact on both sides within the limit */
		for (int j = 0; j < v->d; j++)
		{
			if (!((v->exact >> j) & 1))
			{
				if ((acc->exact >> j) & 1)
					leave_exact(acc, j);
				continue;
			}
			for (int i = 0; i < v->nvalues[j] && ((acc->exact >> j) & 1); i++)
				note_exact_value(acc, j, values[i]);
			values += v->nvalues[j];
		}
	}
	while (acc->shift < v->shift)
	{
		status = vgm_joint_acc_coarsen(acc);
		if (status != VGM_JOINT_OK)
			return status;
	}
	for (size_t c = 0; c < v->n; c++)
	{
		const int64_t *orig = &v->keys[c * v->d];
		int64_t		k[VGM_JOINT_MAX_DIMS];
		int			from[VGM_JOINT_MAX_DIMS];

		for (int j = 0; j < v->d; j++)
		{
			from[j] = vgm_joint_column_shift(v->shift, v->exact, j);
			k[j] = vgm_joint_rekey(orig[j], from[j],
								   vgm_joint_column_shift(acc->shift, acc->exact, j));
		}
		status = make_room(acc, k, orig, from, NULL);
		if (status != VGM_JOINT_OK)
			return status;
		insert_cell(acc, k, &v->stats[c * VGM_JOINT_STRIDE(v->d)]);
	}
	/* a range is known only while every part with rows knew its own */
	if (v->rows > 0)
	{
		if (!v->has_range)
			acc->range_lost = true;
		else
			widen_range(acc, v->col_min, v->col_max);
	}
	acc->rows = rows;
	acc->skipped = skipped;
	return VGM_JOINT_OK;
}

/* Order of two cells' key tuples (qsort_r comparator; arg is the accumulator). */
static int
compare_cells(const void *a, const void *b, void *arg)
{
	const VgmJointAcc *acc = arg;
	const int64_t *ka = &acc->keys[(size_t) *(const uint32_t *) a * acc->d];
	const int64_t *kb = &acc->keys[(size_t) *(const uint32_t *) b * acc->d];

	for (int j = 0; j < acc->d; j++)
		if (ka[j] != kb[j])
			return ka[j] < kb[j] ? -1 : 1;
	return 0;
}

/* Write the cells sorted by key tuple. */
int
vgm_joint_acc_export(const VgmJointAcc *acc, int64_t *keys, double *stats, size_t *n)
{
	uint32_t   *order;

	*n = 0;
	if (acc->n == 0)
		return VGM_JOINT_OK;
	order = vgm_mem_alloc(acc->alloc, (size_t) acc->n * sizeof(uint32_t));
	if (order == NULL)
		return VGM_JOINT_ERR_NOMEM;
	for (uint32_t c = 0; c < acc->n; c++)
		order[c] = c;
	qsort_r(order, acc->n, sizeof(uint32_t), compare_cells, (void *) acc);
	for (uint32_t c = 0; c < acc->n; c++)
	{
		const double *src = &acc->stats[(size_t) order[c] * acc->stride];

		for (int t = 0; t < acc->stride; t++)
			if (!isfinite(src[t]))
			{
				vgm_mem_free(acc->alloc, order);
				return VGM_JOINT_ERR_HUGE;
			}
		memcpy(&keys[(size_t) c * acc->d], &acc->keys[(size_t) order[c] * acc->d],
			   (size_t) acc->d * sizeof(int64_t));
		memcpy(&stats[(size_t) c * acc->stride], src, (size_t) acc->stride * sizeof(double));
	}
	vgm_mem_free(acc->alloc, order);
	*n = acc->n;
	return VGM_JOINT_OK;
}

/* A copy of a summary's cells coarsened to at most max_cells (see the header). */
int
vgm_joint_summary_coarsen_to(const VgmJointSummaryView *v, size_t max_cells,
							 const VgmAllocator *alloc, VgmJointSummaryView *out,
							 void **block)
{
	VgmJointAcc acc;
	int			status;
	size_t		key_bytes;

	*block = NULL;
	memset(out, 0, sizeof(*out));
	vgm_joint_acc_init(&acc, alloc);
	status = vgm_joint_acc_merge(&acc, v);
	/* the grid of the state, only coarser: the last level is one cell */
	while (status == VGM_JOINT_OK && acc.n > max_cells && acc.shift < VGM_JOINT_SUMMARY_MAX_SHIFT)
		status = vgm_joint_acc_coarsen(&acc);
	if (status == VGM_JOINT_OK && acc.n > 0)
	{
		key_bytes = (size_t) acc.n * acc.d * sizeof(int64_t);
		*block = vgm_mem_alloc(alloc, key_bytes + (size_t) acc.n * acc.stride * sizeof(double));
		if (*block == NULL)
			status = VGM_JOINT_ERR_NOMEM;
		else
			status = vgm_joint_acc_export(&acc, *block,
										  (double *) ((char *) *block + key_bytes), &out->n);
		if (status == VGM_JOINT_OK)
		{
			out->keys = *block;
			out->stats = (const double *) ((const char *) *block + key_bytes);
		}
		else
		{
			vgm_mem_free(alloc, *block);
			*block = NULL;
			out->n = 0;
		}
	}
	out->d = acc.d;
	out->shift = acc.shift;
	out->rows = acc.rows;
	out->skipped = acc.skipped;
	vgm_joint_acc_range(&acc, out);
	vgm_joint_acc_free(&acc);
	return status;
}

/* Order of two int64 keys (qsort comparator). */
static int
compare_keys(const void *a, const void *b)
{
	int64_t		x = *(const int64_t *) a;
	int64_t		y = *(const int64_t *) b;

	return x < y ? -1 : x > y;
}

/* The distinct values of the exact columns, ascending, column after column. */
size_t
vgm_joint_acc_values(const VgmJointAcc *acc, int64_t *values, int *nvalues)
{
	size_t		total = 0;

	for (int j = 0; j < acc->d; j++)
	{
		const int64_t *t = &acc->sets[(size_t) j * SET_SLOTS];
		int			m = 0;

		nvalues[j] = 0;
		if (!((acc->exact >> j) & 1))
			continue;
		for (int i = 0; i < SET_SLOTS; i++)
			if (t[i] != SET_EMPTY)
				values[total + m++] = t[i];
		qsort(&values[total], (size_t) m, sizeof(int64_t), compare_keys);
		nvalues[j] = m;
		total += (size_t) m;
	}
	return total;
}

/* ---------------------------------------------------------------------- */
/* validation and what the fit reads                                       */
/* ---------------------------------------------------------------------- */

/* Is key a possible bucket key of a finite value at this shift? */
static bool
key_valid(int64_t key, int shift)
{
	uint64_t	mag;

	if (key == 0)
		return true;
	if (shift >= 64 || key == INT64_MIN)
		return false;
	mag = (uint64_t) (key < 0 ? -key : key) - 1;
	return mag <= (MAX_FINITE_BITS >> shift);
}

/*
 * Is key, at shift, the key of one of the n values (shift-0 keys,
 * ascending) of an exact column?  Re-keying keeps the order, so a binary
 * search finds it.  At shift 0 the cell holds that one value: its mean is it.
 */
static bool
exact_key_known(const int64_t *values, int n, int shift, int64_t key, double mean)
{
	int			lo = 0;
	int			hi = n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (vgm_joint_rekey(values[mid], 0, shift) < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == n || vgm_joint_rekey(values[lo], 0, shift) != key)
		return false;
	return shift > 0 || mean == vgm_joint_key_value(key);
}

/*
 * The range of a version 3 summary: present exactly when it has rows (and
 * absent in the earlier versions), finite, min <= max, and every value of
 * an exact column inside it (the other columns' rows are summarized by
 * means, which rounding may put an ulp outside the values they average).
 */
static int
validate_range(JtError *e, int version, const VgmJointSummaryView *v)
{
	const int64_t *values = v->values;
	bool		want = version == VGM_JOINT_SUMMARY_FORMAT_VERSION_RANGE;

	if (v->has_range != want || (want && v->rows == 0))
		return jt_fail(e, VGM_JOINT_ERR_FIELD, 0, "invalid vgm_joint_summary: range does not match the version",
					   "Version %d with %" PRId64 " rows %s; version %d carries the columns' range (min and max) "
					   "of a summary with rows, earlier versions and summaries without rows carry none.",
					   version, v->rows, v->has_range ? "has a range" : "has no range",
					   VGM_JOINT_SUMMARY_FORMAT_VERSION_RANGE);
	if (!want)
		return VGM_JOINT_OK;
	for (int j = 0; j < v->d; j++)
	{
		if (!isfinite(v->col_min[j]) || !isfinite(v->col_max[j]) || v->col_min[j] > v->col_max[j]
			|| (v->col_min[j] == 0.0 && signbit(v->col_min[j]))
			|| (v->col_max[j] == 0.0 && signbit(v->col_max[j])))
			return jt_fail(e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: range out of order",
						   "Column %d has min %s and max %s; both must be finite (zero written as 0, not -0) and min at most max.", j + 1,
						   jt_num_text(v->col_min[j], (char[32]) {0}, 32),
						   jt_num_text(v->col_max[j], (char[32]) {0}, 32));
		if (!((v->exact >> j) & 1))
			continue;
		for (int i = 0; i < v->nvalues[j]; i++)
		{
			double		x = vgm_joint_key_value(values[i]);

			if (x < v->col_min[j] || x > v->col_max[j])
				return jt_fail(e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: exact value outside the range",
							   "Value %s of exact column %d lies outside its range [%s, %s].",
							   jt_num_text(x, (char[32]) {0}, 32), j + 1,
							   jt_num_text(v->col_min[j], (char[32]) {0}, 32),
							   jt_num_text(v->col_max[j], (char[32]) {0}, 32));
		}
		values += v->nvalues[j];
	}
	return VGM_JOINT_OK;
}

/* Check every invariant of an untrusted summary. */
int
vgm_joint_summary_validate(int version, const VgmJointSummaryView *v,
						   char *msg, size_t msglen, char *detail, size_t detaillen)
{
	JtError		e;
	double		total = 0.0;
	int			d = v->d;
	int			stride = VGM_JOINT_STRIDE(d);

	int			shifts[VGM_JOINT_MAX_DIMS];
	const int64_t *colvalues[VGM_JOINT_MAX_DIMS];

	jt_error_init(&e, msg, msglen, detail, detaillen);
	if (jt_check_summary_version(&e, "vgm_joint_summary", version,
								 VGM_JOINT_SUMMARY_FORMAT_VERSION_ONE_SHIFT,
								 VGM_JOINT_SUMMARY_FORMAT_VERSION_RANGE) != VGM_JOINT_OK)
		return e.status;
	if (d < 0 || d > VGM_JOINT_MAX_DIMS)
		return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: columns out of range",
					   "The summary has %d columns; the limit is %d.", d, VGM_JOINT_MAX_DIMS);
	if (jt_check_summary_shift(&e, "vgm_joint_summary", v->shift,
							   VGM_JOINT_SUMMARY_MAX_SHIFT) != VGM_JOINT_OK)
		return e.status;
	if (v->n > vgm_joint_summary_cap(d))
		return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: too many cells",
					   "The summary has %zu cells; the limit at %d columns is %u.",
					   v->n, d, vgm_joint_summary_cap(d));
	if (v->rows < 0 || v->rows > VGM_JOINT_SUMMARY_MAX_ROWS || v->skipped < 0)
		return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: counts out of range",
					   "rows is %" PRId64 " and skipped_rows %" PRId64
					   "; both must be non-negative and rows at most 2^53.", v->rows, v->skipped);
	if (d == 0 && (v->n > 0 || v->rows > 0))
		return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: rows without columns",
					   "A summary of %" PRId64 " rows must say how many columns they have.", v->rows);
	if (version == VGM_JOINT_SUMMARY_FORMAT_VERSION_ONE_SHIFT && v->exact != 0)
		return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: exact columns in version 1",
					   "Version %d keys every column at one shift; exact columns came with version %d.",
					   VGM_JOINT_SUMMARY_FORMAT_VERSION_ONE_SHIFT, VGM_JOINT_SUMMARY_FORMAT_VERSION);
	if (d < 32 && (v->exact >> d) != 0)
		return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: exact column out of range",
					   "The summary has %d columns.", d);
	{
		const int64_t *values = v->values;

		for (int j = 0; j < d; j++)
		{
			shifts[j] = vgm_joint_column_shift(v->shift, v->exact, j);
			colvalues[j] = values;
			if (!((v->exact >> j) & 1))
				continue;
			if (v->nvalues[j] < 0 || v->nvalues[j] > VGM_JOINT_EXACT_VALUES)
				return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: too many exact values",
							   "Column %d has %d values; an exact column has at most %d.",
							   j + 1, v->nvalues[j], VGM_JOINT_EXACT_VALUES);
			for (int i = 0; i < v->nvalues[j]; i++)
				if (!key_valid(values[i], 0) || (i > 0 && values[i] <= values[i - 1]))
					return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: exact values out of order",
								   "Value %d of column %d is not finite or does not follow value %d; the values of an exact column are finite, ascending and distinct.",
								   i + 1, j + 1, i);
			values += v->nvalues[j];
		}
	}
	for (size_t c = 0; c < v->n; c++)
	{
		const int64_t *k = &v->keys[c * d];
		const double *st = &v->stats[c * stride];
		const double *s = st + 1 + d;

		for (int j = 0; j < d; j++)
		{
			if (!key_valid(k[j], shifts[j]))
				return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: key out of range",
							   "Cell %zu has key %" PRId64 " in column %d, which no finite value has at shift %d.",
							   c, k[j], j + 1, shifts[j]);
			if (((v->exact >> j) & 1) && !exact_key_known(colvalues[j], v->nvalues[j], shifts[j], k[j], st[1 + j]))
				return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: cell of an unlisted value",
							   "Cell %zu has key %" PRId64 " in exact column %d, which none of its listed values has at shift %d (or, at shift 0, a mean other than that value).",
							   c, k[j], j + 1, shifts[j]);
		}
		if (c > 0)
		{
			const int64_t *prev = &v->keys[(c - 1) * d];
			int			j = 0;

			while (j < d && prev[j] == k[j])
				j++;
			if (j == d || prev[j] > k[j])
				return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: cells out of order",
							   "The keys of cell %zu do not follow those of cell %zu; cells are sorted by key and unique.",
							   c, c - 1);
		}
		if (!(st[0] >= 1.0 && st[0] <= (double) VGM_JOINT_SUMMARY_MAX_ROWS && st[0] == floor(st[0])))
			return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: weight out of range",
						   "Cell %zu has weight %s; a weight counts rows, a whole number from 1 to 2^53.",
						   c, jt_num_text(st[0], (char[32]) {0}, 32));
		total += st[0];
		for (int j = 0; j < d; j++)
			if (!isfinite(st[1 + j]))
				return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: mean not finite",
							   "Cell %zu has mean %s in column %d.", c,
							   jt_num_text(st[1 + j], (char[32]) {0}, 32), j + 1);
		for (int i = 0; i < d; i++)
		{
			double		sii = s[vgm_joint_tri_index(d, i, i)];

			if (!(sii >= 0.0) || !isfinite(sii) || (st[0] == 1.0 && sii != 0.0))
				return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: scatter out of range",
							   "Cell %zu of weight %s has scatter %s in column %d; it must be finite and non-negative, and zero for one row.",
							   c, jt_num_text(st[0], (char[32]) {0}, 32),
							   jt_num_text(sii, (char[32]) {0}, 32), i + 1);
		}
		for (int i = 0; i < d; i++)
			for (int j = i + 1; j < d; j++)
			{
				double		sij = s[vgm_joint_tri_index(d, i, j)];
				double		bound = sqrt(s[vgm_joint_tri_index(d, i, i)]) *
					sqrt(s[vgm_joint_tri_index(d, j, j)]) * (1.0 + SCATTER_SLACK);

				if (!isfinite(sij) || fabs(sij) > bound)
					return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: scatter not a scatter matrix",
								   "Cell %zu has scatter %s between columns %d and %d, beyond the bound %s that the diagonal sets (Cauchy-Schwarz).",
								   c, jt_num_text(sij, (char[32]) {0}, 32), i + 1, j + 1,
								   jt_num_text(bound, (char[32]) {0}, 32));
			}
	}
	if (total != (double) v->rows)
		return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: weights do not add up to the rows",
					   "The cells hold %.17g rows; the summary counts %" PRId64 ".", total, v->rows);
	return validate_range(&e, version, v);
}

/* Global weight, mean and covariance (two passes over the cells). */
void
vgm_joint_global_moments(const VgmJointSummaryView *v, double *weight, double *mean, double *cov)
{
	int			d = v->d;
	int			stride = VGM_JOINT_STRIDE(d);
	double		w = 0.0;

	memset(mean, 0, (size_t) d * sizeof(double));
	memset(cov, 0, (size_t) d * d * sizeof(double));
	for (size_t c = 0; c < v->n; c++)
	{
		w += v->stats[c * stride];
		for (int j = 0; j < d; j++)
			mean[j] += v->stats[c * stride] * v->stats[c * stride + 1 + j];
	}
	*weight = w;
	if (w <= 0.0)
		return;
	for (int j = 0; j < d; j++)
		mean[j] /= w;
	for (size_t c = 0; c < v->n; c++)
	{
		const double *st = &v->stats[c * stride];
		int			t = 0;

		for (int i = 0; i < d; i++)
			for (int j = i; j < d; j++, t++)
				cov[i * d + j] += st[1 + d + t] + st[0] * (st[1 + i] - mean[i]) * (st[1 + j] - mean[j]);
	}
	for (int i = 0; i < d; i++)
		for (int j = i; j < d; j++)
		{
			cov[i * d + j] /= w;
			cov[j * d + i] = cov[i * d + j];
		}
}

/* The engine's points of a summary. */
void
vgm_joint_summary_points(const VgmJointSummaryView *v, double *weight, double *mean,
						 double *cov, VgmJointPoints *pts)
{
	int			d = v->d;
	int			stride = VGM_JOINT_STRIDE(d);

	for (size_t c = 0; c < v->n; c++)
	{
		const double *st = &v->stats[c * stride];
		double	   *m = &cov[c * d * d];
		int			t = 0;

		weight[c] = st[0];
		memcpy(&mean[c * d], st + 1, (size_t) d * sizeof(double));
		for (int i = 0; i < d; i++)
			for (int j = i; j < d; j++, t++)
				m[i * d + j] = m[j * d + i] = st[1 + d + t] / st[0];
	}
	pts->n = v->n;
	pts->d = d;
	pts->weight = weight;
	pts->mean = mean;
	pts->scatter = cov;
}

/* ---------------------------------------------------------------------- */
/* text form                                                               */
/* ---------------------------------------------------------------------- */

/* Append count doubles as a JSON array. */
static void
put_doubles(JtOut *o, const double *x, int count)
{
	jt_puts(o, "[");
	for (int i = 0; i < count; i++)
	{
		if (i)
			jt_puts(o, ",");
		jt_put_double(o, x[i]);
	}
	jt_puts(o, "]");
}

/*
 * Append the JSON text of a summary:
 *   {"version":3,"d":2,"shift":0,"exact_values":[null,[1,2,5]],"rows":3,
 *    "skipped_rows":0,"min":[-1.5,1],"max":[7,5],
 *    "cells":[[[key1,key2],weight,[mean1,mean2],[s11,s12,s22]],...]}
 * exact_values: per column null, or the values of an exact column; min and
 * max: each column's range, in version 3 only (vgm_joint_summary_version).
 */
void
vgm_joint_summary_write(JtOut *o, const VgmJointSummaryView *v)
{
	int			d = v->d;
	int			stride = VGM_JOINT_STRIDE(d);

	jt_puts(o, "{\"version\":");
	jt_put_i64(o, vgm_joint_summary_version(v));
	jt_puts(o, ",\"d\":");
	jt_put_i64(o, d);
	jt_puts(o, ",\"shift\":");
	jt_put_i64(o, v->shift);
	jt_puts(o, ",\"exact_values\":[");
	{
		const int64_t *values = v->values;

		for (int j = 0; j < d; j++)
		{
			if (j)
				jt_puts(o, ",");
			if (!((v->exact >> j) & 1))
			{
				jt_puts(o, "null");
				continue;
			}
			jt_puts(o, "[");
			for (int i = 0; i < v->nvalues[j]; i++)
			{
				if (i)
					jt_puts(o, ",");
				jt_put_double(o, vgm_joint_key_value(*values++));
			}
			jt_puts(o, "]");
		}
	}
	jt_puts(o, "]");
	jt_puts(o, ",\"rows\":");
	jt_put_i64(o, v->rows);
	jt_puts(o, ",\"skipped_rows\":");
	jt_put_i64(o, v->skipped);
	if (v->has_range)
	{
		jt_puts(o, ",\"min\":");
		put_doubles(o, v->col_min, d);
		jt_puts(o, ",\"max\":");
		put_doubles(o, v->col_max, d);
	}
	jt_puts(o, ",\"cells\":[");
	for (size_t c = 0; c < v->n; c++)
	{
		const double *st = &v->stats[c * stride];

		jt_puts(o, c ? ",[[" : "[[");
		for (int j = 0; j < d; j++)
		{
			if (j)
				jt_puts(o, ",");
			jt_put_i64(o, v->keys[c * d + j]);
		}
		jt_puts(o, "],");
		jt_put_double(o, st[0]);
		jt_puts(o, ",");
		put_doubles(o, st + 1, d);
		jt_puts(o, ",");
		put_doubles(o, st + 1 + d, VGM_JOINT_TRI(d));
		jt_puts(o, "]");
	}
	jt_puts(o, "]}");
}

/* Widest cell while parsing: keys, then weight, means and scatter. */
#define PARSE_KEYS VGM_JOINT_MAX_DIMS
#define PARSE_STATS VGM_JOINT_STRIDE(VGM_JOINT_MAX_DIMS)

/* What the text holds while it is read. */
typedef struct JointText
{
	int64_t		version;
	int64_t		d;
	int64_t		shift;
	int64_t		rows;
	int64_t		skipped;
	/* cells at the widest stride, with the lengths the first cell set */
	int64_t    *keys;
	double	   *stats;
	size_t		n;
	size_t		cap;
	int			nkeys;
	int			nmean;
	int			nscatter;
	/* exact_values: per column null or its values */
	bool		have_exact;
	int			ncols;
	uint32_t	exact;
	int			nvalues[VGM_JOINT_MAX_DIMS];
	double		values[VGM_JOINT_MAX_DIMS][VGM_JOINT_EXACT_VALUES];
	/* min and max (version 3): each column's range */
	int			nmin;
	int			nmax;
	double		col_min[VGM_JOINT_MAX_DIMS];
	double		col_max[VGM_JOINT_MAX_DIMS];
	const VgmAllocator *alloc;
} JointText;

static const JtMessages joint_messages = {
	.syntax = "invalid input syntax for type vgm_joint_summary",
	.noun = "the joint summary",
	.version = VGM_JOINT_SUMMARY_FORMAT_VERSION,
	.ascii_keys = true,
};

/* A number: an int64 into *integer when given, else a finite double into *real. */
static int
read_number(JtCursor *c, const char *what, int64_t *integer, double *real)
{
	size_t		at = c->pos;
	JtNumber	tok;
	int			rc = JT_NUM_NOT_INTEGER;

	if (jt_number_start(jt_peek(c)))
		rc = integer != NULL ? jt_scan_int64(c, &tok, integer) : jt_scan_double(c, &tok, real);
	if (rc <= 0)
		return rc;
	return jt_syntax_error(c, at, "expected %s for %s",
						   integer != NULL ? "a 64-bit integer" : "a finite number", what);
}

/* An integer field into the JointText at f->arg. */
static int
read_int_field(JtCursor *c, const JtField *f, void *target, int depth)
{
	(void) depth;
	return read_number(c, f->name, (int64_t *) ((char *) target + f->arg), NULL);
}

/*
 * An array of at most max numbers (integers into ik, or doubles into dx);
 * *count gets its length.  Longer arrays are out of range.
 */
static int
read_numbers(JtCursor *c, int depth, const char *what, int max, int64_t *ik, double *dx,
			 int *count)
{
	int			more;
	size_t		at = c->pos;

	*count = 0;
	if (jt_peek(c) != '[')
		return jt_syntax_error(c, c->pos, "expected \"[\" to begin %s", what);
	for (more = jt_array_begin(c, depth); more > 0; more = jt_array_next(c))
	{
		if (*count == max)
		{
			jt_fail(c->err, VGM_JOINT_ERR_RANGE, at, "invalid vgm_joint_summary: too many numbers in a cell",
					"A cell holds at most %d numbers in %s.", max, what);
			return -1;
		}
		if (read_number(c, what, ik ? &ik[*count] : NULL, dx ? &dx[*count] : NULL) < 0)
			return -1;
		(*count)++;
	}
	return more;
}

/* Room for one more cell at the widest stride. */
static bool
reserve_cell(JointText *t)
{
	size_t		ncap;
	int64_t    *keys;
	double	   *stats;

	if (t->n < t->cap)
		return true;
	ncap = t->cap ? t->cap * 2 : 16;
	keys = vgm_mem_alloc(t->alloc, ncap * PARSE_KEYS * sizeof(int64_t));
	stats = vgm_mem_alloc(t->alloc, ncap * PARSE_STATS * sizeof(double));
	if (keys == NULL || stats == NULL)
	{
		vgm_mem_free(t->alloc, keys);
		vgm_mem_free(t->alloc, stats);
		return false;
	}
	if (t->n)
	{
		memcpy(keys, t->keys, t->n * PARSE_KEYS * sizeof(int64_t));
		memcpy(stats, t->stats, t->n * PARSE_STATS * sizeof(double));
	}
	vgm_mem_free(t->alloc, t->keys);
	vgm_mem_free(t->alloc, t->stats);
	t->keys = keys;
	t->stats = stats;
	t->cap = ncap;
	return true;
}

/*
 * One cell, [[keys], weight, [means], [scatter]], into k and st (the widest
 * strides); keep says whether it counts (its lengths are checked).
 */
static int
read_cell(JtCursor *c, JointText *t, int depth, int64_t *k, double *st, bool keep)
{
	int			nk;
	int			nm;
	int			ns;
	size_t		at = c->pos;

	if (jt_expect(c, '[', "\"[\" to open a cell") < 0)
		return -1;
	jt_skip_ws(c);
	if (read_numbers(c, depth + 1, "the keys of a cell", PARSE_KEYS, k, NULL, &nk) < 0 ||
		jt_expect(c, ',', "\",\" after the keys of a cell") < 0)
		return -1;
	jt_skip_ws(c);
	if (read_number(c, "the weight of a cell", NULL, &st[0]) < 0 ||
		jt_expect(c, ',', "\",\" after the weight of a cell") < 0)
		return -1;
	jt_skip_ws(c);
	if (read_numbers(c, depth + 1, "the means of a cell", VGM_JOINT_MAX_DIMS, NULL, st + 1, &nm) < 0 ||
		jt_expect(c, ',', "\",\" after the means of a cell") < 0)
		return -1;
	jt_skip_ws(c);
	/* the scatter goes after the widest means, moved down once d is known */
	if (read_numbers(c, depth + 1, "the scatter of a cell", VGM_JOINT_TRI(VGM_JOINT_MAX_DIMS),
					 NULL, st + 1 + VGM_JOINT_MAX_DIMS, &ns) < 0 ||
		jt_expect(c, ']', "\"]\" to close a cell") < 0)
		return -1;
	if (!keep)
		return 0;
	if (t->n == 0)
	{
		t->nkeys = nk;
		t->nmean = nm;
		t->nscatter = ns;
	}
	else if (nk != t->nkeys || nm != t->nmean || ns != t->nscatter)
		jt_fail(c->err, VGM_JOINT_ERR_RANGE, at, "invalid vgm_joint_summary: cells of different lengths",
				"Cell %zu has %d keys, %d means and %d scatter entries; cell 0 has %d, %d and %d.",
				t->n, nk, nm, ns, t->nkeys, t->nmean, t->nscatter);
	return 0;
}

/* The cell array. */
static int
read_cells(JtCursor *c, const JtField *f, void *target, int depth)
{
	JointText  *t = target;
	int			more;

	(void) f;
	if (jt_peek(c) != '[')
		return jt_syntax_error(c, c->pos, "expected \"[\" to begin the cells");
	for (more = jt_array_begin(c, depth); more > 0; more = jt_array_next(c))
	{
		size_t		at = c->pos;

		if (c->err->status != VGM_TEXT_OK)
		{
			/* an error is kept: only the syntax matters now, nothing is stored */
			int64_t		k[PARSE_KEYS];
			double		st[PARSE_STATS];

			if (read_cell(c, t, depth, k, st, false) < 0)
				return -1;
			continue;
		}
		if (t->n == VGM_JOINT_SUMMARY_MAX_CELLS)
		{
			jt_fail(c->err, VGM_JOINT_ERR_RANGE, at, "invalid vgm_joint_summary: too many cells",
					"The limit is %d cells.", VGM_JOINT_SUMMARY_MAX_CELLS);
			return -1;
		}
		if (!reserve_cell(t))
		{
			/* out of memory ends the reading: nothing later may hide it */
			jt_fail(c->err, VGM_JOINT_ERR_NOMEM, at, "out of memory",
					"Parsing a vgm_joint_summary needed more memory.");
			return -1;
		}
		if (read_cell(c, t, depth, &t->keys[t->n * PARSE_KEYS], &t->stats[t->n * PARSE_STATS], true) < 0)
			return -1;
		t->n++;
	}
	return more;
}

/* The exact_values array: per column null or an array of its values. */
static int
read_exact_values(JtCursor *c, const JtField *f, void *target, int depth)
{
	JointText  *t = target;
	int			more;
	size_t		at = c->pos;

	(void) f;
	t->have_exact = true;
	if (jt_peek(c) != '[')
		return jt_syntax_error(c, c->pos, "expected \"[\" to begin exact_values");
	for (more = jt_array_begin(c, depth); more > 0; more = jt_array_next(c))
	{
		int			j = t->ncols;

		if (j == VGM_JOINT_MAX_DIMS)
		{
			jt_fail(c->err, VGM_JOINT_ERR_RANGE, at, "invalid vgm_joint_summary: too many columns in exact_values",
					"exact_values has an entry per column, at most %d.", VGM_JOINT_MAX_DIMS);
			return -1;
		}
		if (jt_peek(c) == 'n')
		{
			if (jt_literal(c, "null") < 0)
				return -1;
		}
		else
		{
			if (read_numbers(c, depth + 1, "the values of an exact column", VGM_JOINT_EXACT_VALUES,
							 NULL, t->values[j], &t->nvalues[j]) < 0)
				return -1;
			t->exact |= 1u << j;
		}
		t->ncols++;
	}
	return more;
}

/* The min or the max array (version 3): one number per column. */
static int
read_range(JtCursor *c, const JtField *f, void *target, int depth)
{
	JointText  *t = target;
	bool		is_min = f->arg == 0;

	return read_numbers(c, depth, is_min ? "min" : "max", VGM_JOINT_MAX_DIMS, NULL,
						is_min ? t->col_min : t->col_max, is_min ? &t->nmin : &t->nmax);
}

#define JOFF(m) offsetof(JointText, m)

/* The fields of a joint summary's JSON object, in the order the writer puts them. */
static const JtField joint_fields[] = {
	{"version", NULL, read_int_field, JOFF(version), false},
	{"d", NULL, read_int_field, JOFF(d), false},
	{"shift", NULL, read_int_field, JOFF(shift), false},
	{"exact_values", NULL, read_exact_values, 0, true},
	{"rows", NULL, read_int_field, JOFF(rows), false},
	{"skipped_rows", NULL, read_int_field, JOFF(skipped), false},
	{"min", NULL, read_range, 0, true},
	{"max", NULL, read_range, 1, true},
	{"cells", NULL, read_cells, 0, false},
};

/* Where min and max are in joint_fields (seen[] of the parser). */
#define FIELD_MIN 6
#define FIELD_MAX 7

#define N_JOINT_FIELDS ((int) (sizeof(joint_fields) / sizeof(joint_fields[0])))

/* Free the parse buffers. */
static void
text_free(JointText *t)
{
	vgm_mem_free(t->alloc, t->keys);
	vgm_mem_free(t->alloc, t->stats);
	t->keys = NULL;
	t->stats = NULL;
}

/* Parse and validate the JSON text of a summary. */
int
vgm_joint_summary_parse(const char *text, size_t len, VgmJointSummaryView *v, void **block,
						const VgmAllocator *alloc, char *msg, size_t msglen,
						char *detail, size_t detaillen)
{
	JointText	t;
	bool		seen[N_JOINT_FIELDS] = {false};
	JtError		err;
	JtCursor	cur;
	int			status;
	int			d;
	int64_t    *keys = NULL;
	double	   *stats = NULL;
	int64_t    *values = NULL;
	size_t		nvalues_total = 0;

	memset(v, 0, sizeof(*v));
	*block = NULL;
	memset(&t, 0, sizeof(t));
	t.alloc = alloc;
	jt_error_init(&err, msg, msglen, detail, detaillen);
	jt_init(&cur, text, len, &err, &joint_messages);

	if (jt_read_object(&cur, joint_fields, N_JOINT_FIELDS, seen, "", &t, 1) < 0 ||
		jt_expect_end(&cur) < 0 || err.status != VGM_TEXT_OK ||
		jt_check_missing(&cur, joint_fields, N_JOINT_FIELDS, seen) != VGM_TEXT_OK)
		goto fail;
	if (jt_check_summary_version(&err, "vgm_joint_summary", t.version,
								 VGM_JOINT_SUMMARY_FORMAT_VERSION_ONE_SHIFT,
								 VGM_JOINT_SUMMARY_FORMAT_VERSION_RANGE) != VGM_JOINT_OK)
		goto fail;
	if (t.d < 0 || t.d > VGM_JOINT_MAX_DIMS)
	{
		jt_fail(&err, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: columns out of range",
				"The summary has %" PRId64 " columns; the limit is %d.", t.d, VGM_JOINT_MAX_DIMS);
		goto fail;
	}
	if (jt_check_summary_shift(&err, "vgm_joint_summary", t.shift,
							   VGM_JOINT_SUMMARY_MAX_SHIFT) != VGM_JOINT_OK)
		goto fail;
	d = (int) t.d;
	if (t.version == VGM_JOINT_SUMMARY_FORMAT_VERSION_ONE_SHIFT ? t.have_exact : !t.have_exact || t.ncols != d)
	{
		jt_fail(&err, VGM_JOINT_ERR_FIELD, 0, "invalid vgm_joint_summary: exact_values does not match the version",
				"Version %" PRId64 " with %d columns %s; exact_values has %d entries.", t.version, d,
				t.version == VGM_JOINT_SUMMARY_FORMAT_VERSION_ONE_SHIFT
				? "has no exact_values" : "has an entry per column in exact_values",
				t.ncols);
		goto fail;
	}
	if (seen[FIELD_MIN] != seen[FIELD_MAX] ||
		seen[FIELD_MIN] != (t.version == VGM_JOINT_SUMMARY_FORMAT_VERSION_RANGE) ||
		(seen[FIELD_MIN] && (t.nmin != d || t.nmax != d)))
	{
		jt_fail(&err, VGM_JOINT_ERR_FIELD, 0, "invalid vgm_joint_summary: min and max do not match the version",
				"Version %" PRId64 " with %d columns %s; the text has %s.", t.version, d,
				t.version == VGM_JOINT_SUMMARY_FORMAT_VERSION_RANGE
				? "has min and max, a number per column each" : "has no min and max",
				seen[FIELD_MIN] || seen[FIELD_MAX] ? "min and max of other lengths, or one of them" : "neither");
		goto fail;
	}
	if (t.n > 0 && (t.nkeys != d || t.nmean != d || t.nscatter != VGM_JOINT_TRI(d)))
	{
		jt_fail(&err, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: cells do not match the columns",
				"A cell of %d columns holds %d keys, %d means and %d scatter entries; the cells hold %d, %d and %d.",
				d, d, d, VGM_JOINT_TRI(d), t.nkeys, t.nmean, t.nscatter);
		goto fail;
	}
	for (int j = 0; j < d; j++)
		if ((t.exact >> j) & 1)
			nvalues_total += (size_t) t.nvalues[j];
	if (t.n > 0 || nvalues_total > 0)
	{
		int			stride = VGM_JOINT_STRIDE(d);
		size_t		kbytes = t.n * d * sizeof(int64_t);
		size_t		sbytes = t.n * stride * sizeof(double);
		size_t		m = 0;

		*block = vgm_mem_alloc(alloc, kbytes + sbytes + nvalues_total * sizeof(int64_t));
		if (*block == NULL)
		{
			jt_fail(&err, VGM_JOINT_ERR_NOMEM, 0, "out of memory",
					"Parsing a vgm_joint_summary needed more memory.");
			goto fail;
		}
		keys = *block;
		stats = (double *) ((char *) *block + kbytes);
		values = (int64_t *) ((char *) *block + kbytes + sbytes);
		for (int j = 0; j < d; j++)
			if ((t.exact >> j) & 1)
				for (int i = 0; i < t.nvalues[j]; i++)
					values[m++] = vgm_joint_key(t.values[j][i], 0);
		for (size_t c = 0; c < t.n; c++)
		{
			memcpy(&keys[c * d], &t.keys[c * PARSE_KEYS], (size_t) d * sizeof(int64_t));
			memcpy(&stats[c * stride], &t.stats[c * PARSE_STATS], (size_t) (1 + d) * sizeof(double));
			memcpy(&stats[c * stride + 1 + d], &t.stats[c * PARSE_STATS + 1 + VGM_JOINT_MAX_DIMS],
				   (size_t) VGM_JOINT_TRI(d) * sizeof(double));
		}
	}
	text_free(&t);
	v->d = d;
	v->shift = (int) t.shift;
	v->n = t.n;
	v->rows = t.rows;
	v->skipped = t.skipped;
	v->keys = keys;
	v->stats = stats;
	v->exact = t.exact;
	v->values = values;
	for (int j = 0; j < d; j++)
		v->nvalues[j] = ((t.exact >> j) & 1) ? t.nvalues[j] : 0;
	v->has_range = t.version == VGM_JOINT_SUMMARY_FORMAT_VERSION_RANGE;
	if (v->has_range)
	{
		memcpy(v->col_min, t.col_min, (size_t) d * sizeof(double));
		memcpy(v->col_max, t.col_max, (size_t) d * sizeof(double));
	}
	status = vgm_joint_summary_validate((int) t.version, v, msg, msglen, detail, detaillen);
	if (status != VGM_JOINT_OK)
	{
		vgm_mem_free(alloc, *block);
		*block = NULL;
		memset(v, 0, sizeof(*v));
	}
	return status;

fail:
	text_free(&t);
	return err.status;
}

/* ---------------------------------------------------------------------- */
/* binary form                                                             */
/* ---------------------------------------------------------------------- */

/* Bytes of one cell on the wire. */
static size_t
wire_cell_bytes(int d)
{
	return (size_t) d * 8 + (size_t) VGM_JOINT_STRIDE(d) * 8;
}

/* Total of the exact columns' value counts of a view. */
size_t
vgm_joint_summary_value_total(const VgmJointSummaryView *v)
{
	size_t		total = 0;

	for (int j = 0; j < v->d; j++)
		if ((v->exact >> j) & 1)
			total += (size_t) v->nvalues[j];
	return total;
}

/* Bytes of the binary form (version 2, or 3 with the range). */
size_t
vgm_joint_summary_binary_size(const VgmJointSummaryView *v)
{
	return VGM_JOINT_SUMMARY_WIRE_HEAD + (size_t) v->d * 4 + vgm_joint_summary_value_total(v) * 8
		+ (v->has_range ? (size_t) v->d * 16 : 0) + v->n * wire_cell_bytes(v->d);
}

/* Write the binary form. */
void
vgm_joint_summary_encode(const VgmJointSummaryView *v, uint8_t *out)
{
	VgmWireWriter w = {out, 0};
	int			stride = VGM_JOINT_STRIDE(v->d);
	const int64_t *values = v->values;

	vgm_wire_put_u32(&w, (uint32_t) vgm_joint_summary_version(v));
	vgm_wire_put_u32(&w, (uint32_t) v->d);
	vgm_wire_put_u32(&w, (uint32_t) v->shift);
	vgm_wire_put_u32(&w, (uint32_t) v->n);
	vgm_wire_put_u64(&w, (uint64_t) v->rows);
	vgm_wire_put_u64(&w, (uint64_t) v->skipped);
	for (int j = 0; j < v->d; j++)
	{
		if (!((v->exact >> j) & 1))
		{
			vgm_wire_put_u32(&w, (uint32_t) -1);
			continue;
		}
		vgm_wire_put_u32(&w, (uint32_t) v->nvalues[j]);
		for (int i = 0; i < v->nvalues[j]; i++)
			vgm_wire_put_f64(&w, vgm_joint_key_value(*values++));
	}
	for (int j = 0; v->has_range && j < v->d; j++)
		vgm_wire_put_f64(&w, v->col_min[j]);
	for (int j = 0; v->has_range && j < v->d; j++)
		vgm_wire_put_f64(&w, v->col_max[j]);
	for (size_t c = 0; c < v->n; c++)
	{
		vgm_wire_put_words64(&w, &v->keys[c * v->d], (size_t) v->d);
		vgm_wire_put_words64(&w, &v->stats[c * stride], (size_t) stride);
	}
}

/*
 * Read the fixed part of a binary message (any version): the head, in
 * versions 2 and 3 the value counts of the columns, whose values it skips,
 * and in version 3 the length of the range.
 */
int
vgm_joint_summary_decode_head(const uint8_t *data, size_t len, VgmJointSummaryView *v,
							  char *msg, size_t msglen, char *detail, size_t detaillen)
{
	VgmWireReader r = {data, len, 0};
	JtError		e;
	int32_t		version;
	int32_t		n;
	size_t		need;

	jt_error_init(&e, msg, msglen, detail, detaillen);
	memset(v, 0, sizeof(*v));
	if (len < VGM_JOINT_SUMMARY_WIRE_HEAD)
		return jt_fail(&e, VGM_JOINT_ERR_SYNTAX, 0, "invalid binary vgm_joint_summary: message too short",
					   "The message has %zu bytes; the fixed part alone has %d.",
					   len, VGM_JOINT_SUMMARY_WIRE_HEAD);
	version = vgm_wire_get_i32(&r);
	v->d = vgm_wire_get_i32(&r);
	v->shift = vgm_wire_get_i32(&r);
	n = vgm_wire_get_i32(&r);
	v->rows = vgm_wire_get_i64(&r);
	v->skipped = vgm_wire_get_i64(&r);
	if (jt_check_summary_version(&e, "vgm_joint_summary", version,
								 VGM_JOINT_SUMMARY_FORMAT_VERSION_ONE_SHIFT,
								 VGM_JOINT_SUMMARY_FORMAT_VERSION_RANGE) != VGM_JOINT_OK)
		return e.status;
	if (v->d < 0 || v->d > VGM_JOINT_MAX_DIMS)
		return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: columns out of range",
					   "The summary has %d columns; the limit is %d.", v->d, VGM_JOINT_MAX_DIMS);
	if (n < 0 || (uint32_t) n > vgm_joint_summary_cap(v->d))
		return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: too many cells",
					   "The message announces %d cells; the limit at %d columns is %u.",
					   n, v->d, vgm_joint_summary_cap(v->d));
	v->n = (size_t) n;
	need = VGM_JOINT_SUMMARY_WIRE_HEAD;
	if (version >= VGM_JOINT_SUMMARY_FORMAT_VERSION)
	{
		for (int j = 0; j < v->d; j++)
		{
			int32_t		count;

			if (len < need + 4)
				return jt_fail(&e, VGM_JOINT_ERR_SYNTAX, 0, "invalid binary vgm_joint_summary: message too short",
							   "The message has %zu bytes; the value count of column %d ends at byte %zu.",
							   len, j + 1, need + 4);
			r.pos = need;
			count = vgm_wire_get_i32(&r);
			if (count < -1 || count > VGM_JOINT_EXACT_VALUES)
				return jt_fail(&e, VGM_JOINT_ERR_RANGE, 0, "invalid vgm_joint_summary: too many exact values",
							   "Column %d announces %d values; an exact column has 0 to %d (-1: not exact).",
							   j + 1, count, VGM_JOINT_EXACT_VALUES);
			need += 4;
			if (count >= 0)
			{
				v->exact |= 1u << j;
				v->nvalues[j] = count;
				need += (size_t) count * 8;
				if (len < need)
					return jt_fail(&e, VGM_JOINT_ERR_SYNTAX, 0, "invalid binary vgm_joint_summary: message too short",
								   "The message has %zu bytes; the values of column %d end at byte %zu.",
								   len, j + 1, need);
			}
		}
	}
	if (version == VGM_JOINT_SUMMARY_FORMAT_VERSION_RANGE)
	{
		/* the range: min and max of each column (validated with the rest) */
		v->has_range = true;
		need += (size_t) v->d * 16;
	}
	need += v->n * wire_cell_bytes(v->d);
	if (len != need)
		return jt_fail(&e, VGM_JOINT_ERR_SYNTAX, 0, "invalid binary vgm_joint_summary: wrong length",
					   "%zu cells of %d columns and their values take %zu bytes; the message has %zu.",
					   v->n, v->d, need, len);
	return VGM_JOINT_OK;
}

/* Read the values and the cells, then validate. */
int
vgm_joint_summary_decode_body(const uint8_t *data, size_t len, VgmJointSummaryView *v,
							  int64_t *values, int64_t *keys, double *stats, char *msg,
							  size_t msglen, char *detail, size_t detaillen)
{
	VgmWireReader r = {data, len, 0};
	int			stride = VGM_JOINT_STRIDE(v->d);
	int			version = vgm_wire_get_i32(&r);
	size_t		m = 0;

	r.pos = VGM_JOINT_SUMMARY_WIRE_HEAD;
	if (version >= VGM_JOINT_SUMMARY_FORMAT_VERSION)
		for (int j = 0; j < v->d; j++)
		{
			int32_t		count = vgm_wire_get_i32(&r);

			for (int i = 0; i < count; i++)
			{
				double		x = vgm_wire_get_f64(&r);

				/*
				 * a non-finite value or -0 (zero is written as +0) gets a key
				 * no finite value has, which validation refuses: an accepted
				 * message has one encoding
				 */
				values[m++] = isfinite(x) && !(x == 0.0 && signbit(x)) ? vgm_joint_key(x, 0) : INT64_MIN;
			}
		}
	for (int j = 0; v->has_range && j < v->d; j++)
		v->col_min[j] = vgm_wire_get_f64(&r);
	for (int j = 0; v->has_range && j < v->d; j++)
		v->col_max[j] = vgm_wire_get_f64(&r);
	for (size_t c = 0; c < v->n; c++)
	{
		vgm_wire_get_words64(&r, &keys[c * v->d], (size_t) v->d);
		vgm_wire_get_words64(&r, &stats[c * stride], (size_t) stride);
	}
	v->values = values;
	v->keys = keys;
	v->stats = stats;
	return vgm_joint_summary_validate(version, v, msg, msglen, detail, detaillen);
}
