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
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wire.h"

/* The message ends inside the field that would end at byte need. */
int
vgm_binary_fail_short(const char *type, size_t len, size_t need,
		   char *msg, size_t msglen, char *detail, size_t detaillen)
{
	return jt_report(VGM_BINARY_ERR_SHORT, msg, msglen, detail, detaillen,
					 "insufficient data left in message",
					 "The %s message has %zu bytes; its fields up to here need %zu.",
					 type, len, need);
}

/* The message's format version, read and checked (the first field of every type). */
int
vgm_binary_check_version(VgmWireReader *r, const char *type, int supported,
			  char *msg, size_t msglen, char *detail, size_t detaillen)
{
	int32_t		version;
	char		text[96];

	if (vgm_wire_left(r) < 4)
		return vgm_binary_fail_short(type, r->len, 4, msg, msglen, detail, detaillen);
	version = vgm_wire_get_i32(r);
	if (version == supported)
		return VGM_BINARY_OK;
	snprintf(text, sizeof(text), "unsupported %s binary format version %d", type, (int) version);
	return jt_report(VGM_BINARY_ERR_UNSUPPORTED, msg, msglen, detail, detaillen, text,
					 "This build reads format version %d.", supported);
}

/*
 * The start of every decoder here: a reader r on the message, the caller's
 * fixed part (size bytes) zeroed, the format version of a type that has a
 * second version beside the first, and the length of the fields the type
 * reads next.  The version is extended, or else the first, checked as
 * vgm_binary_check_version does, so that a message of neither version gets
 * the message earlier builds gave; a message shorter than need bytes then
 * fails as vgm_binary_fail_short says.
 */
static int
open_message(VgmWireReader *r, const uint8_t *data, size_t len, void *fixed, size_t size,
			 const char *type, int supported, int extended, int32_t *version, size_t need,
			 char *msg, size_t msglen, char *detail, size_t detaillen)
{
	int			status = VGM_BINARY_OK;

	*r = (VgmWireReader) {data, len, 0};
	memset(fixed, 0, size);
	if (vgm_wire_left(r) >= 4 && vgm_wire_get_i32(r) == extended)
		*version = extended;
	else
	{
		r->pos = 0;
		*version = supported;
		status = vgm_binary_check_version(r, type, supported, msg, msglen, detail, detaillen);
	}
	if (status == VGM_BINARY_OK && len < need)
		status = vgm_binary_fail_short(type, len, need, msg, msglen, detail, detaillen);
	return status;
}

/* ---------------------------------------------------------------------- */
/* vgm_model                                                               */
/* ---------------------------------------------------------------------- */

#define MODEL_FIELD(member) VGM_WIRE_FIELD(VgmModelHeader, member)

/* The fixed part of a model after its first 12 bytes, in wire order (n_atoms and spare are not sent). */
static const VgmWireField model_head_fields[] = {
	MODEL_FIELD(iterations),
	MODEL_FIELD(converged),
	MODEL_FIELD(max_iter),
	MODEL_FIELD(seed),
	MODEL_FIELD(tol),
	MODEL_FIELD(weight_threshold),
	MODEL_FIELD(priors.weight_concentration),
	MODEL_FIELD(priors.mean_precision),
	MODEL_FIELD(priors.mean),
	MODEL_FIELD(priors.degrees_of_freedom),
	MODEL_FIELD(priors.covariance),
	MODEL_FIELD(priors.reg_covar),
	MODEL_FIELD(lower_bound),
	MODEL_FIELD(fit_ms),
	MODEL_FIELD(rows),
	MODEL_FIELD(buckets),
	MODEL_FIELD(nulls),
	MODEL_FIELD(nans),
	MODEL_FIELD(pos_infs),
	MODEL_FIELD(neg_infs),
	MODEL_FIELD(total_weight),
	MODEL_FIELD(min),
	MODEL_FIELD(max),
};

/* A component is its six wire words in order (conc_a .. covariance); its weight follows. */
#define COMPONENT_WORDS 6
_Static_assert(sizeof(VgmComponent) == COMPONENT_WORDS * 8 &&
			   offsetof(VgmComponent, conc_b) == 8 && offsetof(VgmComponent, mean_precision) == 16 &&
			   offsetof(VgmComponent, mean) == 24 && offsetof(VgmComponent, dof) == 32,
			   "a component is its wire words");

#define N_FIELDS(table) ((int) (sizeof(table) / sizeof((table)[0])))

static int	fail_model_count(const char *what, int32_t count,
							 char *msg, size_t msglen, char *detail, size_t detaillen,
							 const char *rule_fmt,...) __attribute__((format(printf, 7, 8)));

/* A model's count of what (components, atoms) out of range; the detail states the rule. */
static int
fail_model_count(const char *what, int32_t count,
				 char *msg, size_t msglen, char *detail, size_t detaillen,
				 const char *rule_fmt,...)
{
	char		text[96];
	va_list		ap;

	snprintf(text, sizeof(text), "invalid vgm_model: %s count %d out of range", what, (int) count);
	if (detail != NULL && detaillen > 0)
	{
		va_start(ap, rule_fmt);
		vsnprintf(detail, detaillen, rule_fmt, ap);
		va_end(ap);
	}
	return jt_report(VGM_BINARY_ERR_INVALID, msg, msglen, NULL, 0, text, "%s", "");
}

/* Read a model's fixed part into hdr; hdr->k components follow. */
int
vgm_model_decode_head(const uint8_t *data, size_t len, VgmModelHeader *hdr,
					  char *msg, size_t msglen, char *detail, size_t detaillen)
{
	VgmWireReader r;
	size_t		want;
	/* version 2 has atoms */
	int			status = open_message(&r, data, len, hdr, sizeof(*hdr), "vgm_model",
									  VGM_MODEL_FORMAT_VERSION, VGM_MODEL_FORMAT_VERSION_ATOMS,
									  &hdr->version, 12, msg, msglen, detail, detaillen);

	if (status != VGM_BINARY_OK)
		return status;
	hdr->dims = vgm_wire_get_i32(&r);
	hdr->k = vgm_wire_get_i32(&r);
	if (hdr->k < 1 || hdr->k > VGM_MAX_COMPONENTS)
		return fail_model_count("component", hdr->k, msg, msglen, detail, detaillen,
								"A model has between 1 and %d components.", VGM_MAX_COMPONENTS);
	if (vgm_wire_left(&r) < VGM_MODEL_BINARY_HEADER - 12)
		return vgm_binary_fail_short("vgm_model", len, VGM_MODEL_BINARY_HEADER,
									 msg, msglen, detail, detaillen);
	vgm_wire_get_fields(&r, model_head_fields, N_FIELDS(model_head_fields), hdr);
	if (hdr->version == VGM_MODEL_FORMAT_VERSION_ATOMS)
	{
		if (vgm_wire_left(&r) < VGM_MODEL_BINARY_ATOM_COUNT)
			return vgm_binary_fail_short("vgm_model", len,
										 VGM_MODEL_BINARY_HEADER + VGM_MODEL_BINARY_ATOM_COUNT,
										 msg, msglen, detail, detaillen);
		hdr->n_atoms = vgm_wire_get_i32(&r);
		if (hdr->n_atoms < 1 || hdr->n_atoms > VGM_MAX_ATOMS)
			return fail_model_count("atom", hdr->n_atoms, msg, msglen, detail, detaillen,
									"A model of format version %d has between 1 and %d atoms.",
									VGM_MODEL_FORMAT_VERSION_ATOMS, VGM_MAX_ATOMS);
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
		vgm_wire_get_words64(&r, &comp[j], COMPONENT_WORDS);
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
	vgm_wire_put_fields(&w, model_head_fields, N_FIELDS(model_head_fields), hdr);
	if (hdr->n_atoms > 0)
		vgm_wire_put_u32(&w, (uint32_t) hdr->n_atoms);
	for (int j = 0; j < hdr->k; j++)
	{
		vgm_wire_put_words64(&w, &model->comp[j], COMPONENT_WORDS);
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

#define COUNTS_FIELD(member) VGM_WIRE_FIELD(VgmSummaryCounts, member)

/* A summary's counts and extremes, after version, shift and n. */
static const VgmWireField summary_counts_fields[] = {
	COUNTS_FIELD(rows),
	COUNTS_FIELD(nulls),
	COUNTS_FIELD(nans),
	COUNTS_FIELD(pos_infs),
	COUNTS_FIELD(neg_infs),
	COUNTS_FIELD(min),
	COUNTS_FIELD(max),
};

/* A bucket and a heavy value are their wire words in order (key, weight, mean, m2 .. m4; value, weight, missed). */
#define BUCKET_WORDS 6
#define HEAVY_WORDS 3
_Static_assert(sizeof(VgmBucket) == VGM_SUMMARY_BINARY_BUCKET && BUCKET_WORDS * 8 == VGM_SUMMARY_BINARY_BUCKET &&
			   offsetof(VgmBucket, weight) == 8 && offsetof(VgmBucket, mean) == 16 &&
			   offsetof(VgmBucket, m2) == 24 && offsetof(VgmBucket, m3) == 32,
			   "a bucket is its wire words");
_Static_assert(sizeof(VgmHeavy) == VGM_SUMMARY_BINARY_HEAVY && HEAVY_WORDS * 8 == VGM_SUMMARY_BINARY_HEAVY &&
			   offsetof(VgmHeavy, weight) == 8,
			   "a heavy value is its wire words");

/* Read a summary's fixed part into head; head->n buckets follow. */
int
vgm_summary_decode_head(const uint8_t *data, size_t len, VgmSummaryWireHead *head,
						char *msg, size_t msglen, char *detail, size_t detaillen)
{
	VgmWireReader r;
	int32_t		n;
	int32_t		nheavy = 0;
	size_t		bucket_bytes;
	/* version 2 is version 1 plus a heavy-value table after the buckets */
	int			status = open_message(&r, data, len, head, sizeof(*head), "vgm_summary",
									  VGM_SUMMARY_FORMAT_VERSION, VGM_SUMMARY_HEAVY_VERSION,
									  &head->version, VGM_SUMMARY_BINARY_HEADER,
									  msg, msglen, detail, detaillen);

	if (status != VGM_BINARY_OK)
		return status;
	head->shift = vgm_wire_get_i32(&r);
	n = vgm_wire_get_i32(&r);
	vgm_wire_get_fields(&r, summary_counts_fields, N_FIELDS(summary_counts_fields), &head->counts);
	bucket_bytes = (size_t) (n < 0 ? 0 : n) * VGM_SUMMARY_BINARY_BUCKET;
	if (n >= 0 && n <= VGM_SUMMARY_MAX_BUCKETS && head->version == VGM_SUMMARY_HEAVY_VERSION)
	{
		if (vgm_wire_left(&r) < bucket_bytes + 4)
			return vgm_binary_fail_short("vgm_summary", len,
										 VGM_SUMMARY_BINARY_HEADER + bucket_bytes + 4,
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
	vgm_wire_get_words64(&r, buckets, head->n * BUCKET_WORDS);
	if (head->nheavy > 0)
		(void) vgm_wire_get_i32(&r);
	vgm_wire_get_words64(&r, heavy, head->nheavy * HEAVY_WORDS);
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
	vgm_wire_put_fields(&w, summary_counts_fields, N_FIELDS(summary_counts_fields), counts);
	vgm_wire_put_words64(&w, buckets, n * BUCKET_WORDS);
	if (nheavy > 0)
		vgm_wire_put_u32(&w, (uint32_t) nheavy);
	vgm_wire_put_words64(&w, heavy, nheavy * HEAVY_WORDS);
}

/* ---------------------------------------------------------------------- */
/* vgm_ks_state                                                            */
/* ---------------------------------------------------------------------- */

#define KS_FIELD(member) VGM_WIRE_FIELD(VgmKsCounts, member)

/* A KS state's identity and counts, after version and bins. */
static const VgmWireField ks_counts_fields[] = {
	KS_FIELD(model_hash),
	KS_FIELD(n),
	KS_FIELD(nulls),
	KS_FIELD(nans),
	KS_FIELD(pos_infs),
	KS_FIELD(neg_infs),
};

/* Decode a KS state into c and counts[nbins], then validate it. */
int
vgm_ks_decode(const uint8_t *data, size_t len, VgmKsCounts *c, int64_t *counts, int nbins,
			  char *msg, size_t msglen, char *detail, size_t detaillen)
{
	VgmWireReader r;
	int32_t		version;
	int32_t		bins;
	int32_t		nnz;
	int32_t		last = -1;
	/* version 2 has jumps */
	int			status = open_message(&r, data, len, c, sizeof(*c), "vgm_ks_state",
									  VGM_KS_FORMAT_VERSION, VGM_KS_FORMAT_VERSION_JUMPS,
									  &version, 8, msg, msglen, detail, detaillen);

	memset(counts, 0, sizeof(int64_t) * (size_t) nbins);
	if (status != VGM_BINARY_OK)
		return status;
	bins = vgm_wire_get_i32(&r);
	if (bins != VGM_KS_BINS || bins != nbins)
	{
		char		text[96];

		snprintf(text, sizeof(text), "unsupported vgm_ks_state bin count %d", (int) bins);
		return jt_report(VGM_BINARY_ERR_UNSUPPORTED, msg, msglen, detail, detaillen, text,
						 "This build uses %d bins.", VGM_KS_BINS);
	}
	if (vgm_wire_left(&r) < VGM_KS_BINARY_HEADER - 8)
		return vgm_binary_fail_short("vgm_ks_state", len, VGM_KS_BINARY_HEADER,
									 msg, msglen, detail, detaillen);
	vgm_wire_get_fields(&r, ks_counts_fields, N_FIELDS(ks_counts_fields), c);
	nnz = vgm_wire_get_i32(&r);
	if (version == VGM_KS_FORMAT_VERSION_JUMPS)
	{
		/* version 2: the jump count and the jumps before the bins */
		int32_t		nj;

		if (vgm_wire_left(&r) < 4)
			return vgm_binary_fail_short("vgm_ks_state", len, VGM_KS_BINARY_HEADER + 4,
										 msg, msglen, detail, detaillen);
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
	vgm_wire_put_fields(&w, ks_counts_fields, N_FIELDS(ks_counts_fields), c);
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
