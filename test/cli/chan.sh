#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ringplane chan` as separate processes: exit codes and errors, a broadcast
# round trip to two listeners, stats, a SIGKILLed listener that stops
# blocking a sender once detected, destroy under an attached listener, and
# access as another user (nobody) with and without group permission.
. "$RP_TOP/test/net/lib.sh"

rp=$RINGPLANE
n="cli-$$"
n2="cli-$$-k"
rp_tmpdir tmp
_chan_cleanup() {
	_rp_cleanup
	"$rp" chan destroy "$n" 2>/dev/null
	"$rp" chan destroy "$n2" 2>/dev/null
}
trap _chan_cleanup EXIT

# bg CMD...: in the background, killed at exit; pid in BG.
bg() {
	"$@" &
	BG=$!
	_rp_pids+=("$BG")
}

# wait_rx NAME N: until the channel has N receivers (10 s at most).
wait_rx() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$("$rp" chan stats "$1" --json | grep -c '"index"')" -eq "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

"$rp" chan >/dev/null 2>&1
rp_check "chan without subcommand: exit 2" [ $? -eq 2 ]
"$rp" chan frobnicate x >/dev/null 2>&1
rp_check "unknown subcommand: exit 2" [ $? -eq 2 ]
"$rp" chan create "$n" --mode sideways >/dev/null 2>&1
rp_check "bad --mode: exit 2" [ $? -eq 2 ]
"$rp" chan create "$n" --slots 1000 2>"$tmp/err"
rp_check "slots not a power of two: exit 1" [ $? -eq 1 ]
rp_check "... and says so" grep -q "power of two" "$tmp/err"
"$rp" chan listen "nosuch-$$" --batch 0 >/dev/null 2>&1
rp_check "listen --batch 0: exit 2" [ $? -eq 2 ]
"$rp" chan listen "nosuch-$$" 2>"$tmp/err"
rp_check "listen to a missing channel: exit 1" [ $? -eq 1 ]
rp_check "... naming the file" grep -q "/dev/shm/ringplane-chan.nosuch-$$: no such channel" "$tmp/err"

# Broadcast round trip: both listeners get every line, in order (the
# second coalescing: a batch of 32 it never fills arrives by its delay).
rp_check "create broadcast" "$rp" chan create "$n" --mode broadcast --slots 8
"$rp" chan create "$n" 2>"$tmp/err"
rp_check "create twice: exit 1, 'exists'" grep -q "exists" "$tmp/err"
bg "$rp" chan listen "$n" --count 3 >"$tmp/l1"; p1=$BG
bg "$rp" chan listen "$n" --count 3 --batch 32 --batch-delay-us 2000 >"$tmp/l2"; p2=$BG
rp_check "two listeners attached" wait_rx "$n" 2
rp_check "send one message" "$rp" chan send "$n" one
printf 'two\nthree\n' | "$rp" chan send "$n"
rp_check "send lines from stdin" [ $? -eq 0 ]
wait "$p1"; r1=$?
wait "$p2"; r2=$?
rp_check "listeners exit 0 after --count" [ "$r1$r2" = 00 ]
printf 'one\ntwo\nthree\n' >"$tmp/want"
rp_check "listener 1 got one two three" cmp -s "$tmp/want" "$tmp/l1"
rp_check "listener 2 got one two three" cmp -s "$tmp/want" "$tmp/l2"
"$rp" chan stats "$n" >"$tmp/stats"
rp_check "stats: sent 3" grep -q "sent 3," "$tmp/stats"
rp_check "stats: mode broadcast" grep -q "mode broadcast, policy block, 8 slots" "$tmp/stats"
json_sent() { "$rp" chan stats "$1" --json | python3 -c "import json,sys; assert json.load(sys.stdin)['sent'] == $2"; }
rp_check "stats --json: sent 3" json_sent "$n" 3

# A listener stopped with the ring full blocks the sender (block policy);
# SIGKILLed, it is detected and detached, and the sender finishes.
rp_check "create a 4-slot channel" "$rp" chan create "$n2" --mode broadcast --slots 4 --block-timeout-ms 60000
bg "$rp" chan listen "$n2" >/dev/null; pl=$BG
rp_check "listener attached" wait_rx "$n2" 1
kill -STOP "$pl"
bg "$rp" chan send "$n2" x --count 50; ps=$BG
sleep 0.5
rp_check "sender blocked by the stopped listener" kill -0 "$ps"
kill -KILL "$pl"
wait "$ps"
rp_check "sender finished once the killed listener was detected" [ $? -eq 0 ]
rp_check "killed listener detached" wait_rx "$n2" 0
rp_check "stats: sent 50, no timeouts" grep -q "sent 50, head 50, send timeouts 0" <("$rp" chan stats "$n2")

# Destroy while a listener is attached: it drains and exits 0.
bg "$rp" chan listen "$n"; pl=$BG
rp_check "listener attached again" wait_rx "$n" 1
rp_check "destroy" "$rp" chan destroy "$n"
wait "$pl"
rp_check "listener exits 0 on destroy" [ $? -eq 0 ]
rp_check "file gone" [ ! -e "/dev/shm/ringplane-chan.$n" ]

# Addressed: two listeners of a multicast channel; a message --to one id
# reaches that listener only; an unknown id is refused.
na=$n-to
rp_check "create multicast" "$rp" chan create "$na" --mode multicast
bg "$rp" chan listen "$na" --count 1 --timeout-ms 5000; la=$BG
"$rp" chan listen "$na" --count 1 --timeout-ms 1500 >"$tmp/to-b" 2>/dev/null &
lb=$!; _rp_pids+=("$lb")
rp_check "two listeners attached" wait_rx "$na" 2
ids=$("$rp" chan stats "$na" --json | python3 -c 'import json,sys; print(" ".join(str(r["id"]) for r in json.load(sys.stdin)["receivers"]))')
pid_a_id=$("$rp" chan stats "$na" --json | python3 -c '
import json, sys
for r in json.load(sys.stdin)["receivers"]:
    if r["pid"] == int(sys.argv[1]): print(r["id"])' "$la")
rp_check "stats lists both ids ($ids)" [ "$(echo $ids | wc -w)" -eq 2 ]
rp_check "send --to the first listener" "$rp" chan send "$na" addressed --to "$pid_a_id"
wait "$la"; rp_check "addressed listener got it and exited 0" [ $? -eq 0 ]
wait "$lb"; rp_check "the other listener got nothing (timed out, exit 1)" [ $? -eq 1 ]
rp_check "... and printed nothing" [ ! -s "$tmp/to-b" ]
"$rp" chan send "$na" x --to 999 2>"$tmp/err"
rp_check "an unknown id is refused (exit 1)" [ $? -eq 1 ]
rp_check "... saying why" grep -q "not a receiver id" "$tmp/err"
"$rp" chan destroy "$na"

# Access: the file's mode and group decide.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	as_nobody() { setpriv --reuid=65534 --regid=65534 "$@"; }
	rp_check "create 0600" "$rp" chan create "$n" --perm 0600
	as_nobody --clear-groups "$rp" chan send "$n" hi 2>"$tmp/err"
	rp_check "nobody refused on a 0600 channel (exit 1)" [ $? -eq 1 ]
	rp_check "... Permission denied, naming the file" grep -q "ringplane-chan.$n: .*Permission denied" "$tmp/err"
	"$rp" chan destroy "$n"
	rp_check "create 0660 group 4242" "$rp" chan create "$n" --perm 0660 --group 4242
	as_nobody --clear-groups "$rp" chan send "$n" hi 2>/dev/null
	rp_check "nobody outside the group refused" [ $? -eq 1 ]
	rp_check "nobody in group 4242 sends" as_nobody --groups=4242 "$rp" chan send "$n" hi
else
	echo "SKIP: access part needs root and setpriv"
fi

rp_done
