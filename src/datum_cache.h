/*
 * datum_cache.h - the one per-call-site cache of values derived from a
 *                 varlena argument, keyed by the argument's bytes (or by
 *                 its length and seal, for a sealed type): used by
 *                 the 1-D model cache (model_cache.c) and the joint row
 *                 functions (joint_functions.c), so every row function
 *                 recognises its model the same way.
 *
 * A row function runs once per row while its model argument is nearly
 * always the same value, so what the model derives (per-component
 * constants, Cholesky factors) is kept in fn_extra (in fn_mcxt), a few
 * entries per call site, so that a join with a table of models alternates
 * between them without rebuilds.
 *
 * Identity of the argument.  A Const argument never changes, so its datum
 * pointer is enough.  Any other argument (a column of a join, an initplan
 * parameter, a PL/pgSQL variable) may hold a different value at the same
 * address on the next row: per-tuple memory contexts, rescanned initplans
 * and recycled buffers reuse addresses.  Such an argument is proven equal to
 * the remembered value on every row, in its packed form and without
 * detoasting: a sealed value (below) by its length and seal, any other
 * inline value by all its bytes, a compressed one by its compressed bytes,
 * an on-disk TOAST pointer by the pointer (a TOAST value is immutable and
 * its value id unique within its table).  No sampled fingerprint or address
 * test can stand in for that proof, because a model that differs from the
 * cached one in a single weight must never be served from the cache.  An
 * in-memory expanded or indirect datum says nothing through its pointer, so
 * it is compared by its detoasted bytes and never takes the fast path.
 *
 * Sealed values.  A type may carry in its plain (uncompressed, 4-byte
 * header) datum a cryptographic digest of its own bytes, computed by every
 * constructor and never read from input (vgm_model: model_seal.h).  Equal
 * lengths and equal seals then mean equal bytes unless SHA-256 has a
 * collision, so 32 bytes replace the whole comparison.  The kind says where
 * the marker of a sealed datum is; the seal is the datum's last
 * VGM_DATUM_SEAL_BYTES bytes.  A datum without the marker (stored by an
 * older version, or a type without seals) is compared byte for byte.
 *
 * Each user embeds a VgmDatumKey as the first member of its entry type and
 * a VgmDatumCache as the first member of its fn_extra type, and describes
 * both with a VgmDatumCacheKind.
 */
#ifndef VGM_DATUM_CACHE_H
#define VGM_DATUM_CACHE_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/primnodes.h"

/* Bytes of a sealed datum's seal: a SHA-256 digest. */
#define VGM_DATUM_SEAL_BYTES 32

/* Identity of the datum an entry was derived from; the first member of every entry. */
typedef struct VgmDatumKey
{
	Pointer		raw_ptr;		/* datum pointer of the last match (not owned), or NULL */
	Size		raw_len;		/* bytes in raw; 0: the entry is empty or half built */
	char	   *raw;			/* copy of the packed bytes, raw_cap bytes */
	Size		raw_cap;
	bool		sealed;			/* raw is a sealed datum: seal holds its last bytes */
	uint64		seal[VGM_DATUM_SEAL_BYTES / sizeof(uint64)];
	uint64		last_use;		/* call-site clock of the last match, for eviction */
	MemoryContext mcxt;			/* fn_mcxt: where the entry's own allocations go */
} VgmDatumKey;

/*
 * Derive an entry from the detoasted argument.  The entry's key is already
 * invalidated, so an error leaves no half-built entry in use; its mcxt is
 * set and whatever the entry allocated before is still there to reuse.
 */
typedef void (*VgmDatumDerive) (VgmDatumKey *entry, const struct varlena *value);

/*
 * How a sealed stored value says it is sealed: the int32 at byte offset of
 * a plain datum equals value.  Offset 0: the kind has no seals.
 */
typedef struct VgmSealMarker
{
	Size		offset;
	int32		value;
} VgmSealMarker;

/* The seal marker of a stored type: its int32 member equal to value. */
#define VGM_SEAL_MARKER(type, member, value) {offsetof(type, member), (value)}

/* What one kind of cached value needs: sizes and how to derive an entry. */
typedef struct VgmDatumCacheKind
{
	Size		site_size;		/* bytes of the fn_extra struct; it begins with a VgmDatumCache */
	Size		entry_size;		/* bytes of one entry; it begins with a VgmDatumKey */
	int			max_entries;
	VgmDatumDerive derive;
	VgmSealMarker seal_marker;	/* how a datum of the kind says it is sealed */
} VgmDatumCacheKind;

/* The cache of one call site: the first member of the fn_extra struct. */
typedef struct VgmDatumCache
{
	VgmDatumKey *last;			/* the entry the previous call used, or NULL */
	bool		arg_is_const;	/* the argument is a Const: never changes */
	int			n_entries;
	uint64		clock;			/* counts lookups, for least-recently-used eviction */
	char	   *entries;		/* max_entries entries of entry_size bytes */
} VgmDatumCache;

/* Slow path of vgm_datum_cache_get: create the cache, find, compare, derive on change. */
extern VgmDatumKey *vgm_datum_cache_lookup(FunctionCallInfo fcinfo, int argno,
										   const VgmDatumCacheKind *kind);

/*
 * The seal of the packed datum at ptr, or NULL when it has none that can be
 * read in place (no seals for this kind, no marker, not a plain datum).
 */
static inline const char *
vgm_datum_seal(const VgmDatumCacheKind *kind, Pointer ptr)
{
	int32		marker;

	if (kind->seal_marker.offset == 0 || !VARATT_IS_4B_U(ptr)
		|| VARSIZE(ptr) < kind->seal_marker.offset + sizeof(int32) + VGM_DATUM_SEAL_BYTES)
		return NULL;
	memcpy(&marker, ptr + kind->seal_marker.offset, sizeof(int32));
	return marker == kind->seal_marker.value ? ptr + VARSIZE(ptr) - VGM_DATUM_SEAL_BYTES : NULL;
}

/* Whether a seal read in place equals a remembered one (scalars: no stack array per row). */
static inline bool
vgm_datum_seal_equal(const uint64 *remembered, const char *seal)
{
	uint64		w0,
				w1,
				w2,
				w3;

	StaticAssertStmt(VGM_DATUM_SEAL_BYTES == 4 * sizeof(uint64), "a seal is four words");
	memcpy(&w0, seal, sizeof(uint64));
	memcpy(&w1, seal + 8, sizeof(uint64));
	memcpy(&w2, seal + 16, sizeof(uint64));
	memcpy(&w3, seal + 24, sizeof(uint64));
	return ((w0 ^ remembered[0]) | (w1 ^ remembered[1]) |
			(w2 ^ remembered[2]) | (w3 ^ remembered[3])) == 0;
}

/*
 * Whether the packed datum at ptr, of len bytes, is the value of key: by
 * its seal when both are sealed, else by all its bytes.
 */
static inline bool
vgm_datum_key_holds(const VgmDatumCacheKind *kind, const VgmDatumKey *key, Pointer ptr, Size len)
{
	if (key->raw_len != len)
		return false;
	if (key->sealed)
	{
		const char *seal = vgm_datum_seal(kind, ptr);

		if (seal != NULL)
			return vgm_datum_seal_equal(key->seal, seal);
	}
	return memcmp(key->raw, ptr, len) == 0;
}

/*
 * The entry derived from argument argno (its position in fcinfo) at this
 * call site.  The hot path: the entry of the previous call, confirmed by its
 * address alone for a Const argument and by address, length and seal (or
 * bytes) otherwise; everything else goes through vgm_datum_cache_lookup.
 */
static pg_attribute_always_inline VgmDatumKey *
vgm_datum_cache_get(FunctionCallInfo fcinfo, int argno, const VgmDatumCacheKind *kind)
{
	VgmDatumCache *cache = (VgmDatumCache *) fcinfo->flinfo->fn_extra;
	Pointer		ptr = DatumGetPointer(PG_GETARG_DATUM(argno));

	if (likely(cache != NULL && cache->last != NULL && cache->last->raw_ptr == ptr)
		&& (cache->arg_is_const || vgm_datum_key_holds(kind, cache->last, ptr, VARSIZE_ANY(ptr))))
		return cache->last;
	return vgm_datum_cache_lookup(fcinfo, argno, kind);
}

/*
 * The one constant-argument test: the Const node of argument callargno of
 * the SQL-level call (an aggregate's own argument list for its support
 * functions, the function's argument list otherwise), or NULL when that
 * argument is not a constant of the plan or the call is not known.
 */
extern Const *vgm_call_arg_const(FunctionCallInfo fcinfo, int callargno);

#endif							/* VGM_DATUM_CACHE_H */
