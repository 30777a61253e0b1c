/*
 * model.c - the vgm_model type: text and binary I/O, accessors.
 *
 * The text form is a JSON object (see model_codec.c), so a cast to jsonb is
 * free and a model can be read, diffed and written by hand.  Both input
 * paths share one validation, vgm_model_validate.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "codec_errcode.h"
#include "model.h"

PG_FUNCTION_INFO_V1(vgm_model_in);
PG_FUNCTION_INFO_V1(vgm_model_out);
PG_FUNCTION_INFO_V1(vgm_model_recv);
PG_FUNCTION_INFO_V1(vgm_model_send);
PG_FUNCTION_INFO_V1(vgm_model_n_components);
PG_FUNCTION_INFO_V1(vgm_model_weights);
PG_FUNCTION_INFO_V1(vgm_model_means);
PG_FUNCTION_INFO_V1(vgm_model_stddevs);
PG_FUNCTION_INFO_V1(vgm_model_valid_components);
PG_FUNCTION_INFO_V1(vgm_model_components);
PG_FUNCTION_INFO_V1(vgm_model_diagnostics);

#define MSG_LEN 256

/* Build a model datum from its parts (validated by the caller). */
VgmModel *
vgm_model_build(const VgmModelHeader *hdr, const VgmComponent *comp,
				const double *weights)
{
	Size		size = VGM_MODEL_SIZE(hdr->k);
	VgmModel   *model = palloc0(size);

	SET_VARSIZE(model, size);
	model->hdr = *hdr;
	memcpy(model->comp, comp, hdr->k * sizeof(VgmComponent));
	memcpy(VgmModelWeights(model), weights, hdr->k * sizeof(double));
	return model;
}

/* Check a model's size against its component count (see model.h). */
void
vgm_model_check_layout(const VgmModel *model)
{
	int			k = model->hdr.k;

	if (k < 1 || k > VGM_MAX_COMPONENTS || VARSIZE(model) != VGM_MODEL_SIZE(k))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid vgm_model: size does not match component count"),
				 errdetail("The model claims %d components in %zu bytes; %d components take %zu.",
						   k, (Size) VARSIZE(model), k,
						   (Size) (k >= 1 && k <= VGM_MAX_COMPONENTS ? VGM_MODEL_SIZE(k) : 0))));
}

/* A view of a stored model for the pure-C helpers. */
void
vgm_model_view(const VgmModel *model, VgmModelView *view)
{
	view->hdr = model->hdr;
	view->comp = (VgmComponent *) model->comp;
	view->weights = VgmModelWeights(model);
}

/* Text input: parse and validate the JSON form. */
Datum
vgm_model_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	VgmModelView view;
	char		msg[MSG_LEN];
	char		detail[MSG_LEN];
	int			status;
	VgmModel   *model;

	status = vgm_model_parse(str, strlen(str), &view, vgm_palloc_allocator(),
							 msg, sizeof(msg), detail, sizeof(detail));
	if (status != VGM_MODEL_OK)
		ereport(ERROR,
				(errcode(vgm_codec_errcode(status, false)),
				 errmsg("%s", msg),
				 errdetail("%s", detail)));
	model = vgm_model_build(&view.hdr, view.comp, view.weights);
	pfree(view.comp);
	PG_RETURN_VGM_MODEL_P(model);
}

/* Text output: JSON with shortest round-trip numbers. */
Datum
vgm_model_out(PG_FUNCTION_ARGS)
{
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);
	VgmModelView view;
	JtOut		out;

	vgm_model_view(model, &view);
	jt_out_growable(&out, vgm_palloc_allocator(), 1024 + (size_t) model->hdr.k * 200);
	vgm_model_write(&out, &view);
	jt_out_finish(&out);
	PG_RETURN_CSTRING(out.buf);
}

/* Read one float8 from a binary message. */
static double
recv_double(StringInfo buf)
{
	return pq_getmsgfloat8(buf);
}

/* Binary input: every field read as untrusted bytes, then the shared validation. */
Datum
vgm_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	VgmModelHeader hdr;
	VgmModelView view;
	VgmComponent *comp;
	double	   *weights;
	char		msg[MSG_LEN];
	char		detail[MSG_LEN];
	int			status;
	int			j;

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = pq_getmsgint(buf, 4);
	if (hdr.version != VGM_MODEL_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("unsupported vgm_model binary format version %d", hdr.version),
				 errdetail("This build reads format version %d.", VGM_MODEL_FORMAT_VERSION)));
	hdr.dims = pq_getmsgint(buf, 4);
	hdr.k = pq_getmsgint(buf, 4);
	if (hdr.k < 1 || hdr.k > VGM_MAX_COMPONENTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid vgm_model: component count %d out of range", hdr.k),
				 errdetail("A model has between 1 and %d components.", VGM_MAX_COMPONENTS)));
	hdr.iterations = pq_getmsgint(buf, 4);
	hdr.converged = pq_getmsgint(buf, 4);
	hdr.max_iter = pq_getmsgint(buf, 4);
	hdr.seed = (uint64) pq_getmsgint64(buf);
	hdr.tol = recv_double(buf);
	hdr.weight_threshold = recv_double(buf);
	hdr.priors.weight_concentration = recv_double(buf);
	hdr.priors.mean_precision = recv_double(buf);
	hdr.priors.mean = recv_double(buf);
	hdr.priors.degrees_of_freedom = recv_double(buf);
	hdr.priors.covariance = recv_double(buf);
	hdr.priors.reg_covar = recv_double(buf);
	hdr.lower_bound = recv_double(buf);
	hdr.fit_ms = recv_double(buf);
	hdr.rows = pq_getmsgint64(buf);
	hdr.buckets = pq_getmsgint64(buf);
	hdr.nulls = pq_getmsgint64(buf);
	hdr.nans = pq_getmsgint64(buf);
	hdr.pos_infs = pq_getmsgint64(buf);
	hdr.neg_infs = pq_getmsgint64(buf);
	hdr.total_weight = recv_double(buf);
	hdr.min = recv_double(buf);
	hdr.max = recv_double(buf);

	/* the remaining length must match k before anything is allocated */
	if ((Size) (buf->len - buf->cursor) != (Size) hdr.k * 7 * sizeof(double))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid vgm_model: binary length does not match component count"),
				 errdetail("Expected %zu bytes of components for %d components, found %d.",
						   (Size) hdr.k * 7 * sizeof(double), hdr.k, buf->len - buf->cursor)));
	comp = palloc(hdr.k * sizeof(VgmComponent));
	weights = palloc(hdr.k * sizeof(double));
	for (j = 0; j < hdr.k; j++)
	{
		comp[j].conc_a = recv_double(buf);
		comp[j].conc_b = recv_double(buf);
		comp[j].mean_precision = recv_double(buf);
		comp[j].mean = recv_double(buf);
		comp[j].dof = recv_double(buf);
		comp[j].covariance = recv_double(buf);
		weights[j] = recv_double(buf);
	}
	pq_getmsgend(buf);

	view.hdr = hdr;
	view.comp = comp;
	view.weights = weights;
	status = vgm_model_validate(&view, msg, sizeof(msg), detail, sizeof(detail));
	if (status != VGM_MODEL_OK)
		ereport(ERROR,
				(errcode(status == VGM_MODEL_ERR_VERSION ? ERRCODE_FEATURE_NOT_SUPPORTED
						 : ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("%s", msg),
				 errdetail("%s", detail)));
	PG_RETURN_VGM_MODEL_P(vgm_model_build(&hdr, comp, weights));
}

/* Binary output: fixed field order, network byte order. */
Datum
vgm_model_send(PG_FUNCTION_ARGS)
{
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);
	const VgmModelHeader *hdr = &model->hdr;
	const double *weights = VgmModelWeights(model);
	StringInfoData buf;
	int			j;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, hdr->version);
	pq_sendint32(&buf, hdr->dims);
	pq_sendint32(&buf, hdr->k);
	pq_sendint32(&buf, hdr->iterations);
	pq_sendint32(&buf, hdr->converged);
	pq_sendint32(&buf, hdr->max_iter);
	pq_sendint64(&buf, (int64) hdr->seed);
	pq_sendfloat8(&buf, hdr->tol);
	pq_sendfloat8(&buf, hdr->weight_threshold);
	pq_sendfloat8(&buf, hdr->priors.weight_concentration);
	pq_sendfloat8(&buf, hdr->priors.mean_precision);
	pq_sendfloat8(&buf, hdr->priors.mean);
	pq_sendfloat8(&buf, hdr->priors.degrees_of_freedom);
	pq_sendfloat8(&buf, hdr->priors.covariance);
	pq_sendfloat8(&buf, hdr->priors.reg_covar);
	pq_sendfloat8(&buf, hdr->lower_bound);
	pq_sendfloat8(&buf, hdr->fit_ms);
	pq_sendint64(&buf, hdr->rows);
	pq_sendint64(&buf, hdr->buckets);
	pq_sendint64(&buf, hdr->nulls);
	pq_sendint64(&buf, hdr->nans);
	pq_sendint64(&buf, hdr->pos_infs);
	pq_sendint64(&buf, hdr->neg_infs);
	pq_sendfloat8(&buf, hdr->total_weight);
	pq_sendfloat8(&buf, hdr->min);
	pq_sendfloat8(&buf, hdr->max);
	for (j = 0; j < hdr->k; j++)
	{
		pq_sendfloat8(&buf, model->comp[j].conc_a);
		pq_sendfloat8(&buf, model->comp[j].conc_b);
		pq_sendfloat8(&buf, model->comp[j].mean_precision);
		pq_sendfloat8(&buf, model->comp[j].mean);
		pq_sendfloat8(&buf, model->comp[j].dof);
		pq_sendfloat8(&buf, model->comp[j].covariance);
		pq_sendfloat8(&buf, weights[j]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* A float8[] from k doubles. */
static ArrayType *
float8_array(const double *values, int n)
{
	Datum	   *d = palloc(Max(n, 1) * sizeof(Datum));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Float8GetDatum(values[i]);
	return construct_array(d, n, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* Number of components of the variational posterior (valid or not). */
Datum
vgm_model_n_components(PG_FUNCTION_ARGS)
{
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);

	PG_RETURN_INT32(model->hdr.k);
}

/* Mixture weights, all components. */
Datum
vgm_model_weights(PG_FUNCTION_ARGS)
{
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);

	PG_RETURN_ARRAYTYPE_P(float8_array(VgmModelWeights(model), model->hdr.k));
}

/* Posterior means, all components. */
Datum
vgm_model_means(PG_FUNCTION_ARGS)
{
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);
	double	   *v = palloc(model->hdr.k * sizeof(double));
	int			j;

	for (j = 0; j < model->hdr.k; j++)
		v[j] = model->comp[j].mean;
	PG_RETURN_ARRAYTYPE_P(float8_array(v, model->hdr.k));
}

/* Standard deviations sqrt(covariance), all components. */
Datum
vgm_model_stddevs(PG_FUNCTION_ARGS)
{
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);
	double	   *v = palloc(model->hdr.k * sizeof(double));
	int			j;

	for (j = 0; j < model->hdr.k; j++)
		v[j] = sqrt(model->comp[j].covariance);
	PG_RETURN_ARRAYTYPE_P(float8_array(v, model->hdr.k));
}

/* Posterior indexes (0-based) of the valid components, in order. */
Datum
vgm_model_valid_components(PG_FUNCTION_ARGS)
{
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);
	const double *w = VgmModelWeights(model);
	Datum	   *d = palloc(model->hdr.k * sizeof(Datum));
	int			n = 0;
	int			j;

	for (j = 0; j < model->hdr.k; j++)
		if (w[j] > model->hdr.weight_threshold)
			d[n++] = Int32GetDatum(j);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
}

/*
 * One row per posterior component: (component, index, weight, mean, stddev,
 * valid).  component is the number the transforms use (valid components
 * numbered from 0), NULL for a component below the weight threshold.
 */
Datum
vgm_model_components(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);
	const double *w = VgmModelWeights(model);
	int			valid_number = 0;
	int			j;

	InitMaterializedSRF(fcinfo, 0);
	for (j = 0; j < model->hdr.k; j++)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};
		bool		valid = w[j] > model->hdr.weight_threshold;

		if (valid)
			values[0] = Int32GetDatum(valid_number++);
		else
			nulls[0] = true;
		values[1] = Int32GetDatum(j);
		values[2] = Float8GetDatum(w[j]);
		values[3] = Float8GetDatum(model->comp[j].mean);
		values[4] = Float8GetDatum(sqrt(model->comp[j].covariance));
		values[5] = BoolGetDatum(valid);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* Fit diagnostics and training-data facts as one record. */
Datum
vgm_model_diagnostics(PG_FUNCTION_ARGS)
{
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);
	const VgmModelHeader *h = &model->hdr;
	TupleDesc	tupdesc;
	Datum		values[15];
	bool		nulls[15];
	int			valid = 0;
	int			j;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning record called in context that cannot accept type record")));
	tupdesc = BlessTupleDesc(tupdesc);
	for (j = 0; j < h->k; j++)
		if (VgmModelWeights(model)[j] > h->weight_threshold)
			valid++;
	memset(nulls, 0, sizeof(nulls));
	values[0] = Int32GetDatum(h->k);
	values[1] = Int32GetDatum(valid);
	values[2] = Int64GetDatum(h->rows);
	values[3] = Float8GetDatum(h->total_weight);
	values[4] = Int64GetDatum(h->buckets);
	values[5] = Int32GetDatum(h->iterations);
	values[6] = BoolGetDatum(h->converged != 0);
	values[7] = Float8GetDatum(h->lower_bound);
	values[8] = Float8GetDatum(h->total_weight > 0 ? h->lower_bound / h->total_weight : 0.0);
	values[9] = Float8GetDatum(h->fit_ms);
	values[10] = Float8GetDatum(h->min);
	values[11] = Float8GetDatum(h->max);
	values[12] = Int64GetDatum(h->nulls);
	values[13] = Int64GetDatum(h->nans);
	values[14] = Int64GetDatum(h->pos_infs + h->neg_infs);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
