/*
 * datum_cache.c - the slow paths of the per-call-site, byte-keyed cache of
 *                 values derived from a varlena argument (datum_cache.h),
 *                 and the one "is this argument a constant of the plan"
 *                 test.
 *
 * datum_cache.h says how an argument is recognised (its bytes, or its
 * length and seal) and why nothing cheaper is safe.  This file finds the
 * entry of a value among the few a call site keeps, remembers the bytes
 * (and seal) of a new one and picks the
 * entry a new value replaces; what an entry derives is the caller's
 * (model_cache.c for vgm_model, joint_functions.c for vgm_joint_model).
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "datum_cache.h"

/* The one constant-argument test (see datum_cache.h). */
Const *
vgm_call_arg_const(FunctionCallInfo fcinfo, int callargno)
{
	Node	   *expr = NULL;
	Aggref	   *aggref;

	if (fcinfo->flinfo == NULL)
		return NULL;
	aggref = AggGetAggref(fcinfo);
	if (aggref != NULL)
	{
		/* an aggregate's support function: the aggregate's own arguments */
		if (callargno >= 0 && callargno < list_length(aggref->args))
			expr = (Node *) ((TargetEntry *) list_nth(aggref->args, callargno))->expr;
	}
	else if (fcinfo->flinfo->fn_expr != NULL && IsA(fcinfo->flinfo->fn_expr, FuncExpr))
	{
		List	   *args = ((FuncExpr *) fcinfo->flinfo->fn_expr)->args;

		if (callargno >= 0 && callargno < list_length(args))
			expr = list_nth(args, callargno);
	}
	return expr != NULL && IsA(expr, Const) ? (Const *) expr : NULL;
}

/* Entry i of a call site's cache. */
static inline VgmDatumKey *
entry_at(VgmDatumCache *cache, const VgmDatumCacheKind *kind, int i)
{
	return (VgmDatumKey *) (cache->entries + (Size) i * kind->entry_size);
}

/* Remember the bytes that identify the value of an entry, and its seal if it has one. */
static void
remember_bytes(VgmDatumKey *key, const VgmDatumCacheKind *kind, const void *bytes, Size len)
{
	const char *seal = vgm_datum_seal(kind, (Pointer) bytes);

	if (key->raw_cap < len)
	{
		if (key->raw != NULL)
			pfree(key->raw);
		key->raw = NULL;
		key->raw_cap = 0;
		key->raw = MemoryContextAlloc(key->mcxt, len);
		key->raw_cap = len;
	}
	memcpy(key->raw, bytes, len);
	key->sealed = seal != NULL;
	if (seal != NULL)
		memcpy(key->seal, seal, VGM_DATUM_SEAL_BYTES);
	key->raw_len = len;
}

/*
 * The entry whose remembered value is this one (by seal or bytes,
 * vgm_datum_key_holds), or NULL: first among the entries last seen at this
 * address (one comparison when a join alternates between a few values that
 * stay put), then among all.
 */
static VgmDatumKey *
find_by_bytes(VgmDatumCache *cache, const VgmDatumCacheKind *kind, const char *bytes, Size len)
{
	int			i;

	for (i = 0; i < cache->n_entries; i++)
	{
		VgmDatumKey *key = entry_at(cache, kind, i);

		if (key->raw_ptr == bytes && vgm_datum_key_holds(kind, key, (Pointer) bytes, len))
			return key;
	}
	for (i = 0; i < cache->n_entries; i++)
	{
		VgmDatumKey *key = entry_at(cache, kind, i);

		if (vgm_datum_key_holds(kind, key, (Pointer) bytes, len))
			return key;
	}
	return NULL;
}

/* An entry to derive anew: an unused one, else the least recently used. */
static VgmDatumKey *
victim(VgmDatumCache *cache, const VgmDatumCacheKind *kind)
{
	VgmDatumKey *key;
	int			i;

	if (cache->n_entries < kind->max_entries)
		return entry_at(cache, kind, cache->n_entries++);
	key = entry_at(cache, kind, 0);
	for (i = 1; i < kind->max_entries; i++)
		if (entry_at(cache, kind, i)->last_use < key->last_use)
			key = entry_at(cache, kind, i);
	return key;
}

/* Derive a victim entry from a detoasted value; the caller remembers its bytes. */
static VgmDatumKey *
derive_entry(VgmDatumCache *cache, const VgmDatumCacheKind *kind, const struct varlena *value)
{
	VgmDatumKey *key = victim(cache, kind);

	/* invalidate first: an error while deriving must not leave a half-built entry in use */
	key->raw_len = 0;
	key->raw_ptr = NULL;
	key->sealed = false;
	if (cache->last == key)
		cache->last = NULL;
	kind->derive(key, value);
	return key;
}

/* A new cache for a call site, its entries zeroed and owned by fn_mcxt. */
static VgmDatumCache *
create_cache(FunctionCallInfo fcinfo, int argno, const VgmDatumCacheKind *kind)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;
	VgmDatumCache *cache = MemoryContextAllocZero(flinfo->fn_mcxt, kind->site_size);
	int			i;

	cache->entries = MemoryContextAllocZero(flinfo->fn_mcxt, kind->entry_size * kind->max_entries);
	for (i = 0; i < kind->max_entries; i++)
		entry_at(cache, kind, i)->mcxt = flinfo->fn_mcxt;
	/* an aggregate's transition function has the state before the aggregate's arguments */
	cache->arg_is_const = vgm_call_arg_const(fcinfo, AggGetAggref(fcinfo) ? argno - 1 : argno) != NULL;
	flinfo->fn_extra = cache;
	return cache;
}

/*
 * Slow path of vgm_datum_cache_get: look for the value among the entries
 * by its packed bytes, or by its detoasted bytes when it is an in-memory
 * expanded or indirect datum, whose pointer says nothing about its content;
 * derive the least recently used entry anew when none matches.
 */
VgmDatumKey *
vgm_datum_cache_lookup(FunctionCallInfo fcinfo, int argno, const VgmDatumCacheKind *kind)
{
	VgmDatumCache *cache = (VgmDatumCache *) fcinfo->flinfo->fn_extra;
	Datum		datum = PG_GETARG_DATUM(argno);
	Pointer		ptr = DatumGetPointer(datum);
	struct varlena *value;
	VgmDatumKey *key;

	if (cache == NULL)
		cache = create_cache(fcinfo, argno, kind);
	cache->clock++;

	if (!VARATT_IS_EXTERNAL(ptr) || VARATT_IS_EXTERNAL_ONDISK(ptr))
	{
		/* inline (plain, short or compressed) or an on-disk TOAST pointer */
		Size		len = VARSIZE_ANY(ptr);

		key = find_by_bytes(cache, kind, ptr, len);
		if (key == NULL)
		{
			value = PG_DETOAST_DATUM(datum);
			key = derive_entry(cache, kind, value);
			remember_bytes(key, kind, ptr, len);
			if ((Pointer) value != ptr)
				pfree(value);
		}
		key->raw_ptr = ptr;
	}
	else
	{
		/* in-memory indirect or expanded datum: only the content identifies it */
		value = PG_DETOAST_DATUM(datum);
		key = find_by_bytes(cache, kind, (const char *) value, VARSIZE(value));
		if (key == NULL)
		{
			key = derive_entry(cache, kind, value);
			remember_bytes(key, kind, value, VARSIZE(value));
		}
		/* the pointer says nothing about the content here: the fast path never matches it */
		key->raw_ptr = NULL;
		if ((Pointer) value != ptr)
			pfree(value);
	}
	key->last_use = cache->clock;
	cache->last = key;
	return key;
}
