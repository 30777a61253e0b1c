#!/usr/bin/python3
"""Coordinator benchmark: what a Citus coordinator pays to combine and fit
many shard summaries that arrive as text (readable JSON or the packed form)
against the same summaries in binary form; and a Citus run with the time
split into worker scan, transfer/parse and fit.

Part 1, one server (--states, default 32,128,512).  The largest count of
states is generated once: state i is vgm_summarize over 1,000,000 rows of the
four-mode mixture of bench_scale.py (almost all distinct doubles: the most
buckets a state has), drawn after setseed(i / count), so every state differs.
Each state is stored three ways, every column STORAGE EXTERNAL (no TOAST
compression: what arrives over the network is not compressed either):
binary (vgm_summary), readable text (vgm.summary_text = readable) and compact
text (vgm.summary_text = compact).  Then, for k in --states, in fresh sessions
(bench_scale.Runner: library loaded, query planned untimed, serial plan, jit
off), --reps rounds with the forms alternating, fastest backend CPU time:
  read      SELECT sum(length(col))           reading the stored values only
  parse     SELECT count(col::vgm_summary)    text -> summary (input function)
  combine   vgm_summary_info(vgm_rollup(col::vgm_summary))   what Citus's
            coord_combine_agg does with the states
  fit       the same + vgm_fit of the merged summary (the whole coordinator)
Parse speed is text bytes / (parse - read) CPU time ("read" detoasts and
copies each value: octet_length(col || '') for text, vgm_summary_send(b) for
binary).  With PGHOST/PGPORT set (and BENCH_PRIVATE not 1) part 1 uses that
server and keeps its table "states" for the next run.  Bytes moved: the sum of
the states' text lengths (what Citus sends) and of the binary sizes.

Part 2, Citus (--citus-rows, default 10000000; empty to skip): a coordinator
and two workers started with test/lib/pgserver.sh as test/citus/run.sh does
(Citus must be installed for PG_CONFIG), a table (id bigint, x float8) of the
same mixture distributed over --shards shards (create_distributed_table
copies a local table; the local copy is dropped).  With
citus.coordinator_aggregation_strategy = 'disabled', for each text form
(set on every node with ALTER SYSTEM + reload), --reps rounds, fastest wall:
  scan      run_command_on_shards: length(vgm_summarize(x)::text) per shard --
            the workers' scan, summary and text output, nothing moved
  combine   SELECT vgm_summary_info(vgm_summarize(x)) -- the same plus moving
            every state to the coordinator, parsing and merging it
  fit       SELECT vgm_fit(x) -- the same plus the fit
so transfer + parse = combine - scan, fit = fit - combine.  All three servers
share this machine's cores, so the split is indicative; the ratios between
the text forms are measured in the same run.  Before distributing, the same
vgm_fit(x) runs on the coordinator's local table in one backend (the local
fit it is compared with), and after it EXPLAIN (ANALYZE) of the distributed
fit is tried (its error is recorded) beside EXPLAIN (VERBOSE).

Usage: nice -n 10 /usr/bin/python3 test/bench/bench_coordinator.py
        [--states 32,128,512] [--reps 3] [--citus-rows 10000000,100000000]
        [--shards 32] [--json FILE] [--markdown FILE]
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
import bench_scale  # noqa: E402
from bench_scale import Runner, psql, log, best, PGSERVER, REPO  # noqa: E402

SERIAL = ["SET max_parallel_workers_per_gather = 0;", "SET jit = off;"]
FORMS = ("binary", "compact", "readable")
MIX = """CASE WHEN u < 0.45 THEN 10 + 2 * z WHEN u < 0.75 THEN 50 + 5 * z
             WHEN u < 0.95 THEN 200 + 20 * z ELSE 1000 * exp(0.5 * z) END"""
GEN_ROWS = ("SELECT {id} AS id, " + MIX + " AS x FROM (SELECT {id} AS id, random() AS u, "
            "sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z FROM {src}) s")


def server_start(path, opts):
    env = dict(os.environ, PGSERVER_OPTS=(os.environ.get("PGSERVER_OPTS", "") + " " + opts))
    subprocess.run(["bash", "-c", f'. "{PGSERVER}" && pgserver_start "$1"', "_", path], check=True, env=env)
    d = {}
    with open(os.path.join(path, "pgserver.env")) as f:
        for line in f:
            if line.startswith("export "):
                k, _, v = line[7:].strip().partition("=")
                d[k] = v
    return d


def server_stop(path):
    subprocess.run(["bash", "-c", f'. "{PGSERVER}" && pgserver_stop "$1"', "_", path], check=False)


def use(env):
    for k, v in env.items():
        os.environ[k] = v
    for k in ("PGHOSTADDR", "PGSERVICE"):
        os.environ.pop(k, None)


def col(form):
    return "b" if form == "binary" else ("c::vgm_summary" if form == "compact" else "r::vgm_summary")


def part_states(args, tmp, results):
    counts = sorted(int(s) for s in args.states.split(",") if s.strip())
    top = max(counts)
    t0 = time.time()
    have = psql("SET client_min_messages = warning;\nCREATE EXTENSION IF NOT EXISTS vgm;\n"
                "SELECT to_regclass('states') IS NOT NULL;\n").strip().splitlines()[-1]
    have = psql("SELECT count(*) FROM states WHERE c IS NOT NULL;\n").strip() if have == "t" else "-1"
    if int(have) != top:
        if int(have) >= 0:
            psql("DROP TABLE states;\n")
        make_states(top)
    results["states_setup_s"] = time.time() - t0
    measure_states(args, tmp, results, counts)


def make_states(top):
    """The states table: `top` summaries of 1M rows each, binary and both texts."""
    psql("CREATE TABLE states (i int, b vgm_summary, r text, c text);\n"
         "ALTER TABLE states ALTER b SET STORAGE EXTERNAL, ALTER r SET STORAGE EXTERNAL, "
         "ALTER c SET STORAGE EXTERNAL;\n")
    for i in range(top):
        src = "generate_series(1, 1000000)"
        psql("SET max_parallel_workers_per_gather = 0;\n"
             f"SELECT setseed({i / top});\n"
             f"INSERT INTO states (i, b) SELECT {i}, vgm_summarize(x) FROM ({GEN_ROWS.format(id=i, src=src)}) q;\n")
        if i % 64 == 63:
            log(f"{i + 1}/{top} states")
    psql("SET vgm.summary_text = readable;\nUPDATE states SET r = b::text;\n"
         "SET vgm.summary_text = compact;\nUPDATE states SET c = b::text;\nVACUUM ANALYZE states;\n")


def measure_states(args, tmp, results, counts):
    """Read, parse, combine and fit k states of each form, in fresh sessions."""
    st = psql("SELECT avg((vgm_summary_info(b)).buckets), avg(pg_column_size(b)), avg(octet_length(r)), "
              "avg(octet_length(c)), bool_and(vgm_summary_send(c::vgm_summary) = vgm_summary_send(b)), "
              "bool_and(vgm_summary_send(r::vgm_summary) = vgm_summary_send(b)) FROM states;\n").strip().split("|")
    results["state"] = {"buckets": float(st[0]), "binary": float(st[1]), "readable": float(st[2]),
                        "compact": float(st[3]), "compact_exact": st[4] == "t", "readable_exact": st[5] == "t"}
    log(f"states ready: {results['state']}")
    r = Runner(tmp, 10.0)
    out = {}
    for k in counts:
        w = f"WHERE i < {k}"
        qs = {}
        for form in FORMS:
            c = col(form)
            raw = {"binary": "b", "compact": "c", "readable": "r"}[form]
            # reading only: detoast and copy, no parse (|| '' forces both; length() would walk UTF-8)
            qs[(form, "read")] = (f"SELECT sum(octet_length(vgm_summary_send(b))) FROM states {w};"
                                  if form == "binary" else f"SELECT sum(octet_length({raw} || '')) FROM states {w};")
            qs[(form, "parse")] = f"SELECT count({c}) FROM states {w};"
            qs[(form, "combine")] = f"SELECT (vgm_summary_info(vgm_rollup({c}))).buckets FROM states {w};"
            qs[(form, "fit")] = (f"SELECT d.points, d.iterations, d.fit_ms FROM (SELECT vgm_fit(vgm_rollup({c})) AS m "
                                 f"FROM states {w}) q, LATERAL vgm_diagnostics(q.m) d;")
        runs = {q: [] for q in qs}
        for _ in range(args.reps):
            for q, sql in qs.items():
                runs[q].append(r.session(SERIAL, sql))
        sizes = psql(f"SELECT sum(pg_column_size(b)), sum(octet_length(r)), sum(octet_length(c)) FROM states {w};\n"
                     ).strip().split("|")
        res = {"bytes": {"binary": int(sizes[0]), "readable": int(sizes[1]), "compact": int(sizes[2])}}
        for (form, q), v in runs.items():
            res.setdefault(form, {})[q] = {"cpu_ms": best(x["cpu_ms"] for x in v), "wall_ms": best(x["wall_ms"] for x in v),
                                           "rss_growth_kb": max((x["rss_growth_kb"] or 0) for x in v),
                                           "all_cpu": [x["cpu_ms"] for x in v]}
        res["fit_out"] = runs[("binary", "fit")][-1]["out"]
        res["same_fit"] = len({tuple(runs[(f, "fit")][-1]["out"][0].split("|")[:2]) for f in FORMS}) == 1
        out[str(k)] = res
        b = res["binary"]["fit"]["cpu_ms"]
        log(f"{k} states: fit from binary {b:.0f} ms, compact {res['compact']['fit']['cpu_ms']:.0f} ms "
            f"({res['compact']['fit']['cpu_ms'] / b:.2f}x), readable {res['readable']['fit']['cpu_ms']:.0f} ms "
            f"({res['readable']['fit']['cpu_ms'] / b:.2f}x)")
    results["states"] = out


def part_citus(args, tmp, results):
    rows_list = [int(s.replace("_", "")) for s in args.citus_rows.split(",") if s.strip()]
    if not rows_list:
        return
    libdir = subprocess.run(["bash", "-c", f'. "{PGSERVER}" && _pgserver_init && "$PG_CONFIG" --pkglibdir'],
                            capture_output=True, text=True).stdout.strip()
    if not os.path.exists(os.path.join(libdir, "citus.so")):
        log("citus not installed: Citus part skipped")
        return
    opts = ("-c shared_preload_libraries=citus -c listen_addresses=127.0.0.1 -c citus.node_conninfo=sslmode=prefer "
            "-c max_connections=100 -c shared_buffers=128MB -c max_wal_size=4GB -c jit=off")
    envs = {}
    nodes = ("coord", "w1", "w2")
    try:
        for n in nodes:
            envs[n] = server_start(os.path.join(tmp, n), opts)
        for n in nodes:
            use(envs[n])
            os.environ["PGDATABASE"] = "postgres"
            psql("CREATE EXTENSION citus;\n")
        use(envs["coord"])
        psql(f"SELECT citus_set_coordinator_host('127.0.0.1', {envs['coord']['PGPORT']});\n"
             f"SELECT citus_add_node('127.0.0.1', {envs['w1']['PGPORT']});\n"
             f"SELECT citus_add_node('127.0.0.1', {envs['w2']['PGPORT']});\n"
             "CREATE EXTENSION vgm;\n")

        def set_form(form):
            for n in nodes:
                use(envs[n])
                psql(f"LOAD 'vgm';\nALTER SYSTEM SET vgm.summary_text = '{form}';\nSELECT pg_reload_conf();\n")
            use(envs["coord"])

        pre = ["SET citus.coordinator_aggregation_strategy = 'disabled';", "SET jit = off;"]
        out = {}
        for nrows in rows_list:
            t0 = time.time()
            psql("DROP TABLE IF EXISTS dist;\nSET max_parallel_workers_per_gather = 0;\nSELECT setseed(0.42);\n"
                 f"CREATE TABLE dist AS {GEN_ROWS.format(id='id', src=f'generate_series(1, {nrows}::bigint) id')};\n"
                 "VACUUM ANALYZE dist;\n")
            # the same fit on the coordinator's local table, one backend, before distributing it
            local = []
            for _ in range(args.reps):
                o = psql("\n".join(["SET max_parallel_workers_per_gather = 0;", "SET jit = off;",
                                    bench_scale.MARK_NOCPU, "SELECT vgm_n_components(vgm_fit(x)) FROM dist;",
                                    bench_scale.MARK_NOCPU]) + "\n").splitlines()
                marks = [l.split("|") for l in o if l.startswith("M|")]
                local.append((float(marks[1][1]) - float(marks[0][1])) * 1000.0)
            t0 = time.time()
            psql(f"SET citus.shard_count = {args.shards};\n"
                 "SELECT create_distributed_table('dist', 'id');\n"
                 "SELECT truncate_local_data_after_distributing_table('dist');\nVACUUM ANALYZE dist;\n")
            load_s = time.time() - t0
            log(f"citus: {nrows:,} rows loaded in {load_s:.0f} s")
            qs = {
                "scan": ("SELECT sum(result::bigint) FROM run_command_on_shards('dist', "
                         "$$SELECT length(vgm_summarize(x)::text) FROM %s$$);"),
                "combine": "SELECT (vgm_summary_info(vgm_summarize(x))).buckets FROM dist;",
                "fit": ("SELECT d.points, d.iterations, d.fit_ms FROM (SELECT vgm_fit(x) AS m FROM dist) q, "
                        "LATERAL vgm_diagnostics(q.m) d;"),
            }
            res = {"load_s": load_s, "local_fit_ms": best(local), "local_fit_all": local}
            # EXPLAIN ANALYZE of a distributed vgm aggregate: Citus's limitation, recorded as it is
            try:
                psql("SET citus.coordinator_aggregation_strategy = 'disabled';\n"
                     "EXPLAIN (ANALYZE, COSTS OFF) SELECT vgm_fit(x) FROM dist;\n")
                res["explain_analyze"] = "ran"
            except RuntimeError as e:
                res["explain_analyze"] = [l for l in str(e).splitlines() if l.startswith("ERROR")][:1]
            res["explain_verbose_ok"] = "worker_partial_agg" in psql(
                "SET citus.coordinator_aggregation_strategy = 'disabled';\n"
                "EXPLAIN (VERBOSE, COSTS OFF) SELECT vgm_fit(x) FROM dist;\n")
            log(f"EXPLAIN ANALYZE: {res['explain_analyze']}; EXPLAIN VERBOSE shows the split: {res['explain_verbose_ok']}")
            for form in ("readable", "compact"):
                set_form(form)
                runs = {q: [] for q in qs}
                for _ in range(args.reps):
                    for q, sql in qs.items():
                        script = "\n".join(pre + [bench_scale.MARK_NOCPU, sql, bench_scale.MARK_NOCPU]) + "\n"
                        o = psql(script).splitlines()
                        marks = [l.split("|") for l in o if l.startswith("M|")]
                        runs[q].append({"wall_ms": (float(marks[1][1]) - float(marks[0][1])) * 1000.0,
                                        "out": [l for l in o if not l.startswith("M|")]})
                res[form] = {q: {"wall_ms": best(x["wall_ms"] for x in v), "all": [x["wall_ms"] for x in v],
                                 "out": v[-1]["out"]} for q, v in runs.items()}
                res[form]["text_bytes"] = int(res[form]["scan"]["out"][0])
                log(f"citus {nrows:,} {form}: " + ", ".join(f"{q} {res[form][q]['wall_ms']:.0f} ms" for q in qs))
            out[str(nrows)] = res
            psql("DROP TABLE dist;\n")
        results["citus"] = out
    finally:
        for n in nodes:
            if n in envs:
                server_stop(os.path.join(tmp, n))


def report(args, results):
    L = [f"# vgm coordinator benchmark ({results['started']}, commit {results['commit']}, "
         f"{os.cpu_count()} CPUs, PostgreSQL {results['server_version']})", ""]
    if "states" in results:
        s = results["state"]
        L.append(f"One state: {s['buckets']:,.0f} buckets on average; binary {s['binary'] / 1e3:,.0f} kB, readable text "
                 f"{s['readable'] / 1e3:,.0f} kB, compact text {s['compact'] / 1e3:,.0f} kB; text -> summary gives the "
                 f"binary state bit for bit: compact {s['compact_exact']}, readable {s['readable_exact']}.")
        L.append("")
        L.append("| states | form | MB moved | read ms | parse ms | parse MB/s | combine ms | combine + fit ms | "
                 "ratio to binary (combine + fit) |")
        L.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        for k, res in results["states"].items():
            base = res["binary"]["fit"]["cpu_ms"]
            for form in FORMS:
                f = res[form]
                nbytes = res["bytes"][form]
                net = f["parse"]["cpu_ms"] - f["read"]["cpu_ms"]
                speed = "" if form == "binary" or net <= 0 else f"{nbytes / 1e6 / (net / 1000):,.0f}"
                L.append(f"| {k} | {form} | {nbytes / 1e6:,.1f} | {f['read']['cpu_ms']:.0f} | {f['parse']['cpu_ms']:.0f} | "
                         f"{speed} | {f['combine']['cpu_ms']:.0f} | {f['fit']['cpu_ms']:.0f} | "
                         f"{f['fit']['cpu_ms'] / base:.2f}x |")
        L.append("")
        L.append("(backend CPU ms, fastest of the rounds; same fit from every form: "
                 + ", ".join(f"{k}: {r['same_fit']}" for k, r in results["states"].items()) + ")")
        L.append("")
    if "citus" in results:
        L.append("| rows | form | state text MB | worker scan ms | transfer + parse ms | fit ms | total ms | "
                 "local fit ms (one backend) |")
        L.append("|---:|---|---:|---:|---:|---:|---:|---:|")
        for n, res in results["citus"].items():
            for form in ("readable", "compact"):
                f = res[form]
                sc, co, fi = f["scan"]["wall_ms"], f["combine"]["wall_ms"], f["fit"]["wall_ms"]
                L.append(f"| {int(n):,} | {form} | {f['text_bytes'] / 1e6:,.1f} | {sc:.0f} | {co - sc:.0f} | "
                         f"{fi - co:.0f} | {fi:.0f} | {res['local_fit_ms']:.0f} |")
        L.append("")
        for n, res in results["citus"].items():
            L.append(f"{int(n):,} rows: EXPLAIN ANALYZE -> {res['explain_analyze']}; EXPLAIN (VERBOSE) shows "
                     f"worker_partial_agg: {res['explain_verbose_ok']}")
        L.append("")
    return "\n".join(L)


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--states", default="32,128,512")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--citus-rows", default="10000000")
    ap.add_argument("--shards", type=int, default=32)
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vgm-coord.")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    os.chmod(tmp, 0o711)
    results = {"started": time.strftime("%Y-%m-%d %H:%M:%S"),
               "commit": subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%h"], capture_output=True,
                                        text=True).stdout.strip()}
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "src", "sql", "Makefile"],
                           capture_output=True, text=True).stdout.strip()
    if dirty:
        results["commit"] += " + uncommitted changes"
    try:
        if args.states.strip() and os.environ.get("PGHOST") and os.environ.get("BENCH_PRIVATE") != "1":
            # an existing server (PGHOST/PGPORT): its table "states" is kept and reused
            saved = dict(os.environ)
            os.environ.setdefault("PGDATABASE", "postgres")
            results["server_version"] = psql("SHOW server_version;\n").strip()
            part_states(args, tmp, results)
            os.environ.clear()
            os.environ.update(saved)
        elif args.states.strip():
            env = server_start(os.path.join(tmp, "single"),
                               "-c shared_buffers=256MB -c wal_level=minimal -c max_wal_senders=0 "
                               "-c autovacuum=off -c jit=off -c max_wal_size=8GB")
            use(env)
            os.environ["PGDATABASE"] = "postgres"
            results["server_version"] = psql("SHOW server_version;\n").strip()
            try:
                part_states(args, tmp, results)
            finally:
                server_stop(os.path.join(tmp, "single"))
        part_citus(args, tmp, results)
        results.setdefault("server_version", "15")
        results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)
        text = report(args, results)
        print(text, flush=True)
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write(text + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
