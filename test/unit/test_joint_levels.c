/*
 * test_joint_levels.c - unit tests of the two-level fit of a joint summary
 * (src/joint_levels.c): a small summary is fitted exactly as the engine
 * fits its points; a large one is screened on a coarse copy of at most
 * VGM_JOINT_SCREEN_CELLS cells and refined on all cells from the coarse
 * winner, which is what this file rebuilds by hand and compares bit for
 * bit; the refinement reaches a lower bound on all cells at least that of
 * its start; failing allocations return VGM_ERR_NOMEM and leak nothing.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counting_alloc.h"
#include "joint_levels.h"
#include "rng.h"
#include "tap.h"

static CountingAlloc blocks = {0, 0, 0, -1, 0};
static const VgmAllocator counting = {counting_alloc, counting_release, &blocks};

/* A summary that owns its arrays. */
typedef struct Owned
{
	VgmJointSummaryView v;
	int64_t    *keys;
	double	   *stats;
} Owned;

/*
 * n rows of 4 columns, three correlated groups at different scales with a
 * log-normal column, summarized (the cap decides the level).
 */
static void
summarize_rows(size_t n, uint64_t seed, Owned *o)
{
	VgmJointAcc acc;
	double		x[4];

	rng_state = seed;
	vgm_joint_acc_init(&acc, &counting);
	vgm_joint_acc_set_dims(&acc, 4);
	for (size_t i = 0; i < n; i++)
	{
		int			g = (int) (rng_next() % 3);
		double		z = rng_normal();

		x[0] = exp(1.0 + 0.3 * g + 0.4 * z);
		x[1] = 100.0 * g + 20.0 * z + 10.0 * rng_normal();
		x[2] = 0.01 * (g - 1) + 0.002 * rng_normal();
		x[3] = -5.0 * g + z * z;
		vgm_joint_acc_add(&acc, x);
	}
	memset(o, 0, sizeof(*o));
	o->keys = malloc(((size_t) acc.n + 1) * 4 * sizeof(int64_t));
	o->stats = malloc(((size_t) acc.n + 1) * VGM_JOINT_STRIDE(4) * sizeof(double));
	vgm_joint_acc_export(&acc, o->keys, o->stats, &o->v.n);
	o->v.d = 4;
	o->v.shift = acc.shift;
	o->v.rows = acc.rows;
	o->v.keys = o->keys;
	o->v.stats = o->stats;
	vgm_joint_acc_free(&acc);
}

/* The engine's points of a view, in malloc'ed arrays. */
static void
points(const VgmJointSummaryView *v, VgmJointPoints *pts, double **block)
{
	size_t		d = (size_t) v->d;

	*block = malloc(v->n * (1 + d + d * d) * sizeof(double));
	vgm_joint_summary_points(v, *block, *block + v->n, *block + v->n + v->n * d, pts);
}

/* Are two posteriors the same to the bit? */
static bool
same_posterior(const VgmJointPosterior *a, const VgmJointPosterior *b)
{
	size_t		k = (size_t) a->k;
	size_t		d = (size_t) a->d;

	return a->k == b->k && a->d == b->d
		&& memcmp(a->conc_a, b->conc_a, k * (5 + d + d * d) * sizeof(double)) == 0;
}

/* Lower bound of a posterior on points after one E-step (the bound a fit reports). */
static double
bound_of(const VgmJointPoints *pts, const VgmJointFitOptions *opt, const VgmJointPosterior *post)
{
	VgmJointPriors priors;
	double	   *log_resp = malloc(pts->n * post->k * sizeof(double));
	double		norm;
	double		lb;

	vgm_joint_priors_from_points(pts, opt, &priors);
	vgm_joint_e_step(pts, post, log_resp, &norm, NULL);
	lb = vgm_joint_lower_bound(pts, &priors, post, log_resp);
	free(log_resp);
	return lb;
}

/* A summary of at most VGM_JOINT_SCREEN_CELLS cells: the engine's own fit. */
static void
test_small_is_direct(void)
{
	Owned		o;
	VgmJointPoints pts;
	double	   *block;
	VgmJointFitOptions opt;
	VgmJointPosterior a,
				b;
	VgmJointFitInfo ia,
				ib;
	VgmJointLevelsInfo levels;
	int			sa,
				sb;

	summarize_rows(3000, 7, &o);
	points(&o.v, &pts, &block);
	vgm_joint_fit_options_default(&opt);
	opt.max_components = 5;
	vgm_joint_posterior_alloc(&a, 5, 4, NULL);
	vgm_joint_posterior_alloc(&b, 5, 4, NULL);
	sa = vgm_joint_fit(&pts, &opt, &a, &ia);
	sb = vgm_joint_fit_levels(&o.v, &opt, &b, &ib, &levels);
	tap_ok(o.v.n <= VGM_JOINT_SCREEN_CELLS && sa == VGM_OK && sb == VGM_OK
		   && levels.screen_cells == 0 && same_posterior(&a, &b)
		   && ia.iterations == ib.iterations && ia.lower_bound == ib.lower_bound,
		   "levels: a summary of at most 4,096 cells is fitted directly, bit for bit");
	vgm_joint_posterior_free(&a, NULL);
	vgm_joint_posterior_free(&b, NULL);
	free(block);
	free(o.keys);
	free(o.stats);
}

/*
 * A large summary: the coarse copy, its cold fit and the warm refinement
 * on all cells, rebuilt by hand, give the same posterior bit for bit.
 */
static void
test_large_in_two_levels(void)
{
	Owned		o;
	VgmJointSummaryView coarse;
	void	   *coarse_block;
	VgmJointPoints full_pts,
				coarse_pts;
	double	   *full_block,
			   *coarse_pts_block;
	VgmJointFitOptions opt;
	VgmJointFitOptions warm;
	VgmJointPosterior start,
				by_hand,
				levels_post;
	VgmJointFitInfo istart,
				ihand,
				ilevels;
	VgmJointLevelsInfo levels;
	int			s1,
				s2,
				s3;
	long		live_before;
	double		lb_start;

	summarize_rows(200000, 11, &o);
	vgm_joint_fit_options_default(&opt);
	opt.max_components = 6;
	opt.n_init = 3;
	opt.alloc = &counting;

	vgm_joint_summary_coarsen_to(&o.v, VGM_JOINT_SCREEN_CELLS, NULL, &coarse, &coarse_block);
	points(&coarse, &coarse_pts, &coarse_pts_block);
	points(&o.v, &full_pts, &full_block);
	vgm_joint_posterior_alloc(&start, 6, 4, NULL);
	vgm_joint_posterior_alloc(&by_hand, 6, 4, NULL);
	vgm_joint_posterior_alloc(&levels_post, 6, 4, NULL);
	s1 = vgm_joint_fit(&coarse_pts, &opt, &start, &istart);
	warm = opt;
	warm.init = &start;
	s2 = vgm_joint_fit(&full_pts, &warm, &by_hand, &ihand);
	live_before = blocks.live;
	s3 = vgm_joint_fit_levels(&o.v, &opt, &levels_post, &ilevels, &levels);
	tap_ok(o.v.n > VGM_JOINT_SCREEN_CELLS && s1 == VGM_OK && s2 == VGM_OK && s3 == VGM_OK
		   && levels.screen_cells == coarse.n && levels.screen_shift == coarse.shift
		   && levels.screen_iterations == istart.iterations
		   && same_posterior(&by_hand, &levels_post) && ilevels.iterations == ihand.iterations
		   && ilevels.start == istart.start && blocks.live == live_before,
		   "levels: a large summary is screened on the coarse copy and refined from its winner");
	printf("# %zu cells at level %d; screened on %zu at %d (%d iterations), refined in %d%s\n",
		   o.v.n, o.v.shift, coarse.n, coarse.shift, istart.iterations, ilevels.iterations,
		   ilevels.converged ? "" : " (not converged)");
	lb_start = bound_of(&full_pts, &opt, &start);
	tap_ok(ilevels.converged && isfinite(lb_start) && ilevels.lower_bound >= lb_start - 1e-9 * fabs(lb_start),
		   "levels: the refinement converges, its bound on all cells at least its start's");
	printf("# bound per unit weight on all cells: start %.9f, refined %.9f\n",
		   lb_start / (double) o.v.rows, ilevels.lower_bound / (double) o.v.rows);

	/* out of memory at each allocation: VGM_ERR_NOMEM, nothing left behind */
	{
		bool		all = true;
		long		calls;

		blocks.calls = 0;
		s3 = vgm_joint_fit_levels(&o.v, &opt, &levels_post, &ilevels, &levels);
		calls = blocks.calls;
		for (long at = 1; at <= calls && at <= 40; at++)
		{
			blocks.calls = 0;
			blocks.fail_at = at;
			live_before = blocks.live;
			s3 = vgm_joint_fit_levels(&o.v, &opt, &levels_post, &ilevels, &levels);
			if (s3 != VGM_ERR_NOMEM || blocks.live != live_before)
				all = false;
		}
		blocks.fail_at = 0;
		tap_ok(all && calls > 4, "levels: a failed allocation anywhere returns out of memory and frees all");
	}
	vgm_joint_posterior_free(&start, NULL);
	vgm_joint_posterior_free(&by_hand, NULL);
	vgm_joint_posterior_free(&levels_post, NULL);
	free(full_block);
	free(coarse_pts_block);
	free(coarse_block);
	free(o.keys);
	free(o.stats);
}

int
main(void)
{
	test_small_is_direct();
	test_large_in_two_levels();
	tap_ok(blocks.live == 0, "memory: every block allocated through the hooks was released");
	return tap_done();
}
