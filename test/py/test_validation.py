#!/usr/bin/python3
"""Cross-check the validation functions (src/validate_*.c) against SciPy 1.10
and scikit-learn 1.2, through psql.

Run with Debian's /usr/bin/python3; the server is found through PGHOST /
PGPORT / PGUSER / PGDATABASE and its database must already have the vgm
extension.  Prints TAP.  Data: the fixed sets in test/fixtures/validation/
(see make_fixtures.py there) plus a few large samples drawn here from a
fixed seed.

What is checked
  * vgm_moments against scipy.stats.describe (n, min, max, mean, variance
    ddof=1), np.var (ddof=0), skew(bias=True), kurtosis(fisher=True,
    bias=True): 1e-12 relative, except 1e9 + N(0, 1), where the summary's
    float8 bucket means bound the variance to ~1e-7 relative (a naive
    one-pass formula loses everything there).
  * vgm_model_moments against numerical integration of the mixture density.
  * One-sample KS: the statistic within half a bin width (0.5 / 65536) of
    scipy.stats.kstest(x, mixture cdf); the p-value computed from OUR
    statistic equals scipy.stats.kstwo.sf(our D, n) within 1e-6 (that tests
    the p-value code independently of binning); SciPy's own p-value is shown.
  * The distribution functions on a grid: vgm_kstwo_sf = kstwo.sf and
    vgm_kstwobign_sf = kstwobign.sf within 1e-6 absolute (every branch of
    SciPy's method choice), vgm_ks_2samp_sf = ks_2samp's p-value logic
    (exact for max(n1, n2) <= 10000, kstwo.sf(d, round(en)) beyond).
  * Two-sample KS: the statistic equals ks_2samp's exactly when no bin holds
    values of both samples (else within the largest shared-bin share), the
    p-value equals ks_2samp's within 1e-6 when the statistics agree, and
    equals SciPy's distribution at our statistic within 1e-6 always.
  * vgm_bounds: counts outside the training range and of clipped alphas
    (argmax of scikit-learn's weighted log probability over the valid
    components, alpha = (x - mean) / (4 std)) exactly equal.
  * The KS state survives text and binary COPY; a forced parallel plan gives
    the same state; vgm_validate's statistics equal the values computed here.
"""
import json
import math
import os
import sys
import tempfile

import numpy as np
from scipy import integrate, stats
from scipy.stats._stats_py import _attempt_exact_2kssamp
from sklearn.mixture import BayesianGaussianMixture

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vgmtest import done, note, ok, psql_lines, readme_sql_block, run_client  # noqa: E402

SCHEMA = "vgm_test_validation_py"
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "..", "fixtures", "validation"))
BINS = 65536


def psql(sql):
    """Run SQL through psql (all digits of every double, no notices); the
    unaligned, tuples-only output lines."""
    return psql_lines("SET extra_float_digits = 3;\nSET client_min_messages = warning;\n" + sql)


def fnum(text):
    """A float8 column of psql's output; NULL (empty) becomes NaN."""
    return float(text) if text != "" else math.nan


def read_sets(name):
    sets = {}
    with open(os.path.join(FIXTURES, name)) as f:
        next(f)
        for line in f:
            label, value = line.strip().split(",")
            sets.setdefault(label, []).append(float(value))
    return {k: np.array(v) for k, v in sets.items()}


def load_values(table, values):
    """A one-column float8 table of exactly these doubles (through COPY)."""
    body = "\n".join(repr(float(v)) for v in values)
    psql(f"SET client_min_messages = warning; DROP TABLE IF EXISTS {SCHEMA}.{table};\n"
         f"CREATE TABLE {SCHEMA}.{table} (x float8);\n"
         f"COPY {SCHEMA}.{table} FROM STDIN;\n{body}\n\\.\n")


def rel_err(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


class Mixture:
    """The plug-in mixture of a vgm_model JSON document."""

    def __init__(self, doc):
        self.w = np.array(doc["weights"])
        self.mu = np.array(doc["means"])
        self.sd = np.sqrt(np.array(doc["covariances"]))

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        return np.sum(self.w * stats.norm.cdf(x[..., None], self.mu, self.sd), axis=-1)

    def pdf(self, x):
        return float(np.sum(self.w * stats.norm.pdf(x, self.mu, self.sd)))


def sklearn_model(doc):
    """A BayesianGaussianMixture carrying exactly the posterior of the model."""
    k = doc["k"]
    bgm = BayesianGaussianMixture(n_components=k, covariance_type="full",
                                  weight_concentration_prior_type="dirichlet_process")
    bgm.weight_concentration_ = (np.array(doc["weight_concentration_a"]),
                                 np.array(doc["weight_concentration_b"]))
    bgm.mean_precision_ = np.array(doc["mean_precision"])
    bgm.means_ = np.array(doc["means"]).reshape(k, 1)
    bgm.degrees_of_freedom_ = np.array(doc["degrees_of_freedom"])
    cov = np.array(doc["covariances"])
    bgm.covariances_ = cov.reshape(k, 1, 1)
    bgm.precisions_cholesky_ = (1.0 / np.sqrt(cov)).reshape(k, 1, 1)
    bgm.weights_ = np.array(doc["weights"])
    return bgm


def scipy_2samp_pvalue(d, n1, n2):
    """ks_2samp's two-sided p-value for a statistic d with method='auto'."""
    if max(n1, n2) <= 10000:
        success, _, p = _attempt_exact_2kssamp(n1, n2, math.gcd(n1, n2), d, "two-sided")
        if success:
            return p
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return float(stats.kstwo.sf(d, np.round(m * n / (m + n))))


def check_moments():
    sets = read_sets("moments.csv")
    psql(f"SET client_min_messages = warning; DROP TABLE IF EXISTS {SCHEMA}.mom; CREATE TABLE {SCHEMA}.mom (set text, x float8);\n"
         f"\\copy {SCHEMA}.mom FROM '{os.path.join(FIXTURES, 'moments.csv')}' WITH (FORMAT csv, HEADER true)")
    for label, x in sets.items():
        row = psql(f"SELECT n, rows, mean, variance, variance_pop, stddev, skewness, kurtosis, min, max "
                   f"FROM (SELECT (vgm_moments(x)).* FROM {SCHEMA}.mom WHERE set = '{label}') s")[0].split("|")
        n, rows, mean, var, var_pop, sd, skew, kurt, mn, mx = [fnum(v) for v in row]
        d = stats.describe(x)
        rtol = 1e-7 if label == "offset1e9" else 1e-12
        errs = {
            "mean": rel_err(mean, d.mean),
            "variance": rel_err(var, d.variance),
            "variance_pop": rel_err(var_pop, np.var(x)),
            "stddev": rel_err(sd, math.sqrt(d.variance)),
            "skewness": abs(skew - d.skewness),
            "kurtosis": abs(kurt - d.kurtosis),
        }
        note(f"moments {label}: " + ", ".join(f"{k} {v:.2e}" for k, v in errs.items()))
        ok(n == d.nobs and rows == d.nobs and mn == d.minmax[0] and mx == d.minmax[1],
           f"moments {label}: n, min and max equal describe's", (n, rows, mn, mx, d))
        ok(all(v <= rtol * (1 if k in ("mean", "variance", "variance_pop", "stddev") else 10) for k, v in errs.items()),
           f"moments {label}: mean, variance, skewness, kurtosis agree with SciPy (tolerance {rtol:g})", errs)
    # a stored summary finished later (bucket moments, another summation order)
    # gives the same record within rounding
    cols = "n, rows, mean, variance, skewness, kurtosis, min, max, nulls, nans, pos_infs, neg_infs"
    s_row, r_row = [[fnum(v) for v in line.split("|")] for line in psql(
        f"SELECT {cols} FROM (SELECT (vgm_moments(vgm_summarize(x))).* FROM {SCHEMA}.mom) s "
        f"UNION ALL SELECT {cols} FROM (SELECT (vgm_moments(x)).* FROM {SCHEMA}.mom) r")]
    close = all(a == b if i in (0, 1, 6, 7, 8, 9, 10, 11) else
                (rel_err(a, b) <= 1e-12 if i in (2, 3) else abs(a - b) <= 1e-11)
                for i, (a, b) in enumerate(zip(s_row, r_row)))
    ok(close, "vgm_moments(vgm_summary) agrees with the aggregate vgm_moments(x) (1e-12)", (s_row, r_row))


def check_model_moments(doc, mix):
    row = psql(f"SELECT mean, variance, stddev, skewness, kurtosis FROM vgm_model_moments("
               f"(SELECT model FROM {SCHEMA}.models))")[0].split("|")
    mean, var, sd, skew, kurt = [float(v) for v in row]
    lo = float(np.min(mix.mu - 40 * mix.sd))
    hi = float(np.max(mix.mu + 40 * mix.sd))
    pts = sorted(set(mix.mu.tolist()))
    m1 = integrate.quad(lambda t: t * mix.pdf(t), lo, hi, points=pts, limit=500, epsabs=1e-13, epsrel=1e-13)[0]
    c = [integrate.quad(lambda t, p=p: (t - m1) ** p * mix.pdf(t), lo, hi, points=pts, limit=500,
                        epsabs=1e-13, epsrel=1e-13)[0] for p in (2, 3, 4)]
    errs = [rel_err(mean, m1), rel_err(var, c[0]), rel_err(sd, math.sqrt(c[0])),
            abs(skew - c[1] / c[0] ** 1.5), abs(kurt - (c[2] / c[0] ** 2 - 3))]
    note("model moments vs integration: " + ", ".join(f"{e:.2e}" for e in errs))
    ok(max(errs) < 1e-9, "vgm_model_moments equals the integrated mixture moments within 1e-9", errs)


def check_ks_one(mix):
    sets = read_sets("ks_one.csv")
    rng = np.random.default_rng(7)
    comp = rng.choice(len(mix.w), size=120000, p=mix.w / mix.w.sum())
    sets["large120000"] = rng.normal(mix.mu[comp], mix.sd[comp])
    for label, x in sets.items():
        load_values("ks1", x)
        row = psql(f"SELECT statistic, pvalue, n FROM (SELECT (vgm_ks((SELECT model FROM {SCHEMA}.models), x)).* "
                   f"FROM {SCHEMA}.ks1) s")[0].split("|")
        d, p, n = float(row[0]), float(row[1]), int(row[2])
        ref = stats.kstest(x, mix.cdf)
        p_at_ours = float(stats.kstwo.sf(d, n))
        note(f"ks {label}: D {d:.9f} scipy {ref.statistic:.9f} (diff {d - ref.statistic:+.2e}); "
             f"p {p:.9g} scipy {ref.pvalue:.9g}; kstwo.sf(our D) {p_at_ours:.9g}")
        ok(n == len(x), f"ks {label}: n = {len(x)}")
        ok(abs(d - ref.statistic) <= 0.5 / BINS + 1e-12,
           f"ks {label}: statistic within half a bin width of scipy.stats.kstest", (d, ref.statistic))
        ok(abs(p - p_at_ours) <= 1e-6, f"ks {label}: p-value = kstwo.sf(statistic, n) within 1e-6",
           (p, p_at_ours))


def check_distributions():
    cases = []
    ns = [1, 2, 3, 5, 10, 20, 50, 100, 140, 141, 300, 1000, 5000, 10000, 50000, 100000, 100001,
          400000, 1000000, 1000001, 5000000, 100000000, 10000000000]
    for n in ns:
        for c in [0.05, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.36, 1.63, 2.0, 2.5, 3.0, 4.0, 6.0]:
            d = c / math.sqrt(n)
            if d < 1:
                cases.append((n, d))
        for d in [0.5 / n + 1e-9, 0.75 / n, 1.0 / n, 0.5, 0.7, 1 - 1.0 / n if n > 1 else 0.9, 0.999]:
            if 0 < d < 1:
                cases.append((n, d))
    values = ",".join(f"({n},{repr(d)})" for n, d in cases)
    rows = psql(f"SELECT vgm_kstwo_sf(d, n) FROM (VALUES {values}) v(n, d)")
    worst = (0.0, None)
    bad = []
    for (n, d), line in zip(cases, rows):
        want = float(stats.kstwo.sf(d, n))
        err = abs(float(line) - want)
        if err > worst[0]:
            worst = (err, (n, d))
        if err > 1e-6:
            bad.append((n, d, float(line), want))
    note(f"kstwo.sf on {len(cases)} points: max abs error {worst[0]:.2e} at n, d = {worst[1]}")
    ok(not bad, f"vgm_kstwo_sf equals scipy.stats.kstwo.sf within 1e-6 on {len(cases)} points", bad[:10])

    zs = [0.01, 0.1, 0.3, 0.5, 0.7, 0.81, 0.82, 0.83, 1.0, 1.2, 1.36, 1.63, 2, 3, 5, 10]
    rows = psql("SELECT vgm_kstwobign_sf(z) FROM unnest(ARRAY[" + ",".join(map(repr, zs)) + "]::float8[]) z")
    errs = [abs(float(r) - float(stats.kstwobign.sf(z))) for z, r in zip(zs, rows)]
    ok(max(errs) < 1e-12, "vgm_kstwobign_sf equals scipy.stats.kstwobign.sf within 1e-12", errs)

    cases = []
    for n1, n2 in [(1, 1), (3, 7), (10, 10), (40, 60), (100, 100), (250, 400), (1000, 999),
                   (3000, 7000), (10000, 10000), (10000, 20), (10001, 500), (20000, 30000), (500000, 700000)]:
        lcm = n1 * n2 // math.gcd(n1, n2)
        for c in [0.3, 0.8, 1.0, 1.36, 1.8, 2.5]:
            d = c * math.sqrt((n1 + n2) / (n1 * n2))
            h = round(d * lcm)
            if 0 < h <= lcm:
                cases.append((n1, n2, h / lcm))
    values = ",".join(f"({n1},{n2},{repr(d)})" for n1, n2, d in cases)
    rows = psql(f"SELECT vgm_ks_2samp_sf(d, n1, n2) FROM (VALUES {values}) v(n1, n2, d)")
    bad = []
    worst = 0.0
    for (n1, n2, d), line in zip(cases, rows):
        want = scipy_2samp_pvalue(d, n1, n2)
        err = abs(float(line) - want)
        worst = max(worst, err)
        if err > 1e-6:
            bad.append((n1, n2, d, float(line), want))
    note(f"two-sample p-values on {len(cases)} points: max abs error {worst:.2e}")
    ok(not bad, f"vgm_ks_2samp_sf equals ks_2samp's p-value within 1e-6 on {len(cases)} points", bad[:10])


def check_ks_two(mix):
    sets = read_sets("ks_two.csv")
    rng = np.random.default_rng(11)
    comp = rng.choice(len(mix.w), size=27000, p=mix.w / mix.w.sum())
    big = rng.normal(mix.mu[comp], mix.sd[comp])
    sets["e15000"] = big[:15000]
    sets["f12000"] = big[15000:] + 0.02
    for a, b in [("a40", "b60"), ("c100", "d100"), ("a40", "a40"), ("e15000", "f12000")]:
        xa, xb = sets[a], sets[b]
        load_values("ksa", xa)
        load_values("ksb", xb)
        row = psql(f"SELECT statistic, pvalue, n1, n2 FROM vgm_ks_2samp("
                   f"(SELECT vgm_ks_state((SELECT model FROM {SCHEMA}.models), x) FROM {SCHEMA}.ksa), "
                   f"(SELECT vgm_ks_state((SELECT model FROM {SCHEMA}.models), x) FROM {SCHEMA}.ksb))")[0].split("|")
        d, p, n1, n2 = float(row[0]), float(row[1]), int(row[2]), int(row[3])
        ref = stats.ks_2samp(xa, xb)
        ba = np.minimum((mix.cdf(xa) * BINS).astype(np.int64), BINS - 1)
        bb = np.minimum((mix.cdf(xb) * BINS).astype(np.int64), BINS - 1)
        shared = np.intersect1d(ba, bb)
        slack = 1e-12
        for s in shared:
            slack = max(slack, np.sum(ba == s) / len(xa), np.sum(bb == s) / len(xb))
        p_at_ours = scipy_2samp_pvalue(d, n1, n2)
        note(f"ks_2samp {a}/{b}: D {d:.9f} scipy {ref.statistic:.9f}; p {p:.9g} scipy {ref.pvalue:.9g}; "
             f"{len(shared)} shared bins")
        ok(n1 == len(xa) and n2 == len(xb), f"ks_2samp {a}/{b}: sizes")
        ok(abs(d - ref.statistic) <= slack, f"ks_2samp {a}/{b}: statistic equals SciPy's "
           f"({'exactly' if len(shared) == 0 else 'within the shared-bin share'})", (d, ref.statistic, slack))
        ok(abs(p - p_at_ours) <= 1e-6, f"ks_2samp {a}/{b}: p-value = SciPy's distribution at our statistic",
           (p, p_at_ours))
        if abs(d - ref.statistic) <= 1e-12:
            ok(abs(p - ref.pvalue) <= 1e-6, f"ks_2samp {a}/{b}: p-value equals ks_2samp's within 1e-6",
               (p, ref.pvalue))


def check_bounds(doc, bgm):
    psql(f"DROP TABLE IF EXISTS {SCHEMA}.bnd; CREATE TABLE {SCHEMA}.bnd (x float8);\n"
         f"\\copy {SCHEMA}.bnd FROM '{os.path.join(FIXTURES, 'bounds.csv')}' WITH (FORMAT csv, HEADER true)")
    vals = []
    with open(os.path.join(FIXTURES, "bounds.csv")) as f:
        next(f)
        for line in f:
            vals.append(line.strip())
    nulls = sum(1 for v in vals if v == "")
    x_all = np.array([float(v) for v in vals if v != ""])
    x = x_all[np.isfinite(x_all)]
    lo, hi = doc["training"]["min"], doc["training"]["max"]
    valid = np.flatnonzero(np.array(doc["weights"]) > doc["weight_threshold"])
    wlp = bgm._estimate_weighted_log_prob(x.reshape(-1, 1))[:, valid]
    comp = valid[np.argmax(wlp, axis=1)]
    means = np.array(doc["means"])
    stds = np.sqrt(np.array(doc["covariances"]))
    alpha = (x - means[comp]) / (4 * stds[comp])
    want = [len(x), int(np.sum(x < lo)), int(np.sum(x > hi)), int(np.sum(alpha < -0.99)),
            int(np.sum(alpha > 0.99)), nulls, int(np.sum(np.isnan(x_all))),
            int(np.sum(x_all == np.inf)), int(np.sum(x_all == -np.inf))]
    row = psql(f"SELECT n, below_min, above_max, clipped_low, clipped_high, nulls, nans, pos_infs, neg_infs, "
               f"outside_share, clipped_share FROM (SELECT (vgm_bounds((SELECT model FROM {SCHEMA}.models), x)).* "
               f"FROM {SCHEMA}.bnd) s")[0].split("|")
    got = [int(v) for v in row[:9]]
    note(f"bounds: n, below, above, clipped low/high, nulls, nans, +inf, -inf = {got}")
    ok(got == want, "vgm_bounds counts equal the ones computed with scikit-learn", (got, want))
    ok(float(row[9]) == (want[1] + want[2]) / want[0] and float(row[10]) == (want[3] + want[4]) / want[0],
       "vgm_bounds shares are the counts over the finite values")
    ok(want[1] + want[2] > 0 and want[3] + want[4] > 0, "the bounds fixture has values outside and clipped")
    # the report's statistics from the same data
    rows = psql(f"SELECT \"check\", statistic, threshold, passed FROM vgm_validate("
                f"(SELECT model FROM {SCHEMA}.models), '{SCHEMA}.bnd', 'x')")
    rep = {r.split("|")[0]: fnum(r.split("|")[1]) for r in rows}
    mm = psql(f"SELECT mean, stddev, skewness, kurtosis FROM vgm_model_moments((SELECT model FROM {SCHEMA}.models))")[0]
    m_mean, m_sd, m_skew, m_kurt = [float(v) for v in mm.split("|")]
    d = stats.describe(x)
    expect = {
        "rows": float(len(x)),
        "mean_shift": abs(d.mean - m_mean) / m_sd,
        "stddev_ratio": abs(math.sqrt(d.variance) / m_sd - 1),
        "skewness_diff": abs(d.skewness - m_skew),
        "kurtosis_diff": abs(d.kurtosis - m_kurt),
        "outside_share": (want[1] + want[2]) / len(x),
        "clipped_share": (want[3] + want[4]) / len(x),
        "nonfinite_share": (want[6] + want[7] + want[8]) / (len(x) + want[6] + want[7] + want[8]),
        "ks_statistic": stats.kstest(x, lambda t: Mixture(doc).cdf(t)).statistic,
    }
    bad = {k: (rep[k], v) for k, v in expect.items()
           if not (abs(rep[k] - v) <= (0.5 / BINS + 1e-12 if k == "ks_statistic" else 1e-9 * max(1.0, abs(v))))}
    ok(not bad and len(rows) == 13, "vgm_validate reports the statistics computed with SciPy", bad)


def trimmed_moments(x, trim):
    """Mean and standard deviation of sorted data between its trim and 1 - trim quantiles,
    the rows at the cut counted with their fraction inside."""
    x = np.sort(x)
    n = len(x)
    lo = np.arange(n) / n
    w = np.clip(np.minimum(lo + 1.0 / n, 1 - trim) - np.maximum(lo, trim), 0, None)
    m = np.sum(w * x) / np.sum(w)
    return m, math.sqrt(np.sum(w * (x - m) ** 2) / np.sum(w))


def check_effects(mix):
    """vgm_ks_effects: the trimmed moments of the model equal a numerical integral of the
    mixture between its quantiles; those of the data equal the trimmed moments of the rows
    within the binning error; the largest tied share is the atom's; and the excess is D above
    half of it."""
    rng = np.random.default_rng(11)
    comp = rng.choice(len(mix.w), size=60000, p=mix.w / mix.w.sum())
    x = rng.normal(mix.mu[comp], mix.sd[comp])
    atom = float(np.round(np.median(x), 3))
    x[:9000] = atom                     # 15 % of the rows tied at one value
    load_values("eff", x)
    for trim in (0.0, 0.01, 0.05):
        row = psql(f"SELECT n, statistic, atom_share, excess, data_trimmed_mean, data_trimmed_stddev, "
                   f"model_trimmed_mean, model_trimmed_stddev FROM vgm_ks_effects("
                   f"(SELECT model FROM {SCHEMA}.models), (SELECT vgm_ks_state((SELECT model FROM {SCHEMA}.models), x) "
                   f"FROM {SCHEMA}.eff), {trim})")[0].split("|")
        n, d, share, excess, dm, dsd, mm, msd = [float(v) for v in row]
        w = mix.w / mix.w.sum()
        if trim > 0:
            cdf = lambda t: float(np.sum(w * stats.norm.cdf(t, mix.mu, mix.sd)))
            grid = np.linspace(mix.mu.min() - 12 * mix.sd.max(), mix.mu.max() + 12 * mix.sd.max(), 200001)
            cg = np.sum(w * stats.norm.cdf(grid[:, None], mix.mu, mix.sd), axis=1)
            q0 = float(np.interp(trim, cg, grid))
            q1 = float(np.interp(1 - trim, cg, grid))
            for _ in range(60):     # polish the grid quantiles by Newton steps
                q0 -= (cdf(q0) - trim) / mix.pdf(q0)
                q1 -= (cdf(q1) - (1 - trim)) / mix.pdf(q1)
        else:
            q0, q1 = -np.inf, np.inf
        mass = integrate.quad(mix.pdf, q0, q1, limit=200)[0]
        m1 = integrate.quad(lambda t: t * mix.pdf(t), q0, q1, limit=200)[0] / mass
        m2 = integrate.quad(lambda t: (t - m1) ** 2 * mix.pdf(t), q0, q1, limit=200)[0] / mass
        tm, tsd = trimmed_moments(x, trim)
        note(f"effects trim {trim}: model mean {mm:.9g} (quad {m1:.9g}), sd {msd:.9g} (quad {math.sqrt(m2):.9g}); "
             f"data mean {dm:.9g} (rows {tm:.9g}), sd {dsd:.9g} (rows {tsd:.9g}); atom {share}, D {d}, excess {excess}")
        ok(rel_err(mm, m1) < 1e-7 and rel_err(msd, math.sqrt(m2)) < 1e-7,
           f"vgm_ks_effects trim {trim}: the model's trimmed moments equal the integral", (mm, m1, msd, math.sqrt(m2)))
        ok(abs(dm - tm) < 1e-3 * tsd and rel_err(dsd, tsd) < 1e-3,
           f"vgm_ks_effects trim {trim}: the data's trimmed moments equal the rows' within the binning",
           (dm, tm, dsd, tsd))
        ok(n == len(x) and abs(share - 9000 / len(x)) < 1e-3,
           f"vgm_ks_effects trim {trim}: the largest tied share is the atom's", (n, share))
        ok(abs(excess - max(d - share / 2, 0)) < 1e-15 and excess < 0.02,
           f"vgm_ks_effects trim {trim}: excess is D above half the atom, small for data from the model",
           (d, share, excess))


def check_readme_etl():
    """The README's ETL script, run as written with the default thresholds: it stops on the
    day with cents written for dollars, and loads the day without that bug."""
    script = readme_sql_block("FROM amount_model), 'staging_tx', 'amount')")
    ok(script is not None, "the README has the ETL validation script")
    if script is None:
        return
    runs = {}
    for label, sql in (("bug", script),
                       ("clean", script.replace("CASE WHEN i % 50 = 0 THEN 100 * a ELSE a END", "a"))):
        runs[label] = run_client(["-v", "VERBOSITY=verbose"], input_text=sql)
    bug, clean = runs["bug"], runs["clean"]
    ok(bug.returncode == 3 and "ERROR:  23514: vgm validation of staging_tx.amount failed: mean_shift, outside_share"
       in bug.stderr, "README ETL script: the day with the cents bug stops with 23514 on mean_shift, outside_share",
       bug.stderr)
    ok(clean.returncode == 0 and "staging_tx is valid: loading it" in clean.stdout,
       "README ETL script: the same day without the bug passes the default checks", clean.stderr)


def check_state_io():
    psql(f"DROP TABLE IF EXISTS {SCHEMA}.st; CREATE TABLE {SCHEMA}.st AS "
         f"SELECT i % 3 AS part, vgm_ks_state((SELECT model FROM {SCHEMA}.models), x) AS s "
         f"FROM {SCHEMA}.bnd, generate_series(1, 3) i GROUP BY i % 3")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "states.bin")
        psql(f"\\copy {SCHEMA}.st TO '{path}' WITH (FORMAT binary)\n"
             f"DROP TABLE IF EXISTS {SCHEMA}.st2; CREATE TABLE {SCHEMA}.st2 (LIKE {SCHEMA}.st);\n"
             f"\\copy {SCHEMA}.st2 FROM '{path}' WITH (FORMAT binary)")
    same = psql(f"SELECT bool_and(a.s::text = b.s::text), count(*) FROM {SCHEMA}.st a JOIN {SCHEMA}.st2 b USING (part)")[0]
    ok(same == "t|3", "vgm_ks_state: binary COPY round trip is lossless", same)
    same = psql(f"SELECT bool_and(s::text::vgm_ks_state::text = s::text) FROM {SCHEMA}.st")[0]
    ok(same == "t", "vgm_ks_state: text round trip is lossless")
    # parallel plan with workers building partial states
    load_values("par", np.random.default_rng(3).normal(2.0, 4.0, 300000))
    serial = psql(f"SET max_parallel_workers_per_gather = 0; SELECT md5(vgm_ks_state((SELECT model FROM {SCHEMA}.models), x)::text), "
                  f"vgm_bounds((SELECT model FROM {SCHEMA}.models), x) FROM {SCHEMA}.par")[-1]
    par = psql(f"SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; "
               f"SET max_parallel_workers_per_gather = 2; "
               f"SELECT md5(vgm_ks_state((SELECT model FROM {SCHEMA}.models), x)::text), "
               f"vgm_bounds((SELECT model FROM {SCHEMA}.models), x) FROM {SCHEMA}.par")[-1]
    plan = "\n".join(psql(f"SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; "
                          f"SET max_parallel_workers_per_gather = 2; EXPLAIN (COSTS OFF) "
                          f"SELECT vgm_ks_state((SELECT model FROM {SCHEMA}.models), x) FROM {SCHEMA}.par"))
    ok("Partial Aggregate" in plan, "vgm_ks_state runs as a partial aggregate in parallel workers", plan)
    ok(serial == par, "a parallel plan gives the same KS state and bounds as a serial one", (serial, par))


def main():
    with open(os.path.join(FIXTURES, "model.json")) as f:
        text = f.read().strip()
    doc = json.loads(text)
    mix = Mixture(doc)
    bgm = sklearn_model(doc)
    psql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA};\n"
         f"CREATE TABLE {SCHEMA}.models (model vgm_model);\n"
         f"INSERT INTO {SCHEMA}.models VALUES ('{text}');")
    check_moments()
    check_model_moments(doc, mix)
    check_ks_one(mix)
    check_distributions()
    check_ks_two(mix)
    check_bounds(doc, bgm)
    check_effects(mix)
    check_readme_etl()
    check_state_io()
    psql(f"DROP SCHEMA {SCHEMA} CASCADE")
    return done()


if __name__ == "__main__":
    sys.exit(main())
