#!/usr/bin/python3
"""The default thresholds of vgm_validate / vgm_assert_valid, measured.

For every column: `vgm_fit(x)` with its defaults on the whole column, then
`vgm_validate(model, table, 'x')` with its DEFAULT thresholds on

  correct   the column itself                                  -> must pass
  shift     x + 0.5 * stddev(x)                                -> must fail
  scale     mean + 1.5 * (x - mean): spread 1.5x, same mean     -> must fail
  times1.5  1.5 * x (an amount 50 % higher)                    -> must fail
  wrong     the same column against the model of another one   -> must fail
  holdout   model fitted on the even rows, checked on the odd  (information:
            a fresh sample of the same data, with sampling noise)

and prints each statistic of the report per case, then the pass/fail matrix
(which checks failed).  The columns are every modelled column of the real
data (../shared/data beside the repository, see its README.md; override:
VGM_DATA_DIR) and generated realistic columns with fixed seeds: heaped money
amounts with point masses at 9.99 and 100.00, heavy-tailed claims
(log-normal, Pareto, a log-normal body with a Pareto tail), round loan sizes
and integer ages.  A "stress" group of heavier tails (log-normal sigma 2 and
2.5, Pareto alpha 1.1), where a 10-component mixture does not describe the
column (D >= 0.15 for vgm's fit and for scikit-learn's alike), is measured
and printed apart: its correct models are expected to fail, and do.

Without the real data folder the script says so and measures the generated
columns only.  Nothing is copied into the repository: each column goes
through a temporary CSV file and psql \\copy into schema vgm_defaults,
dropped at the end.

Exit status: 0 when every realistic column's correct model passes and every
shift / scale / times1.5 / wrong case fails, 1 otherwise.

Connection: the libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE); the
extension must be installed on that server.  Without PGHOST/PGPORT the
script starts a private server with test/lib/benchserver.sh (PG_CONFIG picks
the PostgreSQL installation) and stops it at the end.

Usage:
  /usr/bin/python3 test/bench/validation_defaults.py [--markdown FILE] [--rows N]
"""
import argparse
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError as e:  # pragma: no cover - environment problem
    sys.exit(f"validation_defaults: needs numpy ({e}); run it with /usr/bin/python3")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vgmtest import DATA_DIR, REPO, psql as run_script, read_column, write_report  # noqa: E402

SCHEMA = "vgm_defaults"

# (table name, file, column) of every modelled column of the real data
REAL = ([("limit_bal", "UCI_Credit_Card.csv", "LIMIT_BAL")]
        + [(f"bill_amt{i}", "UCI_Credit_Card.csv", f"BILL_AMT{i}") for i in range(1, 7)]
        + [(f"pay_amt{i}", "UCI_Credit_Card.csv", f"PAY_AMT{i}") for i in range(1, 7)]
        + [("age", "ctgan_adult.csv", "age"), ("fnlwgt", "ctgan_adult.csv", "fnlwgt"),
           ("capital_gain", "ctgan_adult.csv", "capital-gain"),
           ("capital_loss", "ctgan_adult.csv", "capital-loss"),
           ("hours_per_week", "ctgan_adult.csv", "hours-per-week"),
           ("eruptions", "faithful.csv", "eruptions"), ("waiting", "faithful.csv", "waiting"),
           ("velocity", "galaxies.csv", "velocity")])

# The model a column is checked against in the "wrong" case: another column
# of the same table where one exists (a column mix-up in an ETL script),
# never one of the same kind (BILL_AMT2 against BILL_AMT1's model passes,
# rightly: one month later, the same distribution).
WRONG = {"limit_bal": "bill_amt1", "age": "hours_per_week", "hours_per_week": "age",
         "fnlwgt": "limit_bal", "capital_gain": "capital_loss", "capital_loss": "capital_gain",
         "eruptions": "waiting", "waiting": "eruptions", "velocity": "fnlwgt",
         "money": "claims_lognormal", "claims_lognormal": "claims_pareto",
         "claims_pareto": "claims_lognormal", "claims_mixed": "claims_lognormal",
         "loans": "claims_lognormal", "ages": "loans",
         "stress_lognormal2": "stress_pareto1_1", "stress_lognormal2_5": "stress_lognormal2",
         "stress_pareto1_1": "stress_lognormal2"}
for _i in range(1, 7):
    WRONG[f"bill_amt{_i}"] = f"pay_amt{_i}"
    WRONG[f"pay_amt{_i}"] = f"bill_amt{_i}"

CASES = ["correct", "shift", "scale", "times1.5", "wrong", "holdout"]
MUST_FAIL = ["shift", "scale", "times1.5", "wrong"]
CHECKS = ["rows", "ks_statistic", "ks_pvalue", "mean_shift", "stddev_ratio", "skewness_diff",
          "kurtosis_diff", "outside_share", "clipped_share", "nonfinite_share", "atom_share",
          "ks_excess", "trimmed_stddev_ratio"]


def generated(n):
    """Realistic generated columns (fixed seeds) and the stress group."""
    rng = np.random.default_rng(20240613)
    cols = {}
    kind = rng.choice(4, size=n, p=[0.12, 0.06, 0.50, 0.32])
    x = np.empty(n)
    x[kind == 0] = 9.99
    x[kind == 1] = 100.00
    x[kind == 2] = rng.lognormal(3.0, 0.8, (kind == 2).sum())
    x[kind == 3] = rng.lognormal(5.0, 0.7, (kind == 3).sum())
    cols["money"] = np.round(x, 2)
    cols["claims_lognormal"] = np.round(rng.lognormal(7.0, 1.2, n), 2)
    cols["claims_pareto"] = np.round(500.0 * (1.0 + rng.pareto(1.8, n)), 2)
    body = rng.random(n) < 0.9
    cols["claims_mixed"] = np.round(np.where(body, rng.lognormal(7.5, 1.0, n),
                                             20000.0 * (1.0 + rng.pareto(1.5, n))), 2)
    cols["loans"] = np.round(rng.lognormal(np.log(15000.0), 0.6, n) / 1000.0) * 1000.0
    cols["ages"] = np.clip(np.floor(rng.gamma(9.0, 4.5, n) + 18.0), 18, 95)
    stress = {"stress_lognormal2": np.round(rng.lognormal(7.0, 2.0, n), 2),
              "stress_lognormal2_5": np.round(rng.lognormal(7.0, 2.5, n), 2),
              "stress_pareto1_1": np.round(1000.0 * (1.0 + rng.pareto(1.1, n)), 2)}
    return cols, stress


def psql(script):
    """A psql script's output, fields separated by tabs."""
    return run_script(script, sep="\t")


def load(name, x):
    fd, path = tempfile.mkstemp(suffix=".csv")
    try:
        with os.fdopen(fd, "w") as f:
            # i is a fixed random permutation, so that the even rows are a
            # random half (faithful.csv alternates short and long eruptions)
            order = np.random.default_rng(7).permutation(len(x))
            for i, v in zip(order, x):
                f.write(f"{i}\t{v!r}\n")
        os.chmod(path, 0o644)
        psql(f"DROP TABLE IF EXISTS {SCHEMA}.{name} CASCADE;\n"
             f"CREATE TABLE {SCHEMA}.{name} (i bigint, x float8);\n"
             f"\\copy {SCHEMA}.{name} FROM '{path}'\n"
             f"INSERT INTO {SCHEMA}.models SELECT '{name}', vgm_fit(x) FROM {SCHEMA}.{name};\n"
             f"INSERT INTO {SCHEMA}.models SELECT '{name}/even', vgm_fit(x) FROM {SCHEMA}.{name} WHERE i % 2 = 0;\n")
    finally:
        os.unlink(path)


# the defaults before effect sizes: p-value and plain standard deviation checked
OLD_DEFAULTS = (", ks_pvalue_min => 0.001, std_tol => 0.1, clipped_max => 0.01,"
                " ks_excess_max => NULL, trimmed_std_tol => NULL")


def report(model, view_sql, options=""):
    """vgm_validate (defaults unless options) on a view; {check: (statistic, threshold, passed)}."""
    out = psql(f"CREATE OR REPLACE VIEW {SCHEMA}.v AS {view_sql};\n"
               f"SELECT \"check\", statistic, threshold, passed FROM vgm_validate("
               f"(SELECT m FROM {SCHEMA}.models WHERE name = '{model}'), '{SCHEMA}.v', 'x'{options});\n"
               f"DROP VIEW {SCHEMA}.v;\n")
    rep = {}
    for line in out.splitlines():
        c, s, t, p = line.split("\t")
        rep[c] = (float(s) if s else None, float(t) if t else None, None if p == "" else p == "t")
    return rep


def measure(name, partner):
    mean, sd = map(float, psql(f"SELECT avg(x), stddev(x) FROM {SCHEMA}.{name}").split())
    t = f"{SCHEMA}.{name}"
    views = {"correct": (name, f"SELECT x FROM {t}"),
             "shift": (name, f"SELECT x + {0.5 * sd!r}::float8 AS x FROM {t}"),
             "scale": (name, f"SELECT {mean!r}::float8 + 1.5 * (x - {mean!r}::float8) AS x FROM {t}"),
             "times1.5": (name, f"SELECT 1.5 * x AS x FROM {t}"),
             "wrong": (partner, f"SELECT x FROM {t}") if partner else None,
             "holdout": (f"{name}/even", f"SELECT x FROM {t} WHERE i % 2 = 1")}
    res = {case: report(*v) for case, v in views.items() if v}
    # the correct model under the previous defaults, for comparison
    res["old_defaults"] = report(name, f"SELECT x FROM {t}", OLD_DEFAULTS)
    return res


def fmt(v, digits=4):
    if v is None:
        return "-"
    if v != 0 and (abs(v) >= 1000 or abs(v) < 10 ** -digits):
        return f"{v:.2g}"
    return f"{v:.{digits}f}"


def failed(rep):
    return [c for c in CHECKS if rep[c][2] is False]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--markdown", help="also write the tables to this file (markdown)")
    ap.add_argument("--rows", type=int, default=50000, help="rows of each generated column")
    args = ap.parse_args()

    cols = {}
    have_real = os.path.isdir(DATA_DIR)
    if have_real:
        for name, f, c in REAL:
            cols[name] = read_column(os.path.join(DATA_DIR, f), c)
    else:
        print(f"# real data folder {os.path.abspath(DATA_DIR)} is ABSENT: measuring the generated "
              "columns only (set VGM_DATA_DIR to point at it)")
    gen, stress = generated(args.rows)
    cols.update(gen)
    cols.update(stress)

    psql(f"CREATE EXTENSION IF NOT EXISTS vgm;\nDROP SCHEMA IF EXISTS {SCHEMA} CASCADE;\n"
         f"CREATE SCHEMA {SCHEMA};\nCREATE TABLE {SCHEMA}.models (name text PRIMARY KEY, m vgm_model);\n")
    results = {}
    try:
        for name, x in cols.items():
            load(name, x)
        for name in cols:
            partner = WRONG.get(name)
            results[name] = measure(name, partner if partner in cols else None)
            print(f"# measured {name} ({len(cols[name])} rows)", file=sys.stderr, flush=True)
    finally:
        psql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE;\n")

    lines = []
    emit = lines.append
    emit("Statistics of the report (defaults) per column and case; thr = the effective threshold "
         "(tolerance + sampling allowance for n rows).")
    emit("")
    emit("| column | rows | case | ks_statistic | atom_share | ks_excess | thr | ks_pvalue | mean_shift "
         "| stddev_ratio | trimmed_sd_ratio | thr | outside | clipped | failed checks |")
    emit("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, res in results.items():
        for case in CASES:
            if case not in res:
                continue
            r = res[case]
            emit(f"| {name} | {int(r['rows'][0])} | {case} | {fmt(r['ks_statistic'][0])} "
                 f"| {fmt(r['atom_share'][0])} | {fmt(r['ks_excess'][0])} | {fmt(r['ks_excess'][1])} "
                 f"| {fmt(r['ks_pvalue'][0], 3)} | {fmt(r['mean_shift'][0])} | {fmt(r['stddev_ratio'][0])} "
                 f"| {fmt(r['trimmed_stddev_ratio'][0])} | {fmt(r['trimmed_stddev_ratio'][1])} "
                 f"| {fmt(r['outside_share'][0])} | {fmt(r['clipped_share'][0])} "
                 f"| {', '.join(failed(r)) or 'none'} |")
    emit("")
    emit("Pass/fail matrix with the default thresholds (pass = no check failed; otherwise the failed checks).")
    emit("")
    emit("| column | " + " | ".join(CASES) + " |")
    emit("|---|" + "---|" * len(CASES))
    for name, res in results.items():
        cells = []
        for case in CASES:
            if case not in res:
                cells.append("n/a")
                continue
            f = failed(res[case])
            cells.append("pass" if not f else "FAIL: " + ", ".join(f))
        emit(f"| {name} | " + " | ".join(cells) + " |")
    emit("")

    realistic = [n for n in results if not n.startswith("stress_")]
    bad = []
    summary = []
    ok_correct = [n for n in realistic if not failed(results[n]["correct"])]
    summary.append(f"correct model passes: {len(ok_correct)} of {len(realistic)} realistic columns"
                   + ("" if have_real else " (generated only: real data absent)"))
    bad += [f"{n}: correct model fails {failed(results[n]['correct'])}" for n in realistic
            if n not in ok_correct]
    for case in MUST_FAIL:
        cols_case = [n for n in realistic if case in results[n]]
        caught = [n for n in cols_case if failed(results[n][case])]
        summary.append(f"{case}: fails on {len(caught)} of {len(cols_case)}")
        bad += [f"{n}: {case} passes" for n in cols_case if n not in caught]
    hold = [n for n in realistic if not failed(results[n]["holdout"])]
    summary.append(f"holdout (information): passes on {len(hold)} of {len(realistic)}")
    stress_names = [n for n in results if n.startswith("stress_")]
    summary.append("stress group, correct model (information): "
                   + ", ".join(f"{n} {'pass' if not failed(results[n]['correct']) else 'FAIL: ' + ', '.join(failed(results[n]['correct']))}"
                               for n in stress_names))
    # for each gated statistic: the largest value of a correct model, the
    # default threshold at the column's size, and the smallest value of each
    # case that must fail (which need not fail on every check)
    emit("Where the defaults sit: per gated check, the largest statistic of a correct model "
         "(realistic columns), its threshold there, and the smallest statistic of each case that must fail.")
    emit("")
    emit("| check | correct: max (column) | threshold there | " + " | ".join(f"{c}: min (column)" for c in MUST_FAIL) + " |")
    emit("|---|---|---:|" + "---|" * len(MUST_FAIL))
    for chk in ["ks_excess", "trimmed_stddev_ratio", "mean_shift", "outside_share", "clipped_share"]:
        top = max(realistic, key=lambda n: results[n]["correct"][chk][0])
        cells = []
        for case in MUST_FAIL:
            cols_case = [n for n in realistic if case in results[n]]
            low = min(cols_case, key=lambda n: results[n][case][chk][0])
            cells.append(f"{fmt(results[low][case][chk][0])} ({low})")
        emit(f"| {chk} | {fmt(results[top]['correct'][chk][0])} ({top}) "
             f"| {fmt(results[top]['correct'][chk][1])} | " + " | ".join(cells) + " |")
    emit("")
    old_ok = [n for n in realistic if not failed(results[n]["old_defaults"])]
    old_fail = {}
    for n in realistic:
        for c in failed(results[n]["old_defaults"]):
            old_fail[c] = old_fail.get(c, 0) + 1
    summary.append(f"previous defaults (ks_pvalue_min 0.001, std_tol 0.1, clipped_max 0.01), correct model: "
                   f"passes on {len(old_ok)} of {len(realistic)} ("
                   + ", ".join(f"{c} fails on {k}" for c, k in old_fail.items()) + ")")
    emit("Summary:")
    emit("")
    for s in summary:
        emit(f"* {s}")
    text = "\n".join(lines)
    print(text)
    write_report(args.markdown, [text])
    if bad:
        print("\nNOT AS REQUIRED:\n  " + "\n  ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    if not (os.environ.get("PGHOST") or os.environ.get("PGPORT")) and os.environ.get("VGM_DEFAULTS_CHILD") != "1":
        # no server named: run under a private one (test/lib/benchserver.sh), stopped at exit
        lib = os.path.join(REPO, "test", "lib", "benchserver.sh")
        env = dict(os.environ, VGM_DEFAULTS_CHILD="1")
        script = f'. "{lib}"; benchserver_start; "{sys.executable}" "$0" "$@"'
        sys.exit(subprocess.run(["bash", "-c", script, os.path.abspath(__file__)] + sys.argv[1:],
                                env=env).returncode)
    sys.exit(main())
