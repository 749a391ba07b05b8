#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# logging.format json: every line the appliance writes from start to exit is
# one JSON object with ts, level, worker and msg (a service name with a
# quote, a backslash and a tab comes back intact after decoding);
# logging.level warn drops the info lines.
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

echo_config "$workdir/json.yaml" auto
sed -i 's/^  level: info$/  level: debug\n  format: json/; s/^  - name: udp$/  - name: "u\\"d\\\\p\\t1"/' "$workdir/json.yaml"
rp_check "config: json format, a service name with a quote, a backslash, a tab" \
	"$RINGPLANE" check --quiet "$workdir/json.yaml"
rpd_start "$workdir/json.yaml"
if rpd_wait_metrics; then
	rp_check "echo" tool udp_echo_check "$ECHO_SRV_ADDR:7007" --sizes 64,1400 --retries 8 --timeout-ms 500
	rpd_stop_checked "json"
	rp_check "every line is a JSON object with ts, level, worker, msg" python3 - "$RPD_LOG" <<'PY'
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
ok = bool(lines)
for l in lines:
    try:
        o = json.loads(l)
    except ValueError:
        print("not JSON:", l); ok = False; continue
    if set(o) != {"ts", "level", "worker", "msg"} or o["level"] not in ("error", "warn", "info", "debug") \
       or not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", o["ts"]) or not isinstance(o["worker"], int):
        print("bad fields:", l); ok = False
print(len(lines), "lines")
sys.exit(0 if ok else 1)
PY
	rp_check "the odd service name decodes intact" python3 -c '
import json, sys
sys.exit(0 if any("u\"d\\p\t1@" in json.loads(l)["msg"] for l in open(sys.argv[1])) else 1)' "$RPD_LOG"
	rp_check "worker lines carry their worker id" python3 -c '
import json, sys
sys.exit(0 if any(json.loads(l)["worker"] == 0 for l in open(sys.argv[1])) else 1)' "$RPD_LOG"
else
	rp_fail "ringplane starts with json logs"
fi

echo_config "$workdir/warn.yaml" auto
sed -i 's/^  level: info$/  level: warn/' "$workdir/warn.yaml"
rpd_start "$workdir/warn.yaml"
if rpd_wait_metrics; then
	rpd_stop_checked "warn"
	rp_check "level warn: no info line" sh -c "! grep -q ' info ' '$RPD_LOG'"
	rp_check "level warn: text lines (timestamp, level)" \
		sh -c "! grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z (warn |error) ' '$RPD_LOG'"
else
	rp_fail "ringplane starts with level warn"
fi
rp_done
