/*
 * joint_model_codec.h - the vgm_joint_model value in memory, its validation,
 *                       its JSON text form and its binary form.
 *
 * Pure C: no PostgreSQL headers, so the parsers can be unit-tested and
 * fuzzed on their own.  The text form is built on json_text.h's kit (field
 * tables, shortest round-trip doubles, errors with a byte offset); the
 * binary form on wire.h.  Both are lossless and both are validated as
 * untrusted input: a value may come from another node.
 */
#ifndef VGM_JOINT_MODEL_CODEC_H
#define VGM_JOINT_MODEL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "joint_vbem.h"
#include "json_text.h"

#define VGM_JOINT_MODEL_FORMAT_VERSION 1

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
} VgmJointModelHeader;

/*
 * A decoded joint model: header plus the posterior, whose arrays point into
 * memory the caller owns (the parsers allocate them with the given
 * allocator, in one block, as vgm_joint_posterior_alloc does).
 */
typedef struct VgmJointModelView
{
	VgmJointModelHeader hdr;
	VgmJointPosterior post;
} VgmJointModelView;

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

/* Decode and validate the binary form (len bytes) into model, arrays from alloc. */
int			vgm_joint_model_decode(const uint8_t *buf, size_t len,
								   VgmJointModelView *model,
								   const VgmAllocator *alloc,
								   char *msg, size_t msglen,
								   char *detail, size_t detaillen);

#endif							/* VGM_JOINT_MODEL_CODEC_H */
