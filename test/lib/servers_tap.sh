# shellcheck shell=bash
#
# servers_tap.sh - TAP output and cleanup shared by the shell tests that run
# several private servers (test/multinode/run.sh, test/citus/run.sh).
# Source it after test/lib/pgserver.sh; then set BASE to the directory that
# holds the servers (created by the script).  On exit every server started
# by the shell is stopped and BASE removed (kept with KEEP_TMP=1); the exit
# status is the script's.
#
#   tap RESULT DESCRIPTION [DIAGNOSTICS]   one test; RESULT "t" passes
#   bail MESSAGE...                        "Bail out!" and exit 1
#   T, FAILED                              tests run and failed so far

T=0
FAILED=0
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

# tap RESULT DESCRIPTION [DIAGNOSTICS] - RESULT "t" passes.
tap() {
	T=$((T + 1))
	if [[ $1 == t ]]; then
		echo "ok $T - $2"
	else
		echo "not ok $T - $2"
		FAILED=$((FAILED + 1))
		if [[ -n ${3:-} ]]; then printf '%s\n' "$3" | head -c 3000 | sed 's/^/#   /'; echo; fi
	fi
}

# bail MESSAGE... - stop the whole test.
bail() {
	echo "Bail out! $*"
	exit 1
}
