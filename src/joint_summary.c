/*
 * joint_summary.c - the vgm_joint_summary type and the aggregates that build
 *                   it: vgm_joint_summarize(float8[]), vgm_rollup of stored
 *                   joint summaries, their combine function, text and
 *                   binary I/O, and what a summary holds.
 *
 * The state discipline is vgm_summary's (written down in model_cache.h):
 * while an aggregate runs, the state is a read-write expanded object (the
 * accumulator of joint_summary_core.c) in a context under the aggregate
 * context, so the executor neither copies nor frees it per row and a hash
 * aggregate counts its memory and spills; whenever it leaves the aggregate
 * (parallel workers, Citus, a column) it is flattened into the sorted
 * stored form.  No serialize/deserialize pair is needed: the state type is
 * a real type, which is also what Citus requires.
 *
 * A row is a float8[] of d <= 16 elements; the first row with a length
 * (even one skipped for a NULL element) fixes d.  A NULL
 * array or a NULL element skips the row (counted); an array of another
 * length, a multidimensional one, one not indexed from 1, NaN and the
 * infinities are errors.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"

#include "codec_errcode.h"
#include "expanded_state.h"
#include "joint_summary.h"
#include "vgm.h"

PG_FUNCTION_INFO_V1(vgm_joint_summary_in);
PG_FUNCTION_INFO_V1(vgm_joint_summary_out);
PG_FUNCTION_INFO_V1(vgm_joint_summary_recv);
PG_FUNCTION_INFO_V1(vgm_joint_summary_send);
PG_FUNCTION_INFO_V1(vgm_joint_summarize_sfunc);
PG_FUNCTION_INFO_V1(vgm_joint_summary_combine);
PG_FUNCTION_INFO_V1(vgm_joint_summary_info);
PG_FUNCTION_INFO_V1(vgm_joint_summary_moments);


/* The expanded (accumulating) form of a joint summary. */
typedef struct JointExpanded
{
	VgmExpandedState base;		/* header and allocator (expanded_state.h) */
	VgmJointAcc acc;
	int64	   *flat_keys;		/* cells exported for flattening */
	double	   *flat_stats;
	size_t		flat_n;
	int64	   *flat_values;	/* the exact columns' values */
	int			flat_nvalues[VGM_JOINT_MAX_DIMS];
	size_t		flat_nvalues_total;
	bool		flat_valid;
} JointExpanded;

static void joint_expanded_view(struct JointExpanded *je, VgmJointSummaryView *v);

/* Raise the error for a failed accumulator operation. */
static void
report_acc_status(int status)
{
	if (status == VGM_JOINT_OK)
		return;
	if (status == VGM_JOINT_ERR_NOMEM)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory in vgm_joint_summary"),
				 errdetail("A joint summary holds at most %d cells.", VGM_JOINT_SUMMARY_MAX_CELLS)));
	if (status == VGM_JOINT_ERR_OVERFLOW)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("vgm_joint_summary counts overflow"),
				 errdetail("A joint summary counts at most 2^53 rows and 2^63 - 1 skipped rows.")));
	if (status == VGM_JOINT_ERR_DIMS)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("cannot merge joint summaries of different column counts"),
				 errdetail("Every row of one summary has the same number of elements.")));
	if (status == VGM_JOINT_ERR_HUGE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("values too large to summarize"),
				 errdetail("The scatter of a cell overflows a double; values up to about 1e150 in magnitude can be summarized."),
				 errhint("Rescale the column, for example divide it by 1e100.")));
	elog(ERROR, "unexpected vgm_joint_summary status %d", status);
}

/* Export the cells of an expanded summary (cached until it changes). */
static void
joint_expanded_export(JointExpanded *je)
{
	size_t		n = Max(je->acc.n, 1);

	if (je->flat_valid)
		return;
	if (je->flat_keys)
		pfree(je->flat_keys);
	if (je->flat_stats)
		pfree(je->flat_stats);
	je->flat_keys = MemoryContextAllocHuge(je->base.hdr.eoh_context,
										   n * Max(je->acc.d, 1) * sizeof(int64));
	je->flat_stats = MemoryContextAllocHuge(je->base.hdr.eoh_context,
											n * VGM_JOINT_STRIDE(je->acc.d) * sizeof(double));
	report_acc_status(vgm_joint_acc_export(&je->acc, je->flat_keys, je->flat_stats,
										   &je->flat_n));
	if (je->flat_values == NULL)
		je->flat_values = MemoryContextAlloc(je->base.hdr.eoh_context,
											 VGM_JOINT_MAX_DIMS * VGM_JOINT_EXACT_VALUES * sizeof(int64));
	je->flat_nvalues_total = vgm_joint_acc_values(&je->acc, je->flat_values, je->flat_nvalues);
	je->flat_valid = true;
	/* a summary that could not be read back must not be stored or sent */
	{
		VgmJointSummaryView v;
		VgmCodecReport report;

		joint_expanded_view(je, &v);

		if (vgm_joint_summary_validate(vgm_joint_summary_version(&v), &v, VGM_REPORT_BUFFERS(report)) != VGM_JOINT_OK)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("cannot summarize these rows: %s", report.msg),
					 errdetail("%s", report.detail)));
	}
}

/* The view of an expanded summary (exported). */
static void
joint_expanded_view(JointExpanded *je, VgmJointSummaryView *v)
{
	joint_expanded_export(je);
	memset(v, 0, sizeof(*v));
	v->d = je->acc.d;
	v->shift = je->acc.shift;
	v->n = je->flat_n;
	v->rows = je->acc.rows;
	v->skipped = je->acc.skipped;
	v->keys = je->flat_keys;
	v->stats = je->flat_stats;
	v->exact = je->acc.exact;
	memcpy(v->nvalues, je->flat_nvalues, sizeof(v->nvalues));
	v->values = je->flat_values;
	vgm_joint_acc_range(&je->acc, v);
}

/* Size of the flat form. */
static Size
joint_get_flat_size(ExpandedObjectHeader *eohptr)
{
	JointExpanded *je = (JointExpanded *) eohptr;

	VgmJointSummaryView v;

	joint_expanded_view(je, &v);
	return VGM_JOINT_SUMMARY_SIZE(v.d, v.n, je->flat_nvalues_total, v.has_range);
}

/* Where the arrays of a flat summary lie after its header. */
typedef struct FlatArrays
{
	int64	   *keys;			/* n x d */
	double	   *stats;			/* n x VGM_JOINT_STRIDE(d) */
	int64	   *counts;			/* d: an exact column's value count, else 0 */
	int64	   *values;			/* the exact columns' values, then the range */
} FlatArrays;

/* The arrays of flat summary s of d columns and n cells. */
static FlatArrays
flat_arrays(VgmJointSummary *s, int d, size_t n)
{
	FlatArrays	a;

	a.keys = s->data;
	a.stats = (double *) (a.keys + n * d);
	a.counts = (int64 *) (a.stats + n * VGM_JOINT_STRIDE(d));
	a.values = a.counts + d;
	return a;
}

/*
 * Write what a flat summary of view v holds besides its cells and values
 * (the caller sized it): the header, the value counts and the range.  The
 * answer says where the cells and values go.
 */
static FlatArrays
flat_header(VgmJointSummary *s, const VgmJointSummaryView *v)
{
	size_t		nvalues = vgm_joint_summary_value_total(v);
	FlatArrays	a = flat_arrays(s, v->d, v->n);

	memset(s, 0, offsetof(VgmJointSummary, data));
	SET_VARSIZE(s, VGM_JOINT_SUMMARY_SIZE(v->d, v->n, nvalues, v->has_range));
	s->version = vgm_joint_summary_version(v);
	s->d = v->d;
	s->shift = v->shift;
	s->ncells = (int32) v->n;
	s->exact = v->exact;
	s->rows = v->rows;
	s->skipped = v->skipped;
	for (int j = 0; j < v->d; j++)
		a.counts[j] = ((v->exact >> j) & 1) ? v->nvalues[j] : 0;
	if (v->has_range)
	{
		double	   *range = (double *) (a.values + nvalues);

		memcpy(range, v->col_min, v->d * sizeof(double));
		memcpy(range + v->d, v->col_max, v->d * sizeof(double));
	}
	return a;
}

/* Fill a flat summary from a view (the caller sized it). */
static void
flat_fill(VgmJointSummary *s, const VgmJointSummaryView *v)
{
	FlatArrays	a = flat_header(s, v);
	size_t		nvalues = vgm_joint_summary_value_total(v);

	if (v->n)
	{
		memcpy(a.keys, v->keys, v->n * v->d * sizeof(int64));
		memcpy(a.stats, v->stats, v->n * VGM_JOINT_STRIDE(v->d) * sizeof(double));
	}
	if (nvalues)
		memcpy(a.values, v->values, nvalues * sizeof(int64));
}

/* Write the flat form into memory the caller allocated. */
static void
joint_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	JointExpanded *je = (JointExpanded *) eohptr;
	VgmJointSummaryView v;

	joint_expanded_view(je, &v);
	Assert(allocated_size == VGM_JOINT_SUMMARY_SIZE(v.d, v.n, vgm_joint_summary_value_total(&v), v.has_range));
	flat_fill((VgmJointSummary *) result, &v);
}

/* Merge a joint summary, flat or expanded, into an expanded summary. */
static void
joint_expanded_merge(ExpandedObjectHeader *eohptr, Datum summary)
{
	JointExpanded *je = (JointExpanded *) eohptr;
	VgmJointSummaryView v;
	int			status;

	vgm_joint_summary_get_view(summary, &v);
	status = vgm_joint_acc_merge(&je->acc, &v);
	je->flat_valid = false;
	if (status == VGM_JOINT_ERR_DIMS)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("cannot merge joint summaries of different column counts"),
				 errdetail("One summary has %d columns, the other %d.", je->acc.d, v.d)));
	report_acc_status(status);
}

/* Start a new expanded joint summary: an empty accumulator on the state's own memory. */
static void
joint_expanded_init(ExpandedObjectHeader *eohptr)
{
	JointExpanded *je = (JointExpanded *) eohptr;

	vgm_joint_acc_init(&je->acc, &je->base.alloc);
}

/* The expanded form of vgm_joint_summary (expanded_state.h). */
static const VgmExpandedKind joint_kind = {
	{joint_get_flat_size, joint_flatten_into},
	"vgm_joint_summary states", sizeof(JointExpanded), joint_expanded_init, joint_expanded_merge
};

/* Read a joint summary argument without modifying it. */
void
vgm_joint_summary_get_view(Datum datum, VgmJointSummaryView *view)
{
	JointExpanded *je = (JointExpanded *) vgm_expanded_of(datum, &joint_kind, false);
	VgmJointSummary *s;
	FlatArrays	a;

	if (je != NULL)
	{
		joint_expanded_view(je, view);
		return;
	}
	s = (VgmJointSummary *) PG_DETOAST_DATUM(datum);
	a = flat_arrays(s, s->d, (size_t) s->ncells);
	memset(view, 0, sizeof(*view));
	view->d = s->d;
	view->shift = s->shift;
	view->n = (size_t) s->ncells;
	view->rows = s->rows;
	view->skipped = s->skipped;
	view->keys = a.keys;
	view->stats = a.stats;
	if (s->version >= VGM_JOINT_SUMMARY_FORMAT_VERSION)
	{
		view->exact = s->exact;
		for (int j = 0; j < view->d; j++)
			view->nvalues[j] = (int) a.counts[j];
		view->values = a.values;
	}
	if (s->version == VGM_JOINT_SUMMARY_FORMAT_VERSION_RANGE)
	{
		const double *range = (const double *) (view->values + vgm_joint_summary_value_total(view));

		view->has_range = true;
		memcpy(view->col_min, range, view->d * sizeof(double));
		memcpy(view->col_max, range + view->d, view->d * sizeof(double));
	}
}

/* The transition state for this call (expanded_state.h). */
static inline JointExpanded *
joint_state(FunctionCallInfo fcinfo, const char *fname)
{
	return (JointExpanded *) vgm_transition_state(fcinfo, fname, &joint_kind);
}

/* Check the shape of a row array; returns its element count. */
static int
row_length(ArrayType *arr, const VgmJointAcc *acc)
{
	int			n;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("vgm_joint_summarize expects a one-dimensional array"),
				 errdetail("The row has %d dimensions.", ARR_NDIM(arr))));
	n = ARR_NDIM(arr) == 0 ? 0 : ARR_DIMS(arr)[0];
	if (n > 0 && ARR_LBOUND(arr)[0] != 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("vgm_joint_summarize expects arrays indexed from 1"),
				 errdetail("The row is indexed from %d; element j is column j.", ARR_LBOUND(arr)[0])));
	if (n > VGM_JOINT_MAX_DIMS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("vgm_joint_summarize takes at most %d columns", VGM_JOINT_MAX_DIMS),
				 errdetail("The row has %d elements.", n)));
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("vgm_joint_summarize expects at least one column"),
				 errdetail("The row is an empty array.")));
	if (acc->d != 0 && n != acc->d)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("vgm_joint_summarize rows must all have the same length"),
				 errdetail("This row has %d elements; the rows before it have %d.", n, acc->d)));
	return n;
}

/* Report the non-finite element of a row. */
static void
report_nonfinite(const double *x, int d)
{
	for (int j = 0; j < d; j++)
		if (!isfinite(x[j]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("vgm_joint_summarize values must be finite"),
					 errdetail("Element %d of the row is %s.", j + 1,
							   isnan(x[j]) ? "NaN" : x[j] > 0 ? "Infinity" : "-Infinity"),
					 errhint("Filter such rows, or map them to NULL to have them skipped and counted.")));
	elog(ERROR, "vgm_joint_summarize: no non-finite element found");
}

/* vgm_joint_summarize(float8[]) transition: one row into the summary. */
Datum
vgm_joint_summarize_sfunc(PG_FUNCTION_ARGS)
{
	JointExpanded *je = joint_state(fcinfo, "vgm_joint_summarize_sfunc");
	ArrayType  *arr;
	int			d;
	int			status;

	je->flat_valid = false;
	if (PG_ARGISNULL(1))
	{
		report_acc_status(vgm_joint_acc_skip(&je->acc));
		PG_RETURN_DATUM(EOHPGetRWDatum(&je->base.hdr));
	}
	arr = PG_GETARG_ARRAYTYPE_P(1);
	d = row_length(arr, &je->acc);
	/* any row with a length fixes d, also one that is skipped */
	if (unlikely(je->acc.d == 0))
		report_acc_status(vgm_joint_acc_set_dims(&je->acc, d));
	if (ARR_HASNULL(arr) && array_contains_nulls(arr))
	{
		report_acc_status(vgm_joint_acc_skip(&je->acc));
		PG_RETURN_DATUM(EOHPGetRWDatum(&je->base.hdr));
	}
	/* float8 elements without NULLs lie contiguous after the header */
	status = vgm_joint_acc_add(&je->acc, (const double *) ARR_DATA_PTR(arr));
	if (status == VGM_JOINT_ERR_NONFINITE)
		report_nonfinite((const double *) ARR_DATA_PTR(arr), d);
	report_acc_status(status);
	PG_RETURN_DATUM(EOHPGetRWDatum(&je->base.hdr));
}

/* Combine function, and transition of vgm_rollup(vgm_joint_summary): exact merge. */
Datum
vgm_joint_summary_combine(PG_FUNCTION_ARGS)
{
	return vgm_expanded_merge_arg(fcinfo, "vgm_joint_summary_combine", &joint_kind, true);
}

/* A flat copy of a view. */
static VgmJointSummary *
flat_from_view(const VgmJointSummaryView *v)
{
	VgmJointSummary *s = palloc(VGM_JOINT_SUMMARY_SIZE(v->d, v->n, vgm_joint_summary_value_total(v), v->has_range));

	flat_fill(s, v);
	return s;
}

/* Text input: parse and validate untrusted text (it may come from another node). */
Datum
vgm_joint_summary_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	VgmJointSummaryView v;
	void	   *block;
	VgmCodecReport report;
	VgmJointSummary *s;

	vgm_codec_check(vgm_joint_summary_parse(str, strlen(str), &v, &block, vgm_palloc_allocator(),
											VGM_REPORT_BUFFERS(report)),
					false, &report);
	s = flat_from_view(&v);
	if (block)
		pfree(block);
	PG_RETURN_POINTER(s);
}

/* Text output: the JSON form. */
Datum
vgm_joint_summary_out(PG_FUNCTION_ARGS)
{
	VgmJointSummaryView v;
	JtOut		out;

	vgm_joint_summary_get_view(PG_GETARG_DATUM(0), &v);
	vgm_joint_summary_write(vgm_codec_out_begin(&out, 128 + v.n * VGM_JOINT_STRIDE(v.d) * 24), &v);
	PG_RETURN_CSTRING(vgm_codec_out_text(&out, "vgm_joint_summary"));
}

/*
 * Binary input: header and exact length first, then the cells and values
 * straight into the flat datum, then validation; the header, value counts
 * and range last, from the decoded view.
 */
Datum
vgm_joint_summary_recv(PG_FUNCTION_ARGS)
{
	VgmRecvMessage m;
	VgmJointSummaryView v;
	VgmJointSummary *s;
	FlatArrays	a;

	vgm_recv_open(&m, fcinfo);
	vgm_recv_check(&m, vgm_joint_summary_decode_head(m.data, m.len, &v, VGM_REPORT_BUFFERS(m.report)));
	s = palloc(VGM_JOINT_SUMMARY_SIZE(v.d, v.n, vgm_joint_summary_value_total(&v), v.has_range));
	a = flat_arrays(s, v.d, v.n);
	vgm_recv_check(&m, vgm_joint_summary_decode_body(m.data, m.len, &v, a.values, a.keys, a.stats,
													 VGM_REPORT_BUFFERS(m.report)));
	flat_header(s, &v);
	PG_RETURN_POINTER(s);
}

/* Binary output. */
Datum
vgm_joint_summary_send(PG_FUNCTION_ARGS)
{
	VgmJointSummaryView v;
	bytea	   *result;

	vgm_joint_summary_get_view(PG_GETARG_DATUM(0), &v);
	vgm_joint_summary_encode(&v, vgm_send_buffer(vgm_joint_summary_binary_size(&v), &result));
	PG_RETURN_BYTEA_P(result);
}

/*
 * What a joint summary holds: (rows, skipped_rows, columns, cells, shift,
 * relative_width, bytes).
 */
Datum
vgm_joint_summary_info(PG_FUNCTION_ARGS)
{
	VgmJointSummaryView v;
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	Datum		exact[VGM_JOINT_MAX_DIMS];
	int			nexact = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	vgm_joint_summary_get_view(PG_GETARG_DATUM(0), &v);
	values[0] = Int64GetDatum(v.rows);
	values[1] = Int64GetDatum(v.skipped);
	values[2] = Int32GetDatum(v.d);
	values[3] = Int32GetDatum((int32) v.n);
	values[4] = Int32GetDatum(v.shift);
	/* largest relative width of a bucket in one column (the low end of a binade) */
	values[5] = Float8GetDatum(ldexp(1.0, v.shift - 52));
	values[6] = Int64GetDatum((int64) VGM_JOINT_SUMMARY_SIZE(v.d, v.n, vgm_joint_summary_value_total(&v), v.has_range));
	/* the exact columns (numbered from 1, as vgm_marginal numbers them) */
	for (int j = 0; j < v.d; j++)
		if ((v.exact >> j) & 1)
			exact[nexact++] = Int32GetDatum(j + 1);
	values[7] = PointerGetDatum(construct_array(exact, nexact, INT4OID, sizeof(int32), true,
												TYPALIGN_INT));
	if (v.d == 0)
		nulls[2] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * The summary's exact global moments: (rows, mean float8[], covariance
 * float8[][]), the covariance with divisor rows (covar_pop).
 */
Datum
vgm_joint_summary_moments(PG_FUNCTION_ARGS)
{
	VgmJointSummaryView v;
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	double		weight;
	double	   *mean;
	double	   *cov;
	Datum	   *md;
	Datum	   *cd;
	int			dims[2];
	int			lbs[2] = {1, 1};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	vgm_joint_summary_get_view(PG_GETARG_DATUM(0), &v);
	values[0] = Int64GetDatum(v.rows);
	if (v.rows == 0)
	{
		nulls[1] = nulls[2] = true;
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	}
	mean = palloc(v.d * sizeof(double));
	cov = palloc(v.d * v.d * sizeof(double));
	vgm_joint_global_moments(&v, &weight, mean, cov);
	md = palloc(v.d * sizeof(Datum));
	cd = palloc(v.d * v.d * sizeof(Datum));
	for (int i = 0; i < v.d; i++)
		md[i] = Float8GetDatum(mean[i]);
	for (int i = 0; i < v.d * v.d; i++)
		cd[i] = Float8GetDatum(cov[i]);
	dims[0] = dims[1] = v.d;
	values[1] = PointerGetDatum(construct_array(md, v.d, FLOAT8OID, sizeof(float8),
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[2] = PointerGetDatum(construct_md_array(cd, NULL, 2, dims, lbs, FLOAT8OID,
												   sizeof(float8), FLOAT8PASSBYVAL,
												   TYPALIGN_DOUBLE));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
