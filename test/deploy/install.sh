#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `meson install` into a scratch DESTDIR: the binary, the man page, the
# systemd unit and its sysusers.d user, bash completion and the example
# configs land in their FHS places (relative to the build's prefix). The
# man page renders without a warning and lists every subcommand `ringplane
# --help` lists and every key reference.yaml holds; the completion offers
# every subcommand and a command's long options.
. "$RP_TOP/test/net/lib.sh"
rp_tmpdir tmp
dest=$tmp/root

meson install -C "$RP_BUILD" --no-rebuild --quiet --destdir "$dest" >"$tmp/install.log" 2>&1
rc=$?
rp_check "meson install --destdir: exit 0 (got $rc)" [ "$rc" -eq 0 ] || cat "$tmp/install.log"

# What landed under DESTDIR (the paths follow the build's prefix).
(cd "$dest" && find . -type f | sed 's/^\.//') >"$tmp/installed"
dest_of() {	# dest_of PATH-REGEX: the one installed path matching, else ""
	local hits
	hits=$(grep -E -- "$1" "$tmp/installed")
	[ "$(grep -c . <<<"$hits")" -eq 1 ] && echo "$hits"
}
installed() {	# installed WHAT PATH-REGEX: installed there, and the file exists
	local p
	p=$(dest_of "$2")
	rp_check "$1 installed ($p)" test -n "$p" -a -e "$dest$p"
}
installed "binary in sbin" '/sbin/ringplane$'
installed "man page ringplane(8)" '/share/man/man8/ringplane\.8$'
installed "systemd unit" '/systemd/system/ringplane\.service$'
installed "sysusers.d user" '/sysusers\.d/ringplane\.conf$'
installed "bash completion" '/bash-completion/completions/ringplane$'
installed "the unit's config" '/etc/ringplane/ringplane\.yaml$'
for ex in default reference sockperf zerocopy; do
	installed "example $ex.yaml" "/etc/ringplane/examples/$ex\\.yaml\$"
done

bin=$(dest_of '/sbin/ringplane$')
unit=$dest$(dest_of '/systemd/system/ringplane\.service$')
conf=$(dest_of '/etc/ringplane/ringplane\.yaml$')
rp_check "the unit runs the installed binary on the installed config" \
	grep -qxF "ExecStart=$bin run -c $conf" "$unit"
rp_check "the installed binary runs" "$dest$bin" --version

# The page renders, without groff warnings, and says what the binary says.
man_src=$dest$(dest_of '/man8/ringplane\.8$')
MANWIDTH=200 man --warnings -l "$man_src" 2>"$tmp/man.err" | col -bx >"$tmp/man.txt"
rp_check "man -l renders the page" grep -q "^NAME" "$tmp/man.txt"
sed 's/^ *//; s/ *$//' "$tmp/man.txt" >"$tmp/man.lines"	# headings as whole lines
rp_check "no groff warnings" test ! -s "$tmp/man.err"
cat "$tmp/man.err"
rp_check "installed page is what 'ringplane man' prints" \
	sh -c "'$RINGPLANE' man | cmp -s - '$man_src'"

cmds=$("$RINGPLANE" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
rp_check "ringplane --help lists commands" test -n "$cmds"
for c in $cmds; do
	rp_check "man page: command $c" grep -qxF "ringplane $c" "$tmp/man.lines"
done

# Key paths of reference.yaml (a.b, list entries a[].b; the values of an
# ethtool feature map are names, not keys), each a heading in the page.
python3 - "$RP_TOP/config/examples/reference.yaml" <<'PY' | sort -u >"$tmp/keys"
import re, sys
stack = []	# (indent, path) of the open sections and list entries
for line in open(sys.argv[1]):
    d = re.match(r'^( *)- ', line)
    if d:	# a list entry: its keys are children of LIST[]
        di = len(d.group(1))
        while stack and stack[-1][0] >= di:
            stack.pop()
        stack.append((di, stack[-1][1] + "[]"))
        line = " " * (di + 2) + line[d.end():]
    m = re.match(r'^( *)([a-z][a-z0-9-]*):', line)
    if not m:
        continue
    indent = len(m.group(1))
    while stack and stack[-1][0] >= indent:
        stack.pop()
    path = (stack[-1][1] + "." if stack else "") + m.group(2)
    print(path)
    stack.append((indent, path))
PY
rp_check "reference.yaml has keys ($(wc -l <"$tmp/keys"))" test "$(wc -l <"$tmp/keys")" -gt 50
missing=0
while read -r k; do
	grep -qxF "$k" "$tmp/man.lines" || { echo "not in the man page: $k"; missing=$((missing + 1)); }
done <"$tmp/keys"
rp_check "man page: every key of reference.yaml ($missing missing)" test "$missing" -eq 0

# Completion: subcommands at the first word, long options after a command.
complete_words() {	# complete_words WORD...: what TAB offers after them
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ringplane; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$dest$(dest_of '/completions/ringplane$')" "$RINGPLANE" "$@"
}
offered=$(complete_words "")
for c in $cmds; do
	rp_check "completion offers $c" grep -qx "$c" <<<"$offered"
done
rp_check "completion: 'ch' -> check, chan" test "$(complete_words ch | sort | tr '\n' ' ')" = "chan check "
rp_check "completion: 'check --r' -> --reference" test "$(complete_words check --r)" = "--reference"
rp_done
