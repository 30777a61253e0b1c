#!/usr/bin/python3
"""Reliability checks of the vgm extension against a running server: cancel,
memory, durability and privileges.  Prints TAP.

Run with Debian's /usr/bin/python3; the server is found through PGHOST /
PGPORT / PGUSER (a superuser) / PGDATABASE (a database with vgm installed),
and psql, pg_dump, pg_restore and pg_ctl are taken from PATH (run_all.sh
puts the server's bindir first).  Needs no Python packages beyond the
standard library.  Everything it creates (schema vgm_rel, databases and roles
named vgm_rel_*) is dropped at the end, also after a failure.

What is checked (bounds in the constants below; measured values are printed
as TAP comments):
  cancel     a fit that would run for hours (vgm_fit over a summary of 2M
             rows, max_iter 1000000, tol 0) stops within CANCEL_LATENCY_S of
             statement_timeout = 500ms and of pg_cancel_backend from a second
             connection; so does the same fit over a float8[] of 2M elements.
  memory     the backend's private memory (RssAnon of /proc/PID/status) stays
             flat within ROW_LEAK_BOUND_MB over 10M rows of a per-row
             transform (vgm_alpha; vgm_summarize where the transforms are not
             installed) and over 2M rows of the other transforms; the peak
             growth of private memory (RssAnon) of vgm_summarize over 10M
             distinct values stays under SUMMARIZE_PEAK_BOUND_MB, and of a
             GROUP BY with 100,000 groups under GROUPBY_PEAK_BOUND_MB (both
             include generate_series' 4 MB tuplestore), with the default work_mem,
             for the planner's plan, a forced hash aggregate and a forced
             sorted aggregate; max_components > 256 is an error.
  durability pg_dump -Fc / pg_restore round-trips tables of models, summaries
             (one TOASTed) and KS states bit for bit (text and binary send
             forms compared); so does a binary COPY out and in; hostile
             binary COPY input is rejected with the right SQLSTATE; models
             written before a fast restart and before an immediate (crash)
             restart read back identically.  The restart uses the harness's
             server (PGSERVER_DATA / PGSERVER_LOG, as run_all.sh exports
             them) or, when those are not set, a private server started with
             test/lib/pgserver.sh.
  privileges a non-superuser who owns a database can CREATE EXTENSION vgm
             (the extension is trusted), one without CREATE on the database
             cannot; no vgm function is SECURITY DEFINER; vgm_validate on a
             table the caller cannot SELECT fails with a permission error.
"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time

# bounds
CANCEL_LATENCY_S = 1.0          # from the request to the error reaching psql
ROW_LEAK_BOUND_MB = 8.0         # RssAnon growth over 10M rows (< 1 byte/row)
SUMMARIZE_PEAK_BOUND_MB = 96.0  # RssAnon peak growth of vgm_summarize over 10M values
GROUPBY_PEAK_BOUND_MB = 128.0   # RssAnon peak growth of a 100,000-group GROUP BY
GROUPBY_INMEMORY_BOUND_MB = 1024.0  # the same with every group in memory (measured +554 MB: 5.5 KB a group)
# Peak private memory (RssAnon over the baseline) of a hash GROUP BY whose
# groups keep growing after they are created, work_mem 4MB, hash forced:
# 2,000 groups of 3,000 distinct values and 60 groups of 100,000 (each state
# up to about 10 MB).  Before the states declared their size (SSPACE) the
# first took 1.3 GB; measured now: about 16 and 28 MB.
GROWING_GROUPS_BOUND_MB = 100.0

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vgmtest import (REPO, PSQL, done, note, ok, proc_status, readme_sql_block, run_psql,  # noqa: E402
                     skip)

DB = os.environ.get("PGDATABASE", "vgm_py")
SCHEMA = "vgm_rel"
# errors with their SQLSTATE (see sql_error)
VERBOSE = ["-v", "VERBOSITY=verbose"]


def psql(sql, db=None, user=None, check=True, env=None, timeout=600):
    """Run SQL through psql; returns the CompletedProcess."""
    return run_psql(sql, db=db or DB, user=user, options=VERBOSE, check=check, env=env, timeout=timeout)


def q(sql, db=None, user=None):
    """Run SQL and return its output (unaligned, tuples only) stripped."""
    return psql(sql, db=db, user=user).stdout.strip()


def sql_error(stderr):
    """(SQLSTATE, message) of the first error in psql's verbose stderr."""
    m = re.search(r"ERROR:  ([0-9A-Z]{5}): (.*)", stderr)
    return (m.group(1), m.group(2)) if m else (None, stderr.strip()[-300:])


def has_function(signature, db=None):
    return q(f"SELECT to_regprocedure('{signature}') IS NOT NULL", db=db) == "t"


class Background:
    """A query running in its own psql, findable by application_name."""

    def __init__(self, sql, app, db=None):
        self.app = app
        e = dict(os.environ, PGAPPNAME=app)
        self.start = time.monotonic()
        self.proc = subprocess.Popen([PSQL, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"] + VERBOSE
                                     + ["-d", db or DB, "-c", sql], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=e)
        self.out = self.err = None

    def backend_pid(self, timeout=30.0):
        """PID of the backend once it runs the query."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = q(f"SELECT pid FROM pg_stat_activity WHERE application_name = '{self.app}' "
                    "AND state = 'active' LIMIT 1")
            if pid:
                return int(pid)
            if self.proc.poll() is not None:
                return None
            time.sleep(0.02)
        return None

    def wait(self, timeout=600):
        self.out, self.err = self.proc.communicate(timeout=timeout)
        self.end = time.monotonic()
        return self.proc.returncode


class Sampler(threading.Thread):
    """Samples /proc/PID/status every `period` seconds while the query runs."""

    def __init__(self, pid, period=0.05):
        super().__init__(daemon=True)
        self.pid, self.period = pid, period
        self.samples = []           # (t, RssAnon kB, VmHWM kB)
        self.stop = threading.Event()

    def run(self):
        t0 = time.monotonic()
        while not self.stop.is_set():
            s = proc_status(self.pid)
            if s is None:
                break
            self.samples.append((time.monotonic() - t0, s.get("RssAnon", 0), s.get("VmHWM", 0)))
            time.sleep(self.period)


def measure(sql, app, setup=""):
    """Run setup + sql in a fresh backend while sampling its memory.

    Returns (returncode, stderr, samples, baseline status before the query,
    elapsed seconds).  The backend first runs setup and pg_sleep(0.3) so its
    pid can be found and a baseline read before the measured statement."""
    bg = Background(f"{setup} SELECT pg_sleep(0.3); {sql}", app)
    pid = bg.backend_pid()
    base = proc_status(pid) if pid else None
    sampler = None
    if pid and base:
        sampler = Sampler(pid)
        sampler.start()
    rc = bg.wait()
    if sampler:
        sampler.stop.set()
        sampler.join()
    measure.out = bg.out
    return rc, bg.err, (sampler.samples if sampler else []), base, bg.end - bg.start


def mb(kb):
    return kb / 1024.0


# ------------------------------------------------------------------ setup ----

def setup():
    psql(f"""
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS {SCHEMA} CASCADE;
CREATE SCHEMA {SCHEMA};
CREATE TABLE {SCHEMA}.big AS
    SELECT (CASE WHEN i % 3 = 0 THEN 10 + sin(i) ELSE -5 + 2 * cos(7 * i) END)::float8 AS x
    FROM generate_series(1, 2000000) i;
CREATE TABLE {SCHEMA}.big_s AS SELECT vgm_summarize(x) AS s FROM {SCHEMA}.big;
CREATE TABLE {SCHEMA}.models AS
    SELECT 1 AS id, vgm_fit(array_agg(x)) AS m FROM (SELECT x FROM {SCHEMA}.big LIMIT 20000) d;
""")


# ----------------------------------------------------------------- cancel ----

LONG_FIT = f"SELECT vgm_fit(s, max_iter => 1000000, tol => 0) FROM {SCHEMA}.big_s"
LONG_FIT_ARRAY = (f"SELECT vgm_fit(a, max_iter => 1000000, tol => 0) "
                  f"FROM (SELECT array_agg(x) AS a FROM {SCHEMA}.big) d")


def test_cancel():
    info = q(f"SELECT buckets, rows FROM {SCHEMA}.big_s, vgm_summary_info(s)")
    note(f"cancel: summary of 2M rows has buckets|rows = {info}")

    # a trivial psql call, for the connection overhead in the timings below
    t = time.monotonic()
    q("SELECT 1")
    overhead = time.monotonic() - t

    # statement_timeout
    t = time.monotonic()
    r = psql(f"SET statement_timeout = '500ms'; {LONG_FIT}", check=False)
    elapsed = time.monotonic() - t
    code, msg = sql_error(r.stderr)
    late = elapsed - 0.5 - overhead
    note(f"cancel: statement_timeout 500ms: psql returned after {elapsed:.3f} s "
         f"(connection overhead {overhead:.3f} s): {late * 1000:.0f} ms after the deadline")
    ok(r.returncode != 0 and code == "57014" and "statement timeout" in msg,
       "a long vgm_fit(summary) is stopped by statement_timeout", f"{code}: {msg}")
    ok(late < CANCEL_LATENCY_S,
       f"... within {CANCEL_LATENCY_S} s of the timeout ({late * 1000:.0f} ms)")

    # The fit of a 2M-element array spends its first seconds sorting and
    # seeding without an interrupt check (docs/reliability.md, finding 5):
    # its latency is a TODO until vbem.c checks there too.
    for label, sql, app, wait_s, todo in [
            ("vgm_fit(summary)", LONG_FIT, "vgm_rel_cancel_s", 1.0, None),
            ("vgm_fit(float8[] of 2M)", LONG_FIT_ARRAY, "vgm_rel_cancel_a", 2.0,
             "the sort and k-means++ seeding of vgm_fit do not check for interrupts")]:
        bg = Background(sql, app)
        pid = bg.backend_pid()
        time.sleep(wait_s)
        running = bg.proc.poll() is None
        t0 = time.monotonic()
        cancelled = pid is not None and q(f"SELECT pg_cancel_backend({pid})") == "t"
        rc = bg.wait(timeout=120)
        latency = bg.end - t0
        code, msg = sql_error(bg.err)
        note(f"cancel: pg_cancel_backend on {label} after {wait_s} s: error after {latency * 1000:.0f} ms")
        ok(pid is not None and running and cancelled and rc != 0 and code == "57014"
           and "user request" in msg,
           f"a long {label} is stopped by pg_cancel_backend from another connection",
           f"pid {pid}, running {running}, cancelled {cancelled}, rc {rc}, {code}: {msg}")
        ok(latency < CANCEL_LATENCY_S,
           f"... within {CANCEL_LATENCY_S} s of the request ({latency * 1000:.0f} ms)", todo=todo)

    ok(q("SELECT 1") == "1", "the server answers after the cancellations")


# ----------------------------------------------------------------- memory ----

def flat_check(label, samples, bound_mb):
    """RssAnon growth after the first second of the query."""
    if len(samples) < 10:
        return None, f"only {len(samples)} samples"
    t_end = samples[-1][0]
    warm = [s for s in samples if s[0] >= min(1.0, t_end / 4)]
    first = warm[: max(3, len(warm) // 10)]
    start = sorted(s[1] for s in first)[len(first) // 2]
    peak = max(s[1] for s in warm)
    growth = mb(peak - start)
    note(f"memory: {label}: RssAnon {mb(start):.1f} MB after warm-up, peak {mb(peak):.1f} MB, "
         f"growth {growth:.2f} MB over {t_end:.1f} s ({len(samples)} samples)")
    return growth, None


def peak_growth(label, samples, base, elapsed):
    """Peak private memory (RssAnon) over the baseline before the statement.

    VmHWM is printed too, but it also counts shared and file-backed pages
    (shared_buffers, the tuplestore of generate_series), so it is no bound."""
    if not samples or not base:
        note(f"memory: {label}: no samples")
        return None
    peak = max(s[1] for s in samples)
    hwm = max(s[2] for s in samples)
    growth = mb(peak - base.get("RssAnon", 0))
    note(f"memory: {label}: RssAnon {mb(base.get('RssAnon', 0)):.1f} -> peak {mb(peak):.1f} MB "
         f"(+{growth:.1f} MB; VmHWM +{mb(hwm - base.get('VmHWM', 0)):.1f} MB), {elapsed:.1f} s")
    return growth


def test_memory():
    # the server's processes must be visible in /proc (a local server, and
    # root or the same user): the checkpointer lives as long as the server
    ckpt = q("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
    if not ckpt or proc_status(int(ckpt)) is None:
        for name in ["per-row transforms leak nothing", "other transforms leak nothing",
                     "vgm_summarize peak memory", "GROUP BY peak memory (3 plans)",
                     "max_components > 256 is an error"]:
            skip(name, "the server's /proc/PID/status is not readable")
        return

    transforms = has_function("vgm_alpha(vgm_model,double precision)")
    if transforms:
        sql = (f"SELECT sum(vgm_alpha(m, x::float8)) FROM {SCHEMA}.models, "
               "generate_series(1, 10000000) x")
        label = "sum(vgm_alpha(m, x)) over 10M rows"
    else:
        sql = "SELECT (vgm_summary_info(vgm_summarize(x::float8 % 1000))).rows FROM generate_series(1, 10000000) x"
        label = "vgm_summarize over 10M rows (transforms not installed)"
    rc, err, samples, base, elapsed = measure(sql, "vgm_rel_mem_rows")
    growth, why = flat_check(label, samples, ROW_LEAK_BOUND_MB)
    ok(rc == 0 and growth is not None and growth < ROW_LEAK_BOUND_MB,
       f"{label}: private memory flat within {ROW_LEAK_BOUND_MB} MB ({elapsed:.1f} s)",
       err if rc else why)

    if transforms:
        parts = ["sum((vgm_normalize(m, x)).alpha)",
                 "sum(vgm_component(m, x, i))",
                 "sum(array_length(vgm_encode(m, x, i), 1))",
                 "sum(vgm_denormalize(m, 0, 0.5))",
                 "sum(vgm_score(m, x))",
                 "sum(vgm_cdf(m, x))",
                 "sum(array_length(vgm_predict_proba(m, x), 1))"]
        if has_function("vgm_ks_sfunc(vgm_ks_state,vgm_model,double precision)"):
            parts.append("(vgm_ks(m, x)).n")
        sql = (f"SELECT {', '.join(parts)} FROM {SCHEMA}.models, "
               "(SELECT i::bigint AS i, ((i % 1000) / 50.0 - 10)::float8 AS x FROM generate_series(1, 2000000) i) d")
        rc, err, samples, base, elapsed = measure(sql, "vgm_rel_mem_other")
        growth, why = flat_check("vgm_normalize/component/encode/denormalize/score/cdf/predict_proba"
                                 "/ks over 2M rows", samples, ROW_LEAK_BOUND_MB)
        ok(rc == 0 and growth is not None and growth < ROW_LEAK_BOUND_MB,
           f"the other transforms and vgm_ks over 2M rows: private memory flat within "
           f"{ROW_LEAK_BOUND_MB} MB ({elapsed:.1f} s)", err if rc else why)
    else:
        skip("the other transforms leak nothing", "transforms not installed")

    # one summary of 10M distinct values: the bucket cap bounds its memory
    sql = ("SELECT (vgm_summary_info(vgm_summarize(x::float8 * 1.0000003))).buckets "
           "FROM generate_series(1, 10000000) x")
    rc, err, samples, base, elapsed = measure(sql, "vgm_rel_mem_summ")
    growth = peak_growth("vgm_summarize over 10M distinct values", samples, base, elapsed)
    ok(rc == 0 and growth is not None and growth < SUMMARIZE_PEAK_BOUND_MB,
       f"vgm_summarize over 10M distinct values: peak memory growth under "
       f"{SUMMARIZE_PEAK_BOUND_MB} MB", err)

    # GROUP BY with 100,000 groups, default work_mem, three plans
    work_mem = q("SHOW work_mem")
    hash_mult = q("SHOW hash_mem_multiplier")
    grouped = ("SELECT count(*), sum((vgm_summary_info(s)).rows) FROM "
               "(SELECT g, vgm_summarize(x) AS s FROM "
               "(SELECT i % 100000 AS g, sin(i) * 100 AS x FROM generate_series(1, 1000000) i) d "
               "GROUP BY g) q")
    for label, settings in [("planner's choice", ""),
                            ("hash aggregate", "SET enable_sort = off;"),
                            ("sorted aggregate", "SET enable_hashagg = off;")]:
        plan = q(f"{settings} EXPLAIN (COSTS OFF) {grouped}")
        agg = ", ".join(sorted(set(re.findall(r"(HashAggregate|GroupAggregate|MixedAggregate)", plan))))
        rc, err, samples, base, elapsed = measure(grouped, "vgm_rel_mem_group", setup=settings)
        growth = peak_growth(f"GROUP BY 100,000 groups ({label}: {agg}; work_mem {work_mem}, "
                             f"hash_mem_multiplier {hash_mult})", samples, base, elapsed)
        ok(rc == 0 and growth is not None and growth < GROUPBY_PEAK_BOUND_MB,
           f"GROUP BY over 100,000 groups of vgm_summarize ({label}) stays under "
           f"{GROUPBY_PEAK_BOUND_MB} MB", err)

    # all 100,000 groups in memory at once: a context per state made the hash
    # aggregate's memory check (it sums every context below its own each time
    # it adds a group) quadratic, 72 s instead of 2 s; the timeout only
    # guards against that regression, it is not a speed requirement.  The
    # states declare 4 MB each (SSPACE), so only a hash_mem of 400 GB or more
    # admits all 100,000 groups at once.
    settings = "SET work_mem = '1TB'; SET enable_sort = off; SET statement_timeout = '60s';"
    rc, err, samples, base, elapsed = measure(grouped, "vgm_rel_mem_group_big", setup=settings)
    growth = peak_growth(f"GROUP BY 100,000 groups, all in memory (work_mem 1TB), {elapsed:.1f} s",
                         samples, base, elapsed)
    ok(rc == 0 and growth is not None and growth < GROUPBY_INMEMORY_BOUND_MB,
       f"GROUP BY over 100,000 in-memory groups of vgm_summarize completes within the 60 s "
       f"guard and under {GROUPBY_INMEMORY_BOUND_MB} MB", err)

    test_growing_groups()

    r = psql(f"SELECT vgm_fit(s, max_components => 257) FROM {SCHEMA}.big_s", check=False)
    code, msg = sql_error(r.stderr)
    ok(code == "22023" and msg == "max_components must be between 1 and 256",
       "max_components = 257 is an error", f"{code}: {msg}")
    r = psql(f"SELECT vgm_fit(s, max_components => 2000000000) FROM {SCHEMA}.big_s", check=False)
    code, msg = sql_error(r.stderr)
    ok(code == "22023", "max_components = 2e9 is an error before any allocation", f"{code}: {msg}")


def test_growing_groups():
    """A hash GROUP BY whose groups grow after they are created stays bounded.

    A hash aggregate checks its memory only when it adds a group, so groups
    created early (all 2,000 of i % 2000 within the first 2,000 rows) used to
    grow unchecked to 1.3 GB.  With SSPACE declared it admits about
    hash_mem / 4 MB groups and spills the others.  The groups' summaries must
    equal the sorted plan's: counts, resolution and bucket count exactly,
    moments to 12 significant digits (the order of rows inside a group differs
    between the plans, and with it the rounding of sums over coarse buckets)."""
    digest = ("SELECT count(*), md5(string_agg(concat_ws(':', g, i.rows, i.buckets, i.relative_width, "
              "i.min, i.max, i.total_weight, to_char((m).mean, '9.99999999999EEEE'), "
              "to_char((m).stddev, '9.99999999999EEEE')), ',' ORDER BY g)) "
              "FROM (SELECT g, s, vgm_moments(s) AS m FROM ({inner}) q0) q, vgm_summary_info(q.s) i")
    for label, groups, per_group in [("2,000 groups x 3,000 distinct values", 2000, 3000),
                                     ("60 groups x 100,000 distinct values", 60, 100000)]:
        inner = (f"SELECT i % {groups} AS g, vgm_summarize(i * 0.7071067811865476::float8 + 0.25) AS s "
                 f"FROM generate_series(1, {groups * per_group}) i GROUP BY 1")
        sql = digest.format(inner=inner)
        base_settings = "SET jit = off; SET work_mem = '4MB'; SET max_parallel_workers_per_gather = 0;"
        hashed = base_settings + " SET enable_sort = off;"
        plan = q(f"{hashed} EXPLAIN (COSTS OFF) {inner}")
        rc, err, samples, base, elapsed = measure(sql, "vgm_rel_mem_grow", setup=hashed)
        hash_out = measure.out
        growth = peak_growth(f"GROUP BY {label} (hash aggregate forced, work_mem 4MB)",
                             samples, base, elapsed)
        ok(rc == 0 and "HashAggregate" in plan and growth is not None
           and growth < GROWING_GROUPS_BOUND_MB,
           f"hash GROUP BY of {label}: peak memory under {GROWING_GROUPS_BOUND_MB} MB",
           err or plan)
        t = time.monotonic()
        sorted_out = q(f"{base_settings} SET enable_hashagg = off; {sql}")
        note(f"memory: {label}: sorted plan {time.monotonic() - t:.1f} s")
        hash_digest = (hash_out or "").strip().splitlines()[-1:] or [""]
        ok(rc == 0 and hash_digest[0] == sorted_out and sorted_out.startswith(f"{groups}|"),
           f"hash GROUP BY of {label}: the summaries equal the sorted plan's",
           f"hash {hash_digest[0]!r}, sorted {sorted_out!r}")

    # the README's per-merchant pattern with every default (1.03 GB before):
    # whichever plan the planner picks now, hashing with spills or sorting
    inner = ("SELECT i % 500 AS g, vgm_summarize(i * 0.7071067811865476::float8) AS s "
             "FROM generate_series(1, 5000000) i GROUP BY 1")
    plan = q(f"EXPLAIN (COSTS OFF) {inner}")
    agg = ", ".join(sorted(set(re.findall(r"(HashAggregate|GroupAggregate|MixedAggregate)", plan))))
    rc, err, samples, base, elapsed = measure(digest.format(inner=inner), "vgm_rel_mem_default")
    growth = peak_growth(f"GROUP BY 500 groups x 10,000 distinct values (planner's choice: {agg})",
                         samples, base, elapsed)
    ok(rc == 0 and growth is not None and growth < GROWING_GROUPS_BOUND_MB,
       f"GROUP BY of 500 groups x 10,000 distinct values, default settings: peak memory under "
       f"{GROWING_GROUPS_BOUND_MB} MB", err or plan)


# ------------------------------------------------------------- durability ----

def make_durability_table(db):
    """A table of models, summaries (one TOASTed) and, if installed, KS states."""
    ks = has_function("vgm_ks_state_in(cstring)", db=db)
    psql(f"""
SET client_min_messages = warning;
CREATE TABLE dur (id int PRIMARY KEY, m vgm_model, s vgm_summary{', k vgm_ks_state' if ks else ''});
INSERT INTO dur (id, m, s) SELECT 1,
    vgm_fit(ARRAY[1, 2, 3, 10, 11, 12, NULL, 'NaN', 'Infinity']::float8[], max_components => 3),
    vgm_summarize(x) FROM unnest(ARRAY[1, 2, NULL, 'NaN', '-Infinity', -0.0]::float8[]) x;
INSERT INTO dur (id, m, s) SELECT 2, vgm_fit(ARRAY[7, 7, 7]::float8[], max_components => 1),
    vgm_summarize(x, w) FROM (SELECT i * 0.37 AS x, (i % 5) * 0.5 AS w FROM generate_series(1, 300) i) d;
INSERT INTO dur (id, m, s) SELECT 3, vgm_fit(ARRAY[5e-324, 1e-310, 2.2250738585072014e-308, 1e-300]::float8[], max_components => 2),
    vgm_summarize(x) FROM unnest(ARRAY[5e-324, -5e-324, 1e308, -1e308]::float8[]) x;
-- a large summary (~49k buckets, TOASTed) and a 20-component model
INSERT INTO dur (id, m, s) SELECT 4, vgm_fit(vgm_summarize(x), max_components => 20),
    vgm_summarize(x) FROM (SELECT sin(i) * 1000 + i % 7 AS x FROM generate_series(1, 200000) i) d;
INSERT INTO dur (id) VALUES (5);  -- NULLs
""", db=db)
    if ks:
        psql("UPDATE dur SET k = (SELECT vgm_ks_state(d.m, x) FROM generate_series(1, 1000) x) "
             "FROM dur d WHERE d.id = 4 AND dur.id IN (1, 4)", db=db)
    return ks


def fingerprint(db, table="dur", ks=False):
    """Text and binary forms of every value, as one string per row."""
    cols = "m::text, s::text, encode(vgm_model_send(m), 'hex'), encode(vgm_summary_send(s), 'hex')"
    if ks:
        cols += ", k::text, encode(vgm_ks_state_send(k), 'hex')"
    return q(f"SELECT id, md5(concat_ws('|', {cols})) FROM {table} ORDER BY id", db=db)


def test_dump_restore():
    src, dst = "vgm_rel_src", "vgm_rel_dst"
    for d in (src, dst):
        q(f"DROP DATABASE IF EXISTS {d} WITH (FORCE)")
    q(f"CREATE DATABASE {src}")
    q("CREATE EXTENSION vgm", db=src)
    ks = make_durability_table(src)
    before = fingerprint(src, ks=ks)
    toast = q("SELECT pg_column_size(s) < octet_length(s::text) FROM dur WHERE id = 4", db=src)
    note(f"durability: rows {before.count(chr(10)) + 1}, KS states {'yes' if ks else 'not installed'}, "
         f"large summary stored compressed: {toast}")
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "vgm.dump")
        r = subprocess.run(["pg_dump", "-Fc", "-d", src, "-f", dump], capture_output=True, text=True)
        ok(r.returncode == 0, "pg_dump -Fc of tables of models and summaries", r.stderr)
        q(f"CREATE DATABASE {dst}")
        r = subprocess.run(["pg_restore", "--exit-on-error", "-d", dst, dump],
                           capture_output=True, text=True)
        ok(r.returncode == 0, "pg_restore of that dump into a new database", r.stderr)
        after = fingerprint(dst, ks=ks) if r.returncode == 0 else ""
        ok(before == after and before != "",
           "pg_dump / pg_restore round-trips models, summaries and KS states bit for bit",
           f"before:\n{before}\nafter:\n{after}")

        # binary COPY out of the source, into a copy of the table, and compare
        binfile = os.path.join(tmp, "dur.bin")
        psql(f"\\copy dur TO '{binfile}' WITH (FORMAT binary)", db=src)
        psql("CREATE TABLE dur2 (LIKE dur)", db=src)
        r = psql(f"\\copy dur2 FROM '{binfile}' WITH (FORMAT binary)", db=src, check=False)
        ok(r.returncode == 0, "binary COPY in of what binary COPY wrote", r.stderr)
        ok(fingerprint(src, "dur2", ks=ks) == before, "binary COPY round-trips bit for bit")
        test_bad_binary(src, tmp)
    for d in (src, dst):
        q(f"DROP DATABASE IF EXISTS {d} WITH (FORCE)")


def copy_file(path, fields):
    """A PGCOPY binary file of one row per item of fields (bytes or None)."""
    with open(path, "wb") as f:
        f.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
        for field in fields:
            f.write(struct.pack(">h", 1))
            if field is None:
                f.write(struct.pack(">i", -1))
            else:
                f.write(struct.pack(">i", len(field)) + field)
        f.write(struct.pack(">h", -1))


def test_bad_binary(db, tmp):
    """Hostile binary COPY input: each is rejected with its SQLSTATE."""
    model = bytes.fromhex(q("SELECT encode(vgm_model_send(m), 'hex') FROM dur WHERE id = 1", db=db))
    summ = bytes.fromhex(q("SELECT encode(vgm_summary_send(s), 'hex') FROM dur WHERE id = 1", db=db))
    k = struct.unpack(">i", model[8:12])[0]
    n = struct.unpack(">i", summ[8:12])[0]
    hdr = 184                       # bytes before the components (see src/binary_codec.h)
    nan = struct.pack(">d", float("nan"))

    def m_with(off, data):
        return model[:off] + data + model[off + len(data):]

    def s_with(off, data):
        return summ[:off] + data + summ[off + len(data):]

    cases = [
        ("vgm_model", "valid", model, None),
        ("vgm_model", "empty", b"", "08P01"),
        ("vgm_model", "truncated by one byte", model[:-1], "22P03"),
        ("vgm_model", "one byte too many", model + b"\x00", "22P03"),
        ("vgm_model", "version 3", m_with(0, struct.pack(">i", 3)), "0A000"),
        ("vgm_model", "k = 0", m_with(8, struct.pack(">i", 0)), "22P03"),
        ("vgm_model", "k = 257", m_with(8, struct.pack(">i", 257)), "22P03"),
        ("vgm_model", "k = -1", m_with(8, struct.pack(">i", -1)), "22P03"),
        ("vgm_model", "k one more than the components", m_with(8, struct.pack(">i", k + 1)), "22P03"),
        ("vgm_model", "dims 2", m_with(4, struct.pack(">i", 2)), "0A000"),
        ("vgm_model", "NaN weight", m_with(hdr + 48, nan), "22P03"),
        ("vgm_model", "converged = 7", m_with(16, struct.pack(">i", 7)), "22P03"),
        ("vgm_model", "negative row count", m_with(112, struct.pack(">q", -1)), "22P03"),
        ("vgm_summary", "valid", summ, None),
        ("vgm_summary", "header only", summ[:12], "08P01"),
        ("vgm_summary", "version 0", s_with(0, struct.pack(">i", 0)), "0A000"),
        ("vgm_summary", "negative bucket count", s_with(8, struct.pack(">i", -1)), "22P03"),
        ("vgm_summary", "bucket count 2^31 - 1", s_with(8, struct.pack(">i", 2 ** 31 - 1)), "22P03"),
        ("vgm_summary", "one bucket fewer than claimed", summ[:-48], "22P03"),
        ("vgm_summary", "shift 64", s_with(4, struct.pack(">i", 64)), "22P03"),
        ("vgm_summary", "NaN bucket weight", s_with(68 + 8, nan), "22P03"),
        ("vgm_summary", "buckets swapped", summ[:68] + summ[68 + 48:68 + 96] + summ[68:68 + 48] + summ[68 + 96:]
         if n >= 2 else summ, "22P03"),
    ]
    psql("CREATE TABLE bad_m (m vgm_model); CREATE TABLE bad_s (s vgm_summary);", db=db)
    wrong = []
    for typ, label, data, want in cases:
        path = os.path.join(tmp, "bad.bin")
        copy_file(path, [data])
        table = "bad_m" if typ == "vgm_model" else "bad_s"
        r = psql(f"\\copy {table} FROM '{path}' WITH (FORMAT binary)", db=db, check=False)
        code, msg = sql_error(r.stderr) if r.returncode else (None, "")
        if code != want:
            wrong.append(f"{typ} {label}: wanted {want}, got {code}: {msg}")
        else:
            note(f"binary COPY: {typ} {label}: {code or 'accepted'} {msg}")
    ok(not wrong, f"{len(cases)} hostile binary COPY inputs are rejected with the expected SQLSTATE "
       "(valid ones accepted)", "\n".join(wrong))
    ok(q("SELECT count(*) FROM bad_m", db=db) == "1" and q("SELECT count(*) FROM bad_s", db=db) == "1",
       "only the valid binary rows were stored")


def pg_ctl(args, data, log):
    """pg_ctl as the owner of the data directory."""
    cmd = ["pg_ctl", "-D", data, "-l", log, "-w", "-t", "120"] + args
    if os.geteuid() == 0:
        owner = os.environ.get("PGSERVER_OWNER", "postgres")
        bindir = os.path.dirname(subprocess.run(["which", "pg_ctl"], capture_output=True,
                                                text=True).stdout.strip())
        cmd = ["runuser", "-u", owner, "--", os.path.join(bindir, "pg_ctl")] + cmd[1:]
    return subprocess.run(cmd, capture_output=True, text=True, cwd="/", timeout=300)


def wait_ready(db, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if psql("SELECT 1", db=db, check=False).returncode == 0:
            return True
        time.sleep(0.2)
    return False


def test_restart():
    data = os.environ.get("PGSERVER_DATA")
    log = os.environ.get("PGSERVER_LOG")
    private = None
    env_backup = {}
    if not (data and log and os.path.isdir(data)):
        # no harness server to restart: start a private one
        private = tempfile.mkdtemp(prefix="vgm-rel-")
        os.chmod(private, 0o711)
        r = subprocess.run(["bash", "-c", f'. "{REPO}/test/lib/pgserver.sh" && pgserver_start "{private}/s" '
                            f'&& cat "{private}/s/pgserver.env"'], capture_output=True, text=True)
        if r.returncode != 0:
            ok(False, "a private server for the restart test starts", r.stderr)
            return
        for line in r.stdout.splitlines():
            m = re.match(r"export (\w+)=(.*)", line)
            if m:
                env_backup[m.group(1)] = os.environ.get(m.group(1))
                os.environ[m.group(1)] = m.group(2).strip("'")
        data, log = os.environ["PGSERVER_DATA"], os.environ["PGSERVER_LOG"]
        q("CREATE DATABASE vgm_rel_restart", db="postgres")
        db = "vgm_rel_restart"
        q("CREATE EXTENSION vgm", db=db)
        note(f"restart: using a private server in {private}")
    else:
        db = DB
        note(f"restart: restarting the harness's server ({data})")
    try:
        psql(f"""
DROP TABLE IF EXISTS {SCHEMA}_restart;
CREATE TABLE {SCHEMA}_restart AS SELECT id, m, s FROM (
    SELECT 1 AS id, vgm_fit(ARRAY[1, 2, 3, 10, 11, 12]::float8[], max_components => 3) AS m,
           vgm_summarize(x) AS s FROM generate_series(1, 1000) x) d;
""", db=db)
        before = fingerprint(db, f"{SCHEMA}_restart")
        r = pg_ctl(["-m", "fast", "restart"], data, log)
        ok(r.returncode == 0 and wait_ready(db), "pg_ctl restart (fast)", r.stdout + r.stderr)
        ok(fingerprint(db, f"{SCHEMA}_restart") == before,
           "a model and a summary written before a restart read back identically")
        # written, then a crash: recovered from the WAL
        # the test server runs with synchronous_commit = off, which may lose the
        # last commits in a crash by design: this one must be durable
        psql(f"SET synchronous_commit = on; "
             f"INSERT INTO {SCHEMA}_restart SELECT 2, vgm_fit(ARRAY[4, 5, 6, 40]::float8[]), "
             f"vgm_summarize(x) FROM generate_series(1, 50) x", db=db)
        before = fingerprint(db, f"{SCHEMA}_restart")
        r = pg_ctl(["-m", "immediate", "restart"], data, log)
        ok(r.returncode == 0 and wait_ready(db), "pg_ctl restart (immediate: crash recovery)",
           r.stdout + r.stderr)
        after = fingerprint(db, f"{SCHEMA}_restart")
        ok(after == before,
           "values committed before an immediate shutdown read back identically after recovery",
           f"before: {before!r}\nafter: {after!r}")
        psql(f"DROP TABLE {SCHEMA}_restart", db=db)
    finally:
        if private:
            subprocess.run(["bash", "-c", f'. "{REPO}/test/lib/pgserver.sh" && pgserver_stop "{private}/s"'],
                           capture_output=True, text=True)
            subprocess.run(["rm", "-rf", private])
            for k, v in env_backup.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


# ------------------------------------------------------------- privileges ----

VALIDATE_SIG = ("vgm_validate(vgm_model,regclass,name,double precision,double precision,double precision,"
                "double precision,double precision,double precision,double precision,double precision,"
                "double precision,double precision,double precision)")


def test_privileges():
    owner, other = "vgm_rel_owner", "vgm_rel_other"
    db1, db2 = "vgm_rel_priv", "vgm_rel_priv2"
    for d in (db1, db2):
        q(f"DROP DATABASE IF EXISTS {d} WITH (FORCE)")
    for role in (owner, other):
        q(f"DROP ROLE IF EXISTS {role}")
        q(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    q(f"CREATE DATABASE {db1} OWNER {owner}")
    q(f"CREATE DATABASE {db2}")

    r = psql("CREATE EXTENSION vgm", db=db1, user=owner, check=False)
    ok(r.returncode == 0, "a non-superuser can CREATE EXTENSION vgm in a database it owns (trusted)",
       r.stderr)
    extowner = q("SELECT extowner::regrole FROM pg_extension WHERE extname = 'vgm'", db=db1)
    ok(extowner == owner, "... and owns the extension", extowner)
    r = psql("SELECT vgm_n_components(vgm_fit(ARRAY[1, 2, 3, 10, 11, 12]::float8[], max_components => 2))",
             db=db1, user=owner, check=False)
    ok(r.returncode == 0 and r.stdout.strip() == "2", "... and use it", r.stderr)

    r = psql("CREATE EXTENSION vgm", db=db2, user=other, check=False)
    code, msg = sql_error(r.stderr)
    ok(code == "42501" and msg == 'permission denied to create extension "vgm"',
       "a non-superuser without CREATE on the database cannot CREATE EXTENSION vgm", f"{code}: {msg}")

    definers = q("""
SELECT coalesce(string_agg(p.oid::regprocedure::text, ', '), '')
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'vgm'
 WHERE p.prosecdef""", db=db1)
    nfuncs = q("""
SELECT count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'vgm'
 WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'""", db=db1)
    ok(definers == "", f"no vgm function is SECURITY DEFINER ({nfuncs} functions checked)", definers)

    if has_function(VALIDATE_SIG, db=db1):
        psql("""
CREATE TABLE secret AS SELECT sin(i) AS x FROM generate_series(1, 1000) i;
REVOKE ALL ON secret FROM PUBLIC;
""", db=db1)
        r = psql("SELECT * FROM vgm_validate(vgm_fit(ARRAY[1, 2, 3, 10]::float8[], max_components => 2), "
                 "'secret', 'x')", db=db1, user=owner, check=False)
        code, msg = sql_error(r.stderr)
        ok(code == "42501" and msg == "permission denied for table secret",
           "vgm_validate on a table the caller cannot SELECT is a permission error", f"{code}: {msg}")
        r = psql("SELECT count(*) FROM vgm_validate(vgm_fit(ARRAY[1, 2, 3, 10]::float8[], max_components => 2), "
                 "'secret', 'x')", db=db1, check=False)
        ok(r.returncode == 0, "... while its owner can validate it", r.stderr)
    else:
        skip("vgm_validate on a table the caller cannot SELECT is a permission error",
             "vgm_validate not installed")
        skip("... while its owner can validate it", "vgm_validate not installed")

    test_safe_install(owner, db2)

    for d in (db1, db2):
        q(f"DROP DATABASE IF EXISTS {d} WITH (FORCE)")
    for role in (owner, other, "admin_role"):
        q(f"DROP ROLE IF EXISTS {role}")


def test_safe_install(owner, db):
    """The README's safe installation, run as written, in a database owned by
    an untrusted role: the owner cannot plant objects in the extension's
    schema, and can still use the extension."""
    recipe = readme_sql_block("CREATE EXTENSION vgm SCHEMA vgm")
    if recipe is None:
        ok(False, "the README shows a safe installation in a schema of its own")
        return
    q(f"ALTER DATABASE {db} OWNER TO {owner}")
    q("DROP ROLE IF EXISTS admin_role")
    q("CREATE ROLE admin_role NOLOGIN")
    r = psql(recipe, db=db, check=False)
    ok(r.returncode == 0, "the README's safe installation runs as written", r.stderr)
    r = psql("CREATE FUNCTION vgm.vgm_moments(int) RETURNS int LANGUAGE sql AS 'SELECT 1'",
             db=db, user=owner, check=False)
    code, msg = sql_error(r.stderr)
    ok(code == "42501" and msg == "permission denied for schema vgm",
       "... the database owner cannot create objects in the extension's schema", f"{code}: {msg}")
    r = psql("SELECT vgm.vgm_n_components(vgm.vgm_fit(ARRAY[1, 2, 3, 10, 11, 12]::float8[], "
             "max_components => 2))", db=db, user=owner, check=False)
    ok(r.returncode == 0 and r.stdout.strip() == "2", "... and can use the extension", r.stderr)


# ------------------------------------------------------------------- main ----

def cleanup():
    for d in ("vgm_rel_src", "vgm_rel_dst", "vgm_rel_priv", "vgm_rel_priv2"):
        psql(f"DROP DATABASE IF EXISTS {d} WITH (FORCE)", check=False)
    for role in ("vgm_rel_owner", "vgm_rel_other"):
        psql(f"DROP ROLE IF EXISTS {role}", check=False)
    psql(f"SET client_min_messages = warning; DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; "
         f"DROP TABLE IF EXISTS {SCHEMA}_restart", check=False)


def main():
    t0 = time.monotonic()
    only = sys.argv[1:]         # e.g. cancel memory durability privileges
    try:
        setup()
        note(f"setup: {time.monotonic() - t0:.1f} s")
        for name, fn in [("cancel", test_cancel), ("memory", test_memory),
                         ("durability", test_dump_restore), ("restart", test_restart),
                         ("privileges", test_privileges)]:
            if only and name not in only:
                continue
            t = time.monotonic()
            try:
                fn()
            except Exception as e:  # report and go on with the next group
                ok(False, f"{name} tests ran to the end", repr(e))
            note(f"{name}: {time.monotonic() - t:.1f} s")
    finally:
        cleanup()
    note(f"total {time.monotonic() - t0:.1f} s")
    return done()


if __name__ == "__main__":
    sys.exit(main())
