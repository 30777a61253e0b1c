#!/usr/bin/env bash
# demo/run.sh - vgm's main job on a fresh machine, in one command.
#
# Usage: demo/run.sh [--rows N] [--out DIR] [--no-install] [--no-build]
#                    [--plain-sql] [--keep-server]
#
#   --rows N        transactions to generate (default 1000000, at least 10000)
#   --out DIR       report, picture and data files (default demo/out)
#   --no-install    do not check or install Debian packages
#   --no-build      use the vgm already installed (skip make, make install)
#   --plain-sql     validate with the demo's exact plain-SQL moments and KS
#                   instead of vgm's validation API (a cross-check; slower)
#   --keep-server   leave the private PostgreSQL server running afterwards
#                   (prints how to connect to it and how to stop it)
#   -h, --help      this text
#
# What it does: installs the Debian packages that are missing (as root),
# builds and installs the extension (make, make install), starts a private
# PostgreSQL 15 server in a temporary directory (test/lib/pgserver.sh),
# generates a transactions table in SQL and runs the pipeline on it: fit on a
# 1% sample and on the whole table, compare the models, normalize every row
# into a new table, decode it back, validate (moments, KS, bounds), draw a
# synthetic sample, fit the column again with atoms (point masses kept
# exact) and check it, print a report and draw a picture.  The server is stopped
# and its directory removed at the end, also on failure or Ctrl-C.
#
# The exit status is 0 only if every step ran and every check passed.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
export LC_NUMERIC=C

REQUIRED_PACKAGES=(
	postgresql-15
	postgresql-server-dev-15
	libgsl-dev
	libopenblas-dev
	gnuplot-nox
	make
	gcc
	clang
)

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO_DIR=$REPO_ROOT/demo
cd "$REPO_ROOT"

usage() { sed -n '4,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

ROWS=1000000
OUT=$DEMO_DIR/out
INSTALL=1
BUILD=1
PLAIN_SQL=0
KEEP_SERVER=0
while (($#)); do
	case $1 in
	--rows) [[ $# -ge 2 ]] || { echo "--rows needs a number" >&2; exit 2; }; ROWS=$2; shift ;;
	--rows=*) ROWS=${1#--rows=} ;;
	--out) [[ $# -ge 2 ]] || { echo "--out needs a directory" >&2; exit 2; }; OUT=$2; shift ;;
	--out=*) OUT=${1#--out=} ;;
	--no-install) INSTALL=0 ;;
	--no-build) BUILD=0 ;;
	--plain-sql) PLAIN_SQL=1 ;;
	--keep-server) KEEP_SERVER=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
if ! [[ $ROWS =~ ^[0-9]+$ ]] || ((ROWS < 10000)); then
	echo "--rows must be a whole number >= 10000, not '$ROWS'" >&2
	exit 2
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DATA_DIR=$OUT/data
LOG_DIR=$OUT/logs

# ------------------------------------------------------------- helpers ----

# commas N - 1234567 -> 1,234,567
commas() { sed -E ':a; s/([0-9])([0-9]{3})($|[^0-9])/\1,\2\3/; ta' <<<"$1"; }

# since T0 - seconds since $EPOCHREALTIME was T0, one decimal
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

STEP_NO=0
STEP_T0=
TIMING_MARK=
# begin MESSAGE - print a progress line; end finishes it.
begin() {
	STEP_NO=$((STEP_NO + 1))
	printf '[%2d] %s ... ' "$STEP_NO" "$1"
	STEP_T0=$EPOCHREALTIME
	TIMING_MARK=
	if [[ -n ${REPORT_READY:-} ]]; then
		TIMING_MARK=$("${PSQL[@]}" -At -c "SELECT coalesce(max(id), 0) FROM report.timings")
	fi
}
# end - the step's wall time (checks included) and, when the step's SQL
# timed its main statement (report.timed), that statement's time and rate.
end() {
	local op=
	if [[ -n $TIMING_MARK ]]; then
		op=$("${PSQL[@]}" -At -c "SELECT format('%s s, %s rows/s', to_char(seconds, 'FM9990.00'),
		        to_char(rows / nullif(seconds, 0), 'FM999,999,999,999'))
		    FROM report.timings WHERE id > $TIMING_MARK ORDER BY id LIMIT 1")
	fi
	echo "done in $(since "$STEP_T0") s${op:+ (main statement $op)}"
}

# fail LOG MESSAGE - report a failed step with the end of its log (compiler
# command lines left out) and exit.
fail() {
	echo "FAILED"
	echo "demo: $2; the last lines of $1:" >&2
	grep -vE '^(gcc|cc|clang|/usr/bin/clang[-0-9]*) ' "$1" | tail -n 30 | sed 's/^/    /' >&2
	exit 1
}

# sql FILE [psql args] - run demo/FILE against the demo database, output to
# a log; exits with the log's tail on error.
sql() {
	local file=$1 log
	shift
	log=$LOG_DIR/${file%.sql}.log
	"${PSQL[@]}" "$@" -f "$DEMO_DIR/$file" >"$log" 2>&1 || fail "$log" "demo/$file failed"
}

# ------------------------------------------------------------ packages ----

install_packages() {
	begin "checking Debian packages"
	packages_ensure "demo/run.sh (or with --no-install if they are installed elsewhere)" "$LOG_DIR/apt.log" \
		"${REQUIRED_PACKAGES[@]}" || exit 1
}

# --------------------------------------------------------------- build ----

resolve_pg_config() {
	_pgserver_init 2>/dev/null ||
		{ echo "demo: cannot run PG_CONFIG=$PG_CONFIG (install postgresql-server-dev-15 or set PG_CONFIG)" >&2; exit 1; }
	BINDIR=$PGSERVER_BINDIR
	export PATH="$BINDIR:$PATH"
}

build_and_install() {
	begin "building and installing vgm (make && make install)"
	local log=$LOG_DIR/build.log
	make PG_CONFIG="$PG_CONFIG" >"$log" 2>&1 || fail "$log" "make failed"
	make install PG_CONFIG="$PG_CONFIG" >>"$log" 2>&1 ||
		fail "$log" "make install failed (it writes into $("$PG_CONFIG" --pkglibdir): run as root)"
	end
}

# -------------------------------------------------------------- server ----

# shellcheck source=../test/lib/pgserver.sh
. "$REPO_ROOT/test/lib/pgserver.sh"
# shellcheck source=../test/lib/packages.sh
. "$REPO_ROOT/test/lib/packages.sh"

TMP_ROOT=
FINISHED=0
cleanup() {
	local rc=$?
	trap - EXIT
	if [[ -n $TMP_ROOT ]]; then
		if ((KEEP_SERVER)) && [[ -f $TMP_ROOT/data/postmaster.pid ]]; then
			cat <<-EOM

				The private server is still running (--keep-server):
				  connect:  psql -h $PGSERVER_SOCKDIR -p $PGSERVER_PORT -U postgres vgm_demo
				  stop:     $( (($(id -u) == 0)) && printf 'runuser -u postgres -- ')$BINDIR/pg_ctl -D $TMP_ROOT/data stop && rm -rf $TMP_ROOT
			EOM
		else
			pgserver_stop_all 2>/dev/null || echo "demo: could not stop the server in $TMP_ROOT" >&2
			rm -rf -- "$TMP_ROOT"
		fi
	fi
	if ((!FINISHED)); then
		echo
		echo "demo: stopped before the end (exit $rc); logs are in $LOG_DIR" >&2
		((rc != 0)) || rc=1
	fi
	exit "$rc"
}

start_server() {
	begin "starting a private PostgreSQL server"
	TMP_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/vgm-demo.XXXXXX")
	# Server files live in TMP_ROOT (owned by postgres when run as root).
	PGSERVER_OPTS="-c work_mem=64MB" pgserver_start "$TMP_ROOT" 2>"$LOG_DIR/server.log" ||
		fail "$LOG_DIR/server.log" "the server did not start"
	pgserver_psql -c "CREATE DATABASE vgm_demo" >>"$LOG_DIR/server.log" 2>&1 ||
		fail "$LOG_DIR/server.log" "could not create database vgm_demo"
	PSQL=("$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGSERVER_SOCKDIR" -p "$PGSERVER_PORT"
		-U postgres -d vgm_demo -v plain_sql="$PLAIN_SQL")
	echo "port $PGSERVER_PORT, socket in $PGSERVER_SOCKDIR ($(since "$STEP_T0") s)"
}

# ---------------------------------------------------------------- main ----

T_START=$EPOCHREALTIME
rm -rf -- "$DATA_DIR" "$LOG_DIR"
rm -f -- "$OUT/report.txt" "$OUT/vgm_demo.png" "$OUT/vgm_demo.svg"
mkdir -p "$DATA_DIR" "$LOG_DIR"

N=$(commas "$ROWS")
MACHINE="$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) at the start"
echo "vgm demo: $N transactions; output in $OUT"
echo "machine: $MACHINE"

((INSTALL)) && install_packages
resolve_pg_config
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if ((BUILD)); then build_and_install; fi
start_server

# a 1% block sample, or more on a small table (about 1,000 rows at least)
PCT=$(((100000 + ROWS - 1) / ROWS))
((PCT >= 1)) || PCT=1
((PCT <= 100)) || PCT=100

begin "creating the extension and the report schema"
sql setup.sql
end
REPORT_READY=1

begin "generating $N transactions in SQL (setseed 0.42)"
sql data.sql -v rows="$ROWS"
end

begin "fitting on a $PCT% sample (TABLESAMPLE SYSTEM ($PCT) REPEATABLE (42))"
sql fit_sample.sql -v pct="$PCT"
end

begin "fitting on all $N rows (one scan into a summary, then VB-EM)"
sql fit_full.sql
end

begin "comparing the two models on all $N rows"
sql compare.sql
end

begin "normalizing $N rows into demo.transactions_normalized"
sql normalize.sql
end

begin "decoding them back into demo.transactions_decoded, checking the round trip"
sql decode.sql
end

begin "validating: moments, KS, bounds"
sql validate.sql
end

N_AMOUNTS=$("${PSQL[@]}" -At -c "SELECT count(amount) FROM demo.transactions")
begin "drawing $(commas "$N_AMOUNTS") synthetic amounts with vgm_sample, comparing"
sql sample.sql
end

begin "the same column with atoms: fit, KS, synthetic draws, exact round trip"
sql atoms.sql
end

# gnuplot-nox has no cairo terminals on some builds: take the best there is.
TERM_NAME=svg
if gnuplot -e 'set terminal' 2>&1 | grep -qw pngcairo; then
	TERM_NAME=pngcairo
elif gnuplot -e 'set terminal' 2>&1 | grep -qw png; then
	TERM_NAME=png
fi
PICTURE=$OUT/vgm_demo.png
[[ $TERM_NAME == svg ]] && PICTURE=$OUT/vgm_demo.svg
begin "histograms in SQL, picture with gnuplot ($TERM_NAME)"
sql plot.sql -v datadir="$DATA_DIR"
gnuplot -e "datadir='$DATA_DIR'; outfile='$PICTURE'; term='$TERM_NAME'" "$DEMO_DIR/plot.gnuplot" \
	>"$LOG_DIR/gnuplot.log" 2>&1 || fail "$LOG_DIR/gnuplot.log" "gnuplot failed"
end

# ------------------------------------------------------------- report ----

"${PSQL[@]}" -f "$DEMO_DIR/report.sql" >"$OUT/report.txt" 2>"$LOG_DIR/report.log" ||
	fail "$LOG_DIR/report.log" "demo/report.sql failed"
N_FAILED=$("${PSQL[@]}" -At -c "SELECT count(*) FROM report.checks WHERE NOT passed AND NOT warn_only")
{
	echo
	echo "FILES"
	echo "  picture       $PICTURE"
	echo "  this report   $OUT/report.txt"
	echo "  plot data     $DATA_DIR/ (hist.csv, components.csv, plot_vars.gp; replot with demo/plot.gnuplot)"
	echo "  logs          $LOG_DIR/"
	echo
	echo "total $(since "$T_START") s (build and server start included); machine: $MACHINE"
} >>"$OUT/report.txt"
cat "$OUT/report.txt"

FINISHED=1
if ((N_FAILED > 0)); then
	echo "demo: $N_FAILED check(s) FAILED, see CHECKS above" >&2
	exit 1
fi
