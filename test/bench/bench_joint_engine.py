#!/usr/bin/python3
"""The joint engine alone (src/joint_vbem.c) against scikit-learn, on raw rows.

Quality.  On real tables of 2-5 numeric columns from ../shared/data (all
rows, no summary), fit a 10-component full-covariance mixture with
scikit-learn 1.2.1's BayesianGaussianMixture (Dirichlet process, prior
0.001 as CTGAN, random_state 42, its defaults max_iter 100 and tol 1e-3,
n_init 1 and 5) and with the engine (its defaults: tol 1e-8 per row,
max_iter 20000, seed 42; n_init 1, 3, 5 and 10), and print for each the
mean plug-in log density per row on the same rows (log sum_k w_k N(x | m_k,
S_k) with the fitted weights_, means_ and covariances_), the number of valid
components (weight > 0.005), the iterations and the fit time (wall clock;
the engine's own clock around vgm_joint_fit, scikit-learn's around fit()).

Speed.  Time per iteration at n = 100,000, d = 4, k = 10 on generated rows:
fits of 20 and 120 iterations (tol 0, one start) on both sides; the
difference divided by 100 leaves the initialization out.

The engine runs through test/bench/joint_engine_main.c, compiled here with
the core sources (cc -O2).  Everything in one run, so that the times are
comparable: the machine has 2 cores shared with other work, repeat and
report ratios.

Usage: /usr/bin/python3 test/bench/bench_joint_engine.py [--quick] [--runs N]
(VGM_DATA_DIR overrides ../shared/data; without it only the speed part runs)
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "test", "lib"))
from vgmtest import DATA_DIR  # noqa: E402

K = 10
THRESHOLD = 0.005
TABLES = [
    ("faithful", "faithful.csv", ["eruptions", "waiting"]),
    ("adult age x hours", "ctgan_adult.csv", ["age", "hours-per-week"]),
    ("credit limit x bill x pay", "UCI_Credit_Card.csv", ["LIMIT_BAL", "BILL_AMT1", "PAY_AMT1"]),
    ("credit bills 1-4", "UCI_Credit_Card.csv", ["BILL_AMT1", "BILL_AMT2", "BILL_AMT3", "BILL_AMT4"]),
    ("adult 4 continuous", "ctgan_adult.csv", ["age", "fnlwgt", "education-num", "hours-per-week"]),
    ("credit limit age bill pay1 pay2", "UCI_Credit_Card.csv",
     ["LIMIT_BAL", "AGE", "BILL_AMT1", "PAY_AMT1", "PAY_AMT2"]),
    ("adult 5 with capital", "ctgan_adult.csv",
     ["age", "fnlwgt", "capital-gain", "capital-loss", "hours-per-week"]),
]
ENGINE_N_INIT = (1, 3, 5, 10)


def read_columns(name, columns):
    import csv
    with open(os.path.join(DATA_DIR, name), newline="") as f:
        rows = list(csv.reader(f))
    header = [h.strip().strip('"') for h in rows[0]]
    idx = [header.index(c) for c in columns]
    return np.array([[float(r[i]) for i in idx] for r in rows[1:] if r], dtype=np.float64)


def build_engine(tmp):
    exe = os.path.join(tmp, "joint_engine_main")
    srcs = [os.path.join(HERE, "joint_engine_main.c"), os.path.join(REPO, "src", "joint_vbem.c"),
            os.path.join(REPO, "src", "vbem.c"), os.path.join(REPO, "src", "kmeans_seed.c")]
    subprocess.run(["cc", "-O2", "-std=gnu11", "-I" + os.path.join(REPO, "src"), "-o", exe] + srcs
                   + ["-lgsl", "-lopenblas", "-lm"], check=True)
    return exe


def engine_fit(exe, tmp, X, k, n_init, seed=42, max_iter=0, tol=-1.0):
    path = os.path.join(tmp, "x.bin")
    np.ascontiguousarray(X, dtype="<f8").tofile(path)
    n, d = X.shape
    out = subprocess.run([exe, path, str(n), str(d), str(k), str(n_init), str(seed), str(max_iter),
                          repr(float(tol))], check=True, capture_output=True, text=True).stdout
    rec = {}
    for line in out.splitlines():
        key, *vals = line.split()
        rec[key] = [float(v) for v in vals]
    return dict(weights=np.array(rec["weights"]), means=np.array(rec["means"]).reshape(k, d),
                covariances=np.array(rec["covariances"]).reshape(k, d, d),
                iterations=int(rec["iterations"][0]), converged=int(rec["converged"][0]),
                seconds=rec["seconds"][0], cpu=rec["cpu_seconds"][0], start=int(rec["start"][0]))


def sklearn_fit(X, k, n_init, max_iter=100, tol=1e-3):
    bgm = BayesianGaussianMixture(n_components=k, covariance_type="full",
                                  weight_concentration_prior_type="dirichlet_process",
                                  weight_concentration_prior=0.001, n_init=n_init,
                                  max_iter=max_iter, tol=tol, random_state=42)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        c0 = time.process_time()
        bgm.fit(X)
        secs = time.perf_counter() - t0
        cpu = time.process_time() - c0
    return dict(weights=bgm.weights_, means=bgm.means_, covariances=bgm.covariances_,
                iterations=bgm.n_iter_, converged=int(bgm.converged_), seconds=secs, cpu=cpu)


def plugin_loglik(X, fit):
    """Mean over rows of log sum_k w_k N(x | m_k, S_k)."""
    n, d = X.shape
    parts = []
    for w, m, S in zip(fit["weights"], fit["means"], fit["covariances"]):
        if not w > 0:
            continue
        L = np.linalg.cholesky(S)
        z = np.linalg.solve(L, (X - m).T)
        parts.append(np.log(w) - 0.5 * d * np.log(2 * np.pi) - np.sum(np.log(np.diag(L)))
                     - 0.5 * np.sum(z * z, axis=0))
    lp = np.array(parts)
    top = lp.max(axis=0)
    return float(np.mean(top + np.log(np.exp(lp - top).sum(axis=0))))


def valid(fit):
    return int(np.sum(fit["weights"] > THRESHOLD))


def quality(exe, tmp, quick):
    print("## quality: mean plug-in log density per row on all rows, k = %d" % K)
    print("| table | rows x d | sklearn n_init=1 | sklearn n_init=5 | "
          + " | ".join("vgm n_init=%d" % s for s in ENGINE_N_INIT) + " |")
    print("|---|---|---|---|" + "---|" * len(ENGINE_N_INIT))
    summary = []
    tables = TABLES[:3] if quick else TABLES
    for label, fname, cols in tables:
        X = read_columns(fname, cols)
        cells = []
        sk1 = sklearn_fit(X, K, 1)
        sk5 = sklearn_fit(X, K, 5)
        for f in (sk1, sk5):
            cells.append("%.4f (%d valid, %d it, %.2f s)" % (plugin_loglik(X, f), valid(f),
                                                            f["iterations"], f["seconds"]))
        ours = {}
        for s in ENGINE_N_INIT:
            f = engine_fit(exe, tmp, X, K, s)
            ours[s] = f
            cells.append("%.4f (%d valid, %d it%s, %.2f s)" % (
                plugin_loglik(X, f), valid(f), f["iterations"], "" if f["converged"] else " unconv.",
                f["seconds"]))
        print("| %s | %d x %d | %s |" % (label, X.shape[0], X.shape[1], " | ".join(cells)))
        sys.stdout.flush()
        summary.append((label, plugin_loglik(X, sk1), plugin_loglik(X, sk5),
                        {s: plugin_loglik(X, ours[s]) for s in ENGINE_N_INIT}))
    print()
    for s in ENGINE_N_INIT:
        wins = sum(1 for _, a, _, o in summary if o[s] >= a)
        worst = min(o[s] - a for _, a, _, o in summary)
        print("vgm n_init=%d: >= sklearn n_init=1 on %d of %d tables (worst difference %+.4f per row)"
              % (s, wins, len(summary), worst))


def speed(exe, tmp, runs):
    n, d = 100_000, 4
    rng = np.random.default_rng(4)
    centers = rng.normal(0.0, 5.0, (6, d))
    X = np.concatenate([rng.normal(0.0, 1.0, (n // 6 + 1, d)) @ rng.normal(0.0, 0.6, (d, d)) + c
                        for c in centers])[:n]
    rng.shuffle(X)
    print("## speed: time per iteration, n = %d, d = %d, k = %d (fits of 20 and 120 iterations, tol 0)"
          % (n, d, K))
    print("| run | vgm ms/iteration (wall) | sklearn ms/iteration (wall) | sklearn / vgm (wall) "
          "| vgm ms/iteration (CPU) | sklearn ms/iteration (CPU) | sklearn / vgm (CPU) |")
    print("|---|---|---|---|---|---|---|")
    for r in range(runs):
        e20 = engine_fit(exe, tmp, X, K, 1, max_iter=20, tol=0.0)
        e120 = engine_fit(exe, tmp, X, K, 1, max_iter=120, tol=0.0)
        s20 = sklearn_fit(X, K, 1, max_iter=20, tol=0.0)
        s120 = sklearn_fit(X, K, 1, max_iter=120, tol=0.0)
        ours = (e120["seconds"] - e20["seconds"]) / 100.0 * 1000.0
        theirs = (s120["seconds"] - s20["seconds"]) / 100.0 * 1000.0
        ours_cpu = (e120["cpu"] - e20["cpu"]) / 100.0 * 1000.0
        theirs_cpu = (s120["cpu"] - s20["cpu"]) / 100.0 * 1000.0
        print("| %d | %.2f | %.2f | %.1f | %.2f | %.2f | %.1f |" % (
            r + 1, ours, theirs, theirs / ours, ours_cpu, theirs_cpu, theirs_cpu / ours_cpu))
        sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="three tables only")
    ap.add_argument("--runs", type=int, default=3, help="repetitions of the speed measurement")
    ap.add_argument("--only", choices=["quality", "speed"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        exe = build_engine(tmp)
        if args.only != "speed":
            if os.path.isdir(DATA_DIR):
                quality(exe, tmp, args.quick)
            else:
                print("## quality: skipped, %s is not there (the real tables live there)" % DATA_DIR)
        if args.only != "quality":
            speed(exe, tmp, args.runs)


if __name__ == "__main__":
    main()
