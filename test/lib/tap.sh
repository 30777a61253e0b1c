# shellcheck shell=bash
#
# tap.sh - TAP output for the shell tests (test/multinode/run.sh,
# test/citus/run.sh through servers_tap.sh, test/unit/sanitize.sh): one
# counter, one way to print a result, a bail-out and a closing plan, so that
# every shell test reports alike and run_all.sh counts them alike.
#
#   tap RESULT DESCRIPTION [DIAGNOSTICS]   one test; RESULT "t" or "ok" passes
#   bail MESSAGE...                        "Bail out!" and exit 1
#   tap_finish                             the plan "1..T", the elapsed time,
#                                          exit 0 when nothing failed, else 1
#   T, FAILED                              tests run and failed so far

T=0
FAILED=0

# tap RESULT DESCRIPTION [DIAGNOSTICS] - print one test line; diagnostics
# (cut to 3000 bytes) only on failure.
tap() {
	T=$((T + 1))
	if [[ $1 == t || $1 == ok ]]; then
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

# tap_finish - the plan and the exit status of a test script.
tap_finish() {
	echo "1..$T"
	echo "# ${SECONDS}s"
	if ((FAILED > 0)); then
		echo "# $FAILED of $T failed"
		exit 1
	fi
	exit 0
}
