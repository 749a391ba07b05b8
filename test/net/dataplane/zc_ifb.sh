#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The dataplane's zerocopy transmit path against the ifb "dummy" sink: one
# million zerocopy UDP datagrams, one notification each, none copied, every
# buffer back in the pool; then the auto policy's switch to copy sends when
# the kernel reports copies (a local receiver on loopback).
. "$RP_TOP/test/net/lib.sh"
rp_need_root

prog="$RP_BUILD/test/net/dataplane/zc_ifb_send"
rp_ns ns
rp_ifb_sink "$ns" sink0 10.77.0.1 10.77.0.2 || { rp_fail "ifb sink in $ns"; rp_done; }

rp_check "1,000,000 zerocopy datagrams into the ifb sink: one notification each, none copied, pool full" \
	rp_in "$ns" "$prog" sink 10.77.0.2 9 1000000 1024
rp_check "auto policy on loopback: switches to copy on the first COPIED report, every buffer back" \
	rp_in "$ns" "$prog" loopback 9000 20000 1024
rp_done
