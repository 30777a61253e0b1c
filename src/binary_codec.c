/*
 * binary_codec.c - the binary (send/recv) forms of vgm_model, vgm_summary
 *                  and vgm_ks_state; layouts and rules in binary_codec.h.
 *
 * The checks run in the order the fields arrive and each stops at the first
 * problem, so a given message always fails the same way: a message that
 * ends inside a field fails there (as pq_getmsgint would), a count out of
 * range fails before the length it implies is looked at, a length that
 * does not match the count fails before a single component, bucket or bin
 * is read, and only then do the type's validators see the values.  The
 * messages are the ones the server has always given for these cases.
 */
#include "binary_codec.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "wire.h"

/* The message ends inside the field that would end at byte need. */
static int
fail_short(const char *type, size_t len, size_t need,
		   char *msg, size_t msglen, char *detail, size_t detaillen)
{
	return jt_report(VGM_BINARY_ERR_SHORT, msg, msglen, detail, detaillen,
					 "insufficient data left in message",
					 "The %s message has %zu bytes; its fields up to here need %zu.",
					 type, len, need);
}

/* The message's format version, read and checked (the first field of every type). */
static int
check_version(VgmWireReader *r, const char *type, int supported,
			  char *msg, size_t msglen, char *detail, size_t detaillen)
{
	int32_t		version;
	char		text[96];

	if (vgm_wire_left(r) < 4)
		return fail_short(type, r->len, 4, msg, msglen, detail, detaillen);
	version = vgm_wire_get_i32(r);
	if (version == supported)
		return VGM_BINARY_OK;
	snprintf(text, sizeof(text), "unsupported %s binary format version %d", type, (int) version);
	return jt_report(VGM_BINARY_ERR_UNSUPPORTED, msg, msglen, detail, detaillen, text,
					 "This build reads format version %d.", supported);
}

/* ---------------------------------------------------------------------- */
/* vgm_model                                                               */
/* ---------------------------------------------------------------------- */

/* Read a model's fixed part into hdr; hdr->k components follow. */
int
vgm_model_decode_head(const uint8_t *data, size_t len, VgmModelHeader *hdr,
					  char *msg, size_t msglen, char *detail, size_t detaillen)
{
	VgmWireReader r = {data, len, 0};
	size_t		want;
	int			status;

	memset(hdr, 0, sizeof(*hdr));
	/* version 2 (atoms) or else version 1, whose message is the earlier builds' */
	if (vgm_wire_left(&r) >= 4 && vgm_wire_get_i32(&r) == VGM_MODEL_FORMAT_VERSION_ATOMS)
		hdr->version = VGM_MODEL_FORMAT_VERSION_ATOMS;
	else
	{
		r.pos = 0;
		status = check_version(&r, "vgm_model", VGM_MODEL_FORMAT_VERSION,
							   msg, msglen, detail, detaillen);
		if (status != VGM_BINARY_OK)
			return status;
		hdr->version = VGM_MODEL_FORMAT_VERSION;
	}
	if (vgm_wire_left(&r) < 8)
		return fail_short("vgm_model", len, 12, msg, msglen, detail, detaillen);
	hdr->dims = vgm_wire_get_i32(&r);
	hdr->k = vgm_wire_get_i32(&r);
	if (hdr->k < 1 || hdr->k > VGM_MAX_COMPONENTS)
	{
		char		text[96];

		snprintf(text, sizeof(text), "invalid vgm_model: component count %d out of range",
				 (int) hdr->k);
		return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, detail, detaillen, text,
						 "A model has between 1 and %d components.", VGM_MAX_COMPONENTS);
	}
	if (vgm_wire_left(&r) < VGM_MODEL_BINARY_HEADER - 12)
		return fail_short("vgm_model", len, VGM_MODEL_BINARY_HEADER,
						  msg, msglen, detail, detaillen);
	hdr->iterations = vgm_wire_get_i32(&r);
	hdr->converged = vgm_wire_get_i32(&r);
	hdr->max_iter = vgm_wire_get_i32(&r);
	hdr->seed = vgm_wire_get_u64(&r);
	hdr->tol = vgm_wire_get_f64(&r);
	hdr->weight_threshold = vgm_wire_get_f64(&r);
	hdr->priors.weight_concentration = vgm_wire_get_f64(&r);
	hdr->priors.mean_precision = vgm_wire_get_f64(&r);
	hdr->priors.mean = vgm_wire_get_f64(&r);
	hdr->priors.degrees_of_freedom = vgm_wire_get_f64(&r);
	hdr->priors.covariance = vgm_wire_get_f64(&r);
	hdr->priors.reg_covar = vgm_wire_get_f64(&r);
	hdr->lower_bound = vgm_wire_get_f64(&r);
	hdr->fit_ms = vgm_wire_get_f64(&r);
	hdr->rows = vgm_wire_get_i64(&r);
	hdr->buckets = vgm_wire_get_i64(&r);
	hdr->nulls = vgm_wire_get_i64(&r);
	hdr->nans = vgm_wire_get_i64(&r);
	hdr->pos_infs = vgm_wire_get_i64(&r);
	hdr->neg_infs = vgm_wire_get_i64(&r);
	hdr->total_weight = vgm_wire_get_f64(&r);
	hdr->min = vgm_wire_get_f64(&r);
	hdr->max = vgm_wire_get_f64(&r);
	if (hdr->version == VGM_MODEL_FORMAT_VERSION_ATOMS)
	{
		if (vgm_wire_left(&r) < VGM_MODEL_BINARY_ATOM_COUNT)
			return fail_short("vgm_model", len, VGM_MODEL_BINARY_HEADER + VGM_MODEL_BINARY_ATOM_COUNT,
							  msg, msglen, detail, detaillen);
		hdr->n_atoms = vgm_wire_get_i32(&r);
		if (hdr->n_atoms < 1 || hdr->n_atoms > VGM_MAX_ATOMS)
		{
			char		text[96];

			snprintf(text, sizeof(text), "invalid vgm_model: atom count %d out of range",
					 (int) hdr->n_atoms);
			return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, detail, detaillen, text,
							 "A model of format version %d has between 1 and %d atoms.",
							 VGM_MODEL_FORMAT_VERSION_ATOMS, VGM_MAX_ATOMS);
		}
	}

	/* the remaining length must match k and the atoms before anything is allocated */
	want = vgm_model_binary_size(hdr->k, hdr->n_atoms) - r.pos;
	if (vgm_wire_left(&r) != want && hdr->n_atoms > 0)
		return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, detail, detaillen,
						 "invalid vgm_model: binary length does not match component count",
						 "Expected %zu bytes of components for %d components and %d atoms, found %zu.",
						 want, (int) hdr->k, (int) hdr->n_atoms, vgm_wire_left(&r));
	if (vgm_wire_left(&r) != want)
		return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, detail, detaillen,
						 "invalid vgm_model: binary length does not match component count",
						 "Expected %zu bytes of components for %d components, found %zu.",
						 want, (int) hdr->k, vgm_wire_left(&r));
	return VGM_BINARY_OK;
}

/*
 * Read the components and weights into comp[k] and weights[k] and the atoms
 * into atom_values[n_atoms] and atom_weights[n_atoms], then validate.
 */
int
vgm_model_decode_body(const uint8_t *data, size_t len, const VgmModelHeader *hdr,
					  VgmComponent *comp, double *weights,
					  double *atom_values, double *atom_weights,
					  char *msg, size_t msglen, char *detail, size_t detaillen)
{
	VgmWireReader r = {data, len, VGM_MODEL_BINARY_HEADER};
	VgmModelView view;
	int			status;

	/* the head checked this; a caller that skipped it gets an error, not a read past the end */
	if (hdr->k < 1 || hdr->k > VGM_MAX_COMPONENTS ||
		hdr->n_atoms < 0 || hdr->n_atoms > VGM_MAX_ATOMS ||
		(hdr->n_atoms > 0) != (hdr->version == VGM_MODEL_FORMAT_VERSION_ATOMS) ||
		(hdr->n_atoms > 0 && (atom_values == NULL || atom_weights == NULL)) ||
		len != vgm_model_binary_size(hdr->k, hdr->n_atoms))
		return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, detail, detaillen,
						 "invalid vgm_model: binary length does not match component count",
						 "The header was not checked against a message of %zu bytes.", len);
	/* version 2 has the atom count between the header and the components */
	if (hdr->n_atoms > 0)
		r.pos += VGM_MODEL_BINARY_ATOM_COUNT;
	for (int j = 0; j < hdr->k; j++)
	{
		comp[j].conc_a = vgm_wire_get_f64(&r);
		comp[j].conc_b = vgm_wire_get_f64(&r);
		comp[j].mean_precision = vgm_wire_get_f64(&r);
		comp[j].mean = vgm_wire_get_f64(&r);
		comp[j].dof = vgm_wire_get_f64(&r);
		comp[j].covariance = vgm_wire_get_f64(&r);
		weights[j] = vgm_wire_get_f64(&r);
	}
	for (int i = 0; i < hdr->n_atoms; i++)
	{
		atom_values[i] = vgm_wire_get_f64(&r);
		atom_weights[i] = vgm_wire_get_f64(&r);
	}
	view.hdr = *hdr;
	view.comp = comp;
	view.weights = weights;
	view.atom_values = atom_values;
	view.atom_weights = atom_weights;
	status = vgm_model_validate(&view, msg, msglen, detail, detaillen);
	if (status == VGM_MODEL_OK)
		return VGM_BINARY_OK;
	return status == VGM_MODEL_ERR_VERSION ? VGM_BINARY_ERR_UNSUPPORTED : VGM_BINARY_ERR_INVALID;
}

/* Bytes of the binary form of a model with k components and n_atoms atoms. */
size_t
vgm_model_binary_size(int k, int n_atoms)
{
	return VGM_MODEL_BINARY_HEADER + (size_t) k * VGM_MODEL_BINARY_COMPONENT +
		(n_atoms > 0 ? VGM_MODEL_BINARY_ATOM_COUNT + (size_t) n_atoms * VGM_MODEL_BINARY_ATOM : 0);
}

/* Write the binary form of a model into out (vgm_model_binary_size bytes). */
void
vgm_model_encode(const VgmModelView *model, uint8_t *out)
{
	const VgmModelHeader *hdr = &model->hdr;
	VgmWireWriter w = {out, 0};

	vgm_wire_put_u32(&w, (uint32_t) hdr->version);
	vgm_wire_put_u32(&w, (uint32_t) hdr->dims);
	vgm_wire_put_u32(&w, (uint32_t) hdr->k);
	vgm_wire_put_u32(&w, (uint32_t) hdr->iterations);
	vgm_wire_put_u32(&w, (uint32_t) hdr->converged);
	vgm_wire_put_u32(&w, (uint32_t) hdr->max_iter);
	vgm_wire_put_u64(&w, hdr->seed);
	vgm_wire_put_f64(&w, hdr->tol);
	vgm_wire_put_f64(&w, hdr->weight_threshold);
	vgm_wire_put_f64(&w, hdr->priors.weight_concentration);
	vgm_wire_put_f64(&w, hdr->priors.mean_precision);
	vgm_wire_put_f64(&w, hdr->priors.mean);
	vgm_wire_put_f64(&w, hdr->priors.degrees_of_freedom);
	vgm_wire_put_f64(&w, hdr->priors.covariance);
	vgm_wire_put_f64(&w, hdr->priors.reg_covar);
	vgm_wire_put_f64(&w, hdr->lower_bound);
	vgm_wire_put_f64(&w, hdr->fit_ms);
	vgm_wire_put_u64(&w, (uint64_t) hdr->rows);
	vgm_wire_put_u64(&w, (uint64_t) hdr->buckets);
	vgm_wire_put_u64(&w, (uint64_t) hdr->nulls);
	vgm_wire_put_u64(&w, (uint64_t) hdr->nans);
	vgm_wire_put_u64(&w, (uint64_t) hdr->pos_infs);
	vgm_wire_put_u64(&w, (uint64_t) hdr->neg_infs);
	vgm_wire_put_f64(&w, hdr->total_weight);
	vgm_wire_put_f64(&w, hdr->min);
	vgm_wire_put_f64(&w, hdr->max);
	if (hdr->n_atoms > 0)
		vgm_wire_put_u32(&w, (uint32_t) hdr->n_atoms);
	for (int j = 0; j < hdr->k; j++)
	{
		vgm_wire_put_f64(&w, model->comp[j].conc_a);
		vgm_wire_put_f64(&w, model->comp[j].conc_b);
		vgm_wire_put_f64(&w, model->comp[j].mean_precision);
		vgm_wire_put_f64(&w, model->comp[j].mean);
		vgm_wire_put_f64(&w, model->comp[j].dof);
		vgm_wire_put_f64(&w, model->comp[j].covariance);
		vgm_wire_put_f64(&w, model->weights[j]);
	}
	for (int i = 0; i < hdr->n_atoms; i++)
	{
		vgm_wire_put_f64(&w, model->atom_values[i]);
		vgm_wire_put_f64(&w, model->atom_weights[i]);
	}
}

/* ---------------------------------------------------------------------- */
/* vgm_summary                                                             */
/* ---------------------------------------------------------------------- */

/* Read a summary's fixed part into head; head->n buckets follow. */
int
vgm_summary_decode_head(const uint8_t *data, size_t len, VgmSummaryWireHead *head,
						char *msg, size_t msglen, char *detail, size_t detaillen)
{
	VgmWireReader r = {data, len, 0};
	int32_t		n;
	int32_t		nheavy = 0;
	size_t		bucket_bytes;
	int			status;

	memset(head, 0, sizeof(*head));
	/* version 2 is version 1 plus a heavy-value table after the buckets */
	status = check_version(&r, "vgm_summary", VGM_SUMMARY_FORMAT_VERSION,
						   msg, msglen, detail, detaillen);
	if (status == VGM_BINARY_ERR_UNSUPPORTED && len >= 4 &&
		vgm_wire_get_i32(&(VgmWireReader) {data, len, 0}) == VGM_SUMMARY_HEAVY_VERSION)
		status = VGM_BINARY_OK;
	if (status != VGM_BINARY_OK)
		return status;
	head->version = vgm_wire_get_i32(&(VgmWireReader) {data, len, 0});
	if (vgm_wire_left(&r) < VGM_SUMMARY_BINARY_HEADER - 4)
		return fail_short("vgm_summary", len, VGM_SUMMARY_BINARY_HEADER,
						  msg, msglen, detail, detaillen);
	head->shift = vgm_wire_get_i32(&r);
	n = vgm_wire_get_i32(&r);
	head->counts.rows = vgm_wire_get_i64(&r);
	head->counts.nulls = vgm_wire_get_i64(&r);
	head->counts.nans = vgm_wire_get_i64(&r);
	head->counts.pos_infs = vgm_wire_get_i64(&r);
	head->counts.neg_infs = vgm_wire_get_i64(&r);
	head->counts.min = vgm_wire_get_f64(&r);
	head->counts.max = vgm_wire_get_f64(&r);
	bucket_bytes = (size_t) (n < 0 ? 0 : n) * VGM_SUMMARY_BINARY_BUCKET;
	if (n >= 0 && n <= VGM_SUMMARY_MAX_BUCKETS && head->version == VGM_SUMMARY_HEAVY_VERSION)
	{
		if (vgm_wire_left(&r) < bucket_bytes + 4)
			return fail_short("vgm_summary", len, VGM_SUMMARY_BINARY_HEADER + bucket_bytes + 4,
							  msg, msglen, detail, detaillen);
		nheavy = vgm_wire_get_i32(&(VgmWireReader) {data, len, VGM_SUMMARY_BINARY_HEADER + bucket_bytes});
		if (nheavy < 1 || nheavy > VGM_HEAVY_MAX)
			return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, detail, detaillen,
							 "invalid vgm_summary: bad heavy-value count",
							 "A version 2 message has 1 to %d heavy values; this one claims %d.",
							 VGM_HEAVY_MAX, (int) nheavy);
		bucket_bytes += 4 + (size_t) nheavy * VGM_SUMMARY_BINARY_HEAVY;
	}
	if ((n < 0 || n > VGM_SUMMARY_MAX_BUCKETS || vgm_wire_left(&r) != bucket_bytes) && nheavy > 0)
		return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, detail, detaillen,
						 "invalid vgm_summary: binary length does not match bucket count",
						 "The message claims %d buckets and %d heavy values and has %zu bytes left.",
						 (int) n, (int) nheavy, vgm_wire_left(&r));
	if (n < 0 || n > VGM_SUMMARY_MAX_BUCKETS || vgm_wire_left(&r) != bucket_bytes)
		return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, detail, detaillen,
						 "invalid vgm_summary: binary length does not match bucket count",
						 "The message claims %d buckets and has %zu bytes left.",
						 (int) n, vgm_wire_left(&r));
	head->n = (size_t) n;
	head->nheavy = (size_t) nheavy;
	return VGM_BINARY_OK;
}

/* Read the buckets into buckets[head->n], then validate the summary. */
int
vgm_summary_decode_body(const uint8_t *data, size_t len, const VgmSummaryWireHead *head,
						VgmBucket *buckets, VgmHeavy *heavy,
						char *msg, size_t msglen, char *detail, size_t detaillen)
{
	VgmWireReader r = {data, len, VGM_SUMMARY_BINARY_HEADER};
	int			status;

	/* the head checked this; a caller that skipped it gets an error, not a read past the end */
	if (head->n > VGM_SUMMARY_MAX_BUCKETS || head->nheavy > VGM_HEAVY_MAX ||
		len != vgm_summary_binary_size(head->n, head->nheavy))
		return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, detail, detaillen,
						 "invalid vgm_summary: binary length does not match bucket count",
						 "The header was not checked against a message of %zu bytes.", len);
	for (size_t i = 0; i < head->n; i++)
	{
		buckets[i].key = vgm_wire_get_i64(&r);
		buckets[i].weight = vgm_wire_get_f64(&r);
		buckets[i].mean = vgm_wire_get_f64(&r);
		buckets[i].m2 = vgm_wire_get_f64(&r);
		buckets[i].m3 = vgm_wire_get_f64(&r);
		buckets[i].m4 = vgm_wire_get_f64(&r);
	}
	if (head->nheavy > 0)
		(void) vgm_wire_get_i32(&r);
	for (size_t i = 0; i < head->nheavy; i++)
	{
		heavy[i].value = vgm_wire_get_f64(&r);
		heavy[i].weight = vgm_wire_get_f64(&r);
		heavy[i].missed = vgm_wire_get_f64(&r);
	}
	status = vgm_summary_validate(head->version, head->shift, &head->counts, buckets, head->n,
								  msg, msglen, detail, detaillen);
	if (status == VGM_SUMMARY_OK)
		status = vgm_heavy_validate(head->shift, buckets, head->n, heavy, head->nheavy,
									msg, msglen, detail, detaillen);
	if (status == VGM_SUMMARY_OK)
		return VGM_BINARY_OK;
	return status == VGM_SUMMARY_ERR_VERSION ? VGM_BINARY_ERR_UNSUPPORTED : VGM_BINARY_ERR_INVALID;
}

/* Bytes of the binary form of a summary with n buckets. */
size_t
vgm_summary_binary_size(size_t n, size_t nheavy)
{
	return VGM_SUMMARY_BINARY_HEADER + n * VGM_SUMMARY_BINARY_BUCKET
		+ (nheavy > 0 ? 4 + nheavy * VGM_SUMMARY_BINARY_HEAVY : 0);
}

/* Write the binary form of a summary into out (vgm_summary_binary_size bytes). */
void
vgm_summary_encode(int shift, const VgmSummaryCounts *counts,
				   const VgmBucket *buckets, size_t n,
				   const VgmHeavy *heavy, size_t nheavy, uint8_t *out)
{
	VgmWireWriter w = {out, 0};

	vgm_wire_put_u32(&w, nheavy > 0 ? VGM_SUMMARY_HEAVY_VERSION : VGM_SUMMARY_FORMAT_VERSION);
	vgm_wire_put_u32(&w, (uint32_t) shift);
	vgm_wire_put_u32(&w, (uint32_t) n);
	vgm_wire_put_u64(&w, (uint64_t) counts->rows);
	vgm_wire_put_u64(&w, (uint64_t) counts->nulls);
	vgm_wire_put_u64(&w, (uint64_t) counts->nans);
	vgm_wire_put_u64(&w, (uint64_t) counts->pos_infs);
	vgm_wire_put_u64(&w, (uint64_t) counts->neg_infs);
	vgm_wire_put_f64(&w, counts->min);
	vgm_wire_put_f64(&w, counts->max);
	for (size_t i = 0; i < n; i++)
	{
		vgm_wire_put_u64(&w, (uint64_t) buckets[i].key);
		vgm_wire_put_f64(&w, buckets[i].weight);
		vgm_wire_put_f64(&w, buckets[i].mean);
		vgm_wire_put_f64(&w, buckets[i].m2);
		vgm_wire_put_f64(&w, buckets[i].m3);
		vgm_wire_put_f64(&w, buckets[i].m4);
	}
	if (nheavy > 0)
		vgm_wire_put_u32(&w, (uint32_t) nheavy);
	for (size_t i = 0; i < nheavy; i++)
	{
		vgm_wire_put_f64(&w, heavy[i].value);
		vgm_wire_put_f64(&w, heavy[i].weight);
		vgm_wire_put_f64(&w, heavy[i].missed);
	}
}

/* ---------------------------------------------------------------------- */
/* vgm_ks_state                                                            */
/* ---------------------------------------------------------------------- */

/* Decode a KS state into c and counts[nbins], then validate it. */
int
vgm_ks_decode(const uint8_t *data, size_t len, VgmKsCounts *c, int64_t *counts, int nbins,
			  char *msg, size_t msglen, char *detail, size_t detaillen)
{
	VgmWireReader r = {data, len, 0};
	int32_t		bins;
	int32_t		nnz;
	int32_t		last = -1;
	int			status;

	memset(c, 0, sizeof(*c));
	memset(counts, 0, sizeof(int64_t) * (size_t) nbins);
	/* version 2 (jumps) or else version 1, whose message is the earlier builds' */
	if (vgm_wire_left(&r) >= 4 && vgm_wire_get_i32(&r) == VGM_KS_FORMAT_VERSION_JUMPS)
		c->n_jumps = -1;		/* read after the header */
	else
	{
		r.pos = 0;
		status = check_version(&r, "vgm_ks_state", VGM_KS_FORMAT_VERSION,
							   msg, msglen, detail, detaillen);
		if (status != VGM_BINARY_OK)
			return status;
	}
	if (vgm_wire_left(&r) < 4)
		return fail_short("vgm_ks_state", len, 8, msg, msglen, detail, detaillen);
	bins = vgm_wire_get_i32(&r);
	if (bins != VGM_KS_BINS || bins != nbins)
	{
		char		text[96];

		snprintf(text, sizeof(text), "unsupported vgm_ks_state bin count %d", (int) bins);
		return jt_report(VGM_BINARY_ERR_UNSUPPORTED, msg, msglen, detail, detaillen, text,
						 "This build uses %d bins.", VGM_KS_BINS);
	}
	if (vgm_wire_left(&r) < VGM_KS_BINARY_HEADER - 8)
		return fail_short("vgm_ks_state", len, VGM_KS_BINARY_HEADER,
						  msg, msglen, detail, detaillen);
	c->model_hash = vgm_wire_get_u64(&r);
	c->n = vgm_wire_get_i64(&r);
	c->nulls = vgm_wire_get_i64(&r);
	c->nans = vgm_wire_get_i64(&r);
	c->pos_infs = vgm_wire_get_i64(&r);
	c->neg_infs = vgm_wire_get_i64(&r);
	nnz = vgm_wire_get_i32(&r);
	if (c->n_jumps < 0)
	{
		/* version 2: the jump count and the jumps before the bins */
		int32_t		nj;

		if (vgm_wire_left(&r) < 4)
			return fail_short("vgm_ks_state", len, VGM_KS_BINARY_HEADER + 4, msg, msglen, detail, detaillen);
		nj = vgm_wire_get_i32(&r);
		if (nj < 1 || nj > VGM_KS_MAX_JUMPS || vgm_wire_left(&r) < (size_t) nj * 8)
			return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, detail, detaillen,
							 "invalid vgm_ks_state: bad jump count",
							 "The message claims %d jumps; a state of version %d has 1 to %d, 8 bytes each.",
							 (int) nj, VGM_KS_FORMAT_VERSION_JUMPS, VGM_KS_MAX_JUMPS);
		c->n_jumps = nj;
		for (int32_t j = 0; j < nj; j++)
		{
			c->jumps[j][0] = vgm_wire_get_i32(&r);
			c->jumps[j][1] = vgm_wire_get_i32(&r);
		}
	}
	if (nnz < 0 || nnz > VGM_KS_BINS ||
		vgm_wire_left(&r) != (size_t) nnz * VGM_KS_BINARY_ENTRY)
		return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, detail, detaillen,
						 "invalid vgm_ks_state: binary length does not match bin count",
						 "The message claims %d nonzero bins and has %zu bytes left.",
						 (int) nnz, vgm_wire_left(&r));
	for (int32_t i = 0; i < nnz; i++)
	{
		int32_t		bin = vgm_wire_get_i32(&r);
		int64_t		count = vgm_wire_get_i64(&r);

		if (bin <= last || bin >= VGM_KS_BINS || count <= 0)
			return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, detail, detaillen,
							 "invalid vgm_ks_state: bad bin entry",
							 "Entry %d names bin %d with count %" PRId64 "; bins must increase and counts be positive.",
							 (int) i, (int) bin, count);
		counts[bin] = count;
		last = bin;
	}
	status = vgm_ks_validate(c, counts, nbins, msg, msglen, detail, detaillen);
	switch (status)
	{
		case VGM_KS_OK:
			return VGM_BINARY_OK;
		case VGM_KS_ERR_VERSION:
			return VGM_BINARY_ERR_UNSUPPORTED;
		case VGM_KS_ERR_RANGE:
			/* counts that contradict n: the same class as in the text form */
			return VGM_BINARY_ERR_RANGE;
		default:
			return VGM_BINARY_ERR_INVALID;
	}
}

/* Bytes of the binary form of a KS state (12 per nonzero bin). */
size_t
vgm_ks_binary_size(const int64_t *counts, int nbins)
{
	size_t		nnz = 0;

	for (int i = 0; i < nbins; i++)
		nnz += counts[i] != 0;
	return VGM_KS_BINARY_HEADER + nnz * VGM_KS_BINARY_ENTRY;
}

/* Bytes of the jump part of a KS state's binary form (none without jumps). */
size_t
vgm_ks_binary_jumps_size(const VgmKsCounts *c)
{
	return c->n_jumps > 0 ? 4 + (size_t) c->n_jumps * 8 : 0;
}

/* Write the binary form of a KS state into out (vgm_ks_binary_size bytes). */
void
vgm_ks_encode(const VgmKsCounts *c, const int64_t *counts, int nbins, uint8_t *out)
{
	VgmWireWriter w = {out, 0};
	uint32_t	nnz = 0;

	for (int i = 0; i < nbins; i++)
		nnz += counts[i] != 0;
	vgm_wire_put_u32(&w, (uint32_t) vgm_ks_version_for(c->n_jumps));
	vgm_wire_put_u32(&w, (uint32_t) nbins);
	vgm_wire_put_u64(&w, c->model_hash);
	vgm_wire_put_u64(&w, (uint64_t) c->n);
	vgm_wire_put_u64(&w, (uint64_t) c->nulls);
	vgm_wire_put_u64(&w, (uint64_t) c->nans);
	vgm_wire_put_u64(&w, (uint64_t) c->pos_infs);
	vgm_wire_put_u64(&w, (uint64_t) c->neg_infs);
	vgm_wire_put_u32(&w, nnz);
	if (c->n_jumps > 0)
	{
		vgm_wire_put_u32(&w, (uint32_t) c->n_jumps);
		for (int j = 0; j < c->n_jumps; j++)
		{
			vgm_wire_put_u32(&w, (uint32_t) c->jumps[j][0]);
			vgm_wire_put_u32(&w, (uint32_t) c->jumps[j][1]);
		}
	}
	for (int i = 0; i < nbins; i++)
		if (counts[i] != 0)
		{
			vgm_wire_put_u32(&w, (uint32_t) i);
			vgm_wire_put_u64(&w, (uint64_t) counts[i]);
		}
}
