# shellcheck shell=bash
#
# benchserver.sh - the server a benchmark script runs against.  Source it
# from bash and call benchserver_start once:
#
#     . test/lib/benchserver.sh
#     benchserver_start            # exports PGDATABASE (and PGHOST/PGPORT)
#
# When PGHOST or PGPORT is set, that server is used (database PGDATABASE,
# default postgres).  Otherwise, or when BENCH_PRIVATE=1, a private server
# is started with test/lib/pgserver.sh in a temporary directory (shared
# buffers 1GB, serial plans unless a script sets otherwise) and stopped and
# removed when the script exits (an EXIT trap set here).  Extra server
# settings: PGSERVER_OPTS, as for pgserver.sh.
#
# What the per-row benchmarks (bench_transforms.sh, bench_validation.sh)
# share once the server runs:
#   bench_per_row_setup ROWS TABLE_PREFIX MODEL
#       checks ROWS (a count >= 1000, else exit 2), starts the server, builds
#       TABLE=TABLE_PREFIX_ROWS (id, x: ROWS draws of a fixed mixture, kept
#       between runs) and MODEL (m vgm_model: a 10-component fit of its first
#       100,000 rows); sets ROWS, TABLE, JIT (BENCH_JIT, default off) and PSQL
#       (psql, one value per line, stop on error).

BENCHSERVER_DIR=""

# Stop the private server, if any, and remove its directory.
benchserver_cleanup() {
	if [[ -n $BENCHSERVER_DIR ]]; then
		pgserver_stop_all || true
		rm -rf -- "$BENCHSERVER_DIR"
	fi
}

# Use the server named by the environment, or start a private one.
benchserver_start() {
	local lib_dir
	lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	trap benchserver_cleanup EXIT
	if [[ ${BENCH_PRIVATE:-0} == 1 || (-z ${PGHOST:-} && -z ${PGPORT:-}) ]]; then
		# shellcheck source=pgserver.sh
		. "$lib_dir/pgserver.sh"
		BENCHSERVER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vgm-bench.XXXXXX")
		chmod 711 "$BENCHSERVER_DIR"
		PGSERVER_OPTS="${PGSERVER_OPTS:-} -c shared_buffers=1GB -c max_parallel_workers_per_gather=0" \
			pgserver_start "$BENCHSERVER_DIR/server"
		export PGDATABASE=postgres
		echo "# private server in $BENCHSERVER_DIR/server" >&2
	else
		export PGDATABASE=${PGDATABASE:-postgres}
	fi
}

BENCH_PSQL=(psql -X -q -v ON_ERROR_STOP=1 -A -t)

# bench_per_row_setup ROWS TABLE_PREFIX MODEL - see the top of the file.
bench_per_row_setup() {
	ROWS=$1
	if ! [[ $ROWS =~ ^[0-9]+$ ]] || ((ROWS < 1000)); then
		echo "usage: $0 [ROWS >= 1000]" >&2
		exit 2
	fi
	TABLE=${2}_$ROWS
	# shellcheck disable=SC2034  # for the script that sources this file
	JIT=${BENCH_JIT:-off}
	# shellcheck disable=SC2034
	PSQL=("${BENCH_PSQL[@]}")
	benchserver_start
	bench_mixture_table "$TABLE" "$ROWS"
	bench_fit_model "$3" "$TABLE"
}

# bench_mixture_table TABLE ROWS - x from a mixture of three normals
# (Box-Muller on random() after setseed, so every run builds the same data);
# kept between runs.
bench_mixture_table() {
	local table=$1 rows=$2 have
	"${BENCH_PSQL[@]}" <<-EOF
		SET client_min_messages = warning;
		CREATE EXTENSION IF NOT EXISTS vgm;
		CREATE SCHEMA IF NOT EXISTS vgm_bench;
	EOF
	have=$("${BENCH_PSQL[@]}" -c "SELECT to_regclass('$table') IS NOT NULL")
	[[ $have == t ]] && return 0
	echo "# creating $table ($rows rows)" >&2
	"${BENCH_PSQL[@]}" <<-EOF
		SET max_parallel_workers_per_gather = 0;
		SELECT setseed(0.42);
		CREATE TABLE $table AS
		SELECT id, CASE WHEN u < 0.5 THEN 10 + 2 * z WHEN u < 0.8 THEN 50 + 5 * z ELSE 200 + 20 * z END AS x
		FROM (SELECT id, random() AS u,
		             sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z
		      FROM generate_series(1, $rows::bigint) id) s;
		ALTER TABLE $table SET (autovacuum_enabled = off);
		VACUUM ANALYZE $table;
	EOF
}

# bench_fit_model MODEL TABLE - the benchmark's model, fitted afresh.
bench_fit_model() {
	"${BENCH_PSQL[@]}" <<-EOF
		SET client_min_messages = warning;
		DROP TABLE IF EXISTS $1;
		CREATE TABLE $1 AS
		SELECT vgm_fit(array_agg(x), max_components => 10, seed => 42) AS m
		FROM (SELECT x FROM $2 ORDER BY id LIMIT 100000) s;
	EOF
}
