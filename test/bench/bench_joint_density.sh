#!/usr/bin/env bash
#
# bench_joint_density.sh - per-row cost of the joint model's row functions
# (src/joint_functions.c) at d = 4 against sum(a + b + c + d) over the same
# rows, in one run.
#
# Usage: test/bench/bench_joint_density.sh [ROWS]        (default 10000000)
#
# Connection and timing as in bench_transforms.sh (test/lib/benchserver.sh:
# a private server unless PGHOST/PGPORT are set; serial plans; the fastest
# of BENCH_REPS rounds, round robin; CPU time of the backend from
# /proc/self/schedstat when readable, else wall time).
#
# Data: vgm_bench.joint_ROWS (id, a, b, c, d, x float8[] = ARRAY[a, b, c, d]),
# ROWS rows from a mixture of three correlated normals (random() after
# setseed, so every run builds the same table; kept between runs).
# Model: a 10-component joint model (the scikit-learn default number of
# components; the cost per row grows with k) written with
# vgm_joint_model_from_mixture, passed as a literal (a Const: the cache's
# pointer fast path), as a scalar subquery and through a join.
#
# The lines:
#   sum(a + b + c + d)                     the floor the issue names
#   sum((ARRAY[a, b, c, d])[1])            building the row array alone
#   sum(vgm_log_density(m, ARRAY[...]))    the anomaly score, row built per row
#   sum(vgm_log_density(m, x))             the same from a stored float8[]
#   vgm_score / vgm_predict                the variational E-step
#   vgm_predict_proba(...)[1]              an array result per row
#   subquery / join forms of vgm_log_density
#
# Environment: BENCH_REPS (default 3), BENCH_JIT (default off),
# BENCH_PRIVATE=1 (private server even when PGHOST/PGPORT are set).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/benchserver.sh
. "$REPO_ROOT/test/lib/benchserver.sh"
REPS=${BENCH_REPS:-3}
bench_joint_start "${1:-10000000}"

# ten components along the data's three groups, each with its own correlated covariance
"${PSQL[@]}" <<-EOF
	DROP TABLE IF EXISTS vgm_bench.joint_model;
	CREATE TABLE vgm_bench.joint_model AS
	SELECT vgm_joint_model_from_mixture(
	    (SELECT array_agg(0.1::float8) FROM generate_series(1, 10)),
	    (SELECT array_agg(ARRAY[3 * (j % 3), -(j % 3), 10 + 0.1 * j, 100 * (j % 3) + j]::float8[] ORDER BY j)
	       FROM generate_series(0, 9) j),
	    (SELECT array_agg(ARRAY[[1 + 0.1 * j, 0.5, 0.2, 0], [0.5, 1.25, 0, 0.3], [0.2, 0, 4 + j, 0.1],
	                            [0, 0.3, 0.1, 26]]::float8[] ORDER BY j)
	       FROM generate_series(0, 9) j)) AS m;
	ALTER TABLE vgm_bench.joint_model SET (parallel_workers = 0);
	ANALYZE vgm_bench.joint_model;
EOF

# the timed queries, one a line: name<TAB>SQL (%M: the model; see bench_queries_sql)
QUERIES=$(cat <<-EOF
	sum(a + b + c + d)	SELECT sum(a + b + c + d) FROM $TABLE
	sum((ARRAY[a, b, c, d])[1])	SELECT sum((ARRAY[a, b, c, d])[1]) FROM $TABLE
	sum(vgm_log_density(m, ARRAY[a, b, c, d]))	SELECT sum(vgm_log_density(%M, ARRAY[a, b, c, d])) FROM $TABLE
	sum(vgm_log_density(m, x)), x stored float8[]	SELECT sum(vgm_log_density(%M, x)) FROM $TABLE
	sum(vgm_score(m, ARRAY[a, b, c, d]))	SELECT sum(vgm_score(%M, ARRAY[a, b, c, d])) FROM $TABLE
	sum(vgm_predict(m, ARRAY[a, b, c, d]))	SELECT sum(vgm_predict(%M, ARRAY[a, b, c, d])) FROM $TABLE
	sum(vgm_predict_proba(m, ARRAY[a, b, c, d])[1])	SELECT sum((vgm_predict_proba(%M, ARRAY[a, b, c, d]))[1]) FROM $TABLE
	vgm_log_density, model from a subquery	SELECT sum(vgm_log_density((SELECT m FROM vgm_bench.joint_model), ARRAY[a, b, c, d])) FROM $TABLE
	vgm_log_density, model through a join	SELECT sum(vgm_log_density(m, ARRAY[a, b, c, d])) FROM $TABLE, vgm_bench.joint_model
EOF
)
"${PSQL[@]}" -F $'\t' <<-EOF | bench_ratio_report "query ($ROWS rows, d = 4, k = 10)"
	$(bench_queries_sql vgm_bench.joint_model vgm_joint_model <<<"$QUERIES")

	$(bench_timing_sql)
	SELECT count(*), sum(vgm_log_density(:'model_text'::vgm_joint_model, x)) FROM $TABLE \g /dev/null
	SELECT name, wall_ms, cpu_ms FROM pg_temp.best_ms($REPS);
EOF
