#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's first command runs the default config; it must also work for
# an unprivileged user (8 MiB RLIMIT_MEMLOCK, no CAP_IPC_LOCK): start, serve
# UDP and TCP echo on 127.0.0.1:7007, stop cleanly on SIGINT.
. "$RP_TOP/test/net/lib.sh"
rp_need_root
rp_ns ns
rp_tmpdir dir
chmod 755 "$dir"
cp "$RINGPLANE" "$dir/ringplane" && chmod 755 "$dir/ringplane"

ip netns exec "$ns" runuser -u nobody -- sh -c "ulimit -l 8192; exec '$dir/ringplane' run -c '$RP_TOP/config/examples/default.yaml'" 2>"$dir/log" &
pid=$!
_rp_pids+=("$pid")
rp_check "udp 7007 listens" rp_wait_port "$ns" udp 7007
rp_check "tcp 7007 listens" rp_wait_port "$ns" tcp 7007
rp_check "udp echo as nobody" rp_in "$ns" "$RP_BUILD/test/tools/udp_echo_check" 127.0.0.1:7007 -s 1,512,4000
rp_check "tcp echo as nobody" rp_in "$ns" "$RP_BUILD/test/tools/tcp_echo_check" 127.0.0.1:7007 -c 20 -b 10000
rp_check "no error logged" sh -c "! grep -q ' error ' '$dir/log'"
pkill -INT -f "$dir/ringplane run" ; wait "$pid"
st=$?
rp_check "exit 0 after SIGINT (got $st)" test "$st" -eq 0
rp_check "every buffer back" grep -q 'buffers free 512/512' "$dir/log"
rp_done
