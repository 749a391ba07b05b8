#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane features --json` is valid JSON, every row says supported true or
# false and, when false, why; the table form and the usage errors behave.
set -u
fail=0
check() { # what, then a command that must succeed
	local what=$1; shift
	if "$@"; then echo "ok - $what"; else echo "FAIL - $what"; fail=1; fi
}
tmp=$(mktemp -d /tmp/rp-features.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

"$RINGPLANE" features --json >"$tmp/out.json" 2>"$tmp/err"
rc=$?
check "features --json exits 0 or 1 (1 only when a required row is missing)" \
	test "$rc" -eq 0 -o "$rc" -eq 1
check "features --json is JSON of the documented shape" python3 - "$tmp/out.json" "$rc" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
rc = int(sys.argv[2])
rows = doc["features"]
assert doc["kernel"], "kernel release"
assert doc["liburing"]["build"] and doc["liburing"]["runtime"], "liburing versions"
assert len(rows) >= 30, f"only {len(rows)} rows"
ids = [r["id"] for r in rows]
assert len(set(ids)) == len(ids), "ids are unique"
for r in rows:
    assert isinstance(r["supported"], bool), r["id"]
    assert r["name"] and r["kind"] and r["used_for"], r["id"]
    assert isinstance(r["required"], bool), r["id"]
    if r["supported"]:
        assert "why" not in r, r["id"]
    else:
        assert isinstance(r.get("why"), str) and r["why"], f"{r['id']}: no why"
        assert r["errno"] > 0, r["id"]
missing_required = [r["id"] for r in rows if r["required"] and not r["supported"]]
assert doc["required_ok"] == (not missing_required)
assert (rc == 0) == doc["required_ok"], "exit status follows required_ok"
for need in ("send_zc", "msg_ring_fd", "single_issuer", "zcrx", "pbuf_ring_inc", "socket_direct"):
    assert need in ids, need
# used_for names only what this build does: no channels, reload or
# worker-to-worker work items exist, and rows nothing uses say so
by_id = {r["id"]: r for r in rows}
for r in rows:
    for word in ("channel", "reload", "work item", "stats"):
        assert word not in r["used_for"].lower(), f"{r['id']}: used_for names '{word}'"
# zcrx per interface: one entry per interface but lo, a known reason, usable
# exactly when the reason says so, and the reason spelled out
reasons = {"usable", "no-kernel", "no-device", "software-device", "no-queue",
           "no-tcp-data-split", "no-ntuple", "no-rss", "registration-refused", "no-udmabuf"}
zi = doc["zcrx_interfaces"]
names = [z["interface"] for z in zi]
assert "lo" not in names and len(set(names)) == len(names), names
for z in zi:
    assert z["reason"] in reasons, z
    assert z["usable"] == (z["reason"] == "usable"), z
    assert z["why"].startswith(z["interface"] + ": "), z
    if not by_id["zcrx"]["supported"]:
        assert z["reason"] == "no-kernel", z
for unused in ("futex_wait", "coop_taskrun"):
    assert by_id[unused]["used_for"].startswith("nothing in this build uses it"), unused
for used in ("pbuf_ring_inc", "bundle"):
    assert "forward: bundle" in by_id[used]["used_for"], used
PY

"$RINGPLANE" features >"$tmp/table" 2>/dev/null
check "the table has a line per row plus a header" \
	test "$(grep -c -E ' (yes|no) ' "$tmp/table")" -ge 30
"$RINGPLANE" features --help >"$tmp/help"
check "features --help exits 0" test $? -eq 0
check "and prints its usage on stdout" grep -q "usage: ringplane features" "$tmp/help"
"$RINGPLANE" features --bogus >/dev/null 2>"$tmp/err"
check "features --bogus exits 2" test $? -eq 2
check "and says so on stderr" grep -q "unknown option" "$tmp/err"
"$RINGPLANE" features extra >/dev/null 2>&1
check "features with an argument exits 2" test $? -eq 2
exit $fail
