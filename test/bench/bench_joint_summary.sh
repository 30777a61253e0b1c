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
bench_joint_start "${1:-10000000}"

# the timed queries, one a line: name<TAB>SQL (%M: the model; see bench_queries_sql)
QUERIES=$(cat <<-EOF
	sum(a + b + c + d)	SELECT sum(a + b + c + d) FROM $TABLE
	sum((ARRAY[a, b, c, d])[1])	SELECT sum((ARRAY[a, b, c, d])[1]) FROM $TABLE
	vgm_joint_summarize(ARRAY[a, b, c, d])	SELECT (vgm_joint_summary_info(vgm_joint_summarize(ARRAY[a, b, c, d]))).cells FROM $TABLE
	vgm_joint_summarize(x), x stored float8[]	SELECT (vgm_joint_summary_info(vgm_joint_summarize(x))).cells FROM $TABLE
EOF
)
"${PSQL[@]}" -F $'\t' <<-EOF | bench_ratio_report "query ($ROWS rows, d = 4)"
	$(bench_queries_sql <<<"$QUERIES")

	$(bench_timing_sql)
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
