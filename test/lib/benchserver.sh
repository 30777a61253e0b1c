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
