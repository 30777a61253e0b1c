/*
 * json_record.h - the scalar fields of a C record in a JSON text: int32,
 *                 int64, uint64, true/false (an int32) and double, read and
 *                 written through the kit's field tables.
 *
 * Pure C, on json_text.h.  The text forms of vgm_model and vgm_joint_model
 * keep their headers (priors, fit and training diagnostics) this way; a
 * field's reader names its type, its arg is its byte offset in the record,
 * and the writer dispatches on the same reader, so one table drives both
 * directions.  Messages begin with the form's JtMessages.prefix.
 */
#ifndef VGM_JSON_RECORD_H
#define VGM_JSON_RECORD_H

#include <stdbool.h>

#include "json_text.h"

/*
 * What the record readers write into: the first member of a codec's reader
 * state, which the field table's readers receive as their target.
 */
typedef struct JtRecord JtRecord;
struct JtRecord
{
	char	   *base;			/* f->arg is a byte offset from here */

	/*
	 * A top-level field whose ill-typed or out-of-range value the codec
	 * judges itself later (its version, its dims): note it and return true.
	 * NULL: none.
	 */
	bool		(*judge_later) (JtRecord *rec, const JtField *f);
};

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

/* Is f read by one of the record readers? */
bool		jt_record_is_scalar(const JtField *f);

/* Append sep "name":value for the scalar field f of the record at base. */
void		jt_put_record_field(JtOut *o, const char *sep, const JtField *f,
								const void *base);

#endif							/* VGM_JSON_RECORD_H */
