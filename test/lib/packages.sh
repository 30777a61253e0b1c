# shellcheck shell=bash
#
# packages.sh - the Debian packages check that test/run_all.sh and
# demo/run.sh share: which of a list are not installed, and installing them
# with apt-get (updating the package lists only when the install fails, as a
# fresh machine may have none).  Each caller keeps its own messages.
#
#   packages_missing PKG...   print the packages not installed, one a line
#   packages_install PKG...   apt-get install them (root only); status of it

# packages_missing PKG... - dpkg -s also succeeds for removed-but-configured
# packages, so the "installed" state is required.
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
