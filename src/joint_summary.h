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
 * cells sorted by key tuple.  Every field is 8-byte aligned.
 */
typedef struct VgmJointSummary
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int32		version;
	int32		d;
	int32		shift;
	int32		ncells;
	int32		unused;			/* zero: keeps rows 8-byte aligned */
	int64		rows;
	int64		skipped;
	int64		data[FLEXIBLE_ARRAY_MEMBER];	/* keys, then the stats */
} VgmJointSummary;

#define VGM_JOINT_SUMMARY_SIZE(d, n) \
	(offsetof(VgmJointSummary, data) + (size_t) (n) * (d) * sizeof(int64) \
	 + (size_t) (n) * VGM_JOINT_STRIDE(d) * sizeof(double))

/* A read-only view of a vgm_joint_summary datum, flat or expanded. */
extern void vgm_joint_summary_get_view(Datum datum, VgmJointSummaryView *view);

#endif							/* VGM_JOINT_SUMMARY_H */
