#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# In a network namespace whose loopback is down, the feature probes that send
# over loopback cannot run; that says nothing about the kernel. `features`
# must still report the kernel's SEND_ZC, and `run` must start.
. "$RP_TOP/test/net/lib.sh"
rp_need_root
rp_ns ns
rp_tmpdir dir
ip -n "$ns" link set lo down

rp_in "$ns" "$RINGPLANE" features --json >"$dir/f.json"
rp_check "features exits 0 with lo down" test $? -eq 0
rp_check "send_zc still reported supported" python3 -c "
import json, sys
d = json.load(open('$dir/f.json'))
rows = d['features'] if isinstance(d, dict) and 'features' in d else d
row = [r for r in rows if r['id'] == 'send_zc'][0]
sys.exit(0 if row['supported'] else 1)"

cat >"$dir/c.yaml" <<'YAML'
services:
  - type: udp-echo
    listen: 127.0.0.1:7401
metrics:
  enabled: false
YAML
rp_bg "$ns" "$RINGPLANE" run -c "$dir/c.yaml" 2>"$dir/log"
pid=$RP_BG_PID
rp_check "run starts with lo down" rp_wait_port "$ns" udp 7401
rp_check "no claim that the kernel lacks SEND_ZC" sh -c "! grep -q 'not supported by this kernel' '$dir/log'"
kill -TERM "$pid"; wait "$pid"
rp_check "exit 0 after SIGTERM" test $? -eq 0
rp_done
