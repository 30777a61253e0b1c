/*
 * summary.h - the vgm_summary SQL type: flat layout and read access shared by
 *             the fit and the validation functions.
 */
#ifndef VGM_SUMMARY_H
#define VGM_SUMMARY_H

#include "postgres.h"
#include "fmgr.h"

#include "summary_core.h"

/* Flat (on-disk) layout: counts, then buckets sorted by key. */
typedef struct VgmSummary
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int32		version;
	int32		shift;
	int32		nbuckets;
	VgmSummaryCounts counts;
	VgmBucket	buckets[FLEXIBLE_ARRAY_MEMBER];
} VgmSummary;

#define VGM_SUMMARY_SIZE(n) (offsetof(VgmSummary, buckets) + (n) * sizeof(VgmBucket))

/* A read-only view of a summary datum, flat or expanded. */
typedef struct VgmSummaryView
{
	int			shift;
	VgmSummaryCounts counts;
	const VgmBucket *buckets;
	size_t		n;
} VgmSummaryView;

/* Read a summary argument without modifying it. */
extern void vgm_summary_get_view(Datum datum, VgmSummaryView *view);

#endif							/* VGM_SUMMARY_H */
