/*
 * kmeans_seed.h - the start of both engines' initialization: weighted
 *                 k-means++ seeding, the centers of a heavy start and the
 *                 numbering of the clusters, on points of any dimension.
 *
 * Pure C.  The one-dimensional engine keeps its points as an array of
 * (weight, mean, var) records, the joint engine as a weight array beside an
 * n x d array of means; both are read here through byte strides (as BLAS
 * reads a vector through its increment), so neither copies its points and
 * a seed draws the same centers as it did when each engine had its own
 * copy of this code.  Lloyd's iterations stay in the engines: in one
 * dimension the sorted points allow a merge pass that does not generalise.
 */
#ifndef VGM_KMEANS_SEED_H
#define VGM_KMEANS_SEED_H

#include <stddef.h>
#include <stdint.h>

/* most centers a seeding or a heavy start gives (the engines' component caps are at most this) */
#define VGM_SEED_MAX_CENTERS 256

/* Squared Euclidean distance of two dim-vectors, summed in order from 0.0. */
static inline double
vgm_sq_dist(const double *a, const double *b, int dim)
{
	double		s = 0.0;
	int			i;

	for (i = 0; i < dim; i++)
	{
		double		t = a[i] - b[i];

		s += t * t;
	}
	return s;
}

/*
 * n weighted points of dim coordinates: point i's weight is the double at
 * byte offset i * weight_stride from weight, its coordinates the dim
 * consecutive doubles at byte offset i * coord_stride from coord.
 */
typedef struct VgmSeedPoints
{
	size_t		n;
	int			dim;
	const double *weight;
	size_t		weight_stride;
	const double *coord;
	size_t		coord_stride;
} VgmSeedPoints;

/*
 * Weighted k-means++ seeding (Arthur & Vassilvitskii 2007) with 2 + log k
 * greedy local trials per center, as scikit-learn seeds its k-means.
 * centers holds k x dim doubles, of which the first `fixed` centers are
 * given (0: the first is drawn by weight).  dist and cum are scratch of n
 * doubles each.  Returns the number of centers found (fewer than k when
 * every point already sits on a center), or -1 when check_interrupt (may be
 * NULL) asked to stop.
 */
int			vgm_kmeanspp_seed(const VgmSeedPoints *pts, int k, uint64_t seed,
							  double *centers, int fixed, double *dist, double *cum,
							  int (*check_interrupt) (void *), void *interrupt_arg);

/*
 * Centers of a heavy start: the up to k heaviest points among those that
 * carry more than twice the mean point weight (the heaps of a column of
 * round values, a summary's dense cells), heaviest first, ties to the
 * earlier point.  Writes them to centers (k x dim); returns how many.
 */
int			vgm_heavy_centers(const VgmSeedPoints *pts, int k, double *centers);

/*
 * Numbers the `found` clusters of a hard assignment (label[i] of each
 * point) for the stick-breaking prior: the heaviest cluster gets slot 0.
 * Ties go to the smaller tie_key[c] (NULL: no key), then to the smaller
 * cluster index, so the order is total.  Writes slot[cluster].
 */
void		vgm_number_clusters(const VgmSeedPoints *pts, const int *label, int found,
								const double *tie_key, int *slot);

#endif							/* VGM_KMEANS_SEED_H */
