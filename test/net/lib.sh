# SPDX-License-Identifier: MIT
# Shared helpers for ringplane's network tests. Source it from a test:
#
#   . "$RP_TOP/test/net/lib.sh"
#   ns=$(rp_ns_new)                 # unique namespace, lo up, removed at exit
#   rp_veth "$ns" v0 "$ns2" v1 4    # veth pair with 4 rx/tx queues
#   rp_ifb_sink "$ns" sink0 10.77.0.1 10.77.0.2   # the "dummy" TX sink
#   rp_tap "$ns" tap0
#   rp_bg "$ns" cmd ...             # background process, killed at exit
#   rp_check "what" cmd ...         # one assertion; counts failures
#   rp_done                         # exit 0 or 1 with a summary
#
# Everything a test creates is registered and removed by an EXIT/INT/TERM
# trap, also when the test fails half way. Names are unique per process
# ("rp-<test>-<pid>-<n>") so tests can run side by side. Only addresses in
# these namespaces (or loopback) are ever used; the root namespace's devices
# are never touched.

set -u

RP_TEST_NAME=${RP_TEST_NAME:-$(basename "${0%.sh}")}
_rp_ns=()
_rp_pids=()
_rp_tmp=()
_rp_nfail=0
_rp_npass=0
_rp_seq=0

rp_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: $RP_TEST_NAME needs root (network namespaces)" >&2
		exit 77
	fi
}

_rp_cleanup() {
	local p ns d
	for p in "${_rp_pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${_rp_pids[@]}"; do
		# give graceful shutdown a moment, then force
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for ns in "${_rp_ns[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	for d in "${_rp_tmp[@]}"; do
		rm -rf "$d"
	done
}
trap _rp_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Print a new unique namespace name; the namespace exists, with lo up.
rp_ns_new() {
	_rp_seq=$((_rp_seq + 1))
	local ns="rp-${RP_TEST_NAME:0:16}-$$-$_rp_seq"
	ip netns add "$ns" || { echo "rp_ns_new: cannot create $ns" >&2; return 1; }
	_rp_ns+=("$ns")
	ip -n "$ns" link set lo up
	RP_NS_LAST=$ns
	echo "$ns"
}
# rp_ns_new runs in a subshell when used as $(rp_ns_new): register there is
# lost, so tests call rp_ns VAR instead, which sets VAR in this shell.
rp_ns() {
	local __var=$1
	rp_ns_new >/dev/null || return 1
	printf -v "$__var" '%s' "$RP_NS_LAST"
}

# A scratch directory removed at exit.
rp_tmpdir() {
	local __var=$1 d
	d=$(mktemp -d "/tmp/rp-${RP_TEST_NAME}.XXXXXX")
	_rp_tmp+=("$d")
	printf -v "$__var" '%s' "$d"
}

rp_in() {
	local ns=$1; shift
	ip netns exec "$ns" "$@"
}

# rp_veth NS_A DEV_A NS_B DEV_B [QUEUES]: a veth pair, both ends up.
rp_veth() {
	local nsa=$1 da=$2 nsb=$3 db=$4 q=${5:-1}
	ip link add "$da" netns "$nsa" numrxqueues "$q" numtxqueues "$q" \
		type veth peer name "$db" netns "$nsb" numrxqueues "$q" numtxqueues "$q" || return 1
	ip -n "$nsa" link set "$da" up && ip -n "$nsb" link set "$db" up
}

# rp_addr NS DEV CIDR
rp_addr() {
	ip -n "$1" addr add "$3" dev "$2"
}

# rp_ifb_sink NS DEV LOCAL_ADDR PEER_ADDR [MTU]: an ifb device that drops
# what is sent to it (the stand-in for the kernel's dummy device), with a
# permanent neighbour so UDP to PEER_ADDR leaves through it.
rp_ifb_sink() {
	local ns=$1 dev=$2 local_addr=$3 peer=$4 mtu=${5:-65535}
	ip -n "$ns" link add "$dev" type ifb || return 1
	ip -n "$ns" link set "$dev" mtu "$mtu" up
	ip -n "$ns" addr add "$local_addr/24" dev "$dev"
	ip -n "$ns" neigh add "$peer" lladdr 02:00:00:00:00:02 dev "$dev" nud permanent
}

# rp_tap NS DEV: a tap device (no NAPI, no IRQ), up.
rp_tap() {
	ip -n "$1" tuntap add dev "$2" mode tap && ip -n "$1" link set "$2" up
}

# rp_bg NS CMD...: run CMD in NS in the background; its pid is in RP_BG_PID
# and it is stopped (TERM, then KILL) at exit.
rp_bg() {
	local ns=$1; shift
	ip netns exec "$ns" "$@" &
	RP_BG_PID=$!
	_rp_pids+=("$RP_BG_PID")
}

# rp_wait_port NS PROTO PORT [SECONDS]: wait until something listens.
rp_wait_port() {
	local ns=$1 proto=$2 port=$3 secs=${4:-10} i flag
	case "$proto" in udp) flag=-uln ;; tcp) flag=-tln ;; *) return 2 ;; esac
	for ((i = 0; i < secs * 20; i++)); do
		rp_in "$ns" ss -H "$flag" "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	echo "rp_wait_port: nothing listens on $proto/$port in $ns after ${secs}s" >&2
	return 1
}

# rp_check WHAT CMD...: one assertion.
rp_check() {
	local what=$1; shift
	if "$@"; then
		_rp_npass=$((_rp_npass + 1))
		echo "ok   - $what"
	else
		_rp_nfail=$((_rp_nfail + 1))
		echo "FAIL - $what"
	fi
}

rp_fail() {
	_rp_nfail=$((_rp_nfail + 1))
	echo "FAIL - $*"
}

rp_done() {
	echo "$RP_TEST_NAME: $_rp_npass checks passed, $_rp_nfail failed"
	[ "$_rp_nfail" -eq 0 ]
	exit $?
}
