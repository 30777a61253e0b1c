#!/usr/bin/python3
"""Run test/citus/run.sh (vgm on a three-node Citus cluster on loopback) and
pass its TAP through.  Where Citus is not installed for PG_CONFIG the script
prints "1..0 # SKIP citus not installed": no tests, no failure."""
import sys

from test_multinode import run_script

if __name__ == "__main__":
    sys.exit(run_script("citus/run.sh"))
