/*
 * summary.c - the vgm_summary type and the aggregates that build it:
 *             vgm_summarize(x), vgm_summarize(x, weight), vgm_rollup(s),
 *             their shared combine function, text and binary I/O.
 *
 * While an aggregate runs, the state is a read-write expanded object (a
 * hash table of buckets, see summary_core.c; the glue it shares with the
 * joint summary is in expanded_state.h) whose memory context is a child
 * of the aggregate context: the executor then neither copies nor frees it
 * between rows, so each row costs one hash probe and a few multiply-adds.
 * Whenever the state leaves the aggregate (parallel workers, Citus, a
 * stored column) it is flattened into the sorted varlena form.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"

#include "binary_codec.h"
#include "codec_errcode.h"
#include "expanded_state.h"
#include "summary.h"
#include "vgm.h"

PG_FUNCTION_INFO_V1(vgm_summary_in);
PG_FUNCTION_INFO_V1(vgm_summary_out);
PG_FUNCTION_INFO_V1(vgm_summary_recv);
PG_FUNCTION_INFO_V1(vgm_summary_send);
PG_FUNCTION_INFO_V1(vgm_summarize_sfunc);
PG_FUNCTION_INFO_V1(vgm_summarize_weighted_sfunc);
PG_FUNCTION_INFO_V1(vgm_rollup_sfunc);
PG_FUNCTION_INFO_V1(vgm_summary_combine);
PG_FUNCTION_INFO_V1(vgm_summary_info);
PG_FUNCTION_INFO_V1(vgm_summary_buckets);
PG_FUNCTION_INFO_V1(vgm_summary_heavy);

/* The expanded (accumulating) form of a summary. */
typedef struct VgmSummaryExpanded
{
	VgmExpandedState base;		/* header and allocator (expanded_state.h) */
	VgmAccumulator acc;
	VgmBucket  *flat;			/* buckets exported for flattening */
	size_t		flat_n;
	VgmHeavy   *flat_heavy;		/* heavy values exported with them */
	size_t		flat_nheavy;
	bool		flat_valid;
} VgmSummaryExpanded;

/* Raise the error for a failed accumulator operation. */
static void
report_acc_status(int status)
{
	if (status == VGM_SUMMARY_ERR_NOMEM)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory in vgm_summary"),
				 errdetail("A summary holds at most %d buckets.", VGM_SUMMARY_MAX_BUCKETS)));
	if (status == VGM_SUMMARY_ERR_OVERFLOW)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("vgm_summary counts overflow"),
				 errdetail("The merged summaries would count more than %lld rows, NULLs, NaNs or infinities of one kind.",
						   (long long) PG_INT64_MAX)));
	if (status != VGM_SUMMARY_OK)
		elog(ERROR, "unexpected vgm_summary status %d", status);
}

/*
 * Magnitude below which no bucket moment can overflow with unit weights: a
 * bucket's spread is at most its values' magnitude, and 1e70^4 times any
 * row count stays finite.
 */
#define SAFE_VALUE_MAGNITUDE 1e70

/*
 * Explain why the exported buckets do not form a valid summary.  The sums of
 * weight * (x - mean)^k overflow either because the weights are huge or
 * because the values are: tell the user which, in their terms.
 */
static void
report_unsummarizable(VgmSummaryExpanded *es)
{
	const VgmSummaryCounts *c = &es->acc.counts;
	double		magnitude = Max(fabs(c->min), fabs(c->max));
	double		total = 0.0;
	double		max_weight = 0.0;
	size_t		i;

	for (i = 0; i < es->flat_n; i++)
	{
		total += es->flat[i].weight;
		max_weight = Max(max_weight, es->flat[i].weight);
	}
	if (!isfinite(total) || magnitude < SAFE_VALUE_MAGNITUDE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("weights too large to summarize"),
				 errdetail("The values lie in [%g, %g], but with weights of up to %g per bucket the weighted sums of their powers overflow a double.",
						   c->min, c->max, max_weight),
				 errhint("Weights are relative: divide them all by a common factor, such as their maximum.")));
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("values too large to summarize"),
			 errdetail("The values lie in [%g, %g]; %zu buckets of them hold spreads whose fourth power overflows a double.",
					   c->min, c->max, es->flat_n),
			 errhint("Rescale the column (for example divide it by 1e100) or summarize values below about 1e70 in magnitude.")));
}

/* Export the buckets of an expanded summary (cached until it changes). */
static void
summary_expanded_export(VgmSummaryExpanded *es)
{
	if (es->flat_valid)
		return;
	report_acc_status(vgm_acc_flush(&es->acc));
	if (es->flat)
		pfree(es->flat);
	es->flat = MemoryContextAllocHuge(es->base.hdr.eoh_context,
									  Max(es->acc.nused, 1) * sizeof(VgmBucket));
	es->flat_n = vgm_acc_export(&es->acc, es->flat);
	if (es->flat_heavy == NULL)
		es->flat_heavy = MemoryContextAlloc(es->base.hdr.eoh_context, VGM_HEAVY_LIVE * sizeof(VgmHeavy));
	{
		double		total = 0.0;

		for (size_t i = 0; i < es->flat_n; i++)
			total += es->flat[i].weight;
		es->flat_nheavy = vgm_acc_export_heavy(&es->acc, total, es->flat_heavy);
	}
	es->flat_valid = true;
	/* a summary that could not be read back must not be stored */
	{
		VgmCodecReport report;

		if (vgm_summary_validate(VGM_SUMMARY_FORMAT_VERSION, es->acc.shift, &es->acc.counts,
								 es->flat, es->flat_n, VGM_REPORT_BUFFERS(report)) != VGM_SUMMARY_OK)
			report_unsummarizable(es);
		if (vgm_heavy_validate(es->acc.shift, es->flat, es->flat_n, es->flat_heavy,
							   es->flat_nheavy, VGM_REPORT_BUFFERS(report)) != VGM_SUMMARY_OK)
			elog(ERROR, "vgm_summary heavy values inconsistent: %s (%s)", report.msg, report.detail);
	}
}

/*
 * Write a flat summary of size bytes: its header, then the buckets and the
 * heavy values when given (NULL: the caller decodes them into place).  The
 * version is the oldest that holds the summary: 2 only with heavy values.
 */
static void
summary_flat_fill(VgmSummary *s, Size size, int shift, const VgmSummaryCounts *counts,
				  const VgmBucket *buckets, size_t n, const VgmHeavy *heavy, size_t nheavy)
{
	memset(s, 0, offsetof(VgmSummary, buckets));
	SET_VARSIZE(s, size);
	s->version = nheavy > 0 ? VGM_SUMMARY_HEAVY_VERSION : VGM_SUMMARY_FORMAT_VERSION;
	s->shift = shift;
	s->nbuckets = (int32) n;
	s->counts = *counts;
	if (buckets != NULL && n > 0)
		memcpy(s->buckets, buckets, n * sizeof(VgmBucket));
	if (heavy != NULL && nheavy > 0)
		memcpy(&s->buckets[n], heavy, nheavy * sizeof(VgmHeavy));
}

/* Size of the flat form. */
static Size
summary_get_flat_size(ExpandedObjectHeader *eohptr)
{
	VgmSummaryExpanded *es = (VgmSummaryExpanded *) eohptr;

	summary_expanded_export(es);
	return VGM_SUMMARY_SIZE_HEAVY(es->flat_n, es->flat_nheavy);
}

/* Write the flat form into memory the caller allocated. */
static void
summary_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	VgmSummaryExpanded *es = (VgmSummaryExpanded *) eohptr;

	summary_expanded_export(es);
	Assert(allocated_size == VGM_SUMMARY_SIZE_HEAVY(es->flat_n, es->flat_nheavy));
	summary_flat_fill((VgmSummary *) result, allocated_size, es->acc.shift, &es->acc.counts,
					  es->flat, es->flat_n, es->flat_heavy, es->flat_nheavy);
}

/* Start a new expanded summary: an empty accumulator on the state's own memory. */
static void
summary_expanded_init(ExpandedObjectHeader *eohptr)
{
	VgmSummaryExpanded *es = (VgmSummaryExpanded *) eohptr;

	report_acc_status(vgm_acc_init(&es->acc, &es->base.alloc, VGM_SUMMARY_FINEST_SHIFT,
								   VGM_SUMMARY_MAX_BUCKETS));
}

/* Merge a summary, flat or expanded, into an expanded summary. */
static void
summary_expanded_merge(ExpandedObjectHeader *eohptr, Datum summary)
{
	VgmSummaryExpanded *es = (VgmSummaryExpanded *) eohptr;
	VgmSummaryView v;

	vgm_summary_get_view(summary, &v);
	report_acc_status(vgm_acc_merge_summary(&es->acc, v.shift, v.buckets, v.n, v.heavy, v.nheavy));
	report_acc_status(vgm_counts_merge(&es->acc.counts, &v.counts));
	es->flat_valid = false;
}

/* The expanded form of vgm_summary (expanded_state.h). */
static const VgmExpandedKind summary_kind = {
	{summary_get_flat_size, summary_flatten_into},
	"vgm_summary states", sizeof(VgmSummaryExpanded), summary_expanded_init, summary_expanded_merge
};

/* Read a summary argument without modifying it. */
void
vgm_summary_get_view(Datum datum, VgmSummaryView *view)
{
	VgmSummaryExpanded *es = (VgmSummaryExpanded *) vgm_expanded_of(datum, &summary_kind, false);

	if (es != NULL)
	{
		summary_expanded_export(es);
		view->shift = es->acc.shift;
		view->counts = es->acc.counts;
		view->buckets = es->flat;
		view->n = es->flat_n;
		view->heavy = es->flat_heavy;
		view->nheavy = es->flat_nheavy;
	}
	else
	{
		VgmSummary *s = (VgmSummary *) PG_DETOAST_DATUM(datum);

		view->shift = s->shift;
		view->counts = s->counts;
		view->buckets = s->buckets;
		view->n = (size_t) s->nbuckets;
		/* version 2: the heavy values fill the rest of the datum */
		view->heavy = (const VgmHeavy *) &s->buckets[s->nbuckets];
		view->nheavy = s->version == VGM_SUMMARY_HEAVY_VERSION
			? (VARSIZE(s) - VGM_SUMMARY_SIZE(s->nbuckets)) / sizeof(VgmHeavy) : 0;
	}
}

/* The transition state for this call (expanded_state.h). */
static inline VgmSummaryExpanded *
summary_state(FunctionCallInfo fcinfo, const char *fname)
{
	return (VgmSummaryExpanded *) vgm_transition_state(fcinfo, fname, &summary_kind);
}

/* Add one to a count, which a rolled-up input may have brought to INT64_MAX. */
static inline void
count_one(int64 *count)
{
	if (unlikely(*count == PG_INT64_MAX))
		report_acc_status(VGM_SUMMARY_ERR_OVERFLOW);
	(*count)++;
}

/* Count a non-finite value instead of summarizing it. */
static inline bool
count_nonfinite(VgmSummaryCounts *c, double x)
{
	if (likely(isfinite(x)))
		return false;
	if (isnan(x))
		count_one(&c->nans);
	else if (x > 0)
		count_one(&c->pos_infs);
	else
		count_one(&c->neg_infs);
	return true;
}

/* The weight of a row whose value x is not NULL: argument 2, non-negative and finite. */
static inline double
row_weight(FunctionCallInfo fcinfo, double x)
{
	double		w;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("vgm_summarize weight must not be null"),
				 errdetail("The value %g has a NULL weight.", x)));
	w = PG_GETARG_FLOAT8(2);
	if (!(w >= 0.0) || !isfinite(w))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vgm_summarize weight must be a non-negative finite number"),
				 errdetail("The value %g has weight %g.", x, w)));
	return w;
}

/*
 * The one row path of both vgm_summarize transitions: argument 1 into the
 * state, a NULL or non-finite value counted; weighted rows take argument 2
 * as the weight, and a zero weight leaves the state as it was.
 */
static inline Datum
summarize_row(FunctionCallInfo fcinfo, const char *fname, bool weighted)
{
	VgmSummaryExpanded *es = summary_state(fcinfo, fname);

	if (PG_ARGISNULL(1))
		count_one(&es->acc.counts.nulls);
	else
	{
		double		x = PG_GETARG_FLOAT8(1);
		double		w = weighted ? row_weight(fcinfo, x) : 1.0;

		if (w > 0.0 && !count_nonfinite(&es->acc.counts, x))
			report_acc_status(vgm_acc_add(&es->acc, x, w));
	}
	es->flat_valid = false;
	return EOHPGetRWDatum(&es->base.hdr);
}

/* vgm_summarize(x) transition: one row into the summary. */
Datum
vgm_summarize_sfunc(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(summarize_row(fcinfo, "vgm_summarize_sfunc", false));
}

/* vgm_summarize(x, weight) transition: a weighted row; zero weight is ignored. */
Datum
vgm_summarize_weighted_sfunc(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(summarize_row(fcinfo, "vgm_summarize_weighted_sfunc", true));
}

/* vgm_rollup(s) transition: merge a stored summary. */
Datum
vgm_rollup_sfunc(PG_FUNCTION_ARGS)
{
	return vgm_expanded_merge_arg(fcinfo, "vgm_rollup_sfunc", &summary_kind, false);
}

/* Combine function shared by every summary aggregate: exact bucket-wise merge. */
Datum
vgm_summary_combine(PG_FUNCTION_ARGS)
{
	return vgm_expanded_merge_arg(fcinfo, "vgm_summary_combine", &summary_kind, true);
}

/* Flat summary from its parts (copying; NULL arrays: the caller writes them). */
static VgmSummary *
summary_flat_from_parts(int shift, const VgmSummaryCounts *counts,
						const VgmBucket *buckets, size_t n,
						const VgmHeavy *heavy, size_t nheavy)
{
	Size		size = VGM_SUMMARY_SIZE_HEAVY(n, nheavy);
	VgmSummary *s = palloc(size);

	summary_flat_fill(s, size, shift, counts, buckets, n, heavy, nheavy);
	return s;
}

/* Text input: parse and validate untrusted text (it may come from another node). */
Datum
vgm_summary_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	int			shift;
	VgmSummaryCounts counts;
	VgmBucket  *buckets;
	size_t		n;
	VgmHeavy   *heavy;
	size_t		nheavy;
	VgmCodecReport report;
	VgmSummary *s;

	vgm_codec_check(vgm_summary_parse(str, strlen(str), &shift, &counts, &buckets, &n, &heavy, &nheavy,
									  vgm_palloc_allocator(), VGM_REPORT_BUFFERS(report)),
					false, &report);
	s = summary_flat_from_parts(shift, &counts, buckets, n, heavy, nheavy);
	if (buckets)
		pfree(buckets);
	if (heavy)
		pfree(heavy);
	PG_RETURN_POINTER(s);
}

/*
 * Which text vgm_summary_out writes (GUC vgm.summary_text): the readable
 * JSON bucket array, the compact "packed" field (summary_pack.h), or, by
 * default, compact only for summaries above VGM_SUMMARY_TEXT_AUTO_BUCKETS
 * buckets -- where the size matters: Citus moves partial aggregate states as
 * the type's text, and a 30k-bucket state is 2.6 MB readable, 0.9 MB packed.
 */
int			vgm_summary_text_form = VGM_SUMMARY_TEXT_AUTO;

/* Text output: JSON, readable or packed (see vgm_summary_text_form). */
Datum
vgm_summary_out(PG_FUNCTION_ARGS)
{
	VgmSummaryView v;
	JtOut		out;
	bool		packed;

	vgm_summary_get_view(PG_GETARG_DATUM(0), &v);
	packed = vgm_summary_text_form == VGM_SUMMARY_TEXT_COMPACT
		|| (vgm_summary_text_form == VGM_SUMMARY_TEXT_AUTO && v.n > VGM_SUMMARY_TEXT_AUTO_BUCKETS);
	vgm_summary_write(vgm_codec_out_begin(&out, (packed ? 320 + v.n * 32 : 256 + v.n * 140)
										  + v.nheavy * 80),
					  packed, v.shift, &v.counts, v.buckets, v.n, v.heavy, v.nheavy);
	PG_RETURN_CSTRING(vgm_codec_out_text(&out, "vgm_summary"));
}

/*
 * Binary input: binary_codec.c checks the header and the length, then reads
 * the buckets straight into the flat datum and validates the summary.
 */
Datum
vgm_summary_recv(PG_FUNCTION_ARGS)
{
	VgmRecvMessage m;
	VgmSummaryWireHead head;
	VgmSummary *s;

	vgm_recv_open(&m, fcinfo);
	vgm_recv_check(&m, vgm_summary_decode_head(m.data, m.len, &head, VGM_REPORT_BUFFERS(m.report)));
	/* the header now, the buckets and heavy values decoded into place below */
	s = summary_flat_from_parts(head.shift, &head.counts, NULL, head.n, NULL, head.nheavy);
	vgm_recv_check(&m, vgm_summary_decode_body(m.data, m.len, &head, s->buckets,
											   (VgmHeavy *) &s->buckets[head.n],
											   VGM_REPORT_BUFFERS(m.report)));
	PG_RETURN_POINTER(s);
}

/* Binary output: the layout of binary_codec.h. */
Datum
vgm_summary_send(PG_FUNCTION_ARGS)
{
	VgmSummaryView v;
	bytea	   *result;

	vgm_summary_get_view(PG_GETARG_DATUM(0), &v);
	vgm_summary_encode(v.shift, &v.counts, v.buckets, v.n, v.heavy, v.nheavy,
					   vgm_send_buffer(vgm_summary_binary_size(v.n, v.nheavy), &result));
	PG_RETURN_BYTEA_P(result);
}

/* Size and resolution facts of a summary as one record. */
Datum
vgm_summary_info(PG_FUNCTION_ARGS)
{
	VgmSummaryView v;
	VgmMoments	m;
	TupleDesc	tupdesc;
	Datum		values[12];
	bool		nulls[12];

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	vgm_summary_get_view(PG_GETARG_DATUM(0), &v);
	vgm_buckets_moments(v.buckets, v.n, &m);
	memset(nulls, 0, sizeof(nulls));
	values[0] = Int64GetDatum(v.counts.rows);
	values[1] = Float8GetDatum(m.weight);
	values[2] = Int64GetDatum((int64) v.n);
	/* largest relative bucket width: the low end of a binade */
	values[3] = Float8GetDatum(ldexp(1.0, v.shift - 52));
	values[4] = Int64GetDatum(v.counts.nulls);
	values[5] = Int64GetDatum(v.counts.nans);
	values[6] = Int64GetDatum(v.counts.pos_infs);
	values[7] = Int64GetDatum(v.counts.neg_infs);
	values[8] = Float8GetDatum(v.counts.min);
	values[9] = Float8GetDatum(v.counts.max);
	values[10] = Int64GetDatum((int64) VGM_SUMMARY_SIZE_HEAVY(v.n, v.nheavy));
	/* values whose exact weight is known: every bucket at shift 0, else the table */
	values[11] = Int64GetDatum((int64) (v.shift == 0 ? v.n : v.nheavy));
	if (v.counts.rows == 0)
		nulls[8] = nulls[9] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* One row per bucket: (key, weight, mean, stddev). */
Datum
vgm_summary_buckets(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	VgmSummaryView v;
	size_t		i;

	InitMaterializedSRF(fcinfo, 0);
	vgm_summary_get_view(PG_GETARG_DATUM(0), &v);
	for (i = 0; i < v.n; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = Int64GetDatum(v.buckets[i].key);
		values[1] = Float8GetDatum(v.buckets[i].weight);
		values[2] = Float8GetDatum(v.buckets[i].mean);
		values[3] = Float8GetDatum(sqrt(v.buckets[i].m2 / v.buckets[i].weight));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * The values with an exact or bounded weight: (value, weight, missed,
 * exact).  At shift 0 every bucket is one value and all are listed (missed
 * 0); otherwise the heavy-value table.  With min_share, only the values
 * whose counted weight reaches that share of the total weight.
 */
Datum
vgm_summary_heavy(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	VgmSummaryView v;
	double		min_share = PG_GETARG_FLOAT8(1);
	double		total = 0.0;
	size_t		count;

	if (!(min_share >= 0.0 && min_share <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_share must be in [0, 1]"),
				 errdetail("The value given was %g.", min_share)));
	InitMaterializedSRF(fcinfo, 0);
	vgm_summary_get_view(PG_GETARG_DATUM(0), &v);
	for (size_t i = 0; i < v.n; i++)
		total += v.buckets[i].weight;
	count = v.shift == 0 ? v.n : v.nheavy;
	for (size_t i = 0; i < count; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		double		value = v.shift == 0 ? vgm_key_value(v.buckets[i].key) : v.heavy[i].value;
		double		weight = v.shift == 0 ? v.buckets[i].weight : v.heavy[i].weight;
		double		missed = v.shift == 0 ? 0.0 : v.heavy[i].missed;

		if (weight < min_share * total)
			continue;
		values[0] = Float8GetDatum(value);
		values[1] = Float8GetDatum(weight);
		values[2] = Float8GetDatum(missed);
		values[3] = BoolGetDatum(missed == 0.0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
