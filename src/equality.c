/*
 * equality.c - equality, ordering and hashing of the stored types
 *              (vgm_model, vgm_summary, vgm_ks_state), so that DISTINCT,
 *              GROUP BY, UNION, IN and hash or merge joins work on them.
 *
 * Two values are equal when their stored forms are identical byte for byte:
 * a model refitted on the same data differs in its fit time, so it is a
 * different value, as a timestamp taken twice is.  Every form is written
 * deterministically (headers zeroed, no padding left uninitialised), and the
 * input functions reject the forms that could encode one value two ways
 * (NaN, unsorted buckets), so byte equality is value equality.  The order is
 * that of the bytes, then of the length: arbitrary but total and stable,
 * which is all that sorting for DISTINCT or a merge join needs.
 *
 * One set of C functions serves the three types (the SQL declarations bind
 * them per type); an expanded summary state is flattened by detoasting.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "access/detoast.h"

PG_FUNCTION_INFO_V1(vgm_stored_eq);
PG_FUNCTION_INFO_V1(vgm_stored_ne);
PG_FUNCTION_INFO_V1(vgm_stored_lt);
PG_FUNCTION_INFO_V1(vgm_stored_le);
PG_FUNCTION_INFO_V1(vgm_stored_gt);
PG_FUNCTION_INFO_V1(vgm_stored_ge);
PG_FUNCTION_INFO_V1(vgm_stored_cmp);
PG_FUNCTION_INFO_V1(vgm_stored_hash);
PG_FUNCTION_INFO_V1(vgm_stored_hash_extended);

/* Compare the stored forms of two arguments: bytes first, then length. */
static int
stored_cmp(FunctionCallInfo fcinfo)
{
	struct varlena *a = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));
	struct varlena *b = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(1));
	Size		la = VARSIZE_ANY_EXHDR(a);
	Size		lb = VARSIZE_ANY_EXHDR(b);
	int			c = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), Min(la, lb));

	if (c == 0 && la != lb)
		c = la < lb ? -1 : 1;
	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

/* Equal stored forms; lengths first, which settles most unequal pairs. */
Datum
vgm_stored_eq(PG_FUNCTION_ARGS)
{
	Datum		da = PG_GETARG_DATUM(0);
	Datum		db = PG_GETARG_DATUM(1);

	/* a compressed or external value's raw size is known without detoasting */
	if (!VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(da))
		&& !VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(db))
		&& toast_raw_datum_size(da) != toast_raw_datum_size(db))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(stored_cmp(fcinfo) == 0);
}

/* Different stored forms. */
Datum
vgm_stored_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!DatumGetBool(vgm_stored_eq(fcinfo)));
}

/* Byte order: less than. */
Datum
vgm_stored_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(stored_cmp(fcinfo) < 0);
}

/* Byte order: less than or equal. */
Datum
vgm_stored_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(stored_cmp(fcinfo) <= 0);
}

/* Byte order: greater than. */
Datum
vgm_stored_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(stored_cmp(fcinfo) > 0);
}

/* Byte order: greater than or equal. */
Datum
vgm_stored_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(stored_cmp(fcinfo) >= 0);
}

/* btree support: -1, 0 or 1. */
Datum
vgm_stored_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(stored_cmp(fcinfo));
}

/* hash support: a hash of the stored form's bytes. */
Datum
vgm_stored_hash(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));
	Datum		h = hash_any((const unsigned char *) VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));

	PG_FREE_IF_COPY(v, 0);
	return h;
}

/* hash support with a seed (hash partitioning). */
Datum
vgm_stored_hash_extended(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));
	Datum		h = hash_any_extended((const unsigned char *) VARDATA_ANY(v),
									  VARSIZE_ANY_EXHDR(v), PG_GETARG_INT64(1));

	PG_FREE_IF_COPY(v, 0);
	return h;
}
