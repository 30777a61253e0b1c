/*
 * test_model_codec.c - unit tests of the vgm_model JSON codec and validator.
 *
 * Every text handed to the parser is first copied into a heap block of
 * exactly its length (no NUL), so a sanitizer build catches any read past
 * the end.  A counting allocator checks that no error path leaks.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "counting_alloc.h"
#include "model_codec.h"
#include "rng.h"
#include "tap.h"

/* ---- helpers ------------------------------------------------------------ */

/* Any finite double, with subnormals, zeros and extremes well represented. */
static double
random_finite(uint64_t *s)
{
	for (;;)
	{
		uint64_t	r = splitmix64(s);
		uint64_t	kind = r % 8;
		uint64_t	b = splitmix64(s);
		double		d;

		if (kind == 0)
			b &= 0x800FFFFFFFFFFFFFULL; /* subnormal or zero */
		else if (kind == 1)
			return (double) (int64_t) (splitmix64(s) >> (11 + r % 50)) * ((r & 256) ? -1 : 1);
		else if (kind == 2)
			b = (b & 0x800FFFFFFFFFFFFFULL) | (((uint64_t) (2046 - (r >> 8) % 3)) << 52);	/* huge */
		else if (kind == 3)
			b = (b & 0x800FFFFFFFFFFFFFULL) | (((uint64_t) (1 + (r >> 8) % 3)) << 52);	/* tiny normal */
		d = vgm_bits_to_double(b);
		if (isfinite(d))
			return d;
	}
}

/* Positive finite double (subnormals included). */
static double
random_positive(uint64_t *s)
{
	for (;;)
	{
		double		d = fabs(random_finite(s));

		if (d > 0)
			return d;
	}
}

/* JSON number grammar, as a test oracle. */
static int
is_json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return 0;
	if (*s == '.')
	{
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E')
	{
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/* Significant digits of a %g-style text. */
static int
sig_digits(const char *s)
{
	int			n = 0;
	int			started = 0;
	int			trailing_zeros = 0;

	for (; *s && *s != 'e'; s++)
	{
		if (*s < '0' || *s > '9')
			continue;
		if (*s != '0')
			started = 1;
		if (started)
		{
			n++;
			trailing_zeros = (*s == '0') ? trailing_zeros + 1 : 0;
		}
	}
	/* integers like 100 carry zeros that are not significant */
	return n > 0 ? n - trailing_zeros : 1;
}

/* Results of one parse. */
typedef struct Parsed
{
	int			rc;
	VgmModelView m;
	char		msg[256];
	char		detail[512];
	CountingAlloc ca;
} Parsed;

/* Parse len bytes of text from an exact-size heap copy. */
static void
parse_exact(const char *text, size_t len, Parsed *r)
{
	VgmAllocator alloc;
	char	   *copy = malloc(len > 0 ? len : 1);

	memset(r, 0, sizeof(*r));
	alloc = counting_allocator(&r->ca, -1);
	if (len > 0)
		memcpy(copy, text, len);
	else
	{
		/* a zero-size block: any read is out of bounds */
		free(copy);
		copy = malloc(0);
	}
	memset(r->msg, 'X', sizeof(r->msg));
	memset(r->detail, 'X', sizeof(r->detail));
	r->rc = vgm_model_parse(copy, len, &r->m, &alloc,
							r->msg, sizeof(r->msg), r->detail, sizeof(r->detail));
	free(copy);
}

static void
parsed_free(Parsed *r)
{
	if (r->m.comp != NULL)
	{
		counting_release(r->m.comp, &r->ca);
		r->m.comp = NULL;
		r->m.weights = NULL;
	}
}

/* Format into a fresh malloc'd string. */
static char *
format_alloc(const VgmModelView *m)
{
	size_t		n = vgm_model_format(m, NULL, 0);
	char	   *buf = malloc(n + 1);
	size_t		n2 = vgm_model_format(m, buf, n + 1);

	if (n2 != n || strlen(buf) != n)
	{
		free(buf);
		return NULL;
	}
	return buf;
}

/* Replace the first occurrence of from by to; NULL when from is absent. */
static char *
replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	size_t		a,
				b,
				c;
	char	   *out;

	if (at == NULL)
	{
		printf("# replace: \"%s\" not found\n", from);
		return NULL;
	}
	a = (size_t) (at - s);
	b = strlen(to);
	c = strlen(at + strlen(from));
	out = malloc(a + b + c + 1);
	memcpy(out, s, a);
	memcpy(out + a, to, b);
	memcpy(out + a + b, at + strlen(from), c + 1);
	return out;
}

static int
models_equal(const VgmModelView *a, const VgmModelView *b)
{
	const VgmModelHeader *x = &a->hdr,
			   *y = &b->hdr;

	if (x->version != y->version || x->dims != y->dims || x->k != y->k ||
		x->iterations != y->iterations || x->converged != y->converged ||
		x->max_iter != y->max_iter || x->seed != y->seed ||
		x->rows != y->rows || x->buckets != y->buckets || x->nulls != y->nulls ||
		x->nans != y->nans || x->pos_infs != y->pos_infs ||
		x->neg_infs != y->neg_infs)
		return 0;
	if (!same_bits(x->tol, y->tol) || !same_bits(x->weight_threshold, y->weight_threshold) ||
		!same_bits(x->priors.weight_concentration, y->priors.weight_concentration) ||
		!same_bits(x->priors.mean_precision, y->priors.mean_precision) ||
		!same_bits(x->priors.mean, y->priors.mean) ||
		!same_bits(x->priors.degrees_of_freedom, y->priors.degrees_of_freedom) ||
		!same_bits(x->priors.covariance, y->priors.covariance) ||
		!same_bits(x->priors.reg_covar, y->priors.reg_covar) ||
		!same_bits(x->lower_bound, y->lower_bound) || !same_bits(x->fit_ms, y->fit_ms) ||
		!same_bits(x->total_weight, y->total_weight) ||
		!same_bits(x->min, y->min) || !same_bits(x->max, y->max))
		return 0;
	for (int i = 0; i < x->k; i++)
	{
		const VgmComponent *c = &a->comp[i],
				   *d = &b->comp[i];

		if (!same_bits(a->weights[i], b->weights[i]) ||
			!same_bits(c->conc_a, d->conc_a) || !same_bits(c->conc_b, d->conc_b) ||
			!same_bits(c->mean_precision, d->mean_precision) ||
			!same_bits(c->mean, d->mean) || !same_bits(c->dof, d->dof) ||
			!same_bits(c->covariance, d->covariance))
			return 0;
	}
	return 1;
}

/* The header of every base model but its component count. */
static const VgmModelHeader base_header = {
	.version = 1,
	.dims = 1,
	.iterations = 42,
	.converged = 1,
	.max_iter = 100,
	.seed = 12345,
	.tol = 0.001,
	.weight_threshold = 0.005,
	.priors = {
		.weight_concentration = 0.001,
		.mean_precision = 1,
		.mean = 0.5,
		.degrees_of_freedom = 1,
		.covariance = 2.25,
		.reg_covar = 1e-06,
	},
	.lower_bound = -1234.5678,
	.fit_ms = 12.75,
	.rows = 1000,
	.buckets = 1000,
	.nulls = 3,
	.nans = 1,
	.pos_infs = 2,
	.neg_infs = 0,
	.total_weight = 1000,
	.min = -3.5,
	.max = 7.25,
};

/* A plain valid model of k components in caller storage. */
static void
base_model(VgmModelView *m, VgmComponent *comp, double *w, int k)
{
	memset(m, 0, sizeof(*m));
	m->hdr = base_header;
	m->hdr.k = k;
	if (k == 2)
	{
		VgmComponent c0 = {251, 751.001, 251, -1, 251, 0.5};
		VgmComponent c1 = {751, 0.001, 751, 0.5, 751, 2};

		comp[0] = c0;
		comp[1] = c1;
		w[0] = 0.25;
		w[1] = 0.75;
	}
	else
	{
		for (int i = 0; i < k; i++)
		{
			comp[i].conc_a = 1 + 10.5 * i;
			comp[i].conc_b = 0.001 + 3.25 * (k - 1 - i);
			comp[i].mean_precision = 1 + i;
			comp[i].mean = -1 + 1.5 * i;
			comp[i].dof = 1.5 + i;
			comp[i].covariance = 0.5 + i;
			w[i] = 1.0 / k;
		}
	}
	m->comp = comp;
	m->weights = w;
}

/* A valid model with random bit patterns wherever the domain allows. */
static void
random_model(VgmModelView *m, VgmComponent *comp, double *w, int k, uint64_t *s)
{
	VgmModelHeader *h = &m->hdr;
	double		sum = 0;

	base_model(m, comp, w, k > 2 ? k : 3);
	h->k = k;
	h->iterations = (int32_t) (splitmix64(s) % 3 == 0 ? INT32_MAX : splitmix64(s) % 1000);
	h->max_iter = (int32_t) (splitmix64(s) >> 33);
	h->converged = (int32_t) (splitmix64(s) & 1);
	h->seed = splitmix64(s) % 3 == 0 ? UINT64_MAX : splitmix64(s);
	h->tol = splitmix64(s) % 4 == 0 ? 0.0 : random_positive(s);
	h->weight_threshold = (double) (splitmix64(s) >> 11) / 9007199254740992.0;	/* [0, 1) */
	h->priors.weight_concentration = random_positive(s);
	h->priors.mean_precision = random_positive(s);
	h->priors.mean = random_finite(s);
	h->priors.degrees_of_freedom = random_positive(s);
	h->priors.covariance = random_positive(s);
	h->priors.reg_covar = splitmix64(s) % 4 == 0 ? 0.0 : random_positive(s);
	h->lower_bound = random_finite(s);
	h->fit_ms = random_positive(s);
	h->rows = splitmix64(s) % 3 == 0 ? INT64_MAX : (int64_t) (splitmix64(s) >> 1);
	h->buckets = (int64_t) (splitmix64(s) >> 1);
	h->nulls = (int64_t) (splitmix64(s) >> 1);
	h->nans = (int64_t) (splitmix64(s) >> 40);
	h->pos_infs = splitmix64(s) % 2 ? 0 : INT64_MAX;
	h->neg_infs = (int64_t) (splitmix64(s) >> 50);
	h->total_weight = random_positive(s);
	h->min = random_finite(s);
	h->max = random_finite(s);
	if (h->min > h->max)
	{
		double		t = h->min;

		h->min = h->max;
		h->max = t;
	}
	for (int i = 0; i < k; i++)
	{
		comp[i].conc_a = random_positive(s);
		comp[i].conc_b = random_positive(s);
		comp[i].mean_precision = random_positive(s);
		comp[i].mean = random_finite(s);
		comp[i].dof = random_positive(s);
		comp[i].covariance = random_positive(s);
		switch (splitmix64(s) % 4)
		{
			case 0:
				w[i] = 0;
				break;
			case 1:
				w[i] = vgm_bits_to_double(splitmix64(s) & 0x000FFFFFFFFFFFFFULL);	/* subnormal */
				break;
			default:
				w[i] = (double) (splitmix64(s) >> 11) / 9007199254740992.0;
				break;
		}
		sum += w[i];
	}
	if (sum == 0)
	{
		w[0] = 1;
		sum = 1;
	}
	for (int i = 0; i < k; i++)
		w[i] /= sum;
}

/* Check code, messages and no leak of a failed parse. */
static void
expect_error(const char *name, const char *text, size_t len, int code,
			 const char *msg_part)
{
	Parsed		r;
	int			ok;
	size_t		dl;
	char		label[300];

	parse_exact(text, len, &r);
	dl = strlen(r.detail);
	ok = r.rc == code && r.ca.live == 0 && r.m.comp == NULL && r.m.weights == NULL &&
		strncmp(r.msg, "invalid vgm_model: ", 19) == 0 &&
		(msg_part == NULL || strstr(r.msg, msg_part) != NULL) &&
		dl > 1 && r.detail[0] >= 'A' && r.detail[0] <= 'Z' && r.detail[dl - 1] == '.' &&
		r.msg[strlen(r.msg) - 1] != '.';
	if (code == VGM_MODEL_ERR_SYNTAX)
		ok = ok && (strstr(r.detail, "byte offset") != NULL);
	if (!ok)
		printf("# %s: rc=%d live=%ld msg=[%s] detail=[%s]\n", name, r.rc,
			   r.ca.live, r.msg, r.detail);
	snprintf(label, sizeof(label), "error: %s", name);
	tap_ok(ok, label);
	parsed_free(&r);
}

static void
expect_error_str(const char *name, const char *text, int code, const char *msg_part)
{
	if (text == NULL)
	{
		char		label[300];

		snprintf(label, sizeof(label), "error: %s (input built)", name);
		tap_ok(0, label);
		return;
	}
	expect_error(name, text, strlen(text), code, msg_part);
}

/* expect_error on base with one substitution */
static void
expect_subst(const char *name, const char *base, const char *from, const char *to,
			 int code, const char *msg_part)
{
	char	   *t = replace(base, from, to);

	expect_error_str(name, t, code, msg_part);
	free(t);
}

/* Parse the base text with one substitution; the caller checks r and frees it. */
static void
parse_subst(const char *base, const char *from, const char *to, Parsed *r)
{
	char	   *t = replace(base, from, to);

	if (t == NULL)
	{
		/* the case could not be built: a result no check accepts */
		memset(r, 0, sizeof(*r));
		r->rc = -1;
		return;
	}
	parse_exact(t, strlen(t), r);
	free(t);
}

#define lengthof(array) (sizeof(array) / sizeof((array)[0]))

/* A text the parser must refuse, what it must answer, and the test's name. */
typedef struct ErrorCase
{
	const char *name;
	const char *from;			/* a part of the base text, or NULL */
	const char *to;				/* its replacement, or the whole text */
	int			code;
	const char *msg_part;		/* a part of the message ("": any message) */
} ErrorCase;

/* Check every case of a table with expect_error. */
static void
expect_cases(const char *base, const ErrorCase *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		const ErrorCase *c = &cases[i];

		if (c->from == NULL)
			expect_error_str(c->name, c->to, c->code, c->msg_part);
		else
			expect_subst(c->name, base, c->from, c->to, c->code, c->msg_part);
	}
}


/* The texts the parser must refuse that are written out whole, by what is wrong with them. */
static const ErrorCase error_cases[] = {
	/* Texts that are not one well-formed JSON object. */
	{"empty input", NULL, "", VGM_MODEL_ERR_SYNTAX, "malformed JSON"},
	{"whitespace only", NULL, " \n\t", VGM_MODEL_ERR_SYNTAX, ""},
	{"lone brace", NULL, "{", VGM_MODEL_ERR_SYNTAX, ""},
	{"array at top", NULL, "[]", VGM_MODEL_ERR_SYNTAX, ""},
	{"null at top", NULL, "null", VGM_MODEL_ERR_SYNTAX, ""},
	{"missing colon", NULL, "{\"version\" 1}", VGM_MODEL_ERR_SYNTAX, ""},
	{"trailing comma in object", NULL, "{\"version\":1,}", VGM_MODEL_ERR_SYNTAX, ""},
	{"comma only", NULL, "{,}", VGM_MODEL_ERR_SYNTAX, ""},
	{"single-quoted key", NULL, "{'version':1}", VGM_MODEL_ERR_SYNTAX, ""},
	{"unquoted key", NULL, "{version:1}", VGM_MODEL_ERR_SYNTAX, ""},
	{"BOM", NULL, "\xEF\xBB\xBF{}", VGM_MODEL_ERR_SYNTAX, ""},
	{"trailing comma in array", "[0.25,0.75]", "[0.25,0.75,]", VGM_MODEL_ERR_SYNTAX, ""},
	{"missing comma in array", "[0.25,0.75]", "[0.25 0.75]", VGM_MODEL_ERR_SYNTAX, ""},
	{"unclosed array", "[0.25,0.75]", "[0.25,0.75", VGM_MODEL_ERR_SYNTAX, ""},
	{"control char in key", "\"dims\"", "\"di\x01ms\"", VGM_MODEL_ERR_SYNTAX, ""},
	{"raw newline in key", "\"dims\"", "\"di\nms\"", VGM_MODEL_ERR_SYNTAX, ""},
	{"bad escape", "\"dims\"", "\"di\\xms\"", VGM_MODEL_ERR_SYNTAX, ""},
	{"short unicode escape", "\"dims\"", "\"di\\u06\"", VGM_MODEL_ERR_SYNTAX, ""},
	{"lone low surrogate", "\"dims\"", "\"\\uDC00\"", VGM_MODEL_ERR_SYNTAX, ""},
	{"lone high surrogate", "\"dims\"", "\"\\uD800x\"", VGM_MODEL_ERR_SYNTAX, ""},
	{"bad literal", "true", "ture", VGM_MODEL_ERR_SYNTAX, ""},
	{"truncated literal", "true", "tru", VGM_MODEL_ERR_SYNTAX, ""},
	{"NaN literal", "[-1,0.5]", "[-1,NaN]", VGM_MODEL_ERR_SYNTAX, ""},
	{"Infinity literal", "[-1,0.5]", "[-1,Infinity]", VGM_MODEL_ERR_SYNTAX, ""},
	{"-Infinity literal", "[-1,0.5]", "[-Infinity,0.5]", VGM_MODEL_ERR_SYNTAX, ""},
	{"nan lowercase", "\"tol\":0.001", "\"tol\":nan", VGM_MODEL_ERR_SYNTAX, ""},
	{"hex number", "\"tol\":0.001", "\"tol\":0x1p-10", VGM_MODEL_ERR_SYNTAX, ""},
	{"leading plus", "\"tol\":0.001", "\"tol\":+0.001", VGM_MODEL_ERR_SYNTAX, ""},
	{"leading zero", "\"iterations\":42", "\"iterations\":042", VGM_MODEL_ERR_SYNTAX, ""},
	{"leading zeros in double", "\"fit_ms\":12.75", "\"fit_ms\":00.5", VGM_MODEL_ERR_SYNTAX, ""},
	{"bare decimal point", "\"tol\":0.001", "\"tol\":.001", VGM_MODEL_ERR_SYNTAX, ""},
	{"trailing decimal point", "\"fit_ms\":12.75", "\"fit_ms\":12.", VGM_MODEL_ERR_SYNTAX, ""},
	{"empty exponent", "\"fit_ms\":12.75", "\"fit_ms\":12e", VGM_MODEL_ERR_SYNTAX, ""},
	{"sign-only exponent", "\"fit_ms\":12.75", "\"fit_ms\":12e+", VGM_MODEL_ERR_SYNTAX, ""},
	{"minus alone", "\"fit_ms\":12.75", "\"fit_ms\":-", VGM_MODEL_ERR_SYNTAX, ""},
	{"comment", "\"dims\":1,", "\"dims\":1,/* x */", VGM_MODEL_ERR_SYNTAX, ""},
	{"form feed whitespace", "\"dims\":1,", "\"dims\":1,\f", VGM_MODEL_ERR_SYNTAX, ""},
	/* Unknown, duplicate and missing fields, each named in the message. */
	{"deep but allowed unknown value", "\"dims\":1,", "\"dims\":1,\"extra\":[[[[[[[[[[{\"a\":[null,true,false,\"s\\n\",-1.5e3]}]]]]]]]]]],", VGM_MODEL_ERR_FIELD, "unknown field \"extra\""},
	{"unknown field", "\"dims\":1,", "\"dims\":1,\"extra\":1,", VGM_MODEL_ERR_FIELD, "unknown field \"extra\""},
	{"unknown nested field", "\"fit\":{", "\"fit\":{\"bogus\":{},", VGM_MODEL_ERR_FIELD, "unknown field \"fit.bogus\""},
	{"top-level key in nested object", "\"fit\":{", "\"fit\":{\"k\":2,", VGM_MODEL_ERR_FIELD, "unknown field \"fit.k\""},
	{"non-ASCII key", "\"dims\":1,", "\"dims\":1,\"d\xC3\xA9\":1,", VGM_MODEL_ERR_FIELD, "unknown field \"d??\""},
	{"key with escaped NUL", "\"dims\":1,", "\"dims\":1,\"k\\u0000\":1,", VGM_MODEL_ERR_FIELD, "unknown field \"k?\""},
	{"key with surrogate pair", "\"dims\":1,", "\"dims\":1,\"\\uD83D\\uDE00\":1,", VGM_MODEL_ERR_FIELD, "unknown field"},
	{"case matters in keys", "\"dims\"", "\"Dims\"", VGM_MODEL_ERR_FIELD, "unknown field \"Dims\""},
	{"duplicate field", "\"k\":2,", "\"k\":2,\"k\":2,", VGM_MODEL_ERR_FIELD, "duplicate field \"k\""},
	{"duplicate via escape", "\"k\":2,", "\"k\":2,\"\\u006b\":3,", VGM_MODEL_ERR_FIELD, "duplicate field \"k\""},
	{"duplicate nested field", "\"seed\":12345,", "\"seed\":12345,\"seed\":1,", VGM_MODEL_ERR_FIELD, "duplicate field \"fit.seed\""},
	{"duplicate object", "\"fit\":{", "\"fit\":{},\"fit\":{", VGM_MODEL_ERR_FIELD, "duplicate field \"fit\""},
	{"missing field", "\"dims\":1,", "", VGM_MODEL_ERR_FIELD, "missing field \"dims\""},
	{"missing array", "\"means\":[-1,0.5],", "", VGM_MODEL_ERR_FIELD, "missing field \"means\""},
	{"missing nested field", "\"nans\":1,", "", VGM_MODEL_ERR_FIELD, "missing field \"training.nans\""},
	{"missing converged", "\"converged\":true,", "", VGM_MODEL_ERR_FIELD, "missing field \"fit.converged\""},
	{"empty object", NULL, "{}", VGM_MODEL_ERR_FIELD, "missing field \"version\""},
	{"empty nested object", "{\"weight_concentration\":0.001,\"mean_precision\":1,\"mean\":0.5,\"degrees_of_freedom\":1,\"covariance\":2.25,\"reg_covar\":1e-06}", "{}", VGM_MODEL_ERR_FIELD, "missing field \"priors.weight_concentration\""},
	/* Format versions and dimension counts the parser does not support. */
	{"version 3", "\"version\":1", "\"version\":3", VGM_MODEL_ERR_VERSION, "unsupported format version"},
	{"version 0", "\"version\":1", "\"version\":0", VGM_MODEL_ERR_VERSION, ""},
	{"version 1.0", "\"version\":1", "\"version\":1.0", VGM_MODEL_ERR_VERSION, ""},
	{"version as string", "\"version\":1", "\"version\":\"1\"", VGM_MODEL_ERR_VERSION, ""},
	{"version huge", "\"version\":1", "\"version\":99999999999999999999999", VGM_MODEL_ERR_VERSION, ""},
	{"version 3 wins over unknown fields", "\"version\":1", "\"version\":3,\"new_thing\":[]", VGM_MODEL_ERR_VERSION, ""},
	{"dims 2", "\"dims\":1", "\"dims\":2", VGM_MODEL_ERR_VERSION, "unsupported number of dimensions"},
	{"dims 0", "\"dims\":1", "\"dims\":0", VGM_MODEL_ERR_VERSION, ""},
	{"dims null", "\"dims\":1", "\"dims\":null", VGM_MODEL_ERR_VERSION, ""},
	/* Component counts out of range and arrays whose length is not k. */
	{"k 0", "\"k\":2", "\"k\":0", VGM_MODEL_ERR_RANGE, "k out of range"},
	{"k -1", "\"k\":2", "\"k\":-1", VGM_MODEL_ERR_RANGE, "k out of range"},
	{"k 257", "\"k\":2", "\"k\":257", VGM_MODEL_ERR_RANGE, "k out of range"},
	{"k 2^31", "\"k\":2", "\"k\":2147483648", VGM_MODEL_ERR_RANGE, ""},
	{"k 2.5", "\"k\":2", "\"k\":2.5", VGM_MODEL_ERR_RANGE, "must be an integer"},
	{"k 2e0", "\"k\":2", "\"k\":2e0", VGM_MODEL_ERR_RANGE, "must be an integer"},
	{"k 3 with arrays of 2", "\"k\":2", "\"k\":3", VGM_MODEL_ERR_RANGE, "length of field \"weights\" does not match k"},
	{"k 1 with arrays of 2", "\"k\":2", "\"k\":1", VGM_MODEL_ERR_RANGE, "does not match k"},
	{"one array too long", "[0.5,2]", "[0.5,2,3]", VGM_MODEL_ERR_RANGE, "length of field \"covariances\" does not match k"},
	{"one array too short", "[751.001,0.001]", "[751.001]", VGM_MODEL_ERR_RANGE, "length of field \"weight_concentration_b\" does not match k"},
	{"empty array", "[-1,0.5]", "[ ]", VGM_MODEL_ERR_RANGE, "length of field \"means\" does not match k"},
	/* Values of the wrong JSON type or outside their field's range. */
	{"1e999", "[-1,0.5]", "[-1,1e999]", VGM_MODEL_ERR_RANGE, "field \"means[1]\" out of range"},
	{"-1e999", "\"lower_bound\":-1234.5678", "\"lower_bound\":-1e999", VGM_MODEL_ERR_RANGE, "field \"fit.lower_bound\" out of range"},
	{"string for number", "\"tol\":0.001", "\"tol\":\"0.001\"", VGM_MODEL_ERR_RANGE, "must be a number"},
	{"null for number", "\"tol\":0.001", "\"tol\":null", VGM_MODEL_ERR_RANGE, "must be a number"},
	{"object for array", "[-1,0.5]", "{}", VGM_MODEL_ERR_RANGE, "must be an array of numbers"},
	{"string in array", "[-1,0.5]", "[-1,\"0.5\"]", VGM_MODEL_ERR_RANGE, "must be an array of numbers"},
	{"nested array in array", "[-1,0.5]", "[-1,[0.5]]", VGM_MODEL_ERR_RANGE, "must be an array of numbers"},
	{"array for object", "{\"weight_concentration\":0.001,\"mean_precision\":1,\"mean\":0.5,\"degrees_of_freedom\":1,\"covariance\":2.25,\"reg_covar\":1e-06}", "[1,2]", VGM_MODEL_ERR_RANGE, "field \"priors\" must be an object"},
	{"converged as number", "\"converged\":true", "\"converged\":1", VGM_MODEL_ERR_RANGE, "field \"fit.converged\" must be true or false"},
	{"converged as string", "\"converged\":true", "\"converged\":\"true\"", VGM_MODEL_ERR_RANGE, "must be true or false"},
	{"converged null", "\"converged\":true", "\"converged\":null", VGM_MODEL_ERR_RANGE, "must be true or false"},
	{"non-integer iterations", "\"iterations\":42", "\"iterations\":42.5", VGM_MODEL_ERR_RANGE, "field \"fit.iterations\" must be an integer"},
	{"iterations 42.0", "\"iterations\":42", "\"iterations\":42.0", VGM_MODEL_ERR_RANGE, "must be an integer"},
	{"iterations 1e2", "\"iterations\":42", "\"iterations\":1e2", VGM_MODEL_ERR_RANGE, "must be an integer"},
	{"iterations beyond int32", "\"iterations\":42", "\"iterations\":2147483648", VGM_MODEL_ERR_RANGE, "field \"fit.iterations\" out of range"},
	{"negative iterations", "\"iterations\":42", "\"iterations\":-1", VGM_MODEL_ERR_RANGE, "field \"fit.iterations\" out of range"},
	{"negative max_iter", "\"max_iter\":100", "\"max_iter\":-2147483648", VGM_MODEL_ERR_RANGE, "field \"fit.max_iter\" out of range"},
	{"seed 2^64", "\"seed\":12345", "\"seed\":18446744073709551616", VGM_MODEL_ERR_RANGE, "field \"fit.seed\" out of range"},
	{"seed huge", "\"seed\":12345", "\"seed\":99999999999999999999999999", VGM_MODEL_ERR_RANGE, "field \"fit.seed\" out of range"},
	{"seed -1", "\"seed\":12345", "\"seed\":-1", VGM_MODEL_ERR_RANGE, "field \"fit.seed\" out of range"},
	{"rows 2^63", "\"rows\":1000", "\"rows\":9223372036854775808", VGM_MODEL_ERR_RANGE, "field \"training.rows\" out of range"},
	{"rows -2^63", "\"rows\":1000", "\"rows\":-9223372036854775808", VGM_MODEL_ERR_RANGE, "field \"training.rows\" out of range"},
	{"negative nulls", "\"nulls\":3", "\"nulls\":-3", VGM_MODEL_ERR_RANGE, "field \"training.nulls\" out of range"},
	/* Well-typed models the validator must refuse. */
	{"weights not summing to 1", "[0.25,0.75]", "[0.25,0.73]", VGM_MODEL_ERR_RANGE, "weights do not sum to 1"},
	{"weights slightly off", "[0.25,0.75]", "[0.25,0.750000002]", VGM_MODEL_ERR_RANGE, "weights do not sum to 1"},
	{"negative weight", "[0.25,0.75]", "[-0.25,1.25]", VGM_MODEL_ERR_RANGE, "field \"weights[0]\" out of range"},
	{"zero covariance", "[0.5,2]", "[0.5,0]", VGM_MODEL_ERR_RANGE, "field \"covariances[1]\" out of range"},
	{"negative covariance", "[0.5,2]", "[-0.5,2]", VGM_MODEL_ERR_RANGE, "field \"covariances[0]\" out of range"},
	{"negative zero covariance", "[0.5,2]", "[-0,2]", VGM_MODEL_ERR_RANGE, "field \"covariances[0]\" out of range"},
	{"covariance underflows to 0", "[0.5,2]", "[1e-400,2]", VGM_MODEL_ERR_RANGE, "field \"covariances[0]\" out of range"},
	{"negative precision", "\"mean_precision\":[251,751]", "\"mean_precision\":[251,-751]", VGM_MODEL_ERR_RANGE, "field \"mean_precision[1]\" out of range"},
	{"zero dof", "\"degrees_of_freedom\":[251,751]", "\"degrees_of_freedom\":[0,751]", VGM_MODEL_ERR_RANGE, "field \"degrees_of_freedom[0]\" out of range"},
	{"zero conc_a", "\"weight_concentration_a\":[251,751]", "\"weight_concentration_a\":[251,0]", VGM_MODEL_ERR_RANGE, "field \"weight_concentration_a[1]\" out of range"},
	{"zero conc_b", "[751.001,0.001]", "[751.001,0]", VGM_MODEL_ERR_RANGE, "field \"weight_concentration_b[1]\" out of range"},
	{"weight_threshold 1", "\"weight_threshold\":0.005", "\"weight_threshold\":1", VGM_MODEL_ERR_RANGE, "field \"weight_threshold\" out of range"},
	{"negative weight_threshold", "\"weight_threshold\":0.005", "\"weight_threshold\":-0.005", VGM_MODEL_ERR_RANGE, ""},
	{"zero prior concentration", "{\"weight_concentration\":0.001", "{\"weight_concentration\":0", VGM_MODEL_ERR_RANGE, "field \"priors.weight_concentration\" out of range"},
	{"zero prior precision", "\"mean_precision\":1,", "\"mean_precision\":0,", VGM_MODEL_ERR_RANGE, "field \"priors.mean_precision\" out of range"},
	{"negative prior dof", "\"degrees_of_freedom\":1,", "\"degrees_of_freedom\":-1,", VGM_MODEL_ERR_RANGE, "field \"priors.degrees_of_freedom\" out of range"},
	{"zero prior covariance", "\"covariance\":2.25", "\"covariance\":0", VGM_MODEL_ERR_RANGE, "field \"priors.covariance\" out of range"},
	{"negative reg_covar", "\"reg_covar\":1e-06", "\"reg_covar\":-1e-06", VGM_MODEL_ERR_RANGE, "field \"priors.reg_covar\" out of range"},
	{"negative tol", "\"tol\":0.001", "\"tol\":-0.001", VGM_MODEL_ERR_RANGE, "field \"fit.tol\" out of range"},
	{"negative fit_ms", "\"fit_ms\":12.75", "\"fit_ms\":-1", VGM_MODEL_ERR_RANGE, "field \"fit.fit_ms\" out of range"},
	{"negative total_weight", "\"total_weight\":1000", "\"total_weight\":-1", VGM_MODEL_ERR_RANGE, "field \"training.total_weight\" out of range"},
	{"min above max", "\"min\":-3.5", "\"min\":8", VGM_MODEL_ERR_RANGE, "training min exceeds max"},
	/* Texts with several errors: syntax wins, then the first deferred one. */
	{"syntax error after unknown field", "\"dims\":1,", "\"dims\":1,\"extra\":1,\"x\"", VGM_MODEL_ERR_SYNTAX, ""},
	{"first deferred error wins", "\"dims\":1,", "\"dims\":1,\"extra\":1,\"dims\":1,", VGM_MODEL_ERR_FIELD, "unknown field \"extra\""},
};

/* Atom lists the parser must refuse, as substitutions in a two-atom model's text. */
static const ErrorCase atom_cases[] = {
	{"atoms out of order", "[[0,0.15],[9.99,0.05]]", "[[9.99,0.05],[0,0.15]]", VGM_MODEL_ERR_RANGE, "atom values not strictly increasing"},
	{"atoms repeated", "[[0,0.15],[9.99,0.05]]", "[[0,0.15],[0,0.05]]", VGM_MODEL_ERR_RANGE, "atom values not strictly increasing"},
	{"atom weight 0", "[9.99,0.05]", "[9.99,0]", VGM_MODEL_ERR_RANGE, "field \"atoms[1][1]\" out of range"},
	{"atom weight above 1", "[9.99,0.05]", "[9.99,1.5]", VGM_MODEL_ERR_RANGE, "field \"atoms[1][1]\" out of range"},
	{"atom weights off the sum", "[9.99,0.05]", "[9.99,0.06]", VGM_MODEL_ERR_RANGE, "weights do not sum to 1"},
	{"atom value 1e999", "[9.99,0.05]", "[1e999,0.05]", VGM_MODEL_ERR_RANGE, "field \"atoms[1][0]\" out of range"},
	{"atom of one number", "[9.99,0.05]", "[9.99]", VGM_MODEL_ERR_RANGE, "must be an array of [value, weight] pairs"},
	{"atom of three numbers", "[9.99,0.05]", "[9.99,0.05,1]", VGM_MODEL_ERR_RANGE, "must be an array of [value, weight] pairs"},
	{"atom as a number", "[9.99,0.05]", "9.99", VGM_MODEL_ERR_RANGE, "must be an array of [value, weight] pairs"},
	{"atoms as an object", "[[0,0.15],[9.99,0.05]]", "{}", VGM_MODEL_ERR_RANGE, "must be an array of [value, weight] pairs"},
	{"atoms empty", "[[0,0.15],[9.99,0.05]]", "[]", VGM_MODEL_ERR_FIELD, "empty field \"atoms\""},
	{"atoms missing in version 2", "\"atoms\":[[0,0.15],[9.99,0.05]],", "", VGM_MODEL_ERR_FIELD, "missing field \"atoms\""},
	{"atoms in version 1", "\"version\":2", "\"version\":1", VGM_MODEL_ERR_FIELD, "field \"atoms\" needs format version 2"},
	{"atoms unclosed", "[9.99,0.05]]", "[9.99,0.05]", VGM_MODEL_ERR_SYNTAX, NULL},
};


/* ---- tests -------------------------------------------------------------- */

static void
test_format_double(void)
{
	static const struct
	{
		double		v;
		const char *text;
	}			cases[] = {
		{0.0, "0"},
		{-0.0, "-0"},
		{1.0, "1"},
		{-1.5, "-1.5"},
		{0.1, "0.1"},
		{0.30000000000000004, "0.30000000000000004"},
		{1e300, "1e+300"},
		{1e-07, "1e-07"},
		{123456789.0, "123456789"},
		{1e21, "1e+21"},
		{1000.0, "1000"},
		{-200000.0, "-200000"},
		{1e15, "1000000000000000"},
		{1e16, "1e+16"},
		{9007199254740990.0, "9007199254740990"},
		{1.5e-5, "1.5e-05"},
		{5e-324, "5e-324"},
		{DBL_MAX, "1.7976931348623157e+308"},
		{DBL_MIN, "2.2250738585072014e-308"},
		{-9007199254740993.0, "-9007199254740992"},
	};
	char		buf[64];
	int			ok = 1;
	uint64_t	s = 42;
	long		bad_rt = 0,
				bad_syntax = 0,
				not_shortest = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		int			n = vgm_format_double(cases[i].v, buf, sizeof(buf));

		if (n != (int) strlen(cases[i].text) || strcmp(buf, cases[i].text) != 0)
		{
			printf("# format_double: want %s got %s (%d)\n", cases[i].text, buf, n);
			ok = 0;
		}
	}
	tap_ok(ok, "format_double: known values");

	tap_ok(vgm_format_double(NAN, buf, sizeof(buf)) == -1 &&
		   vgm_format_double(INFINITY, buf, sizeof(buf)) == -1 &&
		   vgm_format_double(-INFINITY, buf, sizeof(buf)) == -1,
		   "format_double: non-finite gives -1");
	tap_ok(vgm_format_double(0.1, buf, 3) == -1 &&
		   vgm_format_double(0.1, buf, 4) == 3 && strcmp(buf, "0.1") == 0 &&
		   vgm_format_double(0.1, NULL, 0) == -1,
		   "format_double: buffer size respected");

	for (long i = 0; i < 300000; i++)
	{
		double		v = (i % 2) ? random_finite(&s) : vgm_bits_to_double(splitmix64(&s));
		int			n;
		double		back;
		char		shorter[400];
		int			p;

		if (!isfinite(v))
			continue;
		n = vgm_format_double(v, buf, sizeof(buf));
		if (n < 0)
		{
			bad_rt++;
			continue;
		}
		back = strtod(buf, NULL);
		if (!same_bits(back, v))
			bad_rt++;
		if (!is_json_number(buf))
			bad_syntax++;
		p = sig_digits(buf);
		if (p > 1)
		{
			snprintf(shorter, sizeof(shorter), "%.*g", p - 1, v);
			if (same_bits(strtod(shorter, NULL), v))
			{
				if (not_shortest < 5)
					printf("# not shortest: %s vs %s\n", buf, shorter);
				not_shortest++;
			}
		}
	}
	if (bad_rt || bad_syntax || not_shortest)
		printf("# bad round trip %ld, bad syntax %ld, not shortest %ld\n",
			   bad_rt, bad_syntax, not_shortest);
	tap_ok(bad_rt == 0, "format_double: 300000 random doubles round-trip bit-exactly");
	tap_ok(bad_syntax == 0, "format_double: output is JSON number syntax");
	tap_ok(not_shortest == 0, "format_double: output is shortest");

	/* every subnormal exponent / boundary neighbour */
	ok = 1;
	for (int e = -1074; e <= 1023; e++)
	{
		double		v = ldexp(1.0, e);
		double		cand[4] = {v, nextafter(v, 0), nextafter(v, INFINITY), -v};

		for (int j = 0; j < 4; j++)
		{
			if (!isfinite(cand[j]))
				continue;
			if (vgm_format_double(cand[j], buf, sizeof(buf)) < 0 ||
				!same_bits(strtod(buf, NULL), cand[j]) || !is_json_number(buf))
				ok = 0;
		}
	}
	tap_ok(ok, "format_double: powers of two and neighbours round-trip");
}

/* Shortest digits by search, written as "d.ddde+XX" (a stand-in for Ryu). */
static int
shortest_exponent_form(double value, char *buf)
{
	for (int prec = 0; prec <= 16; prec++)
	{
		double		back;
		int			n = snprintf(buf, 32, "%.*e", prec, value);

		back = strtod(buf, NULL);
		if (memcmp(&back, &value, sizeof(double)) == 0)
			return n;
	}
	return -1;
}

/* The same digits in plain notation where it is short ("0.00125", "1250"). */
static int
shortest_plain_form(double value, char *buf)
{
	char		e[32];
	char		digits[32];
	int			nd = 0;
	int			exp10;
	int			n = 0;
	const char *p;

	if (shortest_exponent_form(value, e) < 0)
		return -1;
	exp10 = atoi(strchr(e, 'e') + 1);
	if (exp10 < -6 || exp10 > 20)
		return shortest_exponent_form(value, buf);
	for (p = e; *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
	if (value < 0)
		buf[n++] = '-';
	if (exp10 < 0)
	{
		buf[n++] = '0';
		buf[n++] = '.';
		for (int i = 0; i < -exp10 - 1; i++)
			buf[n++] = '0';
		for (int i = 0; i < nd; i++)
			buf[n++] = digits[i];
	}
	else
		for (int i = 0; i <= exp10 || i < nd; i++)
		{
			if (i == exp10 + 1)
				buf[n++] = '.';
			buf[n++] = i < nd ? digits[i] : '0';
		}
	buf[n] = '\0';
	return n;
}

/*
 * A shortest-digits hook (the server installs PostgreSQL's Ryu) changes
 * nothing in the text: the same layout from digits in either notation.
 */
static void
test_shortest_hook(void)
{
	uint64_t	state = 0x9E3779B97F4A7C15ULL;
	long		checked = 0;
	long		differ = 0;
	char		first[160] = "";
	VgmShortestDecimal hooks[2] = {shortest_exponent_form, shortest_plain_form};
	double		fixed[] = {1e15, 9007199254740991.0, 9007199254740992.0, 1e16, 0.1, 1e-5, 1e-4,
	5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -0.5, 100, 1e14, 4.9e-310, 123456.789};

	for (int h = 0; h < 2; h++)
		for (long i = 0; i < 200000 + (long) (sizeof(fixed) / sizeof(fixed[0])); i++)
		{
			double		v;
			char		plain[64];
			char		hooked[64];
			int			a;
			int			b;

			if (i < (long) (sizeof(fixed) / sizeof(fixed[0])))
				v = fixed[i];
			else
			{
				state ^= state << 13;
				state ^= state >> 7;
				state ^= state << 17;
				switch (i % 5)
				{
					case 0:
						memcpy(&v, &state, sizeof(v));
						break;
					case 1:
						v = (double) (state % 100000) / 100.0;
						break;
					case 2:
						v = (double) (int64_t) (state >> (state % 60));
						break;
					case 3:
						v = ldexp((double) (state >> 11), -53) * pow(10, (int) (state % 40) - 20);
						break;
					default:
						v = (double) (state % 1000) * pow(10, (int) (state % 44) - 22);
				}
			}
			if (!isfinite(v))
				continue;
			vgm_set_shortest_decimal(NULL);
			a = vgm_format_double(v, plain, sizeof(plain));
			vgm_set_shortest_decimal(hooks[h]);
			b = vgm_format_double(v, hooked, sizeof(hooked));
			vgm_set_shortest_decimal(NULL);
			checked++;
			if (a != b || strcmp(plain, hooked) != 0)
			{
				if (differ++ == 0)
					snprintf(first, sizeof(first), "%.17g: %s vs %s", v, plain, hooked);
			}
		}
	printf("# shortest-digits hook: %ld values, %ld differ%s%s\n", checked, differ,
		   differ ? ", first " : "", first);
	tap_ok(differ == 0, "format_double: a shortest-digits hook writes the same text");
}

static void
test_round_trip(void)
{
	uint64_t	s = 7;
	static VgmComponent comp[VGM_MAX_COMPONENTS];
	static double w[VGM_MAX_COMPONENTS];
	VgmModelView m;
	int			ks[] = {1, 2, 3, 17, 256};
	long		fails = 0,
				text_fails = 0,
				leaks = 0;
	int			trials = 0;

	/* the plain model */
	{
		Parsed		r;
		char	   *t1,
				   *t2 = NULL;

		base_model(&m, comp, w, 2);
		t1 = format_alloc(&m);
		parse_exact(t1, strlen(t1), &r);
		tap_ok(r.rc == VGM_MODEL_OK, "round trip: plain model parses");
		if (r.rc != VGM_MODEL_OK)
			printf("# %s / %s\n", r.msg, r.detail);
		tap_ok(r.rc == VGM_MODEL_OK && models_equal(&m, &r.m), "round trip: plain model equal");
		tap_ok(r.rc == VGM_MODEL_OK && (double *) (r.m.comp + 2) == r.m.weights,
			   "parse: weights follow comp in one block");
		if (r.rc == VGM_MODEL_OK)
			t2 = format_alloc(&r.m);
		tap_ok(t2 != NULL && strcmp(t1, t2) == 0, "round trip: plain model text identical");
		tap_ok(r.ca.allocs == 1, "parse: one allocation");
		parsed_free(&r);
		tap_ok(r.ca.live == 0, "parse: block freed by caller releasing comp");
		free(t1);
		free(t2);
	}

	for (int rep = 0; rep < 60; rep++)
	{
		for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++)
		{
			Parsed		r;
			char	   *t1,
					   *t2 = NULL;

			random_model(&m, comp, w, ks[ki], &s);
			if (vgm_model_validate(&m, NULL, 0, NULL, 0) != VGM_MODEL_OK)
			{
				char		msg[256],
							det[256];

				vgm_model_validate(&m, msg, sizeof(msg), det, sizeof(det));
				printf("# random model invalid: %s / %s\n", msg, det);
				fails++;
				continue;
			}
			trials++;
			t1 = format_alloc(&m);
			parse_exact(t1, strlen(t1), &r);
			if (r.rc != VGM_MODEL_OK || !models_equal(&m, &r.m))
			{
				if (fails < 3)
					printf("# rc=%d %s / %s\n", r.rc, r.msg, r.detail);
				fails++;
			}
			else
			{
				t2 = format_alloc(&r.m);
				if (t2 == NULL || strcmp(t1, t2) != 0)
					text_fails++;
			}
			parsed_free(&r);
			if (r.ca.live != 0)
				leaks++;
			free(t1);
			free(t2);
		}
	}
	tap_ok(trials == 300 && fails == 0, "round trip: 300 random models bit-exact (k up to 256)");
	tap_ok(text_fails == 0, "round trip: format -> parse -> format identical text");
	tap_ok(leaks == 0, "round trip: no leaks");

	/* extremes of the integer fields */
	{
		Parsed		r;
		char	   *t;

		base_model(&m, comp, w, 2);
		m.hdr.seed = UINT64_MAX;
		m.hdr.rows = INT64_MAX;
		m.hdr.buckets = INT64_MAX;
		m.hdr.iterations = INT32_MAX;
		m.hdr.max_iter = INT32_MAX;
		m.hdr.converged = 0;
		t = format_alloc(&m);
		tap_ok(strstr(t, "\"seed\":18446744073709551615") != NULL &&
			   strstr(t, "\"rows\":9223372036854775807") != NULL &&
			   strstr(t, "\"converged\":false") != NULL,
			   "format: integer extremes written in full");
		parse_exact(t, strlen(t), &r);
		tap_ok(r.rc == VGM_MODEL_OK && models_equal(&m, &r.m),
			   "round trip: uint64 seed max, int64 max, int32 max");
		parsed_free(&r);
		free(t);

		m.hdr.seed = 0;
		t = format_alloc(&m);
		parse_exact(t, strlen(t), &r);
		tap_ok(r.rc == VGM_MODEL_OK && r.m.hdr.seed == 0, "round trip: seed 0");
		parsed_free(&r);
		free(t);
	}

	/* -0 where allowed, subnormal weights, equal min and max */
	{
		Parsed		r;
		char	   *t;

		base_model(&m, comp, w, 2);
		comp[0].mean = -0.0;
		m.hdr.priors.mean = -0.0;
		m.hdr.lower_bound = -0.0;
		m.hdr.min = m.hdr.max = -0.0;
		t = format_alloc(&m);
		parse_exact(t, strlen(t), &r);
		tap_ok(r.rc == VGM_MODEL_OK && models_equal(&m, &r.m) &&
			   signbit(r.m.comp[0].mean) && signbit(r.m.hdr.min),
			   "round trip: negative zero keeps its sign; min == max");
		parsed_free(&r);
		free(t);
	}
}

static void
test_format_buffer(void)
{
	static VgmComponent comp[2];
	static double w[2];
	VgmModelView m;
	char	   *full;
	size_t		n;
	char		small[40];
	int			ok = 1;

	base_model(&m, comp, w, 2);
	full = format_alloc(&m);
	n = strlen(full);
	tap_ok(vgm_model_format(&m, NULL, 0) == n, "format: NULL buffer returns the length needed");
	for (size_t cap = 1; cap <= sizeof(small); cap++)
	{
		memset(small, 'X', sizeof(small));
		if (vgm_model_format(&m, small, cap) != n || strlen(small) != cap - 1 ||
			strncmp(small, full, cap - 1) != 0)
			ok = 0;
		for (size_t j = cap; j < sizeof(small); j++)
			if (small[j] != 'X')
				ok = 0;
	}
	tap_ok(ok, "format: short buffers get a NUL-terminated prefix and no overrun");
	{
		char	   *exact = malloc(n + 1);

		tap_ok(vgm_model_format(&m, exact, n + 1) == n && strcmp(exact, full) == 0,
			   "format: buffer of length + 1 gets the whole text");
		free(exact);
	}
	tap_ok(strchr(full, '\n') == NULL && strchr(full, ' ') == NULL &&
		   strncmp(full, "{\"version\":1,\"dims\":1,\"k\":2,\"weights\":[", 39) == 0,
		   "format: compact, fixed key order");
	free(full);

	/* rows 0 and non-finite min/max: written as 0 */
	{
		Parsed		r;
		char	   *t;

		base_model(&m, comp, w, 2);
		m.hdr.rows = 0;
		m.hdr.buckets = 0;
		m.hdr.total_weight = 0;
		m.hdr.min = NAN;
		m.hdr.max = NAN;
		t = format_alloc(&m);
		tap_ok(strstr(t, "\"min\":0,\"max\":0,") != NULL, "format: no training rows writes min/max 0");
		parse_exact(t, strlen(t), &r);
		tap_ok(r.rc == VGM_MODEL_OK && r.m.hdr.min == 0 && r.m.hdr.max == 0,
			   "parse: model without training rows");
		parsed_free(&r);
		free(t);
	}
	/* a non-finite number is written as null, which does not parse */
	{
		Parsed		r;
		char	   *t;

		base_model(&m, comp, w, 2);
		comp[1].mean = INFINITY;
		t = format_alloc(&m);
		tap_ok(strstr(t, "\"means\":[-1,null]") != NULL, "format: non-finite written as null");
		parse_exact(t, strlen(t), &r);
		tap_ok(r.rc == VGM_MODEL_ERR_RANGE, "parse: null in a number array is rejected");
		parsed_free(&r);
		free(t);
	}
}

/* The plain k = 2 model with keys shuffled, whitespace and escapes in keys. */
static const char reordered_text[] =
	" \r\n\t{ \"training\" : {\"neg_infs\":0, \"pos_infs\" :2,\"nans\":\t1,\n"
	"  \"nulls\":3,\"buckets\":1000,\"max\":7.25,\"min\":-3.5e0,\"total_weight\":1E3,\"rows\":1000 },\n"
	"  \"fit\":{\"fit_ms\":12.75,\"lower_bound\":-1234.5678,\"converged\" : true,\n"
	"     \"iterations\":42,\"seed\":12345,\"tol\":1e-3,\"max_iter\":100},\n"
	"  \"priors\": {\"reg_covar\":0.000001,\"covariance\":2.250,\"degrees_of_freedom\":1.0,\n"
	"     \"mean\":0.5,\"mean_precision\":1,\"weight_concentration\":0.001},\n"
	"  \"weight\\u005fthreshold\":0.005,\n"
	"  \"weight_concentration_b\":[ 751.001 , 0.001 ],\n"
	"  \"weight_concentration_a\":[251,751],\"degrees_of_freedom\":[251,751],\n"
	"  \"mean_precision\":[251,751],\"covariances\":[5e-1,2],\"means\":[-1,0.5],\n"
	"  \"weights\":[0.25,0.75],\"\\u006B\":2,\"di\\u006ds\":1,\"vers\\u0069on\":1\n"
	"}\n\t ";

static void
test_reordered(void)
{
	static VgmComponent comp[2];
	static double w[2];
	VgmModelView m;
	Parsed		r;
	char	   *t1,
			   *t2 = NULL;

	base_model(&m, comp, w, 2);
	parse_exact(reordered_text, strlen(reordered_text), &r);
	if (r.rc != VGM_MODEL_OK)
		printf("# %s / %s\n", r.msg, r.detail);
	tap_ok(r.rc == VGM_MODEL_OK && models_equal(&m, &r.m),
		   "parse: keys in another order, whitespace and escaped keys");
	t1 = format_alloc(&m);
	if (r.rc == VGM_MODEL_OK)
		t2 = format_alloc(&r.m);
	tap_ok(t2 != NULL && strcmp(t1, t2) == 0, "parse: reordered text formats canonically");
	parsed_free(&r);
	free(t1);
	free(t2);

	/* allocator NULL: malloc / free */
	{
		VgmModelView out;
		char		msg[128],
					det[256];
		int			rc = vgm_model_parse(reordered_text, strlen(reordered_text), &out,
										 NULL, msg, sizeof(msg), det, sizeof(det));

		tap_ok(rc == VGM_MODEL_OK && out.comp != NULL && out.comp[1].covariance == 2,
			   "parse: NULL allocator uses malloc");
		free(out.comp);
	}
}

static void
test_errors(const char *base)
{
	char		buf[8192];
	Parsed		r;

	expect_cases(base, error_cases, lengthof(error_cases));

	/* texts built at run time */
	{
		/* a NUL byte inside the text (explicit length) */
		size_t		n = strlen(base);

		memcpy(buf, base, n);
		buf[10] = '\0';
		expect_error("NUL byte inside", buf, n, VGM_MODEL_ERR_SYNTAX, NULL);
	}

	/* trailing garbage */
	snprintf(buf, sizeof(buf), "%s x", base);
	expect_error_str("trailing garbage", buf, VGM_MODEL_ERR_SYNTAX, "trailing garbage");
	snprintf(buf, sizeof(buf), "%s}", base);
	expect_error_str("extra closing brace", buf, VGM_MODEL_ERR_SYNTAX, "trailing garbage");
	snprintf(buf, sizeof(buf), "%s%s", base, base);
	expect_error_str("two objects", buf, VGM_MODEL_ERR_SYNTAX, "trailing garbage");
	snprintf(buf, sizeof(buf), "\n %s \r\n\t ", base);
	parse_exact(buf, strlen(buf), &r);
	tap_ok(r.rc == VGM_MODEL_OK, "parse: surrounding whitespace is fine");
	parsed_free(&r);

	/* nesting */
	{
		char		deep[400];
		int			j = 0;

		j += snprintf(deep, sizeof(deep), "{\"extra\":");
		for (int i = 0; i < 100; i++)
			deep[j++] = '[';
		for (int i = 0; i < 100; i++)
			deep[j++] = ']';
		deep[j++] = '}';
		deep[j] = '\0';
		expect_error_str("nesting too deep", deep, VGM_MODEL_ERR_SYNTAX, NULL);
	}

	/* a key, an array and a number longer than the parser keeps */
	{
		char		longkey[400];

		snprintf(longkey, sizeof(longkey), "\"dims\":1,\"%0300d\":1,", 7);
		expect_subst("very long key", base, "\"dims\":1,", longkey, VGM_MODEL_ERR_FIELD, "...\"");
	}
	{
		/* 300 elements */
		char		big[4000];
		int			j = snprintf(big, sizeof(big), "\"means\":[");

		for (int i = 0; i < 300; i++)
			j += snprintf(big + j, sizeof(big) - (size_t) j, "%s1", i ? "," : "");
		snprintf(big + j, sizeof(big) - (size_t) j, "],");
		expect_subst("array longer than VGM_MAX_COMPONENTS", base, "\"means\":[-1,0.5],", big,
					 VGM_MODEL_ERR_RANGE, "does not match k");
	}
	{
		char		longnum[1300];

		snprintf(longnum, sizeof(longnum), "[-1,0.%01100d5]", 0);
		expect_subst("number too long", base, "[-1,0.5]", longnum, VGM_MODEL_ERR_RANGE,
					 "number too long");
	}

	/* the edges the validator accepts */
	parse_subst(base, "[0.25,0.75]", "[0.25,0.7500000001]", &r);
	tap_ok(r.rc == VGM_MODEL_OK, "validate: weights within 1e-9 of 1 are accepted");
	parsed_free(&r);
	parse_subst(base, "\"min\":-3.5", "\"min\":7.25", &r);
	tap_ok(r.rc == VGM_MODEL_OK && r.m.hdr.min == r.m.hdr.max, "validate: min == max is fine");
	parsed_free(&r);
	parse_subst(base, "\"converged\":true", "\"converged\":false", &r);
	tap_ok(r.rc == VGM_MODEL_OK && r.m.hdr.converged == 0, "parse: converged false");
	parsed_free(&r);
}

static void
test_error_details(const char *base)
{
	Parsed		r;
	char	   *t;

	t = replace(base, "[0.25,0.75]", "[0.25,0.73]");
	parse_exact(t, strlen(t), &r);
	tap_ok(strcmp(r.msg, "invalid vgm_model: weights do not sum to 1") == 0 &&
		   strcmp(r.detail, "The weights sum to 0.98; a model's weights must sum to 1 within 1e-9.") == 0,
		   "messages: weight sum message and detail");
	parsed_free(&r);
	free(t);

	t = replace(base, "\"dims\":1,", "\"dims\":1 x");
	parse_exact(t, strlen(t), &r);
	tap_ok(r.rc == VGM_MODEL_ERR_SYNTAX &&
		   strstr(r.detail, "at byte offset 22;") != NULL &&
		   strstr(r.detail, "\"x\"") != NULL,
		   "messages: syntax detail gives the byte offset and character");
	if (r.rc != VGM_MODEL_ERR_SYNTAX || strstr(r.detail, "byte offset 22;") == NULL)
		printf("# %s\n", r.detail);
	parsed_free(&r);
	free(t);

	parse_exact(base, 30, &r);
	tap_ok(r.rc == VGM_MODEL_ERR_SYNTAX && strstr(r.detail, "end of input at byte offset 30") != NULL,
		   "messages: truncated text reports end of input");
	parsed_free(&r);

	/* truncation of the message buffers */
	{
		char		msg[12],
					det[9];
		VgmModelView m;
		int			rc;

		memset(msg, 'X', sizeof(msg));
		memset(det, 'X', sizeof(det));
		rc = vgm_model_parse("{\"k\":", 5, &m, NULL, msg, sizeof(msg), det, sizeof(det));
		tap_ok(rc == VGM_MODEL_ERR_SYNTAX && strlen(msg) == sizeof(msg) - 1 &&
			   strlen(det) == sizeof(det) - 1 && strncmp(msg, "invalid vgm", 11) == 0,
			   "messages: truncated to the buffer sizes");
		rc = vgm_model_parse("{\"k\":", 5, &m, NULL, NULL, 0, NULL, 0);
		tap_ok(rc == VGM_MODEL_ERR_SYNTAX, "messages: NULL buffers accepted");
		msg[0] = 'X';
		det[0] = 'X';
		rc = vgm_model_parse("{}", 2, &m, NULL, msg, 1, det, 1);
		tap_ok(rc == VGM_MODEL_ERR_FIELD && msg[0] == '\0' && det[0] == '\0',
			   "messages: one-byte buffers get empty strings");
		rc = vgm_model_parse(NULL, 0, &m, NULL, NULL, 0, NULL, 0);
		tap_ok(rc == VGM_MODEL_ERR_SYNTAX && m.comp == NULL, "parse: NULL text is a syntax error");
	}
}

static void
test_truncation_and_mutation(void)
{
	static VgmComponent comp[VGM_MAX_COMPONENTS];
	static double w[VGM_MAX_COMPONENTS];
	VgmModelView m;
	char	   *t;
	size_t		n;
	long		bad = 0,
				leaks = 0,
				ok_count = 0,
				rt_bad = 0;
	uint64_t	s = 99;

	base_model(&m, comp, w, 3);
	t = format_alloc(&m);
	n = strlen(t);
	for (size_t cut = 0; cut < n; cut++)
	{
		Parsed		r;

		parse_exact(t, cut, &r);
		if (r.rc != VGM_MODEL_ERR_SYNTAX || r.m.comp != NULL ||
			strstr(r.detail, "byte offset") == NULL)
		{
			if (bad < 3)
				printf("# cut %zu: rc=%d %s / %s\n", cut, r.rc, r.msg, r.detail);
			bad++;
		}
		parsed_free(&r);
		if (r.ca.live != 0)
			leaks++;
	}
	tap_ok(bad == 0, "truncation: every proper prefix is a syntax error");
	tap_ok(leaks == 0, "truncation: no leaks");

	/* random byte mutations: no crash, no leak, accepted texts round-trip */
	bad = 0;
	for (int it = 0; it < 30000; it++)
	{
		char		buf[2048];
		size_t		len = n;
		int			edits = 1 + (int) (splitmix64(&s) % 4);
		Parsed		r;

		memcpy(buf, t, n);
		for (int e = 0; e < edits; e++)
		{
			uint64_t	r1 = splitmix64(&s);
			size_t		at = (size_t) (r1 % (len + 1));
			static const char interesting[] = "{}[]\":,-+.eE0123456789 \\u\ttruefalsenullNaN";
			char		c = (r1 >> 32) % 3 == 0 ? (char) (r1 >> 40)
				: interesting[(r1 >> 40) % (sizeof(interesting) - 1)];

			switch ((r1 >> 20) % 3)
			{
				case 0:			/* replace */
					if (at < len)
						buf[at] = c;
					break;
				case 1:			/* insert */
					if (len + 1 < sizeof(buf))
					{
						memmove(buf + at + 1, buf + at, len - at);
						buf[at] = c;
						len++;
					}
					break;
				default:		/* delete */
					if (at < len)
					{
						memmove(buf + at, buf + at + 1, len - at - 1);
						len--;
					}
					break;
			}
		}
		parse_exact(buf, len, &r);
		if (r.rc == VGM_MODEL_OK)
		{
			char	   *t2 = format_alloc(&r.m);
			Parsed		r2;

			ok_count++;
			parse_exact(t2, strlen(t2), &r2);
			if (r2.rc != VGM_MODEL_OK || !models_equal(&r.m, &r2.m))
				rt_bad++;
			parsed_free(&r2);
			free(t2);
		}
		else if (r.rc < VGM_MODEL_ERR_SYNTAX || r.rc > VGM_MODEL_ERR_RANGE ||
				 r.m.comp != NULL || r.msg[0] == '\0' || r.detail[0] == '\0')
			bad++;
		parsed_free(&r);
		if (r.ca.live != 0)
			leaks++;
	}
	printf("# mutations accepted: %ld of 30000\n", ok_count);
	tap_ok(bad == 0, "mutation: every rejection has a code and messages");
	tap_ok(leaks == 0, "mutation: no leaks");
	tap_ok(rt_bad == 0, "mutation: accepted texts round-trip");
	free(t);
}

static void
test_allocator(const char *base)
{
	Parsed		r;
	VgmAllocator alloc;
	CountingAlloc ca;
	VgmModelView m;
	char		msg[128],
				det[256];
	int			rc;
	char	   *t;

	alloc = counting_allocator(&ca, 0);
	rc = vgm_model_parse(base, strlen(base), &m, &alloc, msg, sizeof(msg), det, sizeof(det));
	tap_ok(rc == VGM_MODEL_ERR_NOMEM && ca.live == 0 && m.comp == NULL &&
		   strcmp(msg, "invalid vgm_model: out of memory") == 0,
		   "allocator: failure gives NOMEM");

	/* validation failure after allocation releases the block */
	t = replace(base, "[0.5,2]", "[0.5,-2]");
	parse_exact(t, strlen(t), &r);
	tap_ok(r.rc == VGM_MODEL_ERR_RANGE && r.ca.allocs == 1 && r.ca.live == 0 && r.m.comp == NULL,
		   "allocator: block released when validation fails");
	parsed_free(&r);
	free(t);
}

/* The status, message and detail of validating a view. */
typedef struct Verdict
{
	int			rc;
	char		msg[128];
	char		det[256];
} Verdict;

/* Validate m into a fresh verdict. */
static Verdict
validated(const VgmModelView *m)
{
	Verdict		v;

	v.rc = vgm_model_validate(m, v.msg, sizeof(v.msg), v.det, sizeof(v.det));
	return v;
}

static void
test_validate(void)
{
	static VgmComponent comp[VGM_MAX_COMPONENTS];
	static double w[VGM_MAX_COMPONENTS];
	VgmModelView m;
	Verdict		v;

	base_model(&m, comp, w, 3);
	v = validated(&m);
	tap_ok(v.rc == VGM_MODEL_OK && v.msg[0] == '\0' && v.det[0] == '\0', "validate: valid model");
	tap_ok(validated(NULL).rc == VGM_MODEL_ERR_RANGE, "validate: NULL model");

	comp[1].mean = NAN;
	v = validated(&m);
	tap_ok(v.rc == VGM_MODEL_ERR_RANGE && strstr(v.msg, "non-finite") != NULL &&
		   strstr(v.det, "\"means[1]\" is NaN") != NULL, "validate: NaN mean");
	base_model(&m, comp, w, 3);
	m.hdr.lower_bound = -INFINITY;
	v = validated(&m);
	tap_ok(v.rc == VGM_MODEL_ERR_RANGE && strstr(v.det, "-Infinity") != NULL,
		   "validate: infinite lower bound");
	base_model(&m, comp, w, 3);
	m.hdr.max = INFINITY;
	tap_ok(validated(&m).rc == VGM_MODEL_ERR_RANGE, "validate: infinite max");
	base_model(&m, comp, w, 3);
	m.hdr.dims = 2;
	tap_ok(validated(&m).rc == VGM_MODEL_ERR_VERSION, "validate: dims 2");
	base_model(&m, comp, w, 3);
	m.hdr.version = 7;
	tap_ok(validated(&m).rc == VGM_MODEL_ERR_VERSION, "validate: version 7");
	base_model(&m, comp, w, 3);
	m.hdr.k = 0;
	tap_ok(validated(&m).rc == VGM_MODEL_ERR_RANGE, "validate: k 0");
	m.hdr.k = VGM_MAX_COMPONENTS + 1;
	tap_ok(validated(&m).rc == VGM_MODEL_ERR_RANGE, "validate: k 257");
	base_model(&m, comp, w, 3);
	m.hdr.converged = 2;
	tap_ok(validated(&m).rc == VGM_MODEL_ERR_RANGE, "validate: converged 2");
	base_model(&m, comp, w, 3);
	m.hdr.rows = -1;
	tap_ok(validated(&m).rc == VGM_MODEL_ERR_RANGE, "validate: negative rows");
	base_model(&m, comp, w, 3);
	m.hdr.weight_threshold = NAN;
	tap_ok(validated(&m).rc == VGM_MODEL_ERR_RANGE, "validate: NaN threshold");
	base_model(&m, comp, w, 3);
	m.weights = NULL;
	tap_ok(validated(&m).rc == VGM_MODEL_ERR_RANGE, "validate: missing arrays");
	base_model(&m, comp, w, 3);
	w[0] = 0.3;
	w[1] = 0.3;
	w[2] = 0.38;
	v = validated(&m);
	tap_ok(v.rc == VGM_MODEL_ERR_RANGE &&
		   strcmp(v.det, "The weights sum to 0.98; a model's weights must sum to 1 within 1e-9.") == 0,
		   "validate: weights sum detail");
	{
		/* format of an invalid k does not read the arrays */
		char		buf[2048];

		base_model(&m, comp, w, 3);
		m.hdr.k = 100000;
		vgm_model_format(&m, buf, sizeof(buf));
		tap_ok(strstr(buf, "\"weights\":[]") != NULL, "format: k out of range writes empty arrays");
	}
}

/*
 * Atoms (format version 2): the text round trip is exact, the field is
 * written only with atoms, and every rule of the atoms is enforced by the
 * parser and by the validator alike.
 */
static void
test_atoms(void)
{
	static VgmComponent comp[2];
	static double w[2];
	double		av[2] = {0.0, 9.99};
	double		aw[2] = {0.15, 0.05};
	VgmModelView m;
	char	   *plain;
	char	   *text;
	char	   *again;
	Parsed		r;
	char		msg[256];
	char		detail[512];

	base_model(&m, comp, w, 2);
	plain = format_alloc(&m);
	tap_ok(plain != NULL && strstr(plain, "\"atoms\"") == NULL && strstr(plain, "\"version\":1,") != NULL,
		   "atoms: a model without atoms has version 1 and no atoms field");
	free(plain);

	/* the same mixture with 20 % of its weight moved to two atoms */
	w[0] *= 0.8;
	w[1] *= 0.8;
	m.hdr.version = vgm_model_version_for(2);
	m.hdr.n_atoms = 2;
	m.atom_values = av;
	m.atom_weights = aw;
	tap_ok(vgm_model_validate(&m, msg, sizeof(msg), detail, sizeof(detail)) == VGM_MODEL_OK,
		   "atoms: a model with two atoms is valid");
	text = format_alloc(&m);
	tap_ok(text != NULL && strstr(text, "\"version\":2,") != NULL &&
		   strstr(text, "\"atoms\":[[0,0.15],[9.99,0.05]],\"weight_threshold\"") != NULL,
		   "atoms: written as [value, weight] pairs before weight_threshold");
	parse_exact(text, strlen(text), &r);
	tap_ok(r.rc == VGM_MODEL_OK && r.m.hdr.n_atoms == 2 && r.m.hdr.version == 2 &&
		   r.m.atom_values[0] == 0.0 && r.m.atom_values[1] == 9.99 &&
		   r.m.atom_weights[0] == 0.15 && r.m.atom_weights[1] == 0.05 && r.ca.allocs == 1,
		   "atoms: parsed back exactly, in the one block");
	again = r.rc == VGM_MODEL_OK ? format_alloc(&r.m) : NULL;
	tap_ok(again != NULL && strcmp(again, text) == 0, "atoms: text round trip is byte-identical");
	free(again);
	parsed_free(&r);
	tap_ok(r.ca.live == 0, "atoms: the block is released");

	/* the parser's rules */
	expect_cases(text, atom_cases, lengthof(atom_cases));
	{
		char		many[2048];
		size_t		n = 0;
		char	   *t;

		n += snprintf(many + n, sizeof(many) - n, "[");
		for (int i = 0; i < 17; i++)
			n += snprintf(many + n, sizeof(many) - n, "%s[%d,0.01]", i ? "," : "", i);
		snprintf(many + n, sizeof(many) - n, "]");
		t = replace(text, "[[0,0.15],[9.99,0.05]]", many);
		expect_error_str("17 atoms", t, VGM_MODEL_ERR_RANGE, "too many atoms");
		free(t);
	}

	/* the validator's rules on a view */
	m.hdr.version = 1;
	tap_ok(vgm_model_validate(&m, msg, sizeof(msg), detail, sizeof(detail)) == VGM_MODEL_ERR_RANGE &&
		   strstr(msg, "format version does not match the atoms") != NULL,
		   "atoms: validate refuses version 1 with atoms");
	m.hdr.version = 2;
	m.hdr.n_atoms = 0;
	tap_ok(vgm_model_validate(&m, msg, sizeof(msg), detail, sizeof(detail)) == VGM_MODEL_ERR_RANGE,
		   "atoms: validate refuses version 2 without atoms");
	m.hdr.n_atoms = VGM_MAX_ATOMS + 1;
	tap_ok(vgm_model_validate(&m, msg, sizeof(msg), detail, sizeof(detail)) == VGM_MODEL_ERR_RANGE &&
		   strstr(msg, "too many atoms") != NULL, "atoms: validate refuses 17 atoms");
	m.hdr.n_atoms = 2;
	m.atom_values = NULL;
	tap_ok(vgm_model_validate(&m, msg, sizeof(msg), detail, sizeof(detail)) == VGM_MODEL_ERR_RANGE,
		   "atoms: validate refuses missing atom arrays");
	m.atom_values = av;
	av[1] = NAN;
	tap_ok(vgm_model_validate(&m, msg, sizeof(msg), detail, sizeof(detail)) == VGM_MODEL_ERR_RANGE &&
		   strstr(msg, "non-finite number in field \"atoms[1][0]\"") != NULL,
		   "atoms: validate refuses a NaN atom value");
	av[1] = 9.99;
	/* every mixture weight at or below the threshold: no component for the other values */
	m.hdr.weight_threshold = 0.79;
	tap_ok(vgm_model_validate(&m, msg, sizeof(msg), detail, sizeof(detail)) == VGM_MODEL_ERR_RANGE &&
		   strstr(msg, "no valid mixture component") != NULL,
		   "atoms: validate refuses atoms without a valid mixture component");
	free(text);
}

int
main(void)
{
	static VgmComponent comp[2];
	static double w[2];
	VgmModelView m;
	char	   *base;

	base_model(&m, comp, w, 2);
	base = format_alloc(&m);

	test_format_double();
	test_shortest_hook();
	test_round_trip();
	test_format_buffer();
	test_reordered();
	test_errors(base);
	test_error_details(base);
	test_truncation_and_mutation();
	test_allocator(base);
	test_validate();
	test_atoms();

	free(base);
	return tap_done();
}
