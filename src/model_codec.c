/*
 * model_codec.c - validation of a vgm_model and its JSON text form, on the
 *                 text kit of json_text.c.
 *
 * Pure C11: no PostgreSQL headers and no global mutable state, so the same
 * object links into the server module, the unit tests and fuzz harnesses.
 *
 * The writer emits one compact JSON object with the keys in a fixed order and
 * every double as the shortest decimal that reads back to the same bits.
 *
 * The reader is the kit's object reader driven by four field tables (the
 * top level, priors, fit, training).  It allocates nothing until the whole
 * text has been checked, so its only allocation is the final component
 * block (freed again if validation fails).
 *
 * Precedence of errors, so that a text with several problems gets a stable
 * answer: malformed JSON (first in text order) > unsupported version or dims
 * > the first unknown / duplicate field or ill-typed / out-of-range value in
 * text order > the first missing field > k out of range > an array whose
 * length is not k > the atoms field against the version > vgm_model_validate.
 *
 * Atoms (format version 2) are one optional field, "atoms": an array of
 * [value, weight] pairs in increasing value order, written only when the
 * model has atoms; a model without atoms has version 1 and the text of
 * every earlier build.
 */
#include "model_codec.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_record.h"
#include "json_text.h"
#include "model_form.h"

#define MSG_PREFIX "invalid vgm_model: "
#define WEIGHT_SUM_TOL 1e-9

/* The message of a model error: MSG_PREFIX and the formatted text. */
#define set_msg(e, fmt, ...) jt_msg((e), MSG_PREFIX fmt, ##__VA_ARGS__)
#define set_detail(e, ...) jt_detail((e), __VA_ARGS__)
#define num_text jt_num_text

typedef JtError ErrOut;

/* ------------------------------------------------------------------------
 * Validation
 * ------------------------------------------------------------------------ */

typedef enum
{
	DOM_ANY,					/* finite */
	DOM_POS,					/* > 0 */
	DOM_NONNEG,					/* >= 0 */
	DOM_UNIT,					/* [0, 1] */
	DOM_UNIT_OPEN,				/* [0, 1) */
	DOM_UNIT_POS				/* (0, 1] */
} Domain;

static int
in_domain(double v, Domain d)
{
	switch (d)
	{
		case DOM_ANY:
			return 1;
		case DOM_POS:
			return v > 0;
		case DOM_NONNEG:
			return v >= 0;
		case DOM_UNIT:
			return v >= 0 && v <= 1;
		case DOM_UNIT_OPEN:
			return v >= 0 && v < 1;
		case DOM_UNIT_POS:
			return v > 0 && v <= 1;
	}
	return 0;
}

static const char *
domain_text(Domain d)
{
	switch (d)
	{
		case DOM_ANY:
			return "finite";
		case DOM_POS:
			return "greater than 0";
		case DOM_NONNEG:
			return "at least 0";
		case DOM_UNIT:
			return "between 0 and 1";
		case DOM_UNIT_OPEN:
			return "at least 0 and less than 1";
		case DOM_UNIT_POS:
			return "greater than 0 and at most 1";
	}
	return "valid";
}

/* Field name for messages: name, or name[idx] when idx >= 0. */
static void
field_path(char *buf, size_t buflen, const char *name, long idx)
{
	if (idx >= 0)
		snprintf(buf, buflen, "%s[%ld]", name, idx);
	else
		snprintf(buf, buflen, "%s", name);
}

/* A finite double in a domain, or an error naming the field (element idx >= 0). */
static int
check_double(ErrOut *e, const char *name, long idx, double v, Domain d)
{
	char		path[96];
	int			rc;

	if (isfinite(v) && in_domain(v, d))
		return VGM_MODEL_OK;
	field_path(path, sizeof(path), name, idx);
	if ((rc = jt_check_finite(e, MSG_PREFIX, path, "", v)))
		return rc;
	return jt_check_rule(e, MSG_PREFIX, path, "", v, false, domain_text(d));
}

/* A count or option that must not be negative. */
#define check_nonneg_int(e, name, v) jt_check_nonneg((e), MSG_PREFIX, (name), (v))

/* The per-component arrays of a model (model_form.h). */
#define N_ARRAYS VGM_N_COMPONENT_ARRAYS

/* Name, component member (weights: none) and domain of each array. */
static const struct
{
	const char *name;
	size_t		member;
	Domain		domain;
}			arrays[N_ARRAYS] = {
	[VGM_ARR_WEIGHTS] = {"weights", 0, DOM_UNIT},
	[VGM_ARR_MEANS] = {"means", offsetof(VgmComponent, mean), DOM_ANY},
	[VGM_ARR_COVARIANCES] = {"covariances", offsetof(VgmComponent, covariance), DOM_POS},
	[VGM_ARR_MEAN_PRECISION] = {"mean_precision", offsetof(VgmComponent, mean_precision), DOM_POS},
	[VGM_ARR_DOF] = {"degrees_of_freedom", offsetof(VgmComponent, dof), DOM_POS},
	[VGM_ARR_CONC_A] = {"weight_concentration_a", offsetof(VgmComponent, conc_a), DOM_POS},
	[VGM_ARR_CONC_B] = {"weight_concentration_b", offsetof(VgmComponent, conc_b), DOM_POS},
};

/* Element i of array a of a model. */
static double
array_value(const VgmModelView *model, int a, long i)
{
	double		v;

	if (a == VGM_ARR_WEIGHTS)
		return model->weights[i];
	memcpy(&v, (const char *) &model->comp[i] + arrays[a].member, sizeof(v));
	return v;
}

/* Check every element of array a against a domain. */
static int
check_array(ErrOut *e, const VgmModelView *model, int a, Domain d)
{
	int			rc;

	for (long i = 0; i < model->hdr.k; i++)
		if ((rc = check_double(e, arrays[a].name, i, array_value(model, a, i), d)))
			return rc;
	return VGM_MODEL_OK;
}

/* A count in lo .. hi, or message and a detail of v and hi (detail_fmt: %d twice). */
static int
check_count(ErrOut *e, int32_t v, int32_t lo, int32_t hi, const char *message,
			const char *detail_fmt)
{
	if (v >= lo && v <= hi)
		return VGM_MODEL_OK;
	set_msg(e, "%s", message);
	set_detail(e, detail_fmt, v, hi);
	return VGM_MODEL_ERR_RANGE;
}

/* The number of components (1 .. VGM_MAX_COMPONENTS) and of atoms (0 .. VGM_MAX_ATOMS). */
#define check_k(e, k) \
	check_count((e), (k), 1, VGM_MAX_COMPONENTS, "k out of range", \
				"The model has k = %" PRId32 "; k must be between 1 and %d.")
#define check_n_atoms(e, n) \
	check_count((e), (n), 0, VGM_MAX_ATOMS, "too many atoms", \
				"The model has %" PRId32 " atoms; a model has between 0 and %d.")

/* Element i of the atoms, its value (part 0) or its weight (part 1), against a domain. */
static int
check_atom(ErrOut *e, const VgmModelView *model, long i, int part, Domain d)
{
	char		name[48];

	snprintf(name, sizeof(name), "atoms[%ld][%d]", i, part);
	return check_double(e, name, -1,
						part == 0 ? model->atom_values[i] : model->atom_weights[i], d);
}

/*
 * The atoms' own rules beyond their weights' domain: values strictly
 * increasing, and at least one valid mixture component beside them.
 */
static int
check_atoms(ErrOut *e, const VgmModelView *model)
{
	const VgmModelHeader *h = &model->hdr;
	bool		any_valid = false;

	for (long i = 0; i < h->n_atoms; i++)
	{
		if (i > 0 && !(model->atom_values[i - 1] < model->atom_values[i]))
		{
			char		n1[40],
						n2[40];

			set_msg(e, "atom values not strictly increasing");
			set_detail(e, "Atom %ld has value %s after %s; atoms are listed once each, in increasing order.",
					   i, num_text(model->atom_values[i], n1, sizeof(n1)),
					   num_text(model->atom_values[i - 1], n2, sizeof(n2)));
			return VGM_MODEL_ERR_RANGE;
		}
	}
	if (h->n_atoms == 0)
		return VGM_MODEL_OK;
	for (long j = 0; j < h->k; j++)
		any_valid |= model->weights[j] > h->weight_threshold;
	if (!any_valid)
	{
		char		num[40];

		set_msg(e, "model with atoms has no valid mixture component");
		set_detail(e, "No mixture weight exceeds the weight threshold %s; a model with atoms keeps at least one valid mixture component for the values that are not atoms.",
				   num_text(h->weight_threshold, num, sizeof(num)));
		return VGM_MODEL_ERR_RANGE;
	}
	return VGM_MODEL_OK;
}

/* Every invariant of a model, in a fixed order (a JtValidateFn). */
static int
validate(const void *value, ErrOut *e)
{
	const VgmModelView *model = value;
	const VgmModelHeader *h;
	int			rc;
	double		sum;

	if (model == NULL || model->comp == NULL || model->weights == NULL)
	{
		set_msg(e, "model has no components");
		set_detail(e, "The component arrays of the model are missing.");
		return VGM_MODEL_ERR_RANGE;
	}
	h = &model->hdr;

	if ((rc = jt_check_model_version(e, MSG_PREFIX, h->version, VGM_MODEL_FORMAT_VERSION,
									 VGM_MODEL_FORMAT_VERSION_ATOMS)))
		return rc;
	if (h->dims != 1)
	{
		set_msg(e, "unsupported number of dimensions %" PRId32, h->dims);
		set_detail(e, "The model has %" PRId32 " dimensions; only 1 is supported.",
				   h->dims);
		return VGM_MODEL_ERR_VERSION;
	}
	if ((rc = check_k(e, h->k)) || (rc = check_n_atoms(e, h->n_atoms)))
		return rc;
	if (h->version != vgm_model_version_for(h->n_atoms))
	{
		set_msg(e, "format version does not match the atoms");
		set_detail(e, "The model has %" PRId32 " atoms and format version %" PRId32 "; a model with atoms has version %d, one without has version %d.",
				   h->n_atoms, h->version, VGM_MODEL_FORMAT_VERSION_ATOMS, VGM_MODEL_FORMAT_VERSION);
		return VGM_MODEL_ERR_RANGE;
	}
	if (h->n_atoms > 0 && (model->atom_values == NULL || model->atom_weights == NULL))
	{
		set_msg(e, "model has no atom arrays");
		set_detail(e, "The model claims %" PRId32 " atoms, but its atom arrays are missing.",
				   h->n_atoms);
		return VGM_MODEL_ERR_RANGE;
	}

	/* every number finite, in the order the text form lists them */
	for (int a = 0; a < N_ARRAYS; a++)
		if ((rc = check_array(e, model, a, DOM_ANY)))
			return rc;
	for (long i = 0; i < h->n_atoms; i++)
		if ((rc = check_atom(e, model, i, 0, DOM_ANY)) || (rc = check_atom(e, model, i, 1, DOM_ANY)))
			return rc;
	{
		const struct
		{
			const char *name;
			double		v;
		}			hd[] = {
			{"weight_threshold", h->weight_threshold},
			{"priors.weight_concentration", h->priors.weight_concentration},
			{"priors.mean_precision", h->priors.mean_precision},
			{"priors.mean", h->priors.mean},
			{"priors.degrees_of_freedom", h->priors.degrees_of_freedom},
			{"priors.covariance", h->priors.covariance},
			{"priors.reg_covar", h->priors.reg_covar},
			{"fit.tol", h->tol},
			{"fit.lower_bound", h->lower_bound},
			{"fit.fit_ms", h->fit_ms},
			{"training.total_weight", h->total_weight},
			{"training.min", h->min},
			{"training.max", h->max},
		};

		for (size_t i = 0; i < sizeof(hd) / sizeof(hd[0]); i++)
			if ((rc = check_double(e, hd[i].name, -1, hd[i].v, DOM_ANY)))
				return rc;
	}

	/* per-component domains */
	if ((rc = check_array(e, model, VGM_ARR_WEIGHTS, DOM_UNIT)))
		return rc;
	for (long i = 0; i < h->n_atoms; i++)
		if ((rc = check_atom(e, model, i, 1, DOM_UNIT_POS)))
			return rc;
	sum = 0;
	for (long i = 0; i < h->k; i++)
		sum += model->weights[i];
	for (long i = 0; i < h->n_atoms; i++)
		sum += model->atom_weights[i];
	if (!(fabs(sum - 1.0) <= WEIGHT_SUM_TOL))
	{
		char		num[40];

		set_msg(e, "weights do not sum to 1");
		if (h->n_atoms > 0)
			set_detail(e, "The mixture and atom weights sum to %s; together they must sum to 1 within 1e-9.",
					   num_text(sum, num, sizeof(num)));
		else
			set_detail(e, "The weights sum to %s; a model's weights must sum to 1 within 1e-9.",
					   num_text(sum, num, sizeof(num)));
		return VGM_MODEL_ERR_RANGE;
	}
	for (int a = VGM_ARR_WEIGHTS + 1; a < N_ARRAYS; a++)
		if ((rc = check_array(e, model, a, arrays[a].domain)))
			return rc;

	/* header domains */
	if ((rc = check_double(e, "weight_threshold", -1, h->weight_threshold, DOM_UNIT_OPEN)) ||
		(rc = check_double(e, "priors.weight_concentration", -1, h->priors.weight_concentration, DOM_POS)) ||
		(rc = check_double(e, "priors.mean_precision", -1, h->priors.mean_precision, DOM_POS)) ||
		(rc = check_double(e, "priors.degrees_of_freedom", -1, h->priors.degrees_of_freedom, DOM_POS)) ||
		(rc = check_double(e, "priors.covariance", -1, h->priors.covariance, DOM_POS)) ||
		(rc = check_double(e, "priors.reg_covar", -1, h->priors.reg_covar, DOM_NONNEG)) ||
		(rc = check_nonneg_int(e, "fit.max_iter", h->max_iter)) ||
		(rc = check_double(e, "fit.tol", -1, h->tol, DOM_NONNEG)) ||
		(rc = check_nonneg_int(e, "fit.iterations", h->iterations)) ||
		(rc = jt_check_flag(e, MSG_PREFIX, "fit.converged", h->converged)) ||
		(rc = check_double(e, "fit.fit_ms", -1, h->fit_ms, DOM_NONNEG)) ||
		(rc = check_nonneg_int(e, "training.rows", h->rows)) ||
		(rc = check_double(e, "training.total_weight", -1, h->total_weight, DOM_NONNEG)) ||
		(rc = check_nonneg_int(e, "training.buckets", h->buckets)) ||
		(rc = check_nonneg_int(e, "training.nulls", h->nulls)) ||
		(rc = check_nonneg_int(e, "training.nans", h->nans)) ||
		(rc = check_nonneg_int(e, "training.pos_infs", h->pos_infs)) ||
		(rc = check_nonneg_int(e, "training.neg_infs", h->neg_infs)))
		return rc;
	if (!(h->min <= h->max))
	{
		char		n1[40],
					n2[40];

		set_msg(e, "training min exceeds max");
		set_detail(e, "The training minimum %s is greater than the maximum %s.",
				   num_text(h->min, n1, sizeof(n1)), num_text(h->max, n2, sizeof(n2)));
		return VGM_MODEL_ERR_RANGE;
	}
	return check_atoms(e, model);
}

int
vgm_model_validate(const VgmModelView *model,
				   char *msg, size_t msglen,
				   char *detail, size_t detaillen)
{
	return jt_validate_into(validate, model, msg, msglen, detail, detaillen);
}


/* ------------------------------------------------------------------------
 * Parser: the field tables and their readers
 * ------------------------------------------------------------------------ */

/* Everything read so far; the readers' target. */
typedef struct ModelText
{
	JtRecord	rec;			/* the header's fields and the keys seen */
	VgmModelHeader hdr;
	size_t		arr_len[N_ARRAYS];	/* elements seen (may exceed the max) */
	double		arr[N_ARRAYS][VGM_MAX_COMPONENTS];
	size_t		atoms_len;		/* [value, weight] pairs seen (may exceed the max) */
	double		atoms[VGM_MAX_ATOMS][2];
} ModelText;

static const JtMessages model_messages = VGM_MODEL_FORM_MESSAGES(MSG_PREFIX, VGM_MODEL_FORMAT_VERSION);

/* A JSON number as a double, for the field named path (element idx >= 0). */
static int
read_number(JtCursor *c, const char *path, long idx, double *out)
{
	char		name[96];

	if (idx >= 0)
		snprintf(name, sizeof(name), "%s[%ld]", path, idx);
	else
		snprintf(name, sizeof(name), "%s", path);
	return jt_read_double_for(c, name, out);
}

#define HOFF(m) offsetof(VgmModelHeader, m)

/* The fields of the nested objects, one slice per object. */
enum
{
	PRIORS_FIRST = 0, FIT_FIRST = 6, TRAINING_FIRST = 13, NESTED_END = 22
};

static const JtField nested_fields[] = {
	{"weight_concentration", "priors.weight_concentration", jt_record_double, HOFF(priors.weight_concentration), false},
	{"mean_precision", "priors.mean_precision", jt_record_double, HOFF(priors.mean_precision), false},
	{"mean", "priors.mean", jt_record_double, HOFF(priors.mean), false},
	{"degrees_of_freedom", "priors.degrees_of_freedom", jt_record_double, HOFF(priors.degrees_of_freedom), false},
	{"covariance", "priors.covariance", jt_record_double, HOFF(priors.covariance), false},
	{"reg_covar", "priors.reg_covar", jt_record_double, HOFF(priors.reg_covar), false},
	{"max_iter", "fit.max_iter", jt_record_i32, HOFF(max_iter), false},
	VGM_MODEL_FORM_FIT_FIELDS(VgmModelHeader),
	{"rows", "training.rows", jt_record_i64, HOFF(rows), false},
	{"total_weight", "training.total_weight", jt_record_double, HOFF(total_weight), false},
	{"min", "training.min", jt_record_double, HOFF(min), false},
	{"max", "training.max", jt_record_double, HOFF(max), false},
	{"buckets", "training.buckets", jt_record_i64, HOFF(buckets), false},
	{"nulls", "training.nulls", jt_record_i64, HOFF(nulls), false},
	{"nans", "training.nans", jt_record_i64, HOFF(nans), false},
	{"pos_infs", "training.pos_infs", jt_record_i64, HOFF(pos_infs), false},
	{"neg_infs", "training.neg_infs", jt_record_i64, HOFF(neg_infs), false},
};

_Static_assert(sizeof(nested_fields) / sizeof(nested_fields[0]) == NESTED_END,
			   "the slices of nested_fields");

#define N_OF(a) ((int) (sizeof(a) / sizeof((a)[0])))

/* The nested objects, in the order of the text form (the arg of their top-level field). */
static const JtRecordObject objects[] = {
	{&nested_fields[PRIORS_FIRST], FIT_FIRST - PRIORS_FIRST, "priors."},
	{&nested_fields[FIT_FIRST], TRAINING_FIRST - FIT_FIRST, "fit."},
	{&nested_fields[TRAINING_FIRST], NESTED_END - TRAINING_FIRST, "training."},
};

/* An array of numbers, one per component, into t->arr[f->arg]. */
static int
read_array(JtCursor *c, const JtField *f, void *target, int depth)
{
	ModelText  *t = target;
	size_t		a = f->arg;
	size_t		count = 0;
	int			more;

	if (jt_peek(c) != '[')
		return jt_record_wrong_type(c, f, &t->rec, "an array of numbers", depth);
	for (more = jt_array_begin(c, depth); more > 0; more = jt_array_next(c), count++)
	{
		size_t		start = c->pos;
		double		v;

		if (!jt_number_start(jt_peek(c)))
		{
			if (jt_skip_value(c, depth + 1) < 0)
				return -1;
			if (jt_claim(c->err, VGM_TEXT_ERR_RANGE, start))
			{
				set_msg(c->err, "field \"%s\" must be an array of numbers", f->name);
				set_detail(c->err, "Element %zu of field \"%s\" at byte offset %zu is not a number.",
						   count, f->name, start);
			}
			continue;
		}
		if (read_number(c, f->name, (long) count, &v) < 0)
			return -1;
		if (count < VGM_MAX_COMPONENTS)
			t->arr[a][count] = v;
	}
	t->arr_len[a] = count;
	return more;
}

/* Complain that element idx of "atoms" is not a [value, weight] pair. */
static void
atom_shape_error(JtCursor *c, size_t idx, size_t start)
{
	if (jt_claim(c->err, VGM_TEXT_ERR_RANGE, start))
	{
		set_msg(c->err, "field \"atoms\" must be an array of [value, weight] pairs");
		set_detail(c->err, "Element %zu of field \"atoms\" at byte offset %zu is not an array of two numbers.",
				   idx, start);
	}
}

/* One [value, weight] pair of "atoms" into pair[2] (the message path names the element). */
static int
read_atom_pair(JtCursor *c, size_t idx, double pair[2], int depth)
{
	size_t		start = c->pos;
	size_t		count = 0;
	int			more;
	char		path[48];

	if (jt_peek(c) != '[')
	{
		if (jt_skip_value(c, depth) < 0)
			return -1;
		atom_shape_error(c, idx, start);
		return 0;
	}
	for (more = jt_array_begin(c, depth); more > 0; more = jt_array_next(c), count++)
	{
		double		v;

		if (!jt_number_start(jt_peek(c)) || count >= 2)
		{
			if (jt_skip_value(c, depth + 1) < 0)
				return -1;
			atom_shape_error(c, idx, start);
			continue;
		}
		snprintf(path, sizeof(path), "atoms[%zu]", idx);
		if (read_number(c, path, (long) count, &v) < 0)
			return -1;
		pair[count] = v;
	}
	if (more < 0)
		return -1;
	if (count != 2)
		atom_shape_error(c, idx, start);
	return 0;
}

/* The atoms: an array of [value, weight] pairs into t->atoms. */
static int
read_atoms(JtCursor *c, const JtField *f, void *target, int depth)
{
	ModelText  *t = target;
	size_t		count = 0;
	int			more;

	if (jt_peek(c) != '[')
		return jt_record_wrong_type(c, f, &t->rec, "an array of [value, weight] pairs", depth);
	for (more = jt_array_begin(c, depth); more > 0; more = jt_array_next(c), count++)
	{
		double		scratch[2];

		if (read_atom_pair(c, count, count < VGM_MAX_ATOMS ? t->atoms[count] : scratch,
						   depth + 1) < 0)
			return -1;
	}
	t->atoms_len = count;
	return more;
}

/* The top-level fields, in the order of the text form. */
enum
{
	TOP_VERSION, TOP_DIMS, TOP_K, TOP_ATOMS = TOP_K + 1 + N_ARRAYS,
	TOP_WEIGHT_THRESHOLD
};

static const JtField top_fields[] = {
	[TOP_VERSION] = {"version", NULL, jt_record_i32, HOFF(version), false},
	[TOP_DIMS] = {"dims", NULL, jt_record_i32, HOFF(dims), false},
	[TOP_K] = {"k", NULL, jt_record_i32, HOFF(k), false},
	{"weights", NULL, read_array, VGM_ARR_WEIGHTS, false},
	{"means", NULL, read_array, VGM_ARR_MEANS, false},
	{"covariances", NULL, read_array, VGM_ARR_COVARIANCES, false},
	{"mean_precision", NULL, read_array, VGM_ARR_MEAN_PRECISION, false},
	{"degrees_of_freedom", NULL, read_array, VGM_ARR_DOF, false},
	{"weight_concentration_a", NULL, read_array, VGM_ARR_CONC_A, false},
	{"weight_concentration_b", NULL, read_array, VGM_ARR_CONC_B, false},
	[TOP_ATOMS] = {"atoms", NULL, read_atoms, 0, true},
	[TOP_WEIGHT_THRESHOLD] = {"weight_threshold", NULL, jt_record_double, HOFF(weight_threshold), false},
	{"priors", NULL, jt_record_object, 0, false},
	{"fit", NULL, jt_record_object, 1, false},
	{"training", NULL, jt_record_object, 2, false},
};

static void put_model_arrays(JtOut *o, const char *sep, const JtField *f,
							 const void *base, const void *ctx);

/* The text form: the tables, the writer of the arrays, version and dims judged in finish. */
static const JtRecordForm model_form = {
	top_fields, N_OF(top_fields), objects, N_OF(objects), put_model_arrays,
	(UINT32_C(1) << TOP_VERSION) | (UINT32_C(1) << TOP_DIMS),
};

_Static_assert(sizeof(top_fields) / sizeof(top_fields[0]) <= JT_RECORD_MAX_FIELDS &&
			   sizeof(objects) / sizeof(objects[0]) <= JT_RECORD_MAX_OBJECTS,
			   "the record keeps the seen keys of every table");

/* ------------------------------------------------------------------------
 * Writer: the same tables
 * ------------------------------------------------------------------------ */

/* What the writer reads the arrays from: the model and its component count. */
typedef struct ModelOut
{
	const VgmModelView *model;
	int			n;
} ModelOut;

/* Append a per-component array, or the atoms when the model has some. */
static void
put_model_arrays(JtOut *o, const char *sep, const JtField *f, const void *base,
				 const void *ctx)
{
	const ModelOut *out = ctx;
	const VgmModelView *model = out->model;
	const VgmModelHeader *h = base;

	if (f->read == read_array)
	{
		jt_put_key(o, sep, f->name);
		for (int i = 0; i < out->n; i++)
		{
			jt_puts(o, i > 0 ? "," : "[");
			jt_put_double(o, array_value(model, (int) f->arg, i));
		}
		jt_puts(o, out->n > 0 ? "]" : "[]");
		return;
	}
	/* atoms only when there are some: a model without them keeps version 1's text */
	if (h->n_atoms > 0 && h->n_atoms <= VGM_MAX_ATOMS &&
		model->atom_values != NULL && model->atom_weights != NULL)
	{
		jt_put_key(o, sep, f->name);
		for (int i = 0; i < h->n_atoms; i++)
		{
			jt_puts(o, i > 0 ? ",[" : "[[");
			jt_put_double(o, model->atom_values[i]);
			jt_puts(o, ",");
			jt_put_double(o, model->atom_weights[i]);
			jt_puts(o, "]");
		}
		jt_puts(o, "]");
	}
}

/* Write the JSON text of a model to o: the field tables in their order. */
void
vgm_model_write(JtOut *o, const VgmModelView *model)
{
	VgmModelHeader h;
	ModelOut	out = {model, 0};

	if (model != NULL)
	{
		h = model->hdr;
		/* never read beyond what a valid model can hold */
		out.n = (h.k >= 1 && h.k <= VGM_MAX_COMPONENTS &&
				 model->comp != NULL && model->weights != NULL) ? h.k : 0;
		/* a model without training rows has no range: write 0 for it */
		if (h.rows == 0 && (!isfinite(h.min) || !isfinite(h.max)))
			h.min = h.max = 0;
	}
	jt_put_record(o, &model_form, model != NULL ? &h : NULL, &out);
}

/* Write the JSON text of a model into buf[buflen]; returns the length needed. */
size_t
vgm_model_format(const VgmModelView *model, char *buf, size_t buflen)
{
	JtOut		o;

	vgm_model_write(jt_out_fixed(&o, buf, buflen), model);
	return jt_out_finish(&o);
}

/* ------------------------------------------------------------------------
 * Parser: cross-field checks
 * ------------------------------------------------------------------------ */

/* Everything after a syntactically valid text; fills model on success. */
static int
finish(JtCursor *c, ModelText *t, VgmModelView *model, const VgmAllocator *alloc)
{
	JtError    *e = c->err;
	VgmModelHeader *h = &t->hdr;
	size_t		k;
	size_t		size;
	char	   *block;
	VgmComponent *comp;
	double	   *weights;
	int			rc;

	bool		dims_bad = t->rec.judged_bad[TOP_DIMS];

	if ((rc = jt_record_check_version(c, &t->rec, TOP_VERSION, h->version,
									  VGM_MODEL_FORMAT_VERSION, VGM_MODEL_FORMAT_VERSION_ATOMS)))
		return rc;
	if (t->rec.seen_top[TOP_DIMS] && (dims_bad || h->dims != 1))
	{
		jt_error_clear(e);
		set_msg(e, "unsupported number of dimensions");
		if (dims_bad)
			set_detail(e, "The field \"dims\" must be the integer 1.");
		else
			set_detail(e, "The model has %" PRId32 " dimensions; only 1 is supported.",
					   h->dims);
		return VGM_MODEL_ERR_VERSION;
	}
	if (e->status != VGM_TEXT_OK)
		return e->status;

	if ((rc = jt_record_check_missing(c, &t->rec)) != VGM_TEXT_OK)
		return rc;

	if ((rc = check_k(e, h->k)))
		return rc;
	k = (size_t) h->k;
	for (int a = 0; a < N_ARRAYS; a++)
	{
		const char *name = arrays[a].name;

		if (t->arr_len[a] != k)
		{
			set_msg(e, "length of field \"%s\" does not match k", name);
			set_detail(e, "Field \"%s\" has %zu elements, but k is %zu.",
					   name, t->arr_len[a], k);
			return VGM_MODEL_ERR_RANGE;
		}
	}
	/* atoms belong to version 2 and version 2 has them */
	if (h->version == VGM_MODEL_FORMAT_VERSION && t->rec.seen_top[TOP_ATOMS])
	{
		set_msg(e, "field \"atoms\" needs format version %d", VGM_MODEL_FORMAT_VERSION_ATOMS);
		set_detail(e, "The model has format version %d, which has no atoms.", VGM_MODEL_FORMAT_VERSION);
		return VGM_MODEL_ERR_FIELD;
	}
	if (h->version == VGM_MODEL_FORMAT_VERSION_ATOMS &&
		(!t->rec.seen_top[TOP_ATOMS] || t->atoms_len == 0))
	{
		set_msg(e, "%s field \"atoms\"", t->rec.seen_top[TOP_ATOMS] ? "empty" : "missing");
		set_detail(e, "Format version %d is a model with atoms; a model without atoms has version %d.",
				   VGM_MODEL_FORMAT_VERSION_ATOMS, VGM_MODEL_FORMAT_VERSION);
		return VGM_MODEL_ERR_FIELD;
	}
	if ((rc = check_n_atoms(e, t->atoms_len > VGM_MAX_ATOMS ? VGM_MAX_ATOMS + 1 : (int32_t) t->atoms_len)))
	{
		set_detail(e, "Field \"atoms\" has %zu elements; a model has at most %d atoms.",
				   t->atoms_len, VGM_MAX_ATOMS);
		return rc;
	}
	h->n_atoms = (int32_t) t->atoms_len;

	size = k * sizeof(VgmComponent) + k * sizeof(double) + 2 * t->atoms_len * sizeof(double);
	block = jt_alloc_or_report(e, MSG_PREFIX, alloc, size);
	if (block == NULL)
		return VGM_MODEL_ERR_NOMEM;
	comp = (VgmComponent *) block;
	weights = (double *) (block + k * sizeof(VgmComponent));
	memset(comp, 0, k * sizeof(VgmComponent));
	for (size_t i = 0; i < k; i++)
	{
		weights[i] = t->arr[VGM_ARR_WEIGHTS][i];
		for (int a = VGM_ARR_WEIGHTS + 1; a < N_ARRAYS; a++)
			memcpy((char *) &comp[i] + arrays[a].member, &t->arr[a][i], sizeof(double));
	}

	model->hdr = *h;
	model->comp = comp;
	model->weights = weights;
	if (t->atoms_len > 0)
	{
		model->atom_values = weights + k;
		model->atom_weights = weights + k + t->atoms_len;
		for (size_t i = 0; i < t->atoms_len; i++)
		{
			model->atom_values[i] = t->atoms[i][0];
			model->atom_weights[i] = t->atoms[i][1];
		}
	}
	return jt_record_validate(e, validate, model, sizeof(*model), block, alloc);
}

/* Parse and validate the JSON text of a model. */
int
vgm_model_parse(const char *text, size_t len, VgmModelView *model,
				const VgmAllocator *alloc,
				char *msg, size_t msglen,
				char *detail, size_t detaillen)
{
	ModelText	t;
	JtError		err;
	JtCursor	c;
	int			rc;

	rc = jt_record_begin(&c, &err, &model_messages, text, len, model, sizeof(*model),
						 msg, msglen, detail, detaillen);
	if (rc != VGM_TEXT_OK)
		return rc;
	memset(&t, 0, sizeof(t));
	if (jt_record_read(&c, &t.rec, &model_form, &t.hdr) < 0)
		return VGM_MODEL_ERR_SYNTAX;
	return finish(&c, &t, model, alloc);
}
