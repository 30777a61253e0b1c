# shellcheck shell=bash
#
# packages.sh - the Debian packages check that test/run_all.sh and
# demo/run.sh share: which of a list are not installed, and installing them
# with apt-get as root (updating the package lists only when the install
# fails, as a fresh machine may have none).
#
#   packages_ensure WHO LOG PKG...
#       prints what it finds; installs the missing packages when root (apt's
#       output into LOG, or to stdout when LOG is -).  Returns 0 when all are
#       installed (or there is no dpkg to ask), 1 when some are missing and
#       we are not root (after printing the command that installs them and
#       how to run WHO instead), 2 when the install failed.

# packages_missing PKG... - print the packages not installed, one a line
# (dpkg -s also succeeds for removed-but-configured packages, so the
# "installed" state is required).
packages_missing() {
	local p
	for p in "$@"; do
		dpkg -s "$p" 2>/dev/null | grep -q '^Status: .* installed$' || echo "$p"
	done
}

# packages_install PKG... - install, retrying once after apt-get update.
packages_install() {
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends "$@" && return 0
	echo "install failed; running apt-get update and retrying"
	apt-get update && apt-get install -y --no-install-recommends "$@"
}

# packages_ensure WHO LOG PKG... - see the top of the file.
packages_ensure() {
	local who=$1 log=$2 missing=()
	shift 2
	if ! command -v dpkg >/dev/null; then
		echo "no dpkg (not Debian): packages not checked; needed: $*"
		return 0
	fi
	mapfile -t missing < <(packages_missing "$@")
	if ((${#missing[@]} == 0)); then
		echo "all $# packages installed"
		return 0
	fi
	if [[ $(id -u) -ne 0 ]]; then
		echo "missing packages: ${missing[*]}" >&2
		echo "install them with:" >&2
		echo "  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
		echo "or run $who as root." >&2
		return 1
	fi
	if [[ $log == - ]]; then echo "installing: ${missing[*]}"; else echo "installing: ${missing[*]} (log: $log)"; fi
	if [[ $log == - ]]; then
		packages_install "${missing[@]}" && return 0
	else
		packages_install "${missing[@]}" >"$log" 2>&1 && return 0
		tail -n 20 "$log" >&2
	fi
	echo "could not install: ${missing[*]}" >&2
	return 2
}
