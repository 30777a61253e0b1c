#!/usr/bin/env bash
#
# bench_transforms.sh - per-row cost of the row-by-row transforms
# (src/normalize.c) against the cheapest comparable SQL, sum(x * 2 + 1).
#
# Usage: test/bench/bench_transforms.sh [ROWS]        (default 10000000)
#
# Connection: when PGHOST or PGPORT is set, the server they name is used
# (database PGDATABASE, default postgres; CREATE EXTENSION vgm is run if
# needed and the table is kept in schema vgm_bench for the next run).
# Otherwise a private server is started with test/lib/pgserver.sh in a
# temporary directory (the extension must be installed: make install) and
# removed afterwards.
#
# Environment:
#   BENCH_REPS=3      rounds over all queries; the fastest run of each is reported
#   BENCH_JIT=off     jit setting of the session (off: the per-row cost of
#                     the function calls themselves; on: PostgreSQL's default)
#   BENCH_PRIVATE=1   start a private server even when PGHOST/PGPORT are set
#   BENCH_ONLY=forms  only the baseline and the "forms" lines
#
# What is timed: one aggregate query per line, serial plan (no parallel
# workers), after a warm-up scan, inside the server (no client round trip per
# row; planning included but negligible): wall time by clock_timestamp()
# deltas, and the backend's CPU time from /proc/self/schedstat (Linux, needs
# a superuser or pg_read_server_files).  ns/row and the ratios use CPU time
# when it is available and the baseline takes at least 100 ms of it (CPU time
# is counted in scheduler ticks): on a loaded machine wall time mostly
# measures the wait for a CPU.
#
# The model is a 10-component fit of a 3-mode mixture.  It is passed as a
# literal (a Const: the cache's pointer fast path) on the first lines; the
# "forms" lines pass the same model as a user would keep it:
#   subquery   vgm_alpha((SELECT m FROM model), x): an initplan parameter
#   join       FROM t, model: a column of the one-row model table as
#              CREATE TABLE AS leaves it, never analyzed (autovacuum does
#              not analyze a table of fewer than 50 rows), so the planner
#              assumes 1,360 rows, puts the big table outside and rescans a
#              Materialize of the model once per row
#   join analyzed  the same with an ANALYZEd copy of the model table: the
#              one-row table outside, the big table scanned once inside
#   CTE        WITH mm AS MATERIALIZED (SELECT m FROM model): a CTE scan
#   keyed      FROM t JOIN models USING (g): one of 4 models (same size,
#              different contents) per row, looked up by the row's group
# and each form is timed against its own floor (sum(x * 2 + 1) over the
# same FROM clause) as well as against the plain one.  "floor + count(m)"
# also carries the model column through the join without any vgm function:
# the executor's share of the join form.  BENCH_ONLY=forms runs
# only the floors and the forms lines.
#
# Targets: vgm_alpha <= 2x, keyed vgm_alpha <= 3x, vgm_denormalize <= 1.5x of
# sum(x * 2 + 1); vgm_alpha in every model form <= 1.5x.

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/benchserver.sh
. "$REPO_ROOT/test/lib/benchserver.sh"
REPS=${BENCH_REPS:-3}
bench_per_row_setup "${1:-10000000}" vgm_bench.tx vgm_bench.model
# four models of the same size and different contents, one per group g = id % 4
"${PSQL[@]}" <<-EOF
	DROP TABLE IF EXISTS vgm_bench.models;
	CREATE TABLE vgm_bench.models AS
	SELECT g, vgm_fit(array_agg(x), max_components => 10, seed => 42) AS m
	FROM (SELECT id % 4 AS g, x FROM $TABLE ORDER BY id LIMIT 100000) s GROUP BY g;
	ANALYZE vgm_bench.models;
	DROP TABLE IF EXISTS vgm_bench.model_analyzed;
	CREATE TABLE vgm_bench.model_analyzed AS SELECT m FROM vgm_bench.model;
	ANALYZE vgm_bench.model_analyzed;
EOF

# Runs every query and prints name, wall ms, CPU ms; awk adds ns/row and the
# ratio to the first query (the baseline), both from CPU time when usable,
# else from wall time.
"${PSQL[@]}" -F $'\t' <<-EOF | awk -F '\t' -v rows="$ROWS" '
	BEGIN { printf "%-46s %9s %9s %8s %7s %9s\n", "query (" rows " rows)", "wall ms", "cpu ms", "ns/row", "ratio", "own floor" }
	NR == 1 { use_cpu = ($3 != "" && $3 >= 100) }
	{ t = (use_cpu ? $3 : $2)
	  if (NR == 1) base = (t > 0 ? t : 1e-9)
	  # a form line is also compared with the floor over the same FROM clause
	  form = ($1 ~ /^forms: / ? $1 : ""); sub(/^.*, /, "", form)
	  if ($1 ~ /^forms: floor, /) floor[form] = (t > 0 ? t : 1e-9)
	  own = (form in floor && $1 !~ /^forms: floor, /) ? sprintf("%8.2fx", t / floor[form]) : ""
	  printf "%-46s %9.1f %9s %8.1f %6.2fx %9s\n", $1, $2, ($3 == "" ? "n/a" : sprintf("%.1f", $3)), t * 1e6 / rows, t / base, own }
	END { if (!use_cpu)
	        print "# ns/row and ratios from wall time (CPU time unavailable or below 100 ms, its tick is 1-10 ms)" }'
	SET max_parallel_workers_per_gather = 0;
	SET jit = $JIT;
	CREATE TEMP TABLE bench_queries (n serial, name text, sql text);
	-- the model as a literal: a Const in every plan
	SELECT m::text AS model_text FROM vgm_bench.model \gset
	INSERT INTO bench_queries (name, sql) VALUES
	  ('sum(x * 2 + 1)', 'SELECT sum(x * 2 + 1) FROM $TABLE'),
	  ('sum(vgm_alpha(m, x))', 'SELECT sum(vgm_alpha(%M, x)) FROM $TABLE'),
	  ('sum(vgm_alpha(m, x, id))', 'SELECT sum(vgm_alpha(%M, x, id)) FROM $TABLE'),
	  ('sum(vgm_denormalize(m, 0, x / 1e9))', 'SELECT sum(vgm_denormalize(%M, 0, x / 1e9)) FROM $TABLE'),
	  ('sum(vgm_component(m, x))', 'SELECT sum(vgm_component(%M, x)) FROM $TABLE'),
	  ('component + alpha, keyed (memo)', 'SELECT sum(vgm_component(%M, x, id)), sum(vgm_alpha(%M, x, id)) FROM $TABLE'),
	  ('sum(vgm_predict(m, x))', 'SELECT sum(vgm_predict(%M, x)) FROM $TABLE'),
	  ('sum(vgm_score(m, x))', 'SELECT sum(vgm_score(%M, x)) FROM $TABLE'),
	  ('sum(vgm_log_density(m, x))', 'SELECT sum(vgm_log_density(%M, x)) FROM $TABLE'),
	  ('sum(vgm_cdf(m, x))', 'SELECT sum(vgm_cdf(%M, x)) FROM $TABLE'),
	  ('(vgm_normalize(m, x)).* in the target list', 'SELECT sum(c), sum(a) FROM (SELECT (vgm_normalize(%M, x)).* FROM $TABLE) s(c, a)'),
	  ('vgm_normalize(m, x) via LATERAL', 'SELECT sum(n.component), sum(n.alpha) FROM $TABLE, LATERAL vgm_normalize(%M, x) n'),
	  ('sum(vgm_encode(m, x)[1])', 'SELECT sum((vgm_encode(%M, x))[1]) FROM $TABLE'),
	  ('sum(vgm_alpha(m, x)), model from a subquery', 'SELECT sum(vgm_alpha((SELECT m FROM vgm_bench.model), x)) FROM $TABLE');
	-- the model forms: each floor, then each transform in each form
	INSERT INTO bench_queries (name, sql) VALUES
	  ('forms: floor, join', 'SELECT sum(x * 2 + 1) FROM $TABLE, vgm_bench.model'),
	  ('forms: floor, join analyzed', 'SELECT sum(x * 2 + 1) FROM $TABLE, vgm_bench.model_analyzed'),
	  ('forms: floor + count(m), join analyzed', 'SELECT sum(x * 2 + 1), count(m) FROM $TABLE, vgm_bench.model_analyzed'),
	  ('forms: floor, CTE', 'WITH mm AS MATERIALIZED (SELECT m FROM vgm_bench.model) SELECT sum(x * 2 + 1) FROM $TABLE, mm'),
	  ('forms: floor, keyed', 'SELECT sum(x * 2 + 1) FROM $TABLE t JOIN vgm_bench.models mm ON mm.g = t.id % 4'),
	  ('forms: vgm_alpha, literal', 'SELECT sum(vgm_alpha(%M, x)) FROM $TABLE'),
	  ('forms: vgm_alpha, subquery', 'SELECT sum(vgm_alpha((SELECT m FROM vgm_bench.model), x)) FROM $TABLE'),
	  ('forms: vgm_alpha, join', 'SELECT sum(vgm_alpha(m, x)) FROM $TABLE, vgm_bench.model'),
	  ('forms: vgm_alpha, join analyzed', 'SELECT sum(vgm_alpha(m, x)) FROM $TABLE, vgm_bench.model_analyzed'),
	  ('forms: vgm_alpha, CTE', 'WITH mm AS MATERIALIZED (SELECT m FROM vgm_bench.model) SELECT sum(vgm_alpha(mm.m, x)) FROM $TABLE, mm'),
	  ('forms: vgm_alpha, keyed', 'SELECT sum(vgm_alpha(mm.m, x)) FROM $TABLE t JOIN vgm_bench.models mm ON mm.g = t.id % 4'),
	  ('forms: vgm_normalize, literal', 'SELECT sum((vgm_normalize(%M, x)).alpha) FROM $TABLE'),
	  ('forms: vgm_normalize, subquery', 'SELECT sum((vgm_normalize((SELECT m FROM vgm_bench.model), x)).alpha) FROM $TABLE'),
	  ('forms: vgm_normalize, join', 'SELECT sum((vgm_normalize(m, x)).alpha) FROM $TABLE, vgm_bench.model'),
	  ('forms: vgm_normalize, join analyzed', 'SELECT sum((vgm_normalize(m, x)).alpha) FROM $TABLE, vgm_bench.model_analyzed'),
	  ('forms: vgm_normalize, keyed', 'SELECT sum((vgm_normalize(mm.m, x)).alpha) FROM $TABLE t JOIN vgm_bench.models mm ON mm.g = t.id % 4'),
	  ('forms: vgm_denormalize, literal', 'SELECT sum(vgm_denormalize(%M, 0, x / 1e9)) FROM $TABLE'),
	  ('forms: vgm_denormalize, subquery', 'SELECT sum(vgm_denormalize((SELECT m FROM vgm_bench.model), 0, x / 1e9)) FROM $TABLE'),
	  ('forms: vgm_denormalize, join', 'SELECT sum(vgm_denormalize(m, 0, x / 1e9)) FROM $TABLE, vgm_bench.model'),
	  ('forms: vgm_denormalize, join analyzed', 'SELECT sum(vgm_denormalize(m, 0, x / 1e9)) FROM $TABLE, vgm_bench.model_analyzed'),
	  ('forms: vgm_denormalize, keyed', 'SELECT sum(vgm_denormalize(mm.m, 0, x / 1e9)) FROM $TABLE t JOIN vgm_bench.models mm ON mm.g = t.id % 4');
	UPDATE bench_queries SET sql = replace(sql, '%M', quote_literal(:'model_text') || '::vgm_model');
	DELETE FROM bench_queries WHERE '${BENCH_ONLY:-}' = 'forms' AND n > 1 AND name NOT LIKE 'forms:%';

	$(bench_timing_sql)
	-- warm-up: the table into the cache, the library loaded
	SELECT count(*), sum(vgm_alpha(:'model_text'::vgm_model, x)) FROM $TABLE \g /dev/null
	SELECT name, wall_ms, cpu_ms FROM pg_temp.best_ms($REPS);
EOF
