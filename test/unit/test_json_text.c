/*
 * test_json_text.c - unit tests of src/json_text.c, the JSON kit under the
 * three text forms: number and string tokens, the object reader and its
 * field table (any order; unknown, repeated, missing keys), error offsets
 * and precedence, the appender in both modes, and the shortest-double
 * formatter (round trip, layout, and the hook the server installs).
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "counting_alloc.h"
#include "json_text.h"
#include "rng.h"
#include "tap.h"

static const JtMessages test_messages = {
	.syntax = "bad text",
	.trailing = "bad end",
	.noun = "the thing",
	.unknown = "unknown \"%s\"",
	.duplicate = "twice \"%s\"",
	.missing = "missing \"%s\"",
	.version = 7,
};

/* A cursor over a NUL-terminated test string, with fresh message buffers. */
typedef struct Probe
{
	JtCursor	c;
	JtError		e;
	char		msg[256];
	char		detail[256];
} Probe;

static void
probe(Probe *p, const char *text)
{
	jt_error_init(&p->e, p->msg, sizeof(p->msg), p->detail, sizeof(p->detail));
	jt_init(&p->c, text, strlen(text), &p->e, &test_messages);
}

/* ---- tokens ------------------------------------------------------------ */

static void
test_numbers(void)
{
	static const struct
	{
		const char *text;
		int			ok;			/* a valid JSON number token */
		size_t		len;		/* its length */
		int			is_int;
	}			cases[] = {
		{"0", 1, 1, 1}, {"-0", 1, 2, 1}, {"12,", 1, 2, 1}, {"-1.5e+3]", 1, 7, 0},
		{"1E5", 1, 3, 0}, {"0.25", 1, 4, 0}, {"01", 0, 0, 0}, {"-", 0, 0, 0},
		{"1.", 0, 0, 0}, {".5", 0, 0, 0}, {"1e", 0, 0, 0}, {"1e+", 0, 0, 0},
		{"+1", 0, 0, 0}, {"-a", 0, 0, 0},
	};
	int			all = 1;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		Probe		p;
		JtNumber	tok;
		int			rc;

		probe(&p, cases[i].text);
		rc = jt_scan_number(&p.c, &tok);
		if (cases[i].ok ? (rc != 0 || tok.len != cases[i].len || tok.is_int != cases[i].is_int
						   || p.c.pos != cases[i].len)
			: (rc != -1 || p.e.status != VGM_TEXT_ERR_SYNTAX))
		{
			all = 0;
			printf("# number token %s: rc %d len %zu\n", cases[i].text, rc, tok.len);
		}
	}
	tap_ok(all, "tokens: strict JSON number grammar (no leading zeros, '+', bare '.' or exponent)");

	{
		Probe		p;
		JtNumber	tok;
		int64_t		v;

		probe(&p, "-9223372036854775808");
		tap_ok(jt_scan_int64(&p.c, &tok, &v) == JT_NUM_OK && v == INT64_MIN,
			   "tokens: INT64_MIN reads as an int64");
		probe(&p, "9223372036854775808");
		tap_ok(jt_scan_int64(&p.c, &tok, &v) == JT_NUM_OUT_OF_RANGE,
			   "tokens: INT64_MAX + 1 is out of range");
		probe(&p, "123456789012345678");
		tap_ok(jt_scan_int64(&p.c, &tok, &v) == JT_NUM_OK && v == 123456789012345678LL
			   && tok.len == 18, "tokens: 18 digits in one pass");
		probe(&p, "1.0");
		tap_ok(jt_scan_int64(&p.c, &tok, &v) == JT_NUM_NOT_INTEGER && p.c.pos == 3,
			   "tokens: 1.0 is a number but not an integer");
		probe(&p, "00");
		tap_ok(jt_scan_int64(&p.c, &tok, &v) == -1 && p.e.status == VGM_TEXT_ERR_SYNTAX
			   && p.e.offset == 1, "tokens: a leading zero is malformed at its offset");
	}
	{
		Probe		p;
		JtNumber	tok;
		bool		neg;
		uint64_t	mag;
		double		d;
		char		longnum[JT_MAX_NUMBER_CHARS + 8];

		probe(&p, "18446744073709551615");
		tap_ok(jt_scan_number(&p.c, &tok) == 0 && jt_number_magnitude(&p.c, &tok, &neg, &mag) == JT_NUM_OK
			   && mag == UINT64_MAX && !neg, "tokens: UINT64_MAX as a magnitude");
		probe(&p, "18446744073709551616");
		tap_ok(jt_scan_number(&p.c, &tok) == 0 &&
			   jt_number_magnitude(&p.c, &tok, &neg, &mag) == JT_NUM_OUT_OF_RANGE,
			   "tokens: UINT64_MAX + 1 is out of range");
		probe(&p, "-1e999");
		tap_ok(jt_scan_number(&p.c, &tok) == 0 && jt_number_double(&p.c, &tok, &d) == JT_NUM_OUT_OF_RANGE,
			   "tokens: -1e999 is beyond the doubles");
		memset(longnum, '0', sizeof(longnum));
		longnum[1] = '.';
		longnum[2] = '5';
		longnum[JT_MAX_NUMBER_CHARS] = '\0';
		probe(&p, longnum);
		tap_ok(jt_scan_number(&p.c, &tok) == 0 && jt_number_double(&p.c, &tok, &d) == JT_NUM_OK
			   && d == 0.5, "tokens: a number of the maximal length reads");
		longnum[JT_MAX_NUMBER_CHARS] = '0';
		longnum[JT_MAX_NUMBER_CHARS + 1] = '\0';
		probe(&p, longnum);
		tap_ok(jt_scan_number(&p.c, &tok) == 0 && jt_number_double(&p.c, &tok, &d) == JT_NUM_TOO_LONG,
			   "tokens: one character more is too long");
	}
}

static void
test_strings(void)
{
	Probe		p;
	char		out[8];
	size_t		n;
	bool		overflow,
				nonascii;

	probe(&p, "\"a\\u0041\\n\\/\"x");
	tap_ok(jt_scan_string(&p.c, out, sizeof(out), &n, &overflow, &nonascii) == 0 && n == 4
		   && memcmp(out, "aA\n/", 4) == 0 && !overflow && !nonascii && p.c.pos == 13,
		   "strings: escapes decode, the cursor stops after the quote");
	probe(&p, "\"\\ud83d\\ude00\xc3\xa9\"");
	tap_ok(jt_scan_string(&p.c, out, sizeof(out), &n, &overflow, &nonascii) == 0 && nonascii
		   && n == 3 && memcmp(out, "???", 3) == 0, "strings: a surrogate pair and UTF-8 become '?'");
	probe(&p, "\"0123456789\"");
	tap_ok(jt_scan_string(&p.c, out, sizeof(out), &n, &overflow, &nonascii) == 0 && overflow && n == 8,
		   "strings: overflow is reported, the token still consumed");
	probe(&p, "\"\\udc00\"");
	tap_ok(jt_scan_string(&p.c, out, sizeof(out), &n, &overflow, &nonascii) == -1 && p.e.offset == 1,
		   "strings: a lone low surrogate is malformed at the escape");
	probe(&p, "\"a\tb\"");
	tap_ok(jt_scan_string(&p.c, out, sizeof(out), &n, &overflow, &nonascii) == -1 && p.e.offset == 2
		   && strstr(p.detail, "byte 0x09 at byte offset 2") != NULL,
		   "strings: a raw control character is malformed, named by its byte");
	probe(&p, "\"abc");
	tap_ok(jt_scan_string(&p.c, out, sizeof(out), &n, &overflow, &nonascii) == -1
		   && strstr(p.detail, "end of input at byte offset 4") != NULL,
		   "strings: an unterminated string ends at the end of input");
}

static void
test_skip(void)
{
	Probe		p;
	char		deep[2 * JT_MAX_DEPTH + 8];
	int			n = 0;

	probe(&p, " {\"a\":[1,{\"b\":null},\"x\",true,false,-2.5e3],\"c\":{}} ,");
	tap_ok(jt_skip_value(&p.c, 1) == 0 && p.c.pos == 50, "skip: any value, nested");
	for (int i = 0; i < JT_MAX_DEPTH + 1; i++)
		deep[n++] = '[';
	deep[n] = '\0';
	probe(&p, deep);
	tap_ok(jt_skip_value(&p.c, 1) == -1 && strstr(p.detail, "nesting is deeper") != NULL,
		   "skip: nesting beyond the bound is malformed, not a stack overflow");
	probe(&p, "tru");
	tap_ok(jt_skip_value(&p.c, 1) == -1 && p.e.offset == 3, "skip: a cut literal points past its last byte");
}

/* ---- the field table --------------------------------------------------- */

typedef struct Target
{
	int64_t		a;
	int64_t		b;
	int64_t		total;			/* sum of the array */
	int			reads;
} Target;

/* An int64 field into the Target at f->arg; a fraction is a kept range error. */
static int
read_int(JtCursor *c, const JtField *f, void *target, int depth)
{
	Target	   *t = target;
	JtNumber	tok;
	int			rc;

	(void) depth;
	t->reads++;
	if ((rc = jt_scan_int64(c, &tok, (int64_t *) ((char *) t + f->arg))) < 0)
		return -1;
	if (rc != JT_NUM_OK)
		jt_fail(c->err, VGM_TEXT_ERR_RANGE, tok.start, "not an integer", "Field %s.", f->name);
	return 0;
}

/* An array of integers, summed. */
static int
read_list(JtCursor *c, const JtField *f, void *target, int depth)
{
	Target	   *t = target;
	int			more;

	(void) f;
	t->reads++;
	for (more = jt_array_begin(c, depth); more > 0; more = jt_array_next(c))
	{
		JtNumber	tok;
		int64_t		v;

		if (jt_scan_int64(c, &tok, &v) < 0)
			return -1;
		t->total += v;
	}
	return more;
}

static const JtField fields[] = {
	{"a", NULL, read_int, offsetof(Target, a), false},
	{"b", "thing.b", read_int, offsetof(Target, b), false},
	{"list", NULL, read_list, 0, true},
};

/* Read text with the table; returns the status and fills t and seen. */
static int
read_table(const char *text, Target *t, bool *seen, Probe *p)
{
	memset(t, 0, sizeof(*t));
	memset(seen, 0, 3 * sizeof(bool));
	probe(p, text);
	if (jt_read_object(&p->c, fields, 3, seen, "pre.", t, 1) < 0 || jt_expect_end(&p->c) < 0)
		return p->e.status;
	if (p->e.status != VGM_TEXT_OK)
		return p->e.status;
	return jt_check_missing(&p->c, fields, 3, seen);
}

static void
test_objects(void)
{
	Target		t;
	bool		seen[3];
	Probe		p;
	int			rc;

	rc = read_table("{\"b\":2,\"list\":[1,2,3],\"a\":-1}", &t, seen, &p);
	tap_ok(rc == VGM_TEXT_OK && t.a == -1 && t.b == 2 && t.total == 6 && seen[0] && seen[1] && seen[2],
		   "objects: keys in any order");
	rc = read_table(" { \"a\" : 1 , \"b\" :\n2 } \n", &t, seen, &p);
	tap_ok(rc == VGM_TEXT_OK && !seen[2], "objects: whitespace anywhere, an optional field may be absent");

	rc = read_table("{\"a\":1,\"zz\":{\"deep\":[1]},\"b\":2}", &t, seen, &p);
	tap_ok(rc == VGM_TEXT_ERR_FIELD && strcmp(p.msg, "unknown \"pre.zz\"") == 0 && p.e.offset == 7
		   && strstr(p.detail, "at byte offset 7; format version 7") != NULL && t.b == 2,
		   "objects: an unknown key is named with its prefix and offset; reading goes on");
	printf("# %s: %s\n", p.msg, p.detail);

	rc = read_table("{\"a\":1,\"b\":2,\"b\":3}", &t, seen, &p);
	tap_ok(rc == VGM_TEXT_ERR_FIELD && strcmp(p.msg, "twice \"thing.b\"") == 0 && p.e.offset == 13
		   && t.b == 2 && t.reads == 2, "objects: a repeated key is named by its path, its value skipped");
	printf("# %s: %s\n", p.msg, p.detail);

	rc = read_table("{\"b\":2}", &t, seen, &p);
	tap_ok(rc == VGM_TEXT_ERR_FIELD && strcmp(p.msg, "missing \"a\"") == 0
		   && strstr(p.detail, "Field \"a\" is missing") != NULL, "objects: a missing field is named");

	rc = read_table("{\"zz\":1,\"a\":1.5,\"b\":2}", &t, seen, &p);
	tap_ok(rc == VGM_TEXT_ERR_FIELD && p.e.offset == 1, "errors: the first non-syntax error in text order is kept");
	rc = read_table("{\"zz\":1,\"a\":1,\"b\":2,}", &t, seen, &p);
	tap_ok(rc == VGM_TEXT_ERR_SYNTAX && strcmp(p.msg, "bad text") == 0 && p.e.offset == 20,
		   "errors: a later syntax error wins over a kept field error");
	printf("# %s: %s\n", p.msg, p.detail);
	rc = read_table("{\"a\":1,\"b\":2} x", &t, seen, &p);
	tap_ok(rc == VGM_TEXT_ERR_SYNTAX && strcmp(p.msg, "bad end") == 0
		   && strcmp(p.detail, "Unexpected character \"x\" at byte offset 14 after the end of the thing.") == 0,
		   "errors: trailing text has the form's own message and the offset");
	rc = read_table("", &t, seen, &p);
	tap_ok(rc == VGM_TEXT_ERR_SYNTAX
		   && strcmp(p.detail, "Unexpected end of input at byte offset 0; expected \"{\".") == 0,
		   "errors: empty text");
	rc = read_table("{\"a\":1 \"b\":2}", &t, seen, &p);
	tap_ok(rc == VGM_TEXT_ERR_SYNTAX && p.e.offset == 7
		   && strstr(p.detail, "character '\"' at byte offset 7; expected \",\" or \"}\"") != NULL,
		   "errors: a missing comma is reported where the next key starts");
	{
		char		tiny[4];
		JtError		e;

		jt_error_init(&e, tiny, sizeof(tiny), NULL, 0);
		tap_ok(jt_fail(&e, VGM_TEXT_ERR_RANGE, 5, "a long message", "detail %d", 1) == VGM_TEXT_ERR_RANGE
			   && strcmp(tiny, "a l") == 0 && e.offset == 5,
			   "errors: messages truncate safely, a missing detail buffer is fine");
	}
	{
		char		msg[8];
		char		detail[16];

		tap_ok(jt_report(VGM_CODEC_ERR_SHORT, msg, sizeof(msg), detail, sizeof(detail),
						 "a long message", "need %d bytes", 12) == VGM_CODEC_ERR_SHORT
			   && strcmp(msg, "a long ") == 0 && strcmp(detail, "need 12 bytes") == 0
			   && jt_report(VGM_CODEC_ERR_INVALID, NULL, 0, NULL, 0, "m", "d") == VGM_CODEC_ERR_INVALID,
			   "errors: a report without an error record truncates safely, NULL buffers are fine");
	}
}

/* ---- the appender ------------------------------------------------------ */

static CountingAlloc blocks = {0, 0, 0, -1, 0};	/* never fails */

static void
test_appender(void)
{
	JtOut		o;
	char		small[8];
	VgmAllocator alloc = {counting_alloc, counting_release, &blocks};
	size_t		n;
	int			ok = 1;

	jt_out_fixed(&o, small, sizeof(small));
	jt_puts(&o, "abc");
	jt_put_i64(&o, INT64_MIN);
	n = jt_out_finish(&o);
	tap_ok(n == 3 + 20 && strcmp(small, "abc-922") == 0,
		   "appender: a fixed buffer keeps a NUL-terminated prefix and counts the whole length");
	jt_out_fixed(&o, NULL, 0);
	jt_put_u64(&o, UINT64_MAX);
	tap_ok(jt_out_finish(&o) == 20, "appender: no buffer at all measures the text");

	jt_out_growable(&o, &alloc, 1);
	for (int i = 0; i < 1000; i++)
	{
		jt_put_i64(&o, i);
		jt_puts(&o, ",");
	}
	n = jt_out_finish(&o);
	for (int i = 0, pos = 0; i < 1000 && ok; i++)
	{
		char		want[16];
		int			len = snprintf(want, sizeof(want), "%d,", i);

		ok = memcmp(o.buf + pos, want, (size_t) len) == 0;
		pos += len;
	}
	tap_ok(ok && n == strlen(o.buf) && !o.failed && blocks.live == 1,
		   "appender: a growable buffer grows through the allocator and frees what it outgrew");
	counting_release(o.buf, &blocks);
	jt_out_fixed(&o, small, sizeof(small));
	jt_put_double(&o, NAN);
	jt_out_finish(&o);
	tap_ok(strcmp(small, "null") == 0, "appender: a non-finite double is written as null");
}

/* ---- shortest doubles -------------------------------------------------- */

/* A hook in the shape of PostgreSQL's: shortest digits, C-style exponent. */
static int
hook_shortest(double v, char *buf)
{
	for (int prec = 1; prec <= 17; prec++)
	{
		int			n = snprintf(buf, 32, "%.*e", prec - 1, v);

		if (strtod(buf, NULL) == v)
			return n;
	}
	return -1;
}

static void
test_formatter(void)
{
	static const struct
	{
		double		v;
		const char *text;
	}			layout[] = {
		{0.0, "0"}, {-0.0, "-0"}, {1000, "1000"}, {0.1, "0.1"}, {1e-5, "1e-05"},
		{1.5e300, "1.5e+300"}, {9007199254740991.0, "9007199254740991"},
		{1e16, "1e+16"}, {5e-324, "5e-324"}, {-2.5e-310, "-2.5e-310"}, {0.3, "0.3"},
		{123456.789, "123456.789"},
	};
	char		buf[40];
	int			ok = 1;
	long		differ = 0;

	for (size_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++)
		if (vgm_format_double(layout[i].v, buf, sizeof(buf)) < 0 || strcmp(buf, layout[i].text) != 0)
		{
			ok = 0;
			printf("# %.17g: got %s, want %s\n", layout[i].v, buf, layout[i].text);
		}
	tap_ok(ok, "formatter: %g layout, integers below 2^53 in plain digits");
	tap_ok(vgm_format_double(INFINITY, buf, sizeof(buf)) < 0 && vgm_format_double(1.0 / 3, buf, 5) < 0,
		   "formatter: refuses non-finite values and short buffers");

	/* round trip over random bit patterns, without and with the hook */
	rng_state = 99;
	for (int pass = 0; pass < 2; pass++)
	{
		ok = 1;
		vgm_set_shortest_decimal(pass ? hook_shortest : NULL);
		for (int i = 0; i < 200000 && ok; i++)
		{
			uint64_t	bits = rng_next();
			double		v,
						back;
			char		other[40];

			memcpy(&v, &bits, sizeof(v));
			if (!isfinite(v))
				continue;
			if (vgm_format_double(v, buf, sizeof(buf)) < 0)
				ok = 0;
			back = strtod(buf, NULL);
			ok = ok && memcmp(&back, &v, sizeof(v)) == 0;
			if (pass)
			{
				vgm_set_shortest_decimal(NULL);
				vgm_format_double(v, other, sizeof(other));
				vgm_set_shortest_decimal(hook_shortest);
				differ += strcmp(buf, other) != 0;
			}
		}
		tap_ok(ok, pass ? "formatter: round trip through the hook's digits (200000 random doubles)"
			   : "formatter: round trip of the printf search (200000 random doubles)");
	}
	vgm_set_shortest_decimal(NULL);
	printf("# hook and printf search differ on %ld of 200000\n", differ);
	tap_ok(differ == 0, "formatter: the hook gives the same text as the search");
}

int
main(void)
{
	test_numbers();
	test_strings();
	test_skip();
	test_objects();
	test_appender();
	test_formatter();
	return tap_done();
}
