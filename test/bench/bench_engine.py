#!/usr/bin/python3
"""Engine speed: vgm's VB-EM on raw points vs scikit-learn on the same data.

Runs 100 iterations (tol 0, so neither side stops early) at K = 10 on 10k and
1M generated points, and prints milliseconds per fit and per iteration.  vgm
is timed by its own fit clock (vgm_diagnostics(m).fit_ms: initialization plus
EM, excluding the transfer of the array), scikit-learn by wall time of fit().

Usage: /usr/bin/python3 test/bench/bench_engine.py   (PGHOST/PGPORT/PGUSER/PGDATABASE
point at a server where CREATE EXTENSION vgm has been run)
"""
import os
import sys
import time

import numpy as np
from sklearn.mixture import BayesianGaussianMixture

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vgmtest import load_values  # noqa: E402


def data(n, seed=7):
    """A financial-like column: log-normal modes, a point mass, refunds."""
    rng = np.random.default_rng(seed)
    parts = [
        rng.lognormal(3.0, 0.5, n * 4 // 10),
        rng.lognormal(5.5, 0.3, n * 3 // 10),
        np.full(n // 10, 9.99),
        -rng.lognormal(3.5, 0.4, n // 10),
    ]
    x = np.concatenate(parts)
    x = np.concatenate([x, rng.normal(1000, 50, n - len(x))])
    rng.shuffle(x)
    return x


def vgm_fit_ms(x):
    """Fit in the server; returns (fit_ms, iterations)."""
    out = load_values("pg_temp.bench_x", x,
                      after="SELECT d.fit_ms, d.iterations FROM (SELECT vgm_fit(array_agg(x), max_iter => 100, "
                            "tol => 0) AS m FROM pg_temp.bench_x) s, vgm_diagnostics(m) d;\n")
    line = [l for l in out.splitlines() if "|" in l][-1]
    ms, iters = line.split("|")
    return float(ms), int(iters)


def sklearn_fit_ms(x):
    """CTGAN settings, 100 iterations, tol 0."""
    bgm = BayesianGaussianMixture(n_components=10, weight_concentration_prior_type="dirichlet_process",
                                  weight_concentration_prior=0.001, n_init=1, max_iter=100, tol=0,
                                  random_state=42)
    t = time.perf_counter()
    bgm.fit(x.reshape(-1, 1))
    return (time.perf_counter() - t) * 1000.0, bgm.n_iter_


def main():
    print(f"{'points':>9} {'sklearn ms':>11} {'vgm ms':>9} {'ratio':>7} {'sklearn ms/iter':>16} {'vgm ms/iter':>12}")
    for n in (10_000, 1_000_000):
        x = data(n)
        s_ms, s_it = sklearn_fit_ms(x)
        v_ms, v_it = vgm_fit_ms(x)
        print(f"{n:>9} {s_ms:>11.1f} {v_ms:>9.1f} {s_ms / v_ms:>6.1f}x {s_ms / s_it:>16.2f} {v_ms / v_it:>12.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
