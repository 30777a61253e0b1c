/*
 * validate_ks.c - one- and two-sample Kolmogorov-Smirnov tests against
 *                 the plug-in mixture: the vgm_ks_state type, the
 *                 vgm_ks / vgm_ks_state aggregates, vgm_ks_2samp,
 *                 vgm_ks_info, vgm_ks_effects and the null distributions
 *                 as SQL functions.
 *
 * vgm_ks(model, x) maps x -> u = F(x) through the model's CDF (probability
 * integral transform) into a fixed histogram of 2^16 bins over [0, 1]: a
 * concrete varlena type, updated in place, merged by adding counts.  A
 * state remembers a hash of the model it was built with, so mixing models
 * within one group or across merged states is an error.
 */
#include "postgres.h"

#include <math.h>

#include "common/int.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "binary_codec.h"
#include "codec_errcode.h"
#include "model.h"
#include "validate.h"
#include "vgm.h"

PG_FUNCTION_INFO_V1(vgm_ks_state_in);
PG_FUNCTION_INFO_V1(vgm_ks_state_out);
PG_FUNCTION_INFO_V1(vgm_ks_state_recv);
PG_FUNCTION_INFO_V1(vgm_ks_state_send);
PG_FUNCTION_INFO_V1(vgm_ks_sfunc);
PG_FUNCTION_INFO_V1(vgm_ks_combine);
PG_FUNCTION_INFO_V1(vgm_ks_final);
PG_FUNCTION_INFO_V1(vgm_ks_2samp);
PG_FUNCTION_INFO_V1(vgm_ks_info);
PG_FUNCTION_INFO_V1(vgm_ks_effects_sql);
PG_FUNCTION_INFO_V1(vgm_kstwo_sf_sql);
PG_FUNCTION_INFO_V1(vgm_kstwobign_sf_sql);
PG_FUNCTION_INFO_V1(vgm_ks_2samp_sf_sql);

/* ---------------------------------------------------------------------- */
/* the vgm_ks_state type                                                   */
/* ---------------------------------------------------------------------- */

/*
 * A fixed-size varlena: header, counts, then one int64 per bin.  2^16 bins
 * bound the binning error of D by 1/2^16 (1.5e-5), below the sampling noise
 * 1.36/sqrt(n) of a 5% test up to n ~ 8e9 rows, while the state (512 KiB)
 * still sits in a core's L2 cache, so a row costs no memory stall.
 */
typedef struct VgmKsState
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int32		version;		/* VGM_KS_FORMAT_VERSION */
	int32		nbins;			/* VGM_KS_BINS */
	int32		unused;			/* keeps the counts 8-byte aligned */
	VgmKsCounts c;
	int64		counts[FLEXIBLE_ARRAY_MEMBER];
} VgmKsState;

#define VGM_KS_STATE_SIZE (offsetof(VgmKsState, counts) + sizeof(int64) * VGM_KS_BINS)

/* A new empty state for a model, in the current memory context. */
static VgmKsState *
ks_state_new(uint64 hash)
{
	VgmKsState *s = palloc0(VGM_KS_STATE_SIZE);

	SET_VARSIZE(s, VGM_KS_STATE_SIZE);
	s->version = VGM_KS_FORMAT_VERSION;
	s->nbins = VGM_KS_BINS;
	s->c.model_hash = hash;
	return s;
}

/*
 * Record the jumps of a model with atoms in a new state: the bins wholly
 * inside (F(a-), F(a)), which no value maps to (vgm_model_cache_ks_u).
 */
static void
ks_state_set_jumps(VgmKsState *s, VgmCachedModel *m)
{
	int			i;

	vgm_model_cache_cdf(m);
	s->c.n_jumps = 0;
	for (i = 0; i < m->n_atoms; i++)
	{
		/* above the bin of F(a-), below the bin of F(a) */
		int			lo = vgm_ks_bin(m->atom_cdf_left[i]) + 1;
		int			hi = vgm_ks_bin(m->atom_cdf_right[i]) - 1;

		if (lo <= hi)
		{
			s->c.jumps[s->c.n_jumps][0] = lo;
			s->c.jumps[s->c.n_jumps][1] = hi;
			s->c.n_jumps++;
		}
	}
}

/* A stored state is validated on input; a wrong size or version means corruption. */
static void
ks_state_check(const VgmKsState *s)
{
	if (VARSIZE(s) != VGM_KS_STATE_SIZE || s->version != VGM_KS_FORMAT_VERSION
		|| s->nbins != VGM_KS_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid vgm_ks_state: unexpected layout"),
				 errdetail("The state has %zu bytes, version %d and %d bins; expected %zu bytes, version %d and %d bins.",
						   (Size) VARSIZE(s), s->version, s->nbins, (Size) VGM_KS_STATE_SIZE,
						   VGM_KS_FORMAT_VERSION, VGM_KS_BINS)));
}

/* Detoast and check a state argument (read only). */
static VgmKsState *
ks_state_arg(FunctionCallInfo fcinfo, int argno)
{
	VgmKsState *s = (VgmKsState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	ks_state_check(s);
	return s;
}

/* Text input: parse and validate untrusted text (Citus moves partial states as text). */
Datum
vgm_ks_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	VgmKsState *s = ks_state_new(0);
	VgmCodecReport report;

	vgm_codec_check(vgm_ks_parse(str, strlen(str), &s->c, s->counts, VGM_KS_BINS,
								 VGM_REPORT_BUFFERS(report)),
					false, &report);
	PG_RETURN_POINTER(s);
}

/* Text output: JSON, empty bins run-length coded; lossless. */
Datum
vgm_ks_state_out(PG_FUNCTION_ARGS)
{
	VgmKsState *s = ks_state_arg(fcinfo, 0);
	JtOut		out;

	vgm_ks_write(vgm_codec_out_begin(&out, 1024), &s->c, s->counts, VGM_KS_BINS);
	PG_RETURN_CSTRING(vgm_codec_out_text(&out, "vgm_ks_state"));
}

/*
 * Binary input: binary_codec.c reads the nonzero bins as (index, count)
 * pairs straight into the state and validates it.
 */
Datum
vgm_ks_state_recv(PG_FUNCTION_ARGS)
{
	size_t		len;
	const uint8 *data = vgm_recv_bytes((StringInfo) PG_GETARG_POINTER(0), &len);
	VgmKsState *s = ks_state_new(0);
	VgmCodecReport report;

	vgm_codec_check(vgm_ks_decode(data, len, &s->c, s->counts, VGM_KS_BINS,
								  VGM_REPORT_BUFFERS(report)),
					true, &report);
	PG_RETURN_POINTER(s);
}

/* Binary output: the layout of binary_codec.h. */
Datum
vgm_ks_state_send(PG_FUNCTION_ARGS)
{
	VgmKsState *s = ks_state_arg(fcinfo, 0);
	bytea	   *result;

	vgm_ks_encode(&s->c, s->counts, VGM_KS_BINS,
				  vgm_send_buffer(vgm_ks_binary_size(s->counts, VGM_KS_BINS) +
								  vgm_ks_binary_jumps_size(&s->c), &result));
	PG_RETURN_BYTEA_P(result);
}

/* ---------------------------------------------------------------------- */
/* KS aggregates                                                           */
/* ---------------------------------------------------------------------- */

/*
 * vgm_ks(model, x) / vgm_ks_state(model, x) transition: one row into the
 * histogram.  The state is a plain varlena the executor keeps in the
 * aggregate context, so it is updated in place and returned as is; the
 * first row's new state lives in the per-tuple context because the
 * executor copies any new state into the aggregate context anyway.
 */
Datum
vgm_ks_sfunc(PG_FUNCTION_ARGS)
{
	VgmCachedModel *m;
	VgmKsState *s;
	uint64		hash;
	double		x;

	vgm_require_aggregate(fcinfo, "vgm_ks_sfunc");
	if (unlikely(PG_ARGISNULL(1)))
		vgm_null_model_error(vgm_agg_name(fcinfo, "vgm_ks"));
	m = vgm_model_cache_get(fcinfo, 1);
	hash = vgm_model_cache_cdf_hash(m);
	if (unlikely(PG_ARGISNULL(0)))
	{
		s = ks_state_new(hash);
		if (m->n_atoms > 0)
			ks_state_set_jumps(s, m);
	}
	else
	{
		s = (VgmKsState *) DatumGetPointer(PG_GETARG_DATUM(0));
		if (unlikely(s->c.model_hash != hash))
			vgm_model_mismatch_error(psprintf("%s needs one model per group", vgm_agg_name(fcinfo, "vgm_ks")),
									 "The group and this row", s->c.model_hash, hash);
	}
	/*
	 * The state may be the INITCOND of someone's aggregate, validated but
	 * with counts up to 2^63 - 1: every count is checked before it grows.
	 * A bin never holds more than n, so checking n covers the bins.
	 */
	if (PG_ARGISNULL(2))
	{
		if (unlikely(pg_add_s64_overflow(s->c.nulls, 1, &s->c.nulls)))
			vgm_count_overflow_error("vgm_ks_state");
		PG_RETURN_POINTER(s);
	}
	x = PG_GETARG_FLOAT8(2);
	if (unlikely(!isfinite(x)))
	{
		int64	   *count = isnan(x) ? &s->c.nans : x > 0 ? &s->c.pos_infs : &s->c.neg_infs;

		if (pg_add_s64_overflow(*count, 1, count))
			vgm_count_overflow_error("vgm_ks_state");
		PG_RETURN_POINTER(s);
	}
	if (unlikely(pg_add_s64_overflow(s->c.n, 1, &s->c.n)))
		vgm_count_overflow_error("vgm_ks_state");
	vgm_model_cache_cdf(m);
	s->counts[vgm_ks_bin(vgm_model_cache_ks_u(m, x))]++;
	PG_RETURN_POINTER(s);
}

/* Add the counts of b into a, refusing states of different models. */
static void
ks_state_add(VgmKsState *a, const VgmKsState *b)
{
	int			i;
	bool		overflow = false;

	if (a->c.model_hash != b->c.model_hash)
		vgm_model_mismatch_error("vgm_ks_state values built with different models cannot be combined",
							 "The two states", a->c.model_hash, b->c.model_hash);
	/* one model has one set of jumps; states that disagree were not built with it */
	if (a->c.n_jumps != b->c.n_jumps ||
		memcmp(a->c.jumps, b->c.jumps, sizeof(a->c.jumps[0]) * a->c.n_jumps) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vgm_ks_state values with different jumps cannot be combined"),
				 errdetail("The states name the same model but record %d and %d jumps of its CDF.",
						   (int) a->c.n_jumps, (int) b->c.n_jumps)));
	overflow |= pg_add_s64_overflow(a->c.n, b->c.n, &a->c.n);
	overflow |= pg_add_s64_overflow(a->c.nulls, b->c.nulls, &a->c.nulls);
	overflow |= pg_add_s64_overflow(a->c.nans, b->c.nans, &a->c.nans);
	overflow |= pg_add_s64_overflow(a->c.pos_infs, b->c.pos_infs, &a->c.pos_infs);
	overflow |= pg_add_s64_overflow(a->c.neg_infs, b->c.neg_infs, &a->c.neg_infs);
	if (overflow)
		vgm_count_overflow_error("vgm_ks_state");
	/* bin counts never exceed n, which did not overflow */
	for (i = 0; i < VGM_KS_BINS; i++)
		a->counts[i] += b->counts[i];
}

/*
 * Combine function (STRICT: the executor adopts the first non-null state)
 * and the transition function of vgm_rollup(vgm_ks_state).  In an aggregate
 * the first argument is the aggregate's own state, updated in place; a
 * compressed one (a stored state adopted by the rollup) is unpacked first.
 */
Datum
vgm_ks_combine(PG_FUNCTION_ARGS)
{
	Pointer		p = DatumGetPointer(PG_GETARG_DATUM(0));
	VgmKsState *a;
	VgmKsState *b = ks_state_arg(fcinfo, 1);

	if (AggCheckCallContext(fcinfo, NULL) && !VARATT_IS_EXTENDED(p))
		a = (VgmKsState *) p;
	else
		a = (VgmKsState *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
	ks_state_check(a);
	ks_state_add(a, b);
	PG_RETURN_POINTER(a);
}

/* vgm_ks(state) and the final function of vgm_ks(model, x): (statistic, pvalue, n). */
Datum
vgm_ks_final(PG_FUNCTION_ARGS)
{
	Datum		values[3];
	bool		nulls[3] = {true, true, false};

	values[2] = Int64GetDatum(0);
	if (!PG_ARGISNULL(0))
	{
		VgmKsState *s = ks_state_arg(fcinfo, 0);

		values[2] = Int64GetDatum(s->c.n);
		if (s->c.n > 0)
		{
			double		d = vgm_ks_statistic_1samp_jumps(s->counts, VGM_KS_BINS, s->c.n, &s->c);

			values[0] = Float8GetDatum(d);
			values[1] = Float8GetDatum(vgm_kstwo_sf(s->c.n, d));
			nulls[0] = nulls[1] = false;
		}
	}
	PG_RETURN_DATUM(vgm_form_result(fcinfo, values, nulls));
}

/* vgm_ks_2samp(a, b): two histograms of one model -> (statistic, pvalue, n1, n2). */
Datum
vgm_ks_2samp(PG_FUNCTION_ARGS)
{
	VgmKsState *a = ks_state_arg(fcinfo, 0);
	VgmKsState *b = ks_state_arg(fcinfo, 1);
	Datum		values[4];
	bool		nulls[4] = {true, true, false, false};

	if (a->c.model_hash != b->c.model_hash)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vgm_ks_2samp needs two states built with the same model"),
				 errdetail("Model hashes %016" INT64_MODIFIER "x and %016" INT64_MODIFIER "x differ; the model is the common coordinate system of both samples.",
						   a->c.model_hash, b->c.model_hash)));
	values[2] = Int64GetDatum(a->c.n);
	values[3] = Int64GetDatum(b->c.n);
	if (a->c.n > 0 && b->c.n > 0)
	{
		__int128	num;
		bool		exact;
		double		d = vgm_ks_statistic_2samp(a->counts, a->c.n, b->counts, b->c.n,
											   VGM_KS_BINS, &num);

		values[0] = Float8GetDatum(d);
		values[1] = Float8GetDatum(vgm_ks_2samp_pvalue(a->c.n, b->c.n, num, &exact));
		nulls[0] = nulls[1] = false;
	}
	PG_RETURN_DATUM(vgm_form_result(fcinfo, values, nulls));
}

/* vgm_ks_info(state): counts, bin count, model hash and size. */
Datum
vgm_ks_info(PG_FUNCTION_ARGS)
{
	VgmKsState *s = ks_state_arg(fcinfo, 0);
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	char		hash[17];

	snprintf(hash, sizeof(hash), "%016" INT64_MODIFIER "x", s->c.model_hash);
	values[0] = Int64GetDatum(s->c.n);
	values[1] = Int64GetDatum(s->c.nulls);
	values[2] = Int64GetDatum(s->c.nans);
	values[3] = Int64GetDatum(s->c.pos_infs);
	values[4] = Int64GetDatum(s->c.neg_infs);
	values[5] = Int32GetDatum(VGM_KS_BINS);
	values[6] = CStringGetTextDatum(hash);
	values[7] = Int64GetDatum((int64) VGM_KS_STATE_SIZE);
	PG_RETURN_DATUM(vgm_form_result(fcinfo, values, nulls));
}

/*
 * The effects of a state of a model with atoms: the rows at the atoms are
 * taken out, the others are moved to the coordinates of the mixture alone
 * (u minus the atoms below, over the mixture's share), and the effects of
 * that histogram are the mixture's; the largest share of tied values not
 * explained by the model is the larger of the mixture part's and of the
 * atoms' surplus (rows at an atom beyond its weight).
 */
static void
ks_effects_with_atoms(VgmCachedModel *m, const VgmKsState *s, double trim, VgmKsEffects *e)
{
	int64	   *cc = palloc0(sizeof(int64) * VGM_KS_BINS);
	int64		n_mix = 0;
	double		share = 1.0 - m->atoms_total;
	double		surplus = 0.0;
	int			atom_bin[VGM_MAX_ATOMS];
	int			b;
	int			i;

	for (i = 0; i < m->n_atoms; i++)
		atom_bin[i] = vgm_ks_bin(m->atom_cdf_right[i]);
	for (b = 0; b < VGM_KS_BINS; b++)
	{
		double		u = (b + 0.5) / VGM_KS_BINS;
		double		below = 0.0;
		bool		at_atom = false;

		if (s->counts[b] <= 0)
			continue;
		for (i = 0; i < m->n_atoms; i++)
		{
			if (b == atom_bin[i])
			{
				/* the atom's rows, beyond its weight unexplained */
				surplus = fmax(surplus, (double) s->counts[b] / (double) s->c.n - m->atom_weight[i]);
				at_atom = true;
				break;
			}
			if (m->atom_cdf_right[i] <= u)
				below = m->atom_below[i] + m->atom_weight[i];
		}
		if (at_atom)
			continue;
		cc[vgm_ks_bin((u - below) / share)] += s->counts[b];
		n_mix += s->counts[b];
	}
	vgm_ks_effects(&m->mix, cc, VGM_KS_BINS, n_mix, trim, e);
	if (n_mix > 0)
		e->atom_share = fmax(e->atom_share * (double) n_mix / (double) s->c.n, surplus);
	else
		e->atom_share = surplus;
	pfree(cc);
}

/*
 * vgm_ks_effects(model, state, trim_fraction): the KS test of the state with
 * effect sizes that do not shrink with n (validate_core.h): the largest
 * share of tied values and the floor D >= share / 2 it puts under the
 * statistic, D above that floor, and trimmed means and standard deviations
 * of the data and of the model.  The model must be the state's.  With
 * atoms, the tied values the atoms explain do not count, and the trimmed
 * moments are those of the rows off the atoms and of the mixture.
 */
Datum
vgm_ks_effects_sql(PG_FUNCTION_ARGS)
{
	VgmCachedModel *m = vgm_model_cache_get(fcinfo, 0);
	VgmKsState *s = ks_state_arg(fcinfo, 1);
	double		trim = PG_GETARG_FLOAT8(2);
	VgmKsEffects e;
	uint64		hash;
	Datum		values[9];
	bool		nulls[9];

	/* NaN fails both comparisons */
	if (!(trim >= 0.0 && trim < 0.5))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vgm_ks_effects trim_fraction is out of range"),
				 errdetail("The share trimmed from each tail lies in [0, 0.5); got %g.", trim)));
	hash = vgm_model_cache_cdf_hash(m);
	if (hash != s->c.model_hash)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vgm_ks_effects needs the model the state was built with"),
				 errdetail("The state has model hash %016" INT64_MODIFIER "x, the model %016" INT64_MODIFIER "x.",
						   s->c.model_hash, hash)));
	vgm_model_cache_cdf(m);
	if (m->mix.k == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid vgm_model: no component has a positive weight"),
				 errdetail("The weights of a mixture sum to 1.")));
	if (m->n_atoms > 0)
		ks_effects_with_atoms(m, s, trim, &e);
	else
		vgm_ks_effects(&m->mix, s->counts, VGM_KS_BINS, s->c.n, trim, &e);

	memset(nulls, true, sizeof(nulls));
	values[0] = Int64GetDatum(s->c.n);
	nulls[0] = false;
	if (s->c.n > 0)
	{
		double		d = vgm_ks_statistic_1samp_jumps(s->counts, VGM_KS_BINS, s->c.n, &s->c);

		vgm_set_float(values, nulls, 1, d);
		vgm_set_float(values, nulls, 2, vgm_kstwo_sf(s->c.n, d));
		vgm_set_float(values, nulls, 3, e.atom_share);
		/* within half a bin, D may sit a hair below the floor: no negative excess */
		vgm_set_float(values, nulls, 4, fmax(d - 0.5 * e.atom_share, 0.0));
		vgm_set_float(values, nulls, 5, e.data_mean);
		vgm_set_float(values, nulls, 6, e.data_stddev);
	}
	vgm_set_float(values, nulls, 7, e.model_mean);
	vgm_set_float(values, nulls, 8, e.model_stddev);
	PG_RETURN_DATUM(vgm_form_result(fcinfo, values, nulls));
}

/* ---------------------------------------------------------------------- */
/* null distributions as SQL functions                                     */
/* ---------------------------------------------------------------------- */

/* Error for a sample size below one. */
static void
check_sample_size(const char *name, int64 n)
{
	if (n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be at least 1", name),
				 errdetail("The value given was " INT64_FORMAT ".", n)));
}

/* vgm_kstwo_sf(d, n): scipy.stats.kstwo.sf(d, n). */
Datum
vgm_kstwo_sf_sql(PG_FUNCTION_ARGS)
{
	double		d = PG_GETARG_FLOAT8(0);
	int64		n = PG_GETARG_INT64(1);

	check_sample_size("n", n);
	PG_RETURN_FLOAT8(vgm_kstwo_sf(n, d));
}

/* vgm_kstwobign_sf(z): scipy.stats.kstwobign.sf(z). */
Datum
vgm_kstwobign_sf_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(vgm_kolmogorov_sf(PG_GETARG_FLOAT8(0)));
}

/*
 * vgm_ks_2samp_sf(d, n1, n2): ks_2samp's two-sided p-value for a statistic
 * d (rounded to a multiple of 1 / lcm(n1, n2), as SciPy rounds it).
 */
Datum
vgm_ks_2samp_sf_sql(PG_FUNCTION_ARGS)
{
	double		d = PG_GETARG_FLOAT8(0);
	int64		n1 = PG_GETARG_INT64(1);
	int64		n2 = PG_GETARG_INT64(2);
	int64		a = n1;
	int64		b = n2;
	__int128	lcm;
	__int128	h;
	bool		exact;

	check_sample_size("n1", n1);
	check_sample_size("n2", n2);
	if (isnan(d))
		PG_RETURN_FLOAT8(NAN);
	if (d <= 0.0)
		PG_RETURN_FLOAT8(1.0);
	if (d >= 1.0)
		d = 1.0;
	while (b != 0)
	{
		int64		t = a % b;

		a = b;
		b = t;
	}
	lcm = (__int128) (n1 / a) * n2;
	h = (__int128) rintl((long double) d * (long double) lcm);
	PG_RETURN_FLOAT8(vgm_ks_2samp_pvalue(n1, n2, h * a, &exact));
}
