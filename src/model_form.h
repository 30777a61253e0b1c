/*
 * model_form.h - what the JSON text forms of vgm_model and vgm_joint_model
 *                share: the per-component arrays in the order both write
 *                them, the fields of the fit, and the messages of a
 *                model's text.
 *
 * Pure C, header only.  The two forms are one layout at two widths (a joint
 * model's means and covariances are nested d and d x d arrays where the
 * one-column model has numbers); naming the shared parts once keeps the two
 * codecs (model_codec.c, joint_model_codec.c) from drifting apart.
 */
#ifndef VGM_MODEL_FORM_H
#define VGM_MODEL_FORM_H

#include <stddef.h>

#include "json_record.h"
#include "json_text.h"

/* The per-component arrays of a model text, in the order of the text form. */
enum
{
	VGM_ARR_WEIGHTS,
	VGM_ARR_MEANS,
	VGM_ARR_COVARIANCES,
	VGM_ARR_MEAN_PRECISION,
	VGM_ARR_DOF,
	VGM_ARR_CONC_A,
	VGM_ARR_CONC_B,
	VGM_N_COMPONENT_ARRAYS
};

/*
 * The rows of the "fit" object after max_iter (and a joint model's n_init):
 * the options and diagnostics both headers keep under the same member names,
 * as JtFields at their offsets in the header type header.  One list for both
 * forms keeps their "fit" objects alike, key for key.
 */
#define VGM_MODEL_FORM_FIT_FIELDS(header) \
	{"tol", "fit.tol", jt_record_double, offsetof(header, tol), false}, \
	{"seed", "fit.seed", jt_record_u64, offsetof(header, seed), false}, \
	{"iterations", "fit.iterations", jt_record_i32, offsetof(header, iterations), false}, \
	{"converged", "fit.converged", jt_record_bool, offsetof(header, converged), false}, \
	{"lower_bound", "fit.lower_bound", jt_record_double, offsetof(header, lower_bound), false}, \
	{"fit_ms", "fit.fit_ms", jt_record_double, offsetof(header, fit_ms), false}

/* The JtMessages of a model's text form, every message starting with prefix. */
#define VGM_MODEL_FORM_MESSAGES(msg_prefix, format_version) \
	{ \
		.prefix = msg_prefix, \
		.syntax = msg_prefix "malformed JSON", \
		.trailing = msg_prefix "trailing garbage after the JSON object", \
		.noun = "the model", \
		.unknown = msg_prefix "unknown field \"%s\"", \
		.duplicate = msg_prefix "duplicate field \"%s\"", \
		.missing = msg_prefix "missing field \"%s\"", \
		.version = format_version, \
	}

#endif							/* VGM_MODEL_FORM_H */
