#!/usr/bin/env bash
#
# load.sh - concurrent load on vgm with pgbench: CLIENTS clients for SECONDS
# seconds run a mix of row transforms, fits on table samples, summaries and
# validation aggregates; then every result is checked against a single-client
# run of the same queries.  Prints throughput; exits non-zero on any error or
# any result that differs.
#
# Usage: test/bench/load.sh [-c CLIENTS] [-T SECONDS] [-j THREADS] [--existing]
#   -c CLIENTS    concurrent clients (default 8)
#   -T SECONDS    duration (default 60)
#   -j THREADS    pgbench worker threads (default 2)
#   --existing    use the server and database of PGHOST/PGPORT/PGDATABASE
#                 (which must have vgm installed) instead of starting a
#                 private server with test/lib/pgserver.sh
#
# Every transaction records what it computed in an unlogged table, keyed by
# the script and its random parameter.  Afterwards (1) every key must have
# one distinct result however many clients computed it, and (2) each key's
# result must equal what one client computes alone, after the load.  Fitted
# models are compared with their fit_ms (a wall-clock time) removed.
#
# The mix (weights in parentheses; each script draws a random block of the
# 1M-row table load_data):
#   normalize (4)  vgm_alpha / vgm_component / vgm_normalize over 2,000 rows
#   fit (1)        vgm_fit(x, 5) over TABLESAMPLE SYSTEM (0.5) REPEATABLE (seed)
#   summarize (2)  vgm_summarize over 20,000 rows, then vgm_fit of the summary
#   validate (2)   vgm_ks and vgm_bounds over 20,000 rows (when installed)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLIENTS=8
SECONDS_RUN=${LOAD_SECONDS:-60}
THREADS=2
EXISTING=0
while (($#)); do
	case $1 in
	-c) CLIENTS=$2; shift ;;
	-T) SECONDS_RUN=$2; shift ;;
	-j) THREADS=$2; shift ;;
	--existing) EXISTING=1 ;;
	-h | --help) sed -n '/^# Usage:/,/^# The mix/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
	*) echo "unknown argument $1 (try -h)" >&2; exit 2 ;;
	esac
	shift
done

# shellcheck source=../lib/pgserver.sh
. "$REPO/test/lib/pgserver.sh"
_pgserver_init
export PATH="$PGSERVER_BINDIR:$PATH"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vgm-load.XXXXXX")
chmod 711 "$WORK"
cleanup() {
	pgserver_stop_all >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT

if ((EXISTING)); then
	: "${PGDATABASE:?--existing needs PGDATABASE}"
else
	# a private server sized for the clients
	PGSERVER_OPTS="-c max_connections=$((CLIENTS + 20)) -c shared_buffers=256MB" \
		pgserver_start "$WORK/server" >/dev/null
	pgserver_psql -c "CREATE DATABASE vgm_load" >/dev/null
	export PGDATABASE=vgm_load
	psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION vgm" >/dev/null
fi
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)

HAVE_KS=$("${PSQL[@]}" -c "SELECT to_regprocedure('vgm_ks_sfunc(vgm_ks_state,vgm_model,double precision)') IS NOT NULL")
HAVE_TRANSFORMS=$("${PSQL[@]}" -c "SELECT to_regprocedure('vgm_alpha(vgm_model,double precision)') IS NOT NULL")

echo "== setup: 1M rows, a model, result table"
"${PSQL[@]}" <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS load_data, load_model, load_results;
CREATE TABLE load_data (id int PRIMARY KEY, x float8);
INSERT INTO load_data
    SELECT i, CASE WHEN i % 3 = 0 THEN 10 + sin(i) * 0.7 ELSE -5 + 2 * cos(7 * i) END
    FROM generate_series(1, 1000000) i;
VACUUM ANALYZE load_data;
CREATE TABLE load_model AS SELECT vgm_fit(vgm_summarize(x)) AS m FROM load_data;
ANALYZE load_model;
CREATE UNLOGGED TABLE load_results (script text, param bigint, result text);
SQL

# ---- the scripts: each stores (script, parameter, result)
cat >"$WORK/normalize.sql" <<'SQL'
\set lo random(1, 998001)
INSERT INTO load_results SELECT 'normalize', :lo,
    concat_ws(',', sum(vgm_alpha(m, x)), sum(vgm_component(m, x)), sum(vgm_component(m, x, id)),
              sum((vgm_normalize(m, x, id)).alpha))
  FROM load_model, load_data WHERE id BETWEEN :lo AND :lo + 1999;
SQL
cat >"$WORK/normalize_plain.sql" <<'SQL'
\set lo random(1, 998001)
INSERT INTO load_results SELECT 'normalize', :lo, (vgm_summary_info(vgm_summarize(x))).total_weight::text
  FROM load_data WHERE id BETWEEN :lo AND :lo + 1999;
SQL
cat >"$WORK/fit.sql" <<'SQL'
\set seed random(1, 200)
INSERT INTO load_results SELECT 'fit', :seed,
    regexp_replace(vgm_fit(x, 5)::text, '"fit_ms":[^,}]*', '')
  FROM load_data TABLESAMPLE SYSTEM (0.5) REPEATABLE (:seed);
SQL
cat >"$WORK/summarize.sql" <<'SQL'
\set lo random(1, 980001)
INSERT INTO load_results SELECT 'summarize', :lo,
    md5(s::text) || ',' || regexp_replace(vgm_fit(s, max_components => 4)::text, '"fit_ms":[^,}]*', '')
  FROM (SELECT vgm_summarize(x) AS s FROM load_data WHERE id BETWEEN :lo AND :lo + 19999) q;
SQL
cat >"$WORK/validate.sql" <<'SQL'
\set lo random(1, 980001)
INSERT INTO load_results SELECT 'validate', :lo,
    concat_ws(',', (vgm_ks(m, x)).statistic, (vgm_ks(m, x)).pvalue, (vgm_bounds(m, x)).outside_share,
              (vgm_bounds(m, x)).clipped_share)
  FROM load_model, load_data WHERE id BETWEEN :lo AND :lo + 19999;
SQL

SCRIPTS=(-f "$WORK/fit.sql@1" -f "$WORK/summarize.sql@2")
if [[ $HAVE_TRANSFORMS == t ]]; then
	SCRIPTS+=(-f "$WORK/normalize.sql@4")
else
	echo "(transforms not installed: 'normalize' summarizes instead)"
	SCRIPTS+=(-f "$WORK/normalize_plain.sql@4")
fi
if [[ $HAVE_KS == t ]]; then
	SCRIPTS+=(-f "$WORK/validate.sql@2")
else
	echo "(validation not installed: no 'validate' script)"
fi

echo "== pgbench: $CLIENTS clients, $THREADS threads, ${SECONDS_RUN} s"
rc=0
pgbench -n -c "$CLIENTS" -j "$THREADS" -T "$SECONDS_RUN" -P 10 -r "${SCRIPTS[@]}" \
	>"$WORK/pgbench.out" 2>"$WORK/pgbench.err" || rc=$?
cat "$WORK/pgbench.out"
grep -vE '^progress:' "$WORK/pgbench.err" | head -n 20 || true
failed=$(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' "$WORK/pgbench.out")
aborted=$(grep -c 'aborted in command' "$WORK/pgbench.err" || true)
processed=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$WORK/pgbench.out")

echo "== checking results"
"${PSQL[@]}" -c "SELECT script, count(*) AS runs, count(DISTINCT param) AS keys FROM load_results GROUP BY 1 ORDER BY 1" |
	sed 's/^/   /'
# (1) one result per key
inconsistent=$("${PSQL[@]}" -c "SELECT count(*) FROM (SELECT script, param FROM load_results
    GROUP BY 1, 2 HAVING count(DISTINCT result) > 1) q")
# (2) a single client recomputes every key after the load
"${PSQL[@]}" -c "CREATE TABLE load_serial (LIKE load_results)"
{
	"${PSQL[@]}" -c "SELECT DISTINCT script, param FROM load_results ORDER BY 1, 2" |
		while IFS='|' read -r script param; do
			case $script in
			normalize) if [[ $HAVE_TRANSFORMS == t ]]; then f=normalize.sql; else f=normalize_plain.sql; fi ;;
			*) f=$script.sql ;;
			esac
			# the script with its \set line replaced by the recorded parameter
			var=$(sed -nE 's/^\\set ([a-z]+) .*/\1/p' "$WORK/$f")
			sed -e '/^\\set /d' -e "s/:$var\\b/$param/g" -e 's/INSERT INTO load_results/INSERT INTO load_serial/' "$WORK/$f"
		done
} >"$WORK/serial.sql"
t0=$(date +%s.%N)
"${PSQL[@]}" -f "$WORK/serial.sql"
t1=$(date +%s.%N)
different=$("${PSQL[@]}" -c "SELECT count(*) FROM (SELECT DISTINCT script, param, result FROM load_results) c
    FULL JOIN load_serial s USING (script, param) WHERE c.result IS DISTINCT FROM s.result")
keys=$("${PSQL[@]}" -c "SELECT count(*) FROM load_serial")

echo "== summary"
tps=$(sed -nE 's/^tps = ([0-9.]+) \(without initial connection time\).*/\1/p' "$WORK/pgbench.out")
echo "   clients $CLIENTS, ${SECONDS_RUN} s: $processed transactions, $tps tps"
awk '/^SQL script [0-9]+:/ {n = split($4, p, "/"); name = p[n]; sub(/\.sql$/, "", name)}
     /^ - [0-9]+ transactions/ {tx = $2; t = $NF; sub(/\)$/, "", t)}
     /^ - latency average/ {printf "   %-16s %6d transactions, %8.2f tps, latency average %s ms\n", name, tx, t, $5}' \
	"$WORK/pgbench.out"
echo "   failed transactions: ${failed:-?}, aborted clients: $aborted, pgbench exit $rc"
echo "   keys with more than one result under load: $inconsistent"
echo "   keys differing from a single-client run: $different of $keys (serial recomputation $(awk "BEGIN {printf \"%.1f\", $t1 - $t0}") s)"
if [[ $rc == 0 && ${failed:-1} == 0 && $aborted == 0 && $inconsistent == 0 && $different == 0 && ${processed:-0} -gt 0 ]]; then
	echo "load: PASS"
	exit 0
fi
echo "load: FAIL"
exit 1
