/*
 * transform_cache.h - per-call-site cache of everything the row-by-row
 *                     transforms derive from a vgm_model, and the
 *                     counter-based hashing that makes their draws
 *                     reproducible.
 *
 * A transform runs once per row of tables with billions of rows, while the
 * model argument is nearly always the same value on every row.  The cache
 * lives in fn_extra (in fn_mcxt), holds the derived per-component constants
 * in flat arrays, and is rebuilt only when the model's bytes change.
 */
#ifndef VGM_TRANSFORM_CACHE_H
#define VGM_TRANSFORM_CACHE_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "fmgr.h"

#include "model.h"

/* A log probability this far below the best one is negligible next to it (e^-37 < 1e-16). */
#define VGM_NEGLIGIBLE_LOG_PROB (-37.0)

/* RDT's STD_MULTIPLIER: alpha = (x - mean) / (4 std). */
#define VGM_STD_MULTIPLIER 4.0

/* RDT clips alpha to [-0.99, 0.99] when it encodes. */
#define VGM_ALPHA_CLIP 0.99

/* RDT adds this to each valid component's probability before it draws. */
#define VGM_DRAW_EPSILON 1e-6

/*
 * Derived form of one model.  Arrays indexed by j are in posterior order
 * (0 .. k-1); arrays indexed by v cover the valid components only, in
 * posterior order, so the no-key argmax runs over contiguous memory.
 */
typedef struct VgmTransformCache
{
	/* identity of the model datum this was built from */
	Pointer		raw_ptr;		/* datum pointer of the last call (not owned) */
	Size		raw_len;		/* VARSIZE_ANY of the packed datum */
	char	   *raw;			/* copy of the packed bytes, raw_cap bytes */
	Size		raw_cap;
	bool		arg_is_const;	/* model argument is a Const: never changes */
	uint64		hash;			/* content hash of the detoasted model bytes */

	/* model facts */
	int			k;
	int			n_valid;
	uint64		seed;			/* hdr.seed */
	uint64		seed_mix;		/* hashed seed, the first round of every keyed draw */
	double		weight_threshold;
	double		min;			/* training range, for vgm_denormalize(clamp) */
	double		max;

	/* per posterior component j */
	double	   *mean;
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

	/* blessed result type of the composite-returning transform, or NULL */
	TupleDesc	tupdesc;

	/* scratch for one row's log probabilities (k entries) */
	double	   *scratch;
} VgmTransformCache;

/* Slow path of vgm_transform_cache_get: compare bytes, rebuild on change. */
extern VgmTransformCache *vgm_transform_cache_lookup(FunctionCallInfo fcinfo, int argno);

/*
 * The derived model of argument argno for this call site.  A Const model
 * argument at the same address is the same value, so the hot path is one
 * pointer and one length comparison; everything else goes through a byte
 * comparison, because a per-tuple memory context hands out the same address
 * for a different model on the next row.
 */
static inline VgmTransformCache *
vgm_transform_cache_get(FunctionCallInfo fcinfo, int argno)
{
	VgmTransformCache *cache = (VgmTransformCache *) fcinfo->flinfo->fn_extra;
	Pointer		ptr = DatumGetPointer(PG_GETARG_DATUM(argno));

	if (likely(cache != NULL && cache->arg_is_const && cache->raw_ptr == ptr
			   && cache->raw_len == VARSIZE_ANY(ptr)))
		return cache;
	return vgm_transform_cache_lookup(fcinfo, argno);
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

#endif							/* VGM_TRANSFORM_CACHE_H */
