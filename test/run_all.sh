#!/usr/bin/env bash
#
# run_all.sh - the one command that installs dependencies, builds and
# installs the vgm extension, starts a private PostgreSQL server and runs
# every test suite against it.  CI runs exactly this (see .ci/run).
#
# Usage: test/run_all.sh [--no-install] [--only SUITE]... [-h]
#   --no-install   do not check for or install Debian packages
#   --only SUITE   run only SUITE (regress, pgtap, unit, py, docs, fuzz,
#                  sanitize); repeatable,
#                  or comma-separated: --only regress,pgtap
#   -h, --help     this text
#
# Environment:
#   PG_CONFIG      pg_config to build against (default: the PostgreSQL 15 one)
#   KEEP_TMP=1     keep the temp dir (server data, logs, pg_regress output)
#   PGSERVER_OPTS  extra server settings, e.g. "-c shared_preload_libraries=vgm"
#   MAKEFLAGS      passed through to make as usual (e.g. -j2)
#
# Every suite runs from the repo root.  Python tests (test/py/test_*.py, run
# with /usr/bin/python3) get PGHOST/PGPORT/PGUSER=postgres and
# PGDATABASE=vgm_py for the private server, PG_CONFIG, and PATH with the
# PostgreSQL bindir first (so plain `psql` works); they must print TAP
# ("ok N - ...", "not ok N - ...", a "1..N" plan).  The docs suite runs every
# ```sql and ```sh example of README.md and docs/*.md (test/docs/run_docs.py).
#
# The last line of output is always "N passed, M failed" once the suites have
# run; the exit status is 0 only if M is 0 and every selected suite ran.

# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317  # suite_* functions are called indirectly
set -euo pipefail

# Debian packages needed to build and test.  clang: PGXS compiles LLVM
# bitcode for JIT (and we will fuzz with it).
REQUIRED_PACKAGES=(
	postgresql-15
	postgresql-server-dev-15
	libgsl-dev
	libopenblas-dev
	postgresql-15-pgtap
	libtap-parser-sourcehandler-pgtap-perl
	python3-sklearn
	python3-scipy
	python3-numpy
	make
	gcc
	clang
	libclang-rt-14-dev
)

ALL_SUITES=(regress pgtap unit py docs fuzz sanitize)

# The extension under test, as named by its .control file.
EXT_NAME=vgm

# The Python checks need Debian's python3 with sklearn; a python3 earlier on
# PATH (pyenv, venv) may lack it.
PYTHON=/usr/bin/python3

# Inherited libpq settings must not point any client at another server or
# change session behaviour; the suites set what they need explicitly.
unset PGDATABASE PGHOSTADDR PGSERVICE PGOPTIONS

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"
# shellcheck source=lib/pgserver.sh
. "$REPO_ROOT/test/lib/pgserver.sh"
# shellcheck source=lib/packages.sh
. "$REPO_ROOT/test/lib/packages.sh"

# ---------------------------------------------------------------- state ----

TOTAL_PASS=0
TOTAL_FAIL=0
SUMMARY=()      # one line per step, printed at the end
NOT_RUN=()      # selected suites that could not run
TMP_ROOT=""
FINISHED=0

usage() {
	sed -n '/^# Usage:/,/^# run; the exit/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

section() { printf '\n==== %s ====\n' "$*"; }

# record NAME PASS FAIL [NOTE] - add a step's counts to the totals.
record() {
	local name=$1 pass=$2 fail=$3 note=${4:-}
	TOTAL_PASS=$((TOTAL_PASS + pass))
	TOTAL_FAIL=$((TOTAL_FAIL + fail))
	SUMMARY+=("$(printf '%-8s %4d passed, %4d failed%s' "$name" "$pass" "$fail" "${note:+  ($note)}")")
	printf -- '-- %s: %d passed, %d failed%s\n' "$name" "$pass" "$fail" "${note:+ ($note)}"
}

# skip NAME REASON - a suite with nothing to run; not a failure.
skip() {
	SUMMARY+=("$(printf '%-8s skipped (%s)' "$1" "$2")")
	printf -- '-- %s: skipped (%s)\n' "$1" "$2"
}

# not_run NAME REASON - a suite that should have run but could not.
not_run() {
	NOT_RUN+=("$1")
	record "$1" 0 1 "NOT RUN: $2"
}

# count_tap FILE - set TAP_PASS/TAP_FAIL from the TAP lines in FILE, and
# TAP_PLAN_BAD=1 if FILE has plan lines ("1..N") whose sum differs from the
# number of test lines: a binary or script that died half-way (tap.h prints
# its plan at the end, so the dead one has none).
# Test lines may be indented (pg_prove --verbose); they must carry a number
# or a "-" so that pg_prove's bare per-file "ok" status is not counted.
# "not ok ... # TODO" is an expected failure in TAP, so it counts as passed.
count_tap() {
	local file=$1 todo bail plans planned
	local ok_re='ok([[:space:]]+[0-9]|[[:space:]]+-)'
	TAP_PASS=$(grep -cE "^[[:space:]]*$ok_re" "$file" || true)
	TAP_FAIL=$(grep -cE "^[[:space:]]*not $ok_re" "$file" || true)
	todo=$(grep -E "^[[:space:]]*not $ok_re" "$file" |
		grep -ciE '#[[:space:]]*TODO' || true)
	bail=$(grep -cE '^[[:space:]]*Bail out!' "$file" || true)
	plans=$(grep -cE '^[[:space:]]*1\.\.[0-9]+' "$file" || true)
	planned=$(sed -nE 's/^[[:space:]]*1\.\.([0-9]+).*/\1/p' "$file" | awk '{s += $1} END {print s + 0}')
	TAP_PLAN_BAD=0
	if ((plans > 0 && planned != TAP_PASS + TAP_FAIL)); then TAP_PLAN_BAD=1; fi
	TAP_PASS=$((TAP_PASS + todo))
	TAP_FAIL=$((TAP_FAIL - todo + bail))
}

# count_tap_run LOG WHAT - count_tap on LOG, the output of WHAT which exited
# with $RC, then add one failure (explained in TAP_NOTE) for a plan mismatch,
# or for a non-zero exit that left no "not ok" line behind.
count_tap_run() {
	local log=$1 what=$2
	count_tap "$log"
	TAP_NOTE=""
	if ((TAP_PLAN_BAD)); then
		TAP_FAIL=$((TAP_FAIL + 1))
		TAP_NOTE="$what: test count does not match plan"
	elif ((RC != 0 && TAP_FAIL == 0)); then
		TAP_FAIL=1
		TAP_NOTE="$what exited $RC"
	fi
}

# run_logged LOG CMD... - run CMD showing its output live and saving it to
# LOG; set RC to its exit status without tripping set -e.
run_logged() {
	local log=$1
	shift
	RC=0
	"$@" 2>&1 | tee "$log" || RC=$?
}

cleanup() {
	local rc=$?
	trap - EXIT
	pgserver_stop_all || true
	if [[ -n $TMP_ROOT && -d $TMP_ROOT ]]; then
		if [[ ${KEEP_TMP:-0} == 1 ]]; then
			echo "kept temp dir: $TMP_ROOT" >&2
		else
			rm -rf -- "$TMP_ROOT"
		fi
	fi
	TMP_ROOT=""
	if [[ $FINISHED == 0 ]]; then
		echo "run_all.sh: aborted (exit $rc)" >&2
	fi
	return "$rc"
}

# -------------------------------------------------------------- options ----

INSTALL=1
ONLY=()
while (($#)); do
	case $1 in
	--no-install) INSTALL=0 ;;
	--only)
		[[ $# -ge 2 ]] || { echo "--only needs a suite name" >&2; exit 2; }
		IFS=, read -ra parts <<<"$2"
		ONLY+=("${parts[@]}")
		shift
		;;
	--only=*)
		IFS=, read -ra parts <<<"${1#--only=}"
		ONLY+=("${parts[@]}")
		;;
	-h | --help) usage; exit 0 ;;
	*) echo "unknown argument: $1 (try -h)" >&2; exit 2 ;;
	esac
	shift
done
for s in "${ONLY[@]}"; do
	[[ " ${ALL_SUITES[*]} " == *" $s "* ]] || {
		echo "unknown suite '$s'; choose from: ${ALL_SUITES[*]}" >&2
		exit 2
	}
done
SUITES=("${ONLY[@]}")
((${#SUITES[@]})) || SUITES=("${ALL_SUITES[@]}")

selected() { [[ " ${SUITES[*]} " == *" $1 "* ]]; }
# Every suite but the C unit tests needs the built extension and a server.
needs_server() { selected regress || selected pgtap || selected py || selected docs; }

# ------------------------------------------------------------- packages ----

install_packages() {
	section "packages"
	packages_ensure "this script" - "${REQUIRED_PACKAGES[@]}" || exit 1
}

# ---------------------------------------------------------------- build ----

resolve_pg_config() {
	if ! _pgserver_init 2>/dev/null; then
		echo "cannot run PG_CONFIG=$PG_CONFIG (install postgresql-server-dev-15 or set PG_CONFIG)" >&2
		exit 1
	fi
	BINDIR=$PGSERVER_BINDIR
	# Prefer this PostgreSQL's client tools over Debian's version wrappers.
	export PATH="$BINDIR:$PATH"
}

# Returns non-zero if the extension could not be built or installed.
build_and_install() {
	section "build: make && make install (PG_CONFIG=$PG_CONFIG)"
	if ! make PG_CONFIG="$PG_CONFIG"; then
		record build 0 1 "make failed"
		return 1
	fi
	if ! make install PG_CONFIG="$PG_CONFIG"; then
		if [[ $(id -u) -ne 0 ]]; then
			echo "make install failed: it writes into $("$PG_CONFIG" --sharedir) and" \
				"$("$PG_CONFIG" --pkglibdir); run this script as root or with sudo." >&2
		fi
		record build 0 1 "make install failed"
		return 1
	fi
	# A working build is not a test: it is listed but adds nothing to N.
	SUMMARY+=("build    ok")
	echo "-- build: ok"
}

# --------------------------------------------------------------- server ----

start_server() {
	section "server"
	TMP_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/vgm-test.XXXXXX")
	# Server files live directly in TMP_ROOT (owned by postgres when root);
	# our own outputs go to subdirectories of it.
	if ! pgserver_start "$TMP_ROOT"; then
		record server 0 1 "could not start PostgreSQL"
		return 1
	fi
	echo "private server: port $PGSERVER_PORT, socket dir $PGSERVER_SOCKDIR"
}

# make_db NAME EXTENSION... - (re)create database NAME with the extensions.
make_db() {
	local db=$1 ext
	shift
	pgserver_psql -c "SET client_min_messages = warning" \
		-c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || return 1
	for ext in "$@"; do
		pgserver_psql -d "$db" -c "CREATE EXTENSION $ext" || return 1
	done
}

# --------------------------------------------------------------- suites ----

# pg_regress: sql/NAME.sql vs expected/NAME.out, through PGXS's pg_regress.
suite_regress() {
	section "regress: pg_regress"
	local tests=() out=$TMP_ROOT/regress pass fail
	mapfile -t tests < <(find sql -maxdepth 1 -name '*.sql' -printf '%f\n' 2>/dev/null |
		sed 's/\.sql$//' | LC_ALL=C sort)
	if ((${#tests[@]} == 0)); then
		skip regress "no sql/*.sql"
		return
	fi
	local pg_regress
	pg_regress="$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress"
	mkdir -p "$out"
	run_logged "$out/run.log" "$pg_regress" --bindir="$BINDIR" \
		--host="$PGSERVER_SOCKDIR" --port="$PGSERVER_PORT" --user=postgres \
		--inputdir=. --outputdir="$out" \
		--load-extension="$EXT_NAME" --dbname=vgm_regress "${tests[@]}"
	# PG15 prints "test NAME ... ok  12 ms" / "... FAILED"; later versions
	# print TAP ("ok 1 - NAME"), handled as a fallback.
	pass=$(grep -cE '\.\.\.[[:space:]]+ok([[:space:]]|$)' "$out/run.log" || true)
	fail=$(grep -cE '\.\.\.[[:space:]]+FAILED' "$out/run.log" || true)
	if ((pass + fail == 0)); then
		count_tap "$out/run.log"
		pass=$TAP_PASS fail=$TAP_FAIL
	fi
	if [[ -s $out/regression.diffs ]] && ((RC != 0 || fail > 0)); then
		section "regress: regression.diffs"
		cat "$out/regression.diffs"
	fi
	if ((RC != 0 && fail == 0)); then
		record regress "$pass" $((fail + 1)) "pg_regress exited $RC"
	else
		record regress "$pass" "$fail"
	fi
}

# pgTAP: test/pgtap/*.sql through pg_prove, counting individual assertions.
suite_pgtap() {
	section "pgtap: pg_prove"
	local files=() log=$TMP_ROOT/pgtap.log
	mapfile -t files < <(find test/pgtap -maxdepth 1 -name '*.sql' 2>/dev/null | LC_ALL=C sort)
	if ((${#files[@]} == 0)); then
		skip pgtap "no test/pgtap/*.sql"
		return
	fi
	if ! make_db vgm_tap pgtap "$EXT_NAME"; then
		not_run pgtap "could not create database vgm_tap with pgtap and $EXT_NAME"
		return
	fi
	run_logged "$log" pg_prove --psql-bin "$BINDIR/psql" \
		--host "$PGSERVER_SOCKDIR" --port "$PGSERVER_PORT" --username postgres \
		--dbname vgm_tap --verbose "${files[@]}"
	count_tap "$log"
	# Files that died without a "not ok" (SQL error, wrong plan, psql exit
	# status) appear in pg_prove's summary report with "Failed: 0".
	local errored
	errored=$(grep -cE '^[^[:space:]].*\(Wstat: [0-9]+.*Failed: 0\)[[:space:]]*$' "$log" || true)
	if ((errored > 0)); then
		record pgtap "$TAP_PASS" $((TAP_FAIL + errored)) "$errored file(s) errored, see above"
	elif ((RC != 0 && TAP_FAIL == 0)); then
		record pgtap "$TAP_PASS" 1 "pgtap suite errored: pg_prove exited $RC"
	else
		record pgtap "$TAP_PASS" "$TAP_FAIL"
	fi
}

# C unit tests of the numerical core: no server needed.
suite_unit() {
	section "unit: make unittest"
	local log
	if [[ -n $TMP_ROOT ]]; then log=$TMP_ROOT/unit.log; else
		TMP_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/vgm-test.XXXXXX")
		log=$TMP_ROOT/unit.log
	fi
	run_logged "$log" make unittest PG_CONFIG="$PG_CONFIG"
	count_tap_run "$log" "make unittest"
	record unit "$TAP_PASS" "$TAP_FAIL" "$TAP_NOTE"
}

# A temp dir for the suites that need no server.
ensure_tmp_root() {
	[[ -n $TMP_ROOT ]] || TMP_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/vgm-test.XXXXXX")
}

# libFuzzer harnesses of the parsers: replay test/fuzz/regressions, then fuzz
# each harness ~30 s from its seed corpus (make -C test/fuzz fuzz-smoke).
suite_fuzz() {
	section "fuzz: make -C test/fuzz fuzz-smoke"
	ensure_tmp_root
	local log=$TMP_ROOT/fuzz.log
	run_logged "$log" make -C test/fuzz fuzz-smoke FUZZ_ARTIFACTS="$TMP_ROOT/fuzz-artifacts"
	count_tap_run "$log" "make fuzz-smoke"
	record fuzz "$TAP_PASS" "$TAP_FAIL" "$TAP_NOTE"
}

# The C unit tests again under AddressSanitizer, LeakSanitizer and UBSan.
suite_sanitize() {
	section "sanitize: test/unit/sanitize.sh"
	ensure_tmp_root
	local log=$TMP_ROOT/sanitize.log
	run_logged "$log" test/unit/sanitize.sh
	count_tap_run "$log" "test/unit/sanitize.sh"
	record sanitize "$TAP_PASS" "$TAP_FAIL" "$TAP_NOTE"
}

# Python cross-checks (e.g. against scikit-learn): each test/py/test_*.py
# prints TAP and finds the server through the libpq environment variables.
suite_py() {
	section "py: test/py/test_*.py with $PYTHON"
	local files=() f log pass=0 fail=0 notes=""
	mapfile -t files < <(find test/py -maxdepth 1 -name 'test_*.py' 2>/dev/null | LC_ALL=C sort)
	if ((${#files[@]} == 0)); then
		skip py "no test/py/test_*.py"
		return
	fi
	if ! make_db vgm_py "$EXT_NAME"; then
		not_run py "could not create database vgm_py with $EXT_NAME"
		return
	fi
	mkdir -p "$TMP_ROOT/py"
	for f in "${files[@]}"; do
		echo "# $f"
		log=$TMP_ROOT/py/$(basename "$f" .py).log
		run_logged "$log" env PGDATABASE=vgm_py PYTHONUNBUFFERED=1 \
			PYTHONDONTWRITEBYTECODE=1 "$PYTHON" "$f"
		count_tap_run "$log" "$(basename "$f")"
		pass=$((pass + TAP_PASS))
		fail=$((fail + TAP_FAIL))
		[[ -z $TAP_NOTE ]] || notes+="${notes:+; }$TAP_NOTE"
	done
	record py "$pass" "$fail" "$notes"
}

# The examples of README.md and docs/*.md: test/docs/run_docs.py runs each
# ```sql / ```sh block in a fresh database per markdown file (fixtures from
# test/docs/) and compares the output the block shows; one TAP test a block.
suite_docs() {
	section "docs: test/docs/run_docs.py (examples of README.md and docs/*.md)"
	local log=$TMP_ROOT/docs.log skipped
	run_logged "$log" env PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
		"$PYTHON" test/docs/run_docs.py
	count_tap_run "$log" "run_docs.py"
	skipped=$(grep -cE '^ok [0-9]+ .*# SKIP' "$log" || true)
	if ((skipped > 0)); then
		TAP_NOTE+="${TAP_NOTE:+; }$skipped skipped, see above"
	fi
	record docs "$TAP_PASS" "$TAP_FAIL" "$TAP_NOTE"
}

# ----------------------------------------------------------------- main ----

if ((INSTALL)); then install_packages; fi
resolve_pg_config

# From here on there may be a server and a temp dir to clean up.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

SERVER_OK=0
NO_SERVER_REASON=""
if needs_server; then
	if ! build_and_install; then
		NO_SERVER_REASON="extension build failed, see above"
	elif ! start_server; then
		NO_SERVER_REASON="server did not start, see above"
	else
		SERVER_OK=1
	fi
fi

for suite in "${ALL_SUITES[@]}"; do
	selected "$suite" || continue
	if [[ $suite != unit && $suite != fuzz && $suite != sanitize && $SERVER_OK == 0 ]]; then
		section "$suite"
		NOT_RUN+=("$suite")
		SUMMARY+=("$(printf '%-8s NOT RUN (%s)' "$suite" "$NO_SERVER_REASON")")
		echo "-- $suite: not run ($NO_SERVER_REASON)"
		continue
	fi
	"suite_$suite"
done

section "summary"
for line in "${SUMMARY[@]}"; do echo "  $line"; done
if ((${#NOT_RUN[@]})); then echo "  suites that did not run: ${NOT_RUN[*]}"; fi

# Stop the server and clean up now, so that the totals stay the last line.
FINISHED=1
cleanup || true
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
if ((TOTAL_FAIL == 0 && ${#NOT_RUN[@]} == 0)); then
	exit 0
fi
exit 1
