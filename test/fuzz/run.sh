#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# libFuzzer targets, built here with clang from the project's own sources
# (the main build uses gcc): the YAML config loader, sockperf's TCP framing,
# nicmgr's netlink parsers and the channel file (chan/).
#
#   run.sh fuzz [SECONDS]   fuzz each target for SECONDS (default 20), seeded
#                           with test/fuzz/corpus/TARGET; a crash fails the
#                           test and leaves its input in the log directory
#   run.sh replay           run every seed and every kept crash reproducer
#                           (test/fuzz/crashes/TARGET-*) once: the fixes hold
#
# Skips (77) without clang. Runs in a network namespace of its own: the
# config loader resolves addresses and must not reach a real resolver.
. "$RP_TOP/test/net/lib.sh"
mode=${1:-fuzz}
secs=${2:-${RP_FUZZ_SECONDS:-20}}
targets=(config sockperf netlink chan)
fuzz=$RP_TOP/test/fuzz

command -v clang >/dev/null || { echo "SKIP: no clang (apt-get install clang libclang-rt-14-dev)"; exit 77; }
rp_need_root
rp_tmpdir tmp
out=$RP_BUILD/fuzz
mkdir -p "$out"

cflags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-Wall -Wextra -Werror -Wno-missing-field-initializers
	-D_GNU_SOURCE -DRP_VERSION='"fuzz"' -I"$RP_TOP")
# The channel library is the config's too (events.channel names a channel).
srcs_chan=(chan/chan.c chan/consumer.c chan/guard.c chan/info.c chan/layout.c chan/liveness.c chan/producer.c
	chan/region.c chan/skip.c chan/wait.c)
srcs_config=(config/load.c config/tree.c config/value.c config/rules.c config/rules_zcrx.c config/errors.c
	config/suggest.c config/schema.c config/print.c config/file.c "$RP_BUILD/config/default_yaml.c"
	"${srcs_chan[@]}")
srcs_sockperf=(dataplane/sockperf.c)
srcs_netlink=(nicmgr/nl.c nicmgr/ethsect.c nicmgr/channels.c nicmgr/rings.c nicmgr/coalesce.c
	nicmgr/strset.c nicmgr/features.c nicmgr/linkinfo.c nicmgr/rss.c nicmgr/napi.c
	nicmgr/queues.c nicmgr/status.c)
# Seeds: the target's own corpus, and for the config loader the examples
# and the bad configs of the check tests.
seeds_config=("$fuzz/corpus/config" "$RP_TOP/config/examples" "$RP_TOP/test/corpus/config/bad")
seeds_sockperf=("$fuzz/corpus/sockperf")
seeds_netlink=("$fuzz/corpus/netlink")
seeds_chan=("$fuzz/corpus/chan")
libs_config=(-lyaml -luring -lpthread)
libs_sockperf=()
libs_netlink=(-lmnl)
libs_chan=(-luring -lpthread)

build() {	# build TARGET: $out/fuzz_TARGET
	local t=$1 srcs libs
	srcs="srcs_$t[@]" libs="libs_$t[@]"
	(cd "$RP_TOP" && clang "${cflags[@]}" -o "$out/fuzz_$t" "test/fuzz/fuzz_$t.c" \
		"${!srcs}" "${!libs}") 2>"$tmp/build-$t.log"
}

# The config fuzzer's dictionary: every key and enum name of reference.yaml.
dict() {
	grep -oE '^ *(- )?[a-z][a-z0-9-]*:|one of [a-z|-]+' "$RP_TOP/config/examples/reference.yaml" |
		sed -E 's/^ *(- )?//; s/^one of //' | tr '|' '\n' | sort -u | sed 's/.*/"&"/' >"$tmp/config.dict"
	printf '"- "\n"~"\n"auto"\n"127.0.0.1:7007"\n"[::1]:7007"\n"4k"\n"0-3,6"\n' >>"$tmp/config.dict"
}

rp_ns ns
dict
for t in "${targets[@]}"; do
	if ! build "$t"; then
		rp_fail "fuzz_$t builds with clang"; cat "$tmp/build-$t.log"; continue
	fi
	seeds="seeds_$t[@]"
	opts=(-rss_limit_mb=2048 -timeout=10)
	[ "$t" = config ] && opts+=(-dict="$tmp/config.dict")
	if [ "$mode" = replay ]; then
		mapfile -t inputs < <(find "${!seeds}" -type f | sort
			find "$fuzz/crashes" -type f -name "$t-*" | sort)
		rp_in "$ns" "$out/fuzz_$t" "${opts[@]}" "${inputs[@]}" >"$tmp/$t.log" 2>&1
		rc=$?
		rp_check "fuzz_$t: ${#inputs[@]} seeds and reproducers run clean" test "$rc" -eq 0
		[ "$rc" -eq 0 ] || tail -40 "$tmp/$t.log"
		continue
	fi
	mkdir -p "$tmp/corpus-$t" "$tmp/crash"
	rp_in "$ns" "$out/fuzz_$t" "${opts[@]}" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$tmp/crash/$t-" "$tmp/corpus-$t" "${!seeds}" >"$tmp/$t.log" 2>&1
	rc=$?
	grep -E '^stat::(number_of_executed_units|new_units_added)' "$tmp/$t.log" | tr '\n' ' '
	echo "($t)"
	rp_check "fuzz_$t: ${secs}s without a crash" test "$rc" -eq 0
	if [ "$rc" -ne 0 ]; then
		tail -60 "$tmp/$t.log"
		for c in "$tmp"/crash/*; do
			[ -f "$c" ] || continue
			keep=$RP_BUILD/fuzz/$(basename "$c")
			cp "$c" "$keep"
			echo "reproducer: $keep (fix, then keep it in test/fuzz/crashes/)"
			base64 -w0 "$c"; echo
		done
	fi
done
rp_done
