#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# process.user: started as root, the appliance applies its settings,
# registers its buffers and binds its sockets (a UDP and a TCP service on
# privileged ports 707/708, which only root may bind), then switches every
# thread to the user, with no capabilities. Read back from /proc for the
# main thread and each task of the process (workers, acceptor, metrics,
# and any io_uring io-wq thread): Uid/Gid the user's, no supplementary
# groups, CapPrm/CapEff/CapAmb/CapBnd empty, NoNewPrivs 1. It still
# echoes and stops cleanly. Refusals: an unknown user (file:line:col), and
# a start as a user other than root.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology
user=nobody
uid=$(id -u "$user") gid=$(id -g "$user")

# A two-worker config with an acceptor, services on ports below 1024.
cat >"$workdir/drop.yaml" <<EOC
workers:
  count: 2
buffers:
  size: 4096
  count: 256
services:
  - name: udp
    type: udp-echo
    listen: $ECHO_SRV_ADDR:707
  - name: tcp
    type: tcp-echo
    listen: $ECHO_SRV_ADDR:708
    acceptor: true
metrics:
  enabled: true
  listen: 127.0.0.1:9107
process:
  user: $user
EOC

# task_ok STATUS-FILE: one task's credentials are the user's, no caps.
task_ok() {
	python3 - "$1" "$uid" "$gid" <<'PY'
import sys
st = dict(l.split(":", 1) for l in open(sys.argv[1]).read().splitlines() if ":" in l)
uid, gid = sys.argv[2], sys.argv[3]
want = {"Uid": [uid] * 4, "Gid": [gid] * 4, "Groups": [],
        "CapInh": ["0" * 16], "CapPrm": ["0" * 16], "CapEff": ["0" * 16],
        "CapBnd": ["0" * 16], "CapAmb": ["0" * 16], "NoNewPrivs": ["1"]}
bad = {k: st.get(k, "").split() for k, v in want.items() if st.get(k, "").split() != v}
if bad:
    print("%s (%s): %s" % (sys.argv[1], st.get("Name", "").strip(), bad))
sys.exit(1 if bad else 0)
PY
}

rpd_start "$workdir/drop.yaml"
if rpd_wait_metrics; then
	rp_check "log: switched to $user" grep -q "process: now user $user (uid $uid, gid $gid), no supplementary groups, no capabilities" "$RPD_LOG"
	rp_check "main thread: $user, no capabilities" task_ok "/proc/$RPD_PID/status"
	n=0 bad=0
	for t in /proc/"$RPD_PID"/task/*/status; do
		n=$((n + 1))
		task_ok "$t" || bad=$((bad + 1))
	done
	echo "tasks: $(cat /proc/"$RPD_PID"/task/*/comm | sort | uniq -c | tr -s ' \n' ' ')"
	rp_check "every task ($n) is $user with no capabilities ($bad not)" test "$bad" -eq 0
	rp_check "at least main + 2 workers + acceptor + metrics threads ($n)" test "$n" -ge 5
	rp_check "UDP echo on port 707 after the drop" \
		tool udp_echo_check "$ECHO_SRV_ADDR:707" --sizes 1-1400/7 --retries 8 --timeout-ms 500
	rp_check "TCP echo on port 708 after the drop" \
		tool tcp_echo_check "$ECHO_SRV_ADDR:708" -c 20 -b 10000
	rpd_stop_checked "after the drop"
	rp_check "drained: every buffer back" grep -qE "worker 1: exiting: buffers free ([0-9]+)/\1$" "$RPD_LOG"
else
	rp_fail "ringplane starts with process.user"
fi

# An unknown user fails the start, before anything is touched.
sed "s/user: $user/user: rp-no-such-user/" "$workdir/drop.yaml" >"$workdir/nouser.yaml"
line=$(grep -n "user: rp-no-such-user" "$workdir/nouser.yaml" | cut -d: -f1)
rp_in "$srv_ns" "$RINGPLANE" run -c "$workdir/nouser.yaml" 2>"$workdir/nouser.log"
rc=$?
rp_check "unknown user: exit 1 (got $rc)" test "$rc" -eq 1
rp_check "unknown user: error at file:line:col" \
	grep -qF "$workdir/nouser.yaml:$line:9: process.user: no such user 'rp-no-such-user'" "$workdir/nouser.log"

# Started as another user, it cannot switch: a clear refusal.
chmod 755 "$workdir"
cp "$RINGPLANE" "$workdir/ringplane" && chmod 755 "$workdir/ringplane"
sed "s/user: $user/user: root/" "$workdir/drop.yaml" >"$workdir/other.yaml"
chmod 644 "$workdir/other.yaml"
rp_in "$srv_ns" runuser -u "$user" -- "$workdir/ringplane" run -c "$workdir/other.yaml" 2>"$workdir/other.log"
rc=$?
rp_check "as $user asking for root: exit 1 (got $rc)" test "$rc" -eq 1
rp_check "as $user: says switching needs root" \
	grep -qF "process.user 'root': switching user needs root; running as uid $uid" "$workdir/other.log"
rp_done
