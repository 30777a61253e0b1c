/*
 * joint_model.c - the vgm_joint_model type: the stored layout of
 *                 joint_model.h, text and binary I/O, and the accessors.
 *
 * Both input paths end in vgm_joint_model_validate (joint_model_codec.c),
 * so a value that arrives as JSON text, as jsonb, through COPY BINARY or
 * from another node is checked the same way; the codecs are pure C, so
 * in/out/recv/send here only move bytes and raise what the codecs report.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "binary_codec.h"
#include "codec_errcode.h"
#include "fit_shared.h"
#include "joint_model.h"
#include "model_seal.h"
#include "vgm.h"

PG_FUNCTION_INFO_V1(vgm_joint_model_in);
PG_FUNCTION_INFO_V1(vgm_joint_model_out);
PG_FUNCTION_INFO_V1(vgm_joint_model_recv);
PG_FUNCTION_INFO_V1(vgm_joint_model_send);
PG_FUNCTION_INFO_V1(vgm_joint_model_n_components);
PG_FUNCTION_INFO_V1(vgm_joint_model_dims);
PG_FUNCTION_INFO_V1(vgm_joint_model_weights);
PG_FUNCTION_INFO_V1(vgm_joint_model_means);
PG_FUNCTION_INFO_V1(vgm_joint_model_covariances);
PG_FUNCTION_INFO_V1(vgm_joint_model_diagnostics);


StaticAssertDecl(VGM_JOINT_MODEL_SEAL_BYTES == VGM_MODEL_SEAL_BYTES,
				 "a joint model's seal is model_seal.h's");

/*
 * The header scalars a stored model and its view share, as (stored member,
 * view member), in stored order: one list that X expands to the copy in
 * either direction (STORE_SCALAR, VIEW_SCALAR), as plain assignments, so
 * the view of a model costs what it did when they were written out.
 */
#define JOINT_MODEL_SCALARS(X) \
	X(d, d); \
	X(k, k); \
	X(iterations, iterations); \
	X(converged, converged); \
	X(max_iter, max_iter); \
	X(n_init, n_init); \
	X(seed, seed); \
	X(tol, tol); \
	X(weight_threshold, weight_threshold); \
	X(prior_weight_concentration, priors.weight_concentration); \
	X(prior_mean_precision, priors.mean_precision); \
	X(prior_degrees_of_freedom, priors.degrees_of_freedom); \
	X(prior_reg_covar, priors.reg_covar); \
	X(lower_bound, lower_bound); \
	X(fit_ms, fit_ms); \
	X(rows, rows); \
	X(points, points); \
	X(skipped_rows, skipped_rows); \
	X(total_weight, total_weight)

/* One scalar from view header h into stored model m, or back. */
#define STORE_SCALAR(stored, view) m->stored = h->view
#define VIEW_SCALAR(stored, view) h->view = m->stored

/*
 * The stored header has no padding and ends where the arrays start, so a
 * datum palloc0'd and filled through the list above has every byte set
 * (byte equality is value equality, equality.c).
 */
StaticAssertDecl(offsetof(VgmJointModel, iterations) == 16 && offsetof(VgmJointModel, seed) == 32 &&
				 offsetof(VgmJointModel, total_weight) == 128 && offsetof(VgmJointModel, data) == 136,
				 "the stored joint model header keeps its layout");

/*
 * Build a vgm_joint_model datum from a validated view: the sealed layout,
 * the only one this version writes (joint_model.h).
 */
Datum
vgm_joint_model_datum(const VgmJointModelView *model)
{
	const VgmJointModelHeader *h = &model->hdr;
	const VgmJointPosterior *p = &model->post;
	int			d = h->d;
	int			k = h->k;
	Size		size = VGM_JOINT_MODEL_SEALED_SIZE(d, k);
	VgmJointModel *m = palloc0(size);
	double	   *range = m->data + d + d * d;
	VgmJointPosterior dst;

	SET_VARSIZE(m, size);
	m->layout = VGM_JOINT_MODEL_SEALED;
	JOINT_MODEL_SCALARS(STORE_SCALAR);
	memcpy(m->data, h->priors.mean, sizeof(double) * d);
	memcpy(m->data + d, h->priors.covariance, sizeof(double) * d * d);
	/* the training range, or NaN in its place for a model of format 1 */
	for (int i = 0; i < d; i++)
	{
		bool		known = h->version == VGM_JOINT_MODEL_FORMAT_VERSION_RANGE;

		range[i] = known ? h->col_min[i] : get_float8_nan();
		range[d + i] = known ? h->col_max[i] : get_float8_nan();
	}
	vgm_joint_model_arrays(&dst, d, k, range + 2 * d);
	memcpy(dst.conc_a, p->conc_a, sizeof(double) * k);
	memcpy(dst.conc_b, p->conc_b, sizeof(double) * k);
	memcpy(dst.mean_precision, p->mean_precision, sizeof(double) * k);
	memcpy(dst.dof, p->dof, sizeof(double) * k);
	memcpy(dst.weights, p->weights, sizeof(double) * k);
	memcpy(dst.means, p->means, sizeof(double) * k * d);
	memcpy(dst.covariances, p->covariances, sizeof(double) * k * d * d);
	vgm_varlena_seal((struct varlena *) m);
	PG_RETURN_POINTER(m);
}

/* Check a sealed joint model's seal against its bytes (see joint_model.h). */
void
vgm_joint_model_check_seal(const VgmJointModel *m)
{
	if (!vgm_varlena_seal_holds((const struct varlena *) m))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid vgm_joint_model: its seal does not match its content"),
				 errdetail("The SHA-256 of the model's %zu bytes differs from the one stored with it; the stored value was damaged.",
						   (Size) (VARSIZE(m) - VARHDRSZ - VGM_JOINT_MODEL_SEAL_BYTES))));
}

/* A view of a detoasted stored model; its layout and size must match what it claims. */
void
vgm_joint_model_view(const VgmJointModel *m, VgmJointModelView *model)
{
	VgmJointModelHeader *h = &model->hdr;
	bool		sealed = vgm_joint_model_is_sealed(m);
	bool		shape_ok = m->d >= 1 && m->d <= VGM_JOINT_MAX_DIMS &&
		m->k >= 1 && m->k <= VGM_JOINT_MAX_COMPONENTS;
	Size		expected = !shape_ok ? 0 : sealed ? VGM_JOINT_MODEL_SEALED_SIZE(m->d, m->k)
		: VGM_JOINT_MODEL_UNSEALED_SIZE(m->d, m->k);
	const double *range = m->data + m->d + m->d * m->d;

	if (!sealed && m->layout != VGM_JOINT_MODEL_UNSEALED)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid vgm_joint_model: unknown layout marker"),
				 errdetail("The model's layout word is %d; a stored joint model has %d or %d.",
						   (int) m->layout, VGM_JOINT_MODEL_UNSEALED, (int) VGM_JOINT_MODEL_SEALED)));
	if (!shape_ok || VARSIZE(m) != expected)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid vgm_joint_model: size does not match dims and k"),
				 errdetail("The stored value claims dims %d and k %d in %zu bytes%s.",
						   m->d, m->k, (Size) VARSIZE(m),
						   shape_ok ? psprintf("; that shape takes %zu", expected)
						   : "; no valid model has that shape")));
	memset(h, 0, sizeof(*h));
	/* a range is stored only in the sealed layout, NaN when the model has none */
	h->version = sealed && !isnan(range[0]) ? VGM_JOINT_MODEL_FORMAT_VERSION_RANGE
		: VGM_JOINT_MODEL_FORMAT_VERSION;
	if (h->version == VGM_JOINT_MODEL_FORMAT_VERSION_RANGE)
		for (int i = 0; i < m->d; i++)
		{
			h->col_min[i] = range[i];
			h->col_max[i] = range[m->d + i];
		}
	JOINT_MODEL_SCALARS(VIEW_SCALAR);
	h->priors.d = m->d;
	memcpy(h->priors.mean, m->data, sizeof(double) * m->d);
	memcpy(h->priors.covariance, m->data + m->d, sizeof(double) * m->d * m->d);
	vgm_joint_model_arrays(&model->post, m->d, m->k,
						   (double *) range + (sealed ? 2 * m->d : 0));
}

/* A view of a stored joint model datum (detoasted). */
void
vgm_joint_model_view_datum(Datum datum, VgmJointModelView *model)
{
	vgm_joint_model_view((VgmJointModel *) PG_DETOAST_DATUM(datum), model);
}

/*
 * The stored model of what the text or binary decoder read into view, or
 * the error it reported; the decoder's one block of arrays is freed.
 */
static Datum
datum_of_decoded(int status, bool binary, const VgmCodecReport *report, VgmJointModelView *view)
{
	Datum		result;

	vgm_codec_check(status, binary, report);
	result = vgm_joint_model_datum(view);
	pfree(view->post.conc_a);
	return result;
}

/* Text input: parse and validate the JSON form. */
Datum
vgm_joint_model_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	VgmJointModelView view;
	VgmCodecReport report;

	PG_RETURN_DATUM(datum_of_decoded(vgm_joint_model_parse(str, strlen(str), &view,
														   vgm_palloc_allocator(),
														   VGM_REPORT_BUFFERS(report)),
									 false, &report, &view));
}

/* Text output: JSON with shortest round-trip numbers. */
Datum
vgm_joint_model_out(PG_FUNCTION_ARGS)
{
	VgmJointModelView view;
	JtOut		out;

	vgm_joint_model_view_datum(PG_GETARG_DATUM(0), &view);
	vgm_joint_model_write(vgm_codec_out_begin(&out, 1024 + 24 * (Size) view.hdr.k
											  * (6 + view.hdr.d * (1 + view.hdr.d))), &view);
	PG_RETURN_CSTRING(vgm_codec_out_text(&out, "vgm_joint_model"));
}

/* Binary input: decoded and validated by joint_model_binary.c. */
Datum
vgm_joint_model_recv(PG_FUNCTION_ARGS)
{
	VgmRecvMessage m;
	VgmJointModelView view;

	vgm_recv_open(&m, fcinfo);
	PG_RETURN_DATUM(datum_of_decoded(vgm_joint_model_decode(m.data, m.len, &view,
															vgm_palloc_allocator(),
															VGM_REPORT_BUFFERS(m.report)),
									 true, &m.report, &view));
}

/* Binary output: the layout of joint_model_codec.h. */
Datum
vgm_joint_model_send(PG_FUNCTION_ARGS)
{
	VgmJointModelView view;
	bytea	   *result;

	vgm_joint_model_view_datum(PG_GETARG_DATUM(0), &view);
	vgm_joint_model_encode(&view, vgm_send_buffer(vgm_joint_model_binary_size(&view), &result));
	PG_RETURN_BYTEA_P(result);
}

/* A float8 array of the given dimensions (1 to 3) from n doubles. */
static ArrayType *
float8_md_array(const double *values, int ndim, const int *dims)
{
	int			lbs[3] = {1, 1, 1};
	int			n = 1;
	Datum	   *d;

	for (int i = 0; i < ndim; i++)
		n *= dims[i];
	d = palloc(sizeof(Datum) * Max(n, 1));
	for (int i = 0; i < n; i++)
		d[i] = Float8GetDatum(values[i]);
	return construct_md_array(d, NULL, ndim, (int *) dims, lbs, FLOAT8OID,
							  sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* vgm_n_components(m): posterior components k. */
Datum
vgm_joint_model_n_components(PG_FUNCTION_ARGS)
{
	VgmJointModelView view;

	vgm_joint_model_view_datum(PG_GETARG_DATUM(0), &view);
	PG_RETURN_INT32(view.hdr.k);
}

/* vgm_dims(m): the columns d of a row. */
Datum
vgm_joint_model_dims(PG_FUNCTION_ARGS)
{
	VgmJointModelView view;

	vgm_joint_model_view_datum(PG_GETARG_DATUM(0), &view);
	PG_RETURN_INT32(view.hdr.d);
}

/*
 * The posterior array of rank ndim of the model argument: the weights (k),
 * the means (k x d) or the covariances (k x d x d).
 */
static Datum
posterior_array(FunctionCallInfo fcinfo, int ndim)
{
	VgmJointModelView view;
	int			dims[3];
	const double *values;

	vgm_joint_model_view_datum(PG_GETARG_DATUM(0), &view);
	dims[0] = view.hdr.k;
	dims[1] = dims[2] = view.hdr.d;
	values = ndim == 1 ? view.post.weights : ndim == 2 ? view.post.means : view.post.covariances;
	PG_RETURN_ARRAYTYPE_P(float8_md_array(values, ndim, dims));
}

/* vgm_weights(m): mixture weights, posterior order. */
Datum
vgm_joint_model_weights(PG_FUNCTION_ARGS)
{
	return posterior_array(fcinfo, 1);
}

/* vgm_means(m): k x d means as float8[][]. */
Datum
vgm_joint_model_means(PG_FUNCTION_ARGS)
{
	return posterior_array(fcinfo, 2);
}

/* vgm_covariances(m): k x d x d covariances (scikit-learn's covariances_) as float8[][][]. */
Datum
vgm_joint_model_covariances(PG_FUNCTION_ARGS)
{
	return posterior_array(fcinfo, 3);
}

/* vgm_diagnostics(m): fit diagnostics and training facts as one record. */
Datum
vgm_joint_model_diagnostics(PG_FUNCTION_ARGS)
{
	VgmJointModelView view;
	const VgmJointModelHeader *h = &view.hdr;
	TupleDesc	tupdesc;
	Datum		values[12];
	bool		nulls[12];
	int			valid = 0;

	vgm_joint_model_view_datum(PG_GETARG_DATUM(0), &view);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning record called in context that cannot accept type record"),
				 errdetail("vgm_diagnostics returns a record of the fit's diagnostics.")));
	tupdesc = BlessTupleDesc(tupdesc);
	for (int j = 0; j < h->k; j++)
		if (view.post.weights[j] > h->weight_threshold)
			valid++;
	memset(nulls, 0, sizeof(nulls));
	values[0] = Int32GetDatum(h->d);
	values[1] = Int32GetDatum(h->k);
	values[2] = Int32GetDatum(valid);
	values[3] = Int64GetDatum(h->rows);
	values[4] = Int64GetDatum(h->skipped_rows);
	values[5] = Float8GetDatum(h->total_weight);
	values[6] = Int64GetDatum(h->points);
	vgm_fit_diagnostic_values(values + 7, h->iterations, h->converged != 0, h->lower_bound,
							  h->total_weight, h->fit_ms);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
