# shellcheck shell=bash
#
# servers_tap.sh - what the shell tests that run several private servers
# share (test/multinode/run.sh, test/citus/run.sh): TAP output (tap.sh),
# starting one server per node in one directory, psql on a node, and
# cleanup.  Source it after test/lib/pgserver.sh and set DB (the test
# database).  On exit every server started by the shell is stopped and BASE
# removed (kept with KEEP_TMP=1); the exit status is the script's.
#
#   servers_start PREFIX DESCRIPTION NODE...   start the servers, one TAP line
#   q NODE PSQL-ARGS...          psql on NODE, database ${QDB:-$DB}; a script
#                                may redefine q (e.g. node-specific options)
#   node_psql NODE PSQL-ARGS...  what the default q runs: PGOPTIONS from
#                                NODE_PGOPTIONS (default: errors only)
#   node_port NODE               the port of NODE's server
#   tap_sql NODE DESCRIPTION SQL [DIAG-SQL]   SQL returns one boolean
#   ship NODE SQL TARGET-NODE TABLE           COPY SQL's rows as text from NODE
#                                             into TABLE on TARGET-NODE
#   plus tap, bail, tap_finish, T and FAILED from tap.sh; BASE is the
#   directory holding the servers.

# shellcheck source=tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

BASE=""

# Stop the servers and remove BASE, keeping the script's exit status.
servers_cleanup() {
	local rc=$?
	trap - EXIT
	pgserver_stop_all >/dev/null 2>&1 || true
	if [[ -n $BASE && -d $BASE ]]; then
		if [[ ${KEEP_TMP:-0} == 1 ]]; then
			echo "# kept $BASE" >&2
		else
			rm -rf -- "$BASE"
		fi
	fi
	exit "$rc"
}
trap servers_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# servers_start PREFIX DESCRIPTION NODE... - BASE (a new directory named
# PREFIX.XXXXXX) with one server per NODE in BASE/NODE (PGSERVER_OPTS
# apply); one TAP line; bails when a server did not start.
servers_start() {
	local prefix=$1 desc=$2 node started=t
	shift 2
	_pgserver_init || bail "no PostgreSQL binaries (PG_CONFIG=${PG_CONFIG:-unset})"
	BASE=$(mktemp -d "${TMPDIR:-/tmp}/$prefix.XXXXXX") || bail "mktemp failed"
	# the servers' owner must reach the subdirectories (see pgserver.sh)
	chmod 711 "$BASE"
	for node in "$@"; do
		if ! pgserver_start "$BASE/$node" 2>"$BASE/start-$node.log"; then
			started=f
			cat "$BASE/start-$node.log" >&2
		fi
	done
	tap "$started" "$desc"
	[[ $started == t ]] || bail "could not start the servers"
}

# node_psql NODE PSQL-ARGS... - psql on NODE's server, database ${QDB:-$DB}.
node_psql() {
	local node=$1
	shift
	(
		pgserver_use "$BASE/$node" &&
			PGOPTIONS="${NODE_PGOPTIONS:--c client_min_messages=error}" \
				"$PGSERVER_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "${QDB:-$DB}" "$@"
	)
}

# q NODE PSQL-ARGS... - psql on NODE (scripts may redefine it).
q() { node_psql "$@"; }

# node_port NODE - print the port of NODE's server.
node_port() {
	# shellcheck source=/dev/null
	(. "$BASE/$1/pgserver.env" && echo "$PGSERVER_PORT")
}

# tap_sql NODE DESCRIPTION SQL [DIAG-SQL] - one test: SQL on NODE returns
# "t"; on failure DIAG-SQL (if given) is run for the diagnostics.
tap_sql() {
	local node=$1 desc=$2 sql=$3 diag=${4:-} out
	out=$(q "$node" -Atc "$sql" 2>&1)
	if [[ $out != t && -n $diag ]]; then
		out+=$'\n'$(q "$node" -Atc "$diag" 2>&1)
	fi
	tap "$out" "$desc" "got: $out"
}

# ship NODE SQL TARGET-NODE TABLE - the rows of SQL on NODE, in their text
# form, into TABLE on TARGET-NODE (COPY TO STDOUT | COPY FROM STDIN).
ship() {
	q "$1" -c "COPY ($2) TO STDOUT" | q "$3" -c "COPY $4 FROM STDIN"
}
