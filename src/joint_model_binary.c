/*
 * joint_model_binary.c - the binary (send/recv) form of vgm_joint_model;
 *                        the layout is written down in joint_model_codec.h.
 *
 * Pure C on wire.h, like binary_codec.c for the one-dimensional types, and
 * as distrustful: the checks run in the order the fields arrive and stop at
 * the first problem, so a given message always fails the same way.  A
 * message that ends inside the fixed part fails there (as pq_getmsgint
 * would); dims and k are range-checked before the length they imply is
 * looked at; the length must then match exactly before anything is
 * allocated; and only then does vgm_joint_model_validate see the values.
 * Statuses are binary_codec.h's, so the server maps them with the same
 * vgm_codec_check as every other type.
 */
#include "joint_model_codec.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "binary_codec.h"
#include "wire.h"

#define HEAD_FIELD(member) VGM_WIRE_FIELD(VgmJointModelHeader, member)

/* The fixed part after version, dims and k, in wire order. */
static const VgmWireField head_fields[] = {
	HEAD_FIELD(iterations),
	HEAD_FIELD(converged),
	HEAD_FIELD(max_iter),
	HEAD_FIELD(n_init),
	HEAD_FIELD(seed),
	HEAD_FIELD(tol),
	HEAD_FIELD(weight_threshold),
	HEAD_FIELD(priors.weight_concentration),
	HEAD_FIELD(priors.mean_precision),
	HEAD_FIELD(priors.degrees_of_freedom),
	HEAD_FIELD(priors.reg_covar),
	HEAD_FIELD(lower_bound),
	HEAD_FIELD(fit_ms),
	HEAD_FIELD(rows),
	HEAD_FIELD(points),
	HEAD_FIELD(skipped_rows),
	HEAD_FIELD(total_weight),
};

#define N_HEAD_FIELDS ((int) (sizeof(head_fields) / sizeof(head_fields[0])))

/* Bytes of the d-dependent priors and of one component. */
static size_t
priors_bytes(int d)
{
	return 8 * ((size_t) d + (size_t) d * d);
}

static size_t
component_bytes(int d)
{
	return 8 * (5 + (size_t) d + (size_t) d * d);
}

/* Bytes of the training range: each column's minimum and maximum, in version 2 only. */
static size_t
range_bytes(int version, int d)
{
	return version == VGM_JOINT_MODEL_FORMAT_VERSION_RANGE ? 8 * 2 * (size_t) d : 0;
}

/* Bytes of the binary form of model. */
size_t
vgm_joint_model_binary_size(const VgmJointModelView *model)
{
	int			d = model->hdr.d;

	return VGM_JOINT_MODEL_BINARY_HEADER + priors_bytes(d) + range_bytes(model->hdr.version, d) +
		(size_t) model->hdr.k * component_bytes(d);
}

/* Write the binary form of model into buf. */
void
vgm_joint_model_encode(const VgmJointModelView *model, uint8_t *buf)
{
	const VgmJointModelHeader *h = &model->hdr;
	const VgmJointPosterior *p = &model->post;
	VgmWireWriter w = {buf, 0};
	int			d = h->d;

	vgm_wire_put_u32(&w, (uint32_t) h->version);
	vgm_wire_put_u32(&w, (uint32_t) h->d);
	vgm_wire_put_u32(&w, (uint32_t) h->k);
	vgm_wire_put_fields(&w, head_fields, N_HEAD_FIELDS, h);
	vgm_wire_put_words64(&w, h->priors.mean, (size_t) d);
	vgm_wire_put_words64(&w, h->priors.covariance, (size_t) d * d);
	if (h->version == VGM_JOINT_MODEL_FORMAT_VERSION_RANGE)
	{
		vgm_wire_put_words64(&w, h->col_min, (size_t) d);
		vgm_wire_put_words64(&w, h->col_max, (size_t) d);
	}
	for (int j = 0; j < h->k; j++)
	{
		vgm_wire_put_f64(&w, p->weights[j]);
		vgm_wire_put_f64(&w, p->conc_a[j]);
		vgm_wire_put_f64(&w, p->conc_b[j]);
		vgm_wire_put_f64(&w, p->mean_precision[j]);
		vgm_wire_put_f64(&w, p->dof[j]);
		vgm_wire_put_words64(&w, &p->means[(size_t) j * d], (size_t) d);
		vgm_wire_put_words64(&w, &p->covariances[(size_t) j * d * d], (size_t) d * d);
	}
}

/* Decode and validate the binary form of a joint model. */
int
vgm_joint_model_decode(const uint8_t *buf, size_t len, VgmJointModelView *model,
					   const VgmAllocator *alloc,
					   char *msg, size_t msglen, char *detail, size_t detaillen)
{
	VgmWireReader r = {buf, len, 0};
	VgmJointModelHeader *h = &model->hdr;
	VgmJointPosterior *p = &model->post;
	size_t		want;
	size_t		size;
	double	   *block;
	int			d,
				k;
	int32_t		version;
	int			status;

	memset(model, 0, sizeof(*model));
	if (vgm_wire_left(&r) < 4)
		return vgm_binary_fail_short("vgm_joint_model", len, 4, msg, msglen, detail, detaillen);
	version = vgm_wire_get_i32(&r);
	if (version != VGM_JOINT_MODEL_FORMAT_VERSION && version != VGM_JOINT_MODEL_FORMAT_VERSION_RANGE)
	{
		char		text[96];

		snprintf(text, sizeof(text), "unsupported vgm_joint_model binary format version %d", (int) version);
		return jt_report(VGM_BINARY_ERR_UNSUPPORTED, msg, msglen, detail, detaillen, text,
						 "This build reads format versions %d and %d.", VGM_JOINT_MODEL_FORMAT_VERSION,
						 VGM_JOINT_MODEL_FORMAT_VERSION_RANGE);
	}
	if (vgm_wire_left(&r) < 8)
		return vgm_binary_fail_short("vgm_joint_model", len, 12, msg, msglen, detail, detaillen);
	h->version = version;
	h->d = vgm_wire_get_i32(&r);
	h->k = vgm_wire_get_i32(&r);
	if (h->d < 1 || h->d > VGM_JOINT_MAX_DIMS)
		return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, detail, detaillen,
						 "invalid vgm_joint_model: dims out of range",
						 "The message has dims = %d; a joint model has between 1 and %d.",
						 (int) h->d, VGM_JOINT_MAX_DIMS);
	if (h->k < 1 || h->k > VGM_JOINT_MAX_COMPONENTS)
		return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, detail, detaillen,
						 "invalid vgm_joint_model: component count out of range",
						 "The message has k = %d; a joint model has between 1 and %d components.",
						 (int) h->k, VGM_JOINT_MAX_COMPONENTS);
	d = h->d;
	k = h->k;
	if (vgm_wire_left(&r) < VGM_JOINT_MODEL_BINARY_HEADER - 12)
		return jt_report(VGM_BINARY_ERR_SHORT, msg, msglen, detail, detaillen,
						 "insufficient data left in message",
						 "The vgm_joint_model message has %zu bytes; its fixed part needs %d.",
						 len, VGM_JOINT_MODEL_BINARY_HEADER);
	h->priors.d = d;
	vgm_wire_get_fields(&r, head_fields, N_HEAD_FIELDS, h);

	/* the remaining length must match dims and k before anything is allocated */
	want = priors_bytes(d) + range_bytes(version, d) + (size_t) k * component_bytes(d);
	if (vgm_wire_left(&r) != want)
		return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, detail, detaillen,
						 "invalid vgm_joint_model: binary length does not match dims and k",
						 "Expected %zu bytes of priors%s and components for dims %d and k %d, found %zu.",
						 want, range_bytes(version, d) > 0 ? ", range" : "", d, k, vgm_wire_left(&r));
	vgm_wire_get_words64(&r, h->priors.mean, (size_t) d);
	vgm_wire_get_words64(&r, h->priors.covariance, (size_t) d * d);
	if (version == VGM_JOINT_MODEL_FORMAT_VERSION_RANGE)
	{
		vgm_wire_get_words64(&r, h->col_min, (size_t) d);
		vgm_wire_get_words64(&r, h->col_max, (size_t) d);
	}

	size = vgm_joint_model_doubles(d, k) * sizeof(double);
	block = vgm_mem_alloc(alloc, size);
	if (block == NULL)
		return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, detail, detaillen,
						 "out of memory", "Failed on request of size %zu.", size);
	vgm_joint_model_arrays(p, d, k, block);
	for (int j = 0; j < k; j++)
	{
		p->weights[j] = vgm_wire_get_f64(&r);
		p->conc_a[j] = vgm_wire_get_f64(&r);
		p->conc_b[j] = vgm_wire_get_f64(&r);
		p->mean_precision[j] = vgm_wire_get_f64(&r);
		p->dof[j] = vgm_wire_get_f64(&r);
		vgm_wire_get_words64(&r, &p->means[(size_t) j * d], (size_t) d);
		vgm_wire_get_words64(&r, &p->covariances[(size_t) j * d * d], (size_t) d * d);
	}
	status = vgm_joint_model_validate(model, msg, msglen, detail, detaillen);
	if (status == VGM_TEXT_OK)
		return VGM_BINARY_OK;
	vgm_mem_free(alloc, block);
	memset(p, 0, sizeof(*p));
	return status == VGM_TEXT_ERR_VERSION ? VGM_BINARY_ERR_UNSUPPORTED : VGM_BINARY_ERR_INVALID;
}
