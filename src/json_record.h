/*
 * json_record.h - a C record in a JSON text: its scalar fields (int32,
 *                 int64, uint64, true/false as an int32, double) and its
 *                 nested objects, read and written through one form of the
 *                 kit's field tables, and the value checks both model
 *                 forms share.
 *
 * Pure C, on json_text.h.  The text forms of vgm_model and vgm_joint_model
 * keep their headers (priors, fit and training diagnostics) this way; a
 * field's reader names its type, its arg is its byte offset in the record,
 * and the writer dispatches on the same reader, so one table drives both
 * directions.  Nested objects (priors, fit, training) are fields of the
 * top-level table read by jt_record_object, which also tracks which of
 * their keys were seen; a codec keeps only its form (the tables), the
 * readers and writers of its arrays, and its cross-field checks.  Messages
 * begin with the form's JtMessages.prefix.
 */
#ifndef VGM_JSON_RECORD_H
#define VGM_JSON_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "json_text.h"

/* Most fields of one object of a record form, and most nested objects. */
#define JT_RECORD_MAX_FIELDS 16
#define JT_RECORD_MAX_OBJECTS 4

/* A nested object of a record form: its field table and its keys' prefix in messages. */
typedef struct JtRecordObject
{
	const JtField *fields;
	int			n;
	const char *prefix;			/* "priors.": names its unknown keys */
} JtRecordObject;

/*
 * Writer of a field that is neither a scalar of the record nor a nested
 * object (an array the codec keeps elsewhere): appends sep "name":value
 * from ctx, or nothing at all when the field is absent from this text.
 */
typedef void (*JtPutOtherFn) (JtOut *o, const char *sep, const JtField *f,
							  const void *base, const void *ctx);

/*
 * A record's text form: the top-level field table, the nested objects its
 * jt_record_object fields name (f->arg indexes objects), the writer of its
 * other fields, and the top-level fields whose ill-typed or out-of-range
 * value the codec judges itself later (its version, its dims: bit i for
 * fields[i]), which are only noted.
 */
typedef struct JtRecordForm
{
	const JtField *fields;
	int			n;
	const JtRecordObject *objects;
	int			n_objects;
	JtPutOtherFn put_other;
	uint32_t	judged_later;
} JtRecordForm;

/*
 * What the record readers write into: the first member of a codec's reader
 * state, which the field tables' readers receive as their target.
 */
typedef struct JtRecord JtRecord;
struct JtRecord
{
	char	   *base;			/* f->arg of a scalar is a byte offset from here */
	const JtRecordForm *form;
	bool		seen_top[JT_RECORD_MAX_FIELDS];
	bool		seen[JT_RECORD_MAX_OBJECTS][JT_RECORD_MAX_FIELDS];
	bool		object_read[JT_RECORD_MAX_OBJECTS]; /* read as an object */
	bool		judged_bad[JT_RECORD_MAX_FIELDS];	/* a judged-later field was ill-typed */
};

/*
 * Start reading a record's text: the error record on the caller's message
 * buffers (either may be NULL), the cursor over text[0 .. len), an out
 * zeroed (out NULL is an error of the caller), and '{' first (the messages'
 * noun names the text in the syntax error).  Returns VGM_TEXT_OK, _ERR_RANGE
 * or _ERR_SYNTAX.
 */
int			jt_record_begin(JtCursor *c, JtError *err, const JtMessages *messages,
							const char *text, size_t len, void *out, size_t out_size,
							char *msg, size_t msglen, char *detail, size_t detaillen);

/*
 * Read the record's object and the end of the text into rec (zeroed by the
 * caller), which reads into base.  Returns 0, or -1 after a syntax error.
 */
int			jt_record_read(JtCursor *c, JtRecord *rec, const JtRecordForm *form, void *base);

/* The reader of a nested object field: f->arg indexes the form's objects. */
int			jt_record_object(JtCursor *c, const JtField *f, void *target, int depth);

/*
 * The format version of a model's text, a top-level field the codec judges
 * later (its error beats every other but a syntax error): when the text
 * has it, the integer first or second.  Otherwise reports, forgetting the
 * error kept so far, and returns VGM_TEXT_ERR_VERSION; else VGM_TEXT_OK.
 */
int			jt_record_check_version(JtCursor *c, const JtRecord *rec, int field,
									int32_t version, int first, int second);

/* A codec's check of every invariant of its value, messages into e. */
typedef int (*JtValidateFn) (const void *value, JtError *e);

/*
 * The last step of a record's parse, once the codec has built out with its
 * arrays in block (from alloc): forget the errors kept while reading (each
 * has been judged), validate out, and when that fails free block and zero
 * out.  Returns the validator's status.
 */
int			jt_record_validate(JtError *e, JtValidateFn validate, void *out, size_t out_size,
							   void *block, const VgmAllocator *alloc);

/*
 * A codec's validate function on the caller's message buffers (either may
 * be NULL): the public check of a value the codec did not parse.
 */
int			jt_validate_into(JtValidateFn validate, const void *value,
							 char *msg, size_t msglen, char *detail, size_t detaillen);

/*
 * Report the first missing field: the top level, then each nested object
 * that was read as one (a missing object is reported as such, its fields
 * not).  Returns VGM_TEXT_ERR_FIELD or VGM_TEXT_OK.
 */
int			jt_record_check_missing(JtCursor *c, const JtRecord *rec);

/*
 * Append a record's text, the form's fields in their order as one object:
 * scalars from the record at base, nested objects with their own fields,
 * anything else through the form's put_other with ctx.  No record (base
 * NULL) is written as null.
 */
void		jt_put_record(JtOut *o, const JtRecordForm *form, const void *base, const void *ctx);

/*
 * The shared checks of a record's values, each reporting with the form's
 * message prefix: a finite double (name and index text idx in messages), a
 * double that satisfies a rule written in words, a count that is not
 * negative, a flag that is 0 or 1.  Each returns VGM_TEXT_OK or
 * VGM_TEXT_ERR_RANGE.
 */
int			jt_check_finite(JtError *e, const char *prefix, const char *name,
							const char *idx, double v);
int			jt_check_rule(JtError *e, const char *prefix, const char *name,
						  const char *idx, double v, bool ok, const char *rule);
int			jt_check_nonneg(JtError *e, const char *prefix, const char *name, int64_t v);
int			jt_check_flag(JtError *e, const char *prefix, const char *name, int32_t v);

/*
 * A model's format version, first or second: otherwise reports it (the
 * version in the message, after prefix) and returns VGM_TEXT_ERR_VERSION.
 */
int			jt_check_model_version(JtError *e, const char *prefix, int32_t version,
								   int first, int second);

/*
 * The checks both summary types (vgm_summary, vgm_joint_summary) make of
 * their text and of every value they validate, with type's name in the
 * message: a format version in the range this build reads
 * (VGM_TEXT_ERR_VERSION otherwise), a shift between 0 and max_shift
 * (VGM_TEXT_ERR_RANGE otherwise).  Each returns VGM_TEXT_OK or the status
 * it reported.
 */
int			jt_check_summary_version(JtError *e, const char *type, int64_t version,
									 int first, int last);
int			jt_check_summary_shift(JtError *e, const char *type, int64_t shift, int max_shift);

/*
 * Allocate size bytes, or report "out of memory" (with prefix) and return
 * NULL.
 */
void	   *jt_alloc_or_report(JtError *e, const char *prefix, const VgmAllocator *alloc,
							   size_t size);

/* The readers of the field tables (JtReadFn); target is the JtRecord. */
int			jt_record_i32(JtCursor *c, const JtField *f, void *target, int depth);
int			jt_record_i64(JtCursor *c, const JtField *f, void *target, int depth);
int			jt_record_u64(JtCursor *c, const JtField *f, void *target, int depth);
int			jt_record_bool(JtCursor *c, const JtField *f, void *target, int depth);
int			jt_record_double(JtCursor *c, const JtField *f, void *target, int depth);

/*
 * Complain that the value of f is not `want` (unless the codec judges f
 * later), then step over it.  Returns 0, or -1 after a syntax error.
 */
int			jt_record_wrong_type(JtCursor *c, const JtField *f, JtRecord *rec,
								 const char *want, int depth);

/*
 * A JSON number at the cursor as a double, for the field called name in
 * messages: a number too long or beyond a double is kept with jt_claim
 * (reading goes on).  Returns 0, or -1 after a syntax error.
 */
int			jt_read_double_for(JtCursor *c, const char *name, double *out);

/* Append sep "name":value for the scalar field f of the record at base. */
void		jt_put_record_field(JtOut *o, const char *sep, const JtField *f,
								const void *base);

#endif							/* VGM_JSON_RECORD_H */
