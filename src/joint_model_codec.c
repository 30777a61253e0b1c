/*
 * joint_model_codec.c - validation of a vgm_joint_model and its JSON text
 *                       form, on the text kit of json_text.c.
 *
 * Pure C11: no PostgreSQL headers, no LAPACK and no global mutable state,
 * so the same object links into the server module, the unit tests and the
 * fuzz harnesses.  Positive definiteness is checked with a Cholesky
 * factorisation written here (d <= 16 makes it a few hundred flops): the
 * validator must give the same answer wherever it runs, and the fuzzers link
 * no BLAS.
 *
 * The writer emits one compact JSON object with the keys in a fixed order
 * (joint_model_codec.h) and every double as its shortest round-trip decimal.
 *
 * The reader is the kit's object reader driven by four field tables (top
 * level, priors, fit, training).  Because "dims" and "k" may come after the
 * arrays they size, nested arrays are read into one scratch block of the
 * largest size a valid model can have, recording the length of every
 * level; only then are the lengths compared with k and d.  Precedence of
 * errors, so that a text with several problems gets a stable answer:
 * malformed JSON (first in text order) > unsupported version > the first
 * unknown / duplicate field or ill-typed / out-of-range value in text order
 * > the first missing field > dims or k out of range > an array whose shape
 * is not what dims and k say > vgm_joint_model_validate.
 */
#include "joint_model_codec.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "json_record.h"
#include "json_text.h"
#include "model_form.h"

#define MSG_PREFIX "invalid vgm_joint_model: "

#define set_msg(e, fmt, ...) jt_msg((e), MSG_PREFIX fmt, ##__VA_ARGS__)
#define set_detail(e, ...) jt_detail((e), __VA_ARGS__)

#define MAXD VGM_JOINT_MAX_DIMS
#define MAXK VGM_JOINT_MAX_COMPONENTS

/* ------------------------------------------------------------------------
 * Layout of the posterior block
 * ------------------------------------------------------------------------ */

/* Doubles of the posterior arrays of k components in d dimensions. */
size_t
vgm_joint_model_doubles(int d, int k)
{
	return (size_t) k * (5 + (size_t) d + (size_t) d * d);
}

/* Point the posterior's arrays into one block (order in the header). */
void
vgm_joint_model_arrays(VgmJointPosterior *post, int d, int k, double *block)
{
	post->k = k;
	post->d = d;
	post->conc_a = block;
	post->conc_b = block + k;
	post->mean_precision = block + 2 * (size_t) k;
	post->dof = block + 3 * (size_t) k;
	post->weights = block + 4 * (size_t) k;
	post->means = block + 5 * (size_t) k;
	post->covariances = post->means + (size_t) k * d;
}

/* ------------------------------------------------------------------------
 * Cholesky
 * ------------------------------------------------------------------------ */

/* Lower Cholesky factor of a (lower triangle read); 0 or 1 + failing row. */
int
vgm_joint_cholesky(const double *a, int d, double *l)
{
	for (int i = 0; i < d; i++)
	{
		for (int j = 0; j <= i; j++)
		{
			double		s = a[i * d + j];

			for (int p = 0; p < j; p++)
				s -= l[i * d + p] * l[j * d + p];
			if (i == j)
			{
				/* not positive (or NaN): not positive definite in doubles */
				if (!(s > 0.0) || !isfinite(s))
					return i + 1;
				l[i * d + i] = sqrt(s);
			}
			else
				l[i * d + j] = s / l[j * d + j];
		}
		for (int j = i + 1; j < d; j++)
			l[i * d + j] = 0.0;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Validation
 * ------------------------------------------------------------------------ */

/* The shared checks of json_record.h, with this form's message prefix. */
#define check_finite(e, name, idx, v) jt_check_finite((e), MSG_PREFIX, (name), (idx), (v))
#define check_rule(e, name, idx, v, ok, rule) \
	jt_check_rule((e), MSG_PREFIX, (name), (idx), (v), (ok), (rule))
#define check_nonneg_int(e, name, v) jt_check_nonneg((e), MSG_PREFIX, (name), (v))

/* Every element of n doubles finite; idx names element i as "[i]" or "[i][j]..." */
static int
check_all_finite(JtError *e, const char *name, const double *v, size_t n,
				 int inner, int inner2)
{
	char		idx[72];			/* three size_t indexes in brackets */

	for (size_t i = 0; i < n; i++)
	{
		if (isfinite(v[i]))
			continue;
		if (inner2 > 0)
			snprintf(idx, sizeof(idx), "[%zu][%zu][%zu]", i / ((size_t) inner * inner2),
					 (i / inner2) % inner, i % inner2);
		else if (inner > 0)
			snprintf(idx, sizeof(idx), "[%zu][%zu]", i / inner, i % inner);
		else
			snprintf(idx, sizeof(idx), "[%zu]", i);
		return check_finite(e, name, idx, v[i]);
	}
	return VGM_TEXT_OK;
}

/*
 * A covariance matrix: symmetric within VGM_JOINT_SYMMETRY_TOL and positive
 * definite (its Cholesky factorisation succeeds).  what names it in
 * messages ("covariances[2]", "priors.covariance").
 */
static int
check_covariance(JtError *e, const char *what, const double *a, int d)
{
	double		l[MAXD * MAXD];
	int			row;

	for (int i = 0; i < d; i++)
		for (int j = 0; j < i; j++)
		{
			double		scale = sqrt(fabs(a[i * d + i]) * fabs(a[j * d + j]));
			double		diff = fabs(a[i * d + j] - a[j * d + i]);

			if (!(diff <= VGM_JOINT_SYMMETRY_TOL * scale))
			{
				char		n1[40],
							n2[40];

				set_msg(e, "field \"%s\" is not symmetric", what);
				set_detail(e, "Element [%d][%d] is %s and element [%d][%d] is %s; a covariance "
						   "matrix must be symmetric (within %g of the diagonal's scale).",
						   i, j, jt_num_text(a[i * d + j], n1, sizeof(n1)), j, i,
						   jt_num_text(a[j * d + i], n2, sizeof(n2)), VGM_JOINT_SYMMETRY_TOL);
				return VGM_TEXT_ERR_RANGE;
			}
		}
	row = vgm_joint_cholesky(a, d, l);
	if (row != 0)
	{
		set_msg(e, "field \"%s\" is not positive definite", what);
		set_detail(e, "Its Cholesky factorisation fails at row %d: the matrix is singular or "
				   "indefinite in double precision.", row - 1);
		return VGM_TEXT_ERR_RANGE;
	}
	return VGM_TEXT_OK;
}

/* dims 1 .. MAXD and k 1 .. MAXK: what sizes every array of the model. */
static int
check_dims_and_k(JtError *e, const VgmJointModelHeader *h)
{
	if (h->d < 1 || h->d > MAXD)
	{
		set_msg(e, "dims out of range");
		set_detail(e, "The model has dims = %" PRId32 "; dims must be between 1 and %d.", h->d, MAXD);
		return VGM_TEXT_ERR_RANGE;
	}
	if (h->k < 1 || h->k > MAXK)
	{
		set_msg(e, "k out of range");
		set_detail(e, "The model has k = %" PRId32 "; k must be between 1 and %d.", h->k, MAXK);
		return VGM_TEXT_ERR_RANGE;
	}
	return VGM_TEXT_OK;
}

/* Every invariant of a joint model, in a fixed order (a JtValidateFn). */
static int
validate(const void *value, JtError *e)
{
	const VgmJointModelView *model = value;
	const VgmJointModelHeader *h;
	const VgmJointPosterior *p;
	const VgmJointPriors *pr;
	int			rc;
	int			d,
				k;
	double		sum = 0.0;
	char		idx[24];

	if (model == NULL || model->post.conc_a == NULL || model->post.conc_b == NULL ||
		model->post.mean_precision == NULL || model->post.dof == NULL ||
		model->post.means == NULL || model->post.covariances == NULL ||
		model->post.weights == NULL)
	{
		set_msg(e, "model has no components");
		set_detail(e, "The component arrays of the model are missing.");
		return VGM_TEXT_ERR_RANGE;
	}
	h = &model->hdr;
	p = &model->post;
	pr = &h->priors;
	if ((rc = jt_check_model_version(e, MSG_PREFIX, h->version, VGM_JOINT_MODEL_FORMAT_VERSION,
									 VGM_JOINT_MODEL_FORMAT_VERSION_RANGE)) ||
		(rc = check_dims_and_k(e, h)))
		return rc;
	d = h->d;
	k = h->k;
	if (p->d != d || p->k != k || pr->d != d)
	{
		set_msg(e, "dimensions disagree");
		set_detail(e, "The header has dims %d and k %d, the posterior dims %d and k %d, the priors dims %d.",
				   d, k, p->d, p->k, pr->d);
		return VGM_TEXT_ERR_RANGE;
	}

	/* every number finite, in the order of the text form */
	if ((rc = check_all_finite(e, "weights", p->weights, k, 0, 0)) ||
		(rc = check_all_finite(e, "means", p->means, (size_t) k * d, d, 0)) ||
		(rc = check_all_finite(e, "covariances", p->covariances, (size_t) k * d * d, d, d)) ||
		(rc = check_all_finite(e, "mean_precision", p->mean_precision, k, 0, 0)) ||
		(rc = check_all_finite(e, "degrees_of_freedom", p->dof, k, 0, 0)) ||
		(rc = check_all_finite(e, "weight_concentration_a", p->conc_a, k, 0, 0)) ||
		(rc = check_all_finite(e, "weight_concentration_b", p->conc_b, k, 0, 0)) ||
		(rc = check_finite(e, "weight_threshold", "", h->weight_threshold)) ||
		(rc = check_finite(e, "priors.weight_concentration", "", pr->weight_concentration)) ||
		(rc = check_finite(e, "priors.mean_precision", "", pr->mean_precision)) ||
		(rc = check_all_finite(e, "priors.mean", pr->mean, d, 0, 0)) ||
		(rc = check_finite(e, "priors.degrees_of_freedom", "", pr->degrees_of_freedom)) ||
		(rc = check_all_finite(e, "priors.covariance", pr->covariance, (size_t) d * d, d, 0)) ||
		(rc = check_finite(e, "priors.reg_covar", "", pr->reg_covar)) ||
		(rc = check_finite(e, "fit.tol", "", h->tol)) ||
		(rc = check_finite(e, "fit.lower_bound", "", h->lower_bound)) ||
		(rc = check_finite(e, "fit.fit_ms", "", h->fit_ms)) ||
		(rc = check_finite(e, "training.total_weight", "", h->total_weight)))
		return rc;
	if (h->version == VGM_JOINT_MODEL_FORMAT_VERSION_RANGE &&
		((rc = check_all_finite(e, "training.min", h->col_min, d, 0, 0)) ||
		 (rc = check_all_finite(e, "training.max", h->col_max, d, 0, 0))))
		return rc;

	/* weights in [0, 1], summing to 1 */
	for (int j = 0; j < k; j++)
	{
		snprintf(idx, sizeof(idx), "[%d]", j);
		if ((rc = check_rule(e, "weights", idx, p->weights[j],
							 p->weights[j] >= 0.0 && p->weights[j] <= 1.0, "between 0 and 1")))
			return rc;
		sum += p->weights[j];
	}
	if (!(fabs(sum - 1.0) <= VGM_JOINT_WEIGHT_SUM_TOL))
	{
		char		num[40];

		set_msg(e, "weights do not sum to 1");
		set_detail(e, "The weights sum to %s; a model's weights must sum to 1 within 1e-9.",
				   jt_num_text(sum, num, sizeof(num)));
		return VGM_TEXT_ERR_RANGE;
	}

	/* per-component posterior domains; a Wishart needs dof > d - 1 */
	for (int j = 0; j < k; j++)
	{
		char		what[40];

		snprintf(idx, sizeof(idx), "[%d]", j);
		if ((rc = check_rule(e, "mean_precision", idx, p->mean_precision[j],
							 p->mean_precision[j] > 0.0, "greater than 0")) ||
			(rc = check_rule(e, "degrees_of_freedom", idx, p->dof[j],
							 p->dof[j] > d - 1, d == 1 ? "greater than 0" : "greater than dims - 1")) ||
			(rc = check_rule(e, "weight_concentration_a", idx, p->conc_a[j],
							 p->conc_a[j] > 0.0, "greater than 0")) ||
			(rc = check_rule(e, "weight_concentration_b", idx, p->conc_b[j],
							 p->conc_b[j] > 0.0, "greater than 0")))
			return rc;
		snprintf(what, sizeof(what), "covariances[%d]", j);
		if ((rc = check_covariance(e, what, p->covariances + (size_t) j * d * d, d)))
			return rc;
	}

	/* header domains */
	if ((rc = check_rule(e, "weight_threshold", "", h->weight_threshold,
						 h->weight_threshold >= 0.0 && h->weight_threshold < 1.0,
						 "at least 0 and less than 1")) ||
		(rc = check_rule(e, "priors.weight_concentration", "", pr->weight_concentration,
						 pr->weight_concentration > 0.0, "greater than 0")) ||
		(rc = check_rule(e, "priors.mean_precision", "", pr->mean_precision,
						 pr->mean_precision > 0.0, "greater than 0")) ||
		(rc = check_rule(e, "priors.degrees_of_freedom", "", pr->degrees_of_freedom,
						 pr->degrees_of_freedom > d - 1,
						 d == 1 ? "greater than 0" : "greater than dims - 1")) ||
		(rc = check_covariance(e, "priors.covariance", pr->covariance, d)) ||
		(rc = check_rule(e, "priors.reg_covar", "", pr->reg_covar,
						 pr->reg_covar >= 0.0, "at least 0")) ||
		(rc = check_nonneg_int(e, "fit.max_iter", h->max_iter)) ||
		(rc = check_nonneg_int(e, "fit.n_init", h->n_init)) ||
		(rc = check_rule(e, "fit.tol", "", h->tol, h->tol >= 0.0, "at least 0")) ||
		(rc = check_nonneg_int(e, "fit.iterations", h->iterations)) ||
		(rc = jt_check_flag(e, MSG_PREFIX, "fit.converged", h->converged)) ||
		(rc = check_rule(e, "fit.fit_ms", "", h->fit_ms, h->fit_ms >= 0.0, "at least 0")) ||
		(rc = check_nonneg_int(e, "training.rows", h->rows)) ||
		(rc = check_nonneg_int(e, "training.points", h->points)) ||
		(rc = check_nonneg_int(e, "training.skipped_rows", h->skipped_rows)) ||
		(rc = check_rule(e, "training.total_weight", "", h->total_weight,
						 h->total_weight >= 0.0, "at least 0")))
		return rc;
	/* the range: the smallest value of a column is not above its largest */
	for (int i = 0; h->version == VGM_JOINT_MODEL_FORMAT_VERSION_RANGE && i < d; i++)
	{
		snprintf(idx, sizeof(idx), "[%d]", i);
		if ((rc = check_rule(e, "training.min", idx, h->col_min[i], h->col_min[i] <= h->col_max[i],
							 "at most training.max of the column")))
			return rc;
	}
	return VGM_TEXT_OK;
}

/* Check every invariant of a joint model. */
int
vgm_joint_model_validate(const VgmJointModelView *model,
						 char *msg, size_t msglen,
						 char *detail, size_t detaillen)
{
	return jt_validate_into(validate, model, msg, msglen, detail, detaillen);
}

/* ------------------------------------------------------------------------
 * Parser: what is read, and the readers
 * ------------------------------------------------------------------------ */

/* The arrays of the text form: per component (model_form.h), then the priors'. */
enum
{
	ARR_PRIOR_MEAN = VGM_N_COMPONENT_ARRAYS,
	ARR_PRIOR_COVARIANCE,
	ARR_COLUMN_MIN,				/* version 2 */
	ARR_COLUMN_MAX,
	N_ARRAYS
};

/* Name in messages, nesting levels and capacity of each array. */
static const struct
{
	const char *name;
	int			levels;
	size_t		cap;
}			arrays[N_ARRAYS] = {
	[VGM_ARR_WEIGHTS] = {"weights", 1, MAXK},
	[VGM_ARR_MEANS] = {"means", 2, MAXK * MAXD},
	[VGM_ARR_COVARIANCES] = {"covariances", 3, MAXK * MAXD * MAXD},
	[VGM_ARR_MEAN_PRECISION] = {"mean_precision", 1, MAXK},
	[VGM_ARR_DOF] = {"degrees_of_freedom", 1, MAXK},
	[VGM_ARR_CONC_A] = {"weight_concentration_a", 1, MAXK},
	[VGM_ARR_CONC_B] = {"weight_concentration_b", 1, MAXK},
	[ARR_PRIOR_MEAN] = {"priors.mean", 1, MAXD},
	[ARR_PRIOR_COVARIANCE] = {"priors.covariance", 2, MAXD * MAXD},
	[ARR_COLUMN_MIN] = {"training.min", 1, MAXD},
	[ARR_COLUMN_MAX] = {"training.max", 1, MAXD},
};

/* What one array of the text held: its numbers and the length of each level. */
typedef struct ArrayText
{
	double	   *v;				/* cap numbers, row-major */
	size_t		count;			/* numbers seen (may exceed cap) */
	size_t		len[4];			/* len[level]: elements of the first array of that level */
	bool		len_seen[4];
	bool		ragged;			/* an array of some level differs from the first */
} ArrayText;

/* Everything read so far; the readers' target. */
typedef struct JointText
{
	JtRecord	rec;			/* the header's fields and the keys seen */
	VgmJointModelHeader hdr;
	ArrayText	arr[N_ARRAYS];
	double		store[];		/* the arrays' numbers */
} JointText;

static const JtMessages joint_messages = VGM_MODEL_FORM_MESSAGES(MSG_PREFIX, VGM_JOINT_MODEL_FORMAT_VERSION);

/*
 * One level of a nested array of numbers at the cursor ('['): numbers at
 * level 1, arrays of the level below otherwise.  Records the length of the
 * first array of each level and whether any other differs.
 */
static int
read_level(JtCursor *c, const char *name, ArrayText *a, size_t cap, int level, int depth)
{
	size_t		n = 0;
	int			more;

	for (more = jt_array_begin(c, depth); more > 0; more = jt_array_next(c), n++)
	{
		size_t		start = c->pos;
		int			ch = jt_peek(c);

		if (level == 1 && jt_number_start(ch))
		{
			double		v;

			if (jt_read_double_for(c, name, &v) < 0)
				return -1;
			if (a->count < cap)
				a->v[a->count] = v;
			a->count++;
			continue;
		}
		if (level > 1 && ch == '[')
		{
			if (read_level(c, name, a, cap, level - 1, depth + 1) < 0)
				return -1;
			continue;
		}
		if (jt_skip_value(c, depth + 1) < 0)
			return -1;
		a->ragged = true;
		if (jt_claim(c->err, VGM_TEXT_ERR_RANGE, start))
		{
			set_msg(c->err, "field \"%s\" must be %s", name,
					level == 1 ? "an array of numbers" : "an array of arrays");
			set_detail(c->err, "The element at byte offset %zu is not %s.", start,
					   level == 1 ? "a number" : "an array");
		}
	}
	if (more < 0)
		return -1;
	if (!a->len_seen[level])
	{
		a->len[level] = n;
		a->len_seen[level] = true;
	}
	else if (a->len[level] != n)
		a->ragged = true;
	return 0;
}

/* An array field: f->arg indexes arrays[]. */
static int
read_array(JtCursor *c, const JtField *f, void *target, int depth)
{
	JointText  *t = target;
	int			which = (int) f->arg;
	ArrayText  *a = &t->arr[which];

	if (jt_peek(c) != '[')
		return jt_record_wrong_type(c, f, &t->rec, arrays[which].levels == 1 ? "an array of numbers" :
						  "an array of arrays", depth);
	return read_level(c, arrays[which].name, a, arrays[which].cap, arrays[which].levels, depth);
}

#define HOFF(m) offsetof(VgmJointModelHeader, m)

/* The fields of the nested objects. */
static const JtField priors_fields[] = {
	{"weight_concentration", "priors.weight_concentration", jt_record_double, HOFF(priors.weight_concentration), false},
	{"mean_precision", "priors.mean_precision", jt_record_double, HOFF(priors.mean_precision), false},
	{"mean", "priors.mean", read_array, ARR_PRIOR_MEAN, false},
	{"degrees_of_freedom", "priors.degrees_of_freedom", jt_record_double, HOFF(priors.degrees_of_freedom), false},
	{"covariance", "priors.covariance", read_array, ARR_PRIOR_COVARIANCE, false},
	{"reg_covar", "priors.reg_covar", jt_record_double, HOFF(priors.reg_covar), false},
};

static const JtField fit_fields[] = {
	{"max_iter", "fit.max_iter", jt_record_i32, HOFF(max_iter), false},
	{"n_init", "fit.n_init", jt_record_i32, HOFF(n_init), false},
	VGM_MODEL_FORM_FIT_FIELDS(VgmJointModelHeader),
};

static const JtField training_fields[] = {
	{"rows", "training.rows", jt_record_i64, HOFF(rows), false},
	{"points", "training.points", jt_record_i64, HOFF(points), false},
	{"skipped_rows", "training.skipped_rows", jt_record_i64, HOFF(skipped_rows), false},
	{"total_weight", "training.total_weight", jt_record_double, HOFF(total_weight), false},
	/* version 2: the columns' training range (judged against the version in finish) */
	{"min", "training.min", read_array, ARR_COLUMN_MIN, true},
	{"max", "training.max", read_array, ARR_COLUMN_MAX, true},
};

#define N_OF(a) ((int) (sizeof(a) / sizeof((a)[0])))

/* The nested objects, in the order of the text form (the arg of their top-level field). */
static const JtRecordObject objects[] = {
	{priors_fields, N_OF(priors_fields), "priors."},
	{fit_fields, N_OF(fit_fields), "fit."},
	{training_fields, N_OF(training_fields), "training."},
};

/* The top-level fields, in the order of the text form. */
enum
{
	TOP_VERSION, TOP_DIMS, TOP_K, TOP_WEIGHTS, TOP_MEANS, TOP_COVARIANCES,
	TOP_MEAN_PRECISION, TOP_DOF, TOP_CONC_A, TOP_CONC_B, TOP_WEIGHT_THRESHOLD,
	TOP_PRIORS, TOP_FIT, TOP_TRAINING, N_TOP
};

static const JtField top_fields[N_TOP] = {
	[TOP_VERSION] = {"version", NULL, jt_record_i32, HOFF(version), false},
	[TOP_DIMS] = {"dims", NULL, jt_record_i32, HOFF(d), false},
	[TOP_K] = {"k", NULL, jt_record_i32, HOFF(k), false},
	[TOP_WEIGHTS] = {"weights", NULL, read_array, VGM_ARR_WEIGHTS, false},
	[TOP_MEANS] = {"means", NULL, read_array, VGM_ARR_MEANS, false},
	[TOP_COVARIANCES] = {"covariances", NULL, read_array, VGM_ARR_COVARIANCES, false},
	[TOP_MEAN_PRECISION] = {"mean_precision", NULL, read_array, VGM_ARR_MEAN_PRECISION, false},
	[TOP_DOF] = {"degrees_of_freedom", NULL, read_array, VGM_ARR_DOF, false},
	[TOP_CONC_A] = {"weight_concentration_a", NULL, read_array, VGM_ARR_CONC_A, false},
	[TOP_CONC_B] = {"weight_concentration_b", NULL, read_array, VGM_ARR_CONC_B, false},
	[TOP_WEIGHT_THRESHOLD] = {"weight_threshold", NULL, jt_record_double, HOFF(weight_threshold), false},
	[TOP_PRIORS] = {"priors", NULL, jt_record_object, 0, false},
	[TOP_FIT] = {"fit", NULL, jt_record_object, 1, false},
	[TOP_TRAINING] = {"training", NULL, jt_record_object, 2, false},
};

static void put_joint_array(JtOut *o, const char *sep, const JtField *f,
							const void *base, const void *ctx);

/* The text form: the tables, the writer of the arrays, the version judged in finish. */
static const JtRecordForm joint_form = {
	top_fields, N_TOP, objects, N_OF(objects), put_joint_array, UINT32_C(1) << TOP_VERSION,
};

_Static_assert(sizeof(top_fields) / sizeof(top_fields[0]) <= JT_RECORD_MAX_FIELDS &&
			   sizeof(objects) / sizeof(objects[0]) <= JT_RECORD_MAX_OBJECTS,
			   "the record keeps the seen keys of every table");

/* ------------------------------------------------------------------------
 * Writer: the same tables
 * ------------------------------------------------------------------------ */

/* Append an outer x mid x inner array of doubles as nested JSON arrays (mid, inner 0: fewer levels). */
static void
write_numbers(JtOut *o, const double *v, int outer, int mid, int inner)
{
	jt_puts(o, "[");
	for (int a = 0; a < outer; a++)
	{
		if (a > 0)
			jt_puts(o, ",");
		if (mid == 0)
		{
			jt_put_double(o, v[a]);
			continue;
		}
		jt_puts(o, "[");
		for (int b = 0; b < mid; b++)
		{
			if (b > 0)
				jt_puts(o, ",");
			if (inner == 0)
			{
				jt_put_double(o, v[(size_t) a * mid + b]);
				continue;
			}
			jt_puts(o, "[");
			for (int c = 0; c < inner; c++)
			{
				if (c > 0)
					jt_puts(o, ",");
				jt_put_double(o, v[((size_t) a * mid + b) * inner + c]);
			}
			jt_puts(o, "]");
		}
		jt_puts(o, "]");
	}
	jt_puts(o, "]");
}

/* Where array which of the text form is kept: the posterior's, or the priors' in the header. */
static const double *
array_source(const VgmJointPosterior *p, const VgmJointModelHeader *h, int which)
{
	switch (which)
	{
		case VGM_ARR_WEIGHTS:
			return p->weights;
		case VGM_ARR_MEANS:
			return p->means;
		case VGM_ARR_COVARIANCES:
			return p->covariances;
		case VGM_ARR_MEAN_PRECISION:
			return p->mean_precision;
		case VGM_ARR_DOF:
			return p->dof;
		case VGM_ARR_CONC_A:
			return p->conc_a;
		case VGM_ARR_CONC_B:
			return p->conc_b;
		case ARR_PRIOR_MEAN:
			return h->priors.mean;
		case ARR_COLUMN_MIN:
			return h->col_min;
		case ARR_COLUMN_MAX:
			return h->col_max;
		default:
			return h->priors.covariance;
	}
}

/* Append an array field: k (per component) or d outer elements, then d and d x d. */
static void
put_joint_array(JtOut *o, const char *sep, const JtField *f, const void *base, const void *ctx)
{
	const VgmJointModelHeader *h = base;
	const VgmJointPosterior *p = ctx;
	int			which = (int) f->arg;
	int			levels = arrays[which].levels;
	int			outer = which <= VGM_ARR_CONC_B ? p->k : h->d;

	/* the range exists in version 2 only */
	if ((which == ARR_COLUMN_MIN || which == ARR_COLUMN_MAX) &&
		h->version != VGM_JOINT_MODEL_FORMAT_VERSION_RANGE)
		return;
	jt_put_key(o, sep, f->name);
	write_numbers(o, array_source(p, h, which), outer,
				  levels >= 2 ? h->d : 0, levels == 3 ? h->d : 0);
}

/* Write the JSON text of a joint model to o: the field tables in their order. */
void
vgm_joint_model_write(JtOut *o, const VgmJointModelView *model)
{
	VgmJointModelHeader h;
	VgmJointPosterior p;

	if (model != NULL)
	{
		h = model->hdr;
		p = model->post;
		/* never read beyond what a valid model can hold */
		h.d = (h.d >= 1 && h.d <= MAXD) ? h.d : 0;
		p.k = (h.k >= 1 && h.k <= MAXK && p.conc_a != NULL) ? h.k : 0;
	}
	jt_put_record(o, &joint_form, model != NULL ? &h : NULL, &p);
}

/* ------------------------------------------------------------------------
 * Parser: cross-field checks
 * ------------------------------------------------------------------------ */

/* Check that an array has the shape dims d and k components give it. */
static int
check_shape(JtError *e, int which, const ArrayText *a, size_t k, size_t d)
{
	const char *name = arrays[which].name;
	int			levels = arrays[which].levels;
	size_t		want[4] = {0, 0, 0, 0};
	bool		per_component = which <= VGM_ARR_CONC_B;

	/* want[levels] is the outermost length */
	if (which == VGM_ARR_MEANS)
		want[2] = k, want[1] = d;
	else if (which == VGM_ARR_COVARIANCES)
		want[3] = k, want[2] = d, want[1] = d;
	else if (which == ARR_PRIOR_MEAN || which == ARR_COLUMN_MIN || which == ARR_COLUMN_MAX)
		want[1] = d;
	else if (which == ARR_PRIOR_COVARIANCE)
		want[2] = d, want[1] = d;
	else
		want[1] = k;

	if (a->len[levels] != want[levels])
	{
		set_msg(e, "length of field \"%s\" does not match %s", name, per_component ? "k" : "dims");
		set_detail(e, "Field \"%s\" has %zu elements, but %s is %zu.", name, a->len[levels],
				   per_component ? "k" : "dims", want[levels]);
		return VGM_TEXT_ERR_RANGE;
	}
	for (int l = levels - 1; l >= 1; l--)
		if (!a->len_seen[l] || a->len[l] != want[l] || a->ragged)
		{
			set_msg(e, "shape of field \"%s\" does not match dims", name);
			set_detail(e, "Field \"%s\" must hold %s; dims is %zu.", name,
					   which == VGM_ARR_MEANS ? "k arrays of dims numbers" :
					   which == VGM_ARR_COVARIANCES ? "k arrays of dims arrays of dims numbers" :
					   "dims arrays of dims numbers", d);
			return VGM_TEXT_ERR_RANGE;
		}
	if (a->ragged)
	{
		set_msg(e, "shape of field \"%s\" does not match k", name);
		set_detail(e, "Field \"%s\" must hold one number per component.", name);
		return VGM_TEXT_ERR_RANGE;
	}
	return VGM_TEXT_OK;
}

/* Everything after a syntactically valid text; fills model on success. */
static int
finish(JtCursor *c, JointText *t, VgmJointModelView *model, const VgmAllocator *alloc)
{
	JtError    *e = c->err;
	VgmJointModelHeader *h = &t->hdr;
	size_t		k,
				d;
	size_t		size;
	double	   *block;
	int			rc;
	bool		with_range;

	if ((rc = jt_record_check_version(c, &t->rec, TOP_VERSION, h->version,
									  VGM_JOINT_MODEL_FORMAT_VERSION, VGM_JOINT_MODEL_FORMAT_VERSION_RANGE)))
		return rc;
	if (e->status != VGM_TEXT_OK)
		return e->status;
	if ((rc = jt_record_check_missing(c, &t->rec)) != VGM_TEXT_OK)
		return rc;
	/* the range: both arrays in version 2, neither in version 1 */
	with_range = h->version == VGM_JOINT_MODEL_FORMAT_VERSION_RANGE;
	for (int i = 0; i < 2; i++)
	{
		int			which = i == 0 ? ARR_COLUMN_MIN : ARR_COLUMN_MAX;
		bool		seen = t->rec.seen[2][N_OF(training_fields) - 2 + i];

		if (seen != with_range)
		{
			if (seen)
				set_msg(e, "field \"%s\" needs format version %d", arrays[which].name,
						VGM_JOINT_MODEL_FORMAT_VERSION_RANGE);
			else
				set_msg(e, "missing field \"%s\"", arrays[which].name);
			set_detail(e, "The model has format version %" PRId32 "; version %d carries the columns' "
					   "training range (training.min and training.max) and version %d does not.",
					   h->version, VGM_JOINT_MODEL_FORMAT_VERSION_RANGE, VGM_JOINT_MODEL_FORMAT_VERSION);
			return VGM_TEXT_ERR_FIELD;
		}
	}
	if ((rc = check_dims_and_k(e, h)) != VGM_TEXT_OK)
		return rc;
	k = (size_t) h->k;
	d = (size_t) h->d;
	for (int a = 0; a < N_ARRAYS; a++)
		if ((a != ARR_COLUMN_MIN && a != ARR_COLUMN_MAX) || with_range)
			if ((rc = check_shape(e, a, &t->arr[a], k, d)))
				return rc;

	size = vgm_joint_model_doubles((int) d, (int) k) * sizeof(double);
	block = jt_alloc_or_report(e, MSG_PREFIX, alloc, size);
	if (block == NULL)
		return VGM_TEXT_ERR_NOMEM;
	h->priors.d = (int) d;
	memcpy(h->priors.mean, t->arr[ARR_PRIOR_MEAN].v, d * sizeof(double));
	memcpy(h->priors.covariance, t->arr[ARR_PRIOR_COVARIANCE].v, d * d * sizeof(double));
	if (with_range)
	{
		memcpy(h->col_min, t->arr[ARR_COLUMN_MIN].v, d * sizeof(double));
		memcpy(h->col_max, t->arr[ARR_COLUMN_MAX].v, d * sizeof(double));
	}
	model->hdr = *h;
	vgm_joint_model_arrays(&model->post, (int) d, (int) k, block);
	memcpy(model->post.weights, t->arr[VGM_ARR_WEIGHTS].v, k * sizeof(double));
	memcpy(model->post.means, t->arr[VGM_ARR_MEANS].v, k * d * sizeof(double));
	memcpy(model->post.covariances, t->arr[VGM_ARR_COVARIANCES].v, k * d * d * sizeof(double));
	memcpy(model->post.mean_precision, t->arr[VGM_ARR_MEAN_PRECISION].v, k * sizeof(double));
	memcpy(model->post.dof, t->arr[VGM_ARR_DOF].v, k * sizeof(double));
	memcpy(model->post.conc_a, t->arr[VGM_ARR_CONC_A].v, k * sizeof(double));
	memcpy(model->post.conc_b, t->arr[VGM_ARR_CONC_B].v, k * sizeof(double));
	return jt_record_validate(e, validate, model, sizeof(*model), block, alloc);
}

/* The reader's state, with room for the largest arrays a valid model has (about 140 KiB). */
static JointText *
joint_text_new(JtError *e, const VgmAllocator *alloc)
{
	size_t		ndoubles = 0;
	JointText  *t;
	double	   *store;

	for (int a = 0; a < N_ARRAYS; a++)
		ndoubles += arrays[a].cap;
	t = jt_alloc_or_report(e, MSG_PREFIX, alloc, sizeof(JointText) + ndoubles * sizeof(double));
	if (t == NULL)
		return NULL;
	memset(t, 0, sizeof(JointText));
	store = t->store;
	for (int a = 0; a < N_ARRAYS; a++)
	{
		t->arr[a].v = store;
		store += arrays[a].cap;
	}
	return t;
}

/* Parse and validate the JSON text of a joint model. */
int
vgm_joint_model_parse(const char *text, size_t len, VgmJointModelView *model,
					  const VgmAllocator *alloc,
					  char *msg, size_t msglen,
					  char *detail, size_t detaillen)
{
	JointText  *t;
	JtError		err;
	JtCursor	c;
	int			rc;

	rc = jt_record_begin(&c, &err, &joint_messages, text, len, model, sizeof(*model),
						 msg, msglen, detail, detaillen);
	if (rc != VGM_TEXT_OK)
		return rc;
	t = joint_text_new(&err, alloc);
	if (t == NULL)
		return VGM_TEXT_ERR_NOMEM;
	if (jt_record_read(&c, &t->rec, &joint_form, &t->hdr) < 0)
		rc = VGM_TEXT_ERR_SYNTAX;
	else
		rc = finish(&c, t, model, alloc);
	vgm_mem_free(alloc, t);
	return rc;
}
