#!/usr/bin/env bash
# ringplane set-up: install what the build, the tests and the benchmarks need,
# then configure and build. Idempotent: with everything present it makes no
# network calls and only rebuilds what changed.
#
#   deploy/setup.sh [--no-build] [--runtime] [--help]
#
# --runtime installs only the shared libraries the binary needs to run (what
# deploy/Containerfile's runtime image gets), and builds nothing.
#
# liburing in bookworm (2.3) is too old; a recent one comes from Debian's newer
# suites, pinned at priority 100 so that nothing else on the machine is
# upgraded. The mirror is read from this machine's own apt sources.
set -euo pipefail

usage() {
	sed -n '2,15s/^# \{0,1\}//p' "$0"
}

build=1
runtime=0
for arg in "$@"; do
	case "$arg" in
	--no-build) build=0 ;;
	--runtime) build=0; runtime=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
	esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
min_liburing=2.9

# Packages from the machine's own suite.
base_pkgs=(
	build-essential gcc meson ninja-build pkg-config git
	iproute2 ethtool procps kmod iputils-ping
	libmnl-dev libyaml-dev libcmocka-dev
	libmicrohttpd-dev libcurl4-openssl-dev
	sockperf iperf3 haproxy socat nftables
	dpdk dpdk-dev libdpdk-dev
	gnuplot-nox python3 libjansson-dev curl
	# test/deploy/fleet.sh: the Kubernetes manifests parsed
	python3-yaml
	# operations: process.user (libcap), Type=notify (libsystemd), the
	# install test (man-db, groff-base, col from bsdextrautils), systemd-analyze
	# (systemd)
	libcap-dev libsystemd-dev systemd man-db groff-base bsdextrautils
	# fuzzing: libFuzzer with clang's sanitizer runtimes (test/fuzz)
	clang libclang-rt-14-dev
	# bench udp-relay: nginx's stream (UDP) proxy, the reference relay
	nginx-light libnginx-mod-stream
	# bench chan: iceoryx (optional); test/cli/chan.sh: setpriv (util-linux)
	iceoryx libiceoryx-binding-c-dev util-linux
)
# Packages taken from newer suites, as pkg/suite.
new_pkgs=(liburing-dev/sid liburing2/sid linux-libc-dev/trixie)

# --runtime: the packages of the libraries `ringplane` links (its DT_NEEDED
# entries; test/deploy/fleet.sh checks this list against the built binary),
# nothing to build or test with. iceoryx's C binding is linked whenever it
# was installed at build time (`bench chan`), as it is by this script.
runtime_pkgs=(libmnl0 libyaml-0-2 libmicrohttpd12 libcurl4 libjansson4 libcap2 libsystemd0
	libiceoryx-binding-c2)
runtime_new_pkgs=(liburing2/sid)

log() { printf 'setup: %s\n' "$*"; }

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup.sh: installing packages needs root (run as root or with sudo)" >&2
		exit 1
	fi
}

pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# liburing2's package version (the runtime image has no pkg-config).
liburing_version() {
	dpkg-query -W -f='${Version}' liburing2 2>/dev/null
}

liburing_recent() {
	local v
	v=$(liburing_version) || return 1
	dpkg --compare-versions "$v" ge "$min_liburing"
}

# Every package of new_pkgs is installed (in some version: liburing_recent
# checks the one that matters).
new_installed() {
	local p
	for p in "${new_pkgs[@]}"; do
		pkg_installed "${p%/*}" || return 1
	done
}

missing_base() {
	local p
	for p in "${base_pkgs[@]}"; do
		pkg_installed "$p" || echo "$p"
	done
}

# The mirror URI of the machine's Debian sources (deb822 or one-line format).
debian_mirror() {
	local uri=""
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		uri=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ && $2 !~ /security/ {print $2; exit}' \
			/etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" && $2 ~ /debian\/?$/ && $2 !~ /security/ {print $2; exit}' \
			/etc/apt/sources.list)
	fi
	[ -n "$uri" ] || { echo "setup.sh: no Debian mirror found in /etc/apt/sources.list{,.d/debian.sources}" >&2; exit 1; }
	echo "$uri"
}

add_newer_suites() {
	local uri list=/etc/apt/sources.list.d/ringplane-newer.sources
	local pin=/etc/apt/preferences.d/ringplane-newer
	uri=$(debian_mirror)
	cat >"$list" <<EOS
# Added by ringplane deploy/setup.sh: newer suites for liburing and UAPI headers.
# Pinned at priority 100 in $pin so nothing is upgraded from them.
Types: deb
URIs: $uri
Suites: trixie sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	cat >"$pin" <<EOS
Package: *
Pin: release n=trixie
Pin-Priority: 100

Package: *
Pin: release n=sid
Pin-Priority: 100
EOS
}

install_packages() {
	local missing
	missing=$(missing_base)
	if [ -z "$missing" ] && liburing_recent && new_installed; then
		log "all packages present (liburing $(liburing_version))"
		return
	fi
	need_root
	export DEBIAN_FRONTEND=noninteractive
	add_newer_suites
	log "apt-get update"
	apt-get update -qq
	log "installing: ${missing//$'\n'/ } ${new_pkgs[*]}"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing "${new_pkgs[@]}" >/dev/null
	liburing_recent || { echo "setup.sh: liburing >= $min_liburing still missing after install" >&2; exit 1; }
	log "liburing $(liburing_version) installed"
}

build_tree() {
	local dir=$1; shift
	if [ ! -f "$top/$dir/build.ninja" ]; then
		meson setup "$top/$dir" "$top" "$@" >/dev/null
	fi
	ninja -C "$top/$dir" >/dev/null
	log "built $dir"
}

if [ "$runtime" -eq 1 ]; then
	base_pkgs=("${runtime_pkgs[@]}")
	new_pkgs=("${runtime_new_pkgs[@]}")
fi
install_packages
if [ "$build" -eq 1 ]; then
	build_tree build --buildtype=debugoptimized
	log "binary: $top/build/ringplane"
fi
