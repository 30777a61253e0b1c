#!/usr/bin/python3
"""End to end on the same 1M rows of 4 columns: the one-step SQL fit
SELECT vgm_joint_fit(ARRAY[a, b, c, d]) FROM t against scikit-learn's
BayesianGaussianMixture(full covariance, 10 components, Dirichlet process,
random_state=42) on the numpy array of the same rows.

What is timed (wall time, one run each, in the same process run):
  - ours: the whole statement on the server clock: the scan of the table,
    the one-pass summary and the fit (the default 5 starts, and once more
    with the summary form and n_init => 1); the table is in shared buffers
    after a warm-up count(*), its load (COPY) is reported on its own line;
  - scikit-learn: fit(X) with X already in memory (reading the CSV is not
    timed), n_init=1, its defaults otherwise (max_iter 100, tol 1e-3),
    BLAS limited to one thread as the backend runs in one.
Quality, for both: the plug-in mixture log density per row on all the rows
(vgm_log_density averaged in SQL; score(X) for scikit-learn), the same
quantity (docs/accuracy.md section 9).

The tables: "generated" (four correlated Gaussian groups, the first column
log-normal inside each group, numpy seed 42) and "credit" (1M rows drawn with
replacement, seed 42, from LIMIT_BAL, AGE, BILL_AMT1, PAY_AMT1 of the UCI
credit table in ../shared/data; skipped when absent).

Needs a server with the extension (libpq environment: PGHOST, PGPORT,
PGDATABASE), or run through test/bench/bench_joint_end_to_end.sh, which
starts a private one.

With --no-sklearn only our side runs (scikit-learn's 1M-row fits take about
20 minutes each; its figures in docs/accuracy.md were measured on the same
generated rows, which depend only on the seed).

Usage: /usr/bin/python3 test/bench/bench_joint_end_to_end.py [--rows N]
       [--only generated|credit] [--no-sklearn]
"""
import argparse
import csv
import os
import re
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vgmtest import DATA_DIR, psql  # noqa: E402

CREDIT_COLUMNS = ["LIMIT_BAL", "AGE", "BILL_AMT1", "PAY_AMT1"]


def generated_rows(n, rng):
    """Four correlated Gaussian groups in 4-D, the first column log-normal."""
    centers = np.array([[0.0, 0.0, 10.0, 100.0], [1.5, 3.0, 12.0, 80.0],
                        [3.0, -2.0, 8.0, 120.0], [0.8, 1.0, 15.0, 60.0]])
    scales = np.array([[0.3, 1.0, 2.0, 5.0], [0.2, 0.5, 1.0, 8.0],
                       [0.4, 1.5, 0.5, 3.0], [0.1, 0.8, 3.0, 10.0]])
    shares = np.array([0.4, 0.3, 0.2, 0.1])
    group = rng.choice(4, size=n, p=shares)
    z = rng.standard_normal((n, 4))
    z[:, 1] += 0.6 * z[:, 0]
    z[:, 3] += 0.4 * z[:, 2] - 0.3 * z[:, 1]
    x = centers[group] + scales[group] * z
    x[:, 0] = np.exp(x[:, 0])
    return x


def credit_rows(n, rng):
    """n rows drawn with replacement from four columns of the credit table."""
    path = os.path.join(DATA_DIR, "UCI_Credit_Card.csv")
    if not os.path.exists(path):
        return None
    with open(path, newline="") as f:
        rows = [[float(r[c]) for c in CREDIT_COLUMNS] for r in csv.DictReader(f)]
    base = np.array(rows)
    return base[rng.integers(0, len(base), size=n)]


def server_ms(sql):
    """Wall time of one statement on the server clock, and its output lines."""
    out = psql("SET max_parallel_workers_per_gather = 0;\nSET jit = off;\n"
               "SET client_min_messages = warning;\n"
               "SELECT 'T0', extract(epoch FROM clock_timestamp());\n" + sql +
               "\nSELECT 'T1', extract(epoch FROM clock_timestamp());\n")
    marks = dict(re.findall(r"^(T[01])\|([0-9.]+)$", out, re.M))
    lines = [ln for ln in out.splitlines() if ln and not ln.startswith("T0|")
             and not ln.startswith("T1|")]
    return 1000 * (float(marks["T1"]) - float(marks["T0"])), lines


def run_table(name, x, sklearn=True):
    """Load x, time both fits, score both; print one block of results."""
    n = len(x)
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        np.savetxt(f, x, delimiter=",", fmt="%.17g")
        path = f.name
    os.chmod(path, 0o644)
    try:
        psql("DROP TABLE IF EXISTS vgm_e2e; CREATE TABLE vgm_e2e (a float8, b float8, c float8, d float8);"
             " ALTER TABLE vgm_e2e SET (autovacuum_enabled = off);")
        t0 = time.time()
        psql("\\copy vgm_e2e FROM '%s' WITH (FORMAT csv)" % path)
        load_ms = 1000 * (time.time() - t0)
    finally:
        os.unlink(path)
    psql("VACUUM ANALYZE vgm_e2e; SELECT count(*) FROM vgm_e2e;")
    ours_ms, _ = server_ms("CREATE TABLE vgm_e2e_m AS SELECT vgm_joint_fit(ARRAY[a, b, c, d]) AS m FROM vgm_e2e;")
    one_ms, _ = server_ms("CREATE TABLE vgm_e2e_m1 AS SELECT vgm_joint_fit(vgm_joint_summarize(ARRAY[a, b, c, d]),"
                          " n_init => 1) AS m FROM vgm_e2e;")
    q = psql("SELECT avg(vgm_log_density(m.m, ARRAY[a, b, c, d])), avg(vgm_log_density(m1.m, ARRAY[a, b, c, d])),"
             " vgm_n_components(m.m), vgm_n_components(m1.m), (vgm_diagnostics(m.m)).iterations"
             " FROM vgm_e2e, vgm_e2e_m m, vgm_e2e_m1 m1 GROUP BY m.m, m1.m;").strip().split("|")
    psql("DROP TABLE vgm_e2e_m, vgm_e2e_m1, vgm_e2e;")
    if not sklearn:
        print("## %s: %d rows, d = 4 (scikit-learn not run)" % (name, n))
        print("| fit | wall ms | log density per row | components |")
        print("|---|---|---|---|")
        print("| `vgm_joint_fit(ARRAY[a, b, c, d])`, defaults (5 starts, %s iterations) | %.0f | %.4f | %s |"
              % (q[4], ours_ms, float(q[0]), q[2]))
        print("| `vgm_joint_fit(vgm_joint_summarize(...), n_init => 1)` | %.0f | %.4f | %s |"
              % (one_ms, float(q[1]), q[3]))
        print("", flush=True)
        return

    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        bgm = BayesianGaussianMixture(n_components=10, covariance_type="full",
                                      weight_concentration_prior_type="dirichlet_process",
                                      random_state=42, n_init=1)
        t0 = time.time()
        bgm.fit(x)
        sk_ms = 1000 * (time.time() - t0)
        sk_ll = bgm.score(x)
    sk_k = int(np.sum(bgm.weights_ > 1e-3))
    print("## %s: %d rows, d = 4 (load with \\copy: %.0f ms, not counted)" % (name, n, load_ms))
    print("| fit | wall ms | ratio to scikit-learn | log density per row | components |")
    print("|---|---|---|---|---|")
    print("| scikit-learn, n_init=1 (%d iterations%s) | %.0f | 1 | %.4f | %d (weight > 0.001) |"
          % (bgm.n_iter_, "" if bgm.converged_ else ", not converged", sk_ms, sk_ll, sk_k))
    print("| `vgm_joint_fit(ARRAY[a, b, c, d])`, defaults (5 starts, %s iterations) | %.0f | %.1f× faster | %.4f | %s |"
          % (q[4], ours_ms, sk_ms / ours_ms, float(q[0]), q[2]))
    print("| `vgm_joint_fit(vgm_joint_summarize(...), n_init => 1)` | %.0f | %.1f× faster | %.4f | %s |"
          % (one_ms, sk_ms / one_ms, float(q[1]), q[3]))
    print("", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--only", choices=["generated", "credit"])
    ap.add_argument("--no-sklearn", action="store_true",
                    help="time and score only the SQL fits")
    args = ap.parse_args()
    psql("CREATE EXTENSION IF NOT EXISTS vgm;")
    if args.only in (None, "generated"):
        run_table("generated", generated_rows(args.rows, np.random.default_rng(42)),
                  not args.no_sklearn)
    if args.only in (None, "credit"):
        x = credit_rows(args.rows, np.random.default_rng(42))
        if x is None:
            print("# credit: %s not found, skipped" % os.path.join(DATA_DIR, "UCI_Credit_Card.csv"))
        else:
            run_table("credit (resampled)", x, not args.no_sklearn)


if __name__ == "__main__":
    main()
