/*
 * model_form.h - what the JSON text forms of vgm_model and vgm_joint_model
 *                share: the per-component arrays in the order both write
 *                them, and the messages of a model's text.
 *
 * Pure C, header only.  The two forms are one layout at two widths (a joint
 * model's means and covariances are nested d and d x d arrays where the
 * one-column model has numbers); naming the shared parts once keeps the two
 * codecs (model_codec.c, joint_model_codec.c) from drifting apart.
 */
#ifndef VGM_MODEL_FORM_H
#define VGM_MODEL_FORM_H

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
