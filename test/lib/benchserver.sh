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
# What the benchmarks share once the server runs (one library, so that
# every script times and reports the same way):
#   bench_start ROWS
#       checks ROWS (a count >= 1000, else exit 2), starts the server and
#       makes sure of the extension and schema vgm_bench; sets ROWS, JIT
#       (BENCH_JIT, default off) and PSQL (psql, one value per line, stop on
#       error).
#   bench_per_row_setup ROWS TABLE_PREFIX MODEL
#       bench_start, then TABLE=TABLE_PREFIX_ROWS (id, x: ROWS draws of a
#       fixed mixture, kept between runs) and MODEL (m vgm_model: a
#       10-component fit of its first 100,000 rows).
#   bench_joint_start ROWS
#       bench_start, then TABLE=vgm_bench.joint_ROWS, the joint benchmarks'
#       table (id, a, b, c, d, x = ARRAY[a, b, c, d]), kept between runs.
#   bench_queries_sql [MODEL_TABLE MODEL_TYPE] <<< "NAME<TAB>SQL lines"
#       prints the SQL of the settings every benchmark runs with (serial
#       plans, jit = JIT) and of the temp table bench_queries (n, name, sql),
#       one row per line read; with a model table, :model_text is its model's text and %M in SQL
#       becomes that model as a MODEL_TYPE literal (a Const in every plan).
#   bench_timing_sql
#       prints the SQL of pg_temp.cpu_ns() and pg_temp.best_ms(reps), which
#       time every row of a temp table bench_queries (n, name, sql); paste
#       it into the script psql runs.
#   bench_ratio_report TITLE
#       a filter from best_ms's rows (name, wall ms, cpu ms) to the table
#       with ns/row and the ratio to the first line.

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

# bench_start ROWS - see the top of the file.
bench_start() {
	ROWS=$1
	if ! [[ $ROWS =~ ^[0-9]+$ ]] || ((ROWS < 1000)); then
		echo "usage: $0 [ROWS >= 1000]" >&2
		exit 2
	fi
	# shellcheck disable=SC2034  # for the script that sources this file
	JIT=${BENCH_JIT:-off}
	# shellcheck disable=SC2034
	PSQL=("${BENCH_PSQL[@]}")
	benchserver_start
	"${BENCH_PSQL[@]}" <<-EOF
		SET client_min_messages = warning;
		CREATE EXTENSION IF NOT EXISTS vgm;
		CREATE SCHEMA IF NOT EXISTS vgm_bench;
	EOF
}

# bench_per_row_setup ROWS TABLE_PREFIX MODEL - see the top of the file.
bench_per_row_setup() {
	bench_start "$1"
	TABLE=${2}_$ROWS
	bench_mixture_table "$TABLE" "$ROWS"
	bench_fit_model "$3" "$TABLE"
}

# bench_build_table TABLE ROWS SEED SELECT - unless TABLE exists, CREATE TABLE
# TABLE AS SELECT (which reads $rows draws of random() after setseed(SEED),
# so every run builds the same data), without autovacuum, analyzed.
bench_build_table() {
	if [[ $("${BENCH_PSQL[@]}" -c "SELECT to_regclass('$1') IS NOT NULL") == t ]]; then
		return 0
	fi
	echo "# creating $1 ($2 rows)" >&2
	"${BENCH_PSQL[@]}" <<-EOF
		SET max_parallel_workers_per_gather = 0;
		SELECT setseed($3);
		CREATE TABLE $1 AS $4;
		ALTER TABLE $1 SET (autovacuum_enabled = off);
		VACUUM ANALYZE $1;
	EOF
}

# bench_mixture_table TABLE ROWS - x from a mixture of three normals
# (Box-Muller on random()); kept between runs.
bench_mixture_table() {
	bench_build_table "$1" "$2" 0.42 "
		SELECT id, CASE WHEN u < 0.5 THEN 10 + 2 * z WHEN u < 0.8 THEN 50 + 5 * z ELSE 200 + 20 * z END AS x
		FROM (SELECT id, random() AS u,
		             sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z
		      FROM generate_series(1, $2::bigint) id) s"
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

# bench_joint_start ROWS - bench_start, then the joint benchmarks' table
# TABLE=vgm_bench.joint_ROWS: (id, a, b, c, d, x = ARRAY[a, b, c, d]) from a
# mixture of three correlated normals; kept between runs.
bench_joint_start() {
	bench_start "$1"
	TABLE=vgm_bench.joint_$ROWS
	bench_build_table "$TABLE" "$ROWS" 0.17 "
		SELECT id, a, b, c, d, ARRAY[a, b, c, d] AS x
		FROM (SELECT id, 3 * g + z1 AS a, 0.5 * z1 + z2 - g AS b, 10 + 2 * z3 + g * z1 AS c,
		             100 * g + 5 * z4 + z2 AS d
		      FROM (SELECT id, floor(3 * random()) AS g,
		                   sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z1,
		                   sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z2,
		                   sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z3,
		                   sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z4
		            FROM generate_series(1, $ROWS::bigint) id) s) t"
}

# bench_queries_sql [MODEL_TABLE MODEL_TYPE] - the queries, see the top of the file.
bench_queries_sql() {
	local name sql q="'" rows=()
	echo "SET max_parallel_workers_per_gather = 0;"
	echo "SET jit = $JIT;"
	echo "CREATE TEMP TABLE bench_queries (n serial, name text, sql text);"
	while IFS=$'\t' read -r name sql; do
		[[ -n $name ]] && rows+=("('${name//$q/$q$q}', '${sql//$q/$q$q}')")
	done
	(IFS=,; echo "INSERT INTO bench_queries (name, sql) VALUES ${rows[*]};")
	if [[ -n ${1:-} ]]; then
		echo "SELECT m::text AS model_text FROM $1 \\gset"
		echo "UPDATE bench_queries SET sql = replace(sql, '%M', quote_literal(:'model_text') || '::$2');"
	fi
}

# bench_timing_sql - the timing functions, see the top of the file.
bench_timing_sql() {
	cat <<-'EOF'
		-- CPU time of this backend in ns (Linux /proc/self/schedstat: time on a
		-- CPU, not waiting for one), or NULL when the server cannot read it
		CREATE FUNCTION pg_temp.cpu_ns() RETURNS float8 LANGUAGE plpgsql AS $$
		BEGIN
		    RETURN split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::float8;
		EXCEPTION WHEN OTHERS THEN
		    RETURN NULL;
		END $$;
		-- REPS rounds over all queries (round robin, so a burst of load elsewhere
		-- hits every query alike); the fastest run of each query is reported
		CREATE FUNCTION pg_temp.best_ms(reps int) RETURNS TABLE (n int, name text, wall_ms float8, cpu_ms float8)
		LANGUAGE plpgsql AS $$
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
		END $$;
	EOF
}

# bench_ratio_report TITLE - best_ms's rows on stdin to the report: ns/row and
# the ratio to the first line, from CPU time when the first line took at
# least 100 ms of it (CPU time is counted in scheduler ticks), else from wall time.
bench_ratio_report() {
	awk -F '\t' -v title="$1" -v rows="$ROWS" '
		BEGIN { printf "%-52s %9s %9s %8s %7s\n", title, "wall ms", "cpu ms", "ns/row", "ratio" }
		NR == 1 { use_cpu = ($3 != "" && $3 >= 100) }
		{ t = (use_cpu ? $3 : $2)
		  if (NR == 1) base = (t > 0 ? t : 1e-9)
		  printf "%-52s %9.1f %9s %8.1f %6.2fx\n", $1, $2, ($3 == "" ? "n/a" : sprintf("%.1f", $3)), t * 1e6 / rows, t / base }
		END { if (!use_cpu)
		        print "# ns/row and ratios from wall time (CPU time unavailable or below 100 ms)" }'
}
