/*
 * kmeans_seed.c - weighted k-means++ seeding, heavy-start centers and the
 *                 cluster numbering shared by the one-dimensional and the
 *                 joint engine (see kmeans_seed.h for why through strides).
 *
 * Pure C.  The draws come from seeded_draws.h, so a seed is the same
 * stream on every platform.  The squared distance sums the coordinates in
 * order starting from 0.0; in one dimension that is exactly (x - c)^2, so
 * the one-dimensional engine's centers are bit for bit what its own
 * squared differences gave.
 */
#include "kmeans_seed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "seeded_draws.h"
#include "sort_order.h"

/* Weight of point i. */
static inline double
point_weight(const VgmSeedPoints *pts, size_t i)
{
	return *(const double *) ((const char *) pts->weight + i * pts->weight_stride);
}

/* Coordinates of point i. */
static inline const double *
point_coord(const VgmSeedPoints *pts, size_t i)
{
	return (const double *) ((const char *) pts->coord + i * pts->coord_stride);
}

/* Copy point i's coordinates into center slot c. */
static void
set_center(const VgmSeedPoints *pts, size_t i, double *centers, int c)
{
	memcpy(centers + (size_t) c * pts->dim, point_coord(pts, i), pts->dim * sizeof(double));
}

/* Ask the interrupt hook, if any. */
static int
asks_stop(int (*check_interrupt) (void *), void *interrupt_arg)
{
	return check_interrupt && check_interrupt(interrupt_arg);
}

/* Weighted k-means++ with greedy local trials; see kmeans_seed.h. */
int
vgm_kmeanspp_seed(const VgmSeedPoints *pts, int k, uint64_t seed,
				  double *centers, int fixed, double *dist, double *cum,
				  int (*check_interrupt) (void *), void *interrupt_arg)
{
	size_t		n = pts->n;
	int			dim = pts->dim;
	uint64_t	rng = seed ^ 0x5DEECE66DULL;
	int			trials = 2 + (int) log((double) k);
	double		potential = 0.0;
	double		acc = 0.0;
	size_t		i;
	int			c;

	for (i = 0; i < n; i++)
	{
		acc += point_weight(pts, i);
		cum[i] = acc;
	}
	if (fixed == 0)
	{
		set_center(pts, pick_by_cumulative(cum, n, uniform01(&rng) * acc), centers, 0);
		fixed = 1;
	}
	for (i = 0; i < n; i++)
	{
		dist[i] = vgm_sq_dist(point_coord(pts, i), centers, dim);
		for (c = 1; c < fixed; c++)
		{
			double		e = vgm_sq_dist(point_coord(pts, i), centers + (size_t) c * dim, dim);

			if (e < dist[i])
				dist[i] = e;
		}
		potential += point_weight(pts, i) * dist[i];
	}
	for (c = fixed; c < k; c++)
	{
		double		best_potential = INFINITY;
		size_t		best = 0;
		int			t;

		if (!(potential > 0.0))
			break;				/* every point already sits on a center */
		acc = 0.0;
		for (i = 0; i < n; i++)
		{
			acc += point_weight(pts, i) * dist[i];
			cum[i] = acc;
		}
		/* each trial is a pass over the points: ask before every one */
		for (t = 0; t < trials; t++)
		{
			size_t		cand = pick_by_cumulative(cum, n, uniform01(&rng) * acc);
			const double *cx = point_coord(pts, cand);
			double		pot = 0.0;

			if (asks_stop(check_interrupt, interrupt_arg))
				return -1;
			for (i = 0; i < n; i++)
			{
				double		dd = vgm_sq_dist(point_coord(pts, i), cx, dim);

				pot += point_weight(pts, i) * (dd < dist[i] ? dd : dist[i]);
			}
			if (pot < best_potential)
			{
				best_potential = pot;
				best = cand;
			}
		}
		set_center(pts, best, centers, c);
		potential = 0.0;
		for (i = 0; i < n; i++)
		{
			double		dd = vgm_sq_dist(point_coord(pts, i), centers + (size_t) c * dim, dim);

			if (dd < dist[i])
				dist[i] = dd;
			potential += point_weight(pts, i) * dist[i];
		}
	}
	return c;
}

/* The up to k heaviest points above twice the mean weight; see kmeans_seed.h. */
int
vgm_heavy_centers(const VgmSeedPoints *pts, int k, double *centers)
{
	size_t		top[VGM_SEED_MAX_CENTERS];
	double		total = 0.0;
	double		floor_weight;
	int			found = 0;
	size_t		i;
	int			c;

	if (k > VGM_SEED_MAX_CENTERS)
		k = VGM_SEED_MAX_CENTERS;
	for (i = 0; i < pts->n; i++)
		total += point_weight(pts, i);
	floor_weight = 2.0 * total / (double) pts->n;
	for (i = 0; i < pts->n; i++)
	{
		double		w = point_weight(pts, i);

		if (!(w > floor_weight))
			continue;
		if (found == k && !(w > point_weight(pts, top[k - 1])))
			continue;
		/* insertion into the list kept heaviest first; equal weights keep their order */
		c = found < k ? found++ : k - 1;
		while (c > 0 && w > point_weight(pts, top[c - 1]))
		{
			top[c] = top[c - 1];
			c--;
		}
		top[c] = i;
	}
	for (c = 0; c < found; c++)
		set_center(pts, top[c], centers, c);
	return found;
}

/* A cluster as the numbering sorts it. */
typedef struct ClusterRank
{
	double		weight;
	double		tie;
	int			index;
} ClusterRank;

/* Heavier first, then the smaller tie key, then the smaller index. */
static int
cluster_rank_cmp(const void *a, const void *b)
{
	const ClusterRank *ca = a;
	const ClusterRank *cb = b;
	int			order = vgm_heavier_first(ca->weight, ca->tie, cb->weight, cb->tie);

	return order != 0 ? order : ca->index - cb->index;
}

/* Slots of the clusters, heaviest first; see kmeans_seed.h. */
void
vgm_number_clusters(const VgmSeedPoints *pts, const int *label, int found,
					const double *tie_key, int *slot)
{
	ClusterRank rank[VGM_SEED_MAX_CENTERS];
	size_t		i;
	int			c;

	for (c = 0; c < found; c++)
	{
		rank[c].weight = 0.0;
		rank[c].tie = tie_key ? tie_key[c] : 0.0;
		rank[c].index = c;
	}
	for (i = 0; i < pts->n; i++)
		rank[label[i]].weight += point_weight(pts, i);
	qsort(rank, found, sizeof(ClusterRank), cluster_rank_cmp);
	for (c = 0; c < found; c++)
		slot[rank[c].index] = c;
}
