/*
 * summary.h - the vgm_summary SQL type: flat layout and read access shared by
 *             the fit and the validation functions.
 */
#ifndef VGM_SUMMARY_H
#define VGM_SUMMARY_H

#include "postgres.h"
#include "fmgr.h"

#include "summary_core.h"

/*
 * Flat (on-disk) layout: counts, then buckets sorted by key; a version 2
 * summary then has its heavy-value table (heavy_core.h), sorted by value,
 * up to the end of the datum.  Version 1 is the layout from before the
 * table, so stored summaries keep their bytes.
 */
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
#define VGM_SUMMARY_SIZE_HEAVY(n, nheavy) (VGM_SUMMARY_SIZE(n) + (nheavy) * sizeof(VgmHeavy))

/* A read-only view of a summary datum, flat or expanded. */
typedef struct VgmSummaryView
{
	int			shift;
	VgmSummaryCounts counts;
	const VgmBucket *buckets;
	size_t		n;
	const VgmHeavy *heavy;		/* the heavy-value table, sorted by value */
	size_t		nheavy;
} VgmSummaryView;

/* Read a summary argument without modifying it. */
extern void vgm_summary_get_view(Datum datum, VgmSummaryView *view);

/* Values of GUC vgm.summary_text: which text form vgm_summary_out writes. */
#define VGM_SUMMARY_TEXT_AUTO 0		/* packed above the bucket count below */
#define VGM_SUMMARY_TEXT_READABLE 1	/* always the "buckets" array */
#define VGM_SUMMARY_TEXT_COMPACT 2	/* always the "packed" string */
/*
 * Above this many buckets "auto" writes the packed form: from here on the
 * readable text passes 20 kB and its parse time starts to show; smaller
 * summaries (small groups, examples, tests) stay readable.
 */
#define VGM_SUMMARY_TEXT_AUTO_BUCKETS 256
extern int	vgm_summary_text_form;

#endif							/* VGM_SUMMARY_H */
