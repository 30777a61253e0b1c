#!/usr/bin/python3
"""Scale benchmark: per-row cost, summary size and backend memory of the
fit and the transforms at 1M, 10M and 100M rows; parallel speed-up; the
inputs of a many-shard (Citus) estimate.

For each size N (--rows, default 1M,10M,100M) a table vgm_bench.scale_N
(id bigint, x float8) is generated in SQL: x from a four-mode mixture
(normals at 10, 50 and 200, a lognormal tail around 1000) by Box-Muller on
random() after setseed(0.42), so every run builds the same data and almost
every value is a distinct double -- the case where the summary holds the
most buckets and has to coarsen its grid while it accumulates.  The first
100,000 rows are the same at every size, and the model used by the
transforms (vgm_fit over them) is therefore the same too.  VACUUM ANALYZE,
then two warm-up scans.

1. Serial cost per row (max_parallel_workers_per_gather = 0, jit off),
   --reps rounds, queries alternating within each round:
     sum        SELECT sum(x)                              the scan floor
     summarize  SELECT vgm_summary_info(vgm_summarize(x)).buckets
     fit        SELECT vgm_diagnostics(vgm_fit(x)) ...     one-step fit
     alpha      SELECT sum(vgm_alpha(m, x))                m a literal
     normalize  SELECT sum(c), sum(a) FROM (SELECT (vgm_normalize(m, x)).* ...)
     rewrite    CREATE TABLE .. AS SELECT id, (vgm_normalize(m, x)).* ...
                (a full table rewrite with the encoded column; --rewrite-reps
                rounds, default 1; the new table is dropped untimed)
   Every measurement runs in a fresh session (psql), which first loads the
   library with a tiny fit and plans the query once (EXPLAIN, untimed: a
   fresh session's first planning fills its catalog caches), so that the
   timing and the memory are that statement's alone.
   Reported per query: wall time (server clock around the statement) and the
   backend's CPU time (/proc/self/schedstat: time on a CPU, not waiting for
   one; the robust number on a shared machine), per row, of the fastest
   round (other jobs on the machine only ever add time; the median CPU time
   is printed beside it and all runs are in the --json file); the ratio of
   CPU times to sum(x); and the backend's peak memory: the client reads
   /proc/<backend pid>/status every --sample-ms (default 10) while the
   statement runs and reports the largest RssAnon (private, anonymous
   memory: palloc'd memory, hash tables, sort space; shared buffers and the
   page cache are not in it) and its growth over the first sample, taken
   after the library was loaded.  VmHWM is not used: it also counts the
   shared buffers a backend touched.  A sample interval longer than an
   allocation's life can miss it (the fit's own working memory lives for
   milliseconds; the summary's hash table lives for the whole scan).
2. Summary size: pg_column_size(vgm_summarize(x)) (stored binary form),
   length of its text form (what travels between servers), bucket count.
3. Parallel speed-up: sum, summarize, fit and normalize with
   max_parallel_workers_per_gather = 0, 1, 2 (parallel_setup_cost = 0,
   parallel_tuple_cost = 0, min_parallel_table_scan_size = 0, leader
   participating), --par-reps rounds, fastest wall time.  Only wall time
   means anything here (the workers' CPU time is not the leader's), so the
   speed-up is as good as the machine is idle; the load average is printed.
4. Shard states (largest size only, --no-shards skips it): the table is cut
   into 64 contiguous block ranges (TID range scans), each is summarized like
   a Citus shard's worker_partial_agg, and the summaries are stored as text.
   Then, in fresh sessions, for 32 and 64 states: vgm_summary -> text (what
   each shard does before sending its state), text -> vgm_summary plus
   vgm_rollup (what Citus's coord_combine_agg does), and the same plus
   vgm_fit of the merged summary; fastest wall and CPU time, text sizes.

The server: a private one started with test/lib/pgserver.sh in a temporary
directory (shared_buffers 128MB so that every table size is scanned the same
way, through a ring buffer from the OS page cache; wal_level minimal so the
generated tables are written without WAL) and removed afterwards; the
extension must be installed (make install).  When PGHOST or PGPORT is set
and BENCH_PRIVATE is not 1, that server is used instead (database PGDATABASE,
default postgres; CPU times need superuser or pg_read_server_files, memory
samples need the server on this machine and read access to its /proc); its
tables are kept in schema vgm_bench unless --drop.

Space and time: 100M rows take about 4.2 GB on disk (plus as much for the
rewrite, dropped right away); the default run took 25 minutes on a busy
2-core machine.

Usage: /usr/bin/python3 test/bench/bench_scale.py [--rows 1000000,10000000,100000000]
        [--reps 5] [--par-reps 3] [--rewrite-reps 1] [--no-parallel] [--no-shards]
        [--sample-ms 10] [--drop] [--json FILE] [--markdown FILE]
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vgmtest import (MARK, MARK_NO_CPU, PSQL, REPO, ensure_table, mark_deltas,  # noqa: E402
                     proc_status, psql, write_report)

PGSERVER = os.path.join(REPO, "test", "lib", "pgserver.sh")


def start_private_server(server_dir, parallel_workers):
    """Start a private server for the scale runs and point libpq at it."""
    opts = ("-c shared_buffers=128MB -c wal_level=minimal -c max_wal_senders=0 "
            "-c max_wal_size=16GB -c checkpoint_timeout=30min -c maintenance_work_mem=512MB "
            f"-c autovacuum=off -c max_parallel_workers_per_gather={parallel_workers} -c jit=off")
    env = dict(os.environ, PGSERVER_OPTS=(os.environ.get("PGSERVER_OPTS", "") + " " + opts))
    subprocess.run(["bash", "-c", f'. "{PGSERVER}" && pgserver_start "$1"', "_", server_dir],
                   check=True, env=env)
    with open(os.path.join(server_dir, "pgserver.env")) as f:
        for line in f:
            if line.startswith("export "):
                k, _, v = line[7:].strip().partition("=")
                os.environ[k] = v
    for k in ("PGHOSTADDR", "PGSERVICE"):
        os.environ.pop(k, None)
    os.environ["PGDATABASE"] = "postgres"
PRELOAD = "SELECT vgm_n_components(vgm_fit(x)) FROM (VALUES (1.0::float8), (2.0), (3.0)) v(x);"
SERIAL = ["SET max_parallel_workers_per_gather = 0;", "SET jit = off;"]
SHARDS = 64


def log(msg):
    print(f"# [{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Runner:
    def __init__(self, tmpdir, sample_ms):
        self.tmpdir = tmpdir
        self.sample_s = sample_ms / 1000.0
        self.mark = MARK
        self.seq = 0
        try:
            psql(MARK + "\n")
        except RuntimeError:
            self.mark = MARK_NO_CPU
            log("CPU time unavailable (pg_read_file of /proc/self/schedstat refused): wall time only")

    def session(self, settings, query, sample=True):
        """Run query in a fresh session after settings and a library preload.

        Returns dict(wall_ms, cpu_ms, rss_peak_kb, rss_growth_kb, out):
        wall from the server clock around the statement, CPU from the backend's
        schedstat, memory from /proc/<backend>/status sampled by this process.
        """
        self.seq += 1
        pidfile = os.path.join(self.tmpdir, f"pid.{self.seq}")
        # EXPLAIN plans the query untimed: a fresh session's first planning
        # fills its catalog caches, which costs tens of ms on a busy machine
        script = "\n".join(list(settings) + [PRELOAD, f"EXPLAIN {query}", f"SELECT pg_backend_pid() \\g {pidfile}",
                                             self.mark, query, self.mark]) + "\n"
        proc = subprocess.Popen([PSQL, "-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        samples = []
        done = threading.Event()

        def sampler():
            pid = None
            while not done.is_set():
                if pid is None:
                    try:
                        with open(pidfile) as f:
                            s = f.read().strip()
                        pid = int(s) if s else None
                    except (OSError, ValueError):
                        pid = None
                    if pid is None:
                        time.sleep(0.002)
                        continue
                st = proc_status(pid, ("RssAnon", "RssFile", "RssShmem", "VmHWM"))
                if st is None:
                    return
                samples.append(st)
                time.sleep(self.sample_s)

        th = threading.Thread(target=sampler, daemon=True)
        if sample:
            th.start()
        out, err = proc.communicate(script)
        done.set()
        if sample:
            th.join()
        try:
            os.unlink(pidfile)
        except OSError:
            pass
        if proc.returncode != 0:
            raise RuntimeError(f"psql failed ({proc.returncode}):\n{err.strip()}\nquery: {query[:500]}")
        lines = out.splitlines()
        wall_ms, cpu_ms = mark_deltas(out)[0]
        res = {"wall_ms": wall_ms, "cpu_ms": cpu_ms,
               "out": lines[lines.index(next(l for l in lines if l.startswith("M|"))) + 1:
                            len(lines) - 1 - lines[::-1].index(next(l for l in reversed(lines) if l.startswith("M|")))]}
        rss = [s["RssAnon"] for s in samples if "RssAnon" in s]
        res["rss_peak_kb"] = max(rss) if rss else None
        res["rss_growth_kb"] = max(rss) - rss[0] if rss else None
        res["samples"] = len(rss)
        # VmHWM is the peak of RssAnon + RssFile + RssShmem; the kernel also
        # records it when memory is unmapped, so it sees peaks between two
        # samples.  File and shared pages only accumulate during a session,
        # so VmHWM minus their final values bounds the anonymous peak below.
        full = [s for s in samples if len(s) == 4]
        res["hwm_anon_kb"] = (full[-1]["VmHWM"] - full[-1]["RssFile"] - full[-1]["RssShmem"]) if full else None
        res["rss_first_kb"] = rss[0] if rss else None
        return res


def best(xs):
    """Fastest run: load from other jobs only ever adds time."""
    xs = [x for x in xs if x is not None]
    return min(xs) if xs else None


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


GEN = """
SET max_parallel_workers_per_gather = 0;
SELECT setseed(0.42);
CREATE TABLE {t} WITH (autovacuum_enabled = off) AS
SELECT id, CASE WHEN u < 0.45 THEN 10 + 2 * z
                WHEN u < 0.75 THEN 50 + 5 * z
                WHEN u < 0.95 THEN 200 + 20 * z
                ELSE 1000 * exp(0.5 * z) END AS x
FROM (SELECT id, random() AS u, sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z
      FROM (SELECT generate_series(1, {n}::bigint) AS id) g) s;
VACUUM ANALYZE {t};
"""


def ensure_scale_table(n):
    t = f"vgm_bench.scale_{n}"
    t0 = time.time()
    if ensure_table(t, GEN.format(t=t, n=n)):
        log(f"generated {t} ({n:,} rows) in {time.time() - t0:.0f} s")
    psql(f"SELECT count(*) FROM {t};\nSELECT sum(x) FROM {t};\n")  # warm-up scans
    size = int(psql(f"SELECT pg_relation_size('{t}');\n").strip())
    return t, size


def fmt(v, spec=".1f", none="n/a"):
    return none if v is None else format(v, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", default="1000000,10000000,100000000",
                    help="comma-separated table sizes")
    ap.add_argument("--reps", type=int, default=5, help="serial rounds (fastest reported)")
    ap.add_argument("--par-reps", type=int, default=3, help="parallel rounds")
    ap.add_argument("--rewrite-reps", type=int, default=1, help="table rewrite rounds (0: skip)")
    ap.add_argument("--no-parallel", action="store_true")
    ap.add_argument("--no-shards", action="store_true")
    ap.add_argument("--sample-ms", type=float, default=10.0)
    ap.add_argument("--drop", action="store_true", help="drop the tables afterwards (existing server)")
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    args = ap.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.rows.split(",") if s.strip()]
    if not sizes or min(sizes) < 200000:
        ap.error("--rows: sizes of at least 200000")

    tmp = tempfile.mkdtemp(prefix="vgm-scale.")
    os.chmod(tmp, 0o711)
    server_dir = None

    def stop_server():
        if server_dir:
            subprocess.run(["bash", "-c", f'. "{PGSERVER}" && pgserver_stop "$1"', "_", server_dir],
                           check=False)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        if os.environ.get("BENCH_PRIVATE") == "1" or not (os.environ.get("PGHOST") or os.environ.get("PGPORT")):
            server_dir = os.path.join(tmp, "server")
            start_private_server(server_dir, parallel_workers=2)
            log(f"private server in {server_dir}")
        else:
            os.environ.setdefault("PGDATABASE", "postgres")
        return run(args, sizes, tmp)
    finally:
        stop_server()
        shutil.rmtree(tmp, ignore_errors=True)


def so_info():
    libdir = subprocess.run(["bash", "-c", f'. "{PGSERVER}" && _pgserver_init && "$PG_CONFIG" --pkglibdir'],
                            capture_output=True, text=True).stdout.strip()
    p = os.path.join(libdir, "vgm.so")
    try:
        st = os.stat(p)
        return f"{p} {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(st.st_mtime))} {st.st_size} bytes"
    except OSError:
        return "vgm.so not found"


def run(args, sizes, tmp):
    report = []

    def emit(s=""):
        print(s, flush=True)
        report.append(s)

    commit = subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%h %cd", "--date=iso"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "src", "sql", "Makefile"],
                           capture_output=True, text=True).stdout.strip()
    if dirty:
        commit += " + uncommitted changes in src/, sql/ or Makefile"
    so_start = so_info()
    psql("CREATE EXTENSION IF NOT EXISTS vgm;\nCREATE SCHEMA IF NOT EXISTS vgm_bench;\n")
    version = psql("SHOW server_version;\n").strip()
    r = Runner(tmp, args.sample_ms)
    results = {"commit": commit, "so": so_start, "server_version": version, "sizes": {},
               "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    emit(f"# vgm scale benchmark ({time.strftime('%Y-%m-%d %H:%M')}, PostgreSQL {version}, "
         f"commit {commit}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    emit(f"# library: {so_start}")
    emit()

    model = None
    for n in sizes:
        t0 = time.time()
        t, nbytes = ensure_scale_table(n)
        if model is None:
            model = psql("SELECT vgm_fit(x)::text FROM (SELECT x FROM "
                         f"{t} ORDER BY id LIMIT 100000) s;\n").strip()
            results["model"] = model
        m = "'" + model.replace("'", "''") + "'::vgm_model"
        res = {"rows": n, "table_bytes": nbytes, "load_start": os.getloadavg()[0]}
        info = psql("SELECT pg_column_size(s), length(s::text), (vgm_summary_info(s)).buckets, "
                    "(vgm_summary_info(s)).relative_width "
                    f"FROM (SELECT vgm_summarize(x) AS s FROM {t}) q;\n").strip().split("|")
        res["summary_bytes"], res["summary_text"], res["buckets"] = (int(v) for v in info[:3])
        res["relative_width"] = float(info[3])

        queries = {
            "sum": f"SELECT sum(x) FROM {t};",
            "summarize": f"SELECT (vgm_summary_info(vgm_summarize(x))).buckets FROM {t};",
            "fit": ("SELECT d.points, d.iterations, d.fit_ms FROM "
                    f"(SELECT vgm_fit(x) AS m FROM {t}) q, LATERAL vgm_diagnostics(q.m) d;"),
            "alpha": f"SELECT sum(vgm_alpha({m}, x)) FROM {t};",
            "normalize": f"SELECT sum(c), sum(a) FROM (SELECT (vgm_normalize({m}, x)).* FROM {t}) s(c, a);",
        }
        runs = {q: [] for q in queries}
        for rep in range(args.reps):
            for q, sql in queries.items():
                runs[q].append(r.session(SERIAL, sql))
            log(f"{n:,} rows: serial round {rep + 1}/{args.reps} done")
        if args.rewrite_reps > 0:
            runs["rewrite"] = []
            for _ in range(args.rewrite_reps):
                psql("DROP TABLE IF EXISTS vgm_bench.scale_out;\n")
                runs["rewrite"].append(r.session(
                    SERIAL, f"CREATE TABLE vgm_bench.scale_out AS SELECT id, (vgm_normalize({m}, x)).* FROM {t};"))
                psql("DROP TABLE vgm_bench.scale_out;\nCHECKPOINT;\n")
            log(f"{n:,} rows: rewrite done")
        serial = {}
        for q, rs in runs.items():
            serial[q] = {"wall_ms": best(x["wall_ms"] for x in rs), "cpu_ms": best(x["cpu_ms"] for x in rs),
                         "wall_median_ms": med(x["wall_ms"] for x in rs), "cpu_median_ms": med(x["cpu_ms"] for x in rs),
                         "rss_peak_kb": max((x["rss_peak_kb"] or 0) for x in rs) or None,
                         "rss_growth_kb": max((x["rss_growth_kb"] or 0) for x in rs) if rs[0]["rss_growth_kb"] is not None else None,
                         "all_wall": [x["wall_ms"] for x in rs], "all_cpu": [x["cpu_ms"] for x in rs],
                         "samples": [x["samples"] for x in rs]}
        fitout = runs["fit"][-1]["out"][0].split("|")
        res["fit_points"], res["fit_iterations"] = int(fitout[0]), int(fitout[1])
        res["fit_ms_vgm"] = med(float(x["out"][0].split("|")[2]) for x in runs["fit"])
        res["serial"] = serial

        if not args.no_parallel:
            par = {}
            pq = {k: queries[k] for k in ("sum", "summarize", "fit", "normalize")}
            plans = {}
            for w in (0, 1, 2):
                settings = [f"SET max_parallel_workers_per_gather = {w};", "SET parallel_setup_cost = 0;",
                            "SET parallel_tuple_cost = 0;", "SET min_parallel_table_scan_size = 0;",
                            "SET jit = off;"]
                plan = psql("\n".join(settings) + f"\nEXPLAIN (COSTS OFF) {pq['summarize']}\n")
                plans[w] = [l.strip() for l in plan.splitlines() if "Workers Planned" in l] or ["serial"]
                par[w] = {q: [] for q in pq}
            for rep in range(args.par_reps):
                for w in (0, 1, 2):
                    settings = [f"SET max_parallel_workers_per_gather = {w};", "SET parallel_setup_cost = 0;",
                                "SET parallel_tuple_cost = 0;", "SET min_parallel_table_scan_size = 0;",
                                "SET jit = off;"]
                    for q, sql in pq.items():
                        par[w][q].append(r.session(settings, sql, sample=False)["wall_ms"])
                log(f"{n:,} rows: parallel round {rep + 1}/{args.par_reps} done")
            res["parallel"] = {str(w): {q: {"wall_ms": best(v), "wall_median_ms": med(v), "all": v}
                                        for q, v in par[w].items()}
                               for w in par}
            res["parallel_plans"] = {str(w): plans[w] for w in plans}
        res["load_end"] = os.getloadavg()[0]
        res["seconds"] = time.time() - t0
        results["sizes"][str(n)] = res
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)

    if not args.no_shards:
        n = max(sizes)
        t = f"vgm_bench.scale_{n}"
        t0 = time.time()
        pages = int(psql(f"SELECT pg_relation_size('{t}') / current_setting('block_size')::int;\n").strip())
        lines = ["SET max_parallel_workers_per_gather = 0;", "SET jit = off;",
                 "DROP TABLE IF EXISTS vgm_bench.scale_states;",
                 "CREATE TABLE vgm_bench.scale_states (shard int, rows bigint, s text);"]
        for i in range(SHARDS):
            lo, hi = pages * i // SHARDS, pages * (i + 1) // SHARDS
            hi_cond = f" AND ctid < '({hi},0)'::tid" if i < SHARDS - 1 else ""
            lines.append(f"INSERT INTO vgm_bench.scale_states SELECT {i}, count(*), vgm_summarize(x)::text "
                         f"FROM {t} WHERE ctid >= '({lo},0)'::tid{hi_cond};")
        psql("\n".join(lines) + "\n")
        plan = psql(f"EXPLAIN (COSTS OFF) SELECT count(*) FROM {t} WHERE ctid >= '(10,0)'::tid "
                    "AND ctid < '(20,0)'::tid;\n")
        st = psql("SELECT count(*), sum(rows), min(rows), max(rows), avg(length(s)), max(length(s)), "
                  "avg(pg_column_size(s::vgm_summary)), avg((vgm_summary_info(s::vgm_summary)).buckets) "
                  "FROM vgm_bench.scale_states;\n").strip().split("|")
        sh = {"table_rows": n, "states": int(st[0]), "rows": int(st[1]), "rows_min": int(st[2]),
              "rows_max": int(st[3]), "text_avg": float(st[4]), "text_max": int(st[5]),
              "binary_avg": float(st[6]), "buckets_avg": float(st[7]),
              "tid_range_scan": "Tid Range Scan" in plan, "build_s": time.time() - t0}
        psql("CREATE TABLE vgm_bench.scale_states_bin AS SELECT shard, s::vgm_summary AS s "
             "FROM vgm_bench.scale_states;\n")
        for k in (32, 64):
            qs = {
                "output": f"SELECT sum(length(s::text)) FROM vgm_bench.scale_states_bin WHERE shard < {k};",
                "combine": ("SELECT (vgm_summary_info(vgm_rollup(s::vgm_summary))).buckets "
                            f"FROM vgm_bench.scale_states WHERE shard < {k};"),
                "combine_fit": ("SELECT d.points, d.iterations, d.fit_ms FROM (SELECT "
                                "vgm_fit(vgm_rollup(s::vgm_summary)) AS m FROM vgm_bench.scale_states "
                                f"WHERE shard < {k}) q, LATERAL vgm_diagnostics(q.m) d;"),
            }
            rr = {q: [] for q in qs}
            for _ in range(max(3, args.reps)):
                for q, sql in qs.items():
                    rr[q].append(r.session(SERIAL, sql))
            sh[str(k)] = {q: {"wall_ms": best(x["wall_ms"] for x in v), "cpu_ms": best(x["cpu_ms"] for x in v),
                              "cpu_median_ms": med(x["cpu_ms"] for x in v),
                              "rss_growth_kb": max((x["rss_growth_kb"] or 0) for x in v),
                              "all_cpu": [x["cpu_ms"] for x in v]} for q, v in rr.items()}
            o = rr["combine_fit"][-1]["out"][0].split("|")
            sh[str(k)]["points"], sh[str(k)]["iterations"] = int(o[0]), int(o[1])
            sh[str(k)]["fit_ms_vgm"] = med(float(x["out"][0].split("|")[2]) for x in rr["combine_fit"])
            sh[str(k)]["merged_buckets"] = int(rr["combine"][-1]["out"][0])
        psql("DROP TABLE vgm_bench.scale_states, vgm_bench.scale_states_bin;\n")
        results["shards"] = sh
        log("shard states done")

    so_end = so_info()
    results["so_end"] = so_end
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    if args.drop:
        for n in sizes:
            psql(f"DROP TABLE IF EXISTS vgm_bench.scale_{n};\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)

    # ---- report
    emit("## Serial plans: fastest round per row (wall / backend CPU; median CPU), CPU ratio to sum(x), "
         "peak backend memory")
    emit()
    emit("| rows | table MB | query | wall ns/row | CPU ns/row | median CPU ns/row | CPU ratio | peak RssAnon MB | growth MB |")
    emit("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        res = results["sizes"][str(n)]
        base = res["serial"]["sum"]["cpu_ms"]
        for q, s in res["serial"].items():
            ratio = s["cpu_ms"] / base if s["cpu_ms"] and base else None
            emit(f"| {n:,} | {res['table_bytes'] / 2**20:.0f} | {q} | {s['wall_ms'] * 1e6 / n:.1f} | "
                 f"{fmt(None if s['cpu_ms'] is None else s['cpu_ms'] * 1e6 / n)} | "
                 f"{fmt(None if s['cpu_median_ms'] is None else s['cpu_median_ms'] * 1e6 / n)} | {fmt(ratio, '.2f')}x | "
                 f"{fmt(None if s['rss_peak_kb'] is None else s['rss_peak_kb'] / 1024)} | "
                 f"{fmt(None if s['rss_growth_kb'] is None else s['rss_growth_kb'] / 1024)} |")
    emit()
    emit("| rows | summary bytes (binary) | summary text chars | buckets | relative width | fit points | fit iterations | fit ms (vgm clock) |")
    emit("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        res = results["sizes"][str(n)]
        emit(f"| {n:,} | {res['summary_bytes']:,} | {res['summary_text']:,} | {res['buckets']:,} | "
             f"{res['relative_width']:.2e} | {res['fit_points']:,} | {res['fit_iterations']} | {res['fit_ms_vgm']:.0f} |")
    emit()
    if not args.no_parallel:
        emit("## Parallel workers: fastest wall ms (speed-up over 0 workers); "
             f"{os.cpu_count()} CPUs, leader participates")
        emit()
        emit("| rows | query | 0 workers | 1 worker | 2 workers |")
        emit("|---:|---|---:|---:|---:|")
        for n in sizes:
            p = results["sizes"][str(n)]["parallel"]
            for q in p["0"]:
                b = p["0"][q]["wall_ms"]
                cells = [f"{p[w][q]['wall_ms']:.0f} ({b / p[w][q]['wall_ms']:.2f}x)" for w in ("0", "1", "2")]
                emit(f"| {n:,} | {q} | " + " | ".join(cells) + " |")
            emit(f"| {n:,} | plans | " + " | ".join("; ".join(results['sizes'][str(n)]['parallel_plans'][w])
                                                 for w in ("0", "1", "2")) + " |")
        emit()
    if "shards" in results:
        sh = results["shards"]
        emit(f"## Shard states: {sh['states']} states of {sh['rows_min']:,}-{sh['rows_max']:,} rows "
             f"(table of {sh['table_rows']:,}); TID range scans: {sh['tid_range_scan']}")
        emit()
        emit(f"state text {sh['text_avg']:,.0f} chars on average (max {sh['text_max']:,}), binary "
             f"{sh['binary_avg']:,.0f} bytes, {sh['buckets_avg']:,.0f} buckets")
        emit()
        emit("| states | summary -> text, CPU ms (wall) | text -> summary + rollup | "
             "+ fit | fit ms (vgm clock) | merged buckets | iterations |")
        emit("|---:|---:|---:|---:|---:|---:|---:|")
        for k in ("32", "64"):
            s = sh[k]
            emit(f"| {k} | {fmt(s['output']['cpu_ms'], '.0f')} ({s['output']['wall_ms']:.0f}) | "
                 f"{fmt(s['combine']['cpu_ms'], '.0f')} ({s['combine']['wall_ms']:.0f}) | "
                 f"{fmt(s['combine_fit']['cpu_ms'], '.0f')} ({s['combine_fit']['wall_ms']:.0f}) | "
                 f"{s['fit_ms_vgm']:.0f} | {s['merged_buckets']:,} | {s['iterations']} |")
        emit()
    emit(f"# library at the end: {so_end}" + ("" if so_end == so_start else "  (CHANGED DURING THE RUN)"))
    write_report(args.markdown, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
