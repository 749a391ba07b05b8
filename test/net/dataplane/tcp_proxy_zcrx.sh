#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tcp-proxy with hardware receive zerocopy (rx-zerocopy, dataplane/
# proxy_zcrx.c) where no device has it (veth: no DMA device):
#   - auto proxies every byte through the provided-buffer fallback (a
#     duplex stream's sha256 both ways, 50 connections checked byte for
#     byte) and says why, in the log and in the counters (every byte the
#     clients sent is a fallback byte, none a zcrx byte);
#   - on refuses to start with the reason and the config position;
#   - rx-zerocopy-area-source: dmabuf: without /dev/udmabuf (a kernel
#     without CONFIG_UDMABUF) on refuses with that reason before the
#     interface is even judged, auto falls back with it and serves.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

DUPLEX=$RP_TOP/test/tools/duplex.py
px=$ECHO_SRV_ADDR
MIB16=$((16 << 20))

# What the interface reason is here: veth has no DMA device, unless the
# kernel has no zcrx at all.
rp_in "$srv_ns" "$RINGPLANE" features --json >"$workdir/feat.json" 2>/dev/null
kernel_zcrx=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(int(next(r for r in d["features"] if r["id"] == "zcrx")["supported"]))' "$workdir/feat.json")
expect_if=software-device
[ "$kernel_zcrx" = 1 ] || expect_if=no-kernel
# dmabuf: judged after the kernel, before the interface
expect_dmabuf=no-udmabuf
[ -e /dev/udmabuf ] && expect_dmabuf=$expect_if
[ "$kernel_zcrx" = 1 ] || expect_dmabuf=no-kernel

# pz_config FILE MODE SOURCE
pz_config() {
	cat >"$1" <<EOC
interfaces:
  - name: ve1
workers:
  count: 1
buffers:
  size: 16384
  count: 512
services:
  - name: echo
    type: tcp-echo
    listen: 127.0.0.1:7100
  - name: pz
    type: tcp-proxy
    listen: $px:7420
    rx-zerocopy: $2
    rx-zerocopy-interface: ve1
    rx-zerocopy-queue: 0
    rx-zerocopy-area-source: $3
    rx-zerocopy-area: 1048576
    backends:
      - address: 127.0.0.1:7100
EOC
}

# duplex_echo BYTES: one client streams BYTES through the proxy to the echo
# backend while reading the echo; what it got back is what it sent.
duplex_echo() {
	local s_sha r_sha n
	rp_in "$cli_ns" timeout 120 python3 "$DUPLEX" client "$px" 7420 "$1" 7 >"$workdir/cli.out" ||
		{ cat "$workdir/cli.out"; return 1; }
	read -r _ s_sha _ r_sha n <"$workdir/cli.out"
	echo "sent $s_sha, received $r_sha, $n bytes"
	[ "$s_sha" = "$r_sha" ] && [ "$n" = "$1" ]
}

# readme_check FALLBACK_BYTES: the command README gives users, as it is
# written there, on service pz: zcrx bytes 0, fallback bytes all of them.
readme_check() {
	local out
	out=$(rp_in "$srv_ns" sh -c "curl -s http://127.0.0.1:9107/metrics | grep -E '^ringplane_rx_zerocopy(_fallback)?_bytes_total'" |
	      grep 'service="pz"')
	echo "$out"
	echo "$out" | grep -qE "^ringplane_rx_zerocopy_bytes_total\{.*\} 0$" &&
		echo "$out" | grep -qE "^ringplane_rx_zerocopy_fallback_bytes_total\{.*\} $1$"
}

# serves_through_fallback LABEL SOURCE REASON
serves_through_fallback() {
	local label=$1 reason=$3 fb zb up
	pz_config "$workdir/$label.yaml" auto "$2"
	rpd_start "$workdir/$label.yaml"
	if ! rpd_wait_metrics; then
		rp_fail "$label: ringplane starts with rx-zerocopy auto"
		return
	fi
	rp_check "$label: the log names the fallback and its reason [$reason]" \
		grep -q "service pz: rx-zerocopy auto: falling back to provided-buffer receive: ve1: .*\[$reason\]" "$RPD_LOG"
	rp_check "$label: 16 MiB through the proxy and back, sha256 of what came back = of what was sent" \
		duplex_echo "$MIB16"
	rp_check "$label: 50 connections x 64 KiB proxied, every byte checked" \
		tool tcp_echo_check "$px:7420" -c 50 -b 65536 --timeout-s 60
	rp_check "$label: all pairs closed" rpd_all_closed pz
	want=$((MIB16 + 50 * 65536))
	fb=$(rpd_counter rx_zerocopy_fallback_bytes pz); zb=$(rpd_counter rx_zerocopy_bytes pz)
	up=$(rpd_counter up_bytes pz)
	rp_check "$label: every byte the clients sent is a fallback byte (rx_zerocopy_fallback_bytes $fb == up_bytes $up == $want), rx_zerocopy_bytes 0 ($zb)" \
		sh -c 'test "$1" -eq "$3" && test "$2" -eq "$3" && test "$4" -eq 0' _ "$fb" "$up" "$want" "$zb"
	rp_check "$label: every buffer is back" rpd_wait_idle
	rp_check "$label: README's one-command check shows the fallback bytes, no zcrx bytes" \
		readme_check "$fb"
	rpd_stop_checked "$label"
}

# refuses LABEL SOURCE REASON [TEXT]
refuses() {
	local label=$1 reason=$3 text=${4:-} st
	pz_config "$workdir/$label.yaml" on "$2"
	rp_in "$srv_ns" "$RINGPLANE" run -c "$workdir/$label.yaml" 2>"$workdir/$label.log"
	st=$?
	rp_check "$label: run exits 1 (got $st)" test "$st" -eq 1
	rp_check "$label: the error names the service, the config position and the reason [$reason]" \
		grep -q "service pz: rx-zerocopy on (.*$label.yaml:[0-9]*:[0-9]*) cannot be had: ve1: .*\[$reason\]" "$workdir/$label.log"
	[ -n "$text" ] && rp_check "$label: ... '$text'" grep -qF "$text" "$workdir/$label.log"
	rp_check "$label: it never listened" sh -c '! grep -q "running:" "$1"' _ "$workdir/$label.log"
}

udmabuf_text=
[ "$expect_dmabuf" = no-udmabuf ] &&
	udmabuf_text="no /dev/udmabuf: kernel without CONFIG_UDMABUF; use rx-zerocopy-area-source: memory"

serves_through_fallback auto-memory memory "$expect_if"
refuses on-memory memory "$expect_if"
refuses on-dmabuf dmabuf "$expect_dmabuf" "$udmabuf_text"
serves_through_fallback auto-dmabuf dmabuf "$expect_dmabuf"
[ -n "$udmabuf_text" ] && rp_check "auto-dmabuf: the log says '$udmabuf_text'" \
	grep -qF "$udmabuf_text" "$workdir/ringplane.log"
rp_check "features: the zcrx_dmabuf row agrees with /dev/udmabuf" python3 -c '
import json, os, sys
d = json.load(open(sys.argv[1]))
r = next(r for r in d["features"] if r["id"] == "zcrx_dmabuf")
assert r["supported"] == os.path.exists("/dev/udmabuf"), r
assert r["supported"] or "no /dev/udmabuf" in r["why"], r' "$workdir/feat.json"
rp_done
