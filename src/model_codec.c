/*
 * model_codec.c - validation of a vgm_model and its JSON text form.
 *
 * Pure C11: no PostgreSQL headers and no global mutable state, so the same
 * object links into the server module, the unit tests and fuzz harnesses.
 *
 * The writer emits one compact JSON object with the keys in a fixed order and
 * every double as the shortest decimal that reads back to the same bits.
 *
 * The reader is a strict recursive-descent JSON parser for exactly that
 * schema.  It never reads past text[len - 1] (the text need not be
 * NUL-terminated), copies numbers into bounded buffers before strtod, bounds
 * the nesting depth, and allocates nothing until the whole text has been
 * checked, so its only allocation is the final component block (freed again
 * if validation fails).
 *
 * Precedence of errors, so that a text with several problems gets a stable
 * answer: malformed JSON (first in text order) > unsupported version or dims
 * > the first unknown / duplicate field or ill-typed / out-of-range value in
 * text order > the first missing field > k out of range > an array whose
 * length is not k > vgm_model_validate.
 */
#include "model_codec.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_PREFIX "invalid vgm_model: "
#define MAX_DEPTH 32			/* nesting bound of the parser */
#define MAX_NUMBER_CHARS 1024	/* longest number token accepted */
#define MAX_KEY_CHARS 64		/* longest key kept (longer ones are unknown) */
#define WEIGHT_SUM_TOL 1e-9

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* ------------------------------------------------------------------------
 * Messages
 * ------------------------------------------------------------------------ */

typedef struct ErrOut
{
	char	   *msg;
	size_t		msglen;
	char	   *detail;
	size_t		detaillen;
} ErrOut;

static void
err_clear(ErrOut *e)
{
	if (e->msg != NULL && e->msglen > 0)
		e->msg[0] = '\0';
	if (e->detail != NULL && e->detaillen > 0)
		e->detail[0] = '\0';
}

/* Write "invalid vgm_model: " + the formatted text, truncated to msglen. */
static void PRINTF_LIKE(2, 3)
set_msg(ErrOut *e, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (e->msg == NULL || e->msglen == 0)
		return;
	n = snprintf(e->msg, e->msglen, "%s", MSG_PREFIX);
	if (n < 0)
	{
		e->msg[0] = '\0';
		return;
	}
	if ((size_t) n + 1 >= e->msglen)
		return;					/* already truncated */
	va_start(ap, fmt);
	if (vsnprintf(e->msg + n, e->msglen - (size_t) n, fmt, ap) < 0)
		e->msg[n] = '\0';
	va_end(ap);
}

/* Write the detail sentence, truncated to detaillen. */
static void PRINTF_LIKE(2, 3)
set_detail(ErrOut *e, const char *fmt,...)
{
	va_list		ap;

	if (e->detail == NULL || e->detaillen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(e->detail, e->detaillen, fmt, ap) < 0)
		e->detail[0] = '\0';
	va_end(ap);
}

/* Text of any double for a message (NaN and infinities included). */
static const char *
num_text(double v, char *buf, size_t buflen)
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
 * Numbers
 * ------------------------------------------------------------------------ */

static VgmShortestDecimal shortest_decimal = NULL;

void
vgm_set_shortest_decimal(VgmShortestDecimal fn)
{
	shortest_decimal = fn;
}

/*
 * The text the printf search below writes, built from the shortest digits
 * the hook finds (the digits that search ends with, but for exact ties: see
 * model_codec.h): %g's layout at precision max(15, digits) (subnormals,
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
 * Validation
 * ------------------------------------------------------------------------ */

typedef enum
{
	DOM_ANY,					/* finite */
	DOM_POS,					/* > 0 */
	DOM_NONNEG,					/* >= 0 */
	DOM_UNIT,					/* [0, 1] */
	DOM_UNIT_OPEN				/* [0, 1) */
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

static int
check_double(ErrOut *e, const char *name, long idx, double v, Domain d)
{
	char		path[96];
	char		num[40];

	if (isfinite(v) && in_domain(v, d))
		return VGM_MODEL_OK;
	field_path(path, sizeof(path), name, idx);
	if (!isfinite(v))
	{
		set_msg(e, "non-finite number in field \"%s\"", path);
		set_detail(e, "Field \"%s\" is %s; every number of a model must be finite.",
				   path, num_text(v, num, sizeof(num)));
	}
	else
	{
		set_msg(e, "field \"%s\" out of range", path);
		set_detail(e, "Field \"%s\" is %s; it must be %s.",
				   path, num_text(v, num, sizeof(num)), domain_text(d));
	}
	return VGM_MODEL_ERR_RANGE;
}

static int
check_nonneg_int(ErrOut *e, const char *name, int64_t v)
{
	if (v >= 0)
		return VGM_MODEL_OK;
	set_msg(e, "field \"%s\" out of range", name);
	set_detail(e, "Field \"%s\" is %" PRId64 "; it must be at least 0.", name, v);
	return VGM_MODEL_ERR_RANGE;
}

static int
validate(const VgmModelView *model, ErrOut *e)
{
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

	if (h->version != VGM_MODEL_FORMAT_VERSION)
	{
		set_msg(e, "unsupported format version %" PRId32, h->version);
		set_detail(e, "The model has format version %" PRId32 "; this build of vgm reads version %d only.",
				   h->version, VGM_MODEL_FORMAT_VERSION);
		return VGM_MODEL_ERR_VERSION;
	}
	if (h->dims != 1)
	{
		set_msg(e, "unsupported number of dimensions %" PRId32, h->dims);
		set_detail(e, "The model has %" PRId32 " dimensions; only 1 is supported.",
				   h->dims);
		return VGM_MODEL_ERR_VERSION;
	}
	if (h->k < 1 || h->k > VGM_MAX_COMPONENTS)
	{
		set_msg(e, "k out of range");
		set_detail(e, "The model has k = %" PRId32 "; k must be between 1 and %d.",
				   h->k, VGM_MAX_COMPONENTS);
		return VGM_MODEL_ERR_RANGE;
	}

	/* every number finite, in the order the text form lists them */
	for (long i = 0; i < h->k; i++)
		if ((rc = check_double(e, "weights", i, model->weights[i], DOM_ANY)))
			return rc;
	for (long i = 0; i < h->k; i++)
		if ((rc = check_double(e, "means", i, model->comp[i].mean, DOM_ANY)))
			return rc;
	for (long i = 0; i < h->k; i++)
		if ((rc = check_double(e, "covariances", i, model->comp[i].covariance, DOM_ANY)))
			return rc;
	for (long i = 0; i < h->k; i++)
		if ((rc = check_double(e, "mean_precision", i, model->comp[i].mean_precision, DOM_ANY)))
			return rc;
	for (long i = 0; i < h->k; i++)
		if ((rc = check_double(e, "degrees_of_freedom", i, model->comp[i].dof, DOM_ANY)))
			return rc;
	for (long i = 0; i < h->k; i++)
		if ((rc = check_double(e, "weight_concentration_a", i, model->comp[i].conc_a, DOM_ANY)))
			return rc;
	for (long i = 0; i < h->k; i++)
		if ((rc = check_double(e, "weight_concentration_b", i, model->comp[i].conc_b, DOM_ANY)))
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
	sum = 0;
	for (long i = 0; i < h->k; i++)
	{
		if ((rc = check_double(e, "weights", i, model->weights[i], DOM_UNIT)))
			return rc;
		sum += model->weights[i];
	}
	if (!(fabs(sum - 1.0) <= WEIGHT_SUM_TOL))
	{
		char		num[40];

		set_msg(e, "weights do not sum to 1");
		set_detail(e, "The weights sum to %s; a model's weights must sum to 1 within 1e-9.",
				   num_text(sum, num, sizeof(num)));
		return VGM_MODEL_ERR_RANGE;
	}
	for (long i = 0; i < h->k; i++)
		if ((rc = check_double(e, "covariances", i, model->comp[i].covariance, DOM_POS)))
			return rc;
	for (long i = 0; i < h->k; i++)
		if ((rc = check_double(e, "mean_precision", i, model->comp[i].mean_precision, DOM_POS)))
			return rc;
	for (long i = 0; i < h->k; i++)
		if ((rc = check_double(e, "degrees_of_freedom", i, model->comp[i].dof, DOM_POS)))
			return rc;
	for (long i = 0; i < h->k; i++)
		if ((rc = check_double(e, "weight_concentration_a", i, model->comp[i].conc_a, DOM_POS)))
			return rc;
	for (long i = 0; i < h->k; i++)
		if ((rc = check_double(e, "weight_concentration_b", i, model->comp[i].conc_b, DOM_POS)))
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
		(rc = check_nonneg_int(e, "fit.iterations", h->iterations)))
		return rc;
	if (h->converged != 0 && h->converged != 1)
	{
		set_msg(e, "field \"fit.converged\" out of range");
		set_detail(e, "Field \"fit.converged\" is %" PRId32 "; it must be 0 or 1.",
				   h->converged);
		return VGM_MODEL_ERR_RANGE;
	}
	if ((rc = check_double(e, "fit.fit_ms", -1, h->fit_ms, DOM_NONNEG)) ||
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
	return VGM_MODEL_OK;
}

int
vgm_model_validate(const VgmModelView *model,
				   char *msg, size_t msglen,
				   char *detail, size_t detaillen)
{
	ErrOut		e = {msg, msglen, detail, detaillen};

	err_clear(&e);
	return validate(model, &e);
}

/* ------------------------------------------------------------------------
 * Writer
 * ------------------------------------------------------------------------ */

typedef struct Out
{
	char	   *buf;
	size_t		cap;
	size_t		len;			/* length the full text needs */
} Out;

static void
out_mem(Out *o, const char *s, size_t n)
{
	if (o->buf != NULL && o->len + 1 < o->cap)
	{
		size_t		room = o->cap - 1 - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void
out_str(Out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static void
out_double(Out *o, double v)
{
	char		tmp[40];
	int			n = vgm_format_double(v, tmp, sizeof(tmp));

	/* non-finite: "null", which the parser rejects as ill-typed */
	if (n < 0)
		out_str(o, "null");
	else
		out_mem(o, tmp, (size_t) n);
}

static void
out_i64(Out *o, int64_t v)
{
	char		tmp[32];
	int			n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);

	if (n > 0)
		out_mem(o, tmp, (size_t) n);
}

static void
out_u64(Out *o, uint64_t v)
{
	char		tmp[32];
	int			n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);

	if (n > 0)
		out_mem(o, tmp, (size_t) n);
}

/* A JSON array of one VgmComponent member (at byte offset off). */
static void
out_comp_array(Out *o, const VgmComponent *comp, int n, size_t off)
{
	out_str(o, "[");
	for (int i = 0; i < n; i++)
	{
		double		v;

		memcpy(&v, (const char *) &comp[i] + off, sizeof(double));
		if (i > 0)
			out_str(o, ",");
		out_double(o, v);
	}
	out_str(o, "]");
}

size_t
vgm_model_format(const VgmModelView *model, char *buf, size_t buflen)
{
	Out			o = {buf, buflen, 0};
	const VgmModelHeader *h;
	int			n;
	double		min,
				max;

	if (model == NULL)
	{
		out_str(&o, "null");
		goto done;
	}
	h = &model->hdr;
	/* never read beyond what a valid model can hold */
	n = (h->k >= 1 && h->k <= VGM_MAX_COMPONENTS &&
		 model->comp != NULL && model->weights != NULL) ? h->k : 0;

	out_str(&o, "{\"version\":");
	out_i64(&o, h->version);
	out_str(&o, ",\"dims\":");
	out_i64(&o, h->dims);
	out_str(&o, ",\"k\":");
	out_i64(&o, h->k);

	out_str(&o, ",\"weights\":[");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			out_str(&o, ",");
		out_double(&o, model->weights[i]);
	}
	out_str(&o, "]");
	out_str(&o, ",\"means\":");
	out_comp_array(&o, model->comp, n, offsetof(VgmComponent, mean));
	out_str(&o, ",\"covariances\":");
	out_comp_array(&o, model->comp, n, offsetof(VgmComponent, covariance));
	out_str(&o, ",\"mean_precision\":");
	out_comp_array(&o, model->comp, n, offsetof(VgmComponent, mean_precision));
	out_str(&o, ",\"degrees_of_freedom\":");
	out_comp_array(&o, model->comp, n, offsetof(VgmComponent, dof));
	out_str(&o, ",\"weight_concentration_a\":");
	out_comp_array(&o, model->comp, n, offsetof(VgmComponent, conc_a));
	out_str(&o, ",\"weight_concentration_b\":");
	out_comp_array(&o, model->comp, n, offsetof(VgmComponent, conc_b));

	out_str(&o, ",\"weight_threshold\":");
	out_double(&o, h->weight_threshold);

	out_str(&o, ",\"priors\":{\"weight_concentration\":");
	out_double(&o, h->priors.weight_concentration);
	out_str(&o, ",\"mean_precision\":");
	out_double(&o, h->priors.mean_precision);
	out_str(&o, ",\"mean\":");
	out_double(&o, h->priors.mean);
	out_str(&o, ",\"degrees_of_freedom\":");
	out_double(&o, h->priors.degrees_of_freedom);
	out_str(&o, ",\"covariance\":");
	out_double(&o, h->priors.covariance);
	out_str(&o, ",\"reg_covar\":");
	out_double(&o, h->priors.reg_covar);

	out_str(&o, "},\"fit\":{\"max_iter\":");
	out_i64(&o, h->max_iter);
	out_str(&o, ",\"tol\":");
	out_double(&o, h->tol);
	out_str(&o, ",\"seed\":");
	out_u64(&o, h->seed);
	out_str(&o, ",\"iterations\":");
	out_i64(&o, h->iterations);
	out_str(&o, ",\"converged\":");
	out_str(&o, h->converged ? "true" : "false");
	out_str(&o, ",\"lower_bound\":");
	out_double(&o, h->lower_bound);
	out_str(&o, ",\"fit_ms\":");
	out_double(&o, h->fit_ms);

	/* a model without training rows has no range: write 0 for it */
	min = h->min;
	max = h->max;
	if (h->rows == 0 && (!isfinite(min) || !isfinite(max)))
		min = max = 0;
	out_str(&o, "},\"training\":{\"rows\":");
	out_i64(&o, h->rows);
	out_str(&o, ",\"total_weight\":");
	out_double(&o, h->total_weight);
	out_str(&o, ",\"min\":");
	out_double(&o, min);
	out_str(&o, ",\"max\":");
	out_double(&o, max);
	out_str(&o, ",\"buckets\":");
	out_i64(&o, h->buckets);
	out_str(&o, ",\"nulls\":");
	out_i64(&o, h->nulls);
	out_str(&o, ",\"nans\":");
	out_i64(&o, h->nans);
	out_str(&o, ",\"pos_infs\":");
	out_i64(&o, h->pos_infs);
	out_str(&o, ",\"neg_infs\":");
	out_i64(&o, h->neg_infs);
	out_str(&o, "}}");

done:
	if (buf != NULL && buflen > 0)
		buf[o.len < buflen ? o.len : buflen - 1] = '\0';
	return o.len;
}

/* ------------------------------------------------------------------------
 * Parser
 * ------------------------------------------------------------------------ */

enum
{
	OBJ_TOP,
	OBJ_PRIORS,
	OBJ_FIT,
	OBJ_TRAINING,
	N_OBJS
};

enum
{
	ARR_WEIGHTS,
	ARR_MEANS,
	ARR_COVARIANCES,
	ARR_MEAN_PRECISION,
	ARR_DOF,
	ARR_CONC_A,
	ARR_CONC_B,
	N_ARRAYS
};

typedef enum
{
	FT_I32,
	FT_I64,
	FT_U64,
	FT_DBL,
	FT_BOOL,
	FT_ARR,						/* arg: ARR_* */
	FT_OBJ						/* arg: OBJ_* */
} FieldType;

enum
{
	F_VERSION,
	F_DIMS,
	F_K,
	F_WEIGHTS,
	F_MEANS,
	F_COVARIANCES,
	F_MEAN_PRECISION,
	F_DOF,
	F_CONC_A,
	F_CONC_B,
	F_WEIGHT_THRESHOLD,
	F_PRIORS,
	F_FIT,
	F_TRAINING,
	F_P_WEIGHT_CONCENTRATION,
	F_P_MEAN_PRECISION,
	F_P_MEAN,
	F_P_DOF,
	F_P_COVARIANCE,
	F_P_REG_COVAR,
	F_F_MAX_ITER,
	F_F_TOL,
	F_F_SEED,
	F_F_ITERATIONS,
	F_F_CONVERGED,
	F_F_LOWER_BOUND,
	F_F_FIT_MS,
	F_T_ROWS,
	F_T_TOTAL_WEIGHT,
	F_T_MIN,
	F_T_MAX,
	F_T_BUCKETS,
	F_T_NULLS,
	F_T_NANS,
	F_T_POS_INFS,
	F_T_NEG_INFS,
	N_FIELDS
};

typedef struct FieldDef
{
	int			parent;			/* OBJ_* the key belongs to */
	const char *name;			/* key */
	const char *path;			/* name in messages */
	FieldType	type;
	size_t		arg;			/* header offset, ARR_* or OBJ_* */
} FieldDef;

#define HOFF(m) offsetof(VgmModelHeader, m)

static const FieldDef fields[N_FIELDS] = {
	[F_VERSION] = {OBJ_TOP, "version", "version", FT_I32, HOFF(version)},
	[F_DIMS] = {OBJ_TOP, "dims", "dims", FT_I32, HOFF(dims)},
	[F_K] = {OBJ_TOP, "k", "k", FT_I32, HOFF(k)},
	[F_WEIGHTS] = {OBJ_TOP, "weights", "weights", FT_ARR, ARR_WEIGHTS},
	[F_MEANS] = {OBJ_TOP, "means", "means", FT_ARR, ARR_MEANS},
	[F_COVARIANCES] = {OBJ_TOP, "covariances", "covariances", FT_ARR, ARR_COVARIANCES},
	[F_MEAN_PRECISION] = {OBJ_TOP, "mean_precision", "mean_precision", FT_ARR, ARR_MEAN_PRECISION},
	[F_DOF] = {OBJ_TOP, "degrees_of_freedom", "degrees_of_freedom", FT_ARR, ARR_DOF},
	[F_CONC_A] = {OBJ_TOP, "weight_concentration_a", "weight_concentration_a", FT_ARR, ARR_CONC_A},
	[F_CONC_B] = {OBJ_TOP, "weight_concentration_b", "weight_concentration_b", FT_ARR, ARR_CONC_B},
	[F_WEIGHT_THRESHOLD] = {OBJ_TOP, "weight_threshold", "weight_threshold", FT_DBL, HOFF(weight_threshold)},
	[F_PRIORS] = {OBJ_TOP, "priors", "priors", FT_OBJ, OBJ_PRIORS},
	[F_FIT] = {OBJ_TOP, "fit", "fit", FT_OBJ, OBJ_FIT},
	[F_TRAINING] = {OBJ_TOP, "training", "training", FT_OBJ, OBJ_TRAINING},
	[F_P_WEIGHT_CONCENTRATION] = {OBJ_PRIORS, "weight_concentration", "priors.weight_concentration", FT_DBL, HOFF(priors.weight_concentration)},
	[F_P_MEAN_PRECISION] = {OBJ_PRIORS, "mean_precision", "priors.mean_precision", FT_DBL, HOFF(priors.mean_precision)},
	[F_P_MEAN] = {OBJ_PRIORS, "mean", "priors.mean", FT_DBL, HOFF(priors.mean)},
	[F_P_DOF] = {OBJ_PRIORS, "degrees_of_freedom", "priors.degrees_of_freedom", FT_DBL, HOFF(priors.degrees_of_freedom)},
	[F_P_COVARIANCE] = {OBJ_PRIORS, "covariance", "priors.covariance", FT_DBL, HOFF(priors.covariance)},
	[F_P_REG_COVAR] = {OBJ_PRIORS, "reg_covar", "priors.reg_covar", FT_DBL, HOFF(priors.reg_covar)},
	[F_F_MAX_ITER] = {OBJ_FIT, "max_iter", "fit.max_iter", FT_I32, HOFF(max_iter)},
	[F_F_TOL] = {OBJ_FIT, "tol", "fit.tol", FT_DBL, HOFF(tol)},
	[F_F_SEED] = {OBJ_FIT, "seed", "fit.seed", FT_U64, HOFF(seed)},
	[F_F_ITERATIONS] = {OBJ_FIT, "iterations", "fit.iterations", FT_I32, HOFF(iterations)},
	[F_F_CONVERGED] = {OBJ_FIT, "converged", "fit.converged", FT_BOOL, HOFF(converged)},
	[F_F_LOWER_BOUND] = {OBJ_FIT, "lower_bound", "fit.lower_bound", FT_DBL, HOFF(lower_bound)},
	[F_F_FIT_MS] = {OBJ_FIT, "fit_ms", "fit.fit_ms", FT_DBL, HOFF(fit_ms)},
	[F_T_ROWS] = {OBJ_TRAINING, "rows", "training.rows", FT_I64, HOFF(rows)},
	[F_T_TOTAL_WEIGHT] = {OBJ_TRAINING, "total_weight", "training.total_weight", FT_DBL, HOFF(total_weight)},
	[F_T_MIN] = {OBJ_TRAINING, "min", "training.min", FT_DBL, HOFF(min)},
	[F_T_MAX] = {OBJ_TRAINING, "max", "training.max", FT_DBL, HOFF(max)},
	[F_T_BUCKETS] = {OBJ_TRAINING, "buckets", "training.buckets", FT_I64, HOFF(buckets)},
	[F_T_NULLS] = {OBJ_TRAINING, "nulls", "training.nulls", FT_I64, HOFF(nulls)},
	[F_T_NANS] = {OBJ_TRAINING, "nans", "training.nans", FT_I64, HOFF(nans)},
	[F_T_POS_INFS] = {OBJ_TRAINING, "pos_infs", "training.pos_infs", FT_I64, HOFF(pos_infs)},
	[F_T_NEG_INFS] = {OBJ_TRAINING, "neg_infs", "training.neg_infs", FT_I64, HOFF(neg_infs)},
};

/* Object path prefixes for messages about unknown keys. */
static const char *const obj_prefix[N_OBJS] = {"", "priors.", "fit.", "training."};

/* Component member each array fills (ARR_WEIGHTS goes to weights[]). */
static const size_t arr_comp_off[N_ARRAYS] = {
	0,
	offsetof(VgmComponent, mean),
	offsetof(VgmComponent, covariance),
	offsetof(VgmComponent, mean_precision),
	offsetof(VgmComponent, dof),
	offsetof(VgmComponent, conc_a),
	offsetof(VgmComponent, conc_b),
};

static const int arr_field[N_ARRAYS] = {
	F_WEIGHTS, F_MEANS, F_COVARIANCES, F_MEAN_PRECISION, F_DOF, F_CONC_A, F_CONC_B
};

typedef struct Parser
{
	const unsigned char *s;
	size_t		len;
	size_t		pos;
	ErrOut		err;
	int			syntax;			/* a syntax error was reported: abort */
	int			deferred;		/* first non-syntax error, reported later */
	int			version_bad;	/* "version" is not an int32 */
	int			dims_bad;		/* "dims" is not an int32 */
	unsigned char seen[N_FIELDS];
	unsigned char obj_ok[N_OBJS];	/* the object was parsed as an object */
	VgmModelHeader hdr;
	size_t		arr_len[N_ARRAYS];	/* elements seen (may exceed the max) */
	double		arr[N_ARRAYS][VGM_MAX_COMPONENTS];
} Parser;

static int	skip_value(Parser *p, int depth);

static int
at_end(const Parser *p)
{
	return p->pos >= p->len;
}

static int
peek(const Parser *p)
{
	return p->pos < p->len ? p->s[p->pos] : -1;
}

static void
skip_ws(Parser *p)
{
	while (p->pos < p->len)
	{
		unsigned char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

/* Readable name of the byte at pos for a message. */
static const char *
describe_at(const Parser *p, size_t pos, char *buf, size_t buflen)
{
	unsigned char c;

	if (pos >= p->len)
		return "end of input";
	c = p->s[pos];
	if (c == '"')
		snprintf(buf, buflen, "character '\"'");
	else if (c > 0x20 && c < 0x7f)
		snprintf(buf, buflen, "character \"%c\"", c);
	else
		snprintf(buf, buflen, "byte 0x%02X", (unsigned) c);
	return buf;
}

/* Report malformed JSON at pos: "Unexpected X at byte offset N; <rest>." */
static int PRINTF_LIKE(3, 4)
syntax_error(Parser *p, size_t pos, const char *fmt,...)
{
	char		what[40];
	char		rest[160];
	va_list		ap;

	va_start(ap, fmt);
	if (vsnprintf(rest, sizeof(rest), fmt, ap) < 0)
		rest[0] = '\0';
	va_end(ap);

	p->syntax = 1;
	set_msg(&p->err, "malformed JSON");
	set_detail(&p->err, "Unexpected %s at byte offset %zu; %s.",
			   describe_at(p, pos, what, sizeof(what)), pos, rest);
	return -1;
}

/* Record a non-syntax error if it is the first; true if the caller should
 * write its message. */
static int
defer(Parser *p, int code)
{
	if (p->deferred)
		return 0;
	p->deferred = code;
	return 1;
}

static int
expect_char(Parser *p, unsigned char c, const char *what)
{
	if (peek(p) != c)
		return syntax_error(p, p->pos, "expected %s", what);
	p->pos++;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits of a \u escape at pos; -1 after a syntax error. */
static long
parse_hex4(Parser *p)
{
	long		v = 0;

	for (int i = 0; i < 4; i++)
	{
		int			h = hexval(peek(p));

		if (h < 0)
			return syntax_error(p, p->pos, "expected a hexadecimal digit in a \\u escape");
		v = v * 16 + h;
		p->pos++;
	}
	return v;
}

/*
 * A JSON string at pos (which holds '"').  Its decoded text goes to out
 * (up to outcap bytes; NULL to discard): ASCII as is, anything else as '?'
 * with *nonascii set.  *overflow is set when the text did not fit.
 */
static int
parse_string(Parser *p, char *out, size_t outcap, size_t *outlen,
			 int *overflow, int *nonascii)
{
	size_t		n = 0;

	*overflow = 0;
	*nonascii = 0;
	p->pos++;					/* opening quote */
	for (;;)
	{
		int			c = peek(p);
		long		cp;

		if (c < 0)
			return syntax_error(p, p->pos, "expected '\"' to end the string");
		if (c == '"')
		{
			p->pos++;
			break;
		}
		if (c < 0x20)
			return syntax_error(p, p->pos, "control characters must be escaped in a string");
		if (c == '\\')
		{
			p->pos++;
			c = peek(p);
			p->pos++;			/* past the escape letter (if any) */
			switch (c)
			{
				case '"':
				case '\\':
				case '/':
					cp = c;
					break;
				case 'b':
					cp = '\b';
					break;
				case 'f':
					cp = '\f';
					break;
				case 'n':
					cp = '\n';
					break;
				case 'r':
					cp = '\r';
					break;
				case 't':
					cp = '\t';
					break;
				case 'u':
					if ((cp = parse_hex4(p)) < 0)
						return -1;
					if (cp >= 0xDC00 && cp <= 0xDFFF)
						return syntax_error(p, p->pos - 6, "a low surrogate must follow a high surrogate");
					if (cp >= 0xD800 && cp <= 0xDBFF)
					{
						long		lo;

						if (p->len - p->pos < 2 || p->s[p->pos] != '\\' ||
							p->s[p->pos + 1] != 'u')
							return syntax_error(p, p->pos, "expected a low surrogate after a high surrogate");
						p->pos += 2;
						if ((lo = parse_hex4(p)) < 0)
							return -1;
						if (lo < 0xDC00 || lo > 0xDFFF)
							return syntax_error(p, p->pos - 6, "expected a low surrogate after a high surrogate");
						cp = 0x10000;	/* non-ASCII; the exact value is not needed */
					}
					break;
				default:
					p->pos--;
					return syntax_error(p, p->pos, "expected a valid escape after a backslash");
			}
		}
		else
		{
			cp = c;
			p->pos++;
		}
		if (cp >= 0x80)
		{
			*nonascii = 1;
			cp = '?';
		}
		if (out != NULL)
		{
			if (n < outcap)
				out[n++] = (char) cp;
			else
				*overflow = 1;
		}
	}
	if (outlen != NULL)
		*outlen = n;
	return 0;
}

/*
 * Scan a JSON number at pos.  On success [*start, p->pos) is the token and
 * *is_int tells whether it has neither fraction nor exponent.
 */
static int
scan_number(Parser *p, size_t *start, int *is_int)
{
	*start = p->pos;
	*is_int = 1;
	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0')
	{
		p->pos++;
		if (peek(p) >= '0' && peek(p) <= '9')
			return syntax_error(p, p->pos, "a number must not have leading zeros");
	}
	else if (peek(p) >= '1' && peek(p) <= '9')
	{
		while (peek(p) >= '0' && peek(p) <= '9')
			p->pos++;
	}
	else
		return syntax_error(p, p->pos, "expected a digit");
	if (peek(p) == '.')
	{
		*is_int = 0;
		p->pos++;
		if (!(peek(p) >= '0' && peek(p) <= '9'))
			return syntax_error(p, p->pos, "expected a digit after the decimal point");
		while (peek(p) >= '0' && peek(p) <= '9')
			p->pos++;
	}
	if (peek(p) == 'e' || peek(p) == 'E')
	{
		*is_int = 0;
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!(peek(p) >= '0' && peek(p) <= '9'))
			return syntax_error(p, p->pos, "expected a digit in the exponent");
		while (peek(p) >= '0' && peek(p) <= '9')
			p->pos++;
	}
	return 0;
}

static int
number_start(int c)
{
	return c == '-' || (c >= '0' && c <= '9');
}

/* A JSON number as a double; idx >= 0 names an array element. */
static int
parse_double(Parser *p, const char *name, long idx, double *out)
{
	size_t		start,
				n;
	int			is_int;
	char		buf[MAX_NUMBER_CHARS + 1];
	char	   *end;
	double		v;
	char		path[96];

	*out = 0;
	if (scan_number(p, &start, &is_int) < 0)
		return -1;
	n = p->pos - start;
	if (n > MAX_NUMBER_CHARS)
	{
		if (defer(p, VGM_MODEL_ERR_RANGE))
		{
			field_path(path, sizeof(path), name, idx);
			set_msg(&p->err, "number too long in field \"%s\"", path);
			set_detail(&p->err, "The number at byte offset %zu has %zu characters; at most %d are allowed.",
					   start, n, MAX_NUMBER_CHARS);
		}
		return 0;
	}
	memcpy(buf, p->s + start, n);
	buf[n] = '\0';
	v = strtod(buf, &end);
	if (end != buf + n)
	{
		/* only under a locale whose decimal point is not '.' */
		p->pos = start + (size_t) (end - buf);
		return syntax_error(p, p->pos, "the number cannot be read in the current locale");
	}
	if (isinf(v))
	{
		if (defer(p, VGM_MODEL_ERR_RANGE))
		{
			field_path(path, sizeof(path), name, idx);
			set_msg(&p->err, "field \"%s\" out of range", path);
			set_detail(&p->err, "The number at byte offset %zu is outside the range of type double precision.",
					   start);
		}
		return 0;
	}
	*out = v;
	return 0;
}

/* A JSON integer for an FT_I32 / FT_I64 / FT_U64 field. */
static int
parse_integer(Parser *p, int fid)
{
	const FieldDef *f = &fields[fid];
	size_t		start;
	int			is_int;
	int			neg;
	int			ok = 1;
	uint64_t	mag = 0;
	const char *tname;

	if (scan_number(p, &start, &is_int) < 0)
		return -1;
	neg = p->s[start] == '-';
	if (is_int)
	{
		for (size_t i = start + (neg ? 1 : 0); i < p->pos; i++)
		{
			unsigned	d = (unsigned) (p->s[i] - '0');

			if (mag > (UINT64_MAX - d) / 10)
			{
				ok = 0;
				break;
			}
			mag = mag * 10 + d;
		}
	}
	switch (f->type)
	{
		case FT_I32:
			tname = "integer";
			ok = ok && is_int && mag <= (neg ? (uint64_t) INT32_MAX + 1 : (uint64_t) INT32_MAX);
			if (ok)
			{
				int32_t		v = neg ? (int32_t) (-(int64_t) mag) : (int32_t) mag;

				memcpy((char *) &p->hdr + f->arg, &v, sizeof(v));
			}
			break;
		case FT_I64:
			tname = "bigint";
			ok = ok && is_int && mag <= (neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX);
			if (ok)
			{
				int64_t		v = neg ? (mag == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) mag)
					: (int64_t) mag;

				memcpy((char *) &p->hdr + f->arg, &v, sizeof(v));
			}
			break;
		default:				/* FT_U64 */
			tname = "64-bit unsigned integer";
			ok = ok && is_int && !(neg && mag != 0);
			if (ok)
				memcpy((char *) &p->hdr + f->arg, &mag, sizeof(mag));
			break;
	}
	if (ok)
		return 0;

	if (fid == F_VERSION)
		p->version_bad = 1;
	else if (fid == F_DIMS)
		p->dims_bad = 1;
	else if (defer(p, VGM_MODEL_ERR_RANGE))
	{
		if (!is_int)
		{
			set_msg(&p->err, "field \"%s\" must be an integer", f->path);
			set_detail(&p->err, "The number at byte offset %zu has a fraction or an exponent.",
					   start);
		}
		else
		{
			set_msg(&p->err, "field \"%s\" out of range", f->path);
			set_detail(&p->err, "The number at byte offset %zu is outside the range of type %s.",
					   start, tname);
		}
	}
	return 0;
}

/* The literal word (true, false, null) at pos. */
static int
parse_literal(Parser *p, const char *word)
{
	size_t		n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
	{
		/* point at the first byte that differs */
		size_t		i = 0;

		while (p->pos + i < p->len && i < n && p->s[p->pos + i] == (unsigned char) word[i])
			i++;
		return syntax_error(p, p->pos + i, "expected the literal %s", word);
	}
	p->pos += n;
	return 0;
}

/* Complain that a value has the wrong JSON type, then step over it. */
static int
wrong_type(Parser *p, int fid, const char *want, int depth)
{
	const FieldDef *f = &fields[fid];
	size_t		start = p->pos;

	if (skip_value(p, depth) < 0)
		return -1;
	if (fid == F_VERSION)
		p->version_bad = 1;
	else if (fid == F_DIMS)
		p->dims_bad = 1;
	else if (defer(p, VGM_MODEL_ERR_RANGE))
	{
		set_msg(&p->err, "field \"%s\" must be %s", f->path, want);
		set_detail(&p->err, "The value of field \"%s\" at byte offset %zu is not %s.",
				   f->path, start, want);
	}
	return 0;
}

static int	parse_object(Parser *p, int obj, int depth);

/* An array of numbers for an FT_ARR field, at pos (which holds '['). */
static int
parse_array(Parser *p, int fid, int depth)
{
	const FieldDef *f = &fields[fid];
	size_t		a = f->arg;
	size_t		count = 0;

	if (depth > MAX_DEPTH)
		return syntax_error(p, p->pos, "the nesting is deeper than %d", MAX_DEPTH);
	p->pos++;
	skip_ws(p);
	if (peek(p) == ']')
	{
		p->pos++;
		p->arr_len[a] = 0;
		return 0;
	}
	for (;;)
	{
		skip_ws(p);
		if (number_start(peek(p)))
		{
			double		v;

			if (parse_double(p, f->path, (long) count, &v) < 0)
				return -1;
			if (count < VGM_MAX_COMPONENTS)
				p->arr[a][count] = v;
		}
		else
		{
			size_t		start = p->pos;

			if (skip_value(p, depth + 1) < 0)
				return -1;
			if (defer(p, VGM_MODEL_ERR_RANGE))
			{
				set_msg(&p->err, "field \"%s\" must be an array of numbers", f->path);
				set_detail(&p->err, "Element %zu of field \"%s\" at byte offset %zu is not a number.",
						   count, f->path, start);
			}
		}
		count++;
		skip_ws(p);
		if (peek(p) == ',')
		{
			p->pos++;
			continue;
		}
		if (peek(p) == ']')
		{
			p->pos++;
			break;
		}
		return syntax_error(p, p->pos, "expected \",\" or \"]\"");
	}
	p->arr_len[a] = count;
	return 0;
}

/* The value of a known field at pos. */
static int
parse_field(Parser *p, int fid, int depth)
{
	const FieldDef *f = &fields[fid];
	int			c = peek(p);

	switch (f->type)
	{
		case FT_OBJ:
			if (c != '{')
				return wrong_type(p, fid, "an object", depth);
			if (parse_object(p, (int) f->arg, depth) < 0)
				return -1;
			p->obj_ok[f->arg] = 1;
			return 0;
		case FT_ARR:
			if (c != '[')
				return wrong_type(p, fid, "an array of numbers", depth);
			return parse_array(p, fid, depth);
		case FT_BOOL:
			{
				int32_t		v;

				if (c == 't')
				{
					if (parse_literal(p, "true") < 0)
						return -1;
					v = 1;
				}
				else if (c == 'f')
				{
					if (parse_literal(p, "false") < 0)
						return -1;
					v = 0;
				}
				else
					return wrong_type(p, fid, "true or false", depth);
				memcpy((char *) &p->hdr + f->arg, &v, sizeof(v));
				return 0;
			}
		case FT_DBL:
			{
				double		v;

				if (!number_start(c))
					return wrong_type(p, fid, "a number", depth);
				if (parse_double(p, f->path, -1, &v) < 0)
					return -1;
				memcpy((char *) &p->hdr + f->arg, &v, sizeof(v));
				return 0;
			}
		case FT_I32:
		case FT_I64:
		case FT_U64:
			if (!number_start(c))
				return wrong_type(p, fid, "an integer", depth);
			return parse_integer(p, fid);
	}
	return syntax_error(p, p->pos, "internal error");
}

/* Key text safe for a message: printable ASCII, '?' elsewhere. */
static void
key_for_message(const char *key, size_t n, int overflow, char *buf, size_t buflen)
{
	size_t		j = 0;

	for (size_t i = 0; i < n && j + 4 < buflen; i++)
	{
		unsigned char c = (unsigned char) key[i];

		buf[j++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char) c : '?';
	}
	if (overflow && j + 4 <= buflen)
	{
		memcpy(buf + j, "...", 3);
		j += 3;
	}
	if (buflen > 0)
		buf[j < buflen ? j : buflen - 1] = '\0';
}

/*
 * An object at pos (which holds '{').  obj is OBJ_* for the schema objects,
 * or -1 for an object being skipped.
 */
static int
parse_object(Parser *p, int obj, int depth)
{
	if (depth > MAX_DEPTH)
		return syntax_error(p, p->pos, "the nesting is deeper than %d", MAX_DEPTH);
	p->pos++;
	skip_ws(p);
	if (peek(p) == '}')
	{
		p->pos++;
		return 0;
	}
	for (;;)
	{
		char		key[MAX_KEY_CHARS];
		size_t		keylen = 0;
		int			overflow,
					nonascii;
		size_t		keypos;
		int			fid = -1;

		skip_ws(p);
		keypos = p->pos;
		if (peek(p) != '"')
			return syntax_error(p, p->pos, "expected a string as object key");
		if (parse_string(p, obj >= 0 ? key : NULL, sizeof(key), &keylen,
						 &overflow, &nonascii) < 0)
			return -1;
		skip_ws(p);
		if (expect_char(p, ':', "\":\" after an object key") < 0)
			return -1;
		skip_ws(p);

		if (obj >= 0 && !overflow && !nonascii)
		{
			for (int i = 0; i < N_FIELDS; i++)
				if (fields[i].parent == obj && strlen(fields[i].name) == keylen &&
					memcmp(fields[i].name, key, keylen) == 0)
				{
					fid = i;
					break;
				}
		}

		if (obj < 0)
		{
			if (skip_value(p, depth + 1) < 0)
				return -1;
		}
		else if (fid < 0)
		{
			char		shown[MAX_KEY_CHARS + 8];

			if (skip_value(p, depth + 1) < 0)
				return -1;
			if (defer(p, VGM_MODEL_ERR_FIELD))
			{
				key_for_message(key, keylen, overflow, shown, sizeof(shown));
				set_msg(&p->err, "unknown field \"%s%s\"", obj_prefix[obj], shown);
				set_detail(&p->err, "The key at byte offset %zu is not part of format version %d.",
						   keypos, VGM_MODEL_FORMAT_VERSION);
			}
		}
		else if (p->seen[fid])
		{
			if (skip_value(p, depth + 1) < 0)
				return -1;
			if (defer(p, VGM_MODEL_ERR_FIELD))
			{
				set_msg(&p->err, "duplicate field \"%s\"", fields[fid].path);
				set_detail(&p->err, "The key at byte offset %zu repeats a field; each field may appear only once.",
						   keypos);
			}
		}
		else
		{
			p->seen[fid] = 1;
			if (parse_field(p, fid, depth + 1) < 0)
				return -1;
		}

		skip_ws(p);
		if (peek(p) == ',')
		{
			p->pos++;
			continue;
		}
		if (peek(p) == '}')
		{
			p->pos++;
			return 0;
		}
		return syntax_error(p, p->pos, "expected \",\" or \"}\"");
	}
}

/* Step over any JSON value at pos. */
static int
skip_value(Parser *p, int depth)
{
	int			c = peek(p);

	if (depth > MAX_DEPTH)
		return syntax_error(p, p->pos, "the nesting is deeper than %d", MAX_DEPTH);
	switch (c)
	{
		case '{':
			return parse_object(p, -1, depth);
		case '[':
			p->pos++;
			skip_ws(p);
			if (peek(p) == ']')
			{
				p->pos++;
				return 0;
			}
			for (;;)
			{
				skip_ws(p);
				if (skip_value(p, depth + 1) < 0)
					return -1;
				skip_ws(p);
				if (peek(p) == ',')
				{
					p->pos++;
					continue;
				}
				if (peek(p) == ']')
				{
					p->pos++;
					return 0;
				}
				return syntax_error(p, p->pos, "expected \",\" or \"]\"");
			}
		case '"':
			{
				int			overflow,
							nonascii;

				return parse_string(p, NULL, 0, NULL, &overflow, &nonascii);
			}
		case 't':
			return parse_literal(p, "true");
		case 'f':
			return parse_literal(p, "false");
		case 'n':
			return parse_literal(p, "null");
		default:
			if (number_start(c))
			{
				size_t		start;
				int			is_int;

				return scan_number(p, &start, &is_int);
			}
			return syntax_error(p, p->pos, "expected a JSON value");
	}
}

/* Everything after a syntactically valid text; fills model on success. */
static int
finish(Parser *p, VgmModelView *model, const VgmAllocator *alloc)
{
	VgmModelHeader *h = &p->hdr;
	size_t		k;
	size_t		size;
	char	   *block;
	VgmComponent *comp;
	double	   *weights;
	int			rc;

	if (p->seen[F_VERSION] && (p->version_bad || h->version != VGM_MODEL_FORMAT_VERSION))
	{
		set_msg(&p->err, "unsupported format version");
		if (p->version_bad)
			set_detail(&p->err, "The field \"version\" must be the integer %d.",
					   VGM_MODEL_FORMAT_VERSION);
		else
			set_detail(&p->err, "The model has format version %" PRId32 "; this build of vgm reads version %d only.",
					   h->version, VGM_MODEL_FORMAT_VERSION);
		return VGM_MODEL_ERR_VERSION;
	}
	if (p->seen[F_DIMS] && (p->dims_bad || h->dims != 1))
	{
		set_msg(&p->err, "unsupported number of dimensions");
		if (p->dims_bad)
			set_detail(&p->err, "The field \"dims\" must be the integer 1.");
		else
			set_detail(&p->err, "The model has %" PRId32 " dimensions; only 1 is supported.",
					   h->dims);
		return VGM_MODEL_ERR_VERSION;
	}
	if (p->deferred)
		return p->deferred;

	for (int i = 0; i < N_FIELDS; i++)
	{
		const FieldDef *f = &fields[i];

		if (f->parent != OBJ_TOP && !p->obj_ok[f->parent])
			continue;			/* its object is missing: reported already */
		if (!p->seen[i])
		{
			set_msg(&p->err, "missing field \"%s\"", f->path);
			set_detail(&p->err, "A model of format version %d must have the field \"%s\".",
					   VGM_MODEL_FORMAT_VERSION, f->path);
			return VGM_MODEL_ERR_FIELD;
		}
	}

	if (h->k < 1 || h->k > VGM_MAX_COMPONENTS)
	{
		set_msg(&p->err, "k out of range");
		set_detail(&p->err, "The model has k = %" PRId32 "; k must be between 1 and %d.",
				   h->k, VGM_MAX_COMPONENTS);
		return VGM_MODEL_ERR_RANGE;
	}
	k = (size_t) h->k;
	for (int a = 0; a < N_ARRAYS; a++)
	{
		if (p->arr_len[a] != k)
		{
			set_msg(&p->err, "length of field \"%s\" does not match k",
					fields[arr_field[a]].path);
			set_detail(&p->err, "Field \"%s\" has %zu elements, but k is %zu.",
					   fields[arr_field[a]].path, p->arr_len[a], k);
			return VGM_MODEL_ERR_RANGE;
		}
	}

	size = k * sizeof(VgmComponent) + k * sizeof(double);
	block = vgm_mem_alloc(alloc, size);
	if (block == NULL)
	{
		set_msg(&p->err, "out of memory");
		set_detail(&p->err, "Failed on request of size %zu.", size);
		return VGM_MODEL_ERR_NOMEM;
	}
	comp = (VgmComponent *) block;
	weights = (double *) (block + k * sizeof(VgmComponent));
	memset(comp, 0, k * sizeof(VgmComponent));
	for (size_t i = 0; i < k; i++)
	{
		weights[i] = p->arr[ARR_WEIGHTS][i];
		for (int a = 1; a < N_ARRAYS; a++)
			memcpy((char *) &comp[i] + arr_comp_off[a], &p->arr[a][i], sizeof(double));
	}

	model->hdr = *h;
	model->comp = comp;
	model->weights = weights;
	err_clear(&p->err);
	rc = validate(model, &p->err);
	if (rc != VGM_MODEL_OK)
	{
		vgm_mem_free(alloc, block);
		memset(model, 0, sizeof(*model));
	}
	return rc;
}

int
vgm_model_parse(const char *text, size_t len, VgmModelView *model,
				const VgmAllocator *alloc,
				char *msg, size_t msglen,
				char *detail, size_t detaillen)
{
	Parser		ps;
	Parser	   *p = &ps;

	memset(p, 0, sizeof(*p));
	p->err.msg = msg;
	p->err.msglen = msglen;
	p->err.detail = detail;
	p->err.detaillen = detaillen;
	err_clear(&p->err);

	if (model == NULL)
	{
		set_msg(&p->err, "no output model");
		set_detail(&p->err, "The parser was called without a place for its result.");
		return VGM_MODEL_ERR_RANGE;
	}
	memset(model, 0, sizeof(*model));
	if (text == NULL)
		len = 0;
	p->s = (const unsigned char *) text;
	p->len = len;

	skip_ws(p);
	if (peek(p) != '{')
	{
		syntax_error(p, p->pos, "expected \"{\" to begin the model");
		return VGM_MODEL_ERR_SYNTAX;
	}
	if (parse_object(p, OBJ_TOP, 1) < 0)
		return VGM_MODEL_ERR_SYNTAX;
	skip_ws(p);
	if (!at_end(p))
	{
		char		what[40];

		p->syntax = 1;
		set_msg(&p->err, "trailing garbage after the JSON object");
		set_detail(&p->err, "Unexpected %s at byte offset %zu after the end of the model.",
				   describe_at(p, p->pos, what, sizeof(what)), p->pos);
		return VGM_MODEL_ERR_SYNTAX;
	}
	return finish(p, model, alloc);
}
