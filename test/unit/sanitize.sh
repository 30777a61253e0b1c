#!/usr/bin/env bash
#
# sanitize.sh - build every test/unit/test_*.c with AddressSanitizer (and
# LeakSanitizer) and UndefinedBehaviorSanitizer, run each, and print one TAP
# stream: every test of every binary, renumbered and prefixed with the
# binary's name, plus one line per binary saying it exited cleanly with no
# sanitizer report (any report aborts the binary: -fno-sanitize-recover=all).
#
# Usage: test/unit/sanitize.sh [test_name...]     (default: all)
# Environment: CC (default gcc), PG_CONFIG (passed to make, which includes
# PGXS to read CORE_SRCS / UNIT_LIBS), SANITIZE_BUILD (default
# test/unit/bin/sanitize, which .gitignore and make clean cover).
#
# The sources and libraries come from the Makefile (CORE_SRCS, UNIT_LIBS), so
# this builds exactly what `make unittest` builds, with sanitizers on.
set -uo pipefail

UNIT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$UNIT_DIR/../.." && pwd)
CC=${CC:-gcc}
OUT=${SANITIZE_BUILD:-$UNIT_DIR/bin/sanitize}
mkdir -p "$OUT"

make_var() {
	make -s --no-print-directory -C "$REPO" ${PG_CONFIG:+PG_CONFIG="$PG_CONFIG"} \
		--eval='sanitize-print-%: ; @echo $($*)' "sanitize-print-$1"
}
read -ra CORE_SRCS <<<"$(make_var CORE_SRCS)"
read -ra UNIT_LIBS <<<"$(make_var UNIT_LIBS)"
if ((${#CORE_SRCS[@]} == 0)); then
	echo "Bail out! cannot read CORE_SRCS from the Makefile"
	exit 1
fi

SAN=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
CFLAGS=(-O1 -g -Wall -Wextra -std=gnu11 -I"$REPO/src" "${SAN[@]}")
# detect_leaks: LeakSanitizer at exit; abort_on_error: a core-style abort so
# the exit status is non-zero; OpenBLAS threads are left alone.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OPENBLAS_NUM_THREADS=1

if (($#)); then
	tests=()
	for t in "$@"; do tests+=("$UNIT_DIR/${t%.c}.c"); done
else
	mapfile -t tests < <(find "$UNIT_DIR" -maxdepth 1 -name 'test_*.c' | LC_ALL=C sort)
fi

# shellcheck source=../lib/tap.sh
. "$REPO/test/lib/tap.sh"

for src in "${tests[@]}"; do
	name=$(basename "$src" .c)
	bin=$OUT/$name
	log=$OUT/$name.log
	# a test that #includes a core source (see the Makefile) is linked without it
	mapfile -t included < <(sed -n 's|^#include "\([a-z_]*\.c\)".*|src/\1|p' "$src")
	srcs=()
	for f in "${CORE_SRCS[@]}"; do
		[[ " ${included[*]} " == *" $f "* ]] || srcs+=("$REPO/$f")
	done
	if ! "$CC" "${CFLAGS[@]}" -o "$bin" "$src" "${srcs[@]}" "${UNIT_LIBS[@]}" \
		>"$OUT/$name.build.log" 2>&1; then
		tap "not ok" "$name: builds with -fsanitize=address,undefined"
		sed 's/^/#   /' "$OUT/$name.build.log" | head -n 30
		continue
	fi
	rc=0
	(cd "$UNIT_DIR" && "$bin") >"$log" 2>&1 || rc=$?
	# the binary's own tests, renumbered under its name
	while IFS= read -r line; do
		if [[ $line =~ ^(not\ )?ok\ [0-9]+\ -\ (.*)$ ]]; then
			if [[ -n ${BASH_REMATCH[1]} ]]; then
				tap "not ok" "$name: ${BASH_REMATCH[2]}"
			else
				tap ok "$name: ${BASH_REMATCH[2]}"
			fi
		elif [[ $line =~ ^1\.\.[0-9]+ ]]; then
			:
		elif [[ $line =~ ^# ]]; then
			echo "$line"
		fi
	done < <(grep -aE '^((not )?ok [0-9]+ - |1\.\.[0-9]+|#)' "$log")
	# A binary that exits 1 after printing its plan has reported its own
	# failures above; anything else non-zero (an abort, a signal, no plan)
	# is a crash.
	report=$(grep -aE -A 25 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log" | head -n 40)
	if [[ -z $report ]] && { ((rc == 0)) || { ((rc == 1)) && grep -qaE '^1\.\.[0-9]+' "$log"; }; }; then
		tap ok "$name: ran to the end with no sanitizer report"
	else
		tap "not ok" "$name: ran to the end with no sanitizer report (exit $rc)"
		if [[ -n $report ]]; then
			printf '%s\n' "$report" | sed 's/^/#   /'
		else
			tail -n 20 "$log" | sed 's/^/#   /'
		fi
	fi
done
tap_finish
