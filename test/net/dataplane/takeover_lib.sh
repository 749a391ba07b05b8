# SPDX-License-Identifier: MIT
# What the takeover tests share (sourced after echo_lib.sh):
#   takeover_start CONFIG LABEL  # run --takeover in $srv_ns (RPD_PID, RPD_LOG rp-LABEL.log)
#   takeover_wait OLD_PID        # until the old (or the new) one has gone; OLD_STATUS
#   takeover OLD_PID CONFIG LABEL
#   wait_log FILE TEXT           # until FILE has TEXT (30 s at most)
#   all_buffers_back LOG [COUNT] # both workers of an appliance that exited said so

# Exit status of a background appliance (rp_bg's child of this shell).
exit_of() { wait "$1"; echo $?; }

takeover_start() {
	RPD_LOG=$workdir/rp-$2.log
	rp_bg "$srv_ns" "$RINGPLANE" run --takeover -c "$1" 2>"$RPD_LOG"
	RPD_PID=$RP_BG_PID
}

takeover_wait() {
	local i
	for ((i = 0; i < 600; i++)); do
		kill -0 "$1" 2>/dev/null || break
		kill -0 "$RPD_PID" 2>/dev/null || break
		sleep 0.05
	done
	OLD_STATUS=$(exit_of "$1")
}

takeover() {
	takeover_start "$2" "$3"
	takeover_wait "$1"
}

wait_log() {
	local i
	for ((i = 0; i < 600; i++)); do
		grep -q "$2" "$1" && return 0
		sleep 0.05
	done
	echo "no '$2' in $1"
	return 1
}

all_buffers_back() {
	local n=${2:-512}

	test "$(grep -c "exiting: buffers free $n/$n" "$1")" -eq 2
}
