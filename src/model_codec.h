/*
 * model_codec.h - the vgm_model value in memory, its validation and its
 *                 JSON text form.
 *
 * Pure C: no PostgreSQL headers, so the parser can be unit-tested and fuzzed
 * on its own.  Every number is written as the shortest decimal that reads
 * back to the same double, so text I/O is lossless.  The grammar, the
 * appender and the number formatting are json_text.h's.
 */
#ifndef VGM_MODEL_CODEC_H
#define VGM_MODEL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "json_text.h"
#include "vbem.h"

/*
 * Format versions: 1 is a model without atoms (its text and binary forms are
 * those of every earlier build), 2 a model with atoms.  The version follows
 * from the atom count (vgm_model_version_for), so a model has one form.
 */
#define VGM_MODEL_FORMAT_VERSION 1
#define VGM_MODEL_FORMAT_VERSION_ATOMS 2

/*
 * Atoms: values that hold a share of the rows exactly (point masses), kept
 * beside the mixture as zero-width components.  At most VGM_MAX_ATOMS, their
 * values finite and strictly increasing, their weights in (0, 1]; the
 * mixture weights and the atom weights together sum to 1, and a model with
 * atoms keeps at least one valid mixture component (weight above the
 * threshold), so every value that is not an atom has a component.
 */
#define VGM_MAX_ATOMS 16

/* Errors of parsing and validation; the glue maps them to SQLSTATEs. */
#define VGM_MODEL_OK VGM_TEXT_OK
#define VGM_MODEL_ERR_SYNTAX VGM_TEXT_ERR_SYNTAX	/* malformed JSON, trailing garbage */
#define VGM_MODEL_ERR_FIELD VGM_TEXT_ERR_FIELD	/* unknown, duplicate or missing field */
#define VGM_MODEL_ERR_VERSION VGM_TEXT_ERR_VERSION	/* unsupported format version or dims */
#define VGM_MODEL_ERR_RANGE VGM_TEXT_ERR_RANGE	/* a value outside its domain */
#define VGM_MODEL_ERR_NOMEM VGM_TEXT_ERR_NOMEM

/* Everything a model holds apart from its per-component arrays. */
typedef struct VgmModelHeader
{
	int32_t		version;		/* VGM_MODEL_FORMAT_VERSION */
	int32_t		dims;			/* 1; room for multivariate models later */
	int32_t		k;				/* components, 1 .. VGM_MAX_COMPONENTS */
	int32_t		iterations;		/* fit diagnostics */
	int32_t		converged;		/* 0 or 1 */
	int32_t		max_iter;		/* options used by the fit */
	int32_t		n_atoms;		/* atoms, 0 .. VGM_MAX_ATOMS */
	int32_t		spare;			/* 0; keeps seed aligned without padding bytes */
	uint64_t	seed;
	double		tol;
	double		weight_threshold;	/* a component is valid when weight > this */
	VgmPriors	priors;
	double		lower_bound;
	double		fit_ms;
	/* training data */
	int64_t		rows;			/* finite rows used */
	int64_t		buckets;		/* points the engine saw */
	int64_t		nulls;
	int64_t		nans;
	int64_t		pos_infs;
	int64_t		neg_infs;
	double		total_weight;
	double		min;
	double		max;
} VgmModelHeader;

/*
 * A decoded model: header plus k components and k weights, and n_atoms atom
 * values and weights.  The arrays point into memory the caller owns
 * (vgm_model_parse allocates them with the given allocator, in one block
 * starting at comp); the atom arrays may be NULL when there are no atoms.
 */
typedef struct VgmModelView
{
	VgmModelHeader hdr;
	VgmComponent *comp;
	double	   *weights;
	double	   *atom_values;	/* n_atoms, strictly increasing */
	double	   *atom_weights;	/* n_atoms, each in (0, 1] */
} VgmModelView;

/* The format version of a model with n_atoms atoms. */
static inline int32_t
vgm_model_version_for(int32_t n_atoms)
{
	return n_atoms > 0 ? VGM_MODEL_FORMAT_VERSION_ATOMS : VGM_MODEL_FORMAT_VERSION;
}

/*
 * Set what every one-dimensional model records of its fit: the format
 * (version 1 and one dimension; a caller with atoms sets their version), the
 * component count, the fit's diagnostics and the options it ran with.  The
 * fit, a joint model's marginal and vgm_model_from_mixture build a header
 * this way; the priors and the training facts are theirs to set.
 */
static inline void
vgm_model_header_set_fit(VgmModelHeader *h, int32_t k, int32_t iterations,
						 int32_t converged, int32_t max_iter, uint64_t seed,
						 double tol, double weight_threshold)
{
	h->version = VGM_MODEL_FORMAT_VERSION;
	h->dims = 1;
	h->k = k;
	h->iterations = iterations;
	h->converged = converged;
	h->max_iter = max_iter;
	h->seed = seed;
	h->tol = tol;
	h->weight_threshold = weight_threshold;
}

/*
 * Check every invariant of a model; returns VGM_MODEL_OK or an error code,
 * with a lowercase message and a detail written to msg / detail.
 */
int			vgm_model_validate(const VgmModelView *model,
							   char *msg, size_t msglen,
							   char *detail, size_t detaillen);

/*
 * Write the JSON text of a model into buf (NUL-terminated).  Returns the
 * length it needs (excluding NUL); call again with a larger buffer when the
 * result is >= buflen.
 */
size_t		vgm_model_format(const VgmModelView *model, char *buf, size_t buflen);

/* Append the JSON text of a model to an appender of the text kit. */
void		vgm_model_write(JtOut *o, const VgmModelView *model);

/*
 * Parse JSON text (len bytes, not necessarily NUL-terminated) into model,
 * allocating the arrays with alloc, and validate it.  Returns VGM_MODEL_OK or
 * an error code with msg / detail filled in.
 */
int			vgm_model_parse(const char *text, size_t len, VgmModelView *model,
							const VgmAllocator *alloc,
							char *msg, size_t msglen,
							char *detail, size_t detaillen);

#endif							/* VGM_MODEL_CODEC_H */
