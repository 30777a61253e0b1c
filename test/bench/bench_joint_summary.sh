#!/usr/bin/env bash
#
# bench_joint_summary.sh - the one-pass joint summary at d = 4 against
# sum(a + b + c + d) over the same rows, in one run, and the time of a fit
# of the summary to convergence.
#
# Usage: test/bench/bench_joint_summary.sh [ROWS]        (default 10000000)
#
# Connection and timing as in bench_joint_density.sh (test/lib/benchserver.sh:
# a private server unless PGHOST/PGPORT are set; serial plans; the fastest
# of BENCH_REPS rounds, round robin; CPU time of the backend from
# /proc/self/schedstat when readable, else wall time), on the same table
# vgm_bench.joint_ROWS (id, a, b, c, d, x float8[] = ARRAY[a, b, c, d]; a
# mixture of three correlated normals, built once).
#
# The lines:
#   sum(a + b + c + d)                         the floor the issue names
#   sum((ARRAY[a, b, c, d])[1])                building the row array alone
#   vgm_joint_summarize(ARRAY[a, b, c, d])     the summary, row built per row
#   vgm_joint_summarize(x)                     the same from a stored float8[]
# then, on the summary stored in a table: vgm_joint_fit(s) with the defaults
# (10 components, 5 starts, to convergence) and with n_init => 1, each the
# fastest of BENCH_REPS runs, with the iterations and cells.
#
# Environment: BENCH_REPS (default 3), BENCH_JIT (default off),
# BENCH_PRIVATE=1 (private server even when PGHOST/PGPORT are set).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/benchserver.sh
. "$REPO_ROOT/test/lib/benchserver.sh"
REPS=${BENCH_REPS:-3}
ROWS=${1:-10000000}
if ! [[ $ROWS =~ ^[0-9]+$ ]] || ((ROWS < 1000)); then
	echo "usage: $0 [ROWS >= 1000]" >&2
	exit 2
fi
JIT=${BENCH_JIT:-off}
TABLE=vgm_bench.joint_$ROWS
PSQL=("${BENCH_PSQL[@]}")
benchserver_start

"${PSQL[@]}" <<-EOF
	SET client_min_messages = warning;
	CREATE EXTENSION IF NOT EXISTS vgm;
	CREATE SCHEMA IF NOT EXISTS vgm_bench;
EOF
if [[ $("${PSQL[@]}" -c "SELECT to_regclass('$TABLE') IS NOT NULL") != t ]]; then
	echo "# creating $TABLE ($ROWS rows)" >&2
	"${PSQL[@]}" <<-EOF
		SET max_parallel_workers_per_gather = 0;
		SELECT setseed(0.17);
		CREATE TABLE $TABLE AS
		SELECT id, a, b, c, d, ARRAY[a, b, c, d] AS x
		FROM (SELECT id, 3 * g + z1 AS a, 0.5 * z1 + z2 - g AS b, 10 + 2 * z3 + g * z1 AS c,
		             100 * g + 5 * z4 + z2 AS d
		      FROM (SELECT id, floor(3 * random()) AS g,
		                   sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z1,
		                   sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z2,
		                   sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z3,
		                   sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z4
		            FROM generate_series(1, $ROWS::bigint) id) s) t;
		ALTER TABLE $TABLE SET (autovacuum_enabled = off);
		VACUUM ANALYZE $TABLE;
	EOF
fi

"${PSQL[@]}" -F $'\t' <<-EOF | awk -F '\t' -v rows="$ROWS" '
	BEGIN { printf "%-52s %9s %9s %8s %7s\n", "query (" rows " rows, d = 4)", "wall ms", "cpu ms", "ns/row", "ratio" }
	NR == 1 { use_cpu = ($3 != "" && $3 >= 100) }
	{ t = (use_cpu ? $3 : $2)
	  if (NR == 1) base = (t > 0 ? t : 1e-9)
	  printf "%-52s %9.1f %9s %8.1f %6.2fx\n", $1, $2, ($3 == "" ? "n/a" : sprintf("%.1f", $3)), t * 1e6 / rows, t / base }
	END { if (!use_cpu)
	        print "# ns/row and ratios from wall time (CPU time unavailable or below 100 ms)" }'
	SET max_parallel_workers_per_gather = 0;
	SET jit = $JIT;
	CREATE TEMP TABLE bench_queries (n serial, name text, sql text);
	INSERT INTO bench_queries (name, sql) VALUES
	  ('sum(a + b + c + d)', 'SELECT sum(a + b + c + d) FROM $TABLE'),
	  ('sum((ARRAY[a, b, c, d])[1])', 'SELECT sum((ARRAY[a, b, c, d])[1]) FROM $TABLE'),
	  ('vgm_joint_summarize(ARRAY[a, b, c, d])', 'SELECT (vgm_joint_summary_info(vgm_joint_summarize(ARRAY[a, b, c, d]))).cells FROM $TABLE'),
	  ('vgm_joint_summarize(x), x stored float8[]', 'SELECT (vgm_joint_summary_info(vgm_joint_summarize(x))).cells FROM $TABLE');

	CREATE FUNCTION pg_temp.cpu_ns() RETURNS float8 LANGUAGE plpgsql AS \$\$
	BEGIN
	    RETURN split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::float8;
	EXCEPTION WHEN OTHERS THEN
	    RETURN NULL;
	END \$\$;
	CREATE FUNCTION pg_temp.best_ms(reps int) RETURNS TABLE (n int, name text, wall_ms float8, cpu_ms float8)
	LANGUAGE plpgsql AS \$\$
	#variable_conflict use_column
	DECLARE
	    q record;
	    t0 timestamptz;
	    c0 float8;
	    w float8;
	    c float8;
	BEGIN
	    CREATE TEMP TABLE bench_best (n int PRIMARY KEY, wall_ms float8, cpu_ms float8);
	    FOR r IN 1 .. reps LOOP
	        FOR q IN SELECT * FROM bench_queries ORDER BY bench_queries.n LOOP
	            c0 := pg_temp.cpu_ns();
	            t0 := clock_timestamp();
	            EXECUTE q.sql;
	            w := 1000 * extract(epoch FROM clock_timestamp() - t0)::float8;
	            c := (pg_temp.cpu_ns() - c0) / 1e6;
	            INSERT INTO bench_best VALUES (q.n, w, c)
	            ON CONFLICT (n) DO UPDATE SET wall_ms = least(bench_best.wall_ms, excluded.wall_ms),
	                                          cpu_ms = least(bench_best.cpu_ms, excluded.cpu_ms);
	        END LOOP;
	    END LOOP;
	    RETURN QUERY SELECT b.n, bq.name, b.wall_ms, b.cpu_ms
	                 FROM bench_best b JOIN bench_queries bq USING (n) ORDER BY b.n;
	END \$\$;
	SELECT count(*), sum(a) FROM $TABLE \g /dev/null
	SELECT name, wall_ms, cpu_ms FROM pg_temp.best_ms($REPS);
EOF

# the fit of the stored summary, to convergence
"${PSQL[@]}" -F $'\t' <<-EOF | awk -F '\t' '{ printf "%-52s %9.1f ms  (%s iterations%s, %s cells)\n", $1, $2, $3, ($4 == "t" ? "" : ", not converged"), $5 }'
	SET max_parallel_workers_per_gather = 0;
	SET jit = $JIT;
	SET client_min_messages = warning;
	DROP TABLE IF EXISTS vgm_bench.joint_summary_$ROWS;
	CREATE TABLE vgm_bench.joint_summary_$ROWS AS SELECT vgm_joint_summarize(x) AS s FROM $TABLE;
	CREATE FUNCTION pg_temp.fit_best(label text, starts int, reps int)
	RETURNS TABLE (name text, ms float8, iterations int, converged boolean, cells int)
	LANGUAGE plpgsql AS \$\$
	DECLARE
	    t0 timestamptz;
	    w float8;
	    best float8;
	    m vgm_joint_model;
	BEGIN
	    FOR r IN 1 .. reps LOOP
	        t0 := clock_timestamp();
	        SELECT vgm_joint_fit(s, n_init => starts) INTO m FROM vgm_bench.joint_summary_$ROWS;
	        w := 1000 * extract(epoch FROM clock_timestamp() - t0)::float8;
	        best := least(coalesce(best, w), w);
	    END LOOP;
	    RETURN QUERY SELECT label, best, (vgm_diagnostics(m)).iterations, (vgm_diagnostics(m)).converged,
	                        (vgm_joint_summary_info(s)).cells FROM vgm_bench.joint_summary_$ROWS;
	END \$\$;
	SELECT * FROM pg_temp.fit_best('vgm_joint_fit(s), defaults (n_init 5)', 5, $REPS);
	SELECT * FROM pg_temp.fit_best('vgm_joint_fit(s, n_init => 1)', 1, $REPS);
EOF
