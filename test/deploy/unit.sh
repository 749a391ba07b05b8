#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The systemd unit as built (build/deploy/ringplane.service): it passes
# `systemd-analyze verify` (with ExecStart on this build's binary, which
# verify requires to exist), states what the appliance needs and no more,
# and `systemd-analyze security --offline` rates its exposure at most
# $max_exposure (the README records the score; a change that loosens the
# sandbox fails here).
. "$RP_TOP/test/net/lib.sh"
max_exposure=1.7

command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
rp_tmpdir tmp
built=$RP_BUILD/deploy/ringplane.service
unit=$tmp/ringplane.service
rp_check "the unit is built" test -f "$built" || rp_done
conf=$RP_TOP/config/examples/default.yaml
sed -e "s|^ExecStartPre=.*|ExecStartPre=$RINGPLANE check --quiet $conf|" \
    -e "s|^ExecStart=.*|ExecStart=$RINGPLANE run -c $conf|" "$built" >"$unit"

# verify also runs `man ringplane(8)` for Documentation=: the built page.
mkdir -p "$tmp/man/man8" && cp "$RP_BUILD/deploy/ringplane.8" "$tmp/man/man8/"
MANPATH=$tmp/man systemd-analyze verify "$unit" >"$tmp/verify" 2>&1
rc=$?
rp_check "systemd-analyze verify: exit 0 (got $rc)" test "$rc" -eq 0
rp_check "systemd-analyze verify: no complaint" test ! -s "$tmp/verify"
cat "$tmp/verify"

has() { grep -qxF -- "$1" "$built"; }
rp_check "Type=notify" has "Type=notify"
rp_check "a dedicated user" has "User=ringplane"
rp_check "only CAP_NET_ADMIN and CAP_IPC_LOCK, ambient" has "AmbientCapabilities=CAP_NET_ADMIN CAP_IPC_LOCK"
rp_check "... and bounding" has "CapabilityBoundingSet=CAP_NET_ADMIN CAP_IPC_LOCK"
rp_check "locked memory for registered buffers" has "LimitMEMLOCK=infinity"
rp_check "fd limit for fixed files" grep -q "^LimitNOFILE=[0-9]" "$built"
rp_check "io_uring allowed by the filter" \
	has "SystemCallFilter=@system-service io_uring_setup io_uring_enter io_uring_register"
rp_check "address families" has "RestrictAddressFamilies=AF_INET AF_INET6 AF_NETLINK AF_UNIX"
rp_check "reload is SIGHUP" has 'ExecReload=/bin/kill -HUP $MAINPID'
rp_check "watchdog" grep -q "^WatchdogSec=[1-9]" "$built"
for opt in ProtectSystem=strict ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes; do
	rp_check "$opt" has "$opt"
done

systemd-analyze security --offline=yes "$unit" >"$tmp/security" 2>&1
score=$(sed -n 's/.*Overall exposure level for ringplane.service: \([0-9.]*\).*/\1/p' "$tmp/security")
echo "systemd-analyze security: exposure $score"
rp_check "security: an exposure score ($score)" test -n "$score"
grep -E '^✗' "$tmp/security"	# what still counts against it
rp_check "security: exposure $score <= $max_exposure" \
	python3 -c "import sys; sys.exit(not float('${score:-99}') <= $max_exposure)"
rp_done
