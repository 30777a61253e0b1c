#!/usr/bin/python3
"""vgm's multi-start fit against scikit-learn with n_init 1 and 5.

For every modelled column of ../shared/data (its README.md lists them) and
for generated heaped columns (round loan amounts, diamond-carat-like weights,
integer ages, 1-5 ratings, interest rates with two decimals):

* scikit-learn 1.2 BayesianGaussianMixture with the CTGAN settings
  (n_components=10, weight_concentration_prior_type='dirichlet_process',
  weight_concentration_prior=0.001, max_iter=100, random_state=42), once with
  n_init=1 and once with n_init=5;
* vgm: the summary of the column is built once (vgm_summarize), then fitted
  with vgm_fit(s, n_init => N) for every N of --n-init (default: 1 and the
  default of the installed build, i.e. the option omitted).

All models are scored in Python from their fitted weights, means and
variances: mean plug-in log-likelihood per row on the rows fitted, as
scikit-learn's score().  vgm's fit time is its own fit clock
(vgm_diagnostics(m).fit_ms, median of --reps fits of the stored summary).

Requirements printed at the end: the default fit >= scikit-learn n_init=1 on
every column and >= its n_init=5 on average; fit <= 1 s on every column.

scikit-learn's results are cached in --cache (a JSON file keyed by column
name, row count and a hash of the values) because they take minutes.

Connection: PGHOST/PGPORT/PGUSER/PGDATABASE; the extension must be installed.
Data: ../shared/data beside the repository (VGM_DATA_DIR overrides); when it is
absent the real columns are skipped and the report says so.

Usage:
  /usr/bin/python3 test/bench/multistart_report.py [--n-init 1,default,5]
        [--reps 3] [--generated-only] [--cache FILE] [--markdown FILE]
        [--ratio-rows 10000000 [--ratio-only]]
"""
import argparse
import hashlib
import json
import os
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from accuracy_report import (np, plugin_loglik,  # noqa: E402
                             BayesianGaussianMixture, ConvergenceWarning, sklearn)
from vgmtest import DATA_DIR, load_values, psql, read_column, write_report  # noqa: E402

REAL_COLUMNS = (
    [("UCI_Credit_Card.csv", "LIMIT_BAL")]
    + [("UCI_Credit_Card.csv", f"BILL_AMT{i}") for i in range(1, 7)]
    + [("UCI_Credit_Card.csv", f"PAY_AMT{i}") for i in range(1, 7)]
    + [("ctgan_adult.csv", c) for c in ("age", "fnlwgt", "capital-gain", "capital-loss",
                                         "hours-per-week")]
    + [("faithful.csv", "eruptions"), ("faithful.csv", "waiting"), ("galaxies.csv", "velocity")]
)


def gen_loan(seed=1301):
    """Loan amounts: multiples of 25, mostly of 500 and 1000, a few popular values."""
    rng = np.random.default_rng(seed)
    n = 40000
    base = rng.lognormal(np.log(12000), 0.6, n).clip(1000, 40000)
    step = rng.choice([25, 500, 1000, 5000], size=n, p=[0.25, 0.30, 0.30, 0.15])
    x = np.round(base / step) * step
    popular = rng.random(n) < 0.20
    x[popular] = rng.choice([10000, 12000, 15000, 20000, 25000, 35000], size=popular.sum(),
                            p=[0.3, 0.15, 0.2, 0.15, 0.1, 0.1])
    return np.maximum(x, 1000.0)


def gen_carat(seed=1302):
    """Diamond-carat-like weights: 2 decimals, heaped at and just above .3/.5/.7/1.0/1.5/2.0."""
    rng = np.random.default_rng(seed)
    n = 54000
    x = rng.lognormal(np.log(0.7), 0.55, n).clip(0.2, 5.0)
    heaps = np.array([0.3, 0.4, 0.5, 0.7, 0.9, 1.0, 1.2, 1.5, 2.0])
    snap = rng.random(n) < 0.55
    idx = np.searchsorted(heaps, x[snap])
    up = idx < len(heaps)
    vals = x[snap].copy()
    vals[up] = heaps[idx[up]] + rng.choice([0.0, 0.0, 0.01, 0.02], size=up.sum())
    x[snap] = vals
    return np.round(x, 2)


def gen_age(seed=1303):
    """Integer ages 18-90 from two overlapping groups."""
    rng = np.random.default_rng(seed)
    n = 30000
    x = np.where(rng.random(n) < 0.7, rng.normal(34, 9, n), rng.normal(58, 11, n))
    return np.round(x.clip(18, 90))


def gen_rating(seed=1304):
    """1-5 ratings, skewed to the top."""
    rng = np.random.default_rng(seed)
    return rng.choice([1.0, 2.0, 3.0, 4.0, 5.0], size=20000, p=[0.06, 0.07, 0.17, 0.32, 0.38])


def gen_rate(seed=1305):
    """Interest rates in percent with two decimals: grade rates (x.49, x.99) plus a spread."""
    rng = np.random.default_rng(seed)
    n = 40000
    grade = rng.choice(np.array([6.03, 7.89, 10.99, 12.49, 13.99, 15.61, 17.27, 19.99, 22.45, 25.49]),
                       size=n, p=[0.08, 0.12, 0.16, 0.15, 0.14, 0.11, 0.09, 0.07, 0.05, 0.03])
    x = np.where(rng.random(n) < 0.65, grade, rng.normal(13.5, 4.5, n).clip(5.0, 30.0))
    return np.round(x, 2)


GENERATED = [("gen.loan_amount", gen_loan), ("gen.carat", gen_carat), ("gen.age", gen_age),
             ("gen.rating_1_5", gen_rating), ("gen.interest_rate", gen_rate)]


def sklearn_fit(x, n_init):
    bgm = BayesianGaussianMixture(n_components=10, weight_concentration_prior_type="dirichlet_process",
                                  weight_concentration_prior=0.001, max_iter=100, n_init=n_init,
                                  random_state=42)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        bgm.fit(x.reshape(-1, 1))
        secs = time.perf_counter() - t0
    w, mu, var = bgm.weights_, bgm.means_.ravel(), bgm.covariances_.ravel()
    return {"loglik": plugin_loglik(x, w, mu, var), "valid": int((w > 0.005).sum()), "seconds": secs}


def sklearn_cached(cache, name, x, n_init):
    key = f"{name}|{len(x)}|{hashlib.sha1(x.tobytes()).hexdigest()[:16]}|n_init={n_init}|{sklearn.__version__}"
    if key not in cache["entries"]:
        cache["entries"][key] = sklearn_fit(x, n_init)
        if cache["path"]:
            with open(cache["path"], "w") as f:
                json.dump(cache["entries"], f, indent=0)
    return cache["entries"][key]


def load_summary(name, x):
    """Summarize x once on the server; returns the table holding it."""
    table = "ms_" + "".join(ch if ch.isalnum() else "_" for ch in name.lower())
    load_values(f"vgm_bench.{table}_x", x,
                after=f"DROP TABLE IF EXISTS vgm_bench.{table};\n"
                      f"CREATE TABLE vgm_bench.{table} AS SELECT vgm_summarize(x) AS s FROM vgm_bench.{table}_x;\n"
                      f"DROP TABLE vgm_bench.{table}_x;\n")
    return table


def vgm_fits(table, n_init, reps):
    arg = "" if n_init == "default" else f", n_init => {int(n_init)}"
    script = ["SET max_parallel_workers_per_gather = 0;"]
    script += [f"SELECT vgm_fit(s{arg})::text FROM vgm_bench.{table};"] * reps
    models = [json.loads(line) for line in psql("\n".join(script) + "\n").splitlines()
              if line.startswith("{")]
    m = models[-1]
    return {"weights": m["weights"], "means": m["means"], "variances": m["covariances"],
            "fit_ms": statistics.median(mm["fit"]["fit_ms"] for mm in models),
            "iterations": m["fit"]["iterations"], "buckets": m["training"]["buckets"],
            "lb_per_row": m["fit"]["lower_bound"] / m["training"]["total_weight"],
            "deterministic": all(mm["weights"] == m["weights"] and mm["means"] == m["means"]
                                 for mm in models)}


def ratio_10m(rows, reps):
    """End-to-end vgm_fit(x) (default n_init, and n_init => 1) against sum(x), alternated in one session."""
    import bench_fit
    table = bench_fit.ensure_generated(rows)
    q_sum = f"SELECT sum(x) FROM vgm_bench.{table};"
    q_fit = f"SELECT vgm_fit(x) IS NOT NULL FROM vgm_bench.{table};"
    q_one = f"SELECT vgm_fit(vgm_summarize(x), n_init => 1) IS NOT NULL FROM vgm_bench.{table};"
    setup = bench_fit.session_settings("off") + [f"SELECT count(*) FROM vgm_bench.{table};", q_sum, q_fit]
    r = bench_fit.measure(setup, [q_sum, q_fit, q_one], reps)
    cpu = r[q_sum][0][1] is not None
    k = 1 if cpu else 0
    med = {q: statistics.median(v[k] for v in r[q]) for q in r}
    return {"rows": rows, "basis": "backend CPU" if cpu else "wall", "sum_ms": med[q_sum],
            "fit_ms": med[q_fit], "one_ms": med[q_one],
            "ratio": med[q_fit] / med[q_sum], "ratio_one": med[q_one] / med[q_sum]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n-init", default="1,default", help="comma list of n_init values ('default': omitted)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--generated-only", action="store_true")
    ap.add_argument("--only", help="comma list of column names (substring match)")
    ap.add_argument("--cache", default=os.path.join("/tmp", "vgm_sklearn_cache.json"))
    ap.add_argument("--no-sklearn", action="store_true", help="vgm columns only (no reference)")
    ap.add_argument("--ratio-rows", type=int, default=0,
                    help="also time vgm_fit(x) against sum(x) on this many generated rows (bench_fit.py's table)")
    ap.add_argument("--ratio-only", action="store_true")
    ap.add_argument("--markdown")
    args = ap.parse_args()
    variants = [v.strip() for v in args.n_init.split(",") if v.strip()]
    cache = {"path": args.cache, "entries": {}}
    if args.cache and os.path.exists(args.cache):
        with open(args.cache) as f:
            cache["entries"] = json.load(f)

    lines = []

    def emit(s=""):
        print(s, flush=True)
        lines.append(s)

    if args.ratio_rows:
        r = ratio_10m(args.ratio_rows, max(args.reps, 5))
        emit(f"{r['rows']:,} rows, serial, median of {max(args.reps, 5)} alternated runs ({r['basis']}): "
             f"sum(x) {r['sum_ms']:.0f} ms; vgm_fit(x) {r['fit_ms']:.0f} ms = {r['ratio']:.2f}x sum(x) (target <= 2.0x); "
             f"vgm_fit(vgm_summarize(x), n_init => 1) {r['one_ms']:.0f} ms = {r['ratio_one']:.2f}x")
        emit()
        if args.ratio_only:
            return 0
    columns = []
    if not args.generated_only:
        if os.path.isdir(DATA_DIR):
            for fname, col in REAL_COLUMNS:
                path = os.path.join(DATA_DIR, fname)
                if os.path.exists(path):
                    columns.append((f"{fname.split('.')[0]}.{col}", lambda p=path, c=col: read_column(p, c)))
                else:
                    emit(f"(file {fname} absent from {os.path.normpath(DATA_DIR)}: {col} skipped)")
        else:
            emit(f"Real data folder {os.path.normpath(DATA_DIR)} is absent: real columns skipped.")
    columns += GENERATED
    if args.only:
        wanted = args.only.split(",")
        columns = [c for c in columns if any(w in c[0] for w in wanted)]

    vhead = " | ".join(f"vgm n_init={v} loglik | valid | fit ms" for v in variants)
    emit(f"| column | rows | buckets | sklearn n_init=1 loglik | valid | sklearn n_init=5 loglik | valid | {vhead} |")
    emit("|---|---:|---:|---:|---:|---:|---:|" + "---:|---:|---:|" * len(variants))
    rows = []
    for name, make in columns:
        x = make()
        table = load_summary(name, x)
        res = {}
        for v in variants:
            r = vgm_fits(table, v, args.reps)
            r["loglik"] = plugin_loglik(x, r["weights"], r["means"], r["variances"])
            r["valid"] = int(sum(w > 0.005 for w in r["weights"]))
            res[v] = r
        psql(f"DROP TABLE vgm_bench.{table};\n")
        if args.no_sklearn:
            s1 = s5 = {"loglik": float("nan"), "valid": 0}
        else:
            s1 = sklearn_cached(cache, name, x, 1)
            s5 = sklearn_cached(cache, name, x, 5)
        rows.append((name, s1, s5, res))
        cells = " | ".join(f"{res[v]['loglik']:.5f} | {res[v]['valid']} | {res[v]['fit_ms']:.1f}" for v in variants)
        emit(f"| {name} | {len(x):,} | {res[variants[0]]['buckets']:,} | {s1['loglik']:.5f} | {s1['valid']} "
             f"| {s5['loglik']:.5f} | {s5['valid']} | {cells} |")
    emit()
    for v in variants:
        below1 = [n for n, s1, s5, res in rows if res[v]["loglik"] < s1["loglik"]]
        diff5 = [res[v]["loglik"] - s5["loglik"] for n, s1, s5, res in rows]
        slow = [n for n, s1, s5, res in rows if res[v]["fit_ms"] > 1000.0]
        nondet = [n for n, s1, s5, res in rows if not res[v]["deterministic"]]
        emit(f"n_init={v}: >= sklearn n_init=1 on {len(rows) - len(below1)} of {len(rows)} columns"
             + (f" (below: {', '.join(below1)})" if below1 else "")
             + f"; mean difference to sklearn n_init=5 {statistics.mean(diff5):+.5f} per row"
             + f"; max fit {max(res[v]['fit_ms'] for n, s1, s5, res in rows):.0f} ms"
             + (f" (over 1 s: {', '.join(slow)})" if slow else "")
             + ("" if not nondet else f"; NOT deterministic: {', '.join(nondet)}"))
    write_report(args.markdown, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
