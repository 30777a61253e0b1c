#!/usr/bin/python3
"""Whole-table functions against the per-column calls they replace.

On a generated table of --columns float8 columns (default 20) and --rows rows
(default 2,000,000), each column a different three-mode mixture (setseed, kept
in schema vgm_bench for the next run), in one session, serial plans, jit off:

1. fit: vgm_fit_table(t, columns => the mixture columns) (one scan, one vgm_summarize per column, then one
   vgm_fit per summary) against SELECT vgm_fit(c) FROM t for every column in
   turn (one scan each), and against one plain scan SELECT sum(c1) FROM t.
   Target: fit_table <= the sum of the single-column fits + one scan.
2. encode: SELECT count(*) FROM vgm_encode_table(t, models), and the
   statement vgm_encode_query returns run on its own, against the sum of
   SELECT sum(cardinality(vgm_encode(m, c))) FROM t over the columns (the
   model a literal, as the whole-table functions pass it).  Target <= 1.5x.
3. validate: vgm_validate_table(t, models) (one scan) against the sum of
   vgm_validate(m, t, c) over the columns.

Every query runs --reps times (round robin); the fastest run of each is
reported (load from other jobs only ever adds time), wall time from the
server clock and the backend's CPU time (/proc/self/schedstat) when readable.

Usage: /usr/bin/python3 test/bench/bench_tables.py [--rows N] [--columns N]
        [--reps N] [--markdown FILE]        (libpq environment names the server)
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vgmtest import ensure_table, mark_deltas, psql, usable_mark, write_report  # noqa: E402


def generate_sql(table, rows, columns):
    """Column j: modes at j, 10 j and 100 + j with spreads growing with j."""
    cols = ",\n".join(
        f"  CASE WHEN u{j % 3} < 0.5 THEN {j} + {0.5 + 0.1 * j} * z{j % 4}"
        f" WHEN u{j % 3} < 0.8 THEN {10 * j} + {1 + 0.2 * j} * z{(j + 1) % 4}"
        f" ELSE {100 + j} + {5 + j} * z{(j + 2) % 4} END AS c{j:02d}"
        for j in range(1, columns + 1))
    normals = ", ".join(f"sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z{k}" for k in range(4))
    uniforms = ", ".join(f"random() AS u{k}" for k in range(3))
    return (f"SET max_parallel_workers_per_gather = 0;\nSELECT setseed(0.42);\n"
            f"CREATE TABLE {table} WITH (autovacuum_enabled = off) AS\nSELECT id,\n{cols}\n"
            f"FROM (SELECT id, {uniforms}, {normals} FROM generate_series(1, {rows}::bigint) id) s;\n"
            f"VACUUM ANALYZE {table};\n")


def timed(setup, queries, reps):
    """The fastest (wall_ms, cpu_ms) of each query over reps round-robin runs."""
    mark = usable_mark()
    lines = list(setup)
    for _ in range(reps):
        for q in queries:
            lines += [mark, q, mark]
    deltas = mark_deltas(psql("\n".join(lines) + "\n"))
    best = {}
    for i, d in enumerate(deltas):
        q = queries[i % len(queries)]
        w, c = best.get(q, (float("inf"), None))
        best[q] = (min(w, d[0]), d[1] if c is None else (min(c, d[1]) if d[1] is not None else c))
    return best


def fmt(pair):
    w, c = pair
    return f"{w:,.0f} ms" + (f" (CPU {c:,.0f} ms)" if c is not None else "")


def total(best, queries):
    """Summed (wall_ms, cpu_ms) of the fastest runs of queries."""
    cpu = [best[q][1] for q in queries]
    return sum(best[q][0] for q in queries), (sum(cpu) if None not in cpu else None)


def against_columns(setup, whole, per_column, reps):
    """The fastest runs of the whole-table queries and the summed fastest
    runs of the per-column ones, timed round robin in one session."""
    best = timed(setup, list(whole) + list(per_column), reps)
    return [best[q] for q in whole], total(best, per_column)


def ratio(a, b):
    """a / b for wall and (when both have it) CPU time."""
    return f"wall {a[0] / b[0]:.2f}" + (f", CPU {a[1] / b[1]:.2f}" if a[1] is not None and b[1] else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2000000)
    ap.add_argument("--columns", type=int, default=20)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--markdown")
    args = ap.parse_args()
    table = f"vgm_bench.wide_{args.columns}_{args.rows}"
    cols = [f"c{j:02d}" for j in range(1, args.columns + 1)]
    if ensure_table(table, generate_sql(table, args.rows, args.columns)):
        print(f"# generated {table}", file=sys.stderr)
    serial = ["SET max_parallel_workers_per_gather = 0;", "SET jit = off;", "SET client_min_messages = warning;",
              f"SELECT count(*) FROM {table};",
              "SELECT vgm_n_components(vgm_fit(x)) FROM (VALUES (1.0::float8), (2.0), (3.0)) v(x);"]
    report = [f"# whole tables: {args.columns} float8 columns x {args.rows:,} rows, serial, jit off, "
              f"best of {args.reps}", ""]

    # 1. fit
    col_list = "ARRAY[" + ", ".join(f"'{c}'" for c in cols) + "]"
    q_table = f"SELECT count(*) FROM vgm_fit_table('{table}', columns => {col_list});"
    q_single = [f"SELECT vgm_fit({c}) IS NOT NULL FROM {table};" for c in cols]
    q_scan = f"SELECT sum(c01) FROM {table};"
    (fit_table, scan), single = against_columns(serial, [q_table, q_scan], q_single, args.reps)
    report += [f"fit: vgm_fit_table {fmt(fit_table)}; {args.columns} x SELECT vgm_fit(c) {fmt(single)}; "
               f"one scan {fmt(scan)}",
               f"     ratio fit_table / sum of single fits: {ratio(fit_table, single)}; "
               f"target <= (sum + one scan) / sum = {(single[0] + scan[0]) / single[0]:.2f}"]

    # 2. encode and 3. validate with the fitted models
    psql(f"DROP TABLE IF EXISTS vgm_bench.wide_models;\n"
         f"CREATE TABLE vgm_bench.wide_models AS SELECT * FROM vgm_fit_table('{table}', columns => {col_list});\n")
    models = dict(line.split("\t", 1) for line in psql(
        "SELECT column_name, model FROM vgm_bench.wide_models;\n", sep="\t").splitlines() if line)
    q_enc = f"SELECT count(*) FROM vgm_encode_table('{table}', 'vgm_bench.wide_models');"
    stmt = psql(f"SELECT vgm_encode_query('{table}', 'vgm_bench.wide_models');\n").strip()
    q_encq = f"SELECT count(encoded) FROM ({stmt}) AS q;"
    q_enc1 = [f"SELECT sum(cardinality(vgm_encode('{models[c]}'::vgm_model, {c}))) FROM {table};" for c in cols]
    (enc_table, enc_query), per_column = against_columns(serial, [q_enc, q_encq], q_enc1, args.reps)
    report += [f"encode: vgm_encode_table {fmt(enc_table)}; the statement of vgm_encode_query "
               f"{fmt(enc_query)}; {args.columns} x sum(vgm_encode(m, c)) {fmt(per_column)}",
               f"     ratios to the per-column sum: vgm_encode_table {ratio(enc_table, per_column)}; "
               f"vgm_encode_query {ratio(enc_query, per_column)} (target <= 1.5)"]
    q_val = f"SELECT count(*) FROM vgm_validate_table('{table}', 'vgm_bench.wide_models');"
    q_val1 = [f"SELECT count(*) FROM vgm_validate('{models[c]}'::vgm_model, '{table}', '{c}');" for c in cols]
    (val_table,), per_column = against_columns(serial, [q_val], q_val1, args.reps)
    report += [f"validate: vgm_validate_table {fmt(val_table)}; {args.columns} x vgm_validate {fmt(per_column)}",
               f"     ratio: {ratio(val_table, per_column)}"]
    print("\n".join(report))
    write_report(args.markdown, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
