/*
 * ks_shim.c - see ks_shim.h.
 */
#include "ks_shim.h"

#include <stdio.h>
#include <string.h>

typedef struct Msg
{
	const uint8_t *data;
	size_t		len;
	size_t		cursor;
	int			short_read;
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

static int
fail(int code, const char *text, char *msg, size_t msglen, char *detail, size_t detaillen)
{
	if (msg && msglen)
		snprintf(msg, msglen, "%s", text);
	if (detail && detaillen)
		detail[0] = '\0';
	return code;
}

int
shim_ks_recv(const uint8_t *data, size_t len, VgmKsCounts *c, int64_t *counts,
			 char *msg, size_t msglen, char *detail, size_t detaillen)
{
	Msg			m = {data, len, 0, 0};
	int			version,
				nbins,
				nnz,
				last = -1;

	memset(c, 0, sizeof(*c));
	memset(counts, 0, sizeof(int64_t) * VGM_KS_BINS);
	version = (int32_t) (uint32_t) get_be(&m, 4);
	if (m.short_read)
		goto short_read;
	if (version != VGM_KS_FORMAT_VERSION)
		return fail(SHIM_ERR_VERSION, "unsupported vgm_ks_state binary format version",
					msg, msglen, detail, detaillen);
	nbins = (int32_t) (uint32_t) get_be(&m, 4);
	if (m.short_read)
		goto short_read;
	if (nbins != VGM_KS_BINS)
		return fail(SHIM_ERR_BINS, "unsupported vgm_ks_state bin count",
					msg, msglen, detail, detaillen);
	c->model_hash = get_be(&m, 8);
	c->n = (int64_t) get_be(&m, 8);
	c->nulls = (int64_t) get_be(&m, 8);
	c->nans = (int64_t) get_be(&m, 8);
	c->pos_infs = (int64_t) get_be(&m, 8);
	c->neg_infs = (int64_t) get_be(&m, 8);
	nnz = (int32_t) (uint32_t) get_be(&m, 4);
	if (m.short_read)
		goto short_read;
	/* the server compares int buf->len - buf->cursor with int nnz * 12 */
	if (nnz < 0 || nnz > VGM_KS_BINS || m.len - m.cursor != (size_t) nnz * 12)
		return fail(SHIM_ERR_LENGTH, "invalid vgm_ks_state: binary length does not match bin count",
					msg, msglen, detail, detaillen);
	for (int i = 0; i < nnz; i++)
	{
		int			idx = (int32_t) (uint32_t) get_be(&m, 4);
		int64_t		count = (int64_t) get_be(&m, 8);

		if (idx <= last || idx >= VGM_KS_BINS || count <= 0)
			return fail(SHIM_ERR_ENTRY, "invalid vgm_ks_state: bad bin entry",
						msg, msglen, detail, detaillen);
		counts[idx] = count;
		last = idx;
	}
	if (m.short_read)
		goto short_read;
	if (m.cursor != m.len)
		return fail(SHIM_ERR_TRAILING, "invalid message format", msg, msglen, detail, detaillen);
	return vgm_ks_validate(c, counts, VGM_KS_BINS, msg, msglen, detail, detaillen);

short_read:
	return fail(SHIM_ERR_SHORT, "insufficient data left in message", msg, msglen, detail, detaillen);
}

static void
put_be(uint8_t *buf, size_t buflen, size_t *pos, uint64_t v, size_t nbytes)
{
	for (size_t i = 0; i < nbytes; i++, (*pos)++)
		if (buf != NULL && *pos < buflen)
			buf[*pos] = (uint8_t) (v >> (8 * (nbytes - 1 - i)));
}

size_t
shim_ks_send(const VgmKsCounts *c, const int64_t *counts, uint8_t *buf, size_t buflen)
{
	size_t		pos = 0;
	int			nnz = 0;

	for (int i = 0; i < VGM_KS_BINS; i++)
		nnz += counts[i] != 0;
	put_be(buf, buflen, &pos, VGM_KS_FORMAT_VERSION, 4);
	put_be(buf, buflen, &pos, VGM_KS_BINS, 4);
	put_be(buf, buflen, &pos, c->model_hash, 8);
	put_be(buf, buflen, &pos, (uint64_t) c->n, 8);
	put_be(buf, buflen, &pos, (uint64_t) c->nulls, 8);
	put_be(buf, buflen, &pos, (uint64_t) c->nans, 8);
	put_be(buf, buflen, &pos, (uint64_t) c->pos_infs, 8);
	put_be(buf, buflen, &pos, (uint64_t) c->neg_infs, 8);
	put_be(buf, buflen, &pos, (uint32_t) nnz, 4);
	for (int i = 0; i < VGM_KS_BINS; i++)
		if (counts[i] != 0)
		{
			put_be(buf, buflen, &pos, (uint32_t) i, 4);
			put_be(buf, buflen, &pos, (uint64_t) counts[i], 8);
		}
	return pos;
}
