#!/usr/bin/env bash
# shellcheck disable=SC2317,SC2016,SC2015  # trap-called cleanup; $vgm$ quoting is SQL; a && b || fail=1 is meant
#
# run.sh - vgm on a Citus cluster: a coordinator and two workers on loopback.
#
# Runs only when Citus is installed for the PostgreSQL of PG_CONFIG
# ($(pg_config --pkglibdir)/citus.so); otherwise prints a TAP skip plan
# "1..0 # SKIP citus not installed" and exits 0.  Citus is not a Debian
# package and this repository never builds it; see docs/distributed.md.
#
# Three private servers (test/lib/pgserver.sh) listening on 127.0.0.1 with
# shared_preload_libraries = citus and citus.node_conninfo = 'sslmode=prefer'.
# CREATE EXTENSION vgm runs on the coordinator only (Citus propagates it; the
# library is installed once on this machine, as it must be on every node).
# A table of 200,000 deterministic rows is distributed over 32 shards and a
# local copy on the coordinator is the single-node reference.  With
# citus.coordinator_aggregation_strategy = 'disabled' (no silent pull of rows
# to the coordinator) every aggregate must run as worker_partial_agg on the
# shards and coord_combine_agg on the coordinator - the partial states travel
# as text - and give the single-node answer: summaries bucket by bucket, fits
# within 1e-9 relative, KS states exactly.  Also TABLESAMPLE, the validation
# report, and an UPDATE with a transform pushed down to the shards.
#
# Prints TAP; exit status 0 only if every test passed.  Servers and files are
# removed on exit, also on failure (KEEP_TMP=1 keeps the files).
#
# Usage: test/citus/run.sh

set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=test/lib/pgserver.sh source-path=SCRIPTDIR/../..
. "$REPO_ROOT/test/lib/pgserver.sh"

_pgserver_init || { echo "Bail out! no PostgreSQL binaries (PG_CONFIG=${PG_CONFIG:-unset})"; exit 1; }
if [[ ! -f "$("$PG_CONFIG" --pkglibdir)/citus.so" ]]; then
	echo "1..0 # SKIP citus not installed ($("$PG_CONFIG" --pkglibdir)/citus.so not found)"
	exit 0
fi

DB=vgm_citus
HALF=100000
SHARDS=32
NODES=(coord w1 w2)
# shellcheck source=test/lib/servers_tap.sh source-path=SCRIPTDIR/../..
. "$REPO_ROOT/test/lib/servers_tap.sh"

# q NODE PSQL-ARGS... - psql on NODE, database $DB; on the coordinator the
# session refuses to pull rows for an aggregate it cannot push down.
q() {
	local opts="-c client_min_messages=error"
	[[ $1 == coord ]] && opts+=" -c citus.coordinator_aggregation_strategy=disabled"
	NODE_PGOPTIONS=$opts node_psql "$@"
}

# check DESCRIPTION SQL - SQL (on the coordinator) returns one boolean.
check() { tap_sql coord "$@"; }

# plan_has DESCRIPTION SQL REGEX... - EXPLAIN (VERBOSE) of SQL matches every REGEX.
plan_has() {
	local desc=$1 sql=$2 plan re ok=t
	shift 2
	plan=$(q coord -Atc "EXPLAIN (VERBOSE, COSTS OFF) $sql" 2>&1)
	for re in "$@"; do
		grep -qE -- "$re" <<<"$plan" || ok=f
	done
	tap "$ok" "$desc" "$(cut -c1-300 <<<"$plan")"
}

# ------------------------------------------------------------- cluster ----
echo "# vgm on Citus: a coordinator and two workers, $SHARDS shards"
export PGSERVER_OPTS="-c shared_preload_libraries=citus -c listen_addresses=127.0.0.1 -c citus.node_conninfo=sslmode=prefer -c max_connections=100"
servers_start vgm-citus "three private servers with citus preloaded, on 127.0.0.1" "${NODES[@]}"

ok=t
for n in "${NODES[@]}"; do
	QDB=postgres q "$n" -c "CREATE DATABASE $DB" && q "$n" -c "CREATE EXTENSION citus" || ok=f
done
[[ $ok == t ]] &&
	q coord -c "SELECT citus_set_coordinator_host('127.0.0.1', $(node_port coord))" \
		-c "SELECT citus_add_node('127.0.0.1', $(node_port w1))" \
		-c "SELECT citus_add_node('127.0.0.1', $(node_port w2))" >/dev/null || ok=f
tap "$ok" "citus cluster: coordinator and two workers"
[[ $ok == t ]] || bail "could not set up the cluster"
check "two active workers" "SELECT count(*) = 2 FROM citus_get_active_worker_nodes()"

q coord -c "CREATE EXTENSION vgm" || bail "CREATE EXTENSION vgm failed on the coordinator"
check "CREATE EXTENSION vgm on the coordinator is propagated to both workers" \
	"SELECT count(*) = 2 AND bool_and(success AND result = '1.0')
	 FROM run_command_on_workers(\$\$SELECT extversion FROM pg_extension WHERE extname = 'vgm'\$\$)"
# comparison helpers: on the coordinator only
PGOPTIONS="-c citus.enable_ddl_propagation=off" q coord -f "$REPO_ROOT/test/multinode/compare.sql" >/dev/null ||
	bail "could not load compare.sql"

# ---------------------------------------------------------------- data ----
q coord -v lo=1 -v hi=$((2 * HALF)) -v tbl=dist_src -f "$REPO_ROOT/test/multinode/data.sql" &&
	q coord -c "CREATE TABLE dist (id int, x float8, w float8, z float8)" \
		-c "SET citus.shard_count = $SHARDS" \
		-c "SELECT create_distributed_table('dist', 'id')" \
		-c "INSERT INTO dist (id, x, w) SELECT id, x, w FROM dist_src" >/dev/null ||
	bail "could not load the data"
check "dist: $((2 * HALF)) rows in $SHARDS shards on both workers, dist_src the local copy" \
	"SELECT (SELECT count(*) FROM dist) = $((2 * HALF))
	    AND (SELECT count(*) = $SHARDS AND count(DISTINCT nodeport) = 2 FROM citus_shards WHERE table_name = 'dist'::regclass)"

# the single-node model, shipped in queries as a literal (as a psql variable would be)
q coord -c "CREATE TABLE models AS SELECT vgm_fit(x) AS m FROM dist_src" || bail "could not fit the reference model"
model=$(q coord -Atc "SELECT m FROM models")
M="\$vgm\$${model}\$vgm\$::vgm_model"

# ---------------------------------------------------------- aggregates ----
# case NAME EXPR KIND: EXPR over dist runs as worker_partial_agg +
# coord_combine_agg and equals EXPR over dist_src.  KIND: summary, model,
# text (identical text form), json (numbers within 1e-9).
case_agg() {
	local name=$1 expr=$2 kind=$3 cmp
	plan_has "$name: worker_partial_agg on the shards, coord_combine_agg on the coordinator" \
		"SELECT $expr FROM dist" 'worker_partial_agg\(' 'coord_combine_agg\(' "Task Count: $SHARDS"
	case $kind in
	summary) cmp="vgm_test.summary_same((SELECT $expr FROM dist), (SELECT $expr FROM dist_src))" ;;
	model) cmp="vgm_test.model_same((SELECT $expr FROM dist), (SELECT $expr FROM dist_src))" ;;
	text) cmp="(SELECT $expr FROM dist)::text = (SELECT $expr FROM dist_src)::text" ;;
	json) cmp="vgm_test.json_same(to_jsonb((SELECT $expr FROM dist)), to_jsonb((SELECT $expr FROM dist_src)))" ;;
	esac
	check "$name: equals the single-node answer" "SELECT $cmp"
}
case_agg "vgm_summarize(x)" "vgm_summarize(x)" summary
case_agg "vgm_summarize(x, w)" "vgm_summarize(x, w)" summary
case_agg "vgm_fit(x)" "vgm_fit(x)" model
# vgm_fit(x, k) has no combine function (a combining aggregate cannot see k):
# on Citus write vgm_fit(vgm_summarize(x), max_components => k), as below.
case_agg "vgm_fit(vgm_summarize(x), ...)" "vgm_fit(vgm_summarize(x), max_components => 4, seed => 7)" model
case_agg "vgm_moments(x)" "vgm_moments(x)" json
case_agg "vgm_ks_state(m, x)" "vgm_ks_state($M, x)" text
case_agg "vgm_ks(m, x)" "vgm_ks($M, x)" json
case_agg "vgm_bounds(m, x)" "vgm_bounds($M, x)" json

# ------------------------------------------------ compact state text ----
# What each shard sends for a vgm_summary state is the type's text; above 256
# buckets (every shard here) vgm.summary_text = auto writes the packed form.
# The worker's state, as text, parsed on the coordinator must be the worker's
# state byte for byte, and the state the coordinator makes from the same rows.
q coord -c "CREATE TABLE shard_states AS
	SELECT t.shardid, t.result AS txt, b.result AS hex
	FROM run_command_on_shards('dist', \$\$SELECT vgm_summarize(x)::text FROM %s\$\$) t
	JOIN run_command_on_shards('dist', \$\$SELECT encode(vgm_summary_send(vgm_summarize(x)), 'hex') FROM %s\$\$) b
	USING (shardid)" >/dev/null || bail "could not collect the shard states"
check "every shard's state text is the compact form (\"packed\" field, no bucket array)" \
	"SELECT count(*) = $SHARDS AND bool_and(txt LIKE '%\"packed\":\"1;%' AND txt NOT LIKE '%\"buckets\"%')
	 FROM shard_states"
check "a worker's compact state text parses on the coordinator to the worker's state, byte for byte" \
	"SELECT bool_and(encode(vgm_summary_send(txt::vgm_summary), 'hex') = hex) FROM shard_states"
check "a worker's state equals the state made locally from the same rows, byte for byte after parse" \
	"SELECT bool_and(vgm_summary_send(s.txt::vgm_summary) = vgm_summary_send(l.s))
	 FROM shard_states s
	 JOIN (SELECT get_shard_id_for_distribution_column('dist', id) AS shardid, vgm_summarize(x) AS s
	       FROM dist_src GROUP BY 1) l USING (shardid)"
check "the readable text of a worker's state gives the same state (both forms are accepted)" \
	"SET vgm.summary_text = readable;
	 SELECT bool_and(strpos(txt::vgm_summary::text, '\"buckets\":[[') > 0
	                 AND vgm_summary_send(txt::vgm_summary::text::vgm_summary) = vgm_summary_send(txt::vgm_summary))
	 FROM shard_states"

# stored states, distributed by another column, rolled up
q coord -c "CREATE TABLE dist_states (g int, s vgm_summary, ks vgm_ks_state)" \
	-c "SELECT create_distributed_table('dist_states', 'g')" \
	-c "INSERT INTO dist_states SELECT id % 64, vgm_summarize(x), vgm_ks_state($M, x) FROM dist GROUP BY 1" \
	>/dev/null || bail "could not store states"
plan_has "vgm_rollup(s) over stored summaries: partial on the shards" \
	"SELECT vgm_rollup(s) FROM dist_states" 'worker_partial_agg\(' 'coord_combine_agg\('
check "vgm_rollup of 64 stored summaries equals the single-node summary" \
	"SELECT vgm_test.summary_same((SELECT vgm_rollup(s) FROM dist_states), (SELECT vgm_summarize(x) FROM dist_src))"
check "vgm_fit(vgm_rollup(s)) equals the single-node vgm_fit(x)" \
	"SELECT vgm_test.model_same((SELECT vgm_fit(vgm_rollup(s)) FROM dist_states), (SELECT vgm_fit(x) FROM dist_src))"
check "vgm_rollup of 64 stored KS states equals the single-node KS state exactly" \
	"SELECT (SELECT vgm_rollup(ks) FROM dist_states)::text = (SELECT vgm_ks_state($M, x) FROM dist_src)::text"
check "vgm_ks_2samp of the two halves equals the single-node one" \
	"SELECT vgm_ks_2samp((SELECT vgm_ks_state($M, x) FROM dist WHERE id <= $HALF),
	                     (SELECT vgm_ks_state($M, x) FROM dist WHERE id > $HALF))
	      = vgm_ks_2samp((SELECT vgm_ks_state($M, x) FROM dist_src WHERE id <= $HALF),
	                     (SELECT vgm_ks_state($M, x) FROM dist_src WHERE id > $HALF))"
check "vgm_validate on the distributed table gives the single-node report" \
	"SELECT count(*) = 13 AND bool_and(d.passed IS NOT DISTINCT FROM l.passed
	                                   AND coalesce(vgm_test.close(d.statistic, l.statistic, 1e-9, 1e-12),
	                                                d.statistic IS NULL AND l.statistic IS NULL))
	 FROM vgm_validate($M, 'dist', 'x') d JOIN vgm_validate($M, 'dist_src', 'x') l USING (\"check\")"

# ---------------------------------------------------------- TABLESAMPLE ----
SAMPLE="SELECT vgm_summarize(x) FROM dist TABLESAMPLE BERNOULLI (10) REPEATABLE (42)"
plan_has "TABLESAMPLE ... REPEATABLE (42) is pushed down: every shard samples with the same seed" \
	"$SAMPLE" "TABLESAMPLE bernoulli \('10'::real\) REPEATABLE \('42'::double precision\)" 'worker_partial_agg\('
# (the same rows; the merged means may differ in the last bits: shard results
# arrive at the coordinator in any order)
check "a REPEATABLE sample is reproducible" "SELECT vgm_test.summary_same(($SAMPLE), ($SAMPLE))"
check "the sample holds about 10 % of the rows" \
	"SELECT rows BETWEEN 0.08 * $((2 * HALF)) AND 0.12 * $((2 * HALF)) FROM vgm_summary_info(($SAMPLE))"
check "vgm_fit on a TABLESAMPLE SYSTEM sample" \
	"SELECT vgm_n_components(vgm_fit(x)) > 0 FROM dist TABLESAMPLE SYSTEM (10) REPEATABLE (42)"

# ---------------------------------------------------------- transforms ----
plan_has "SELECT sum(vgm_alpha(m, x)): the transform runs on the shards" \
	"SELECT sum(vgm_alpha($M, x)) FROM dist" 'Query: SELECT sum\(public\.vgm_alpha\(' "Task Count: $SHARDS"
plan_has "UPDATE dist SET z = vgm_alpha(m, x) with the model as a literal / psql variable is pushed down" \
	"UPDATE dist SET z = vgm_alpha($M, x)" "Task Count: $SHARDS" 'UPDATE public\.dist_[0-9]+ dist SET z = public\.vgm_alpha\('
# z of every row equals vgm_alpha computed on the coordinator's copy
Z_SAME="SELECT count(*) = $((2 * HALF)) AND count(*) FILTER (WHERE c.z IS DISTINCT FROM vgm_alpha(m, s.x)) = 0
        FROM z_copy c JOIN dist_src s USING (id), models"
q coord -c "UPDATE dist SET z = vgm_alpha($M, x)" -c "CREATE TABLE z_copy AS SELECT id, z FROM dist" >/dev/null
check "after the UPDATE, z equals the single-node vgm_alpha of every row" "$Z_SAME"

q coord -c "CREATE TABLE vgm_models (name text PRIMARY KEY, m vgm_model)" \
	-c "SELECT create_reference_table('vgm_models')" \
	-c "INSERT INTO vgm_models SELECT 'x', m FROM models" \
	-c "UPDATE dist SET z = NULL" >/dev/null || bail "could not create the reference table"
UPDATE_REF="UPDATE dist SET z = vgm_alpha(r.m, dist.x) FROM vgm_models r WHERE r.name = 'x'"
plan_has "UPDATE ... FROM a reference table of models is pushed down (no subplan)" \
	"$UPDATE_REF" "Task Count: $SHARDS" 'Nested Loop'
q coord -c "$UPDATE_REF" -c "DROP TABLE z_copy" -c "CREATE TABLE z_copy AS SELECT id, z FROM dist" >/dev/null
check "after it, z equals the single-node vgm_alpha of every row" "$Z_SAME"

UPDATE_CTE="WITH mm AS (SELECT m FROM models) UPDATE dist SET z = vgm_alpha(mm.m, dist.x) FROM mm"
plan_has "UPDATE with a CTE cross join on a local table of models: the CTE is sent to the shards once" \
	"$UPDATE_CTE" "Task Count: $SHARDS" 'Distributed Subplan'
q coord -c "UPDATE dist SET z = NULL" -c "$UPDATE_CTE" -c "DROP TABLE z_copy" \
	-c "CREATE TABLE z_copy AS SELECT id, z FROM dist" >/dev/null
check "after it, z equals the single-node vgm_alpha of every row" "$Z_SAME"

# ----------------------------------------------------- joint mixtures ----
# vgm_joint_summarize / vgm_joint_fit over rows of three columns: partial
# joint summaries travel as text from every shard and merge on the
# coordinator into the single-node summary (the same cells: keys and row
# counts exactly, moments within 1e-9) and the same fit (weights, means,
# covariances within 1e-9).
# (x holds NaN and infinities, which a joint summary refuses: they become
# NULL, which skips the row and counts it)
ROW="ARRAY[CASE WHEN abs(x) < 'Infinity' THEN x END, w, (id % 24)::float8]"
PGOPTIONS="-c citus.enable_ddl_propagation=off" q coord -c "
CREATE FUNCTION vgm_test.joint_summary_same(a vgm_joint_summary, b vgm_joint_summary) RETURNS boolean
LANGUAGE sql IMMUTABLE AS \$f\$
  SELECT (a::jsonb - 'cells') = (b::jsonb - 'cells')
     AND jsonb_path_query_array(a::jsonb, '\$.cells[*][0 to 1]') = jsonb_path_query_array(b::jsonb, '\$.cells[*][0 to 1]')
     AND vgm_test.json_same(to_jsonb(vgm_joint_summary_moments(a)), to_jsonb(vgm_joint_summary_moments(b)))
\$f\$;
CREATE FUNCTION vgm_test.joint_model_same(a vgm_joint_model, b vgm_joint_model) RETURNS boolean
LANGUAGE sql IMMUTABLE AS \$f\$
  SELECT vgm_n_components(a) = vgm_n_components(b)
     AND (SELECT bool_and(vgm_test.close(x, y, 1e-9, 1e-12)) FROM unnest(vgm_weights(a), vgm_weights(b)) u(x, y))
     AND (SELECT bool_and(vgm_test.close(x, y, 1e-9, 1e-12)) FROM unnest(vgm_means(a), vgm_means(b)) u(x, y))
     AND (SELECT bool_and(vgm_test.close(x, y, 1e-9, 1e-12)) FROM unnest(vgm_covariances(a), vgm_covariances(b)) u(x, y))
\$f\$;" >/dev/null || bail "could not create the joint comparison helpers"
case_joint() {
	local name=$1 expr=$2 cmp=$3
	plan_has "$name: worker_partial_agg on the shards, coord_combine_agg on the coordinator" \
		"SELECT $expr FROM dist" 'worker_partial_agg\(' 'coord_combine_agg\(' "Task Count: $SHARDS"
	check "$name: equals the single-node answer" "SELECT $cmp((SELECT $expr FROM dist), (SELECT $expr FROM dist_src))"
}
case_joint "vgm_joint_summarize(ARRAY[x, w, id % 24]), non-finite x as NULL" "vgm_joint_summarize($ROW)" vgm_test.joint_summary_same
case_joint "vgm_joint_fit(vgm_joint_summarize(...), max_components => 4)" \
	"vgm_joint_fit(vgm_joint_summarize($ROW), max_components => 4)" vgm_test.joint_model_same
# The one-step aggregate fits 10 components with 5 starts: on these rows
# several optima lie close together, and the sums of a cell differ from the
# single-node ones in the last bits (the shards' states arrive in any
# order), which is enough to send the fit to another one.  So it is checked
# to run distributed and to fit the same rows; equality of fits is checked
# above and below with 4 components (README, "Joint fit": reproducibility).
plan_has "vgm_joint_fit(ARRAY[...]), the one-step aggregate: worker_partial_agg on the shards, coord_combine_agg on the coordinator" \
	"SELECT vgm_joint_fit($ROW) FROM dist" 'worker_partial_agg\(' 'coord_combine_agg\(' "Task Count: $SHARDS"
check "vgm_joint_fit(ARRAY[...]), the one-step aggregate: a model of the single-node rows" \
	"SELECT (d.rows, d.skipped_rows, d.dims) = (l.rows, l.skipped_rows, l.dims)
	 FROM vgm_diagnostics((SELECT vgm_joint_fit($ROW) FROM dist)) d,
	      vgm_diagnostics((SELECT vgm_joint_fit($ROW) FROM dist_src)) l"
q coord -c "CREATE TABLE dist_joint (g int, s vgm_joint_summary)" \
	-c "SELECT create_distributed_table('dist_joint', 'g')" \
	-c "INSERT INTO dist_joint SELECT id % 64, vgm_joint_summarize($ROW) FROM dist GROUP BY 1" \
	>/dev/null || bail "could not store joint summaries"
plan_has "vgm_rollup(s) over stored joint summaries: partial on the shards" \
	"SELECT vgm_rollup(s) FROM dist_joint" 'worker_partial_agg\(' 'coord_combine_agg\('
check "vgm_joint_fit(vgm_rollup(s)) of 64 stored joint summaries equals the single-node joint fit" \
	"SELECT vgm_test.joint_model_same((SELECT vgm_joint_fit(vgm_rollup(s), max_components => 4) FROM dist_joint),
	                                  (SELECT vgm_joint_fit(vgm_joint_summarize($ROW), max_components => 4) FROM dist_src))"

tap_finish
