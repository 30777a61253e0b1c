#!/usr/bin/python3
"""Fit speed of vgm: engine cost per bucket and iteration, time to convergence,
and the cost of the one-pass summary against a plain sum(x).

Measures, on a server with the extension installed (libpq environment:
PGHOST, PGPORT, PGUSER, PGDATABASE):

1. vgm_summarize(x) over a generated table (default 10M rows) against
   SELECT sum(x) on the same table, run alternately --reps times in one
   session after a warm-up scan; medians of wall time (server clock) and of
   the backend's CPU time (/proc/self/schedstat, robust when other jobs
   share the machine) and their ratios (target <= 1.5x).
2. The engine's cost per bucket and iteration at K = 10 on that table's
   summary: vgm_fit(s, max_iter => 100, tol => 0, init => m), warm-started
   from the converged model m, so that exactly 100 iterations run on every
   bucket (the coarse-to-fine path is skipped when init is given);
   vgm_diagnostics(...).fit_ms / (buckets * 100)  (target <= 0.1 us).
3. Time to convergence with the defaults (tol 1e-8 per unit weight, the SQL
   default max_iter): vgm_fit(summary) on the generated table and on every
   real column, fit_ms, backend CPU and iterations; and the whole one-step
   query SELECT vgm_fit(x) FROM t on the generated table (target: fit <= 1 s
   whatever the row count).

Timings: wall time from the server clock around each statement, the
backend's CPU time from /proc/self/schedstat (needs superuser or
pg_read_server_files; on a shared machine the CPU time is the robust number),
and vgm's own fit clock (wall); serial plans (max_parallel_workers_per_gather = 0),
jit off unless --jit on.  The machine may be shared: every timing is a median.

The generated table (amounts in cents: heaps at 9.99 and 100.00, refunds,
three lognormal modes; setseed(0.42)) is kept in schema vgm_bench for the next
run unless --drop; real columns come from ../shared/data beside the
repository (VGM_DATA_DIR overrides; skipped with a message when absent).

Usage: /usr/bin/python3 test/bench/bench_fit.py [--rows N] [--reps N]
        [--skip-real] [--jit on|off] [--drop] [--markdown FILE]
"""
import argparse
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vgmtest import (DATA_COLUMNS as COLUMNS, DATA_DIR, ensure_table, load_values,  # noqa: E402
                     mark_deltas, psql, read_column, usable_mark, write_report)
def measure(setup, queries, reps, with_output=False):
    """Run setup, then the queries alternately reps times in one session.

    Returns {query: [(wall_ms, cpu_ms), ...]}: wall from the server clock
    around each statement, CPU from the backend's /proc/self/schedstat (time
    actually on a CPU: robust on a shared machine; needs superuser or
    pg_read_server_files, else cpu_ms is None).
    """
    mark = usable_mark()
    lines = list(setup)
    order = []
    for _ in range(reps):
        for q in queries:
            lines += [mark, q, mark]
            order.append(q)
    out = psql("\n".join(lines) + "\n")
    res = {q: [] for q in queries}
    for q, delta in zip(order, mark_deltas(out)):
        res[q].append(delta)
    return (res, out) if with_output else res


def session_settings(jit):
    return ["SET max_parallel_workers_per_gather = 0;", f"SET jit = {jit};"]


GEN_SQL = """
SELECT setseed(0.42);
CREATE TABLE vgm_bench.{t} AS
SELECT round((CASE
    WHEN k < 0.10 THEN 9.99
    WHEN k < 0.15 THEN 100.00
    WHEN k < 0.23 THEN -exp(3.0 + 1.0 * z)
    WHEN k < 0.63 THEN exp(3.0 + 0.8 * z)
    WHEN k < 0.90 THEN exp(5.0 + 0.7 * z)
    ELSE exp(7.5 + 0.5 * z) END)::numeric, 2)::float8 AS x
FROM (SELECT random() AS k,
             sqrt(-2.0 * ln(1.0 - random())) * cos(2.0 * pi() * random()) AS z
      FROM generate_series(1, {n})) g;
VACUUM ANALYZE vgm_bench.{t};
"""


def ensure_generated(n):
    t = f"fit_gen_{n}"
    t0 = time.time()
    if ensure_table(f"vgm_bench.{t}", GEN_SQL.format(t=t, n=n)):
        print(f"# generated vgm_bench.{t} ({n:,} rows) in {time.time() - t0:.1f} s", file=sys.stderr)
    return t


def load_column(path, column, table):
    x = read_column(path, column)
    load_values(f"vgm_bench.{table}", x)
    return len(x)


DIAG = ("SELECT d.points, d.iterations, d.converged, d.fit_ms, d.n_valid "
        "FROM vgm_diagnostics({m}) d;")


def diag_rows(out):
    return [r.split("|") for r in out.splitlines() if r.count("|") == 4 and not r.startswith("M|")]


def timed_diagnostics(table, reps, jit, setup, model_sql):
    """vgm_diagnostics of MODEL_SQL run reps times after SETUP (on the
    summary s of the table): the diagnostics rows and the median backend CPU."""
    setup = session_settings(jit) + [
        f"CREATE TEMP TABLE s AS SELECT vgm_summarize(x) AS s FROM vgm_bench.{table};"] + setup
    q = DIAG.format(m=model_sql)
    res, out = measure(setup, [q], reps, with_output=True)
    cpu = [c for _, c in res[q]]
    return diag_rows(out), (statistics.median(cpu) if cpu[0] is not None else None)


def fit_to_convergence(table, reps, jit):
    """vgm_fit(summary) with defaults: fit_ms (vgm's clock) and backend CPU, medians."""
    # the first fit loads the library and its dependencies before timing anything
    diag, cpu_ms = timed_diagnostics(table, reps, jit, ["SELECT vgm_n_components(vgm_fit(s)) FROM s;"],
                                     "(SELECT vgm_fit(s) FROM s)")
    d = diag[-1]
    return {"buckets": int(d[0]), "iterations": int(d[1]), "converged": d[2] == "t",
            "fit_ms": statistics.median(float(x[3]) for x in diag), "valid": int(d[4]),
            "cpu_ms": cpu_ms}


def per_bucket_iteration(table, reps, jit):
    """us per bucket per iteration: 100 warm-started iterations on every bucket."""
    diag, cpu_ms = timed_diagnostics(table, reps, jit, ["CREATE TEMP TABLE m AS SELECT vgm_fit(s) AS m FROM s;"],
                                     "(SELECT vgm_fit(s, max_iter => 100, tol => 0, init => m) FROM s, m)")
    buckets = int(diag[-1][0])
    iters = int(diag[-1][1])
    ms = statistics.median(float(d[3]) for d in diag)
    return {"buckets": buckets, "iterations": iters, "fit_ms": ms, "cpu_ms": cpu_ms,
            "us_per_bucket_iter": ms * 1000.0 / (buckets * iters),
            "cpu_us_per_bucket_iter": cpu_ms * 1000.0 / (buckets * iters) if cpu_ms else None}


def summarize_vs_sum(table, reps, jit):
    q_sum = f"SELECT sum(x) FROM vgm_bench.{table};"
    q_vgm = f"SELECT vgm_summarize(x) IS NOT NULL FROM vgm_bench.{table};"
    setup = session_settings(jit) + [f"SELECT count(*) FROM vgm_bench.{table};", q_sum, q_vgm]
    r = measure(setup, [q_sum, q_vgm], reps)
    s, v = r[q_sum], r[q_vgm]
    out = {"sum_ms": statistics.median(w for w, _ in s), "summarize_ms": statistics.median(w for w, _ in v),
           "sum_all": [w for w, _ in s], "summarize_all": [w for w, _ in v]}
    out["ratio"] = out["summarize_ms"] / out["sum_ms"]
    out["ratios"] = [b[0] / a[0] for a, b in zip(s, v)]
    if s[0][1] is not None:
        out["sum_cpu"] = statistics.median(c for _, c in s)
        out["summarize_cpu"] = statistics.median(c for _, c in v)
        out["cpu_ratio"] = out["summarize_cpu"] / out["sum_cpu"]
    return out


def end_to_end(table, reps, jit):
    setup = session_settings(jit) + [f"SELECT count(*) FROM vgm_bench.{table};",
                                     "SELECT vgm_n_components(vgm_fit(x)) FROM (VALUES (1.0::float8), (2.0)) v(x);"]
    q = f"SELECT 'F', (vgm_diagnostics(vgm_fit(x))).fit_ms FROM vgm_bench.{table};"
    res, out = measure(setup, [q], reps, with_output=True)
    fit = [float(r.split("|")[1]) for r in out.splitlines() if r.startswith("F|")]
    wall = [w for w, _ in res[q]]
    cpu = [c for _, c in res[q]]
    return {"query_ms": statistics.median(wall), "fit_ms": statistics.median(fit), "all": wall,
            "cpu_ms": statistics.median(cpu) if cpu[0] is not None else None}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--jit", choices=["on", "off"], default="off")
    ap.add_argument("--drop", action="store_true", help="drop the generated table afterwards")
    ap.add_argument("--markdown")
    args = ap.parse_args()
    out = []

    def emit(s=""):
        print(s, flush=True)
        out.append(s)

    try:
        psql("CREATE EXTENSION IF NOT EXISTS vgm;\n")
    except RuntimeError as e:
        print(f"bench_fit: cannot reach a server with the vgm extension: {e}", file=sys.stderr)
        return 2
    emit(f"# vgm fit benchmark ({time.strftime('%Y-%m-%d %H:%M')}, load average "
         f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    emit()
    t = ensure_generated(args.rows)

    emit(f"## Summary cost: {args.rows:,} rows, serial, jit {args.jit}, {args.reps} alternating runs")
    emit()
    r = summarize_vs_sum(t, args.reps, args.jit)
    cpu = "sum_cpu" in r
    emit("| query | median wall ms | wall ns/row | median CPU ms | CPU ns/row | all runs, wall ms |")
    emit("|---|---:|---:|---:|---:|---|")
    for label, w, c, allw in (("SELECT sum(x)", r["sum_ms"], r.get("sum_cpu"), r["sum_all"]),
                              ("SELECT vgm_summarize(x)", r["summarize_ms"], r.get("summarize_cpu"),
                               r["summarize_all"])):
        emit(f"| {label} | {w:.0f} | {w * 1e6 / args.rows:.1f} | "
             + (f"{c:.0f} | {c * 1e6 / args.rows:.1f}" if cpu else "n/a | n/a") + " | "
             + ", ".join(f"{x:.0f}" for x in allw) + " |")
    emit()
    emit(f"vgm_summarize / sum: wall {r['ratio']:.2f}x (median of per-pair ratios "
         f"{statistics.median(r['ratios']):.2f}x)"
         + (f", backend CPU time {r['cpu_ratio']:.2f}x" if cpu else "") + "; target <= 1.5x")
    emit()

    emit("## Engine cost per bucket and iteration (K = 10)")
    emit()
    p = per_bucket_iteration(t, args.reps, args.jit)
    emit(f"{p['buckets']:,} buckets, {p['iterations']} iterations warm-started: fit clock {p['fit_ms']:.1f} ms = "
         f"**{p['us_per_bucket_iter']:.4f} us** per bucket per iteration"
         + (f"; backend CPU {p['cpu_ms']:.1f} ms = **{p['cpu_us_per_bucket_iter']:.4f} us**"
            if p["cpu_ms"] else "") + " (target <= 0.1 us)")
    emit()

    emit("## Time to convergence (defaults: tol 1e-8 per unit weight)")
    emit()
    emit("| column | rows | buckets | iterations | converged | valid | fit ms (vgm clock) | query CPU ms |")
    emit("|---|---:|---:|---:|:-:|---:|---:|---:|")

    def row(label, n, c):
        emit(f"| {label} | {n:,} | {c['buckets']:,} | {c['iterations']} | "
             f"{'yes' if c['converged'] else 'no'} | {c['valid']} | {c['fit_ms']:.1f} | "
             + (f"{c['cpu_ms']:.1f}" if c["cpu_ms"] is not None else "n/a") + " |")

    row(f"generated {args.rows:,}", args.rows, fit_to_convergence(t, args.reps, args.jit))
    if not args.skip_real:
        if not os.path.isdir(DATA_DIR):
            emit()
            emit(f"Real data folder {os.path.normpath(DATA_DIR)} is absent: real columns skipped.")
        else:
            for fname, col in COLUMNS:
                path = os.path.join(DATA_DIR, fname)
                if not os.path.exists(path):
                    continue
                table = "fit_" + re.sub(r"[^a-z0-9]+", "_", col.lower()).strip("_")
                n = load_column(path, col, table)
                c = fit_to_convergence(table, args.reps, args.jit)
                psql(f"DROP TABLE vgm_bench.{table};\n")
                row(f"{fname.split('.')[0]}.{col}", n, c)
    emit()
    e = end_to_end(t, max(1, args.reps // 2), args.jit)
    emit(f"One-step `SELECT vgm_fit(x) FROM t` on {args.rows:,} rows: wall {e['query_ms']:.0f} ms"
         + (f", backend CPU {e['cpu_ms']:.0f} ms" if e["cpu_ms"] is not None else "")
         + f" (of which fit {e['fit_ms']:.0f} ms by vgm's clock; runs: "
         + ", ".join(f"{x:.0f}" for x in e["all"]) + ")")
    if args.drop:
        psql(f"DROP TABLE vgm_bench.{t};\n")
    write_report(args.markdown, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
