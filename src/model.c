/*
 * model.c - the vgm_model type: text and binary I/O, accessors.
 *
 * The text form is a JSON object (see model_codec.c), so a cast to jsonb is
 * free and a model can be read, diffed and written by hand.  Both input
 * paths share one validation, vgm_model_validate; the binary form is
 * binary_codec.c's, so recv and send here only move bytes.
 *
 * The accessors list a model's atoms after its k mixture components, as
 * components of zero spread (mean = the atom's value, stddev 0), always
 * valid: posterior index k + i, the number predict gives them.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "binary_codec.h"
#include "codec_errcode.h"
#include "fit_shared.h"
#include "model.h"
#include "model_seal.h"
#include "vgm.h"

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

/* Build a model datum without atoms from its parts (validated by the caller). */
VgmModel *
vgm_model_build(const VgmModelHeader *hdr, const VgmComponent *comp,
				const double *weights)
{
	VgmModelView view;

	if (hdr->n_atoms != 0)
		elog(ERROR, "vgm_model_build called with %d atoms; use vgm_model_build_view",
			 (int) hdr->n_atoms);
	view.hdr = *hdr;
	view.comp = (VgmComponent *) comp;
	view.weights = (double *) weights;
	view.atom_values = view.atom_weights = NULL;
	return vgm_model_build_view(&view);
}

/*
 * A zeroed sealed-layout model datum of hdr's component and atom counts,
 * with hdr as its header: what a builder or recv fills in and then seals.
 */
static VgmModel *
model_alloc(const VgmModelHeader *hdr)
{
	Size		size = VGM_MODEL_SEALED_SIZE(hdr->k, hdr->n_atoms);
	VgmModel   *model = palloc0(size);

	SET_VARSIZE(model, size);
	model->hdr = *hdr;
	/* equal models must have equal bytes (equality.c compares them) */
	model->hdr.spare = 0;
	return model;
}

/* Build a model datum from a view, atoms included (validated by the caller). */
VgmModel *
vgm_model_build_view(const VgmModelView *view)
{
	const VgmModelHeader *hdr = &view->hdr;
	VgmModel   *model = model_alloc(hdr);

	memcpy(model->comp, view->comp, hdr->k * sizeof(VgmComponent));
	memcpy(VgmModelWeights(model), view->weights, hdr->k * sizeof(double));
	if (hdr->n_atoms > 0)
	{
		memcpy(VgmModelAtomValues(model), view->atom_values, hdr->n_atoms * sizeof(double));
		memcpy(VgmModelAtomWeights(model), view->atom_weights, hdr->n_atoms * sizeof(double));
	}
	vgm_model_seal(model);
	return model;
}

/* Check a model's size against its component and atom counts (see model.h). */
void
vgm_model_check_layout(const VgmModel *model)
{
	int			k = model->hdr.k;
	int			a = model->hdr.n_atoms;
	bool		counts_ok = k >= 1 && k <= VGM_MAX_COMPONENTS && a >= 0 && a <= VGM_MAX_ATOMS;
	/* sealed (model_seal.h), or stored by a version without seals */
	bool		sealed = vgm_model_is_sealed(model);
	Size		expected = !counts_ok ? 0 :
		(sealed ? VGM_MODEL_SEALED_SIZE(k, a) : VGM_MODEL_SIZE(k, a));

	if (!sealed && model->unused != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid vgm_model: unknown layout marker"),
				 errdetail("The model's layout word is %d; a stored model has 0 or %d.",
						   (int) model->unused, (int) VGM_MODEL_SEALED)));
	if (!counts_ok || VARSIZE(model) != expected)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid vgm_model: size does not match component count"),
				 errdetail("The model claims %d components and %d atoms in %zu bytes; they take %zu.",
						   k, a, (Size) VARSIZE(model), expected)));
}

/* A view of a stored model for the pure-C helpers. */
void
vgm_model_view(const VgmModel *model, VgmModelView *view)
{
	view->hdr = model->hdr;
	view->comp = (VgmComponent *) model->comp;
	view->weights = VgmModelWeights(model);
	view->atom_values = model->hdr.n_atoms > 0 ? VgmModelAtomValues(model) : NULL;
	view->atom_weights = model->hdr.n_atoms > 0 ? VgmModelAtomWeights(model) : NULL;
}

/* Text input: parse and validate the JSON form. */
Datum
vgm_model_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	VgmModelView view;
	VgmCodecReport report;
	VgmModel   *model;

	vgm_codec_check(vgm_model_parse(str, strlen(str), &view, vgm_palloc_allocator(),
									VGM_REPORT_BUFFERS(report)),
					false, &report);
	model = vgm_model_build_view(&view);
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
	vgm_model_write(vgm_codec_out_begin(&out, 1024 + (size_t) model->hdr.k * 200
										+ (size_t) model->hdr.n_atoms * 60), &view);
	PG_RETURN_CSTRING(vgm_codec_out_text(&out, "vgm_model"));
}

/*
 * Binary input: binary_codec.c checks the header and the length, then reads
 * the components straight into the datum and validates the whole model.
 */
Datum
vgm_model_recv(PG_FUNCTION_ARGS)
{
	VgmRecvMessage m;
	VgmModelHeader hdr;
	VgmModel   *model;

	vgm_recv_open(&m, fcinfo);
	vgm_recv_check(&m, vgm_model_decode_head(m.data, m.len, &hdr, VGM_REPORT_BUFFERS(m.report)));
	model = model_alloc(&hdr);
	vgm_recv_check(&m, vgm_model_decode_body(m.data, m.len, &hdr, model->comp,
											 VgmModelWeights(model), VgmModelAtomValues(model),
											 VgmModelAtomWeights(model),
											 VGM_REPORT_BUFFERS(m.report)));
	vgm_model_seal(model);
	PG_RETURN_VGM_MODEL_P(model);
}

/* Binary output: the layout of binary_codec.h. */
Datum
vgm_model_send(PG_FUNCTION_ARGS)
{
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);
	VgmModelView view;
	bytea	   *result;

	vgm_model_view(model, &view);
	vgm_model_encode(&view, vgm_send_buffer(vgm_model_binary_size(model->hdr.k, model->hdr.n_atoms),
											&result));
	PG_RETURN_BYTEA_P(result);
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

/* The components' means, or their standard deviations, then the atoms', as a float8[]. */
static ArrayType *
component_array(const VgmModel *model, bool stddevs)
{
	int			k = model->hdr.k;
	int			n = k + model->hdr.n_atoms;
	double	   *v = palloc(Max(n, 1) * sizeof(double));
	int			j;

	vgm_model_check_layout(model);
	for (j = 0; j < k; j++)
		v[j] = stddevs ? sqrt(model->comp[j].covariance) : model->comp[j].mean;
	for (j = k; j < n; j++)
		v[j] = stddevs ? 0.0 : VgmModelAtomValues(model)[j - k];
	return float8_array(v, n);
}

/* Number of components of the variational posterior (valid or not), atoms included. */
Datum
vgm_model_n_components(PG_FUNCTION_ARGS)
{
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);

	PG_RETURN_INT32(model->hdr.k + model->hdr.n_atoms);
}

/* Mixture weights, all components, then the atoms' weights. */
Datum
vgm_model_weights(PG_FUNCTION_ARGS)
{
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);

	vgm_model_check_layout(model);
	/* the atom values sit between the two weight arrays: copy both parts */
	if (model->hdr.n_atoms > 0)
	{
		int			k = model->hdr.k;
		int			a = model->hdr.n_atoms;
		double	   *w = palloc((k + a) * sizeof(double));

		memcpy(w, VgmModelWeights(model), k * sizeof(double));
		memcpy(w + k, VgmModelAtomWeights(model), a * sizeof(double));
		PG_RETURN_ARRAYTYPE_P(float8_array(w, k + a));
	}
	PG_RETURN_ARRAYTYPE_P(float8_array(VgmModelWeights(model), model->hdr.k));
}

/* Posterior means, all components. */
Datum
vgm_model_means(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(component_array(PG_GETARG_VGM_MODEL_P(0), false));
}

/* Standard deviations sqrt(covariance), all components. */
Datum
vgm_model_stddevs(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(component_array(PG_GETARG_VGM_MODEL_P(0), true));
}

/* Posterior indexes (0-based) of the valid components, in order, then the atoms' (k + i). */
Datum
vgm_model_valid_components(PG_FUNCTION_ARGS)
{
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);
	const double *w = VgmModelWeights(model);
	Datum	   *d = palloc((model->hdr.k + model->hdr.n_atoms) * sizeof(Datum));
	int			n = 0;
	int			j;

	for (j = 0; j < model->hdr.k; j++)
		if (w[j] > model->hdr.weight_threshold)
			d[n++] = Int32GetDatum(j);
	for (j = 0; j < model->hdr.n_atoms; j++)
		d[n++] = Int32GetDatum(model->hdr.k + j);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
}

/*
 * One row per posterior component, then one per atom: (component, index,
 * weight, mean, stddev, valid, atom).  component is the number the
 * transforms use (valid components numbered from 0, then the atoms), NULL
 * for a component below the weight threshold; an atom's index is k + i, its
 * mean its value, its stddev 0.
 */
Datum
vgm_model_components(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);
	const double *w = VgmModelWeights(model);
	int			valid_number = 0;
	int			k = model->hdr.k;
	int			j;

	vgm_model_check_layout(model);
	InitMaterializedSRF(fcinfo, 0);
	for (j = 0; j < k + model->hdr.n_atoms; j++)
	{
		Datum		values[7];
		bool		nulls[7] = {false, false, false, false, false, false, false};
		bool		atom = j >= k;
		bool		valid = atom || w[j] > model->hdr.weight_threshold;

		if (valid)
			values[0] = Int32GetDatum(valid_number++);
		else
			nulls[0] = true;
		values[1] = Int32GetDatum(j);
		values[2] = Float8GetDatum(atom ? VgmModelAtomWeights(model)[j - k] : w[j]);
		values[3] = Float8GetDatum(atom ? VgmModelAtomValues(model)[j - k] : model->comp[j].mean);
		values[4] = Float8GetDatum(atom ? 0.0 : sqrt(model->comp[j].covariance));
		values[5] = BoolGetDatum(valid);
		values[6] = BoolGetDatum(atom);
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
	/* atoms are components the transforms use */
	valid += h->n_atoms;
	memset(nulls, 0, sizeof(nulls));
	values[0] = Int32GetDatum(h->k + h->n_atoms);
	values[1] = Int32GetDatum(valid);
	values[2] = Int64GetDatum(h->rows);
	values[3] = Float8GetDatum(h->total_weight);
	values[4] = Int64GetDatum(h->buckets);
	vgm_fit_diagnostic_values(values + 5, h->iterations, h->converged != 0, h->lower_bound,
							  h->total_weight, h->fit_ms);
	values[10] = Float8GetDatum(h->min);
	values[11] = Float8GetDatum(h->max);
	values[12] = Int64GetDatum(h->nulls);
	values[13] = Int64GetDatum(h->nans);
	values[14] = Int64GetDatum(h->pos_infs + h->neg_infs);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
