/*
 * model_cache.h - what SQL functions derive from a vgm_model argument, kept
 *                 per call site in the byte-keyed cache of datum_cache.h;
 *                 the one encoding rule (vgm_encode_value); the one
 *                 log-sum-exp of a row's score (vgm_log_sum_exp); and the
 *                 counter-based hashing that makes the transforms' draws
 *                 reproducible.
 *
 * A row transform or a validation aggregate runs once per row of tables
 * with billions of rows, while its model argument is nearly always the same
 * value on every row.  The cache lives in fn_extra (in fn_mcxt) and keeps up
 * to VGM_MODEL_CACHE_ENTRIES derived models, so a model per group (a join
 * with a table of models) costs no rebuild per row either.  What only some
 * callers need (the tabulated CDF and the hashes a validation state records)
 * is built on first use.
 *
 * Identity of the model argument: datum_cache.h, the cache this one and
 * the joint row functions share (a Const by its address, anything else by
 * its length and SHA-256 seal on every row, model_seal.h, or by all its
 * bytes when it has no seal; and why nothing cheaper is safe).
 *
 * Aggregate state conventions (which aggregate keeps which state form, and
 * why; this is the one place they are written down):
 *
 *   vgm_summarize(x [, w]),         STYPE vgm_summary, a concrete type whose
 *   vgm_rollup(vgm_summary),        state is a read-write expanded object
 *   vgm_fit(x [, k])                (a hash table of buckets in its own
 *   [summary.c, fit.c]              context under the aggregate context):
 *                                   the executor neither copies nor frees it
 *                                   per row, and it is flattened into the
 *                                   stored form only when it leaves the
 *                                   aggregate (parallel workers, Citus, a
 *                                   column), so no serialize/deserialize
 *                                   pair is needed; SSPACE 4 MB states the
 *                                   table's size for hash-aggregate plans.
 *                                   vgm_fit(x, k) has no combine function:
 *                                   its final function reads k from the
 *                                   Aggref, which a partial plan lacks.
 *   vgm_ks(model, x),               STYPE vgm_ks_state, a fixed-size varlena
 *   vgm_ks_state(model, x),         (512 KiB) updated in place in the
 *   vgm_rollup(vgm_ks_state)        aggregate context and merged by adding
 *   [validate_ks.c]                 counts; a real type, so it can be
 *                                   stored, moved between Citus nodes (text
 *                                   or binary) and rolled up; SSPACE states
 *                                   its size.
 *   vgm_moments(x)                  float8[] of 13 values and, for
 *   vgm_bounds(model, x)            vgm_bounds, int8[] of 11 values: the
 *   [validate_moments.c,            pattern of float8_accum.  Small, fixed,
 *    validate_bounds.c]             an ordinary SQL type (partial states
 *                                   move as text exactly), INITCOND is the
 *                                   empty state, the combine function is
 *                                   STRICT, and every state that may come
 *                                   from outside is checked before use.
 *
 * No aggregate uses an internal state: each partial state has a type that
 * can be written out and read back, which is what Citus needs.
 *
 * A state that depends on a model records a hash of it (the KS state the
 * hash of the plug-in mixture, the bounds state a hash of the range and the
 * encoding constants), so two models in one group or in two merged states
 * are an error rather than a silently mixed answer.
 */
#ifndef VGM_MODEL_CACHE_H
#define VGM_MODEL_CACHE_H

#include "postgres.h"

#include <math.h>

#include "access/tupdesc.h"
#include "fmgr.h"

#include "datum_cache.h"
#include "model.h"
#include "validate_core.h"

/* A log probability this far below the best one is negligible next to it (e^-37 < 1e-16). */
#define VGM_NEGLIGIBLE_LOG_PROB (-37.0)

/*
 * logsumexp of the k log probabilities in v given the largest, best, skipping
 * the terms that cannot change a digit: the score and density of a row, in
 * one dimension and in d.
 */
static inline double
vgm_log_sum_exp(const double *v, int k, double best)
{
	double		sum = 0.0;

	if (unlikely(best == -INFINITY))
		return -INFINITY;
	for (int j = 0; j < k; j++)
	{
		double		t = v[j] - best;

		if (t > VGM_NEGLIGIBLE_LOG_PROB)
			sum += exp(t);
	}
	return best + log(sum);
}

/* RDT's STD_MULTIPLIER: alpha = (x - mean) / (4 std). */
#define VGM_STD_MULTIPLIER 4.0

/* RDT clips alpha to [-0.99, 0.99] when it encodes. */
#define VGM_ALPHA_CLIP 0.99

/* RDT adds this to each valid component's probability before it draws. */
#define VGM_DRAW_EPSILON 1e-6

/* Derived models one call site keeps: a few models per group cost no rebuild per row. */
#define VGM_MODEL_CACHE_ENTRIES 8

/*
 * What one model derives.  Arrays indexed by j are in posterior order
 * (0 .. k-1); arrays indexed by v cover the valid components only, in
 * posterior order, so the argmax runs over contiguous memory.
 */
typedef struct VgmCachedModel
{
	VgmDatumKey key;			/* identity of the model datum; key.mcxt holds the lazily built parts */
	bool		by_seal;		/* identity is the model's seal, else a derivation number */
	uint64		identity[4];	/* the model's identity for memos (model_cache.c, rebuild) */

	/* model facts */
	int			k;
	int			n_valid;
	uint64		seed;			/* hdr.seed */
	uint64		seed_mix;		/* hashed seed, the first round of every keyed draw */
	double		weight_threshold;
	double		min;			/* training range */
	double		max;

	/* per posterior component j */
	double	   *mean;
	double	   *covariance;
	double	   *std;
	double	   *four_std;		/* 4 std: RDT's divisor (alpha divides, bit-identical to RDT) */
	double	   *log_const;		/* variational log-prob constant (digammas included) */
	double	   *half_prec;		/* 0.5 * precision of the variational log prob */
	double	   *weight;			/* weights_ */
	double	   *log_weight;		/* log weights_, -inf for a zero weight */
	double	   *log_std;
	double	   *plug_const;		/* log w - log std - log(2 pi) / 2 */
	double	   *plug_half_inv_var;	/* 0.5 / covariance */
	int		   *valid_number;	/* number among the valid components, or -1 */

	/* per valid component v, posterior order */
	int		   *valid_index;	/* posterior index j of valid component v */
	double	   *v_mean;
	double	   *v_four_std;
	double	   *v_log_const;
	double	   *v_half_prec;

	/*
	 * Atoms (point masses), in increasing value order.  The transforms number
	 * them after the valid components (n_valid + i), the posterior functions
	 * after the posterior components (k + i).
	 */
	int			n_atoms;
	double		atom_value[VGM_MAX_ATOMS];
	double		atom_weight[VGM_MAX_ATOMS];
	double		log_atom_weight[VGM_MAX_ATOMS];
	double		atom_below[VGM_MAX_ATOMS];	/* summed weight of the atoms before atom i */
	double		atoms_total;	/* summed weight of all atoms */
	double		log_mixture_share;	/* log of the mixture's summed weight; 0 without atoms */

	/* scratch for one row's log probabilities (k entries) */
	double	   *scratch;
	double	   *mem;			/* the one block the arrays above point into */

	/* built on first use (vgm_model_cache_cdf_hash, _build_cdf, _bounds_hash) */
	bool		have_cdf_hash;
	uint64		cdf_hash;		/* identity of the plug-in mixture (KS states) */
	bool		have_cdf;
	VgmCdfMixture mix;			/* components with positive weight */
	VgmCdfTable table;			/* the mixture CDF tabulated; n = 0: use mix */
	double		atom_cdf_left[VGM_MAX_ATOMS];	/* F(a-) of atom i, as the KS state maps values */
	double		atom_cdf_right[VGM_MAX_ATOMS];	/* F(a) = F(a-) + its weight */
	bool		have_bounds_hash;
	uint64		bounds_hash;	/* identity of range and encoding constants (bounds states) */
} VgmCachedModel;

/* The cache of one call site, in fn_extra. */
typedef struct VgmModelCache
{
	VgmDatumCache base;			/* the entries (VgmCachedModel), keyed by the model's bytes */
	TupleDesc	tupdesc;		/* blessed result type of a composite-returning caller, or NULL */
} VgmModelCache;

/* Sizes of the two structs above and how an entry is derived (model_cache.c). */
extern const VgmDatumCacheKind vgm_model_cache_kind;

/* Slow paths of the three accessors below: build on first use. */
extern uint64 vgm_model_cache_compute_cdf_hash(VgmCachedModel *m);
extern void vgm_model_cache_build_cdf(VgmCachedModel *m);
extern uint64 vgm_model_cache_compute_bounds_hash(VgmCachedModel *m);

/* The hash of the plug-in mixture, the identity a vgm_ks_state records. */
static inline uint64
vgm_model_cache_cdf_hash(VgmCachedModel *m)
{
	return likely(m->have_cdf_hash) ? m->cdf_hash : vgm_model_cache_compute_cdf_hash(m);
}

/* The plug-in mixture (positive weights) and its tabulated CDF in m->mix / m->table. */
static inline void
vgm_model_cache_cdf(VgmCachedModel *m)
{
	if (unlikely(!m->have_cdf))
		vgm_model_cache_build_cdf(m);
}

/* The hash a vgm_bounds state records: range and encoding constants. */
static inline uint64
vgm_model_cache_bounds_hash(VgmCachedModel *m)
{
	return likely(m->have_bounds_hash) ? m->bounds_hash : vgm_model_cache_compute_bounds_hash(m);
}

/* The winning valid / posterior component when (x - mean)^2 overflowed for every one. */
extern int	vgm_extreme_argmax_valid(const VgmCachedModel *m, double x);
extern int	vgm_extreme_argmax_all(const VgmCachedModel *m, double x);

/*
 * The derived model of argument argno (its position in fcinfo) for this
 * call site: the previous call's entry when it is the same model
 * (datum_cache.h), else found among the call site's entries or rebuilt.
 */
static pg_attribute_always_inline VgmCachedModel *
vgm_model_cache_get(FunctionCallInfo fcinfo, int argno)
{
	return (VgmCachedModel *) vgm_datum_cache_get(fcinfo, argno, &vgm_model_cache_kind);
}

/*
 * RDT's alpha of x for valid component v, clipped to [-0.99, 0.99]; returns
 * +1 or -1 when it was clipped at the top or the bottom, else 0.
 */
static inline int
vgm_alpha_of(const VgmCachedModel *m, int v, double x, double *alpha)
{
	/* a division, not a multiplication by 1 / (4 std): bit-identical to RDT */
	double		a = (x - m->v_mean[v]) / m->v_four_std[v];

	if (a > VGM_ALPHA_CLIP)
	{
		*alpha = VGM_ALPHA_CLIP;
		return 1;
	}
	if (a < -VGM_ALPHA_CLIP)
	{
		*alpha = -VGM_ALPHA_CLIP;
		return -1;
	}
	*alpha = a;
	return 0;
}

/*
 * The atom whose value is exactly x, or -1.  At most VGM_MAX_ATOMS values in
 * increasing order: a linear scan that stops at the first value >= x.
 */
static inline int
vgm_atom_index(const VgmCachedModel *m, double x)
{
	int			i;

	for (i = 0; i < m->n_atoms; i++)
		if (m->atom_value[i] >= x)
			return m->atom_value[i] == x ? i : -1;
	return -1;
}

/* Number of atoms with a value at or below x (x not NaN). */
static inline int
vgm_atoms_at_or_below(const VgmCachedModel *m, double x)
{
	int			i = 0;

	while (i < m->n_atoms && m->atom_value[i] <= x)
		i++;
	return i;
}

/*
 * The one encoding rule (RDT's ClusterBasedNormalizer without a key), used
 * by the transforms and by vgm_bounds alike: a value equal to an atom gets
 * the atom's component (numbered n_valid + i) and alpha 0; any other value
 * gets the most probable valid
 * component v of a finite x (argmax of the variational log probability,
 * ties to the first, the limit order when every term overflowed) and
 * alpha = clip((x - mean_v) / (4 std_v), -0.99, 0.99).  Returns +1 or -1
 * when alpha was clipped at the top or the bottom, else 0.  The model must
 * have a valid component.
 */
static inline int
vgm_encode_value(const VgmCachedModel *m, double x, int32 *component, double *alpha)
{
	double		best = -INFINITY;
	int			best_v = 0;
	int			v;

	if (unlikely(m->n_atoms > 0))
	{
		int			i = vgm_atom_index(m, x);

		if (i >= 0)
		{
			*component = m->n_valid + i;
			*alpha = 0.0;
			return 0;
		}
	}
	for (v = 0; v < m->n_valid; v++)
	{
		double		d = x - m->v_mean[v];
		double		wlp = m->v_log_const[v] - m->v_half_prec[v] * (d * d);

		/* strictly greater: ties go to the first, as numpy's argmax; selects, not a branch */
		best_v = wlp > best ? v : best_v;
		best = wlp > best ? wlp : best;
	}
	if (unlikely(best == -INFINITY))
		best_v = vgm_extreme_argmax_valid(m, x);
	*component = best_v;
	return vgm_alpha_of(m, best_v, x, alpha);
}

/*
 * u = F(x) for the KS histogram: the mixture's CDF (tabulated when it can
 * be) plus the atoms at or below x; a value at an atom maps to F(a), and any
 * other value stays between the jumps around it, so no value lands inside
 * a jump whatever the rounding.  Needs vgm_model_cache_cdf first.
 */
static inline double
vgm_model_cache_ks_u(const VgmCachedModel *m, double x)
{
	double		u = likely(m->table.n > 0) ? vgm_cdf_table_eval(&m->table, x)
		: vgm_mixture_cdf(&m->mix, x);

	if (unlikely(m->n_atoms > 0))
	{
		int			below = vgm_atoms_at_or_below(m, x);

		if (below > 0 && m->atom_value[below - 1] == x)
			return m->atom_cdf_right[below - 1];
		if (below > 0)
			u = Max(u + m->atom_below[below - 1] + m->atom_weight[below - 1],
					m->atom_cdf_right[below - 1]);
		if (below < m->n_atoms)
			u = Min(u, m->atom_cdf_left[below]);
	}
	return u;
}

/* splitmix64's finaliser: a bijection of 64-bit words with full avalanche. */
static inline uint64
vgm_mix64(uint64 z)
{
	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* splitmix64's increment: consecutive counters give independent words. */
#define VGM_GOLDEN_GAMMA UINT64CONST(0x9E3779B97F4A7C15)

/* Uniform double in [0, 1) from the top 53 bits of a hash. */
static inline double
vgm_unit_closed_open(uint64 h)
{
	return (double) (h >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform double in (0, 1) from the top 53 bits: midpoints, never 0 or 1. */
static inline double
vgm_unit_open(uint64 h)
{
	return ((double) (h >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Bits of a float8 with -0 folded into +0, so that equal values hash alike. */
static inline uint64
vgm_double_bits(double x)
{
	uint64		bits;

	if (x == 0.0)
		x = 0.0;
	memcpy(&bits, &x, sizeof(bits));
	return bits;
}

#endif							/* VGM_MODEL_CACHE_H */
