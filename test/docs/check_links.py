#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that every relative link and #anchor in the project's markdown
resolves: the file exists, and the anchor is a heading of that file (GitHub's
slugs, duplicates numbered -1, -2, ...) or an explicit <a id/name>.

usage: test/docs/check_links.py [--self-test] [FILE.md ...]
  no FILE: README.md, bench/*.md, test/**/*.md, deploy/*.md, nicmgr/*.md
  (bench/results/ is generated output and is not checked).
Prints each broken link as FILE:LINE: target: why; exits 1 if any.
"""
import os
import re
import sys
import tempfile

TOP = os.environ.get("RP_TOP") or os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# [text](target) and ![alt](target); target up to whitespace or ')'.
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def slug(text):
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links -> their text
    text = text.replace("`", "")
    text = re.sub(r"<[^>]+>", "", text)                     # inline HTML
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)                   # \w: unicode letters, digits, _
    return text.replace(" ", "-")


def lines_outside_code(path):
    """(line number, text) of the lines not in fenced or indented code."""
    with open(path, encoding="utf-8") as f:
        fenced = False
        prev_blank = True
        for n, line in enumerate(f, 1):
            if FENCE.match(line):
                fenced = not fenced
                continue
            if fenced:
                continue
            if prev_blank and line.startswith("    ") and not line.lstrip().startswith(("-", "*", "|")):
                # an indented code block (after a blank line); list items
                # continued by indentation are not code
                continue
            prev_blank = not line.strip()
            yield n, line.rstrip("\n")


_anchor_cache = {}


def anchors(path):
    if path not in _anchor_cache:
        seen, out = {}, set()
        for _, line in lines_outside_code(path):
            m = HEADING.match(line)
            if m:
                s = slug(m.group(2))
                k = seen.get(s, 0)
                out.add(s if k == 0 else f"{s}-{k}")
                seen[s] = k + 1
            out.update(HTML_ANCHOR.findall(line))
        _anchor_cache[path] = out
    return _anchor_cache[path]


def check(path):
    """Broken links of one file, as strings."""
    bad = []
    for n, line in lines_outside_code(path):
        line = CODE_SPAN.sub("", line)
        for target in LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, mailto:, ...
                continue
            file_part, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            where = f"{os.path.relpath(path, TOP)}:{n}: {target}"
            if not os.path.exists(dest):
                bad.append(f"{where}: no such file {os.path.relpath(dest, TOP)}")
                continue
            if anchor:
                if not dest.endswith(".md"):
                    bad.append(f"{where}: an anchor into a file that is not markdown")
                elif anchor not in anchors(dest):
                    bad.append(f"{where}: no heading or <a id> '{anchor}' in {os.path.relpath(dest, TOP)}")
    return bad


def default_files():
    out = [os.path.join(TOP, "README.md")]
    for d in ("bench", "deploy", "nicmgr", "test", "chan", "dataplane", "config"):
        for root, dirs, files in os.walk(os.path.join(TOP, d)):
            dirs[:] = [x for x in dirs if x != "results"]
            out += [os.path.join(root, f) for f in sorted(files) if f.endswith(".md")]
    return out


def self_test():
    """The checker must notice each kind of breakage (a test that can fail)."""
    with tempfile.TemporaryDirectory() as d:
        a, b = os.path.join(d, "a.md"), os.path.join(d, "b.md")
        with open(b, "w") as f:
            f.write("# B\n\n### Zerocopy send (`bench zc-tx`), ≥ 1.4x\n\n## Dup\n\n## Dup\n\n<a id=\"here\"></a>\n")
        with open(a, "w") as f:
            f.write("# A\n\n## Top `x`\n\n[ok](b.md) [ok](b.md#zerocopy-send-bench-zc-tx--14x) [ok](#top-x)\n"
                    "[ok](b.md#dup-1) [ok](b.md#here) [ok](https://example.com/x#y) `[skip](nowhere.md)`\n"
                    "```\n[skip](nowhere.md)\n```\n"
                    "[bad1](c.md) [bad2](b.md#nope) [bad3](#missing) [bad4](b.md#dup-2)\n")
        bad = check(a)
        want = ["c.md", "b.md#nope", "#missing", "b.md#dup-2"]
        got = [x.split(": ")[1] for x in bad]
        if got != want:
            print(f"self-test failed: expected broken {want}, got {got}")
            return 1
    print("self-test: the four broken links were found, the good ones passed")
    return 0


def main(argv):
    if argv[:1] == ["--self-test"]:
        if self_test():
            return 1
        argv = argv[1:]
    files = [os.path.abspath(x) for x in argv] or default_files()
    bad, links = [], 0
    for path in files:
        bad += check(path)
    for b in bad:
        print(b)
    print(f"{len(files)} files checked, {len(bad)} broken links")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
