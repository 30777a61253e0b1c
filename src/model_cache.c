/*
 * model_cache.c - derive, once per call site and model, everything the row
 *                 transforms (normalize.c) and the validation aggregates
 *                 (validate_*.c) need from a vgm_model argument.
 *
 * datum_cache.h says how a model argument is recognised (a Const by its
 * address, anything else by its packed bytes) and why nothing cheaper is
 * safe; datum_cache.c finds the entry of a model among the few a call site
 * keeps.  This file holds what an entry derives: rebuilding it when a new
 * model arrives, and the parts only some callers want (the tabulated CDF of
 * the KS test and the hashes the validation states record), built on first
 * use.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/hashfn.h"
#include "utils/memutils.h"

#include "model_cache.h"
#include "model_seal.h"

#define LOG_2PI 1.8378770664093454836

/* Doubles per posterior component (scratch included) and per valid component, then the ints. */
#define PER_COMPONENT_DOUBLES 12
#define PER_VALID_DOUBLES 4
#define PER_COMPONENT_INTS 2

/* Allocate the per-component arrays of an entry for k components, in one block. */
static void
allocate_arrays(VgmCachedModel *m, int k)
{
	double	   *d;
	int		   *n;

	if (m->mem != NULL && m->k == k)
		return;
	if (m->mem != NULL)
		pfree(m->mem);
	m->mem = NULL;
	/* doubles first, ints after them: the block is MAXALIGNed */
	d = MemoryContextAllocZero(m->key.mcxt, sizeof(double) * k * (PER_COMPONENT_DOUBLES + PER_VALID_DOUBLES)
							   + sizeof(int) * k * PER_COMPONENT_INTS);
	m->mem = d;
	m->mean = d;
	m->covariance = (d += k);
	m->std = (d += k);
	m->four_std = (d += k);
	m->log_const = (d += k);
	m->half_prec = (d += k);
	m->weight = (d += k);
	m->log_weight = (d += k);
	m->log_std = (d += k);
	m->plug_const = (d += k);
	m->plug_half_inv_var = (d += k);
	m->scratch = (d += k);
	m->v_mean = (d += k);
	m->v_four_std = (d += k);
	m->v_log_const = (d += k);
	m->v_half_prec = (d += k);
	n = (int *) (d + k);
	m->valid_number = n;
	m->valid_index = n + k;
}

/* Derivations made by this backend: the identity of each derived model. */
static uint64 derivations = 0;

/* Derive every per-component constant of an entry from a detoasted model (a VgmDatumDerive). */
static void
rebuild(VgmDatumKey *entry, const struct varlena *value)
{
	VgmCachedModel *m = (VgmCachedModel *) entry;
	const VgmModel *model = (const VgmModel *) value;
	const VgmModelHeader *hdr = &model->hdr;
	const double *w = VgmModelWeights(model);
	int			k = hdr->k;
	int			n_valid = 0;
	int			j;

	vgm_model_check_layout(model);
	/* the seal becomes the cache key: it must be the model's (model_seal.h) */
	if (vgm_model_is_sealed(model))
		vgm_model_check_seal(model);
	m->have_cdf = false;
	m->have_cdf_hash = false;
	m->have_bounds_hash = false;
	allocate_arrays(m, k);
	m->k = k;

	vgm_log_prob_constants(k, model->comp, m->log_const, m->half_prec);
	for (j = 0; j < k; j++)
	{
		double		cov = model->comp[j].covariance;
		double		std = sqrt(cov);

		m->half_prec[j] *= 0.5;
		/*
		 * A subnormal covariance overflows the precision; DBL_MAX keeps
		 * 0 * precision at x == mean from turning into NaN.
		 */
		if (!isfinite(m->half_prec[j]))
			m->half_prec[j] = DBL_MAX;
		m->mean[j] = model->comp[j].mean;
		m->covariance[j] = cov;
		m->std[j] = std;
		m->four_std[j] = VGM_STD_MULTIPLIER * std;
		m->weight[j] = w[j];
		m->log_weight[j] = w[j] > 0.0 ? log(w[j]) : -INFINITY;
		m->log_std[j] = log(std);
		m->plug_const[j] = m->log_weight[j] - m->log_std[j] - 0.5 * LOG_2PI;
		m->plug_half_inv_var[j] = Min(0.5 / cov, DBL_MAX);
		if (w[j] > hdr->weight_threshold)
		{
			m->valid_number[j] = n_valid;
			m->valid_index[n_valid] = j;
			m->v_mean[n_valid] = m->mean[j];
			m->v_four_std[n_valid] = m->four_std[j];
			m->v_log_const[n_valid] = m->log_const[j];
			m->v_half_prec[n_valid] = m->half_prec[j];
			n_valid++;
		}
		else
			m->valid_number[j] = -1;
	}
	m->n_valid = n_valid;
	m->n_atoms = hdr->n_atoms;
	m->atoms_total = 0.0;
	for (j = 0; j < hdr->n_atoms; j++)
	{
		double		aw = VgmModelAtomWeights(model)[j];

		m->atom_value[j] = VgmModelAtomValues(model)[j];
		m->atom_weight[j] = aw;
		m->log_atom_weight[j] = log(aw);
		m->atom_below[j] = m->atoms_total;
		m->atoms_total += aw;
	}
	{
		double		share = 0.0;

		for (j = 0; j < k; j++)
			share += w[j];
		m->log_mixture_share = hdr->n_atoms > 0 ? log(share) : 0.0;
	}
	m->seed = hdr->seed;
	m->seed_mix = vgm_mix64(hdr->seed ^ UINT64CONST(0x6A09E667F3BCC908));
	m->weight_threshold = hdr->weight_threshold;
	m->min = hdr->min;
	m->max = hdr->max;
	/*
	 * The memo of normalize.c is keyed by this: a sealed model's seal, so
	 * call sites holding equal models share it; else a number unique in
	 * this backend (no hash of the bytes: a chosen collision would serve
	 * one model's answer for another).
	 */
	m->by_seal = vgm_model_is_sealed(model);
	if (m->by_seal)
		memcpy(m->identity, (const char *) model + VARSIZE(model) - VGM_MODEL_SEAL_BYTES,
			   sizeof(m->identity));
	else
	{
		memset(m->identity, 0, sizeof(m->identity));
		m->identity[0] = ++derivations;
	}
}

/* The model cache's sizes and derivation, for datum_cache.c. */
const VgmDatumCacheKind vgm_model_cache_kind = {
	.site_size = sizeof(VgmModelCache),
	.entry_size = sizeof(VgmCachedModel),
	.max_entries = VGM_MODEL_CACHE_ENTRIES,
	.derive = rebuild,
	.seal_marker = VGM_SEAL_MARKER(VgmModel, unused, VGM_MODEL_SEALED),
};

/*
 * Which of components a and b wins when |x| is so large that (x - mean)^2
 * overflows for both: the wider one (smaller precision), then the one whose
 * mean lies further towards x, then the larger constant.  These are the
 * terms of the log probability in decreasing order of growth in |x|.
 */
static bool
extreme_better(double x, double half_prec_a, double mean_a, double log_const_a,
			   double half_prec_b, double mean_b, double log_const_b)
{
	double		lin_a = copysign(1.0, x) * mean_a;
	double		lin_b = copysign(1.0, x) * mean_b;

	if (half_prec_a != half_prec_b)
		return half_prec_a < half_prec_b;
	if (lin_a != lin_b)
		return lin_a > lin_b;
	return log_const_a - half_prec_a * mean_a * mean_a
		> log_const_b - half_prec_b * mean_b * mean_b;
}

/* The winner by extreme_better among n components given as parallel arrays. */
static int
extreme_argmax(double x, int n, const double *half_prec, const double *mean,
			   const double *log_const)
{
	int			best = 0;
	int			i;

	for (i = 1; i < n; i++)
		if (extreme_better(x, half_prec[i], mean[i], log_const[i],
						   half_prec[best], mean[best], log_const[best]))
			best = i;
	return best;
}

/* The winning valid component when every log probability underflowed to -inf. */
int
vgm_extreme_argmax_valid(const VgmCachedModel *m, double x)
{
	return extreme_argmax(x, m->n_valid, m->v_half_prec, m->v_mean, m->v_log_const);
}

/* The winning posterior component when every log probability underflowed to -inf. */
int
vgm_extreme_argmax_all(const VgmCachedModel *m, double x)
{
	return extreme_argmax(x, m->k, m->half_prec, m->mean, m->log_const);
}

/*
 * The hash of the plug-in mixture and its atoms, the identity a KS state
 * records; a model without atoms hashes as it always has.
 */
uint64
vgm_model_cache_compute_cdf_hash(VgmCachedModel *m)
{
	m->cdf_hash = vgm_mixture_hash(m->k, m->weight, m->mean, m->covariance);
	if (m->n_atoms > 0)
	{
		m->cdf_hash = vgm_hash_doubles(m->cdf_hash, m->atom_value, m->n_atoms);
		m->cdf_hash = vgm_hash_doubles(m->cdf_hash, m->atom_weight, m->n_atoms);
		if (m->cdf_hash == 0)
			m->cdf_hash = 1;
	}
	m->have_cdf_hash = true;
	return m->cdf_hash;
}

/*
 * The plug-in mixture of the KS functions (positive weights only) and its
 * tabulated CDF, built on first use.
 */
void
vgm_model_cache_build_cdf(VgmCachedModel *m)
{
	int			j;

	if (m->have_cdf)
		return;
	if (m->mix.mean == NULL)
	{
		double	   *d = MemoryContextAlloc(m->key.mcxt, sizeof(double) * VGM_MAX_COMPONENTS * 3);

		m->mix.mean = d;
		m->mix.inv_std = d + VGM_MAX_COMPONENTS;
		m->mix.weight = d + 2 * VGM_MAX_COMPONENTS;
	}
	m->mix.k = 0;
	for (j = 0; j < m->k; j++)
		if (m->weight[j] > 0.0)
		{
			m->mix.mean[m->mix.k] = m->mean[j];
			m->mix.inv_std[m->mix.k] = 1.0 / sqrt(m->covariance[j]);
			m->mix.weight[m->mix.k] = m->weight[j];
			m->mix.k++;
		}
	vgm_phi_table_init();
	/* one table lookup per row instead of one evaluation per component */
	if (m->table.c != NULL)
		pfree(m->table.c);
	m->table.c = NULL;
	m->table.n = vgm_cdf_table_plan(&m->mix, VGM_CDF_TABLE_MAX_NODES, &m->table.lo, &m->table.h);
	if (m->table.n > 0)
	{
		m->table.c = MemoryContextAlloc(m->key.mcxt, sizeof(double) * 6 * m->table.n);
		vgm_cdf_table_fill(&m->mix, &m->table);
	}
	/* the jumps of the atoms, evaluated as the rows are */
	for (j = 0; j < m->n_atoms; j++)
	{
		double		left = (m->table.n > 0 ? vgm_cdf_table_eval(&m->table, m->atom_value[j])
							: vgm_mixture_cdf(&m->mix, m->atom_value[j])) + m->atom_below[j];

		/* never below the previous jump's top, never above 1 */
		if (j > 0)
			left = Max(left, m->atom_cdf_right[j - 1]);
		m->atom_cdf_left[j] = Min(left, 1.0);
		m->atom_cdf_right[j] = Min(left + m->atom_weight[j], 1.0);
	}
	m->have_cdf = true;
}

/*
 * The hash a vgm_bounds state records: the plug-in mixture's, the training
 * range and the encoding constants of the valid components, so that two
 * states agree exactly when they count with the same rule.
 */
uint64
vgm_model_cache_compute_bounds_hash(VgmCachedModel *m)
{
	double		extra[3];
	uint64		h;

	extra[0] = m->min;
	extra[1] = m->max;
	extra[2] = (double) m->n_valid;
	h = vgm_hash_doubles(vgm_model_cache_cdf_hash(m), extra, 3);
	h = vgm_hash_doubles(h, m->v_mean, m->n_valid);
	h = vgm_hash_doubles(h, m->v_four_std, m->n_valid);
	h = vgm_hash_doubles(h, m->v_log_const, m->n_valid);
	h = vgm_hash_doubles(h, m->v_half_prec, m->n_valid);
	m->bounds_hash = h ? h : 1;
	m->have_bounds_hash = true;
	return m->bounds_hash;
}
