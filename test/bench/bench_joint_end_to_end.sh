#!/usr/bin/env bash
#
# bench_joint_end_to_end.sh - run bench_joint_end_to_end.py (the one-step SQL
# joint fit against scikit-learn on the same 1M rows, d = 4) on a private
# server (test/lib/benchserver.sh) unless PGHOST/PGPORT are set.
#
# Usage: test/bench/bench_joint_end_to_end.sh [--rows N] [--only generated|credit]
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/benchserver.sh
. "$REPO_ROOT/test/lib/benchserver.sh"
benchserver_start
/usr/bin/python3 "$REPO_ROOT/test/bench/bench_joint_end_to_end.py" "$@"
