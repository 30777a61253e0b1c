/*
 * json_text.h - the one JSON text kit behind every text form of vgm
 *               (vgm_model, vgm_summary, vgm_ks_state).
 *
 * Pure C: no PostgreSQL headers, so the codecs built on it are unit-tested
 * and fuzzed on their own.  The kit owns everything the three grammars share:
 *
 *   - a cursor over untrusted text of known length (never NUL-terminated
 *     as far as the kit is concerned), with strict JSON number, string and
 *     literal tokens and a bounded skip over any value;
 *   - an object reader driven by a field table: keys in any order; unknown,
 *     repeated and missing keys reported by name;
 *   - one error record: status, byte offset, message and detail, where a
 *     syntax error beats every other kind and otherwise the first error in
 *     text order is kept;
 *   - one appender, writing into the caller's buffer (counting what did not
 *     fit) or into a buffer that grows through a VgmAllocator;
 *   - the shortest round-trip formatting of doubles.
 *
 * A codec keeps only its field table, the readers of its own values and its
 * cross-field checks.
 */
#ifndef VGM_JSON_TEXT_H
#define VGM_JSON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "allocator.h"
#include "codec_status.h"

/*
 * The kit is internal to the module: hidden symbols are called directly,
 * not through the PLT of a shared library (the codecs make a call per
 * token and per appended piece).
 */
#pragma GCC visibility push(hidden)

/*
 * Status of every text codec: the codec statuses of codec_status.h, which
 * the glue maps to SQLSTATEs in one place (vgm_codec_errcode in
 * codec_errcode.h).
 */
#define VGM_TEXT_OK VGM_CODEC_OK
#define VGM_TEXT_ERR_SYNTAX VGM_CODEC_ERR_SYNTAX
#define VGM_TEXT_ERR_FIELD VGM_CODEC_ERR_FIELD
#define VGM_TEXT_ERR_VERSION VGM_CODEC_ERR_VERSION
#define VGM_TEXT_ERR_RANGE VGM_CODEC_ERR_RANGE
#define VGM_TEXT_ERR_NOMEM VGM_CODEC_ERR_NOMEM
#define VGM_TEXT_ERR_OVERFLOW VGM_CODEC_ERR_OVERFLOW

/* Nesting bound of every reader (objects and arrays). */
#define JT_MAX_DEPTH 32
/* Longest number token read; jsonb writes 5e-324 as about 330 digits. */
#define JT_MAX_NUMBER_CHARS 1100
/* Longest key kept for matching and messages (longer ones are unknown). */
#define JT_MAX_KEY_CHARS 64

/* ------------------------------------------------------------------------
 * Shortest doubles
 * ------------------------------------------------------------------------ */

/* Shortest decimal text of a finite double that reads back exactly. */
int			vgm_format_double(double value, char *buf, size_t buflen);

/*
 * A faster source of shortest digits for vgm_format_double: writes the
 * shortest round-trip decimal of a finite double into buf (at least 32
 * bytes) in any of the forms "-1.25e+17", "0.001", "120", and returns its
 * length.  The server installs PostgreSQL's own (Ryu), about four times
 * faster than the printf search; the layout is the same, and so are the
 * digits except where a shorter decimal lies exactly halfway between two
 * doubles: PostgreSQL's Ryu does not count on the reader rounding such a
 * tie to even and keeps one more digit.  Either text reads back exactly.
 */
typedef int (*VgmShortestDecimal) (double value, char *buf);
void		vgm_set_shortest_decimal(VgmShortestDecimal fn);

/* ------------------------------------------------------------------------
 * The appender
 * ------------------------------------------------------------------------ */

typedef struct JtOut
{
	char	   *buf;
	size_t		cap;
	size_t		len;			/* length the full text needs */
	const VgmAllocator *alloc;	/* growable buffers only */
	bool		growable;
	bool		failed;			/* a growable buffer could not grow */
} JtOut;

/* Write into buf[cap]: what does not fit is counted, not written; returns o. */
JtOut	   *jt_out_fixed(JtOut *o, char *buf, size_t cap);

/* Write into a buffer that grows through alloc (NULL: malloc). */
void		jt_out_growable(JtOut *o, const VgmAllocator *alloc, size_t initial);

/* Append n bytes when they do not fit (grow, or count what is cut). */
void		jt_put_slow(JtOut *o, const char *s, size_t n);

/* Append n bytes: inline while they fit, as they nearly always do. */
static inline void
jt_put(JtOut *o, const char *s, size_t n)
{
	if (o->cap - o->len > n && o->len < o->cap)
	{
		__builtin_memcpy(o->buf + o->len, s, n);
		o->len += n;
	}
	else
		jt_put_slow(o, s, n);
}

/* Append a NUL-terminated string. */
static inline void
jt_puts(JtOut *o, const char *s)
{
	jt_put(o, s, __builtin_strlen(s));
}

/* Append a signed / an unsigned 64-bit integer. */
void		jt_put_i64(JtOut *o, int64_t v);
void		jt_put_u64(JtOut *o, uint64_t v);

/* Append a double as its shortest round-trip text ("null" if not finite). */
void		jt_put_double(JtOut *o, double v);

/*
 * NUL-terminate (truncating a fixed buffer) and return the length the whole
 * text needs, excluding the NUL.
 */
size_t		jt_out_finish(JtOut *o);

/* NUL-terminate and return the text (of a growable buffer: the caller's now). */
char	   *jt_out_text(JtOut *o);

/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */

typedef struct JtError
{
	char	   *msg;
	size_t		msglen;
	char	   *detail;
	size_t		detaillen;
	int			status;			/* VGM_TEXT_OK until an error is kept */
	size_t		offset;			/* byte offset of the kept error */
} JtError;

/* Start with no error and empty message buffers (either may be NULL). */
void		jt_error_init(JtError *e, char *msg, size_t msglen,
						  char *detail, size_t detaillen);

/* Forget the kept error, so that a later check can report its own. */
void		jt_error_clear(JtError *e);

/*
 * Keep an error of this status at this offset if it wins: a syntax error
 * always does, anything else only when no error is kept yet.  Returns true
 * when the caller should write the message and detail.
 */
bool		jt_claim(JtError *e, int status, size_t offset);

/* Format into buf[len] (truncating; empty if formatting fails). */
void		jt_write(char *buf, size_t len, const char *fmt,...) __attribute__((format(printf, 3, 4)));

/* Write the message / the detail of the error just claimed. */
#define jt_msg(e, ...) jt_write((e)->msg, (e)->msglen, __VA_ARGS__)
#define jt_detail(e, ...) jt_write((e)->detail, (e)->detaillen, __VA_ARGS__)

/* Claim, then write a fixed message and a formatted detail; returns status. */
int			jt_fail(JtError *e, int status, size_t offset, const char *msg,
					const char *detail_fmt,...) __attribute__((format(printf, 5, 6)));

/*
 * Write a fixed message and a formatted detail into a caller's buffers
 * (either may be NULL); returns status.  For the codecs that keep no
 * JtError: the binary forms and the packed bucket string.
 */
int			jt_report(int status, char *msg, size_t msglen, char *detail, size_t detaillen,
					  const char *message, const char *detail_fmt,...)
			__attribute__((format(printf, 7, 8)));

/* Text of any double for a message (NaN and infinities included). */
const char *jt_num_text(double v, char *buf, size_t buflen);

/* ------------------------------------------------------------------------
 * The cursor and its tokens
 * ------------------------------------------------------------------------ */

/*
 * The messages of one text form.  unknown, duplicate and missing are
 * formats that may use one %s, the field's name; the details are the kit's.
 * Any message left NULL is the syntax message.
 */
typedef struct JtMessages
{
	const char *prefix;			/* "invalid vgm_model: ": the start of a field's message (json_record.c); NULL: none */
	const char *syntax;			/* malformed text */
	const char *trailing;		/* text after the value */
	const char *noun;			/* "the model": what the text holds */
	const char *unknown;
	const char *duplicate;
	const char *missing;
	int			version;		/* format version named in details */
	bool		ascii_keys;		/* a key outside ASCII is malformed, not unknown */
} JtMessages;

typedef struct JtCursor
{
	const unsigned char *s;
	size_t		len;
	size_t		pos;
	JtError    *err;
	const JtMessages *messages;
} JtCursor;

/* Start reading text[0 .. len) (text may be NULL when len is 0). */
void		jt_init(JtCursor *c, const char *text, size_t len, JtError *err,
					const JtMessages *messages);

/* The byte at the cursor, or -1 at the end. */
static inline int
jt_peek(const JtCursor *c)
{
	return c->pos < c->len ? c->s[c->pos] : -1;
}

/* Step over JSON whitespace. */
static inline void
jt_skip_ws(JtCursor *c)
{
	while (c->pos < c->len)
	{
		unsigned char ch = c->s[c->pos];

		if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
			break;
		c->pos++;
	}
}

/*
 * Report malformed text at pos: the form's syntax message and "Unexpected X
 * at byte offset N; <what>."  Returns -1, which every reader passes up.
 */
int			jt_syntax_error(JtCursor *c, size_t pos, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* After whitespace: the character ch, or a syntax error naming what. */
int			jt_expect(JtCursor *c, int ch, const char *what);

/* After whitespace: consume ch if it is next. */
bool		jt_accept(JtCursor *c, int ch);

/* After whitespace: the end of the text, or the form's trailing message. */
int			jt_expect_end(JtCursor *c);

/* Could a JSON number start with byte ch? */
static inline bool
jt_number_start(int ch)
{
	return ch == '-' || (ch >= '0' && ch <= '9');
}

/* A number token: s[start .. start + len). */
typedef struct JtNumber
{
	size_t		start;
	size_t		len;
	bool		is_int;			/* neither fraction nor exponent */
} JtNumber;

/* Results of converting a number token. */
#define JT_NUM_OK 0
#define JT_NUM_NOT_INTEGER 1	/* a fraction or an exponent */
#define JT_NUM_OUT_OF_RANGE 2	/* beyond the type (or infinite for a double) */
#define JT_NUM_TOO_LONG 3		/* more than JT_MAX_NUMBER_CHARS characters */

/* Scan a number token (strict JSON grammar) at the cursor; -1: syntax error. */
int			jt_scan_number(JtCursor *c, JtNumber *tok);

/* The token as a double: JT_NUM_OK, _OUT_OF_RANGE, _TOO_LONG, or -1 (reported). */
int			jt_number_double(JtCursor *c, const JtNumber *tok, double *out);

/* The token as sign and magnitude: JT_NUM_OK, _NOT_INTEGER or _OUT_OF_RANGE. */
int			jt_number_magnitude(const JtCursor *c, const JtNumber *tok,
								bool *negative, uint64_t *magnitude);

/* The token as an int64: JT_NUM_OK, _NOT_INTEGER or _OUT_OF_RANGE. */
int			jt_number_int64(const JtCursor *c, const JtNumber *tok, int64_t *out);

/* jt_scan_number, then jt_number_double. */
int			jt_scan_double(JtCursor *c, JtNumber *tok, double *out);

int			jt_scan_int64_any(JtCursor *c, JtNumber *tok, int64_t *out);

/*
 * jt_scan_number, then jt_number_int64.  Inline, in one pass, for plain
 * integers of at most 18 digits (every count and key of a state or a
 * summary); anything else takes jt_scan_int64_any.
 */
static inline int
jt_scan_int64(JtCursor *c, JtNumber *tok, int64_t *out)
{
	const unsigned char *s = c->s;
	size_t		len = c->len;
	size_t		p = c->pos;
	size_t		first;
	bool		neg = p < len && s[p] == '-';
	uint64_t	mag = 0;

	p += neg ? 1 : 0;
	first = p;
	while (p < len && p - first < 18 && s[p] >= '0' && s[p] <= '9')
		mag = mag * 10 + (uint64_t) (s[p++] - '0');
	if (p == first || (s[first] == '0' && p > first + 1) ||
		(p < len && ((s[p] >= '0' && s[p] <= '9') || s[p] == '.' || s[p] == 'e' || s[p] == 'E')))
		return jt_scan_int64_any(c, tok, out);
	tok->start = c->pos;
	tok->len = p - c->pos;
	tok->is_int = true;
	c->pos = p;
	*out = neg ? -(int64_t) mag : (int64_t) mag;
	return JT_NUM_OK;
}

/*
 * A string token at the cursor (which holds '"').  Its text goes to out (up
 * to outcap bytes, no NUL; out NULL discards it): ASCII as is, anything else
 * as '?' with *nonascii set; *overflow tells that the text did not fit.
 */
int			jt_scan_string(JtCursor *c, char *out, size_t outcap, size_t *outlen,
						   bool *overflow, bool *nonascii);

/* The literal word (true, false, null) at the cursor. */
int			jt_literal(JtCursor *c, const char *word);

/* Step over any JSON value at the cursor (after whitespace). */
int			jt_skip_value(JtCursor *c, int depth);

/*
 * Arrays: jt_array_begin consumes '[' (after whitespace) and returns 1 when
 * an element follows, 0 for an empty array; after each element
 * jt_array_next consumes ',' (returns 1) or ']' (returns 0).  Both return
 * -1 after a syntax error.
 */
int			jt_array_begin(JtCursor *c, int depth);

static inline int
jt_array_next(JtCursor *c)
{
	jt_skip_ws(c);
	if (jt_peek(c) == ',')
	{
		c->pos++;
		jt_skip_ws(c);
		return 1;
	}
	if (jt_peek(c) == ']')
	{
		c->pos++;
		return 0;
	}
	return jt_syntax_error(c, c->pos, "expected \",\" or \"]\"");
}

/* ------------------------------------------------------------------------
 * Objects driven by a field table
 * ------------------------------------------------------------------------ */

typedef struct JtField JtField;

/*
 * Read the value of field f at the cursor (after whitespace) into target.
 * Returns 0, also after keeping a non-syntax error with jt_claim (reading
 * goes on, so that a later syntax error still wins), or -1 after a syntax
 * error.
 */
typedef int (*JtReadFn) (JtCursor *c, const JtField *f, void *target, int depth);

struct JtField
{
	const char *name;			/* the key */
	const char *path;			/* its name in messages; NULL: name */
	JtReadFn	read;
	size_t		arg;			/* the reader's: an offset, an index */
	bool		optional;		/* may be absent */
};

/* Name of a field in messages. */
static inline const char *
jt_field_path(const JtField *f)
{
	return f->path != NULL ? f->path : f->name;
}

/*
 * Read an object at the cursor (after whitespace; a syntax error unless it
 * holds '{').  Each key is looked up in fields[0 .. n); seen[i] is set when
 * field i is read.  Unknown keys (named with path_prefix in front) and
 * repeated keys are kept as VGM_TEXT_ERR_FIELD errors and their values
 * skipped.  Returns 0 or -1 after a syntax error.
 */
int			jt_read_object(JtCursor *c, const JtField *fields, int n, bool *seen,
						   const char *path_prefix, void *target, int depth);

/* Append sep and the key "name": of an object member. */
void		jt_put_key(JtOut *o, const char *sep, const char *name);

/*
 * Append "name":value for fields[0 .. n), each the int64 at base + arg (the
 * offsets the readers use), with first before the first and ',' between.
 */
void		jt_put_int64_fields(JtOut *o, const char *first, const JtField *fields,
								int n, const void *base);

/*
 * Report the first field of the table that is neither seen nor optional;
 * returns VGM_TEXT_ERR_FIELD, or VGM_TEXT_OK when every field is there.
 */
int			jt_check_missing(JtCursor *c, const JtField *fields, int n, const bool *seen);

#pragma GCC visibility pop

#endif							/* VGM_JSON_TEXT_H */
