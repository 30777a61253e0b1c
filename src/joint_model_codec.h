/*
 * joint_model_codec.h - the vgm_joint_model value in memory, its validation,
 *                       its JSON text form and its binary form.
 *
 * Pure C: no PostgreSQL headers and no LAPACK, so the parsers can be
 * unit-tested and fuzzed on their own.  The text form is built on
 * json_text.h's kit (field tables, shortest round-trip doubles, errors with
 * a byte offset); the binary form on wire.h.  Both are lossless and both are
 * validated as untrusted input: a value may come from another node.
 *
 * Text form (one JSON object, keys in any order on input):
 *
 *   {"version":1,"dims":d,"k":k,
 *    "weights":[k],"means":[k][d],"covariances":[k][d][d],
 *    "mean_precision":[k],"degrees_of_freedom":[k],
 *    "weight_concentration_a":[k],"weight_concentration_b":[k],
 *    "weight_threshold":t,
 *    "priors":{"weight_concentration","mean_precision","mean":[d],
 *              "degrees_of_freedom","covariance":[d][d],"reg_covar"},
 *    "fit":{"max_iter","n_init","tol","seed","iterations","converged",
 *           "lower_bound","fit_ms"},
 *    "training":{"rows","points","skipped_rows","total_weight",
 *                "min":[d],"max":[d]}}          (min and max: version 2 only)
 *
 * Version 2 (VGM_JOINT_MODEL_FORMAT_VERSION_RANGE) adds each column's
 * smallest and largest training value, which vgm_marginal gives the
 * one-dimensional model of a column (joint_marginal.c); a model with a range
 * is written as version 2, one without (fitted by an earlier version, or
 * written by hand) as version 1, so each form reads back to the same model.
 *
 * Binary form (big-endian, wire.h): version, dims, k, iterations,
 * converged, max_iter, n_init (7 x i32), seed (u64), tol, weight_threshold,
 * priors' weight_concentration, mean_precision, degrees_of_freedom,
 * reg_covar, lower_bound, fit_ms (8 x f64), rows, points, skipped_rows
 * (3 x i64), total_weight (f64)                            = 132 bytes;
 * then the priors' mean (d x f64) and covariance (d x d x f64); in version
 * 2 then each column's training minimum (d x f64) and maximum (d x f64);
 * then per component weight, conc_a, conc_b, mean_precision, dof
 * (5 x f64), mean (d x f64), covariance (d x d x f64, row-major).
 */
#ifndef VGM_JOINT_MODEL_CODEC_H
#define VGM_JOINT_MODEL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "joint_vbem.h"
#include "json_text.h"

#define VGM_JOINT_MODEL_FORMAT_VERSION 1
/* Version 2 adds each column's training minimum and maximum ("training.min", "training.max"). */
#define VGM_JOINT_MODEL_FORMAT_VERSION_RANGE 2

/* Fixed part of the binary form. */
#define VGM_JOINT_MODEL_BINARY_HEADER 132

/*
 * Covariances are symmetric when |a_ij - a_ji| <= this * sqrt(a_ii a_jj):
 * what a product computed twice in another order leaves (an import from
 * scikit-learn); the functions read the lower triangle.
 */
#define VGM_JOINT_SYMMETRY_TOL 1e-10

/* Weights sum to 1 within this, as a vgm_model's do. */
#define VGM_JOINT_WEIGHT_SUM_TOL 1e-9

/* Everything a joint model holds apart from its per-component arrays. */
typedef struct VgmJointModelHeader
{
	int32_t		version;		/* VGM_JOINT_MODEL_FORMAT_VERSION */
	int32_t		d;				/* columns, 1 .. VGM_JOINT_MAX_DIMS */
	int32_t		k;				/* components, 1 .. VGM_JOINT_MAX_COMPONENTS */
	int32_t		iterations;		/* fit diagnostics */
	int32_t		converged;		/* 0 or 1 */
	int32_t		max_iter;		/* options used by the fit */
	int32_t		n_init;
	uint64_t	seed;
	double		tol;
	double		weight_threshold;	/* a component is valid when weight > this */
	VgmJointPriors priors;
	double		lower_bound;
	double		fit_ms;
	/* training data */
	int64_t		rows;			/* rows used (no NULL element) */
	int64_t		points;			/* points the engine saw (cells of a summary) */
	int64_t		skipped_rows;	/* rows with a NULL element */
	double		total_weight;
	/* version 2 only: each column's smallest and largest value among the rows */
	double		col_min[VGM_JOINT_MAX_DIMS];
	double		col_max[VGM_JOINT_MAX_DIMS];
} VgmJointModelHeader;

/*
 * A decoded joint model: header plus the posterior, whose arrays point into
 * memory the caller owns.  The parsers allocate them with the given
 * allocator in one block that starts at post.conc_a (release it with
 * vgm_mem_free(alloc, model->post.conc_a)), laid out as
 * vgm_joint_model_arrays lays them out.
 */
typedef struct VgmJointModelView
{
	VgmJointModelHeader hdr;
	VgmJointPosterior post;
} VgmJointModelView;

/* Doubles of the posterior arrays of k components in d dimensions. */
size_t		vgm_joint_model_doubles(int d, int k);

/*
 * Point post's arrays into block (vgm_joint_model_doubles(d, k) doubles):
 * conc_a, conc_b, mean_precision, dof, weights (k each), means (k x d),
 * covariances (k x d x d).
 */
void		vgm_joint_model_arrays(VgmJointPosterior *post, int d, int k, double *block);

/*
 * Cholesky factor of the symmetric d x d matrix a (its lower triangle is
 * read): l (d x d, row-major) gets L with a = L L^T and zeros above the
 * diagonal.  Returns 0, or 1 + the row whose pivot is not positive and
 * finite (the matrix is not positive definite in double precision).
 */
int			vgm_joint_cholesky(const double *a, int d, double *l);

/*
 * Check every invariant of a joint model (dimensions, finite numbers,
 * weights summing to 1, symmetric positive definite covariances); returns
 * VGM_TEXT_OK or an error code of json_text.h with a lowercase message and
 * a detail.
 */
int			vgm_joint_model_validate(const VgmJointModelView *model,
									 char *msg, size_t msglen,
									 char *detail, size_t detaillen);

/* Append the JSON text of a joint model to an appender of the text kit. */
void		vgm_joint_model_write(JtOut *o, const VgmJointModelView *model);

/* Parse and validate JSON text (len bytes) into model, arrays from alloc. */
int			vgm_joint_model_parse(const char *text, size_t len,
								  VgmJointModelView *model,
								  const VgmAllocator *alloc,
								  char *msg, size_t msglen,
								  char *detail, size_t detaillen);

/* Bytes of the binary form of model. */
size_t		vgm_joint_model_binary_size(const VgmJointModelView *model);

/* Write the binary form into buf (vgm_joint_model_binary_size bytes). */
void		vgm_joint_model_encode(const VgmJointModelView *model, uint8_t *buf);

/*
 * Decode and validate the binary form (len bytes) into model, arrays from
 * alloc.  Returns a status of binary_codec.h (VGM_BINARY_OK, _UNSUPPORTED
 * for a format version this build does not read, _SHORT when the message
 * ends inside the fixed part, _INVALID for anything else) with a message
 * and a detail.
 */
int			vgm_joint_model_decode(const uint8_t *buf, size_t len,
								   VgmJointModelView *model,
								   const VgmAllocator *alloc,
								   char *msg, size_t msglen,
								   char *detail, size_t detaillen);

#endif							/* VGM_JOINT_MODEL_CODEC_H */
