#!/usr/bin/python3
"""Billion-row benchmark: vgm_fit, a vgm_alpha table rewrite and
vgm_validate over 1B rows on one server, beside the same queries over 100M
rows in the same run, with wall time, backend CPU time per row, the ratio to
sum(x), peak backend memory and disk use.

Data: the tables of bench_scale.py (same SQL, same seed: a four-mode mixture
of almost all distinct doubles), but UNLOGGED, vgm_bench.big_N (id bigint,
x float8).  At 42 bytes a row 1B rows are about 42 GB, more than the page
cache of a 24 GB machine: the 1B scans read from disk, the 100M ones do not.

Queries, each in a fresh session (bench_scale.Runner: library loaded and the
query planned untimed, serial plan, jit off, RssAnon sampled every
--sample-ms), once per size unless --reps says otherwise:
  sum       SELECT sum(x)                                    the scan floor
  fit       vgm_fit(x) (one step: summary and fit), diagnostics
  validate  vgm_validate(m, table, 'x'): the full report from one scan
  rewrite   CREATE TABLE .. AS SELECT id, vgm_alpha(m, x) AS a FROM ..
            The output of a 1B-row rewrite (about 42 GB more) does not fit
            beside the input on the disk, so the rewrite runs in --batches
            contiguous block ranges (TID range scans: each batch reads only
            its own blocks; rows are stored in id order, so a block range is
            an id range); each batch's output is measured (size, disk free)
            and dropped before the next.  The batches' times add up to the
            rewrite of the whole table.
m is vgm_fit over the first 100,000 rows (as in bench_scale.py), a literal.

Disk: df of the data directory's file system before generation, after it,
and at the end of every rewrite batch (the low-water mark is reported).

Server: a private one (test/lib/pgserver.sh, shared_buffers 128MB, autovacuum
off, wal_level minimal) in a temporary directory under --dir (default
$TMPDIR), removed at the end with all tables.  Run it under `nice -n 10` on a
shared machine; the server inherits the nice value.

Usage: nice -n 10 /usr/bin/python3 test/bench/bench_billion.py
        [--rows 100000000,1000000000] [--batches 4] [--reps 1] [--sample-ms 100]
        [--json FILE] [--markdown FILE] [--dir DIR]
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_scale  # noqa: E402  (Runner, psql, GEN, the server helper)
from bench_scale import Runner, psql, log, best, start_private_server, PGSERVER, REPO  # noqa: E402

SERIAL = ["SET max_parallel_workers_per_gather = 0;", "SET jit = off;"]


def disk_free(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def generate(n):
    t = f"vgm_bench.big_{n}"
    gen = bench_scale.GEN.replace("CREATE TABLE", "CREATE UNLOGGED TABLE")
    t0 = time.time()
    psql("CREATE SCHEMA IF NOT EXISTS vgm_bench;\n" + gen.format(t=t, n=n))
    secs = time.time() - t0
    size = int(psql(f"SELECT pg_relation_size('{t}');\n").strip())
    return t, size, secs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", default="100000000,1000000000")
    ap.add_argument("--batches", type=int, default=4)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--sample-ms", type=float, default=100.0)
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.rows.split(",") if s.strip()]

    tmp = tempfile.mkdtemp(prefix="vgm-billion.", dir=args.dir)
    os.chmod(tmp, 0o711)
    server_dir = os.path.join(tmp, "server")

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        start_private_server(server_dir, parallel_workers=0)
        log(f"private server in {server_dir}")
        return run(args, sizes, tmp, server_dir)
    finally:
        subprocess.run(["bash", "-c", f'. "{PGSERVER}" && pgserver_stop "$1"', "_", server_dir], check=False)
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, sizes, tmp, server_dir):
    commit = subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%h %cd", "--date=iso"],
                            capture_output=True, text=True).stdout.strip()
    psql("CREATE EXTENSION IF NOT EXISTS vgm;\n")
    version = psql("SHOW server_version;\n").strip()
    r = Runner(tmp, args.sample_ms)
    results = {"commit": commit, "server_version": version, "so": bench_scale.so_info(),
               "started": time.strftime("%Y-%m-%d %H:%M:%S"), "sizes": {},
               "disk_free_start": disk_free(server_dir)}
    log(f"commit {commit}; disk free {results['disk_free_start'] / 1e9:.1f} GB")
    model = None
    for n in sizes:
        res = {"rows": n, "disk_free_before": disk_free(server_dir), "load_start": os.getloadavg()[0]}
        t, size, secs = generate(n)
        res.update(table_bytes=size, generate_s=secs, disk_free_after_gen=disk_free(server_dir))
        log(f"generated {t}: {size / 1e9:.1f} GB in {secs:.0f} s; disk free {res['disk_free_after_gen'] / 1e9:.1f} GB")
        if model is None:
            model = psql(f"SELECT vgm_fit(x)::text FROM (SELECT x FROM {t} ORDER BY id LIMIT 100000) s;\n").strip()
            results["model"] = model
        m = "'" + model.replace("'", "''") + "'::vgm_model"
        queries = {
            "sum": f"SELECT sum(x) FROM {t};",
            "fit": ("SELECT d.points, d.iterations, d.fit_ms, vgm_n_components(q.m) FROM "
                    f"(SELECT vgm_fit(x) AS m FROM {t}) q, LATERAL vgm_diagnostics(q.m) d;"),
            "validate": (f"SELECT string_agg(format('%s=%s:%s', \"check\", round(statistic::numeric, 4), passed), ' ') "
                         f"FROM vgm_validate({m}, '{t}'::regclass, 'x');"),
        }
        runs = {q: [] for q in queries}
        for rep in range(args.reps):
            for q, sql in queries.items():
                runs[q].append(r.session(SERIAL, sql))
                x = runs[q][-1]
                log(f"{n:,} {q}: wall {x['wall_ms'] / 1000:.1f} s, cpu {(x['cpu_ms'] or 0) / 1000:.1f} s, "
                    f"rss {(x['rss_peak_kb'] or 0) / 1024:.1f} MB; {' '.join(x['out'])[:300]}")
        # the rewrite, in block ranges
        pages = size // 8192
        batches = []
        min_free = disk_free(server_dir)
        for i in range(args.batches):
            lo, hi = pages * i // args.batches, pages * (i + 1) // args.batches
            cond = f"ctid >= '({lo},0)'::tid" + (f" AND ctid < '({hi},0)'::tid" if i < args.batches - 1 else "")
            psql("DROP TABLE IF EXISTS vgm_bench.big_out;\n")
            x = r.session(SERIAL, f"CREATE UNLOGGED TABLE vgm_bench.big_out AS SELECT id, vgm_alpha({m}, x) AS a "
                                  f"FROM {t} WHERE {cond};")
            st = psql("SELECT count(*), pg_relation_size('vgm_bench.big_out'), min(id), max(id) "
                      "FROM vgm_bench.big_out;\n").strip().split("|")
            free = disk_free(server_dir)
            min_free = min(min_free, free)
            x.update(rows=int(st[0]), out_bytes=int(st[1]), id_min=int(st[2]), id_max=int(st[3]), disk_free=free)
            del x["out"]
            batches.append(x)
            log(f"{n:,} rewrite batch {i + 1}/{args.batches}: {x['rows']:,} rows (ids {x['id_min']:,}-{x['id_max']:,}) "
                f"wall {x['wall_ms'] / 1000:.1f} s, cpu {(x['cpu_ms'] or 0) / 1000:.1f} s, "
                f"{x['out_bytes'] / 1e9:.1f} GB out, disk free {free / 1e9:.1f} GB")
            psql("DROP TABLE vgm_bench.big_out;\nCHECKPOINT;\n")
        res["rewrite_batches"] = batches
        res["rewrite"] = {"rows": sum(b["rows"] for b in batches), "wall_ms": sum(b["wall_ms"] for b in batches),
                          "cpu_ms": sum(b["cpu_ms"] or 0 for b in batches),
                          "rss_peak_kb": max(b["rss_peak_kb"] or 0 for b in batches),
                          "out_bytes": sum(b["out_bytes"] for b in batches)}
        res["disk_free_min"] = min_free
        res["serial"] = {q: {"wall_ms": best(x["wall_ms"] for x in v), "cpu_ms": best(x["cpu_ms"] for x in v),
                             "rss_peak_kb": max((x["rss_peak_kb"] or 0) for x in v),
                             "rss_first_kb": v[0]["rss_first_kb"], "hwm_anon_kb": max((x["hwm_anon_kb"] or 0) for x in v),
                             "out": v[-1]["out"], "all_wall": [x["wall_ms"] for x in v],
                             "all_cpu": [x["cpu_ms"] for x in v]} for q, v in runs.items()}
        res["load_end"] = os.getloadavg()[0]
        results["sizes"][str(n)] = res
        psql(f"DROP TABLE {t};\nCHECKPOINT;\n")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)

    lines = [f"# vgm billion-row run ({results['started']} to {results['finished']}, PostgreSQL {version}, "
             f"commit {commit}, {os.cpu_count()} CPUs)", "",
             "| rows | table GB | query | wall s | wall ns/row | CPU ns/row | CPU ratio to sum | peak RssAnon MB |",
             "|---:|---:|---|---:|---:|---:|---:|---:|"]
    for n in sizes:
        res = results["sizes"][str(n)]
        base = res["serial"]["sum"]["cpu_ms"]
        rows = dict(res["serial"], rewrite=res["rewrite"])
        for q, s in rows.items():
            cpu = s["cpu_ms"]
            lines.append(f"| {n:,} | {res['table_bytes'] / 1e9:.1f} | {q} | {s['wall_ms'] / 1000:.1f} | "
                         f"{s['wall_ms'] * 1e6 / n:.0f} | {cpu * 1e6 / n:.0f} | {cpu / base:.2f}x | "
                         f"{s['rss_peak_kb'] / 1024:.1f} |")
    lines.append("")
    for n in sizes:
        res = results["sizes"][str(n)]
        lines.append(f"{n:,} rows: generated in {res['generate_s']:.0f} s; disk free before "
                     f"{res['disk_free_before'] / 1e9:.1f} GB, after generation {res['disk_free_after_gen'] / 1e9:.1f} GB, "
                     f"lowest during the rewrite {res['disk_free_min'] / 1e9:.1f} GB; rewrite output "
                     f"{res['rewrite']['out_bytes'] / 1e9:.1f} GB in {len(res['rewrite_batches'])} batches; "
                     f"fit: {' '.join(res['serial']['fit']['out'])}; validate: {' '.join(res['serial']['validate']['out'])}")
    print("\n".join(lines), flush=True)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
