/*
 * joint_levels.h - the joint fit of a summary in two levels: the starts
 *                  screened on a coarse copy of the cells, the winner
 *                  refined on all of them.
 *
 * A summary holds up to 16,384 cells (joint_summary_core.h); the engine's
 * cold fit screens VGM_JOINT_DEFAULT_N_INIT starts for VGM_JOINT_START_ITER
 * iterations each, which on that many cells took 9 to 11 s.  Screening
 * only needs to rank the starts, and a copy of the summary coarsened to at
 * most VGM_JOINT_SCREEN_CELLS cells (the same grid, merged; the same rows,
 * so the same global moments and priors) ranks them at a quarter of the
 * cost or less.  The coarse fit runs to convergence; its posterior is then
 * the warm start of the engine on all cells (joint_vbem.h: the first step
 * is an E-step from it), which needs far fewer iterations than a cold
 * start.  A summary of at most VGM_JOINT_SCREEN_CELLS cells is fitted
 * directly, as before, and so is a fit with a warm start of its own.
 *
 * Pure C, no PostgreSQL headers: the SQL fit (joint_fit.c) and the
 * accuracy bench call the same function.
 */
#ifndef VGM_JOINT_LEVELS_H
#define VGM_JOINT_LEVELS_H

#include "joint_summary_core.h"
#include "joint_vbem.h"

/* Cells of the copy the starts are screened on (the cap of format 1). */
#define VGM_JOINT_SCREEN_CELLS 4096

/* What the coarse level did (zeros when the summary was fitted directly). */
typedef struct VgmJointLevelsInfo
{
	size_t		screen_cells;	/* cells of the coarse copy */
	int			screen_shift;	/* its level */
	int			screen_iterations;	/* iterations of the coarse fit's winner */
} VgmJointLevelsInfo;

/*
 * Fit a validated summary with options (post allocated for
 * opt->max_components and v->d, as for vgm_joint_fit).  info describes the
 * fit on all cells (its iterations count the refinement), levels the coarse
 * level.  Returns VGM_OK or a status code of vbem.h.
 */
int			vgm_joint_fit_levels(const VgmJointSummaryView *v,
								 const VgmJointFitOptions *opt,
								 VgmJointPosterior *post, VgmJointFitInfo *info,
								 VgmJointLevelsInfo *levels);

#endif							/* VGM_JOINT_LEVELS_H */
