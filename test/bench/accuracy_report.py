#!/usr/bin/python3
"""Accuracy and speed of vgm against scikit-learn on real and generated columns.

For every column: scikit-learn 1.2.1's BayesianGaussianMixture with the
CTGAN / RDT settings (n_components=10, weight_concentration_prior_type=
'dirichlet_process', weight_concentration_prior=0.001, n_init=1,
random_state=42, default max_iter=100 and tol=1e-3) against vgm's one-step
aggregate with its defaults (`SELECT vgm_fit(x) FROM t`: one-pass summary,
then VB-EM to convergence).  Both are scored the same way, in Python, from
their fitted parameters: the mean plug-in log-likelihood per row,
mean_i log sum_k w_k N(x_i; mu_k, sigma_k^2), on the very rows fitted.
Also reported: valid components (weight > 0.005), iterations, lower bound per
row (scikit-learn's lower_bound_ / n, vgm's lower_bound / total weight: the
same formula, vgm's over buckets), scikit-learn's fit() wall time, vgm's own
fit clock (vgm_diagnostics(m).fit_ms: the fit of the finished summary) and
the whole query (`SELECT vgm_fit(x) FROM t`: scan, summary, fit; median of
--reps runs after the library is loaded; wall time from the server clock and
the backend's CPU time from /proc/self/schedstat, which needs superuser or
pg_read_server_files), serial plan.  scikit-learn is timed by wall clock and
by process CPU time; on a shared machine the CPU ratio is the robust one.

Requirement checked: vgm's plug-in log-likelihood >= scikit-learn's - 0.01 on
every column; on the generated 1M-row column, vgm end to end >= 100x faster
than scikit-learn with an equal or better plug-in log-likelihood.

Data: ../shared/data/*.csv beside the repository (override: VGM_DATA_DIR).
When the folder is absent the script says so and exits 0 without touching
the server (--generated-only still runs the generated column, which needs no
files).  Nothing is copied into the
repository: each column goes to a temporary CSV file and through psql \\copy
into a table of schema vgm_bench, dropped at the end.

Connection: the usual libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE);
the extension must be installed on that server (make install).

Usage:
  /usr/bin/python3 test/bench/accuracy_report.py [--reps N] [--rows-generated N]
        [--skip-generated | --generated-only] [--more-columns] [--jit on|off]
        [--markdown FILE]
"""
import argparse
import json
import os
import re
import statistics
import sys
import time
import warnings

try:
    import numpy as np
    from scipy.special import logsumexp
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import BayesianGaussianMixture
except ImportError as e:  # pragma: no cover - environment problem
    print(f"accuracy_report: needs numpy, scipy and scikit-learn ({e}); "
          "run it with /usr/bin/python3 (Debian's python3-sklearn)", file=sys.stderr)
    sys.exit(2)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vgmtest import (DATA_COLUMNS, DATA_DIR, load_values, mark_deltas, psql,  # noqa: E402
                     read_column, usable_mark, write_report)

# (file, column) pairs; the second list with --more-columns.
COLUMNS = DATA_COLUMNS
MORE_COLUMNS = [
    ("UCI_Credit_Card.csv", "BILL_AMT2"),
    ("UCI_Credit_Card.csv", "BILL_AMT6"),
    ("UCI_Credit_Card.csv", "PAY_AMT2"),
    ("UCI_Credit_Card.csv", "PAY_AMT6"),
    ("ctgan_adult.csv", "capital-loss"),
]

LOGLIK_MARGIN = 0.01
SPEEDUP_TARGET = 100.0


def generated_financial(n, seed=20240607):
    """Financial-like amounts in cents: lognormal modes, heaps at 9.99 and 100.00, refunds."""
    rng = np.random.default_rng(seed)
    kinds = rng.choice(6, size=n, p=[0.10, 0.05, 0.08, 0.40, 0.27, 0.10])
    x = np.empty(n)
    x[kinds == 0] = 9.99
    x[kinds == 1] = 100.00
    m = kinds == 2
    x[m] = -rng.lognormal(3.0, 1.0, m.sum())          # refunds
    m = kinds == 3
    x[m] = rng.lognormal(3.0, 0.8, m.sum())           # small purchases, ~20
    m = kinds == 4
    x[m] = rng.lognormal(5.0, 0.7, m.sum())           # ~150
    m = kinds == 5
    x[m] = rng.lognormal(7.5, 0.5, m.sum())           # ~1800
    return np.round(x, 2)


def plugin_loglik(x, weights, means, variances):
    """Mean over rows of log sum_k w_k N(x; mu_k, var_k)."""
    w = np.asarray(weights, dtype=np.float64)
    mu = np.asarray(means, dtype=np.float64)
    var = np.asarray(variances, dtype=np.float64)
    keep = w > 0
    w, mu, var = w[keep], mu[keep], var[keep]
    total = 0.0
    for start in range(0, len(x), 200000):
        xs = x[start:start + 200000, None]
        lp = np.log(w) - 0.5 * np.log(2 * np.pi * var) - 0.5 * (xs - mu) ** 2 / var
        total += logsumexp(lp, axis=1).sum()
    return total / len(x)


def fit_sklearn(x):
    bgm = BayesianGaussianMixture(n_components=10, weight_concentration_prior_type="dirichlet_process",
                                  weight_concentration_prior=0.001, n_init=1, random_state=42)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        c0 = time.process_time()
        bgm.fit(x.reshape(-1, 1))
        secs = time.perf_counter() - t0
        cpu = time.process_time() - c0
    return {
        "weights": bgm.weights_.tolist(),
        "means": bgm.means_.ravel().tolist(),
        "variances": bgm.covariances_.ravel().tolist(),
        "iterations": int(bgm.n_iter_),
        "converged": bool(bgm.converged_),
        "lb_per_row": float(bgm.lower_bound_) / len(x),
        "seconds": secs,
        "cpu_seconds": cpu,
    }


def fit_vgm(x, table, reps, jit):
    """Load x into vgm_bench.<table>, time SELECT vgm_fit(x) FROM it reps times.

    Wall time from the server clock around the statement, CPU time of the
    backend from /proc/self/schedstat (robust on a shared machine), both
    after the library is loaded (a first, untimed vgm call in the session).
    """
    load_values(f"vgm_bench.{table}", x)
    mark = usable_mark()
    script = ["SET max_parallel_workers_per_gather = 0;", f"SET jit = {jit};",
              f"SELECT count(*) FROM vgm_bench.{table};",
              "SELECT vgm_n_components(vgm_fit(v)) FROM (VALUES (1.0::float8), (2.0)) t(v);"]
    for _ in range(reps):
        script += [mark, f"SELECT vgm_fit(x)::text FROM vgm_bench.{table};", mark]
    out = psql("\n".join(script) + "\n")
    models = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    deltas = mark_deltas(out)
    if len(models) != reps or len(deltas) != reps:
        raise RuntimeError(f"unexpected psql output:\n{out[:2000]}")
    wall = [w for w, _ in deltas]
    cpu = [c for _, c in deltas] if deltas[0][1] is not None else None
    model = models[-1]
    fit_ms = [mm["fit"]["fit_ms"] for mm in models]
    return {
        "weights": model["weights"],
        "means": model["means"],
        "variances": model["covariances"],
        "iterations": model["fit"]["iterations"],
        "converged": model["fit"]["converged"],
        "lb_per_row": model["fit"]["lower_bound"] / model["training"]["total_weight"],
        "buckets": model["training"]["buckets"],
        "fit_ms": statistics.median(fit_ms),
        "query_ms": statistics.median(wall),
        "query_cpu_ms": statistics.median(cpu) if cpu else None,
        "deterministic": all(mm["weights"] == model["weights"] and mm["means"] == model["means"]
                             for mm in models),
    }


def drop_table(table):
    psql(f"DROP TABLE IF EXISTS vgm_bench.{table};\n")


def evaluate(name, x, reps, jit):
    table = "acc_" + re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    v = fit_vgm(x, table, reps, jit)
    drop_table(table)
    s = fit_sklearn(x)
    s["loglik"] = plugin_loglik(x, s["weights"], s["means"], s["variances"])
    v["loglik"] = plugin_loglik(x, v["weights"], v["means"], v["variances"])
    s["valid"] = int(sum(w > 0.005 for w in s["weights"]))
    v["valid"] = int(sum(w > 0.005 for w in v["weights"]))
    return {"name": name, "rows": len(x), "distinct": int(len(np.unique(x))), "sk": s, "vgm": v}


def fmt_row(r):
    s, v = r["sk"], r["vgm"]
    d = v["loglik"] - s["loglik"]
    ok = "yes" if d >= -LOGLIK_MARGIN else "**NO**"
    vcpu = v["query_cpu_ms"]
    return (f"| {r['name']} | {r['rows']:,} | {r['distinct']:,} | {v['buckets']:,} "
            f"| {s['loglik']:.5f} | {v['loglik']:.5f} | {d:+.5f} | {ok} "
            f"| {s['valid']} | {v['valid']} "
            f"| {s['iterations']}{'' if s['converged'] else ' (not conv.)'} "
            f"| {v['iterations']}{'' if v['converged'] else ' (not conv.)'} "
            f"| {s['lb_per_row']:.5f} | {v['lb_per_row']:.5f} "
            f"| {s['seconds']:.2f} / {s['cpu_seconds']:.2f} | {v['fit_ms']:.1f} "
            f"| {v['query_ms']:.1f} / " + (f"{vcpu:.1f}" if vcpu is not None else "n/a")
            + f" | {s['seconds'] * 1000.0 / v['query_ms']:.0f}x / "
            + (f"{s['cpu_seconds'] * 1000.0 / vcpu:.0f}x" if vcpu else "n/a") + " |")


HEADER = ("| column | rows | distinct | vgm buckets | sklearn loglik/row | vgm loglik/row | vgm - sklearn "
          "| >= -0.01 | valid sklearn | valid vgm | sklearn iter | vgm iter | sklearn LB/row | vgm LB/row "
          "| sklearn fit s (wall / CPU) | vgm fit ms | vgm query ms (wall / CPU) | speed-up (wall / CPU) |\n"
          "|---|---:|---:|---:|---:|---:|---:|:-:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def server_info():
    out = psql("SELECT current_setting('server_version'), (SELECT extversion FROM pg_extension WHERE extname = 'vgm');\n")
    return out.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3, help="vgm query repetitions (median reported)")
    ap.add_argument("--rows-generated", type=int, default=1000000)
    ap.add_argument("--skip-generated", action="store_true", help="real columns only")
    ap.add_argument("--generated-only", action="store_true",
                    help="only the generated column (runs without the data folder)")
    ap.add_argument("--more-columns", action="store_true")
    ap.add_argument("--jit", choices=["on", "off"], default="off")
    ap.add_argument("--markdown", help="also write the tables to this file")
    args = ap.parse_args()

    lines = []

    def emit(s=""):
        print(s, flush=True)
        lines.append(s)

    have_data = os.path.isdir(DATA_DIR)
    if not have_data and not args.generated_only:
        print(f"accuracy_report: the real data folder {os.path.normpath(DATA_DIR)} is absent "
              "(see ../shared/data/README.md for what belongs there; VGM_DATA_DIR overrides the path): "
              "nothing to report.  Use --generated-only to run the generated 1M-row comparison alone.")
        return 0
    try:
        psql("CREATE EXTENSION IF NOT EXISTS vgm;\n")
    except RuntimeError as e:
        print(f"accuracy_report: cannot reach a server with the vgm extension: {e}", file=sys.stderr)
        return 2
    emit(f"# vgm accuracy report ({time.strftime('%Y-%m-%d %H:%M')})")
    emit()
    emit(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}; PostgreSQL / vgm: "
         f"{server_info().replace('|', ' / ')}; serial plan, jit={args.jit}, vgm timings: median of {args.reps}.")
    emit()

    results = []
    failures = []
    if args.generated_only:
        pass
    elif not have_data:
        emit(f"Real data folder {os.path.normpath(DATA_DIR)} is absent: skipping the real-data columns "
             "(see ../shared/data/README.md for what belongs there).")
    else:
        emit(f"## Real data ({os.path.normpath(DATA_DIR)})")
        emit()
        emit(HEADER)
        cols = COLUMNS + (MORE_COLUMNS if args.more_columns else [])
        for fname, col in cols:
            path = os.path.join(DATA_DIR, fname)
            if not os.path.exists(path):
                emit(f"| {fname}:{col} | file missing | | | | | | | | | | | | | | | | |")
                continue
            x = read_column(path, col)
            r = evaluate(f"{fname.split('.')[0]}.{col}", x, args.reps, args.jit)
            results.append(r)
            emit(fmt_row(r))
            if r["vgm"]["loglik"] < r["sk"]["loglik"] - LOGLIK_MARGIN:
                failures.append(f"{r['name']}: vgm loglik {r['vgm']['loglik']:.5f} < sklearn {r['sk']['loglik']:.5f} - {LOGLIK_MARGIN}")
        emit()

    if not args.skip_generated or args.generated_only:
        n = args.rows_generated
        emit(f"## Generated financial-like column ({n:,} rows)")
        emit()
        emit("Amounts in cents: 10% exactly 9.99, 5% exactly 100.00, 8% refunds -lognormal(3, 1), "
             "lognormal modes (3, 0.8) 40%, (5, 0.7) 27%, (7.5, 0.5) 10%; numpy seed 20240607.")
        emit()
        emit(HEADER)
        x = generated_financial(n)
        r = evaluate(f"generated_{n // 1000}k", x, args.reps, args.jit)
        results.append(r)
        emit(fmt_row(r))
        emit()
        speed = r["sk"]["seconds"] * 1000.0 / r["vgm"]["query_ms"]
        vcpu = r["vgm"]["query_cpu_ms"]
        cspeed = r["sk"]["cpu_seconds"] * 1000.0 / vcpu if vcpu else None
        d = r["vgm"]["loglik"] - r["sk"]["loglik"]
        emit(f"End to end: scikit-learn {r['sk']['seconds']:.1f} s wall ({r['sk']['cpu_seconds']:.1f} s CPU) vs "
             f"`SELECT vgm_fit(x) FROM t` {r['vgm']['query_ms']:.0f} ms wall"
             + (f" ({vcpu:.0f} ms backend CPU)" if vcpu else "")
             + f": {speed:.0f}x wall" + (f", {cspeed:.0f}x CPU" if cspeed else "")
             + f" (target >= {SPEEDUP_TARGET:.0f}x); plug-in log-likelihood per row {d:+.5f} (target >= 0).")
        if speed < SPEEDUP_TARGET:
            failures.append(f"{r['name']}: speed-up {speed:.0f}x < {SPEEDUP_TARGET:.0f}x")
        if d < 0:
            failures.append(f"{r['name']}: vgm loglik {r['vgm']['loglik']:.5f} below sklearn {r['sk']['loglik']:.5f}")
        emit()

    if any(not r["vgm"]["deterministic"] for r in results):
        failures.append("vgm returned different models for the same query")
    emit("Result: " + ("all requirements met." if not failures else "MISSED: " + "; ".join(failures)))
    write_report(args.markdown, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
