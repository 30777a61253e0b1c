/*
 * log_normalize.h - turning a point's row of weighted log probabilities
 *                   into responsibilities, as both engines' E-steps do.
 *
 * Pure C, header only: these run once per point and iteration, the
 * innermost loops of a fit, so they are static inline.  The log-sum-exp is
 * taken around the row's largest entry so that no exp() overflows.  The
 * fused passes skip the exp() of an entry far below the largest (see
 * VGM_NEGLIGIBLE_LOG_RESP), the separate E-steps do not, as scikit-learn.
 */
#ifndef VGM_LOG_NORMALIZE_H
#define VGM_LOG_NORMALIZE_H

#include <math.h>

/*
 * An entry this far below the largest has responsibility below 1e-16
 * relative: skipping its exp() changes no digit of a sum >= 1 that matters
 * and saves most of the E-step's cost.
 */
#define VGM_NEGLIGIBLE_LOG_RESP (-37.0)

/* Largest of row[0..k) (-INFINITY for k = 0). */
static inline double
vgm_row_max(const double *row, int k)
{
	double		best = -INFINITY;
	int			j;

	for (j = 0; j < k; j++)
		if (row[j] > best)
			best = row[j];
	return best;
}

/*
 * Log responsibilities in place: subtract log sum_j exp(row[j]) from every
 * entry; returns that log normalizer.
 */
static inline double
vgm_log_normalize_row(double *row, int k)
{
	double		best = vgm_row_max(row, k);
	double		sum = 0.0;
	double		norm;
	int			j;

	for (j = 0; j < k; j++)
		sum += exp(row[j] - best);
	norm = best + log(sum);
	for (j = 0; j < k; j++)
		row[j] -= norm;
	return norm;
}

/*
 * For a fused pass: shifted[j] = row[j] - best, row[j] its exp() (0 below
 * VGM_NEGLIGIBLE_LOG_RESP); returns the sum of the new row, so that
 * row[j] / sum is the responsibility and shifted[j] - log(sum) its log.
 */
static inline double
vgm_exp_shifted_row(double *row, double *shifted, int k, double best)
{
	double		sum = 0.0;
	int			j;

	for (j = 0; j < k; j++)
	{
		double		t = row[j] - best;

		shifted[j] = t;
		row[j] = t > VGM_NEGLIGIBLE_LOG_RESP ? exp(t) : 0.0;
		sum += row[j];
	}
	return sum;
}

#endif							/* VGM_LOG_NORMALIZE_H */
