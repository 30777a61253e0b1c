#!/usr/bin/python3
"""Run test/multinode/run.sh (vgm across three private PostgreSQL servers,
partial states moving between them as text) and pass its TAP through.

The script starts its own servers with test/lib/pgserver.sh, so the
harness's server (PGHOST/PGPORT) is not used; it needs the extension
installed for PG_CONFIG, which the harness has done by the time the Python
suite runs.  Its stderr (server start/stop messages) is kept out of the TAP
stream and shown as comments only if it fails.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 900


def run_script(relpath):
    """Run a TAP-printing bash script of the repo; return its exit status."""
    script = os.path.join(HERE, "..", relpath)
    proc = subprocess.Popen(["bash", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        # SIGTERM, not SIGKILL: the script's trap stops its servers
        proc.terminate()
        out, err = proc.communicate()
        out += "not ok - %s timed out after %d s\n" % (relpath, TIMEOUT)
    sys.stdout.write(out)
    if proc.returncode != 0:
        for line in err.splitlines()[-40:]:
            print("# " + line)
        print("# test/%s exited %d" % (relpath, proc.returncode))
    sys.stdout.flush()
    return proc.returncode


if __name__ == "__main__":
    sys.exit(run_script("multinode/run.sh"))
