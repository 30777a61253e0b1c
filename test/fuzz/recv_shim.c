/*
 * recv_shim.c - see recv_shim.h.  Mirrors vgm_model_recv / vgm_summary_recv
 * and vgm_model_send / vgm_summary_send field for field.
 */
#include "recv_shim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A message being read: StringInfo's data / len / cursor. */
typedef struct Msg
{
	const uint8_t *data;
	size_t		len;
	size_t		cursor;
	int			short_read;		/* a read ran past the end (server: ERROR) */
} Msg;

static uint64_t
get_be(Msg *m, size_t nbytes)
{
	uint64_t	v = 0;

	if (m->short_read || m->len - m->cursor < nbytes)
	{
		m->short_read = 1;
		return 0;
	}
	for (size_t i = 0; i < nbytes; i++)
		v = (v << 8) | m->data[m->cursor + i];
	m->cursor += nbytes;
	return v;
}

/* pq_getmsgint(buf, 4): an unsigned 32-bit value stored into an int. */
static int32_t
get_int32(Msg *m)
{
	return (int32_t) (uint32_t) get_be(m, 4);
}

/* pq_getmsgint64 */
static int64_t
get_int64(Msg *m)
{
	return (int64_t) get_be(m, 8);
}

/* pq_getmsgfloat8: the int64 bits reinterpreted */
static double
get_float8(Msg *m)
{
	uint64_t	bits = get_be(m, 8);
	double		v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

static void
set_text(char *buf, size_t buflen, const char *text)
{
	if (buf != NULL && buflen > 0)
		snprintf(buf, buflen, "%s", text);
}

static int
shim_error(int code, const char *text, char *msg, size_t msglen,
		   char *detail, size_t detaillen)
{
	set_text(msg, msglen, text);
	set_text(detail, detaillen, "");
	return code;
}

int
shim_model_recv(const uint8_t *data, size_t len, VgmModelView *view,
				VgmComponent *comp, double *weights,
				char *msg, size_t msglen, char *detail, size_t detaillen)
{
	Msg			m = {data, len, 0, 0};
	VgmModelHeader hdr;

	memset(view, 0, sizeof(*view));
	memset(&hdr, 0, sizeof(hdr));
	hdr.version = get_int32(&m);
	if (m.short_read)
		goto short_read;
	if (hdr.version != VGM_MODEL_FORMAT_VERSION)
		return shim_error(SHIM_ERR_VERSION, "unsupported vgm_model binary format version",
						  msg, msglen, detail, detaillen);
	hdr.dims = get_int32(&m);
	hdr.k = get_int32(&m);
	if (m.short_read)
		goto short_read;
	if (hdr.k < 1 || hdr.k > VGM_MAX_COMPONENTS)
		return shim_error(SHIM_ERR_COUNT, "invalid vgm_model: component count out of range",
						  msg, msglen, detail, detaillen);
	hdr.iterations = get_int32(&m);
	hdr.converged = get_int32(&m);
	hdr.max_iter = get_int32(&m);
	hdr.seed = (uint64_t) get_int64(&m);
	hdr.tol = get_float8(&m);
	hdr.weight_threshold = get_float8(&m);
	hdr.priors.weight_concentration = get_float8(&m);
	hdr.priors.mean_precision = get_float8(&m);
	hdr.priors.mean = get_float8(&m);
	hdr.priors.degrees_of_freedom = get_float8(&m);
	hdr.priors.covariance = get_float8(&m);
	hdr.priors.reg_covar = get_float8(&m);
	hdr.lower_bound = get_float8(&m);
	hdr.fit_ms = get_float8(&m);
	hdr.rows = get_int64(&m);
	hdr.buckets = get_int64(&m);
	hdr.nulls = get_int64(&m);
	hdr.nans = get_int64(&m);
	hdr.pos_infs = get_int64(&m);
	hdr.neg_infs = get_int64(&m);
	hdr.total_weight = get_float8(&m);
	hdr.min = get_float8(&m);
	hdr.max = get_float8(&m);
	if (m.short_read)
		goto short_read;

	/* the remaining length must match k before anything is allocated */
	if (m.len - m.cursor != (size_t) hdr.k * 7 * sizeof(double))
		return shim_error(SHIM_ERR_LENGTH,
						  "invalid vgm_model: binary length does not match component count",
						  msg, msglen, detail, detaillen);
	for (int j = 0; j < hdr.k; j++)
	{
		comp[j].conc_a = get_float8(&m);
		comp[j].conc_b = get_float8(&m);
		comp[j].mean_precision = get_float8(&m);
		comp[j].mean = get_float8(&m);
		comp[j].dof = get_float8(&m);
		comp[j].covariance = get_float8(&m);
		weights[j] = get_float8(&m);
	}
	if (m.short_read)
		goto short_read;
	if (m.cursor != m.len)		/* pq_getmsgend */
		return shim_error(SHIM_ERR_TRAILING, "invalid message format",
						  msg, msglen, detail, detaillen);

	view->hdr = hdr;
	view->comp = comp;
	view->weights = weights;
	return vgm_model_validate(view, msg, msglen, detail, detaillen);

short_read:
	return shim_error(SHIM_ERR_SHORT, "insufficient data left in message",
					  msg, msglen, detail, detaillen);
}

/* A message being written (pq_sendint* / pq_sendfloat8). */
typedef struct Out
{
	uint8_t    *buf;
	size_t		cap;
	size_t		len;
} Out;

static void
put_be(Out *o, uint64_t v, size_t nbytes)
{
	for (size_t i = 0; i < nbytes; i++)
	{
		if (o->buf != NULL && o->len < o->cap)
			o->buf[o->len] = (uint8_t) (v >> (8 * (nbytes - 1 - i)));
		o->len++;
	}
}

static void
put_int32(Out *o, int32_t v)
{
	put_be(o, (uint32_t) v, 4);
}

static void
put_int64(Out *o, int64_t v)
{
	put_be(o, (uint64_t) v, 8);
}

static void
put_float8(Out *o, double v)
{
	uint64_t	bits;

	memcpy(&bits, &v, sizeof(bits));
	put_be(o, bits, 8);
}

size_t
shim_model_send(const VgmModelView *view, uint8_t *buf, size_t buflen)
{
	Out			o = {buf, buflen, 0};
	const VgmModelHeader *hdr = &view->hdr;

	put_int32(&o, hdr->version);
	put_int32(&o, hdr->dims);
	put_int32(&o, hdr->k);
	put_int32(&o, hdr->iterations);
	put_int32(&o, hdr->converged);
	put_int32(&o, hdr->max_iter);
	put_int64(&o, (int64_t) hdr->seed);
	put_float8(&o, hdr->tol);
	put_float8(&o, hdr->weight_threshold);
	put_float8(&o, hdr->priors.weight_concentration);
	put_float8(&o, hdr->priors.mean_precision);
	put_float8(&o, hdr->priors.mean);
	put_float8(&o, hdr->priors.degrees_of_freedom);
	put_float8(&o, hdr->priors.covariance);
	put_float8(&o, hdr->priors.reg_covar);
	put_float8(&o, hdr->lower_bound);
	put_float8(&o, hdr->fit_ms);
	put_int64(&o, hdr->rows);
	put_int64(&o, hdr->buckets);
	put_int64(&o, hdr->nulls);
	put_int64(&o, hdr->nans);
	put_int64(&o, hdr->pos_infs);
	put_int64(&o, hdr->neg_infs);
	put_float8(&o, hdr->total_weight);
	put_float8(&o, hdr->min);
	put_float8(&o, hdr->max);
	for (int j = 0; j < hdr->k; j++)
	{
		put_float8(&o, view->comp[j].conc_a);
		put_float8(&o, view->comp[j].conc_b);
		put_float8(&o, view->comp[j].mean_precision);
		put_float8(&o, view->comp[j].mean);
		put_float8(&o, view->comp[j].dof);
		put_float8(&o, view->comp[j].covariance);
		put_float8(&o, view->weights[j]);
	}
	return o.len;
}

int
shim_summary_recv(const uint8_t *data, size_t len, int *version, int *shift,
				  VgmSummaryCounts *counts, VgmBucket **buckets, size_t *n_out,
				  char *msg, size_t msglen, char *detail, size_t detaillen)
{
	Msg			m = {data, len, 0, 0};
	int			n;
	VgmBucket  *b;

	*buckets = NULL;
	*n_out = 0;
	memset(counts, 0, sizeof(*counts));
	*version = get_int32(&m);
	if (m.short_read)
		goto short_read;
	if (*version != VGM_SUMMARY_FORMAT_VERSION)
		return shim_error(SHIM_ERR_VERSION, "unsupported vgm_summary binary format version",
						  msg, msglen, detail, detaillen);
	*shift = get_int32(&m);
	n = get_int32(&m);
	counts->rows = get_int64(&m);
	counts->nulls = get_int64(&m);
	counts->nans = get_int64(&m);
	counts->pos_infs = get_int64(&m);
	counts->neg_infs = get_int64(&m);
	counts->min = get_float8(&m);
	counts->max = get_float8(&m);
	if (m.short_read)
		goto short_read;
	if (n < 0 || n > VGM_SUMMARY_MAX_BUCKETS
		|| m.len - m.cursor != (size_t) n * 6 * sizeof(double))
		return shim_error(SHIM_ERR_LENGTH,
						  "invalid vgm_summary: binary length does not match bucket count",
						  msg, msglen, detail, detaillen);
	/* exact size, so that ASan sees any read past the last bucket */
	b = n > 0 ? malloc((size_t) n * sizeof(VgmBucket)) : NULL;
	if (n > 0 && b == NULL)
		abort();
	for (int i = 0; i < n; i++)
	{
		b[i].key = get_int64(&m);
		b[i].weight = get_float8(&m);
		b[i].mean = get_float8(&m);
		b[i].m2 = get_float8(&m);
		b[i].m3 = get_float8(&m);
		b[i].m4 = get_float8(&m);
	}
	*buckets = b;
	*n_out = (size_t) n;
	if (m.short_read)
		goto short_read;
	if (m.cursor != m.len)		/* pq_getmsgend */
		return shim_error(SHIM_ERR_TRAILING, "invalid message format",
						  msg, msglen, detail, detaillen);
	return vgm_summary_validate(*version, *shift, counts, b, (size_t) n,
								msg, msglen, detail, detaillen);

short_read:
	return shim_error(SHIM_ERR_SHORT, "insufficient data left in message",
					  msg, msglen, detail, detaillen);
}

size_t
shim_summary_send(int shift, const VgmSummaryCounts *counts,
				  const VgmBucket *buckets, size_t n, uint8_t *buf, size_t buflen)
{
	Out			o = {buf, buflen, 0};

	put_int32(&o, VGM_SUMMARY_FORMAT_VERSION);
	put_int32(&o, shift);
	put_int32(&o, (int32_t) n);
	put_int64(&o, counts->rows);
	put_int64(&o, counts->nulls);
	put_int64(&o, counts->nans);
	put_int64(&o, counts->pos_infs);
	put_int64(&o, counts->neg_infs);
	put_float8(&o, counts->min);
	put_float8(&o, counts->max);
	for (size_t i = 0; i < n; i++)
	{
		put_int64(&o, buckets[i].key);
		put_float8(&o, buckets[i].weight);
		put_float8(&o, buckets[i].mean);
		put_float8(&o, buckets[i].m2);
		put_float8(&o, buckets[i].m3);
		put_float8(&o, buckets[i].m4);
	}
	return o.len;
}
