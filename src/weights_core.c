/*
 * weights_core.c - rescaling a summary's weights to its row count before a
 *                  fit (pure C; see weights_core.h for what a weight means).
 */
#include "weights_core.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* A double counts every whole number up to 2^53 exactly. */
#define MAX_EXACT_ROWS (INT64_C(1) << 53)

/* Rescale bucket weights and moment sums so the weights sum to rows. */
int
vgm_buckets_weights_to_rows(VgmBucket *b, size_t n, int64_t rows, VgmWeightScale *scale)
{
	double		total = 0.0;
	double		negligible;
	double		s;
	int			e;
	size_t		i;

	memset(scale, 0, sizeof(*scale));
	scale->factor = 1.0;
	if (rows <= 0 || rows > MAX_EXACT_ROWS)
		return VGM_WEIGHTS_ERR_ROWS;
	/* the same sum, in the same key order, as vgm_summary_info's total_weight */
	for (i = 0; i < n; i++)
		total += b[i].weight;
	scale->total = total;
	if (n == 0 || !(total >= DBL_MIN) || !isfinite(total))
		return VGM_WEIGHTS_ERR_TOTAL;

	/*
	 * A subnormal bucket weight has fewer than 53 significant bits, and its
	 * moment sums (weight times powers of deviations) have underflowed.
	 * That only matters when the bucket is not negligible: a bucket below
	 * 2^-53 of the total is lost in the rounding of the total anyway.
	 */
	negligible = total * (DBL_EPSILON / 2.0);
	for (i = 0; i < n; i++)
		if (b[i].weight < DBL_MIN && b[i].weight > negligible)
		{
			scale->bucket = i;
			scale->bucket_weight = b[i].weight;
			return VGM_WEIGHTS_ERR_PRECISION;
		}

	/* counts already: every unweighted summary stays bit for bit as it was */
	if (total == (double) rows)
		return VGM_WEIGHTS_OK;

	/*
	 * Divide by the total's power of two first (exact), then multiply by
	 * rows over its mantissa, which lies in (rows / 2, rows]: neither step
	 * overflows whatever the total, and weights that differ from counts by
	 * a power of two come back exactly as those counts.
	 */
	e = ilogb(total);
	s = (double) rows / ldexp(total, -e);
	scale->factor = ldexp(s, -e);
	scale->rescaled = 1;
	for (i = 0; i < n; i++)
	{
		double		w = ldexp(b[i].weight, -e) * s;

		b[i].weight = w;
		if (w < DBL_MIN)
		{
			/* a negligible bucket whose rescaled weight underflows: a point mass */
			b[i].m2 = b[i].m3 = b[i].m4 = 0.0;
			continue;
		}
		b[i].m2 = ldexp(b[i].m2, -e) * s;
		if (!isfinite(b[i].m2))
		{
			scale->bucket = i;
			scale->bucket_weight = w;
			return VGM_WEIGHTS_ERR_RANGE;
		}
		b[i].m3 = ldexp(b[i].m3, -e) * s;
		b[i].m4 = ldexp(b[i].m4, -e) * s;
	}
	return VGM_WEIGHTS_OK;
}
