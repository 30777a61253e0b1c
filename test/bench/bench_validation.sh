#!/usr/bin/env bash
#
# bench_validation.sh - per-row cost of the validation aggregates
# (src/validate_*.c) against SELECT sum(x) on the same table, in the same run.
#
# Usage: test/bench/bench_validation.sh [ROWS]        (default 10000000)
#
# Connection: when PGHOST or PGPORT is set, the server they name is used
# (database PGDATABASE, default postgres; CREATE EXTENSION vgm is run if
# needed and the table is kept in schema vgm_bench for the next run).
# Otherwise a private server is started with test/lib/pgserver.sh in a
# temporary directory (the extension must be installed: make install) and
# removed afterwards.
#
# Environment:
#   BENCH_REPS=5      rounds; each round runs every query once, in order, and
#                     the fastest time of each query is reported (rounds
#                     interleave the queries, so a noisy neighbour slows all
#                     of them alike instead of one).  Both the wall clock and
#                     the backend's CPU time are reported (reading
#                     /proc/self/stat needs a superuser session).
#   BENCH_JIT=off     jit setting of the session
#   BENCH_PRIVATE=1   start a private server even when PGHOST/PGPORT are set
#
# What is timed: one aggregate query per line, serial plan (no parallel
# workers), table in the buffer cache after a warm-up scan,
# clock_timestamp() deltas inside the server.  The model is a 10-component
# fit (the default max_components) of a 3-mode mixture, passed as a literal
# (a Const: the per-call-site cache's pointer fast path) unless the line
# says "(model from a subquery)" (an initplan parameter, compared byte for
# byte on every row).
#
# Targets (serial, 10M rows): vgm_moments(x) <= 1.5x and vgm_ks(model, x)
# <= 3x of sum(x).

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/benchserver.sh
. "$REPO_ROOT/test/lib/benchserver.sh"
REPS=${BENCH_REPS:-5}
bench_per_row_setup "${1:-10000000}" vgm_bench.val vgm_bench.val_model

# Every query REPS times, round robin; prints name, best wall ms, best CPU
# ms of the backend (utime + stime from /proc/self/stat, so that a busy
# machine, where a backend may get a fraction of a core, does not skew the
# comparison), ns/row and the ratio to the first query, both clocks.
TICK_MS=$(awk -v t="$(getconf CLK_TCK)" 'BEGIN { print 1000 / t }')
# the timed queries, one a line: name<TAB>SQL (%M: the model; see bench_queries_sql)
QUERIES=$(cat <<-EOF
	sum(x)	SELECT sum(x) FROM $TABLE
	vgm_moments(x)	SELECT vgm_moments(x) FROM $TABLE
	vgm_ks(m, x)	SELECT vgm_ks(%M, x) FROM $TABLE
	vgm_ks(m, x) (model from a subquery)	SELECT vgm_ks((SELECT m FROM vgm_bench.val_model), x) FROM $TABLE
	vgm_ks_state(m, x)	SELECT vgm_ks_state(%M, x) IS NULL FROM $TABLE
	vgm_bounds(m, x)	SELECT vgm_bounds(%M, x) FROM $TABLE
	vgm_ks + vgm_bounds + vgm_moments (one scan)	SELECT vgm_ks(%M, x), vgm_bounds(%M, x), vgm_moments(x) FROM $TABLE
	vgm_validate(m, tbl, col)	SELECT count(*) FROM vgm_validate(%M, '$TABLE', 'x')
EOF
)
"${PSQL[@]}" -F $'\t' <<-EOF | awk -F '\t' -v rows="$ROWS" '
	BEGIN { printf "%-46s %9s %7s %9s %7s %8s\n", "query (" rows " rows, serial)", "wall ms", "ratio", "cpu ms", "ratio", "cpu ns/row" }
	{ if (NR == 1) { bw = $2; bc = $3 }
	  printf "%-46s %9.0f %6.2fx %9.0f %6.2fx %8.1f\n", $1, $2, $2 / bw, $3, $3 / bc, $3 * 1e6 / rows }'
	$(bench_queries_sql vgm_bench.val_model vgm_model <<<"$QUERIES")
	SET client_min_messages = warning;
	ALTER TABLE bench_queries ADD wall float8 DEFAULT 'Infinity', ADD cpu float8 DEFAULT 'Infinity';

	-- CPU time of this backend in ms (fields 14 and 15 of /proc/self/stat)
	CREATE FUNCTION pg_temp.cpu_ms() RETURNS float8 LANGUAGE sql AS \$\$
	    SELECT (split_part(f, ' ', 12)::bigint + split_part(f, ' ', 13)::bigint) * $TICK_MS::float8
	    FROM (SELECT substring(pg_read_file('/proc/self/stat') FROM '\) (.*)\$') AS f) s
	\$\$;
	CREATE FUNCTION pg_temp.run(q text, OUT wall float8, OUT cpu float8) LANGUAGE plpgsql AS \$\$
	DECLARE
	    t0 timestamptz := clock_timestamp();
	    c0 float8 := pg_temp.cpu_ms();
	BEGIN
	    EXECUTE q;
	    wall := 1000 * extract(epoch FROM clock_timestamp() - t0)::float8;
	    cpu := pg_temp.cpu_ms() - c0;
	END \$\$;
	-- warm-up: the table into the cache, the library loaded
	SELECT pg_temp.run('SELECT count(*), vgm_ks(' || quote_literal(:'model_text') || '::vgm_model, x) FROM $TABLE') \g /dev/null
	DO \$\$
	DECLARE
	    q record;
	    t record;
	BEGIN
	    FOR r IN 1 .. $REPS LOOP
	        FOR q IN SELECT n, sql FROM bench_queries ORDER BY n LOOP
	            t := pg_temp.run(q.sql);
	            UPDATE bench_queries SET wall = least(wall, t.wall), cpu = least(cpu, t.cpu) WHERE n = q.n;
	        END LOOP;
	    END LOOP;
	END \$\$;
	SELECT name, wall, cpu FROM bench_queries ORDER BY n;
EOF
echo "# KS state: $("${PSQL[@]}" -c "SELECT bytes FROM vgm_ks_info((SELECT vgm_ks_state(m, 1.0) FROM vgm_bench.val_model))") bytes, fixed"
