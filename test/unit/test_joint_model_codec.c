/*
 * test_joint_model_codec.c - unit tests of the vgm_joint_model codecs:
 *                            validation, JSON text and binary form.
 *
 * Texts and messages are handed to the parsers as heap blocks of exactly
 * their length (no NUL), so a sanitizer build catches a read past the end;
 * a counting allocator checks that no path leaks and that every failed
 * allocation is reported as such.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary_codec.h"
#include "counting_alloc.h"
#include "joint_model_codec.h"
#include "rng.h"
#include "tap.h"

/* ---- helpers ------------------------------------------------------------ */

/* A hand-written model of dims d and k components, its arrays in storage. */
typedef struct Built
{
	VgmJointModelView m;
	double		block[VGM_JOINT_MAX_COMPONENTS * (5 + 16 + 256)];
} Built;

/* A random symmetric positive definite d x d matrix: B B^T + d I, scaled. */
static void
random_spd(double *a, int d, double scale)
{
	double		b[256];

	for (int i = 0; i < d * d; i++)
		b[i] = rng_normal();
	for (int i = 0; i < d; i++)
		for (int j = 0; j < d; j++)
		{
			double		s = i == j ? d : 0.0;

			for (int p = 0; p < d; p++)
				s += b[i * d + p] * b[j * d + p];
			a[i * d + j] = s * scale;
		}
	/* exact symmetry: the products above are computed in the same order both ways */
	for (int i = 0; i < d; i++)
		for (int j = 0; j < i; j++)
			a[j * d + i] = a[i * d + j];
}

/* A valid model with random values (seeded). */
static void
build(Built *b, int d, int k, uint64_t seed)
{
	VgmJointModelHeader *h = &b->m.hdr;
	VgmJointPosterior *p = &b->m.post;
	double		sum = 0.0;

	rng_state = seed;
	memset(b, 0, sizeof(*b));
	h->version = VGM_JOINT_MODEL_FORMAT_VERSION;
	h->d = d;
	h->k = k;
	h->iterations = 17;
	h->converged = 1;
	h->max_iter = 1000;
	h->n_init = 5;
	h->seed = UINT64_MAX - 3;
	h->tol = 1e-8;
	h->weight_threshold = 0.005;
	h->priors.d = d;
	h->priors.weight_concentration = 0.001;
	h->priors.mean_precision = 1.0;
	h->priors.degrees_of_freedom = d;
	h->priors.reg_covar = 1e-6;
	for (int i = 0; i < d; i++)
		h->priors.mean[i] = rng_normal() * 1e3;
	random_spd(h->priors.covariance, d, 3.5);
	h->lower_bound = -12345.678;
	h->fit_ms = 1.25;
	h->rows = 1000000;
	h->points = 999;
	h->skipped_rows = 3;
	h->total_weight = 1e6;
	vgm_joint_model_arrays(p, d, k, b->block);
	for (int j = 0; j < k; j++)
	{
		p->weights[j] = rng_unif();
		sum += p->weights[j];
		p->conc_a[j] = 1 + rng_unif() * 1e5;
		p->conc_b[j] = 0.001 + rng_unif() * 1e5;
		p->mean_precision[j] = 1 + rng_unif() * 1e5;
		p->dof[j] = d + rng_unif() * 1e5;
		for (int i = 0; i < d; i++)
			p->means[j * d + i] = rng_normal() * 100;
		random_spd(p->covariances + (size_t) j * d * d, d, 1e-3 + rng_unif());
	}
	for (int j = 0; j < k; j++)
		p->weights[j] /= sum;
}

/* The text of a model (malloc'd, NUL-terminated). */
static char *
text_of(const VgmJointModelView *m)
{
	JtOut		o;

	jt_out_growable(&o, NULL, 64);
	vgm_joint_model_write(&o, m);
	return jt_out_text(&o);
}

/* Results of one parse. */
typedef struct Parsed
{
	int			rc;
	VgmJointModelView m;
	char		msg[256];
	char		detail[512];
	CountingAlloc ca;
	VgmAllocator alloc;
} Parsed;

/* Parse len bytes from an exact-size heap copy; the model's block is released by done(). */
static void
parse_exact(const char *text, size_t len, Parsed *r, long fail_after)
{
	char	   *copy = malloc(len > 0 ? len : 1);

	memset(r->msg, 0, sizeof(r->msg));
	memset(r->detail, 0, sizeof(r->detail));
	r->alloc = counting_allocator(&r->ca, fail_after);
	memcpy(copy, text, len);
	r->rc = vgm_joint_model_parse(copy, len, &r->m, &r->alloc, r->msg, sizeof(r->msg),
								  r->detail, sizeof(r->detail));
	free(copy);
}

/* Release what a successful parse allocated; true when nothing is left live. */
static int
done(Parsed *r)
{
	if (r->rc == VGM_TEXT_OK)
		vgm_mem_free(&r->alloc, r->m.post.conc_a);
	return r->ca.live == 0;
}

/* Parse a NUL-terminated text, expect status rc and msg containing want. */
static void
expect_error(const char *text, int rc, const char *want, const char *name)
{
	Parsed		r;
	char		label[1400];

	parse_exact(text, strlen(text), &r, -1);
	snprintf(label, sizeof(label), "%s: status %d, message \"%s\" (got %d \"%s\" / %s)",
			 name, rc, want, r.rc, r.msg, r.detail);
	tap_ok(r.rc == rc && strstr(r.msg, want) != NULL && r.detail[0] != '\0', label);
	done(&r);
}

/* Every double of two views has the same bits. */
static int
same_model(const VgmJointModelView *a, const VgmJointModelView *b)
{
	size_t		n = vgm_joint_model_doubles(a->hdr.d, a->hdr.k);
	VgmJointModelHeader ha = a->hdr,
				hb = b->hdr;

	if (a->hdr.d != b->hdr.d || a->hdr.k != b->hdr.k)
		return 0;
	/* the priors' arrays beyond d are not part of the value */
	for (int i = a->hdr.d; i < VGM_JOINT_MAX_DIMS; i++)
		ha.priors.mean[i] = hb.priors.mean[i] = 0;
	for (int i = a->hdr.d * a->hdr.d; i < VGM_JOINT_MAX_DIMS * VGM_JOINT_MAX_DIMS; i++)
		ha.priors.covariance[i] = hb.priors.covariance[i] = 0;
	return memcmp(&ha, &hb, sizeof(ha)) == 0 &&
		memcmp(a->post.conc_a, b->post.conc_a, n * sizeof(double)) == 0;
}

/* Replace the first occurrence of from in text by to (malloc'd result). */
static char *
replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t		n = strlen(text) + strlen(to) + 1;
	char	   *out = malloc(n);

	if (at == NULL)
	{
		snprintf(out, n, "%s", text);
		return out;
	}
	snprintf(out, n, "%.*s%s%s", (int) (at - text), text, to, at + strlen(from));
	return out;
}

/* ---- tests --------------------------------------------------------------- */

/* L L^T reproduces a random SPD matrix; singular and indefinite ones fail at the right row. */
static void
test_cholesky(void)
{
	double		a[256],
				l[256];
	double		worst = 0.0;

	rng_state = 7;
	for (int d = 1; d <= 16; d++)
	{
		random_spd(a, d, 1.0);
		if (vgm_joint_cholesky(a, d, l) != 0)
		{
			worst = INFINITY;
			continue;
		}
		for (int i = 0; i < d; i++)
			for (int j = 0; j < d; j++)
			{
				double		s = 0.0;

				for (int p = 0; p < d; p++)
					s += l[i * d + p] * l[j * d + p];
				worst = fmax(worst, fabs(s - a[i * d + j]) / fabs(a[i * d + i]));
				if (j > i && l[i * d + j] != 0.0)
					worst = INFINITY;
			}
	}
	tap_ok(worst < 1e-14, "cholesky: L L^T = A within 1e-14 for d = 1..16, upper part zero");
	/* [[1,2],[2,4]] is singular: the pivot of row 1 is exactly 0 */
	{
		double		s[4] = {1, 2, 2, 4};
		double		ind[9] = {1, 0, 0, 0, -1, 0, 0, 0, 1};
		double		nan[4] = {NAN, 0, 0, 1};

		tap_ok(vgm_joint_cholesky(s, 2, l) == 2, "cholesky: a singular 2x2 fails at row 1");
		tap_ok(vgm_joint_cholesky(ind, 3, l) == 2, "cholesky: an indefinite 3x3 fails at row 1");
		tap_ok(vgm_joint_cholesky(nan, 2, l) == 1, "cholesky: NaN fails at row 0");
	}
}

/* Make a built model one of format version 2: each column's training range around the prior mean. */
static void
add_range(Built *b)
{
	VgmJointModelHeader *h = &b->m.hdr;

	h->version = VGM_JOINT_MODEL_FORMAT_VERSION_RANGE;
	for (int i = 0; i < h->d; i++)
	{
		h->col_min[i] = h->priors.mean[i] - 1e3 * rng_unif();
		h->col_max[i] = h->priors.mean[i] + 1e3 * rng_unif();
	}
}

/* Text round trip: write, parse, same bits, same text; for several shapes, every other one of version 2. */
static void
test_text_round_trip(void)
{
	static const int shapes[][2] = {{1, 1}, {2, 3}, {4, 10}, {16, 2}, {3, 64}};
	static Built b;

	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
	{
		Parsed		r;
		char	   *t1,
				   *t2;
		char		label[512];
		char		msg[256],
					detail[256];

		build(&b, shapes[s][0], shapes[s][1], 100 + s);
		if (s % 2 == 1)
			add_range(&b);
		snprintf(label, sizeof(label), "built model dims %d k %d is valid", shapes[s][0], shapes[s][1]);
		tap_ok(vgm_joint_model_validate(&b.m, msg, sizeof(msg), detail, sizeof(detail)) == VGM_TEXT_OK,
			   label);
		t1 = text_of(&b.m);
		parse_exact(t1, strlen(t1), &r, -1);
		snprintf(label, sizeof(label), "text round trip dims %d k %d version %d: same bits (%s)",
				 shapes[s][0], shapes[s][1], (int) b.m.hdr.version, r.msg);
		tap_ok(r.rc == VGM_TEXT_OK && same_model(&b.m, &r.m), label);
		t2 = text_of(&r.m);
		snprintf(label, sizeof(label), "text round trip dims %d k %d: same text", shapes[s][0], shapes[s][1]);
		tap_ok(strcmp(t1, t2) == 0, label);
		tap_ok(done(&r), "text parse leaves no allocation behind");
		free(t1);
		free(t2);
	}
}

/* Keys in another order (as jsonb sorts them) and whitespace read the same model. */
static void
test_key_order(void)
{
	const char *sorted =
		" { \"k\" : 2 , \"fit\": {\"seed\": 42, \"tol\": 0.001, \"fit_ms\": 0, \"n_init\": 1, "
		"\"max_iter\": 100, \"converged\": true, \"iterations\": 3, \"lower_bound\": -1.5},\n"
		"\"dims\": 2, \"means\": [[0, 1], [5, -5]], \"priors\": {\"mean\": [2.5, -2], "
		"\"reg_covar\": 1e-6, \"covariance\": [[7, 0.5], [0.5, 3]], \"mean_precision\": 1, "
		"\"degrees_of_freedom\": 2, \"weight_concentration\": 0.001}, \"weights\": [0.5, 0.5], "
		"\"version\": 1, \"training\": {\"rows\": 10, \"points\": 10, \"total_weight\": 10, "
		"\"skipped_rows\": 0}, \"covariances\": [[[1, 0.25], [0.25, 2]], [[1, 0], [0, 1]]], "
		"\"mean_precision\": [6, 6], \"weight_threshold\": 0.005, \"degrees_of_freedom\": [7, 7], "
		"\"weight_concentration_a\": [6, 6], \"weight_concentration_b\": [5.001, 0.001]}\t";
	Parsed		r;
	char	   *t;
	Parsed		r2;

	parse_exact(sorted, strlen(sorted), &r, -1);
	tap_ok(r.rc == VGM_TEXT_OK, "keys in any order and whitespace are accepted");
	tap_ok(r.rc == VGM_TEXT_OK && r.m.hdr.d == 2 && r.m.hdr.k == 2 &&
		   r.m.post.covariances[1] == 0.25 && r.m.post.means[2] == 5 &&
		   r.m.hdr.priors.covariance[3] == 3 && r.m.hdr.converged == 1 && r.m.hdr.seed == 42,
		   "values land in their places (row-major covariances, means)");
	if (r.rc != VGM_TEXT_OK)
		return;
	t = text_of(&r.m);
	tap_ok(strncmp(t, "{\"version\":1,\"dims\":2,\"k\":2,\"weights\":[0.5,0.5],\"means\":[[0,1],[5,-5]]", 70) == 0,
		   "the writer's fixed key order");
	parse_exact(t, strlen(t), &r2, -1);
	tap_ok(r2.rc == VGM_TEXT_OK && same_model(&r.m, &r2.m), "and reads back");
	done(&r);
	done(&r2);
	free(t);
}

/* Named errors: each broken text gives its status and message. */
static void
test_errors(void)
{
	static Built b;
	char	   *good;
	char	   *t;

	build(&b, 2, 2, 5);
	good = text_of(&b.m);

	expect_error("", VGM_TEXT_ERR_SYNTAX, "malformed JSON", "empty text");
	expect_error("[1]", VGM_TEXT_ERR_SYNTAX, "malformed JSON", "an array");
	t = malloc(strlen(good) + 3);
	sprintf(t, "%s x", good);
	expect_error(t, VGM_TEXT_ERR_SYNTAX, "trailing garbage", "trailing garbage");
	free(t);
	t = replace(good, "\"version\":1", "\"version\":3");
	expect_error(t, VGM_TEXT_ERR_VERSION, "unsupported format version", "version 3");
	free(t);
	/* version 2: the columns' training range, both arrays and only there */
	t = replace(good, "\"version\":1", "\"version\":2");
	expect_error(t, VGM_TEXT_ERR_FIELD, "missing field \"training.min\"", "version 2 without its range");
	free(t);
	t = replace(good, "\"version\":1", "\"version\":\"1\"");
	expect_error(t, VGM_TEXT_ERR_VERSION, "unsupported format version", "version as a string");
	free(t);
	t = replace(good, "\"k\":2", "\"k\":2,\"colour\":3");
	expect_error(t, VGM_TEXT_ERR_FIELD, "unknown field \"colour\"", "unknown field");
	free(t);
	t = replace(good, "\"k\":2", "\"k\":2,\"dims\":2");
	expect_error(t, VGM_TEXT_ERR_FIELD, "duplicate field \"dims\"", "duplicate field");
	free(t);
	t = replace(good, "\"k\":2,", "");
	expect_error(t, VGM_TEXT_ERR_FIELD, "missing field \"k\"", "missing field");
	free(t);
	t = replace(good, "\"skipped_rows\":3,", "");
	expect_error(t, VGM_TEXT_ERR_FIELD, "missing field \"training.skipped_rows\"", "missing nested field");
	free(t);
	t = replace(good, "\"dims\":2", "\"dims\":17");
	expect_error(t, VGM_TEXT_ERR_RANGE, "dims out of range", "dims 17");
	free(t);
	t = replace(good, "\"dims\":2", "\"dims\":0");
	expect_error(t, VGM_TEXT_ERR_RANGE, "dims out of range", "dims 0");
	free(t);
	t = replace(good, "\"k\":2", "\"k\":65");
	expect_error(t, VGM_TEXT_ERR_RANGE, "k out of range", "k 65");
	free(t);
	t = replace(good, "\"k\":2", "\"k\":3");
	expect_error(t, VGM_TEXT_ERR_RANGE, "length of field \"weights\" does not match k", "k disagrees with the arrays");
	free(t);
	t = replace(good, "\"dims\":2", "\"dims\":3");
	expect_error(t, VGM_TEXT_ERR_RANGE, "shape of field \"means\" does not match dims", "dims disagrees with the arrays");
	free(t);
	t = replace(good, "\"iterations\":17", "\"iterations\":1.5");
	expect_error(t, VGM_TEXT_ERR_RANGE, "field \"fit.iterations\" must be an integer", "fractional integer");
	free(t);
	t = replace(good, "\"tol\":1e-08", "\"tol\":1e999");
	expect_error(t, VGM_TEXT_ERR_RANGE, "field \"fit.tol\" out of range", "a number beyond double");
	free(t);
	t = replace(good, "\"weights\":[", "\"weights\":[null,");
	expect_error(t, VGM_TEXT_ERR_RANGE, "field \"weights\" must be an array of numbers", "null in an array");
	free(t);
	t = replace(good, "\"converged\":true", "\"converged\":1");
	expect_error(t, VGM_TEXT_ERR_RANGE, "field \"fit.converged\" must be true or false", "converged as a number");
	free(t);
	t = replace(good, "\"means\":[[", "\"means\":[[[1],");
	expect_error(t, VGM_TEXT_ERR_RANGE, "field \"means\" must be an array of numbers", "too deep an array");
	free(t);
	free(good);
}

/* Make a d x d matrix (d <= 3) diagonal with the given entries. */
static void
set_diagonal(double *a, int d, double a0, double a1, double a2)
{
	const double diag[3] = {a0, a1, a2};

	for (int i = 0; i < d; i++)
		for (int j = 0; j < d; j++)
			a[i * d + j] = i == j ? diag[i] : 0.0;
}

/* Validation: each broken value of a valid model names its field. */
static void
test_validation(void)
{
	static Built b;
	char		msg[256],
				detail[256];
	int			rc;

#define EXPECT(mutate, want, name) \
	do { \
		build(&b, 3, 4, 9); \
		mutate; \
		rc = vgm_joint_model_validate(&b.m, msg, sizeof(msg), detail, sizeof(detail)); \
		if (!tap_ok(rc == VGM_TEXT_ERR_RANGE && strstr(msg, want) != NULL && detail[0] != 0, name)) printf("# %s / %s\n", msg, detail); \
	} while (0)

	EXPECT(b.m.post.weights[1] += 1e-8, "weights do not sum to 1", "weights summing to 1 + 1e-8");
	EXPECT(b.m.post.weights[0] = -0.0 - b.m.post.weights[0], "field \"weights[0]\" out of range", "negative weight");
	EXPECT(b.m.post.means[5] = NAN, "non-finite number in field \"means[1][2]\"", "NaN mean names its element");
	EXPECT(b.m.post.covariances[9 + 4] = INFINITY, "non-finite number in field \"covariances[1][1][1]\"", "infinite covariance");
	EXPECT(b.m.post.covariances[1] += 1e-6, "field \"covariances[0]\" is not symmetric", "asymmetric covariance");
	EXPECT(set_diagonal(b.m.post.covariances + 9, 3, 1.0, -1.0, 1.0),
		   "field \"covariances[1]\" is not positive definite", "indefinite covariance");
	EXPECT(b.m.post.dof[2] = 2.0, "field \"degrees_of_freedom[2]\" out of range", "dof = dims - 1");
	EXPECT(b.m.post.mean_precision[3] = 0.0, "field \"mean_precision[3]\" out of range", "zero mean precision");
	EXPECT(b.m.post.conc_b[0] = 0.0, "field \"weight_concentration_b[0]\" out of range", "zero stick parameter");
	EXPECT(b.m.hdr.weight_threshold = 1.0, "field \"weight_threshold\" out of range", "weight_threshold 1");
	EXPECT(b.m.hdr.priors.covariance[0] = -1.0, "field \"priors.covariance\" is not", "prior covariance not SPD");
	EXPECT(b.m.hdr.priors.degrees_of_freedom = 1.5, "field \"priors.degrees_of_freedom\" out of range", "prior dof <= dims - 1");
	EXPECT(b.m.hdr.converged = 2, "field \"fit.converged\" out of range", "converged 2");
	EXPECT(b.m.hdr.rows = -1, "field \"training.rows\" out of range", "negative rows");
	EXPECT(b.m.hdr.priors.d = 2, "dimensions disagree", "priors of another dims");
#undef EXPECT
	/* a tiny but positive definite covariance is a model */
	build(&b, 2, 1, 3);
	b.m.post.weights[0] = 1.0;
	b.m.post.covariances[0] = 1e-300;
	b.m.post.covariances[1] = b.m.post.covariances[2] = 0;
	b.m.post.covariances[3] = 1e-300;
	tap_ok(vgm_joint_model_validate(&b.m, msg, sizeof(msg), detail, sizeof(detail)) == VGM_TEXT_OK,
		   "a covariance of 1e-300 I is positive definite");
}

/* Every prefix of a valid text is an error (no read beyond the prefix, no leak). */
static void
test_prefixes(void)
{
	static Built b;
	char	   *t;
	size_t		n;
	int			all = 1;

	build(&b, 3, 3, 11);
	t = text_of(&b.m);
	n = strlen(t);
	for (size_t len = 0; len < n; len++)
	{
		Parsed		r;

		parse_exact(t, len, &r, -1);
		all &= r.rc != VGM_TEXT_OK && r.msg[0] != '\0';
		all &= done(&r);
	}
	tap_ok(all, "every proper prefix of a model's text is an error, without a leak");
	free(t);
}

/* A failed allocation, at either of the parser's two, is reported and leaks nothing. */
static void
test_out_of_memory(void)
{
	static Built b;
	char	   *t;
	Parsed		r;

	build(&b, 2, 2, 13);
	t = text_of(&b.m);
	parse_exact(t, strlen(t), &r, 0);
	tap_ok(r.rc == VGM_TEXT_ERR_NOMEM && strstr(r.msg, "out of memory") && done(&r),
		   "text: the scratch allocation fails: out of memory, no leak");
	parse_exact(t, strlen(t), &r, 1);
	tap_ok(r.rc == VGM_TEXT_ERR_NOMEM && done(&r), "text: the model allocation fails: out of memory, no leak");
	parse_exact(t, strlen(t), &r, -1);
	tap_ok(r.rc == VGM_TEXT_OK && r.ca.allocs == 2 && done(&r), "text: a parse makes two allocations");
	free(t);
}

/* Binary: round trip, every truncation, bad headers, and the text of what binary accepts. */
static void
test_binary(void)
{
	static Built b;
	static const int shapes[][2] = {{1, 1}, {3, 5}, {16, 64}};
	uint8_t    *buf;
	size_t		n;
	char		msg[256],
				detail[256];
	VgmJointModelView m;
	CountingAlloc ca;
	VgmAllocator a;
	int			rc;

	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
	{
		uint8_t    *again;
		char		label[96];

		build(&b, shapes[s][0], shapes[s][1], 50 + s);
		if (s % 2 == 1)
			add_range(&b);
		n = vgm_joint_model_binary_size(&b.m);
		buf = malloc(n);
		vgm_joint_model_encode(&b.m, buf);
		a = counting_allocator(&ca, -1);
		rc = vgm_joint_model_decode(buf, n, &m, &a, msg, sizeof(msg), detail, sizeof(detail));
		snprintf(label, sizeof(label), "binary round trip dims %d k %d version %d: same bits",
				 shapes[s][0], shapes[s][1], (int) b.m.hdr.version);
		tap_ok(rc == VGM_BINARY_OK && same_model(&b.m, &m), label);
		again = malloc(n);
		if (rc == VGM_BINARY_OK)
		{
			vgm_joint_model_encode(&m, again);
			tap_ok(memcmp(buf, again, n) == 0, "and encodes back to the same bytes");
			vgm_mem_free(&a, m.post.conc_a);
		}
		tap_ok(ca.live == 0, "binary decode leaves no allocation behind");
		free(again);
		free(buf);
	}
	tap_ok(vgm_joint_model_binary_size(&b.m) == (size_t) VGM_JOINT_MODEL_BINARY_HEADER + 8 * (16 + 256) +
		   64 * 8 * (5 + 16 + 256), "binary size: 132 + priors + components");

	build(&b, 3, 4, 77);
	n = vgm_joint_model_binary_size(&b.m);
	buf = malloc(n);
	vgm_joint_model_encode(&b.m, buf);
	{
		int			ok = 1;

		for (size_t len = 0; len < n; len++)
		{
			uint8_t    *cut = malloc(len > 0 ? len : 1);

			memcpy(cut, buf, len);
			a = counting_allocator(&ca, -1);
			rc = vgm_joint_model_decode(cut, len, &m, &a, msg, sizeof(msg), detail, sizeof(detail));
			ok &= rc == (len < VGM_JOINT_MODEL_BINARY_HEADER ? VGM_BINARY_ERR_SHORT : VGM_BINARY_ERR_INVALID);
			ok &= ca.live == 0 && msg[0] != '\0';
			free(cut);
		}
		tap_ok(ok, "every truncation: short inside the fixed part, invalid length after it; no leak");
	}
	buf[3] = 3;
	rc = vgm_joint_model_decode(buf, n, &m, &a, msg, sizeof(msg), detail, sizeof(detail));
	tap_ok(rc == VGM_BINARY_ERR_UNSUPPORTED && strstr(msg, "version 3"), "binary version 3 is unsupported");
	/* a version 1 message relabelled 2 lacks the range: a length error, not a misread */
	buf[3] = 2;
	rc = vgm_joint_model_decode(buf, n, &m, &a, msg, sizeof(msg), detail, sizeof(detail));
	tap_ok(rc == VGM_BINARY_ERR_INVALID && strstr(msg, "length"), "binary version 2 without its range is invalid");
	buf[3] = 1;
	buf[7] = 17;
	rc = vgm_joint_model_decode(buf, n, &m, &a, msg, sizeof(msg), detail, sizeof(detail));
	tap_ok(rc == VGM_BINARY_ERR_INVALID && strstr(msg, "dims out of range"), "binary dims 17 is invalid");
	buf[7] = 3;
	buf[11] = 5;
	rc = vgm_joint_model_decode(buf, n, &m, &a, msg, sizeof(msg), detail, sizeof(detail));
	tap_ok(rc == VGM_BINARY_ERR_INVALID && strstr(msg, "does not match"), "binary k that disagrees with the length");
	buf[11] = 4;
	/* first weight (right after the priors) set to NaN */
	memset(buf + VGM_JOINT_MODEL_BINARY_HEADER + 8 * (3 + 9), 0xff, 8);
	a = counting_allocator(&ca, -1);
	rc = vgm_joint_model_decode(buf, n, &m, &a, msg, sizeof(msg), detail, sizeof(detail));
	tap_ok(rc == VGM_BINARY_ERR_INVALID && strstr(msg, "non-finite number in field \"weights[0]\"") && ca.live == 0,
		   "binary NaN weight: the validator's message, no leak");
	free(buf);
}

int
main(void)
{
	test_cholesky();
	test_text_round_trip();
	test_key_order();
	test_errors();
	test_validation();
	test_prefixes();
	test_out_of_memory();
	test_binary();
	return tap_done();
}
