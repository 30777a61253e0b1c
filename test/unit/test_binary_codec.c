/*
 * test_binary_codec.c - unit tests of src/binary_codec.c, the binary
 * (send/recv) forms of vgm_model, vgm_summary and vgm_ks_state.
 *
 * What is checked:
 *   - the bytes: a model and a summary encode to exactly the bytes the
 *     server's vgm_model_send / vgm_summary_send wrote before the codecs
 *     moved into the core (hex from a server built at e2025f2), and a KS
 *     state field by field at the offsets the layout comment gives;
 *   - round trips: decode(encode(v)) gives v back bit for bit, for a fitted
 *     looking model, summaries of random data and random KS histograms;
 *   - every rejection path of each decoder: its status and its message;
 *   - truncation at every byte and one byte too many: always an error, a
 *     short read inside the fixed part and a length mismatch after it.
 * Every message is decoded from an exact-size heap copy, so the sanitize
 * suite (test/unit/sanitize.sh) sees any read past its end.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "binary_codec.h"
#include "rng.h"
#include "tap.h"

#define MSG_LEN 256

/* The valid k = 2 model the pgTAP bad-input suite damages. */
static const char *const base_model_text =
"{\"version\":1,\"dims\":1,\"k\":2,\"weights\":[0.75,0.25],\"means\":[-1,3],"
"\"covariances\":[0.5,2],\"mean_precision\":[76,26],\"degrees_of_freedom\":[76,26],"
"\"weight_concentration_a\":[76,26],\"weight_concentration_b\":[26.001,0.001],"
"\"weight_threshold\":0.005,\"priors\":{\"weight_concentration\":0.001,\"mean_precision\":1,"
"\"mean\":0,\"degrees_of_freedom\":1,\"covariance\":1,\"reg_covar\":1e-06},"
"\"fit\":{\"max_iter\":1000,\"tol\":1e-08,\"seed\":42,\"iterations\":7,\"converged\":true,"
"\"lower_bound\":-150.5,\"fit_ms\":1.5},\"training\":{\"rows\":100,\"total_weight\":100,"
"\"min\":-3,\"max\":7,\"buckets\":100,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0}}";

/* The valid 5-row summary of the same suite. */
static const char *const base_summary_text =
"{\"version\":1,\"shift\":32,\"rows\":5,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0,"
"\"min\":1,\"max\":5,\"buckets\":[[1072693249,1,1,0,0,0],[1073741825,1,2,0,0,0],"
"[1074266113,1,3,0,0,0],[1074790401,1,4,0,0,0],[1075052545,1,5,0,0,0]]}";

/*
 * encode(vgm_model_send(m), 'hex') and encode(vgm_summary_send(s), 'hex') of
 * the two values above, from the server before this file existed.
 */
static const char *const base_model_hex =
"0000000100000001000000020000000700000001000003e8000000000000002a3e45798ee2308c3a3f747ae147ae147b"
"3f50624dd2f1a9fc3ff000000000000000000000000000003ff00000000000003ff00000000000003eb0c6f7a0b5ed8d"
"c062d000000000003ff80000000000000000000000000064000000000000006400000000000000000000000000000000"
"000000000000000000000000000000004059000000000000c008000000000000401c0000000000004053000000000000"
"403a004189374bc74053000000000000bff000000000000040530000000000003fe00000000000003fe8000000000000"
"403a0000000000003f50624dd2f1a9fc403a0000000000004008000000000000403a0000000000004000000000000000"
"3fd0000000000000";
static const char *const base_summary_hex =
"000000010000002000000005000000000000000500000000000000000000000000000000000000000000000000000000"
"000000003ff00000000000004014000000000000000000003ff000013ff00000000000003ff000000000000000000000"
"000000000000000000000000000000000000000000000000400000013ff0000000000000400000000000000000000000"
"000000000000000000000000000000000000000000000000400800013ff0000000000000400800000000000000000000"
"000000000000000000000000000000000000000000000000401000013ff0000000000000401000000000000000000000"
"000000000000000000000000000000000000000000000000401400013ff0000000000000401400000000000000000000"
"0000000000000000000000000000000000000000";

/* ------------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------------ */

/* Bytes of a hex string, malloc'ed; *len gets their count. */
static uint8_t *
from_hex(const char *hex, size_t *len)
{
	size_t		n = strlen(hex) / 2;
	uint8_t    *b = malloc(n ? n : 1);

	for (size_t i = 0; i < n; i++)
	{
		unsigned	v;

		sscanf(hex + 2 * i, "%2x", &v);
		b[i] = (uint8_t) v;
	}
	*len = n;
	return b;
}

/* A malloc'ed copy of len bytes at exactly that size (a zero-size block for 0). */
static uint8_t *
exact_copy(const uint8_t *data, size_t len)
{
	uint8_t    *c = malloc(len);

	if (len > 0)
		memcpy(c, data, len);
	return c;
}

/* Bits of two doubles equal (NaN payloads and -0 included). */
static int
same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* Overwrite a big-endian 32-bit field at off. */
static void
put32(uint8_t *b, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[off + i] = (uint8_t) (v >> (24 - 8 * i));
}

/* Overwrite a big-endian 64-bit field at off. */
static void
put64(uint8_t *b, size_t off, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[off + i] = (uint8_t) (v >> (56 - 8 * i));
}

/* Overwrite a double field at off. */
static void
putf64(uint8_t *b, size_t off, double v)
{
	uint64_t	bits;

	memcpy(&bits, &v, sizeof(bits));
	put64(b, off, bits);
}

/* Read a big-endian 64-bit field at off. */
static uint64_t
get64(const uint8_t *b, size_t off)
{
	uint64_t	v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | b[off + i];
	return v;
}

/* Outcome of one decode: status and texts. */
typedef struct Outcome
{
	int			status;
	char		msg[MSG_LEN];
	char		detail[MSG_LEN];
} Outcome;

/* Decode a model message from an exact-size copy; the model into *m when given. */
static Outcome
decode_model(const uint8_t *data, size_t len, VgmModelView *m)
{
	Outcome		o;
	uint8_t    *copy = exact_copy(data, len);
	VgmModelHeader hdr;
	VgmComponent *comp = NULL;
	double	   *weights = NULL;

	memset(&o, 0, sizeof(o));
	o.status = vgm_model_decode_head(copy, len, &hdr, o.msg, sizeof(o.msg),
									 o.detail, sizeof(o.detail));
	if (o.status == VGM_BINARY_OK)
	{
		comp = malloc(hdr.k * sizeof(VgmComponent));
		weights = malloc((hdr.k + 2 * hdr.n_atoms) * sizeof(double));
		o.status = vgm_model_decode_body(copy, len, &hdr, comp, weights,
										 hdr.n_atoms > 0 ? weights + hdr.k : NULL,
										 hdr.n_atoms > 0 ? weights + hdr.k + hdr.n_atoms : NULL,
										 o.msg, sizeof(o.msg), o.detail, sizeof(o.detail));
	}
	if (o.status == VGM_BINARY_OK && m != NULL)
	{
		m->hdr = hdr;
		m->comp = comp;
		m->weights = weights;
		m->atom_values = hdr.n_atoms > 0 ? weights + hdr.k : NULL;
		m->atom_weights = hdr.n_atoms > 0 ? weights + hdr.k + hdr.n_atoms : NULL;
	}
	else
	{
		free(comp);
		free(weights);
	}
	free(copy);
	return o;
}

/* Decode a summary message from an exact-size copy; buckets into *b (free it) when given. */
static Outcome
decode_summary(const uint8_t *data, size_t len, VgmSummaryWireHead *head, VgmBucket **b)
{
	Outcome		o;
	uint8_t    *copy = exact_copy(data, len);
	VgmSummaryWireHead h;
	VgmBucket  *buckets = NULL;

	memset(&o, 0, sizeof(o));
	o.status = vgm_summary_decode_head(copy, len, &h, o.msg, sizeof(o.msg),
									   o.detail, sizeof(o.detail));
	if (o.status == VGM_BINARY_OK)
	{
		VgmHeavy	heavy[VGM_HEAVY_MAX];

		buckets = h.n ? malloc(h.n * sizeof(VgmBucket)) : NULL;
		o.status = vgm_summary_decode_body(copy, len, &h, buckets, heavy, o.msg, sizeof(o.msg),
										   o.detail, sizeof(o.detail));
	}
	if (o.status == VGM_BINARY_OK && b != NULL)
	{
		*head = h;
		*b = buckets;
	}
	else
		free(buckets);
	free(copy);
	return o;
}

static int64_t ks_counts[VGM_KS_BINS];

/* Decode a KS message from an exact-size copy into *c and ks_counts. */
static Outcome
decode_ks(const uint8_t *data, size_t len, VgmKsCounts *c)
{
	Outcome		o;
	uint8_t    *copy = exact_copy(data, len);

	memset(&o, 0, sizeof(o));
	o.status = vgm_ks_decode(copy, len, c, ks_counts, VGM_KS_BINS, o.msg, sizeof(o.msg),
							 o.detail, sizeof(o.detail));
	free(copy);
	return o;
}

/* The three decoders as Decoder (the value itself not wanted). */
static Outcome
decode_model_only(const uint8_t *data, size_t len)
{
	return decode_model(data, len, NULL);
}

static Outcome
decode_summary_only(const uint8_t *data, size_t len)
{
	return decode_summary(data, len, NULL, NULL);
}

static Outcome
decode_ks_only(const uint8_t *data, size_t len)
{
	VgmKsCounts c;

	return decode_ks(data, len, &c);
}

/* One rejection: the status and the message expected, the detail non-empty. */
static void
expect(Outcome o, int status, const char *msg, const char *name)
{
	int			good = o.status == status && strcmp(o.msg, msg) == 0 && o.detail[0] != '\0';

	if (!good)
		printf("# %s: status %d, msg \"%s\", detail \"%s\"\n", name, o.status, o.msg, o.detail);
	tap_ok(good, name);
}

/* A decoder of one type, for the checks every type shares. */
typedef Outcome (*Decoder) (const uint8_t *data, size_t len);

/*
 * Truncation at every byte fails (a short read inside the fixed part of
 * head bytes, a length mismatch after it), and so does one byte too many.
 */
static void
expect_truncations_fail(Decoder decode, const uint8_t *bin, size_t len, size_t head,
						const char *length_msg, const char *type)
{
	char		name[128];
	uint8_t    *longer = malloc(len + 1);
	int			all = 1;

	for (size_t t = 0; t < len; t++)
	{
		int			want = t < head ? VGM_BINARY_ERR_SHORT : VGM_BINARY_ERR_INVALID;
		Outcome		o = decode(bin, t);

		if (o.status != want)
		{
			printf("# %s truncated to %zu: status %d (%s)\n", type, t, o.status, o.msg);
			all = 0;
		}
	}
	snprintf(name, sizeof(name), "%s: every truncation fails (short read in the header, length after it)", type);
	tap_ok(all, name);
	memcpy(longer, bin, len);
	longer[len] = 0;
	snprintf(name, sizeof(name), "%s: one byte too many", type);
	expect(decode(longer, len + 1), VGM_BINARY_ERR_INVALID, length_msg, name);
	free(longer);
}

/* ------------------------------------------------------------------------
 * vgm_model
 * ------------------------------------------------------------------------ */

/* The base model, parsed from its text form. */
static VgmModelView
base_model(void)
{
	VgmModelView m;
	char		msg[MSG_LEN],
				detail[MSG_LEN];
	int			rc = vgm_model_parse(base_model_text, strlen(base_model_text), &m, NULL,
									 msg, sizeof(msg), detail, sizeof(detail));

	if (rc != VGM_MODEL_OK)
	{
		printf("Bail out! base model does not parse: %s\n", msg);
		exit(1);
	}
	return m;
}

/* Encode a model into a malloc'ed buffer. */
static uint8_t *
encode_model(const VgmModelView *m, size_t *len)
{
	uint8_t    *b;

	*len = vgm_model_binary_size(m->hdr.k, m->hdr.n_atoms);
	b = malloc(*len);
	vgm_model_encode(m, b);
	return b;
}

/* Two models equal bit for bit. */
static int
same_model(const VgmModelView *a, const VgmModelView *b)
{
	if (memcmp(&a->hdr, &b->hdr, sizeof(a->hdr)) != 0)
		return 0;
	for (int j = 0; j < a->hdr.k; j++)
		if (memcmp(&a->comp[j], &b->comp[j], sizeof(VgmComponent)) != 0 ||
			!same_bits(a->weights[j], b->weights[j]))
			return 0;
	return 1;
}

static void
test_model(void)
{
	VgmModelView m = base_model();
	VgmModelView back;
	size_t		len,
				glen;
	uint8_t    *bin = encode_model(&m, &len);
	uint8_t    *golden = from_hex(base_model_hex, &glen);
	uint8_t    *bad;
	Outcome		o;

	tap_ok(len == VGM_MODEL_BINARY_HEADER + 2 * VGM_MODEL_BINARY_COMPONENT,
		   "model: 184 + 56 k bytes");
	tap_ok(len == glen && memcmp(bin, golden, len) == 0,
		   "model: the bytes vgm_model_send wrote before the move");
	o = decode_model(bin, len, &back);
	tap_ok(o.status == VGM_BINARY_OK && same_model(&m, &back), "model: round trip bit for bit");
	if (o.status == VGM_BINARY_OK)
	{
		free(back.comp);
		free(back.weights);
	}

	/* every field survives, NaN-free but with awkward values */
	{
		VgmModelView m2 = m;
		VgmComponent comp[2];
		double		w[2];
		size_t		len2;
		uint8_t    *bin2;

		memcpy(comp, m.comp, sizeof(comp));
		memcpy(w, m.weights, sizeof(w));
		m2.comp = comp;
		m2.weights = w;
		m2.hdr.seed = UINT64_MAX;	/* the top bit crosses as int64 */
		m2.hdr.priors.mean = -0.0;
		m2.hdr.lower_bound = -1e308;
		m2.hdr.min = -3;
		comp[0].mean = -1.0000000000000002;
		bin2 = encode_model(&m2, &len2);
		o = decode_model(bin2, len2, &back);
		tap_ok(o.status == VGM_BINARY_OK && same_model(&m2, &back),
			   "model: seed 2^64-1, -0 and extreme doubles round trip");
		if (o.status == VGM_BINARY_OK)
		{
			free(back.comp);
			free(back.weights);
		}
		free(bin2);
	}

	/* rejections, in the order the fields arrive */
	expect(decode_model(bin, 0, NULL), VGM_BINARY_ERR_SHORT, "insufficient data left in message",
		   "model: empty message");
	expect(decode_model(bin, 3, NULL), VGM_BINARY_ERR_SHORT, "insufficient data left in message",
		   "model: 3 bytes");
	bad = exact_copy(bin, len);
	put32(bad, 0, 3);
	expect(decode_model(bad, len, NULL), VGM_BINARY_ERR_UNSUPPORTED,
		   "unsupported vgm_model binary format version 3", "model: version 3");
	expect(decode_model(bad, 4, NULL), VGM_BINARY_ERR_UNSUPPORTED,
		   "unsupported vgm_model binary format version 3", "model: version 3, nothing after it");
	expect(decode_model(bin, 8, NULL), VGM_BINARY_ERR_SHORT, "insufficient data left in message",
		   "model: ends before k");
	memcpy(bad, bin, len);
	put32(bad, 8, 0);
	expect(decode_model(bad, len, NULL), VGM_BINARY_ERR_INVALID,
		   "invalid vgm_model: component count 0 out of range", "model: k = 0");
	put32(bad, 8, 257);
	expect(decode_model(bad, len, NULL), VGM_BINARY_ERR_INVALID,
		   "invalid vgm_model: component count 257 out of range", "model: k = 257");
	put32(bad, 8, 0xFFFFFFFFu);
	expect(decode_model(bad, 12, NULL), VGM_BINARY_ERR_INVALID,
		   "invalid vgm_model: component count -1 out of range", "model: k = -1 before the header ends");
	expect(decode_model(bin, 100, NULL), VGM_BINARY_ERR_SHORT, "insufficient data left in message",
		   "model: ends inside the header");
	memcpy(bad, bin, len);
	put32(bad, 8, 3);
	expect(decode_model(bad, len, NULL), VGM_BINARY_ERR_INVALID,
		   "invalid vgm_model: binary length does not match component count",
		   "model: k one more than the components");
	{
		Outcome		o2 = decode_model(bad, len, NULL);

		tap_ok(strcmp(o2.detail, "Expected 168 bytes of components for 3 components, found 112.") == 0,
			   "model: the length detail names both sizes");
	}
	memcpy(bad, bin, len);
	put32(bad, 4, 2);
	expect(decode_model(bad, len, NULL), VGM_BINARY_ERR_UNSUPPORTED,
		   "invalid vgm_model: unsupported number of dimensions 2", "model: dims 2 (the validator)");
	expect(decode_model(bad, len - 1, NULL), VGM_BINARY_ERR_INVALID,
		   "invalid vgm_model: binary length does not match component count",
		   "model: a length error comes before the validator's");
	memcpy(bad, bin, len);
	putf64(bad, VGM_MODEL_BINARY_HEADER + 48, NAN);
	o = decode_model(bad, len, NULL);
	tap_ok(o.status == VGM_BINARY_ERR_INVALID && strncmp(o.msg, "invalid vgm_model", 17) == 0,
		   "model: NaN weight (the validator)");
	memcpy(bad, bin, len);
	put32(bad, 16, 7);
	o = decode_model(bad, len, NULL);
	tap_ok(o.status == VGM_BINARY_ERR_INVALID && o.msg[0] != '\0', "model: converged = 7");
	memcpy(bad, bin, len);
	put64(bad, 112, (uint64_t) -1);
	o = decode_model(bad, len, NULL);
	tap_ok(o.status == VGM_BINARY_ERR_INVALID && o.msg[0] != '\0', "model: negative row count");
	free(bad);

	/* a body call whose header does not belong to the message */
	{
		VgmModelHeader hdr = m.hdr;
		VgmComponent comp[3];
		double		w[3];

		memset(&o, 0, sizeof(o));
		hdr.k = 3;
		o.status = vgm_model_decode_body(bin, len, &hdr, comp, w, NULL, NULL, o.msg, sizeof(o.msg),
										 o.detail, sizeof(o.detail));
		expect(o, VGM_BINARY_ERR_INVALID,
			   "invalid vgm_model: binary length does not match component count",
			   "model: body refuses a header of another length");
	}

	expect_truncations_fail(decode_model_only, bin, len, VGM_MODEL_BINARY_HEADER,
							"invalid vgm_model: binary length does not match component count", "model");
	free(bin);
	free(golden);
	free(m.comp);
}

/*
 * A model with atoms (version 2): the atom count after the header, the
 * atoms after the components; a bit-exact round trip, every truncation
 * fails, and a count out of 1 .. 16 is refused before any length check.
 */
static void
test_model_atoms(void)
{
	static const char *const text =
		"{\"version\":2,\"dims\":1,\"k\":2,\"weights\":[0.6,0.2],\"means\":[-1,3],"
		"\"covariances\":[0.5,2],\"mean_precision\":[76,26],\"degrees_of_freedom\":[76,26],"
		"\"weight_concentration_a\":[76,26],\"weight_concentration_b\":[26.001,0.001],"
		"\"atoms\":[[0,0.15],[9.99,0.05]],\"weight_threshold\":0.005,"
		"\"priors\":{\"weight_concentration\":0.001,\"mean_precision\":1,\"mean\":0,"
		"\"degrees_of_freedom\":1,\"covariance\":1,\"reg_covar\":1e-06},"
		"\"fit\":{\"max_iter\":1000,\"tol\":1e-08,\"seed\":42,\"iterations\":7,\"converged\":true,"
		"\"lower_bound\":-150.5,\"fit_ms\":1.5},\"training\":{\"rows\":100,\"total_weight\":100,"
		"\"min\":-3,\"max\":7,\"buckets\":100,\"nulls\":0,\"nans\":0,\"pos_infs\":0,\"neg_infs\":0}}";
	VgmModelView m;
	VgmModelView back;
	char		msg[MSG_LEN],
				detail[MSG_LEN];
	size_t		len;
	uint8_t    *bin;
	uint8_t    *bad;
	Outcome		o;

	if (vgm_model_parse(text, strlen(text), &m, NULL, msg, sizeof(msg), detail, sizeof(detail)) != VGM_MODEL_OK)
	{
		printf("Bail out! the model with atoms does not parse: %s\n", msg);
		exit(1);
	}
	bin = encode_model(&m, &len);
	tap_ok(len == VGM_MODEL_BINARY_HEADER + 4 + 2 * VGM_MODEL_BINARY_COMPONENT + 2 * VGM_MODEL_BINARY_ATOM,
		   "model atoms: 184 + 4 + 56 k + 16 atoms bytes");
	o = decode_model(bin, len, &back);
	tap_ok(o.status == VGM_BINARY_OK && same_model(&m, &back) && back.hdr.n_atoms == 2 &&
		   same_bits(back.atom_values[1], 9.99) && same_bits(back.atom_weights[0], 0.15),
		   "model atoms: round trip is bit-exact");
	if (o.status == VGM_BINARY_OK)
	{
		free(back.comp);
		free(back.weights);
	}
	bad = exact_copy(bin, len);
	put32(bad, VGM_MODEL_BINARY_HEADER, 0);
	expect(decode_model(bad, len, NULL), VGM_BINARY_ERR_INVALID,
		   "invalid vgm_model: atom count 0 out of range", "model atoms: version 2 with 0 atoms");
	put32(bad, VGM_MODEL_BINARY_HEADER, 17);
	expect(decode_model(bad, len, NULL), VGM_BINARY_ERR_INVALID,
		   "invalid vgm_model: atom count 17 out of range", "model atoms: 17 atoms");
	put32(bad, VGM_MODEL_BINARY_HEADER, 3);
	expect(decode_model(bad, len, NULL), VGM_BINARY_ERR_INVALID,
		   "invalid vgm_model: binary length does not match component count", "model atoms: one atom more than sent");
	put32(bad, VGM_MODEL_BINARY_HEADER, 2);
	/* the second atom's value below the first's */
	putf64(bad, len - 16, -1.0);
	expect(decode_model(bad, len, NULL), VGM_BINARY_ERR_INVALID,
		   "invalid vgm_model: atom values not strictly increasing", "model atoms: the validator sees the atoms");
	free(bad);
	expect_truncations_fail(decode_model_only, bin, len, VGM_MODEL_BINARY_HEADER + 4,
							"invalid vgm_model: binary length does not match component count", "model atoms");
	free(bin);
	free(m.comp);
}

/* ------------------------------------------------------------------------
 * vgm_summary
 * ------------------------------------------------------------------------ */

/* Encode a summary into a malloc'ed buffer. */
static uint8_t *
encode_summary(int shift, const VgmSummaryCounts *c, const VgmBucket *b, size_t n, size_t *len)
{
	uint8_t    *out;

	*len = vgm_summary_binary_size(n, 0);
	out = malloc(*len);
	vgm_summary_encode(shift, c, b, n, NULL, 0, out);
	return out;
}

/* A summary of n normal values (mean, sd) at a shift, via the accumulator. */
static VgmBucket *
summary_of_normals(size_t rows, double mean, double sd, int shift, uint64_t seed,
				   VgmSummaryCounts *c, size_t *n)
{
	VgmAccumulator acc;
	VgmBucket  *b;

	rng_state = seed;
	vgm_acc_init(&acc, NULL, shift, VGM_SUMMARY_MAX_BUCKETS);
	for (size_t i = 0; i < rows; i++)
		vgm_acc_add(&acc, mean + sd * rng_normal(), 1.0);
	vgm_acc_flush(&acc);
	b = malloc((acc.nused ? acc.nused : 1) * sizeof(VgmBucket));
	*n = vgm_acc_export(&acc, b);
	*c = acc.counts;
	vgm_acc_free(&acc);
	return b;
}

static void
test_summary(void)
{
	int			shift;
	VgmSummaryCounts c;
	VgmBucket  *b;
	size_t		n,
				len,
				glen;
	char		msg[MSG_LEN],
				detail[MSG_LEN];
	uint8_t    *bin,
			   *golden,
			   *bad;
	VgmSummaryWireHead h;
	VgmBucket  *back;
	Outcome		o;
	int			all;

	if (vgm_summary_parse(base_summary_text, strlen(base_summary_text), &shift, &c, &b, &n, NULL, NULL,
						  NULL, msg, sizeof(msg), detail, sizeof(detail)) != VGM_SUMMARY_OK)
	{
		printf("Bail out! base summary does not parse: %s\n", msg);
		exit(1);
	}
	bin = encode_summary(shift, &c, b, n, &len);
	golden = from_hex(base_summary_hex, &glen);
	tap_ok(len == VGM_SUMMARY_BINARY_HEADER + 5 * VGM_SUMMARY_BINARY_BUCKET,
		   "summary: 68 + 48 n bytes");
	tap_ok(len == glen && memcmp(bin, golden, len) == 0,
		   "summary: the bytes vgm_summary_send wrote before the move");
	o = decode_summary(bin, len, &h, &back);
	tap_ok(o.status == VGM_BINARY_OK && h.version == VGM_SUMMARY_FORMAT_VERSION &&
		   h.shift == shift && h.n == n && memcmp(&h.counts, &c, sizeof(c)) == 0 &&
		   memcmp(back, b, n * sizeof(VgmBucket)) == 0, "summary: round trip bit for bit");
	if (o.status == VGM_BINARY_OK)
		free(back);

	/* summaries of random data at several resolutions, and an empty one */
	all = 1;
	for (int trial = 0; trial < 6; trial++)
	{
		VgmSummaryCounts rc;
		size_t		rn,
					rlen;
		VgmBucket  *rb = summary_of_normals(200 + 3000 * trial, trial * 1e3 - 2e3,
											trial + 0.5, trial * 9, 1000 + trial, &rc, &rn);
		uint8_t    *rbin;

		rc.nulls = trial;
		rc.pos_infs = 2 * trial;
		rbin = encode_summary(trial * 9, &rc, rb, rn, &rlen);
		o = decode_summary(rbin, rlen, &h, &back);
		if (o.status != VGM_BINARY_OK || h.n != rn || h.shift != trial * 9 ||
			memcmp(&h.counts, &rc, sizeof(rc)) != 0 ||
			(rn > 0 && memcmp(back, rb, rn * sizeof(VgmBucket)) != 0))
		{
			printf("# trial %d: status %d %s / %s\n", trial, o.status, o.msg, o.detail);
			all = 0;
		}
		if (o.status == VGM_BINARY_OK)
			free(back);
		free(rbin);
		free(rb);
	}
	tap_ok(all, "summary: six random summaries round trip bit for bit");
	{
		VgmSummaryCounts ec;
		size_t		elen;
		uint8_t    *ebin;

		memset(&ec, 0, sizeof(ec));
		ec.nulls = 3;
		ebin = encode_summary(0, &ec, NULL, 0, &elen);
		o = decode_summary(ebin, elen, &h, &back);
		tap_ok(o.status == VGM_BINARY_OK && elen == VGM_SUMMARY_BINARY_HEADER && h.n == 0 &&
			   h.counts.nulls == 3, "summary: no buckets, only NULLs");
		free(back);
		free(ebin);
	}

	/* rejections */
	expect(decode_summary(bin, 0, NULL, NULL), VGM_BINARY_ERR_SHORT,
		   "insufficient data left in message", "summary: empty message");
	bad = exact_copy(bin, len);
	put32(bad, 0, 0);
	expect(decode_summary(bad, len, NULL, NULL), VGM_BINARY_ERR_UNSUPPORTED,
		   "unsupported vgm_summary binary format version 0", "summary: version 0");
	expect(decode_summary(bin, 12, NULL, NULL), VGM_BINARY_ERR_SHORT,
		   "insufficient data left in message", "summary: header only to the bucket count");
	memcpy(bad, bin, len);
	put32(bad, 8, 0xFFFFFFFFu);
	expect(decode_summary(bad, len, NULL, NULL), VGM_BINARY_ERR_INVALID,
		   "invalid vgm_summary: binary length does not match bucket count",
		   "summary: negative bucket count");
	put32(bad, 8, 0x7FFFFFFF);
	expect(decode_summary(bad, len, NULL, NULL), VGM_BINARY_ERR_INVALID,
		   "invalid vgm_summary: binary length does not match bucket count",
		   "summary: bucket count 2^31 - 1");
	put32(bad, 8, VGM_SUMMARY_MAX_BUCKETS + 1);
	expect(decode_summary(bad, len, NULL, NULL), VGM_BINARY_ERR_INVALID,
		   "invalid vgm_summary: binary length does not match bucket count",
		   "summary: one bucket more than a summary may hold");
	expect(decode_summary(bin, len - 48, NULL, NULL), VGM_BINARY_ERR_INVALID,
		   "invalid vgm_summary: binary length does not match bucket count",
		   "summary: one bucket fewer than claimed");
	o = decode_summary(bin, len - 48, NULL, NULL);
	tap_ok(strcmp(o.detail, "The message claims 5 buckets and has 192 bytes left.") == 0,
		   "summary: the length detail names the count and the bytes");
	memcpy(bad, bin, len);
	put32(bad, 4, 64);
	o = decode_summary(bad, len, NULL, NULL);
	tap_ok(o.status == VGM_BINARY_ERR_INVALID && strncmp(o.msg, "invalid vgm_summary", 19) == 0,
		   "summary: shift 64 (the validator)");
	memcpy(bad, bin, len);
	putf64(bad, VGM_SUMMARY_BINARY_HEADER + 8, NAN);
	o = decode_summary(bad, len, NULL, NULL);
	tap_ok(o.status == VGM_BINARY_ERR_INVALID && o.msg[0] != '\0', "summary: NaN bucket weight");
	memcpy(bad, bin, len);
	memcpy(bad + VGM_SUMMARY_BINARY_HEADER, bin + VGM_SUMMARY_BINARY_HEADER + 48, 48);
	memcpy(bad + VGM_SUMMARY_BINARY_HEADER + 48, bin + VGM_SUMMARY_BINARY_HEADER, 48);
	o = decode_summary(bad, len, NULL, NULL);
	tap_ok(o.status == VGM_BINARY_ERR_INVALID && o.msg[0] != '\0', "summary: buckets swapped");
	memcpy(bad, bin, len);
	put64(bad, 12, 4);
	expect(decode_summary(bad, len, NULL, NULL), VGM_BINARY_ERR_INVALID,
		   "invalid vgm_summary: row count disagrees with buckets",
		   "summary: fewer rows than buckets (the validator)");
	free(bad);

	/* a body call whose header does not belong to the message */
	{
		VgmSummaryWireHead h2;
		VgmBucket	bb[6];

		memset(&o, 0, sizeof(o));
		vgm_summary_decode_head(bin, len, &h2, o.msg, sizeof(o.msg), o.detail, sizeof(o.detail));
		h2.n = 6;
		o.status = vgm_summary_decode_body(bin, len, &h2, bb, NULL, o.msg, sizeof(o.msg),
										   o.detail, sizeof(o.detail));
		expect(o, VGM_BINARY_ERR_INVALID,
			   "invalid vgm_summary: binary length does not match bucket count",
			   "summary: body refuses a header of another length");
	}

	expect_truncations_fail(decode_summary_only, bin, len, VGM_SUMMARY_BINARY_HEADER,
							"invalid vgm_summary: binary length does not match bucket count", "summary");
	free(bin);
	free(golden);
	free(b);
}

/* ------------------------------------------------------------------------
 * vgm_ks_state
 * ------------------------------------------------------------------------ */

static int64_t ks_src[VGM_KS_BINS];

/* Encode the KS state (c, ks_src) into a malloc'ed buffer. */
static uint8_t *
encode_ks(const VgmKsCounts *c, size_t *len)
{
	uint8_t    *out;

	*len = vgm_ks_binary_size(ks_src, VGM_KS_BINS);
	out = malloc(*len);
	vgm_ks_encode(c, ks_src, VGM_KS_BINS, out);
	return out;
}

static void
test_ks(void)
{
	VgmKsCounts c,
				back;
	size_t		len;
	uint8_t    *bin,
			   *bad;
	Outcome		o;
	int			all;

	/* three nonzero bins: the first, one inside, the last */
	memset(&c, 0, sizeof(c));
	memset(ks_src, 0, sizeof(ks_src));
	ks_src[0] = 5;
	ks_src[1234] = 7;
	ks_src[VGM_KS_BINS - 1] = 1;
	c.model_hash = 0x8000000000000001ULL;
	c.n = 13;
	c.nulls = 2;
	c.nans = 1;
	c.pos_infs = 3;
	c.neg_infs = 4;
	bin = encode_ks(&c, &len);
	tap_ok(len == VGM_KS_BINARY_HEADER + 3 * VGM_KS_BINARY_ENTRY, "ks: 60 + 12 per nonzero bin");
	tap_ok(bin[3] == VGM_KS_FORMAT_VERSION && get64(bin, 8) == c.model_hash &&
		   get64(bin, 16) == 13 && get64(bin, 24) == 2 && get64(bin, 48) == 4 &&
		   bin[5] == 1 && bin[6] == 0 && bin[7] == 0 && bin[59] == 3 &&
		   bin[63] == 0 && get64(bin, 64) == 5 &&
		   bin[74] == 0x04 && bin[75] == 0xD2 && get64(bin, 76) == 7 &&
		   bin[86] == 0xFF && bin[87] == 0xFF && get64(bin, 88) == 1,
		   "ks: fields at the offsets of the layout, big-endian");
	o = decode_ks(bin, len, &back);
	tap_ok(o.status == VGM_BINARY_OK && memcmp(&c, &back, sizeof(c)) == 0 &&
		   memcmp(ks_counts, ks_src, sizeof(ks_src)) == 0, "ks: round trip");

	/* random histograms */
	all = 1;
	rng_state = 77;
	for (int trial = 0; trial < 5; trial++)
	{
		VgmKsCounts rc;
		size_t		rlen;
		uint8_t    *rbin;

		memset(&rc, 0, sizeof(rc));
		memset(ks_src, 0, sizeof(ks_src));
		for (int i = 0; i < VGM_KS_BINS; i++)
			if (rng_unif() < 0.2 * trial)
			{
				ks_src[i] = 1 + (int64_t) (rng_next() % 1000);
				rc.n += ks_src[i];
			}
		rc.model_hash = rng_next() | 1;
		rbin = encode_ks(&rc, &rlen);
		o = decode_ks(rbin, rlen, &back);
		if (o.status != VGM_BINARY_OK || memcmp(&rc, &back, sizeof(rc)) != 0 ||
			memcmp(ks_counts, ks_src, sizeof(ks_src)) != 0)
		{
			printf("# trial %d: status %d %s / %s\n", trial, o.status, o.msg, o.detail);
			all = 0;
		}
		free(rbin);
	}
	tap_ok(all, "ks: five random histograms (empty to 80% full) round trip");

	/* the state of the first test again, damaged */
	memset(ks_src, 0, sizeof(ks_src));
	ks_src[0] = 5;
	ks_src[1234] = 7;
	ks_src[VGM_KS_BINS - 1] = 1;
	expect(decode_ks(bin, 0, &back), VGM_BINARY_ERR_SHORT, "insufficient data left in message",
		   "ks: empty message");
	bad = exact_copy(bin, len);
	put32(bad, 0, 3);
	expect(decode_ks(bad, len, &back), VGM_BINARY_ERR_UNSUPPORTED,
		   "unsupported vgm_ks_state binary format version 3", "ks: version 3");
	expect(decode_ks(bin, 6, &back), VGM_BINARY_ERR_SHORT, "insufficient data left in message",
		   "ks: ends inside the bin count");
	memcpy(bad, bin, len);
	put32(bad, 4, 1024);
	expect(decode_ks(bad, len, &back), VGM_BINARY_ERR_UNSUPPORTED,
		   "unsupported vgm_ks_state bin count 1024", "ks: 1024 bins");
	memset(&o, 0, sizeof(o));
	o.status = vgm_ks_decode(bin, len, &back, ks_counts, 1024, o.msg, sizeof(o.msg),
							 o.detail, sizeof(o.detail));
	expect(o, VGM_BINARY_ERR_UNSUPPORTED, "unsupported vgm_ks_state bin count 65536",
		   "ks: a caller with room for another bin count");
	expect(decode_ks(bin, 20, &back), VGM_BINARY_ERR_SHORT, "insufficient data left in message",
		   "ks: ends inside the counts");
	memcpy(bad, bin, len);
	put32(bad, 56, 0xFFFFFFFFu);
	expect(decode_ks(bad, len, &back), VGM_BINARY_ERR_INVALID,
		   "invalid vgm_ks_state: binary length does not match bin count", "ks: -1 nonzero bins");
	put32(bad, 56, VGM_KS_BINS + 1);
	expect(decode_ks(bad, len, &back), VGM_BINARY_ERR_INVALID,
		   "invalid vgm_ks_state: binary length does not match bin count",
		   "ks: more nonzero bins than bins");
	put32(bad, 56, 4);
	o = decode_ks(bad, len, &back);
	expect(o, VGM_BINARY_ERR_INVALID, "invalid vgm_ks_state: binary length does not match bin count",
		   "ks: one entry fewer than claimed");
	tap_ok(strcmp(o.detail, "The message claims 4 nonzero bins and has 36 bytes left.") == 0,
		   "ks: the length detail names the count and the bytes");
	memcpy(bad, bin, len);
	put32(bad, 72, 0);
	o = decode_ks(bad, len, &back);
	expect(o, VGM_BINARY_ERR_INVALID, "invalid vgm_ks_state: bad bin entry", "ks: bins repeat");
	tap_ok(strcmp(o.detail, "Entry 1 names bin 0 with count 7; bins must increase and counts be positive.") == 0,
		   "ks: the entry detail names the entry, the bin and the count");
	memcpy(bad, bin, len);
	put32(bad, 84, VGM_KS_BINS);
	expect(decode_ks(bad, len, &back), VGM_BINARY_ERR_INVALID, "invalid vgm_ks_state: bad bin entry",
		   "ks: bin past the last");
	memcpy(bad, bin, len);
	put32(bad, 60, 0xFFFFFFFFu);
	expect(decode_ks(bad, len, &back), VGM_BINARY_ERR_INVALID, "invalid vgm_ks_state: bad bin entry",
		   "ks: negative bin");
	memcpy(bad, bin, len);
	put64(bad, 76, 0);
	expect(decode_ks(bad, len, &back), VGM_BINARY_ERR_INVALID, "invalid vgm_ks_state: bad bin entry",
		   "ks: zero count");
	put64(bad, 76, (uint64_t) -7);
	expect(decode_ks(bad, len, &back), VGM_BINARY_ERR_INVALID, "invalid vgm_ks_state: bad bin entry",
		   "ks: negative count");
	memcpy(bad, bin, len);
	put64(bad, 16, 14);
	expect(decode_ks(bad, len, &back), VGM_BINARY_ERR_RANGE,
		   "invalid vgm_ks_state: counts do not sum to n", "ks: n disagrees with the bins (the validator)");
	memcpy(bad, bin, len);
	put64(bad, 8, 0);
	expect(decode_ks(bad, len, &back), VGM_BINARY_ERR_RANGE,
		   "invalid vgm_ks_state: missing model hash", "ks: no model hash");
	memcpy(bad, bin, len);
	put64(bad, 32, (uint64_t) -1);
	expect(decode_ks(bad, len, &back), VGM_BINARY_ERR_RANGE,
		   "invalid vgm_ks_state: negative count", "ks: negative NaN count");
	memcpy(bad, bin, len);
	put64(bad, 64, (uint64_t) INT64_MAX);
	put64(bad, 76, (uint64_t) INT64_MAX);
	expect(decode_ks(bad, len, &back), VGM_BINARY_ERR_RANGE,
		   "invalid vgm_ks_state: counts overflow", "ks: bins overflow int64");
	free(bad);

	expect_truncations_fail(decode_ks_only, bin, len, VGM_KS_BINARY_HEADER,
							"invalid vgm_ks_state: binary length does not match bin count", "ks");
	free(bin);
}

int
main(void)
{
	test_model();
	test_model_atoms();
	test_summary();
	test_ks();
	return tap_done();
}
