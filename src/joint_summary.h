/*
 * joint_summary.h - the vgm_joint_summary SQL type: its stored layout and
 *                   the read access the joint fit shares.
 */
#ifndef VGM_JOINT_SUMMARY_H
#define VGM_JOINT_SUMMARY_H

#include "postgres.h"
#include "fmgr.h"

#include "joint_summary_core.h"

/*
 * Stored (flat) layout: the fixed part, then ncells x d keys (int64), then
 * ncells x VGM_JOINT_STRIDE(d) doubles (weight, means, packed scatter),
 * cells sorted by key tuple; in versions 2 and 3 then d int64 counts of
 * the exact columns' values (0 for a column that is not exact) and the
 * values' keys at shift 0 (int64, ascending per column); in version 3 then
 * each column's minimum (d doubles) and maximum (d doubles) over the rows.
 * Every field is 8-byte aligned.
 */
typedef struct VgmJointSummary
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int32		version;
	int32		d;
	int32		shift;
	int32		ncells;
	uint32		exact;			/* bit j: column j is exact (version 2) */
	int64		rows;
	int64		skipped;
	int64		data[FLEXIBLE_ARRAY_MEMBER];	/* keys, stats, value counts, values */
} VgmJointSummary;

/*
 * Bytes of a stored summary of version 2 (ranged false) or 3 (ranged true)
 * of n cells and nvalues exact values.
 */
#define VGM_JOINT_SUMMARY_SIZE(d, n, nvalues, ranged) \
	(offsetof(VgmJointSummary, data) + (size_t) (n) * (d) * sizeof(int64) \
	 + (size_t) (n) * VGM_JOINT_STRIDE(d) * sizeof(double) \
	 + ((size_t) (d) + (size_t) (nvalues)) * sizeof(int64) \
	 + ((ranged) ? 2 * (size_t) (d) * sizeof(double) : 0))

/* A read-only view of a vgm_joint_summary datum, flat or expanded. */
extern void vgm_joint_summary_get_view(Datum datum, VgmJointSummaryView *view);

#endif							/* VGM_JOINT_SUMMARY_H */
