/*
 * validate_model.c - the per-call-site cache of what the validation
 *                    aggregates derive from a model: the plug-in mixture
 *                    and its tabulated CDF (KS), the valid components'
 *                    E-step constants and the training range (bounds), and
 *                    the hashes a state records to refuse a second model.
 *
 * The model is a per-call constant in nearly every query; the cache lives
 * in fn_extra and is rebuilt only when the model's bytes change.
 */
#include "postgres.h"

#include <math.h>

#include "nodes/primnodes.h"
#include "utils/memutils.h"

#include "transform_cache.h"
#include "validate.h"

/* Is the aggregate's (or function's) argument argno a Const of the plan? */
static bool
model_arg_is_const(FunctionCallInfo fcinfo, int aggargno, int argno)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	Node	   *expr = NULL;

	if (aggref != NULL)
	{
		if (aggargno < list_length(aggref->args))
			expr = (Node *) ((TargetEntry *) list_nth(aggref->args, aggargno))->expr;
	}
	else if (fcinfo->flinfo->fn_expr && IsA(fcinfo->flinfo->fn_expr, FuncExpr))
	{
		List	   *args = ((FuncExpr *) fcinfo->flinfo->fn_expr)->args;

		if (argno < list_length(args))
			expr = list_nth(args, argno);
	}
	return expr != NULL && IsA(expr, Const);
}

/*
 * The plug-in mixture of a model as the KS functions use it, positive
 * weights only, into mix (whose arrays hold k entries); returns the hash of
 * the whole mixture, the identity a KS state records.
 */
uint64
vgm_model_plugin_mixture(const VgmModel *model, VgmCdfMixture *mix)
{
	int			k = model->hdr.k;
	const double *w = VgmModelWeights(model);
	double		means[VGM_MAX_COMPONENTS];
	double		covs[VGM_MAX_COMPONENTS];
	int			j;

	mix->k = 0;
	for (j = 0; j < k; j++)
	{
		means[j] = model->comp[j].mean;
		covs[j] = model->comp[j].covariance;
		if (w[j] > 0.0)
		{
			mix->mean[mix->k] = means[j];
			mix->inv_std[mix->k] = 1.0 / sqrt(covs[j]);
			mix->weight[mix->k] = w[j];
			mix->k++;
		}
	}
	return vgm_mixture_hash(k, w, means, covs);
}

/* Derive the cached constants from a detoasted model. */
static void
model_rebuild(ValidateModel *c, MemoryContext mcxt, const VgmModel *model)
{
	int			k = model->hdr.k;
	const double *w = VgmModelWeights(model);
	double		log_const[VGM_MAX_COMPONENTS];
	double		prec[VGM_MAX_COMPONENTS];
	double		extra[3];
	double	   *d;
	uint64		h;
	int			j;

	vgm_model_check_layout(model);
	/* invalidate first: an error below must not leave a half-built cache */
	c->raw_len = 0;
	c->raw_ptr = NULL;
	if (c->mem)
		pfree(c->mem);
	d = c->mem = MemoryContextAllocZero(mcxt, sizeof(double) * k * 7);
	c->mix.mean = d;
	c->mix.inv_std = (d += k);
	c->mix.weight = (d += k);
	c->v_mean = (d += k);
	c->v_four_std = (d += k);
	c->v_log_const = (d += k);
	c->v_half_prec = (d += k);
	c->k = k;
	c->n_valid = 0;

	vgm_phi_table_init();
	c->cdf_hash = vgm_model_plugin_mixture(model, &c->mix);
	/* the same variational constants as vgm_component (transform_cache.c) */
	vgm_log_prob_constants(k, model->comp, log_const, prec);
	for (j = 0; j < k; j++)
	{
		if (w[j] > model->hdr.weight_threshold)
		{
			c->v_mean[c->n_valid] = model->comp[j].mean;
			c->v_four_std[c->n_valid] = VGM_STD_MULTIPLIER * sqrt(model->comp[j].covariance);
			c->v_log_const[c->n_valid] = log_const[j];
			c->v_half_prec[c->n_valid] = 0.5 * prec[j];
			c->n_valid++;
		}
	}
	/* one table lookup per row instead of one evaluation per component */
	if (c->table.c)
		pfree(c->table.c);
	c->table.c = NULL;
	c->table.n = vgm_cdf_table_plan(&c->mix, VGM_CDF_TABLE_MAX_NODES, &c->table.lo, &c->table.h);
	if (c->table.n > 0)
	{
		c->table.c = MemoryContextAlloc(mcxt, sizeof(double) * 6 * c->table.n);
		vgm_cdf_table_fill(&c->mix, &c->table);
	}
	c->min = model->hdr.min;
	c->max = model->hdr.max;
	/* bounds depend on the range and on the valid components' E-step constants */
	extra[0] = c->min;
	extra[1] = c->max;
	extra[2] = (double) c->n_valid;
	h = vgm_hash_doubles(c->cdf_hash, extra, 3);
	h = vgm_hash_doubles(h, c->v_mean, c->n_valid);
	h = vgm_hash_doubles(h, c->v_four_std, c->n_valid);
	h = vgm_hash_doubles(h, c->v_log_const, c->n_valid);
	h = vgm_hash_doubles(h, c->v_half_prec, c->n_valid);
	c->bounds_hash = h ? h : 1;
}

/* Remember the bytes that identify the model for the next call. */
static void
model_remember(ValidateModel *c, MemoryContext mcxt, const void *bytes, Size len)
{
	if (c->raw_cap < len)
	{
		if (c->raw)
			pfree(c->raw);
		c->raw = MemoryContextAlloc(mcxt, len);
		c->raw_cap = len;
	}
	memcpy(c->raw, bytes, len);
	c->raw_len = len;
}

/*
 * Slow path of vgm_validate_model_get: compare the packed bytes (an inline or
 * compressed value by its bytes, an on-disk TOAST pointer by the pointer,
 * an in-memory expanded or indirect value by its content) and rebuild only
 * when they differ.  A per-tuple context hands out the same address for a
 * different model on the next row, so an address alone proves nothing
 * unless the argument is a Const.
 */
ValidateModel *
vgm_validate_model_lookup(FunctionCallInfo fcinfo, int argno, int aggargno)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;
	ValidateModel *c = (ValidateModel *) flinfo->fn_extra;
	Datum		datum = PG_GETARG_DATUM(argno);
	Pointer		ptr = DatumGetPointer(datum);
	VgmModel   *model;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(ValidateModel));
		c->arg_is_const = model_arg_is_const(fcinfo, aggargno, argno);
		flinfo->fn_extra = c;
	}
	if (!VARATT_IS_EXTERNAL(ptr) || VARATT_IS_EXTERNAL_ONDISK(ptr))
	{
		Size		len = VARSIZE_ANY(ptr);

		if (c->raw_len == len && memcmp(c->raw, ptr, len) == 0)
		{
			c->raw_ptr = ptr;
			return c;
		}
		model = DatumGetVgmModelP(datum);
		model_rebuild(c, flinfo->fn_mcxt, model);
		model_remember(c, flinfo->fn_mcxt, ptr, len);
		c->raw_ptr = ptr;
	}
	else
	{
		model = DatumGetVgmModelP(datum);
		if (!(c->raw_len == VARSIZE(model) && memcmp(c->raw, model, VARSIZE(model)) == 0))
		{
			model_rebuild(c, flinfo->fn_mcxt, model);
			model_remember(c, flinfo->fn_mcxt, model, VARSIZE(model));
		}
		c->raw_ptr = NULL;
	}
	if ((Pointer) model != ptr)
		pfree(model);
	return c;
}
