/*
 * normalize.c - row-by-row transforms of a fitted vgm_model: mode-specific
 *               normalization (CTGAN, SDV RDT's ClusterBasedNormalizer) and
 *               its inverse, scikit-learn's predict / predict_proba /
 *               score_samples, the plug-in density and CDF, and sampling.
 *
 * Encoding as RDT does it: a value x gets a component c and
 *   alpha = clip((x - mean_c) / (4 std_c), -0.99, 0.99)
 * where c is the most probable valid component (argmax over the valid
 * components of the variational log probability), or, given a key, a draw
 * from predict_proba restricted to the valid components, each plus 1e-6,
 * renormalised.  Components count as valid when their weight exceeds the
 * model's weight_threshold; the transforms number the valid components from
 * 0 in posterior order.
 *
 * Atoms (point masses of a format-2 model) come after them: atom i is
 * component n_valid + i of the transforms and posterior index k + i of
 * predict and predict_proba.  A value equal to an atom gets the atom, with
 * alpha 0 and probability 1 (the continuous part has no mass at a point);
 * any other value is encoded among the mixture's components as before.
 * Densities are with respect to counting measure on the atoms plus Lebesgue
 * measure elsewhere: at an atom the log density is the log of its weight.
 *
 * The draw is not random(): its uniform is a counter-based hash of the
 * model's seed, the key and the bits of x, so the same inputs give the same
 * draw in any plan, serial or parallel, and different keys draw
 * independently.
 *
 * Every function taking x returns NULL when x is NaN or +-Infinity: such a
 * value has no component, and the fit skipped such values too.
 *
 * These functions run once per row, so the per-model constants (logs,
 * square roots, digammas) live in the per-call-site cache
 * (model_cache.c): the scalar-returning hot paths allocate nothing, the
 * encoding path takes no log() at all, the scores take the one log() of their
 * logsumexp, and exp() is skipped for components whose log probability is
 * more than 37 below the best one (a relative contribution below 1e-16).
 */
#include "postgres.h"

#include <math.h>

#include <gsl/gsl_cdf.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "model_cache.h"
#include "sample_scan.h"
#include "seeded_draws.h"

PG_FUNCTION_INFO_V1(vgm_transform_component);
PG_FUNCTION_INFO_V1(vgm_transform_alpha);
PG_FUNCTION_INFO_V1(vgm_transform_normalize);
PG_FUNCTION_INFO_V1(vgm_transform_encode);
PG_FUNCTION_INFO_V1(vgm_transform_denormalize);
PG_FUNCTION_INFO_V1(vgm_transform_decode);
PG_FUNCTION_INFO_V1(vgm_transform_predict);
PG_FUNCTION_INFO_V1(vgm_transform_predict_proba);
PG_FUNCTION_INFO_V1(vgm_transform_score);
PG_FUNCTION_INFO_V1(vgm_transform_log_density);
PG_FUNCTION_INFO_V1(vgm_transform_cdf);
PG_FUNCTION_INFO_V1(vgm_transform_sample);

/*
 * One-entry memo of the last encoded row, shared by vgm_component,
 * vgm_alpha, vgm_normalize and vgm_encode: a query asking for both the
 * component and the alpha of a row pays for one E-step.  Keyed by the
 * model's identity (model_cache.c, rebuild): its seal, so two call sites
 * with equal models share it, or for a model stored without a seal a
 * number unique to its derivation.
 */
typedef struct NormalizeMemo
{
	bool		valid;
	bool		has_key;
	bool		by_seal;
	uint64		identity[4];
	uint64		xbits;
	int64		key;
	int32		component;
	double		alpha;
} NormalizeMemo;

static NormalizeMemo memo;

/* ---------------------------------------------------------------------- */
/* errors                                                                  */
/* ---------------------------------------------------------------------- */

/* Error for a model whose every component is below its weight threshold. */
static pg_noinline void
no_valid_components_error(const VgmCachedModel *c)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("vgm_model has no valid components"),
			 errdetail("All %d component weights are at or below the model's weight_threshold %g.",
					   c->k, c->weight_threshold)));
}

/* Error for a component number outside 0 .. n_valid + n_atoms - 1. */
static pg_noinline void
component_range_error(const VgmCachedModel *c, int32 component)
{
	if (c->n_valid == 0)
		no_valid_components_error(c);
	if (c->n_atoms > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("component %d is out of range", component),
				 errdetail("Valid components of this model are numbered 0 to %d and its atoms %d to %d.",
						   c->n_valid - 1, c->n_valid, c->n_valid + c->n_atoms - 1)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("component %d is out of range", component),
			 errdetail("Valid components of this model are numbered 0 to %d.", c->n_valid - 1)));
}

/* Error for a NaN or infinite alpha given to vgm_denormalize. */
static pg_noinline void
alpha_not_finite_error(double alpha)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("alpha must be a finite number"),
			 errdetail("The value given was %s.",
					   isnan(alpha) ? "NaN" : (alpha > 0 ? "Infinity" : "-Infinity"))));
}

/* ---------------------------------------------------------------------- */
/* the E-step of one value                                                 */
/* ---------------------------------------------------------------------- */

/*
 * Weighted variational log probability of x under every component, into
 * c->scratch; returns the largest one.
 */
static inline double
weighted_log_prob(const VgmCachedModel *c, double x)
{
	double	   *wlp = c->scratch;
	double		best = -INFINITY;
	int			j;

	for (j = 0; j < c->k; j++)
	{
		double		d = x - c->mean[j];

		wlp[j] = c->log_const[j] - c->half_prec[j] * (d * d);
		if (wlp[j] > best)
			best = wlp[j];
	}
	return best;
}

/*
 * RDT's draw: p = predict_proba restricted to the valid components, each
 * plus 1e-6, renormalised; the uniform is a hash of (seed, key, x).  With
 * P_j = e_j / s (e_j = exp(wlp_j - best), s = sum over all k), scaling every
 * term by s leaves the draw unchanged and saves the division per component:
 * p_v is proportional to e_v + 1e-6 s.
 */
static inline int
draw_valid(const VgmCachedModel *c, double x, uint64 xbits, int64 key)
{
	double	   *e = c->scratch;
	double		best = weighted_log_prob(c, x);
	double		s = 0.0;
	double		eps;
	double		total = 0.0;
	double		target;
	double		cum = 0.0;
	uint64		h;
	int			j;
	int			v;

	if (likely(best > -INFINITY))
	{
		for (j = 0; j < c->k; j++)
		{
			double		t = e[j] - best;

			e[j] = t > VGM_NEGLIGIBLE_LOG_PROB ? exp(t) : 0.0;
			s += e[j];
		}
	}
	else
	{
		/* every term underflowed: the limit puts all mass on one component */
		int			w = vgm_extreme_argmax_all(c, x);

		for (j = 0; j < c->k; j++)
			e[j] = 0.0;
		e[w] = 1.0;
		s = 1.0;
	}
	eps = VGM_DRAW_EPSILON * s;
	/* the same sums in the same order below, so cum reaches total exactly */
	for (v = 0; v < c->n_valid; v++)
		total += e[c->valid_index[v]] + eps;

	h = vgm_mix64(vgm_mix64(c->seed_mix ^ xbits) + (uint64) key * VGM_GOLDEN_GAMMA);
	target = vgm_unit_closed_open(h) * total;
	for (v = 0; v < c->n_valid; v++)
	{
		cum += e[c->valid_index[v]] + eps;
		if (cum > target)
			return v;
	}
	/* u * total rounded up to total */
	return c->n_valid - 1;
}

/*
 * Component (numbered among the valid ones) and alpha of a finite x,
 * through the one-entry memo.
 */
static inline void
normalize_value(const VgmCachedModel *c, double x, bool has_key, int64 key,
				int32 *component, double *alpha)
{
	uint64		xbits = vgm_double_bits(x);
	int32		v;

	if (!has_key)
		key = 0;
	if (memo.valid && memo.xbits == xbits && memo.key == key && memo.has_key == has_key
		&& memo.by_seal == c->by_seal && memcmp(memo.identity, c->identity, sizeof(memo.identity)) == 0)
	{
		*component = memo.component;
		*alpha = memo.alpha;
		return;
	}
	if (unlikely(c->n_valid == 0))
		no_valid_components_error(c);
	if (has_key && c->n_atoms > 0 && vgm_atom_index(c, x) >= 0)
	{
		/* a value at an atom is the atom's, whatever the key */
		v = c->n_valid + vgm_atom_index(c, x);
		*alpha = 0.0;
	}
	else if (has_key)
	{
		v = draw_valid(c, x, xbits, key);
		vgm_alpha_of(c, v, x, alpha);
	}
	else
		vgm_encode_value(c, x, &v, alpha);
	*component = v;

	memo.by_seal = c->by_seal;
	memcpy(memo.identity, c->identity, sizeof(memo.identity));
	memo.xbits = xbits;
	memo.key = key;
	memo.has_key = has_key;
	memo.component = v;
	memo.alpha = *alpha;
	memo.valid = true;
}

/*
 * The cached model (argument 0) of a function of (model, x, ...), reading x
 * from argument 1; NULL when x is not finite, for which every such function
 * returns NULL without reading the model.
 */
static inline VgmCachedModel *
model_for_finite_x(FunctionCallInfo fcinfo, double *x)
{
	*x = PG_GETARG_FLOAT8(1);
	if (unlikely(!isfinite(*x)))
		return NULL;
	return vgm_model_cache_get(fcinfo, 0);
}

/* A one-dimensional float8[] of n elements, filled by the caller through *data. */
static ArrayType *
new_float8_array(int n, double **data)
{
	Size		nbytes = ARR_OVERHEAD_NONULLS(1) + sizeof(float8) * (Size) n;
	ArrayType  *result = (ArrayType *) palloc0(nbytes);

	SET_VARSIZE(result, nbytes);
	result->ndim = 1;
	result->dataoffset = 0;
	result->elemtype = FLOAT8OID;
	ARR_DIMS(result)[0] = n;
	ARR_LBOUND(result)[0] = 1;
	*data = (double *) ARR_DATA_PTR(result);
	return result;
}

/* ---------------------------------------------------------------------- */
/* mode-specific normalization                                             */
/* ---------------------------------------------------------------------- */

/* Normalize argument 1 of (model, x [, key]); false for a non-finite x (NULL result). */
static inline bool
normalize_call(FunctionCallInfo fcinfo, int32 *component, double *alpha)
{
	double		x;
	VgmCachedModel *c = model_for_finite_x(fcinfo, &x);
	bool		has_key = PG_NARGS() > 2;

	if (unlikely(c == NULL))
		return false;
	normalize_value(c, x, has_key, has_key ? PG_GETARG_INT64(2) : 0, component, alpha);
	return true;
}

/*
 * vgm_component(model, x [, key]): valid component of x, numbered from 0
 * among the valid components; drawn as RDT draws it when a key is given.
 */
Datum
vgm_transform_component(PG_FUNCTION_ARGS)
{
	int32		component;
	double		alpha;

	if (!normalize_call(fcinfo, &component, &alpha))
		PG_RETURN_NULL();
	PG_RETURN_INT32(component);
}

/* vgm_alpha(model, x [, key]): RDT's alpha of x within its component. */
Datum
vgm_transform_alpha(PG_FUNCTION_ARGS)
{
	int32		component;
	double		alpha;

	if (!normalize_call(fcinfo, &component, &alpha))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(alpha);
}

/* vgm_normalize(model, x [, key]) -> (component, alpha) as one record. */
Datum
vgm_transform_normalize(PG_FUNCTION_ARGS)
{
	double		x;
	bool		has_key = PG_NARGS() > 2;
	VgmCachedModel *c = model_for_finite_x(fcinfo, &x);
	VgmModelCache *site;
	int32		component;
	double		alpha;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (unlikely(c == NULL))
		PG_RETURN_NULL();
	site = (VgmModelCache *) fcinfo->flinfo->fn_extra;
	if (unlikely(site->tupdesc == NULL))
	{
		TupleDesc	tupdesc;
		MemoryContext old;

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("function returning record called in context that cannot accept type record"),
					 errdetail("vgm_normalize returns a record of (component, alpha).")));
		/* the blessed descriptor lives as long as the cache */
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		site->tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(old);
	}
	normalize_value(c, x, has_key, has_key ? PG_GETARG_INT64(2) : 0, &component, &alpha);
	values[0] = Int32GetDatum(component);
	values[1] = Float8GetDatum(alpha);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(site->tupdesc, values, nulls)));
}

/*
 * vgm_encode(model, x [, key]): CTGAN's layout [alpha, one-hot over the valid
 * components, then over the atoms].
 */
Datum
vgm_transform_encode(PG_FUNCTION_ARGS)
{
	double		x;
	bool		has_key = PG_NARGS() > 2;
	VgmCachedModel *c = model_for_finite_x(fcinfo, &x);
	int32		component;
	double		alpha;
	double	   *data;
	ArrayType  *result;

	if (unlikely(c == NULL))
		PG_RETURN_NULL();
	normalize_value(c, x, has_key, has_key ? PG_GETARG_INT64(2) : 0, &component, &alpha);
	/* palloc0 leaves the one-hot part at zero */
	result = new_float8_array(1 + c->n_valid + c->n_atoms, &data);
	data[0] = alpha;
	data[1 + component] = 1.0;
	PG_RETURN_ARRAYTYPE_P(result);
}

/*
 * x = alpha 4 std_c + mean_c with alpha clipped to [-1, 1]; clamp limits x
 * to the training range.  The component is numbered among the valid ones,
 * then the atoms, whose value comes back exactly whatever the alpha.
 */
static inline double
denormalize_value(const VgmCachedModel *c, int32 component, double alpha, bool clamp)
{
	double		x;

	if (unlikely(component < 0 || component >= c->n_valid + c->n_atoms))
		component_range_error(c, component);
	if (unlikely(!isfinite(alpha)))
		alpha_not_finite_error(alpha);
	if (alpha > 1.0)
		alpha = 1.0;
	else if (alpha < -1.0)
		alpha = -1.0;
	if (unlikely(component >= c->n_valid))
		x = c->atom_value[component - c->n_valid];
	else
		x = alpha * c->v_four_std[component] + c->v_mean[component];
	if (clamp)
	{
		if (x < c->min)
			x = c->min;
		else if (x > c->max)
			x = c->max;
	}
	return x;
}

/* vgm_denormalize(model, component, alpha [, clamp]): the inverse of vgm_normalize. */
Datum
vgm_transform_denormalize(PG_FUNCTION_ARGS)
{
	VgmCachedModel *c = vgm_model_cache_get(fcinfo, 0);

	PG_RETURN_FLOAT8(denormalize_value(c, PG_GETARG_INT32(1), PG_GETARG_FLOAT8(2),
									   PG_NARGS() > 3 && PG_GETARG_BOOL(3)));
}

/*
 * vgm_decode(model, encoded [, clamp]): the inverse of vgm_encode for a
 * generator's output: [alpha, a block of scores over the valid components
 * and the atoms] (one-hot, softmax or logits); the component is the block's
 * argmax, the first of equal maxima, as CTGAN takes it.
 */
Datum
vgm_transform_decode(PG_FUNCTION_ARGS)
{
	VgmCachedModel *c = vgm_model_cache_get(fcinfo, 0);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	int			n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	const double *e;
	int32		best = 0;
	int			v;
	int			width = c->n_valid + c->n_atoms;
	/* a slice of an array with NULLs elsewhere keeps the bitmap: look at the elements */
	bool		has_nulls = array_contains_nulls(arr);

	if (unlikely(c->n_valid == 0))
		no_valid_components_error(c);
	if (ARR_NDIM(arr) > 1 || has_nulls || n != 1 + width)
	{
		if (c->n_atoms > 0)
			ereport(ERROR,
					(errcode(has_nulls ? ERRCODE_NULL_VALUE_NOT_ALLOWED
							 : ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("vgm_decode needs a one-dimensional array of %d numbers without NULLs",
							1 + width),
					 errdetail("vgm_encode of this model writes [alpha, one score per valid component, one per atom] "
							   "for its %d valid components and %d atoms; the array given has %d elements%s%s.",
							   c->n_valid, c->n_atoms, n, ARR_NDIM(arr) > 1 ? " in several dimensions" : "",
							   has_nulls ? ", some NULL" : "")));
		ereport(ERROR,
				(errcode(has_nulls ? ERRCODE_NULL_VALUE_NOT_ALLOWED
						 : ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("vgm_decode needs a one-dimensional array of %d numbers without NULLs",
						1 + c->n_valid),
				 errdetail("vgm_encode of this model writes [alpha, one score per valid component] "
						   "for its %d valid components; the array given has %d elements%s%s.",
						   c->n_valid, n, ARR_NDIM(arr) > 1 ? " in several dimensions" : "",
						   has_nulls ? ", some NULL" : "")));
	}
	e = (const double *) ARR_DATA_PTR(arr);
	for (v = 0; v < width; v++)
	{
		if (unlikely(isnan(e[1 + v])))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("vgm_decode scores must not be NaN"),
					 errdetail("The score of valid component %d (array element %d) is NaN.", v, 2 + v)));
		if (e[1 + v] > e[1 + best])
			best = v;
	}
	PG_RETURN_FLOAT8(denormalize_value(c, best, e[0], PG_NARGS() > 2 && PG_GETARG_BOOL(2)));
}

/* ---------------------------------------------------------------------- */
/* scikit-learn's predictions                                              */
/* ---------------------------------------------------------------------- */

/*
 * vgm_predict(model, x): scikit-learn's predict, a posterior index 0 .. k-1;
 * k + i for a value equal to atom i.
 */
Datum
vgm_transform_predict(PG_FUNCTION_ARGS)
{
	double		x;
	VgmCachedModel *c = model_for_finite_x(fcinfo, &x);
	double		best = -INFINITY;
	int			best_j = 0;
	int			j;

	if (unlikely(c == NULL))
		PG_RETURN_NULL();
	if (unlikely(c->n_atoms > 0) && vgm_atom_index(c, x) >= 0)
		PG_RETURN_INT32(c->k + vgm_atom_index(c, x));
	for (j = 0; j < c->k; j++)
	{
		double		d = x - c->mean[j];
		double		wlp = c->log_const[j] - c->half_prec[j] * (d * d);

		if (wlp > best)
		{
			best = wlp;
			best_j = j;
		}
	}
	if (unlikely(best == -INFINITY))
		best_j = vgm_extreme_argmax_all(c, x);
	PG_RETURN_INT32(best_j);
}

/*
 * vgm_predict_proba(model, x): scikit-learn's predict_proba, k entries in
 * posterior order, then one per atom (1 for the atom x equals, else 0).
 * Every entry gets its exp(): the result is an array the caller looks at,
 * so tiny probabilities keep their relative precision.
 */
Datum
vgm_transform_predict_proba(PG_FUNCTION_ARGS)
{
	double		x;
	VgmCachedModel *c = model_for_finite_x(fcinfo, &x);
	double		best;
	double		sum = 0.0;
	double		lse;
	double	   *data;
	ArrayType  *result;
	int			j;

	if (unlikely(c == NULL))
		PG_RETURN_NULL();
	result = new_float8_array(c->k + c->n_atoms, &data);
	if (unlikely(c->n_atoms > 0) && vgm_atom_index(c, x) >= 0)
	{
		data[c->k + vgm_atom_index(c, x)] = 1.0;
		PG_RETURN_ARRAYTYPE_P(result);
	}
	best = weighted_log_prob(c, x);
	if (unlikely(best == -INFINITY))
	{
		data[vgm_extreme_argmax_all(c, x)] = 1.0;
		PG_RETURN_ARRAYTYPE_P(result);
	}
	for (j = 0; j < c->k; j++)
		sum += exp(c->scratch[j] - best);
	lse = best + log(sum);
	for (j = 0; j < c->k; j++)
		data[j] = exp(c->scratch[j] - lse);
	PG_RETURN_ARRAYTYPE_P(result);
}

/*
 * vgm_score(model, x): scikit-learn's score_samples, the logsumexp of the
 * weighted log probabilities.  With atoms: the log of the atom's weight at
 * an atom, else the mixture's score plus the log of the mixture's share
 * (the variational weights of the posterior sum to 1 over the mixture).
 */
Datum
vgm_transform_score(PG_FUNCTION_ARGS)
{
	double		x;
	VgmCachedModel *c = model_for_finite_x(fcinfo, &x);
	double		best;

	if (unlikely(c == NULL))
		PG_RETURN_NULL();
	if (unlikely(c->n_atoms > 0) && vgm_atom_index(c, x) >= 0)
		PG_RETURN_FLOAT8(c->log_atom_weight[vgm_atom_index(c, x)]);
	best = weighted_log_prob(c, x);
	PG_RETURN_FLOAT8(vgm_log_sum_exp(c->scratch, c->k, best) + c->log_mixture_share);
}

/* ---------------------------------------------------------------------- */
/* the plug-in mixture (weights_, means_, covariances_)                    */
/* ---------------------------------------------------------------------- */

/*
 * vgm_log_density(model, x): log of sum_j w_j N(x; mean_j, covariance_j);
 * at an atom, the log of its weight (the mass of the point).
 */
Datum
vgm_transform_log_density(PG_FUNCTION_ARGS)
{
	double		x;
	VgmCachedModel *c = model_for_finite_x(fcinfo, &x);
	double	   *lp;
	double		best = -INFINITY;
	int			j;

	if (unlikely(c == NULL))
		PG_RETURN_NULL();
	if (unlikely(c->n_atoms > 0) && vgm_atom_index(c, x) >= 0)
		PG_RETURN_FLOAT8(c->log_atom_weight[vgm_atom_index(c, x)]);
	lp = c->scratch;
	for (j = 0; j < c->k; j++)
	{
		double		d = x - c->mean[j];

		/* a zero weight gives -inf here, and -inf - finite stays -inf */
		lp[j] = c->plug_const[j] - c->plug_half_inv_var[j] * (d * d);
		if (lp[j] > best)
			best = lp[j];
	}
	PG_RETURN_FLOAT8(vgm_log_sum_exp(lp, c->k, best));
}

/*
 * vgm_cdf(model, x): sum_j w_j Phi((x - mean_j) / std_j), through erfc for
 * accurate tails, plus the weights of the atoms at or below x: P(X <= x),
 * right-continuous, with a jump of the atom's weight at each atom.
 */
Datum
vgm_transform_cdf(PG_FUNCTION_ARGS)
{
	double		x;
	VgmCachedModel *c = model_for_finite_x(fcinfo, &x);
	double		p = 0.0;
	int			j;
	int			below;

	if (unlikely(c == NULL))
		PG_RETURN_NULL();
	for (j = 0; j < c->k; j++)
		if (c->weight[j] > 0.0)
			p += c->weight[j] * 0.5 * erfc(-((x - c->mean[j]) / c->std[j]) * M_SQRT1_2);
	below = vgm_atoms_at_or_below(c, x);
	if (below > 0)
		p += c->atom_below[below - 1] + c->atom_weight[below - 1];
	/* the weights sum to 1 within 1e-9; a CDF must stay in [0, 1] */
	if (p > 1.0)
		p = 1.0;
	PG_RETURN_FLOAT8(p);
}

/* State of one vgm_sample scan: the plug-in mixture and the hashed seed. */
typedef struct SampleState
{
	uint64		base;			/* hashed seed */
	VgmWeightPicker pick;		/* components and atoms by weight */
	double	   *mean;
	double	   *std;
} SampleState;

/*
 * vgm_sample(model, n, seed): n deterministic draws from the plug-in
 * mixture and its atoms (an atom is drawn with its weight and gives its
 * value exactly).  Draw i picks its component from the weights with the uniform
 * hash(seed, 2i + 1) and its normal deviate by inverting the standard normal
 * CDF at hash(seed, 2i + 2), so any prefix of the result is the same for a
 * seed, and one value is produced per call so LIMIT stops early.
 */
Datum
vgm_transform_sample(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	SampleState *st;

	if (SRF_IS_FIRSTCALL())
	{
		VgmModel   *model = PG_GETARG_VGM_MODEL_P(0);
		int64		n = PG_GETARG_INT64(1);
		int64		seed = PG_GETARG_INT64(2);
		const double *w;
		MemoryContext old = vgm_sample_scan_begin(fcinfo, n, &funcctx);
		int			k;
		int			j;

		vgm_model_check_layout(model);
		/* the atoms are components of zero spread after the mixture's */
		k = model->hdr.k + model->hdr.n_atoms;
		w = VgmModelWeights(model);
		st = palloc(sizeof(SampleState));
		vgm_picker_init(&st->pick, palloc(sizeof(double) * k * 3));
		st->mean = st->pick.cum + k;
		st->std = st->mean + k;
		for (j = 0; j < k; j++)
		{
			bool		atom = j >= model->hdr.k;
			double		wj = atom ? VgmModelAtomWeights(model)[j - model->hdr.k] : w[j];

			vgm_picker_add(&st->pick, wj);
			st->mean[j] = atom ? VgmModelAtomValues(model)[j - model->hdr.k] : model->comp[j].mean;
			st->std[j] = atom ? 0.0 : sqrt(model->comp[j].covariance);
		}
		st->base = vgm_mix64((uint64) seed ^ UINT64CONST(0xBB67AE8584CAA73B));
		vgm_sample_scan_ready(funcctx, st, n, old);
	}

	st = vgm_sample_scan_next(fcinfo, &funcctx);
	if (st != NULL)
	{
		uint64		i = funcctx->call_cntr;
		double		u = vgm_unit_closed_open(vgm_mix64(st->base + (2 * i + 1) * VGM_GOLDEN_GAMMA));
		double		z = gsl_cdf_ugaussian_Pinv(vgm_unit_open(vgm_mix64(st->base + (2 * i + 2) * VGM_GOLDEN_GAMMA)));
		int			j = vgm_picker_pick(&st->pick, u);

		/* an atom's value exactly, not value + 0 * z */
		SRF_RETURN_NEXT(funcctx, Float8GetDatum(st->std[j] > 0.0 ? st->mean[j] + st->std[j] * z
												: st->mean[j]));
	}
	SRF_RETURN_DONE(funcctx);
}
