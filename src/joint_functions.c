/*
 * joint_functions.c - the row functions of a vgm_joint_model: the plug-in
 *                     log density (anomaly scores), scikit-learn's
 *                     score_samples / predict / predict_proba, and
 *                     correlated sampling.
 *
 * Each runs once per row of tables with billions of rows while its model
 * argument is nearly always the same value, so everything a model derives
 * (a Cholesky factor L of every covariance, the reciprocals of its
 * diagonal, the log determinants, the digamma terms of the variational log
 * probability) is computed once per call site and model and kept in
 * fn_extra.  A model argument is recognised by the cache the 1-D functions
 * use (datum_cache.h): a Const by its address, anything else on every row
 * (a different model may sit at the same address on the next row) by its
 * length and SHA-256 seal (joint_model.h), or by all its packed bytes when
 * it was stored by a version without seals.  A few entries per call site
 * let a join with a table of models alternate without rebuilds.
 *
 * Per row and component the work is one forward substitution
 * y = L^{-1} (x - mu) and the squared norm of y, the Mahalanobis distance:
 * no allocation, no BLAS call (at d <= 16 the call would cost more than the
 * arithmetic), exp() skipped for components more than 37 nats below the
 * best.  The formulas are scikit-learn 1.2's BayesianGaussianMixture
 * (covariance_type 'full'): with Sigma_j = covariances_[j] = L L^T,
 *   plug-in:      log w_j - sum log L_ii - d/2 log 2pi - |y|^2 / 2
 *   variational:  E[log pi_j] - sum log L_ii - d/2 log 2pi - |y|^2 / 2
 *                 - d/2 log nu_j + (d log 2 + sum_i psi((nu_j - i) / 2)
 *                 - d / beta_j) / 2.
 *
 * A row is a float8[] of exactly d finite numbers; a NULL element, NaN,
 * an infinity, a wrong length or a multidimensional array is an error
 * (STRICT gives NULL for a NULL array).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_psi.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "joint_model.h"
#include "model_cache.h"
#include "sample_scan.h"
#include "seeded_draws.h"

PG_FUNCTION_INFO_V1(vgm_joint_log_density);
PG_FUNCTION_INFO_V1(vgm_joint_score);
PG_FUNCTION_INFO_V1(vgm_joint_predict);
PG_FUNCTION_INFO_V1(vgm_joint_predict_proba);
PG_FUNCTION_INFO_V1(vgm_joint_sample);

#define LOG_2PI 1.8378770664093454836
#define LOG_2 0.69314718055994530942

/* Derived models one call site keeps. */
#define JOINT_CACHE_ENTRIES 4

/* What one joint model derives (arrays indexed by component j, posterior order). */
typedef struct JointDerived
{
	VgmDatumKey key;			/* identity of the model datum; key.mcxt holds the arrays */
	int			d;
	int			k;
	double	   *weight;			/* weights_ */
	double	   *plug_const;		/* log w_j - sum log L_ii - d/2 log 2pi; -inf for w_j = 0 */
	double	   *var_const;		/* the variational constant (top of the file) */
	double	   *mean;			/* k x d */
	double	   *chol;			/* k x d x d, lower triangular */
	double	   *inv_diag;		/* k x d: 1 / L_ii */
	double	   *lp;				/* scratch: one row's log probabilities (k) */
	double	   *mem;			/* the one block the arrays point into */
} JointDerived;

/* ---------------------------------------------------------------------- */
/* deriving a model                                                        */
/* ---------------------------------------------------------------------- */

/* Fill m (its arrays in m->mcxt) with everything the row functions need. */
static void
derive(JointDerived *m, const VgmJointModelView *view)
{
	const VgmJointPosterior *p = &view->post;
	int			d = view->hdr.d;
	int			k = view->hdr.k;
	VgmComponent sticks[VGM_JOINT_MAX_COMPONENTS];
	double		elw[VGM_JOINT_MAX_COMPONENTS];
	double	   *block;

	if (m->mem != NULL)
		pfree(m->mem);
	m->mem = NULL;
	block = MemoryContextAlloc(m->key.mcxt, sizeof(double) * (Size) k * (4 + 2 * d + d * d));
	m->mem = block;
	m->d = d;
	m->k = k;
	m->weight = block;
	m->plug_const = block + k;
	m->var_const = block + 2 * k;
	m->lp = block + 3 * k;
	m->mean = block + 4 * k;
	m->inv_diag = m->mean + k * d;
	m->chol = m->inv_diag + k * d;

	/* E[log pi_j] of the stick-breaking posterior: the one-dimensional engine's code */
	memset(sticks, 0, sizeof(sticks));
	for (int j = 0; j < k; j++)
	{
		sticks[j].conc_a = p->conc_a[j];
		sticks[j].conc_b = p->conc_b[j];
	}
	vgm_expected_log_weights(k, sticks, elw);

	for (int j = 0; j < k; j++)
	{
		double	   *l = m->chol + (Size) j * d * d;
		double		log_det = 0.0;	/* sum log L_ii = log det(Sigma) / 2 */
		double		log_lambda = d * LOG_2;

		if (vgm_joint_cholesky(p->covariances + (Size) j * d * d, d, l) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("invalid vgm_joint_model: covariance %d is not positive definite", j),
					 errdetail("A stored model passed validation on input; this one has been altered.")));
		for (int i = 0; i < d; i++)
		{
			m->inv_diag[j * d + i] = 1.0 / l[i * d + i];
			log_det += log(l[i * d + i]);
			log_lambda += gsl_sf_psi(0.5 * (p->dof[j] - i));
		}
		memcpy(m->mean + (Size) j * d, p->means + (Size) j * d, sizeof(double) * d);
		m->weight[j] = p->weights[j];
		m->plug_const[j] = p->weights[j] > 0.0 ?
			log(p->weights[j]) - log_det - 0.5 * d * LOG_2PI : -INFINITY;
		m->var_const[j] = elw[j] - log_det - 0.5 * d * LOG_2PI - 0.5 * d * log(p->dof[j])
			+ 0.5 * (log_lambda - d / p->mean_precision[j]);
	}
}

/* Derive the model of a detoasted datum into an entry (a VgmDatumDerive). */
static void
derive_entry(VgmDatumKey *entry, const struct varlena *value)
{
	const VgmJointModel *stored = (const VgmJointModel *) value;
	VgmJointModelView view;

	vgm_joint_model_view(stored, &view);
	/* the seal becomes the cache key: it must be the model's */
	if (vgm_joint_model_is_sealed(stored))
		vgm_joint_model_check_seal(stored);
	derive((JointDerived *) entry, &view);
}

/* The joint cache's sizes and derivation, for datum_cache.c. */
static const VgmDatumCacheKind joint_cache_kind = {
	.site_size = sizeof(VgmDatumCache),
	.entry_size = sizeof(JointDerived),
	.max_entries = JOINT_CACHE_ENTRIES,
	.derive = derive_entry,
	.seal_marker = VGM_SEAL_MARKER(VgmJointModel, layout, VGM_JOINT_MODEL_SEALED),
};

/* The derived model of argument argno: the previous call's entry when it is the same model. */
static inline JointDerived *
joint_cached(FunctionCallInfo fcinfo, int argno)
{
	return (JointDerived *) vgm_datum_cache_get(fcinfo, argno, &joint_cache_kind);
}

/* ---------------------------------------------------------------------- */
/* a row                                                                   */
/* ---------------------------------------------------------------------- */

/* The d numbers of the row argument, or an error saying what is wrong with it. */
static inline const double *
row_values(FunctionCallInfo fcinfo, int argno, int d, const char *fname)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(argno);
	int			ndim = ARR_NDIM(arr);
	const double *x;

	if (unlikely(ndim != 1 || ARR_DIMS(arr)[0] != d))
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s needs a one-dimensional array of %d numbers", fname, d),
				 ndim > 1 ? errdetail("The model has %d dimensions; the array given has %d dimensions.", d, ndim)
				 : errdetail("The model has %d dimensions; the array given has %d elements.",
							 d, ndim == 0 ? 0 : ARR_DIMS(arr)[0])));
	if (unlikely(ARR_HASNULL(arr) && array_contains_nulls(arr)))
	{
		const bits8 *bitmap = ARR_NULLBITMAP(arr);
		int			first = 0;

		/* a clear bit is a NULL */
		while (first < d && (bitmap[first / 8] & (1 << (first % 8))) != 0)
			first++;
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s needs an array without NULLs", fname),
				 errdetail("Element %d of the array is NULL; a row with a NULL element has no value "
						   "under the model.", first + 1)));
	}
	x = (const double *) ARR_DATA_PTR(arr);
	for (int i = 0; i < d; i++)
		if (unlikely(!isfinite(x[i])))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s needs finite numbers", fname),
					 errdetail("Element %d of the array is %s.", i + 1,
							   isnan(x[i]) ? "NaN" : (x[i] > 0 ? "Infinity" : "-Infinity"))));
	return x;
}

/*
 * |L_j^{-1} r|^2 for a residual r from component j's mean, by forward
 * substitution on its Cholesky factor L_j.
 */
static inline double
whitened_norm2(const JointDerived *m, int j, const double *r)
{
	int			d = m->d;
	const double *l = m->chol + (Size) j * d * d;
	const double *inv = m->inv_diag + (Size) j * d;
	double		y[VGM_JOINT_MAX_DIMS];
	double		q = 0.0;

	for (int i = 0; i < d; i++)
	{
		double		s = r[i];

		for (int p = 0; p < i; p++)
			s -= l[i * d + p] * y[p];
		y[i] = s * inv[i];
		q += y[i] * y[i];
	}
	return q;
}

/*
 * |L_j^{-1} (x - mu_j)|^2, the squared Mahalanobis distance of x from
 * component j; +inf when it overflows (NaN from inf - inf included).
 */
static inline double
mahalanobis2(const JointDerived *m, int j, const double *x)
{
	const double *mu = m->mean + (Size) j * m->d;
	double		r[VGM_JOINT_MAX_DIMS];
	double		q;

	for (int i = 0; i < m->d; i++)
		r[i] = x[i] - mu[i];
	q = whitened_norm2(m, j, r);
	return likely(q <= DBL_MAX) ? q : INFINITY;
}

/*
 * The component nearest to x when every log probability is -inf (x so far
 * away that each distance overflowed): the distances computed on x and mu
 * scaled by 2^-600 (exact) decide, the constants being negligible there.
 */
static int
extreme_argmin(const JointDerived *m, const double *x)
{
	int			d = m->d;
	double		scaled[VGM_JOINT_MAX_DIMS];
	double		best = INFINITY;
	int			best_j = 0;

	for (int j = 0; j < m->k; j++)
	{
		const double *mu = m->mean + (Size) j * d;
		double		q;

		for (int i = 0; i < d; i++)
			scaled[i] = ldexp(x[i], -600) - ldexp(mu[i], -600);
		q = whitened_norm2(m, j, scaled);
		if (q < best)
		{
			best = q;
			best_j = j;
		}
	}
	return best_j;
}

/* Variational weighted log probabilities of x into m->lp; returns the largest. */
static inline double
variational_log_prob(const JointDerived *m, const double *x)
{
	double		best = -INFINITY;

	for (int j = 0; j < m->k; j++)
	{
		m->lp[j] = m->var_const[j] - 0.5 * mahalanobis2(m, j, x);
		if (m->lp[j] > best)
			best = m->lp[j];
	}
	return best;
}

/* ---------------------------------------------------------------------- */
/* the functions                                                           */
/* ---------------------------------------------------------------------- */

/* vgm_log_density(model, x): log of sum_j w_j N(x; mean_j, covariance_j). */
Datum
vgm_joint_log_density(PG_FUNCTION_ARGS)
{
	JointDerived *m = joint_cached(fcinfo, 0);
	const double *x = row_values(fcinfo, 1, m->d, "vgm_log_density");
	double		best = -INFINITY;

	for (int j = 0; j < m->k; j++)
	{
		/* a zero weight contributes nothing: no distance to compute */
		m->lp[j] = m->plug_const[j] == -INFINITY ? -INFINITY :
			m->plug_const[j] - 0.5 * mahalanobis2(m, j, x);
		if (m->lp[j] > best)
			best = m->lp[j];
	}
	PG_RETURN_FLOAT8(vgm_log_sum_exp(m->lp, m->k, best));
}

/* vgm_score(model, x): scikit-learn's score_samples, logsumexp of the variational log probabilities. */
Datum
vgm_joint_score(PG_FUNCTION_ARGS)
{
	JointDerived *m = joint_cached(fcinfo, 0);
	const double *x = row_values(fcinfo, 1, m->d, "vgm_score");

	PG_RETURN_FLOAT8(vgm_log_sum_exp(m->lp, m->k, variational_log_prob(m, x)));
}

/* vgm_predict(model, x): scikit-learn's predict, a posterior index 0 .. k-1. */
Datum
vgm_joint_predict(PG_FUNCTION_ARGS)
{
	JointDerived *m = joint_cached(fcinfo, 0);
	const double *x = row_values(fcinfo, 1, m->d, "vgm_predict");
	double		best = variational_log_prob(m, x);
	int			best_j = 0;

	if (unlikely(best == -INFINITY))
		PG_RETURN_INT32(extreme_argmin(m, x));
	/* the first of equal maxima, as numpy's argmax */
	while (m->lp[best_j] != best)
		best_j++;
	PG_RETURN_INT32(best_j);
}

/* vgm_predict_proba(model, x): scikit-learn's predict_proba, k entries in posterior order. */
Datum
vgm_joint_predict_proba(PG_FUNCTION_ARGS)
{
	JointDerived *m = joint_cached(fcinfo, 0);
	const double *x = row_values(fcinfo, 1, m->d, "vgm_predict_proba");
	double		best = variational_log_prob(m, x);
	Size		nbytes = ARR_OVERHEAD_NONULLS(1) + sizeof(float8) * (Size) m->k;
	ArrayType  *result = (ArrayType *) palloc0(nbytes);
	double	   *data;
	double		sum = 0.0;
	double		lse;

	SET_VARSIZE(result, nbytes);
	result->ndim = 1;
	result->elemtype = FLOAT8OID;
	ARR_DIMS(result)[0] = m->k;
	ARR_LBOUND(result)[0] = 1;
	data = (double *) ARR_DATA_PTR(result);
	if (unlikely(best == -INFINITY))
	{
		data[extreme_argmin(m, x)] = 1.0;
		PG_RETURN_ARRAYTYPE_P(result);
	}
	/* every entry gets its exp(): tiny probabilities keep their relative precision */
	for (int j = 0; j < m->k; j++)
		sum += exp(m->lp[j] - best);
	lse = best + log(sum);
	for (int j = 0; j < m->k; j++)
		data[j] = exp(m->lp[j] - lse);
	PG_RETURN_ARRAYTYPE_P(result);
}

/* State of one vgm_sample scan. */
typedef struct JointSampleState
{
	JointDerived model;			/* Cholesky factors and means */
	uint64		base;			/* hashed seed */
	VgmWeightPicker pick;		/* components by weight */
} JointSampleState;

/*
 * vgm_sample(model, n, seed): n deterministic draws x = mu_j + L_j z from
 * the plug-in mixture, as float8[] rows.  Draw i takes its component from
 * the weights with the uniform hash(seed, (d + 1) i + 1) and coordinate c of
 * z by inverting the standard normal CDF at hash(seed, (d + 1) i + 2 + c):
 * any prefix of the result is the same for a seed, and one row is produced
 * per call so LIMIT stops early.
 */
Datum
vgm_joint_sample(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	JointSampleState *st;

	if (SRF_IS_FIRSTCALL())
	{
		int64		n = PG_GETARG_INT64(1);
		int64		seed = PG_GETARG_INT64(2);
		VgmJointModelView view;
		MemoryContext old = vgm_sample_scan_begin(fcinfo, n, &funcctx);

		vgm_joint_model_view_datum(PG_GETARG_DATUM(0), &view);
		st = palloc0(sizeof(JointSampleState));
		st->model.key.mcxt = funcctx->multi_call_memory_ctx;
		derive(&st->model, &view);
		vgm_picker_init(&st->pick, palloc(sizeof(double) * view.hdr.k));
		for (int j = 0; j < view.hdr.k; j++)
			vgm_picker_add(&st->pick, view.post.weights[j]);
		st->base = vgm_mix64((uint64) seed ^ UINT64CONST(0x3C6EF372FE94F82B));
		vgm_sample_scan_ready(funcctx, st, n, old);
	}

	st = vgm_sample_scan_next(fcinfo, &funcctx);
	if (st != NULL)
	{
		const JointDerived *m = &st->model;
		int			d = m->d;
		uint64		counter = (uint64) (d + 1) * funcctx->call_cntr;
		double		u = vgm_unit_closed_open(vgm_mix64(st->base + (counter + 1) * VGM_GOLDEN_GAMMA));
		double		z[VGM_JOINT_MAX_DIMS];
		Size		nbytes = ARR_OVERHEAD_NONULLS(1) + sizeof(float8) * (Size) d;
		ArrayType  *result = (ArrayType *) palloc0(nbytes);
		double	   *x;
		const double *l;
		int			j = vgm_picker_pick(&st->pick, u);

		for (int c = 0; c < d; c++)
			z[c] = gsl_cdf_ugaussian_Pinv(vgm_unit_open(vgm_mix64(st->base + (counter + 2 + c) * VGM_GOLDEN_GAMMA)));
		SET_VARSIZE(result, nbytes);
		result->ndim = 1;
		result->elemtype = FLOAT8OID;
		ARR_DIMS(result)[0] = d;
		ARR_LBOUND(result)[0] = 1;
		x = (double *) ARR_DATA_PTR(result);
		l = m->chol + (Size) j * d * d;
		for (int a = 0; a < d; a++)
		{
			double		s = m->mean[(Size) j * d + a];

			for (int c = 0; c <= a; c++)
				s += l[a * d + c] * z[c];
			x[a] = s;
		}
		SRF_RETURN_NEXT(funcctx, PointerGetDatum(result));
	}
	SRF_RETURN_DONE(funcctx);
}
