#!/usr/bin/env bash
#
# bench_groupby_memory.sh - peak private memory of GROUP BY over summary
# aggregates, and the single-group speed of vgm_summarize against sum(x).
#
# Usage: test/bench/bench_groupby_memory.sh [ROWS_SCALE]
#   ROWS_SCALE  divides every row count (default 1: the full figures below)
#
# Each query runs in a fresh backend with jit off (JIT maps libLLVM, which is
# file memory, not state), reading a table of 20M rows (i int, x float8,
# x distinct per row) built once.  The peak private memory of the backend is
# VmHWM - RssFile - RssShmem from /proc/self/status (read through
# pg_read_file, so the server must be local and the user a superuser): pages
# of files and of shared buffers count in VmHWM but are not the query's.
#
# Cases (work_mem 4MB unless said; serial plans):
#   hash forced   2,000 groups x 3,000 rows, 200 groups x 100,000 rows,
#                 100,000 groups x 10 rows, 7 groups x 1,000,000 rows
#   sort forced   the same 2,000 x 3,000 (the plan results are compared)
#   default plan  500 groups x 10,000 rows (the README's per-merchant pattern)
#   parallel      200 x 100,000 with 2 workers (per-process peak of the leader)
#   speed         vgm_summarize(x) vs sum(x) over 10M rows, one group, 3 rounds
#
# Uses the server named by PGHOST/PGPORT, or starts a private one
# (test/lib/benchserver.sh).
set -euo pipefail

SCALE=${1:-1}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/benchserver.sh
. "$REPO_ROOT/test/lib/benchserver.sh"
benchserver_start

PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)
ROWS=$((20000000 / SCALE))

"${PSQL[@]}" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS vgm;
DROP TABLE IF EXISTS bench_groupby;
CREATE UNLOGGED TABLE bench_groupby AS
    SELECT i, (i * 0.7071067811865476 + 0.25)::float8 AS x FROM generate_series(1, $ROWS) i;
VACUUM ANALYZE bench_groupby;
SQL

PEAK="SELECT ((regexp_match(s, 'VmHWM:\\s+(\\d+)'))[1]::bigint
              - (regexp_match(s, 'RssFile:\\s+(\\d+)'))[1]::bigint
              - (regexp_match(s, 'RssShmem:\\s+(\\d+)'))[1]::bigint) / 1024
         FROM pg_read_file('/proc/self/status') s"

# run LABEL SETTINGS GROUPS ROWS_PER_GROUP - one case in a fresh backend
run() {
	local label=$1 settings=$2 groups=$3 per=$4 n inner out plan
	n=$((groups * per / SCALE))
	inner="SELECT i % $groups AS g, vgm_summarize(x) AS s FROM bench_groupby WHERE i <= $n GROUP BY 1"
	plan=$("${PSQL[@]}" -c "SET work_mem = '4MB'; SET max_parallel_workers_per_gather = 0; $settings
		EXPLAIN (COSTS OFF) $inner" | grep -oE '(Partial |Finalize )?(Hash|Group)Aggregate|Gather' |
		sort -u | paste -sd, -)
	out=$("${PSQL[@]}" <<SQL
SET jit = off; SET work_mem = '4MB'; SET max_parallel_workers_per_gather = 0; $settings
\\timing on
SELECT count(*), md5(string_agg(concat_ws(':', g, i.rows, i.buckets, i.relative_width, i.min, i.max),
                                ',' ORDER BY g))
  FROM ($inner) q, vgm_summary_info(q.s) i;
\\timing off
$PEAK;
SQL
	)
	printf '%-32s %-52s %s\n' "$label" "$plan" "$(echo "$out" | tr '\n' ' ')"
}

echo "# case | plan | groups|digest  time  peak private MB"
run "2,000 x 3,000, hash forced" "SET enable_sort = off;" 2000 3000
run "2,000 x 3,000, sort forced" "SET enable_hashagg = off;" 2000 3000
run "200 x 100,000, hash forced" "SET enable_sort = off;" 200 100000
run "100,000 x 10, hash forced" "SET enable_sort = off;" 100000 10
run "7 x 1,000,000, hash forced" "SET enable_sort = off;" 7 1000000
run "500 x 10,000, default plan" "" 500 10000
run "200 x 100,000, 2 workers, hash" "SET enable_sort = off; SET max_parallel_workers_per_gather = 2;
    SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;" 200 100000

echo "# single group, 10M rows (or ROWS/2): time of sum(x) and vgm_summarize(x), 3 rounds"
n=$((10000000 / SCALE))
"${PSQL[@]}" <<SQL | grep -E '^Time' | awk '{print $2}' | paste - - | awk '{printf "sum %.0f ms  vgm_summarize %.0f ms  ratio %.2f\n", $1, $2, $2 / $1}'
SET jit = off; SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE t1 AS SELECT x FROM bench_groupby WHERE i <= $n;
SELECT sum(x) FROM t1;
\\timing on
SELECT sum(x) FROM t1;
SELECT (vgm_summary_info(vgm_summarize(x))).buckets FROM t1;
SELECT sum(x) FROM t1;
SELECT (vgm_summary_info(vgm_summarize(x))).buckets FROM t1;
SELECT sum(x) FROM t1;
SELECT (vgm_summary_info(vgm_summarize(x))).buckets FROM t1;
SQL
"${PSQL[@]}" -c "DROP TABLE bench_groupby"
