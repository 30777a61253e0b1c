/*
 * fit.h - turning weighted points into a stored vgm_model, with the SQL
 *         option handling shared by every fit entry point.
 */
#ifndef VGM_FIT_H
#define VGM_FIT_H

#include "postgres.h"
#include "fmgr.h"

#include "model.h"

/*
 * Starts of a cold fit (n_init) when the caller names none, the most it may
 * name, and the iterations each start runs on the first level before the
 * best one is kept (see fit_summary_view in fit.c and docs/accuracy.md for
 * the measurements behind them).
 */
#define VGM_DEFAULT_N_INIT 5
#define VGM_MAX_N_INIT 100
#define VGM_START_ITER 200

/*
 * Atoms (point masses fitted as zero-width components): the default share
 * a value must hold to become one.  The heavy-value table of a coarsened
 * summary keeps the values with share >= 1 / VGM_HEAVY_MAX (0.39 %), so
 * shares from there up are found in every summary.
 */
#define VGM_DEFAULT_ATOM_SHARE 0.01

/* Options as SQL passes them, after validation. */
typedef struct VgmSqlFitOptions
{
	VgmFitOptions engine;
	double		weight_threshold;
	VgmModel   *init;			/* warm start, or NULL */
	bool		atoms;			/* fit heavy values as atoms */
	double		atom_share;		/* the share of the weight an atom holds at least */
} VgmSqlFitOptions;

/*
 * Read and validate the standard option arguments 1 to 8 of vgm_fit:
 * max_components, weight_concentration_prior, weight_threshold, max_iter,
 * tol, seed, init, n_init (their table is in fit.c).
 */
extern void vgm_read_fit_options(FunctionCallInfo fcinfo, VgmSqlFitOptions *options);

/*
 * Read and validate the atom options of vgm_fit(summary, ...): atoms
 * boolean and atom_share float8, arguments 9 and 10.
 */
extern void vgm_read_atom_options(FunctionCallInfo fcinfo, VgmSqlFitOptions *options);

/*
 * Read and validate the prior options of vgm_fit(summary, ...):
 * covariance_prior, mean_precision_prior and degrees_of_freedom_prior,
 * arguments 11 to 13 (0: the default).
 */
extern void vgm_read_prior_options(FunctionCallInfo fcinfo, VgmSqlFitOptions *options);

/* Defaults of the one-step aggregate. */
extern void vgm_default_sql_fit_options(VgmSqlFitOptions *options);

/*
 * Fit the points and build the model.  training carries what the caller
 * knows about the data (rows, counts of skipped values, min, max).
 */
extern VgmModel *vgm_fit_points(const VgmPoint *pts, size_t n,
								const VgmSqlFitOptions *options,
								const VgmModelHeader *training);

#endif							/* VGM_FIT_H */
