/*
 * json_text.c - the JSON text kit shared by the text forms of vgm_model,
 *               vgm_summary and vgm_ks_state (see json_text.h).
 *
 * Pure C11: no PostgreSQL headers and no global mutable state apart from
 * the shortest-decimal hook the server installs once at load time, so the
 * same object links into the server module, the unit tests and the fuzz
 * harnesses.
 *
 * The reader never looks at s[len] or beyond (the text need not be
 * NUL-terminated), copies numbers into a bounded buffer before strtod,
 * bounds the nesting depth and allocates nothing.  Errors follow one rule
 * for every form: a syntax error stops reading and wins; any other error is
 * kept if it is the first, and reading goes on, so that a text with several
 * problems gets the same answer wherever they stand.
 */
#include "json_text.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* ------------------------------------------------------------------------
 * Shortest doubles
 * ------------------------------------------------------------------------ */

static VgmShortestDecimal shortest_decimal = NULL;

/* Install (or, with NULL, remove) the faster source of shortest digits. */
void
vgm_set_shortest_decimal(VgmShortestDecimal fn)
{
	shortest_decimal = fn;
}

/*
 * The text the printf search below writes, built from the shortest digits
 * the hook finds (the digits that search ends with, but for exact ties: see
 * json_text.h): %g's layout at precision max(15, digits) (subnormals,
 * whose search may stop below 15 digits, take the exponent form at any
 * precision), and integers below 2^53 in plain digits.  Returns -1 to fall
 * back to the search.
 */
static int
format_from_shortest(double value, char *out, size_t outlen)
{
	char		text[64];
	char		digits[32];
	int			nd = 0;
	int			int_digits = 0;
	int			leading_zeros = 0;
	bool		seen_point = false;
	int			exp10;
	int			prec;
	int			len;
	int			n = 0;
	const char *p = text;

	len = shortest_decimal(value, text);
	if (len <= 0 || len >= (int) sizeof(text) || value == 0.0)
		return -1;
	text[len] = '\0';
	if (*p == '-')
		p++;

	/*
	 * Significant digits, and the decimal exponent of the first: digits
	 * before the point count up from it, zeros after the point down.
	 */
	for (; *p != '\0' && *p != 'e' && *p != 'E'; p++)
	{
		if (*p == '.')
			seen_point = true;
		else if (*p < '0' || *p > '9')
			return -1;
		else if (nd == 0 && *p == '0')
		{
			if (seen_point)
				leading_zeros++;
		}
		else
		{
			if (nd >= (int) sizeof(digits) - 1)
				return -1;
			digits[nd++] = *p;
			if (!seen_point)
				int_digits++;
		}
	}
	if (nd == 0)
		return -1;
	exp10 = int_digits > 0 ? int_digits - 1 : -(leading_zeros + 1);
	if (*p == 'e' || *p == 'E')
		exp10 += atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	prec = nd > 15 ? nd : 15;	/* subnormals always take the exponent form */

#define PUT(c) do { if ((size_t) n + 1 >= outlen) return -1; out[n++] = (c); } while (0)
	if (value < 0)
		PUT('-');
	if ((exp10 < -4 || exp10 >= prec) && !(exp10 >= 0 && exp10 < 16 && fabs(value) < 9007199254740992.0))
	{
		char		e[16];

		PUT(digits[0]);
		if (nd > 1)
			PUT('.');
		for (int i = 1; i < nd; i++)
			PUT(digits[i]);
		snprintf(e, sizeof(e), "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
		for (int i = 0; e[i] != '\0'; i++)
			PUT(e[i]);
	}
	else if (exp10 >= 0)
	{
		for (int i = 0; i <= exp10 || i < nd; i++)
		{
			if (i == exp10 + 1)
				PUT('.');
			PUT(i < nd ? digits[i] : '0');
		}
	}
	else
	{
		PUT('0');
		PUT('.');
		for (int i = 0; i < -exp10 - 1; i++)
			PUT('0');
		for (int i = 0; i < nd; i++)
			PUT(digits[i]);
	}
#undef PUT
	out[n] = '\0';
	return n;
}

/* Shortest decimal text of a finite double that reads back exactly. */
int
vgm_format_double(double value, char *buf, size_t buflen)
{
	char		tmp[40];
	int			n = -1;

	if (!isfinite(value) || buf == NULL)
		return -1;
	if (shortest_decimal != NULL && (n = format_from_shortest(value, tmp, sizeof(tmp))) > 0)
	{
		if ((size_t) n >= buflen)
			return -1;
		memcpy(buf, tmp, (size_t) n + 1);
		return n;
	}

	/*
	 * Every decimal of at most 15 significant digits survives the trip to a
	 * double and back (DBL_DIG), and a double lies so close to such a
	 * decimal when it reads back from it that rounding to 15 digits finds
	 * that decimal again (%g drops the trailing zeros).  So %.15g is the
	 * shortest form whenever one of at most 15 digits exists; otherwise 16 or
	 * 17 digits are needed (17 always suffice).  Subnormals carry fewer
	 * significant bits, so for them every precision is tried.
	 */
	for (int prec = fabs(value) < DBL_MIN ? 1 : 15; prec <= 17; prec++)
	{
		double		back;

		n = snprintf(tmp, sizeof(tmp), "%.*g", prec, value);
		if (n <= 0 || (size_t) n >= sizeof(tmp))
			return -1;
		back = strtod(tmp, NULL);
		if (memcmp(&back, &value, sizeof(double)) == 0)
			break;
		if (prec == 17)
			return -1;			/* cannot happen with a correct libc */
	}

	/*
	 * %g switches to an exponent when the decimal exponent is at least the
	 * precision, so 1000 comes out as "1e+03".  Below 2^53 such a value is
	 * an integer held exactly, so write it in plain digits instead: the same
	 * significant digits followed by zeros, and easier to read.
	 */
	{
		char	   *e = strchr(tmp, 'e');

		if (e != NULL && e[1] == '+' && fabs(value) < 9007199254740992.0)
		{
			long		x = strtol(e + 2, NULL, 10);

			if (x < 16)
			{
				char		plain[40];
				int			m = snprintf(plain, sizeof(plain), "%.*g", (int) x + 1, value);
				double		back;

				if (m > 0 && (size_t) m < sizeof(plain) && strchr(plain, 'e') == NULL)
				{
					back = strtod(plain, NULL);
					if (memcmp(&back, &value, sizeof(double)) == 0)
					{
						memcpy(tmp, plain, (size_t) m + 1);
						n = m;
					}
				}
			}
		}
	}

	/*
	 * %g writes [-]d[.ddd][e(+|-)dd] under the C locale, which is JSON number
	 * syntax; refuse anything else (say, a decimal comma) rather than emit
	 * text the parser would reject.
	 */
	for (int i = 0; i < n; i++)
	{
		char		c = tmp[i];

		if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
			  c == 'e'))
			return -1;
	}

	if ((size_t) n >= buflen)
		return -1;
	memcpy(buf, tmp, (size_t) n + 1);
	return n;
}

/* ------------------------------------------------------------------------
 * The appender
 * ------------------------------------------------------------------------ */

/* Write into buf[cap]: what does not fit is counted, not written. */
JtOut *
jt_out_fixed(JtOut *o, char *buf, size_t cap)
{
	memset(o, 0, sizeof(*o));
	o->buf = buf;
	o->cap = buf != NULL ? cap : 0;
	if (o->cap > 0)
		o->buf[0] = '\0';
	return o;
}

/* Write into a buffer that grows through alloc (NULL: malloc). */
void
jt_out_growable(JtOut *o, const VgmAllocator *alloc, size_t initial)
{
	memset(o, 0, sizeof(*o));
	o->alloc = alloc;
	o->growable = true;
	o->cap = initial > 16 ? initial : 16;
	o->buf = vgm_mem_alloc(alloc, o->cap);
	if (o->buf == NULL)
	{
		o->cap = 0;
		o->failed = true;
	}
}

/* Make room for n more bytes and the NUL in a growable buffer. */
static bool
out_grow(JtOut *o, size_t n)
{
	size_t		cap = o->cap;
	char	   *nbuf;

	if (o->failed)
		return false;
	while (cap - o->len <= n)
	{
		if (cap > SIZE_MAX / 2)
			return !(o->failed = true);
		cap *= 2;
	}
	nbuf = vgm_mem_alloc(o->alloc, cap);
	if (nbuf == NULL)
		return !(o->failed = true);
	memcpy(nbuf, o->buf, o->len);
	vgm_mem_free(o->alloc, o->buf);
	o->buf = nbuf;
	o->cap = cap;
	return true;
}

/* Append n bytes that do not fit: grow a growable buffer, else count what is cut. */
void
jt_put_slow(JtOut *o, const char *s, size_t n)
{
	if (o->growable)
	{
		if (o->cap - o->len <= n && !out_grow(o, n))
			return;
		memcpy(o->buf + o->len, s, n);
	}
	else if (o->len + 1 < o->cap)
	{
		size_t		room = o->cap - 1 - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

/* Append a signed 64-bit integer. */
void
jt_put_i64(JtOut *o, int64_t v)
{
	char		tmp[24];
	char	   *p = tmp + sizeof(tmp);
	uint64_t	mag = v < 0 ? 0 - (uint64_t) v : (uint64_t) v;

	do
	{
		*--p = (char) ('0' + mag % 10);
		mag /= 10;
	} while (mag > 0);
	if (v < 0)
		*--p = '-';
	jt_put(o, p, (size_t) (tmp + sizeof(tmp) - p));
}

/* Append an unsigned 64-bit integer. */
void
jt_put_u64(JtOut *o, uint64_t v)
{
	char		tmp[24];
	char	   *p = tmp + sizeof(tmp);

	do
	{
		*--p = (char) ('0' + v % 10);
		v /= 10;
	} while (v > 0);
	jt_put(o, p, (size_t) (tmp + sizeof(tmp) - p));
}

/* Append a double as its shortest round-trip text ("null" if not finite). */
void
jt_put_double(JtOut *o, double v)
{
	char		tmp[40];
	int			n = vgm_format_double(v, tmp, sizeof(tmp));

	/* non-finite: "null", which every reader rejects where a number belongs */
	if (n < 0)
		jt_put(o, "null", 4);
	else
		jt_put(o, tmp, (size_t) n);
}

/* Append sep and the key "name": of an object member. */
void
jt_put_key(JtOut *o, const char *sep, const char *name)
{
	jt_puts(o, sep);
	jt_puts(o, "\"");
	jt_puts(o, name);
	jt_puts(o, "\":");
}

/* Append "name":value for each field, the int64 at base + arg. */
void
jt_put_int64_fields(JtOut *o, const char *first, const JtField *fields, int n,
					const void *base)
{
	for (int i = 0; i < n; i++)
	{
		int64_t		v;

		memcpy(&v, (const char *) base + fields[i].arg, sizeof(v));
		jt_put_key(o, i == 0 ? first : ",", fields[i].name);
		jt_put_i64(o, v);
	}
}

/* NUL-terminate and return the length the whole text needs. */
size_t
jt_out_finish(JtOut *o)
{
	if (o->buf != NULL && o->cap > 0)
		o->buf[o->len < o->cap ? o->len : o->cap - 1] = '\0';
	return o->len;
}

/* NUL-terminate and return the text. */
char *
jt_out_text(JtOut *o)
{
	jt_out_finish(o);
	return o->buf;
}

/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */

/* Start with no error and empty message buffers. */
void
jt_error_init(JtError *e, char *msg, size_t msglen, char *detail, size_t detaillen)
{
	e->msg = msg;
	e->msglen = msg != NULL ? msglen : 0;
	e->detail = detail;
	e->detaillen = detail != NULL ? detaillen : 0;
	jt_error_clear(e);
}

/* Forget the kept error. */
void
jt_error_clear(JtError *e)
{
	e->status = VGM_TEXT_OK;
	e->offset = 0;
	if (e->msglen > 0)
		e->msg[0] = '\0';
	if (e->detaillen > 0)
		e->detail[0] = '\0';
}

/* Keep this error if it wins (syntax always; otherwise only the first). */
bool
jt_claim(JtError *e, int status, size_t offset)
{
	if (e->status != VGM_TEXT_OK &&
		!(status == VGM_TEXT_ERR_SYNTAX && e->status != VGM_TEXT_ERR_SYNTAX))
		return false;
	e->status = status;
	e->offset = offset;
	return true;
}

/* vsnprintf into buf[len], leaving it empty if formatting fails. */
static void write_text(char *buf, size_t len, const char *fmt, va_list ap) PRINTF_LIKE(3, 0);

static void
write_text(char *buf, size_t len, const char *fmt, va_list ap)
{
	if (len == 0)
		return;
	if (vsnprintf(buf, len, fmt, ap) < 0)
		buf[0] = '\0';
}

/* Format into buf[len] (truncating; empty if formatting fails). */
void
jt_write(char *buf, size_t len, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	write_text(buf, len, fmt, ap);
	va_end(ap);
}

/* Claim, then write a fixed message and a formatted detail. */
int
jt_fail(JtError *e, int status, size_t offset, const char *msg, const char *detail_fmt,...)
{
	va_list		ap;

	if (!jt_claim(e, status, offset))
		return status;
	jt_msg(e, "%s", msg);
	va_start(ap, detail_fmt);
	write_text(e->detail, e->detaillen, detail_fmt, ap);
	va_end(ap);
	return status;
}

/* Write a fixed message and a formatted detail into a caller's buffers; returns status. */
int
jt_report(int status, char *msg, size_t msglen, char *detail, size_t detaillen,
		  const char *message, const char *detail_fmt,...)
{
	va_list		ap;

	if (msg != NULL)
		jt_write(msg, msglen, "%s", message);
	if (detail != NULL)
	{
		va_start(ap, detail_fmt);
		write_text(detail, detaillen, detail_fmt, ap);
		va_end(ap);
	}
	return status;
}

/* Text of any double for a message (NaN and infinities included). */
const char *
jt_num_text(double v, char *buf, size_t buflen)
{
	if (isnan(v))
		return "NaN";
	if (isinf(v))
		return v > 0 ? "Infinity" : "-Infinity";
	if (vgm_format_double(v, buf, buflen) < 0)
		return "?";
	return buf;
}

/* ------------------------------------------------------------------------
 * The cursor
 * ------------------------------------------------------------------------ */

/* Start reading text[0 .. len). */
void
jt_init(JtCursor *c, const char *text, size_t len, JtError *err,
		const JtMessages *messages)
{
	c->s = (const unsigned char *) text;
	c->len = text != NULL ? len : 0;
	c->pos = 0;
	c->err = err;
	c->messages = messages;
}

/* A message of the form, or its syntax message when the form has none. */
static const char *
message_or_syntax(const JtCursor *c, const char *message)
{
	return message != NULL ? message : c->messages->syntax;
}

/* Readable name of the byte at pos for a message. */
static const char *
describe_at(const JtCursor *c, size_t pos, char *buf, size_t buflen)
{
	unsigned char ch;

	if (pos >= c->len)
		return "end of input";
	ch = c->s[pos];
	if (ch == '"')
		snprintf(buf, buflen, "character '\"'");
	else if (ch > 0x20 && ch < 0x7f)
		snprintf(buf, buflen, "character \"%c\"", ch);
	else
		snprintf(buf, buflen, "byte 0x%02X", (unsigned) ch);
	return buf;
}

/* Report malformed text at pos: "Unexpected X at byte offset N; <what>." */
int
jt_syntax_error(JtCursor *c, size_t pos, const char *fmt,...)
{
	char		what[40];
	char		rest[160];
	va_list		ap;

	va_start(ap, fmt);
	write_text(rest, sizeof(rest), fmt, ap);
	va_end(ap);
	if (jt_claim(c->err, VGM_TEXT_ERR_SYNTAX, pos))
	{
		jt_msg(c->err, "%s", c->messages->syntax);
		jt_detail(c->err, "Unexpected %s at byte offset %zu; %s.",
				  describe_at(c, pos, what, sizeof(what)), pos, rest);
	}
	return -1;
}

/* After whitespace: the character ch, or a syntax error naming what. */
int
jt_expect(JtCursor *c, int ch, const char *what)
{
	jt_skip_ws(c);
	if (jt_peek(c) != ch)
		return jt_syntax_error(c, c->pos, "expected %s", what);
	c->pos++;
	return 0;
}

/* After whitespace: consume ch if it is next. */
bool
jt_accept(JtCursor *c, int ch)
{
	jt_skip_ws(c);
	if (jt_peek(c) != ch)
		return false;
	c->pos++;
	return true;
}

/* After whitespace: the end of the text, or the form's trailing message. */
int
jt_expect_end(JtCursor *c)
{
	char		what[40];

	jt_skip_ws(c);
	if (c->pos >= c->len)
		return 0;
	if (jt_claim(c->err, VGM_TEXT_ERR_SYNTAX, c->pos))
	{
		jt_msg(c->err, "%s", message_or_syntax(c, c->messages->trailing));
		jt_detail(c->err, "Unexpected %s at byte offset %zu after the end of %s.",
				  describe_at(c, c->pos, what, sizeof(what)), c->pos, c->messages->noun);
	}
	return -1;
}

/* ------------------------------------------------------------------------
 * Tokens
 * ------------------------------------------------------------------------ */

/* Is ch an ASCII digit? */
static inline bool
is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

/* Scan a number token (strict JSON grammar) at the cursor. */
int
jt_scan_number(JtCursor *c, JtNumber *tok)
{
	const unsigned char *s = c->s;
	size_t		len = c->len;
	size_t		p = c->pos;

	/* the cursor stays in a local: this runs once per number of a summary */
#define AT(i) ((i) < len ? (int) s[i] : -1)
	tok->start = p;
	tok->is_int = true;
	if (AT(p) == '-')
		p++;
	if (AT(p) == '0')
	{
		p++;
		if (is_digit(AT(p)))
			return jt_syntax_error(c, p, "a number must not have leading zeros");
	}
	else if (AT(p) >= '1' && AT(p) <= '9')
	{
		while (is_digit(AT(p)))
			p++;
	}
	else
		return jt_syntax_error(c, p, "expected a digit");
	if (AT(p) == '.')
	{
		tok->is_int = false;
		p++;
		if (!is_digit(AT(p)))
			return jt_syntax_error(c, p, "expected a digit after the decimal point");
		while (is_digit(AT(p)))
			p++;
	}
	if (AT(p) == 'e' || AT(p) == 'E')
	{
		tok->is_int = false;
		p++;
		if (AT(p) == '+' || AT(p) == '-')
			p++;
		if (!is_digit(AT(p)))
			return jt_syntax_error(c, p, "expected a digit in the exponent");
		while (is_digit(AT(p)))
			p++;
	}
#undef AT
	c->pos = p;
	tok->len = p - tok->start;
	return 0;
}

/* The token as a double. */
int
jt_number_double(JtCursor *c, const JtNumber *tok, double *out)
{
	char		buf[JT_MAX_NUMBER_CHARS + 1];
	char	   *end;
	double		v;

	*out = 0;
	if (tok->len > JT_MAX_NUMBER_CHARS)
		return JT_NUM_TOO_LONG;
	memcpy(buf, c->s + tok->start, tok->len);
	buf[tok->len] = '\0';
	v = strtod(buf, &end);
	if (end != buf + tok->len)
	{
		/* only under a locale whose decimal point is not '.' */
		c->pos = tok->start + (size_t) (end - buf);
		return jt_syntax_error(c, c->pos, "the number cannot be read in the current locale");
	}
	if (isinf(v))
		return JT_NUM_OUT_OF_RANGE;
	*out = v;
	return JT_NUM_OK;
}

/* The token as sign and magnitude. */
int
jt_number_magnitude(const JtCursor *c, const JtNumber *tok, bool *negative,
					uint64_t *magnitude)
{
	const unsigned char *d = c->s + tok->start;
	const unsigned char *end = d + tok->len;
	uint64_t	mag = 0;

	*negative = *d == '-';
	*magnitude = 0;
	if (!tok->is_int)
		return JT_NUM_NOT_INTEGER;
	d += *negative ? 1 : 0;
	if (end - d <= 19)
	{
		/* at most 19 digits cannot pass UINT64_MAX: no check per digit */
		for (; d < end; d++)
			mag = mag * 10 + (uint64_t) (*d - '0');
	}
	else
		for (; d < end; d++)
		{
			unsigned	digit = (unsigned) (*d - '0');

			if (mag > (UINT64_MAX - digit) / 10)
				return JT_NUM_OUT_OF_RANGE;
			mag = mag * 10 + digit;
		}
	*magnitude = mag;
	return JT_NUM_OK;
}

/* The token as an int64. */
int
jt_number_int64(const JtCursor *c, const JtNumber *tok, int64_t *out)
{
	bool		neg;
	uint64_t	mag;
	int			rc = jt_number_magnitude(c, tok, &neg, &mag);

	*out = 0;
	if (rc != JT_NUM_OK)
		return rc;
	if (mag > (neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX))
		return JT_NUM_OUT_OF_RANGE;
	*out = neg ? (int64_t) (0 - mag) : (int64_t) mag;
	return JT_NUM_OK;
}

/* jt_scan_number, then jt_number_double. */
int
jt_scan_double(JtCursor *c, JtNumber *tok, double *out)
{
	if (jt_scan_number(c, tok) < 0)
		return -1;
	return jt_number_double(c, tok, out);
}

/* The slow path of jt_scan_int64: any number token. */
int
jt_scan_int64_any(JtCursor *c, JtNumber *tok, int64_t *out)
{
	if (jt_scan_number(c, tok) < 0)
		return -1;
	return jt_number_int64(c, tok, out);
}

/* Value of a hexadecimal digit, or -1. */
static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Four hex digits of a \u escape at the cursor; -1 after a syntax error. */
static long
scan_hex4(JtCursor *c)
{
	long		v = 0;

	for (int i = 0; i < 4; i++)
	{
		int			h = hexval(jt_peek(c));

		if (h < 0)
			return jt_syntax_error(c, c->pos, "expected a hexadecimal digit in a \\u escape");
		v = v * 16 + h;
		c->pos++;
	}
	return v;
}

/* The code point of the escape after a backslash (the cursor is past it); -1: syntax error. */
static long
scan_escape(JtCursor *c)
{
	int			ch = jt_peek(c);
	long		cp,
				lo;

	c->pos++;					/* past the escape letter (if any) */
	switch (ch)
	{
		case '"':
		case '\\':
		case '/':
			return ch;
		case 'b':
			return '\b';
		case 'f':
			return '\f';
		case 'n':
			return '\n';
		case 'r':
			return '\r';
		case 't':
			return '\t';
		case 'u':
			if ((cp = scan_hex4(c)) < 0)
				return -1;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return jt_syntax_error(c, c->pos - 6, "a low surrogate must follow a high surrogate");
			if (cp < 0xD800 || cp > 0xDBFF)
				return cp;
			if (c->len - c->pos < 2 || c->s[c->pos] != '\\' || c->s[c->pos + 1] != 'u')
				return jt_syntax_error(c, c->pos, "expected a low surrogate after a high surrogate");
			c->pos += 2;
			if ((lo = scan_hex4(c)) < 0)
				return -1;
			if (lo < 0xDC00 || lo > 0xDFFF)
				return jt_syntax_error(c, c->pos - 6, "expected a low surrogate after a high surrogate");
			return 0x10000;		/* non-ASCII; the exact value is not needed */
		default:
			c->pos--;
			return jt_syntax_error(c, c->pos, "expected a valid escape after a backslash");
	}
}

/* A string token at the cursor (which holds '"'). */
int
jt_scan_string(JtCursor *c, char *out, size_t outcap, size_t *outlen,
			   bool *overflow, bool *nonascii)
{
	size_t		n = 0;

	*overflow = false;
	*nonascii = false;
	c->pos++;					/* opening quote */
	for (;;)
	{
		int			ch = jt_peek(c);
		long		cp;

		if (ch < 0)
			return jt_syntax_error(c, c->pos, "expected '\"' to end the string");
		if (ch == '"')
		{
			c->pos++;
			break;
		}
		if (ch < 0x20)
			return jt_syntax_error(c, c->pos, "control characters must be escaped in a string");
		if (ch == '\\')
		{
			c->pos++;
			if ((cp = scan_escape(c)) < 0)
				return -1;
		}
		else
		{
			cp = ch;
			c->pos++;
		}
		if (cp >= 0x80)
		{
			*nonascii = true;
			cp = '?';
		}
		if (out != NULL)
		{
			if (n < outcap)
				out[n++] = (char) cp;
			else
				*overflow = true;
		}
	}
	if (outlen != NULL)
		*outlen = n;
	return 0;
}

/* The literal word (true, false, null) at the cursor. */
int
jt_literal(JtCursor *c, const char *word)
{
	size_t		n = strlen(word);

	if (c->len - c->pos < n || memcmp(c->s + c->pos, word, n) != 0)
	{
		/* point at the first byte that differs */
		size_t		i = 0;

		while (c->pos + i < c->len && i < n && c->s[c->pos + i] == (unsigned char) word[i])
			i++;
		return jt_syntax_error(c, c->pos + i, "expected the literal %s", word);
	}
	c->pos += n;
	return 0;
}

/* Step over any JSON value at the cursor. */
int
jt_skip_value(JtCursor *c, int depth)
{
	int			ch;
	int			more;

	jt_skip_ws(c);
	ch = jt_peek(c);
	if (depth > JT_MAX_DEPTH)
		return jt_syntax_error(c, c->pos, "the nesting is deeper than %d", JT_MAX_DEPTH);
	switch (ch)
	{
		case '{':
			return jt_read_object(c, NULL, 0, NULL, NULL, NULL, depth);
		case '[':
			for (more = jt_array_begin(c, depth); more > 0; more = jt_array_next(c))
				if (jt_skip_value(c, depth + 1) < 0)
					return -1;
			return more;
		case '"':
			{
				bool		overflow,
							nonascii;

				return jt_scan_string(c, NULL, 0, NULL, &overflow, &nonascii);
			}
		case 't':
			return jt_literal(c, "true");
		case 'f':
			return jt_literal(c, "false");
		case 'n':
			return jt_literal(c, "null");
		default:
			if (jt_number_start(ch))
			{
				JtNumber	tok;

				return jt_scan_number(c, &tok);
			}
			return jt_syntax_error(c, c->pos, "expected a JSON value");
	}
}

/*
 * Consume the opening character of an object or array (after whitespace)
 * and tell whether a member follows (1) or the container is empty (0).
 */
static int
open_container(JtCursor *c, int open, int close, const char *what, int depth)
{
	if (jt_expect(c, open, what) < 0)
		return -1;
	if (depth > JT_MAX_DEPTH)
		return jt_syntax_error(c, c->pos - 1, "the nesting is deeper than %d", JT_MAX_DEPTH);
	if (jt_accept(c, close))
		return 0;
	jt_skip_ws(c);
	return 1;
}

/* Arrays: consume '[' and tell whether an element follows. */
int
jt_array_begin(JtCursor *c, int depth)
{
	return open_container(c, '[', ']', "\"[\"", depth);
}

/* ------------------------------------------------------------------------
 * Objects
 * ------------------------------------------------------------------------ */

/* Key text safe for a message: printable ASCII, '?' elsewhere. */
static void
key_for_message(const char *key, size_t n, bool overflow, char *buf, size_t buflen)
{
	size_t		j = 0;

	for (size_t i = 0; i < n && j + 4 < buflen; i++)
	{
		unsigned char ch = (unsigned char) key[i];

		buf[j++] = (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') ? (char) ch : '?';
	}
	if (overflow && j + 4 <= buflen)
	{
		memcpy(buf + j, "...", 3);
		j += 3;
	}
	if (buflen > 0)
		buf[j < buflen ? j : buflen - 1] = '\0';
}

/* Keep an unknown-key error naming prefix + key. */
static void
report_unknown(JtCursor *c, size_t keypos, const char *prefix, const char *key,
			   size_t keylen, bool overflow)
{
	char		shown[JT_MAX_KEY_CHARS + 8];
	char		name[JT_MAX_KEY_CHARS + 80];

	if (!jt_claim(c->err, VGM_TEXT_ERR_FIELD, keypos))
		return;
	key_for_message(key, keylen, overflow, shown, sizeof(shown));
	snprintf(name, sizeof(name), "%s%s", prefix != NULL ? prefix : "", shown);
	jt_msg(c->err, message_or_syntax(c, c->messages->unknown), name);
	jt_detail(c->err, "Unknown field \"%s\" at byte offset %zu; format version %d has no such field.",
			  name, keypos, c->messages->version);
}

/* Read an object at the cursor, its keys looked up in the field table. */
int
jt_read_object(JtCursor *c, const JtField *fields, int n, bool *seen,
			   const char *path_prefix, void *target, int depth)
{
	bool		schema = fields != NULL;
	int			more = open_container(c, '{', '}', "\"{\"", depth);

	if (more <= 0)
		return more;
	for (;;)
	{
		char		key[JT_MAX_KEY_CHARS];
		size_t		keylen = 0;
		bool		overflow,
					nonascii;
		size_t		keypos;
		int			fid = -1;

		jt_skip_ws(c);
		keypos = c->pos;
		if (jt_peek(c) != '"')
			return jt_syntax_error(c, c->pos, "expected a string as object key");
		if (jt_scan_string(c, schema ? key : NULL, sizeof(key), &keylen,
						   &overflow, &nonascii) < 0)
			return -1;
		if (jt_expect(c, ':', "\":\" after an object key") < 0)
			return -1;
		jt_skip_ws(c);

		if (schema && nonascii && c->messages->ascii_keys)
			return jt_syntax_error(c, keypos, "expected a key in ASCII");
		if (schema && !overflow && !nonascii)
			for (int i = 0; i < n; i++)
				if (strlen(fields[i].name) == keylen &&
					memcmp(fields[i].name, key, keylen) == 0)
				{
					fid = i;
					break;
				}

		if (fid >= 0 && !seen[fid])
		{
			seen[fid] = true;
			if (fields[fid].read(c, &fields[fid], target, depth + 1) < 0)
				return -1;
		}
		else
		{
			if (jt_skip_value(c, depth + 1) < 0)
				return -1;
			if (schema && fid < 0)
				report_unknown(c, keypos, path_prefix, key, keylen, overflow);
			else if (schema && jt_claim(c->err, VGM_TEXT_ERR_FIELD, keypos))
			{
				jt_msg(c->err, message_or_syntax(c, c->messages->duplicate), jt_field_path(&fields[fid]));
				jt_detail(c->err, "Field \"%s\" appears twice (again at byte offset %zu).",
						  jt_field_path(&fields[fid]), keypos);
			}
		}

		jt_skip_ws(c);
		if (jt_peek(c) == ',')
		{
			c->pos++;
			continue;
		}
		if (jt_peek(c) == '}')
		{
			c->pos++;
			return 0;
		}
		return jt_syntax_error(c, c->pos, "expected \",\" or \"}\"");
	}
}

/* Report the first field that is neither seen nor optional. */
int
jt_check_missing(JtCursor *c, const JtField *fields, int n, const bool *seen)
{
	for (int i = 0; i < n; i++)
	{
		if (seen[i] || fields[i].optional)
			continue;
		if (jt_claim(c->err, VGM_TEXT_ERR_FIELD, c->len))
		{
			jt_msg(c->err, message_or_syntax(c, c->messages->missing), jt_field_path(&fields[i]));
			jt_detail(c->err, "Field \"%s\" is missing; format version %d requires it.",
					  jt_field_path(&fields[i]), c->messages->version);
		}
		return VGM_TEXT_ERR_FIELD;
	}
	return VGM_TEXT_OK;
}
