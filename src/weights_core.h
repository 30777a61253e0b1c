/*
 * weights_core.h - what a row weight means to a fit, in pure C.
 *
 * Weights are relative: only their ratios matter.  The priors of the fit
 * (mean precision 1, degrees of freedom 1, the Dirichlet-process
 * concentration, the counts added to every component) are in units of
 * rows, so before a summary is fitted its bucket weights are rescaled to
 * sum to the number of rows that carried a positive weight.  A common
 * factor on every weight then changes nothing, and survey weights such as
 * 1 / sample_rate do not make the fit as confident as if the whole
 * population had been observed.
 */
#ifndef VGM_WEIGHTS_CORE_H
#define VGM_WEIGHTS_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "summary_core.h"

/* Status codes of vgm_buckets_weights_to_rows. */
#define VGM_WEIGHTS_OK 0
#define VGM_WEIGHTS_ERR_TOTAL 1		/* total weight not a finite normal positive double */
#define VGM_WEIGHTS_ERR_PRECISION 2	/* a non-negligible bucket weight is subnormal */
#define VGM_WEIGHTS_ERR_ROWS 3		/* no rows, or more rows than a double counts exactly */
#define VGM_WEIGHTS_ERR_RANGE 4		/* a rescaled sum of squared deviations overflows */

/* What the rescaling found, for the caller's messages and diagnostics. */
typedef struct VgmWeightScale
{
	double		total;			/* the summary's total weight before rescaling */
	double		factor;			/* rows / total (may be inexact when total is extreme) */
	int			rescaled;		/* 0 when the weights already summed to rows */
	size_t		bucket;			/* index of the offending bucket (ERR_PRECISION, ERR_RANGE) */
	double		bucket_weight;	/* its weight */
} VgmWeightScale;

/*
 * Rescale the weights and the moment sums m2, m3, m4 of n buckets (which
 * scale linearly with weight) so that the weights sum to rows; the means do
 * not change.  When they already sum to rows exactly (every unweighted
 * summary) nothing is touched.  Fails without touching the buckets when the
 * total is not a finite normal positive double, or when a bucket weight
 * below the smallest normal double is not negligible next to the total
 * (its value and moments have lost precision); fails part way, with the
 * buckets partly rescaled, when a rescaled m2 overflows (the data's spread
 * would overflow unweighted too).  m3 and m4 may overflow to infinity where
 * m2 does not; the fit reads only weights, means and m2.
 */
int			vgm_buckets_weights_to_rows(VgmBucket *b, size_t n, int64_t rows,
										VgmWeightScale *scale);

#endif							/* VGM_WEIGHTS_CORE_H */
