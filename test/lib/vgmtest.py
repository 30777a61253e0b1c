"""vgmtest - what the Python tests, benchmarks and docs checks of vgm share.

One copy each of: the TAP printer of the tests (ok / skip / note / done), the
way to run psql (binary, options, errors), the vgm_model JSON text of a fitted
scikit-learn model, reading a column of a CSV file, and the timing marks of
the benchmarks.  The scripts import it with

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
    import vgmtest

and run with Debian's /usr/bin/python3.  Only the standard library is
imported at the top; numpy is imported where a function needs it, so the
tests that need no numpy (test_reliability.py, run_docs.py) do not either.

The server is found through the libpq environment (PGHOST, PGPORT, PGUSER,
PGDATABASE), as run_all.sh and the benchmark servers set it.
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Real data columns of the benchmarks: ../shared/data beside the repository.
DATA_DIR = os.environ.get("VGM_DATA_DIR", os.path.join(REPO, "..", "shared", "data"))
# The (file, column) pairs of DATA_DIR the fit benchmarks report on.
DATA_COLUMNS = [
    ("UCI_Credit_Card.csv", "LIMIT_BAL"),
    ("UCI_Credit_Card.csv", "BILL_AMT1"),
    ("UCI_Credit_Card.csv", "PAY_AMT1"),
    ("ctgan_adult.csv", "age"),
    ("ctgan_adult.csv", "fnlwgt"),
    ("ctgan_adult.csv", "capital-gain"),
    ("ctgan_adult.csv", "hours-per-week"),
    ("faithful.csv", "eruptions"),
    ("faithful.csv", "waiting"),
    ("galaxies.csv", "velocity"),
]


# ------------------------------------------------------------------ TAP --

class _Tap:
    """Counts of the TAP stream this process prints."""
    tests = 0
    failed = 0


def ok(cond, name, diag=None, todo=None):
    """Print one TAP line (with diagnostics on failure).  A TODO test is a
    known open bug: its failure is reported but does not count."""
    _Tap.tests += 1
    directive = f" # TODO {todo}" if todo else ""
    if cond:
        print(f"ok {_Tap.tests} - {name}{directive}")
    else:
        if not todo:
            _Tap.failed += 1
        print(f"not ok {_Tap.tests} - {name}{directive}")
        if diag:
            for line in str(diag).splitlines():
                print(f"#   {line}")
    sys.stdout.flush()
    return bool(cond)


def skip(name, why):
    """A test that cannot run here: passes with a SKIP directive."""
    _Tap.tests += 1
    print(f"ok {_Tap.tests} - {name} # SKIP {why}")
    sys.stdout.flush()


def note(text):
    """TAP comment lines."""
    for line in str(text).splitlines():
        print(f"# {line}")
    sys.stdout.flush()


def failed():
    """How many tests failed so far (TODO tests excluded)."""
    return _Tap.failed


def done():
    """Print the plan; the process exit status (1 when a test failed)."""
    print(f"1..{_Tap.tests}")
    sys.stdout.flush()
    return 1 if _Tap.failed else 0


# ----------------------------------------------------------------- psql --

def _psql_binary():
    """psql of PG_CONFIG's PostgreSQL, else the first on PATH, else Debian's."""
    candidates = []
    pg_config = os.environ.get("PG_CONFIG")
    if pg_config:
        try:
            bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                    check=True).stdout.strip()
            candidates.append(os.path.join(bindir, "psql"))
        except (OSError, subprocess.CalledProcessError):
            pass
    candidates += [shutil.which("psql") or "", "/usr/lib/postgresql/15/bin/psql"]
    for c in candidates:
        if c and os.path.exists(c):
            return c
    return "psql"


PSQL = _psql_binary()


def run_client(args, db=None, user=None, input_text=None, cwd=None, env=None, timeout=None):
    """psql -X with ARGS (and -d DB, -U USER when given); the CompletedProcess."""
    cmd = [PSQL, "-X"] + (["-d", db] if db else []) + (["-U", user] if user else []) + list(args)
    return subprocess.run(cmd, input=input_text, cwd=cwd, env=env, timeout=timeout, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def run_psql(sql, db=None, user=None, sep="|", options=(), check=True, env=None, timeout=None):
    """Run a psql script in one session: unaligned, tuples only, fields
    separated by SEP, stopping at the first error.  The CompletedProcess;
    raises RuntimeError on an error when CHECK."""
    full_env = None
    if env:
        full_env = dict(os.environ)
        full_env.update(env)
    r = run_client(["-q", "-A", "-t", "-F", sep, "-v", "ON_ERROR_STOP=1"] + list(options),
                   db=db, user=user, input_text=sql, env=full_env, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"psql failed ({r.returncode}):\n{r.stderr.strip()[-3000:]}\n"
                           f"script:\n{sql[:2000]}")
    return r


def psql(sql, **kw):
    """The output of a psql script (see run_psql)."""
    return run_psql(sql, **kw).stdout


def psql_lines(sql, **kw):
    """The non-empty output lines of a psql script (see run_psql)."""
    return [line for line in psql(sql, **kw).splitlines() if line != ""]


# ---------------------------------------------------------------- models --

def model_json(bgm, data, threshold, seed):
    """The vgm_model JSON text of a fitted scikit-learn BayesianGaussianMixture
    (one dimension, full covariance), so that the server evaluates exactly
    scikit-learn's posterior."""
    import numpy as np
    a, b = bgm.weight_concentration_
    doc = {
        "version": 1, "dims": 1, "k": int(bgm.n_components),
        "weights": [float(v) for v in bgm.weights_],
        "means": [float(v) for v in bgm.means_[:, 0]],
        "covariances": [float(v) for v in bgm.covariances_[:, 0, 0]],
        "mean_precision": [float(v) for v in bgm.mean_precision_],
        "degrees_of_freedom": [float(v) for v in bgm.degrees_of_freedom_],
        "weight_concentration_a": [float(v) for v in a],
        "weight_concentration_b": [float(v) for v in b],
        "weight_threshold": threshold,
        "priors": {
            "weight_concentration": float(bgm.weight_concentration_prior_),
            "mean_precision": float(bgm.mean_precision_prior_),
            "mean": float(bgm.mean_prior_[0]),
            "degrees_of_freedom": float(bgm.degrees_of_freedom_prior_),
            "covariance": float(bgm.covariance_prior_[0, 0]),
            "reg_covar": float(bgm.reg_covar),
        },
        "fit": {
            "max_iter": int(bgm.max_iter), "tol": float(bgm.tol), "seed": seed,
            "iterations": int(bgm.n_iter_), "converged": bool(bgm.converged_),
            "lower_bound": float(bgm.lower_bound_), "fit_ms": 0.0,
        },
        "training": {
            "rows": len(data), "total_weight": float(len(data)),
            "min": float(np.min(data)), "max": float(np.max(data)),
            "buckets": len(data), "nulls": 0, "nans": 0, "pos_infs": 0, "neg_infs": 0,
        },
    }
    return json.dumps(doc)


def readme_sql_block(marker):
    """The ```sql block of README.md that contains MARKER, verbatim (None if
    there is none)."""
    with open(os.path.join(REPO, "README.md")) as f:
        blocks = re.findall(r"```sql\n(.*?)```", f.read(), re.S)
    found = [b for b in blocks if marker in b]
    return found[0] if found else None


def read_column(path, column):
    """A numeric column of a CSV file as a numpy array (header row, quoted
    names allowed; empty cells skipped)."""
    import numpy as np
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = [h.strip().strip('"') for h in next(reader)]
        idx = header.index(column)
        return np.asarray([float(r[idx]) for r in reader if r and r[idx].strip() != ""])


# ------------------------------------------------------------ benchmarks --

# A timing mark: wall clock of the server and the backend's CPU time in ns
# (/proc/self/schedstat: time on a CPU, not waiting for one; needs a
# superuser or pg_read_server_files).  MARK_NO_CPU where it cannot be read.
MARK = ("SELECT 'M', extract(epoch FROM clock_timestamp()), "
        "split_part(pg_read_file('/proc/self/schedstat'), ' ', 1);")
MARK_NO_CPU = "SELECT 'M', extract(epoch FROM clock_timestamp()), '';"


def usable_mark():
    """MARK when this session may read its CPU time, else MARK_NO_CPU."""
    try:
        psql(MARK + "\n")
        return MARK
    except RuntimeError:
        return MARK_NO_CPU


def mark_deltas(out, sep="|"):
    """(wall_ms, cpu_ms or None) between consecutive pairs of marks in OUT."""
    marks = [line.split(sep) for line in out.splitlines() if line.startswith("M" + sep)]
    deltas = []
    for a, b in zip(marks[0::2], marks[1::2]):
        wall = (float(b[1]) - float(a[1])) * 1000.0
        cpu = (int(b[2]) - int(a[2])) / 1e6 if a[2] and b[2] else None
        deltas.append((wall, cpu))
    return deltas


def proc_status(pid, fields=None):
    """Fields of /proc/PID/status in kB (all, or those in FIELDS), or None
    when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            out = {}
            for line in f:
                k, _, v = line.partition(":")
                v = v.strip()
                if v.endswith(" kB") and (fields is None or k in fields):
                    out[k] = int(v.split()[0])
            return out
    except (OSError, ValueError):
        return None


def ensure_table(table, create_sql):
    """Run CREATE_SQL unless TABLE exists (generated tables are kept between
    runs), after creating the extension and schema vgm_bench if needed; True
    when it ran."""
    have = psql("CREATE EXTENSION IF NOT EXISTS vgm;\nCREATE SCHEMA IF NOT EXISTS vgm_bench;\n"
                f"SELECT to_regclass('{table}') IS NOT NULL;\n").strip().splitlines()[-1]
    if have == "t":
        return False
    psql(create_sql)
    return True


def load_values(table, values, after=""):
    """TABLE (x float8) holding exactly VALUES (through a temporary file and
    psql \\copy), analyzed; then the SQL AFTER in the same session, whose
    output is returned."""
    import numpy as np
    fd, path = tempfile.mkstemp(suffix=".csv")
    try:
        with os.fdopen(fd, "w") as f:
            np.savetxt(f, np.asarray(values, dtype=np.float64), fmt="%.17g")
        # readable by any user: the benchmarks may run as another user than psql
        os.chmod(path, 0o644)
        return psql("CREATE EXTENSION IF NOT EXISTS vgm;\nCREATE SCHEMA IF NOT EXISTS vgm_bench;\n"
                    f"DROP TABLE IF EXISTS {table};\nCREATE TABLE {table} (x float8);\n"
                    f"\\copy {table} FROM '{path}'\nVACUUM ANALYZE {table};\n{after}")
    finally:
        os.unlink(path)


def write_report(path, lines):
    """Write a benchmark's report lines to PATH (when given: --markdown)."""
    if path:
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
