/*
 * joint_levels.c - the two-level fit of a joint summary (joint_levels.h):
 *                  starts screened on a coarse copy, the winner refined on
 *                  every cell from a warm start.
 *
 * Kept apart from the engine (joint_vbem.c), which knows points and not
 * summaries, and from the summary core, which knows cells and not fits.
 */
#include <string.h>

#include "joint_levels.h"

/* The engine's points of a summary in one block allocated with alloc. */
static int
points_of(const VgmJointSummaryView *v, const VgmAllocator *alloc, VgmJointPoints *pts,
		  void **block)
{
	size_t		n = v->n > 0 ? v->n : 1;
	size_t		d = (size_t) v->d;
	double	   *weight;

	*block = vgm_mem_alloc(alloc, n * (1 + d + d * d) * sizeof(double));
	if (*block == NULL)
		return VGM_ERR_NOMEM;
	weight = *block;
	vgm_joint_summary_points(v, weight, weight + n, weight + n + n * d, pts);
	return VGM_OK;
}

/* Map a summary core status of the coarse copy to the engine's codes. */
static int
engine_status(int status)
{
	if (status == VGM_JOINT_OK)
		return VGM_OK;
	if (status == VGM_JOINT_ERR_NOMEM)
		return VGM_ERR_NOMEM;
	return VGM_ERR_OVERFLOW;
}

/* Fit a summary: directly when small, else coarse screening and refinement. */
int
vgm_joint_fit_levels(const VgmJointSummaryView *v, const VgmJointFitOptions *opt,
					 VgmJointPosterior *post, VgmJointFitInfo *info,
					 VgmJointLevelsInfo *levels)
{
	const VgmAllocator *alloc = opt->alloc;
	VgmJointSummaryView coarse;
	VgmJointPoints pts;
	VgmJointPosterior start;
	VgmJointFitInfo coarse_info;
	VgmJointFitOptions refine = *opt;
	void	   *cells = NULL;
	void	   *block = NULL;
	int			status;

	memset(levels, 0, sizeof(*levels));
	if (v->n <= VGM_JOINT_SCREEN_CELLS || opt->init != NULL)
	{
		status = points_of(v, alloc, &pts, &block);
		if (status == VGM_OK)
			status = vgm_joint_fit(&pts, opt, post, info);
		vgm_mem_free(alloc, block);
		return status;
	}

	/* level 1: the starts on a coarse copy, the winner to convergence */
	status = engine_status(vgm_joint_summary_coarsen_to(v, VGM_JOINT_SCREEN_CELLS, alloc,
														&coarse, &cells));
	if (status == VGM_OK)
		status = points_of(&coarse, alloc, &pts, &block);
	if (status != VGM_OK)
	{
		vgm_mem_free(alloc, cells);
		return status;
	}
	status = vgm_joint_posterior_alloc(&start, post->k, post->d, alloc);
	if (status == VGM_OK)
	{
		status = vgm_joint_fit(&pts, opt, &start, &coarse_info);
		levels->screen_cells = coarse.n;
		levels->screen_shift = coarse.shift;
		levels->screen_iterations = coarse_info.iterations;
	}
	vgm_mem_free(alloc, block);
	vgm_mem_free(alloc, cells);
	block = NULL;

	/* level 2: every cell, from the coarse posterior */
	if (status == VGM_OK)
		status = points_of(v, alloc, &pts, &block);
	if (status == VGM_OK)
	{
		refine.init = &start;
		status = vgm_joint_fit(&pts, &refine, post, info);
		info->start = coarse_info.start;
	}
	vgm_mem_free(alloc, block);
	vgm_joint_posterior_free(&start, alloc);
	return status;
}
