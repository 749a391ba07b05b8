#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Print the table of benchmark parameters in bench/RESULTS.md ("Aiming a
benchmark"), from the benchmarks' own tables: `ringplane bench NAME --help`
for every NAME in `bench --list`.

usage: bench/tools/knobs_table.py [RINGPLANE] [--check FILE]
  (default RINGPLANE: ./build/ringplane)
  --check FILE: exit 1, with a diff, unless FILE holds exactly this table
  (the docs suite runs it on bench/RESULTS.md)
"""
import re
import subprocess
import sys

args = sys.argv[1:]
check = None
if "--check" in args:
    i = args.index("--check")
    check = args[i + 1]
    del args[i:i + 2]
exe = args[0] if args else "./build/ringplane"


def run(*args):
    return subprocess.run([exe, "bench", *args], check=True, capture_output=True, text=True).stdout


def knobs(name):
    """(key, default, quick) of the benchmark's own knobs, in table order."""
    text = run(name, "--help")
    own = text.split(f"Parameters of {name}", 1)[1].split("Parameters of every benchmark", 1)[0]
    out, key = [], None
    for line in own.splitlines():
        m = re.match(r"^  (\S+)\s", line)
        if m and not line.startswith("   "):
            key = m.group(1)
            continue
        m = re.match(r"^\s+default (.*?)(?:, --quick (.*))?$", line)
        if m and key:
            out.append((key, m.group(1), m.group(2)))
    return out


def table():
    rows = ["| benchmark | `--set` parameters: default (`--quick` where it differs) |", "|---|---|"]
    for line in run("--list").splitlines():
        name = line.split()[0]
        cells = [f"`{k}={d}`" + (f" ({q})" if q and q != d else "") for k, d, q in knobs(name)]
        rows.append(f"| {name} | {', '.join(cells) if cells else '(cpus only)'} |")
    return rows


def check_file(path, rows):
    """The table in PATH (from its header row to the first line not a row)
    must be ROWS exactly."""
    lines = open(path, encoding="utf-8").read().splitlines()
    if rows[0] not in lines:
        print(f"{path}: no table of benchmark parameters (header: {rows[0]})")
        return 1
    i = lines.index(rows[0])
    j = i
    while j < len(lines) and lines[j].startswith("|"):
        j += 1
    have = lines[i:j]
    if have == rows:
        print(f"{path}: the table of benchmark parameters is current ({len(rows) - 2} benchmarks)")
        return 0
    import difflib
    print(f"{path}: the table of benchmark parameters is stale; regenerate it with bench/tools/knobs_table.py")
    print("\n".join(difflib.unified_diff(have, rows, "in the file", "from the binary", lineterm="")))
    return 1


rows = table()
if check:
    sys.exit(check_file(check, rows))
print("\n".join(rows))
