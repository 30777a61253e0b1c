# shellcheck shell=bash
#
# pgserver.sh - start and stop PRIVATE PostgreSQL servers for tests,
# benchmarks and demos.  Source it from bash:
#
#     . test/lib/pgserver.sh
#     dir=$(mktemp -d)
#     PGSERVER_OPTS="-c shared_preload_libraries=vgm" pgserver_start "$dir"
#     psql -d postgres -c 'select 1'      # PGHOST/PGPORT/PGUSER are exported
#     pgserver_stop                       # stops the current server
#     rm -rf "$dir"
#
# A private server lives entirely inside the directory given to
# pgserver_start: data directory, unix socket directory and log file.  By
# default it listens on that socket only (listen_addresses = ''), so it can
# neither collide with nor be reached through the machine's normal servers,
# and nothing outside that directory is ever touched.
#
# Functions
#   pgserver_start DIR     initdb + start a server in DIR (created if needed).
#                          Exports the "current server" variables below.
#   pgserver_stop [DIR]    stop the server in DIR (default: the current one).
#                          Does not delete DIR; the caller owns it.
#   pgserver_stop_all      stop every server started by this shell (for traps).
#   pgserver_use DIR       make the server in DIR current again (re-exports
#                          the variables from DIR/pgserver.env).
#   pgserver_as_owner CMD...  run CMD as the server's owner: directly when not
#                          root, through `runuser -u postgres --` when root
#                          (PostgreSQL refuses to run as root).
#   pgserver_psql ARGS...  psql -X -q -v ON_ERROR_STOP=1 against the current
#                          server (database defaults to "postgres").
#
# Several servers at once: call pgserver_start once per directory.  Each call
# picks its own free port and overwrites the "current server" variables; the
# state of every server is also saved in DIR/pgserver.env, so switch between
# servers with `pgserver_use DIR`, or copy the variables away after each start:
#     base=$(mktemp -d); chmod 711 "$base"   # see "root" below
#     pgserver_start "$base/s1"; port1=$PGSERVER_PORT
#     pgserver_start "$base/s2"; port2=$PGSERVER_PORT
#     pgserver_use "$base/s1"   # PGHOST/PGPORT point at the first server again
#     trap 'pgserver_stop_all; rm -rf "$base"' EXIT
#
# When run as root, DIR is chown'ed to the postgres user, which runs the
# server; every parent of DIR must be traversable by postgres (mktemp -d
# makes 0700 directories, hence the chmod 711 above when servers live in
# subdirectories of one).  Clients (psql, pg_regress, tests) may stay root.
#
# Variables exported by pgserver_start / pgserver_use (current server)
#   PGSERVER_DIR      the directory given to pgserver_start
#   PGSERVER_DATA     DIR/data       data directory
#   PGSERVER_SOCKDIR  DIR/sock       unix socket directory
#   PGSERVER_LOG      DIR/postgres.log
#   PGSERVER_PORT     chosen port
#   PGHOST=$PGSERVER_SOCKDIR  PGPORT=$PGSERVER_PORT  PGUSER=postgres
#   and PGHOSTADDR/PGSERVICE are unset, as they would override PGHOST/PGPORT.
#
# Inputs (environment, all optional)
#   PG_CONFIG           pg_config to use; default /usr/lib/postgresql/15/bin/
#                       pg_config if present, else `pg_config` on PATH.
#   PGSERVER_OPTS       extra server settings as postgres command-line
#                       options, e.g. "-c shared_preload_libraries=vgm
#                       -c listen_addresses=127.0.0.1".  They override the
#                       defaults written by pgserver_start.  Shell quoting
#                       works for values with spaces (pg_ctl runs them
#                       through /bin/sh).
#   PGSERVER_BASE_PORT  first port tried (default 55432), scanning upward.
#   PGSERVER_OWNER      OS user that runs the server when we are root
#                       (default postgres).
#
# Everything informational goes to stderr; functions return non-zero on
# failure (they never call exit), so callers may use them under set -e.

# Directories of every server started by this shell and not yet stopped.
if ! declare -p PGSERVER_STARTED >/dev/null 2>&1; then
	PGSERVER_STARTED=()
fi

# Resolve pg_config and the binary directory once.
_pgserver_init() {
	if [[ -z ${PG_CONFIG:-} ]]; then
		if [[ -x /usr/lib/postgresql/15/bin/pg_config ]]; then
			PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
		else
			PG_CONFIG=pg_config
		fi
	fi
	if [[ -z ${PGSERVER_BINDIR:-} ]]; then
		PGSERVER_BINDIR=$("$PG_CONFIG" --bindir) || {
			echo "pgserver: cannot run $PG_CONFIG --bindir" >&2
			return 1
		}
	fi
	export PG_CONFIG PGSERVER_BINDIR
}

_pgserver_log() { echo "pgserver: $*" >&2; }

# pgserver_as_owner CMD... - run CMD as the OS user owning the server files.
pgserver_as_owner() {
	if [[ $(id -u) -ne 0 ]]; then
		"$@"
		return
	fi
	local owner=${PGSERVER_OWNER:-postgres}
	# runuser keeps the working directory; pg_ctl/initdb fail if the owner
	# cannot enter it (e.g. /root), so fall back to / in that case.
	if runuser -u "$owner" -- test -x . 2>/dev/null; then
		runuser -u "$owner" -- "$@"
	else
		(cd / && runuser -u "$owner" -- "$@")
	fi
}

# _pgserver_port_busy PORT - true if anything appears to use PORT already.
_pgserver_port_busy() {
	local port=$1 d s rc
	# Servers started by this shell listen on private sockets that the checks
	# below cannot see, so remember their ports explicitly.
	for d in "${PGSERVER_STARTED[@]}"; do
		[[ -f $d/pgserver.env ]] && grep -qx "export PGSERVER_PORT=$port" "$d/pgserver.env" && return 0
	done
	# Unix socket files of system-wide servers on the conventional dirs.
	for s in /var/run/postgresql /run/postgresql /tmp; do
		[[ -e $s/.s.PGSQL.$port || -e $s/.s.PGSQL.$port.lock ]] && return 0
	done
	# A PostgreSQL (or anything that answers) on TCP.  pg_isready: 0 accepting,
	# 1 rejecting, 2 no response, 3 bad parameters.
	rc=0
	"$PGSERVER_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2 >/dev/null 2>&1 || rc=$?
	[[ $rc -eq 0 || $rc -eq 1 ]] && return 0
	# Any other TCP listener (bash's /dev/tcp connects or fails at once).
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		return 0
	fi
	return 1
}

# _pgserver_pick_port START - print the first port >= START that looks free.
_pgserver_pick_port() {
	local port=$1 last=$(($1 + 500))
	while ((port <= last)); do
		if ! _pgserver_port_busy "$port"; then
			echo "$port"
			return 0
		fi
		port=$((port + 1))
	done
	_pgserver_log "no free port in $1..$last"
	return 1
}

# _pgserver_export DIR PORT - set the current-server variables, save them.
_pgserver_export() {
	local dir=$1 port=$2
	export PGSERVER_DIR=$dir
	export PGSERVER_DATA=$dir/data
	export PGSERVER_SOCKDIR=$dir/sock
	export PGSERVER_LOG=$dir/postgres.log
	export PGSERVER_PORT=$port
	export PGHOST=$PGSERVER_SOCKDIR PGPORT=$port PGUSER=postgres
	# Either would make libpq connect somewhere other than PGHOST/PGPORT.
	unset PGHOSTADDR PGSERVICE
	# %q quoting so the file can be sourced back even with odd paths.
	{
		printf 'export PGSERVER_DIR=%q\n' "$PGSERVER_DIR"
		printf 'export PGSERVER_DATA=%q\n' "$PGSERVER_DATA"
		printf 'export PGSERVER_SOCKDIR=%q\n' "$PGSERVER_SOCKDIR"
		printf 'export PGSERVER_LOG=%q\n' "$PGSERVER_LOG"
		printf 'export PGSERVER_PORT=%s\n' "$port"
		printf 'export PGHOST=%q\n' "$PGSERVER_SOCKDIR"
		printf 'export PGPORT=%s\n' "$port"
		printf 'export PGUSER=postgres\n'
		printf 'unset PGHOSTADDR PGSERVICE\n'
	} >"$dir/pgserver.env"
}

# pgserver_start DIR
pgserver_start() {
	local dir=${1:?usage: pgserver_start DIR}
	_pgserver_init || return 1
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd) || return 1
	if [[ -e $dir/data ]]; then
		_pgserver_log "$dir/data already exists; use a fresh directory"
		return 1
	fi
	mkdir -p "$dir/sock" || return 1

	if [[ $(id -u) -eq 0 ]]; then
		local owner=${PGSERVER_OWNER:-postgres}
		if ! id "$owner" >/dev/null 2>&1; then
			_pgserver_log "running as root but user '$owner' does not exist (install postgresql-15 or set PGSERVER_OWNER)"
			return 1
		fi
		chown -R "$owner:" "$dir" || return 1
		# The owner must be able to reach DIR, e.g. not below /root.
		if ! runuser -u "$owner" -- test -w "$dir"; then
			_pgserver_log "user '$owner' cannot write $dir: a parent directory is private (chmod 711 it) or TMPDIR points below e.g. /root"
			return 1
		fi
	fi

	# Sockets carry the directory in their path; the path limit is ~107 bytes.
	if ((${#dir} + 20 > 107)); then
		_pgserver_log "socket path under $dir is too long for a unix socket"
		return 1
	fi

	# --no-sync: the cluster is throw-away, so skip the slow fsyncs.
	if ! pgserver_as_owner "$PGSERVER_BINDIR/initdb" -D "$dir/data" \
		--auth=trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 \
		>"$dir/initdb.log" 2>&1; then
		_pgserver_log "initdb failed:"
		cat "$dir/initdb.log" >&2
		return 1
	fi
	# Our settings go into an included file so a retry can rewrite the port.
	echo "include 'pgserver.conf'" >>"$dir/data/postgresql.conf"

	local port=${PGSERVER_BASE_PORT:-55432} _attempt
	for _attempt in 1 2 3 4 5; do
		port=$(_pgserver_pick_port "$port") || return 1
		# Written by the caller's user, then handed to the owner.
		cat >"$dir/data/pgserver.conf" <<-EOF
			# written by test/lib/pgserver.sh
			port = $port
			listen_addresses = ''
			unix_socket_directories = '$dir/sock'
			fsync = off
			synchronous_commit = off
			full_page_writes = off
			max_connections = 50
		EOF
		[[ $(id -u) -eq 0 ]] && chown "${PGSERVER_OWNER:-postgres}:" "$dir/data/pgserver.conf"
		# Claim the port before starting so _pgserver_port_busy skips it
		# when several servers are started in a row.
		_pgserver_export "$dir" "$port"
		PGSERVER_STARTED+=("$dir")
		if pgserver_as_owner "$PGSERVER_BINDIR/pg_ctl" -D "$dir/data" \
			-l "$dir/postgres.log" -w -t 120 -o "${PGSERVER_OPTS:-}" start \
			>"$dir/pg_ctl.log" 2>&1; then
			_pgserver_log "server started: port $port, socket dir $dir/sock, log $dir/postgres.log"
			return 0
		fi
		_pgserver_forget "$dir"
		# Lost a race for the port with someone else?  Try the next one.
		if grep -qiE 'could not bind|address already in use|lock file .* already exists' \
			"$dir/postgres.log" 2>/dev/null; then
			_pgserver_log "port $port taken, retrying"
			port=$((port + 1))
			continue
		fi
		break
	done
	_pgserver_log "server failed to start; pg_ctl said:"
	cat "$dir/pg_ctl.log" >&2
	if [[ -f $dir/postgres.log ]]; then
		_pgserver_log "last lines of $dir/postgres.log:"
		tail -n 30 "$dir/postgres.log" >&2
	fi
	return 1
}

# Remove DIR from PGSERVER_STARTED.
_pgserver_forget() {
	local d keep=()
	for d in "${PGSERVER_STARTED[@]}"; do
		[[ $d == "$1" ]] || keep+=("$d")
	done
	PGSERVER_STARTED=("${keep[@]}")
}

# pgserver_use DIR
pgserver_use() {
	local dir=${1:?usage: pgserver_use DIR}
	if [[ ! -f $dir/pgserver.env ]]; then
		_pgserver_log "no server state in $dir"
		return 1
	fi
	# shellcheck disable=SC1091
	. "$dir/pgserver.env"
}

# pgserver_stop [DIR] - fast shutdown; immediate if that does not finish.
pgserver_stop() {
	local dir=${1:-${PGSERVER_DIR:-}}
	[[ -n $dir ]] || return 0
	_pgserver_init || return 1
	_pgserver_forget "$dir"
	# No postmaster.pid: never started or already stopped.
	[[ -f $dir/data/postmaster.pid ]] || return 0
	if ! pgserver_as_owner "$PGSERVER_BINDIR/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop \
		>>"$dir/pg_ctl.log" 2>&1; then
		_pgserver_log "fast shutdown of $dir failed, trying immediate"
		pgserver_as_owner "$PGSERVER_BINDIR/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop \
			>>"$dir/pg_ctl.log" 2>&1 || {
			_pgserver_log "could not stop the server in $dir"
			return 1
		}
	fi
	_pgserver_log "server in $dir stopped"
}

# pgserver_stop_all - stop every server this shell started.
pgserver_stop_all() {
	local d rc=0
	for d in "${PGSERVER_STARTED[@]}"; do
		pgserver_stop "$d" || rc=1
	done
	return $rc
}

# pgserver_psql ARGS... - psql against the current server.
pgserver_psql() {
	_pgserver_init || return 1
	"$PGSERVER_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 \
		-h "$PGSERVER_SOCKDIR" -p "$PGSERVER_PORT" -U postgres -d postgres "$@"
}
