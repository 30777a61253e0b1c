/*
 * json_record.c - the scalar fields of a record in a JSON text (see
 *                 json_record.h): the readers and the writer both model
 *                 codecs drive with their field tables.
 *
 * Pure C11.  Errors follow the kit's rule: a syntax error stops reading,
 * any other is kept if it is the first (jt_claim) and reading goes on.
 */
#include "json_record.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Kinds of integer field. */
typedef enum
{
	INT_I32, INT_I64, INT_U64
} IntKind;

/* The start of every message of the form. */
static const char *
prefix(const JtCursor *c)
{
	return c->messages && c->messages->prefix ? c->messages->prefix : "";
}

/* Does the codec judge f itself (and has now noted it)? */
static bool
judged_later(JtRecord *rec, const JtField *f)
{
	const JtRecordForm *form = rec->form;

	/* equality, not a difference: f may belong to a nested object's table */
	for (int i = 0; i < form->n; i++)
		if (f == &form->fields[i])
		{
			if (!(form->judged_later & (UINT32_C(1) << i)))
				return false;
			rec->judged_bad[i] = true;
			return true;
		}
	return false;
}

/* Complain that the value of f is not want, then step over it. */
int
jt_record_wrong_type(JtCursor *c, const JtField *f, JtRecord *rec, const char *want, int depth)
{
	size_t		start = c->pos;

	if (jt_skip_value(c, depth) < 0)
		return -1;
	if (!judged_later(rec, f) && jt_claim(c->err, VGM_TEXT_ERR_RANGE, start))
	{
		jt_msg(c->err, "%sfield \"%s\" must be %s", prefix(c), jt_field_path(f), want);
		jt_detail(c->err, "The value of field \"%s\" at byte offset %zu is not %s.",
				  jt_field_path(f), start, want);
	}
	return 0;
}

/* A number as a double for the field called name; range problems are kept. */
int
jt_read_double_for(JtCursor *c, const char *name, double *out)
{
	JtNumber	tok;
	int			rc;

	*out = 0;
	if (jt_scan_number(c, &tok) < 0)
		return -1;
	rc = jt_number_double(c, &tok, out);
	if (rc <= JT_NUM_OK)
		return rc;
	if (!jt_claim(c->err, VGM_TEXT_ERR_RANGE, tok.start))
		return 0;
	if (rc == JT_NUM_TOO_LONG)
	{
		jt_msg(c->err, "%snumber too long in field \"%s\"", prefix(c), name);
		jt_detail(c->err, "The number at byte offset %zu has %zu characters; at most %d are allowed.",
				  tok.start, tok.len, JT_MAX_NUMBER_CHARS);
	}
	else
	{
		jt_msg(c->err, "%sfield \"%s\" out of range", prefix(c), name);
		jt_detail(c->err, "The number at byte offset %zu is outside the range of type double precision.",
				  tok.start);
	}
	return 0;
}

/* A JSON integer of the kind's range into the record at f->arg. */
static int
read_integer(JtCursor *c, const JtField *f, JtRecord *rec, int depth, IntKind kind)
{
	static const char *const type_name[] = {"integer", "bigint", "64-bit unsigned integer"};
	static const uint64_t max_pos[] = {INT32_MAX, INT64_MAX, UINT64_MAX};
	/* -0 is the only negative a uint64 takes */
	static const uint64_t max_neg[] = {(uint64_t) INT32_MAX + 1, (uint64_t) INT64_MAX + 1, 0};
	JtNumber	tok;
	bool		neg;
	uint64_t	mag;
	int			rc;

	if (!jt_number_start(jt_peek(c)))
		return jt_record_wrong_type(c, f, rec, "an integer", depth);
	if (jt_scan_number(c, &tok) < 0)
		return -1;
	rc = jt_number_magnitude(c, &tok, &neg, &mag);
	if (rc == JT_NUM_OK && mag <= (neg ? max_neg[kind] : max_pos[kind]))
	{
		/* two's complement: the low bytes of the 64-bit value */
		uint64_t	v = neg ? 0 - mag : mag;
		char	   *dst = rec->base + f->arg;

		if (kind == INT_I32)
		{
			int32_t		v32 = (int32_t) (int64_t) v;

			memcpy(dst, &v32, sizeof(v32));
		}
		else
			memcpy(dst, &v, sizeof(v));
		return 0;
	}
	if (judged_later(rec, f) || !jt_claim(c->err, VGM_TEXT_ERR_RANGE, tok.start))
		return 0;
	if (rc == JT_NUM_NOT_INTEGER)
	{
		jt_msg(c->err, "%sfield \"%s\" must be an integer", prefix(c), jt_field_path(f));
		jt_detail(c->err, "The number at byte offset %zu has a fraction or an exponent.",
				  tok.start);
	}
	else
	{
		jt_msg(c->err, "%sfield \"%s\" out of range", prefix(c), jt_field_path(f));
		jt_detail(c->err, "The number at byte offset %zu is outside the range of type %s.",
				  tok.start, type_name[kind]);
	}
	return 0;
}

/* An int32 field. */
int
jt_record_i32(JtCursor *c, const JtField *f, void *target, int depth)
{
	return read_integer(c, f, target, depth, INT_I32);
}

/* An int64 field. */
int
jt_record_i64(JtCursor *c, const JtField *f, void *target, int depth)
{
	return read_integer(c, f, target, depth, INT_I64);
}

/* A uint64 field (-0 is 0). */
int
jt_record_u64(JtCursor *c, const JtField *f, void *target, int depth)
{
	return read_integer(c, f, target, depth, INT_U64);
}

/* true or false into the int32 at f->arg. */
int
jt_record_bool(JtCursor *c, const JtField *f, void *target, int depth)
{
	JtRecord   *rec = target;
	int			ch = jt_peek(c);
	int32_t		v = ch == 't';

	if (ch != 't' && ch != 'f')
		return jt_record_wrong_type(c, f, rec, "true or false", depth);
	if (jt_literal(c, ch == 't' ? "true" : "false") < 0)
		return -1;
	memcpy(rec->base + f->arg, &v, sizeof(v));
	return 0;
}

/* A number field into the double at f->arg. */
int
jt_record_double(JtCursor *c, const JtField *f, void *target, int depth)
{
	JtRecord   *rec = target;
	double		v;

	if (!jt_number_start(jt_peek(c)))
		return jt_record_wrong_type(c, f, rec, "a number", depth);
	if (jt_read_double_for(c, jt_field_path(f), &v) < 0)
		return -1;
	memcpy(rec->base + f->arg, &v, sizeof(v));
	return 0;
}

/* Is f read by one of the record readers? */
static bool
is_scalar(const JtField *f)
{
	return f->read == jt_record_i32 || f->read == jt_record_i64 || f->read == jt_record_u64
		|| f->read == jt_record_bool || f->read == jt_record_double;
}

/* Append sep "name":value for the scalar field f of the record at base. */
void
jt_put_record_field(JtOut *o, const char *sep, const JtField *f, const void *base)
{
	const char *at = (const char *) base + f->arg;
	int32_t		i32;
	int64_t		i64;
	uint64_t	u64;
	double		dbl;

	jt_put_key(o, sep, f->name);
	if (f->read == jt_record_i32 || f->read == jt_record_bool)
	{
		memcpy(&i32, at, sizeof(i32));
		if (f->read == jt_record_bool)
			jt_puts(o, i32 ? "true" : "false");
		else
			jt_put_i64(o, i32);
	}
	else if (f->read == jt_record_i64)
	{
		memcpy(&i64, at, sizeof(i64));
		jt_put_i64(o, i64);
	}
	else if (f->read == jt_record_u64)
	{
		memcpy(&u64, at, sizeof(u64));
		jt_put_u64(o, u64);
	}
	else
	{
		memcpy(&dbl, at, sizeof(dbl));
		jt_put_double(o, dbl);
	}
}

/* Start reading a record's text: the error record, out zeroed, '{' first. */
int
jt_record_begin(JtCursor *c, JtError *err, const JtMessages *messages,
				const char *text, size_t len, void *out, size_t out_size,
				char *msg, size_t msglen, char *detail, size_t detaillen)
{
	const char *pre = messages->prefix ? messages->prefix : "";

	jt_error_init(err, msg, msglen, detail, detaillen);
	if (out == NULL)
	{
		jt_msg(err, "%sno output model", pre);
		jt_detail(err, "The parser was called without a place for its result.");
		return VGM_TEXT_ERR_RANGE;
	}
	memset(out, 0, out_size);
	jt_init(c, text, len, err, messages);
	jt_skip_ws(c);
	if (jt_peek(c) != '{')
	{
		jt_syntax_error(c, c->pos, "expected \"{\" to begin %s", messages->noun);
		return VGM_TEXT_ERR_SYNTAX;
	}
	return VGM_TEXT_OK;
}

/* Read the record's object and the end of the text. */
int
jt_record_read(JtCursor *c, JtRecord *rec, const JtRecordForm *form, void *base)
{
	rec->base = base;
	rec->form = form;
	if (jt_read_object(c, form->fields, form->n, rec->seen_top, "", rec, 1) < 0)
		return -1;
	return jt_expect_end(c);
}

/* A nested object field: its own table, its own seen keys. */
int
jt_record_object(JtCursor *c, const JtField *f, void *target, int depth)
{
	JtRecord   *rec = target;
	const JtRecordObject *ob = &rec->form->objects[f->arg];

	if (jt_peek(c) != '{')
		return jt_record_wrong_type(c, f, rec, "an object", depth);
	if (jt_read_object(c, ob->fields, ob->n, rec->seen[f->arg], ob->prefix, rec, depth) < 0)
		return -1;
	rec->object_read[f->arg] = true;
	return 0;
}

/* The detail of a model version this build does not read; returns the status. */
static int
model_version_detail(JtError *e, int32_t version, int first, int second)
{
	jt_detail(e, "The model has format version %" PRId32 "; this build of vgm reads versions %d and %d.",
			  version, first, second);
	return VGM_TEXT_ERR_VERSION;
}

/* A model's format version: first or second. */
int
jt_check_model_version(JtError *e, const char *prefix, int32_t version, int first, int second)
{
	if (version == first || version == second)
		return VGM_TEXT_OK;
	jt_msg(e, "%sunsupported format version %" PRId32, prefix, version);
	return model_version_detail(e, version, first, second);
}

/* The version of a model's text, judged once the whole text is read. */
int
jt_record_check_version(JtCursor *c, const JtRecord *rec, int field, int32_t version,
						int first, int second)
{
	JtError    *e = c->err;
	bool		bad = rec->judged_bad[field];

	if (!rec->seen_top[field] || (!bad && (version == first || version == second)))
		return VGM_TEXT_OK;
	jt_error_clear(e);
	jt_msg(e, "%sunsupported format version", c->messages->prefix);
	if (!bad)
		return model_version_detail(e, version, first, second);
	jt_detail(e, "The field \"%s\" must be the integer %d or %d.",
			  rec->form->fields[field].name, first, second);
	return VGM_TEXT_ERR_VERSION;
}

/* Validate the value a parse built; a failure frees its block and zeroes it. */
int
jt_record_validate(JtError *e, JtValidateFn validate, void *out, size_t out_size,
				   void *block, const VgmAllocator *alloc)
{
	int			rc;

	jt_error_clear(e);
	rc = validate(out, e);
	if (rc != VGM_TEXT_OK)
	{
		vgm_mem_free(alloc, block);
		memset(out, 0, out_size);
	}
	return rc;
}

/* A validator on the caller's message buffers. */
int
jt_validate_into(JtValidateFn validate, const void *value,
				 char *msg, size_t msglen, char *detail, size_t detaillen)
{
	JtError		e;

	jt_error_init(&e, msg, msglen, detail, detaillen);
	return validate(value, &e);
}

/* The first missing field: top level, then the objects read. */
int
jt_record_check_missing(JtCursor *c, const JtRecord *rec)
{
	const JtRecordForm *form = rec->form;
	int			rc = jt_check_missing(c, form->fields, form->n, rec->seen_top);

	for (int o = 0; rc == VGM_TEXT_OK && o < form->n_objects; o++)
		if (rec->object_read[o])
			rc = jt_check_missing(c, form->objects[o].fields, form->objects[o].n, rec->seen[o]);
	return rc;
}

/* Append fields[from .. to) of a table of the form. */
static void
put_fields(JtOut *o, const JtRecordForm *form, const char *first, const JtField *fields,
		   int from, int to, const void *base, const void *ctx)
{
	for (int i = from; i < to; i++)
	{
		const JtField *f = &fields[i];
		const char *sep = i == from ? first : ",";

		if (is_scalar(f))
			jt_put_record_field(o, sep, f, base);
		else if (f->read == jt_record_object)
		{
			const JtRecordObject *ob = &form->objects[f->arg];

			jt_put_key(o, sep, f->name);
			put_fields(o, form, "{", ob->fields, 0, ob->n, base, ctx);
			jt_puts(o, "}");
		}
		else
			form->put_other(o, sep, f, base, ctx);
	}
}

/* Append the record at base as an object of the form's fields, or null. */
void
jt_put_record(JtOut *o, const JtRecordForm *form, const void *base, const void *ctx)
{
	if (base == NULL)
	{
		jt_puts(o, "null");
		return;
	}
	put_fields(o, form, "{", form->fields, 0, form->n, base, ctx);
	jt_puts(o, "}");
}

/* A finite double, or an error naming the field (idx: its index text). */
int
jt_check_finite(JtError *e, const char *prefix, const char *name, const char *idx, double v)
{
	char		num[40];

	if (isfinite(v))
		return VGM_TEXT_OK;
	jt_msg(e, "%snon-finite number in field \"%s%s\"", prefix, name, idx);
	jt_detail(e, "Field \"%s%s\" is %s; every number of a model must be finite.",
			  name, idx, jt_num_text(v, num, sizeof(num)));
	return VGM_TEXT_ERR_RANGE;
}

/* A double that must satisfy a rule written in words. */
int
jt_check_rule(JtError *e, const char *prefix, const char *name, const char *idx, double v,
			  bool ok, const char *rule)
{
	char		num[40];

	if (ok)
		return VGM_TEXT_OK;
	jt_msg(e, "%sfield \"%s%s\" out of range", prefix, name, idx);
	jt_detail(e, "Field \"%s%s\" is %s; it must be %s.",
			  name, idx, jt_num_text(v, num, sizeof(num)), rule);
	return VGM_TEXT_ERR_RANGE;
}

/* A count or option that must not be negative. */
int
jt_check_nonneg(JtError *e, const char *prefix, const char *name, int64_t v)
{
	if (v >= 0)
		return VGM_TEXT_OK;
	jt_msg(e, "%sfield \"%s\" out of range", prefix, name);
	jt_detail(e, "Field \"%s\" is %" PRId64 "; it must be at least 0.", name, v);
	return VGM_TEXT_ERR_RANGE;
}

/* A summary type's format version: one of first .. last. */
int
jt_check_summary_version(JtError *e, const char *type, int64_t version, int first, int last)
{
	char		message[96];

	if (version >= first && version <= last)
		return VGM_TEXT_OK;
	snprintf(message, sizeof(message), "unsupported %s format version", type);
	return jt_fail(e, VGM_TEXT_ERR_VERSION, 0, message,
				   last == first + 1 ? "The version is %" PRId64 "; this build reads versions %d and %d." :
				   "The version is %" PRId64 "; this build reads versions %d to %d.",
				   version, first, last);
}

/* A summary type's resolution: a shift between 0 and max_shift. */
int
jt_check_summary_shift(JtError *e, const char *type, int64_t shift, int max_shift)
{
	char		message[96];

	if (shift >= 0 && shift <= max_shift)
		return VGM_TEXT_OK;
	snprintf(message, sizeof(message), "invalid %s: resolution out of range", type);
	return jt_fail(e, VGM_TEXT_ERR_RANGE, 0, message,
				   "The shift is %" PRId64 "; it must be between 0 and %d.", shift, max_shift);
}

/* A flag stored as an int32: 0 or 1. */
int
jt_check_flag(JtError *e, const char *prefix, const char *name, int32_t v)
{
	if (v == 0 || v == 1)
		return VGM_TEXT_OK;
	jt_msg(e, "%sfield \"%s\" out of range", prefix, name);
	jt_detail(e, "Field \"%s\" is %" PRId32 "; it must be 0 or 1.", name, v);
	return VGM_TEXT_ERR_RANGE;
}

/* Allocate, or report "out of memory". */
void *
jt_alloc_or_report(JtError *e, const char *prefix, const VgmAllocator *alloc, size_t size)
{
	void	   *p = vgm_mem_alloc(alloc, size);

	if (p == NULL)
	{
		jt_msg(e, "%sout of memory", prefix);
		jt_detail(e, "Failed on request of size %zu.", size);
	}
	return p;
}
