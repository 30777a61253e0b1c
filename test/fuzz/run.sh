#!/usr/bin/env bash
#
# run.sh MODE HARNESS... - replay the regression inputs of each harness, then
# fuzz it for FUZZ_SECONDS from its seed corpus; prints TAP.  Called by the
# Makefile (fuzz-smoke, fuzz-long, fuzz-regress); run it through make so the
# harnesses are built first.
#
#   MODE smoke    fuzz into a throw-away copy of the seed corpus
#   MODE long     fuzz into build/corpus-HARNESS, which keeps growing across
#                 runs (merge worthwhile new inputs into corpus/ by hand)
#   MODE regress  no fuzzing: replay regressions/ and the seed corpus only
#
# TAP lines, numbered across harnesses:
#   ok N - fuzz_model_text regression regressions/fuzz_model_text/NAME
#   ok N - fuzz_model_text seeds: 12 inputs replayed
#   ok N - fuzz_model_text 30s, 812345 execs, 0 crashes
# A crash, leak, timeout (10 s per input) or out-of-memory (2 GB) fails the
# line; the input is saved under build/artifacts/ and, when small, printed
# in hex as a TAP comment so that a CI log is enough to reproduce it:
#   xxd -r -p <<<HEX > input && test/fuzz/build/HARNESS input
#
# Regression files named NAME.todo are open bugs: a failure prints
# "not ok N - ... # TODO", which TAP (and run_all.sh) does not count.
#
# Environment: FUZZ_SECONDS (per harness), FUZZ_ARTIFACTS (where crash
# inputs go; default test/fuzz/build/artifacts), FUZZ_FLAGS (extra libFuzzer
# flags, e.g. -jobs=2), FUZZ_NO_FUZZ (harnesses whose seeds and regressions
# are replayed but which are not fuzzed).
set -uo pipefail

MODE=${1:?usage: run.sh smoke|long|regress HARNESS...}
shift
FUZZ_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${FUZZ_BUILD:-$FUZZ_DIR/build}
SECONDS_EACH=${FUZZ_SECONDS:-30}
ARTIFACTS=${FUZZ_ARTIFACTS:-$BUILD/artifacts}
# shellcheck disable=SC2206
EXTRA_FLAGS=(${FUZZ_FLAGS:-})
mkdir -p "$ARTIFACTS"

N=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vgm-fuzz.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

tap() {
	local status=$1
	shift
	N=$((N + 1))
	if [[ $status == ok ]]; then
		echo "ok $N - $*"
	else
		FAILED=$((FAILED + 1))
		echo "not ok $N - $*"
	fi
}

# diag LOG - the interesting part of a libFuzzer log as TAP comments.
diag() {
	grep -avE '^(#[0-9]+|INFO:|MS:|base unit:|Running:|Executed |stat::|Done |Dictionary:|[[:space:]]+NEW_FUNC)' "$1" |
		grep -av '^[[:space:]]*$' | head -n 60 | LC_ALL=C tr -c '[:print:]\n' '?' | sed 's/^/#   /'
}

# show_input FILE - a small crashing input in hex, for reproduction from a log.
show_input() {
	local f=$1 size
	size=$(stat -c %s "$f")
	echo "#   input $(basename "$f") ($size bytes) saved as $f"
	if ((size <= 4096)); then
		echo "#   hex: $(od -An -v -tx1 "$f" | tr -d ' \n')"
	fi
}

for H in "$@"; do
	BIN=$BUILD/$H
	if [[ ! -x $BIN ]]; then
		tap "not ok" "$H not built"
		continue
	fi
	SEEDS=$FUZZ_DIR/corpus/$H
	REG=$FUZZ_DIR/regressions/$H
	DICT=$FUZZ_DIR/${H#fuzz_}.dict
	DICT_FLAG=()
	[[ -f $DICT ]] && DICT_FLAG=(-dict="$DICT")

	# 1. every saved crash input, one test each; NAME.todo is an open bug
	if [[ -d $REG ]]; then
		for f in "$REG"/*; do
			[[ -f $f && $(basename "$f") != README* ]] || continue
			log=$TMP/reg.log
			todo=""
			[[ $f == *.todo ]] && todo=" # TODO open bug, see docs/reliability.md"
			if timeout 120 "$BIN" "$f" >"$log" 2>&1; then
				tap ok "$H regression ${f#"$FUZZ_DIR"/}$todo"
			elif [[ -n $todo ]]; then
				# a TODO failure is reported but does not count
				N=$((N + 1))
				echo "not ok $N - $H regression ${f#"$FUZZ_DIR"/}$todo"
			else
				tap "not ok" "$H regression ${f#"$FUZZ_DIR"/}"
				diag "$log"
			fi
		done
	fi

	# 2. the seed corpus, replayed once (instead of fuzzing: in regress mode,
	# and for the harnesses in FUZZ_NO_FUZZ, which would only rediscover an
	# open bug)
	if [[ $MODE == regress || " ${FUZZ_NO_FUZZ:-} " == *" $H "* ]]; then
		log=$TMP/seeds.log
		nseeds=$(find "$SEEDS" -type f 2>/dev/null | wc -l)
		if ((nseeds == 0)); then
			tap "not ok" "$H seeds: no seed corpus in ${SEEDS#"$FUZZ_DIR"/}"
		elif timeout 300 "$BIN" -runs=0 "$SEEDS" >"$log" 2>&1; then
			tap ok "$H seeds: $nseeds inputs replayed"
		else
			tap "not ok" "$H seeds: replay failed"
			diag "$log"
		fi
		continue
	fi

	# 3. fuzz
	if [[ $MODE == long ]]; then
		CORPUS=$BUILD/corpus-$H
	else
		CORPUS=$TMP/corpus-$H
	fi
	mkdir -p "$CORPUS"
	art=$TMP/art-$H
	mkdir -p "$art"
	log=$TMP/$H.log
	start=$(date +%s)
	rc=0
	timeout $((SECONDS_EACH + 300)) "$BIN" -max_total_time="$SECONDS_EACH" -timeout=10 \
		-rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" "${DICT_FLAG[@]}" "${EXTRA_FLAGS[@]}" \
		"$CORPUS" "$SEEDS" >"$log" 2>&1 || rc=$?
	elapsed=$(($(date +%s) - start))
	execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
	if [[ -z $execs ]]; then
		# no final stats after a crash: the last status line has the count
		execs=$(sed -nE 's/^#([0-9]+)[[:space:]].*/\1/p' "$log" | tail -n 1)
	fi
	execs=${execs:-0}
	ncorpus=$(find "$CORPUS" -type f | wc -l)
	crashes=$(find "$art" -type f | wc -l)
	if ((rc == 0 && crashes == 0)); then
		tap ok "$H ${elapsed}s, $execs execs, 0 crashes (corpus $ncorpus)"
	else
		tap "not ok" "$H ${elapsed}s, $execs execs, $crashes crashes (libFuzzer exit $rc)"
		diag "$log"
		for f in "$art"/*; do
			[[ -f $f ]] || continue
			cp "$f" "$ARTIFACTS/$H-$(basename "$f")"
			show_input "$ARTIFACTS/$H-$(basename "$f")"
		done
	fi
	if [[ $MODE == long ]]; then
		cp "$log" "$BUILD/$H.long.log"
	fi
done

echo "1..$N"
((FAILED == 0))
