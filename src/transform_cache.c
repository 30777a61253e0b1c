/*
 * transform_cache.c - derive, once per call site, everything the row-by-row
 *                     transforms need from a vgm_model.
 *
 * Identity of the model argument: a Const argument never changes, so its
 * datum pointer is enough.  Any other argument (a column, an initplan
 * parameter, a PL/pgSQL variable) can hold a different model at the same
 * address on the next row: per-tuple memory contexts and freed initplan
 * results reuse addresses.  Those are compared byte for byte in their packed
 * form, without detoasting: an inline model by its bytes, a compressed one by
 * its compressed bytes, an on-disk TOAST pointer by the pointer (a TOAST
 * value is immutable and its value id unique within its table).  Only a
 * mismatch detoasts the model and rebuilds.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/hashfn.h"
#include "nodes/primnodes.h"
#include "utils/memutils.h"

#include "transform_cache.h"

#define LOG_2PI 1.8378770664093454836

/* Doubles per posterior component (scratch included) and per valid component. */
#define PER_COMPONENT_DOUBLES 11
#define PER_VALID_DOUBLES 4

/* True when argument argno of the call is a Const node of the plan. */
static bool
arg_is_const(FmgrInfo *flinfo, int argno)
{
	Node	   *expr = flinfo->fn_expr;
	List	   *args;

	if (expr == NULL || !IsA(expr, FuncExpr))
		return false;
	args = ((FuncExpr *) expr)->args;
	if (argno >= list_length(args))
		return false;
	return IsA(list_nth(args, argno), Const);
}

/* Allocate the per-component arrays for k components in one block of fn_mcxt. */
static void
allocate_arrays(VgmTransformCache *cache, MemoryContext mcxt, int k)
{
	double	   *d;
	int		   *n;

	if (cache->k == k && cache->mean != NULL)
		return;
	if (cache->mean != NULL)
	{
		pfree(cache->mean);
		cache->mean = NULL;
	}
	/* doubles first, ints after them: the block is MAXALIGNed */
	d = MemoryContextAllocZero(mcxt, sizeof(double) * k * (PER_COMPONENT_DOUBLES + PER_VALID_DOUBLES)
							   + sizeof(int) * k * 2);
	cache->mean = d;
	cache->std = (d += k);
	cache->four_std = (d += k);
	cache->log_const = (d += k);
	cache->half_prec = (d += k);
	cache->weight = (d += k);
	cache->log_weight = (d += k);
	cache->log_std = (d += k);
	cache->plug_const = (d += k);
	cache->plug_half_inv_var = (d += k);
	cache->scratch = (d += k);
	cache->v_mean = (d += k);
	cache->v_four_std = (d += k);
	cache->v_log_const = (d += k);
	cache->v_half_prec = (d += k);
	n = (int *) (d + k);
	cache->valid_number = n;
	cache->valid_index = n + k;
}

/* Derive every per-component constant from a detoasted model. */
static void
rebuild(VgmTransformCache *cache, MemoryContext mcxt, const VgmModel *model)
{
	const VgmModelHeader *hdr = &model->hdr;
	const double *w = VgmModelWeights(model);
	int			k = hdr->k;
	int			n_valid = 0;
	int			j;

	vgm_model_check_layout(model);
	/* invalidate first: an error below must not leave a half-built cache in use */
	cache->raw_len = 0;
	cache->raw_ptr = NULL;
	allocate_arrays(cache, mcxt, k);
	cache->k = k;

	vgm_log_prob_constants(k, model->comp, cache->log_const, cache->half_prec);
	for (j = 0; j < k; j++)
	{
		double		cov = model->comp[j].covariance;
		double		std = sqrt(cov);

		cache->half_prec[j] *= 0.5;
		/*
		 * A subnormal covariance overflows the precision; DBL_MAX keeps
		 * 0 * precision at x == mean from turning into NaN.
		 */
		if (!isfinite(cache->half_prec[j]))
			cache->half_prec[j] = DBL_MAX;
		cache->mean[j] = model->comp[j].mean;
		cache->std[j] = std;
		cache->four_std[j] = VGM_STD_MULTIPLIER * std;
		cache->weight[j] = w[j];
		cache->log_weight[j] = w[j] > 0.0 ? log(w[j]) : -INFINITY;
		cache->log_std[j] = log(std);
		cache->plug_const[j] = cache->log_weight[j] - cache->log_std[j] - 0.5 * LOG_2PI;
		cache->plug_half_inv_var[j] = Min(0.5 / cov, DBL_MAX);
		if (w[j] > hdr->weight_threshold)
		{
			cache->valid_number[j] = n_valid;
			cache->valid_index[n_valid] = j;
			cache->v_mean[n_valid] = cache->mean[j];
			cache->v_four_std[n_valid] = cache->four_std[j];
			cache->v_log_const[n_valid] = cache->log_const[j];
			cache->v_half_prec[n_valid] = cache->half_prec[j];
			n_valid++;
		}
		else
			cache->valid_number[j] = -1;
	}
	cache->n_valid = n_valid;
	cache->seed = hdr->seed;
	cache->seed_mix = vgm_mix64(hdr->seed ^ UINT64CONST(0x6A09E667F3BCC908));
	cache->weight_threshold = hdr->weight_threshold;
	cache->min = hdr->min;
	cache->max = hdr->max;
	cache->hash = hash_bytes_extended((const unsigned char *) model, VARSIZE(model), 0);
}

/* Remember the bytes that identify the model for the next call. */
static void
remember_bytes(VgmTransformCache *cache, MemoryContext mcxt, const void *bytes, Size len)
{
	if (cache->raw_cap < len)
	{
		if (cache->raw != NULL)
			pfree(cache->raw);
		cache->raw = MemoryContextAlloc(mcxt, len);
		cache->raw_cap = len;
	}
	memcpy(cache->raw, bytes, len);
	cache->raw_len = len;
}

/* Slow path of vgm_transform_cache_get: compare bytes, rebuild on change. */
VgmTransformCache *
vgm_transform_cache_lookup(FunctionCallInfo fcinfo, int argno)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;
	VgmTransformCache *cache = (VgmTransformCache *) flinfo->fn_extra;
	Datum		datum = PG_GETARG_DATUM(argno);
	Pointer		ptr = DatumGetPointer(datum);
	VgmModel   *model;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(VgmTransformCache));
		cache->arg_is_const = arg_is_const(flinfo, argno);
		flinfo->fn_extra = cache;
	}

	if (!VARATT_IS_EXTERNAL(ptr) || VARATT_IS_EXTERNAL_ONDISK(ptr))
	{
		/* inline (plain, short or compressed) or an on-disk TOAST pointer */
		Size		len = VARSIZE_ANY(ptr);

		if (cache->raw_len == len && memcmp(cache->raw, ptr, len) == 0)
		{
			cache->raw_ptr = ptr;
			return cache;
		}
		model = (VgmModel *) PG_DETOAST_DATUM(datum);
		rebuild(cache, flinfo->fn_mcxt, model);
		remember_bytes(cache, flinfo->fn_mcxt, ptr, len);
		cache->raw_ptr = ptr;
	}
	else
	{
		/* in-memory indirect or expanded datum: only the content identifies it */
		Size		len;

		model = (VgmModel *) PG_DETOAST_DATUM(datum);
		len = VARSIZE(model);
		if (!(cache->raw_len == len && memcmp(cache->raw, model, len) == 0))
		{
			rebuild(cache, flinfo->fn_mcxt, model);
			remember_bytes(cache, flinfo->fn_mcxt, model, len);
		}
		/* the pointer says nothing about the content here */
		cache->raw_ptr = NULL;
	}
	if ((Pointer) model != ptr)
		pfree(model);
	return cache;
}
