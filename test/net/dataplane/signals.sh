#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Signals and failures the appliance must survive or report:
#  1. SIGHUP reloads the config (unchanged here: "nothing changed", then
#     applied on every worker); the appliance still echoes, and SIGTERM
#     then drains and exits 0. (Reload itself: reload.sh.)
#  2. A worker whose loop fails stops the whole appliance: the error names
#     the worker and the reason, the other worker drains (all its buffers
#     back), and the exit status is 1. The failure comes from the test-only
#     binary ringplane_faulty (fault_worker_loop.c, RP_TEST_FAIL_WORKER).
. "$RP_TOP/test/net/lib.sh"
. "$RP_TOP/test/net/dataplane/echo_lib.sh"
rp_need_root
echo_topology

echo_sizes() {
	tool udp_echo_check "$ECHO_SRV_ADDR:7007" --sizes 1-1400/7 --retries 8 --timeout-ms 500
}

# ---- 1. SIGHUP -------------------------------------------------------------
echo_config "$workdir/hup.yaml" auto
rpd_start "$workdir/hup.yaml"
if rpd_wait_metrics; then
	rp_check "echo before SIGHUP" echo_sizes
	kill -HUP "$RPD_PID"
	rp_check "SIGHUP re-reads the unchanged config" rpd_log_has "reload: $workdir/hup.yaml: nothing changed"
	rp_check "SIGHUP's reload is applied" rpd_log_has "reload: applied on every worker"
	rp_check "still running after SIGHUP" kill -0 "$RPD_PID"
	rp_check "echo after SIGHUP" echo_sizes
	rpd_stop_checked "SIGHUP then SIGTERM"
	rp_check "the drain ran (stopped cleanly)" grep -q "stopped cleanly" "$RPD_LOG"
else
	rp_fail "ringplane starts"
fi

# ---- 2. a worker's loop fails --------------------------------------------------
echo_config "$workdir/fail.yaml" auto
sed -i 's/^  count: 1$/  count: 2/' "$workdir/fail.yaml"	# workers.count
rp_check "the config asks for 2 workers" grep -q "^  count: 2$" "$workdir/fail.yaml"
export RP_TEST_FAIL_WORKER=1
RINGPLANE=$RP_BUILD/test/net/dataplane/ringplane_faulty rpd_start "$workdir/fail.yaml"
unset RP_TEST_FAIL_WORKER
for ((i = 0; i < 300; i++)); do
	kill -0 "$RPD_PID" 2>/dev/null || break
	sleep 0.05
done
if kill -0 "$RPD_PID" 2>/dev/null; then
	rp_fail "the appliance stops by itself when worker 1 fails (still running after 15 s)"
	tail -20 "$RPD_LOG"
	rpd_stop
else
	wait "$RPD_PID"
	RPD_STATUS=$?
	rp_check "exit status 1 after a worker failed (got $RPD_STATUS)" test "$RPD_STATUS" -eq 1
	rp_check "the error names the worker and the reason" grep -qF \
		"worker 1 failed (fault injected by the test build: Input/output error): stopping the appliance" \
		"$RPD_LOG"
	rp_check "worker 0 was asked to drain" grep -q "worker 0: stopping" "$RPD_LOG"
	rp_check "worker 0 drained: every buffer back" grep -qE "worker 0: exiting: buffers free ([0-9]+)/\1$" "$RPD_LOG"
	rp_check "no claim of a clean stop" sh -c "! grep -q 'stopped cleanly' '$RPD_LOG'"
	rp_check "no sanitizer report" rpd_log_clean
fi
rp_done
