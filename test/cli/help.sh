#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every subcommand that `ringplane --help` lists answers --help: usage on
# stdout, exit 0; so does every sub-subcommand its usage names in lower case
# (`ringplane chan create ...`, `ringplane nic show ...`). The lists come
# from the binary, so a new command is covered without touching this test.
. "$RP_TOP/test/net/lib.sh"

rp_tmpdir tmp
cmds=$("$RINGPLANE" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
rp_check "ringplane --help lists commands" [ -n "$cmds" ]

for c in $cmds; do
	"$RINGPLANE" "$c" --help >"$tmp/out" 2>"$tmp/err"
	rc=$?
	rp_check "$c --help: exit 0 (got $rc)" [ "$rc" -eq 0 ]
	rp_check "$c --help: text on stdout" [ -s "$tmp/out" ]
	subs=$(sed -n "s/^\(usage:\)\{0,1\} *ringplane $c \([a-z][a-z-]*\)\( .*\)\{0,1\}\$/\2/p" "$tmp/out" | sort -u)
	for s in $subs; do
		"$RINGPLANE" "$c" "$s" --help >"$tmp/out" 2>"$tmp/err"
		rc=$?
		rp_check "$c $s --help: exit 0 (got $rc)" [ "$rc" -eq 0 ]
		rp_check "$c $s --help: text on stdout" [ -s "$tmp/out" ]
	done
done

rp_done
