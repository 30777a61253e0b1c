#!/usr/bin/env bash
# shellcheck disable=SC2317,SC2016,SC2015  # trap-called cleanup; $vgm$ quoting is SQL; a && b || fail=1 is meant
#
# run.sh - vgm across three PostgreSQL servers, states moving AS TEXT.
#
# Starts three private servers (test/lib/pgserver.sh): "a" and "b" each hold
# one half of a deterministic table, "c" holds the whole table (the
# single-server reference).  a and b compute partial states locally
# (vgm_summarize, vgm_summarize weighted, vgm_ks_state); the states travel to c
# in their text form, the way Citus moves partial aggregates between nodes:
#   * COPY (SELECT ...) TO STDOUT on a/b piped into COPY ... FROM STDIN on c
#   * psql -Atc "SELECT s::text ..." on a/b, then INSERT ... VALUES ('...') on c
# On c, vgm_rollup + vgm_fit must equal the single-server answers: summaries
# bucket by bucket, fits within 1e-9 relative, KS states and tests exactly.
# The model travels the other way (c to a and b) as text, and the transforms
# computed on a and b with it must equal those computed on c.
#
# Prints TAP.  Needs the vgm extension installed (make install) in the
# PostgreSQL of PG_CONFIG.  Exit status 0 only if every test passed.
# Servers and files are removed on exit, also on failure (KEEP_TMP=1 keeps
# the files, servers are always stopped).
#
# Usage: test/multinode/run.sh

set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=test/lib/pgserver.sh source-path=SCRIPTDIR/../..
. "$REPO_ROOT/test/lib/pgserver.sh"

DB=vgm_mn
HALF=100000
NODES=(a b c)
# shellcheck source=test/lib/servers_tap.sh source-path=SCRIPTDIR/../..
. "$REPO_ROOT/test/lib/servers_tap.sh"

# check NODE DESCRIPTION SQL [DIAG-SQL] - SQL returns one boolean.
check() { tap_sql "$@"; }

# ship_halves TABLE DESCRIPTION SQL - the rows of SQL on a and on b (NODE in
# SQL stands for the node's name as a literal) into TABLE on c; one test.
ship_halves() {
	local table=$1 desc=$2 sql=$3 n ok=t
	for n in a b; do
		ship "$n" "${sql//NODE/\'$n\'}" c "$table" || ok=f
	done
	tap "$ok" "$desc"
}

# ------------------------------------------------------------- servers ----
echo "# vgm on three servers, states as text"
servers_start vgm-mn "three private servers started" "${NODES[@]}"

ext=t
for n in "${NODES[@]}"; do
	QDB=postgres q "$n" -c "CREATE DATABASE $DB" &&
		q "$n" -c "CREATE EXTENSION vgm" -f "$HERE/compare.sql" >/dev/null || ext=f
done
tap "$ext" "database $DB with the vgm extension on every server"
[[ $ext == t ]] || bail "vgm is not installed (run make install)"

# ---------------------------------------------------------------- data ----
q a -v lo=1 -v hi=$HALF -f "$HERE/data.sql" &&
	q b -v lo=$((HALF + 1)) -v hi=$((2 * HALF)) -f "$HERE/data.sql" &&
	q c -v lo=1 -v hi=$((2 * HALF)) -f "$HERE/data.sql" || bail "could not load the data"
na=$(q a -Atc "SELECT count(*) FROM mn_data")
nb=$(q b -Atc "SELECT count(*) FROM mn_data")
nc=$(q c -Atc "SELECT count(*) FROM mn_data")
tap "$([[ $na == "$HALF" && $nb == "$HALF" && $((na + nb)) == "$nc" ]] && echo t)" \
	"a and b hold the two halves of c's table ($na + $nb = $nc rows)"

# --------------------------------------------- summaries through COPY ----
q c -c "CREATE TABLE mn_states (node text, s vgm_summary, sw vgm_summary)" || bail "setup on c"
ship_halves mn_states "summaries of a and b copied to c as text (COPY TO STDOUT | COPY FROM STDIN)" \
	"SELECT NODE, vgm_summarize(x), vgm_summarize(x, w) FROM mn_data"

check c "rolled-up summary equals the single-server summary bucket by bucket" \
	"SELECT vgm_test.summary_same((SELECT vgm_rollup(s) FROM mn_states), (SELECT vgm_summarize(x) FROM mn_data))" \
	"SELECT vgm_test.summary_diff((SELECT vgm_rollup(s) FROM mn_states), (SELECT vgm_summarize(x) FROM mn_data))"
check c "the halves ran at different resolutions (the merge had to coarsen one)" \
	"SELECT count(DISTINCT (vgm_summary_info(s)).relative_width) = 2 FROM mn_states"
check c "rolled-up weighted summary equals the single-server weighted summary" \
	"SELECT vgm_test.summary_same((SELECT vgm_rollup(sw) FROM mn_states), (SELECT vgm_summarize(x, w) FROM mn_data))" \
	"SELECT vgm_test.summary_diff((SELECT vgm_rollup(sw) FROM mn_states), (SELECT vgm_summarize(x, w) FROM mn_data))"

# ------------------------------------- summaries through psql -Atc text ----
q c -c "CREATE TABLE mn_states_lit (node text, s vgm_summary)" || bail "setup on c"
for n in a b; do
	sent=$(q "$n" -Atc "SELECT vgm_summarize(x)::text FROM mn_data")
	# a plain literal: neither text form has a single quote (the packed form's
	# Z85 alphabet has "$", so a dollar-quote tag could occur inside it)
	printf "INSERT INTO mn_states_lit VALUES (%s, '%s');\n" "'$n'" "$sent" | q c
	back=$(q c -Atc "SELECT s::text FROM mn_states_lit WHERE node = '$n'")
	tap "$([[ -n $sent && $back == "$sent" ]] && echo t)" \
		"summary of $n ($((${#sent} / 1024)) kB of text) is re-read on c to the same text"
done
check c "summaries through psql text and through COPY are identical" \
	"SELECT bool_and(l.s::text = c.s::text) AND count(*) = 2 FROM mn_states_lit l JOIN mn_states c USING (node)"

# ------------------------------------------------------------ fits on c ----
check c "vgm_fit of the rolled-up summary equals the single-server vgm_fit(x)" \
	"SELECT vgm_test.model_same((SELECT vgm_fit(vgm_rollup(s)) FROM mn_states), (SELECT vgm_fit(x) FROM mn_data))" \
	"SELECT vgm_test.model_diff((SELECT vgm_fit(vgm_rollup(s)) FROM mn_states), (SELECT vgm_fit(x) FROM mn_data))"
check c "with options (max_components 4, seed 7) too" \
	"SELECT vgm_test.model_same((SELECT vgm_fit(vgm_rollup(s), max_components => 4, seed => 7) FROM mn_states),
	                            (SELECT vgm_fit(vgm_summarize(x), max_components => 4, seed => 7) FROM mn_data))"
check c "weighted: the fit of the rolled-up weighted summary equals the single-server one" \
	"SELECT vgm_test.model_same((SELECT vgm_fit(vgm_rollup(sw), max_components => 5) FROM mn_states),
	                            (SELECT vgm_fit(vgm_summarize(x, w), max_components => 5) FROM mn_data))"
check c "moments of the rolled-up summary equal vgm_moments(x)" \
	"SELECT vgm_test.json_same(to_jsonb(vgm_moments((SELECT vgm_rollup(s) FROM mn_states))),
	                           to_jsonb((SELECT vgm_moments(x) FROM mn_data)))"

# a state without finite values, and a NULL state (no rows), travel too
ok=t
ship a "SELECT 'nonfinite', vgm_summarize(x), vgm_summarize(x, w)
        FROM (VALUES (NULL::float8, 1::float8), ('NaN', 1), ('-Infinity', 2)) v(x, w)
        UNION ALL SELECT 'empty', vgm_summarize(x), vgm_summarize(x, w) FROM mn_data WHERE false" c mn_states || ok=f
tap "$ok" "a state of only non-finite values and a NULL state copied to c"
check c "they only add to the counts of the rollup" \
	"SELECT r.rows = s.rows AND r.nulls = s.nulls + 1 AND r.nans = s.nans + 1 AND r.neg_infs = s.neg_infs + 1
	        AND r.buckets = s.buckets
	 FROM vgm_summary_info((SELECT vgm_rollup(s) FROM mn_states)) r,
	      vgm_summary_info((SELECT vgm_summarize(x) FROM mn_data)) s"
q c -c "DELETE FROM mn_states WHERE node IN ('nonfinite', 'empty')" || bail "cleanup on c"

# ------------------------------------------------ the model to a and b ----
model=$(q c -Atc "SELECT vgm_fit(vgm_rollup(s), max_components => 5) FROM mn_states")
printf 'CREATE TABLE mn_model AS SELECT $vgm$%s$vgm$::vgm_model AS m;\n' "$model" | q c
for n in a b; do
	printf 'CREATE TABLE mn_model AS SELECT $vgm$%s$vgm$::vgm_model AS m;\n' "$model" | q "$n"
	back=$(q "$n" -Atc "SELECT m::text FROM mn_model")
	tap "$([[ -n $model && $back == "$model" ]] && echo t)" "the model's text is re-read on $n to the same text"
done

# transforms on a and b with the shipped model equal those on c
q c -c "CREATE TABLE mn_rows (node text, id int, component int, alpha float8, component_keyed int,
                              alpha_keyed float8, cdf float8, x_back float8)" || bail "setup on c"
ship_halves mn_rows "transforms computed on a and b copied to c" \
	"SELECT NODE, id, vgm_component(m, x), vgm_alpha(m, x), vgm_component(m, x, id),
	                  vgm_alpha(m, x, id), vgm_cdf(m, x), vgm_denormalize(m, vgm_component(m, x), vgm_alpha(m, x))
	           FROM mn_data, mn_model"
check c "they equal the transforms computed on c, row for row, bit for bit" \
	"SELECT count(*) = 2 * $HALF AND count(*) FILTER (WHERE r IS DISTINCT FROM l) = 0
	 FROM (SELECT id, component, alpha, component_keyed, alpha_keyed, cdf, x_back FROM mn_rows) r
	 FULL JOIN (SELECT id, vgm_component(m, x) AS component, vgm_alpha(m, x) AS alpha,
	                   vgm_component(m, x, id) AS component_keyed, vgm_alpha(m, x, id) AS alpha_keyed,
	                   vgm_cdf(m, x) AS cdf, vgm_denormalize(m, vgm_component(m, x), vgm_alpha(m, x)) AS x_back
	            FROM mn_data, mn_model) l USING (id)"

# ----------------------------------------------------------- KS states ----
q c -c "CREATE TABLE mn_ks (node text, ks vgm_ks_state)" || bail "setup on c"
ship_halves mn_ks "KS states of a and b copied to c as text" \
	"SELECT NODE, vgm_ks_state(m, x) FROM mn_data, mn_model"
check c "rolled-up KS state equals the single-server KS state exactly (text form)" \
	"SELECT (SELECT vgm_rollup(ks) FROM mn_ks)::text = (SELECT vgm_ks_state(m, x) FROM mn_data, mn_model)::text"
check c "vgm_ks of the rolled-up state equals the single-server vgm_ks(m, x)" \
	"SELECT vgm_ks((SELECT vgm_rollup(ks) FROM mn_ks)) = (SELECT vgm_ks(m, x) FROM mn_data, mn_model)" \
	"SELECT format('%s vs %s', vgm_ks((SELECT vgm_rollup(ks) FROM mn_ks)), (SELECT vgm_ks(m, x) FROM mn_data, mn_model))"
check c "two-sample KS of the shipped states equals the single-server one of the two halves" \
	"SELECT vgm_ks_2samp((SELECT ks FROM mn_ks WHERE node = 'a'), (SELECT ks FROM mn_ks WHERE node = 'b'))
	      = vgm_ks_2samp((SELECT vgm_ks_state(m, x) FROM mn_data, mn_model WHERE id <= $HALF),
	                     (SELECT vgm_ks_state(m, x) FROM mn_data, mn_model WHERE id > $HALF))"

# ------------------------------------------- postgres_fdw from c to a, b ----
# The same text transport without moving files: c reads a and b through
# postgres_fdw; with vgm in the server's "extensions", each vgm_summarize runs
# remotely and only its state comes back (as text).
fdw=t
q c -c "CREATE EXTENSION postgres_fdw" || fdw=f
for n in a b; do
	port=$(node_port "$n")
	q c -c "CREATE SERVER mn_$n FOREIGN DATA WRAPPER postgres_fdw
	            OPTIONS (host '$BASE/$n/sock', port '$port', dbname '$DB', extensions 'vgm', async_capable 'true')" \
		-c "CREATE USER MAPPING FOR CURRENT_USER SERVER mn_$n" \
		-c "CREATE FOREIGN TABLE mn_data_$n (id int, x float8, w float8) SERVER mn_$n OPTIONS (table_name 'mn_data')" ||
		fdw=f
done
tap "$fdw" "postgres_fdw servers and foreign tables for a and b on c"
FDW_QUERY="SELECT vgm_rollup(s) FROM (SELECT vgm_summarize(x) AS s FROM mn_data_a
                                      UNION ALL SELECT vgm_summarize(x) FROM mn_data_b) q"
plan=$(q c -Atc "EXPLAIN (VERBOSE, COSTS OFF) $FDW_QUERY" 2>&1)
tap "$(grep -c 'Remote SQL: SELECT public.vgm_summarize(x) FROM public.mn_data' <<<"$plan" | grep -qx 2 && echo t)" \
	"both vgm_summarize calls are pushed down to a and b" "$plan"
check c "the rollup of the two remote summaries equals the single-server summary" \
	"SELECT vgm_test.summary_same(($FDW_QUERY), (SELECT vgm_summarize(x) FROM mn_data))"
tap "$(grep -c 'Async Foreign Scan' <<<"$plan" | grep -qx 2 && echo t)" \
	"with async_capable, a and b run their aggregates at the same time" "$plan"
# the model travels to a and b as a query parameter (in its text form)
FDW_KS="SELECT vgm_rollup(k) FROM (SELECT vgm_ks_state((SELECT m FROM mn_model), x) AS k FROM mn_data_a
                                  UNION ALL SELECT vgm_ks_state((SELECT m FROM mn_model), x) FROM mn_data_b) q"
plan=$(q c -Atc "EXPLAIN (VERBOSE, COSTS OFF) $FDW_KS" 2>&1)
tap "$(grep -c 'Remote SQL: SELECT public.vgm_ks_state(\$1::public.vgm_model, x) FROM public.mn_data' <<<"$plan" | grep -qx 2 && echo t)" \
	"vgm_ks_state with the model as a parameter is pushed down to a and b" "$plan"
check c "the rollup of the two remote KS states equals the single-server KS state exactly" \
	"SELECT ($FDW_KS)::text = (SELECT vgm_ks_state(m, x) FROM mn_data, mn_model)::text"

tap_finish
