#!/usr/bin/env bash
#
# bench_binary_io.sh - speed of the binary forms of vgm_summary and
# vgm_model (vgm_*_send / vgm_*_recv, src/binary_codec.c): COPY of a table of
# stored values to a file and back in FORMAT binary.
#
# Usage: test/bench/bench_binary_io.sh
#
# Connection: as test/bench/bench_validation.sh (PGHOST/PGPORT, or a private
# server started with test/lib/pgserver.sh; the extension must be
# installed).
#
# Environment:
#   BENCH_REPS=15       rounds; every round runs every COPY once, and the
#                       fastest time of each is reported
#   BENCH_COMPARE_LIB   another build of vgm.so (e.g. of an older commit) to
#                       compare with in the same run: it is copied into
#                       pg_config's pkglibdir as vgm_compare.so, a second
#                       database vgm_bench_cmp gets the extension with its C
#                       functions pointed at that file (pg_proc.probin; the
#                       SQL of both builds must declare the same functions),
#                       and each round times both builds back to back.
#                       Needs a private server (or one you may do this to).
#   PG_CONFIG           pg_config of the server (for the pkglibdir)
#
# What is timed: COPY ... TO 'file' (FORMAT binary) (send of every value)
# and COPY ... FROM 'file' (FORMAT binary) into an emptied table (recv and
# validation of every value), with clock_timestamp() inside the server; the
# files live in the data directory; the values are stored uncompressed (STORAGE
# EXTERNAL), so that pglz does not dominate the times.  Tables: 20 summaries of 50,000 distinct
# doubles each (~25,000 buckets), 2,000 small summaries (~100 buckets) and
# 2,000 models (k = 10).
set -euo pipefail

REPS=${BENCH_REPS:-15}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/benchserver.sh
. "$HERE/../lib/benchserver.sh"
benchserver_start

q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# the tables, built deterministically (the same bytes in every database)
setup_sql="
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS vgm;
DROP TABLE IF EXISTS bench_big, bench_small, bench_models, bench_in_big, bench_in_small, bench_in_models;
CREATE TABLE bench_big (g int, s vgm_summary);
CREATE TABLE bench_small (g int, s vgm_summary);
CREATE TABLE bench_models (g int, m vgm_model);
-- stored uncompressed, so that pglz does not dominate the times of COPY
ALTER TABLE bench_big ALTER s SET STORAGE EXTERNAL;
ALTER TABLE bench_small ALTER s SET STORAGE EXTERNAL;
ALTER TABLE bench_models ALTER m SET STORAGE EXTERNAL;
INSERT INTO bench_big
  SELECT g, vgm_summarize(sin(g * 1000 + i) * 1000 + i * 1e-3)
  FROM generate_series(1, 20) g, generate_series(1, 50000) i GROUP BY g;
INSERT INTO bench_small
  SELECT g, vgm_summarize(round((sin(g + i) * 10)::numeric, 1)::float8)
  FROM generate_series(1, 2000) g, generate_series(1, 100) i GROUP BY g;
INSERT INTO bench_models
  SELECT g, vgm_fit(s, max_components => 10, seed => 42) FROM bench_small WHERE g <= 100;
INSERT INTO bench_models SELECT g + 100 * r, m FROM bench_models, generate_series(1, 19) r;
CREATE TABLE bench_in_big (LIKE bench_big INCLUDING STORAGE);
CREATE TABLE bench_in_small (LIKE bench_small INCLUDING STORAGE);
CREATE TABLE bench_in_models (LIKE bench_models INCLUDING STORAGE);
SELECT count(*), sum((vgm_summary_info(s)).buckets) FROM bench_big;
"

DBS=("$PGDATABASE")
LABELS=("installed")
if [[ -n ${BENCH_COMPARE_LIB:-} ]]; then
	libdir=$("${PG_CONFIG:-pg_config}" --pkglibdir)
	cp "$BENCH_COMPARE_LIB" "$libdir/vgm_compare.so"
	q -c "DROP DATABASE IF EXISTS vgm_bench_cmp" -c "CREATE DATABASE vgm_bench_cmp"
	q -d vgm_bench_cmp -c "CREATE EXTENSION vgm" \
		-c "UPDATE pg_proc SET probin = '\$libdir/vgm_compare' WHERE probin = '\$libdir/vgm'"
	DBS+=(vgm_bench_cmp)
	LABELS+=("compare ($(basename "$BENCH_COMPARE_LIB"))")
fi
for db in "${DBS[@]}"; do
	echo "# $db: $(q -d "$db" -c "$setup_sql" | tail -n 1) (summaries|buckets of the big table)"
done

# One timed COPY (%L stands for FILE in the data directory); prints seconds.
timed() {
	local out
	out=$(q -d "$1" -c "DO \$\$ DECLARE t0 timestamptz := clock_timestamp(); BEGIN
		EXECUTE format(\$q\$$2\$q\$, current_setting('data_directory') || '/$3');
		RAISE NOTICE '%', extract(epoch FROM clock_timestamp() - t0); END \$\$" 2>&1) || {
		echo "$out" >&2
		return 1
	}
	sed -n 's/^NOTICE: *//p' <<<"$out"
}

declare -A best
CASES=(big small models)
for ((r = 1; r <= REPS; r++)); do
	for i in "${!DBS[@]}"; do
		db=${DBS[$i]}
		for c in "${CASES[@]}"; do
			send=$(timed "$db" "COPY bench_$c TO %L (FORMAT binary)" "bench_$c.bin")
			q -d "$db" -c "TRUNCATE bench_in_$c"
			recv=$(timed "$db" "COPY bench_in_$c FROM %L (FORMAT binary)" "bench_$c.bin")
			for kv in "send:$send" "recv:$recv"; do
				key="$i|$c|${kv%%:*}"
				v=${kv#*:}
				if [[ -z ${best[$key]:-} ]] || awk -v a="$v" -v b="${best[$key]}" 'BEGIN{exit !(a < b)}'; then
					best[$key]=$v
				fi
			done
		done
	done
done

# the copies must be the same values
for i in "${!DBS[@]}"; do
	same=$(q -d "${DBS[$i]}" -c "SELECT (SELECT count(*) FROM bench_big a JOIN bench_in_big b USING (g) WHERE a.s = b.s)
		+ (SELECT count(*) FROM bench_small a JOIN bench_in_small b USING (g) WHERE a.s = b.s)
		+ (SELECT count(*) FROM bench_models a JOIN bench_in_models b USING (g) WHERE a.m = b.m)")
	echo "# ${LABELS[$i]}: $same of 4020 values came back equal"
done

printf '%-22s %-8s' "table" "copy"
for l in "${LABELS[@]}"; do printf ' %14s' "${l:0:14} ms"; done
((${#DBS[@]} > 1)) && printf ' %10s' "ratio"
echo
for c in "${CASES[@]}"; do
	for dir in send recv; do
		printf '%-22s %-8s' "bench_$c" "$dir"
		for i in "${!DBS[@]}"; do
			printf ' %14.1f' "$(awk -v s="${best[$i|$c|$dir]}" 'BEGIN{print s * 1000}')"
		done
		if ((${#DBS[@]} > 1)); then
			printf ' %10.3f' "$(awk -v a="${best[0|$c|$dir]}" -v b="${best[1|$c|$dir]}" 'BEGIN{print a / b}')"
		fi
		echo
	done
done
echo "# best of $REPS rounds; ratio = installed / compare"
